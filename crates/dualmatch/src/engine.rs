//! [`Engine`]: a season with its options (weights, constraints, policy,
//! seed, solver, threads), and the operations on it.

use std::sync::{Arc, OnceLock};

use dualmatch_core::scoring::{self, Candidates, Explanation, TooManyPairs, Weights, DEFAULT_MAX_PAIRS};
use dualmatch_core::Season;
use dualmatch_optimiser::network::Solved;
use dualmatch_optimiser::policies::{Improve, TieBreak};
use dualmatch_optimiser::{Constraints, PlacementModel, Policy, SolveOptions, Solver};

use crate::error::Error;
use crate::run::Run;

/// Where an engine's candidate pairs come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CandidateSource {
    /// Supplied with the season (`candidates.csv`), filtered by the hard gates.
    Supplied,
    /// Scored by dualmatch with the engine's weights.
    Scored,
}

impl CandidateSource {
    /// `supplied` or `scored`, as in `summary.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            CandidateSource::Supplied => "supplied",
            CandidateSource::Scored => "scored",
        }
    }
}

/// The engine over one season. Options are set with builder methods; the
/// candidate pairs are scored once, on first use, and shared by every
/// operation.
///
/// ```no_run
/// use dualmatch::{Constraints, Engine, Policy, Season};
/// let season = Season::load("data/sample")?;
/// let constraints = Constraints::none();
/// let engine = Engine::new(&season).constraints(&constraints).policy(Policy::Stable).seed(7).threads(2);
/// let run = engine.solve()?;
/// println!("placed {} of {}", run.placed(), season.learners().len());
/// # Ok::<(), dualmatch::Error>(())
/// ```
pub struct Engine<'s> {
    season: &'s Season,
    weights: Weights,
    constraints: Arc<Constraints>,
    options: SolveOptions,
    threads: Option<usize>,
    max_pairs: u64,
    candidates: OnceLock<Result<(Arc<Candidates>, CandidateSource), TooManyPairs>>,
}

impl<'s> Engine<'s> {
    /// An engine over `season` with the default weights, no constraints,
    /// the `max-fit` policy, seed 0 and the automatic solver.
    pub fn new(season: &'s Season) -> Self {
        Self {
            season,
            weights: Weights::default(),
            constraints: Arc::new(Constraints::none()),
            options: SolveOptions::new(Policy::MaxFit),
            threads: None,
            max_pairs: DEFAULT_MAX_PAIRS,
            candidates: OnceLock::new(),
        }
    }

    /// Scores candidates with `weights` (ignored when the season supplies its candidates).
    pub fn weights(mut self, weights: Weights) -> Self {
        self.weights = weights;
        self.candidates = OnceLock::new();
        self
    }

    /// Reads the weights from a `weights.toml` file's text (errors give the line and key).
    pub fn weights_toml(self, text: &str) -> Result<Self, scoring::WeightsError> {
        let w = Weights::from_toml_str(text)?;
        Ok(self.weights(w))
    }

    /// The coordinator's constraints (floors, caps, reserves, pins, forbidden pairs, minimum score).
    pub fn constraints(mut self, constraints: &Constraints) -> Self {
        self.constraints = Arc::new(constraints.clone());
        self
    }

    /// Reads the constraints from a `constraints.toml` file's text; `file`
    /// names it in errors, which give the line and field.
    pub fn constraints_toml(self, text: &str, file: &str) -> Result<Self, Error> {
        let c = Constraints::parse(text, file, self.season)?;
        Ok(self.constraints(&c))
    }

    /// The allocation policy.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.options.policy = policy;
        self
    }

    /// The lottery seed of randomised policies.
    pub fn seed(mut self, seed: u64) -> Self {
        self.options.seed = seed;
        self
    }

    /// Pareto-improve the result for learners (nobody loses): the same as
    /// `improvement(Improve::Pareto)` when true, `Improve::None` when false.
    pub fn improve(mut self, improve: bool) -> Self {
        self.options.improve = if improve { Improve::Pareto } else { Improve::None };
        self
    }

    /// What is done after the policy: Pareto improvement or stable
    /// improvement cycles (see `docs/policies.md`).
    pub fn improvement(mut self, improve: Improve) -> Self {
        self.options.improve = improve;
        self
    }

    /// Single or multiple tie-breaking for the deferred-acceptance policies.
    pub fn tie_break(mut self, tie_break: TieBreak) -> Self {
        self.options.tie_break = tie_break;
        self
    }

    /// The solver of the exact policies.
    pub fn solver(mut self, solver: Solver) -> Self {
        self.options.solver = solver;
        self
    }

    /// The time limit of the mixed-integer path, taken by the components that
    /// a minimum group size with `allow_empty = true` ("a group or nobody")
    /// touches: when it is hit, the run keeps the best placement found and
    /// its proof gives a bound ([`Run::gap`] is then positive). Without it,
    /// those components are solved until proven optimal.
    pub fn time_limit(mut self, limit: std::time::Duration) -> Self {
        self.options.time_limit = Some(limit);
        self
    }

    /// Runs this engine's work on `threads` worker threads (its own pool).
    /// Without it, the caller's rayon pool is used. Results never depend on
    /// the thread count.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// The most candidate pairs to score (default
    /// [`DEFAULT_MAX_PAIRS`], about 7 GB): a season whose learners reach
    /// more sites is refused before any pair is made ([`Error::TooManyPairs`]).
    pub fn max_pairs(mut self, max_pairs: u64) -> Self {
        self.max_pairs = max_pairs;
        self.candidates = OnceLock::new();
        self
    }

    /// Uses these candidate pairs instead of scoring them.
    pub fn with_candidates(self, candidates: Candidates, source: CandidateSource) -> Self {
        let cell = OnceLock::new();
        let _ = cell.set(Ok((Arc::new(candidates), source)));
        Self { candidates: cell, ..self }
    }

    /// The season.
    pub fn season(&self) -> &'s Season {
        self.season
    }

    /// The weights.
    pub fn weights_ref(&self) -> &Weights {
        &self.weights
    }

    /// The pair budget (see [`Self::max_pairs`]).
    pub fn max_pairs_ref(&self) -> u64 {
        self.max_pairs
    }

    /// The constraints.
    pub fn constraints_ref(&self) -> &Constraints {
        &self.constraints
    }

    /// The solve options (policy, seed, improvement, solver).
    pub fn options(&self) -> &SolveOptions {
        &self.options
    }

    /// Runs `f` on the engine's thread pool (or the caller's).
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> Result<R, Error> {
        install(self.threads, f)
    }

    /// The thread count set with [`Self::threads`].
    pub fn thread_count(&self) -> Option<usize> {
        self.threads
    }

    fn candidates_and_source(&self) -> Result<&(Arc<Candidates>, CandidateSource), Error> {
        self.candidates
            .get_or_init(|| {
                let compute = || match Candidates::from_season_candidates(self.season) {
                    Some(c) => Ok((Arc::new(c), CandidateSource::Supplied)),
                    None => Candidates::generate_within(self.season, &self.weights, None, self.max_pairs)
                        .map(|c| (Arc::new(c), CandidateSource::Scored)),
                };
                // A pool that cannot be built falls back to the caller's pool: same result.
                self.install(compute).unwrap_or_else(|_| compute())
            })
            .as_ref()
            .map_err(|e| Error::TooManyPairs(e.clone()))
    }

    /// The candidate pairs: supplied with the season, or scored (once,
    /// within the pair budget).
    pub fn candidates(&self) -> Result<&Candidates, Error> {
        self.candidates_and_source().map(|c| c.0.as_ref())
    }

    /// Where the candidate pairs come from.
    pub fn candidate_source(&self) -> Result<CandidateSource, Error> {
        self.candidates_and_source().map(|c| c.1)
    }

    /// The placement model of the season, candidates and constraints; the
    /// constraints' conflicts (floors or pins that cannot be met) as
    /// [`Error::Infeasible`].
    pub fn model(&self) -> Result<PlacementModel<'_>, Error> {
        PlacementModel::new(self.season, self.candidates()?, &self.constraints).map_err(Error::Infeasible)
    }

    /// Solves with the engine's policy. The result is checked against every
    /// constraint of the model; exact policies carry a proof. A policy that
    /// cannot meet the school floors or minimum group sizes that are set is refused
    /// ([`Error::Unsupported`]) before any work. The run
    /// borrows only the season, so the engine may be a temporary.
    pub fn solve(&self) -> Result<Run<'s>, Error> {
        let policy = self.options.policy;
        let implementation = policy.implementation();
        let school_floors = match implementation.meets_floors() {
            true => 0,
            false => self.constraints.school_bounds.iter().filter(|b| b.min > 0).count(),
        };
        let group_sizes = match implementation.meets_group_sizes() {
            true => 0,
            false => self.constraints.site_minimums.len(),
        };
        let floors = school_floors + group_sizes;
        if floors > 0 {
            return Err(Error::Unsupported { policy, floors });
        }
        // Short lines (max_sites, new_site_penalty): only the exact policies,
        // and not after --improve, which would move learners to other sites.
        let schools = self.constraints.short_lines.len();
        if schools > 0 && !(implementation.meets_short_lines() && self.options.improve == Improve::None) {
            let improve = self.options.improve != Improve::None;
            return Err(Error::ShortLinesUnsupported { policy, improve, schools });
        }
        let mentored = self.season.has_rhythms() || !self.season.mentors().is_empty();
        if mentored && !(implementation.meets_mentors() && self.options.improve == Improve::None) {
            let improve = self.options.improve != Improve::None;
            return Err(Error::MentorsUnsupported { policy, improve });
        }
        let model = self.model()?;
        let solved = self.install(|| dualmatch_optimiser::solve::solve(&model, &self.options))??;
        self.finish(&model, solved)
    }

    /// The run of `solved`: checked against every constraint of `model`,
    /// with the unplaced learners' reasons.
    pub(crate) fn finish(&self, model: &PlacementModel, solved: Solved) -> Result<Run<'s>, Error> {
        solved.assignment.check(model).map_err(Error::Internal)?;
        let mentors = dualmatch_optimiser::mentors::assign(model, &solved.assignment).map_err(Error::Internal)?;
        let reasons =
            dualmatch_optimiser::unplaced::reasons_for(model, &solved.assignment, self.options.policy.uses_lists());
        let candidates = Arc::clone(&self.candidates_and_source()?.0);
        let constraints = Arc::clone(&self.constraints);
        Ok(Run::new(self.season, candidates, constraints, solved, reasons, self.options, self.threads)
            .with_mentors(mentors))
    }

    /// Explains the candidates of the learner with id `learner`: the best
    /// `top` with each component's points, and the rejected sites by reason.
    pub fn explain(&self, learner: &str, top: usize) -> Result<Explanation, Error> {
        let l = self.season.learner_by_id(learner).ok_or_else(|| Error::UnknownLearner(learner.to_string()))?;
        Ok(scoring::explain(self.season, &self.weights, None, l, top))
    }

    /// Parses a `changes.csv` file's text against this season; `file` names it in errors.
    pub fn parse_changes(&self, text: &str, file: &str) -> Result<Vec<dualmatch_optimiser::changes::Change>, Error> {
        Ok(dualmatch_optimiser::changes::parse(text, file, self.season)?)
    }
}

/// Runs `f` on a pool of `threads` workers, or on the caller's pool.
pub(crate) fn install<R: Send>(threads: Option<usize>, f: impl FnOnce() -> R + Send) -> Result<R, Error> {
    match threads {
        None => Ok(f()),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| Error::Threads { threads: n, reason: e.to_string() })?;
            Ok(pool.install(f))
        }
    }
}
