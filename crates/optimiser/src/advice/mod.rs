//! Waiting list and recruitment advice after a max-fit match: the exact value
//! of one more seat at every recognition, and for every unplaced learner the
//! recognitions where one more seat would place them.
//!
//! # What is computed
//!
//! For a recognition `g` (a [`GroupId`](dualmatch_core::GroupId): one site, one programme), the *seat
//! value* is `opt(seats(g) + 1) − opt`, the exact gain of the max-fit optimum
//! (in integer weights, [`crate::model::weight`]) when `g` gets one more seat
//! and everything else, scores included, stays as it is. When the site's
//! capacity is full, one more seat may be worth little on its own; the value
//! of one more seat *and* one more unit of the site's capacity is then given
//! as well.
//!
//! For an unplaced learner `l` and one of their usable pairs `(l, g)`, the
//! *gain* is `opt(seats(g) + 1, l placed at g) − opt`: what the season gains
//! when the extra seat is added and `l` is placed there, everyone else
//! re-matched optimally. It equals the learner's score when nobody has to give
//! way; it is lower when someone else must move or lose a place (a school cap,
//! a full site). The seat's best use is this learner exactly when the gain
//! equals the seat value.
//!
//! # How
//!
//! The optimal assignment defines the residual network of the min-cost-flow
//! model (as in [`crate::network`], with one source `S` and sink `T` for the
//! whole season and a node for every site with a capacity). By the standard
//! sensitivity argument, a new unit on an arc changes the optimum by the best
//! augmenting cycle through it, and all other cycles of the residual network
//! are non-negative. Modelling the extra seat as a new one-seat node `g⁺`
//! (which has the same feasible placements up to relabelling), the seat value
//! is `max(0, maxₗ w(l, g) − d(X, l))`, with `d` the shortest-path distance in
//! the residual network and `X` the node the seat flows into: `T`, or the site
//! node when the site's capacity is full. A learner's gain is
//! `w(l, g) − d(X, l)`.
//!
//! One shortest-path tree from `T` gives every `d(T, ·)`: the values where
//! the site has room, the values of seat and capacity together, and the
//! learners' gains. At a full site `w`, a chain through the new seat at `g`
//! leaves `w` through one of its groups; through `g` itself it would be a
//! cycle of the residual network without the new seat, and gains nothing
//! (unless `g` reserves seats: the new seat also adds an unreserved place).
//! So the seat alone is worth 0 at a full site whose other groups hold
//! nobody, and elsewhere only chains through another group count: through
//! `T` (one tree into `T`, backwards, gives every `d(·, T)`), or not (a small
//! tree per such group, bounded by the value through `T` and by the
//! landmark bound `d(w, e) ≥ d(w, T) − d(e, T)`).
//!
//! Shortest paths run Dijkstra (radix heap) on reduced costs. The potentials
//! start from the solver's seat and capacity duals; every arc is checked, and
//! where the duals do not fit (school bounds, reserves) a label-correcting
//! pass repairs them (it would not terminate on a negative cycle and is then
//! stopped with [`AdviceError::NotOptimal`]). After the tree from `T` the
//! potentials become the distances from `T` (capped at its radius), so later
//! trees are bounded by the values found, not by the duals. Results do not
//! depend on the potentials.
//!
//! # Constraints
//!
//! Pins have no residual arcs (a pinned learner never moves); a kept
//! learner ([`PlacementModel::kept`]) may move but not leave, and values are
//! in the model's objective (with the bonus of kept arcs); school floors
//! and caps, reserved seats, forbidden pairs and the minimum score are part of
//! the network, so chains respect them. One case is not exact: a learner of a
//! priority group at a recognition with seats reserved for that group may
//! gain more than reported (they could take a reserved seat and let someone
//! else use the extra open one); such options carry the exact lower bound
//! and the seat value as upper bound ([`WaitOption::gain_at_most`]).
//!
//! Recognitions without usable pairs because they have 0 seats or their site
//! has capacity 0 are not evaluated: candidate generation did not score any
//! pair there.

mod potentials;
mod radix_heap;
mod residual;
mod seat_values;
mod shortest_paths;
mod types;
mod waitlist;

use crate::model::PlacementModel;
use crate::network::Solved;

pub use seat_values::compute_with;
pub use types::{Advice, AdviceError, BestUse, Move, Needs, Options, SeatAdvice, Stats, Use, WaitEntry, WaitOption};

/// The advice with the default options (3 options per learner).
pub fn compute(m: &PlacementModel, solved: &Solved) -> Result<Advice, AdviceError> {
    compute_with(m, solved, Options::default())
}

/// Test seasons' constraints: every third recognition with more than
/// `min_seats` seats keeps one for the priority group (when the season has
/// one), and, with `kept`, every fourth learner that the match places is
/// pinned there (the caller turns the pins into kept placements with
/// [`test_keep`]).
#[cfg(test)]
fn test_constraints(
    season: &dualmatch_core::Season,
    cands: &dualmatch_core::scoring::Candidates,
    min_seats: u32,
    kept: bool,
) -> crate::constraints::Constraints {
    use crate::constraints::{Constraints, Reserve};
    use dualmatch_core::GroupId;
    let mut cons = Constraints::none();
    if let Some(pg) = season.learners().iter().find_map(|l| l.priority_group) {
        cons.reserves = (0..season.groups().len())
            .filter(|&g| g % 3 == 0 && season.groups()[g].seats > min_seats)
            .map(|g| Reserve { group: GroupId::from_index(g), priority_group: pg, seats: 1 })
            .collect();
    }
    if kept {
        let m = PlacementModel::new(season, cands, &cons).unwrap();
        let solved = crate::network::solve(&m, crate::model::Objective::MaxFit).unwrap();
        cons.pins = (solved.assignment.by_learner())
            .filter_map(|(l, c)| c.map(|c| (l, season.group(cands.group_of(c)).workplace)))
            .step_by(4)
            .collect();
    }
    cons
}

/// The pins of [`test_constraints`] as kept placements, with a bonus.
#[cfg(test)]
fn test_keep<'a>(m: PlacementModel<'a>) -> PlacementModel<'a> {
    let mut m = m.soften_pins();
    m.set_keep_bonus(1_000);
    m
}

const NONE: u32 = u32::MAX;
const INF: i64 = i64::MAX / 4;
