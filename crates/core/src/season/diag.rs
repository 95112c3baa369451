//! Diagnostics: every problem found while loading a season, with where it is
//! and what to do about it.

use std::fmt;

use serde::Serialize;

use crate::text::visible;

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, nothing wrong: how a file was read (such as its encoding).
    Note,
    /// The season can still be used, but something looks wrong.
    Warning,
    /// The season cannot be used until this is fixed.
    Error,
}

/// Where in the input a problem sits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Position {
    /// The file as a whole.
    File,
    /// A 1-based line of a CSV file (the header is line 1).
    Line {
        /// The line number.
        line: u64,
    },
    /// A record of a JSON file: `table[index]`, 0-based.
    Record {
        /// The table, such as `learners`.
        table: String,
        /// The 0-based index of the record in that table's array.
        index: u64,
    },
    /// A row of a spreadsheet sheet (1-based, the header is row 1).
    Sheet {
        /// The sheet name.
        sheet: String,
        /// The row number.
        row: u64,
    },
}

/// One problem in the season input.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file, as the user named it.
    pub file: String,
    /// Where in the file.
    pub position: Position,
    /// The column or field concerned, if any.
    pub field: Option<String>,
    /// What is wrong, in plain words, and what to do.
    pub message: String,
}

impl Diagnostic {
    /// The 1-based line, for CSV input.
    pub fn line(&self) -> Option<u64> {
        match self.position {
            Position::Line { line } => Some(line),
            _ => None,
        }
    }
}

/// One line, whatever the input: every part is shown with its hidden
/// characters (control, bidirectional and escape characters, line breaks)
/// written as `\u{XXXX}` ([`visible`]), so that a value from a file can
/// neither recolour the terminal, reorder the line nor start a new one.
/// Values quoted in messages are cut where the message is built
/// ([`crate::text::quote`]).
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        write!(f, "{sev}: {}", visible(&self.file))?;
        match &self.position {
            Position::File => {}
            Position::Line { line } => write!(f, ":{line}")?,
            Position::Record { table, index } => write!(f, ": {}[{index}]", visible(table))?,
            Position::Sheet { sheet, row } => write!(f, ": sheet '{}' row {row}", visible(sheet))?,
        }
        if let Some(field) = &self.field {
            write!(f, ": {}", visible(field))?;
        }
        write!(f, ": {}", visible(&self.message))
    }
}

/// The problems found in one load, in the order they were found, capped per
/// file so that a binary file cannot flood memory or the terminal.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    errors: usize,
    warnings: usize,
    notes: usize,
    suppressed: usize,
}

/// How many diagnostics one load keeps; the rest are only counted.
pub const MAX_DIAGNOSTICS: usize = 1000;

impl Diagnostics {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a problem.
    pub fn push(&mut self, d: Diagnostic) {
        match d.severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
            Severity::Note => self.notes += 1,
        }
        if self.items.len() < MAX_DIAGNOSTICS {
            self.items.push(d);
        } else {
            self.suppressed += 1;
        }
    }

    /// The kept problems, in the order found.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// The number of errors (including suppressed ones).
    pub fn error_count(&self) -> usize {
        self.errors
    }

    /// The number of warnings (including suppressed ones).
    pub fn warning_count(&self) -> usize {
        self.warnings
    }

    /// The number of notes (including suppressed ones).
    pub fn note_count(&self) -> usize {
        self.notes
    }

    /// How many problems were counted but not kept.
    pub fn suppressed(&self) -> usize {
        self.suppressed
    }

    /// Whether any error was found.
    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }

    /// Whether nothing at all was found.
    pub fn is_empty(&self) -> bool {
        self.errors == 0 && self.warnings == 0
    }

    /// Appends all of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.errors += other.errors;
        self.warnings += other.warnings;
        self.notes += other.notes;
        self.suppressed += other.suppressed;
        for d in other.items {
            if self.items.len() < MAX_DIAGNOSTICS {
                self.items.push(d);
            } else {
                self.suppressed += 1;
            }
        }
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.items {
            writeln!(f, "{d}")?;
        }
        if self.suppressed > 0 {
            writeln!(f, "… and {} more problems not shown", self.suppressed)?;
        }
        write!(
            f,
            "{} error{}, {} warning{}",
            self.errors,
            if self.errors == 1 { "" } else { "s" },
            self.warnings,
            if self.warnings == 1 { "" } else { "s" }
        )
    }
}

/// A reporter bound to one table of the input: it knows the file name and how
/// positions are expressed there, so parsing code only says *which row* and
/// *what is wrong*.
#[derive(Clone, Debug)]
pub struct TableOrigin {
    /// The file as the user named it.
    pub file: String,
    /// How rows are addressed in it.
    pub kind: OriginKind,
}

/// How rows of a table are addressed.
#[derive(Clone, Debug)]
pub enum OriginKind {
    /// Rows are CSV lines; a row number is the 1-based line.
    Csv,
    /// Rows are JSON array elements of `table`; a row number is the 0-based index.
    Json {
        /// The table name in the JSON document.
        table: &'static str,
    },
    /// Rows are spreadsheet rows of `sheet`; a row number is the 1-based row.
    Sheet {
        /// The sheet name.
        sheet: String,
    },
}

impl TableOrigin {
    /// The position of row `row` (a line, record index or sheet row, see [`OriginKind`]).
    pub fn position(&self, row: u64) -> Position {
        match &self.kind {
            OriginKind::Csv => Position::Line { line: row },
            OriginKind::Json { table } => Position::Record { table: (*table).to_string(), index: row },
            OriginKind::Sheet { sheet } => Position::Sheet { sheet: sheet.clone(), row },
        }
    }

    /// A diagnostic at `row`, field `field`.
    pub fn at(&self, severity: Severity, row: u64, field: Option<&str>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity,
            file: self.file.clone(),
            position: self.position(row),
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    /// A diagnostic about the file as a whole.
    pub fn whole(&self, severity: Severity, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity, file: self.file.clone(), position: Position::File, field: None, message: message.into() }
    }
}
