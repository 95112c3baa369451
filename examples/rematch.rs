//! Re-matching during the season: match, then a learner leaves and a site
//! withdraws its seats; re-place the affected learners around every
//! placement that is still valid.
//!
//! ```sh
//! cargo run -p dualmatch --example rematch
//! ```

use dualmatch::{Engine, PreviousPlacement, RematchOptions, Season};

fn main() -> Result<(), dualmatch::Error> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/sample");
    let season = Season::load(path)?;
    let engine = Engine::new(&season);
    let first = engine.solve()?;
    let previous: Vec<PreviousPlacement> = first
        .placements()
        .map(|p| PreviousPlacement {
            learner: p.learner_id().to_string(),
            workplace: p.workplace_id().to_string(),
            programme: p.programme_id().to_string(),
        })
        .collect();
    // The first placed learner leaves; the second one's site withdraws every seat of that recognition.
    let mut placed = first.placements();
    let leaver = placed.next().expect("someone is placed");
    let other = placed.next().expect("two are placed");
    let seats = season.group(other.group()).seats;
    let changes_csv = format!(
        "event,learner,workplace,programme,seats\nlearner_left,{},,,\nseats_withdrawn,,{},{},{seats}\n",
        leaver.learner_id(),
        other.workplace_id(),
        other.programme_id(),
    );
    let changes = engine.parse_changes(&changes_csv, "changes.csv")?;
    let r = engine.rematch(&previous, &changes, RematchOptions::default())?;
    println!("changes:\n{changes_csv}");
    println!(
        "{} placements kept, {} pinned, {} displaced by the withdrawn seats",
        r.kept(),
        r.plan().pinned(),
        r.plan().displaced
    );
    for ch in r.changes() {
        let id = &r.season().learner(ch.learner).id;
        let site =
            |w: Option<dualmatch::WorkplaceId>| w.map_or("-".to_string(), |w| r.season().workplace(w).id.clone());
        println!("{id}: {} ({} → {})", ch.kind.as_str(), site(ch.before), site(ch.after));
    }
    assert!(r.plan().displaced >= 1, "the withdrawn seats displace the learner placed there");
    Ok(())
}
