//! Fuzzes a `candidates.csv` read against the base season: parsing, then
//! validation of every reference and duplicate.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dualmatch_fuzz::targets::candidates_csv(data));
