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
use dualmatch_core::LearnerId;

use crate::model::{ModelArc, PlacementModel};
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
    let start = if group_or_nobody(m, c) { None } else { whole_week_start(m, c, None) };
    if short {
        problem = crate::short_lines::attach(m, &c.learners, problem);
        // Under `max_sites`, the whole-week network on each school's most
        // promising sites only ([`crate::short_lines::start_selection`]):
        // feasible per day and within every school's sites.
        let sel = start.and_then(|placed| crate::short_lines::start_selection(m, &c.learners, &placed));
        if let Some(start) = sel.and_then(|sel| whole_week_start(m, c, Some(&sel))) {
            problem = problem.start(start);
        }
    } else if let Some(start) = start {
        problem = problem.start(start);
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

/// A first placement for the solver: the component's optimum when every
/// learner takes a seat for the whole week and only mentors present every
/// day guide (the network path's model of the component, which is stricter
/// than the per-day one, so its placement is feasible here), or `None` when
/// that network is infeasible (floors or pins that need the shared days).
/// With `sel`, each learner keeps only the arcs it lists.
fn whole_week_start(
    m: &PlacementModel,
    c: &Component,
    sel: Option<&[Vec<ModelArc>]>,
) -> Option<Vec<(LearnerId, ModelArc)>> {
    let b = crate::network::build(m, c, 0, false, sel);
    let sol = b.net.solve().ok()?;
    Some(b.candidate_arcs.iter().filter(|(id, _, _)| sol.flow(*id) > 0).map(|(_, l, a)| (l, a)).collect())
}

/// Whether a site of the component takes "a group or nobody", which the
/// whole-week network leaves out (so its placement is no start then).
fn group_or_nobody(m: &PlacementModel, c: &Component) -> bool {
    c.workplaces.iter().any(|&w| m.constraints.site_minimum(w).is_some_and(|x| x.allow_empty))
}
