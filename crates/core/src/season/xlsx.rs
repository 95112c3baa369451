//! Reading a season from an Excel workbook (`.xlsx`): one sheet per table,
//! named like the table (`learners`, or `learners.csv`, in any case), whose
//! first non-empty row is the header. Every cell is turned into the text a CSV
//! file would hold, and the rows are parsed by the same typed parser as CSV
//! and JSON ([`super::read::parse_cells`]).
//!
//! A workbook is a zip archive, and a small archive can unpack to many
//! gigabytes. Before calamine sees the file, [`check_archive`] reads the zip
//! central directory and refuses a file over [`XlsxLimits`]; then it inflates
//! every entry once into nothing, stopping one byte past the size the entry
//! declares, so that no entry can be larger than the directory says.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::Path;

use calamine::{DataRef, Reader, Xlsx};

use super::diag::{Diagnostics, OriginKind, Severity, TableOrigin};
use super::doc::{SeasonDoc, TableName};
use super::read::{self, ReadOutcome};
use super::LoadError;

/// The largest workbook file read, in bytes (256 MiB). A season workbook is a
/// few MiB; the zip directory of a larger file is not even parsed.
pub const MAX_XLSX_BYTES: u64 = 256 << 20;

/// The most bytes the entries of a workbook may unpack to, one entry or all
/// together (1 GiB), as declared in the zip directory and as found.
pub const MAX_XLSX_UNPACKED_BYTES: u64 = 1 << 30;

/// The highest unpacked-to-packed size ratio of one entry (200 to 1). Sheets
/// of real seasons compress 5 to 15 times; a zip bomb, about 1000 times.
pub const MAX_XLSX_RATIO: u64 = 200;

/// The most entries (files) in a workbook archive (10,000).
pub const MAX_XLSX_ENTRIES: usize = 10_000;

/// Entries that unpack to at most this many bytes (1 MiB) are not held to
/// [`MAX_XLSX_RATIO`]: they cannot exhaust memory whatever their ratio.
const RATIO_FLOOR: u64 = 1 << 20;

/// The size limits of reading one workbook (tests lower them).
#[derive(Clone, Copy, Debug)]
pub(crate) struct XlsxLimits {
    /// The largest workbook file, in bytes.
    pub file_bytes: u64,
    /// The most bytes the entries may unpack to, each and in total.
    pub unpacked_bytes: u64,
    /// The highest unpacked/packed ratio of an entry larger than 1 MiB.
    pub ratio: u64,
    /// The most entries in the archive.
    pub entries: usize,
}

impl XlsxLimits {
    pub(crate) const DEFAULT: XlsxLimits = XlsxLimits {
        file_bytes: MAX_XLSX_BYTES,
        unpacked_bytes: MAX_XLSX_UNPACKED_BYTES,
        ratio: MAX_XLSX_RATIO,
        entries: MAX_XLSX_ENTRIES,
    };
}

/// What to do instead, in every refusal of a workbook.
const INSTEAD: &str = "save the tables as CSV files in a directory and load that instead";

/// How to repair a workbook that cannot be read.
const RESAVE: &str = "save it again from the spreadsheet program as \"Excel Workbook (.xlsx)\"";

/// Whether `path` is to be read as a workbook: its name ends in `.xlsx` (any
/// case) or it is a regular file that starts with the zip signature
/// `PK\x03\x04` (a pipe is not read ahead: what is read from it is gone).
pub(crate) fn is_workbook(path: &Path) -> bool {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx")) {
        return true;
    }
    let mut magic = [0u8; 4];
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
        && File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok()
        && magic == *b"PK\x03\x04"
}

/// Reads every season table from the workbook at `path` into `doc`. Problems
/// of the content are diagnostics; a file that is not a readable workbook, or
/// is over a limit, is a [`LoadError`].
pub(crate) fn read_workbook(
    path: &Path,
    display: &str,
    limits: XlsxLimits,
    doc: &mut SeasonDoc,
    out: &mut ReadOutcome,
    diags: &mut Diagnostics,
) -> Result<(), LoadError> {
    let not_a_season = |reason: String| LoadError::NotASeason { path: path.to_path_buf(), reason };
    let mut file = File::open(path).map_err(|e| not_a_season(e.to_string()))?;
    let len = file.metadata().map_err(|e| not_a_season(e.to_string()))?.len();
    if len > limits.file_bytes {
        return Err(LoadError::TooLarge {
            path: path.to_path_buf(),
            reason: format!(
                "the workbook is {len} bytes, more than the {}-byte limit for a workbook; {INSTEAD}",
                limits.file_bytes
            ),
        });
    }
    let mut magic = [0u8; 8];
    let got = file.read(&mut magic).unwrap_or(0);
    if magic[..got].starts_with(b"\xd0\xcf\x11\xe0") {
        return Err(not_a_season(format!(
            "not an Excel workbook (.xlsx) but an older or password-protected Office file; \
             remove the password and save it as \"Excel Workbook (.xlsx)\", or {INSTEAD}"
        )));
    }
    file.rewind().map_err(|e| not_a_season(e.to_string()))?;
    // calamine and zip parse hostile bytes; a panic in them (an overflow on a
    // malformed cell reference, say) must be an error, not a crash.
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut reader = BufReader::new(file);
        check_archive(&mut reader, limits).map_err(|r| r.into_error(path))?;
        reader.rewind().map_err(|e| not_a_season(e.to_string()))?;
        let mut book: Xlsx<_> = Xlsx::new(reader)
            .map_err(|e| not_a_season(format!("not a readable Excel workbook (.xlsx): {e}; {RESAVE}, or {INSTEAD}")))?;
        read_sheets(&mut book, display, doc, out, diags);
        Ok(())
    }));
    read.unwrap_or_else(|_| {
        Err(not_a_season(format!(
            "the workbook could not be read (the reader failed on malformed content); {RESAVE}, or {INSTEAD}"
        )))
    })
}

/// Why a workbook archive was refused.
#[derive(Debug, PartialEq)]
enum Refusal {
    /// Not a zip archive, or a damaged one.
    Corrupt(String),
    /// Over a limit.
    TooLarge(String),
}

impl Refusal {
    fn into_error(self, path: &Path) -> LoadError {
        let path = path.to_path_buf();
        match self {
            Refusal::Corrupt(what) => LoadError::NotASeason {
                path,
                reason: format!("not a valid Excel workbook (.xlsx): {what}; {RESAVE}, or {INSTEAD}"),
            },
            Refusal::TooLarge(what) => {
                LoadError::TooLarge { path, reason: format!("{what}; the workbook was not unpacked; {INSTEAD}") }
            }
        }
    }
}

/// Checks the zip archive of a workbook before anything is unpacked for use:
/// the number of entries, each entry's declared unpacked size, their total
/// and each entry's compression ratio; then inflates every entry into
/// nothing, reading at most one byte past its declared size, so that a
/// directory that understates sizes is caught with bounded work and memory.
fn check_archive<R: Read + Seek>(reader: R, limits: XlsxLimits) -> Result<(), Refusal> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| Refusal::Corrupt(format!("not a zip archive ({e})")))?;
    if zip.len() > limits.entries {
        return Err(Refusal::TooLarge(format!(
            "the workbook archive has {} entries, more than the {} read",
            zip.len(),
            limits.entries
        )));
    }
    let damaged = |name: &str, e: &dyn std::fmt::Display| Refusal::Corrupt(format!("entry {name:?} is damaged ({e})"));
    let mut total = 0u64;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(|e| damaged(&format!("#{i}"), &e))?;
        let (name, size, packed) = (entry.name().to_string(), entry.size(), entry.compressed_size());
        if entry.encrypted() {
            return Err(Refusal::Corrupt(format!("entry {name:?} is encrypted")));
        }
        if size > limits.unpacked_bytes {
            return Err(Refusal::TooLarge(format!(
                "entry {name:?} of the workbook unpacks to {size} bytes, more than the {}-byte limit",
                limits.unpacked_bytes
            )));
        }
        total = total.saturating_add(size);
        if total > limits.unpacked_bytes {
            return Err(Refusal::TooLarge(format!(
                "the entries of the workbook unpack to more than the {}-byte limit",
                limits.unpacked_bytes
            )));
        }
        if size > RATIO_FLOOR && size / packed.max(1) > limits.ratio {
            return Err(Refusal::TooLarge(format!(
                "entry {name:?} of the workbook unpacks {} times its packed size ({packed} to {size} bytes), \
                 more than the {}-fold limit; is it a zip bomb?",
                size / packed.max(1),
                limits.ratio
            )));
        }
    }
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| damaged(&format!("#{i}"), &e))?;
        let (name, declared) = (entry.name().to_string(), entry.size());
        let found = io::copy(&mut (&mut entry).take(declared.saturating_add(1)), &mut io::sink())
            .map_err(|e| damaged(&name, &e))?;
        if found > declared {
            return Err(Refusal::TooLarge(format!(
                "entry {name:?} of the workbook unpacks to more than the {declared} bytes it declares \
                 (the file is damaged or built to exhaust memory)"
            )));
        }
    }
    Ok(())
}

/// The season table a sheet holds, by its name: the table name with or
/// without `.csv`, in any case.
fn table_of_sheet(name: &str) -> Option<TableName> {
    let name = name.trim().to_ascii_lowercase();
    let stem = name.strip_suffix(".csv").unwrap_or(&name).trim_end();
    TableName::ALL.into_iter().find(|t| t.as_str() == stem)
}

/// Matches sheets to tables and reads each table's sheet.
fn read_sheets<RS: Read + Seek>(
    book: &mut Xlsx<RS>,
    display: &str,
    doc: &mut SeasonDoc,
    out: &mut ReadOutcome,
    diags: &mut Diagnostics,
) {
    let names = book.sheet_names();
    let origin_of =
        |sheet: &str| TableOrigin { file: display.to_string(), kind: OriginKind::Sheet { sheet: sheet.to_string() } };
    let mut chosen: Vec<(TableName, String)> = Vec::new();
    for name in &names {
        match table_of_sheet(name) {
            Some(table) => match chosen.iter().find(|(t, _)| *t == table) {
                Some((_, first)) => diags.push(origin_of(name).whole(
                    Severity::Error,
                    format!(
                        "sheets '{first}' and '{name}' both hold the {} table; delete or rename one",
                        table.as_str()
                    ),
                )),
                None => chosen.push((table, name.clone())),
            },
            None => diags.push(origin_of(name).whole(
                Severity::Warning,
                format!("sheet '{name}' is not a season table and is ignored; the sheets read are {}", sheet_list()),
            )),
        }
    }
    for table in TableName::ALL {
        let Some((_, sheet)) = chosen.iter().find(|(t, _)| *t == table) else {
            let origin = origin_of(table.as_str());
            out.origins.push((table, origin.clone()));
            out.unusable.insert(table.as_str());
            if !table.optional() {
                let found: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
                diags.push(origin.whole(
                    Severity::Error,
                    format!(
                        "has no sheet '{}'; a season workbook needs one sheet per table ({}); sheets found: {}",
                        table.as_str(),
                        sheet_list(),
                        if found.is_empty() { "none".to_string() } else { found.join(", ") }
                    ),
                ));
            }
            continue;
        };
        let origin = origin_of(sheet);
        out.origins.push((table, origin.clone()));
        read_sheet(book, sheet, table, &origin, doc, out, diags);
    }
}

/// The sheet names a season workbook has, for messages.
fn sheet_list() -> String {
    let required: Vec<&str> = TableName::ALL.iter().filter(|t| !t.optional()).map(|t| t.as_str()).collect();
    format!("{} and optionally candidates", required.join(", "))
}

/// One row of a sheet as text cells by column (`Err`: a cell error such as `#N/A`).
type SheetRow = Vec<Option<Result<String, String>>>;

/// Reads one sheet, cell by cell (never the whole sheet as a grid: a sheet
/// with one cell in row 1,000,000 of column XFD is small on disk).
#[allow(clippy::too_many_arguments)]
fn read_sheet<RS: Read + Seek>(
    book: &mut Xlsx<RS>,
    sheet: &str,
    table: TableName,
    origin: &TableOrigin,
    doc: &mut SeasonDoc,
    out: &mut ReadOutcome,
    diags: &mut Diagnostics,
) {
    let mut cells = match book.worksheet_cells_reader(sheet) {
        Ok(c) => c,
        Err(e) => {
            out.unusable.insert(table.as_str());
            diags.push(origin.whole(Severity::Error, format!("sheet '{sheet}' cannot be read: {e}")));
            return;
        }
    };
    let mut reader = SheetReader { table, origin, header: None, rows: 0, before: diags.error_count() };
    // The row being collected: its 0-based number, its cells in the columns
    // kept (empty when the row is blank there), and its width (the column
    // after its last non-empty cell, of all).
    let mut row: Option<u32> = None;
    let mut values: SheetRow = Vec::new();
    let mut width = 0usize;
    loop {
        let cell = match cells.next_cell() {
            Ok(c) => c,
            Err(e) => {
                let after = row.map(|r| format!(" after row {}", u64::from(r) + 1)).unwrap_or_default();
                out.unusable.insert(table.as_str());
                diags.push(origin.whole(Severity::Error, format!("sheet '{sheet}' cannot be read{after}: {e}")));
                return;
            }
        };
        let position = cell.as_ref().map(|c| c.get_position());
        if position.map(|(r, _)| r) != row {
            if let Some(r) = row.filter(|_| !values.is_empty()) {
                if !reader.row(u64::from(r) + 1, &values, width, doc, out, diags) {
                    return;
                }
            }
            values.clear();
            width = 0;
            row = position.map(|(r, _)| r);
        }
        let Some(cell) = cell else { break };
        let col = cell.get_position().1 as usize;
        let Some(text) = cell_text(cell.get_value()) else { continue };
        width = width.max(col + 1);
        if col < reader.kept_columns() {
            if values.len() <= col {
                values.resize(col + 1, None);
            }
            values[col] = Some(text);
        }
    }
    reader.finish(out, diags);
}

/// The state of reading one sheet's rows.
struct SheetReader<'a> {
    table: TableName,
    origin: &'a TableOrigin,
    /// The header's column map (schema column → sheet column), once read.
    header: Option<Vec<Option<usize>>>,
    /// Data rows read.
    rows: u64,
    /// The error count when the sheet was started.
    before: usize,
}

impl SheetReader<'_> {
    /// How many columns of a row are kept: all the header's, or before the
    /// header is known, one more than a header may have (to tell it is too wide).
    fn kept_columns(&self) -> usize {
        match &self.header {
            Some(map) => map.iter().flatten().max().map_or(0, |c| c + 1),
            None => read::MAX_COLUMNS + 1,
        }
    }

    /// Takes one non-empty row (1-based `row`); returns false when reading stops.
    fn row(
        &mut self,
        row: u64,
        values: &SheetRow,
        width: usize,
        doc: &mut SeasonDoc,
        out: &mut ReadOutcome,
        diags: &mut Diagnostics,
    ) -> bool {
        let (table, origin) = (self.table, self.origin);
        let Some(map) = &self.header else {
            if width > read::MAX_COLUMNS {
                read::report_too_wide(table, origin, row, width, out, diags);
                return false;
            }
            let names: Vec<&str> = (0..width)
                .map(|c| match values.get(c) {
                    Some(Some(Ok(s) | Err(s))) => s.as_str(),
                    _ => "",
                })
                .collect();
            self.header = read::map_header(table, &names, origin, row, diags);
            if self.header.is_none() {
                out.unusable.insert(table.as_str());
            }
            return self.header.is_some();
        };
        if read::stop_after_too_many(table, origin, self.before, out, diags) {
            return false;
        }
        self.rows += 1;
        let schema = read::schema(table);
        let mut ok = true;
        let mut cells: Vec<Option<&str>> = Vec::with_capacity(map.len());
        for (i, pos) in map.iter().enumerate() {
            let cell = pos.and_then(|p| values.get(p)).and_then(Option::as_ref);
            cells.push(match cell {
                Some(Ok(text)) => Some(text.as_str()),
                Some(Err(problem)) => {
                    ok = false;
                    diags.push(origin.at(Severity::Error, row, Some(schema[i].name), problem.clone()));
                    None
                }
                None => None,
            });
        }
        read::parse_cells(table, &cells, origin, row, ok, doc, out, diags);
        true
    }

    fn finish(&self, out: &mut ReadOutcome, diags: &mut Diagnostics) {
        if self.header.is_none() {
            read::report_empty(self.table, self.origin, out, diags);
        } else if self.rows == 0 {
            read::report_no_rows(self.table, self.origin, out, diags);
        }
    }
}

/// The text a cell stands for, as a CSV file saved from the sheet would hold
/// it: numbers in their shortest form (`3`, not `3.0`, so that ids Excel
/// stored as numbers read as typed), booleans as `TRUE`/`FALSE`, dates as ISO
/// 8601. `None` for an empty cell; `Err` for an error value such as `#N/A`.
fn cell_text(value: &DataRef) -> Option<Result<String, String>> {
    let text = match value {
        DataRef::Empty => return None,
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(x) => number_text(*x),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::DateTime(d) if d.is_datetime() => date_text(d),
        DataRef::DateTime(d) => duration_text(d.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => {
            return Some(Err(format!("the cell holds the error {e}; give a value (not a formula that fails)")))
        }
    };
    Some(Ok(text))
}

/// A number as the shortest text that reads back as the same number
/// (`1001`, `51.0543`, `0.1`).
fn number_text(x: f64) -> String {
    if x == 0.0 {
        "0".to_string()
    } else {
        x.to_string()
    }
}

/// A date cell as ISO 8601 text: `2025-10-13`, or `2025-10-13T12:59:02`
/// with a time, or `12:30:00` for a time alone. Serial values outside Excel's
/// dates (before 1900, after 9999) are left as numbers.
fn date_text(date: &calamine::ExcelDateTime) -> String {
    let serial = date.as_f64();
    if !(0.0..2_958_466.0).contains(&serial) {
        return number_text(serial);
    }
    let (y, mo, d, h, mi, s, _) = date.to_ymd_hms_milli();
    let time = format!("{h:02}:{mi:02}:{s:02}");
    if serial < 1.0 {
        time
    } else if (h, mi, s) == (0, 0, 0) {
        format!("{y:04}-{mo:02}-{d:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02}T{time}")
    }
}

/// A duration in days as `h:mm:ss` (hours not wrapped at 24, as Excel's `[h]:mm:ss`).
fn duration_text(days: f64) -> String {
    if !days.is_finite() || days.abs() > 1e9 {
        return number_text(days);
    }
    let secs = (days * 86_400.0).round() as i64;
    let sign = if secs < 0 { "-" } else { "" };
    let secs = secs.abs();
    format!("{sign}{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use calamine::{CellErrorType, ExcelDateTime, ExcelDateTimeType};

    use super::*;
    use crate::season::{load_limited, Limits, LoadOptions};

    fn text(value: DataRef) -> Option<Result<String, String>> {
        cell_text(&value)
    }

    fn ok(s: &str) -> Option<Result<String, String>> {
        Some(Ok(s.to_string()))
    }

    #[test]
    fn cells_read_as_the_text_a_csv_file_would_hold() {
        assert_eq!(text(DataRef::Float(1001.0)), ok("1001"), "an id Excel stored as a number");
        assert_eq!(text(DataRef::Float(3.0)), ok("3"));
        assert_eq!(text(DataRef::Float(51.0543)), ok("51.0543"));
        assert_eq!(text(DataRef::Float(0.1 + 0.2)), ok("0.30000000000000004"));
        assert_eq!(text(DataRef::Float(-0.0)), ok("0"));
        assert_eq!(text(DataRef::Float(-3.5)), ok("-3.5"));
        assert_eq!(text(DataRef::Float(1e21)), ok("1000000000000000000000"));
        assert_eq!(text(DataRef::Int(-7)), ok("-7"));
        assert_eq!(text(DataRef::String(" L01 ".into())), ok(" L01 "));
        assert_eq!(text(DataRef::SharedString("Kok")), ok("Kok"));
        assert_eq!(text(DataRef::Bool(true)), ok("TRUE"));
        assert_eq!(text(DataRef::Bool(false)), ok("FALSE"));
        assert_eq!(text(DataRef::DateTimeIso("2024-03-15".into())), ok("2024-03-15"));
        assert_eq!(text(DataRef::DurationIso("PT1H".into())), ok("PT1H"));
        assert_eq!(text(DataRef::Empty), None);
        let err = text(DataRef::Error(CellErrorType::NA)).unwrap().unwrap_err();
        assert!(err.starts_with("the cell holds the error #N/A"), "{err}");
    }

    #[test]
    fn dates_and_durations_read_as_shown() {
        let date = |v: f64, is_1904: bool| {
            text(DataRef::DateTime(ExcelDateTime::new(v, ExcelDateTimeType::DateTime, is_1904)))
        };
        assert_eq!(date(45366.0, false), ok("2024-03-15"));
        assert_eq!(date(45943.541, false), ok("2025-10-13T12:59:02"));
        assert_eq!(date(43904.0, true), ok("2024-03-15"), "1904 date system");
        assert_eq!(date(0.5, false), ok("12:00:00"));
        assert_eq!(date(-1.0, false), ok("-1"), "not a date: left as a number");
        assert_eq!(date(1e300, false), ok(&1e300f64.to_string()));
        let duration = |v: f64| text(DataRef::DateTime(ExcelDateTime::new(v, ExcelDateTimeType::TimeDelta, false)));
        assert_eq!(duration(1.5), ok("36:00:00"));
        assert_eq!(duration(-0.25), ok("-6:00:00"));
        assert_eq!(duration(f64::NAN), ok("NaN"));
    }

    #[test]
    fn sheets_are_named_like_tables() {
        assert_eq!(table_of_sheet("learners"), Some(TableName::Learners));
        assert_eq!(table_of_sheet(" Learners.CSV "), Some(TableName::Learners));
        assert_eq!(table_of_sheet("CANDIDATES"), Some(TableName::Candidates));
        assert_eq!(table_of_sheet("learners.csv.csv"), None);
        assert_eq!(table_of_sheet("learner"), None);
        assert_eq!(table_of_sheet("Sheet1"), None);
    }

    /// A workbook with a programmes sheet of `rows` rows, as bytes.
    fn workbook(rows: u32) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("programmes").unwrap();
        sheet.write_string(0, 0, "id").unwrap();
        sheet.write_string(0, 1, "name").unwrap();
        for r in 1..=rows {
            sheet.write_string(r, 0, format!("P{r}")).unwrap();
            sheet.write_number(r, 1, f64::from(r)).unwrap();
        }
        book.save_to_buffer().unwrap()
    }

    fn check(bytes: &[u8], limits: XlsxLimits) -> Result<(), Refusal> {
        check_archive(io::Cursor::new(bytes), limits)
    }

    #[test]
    fn the_archive_limits_can_be_lowered() {
        let bytes = workbook(20_000);
        let d = XlsxLimits::DEFAULT;
        assert_eq!(check(&bytes, d), Ok(()));
        let too_large = |limits| match check(&bytes, limits) {
            Err(Refusal::TooLarge(msg)) => msg,
            other => panic!("{other:?}"),
        };
        let msg = too_large(XlsxLimits { entries: 5, ..d });
        assert!(msg.contains("entries, more than the 5 read"), "{msg}");
        let msg = too_large(XlsxLimits { unpacked_bytes: 100_000, ..d });
        assert!(msg.contains("\"xl/worksheets/sheet1.xml\" of the workbook unpacks to"), "{msg}");
        assert!(msg.contains("more than the 100000-byte limit"), "{msg}");
        // Every entry under the limit, but not all together.
        let sheet = {
            let mut zip = zip::ZipArchive::new(io::Cursor::new(&bytes)).unwrap();
            let size = zip.by_name("xl/worksheets/sheet1.xml").unwrap().size();
            size
        };
        let msg = too_large(XlsxLimits { unpacked_bytes: sheet + 100, ..d });
        assert!(msg.contains("the entries of the workbook unpack to more than the"), "{msg}");
        let msg = too_large(XlsxLimits { ratio: 2, ..d });
        assert!(msg.contains("times its packed size") && msg.contains("more than the 2-fold limit"), "{msg}");
    }

    #[test]
    fn load_respects_the_limits() {
        let dir = std::env::temp_dir().join(format!("dualmatch-xlsx-limits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("s.xlsx");
        std::fs::write(&file, workbook(3)).unwrap();
        let load = |xlsx| load_limited(&file, &LoadOptions::default(), Limits { xlsx, ..Limits::DEFAULT });
        let d = XlsxLimits::DEFAULT;
        match load(XlsxLimits { file_bytes: 100, ..d }) {
            Err(e @ LoadError::TooLarge { .. }) => {
                assert!(e.to_string().contains("more than the 100-byte limit for a workbook"), "{e}")
            }
            other => panic!("{other:?}"),
        }
        match load(XlsxLimits { unpacked_bytes: 1000, ..d }) {
            Err(e @ LoadError::TooLarge { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains("more than the 1000-byte limit; the workbook was not unpacked"), "{msg}");
                assert!(msg.ends_with("save the tables as CSV files in a directory and load that instead"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
        // Within the limits it is read: the other sheets are missing.
        let Err(LoadError::Invalid(diags)) = load(d) else { panic!("loaded") };
        assert!(diags.to_string().contains("has no sheet 'schools'"), "{diags}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
