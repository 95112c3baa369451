//! Fair share: maximise the lowest placement rate of any (school, programme),
//! then the total score; exact.
//!
//! For each (school, programme) pair `sp`, `n_sp` counts its learners with at
//! least one usable arc (pairs with `n_sp = 0` are left out). The rate of `sp`
//! is `placed_sp / n_sp`. The optimal lowest rate `t*` is one of the fractions
//! `k / n_sp`; a rate `t` is achievable exactly when the floors
//! `placed_sp >= ceil(t * n_sp)` for every pair are feasible together with the
//! model's own constraints. Feasibility is monotone in `t`, so a binary search
//! over the sorted distinct fractions finds `t*` with O(log) exact
//! min-cost-flow solves (floors are school bounds in the network). The result
//! is then the max-fit solution under the floors of `t*`: every assignment
//! whose lowest rate is `t*` meets those floors, so the result maximises the
//! total score among the assignments with the highest lowest rate.

use std::collections::HashMap;

use dualmatch_core::{LearnerId, ProgrammeId, SchoolId};

use crate::constraints::{Constraints, SchoolBound};
use crate::infeasible::Infeasible;
use crate::model::{Assignment, Objective, PlacementModel};
use crate::network;

/// The (school, programme) pairs with their eligible learner counts, in
/// first-appearance (learner) order.
pub(crate) fn eligible_pairs(m: &PlacementModel) -> Vec<((SchoolId, ProgrammeId), u64)> {
    let mut ix: HashMap<(SchoolId, ProgrammeId), usize> = HashMap::new();
    let mut out: Vec<((SchoolId, ProgrammeId), u64)> = Vec::new();
    for (li, l) in m.season.learners().iter().enumerate() {
        if m.arcs(LearnerId::from_index(li)).is_empty() {
            continue;
        }
        let k = *ix.entry((l.school, l.programme)).or_insert_with(|| {
            out.push(((l.school, l.programme), 0));
            out.len() - 1
        });
        out[k].1 += 1;
    }
    out
}

/// Constraints with floors `ceil(num/den * n_sp)` added; `None` when a floor
/// exceeds an existing cap.
fn with_floors(
    base: &Constraints,
    pairs: &[((SchoolId, ProgrammeId), u64)],
    num: u64,
    den: u64,
) -> Option<Constraints> {
    let mut c = base.clone();
    for &((school, programme), n) in pairs {
        let floor = u32::try_from((num * n).div_ceil(den)).ok()?;
        if floor == 0 {
            continue;
        }
        match c.school_bounds.iter_mut().find(|b| b.school == school && b.programme == programme) {
            Some(b) => {
                if floor > b.max {
                    return None;
                }
                b.min = b.min.max(floor);
            }
            None => c.school_bounds.push(SchoolBound { school, programme, min: floor, max: u32::MAX }),
        }
    }
    Some(c)
}

fn solve_with(m: &PlacementModel, c: &Constraints) -> Option<Assignment> {
    let model = PlacementModel::new(m.season, m.candidates, c).ok()?;
    network::solve(&model, Objective::MaxFit).ok().map(|s| s.assignment)
}

/// The fair-share assignment (see the module documentation).
pub(crate) fn fair_share(m: &PlacementModel) -> Result<Assignment, Infeasible> {
    let base = network::solve(m, Objective::MaxFit)?.assignment;
    let pairs = eligible_pairs(m);
    // Distinct fractions k / n in increasing order (as (k, n), reduced).
    let mut fr: Vec<(u64, u64)> = Vec::new();
    for &(_, n) in &pairs {
        for k in 1..=n {
            let g = gcd(k, n);
            fr.push((k / g, n / g));
        }
    }
    fr.sort_by(|a, b| (u128::from(a.0) * u128::from(b.1)).cmp(&(u128::from(b.0) * u128::from(a.1))));
    fr.dedup();
    // Binary search for the last feasible fraction; rate 0 is feasible (base).
    let (mut lo, mut hi) = (0usize, fr.len()); // fr[..lo] feasible, fr[hi..] infeasible
    let mut best: Option<(usize, Assignment)> = None;
    while lo < hi {
        let mid = (lo + hi) / 2;
        let (num, den) = fr[mid];
        match with_floors(m.constraints, &pairs, num, den).and_then(|c| solve_with(m, &c)) {
            Some(a) => {
                lo = mid + 1;
                best = Some((mid, a));
            }
            None => hi = mid,
        }
    }
    if lo == 0 {
        return Ok(base);
    }
    // The last successful probe is fr[lo - 1] unless the search ended on failures above it.
    match best {
        Some((i, a)) if i == lo - 1 => Ok(a),
        _ => {
            let (num, den) = fr[lo - 1];
            let c = with_floors(m.constraints, &pairs, num, den).expect("floors found feasible");
            Ok(solve_with(m, &c).expect("floors found feasible"))
        }
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}
