//! Fuzzes the CSV reader of every season table: the first byte picks the
//! table, the rest is the file's content.
#![no_main]

use dualmatch_core::season::{self, TableName};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, csv)) = data.split_first() else { return };
    let table = TableName::ALL[usize::from(pick) % TableName::ALL.len()];
    let (doc, diags) = season::read_csv_table_bytes(table, csv, "fuzz.csv");
    let _ = diags.to_string();
    // Whatever rows came through must validate without panicking, alone and
    // laid over the base season.
    dualmatch_fuzz::check_load(&season::from_doc(doc.clone()));
    let mut full = dualmatch_fuzz::base_doc().clone();
    match table {
        TableName::Programmes => full.programmes = doc.programmes,
        TableName::Schools => full.schools = doc.schools,
        TableName::Learners => full.learners = doc.learners,
        TableName::Workplaces => full.workplaces = doc.workplaces,
        TableName::Recognitions => full.recognitions = doc.recognitions,
        TableName::Candidates => full.candidates = doc.candidates,
    }
    dualmatch_fuzz::check_load(&season::from_doc(full));
});
