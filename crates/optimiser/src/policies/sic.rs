//! Stable improvement cycles (Erdil and Ergin, 2008), after a stable
//! assignment such as learner-proposing deferred acceptance.
//!
//! Deferred acceptance breaks the workplaces' ties (equal scores, `=` in a
//! list) by a lottery, and that can cost learners: another stable assignment
//! may be better for some learners and worse for none. Improvement cycles
//! find it. With weak ranks (the stable reading, [`super::prefs`]):
//!
//! - learner `v` *desires* site `w` when she ranks an acceptable arc to `w`
//!   strictly above what she holds (and is not pinned);
//! - `D(w)` is the set of learners who desire `w` that `w` ranks highest
//!   (weakly) among all who desire it;
//! - the graph has an edge `u → v` between placed, unpinned learners when `v`
//!   is in `D(site of u)` and `v`'s arc there uses the same recognition and
//!   the same lane (reserved or unreserved seats) as `u`'s: `v` can take
//!   `u`'s seat.
//!
//! A cycle `u1 → u2 → … → uk → u1` moves each `u(i+1)` to `u(i)`'s seat
//! (and `u1` to `uk`'s). Every learner on it gets something she strictly
//! prefers; every recognition, lane, site and school keeps its count, so every
//! limit holds. Stability holds too: a learner `d` who desires a seat's site
//! after the cycle desired it before (nobody else changed, and those who
//! moved improved), and the seat's new holder is in `D(w)`, so ranked at
//! least as high as `d`; a scope that did not make `d` block before does not
//! now. Cycles are applied until none is left (the lowest learner index
//! first, so the result is deterministic). The result is stable and weakly
//! better for every learner. Restricting trades to the same recognition and
//! lane keeps the nested limits exact; within one recognition it is Erdil
//! and Ergin's procedure.

use dualmatch_core::LearnerId;

use super::arc_of;
use super::prefs::{Prefs, UNRANKED};
use crate::model::{Assignment, ModelArc, PlacementModel};

/// `a` improved by stable improvement cycles (see the module documentation).
/// An assignment that uses a pair that is not a usable arc is returned
/// unchanged.
pub fn stable_improve(m: &PlacementModel, p: &Prefs, a: &Assignment) -> Assignment {
    let s = m.season;
    let n = m.learner_count();
    let nw = s.workplaces().len();
    let mut cur: Vec<Option<usize>> = a.by_learner().map(|(l, c)| c.and_then(|c| arc_of(m, l, c.index()))).collect();
    if cur.iter().zip(a.by_learner()).any(|(x, (_, y))| x.is_none() && y.is_some()) {
        return a.clone();
    }
    let lane = |l: LearnerId, x: usize| (m.arc_group(x), m.takes_open_seat(l, m.arc_group(x)));
    loop {
        // D(w): the desirers' arcs with the best site rank.
        let mut best = vec![UNRANKED; nw];
        let mut top: Vec<Vec<usize>> = vec![Vec::new(); nw];
        for li in 0..n {
            let l = LearnerId::from_index(li);
            if m.pinned(l).is_some() {
                continue;
            }
            let mine = p.held_weak(l, cur[li]);
            for &x in p.list(l) {
                let x = x as usize;
                if p.learner_weak(x) >= mine {
                    break; // the list is best first
                }
                let w = p.site(x).index();
                let r = p.site_weak(x);
                if r < best[w] {
                    best[w] = r;
                    top[w].clear();
                }
                if r == best[w] {
                    top[w].push(x);
                }
            }
        }
        // Seats that can be traded: placed, unpinned learners.
        let movable = |l: usize| cur[l].is_some() && m.pinned(LearnerId::from_index(l)).is_none();
        let succ = |u: usize| -> Vec<usize> {
            let x = cur[u].expect("placed");
            let key = lane(LearnerId::from_index(u), x);
            top[p.site(x).index()]
                .iter()
                .filter(|&&y| {
                    let v = p.learner(y);
                    v.index() != u && movable(v.index()) && lane(v, y) == key
                })
                .map(|&y| p.learner(y).index())
                .collect()
        };
        let Some(cycle) = find_cycle(n, &movable, &succ) else { break };
        // Edge u → v: v takes u's seat (the same recognition and lane at u's site).
        let seats: Vec<usize> = cycle.iter().map(|&u| cur[u].expect("placed")).collect();
        for k in 0..cycle.len() {
            let v = cycle[(k + 1) % cycle.len()];
            let site = p.site(seats[k]);
            let y = p
                .list(LearnerId::from_index(v))
                .iter()
                .map(|&y| y as usize)
                .find(|&y| p.site(y) == site)
                .expect("v desires the site");
            cur[v] = Some(y);
        }
    }
    Assignment::from_candidates(cur.into_iter().map(|x| x.map(|x| m.candidate_of(ModelArc::from_index(x)))))
}

/// The first cycle (in learner order) of the graph on the nodes `0..n` with
/// `keep`, by iterative depth-first search: the nodes of the cycle in edge
/// order.
fn find_cycle(n: usize, keep: &dyn Fn(usize) -> bool, succ: &dyn Fn(usize) -> Vec<usize>) -> Option<Vec<usize>> {
    // 0 unvisited, 1 on the stack, 2 finished.
    let mut colour = vec![0u8; n];
    for root in 0..n {
        if colour[root] != 0 || !keep(root) {
            continue;
        }
        let mut stack: Vec<(usize, Vec<usize>, usize)> = vec![(root, succ(root), 0)];
        colour[root] = 1;
        while let Some(top) = stack.last_mut() {
            let (u, next, i) = (top.0, &top.1, top.2);
            if i == next.len() {
                colour[u] = 2;
                stack.pop();
                continue;
            }
            let v = next[i];
            top.2 += 1;
            match colour[v] {
                0 => {
                    colour[v] = 1;
                    stack.push((v, succ(v), 0));
                }
                1 => {
                    let from = stack.iter().position(|e| e.0 == v).expect("on the stack");
                    return Some(stack[from..].iter().map(|e| e.0).collect());
                }
                _ => {}
            }
        }
    }
    None
}
