//! dualmatch: placement matching for dual learning, as a library.
//!
//! This crate is the engine's one façade. The `dualmatch` command line, the
//! Python package and sharded cluster runs are doors onto it; none of them
//! holds domain logic of its own. From a season on disk to placements:
//!
//! ```no_run
//! use dualmatch::{Engine, Policy, Season};
//! let season = Season::load("data/sample")?;
//! let run = Engine::new(&season).policy(Policy::MaxFit).solve()?;
//! for p in run.placements() {
//!     println!("{} → {} ({}) {:.1}", p.learner_id(), p.workplace_id(), p.programme_id(), p.score());
//! }
//! # Ok::<(), dualmatch::Error>(())
//! ```
//!
//! The same [`Engine`] re-matches during the season ([`Engine::rematch`]),
//! compares policies ([`Engine::compare`]), explains a learner's candidates
//! ([`Engine::explain`]), and a max-fit [`Run`] gives the waiting list and
//! recruitment advice ([`Run::advice`]). Sharded runs on a cluster
//! ([`shard`]: `Engine::compare_share`, `Engine::solve_share`,
//! `Engine::assemble`) split a comparison or a season's independent
//! components over processes and put the parts back together into the
//! single run's result.
//!
//! Architecture invariant: this crate only composes `dualmatch-core` (the
//! season, scoring) and `dualmatch-optimiser` (model, solvers, policies); it
//! adds orchestration, typed views and errors, never an algorithm. Its only
//! I/O is reading the files it is pointed at (a season, an earlier result's
//! placements, a changes or constraints file).
#![deny(missing_docs)]

mod compare;
mod engine;
mod error;
mod rematch;
mod run;
pub mod shard;
mod verify;

pub use compare::{
    honouring_mentors, probabilities, probabilities_of, CompareRow, LearnerOdds, Probabilities, RankRun, SchoolRate,
};
pub use engine::{CandidateSource, Engine};
pub use error::Error;
pub use rematch::{read_previous, Rematch, RematchOptions};
pub use run::{advice_unmodelled, Placement, Placements, Run};
pub use verify::{Check, Verdict, Verification};

pub use dualmatch_core as core;
pub use dualmatch_optimiser as optimiser;

pub use dualmatch_core::rhythm::Days;
pub use dualmatch_core::scoring::{Candidates, Explanation, Weights};
pub use dualmatch_core::season::{Diagnostics, LoadError, Loaded};
pub use dualmatch_core::{GroupId, LearnerId, MentorId, ProgrammeId, SchoolId, Season, WorkplaceId};
pub use dualmatch_optimiser::advice::Advice;
pub use dualmatch_optimiser::changes::Change;
pub use dualmatch_optimiser::followup;
pub use dualmatch_optimiser::metrics::Metrics;
pub use dualmatch_optimiser::network::{Duals, Proof};
pub use dualmatch_optimiser::policies::{Improve, TieBreak};
pub use dualmatch_optimiser::rematch::{ChangeKind, PlacementChange, PreviousPlacement};
pub use dualmatch_optimiser::unplaced::Unplaced;
pub use dualmatch_optimiser::{Constraints, Infeasible, Objective, Policy, Solver};
