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
//! upper bound, since at most one unit enters a learner. When this shape
//! came in (commit d7e46fb), it needed a third fewer simplex pivots on the
//! national season's two largest components than feeding every learner from
//! `S` by a `[0,1]` arc with `[0,1]` candidate arcs (degenerate pivots at
//! the unit bounds), and solved them in 0.6 of the time; that comparison
//! needs the old code. The pivots of the current shape are printed with the
//! `pivot-stats` feature ([`crate::flow`]`::stats`): `cargo run --release -p
//! dualmatch-cli --features pivot-stats -- match
//! target/bench-data/national-e2e --no-advice --out r` (the season:
//! `scripts/bench-data.sh`). `U → T` carries every unplaced learner, so the
//! two-phase max-placed solve limits it.
//!
//! Components: learners and groups joined by candidate arcs, groups of a site
//! whose capacity binds, and learners sharing a school bound. Components share
//! no constraint, so their optima add up to the season's optimum.

use std::time::Instant;

use dualmatch_core::rhythm::Days;
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
    /// The full dual solution, which proves the optimum without the solver
    /// ([`crate::certificate`]): on the network path, for max-fit, and for
    /// max-placed when one placement bonus for the whole season fits 64-bit
    /// arithmetic; `None` otherwise (mixed-integer components, the
    /// two-phase max-placed solve, kept placements, the LP path).
    pub certificate: Option<crate::certificate::Certificate>,
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

/// A phase of the exact network solve, timed by [`PHASES`].
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Splitting the model into components (and, for max-placed, the
    /// season's placement bonus).
    Components,
    /// Building a component's network from the model.
    Build,
    /// The simplex's set-up: its arrays and the initial spanning tree.
    Setup,
    /// The simplex's pivots (initial pivots, crash basis, block search).
    Pivots,
    /// Reading the simplex's flow and potentials back.
    Finish,
    /// The placements, dual bound, duals and certificate of a component.
    Proof,
    /// Putting the components' results together.
    Assemble,
}

impl Phase {
    /// Every phase, in solve order.
    pub const ALL: [Phase; 7] =
        [Phase::Components, Phase::Build, Phase::Setup, Phase::Pivots, Phase::Finish, Phase::Proof, Phase::Assemble];

    /// The phase's name in the bench's output.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Components => "components",
            Phase::Build => "build",
            Phase::Setup => "setup",
            Phase::Pivots => "pivots",
            Phase::Finish => "finish",
            Phase::Proof => "proof",
            Phase::Assemble => "assemble",
        }
    }
}

/// Seconds spent in each [`Phase`] of the network solves since the last
/// [`PhaseTimes::take`], summed over components and threads. Always on (a
/// few clock reads per component); read by `benches/solve_phases.rs`.
#[doc(hidden)]
pub struct PhaseTimes([std::sync::atomic::AtomicU64; 7]);

impl PhaseTimes {
    /// Adds the time since `since` to phase `p` and returns the current instant.
    pub(crate) fn add(&self, p: Phase, since: Instant) -> Instant {
        let now = Instant::now();
        let ns = now.saturating_duration_since(since).as_nanos() as u64;
        self.0[p as usize].fetch_add(ns, std::sync::atomic::Ordering::Relaxed);
        now
    }

    /// The seconds of every phase (in [`Phase::ALL`] order), resetting them to 0.
    pub fn take(&self) -> [(Phase, f64); 7] {
        Phase::ALL.map(|p| (p, self.0[p as usize].swap(0, std::sync::atomic::Ordering::Relaxed) as f64 * 1e-9))
    }
}

/// See [`PhaseTimes`].
#[doc(hidden)]
pub static PHASES: PhaseTimes = PhaseTimes([const { std::sync::atomic::AtomicU64::new(0) }; 7]);

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
    /// Whether a site of the component takes "a group or nobody" (not a
    /// network constraint: the component goes to [`crate::mip`]).
    fn group_or_nobody(&self, m: &PlacementModel) -> bool {
        self.workplaces.iter().any(|&w| m.constraints.site_minimum(w).is_some_and(|x| x.allow_empty))
    }

    /// The days the component's learners are at the workplace, when they
    /// are all the same (the network path); `None` when they differ (the
    /// component goes to the mixed-integer path with per-day seats).
    pub(crate) fn days(&self, m: &PlacementModel) -> Option<Days> {
        let mut days = self.learners.iter().map(|&l| m.season.days_of(l));
        let first = days.next().unwrap_or(Days::EVERY);
        days.all(|d| d == first).then_some(first)
    }

    /// Whether a site of the component has mentors.
    fn mentored(&self, m: &PlacementModel) -> bool {
        self.groups.iter().any(|&g| !m.season.mentors_of_workplace(m.season.group(g).workplace).is_empty())
    }

    /// The candidate arcs of the component's learners.
    pub(crate) fn arc_count(&self, m: &PlacementModel) -> usize {
        self.learners.iter().map(|&l| m.arcs(l).len()).sum()
    }
}

/// The most learners site `w` can take: its capacity, or the seats of its
/// recognitions when fewer.
fn site_room(m: &PlacementModel, w: WorkplaceId) -> u32 {
    let seats: u64 = m.season.groups_of_workplace(w).iter().map(|g| u64::from(m.season.group(*g).seats)).sum();
    let cap = m.season.workplace(w).capacity.map_or(u64::MAX, u64::from);
    seats.min(cap).min(u64::from(u32::MAX)) as u32
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
    // Short lines (`max_sites`, `new_site_penalty`) bind a school's
    // learners together: one component per such school.
    if m.constraints.any_short_lines() {
        let mut first = vec![u32::MAX; s.schools().len()];
        for li in (0..nl).filter(|&li| learner_used[li]) {
            let school = s.learners()[li].school;
            if m.constraints.short_line(school).is_some() {
                match first[school.index()] {
                    u32::MAX => first[school.index()] = li as u32,
                    f => dsu.union(f, li as u32),
                }
            }
        }
    }
    let mut binds = vec![false; nw];
    for wi in 0..nw {
        let w = WorkplaceId::from_index(wi);
        // A site's mentors are shared by its groups: one component.
        if !s.mentors_of_workplace(w).is_empty() {
            for g in s.groups_of_workplace(w) {
                if group_used[g.index()] {
                    dsu.union((w0 + wi) as u32, (g0 + g.index()) as u32);
                }
            }
        }
        if capacity_binds(m, w).is_some() || m.constraints.site_minimum(w).is_some() {
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
            let w = WorkplaceId::from_index(wi);
            let r = dsu.find((w0 + wi) as u32);
            match root_ix.get(&r) {
                Some(&c) => comps[c].workplaces.push(w),
                // A hard minimum that no learner reaches still forms a
                // (necessarily infeasible) component.
                None if m.constraints.site_minimum(w).is_some_and(|x| !x.allow_empty) => {
                    comps.push(Component { learners: vec![], groups: vec![], workplaces: vec![w], bounds: vec![] });
                }
                None => {}
            }
        }
    }
    comps
}

/// What a network arc stands for.
#[derive(Clone, Copy, Debug)]
enum Arc {
    Candidate {
        learner: LearnerId,
    },
    Other,
    Limit(Limit),
    /// A site's arc to the sink: its minimum (lower bound) and its room.
    Site(WorkplaceId, Limit),
}

/// The candidate arcs of a network: for each, its network arc, its learner
/// and its model arc, in the order they were added. Kept as runs of arcs of
/// one learner whose network and model arcs both count up by one: one run
/// (16 bytes) per learner when all of a learner's arcs enter the network,
/// instead of 12 bytes per arc (250 MB on the national season's two largest
/// components).
#[derive(Debug, Default)]
pub(crate) struct CandidateArcs {
    runs: Vec<ArcRun>,
}

/// `len` candidate arcs of `learner`: network arcs `id..id + len`, model
/// arcs `arc..arc + len`.
#[derive(Clone, Copy, Debug)]
struct ArcRun {
    id: u32,
    learner: LearnerId,
    arc: u32,
    len: u32,
}

impl CandidateArcs {
    /// Adds a candidate arc after the others.
    pub(crate) fn push(&mut self, id: crate::flow::ArcId, learner: LearnerId, arc: ModelArc) {
        if let Some(r) = self.runs.last_mut() {
            if r.learner == learner && r.id.checked_add(r.len) == Some(id.0) && r.arc.checked_add(r.len) == Some(arc.0)
            {
                r.len += 1;
                return;
            }
        }
        self.runs.push(ArcRun { id: id.0, learner, arc: arc.0, len: 1 });
    }

    /// Every candidate arc in the order added: (network arc, learner, model arc).
    pub(crate) fn iter(&self) -> CandidateArcIter<'_> {
        CandidateArcIter { runs: self.runs.iter(), run: None, k: 0 }
    }
}

impl<'a> IntoIterator for &'a CandidateArcs {
    type Item = (crate::flow::ArcId, LearnerId, ModelArc);
    type IntoIter = CandidateArcIter<'a>;

    fn into_iter(self) -> CandidateArcIter<'a> {
        self.iter()
    }
}

/// The iterator of [`CandidateArcs::iter`].
#[derive(Clone, Debug)]
pub(crate) struct CandidateArcIter<'a> {
    runs: std::slice::Iter<'a, ArcRun>,
    run: Option<ArcRun>,
    k: u32,
}

impl Iterator for CandidateArcIter<'_> {
    type Item = (crate::flow::ArcId, LearnerId, ModelArc);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.run {
                if self.k < r.len {
                    let k = self.k;
                    self.k += 1;
                    return Some((crate::flow::ArcId(r.id + k), r.learner, ModelArc(r.arc + k)));
                }
            }
            self.run = Some(*self.runs.next()?);
            self.k = 0;
        }
    }
}

pub(crate) struct Built {
    pub(crate) net: Network,
    /// What each arc that is not a candidate arc stands for, in arc order
    /// (candidate arcs are in `candidate_arcs`; see [`Built::arc_kinds`]).
    arcs: Vec<(u32, Arc)>,
    /// `U → T`: every unplaced learner's unit passes it.
    bypass: crate::flow::ArcId,
    /// Network arc of each candidate arc, for reading placements.
    pub(crate) candidate_arcs: CandidateArcs,
    /// Node of each learner, in component order.
    learner_node: Vec<NodeId>,
    /// Node a candidate arc of each group enters, for learners outside and
    /// inside the group's priority group: `(open, reserved)`.
    group_entry: Vec<(u32, u32)>,
    /// The source, the sink, and the node of each site and school bound
    /// (`u32::MAX` when absent), for the certificate.
    src: NodeId,
    sink: NodeId,
    wp_node: Vec<u32>,
    bound_node: Vec<u32>,
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
    let mut arcs = Vec::with_capacity(arc_count - arc_total);
    let n = c.learners.len() as i64;
    // S supplies the learners with a school bound; the others supply themselves.
    let bounded = c.learners.iter().filter(|&&l| m.school_bound_of(l).is_some()).count() as i64;
    let src = net.add_node(bounded);
    let sink = net.add_node(-n);
    let add_node = |net: &mut Network| net.add_node(0);
    let unplaced = add_node(&mut net);
    let add_arc = |net: &mut Network,
                   arcs: &mut Vec<(u32, Arc)>,
                   u: NodeId,
                   v: NodeId,
                   lo: i64,
                   hi: i64,
                   cost: i64,
                   what: Arc| {
        arcs.push((net.arc_count() as u32, what));
        net.add_arc(u, v, lo, hi, cost)
    };
    // Sites whose capacity binds.
    // Dense id → node maps (NONE when absent): no hashing in the per-arc loop.
    const NONE: u32 = u32::MAX;
    let mut wp_node = vec![NONE; s.workplaces().len()];
    // A hard site minimum is the arc's lower bound; "a group or nobody" is
    // relaxed to no minimum here (the component goes to the MIP; this
    // network only explains infeasibility).
    for &w in &c.workplaces {
        let v = add_node(&mut net);
        let limit = match capacity_binds(m, w) {
            Some(cap) => (cap, Limit::Capacity(w)),
            None => (site_room(m, w), Limit::SiteSeats(w)),
        };
        let min = m.constraints.site_minimum(w).filter(|x| !x.allow_empty).map_or(0, |x| x.min);
        // A minimum above the room is reported before the network is built
        // (`room_conflict`); here it is clipped so the network stays valid.
        let lower = min.min(limit.0);
        add_arc(&mut net, &mut arcs, v, sink, i64::from(lower), i64::from(limit.0), 0, Arc::Site(w, limit.1));
        wp_node[w.index()] = v.0;
    }
    // Groups (and their unreserved part). At a site with mentors a group's
    // seats lead to the mentors who can guide its learners (recognised for
    // the programme and present on the component's days), and each mentor's
    // workload to the site or the sink.
    let mut group_node = vec![NONE; s.groups().len()];
    let mut open_node = vec![NONE; s.groups().len()];
    let mut mentor_node = vec![NONE; s.mentors().len()];
    let days = c.days(m).unwrap_or(Days::EVERY);
    for &g in &c.groups {
        let grp = s.group(g);
        let v = add_node(&mut net);
        let to = match wp_node[grp.workplace.index()] {
            NONE => sink,
            v => NodeId(v),
        };
        let mentors = s.mentors_of_workplace(grp.workplace);
        if mentors.is_empty() {
            add_arc(&mut net, &mut arcs, v, to, 0, i64::from(grp.seats), 0, Arc::Limit(Limit::Seats(g)));
        } else {
            let seated = add_node(&mut net);
            add_arc(&mut net, &mut arcs, v, seated, 0, i64::from(grp.seats), 0, Arc::Limit(Limit::Seats(g)));
            for &k in mentors {
                let mentor = s.mentor(k);
                if mentor_node[k.index()] == NONE {
                    let mk = add_node(&mut net);
                    let load = i64::from(mentor.max_learners);
                    add_arc(&mut net, &mut arcs, mk, to, 0, load, 0, Arc::Limit(Limit::Mentor(k)));
                    mentor_node[k.index()] = mk.0;
                }
                if mentor.can_guide(grp.programme, days) {
                    add_arc(&mut net, &mut arcs, seated, NodeId(mentor_node[k.index()]), 0, INF, 0, Arc::Other);
                }
            }
        }
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
    let mut candidate_arcs = CandidateArcs::default();
    let mut learner_node = Vec::with_capacity(c.learners.len());
    let group_entry: Vec<(u32, u32)> =
        group_node.iter().zip(&open_node).map(|(&g, &o)| (if o == NONE { g } else { o }, g)).collect();
    // Without reserved seats every candidate arc enters its group's node.
    let reserved = m.any_reserved();
    let (mut heads, mut costs) = (Vec::new(), Vec::new());
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
        // The learner's candidate arcs, all at once: heads and costs into
        // buffers reused between learners, then appended to the network.
        let pinned = m.pinned_arc(l);
        heads.clear();
        costs.clear();
        let first = net.arc_count() as u32;
        let mut pin = None;
        let mut add = |a: ModelArc| {
            let g = m.group_of(a);
            let to = if reserved { entry_node(m, &group_entry, l, g).0 } else { group_entry[g.index()].1 };
            if pin.is_none() && pinned == Some(a) {
                pin = Some(heads.len());
            }
            candidate_arcs.push(crate::flow::ArcId(first + heads.len() as u32), l, a);
            heads.push(to);
            costs.push(arc_cost(m, l, a, bonus, unit_cost));
        };
        match sel {
            Some(sel) => sel[i].iter().for_each(|&a| add(a)),
            None => m.arcs(l).for_each(&mut add),
        }
        net.add_fan(v, &heads, &costs, pin);
    }
    add_arc(&mut net, &mut arcs, src, unplaced, 0, INF, 0, Arc::Other);
    let bypass = add_arc(&mut net, &mut arcs, unplaced, sink, 0, INF, 0, Arc::Other);
    Built { net, arcs, bypass, candidate_arcs, learner_node, group_entry, src, sink, wp_node, bound_node }
}

impl Built {
    /// What every arc of the network stands for, by arc id.
    fn arc_kinds(&self) -> Vec<Arc> {
        let mut kinds = vec![Arc::Other; self.net.arc_count()];
        for (id, learner, _) in &self.candidate_arcs {
            kinds[id.0 as usize] = Arc::Candidate { learner };
        }
        for &(a, what) in &self.arcs {
            kinds[a as usize] = what;
        }
        kinds
    }
}

/// Translates an infeasibility certificate (a node set `X`) into a conflict:
/// what must enter or start in `X` (floors, pins) exceeds what can leave it
/// (seats, capacities, caps).
pub(crate) fn explain_cut(b: &Built, cut: &[NodeId]) -> Conflict {
    let mut inside = vec![false; b.net.node_count()];
    for v in cut {
        inside[v.0 as usize] = true;
    }
    let supply: i128 = cut.iter().map(|v| i128::from(b.net.supply(*v))).sum();
    let kinds = b.arc_kinds();
    let mut lower_in: i128 = 0;
    let mut available: u64 = 0;
    let (mut floors, mut pins, mut sites, mut limits) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for a in 0..b.net.arc_count() {
        let id = crate::flow::ArcId(a as u32);
        let (u, v) = (inside[b.net.arc_from(id).0 as usize], inside[b.net.arc_to(id).0 as usize]);
        if !u && v {
            let lo = b.net.arc_lower(id);
            lower_in += i128::from(lo);
            match kinds[a] {
                Arc::Limit(Limit::SchoolCap(sc, p)) if lo > 0 => floors.push((sc, p, lo as u32)),
                Arc::Candidate { learner } if lo > 0 => pins.push(learner),
                Arc::Site(w, _) if lo > 0 => sites.push((w, lo as u32)),
                _ => {}
            }
        } else if u && !v {
            let cap = b.net.arc_upper(id).max(0) as u64;
            available += cap;
            match kinds[a] {
                Arc::Limit(l) | Arc::Site(_, l) => limits.push((l, cap)),
                _ => {}
            }
        }
    }
    let need = if sites.is_empty() {
        supply + lower_in
    } else {
        // A site minimum pulls learners towards the sink: what it needs is
        // the lower bounds; what can come are the learners outside the cut
        // (who supply themselves) and the arcs out of it.
        let outside = -supply;
        if outside > 0 {
            limits.push((Limit::LearnersInReach, outside as u64));
            available += outside as u64;
        }
        lower_in
    };
    limits.sort_by_key(|x| std::cmp::Reverse(x.1));
    Conflict::Shortfall { floors, pins, sites, need: need.max(0) as u64, available, limits }
}

/// The duals of the LP of [`crate::certificate`] from the potentials of a
/// component's optimal flow (costs `−(weight + bonus)`), in weight units.
/// With `P(v) = π(v) − π(sink)`: `u_l = P(l)` (a learner without a school
/// bound) or `max(0, P(l) − P(bound)) + P(src)`; `o_g = max(0, P(g) −
/// P(open))`, `p_g = max(0, P(site or sink) − P(g))`, `q_w = max(0, −P(w))`,
/// `μ_w = max(0, P(w))`; from the arc `src → bound` with reduced cost `r`,
/// `β = max(0, −r)` and `α = max(0, r)` (β folded into the learners' `u`
/// when the bound has no cap); `π_l` the slack of a pinned pair. Every
/// candidate arc has a reduced cost of at least 0, which makes the duals
/// feasible; complementary slackness makes the dual objective equal to the
/// flow's weight. [`crate::certificate::check`] checks both.
fn component_certificate(
    m: &PlacementModel,
    c: &Component,
    b: &Built,
    sol: &FlowSolution,
) -> Vec<(crate::certificate::Dual, i64)> {
    use crate::certificate::Dual;
    const NONE: u32 = u32::MAX;
    let s = m.season;
    let pt = sol.potential(b.sink);
    let p = |v: u32| sol.potential[v as usize] - pt;
    let mut out = Vec::new();
    for &g in &c.groups {
        let (entry, node) = b.group_entry[g.index()];
        let next = match b.wp_node[s.group(g).workplace.index()] {
            NONE => 0,
            v => p(v),
        };
        out.push((Dual::Seats(g), (next - p(node)).max(0)));
        if entry != node {
            out.push((Dual::OpenSeats(g), (p(node) - p(entry)).max(0)));
        }
    }
    for &w in &c.workplaces {
        let pw = p(b.wp_node[w.index()]);
        out.push((Dual::Room(w), (-pw).max(0)));
        out.push((Dual::SiteMin(w), pw.max(0)));
    }
    let mut folded = vec![0i64; m.constraints.school_bounds.len()];
    for &bi in &c.bounds {
        let sb = m.constraints.school_bounds[bi as usize];
        let r = p(b.src.0) - p(b.bound_node[bi as usize]);
        if sb.max == u32::MAX {
            folded[bi as usize] = (-r).max(0);
        } else {
            out.push((Dual::SchoolCap(bi as usize), (-r).max(0)));
        }
        out.push((Dual::SchoolFloor(bi as usize), r.max(0)));
    }
    for (i, &l) in c.learners.iter().enumerate() {
        let pl = p(b.learner_node[i].0);
        let u = match m.school_bound_of(l) {
            None => pl,
            Some(bi) => (pl - p(b.bound_node[bi])).max(0) + p(b.src.0) + folded[bi],
        };
        out.push((Dual::Learner(l), u));
    }
    // A pinned pair's slack: its dual constraint made tight.
    for (id, l, a) in &b.candidate_arcs {
        if m.pinned_arc(l) == Some(a) {
            out.push((Dual::Pin(l), sol.reduced_cost(&b.net, id).max(0)));
        }
    }
    out
}

struct CompResult {
    /// The component's duals for the certificate (max-fit on the network path).
    cert: Option<Vec<(crate::certificate::Dual, i64)>>,
    /// Whether the component was solved as a mixed-integer model.
    mip: bool,
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
    /// million arcs; commit 6866e01, with the network of that time),
    /// pricing from 8 arcs per learner needed 5 rounds and ended with 5.0
    /// million arcs, yet took longer (139 s against about 70 s): the simplex
    /// resumed after each round pivots almost as much as a fresh start on
    /// the larger network.
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
        let t = Instant::now();
        let mut b = build(m, c, bonus, unit_cost, None);
        adjust(&mut b);
        PHASES.add(Phase::Build, t);
        let result = b.net.solve();
        #[cfg(feature = "pivot-stats")]
        report_pivots(c, &b.net);
        match result {
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
    let Built { net, candidate_arcs, learner_node, group_entry, .. } = &mut b;
    let mut more = |pi: &[i64]| -> Vec<NewArc> {
        let added = price(m, c, learner_node, group_entry, pi, &sel, bonus, unit_cost);
        let mut out = Vec::new();
        for (i, more) in added.into_iter().enumerate() {
            let l = c.learners[i];
            for &a in &more {
                let to = entry_node(m, group_entry, l, m.group_of(a));
                out.push(NewArc { from: learner_node[i], to, upper: 1, cost: arc_cost(m, l, a, bonus, unit_cost) });
                candidate_arcs.push(crate::flow::ArcId(next_id), l, a);
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
    #[cfg(feature = "pivot-stats")]
    report_pivots(c, net);
    match result {
        Ok(sol) => Ok((b, sol)),
        // A certificate on part of the arcs may not hold for all of them:
        // the whole network explains the infeasibility.
        Err(FlowError::Infeasible { .. }) => whole(),
        Err(FlowError::InvalidInput(msg)) => panic!("internal error: invalid network: {msg}"),
    }
}

/// With the `pivot-stats` feature: prints (to standard error) the pivots of
/// the solve of `c` that just finished on this thread, when its network has
/// at least [`crate::flow::stats::REPORT_ARCS`] arcs.
#[cfg(feature = "pivot-stats")]
fn report_pivots(c: &Component, net: &Network) {
    use crate::flow::stats;
    if net.arc_count() >= stats::REPORT_ARCS {
        let (learners, nodes, arcs) = (c.learners.len(), net.node_count(), net.arc_count());
        eprintln!("pivot-stats: component of {learners} learners, {nodes} nodes, {arcs} arcs: {}", stats::last());
    }
}

/// A component with "a group or nobody" at a site, solved as a
/// mixed-integer model; when it is infeasible, the network without those
/// sites' minimums explains the conflict, or, when that network is feasible,
/// the sites themselves are the conflict.
///
/// With `per_day` (the component's learners have different rhythms, see
/// [`crate::rhythms`]) seats and capacities bind per day: the whole-week
/// network is then no relaxation, so the model is solved without it (its
/// bound is the LP relaxation's when the time limit stops the search).
fn solve_mip_component(
    m: &PlacementModel,
    c: &Component,
    objective: Objective,
    limit: Option<std::time::Duration>,
    per_day: bool,
    count_only: bool,
) -> Result<CompResult, Conflict> {
    use crate::mip::{Goal, MipError, MipProblem};
    let goal = match objective {
        Objective::MaxFit => Goal::Max,
        Objective::MaxPlaced if count_only && per_day => Goal::Placed,
        Objective::MaxPlaced => Goal::PlacedThenMax,
    };
    if per_day {
        let short = crate::short_lines::touches(m, &c.learners);
        return crate::rhythms::solve_component(m, c, goal, limit, short).map(|sol| {
            let paid = if short { crate::short_lines::penalty_paid(m, &sol.placed) } else { 0 };
            mip_result(m, objective, sol, None, paid)
        });
    }
    // The relaxation: the network without the "group or nobody" minimums
    // (the LP relaxation of `min·y ≤ Σx ≤ U·y` with `0 ≤ y ≤ 1` is no
    // constraint at all). When it is infeasible, so is the component, and
    // its cut names the conflict; else its dual bound bounds max-fit.
    // Short lines are relaxed away too (penalties only lower the objective).
    let relaxed = build(m, c, 0, false, None);
    let (relaxed_bound, relaxed_placed) = match relaxed.net.solve() {
        Err(FlowError::Infeasible { cut, .. }) => return Err(explain_cut(&relaxed, &cut)),
        Err(FlowError::InvalidInput(msg)) => panic!("internal error: invalid network: {msg}"),
        Ok(sol) => (
            dual_bound(&relaxed.net, &sol),
            relaxed
                .candidate_arcs
                .iter()
                .filter(|(id, _, _)| sol.flow(*id) > 0)
                .map(|(_, l, a)| (l, a))
                .collect::<Vec<_>>(),
        ),
    };
    // Under `max_sites`, the caps it implies tighten the bound
    // ([`crate::short_lines::capped_bound`]), and the start uses only each
    // school's best sites of the relaxed placement
    // ([`crate::short_lines::start_selection`]).
    let short = crate::short_lines::touches(m, &c.learners);
    let relaxed_bound = match short.then(|| crate::short_lines::capped_bound(m, &c.learners)).flatten() {
        Some(b) => b.min(relaxed_bound),
        None => relaxed_bound,
    };
    let sel: Option<Vec<Vec<ModelArc>>> = match short {
        true => crate::short_lines::start_selection(m, &c.learners, &relaxed_placed),
        false => None,
    };
    // A first placement for the solver: the network with every "group or
    // nobody" site closed, or else with every one of them at least at its
    // minimum, when one is feasible (so a time limit leaves a placement to
    // keep).
    let start = [false, true].into_iter().filter(|_| !short || sel.is_some()).find_map(|open| {
        let mut b = build(m, c, 0, false, sel.as_deref());
        for &(i, what) in &b.arcs {
            if let Arc::Site(w, _) = what {
                if let Some(x) = m.constraints.site_minimum(w).filter(|x| x.allow_empty) {
                    let id = crate::flow::ArcId(i);
                    let upper = b.net.arc_upper(id);
                    if open && i64::from(x.min) > upper {
                        return None;
                    }
                    let (lo, hi) = if open { (i64::from(x.min), upper) } else { (0, 0) };
                    b.net.set_bounds(id, lo, hi);
                }
            }
        }
        b.net.solve().ok().map(|sol| {
            b.candidate_arcs.iter().filter(|(id, _, _)| sol.flow(*id) > 0).map(|(_, l, a)| (l, a)).collect::<Vec<_>>()
        })
    });
    let mut problem = MipProblem::new(m, c.learners.clone());
    if short {
        problem = crate::short_lines::attach(m, &c.learners, problem);
    }
    if let Some(start) = start {
        problem = problem.start(start);
    }
    if objective == Objective::MaxFit {
        problem = problem.known_bound(relaxed_bound as f64 / WEIGHT_SCALE);
    }
    match problem.solve(goal, limit) {
        Ok(sol) => {
            // Plus the new-site penalties the placement pays, so that
            // bound − score is the gap of the penalised objective
            // ([`crate::short_lines`]).
            let paid = if short { crate::short_lines::penalty_paid(m, &sol.placed) } else { 0 };
            Ok(mip_result(m, objective, sol, Some(relaxed_bound), paid))
        }
        Err(MipError::Infeasible) => {
            let sites = c
                .workplaces
                .iter()
                .filter_map(|&w| m.constraints.site_minimum(w).filter(|x| x.allow_empty).map(|x| (w, x.min)))
                .collect();
            let pins = c.learners.iter().copied().filter(|&l| m.pinned_arc(l).is_some()).collect();
            let mut schools: Vec<_> = c
                .learners
                .iter()
                .filter_map(|&l| crate::short_lines::of_learner(m, l))
                .filter(|r| r.max_sites != u32::MAX)
                .map(|r| (r.school, r.max_sites))
                .collect();
            schools.sort_unstable();
            schools.dedup();
            match schools.is_empty() {
                true => Err(Conflict::GroupOrNobody { sites, pins }),
                false => Err(Conflict::ShortLines { schools, sites, pins }),
            }
        }
        Err(e) => Err(Conflict::Solver(e.to_string())),
    }
}

/// A component's result from the mixed-integer solution; `relaxed_bound`:
/// a proven max-fit bound from the relaxed network, in weight units;
/// `paid`: the new-site penalties the placement pays (weight units), added
/// to an unproven bound so that bound − score stays the gap of the
/// penalised objective ([`crate::short_lines`]).
fn mip_result(
    m: &PlacementModel,
    objective: Objective,
    sol: crate::mip::MipSolution,
    relaxed_bound: Option<i128>,
    paid: i128,
) -> CompResult {
    let weight: i128 = sol.placed.iter().map(|&(l, a)| i128::from(m.weight_of(l, a))).sum();
    // The bound in weight units: exact when proven; else the relaxed
    // network's dual bound (max-fit) or the LP relaxation's (in score
    // units) rounded up.
    let bound = match (sol.proven, objective, relaxed_bound) {
        (true, _, _) => weight,
        (false, Objective::MaxFit, Some(b)) => b + paid,
        (false, _, _) => ((sol.bound * WEIGHT_SCALE).ceil() as i128 + paid).max(weight),
    };
    let placeable = match sol.placed_bound {
        Some(k) if !sol.proven => (k + 1e-6).floor() as usize,
        _ => sol.placed.len(),
    };
    CompResult { cert: None, mip: true, placeable, placed: sol.placed, bound, seat_dual: vec![], cap_dual: vec![] }
}

/// A hard site minimum above what the site can take (its capacity, or the
/// seats of its recognitions): the conflict, without building a network.
fn room_conflict(m: &PlacementModel, c: &Component) -> Option<Conflict> {
    c.workplaces.iter().find_map(|&w| {
        let sm = m.constraints.site_minimum(w).filter(|x| !x.allow_empty)?;
        let room = site_room(m, w);
        let limit = if capacity_binds(m, w).is_some() { Limit::Capacity(w) } else { Limit::SiteSeats(w) };
        (sm.min > room).then(|| Conflict::Shortfall {
            floors: vec![],
            pins: vec![],
            sites: vec![(w, sm.min)],
            need: u64::from(sm.min),
            available: u64::from(room),
            limits: vec![(limit, u64::from(room))],
        })
    })
}

fn solve_component(
    m: &PlacementModel,
    c: &Component,
    objective: Objective,
    pricing: Pricing,
    limit: Option<std::time::Duration>,
    bonus: &Bonus,
    count_only: bool,
) -> Result<CompResult, Conflict> {
    if let Some(conflict) = room_conflict(m, c) {
        return Err(conflict);
    }
    let per_day = c.days(m).is_none();
    if c.group_or_nobody(m) || per_day || crate::short_lines::touches(m, &c.learners) {
        return solve_mip_component(m, c, objective, limit, per_day, count_only);
    }
    let mentored = c.mentored(m);
    let solve = |bonus: i64, unit_cost: bool, adjust: &dyn Fn(&mut Built)| {
        solve_priced(m, c, pricing, bonus, unit_cost, adjust)
    };
    let read = |b: &Built, sol: &FlowSolution| -> Vec<(LearnerId, ModelArc)> {
        b.candidate_arcs.iter().filter(|(id, _, _)| sol.flow(*id) > 0).map(|(_, l, a)| (l, a)).collect()
    };
    let duals = |b: &Built, sol: &FlowSolution| {
        let mut seat = Vec::new();
        let mut cap = Vec::new();
        for &(a, what) in &b.arcs {
            let id = crate::flow::ArcId(a);
            let rc = sol.reduced_cost(&b.net, id);
            if rc < 0 {
                match what {
                    Arc::Limit(Limit::Seats(g)) => seat.push((g, -rc)),
                    Arc::Limit(Limit::Capacity(w)) | Arc::Site(w, Limit::Capacity(_)) => cap.push((w, -rc)),
                    _ => {}
                }
            }
        }
        (seat, cap)
    };
    match objective {
        Objective::MaxFit => {
            let (b, sol) = solve(0, false, &|_| {})?;
            let t = Instant::now();
            let placed = read(&b, &sol);
            let (seat_dual, cap_dual) = duals(&b, &sol);
            // The certificate's LP has no mentors: none for a component with them.
            let cert = (!m.has_kept() && !mentored).then(|| component_certificate(m, c, &b, &sol));
            PHASES.add(Phase::Proof, t);
            Ok(CompResult {
                cert,
                mip: false,
                placeable: placed.len(),
                placed,
                bound: dual_bound(&b.net, &sol),
                seat_dual,
                cap_dual,
            })
        }
        Objective::MaxPlaced => {
            // Exactly lexicographic. With M = 1 + Σ best weights, one more
            // placement always outweighs any score difference. When M is too
            // large for 64-bit arithmetic, two phases: the maximum number k,
            // then the best score with the bypass limited to n − k.
            let global_m = bonus.global;
            let best_w = |l: LearnerId| i128::from(bonus.best[l.index()]);
            let local_m: i128 = 1 + c.learners.iter().map(|&l| best_w(l)).sum::<i128>();
            let nodes = (c.learners.len() + 2 * c.groups.len() + c.workplaces.len() + c.bounds.len() + 3) as i128;
            let best = c.learners.iter().map(|&l| best_w(l)).max().unwrap_or(0);
            let fits = |big_m: i128| nodes * (big_m + best) < i128::from(i64::MAX / 32);
            // The season's bonus when it fits (a certificate), else the component's.
            let big_m = if fits(global_m) { global_m } else { local_m };
            if fits(big_m) && !TWO_PHASE.force.load(std::sync::atomic::Ordering::Relaxed) {
                let bonus = big_m as i64;
                let (b, sol) = solve(bonus, false, &|_| {})?;
                let t = Instant::now();
                let placed = read(&b, &sol);
                let k = placed.len() as i128;
                let bound = dual_bound(&b.net, &sol);
                let cert =
                    (big_m == global_m && !m.has_kept() && !mentored).then(|| component_certificate(m, c, &b, &sol));
                PHASES.add(Phase::Proof, t);
                Ok(CompResult {
                    cert,
                    mip: false,
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
                    cert: None,
                    mip: false,
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

/// The method of a result where some component went to the mixed-integer
/// path.
pub const MIXED_METHOD: &str =
    if cfg!(feature = "highs") { "network-simplex+mip-highs" } else { "network-simplex+mip-microlp" };

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
    solve_within(m, objective, pricing, None)
}

/// Like [`solve_with`], with a time limit for each component that "a group
/// or nobody" (`[[site]] allow_empty = true`) sends to the mixed-integer
/// path ([`crate::mip`]); when it is hit, the best placement found is kept
/// and the proof's bound is the relaxation's (the gap is then positive).
/// Components without such a site are solved exactly by network simplex
/// whatever the limit.
pub fn solve_within(
    m: &PlacementModel,
    objective: Objective,
    pricing: Pricing,
    limit: Option<std::time::Duration>,
) -> Result<Solved, Infeasible> {
    let start = Instant::now();
    let (layout, share, bonus) =
        solve_share_with(m, objective, pricing, limit, false, |sizes| vec![true; sizes.len()])?;
    let t = Instant::now();
    let seconds = start.elapsed().as_secs_f64();
    let solved = assemble_with(m, objective, &layout, std::slice::from_ref(&share), seconds, bonus);
    PHASES.add(Phase::Assemble, t);
    Ok(solved)
}

/// How a season splits into independent components: the same for every
/// share of it, so that shares solved apart can be checked to belong
/// together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Independent components of the whole season.
    pub components: usize,
    /// Learners in the largest component.
    pub largest_component: usize,
    /// Candidate arcs per component, in component order (the size by which
    /// shares are balanced).
    pub arcs: Vec<usize>,
}

/// The solved part of a season's components ([`solve_share`]): what a shard
/// contributes to the season's [`Solved`], exactly (integer weights), so
/// that [`assemble`] gives the same result from shares as from one solve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Share {
    /// Components of the [`Layout`] solved in this share, in component order.
    pub components: Vec<usize>,
    /// (learner, raw candidate index) of every placement, in component order.
    pub placed: Vec<(LearnerId, u32)>,
    /// Sum of the components' dual bounds, in integer weights.
    pub bound: i128,
    /// For max-placed: the learners the components can place at most.
    pub placeable: usize,
    /// Seat duals that are not 0, in integer weights (max-fit only).
    pub seat_dual: Vec<(GroupId, i64)>,
    /// Capacity duals that are not 0, in integer weights (max-fit only).
    pub cap_dual: Vec<(WorkplaceId, i64)>,
    /// Whether a component went to the mixed-integer path.
    pub mip: bool,
    /// The components' duals for the certificate, when every component has
    /// them (the network path).
    pub cert: Option<Vec<(crate::certificate::Dual, i64)>>,
}

impl Default for Share {
    fn default() -> Share {
        Share {
            components: Vec::new(),
            placed: Vec::new(),
            bound: 0,
            placeable: 0,
            seat_dual: Vec::new(),
            cap_dual: Vec::new(),
            mip: false,
            cert: Some(Vec::new()),
        }
    }
}

/// Solves only the components that `select` keeps: it gets the candidate
/// arcs of every component (the [`Layout`]'s sizes) and returns one flag per
/// component. Components share no constraint (school floors and caps, site
/// capacities and shared groups join what they bind into one component), so
/// the shares of disjoint selections covering every component, put together
/// by [`assemble`], are the season's optimum, with the same proof.
pub fn solve_share(
    m: &PlacementModel,
    objective: Objective,
    select: impl FnOnce(&[usize]) -> Vec<bool>,
) -> Result<(Layout, Share), Infeasible> {
    solve_share_within(m, objective, None, select)
}

/// One placement bonus for the whole season (max-placed): more than the sum
/// of every learner's best weight, so that one certificate proves the
/// season's lexicographic optimum. The same in every shard of a season.
fn placement_bonus(m: &PlacementModel) -> i128 {
    Bonus::of(m).global
}

/// The season's placement bonus ([`placement_bonus`]) with what it is made
/// of: each learner's best weight (0 without arcs), which max-placed
/// components read for their own bonus. Empty for max-fit.
struct Bonus {
    global: i128,
    best: Vec<i64>,
}

impl Bonus {
    fn of(m: &PlacementModel) -> Bonus {
        let best: Vec<i64> = (0..m.learner_count())
            .into_par_iter()
            .map(|li| {
                let l = LearnerId::from_index(li);
                m.arcs(l).map(|a| m.weight_of(l, a)).max().unwrap_or(0)
            })
            .collect();
        Bonus { global: 1 + best.iter().map(|&w| i128::from(w)).sum::<i128>(), best }
    }
}

/// [`solve_share`] with a time limit for each component that goes to the
/// mixed-integer path (as [`solve_within`]).
pub fn solve_share_within(
    m: &PlacementModel,
    objective: Objective,
    limit: Option<std::time::Duration>,
    select: impl FnOnce(&[usize]) -> Vec<bool>,
) -> Result<(Layout, Share), Infeasible> {
    solve_share_with(m, objective, Pricing::default(), limit, false, select).map(|(layout, share, _)| (layout, share))
}

/// The most learners the selected components can place ([`solve_share`]
/// for max-placed, within a time limit for the mixed-integer components as
/// [`solve_within`]): those with different rhythms solve only for the
/// count, so the share's placements place the most learners but need not
/// have the best scores among such placements, and its `bound` is no bound
/// on the score there: only `placed` and `placeable` are meant to be read.
pub(crate) fn placed_share_within(
    m: &PlacementModel,
    limit: Option<std::time::Duration>,
    select: impl FnOnce(&[usize]) -> Vec<bool>,
) -> Result<Share, Infeasible> {
    solve_share_with(m, Objective::MaxPlaced, Pricing::default(), limit, true, select).map(|(_, share, _)| share)
}

fn solve_share_with(
    m: &PlacementModel,
    objective: Objective,
    pricing: Pricing,
    limit: Option<std::time::Duration>,
    count_only: bool,
    select: impl FnOnce(&[usize]) -> Vec<bool>,
) -> Result<(Layout, Share, i128), Infeasible> {
    let t = Instant::now();
    let comps = components(m);
    let arcs: Vec<usize> = comps.par_iter().map(|c| c.arc_count(m)).collect();
    let layout = Layout {
        components: comps.len(),
        largest_component: comps.iter().map(|c| c.learners.len()).max().unwrap_or(0),
        arcs,
    };
    let keep = select(&layout.arcs);
    let chosen: Vec<usize> = (0..comps.len()).filter(|&i| keep.get(i).copied().unwrap_or(false)).collect();
    // Only max-placed reads the season's bonus: max-fit skips the scan of every arc.
    let bonus = match objective {
        Objective::MaxPlaced => Bonus::of(m),
        Objective::MaxFit => Bonus { global: 0, best: Vec::new() },
    };
    PHASES.add(Phase::Components, t);
    let results = largest_first(
        &chosen,
        |&i| layout.arcs[i],
        |&i| solve_component(m, &comps[i], objective, pricing, limit, &bonus, count_only),
    );
    let mut conflicts = Vec::new();
    let mut share = Share { components: chosen, ..Share::default() };
    for r in results {
        match r {
            Ok(r) => {
                share.mip |= r.mip;
                match (&mut share.cert, r.cert) {
                    (Some(all), Some(duals)) => all.extend(duals),
                    _ => share.cert = None,
                }
                share.placed.extend(r.placed.into_iter().map(|(l, a)| (l, m.candidate_of(a).0)));
                share.bound += r.bound;
                share.placeable += r.placeable;
                share.seat_dual.extend(r.seat_dual);
                share.cap_dual.extend(r.cap_dual);
            }
            Err(c) => conflicts.push(c),
        }
    }
    if !conflicts.is_empty() {
        return Err(Infeasible { conflicts });
    }
    Ok((layout, share, bonus.global))
}

/// The season's result from the shares of its components ([`solve_share`]),
/// which together must cover every component of `layout` once (not checked
/// here; [`Assignment::check`] checks the result against the model).
/// `seconds` is the wall time to report in the proof.
pub fn assemble(m: &PlacementModel, objective: Objective, layout: &Layout, shares: &[Share], seconds: f64) -> Solved {
    let bonus = if objective == Objective::MaxPlaced { placement_bonus(m) } else { 0 };
    assemble_with(m, objective, layout, shares, seconds, bonus)
}

/// [`assemble`] with the season's placement bonus (0 for max-fit) already known.
fn assemble_with(
    m: &PlacementModel,
    objective: Objective,
    layout: &Layout,
    shares: &[Share],
    seconds: f64,
    bonus: i128,
) -> Solved {
    let mut placement = vec![None; m.learner_count()];
    let mut bound: i128 = 0;
    let mut placeable = 0;
    let mut seat = vec![0.0; m.season.groups().len()];
    let mut capacity = vec![0.0; m.season.workplaces().len()];
    let mut mip = false;
    let mut cert = Some(crate::certificate::Certificate::default());
    for s in shares {
        for &(l, c) in &s.placed {
            placement[l.index()] = Some(c);
        }
        bound += s.bound;
        placeable += s.placeable;
        for &(g, v) in &s.seat_dual {
            seat[g.index()] = v as f64 / WEIGHT_SCALE;
        }
        for &(w, v) in &s.cap_dual {
            capacity[w.index()] = v as f64 / WEIGHT_SCALE;
        }
        mip |= s.mip;
        match (&mut cert, &s.cert) {
            (Some(all), Some(duals)) => all.duals.extend(duals.iter().copied()),
            _ => cert = None,
        }
    }
    let certificate = cert.map(|mut c| {
        c.normalise();
        c.bonus = bonus as i64;
        c
    });
    let proof = Proof {
        method: if mip { MIXED_METHOD } else { "network-simplex" },
        components: layout.components,
        largest_component: layout.largest_component,
        bound: bound as f64 / WEIGHT_SCALE,
        max_placeable: (objective == Objective::MaxPlaced).then_some(placeable),
        seconds,
        phases: None,
        certificate,
    };
    // No duals when a component went to the mixed-integer path (it has none).
    let duals = (objective == Objective::MaxFit && !mip).then_some(Duals { seat, capacity });
    Solved { assignment: Assignment { placement }, proof, duals }
}

#[cfg(test)]
mod tests {
    use super::{largest_first, CandidateArcs};
    use crate::flow::ArcId;
    use crate::model::ModelArc;
    use dualmatch_core::LearnerId;
    use proptest::prelude::*;
    use std::sync::Mutex;

    proptest! {
        /// The runs give back every pushed arc, in order: runs of one
        /// learner's consecutive arcs, arcs that skip, repeat or go back,
        /// and a learner's arcs after another's.
        #[test]
        fn candidate_arcs_give_back_what_was_pushed(
            steps in prop::collection::vec((0u32..3, 0u32..3, 0u32..3), 0..60),
        ) {
            let (mut id, mut arc, mut learner) = (5u32, 100u32, 0u32);
            let mut pushed = Vec::new();
            let mut arcs = CandidateArcs::default();
            for (di, da, dl) in steps {
                // Mostly one step on both, sometimes a jump or a stay.
                id += if di == 2 { 3 } else { 1 };
                arc = if da == 2 { arc.saturating_sub(2) } else { arc + da };
                learner += u32::from(dl == 2);
                let x = (ArcId(id), LearnerId(learner), ModelArc(arc));
                arcs.push(x.0, x.1, x.2);
                pushed.push(x);
            }
            prop_assert_eq!(arcs.iter().collect::<Vec<_>>(), pushed.clone());
            prop_assert_eq!((&arcs).into_iter().count(), pushed.len());
            prop_assert!(arcs.runs.len() <= pushed.len());
        }
    }

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
