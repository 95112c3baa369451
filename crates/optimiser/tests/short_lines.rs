//! Short lines (`[[school]] max_sites`, `new_site_penalty`): the exact
//! policies against brute force over every assignment of tiny random
//! seasons, and the named cases of issue 19.

mod common;

use common::{chance, for_each_choice, TinyConstraints, TinyLearner, TinySeason};
use dualmatch_core::season::{from_doc, Season};
use dualmatch_core::{LearnerId, SchoolId};
use dualmatch_optimiser::constraints::ShortLine;
use dualmatch_optimiser::policies::rng::SplitMix64;
use dualmatch_optimiser::solve::{self, Solver};
use dualmatch_optimiser::{Assignment, Conflict, Constraints, Objective, PlacementModel};

/// A tiny season with the partner schools of each site (`partners[w]`:
/// school indices).
fn season_of(t: &TinySeason, partners: &[Vec<usize>]) -> Season {
    let mut doc = t.doc();
    for (w, rec) in doc.workplaces.iter_mut().enumerate() {
        rec.partner_schools = partners.get(w).map_or(vec![], |p| p.iter().map(|s| format!("S{s}")).collect());
    }
    from_doc(doc).expect("valid tiny season").season
}

fn learner(school: usize, programme: usize) -> TinyLearner {
    TinyLearner { school, programme, passed: true, priority: false, readiness: 3, prefs: vec![] }
}

/// The value the exact policies optimise, computed here independently:
/// (placed, Σ score − Σ penalty over each school's non-partner sites used),
/// in whole score points (the tiny scores are integers), and the distinct
/// sites per school. `None` when a `max_sites` is broken.
fn value(s: &Season, c: &Constraints, placed: &[(usize, usize, f64)]) -> Option<(usize, f64)> {
    let mut sites: Vec<Vec<usize>> = vec![vec![]; s.schools().len()];
    let mut total = 0.0;
    for &(l, w, score) in placed {
        let school = s.learners()[l].school.index();
        total += score;
        if !sites[school].contains(&w) {
            sites[school].push(w);
        }
    }
    for (si, used) in sites.iter().enumerate() {
        let Some(rule) = c.short_lines.iter().find(|r| r.school.index() == si) else { continue };
        if used.len() as u64 > u64::from(rule.max_sites) {
            return None;
        }
        let partners = |w: usize| s.workplaces()[w].partner_schools.iter().any(|p| p.index() == si);
        total -= rule.new_site_penalty * used.iter().filter(|&&w| !partners(w)).count() as f64;
    }
    Some((placed.len(), total))
}

/// (learner, site, score) of an assignment.
fn placed_of(m: &PlacementModel, a: &Assignment) -> Vec<(usize, usize, f64)> {
    a.placements()
        .map(|(l, c)| (l.index(), m.season.group(m.candidates.group_of(c)).workplace.index(), m.candidates.score_of(c)))
        .collect()
}

/// The best value of every assignment (brute force): each learner
/// unplaced or on one of its usable arcs; every other constraint checked by
/// [`Assignment::check`] on the model without short lines, the short lines
/// by [`value`].
fn brute(s: &Season, c: &Constraints, objective: Objective) -> Option<(usize, f64)> {
    let candidates = dualmatch_core::scoring::Candidates::from_season_candidates(s).expect("candidates given");
    let plain = Constraints { short_lines: vec![], ..c.clone() };
    let m = PlacementModel::new(s, &candidates, &plain).ok()?;
    let n = m.learner_count();
    let arcs: Vec<Vec<usize>> = (0..n).map(|l| m.arcs_of(LearnerId::from_index(l)).collect()).collect();
    let sizes: Vec<usize> = arcs.iter().map(|a| a.len() + 1).collect();
    let mut best: Option<(usize, f64)> = None;
    for_each_choice(&sizes, |choice| {
        let placement = (0..n).map(|l| (choice[l] > 0).then(|| m.arc_candidate(arcs[l][choice[l] - 1]) as u32));
        let a = Assignment { placement: placement.collect() };
        if a.check(&m).is_err() {
            return;
        }
        let Some(v) = value(s, c, &placed_of(&m, &a)) else { return };
        let better = match (best, objective) {
            (None, _) => true,
            (Some(b), Objective::MaxFit) => v.1 > b.1 + 1e-9,
            (Some(b), Objective::MaxPlaced) => v.0 > b.0 || (v.0 == b.0 && v.1 > b.1 + 1e-9),
        };
        if better {
            best = Some(v);
        }
    });
    best
}

/// A random tiny season: 2 schools, 2 programmes, up to 6 learners, up to 4
/// sites, random candidates, partners and short lines (sometimes a floor or
/// a pin too).
fn random_case(seed: u64) -> (TinySeason, Vec<Vec<usize>>, TinyBounds) {
    let mut r = SplitMix64::new(seed);
    let nl = 2 + r.below(5) as usize;
    let nw = 2 + r.below(3) as usize;
    let learners: Vec<TinyLearner> = (0..nl).map(|_| learner(r.below(2) as usize, r.below(2) as usize)).collect();
    let recognitions = common::random_recognitions(&mut r, nw, 2, 50);
    let mut candidates = Vec::new();
    for (l, tl) in learners.iter().enumerate() {
        for (k, &(_, p, _)) in recognitions.iter().enumerate() {
            if p == tl.programme && chance(&mut r, 70) {
                candidates.push((l, k, 1 + r.below(60) as u32));
            }
        }
    }
    let workplaces = (0..nw).map(|_| (if chance(&mut r, 20) { Some(1) } else { None }, vec![])).collect();
    let partners = (0..nw).map(|_| (0..2).filter(|_| chance(&mut r, 40)).collect()).collect();
    let lines = (0..2)
        .filter_map(|s| {
            let max_sites = [u32::MAX, 1, 2][r.below(3) as usize];
            let penalty = [0.0, 5.0, 40.0][r.below(3) as usize];
            (max_sites != u32::MAX || penalty > 0.0).then_some((s, max_sites, penalty))
        })
        .collect();
    let floor = chance(&mut r, 25).then(|| (r.below(2) as usize, r.below(2) as usize, 1 + r.below(2) as u32));
    let pin = chance(&mut r, 25).then(|| r.below(nl as u64) as usize);
    let t = TinySeason {
        programmes: 2,
        schools: 2,
        learners,
        workplaces,
        recognitions,
        candidates,
        lon_step: 0.0,
        max_commute_km: 50.0,
    };
    (t, partners, TinyBounds { lines, floor, pin })
}

/// Short lines (school, max_sites, penalty), a floor (school, programme,
/// min) and a pinned learner.
struct TinyBounds {
    lines: Vec<(usize, u32, f64)>,
    floor: Option<(usize, usize, u32)>,
    pin: Option<usize>,
}

fn constraints_of(t: &TinySeason, s: &Season, b: &TinyBounds) -> Constraints {
    let bounds: Vec<(usize, usize, u32, u32)> = b.floor.iter().map(|&(sc, p, min)| (sc, p, min, 4)).collect();
    let pins: Vec<usize> = b.pin.into_iter().collect();
    let spec = TinyConstraints { bounds: &bounds, reserve: None, pins: &pins, forbid: &[], min_score: None };
    let mut c = spec.build(t, s);
    c.short_lines = b
        .lines
        .iter()
        .map(|&(sc, max_sites, new_site_penalty)| ShortLine {
            school: SchoolId::from_index(sc),
            max_sites,
            new_site_penalty,
        })
        .collect();
    c
}

#[test]
fn exact_policies_match_brute_force_on_tiny_seasons() {
    let mut checked = [0usize; 3];
    for seed in 0..120u64 {
        let (t, partners, b) = random_case(seed);
        let s = season_of(&t, &partners);
        let c = constraints_of(&t, &s, &b);
        let candidates = dualmatch_core::scoring::Candidates::from_season_candidates(&s).unwrap();
        for objective in [Objective::MaxFit, Objective::MaxPlaced] {
            let want = brute(&s, &c, objective);
            let Ok(m) = PlacementModel::new(&s, &candidates, &c) else {
                assert!(want.is_none(), "seed {seed}: the model was refused, brute force found {want:?}");
                continue;
            };
            for solver in [Solver::Auto, Solver::Lp] {
                match (solve::exact(&m, objective, solver), want) {
                    (Ok(sol), Some(want)) => {
                        sol.assignment.check(&m).unwrap_or_else(|e| panic!("seed {seed} {solver:?}: {e}"));
                        let got = value(&s, &c, &placed_of(&m, &sol.assignment))
                            .unwrap_or_else(|| panic!("seed {seed} {solver:?}: max_sites broken"));
                        // Max-fit may tie on value with another count placed.
                        if objective == Objective::MaxPlaced {
                            assert_eq!(got.0, want.0, "seed {seed} {solver:?}: placed");
                        }
                        assert!(
                            (got.1 - want.1).abs() < 1e-6,
                            "seed {seed} {objective:?} {solver:?}: {got:?} vs {want:?}"
                        );
                        // Proven optimal: bound − score is the gap, 0.
                        let score = sol.assignment.total_score(&candidates);
                        assert!(
                            (sol.proof.bound - score).abs() < 1e-6,
                            "seed {seed} {solver:?}: bound {} score {score}",
                            sol.proof.bound
                        );
                        checked[0] += 1;
                    }
                    (Err(_), None) => checked[1] += 1,
                    (got, want) => panic!(
                        "seed {seed} {objective:?} {solver:?}: got {:?}, brute force {want:?}",
                        got.map(|s| s.assignment)
                    ),
                }
            }
            if !m.constraints.short_lines.is_empty() {
                checked[2] += 1;
            }
        }
    }
    // The draw covers feasible and infeasible cases, with short lines.
    assert!(checked[0] > 100 && checked[1] > 0 && checked[2] > 100, "{checked:?}");
}

/// One school, 4 learners of one programme, 4 sites with `seats` seats each;
/// learner `k` scores 20 at site `k` and 10 + site elsewhere (so without a
/// limit each learner goes to a site of their own).
fn four_learners(seats: u32) -> (TinySeason, Season) {
    let t = TinySeason {
        programmes: 1,
        schools: 1,
        learners: (0..4).map(|_| learner(0, 0)).collect(),
        workplaces: (0..4).map(|_| (None, vec![])).collect(),
        recognitions: (0..4).map(|w| (w, 0, seats)).collect(),
        candidates: (0..4).flat_map(|l| (0..4).map(move |w| (l, w, if w == l { 20 } else { 10 + w as u32 }))).collect(),
        lon_step: 0.0,
        max_commute_km: 50.0,
    };
    let s = t.build();
    (t, s)
}

fn max_sites(k: u32) -> Constraints {
    Constraints {
        short_lines: vec![ShortLine { school: SchoolId::from_index(0), max_sites: k, new_site_penalty: 0.0 }],
        ..Constraints::none()
    }
}

/// The four-learner season with `seats` seats per site under `c`, solved by
/// both exact objectives on both solver paths: per run, its name, the
/// sites of the placed learners (sorted, with repeats) and the proof's
/// most placeable.
fn four_runs(seats: u32, c: &Constraints) -> Vec<(String, Vec<usize>, Option<usize>)> {
    let (_, s) = four_learners(seats);
    let candidates = dualmatch_core::scoring::Candidates::from_season_candidates(&s).unwrap();
    let m = PlacementModel::new(&s, &candidates, c).unwrap();
    let mut out = Vec::new();
    for objective in [Objective::MaxFit, Objective::MaxPlaced] {
        for solver in [Solver::Auto, Solver::Lp] {
            let sol = solve::exact(&m, objective, solver).unwrap();
            let mut w: Vec<usize> = placed_of(&m, &sol.assignment).into_iter().map(|p| p.1).collect();
            w.sort_unstable();
            assert_eq!(sol.proof.max_placeable.is_some(), objective == Objective::MaxPlaced);
            out.push((format!("{objective:?} {solver:?}"), w, sol.proof.max_placeable));
        }
    }
    out
}

fn distinct(w: &[usize]) -> usize {
    w.iter().collect::<std::collections::BTreeSet<_>>().len()
}

#[test]
fn one_seat_sites_and_max_sites_2_place_at_most_2() {
    for (run, w, most) in four_runs(1, &max_sites(2)) {
        assert_eq!((w.len(), distinct(&w)), (2, 2), "{run}: {w:?}");
        assert!(most.is_none_or(|k| k == 2), "{run}: {most:?}");
    }
    // Without the limit, all 4 are placed at 4 sites.
    for (run, w, _) in four_runs(1, &Constraints::none()) {
        assert_eq!((w.len(), distinct(&w)), (4, 4), "{run}: {w:?}");
    }
}

#[test]
fn two_seat_sites_place_all_4_at_2_sites() {
    for (run, w, _) in four_runs(2, &max_sites(2)) {
        // The best two sites: 20 + 20 + (10 + 2) + (10 + 3) at sites 2 and 3.
        assert_eq!(w, vec![2, 2, 3, 3], "{run}");
    }
    // Without the limit, each learner is at a site of their own.
    for (run, w, _) in four_runs(2, &Constraints::none()) {
        assert_eq!(w, vec![0, 1, 2, 3], "{run}");
    }
}

#[test]
fn a_pin_beyond_max_sites_is_a_short_lines_conflict() {
    let (t, s) = four_learners(1);
    let candidates = dualmatch_core::scoring::Candidates::from_season_candidates(&s).unwrap();
    let spec = TinyConstraints { bounds: &[(0, 0, 3, 4)], reserve: None, pins: &[], forbid: &[], min_score: None };
    let mut c = spec.build(&t, &s);
    c.short_lines = max_sites(2).short_lines;
    let m = PlacementModel::new(&s, &candidates, &c).unwrap();
    let err = match solve::exact(&m, Objective::MaxFit, Solver::Auto) {
        Err(solve::SolveError::Infeasible(e)) => e,
        other => {
            panic!("3 learners of one-seat sites at 2 sites must be infeasible: {:?}", other.map(|s| s.assignment))
        }
    };
    assert!(matches!(err.conflicts.as_slice(), [Conflict::ShortLines { .. }]), "{err:?}");
    let text = err.conflicts[0].describe(&s);
    assert!(text.contains("S0 (max_sites = 2)"), "{text}");
}

#[test]
fn a_penalty_prefers_partner_sites_until_the_score_outweighs_it() {
    // 1 learner, two sites: W0 a partner scoring 10, W1 new scoring 14.
    let t = TinySeason {
        programmes: 1,
        schools: 1,
        learners: vec![learner(0, 0)],
        workplaces: vec![(None, vec![]), (None, vec![])],
        recognitions: vec![(0, 0, 1), (1, 0, 1)],
        candidates: vec![(0, 0, 10), (0, 1, 14)],
        lon_step: 0.0,
        max_commute_km: 50.0,
    };
    let s = season_of(&t, &[vec![0], vec![]]);
    let candidates = dualmatch_core::scoring::Candidates::from_season_candidates(&s).unwrap();
    for (penalty, site) in [(0.0, 1), (3.0, 1), (5.0, 0)] {
        let c = Constraints {
            short_lines: vec![ShortLine {
                school: SchoolId::from_index(0),
                max_sites: u32::MAX,
                new_site_penalty: penalty,
            }],
            ..Constraints::none()
        };
        let m = PlacementModel::new(&s, &candidates, &c).unwrap();
        let sol = solve::exact(&m, Objective::MaxFit, Solver::Auto).unwrap();
        assert_eq!(placed_of(&m, &sol.assignment)[0].1, site, "penalty {penalty}");
        // The bound stays on the score scale: bound − score = gap = 0.
        let score = sol.assignment.total_score(&candidates);
        assert!((sol.proof.bound - score).abs() < 1e-9, "penalty {penalty}: {} vs {score}", sol.proof.bound);
    }
}

#[test]
fn a_time_limit_keeps_a_placement_within_max_sites_and_a_valid_bound() {
    use dualmatch_optimiser::network::{self, Pricing};
    let mut kept = 0;
    for seed in 0..120u64 {
        let (t, partners, b) = random_case(seed);
        let s = season_of(&t, &partners);
        let c = constraints_of(&t, &s, &b);
        let candidates = dualmatch_core::scoring::Candidates::from_season_candidates(&s).unwrap();
        let Ok(m) = PlacementModel::new(&s, &candidates, &c) else { continue };
        let Some(best) = brute(&s, &c, Objective::MaxFit) else { continue };
        // A limit too short to search: the start placement (or better) is kept.
        let limit = Some(std::time::Duration::from_nanos(1));
        let Ok(sol) = network::solve_within(&m, Objective::MaxFit, Pricing::default(), limit) else { continue };
        sol.assignment.check(&m).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let got = value(&s, &c, &placed_of(&m, &sol.assignment)).expect("max_sites kept");
        assert!(got.1 <= best.1 + 1e-6, "seed {seed}: {got:?} above the optimum {best:?}");
        // bound − score bounds the penalised objective's gap from above.
        let score = sol.assignment.total_score(&candidates);
        assert!(
            sol.proof.bound - score >= best.1 - got.1 - 1e-6,
            "seed {seed}: bound {} score {score}",
            sol.proof.bound
        );
        kept += 1;
    }
    assert!(kept > 50, "{kept}");
}
