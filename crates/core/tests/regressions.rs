//! Regressions for inputs that once crashed or misbehaved, found by fuzzing
//! (see docs/reliability.md) or by review, with the input bytes inline; and a
//! replay of the fuzz seed corpus (`fuzz/seeds/`) through the same checks as
//! the fuzz targets, so that they run in every `cargo test`.

use std::path::Path;

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

/// The `season_csv` target: the first byte picks the table.
fn season_csv(data: &[u8]) {
    let Some((&pick, csv)) = data.split_first() else { return };
    let table = TableName::ALL[usize::from(pick) % TableName::ALL.len()];
    let (doc, diags) = season::read_csv_table_bytes(table, csv, "fuzz.csv");
    let _ = diags.to_string();
    check_load(&season::from_doc(doc.clone()));
    let mut full = base_doc();
    match table {
        TableName::Programmes => full.programmes = doc.programmes,
        TableName::Schools => full.schools = doc.schools,
        TableName::Learners => full.learners = doc.learners,
        TableName::Workplaces => full.workplaces = doc.workplaces,
        TableName::Recognitions => full.recognitions = doc.recognitions,
        TableName::Candidates => full.candidates = doc.candidates,
    }
    check_load(&season::from_doc(full));
}

/// The `candidates_csv` target; also returns the problems found reading.
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

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds").join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut out: Vec<(String, Vec<u8>)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).ok()?)))
        .collect();
    out.sort();
    out
}

/// The workbook of the `season_xlsx` target for `data` after its mode byte
/// (as `fuzz/src/lib.rs` `workbook_from_parts` builds it): the parts split at
/// NUL bytes are the shared strings, the five sheets, then optionally the
/// workbook and styles parts, packed (stored) into a valid archive.
fn workbook_from_parts(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    const SHEETS: [&str; 5] = ["programmes", "schools", "learners", "workplaces", "recognitions"];
    let parts: Vec<&[u8]> = data.split(|b| *b == 0).collect();
    let ns = "http://schemas.openxmlformats.org";
    let sheets: String =
        (1..=5).map(|n| format!(r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#, SHEETS[n - 1])).collect();
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>"#
    );
    let rel = |id: &str, kind: &str, target: &str| {
        format!(r#"<Relationship Id="{id}" Type="{ns}/officeDocument/2006/relationships/{kind}" Target="{target}"/>"#)
    };
    let rels: String =
        (1..=5).map(|n| rel(&format!("rId{n}"), "worksheet", &format!("worksheets/sheet{n}.xml"))).collect();
    let rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">{rels}{}</Relationships>"#,
        rel("rId9", "sharedStrings", "sharedStrings.xml")
    );
    let mut entries: Vec<(String, &[u8])> = vec![("xl/_rels/workbook.xml.rels".into(), rels.as_bytes())];
    entries.push(("xl/workbook.xml".into(), parts.get(6).copied().unwrap_or(workbook.as_bytes())));
    if let Some(styles) = parts.get(7) {
        entries.push(("xl/styles.xml".into(), styles));
    }
    if let Some(strings) = parts.first() {
        entries.push(("xl/sharedStrings.xml".into(), strings));
    }
    for (i, sheet) in parts.iter().skip(1).take(5).enumerate() {
        entries.push((format!("xl/worksheets/sheet{}.xml", i + 1), sheet));
    }
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in entries {
        zip.start_file(name, stored).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// The `season_xlsx` target: an odd first byte, the rest is the workbook;
/// even, the rest is its parts.
fn season_xlsx(data: &[u8]) -> Result<season::Loaded, LoadError> {
    let Some((&mode, rest)) = data.split_first() else { return season::from_xlsx_bytes(&[], "fuzz.xlsx") };
    let result = if mode & 1 == 1 {
        season::from_xlsx_bytes(rest, "fuzz.xlsx")
    } else {
        season::from_xlsx_bytes(&workbook_from_parts(rest), "fuzz.xlsx")
    };
    check_load(&result);
    result
}

#[test]
fn fuzz_seeds_replay_without_panics() {
    let xlsx = seeds("season_xlsx");
    for (name, data) in &xlsx {
        eprintln!("season_xlsx/{name}");
        let result = season_xlsx(data);
        // The base season, as a workbook and as parts, reaches the end: the
        // seeds start the fuzzer deep in the reader.
        if name.ends_with("-base") {
            assert!(result.is_ok(), "{name}: {:?}", result.err().map(|e| e.to_string()));
        }
    }
    assert!(xlsx.len() >= 3, "season_xlsx seeds: {}", xlsx.len());
    for (name, data) in seeds("season_csv") {
        eprintln!("season_csv/{name}");
        season_csv(&data);
    }
    for (name, data) in seeds("candidates_csv") {
        eprintln!("candidates_csv/{name}");
        let _ = candidates_csv(&data);
    }
    for (name, data) in seeds("season_json") {
        eprintln!("season_json/{name}");
        if let Ok(text) = std::str::from_utf8(&data) {
            check_load(&season::from_json_str(text, "fuzz.json"));
        }
    }
}
