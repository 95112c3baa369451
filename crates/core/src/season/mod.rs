//! Seasons: the model, reading from CSV directories, JSON files and Excel
//! workbooks, and validation.
//!
//! ```no_run
//! let loaded = dualmatch_core::season::load(std::path::Path::new("data/sample")).unwrap();
//! println!("{} learners", loaded.season.learners().len());
//! ```

mod build;
pub mod diag;
pub mod doc;
pub mod history;
mod ident;
mod model;
mod read;
mod xlsx;

use std::path::{Path, PathBuf};

pub use diag::{Diagnostic, Diagnostics, OriginKind, Position, Severity, TableOrigin};
pub use doc::{Outcome, OutcomeRec, SeasonDoc, TableName};
pub use history::{History, PairHistory, Tally};
pub use model::*;
pub use xlsx::{
    MAX_XLSX_BYTES, MAX_XLSX_ENTRIES, MAX_XLSX_PART_BYTES, MAX_XLSX_RATIO, MAX_XLSX_TEXT_BYTES, MAX_XLSX_UNPACKED_BYTES,
};

/// The name of `names` closest to `name`, if one is close enough to be a
/// misspelling of it: for "did you mean" hints (column names, TOML keys,
/// event names).
pub fn closest_name<'a>(name: &str, names: &[&'a str]) -> Option<&'a str> {
    read::closest(name, names)
}

/// Why a season could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The input has problems; every one found is listed.
    #[error("the season has {} error(s)", .0.error_count())]
    Invalid(Diagnostics),
    /// The path is neither a directory of CSV files, a JSON file nor an
    /// Excel workbook (or the workbook is damaged).
    #[error("{path}: not a season: {reason}")]
    NotASeason {
        /// The path given.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },
    /// The input is over a size limit (such as [`MAX_XLSX_UNPACKED_BYTES`])
    /// and was not read, so that it cannot exhaust memory.
    #[error("{path}: too large to read: {reason}")]
    TooLarge {
        /// The path given.
        path: PathBuf,
        /// Which limit, by how much, and what to do instead.
        reason: String,
    },
}

impl LoadError {
    /// The diagnostics, when the input was read but invalid.
    pub fn diagnostics(&self) -> Option<&Diagnostics> {
        match self {
            LoadError::Invalid(d) => Some(d),
            LoadError::NotASeason { .. } | LoadError::TooLarge { .. } => None,
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

/// Loads and validates a season from a directory of CSV files, a `.json`
/// file or an Excel workbook (a name ending in `.xlsx`, or a file that starts
/// like a zip archive), with one sheet per table; see `docs/format.md`.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    load_with(path, &LoadOptions::default())
}

impl Season {
    /// Loads and validates the season at `path` (a directory of CSV files, a
    /// JSON file or an `.xlsx` workbook); warnings are dropped (use [`load`]
    /// to see them).
    ///
    /// ```no_run
    /// let season = dualmatch_core::Season::load("data/sample").unwrap();
    /// println!("{} learners", season.learners().len());
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Season, LoadError> {
        load(path.as_ref()).map(|l| l.season)
    }
}

/// Like [`load`], with a candidates file given separately.
pub fn load_with(path: &Path, options: &LoadOptions) -> Result<Loaded, LoadError> {
    load_limited(path, options, Limits::DEFAULT)
}

/// Size limits of one load, so that no input can exhaust memory; tests lower them.
#[derive(Clone, Copy, Debug)]
struct Limits {
    /// The largest JSON season file, in bytes.
    json_bytes: u64,
    /// The longest CSV row, in bytes.
    row_bytes: usize,
    /// The limits of an Excel workbook.
    xlsx: xlsx::XlsxLimits,
}

impl Limits {
    const DEFAULT: Limits =
        Limits { json_bytes: MAX_JSON_BYTES, row_bytes: read::MAX_ROW_BYTES, xlsx: xlsx::XlsxLimits::DEFAULT };
}

fn load_limited(path: &Path, options: &LoadOptions, limits: Limits) -> Result<Loaded, LoadError> {
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
            let display = file.display().to_string();
            read::read_csv_table(table, &file, display, limits.row_bytes, &mut doc, &mut out, &mut diags);
        }
    } else if xlsx::is_workbook(path) {
        let display = path.display().to_string();
        xlsx::read_workbook(path, &display, limits.xlsx, &mut doc, &mut out, &mut diags)?;
    } else {
        let display = path.display().to_string();
        let bytes = read_json_file(path, meta.len(), limits.json_bytes, &display)?;
        let text = match std::str::from_utf8(&bytes) {
            Ok(t) => t.trim_start_matches('\u{feff}'),
            Err(e) => {
                return Err(LoadError::NotASeason {
                    path: path.to_path_buf(),
                    reason: format!(
                        "not UTF-8 text (byte {}); a season is a directory of CSV files, a UTF-8 JSON file \
                         or an Excel workbook (.xlsx)",
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
        let display = file.display().to_string();
        read::read_csv_table(TableName::Candidates, file, display, limits.row_bytes, &mut doc, &mut out, &mut diags);
        if doc.candidates.is_none() && diags.error_count() == before {
            diags.push(TableOrigin { file: file.display().to_string(), kind: OriginKind::Csv }.whole(
                Severity::Error,
                if file.exists() { "has no candidate rows".to_string() } else { "file is missing".to_string() },
            ));
        }
    }
    finish(doc, &out, diags)
}

/// Reads a JSON season file whole, refusing one over `max` bytes (also when
/// its size is unknown beforehand, as for a device or a pipe) and one whose
/// first bytes show it is not a JSON object.
fn read_json_file(path: &Path, len: u64, max: u64, display: &str) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let not_a_season = |reason: String| LoadError::NotASeason { path: path.to_path_buf(), reason };
    let too_big = |size: String| {
        not_a_season(format!(
            "the file is {size} bytes, more than the {max}-byte limit for a JSON season; use a CSV directory"
        ))
    };
    if len > max {
        return Err(too_big(len.to_string()));
    }
    let mut file = std::fs::File::open(path).map_err(|e| not_a_season(e.to_string()))?;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
    let sniff = read::JSON_SNIFF_BYTES as u64;
    (&mut file).take(sniff).read_to_end(&mut bytes).map_err(|e| not_a_season(e.to_string()))?;
    if let Some((line, problem)) = read::json_start_problem(&bytes, (bytes.len() as u64) < sniff) {
        let mut diags = Diagnostics::new();
        let origin = TableOrigin { file: display.to_string(), kind: OriginKind::Csv };
        diags.push(origin.at(Severity::Error, line, None, problem));
        return Err(LoadError::Invalid(diags));
    }
    let rest = (max + 1).saturating_sub(bytes.len() as u64);
    file.take(rest).read_to_end(&mut bytes).map_err(|e| not_a_season(e.to_string()))?;
    if bytes.len() as u64 > max {
        return Err(too_big(format!("more than {max}")));
    }
    Ok(bytes)
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

/// Loads a season from the bytes of an Excel workbook, with the limits of
/// [`load`]; `display` names the workbook in messages. Used by fuzzing and
/// by tests of single workbooks.
pub fn from_xlsx_bytes(bytes: &[u8], display: &str) -> Result<Loaded, LoadError> {
    let mut doc = SeasonDoc::default();
    let mut out = read::ReadOutcome::default();
    let mut diags = Diagnostics::new();
    let cursor = std::io::Cursor::new(bytes);
    let (len, path) = (bytes.len() as u64, Path::new(display));
    xlsx::read_workbook_from(cursor, len, path, display, xlsx::XlsxLimits::DEFAULT, &mut doc, &mut out, &mut diags)?;
    finish(doc, &out, diags)
}

/// Loads a season from CSV tables held in memory, as a season directory's
/// files would hold them: each table's name, how messages name it
/// (`display`) and its CSV bytes (header first, line 1). A required table
/// that is not given is reported as missing, like a missing file. Used by
/// doors that hold the tables as data frames (the Python package).
pub fn from_csv_tables(tables: &[(TableName, String, Vec<u8>)]) -> Result<Loaded, LoadError> {
    let mut doc = SeasonDoc::default();
    let mut out = read::ReadOutcome::default();
    let mut diags = Diagnostics::new();
    for table in TableName::ALL {
        match tables.iter().find(|(t, _, _)| *t == table) {
            Some((_, display, bytes)) => {
                let origin = TableOrigin { file: display.clone(), kind: OriginKind::Csv };
                out.origins.push((table, origin.clone()));
                read::read_csv_from(
                    table,
                    bytes.as_slice(),
                    read::MAX_ROW_BYTES,
                    &origin,
                    &mut doc,
                    &mut out,
                    &mut diags,
                );
            }
            None => {
                out.unusable.insert(table.as_str());
                if !table.optional() {
                    let origin = TableOrigin { file: table.as_str().to_string(), kind: OriginKind::Csv };
                    diags.push(
                        origin.whole(Severity::Error, format!("table is missing; a season needs {}", table.as_str())),
                    );
                }
            }
        }
    }
    finish(doc, &out, diags)
}

/// Reads one CSV table from bytes, returning the records it yields and the
/// problems found. Used by fuzzing and by tests of single tables.
pub fn read_csv_table_bytes(table: TableName, bytes: &[u8], display: &str) -> (SeasonDoc, Diagnostics) {
    let mut doc = SeasonDoc::default();
    let mut out = read::ReadOutcome::default();
    let mut diags = Diagnostics::new();
    let origin = TableOrigin { file: display.to_string(), kind: OriginKind::Csv };
    read::read_csv_from(table, bytes, read::MAX_ROW_BYTES, &origin, &mut doc, &mut out, &mut diags);
    (doc, diags)
}

/// [`read_csv_table_bytes`] with the rows gathered in batches of
/// `batch_rows` and parsed in chunks of `chunk_rows` (in parallel where the
/// loader would), and plain lines split in blocks of `block_bytes` (0: none,
/// every row is read record by record) cut into chunks of about
/// `chunk_bytes`, instead of the loader's own sizes: it gives exactly what
/// reading row by row gives. Used by fuzzing to check that.
#[doc(hidden)]
pub fn read_csv_table_bytes_chunked(
    table: TableName,
    bytes: &[u8],
    display: &str,
    (batch_rows, chunk_rows): (usize, usize),
    (block_bytes, chunk_bytes): (usize, usize),
) -> (SeasonDoc, Diagnostics) {
    let mut doc = SeasonDoc::default();
    let mut out = read::ReadOutcome::default();
    let mut diags = Diagnostics::new();
    let origin = TableOrigin { file: display.to_string(), kind: OriginKind::Csv };
    let tuning = read::Tuning { batch_rows, chunk_rows, block_bytes, chunk_bytes };
    read::read_csv_sized(table, bytes, None, read::MAX_ROW_BYTES, tuning, &origin, &mut doc, &mut out, &mut diags);
    (doc, diags)
}

fn finish(doc: SeasonDoc, out: &read::ReadOutcome, mut diags: Diagnostics) -> Result<Loaded, LoadError> {
    let season = build::build(doc, out, &mut diags);
    match season {
        Some(season) if !diags.has_errors() => Ok(Loaded { season, warnings: diags }),
        _ => Err(LoadError::Invalid(diags)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch directory removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("dualmatch-core-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn json_over_the_limit_is_refused_before_reading() {
        let dir = Scratch::new("json-limit");
        let file = dir.0.join("s.json");
        std::fs::write(&file, format!("{{\"programmes\": []{}}}", " ".repeat(200))).unwrap();
        let limits = Limits { json_bytes: 100, ..Limits::DEFAULT };
        let err = load_limited(&file, &LoadOptions::default(), limits).unwrap_err();
        assert!(err.to_string().contains("more than the 100-byte limit for a JSON season"), "{err}");
        // Under the limit it is read (and found invalid for other reasons).
        let limits = Limits { json_bytes: 1000, ..Limits::DEFAULT };
        assert!(matches!(load_limited(&file, &LoadOptions::default(), limits), Err(LoadError::Invalid(_))));
    }

    #[test]
    fn a_json_file_that_is_not_an_object_is_refused_from_its_first_bytes() {
        let dir = Scratch::new("json-sniff");
        let file = dir.0.join("s.json");
        let mut bytes = vec![0u8; 3 * read::JSON_SNIFF_BYTES];
        bytes[0] = b'\n';
        std::fs::write(&file, &bytes).unwrap();
        let Err(LoadError::Invalid(d)) = load(&file) else { panic!("loaded") };
        assert_eq!(d.error_count(), 1);
        let first = d.iter().next().unwrap();
        assert_eq!(first.line(), Some(2));
        assert!(first.message.contains("it starts with byte 0x00, not '{'"), "{d}");
    }

    #[test]
    fn csv_rows_over_the_limit_stop_reading() {
        let dir = Scratch::new("csv-limit");
        std::fs::write(dir.0.join("programmes.csv"), format!("id,name\nP1,{}\n", "x".repeat(20_000))).unwrap();
        let limits = Limits { row_bytes: 50, ..Limits::DEFAULT };
        let Err(LoadError::Invalid(d)) = load_limited(&dir.0, &LoadOptions::default(), limits) else {
            panic!("loaded")
        };
        assert!(d.to_string().contains("programmes.csv:2: line 2 is longer than 50 bytes"), "{d}");
    }
}
