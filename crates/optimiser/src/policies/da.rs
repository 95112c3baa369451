//! Deferred acceptance with recognitions (seats) nested in sites (capacity)
//! and reserved seats nested in recognitions.
//!
//! A site's choice from a set of learners is greedy in its (strict) ranking
//! subject to three nested limits: the unreserved seats of a recognition (for
//! learners outside its priority group), the recognition's seats, and the
//! site's capacity. The limits are laminar, so the choice is substitutable:
//! deferred acceptance gives a stable matching, learner-optimal when learners
//! propose and workplace-optimal when workplaces do. When one learner too many
//! is held, the learner rejected is the worst in the innermost limit that
//! overflows (the unique circuit of the laminar matroid). Pinned learners are
//! placed first and never displaced; school floors and caps are not used.

use std::collections::VecDeque;

use dualmatch_core::LearnerId;

use super::ledger::Ledger;
use super::pins_infeasible;
use super::prefs::Prefs;
use crate::infeasible::Infeasible;
use crate::model::{Assignment, PlacementModel};

/// Learner-proposing deferred acceptance on the strict ranks of `p`.
pub(crate) fn learner_proposing(m: &PlacementModel, p: &Prefs) -> Result<Assignment, Infeasible> {
    let s = m.season;
    let mut led = Ledger::new(m);
    if !led.place_pins() {
        return Err(pins_infeasible(m));
    }
    let n = m.learner_count();
    let mut held: Vec<Vec<u32>> = vec![Vec::new(); s.workplaces().len()];
    let mut next = vec![0usize; n];
    let mut free: Vec<LearnerId> =
        (0..n).rev().map(LearnerId::from_index).filter(|&l| m.pinned(l).is_none() && !p.list(l).is_empty()).collect();
    while let Some(l) = free.pop() {
        let list = p.list(l);
        while next[l.index()] < list.len() {
            let a = list[next[l.index()]] as usize;
            next[l.index()] += 1;
            let g = m.arc_group(a);
            let grp = s.group(g);
            let w = grp.workplace;
            led.add(l, a);
            held[w.index()].push(a as u32);
            // The innermost limit that overflows: 0 unreserved seats, 1 seats, 2 capacity.
            let scope = if led.is_open_lane(l, a) && led.open[g.index()] > led.open_limit(a) {
                0
            } else if led.group[g.index()] > grp.seats {
                1
            } else if s.workplace(w).capacity.is_some_and(|c| led.site[w.index()] > c) {
                2
            } else {
                break;
            };
            let in_scope = |b: usize| match scope {
                0 => m.arc_group(b) == g && led.is_open_lane(p.learner(b), b),
                1 => m.arc_group(b) == g,
                _ => true,
            };
            let (k, worst) = held[w.index()]
                .iter()
                .enumerate()
                .filter(|(_, &b)| in_scope(b as usize))
                .max_by_key(|(_, &b)| p.site_strict(b as usize))
                .map(|(k, &b)| (k, b as usize))
                .expect("the new arc is in the overflowing set");
            held[w.index()].swap_remove(k);
            let loser = p.learner(worst);
            led.remove(loser, worst);
            if loser != l {
                free.push(loser);
                break;
            }
        }
    }
    Ok(led.assignment())
}

/// One lane of a site: the learners of one recognition that use the same
/// limits (priority group or not), in the site's strict order.
struct Lane {
    arcs: Vec<u32>,
    ptr: usize,
}

/// Workplace-proposing deferred acceptance on the strict ranks of `p`.
pub(crate) fn workplace_proposing(m: &PlacementModel, p: &Prefs) -> Result<Assignment, Infeasible> {
    let s = m.season;
    let nw = s.workplaces().len();
    let mut led = Ledger::new(m);
    if !led.place_pins() {
        return Err(pins_infeasible(m));
    }
    // Lanes per site, keyed by (group, open lane).
    let mut lanes: Vec<Vec<((u32, bool), Lane)>> = (0..nw).map(|_| Vec::new()).collect();
    let mut by_site: Vec<Vec<u32>> = vec![Vec::new(); nw];
    for a in 0..m.arc_count() {
        let l = p.learner(a);
        if p.acceptable(a) && m.pinned(l).is_none() {
            by_site[p.site(a).index()].push(a as u32);
        }
    }
    for (wi, arcs) in by_site.iter_mut().enumerate() {
        arcs.sort_by_key(|&a| p.site_strict(a as usize));
        for &a in arcs.iter() {
            let key = (m.arc_group(a as usize).0, led.is_open_lane(p.learner(a as usize), a as usize));
            match lanes[wi].iter_mut().find(|(k, _)| *k == key) {
                Some((_, lane)) => lane.arcs.push(a),
                None => lanes[wi].push((key, Lane { arcs: vec![a], ptr: 0 })),
            }
        }
    }
    let mut queue: VecDeque<usize> = (0..nw).collect();
    let mut queued = vec![true; nw];
    while let Some(wi) = queue.pop_front() {
        queued[wi] = false;
        let cap = s.workplaces()[wi].capacity;
        loop {
            if cap.is_some_and(|c| led.site[wi] >= c) {
                break;
            }
            // The best head among lanes with room.
            let mut best: Option<(u32, usize)> = None;
            for (li, (_, lane)) in lanes[wi].iter().enumerate() {
                let Some(&a) = lane.arcs.get(lane.ptr) else { continue };
                let a = a as usize;
                let g = m.arc_group(a);
                if led.group[g.index()] >= s.group(g).seats {
                    continue;
                }
                if led.is_open_lane(p.learner(a), a) && led.open[g.index()] >= led.open_limit(a) {
                    continue;
                }
                let r = p.site_strict(a);
                if best.is_none_or(|(br, _)| r < br) {
                    best = Some((r, li));
                }
            }
            let Some((_, li)) = best else { break };
            let lane = &mut lanes[wi][li].1;
            let a = lane.arcs[lane.ptr] as usize;
            lane.ptr += 1;
            let l = p.learner(a);
            match led.held[l.index()] {
                Some(b) if p.learner_strict(b as usize) < p.learner_strict(a) => continue,
                Some(b) => {
                    let b = b as usize;
                    led.remove(l, b);
                    let w2 = p.site(b).index();
                    if !queued[w2] {
                        queued[w2] = true;
                        queue.push_back(w2);
                    }
                }
                None => {}
            }
            led.add(l, a);
        }
    }
    Ok(led.assignment())
}
