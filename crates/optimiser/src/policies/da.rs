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
//! placed first and never displaced.
//!
//! School caps (`[[school]] max`, per school and programme) are a quota on
//! the learners' side, across sites: [`with_school_caps`] keeps them by
//! truncating each capped school's learners, in the school's priority order,
//! until deferred acceptance places no more than the cap (see its
//! documentation for the priority, the stability it gives and why). School
//! floors are not aimed for: `policies::check_supported` refuses them.

use std::cmp::{Ordering, Reverse};
use std::collections::VecDeque;

use dualmatch_core::LearnerId;

use super::ledger::{Ledger, Overflow};
use super::pins_infeasible;
use super::prefs::{self, Prefs, Ties};
use crate::infeasible::Infeasible;
use crate::model::{Assignment, PlacementModel};

/// Deferred acceptance on the strict ranks of a [`Prefs`], leaving out the
/// learners marked in the last argument.
pub(crate) type Da = fn(&PlacementModel, &Prefs, &[bool]) -> Result<Assignment, Infeasible>;

/// Deferred acceptance `da` (either side proposing) under the school caps of
/// the model.
///
/// **School priority.** Each capped (school, programme) orders its learners by
/// readiness, highest first, ties by the learner lottery of `ties` (the same
/// lottery that sites use to break score ties; by id with [`Ties::ById`]).
///
/// **Algorithm.** Run `da`. For each capped (school, programme), compare its
/// placed unpinned learners with the room its cap leaves after its pinned
/// learners. Over by `e`: leave out of the market every unpinned learner of
/// it at or below the `e`-th lowest-priority placed one. Exactly full: leave
/// out every one below the lowest-priority placed one (the school would not
/// take them, and without them the others do weakly better). Then run `da`
/// again from scratch, until a round leaves nobody out. Each round leaves out
/// at least one learner, so it ends; the result keeps every cap.
///
/// **Stability.** The result is stable under school caps (`docs/policies.md`):
/// no unpinned learner `l` and site `w` such that `l` prefers `w`, `w` would
/// take `l`, and, when `l` is unplaced and its (school, programme) is at its
/// cap, the school holds an unpinned learner of lower priority than `l`.
/// Learners in the market cannot block (the outcome is stable among them);
/// a learner left out is below every placed learner of her school, whose cap
/// is reached: leaving learners out only makes the others weakly better off
/// (comparative statics of deferred acceptance with substitutable,
/// size-monotone choices), so placed learners stay placed and a truncated
/// school never drops below its cap again. The placed set does not depend on
/// the proposing side (rural hospitals theorem), so both sides truncate the
/// same learners.
///
/// Under caps, the stable matchings need not have a learner-optimal one (two
/// learners of one school with room for one, ranked in opposite orders by
/// the school and by the one site they want). When they have one, the
/// learner-proposing result is it, and the workplace-proposing result is
/// the learner-pessimal one when there is one: checked by brute force on
/// tiny seasons (`tests/policy_constraints.rs`), not proven.
pub(crate) fn with_school_caps(m: &PlacementModel, p: &Prefs, ties: Ties, da: Da) -> Result<Assignment, Infeasible> {
    let s = m.season;
    let n = m.learner_count();
    let bounds = &m.constraints.school_bounds;
    let mut out = vec![false; n];
    // Per bound: its unpinned learners who can be placed, lowest priority
    // first, and its pinned learners.
    let mut members: Vec<Vec<LearnerId>> = vec![Vec::new(); bounds.len()];
    let mut pinned = vec![0u32; bounds.len()];
    for li in 0..n {
        let l = LearnerId::from_index(li);
        let Some(b) = m.school_bound_of(l) else { continue };
        if bounds[b].max == u32::MAX {
            continue;
        }
        if m.pinned(l).is_some() {
            pinned[b] += 1;
        } else if !p.list(l).is_empty() {
            members[b].push(l);
        }
    }
    if members.iter().all(Vec::is_empty) {
        return da(m, p, &out);
    }
    // Stream 1: the learner lottery of `Prefs::new`.
    let ticket = prefs::tickets(s.learners().iter().map(|l| l.id.as_str()), ties, 1);
    for v in &mut members {
        v.sort_by_key(|l| (s.learner(*l).readiness, Reverse(ticket[l.index()])));
    }
    // members[b][..cut[b]] are left out.
    let mut cut = vec![0usize; bounds.len()];
    loop {
        let a = da(m, p, &out)?;
        let mut truncated = false;
        for (b, v) in members.iter().enumerate() {
            let room = bounds[b].max.saturating_sub(pinned[b]) as usize;
            let placed: Vec<usize> = (cut[b]..v.len()).filter(|&k| a.placement[v[k].index()].is_some()).collect();
            let end = match placed.len().cmp(&room) {
                Ordering::Greater => placed[placed.len() - room - 1] + 1,
                Ordering::Equal => placed.first().copied().unwrap_or(v.len()),
                Ordering::Less => cut[b],
            };
            if end > cut[b] {
                for l in &v[cut[b]..end] {
                    out[l.index()] = true;
                }
                cut[b] = end;
                truncated = true;
            }
        }
        if !truncated {
            return Ok(a);
        }
    }
}

/// Learner-proposing deferred acceptance on the strict ranks of `p`, without
/// the learners marked `out`.
pub(crate) fn learner_proposing(m: &PlacementModel, p: &Prefs, out: &[bool]) -> Result<Assignment, Infeasible> {
    let s = m.season;
    let mut led = Ledger::new(m);
    if !led.place_pins() {
        return Err(pins_infeasible(m));
    }
    let n = m.learner_count();
    let mut held: Vec<Vec<u32>> = vec![Vec::new(); s.workplaces().len()];
    let mut next = vec![0usize; n];
    let mut free: Vec<LearnerId> = (0..n)
        .rev()
        .map(LearnerId::from_index)
        .filter(|&l| m.pinned(l).is_none() && !out[l.index()] && !p.list(l).is_empty())
        .collect();
    while let Some(l) = free.pop() {
        let list = p.list(l);
        while next[l.index()] < list.len() {
            let a = list[next[l.index()]] as usize;
            next[l.index()] += 1;
            let g = m.arc_group(a);
            let w = s.group(g).workplace;
            led.add(l, a);
            held[w.index()].push(a as u32);
            // Reject the worst learner in the innermost limit that overflows,
            // until none does or `l` is the one rejected.
            let rejected = loop {
                if led.mentor[l.index()].is_none() {
                    // A rejection may have freed a mentor who can guide `l`.
                    led.take_mentor(l, w);
                }
                let Some(over) = led.overflow(l, a) else { break false };
                let present = |b: usize, d: Option<usize>| d.is_none_or(|d| s.days_of(p.learner(b)).has(d));
                let in_scope = |b: usize| match over {
                    Overflow::Open => m.arc_group(b) == g && led.is_open_lane(p.learner(b), b),
                    Overflow::Seats(d) => m.arc_group(b) == g && present(b, d),
                    Overflow::Capacity(d) => present(b, d),
                    // The learners whose mentor could guide `l` instead, and `l`.
                    Overflow::Mentor => {
                        b == a || led.mentor[p.learner(b).index()].is_some_and(|k| led.could_guide(k, l))
                    }
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
                if loser == l {
                    break true;
                }
                free.push(loser);
            };
            if !rejected {
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

/// Workplace-proposing deferred acceptance on the strict ranks of `p`,
/// without the learners marked `out`.
pub(crate) fn workplace_proposing(m: &PlacementModel, p: &Prefs, out: &[bool]) -> Result<Assignment, Infeasible> {
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
        if p.acceptable(a) && m.pinned(l).is_none() && !out[l.index()] {
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
