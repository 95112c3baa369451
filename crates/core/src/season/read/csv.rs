//! CSV tables: bounded rows, line numbers from byte offsets, and the reading
//! loop that turns each record into schema-aligned cells.

use std::borrow::Cow;
use std::cell::Cell;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use super::rows::{id_col, parse_cells, reserve, schema};
use super::{
    byte_size, map_header, report_empty, report_no_rows, report_too_wide, stop_after_too_many, ReadOutcome, MAX_COLUMNS,
};
use crate::dialect::{self, CellDecoder, Dialect, Encoding};
use crate::season::diag::{Diagnostics, OriginKind, Severity, TableOrigin};
use crate::season::doc::*;

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
    let size = file.metadata().ok().map(|m| m.len());
    read_csv_sized(table, file, size, max_row_bytes, &origin, doc, out, diags);
}

/// The most rows reserved ahead from a file's size (8M rows); a larger table
/// grows as it is read.
const MAX_RESERVED_ROWS: u64 = 1 << 23;

/// How many rows a file of `size` bytes holds, judged from its first bytes
/// `head`: a hint for reserving memory, at most [`MAX_RESERVED_ROWS`].
fn rows_expected(head: &[u8], size: Option<u64>) -> usize {
    let Some(size) = size else { return 0 };
    let lines = head.iter().filter(|b| **b == b'\n').count() as u64;
    if lines < 2 || size <= head.len() as u64 {
        return lines as usize;
    }
    let per_row = (head.len() as u64 / lines).max(1);
    (size / per_row).min(MAX_RESERVED_ROWS) as usize
}

/// Empties `v` and gives back its memory for cells of another row (the
/// cells borrow from one record at a time; the allocation is reused).
fn recycle<'b>(mut v: Vec<Option<Cow<'_, str>>>) -> Vec<Option<Cow<'b, str>>> {
    v.clear();
    v.into_iter().map(|_| None).collect()
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
    read_csv_sized(table, input, None, max_row_bytes, origin, doc, out, diags);
}

/// [`read_csv_from`], with the input's size in bytes when it is known (to
/// reserve memory for its rows).
#[allow(clippy::too_many_arguments)]
fn read_csv_sized<R: Read>(
    table: TableName,
    input: R,
    size: Option<u64>,
    max_row_bytes: usize,
    origin: &TableOrigin,
    doc: &mut SeasonDoc,
    out: &mut ReadOutcome,
    diags: &mut Diagnostics,
) {
    let row_start: RowStart = Rc::new(Cell::new((0, 1)));
    let lines = Newlines::default();
    // The dialect, once, from the first line (looked at in the buffer, not consumed).
    let mut input = BufReader::with_capacity(1 << 16, input);
    let head = match input.fill_buf() {
        Ok(head) => head,
        Err(e) => {
            out.unusable.insert(table.as_str());
            diags.push(origin.whole(Severity::Error, format!("cannot be read: {e}")));
            return;
        }
    };
    if dialect::is_utf16(head) {
        out.unusable.insert(table.as_str());
        diags.push(origin.at(Severity::Error, 1, None, dialect::UTF16_HINT));
        return;
    }
    let mut expected = rows_expected(head, size);
    let known: Vec<&str> = schema(table).iter().map(|c| c.name).collect();
    let mut dec = CellDecoder::new(Dialect::sniff(head, &known));
    let counted = LineCounter { inner: input, offset: 0, content: false, lines: lines.clone() };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(dec.dialect().delimiter)
        .from_reader(RowLimit::new(BufReader::with_capacity(1 << 16, counted), max_row_bytes, row_start.clone()));
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
            let owned: Vec<Cow<str>> = rec.iter().map(|f| dec.text(f, header_row)).collect();
            let names: Vec<&str> = owned.iter().map(|c| c.as_ref()).collect();
            match map_header(table, &names, origin, header_row, Some(dec.dialect()), diags) {
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
    let mut spare: Vec<Option<Cow<'static, str>>> = Vec::with_capacity(map.len());
    let mut spare_cells: Vec<Option<&'static str>> = Vec::with_capacity(map.len());
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
        if rec.len() != width {
            let id = id_col(table)
                .and_then(|c| map[c])
                .and_then(|pos| rec.get(pos))
                .map(|b| dec.text(b, line).trim().to_string());
            diags.push(origin.at(Severity::Error, line, None, width_problem(dec.dialect(), &rec, width)));
            if let Some(id) = id {
                out.broken(table).insert(id);
            }
            continue;
        }
        let mut owned = recycle(std::mem::take(&mut spare));
        for (col, pos) in schema(table).iter().zip(&map) {
            let cell = pos.and_then(|p| rec.get(p)).map(|b| {
                let text = dec.text(b, line);
                if col.number {
                    dec.number(text, line)
                } else {
                    text
                }
            });
            owned.push(cell);
        }
        let mixed = dec.take_mixed();
        if let Some(m) = &mixed {
            diags.push(origin.at(Severity::Error, line, None, m.to_string()));
        }
        let mut cells = recycle_cells(std::mem::take(&mut spare_cells));
        cells.extend(owned.iter().map(|c| c.as_deref()));
        if expected > 0 {
            // Room for the rows the file's size promises, made before the
            // first record (so that a table with none stays absent).
            reserve(table, doc, std::mem::take(&mut expected));
        }
        parse_cells(table, &cells, origin, line, mixed.is_none(), doc, out, diags);
        spare_cells = recycle_cells(cells);
        spare = recycle(owned);
    }
    if dec.encoding() == Encoding::Windows1252 {
        diags.push(origin.whole(Severity::Note, dialect::windows_1252_note()));
    }
    if rows == 0 {
        report_no_rows(table, origin, out, diags);
    }
}

/// [`recycle`] for the borrowed cells handed to the row parser.
fn recycle_cells<'b>(mut v: Vec<Option<&str>>) -> Vec<Option<&'b str>> {
    v.clear();
    v.into_iter().map(|_| None).collect()
}

/// What is wrong with a row of `rec.len()` fields under a header of `width`:
/// a row in another dialect than the header, or a value or delimiter too many
/// or too few.
fn width_problem(dialect: Dialect, rec: &csv::ByteRecord, width: usize) -> String {
    let n = rec.len();
    if let Some(other) = dialect.other_fitting(rec.iter(), width) {
        return format!(
            "this line is {} but the header (line 1) is {}: the file mixes two CSV dialects; \
             save the whole file again from one program",
            other.describe(),
            dialect.describe()
        );
    }
    let (name, sep) = match dialect.delimiter {
        b';' => ("semicolon", ";"),
        b'\t' => ("tab", "tab"),
        _ => ("comma", "comma"),
    };
    let what = if n < width { format!("a value or a {name} is missing") } else { format!("there is an extra {name}") };
    let hint = if dialect.delimiter == b';' {
        "put quotes around values that contain a semicolon, such as a list \"W1;W2\"".to_string()
    } else {
        format!("quote values that contain {sep}s")
    };
    format!("row has {n} fields but the header has {width}; {what} ({hint})")
}

#[cfg(test)]
mod tests {
    use super::super::MAX_ROW_BYTES;
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
}
