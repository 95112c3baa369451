//! The exact solve phase of `dualmatch match`, split by phase, on a season
//! directory (the anchors' S, M, L instances in `benches/anchors.sh`):
//!
//! ```text
//! cargo bench -p dualmatch --bench solve_phases -- SEASON [max-fit|max-placed] [RUNS]
//! ```
//!
//! Loads the season once, then `RUNS` times (default 5): `Engine::solve` (the
//! whole solve phase that `summary.json`'s `timings.solve` reports: the
//! placement model, the exact solve, the check of the result, the unplaced
//! learners' reasons), and apart from it the placement model alone and the
//! exact network solve split by [`Phase`] (summed over components and
//! threads, from `network::PHASES`). Prints the run with the fastest network
//! solve, and the best `Engine::solve`.

use std::time::Instant;

use dualmatch::optimiser::network::{self, Phase, PHASES};
use dualmatch::optimiser::Objective;
use dualmatch::{Engine, Policy, Season};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: cargo bench -p dualmatch --bench solve_phases -- SEASON [max-fit|max-placed] [RUNS]");
        return;
    };
    let (policy, objective) = match args.get(1).map(String::as_str) {
        None | Some("max-fit") => (Policy::MaxFit, Objective::MaxFit),
        Some("max-placed") => (Policy::MaxPlaced, Objective::MaxPlaced),
        Some(other) => panic!("unknown policy {other}: max-fit or max-placed"),
    };
    let runs: usize = args.get(2).map_or(5, |r| r.parse().expect("RUNS is a number"));
    let season = Season::load(dir).expect("the season loads");
    let engine = Engine::new(&season).policy(policy);
    engine.candidates().expect("the candidates score");
    let mut best_engine = f64::INFINITY;
    let mut best_model = f64::INFINITY;
    let mut best: Option<(f64, [(Phase, f64); 7])> = None;
    for _ in 0..runs {
        let t = Instant::now();
        engine.solve().expect("the season solves");
        best_engine = best_engine.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let model = engine.model().expect("the model builds");
        best_model = best_model.min(t.elapsed().as_secs_f64());
        PHASES.take();
        let t = Instant::now();
        network::solve(&model, objective).expect("the model solves");
        let total = t.elapsed().as_secs_f64();
        let phases = PHASES.take();
        if best.as_ref().is_none_or(|(b, _)| total < *b) {
            best = Some((total, phases));
        }
    }
    let (total, phases) = best.expect("at least one run");
    let split: Vec<String> = phases.iter().map(|(p, s)| format!("{} {:.4}", p.name(), s)).collect();
    println!(
        "solve phase {best_engine:.4}s: model {best_model:.4}s, network::solve {total:.4}s ({})",
        split.join(", ")
    );
}
