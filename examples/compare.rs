//! Three allocation policies side by side on the sample season, the
//! randomised one under five seeds.
//!
//! ```sh
//! cargo run -p dualmatch --example compare
//! ```

use dualmatch::{Engine, Policy, Season};

fn main() -> Result<(), dualmatch::Error> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/sample");
    let season = Season::load(path)?;
    let policies = [Policy::MaxFit, Policy::Stable, Policy::FirstCome];
    let rows = Engine::new(&season).compare(&policies, 5, 1)?;
    println!("{:<12} {:>5} {:>7} {:>11}", "policy", "seed", "placed", "mean score");
    for r in &rows {
        let seed = r.seed.map_or("-".to_string(), |s| s.to_string());
        match &r.result {
            Ok(m) => println!("{:<12} {:>5} {:>7} {:>11.2}", r.policy, seed, m.placed, m.mean_score),
            Err(inf) => println!("{:<12} {:>5} infeasible: {}", r.policy, seed, inf.describe(&season).join("; ")),
        }
    }
    assert_eq!(rows.len(), 1 + 5 + 5, "max-fit once, stable and first-come under five seeds");
    Ok(())
}
