//! Seat values: the exact value of one more seat (and capacity) at every
//! recognition, from the tree from `T` and, at full sites, the trees that
//! pass capacity between the site's groups.

use dualmatch_core::{GroupId, LearnerId, WorkplaceId};
use rayon::prelude::*;

use super::residual::{InArcs, Node, Residual, Slack};
use super::shortest_paths::{Radius, Tree, Visit};
use super::types::{Advice, AdviceError, Move, Options, SeatAdvice, Stats, Use};
use super::waitlist::{waitlist, Sites};
use crate::model::PlacementModel;
use crate::network::Solved;

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

/// The real distance from `T` of a node the tree from `T` settled, under
/// potentials that the tree made exact (see `compute_with`).
pub(super) fn from_t(t_tree: &Tree, p: &[i64], v: u32) -> Option<i64> {
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
        if gain > 0 && r.placed_arc[(l - r.l0) as usize].is_none() && from_t(self.t_tree, self.p, l) == Some(real) {
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
    compute_inner(m, solved, opts, Waiting::CanGain, Scan::Near, Width::Fit)
}

/// How wide the residual's per-arc integers are ([`super::residual::Ints`]).
#[derive(Clone, Copy, PartialEq)]
enum Width {
    /// Narrow when every weight fits (the rule used).
    Fit,
    /// Always wide (the reference of the tests).
    #[cfg_attr(not(test), allow(dead_code))]
    Wide,
}

/// Which groups of full sites the trees search far enough for the waiting
/// list (see `compute_with`).
#[derive(Clone, Copy, PartialEq)]
enum Waiting {
    /// Where an unplaced learner reached from `T` has a weight above their
    /// distance from `T` (the rule used).
    CanGain,
    /// Where any unplaced learner has a pair (the earlier rule, the
    /// reference of the tests).
    #[cfg_attr(not(test), allow(dead_code))]
    AnyPair,
}

/// Which of a learner's arcs the trees at full sites read.
#[derive(Clone, Copy, PartialEq)]
enum Scan {
    /// Those within the tree's radius and those into its group (the rule
    /// used: [`Residual::slack`]).
    Near,
    /// Every arc (the reference of the tests).
    #[cfg_attr(not(test), allow(dead_code))]
    All,
}

fn compute_inner(
    m: &PlacementModel,
    solved: &Solved,
    opts: Options,
    rule: Waiting,
    scan: Scan,
    width: Width,
) -> Result<Advice, AdviceError> {
    if solved.duals.is_none() {
        return Err(AdviceError::NotMaxFit);
    }
    let s = m.season;
    let (ng, nw) = (s.groups().len(), s.workplaces().len());
    let r = match width {
        Width::Fit => Residual::new(m, solved)?,
        Width::Wide => Residual::with_width(m, solved, false)?,
    };
    let mut p = r.start_potentials(solved);
    let evaluated: Vec<bool> =
        s.groups().iter().map(|g| g.seats > 0 && s.workplace(g.workplace).capacity != Some(0)).collect();
    let n = r.n as usize;
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
    // The tree from T: one more seat where the site has room; one more seat
    // and capacity at full sites; every learner's distance D. It checks the
    // reduced cost of every arc it scans; the arcs of the nodes it does not
    // settle are checked after it. On a violation (the duals are not
    // exactly optimal for this network), the potentials are repaired and
    // the tree grown again.
    // The transpose for the tree into T (below) is built meanwhile.
    let mut t_tree = Tree::new(n);
    let mut relabels = 0u64;
    let grow_from_t = || loop {
        let radius_t = radius_from_t(&r, &p, &evaluated);
        let mut visit = FromT { p: &p, g0: r.g0, o0: r.o0, radius: radius_t, best: vec![None; ng] };
        let clean = t_tree.grow(&r, None, &p, 1, &[], false, None, &mut visit);
        let violated = r.violations(&p, |u| !clean || !t_tree.done(u));
        if violated.is_empty() {
            // Learner nodes are recorded; turn them into learner indices.
            let best = visit.best.into_iter().map(|b| b.map(|(gain, v)| (gain, v - r.l0))).collect::<Vec<_>>();
            break Ok((best, radius_t));
        }
        relabels += match r.make_feasible(&mut p, violated) {
            Ok(x) => x,
            Err(e) => break Err(e),
        };
    };
    let (from_t_tree, in_arcs) = rayon::join(grow_from_t, || (!shared.is_empty()).then(|| InArcs::new(&r)));
    let (best_t, radius_t) = from_t_tree?;
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
    // The tree into T (backwards): the real cost d(v, T) of reaching T from
    // every node, so of vacating a unit of a full site through each group.
    let mut exit_tree = Tree::new(if shared.is_empty() { 0 } else { n });
    let mut exit_radius = 0;
    let grow_exit = || {
        if let Some(in_arcs) = &in_arcs {
            let mut radius = 1i64;
            for &g in &shared {
                let a = best_t[g].map_or(0, |x| x.0);
                for g1 in others(g) {
                    radius = radius.max(a + p[r.g0 as usize + g1] - p[1] + 1);
                }
            }
            exit_radius = radius;
            let clean = exit_tree.grow(&r, Some(in_arcs), &p, 1, &[], false, None, &mut Radius(radius));
            debug_assert!(clean, "the potentials from T are feasible");
        }
    };
    // Groups with an unplaced learner who could gain there: one whom the
    // tree from T reached and whose weight there exceeds their distance
    // from T. Only such a learner can be one for whom the seat alone gains
    // as much as seat and capacity (a gain w(l, g) − d(w, l) > 0 with
    // d(w, l) = d(T, l)), which is what the waiting radius looks for.
    let waiting_groups = || {
        let mut waiting = vec![false; ng];
        for li in (0..s.learners().len()).filter(|&li| !r.frozen[li] && r.placed_arc[li].is_none()) {
            let d = from_t(&t_tree, &p, r.l0 + li as u32);
            for a in m.arcs(LearnerId::from_index(li)) {
                if rule == Waiting::AnyPair || d.is_some_and(|d| r.wt.get(a.index()) - d > 0) {
                    waiting[m.group_of(a).index()] = true;
                }
            }
        }
        waiting
    };
    // The trees at full sites need the entries into their own group only:
    // the learners' reduced costs under `p` let them skip the arcs beyond
    // their (small) radii without reading the nodes they enter.
    let slack_of = || match &in_arcs {
        Some(in_arcs) if scan == Scan::Near => r.slack(&p, in_arcs),
        _ => None,
    };
    // The tree into T runs on one core; the other works out, meanwhile, the
    // uses from T, the groups with a waiting learner and the reduced costs
    // (none of which reads the tree into T).
    let ((), (mut t_uses, (waiting, slack))) = rayon::join(grow_exit, || {
        let uses =
            || (0..ng).into_par_iter().map(|g| if evaluated[g] { t_use(g) } else { Use::NONE }).collect::<Vec<Use>>();
        rayon::join(uses, || rayon::join(waiting_groups, slack_of))
    });
    let to_t = |v: u32| exit_tree.done(v as usize).then(|| exit_tree.dist(v as usize) - p[v as usize] + p[1]);
    // Beyond its radius the tree into T settles nothing: the reduced
    // distance of an unsettled node is at least the radius.
    let to_t_at_least = |v: u32| to_t(v).unwrap_or(exit_radius - p[v as usize] + p[1]);
    // In chunks, each taking its tree arrays from a pool: a tree is
    // allocated (and its pages first touched) once per worker, not once per
    // chunk (20 MB a tree on a national season). A tree is reset between
    // uses, so which one a chunk gets changes nothing.
    let chunk = shared.len().div_ceil(4 * rayon::current_num_threads()).max(1);
    let pool = std::sync::Mutex::new(Vec::<Tree>::new());
    let at_full: Vec<AtFull> = shared
        .par_chunks(chunk)
        .flat_map_iter(|groups| {
            let taken = pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let mut tree = taken.unwrap_or_else(|| Tree::new(n));
            let found = groups
                .iter()
                .map(|&g| {
                    let waiting = waiting[g];
                    let (x, xl) = (&to_t, &to_t_at_least);
                    let (slack, others) = (slack.as_ref(), &others(g));
                    full_site_group(&r, &p, slack, &t_tree, &exit_tree, x, xl, &best_t, others, g, waiting, &mut tree)
                })
                .collect::<Vec<_>>();
            pool.lock().unwrap_or_else(|e| e.into_inner()).push(tree);
            found
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
            seats[g].seat = std::mem::replace(&mut t_uses[g], Use::NONE);
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
        let through = std::mem::replace(&mut t_uses[g], Use::NONE);
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
    slack: Option<&Slack>,
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
        let clean = tree.grow(r, None, p, root, &starts, true, slack.map(|x| (x, g)), &mut visit);
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
            Use { gain, taker: Some((LearnerId::from_index(li as usize), r.joined_moves(&path, gid))) }
        }
        _ => Use::NONE,
    };
    let off_t = here.is_some_and(|(gain, _)| gain == seat.gain && gain > through_t);
    let seat_enough = visit.pending.iter().map(|&v| (v - r.l0, r.moves(&tree.path_from_root(v), gid))).collect();
    let free_exit = exit.filter(|(d, _)| *d == 0).map(|(_, g1)| exit_path(g1));
    AtFull { g, seat, off_t, seat_enough, free_exit, settled }
}

#[cfg(test)]
mod tests {
    use dualmatch_core::scoring::{Candidates, Weights};
    use dualmatch_core::synth::{generate, SynthParams};

    use super::{compute_inner, Scan, Waiting, Width};
    use crate::advice::Options;
    use crate::constraints::Constraints;
    use crate::model::{Objective, PlacementModel};
    use crate::network;

    /// The waiting radius searched only where an unplaced learner can gain
    /// gives the same advice, every waiting-list option included, as the
    /// earlier rule that searched wherever an unplaced learner has a pair;
    /// on crowded synthetic seasons (full sites with several programmes,
    /// many unplaced learners), with and without kept placements.
    #[test]
    fn waiting_radius_only_where_a_learner_can_gain() {
        let (mut trees, mut cut_short) = (0, 0);
        for seed in 0..6u64 {
            let params = SynthParams { learners: 800, workplaces: 300, schools: 4, programmes: 4, seed };
            let season = dualmatch_core::season::from_doc(generate(&params)).unwrap().season;
            let cands = Candidates::generate(&season, &Weights::default(), None);
            let cons = Constraints::none();
            let m = PlacementModel::new(&season, &cands, &cons).unwrap();
            let solved = network::solve(&m, Objective::MaxFit).unwrap();
            let all = Options { top: usize::MAX };
            let reference = compute_inner(&m, &solved, all, Waiting::AnyPair, Scan::Near, Width::Fit).unwrap();
            let fast = compute_inner(&m, &solved, all, Waiting::CanGain, Scan::Near, Width::Fit).unwrap();
            assert_eq!(fast, reference, "seed {seed}");
            // The chains are worked out for the options kept only: the
            // first three options are those of the full list.
            let top = compute_inner(&m, &solved, Options { top: 3 }, Waiting::CanGain, Scan::Near, Width::Fit).unwrap();
            let mut cut = fast.clone();
            cut.waitlist.iter_mut().for_each(|e| e.options.truncate(3));
            assert_eq!(top, cut, "seed {seed}: the first three options");
            cut_short += fast.waitlist.iter().filter(|e| e.options.len() > 3).count();
            trees += reference.stats.site_trees;
            assert!(!reference.waitlist.is_empty(), "seed {seed}: unplaced learners with options");
        }
        assert!(trees > 20, "full sites with trees: {trees}");
        assert!(cut_short > 20, "learners with more than three options: {cut_short}");
    }

    /// The trees at full sites that skip the arcs beyond their radius
    /// unread ([`Scan::Near`]) give the same advice, chains and statistics
    /// included, as trees that read every arc; on crowded synthetic seasons
    /// with seats reserved for a priority group (arcs into open parts) and
    /// with kept placements (a bonus on the kept arcs).
    #[test]
    fn skipping_far_arcs_changes_nothing() {
        let (mut trees, mut off_t) = (0, 0);
        on_crowded_seasons(4000, 1500, |seed, m, solved| {
            let all = Options { top: usize::MAX };
            let near = compute_inner(m, solved, all, Waiting::CanGain, Scan::Near, Width::Fit).unwrap();
            let every = compute_inner(m, solved, all, Waiting::CanGain, Scan::All, Width::Fit).unwrap();
            assert_eq!(near, every, "seed {seed}");
            trees += every.stats.site_trees;
            off_t += every.stats.off_t;
        });
        assert!(trees > 20, "full sites with trees: {trees}");
        assert!(off_t > 0, "seat values found by chains that do not pass T: {off_t}");
    }

    /// Narrow weights (4 bytes an arc, where they fit) give the same advice,
    /// chains and statistics included, as wide ones; on crowded synthetic
    /// seasons with reserved seats and with kept placements (a bonus on the
    /// kept arcs, which stays narrow), and a keep bonus too large for 32
    /// bits makes them wide.
    #[test]
    fn narrow_weights_change_nothing() {
        let (mut narrow, mut kept) = (0, 0);
        on_crowded_seasons(3000, 1000, |seed, m, solved| {
            narrow += usize::from(crate::advice::residual::weights_fit_i32(m));
            let all = Options { top: usize::MAX };
            let fit = compute_inner(m, solved, all, Waiting::CanGain, Scan::Near, Width::Fit).unwrap();
            let wide = compute_inner(m, solved, all, Waiting::CanGain, Scan::Near, Width::Wide).unwrap();
            assert_eq!(fit, wide, "seed {seed}");
            assert!(!wide.waitlist.is_empty() && wide.stats.site_trees > 0, "seed {seed}: not vacuous");
            if m.has_kept() {
                kept += 1;
                m.set_keep_bonus(i64::from(i32::MAX));
                assert!(!crate::advice::residual::weights_fit_i32(m), "seed {seed}: a bonus beyond 32 bits");
            }
        });
        assert_eq!((narrow, kept), (4, 2), "every season's weights fit 32 bits; two with kept placements");
    }

    /// Calls `f(seed, model, its max-fit solution)` on four crowded synthetic
    /// seasons with seats reserved for a priority group (arcs into open
    /// parts); the odd seeds with kept placements (a bonus on the kept arcs).
    fn on_crowded_seasons(
        learners: usize,
        workplaces: usize,
        mut f: impl FnMut(u64, &mut PlacementModel, &network::Solved),
    ) {
        for seed in 0..4u64 {
            let params = SynthParams { learners, workplaces, schools: 4, programmes: 4, seed };
            let season = dualmatch_core::season::from_doc(generate(&params)).unwrap().season;
            let cands = Candidates::generate(&season, &Weights::default(), None);
            let kept = seed % 2 == 1;
            let cons = crate::advice::test_constraints(&season, &cands, 1, kept);
            let mut m = PlacementModel::new(&season, &cands, &cons).unwrap();
            let solved = network::solve(&m, Objective::MaxFit).unwrap();
            if kept {
                m = crate::advice::test_keep(m);
            }
            f(seed, &mut m, &solved);
        }
    }
}
