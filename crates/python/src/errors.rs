//! The engine's errors as Python exceptions: `SeasonError` (bad input,
//! with every problem as a [`Problem`]) and `InfeasibleError` (the
//! constraints cannot all be met, with the conflicts).

use dualmatch::core::season::{Diagnostic, Diagnostics, Position, Severity};
use dualmatch::{Error, LoadError, Season};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

pyo3::create_exception!(
    _dualmatch,
    SeasonError,
    PyValueError,
    "Bad input (a season, constraints, changes or an option): `problems` lists each with its file, line, field and message."
);
pyo3::create_exception!(
    _dualmatch,
    InfeasibleError,
    PyRuntimeError,
    "The constraints cannot all be met: `conflicts` lists them in words."
);

/// One problem of an input: where it is and what to do about it.
#[pyclass(frozen, get_all, eq, module = "dualmatch")]
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// `"error"` or `"warning"`.
    pub severity: String,
    /// The file (or DataFrame) as named when it was given.
    pub file: Option<String>,
    /// The 1-based line of a CSV file or a DataFrame's CSV form (the header
    /// is line 1), or the row of a sheet; `None` for the file as a whole.
    pub line: Option<u64>,
    /// The sheet of a workbook, or the table of a JSON record.
    pub sheet: Option<String>,
    /// The column or field concerned.
    pub field: Option<String>,
    /// What is wrong, in plain words, and what to do.
    pub message: String,
}

#[pymethods]
impl Problem {
    fn __repr__(&self) -> String {
        format!(
            "Problem(severity={:?}, file={:?}, line={:?}, field={:?}, message={:?})",
            self.severity, self.file, self.line, self.field, self.message
        )
    }

    fn __str__(&self) -> String {
        let mut s = format!("{}: {}", self.severity, self.file.as_deref().unwrap_or("input"));
        if let Some(sheet) = &self.sheet {
            s.push_str(&format!(": {sheet}"));
        }
        if let Some(line) = self.line {
            s.push_str(&format!(":{line}"));
        }
        if let Some(field) = &self.field {
            s.push_str(&format!(": {field}"));
        }
        format!("{s}: {}", self.message)
    }
}

impl From<&Diagnostic> for Problem {
    fn from(d: &Diagnostic) -> Self {
        let (line, sheet) = match &d.position {
            Position::File => (None, None),
            Position::Line { line } => (Some(*line), None),
            Position::Record { table, index } => (Some(*index), Some(table.clone())),
            Position::Sheet { sheet, row } => (Some(*row), Some(sheet.clone())),
        };
        Problem {
            severity: match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "note",
            }
            .to_string(),
            file: Some(d.file.clone()),
            line,
            sheet,
            field: d.field.clone(),
            message: d.message.clone(),
        }
    }
}

impl Problem {
    fn error(file: Option<String>, line: Option<u64>, message: String) -> Self {
        Problem { severity: "error".into(), file, line, sheet: None, field: None, message }
    }
}

/// Every diagnostic as a problem.
pub fn problems(d: &Diagnostics) -> Vec<Problem> {
    d.iter().map(Problem::from).collect()
}

/// The problems of a load error.
pub fn load_problems(e: &LoadError) -> Vec<Problem> {
    match e {
        LoadError::Invalid(d) => problems(d),
        LoadError::NotASeason { path, reason } | LoadError::TooLarge { path, reason } => {
            vec![Problem::error(Some(path.display().to_string()), None, reason.clone())]
        }
    }
}

/// A `SeasonError` carrying `problems`.
pub fn season_error(py: Python<'_>, message: String, problems: Vec<Problem>) -> PyErr {
    let err = SeasonError::new_err(message);
    if let Err(e) = err.value(py).setattr("problems", problems) {
        return e;
    }
    err
}

/// The Python exception for an engine error; `season` words the conflicts
/// of an infeasible one.
pub fn to_py(py: Python<'_>, e: Error, season: Option<&Season>) -> PyErr {
    let message = e.to_string();
    match e {
        Error::Load(l) => {
            let problems = load_problems(&l);
            let mut text = message;
            for p in problems.iter().filter(|p| p.severity == "error").take(5) {
                text.push_str(&format!("\n  {}", p.__str__()));
            }
            season_error(py, text, problems)
        }
        Error::Constraints(c) => {
            let problems =
                c.0.iter()
                    .map(|e| Problem::error(Some(e.file.clone()), Some(e.line as u64), e.message.clone()))
                    .collect();
            season_error(py, message, problems)
        }
        Error::Changes(c) => {
            let problems = c.0.iter().map(|m| Problem::error(None, None, m.clone())).collect();
            season_error(py, message, problems)
        }
        Error::Infeasible(inf) => {
            let conflicts = season.map(|s| inf.describe(s)).unwrap_or_default();
            let text = format!("{message}:\n  - {}", conflicts.join("\n  - "));
            let err = InfeasibleError::new_err(text);
            if let Err(e) = err.value(py).setattr("conflicts", conflicts) {
                return e;
            }
            err
        }
        e if e.is_input() => {
            let problems = vec![Problem::error(None, None, e.to_string())];
            season_error(py, message, problems)
        }
        _ => PyRuntimeError::new_err(message),
    }
}
