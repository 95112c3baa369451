//! Allocation policy benchmark: `cargo bench -p dualmatch-optimiser --bench policies`.
//!
//! 1. `stable` (learner-proposing deferred acceptance) on 50,000 learners ×
//!    5,000 sites: one programme, each site one recognition with 12 seats
//!    (60,000 seats), each learner an explicit strict list of 20 random sites
//!    that are also its candidate pairs (random integer scores 0..=100; sites
//!    have no lists, so they rank by score, ties by the seed's lottery). Times
//!    the season validation, the model construction and `allocate(stable)`
//!    separately (the minimum of 5 runs each for the last two). Target: < 0.2 s
//!    for `allocate`.
//! 2. The `compare` command's workload on the `flanders` preset (seed 1): the
//!    first ten policies of [`policies::ALL`] (those of the measured figure in
//!    the README; issue 17's rank-profile policies and `ttc` are not timed
//!    here yet), 20 seeds for the randomised ones and one run
//!    for the deterministic ones, run in parallel with rayon exactly as the CLI
//!    does (`par_iter` over the jobs, each `allocate` then `metrics::evaluate`).
//!    Times the whole batch and prints each policy's mean seconds per run.
//!    Target: < 60 s on 2 cores. Scope: the runs only. Generating the season,
//!    scoring it and building the model happen once, before the clock starts
//!    (their time is printed apart); reading a season from disk and writing
//!    the results and the report (`dualmatch compare … --out`) are not part
//!    of it. The README gives the end-to-end `dualmatch compare` time apart.
//!
//! Pass `stable` or `compare` as an argument to run only that part; `--seeds N`
//! changes the number of seeds of part 2.

use std::time::Instant;

use dualmatch_core::scoring::{Candidates, Weights};
use dualmatch_core::season::doc::*;
use dualmatch_core::season::{self, Season};
use dualmatch_core::synth::{generate, Preset, SynthParams};
use dualmatch_optimiser::policies::{self, allocate, by_name, Prefs, Ties};
use dualmatch_optimiser::{metrics, Constraints, PlacementModel};
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

const LEARNERS: usize = 50_000;
const SITES: usize = 5_000;
const SEATS: u32 = 12;
const LIST: usize = 20;
const RUNS: usize = 5;

/// The in-memory season of part 1.
fn stable_doc(seed: u64) -> SeasonDoc {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let site_id = |w: usize| format!("W{w:05}");
    let mut learners = Vec::with_capacity(LEARNERS);
    let mut candidates = Vec::with_capacity(LEARNERS * LIST);
    for k in 0..LEARNERS {
        let list: Vec<usize> = sample(&mut rng, SITES, LIST).into_vec();
        let id = format!("L{k:05}");
        for &w in &list {
            candidates.push(CandidateRec {
                learner: id.clone(),
                workplace: site_id(w),
                programme: "P1".into(),
                score: f64::from(rng.gen_range(0..=100u32)),
                row: 0,
            });
        }
        learners.push(LearnerRec {
            rhythm: None,
            id,
            school: format!("S{}", k % 10),
            programme: "P1".into(),
            lat: 51.0,
            lon: 4.0,
            max_commute_km: 50.0,
            readiness: 3,
            screening: Screening::Passed,
            attributes: vec![],
            preferences: list.iter().map(|&w| site_id(w)).collect(),
            priority_group: None,
            row: 0,
        });
    }
    SeasonDoc {
        mentors: None,
        programmes: vec![ProgrammeRec { rhythm: None, id: "P1".into(), name: "Programme".into(), row: 0 }],
        schools: (0..10)
            .map(|s| SchoolRec {
                rhythm: None,
                id: format!("S{s}"),
                name: format!("School {s}"),
                lat: 51.0,
                lon: 4.0,
                row: 0,
            })
            .collect(),
        learners,
        workplaces: (0..SITES)
            .map(|w| WorkplaceRec {
                id: site_id(w),
                company: "c".into(),
                lat: 51.0,
                lon: 4.0,
                capacity: None,
                min_readiness: 1,
                requires: vec![],
                partner_schools: vec![],
                preferences: vec![],
                row: 0,
            })
            .collect(),
        recognitions: (0..SITES)
            .map(|w| RecognitionRec { workplace: site_id(w), programme: "P1".into(), seats: SEATS, row: 0 })
            .collect(),
        candidates: Some(candidates.into()),
        outcomes: None,
    }
}

/// Minimum seconds of `runs` calls of `f`, and its last result.
fn min_time<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.expect("at least one run"))
}

fn bench_stable() {
    let t = Instant::now();
    let doc = stable_doc(7);
    let build_doc = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let season: Season = season::from_doc(doc).expect("benchmark season is valid").season;
    let cands = Candidates::from_season_candidates(&season).expect("season has candidates");
    let load = t.elapsed().as_secs_f64();
    let none = Constraints::none();
    let (model_s, _) = min_time(RUNS, || PlacementModel::new(&season, &cands, &none).expect("no pins"));
    let m = PlacementModel::new(&season, &cands, &none).expect("no pins");
    let stable = by_name("stable").expect("stable exists");
    let mut seed = 0;
    let (stable_s, a) = min_time(RUNS, || {
        seed += 1;
        allocate(stable.as_ref(), &m, seed, false).expect("no constraints to fail")
    });
    let (prefs_s, _) = min_time(RUNS, || Prefs::new(&m, Ties::Lottery(1)));
    let (eval_s, met) = min_time(1, || metrics::evaluate(&m, &a));
    assert_eq!(met.blocking_pairs, 0, "stable result has blocking pairs");
    println!(
        "season {LEARNERS}x{SITES} lists={LIST}: {} arcs; doc built in {build_doc:.3} s, validated + candidates in \
         {load:.3} s; placed {} of {LEARNERS}, first choice {}",
        m.arc_count(),
        a.placed(),
        met.rank.first_choice
    );
    println!("model {LEARNERS}x{SITES} lists={LIST}: min_s={model_s:.4} (PlacementModel::new, min of {RUNS})");
    println!(
        "stable {LEARNERS}x{SITES} lists={LIST}: min_s={stable_s:.4} (allocate, min of {RUNS}; target < 0.2) {}",
        if stable_s < 0.2 { "OK" } else { "SLOW" }
    );
    println!(
        "  of which the preference reading (Prefs::new): min_s={prefs_s:.4}; metrics::evaluate of the result: \
         s={eval_s:.4}"
    );
}

fn bench_compare(seeds: u64) {
    let t = Instant::now();
    let doc = generate(&SynthParams::preset(Preset::Flanders, 1));
    let season = season::from_doc(doc).expect("synthetic season is valid").season;
    let cands = Candidates::generate(&season, &Weights::default(), None);
    let none = Constraints::none();
    let m = PlacementModel::new(&season, &cands, &none).expect("no pins");
    println!(
        "flanders: {} learners, {} sites, {} arcs; season + candidates + model in {:.2} s; {} threads",
        season.learners().len(),
        season.workplaces().len(),
        m.arc_count(),
        t.elapsed().as_secs_f64(),
        rayon::current_num_threads()
    );
    let chosen: Vec<_> = policies::ALL.iter().take(10).map(|n| by_name(n).expect("known policy")).collect();
    let mut jobs: Vec<(usize, Option<u64>)> = Vec::new();
    for (pi, p) in chosen.iter().enumerate() {
        if p.randomised() {
            jobs.extend((0..seeds).map(|k| (pi, Some(1 + k))));
        } else {
            jobs.push((pi, None));
        }
    }
    let t = Instant::now();
    let runs: Vec<(usize, f64, bool)> = jobs
        .par_iter()
        .map(|&(pi, seed)| {
            let t = Instant::now();
            let ok =
                allocate(chosen[pi].as_ref(), &m, seed.unwrap_or(1), false).map(|a| metrics::evaluate(&m, &a)).is_ok();
            (pi, t.elapsed().as_secs_f64(), ok)
        })
        .collect();
    let total = t.elapsed().as_secs_f64();
    println!(
        "compare flanders {} policies x {seeds} seeds: runs={} s={total:.2} (target < 60 s on 2 cores) {}",
        chosen.len(),
        runs.len(),
        if total < 60.0 { "OK" } else { "SLOW" }
    );
    for (pi, p) in chosen.iter().enumerate() {
        let mine: Vec<&(usize, f64, bool)> = runs.iter().filter(|r| r.0 == pi).collect();
        let mean = mine.iter().map(|r| r.1).sum::<f64>() / mine.len().max(1) as f64;
        let max = mine.iter().map(|r| r.1).fold(0.0, f64::max);
        let failed = mine.iter().filter(|r| !r.2).count();
        println!(
            "  {:<20} runs={:<3} mean_s={mean:.4} max_s={max:.4}{}",
            p.name(),
            mine.len(),
            if failed > 0 { format!(" failed={failed}") } else { String::new() }
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seeds = args
        .iter()
        .position(|a| a == "--seeds")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let only: Vec<&str> = args.iter().map(String::as_str).filter(|a| matches!(*a, "stable" | "compare")).collect();
    if only.is_empty() || only.contains(&"stable") {
        bench_stable();
    }
    if only.is_empty() || only.contains(&"compare") {
        bench_compare(seeds);
    }
}
