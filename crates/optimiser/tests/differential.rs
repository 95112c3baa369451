//! Differential tests: the exact network path against the good_lp LP and
//! against brute force, on random tiny seasons with every kind of constraint.

mod common;

use dualmatch_core::scoring::Candidates;
use dualmatch_core::season::Season;
use dualmatch_core::LearnerId;
use dualmatch_optimiser::model::weight;
use dualmatch_optimiser::network::Pricing;
use dualmatch_optimiser::{lp, network, Assignment, Constraints, Objective, PlacementModel};
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct Inst {
    programmes: usize,
    schools: usize,
    /// (school, programme, screening passed, priority)
    learners: Vec<(usize, usize, bool, bool)>,
    /// capacity
    workplaces: Vec<Option<u32>>,
    /// (workplace, programme, seats)
    recognitions: Vec<(usize, usize, u32)>,
    /// (learner, recognition index, integer score)
    candidates: Vec<(usize, usize, u32)>,
    bounds: Vec<(usize, usize, u32, u32)>,
    reserve: Option<(usize, u32)>,
    pins: Vec<usize>,
    forbid: Vec<usize>,
    min_score: Option<u32>,
}

fn inst() -> impl Strategy<Value = Inst> {
    (1usize..=2, 1usize..=2, 1usize..=7, 1usize..=4)
        .prop_flat_map(|(np, ns, nl, nw)| {
            let learners =
                prop::collection::vec((0..ns, 0..np, prop::bool::weighted(0.9), prop::bool::weighted(0.3)), nl);
            let workplaces =
                prop::collection::vec(prop::option::weighted(0.4, prop_oneof![1 => Just(0u32), 4 => 1u32..=3]), nw);
            let recs = prop::collection::btree_set((0..nw, 0..np), 1..=(nw * np)).prop_flat_map(|set| {
                let v: Vec<_> = set.into_iter().collect();
                let n = v.len();
                (Just(v), prop::collection::vec(prop_oneof![1 => Just(0u32), 4 => 1u32..=3], n))
            });
            (Just(np), Just(ns), learners, workplaces, recs).prop_flat_map(
                |(np, ns, learners, workplaces, (recs, seats))| {
                    let recognitions: Vec<(usize, usize, u32)> =
                        recs.iter().zip(&seats).map(|(&(w, p), &s)| (w, p, s)).collect();
                    // Candidates: pairs whose recognition is in the learner's programme.
                    let mut possible = Vec::new();
                    for (li, l) in learners.iter().enumerate() {
                        for (ri, r) in recognitions.iter().enumerate() {
                            if r.1 == l.1 {
                                possible.push((li, ri));
                            }
                        }
                    }
                    let np_ = possible.len();
                    let cand = prop::collection::vec((prop::bool::weighted(0.7), 0u32..=100), np_).prop_map(move |v| {
                        possible
                            .iter()
                            .zip(v)
                            .filter(|(_, (keep, _))| *keep)
                            .map(|(&(l, r), (_, s))| (l, r, s))
                            .collect::<Vec<_>>()
                    });
                    let nl = learners.len();
                    let bounds = prop::collection::vec(
                        (0..ns, 0..np, prop_oneof![3 => Just(0u32), 1 => 1u32..=2], 0u32..=4),
                        0..=2,
                    );
                    let nrec = recognitions.len();
                    (
                        Just(np),
                        Just(ns),
                        Just(learners),
                        Just(workplaces),
                        Just(recognitions),
                        cand,
                        bounds,
                        prop::option::weighted(0.3, (0..nrec, 0u32..=2)),
                        prop::collection::vec(0..nl, 0..=2),
                        prop::collection::vec(0..64usize, 0..=2),
                        prop::option::weighted(0.3, 0u32..=60),
                    )
                },
            )
        })
        .prop_map(
            |(
                programmes,
                schools,
                learners,
                workplaces,
                recognitions,
                candidates,
                bounds,
                reserve,
                pins,
                forbid,
                min_score,
            )| Inst {
                programmes,
                schools,
                learners,
                workplaces,
                recognitions,
                candidates,
                bounds,
                reserve,
                pins,
                forbid,
                min_score,
            },
        )
}

fn tiny_of(i: &Inst) -> common::TinySeason {
    common::TinySeason {
        programmes: i.programmes,
        schools: i.schools,
        learners: i
            .learners
            .iter()
            .map(|&(school, programme, passed, priority)| common::TinyLearner {
                school,
                programme,
                passed,
                priority,
                readiness: 3,
                prefs: vec![],
            })
            .collect(),
        workplaces: i.workplaces.iter().map(|&cap| (cap, vec![])).collect(),
        recognitions: i.recognitions.clone(),
        candidates: i.candidates.clone(),
        lon_step: 0.0,
        max_commute_km: 20.0,
    }
}

fn season_of(i: &Inst) -> Season {
    tiny_of(i).build()
}

fn constraints_of(i: &Inst, s: &Season) -> Constraints {
    common::TinyConstraints {
        bounds: &i.bounds,
        reserve: i.reserve,
        pins: &i.pins,
        forbid: &i.forbid,
        min_score: i.min_score,
    }
    .build(&tiny_of(i), s)
}

/// Brute force: every way to give each learner one of its arcs or nothing.
fn brute_force(m: &PlacementModel, objective: Objective) -> Option<(usize, i128)> {
    brute_force_where(m, objective, &|_| true)
}

/// Brute force over the assignments `keep` accepts.
fn brute_force_where(
    m: &PlacementModel,
    objective: Objective,
    keep: &dyn Fn(&Assignment) -> bool,
) -> Option<(usize, i128)> {
    let n = m.learner_count();
    let mut choice = vec![0usize; n];
    let mut best: Option<(usize, i128)> = None;
    loop {
        let placement = (0..n)
            .map(|li| {
                let arcs = m.arcs_of(LearnerId::from_index(li));
                (choice[li] > 0).then(|| m.arc_candidate(arcs.start + choice[li] - 1) as u32)
            })
            .collect();
        let a = Assignment { placement };
        if a.check(m).is_ok() && keep(&a) {
            let key = (a.placed(), a.total_weight(m.candidates));
            let better = match (best, objective) {
                (None, _) => true,
                (Some(b), Objective::MaxFit) => key.1 > b.1,
                (Some(b), Objective::MaxPlaced) => key > b,
            };
            if better {
                best = Some(key);
            }
        }
        // Next combination.
        let mut i = 0;
        loop {
            if i == n {
                return best;
            }
            choice[i] += 1;
            if choice[i] <= m.arcs_of(LearnerId::from_index(i)).len() {
                break;
            }
            choice[i] = 0;
            i += 1;
        }
    }
}

fn check_instance(i: &Inst) -> Result<(), TestCaseError> {
    let season = season_of(i);
    let cands = Candidates::from_season_candidates(&season).unwrap();
    let cons = constraints_of(i, &season);
    // Pins are drawn on usable pairs only, so every case is checked.
    let m = PlacementModel::new(&season, &cands, &cons).map_err(|e| TestCaseError::fail(format!("model: {e}")))?;
    for objective in [Objective::MaxFit, Objective::MaxPlaced] {
        let brute = brute_force(&m, objective);
        let net = network::solve(&m, objective);
        // Pricing from one arc per learner: every arc added back is found by its reduced cost.
        let priced = network::solve_with(&m, objective, Pricing { min_arcs: 0, first_arcs: 1 });
        match (&net, &priced) {
            (Ok(a), Ok(b)) => {
                prop_assert!(b.assignment.check(&m).is_ok(), "priced result infeasible");
                prop_assert_eq!(a.assignment.total_weight(&cands), b.assignment.total_weight(&cands));
                if objective == Objective::MaxPlaced {
                    // Under max-fit, placing a learner on a score-0 pair is a tie: the count may differ.
                    prop_assert_eq!(a.assignment.placed(), b.assignment.placed());
                }
                prop_assert_eq!(a.proof.bound, b.proof.bound, "priced dual bound differs");
                prop_assert_eq!(a.proof.max_placeable, b.proof.max_placeable);
            }
            (Err(a), Err(b)) => prop_assert_eq!(a.conflicts.len(), b.conflicts.len()),
            _ => prop_assert!(false, "priced solve disagrees on feasibility"),
        }
        let lp = lp::solve(&m, objective);
        match (brute, &net) {
            (None, Err(inf)) => {
                prop_assert!(!inf.conflicts.is_empty());
                prop_assert!(matches!(lp, Err(lp::LpError::Infeasible)), "LP disagrees on infeasibility: {lp:?}");
            }
            (Some((placed, w)), Ok(sol)) => {
                prop_assert!(
                    sol.assignment.check(&m).is_ok(),
                    "network result infeasible: {:?}",
                    sol.assignment.check(&m)
                );
                let got_w = sol.assignment.total_weight(&cands);
                prop_assert_eq!(got_w, w, "network weight differs from brute force ({:?})", objective);
                if objective == Objective::MaxPlaced {
                    prop_assert_eq!(sol.assignment.placed(), placed);
                    prop_assert_eq!(sol.proof.max_placeable, Some(placed));
                }
                // The dual bound proves optimality.
                prop_assert!(
                    (sol.proof.bound - got_w as f64 / 1e6).abs() < 1e-6,
                    "bound {} vs {}",
                    sol.proof.bound,
                    got_w
                );
                let lp = lp.map_err(|e| TestCaseError::fail(format!("LP failed: {e}")))?;
                prop_assert!(lp.integral, "LP vertex not integral on a network model");
                prop_assert!(
                    (lp.objective - got_w as f64 / 1e6).abs() < 1e-6,
                    "LP {} vs network {}",
                    lp.objective,
                    got_w
                );
                prop_assert!(lp.assignment.check(&m).is_ok());
                if objective == Objective::MaxPlaced {
                    prop_assert_eq!(lp.assignment.placed(), placed);
                }
            }
            (b, n) => {
                prop_assert!(false, "brute force {b:?} but network {:?}", n.as_ref().map(|s| s.assignment.placed()))
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn network_equals_lp_equals_brute_force(i in inst()) {
        check_instance(&i)?;
    }
}

#[test]
fn weights_round_scores_to_micro_units() {
    assert_eq!(weight(12.3456789), 12_345_679);
    assert_eq!(weight(0.0), 0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Adding a seat anywhere never lowers the max-fit optimum (and never
    /// makes a feasible season infeasible).
    #[test]
    fn adding_a_seat_never_lowers_the_max_fit_optimum(i in inst(), pick in 0usize..64) {
        let season = season_of(&i);
        let cands = Candidates::from_season_candidates(&season).unwrap();
        let cons = constraints_of(&i, &season);
        let m = PlacementModel::new(&season, &cands, &cons).expect("pins on usable pairs");
        let Ok(before) = network::solve(&m, Objective::MaxFit) else { return Ok(()) }; // nothing to compare
        let g = pick % season.groups().len();
        let mut seats: Vec<u32> = season.groups().iter().map(|g| g.seats).collect();
        seats[g] += 1;
        let more = season.with_seats(&seats);
        let cands2 = Candidates::from_season_candidates(&more).unwrap();
        let m2 = PlacementModel::new(&more, &cands2, &cons);
        prop_assert!(m2.is_ok(), "a pin became unusable after adding a seat");
        let m2 = m2.unwrap();
        let after = network::solve(&m2, Objective::MaxFit);
        prop_assert!(after.is_ok(), "adding a seat made the season infeasible");
        let (w0, w1) = (before.assignment.total_weight(&cands), after.unwrap().assignment.total_weight(&cands2));
        prop_assert!(w1 >= w0, "optimum fell from {w0} to {w1} after adding a seat at group {g}");
    }
}

/// The instance's constraints (school bounds, reserve, forbidden pairs, min
/// score) with, instead of its pins, every learner it can pinned, in order, to
/// its lowest-scoring usable arc while the pinned model stays feasible: a poor
/// start that moves can improve. Floors out of reach are dropped; `None`
/// when the constraints cannot be met even then (nothing to move).
fn poor_pins(i: &Inst, s: &Season, cands: &Candidates) -> Option<Constraints> {
    let mut c = constraints_of(i, s);
    c.pins.clear();
    let feasible =
        |c: &Constraints| PlacementModel::new(s, cands, c).is_ok_and(|m| network::solve(&m, Objective::MaxFit).is_ok());
    if !feasible(&c) {
        // Floors out of reach: keep the caps, drop the floors.
        c.school_bounds.iter_mut().for_each(|b| b.min = 0);
    }
    if !feasible(&c) {
        return None;
    }
    let unpinned = c.clone();
    let base = PlacementModel::new(s, cands, &unpinned).expect("no pins");
    let arcs: Vec<Vec<usize>> =
        (0..s.learners().len()).map(|li| base.arcs_of(LearnerId::from_index(li)).collect()).collect();
    for (li, arcs) in arcs.iter().enumerate() {
        let l = LearnerId::from_index(li);
        let mut by_score = arcs.clone();
        by_score.sort_by(|&a, &b| base.arc_score(a).total_cmp(&base.arc_score(b)));
        for a in by_score {
            c.pins.push((l, s.group(base.arc_group(a)).workplace));
            if feasible(&c) {
                break;
            }
            c.pins.pop();
        }
    }
    Some(c)
}

#[test]
fn generated_cases_are_checked_not_skipped() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (n, mut feasible, mut moves_checked, mut pinned) = (1000, 0, 0, 0);
    for _ in 0..n {
        let i = inst().new_tree(&mut runner).unwrap().current();
        let season = season_of(&i);
        let cands = Candidates::from_season_candidates(&season).unwrap();
        let cons = constraints_of(&i, &season);
        pinned += usize::from(!cons.pins.is_empty());
        let m = PlacementModel::new(&season, &cands, &cons).expect("pins are drawn on usable pairs");
        feasible += usize::from(network::solve(&m, Objective::MaxFit).is_ok());
        moves_checked += usize::from(poor_pins(&i, &season, &cands).is_some());
    }
    eprintln!("{n} cases: {pinned} with pins, {feasible} feasible, {moves_checked} checked for moves");
    // Every case is compared (infeasible ones too); the move property skips
    // only cases whose constraints cannot be met at all.
    assert!(pinned * 4 >= n, "only {pinned} of {n} cases have pins");
    assert!(moves_checked * 100 >= n * 95, "the move property checks only {moves_checked} of {n} cases");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    /// `--allow-moves`, under school bounds, a reserve, forbidden pairs and
    /// a min score: the result keeps every kept learner placed, makes at most
    /// `limit` moves, and its bound brackets the brute-force optimum (equal to
    /// it when the gap is 0).
    #[test]
    fn limited_moves_are_feasible_and_bounded(i in inst(), limit in 0usize..=3) {
        let season = season_of(&i);
        let cands = Candidates::from_season_candidates(&season).unwrap();
        let Some(cons) = poor_pins(&i, &season, &cands) else { return Ok(()) }; // at most 5%: see below
        let m = PlacementModel::new(&season, &cands, &cons).expect("pins on usable pairs");
        let soft = m.soften_pins();
        let moves_of = |a: &Assignment| {
            cons.pins
                .iter()
                .filter(|(l, _)| {
                    let p = a.placement[l.index()].map(|k| season.group(cands.group[k as usize]).workplace);
                    p != m.pinned(*l).map(|pa| season.group(m.arc_group(pa)).workplace)
                })
                .count()
        };
        let r = dualmatch_optimiser::moves::solve(&m, limit).expect("the pinned model is feasible");
        let a = &r.solved.assignment;
        prop_assert!(a.check(&soft).is_ok(), "{:?}", a.check(&soft));
        prop_assert!(r.moves <= limit);
        prop_assert_eq!(moves_of(a), r.moves);
        prop_assert_eq!(a.total_weight(&cands), r.total_weight);
        let (_, best) = brute_force_where(&soft, Objective::MaxFit, &|a| moves_of(a) <= limit).unwrap();
        prop_assert!(r.total_weight <= best && best <= r.bound_weight, "{} <= {best} <= {}", r.total_weight, r.bound_weight);
        if r.gap() == 0.0 {
            prop_assert_eq!(r.total_weight, best);
        }
        if limit == 0 {
            prop_assert_eq!(r.total_weight, network::solve(&m, Objective::MaxFit).unwrap().assignment.total_weight(&cands));
        }
    }
}
