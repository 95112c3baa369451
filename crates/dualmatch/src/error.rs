//! [`Error`]: everything that can stop the engine, typed, with the
//! unsolvable case as data.

use dualmatch_core::season::LoadError;
use dualmatch_optimiser::changes::ChangesError;
use dualmatch_optimiser::constraints::ConstraintErrors;
use dualmatch_optimiser::{Infeasible, SolveError};

/// Why the engine gave no result.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A season could not be read or has errors (every problem with its file, line and field).
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A constraints file has errors (each with its file, line and field).
    #[error("{0}")]
    Constraints(#[from] ConstraintErrors),
    /// A changes file has errors (each with its file and line).
    #[error("{0}")]
    Changes(#[from] ChangesError),
    /// An earlier result's placements could not be read.
    #[error("{0}")]
    Previous(String),
    /// The constraints cannot all be met; the conflicts, as data
    /// ([`Infeasible::describe`] words them).
    #[error("the constraints cannot all be met")]
    Infeasible(Infeasible),
    /// The policy cannot honour a constraint that is set (a school floor
    /// or a minimum group size under a policy that does not aim for them).
    #[error("policy {policy} cannot guarantee school floors or minimum group sizes, but the constraints set {floors} of them; use --policy max-fit, max-placed or fair-share, which meet them (rank-maximal, max-size-min-cost, greedy-max and generous-max meet school floors but not minimum group sizes), or remove them")]
    Unsupported {
        /// The policy.
        policy: dualmatch_optimiser::Policy,
        /// How many school floors and minimum group sizes (`[[site]]`) are set.
        floors: usize,
    },
    /// The policy cannot keep short lines (`[[school]] max_sites`,
    /// `new_site_penalty`) that are set: only the exact policies do.
    #[error("policy {policy}{how} cannot keep short lines, but the constraints set them for {schools} school(s); use --policy max-fit or max-placed without --improve, which solve them exactly, or remove max_sites and new_site_penalty", how = if *improve { " with --improve" } else { "" })]
    ShortLinesUnsupported {
        /// The policy.
        policy: dualmatch_optimiser::Policy,
        /// Whether the result was to be improved afterwards (`--improve`).
        improve: bool,
        /// How many schools have short lines.
        schools: usize,
    },
    /// The season has mentors or rhythms, which the policy (or the
    /// improvement after it) does not honour.
    #[error("{} does not honour mentors (mentors.csv) or rhythms; use one of the policies that do (they give every learner a mentor and count seats day by day): {}, without --improve", if *.improve { "--improve".to_string() } else { format!("policy {policy}") }, dualmatch_optimiser::policies::mentor_policies())]
    MentorsUnsupported {
        /// The policy.
        policy: dualmatch_optimiser::Policy,
        /// Whether the result was to be improved afterwards (`--improve`).
        improve: bool,
    },
    /// A sharded match was asked of a policy or model that does not split
    /// into independent components.
    #[error("policy {policy} cannot be sharded: {why}; shard with --policy max-fit or max-placed (without --improve or --solver lp), or run the match unsharded")]
    NotShardable {
        /// The policy.
        policy: dualmatch_optimiser::Policy,
        /// Why not.
        why: String,
    },
    /// Scoring would make more candidate pairs than the budget allows
    /// (checked before any pair is made).
    #[error("{0}; lower the learners' max_commute_km, or supply scored pairs instead (candidates.csv in the season, or `match --candidates FILE`), or raise --max-pairs above {budget} if this machine has the memory (nothing was written)", budget = .0.budget)]
    TooManyPairs(dualmatch_core::scoring::TooManyPairs),
    /// No learner with this id.
    #[error("no learner {0:?} in the season")]
    UnknownLearner(String),
    /// The requested thread count could not be set up.
    #[error("cannot use {threads} threads: {reason}")]
    Threads {
        /// The thread count asked for.
        threads: usize,
        /// Why the pool could not be built.
        reason: String,
    },
    /// The LP back-end failed (a solver failure, not the data).
    #[error("the LP solver failed ({0}); run again without --solver lp")]
    Lp(String),
    /// A result broke the model's constraints: a bug in dualmatch, never the data.
    #[error("internal error: infeasible result: {0}")]
    Internal(String),
}

impl From<SolveError> for Error {
    fn from(e: SolveError) -> Self {
        match e {
            SolveError::Infeasible(inf) => Error::Infeasible(inf),
            SolveError::Lp(msg) => Error::Lp(msg),
        }
    }
}

impl Error {
    /// True when the user can fix the cause by changing the input or the
    /// options (exit code 2 on the command line); false for infeasibility
    /// and internal failures.
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            Error::Load(_)
                | Error::Constraints(_)
                | Error::Changes(_)
                | Error::Previous(_)
                | Error::UnknownLearner(_)
                | Error::Unsupported { .. }
                | Error::ShortLinesUnsupported { .. }
                | Error::MentorsUnsupported { .. }
                | Error::NotShardable { .. }
                | Error::TooManyPairs(_)
        )
    }
}
