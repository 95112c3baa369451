//! Fuzzes `changes.csv` parsing (re-matching events) against the base season.
#![no_main]

use dualmatch_optimiser::changes::{self, Change};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let season = dualmatch_fuzz::base_season();
    match changes::parse(text, "changes.csv", season) {
        Ok(list) => {
            for c in &list {
                if let Change::Seats(g, _) = c {
                    assert!(g.index() < season.groups().len());
                }
            }
        }
        Err(e) => assert!(!e.0.is_empty() && e.0.iter().all(|m| m.starts_with("changes.csv")), "{e:?}"),
    }
});
