//! Pareto improvement for learners, exact: among all assignments that every
//! learner weakly prefers to the given one (by the weak ranks of the stable
//! reading; a placement off the learner's list is below every listed arc and
//! above being unplaced), find one minimising the sum of weak ranks (an
//! unplaced learner counts as worse than any rank). That is a min-cost flow.
//!
//! Guarantees: nobody is worse off; every placed learner stays placed; pinned
//! learners keep their pin; seats, unreserved seats, site capacities and
//! school caps hold (a cap already exceeded by the input is not tightened);
//! school floors still hold when they held before (placements per school only
//! grow). The result is Pareto-efficient for learners among all assignments
//! meeting the model's limits: no other one makes someone better off without
//! making someone worse off. Stability is not preserved (an improved stable
//! matching may have blocking pairs with respect to workplace rankings).
//! When the input breaks seats or capacity, it is returned unchanged.

use std::collections::HashMap;

use dualmatch_core::{GroupId, LearnerId};

use super::arc_of;
use super::prefs::Prefs;
use crate::flow::{Network, INF};
use crate::model::{Assignment, ModelArc, PlacementModel};

/// The improved assignment (see the module documentation).
pub fn pareto_improve(m: &PlacementModel, p: &Prefs, a: &Assignment) -> Assignment {
    let s = m.season;
    let n = m.learner_count();
    let current: Vec<Option<usize>> = a.by_learner().map(|(l, c)| c.and_then(|c| arc_of(m, l, c.index()))).collect();
    if current.iter().zip(a.by_learner()).any(|(x, (_, y))| x.is_none() && y.is_some()) {
        return a.clone();
    }
    let mut net = Network::new();
    let src = net.add_node(n as i64);
    let sink = net.add_node(-(n as i64));
    // Sites.
    let mut site_node = HashMap::new();
    for (wi, w) in s.workplaces().iter().enumerate() {
        let v = net.add_node(0);
        net.add_arc(v, sink, 0, w.capacity.map_or(INF, i64::from), 0);
        site_node.insert(wi, v);
    }
    let mut group_node = Vec::with_capacity(s.groups().len());
    let mut open_node = Vec::with_capacity(s.groups().len());
    for (gi, g) in s.groups().iter().enumerate() {
        let v = net.add_node(0);
        net.add_arc(v, site_node[&g.workplace.index()], 0, i64::from(g.seats), 0);
        group_node.push(v);
        open_node.push(m.open_seats(GroupId::from_index(gi)).map(|open| {
            let o = net.add_node(0);
            net.add_arc(o, v, 0, i64::from(open), 0);
            o
        }));
    }
    // School caps (never below what the input already has).
    let mut count = vec![0i64; m.constraints.school_bounds.len()];
    for li in 0..n {
        if let (Some(b), Some(_)) = (m.school_bound_of(LearnerId::from_index(li)), current[li]) {
            count[b] += 1;
        }
    }
    let bound_node: Vec<_> = m
        .constraints
        .school_bounds
        .iter()
        .enumerate()
        .map(|(bi, b)| {
            let v = net.add_node(0);
            let hi = if b.max == u32::MAX { INF } else { i64::from(b.max).max(count[bi]) };
            net.add_arc(src, v, 0, hi, 0);
            v
        })
        .collect();
    let mut worst = 0i64;
    let mut arcs = Vec::new();
    for li in 0..n {
        let l = LearnerId::from_index(li);
        let v = net.add_node(0);
        let from = m.school_bound_of(l).map_or(src, |b| bound_node[b]);
        net.add_arc(from, v, i64::from(current[li].is_some()), 1, 0);
        let mine = p.held_weak(l, current[li]);
        let allowed: Vec<usize> = if m.pinned(l).is_some() {
            current[li].into_iter().collect()
        } else {
            let mut v: Vec<usize> =
                p.list(l).iter().map(|&x| x as usize).filter(|&x| p.learner_weak(x) <= mine).collect();
            if let Some(c) = current[li] {
                if !p.acceptable(c) {
                    v.push(c);
                }
            }
            v
        };
        worst = worst.max(p.list(l).len() as i64 + 1);
        for x in allowed {
            let g = m.arc_group(x);
            let to = match open_node[g.index()] {
                Some(o) if m.takes_open_seat(l, g) => o,
                _ => group_node[g.index()],
            };
            let cost = i64::from(p.held_weak(l, Some(x)));
            arcs.push((l, x, net.add_arc(v, to, 0, 1, cost)));
        }
    }
    net.add_arc(src, sink, 0, INF, worst);
    let Ok(sol) = net.solve() else { return a.clone() };
    let mut placement = vec![None; n];
    for (l, x, id) in arcs {
        if sol.flow(id) > 0 {
            placement[l.index()] = Some(m.candidate_of(ModelArc::from_index(x)));
        }
    }
    Assignment::from_candidates(placement)
}
