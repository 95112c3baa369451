//! The exact fast path: compile a [`PlacementModel`] into min-cost-flow
//! networks, one per independent component, and solve them in parallel.
//!
//! ```text
//! S ─[floor,cap]→ school·programme ─[0,1]→ learner ─[pin,∞) cost −w→ group
//! learner (no school bound): supply 1             learner ─→ group·open ─[seats−reserved]→ group
//! group ─[0,seats]→ workplace ─[0,capacity]→ T    (or group ─[0,seats]→ T when capacity never binds)
//! learner (no school bound) ─[0,∞)→ U, S ─[0,∞)→ U, U ─[0,∞)→ T   (unplaced, cost 0)
//! ```
//!
//! A learner without a school bound supplies its own unit, which leaves by
//! one candidate arc or by its arc to `U` (unplaced); candidate arcs need no
//! upper bound, since at most one unit enters a learner. Measured on the
//! national season's two largest components, this has a third fewer
//! simplex pivots than feeding every learner from `S` by a `[0,1]` arc with
//! `[0,1]` candidate arcs (degenerate pivots at the unit bounds), and solves
//! in 0.6 of the time. `U → T` carries every unplaced learner, so the
//! two-phase max-placed solve limits it.
//!
//! Components: learners and groups joined by candidate arcs, groups of a site
//! whose capacity binds, and learners sharing a school bound. Components share
//! no constraint, so their optima add up to the season's optimum.

use std::time::Instant;

use dualmatch_core::{GroupId, LearnerId, WorkplaceId};
use rayon::prelude::*;

use crate::flow::{FlowError, FlowSolution, Network, NewArc, NodeId, INF};
use crate::infeasible::{Conflict, Infeasible, Limit};
use crate::model::{weight, Assignment, ModelArc, Objective, PlacementModel, WEIGHT_SCALE};

/// Dual values of the season's seat and capacity constraints, in score units:
/// how much the objective would gain, at the margin, from one more seat.
#[derive(Clone, Debug, PartialEq)]
pub struct Duals {
    /// Per recognition ([`GroupId`]): marginal value of one more seat.
    pub seat: Vec<f64>,
    /// Per site ([`WorkplaceId`]): marginal value of one more unit of capacity.
    pub capacity: Vec<f64>,
}

/// How the optimum was found and the proof that it is optimal.
#[derive(Clone, Debug, PartialEq)]
pub struct Proof {
    /// The solver path taken.
    pub method: &'static str,
    /// Independent components solved.
    pub components: usize,
    /// Learners in the largest component.
    pub largest_component: usize,
    /// Upper bound on the total (integer-weight) score from the dual
    /// solution, in score units. Equals the total at optimality.
    pub bound: f64,
    /// For max-placed: the largest number of learners that can be placed
    /// (proven by the dual of the first phase).
    pub max_placeable: Option<usize>,
    /// Wall-clock seconds spent building and solving.
    pub seconds: f64,
    /// For the rank-profile policies: the exact phases (see
    /// [`crate::rank`]); `None` for the score objectives.
    pub phases: Option<crate::rank::PhaseProof>,
}

/// An optimal assignment with its proof and duals.
#[derive(Clone, Debug)]
pub struct Solved {
    /// Who goes where.
    pub assignment: Assignment,
    /// The optimality proof.
    pub proof: Proof,
    /// Marginal seat values (max-fit only).
    pub duals: Option<Duals>,
}

/// Union-find with path halving.
struct Dsu(Vec<u32>);

impl Dsu {
    fn new(n: usize) -> Self {
        Dsu((0..n as u32).collect())
    }
    fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let p = self.0[self.0[x as usize] as usize];
            self.0[x as usize] = p;
            x = p;
        }
        x
    }
    fn union(&mut self, a: u32, b: u32) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            // Smaller root wins, so the result does not depend on order.
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            self.0[hi as usize] = lo;
        }
    }
}

/// One independent part of the problem.
pub(crate) struct Component {
    pub(crate) learners: Vec<LearnerId>,
    pub(crate) groups: Vec<GroupId>,
    pub(crate) workplaces: Vec<WorkplaceId>,
    pub(crate) bounds: Vec<u32>,
}

impl Component {
    /// The candidate arcs of the component's learners.
    pub(crate) fn arc_count(&self, m: &PlacementModel) -> usize {
        self.learners.iter().map(|&l| m.arcs(l).len()).sum()
    }
}

/// Whether a site's capacity can bind (is below the seats of its recognitions).
fn capacity_binds(m: &PlacementModel, w: WorkplaceId) -> Option<u32> {
    let cap = m.season.workplace(w).capacity?;
    let seats: u64 = m.season.groups_of_workplace(w).iter().map(|g| u64::from(m.season.group(*g).seats)).sum();
    (u64::from(cap) < seats).then_some(cap)
}

pub(crate) fn components(m: &PlacementModel) -> Vec<Component> {
    let s = m.season;
    let (nl, ng, nw) = (s.learners().len(), s.groups().len(), s.workplaces().len());
    let nb = m.constraints.school_bounds.len();
    let (g0, w0, b0) = (nl, nl + ng, nl + ng + nw);
    let mut dsu = Dsu::new(nl + ng + nw + nb);
    let mut group_used = vec![false; ng];
    let mut learner_used = vec![false; nl];
    for li in 0..nl {
        let l = LearnerId::from_index(li);
        for a in m.arcs(l) {
            let g = m.group_of(a);
            group_used[g.index()] = true;
            learner_used[li] = true;
            dsu.union(li as u32, (g0 + g.index()) as u32);
        }
        if let Some(b) = m.school_bound_of(l) {
            learner_used[li] = true;
            dsu.union(li as u32, (b0 + b) as u32);
        }
    }
    let mut binds = vec![false; nw];
    for wi in 0..nw {
        let w = WorkplaceId::from_index(wi);
        if capacity_binds(m, w).is_some() {
            binds[wi] = true;
            for g in s.groups_of_workplace(w) {
                if group_used[g.index()] {
                    dsu.union((w0 + wi) as u32, (g0 + g.index()) as u32);
                }
            }
        }
    }
    // Bounds with a floor but no learner still form a (necessarily infeasible) component.
    let mut root_ix: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    let mut comps: Vec<Component> = Vec::new();
    let mut comp_of = |dsu: &mut Dsu, x: usize, comps: &mut Vec<Component>| {
        let r = dsu.find(x as u32);
        *root_ix.entry(r).or_insert_with(|| {
            comps.push(Component { learners: vec![], groups: vec![], workplaces: vec![], bounds: vec![] });
            comps.len() - 1
        })
    };
    for (li, used) in learner_used.iter().enumerate() {
        if *used {
            let c = comp_of(&mut dsu, li, &mut comps);
            comps[c].learners.push(LearnerId::from_index(li));
        }
    }
    for b in 0..nb {
        let c = comp_of(&mut dsu, b0 + b, &mut comps);
        comps[c].bounds.push(b as u32);
    }
    for (gi, used) in group_used.iter().enumerate() {
        if *used {
            let c = comp_of(&mut dsu, g0 + gi, &mut comps);
            comps[c].groups.push(GroupId::from_index(gi));
        }
    }
    for (wi, b) in binds.iter().enumerate() {
        if *b {
            let r = dsu.find((w0 + wi) as u32);
            if let Some(&c) = root_ix.get(&r) {
                comps[c].workplaces.push(WorkplaceId::from_index(wi));
            }
        }
    }
    comps
}

/// What a network arc stands for.
#[derive(Clone, Copy, Debug)]
enum Arc {
    Candidate { learner: LearnerId },
    Other,
    Limit(Limit),
}

pub(crate) struct Built {
    pub(crate) net: Network,
    arcs: Vec<Arc>,
    /// `U → T`: every unplaced learner's unit passes it.
    bypass: crate::flow::ArcId,
    /// Network arc of each candidate arc, for reading placements.
    pub(crate) candidate_arcs: Vec<(crate::flow::ArcId, LearnerId, ModelArc)>,
    /// Node of each learner, in component order.
    learner_node: Vec<NodeId>,
    /// Node a candidate arc of each group enters, for learners outside and
    /// inside the group's priority group: `(open, reserved)`.
    group_entry: Vec<(u32, u32)>,
}

/// The cost of learner `l`'s model arc `a` in the network of an objective.
fn arc_cost(m: &PlacementModel, l: LearnerId, a: ModelArc, bonus: i64, unit_cost: bool) -> i64 {
    if unit_cost {
        -1
    } else {
        -(bonus + m.weight_of(l, a))
    }
}

/// The node a learner's candidate arc to `g` enters: the group's open part
/// when some of its seats are reserved for a priority group the learner is
/// not in, else the group itself.
fn entry_node(m: &PlacementModel, group_entry: &[(u32, u32)], l: LearnerId, g: GroupId) -> NodeId {
    let (open, reserved) = group_entry[g.index()];
    if m.takes_open_seat(l, g) {
        NodeId(open)
    } else {
        NodeId(reserved)
    }
}

/// Per-arc cost for an objective: `bonus` is added for every placement.
/// Only the candidate arcs in `sel` enter the network (all when `None`):
/// per learner of the component, in component order.
pub(crate) fn build(
    m: &PlacementModel,
    c: &Component,
    bonus: i64,
    unit_cost: bool,
    sel: Option<&[Vec<ModelArc>]>,
) -> Built {
    let s = m.season;
    let arc_total: usize = match sel {
        Some(sel) => sel.iter().map(Vec::len).sum(),
        None => c.arc_count(m),
    };
    let nodes = 3 + c.workplaces.len() + 2 * c.groups.len() + c.bounds.len() + c.learners.len();
    let arc_count = arc_total + c.learners.len() + 2 * c.groups.len() + c.workplaces.len() + c.bounds.len() + 2;
    let mut net = Network::with_capacity(nodes, arc_count);
    let mut arcs = Vec::with_capacity(arc_count);
    let n = c.learners.len() as i64;
    // S supplies the learners with a school bound; the others supply themselves.
    let bounded = c.learners.iter().filter(|&&l| m.school_bound_of(l).is_some()).count() as i64;
    let src = net.add_node(bounded);
    let sink = net.add_node(-n);
    let add_node = |net: &mut Network| net.add_node(0);
    let unplaced = add_node(&mut net);
    let add_arc =
        |net: &mut Network, arcs: &mut Vec<Arc>, u: NodeId, v: NodeId, lo: i64, hi: i64, cost: i64, what: Arc| {
            arcs.push(what);
            net.add_arc(u, v, lo, hi, cost)
        };
    // Sites whose capacity binds.
    // Dense id → node maps (NONE when absent): no hashing in the per-arc loop.
    const NONE: u32 = u32::MAX;
    let mut wp_node = vec![NONE; s.workplaces().len()];
    for &w in &c.workplaces {
        let v = add_node(&mut net);
        let cap = capacity_binds(m, w).unwrap_or(0);
        add_arc(&mut net, &mut arcs, v, sink, 0, i64::from(cap), 0, Arc::Limit(Limit::Capacity(w)));
        wp_node[w.index()] = v.0;
    }
    // Groups (and their unreserved part).
    let mut group_node = vec![NONE; s.groups().len()];
    let mut open_node = vec![NONE; s.groups().len()];
    for &g in &c.groups {
        let grp = s.group(g);
        let v = add_node(&mut net);
        let to = match wp_node[grp.workplace.index()] {
            NONE => sink,
            v => NodeId(v),
        };
        add_arc(&mut net, &mut arcs, v, to, 0, i64::from(grp.seats), 0, Arc::Limit(Limit::Seats(g)));
        group_node[g.index()] = v.0;
        if let Some(open) = m.open_seats(g) {
            let o = add_node(&mut net);
            add_arc(&mut net, &mut arcs, o, v, 0, i64::from(open), 0, Arc::Limit(Limit::OpenSeats(g)));
            open_node[g.index()] = o.0;
        }
    }
    // School bounds.
    let mut bound_node = vec![NONE; m.constraints.school_bounds.len()];
    for &b in &c.bounds {
        let sb = m.constraints.school_bounds[b as usize];
        let v = add_node(&mut net);
        let hi = if sb.max == u32::MAX { n.max(i64::from(sb.min)) } else { i64::from(sb.max) };
        add_arc(
            &mut net,
            &mut arcs,
            src,
            v,
            i64::from(sb.min),
            hi,
            0,
            Arc::Limit(Limit::SchoolCap(sb.school, sb.programme)),
        );
        bound_node[b as usize] = v.0;
    }
    // Learners and their candidate arcs.
    let mut candidate_arcs = Vec::with_capacity(arc_total);
    let mut learner_node = Vec::with_capacity(c.learners.len());
    let group_entry: Vec<(u32, u32)> =
        group_node.iter().zip(&open_node).map(|(&g, &o)| (if o == NONE { g } else { o }, g)).collect();
    for (i, &l) in c.learners.iter().enumerate() {
        let kept = m.kept(l).is_some();
        let bound = m.school_bound_of(l);
        let v = net.add_node(if bound.is_some() { 0 } else { 1 });
        learner_node.push(v);
        match bound {
            Some(b) => {
                let sb = m.constraints.school_bounds[b];
                // A kept learner stays placed: its unit must come.
                let lo = i64::from(kept);
                add_arc(
                    &mut net,
                    &mut arcs,
                    NodeId(bound_node[b]),
                    v,
                    lo,
                    1,
                    0,
                    Arc::Limit(Limit::Learners(sb.school, sb.programme)),
                )
            }
            // A kept learner stays placed: its unit cannot leave unplaced.
            None => add_arc(&mut net, &mut arcs, v, unplaced, 0, if kept { 0 } else { INF }, 0, Arc::Other),
        };
        let pinned = m.pinned_arc(l);
        let mut add = |a: ModelArc| {
            let to = entry_node(m, &group_entry, l, m.group_of(a));
            let lo = i64::from(pinned == Some(a));
            let cost = arc_cost(m, l, a, bonus, unit_cost);
            let id = add_arc(&mut net, &mut arcs, v, to, lo, INF, cost, Arc::Candidate { learner: l });
            candidate_arcs.push((id, l, a));
        };
        match sel {
            Some(sel) => sel[i].iter().for_each(|&a| add(a)),
            None => m.arcs(l).for_each(&mut add),
        }
    }
    add_arc(&mut net, &mut arcs, src, unplaced, 0, INF, 0, Arc::Other);
    let bypass = add_arc(&mut net, &mut arcs, unplaced, sink, 0, INF, 0, Arc::Other);
    Built { net, arcs, bypass, candidate_arcs, learner_node, group_entry }
}

/// Translates an infeasibility certificate (a node set `X`) into a conflict:
/// what must enter or start in `X` (floors, pins) exceeds what can leave it
/// (seats, capacities, caps).
pub(crate) fn explain_cut(b: &Built, cut: &[NodeId]) -> Conflict {
    let mut inside = vec![false; b.net.node_count()];
    for v in cut {
        inside[v.0 as usize] = true;
    }
    let mut need: i128 = cut.iter().map(|v| i128::from(b.net.supply(*v))).sum();
    let mut available: u64 = 0;
    let (mut floors, mut pins, mut limits) = (Vec::new(), Vec::new(), Vec::new());
    for a in 0..b.net.arc_count() {
        let id = crate::flow::ArcId(a as u32);
        let (u, v) = (inside[b.net.arc_from(id).0 as usize], inside[b.net.arc_to(id).0 as usize]);
        if !u && v {
            let lo = b.net.arc_lower(id);
            need += i128::from(lo);
            match b.arcs[a] {
                Arc::Limit(Limit::SchoolCap(sc, p)) if lo > 0 => floors.push((sc, p, lo as u32)),
                Arc::Candidate { learner } if lo > 0 => pins.push(learner),
                _ => {}
            }
        } else if u && !v {
            let cap = b.net.arc_upper(id).max(0) as u64;
            available += cap;
            if let Arc::Limit(l) = b.arcs[a] {
                limits.push((l, cap));
            }
        }
    }
    limits.sort_by_key(|x| std::cmp::Reverse(x.1));
    Conflict::Shortfall { floors, pins, need: need.max(0) as u64, available, limits }
}

struct CompResult {
    /// (learner, model arc) placements.
    placed: Vec<(LearnerId, ModelArc)>,
    /// Dual bound of this component in weight units (incl. bonus).
    bound: i128,
    placeable: usize,
    seat_dual: Vec<(GroupId, i64)>,
    cap_dual: Vec<(WorkplaceId, i64)>,
}

/// `-D`, where `D` is the dual objective of a min-cost-flow solution: a proven
/// upper bound on the (negated-cost) objective of any feasible flow.
pub(crate) fn dual_bound(net: &Network, sol: &FlowSolution) -> i128 {
    let mut d: i128 = 0;
    for v in 0..net.node_count() {
        d -= i128::from(net.supply(NodeId(v as u32))) * i128::from(sol.potential[v]);
    }
    for a in 0..net.arc_count() {
        let id = crate::flow::ArcId(a as u32);
        let rc = i128::from(sol.reduced_cost(net, id));
        let (lo, hi) = (i128::from(net.arc_lower(id)), net.arc_upper(id));
        d += if rc < 0 {
            if hi == INF {
                return i128::MAX; // cannot happen at optimality
            }
            rc * i128::from(hi)
        } else {
            rc * lo
        };
    }
    -d
}

/// When and how large components are solved by pricing (see [`solve_with`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pricing {
    /// Components with fewer candidate arcs than this are solved whole.
    pub min_arcs: usize,
    /// Candidate arcs per learner (the best-scoring ones) in the first round.
    pub first_arcs: usize,
}

impl Pricing {
    /// Every component solved whole: the default. Measured on the national
    /// preset (500,000 learners, one component of 218,000 learners with 16.3
    /// million arcs), pricing from 8 arcs per learner needed 5 rounds and
    /// ended with 5.0 million arcs, yet took longer (139 s against about
    /// 70 s): the simplex resumed after each round pivots almost as much as
    /// a fresh start on the larger network.
    pub const OFF: Pricing = Pricing { min_arcs: usize::MAX, first_arcs: usize::MAX };
}

impl Default for Pricing {
    fn default() -> Self {
        Pricing::OFF
    }
}

/// The first arc selection of a priced solve: each learner's best-scoring
/// `k` arcs and their pinned arc, in model order.
fn initial_selection(m: &PlacementModel, c: &Component, k: usize) -> Vec<Vec<ModelArc>> {
    let k = k.max(1);
    c.learners
        .par_iter()
        .map(|&l| {
            let arcs = m.arcs(l);
            if arcs.len() <= k {
                return arcs.collect();
            }
            let mut best: Vec<ModelArc> = arcs.collect();
            // Highest score first, then model order: deterministic.
            best.select_nth_unstable_by(k - 1, |&a, &b| {
                weight(m.score_of(b)).cmp(&weight(m.score_of(a))).then(a.cmp(&b))
            });
            best.truncate(k);
            if let Some(p) = m.pinned_arc(l) {
                if !best.contains(&p) {
                    best.push(p);
                }
            }
            best.sort_unstable();
            best
        })
        .collect()
}

/// The candidate arcs of the component's learners that are not in `sel`
/// and have a negative reduced cost under the potentials `pi`, per learner.
#[allow(clippy::too_many_arguments)]
fn price(
    m: &PlacementModel,
    c: &Component,
    learner_node: &[NodeId],
    group_entry: &[(u32, u32)],
    pi: &[i64],
    sel: &[Vec<ModelArc>],
    bonus: i64,
    unit_cost: bool,
) -> Vec<Vec<ModelArc>> {
    c.learners
        .par_iter()
        .zip(sel.par_iter())
        .enumerate()
        .map(|(i, (&l, chosen))| {
            let pl = pi[learner_node[i].0 as usize];
            m.arcs(l)
                .filter(|a| !chosen.contains(a))
                .filter(|&a| {
                    let to = entry_node(m, group_entry, l, m.group_of(a));
                    arc_cost(m, l, a, bonus, unit_cost) + pl - pi[to.0 as usize] < 0
                })
                .collect()
        })
        .collect()
}

/// Solves a component's network optimally. A large component is solved by
/// column generation: first with each learner's best few arcs, then, from
/// the simplex's current basis, with the arcs whose reduced cost shows they
/// could improve the flow added, until none can; the final potentials then
/// price every arc, so the flow is optimal for the whole component and
/// [`dual_bound`] bounds it. `adjust` changes the built network before the
/// solve.
fn solve_priced(
    m: &PlacementModel,
    c: &Component,
    pricing: Pricing,
    bonus: i64,
    unit_cost: bool,
    adjust: &dyn Fn(&mut Built),
) -> Result<(Built, FlowSolution), Conflict> {
    let total = c.arc_count(m);
    // The whole network, solved from scratch.
    let whole = || {
        let mut b = build(m, c, bonus, unit_cost, None);
        adjust(&mut b);
        match b.net.solve() {
            Ok(sol) => Ok((b, sol)),
            Err(FlowError::Infeasible { cut, .. }) => Err(explain_cut(&b, &cut)),
            Err(FlowError::InvalidInput(msg)) => panic!("internal error: invalid network: {msg}"),
        }
    };
    if total < pricing.min_arcs {
        return whole();
    }
    let mut sel = initial_selection(m, c, pricing.first_arcs);
    let mut b = build(m, c, bonus, unit_cost, Some(&sel));
    adjust(&mut b);
    let cost_bound = c
        .learners
        .iter()
        .flat_map(|&l| m.arcs(l).map(move |a| (l, a)))
        .map(|(l, a)| arc_cost(m, l, a, bonus, unit_cost).abs())
        .max()
        .unwrap_or(0);
    let mut next_id = b.net.arc_count() as u32;
    let Built { net, arcs, candidate_arcs, learner_node, group_entry, .. } = &mut b;
    let mut more = |pi: &[i64]| -> Vec<NewArc> {
        let added = price(m, c, learner_node, group_entry, pi, &sel, bonus, unit_cost);
        let mut out = Vec::new();
        for (i, more) in added.into_iter().enumerate() {
            let l = c.learners[i];
            for &a in &more {
                let to = entry_node(m, group_entry, l, m.group_of(a));
                out.push(NewArc { from: learner_node[i], to, upper: 1, cost: arc_cost(m, l, a, bonus, unit_cost) });
                arcs.push(Arc::Candidate { learner: l });
                candidate_arcs.push((crate::flow::ArcId(next_id), l, a));
                next_id += 1;
            }
            if !more.is_empty() {
                sel[i].extend(more);
                sel[i].sort_unstable();
            }
        }
        out
    };
    let result = net.solve_adding(cost_bound, &mut more);
    match result {
        Ok(sol) => Ok((b, sol)),
        // A certificate on part of the arcs may not hold for all of them:
        // the whole network explains the infeasibility.
        Err(FlowError::Infeasible { .. }) => whole(),
        Err(FlowError::InvalidInput(msg)) => panic!("internal error: invalid network: {msg}"),
    }
}

fn solve_component(
    m: &PlacementModel,
    c: &Component,
    objective: Objective,
    pricing: Pricing,
) -> Result<CompResult, Conflict> {
    let solve = |bonus: i64, unit_cost: bool, adjust: &dyn Fn(&mut Built)| {
        solve_priced(m, c, pricing, bonus, unit_cost, adjust)
    };
    let max_w = |l: LearnerId| m.arcs(l).map(|a| m.weight_of(l, a)).max().unwrap_or(0);
    let read = |b: &Built, sol: &FlowSolution| -> Vec<(LearnerId, ModelArc)> {
        b.candidate_arcs.iter().filter(|(id, _, _)| sol.flow(*id) > 0).map(|&(_, l, a)| (l, a)).collect()
    };
    let duals = |b: &Built, sol: &FlowSolution| {
        let mut seat = Vec::new();
        let mut cap = Vec::new();
        for (a, what) in b.arcs.iter().enumerate() {
            let id = crate::flow::ArcId(a as u32);
            let rc = sol.reduced_cost(&b.net, id);
            if rc < 0 {
                match what {
                    Arc::Limit(Limit::Seats(g)) => seat.push((*g, -rc)),
                    Arc::Limit(Limit::Capacity(w)) => cap.push((*w, -rc)),
                    _ => {}
                }
            }
        }
        (seat, cap)
    };
    match objective {
        Objective::MaxFit => {
            let (b, sol) = solve(0, false, &|_| {})?;
            let placed = read(&b, &sol);
            let (seat_dual, cap_dual) = duals(&b, &sol);
            Ok(CompResult { placeable: placed.len(), placed, bound: dual_bound(&b.net, &sol), seat_dual, cap_dual })
        }
        Objective::MaxPlaced => {
            // Exactly lexicographic. With M = 1 + Σ best weights, one more
            // placement always outweighs any score difference. When M is too
            // large for 64-bit arithmetic, two phases: the maximum number k,
            // then the best score with the bypass limited to n − k.
            let big_m: i128 = 1 + c.learners.iter().map(|&l| i128::from(max_w(l))).sum::<i128>();
            let nodes = (c.learners.len() + 2 * c.groups.len() + c.workplaces.len() + c.bounds.len() + 3) as i128;
            let max_cost = big_m + c.learners.iter().map(|&l| i128::from(max_w(l))).max().unwrap_or(0);
            if nodes * max_cost < i128::from(i64::MAX / 32)
                && !TWO_PHASE.force.load(std::sync::atomic::Ordering::Relaxed)
            {
                let bonus = big_m as i64;
                let (b, sol) = solve(bonus, false, &|_| {})?;
                let placed = read(&b, &sol);
                let k = placed.len() as i128;
                let bound = dual_bound(&b.net, &sol);
                Ok(CompResult {
                    placeable: placed.len(),
                    placed,
                    bound: bound - k * big_m,
                    seat_dual: vec![],
                    cap_dual: vec![],
                })
            } else {
                TWO_PHASE.runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let (b1, s1) = solve(0, true, &|_| {})?;
                let k = dual_bound(&b1.net, &s1) as i64;
                let unplaced = c.learners.len() as i64 - k;
                let (b2, s2) = solve(0, false, &|b: &mut Built| {
                    let lo = b.net.arc_lower(b.bypass);
                    b.net.set_bounds(b.bypass, lo, unplaced);
                })?;
                let placed = read(&b2, &s2);
                debug_assert_eq!(placed.len() as i64, k);

                Ok(CompResult {
                    placeable: k as usize,
                    placed,
                    bound: dual_bound(&b2.net, &s2),
                    seat_dual: vec![],
                    cap_dual: vec![],
                })
            }
        }
    }
}

/// Test hook for the two-phase max-placed solve, which otherwise runs only
/// when nodes × big-M nears `i64::MAX / 32` (national seasons).
#[doc(hidden)]
pub struct TwoPhase {
    /// Take the two-phase path whatever the size.
    pub force: std::sync::atomic::AtomicBool,
    /// Components solved by the two-phase path so far.
    pub runs: std::sync::atomic::AtomicUsize,
}

/// See [`TwoPhase`].
#[doc(hidden)]
pub static TWO_PHASE: TwoPhase =
    TwoPhase { force: std::sync::atomic::AtomicBool::new(false), runs: std::sync::atomic::AtomicUsize::new(0) };

/// `f` of every item, in parallel, starting the largest items (by `size`)
/// first: each worker takes the largest item not yet started. On the
/// national season this keeps the two largest components (16.7 and 9.1
/// million arcs) on different cores instead of, as a plain `par_iter` may,
/// one after the other. The results are in `items`' order and do not depend
/// on the schedule.
pub(crate) fn largest_first<T: Sync, R: Send>(
    items: &[T],
    size: impl Fn(&T) -> usize + Sync,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let mut order: Vec<usize> = (0..items.len()).collect();
    let sizes: Vec<usize> = items.par_iter().map(&size).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(sizes[i]), i));
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let workers = rayon::current_num_threads().min(items.len());
    rayon::scope(|s| {
        for _ in 0..workers {
            s.spawn(|_| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = order.get(k) else { break };
                let r = f(&items[i]);
                *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
            });
        }
    });
    slots
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()).expect("every item was solved"))
        .collect()
}

/// Solves the model exactly with min-cost flow, components in parallel.
/// Returns every conflict found when the constraints cannot all be met.
pub fn solve(m: &PlacementModel, objective: Objective) -> Result<Solved, Infeasible> {
    solve_with(m, objective, Pricing::default())
}

/// Like [`solve`], choosing when components are solved by pricing: first
/// with each learner's best few arcs only, then adding back every arc whose
/// reduced cost could improve the flow, until none can. The result is
/// optimal for the whole model either way (the final potentials price every
/// arc), and the same as with [`solve`] up to ties between optima.
pub fn solve_with(m: &PlacementModel, objective: Objective, pricing: Pricing) -> Result<Solved, Infeasible> {
    let start = Instant::now();
    let comps = components(m);
    let results = largest_first(&comps, |c| c.arc_count(m), |c| solve_component(m, c, objective, pricing));
    let mut conflicts = Vec::new();
    let mut placement = vec![None; m.learner_count()];
    let mut bound: i128 = 0;
    let mut placeable = 0;
    let mut seat = vec![0.0; m.season.groups().len()];
    let mut capacity = vec![0.0; m.season.workplaces().len()];
    for r in results {
        match r {
            Ok(r) => {
                for (l, a) in r.placed {
                    placement[l.index()] = Some(m.candidate_of(a));
                }
                bound += r.bound;
                placeable += r.placeable;
                for (g, v) in r.seat_dual {
                    seat[g.index()] = v as f64 / WEIGHT_SCALE;
                }
                for (w, v) in r.cap_dual {
                    capacity[w.index()] = v as f64 / WEIGHT_SCALE;
                }
            }
            Err(c) => conflicts.push(c),
        }
    }
    if !conflicts.is_empty() {
        return Err(Infeasible { conflicts });
    }
    let proof = Proof {
        method: "network-simplex",
        components: comps.len(),
        largest_component: comps.iter().map(|c| c.learners.len()).max().unwrap_or(0),
        bound: bound as f64 / WEIGHT_SCALE,
        max_placeable: (objective == Objective::MaxPlaced).then_some(placeable),
        seconds: start.elapsed().as_secs_f64(),
        phases: None,
    };
    let duals = (objective == Objective::MaxFit).then_some(Duals { seat, capacity });
    Ok(Solved { assignment: Assignment::from_candidates(placement), proof, duals })
}

#[cfg(test)]
mod tests {
    use super::largest_first;
    use std::sync::Mutex;

    #[test]
    fn largest_first_keeps_item_order_and_starts_with_the_largest() {
        let items: Vec<usize> = vec![3, 9, 1, 9, 4, 0, 7];
        let started = Mutex::new(Vec::new());
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let out = pool.install(|| {
            largest_first(
                &items,
                |&x| x,
                |&x| {
                    started.lock().unwrap().push(x);
                    x * 10
                },
            )
        });
        assert_eq!(out, vec![30, 90, 10, 90, 40, 0, 70]);
        // One worker: strictly largest first (ties in item order).
        assert_eq!(started.into_inner().unwrap(), vec![9, 9, 7, 4, 3, 1, 0]);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let out = pool.install(|| largest_first(&items, |&x| x, |&x| x + 1));
        assert_eq!(out, vec![4, 10, 2, 10, 5, 1, 8]);
        assert!(largest_first(&Vec::<usize>::new(), |&x| x, |&x| x).is_empty());
    }
}
