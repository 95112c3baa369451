//! Shared helpers for the fuzz targets: the base season of `tests/data/base`,
//! built once in memory.

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
