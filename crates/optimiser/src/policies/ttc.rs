//! Top trading cycles (Shapley and Scarf; Abdulkadiroğlu and Sönmez's
//! school-choice form): learners hold the priorities the workplaces' lists
//! give them.
//!
//! Each remaining learner points to her best acceptable arc that still fits
//! (seats, unreserved seats, site capacity, school cap: the [`Ledger`]);
//! each site points to the remaining learner it ranks highest (strict ranks
//! of the stable reading, ties broken by the lottery) among those whose arc
//! to it still fits. A cycle learner → site → learner → … is carried out:
//! every learner on it gets the arc she points to. A learner with no arc that
//! fits leaves. Every limit only tightens, so pointers only move forward:
//! the walk follows pointers from a learner until it meets its own path (a
//! cycle), which takes `O(arcs + learners · cycle length)` in all.
//!
//! Pinned learners are placed first and never move. The result is
//! Pareto-efficient for learners among the outcomes of the market's trades
//! and strategy-proof for learners (in the unconstrained model); it is not
//! stable in general.

use dualmatch_core::{LearnerId, WorkplaceId};

use super::ledger::Ledger;
use super::pins_infeasible;
use super::prefs::Prefs;
use crate::infeasible::Infeasible;
use crate::model::{Assignment, PlacementModel};

/// TTC on the strict ranks of `p` (see the module documentation).
pub(crate) fn ttc(m: &PlacementModel, p: &Prefs) -> Result<Assignment, Infeasible> {
    let nl = m.learner_count();
    let nw = m.season.workplaces().len();
    let mut led = Ledger::new(m);
    if !led.place_pins() {
        return Err(pins_infeasible(m));
    }
    // done: placed, pinned, or left.
    let mut done: Vec<bool> = (0..nl).map(|l| m.pinned(LearnerId::from_index(l)).is_some()).collect();
    let mut next = vec![0usize; nl];
    // Per site: its acceptable arcs of unpinned learners, best first.
    let mut by_site: Vec<Vec<u32>> = vec![Vec::new(); nw];
    for a in 0..m.arc_count() {
        if p.acceptable(a) && !done[p.learner(a).index()] {
            by_site[p.site(a).index()].push(a as u32);
        }
    }
    for v in &mut by_site {
        v.sort_by_key(|&a| p.site_strict(a as usize));
    }
    let mut head = vec![0usize; nw];
    // The best arc of `l` that fits, advancing past those that no longer do.
    let learner_points = |l: LearnerId, next: &mut [usize], led: &Ledger| -> Option<usize> {
        let list = p.list(l);
        while let Some(&a) = list.get(next[l.index()]) {
            if led.fits(l, a as usize) {
                return Some(a as usize);
            }
            next[l.index()] += 1;
        }
        None
    };
    // The learner site `w` ranks highest among the remaining ones whose arc fits.
    let site_points = |w: WorkplaceId, head: &mut [usize], done: &[bool], led: &Ledger| -> Option<LearnerId> {
        let arcs = &by_site[w.index()];
        while let Some(&a) = arcs.get(head[w.index()]) {
            let l = p.learner(a as usize);
            if !done[l.index()] && led.fits(l, a as usize) {
                return Some(l);
            }
            head[w.index()] += 1;
        }
        None
    };
    let mut on_path = vec![false; nl];
    let mut path: Vec<(LearnerId, usize)> = Vec::new();
    // Walks until every learner is placed or has left; a learner of a
    // partly traded cycle (a shared school cap) is met by the next sweep.
    // Every walk trades or retires at least one arc, so this ends.
    while (0..nl).any(|l| !done[l]) {
        for start in 0..nl {
            if done[start] {
                continue;
            }
            path.clear();
            let l0 = LearnerId::from_index(start);
            on_path[start] = true;
            path.push((l0, usize::MAX));
            while let Some(&(l, _)) = path.last() {
                let Some(a) = learner_points(l, &mut next, &led) else {
                    done[l.index()] = true;
                    on_path[l.index()] = false;
                    path.pop();
                    continue;
                };
                let top = path.len() - 1;
                path[top].1 = a;
                let next_l = site_points(p.site(a), &mut head, &done, &led).expect("l's own arc fits");
                if !on_path[next_l.index()] {
                    on_path[next_l.index()] = true;
                    path.push((next_l, usize::MAX));
                    continue;
                }
                // A cycle from next_l to the top: check every link is current
                // (limits may have moved since it was made), then trade.
                let from = path.iter().position(|&(x, _)| x == next_l).expect("on the path");
                let mut stale = None;
                for k in from..path.len() {
                    let (x, arc) = path[k];
                    let succ = if k + 1 < path.len() { path[k + 1].0 } else { next_l };
                    if learner_points(x, &mut next, &led) != Some(arc)
                        || site_points(p.site(arc), &mut head, &done, &led) != Some(succ)
                    {
                        stale = Some(k);
                        break;
                    }
                }
                if let Some(k) = stale {
                    for &(x, _) in &path[k + 1..] {
                        on_path[x.index()] = false;
                    }
                    path.truncate(k + 1);
                    continue;
                }
                // Trade, one learner at a time: a school cap shared by learners of
                // the cycle may stop a later one; she then leaves the path and
                // the walk goes on from the rest.
                for &(x, arc) in &path[from..] {
                    if !led.fits(x, arc) {
                        break;
                    }
                    led.add(x, arc);
                    done[x.index()] = true;
                }
                for &(x, _) in &path[from..] {
                    on_path[x.index()] = false;
                }
                path.truncate(from);
            }
        }
    }
    Ok(led.assignment())
}
