//! Seasons: loading (a path, CSV tables in memory, the generator),
//! validation, and the operations of the engine façade on a season.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use dualmatch::core::scoring::{ExplainedCandidate, COMPONENT_NAMES};
use dualmatch::core::season::{self, Loaded, TableName};
use dualmatch::core::synth::{self, Preset, SynthParams};
use dualmatch::{Engine, Error, Policy, RematchOptions, Season};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{self, load_problems, problems, season_error, Problem};
use crate::run::{PyRematch, PyRun, RunCell};

/// A validated season, shared by every result made from it.
#[pyclass(frozen, name = "_Season", module = "dualmatch")]
pub struct PySeason {
    pub(crate) season: Arc<Season>,
    warnings: Vec<Problem>,
    /// The load's diagnostics as found, for `warnings.csv` in `to_dir`.
    pub(crate) diagnostics: Arc<dualmatch::Diagnostics>,
    /// Where it was read from, if from a path (never written over by `to_dir`).
    pub(crate) path: Option<PathBuf>,
    /// The season's CSV tables, for a generated season.
    tables: Option<Vec<(String, Vec<u8>)>>,
}

impl PySeason {
    fn new(loaded: Loaded, path: Option<PathBuf>) -> Self {
        Self {
            warnings: problems(&loaded.warnings),
            diagnostics: Arc::new(loaded.warnings),
            season: Arc::new(loaded.season),
            path,
            tables: None,
        }
    }

    /// The engine over this season with the options every operation shares.
    fn engine<'s>(
        &self,
        season: &'s Season,
        constraints: &Option<(String, String)>,
        improve: bool,
        threads: Option<usize>,
    ) -> Result<Engine<'s>, Error> {
        let mut e = Engine::new(season).improve(improve);
        if let Some(t) = threads {
            e = e.threads(t);
        }
        if let Some((text, file)) = constraints {
            e = e.constraints_toml(text, file)?;
        }
        Ok(e)
    }
}

fn parse_policy(name: &str) -> PyResult<Policy> {
    Policy::from_str(name).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Loads a season: a directory of CSV files, a JSON file or an `.xlsx` workbook.
#[pyfunction]
pub fn load(py: Python<'_>, path: PathBuf) -> PyResult<PySeason> {
    let p = path.clone();
    let loaded = py.detach(move || season::load(&p));
    match loaded {
        Ok(l) => Ok(PySeason::new(l, Some(path))),
        Err(e) => Err(errors::to_py(py, Error::Load(e), None)),
    }
}

fn table_name(name: &str) -> PyResult<TableName> {
    TableName::ALL
        .into_iter()
        .find(|t| t.as_str() == name)
        .ok_or_else(|| PyValueError::new_err(format!("unknown season table {name:?}")))
}

fn tables_of(tables: Vec<(String, String, Vec<u8>)>) -> PyResult<Vec<(TableName, String, Vec<u8>)>> {
    tables.into_iter().map(|(name, display, bytes)| Ok((table_name(&name)?, display, bytes))).collect()
}

/// Loads a season from CSV tables: (table name, name in messages, CSV bytes).
#[pyfunction]
pub fn from_csv_tables(py: Python<'_>, tables: Vec<(String, String, Vec<u8>)>) -> PyResult<PySeason> {
    let tables = tables_of(tables)?;
    match py.detach(move || season::from_csv_tables(&tables)) {
        Ok(l) => Ok(PySeason::new(l, None)),
        Err(e) => Err(errors::to_py(py, Error::Load(e), None)),
    }
}

/// Every problem (errors and warnings) of the season at `path`.
#[pyfunction]
pub fn validate_path(py: Python<'_>, path: PathBuf) -> Vec<Problem> {
    match py.detach(move || season::load(&path)) {
        Ok(l) => problems(&l.warnings),
        Err(e) => load_problems(&e),
    }
}

/// Every problem (errors and warnings) of a season given as CSV tables.
#[pyfunction]
pub fn validate_tables(py: Python<'_>, tables: Vec<(String, String, Vec<u8>)>) -> PyResult<Vec<Problem>> {
    let tables = tables_of(tables)?;
    Ok(match py.detach(move || season::from_csv_tables(&tables)) {
        Ok(l) => problems(&l.warnings),
        Err(e) => load_problems(&e),
    })
}

/// A synthetic season (`dualmatch generate`): a preset, with the counts
/// optionally changed, and a seed.
#[pyfunction]
#[pyo3(signature = (preset, seed, learners=None, workplaces=None, schools=None))]
pub fn generate(
    py: Python<'_>,
    preset: &str,
    seed: u64,
    learners: Option<usize>,
    workplaces: Option<usize>,
    schools: Option<usize>,
) -> PyResult<PySeason> {
    let preset = Preset::ALL.into_iter().find(|p| p.as_str() == preset).ok_or_else(|| {
        PyValueError::new_err(format!("unknown preset {preset:?}; choose from tiny, flanders, national"))
    })?;
    let mut params = SynthParams::preset(preset, seed);
    for (value, slot, name) in [
        (learners, &mut params.learners, "learners"),
        (workplaces, &mut params.workplaces, "workplaces"),
        (schools, &mut params.schools, "schools"),
    ] {
        match value {
            Some(0) => return Err(PyValueError::new_err(format!("{name} must be at least 1"))),
            Some(v) => *slot = v,
            None => {}
        }
    }
    let made = py.detach(move || {
        let doc = synth::generate(&params);
        let mut tables = Vec::new();
        for t in doc.tables() {
            let mut bytes = Vec::new();
            doc.write_csv_table(t, &mut bytes).map_err(|e| Error::Internal(e.to_string()))?;
            tables.push((t.as_str().to_string(), bytes));
        }
        let loaded = season::from_doc(doc).map_err(Error::Load)?;
        Ok::<_, Error>((loaded, tables))
    });
    let (loaded, tables) = made.map_err(|e| errors::to_py(py, e, None))?;
    let mut s = PySeason::new(loaded, None);
    s.tables = Some(tables);
    Ok(s)
}

/// The figures of a comparison row as JSON: [[name, value], ...] in order.
fn figures(m: &dualmatch::Metrics) -> serde_json::Value {
    use dualmatch::optimiser::metrics::{Figure, FIGURES};
    let row = FIGURES.iter().map(|(name, figure)| match figure(m) {
        Figure::Count(n) => serde_json::json!([name, n]),
        Figure::Real(x) => serde_json::json!([name, x]),
    });
    serde_json::Value::Array(row.collect())
}

/// The names of the figures of a comparison row (comparison.csv's columns
/// after season, policy and seed).
#[pyfunction]
pub fn compare_columns() -> Vec<&'static str> {
    dualmatch::optimiser::metrics::FIGURES.iter().map(|(name, _)| *name).collect()
}

/// The names of the allocation policies.
#[pyfunction]
pub fn policies() -> Vec<&'static str> {
    Policy::ALL.iter().map(|p| p.name()).collect()
}

/// Refuses a policy that cannot honour the constraints, as the command line does.
fn check_supported(py: Python<'_>, policy: Policy, constraints: &Option<(String, String)>) -> PyResult<()> {
    if let Some((text, file)) = constraints {
        dualmatch::optimiser::policies::check_supported(policy.implementation().as_ref(), text, file)
            .map_err(|e| season_error(py, e.to_string(), vec![]))?;
    }
    Ok(())
}

#[pymethods]
impl PySeason {
    /// The warnings found while loading (a loaded season has no errors).
    fn warnings(&self) -> Vec<Problem> {
        self.warnings.clone()
    }

    /// (learners, workplaces, schools, programmes, recognitions).
    fn counts(&self) -> (usize, usize, usize, usize, usize) {
        let s = &self.season;
        (s.learners().len(), s.workplaces().len(), s.schools().len(), s.programmes().len(), s.groups().len())
    }

    /// The path it was loaded from.
    fn path(&self) -> Option<PathBuf> {
        self.path.clone()
    }

    /// A generated season's CSV tables: (table name, CSV bytes).
    fn tables(&self) -> Option<Vec<(String, Vec<u8>)>> {
        self.tables.clone()
    }

    /// Solves with `policy`; `constraints` is (constraints.toml text, name in messages).
    #[pyo3(signature = (policy, seed, constraints=None, improve=false, threads=None))]
    fn solve(
        &self,
        py: Python<'_>,
        policy: &str,
        seed: u64,
        constraints: Option<(String, String)>,
        improve: bool,
        threads: Option<usize>,
    ) -> PyResult<PyRun> {
        let policy = parse_policy(policy)?;
        check_supported(py, policy, &constraints)?;
        let season = Arc::clone(&self.season);
        let result = py.detach(|| {
            let mut source = None;
            let cell = RunCell::try_new(season, |s| {
                let engine = self.engine(s, &constraints, improve, threads)?.policy(policy).seed(seed);
                let run = engine.solve()?;
                source = Some(engine.candidate_source()?);
                Ok::<_, Error>(run)
            })?;
            Ok::<_, Error>((cell, source.expect("set when solved")))
        });
        match result {
            Ok((cell, source)) => Ok(PyRun::new(cell, source, self.path.clone(), Arc::clone(&self.diagnostics))),
            Err(e) => Err(errors::to_py(py, e, Some(&self.season))),
        }
    }

    /// Compares `policies` under `seeds`: a JSON list of runs, one per
    /// policy × seed in that order (a deterministic policy is run once and
    /// its run repeated for every seed).
    #[pyo3(signature = (policies, seeds, constraints=None, improve=false, threads=None))]
    fn compare(
        &self,
        py: Python<'_>,
        policies: Vec<String>,
        seeds: Vec<u64>,
        constraints: Option<(String, String)>,
        improve: bool,
        threads: Option<usize>,
    ) -> PyResult<String> {
        let policies: Vec<Policy> = policies.iter().map(|p| parse_policy(p)).collect::<PyResult<_>>()?;
        let season: &Season = &self.season;
        let rows = py.detach(|| {
            let engine = self.engine(season, &constraints, improve, threads)?;
            let fixed: Vec<Policy> = policies.iter().copied().filter(|p| !p.randomised()).collect();
            let random: Vec<Policy> = policies.iter().copied().filter(|p| p.randomised()).collect();
            let mut rows = engine.compare(&fixed, 1, 0)?;
            let contiguous = seeds.windows(2).all(|w| w[1] == w[0] + 1);
            match seeds.first() {
                Some(&first) if contiguous => rows.extend(engine.compare(&random, seeds.len() as u64, first)?),
                _ => {
                    for &s in &seeds {
                        rows.extend(engine.compare(&random, 1, s)?);
                    }
                }
            }
            Ok::<_, Error>(rows)
        });
        let rows = rows.map_err(|e| errors::to_py(py, e, Some(season)))?;
        let mut out = Vec::new();
        for p in &policies {
            for &seed in &seeds {
                let Some(r) = rows.iter().find(|r| r.policy == *p && (r.seed.is_none() || r.seed == Some(seed))) else {
                    continue;
                };
                let mut v = serde_json::json!({
                    "policy": p.name(),
                    "seed": seed,
                    "randomised": p.randomised(),
                    "runtime_s": r.seconds,
                });
                match &r.result {
                    Ok(m) => v["figures"] = figures(m),
                    Err(inf) => v["error"] = serde_json::json!(inf.describe(season).join("; ")),
                }
                out.push(v);
            }
        }
        Ok(serde_json::Value::Array(out).to_string())
    }

    /// Explains learner `learner`'s candidates: the best `top` with the
    /// points each score component adds, and the rejected sites by reason.
    #[pyo3(signature = (learner, top=5))]
    fn explain<'py>(&self, py: Python<'py>, learner: &str, top: usize) -> PyResult<Bound<'py, PyDict>> {
        let season: &Season = &self.season;
        let e = Engine::new(season).explain(learner, top).map_err(|e| errors::to_py(py, e, Some(season)))?;
        let best = PyDict::new(py);
        let site = |c: &ExplainedCandidate| season.workplace(c.workplace).id.as_str();
        best.set_item("workplace", e.best.iter().map(site).collect::<Vec<_>>())?;
        best.set_item("score", e.best.iter().map(|c| c.score).collect::<Vec<_>>())?;
        for (k, name) in COMPONENT_NAMES.iter().enumerate() {
            best.set_item(format!("{name}_points"), e.best.iter().map(|c| c.contributions[k]).collect::<Vec<_>>())?;
        }
        if e.best.iter().any(|c| c.trust_points.is_some()) {
            best.set_item("trust_points", e.best.iter().map(|c| c.trust_points).collect::<Vec<_>>())?;
        }
        best.set_item("distance_km", e.best.iter().map(|c| c.distance_km).collect::<Vec<_>>())?;
        best.set_item("travel_minutes", e.best.iter().map(|c| c.travel_minutes).collect::<Vec<_>>())?;
        let d = PyDict::new(py);
        d.set_item("learner", learner)?;
        d.set_item("programme", season.programme(e.programme).id.as_str())?;
        d.set_item("recognised_sites", e.recognised_sites)?;
        d.set_item("eligible", e.eligible)?;
        d.set_item("best", best)?;
        d.set_item("rejected", e.rejected.iter().map(|r| r.describe(season)).collect::<Vec<_>>())?;
        d.set_item("no_candidate", e.no_candidate.as_ref().map(|r| r.to_string()))?;
        Ok(d)
    }

    /// Re-matches after `changes` (changes.csv text, name in messages),
    /// keeping every valid placement of `previous` (learner, workplace,
    /// programme), or moving at most `allow_moves` of them.
    #[pyo3(signature = (previous, changes, allow_moves=None, objective="max-fit", threads=None))]
    fn rematch(
        &self,
        py: Python<'_>,
        previous: Vec<(String, String, String)>,
        changes: (String, String),
        allow_moves: Option<usize>,
        objective: &str,
        threads: Option<usize>,
    ) -> PyResult<PyRematch> {
        let objective = match parse_policy(objective)?.objective() {
            Some(o) => o,
            None => return Err(PyValueError::new_err("a re-match's objective is max-fit or max-placed")),
        };
        let season: &Season = &self.season;
        let previous: Vec<dualmatch::PreviousPlacement> = previous
            .into_iter()
            .map(|(learner, workplace, programme)| dualmatch::PreviousPlacement { learner, workplace, programme })
            .collect();
        let result = py.detach(|| {
            let engine = self.engine(season, &None, false, threads)?;
            let parsed = engine.parse_changes(&changes.0, &changes.1)?;
            let options = RematchOptions { objective, allow_moves, advice: false };
            engine.rematch(&previous, &parsed, options)
        });
        match result {
            Ok(r) => Ok(PyRematch::new(r)),
            Err(e) => Err(errors::to_py(py, e, Some(season))),
        }
    }
}

/// The placements (learner, workplace, programme) of an earlier result directory.
#[pyfunction]
pub fn read_previous(py: Python<'_>, path: PathBuf) -> PyResult<Vec<(String, String, String)>> {
    match dualmatch::read_previous(&path) {
        Ok(v) => Ok(v.into_iter().map(|p| (p.learner, p.workplace, p.programme)).collect()),
        Err(e) => Err(errors::to_py(py, e, None)),
    }
}

/// constraints.toml text from constraints given as JSON text (a dict with
/// the shape of constraints.toml, from Python).
#[pyfunction]
pub fn constraints_toml(json: &str) -> PyResult<String> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| PyValueError::new_err(e.to_string()))?;
    toml::to_string(&value).map_err(|e| {
        PyValueError::new_err(format!(
            "constraints: {e}; give a dict with the shape of constraints.toml (no None values)"
        ))
    })
}
