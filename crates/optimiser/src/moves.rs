//! Re-matching with a limited number of moves: at most `limit` learners whose
//! placement is kept (pinned) may move to another site when that raises the
//! total score; they are never left unplaced.
//!
//! "At most `limit` moves" is one side constraint on top of the network, so
//! the problem is no longer a pure min-cost flow. It is solved by Lagrangian
//! relaxation over the exact network path: a bonus `λ` on every kept arc
//! prices a move, and the number of moves falls as `λ` rises. A search over
//! integer `λ` finds the smallest bonus whose optimum makes at most `limit`
//! moves. That assignment is feasible, and every `λ ≥ 0` tried gives an upper
//! bound on the constrained optimum:
//!
//! `bound(λ) = max_x [w(x) + λ·stays(x)] − λ·(kept − limit)`,
//!
//! where `stays(x)` counts kept learners at their kept site. The result is
//! proven optimal when the best bound equals its total (always when it makes
//! exactly `limit` moves, or when `limit` moves are not needed); otherwise
//! the gap is reported. The gap comes from the integrality of the moves
//! (the relaxation cannot make "half a move"), and is small in practice.

use crate::infeasible::Infeasible;
use crate::model::{ModelArc, Objective, PlacementModel};
use crate::network::{self, Solved};
use dualmatch_core::LearnerId;

/// A re-match with a move limit and its proof.
#[derive(Clone, Debug)]
pub struct MovesSolved {
    /// The assignment (with the proof of the network solve that found it;
    /// its bound includes the bonus and is not the bound of this problem).
    pub solved: Solved,
    /// Kept learners placed elsewhere.
    pub moves: usize,
    /// Kept learners.
    pub kept: usize,
    /// The bonus per kept placement that produced the assignment, in score units.
    pub bonus: f64,
    /// Upper bound on the total score of any assignment with at most
    /// `limit` moves, in integer weight units (see [`crate::model::weight`]).
    pub bound_weight: i128,
    /// Total score of the assignment, in integer weight units.
    pub total_weight: i128,
    /// Network solves made.
    pub solves: usize,
}

impl MovesSolved {
    /// `bound − total`, in score units: 0 when proven optimal.
    pub fn gap(&self) -> f64 {
        (self.bound_weight - self.total_weight) as f64 / crate::model::WEIGHT_SCALE
    }
}

/// One Lagrangian solve: the assignment, its moves and `w(x) + λ·stays(x)`.
struct Eval {
    solved: Solved,
    moves: usize,
    weight: i128,
    lagrangian: i128,
}

/// Re-solves `m` (max-fit) letting at most `limit` of its pinned learners
/// move. With `limit = 0` this is the pinned optimum. Fails only when the
/// pinned model itself is infeasible.
pub fn solve(m: &PlacementModel, limit: usize) -> Result<MovesSolved, Infeasible> {
    let mut soft = m.soften_pins();
    let n = m.learner_count();
    let kept_arcs: Vec<(LearnerId, ModelArc)> =
        (0..n).map(LearnerId::from_index).filter_map(|l| soft.kept_arc(l).map(|a| (l, a))).collect();
    let kept = kept_arcs.len() as i128;
    let mut solves = 0;
    let mut eval = |bonus: i64| -> Result<Eval, Infeasible> {
        solves += 1;
        soft.set_keep_bonus(bonus);
        let solved = network::solve(&soft, Objective::MaxFit)?;
        let weight = solved.assignment.total_weight(m.candidates);
        let stays =
            kept_arcs.iter().filter(|&&(l, a)| solved.assignment.candidate(l) == Some(m.candidate_of(a))).count();
        let moves = kept_arcs.len() - stays;
        Ok(Eval { solved, moves, weight, lagrangian: weight + i128::from(bonus) * stays as i128 })
    };
    let need_stays = kept - limit.min(kept_arcs.len()) as i128;
    let bound_of = |bonus: i64, e: &Eval| e.lagrangian - i128::from(bonus) * need_stays;
    let finish = |best: (i64, Eval), bound: i128, solves: usize| {
        let (bonus, e) = best;
        MovesSolved {
            moves: e.moves,
            kept: kept_arcs.len(),
            bonus: bonus as f64 / crate::model::WEIGHT_SCALE,
            bound_weight: bound.max(e.weight),
            total_weight: e.weight,
            solved: e.solved,
            solves,
        }
    };
    let free = eval(0)?;
    if free.moves <= limit {
        let bound = free.weight;
        return Ok(finish((0, free), bound, solves));
    }
    let mut bound = bound_of(0, &free);
    // The largest bonus the network's 64-bit costs allow; beyond it (never
    // for real scores) the pinned optimum, with no moves, is used.
    let max_w = kept_arcs.iter().map(|&(l, a)| m.weight_of(l, a)).max().unwrap_or(0).max(1);
    let nodes = (n + 2 * m.season.groups().len() + m.season.workplaces().len() + 3) as i64;
    let cap = (i64::MAX / 32 / nodes).saturating_sub(max_w).max(1);
    // Doubling until the bonus keeps enough learners, then bisection.
    let (mut lo, mut hi) = (0i64, max_w.min(cap));
    let mut best = loop {
        let e = eval(hi)?;
        bound = bound.min(bound_of(hi, &e));
        if e.moves <= limit {
            break (hi, e);
        }
        if hi == cap {
            let pinned = network::solve(m, Objective::MaxFit)?;
            let weight = pinned.assignment.total_weight(m.candidates);
            let e = Eval { solved: pinned, moves: 0, weight, lagrangian: weight };
            return Ok(finish((cap, e), bound, solves + 1));
        }
        lo = hi;
        hi = hi.saturating_mul(2).min(cap);
    };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let e = eval(mid)?;
        bound = bound.min(bound_of(mid, &e));
        if e.moves <= limit {
            hi = mid;
            best = (mid, e);
        } else {
            lo = mid;
        }
        if bound == best.1.weight {
            break; // proven optimal
        }
    }
    Ok(finish(best, bound, solves))
}
