//! Reading season tables from CSV and JSON into a [`SeasonDoc`], reporting every
//! malformed row and wrong type instead of stopping at the first.
//!
//! Both formats are turned into the same thing first: for each row, one optional
//! text cell per schema column. The typed parsing ([`RowCtx`]) is then shared, so
//! a wrong type reads the same whichever format it came from.

use std::cell::Cell;
use std::cell::RefCell;
use std::collections::HashSet;
use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use super::diag::{Diagnostics, OriginKind, Severity, TableOrigin};
use super::doc::*;
use crate::text::{clip, quote, quoted};

/// Upper bound on problems reported for one file before reading stops; keeps a
/// binary file from producing millions of lines.
pub(crate) const MAX_PROBLEMS_PER_FILE: usize = 100;

/// The longest CSV row read, in bytes (1 MiB). The csv crate holds a whole row
/// in memory, so without a limit a file with no line break (or an unclosed
/// quote) would be read into memory whole.
pub(crate) const MAX_ROW_BYTES: usize = 1 << 20;

/// The most columns a header may have. A season table has at most 11; a
/// header with thousands is not a season file.
pub(crate) const MAX_COLUMNS: usize = 1000;

/// The largest score a `candidates.csv` may give. The solver works with
/// integer weights (`score * 10^6`) whose sums must fit in 64 bits however
/// large the season; scores computed by dualmatch are 0 to 100.
pub(crate) const MAX_SCORE: f64 = 10_000.0;

/// How far into a JSON file to look for its opening `{` before reading it whole.
pub(crate) const JSON_SNIFF_BYTES: usize = 64 << 10;

/// A column of a table schema.
pub(crate) struct Col {
    pub name: &'static str,
    pub required: bool,
}

const fn req(name: &'static str) -> Col {
    Col { name, required: true }
}
const fn opt(name: &'static str) -> Col {
    Col { name, required: false }
}

const PROGRAMMES: &[Col] = &[req("id"), req("name")];
const SCHOOLS: &[Col] = &[req("id"), req("name"), req("lat"), req("lon")];
const LEARNERS: &[Col] = &[
    req("id"),
    req("school"),
    req("programme"),
    req("lat"),
    req("lon"),
    req("max_commute_km"),
    req("readiness"),
    req("screening"),
    req("attributes"),
    req("preferences"),
    opt("priority_group"),
];
const WORKPLACES: &[Col] = &[
    req("id"),
    req("company"),
    req("lat"),
    req("lon"),
    req("capacity"),
    req("min_readiness"),
    req("requires"),
    req("partner_schools"),
    req("preferences"),
];
const RECOGNITIONS: &[Col] = &[req("workplace"), req("programme"), req("seats")];
const CANDIDATES: &[Col] = &[req("learner"), req("workplace"), req("programme"), req("score")];

/// The columns of each table, in the index order the parsers use.
pub(crate) fn schema(table: TableName) -> &'static [Col] {
    match table {
        TableName::Programmes => PROGRAMMES,
        TableName::Schools => SCHOOLS,
        TableName::Learners => LEARNERS,
        TableName::Workplaces => WORKPLACES,
        TableName::Recognitions => RECOGNITIONS,
        TableName::Candidates => CANDIDATES,
    }
}

/// One row as schema-aligned text cells (`None`: column absent or value null).
pub(crate) type Cells<'a> = [Option<&'a str>];

/// Typed access to the cells of one row, recording a diagnostic for every
/// problem and remembering whether the row as a whole is usable.
pub(crate) struct RowCtx<'a> {
    origin: &'a TableOrigin,
    table: TableName,
    row: u64,
    diags: &'a mut Diagnostics,
    ok: bool,
}

impl<'a> RowCtx<'a> {
    fn col(&self, i: usize) -> &'static str {
        schema(self.table)[i].name
    }

    fn error(&mut self, i: usize, msg: String) {
        self.ok = false;
        let field = self.col(i);
        self.diags.push(self.origin.at(Severity::Error, self.row, Some(field), msg));
    }

    fn raw<'c>(&self, cells: &Cells<'c>, i: usize) -> &'c str {
        cells.get(i).copied().flatten().map(str::trim).unwrap_or("")
    }

    /// A required, non-empty text.
    fn text(&mut self, cells: &Cells, i: usize) -> String {
        let v = self.raw(cells, i);
        if v.is_empty() {
            self.error(i, "is empty; a value is required".into());
        }
        v.to_string()
    }

    /// An optional text (`None` when empty).
    fn opt_text(&mut self, cells: &Cells, i: usize) -> Option<String> {
        let v = self.raw(cells, i);
        (!v.is_empty()).then(|| v.to_string())
    }

    /// A `;`-separated list, empty items dropped.
    fn list(&mut self, cells: &Cells, i: usize) -> Vec<String> {
        self.raw(cells, i).split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
    }

    /// A finite number.
    fn number(&mut self, cells: &Cells, i: usize, what: &str) -> Option<f64> {
        let v = self.raw(cells, i);
        if v.is_empty() {
            self.error(i, format!("is empty; {what} is required"));
            return None;
        }
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => Some(x),
            Ok(_) => {
                self.error(i, format!("{} is not a finite number; give {what}", quoted(v)));
                None
            }
            Err(_) => {
                let hint = if v.contains(',') && v.replace(',', ".").parse::<f64>().is_ok() {
                    " (use a decimal point, not a comma)"
                } else {
                    ""
                };
                self.error(i, format!("{} is not a number; give {what}{hint}", quoted(v)));
                None
            }
        }
    }

    fn coordinate(&mut self, cells: &Cells, i: usize, limit: f64, what: &str) -> f64 {
        match self.number(cells, i, what) {
            Some(x) if x.abs() <= limit => x,
            Some(_) => {
                let v = quote(self.raw(cells, i));
                self.error(i, format!("{v} is out of range; {what} must be between -{limit} and {limit} degrees"));
                0.0
            }
            None => 0.0,
        }
    }

    fn lat(&mut self, cells: &Cells, i: usize) -> f64 {
        self.coordinate(cells, i, 90.0, "a latitude")
    }

    fn lon(&mut self, cells: &Cells, i: usize) -> f64 {
        self.coordinate(cells, i, 180.0, "a longitude")
    }

    /// A whole number >= 0 (an integral decimal such as `3.0` is accepted).
    fn whole(&mut self, cells: &Cells, i: usize, what: &str) -> Option<u32> {
        let v = self.raw(cells, i);
        if let Ok(n) = v.parse::<u32>() {
            return Some(n);
        }
        let x = self.number(cells, i, what)?;
        let v = quote(v);
        if x < 0.0 {
            self.error(i, format!("{v} is negative; {what} must be 0 or more"));
        } else if x.fract() != 0.0 {
            self.error(i, format!("{v} is not a whole number; {what} must be a whole number"));
        } else if x > f64::from(u32::MAX) {
            self.error(i, format!("{v} is too large for {what}"));
        } else {
            return Some(x as u32);
        }
        None
    }

    /// Readiness 1 to 4; `default` when empty (or an error when `default` is None).
    fn readiness(&mut self, cells: &Cells, i: usize, default: Option<u8>) -> u8 {
        let v = self.raw(cells, i);
        if v.is_empty() {
            if let Some(d) = default {
                return d;
            }
        }
        match self.whole(cells, i, "readiness") {
            Some(n @ 1..=4) => n as u8,
            Some(n) => {
                self.error(i, format!("{n} is outside 1 to 4; readiness is 1 (not yet ready) to 4"));
                1
            }
            None => 1,
        }
    }
}

fn parse_row(table: TableName, cells: &Cells, ctx: &mut RowCtx, doc: &mut SeasonDoc) {
    let row = ctx.row;
    match table {
        TableName::Programmes => {
            let rec = ProgrammeRec { id: ctx.text(cells, 0), name: ctx.text(cells, 1), row };
            doc.programmes.push(rec);
        }
        TableName::Schools => {
            let rec = SchoolRec {
                id: ctx.text(cells, 0),
                name: ctx.text(cells, 1),
                lat: ctx.lat(cells, 2),
                lon: ctx.lon(cells, 3),
                row,
            };
            doc.schools.push(rec);
        }
        TableName::Learners => {
            let id = ctx.text(cells, 0);
            let school = ctx.text(cells, 1);
            let programme = ctx.text(cells, 2);
            let lat = ctx.lat(cells, 3);
            let lon = ctx.lon(cells, 4);
            let max_commute_km = match ctx.number(cells, 5, "the longest commute in km") {
                Some(x) if x < 0.0 => {
                    ctx.error(5, format!("{} is negative; give the longest commute in km", quote(ctx.raw(cells, 5))));
                    0.0
                }
                Some(x) => x,
                None => 0.0,
            };
            let readiness = ctx.readiness(cells, 6, None);
            let sv = ctx.raw(cells, 7).to_string();
            let screening = match Screening::parse(&sv) {
                Some(s) => s,
                None => {
                    ctx.error(7, format!("{} is not a screening outcome; use passed, pending or failed", quoted(&sv)));
                    Screening::Pending
                }
            };
            let rec = LearnerRec {
                id,
                school,
                programme,
                lat,
                lon,
                max_commute_km,
                readiness,
                screening,
                attributes: ctx.list(cells, 8),
                preferences: ctx.list(cells, 9),
                priority_group: ctx.opt_text(cells, 10),
                row,
            };
            doc.learners.push(rec);
        }
        TableName::Workplaces => {
            let id = ctx.text(cells, 0);
            let company = ctx.text(cells, 1);
            let lat = ctx.lat(cells, 2);
            let lon = ctx.lon(cells, 3);
            let capacity = if ctx.raw(cells, 4).is_empty() { None } else { ctx.whole(cells, 4, "capacity") };
            let rec = WorkplaceRec {
                id,
                company,
                lat,
                lon,
                capacity,
                min_readiness: ctx.readiness(cells, 5, Some(1)),
                requires: ctx.list(cells, 6),
                partner_schools: ctx.list(cells, 7),
                preferences: ctx.list(cells, 8),
                row,
            };
            doc.workplaces.push(rec);
        }
        TableName::Recognitions => {
            let rec = RecognitionRec {
                workplace: ctx.text(cells, 0),
                programme: ctx.text(cells, 1),
                seats: ctx.whole(cells, 2, "seats").unwrap_or(0),
                row,
            };
            doc.recognitions.push(rec);
        }
        TableName::Candidates => {
            let learner = ctx.text(cells, 0);
            let workplace = ctx.text(cells, 1);
            let programme = ctx.text(cells, 2);
            let score = match ctx.number(cells, 3, "a score") {
                Some(x) if x < 0.0 => {
                    ctx.error(3, format!("{} is negative; scores must be 0 or more", quote(ctx.raw(cells, 3))));
                    0.0
                }
                Some(x) if x > MAX_SCORE => {
                    let v = quote(ctx.raw(cells, 3)).into_owned();
                    ctx.error(3, format!("{v} is too large; scores must be at most {MAX_SCORE} (rescale them)"));
                    0.0
                }
                Some(x) => x,
                None => 0.0,
            };
            let rec = CandidateRec { learner, workplace, programme, score, row };
            doc.candidates.get_or_insert_with(Vec::new).push(rec);
        }
    }
}

/// What reading the tables produced besides the document.
#[derive(Default)]
pub(crate) struct ReadOutcome {
    /// Per table: ids of rows that were rejected, so that references to them
    /// do not produce a second, misleading "unknown id" error.
    pub broken_ids: [HashSet<String>; 6],
    /// Tables that could not be read at all (missing file, missing columns).
    pub unusable: HashSet<&'static str>,
    /// Where each table came from.
    pub origins: Vec<(TableName, TableOrigin)>,
}

impl ReadOutcome {
    fn broken(&mut self, table: TableName) -> &mut HashSet<String> {
        let i = TableName::ALL.iter().position(|t| *t == table).unwrap_or(0);
        &mut self.broken_ids[i]
    }

    /// Whether `id` names a row of `table` that was rejected, or the whole table
    /// is unusable.
    pub fn is_broken(&self, table: TableName, id: &str) -> bool {
        let i = TableName::ALL.iter().position(|t| *t == table).unwrap_or(0);
        self.unusable.contains(table.as_str()) || self.broken_ids[i].contains(id)
    }

    /// The origin recorded for `table`.
    pub fn origin(&self, table: TableName) -> Option<&TableOrigin> {
        self.origins.iter().find(|(t, _)| *t == table).map(|(_, o)| o)
    }
}

/// Maps header names to schema column indices and reports duplicate, missing
/// and (silently) extra columns. Returns None when a required column is missing.
pub(crate) fn map_header(
    table: TableName,
    header: &[&str],
    origin: &TableOrigin,
    header_row: u64,
    diags: &mut Diagnostics,
) -> Option<Vec<Option<usize>>> {
    let cols = schema(table);
    let mut map = vec![None; cols.len()];
    let mut seen: Vec<(String, usize)> = Vec::new();
    let mut ok = true;
    for (pos, name) in header.iter().enumerate() {
        let name = name.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name && !n.is_empty()) {
            diags.push(origin.at(
                Severity::Error,
                header_row,
                Some(&name),
                format!(
                    "column {} appears twice (columns {} and {}); delete or rename one",
                    quoted(&name),
                    first + 1,
                    pos + 1
                ),
            ));
            ok = false;
            continue;
        }
        seen.push((name.clone(), pos));
        if let Some(i) = cols.iter().position(|c| c.name == name) {
            map[i] = Some(pos);
        }
    }
    let required = cols.iter().filter(|c| c.required).count();
    let missing = cols.iter().zip(&map).filter(|(c, m)| c.required && m.is_none()).count();
    if missing == required && required > 1 {
        let found: Vec<String> = header.iter().take(3).map(|h| h.chars().take(20).collect()).collect();
        diags.push(origin.at(
            Severity::Error,
            header_row,
            None,
            format!(
                "the header names none of the expected columns ({}); found {:?}; is this the right file?",
                header_names(table),
                found
            ),
        ));
        return None;
    }
    for (i, c) in cols.iter().enumerate() {
        if c.required && map[i].is_none() {
            let expected: Vec<&str> = cols.iter().filter(|c| c.required).map(|c| c.name).collect();
            diags.push(origin.at(
                Severity::Error,
                header_row,
                Some(c.name),
                format!("required column {:?} is missing; the header must name {}", c.name, expected.join(",")),
            ));
            ok = false;
        }
    }
    ok.then_some(map)
}

/// The id column of a table, for remembering rejected rows.
fn id_col(table: TableName) -> Option<usize> {
    match table {
        TableName::Programmes | TableName::Schools | TableName::Learners | TableName::Workplaces => Some(0),
        _ => None,
    }
}

/// Parses one row of schema-aligned cells into `doc` (shared by every
/// format); `ok` is false when the row already had a problem. A rejected
/// row's id is remembered in `out`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn parse_cells(
    table: TableName,
    cells: &Cells,
    origin: &TableOrigin,
    row: u64,
    ok: bool,
    doc: &mut SeasonDoc,
    out: &mut ReadOutcome,
    diags: &mut Diagnostics,
) {
    let id = id_col(table).and_then(|c| cells.get(c).copied().flatten()).map(|s| s.trim().to_string());
    let mut ctx = RowCtx { origin, table, row, diags, ok };
    parse_row(table, cells, &mut ctx, doc);
    if !ctx.ok {
        if let Some(id) = id {
            out.broken(table).insert(id);
        }
    }
}

/// What a whole-table message calls the table: `file` for CSV, `sheet 'name'`
/// for a spreadsheet.
fn subject(origin: &TableOrigin) -> String {
    match &origin.kind {
        OriginKind::Sheet { sheet } => format!("sheet '{sheet}'"),
        _ => "file".to_string(),
    }
}

/// Reports a table with no header row; the table is unusable.
pub(crate) fn report_empty(table: TableName, origin: &TableOrigin, out: &mut ReadOutcome, diags: &mut Diagnostics) {
    out.unusable.insert(table.as_str());
    let msg = format!("{} is empty; it needs a header row ({})", subject(origin), header_names(table));
    diags.push(origin.whole(Severity::Error, msg));
}

/// Reports a table with a header but no rows (only a warning for an optional table).
pub(crate) fn report_no_rows(table: TableName, origin: &TableOrigin, out: &mut ReadOutcome, diags: &mut Diagnostics) {
    let sev = if table.optional() { Severity::Warning } else { Severity::Error };
    diags.push(origin.whole(sev, format!("{} has a header but no rows", subject(origin))));
    if !table.optional() {
        out.unusable.insert(table.as_str());
    }
}

/// Whether reading a table should stop: `before` is the error count when it
/// started. Reports the stop, and the table is then unusable.
pub(crate) fn stop_after_too_many(
    table: TableName,
    origin: &TableOrigin,
    before: usize,
    out: &mut ReadOutcome,
    diags: &mut Diagnostics,
) -> bool {
    if diags.error_count() - before < MAX_PROBLEMS_PER_FILE {
        return false;
    }
    diags.push(
        origin
            .whole(Severity::Error, format!("stopped reading after {MAX_PROBLEMS_PER_FILE} problems; fix these first")),
    );
    out.unusable.insert(table.as_str());
    true
}

/// Reports a header wider than [`MAX_COLUMNS`]; the table is unusable.
pub(crate) fn report_too_wide(
    table: TableName,
    origin: &TableOrigin,
    header_row: u64,
    columns: usize,
    out: &mut ReadOutcome,
    diags: &mut Diagnostics,
) {
    out.unusable.insert(table.as_str());
    diags.push(origin.at(
        Severity::Error,
        header_row,
        None,
        format!(
            "the header has {columns} columns, more than the {MAX_COLUMNS} read; the header must name {}; \
             is this the right file?",
            header_names(table)
        ),
    ));
}

/// A CSV row longer than the limit: reading stops there.
#[derive(Clone, Debug)]
pub(crate) struct RowTooLong {
    /// The 1-based line where the row starts.
    line: u64,
    /// Whether the row spans several lines (inside a quoted value).
    multiline: bool,
    /// The limit, in bytes.
    limit: usize,
}

/// `1 MiB` or `64 KiB` for whole mebibytes or kibibytes, else a byte count.
fn byte_size(n: usize) -> String {
    if n >= 1 << 20 && n % (1 << 20) == 0 {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n % (1 << 10) == 0 {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

impl fmt::Display for RowTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let limit = byte_size(self.limit);
        if self.multiline {
            write!(
                f,
                "the row starting at line {} is longer than {limit} and runs over several lines; \
                 is a closing quote (\") missing, or is this not a CSV file?",
                self.line
            )
        } else {
            write!(f, "line {} is longer than {limit}; is this a CSV file?", self.line)
        }
    }
}

impl std::error::Error for RowTooLong {}

/// Where the row being read starts: the byte offset and 1-based line the csv
/// reader gives after the previous row. Set by the reading loop, read by
/// [`RowLimit`].
type RowStart = Rc<Cell<(u64, u64)>>;

/// A reader that fails with [`RowTooLong`] once one CSV row has grown past
/// `limit` bytes, so that memory stays bounded whatever the input (a file
/// without line breaks, or an unclosed quote).
///
/// The csv reader asks for more input only when it has used up what it was
/// given, so when it asks, every byte passed on since the first byte of the
/// current row belongs to that row: comparing the two offsets is exact and
/// costs nothing per byte. Blank lines before a row are skipped by the csv
/// reader without being kept, so the row starts at its first byte that is not
/// a line break. The last chunk is kept to find that byte once the reader has
/// said where the row starts (rows end only inside the chunk given last).
struct RowLimit<R> {
    inner: R,
    limit: u64,
    start: RowStart,
    /// The `start` the current row was located from.
    seen_start: (u64, u64),
    /// The first byte of the current row that is not a line break, and its
    /// line; `None` while only line breaks have followed `start`.
    row: Option<(u64, u64)>,
    /// Line breaks after `start` in chunks before `last`, while `row` is `None`.
    blank_newlines: u64,
    /// The last chunk passed on, and its offset.
    last: Vec<u8>,
    last_offset: u64,
    /// Bytes passed on so far.
    passed: u64,
    /// The offset just after the last line break (`\n`) passed on.
    after_last_newline: u64,
    /// Set once the limit is hit; every later read fails the same way.
    failed: Option<RowTooLong>,
}

impl<R: Read> RowLimit<R> {
    fn new(inner: R, limit: usize, start: RowStart) -> Self {
        RowLimit {
            inner,
            limit: limit as u64,
            seen_start: start.get(),
            start,
            row: None,
            blank_newlines: 0,
            last: Vec::new(),
            last_offset: 0,
            passed: 0,
            after_last_newline: 0,
            failed: None,
        }
    }

    /// Finds the first byte of the current row in the last chunk, if it is
    /// there; only the bytes between `start` and it are looked at.
    fn locate_row(&mut self) {
        let (start, start_line) = self.start.get();
        if (start, start_line) != self.seen_start {
            self.seen_start = (start, start_line);
            self.row = None;
            self.blank_newlines = 0;
        }
        if self.row.is_some() {
            return;
        }
        let from = usize::try_from(start.max(self.last_offset) - self.last_offset).unwrap_or(usize::MAX);
        let tail = self.last.get(from..).unwrap_or_default();
        let content = tail.iter().position(|b| !matches!(b, b'\n' | b'\r'));
        let blank = &tail[..content.unwrap_or(tail.len())];
        let newlines = blank.iter().filter(|b| **b == b'\n').count() as u64;
        match content {
            Some(i) => {
                let line = start_line + self.blank_newlines + newlines;
                self.row = Some((self.last_offset + (from + i) as u64, line));
            }
            None => self.blank_newlines += newlines,
        }
    }

    fn error(e: &RowTooLong) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e.clone())
    }
}

impl<R: Read> Read for RowLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = &self.failed {
            return Err(Self::error(e));
        }
        self.locate_row();
        if let Some((first, line)) = self.row {
            if self.passed - first > self.limit {
                let e = RowTooLong { line, multiline: self.after_last_newline > first, limit: self.limit as usize };
                let err = Self::error(&e);
                self.failed = Some(e);
                return Err(err);
            }
        }
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        self.last.clear();
        self.last.extend_from_slice(chunk);
        self.last_offset = self.passed;
        if let Some(i) = chunk.iter().rposition(|b| *b == b'\n') {
            self.after_last_newline = self.passed + i as u64 + 1;
        }
        self.passed += n as u64;
        Ok(n)
    }
}

/// Line numbers that do not depend on the csv reader's own count (which is
/// off by one per row in CRLF files, and counts blank lines before a row as
/// part of it). A [`LineCounter`] notes, for every `\n` that passes, its byte
/// offset and whether the line it ends is blank; [`Newlines::line_at`] turns a
/// record's byte offset into the 1-based line of its first non-blank line.
/// Only the offsets in the read-ahead window are kept, so memory stays bounded.
#[derive(Clone, Default)]
struct Newlines(Rc<RefCell<NewlineState>>);

#[derive(Default)]
struct NewlineState {
    /// (offset of a `\n`, whether the line it ends is blank), in order.
    pending: VecDeque<(u64, bool)>,
    /// Line breaks already passed by the records asked about.
    before: u64,
}

impl Newlines {
    /// The 1-based line of the first non-blank line at or after `byte`, which
    /// must be the start of a line; offsets must be asked in increasing order.
    fn line_at(&self, byte: u64) -> u64 {
        let mut s = self.0.borrow_mut();
        // Line breaks before the record… (in CRLF files the csv reader places a
        // record at the `\n` that ends the line before it, hence `<=`)…
        while s.pending.front().is_some_and(|&(at, _)| at <= byte) {
            s.pending.pop_front();
            s.before += 1;
        }
        // …and the blank lines it starts with, which the csv reader skips.
        while s.pending.front().is_some_and(|&(_, blank)| blank) {
            s.pending.pop_front();
            s.before += 1;
        }
        s.before + 1
    }
}

/// Passes bytes through, noting line breaks for [`Newlines`].
struct LineCounter<R> {
    inner: R,
    offset: u64,
    /// Whether the current line has had a byte other than `\r`.
    content: bool,
    lines: Newlines,
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut s = self.lines.0.borrow_mut();
        for (i, b) in buf[..n].iter().enumerate() {
            match b {
                b'\n' => {
                    s.pending.push_back((self.offset + i as u64, !self.content));
                    self.content = false;
                }
                b'\r' => {}
                _ => self.content = true,
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// The [`RowTooLong`] behind a csv error, if that is what it is.
fn row_too_long(e: &csv::Error) -> Option<&RowTooLong> {
    match e.kind() {
        csv::ErrorKind::Io(io) => io.get_ref()?.downcast_ref::<RowTooLong>(),
        _ => None,
    }
}

/// Reports a CSV read error that ends reading the file.
fn push_read_error(e: &csv::Error, origin: &TableOrigin, diags: &mut Diagnostics) {
    match row_too_long(e) {
        Some(long) => diags.push(origin.at(Severity::Error, long.line, None, long.to_string())),
        None => diags.push(origin.whole(Severity::Error, format!("cannot be read: {e}"))),
    }
}

/// Reads one CSV table from `path` into `doc`.
pub(crate) fn read_csv_table(
    table: TableName,
    path: &Path,
    display: String,
    max_row_bytes: usize,
    doc: &mut SeasonDoc,
    out: &mut ReadOutcome,
    diags: &mut Diagnostics,
) {
    let origin = TableOrigin { file: display, kind: OriginKind::Csv };
    out.origins.push((table, origin.clone()));
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            out.unusable.insert(table.as_str());
            if e.kind() == std::io::ErrorKind::NotFound {
                if !table.optional() {
                    diags.push(origin.whole(
                        Severity::Error,
                        format!("file is missing; a season directory needs {}", table.file_name()),
                    ));
                }
            } else {
                diags.push(origin.whole(Severity::Error, format!("cannot be read: {e}")));
            }
            return;
        }
    };
    read_csv_from(table, file, max_row_bytes, &origin, doc, out, diags);
}

fn utf8_hint() -> &'static str {
    "is not valid UTF-8 text; save the file as \"CSV UTF-8\" (it may be Latin-1/Windows-1252 or not a CSV file at all)"
}

/// Reads CSV from any reader (also used by the fuzz targets and tests); a row
/// longer than `max_row_bytes` ends reading with an error.
pub(crate) fn read_csv_from<R: Read>(
    table: TableName,
    input: R,
    max_row_bytes: usize,
    origin: &TableOrigin,
    doc: &mut SeasonDoc,
    out: &mut ReadOutcome,
    diags: &mut Diagnostics,
) {
    let row_start: RowStart = Rc::new(Cell::new((0, 1)));
    let lines = Newlines::default();
    let counted = LineCounter { inner: input, offset: 0, content: false, lines: lines.clone() };
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(RowLimit::new(
        BufReader::with_capacity(1 << 16, counted),
        max_row_bytes,
        row_start.clone(),
    ));
    // After each row, where the next one starts (for the row length limit).
    let next_row = |rdr: &csv::Reader<_>| row_start.set((rdr.position().byte(), rdr.position().line()));
    let mut rec = csv::ByteRecord::new();
    let before = diags.error_count();

    // Header.
    let header = rdr.read_byte_record(&mut rec);
    next_row(&rdr);
    let (map, width) = match header {
        Ok(false) => {
            report_empty(table, origin, out, diags);
            return;
        }
        Ok(true) => {
            let header_row = lines.line_at(rec.position().map_or(0, |p| p.byte()));
            if rec.len() > MAX_COLUMNS {
                report_too_wide(table, origin, header_row, rec.len(), out, diags);
                return;
            }
            let mut names = Vec::with_capacity(rec.len());
            for f in rec.iter() {
                match std::str::from_utf8(f) {
                    Ok(s) => names.push(s),
                    Err(_) => {
                        out.unusable.insert(table.as_str());
                        diags.push(origin.at(Severity::Error, header_row, None, format!("header {}", utf8_hint())));
                        return;
                    }
                }
            }
            match map_header(table, &names, origin, header_row, diags) {
                Some(m) => (m, names.len()),
                None => {
                    out.unusable.insert(table.as_str());
                    return;
                }
            }
        }
        Err(e) => {
            out.unusable.insert(table.as_str());
            push_read_error(&e, origin, diags);
            return;
        }
    };
    let mut rows = 0u64;
    loop {
        if stop_after_too_many(table, origin, before, out, diags) {
            return;
        }
        let read = rdr.read_byte_record(&mut rec);
        next_row(&rdr);
        match read {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    out.unusable.insert(table.as_str());
                    push_read_error(&e, origin, diags);
                    return;
                }
                let line = e.position().map_or(0, |p| lines.line_at(p.byte()));
                diags.push(origin.at(Severity::Error, line, None, format!("malformed CSV: {e}")));
                continue;
            }
        }
        let line = lines.line_at(rec.position().map_or(0, |p| p.byte()));
        // A completely blank line (common at the end of hand-edited files) is skipped.
        if rec.len() == 1 && rec[0].iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        rows += 1;
        let id = id_col(table)
            .and_then(|c| map[c])
            .and_then(|pos| rec.get(pos))
            .and_then(|b| std::str::from_utf8(b).ok())
            .map(|s| s.trim().to_string());
        if rec.len() != width {
            diags.push(origin.at(
                Severity::Error,
                line,
                None,
                format!(
                    "row has {} fields but the header has {width}; {} (quote values that contain commas)",
                    rec.len(),
                    if rec.len() < width { "a value or a comma is missing" } else { "there is an extra comma" }
                ),
            ));
            if let Some(id) = id {
                out.broken(table).insert(id);
            }
            continue;
        }
        let mut owned: Vec<Option<std::borrow::Cow<str>>> = Vec::with_capacity(map.len());
        let mut utf8_ok = true;
        for (i, pos) in map.iter().enumerate() {
            let cell = pos.and_then(|p| rec.get(p)).map(|b| {
                let text = String::from_utf8_lossy(b);
                if matches!(text, std::borrow::Cow::Owned(_)) {
                    utf8_ok = false;
                    diags.push(origin.at(Severity::Error, line, Some(schema(table)[i].name), utf8_hint()));
                }
                text
            });
            owned.push(cell);
        }
        let cells: Vec<Option<&str>> = owned.iter().map(|c| c.as_deref()).collect();
        parse_cells(table, &cells, origin, line, utf8_ok, doc, out, diags);
    }
    if rows == 0 {
        report_no_rows(table, origin, out, diags);
    }
}

pub(crate) fn header_names(table: TableName) -> String {
    schema(table).iter().filter(|c| c.required).map(|c| c.name).collect::<Vec<_>>().join(",")
}

// ---------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------

mod json {
    //! A JSON season is an object with one array of records per table. Each
    //! record's values are turned into text cells (numbers as written, lists
    //! joined with `;`, null as empty) and parsed like CSV.

    use std::collections::BTreeMap;
    use std::fmt;

    use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde::Deserialize;

    /// A record as field name → text cell; `Err` holds a description of a value
    /// that has no text form (an object, or a list of lists).
    pub type Record = Vec<(String, Result<Option<String>, String>)>;

    pub struct Cell(pub Result<Option<String>, String>);

    impl<'de> Deserialize<'de> for Cell {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Cell;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a text, number, boolean, null or list")
                }
                fn visit_str<E>(self, v: &str) -> Result<Cell, E> {
                    Ok(Cell(Ok(Some(v.to_string()))))
                }
                fn visit_string<E>(self, v: String) -> Result<Cell, E> {
                    Ok(Cell(Ok(Some(v))))
                }
                fn visit_i64<E>(self, v: i64) -> Result<Cell, E> {
                    Ok(Cell(Ok(Some(v.to_string()))))
                }
                fn visit_u64<E>(self, v: u64) -> Result<Cell, E> {
                    Ok(Cell(Ok(Some(v.to_string()))))
                }
                fn visit_f64<E>(self, v: f64) -> Result<Cell, E> {
                    Ok(Cell(Ok(Some(v.to_string()))))
                }
                fn visit_bool<E>(self, v: bool) -> Result<Cell, E> {
                    Ok(Cell(Ok(Some(v.to_string()))))
                }
                fn visit_unit<E>(self) -> Result<Cell, E> {
                    Ok(Cell(Ok(None)))
                }
                fn visit_none<E>(self) -> Result<Cell, E> {
                    Ok(Cell(Ok(None)))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Cell, A::Error> {
                    let mut items = Vec::new();
                    let mut bad = false;
                    while let Some(Cell(c)) = seq.next_element::<Cell>()? {
                        match c {
                            Ok(Some(s)) if !s.contains(';') => items.push(s),
                            Ok(None) => {}
                            _ => bad = true,
                        }
                    }
                    Ok(Cell(if bad {
                        Err("a list may hold only texts and numbers without ';'".into())
                    } else {
                        Ok(Some(items.join(";")))
                    }))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cell, A::Error> {
                    while map.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
                    Ok(Cell(Err("an object is not allowed here; give a text, number or list".into())))
                }
            }
            d.deserialize_any(V)
        }
    }

    pub struct Rec(pub Record);

    impl<'de> Deserialize<'de> for Rec {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Rec;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a record object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Rec, A::Error> {
                    let mut out = Vec::new();
                    while let Some((k, Cell(v))) = map.next_entry::<String, Cell>()? {
                        out.push((k.trim().to_ascii_lowercase(), v));
                    }
                    Ok(Rec(out))
                }
            }
            d.deserialize_map(V)
        }
    }

    /// The top level: table name → records. Unknown keys are kept and ignored.
    pub type Document = BTreeMap<String, Option<Vec<Rec>>>;
}

/// The tables of a JSON season, for messages.
const JSON_TABLES: &str = "programmes, schools, learners, workplaces, recognitions (and optionally candidates)";

/// Checks the first bytes of a JSON season file (up to [`JSON_SNIFF_BYTES`];
/// `whole` when that is the entire file) before the file is read whole, so
/// that a large file that is not JSON at all is refused at once. Returns the
/// 1-based line and the problem, if any.
pub(crate) fn json_start_problem(prefix: &[u8], whole: bool) -> Option<(u64, String)> {
    let body = prefix.strip_prefix(b"\xef\xbb\xbf".as_slice()).unwrap_or(prefix);
    let Some(at) = body.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')) else {
        // All blank: a short file gets the parser's own message.
        return (!whole).then(|| {
            let line = 1 + body.iter().filter(|b| **b == b'\n').count() as u64;
            let blank = byte_size(JSON_SNIFF_BYTES);
            (
                line,
                format!(
                    "is not a valid season JSON document: it starts with more than {blank} of blank space; \
                     it must be an object with arrays {JSON_TABLES}"
                ),
            )
        });
    };
    let first = body[at];
    if first == b'{' {
        return None;
    }
    let line = 1 + body[..at].iter().filter(|b| **b == b'\n').count() as u64;
    let what = if first.is_ascii_graphic() { format!("'{}'", first as char) } else { format!("byte 0x{first:02x}") };
    Some((
        line,
        format!(
            "is not a valid season JSON document: it starts with {what}, not '{{'; \
             it must be an object with arrays {JSON_TABLES}"
        ),
    ))
}

/// Reads a whole season from one JSON document.
pub(crate) fn read_json(
    text: &str,
    display: &str,
    doc: &mut SeasonDoc,
    out: &mut ReadOutcome,
    diags: &mut Diagnostics,
) {
    let parsed: Result<json::Document, _> = serde_json::from_str(text);
    let whole = TableOrigin { file: display.to_string(), kind: OriginKind::Csv };
    let mut tables = match parsed {
        Ok(t) => t,
        Err(e) => {
            for t in TableName::ALL {
                out.unusable.insert(t.as_str());
            }
            let msg = if e.to_string().starts_with("recursion limit exceeded") {
                format!(
                    "is not a valid season JSON document: it is nested more than 128 levels deep \
                     (line {}, column {}); it must be an object with arrays {JSON_TABLES} of flat records",
                    e.line(),
                    e.column()
                )
            } else {
                // serde's message repeats a wrong value whole: cut it.
                let e = clip(&e.to_string(), 300).into_owned();
                format!("is not a valid season JSON document: {e}; it must be an object with arrays {JSON_TABLES}")
            };
            let mut d = whole.whole(Severity::Error, msg);
            if e.line() > 0 {
                d.position = super::diag::Position::Line { line: e.line() as u64 };
            }
            diags.push(d);
            return;
        }
    };
    for table in TableName::ALL {
        let origin = TableOrigin { file: display.to_string(), kind: OriginKind::Json { table: table.as_str() } };
        out.origins.push((table, origin.clone()));
        let Some(records) = tables.remove(table.as_str()).flatten() else {
            out.unusable.insert(table.as_str());
            if !table.optional() {
                diags.push(origin.whole(Severity::Error, format!("has no \"{}\" array; add it", table.as_str())));
            }
            continue;
        };
        if records.is_empty() && !table.optional() {
            out.unusable.insert(table.as_str());
            diags.push(origin.whole(Severity::Error, format!("the \"{}\" array is empty", table.as_str())));
            continue;
        }
        let cols = schema(table);
        for (index, json::Rec(fields)) in records.iter().enumerate() {
            let row = index as u64;
            let mut cells: Vec<Option<&str>> = vec![None; cols.len()];
            let mut ok = true;
            for (name, value) in fields {
                let Some(i) = cols.iter().position(|c| c.name == name) else { continue };
                match value {
                    Ok(v) => cells[i] = v.as_deref(),
                    Err(msg) => {
                        ok = false;
                        diags.push(origin.at(Severity::Error, row, Some(cols[i].name), msg.clone()));
                    }
                }
            }
            parse_cells(table, &cells, &origin, row, ok, doc, out, diags);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(table: TableName, bytes: &[u8], limit: usize) -> (SeasonDoc, Diagnostics) {
        let mut doc = SeasonDoc::default();
        let mut out = ReadOutcome::default();
        let mut diags = Diagnostics::new();
        let origin = TableOrigin { file: "t.csv".into(), kind: OriginKind::Csv };
        read_csv_from(table, bytes, limit, &origin, &mut doc, &mut out, &mut diags);
        (doc, diags)
    }

    fn first_error(table: TableName, bytes: &[u8], limit: usize) -> (usize, String, Option<u64>) {
        let (_, diags) = read(table, bytes, limit);
        let d = diags.iter().next().map(|d| (d.message.clone(), d.line())).unwrap_or_default();
        (diags.error_count(), d.0, d.1)
    }

    #[test]
    fn rows_up_to_the_limit_are_read_whatever_the_file_size() {
        // 40,000 rows, many with quoted values (also over several lines), CRLF and LF.
        let mut csv = b"id,name\r\n".to_vec();
        for i in 0..10_000 {
            csv.extend(format!("P{i}a,Kok\nP{i}b,\"a, \"\"b\"\"\"\r\nP{i}c,\"two\nlines\"\nP{i}d,x\"y\n").as_bytes());
        }
        let (doc, diags) = read(TableName::Programmes, &csv, 32);
        assert_eq!(diags.error_count(), 0, "{diags}");
        assert_eq!(doc.programmes.len(), 40_000);
        assert_eq!(doc.programmes[1].name, "a, \"b\"");
        assert_eq!(doc.programmes[2].name, "two\nlines");
    }

    #[test]
    fn a_long_line_is_one_clear_error() {
        let mut csv = b"id,name\nP1,Kok\r\nP2,".to_vec();
        csv.extend(std::iter::repeat_n(b'x', 100_000));
        csv.extend(b"\nP3,Kok\n");
        let (doc, diags) = read(TableName::Programmes, &csv, 64);
        assert_eq!(doc.programmes.len(), 1);
        assert_eq!(diags.error_count(), 1, "{diags}");
        let d = diags.iter().next().unwrap();
        assert_eq!(d.line(), Some(3));
        assert_eq!(d.message, "line 3 is longer than 64 bytes; is this a CSV file?");
        // In the header too.
        let long = vec![0u8; 100_000];
        assert_eq!(
            first_error(TableName::Programmes, &long, 1 << 10),
            (1, "line 1 is longer than 1 KiB; is this a CSV file?".to_string(), Some(1))
        );
    }

    #[test]
    fn blank_lines_do_not_count_towards_a_row() {
        let mut csv = b"id,name\nP1,Kok\n".to_vec();
        csv.extend(b"\r\n".repeat(100_000));
        csv.extend(b"P2,");
        csv.extend(b"x".repeat(10_000));
        let (doc, diags) = read(TableName::Programmes, &csv, 1 << 10);
        assert_eq!(doc.programmes.len(), 1);
        assert_eq!(diags.error_count(), 1, "{diags}");
        assert_eq!(diags.iter().next().unwrap().message, "line 100003 is longer than 1 KiB; is this a CSV file?");
        csv.truncate(csv.len() - 9_500);
        csv.extend(b"\nP3,Kok");
        let (doc, diags) = read(TableName::Programmes, &csv, 1 << 10);
        assert_eq!(diags.error_count(), 0, "{diags}");
        assert_eq!(doc.programmes.len(), 3);
    }

    #[test]
    fn an_unclosed_quote_is_one_clear_error() {
        let mut csv = b"id,name\nP1,Kok\nP2,\"Kok\n".to_vec();
        csv.extend(b"P3,Kok\n".repeat(20_000));
        let (n, msg, line) = first_error(TableName::Programmes, &csv, 1 << 10);
        assert_eq!(n, 1);
        assert_eq!(line, Some(3));
        assert!(
            msg.starts_with("the row starting at line 3 is longer than 1 KiB and runs over several lines"),
            "{msg}"
        );
    }

    #[test]
    fn a_header_with_too_many_columns_is_refused() {
        let mut csv = b"id,name".to_vec();
        csv.extend(b",x".repeat(MAX_COLUMNS));
        csv.extend(b"\nP1,Kok\n");
        let (doc, diags) = read(TableName::Programmes, &csv, MAX_ROW_BYTES);
        assert!(doc.programmes.is_empty());
        assert_eq!(diags.error_count(), 1);
        assert!(diags.to_string().contains("the header has 1002 columns, more than the 1000 read"), "{diags}");
    }

    #[test]
    fn json_start() {
        assert_eq!(json_start_problem(b"\xef\xbb\xbf \n{\"a\"", true), None);
        assert_eq!(json_start_problem(b"", true), None);
        assert_eq!(json_start_problem(b"  \n", true), None);
        let (line, msg) = json_start_problem(b"\n\n[1]", true).unwrap();
        assert_eq!(line, 3);
        assert!(msg.contains("it starts with '[', not '{'"), "{msg}");
        let (_, msg) = json_start_problem(&[0; 10], false).unwrap();
        assert!(msg.contains("it starts with byte 0x00"), "{msg}");
        let (_, msg) = json_start_problem(&[b' '; 10], false).unwrap();
        assert!(msg.contains("blank space"), "{msg}");
    }

    #[test]
    fn deep_json_is_a_clear_error() {
        let text = format!("{{\"learners\": [{{\"id\": {}{}}}]}}", "[".repeat(200), "]".repeat(200));
        let mut doc = SeasonDoc::default();
        let mut out = ReadOutcome::default();
        let mut diags = Diagnostics::new();
        read_json(&text, "deep.json", &mut doc, &mut out, &mut diags);
        assert_eq!(diags.error_count(), 1);
        assert!(diags.to_string().contains("nested more than 128 levels deep"), "{diags}");
    }
}
