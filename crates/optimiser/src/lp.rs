//! The same placement model as a linear programme through `good_lp`:
//! the independent reference for the network path, and the fallback for
//! constraints that are not a network.
//!
//! One continuous variable `x ∈ [0,1]` per usable pair. The constraint matrix
//! of every dualmatch constraint is a network matrix, hence totally
//! unimodular, so the LP optimum is integral; [`LpSolution::integral`] reports
//! whether the solver's vertex actually is.

use std::collections::HashMap;

use dualmatch_core::rhythm::Days;
use dualmatch_core::{GroupId, LearnerId};
use good_lp::{constraint, variable, Expression, ProblemVariables, Solution, SolverModel, Variable};

use crate::model::{Assignment, ModelArc, Objective, PlacementModel};

/// The LP back-end good_lp uses: microlp (pure Rust) by default, HiGHS with
/// the `highs` feature.
pub const BACKEND: &str = if cfg!(feature = "highs") { "highs" } else { "microlp" };

// good_lp keeps microlp as its default_solver whenever the microlp feature is
// on, so the back-end is chosen here explicitly.
#[cfg(feature = "highs")]
pub(crate) use good_lp::solvers::highs::highs as backend;
#[cfg(not(feature = "highs"))]
pub(crate) use good_lp::solvers::microlp::microlp as backend;

/// The solution type of [`backend`].
#[cfg(feature = "highs")]
pub(crate) type BackendSolution = good_lp::solvers::highs::HighsSolution;
/// The solution type of [`backend`].
#[cfg(not(feature = "highs"))]
pub(crate) type BackendSolution = good_lp::solvers::microlp::MicroLpSolution;

/// Whether the back-end gives an LP's reduced costs ([`column_values_and_duals`]).
pub(crate) const HAS_REDUCED_COSTS: bool = cfg!(feature = "highs");

/// The values and the duals (reduced costs) of the columns of an LP solved
/// by HiGHS, in the order of the model's variables.
#[cfg(feature = "highs")]
pub(crate) fn column_values_and_duals(sol: BackendSolution) -> Option<(Vec<f64>, Vec<f64>)> {
    let s = sol.into_inner();
    Some((s.columns().to_vec(), s.dual_columns().to_vec()))
}

/// microlp gives no reduced costs through good_lp.
#[cfg(not(feature = "highs"))]
pub(crate) fn column_values_and_duals(_: BackendSolution) -> Option<(Vec<f64>, Vec<f64>)> {
    None
}

/// The solver's own proven upper bound on a maximised mixed-integer model
/// it stopped on the time limit: microlp's best bound (the best of its open
/// nodes' LP bounds and the incumbent; `None` before its root LP is solved).
#[cfg(not(feature = "highs"))]
pub(crate) fn solver_bound(sol: BackendSolution) -> Option<f64> {
    sol.into_inner().stats().best_bound.filter(|b| b.is_finite())
}

/// HiGHS's dual bound does not come through good_lp's solution.
#[cfg(feature = "highs")]
pub(crate) fn solver_bound(_: BackendSolution) -> Option<f64> {
    None
}

/// An LP solution.
#[derive(Clone, Debug)]
pub struct LpSolution {
    /// The assignment read from the LP (x > 0.5).
    pub assignment: Assignment,
    /// The LP objective: total score (max-fit) or, for max-placed, the total
    /// score of the second phase.
    pub objective: f64,
    /// For max-placed, the optimal number placed from the first phase.
    pub placed_bound: Option<f64>,
    /// Whether every variable was within 1e-6 of 0 or 1.
    pub integral: bool,
}

/// Why the LP failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LpError {
    /// The constraints cannot all be met.
    #[error("the LP is infeasible")]
    Infeasible,
    /// The solver failed (for example, a numerical problem).
    #[error("the LP solver failed: {0}")]
    Solver(String),
}

struct Lp {
    vars: ProblemVariables,
    x: Vec<Variable>,
}

fn add_constraints<M: SolverModel>(model: M, m: &PlacementModel, x: &[Variable]) -> M {
    let all: Vec<LearnerId> = (0..m.learner_count()).map(LearnerId::from_index).collect();
    add_model_constraints(model, m, &all, &|a| Some(x[a.index()]), true)
}

/// Adds every constraint of the model on the arcs of `learners` (their
/// variables given by `x`): one placement per learner, pins, seats,
/// unreserved seats, capacities, school bounds and hard site minimums
/// (`allow_empty = false`). With `whole`, also the school bounds and hard
/// site minimums no learner of the part reaches (which then cannot be met);
/// otherwise only those the part's learners touch, which is every one of
/// theirs when the part is a component of [`crate::network`]. "A group or
/// nobody" needs binaries: [`crate::mip`] adds it.
///
/// An arc for which `x` gives `None` is not in the model (fixed to 0, see
/// [`crate::mip`]'s reduced-cost fixing): it takes part in no row.
pub(crate) fn add_model_constraints<M: SolverModel>(
    mut model: M,
    m: &PlacementModel,
    learners: &[LearnerId],
    x: &dyn Fn(ModelArc) -> Option<Variable>,
    whole: bool,
) -> M {
    let s = m.season;
    let mut per_group: HashMap<usize, Expression> = HashMap::new();
    let mut per_open: HashMap<usize, Expression> = HashMap::new();
    let mut per_wp: HashMap<usize, Expression> = HashMap::new();
    let mut per_bound: HashMap<usize, Expression> = HashMap::new();
    for &l in learners {
        let arcs: Vec<(ModelArc, Variable)> = m.arcs(l).filter_map(|a| Some((a, x(a)?))).collect();
        if arcs.is_empty() {
            if let Some(b) = m.school_bound_of(l) {
                per_bound.entry(b).or_default();
            }
            continue;
        }
        let mut one: Expression = Expression::default();
        for (a, xa) in arcs {
            one += xa;
            let g = m.group_of(a);
            *per_group.entry(g.index()).or_default() += xa;
            *per_wp.entry(s.group(g).workplace.index()).or_default() += xa;
            if m.takes_open_seat(l, g) {
                *per_open.entry(g.index()).or_default() += xa;
            }
            if let Some(b) = m.school_bound_of(l) {
                *per_bound.entry(b).or_default() += xa;
            }
            if m.pinned_arc(l) == Some(a) {
                model = model.with(constraint!(xa == 1));
            }
        }
        model =
            if m.kept_arc(l).is_some() { model.with(constraint!(one == 1)) } else { model.with(constraint!(one <= 1)) };
    }
    // With rhythms, seats and capacities bind day by day (see `crate::rhythms`).
    let days = if s.has_rhythms() { Some(PerDay::new(m, learners, x)) } else { None };
    let mut keys: Vec<_> = per_group.keys().copied().collect();
    keys.sort_unstable();
    for g in keys {
        let seats = f64::from(s.groups()[g].seats);
        let all = per_group.remove(&g).unwrap_or_default();
        match &days {
            Some(d) => model = d.rows(model, &d.group, g, seats),
            None => model = model.with(constraint!(all <= seats)),
        }
        if let (Some(e), Some(open)) = (per_open.remove(&g), m.open_seats(GroupId::from_index(g))) {
            model = model.with(constraint!(e <= f64::from(open)));
        }
    }
    for sm in &m.constraints.site_minimums {
        let w = sm.workplace.index();
        if !sm.allow_empty && (whole || per_wp.contains_key(&w)) {
            let e = per_wp.get(&w).cloned().unwrap_or_default();
            model = model.with(constraint!(e >= f64::from(sm.min)));
        }
    }
    let mut keys: Vec<_> = per_wp.keys().copied().collect();
    keys.sort_unstable();
    for w in keys {
        let e = per_wp.remove(&w).unwrap_or_default();
        if let Some(cap) = s.workplaces()[w].capacity {
            match &days {
                Some(d) => model = d.rows(model, &d.site, w, f64::from(cap)),
                None => model = model.with(constraint!(e <= f64::from(cap))),
            }
        }
    }
    for (bi, b) in m.constraints.school_bounds.iter().enumerate() {
        if !whole && !per_bound.contains_key(&bi) {
            continue;
        }
        let e = per_bound.remove(&bi).unwrap_or_default();
        if b.min > 0 {
            model = model.with(constraint!(e.clone() >= f64::from(b.min)));
        }
        if b.max != u32::MAX {
            model = model.with(constraint!(e <= f64::from(b.max)));
        }
    }
    model
}

/// Arcs of a recognition or site bucketed by the learners' days, for the
/// per-day rows of a season with rhythms.
struct PerDay {
    /// Per group: the buckets of its arcs by days.
    group: HashMap<usize, Vec<Bucket>>,
    /// Per site: the same.
    site: HashMap<usize, Vec<Bucket>>,
}

/// The arcs into a recognition or site of the learners with the same days.
struct Bucket {
    days: Days,
    /// Σ x of the arcs.
    sum: Expression,
    /// The learners with such arcs (each is placed at most once, so at
    /// most this many of them are present).
    learners: u32,
    /// The last learner counted (learners come in order).
    last: LearnerId,
}

impl PerDay {
    fn new(m: &PlacementModel, learners: &[LearnerId], x: &dyn Fn(ModelArc) -> Option<Variable>) -> PerDay {
        let s = m.season;
        let mut group: HashMap<usize, Vec<Bucket>> = HashMap::new();
        let mut site: HashMap<usize, Vec<Bucket>> = HashMap::new();
        let add = |map: &mut HashMap<usize, Vec<Bucket>>, k: usize, l: LearnerId, days: Days, xa: Variable| {
            let list = map.entry(k).or_default();
            match list.iter_mut().find(|b| b.days == days) {
                Some(b) => {
                    b.sum += xa;
                    if b.last != l {
                        b.learners += 1;
                        b.last = l;
                    }
                }
                None => list.push(Bucket { days, sum: Expression::from(xa), learners: 1, last: l }),
            }
        };
        for &l in learners {
            let d = s.days_of(l);
            for (a, xa) in m.arcs(l).filter_map(|a| Some((a, x(a)?))) {
                let g = m.group_of(a);
                add(&mut group, g.index(), l, d, xa);
                add(&mut site, s.group(g).workplace.index(), l, d, xa);
            }
        }
        PerDay { group, site }
    }

    /// One row `Σ present ≤ limit` per day of the cycle, leaving out the
    /// rows that other rows or the one-placement rows imply (the same for
    /// the integer model and its LP relaxation):
    /// - a day when nobody is present;
    /// - a day whose present learners (buckets) are a subset of another
    ///   day's, or the same as an earlier day's: its row is dominated, as
    ///   every term is ≥ 0 and the limit is the same;
    /// - a day on which fewer learners than `limit` can be present at all.
    fn rows<M: SolverModel>(&self, mut model: M, map: &HashMap<usize, Vec<Bucket>>, key: usize, limit: f64) -> M {
        let Some(list) = map.get(&key) else { return model };
        // Per day, the buckets present (ascending indices).
        let present: Vec<Vec<usize>> = (0..dualmatch_core::rhythm::SLOTS)
            .map(|slot| list.iter().enumerate().filter(|(_, b)| b.days.has(slot)).map(|(i, _)| i).collect())
            .collect();
        let within = |p: &[usize], q: &[usize]| p.iter().all(|i| q.binary_search(i).is_ok());
        for (slot, p) in present.iter().enumerate() {
            let count: f64 = p.iter().map(|&i| f64::from(list[i].learners)).sum();
            // A strict subset of another day's, or the same as an earlier day's.
            let dominated = present
                .iter()
                .enumerate()
                .any(|(other, q)| other != slot && within(p, q) && (p.len() < q.len() || other < slot));
            if p.is_empty() || dominated || count <= limit {
                continue;
            }
            let e: Expression = list.iter().filter(|b| b.days.has(slot)).map(|b| b.sum.clone()).sum();
            model = model.with(constraint!(e <= limit));
        }
        model
    }
}

fn new_lp(m: &PlacementModel) -> Lp {
    let mut vars = ProblemVariables::new();
    let x = vars.add_vector(variable().min(0).max(1), m.arc_count());
    Lp { vars, x }
}

fn read<S: Solution>(m: &PlacementModel, sol: &S, x: &[Variable]) -> (Assignment, bool) {
    let mut placement = vec![None; m.learner_count()];
    let mut integral = true;
    for li in 0..m.learner_count() {
        for a in m.arcs(LearnerId::from_index(li)) {
            let v = sol.value(x[a.index()]);
            if v.min((v - 1.0).abs()) > 1e-6 {
                integral = false;
            }
            if v > 0.5 {
                placement[li] = Some(m.candidate_of(a));
            }
        }
    }
    (Assignment::from_candidates(placement), integral)
}

fn map_err(e: good_lp::ResolutionError) -> LpError {
    match e {
        good_lp::ResolutionError::Infeasible => LpError::Infeasible,
        other => LpError::Solver(other.to_string()),
    }
}

fn score_expr(m: &PlacementModel, x: &[Variable]) -> Expression {
    let mut e = Expression::default();
    for (a, v) in x.iter().enumerate() {
        e += m.score_of(ModelArc::from_index(a)) * *v;
    }
    if m.keep_bonus != 0 {
        for li in 0..m.learner_count() {
            if let Some(a) = m.kept_arc(dualmatch_core::LearnerId::from_index(li)) {
                e += (m.keep_bonus as f64 / crate::model::WEIGHT_SCALE) * x[a.index()];
            }
        }
    }
    e
}

/// Solves the model as an LP with good_lp's default back-end.
pub fn solve(m: &PlacementModel, objective: Objective) -> Result<LpSolution, LpError> {
    if m.arc_count() == 0 {
        // No variables: HiGHS refuses an empty model, so answer directly.
        if m.constraints.school_bounds.iter().any(|b| b.min > 0)
            || m.constraints.site_minimums.iter().any(|x| !x.allow_empty)
        {
            return Err(LpError::Infeasible);
        }
        let assignment = Assignment::from_candidates(vec![None; m.learner_count()]);
        let placed_bound = (objective == Objective::MaxPlaced).then_some(0.0);
        return Ok(LpSolution { assignment, objective: 0.0, placed_bound, integral: true });
    }
    match objective {
        Objective::MaxFit => {
            let Lp { vars, x } = new_lp(m);
            let obj = score_expr(m, &x);
            let model = add_constraints(vars.maximise(obj.clone()).using(backend), m, &x);
            let sol = model.solve().map_err(map_err)?;
            let (assignment, integral) = read(m, &sol, &x);
            Ok(LpSolution { assignment, objective: sol.eval(&obj), placed_bound: None, integral })
        }
        Objective::MaxPlaced => {
            let Lp { vars, x } = new_lp(m);
            let count: Expression = x.iter().copied().sum();
            let model = add_constraints(vars.maximise(count.clone()).using(backend), m, &x);
            let sol = model.solve().map_err(map_err)?;
            let k = sol.eval(&count);
            let Lp { vars, x } = new_lp(m);
            let obj = score_expr(m, &x);
            let count: Expression = x.iter().copied().sum();
            let model =
                add_constraints(vars.maximise(obj.clone()).using(backend), m, &x).with(constraint!(count >= k.round()));
            let sol = model.solve().map_err(map_err)?;
            let (assignment, integral) = read(m, &sol, &x);
            Ok(LpSolution { assignment, objective: sol.eval(&obj), placed_bound: Some(k), integral })
        }
    }
}
