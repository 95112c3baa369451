//! Seasons: the model, reading from CSV directories and JSON files, and validation.
//!
//! ```no_run
//! let loaded = dualmatch_core::season::load(std::path::Path::new("data/sample")).unwrap();
//! println!("{} learners", loaded.season.learners().len());
//! ```

mod build;
pub mod diag;
pub mod doc;
mod model;
mod read;

use std::path::{Path, PathBuf};

pub use diag::{Diagnostic, Diagnostics, OriginKind, Position, Severity, TableOrigin};
pub use doc::{SeasonDoc, TableName};
pub use model::*;

/// Why a season could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The input has problems; every one found is listed.
    #[error("the season has {} error(s)", .0.error_count())]
    Invalid(Diagnostics),
    /// The path is neither a directory of CSV files nor a JSON file.
    #[error("{path}: not a season: {reason}")]
    NotASeason {
        /// The path given.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },
}

impl LoadError {
    /// The diagnostics, when the input was read but invalid.
    pub fn diagnostics(&self) -> Option<&Diagnostics> {
        match self {
            LoadError::Invalid(d) => Some(d),
            LoadError::NotASeason { .. } => None,
        }
    }
}

/// A loaded season and the warnings found while loading it.
#[derive(Debug)]
pub struct Loaded {
    /// The validated season.
    pub season: Season,
    /// Warnings (never errors: a season with errors is not returned).
    pub warnings: Diagnostics,
}

/// The largest season JSON file read, in bytes (4 GiB): beyond it the file is
/// refused with a clear error rather than exhausting memory.
pub const MAX_JSON_BYTES: u64 = 4 << 30;

/// Options for [`load_with`].
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// A `candidates.csv` to use instead of the season's own.
    pub candidates: Option<PathBuf>,
    /// An optional `travel_times.csv` (`learner,workplace,minutes`); by
    /// default the season directory's own, when present.
    pub travel_times: Option<PathBuf>,
}

/// Loads and validates a season from a directory of CSV files or a `.json` file.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    load_with(path, &LoadOptions::default())
}

/// Like [`load`], with a candidates file given separately.
pub fn load_with(path: &Path, options: &LoadOptions) -> Result<Loaded, LoadError> {
    let meta = std::fs::metadata(path).map_err(|e| LoadError::NotASeason {
        path: path.to_path_buf(),
        reason: if e.kind() == std::io::ErrorKind::NotFound {
            "no such file or directory".into()
        } else {
            e.to_string()
        },
    })?;
    let mut doc = SeasonDoc::default();
    let mut out = read::ReadOutcome::default();
    let mut diags = Diagnostics::new();
    if meta.is_dir() {
        for table in TableName::ALL {
            let file = path.join(table.file_name());
            read::read_csv_table(table, &file, file.display().to_string(), &mut doc, &mut out, &mut diags);
        }
    } else {
        let display = path.display().to_string();
        if meta.len() > MAX_JSON_BYTES {
            return Err(LoadError::NotASeason {
                path: path.to_path_buf(),
                reason: format!("the file is {} bytes, more than the {MAX_JSON_BYTES}-byte limit for a JSON season; use a CSV directory", meta.len()),
            });
        }
        let bytes = std::fs::read(path)
            .map_err(|e| LoadError::NotASeason { path: path.to_path_buf(), reason: e.to_string() })?;
        let text = match std::str::from_utf8(&bytes) {
            Ok(t) => t.trim_start_matches('\u{feff}'),
            Err(e) => {
                return Err(LoadError::NotASeason {
                    path: path.to_path_buf(),
                    reason: format!(
                        "not UTF-8 text (byte {}); a season is a directory of CSV files or a UTF-8 JSON file",
                        e.valid_up_to()
                    ),
                })
            }
        };
        read::read_json(text, &display, &mut doc, &mut out, &mut diags);
    }
    if let Some(file) = &options.candidates {
        doc.candidates = None;
        out.origins.retain(|(t, _)| *t != TableName::Candidates);
        out.unusable.remove(TableName::Candidates.as_str());
        let before = diags.error_count();
        read::read_csv_table(TableName::Candidates, file, file.display().to_string(), &mut doc, &mut out, &mut diags);
        if doc.candidates.is_none() && diags.error_count() == before {
            diags.push(TableOrigin { file: file.display().to_string(), kind: OriginKind::Csv }.whole(
                Severity::Error,
                if file.exists() { "has no candidate rows".to_string() } else { "file is missing".to_string() },
            ));
        }
    }
    finish(doc, &out, diags)
}

/// Validates a season document built in memory (for generators and tests).
/// Positions in diagnostics refer to each record's `row`, as lines of the
/// table's CSV file.
pub fn from_doc(doc: SeasonDoc) -> Result<Loaded, LoadError> {
    finish(doc, &read::ReadOutcome::default(), Diagnostics::new())
}

/// Loads a season from JSON text; `display` names the source in diagnostics.
pub fn from_json_str(text: &str, display: &str) -> Result<Loaded, LoadError> {
    let mut doc = SeasonDoc::default();
    let mut out = read::ReadOutcome::default();
    let mut diags = Diagnostics::new();
    read::read_json(text, display, &mut doc, &mut out, &mut diags);
    finish(doc, &out, diags)
}

/// Reads one CSV table from bytes, returning the records it yields and the
/// problems found. Used by fuzzing and by tests of single tables.
pub fn read_csv_table_bytes(table: TableName, bytes: &[u8], display: &str) -> (SeasonDoc, Diagnostics) {
    let mut doc = SeasonDoc::default();
    let mut out = read::ReadOutcome::default();
    let mut diags = Diagnostics::new();
    let origin = TableOrigin { file: display.to_string(), kind: OriginKind::Csv };
    read::read_csv_from(table, bytes, &origin, &mut doc, &mut out, &mut diags);
    (doc, diags)
}

fn finish(doc: SeasonDoc, out: &read::ReadOutcome, mut diags: Diagnostics) -> Result<Loaded, LoadError> {
    let season = build::build(doc, out, &mut diags);
    match season {
        Some(season) if !diags.has_errors() => Ok(Loaded { season, warnings: diags }),
        _ => Err(LoadError::Invalid(diags)),
    }
}
