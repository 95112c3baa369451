//! Fuzzes `constraints.toml` parsing and id resolution against the base season.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dualmatch_fuzz::targets::constraints_toml(data));
