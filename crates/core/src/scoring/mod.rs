//! Fit scoring: which learner–site pairs are allowed at all (the gates), how
//! well each allowed pair fits (five components and a weighted score), the
//! candidate lists the optimiser works from, and explanations.
//!
//! ```text
//! Season ──SiteIndex (R-tree per programme)──► radius query per learner
//!        ──gates (check_pair)──► eligible pairs ──components × Weights──► Candidates (CSR)
//! ```
//!
//! - Gates ([`check_pair`]): screening passed, recognised for the learner's
//!   programme with a seat (and capacity not 0), every required tag held,
//!   readiness at least the site's minimum, great-circle distance at most the
//!   learner's longest commute. Hard: a pair that fails one is never a candidate.
//! - Components ([`Components`]), each in `[0, 1]`: [`readiness_fit`],
//!   location ([`location_from_km`], or [`location_from_minutes`] with
//!   [`TravelTimes`]), [`capacity_fit`], [`partnership_fit`] (or
//!   [`continuity_fit`] for a school with history), [`preference_fit`]; and
//!   [`trust_fit`] only for a season with an `outcomes.csv`.
//! - Score ([`Weights::score`]): `100 * Σ w_i c_i / Σ w_i`, 0 to 100.
//! - [`Candidates::generate`] never looks at all learner × site pairs: sites
//!   are bucketed by programme in a 3-D R-tree over unit vectors, and each
//!   learner queries a ball of [`crate::geo::chord_for_km`] radius.
//! - [`explain`] and [`no_candidate_reason`] say why.
//!
//! `docs/scoring.md` describes the formulas and defaults for users.

mod candidates;
mod components;
mod estimate;
mod explain;
mod gates;
mod index;
mod no_candidate;
mod weights;

#[cfg(test)]
mod tests;

pub use candidates::{Candidates, ComponentColumns};
pub use components::{
    bayes_rate, capacity_fit, continuity_fit, location_from_km, location_from_minutes, partnership_fit, preference_fit,
    preference_side, readiness_fit, trust_fit, Components, TravelTimes, COMPONENT_NAMES, CONTINUITY_FULL_YEARS,
    NEUTRAL_PREFERENCE, TRUST,
};
pub use estimate::{PairEstimate, TooManyPairs, BYTES_PER_PAIR, DEFAULT_MAX_PAIRS};
pub use explain::{explain, ExplainedCandidate, Explanation, RejectedSites, SiteReason};
pub use gates::{check_pair, Eligible, Rejection};
pub use index::SiteIndex;
pub use no_candidate::{no_candidate_reason, NoCandidateReason};
pub use weights::{TextPos, Weights, WeightsError};
