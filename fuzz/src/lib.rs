//! The fuzz targets' code and shared helpers: the base season of
//! `tests/data/base`, built once in memory, and one function per target in
//! [`targets`]. Each file of `fuzz_targets/` only hands libFuzzer's input to
//! its function, so `tests/seeds.rs` replays the seed corpus
//! (`fuzz/seeds/<target>/`) through exactly the code the fuzzer runs, with a
//! stable toolchain (`cargo test --manifest-path fuzz/Cargo.toml`).

use std::sync::OnceLock;

use dualmatch_core::season::{self, SeasonDoc, TableName};
use dualmatch_core::Season;

/// The CSV files of `tests/data/base`, embedded so that targets need no files.
pub const BASE: [(TableName, &[u8]); 5] = [
    (TableName::Programmes, include_bytes!("../../tests/data/base/programmes.csv")),
    (TableName::Schools, include_bytes!("../../tests/data/base/schools.csv")),
    (TableName::Learners, include_bytes!("../../tests/data/base/learners.csv")),
    (TableName::Workplaces, include_bytes!("../../tests/data/base/workplaces.csv")),
    (TableName::Recognitions, include_bytes!("../../tests/data/base/recognitions.csv")),
];

/// The base season as a document (no candidates).
pub fn base_doc() -> &'static SeasonDoc {
    static DOC: OnceLock<SeasonDoc> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = SeasonDoc::default();
        for (table, bytes) in BASE {
            let (part, diags) = season::read_csv_table_bytes(table, bytes, &table.file_name());
            assert!(!diags.has_errors(), "base {}: {diags}", table.file_name());
            doc.programmes.extend(part.programmes);
            doc.schools.extend(part.schools);
            doc.learners.extend(part.learners);
            doc.workplaces.extend(part.workplaces);
            doc.recognitions.extend(part.recognitions);
        }
        doc
    })
}

/// The base season, validated.
pub fn base_season() -> &'static Season {
    static SEASON: OnceLock<Season> = OnceLock::new();
    SEASON.get_or_init(|| match season::from_doc(base_doc().clone()) {
        Ok(loaded) => loaded.season,
        Err(e) => panic!("the base season does not load: {e}"),
    })
}

/// Reads `csv` as `table` row by row, then in small batches and chunks,
/// and with plain lines split in small blocks and chunks (so that a short
/// input spans several, parsed in parallel where the loader would): the
/// records and diagnostics must be the same, in the same order.
pub fn check_chunked(table: TableName, csv: &[u8], display: &str) {
    let (doc, diags) = season::read_csv_table_bytes_chunked(table, csv, display, (1, 1), (0, 0));
    for (rows, plain) in [((5, 2), (0, 0)), ((5, 2), (48, 8))] {
        let (chunked, chunked_diags) = season::read_csv_table_bytes_chunked(table, csv, display, rows, plain);
        assert_eq!(doc, chunked, "the chunked reader ({rows:?}, {plain:?}) read other records");
        assert!(diags.iter().eq(chunked_diags.iter()), "the chunked reader ({rows:?}, {plain:?}) found other problems");
        assert_eq!(
            (diags.error_count(), diags.warning_count(), diags.suppressed()),
            (chunked_diags.error_count(), chunked_diags.warning_count(), chunked_diags.suppressed())
        );
    }
}

/// Checks what every load result must satisfy: an error always carries at
/// least one error diagnostic, and a success carries none.
pub fn check_load(result: &Result<season::Loaded, season::LoadError>) {
    match result {
        Ok(loaded) => assert!(!loaded.warnings.has_errors(), "a loaded season has errors"),
        Err(season::LoadError::Invalid(d)) => {
            assert!(d.has_errors(), "an invalid season without an error");
            // Rendering must not panic either.
            let _ = d.to_string();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// The sheets of the workbooks [`workbook_from_parts`] builds, in order.
pub const SHEETS: [&str; 5] = ["programmes", "schools", "learners", "workplaces", "recognitions"];

/// A workbook archive (entries stored, not compressed) built from `data`
/// split at NUL bytes: the parts are `xl/sharedStrings.xml`, the five sheets
/// of [`SHEETS`] (`xl/worksheets/sheet1.xml` …), then optionally
/// `xl/workbook.xml` and `xl/styles.xml` to replace the fixed ones. So the
/// fuzzer mutates the XML calamine parses, not zip checksums.
pub fn workbook_from_parts(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let parts: Vec<&[u8]> = data.split(|b| *b == 0).collect();
    let sheets: String = SHEETS
        .iter()
        .enumerate()
        .map(|(i, name)| format!(r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#, n = i + 1))
        .collect();
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>"#
    );
    let rels: String = (1..=SHEETS.len())
        .map(|n| {
            format!(r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#)
        })
        .collect();
    let rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#
    );
    let mut entries: Vec<(String, &[u8])> = vec![("xl/_rels/workbook.xml.rels".into(), rels.as_bytes())];
    entries.push(("xl/workbook.xml".into(), parts.get(6).copied().unwrap_or(workbook.as_bytes())));
    if let Some(styles) = parts.get(7) {
        entries.push(("xl/styles.xml".into(), styles));
    }
    if let Some(strings) = parts.first() {
        entries.push(("xl/sharedStrings.xml".into(), strings));
    }
    for (i, sheet) in parts.iter().skip(1).take(SHEETS.len()).enumerate() {
        entries.push((format!("xl/worksheets/sheet{}.xml", i + 1), sheet));
    }
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in entries {
        zip.start_file(name, stored).expect("an entry of an archive in memory");
        zip.write_all(bytes).expect("writing to memory");
    }
    zip.finish().expect("an archive in memory").into_inner()
}

/// One function per fuzz target, named as the target (`fuzz_targets/<name>.rs`
/// and `seeds/<name>/`); each panics on a finding.
pub mod targets {
    use dualmatch_core::season::{self, TableName};
    use dualmatch_optimiser::changes::{self, Change};
    use dualmatch_optimiser::Constraints;

    /// A target's function: it panics on a finding.
    pub type Target = fn(&[u8]);

    /// Every target, by name.
    pub const ALL: [(&str, Target); 6] = [
        ("candidates_csv", candidates_csv),
        ("changes_csv", changes_csv),
        ("constraints_toml", constraints_toml),
        ("season_csv", season_csv),
        ("season_json", season_json),
        ("season_xlsx", season_xlsx),
    ];

    /// A `candidates.csv` read against the base season: parsing, then
    /// validation of every reference and duplicate.
    pub fn candidates_csv(data: &[u8]) {
        let (doc, diags) = season::read_csv_table_bytes(TableName::Candidates, data, "candidates.csv");
        super::check_chunked(TableName::Candidates, data, "candidates.csv");
        let _ = diags.to_string();
        let mut full = super::base_doc().clone();
        full.candidates = doc.candidates;
        let result = season::from_doc(full);
        super::check_load(&result);
        if let Ok(loaded) = result {
            // Every candidate must point into the season.
            let s = &loaded.season;
            for c in s.candidates().unwrap_or(&[]) {
                assert!(c.learner.index() < s.learners().len());
                assert!(c.group.index() < s.groups().len());
                assert!(c.score.is_finite() && c.score >= 0.0);
            }
        }
    }

    /// `changes.csv` parsing (re-matching events) against the base season.
    pub fn changes_csv(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else { return };
        let season = super::base_season();
        match changes::parse(text, "changes.csv", season) {
            Ok(list) => {
                for c in &list {
                    if let Change::Seats(g, _) = c {
                        assert!(g.index() < season.groups().len());
                    }
                }
            }
            Err(e) => assert!(!e.0.is_empty() && e.0.iter().all(|m| m.starts_with("changes.csv")), "{e:?}"),
        }
    }

    /// `constraints.toml` parsing and id resolution against the base season.
    pub fn constraints_toml(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else { return };
        let season = super::base_season();
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
                    let lines = text.lines().count().max(1) + 1;
                    assert!(err.line >= 1 && err.line <= lines, "line {} out of range", err.line);
                }
            }
        }
    }

    /// The CSV reader of every season table: the first byte picks the table,
    /// the rest is the file's content.
    pub fn season_csv(data: &[u8]) {
        let Some((&pick, csv)) = data.split_first() else { return };
        let table = TableName::ALL[usize::from(pick) % TableName::ALL.len()];
        let (doc, diags) = season::read_csv_table_bytes(table, csv, "fuzz.csv");
        let _ = diags.to_string();
        super::check_chunked(table, csv, "fuzz.csv");
        // Whatever rows came through must validate without panicking, alone
        // and laid over the base season.
        super::check_load(&season::from_doc(doc.clone()));
        let mut full = super::base_doc().clone();
        match table {
            TableName::Programmes => full.programmes = doc.programmes,
            TableName::Schools => full.schools = doc.schools,
            TableName::Learners => full.learners = doc.learners,
            TableName::Workplaces => full.workplaces = doc.workplaces,
            TableName::Recognitions => full.recognitions = doc.recognitions,
            TableName::Candidates => full.candidates = doc.candidates,
            TableName::Outcomes => full.outcomes = doc.outcomes,
            TableName::Mentors => full.mentors = doc.mentors,
        }
        super::check_load(&season::from_doc(full));
    }

    /// Loading a season from JSON text.
    pub fn season_json(data: &[u8]) {
        // `load` refuses non-UTF-8 before parsing; the same here.
        let Ok(text) = std::str::from_utf8(data) else { return };
        super::check_load(&season::from_json_str(text, "fuzz.json"));
    }

    /// Loading a season from an Excel workbook. The first byte picks how the
    /// rest is read: odd, as the workbook file itself (the zip archive and
    /// its limits); even, as the XML parts of a workbook that is then packed
    /// into a valid archive ([`super::workbook_from_parts`]), so that
    /// mutations reach the XML scanner, calamine and the sheet reader instead
    /// of failing a zip checksum.
    pub fn season_xlsx(data: &[u8]) {
        let _ = season_xlsx_result(data);
    }

    /// The result of loading a season.
    pub type LoadResult = Result<season::Loaded, season::LoadError>;

    /// [`season_xlsx`], returning the load result (for the seed replay).
    pub fn season_xlsx_result(data: &[u8]) -> Option<LoadResult> {
        let (&mode, rest) = data.split_first()?;
        let result = if mode & 1 == 1 {
            season::from_xlsx_bytes(rest, "fuzz.xlsx")
        } else {
            season::from_xlsx_bytes(&super::workbook_from_parts(rest), "fuzz.xlsx")
        };
        super::check_load(&result);
        Some(result)
    }
}
