//! Fuzzes `constraints.toml` parsing and id resolution against the base season.
#![no_main]

use dualmatch_optimiser::Constraints;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let season = dualmatch_fuzz::base_season();
    match Constraints::parse(text, "constraints.toml", season) {
        Ok(c) => {
            for b in &c.school_bounds {
                assert!(b.min <= b.max);
            }
            for r in &c.reserves {
                assert!(r.seats <= season.groups()[r.group.index()].seats);
            }
        }
        Err(e) => {
            assert!(!e.0.is_empty(), "an error without a message");
            for err in &e.0 {
                assert!(err.line >= 1 && err.line <= text.lines().count().max(1) + 1, "line {} out of range", err.line);
            }
        }
    }
});
