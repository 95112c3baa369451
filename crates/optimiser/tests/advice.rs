//! Differential tests of the waiting-list and recruitment advice
//! (`advice::compute`) on random tiny seasons, with and without constraints:
//!
//! - every recognition's seat value equals the optimum re-solved with one
//!   more seat there minus the optimum (and with one more unit of the site's
//!   capacity too, where that is reported);
//! - every waiting-list option's gain equals the optimum re-solved with the
//!   extra seat and the learner pinned there minus the optimum; "this
//!   learner" holds exactly when that equals the re-solved optimum;
//! - every pair left off the waiting list gains nothing from an extra seat;
//! - every chain of moves, applied to the assignment, is feasible with the
//!   extra seat and reaches the reported value.

mod common;

use common::{TinyConstraints, TinyLearner, TinySeason};
use dualmatch_core::scoring::Candidates;
use dualmatch_core::season::Season;
use dualmatch_core::{GroupId, LearnerId, WorkplaceId};
use dualmatch_optimiser::advice::{self, Advice, BestUse, Move, Needs, Options};
use dualmatch_optimiser::{network, Assignment, Constraints, Objective, PlacementModel};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Constraints drawn for a tiny season (see [`TinyConstraints`]).
#[derive(Clone, Debug, Default)]
struct Spec {
    bounds: Vec<(usize, usize, u32, u32)>,
    reserve: Option<(usize, u32)>,
    pins: Vec<usize>,
    forbid: Vec<usize>,
    min_score: Option<u32>,
}

/// How a random season is drawn.
#[derive(Clone, Copy)]
struct Shape {
    programmes: usize,
    learners: (usize, usize),
    workplaces: (usize, usize),
    /// Chance in 20ths that a site has a capacity, one of them 0 (else none).
    capacity: i32,
    /// Chance that a site recognises a programme.
    recognised: f64,
}

/// Up to 8 learners, 4 sites and 2 programmes: every kind of case, cheap.
const TINY: Shape = Shape { programmes: 2, learners: (1, 8), workplaces: (1, 4), capacity: 10, recognised: 0.7 };

/// Sites for 3 programmes, nearly all with a capacity: capacity passes
/// between programmes at shared full sites, in chains that do not go
/// through the unplaced side.
const CROWDED: Shape = Shape { programmes: 3, learners: (8, 14), workplaces: (4, 7), capacity: 19, recognised: 0.8 };

/// A random season from `seed`: scarce seats, site capacities that bind,
/// tied scores, priority learners; with `constrained`, random school bounds,
/// a reserve, pins, forbidden pairs and a minimum score.
fn instance(seed: u64, constrained: bool, shape: Shape) -> (TinySeason, Spec) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let programmes = rng.gen_range(1..=shape.programmes);
    let schools = rng.gen_range(1..=2);
    let learners: Vec<TinyLearner> = (0..rng.gen_range(shape.learners.0..=shape.learners.1))
        .map(|_| TinyLearner {
            school: rng.gen_range(0..schools),
            programme: rng.gen_range(0..programmes),
            passed: rng.gen_bool(0.9),
            priority: rng.gen_bool(0.3),
            readiness: 3,
            prefs: vec![],
        })
        .collect();
    let nw = rng.gen_range(shape.workplaces.0..=shape.workplaces.1);
    let workplaces: Vec<(Option<u32>, Vec<usize>)> = (0..nw)
        .map(|_| {
            let k: i32 = rng.gen_range(0..20);
            let cap = if k == 0 {
                Some(0)
            } else if k < shape.capacity {
                Some(rng.gen_range(1..=3))
            } else {
                None
            };
            (cap, vec![])
        })
        .collect();
    let mut recognitions = Vec::new();
    for w in 0..nw {
        for p in 0..programmes {
            if rng.gen_bool(shape.recognised) {
                let seats = if rng.gen_bool(0.1) { 0 } else { rng.gen_range(1..=2) };
                recognitions.push((w, p, seats));
            }
        }
    }
    if recognitions.is_empty() {
        recognitions.push((0, 0, 1));
    }
    // Scores on a coarse grid half of the time, so that ties are common.
    let coarse = rng.gen_bool(0.5);
    let mut candidates = Vec::new();
    for (l, learner) in learners.iter().enumerate() {
        for (r, rec) in recognitions.iter().enumerate() {
            if rec.1 == learner.programme && rng.gen_bool(0.7) {
                let score = if coarse { 10 * rng.gen_range(0..=10) } else { rng.gen_range(0..=100) };
                candidates.push((l, r, score));
            }
        }
    }
    let mut spec = Spec::default();
    if constrained {
        let nl = learners.len();
        for _ in 0..rng.gen_range(0..=2) {
            let floor = if rng.gen_bool(0.75) { 0 } else { rng.gen_range(1..=2) };
            spec.bounds.push((rng.gen_range(0..schools), rng.gen_range(0..programmes), floor, rng.gen_range(0..=4)));
        }
        if rng.gen_bool(0.5) {
            spec.reserve = Some((rng.gen_range(0..recognitions.len()), rng.gen_range(0..=2)));
        }
        spec.pins = (0..rng.gen_range(0..=2)).map(|_| rng.gen_range(0..nl)).collect();
        spec.forbid = (0..rng.gen_range(0..=2)).map(|_| rng.gen_range(0..64)).collect();
        spec.min_score = rng.gen_bool(0.3).then(|| rng.gen_range(0..=60));
    }
    let t = TinySeason {
        programmes,
        schools,
        learners,
        workplaces,
        recognitions,
        candidates,
        lon_step: 0.0,
        max_commute_km: 20.0,
    };
    (t, spec)
}

/// The tiny season with one more seat at recognition `g` and, with `cap`,
/// one more unit of capacity at its site.
fn bumped(t: &TinySeason, g: Option<usize>, cap: bool) -> TinySeason {
    let mut t = t.clone();
    if let Some(g) = g {
        t.recognitions[g].2 += 1;
        if cap {
            let w = t.recognitions[g].0;
            t.workplaces[w].0 = t.workplaces[w].0.map(|c| c + 1);
        }
    }
    t
}

/// What pins are: hard, or kept placements with a bonus on the kept arc (the
/// relaxation `rematch --allow-moves` solves: the learner must stay placed,
/// preferably at the pinned site).
#[derive(Clone, Copy, Debug)]
enum Pins {
    Hard,
    Kept(i64),
}

/// The model of `season` under `cons` with the pins as `pins` says.
fn model<'a>(
    season: &'a Season,
    cands: &'a Candidates,
    cons: &'a Constraints,
    pins: Pins,
) -> Option<PlacementModel<'a>> {
    let m = PlacementModel::new(season, cands, cons).ok()?;
    Some(match pins {
        Pins::Hard => m,
        Pins::Kept(bonus) => {
            let mut soft = m.soften_pins();
            soft.set_keep_bonus(bonus);
            soft
        }
    })
}

/// The model's objective (integer weights, kept bonus included).
fn objective(m: &PlacementModel, a: &Assignment) -> i128 {
    (0..m.learner_count())
        .filter_map(|li| {
            let l = LearnerId::from_index(li);
            let c = a.placement[li]? as usize;
            let arc = m.arcs_of(l).find(|&x| m.arc_candidate(x) == c)?;
            Some(i128::from(m.arc_weight(l, arc)))
        })
        .sum()
}

/// The max-fit optimum of `season` under `cons`, with learner `pin.0` placed
/// at site `pin.1`; `None` when infeasible. With kept pins the forced
/// learner is kept too, with the other sites forbidden, and its bonus is
/// taken off again.
fn optimum(season: &Season, cons: &Constraints, pins: Pins, pin: Option<(LearnerId, WorkplaceId)>) -> Option<i128> {
    let cands = Candidates::from_season_candidates(season).unwrap();
    let mut cons = cons.clone();
    let mut bonus = 0;
    if let Some((l, w)) = pin {
        cons.pins.push((l, w));
        if let Pins::Kept(b) = pins {
            let others = (0..season.workplaces().len()).map(WorkplaceId::from_index).filter(|&x| x != w);
            cons.forbidden.extend(others.map(|x| (l, x)));
            cons.forbidden.sort_unstable();
            cons.forbidden.dedup();
            bonus = i128::from(b);
        }
    }
    let m = model(season, &cands, &cons, pins)?;
    network::solve(&m, Objective::MaxFit).ok().map(|s| objective(&m, &s.assignment) - bonus)
}

/// Applies `moves` to `base` in `season` (each learner must be where the move
/// starts) and returns the total weight when the result is feasible.
fn apply(season: &Season, cons: &Constraints, pins: Pins, base: &Assignment, moves: &[Move]) -> Result<i128, String> {
    let cands = Candidates::from_season_candidates(season).unwrap();
    let mut placement = base.placement.clone();
    for mv in moves {
        let at = placement[mv.learner.index()].map(|c| cands.group[c as usize]);
        if at != mv.from {
            return Err(format!("move {mv:?} but the learner is at {at:?}"));
        }
        placement[mv.learner.index()] = match mv.to {
            Some(g) => Some(cands.of(mv.learner).find(|&c| cands.group[c] == g).ok_or("no such pair")? as u32),
            None => None,
        };
    }
    let m = model(season, &cands, cons, pins).ok_or("no model")?;
    let a = Assignment { placement };
    a.check(&m)?;
    Ok(objective(&m, &a))
}

/// What the checks saw, so that a run proves it covered the interesting cases.
#[derive(Debug, Default)]
struct Seen {
    instances: usize,
    positive_seats: usize,
    joint_values: usize,
    joint_above_seat: usize,
    chains: usize,
    options: usize,
    this_learner: usize,
    other_learner: usize,
    seat_and_capacity: usize,
    gives_way: usize,
    inexact: usize,
    /// Seasons whose dual start needed repair, and with per-group trees at
    /// full sites.
    repaired: usize,
    site_trees: usize,
    /// Seat values won by a chain that does not pass T.
    off_t: usize,
}

fn check(t: &TinySeason, spec: &Spec, pins: Pins, seen: &mut Seen) -> Result<(), String> {
    let season = t.build();
    let cands = Candidates::from_season_candidates(&season).unwrap();
    let cons = TinyConstraints {
        bounds: &spec.bounds,
        reserve: spec.reserve,
        pins: &spec.pins,
        forbid: &spec.forbid,
        min_score: spec.min_score,
    }
    .build(t, &season);
    let Some(m) = model(&season, &cands, &cons, pins) else { return Ok(()) };
    let Ok(solved) = network::solve(&m, Objective::MaxFit) else { return Ok(()) };
    let adv: Advice = advice::compute_with(&m, &solved, Options { top: usize::MAX }).map_err(|e| e.to_string())?;
    seen.instances += 1;
    seen.repaired += usize::from(adv.stats.relabels > 0);
    seen.site_trees += usize::from(adv.stats.site_trees > 0);
    seen.off_t += adv.stats.off_t;
    let opt0 = objective(&m, &solved.assignment);
    let a0 = &solved.assignment;
    for (gi, sa) in adv.seats.iter().enumerate() {
        let g = GroupId::from_index(gi);
        let grp = season.group(g);
        let cap = season.workplace(grp.workplace).capacity;
        let (w, p, _) = t.recognitions[gi];
        assert_eq!((grp.workplace.index(), grp.programme.index()), (w, p), "group order follows recognitions");
        if !sa.evaluated {
            if grp.seats != 0 && cap != Some(0) {
                return Err(format!("group {gi} not evaluated"));
            }
            continue;
        }
        let more = bumped(t, Some(gi), false).build();
        let opt1 = optimum(&more, &cons, pins, None).ok_or("extra seat made it infeasible")?;
        if opt1 - opt0 != i128::from(sa.seat.gain) {
            return Err(format!("group {gi}: seat value {} but re-solve gains {}", sa.seat.gain, opt1 - opt0));
        }
        if sa.seat.gain > 0 {
            seen.positive_seats += 1;
        }
        if let Some((taker, chain)) = &sa.seat.taker {
            check_chain(&more, &cons, pins, a0, chain, *taker, g, opt0 + i128::from(sa.seat.gain), "seat")?;
            seen.chains += 1;
        }
        let placed_here = a0
            .placement
            .iter()
            .flatten()
            .filter(|&&c| season.group(cands.group[c as usize]).workplace == grp.workplace)
            .count();
        let full = cap.is_some_and(|c| placed_here as u32 >= c);
        if full != sa.with_capacity.is_some() {
            return Err(format!("group {gi}: site full {full} but joint value {:?}", sa.with_capacity));
        }
        if cap.is_some() {
            let both = bumped(t, Some(gi), true).build();
            let opt2 = optimum(&both, &cons, pins, None).ok_or("extra seat and capacity made it infeasible")?;
            let expect = sa.with_capacity.as_ref().map_or(sa.seat.gain, |u| u.gain);
            if opt2 - opt0 != i128::from(expect) {
                return Err(format!("group {gi}: seat+capacity value {expect} but re-solve gains {}", opt2 - opt0));
            }
            if let Some(u) = &sa.with_capacity {
                seen.joint_values += 1;
                if u.gain > sa.seat.gain {
                    seen.joint_above_seat += 1;
                }
                if let Some((taker, chain)) = &u.taker {
                    let to = chain.last().and_then(|mv| mv.to).ok_or("empty chain")?;
                    if sa.capacity_alone == (to == g) {
                        return Err(format!(
                            "group {gi}: capacity_alone {} but chain ends at {to:?}",
                            sa.capacity_alone
                        ));
                    }
                    check_chain(&both, &cons, pins, a0, chain, *taker, to, opt0 + i128::from(u.gain), "seat+capacity")?;
                }
            }
        }
    }
    check_waitlist(t, &season, &m, &cons, pins, &adv, a0, opt0, seen)
}

/// The chain ends with `taker` going to `to`, and applied to `a0` in `season`
/// it is feasible and worth `expect`.
#[allow(clippy::too_many_arguments)]
fn check_chain(
    season: &Season,
    cons: &Constraints,
    pins: Pins,
    a0: &Assignment,
    chain: &[Move],
    taker: LearnerId,
    to: GroupId,
    expect: i128,
    what: &str,
) -> Result<(), String> {
    let last = chain.last().ok_or("empty chain")?;
    if last.learner != taker || last.to != Some(to) {
        return Err(format!("{what} chain {chain:?} does not end with {taker:?} to {to:?}"));
    }
    let got = apply(season, cons, pins, a0, chain).map_err(|e| format!("{what} chain {chain:?}: {e}"))?;
    if got != expect {
        return Err(format!("{what} chain {chain:?} reaches {got}, value says {expect}"));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn check_waitlist(
    t: &TinySeason,
    season: &Season,
    m: &PlacementModel,
    cons: &Constraints,
    pins: Pins,
    adv: &Advice,
    a0: &Assignment,
    opt0: i128,
    seen: &mut Seen,
) -> Result<(), String> {
    let mut could_place = vec![0u32; season.groups().len()];
    for li in 0..season.learners().len() {
        let l = LearnerId::from_index(li);
        if a0.placement[li].is_some() {
            if adv.waitlist.iter().any(|e| e.learner == l) {
                return Err(format!("placed learner {li} on the waiting list"));
            }
            continue;
        }
        let options = adv.waitlist.iter().find(|e| e.learner == l).map_or(&[][..], |e| &e.options[..]);
        for a in m.arcs_of(l) {
            let g = m.arc_group(a);
            let w = season.group(g).workplace;
            let sa = &adv.seats[g.index()];
            let more = bumped(t, Some(g.index()), false).build();
            let forced_seat = optimum(&more, cons, pins, Some((l, w))).map(|o| o - opt0);
            let both = season.workplace(w).capacity.map(|_| bumped(t, Some(g.index()), true).build());
            let forced_both = both.as_ref().and_then(|b| optimum(b, cons, pins, Some((l, w)))).map(|o| o - opt0);
            let Some(o) = options.iter().find(|o| o.group == g) else {
                // Left off: neither the seat nor seat and capacity gains anything.
                let best = forced_seat.max(if sa.with_capacity.is_some() { forced_both } else { None });
                if best.is_some_and(|b| b > 0) {
                    return Err(format!("learner {li} at group {}: not listed but gains {best:?}", g.index()));
                }
                continue;
            };
            seen.options += 1;
            let (season_used, forced, value) = match o.needs {
                Needs::Seat => (&more, forced_seat, sa.seat.gain),
                Needs::SeatAndCapacity => {
                    seen.seat_and_capacity += 1;
                    if o.is_exact() && forced_seat.is_some_and(|f| f >= i128::from(o.gain)) {
                        return Err(format!(
                            "learner {li}: needs seat+capacity but the seat alone gains {forced_seat:?}"
                        ));
                    }
                    (
                        both.as_ref().ok_or("capacity without a site capacity")?,
                        forced_both,
                        sa.with_capacity.as_ref().ok_or("no joint value")?.gain,
                    )
                }
                Needs::Capacity => return Err("a waiting-list option needs capacity alone".into()),
            };
            let forced = forced.ok_or(format!("learner {li} at group {}: listed but infeasible", g.index()))?;
            if o.value != value {
                return Err(format!("option value {} vs seat advice {value}", o.value));
            }
            if !o.is_exact() {
                seen.inexact += 1;
            }
            if forced < i128::from(o.gain) || forced > i128::from(o.gain_at_most) {
                return Err(format!(
                    "learner {li} at group {} ({:?}): gain {}..={} but re-solve gains {forced}",
                    g.index(),
                    o.needs,
                    o.gain,
                    o.gain_at_most
                ));
            }
            let this = forced == i128::from(value);
            match o.best_use {
                BestUse::ThisLearner => {
                    seen.this_learner += 1;
                    if !this {
                        return Err(format!(
                            "learner {li} at group {}: 'this learner' but forced {forced} < value {value}",
                            g.index()
                        ));
                    }
                    if sa.needs().is_some_and(|(n, _)| n == o.needs) {
                        could_place[g.index()] += 1;
                    }
                }
                BestUse::Other(x) => {
                    seen.other_learner += 1;
                    if this {
                        return Err(format!(
                            "learner {li} at group {}: 'other' ({x:?}) but forced equals value {value}",
                            g.index()
                        ));
                    }
                }
                BestUse::Undetermined(_) => {
                    if o.is_exact() {
                        return Err("undetermined best use with an exact gain".into());
                    }
                }
            }
            // The learner's own chain: who gives way, then the learner.
            let mut chain = o.gives_way.clone();
            if !chain.is_empty() {
                seen.gives_way += 1;
            }
            chain.push(Move { learner: l, from: None, to: Some(g) });
            let got =
                apply(season_used, cons, pins, a0, &chain).map_err(|e| format!("learner {li} chain {chain:?}: {e}"))?;
            if got != opt0 + i128::from(o.gain) {
                return Err(format!("learner {li} chain {chain:?} reaches {got}, gain says {}", o.gain));
            }
        }
    }
    for (gi, sa) in adv.seats.iter().enumerate() {
        if sa.could_place != could_place[gi] {
            return Err(format!("group {gi}: could_place {} but {} learners", sa.could_place, could_place[gi]));
        }
    }
    Ok(())
}

fn run(constrained: bool, shape: Shape, seeds: std::ops::Range<u64>) -> Seen {
    run_with(constrained, shape, seeds, |_| Pins::Hard)
}

fn run_with(constrained: bool, shape: Shape, seeds: std::ops::Range<u64>, pins: impl Fn(u64) -> Pins) -> Seen {
    let mut seen = Seen::default();
    for seed in seeds {
        let (t, spec) = instance(seed, constrained, shape);
        if let Err(e) = check(&t, &spec, pins(seed), &mut seen) {
            panic!("seed {seed} (constrained: {constrained}): {e}\n{t:#?}\n{spec:#?}");
        }
    }
    seen
}

/// Many more seeds: `ADVICE_SEEDS=50000 cargo test --release --test advice -- --ignored`.
#[test]
#[ignore]
fn advice_equals_resolves_many_seeds() {
    let n: u64 = std::env::var("ADVICE_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    eprintln!("{:?}", run(false, TINY, 100_000..100_000 + n));
    eprintln!("{:?}", run(true, TINY, 200_000..200_000 + n));
    eprintln!("{:?}", run(false, CROWDED, 300_000..300_000 + n / 10));
    eprintln!("{:?}", run(true, CROWDED, 400_000..400_000 + n / 10));
    eprintln!("{:?}", run_with(true, TINY, 500_000..500_000 + n, |seed| Pins::Kept(3_000_000 * (seed % 5) as i64)));
}

#[test]
fn advice_equals_resolves_without_constraints() {
    let seen = run(false, TINY, 0..1_500);
    eprintln!("{seen:?}");
    assert!(seen.instances == 1_500);
    assert!(seen.positive_seats > 500 && seen.chains > 500);
    assert!(seen.joint_values > 300 && seen.joint_above_seat > 200);
    assert!(seen.this_learner > 500 && seen.other_learner > 500);
    assert!(seen.seat_and_capacity > 200 && seen.site_trees > 50);
}

#[test]
fn advice_equals_resolves_with_constraints() {
    let seen = run(true, TINY, 1_000..3_000);
    eprintln!("{seen:?}");
    assert!(seen.instances > 1_200);
    assert!(seen.positive_seats > 400 && seen.chains > 400);
    assert!(seen.this_learner > 400 && seen.other_learner > 300);
    assert!(seen.gives_way > 15 && seen.inexact > 3);
    assert!(seen.repaired > 10 && seen.site_trees > 50);
}

/// Pins turned into kept placements with a bonus (`rematch --allow-moves`):
/// kept learners may move but not leave, and values include the bonus.
#[test]
fn advice_equals_resolves_with_kept_placements() {
    let seen = run_with(true, TINY, 3_000..4_500, |seed| Pins::Kept(5_000_000 * (seed % 4) as i64));
    let crowded = run_with(true, CROWDED, 7_000..7_150, |seed| Pins::Kept(7_000_000 * (seed % 3) as i64));
    eprintln!("{seen:?}\n{crowded:?}");
    assert!(seen.instances > 1_000 && seen.positive_seats > 300 && seen.this_learner > 300);
    assert!(crowded.instances > 100 && crowded.site_trees > 50);
}

/// Denser seasons (3 programmes, shared full sites): capacity passes between
/// programmes in chains that do not go through the unplaced side, which
/// tiny seasons almost never show.
#[test]
fn advice_equals_resolves_on_crowded_seasons() {
    let seen = run(false, CROWDED, 5_000..5_400);
    let constrained = run(true, CROWDED, 6_000..6_400);
    eprintln!("{seen:?}\n{constrained:?}");
    assert!(seen.off_t + constrained.off_t > 8, "chains that do not pass T win somewhere");
    assert!(seen.site_trees > 200 && seen.positive_seats > 400 && constrained.repaired > 50);
}

/// A scored synthetic season, solved, and its advice under a pool of
/// `threads` threads.
fn synthetic_advice(seed: u64, threads: usize) -> Advice {
    use dualmatch_core::scoring::Weights;
    use dualmatch_core::synth::{generate, SynthParams};
    let params = SynthParams { learners: 3_000, workplaces: 1_500, schools: 8, programmes: 6, seed };
    let season = dualmatch_core::season::from_doc(generate(&params)).unwrap().season;
    let cands = Candidates::generate(&season, &Weights::default(), None);
    let cons = Constraints::none();
    let m = PlacementModel::new(&season, &cands, &cons).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        let solved = network::solve(&m, Objective::MaxFit).unwrap();
        advice::compute(&m, &solved).unwrap()
    })
}

#[test]
fn advice_does_not_depend_on_the_thread_count() {
    let one = synthetic_advice(7, 1);
    assert!(one.stats.site_trees > 0 && !one.waitlist.is_empty());
    assert!(one.seats.iter().any(|s| s.seat.gain > 0));
    assert_eq!(one, synthetic_advice(7, 4));
}

/// Times the solve and the advice on a season directory:
/// `ADVICE_SEASON=/tmp/fl cargo test --release -p dualmatch-optimiser --test advice -- --ignored --nocapture time_advice`
/// (`ADVICE_REPEAT=1` for a national season: solves are timed best of
/// `ADVICE_REPEAT`, the advice best of two more).
#[test]
#[ignore]
fn time_advice() {
    use dualmatch_core::scoring::Weights;
    use std::time::Instant;
    let Ok(path) = std::env::var("ADVICE_SEASON") else { return };
    let season = dualmatch_core::season::load(std::path::Path::new(&path)).unwrap().season;
    let cands = Candidates::from_season_candidates(&season)
        .unwrap_or_else(|| Candidates::generate(&season, &Weights::default(), None));
    let cons = Constraints::none();
    let m = PlacementModel::new(&season, &cands, &cons).unwrap();
    let repeat: usize = std::env::var("ADVICE_REPEAT").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    let (mut solve, mut solved) = (f64::INFINITY, None);
    for _ in 0..repeat {
        let t = Instant::now();
        solved = Some(network::solve(&m, Objective::MaxFit).unwrap());
        solve = solve.min(t.elapsed().as_secs_f64());
    }
    let solved = solved.unwrap();
    let mut best = f64::INFINITY;
    let mut adv = None;
    for _ in 0..repeat + 2 {
        let t = Instant::now();
        adv = Some(advice::compute(&m, &solved).unwrap());
        best = best.min(t.elapsed().as_secs_f64());
    }
    let adv = adv.unwrap();
    let positive = adv.seats.iter().filter(|s| s.seat.gain > 0).count();
    let rows: usize = adv.waitlist.iter().map(|e| e.options.len()).sum();
    eprintln!(
        "{path}: {} learners, {} arcs, placed {}; solve {solve:.3} s, advice {best:.3} s (best of {repeat} and {}) ({:.1}% of solve); \
         {positive} recognitions with a positive seat value, {} learners / {rows} waiting-list rows; {:?}",
        m.learner_count(),
        m.arc_count(),
        solved.assignment.placed(),
        repeat + 2,
        100.0 * best / solve,
        adv.waitlist.len(),
        adv.stats
    );
}
