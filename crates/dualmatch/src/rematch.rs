//! [`Engine::rematch`]: re-place the learners affected by changes during the
//! season, optimally around every placement that is still valid (see
//! [`dualmatch_optimiser::rematch`] for the rules).

use std::path::Path;

use dualmatch_core::scoring::Candidates;
use dualmatch_core::{LearnerId, Season};
use dualmatch_optimiser::advice::{self, Advice, AdviceError};
use dualmatch_optimiser::changes::Change;
use dualmatch_optimiser::network::Solved;
use dualmatch_optimiser::rematch::{MovesReport, PlacementChange, PreviousPlacement, RematchPlan, Rematched};
use dualmatch_optimiser::unplaced::Unplaced;
use dualmatch_optimiser::Objective;

use crate::engine::Engine;
use crate::error::Error;
use crate::run::Placements;

/// How to re-match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RematchOptions {
    /// `MaxFit` (the default) or `MaxPlaced`.
    pub objective: Objective,
    /// At most this many learners with a valid placement may move, when
    /// that raises the total (max-fit); `None`: every valid placement stays.
    pub allow_moves: Option<usize>,
    /// Compute the waiting list and recruitment advice (max-fit without moves).
    pub advice: bool,
}

impl Default for RematchOptions {
    fn default() -> Self {
        Self { objective: Objective::MaxFit, allow_moves: None, advice: false }
    }
}

/// The result of a re-match: the season after the changes, the new
/// assignment, every learner's change, and what was kept.
pub struct Rematch {
    plan: RematchPlan,
    result: Rematched,
    advice: Option<Result<Advice, AdviceError>>,
    rank: dualmatch_optimiser::metrics::RankProfile,
    /// Per learner: the mentor (at a site with mentors).
    mentors: Vec<Option<dualmatch_core::MentorId>>,
}

impl Rematch {
    /// Per learner, the mentor (`None`: unplaced, or at a site without
    /// mentors), in learner order.
    pub fn mentors(&self) -> &[Option<dualmatch_core::MentorId>] {
        &self.mentors
    }

    /// Where the placed learners are in their lists (summary.json's
    /// `rank_profile` and `rank_cost`).
    pub fn rank_profile(&self) -> &dualmatch_optimiser::metrics::RankProfile {
        &self.rank
    }

    /// The season after the changes (seats added or withdrawn).
    pub fn season(&self) -> &Season {
        &self.plan.season
    }
    /// Its candidate pairs.
    pub fn candidates(&self) -> &Candidates {
        &self.plan.candidates
    }
    /// The pins, forbidden pairs and counts behind the re-match.
    pub fn plan(&self) -> &RematchPlan {
        &self.plan
    }
    /// The assignment with its proof.
    pub fn solved(&self) -> &Solved {
        &self.result.solved
    }
    /// The placements, in learner order.
    pub fn placements(&self) -> Placements<'_> {
        Placements::new(&self.plan.season, &self.plan.candidates, &self.result.solved.assignment)
            .with_mentors(&self.mentors)
    }
    /// Every learner whose placement changed (moved, gained, lost).
    pub fn changes(&self) -> &[PlacementChange] {
        &self.result.changes
    }
    /// Learners placed at the same site as before.
    pub fn kept(&self) -> usize {
        self.result.kept
    }
    /// Why each unplaced learner is unplaced.
    pub fn unplaced(&self) -> &[(LearnerId, Unplaced)] {
        &self.result.reasons
    }
    /// The outcome rows to hand on to the next season: the season's own
    /// `outcomes.csv` rows and an `ended_early` row, labelled `season_label`,
    /// per agreement that ended; `None` when there are none
    /// ([`dualmatch_optimiser::rematch::outcomes_after`]).
    pub fn outcomes(&self, season_label: &str) -> Option<Vec<dualmatch_core::season::OutcomeRec>> {
        dualmatch_optimiser::rematch::outcomes_after(&self.plan.season, &self.plan.ended, season_label)
    }
    /// With `allow_moves`: the moves made, the bound and the gap.
    pub fn moves(&self) -> Option<&MovesReport> {
        self.result.moves.as_ref()
    }
    /// The waiting list and recruitment advice, when asked for, the
    /// result has seat values (max-fit without moves) and the advice models
    /// the season ([`Self::advice_unmodelled`]).
    pub fn advice(&self) -> Option<&Result<Advice, AdviceError>> {
        self.advice.as_ref()
    }
    /// What the season has that the advice does not model
    /// ([`crate::run::advice_unmodelled`]).
    pub fn advice_unmodelled(&self) -> Option<String> {
        crate::run::advice_unmodelled(&self.plan.season, &self.plan.constraints)
    }
}

impl Engine<'_> {
    /// Re-matches the engine's season after `changes`, keeping every
    /// placement of `previous` that is still valid (or moving at most
    /// `allow_moves` of them when that raises the total). The engine's
    /// weights score the changed season; its policy and constraints do not
    /// apply (a re-match is max-fit or max-placed around the pins).
    ///
    /// ```no_run
    /// use dualmatch::{read_previous, Engine, RematchOptions, Season};
    /// let season = Season::load("data/sample")?;
    /// let engine = Engine::new(&season);
    /// let previous = read_previous(std::path::Path::new("results"))?;
    /// let changes = engine.parse_changes("event,learner,workplace,programme,seats\nlearner_left,L000001,,,\n", "changes.csv")?;
    /// let r = engine.rematch(&previous, &changes, RematchOptions::default())?;
    /// println!("{} kept, {} changed", r.kept(), r.changes().len());
    /// # Ok::<(), dualmatch::Error>(())
    /// ```
    pub fn rematch(
        &self,
        previous: &[PreviousPlacement],
        changes: &[Change],
        options: RematchOptions,
    ) -> Result<Rematch, Error> {
        self.install(|| {
            let plan = RematchPlan::new(self.season(), self.weights_ref(), self.max_pairs_ref(), previous, changes)
                .map_err(Error::TooManyPairs)?;
            let model = plan.model().map_err(|inf| Error::Internal(inf.describe(&plan.season).join("; ")))?;
            let result = plan.solve(&model, options.objective, options.allow_moves).map_err(Error::Infeasible)?;
            // With moves allowed, pins are kept placements: checked as such.
            let checked = if options.allow_moves.is_some() {
                result.solved.assignment.check(&model.soften_pins())
            } else {
                result.solved.assignment.check(&model)
            };
            checked.map_err(Error::Internal)?;
            let modelled = crate::run::advice_unmodelled(model.season, model.constraints).is_none();
            let advice = (options.advice && modelled && result.solved.duals.is_some())
                .then(|| advice::compute(&model, &result.solved));
            let rank = dualmatch_optimiser::metrics::rank_profile(&model, &result.solved.assignment);
            let mentors =
                dualmatch_optimiser::mentors::assign(&model, &result.solved.assignment).map_err(Error::Internal)?;
            drop(model);
            Ok(Rematch { plan, result, advice, rank, mentors })
        })?
    }
}

/// Reads the placements of an earlier result directory (its
/// `placements.csv`: columns learner, workplace, programme), in any CSV
/// dialect a spreadsheet program writes.
pub fn read_previous(dir: &Path) -> Result<Vec<PreviousPlacement>, Error> {
    let path = dir.join("placements.csv");
    let bytes = std::fs::read(&path).map_err(|e| {
        Error::Previous(format!(
            "{}: cannot read ({e}); --previous must be a result directory of `dualmatch match`",
            path.display()
        ))
    })?;
    // Also as a spreadsheet program saved it again (see dualmatch_core::dialect).
    let (text, _) = dualmatch_core::dialect::decode_whole(&bytes);
    let dialect = dualmatch_core::dialect::Dialect::sniff(text.as_bytes(), &["learner", "workplace", "programme"]);
    let mut rdr = csv::ReaderBuilder::new().delimiter(dialect.delimiter).from_reader(text.as_bytes());
    let h = rdr.headers().map_err(|e| Error::Previous(format!("{}: {e}", path.display())))?.clone();
    let col = |n: &str| h.iter().position(|x| x == n);
    let (Some(l), Some(w), Some(p)) = (col("learner"), col("workplace"), col("programme")) else {
        return Err(Error::Previous(format!("{}: needs columns learner, workplace, programme", path.display())));
    };
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| Error::Previous(format!("{}:{}: {e}", path.display(), i + 2)))?;
        out.push(PreviousPlacement {
            learner: rec[l].to_string(),
            workplace: rec[w].to_string(),
            programme: rec[p].to_string(),
        });
    }
    Ok(out)
}
