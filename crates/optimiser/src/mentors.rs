//! Mentors (`mentors.csv`): who guides whom, and the checks of a placement
//! against mentors and rhythms.
//!
//! The solvers only make sure that a mentor can be found for every learner
//! placed at a site with mentors (on the network path through mentor nodes,
//! see [`crate::network`]; on the mixed-integer path through one
//! continuous variable per (recognition, days, mentor), which is exact, see
//! [`crate::mip`]). Which mentor guides whom is then
//! chosen here, site by site, as a small flow problem: learners (in learner
//! order) to the mentors who can guide them (recognised for the learner's
//! programme and present on all the learner's days), each mentor within
//! `max_learners`, preferring mentors in file order (earlier learners first). The choice is
//! deterministic, and it exists exactly when the placement honours the
//! mentors, so [`assign`] is also the check.

use dualmatch_core::rhythm::{Days, SLOTS};
use dualmatch_core::{LearnerId, MentorId, Season, WorkplaceId};

use crate::flow::{Network, NodeId};
use crate::model::{Assignment, PlacementModel};

/// The mentors of the placed learners at sites with mentors (`None`:
/// unplaced, or placed at a site without mentors), or why no mentor can be
/// found for every learner of some site.
pub fn assign(m: &PlacementModel, a: &Assignment) -> Result<Vec<Option<MentorId>>, String> {
    let s = m.season;
    let mut out = vec![None; m.learner_count()];
    if s.mentors().is_empty() {
        return Ok(out);
    }
    let mut at: Vec<Vec<LearnerId>> = vec![Vec::new(); s.workplaces().len()];
    for (l, c) in a.placements() {
        let w = s.group(m.candidates.group_of(c)).workplace;
        if !s.mentors_of_workplace(w).is_empty() {
            at[w.index()].push(l);
        }
    }
    for (wi, learners) in at.iter().enumerate() {
        if learners.is_empty() {
            continue;
        }
        let w = WorkplaceId::from_index(wi);
        for (l, k) in site(s, w, learners)? {
            out[l.index()] = Some(k);
        }
    }
    Ok(out)
}

/// A mentor for each of `learners` at site `w`, or why there is none.
fn site(s: &Season, w: WorkplaceId, learners: &[LearnerId]) -> Result<Vec<(LearnerId, MentorId)>, String> {
    let mentors = s.mentors_of_workplace(w);
    let mut net = Network::with_capacity(learners.len() + mentors.len() + 1, learners.len() * 2 + mentors.len());
    let sink = net.add_node(-(learners.len() as i64));
    let mentor_node: Vec<NodeId> = mentors
        .iter()
        .map(|&k| {
            let v = net.add_node(0);
            net.add_arc(v, sink, 0, i64::from(s.mentor(k).max_learners), 0);
            v
        })
        .collect();
    let mut arcs = Vec::new();
    // Earlier learners weigh more: they get the earlier mentors.
    let n = learners.len() as i64;
    for (j, &l) in learners.iter().enumerate() {
        let v = net.add_node(1);
        let learner = s.learner(l);
        for (i, &k) in mentors.iter().enumerate() {
            if s.mentor(k).can_guide(learner.programme, s.days_of(l)) {
                arcs.push((net.add_arc(v, mentor_node[i], 0, 1, i as i64 * (n - j as i64)), l, k));
            }
        }
    }
    let sol = net.solve().map_err(|_| {
        format!("{} learners placed at {} cannot all be given a mentor", learners.len(), s.workplace(w).id)
    })?;
    Ok(arcs.into_iter().filter(|(id, _, _)| sol.flow(*id) > 0).map(|(_, l, k)| (l, k)).collect())
}

/// Checks seats and capacities day by day: on every day of the cycle, the
/// learners of a recognition present at the site are at most its seats, and
/// all the site's learners present at most its capacity.
pub fn check_days(m: &PlacementModel, a: &Assignment) -> Result<(), String> {
    let s = m.season;
    let mut per_group = vec![[0u32; SLOTS]; s.groups().len()];
    let mut per_wp = vec![[0u32; SLOTS]; s.workplaces().len()];
    for (l, c) in a.placements() {
        let g = m.candidates.group_of(c);
        let w = s.group(g).workplace;
        for d in s.days_of(l).slots() {
            per_group[g.index()][d] += 1;
            per_wp[w.index()][d] += 1;
        }
    }
    for (gi, g) in s.groups().iter().enumerate() {
        if let Some(d) = (0..SLOTS).find(|&d| per_group[gi][d] > g.seats) {
            return Err(format!(
                "{} present at {}/{} on {} with {} seats",
                per_group[gi][d],
                s.workplace(g.workplace).id,
                s.programme(g.programme).id,
                Days::slot_name(d),
                g.seats
            ));
        }
    }
    for (wi, w) in s.workplaces().iter().enumerate() {
        let Some(cap) = w.capacity else { continue };
        if let Some(d) = (0..SLOTS).find(|&d| per_wp[wi][d] > cap) {
            return Err(format!("{} present at {} on {} with capacity {cap}", per_wp[wi][d], w.id, Days::slot_name(d)));
        }
    }
    Ok(())
}
