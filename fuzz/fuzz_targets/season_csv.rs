//! Fuzzes the CSV reader of every season table: the first byte picks the
//! table, the rest is the file's content.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dualmatch_fuzz::targets::season_csv(data));
