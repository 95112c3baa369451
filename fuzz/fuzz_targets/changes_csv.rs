//! Fuzzes `changes.csv` parsing (re-matching events) against the base season.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dualmatch_fuzz::targets::changes_csv(data));
