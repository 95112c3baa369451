//! Policies and coordinator constraints together.
//!
//! - Every policy honours caps, reserves, pins, forbidden pairs and
//!   `min_score` on random tiny seasons: the result passes
//!   `Assignment::check` (or the model itself is infeasible).
//! - `policies::check_supported` refuses school floors for exactly the
//!   policies that cannot guarantee them, and nothing else.
//! - `stable` and `stable-workplace` under school caps, against brute force:
//!   every assignment is enumerated and the ones *stable under school caps*
//!   are kept (the definition of `docs/policies.md`, written here
//!   independently of `da.rs`); `stable` and `stable-workplace` are among
//!   them, and are the learner-optimal and the learner-pessimal one whenever
//!   such a one exists (under caps it need not).
//!
//! Stable under school caps: no unpinned learner `l` and acceptable site `w`
//! such that (1) `l` strictly prefers `w` to her placement (unplaced is
//! worst), (2) `w` would choose `l` from its learners plus `l` (pinned
//! learners first, then in its strict order, greedily under unreserved seats,
//! seats and capacity), and (3) when `l` is unplaced and her (school,
//! programme) is at its cap, it holds an unpinned learner of lower school
//! priority: lower readiness, or equal readiness and a later ticket in the
//! learner lottery (by id with `Ties::ById`).

mod common;

use common::{chance, for_each_choice, random_list, random_recognitions, TinyConstraints, TinyLearner, TinySeason};
use common::{to_arcs, to_assignment, Matching};
use dualmatch_core::scoring::Candidates;
use dualmatch_core::season::Season;
use dualmatch_core::LearnerId;
use dualmatch_optimiser::policies::prefs::{Prefs, Ties};
use dualmatch_optimiser::policies::rng::SplitMix64;
use dualmatch_optimiser::policies::{by_name, check_supported, AllocationPolicy, Stable, ALL};
use dualmatch_optimiser::{network, Constraints, Objective, PlacementModel};
use proptest::prelude::*;

/// A tiny season with its constraints (no floors).
#[derive(Clone, Debug)]
struct Inst {
    season: TinySeason,
    /// (school, programme, cap)
    caps: Vec<(usize, usize, u32)>,
    reserve: Option<(usize, u32)>,
    pins: Vec<usize>,
    forbid: Vec<usize>,
    min_score: Option<u32>,
}

#[derive(Clone, Copy, Debug)]
struct Shape {
    max_learners: u64,
    max_workplaces: u64,
    /// Pins, reserves, forbidden pairs and `min_score` besides the caps.
    others: bool,
}

fn draw(seed: u64, sh: Shape) -> Inst {
    let mut r = SplitMix64::new(seed);
    let np = 1 + r.below(2) as usize;
    let ns = 1 + r.below(2) as usize;
    let nl = 2 + r.below(sh.max_learners - 1) as usize;
    let nw = 1 + r.below(sh.max_workplaces) as usize;
    let recognitions = random_recognitions(&mut r, nw, np, 30);
    let workplaces = (0..nw)
        .map(|_| {
            let cap = chance(&mut r, 30).then(|| r.below(4) as u32);
            (cap, random_list(&mut r, nl, 60, 25))
        })
        .collect();
    let learners: Vec<TinyLearner> = (0..nl)
        .map(|_| {
            let prefs = random_list(&mut r, nw, 60, 25);
            TinyLearner {
                school: r.below(ns as u64) as usize,
                programme: r.below(np as u64) as usize,
                passed: chance(&mut r, 95),
                priority: sh.others && chance(&mut r, 40),
                // Few readiness levels: ties that the lottery breaks.
                readiness: 1 + r.below(2) as u8,
                prefs,
            }
        })
        .collect();
    let ties = chance(&mut r, 60);
    let mut candidates = Vec::new();
    for (li, l) in learners.iter().enumerate() {
        for (ri, rec) in recognitions.iter().enumerate() {
            if rec.1 == l.programme && chance(&mut r, 85) {
                let score = if ties { r.below(3) as u32 } else { r.below(100) as u32 };
                candidates.push((li, ri, score));
            }
        }
    }
    let caps = (0..1 + r.below(3))
        .map(|_| (r.below(ns as u64) as usize, r.below(np as u64) as usize, r.below(3) as u32))
        .collect();
    let (mut reserve, mut pins, mut forbid, mut min_score) = (None, Vec::new(), Vec::new(), None);
    if sh.others {
        if chance(&mut r, 40) {
            reserve = Some((r.below(recognitions.len() as u64) as usize, 1 + r.below(2) as u32));
        }
        for _ in 0..r.below(3) {
            pins.push(r.below(nl as u64) as usize);
        }
        for _ in 0..r.below(3) {
            forbid.push(r.below(64) as usize);
        }
        if chance(&mut r, 20) {
            min_score = Some(if ties { 1 } else { 30 });
        }
    }
    let season = TinySeason {
        programmes: np,
        schools: ns,
        learners,
        workplaces,
        recognitions,
        candidates,
        lon_step: 0.0,
        max_commute_km: 50.0,
    };
    Inst { season, caps, reserve, pins, forbid, min_score }
}

fn constraints_of(i: &Inst, s: &Season) -> Constraints {
    let bounds: Vec<(usize, usize, u32, u32)> = i.caps.iter().map(|&(sc, p, cap)| (sc, p, 0, cap)).collect();
    TinyConstraints { bounds: &bounds, reserve: i.reserve, pins: &i.pins, forbid: &i.forbid, min_score: i.min_score }
        .build(&i.season, s)
}

/// Whether the drawn caps bind at all (some capped pair has more learners).
fn caps_bind(m: &PlacementModel) -> bool {
    m.constraints.school_bounds.iter().any(|b| {
        let n = m.season.learners().iter().filter(|l| l.school == b.school && l.programme == b.programme).count();
        n as u64 > u64::from(b.max)
    })
}

// ---------------------------------------------------------------------------
// Every policy keeps every constraint but floors.

fn check_every_policy(i: &Inst, seed: u64) -> Result<(), TestCaseError> {
    let season = i.season.build();
    let cands = Candidates::from_season_candidates(&season).unwrap();
    let cons = constraints_of(i, &season);
    let Ok(m) = PlacementModel::new(&season, &cands, &cons) else { return Ok(()) };
    let feasible = network::solve(&m, Objective::MaxFit).is_ok();
    for name in ALL {
        let policy = by_name(name).unwrap();
        for improve in [false, true] {
            match dualmatch_optimiser::policies::allocate(policy.as_ref(), &m, seed, improve) {
                Ok(a) => prop_assert!(a.check(&m).is_ok(), "{name} (improve {improve}): {:?}", a.check(&m)),
                Err(_) => prop_assert!(!feasible, "{name} failed on a feasible model"),
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The brute force: stability under school caps.

/// School priority of each learner: a key, lower first (readiness highest
/// first, then the learner lottery of `ties`).
fn school_priority(s: &Season, ties: Ties) -> Vec<(std::cmp::Reverse<u8>, u32)> {
    let n = s.learners().len();
    let ticket: Vec<u32> = match ties {
        Ties::Lottery(seed) | Ties::PerWorkplace(seed) => SplitMix64::stream(seed, 1).lottery(n),
        Ties::ById => {
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| s.learners()[a].id.cmp(&s.learners()[b].id));
            let mut t = vec![0u32; n];
            for (pos, &li) in order.iter().enumerate() {
                t[li] = pos as u32;
            }
            t
        }
    };
    s.learners().iter().enumerate().map(|(li, l)| (std::cmp::Reverse(l.readiness), ticket[li])).collect()
}

/// Whether site `w` (of arc `x`) chooses `x`'s learner from its learners in
/// `mu` plus that learner: pinned learners first, then by the site's strict
/// rank, each taken while unreserved seats, seats and capacity allow.
fn site_takes(m: &PlacementModel, p: &Prefs, mu: &Matching, x: usize) -> bool {
    common::site_takes(m, mu, p.learner(x), x, &|a| i64::from(p.site_strict(a)))
}

/// Whether the capped (school, programme) of unplaced learner `l` would take
/// her: no cap, room under it, or an unpinned learner of lower priority held.
fn school_takes(m: &PlacementModel, mu: &Matching, prio: &[(std::cmp::Reverse<u8>, u32)], l: LearnerId) -> bool {
    let s = m.season;
    let me = s.learner(l);
    let Some(b) = m.constraints.school_bounds.iter().find(|b| b.school == me.school && b.programme == me.programme)
    else {
        return true;
    };
    let mates: Vec<usize> = (0..mu.len())
        .filter(|&k| {
            let o = s.learner(LearnerId::from_index(k));
            mu[k].is_some() && o.school == me.school && o.programme == me.programme
        })
        .collect();
    (mates.len() as u64) < u64::from(b.max)
        || mates.iter().any(|&k| m.pinned(LearnerId::from_index(k)).is_none() && prio[k] > prio[l.index()])
}

/// Strict badness of holding `a`: its list position, `u32::MAX` unplaced.
fn badness(p: &Prefs, a: Option<usize>) -> u32 {
    a.map_or(u32::MAX, |a| p.learner_strict(a))
}

/// Whether `mu` keeps every limit and has no blocking pair under school caps.
fn is_capped_stable(m: &PlacementModel, p: &Prefs, prio: &[(std::cmp::Reverse<u8>, u32)], mu: &Matching) -> bool {
    if to_assignment(m, mu).check(m).is_err() {
        return false;
    }
    for (li, &held) in mu.iter().enumerate() {
        let l = LearnerId::from_index(li);
        if m.pinned(l).is_some() {
            continue;
        }
        if held.is_some_and(|a| !p.acceptable(a)) {
            return false;
        }
        let mine = badness(p, held);
        for &x in p.list(l) {
            let x = x as usize;
            if p.learner_strict(x) >= mine {
                break;
            }
            if site_takes(m, p, mu, x) && (held.is_some() || school_takes(m, mu, prio, l)) {
                return false;
            }
        }
    }
    true
}

/// Every matching stable under school caps (pinned learners at their pin,
/// everyone else unplaced or on an acceptable arc).
fn capped_stable_set(m: &PlacementModel, p: &Prefs, prio: &[(std::cmp::Reverse<u8>, u32)]) -> Vec<Matching> {
    let n = m.learner_count();
    let options: Vec<Vec<Option<usize>>> = (0..n)
        .map(|li| {
            let l = LearnerId::from_index(li);
            match m.pinned(l) {
                Some(a) => vec![Some(a)],
                None => std::iter::once(None).chain(p.list(l).iter().map(|&a| Some(a as usize))).collect(),
            }
        })
        .collect();
    let sizes: Vec<usize> = options.iter().map(Vec::len).collect();
    let mut out = Vec::new();
    for_each_choice(&sizes, |choice| {
        let mu: Matching = (0..n).map(|li| options[li][choice[li]]).collect();
        if is_capped_stable(m, p, prio, &mu) {
            out.push(mu);
        }
    });
    out
}

/// `lp` and `wp` (if given) are stable under school caps; when the stable
/// matchings have a learner-optimal one, it is `lp`, and when they have a
/// learner-pessimal one, it is `wp`. (Under caps they need not have either:
/// see `caps_can_leave_no_learner_optimal_stable_matching`.)
fn check_lattice_ends(
    m: &PlacementModel,
    p: &Prefs,
    prio: &[(std::cmp::Reverse<u8>, u32)],
    lp: &Matching,
    wp: Option<&Matching>,
) -> Result<(), String> {
    let set = capped_stable_set(m, p, prio);
    if !set.contains(lp) {
        return Err(format!("stable {lp:?} is not stable under school caps; stable: {set:?}"));
    }
    let dominates =
        |a: &Matching, b: &Matching| (0..m.learner_count()).all(|li| badness(p, a[li]) <= badness(p, b[li]));
    let optimal: Vec<&Matching> = set.iter().filter(|a| set.iter().all(|b| dominates(a, b))).collect();
    if !optimal.is_empty() && !optimal.contains(&lp) {
        return Err(format!("stable {lp:?} is not the learner-optimal {optimal:?}"));
    }
    if let Some(wp) = wp {
        if !set.contains(wp) {
            return Err(format!("stable-workplace {wp:?} is not stable under school caps; stable: {set:?}"));
        }
        let pessimal: Vec<&Matching> = set.iter().filter(|a| set.iter().all(|b| dominates(b, a))).collect();
        if !pessimal.is_empty() && !pessimal.contains(&wp) {
            return Err(format!("stable-workplace {wp:?} is not the learner-pessimal {pessimal:?}"));
        }
    }
    Ok(())
}

fn check_stable_with_caps(i: &Inst, seed: u64) -> Result<(), TestCaseError> {
    let season = i.season.build();
    let cands = Candidates::from_season_candidates(&season).unwrap();
    let cons = constraints_of(i, &season);
    let Ok(m) = PlacementModel::new(&season, &cands, &cons) else { return Ok(()) };
    let (Ok(lp), Ok(wp)) =
        (by_name("stable").unwrap().allocate(&m, seed), by_name("stable-workplace").unwrap().allocate(&m, seed))
    else {
        prop_assert!(network::solve(&m, Objective::MaxFit).is_err(), "pins fit but stable failed");
        return Ok(());
    };
    let ties = Ties::Lottery(seed);
    let (p, prio) = (Prefs::new(&m, ties), school_priority(&season, ties));
    check_lattice_ends(&m, &p, &prio, &to_arcs(&m, &lp), Some(&to_arcs(&m, &wp))).map_err(TestCaseError::fail)?;
    // Ties by id, the anchors' reading.
    let byid = Stable { ties: Some(Ties::ById) }.allocate(&m, seed).unwrap();
    let (p, prio) = (Prefs::new(&m, Ties::ById), school_priority(&season, Ties::ById));
    check_lattice_ends(&m, &p, &prio, &to_arcs(&m, &byid), None).map_err(TestCaseError::fail)?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn every_policy_keeps_caps_reserves_pins_forbidden_pairs_and_min_score(seed in any::<u64>(), lottery in any::<u64>()) {
        check_every_policy(&draw(seed, Shape { max_learners: 9, max_workplaces: 4, others: true }), lottery)?;
    }

    #[test]
    fn stable_under_caps_is_stable_and_optimal_when_possible(seed in any::<u64>(), lottery in any::<u64>()) {
        check_stable_with_caps(&draw(seed, Shape { max_learners: 6, max_workplaces: 4, others: false }), lottery)?;
    }

    #[test]
    fn stable_under_caps_with_pins_and_reserves(seed in any::<u64>(), lottery in any::<u64>()) {
        check_stable_with_caps(&draw(seed, Shape { max_learners: 6, max_workplaces: 3, others: true }), lottery)?;
    }
}

/// The checks above are not vacuous and can fail: the generator reaches
/// binding caps that change the `stable` matching, and the brute force
/// rejects uncapped deferred acceptance (`stable` before caps were kept),
/// which breaks caps or is unstable under them.
#[test]
fn caps_bind_and_the_brute_force_rejects_uncapped_stable() {
    let (mut binding, mut changed, mut caught) = (0, 0, 0);
    for seed in 0..300u64 {
        let i = draw(seed, Shape { max_learners: 6, max_workplaces: 4, others: false });
        let season = i.season.build();
        let cands = Candidates::from_season_candidates(&season).unwrap();
        let cons = constraints_of(&i, &season);
        let m = PlacementModel::new(&season, &cands, &cons).unwrap();
        let none = Constraints::none();
        let free = PlacementModel::new(&season, &cands, &none).unwrap();
        binding += usize::from(caps_bind(&m));
        let stable = by_name("stable").unwrap();
        let uncapped = stable.allocate(&free, seed).unwrap();
        changed += usize::from(stable.allocate(&m, seed).unwrap() != uncapped);
        let ties = Ties::Lottery(seed);
        let (p, prio) = (Prefs::new(&m, ties), school_priority(&season, ties));
        caught += usize::from(!is_capped_stable(&m, &p, &prio, &to_arcs(&m, &uncapped)));
    }
    eprintln!("of 300 seasons: caps bind in {binding}, change stable in {changed}, uncapped caught in {caught}");
    assert!(binding >= 100 && changed >= 30 && caught >= 30, "{binding}, {changed}, {caught}");
}

// ---------------------------------------------------------------------------
// Which policies are refused with which constraints.

const FLOORS: &str = "min_score = 1.0\n\n[[school]]\nschool = \"S1\"\nprogramme = \"P0\"\nmax = 3\n\n[[school]]\nschool = \"S0\"\nprogramme = \"P0\"\nmin = 2\nmax = 5\n";
const NO_FLOORS: &str = "min_score = 1.0\n\n[[school]]\nschool = \"S0\"\nprogramme = \"P0\"\nmin = 0\nmax = 1\n\n[[reserve]]\npriority_group = \"extra\"\nseats = 1\n\n[[pin]]\nlearner = \"L0\"\nworkplace = \"W0\"\n\n[[forbid]]\nlearner = \"L1\"\nworkplace = \"W0\"\n";

#[test]
fn floors_are_refused_for_exactly_the_policies_that_cannot_meet_them() {
    for name in ALL {
        let policy = by_name(name).unwrap();
        let exact = matches!(
            *name,
            "max-fit"
                | "max-placed"
                | "fair-share"
                | "rank-maximal"
                | "max-size-min-cost"
                | "greedy-max"
                | "generous-max"
        );
        assert_eq!(policy.meets_floors(), exact, "{name}");
        assert_eq!(check_supported(policy.as_ref(), NO_FLOORS, "c.toml"), Ok(()), "{name}");
        match check_supported(policy.as_ref(), FLOORS, "c.toml") {
            Ok(()) => assert!(exact, "{name} accepted floors"),
            Err(e) => {
                assert!(!exact, "{name} refused floors");
                assert_eq!(e.policy, *name);
                assert_eq!(e.floors.len(), 1);
                let f = &e.floors[0];
                assert_eq!((f.line, f.school.as_str(), f.programme.as_str(), f.min), (9, "S0", "P0", 2));
                let msg = e.to_string();
                for part in [&format!("policy {name} "), "c.toml:9", "min = 2", "school S0", "programme P0", "max-fit"]
                {
                    assert!(msg.contains(part), "{msg:?} lacks {part:?}");
                }
            }
        }
    }
    // Minimum group sizes (either form): refused by every policy but
    // max-fit, max-placed and fair-share (the rank-profile policies' network
    // phases do not model them).
    let sites = "[[site]]\nworkplace = \"W0\"\nmin = 2\nallow_empty = true\n\n[[site]]\nworkplace = \"W1\"\nmin = 1\n";
    for name in ALL {
        let exact = matches!(*name, "max-fit" | "max-placed" | "fair-share");
        assert_eq!(by_name(name).unwrap().meets_group_sizes(), exact, "{name}");
        match check_supported(by_name(name).unwrap().as_ref(), sites, "c.toml") {
            Ok(()) => assert!(exact, "{name} accepted [[site]]"),
            Err(e) => {
                assert!(!exact, "{name} refused [[site]]");
                assert!(e.floors.is_empty());
                let lines: Vec<(usize, &str, u32, bool)> =
                    e.sites.iter().map(|x| (x.line, x.workplace.as_str(), x.min, x.allow_empty)).collect();
                assert_eq!(lines, vec![(2, "W0", 2, true), (7, "W1", 1, false)], "{name}");
                let msg = e.to_string();
                for part in
                    [&format!("policy {name} "), "minimum group sizes", "c.toml:2", "min = 2", "site W0", "(and 1 more"]
                {
                    assert!(msg.contains(part), "{msg:?} lacks {part:?}");
                }
                assert!(msg.contains("use --policy max-fit, max-placed or fair-share, which meet them"), "{msg}");
            }
        }
    }
    // Floors and group sizes together: a rank-profile policy is refused for
    // the group sizes alone, as its floors are met.
    let both = format!("{FLOORS}\n{sites}");
    for name in ["rank-maximal", "max-size-min-cost", "greedy-max", "generous-max"] {
        let e = check_supported(by_name(name).unwrap().as_ref(), &both, "c.toml").expect_err(name);
        assert!(e.floors.is_empty() && e.sites.len() == 2, "{name}: {e:?}");
        assert!(e.to_string().contains("cannot guarantee minimum group sizes"), "{name}: {e}");
    }
    let e = check_supported(by_name("stable").unwrap().as_ref(), &both, "c.toml").expect_err("stable");
    assert_eq!((e.floors.len(), e.sites.len()), (1, 2));
    // A file that does not parse is left to `Constraints::parse`.
    assert_eq!(check_supported(by_name("stable").unwrap().as_ref(), "[[school]\n", "c.toml"), Ok(()));
}

/// Two learners of one school with room for one, one seat that the site gives
/// to the learner the school ranks lower: each of them alone is stable under
/// the cap, so no stable matching is best for both; `stable` gives the seat to
/// the site's choice (deferred acceptance never takes it from her).
#[test]
fn caps_can_leave_no_learner_optimal_stable_matching() {
    let learner =
        |readiness| TinyLearner { school: 0, programme: 0, passed: true, priority: false, readiness, prefs: vec![0] };
    let season = TinySeason {
        programmes: 1,
        schools: 1,
        // L0 is more work-ready: the school ranks L0 first.
        learners: vec![learner(4), learner(1)],
        // W0 ranks L1 first.
        workplaces: vec![(None, vec![1, 0])],
        recognitions: vec![(0, 0, 1)],
        candidates: vec![(0, 0, 50), (1, 0, 50)],
        lon_step: 0.0,
        max_commute_km: 50.0,
    };
    let i = Inst { season, caps: vec![(0, 0, 1)], reserve: None, pins: vec![], forbid: vec![], min_score: None };
    let s = i.season.build();
    let cands = Candidates::from_season_candidates(&s).unwrap();
    let cons = constraints_of(&i, &s);
    let m = PlacementModel::new(&s, &cands, &cons).unwrap();
    let ties = Ties::Lottery(7);
    let (p, prio) = (Prefs::new(&m, ties), school_priority(&s, ties));
    let set = capped_stable_set(&m, &p, &prio);
    assert_eq!(set, vec![vec![Some(0), None], vec![None, Some(1)]]);
    let lp = to_arcs(&m, &by_name("stable").unwrap().allocate(&m, 7).unwrap());
    assert_eq!(lp, vec![None, Some(1)]);
    assert_eq!(check_lattice_ends(&m, &p, &prio, &lp, None), Ok(()));
}
