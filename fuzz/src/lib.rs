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
