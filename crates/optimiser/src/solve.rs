//! One entry for every solve path: a [`Policy`] on a model gives a
//! [`Solved`], with a proof when the policy is exact.
//!
//! The exact policies (`max-fit`, `max-placed`) take the network path when the
//! model is a network, else the LP; an LP that reports infeasibility is
//! explained by the network path, which names the conflicting constraints.
//! The other policies allocate through [`crate::policies`] and carry no
//! proof ([`Solved::is_optimal`] is false).

use std::time::{Duration, Instant};

use crate::infeasible::Infeasible;
use crate::model::PlacementModel;
use crate::network::{self, Proof, Solved};
use crate::policies::{self, Improve, Lottery, Policy, TieBreak};
use crate::{lp, Objective};

/// Which solver the exact policies use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Solver {
    /// The exact network path when the constraints allow it, else the LP.
    #[default]
    Auto,
    /// Min-cost flow by network simplex.
    Network,
    /// The LP through good_lp (slow on large seasons; a reference).
    Lp,
}

/// The method name of a result that comes from a non-exact policy.
pub const POLICY_METHOD: &str = "policy";

/// How to solve: the policy, its lottery seed, Pareto improvement, and the
/// solver of the exact policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SolveOptions {
    /// The allocation policy.
    pub policy: Policy,
    /// The lottery seed of randomised policies.
    pub seed: u64,
    /// What is done after the policy: Pareto improvement or stable
    /// improvement cycles (an improved exact result carries no proof).
    pub improve: Improve,
    /// Single or multiple tie-breaking for the deferred-acceptance policies.
    pub tie_break: TieBreak,
    /// The solver of the exact policies.
    pub solver: Solver,
    /// The time limit of the mixed-integer path ("a group or nobody" at a
    /// site): the best placement found and a bound when hit. `None`: solve
    /// until proven optimal.
    pub time_limit: Option<Duration>,
}

impl SolveOptions {
    /// `policy` with seed 0, no improvement, the automatic solver.
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            seed: 0,
            improve: Improve::None,
            tie_break: TieBreak::Single,
            solver: Solver::Auto,
            time_limit: None,
        }
    }

    /// The exact objective, if the policy is exact and not improved
    /// afterwards (an improved result is no longer the optimum's proof).
    pub fn objective(&self) -> Option<Objective> {
        if self.improve != Improve::None {
            None
        } else {
            self.policy.objective()
        }
    }
}

/// Why a solve gave no result.
#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    /// The constraints cannot all be met: the conflicts, as data.
    #[error("the constraints cannot all be met")]
    Infeasible(Infeasible),
    /// The LP back-end failed (not the model: a solver failure).
    #[error("the LP solver failed ({0}); run again without --solver lp")]
    Lp(String),
}

impl Solved {
    /// Whether this result carries a proof of optimality (an exact policy).
    pub fn is_optimal(&self) -> bool {
        self.proof.method != POLICY_METHOD
    }

    /// The proof of optimality, for the exact policies.
    pub fn proof(&self) -> Option<&Proof> {
        self.is_optimal().then_some(&self.proof)
    }
}

/// Solves `m` as `opts` says.
pub fn solve(m: &PlacementModel, opts: &SolveOptions) -> Result<Solved, SolveError> {
    if let (Some(objective), Improve::None) = (opts.policy.rank_objective(), opts.improve) {
        return crate::rank::solve(m, objective).map_err(SolveError::Infeasible);
    }
    match opts.objective() {
        Some(objective) => exact_within(m, objective, opts.solver, opts.time_limit),
        None => {
            let t = Instant::now();
            let policy = opts.policy.implementation();
            let draw = Lottery { seed: opts.seed, tie_break: opts.tie_break };
            let assignment =
                policies::allocate_with(policy.as_ref(), m, draw, opts.improve).map_err(SolveError::Infeasible)?;
            let proof = Proof {
                method: POLICY_METHOD,
                components: 0,
                largest_component: 0,
                bound: f64::NAN,
                max_placeable: None,
                seconds: t.elapsed().as_secs_f64(),
                phases: None,
                certificate: None,
            };
            Ok(Solved { assignment, proof, duals: None })
        }
    }
}

/// The exact optimum for `objective` on the chosen solver path.
pub fn exact(m: &PlacementModel, objective: Objective, solver: Solver) -> Result<Solved, SolveError> {
    exact_within(m, objective, solver, None)
}

/// The method of a result of `--solver lp` with "a group or nobody": the
/// whole model as one mixed-integer model.
pub const MIP_METHOD: &str = if cfg!(feature = "highs") { "highs-mip" } else { "microlp-mip" };

/// [`exact`] with a time limit for the mixed-integer path. Without
/// `--solver lp`, the components that "a group or nobody" touches go to the
/// mixed-integer path and the rest to the network simplex
/// ([`network::solve_within`]); with it, the whole model is one LP, or one
/// mixed-integer model when the model is not a network.
pub fn exact_within(
    m: &PlacementModel,
    objective: Objective,
    solver: Solver,
    limit: Option<Duration>,
) -> Result<Solved, SolveError> {
    if solver != Solver::Lp {
        return network::solve_within(m, objective, network::Pricing::default(), limit).map_err(SolveError::Infeasible);
    }
    let t = Instant::now();
    // The LP has no mentors: with them, the mixed-integer model.
    if !m.is_network() || !m.season.mentors().is_empty() {
        use crate::mip::{Goal, MipError, MipProblem};
        let goal = if objective == Objective::MaxFit { Goal::Max } else { Goal::PlacedThenMax };
        let mut whole = MipProblem::whole(m);
        if m.constraints.any_short_lines() {
            let all: Vec<_> = (0..m.learner_count()).map(dualmatch_core::LearnerId::from_index).collect();
            whole = crate::short_lines::attach(m, &all, whole);
        }
        return match whole.solve(goal, limit) {
            Ok(sol) => {
                // With new-site penalties, the bound on the penalised
                // objective plus what the placement pays ([`crate::short_lines`]).
                let paid = crate::short_lines::penalty_paid(m, &sol.placed) as f64 / crate::model::WEIGHT_SCALE;
                let mut placement = vec![None; m.learner_count()];
                for &(l, a) in &sol.placed {
                    placement[l.index()] = Some(m.candidate_of(a));
                }
                Ok(Solved {
                    proof: Proof {
                        method: MIP_METHOD,
                        components: 1,
                        largest_component: m.learner_count(),
                        bound: sol.bound + paid,
                        max_placeable: sol.placed_bound.map(|k| (k + 1e-6).floor() as usize),
                        seconds: t.elapsed().as_secs_f64(),
                        phases: None,
                        certificate: None,
                    },
                    assignment: crate::Assignment::from_candidates(placement),
                    duals: None,
                })
            }
            Err(MipError::Infeasible) => network::solve(m, objective).map_err(SolveError::Infeasible),
            Err(e) => Err(SolveError::Lp(e.to_string())),
        };
    }
    match lp::solve(m, objective) {
        Ok(sol) => Ok(Solved {
            proof: Proof {
                method: lp::BACKEND,
                components: 1,
                largest_component: m.learner_count(),
                bound: sol.objective,
                max_placeable: sol.placed_bound.map(|k| k.round() as usize),
                seconds: t.elapsed().as_secs_f64(),
                phases: None,
                certificate: None,
            },
            assignment: sol.assignment,
            duals: None,
        }),
        Err(lp::LpError::Infeasible) => network::solve(m, objective).map_err(SolveError::Infeasible),
        Err(e) => Err(SolveError::Lp(e.to_string())),
    }
}
