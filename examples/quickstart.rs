//! Quickstart: load the sample season, match it optimally, print the proof,
//! the placed count and the first placements.
//!
//! ```sh
//! cargo run -p dualmatch --example quickstart            # data/sample
//! cargo run -p dualmatch --example quickstart -- SEASON  # any season
//! ```

use dualmatch::{Engine, Policy, Season};

fn main() -> Result<(), dualmatch::Error> {
    let path =
        std::env::args().nth(1).unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/sample").into());
    let season = Season::load(&path)?;
    let run = Engine::new(&season).policy(Policy::MaxFit).solve()?;
    println!("placed {} of {} learners, total score {:.2}", run.placed(), season.learners().len(), run.total_score());
    if let (Some(proof), Some(gap)) = (run.proof(), run.gap()) {
        println!("optimal: bound {:.2}, gap {gap:.6} ({})", proof.bound, proof.method);
    }
    for p in run.placements().take(5) {
        println!("{} → {} ({}) score {:.1}", p.learner_id(), p.workplace_id(), p.programme_id(), p.score());
    }
    assert!(run.placed() > 0, "the sample season places learners");
    Ok(())
}
