//! Waiting list and recruitment advice after a max-fit match: the exact value
//! of one more seat at every recognition, and for every unplaced learner the
//! recognitions where one more seat would place them.
//!
//! # What is computed
//!
//! For a recognition `g` (a [`GroupId`]: one site, one programme), the *seat
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

use std::collections::VecDeque;

use dualmatch_core::{GroupId, LearnerId, WorkplaceId};
use rayon::prelude::*;

use crate::model::{weight, PlacementModel};
use crate::network::Solved;

/// Why advice could not be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdviceError {
    /// The result has no duals: advice needs a max-fit optimum.
    #[error("advice needs a max-fit result (the objective with seat duals)")]
    NotMaxFit,
    /// The residual network has a negative cycle, or a placement is not a
    /// usable pair: the assignment is not a max-fit optimum of this model.
    #[error("the assignment is not a max-fit optimum of this model")]
    NotOptimal,
}

/// One learner's change in a chain of moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Move {
    /// Who moves.
    pub learner: LearnerId,
    /// Where they are now (`None`: unplaced).
    pub from: Option<GroupId>,
    /// Where they go (`None`: they lose their place).
    pub to: Option<GroupId>,
}

/// The exact value of an extra resource and who would use it best.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Use {
    /// Gain of the optimum, in integer weights (score × 10⁶); 0 when the
    /// extra resource would not be used.
    pub gain: i64,
    /// A learner who takes the extra seat in a best re-match, with the chain
    /// of moves it sets off, ending with that learner's own move; `None`
    /// when `gain` is 0. Among equally good learners entering from `T` the
    /// smallest id; the choice is deterministic.
    pub taker: Option<(LearnerId, Vec<Move>)>,
}

impl Use {
    const NONE: Use = Use { gain: 0, taker: None };
}

/// What a recognition needs so that an extra seat there pays off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Needs {
    /// One more seat.
    Seat,
    /// One more seat and one more unit of the site's capacity.
    SeatAndCapacity,
    /// One more unit of the site's capacity alone (another recognition of the
    /// site has free seats that someone would use).
    Capacity,
}

impl Needs {
    /// The name written in the output files.
    pub fn name(self) -> &'static str {
        match self {
            Needs::Seat => "seat",
            Needs::SeatAndCapacity => "seat+capacity",
            Needs::Capacity => "capacity",
        }
    }
}

/// Advice for one recognition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatAdvice {
    /// Whether the value was computed: `false` for a recognition with 0 seats
    /// or at a site with capacity 0 (no pair there was scored).
    pub evaluated: bool,
    /// One more seat (exact).
    pub seat: Use,
    /// One more seat and one more unit of the site's capacity (exact);
    /// `None` unless the site's capacity is full.
    pub with_capacity: Option<Use>,
    /// Whether `with_capacity` is reached by the capacity alone (the taker
    /// goes to another recognition of the site, which has free seats).
    pub capacity_alone: bool,
    /// Unplaced learners with a usable pair here.
    pub unplaced_in_reach: u32,
    /// Unplaced learners whom the best use of what [`SeatAdvice::needs`]
    /// names places here, exactly (in some optimal re-match).
    pub could_place: u32,
}

impl SeatAdvice {
    /// What pays off here and its exact value, `None` when nothing does: the
    /// seat alone when it is worth as much as seat and capacity together.
    pub fn needs(&self) -> Option<(Needs, &Use)> {
        let best = match &self.with_capacity {
            Some(j) if j.gain > self.seat.gain => {
                (if self.capacity_alone { Needs::Capacity } else { Needs::SeatAndCapacity }, j)
            }
            _ => (Needs::Seat, &self.seat),
        };
        (best.1.gain > 0).then_some(best)
    }
}

/// Why a waiting-list option is the way it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BestUse {
    /// Placing this learner is a best use of the extra seat: in some optimal
    /// re-match with the extra seat, this learner is placed here.
    ThisLearner,
    /// Another learner's placement (the chain starting with them) gains more.
    Other(LearnerId),
    /// Another learner's placement gains the full value; this learner's gain
    /// is only bounded (see [`WaitOption::gain_at_most`]), so whether placing
    /// them is also a best use is not determined.
    Undetermined(LearnerId),
}

/// One recognition where an extra seat would place an unplaced learner.
#[derive(Clone, Debug, PartialEq)]
pub struct WaitOption {
    /// The recognition.
    pub group: GroupId,
    /// The learner's score there.
    pub score: f64,
    /// What must be added: [`Needs::Seat`] or [`Needs::SeatAndCapacity`].
    pub needs: Needs,
    /// Exact gain of the optimum (integer weights) when that is added and
    /// this learner is placed here, everyone else re-matched optimally; a
    /// lower bound when it differs from `gain_at_most`.
    pub gain: i64,
    /// An upper bound on that gain: equal to `gain` except for a learner of
    /// the priority group this recognition reserves seats for (they might
    /// take a reserved seat and leave the extra, unreserved one to someone
    /// else); then the value of what is added.
    pub gain_at_most: i64,
    /// The exact value of what is added (its best use).
    pub value: i64,
    /// Whether this learner is the best use.
    pub best_use: BestUse,
    /// Who else has to move or lose their place for `gain` (empty: nobody).
    pub gives_way: Vec<Move>,
}

impl WaitOption {
    /// Whether `gain` is exact.
    pub fn is_exact(&self) -> bool {
        self.gain == self.gain_at_most
    }
}

/// The waiting-list entries of one unplaced learner.
#[derive(Clone, Debug, PartialEq)]
pub struct WaitEntry {
    /// The learner.
    pub learner: LearnerId,
    /// Best options first (highest gain, then seat before seat and
    /// capacity, then recognition).
    pub options: Vec<WaitOption>,
}

/// Counters describing the computation (no wall time, so results compare).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Nodes of the residual network.
    pub nodes: usize,
    /// Potential corrections needed after the dual start.
    pub relabels: u64,
    /// Groups of full sites whose value needed a look at chains that pass
    /// capacity between the groups of the site (a bounded tree each, unless
    /// a bound settled it at once).
    pub site_trees: usize,
    /// Seat values at full sites reached by a chain that does not pass `T`.
    pub off_t: usize,
    /// Nodes settled over all shortest-path trees.
    pub settled: u64,
}

/// The advice for a whole season.
#[derive(Clone, Debug, PartialEq)]
pub struct Advice {
    /// Per recognition ([`GroupId`] index).
    pub seats: Vec<SeatAdvice>,
    /// Unplaced learners with at least one option, in learner order.
    pub waitlist: Vec<WaitEntry>,
    /// How much work it took.
    pub stats: Stats,
}

/// Options of [`compute_with`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Waiting-list options kept per learner.
    pub top: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { top: 3 }
    }
}

/// The advice with the default options (3 options per learner).
pub fn compute(m: &PlacementModel, solved: &Solved) -> Result<Advice, AdviceError> {
    compute_with(m, solved, Options::default())
}

const NONE: u32 = u32::MAX;
const INF: i64 = i64::MAX / 4;

/// The residual network of an optimal assignment, read from the model on
/// the fly (learner arcs are not copied).
///
/// Nodes: `S`, `T`, school bounds, learners, groups, open parts of groups
/// (reserved seats), sites.
struct Residual<'r, 'a> {
    m: &'r PlacementModel<'a>,
    b0: u32,
    l0: u32,
    g0: u32,
    o0: u32,
    w0: u32,
    n: u32,
    /// Per model arc: the integer weight of its score, and the node it
    /// enters (the group, or its open part).
    wt: Vec<i64>,
    arc_to: Vec<u32>,
    /// Whether some group reserves seats (else every entry is the group).
    any_reserve: bool,
    /// Per learner: the model arc used, or NONE.
    placed_arc: Vec<u32>,
    /// Per learner: skipped (pinned, or without arcs).
    frozen: Vec<bool>,
    flow_g: Vec<u32>,
    flow_o: Vec<u32>,
    flow_w: Vec<u32>,
    flow_b: Vec<u32>,
    /// Per group: open (unreserved) seats, when seats are reserved.
    open_cap: Vec<Option<u32>>,
    /// Per group: seats, and the node its seats flow into (its site when
    /// the site has a capacity, else `T`); per site: capacity or `NO_CAP`.
    /// Copies of the season's, compact for the inner loops.
    seats: Vec<u32>,
    head: Vec<u32>,
    cap: Vec<u32>,
    /// Per group (CSR): non-pinned learners placed there, high bit set when
    /// they use the open part.
    at_start: Vec<u32>,
    at: Vec<u32>,
    /// Per bound, then `S` (CSR): unplaced learners with arcs.
    free_start: Vec<u32>,
    free: Vec<u32>,
}

const VIA_OPEN: u32 = 1 << 31;
const NO_CAP: u32 = u32::MAX;

enum Node {
    S,
    T,
    Bound(usize),
    Learner(usize),
    Group(usize),
    Open(usize),
    Site(usize),
}

impl<'r, 'a> Residual<'r, 'a> {
    fn new(m: &'r PlacementModel<'a>, solved: &Solved) -> Result<Self, AdviceError> {
        let s = m.season;
        let (nl, ng, nw) = (s.learners().len(), s.groups().len(), s.workplaces().len());
        let nb = m.constraints.school_bounds.len();
        let b0 = 2u32;
        let l0 = b0 + nb as u32;
        let g0 = l0 + nl as u32;
        let o0 = g0 + ng as u32;
        let w0 = o0 + ng as u32;
        let n = w0 + nw as u32;
        let placed_arc: Vec<u32> = (0..nl)
            .into_par_iter()
            .map(|li| {
                let l = LearnerId::from_index(li);
                match solved.assignment.placement[li] {
                    Some(c) => m.arcs_of(l).find(|&a| m.arc_candidate(a) == c as usize).map_or(NONE, |a| a as u32),
                    None => NONE,
                }
            })
            .collect();
        if placed_arc.iter().zip(&solved.assignment.placement).any(|(a, c)| *a == NONE && c.is_some()) {
            return Err(AdviceError::NotOptimal);
        }
        let frozen: Vec<bool> = (0..nl)
            .map(|li| {
                let l = LearnerId::from_index(li);
                m.pinned(l).is_some() || m.arcs_of(l).is_empty()
            })
            .collect();
        // The objective's weights (a kept arc may carry a bonus).
        let wt: Vec<i64> = (0..nl)
            .into_par_iter()
            .flat_map_iter(|li| {
                let l = LearnerId::from_index(li);
                m.arcs_of(l).map(move |a| m.arc_weight(l, a))
            })
            .collect();
        let mut r = Residual {
            m,
            wt,
            arc_to: Vec::new(),
            any_reserve: m.reserve.iter().any(Option::is_some),
            b0,
            l0,
            g0,
            o0,
            w0,
            n,
            placed_arc,
            frozen,
            flow_g: vec![0; ng],
            flow_o: vec![0; ng],
            flow_w: vec![0; nw],
            flow_b: vec![0; nb],
            open_cap: m.reserve.iter().zip(s.groups()).map(|(r, g)| r.map(|(_, k)| g.seats - k.min(g.seats))).collect(),
            seats: s.groups().iter().map(|g| g.seats).collect(),
            head: s
                .groups()
                .iter()
                .map(|g| match s.workplace(g.workplace).capacity {
                    Some(_) => w0 + g.workplace.index() as u32,
                    None => 1,
                })
                .collect(),
            cap: s.workplaces().iter().map(|w| w.capacity.unwrap_or(NO_CAP)).collect(),
            at_start: vec![0; ng + 1],
            at: Vec::new(),
            free_start: vec![0; nb + 2],
            free: Vec::new(),
        };
        let mut at_rows: Vec<(u32, u32)> = Vec::new();
        let mut free_rows: Vec<(u32, u32)> = Vec::new();
        for li in 0..nl {
            let a = r.placed_arc[li];
            let l = LearnerId::from_index(li);
            if a == NONE {
                if !r.frozen[li] {
                    let key = m.bound_of[li].unwrap_or(nb as u32);
                    free_rows.push((key, li as u32));
                }
                continue;
            }
            let g = m.arc_group(a as usize);
            let via_open = r.is_open_entry(l, g);
            r.flow_g[g.index()] += 1;
            if via_open {
                r.flow_o[g.index()] += 1;
            }
            r.flow_w[s.group(g).workplace.index()] += 1;
            if let Some(b) = m.bound_of[li] {
                r.flow_b[b as usize] += 1;
            }
            if !r.frozen[li] {
                at_rows.push((g.index() as u32, li as u32 | if via_open { VIA_OPEN } else { 0 }));
            }
        }
        (r.at_start, r.at) = csr(ng, &at_rows);
        (r.free_start, r.free) = csr(nb + 1, &free_rows);
        let mut arc_to = vec![0u32; m.arc_count()];
        arc_to.par_chunks_mut(1 << 16).enumerate().for_each(|(k, chunk)| {
            // The learner of the first arc of the chunk, then forward.
            let first = k << 16;
            let mut li = r.learner_of_arc(first);
            for (i, to) in chunk.iter_mut().enumerate() {
                let a = first + i;
                while m.arcs_of(LearnerId::from_index(li)).end <= a {
                    li += 1;
                }
                *to = r.entry(LearnerId::from_index(li), m.arc_group(a));
            }
        });
        r.arc_to = arc_to;
        Ok(r)
    }

    /// The learner whose arcs include model arc `a` (binary search).
    fn learner_of_arc(&self, a: usize) -> usize {
        let m = self.m;
        let (mut lo, mut hi) = (0usize, m.learner_count());
        // The last learner whose arcs start at or before `a`.
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if m.arcs_of(LearnerId::from_index(mid)).start <= a {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }

    fn kind(&self, v: u32) -> Node {
        match v {
            0 => Node::S,
            1 => Node::T,
            v if v < self.l0 => Node::Bound((v - self.b0) as usize),
            v if v < self.g0 => Node::Learner((v - self.l0) as usize),
            v if v < self.o0 => Node::Group((v - self.g0) as usize),
            v if v < self.w0 => Node::Open((v - self.o0) as usize),
            v => Node::Site((v - self.w0) as usize),
        }
    }

    /// Whether learner `l` enters group `g` through its open (unreserved) part.
    fn is_open_entry(&self, l: LearnerId, g: GroupId) -> bool {
        if !self.any_reserve {
            return false;
        }
        match self.m.reserve[g.index()] {
            Some((pg, _)) => self.m.season.learner(l).priority_group != Some(pg),
            None => false,
        }
    }

    /// The node learner `l` enters `g` through.
    fn entry(&self, l: LearnerId, g: GroupId) -> u32 {
        if self.is_open_entry(l, g) {
            self.o0 + g.index() as u32
        } else {
            self.g0 + g.index() as u32
        }
    }

    fn site_full(&self, w: usize) -> bool {
        self.cap[w] != NO_CAP && self.flow_w[w] >= self.cap[w]
    }

    /// Calls `f(head, cost)` for every residual arc out of `v`.
    fn for_each_out(&self, v: u32, mut f: impl FnMut(u32, i64)) {
        let m = self.m;
        let s = m.season;
        match self.kind(v) {
            Node::S => {
                let nb = self.flow_b.len();
                for &l in &self.free[self.free_start[nb] as usize..self.free_start[nb + 1] as usize] {
                    f(self.l0 + l, 0);
                }
                for (b, sb) in m.constraints.school_bounds.iter().enumerate() {
                    if self.flow_b[b] < sb.max {
                        f(self.b0 + b as u32, 0);
                    }
                }
                f(1, 0);
            }
            Node::T => {
                for g in 0..self.flow_g.len() {
                    if self.flow_g[g] > 0 && self.head[g] == 1 {
                        f(self.g0 + g as u32, 0);
                    }
                }
                for w in 0..self.flow_w.len() {
                    if self.flow_w[w] > 0 && self.cap[w] != NO_CAP {
                        f(self.w0 + w as u32, 0);
                    }
                }
                // The bypass S → T: learners may stay unplaced (with a learner
                // without arcs, it always carries flow; such learners change
                // no optimum).
                f(0, 0);
            }
            Node::Bound(b) => {
                for &l in &self.free[self.free_start[b] as usize..self.free_start[b + 1] as usize] {
                    f(self.l0 + l, 0);
                }
                if self.flow_b[b] > m.constraints.school_bounds[b].min {
                    f(0, 0);
                }
            }
            Node::Learner(li) => {
                if self.frozen[li] {
                    return;
                }
                let l = LearnerId::from_index(li);
                let placed = self.placed_arc[li];
                for a in m.arcs_of(l) {
                    if a as u32 != placed {
                        f(self.arc_to[a], -self.wt[a]);
                    }
                }
                // Back to the unplaced side, unless the learner is kept
                // (must stay placed).
                if placed != NONE && m.kept(l).is_none() {
                    f(m.bound_of[li].map_or(0, |b| self.b0 + b), 0);
                }
            }
            Node::Group(g) => {
                if self.flow_g[g] < self.seats[g] {
                    f(self.head[g], 0);
                }
                if self.open_cap[g].is_some() && self.flow_o[g] > 0 {
                    f(self.o0 + g as u32, 0);
                }
                for &x in self.at_of(g) {
                    if x & VIA_OPEN == 0 {
                        f(self.l0 + x, self.placed_weight(x));
                    }
                }
            }
            Node::Open(g) => {
                if self.open_cap[g].is_some_and(|c| self.flow_o[g] < c) {
                    f(self.g0 + g as u32, 0);
                }
                for &x in self.at_of(g) {
                    if x & VIA_OPEN != 0 {
                        f(self.l0 + (x & !VIA_OPEN), self.placed_weight(x & !VIA_OPEN));
                    }
                }
            }
            Node::Site(w) => {
                let wp = WorkplaceId::from_index(w);
                if self.cap[w] != NO_CAP && self.flow_w[w] < self.cap[w] {
                    f(1, 0);
                }
                for g in s.groups_of_workplace(wp) {
                    if self.flow_g[g.index()] > 0 {
                        f(self.g0 + g.index() as u32, 0);
                    }
                }
            }
        }
    }

    fn at_of(&self, g: usize) -> &[u32] {
        &self.at[self.at_start[g] as usize..self.at_start[g + 1] as usize]
    }

    fn placed_weight(&self, li: u32) -> i64 {
        self.wt[self.placed_arc[li as usize] as usize]
    }

    /// The group a node stands for when it is a group or an open part.
    fn group_of_node(&self, v: u32) -> Option<GroupId> {
        match self.kind(v) {
            Node::Group(g) | Node::Open(g) => Some(GroupId::from_index(g)),
            _ => None,
        }
    }

    /// The moves along a path of nodes ending at a learner node, who then
    /// goes to `to`. Loops (of cost 0, when the path joins two shortest
    /// paths) are cut out first, so that every learner moves once.
    fn moves(&self, path: &[u32], to: GroupId) -> Vec<Move> {
        let mut simple: Vec<u32> = Vec::with_capacity(path.len());
        for &v in path {
            if let Some(k) = simple.iter().position(|&x| x == v) {
                simple.truncate(k);
            }
            simple.push(v);
        }
        let mut moves = Vec::new();
        for (i, &v) in simple.iter().enumerate() {
            if let Node::Learner(li) = self.kind(v) {
                let from = self.group_of_node(simple[i - 1]);
                let to = match simple.get(i + 1) {
                    Some(&next) => self.group_of_node(next),
                    None => Some(to),
                };
                moves.push(Move { learner: LearnerId::from_index(li), from, to });
            }
        }
        moves
    }

    /// Starting potentials from the solver's duals: sites at minus their
    /// capacity dual, groups at their head minus the seat dual, placed
    /// learners tight on their arc, everything else at 0.
    fn start_potentials(&self, solved: &Solved) -> Vec<i64> {
        let s = self.m.season;
        let mut p = vec![0i64; self.n as usize];
        if let Some(d) = &solved.duals {
            for w in 0..s.workplaces().len() {
                p[(self.w0 as usize) + w] = -weight(d.capacity[w]);
            }
            for g in 0..s.groups().len() {
                let pg = p[self.head[g] as usize] - weight(d.seat[g]);
                p[self.g0 as usize + g] = pg;
                p[self.o0 as usize + g] = pg;
            }
        }
        for li in 0..s.learners().len() {
            let a = self.placed_arc[li];
            if a != NONE {
                let l = LearnerId::from_index(li);
                let e = self.entry(l, self.m.arc_group(a as usize));
                p[self.l0 as usize + li] = self.wt[a as usize] + p[e as usize];
            }
        }
        p
    }

    /// The nodes `check` selects that have an arc of negative reduced cost
    /// under `p`, found in parallel.
    fn violations(&self, p: &[i64], check: impl Fn(usize) -> bool + Sync) -> Vec<u32> {
        (0..self.n)
            .into_par_iter()
            .filter(|&u| {
                if !check(u as usize) {
                    return false;
                }
                let pu = p[u as usize];
                let mut bad = false;
                self.for_each_out(u, |v, c| bad |= pu + c < p[v as usize]);
                bad
            })
            .collect()
    }

    /// Lowers `p` until every residual arc has a non-negative reduced cost
    /// (FIFO label correcting from the nodes `violated`, which must be all
    /// the nodes with an arc of negative reduced cost). Fails on a negative
    /// cycle.
    fn make_feasible(&self, p: &mut [i64], violated: Vec<u32>) -> Result<u64, AdviceError> {
        let n = self.n as usize;
        let mut queued = vec![false; n];
        for &u in &violated {
            queued[u as usize] = true;
        }
        let mut count = vec![0u32; n];
        let mut queue: VecDeque<u32> = violated.into();
        let mut relabels = 0u64;
        let mut heads = Vec::new();
        while let Some(u) = queue.pop_front() {
            queued[u as usize] = false;
            let pu = p[u as usize];
            heads.clear();
            self.for_each_out(u, |v, c| {
                if pu + c < p[v as usize] {
                    heads.push((v, pu + c));
                }
            });
            for &(v, d) in &heads {
                if d < p[v as usize] {
                    p[v as usize] = d;
                    relabels += 1;
                    count[v as usize] += 1;
                    if count[v as usize] as usize > n {
                        return Err(AdviceError::NotOptimal);
                    }
                    if !queued[v as usize] {
                        queued[v as usize] = true;
                        queue.push_back(v);
                    }
                }
            }
        }
        Ok(relabels)
    }
}

/// A compressed sparse row index of `(key, value)` rows with keys `< n`,
/// values in row order.
fn csr(n: usize, rows: &[(u32, u32)]) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0u32; n + 1];
    for &(k, _) in rows {
        start[k as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut next = start.clone();
    let mut out = vec![0u32; rows.len()];
    for &(k, v) in rows {
        out[next[k as usize] as usize] = v;
        next[k as usize] += 1;
    }
    (start, out)
}

/// What a growing tree reports.
trait Visit {
    /// Node `v` is settled at reduced distance `d`; returns the radius.
    fn settle(&mut self, v: u32, d: i64) -> i64;
    /// Learner node `l`, settled at reduced distance `d`, has an arc of cost
    /// `c` (minus the weight) into entry node `e` (a group or its open part).
    /// Forward trees only.
    fn entry(&mut self, _l: u32, _d: i64, _e: u32, _c: i64) {}
    /// Whether node `v`, reached at reduced distance `d`, can still matter.
    fn keep(&self, _v: u32, _d: i64) -> bool {
        true
    }
}

/// A tree with a fixed radius and nothing to record.
struct Radius(i64);

impl Visit for Radius {
    fn settle(&mut self, _: u32, _: i64) -> i64 {
        self.0
    }
}

/// The tree from `T`: the best entry into every group.
struct FromT<'x> {
    p: &'x [i64],
    g0: u32,
    o0: u32,
    radius: i64,
    best: Vec<Option<(i64, u32)>>,
}

impl Visit for FromT<'_> {
    fn settle(&mut self, _: u32, _: i64) -> i64 {
        self.radius
    }

    fn entry(&mut self, l: u32, d: i64, e: u32, c: i64) {
        let gain = -(d + self.p[l as usize] - self.p[1] + c);
        let g = if e < self.o0 { e - self.g0 } else { e - self.o0 } as usize;
        if gain > 0 && better(&self.best[g], gain, l) {
            self.best[g] = Some((gain, l));
        }
    }
}

/// A radix heap of (key, node) for Dijkstra: keys are at least the last key
/// popped (monotone), and an entry sits in the bucket of the highest bit in
/// which its key differs from that key, so a push is O(1) and each entry is
/// moved at most 64 times. Equal keys pop in a fixed order (the order of the
/// operations), so a tree grown twice is the same.
struct RadixHeap {
    last: u64,
    len: usize,
    buckets: [Vec<(u64, u32)>; 65],
}

impl Default for RadixHeap {
    fn default() -> Self {
        RadixHeap { last: 0, len: 0, buckets: std::array::from_fn(|_| Vec::new()) }
    }
}

impl RadixHeap {
    fn bucket(&self, key: u64) -> usize {
        (64 - (key ^ self.last).leading_zeros()) as usize
    }

    fn clear(&mut self) {
        for b in &mut self.buckets {
            b.clear();
        }
        self.last = 0;
        self.len = 0;
    }

    fn push(&mut self, key: i64, v: u32) {
        debug_assert!(key >= 0 && key as u64 >= self.last, "radix heap keys are monotone");
        let k = key as u64;
        let b = self.bucket(k);
        self.buckets[b].push((k, v));
        self.len += 1;
    }

    fn pop(&mut self) -> Option<(i64, u32)> {
        if self.len == 0 {
            return None;
        }
        if self.buckets[0].is_empty() {
            let i = (1..65).find(|&i| !self.buckets[i].is_empty()).expect("an entry");
            let moved = std::mem::take(&mut self.buckets[i]);
            self.last = moved.iter().map(|e| e.0).min().expect("an entry");
            for &(k, v) in &moved {
                let b = self.bucket(k);
                self.buckets[b].push((k, v));
            }
            // Keep the allocation.
            let mut moved = moved;
            moved.clear();
            if self.buckets[i].is_empty() {
                self.buckets[i] = moved;
            }
        }
        self.len -= 1;
        self.buckets[0].pop().map(|(k, v)| (k as i64, v))
    }
}

/// The label of a node in a shortest-path tree.
#[derive(Clone, Copy)]
struct Label {
    /// Reduced distance (`INF`: not reached).
    dist: i64,
    /// Forward trees: the node before; reverse trees: the node after.
    pred: u32,
    /// Settled.
    done: bool,
}

const UNREACHED: Label = Label { dist: INF, pred: NONE, done: false };

/// Per-thread arrays of a shortest-path tree, reset through `touched`.
struct Tree {
    root: u32,
    /// Per node (one cache line for what a relaxation reads and writes).
    label: Vec<Label>,
    touched: Vec<u32>,
    settled: u64,
    heap: RadixHeap,
}

impl Tree {
    fn new(n: usize) -> Self {
        Tree { root: NONE, label: vec![UNREACHED; n], touched: Vec::new(), settled: 0, heap: RadixHeap::default() }
    }

    /// Whether `v` is settled.
    fn done(&self, v: usize) -> bool {
        self.label[v].done
    }

    /// The reduced distance of a settled node.
    fn dist(&self, v: usize) -> i64 {
        self.label[v].dist
    }

    /// Dijkstra on reduced costs under `p`, from `root` (or, with `starts`,
    /// from those nodes at those reduced distances, reached from `root`,
    /// which is then not expanded), reporting to `visit` (whose radius stops
    /// the tree at the first node at or beyond it; it may only shrink).
    /// `reverse` follows arcs backwards (distances to the root, through
    /// `into`). With `sinks`, `S` and `T` are settled but not expanded. The
    /// tree is a function of the network (the heap is deterministic).
    /// Returns `false`, at once, on an arc of negative reduced cost
    /// (`p` is not feasible); every arc out of (into, reverse) a settled
    /// node is checked.
    #[allow(clippy::too_many_arguments)]
    fn grow(
        &mut self,
        r: &Residual,
        into: Option<&Into>,
        p: &[i64],
        root: u32,
        starts: &[(u32, i64)],
        sinks: bool,
        visit: &mut impl Visit,
    ) -> bool {
        for &v in &self.touched {
            self.label[v as usize] = UNREACHED;
        }
        self.touched.clear();
        self.heap.clear();
        self.settled = 0;
        self.root = root;
        self.label[root as usize].dist = 0;
        self.touched.push(root);
        if starts.is_empty() {
            self.heap.push(0, root);
        } else {
            self.label[root as usize].done = true;
            for &(v, d) in starts {
                let lv = &mut self.label[v as usize];
                if d < lv.dist {
                    if lv.dist == INF {
                        self.touched.push(v);
                    }
                    *lv = Label { dist: d, pred: root, done: false };
                    self.heap.push(d, v);
                }
            }
        }
        let mut radius = INF;
        while let Some((d, u)) = self.heap.pop() {
            let lu = &mut self.label[u as usize];
            if lu.done || d > lu.dist {
                continue;
            }
            if d >= radius {
                break;
            }
            lu.done = true;
            self.settled += 1;
            radius = visit.settle(u, d);
            if sinks && u <= 1 {
                continue;
            }
            let pu = p[u as usize];
            let learner = (r.l0..r.g0).contains(&u);
            let (label, touched, heap) = (&mut self.label, &mut self.touched, &mut self.heap);
            let mut negative = false;
            // `keep` is asked only of nodes the relaxation would improve.
            let mut relax = |v: u32, rc: i64, keep: &dyn Fn(u32, i64) -> bool| {
                if rc < 0 {
                    // The potentials are not feasible: the tree is abandoned.
                    negative = true;
                    return;
                }
                let nd = d + rc;
                let lv = &mut label[v as usize];
                // Beyond the radius (which only shrinks) it would never be
                // settled.
                if nd < lv.dist && nd < radius && keep(v, nd) {
                    if lv.dist == INF {
                        touched.push(v);
                    }
                    lv.dist = nd;
                    lv.pred = u;
                    heap.push(nd, v);
                }
            };
            match into {
                None => r.for_each_out(u, |v, c| {
                    if learner && (r.g0..r.w0).contains(&v) {
                        visit.entry(u, d, v, c);
                    }
                    relax(v, c + pu - p[v as usize], &|v, nd| visit.keep(v, nd));
                }),
                Some(into) => r.for_each_in(into, u, |v, c| relax(v, c + p[v as usize] - pu, &|_, _| true)),
            }
            if negative {
                return false;
            }
        }
        true
    }

    /// The tree path between the root and `v`: for a forward tree from the
    /// root to `v`, for a reverse tree from `v` to the root.
    fn path(&self, v: u32) -> Vec<u32> {
        let mut path = vec![v];
        let mut x = v;
        while x != self.root {
            x = self.label[x as usize].pred;
            path.push(x);
        }
        path
    }

    /// The forward tree path from the root to `v`, root first.
    fn path_from_root(&self, v: u32) -> Vec<u32> {
        let mut path = self.path(v);
        path.reverse();
        path
    }
}

/// The real distance from `T` of a node the tree from `T` settled, under
/// potentials that the tree made exact (see `compute_with`).
fn from_t(t_tree: &Tree, p: &[i64], v: u32) -> Option<i64> {
    t_tree.done(v as usize).then(|| p[v as usize] - p[1])
}

/// Whether (gain, learner) is better than the best so far: a larger gain,
/// then the smaller learner.
fn better(cur: &Option<(i64, u32)>, gain: i64, l: u32) -> bool {
    match cur {
        None => true,
        Some((g, cl)) => gain > *g || (gain == *g && l < *cl),
    }
}

/// The transpose of the learners' forward arcs, for trees that run
/// backwards: per group, (learner, model arc) of every residual arc into
/// it; per school bound, its placed learners.
struct Into {
    start: Vec<u32>,
    rows: Vec<(u32, u32)>,
    bound_start: Vec<u32>,
    bound_placed: Vec<u32>,
}

impl Into {
    fn new(r: &Residual) -> Self {
        let m = r.m;
        let (nl, ng) = (m.learner_count(), m.season.groups().len());
        let active = |li: usize| !r.frozen[li];
        let mut start = vec![0u32; ng + 1];
        for li in (0..nl).filter(|&li| active(li)) {
            for a in m.arcs_of(LearnerId::from_index(li)) {
                if a as u32 != r.placed_arc[li] {
                    start[m.arc_group(a).index() + 1] += 1;
                }
            }
        }
        for g in 0..ng {
            start[g + 1] += start[g];
        }
        let mut next = start.clone();
        let mut rows = vec![(0u32, 0u32); start[ng] as usize];
        for li in (0..nl).filter(|&li| active(li)) {
            for a in m.arcs_of(LearnerId::from_index(li)) {
                if a as u32 != r.placed_arc[li] {
                    let g = m.arc_group(a).index();
                    rows[next[g] as usize] = (li as u32, a as u32);
                    next[g] += 1;
                }
            }
        }
        let placed: Vec<(u32, u32)> = (0..nl)
            .filter(|&li| active(li) && r.placed_arc[li] != NONE && m.kept(LearnerId::from_index(li)).is_none())
            .filter_map(|li| m.bound_of[li].map(|b| (b, li as u32)))
            .collect();
        let (bound_start, bound_placed) = csr(m.constraints.school_bounds.len(), &placed);
        Into { start, rows, bound_start, bound_placed }
    }
}

impl Residual<'_, '_> {
    /// Calls `f(tail, cost)` for every residual arc into `v` (the mirror of
    /// [`Residual::for_each_out`]).
    fn for_each_in(&self, into: &Into, v: u32, mut f: impl FnMut(u32, i64)) {
        let m = self.m;
        let s = m.season;
        match self.kind(v) {
            Node::S => {
                f(1, 0);
                for (b, sb) in m.constraints.school_bounds.iter().enumerate() {
                    if self.flow_b[b] > sb.min {
                        f(self.b0 + b as u32, 0);
                    }
                }
                for li in 0..self.placed_arc.len() {
                    let free = m.bound_of[li].is_none() && m.kept(LearnerId::from_index(li)).is_none();
                    if !self.frozen[li] && self.placed_arc[li] != NONE && free {
                        f(self.l0 + li as u32, 0);
                    }
                }
            }
            Node::T => {
                f(0, 0);
                for g in 0..self.flow_g.len() {
                    if self.head[g] == 1 && self.flow_g[g] < self.seats[g] {
                        f(self.g0 + g as u32, 0);
                    }
                }
                for w in 0..self.flow_w.len() {
                    if self.cap[w] != NO_CAP && self.flow_w[w] < self.cap[w] {
                        f(self.w0 + w as u32, 0);
                    }
                }
            }
            Node::Bound(b) => {
                if self.flow_b[b] < m.constraints.school_bounds[b].max {
                    f(0, 0);
                }
                for &l in &into.bound_placed[into.bound_start[b] as usize..into.bound_start[b + 1] as usize] {
                    f(self.l0 + l, 0);
                }
            }
            Node::Learner(li) => {
                if self.frozen[li] {
                    return;
                }
                match self.placed_arc[li] {
                    NONE => f(m.bound_of[li].map_or(0, |b| self.b0 + b), 0),
                    a => f(self.arc_to[a as usize], self.wt[a as usize]),
                }
            }
            Node::Group(g) | Node::Open(g) => {
                let open = matches!(self.kind(v), Node::Open(_));
                if open {
                    if self.flow_o[g] > 0 {
                        f(self.g0 + g as u32, 0);
                    }
                } else {
                    if self.open_cap[g].is_some_and(|c| self.flow_o[g] < c) {
                        f(self.o0 + g as u32, 0);
                    }
                    if self.flow_g[g] > 0 {
                        f(self.head[g], 0);
                    }
                }
                for &(l, a) in &into.rows[into.start[g] as usize..into.start[g + 1] as usize] {
                    if self.arc_to[a as usize] == v {
                        f(self.l0 + l, -self.wt[a as usize]);
                    }
                }
            }
            Node::Site(w) => {
                let wp = WorkplaceId::from_index(w);
                if self.flow_w[w] > 0 && self.cap[w] != NO_CAP {
                    f(1, 0);
                }
                for g in s.groups_of_workplace(wp) {
                    if self.flow_g[g.index()] < self.seats[g.index()] {
                        f(self.g0 + g.index() as u32, 0);
                    }
                }
            }
        }
    }
}

/// One more seat alone at a group of a full site: where another group of
/// the site holds learners, capacity can pass from it (a chain that starts
/// by a learner leaving that group). A chain that starts at the group
/// itself never gains (without reserved seats): without the new seat it
/// would be a cycle of the residual network, of cost at least 0.
struct FullSite<'x, 'r, 'a> {
    r: &'x Residual<'r, 'a>,
    p: &'x [i64],
    t_tree: &'x Tree,
    g: usize,
    pw: i64,
    /// Radius needed by the waiting list.
    wait: i64,
    /// The largest gain an entry into `g` could have.
    reach: i64,
    /// The best (gain, learner node) found, seeded with the best through T.
    best: Option<(i64, u32)>,
    through_t: i64,
    /// Unplaced learner nodes whose distance equals their distance from T.
    pending: Vec<u32>,
    /// A lower bound on the real distance d(v, T) of every node (from the
    /// tree into T), and an upper bound on it for the entry nodes of `g`
    /// (`None`: unknown). A path from the site through `v` into `g` costs
    /// at least d(site, v) + d(v, T) − d(entry, T) (triangle inequality).
    to_t_at_least: &'x (dyn Fn(u32) -> i64 + Sync),
    entry_to_t: Option<i64>,
}

impl FullSite<'_, '_, '_> {
    /// The gain to beat.
    fn bar(&self) -> i64 {
        self.best.map_or(0, |x| x.0).max(self.through_t)
    }
}

impl Visit for FullSite<'_, '_, '_> {
    fn keep(&self, v: u32, d: i64) -> bool {
        match self.entry_to_t {
            // The waiting list looks for other targets.
            Some(x) if self.wait <= 0 => {
                let real = d + self.p[v as usize] - self.pw;
                real + (self.to_t_at_least)(v) - x < -self.bar()
            }
            _ => true,
        }
    }

    fn settle(&mut self, _: u32, _: i64) -> i64 {
        self.wait.max(self.reach - self.bar())
    }

    fn entry(&mut self, l: u32, d: i64, e: u32, c: i64) {
        let r = self.r;
        if r.group_of_node(e) != Some(GroupId::from_index(self.g)) {
            return;
        }
        let real = d + self.p[l as usize] - self.pw;
        let gain = -(real + c);
        if gain > 0 && better(&self.best, gain, l) {
            self.best = Some((gain, l));
        }
        if gain > 0 && r.placed_arc[(l - r.l0) as usize] == NONE && from_t(self.t_tree, self.p, l) == Some(real) {
            self.pending.push(l);
        }
    }
}

/// What the trees found at one group of a full site.
struct AtFull {
    g: usize,
    seat: Use,
    /// Whether `seat` comes from a chain that does not pass `T`.
    off_t: bool,
    /// (learner, chain): unplaced learners for whom the seat alone gains as
    /// much as seat and capacity.
    seat_enough: Vec<(u32, Vec<Move>)>,
    /// A path from the site to `T` of cost 0 that does not start at the
    /// group: then the seat alone is enough for every unplaced learner.
    free_exit: Option<Vec<u32>>,
    settled: u64,
}

/// The advice with explicit options.
pub fn compute_with(m: &PlacementModel, solved: &Solved, opts: Options) -> Result<Advice, AdviceError> {
    if solved.duals.is_none() {
        return Err(AdviceError::NotMaxFit);
    }
    let s = m.season;
    let (ng, nw) = (s.groups().len(), s.workplaces().len());
    let r = Residual::new(m, solved)?;
    let mut p = r.start_potentials(solved);
    let evaluated: Vec<bool> =
        s.groups().iter().map(|g| g.seats > 0 && s.workplace(g.workplace).capacity != Some(0)).collect();
    let n = r.n as usize;
    // The tree from T: one more seat where the site has room; one more seat
    // and capacity at full sites; every learner's distance D. It checks the
    // reduced cost of every arc it scans; the arcs of the nodes it does not
    // settle are checked after it. On a violation (the duals are not
    // exactly optimal for this network), the potentials are repaired and
    // the tree grown again.
    let mut t_tree = Tree::new(n);
    let mut relabels = 0u64;
    let (best_t, radius_t) = loop {
        let radius_t = radius_from_t(&r, &p, &evaluated);
        let mut visit = FromT { p: &p, g0: r.g0, o0: r.o0, radius: radius_t, best: vec![None; ng] };
        let clean = t_tree.grow(&r, None, &p, 1, &[], false, &mut visit);
        let violated = r.violations(&p, |u| !clean || !t_tree.done(u));
        if violated.is_empty() {
            // Learner nodes are recorded; turn them into learner indices.
            let best = visit.best.into_iter().map(|b| b.map(|(gain, v)| (gain, v - r.l0))).collect::<Vec<_>>();
            break (best, radius_t);
        }
        relabels += r.make_feasible(&mut p, violated)?;
    };
    // Potentials from the tree: p + (reduced distance from T, capped at the
    // radius) is feasible too (a capped shortest-path distance), and equals
    // the real distance from T where the tree reached. The later trees run
    // on these, so their radii are the (small) values found from T, not the
    // (larger) duals.
    let p: Vec<i64> = (0..n).map(|v| p[v] + if t_tree.done(v) { t_tree.dist(v) } else { radius_t }).collect();
    // The best entry into g from T, with its chain.
    let t_use = |g: usize| -> Use {
        match best_t[g] {
            Some((gain, li)) => {
                let chain = r.moves(&t_tree.path_from_root(r.l0 + li), GroupId::from_index(g));
                Use { gain, taker: Some((LearnerId::from_index(li as usize), chain)) }
            }
            None => Use::NONE,
        }
    };
    let full: Vec<bool> = (0..nw).map(|w| r.site_full(w)).collect();
    // Groups of full sites where capacity can pass from another group of
    // the site (which holds learners); elsewhere at a full site one more
    // seat alone is worth 0. The argument (a chain that starts at the group
    // itself would be a cycle of the residual network without the new seat)
    // needs the way from the open part into the group: with reserved seats
    // the new seat also adds an unreserved place, and the group itself is a
    // start too (a priority learner leaves, someone else takes the new
    // unreserved seat).
    let others = |g: usize| -> Vec<usize> {
        let wp = s.groups()[g].workplace;
        s.groups_of_workplace(wp)
            .iter()
            .map(|x| x.index())
            .filter(|&x| (x != g || r.open_cap[g].is_some()) && r.flow_g[x] > 0)
            .collect()
    };
    let shared: Vec<usize> =
        (0..ng).filter(|&g| evaluated[g] && full[s.groups()[g].workplace.index()] && !others(g).is_empty()).collect();
    // The tree into T (backwards): the real cost d(v, T) of reaching T from
    // every node, so of vacating a unit of a full site through each group.
    let mut exit_tree = Tree::new(if shared.is_empty() { 0 } else { n });
    let into = (!shared.is_empty()).then(|| Into::new(&r));
    let mut exit_radius = 0;
    if let Some(into) = &into {
        let mut radius = 1i64;
        for &g in &shared {
            let a = best_t[g].map_or(0, |x| x.0);
            for g1 in others(g) {
                radius = radius.max(a + p[r.g0 as usize + g1] - p[1] + 1);
            }
        }
        exit_radius = radius;
        let clean = exit_tree.grow(&r, Some(into), &p, 1, &[], false, &mut Radius(radius));
        debug_assert!(clean, "the potentials from T are feasible");
    }
    let to_t = |v: u32| exit_tree.done(v as usize).then(|| exit_tree.dist(v as usize) - p[v as usize] + p[1]);
    // Beyond its radius the tree into T settles nothing: the reduced
    // distance of an unsettled node is at least the radius.
    let to_t_at_least = |v: u32| to_t(v).unwrap_or(exit_radius - p[v as usize] + p[1]);
    // Groups with an unplaced learner who could gain there.
    let mut waiting = vec![false; ng];
    for li in (0..s.learners().len()).filter(|&li| !r.frozen[li] && r.placed_arc[li] == NONE) {
        for a in m.arcs_of(LearnerId::from_index(li)) {
            waiting[m.arc_group(a).index()] = true;
        }
    }
    // In chunks, so that each worker allocates its tree arrays once.
    let chunk = shared.len().div_ceil(4 * rayon::current_num_threads()).max(1);
    let at_full: Vec<AtFull> = shared
        .par_chunks(chunk)
        .flat_map_iter(|groups| {
            let mut tree = Tree::new(n);
            groups
                .iter()
                .map(|&g| {
                    let waiting = waiting[g];
                    let (x, xl) = (&to_t, &to_t_at_least);
                    full_site_group(&r, &p, &t_tree, &exit_tree, x, xl, &best_t, &others(g), g, waiting, &mut tree)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let mut seats: Vec<SeatAdvice> = (0..ng)
        .map(|g| SeatAdvice {
            evaluated: evaluated[g],
            seat: Use::NONE,
            with_capacity: None,
            capacity_alone: false,
            unplaced_in_reach: 0,
            could_place: 0,
        })
        .collect();
    for g in (0..ng).filter(|&g| evaluated[g]) {
        if !full[s.groups()[g].workplace.index()] {
            seats[g].seat = t_use(g);
        }
    }
    let mut settled = t_tree.settled + exit_tree.settled;
    let mut off_t = 0;
    let mut seat_enough: Vec<(u32, u32, Vec<Move>)> = Vec::new();
    let mut free_exit: Vec<Option<Vec<u32>>> = vec![None; ng];
    let site_trees = at_full.len();
    for res in at_full {
        settled += res.settled;
        off_t += usize::from(res.off_t);
        seats[res.g].seat = res.seat;
        seat_enough.extend(res.seat_enough.into_iter().map(|(l, chain)| (l, res.g as u32, chain)));
        free_exit[res.g] = res.free_exit;
    }
    seat_enough.sort_unstable_by_key(|x| (x.0, x.1));
    // Seat and capacity at full sites: the best of a chain through both, the
    // seat alone, and the capacity alone (used by another group of the site).
    for g in (0..ng).filter(|&g| evaluated[g]) {
        let w = s.groups()[g].workplace.index();
        if !full[w] {
            continue;
        }
        let wnode = r.w0 + w as u32;
        let cap_alone = from_t(&t_tree, &p, wnode).map_or(0, |d| -d);
        let through = t_use(g);
        let mut joint = if through.gain >= seats[g].seat.gain { through } else { seats[g].seat.clone() };
        if cap_alone > joint.gain {
            joint = Use { gain: cap_alone, taker: capacity_taker(&r, &t_tree, wnode) };
            seats[g].capacity_alone = true;
        }
        seats[g].with_capacity = Some(joint);
    }
    let site = Sites { full: &full, seat_enough: &seat_enough, free_exit: &free_exit };
    let waitlist = waitlist(&r, &p, &t_tree, &site, &mut seats, opts);
    let stats = Stats { nodes: n, relabels, site_trees, off_t, settled };
    Ok(Advice { seats, waitlist, stats })
}

/// How far the tree from `T` must go: a learner entering group g through
/// node e gains (p(T) − p(e)) − (reduced distance to the learner + reduced
/// cost of the arc), so nothing gains beyond reduced distance
/// max(p(T) − p(e)); likewise for the capacity of a site.
fn radius_from_t(r: &Residual, p: &[i64], evaluated: &[bool]) -> i64 {
    let s = r.m.season;
    let mut radius = 1i64;
    for g in (0..s.groups().len()).filter(|&g| evaluated[g]) {
        radius = radius.max(p[1] - p[r.g0 as usize + g] + 1);
        if r.open_cap[g].is_some() {
            radius = radius.max(p[1] - p[r.o0 as usize + g] + 1);
        }
    }
    for w in (0..s.workplaces().len()).filter(|&w| s.workplaces()[w].capacity.is_some()) {
        radius = radius.max(p[1] - p[r.w0 as usize + w] + 1);
    }
    radius
}

/// The learner who takes the extra capacity of site node `wnode`: the last
/// learner on the tree path into the site, who goes to a free seat of one of
/// its recognitions.
fn capacity_taker(r: &Residual, t_tree: &Tree, wnode: u32) -> Option<(LearnerId, Vec<Move>)> {
    let path = t_tree.path_from_root(wnode);
    let k = path.iter().rposition(|&v| matches!(r.kind(v), Node::Learner(_)))?;
    let Node::Learner(li) = r.kind(path[k]) else { return None };
    let g = r.group_of_node(path[k + 1])?;
    Some((LearnerId::from_index(li), r.moves(&path[..=k], g)))
}

/// One more seat alone at group `g` of a full site whose other groups
/// `others` hold learners (or with `g` itself, see `compute_with`): through
/// `T` (vacate the site through one of them, `exit_tree`), or along a chain
/// that does not pass `S` or `T` (a tree from the site that starts at them).
#[allow(clippy::too_many_arguments)]
fn full_site_group(
    r: &Residual,
    p: &[i64],
    t_tree: &Tree,
    exit_tree: &Tree,
    to_t: &impl Fn(u32) -> Option<i64>,
    to_t_at_least: &(dyn Fn(u32) -> i64 + Sync),
    best_t: &[Option<(i64, u32)>],
    others: &[usize],
    g: usize,
    waiting: bool,
    tree: &mut Tree,
) -> AtFull {
    let s = r.m.season;
    let w = s.groups()[g].workplace.index();
    let root = r.w0 + w as u32;
    let pw = p[root as usize];
    let gid = GroupId::from_index(g);
    // Through T: leave the site through the cheapest other group.
    let exit = others.iter().filter_map(|&g1| to_t(r.g0 + g1 as u32).map(|d| (d, g1))).min();
    let exit_path = |g1: usize| {
        let mut path = vec![root];
        path.extend(exit_tree.path(r.g0 + g1 as u32));
        path
    };
    let through_t = match (exit, best_t[g]) {
        (Some((d, _)), Some((a, _))) => a - d,
        _ => 0,
    };
    // Radius for the waiting list: an unplaced learner of the group for whom
    // the seat alone is as good as seat and capacity is at reduced distance
    // p(w) − p(T) (where the potentials are the distances from T).
    let wait = if waiting { pw - p[1] + 1 } else { i64::MIN };
    let reach = {
        let o = r.open_cap[g].map_or(i64::MIN, |_| pw - p[r.o0 as usize + g]);
        (pw - p[r.g0 as usize + g]).max(o)
    };
    // Landmark bound: every path from the site into g costs at least
    // d(site, T) − d(entry, T), and the site leaves through one of its
    // groups (g itself included).
    let entries = std::iter::once(r.g0 + g as u32).chain(r.open_cap[g].map(|_| r.o0 + g as u32));
    let entry_to_t = entries.map(to_t).collect::<Option<Vec<i64>>>().and_then(|x| x.into_iter().max());
    let site_to_t = s
        .groups_of_workplace(WorkplaceId::from_index(w))
        .iter()
        .filter(|x| r.flow_g[x.index()] > 0)
        .map(|x| to_t_at_least(r.g0 + x.index() as u32))
        .min()
        .unwrap_or(0);
    let mut visit = FullSite {
        r,
        p,
        t_tree,
        g,
        pw,
        wait,
        reach,
        best: None,
        through_t,
        pending: Vec::new(),
        to_t_at_least,
        entry_to_t,
    };
    let starts: Vec<(u32, i64)> = others.iter().map(|&g1| (r.g0 + g1 as u32, pw - p[r.g0 as usize + g1])).collect();
    let mut settled = 0;
    let hopeless = wait <= 0 && entry_to_t.is_some_and(|x| site_to_t - x >= -visit.bar());
    if !hopeless && visit.settle(root, 0) > 0 {
        let clean = tree.grow(r, None, p, root, &starts, true, &mut visit);
        debug_assert!(clean, "the potentials from T are feasible");
        settled = tree.settled;
    }
    let here = visit.best;
    let via_t = match (exit, best_t[g]) {
        (Some((_, g1)), Some((_, li))) if through_t > 0 => Some((through_t, li, g1)),
        _ => None,
    };
    let seat = match (here, via_t) {
        (Some((gain, v)), via) if via.is_none_or(|(t, li, _)| !better(&Some((gain, v - r.l0)), t, li)) => {
            let taker = (LearnerId::from_index((v - r.l0) as usize), r.moves(&tree.path_from_root(v), gid));
            Use { gain, taker: Some(taker) }
        }
        (_, Some((gain, li, g1))) => {
            let mut path = exit_path(g1);
            path.extend(t_tree.path_from_root(r.l0 + li));
            Use { gain, taker: Some((LearnerId::from_index(li as usize), r.moves(&path, gid))) }
        }
        _ => Use::NONE,
    };
    let off_t = here.is_some_and(|(gain, _)| gain == seat.gain && gain > through_t);
    let seat_enough = visit.pending.iter().map(|&v| (v - r.l0, r.moves(&tree.path_from_root(v), gid))).collect();
    let free_exit = exit.filter(|(d, _)| *d == 0).map(|(_, g1)| exit_path(g1));
    AtFull { g, seat, off_t, seat_enough, free_exit, settled }
}

/// What the full-site trees found for the waiting list.
struct Sites<'x> {
    full: &'x [bool],
    /// (learner, group, chain), sorted.
    seat_enough: &'x [(u32, u32, Vec<Move>)],
    /// Per group: a path from the site to `T` of cost 0 not through it.
    free_exit: &'x [Option<Vec<u32>>],
}

/// The waiting list: for every unplaced learner, the options with a positive
/// gain, best first, `opts.top` kept; counts per group.
fn waitlist(
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
        if r.frozen[li] || r.placed_arc[li] != NONE {
            continue;
        }
        let l = LearnerId::from_index(li);
        let v = r.l0 + li as u32;
        // Through T: one more seat where the site has room, one more seat
        // and capacity at a full site.
        let d_t = from_t(t_tree, p, v);
        let mut options = Vec::new();
        for a in m.arcs_of(l) {
            let g = m.arc_group(a);
            let gi = g.index();
            seats[gi].unplaced_in_reach += 1;
            let Some(d) = d_t else { continue };
            let gain = r.wt[a] - d;
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
            let bounded = m.reserve[gi].is_some_and(|(pg, k)| k > 0 && s.learner(l).priority_group == Some(pg));
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
                score: m.arc_score(a),
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
