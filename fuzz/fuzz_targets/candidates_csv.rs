//! Fuzzes a `candidates.csv` read against the base season: parsing, then
//! validation of every reference and duplicate.
#![no_main]

use dualmatch_core::season::{self, TableName};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (doc, diags) = season::read_csv_table_bytes(TableName::Candidates, data, "candidates.csv");
    let _ = diags.to_string();
    let mut full = dualmatch_fuzz::base_doc().clone();
    full.candidates = doc.candidates;
    let result = season::from_doc(full);
    dualmatch_fuzz::check_load(&result);
    if let Ok(loaded) = result {
        // Every candidate must point into the season.
        let s = &loaded.season;
        for c in s.candidates().unwrap_or(&[]) {
            assert!(c.learner.index() < s.learners().len());
            assert!(c.group.index() < s.groups().len());
            assert!(c.score.is_finite() && c.score >= 0.0);
        }
    }
});
