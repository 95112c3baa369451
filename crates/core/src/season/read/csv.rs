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

use super::rows::{append, id_col, parse_row_cells, reserve, schema};
use super::{
    byte_size, map_header, report_empty, report_no_rows, report_too_wide, stop_after_too_many, ReadOutcome, MAX_COLUMNS,
};
use crate::dialect::{self, CellDecoder, Dialect, Encoding};
use crate::season::diag::{Diagnostic, Diagnostics, OriginKind, Severity, TableOrigin};
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
/// costs nothing per byte. No more is passed on than one byte past the
/// limit of the current row, so a row longer than the limit is always met,
/// at the same byte, however the input arrives (in one piece, in the
/// reader's pieces, or after the rows [`Stream::fast_rows`] took), and a
/// row within it never is. Blank lines before a row are skipped by the csv
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
    /// Lines of the file before the first byte of `inner`.
    skipped: u64,
}

impl<R: Read> RowLimit<R> {
    fn new(inner: R, limit: usize, start: RowStart, skipped: u64) -> Self {
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
            skipped,
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
                let line = self.skipped + start_line + self.blank_newlines + newlines;
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
        // At most up to one byte past the limit of the current row (or of a
        // row starting now), so that a longer row is always met here, at
        // the same byte, however the input arrives.
        let room = match self.row {
            Some((first, line)) => {
                if self.passed - first > self.limit {
                    let e = RowTooLong { line, multiline: self.after_last_newline > first, limit: self.limit as usize };
                    let err = Self::error(&e);
                    self.failed = Some(e);
                    return Err(err);
                }
                first + self.limit + 1 - self.passed
            }
            None => self.limit + 1,
        };
        let len = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..len])?;
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
    /// Line numbers for bytes that start after `skipped` lines of the file.
    fn after(skipped: u64) -> Self {
        Newlines(Rc::new(RefCell::new(NewlineState { pending: VecDeque::new(), before: skipped })))
    }

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
        let chunk = &buf[..n];
        // Whether a line has content is settled by its first byte that is
        // not `\r` (for most lines, its first byte).
        let has_content = |part: &[u8]| part.iter().any(|b| *b != b'\r');
        let mut start = 0;
        for i in memchr::memchr_iter(b'\n', chunk) {
            let content = self.content || has_content(&chunk[start..i]);
            s.pending.push_back((self.offset + i as u64, !content));
            self.content = false;
            start = i + 1;
        }
        self.content = self.content || has_content(&chunk[start..]);
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
    read_csv_sized(table, file, size, max_row_bytes, Tuning::DEFAULT, &origin, doc, out, diags);
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

/// The csv reader over a file's bytes from the start of a line on, with what
/// turns its positions into line numbers.
struct Records<R: Read> {
    rdr: csv::Reader<RowLimit<BufReader<LineCounter<R>>>>,
    lines: Newlines,
    row_start: RowStart,
}

impl<R: Read> Records<R> {
    /// Records of `input`, whose first byte starts line `skipped + 1` of the file.
    fn new(input: R, skipped: u64, delimiter: u8, max_row_bytes: usize) -> Self {
        let row_start: RowStart = Rc::new(Cell::new((0, 1)));
        let lines = Newlines::after(skipped);
        let counted = LineCounter { inner: input, offset: 0, content: false, lines: lines.clone() };
        let limited =
            RowLimit::new(BufReader::with_capacity(1 << 16, counted), max_row_bytes, row_start.clone(), skipped);
        let rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(limited);
        Records { rdr, lines, row_start }
    }

    /// Reads the next record into `rec` (false at the end).
    fn read(&mut self, rec: &mut csv::ByteRecord) -> csv::Result<bool> {
        let read = self.rdr.read_byte_record(rec);
        // Where the next row starts, for the row length limit.
        self.row_start.set((self.rdr.position().byte(), self.rdr.position().line()));
        read
    }

    /// The line of `rec`, just read.
    fn line_of(&self, rec: &csv::ByteRecord) -> u64 {
        self.lines.line_at(rec.position().map_or(0, |p| p.byte()))
    }
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
    read_csv_sized(table, input, None, max_row_bytes, Tuning::DEFAULT, origin, doc, out, diags);
}

/// The header of a file that may be read by [`Stream::fast_rows`]: its
/// first line, in `head`, when it is a plain line (not blank, no quotes, no
/// `\r` but the one before its `\n`) well within the row limit; its length
/// with the `\n`.
fn plain_header(head: &[u8], tuning: Tuning, dialect: Dialect, max_row_bytes: usize) -> Option<usize> {
    if tuning.block_bytes == 0 || dialect != Dialect::COMMA {
        return None;
    }
    let end = memchr::memchr(b'\n', head)?;
    let line = head[..end].strip_suffix(b"\r").unwrap_or(&head[..end]);
    let plain = !line.is_empty() && !line.iter().any(|b| matches!(b, b'"' | b'\r')) && line.len() + 2 <= max_row_bytes;
    plain.then_some(end + 1)
}

/// [`read_csv_from`], with the input's size in bytes when it is known (to
/// reserve memory for its rows) and how rows are parsed (`tuning`; tests
/// and fuzzing check the chunked reader against reading row by row).
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_csv_sized<R: Read>(
    table: TableName,
    input: R,
    size: Option<u64>,
    max_row_bytes: usize,
    tuning: Tuning,
    origin: &TableOrigin,
    doc: &mut SeasonDoc,
    out: &mut ReadOutcome,
    diags: &mut Diagnostics,
) {
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
    let expected = rows_expected(head, size);
    let known: Vec<&str> = schema(table).iter().map(|c| c.name).collect();
    let mut dec = CellDecoder::new(Dialect::sniff(head, &known));
    let delimiter = dec.dialect().delimiter;
    let before = diags.error_count();
    let mut rows = 0u64;
    let mut rec = csv::ByteRecord::new();
    // A plain header is read on its own, so that the rows after it can be
    // read as plain lines in parallel blocks (`fast`); otherwise the header
    // and every row are read record by record.
    let (mut records, fast): (Records<Box<dyn Read + '_>>, _) =
        match plain_header(head, tuning, dec.dialect(), max_row_bytes) {
            Some(header_len) => {
                let header_line = head[..header_len].to_vec();
                input.consume(header_len);
                (Records::new(Box::new(io::Cursor::new(header_line)), 0, delimiter, max_row_bytes), Some(input))
            }
            None => (Records::new(Box::new(input), 0, delimiter, max_row_bytes), None),
        };
    let Some((map, width)) = read_header(table, &mut records, &mut rec, &mut dec, origin, out, diags) else {
        return;
    };
    let mut st = Stream { table, map: &map, width, origin, before, expected, tuning };
    if let Some(mut input) = fast {
        // As many rows as are plain lines, then the rest (if any) record by record.
        let Some(rest) = st.fast_rows(&mut input, 1, max_row_bytes, &mut rows, doc, out, diags) else {
            return;
        };
        let tail: Box<dyn Read + '_> = match rest.failed {
            Some(e) => Box::new(Failed(Some(e))),
            None => Box::new(input),
        };
        records = Records::new(Box::new(io::Cursor::new(rest.bytes).chain(tail)), rest.lines, delimiter, max_row_bytes);
    }
    if !st.rows(records, &mut rec, &mut rows, &mut dec, doc, out, diags) {
        return;
    }
    if dec.encoding() == Encoding::Windows1252 {
        diags.push(origin.whole(Severity::Note, dialect::windows_1252_note()));
    }
    if rows == 0 {
        report_no_rows(table, origin, out, diags);
    }
}

/// Reads the header: the schema's column for each position and the width;
/// `None` (reported) when the file cannot be read on.
fn read_header<R: Read>(
    table: TableName,
    records: &mut Records<R>,
    rec: &mut csv::ByteRecord,
    dec: &mut CellDecoder,
    origin: &TableOrigin,
    out: &mut ReadOutcome,
    diags: &mut Diagnostics,
) -> Option<(Vec<Option<usize>>, usize)> {
    match records.read(rec) {
        Ok(false) => {
            report_empty(table, origin, out, diags);
            None
        }
        Ok(true) => {
            let header_row = records.line_of(rec);
            if rec.len() > MAX_COLUMNS {
                report_too_wide(table, origin, header_row, rec.len(), out, diags);
                return None;
            }
            let owned: Vec<Cow<str>> = rec.iter().map(|f| dec.text(f, header_row)).collect();
            let names: Vec<&str> = owned.iter().map(|c| c.as_ref()).collect();
            match map_header(table, &names, origin, header_row, Some(dec.dialect()), diags) {
                Some(m) => Some((m, names.len())),
                None => {
                    out.unusable.insert(table.as_str());
                    None
                }
            }
        }
        Err(e) => {
            out.unusable.insert(table.as_str());
            push_read_error(&e, origin, diags);
            None
        }
    }
}

/// Whether `rec` is a completely blank line (common at the end of
/// hand-edited files), which is skipped.
fn is_blank(rec: &csv::ByteRecord) -> bool {
    rec.len() == 1 && is_blank_text(&rec[0])
}

/// Whether a line's text (or a record's one field) is only white space.
fn is_blank_text(text: &[u8]) -> bool {
    text.iter().all(u8::is_ascii_whitespace)
}

/// What the reading loop met after the rows of the header's width it gathered.
enum Next {
    /// The batch is full.
    Full,
    /// Another record (a row of another width or a blank line), a malformed
    /// one, or the end of the file.
    Record(csv::Result<bool>),
}

/// How rows are gathered and parsed: rows of the header's width are read in
/// order and gathered into batches of `batch_rows`; a batch is parsed in
/// chunks of `chunk_rows`, in parallel when there are several, and the
/// results are taken in file order, row by row, exactly as if each row had
/// been parsed when it was read (the same records, the same diagnostics in
/// the same order, the same stop after [`super::MAX_PROBLEMS_PER_FILE`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tuning {
    /// Rows gathered before they are parsed.
    pub batch_rows: usize,
    /// Rows one task parses.
    pub chunk_rows: usize,
    /// Bytes read at a time while the rows are plain lines (see
    /// [`Stream::fast_rows`]); 0 reads every file record by record.
    pub block_bytes: usize,
    /// Bytes of plain lines one task splits and parses.
    pub chunk_bytes: usize,
}

impl Tuning {
    /// What the loader uses: 64Ki-row batches in 4Ki-row chunks, plain
    /// lines in 2 MiB blocks of 256 KiB chunks.
    pub const DEFAULT: Tuning =
        Tuning { batch_rows: 1 << 16, chunk_rows: 1 << 12, block_bytes: 2 << 20, chunk_bytes: 256 << 10 };
}

/// What [`Stream::fast_rows`] leaves for [`Stream::rows`]: the bytes it read
/// from the start of the first row it did not take, the lines before them,
/// and the error that ended reading the input, if one did.
struct Rest {
    bytes: Vec<u8>,
    lines: u64,
    failed: Option<io::Error>,
}

impl Rest {
    /// This rest of a taken block, followed by `more` bytes read after the
    /// block and the error that ended reading, if one did.
    fn then(mut self, more: &[u8], failed: Option<io::Error>) -> Rest {
        self.bytes.extend_from_slice(more);
        Rest { failed, ..self }
    }
}

/// A reader that fails with an error once (then is at its end): the input
/// after [`Rest::bytes`] when reading it failed.
struct Failed(Option<io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// The rows of a file gathered for parsing: every field's bytes, one after
/// another, and where each field ends. Every row has the header's width.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    lines: Vec<u64>,
}

impl Batch {
    fn len(&self) -> usize {
        self.lines.len()
    }

    fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    fn push(&mut self, line: u64, rec: &csv::ByteRecord) {
        self.lines.push(line);
        for field in rec {
            self.bytes.extend_from_slice(field);
            self.ends.push(self.bytes.len());
        }
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
        self.lines.clear();
    }

    /// Field `pos` of row `row` of a batch of rows `width` fields wide.
    fn field(&self, row: usize, width: usize, pos: usize) -> Option<&[u8]> {
        if pos >= width {
            return None;
        }
        let i = row * width + pos;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.bytes[start..self.ends[i]])
    }
}

/// What parsing some rows of a batch gave, to be taken in order.
struct Part {
    doc: SeasonDoc,
    diags: Diagnostics,
    /// The rows parsed.
    rows: usize,
    /// The rows with a problem, in order: the row's index, the count of
    /// errors in `diags` after it, and its id when it was rejected. (Most
    /// rows have none, and need no entry.)
    marks: Vec<(usize, usize, Option<String>)>,
}

impl Part {
    /// An empty part with room for `rows` rows of `table`.
    fn with_capacity(table: TableName, rows: usize) -> Self {
        let mut part = Part { doc: SeasonDoc::default(), diags: Diagnostics::new(), rows: 0, marks: Vec::new() };
        if table == TableName::Candidates {
            part.doc.candidates = Some(CandidateTable::with_capacity(rows));
        }
        part
    }

    /// Notes a row just parsed, which gave `result`.
    fn note(&mut self, result: Result<(), Option<String>>) {
        let errors = self.diags.error_count();
        let before = self.marks.last().map_or(0, |m| m.1);
        let broken = result.err().flatten();
        if errors != before || broken.is_some() {
            self.marks.push((self.rows, errors, broken));
        }
        self.rows += 1;
    }
}

/// What parsing a batch gave: its rows' records, in order, and each
/// chunk's diagnostics (its `doc` taken into `doc`).
struct Parsed {
    doc: SeasonDoc,
    parts: Vec<Part>,
}

/// The fixed parts of reading one file's rows.
struct Stream<'a> {
    table: TableName,
    map: &'a [Option<usize>],
    width: usize,
    origin: &'a TableOrigin,
    /// The error count when the file was started.
    before: usize,
    /// Rows to reserve room for before the first record.
    expected: usize,
    tuning: Tuning,
}

impl Stream<'_> {
    /// Whether the rows of `batch` parse the same with a fresh decoder as with
    /// the file's `dec`, so that its chunks may run in parallel (and in the
    /// background). The decoder keeps state only for text that is not ASCII
    /// and for numbers in a file that is not comma-separated. A mix found
    /// before (in the id of a row of another width) and not yet reported
    /// belongs to the next row parsed: then the file's decoder.
    fn stateless(&self, batch: &Batch, dec: &CellDecoder) -> bool {
        dec.dialect() == Dialect::COMMA && !dec.has_mixed() && batch.bytes.is_ascii()
    }

    /// Reads the rest of a file record by record: rows of the header's width
    /// in batches (parsed in the background while the next rows are read),
    /// any other record in order between them. False when reading stopped
    /// early (after too many problems, or an error that ends the file).
    #[allow(clippy::too_many_arguments)]
    fn rows<R: Read>(
        &mut self,
        mut records: Records<R>,
        rec: &mut csv::ByteRecord,
        rows: &mut u64,
        dec: &mut CellDecoder,
        doc: &mut SeasonDoc,
        out: &mut ReadOutcome,
        diags: &mut Diagnostics,
    ) -> bool {
        let (table, origin, width, tuning) = (self.table, self.origin, self.width, self.tuning);
        let (mut batch, mut spare) = (Batch::default(), Batch::default());
        // A full batch: parsed in the background, while the next rows are read.
        let mut full: Option<Batch> = None;
        loop {
            if stop_after_too_many(table, origin, self.before, out, diags) {
                return false;
            }
            if let Some(b) = &mut full {
                if !self.stateless(b, dec) && self.flush(b, dec, doc, out, diags) {
                    return false;
                }
            }
            let background = full.as_ref().filter(|b| !b.is_empty());
            let mut parsed = None;
            // Rows of the header's width go into `batch` until it is full; any
            // other record (or the end) is handled below, in order, once the rows
            // read before it are in.
            let next = rayon::in_place_scope(|scope| {
                if let Some(b) = background {
                    let (st, parsed) = (&*self, &mut parsed);
                    scope.spawn(move |_| *parsed = Some(st.parse_all(b, &mut CellDecoder::new(Dialect::COMMA))));
                }
                loop {
                    let read = records.read(rec);
                    if !(matches!(read, Ok(true)) && rec.len() == width) {
                        return Next::Record(read);
                    }
                    let line = records.line_of(rec);
                    if is_blank(rec) {
                        continue;
                    }
                    *rows += 1;
                    batch.push(line, rec);
                    if batch.len() >= tuning.batch_rows {
                        return Next::Full;
                    }
                }
            });
            if let Some(parts) = parsed {
                if self.merge(parts, doc, out, diags) {
                    return false;
                }
            }
            if let Some(mut b) = full.take() {
                b.clear();
                spare = b;
            }
            let read = match next {
                Next::Full => {
                    full = Some(std::mem::replace(&mut batch, std::mem::take(&mut spare)));
                    continue;
                }
                Next::Record(read) => read,
            };
            if !batch.is_empty() && self.flush(&mut batch, dec, doc, out, diags) {
                return false;
            }
            match read {
                Ok(false) => return true,
                Ok(true) => {}
                Err(e) => {
                    if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        out.unusable.insert(table.as_str());
                        push_read_error(&e, origin, diags);
                        return false;
                    }
                    let line = e.position().map_or(0, |p| records.lines.line_at(p.byte()));
                    diags.push(origin.at(Severity::Error, line, None, format!("malformed CSV: {e}")));
                    continue;
                }
            }
            let line = records.line_of(rec);
            if is_blank(rec) {
                continue;
            }
            *rows += 1;
            let id = id_col(table)
                .and_then(|c| self.map[c])
                .and_then(|pos| rec.get(pos))
                .map(|b| dec.text(b, line).trim().to_string());
            diags.push(origin.at(Severity::Error, line, None, width_problem(dec.dialect(), rec, width)));
            if let Some(id) = id {
                out.broken(table).insert(id);
            }
        }
    }

    /// Reads the rows that are plain lines, from `input` (just after the
    /// header, which ended line `lines`), in blocks of [`Tuning::block_bytes`]:
    /// each block is cut at line breaks into chunks of about
    /// [`Tuning::chunk_bytes`], which are split and parsed in parallel (see
    /// [`Plain::parse`]) while the block before is taken in order. At the
    /// first chunk that is not all plain lines, what is left (from that
    /// chunk's first byte, a row's start) is given back for [`Self::rows`];
    /// `None` when reading stopped after too many problems.
    #[allow(clippy::too_many_arguments)]
    fn fast_rows<R: Read>(
        &mut self,
        input: &mut R,
        mut lines: u64,
        max_row_bytes: usize,
        rows: &mut u64,
        doc: &mut SeasonDoc,
        out: &mut ReadOutcome,
        diags: &mut Diagnostics,
    ) -> Option<Rest> {
        use rayon::prelude::*;
        let (block, chunk) = (self.tuning.block_bytes.max(1), self.tuning.chunk_bytes.max(1));
        let plain = Plain { table: self.table, map: self.map, width: self.width, origin: self.origin, max_row_bytes };
        let mut buf: Vec<u8> = Vec::new();
        let (mut held, mut spare): (Option<Held>, Option<Vec<u8>>) = (None, None);
        loop {
            // Fill the block; the end of a line cut off last time comes first.
            let mut failed = None;
            let want = block.saturating_sub(buf.len()) as u64;
            let at_end = match input.by_ref().take(want).read_to_end(&mut buf) {
                Ok(n) => (n as u64) < want,
                Err(e) => {
                    failed = Some(e);
                    true
                }
            };
            let end = memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1);
            // Chunks of whole lines, cut at line breaks.
            let mut bounds = vec![0];
            while let Some(&from) = bounds.last().filter(|&&b| b < end) {
                let cut = (from + chunk).min(end);
                bounds.push(memchr::memchr(b'\n', &buf[cut - 1..end]).map_or(end, |i| cut + i));
            }
            let chunks: Vec<&[u8]> = bounds.windows(2).map(|w| &buf[w[0]..w[1]]).collect();
            let counts: Vec<u64> = chunks.par_iter().map(|c| memchr::memchr_iter(b'\n', c).count() as u64).collect();
            let firsts: Vec<u64> =
                counts.iter().scan(lines + 1, |next, n| Some(std::mem::replace(next, *next + n))).collect();
            // This block is parsed while the one before is taken.
            let (parts, taken) = rayon::join(
                || {
                    let jobs = chunks.par_iter().zip(&firsts).zip(&counts);
                    jobs.map(|((c, &first), &n)| plain.parse(c, first, n as usize)).collect::<Vec<_>>()
                },
                || held.take().map(|h| self.take(h, rows, doc, out, diags)),
            );
            drop(chunks);
            match taken {
                Some(Taken::Stopped) => return None,
                Some(Taken::Left(left)) => return Some(left.then(&buf, failed)),
                Some(Taken::All(bytes)) => spare = Some(bytes),
                None => {}
            }
            let mut next = spare.take().unwrap_or_default();
            next.clear();
            next.extend_from_slice(&buf[end..]);
            buf.truncate(end);
            let this = Held { bytes: std::mem::replace(&mut buf, next), bounds, counts, parts, lines };
            lines += this.counts.iter().sum::<u64>();
            if at_end || end == 0 {
                // The end, or not one line break in a whole block (a row
                // longer than a block): this block is taken, and the record
                // reader judges the rest.
                return match self.take(this, rows, doc, out, diags) {
                    Taken::Stopped => None,
                    Taken::Left(left) => Some(left.then(&buf, failed)),
                    Taken::All(_) => Some(Rest { bytes: buf, lines, failed }),
                };
            }
            held = Some(this);
        }
    }

    /// Takes the rows of a block of plain lines in order, up to its first
    /// chunk that is not all plain lines.
    fn take(
        &mut self,
        held: Held,
        rows: &mut u64,
        doc: &mut SeasonDoc,
        out: &mut ReadOutcome,
        diags: &mut Diagnostics,
    ) -> Taken {
        let Held { mut bytes, bounds, counts, parts, mut lines } = held;
        for ((part, n), from) in parts.into_iter().zip(counts).zip(bounds) {
            let Some(mut part) = part else {
                bytes.drain(..from);
                return Taken::Left(Rest { bytes, lines, failed: None });
            };
            *rows += part.rows as u64;
            out.plain_rows += part.rows as u64;
            let rows_doc = std::mem::take(&mut part.doc);
            if self.merge(Parsed { doc: rows_doc, parts: vec![part] }, doc, out, diags) {
                return Taken::Stopped;
            }
            lines += n;
        }
        Taken::All(bytes)
    }

    /// Parses the rows of `batch` (emptied) and takes the results in order;
    /// true when reading stopped after too many problems.
    fn flush(
        &mut self,
        batch: &mut Batch,
        dec: &mut CellDecoder,
        doc: &mut SeasonDoc,
        out: &mut ReadOutcome,
        diags: &mut Diagnostics,
    ) -> bool {
        let parts = self.parse_all(batch, dec);
        batch.clear();
        self.merge(parts, doc, out, diags)
    }

    /// Parses the rows of `batch` in chunks, in parallel when it is
    /// [`Self::stateless`] (then `dec` is a fresh decoder).
    fn parse_all(&self, batch: &Batch, dec: &mut CellDecoder) -> Parsed {
        let chunk = self.tuning.chunk_rows.max(1);
        let ranges: Vec<std::ops::Range<usize>> =
            (0..batch.len()).step_by(chunk).map(|a| a..(a + chunk).min(batch.len())).collect();
        let mut parts: Vec<Part> = if self.stateless(batch, dec) && ranges.len() > 1 {
            use rayon::prelude::*;
            ranges.into_par_iter().map(|r| self.parse(batch, r, &mut CellDecoder::new(Dialect::COMMA))).collect()
        } else {
            ranges.into_iter().map(|r| self.parse(batch, r, dec)).collect()
        };
        // The chunks' records in one document (where a batch runs in the
        // background, so is this: the file's document then takes a batch's
        // records in one go, with its candidates' ids re-indexed once per
        // distinct id of the batch instead of once per distinct id of each chunk).
        let mut doc = parts.first_mut().map(|p| std::mem::take(&mut p.doc)).unwrap_or_default();
        for p in parts.iter_mut().skip(1) {
            append(self.table, &mut doc, &mut p.doc, usize::MAX);
        }
        Parsed { doc, parts }
    }

    /// Takes the rows of `parts` in order, as if each had been parsed when it
    /// was read; true when reading stopped after too many problems.
    fn merge(&mut self, parsed: Parsed, doc: &mut SeasonDoc, out: &mut ReadOutcome, diags: &mut Diagnostics) -> bool {
        let Parsed { doc: mut rows, parts } = parsed;
        let (mut taken, mut stopped) = (0, false);
        let before = self.before;
        let full = |diags: &Diagnostics| diags.error_count() - before >= super::MAX_PROBLEMS_PER_FILE;
        'parts: for part in &parts {
            let found: Vec<&Diagnostic> = part.diags.iter().collect();
            let (mut from, mut next) = (0, 0);
            // Rows without a problem, between two marked rows and after
            // the last: taken all at once, as one at a time would (after
            // the first of them, reading would stop if it were to stop).
            let plain = |from: usize, upto: usize, diags: &Diagnostics, taken: &mut usize| {
                if upto > from {
                    if full(diags) {
                        *taken += 1;
                        return true;
                    }
                    *taken += upto - from;
                }
                false
            };
            for (row, end, broken) in &part.marks {
                if plain(next, *row, diags, &mut taken) {
                    stopped = true;
                    break 'parts;
                }
                for d in found.get(from..*end).unwrap_or_default() {
                    diags.push((*d).clone());
                }
                from = *end;
                if let Some(id) = broken {
                    out.broken(self.table).insert(id.clone());
                }
                taken += 1;
                next = row + 1;
                if full(diags) {
                    stopped = true;
                    break 'parts;
                }
            }
            if plain(next, part.rows, diags, &mut taken) {
                stopped = true;
                break;
            }
        }
        if self.expected > 0 && taken > 0 {
            // Room for the rows the file's size promises, made before the
            // first record (so that a table with none stays absent).
            reserve(self.table, doc, std::mem::take(&mut self.expected));
        }
        append(self.table, doc, &mut rows, taken);
        stopped && stop_after_too_many(self.table, self.origin, self.before, out, diags)
    }

    /// Parses the rows `range` of `batch` with `dec`.
    fn parse(&self, batch: &Batch, range: std::ops::Range<usize>, dec: &mut CellDecoder) -> Part {
        let mut part = Part::with_capacity(self.table, range.len());
        let mut spare: Vec<Option<Cow<'static, str>>> = Vec::with_capacity(self.map.len());
        let mut spare_cells: Vec<Option<&'static str>> = Vec::with_capacity(self.map.len());
        for row in range {
            let line = batch.lines[row];
            let mut owned = recycle(std::mem::take(&mut spare));
            for (col, pos) in schema(self.table).iter().zip(self.map) {
                let cell = pos.and_then(|p| batch.field(row, self.width, p)).map(|b| {
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
                part.diags.push(self.origin.at(Severity::Error, line, None, m.to_string()));
            }
            let mut cells = recycle_cells(std::mem::take(&mut spare_cells));
            cells.extend(owned.iter().map(|c| c.as_deref()));
            let result =
                parse_row_cells(self.table, &cells, self.origin, line, mixed.is_none(), &mut part.doc, &mut part.diags);
            part.note(result);
            spare_cells = recycle_cells(cells);
            spare = recycle(owned);
        }
        part
    }
}

/// What splitting and parsing plain lines needs of a file (see
/// [`Stream::fast_rows`]).
#[derive(Clone, Copy)]
struct Plain<'a> {
    table: TableName,
    map: &'a [Option<usize>],
    width: usize,
    origin: &'a TableOrigin,
    max_row_bytes: usize,
}

impl Plain<'_> {
    /// Parses `chunk`, whole lines from line `first` on (`n` of them), when
    /// every one is a plain row: ASCII, without quotes, without `\r` but
    /// before its `\n`, with as many commas as the header and not blank,
    /// and short enough never to meet the row limit. Such a line is one
    /// record whose fields are its text between commas, decoded as a fresh
    /// [`CellDecoder`] decodes ASCII in a comma-separated file: so it gives
    /// exactly what reading record by record gives. `None` when a line is
    /// not plain.
    fn parse(&self, chunk: &[u8], first: u64, n: usize) -> Option<Part> {
        if !chunk.is_ascii() || memchr::memchr(b'"', chunk).is_some() {
            return None;
        }
        let text = std::str::from_utf8(chunk).ok()?;
        let crlf = memchr::memchr(b'\r', chunk).is_some();
        let mut part = Part::with_capacity(self.table, n);
        let mut fields: Vec<&str> = Vec::with_capacity(self.width);
        let mut cells: Vec<Option<&str>> = Vec::with_capacity(self.map.len());
        for (line, row) in (first..).zip(split_terminator(text, b'\n')) {
            let row = if crlf {
                let row = row.strip_suffix('\r').unwrap_or(row);
                if row.contains('\r') {
                    return None;
                }
                row
            } else {
                row
            };
            if row.len() + 2 > self.max_row_bytes {
                return None;
            }
            fields.clear();
            fields.extend(split_ascii(row, b','));
            if fields.len() != self.width || (self.width == 1 && is_blank_text(row.as_bytes())) {
                return None;
            }
            cells.clear();
            cells.extend(self.map.iter().map(|p| p.and_then(|p| fields.get(p).copied())));
            let result = parse_row_cells(self.table, &cells, self.origin, line, true, &mut part.doc, &mut part.diags);
            part.note(result);
        }
        Some(part)
    }
}

/// `text` split at the ASCII byte `sep`, as `str::split` splits it: found
/// with `memchr`, without the check of a whole `char` at every match that
/// `str::split` makes (a call to `memcmp` each).
fn split_ascii(text: &str, sep: u8) -> impl Iterator<Item = &str> {
    debug_assert!(sep.is_ascii());
    let ends = memchr::memchr_iter(sep, text.as_bytes()).chain(std::iter::once(text.len()));
    let mut start = 0;
    ends.map(move |end| {
        let piece = &text[start..end];
        start = end + 1;
        piece
    })
}

/// `text` split at the ASCII byte `sep`, as `str::split_terminator` splits
/// it (no empty piece after a final `sep`).
fn split_terminator(text: &str, sep: u8) -> impl Iterator<Item = &str> {
    let trimmed = text.strip_suffix(char::from(sep)).unwrap_or(text);
    split_ascii(trimmed, sep).take(if text.is_empty() { 0 } else { usize::MAX })
}

/// A block of plain lines, parsed, waiting to be taken in order.
struct Held {
    /// The block's whole lines.
    bytes: Vec<u8>,
    /// Where its chunks start in `bytes` (and the last one ends).
    bounds: Vec<usize>,
    /// Each chunk's line breaks.
    counts: Vec<u64>,
    /// Each chunk's rows; `None` for a chunk that is not all plain lines.
    parts: Vec<Option<Part>>,
    /// Lines of the file before the block.
    lines: u64,
}

/// What taking a [`Held`] block gave.
enum Taken {
    /// Every row; the block's bytes, for reuse.
    All(Vec<u8>),
    /// The rows up to a chunk that is not all plain lines; the rest from there.
    Left(Rest),
    /// Reading stopped after too many problems.
    Stopped,
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

    proptest::proptest! {
        /// The byte splitters split as `str::split` and
        /// `str::split_terminator` do.
        #[test]
        fn byte_splitters_split_as_str_does(text in "[a,\n]{0,12}") {
            for sep in [b',', b'\n'] {
                let c = char::from(sep);
                proptest::prop_assert_eq!(split_ascii(&text, sep).collect::<Vec<_>>(), text.split(c).collect::<Vec<_>>());
                proptest::prop_assert_eq!(
                    split_terminator(&text, sep).collect::<Vec<_>>(),
                    text.split_terminator(c).collect::<Vec<_>>()
                );
            }
        }
    }

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

    /// `bytes` read as `table` with `tuning` (its size known).
    fn read_tuned(
        table: TableName,
        bytes: &[u8],
        limit: usize,
        tuning: Tuning,
    ) -> (SeasonDoc, ReadOutcome, Diagnostics) {
        let (mut doc, mut out, mut diags) = (SeasonDoc::default(), ReadOutcome::default(), Diagnostics::new());
        let origin = TableOrigin { file: "t.csv".into(), kind: OriginKind::Csv };
        read_csv_sized(table, bytes, Some(bytes.len() as u64), limit, tuning, &origin, &mut doc, &mut out, &mut diags);
        (doc, out, diags)
    }

    /// Everything one read gives: the records, the diagnostics in order,
    /// the rejected ids and whether the table is unusable.
    fn read_all(table: TableName, bytes: &[u8], limit: usize, tuning: Tuning) -> String {
        let (doc, out, diags) = read_tuned(table, bytes, limit, tuning);
        let mut broken: Vec<Vec<&String>> = out.broken_ids.iter().map(|ids| ids.iter().collect()).collect();
        broken.iter_mut().for_each(|ids| ids.sort());
        let items: Vec<&Diagnostic> = diags.iter().collect();
        format!(
            "{doc:?}\n{items:?}\n{} {} {} {}\n{broken:?}\n{:?}",
            diags.error_count(),
            diags.warning_count(),
            diags.note_count(),
            diags.suppressed(),
            out.unusable
        )
    }

    /// One row at a time, in order: the reference the batched reader must match.
    const ONE_BY_ONE: Tuning = Tuning { batch_rows: 1, chunk_rows: 1, block_bytes: 0, chunk_bytes: 0 };

    /// A CSV file for `table`, from `cells` and `shape` (per row: how many
    /// fields, the line ending and whether a blank line follows): valid and
    /// invalid values, quotes, line breaks in quotes, non-UTF-8 bytes,
    /// decimal commas, rows too short or too long.
    fn hostile_csv(table: TableName, semicolon: bool, rows: &[(Vec<u8>, u8)]) -> Vec<u8> {
        const CELLS: &[&[u8]] = &[
            b"L1",
            b"L2",
            b" W1 ",
            b"P01",
            b"",
            b"51.2",
            b"-3",
            b"1e999",
            b"abc",
            b"7,5",
            b"2",
            b"passed",
            b"pending",
            b"\"q,\"\"x\"\"\"",
            b"\"two\nlines\"",
            b"\xC3\xA9",
            b"\xE9t\xE9",
            b"x\"y",
            b"0.5",
            b"4",
            b"\"\"",
            b"W1;W2",
            b"\"a;b\"",
            b" ",
            b"\"unclosed",
        ];
        let d: &[u8] = if semicolon { b";" } else { b"," };
        let names: Vec<&str> = schema(table).iter().map(|c| c.name).collect();
        let mut csv = names.join(std::str::from_utf8(d).unwrap()).into_bytes();
        csv.extend(b"\n");
        for (picks, shape) in rows {
            let width = match shape % 8 {
                0 => names.len() - 1,
                1 => names.len() + 1,
                _ => names.len(),
            };
            let fields: Vec<&[u8]> =
                (0..width).map(|i| CELLS[*picks.get(i).unwrap_or(&0) as usize % CELLS.len()]).collect();
            csv.extend(fields.join(d));
            csv.extend(if shape & 8 == 0 { &b"\n"[..] } else { b"\r\n" });
            if shape & 16 != 0 {
                csv.extend(b"\n");
            }
        }
        csv
    }

    /// A file whose rows are all valid but for a few (to reach the chunks in
    /// parallel: ASCII and comma-separated) or with many bad rows (to stop
    /// after too many problems inside a chunk).
    fn mostly_valid(table: TableName, rows: usize, bad_every: usize, blanks: bool) -> Vec<u8> {
        let names: Vec<&str> = schema(table).iter().map(|c| c.name).collect();
        let mut csv = format!("{}\n", names.join(",")).into_bytes();
        for i in 0..rows {
            let bad = bad_every > 0 && i % bad_every == 0;
            let row = match table {
                TableName::Learners => format!(
                    "L{i},S{},P1,{},4.5,{},{},passed,a;b,W1,\n",
                    i % 3,
                    if bad { "north" } else { "51.5" },
                    i % 50,
                    if bad { 7 } else { 1 + i % 4 }
                ),
                _ => format!("L{i},W{},P1,{}\n", i % 7, if bad { "-1".to_string() } else { format!("{}.5", i % 90) }),
            };
            csv.extend(row.as_bytes());
            if blanks && i % 13 == 5 {
                csv.extend(b"\r\n");
            }
        }
        csv
    }

    /// Found by the `season_csv` fuzz target: a row of another width whose
    /// id is the first non-ASCII text leaves a mix of encodings to report
    /// on the next row parsed; ASCII rows after it must still be parsed
    /// with the file's decoder.
    #[test]
    fn a_mix_found_in_a_short_row_is_reported_as_row_by_row() {
        let csv = include_bytes!("testdata/mixed-after-short-row.csv");
        let reference = read_all(TableName::Workplaces, csv, MAX_ROW_BYTES, ONE_BY_ONE);
        assert_eq!(
            read_all(
                TableName::Workplaces,
                csv,
                MAX_ROW_BYTES,
                Tuning { batch_rows: 5, chunk_rows: 2, block_bytes: 0, chunk_bytes: 0 }
            ),
            reference
        );
        assert_eq!(
            read_all(
                TableName::Workplaces,
                csv,
                MAX_ROW_BYTES,
                Tuning { batch_rows: 5, chunk_rows: 2, block_bytes: 64, chunk_bytes: 16 }
            ),
            reference
        );
    }

    /// How many rows of `bytes` were read as plain lines.
    fn plain_rows(table: TableName, bytes: &[u8], tuning: Tuning) -> u64 {
        read_tuned(table, bytes, MAX_ROW_BYTES, tuning).1.plain_rows
    }

    /// A file of plain lines is read whole in parallel chunks; from the
    /// chunk with the first line that is not plain (a quoted value), the
    /// rest is read record by record; the result is what reading row by row
    /// gives either way.
    #[test]
    fn plain_lines_are_split_in_parallel_up_to_the_first_quote() {
        let table = TableName::Candidates;
        let tuning = Tuning { batch_rows: 64, chunk_rows: 8, block_bytes: 4096, chunk_bytes: 512 };
        let plain = mostly_valid(table, 5000, 0, false);
        assert_eq!(plain_rows(table, &plain, tuning), 5000);
        assert_eq!(plain_rows(table, &plain, ONE_BY_ONE), 0);
        assert_eq!(read_all(table, &plain, MAX_ROW_BYTES, tuning), read_all(table, &plain, MAX_ROW_BYTES, ONE_BY_ONE));
        let text = String::from_utf8(plain).unwrap();
        let quoted = text.replacen("L3017,W0,", "L3017,\"W0\",", 1);
        assert_ne!(quoted, text);
        let taken = plain_rows(table, quoted.as_bytes(), tuning);
        assert!((2917..3017).contains(&taken), "{taken}");
        let reference = read_all(table, quoted.as_bytes(), MAX_ROW_BYTES, ONE_BY_ONE);
        assert_eq!(read_all(table, quoted.as_bytes(), MAX_ROW_BYTES, tuning), reference);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

        /// The batched, chunked and parallel reader gives what reading one
        /// row at a time gives, whatever the batch and chunk sizes: the same
        /// records, the same diagnostics (with their line numbers) in the
        /// same order, the same stop.
        #[test]
        fn chunked_reading_is_reading_row_by_row(
            learners in proptest::bool::ANY,
            semicolon in proptest::prop_oneof![4 => proptest::strategy::Just(false), 1 => proptest::strategy::Just(true)],
            rows in proptest::collection::vec((proptest::collection::vec(0u8..32, 12), 0u8..32), 0..150),
            batch_rows in 1usize..40,
            chunk_rows in 1usize..12,
            block_bytes in proptest::prop_oneof![proptest::strategy::Just(0usize), 1usize..600],
            chunk_bytes in 1usize..200,
            limit in proptest::prop_oneof![3 => proptest::strategy::Just(MAX_ROW_BYTES), 1 => 40usize..200],
        ) {
            let table = if learners { TableName::Learners } else { TableName::Candidates };
            let csv = hostile_csv(table, semicolon, &rows);
            let tuning = Tuning { batch_rows, chunk_rows, block_bytes, chunk_bytes };
            let reference = read_all(table, &csv, limit, ONE_BY_ONE);
            proptest::prop_assert_eq!(&read_all(table, &csv, limit, tuning), &reference);
            proptest::prop_assert_eq!(&read_all(table, &csv, limit, Tuning::DEFAULT), &reference);
        }

        /// The same on large, mostly valid files read in parallel chunks,
        /// with bad rows rare (all read) or frequent (reading stops after
        /// 100 problems, inside a chunk).
        #[test]
        fn parallel_chunks_are_read_in_order(
            learners in proptest::bool::ANY,
            rows in 0usize..3000,
            bad_every in proptest::prop_oneof![proptest::strategy::Just(0usize), 1usize..8, 50usize..400],
            blanks in proptest::bool::ANY,
            batch_rows in 1usize..700,
            chunk_rows in 1usize..90,
            block_bytes in proptest::prop_oneof![proptest::strategy::Just(0usize), 1usize..4000, 4000usize..200_000],
            chunk_bytes in 1usize..5000,
        ) {
            let table = if learners { TableName::Learners } else { TableName::Candidates };
            let csv = mostly_valid(table, rows, bad_every, blanks);
            let reference = read_all(table, &csv, MAX_ROW_BYTES, ONE_BY_ONE);
            let tuning = Tuning { batch_rows, chunk_rows, block_bytes, chunk_bytes };
            proptest::prop_assert_eq!(&read_all(table, &csv, MAX_ROW_BYTES, tuning), &reference);
        }
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
