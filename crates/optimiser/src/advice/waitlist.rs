//! The waiting list: for every unplaced learner, the recognitions where one
//! more seat would place them, and what that gains.

use dualmatch_core::LearnerId;

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
    let mut out = Vec::new();
    for li in 0..s.learners().len() {
        if r.frozen[li] || r.placed_arc[li].is_some() {
            continue;
        }
        let l = LearnerId::from_index(li);
        let v = r.l0 + li as u32;
        // Through T: one more seat where the site has room, one more seat
        // and capacity at a full site.
        let d_t = from_t(t_tree, p, v);
        let mut options = Vec::new();
        for a in m.arcs(l) {
            let g = m.group_of(a);
            let gi = g.index();
            seats[gi].unplaced_in_reach += 1;
            let Some(d) = d_t else { continue };
            let gain = r.wt[a.index()] - d;
            let w = s.group(g).workplace.index();
            // At a full site, whether the seat alone gains as much as seat
            // and capacity (it never gains more), and the chain it takes.
            let seat_enough = if site.full[w] {
                match site.seat_enough.binary_search_by_key(&(li as u32, gi as u32), |x| (x.0, x.1)) {
                    Ok(k) => Some(site.seat_enough[k].2.clone()),
                    Err(_) => site.free_exit[gi].as_ref().map(|exit| {
                        let mut path = exit.clone();
                        path.extend(t_tree.path_from_root(v));
                        r.moves(&path, g)
                    }),
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
            let chain = chain.unwrap_or_else(|| r.moves(&t_tree.path_from_root(v), g));
            options.push(WaitOption {
                group: g,
                score: m.score_of(a),
                needs,
                gain,
                gain_at_most,
                value: value.gain,
                best_use,
                gives_way: chain.into_iter().filter(|mv| mv.learner != l).collect(),
            });
        }
        for o in &options {
            let sa = &mut seats[o.group.index()];
            if o.best_use == BestUse::ThisLearner && sa.needs().is_some_and(|(n, _)| n == o.needs) {
                sa.could_place += 1;
            }
        }
        options.sort_by(|x, y| {
            (y.gain, y.gain_at_most)
                .cmp(&(x.gain, x.gain_at_most))
                .then((x.needs != Needs::Seat).cmp(&(y.needs != Needs::Seat)))
                .then(x.group.cmp(&y.group))
        });
        options.truncate(opts.top);
        if !options.is_empty() {
            out.push(WaitEntry { learner: l, options });
        }
    }
    out
}
