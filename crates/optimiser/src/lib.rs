//! dualmatch-optimiser: the placement model, its exact solvers and the
//! allocation policies.
//!
//! Data flows in one direction: a [`model::PlacementModel`] is built from a
//! season, scored candidates and [`constraints::Constraints`]; a solver turns
//! it into an [`model::Assignment`]:
//!
//! - [`network`]: the exact fast path, min-cost flow by network simplex
//!   ([`flow`]), independent components solved in parallel;
//! - [`lp`]: the same model as an LP through good_lp, the reference and the
//!   fallback for constraints that are not a network;
//! - [`rank`]: the rank-profile policies, exact by successive network phases.
//!
//! Architecture invariant: the optimiser reads the season only through
//! `dualmatch-core`'s validated types and never does I/O. An unsolvable case
//! is an [`infeasible::Infeasible`] value listing the conflicts, never a
//! solver string.
#![deny(missing_docs)]
// Index loops over parallel arrays (learners, groups, sites) read clearer than zips here.
#![allow(clippy::needless_range_loop)]

pub mod advice;
pub mod certificate;
pub mod changes;
pub mod constraints;
pub mod flow;
pub mod followup;
pub mod hr;
pub mod infeasible;
mod ints;
pub mod lagrange;
pub mod lp;
pub mod mentors;
pub mod metrics;
pub mod mip;
pub mod model;
pub mod moves;
pub mod network;
mod par;
pub mod policies;
pub mod rank;
pub mod rematch;
pub mod rhythm_advice;
pub mod rhythms;
pub mod short_lines;
pub mod solve;
pub mod unplaced;

pub use constraints::Constraints;
pub use infeasible::{Conflict, Infeasible};
pub use model::{Assignment, Objective, PlacementModel};
pub use policies::Policy;
pub use solve::{SolveError, SolveOptions, Solver};
