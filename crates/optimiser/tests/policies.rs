//! Allocation policies: feasibility, stability, the exact optima against each
//! other and against brute force, determinism across thread counts,
//! improvement without losers, and the stable policy against the anchors'
//! reference (when `DUALMATCH_ANCHORS_DIR` is set).

mod common;

use std::collections::HashMap;

use dualmatch_core::scoring::Candidates;
use dualmatch_core::season::Season;
use dualmatch_core::{LearnerId, ProgrammeId, SchoolId};
use dualmatch_optimiser::metrics::evaluate;
use dualmatch_optimiser::policies::prefs::{Prefs, Ties};
use dualmatch_optimiser::policies::rng::SplitMix64;
use dualmatch_optimiser::policies::{self, allocate, by_name, pareto_improve, Stable, ALL};
use dualmatch_optimiser::{Assignment, Constraints, PlacementModel};
use proptest::prelude::*;

/// A random small season, drawn from one seed.
#[derive(Clone, Debug)]
struct Inst {
    programmes: usize,
    schools: usize,
    /// (school, programme, screening passed, priority, readiness, preferences)
    learners: Vec<(usize, usize, bool, bool, u8, Vec<usize>)>,
    /// (capacity, preferences)
    workplaces: Vec<(Option<u32>, Vec<usize>)>,
    /// (workplace, programme, seats)
    recognitions: Vec<(usize, usize, u32)>,
    /// (learner, recognition, score)
    candidates: Vec<(usize, usize, u32)>,
    bounds: Vec<(usize, usize, u32, u32)>,
    reserve: Option<(usize, u32)>,
    pins: Vec<usize>,
    forbid: Vec<usize>,
}

#[derive(Clone, Copy, Debug)]
struct Shape {
    max_learners: u64,
    max_workplaces: u64,
    /// Whether to draw coordinator constraints.
    constraints: bool,
    /// Whether to draw explicit preference lists.
    prefs: bool,
}

fn draw(seed: u64, sh: Shape) -> Inst {
    let mut r = SplitMix64::new(seed);
    let chance = |r: &mut SplitMix64, pct: u64| r.below(100) < pct;
    let np = 1 + r.below(2) as usize;
    let ns = 1 + r.below(2) as usize;
    let nl = 1 + r.below(sh.max_learners) as usize;
    let nw = 1 + r.below(sh.max_workplaces) as usize;
    let mut recognitions = Vec::new();
    for w in 0..nw {
        for p in 0..np {
            if recognitions.iter().all(|&(rw, _, _)| rw != w) || chance(&mut r, 40) {
                let seats = if chance(&mut r, 15) { 0 } else { 1 + r.below(3) as u32 };
                recognitions.push((w, p, seats));
            }
        }
    }
    let workplaces: Vec<(Option<u32>, Vec<usize>)> = (0..nw)
        .map(|_| {
            let cap = chance(&mut r, 40).then(|| r.below(4) as u32);
            let prefs = if sh.prefs && chance(&mut r, 40) {
                let mut v: Vec<usize> = r.permutation(nl).into_iter().map(|x| x as usize).collect();
                v.truncate(1 + r.below(nl as u64) as usize);
                v
            } else {
                vec![]
            };
            (cap, prefs)
        })
        .collect();
    let ties = chance(&mut r, 50);
    let learners: Vec<_> = (0..nl)
        .map(|_| {
            let prefs = if sh.prefs && chance(&mut r, 50) {
                let mut v: Vec<usize> = r.permutation(nw).into_iter().map(|x| x as usize).collect();
                v.truncate(1 + r.below(nw as u64) as usize);
                v
            } else {
                vec![]
            };
            (
                r.below(ns as u64) as usize,
                r.below(np as u64) as usize,
                chance(&mut r, 92),
                chance(&mut r, 30),
                1 + r.below(4) as u8,
                prefs,
            )
        })
        .collect();
    let mut candidates = Vec::new();
    for (li, l) in learners.iter().enumerate() {
        for (ri, rec) in recognitions.iter().enumerate() {
            if rec.1 == l.1 && chance(&mut r, 70) {
                let score = if ties { r.below(4) as u32 } else { r.below(101) as u32 };
                candidates.push((li, ri, score));
            }
        }
    }
    let mut bounds = Vec::new();
    let mut reserve = None;
    let mut pins = Vec::new();
    let mut forbid = Vec::new();
    if sh.constraints {
        for _ in 0..r.below(3) {
            let min = if chance(&mut r, 70) { 0 } else { 1 + r.below(2) as u32 };
            bounds.push((r.below(ns as u64) as usize, r.below(np as u64) as usize, min, r.below(5) as u32));
        }
        if chance(&mut r, 30) {
            reserve = Some((r.below(recognitions.len() as u64) as usize, r.below(3) as u32));
        }
        for _ in 0..r.below(3) {
            pins.push(r.below(nl as u64) as usize);
        }
        for _ in 0..r.below(3) {
            forbid.push(r.below(64) as usize);
        }
    }
    Inst { programmes: np, schools: ns, learners, workplaces, recognitions, candidates, bounds, reserve, pins, forbid }
}

fn tiny_of(i: &Inst) -> common::TinySeason {
    common::TinySeason {
        programmes: i.programmes,
        schools: i.schools,
        learners: i
            .learners
            .iter()
            .map(|(school, programme, passed, priority, readiness, prefs)| common::TinyLearner {
                school: *school,
                programme: *programme,
                passed: *passed,
                priority: *priority,
                readiness: *readiness,
                prefs: prefs.clone(),
            })
            .collect(),
        workplaces: i.workplaces.clone(),
        recognitions: i.recognitions.clone(),
        candidates: i.candidates.clone(),
        lon_step: 0.01,
        max_commute_km: 50.0,
    }
}

fn season_of(i: &Inst) -> Season {
    tiny_of(i).build()
}

/// The instance's constraints; floors out of reach are dropped (caps kept)
/// and colliding pins too, so that the policies' checks run on every case.
fn constraints_of(i: &Inst, s: &Season) -> Constraints {
    let mut c = common::TinyConstraints {
        bounds: &i.bounds,
        reserve: i.reserve,
        pins: &i.pins,
        forbid: &i.forbid,
        min_score: None,
    }
    .build(&tiny_of(i), s);
    let cands = Candidates::from_season_candidates(s).unwrap();
    let feasible = |c: &Constraints| {
        PlacementModel::new(s, &cands, c)
            .is_ok_and(|m| dualmatch_optimiser::network::solve(&m, dualmatch_optimiser::Objective::MaxFit).is_ok())
    };
    if !feasible(&c) {
        c.school_bounds.iter_mut().for_each(|b| b.min = 0);
    }
    // Pins that collide (more than a recognition's seats, a cap): the last go.
    while !feasible(&c) && c.pins.pop().is_some() {}
    c
}

/// Seats, unreserved seats, capacity, pins, usable arcs and school caps
/// (school floors left out).
fn check_limits(m: &PlacementModel, a: &Assignment) -> Result<(), String> {
    let mut c = m.constraints.clone();
    let bounds = std::mem::take(&mut c.school_bounds);
    let m2 = PlacementModel::new(m.season, m.candidates, &c).map_err(|e| format!("{e}"))?;
    a.check(&m2)?;
    for b in &bounds {
        let k = (0..m.learner_count())
            .filter(|&li| {
                let l = m.season.learner(LearnerId::from_index(li));
                a.placement[li].is_some() && l.school == b.school && l.programme == b.programme
            })
            .count();
        if k as u64 > u64::from(b.max) {
            return Err(format!("school cap {} exceeded: {k}", b.max));
        }
    }
    Ok(())
}

/// The lowest (school, programme) rate as an exact fraction (placed, eligible).
fn min_pair_rate(m: &PlacementModel, a: &Assignment) -> (u64, u64) {
    let mut count: HashMap<(SchoolId, ProgrammeId), (u64, u64)> = HashMap::new();
    for (li, l) in m.season.learners().iter().enumerate() {
        if m.arcs_of(LearnerId::from_index(li)).is_empty() {
            continue;
        }
        let e = count.entry((l.school, l.programme)).or_default();
        e.1 += 1;
        e.0 += u64::from(a.placement[li].is_some());
    }
    count.values().copied().fold((1, 1), |best, x| if x.0 * best.1 < best.0 * x.1 { x } else { best })
}

fn frac_ge(a: (u64, u64), b: (u64, u64)) -> bool {
    a.0 * b.1 >= b.0 * a.1
}

/// The strict "badness" of each learner's placement: position in the strict
/// list, `list length` when off the list, `u32::MAX` when unplaced.
fn strict_ranks(m: &PlacementModel, p: &Prefs, a: &Assignment) -> Vec<u32> {
    (0..m.learner_count())
        .map(|li| {
            let l = LearnerId::from_index(li);
            match a.placement[li] {
                None => u32::MAX,
                Some(c) => {
                    let arc = m.arcs_of(l).find(|&x| m.arc_candidate(x) == c as usize).unwrap();
                    match p.learner_strict(arc) {
                        u32::MAX => p.list(l).len() as u32,
                        r => r,
                    }
                }
            }
        })
        .collect()
}

fn weak_ranks(m: &PlacementModel, p: &Prefs, a: &Assignment) -> Vec<u32> {
    (0..m.learner_count())
        .map(|li| {
            let l = LearnerId::from_index(li);
            let arc = a.placement[li].map(|c| m.arcs_of(l).find(|&x| m.arc_candidate(x) == c as usize).unwrap());
            p.held_weak(l, arc)
        })
        .collect()
}

fn check_all_policies(i: &Inst, seed: u64) -> Result<(), TestCaseError> {
    let season = season_of(i);
    let cands = Candidates::from_season_candidates(&season).unwrap();
    let cons = constraints_of(i, &season);
    let m = PlacementModel::new(&season, &cands, &cons).expect("pins on usable pairs");
    let floors = cons.school_bounds.iter().any(|b| b.min > 0);
    let caps = cons.school_bounds.iter().any(|b| b.max < u32::MAX);
    let mut results: Vec<(&str, Assignment)> = Vec::new();
    for name in ALL {
        let policy = by_name(name).unwrap();
        match policy.allocate(&m, seed) {
            Ok(a) => {
                // Every policy meets every constraint but floors (refused by
                // `check_supported` for those that do not meet them).
                if policy.meets_floors() || !floors {
                    prop_assert!(a.check(&m).is_ok(), "{name}: {:?}", a.check(&m));
                }
                prop_assert!(check_limits(&m, &a).is_ok(), "{name}: {:?}", check_limits(&m, &a));
                results.push((name, a));
            }
            Err(_) => {
                // Only when the model itself is infeasible.
                prop_assert!(dualmatch_optimiser::network::solve(&m, dualmatch_optimiser::Objective::MaxFit).is_err());
                return Ok(());
            }
        }
    }
    let get = |n: &str| &results.iter().find(|(x, _)| *x == n).unwrap().1;
    // Stability (without caps; under caps, see tests/policy_constraints.rs).
    for name in ["stable", "stable-workplace"].into_iter().filter(|_| !caps) {
        let met = evaluate(&m, get(name));
        prop_assert_eq!(met.blocking_pairs, 0, "{} has blocking pairs {:?}", name, met.blocking_sample);
    }
    // Learner-proposing is weakly better for every learner (same strict lists).
    let p = Prefs::new(&m, Ties::Lottery(seed));
    let lp = strict_ranks(&m, &p, get("stable"));
    let wp = strict_ranks(&m, &p, get("stable-workplace"));
    for (li, (x, y)) in lp.iter().zip(&wp).enumerate() {
        prop_assert!(x <= y, "learner {li}: learner-proposing rank {x}, workplace-proposing {y}");
    }
    // Exact optima against every fully feasible result.
    let fit = get("max-fit").total_weight(&cands);
    let placed = get("max-placed").placed();
    let fair = min_pair_rate(&m, get("fair-share"));
    for (name, a) in &results {
        if a.check(&m).is_err() {
            continue;
        }
        prop_assert!(fit >= a.total_weight(&cands), "{name} beats max-fit");
        prop_assert!(placed >= a.placed(), "{name} places more than max-placed");
        prop_assert!(frac_ge(fair, min_pair_rate(&m, a)), "{name} has a higher lowest rate than fair-share");
    }
    // Improvement: nobody loses, limits hold, full feasibility kept.
    let weak = Prefs::new(&m, Ties::ById);
    for (name, a) in &results {
        let b = pareto_improve(&m, &p, a);
        let (before, after) = (weak_ranks(&m, &weak, a), weak_ranks(&m, &weak, &b));
        for (li, (x, y)) in before.iter().zip(&after).enumerate() {
            prop_assert!(y <= x, "{name} improved: learner {li} went from {x} to {y}");
        }
        prop_assert!(check_limits(&m, &b).is_ok(), "{name} improved: {:?}", check_limits(&m, &b));
        if a.check(&m).is_ok() {
            prop_assert!(b.check(&m).is_ok(), "{name} improved: {:?}", b.check(&m));
        }
        prop_assert!(b.placed() >= a.placed());
        // Improving twice changes no rank.
        let c = pareto_improve(&m, &p, &b);
        prop_assert_eq!(weak_ranks(&m, &weak, &c), after);
    }
    Ok(())
}

/// Brute force over every assignment: the best (lowest pair rate, total weight).
fn brute_fair(m: &PlacementModel) -> Option<((u64, u64), i128)> {
    let n = m.learner_count();
    let mut choice = vec![0usize; n];
    let mut best: Option<((u64, u64), i128)> = None;
    loop {
        let placement = (0..n)
            .map(|li| {
                let arcs = m.arcs_of(LearnerId::from_index(li));
                (choice[li] > 0).then(|| m.arc_candidate(arcs.start + choice[li] - 1) as u32)
            })
            .collect();
        let a = Assignment { placement };
        if a.check(m).is_ok() {
            let key = (min_pair_rate(m, &a), a.total_weight(m.candidates));
            let better = match best {
                None => true,
                Some((r, w)) => {
                    let (x, y) = (key.0 .0 * r.1, r.0 * key.0 .1);
                    x > y || (x == y && key.1 > w)
                }
            };
            if better {
                best = Some(key);
            }
        }
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

const SMALL: Shape = Shape { max_learners: 7, max_workplaces: 4, constraints: true, prefs: true };

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn policies_are_feasible_stable_and_bounded_by_the_optima(seed in any::<u64>(), lottery in any::<u64>()) {
        check_all_policies(&draw(seed, SMALL), lottery)?;
    }

    #[test]
    fn policies_without_constraints(seed in any::<u64>(), lottery in any::<u64>()) {
        let shape = Shape { max_learners: 12, max_workplaces: 6, constraints: false, prefs: true };
        check_all_policies(&draw(seed, shape), lottery)?;
    }

    #[test]
    fn fair_share_equals_brute_force(seed in any::<u64>()) {
        let i = draw(seed, Shape { max_learners: 6, max_workplaces: 3, constraints: true, prefs: false });
        let season = season_of(&i);
        let cands = Candidates::from_season_candidates(&season).unwrap();
        let cons = constraints_of(&i, &season);
        let m = PlacementModel::new(&season, &cands, &cons).expect("pins on usable pairs");
        let got = by_name("fair-share").unwrap().allocate(&m, 0);
        match (brute_fair(&m), got) {
            (None, Err(_)) => {}
            (Some((rate, w)), Ok(a)) => {
                prop_assert!(a.check(&m).is_ok());
                let r = min_pair_rate(&m, &a);
                prop_assert_eq!(r.0 * rate.1, rate.0 * r.1, "lowest rate {:?} vs brute force {:?}", r, rate);
                prop_assert_eq!(a.total_weight(&cands), w);
            }
            (b, a) => prop_assert!(false, "brute force {:?} but fair-share {:?}", b, a.map(|a| a.placed())),
        }
    }

    #[test]
    fn deterministic_across_thread_counts(seed in any::<u64>(), lottery in any::<u64>()) {
        let i = draw(seed, Shape { max_learners: 10, max_workplaces: 5, constraints: true, prefs: true });
        let season = season_of(&i);
        let cands = Candidates::from_season_candidates(&season).unwrap();
        let cons = constraints_of(&i, &season);
        let m = PlacementModel::new(&season, &cands, &cons).expect("pins on usable pairs");
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                ALL.iter()
                    .map(|n| {
                        let p = by_name(n).unwrap();
                        (allocate(p.as_ref(), &m, lottery, false).ok(), allocate(p.as_ref(), &m, lottery, true).ok())
                    })
                    .collect::<Vec<_>>()
            })
        };
        let one = run(1);
        prop_assert_eq!(&one, &run(2));
        prop_assert_eq!(&one, &run(1));
    }
}

#[test]
fn lottery_changes_tie_breaks_only_for_randomised_policies() {
    let mut i = draw(3, Shape { max_learners: 12, max_workplaces: 5, constraints: false, prefs: false });
    let season = season_of(&i);
    let cands = Candidates::from_season_candidates(&season).unwrap();
    let cons = Constraints::none();
    let m = PlacementModel::new(&season, &cands, &cons).unwrap();
    for name in ALL {
        let p = by_name(name).unwrap();
        if !p.randomised() {
            assert_eq!(p.allocate(&m, 1).unwrap(), p.allocate(&m, 2).unwrap(), "{name}");
        }
    }
    // The other half: with every score and readiness tied, each randomised
    // policy's lottery decides, so some two seeds give different placements.
    i.candidates.iter_mut().for_each(|c| c.2 = 50);
    i.learners.iter_mut().for_each(|l| l.4 = 3);
    let season = season_of(&i);
    let cands = Candidates::from_season_candidates(&season).unwrap();
    let m = PlacementModel::new(&season, &cands, &cons).unwrap();
    let mut randomised = 0;
    for name in ALL {
        let p = by_name(name).unwrap();
        if p.randomised() {
            randomised += 1;
            let first = p.allocate(&m, 0).unwrap();
            assert!(
                (1..32).any(|seed| p.allocate(&m, seed).unwrap() != first),
                "{name} is randomised but 32 lottery seeds give the same placements"
            );
        }
    }
    assert!(randomised >= 5, "only {randomised} randomised policies");
}

#[test]
fn stable_hand_example() {
    // Two learners, two sites with one seat each. L0 and L1 both prefer W0;
    // W0 prefers L1. Learner-optimal: L1 at W0, L0 at W1.
    let mut i = draw(0, Shape { max_learners: 1, max_workplaces: 1, constraints: false, prefs: false });
    i.programmes = 1;
    i.schools = 1;
    i.learners = vec![(0, 0, true, false, 3, vec![0, 1]), (0, 0, true, false, 3, vec![0, 1])];
    i.workplaces = vec![(None, vec![1, 0]), (None, vec![])];
    i.recognitions = vec![(0, 0, 1), (1, 0, 1)];
    i.candidates = vec![(0, 0, 10), (0, 1, 90), (1, 0, 50), (1, 1, 50)];
    let season = season_of(&i);
    let cands = Candidates::from_season_candidates(&season).unwrap();
    let cons = Constraints::none();
    let m = PlacementModel::new(&season, &cands, &cons).unwrap();
    let a = by_name("stable").unwrap().allocate(&m, 0).unwrap();
    let site = |li: usize| {
        a.placement[li].map(|c| season.workplace(season.group(cands.group[c as usize]).workplace).id.clone())
    };
    assert_eq!(site(0).as_deref(), Some("W1"));
    assert_eq!(site(1).as_deref(), Some("W0"));
    let met = evaluate(&m, &a);
    assert_eq!(met.blocking_pairs, 0);
    assert_eq!(met.rank.first_choice, 1);
    // max-fit puts L0 at W1 (90) and L1 at W0 (50) as well; greedy too.
    let g = by_name("greedy").unwrap().allocate(&m, 0).unwrap();
    assert_eq!(g.total_score(&cands), 140.0);
}

/// Reads a `learner,workplace` dump (header optional).
fn read_pairs(path: &std::path::Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out: Vec<(String, String)> = text
        .lines()
        .filter_map(|line| {
            let mut it = line.split(',');
            let (l, w) = (it.next()?.trim().to_string(), it.next()?.trim().to_string());
            (l != "learner" && !l.is_empty()).then_some((l, w))
        })
        .collect();
    out.sort();
    out
}

/// Our `stable` pairs: ties by id (as the reference) and by the lottery of seed 0.
/// (learner id, workplace id) pairs, sorted.
type Pairs = Vec<(String, String)>;

fn stable_pairs(season_dir: &std::path::Path) -> (Pairs, Pairs) {
    let loaded = dualmatch_core::season::load(season_dir).expect("season loads");
    let season = loaded.season;
    let cands = Candidates::from_season_candidates(&season).expect("season has candidates.csv");
    let cons = Constraints::none();
    let m = PlacementModel::new(&season, &cands, &cons).unwrap();
    let a = policies::AllocationPolicy::allocate(&Stable { ties: Some(Ties::ById) }, &m, 0).unwrap();
    let lottery = by_name("stable").unwrap().allocate(&m, 0).unwrap();
    assert_eq!(evaluate(&m, &lottery).blocking_pairs, 0);
    assert_eq!(evaluate(&m, &a).blocking_pairs, 0);
    let pairs = |a: &Assignment| {
        let mut out: Vec<(String, String)> = a
            .placement
            .iter()
            .enumerate()
            .filter_map(|(li, c)| {
                c.map(|c| {
                    let w = season.group(cands.group[c as usize]).workplace;
                    (season.learners()[li].id.clone(), season.workplace(w).id.clone())
                })
            })
            .collect();
        out.sort();
        out
    };
    (pairs(&a), pairs(&lottery))
}

/// `DUALMATCH_ANCHORS_DIR` holds season directories `NAME` with the anchors'
/// dump `NAME.stable.csv` next to them, made by
/// `./gen_random.py --preset XS --prefs DIR/xs-prefs` and
/// `./solve.py DIR/xs-prefs --policy stable --dump DIR/xs-prefs.stable.csv`.
#[test]
fn stable_equals_anchors_reference() {
    let Ok(dir) = std::env::var("DUALMATCH_ANCHORS_DIR") else {
        eprintln!("skipped: set DUALMATCH_ANCHORS_DIR to a directory of seasons with NAME.stable.csv dumps");
        return;
    };
    let mut compared = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let dump = path.with_extension("stable.csv");
        if !path.is_dir() || !dump.exists() {
            continue;
        }
        let (ours, lottery) = stable_pairs(&path);
        let theirs = read_pairs(&dump);
        assert_eq!(ours.len(), theirs.len(), "{}: placed differs", path.display());
        assert!(ours == theirs, "{}: stable pairs differ from the anchors' dump", path.display());
        eprintln!(
            "{}: {} stable pairs equal the anchors' dump (ties by id); with the seed-0 lottery: {}",
            path.display(),
            ours.len(),
            if lottery == theirs { "equal" } else { "differ (ties broken differently)" }
        );
        compared += 1;
    }
    assert!(compared > 0, "no SEASON with SEASON.stable.csv found in {dir}");
}

/// The property tests above skip nothing: every drawn model builds (pins are
/// drawn on usable pairs) and at least 95% of the constrained cases are
/// feasible, so the policies' checks run on them.
#[test]
fn generated_cases_are_checked_not_skipped() {
    let (n, mut feasible, mut pinned) = (1000, 0, 0);
    for seed in 0..n {
        let i = draw(seed, SMALL);
        let season = season_of(&i);
        let cands = Candidates::from_season_candidates(&season).unwrap();
        let cons = constraints_of(&i, &season);
        pinned += usize::from(!cons.pins.is_empty());
        let m = PlacementModel::new(&season, &cands, &cons).expect("pins are drawn on usable pairs");
        feasible +=
            usize::from(dualmatch_optimiser::network::solve(&m, dualmatch_optimiser::Objective::MaxFit).is_ok());
    }
    eprintln!("{n} cases: {pinned} with pins, {feasible} feasible");
    assert!(pinned * 4 >= n as usize, "only {pinned} of {n} cases have pins");
    assert!(feasible * 100 >= n as usize * 95, "only {feasible} of {n} cases are feasible");
}
