//! Fuzzes loading a season from JSON text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dualmatch_fuzz::targets::season_json(data));
