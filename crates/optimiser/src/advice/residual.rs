//! The residual network of an optimal assignment, read from the model on the
//! fly, with its arcs in both directions.

use dualmatch_core::csr::Csr;
use dualmatch_core::{GroupId, LearnerId, WorkplaceId};
use rayon::prelude::*;

use super::types::{AdviceError, Move};
use crate::ints::Ints;
use crate::model::{ModelArc, PlacementModel};
use crate::network::Solved;
use crate::par::{par_fill, par_vec, CHUNK};

/// The residual network of an optimal assignment, read from the model on
/// the fly (learner arcs are not copied).
///
/// Nodes: `S`, `T`, school bounds, learners, groups, open parts of groups
/// (reserved seats), sites.
pub(super) struct Residual<'r, 'a> {
    pub(super) m: &'r PlacementModel<'a>,
    b0: u32,
    pub(super) l0: u32,
    pub(super) g0: u32,
    pub(super) o0: u32,
    pub(super) w0: u32,
    pub(super) n: u32,
    /// Per model arc: the integer weight of its score (4 bytes when every
    /// weight fits, see [`Ints`] and [`weights_fit_i32`]), and the node it
    /// enters (the group, or its open part).
    pub(super) wt: Ints,
    arc_to: Vec<u32>,
    /// Whether some group reserves seats (else every entry is the group).
    any_reserve: bool,
    /// Per learner: the model arc used, if placed.
    pub(super) placed_arc: Vec<Option<ModelArc>>,
    /// Per learner: skipped (pinned, or without arcs).
    pub(super) frozen: Vec<bool>,
    pub(super) flow_g: Vec<u32>,
    flow_o: Vec<u32>,
    flow_w: Vec<u32>,
    flow_b: Vec<u32>,
    /// Per group: open (unreserved) seats, when seats are reserved.
    pub(super) open_cap: Vec<Option<u32>>,
    /// Per group: seats, and the node its seats flow into (its site when
    /// the site has a capacity, else `T`); per site: capacity or `NO_CAP`.
    /// Copies of the season's, compact for the inner loops.
    seats: Vec<u32>,
    pub(super) head: Vec<u32>,
    cap: Vec<u32>,
    /// Per group: non-pinned learners placed there, high bit set when they
    /// use the open part, with the weight of their placement (kept here so
    /// that expanding a group reads no learner's arc at random).
    at: Csr<(u32, i64)>,
    /// Per learner: the entry node of their placement and its weight
    /// (`(NONE, 0)` when unplaced), for the trees that run backwards.
    placed_in: Vec<(u32, i64)>,
    /// Per bound, then `S`: unplaced learners with arcs.
    free: Csr<u32>,
}

const VIA_OPEN: u32 = 1 << 31;
const NO_CAP: u32 = u32::MAX;

pub(super) enum Node {
    S,
    T,
    Bound(usize),
    Learner(usize),
    Group(usize),
    Open(usize),
    Site(usize),
}

impl<'r, 'a> Residual<'r, 'a> {
    /// The residual network, with narrow weights where they fit.
    pub(super) fn new(m: &'r PlacementModel<'a>, solved: &Solved) -> Result<Self, AdviceError> {
        Self::with_width(m, solved, weights_fit_i32(m))
    }

    /// The residual network, with narrow weights if `narrow` (which needs
    /// [`weights_fit_i32`]).
    pub(super) fn with_width(m: &'r PlacementModel<'a>, solved: &Solved, narrow: bool) -> Result<Self, AdviceError> {
        let s = m.season;
        let (nl, ng, nw) = (s.learners().len(), s.groups().len(), s.workplaces().len());
        let nb = m.constraints.school_bounds.len();
        let b0 = 2u32;
        let l0 = b0 + nb as u32;
        let g0 = l0 + nl as u32;
        let o0 = g0 + ng as u32;
        let w0 = o0 + ng as u32;
        let n = w0 + nw as u32;
        let placed_arc: Vec<Option<ModelArc>> = (0..nl)
            .into_par_iter()
            .map(|li| {
                let l = LearnerId::from_index(li);
                solved.assignment.candidate(l).and_then(|c| m.arc_to(l, c))
            })
            .collect();
        if placed_arc.iter().zip(solved.assignment.by_learner()).any(|(a, (_, c))| a.is_none() && c.is_some()) {
            return Err(AdviceError::NotOptimal);
        }
        let frozen: Vec<bool> = (0..nl)
            .map(|li| {
                let l = LearnerId::from_index(li);
                m.pinned_arc(l).is_some() || m.arcs(l).is_empty()
            })
            .collect();
        // Per arc, in one pass: the objective's weight (a kept arc may carry
        // a bonus) and the node it enters.
        let any_reserve = m.any_reserved();
        let (wt, arc_to) = rayon::join(
            || match narrow {
                true => Ints::Narrow(per_arc(m, |l, a| m.weight_of(l, a) as i32)),
                false => Ints::Wide(per_arc(m, |l, a| m.weight_of(l, a))),
            },
            || {
                per_arc(m, |l, a| {
                    let g = m.group_of(a);
                    (if any_reserve && m.takes_open_seat(l, g) { o0 } else { g0 }) + g.index() as u32
                })
            },
        );
        let mut r = Residual {
            m,
            wt,
            arc_to,
            any_reserve,
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
            open_cap: (0..ng).map(|g| m.open_seats(GroupId::from_index(g))).collect(),
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
            at: Csr::empty(ng),
            placed_in: Vec::new(),
            free: Csr::empty(nb + 1),
        };
        let mut at_rows: Vec<(usize, (u32, i64))> = Vec::new();
        let mut placed_in = vec![(super::NONE, 0i64); nl];
        let mut free_rows: Vec<(usize, u32)> = Vec::new();
        for li in 0..nl {
            let l = LearnerId::from_index(li);
            let Some(a) = r.placed_arc[li] else {
                if !r.frozen[li] {
                    let key = m.school_bound_of(l).unwrap_or(nb);
                    free_rows.push((key, li as u32));
                }
                continue;
            };
            let g = m.group_of(a);
            let via_open = r.is_open_entry(l, g);
            r.flow_g[g.index()] += 1;
            if via_open {
                r.flow_o[g.index()] += 1;
            }
            r.flow_w[s.group(g).workplace.index()] += 1;
            if let Some(b) = m.school_bound_of(l) {
                r.flow_b[b] += 1;
            }
            let w = r.wt.get(a.index());
            placed_in[li] = (r.arc_to[a.index()], w);
            if !r.frozen[li] {
                at_rows.push((g.index(), (li as u32 | if via_open { VIA_OPEN } else { 0 }, w)));
            }
        }
        r.at = Csr::from_pairs(ng, at_rows.iter().copied());
        r.placed_in = placed_in;
        r.free = Csr::from_pairs(nb + 1, free_rows.iter().copied());
        Ok(r)
    }

    pub(super) fn kind(&self, v: u32) -> Node {
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
        self.m.takes_open_seat(l, g)
    }

    /// The node learner `l` enters `g` through.
    pub(super) fn entry(&self, l: LearnerId, g: GroupId) -> u32 {
        if self.is_open_entry(l, g) {
            self.o0 + g.index() as u32
        } else {
            self.g0 + g.index() as u32
        }
    }

    pub(super) fn site_full(&self, w: usize) -> bool {
        self.cap[w] != NO_CAP && self.flow_w[w] >= self.cap[w]
    }

    /// Calls `f(head, cost)` for every residual arc out of `v`.
    pub(super) fn for_each_out(&self, v: u32, mut f: impl FnMut(u32, i64)) {
        let m = self.m;
        let s = m.season;
        match self.kind(v) {
            Node::S => {
                let nb = self.flow_b.len();
                for &l in self.free.row(nb) {
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
                for &l in self.free.row(b) {
                    f(self.l0 + l, 0);
                }
                if self.flow_b[b] > m.constraints.school_bounds[b].min {
                    f(0, 0);
                }
            }
            Node::Learner(li) => self.learner_out(li, |_, _| true, f),
            Node::Group(g) => {
                if self.flow_g[g] < self.seats[g] {
                    f(self.head[g], 0);
                }
                if self.open_cap[g].is_some() && self.flow_o[g] > 0 {
                    f(self.o0 + g as u32, 0);
                }
                for &(x, w) in self.at_of(g) {
                    if x & VIA_OPEN == 0 {
                        f(self.l0 + x, w);
                    }
                }
            }
            Node::Open(g) => {
                if self.open_cap[g].is_some_and(|c| self.flow_o[g] < c) {
                    f(self.g0 + g as u32, 0);
                }
                for &(x, w) in self.at_of(g) {
                    if x & VIA_OPEN != 0 {
                        f(self.l0 + (x & !VIA_OPEN), w);
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

    fn at_of(&self, g: usize) -> &[(u32, i64)] {
        self.at.row(g)
    }

    /// The group a node stands for when it is a group or an open part.
    pub(super) fn group_of_node(&self, v: u32) -> Option<GroupId> {
        match self.kind(v) {
            Node::Group(g) | Node::Open(g) => Some(GroupId::from_index(g)),
            _ => None,
        }
    }

    /// The moves along a simple path of nodes (a tree path) ending at a
    /// learner node, who then goes to `to`.
    pub(super) fn moves(&self, path: &[u32], to: GroupId) -> Vec<Move> {
        let mut moves = Vec::new();
        for (i, &v) in path.iter().enumerate() {
            if let Node::Learner(li) = self.kind(v) {
                let from = self.group_of_node(path[i - 1]);
                let to = match path.get(i + 1) {
                    Some(&next) => self.group_of_node(next),
                    None => Some(to),
                };
                moves.push(Move { learner: LearnerId::from_index(li), from, to });
            }
        }
        moves
    }

    /// The moves along a path that joins two tree paths, ending at a learner
    /// node, who then goes to `to`. Loops (of cost 0, where the two paths
    /// meet) are cut out first, so that every learner moves once.
    pub(super) fn joined_moves(&self, path: &[u32], to: GroupId) -> Vec<Move> {
        self.moves(&without_loops(path), to)
    }
}

/// Whether every arc weight of `m` ([`PlacementModel::weight_of`]) is
/// above `i32::MIN` and at most `i32::MAX`: bounded by the weights of the
/// least and largest score of the season's candidates (the weight grows
/// with the score), and the keep bonus of a kept arc.
pub(super) fn weights_fit_i32(m: &PlacementModel) -> bool {
    let scores = &m.candidates.score;
    let (lo, hi) = scores
        .par_iter()
        .fold(|| (f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)))
        .reduce(|| (f64::INFINITY, f64::NEG_INFINITY), |a, b| (a.0.min(b.0), a.1.max(b.1)));
    if scores.is_empty() {
        return true;
    }
    let bonus = i128::from(m.keep_bonus);
    let least = i128::from(crate::model::weight(lo)) + bonus.min(0);
    let most = i128::from(crate::model::weight(hi)) + bonus.max(0);
    least > i128::from(i32::MIN) && most <= i128::from(i32::MAX)
}

/// `f(learner of a, a)` for every model arc `a`, in arc order, written in
/// parallel by chunks of arcs straight into the vector ([`par_vec`]; each
/// chunk finds the learner of its first arc, then walks forward).
fn per_arc<T: Send>(m: &PlacementModel, f: impl Fn(LearnerId, ModelArc) -> T + Sync) -> Vec<T> {
    par_vec(
        m.arc_count(),
        CHUNK,
        |first| m.learner_of(ModelArc::from_index(first)),
        |l, i| {
            let a = ModelArc(i as u32);
            while !m.arcs(*l).contains(a) {
                *l = LearnerId(l.0 + 1);
            }
            f(*l, a)
        },
    )
}

/// The reduced cost under fixed potentials of every learner's arc into an
/// entry node, saturated into a `u32`, and each learner's least: a tree that
/// needs only the entries into one group skips, on a sequential read, every
/// arc that reaches no node within its radius, and a learner whose arcs all
/// do at once (see [`Residual::for_each_out_near`]).
pub(super) struct Slack<'i> {
    rc: Vec<u32>,
    /// Per learner: the least of `rc` over the arcs it does not use.
    least: Vec<u32>,
    /// The learners' arcs into each entry node, sorted by learner.
    in_arcs: &'i InArcs,
}

impl Residual<'_, '_> {
    /// The reduced costs of the learners' arcs under `p`, or `None` when
    /// one is negative (`p` is not feasible: trees then scan every arc and
    /// report it).
    pub(super) fn slack<'i>(&self, p: &[i64], in_arcs: &'i InArcs) -> Option<Slack<'i>> {
        let m = self.m;
        let negative = std::sync::atomic::AtomicBool::new(false);
        let rc = per_arc(m, |l, a| {
            let x = -self.wt.get(a.index()) + p[(self.l0 + l.0) as usize] - p[self.arc_to[a.index()] as usize];
            if x < 0 && !self.frozen[l.index()] && self.placed_arc[l.index()] != Some(a) {
                negative.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            x.clamp(0, u32::MAX as i64) as u32
        });
        let least = (0..m.learner_count())
            .into_par_iter()
            .map(|li| {
                let placed = self.placed_arc[li].map_or(usize::MAX, |a| a.index());
                let arcs = m.arcs_of(LearnerId::from_index(li));
                arcs.clone().zip(&rc[arcs]).filter(|(a, _)| *a != placed).map(|(_, &x)| x).min().unwrap_or(u32::MAX)
            })
            .collect();
        (!negative.into_inner()).then_some(Slack { rc, least, in_arcs })
    }

    /// [`Residual::for_each_out`] for a tree that takes from learner `v`'s
    /// arcs only those it could relax (reduced cost, under the potentials of
    /// `slack`, below `reach`) and those into the nodes of group `g`: the
    /// others would change nothing, and are skipped without reading the
    /// nodes they enter. The arcs kept are given in the same order.
    pub(super) fn for_each_out_near(&self, v: u32, slack: &Slack, reach: i64, g: usize, mut f: impl FnMut(u32, i64)) {
        let Node::Learner(li) = self.kind(v) else {
            return self.for_each_out(v, f);
        };
        let (gn, on) = (self.g0 + g as u32, self.o0 + g as u32);
        if (slack.least[li] as i64) < reach {
            return self.learner_out(li, |a, e| (slack.rc[a] as i64) < reach || e == gn || e == on, f);
        }
        // Every arc is beyond the radius: only the one into g (a learner
        // has at most one), from the transposed arcs, then the way back.
        if self.frozen[li] {
            return;
        }
        for e in [gn, on] {
            let range = slack.in_arcs.rows.range((e - self.g0) as usize);
            if let Ok(k) = slack.in_arcs.rows.values()[range.clone()].binary_search(&(li as u32)) {
                f(e, slack.in_arcs.costs.get(range.start + k));
            }
        }
        self.back_out(li, f);
    }

    /// The residual arcs out of learner node `li` (those of its arcs `keep`
    /// selects by arc and entry node, then the way back to the unplaced
    /// side), in order.
    fn learner_out(&self, li: usize, keep: impl Fn(usize, u32) -> bool, mut f: impl FnMut(u32, i64)) {
        if self.frozen[li] {
            return;
        }
        let m = self.m;
        let l = LearnerId::from_index(li);
        let placed = self.placed_arc[li];
        let arcs = m.arcs_of(l);
        let skip = placed.map_or(usize::MAX, |a| a.index());
        for (a, &e) in arcs.clone().zip(&self.arc_to[arcs]) {
            if a != skip && keep(a, e) {
                f(e, -self.wt.get(a));
            }
        }
        self.back_out(li, f);
    }

    /// The arc of learner node `li` back to the unplaced side: when placed,
    /// unless kept (a kept learner must stay placed).
    fn back_out(&self, li: usize, mut f: impl FnMut(u32, i64)) {
        let l = LearnerId::from_index(li);
        if self.placed_arc[li].is_some() && self.m.kept_arc(l).is_none() {
            f(self.m.school_bound_of(l).map_or(0, |b| self.b0 + b as u32), 0);
        }
    }
}

/// `path` with its loops cut out: a node met again cuts the path back to
/// where it was first. Linear in the path's length (each node's position is
/// kept in a map); a search of the path so far per node was quadratic on
/// the long chains of a large season.
fn without_loops(path: &[u32]) -> Vec<u32> {
    let mut simple: Vec<u32> = Vec::with_capacity(path.len());
    let mut at: std::collections::HashMap<u32, usize> = std::collections::HashMap::with_capacity(path.len());
    for &v in path {
        if let Some(&k) = at.get(&v) {
            for x in simple.drain(k..) {
                at.remove(&x);
            }
        }
        at.insert(v, simple.len());
        simple.push(v);
    }
    simple
}

/// The transpose of the learners' forward arcs, for trees that run
/// backwards: per entry node (a group or its open part), (learner, cost) of
/// every residual arc into it, in the order of the learners' arcs; per school
/// bound, its placed learners; the placed learners who may leave to `S`.
pub(super) struct InArcs {
    /// The learners, per entry node.
    rows: Csr<u32>,
    /// The cost of each arc in `rows` (in a separate array: 8 or 12 bytes
    /// an arc instead of a padded 16), narrow when the weights are.
    costs: Ints,
    bound_placed: Csr<u32>,
    s_placed: Vec<u32>,
}

impl InArcs {
    pub(super) fn new(r: &Residual) -> Self {
        let m = r.m;
        let (nl, ng) = (m.learner_count(), m.season.groups().len());
        let active = |li: usize| !r.frozen[li];
        // A counting sort of the learners' unused arcs by entry node, read
        // straight from the residual's arrays (no iterator is walked twice).
        let mut counts = vec![0u32; 2 * ng];
        let unused = |li: usize| {
            let placed = r.placed_arc[li].map(|a| a.index());
            m.arcs_of(LearnerId::from_index(li)).filter(move |&a| Some(a) != placed)
        };
        for li in (0..nl).filter(|&li| active(li)) {
            for a in unused(li) {
                counts[(r.arc_to[a] - r.g0) as usize] += 1;
            }
        }
        let mut next = Vec::with_capacity(2 * ng);
        let mut total = 0u32;
        for &c in &counts {
            next.push(total);
            total += c;
        }
        // Zeros written by every core (see [`par_vec`]): the counting sort
        // below writes them again at random, on one core.
        let n = total as usize;
        let mut learners = par_fill(n, 0u32);
        let mut costs = match r.wt {
            Ints::Narrow(_) => Ints::Narrow(par_fill(n, 0)),
            Ints::Wide(_) => Ints::Wide(par_fill(n, 0)),
        };
        for li in (0..nl).filter(|&li| active(li)) {
            for a in unused(li) {
                let k = &mut next[(r.arc_to[a] - r.g0) as usize];
                learners[*k as usize] = li as u32;
                // A narrow weight is above i32::MIN, so its negation fits.
                match &mut costs {
                    Ints::Narrow(c) => c[*k as usize] = -(r.wt.get(a) as i32),
                    Ints::Wide(c) => c[*k as usize] = -r.wt.get(a),
                }
                *k += 1;
            }
        }
        let rows = Csr::from_counts(counts, learners);
        let leaves =
            |li: usize| active(li) && r.placed_arc[li].is_some() && m.kept_arc(LearnerId::from_index(li)).is_none();
        let placed = (0..nl)
            .filter(|&li| leaves(li))
            .filter_map(|li| m.school_bound_of(LearnerId::from_index(li)).map(|b| (b, li as u32)));
        let bound_placed = Csr::from_pairs(m.constraints.school_bounds.len(), placed);
        let s_placed = (0..nl)
            .filter(|&li| leaves(li) && m.school_bound_of(LearnerId::from_index(li)).is_none())
            .map(|li| li as u32)
            .collect();
        InArcs { rows, costs, bound_placed, s_placed }
    }
}

impl Residual<'_, '_> {
    /// Calls `f(tail, cost)` for every residual arc into `v` (the mirror of
    /// [`Residual::for_each_out`]).
    pub(super) fn for_each_in(&self, in_arcs: &InArcs, v: u32, mut f: impl FnMut(u32, i64)) {
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
                for &li in &in_arcs.s_placed {
                    f(self.l0 + li, 0);
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
                for &l in in_arcs.bound_placed.row(b) {
                    f(self.l0 + l, 0);
                }
            }
            Node::Learner(li) => {
                if self.frozen[li] {
                    return;
                }
                match self.placed_in[li] {
                    (super::NONE, _) => {
                        f(m.school_bound_of(LearnerId::from_index(li)).map_or(0, |b| self.b0 + b as u32), 0)
                    }
                    (e, w) => f(e, w),
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
                let range = in_arcs.rows.range((v - self.g0) as usize);
                let learners = &in_arcs.rows.values()[range.clone()];
                match &in_arcs.costs {
                    Ints::Narrow(c) => learners.iter().zip(&c[range]).for_each(|(&l, &c)| f(self.l0 + l, c.into())),
                    Ints::Wide(c) => learners.iter().zip(&c[range]).for_each(|(&l, &c)| f(self.l0 + l, c)),
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

#[cfg(test)]
mod tests {
    use dualmatch_core::scoring::{Candidates, Weights};
    use dualmatch_core::synth::{generate, SynthParams};
    use proptest::prelude::*;

    use super::{InArcs, Node, Residual, NO_CAP};
    use crate::constraints::Constraints;
    use crate::model::{Objective, PlacementModel};
    use crate::network;

    /// The residual arcs into every node by [`Residual::for_each_in`] (from
    /// the transposed [`InArcs`]) are those of the slow reference: every
    /// node's [`Residual::for_each_out`], transposed (on seasons with kept
    /// placements too).
    fn check(learners: usize, seed: u64, kept: bool) -> Result<(), TestCaseError> {
        let params = SynthParams { learners, workplaces: learners / 2 + 1, schools: 3, programmes: 3, seed };
        let season = dualmatch_core::season::from_doc(generate(&params)).unwrap().season;
        let cands = Candidates::generate(&season, &Weights::default(), None);
        let cons = Constraints::none();
        let mut m = PlacementModel::new(&season, &cands, &cons).unwrap();
        let solved = network::solve(&m, Objective::MaxFit).unwrap();
        if kept {
            m = m.soften_pins();
        }
        let r = Residual::new(&m, &solved).unwrap();
        let mut reference: Vec<Vec<(u32, i64)>> = vec![Vec::new(); r.n as usize];
        // A site without a capacity has no node in the network: no arc
        // leads to it, so no tree reaches it (its arcs are moot).
        let moot = |v: u32| matches!(r.kind(v), Node::Site(w) if r.cap[w] == NO_CAP);
        for u in (0..r.n).filter(|&u| !moot(u)) {
            r.for_each_out(u, |v, c| reference[v as usize].push((u, c)));
        }
        let in_arcs = InArcs::new(&r);
        let mut arcs = 0;
        for v in 0..r.n {
            if moot(v) {
                continue;
            }
            let mut got = Vec::new();
            r.for_each_in(&in_arcs, v, |u, c| got.push((u, c)));
            let mut want = reference[v as usize].clone();
            arcs += want.len();
            got.sort_unstable();
            want.sort_unstable();
            prop_assert_eq!(got, want, "arcs into node {}", v);
        }
        // Not vacuous: some learners have arcs they do not use.
        prop_assert!(arcs > 2 && !in_arcs.rows.is_empty(), "a season with unused arcs");
        Ok(())
    }

    /// The per-arc arrays that [`Residual::new`] fills in parallel
    /// (by chunks of arcs) are the slow reference's, learner by learner:
    /// [`PlacementModel::weight_of`] and [`Residual::entry`], on seasons with
    /// seats reserved for a priority group (so that some arcs enter an open
    /// part) and with kept placements (a bonus on the kept arcs).
    fn check_arc_arrays(learners: usize, seed: u64, kept: bool) -> Result<usize, TestCaseError> {
        let params = SynthParams { learners, workplaces: learners / 2 + 1, schools: 3, programmes: 3, seed };
        let season = dualmatch_core::season::from_doc(generate(&params)).unwrap().season;
        let cands = Candidates::generate(&season, &Weights::default(), None);
        let priority = season.learners().iter().find_map(|l| l.priority_group);
        let cons = crate::advice::test_constraints(&season, &cands, 0, kept);
        let mut m = PlacementModel::new(&season, &cands, &cons).unwrap();
        let solved = network::solve(&m, Objective::MaxFit).unwrap();
        if kept {
            m = crate::advice::test_keep(m);
            let kept_arcs =
                (0..m.learner_count()).filter(|&li| m.kept_arc(dualmatch_core::LearnerId::from_index(li)).is_some());
            prop_assert!(kept_arcs.count() > 0, "kept placements");
        }
        let r = Residual::new(&m, &solved).unwrap();
        prop_assert_eq!(r.wt.len(), m.arc_count());
        prop_assert!(matches!(r.wt, crate::ints::Ints::Narrow(_)), "scores of 0 to 100 give narrow weights");
        prop_assert_eq!(r.arc_to.len(), m.arc_count());
        let (mut open, mut arcs) = (0, 0);
        for li in 0..m.learner_count() {
            let l = dualmatch_core::LearnerId::from_index(li);
            for a in m.arcs(l) {
                let entry = r.entry(l, m.group_of(a));
                prop_assert_eq!(r.wt.get(a.index()), m.weight_of(l, a), "weight of arc {}", a.index());
                prop_assert_eq!(r.arc_to[a.index()], entry, "entry of arc {}", a.index());
                open += usize::from(entry >= r.o0);
                arcs += 1;
            }
        }
        // Not vacuous: arcs into open parts when a priority group exists,
        // and more than one chunk of the parallel pass on large seasons.
        prop_assert!(priority.is_none() || open > 0, "arcs into open parts");
        prop_assert!(arcs > 0);
        Ok(arcs)
    }

    #[test]
    fn arc_arrays_span_several_chunks() {
        // 3,000 learners have more arcs than one chunk of 2^16.
        assert!(check_arc_arrays(3_000, 11, false).unwrap() > 2 << 16);
        assert!(check_arc_arrays(3_000, 12, true).unwrap() > 2 << 16);
    }

    /// [`Residual::for_each_out_near`] gives, in order, the arcs of
    /// [`Residual::for_each_out`] that reach within `reach` (reduced cost
    /// under the slack's potentials) or enter the group's nodes, and the way
    /// back: for every learner, several groups, and radii from 0 (every
    /// learner takes the path for arcs all beyond it) to past every arc,
    /// through the learner's least reduced cost (beyond it, then just above)
    /// and its largest (every arc but that one within).
    fn check_near(learners: usize, seed: u64) -> Result<usize, TestCaseError> {
        let params = SynthParams { learners, workplaces: learners / 2 + 1, schools: 3, programmes: 3, seed };
        let season = dualmatch_core::season::from_doc(generate(&params)).unwrap().season;
        let cands = Candidates::generate(&season, &Weights::default(), None);
        let cons = Constraints::none();
        let m = PlacementModel::new(&season, &cands, &cons).unwrap();
        let solved = network::solve(&m, Objective::MaxFit).unwrap();
        let r = Residual::new(&m, &solved).unwrap();
        let p = r.start_potentials(&solved);
        let in_arcs = InArcs::new(&r);
        let Some(slack) = r.slack(&p, &in_arcs) else { return Ok(0) };
        let ng = season.groups().len();
        let mut into_group = 0;
        for v in r.l0..r.g0 {
            for g in [0, ng / 2, ng - 1] {
                let least = i64::from(slack.least[(v - r.l0) as usize]);
                let most = m
                    .arcs_of(dualmatch_core::LearnerId::from_index((v - r.l0) as usize))
                    .map(|a| i64::from(slack.rc[a]))
                    .max();
                for reach in [0i64, 1, least, least + 1, most.unwrap_or(0), 1 << 40] {
                    let (gn, on) = (r.g0 + g as u32, r.o0 + g as u32);
                    let mut want = Vec::new();
                    r.for_each_out(v, |e, c| {
                        let learner_arc = (r.g0..r.w0).contains(&e);
                        if !learner_arc || c + p[v as usize] - p[e as usize] < reach || e == gn || e == on {
                            want.push((e, c));
                        }
                    });
                    let mut got = Vec::new();
                    r.for_each_out_near(v, &slack, reach, g, |e, c| got.push((e, c)));
                    into_group += usize::from(reach == 0 && got.iter().any(|&(e, _)| e == gn || e == on));
                    prop_assert_eq!(got, want, "learner node {}, group {}, reach {}", v, g, reach);
                }
            }
        }
        Ok(into_group)
    }

    #[test]
    fn near_arcs_are_the_filtered_out_arcs() {
        let found: usize = (0..8).map(|seed| check_near(150, seed).unwrap()).sum();
        // Not vacuous: learners whose arcs are all beyond the radius but
        // who have one into the group.
        assert!(found > 0, "arcs into the group found by the transposed arcs");
    }

    /// The reference loop cut: a search of the path so far per node.
    fn without_loops_by_search(path: &[u32]) -> Vec<u32> {
        let mut simple: Vec<u32> = Vec::new();
        for &v in path {
            if let Some(k) = simple.iter().position(|&x| x == v) {
                simple.truncate(k);
            }
            simple.push(v);
        }
        simple
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// The linear loop cut is the search's, on paths over few nodes (so
        /// with many loops, nested and overlapping), and the result has no
        /// node twice.
        #[test]
        fn loops_are_cut_as_by_the_search(path in proptest::collection::vec(0u32..12, 0..60)) {
            let cut = super::without_loops(&path);
            prop_assert_eq!(&cut, &without_loops_by_search(&path));
            let mut seen = cut.clone();
            seen.sort_unstable();
            seen.dedup();
            prop_assert_eq!(seen.len(), cut.len());
            prop_assert_eq!(cut.last(), path.last());
        }

        #[test]
        fn arc_arrays_are_the_models(learners in 30usize..150, seed in any::<u64>(), kept in any::<bool>()) {
            check_arc_arrays(learners, seed, kept)?;
        }

        #[test]
        fn in_arcs_are_the_transposed_out_arcs(learners in 30usize..150, seed in any::<u64>(), kept in any::<bool>()) {
            check(learners, seed, kept)?;
        }
    }
}
