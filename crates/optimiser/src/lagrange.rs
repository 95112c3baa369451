//! A Lagrangian bound and exact reduced-cost fixing for the mixed-integer
//! path when the LP back-end gives no duals (microlp), for the parts whose
//! only non-network rows are the per-day seats and capacities of rhythms.
//!
//! **The relaxation.** The learners with the same days at one recognition
//! (site and programme) are a *class*. Dropping the per-day rows that bind
//! several classes together, the part is a network: each learner sends at
//! most one unit to the class of one of its arcs; a class passes at most
//! `min(seats, capacity)` learners (every day of the class is one of its
//! rows, so this cap is implied) to the sink, or, at a site with mentors,
//! to the mentors who can guide that programme on those days, each within
//! `max_learners` (the mixed-integer model's own mentor rows). Every other
//! row of the model only cuts placements away (pins, kept placements,
//! unreserved seats, school bounds, site minimums), so dropping it keeps a
//! relaxation. The per-day rows `Σ_{c ∋ day} y_c ≤ b` that are dropped get
//! multipliers `λ ≥ 0` on the arcs into their classes, and "at least `k`
//! placed" (the second phase of max-placed) a multiplier `μ ≥ 0` on every
//! arc: for every such `λ, μ`, the network's optimum `L(λ, μ) = max Σ (v −
//! λ_c + μ) x + λ·b − μ·k` is an upper bound on every placement's value
//! (each dropped row's term is ≥ 0 at a feasible placement). Our network
//! simplex solves it exactly, in integers.
//!
//! **The multipliers** come from subgradient descent with Polyak's step
//! towards the best feasible value known (the floor), which a Lagrangian
//! heuristic raises on the way: the relaxed optimum's placements taken in
//! order of value as long as every seat, capacity (per day) and mentor
//! allows ([`crate::policies::ledger::Ledger`]), then the other learners on
//! their best arcs that fit.
//!
//! **The fixing is exact.** With optimal potentials, each arc's reduced cost
//! `r ≥ 0` (flow at 0) is at least what sending one unit along it costs, so
//! every placement that uses arc `a` is worth at most `L − max(r, 0)`. Taking
//! the least of these over every multiplier tried, an arc whose bound is
//! below the floor is used by no placement worth the floor: the model
//! without it has the same optimum (the floor's own arcs, pins and kept
//! arcs always stay), so a proof on what is left is a proof on the whole
//! part, as with [`crate::mip`]'s LP-based fixing. When `L` itself drops to
//! the floor, the floor is optimal.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use dualmatch_core::rhythm::{Days, SLOTS};
use dualmatch_core::{GroupId, LearnerId, ProgrammeId};

use crate::flow::{ArcId, Network, NodeId};
use crate::model::{ModelArc, PlacementModel};
use crate::policies::ledger::Ledger;

/// Subgradient steps at most.
const MAX_STEPS: usize = 400;

/// Steps between two runs of the capacity heuristic ([`capped`]), which
/// solves the network once more.
const CAPPED_EVERY: usize = 5;

/// Steps without a better bound before the step size is halved.
const PATIENCE: usize = 6;

/// What the relaxation found.
pub struct Relaxed {
    /// A proven upper bound on every placement's value (in the part's
    /// integer units).
    pub bound: i128,
    /// The floor: the best feasible placement known at the end (the one
    /// given, or a better one from the heuristic), with its value.
    pub floor: (Vec<(LearnerId, ModelArc)>, i128),
    /// Per arc of the part: its learner, the arc, and the least bound on a
    /// placement that uses it, over every multiplier tried.
    pub arc_bounds: Vec<(LearnerId, ModelArc, i128)>,
    /// The pinned and kept arcs, which are never left out.
    fixed: HashSet<ModelArc>,
}

impl Relaxed {
    /// The arcs that no placement worth at least `floor` (the value of the
    /// feasible placement `placed`) uses: those whose bound is below it,
    /// but for the arcs of `placed` and the pinned and kept arcs.
    pub fn left_out(&self, floor: i128, placed: &[(LearnerId, ModelArc)]) -> HashSet<ModelArc> {
        let keep: HashSet<ModelArc> = placed.iter().map(|&(_, a)| a).collect();
        self.arc_bounds
            .iter()
            .filter(|&&(_, a, b)| b < floor && !keep.contains(&a) && !self.fixed.contains(&a))
            .map(|&(_, a, _)| a)
            .collect()
    }

    /// Every arc but each learner's `k` arcs of highest bound (ties by
    /// arc), the arcs of `placed`, and the pinned and kept arcs: the arcs to
    /// leave out of a short search for a better floor.
    pub fn beyond_best(&self, k: usize, placed: &[(LearnerId, ModelArc)]) -> HashSet<ModelArc> {
        let keep: HashSet<ModelArc> = placed.iter().map(|&(_, a)| a).collect();
        let mut out = HashSet::new();
        for arcs in self.arc_bounds.chunk_by(|x, y| x.0 == y.0) {
            let mut order: Vec<&(LearnerId, ModelArc, i128)> = arcs.iter().collect();
            order.sort_unstable_by(|x, y| y.2.cmp(&x.2).then(x.1.cmp(&y.1)));
            out.extend(order.iter().skip(k).map(|x| x.1).filter(|a| !keep.contains(a) && !self.fixed.contains(a)));
        }
        out
    }
}

/// The part to relax: its learners, each arc's value in integer units, and
/// "at least `at_least` placed".
pub struct Part<'a, 'm> {
    /// The model.
    pub m: &'a PlacementModel<'m>,
    /// The part's learners.
    pub learners: &'a [LearnerId],
    /// Value of an arc, in integer units.
    pub value: &'a (dyn Fn(LearnerId, ModelArc) -> i64 + Sync),
    /// At least this many placed.
    pub at_least: Option<u64>,
    /// Whether the heuristics may raise the floor (where this module can
    /// tell that their placements are feasible). Off, the fixing is against
    /// the floor given, as the tests do to check it below the optimum.
    pub heuristics: bool,
}

/// A relaxed row `Σ_{c ∈ classes} y_c ≤ limit`.
struct Row {
    classes: Vec<u32>,
    limit: i64,
}

/// The relaxed network with its arcs.
struct Relaxation {
    net: Network,
    /// Per learner arc: (learner, arc, network arc, class).
    arcs: Vec<(LearnerId, ModelArc, ArcId, u32)>,
    /// Per class: the arc that carries its learners (cap) .
    class_arc: Vec<ArcId>,
    rows: Vec<Row>,
    /// Per class, the rows it is in.
    rows_of: Vec<Vec<u32>>,
}

fn relaxation(p: &Part) -> Relaxation {
    let (m, s) = (p.m, p.m.season);
    let mut net = Network::new();
    let sink = net.add_node(-(p.learners.len() as i64));
    // Classes in (group, programme, days) order of first appearance along
    // the learners, which is deterministic.
    let mut class_of: HashMap<(GroupId, ProgrammeId, Days), u32> = HashMap::new();
    let mut classes: Vec<(GroupId, ProgrammeId, Days)> = Vec::new();
    let mut entry: Vec<NodeId> = Vec::new();
    let mut arcs = Vec::new();
    for &l in p.learners {
        let node = net.add_node(1);
        net.add_arc(node, sink, 0, 1, 0);
        let (prog, days) = (s.learner(l).programme, s.days_of(l));
        for a in m.arcs(l) {
            let key = (m.group_of(a), prog, days);
            let c = *class_of.entry(key).or_insert_with(|| {
                classes.push(key);
                entry.push(net.add_node(0));
                (classes.len() - 1) as u32
            });
            let id = net.add_arc(node, entry[c as usize], 0, 1, 0);
            arcs.push((l, a, id, c));
        }
    }
    // Each class passes at most min(seats, capacity) learners, to the sink
    // or through the mentors who can guide it.
    let mut mentor_node: HashMap<dualmatch_core::MentorId, NodeId> = HashMap::new();
    let mut class_arc = Vec::with_capacity(classes.len());
    for (c, &(g, prog, days)) in classes.iter().enumerate() {
        let grp = s.group(g);
        // Learners at the workplace on no day take no seat: no cap then.
        let cap = if days == Days::NONE {
            p.learners.len() as u32
        } else {
            s.workplace(grp.workplace).capacity.map_or(grp.seats, |k| k.min(grp.seats))
        };
        let mentors = s.mentors_of_workplace(grp.workplace);
        if mentors.is_empty() {
            class_arc.push(net.add_arc(entry[c], sink, 0, i64::from(cap), 0));
            continue;
        }
        let out = net.add_node(0);
        class_arc.push(net.add_arc(entry[c], out, 0, i64::from(cap), 0));
        for &k in mentors.iter().filter(|&&k| s.mentor(k).can_guide(prog, days)) {
            let node = *mentor_node.entry(k).or_insert_with(|| {
                let node = net.add_node(0);
                net.add_arc(node, sink, 0, i64::from(s.mentor(k).max_learners), 0);
                node
            });
            net.add_arc(out, node, 0, i64::from(cap), 0);
        }
    }
    // The per-day rows over two classes or more (a row over one class is
    // its cap), each distinct row once.
    let mut rows: Vec<Row> = Vec::new();
    let mut seen: HashSet<(Vec<u32>, i64)> = HashSet::new();
    let mut by_group: HashMap<GroupId, Vec<u32>> = HashMap::new();
    let mut by_site: HashMap<dualmatch_core::WorkplaceId, Vec<u32>> = HashMap::new();
    for (c, &(g, _, _)) in classes.iter().enumerate() {
        by_group.entry(g).or_default().push(c as u32);
        by_site.entry(s.group(g).workplace).or_default().push(c as u32);
    }
    let mut add_rows = |list: &[u32], limit: u32| {
        for slot in 0..SLOTS {
            let on: Vec<u32> = list.iter().copied().filter(|&c| classes[c as usize].2.has(slot)).collect();
            if on.len() >= 2 && seen.insert((on.clone(), i64::from(limit))) {
                rows.push(Row { classes: on, limit: i64::from(limit) });
            }
        }
    };
    let mut groups: Vec<_> = by_group.into_iter().collect();
    groups.sort_unstable_by_key(|(g, _)| *g);
    for (g, list) in &groups {
        add_rows(list, s.group(*g).seats);
    }
    let mut sites: Vec<_> = by_site.into_iter().collect();
    sites.sort_unstable_by_key(|(w, _)| *w);
    for (w, list) in &sites {
        if let Some(cap) = s.workplace(*w).capacity {
            add_rows(list, cap);
        }
    }
    let mut rows_of = vec![Vec::new(); classes.len()];
    for (r, row) in rows.iter().enumerate() {
        for &c in &row.classes {
            rows_of[c as usize].push(r as u32);
        }
    }
    Relaxation { net, arcs, class_arc, rows, rows_of }
}

/// Whether the heuristic may build placements: no pins, kept placements,
/// school bounds (which may span other parts) or site minimums, which it
/// does not try to meet.
fn heuristic_allowed(p: &Part) -> bool {
    let m = p.m;
    let c = m.constraints;
    c.site_minimums.is_empty()
        && c.school_bounds.is_empty()
        && p.learners.iter().all(|&l| m.pinned_arc(l).is_none() && m.kept_arc(l).is_none())
        && (0..m.season.groups().len()).all(|g| m.open_seats(GroupId::from_index(g)).is_none())
}

/// Caps per class that keep every relaxed row: first each class's use in
/// the relaxed optimum (`usage`), most used first, as far as the rows allow,
/// then whatever room the rows leave, in the same order.
fn class_caps(r: &Relaxation, usage: &[i64], caps: &[i64]) -> Vec<i64> {
    let mut slack: Vec<i64> = r.rows.iter().map(|row| row.limit).collect();
    let mut order: Vec<usize> = (0..usage.len()).collect();
    order.sort_unstable_by(|&a, &b| usage[b].cmp(&usage[a]).then(a.cmp(&b)));
    let mut y = vec![0i64; usage.len()];
    for pass in 0..2 {
        for &c in &order {
            let want = if pass == 0 { usage[c] } else { caps[c] - y[c] };
            let room = r.rows_of[c].iter().map(|&i| slack[i as usize]).min().unwrap_or(i64::MAX);
            let take = want.min(room).min(caps[c] - y[c]).max(0);
            y[c] += take;
            for &i in &r.rows_of[c] {
                slack[i as usize] -= take;
            }
        }
    }
    y
}

/// The capacity heuristic: the best placement whose classes stay within
/// [`class_caps`] of the relaxed optimum's use, by the network itself (the
/// caps keep every dropped row, and the network every other row it has).
/// With "at least `k`", the most learners first, then the value. `None`
/// when fewer than `k` are placed.
fn capped(p: &Part, r: &mut Relaxation, values: &[i64], usage: &[i64]) -> Option<(Vec<(LearnerId, ModelArc)>, i128)> {
    let caps: Vec<i64> = r.class_arc.iter().map(|&id| r.net.arc_upper(id)).collect();
    let y = class_caps(r, usage, &caps);
    let big = if p.at_least.is_some() { values.iter().copied().max().unwrap_or(0).max(0) + 1 } else { 0 };
    for (i, &(_, _, id, _)) in r.arcs.iter().enumerate() {
        r.net.set_cost(id, -values[i] - big);
    }
    for (&id, &cap) in r.class_arc.iter().zip(&y) {
        r.net.set_bounds(id, 0, cap);
    }
    let sol = r.net.solve();
    for (&id, &cap) in r.class_arc.iter().zip(&caps) {
        r.net.set_bounds(id, 0, cap);
    }
    let sol = sol.ok()?;
    let mut placed = Vec::new();
    let mut value: i128 = 0;
    for (i, &(l, a, id, _)) in r.arcs.iter().enumerate() {
        if sol.flow(id) > 0 {
            placed.push((l, a));
            value += i128::from(values[i]);
        }
    }
    if p.at_least.is_some_and(|k| (placed.len() as u64) < k) {
        return None;
    }
    placed.sort_unstable();
    Some((placed, value))
}

/// The Lagrangian heuristic: `first` (the relaxed optimum's placements) in
/// order of value while they fit, then every other learner on its best arc
/// that fits. `None` when fewer than `at_least` are placed.
fn heuristic(p: &Part, first: &[(LearnerId, ModelArc)]) -> Option<(Vec<(LearnerId, ModelArc)>, i128)> {
    let m = p.m;
    let mut ledger = Ledger::new(m);
    let mut order: Vec<(i64, LearnerId, ModelArc)> = first.iter().map(|&(l, a)| ((p.value)(l, a), l, a)).collect();
    order.sort_unstable_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    let mut placed = Vec::new();
    let mut value: i128 = 0;
    for &(v, l, a) in &order {
        if v > 0 && ledger.fits(l, a.index()) {
            ledger.add(l, a.index());
            placed.push((l, a));
            value += i128::from(v);
        }
    }
    let mut rest: Vec<(i64, LearnerId)> = p
        .learners
        .iter()
        .filter(|l| ledger.held[l.index()].is_none())
        .map(|&l| (m.arcs(l).map(|a| (p.value)(l, a)).max().unwrap_or(0), l))
        .collect();
    rest.sort_unstable_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    for &(_, l) in &rest {
        let mut arcs: Vec<(i64, ModelArc)> = m.arcs(l).map(|a| ((p.value)(l, a), a)).filter(|x| x.0 > 0).collect();
        arcs.sort_unstable_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
        if let Some(&(v, a)) = arcs.iter().find(|(_, a)| ledger.fits(l, a.index())) {
            ledger.add(l, a.index());
            placed.push((l, a));
            value += i128::from(v);
        }
    }
    if p.at_least.is_some_and(|k| (placed.len() as u64) < k) {
        return None;
    }
    placed.sort_unstable();
    Some((placed, value))
}

/// Subgradient descent on the multipliers until `deadline`, the bound
/// reaches the floor, or the steps run out; then the fixing. `floor` is a
/// feasible placement of the part and its value (integer units); without
/// one, nobody placed, when that is feasible as far as this module can
/// tell (else `None`). The floor's arcs, pins and kept arcs are never left
/// out. `None` too when the relaxed network cannot be solved (it always
/// can: every learner may stay unplaced).
pub fn relax(
    p: &Part,
    floor: Option<(Vec<(LearnerId, ModelArc)>, i128)>,
    deadline: Option<Instant>,
) -> Option<Relaxed> {
    let heuristics = p.heuristics && heuristic_allowed(p);
    // Without a floor, nobody placed is one when nothing asks for a
    // placement.
    let mut floor = match floor {
        Some(f) => f,
        None if heuristics && p.at_least.is_none_or(|k| k == 0) => (Vec::new(), 0),
        None => return None,
    };
    let mut r = relaxation(p);
    let mut lambda = vec![0i64; r.rows.len()];
    let mut mu: i64 = 0;
    let k = p.at_least.map_or(0, |k| k as i64);
    let values: Vec<i64> = r.arcs.iter().map(|&(l, a, _, _)| (p.value)(l, a)).collect();
    // Multipliers stay within [0, cap]: any such multipliers give a bound,
    // and beyond the largest arc value a multiplier only grows the costs
    // (towards what the simplex refuses to take).
    let cap = 4.0 * values.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0).max(1) as f64;
    // Per arc, the least bound on a placement using it so far.
    let mut arc_bound = vec![i128::MAX; r.arcs.len()];
    let mut best = i128::MAX;
    let mut theta = 2.0f64;
    let (mut since, mut steps) = (0usize, 0usize);
    while steps < MAX_STEPS && deadline.is_none_or(|d| Instant::now() < d) {
        steps += 1;
        let pen: Vec<i64> = r.rows_of.iter().map(|rows| rows.iter().map(|&i| lambda[i as usize]).sum()).collect();
        for (i, &(_, _, id, c)) in r.arcs.iter().enumerate() {
            r.net.set_cost(id, pen[c as usize] - values[i] - mu);
        }
        let sol = r.net.solve().ok()?;
        let constant: i128 =
            r.rows.iter().zip(&lambda).map(|(row, &l)| i128::from(row.limit) * i128::from(l)).sum::<i128>()
                - i128::from(mu) * i128::from(k);
        let bound = -sol.cost + constant;
        for (i, &(_, _, id, _)) in r.arcs.iter().enumerate() {
            let rc = sol.reduced_cost(&r.net, id).max(0);
            arc_bound[i] = arc_bound[i].min(bound - i128::from(rc));
        }
        if bound < best {
            best = bound;
            since = 0;
        } else {
            since += 1;
            if since >= PATIENCE {
                theta /= 2.0;
                since = 0;
            }
        }
        let relaxed: Vec<(LearnerId, ModelArc)> =
            r.arcs.iter().filter(|x| sol.flow(x.2) > 0).map(|&(l, a, _, _)| (l, a)).collect();
        let usage: Vec<i64> = r.class_arc.iter().map(|&id| sol.flow(id)).collect();
        if heuristics {
            if let Some(h) = heuristic(p, &relaxed).filter(|h| h.1 > floor.1) {
                floor = h;
            }
            if steps % CAPPED_EVERY == 1 {
                if let Some(h) = capped(p, &mut r, &values, &usage).filter(|h| h.1 > floor.1) {
                    floor = h;
                }
            }
        }
        // Values are integers: nothing is worth more than the floor.
        if best <= floor.1 || theta < 1e-4 {
            break;
        }
        // The subgradient: each row's slack, and the count's excess.
        let slack: Vec<i64> =
            r.rows.iter().map(|row| row.limit - row.classes.iter().map(|&c| usage[c as usize]).sum::<i64>()).collect();
        let excess = relaxed.len() as i64 - k;
        let mut norm: f64 = slack
            .iter()
            .zip(&lambda)
            .filter(|&(&g, &l)| !(l == 0 && g > 0))
            .map(|(&g, _)| (g as f64) * (g as f64))
            .sum();
        let count_row = p.at_least.is_some() && !(mu == 0 && excess > 0);
        if count_row {
            norm += (excess as f64) * (excess as f64);
        }
        if norm == 0.0 {
            // The relaxed optimum meets every dropped row with equality
            // where its multiplier is positive: `L` is the optimum over
            // the relaxation's convex hull, and no step improves it.
            break;
        }
        let t = theta * (bound - floor.1) as f64 / norm;
        for (l, &g) in lambda.iter_mut().zip(&slack) {
            *l = ((*l as f64) - t * g as f64).round().clamp(0.0, cap) as i64;
        }
        if p.at_least.is_some() {
            mu = ((mu as f64) - t * excess as f64).round().clamp(0.0, cap) as i64;
        }
    }
    if best == i128::MAX {
        // No step within the deadline: no bound.
        return None;
    }
    let mut fixed = HashSet::new();
    for &l in p.learners {
        fixed.extend(p.m.pinned_arc(l));
        fixed.extend(p.m.kept_arc(l));
    }
    let arc_bounds = r.arcs.iter().zip(arc_bound).map(|(&(l, a, _, _), b)| (l, a, b)).collect();
    Some(Relaxed { bound: best, floor, arc_bounds, fixed })
}
