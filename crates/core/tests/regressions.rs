//! Regressions for inputs that once crashed or misbehaved, found by fuzzing
//! (see docs/reliability.md) or by review, with the input bytes inline. The
//! fuzz seed corpus (`fuzz/seeds/`) is replayed through the fuzz targets' own
//! code by `fuzz/tests/seeds.rs` (`cargo test --manifest-path
//! fuzz/Cargo.toml`, run by CI).

use dualmatch_core::season::{self, LoadError, SeasonDoc, TableName};

/// The CSV files of `tests/data/base`.
const BASE: [(TableName, &[u8]); 5] = [
    (TableName::Programmes, include_bytes!("../../../tests/data/base/programmes.csv")),
    (TableName::Schools, include_bytes!("../../../tests/data/base/schools.csv")),
    (TableName::Learners, include_bytes!("../../../tests/data/base/learners.csv")),
    (TableName::Workplaces, include_bytes!("../../../tests/data/base/workplaces.csv")),
    (TableName::Recognitions, include_bytes!("../../../tests/data/base/recognitions.csv")),
];

fn base_doc() -> SeasonDoc {
    let mut doc = SeasonDoc::default();
    for (table, bytes) in BASE {
        let (part, diags) = season::read_csv_table_bytes(table, bytes, &table.file_name());
        assert!(!diags.has_errors(), "{diags}");
        doc.programmes.extend(part.programmes);
        doc.schools.extend(part.schools);
        doc.learners.extend(part.learners);
        doc.workplaces.extend(part.workplaces);
        doc.recognitions.extend(part.recognitions);
    }
    doc
}

/// What the fuzz targets check of every load: an error carries an error
/// diagnostic, a success none, and rendering never panics.
fn check_load(result: &Result<season::Loaded, LoadError>) {
    match result {
        Ok(loaded) => assert!(!loaded.warnings.has_errors()),
        Err(LoadError::Invalid(d)) => {
            assert!(d.has_errors());
            let _ = d.to_string();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// What the `candidates_csv` fuzz target does; also returns the problems found reading.
fn candidates_csv(data: &[u8]) -> (season::Diagnostics, Result<season::Loaded, LoadError>) {
    let (doc, diags) = season::read_csv_table_bytes(TableName::Candidates, data, "candidates.csv");
    let mut full = base_doc();
    full.candidates = doc.candidates;
    let result = season::from_doc(full);
    check_load(&result);
    (diags, result)
}

/// Found by review: a score of 1e300 in `candidates.csv` loaded, and the
/// network solver then panicked ("costs too large"). Scores are now capped.
#[test]
fn a_huge_candidate_score_is_refused_at_load() {
    let csv = b"learner,workplace,programme,score\nL01,W-GENT1,P-KOK,1e300\nL02,W-GENT2,P-KOK,5\n";
    let (d, _) = candidates_csv(csv);
    assert_eq!(d.error_count(), 1, "{d}");
    assert!(d.to_string().contains("candidates.csv:2: score: 1e300 is too large; scores must be at most 10000"), "{d}");
    // The limit itself is allowed.
    let ok = b"learner,workplace,programme,score\nL01,W-GENT1,P-KOK,10000\n";
    let (d, loaded) = candidates_csv(ok);
    assert!(d.is_empty() && loaded.is_ok(), "{d}");
    // The same in a JSON season.
    let json = r#"{"programmes":[{"id":"P","name":"p"}],"schools":[{"id":"S","name":"s","lat":0,"lon":0}],
        "learners":[{"id":"L","school":"S","programme":"P","lat":0,"lon":0,"max_commute_km":5,"readiness":2,
        "screening":"passed","attributes":[],"preferences":[]}],
        "workplaces":[{"id":"W","company":"c","lat":0,"lon":0,"capacity":1,"min_readiness":1,"requires":[],
        "partner_schools":[],"preferences":[]}],
        "recognitions":[{"workplace":"W","programme":"P","seats":1}],
        "candidates":[{"learner":"L","workplace":"W","programme":"P","score":1e300}]}"#;
    let Err(LoadError::Invalid(d)) = season::from_json_str(json, "s.json") else { panic!("loaded") };
    assert!(d.to_string().contains("is too large; scores must be at most 10000"), "{d}");
}

/// Rows, quotes and blank lines around the row length limit never lose or
/// invent rows (the limit itself is covered by unit tests with small limits).
#[test]
fn quoted_multiline_values_and_blank_lines_read_as_before() {
    let csv = b"id,name\r\n\r\n\"P1\",\"Kok, \"\"chef\"\"\"\n\n\nP2,\"two\nlines\"\r\nP3,5\" screen\n";
    let (doc, diags) = season::read_csv_table_bytes(TableName::Programmes, csv, "programmes.csv");
    assert!(!diags.has_errors(), "{diags}");
    let names: Vec<&str> = doc.programmes.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Kok, \"chef\"", "two\nlines", "5\" screen"]);
}
