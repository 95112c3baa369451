//! Rhythms: learners at the workplace on different days share seats.
//!
//! When the learners of a component have different rhythms
//! ([`dualmatch_core::rhythm`]), a recognition's `seats` bounds the learners
//! of that site and programme present on any one day, and a site's
//! `capacity` all its learners present on any one day; a mentor's
//! `max_learners` still counts learners, whatever their days. That is not a
//! network, so the component is solved exactly as a mixed-integer model
//! ([`crate::mip`], whose rows are then per day, see
//! [`crate::lp`]) with the bound and the gap, within the time limit. A
//! component whose learners all have the same rhythm is the whole-week
//! model and stays on the network path.

use std::time::Duration;

use crate::infeasible::Conflict;
use crate::mip::{Goal, MipError, MipProblem, MipSolution};
use crate::model::PlacementModel;
use crate::network::Component;

/// Solves a component whose learners have different rhythms.
pub(crate) fn solve_component(
    m: &PlacementModel,
    c: &Component,
    goal: Goal,
    limit: Option<Duration>,
    short: bool,
) -> Result<MipSolution, Conflict> {
    let mut problem = MipProblem::new(m, c.learners.clone());
    if short {
        problem = crate::short_lines::attach(m, &c.learners, problem);
    }
    match problem.solve(goal, limit) {
        Ok(sol) => Ok(sol),
        Err(MipError::Infeasible) => Err(Conflict::Solver(format!(
            "the school floors, pins, site minimums or max_sites of {} learners with different rhythms cannot \
             all be met with per-day seats and the mentors' workloads",
            c.learners.len()
        ))),
        Err(e) => Err(Conflict::Solver(e.to_string())),
    }
}
