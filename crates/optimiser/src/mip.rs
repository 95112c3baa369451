//! The mixed-integer path: a part of the [`PlacementModel`] (some learners
//! and their arcs) as a mixed-integer model through good_lp (microlp by
//! default, HiGHS with the `highs` feature), for constraints that are not a
//! network.
//!
//! One variable `x ∈ {0,1}` per usable arc of the part's learners, every
//! constraint of the model on them ([`crate::lp`]'s rows), "a group or
//! nobody" at each site with `allow_empty = true` that the part reaches (a
//! binary `y`: `min·y ≤ Σ x ≤ U·y`, `U` the most learners the site can
//! take), and any further side constraints over arcs and binaries
//! ([`MipProblem::add_side`]). The objective is given per arc
//! ([`MipProblem::objective`]); by default the arc's integer weight (score ×
//! 10⁶, in score units), as on the network path.
//!
//! At sites with mentors (`mentors.csv`), the learners of one recognition
//! (site and programme) with the same days are interchangeable for the
//! mentors: the same mentors can guide each of them. So there is one
//! *continuous* variable `z ≥ 0` per (recognition, days, mentor who can
//! guide that programme on those days), not one binary per learner and
//! mentor: `Σ_k z_{g,D,k} = Σ x` over the arcs into recognition `g` of the
//! learners with days `D`, and `Σ z_{·,k} ≤ max_learners_k` for each mentor
//! `k`. This is exact. For integer `x`, these rows are a bipartite
//! transportation system (the (recognition, days) classes supply their
//! integer number of placed learners, each mentor takes at most its integer
//! workload, along the pairs where the mentor can guide the class), whose
//! matrix is totally unimodular: when a fractional `z` meets it, an integral
//! one does too, that is, a mentor can be given to every placed learner
//! within the workloads. [`crate::mentors::assign`] finds that assignment
//! after the solve. The LP relaxation ([`MipProblem`]'s bound) uses the same
//! rows. With rhythms, the seat and capacity rows are per day
//! ([`crate::rhythms`]).
//!
//! [`crate::network`] sends here only the components that a non-network
//! constraint touches; the rest stay on the network simplex.
//!
//! The result carries a bound: the objective itself when the solver proves
//! optimality, and, when the time limit stops the search, a proven upper
//! bound (the LP relaxation's optimum, to the solver's tolerance, the
//! Lagrangian relaxation's, or a cheaper one: [`MipProblem::solve`]), so the
//! gap `bound − objective` says how far from optimal the best placement
//! found can be.
//!
//! Before the search, each phase leaves out the arcs that no placement
//! worth a known feasible one uses (exact reduced-cost fixing): from the LP
//! relaxation's reduced costs with HiGHS, and from the Lagrangian
//! relaxation of the per-day rows ([`crate::lagrange`]) with microlp in
//! seasons with rhythms.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use dualmatch_core::rhythm::Days;
use dualmatch_core::{GroupId, LearnerId, MentorId, ProgrammeId};
use good_lp::{
    constraint, variable, Expression, ProblemVariables, Solution, SolutionStatus, SolverModel, Variable,
    WithInitialSolution, WithMipGap, WithTimeLimit,
};

use crate::lagrange;
use crate::lp::{self, backend};
use crate::model::{ModelArc, PlacementModel, WEIGHT_SCALE};

/// A binary variable added with [`MipProblem::add_binary`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binary(pub usize);

/// The sense of a side constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sense {
    /// `lhs ≤ rhs`.
    AtMost,
    /// `lhs ≥ rhs`.
    AtLeast,
    /// `lhs = rhs`.
    Equal,
}

/// A linear side constraint over the part's arcs and binaries.
#[derive(Clone, Debug, PartialEq)]
pub struct Side {
    /// Arc terms (coefficient per arc); arcs outside the part are ignored.
    pub arcs: Vec<(ModelArc, f64)>,
    /// Binary terms.
    pub binaries: Vec<(Binary, f64)>,
    /// The sense.
    pub sense: Sense,
    /// The right-hand side.
    pub rhs: f64,
}

/// What to optimise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    /// The largest sum of the per-arc objective.
    Max,
    /// The most learners placed, then the largest sum of the per-arc
    /// objective (two phases, exactly lexicographic when both are proven).
    PlacedThenMax,
    /// The most learners placed, whatever the objective (the first phase
    /// of [`Goal::PlacedThenMax`] alone: for the rhythm advice, which only
    /// counts).
    Placed,
}

/// The result of [`MipProblem::solve`].
#[derive(Clone, Debug, PartialEq)]
pub struct MipSolution {
    /// The placements: (learner, arc).
    pub placed: Vec<(LearnerId, ModelArc)>,
    /// The value of the per-arc objective.
    pub objective: f64,
    /// A proven upper bound on the per-arc objective (for
    /// [`Goal::PlacedThenMax`]: among the placements that place as many).
    pub bound: f64,
    /// For [`Goal::PlacedThenMax`]: a proven upper bound on the number placed.
    pub placed_bound: Option<f64>,
    /// Whether the solver proved the result optimal (no time limit hit).
    pub proven: bool,
    /// How many arcs reduced-cost fixing left out of the last search (0
    /// without a back-end that gives reduced costs; see [`MipProblem`]'s
    /// `phase`).
    pub fixed: usize,
}

impl MipSolution {
    /// `bound − objective`: 0 when proven optimal.
    pub fn gap(&self) -> f64 {
        if self.proven {
            0.0
        } else {
            (self.bound - self.objective).max(0.0)
        }
    }
}

/// Why the mixed-integer model gave no result.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MipError {
    /// The constraints cannot all be met.
    #[error("the mixed-integer model is infeasible")]
    Infeasible,
    /// The time limit ran out before any feasible placement was found.
    #[error("the time limit ran out before the mixed-integer solver found a feasible placement; raise --time-limit")]
    NoSolutionInTime,
    /// The solver failed.
    #[error("the mixed-integer solver failed: {0}")]
    Solver(String),
}

/// The per-arc objective.
pub type ArcObjective<'a> = &'a (dyn Fn(LearnerId, ModelArc) -> f64 + Sync);

/// The binaries a placement sets to 1 (the others are 0): used for the
/// start and to value a placement ([`MipProblem::binary_objective`]).
pub type BinaryRule<'a> = Box<dyn Fn(&[(LearnerId, ModelArc)]) -> Vec<Binary> + Sync + 'a>;

/// A mixed-integer model over the arcs of some learners of a model.
pub struct MipProblem<'a, 'm> {
    m: &'a PlacementModel<'m>,
    learners: Vec<LearnerId>,
    whole: bool,
    objective: Option<ArcObjective<'a>>,
    binaries: usize,
    sides: Vec<Side>,
    start: Option<Vec<(LearnerId, ModelArc)>>,
    known_bound: Option<f64>,
    binary_costs: Vec<(Binary, f64)>,
    binary_rule: Option<BinaryRule<'a>>,
    short_list: usize,
    fixing: bool,
}

/// One phase's result: the placements, their value, whether proven
/// optimal, the bound, and how many arcs reduced-cost fixing left out.
type Phase = (Vec<(LearnerId, ModelArc)>, f64, bool, f64, usize);

/// How many of its best arcs each learner keeps in the first, short search
/// of [`MipProblem::phase`] (with reduced costs only), whose placement is the
/// floor of the reduced-cost fixing.
pub const SHORT_LIST: usize = 10;

/// The relative gap at which the short search stops: its placement is only
/// the floor of the reduced-cost fixing, whose `U − L` it keeps small.
const SHORT_GAP: f32 = 1e-5;

/// Arcs per learner in the short search after the Lagrangian relaxation
/// (those of highest bound).
const LAGRANGE_SHORT_LIST: usize = 10;

/// One placed learner in the integer units of [`crate::lagrange`] when the
/// objective is the count ([`WEIGHT_SCALE`], so that its bound reads the
/// same way as the weights').
const COUNT_UNIT: i64 = WEIGHT_SCALE as i64;

/// One search's result.
struct Searched {
    placed: Vec<(LearnerId, ModelArc)>,
    value: f64,
    /// Proven optimal on the arcs searched.
    proven: bool,
    /// The solver's own upper bound, when it gives one and it holds for the
    /// whole part.
    solver_bound: Option<f64>,
}

/// The variables of one build of the model.
struct Vars {
    /// The arcs in the model (all but those fixed to 0), and their variables.
    x: HashMap<ModelArc, Variable>,
    /// The arcs in the order their variables were added: the `i`-th is the
    /// model's `i`-th variable (column), the x variables coming first.
    cols: Vec<ModelArc>,
    y: Vec<Variable>,
    /// Per class of interchangeable arcs into a site with mentors (the arcs
    /// into one recognition of the learners with the same days): the arcs,
    /// and (mentor, continuous "learners of the class this mentor guides")
    /// for each mentor who can guide the class.
    z: Vec<MentorClass>,
}

/// Arcs into one recognition with mentors, of learners with the same days.
struct MentorClass {
    arcs: Vec<ModelArc>,
    mentors: Vec<(MentorId, Variable)>,
}

impl<'a, 'm> MipProblem<'a, 'm> {
    /// The part of `m` made of `learners` (a component of the network path,
    /// which holds every constraint it touches), with "a group or nobody" at
    /// every site it reaches and the default objective.
    pub fn new(m: &'a PlacementModel<'m>, learners: Vec<LearnerId>) -> Self {
        MipProblem {
            m,
            learners,
            whole: false,
            objective: None,
            binaries: 0,
            sides: Vec::new(),
            start: None,
            known_bound: None,
            binary_costs: Vec::new(),
            binary_rule: None,
            short_list: SHORT_LIST,
            fixing: true,
        }
    }

    /// The whole model (every learner, and the school bounds and site
    /// minimums that no learner reaches).
    pub fn whole(m: &'a PlacementModel<'m>) -> Self {
        let learners = (0..m.learner_count()).map(LearnerId::from_index).collect();
        MipProblem { whole: true, ..Self::new(m, learners) }
    }

    /// Uses `f(learner, arc)` as the objective of each arc (default: the
    /// arc's integer weight in score units, [`PlacementModel::weight_of`]
    /// divided by [`WEIGHT_SCALE`]).
    pub fn objective(mut self, f: ArcObjective<'a>) -> Self {
        self.objective = Some(f);
        self
    }

    /// A feasible placement of the part to start from (the solver's first
    /// incumbent; with a time limit, the result is never worse). The
    /// binaries of side constraints start at 0, except those the rule of
    /// [`Self::binary_objective`] sets.
    pub fn start(mut self, placed: Vec<(LearnerId, ModelArc)>) -> Self {
        self.start = Some(placed);
        self
    }

    /// A proven upper bound on the objective of [`Goal::Max`] found
    /// elsewhere (for example a relaxation solved by network simplex): when
    /// the time limit stops the search, it is the result's bound instead of
    /// the LP relaxation's, which is then not solved.
    pub fn known_bound(mut self, bound: f64) -> Self {
        self.known_bound = Some(bound);
        self
    }

    /// How many of its best arcs each learner keeps in the short search
    /// that gives the floor of the reduced-cost fixing (default
    /// [`SHORT_LIST`]; used only with a back-end that gives reduced costs,
    /// HiGHS). Any value gives the same optimum: the short search only finds
    /// a feasible placement.
    pub fn short_list(mut self, k: usize) -> Self {
        self.short_list = k.max(1);
        self
    }

    /// Whether to make the search smaller by the short search and
    /// reduced-cost fixing when the back-end gives reduced costs (default:
    /// on). Off, each phase is one search of every arc.
    pub fn fixing(mut self, on: bool) -> Self {
        self.fixing = on;
        self
    }

    /// A new binary variable for side constraints.
    pub fn add_binary(&mut self) -> Binary {
        self.binaries += 1;
        Binary(self.binaries - 1)
    }

    /// Adds a side constraint.
    pub fn add_side(&mut self, side: Side) {
        self.sides.push(side);
    }

    /// Adds `cost · b` to the objective for each `(b, cost)` (a fixed
    /// charge when `cost < 0`), with the rule that gives the binaries of a
    /// placement: the start sets them so, and a placement is valued with
    /// them (the binaries with a cost must be the smallest the side
    /// constraints allow for the placement, as a fixed charge's are).
    pub fn binary_objective(mut self, costs: Vec<(Binary, f64)>, rule: BinaryRule<'a>) -> Self {
        self.binary_costs = costs;
        self.binary_rule = Some(rule);
        self
    }

    /// The binaries `placed` sets to 1 under the rule of
    /// [`Self::binary_objective`] (none without one).
    fn binaries_of(&self, placed: &[(LearnerId, ModelArc)]) -> Vec<Binary> {
        self.binary_rule.as_ref().map_or_else(Vec::new, |r| r(placed))
    }

    fn arc_value(&self, l: LearnerId, a: ModelArc) -> f64 {
        match self.objective {
            Some(f) => f(l, a),
            None => self.m.weight_of(l, a) as f64 / WEIGHT_SCALE,
        }
    }

    /// The arcs of learner `l` that are in the model (not in `out`).
    fn arcs_of<'s>(&'s self, l: LearnerId, out: &'s HashSet<ModelArc>) -> impl Iterator<Item = ModelArc> + 's {
        self.m.arcs(l).filter(move |a| !out.contains(a))
    }

    /// The variables, leaving out the arcs of `out` (fixed to 0).
    fn vars(&self, integer: bool, out: &HashSet<ModelArc>) -> (ProblemVariables, Vars) {
        let mut vars = ProblemVariables::new();
        let kind = || if integer { variable().binary() } else { variable().min(0).max(1) };
        let mut x = HashMap::new();
        let mut cols = Vec::new();
        for &l in &self.learners {
            for a in self.arcs_of(l, out) {
                x.insert(a, vars.add(kind()));
                cols.push(a);
            }
        }
        let extra = self.binaries + self.group_or_nobody_sites(out).len();
        let y = (0..extra).map(|_| vars.add(kind())).collect();
        let s = self.m.season;
        // The classes in (recognition, days) order, so that the model does
        // not depend on the learners' order.
        // Keyed by the learner's programme too, which is what the mentors'
        // check ([`crate::mentors::assign`]) reads.
        let mut classes: BTreeMap<(usize, usize, Days), Vec<ModelArc>> = BTreeMap::new();
        for &l in &self.learners {
            let (p, days) = (s.learner(l).programme, s.days_of(l));
            for a in self.arcs_of(l, out) {
                let g = self.m.group_of(a);
                if !s.mentors_of_workplace(s.group(g).workplace).is_empty() {
                    classes.entry((g.index(), p.index(), days)).or_default().push(a);
                }
            }
        }
        let z = classes
            .into_iter()
            .map(|((g, p, days), arcs)| {
                let (w, p) = (s.group(GroupId::from_index(g)).workplace, ProgrammeId::from_index(p));
                let can = s.mentors_of_workplace(w).iter().filter(|&&k| s.mentor(k).can_guide(p, days));
                // Continuous whether or not x is (see the module's comment).
                let mentors = can.map(|&k| (k, vars.add(variable().min(0)))).collect();
                MentorClass { arcs, mentors }
            })
            .collect();
        (vars, Vars { x, cols, y, z })
    }

    /// The sites with `allow_empty = true` that the part's arcs reach, with
    /// their minimum and the most learners they can take (the arcs of `out`
    /// left out).
    fn group_or_nobody_sites(&self, out: &HashSet<ModelArc>) -> Vec<(usize, u32, f64)> {
        let s = self.m.season;
        let mut reach: HashMap<usize, u32> = HashMap::new();
        for &l in &self.learners {
            let mut seen = Vec::new();
            for a in self.arcs_of(l, out) {
                let w = s.group(self.m.group_of(a)).workplace.index();
                if !seen.contains(&w) {
                    seen.push(w);
                    *reach.entry(w).or_default() += 1;
                }
            }
        }
        let mut out = Vec::new();
        for sm in self.m.constraints.site_minimums.iter().filter(|x| x.allow_empty) {
            let w = sm.workplace;
            let Some(&learners) = reach.get(&w.index()) else { continue };
            let seats: u64 = s.groups_of_workplace(w).iter().map(|g| u64::from(s.group(*g).seats)).sum();
            let most = u64::from(learners).min(seats).min(s.workplace(w).capacity.map_or(u64::MAX, u64::from));
            out.push((w.index(), sm.min, most as f64));
        }
        out
    }

    fn constrain<M: SolverModel>(&self, model: M, v: &Vars, out: &HashSet<ModelArc>) -> M {
        let x = |a: ModelArc| v.x[&a];
        let mut model = lp::add_model_constraints(model, self.m, &self.learners, &|a| v.x.get(&a).copied(), self.whole);
        let sites = self.group_or_nobody_sites(out);
        let mut at: HashMap<usize, Expression> = HashMap::new();
        for &l in &self.learners {
            for a in self.arcs_of(l, out) {
                *at.entry(self.m.season.group(self.m.group_of(a)).workplace.index()).or_default() += x(a);
            }
        }
        for (i, &(w, min, most)) in sites.iter().enumerate() {
            let y = v.y[self.binaries + i];
            let e = at.remove(&w).unwrap_or_default();
            model = model.with(constraint!(e.clone() >= f64::from(min) * y));
            model = model.with(constraint!(e <= most * y));
        }
        // Mentors: the learners of each class placed are guided by mentors
        // who can guide them; each mentor within `max_learners`.
        let mut load: HashMap<MentorId, Expression> = HashMap::new();
        for class in &v.z {
            let mut e = Expression::default();
            for &(k, zk) in &class.mentors {
                e += zk;
                *load.entry(k).or_default() += zk;
            }
            let placed: Expression = class.arcs.iter().map(|&a| x(a)).sum();
            model = model.with(constraint!(e == placed));
        }
        let mut keys: Vec<MentorId> = load.keys().copied().collect();
        keys.sort_unstable();
        for k in keys {
            let e = load.remove(&k).unwrap_or_default();
            model = model.with(constraint!(e <= f64::from(self.m.season.mentor(k).max_learners)));
        }
        for side in &self.sides {
            let mut e = Expression::default();
            for &(a, c) in &side.arcs {
                if let Some(&xa) = v.x.get(&a) {
                    e += c * xa;
                }
            }
            for &(Binary(b), c) in &side.binaries {
                e += c * v.y[b];
            }
            model = match side.sense {
                Sense::AtMost => model.with(constraint!(e <= side.rhs)),
                Sense::AtLeast => model.with(constraint!(e >= side.rhs)),
                Sense::Equal => model.with(constraint!(e == side.rhs)),
            };
        }
        model
    }

    fn objective_expr(&self, v: &Vars, out: &HashSet<ModelArc>) -> Expression {
        let mut e = Expression::default();
        for &l in &self.learners {
            for a in self.arcs_of(l, out) {
                e += self.arc_value(l, a) * v.x[&a];
            }
        }
        for &(Binary(b), c) in &self.binary_costs {
            e += c * v.y[b];
        }
        e
    }

    fn count_expr(&self, v: &Vars) -> Expression {
        v.cols.iter().map(|a| v.x[a]).sum()
    }

    /// One phase: maximise `obj` (`count` or the per-arc objective), with
    /// `at_least` placed, within `limit`, starting from `start`. Returns the
    /// placements, the value, whether proven, and the bound.
    ///
    /// With a back-end that gives the LP's reduced costs (HiGHS), the
    /// phase first makes the search smaller, exactly (see
    /// [`Self::reduced_cost_fixing`]): it solves the model on each learner's
    /// [`SHORT_LIST`] best arcs (a feasible placement of the whole part, the
    /// floor `L`), then the LP relaxation of the whole part (its optimum `U`
    /// and reduced costs), leaves out every arc whose reduced cost shows
    /// that no placement using it reaches `L`, and searches the arcs left.
    /// Without (microlp), in a season with rhythms, the Lagrangian
    /// relaxation ([`crate::lagrange`], within a third of the limit) gives
    /// the bound, a better floor and the arcs to leave out; when its bound
    /// is the floor's value, the floor is optimal and there is no search.
    fn phase(
        &self,
        count: bool,
        at_least: Option<f64>,
        limit: Option<Duration>,
        start: Option<&[(LearnerId, ModelArc)]>,
    ) -> Result<Phase, MipError> {
        let t0 = Instant::now();
        let left = || limit.map(|l| l.saturating_sub(t0.elapsed()).max(Duration::from_millis(1)));
        // A start whose placed learners cannot all get a mentor is no
        // solution: it is neither handed over nor kept.
        let mut best: Option<(Vec<(LearnerId, ModelArc)>, f64)> =
            start.filter(|s| self.guided(s)).map(|s| (s.to_vec(), self.value_of(count, s)));
        let mut out = HashSet::new();
        let mut lp_bound = None;
        if lp::HAS_REDUCED_COSTS && self.fixing {
            let short = self.short_lists(best.as_ref().map(|b| &b.0[..]));
            if !short.is_empty() {
                // Infeasible on the short lists, or out of time: no floor
                // from it. It needs no proof: it stops within SHORT_GAP of
                // its own bound, or after a quarter of what is left.
                let from = best.as_ref().map(|b| &b.0[..]);
                let quarter = left().map(|l| l / 4);
                if let Ok(s) = self.search(count, at_least, quarter, from, &short, SHORT_GAP) {
                    if best.as_ref().is_none_or(|b| s.value > b.1) {
                        best = Some((s.placed, s.value));
                    }
                }
            }
            if let Some((placed, floor)) = &best {
                (out, lp_bound) = self.reduced_cost_fixing(count, at_least, left(), *floor, placed);
            }
        } else if self.fixing && self.lagrangian() {
            // No duals from the back-end: the Lagrangian relaxation's bound
            // and fixing ([`crate::lagrange`]), from the start (or nobody
            // placed), within a third of the limit.
            let unit = |l: LearnerId, a: ModelArc| if count { COUNT_UNIT } else { self.m.weight_of(l, a) };
            let part = lagrange::Part {
                m: self.m,
                learners: &self.learners,
                value: &unit,
                at_least: at_least.map(|k| k.round().max(0.0) as u64),
                heuristics: true,
            };
            let worth =
                |placed: &[(LearnerId, ModelArc)]| placed.iter().map(|&(l, a)| i128::from(unit(l, a))).sum::<i128>();
            let floor = best.as_ref().map(|(placed, _)| (placed.clone(), worth(placed)));
            let deadline = left().map(|l| Instant::now() + l / 3);
            if let Some(r) = lagrange::relax(&part, floor, deadline) {
                lp_bound = Some(r.bound as f64 / WEIGHT_SCALE);
                let (mut floor, mut placed) = (r.floor.1, r.floor.0.clone());
                // Unless the bound is the floor's already, a search on each
                // learner's few arcs of highest bound (to a proof, within a
                // quarter of what is left) raises the floor, which leaves
                // more arcs out.
                if r.bound > floor {
                    let short = r.beyond_best(LAGRANGE_SHORT_LIST, &placed);
                    let quarter = left().map(|l| l / 4);
                    if let Ok(s) = self.search(count, at_least, quarter, Some(&placed), &short, 0.0) {
                        if worth(&s.placed) > floor {
                            (floor, placed) = (worth(&s.placed), s.placed);
                        }
                    }
                }
                out = r.left_out(floor, &placed);
                if r.bound <= floor {
                    // Nothing is worth more than the floor.
                    let value = self.value_of(count, &placed);
                    return Ok((placed, value, true, value, out.len()));
                }
                best = Some((placed.clone(), self.value_of(count, &placed)));
            }
        }
        let from = best.as_ref().map(|b| &b.0[..]);
        let s = match self.search(count, at_least, left(), from, &out, 0.0) {
            Ok(s) => s,
            // The limit ran out before the solver had a placement of its
            // own: keep the best one so far, with a bound.
            Err(MipError::NoSolutionInTime) if best.is_some() => {
                Searched { placed: Vec::new(), value: f64::NEG_INFINITY, proven: false, solver_bound: None }
            }
            Err(e) => return Err(e),
        };
        if s.proven {
            // Optimal on the arcs left, hence on the whole part: every
            // placement at least as good as the floor uses none of the arcs
            // left out, and the floor's own placement is among those left.
            return Ok((s.placed, s.value, true, s.value, out.len()));
        }
        let bound = self.bound_after_limit(count, at_least, [lp_bound, s.solver_bound], left());
        match best {
            // Stopped by the limit with a worse incumbent than the best so
            // far (HiGHS gets no start): keep the best.
            Some((placed, value)) if value > s.value => Ok((placed, value, false, bound, out.len())),
            _ => Ok((s.placed, s.value, false, bound, out.len())),
        }
    }

    /// Whether [`crate::lagrange`]'s relaxation applies: a season with
    /// rhythms (its per-day rows are what it relaxes), the per-arc weights
    /// or the count as the objective (integers), and no binaries or side
    /// constraints of the caller's.
    fn lagrangian(&self) -> bool {
        self.m.season.has_rhythms()
            && self.objective.is_none()
            && self.binaries == 0
            && self.sides.is_empty()
            && self.binary_costs.is_empty()
            && self.group_or_nobody_sites(&HashSet::new()).is_empty()
    }

    /// Whether every learner `placed` places can get a mentor within the
    /// workloads (true without mentors).
    fn guided(&self, placed: &[(LearnerId, ModelArc)]) -> bool {
        let mut placement = vec![None; self.m.learner_count()];
        for &(l, a) in placed {
            placement[l.index()] = Some(self.m.candidate_of(a));
        }
        crate::mentors::assign(self.m, &crate::model::Assignment::from_candidates(placement)).is_ok()
    }

    /// The arcs left out when each learner keeps only its
    /// [`Self::short_list`] best arcs by the per-arc objective (ties by arc), and always its
    /// pinned and kept arcs and those of `keep`. Empty when no arc is left
    /// out.
    fn short_lists(&self, keep: Option<&[(LearnerId, ModelArc)]>) -> HashSet<ModelArc> {
        let keep: HashSet<ModelArc> = keep.unwrap_or_default().iter().map(|&(_, a)| a).collect();
        let mut out = HashSet::new();
        for &l in &self.learners {
            let mut arcs: Vec<ModelArc> = self.m.arcs(l).collect();
            if arcs.len() <= self.short_list {
                continue;
            }
            arcs.sort_by(|&a, &b| self.arc_value(l, b).total_cmp(&self.arc_value(l, a)).then(a.cmp(&b)));
            let fixed = [self.m.pinned_arc(l), self.m.kept_arc(l)];
            out.extend(arcs[self.short_list..].iter().filter(|a| !keep.contains(a) && !fixed.contains(&Some(**a))));
        }
        out
    }

    /// Exact reduced-cost fixing. Solves the LP relaxation of the whole part
    /// (within `limit`): its optimum `U`, and per arc its reduced cost `d`.
    /// Returns the arcs with `d < L − U` (`L` = `floor`, the value of the
    /// feasible placement `floor_placed`), which can be fixed to 0, and `U`
    /// (an upper bound on the objective; `None` when the LP was not solved to
    /// optimality, and then no arc is fixed).
    ///
    /// Why this is exact. Let `y` be the LP's optimal row duals and `d = c −
    /// Aᵀy` the reduced costs (maximisation: `y` has the sign of each row's
    /// sense, `d ≤ 0` for a variable at its lower bound 0, `d ≥ 0` at its
    /// upper bound, `d = 0` when basic). For every point `x` of the LP
    /// (hence every placement), `c·x = yᵀAx + d·x`, which is at most
    /// `yᵀb + Σ_{d_j>0} d_j u_j + d_k x_k` for any `k` with `d_k < 0`, and
    /// `yᵀb + Σ_{d_j>0} d_j u_j = U` by strong duality. So a placement that uses arc `k` (`x_k = 1`) is
    /// worth at most `U + d_k`, less than `L` when `d_k < L − U`. The optimum
    /// is worth at least `L` (the floor's placement is feasible), so no
    /// optimal placement uses such an arc: the model without them has the
    /// same optimum, and a proof of optimality on it is one on the whole
    /// part. The floor's arcs and the pinned and kept arcs are never fixed
    /// (they cannot meet the test, up to rounding), and a tolerance `tol`
    /// relative to `U` absorbs the solver's dual tolerances.
    fn reduced_cost_fixing(
        &self,
        count: bool,
        at_least: Option<f64>,
        limit: Option<Duration>,
        floor: f64,
        floor_placed: &[(LearnerId, ModelArc)],
    ) -> (HashSet<ModelArc>, Option<f64>) {
        let none = HashSet::new();
        let Some((sol, upper, v)) = self.solve_relaxation(count, at_least, limit) else { return (none, None) };
        let values: Vec<f64> = v.cols.iter().map(|a| sol.value(v.x[a])).collect();
        let Some((columns, duals)) = lp::column_values_and_duals(sol) else { return (none, Some(upper)) };
        let tol = 1e-6 * (1.0 + upper.abs());
        // The x variables are the first columns, in `v.cols`' order (checked
        // against the values read by variable), and the duals have the signs
        // of a maximisation's optimum; otherwise nothing is fixed.
        let aligned = columns.len() >= values.len()
            && duals.len() >= values.len()
            && values.iter().zip(&columns).all(|(a, b)| (a - b).abs() <= 1e-9);
        let signed =
            aligned && values.iter().zip(&duals).all(|(&x, &d)| !(x <= 1e-9 && d > tol || x >= 1.0 - 1e-9 && d < -tol));
        if !signed {
            return (none, Some(upper));
        }
        let mut keep: HashSet<ModelArc> = floor_placed.iter().map(|&(_, a)| a).collect();
        for &l in &self.learners {
            keep.extend(self.m.pinned_arc(l));
            keep.extend(self.m.kept_arc(l));
        }
        let threshold = floor - upper - tol;
        let out =
            v.cols.iter().zip(&duals).filter(|&(a, &d)| d < threshold && !keep.contains(a)).map(|(a, _)| *a).collect();
        (out, Some(upper))
    }

    /// One branch-and-bound search on the arcs not in `out`, within `limit`,
    /// from `start` (handed to the solver except HiGHS; see below), until
    /// proven optimal or within the relative `gap` of its bound (0: a proof).
    fn search(
        &self,
        count: bool,
        at_least: Option<f64>,
        limit: Option<Duration>,
        start: Option<&[(LearnerId, ModelArc)]>,
        out: &HashSet<ModelArc>,
        gap: f32,
    ) -> Result<Searched, MipError> {
        let (vars, v) = self.vars(true, out);
        let obj = if count { self.count_expr(&v) } else { self.objective_expr(&v, out) };
        let mut model = self.constrain(vars.maximise(obj.clone()).using(backend), &v, out);
        if let Some(k) = at_least {
            model = model.with(constraint!(self.count_expr(&v) >= k));
        }
        // With gap 0, a proof, not a relative gap's stop (HiGHS stops at
        // 10⁻⁴ by default); a stop within `gap` is not `proven`.
        model = model.with_mip_gap(gap).map_err(|e| MipError::Solver(e.to_string()))?;
        // The mentors' variables of a start come from the mentors'
        // assignment ([`crate::mentors::assign`]); a start without one is
        // no full solution: none then.
        // HiGHS (highs-sys 1.16), given a feasible start, was seen to report
        // that start as optimal when a better placement exists (short lines:
        // the brute-force test's seed 50; rhythms with mentors: seed 105 of
        // `mixed_integer_path_with_rhythms_matches_brute_force`, a start of
        // value 96 called optimal against 145). HiGHS therefore never gets a
        // start; [`Self::phase`] still compares the start with its result,
        // so a time limit never leaves a worse placement than the start.
        let hand_start = !cfg!(feature = "highs");
        let start = start.filter(|s| hand_start && s.iter().all(|(_, a)| v.x.contains_key(a)));
        if let Some((start, Some(guides))) = start.map(|s| (s, self.mentor_start(s, &v))) {
            let chosen: HashSet<ModelArc> = start.iter().map(|&(_, a)| a).collect();
            let mut init: Vec<(Variable, f64)> =
                v.cols.iter().map(|a| (v.x[a], if chosen.contains(a) { 1.0 } else { 0.0 })).collect();
            let at = self.sites_in_use(start);
            for (i, &(w, _, _)) in self.group_or_nobody_sites(out).iter().enumerate() {
                init.push((v.y[self.binaries + i], if at.contains(&w) { 1.0 } else { 0.0 }));
            }
            let on = self.binaries_of(start);
            for b in 0..self.binaries {
                init.push((v.y[b], if on.contains(&Binary(b)) { 1.0 } else { 0.0 }));
            }
            init.extend(guides);
            model = model.with_initial_solution(init);
        }
        if let Some(limit) = limit {
            model = model.with_time_limit(limit.as_secs_f64());
        }
        let sol = match model.solve() {
            Ok(sol) => sol,
            Err(good_lp::ResolutionError::Infeasible) => return Err(MipError::Infeasible),
            Err(e) if limit.is_some() && !matches!(e, good_lp::ResolutionError::Unbounded) => {
                return Err(MipError::NoSolutionInTime)
            }
            Err(e) => return Err(MipError::Solver(e.to_string())),
        };
        let proven = matches!(sol.status(), SolutionStatus::Optimal);
        let placed: Vec<(LearnerId, ModelArc)> = self
            .learners
            .iter()
            .flat_map(|&l| self.arcs_of(l, out).filter(|a| sol.value(v.x[a]) > 0.5).map(move |a| (l, a)))
            .collect();
        let value = self.value_of(count, &placed);
        // The search's own bound (microlp's best bound) holds for the arcs
        // searched. [`Self::phase`] leaves out only arcs that no optimal
        // placement uses, so the optimum on the arcs searched is the whole
        // part's, and the bound holds for it too.
        let solver_bound = lp::solver_bound(sol);
        Ok(Searched { placed, value, proven, solver_bound })
    }

    /// A proven upper bound when the limit stopped the search: the least of
    /// the bounds found on the way (`found`: the LP relaxation of the whole
    /// part or its Lagrangian relaxation, the solver's own bound) and the one given with
    /// [`Self::known_bound`]; without any, the LP relaxation if it is solved
    /// within what is left of the limit (`left`); otherwise
    /// [`Self::trivial_bound`].
    fn bound_after_limit(
        &self,
        count: bool,
        at_least: Option<f64>,
        found: [Option<f64>; 2],
        left: Option<Duration>,
    ) -> f64 {
        let known = self.known_bound.filter(|_| !count && at_least.is_none());
        let bound = found.into_iter().chain([known]).flatten().filter(|b| b.is_finite()).reduce(f64::min);
        bound
            .or_else(|| left.filter(|l| *l >= Duration::from_secs(1)).and_then(|l| self.relaxation(count, at_least, l)))
            .unwrap_or_else(|| self.trivial_bound(count))
    }

    /// A cheap upper bound: every learner with an arc placed on its best
    /// arc (or not at all when every arc is worth less than nothing), and
    /// every binary with a positive cost set. Valid because it is the
    /// optimum with every constraint but "one arc per learner" dropped
    /// (seats, capacities, mentors, bounds, minimums, side constraints and
    /// `at_least` only cut placements away), and a fixed charge is ≤ 0.
    fn trivial_bound(&self, count: bool) -> f64 {
        let best = |l: LearnerId| {
            let v = self.m.arcs(l).map(|a| if count { 1.0 } else { self.arc_value(l, a) }).fold(0.0, f64::max);
            v.max(0.0)
        };
        let charges: f64 = if count { 0.0 } else { self.binary_costs.iter().map(|&(_, c)| c.max(0.0)).sum() };
        self.learners.iter().map(|&l| best(l)).sum::<f64>() + charges
    }

    /// The mentors' variables for a start: how many learners of each
    /// class each mentor guides in the mentors' assignment of `start`
    /// (empty without mentors; `None` when `start` leaves a placed learner
    /// without a mentor).
    fn mentor_start(&self, start: &[(LearnerId, ModelArc)], v: &Vars) -> Option<Vec<(Variable, f64)>> {
        if v.z.is_empty() {
            return Some(Vec::new());
        }
        let mut placement = vec![None; self.m.learner_count()];
        for &(l, a) in start {
            placement[l.index()] = Some(self.m.candidate_of(a));
        }
        let guide = crate::mentors::assign(self.m, &crate::model::Assignment::from_candidates(placement)).ok()?;
        let chosen: HashMap<ModelArc, LearnerId> = start.iter().map(|&(l, a)| (a, l)).collect();
        let mut init = Vec::new();
        for class in &v.z {
            let mut count: HashMap<MentorId, f64> = HashMap::new();
            for a in &class.arcs {
                if let Some(k) = chosen.get(a).and_then(|l| guide[l.index()]) {
                    *count.entry(k).or_default() += 1.0;
                }
            }
            init.extend(class.mentors.iter().map(|&(k, zk)| (zk, count.get(&k).copied().unwrap_or(0.0))));
        }
        Some(init)
    }

    fn value_of(&self, count: bool, placed: &[(LearnerId, ModelArc)]) -> f64 {
        if count {
            placed.len() as f64
        } else {
            let on = self.binaries_of(placed);
            let charges: f64 = self.binary_costs.iter().filter(|(b, _)| on.contains(b)).map(|&(_, c)| c).sum();
            placed.iter().map(|&(l, a)| self.arc_value(l, a)).sum::<f64>() + charges
        }
    }

    fn sites_in_use(&self, placed: &[(LearnerId, ModelArc)]) -> Vec<usize> {
        placed.iter().map(|&(_, a)| self.m.season.group(self.m.group_of(a)).workplace.index()).collect()
    }

    /// The optimum of the LP relaxation within `limit`: an upper bound on
    /// the objective (`None` when the LP is not solved to optimality in time).
    fn relaxation(&self, count: bool, at_least: Option<f64>, limit: Duration) -> Option<f64> {
        self.solve_relaxation(count, at_least, Some(limit)).map(|(_, upper, _)| upper)
    }

    /// The LP relaxation of the whole part solved to optimality within
    /// `limit`: the solution, its optimum and the variables (`None` when it
    /// is not solved to optimality in time).
    fn solve_relaxation(
        &self,
        count: bool,
        at_least: Option<f64>,
        limit: Option<Duration>,
    ) -> Option<(lp::BackendSolution, f64, Vars)> {
        let none = HashSet::new();
        let (vars, v) = self.vars(false, &none);
        let obj = if count { self.count_expr(&v) } else { self.objective_expr(&v, &none) };
        let mut model = self.constrain(vars.maximise(obj.clone()).using(backend), &v, &none);
        if let Some(k) = at_least {
            model = model.with(constraint!(self.count_expr(&v) >= k));
        }
        if let Some(limit) = limit {
            model = model.with_time_limit(limit.as_secs_f64());
        }
        let sol = model.solve().ok()?;
        let upper = sol.eval(&obj);
        matches!(sol.status(), SolutionStatus::Optimal).then_some((sol, upper, v))
    }

    /// Solves for `goal` within `limit` (none: until proven optimal). With
    /// [`Goal::PlacedThenMax`] the second phase starts from the first
    /// phase's placement and gets what is left of the limit.
    pub fn solve(&self, goal: Goal, limit: Option<Duration>) -> Result<MipSolution, MipError> {
        let t0 = Instant::now();
        if self.learners.iter().all(|&l| self.m.arcs(l).is_empty()) && self.sides.is_empty() {
            // No variables: nothing to place (HiGHS refuses empty models).
            // Infeasible when a floor or a hard minimum in the part needs a
            // placement.
            let c = self.m.constraints;
            let floors = if self.whole {
                c.school_bounds.iter().any(|b| b.min > 0) || c.site_minimums.iter().any(|x| !x.allow_empty)
            } else {
                self.learners.iter().any(|&l| self.m.school_bound_of(l).is_some_and(|b| c.school_bounds[b].min > 0))
            };
            if floors {
                return Err(MipError::Infeasible);
            }
            return Ok(MipSolution {
                placed: Vec::new(),
                objective: 0.0,
                bound: 0.0,
                placed_bound: (goal != Goal::Max).then_some(0.0),
                proven: true,
                fixed: 0,
            });
        }
        match goal {
            Goal::Max => {
                let (placed, objective, proven, bound, fixed) =
                    self.phase(false, None, limit, self.start.as_deref())?;
                Ok(MipSolution { placed, objective, bound, placed_bound: None, proven, fixed })
            }
            Goal::Placed => {
                let (placed, k, proven, k_bound, fixed) = self.phase(true, None, limit, self.start.as_deref())?;
                Ok(MipSolution {
                    placed,
                    objective: k,
                    bound: k_bound,
                    placed_bound: Some(k_bound.max(k)),
                    proven,
                    fixed,
                })
            }
            Goal::PlacedThenMax => {
                let (first, k, proven1, k_bound, _) = self.phase(true, None, limit, self.start.as_deref())?;
                let left = limit.map(|l| l.saturating_sub(t0.elapsed()).max(Duration::from_millis(1)));
                let (placed, objective, proven2, bound, fixed) = self.phase(false, Some(k), left, Some(&first))?;
                Ok(MipSolution {
                    placed,
                    objective,
                    bound,
                    placed_bound: Some(k_bound.max(k)),
                    proven: proven1 && proven2,
                    fixed,
                })
            }
        }
    }
}
