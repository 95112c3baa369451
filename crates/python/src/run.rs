//! Results: a solve ([`PyRun`], which keeps the façade's `Run` together
//! with the season it borrows) and a re-match ([`PyRematch`]), read out as
//! columns for the Python half to turn into DataFrames.

use std::path::PathBuf;
use std::sync::Arc;

use dualmatch::core::scoring::COMPONENT_NAMES;
use dualmatch::optimiser::network::Proof;
use dualmatch::optimiser::unplaced::Describe;
use dualmatch::{CandidateSource, Candidates, LearnerId, Placement, Rematch, Run, Season, Unplaced};
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// A [`Run`] borrows its season: the cell keeps both together.
pub type RunOf<'a> = Run<'a>;

self_cell::self_cell!(
    /// A season and a run made from it.
    pub struct RunCell {
        owner: Arc<Season>,
        #[covariant]
        dependent: RunOf,
    }
);

/// The columns of placements: learner, workplace, programme, school, score,
/// distance_km, then the score's components (empty for supplied scores).
fn placement_columns<'py, 'a>(
    py: Python<'py>,
    c: &Candidates,
    placements: impl Iterator<Item = Placement<'a>>,
) -> PyResult<Bound<'py, PyDict>> {
    let (mut learner, mut workplace, mut programme, mut school) = (vec![], vec![], vec![], vec![]);
    let (mut score, mut distance) = (vec![], vec![]);
    let (mut mentor, mut days) = (vec![], vec![]);
    let mut components: Vec<Vec<Option<f64>>> = vec![Vec::new(); COMPONENT_NAMES.len()];
    // Trust is a column only for a season with an outcomes.csv.
    let has_trust = c.components.as_ref().is_some_and(|cols| cols.trust.is_some());
    let mut trust: Vec<Option<f64>> = Vec::new();
    for p in placements {
        learner.push(p.learner_id());
        workplace.push(p.workplace_id());
        programme.push(p.programme_id());
        school.push(p.school_id());
        score.push(p.score());
        mentor.push(p.mentor_id());
        days.push(p.days().to_string());
        let i = p.candidate_index();
        distance.push(c.distance_km[i]);
        let got = c.components.as_ref().map(|cols| cols.get(i));
        let values = got.map(|g| g.to_array());
        for (k, col) in components.iter_mut().enumerate() {
            col.push(values.map(|v| v[k]));
        }
        if has_trust {
            trust.push(got.and_then(|g| g.trust));
        }
    }
    let d = PyDict::new(py);
    d.set_item("learner", learner)?;
    d.set_item("workplace", workplace)?;
    d.set_item("programme", programme)?;
    d.set_item("school", school)?;
    d.set_item("score", score)?;
    d.set_item("distance_km", distance)?;
    d.set_item("mentor", mentor)?;
    d.set_item("days", days)?;
    for (name, col) in COMPONENT_NAMES.iter().zip(components) {
        d.set_item(*name, col)?;
    }
    if has_trust {
        d.set_item("trust", trust)?;
    }
    Ok(d)
}

/// The columns of unplaced learners: learner, school, programme, reason.
fn unplaced_columns<'py>(
    py: Python<'py>,
    s: &Season,
    reasons: &[(LearnerId, Unplaced)],
) -> PyResult<Bound<'py, PyDict>> {
    let (mut learner, mut school, mut programme, mut reason) = (vec![], vec![], vec![], vec![]);
    for (l, r) in reasons {
        let rec = s.learner(*l);
        learner.push(rec.id.as_str());
        school.push(s.school(rec.school).id.as_str());
        programme.push(s.programme(rec.programme).id.as_str());
        reason.push(Describe(r, s).to_string());
    }
    let d = PyDict::new(py);
    d.set_item("learner", learner)?;
    d.set_item("school", school)?;
    d.set_item("programme", programme)?;
    d.set_item("reason", reason)?;
    Ok(d)
}

fn proof_dict<'py>(py: Python<'py>, proof: &Proof, gap: Option<f64>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("method", proof.method)?;
    d.set_item("bound", proof.bound)?;
    d.set_item("gap", gap)?;
    d.set_item("components", proof.components)?;
    d.set_item("largest_component", proof.largest_component)?;
    d.set_item("max_placeable", proof.max_placeable)?;
    Ok(d)
}

/// The result of one solve.
#[pyclass(frozen, name = "_Run", module = "dualmatch")]
pub struct PyRun {
    cell: RunCell,
    source: CandidateSource,
    season_path: Option<PathBuf>,
    diagnostics: Arc<dualmatch::Diagnostics>,
}

impl PyRun {
    pub(crate) fn new(
        cell: RunCell,
        source: CandidateSource,
        season_path: Option<PathBuf>,
        diagnostics: Arc<dualmatch::Diagnostics>,
    ) -> Self {
        Self { cell, source, season_path, diagnostics }
    }

    fn run(&self) -> &Run<'_> {
        self.cell.borrow_dependent()
    }
}

#[pymethods]
impl PyRun {
    /// The placements as columns.
    fn placements<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let run = self.run();
        placement_columns(py, run.candidates(), run.placements())
    }

    /// The unplaced learners as columns.
    fn unplaced<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let run = self.run();
        unplaced_columns(py, run.season(), run.unplaced())
    }

    /// How many learners are placed.
    fn placed(&self) -> usize {
        self.run().placed()
    }

    /// The total fit score.
    fn total_score(&self) -> f64 {
        self.run().total_score()
    }

    /// The proof of an exact policy (None otherwise).
    fn proof<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let run = self.run();
        run.proof().map(|p| proof_dict(py, p, run.gap())).transpose()
    }

    /// (policy, seed, improve).
    fn options(&self) -> (&'static str, u64, bool) {
        let o = self.run().options();
        (o.policy.name(), o.seed, o.improve != dualmatch::Improve::None)
    }

    /// `supplied` or `scored`.
    fn candidate_source(&self) -> &'static str {
        self.source.as_str()
    }

    /// The metrics as JSON text (the metrics of `dualmatch compare`).
    fn metrics(&self, py: Python<'_>) -> String {
        py.detach(|| serde_json::to_string(&self.run().metrics()).unwrap_or_default())
    }

    /// Every blocking pair (learner id, workplace id) under the stable reading.
    fn blocking_pairs(&self, py: Python<'_>) -> Vec<(String, String)> {
        py.detach(|| self.run().blocking_pairs())
    }

    /// Writes the result directory `path` as `dualmatch match` does.
    #[pyo3(signature = (path, force=false, xlsx=false, by_school=false, advice=true, rhythm_advice=false))]
    #[allow(clippy::too_many_arguments)]
    fn to_dir(
        &self,
        py: Python<'_>,
        path: PathBuf,
        force: bool,
        xlsx: bool,
        by_school: bool,
        advice: bool,
        rhythm_advice: bool,
    ) -> PyResult<()> {
        let options = dualmatch_cli::WriteOptions { xlsx, by_school, advice, rhythm_advice };
        let inputs: Vec<&std::path::Path> = self.season_path.iter().map(PathBuf::as_path).collect();
        py.detach(|| {
            dualmatch_cli::write_match_result(
                &path,
                force,
                &inputs,
                self.run(),
                self.source,
                &options,
                &self.diagnostics,
            )
        })
        .map_err(|e| PyOSError::new_err(format!("{e:#}")))
    }
}

/// The result of a re-match.
#[pyclass(frozen, name = "_Rematch", module = "dualmatch")]
pub struct PyRematch {
    r: Rematch,
}

impl PyRematch {
    pub(crate) fn new(r: Rematch) -> Self {
        Self { r }
    }
}

#[pymethods]
impl PyRematch {
    /// The placements as columns.
    fn placements<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        placement_columns(py, self.r.candidates(), self.r.placements().iter())
    }

    /// The unplaced learners as columns.
    fn unplaced<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        unplaced_columns(py, self.r.season(), self.r.unplaced())
    }

    /// Every learner whose placement changed: learner, change, workplace_before, workplace_after.
    fn changes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.r.season();
        let site = |w: Option<dualmatch::WorkplaceId>| w.map(|w| s.workplace(w).id.as_str());
        let (mut learner, mut change, mut before, mut after) = (vec![], vec![], vec![], vec![]);
        for ch in self.r.changes() {
            learner.push(s.learner(ch.learner).id.as_str());
            change.push(ch.kind.as_str());
            before.push(site(ch.before));
            after.push(site(ch.after));
        }
        let d = PyDict::new(py);
        d.set_item("learner", learner)?;
        d.set_item("change", change)?;
        d.set_item("workplace_before", before)?;
        d.set_item("workplace_after", after)?;
        Ok(d)
    }

    /// Learners placed at the same site as before.
    fn kept(&self) -> usize {
        self.r.kept()
    }

    /// How many learners are placed.
    fn placed(&self) -> usize {
        self.r.solved().assignment.placed()
    }

    /// The total fit score.
    fn total_score(&self) -> f64 {
        self.r.solved().assignment.total_score(self.r.candidates())
    }

    /// The proof (bound) of the re-match.
    fn proof<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.r.solved().proof().map(|p| proof_dict(py, p, None)).transpose()
    }

    /// With `allow_moves`: (limit, moves, bound, gap).
    fn moves(&self) -> Option<(usize, usize, f64, f64)> {
        self.r.moves().map(|m| (m.limit, m.moves, m.bound, m.gap))
    }
}
