//! The rank-profile policies, exact: `rank-maximal`, `max-size-min-cost`,
//! `greedy-max` and `generous-max`, by successive exact phases of min-cost
//! flow on the network of [`crate::network`] (so every coordinator
//! constraint holds: pins, forbidden pairs, minimum score, seats, reserves,
//! capacities, school floors and caps).
//!
//! **Ranks.** A learner's rank of an arc is the position (from 1) of its tie
//! group among the learner's acceptable arcs (the weak rank of the stable
//! reading, [`crate::policies::prefs`]). An arc that is not acceptable (off
//! a list) has no rank: the first goal of every objective is the fewest
//! placements off the lists, so they appear only where a pin or a school
//! floor cannot be met otherwise (the policies are feasible exactly when
//! `max-fit` is), and they count as placed, at no rank.
//!
//! **Objectives**, each a list of linear goals optimised lexicographically
//! (a count over the placed arcs, or the sum of ranks), after the fewest
//! placements off the lists:
//!
//! - `rank-maximal`: most at rank 1, then most at rank 2, …;
//! - `max-size-min-cost`: most placed, then the smallest sum of ranks;
//! - `greedy-max`: most placed, then most at rank 1, at rank 2, …;
//! - `generous-max`: most placed, then fewest at the worst rank `R`, then
//!   at `R − 1`, …, down to rank 2 (rank 1 then follows from the size).
//!
//! **Phases and proof.** A phase minimises one cost vector on the candidate
//! arcs over the current network and gets an optimal flow `x` and optimal
//! node potentials `π` (network simplex). By complementary slackness, a
//! feasible flow is optimal for the phase if and only if it carries the
//! lower bound on every arc of positive reduced cost and the upper bound on
//! every arc of negative reduced cost (any optimal flow satisfies complementary
//! slackness with any optimal dual). So fixing those arcs at that bound
//! leaves exactly the optimal flows of the phase as the feasible flows of the
//! restricted network, and the next phase optimises its goal over them: the
//! result is lexicographically optimal. Each phase's proof is its dual
//! bound, equal to its optimum (the gap is summed in [`PhaseProof::gap`],
//! 0). Consecutive count goals share one phase with lexicographic weights
//! `B^(k−1−j)`, `B = 2n + 1` for a component of `n` learners (each count is
//! in `[−n, n]`, so the weighted sum orders as the tuple), as long as the
//! weights fit the simplex's 64-bit costs with the same margin as
//! max-placed's big-M (`nodes × max cost < i64::MAX / 32`); beyond that a
//! new phase starts. A goal that is zero on every arc not yet fixed (a rank
//! nobody there can get, or whose arcs earlier phases fixed) is constant over
//! the flows left and is skipped, which skips most deep ranks. Components are independent and every
//! goal is a sum over them, so the optimum of the season is the optimum of
//! each component.

use std::time::Instant;

use dualmatch_core::LearnerId;

use crate::flow::{ArcId, Network, NodeId};
use crate::infeasible::Infeasible;
use crate::model::{Assignment, ModelArc, PlacementModel};
use crate::network::{self, Component, Proof, Solved};
use crate::policies::prefs::{Prefs, Ties};

/// A rank-profile objective.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RankObjective {
    /// Most at rank 1, then at rank 2, and so on.
    RankMaximal,
    /// Most placed, then the smallest sum of ranks.
    MaxSizeMinCost,
    /// Most placed, then the greedy profile (most at rank 1, 2, …).
    GreedyMax,
    /// Most placed, then the fewest at the worst rank, the next worst, … .
    GenerousMax,
}

impl RankObjective {
    /// The policy name.
    pub fn name(self) -> &'static str {
        match self {
            RankObjective::RankMaximal => "rank-maximal",
            RankObjective::MaxSizeMinCost => "max-size-min-cost",
            RankObjective::GreedyMax => "greedy-max",
            RankObjective::GenerousMax => "generous-max",
        }
    }

    /// The goals in lexicographic order, for ranks `1..=worst`: first the
    /// fewest placements off the lists (0 unless floors or pins need them).
    fn goals(self, worst: u32) -> Vec<Goal> {
        let up = (1..=worst).map(|r| Goal::Count(r, -1));
        let goals: Vec<Goal> = match self {
            RankObjective::RankMaximal => up.collect(),
            RankObjective::MaxSizeMinCost => vec![Goal::Placed, Goal::RankSum],
            RankObjective::GreedyMax => std::iter::once(Goal::Placed).chain(up).collect(),
            RankObjective::GenerousMax => {
                std::iter::once(Goal::Placed).chain((2..=worst).rev().map(|r| Goal::Count(r, 1))).collect()
            }
        };
        std::iter::once(Goal::OffList).chain(goals).collect()
    }
}

/// One linear goal, as a cost to minimise per placed arc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Goal {
    /// +1 per placement on a pair that is not acceptable (fewest off-list).
    OffList,
    /// −1 per placement (most placed).
    Placed,
    /// `sign` per placement at rank `r` (−1: most at `r`, +1: fewest).
    Count(u32, i64),
    /// The rank per placement (smallest sum).
    RankSum,
}

impl Goal {
    /// The cost of a placement at `rank` (0: a pair off the lists, at no rank).
    fn cost(self, rank: u32) -> i64 {
        match self {
            Goal::OffList => i64::from(rank == 0),
            Goal::Placed => -1,
            Goal::Count(r, sign) => {
                if rank == r {
                    sign
                } else {
                    0
                }
            }
            Goal::RankSum => i64::from(rank),
        }
    }
}

/// The proof of a rank-profile optimum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhaseProof {
    /// The goals, in lexicographic order (`placed`, `rank 1 max`,
    /// `rank 4 min`, `rank sum`, …), up to the worst rank of the season.
    pub goals: Vec<String>,
    /// Phases solved, summed over components.
    pub phases: usize,
    /// Σ over phases of (optimum − dual bound), in phase cost units: 0 proves
    /// every phase optimal.
    pub gap: i128,
}

/// The 1-based rank of each model arc for the rank-profile policies (0: not
/// acceptable): the weak rank of the stable reading, plus 1.
pub fn arc_ranks(m: &PlacementModel) -> Vec<u32> {
    let p = Prefs::new(m, Ties::ById);
    (0..m.arc_count()).map(|a| if p.acceptable(a) { p.learner_weak(a) + 1 } else { 0 }).collect()
}

/// Solves `objective` exactly (see the module documentation).
pub fn solve(m: &PlacementModel, objective: RankObjective) -> Result<Solved, Infeasible> {
    let start = Instant::now();
    let ranks = arc_ranks(m);
    let worst = ranks.iter().copied().max().unwrap_or(0);
    let goals = objective.goals(worst);
    let comps = network::components(m);
    let results = network::largest_first(&comps, |c| c.arc_count(m), |c| solve_component(m, c, &ranks, &goals));
    let mut conflicts = Vec::new();
    let mut placement = vec![None; m.learner_count()];
    let (mut phases, mut gap) = (0usize, 0i128);
    for r in results {
        match r {
            Ok((placed, k, g)) => {
                for (l, a) in placed {
                    placement[l.index()] = Some(m.candidate_of(a));
                }
                phases += k;
                gap += g;
            }
            Err(c) => conflicts.push(c),
        }
    }
    if !conflicts.is_empty() {
        return Err(Infeasible { conflicts });
    }
    let assignment = Assignment::from_candidates(placement);
    let goal_names = goals
        .iter()
        .map(|g| match g {
            Goal::OffList => "off list min".to_string(),
            Goal::Placed => "placed".to_string(),
            Goal::Count(r, s) => format!("rank {r} {}", if *s < 0 { "max" } else { "min" }),
            Goal::RankSum => "rank sum min".to_string(),
        })
        .collect();
    let proof = Proof {
        method: "network-simplex-phases",
        components: comps.len(),
        largest_component: comps.iter().map(|c| c.learners.len()).max().unwrap_or(0),
        bound: f64::NAN,
        max_placeable: None,
        seconds: start.elapsed().as_secs_f64(),
        phases: Some(PhaseProof { goals: goal_names, phases, gap }),
        certificate: None,
    };
    Ok(Solved { assignment, proof, duals: None })
}

/// Placements, phases solved and the summed gap of one component.
type CompResult = Result<(Vec<(LearnerId, ModelArc)>, usize, i128), crate::infeasible::Conflict>;

fn solve_component(m: &PlacementModel, c: &Component, ranks: &[u32], goals: &[Goal]) -> CompResult {
    let mut b = network::build(m, c, 0, true, None);
    let n = c.learners.len() as i128;
    let base = 2 * n + 1;
    let nodes = b.net.node_count() as i128;
    let limit = i128::from(i64::MAX / 32);
    // A goal is constant over the flows left when every candidate arc on
    // which it is not zero is fixed (lower = upper): it is skipped. Fixing
    // after each phase leaves few free arcs, so most deep ranks are skipped.
    let live = |b: &network::Built, g: Goal| {
        b.candidate_arcs
            .iter()
            .any(|(id, _, a)| g.cost(ranks[a.index()]) != 0 && b.net.arc_lower(id) < b.net.arc_upper(id))
    };
    let mut solved = false;
    let mut flow = vec![0i64; b.net.arc_count()];
    let (mut gap, mut phases) = (0i128, 0usize);
    let mut next = 0usize;
    loop {
        // The next bundle: live goals, while their weights fit.
        let mut bundle: Vec<Goal> = Vec::new();
        while next < goals.len() {
            let g = goals[next];
            if !live(&b, g) {
                next += 1;
                continue;
            }
            let counts = bundle.iter().chain([&g]).all(|x| *x != Goal::RankSum);
            let weight = base.checked_pow(bundle.len() as u32 + 1).unwrap_or(i128::MAX);
            let fits = counts && weight.saturating_mul(nodes) < limit;
            if !bundle.is_empty() && !fits {
                break;
            }
            bundle.push(g);
            next += 1;
        }
        if bundle.is_empty() {
            if solved {
                break;
            }
            bundle.push(Goal::Placed); // one solve still checks feasibility (pins, floors)
        }
        let k = bundle.len() as u32;
        for (id, _, a) in &b.candidate_arcs {
            let r = ranks[a.index()];
            let cost: i128 =
                bundle.iter().enumerate().map(|(j, g)| base.pow(k - 1 - j as u32) * i128::from(g.cost(r))).sum();
            b.net.set_cost(id, cost as i64);
        }
        // Solve only the arcs not yet fixed; the fixed ones are folded into
        // the supplies (the same node ids, so a cut explains on `b`).
        let (free, to_old) = free_part(&b.net);
        let sol = match free.solve() {
            Ok(sol) => sol,
            Err(crate::flow::FlowError::Infeasible { cut, .. }) => return Err(network::explain_cut(&b, &cut)),
            Err(crate::flow::FlowError::InvalidInput(msg)) => panic!("internal error: invalid network: {msg}"),
        };
        phases += 1;
        // dual_bound is −(dual objective); the optimum cost equals the dual objective.
        gap += sol.cost + network::dual_bound(&free, &sol);
        flow.iter_mut().zip(0..).for_each(|(f, i)| *f = b.net.arc_lower(ArcId(i)));
        for (k, &old) in to_old.iter().enumerate() {
            let id = ArcId(k as u32);
            flow[old.0 as usize] = sol.flow(id);
            let rc = sol.reduced_cost(&free, id);
            let (lo, hi) = (b.net.arc_lower(old), b.net.arc_upper(old));
            if rc > 0 {
                b.net.set_bounds(old, lo, lo);
            } else if rc < 0 {
                b.net.set_bounds(old, hi, hi);
            }
        }
        solved = true;
    }
    let placed = b.candidate_arcs.iter().filter(|(id, _, _)| flow[id.0 as usize] > 0).map(|(_, l, a)| (l, a)).collect();
    Ok((placed, phases, gap))
}

/// The arcs of `net` not fixed (lower < upper) as a network of their own on
/// the same nodes, each fixed arc's flow folded into its ends' supplies; with
/// the arc of `net` behind each new arc.
fn free_part(net: &Network) -> (Network, Vec<ArcId>) {
    let mut supply: Vec<i64> = (0..net.node_count()).map(|v| net.supply(NodeId(v as u32))).collect();
    let mut to_old = Vec::new();
    for i in 0..net.arc_count() {
        let id = ArcId(i as u32);
        let (lo, hi) = (net.arc_lower(id), net.arc_upper(id));
        if lo == hi {
            supply[net.arc_from(id).0 as usize] -= lo;
            supply[net.arc_to(id).0 as usize] += lo;
        } else {
            to_old.push(id);
        }
    }
    let mut out = Network::with_capacity(supply.len(), to_old.len());
    for s in supply {
        out.add_node(s);
    }
    for &id in &to_old {
        out.add_arc(net.arc_from(id), net.arc_to(id), net.arc_lower(id), net.arc_upper(id), net.arc_cost(id));
    }
    (out, to_old)
}
