//! The waiting list: for every unplaced learner, the recognitions where one
//! more seat would place them, and what that gains.

use dualmatch_core::LearnerId;
use rayon::prelude::*;

use super::residual::Residual;
use super::seat_values::from_t;
use super::shortest_paths::Tree;
use super::types::{BestUse, Move, Needs, Options, SeatAdvice, WaitEntry, WaitOption};

/// What the full-site trees found for the waiting list.
pub(super) struct Sites<'x> {
    pub(super) full: &'x [bool],
    /// (learner, group, chain), sorted.
    pub(super) seat_enough: &'x [(u32, u32, Vec<Move>)],
    /// Per group: a path from the site to `T` of cost 0 not through it.
    pub(super) free_exit: &'x [Option<Vec<u32>>],
}

/// Where an option's chain comes from (worked out for the options kept).
enum Chain {
    /// The chain of a full-site tree: an index into `Sites::seat_enough`.
    Listed(usize),
    /// The group's free exit from its site, then the tree from `T`.
    Exit,
    /// The tree from `T`.
    FromT,
}

/// The waiting list: for every unplaced learner, the options with a positive
/// gain, best first, `opts.top` kept; counts per group.
pub(super) fn waitlist(
    r: &Residual,
    p: &[i64],
    t_tree: &Tree,
    site: &Sites,
    seats: &mut [SeatAdvice],
    opts: Options,
) -> Vec<WaitEntry> {
    let m = r.m;
    let s = m.season;
    let waiting = |li: &usize| !r.frozen[*li] && r.placed_arc[*li].is_none();
    for li in (0..s.learners().len()).filter(waiting) {
        for a in m.arcs(LearnerId::from_index(li)) {
            seats[m.group_of(a).index()].unplaced_in_reach += 1;
        }
    }
    // Per learner, in parallel (the seats are only read): the entry, and
    // the groups the learner could be placed at by the addition.
    let seats_read: &[SeatAdvice] = seats;
    let per_learner: Vec<(WaitEntry, Vec<usize>)> = (0..s.learners().len())
        .into_par_iter()
        .filter(waiting)
        .map(|li| learner_options(r, p, t_tree, site, seats_read, opts, li))
        .collect();
    let mut out = Vec::new();
    for (entry, could_place) in per_learner {
        for g in could_place {
            seats[g].could_place += 1;
        }
        if !entry.options.is_empty() {
            out.push(entry);
        }
    }
    out
}

/// The waiting-list entry of unplaced learner `li` (its options may be
/// none), and the groups where placing them is a best use of the addition.
fn learner_options(
    r: &Residual,
    p: &[i64],
    t_tree: &Tree,
    site: &Sites,
    seats: &[SeatAdvice],
    opts: Options,
    li: usize,
) -> (WaitEntry, Vec<usize>) {
    let m = r.m;
    let s = m.season;
    {
        let l = LearnerId::from_index(li);
        let v = r.l0 + li as u32;
        // Through T: one more seat where the site has room, one more seat
        // and capacity at a full site.
        let d_t = from_t(t_tree, p, v);
        let mut options = Vec::new();
        for a in m.arcs(l) {
            let g = m.group_of(a);
            let gi = g.index();
            let Some(d) = d_t else { continue };
            let gain = r.wt.get(a.index()) - d;
            let w = s.group(g).workplace.index();
            // At a full site, whether the seat alone gains as much as seat
            // and capacity (it never gains more), and the chain it takes.
            let seat_enough = if site.full[w] {
                match site.seat_enough.binary_search_by_key(&(li as u32, gi as u32), |x| (x.0, x.1)) {
                    Ok(k) => Some(Chain::Listed(k)),
                    Err(_) => site.free_exit[gi].as_ref().map(|_| Chain::Exit),
                }
            } else {
                None
            };
            // A learner of the priority group with seats reserved here: the
            // gain through the extra seat is a lower bound (module docs);
            // the seat alone is named only when its value is the same.
            let bounded = m.reserves_seat_for(l, g);
            let same_value = seats[gi].with_capacity.as_ref().is_none_or(|u| u.gain == seats[gi].seat.gain);
            let (needs, chain) = match seat_enough {
                Some(chain) if !bounded || same_value => (Needs::Seat, Some(chain)),
                _ if site.full[w] => (Needs::SeatAndCapacity, None),
                _ => (Needs::Seat, None),
            };
            let value = match needs {
                Needs::SeatAndCapacity => seats[gi].with_capacity.as_ref().expect("full site"),
                _ => &seats[gi].seat,
            };
            let gain_at_most = if bounded { value.gain } else { gain };
            if gain_at_most <= 0 {
                continue;
            }
            debug_assert!(gain <= value.gain, "a learner's gain exceeds the seat value");
            let other = value.taker.as_ref().map_or(l, |t| t.0);
            let best_use = if gain == value.gain {
                BestUse::ThisLearner
            } else if gain_at_most < value.gain {
                BestUse::Other(other)
            } else {
                BestUse::Undetermined(other)
            };
            let option = WaitOption {
                group: g,
                score: m.score_of(a),
                needs,
                gain,
                gain_at_most,
                value: value.gain,
                best_use,
                gives_way: Vec::new(),
            };
            options.push((option, chain.unwrap_or(Chain::FromT)));
        }
        let could_place = options
            .iter()
            .filter(|(o, _)| {
                let sa = &seats[o.group.index()];
                o.best_use == BestUse::ThisLearner && sa.needs().is_some_and(|(n, _)| n == o.needs)
            })
            .map(|(o, _)| o.group.index())
            .collect();
        options.sort_by(|(x, _), (y, _)| {
            (y.gain, y.gain_at_most)
                .cmp(&(x.gain, x.gain_at_most))
                .then((x.needs != Needs::Seat).cmp(&(y.needs != Needs::Seat)))
                .then(x.group.cmp(&y.group))
        });
        options.truncate(opts.top);
        // The chains of the options kept only.
        let options: Vec<WaitOption> = options
            .into_iter()
            .map(|(mut o, chain)| {
                let chain = match chain {
                    Chain::Listed(k) => site.seat_enough[k].2.clone(),
                    Chain::Exit => {
                        let mut path = site.free_exit[o.group.index()].clone().expect("a free exit");
                        path.extend(t_tree.path_from_root(v));
                        r.joined_moves(&path, o.group)
                    }
                    Chain::FromT => r.moves(&t_tree.path_from_root(v), o.group),
                };
                o.gives_way = chain.into_iter().filter(|mv| mv.learner != l).collect();
                o
            })
            .collect();
        (WaitEntry { learner: l, options }, could_place)
    }
}
