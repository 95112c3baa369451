//! Reading a season from an Excel workbook (`.xlsx`): one sheet per table,
//! named like the table (`learners`, or `learners.csv`, in any case), whose
//! first non-empty row is the header. Every cell is turned into the text a CSV
//! file would hold, and the rows are parsed by the same typed parser as CSV
//! and JSON ([`super::read::parse_cells`]).
//!
//! A workbook is a zip archive, and a small archive can unpack to many
//! gigabytes. Before calamine sees the file, [`check_archive`] reads the zip
//! central directory and refuses a file over [`XlsxLimits`]; then it inflates
//! every entry once into a scanner ([`XmlScan`]) that keeps nothing, stopping
//! one byte past the size the entry declares, so that no entry can be larger
//! than the directory says, and refusing an XML part with a text, a string or
//! a value longer than [`MAX_XLSX_TEXT_BYTES`] (calamine would hold such a
//! value several times over) or shared strings that would take more memory
//! than the unpacked limit.
//!
//! While the sheets are read, a shared string is borrowed, never copied per
//! cell that uses it, and the text every cell stands for counts against the
//! limits: at most [`MAX_XLSX_TEXT_BYTES`] per row, and in all at most
//! [`MAX_XLSX_EXPANSION`] times what the workbook unpacks to (a string
//! referenced from many cells counts once per cell).

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, Write};
use std::path::Path;

use calamine::{DataRef, Reader, Xlsx};

use super::diag::{Diagnostics, OriginKind, Severity, TableOrigin};
use super::doc::{SeasonDoc, TableName};
use super::read::{self, ReadOutcome};
use super::LoadError;
use crate::text::quote;

/// The largest workbook file read, in bytes (256 MiB). A season workbook is a
/// few MiB; the zip directory of a larger file is not even parsed.
pub const MAX_XLSX_BYTES: u64 = 256 << 20;

/// The most bytes the entries of a workbook may unpack to, one entry or all
/// together (1 GiB), as declared in the zip directory and as found. The text
/// of all cells read, a shared string counted once per cell that uses it, is
/// held to the same limit, and so is the memory the shared strings would take.
pub const MAX_XLSX_UNPACKED_BYTES: u64 = 1 << 30;

/// The highest unpacked-to-packed size ratio of one entry (200 to 1). Sheets
/// of real seasons compress 5 to 15 times; a zip bomb, about 1000 times.
pub const MAX_XLSX_RATIO: u64 = 200;

/// The most entries (files) in a workbook archive (10,000).
pub const MAX_XLSX_ENTRIES: usize = 10_000;

/// The longest text of a workbook, in bytes (1 MiB, as a CSV row): one text
/// or tag of an XML part, one string or value (a shared string, an inline
/// string, a cell value), and the text of the cells of one row. A spreadsheet
/// cell holds at most 32,767 characters.
pub const MAX_XLSX_TEXT_BYTES: u64 = 1 << 20;

/// The most text the cells of a workbook may stand for, as a multiple of the
/// bytes its entries unpack to (4), but at least [`MIN_XLSX_CELL_TEXT`] and at
/// most [`MAX_XLSX_UNPACKED_BYTES`]. A shared string counts once per cell that
/// uses it; in a real season a cell's text is shorter than the XML of the cell.
pub const MAX_XLSX_EXPANSION: u64 = 4;

/// The text the cells of any workbook may stand for, however small (64 MiB).
pub const MIN_XLSX_CELL_TEXT: u64 = 64 << 20;

/// The largest XML part of a workbook other than its sheets and shared
/// strings (the workbook, styles and relationship parts), in bytes (64 MiB);
/// calamine keeps what they describe in memory, and they are a few KiB.
pub const MAX_XLSX_PART_BYTES: u64 = 64 << 20;

/// Entries that unpack to at most this many bytes (1 MiB) are not held to
/// [`MAX_XLSX_RATIO`]: they cannot exhaust memory whatever their ratio.
const RATIO_FLOOR: u64 = 1 << 20;

/// Bytes of memory counted per shared string, besides its text (a `String`
/// and the allocator's overhead), when checking that the shared strings fit.
const BYTES_PER_SHARED_STRING: u64 = 48;

/// The size limits of reading one workbook (tests lower them).
#[derive(Clone, Copy, Debug)]
pub(crate) struct XlsxLimits {
    /// The largest workbook file, in bytes.
    pub file_bytes: u64,
    /// The most bytes the entries may unpack to, each and in total; also the
    /// most text the cells may stand for, and the most memory the shared
    /// strings may take.
    pub unpacked_bytes: u64,
    /// The highest unpacked/packed ratio of an entry larger than 1 MiB.
    pub ratio: u64,
    /// The most entries in the archive.
    pub entries: usize,
    /// The longest text, string or value, and the most text of one row.
    pub text_bytes: u64,
    /// The largest XML part other than sheets and shared strings.
    pub part_bytes: u64,
    /// The most text the cells may stand for, per byte unpacked.
    pub expansion: u64,
    /// The text the cells may stand for, however small the workbook.
    pub text_floor: u64,
}

impl XlsxLimits {
    pub(crate) const DEFAULT: XlsxLimits = XlsxLimits {
        file_bytes: MAX_XLSX_BYTES,
        unpacked_bytes: MAX_XLSX_UNPACKED_BYTES,
        ratio: MAX_XLSX_RATIO,
        entries: MAX_XLSX_ENTRIES,
        text_bytes: MAX_XLSX_TEXT_BYTES,
        part_bytes: MAX_XLSX_PART_BYTES,
        expansion: MAX_XLSX_EXPANSION,
        text_floor: MIN_XLSX_CELL_TEXT,
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
    let file = File::open(path).map_err(|e| not_a_season(e.to_string()))?;
    let len = file.metadata().map_err(|e| not_a_season(e.to_string()))?.len();
    read_workbook_from(BufReader::new(file), len, path, display, limits, doc, out, diags)
}

/// [`read_workbook`] from any reader of `len` bytes; `path` names it in errors.
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_workbook_from<R: Read + Seek>(
    mut reader: R,
    len: u64,
    path: &Path,
    display: &str,
    limits: XlsxLimits,
    doc: &mut SeasonDoc,
    out: &mut ReadOutcome,
    diags: &mut Diagnostics,
) -> Result<(), LoadError> {
    let not_a_season = |reason: String| LoadError::NotASeason { path: path.to_path_buf(), reason };
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
    let got = reader.read(&mut magic).unwrap_or(0);
    if magic[..got].starts_with(b"\xd0\xcf\x11\xe0") {
        return Err(not_a_season(format!(
            "not an Excel workbook (.xlsx) but an older or password-protected Office file; \
             remove the password and save it as \"Excel Workbook (.xlsx)\", or {INSTEAD}"
        )));
    }
    reader.rewind().map_err(|e| not_a_season(e.to_string()))?;
    let failed = || {
        not_a_season(format!(
            "the workbook could not be read (the reader failed on malformed content); {RESAVE}, or {INSTEAD}"
        ))
    };
    // zip and calamine parse hostile bytes; a panic in them (an overflow on a
    // malformed cell reference, a shared string index out of range) must be
    // an error, not a crash, and print nothing.
    let unpacked =
        quiet_unwind(|| check_archive(&mut reader, limits)).map_err(|_| failed())?.map_err(|r| r.into_error(path))?;
    reader.rewind().map_err(|e| not_a_season(e.to_string()))?;
    let mut book: Xlsx<_> = quiet_unwind(|| Xlsx::new(reader))
        .map_err(|_| failed())?
        .map_err(|e| not_a_season(format!("not a readable Excel workbook (.xlsx): {e}; {RESAVE}, or {INSTEAD}")))?;
    let total = unpacked.saturating_mul(limits.expansion).max(limits.text_floor).min(limits.unpacked_bytes);
    let mut budget = TextBudget { row: limits.text_bytes, left: total, total };
    match read_sheets(&mut book, display, &mut budget, doc, out, diags) {
        Ok(()) => Ok(()),
        Err(SheetFailure::Panicked) => Err(failed()),
        Err(SheetFailure::Refused(r)) => Err(r.into_error(path)),
    }
}

std::thread_local! {
    /// Set while this thread runs [`quiet_unwind`]: its panics print nothing.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic into `Err(())` without printing a message or a
/// backtrace: the reader of a user's file failed, which is reported as a
/// damaged workbook. Panics of other threads, and of this thread outside `f`,
/// go to the panic hook as before.
fn quiet_unwind<T>(f: impl FnOnce() -> T) -> Result<T, ()> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result.map_err(|_| ())
}

/// Why a workbook archive was refused.
#[derive(Debug, PartialEq)]
enum Refusal {
    /// Not a zip archive, or a damaged one.
    Corrupt(String),
    /// Over a limit, found before anything was unpacked for use.
    TooLarge(String),
    /// The cells read stand for more text than the limit.
    TooMuchText(String),
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
            Refusal::TooMuchText(what) => {
                LoadError::TooLarge { path, reason: format!("{what}; reading stopped there; {INSTEAD}") }
            }
        }
    }
}

/// What an archive entry is, for the checks of its content.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Part {
    /// `xl/sharedStrings.xml`: calamine keeps every string.
    SharedStrings,
    /// A sheet: read cell by cell.
    Sheet,
    /// Another XML part (workbook, styles, relationships): kept whole.
    OtherXml,
    /// Not XML (pictures, printer settings): not read.
    Other,
}

impl Part {
    /// The kind of the entry named `name` (matched as calamine does: any
    /// case, `\` as `/`).
    fn of(name: &str) -> Part {
        let name = name.replace('\\', "/").to_ascii_lowercase();
        let name = name.trim_start_matches('/');
        if name == "xl/sharedstrings.xml" {
            Part::SharedStrings
        } else if name.starts_with("xl/worksheets/") && name.ends_with(".xml") {
            Part::Sheet
        } else if name.ends_with(".xml") || name.ends_with(".rels") {
            Part::OtherXml
        } else {
            Part::Other
        }
    }
}

/// Checks the zip archive of a workbook before anything is unpacked for use:
/// the number of entries, each entry's declared unpacked size, their total
/// and each entry's compression ratio; then inflates every entry into an
/// [`XmlScan`], reading at most one byte past its declared size, so that a
/// directory that understates sizes is caught with bounded work and memory,
/// and so is a text, string or value longer than the limit. Returns the
/// bytes the entries unpack to.
fn check_archive<R: Read + Seek>(reader: R, limits: XlsxLimits) -> Result<u64, Refusal> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| Refusal::Corrupt(format!("not a zip archive ({e})")))?;
    if zip.len() > limits.entries {
        return Err(Refusal::TooLarge(format!(
            "the workbook archive has {} entries, more than the {} read",
            zip.len(),
            limits.entries
        )));
    }
    let damaged =
        |name: &str, e: &dyn std::fmt::Display| Refusal::Corrupt(format!("entry \"{}\" is damaged ({e})", quote(name)));
    let mut total = 0u64;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(|e| damaged(&format!("#{i}"), &e))?;
        let (name, size, packed) = (entry.name().to_string(), entry.size(), entry.compressed_size());
        let shown = quote(&name);
        if entry.encrypted() {
            return Err(Refusal::Corrupt(format!("entry \"{shown}\" is encrypted")));
        }
        if size > limits.unpacked_bytes {
            return Err(Refusal::TooLarge(format!(
                "entry \"{shown}\" of the workbook unpacks to {size} bytes, more than the {}-byte limit",
                limits.unpacked_bytes
            )));
        }
        if Part::of(&name) == Part::OtherXml && size > limits.part_bytes {
            return Err(Refusal::TooLarge(format!(
                "entry \"{shown}\" of the workbook unpacks to {size} bytes, more than the {}-byte limit \
                 for a part that is not a sheet",
                limits.part_bytes
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
                "entry \"{shown}\" of the workbook unpacks {} times its packed size ({packed} to {size} bytes), \
                 more than the {}-fold limit; is it a zip bomb?",
                size / packed.max(1),
                limits.ratio
            )));
        }
    }
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| damaged(&format!("#{i}"), &e))?;
        let (name, declared) = (entry.name().to_string(), entry.size());
        let part = Part::of(&name);
        let mut scan = XmlScan::new(limits.text_bytes, part != Part::Other);
        let copied = io::copy(&mut (&mut entry).take(declared.saturating_add(1)), &mut scan);
        if let Some(what) = scan.too_long {
            return Err(Refusal::TooLarge(format!(
                "entry \"{}\" of the workbook holds {what} longer than {} bytes, more than any spreadsheet cell \
                 holds (the file is damaged or built to exhaust memory)",
                quote(&name),
                limits.text_bytes
            )));
        }
        let found = copied.map_err(|e| damaged(&name, &e))?;
        if found > declared {
            return Err(Refusal::TooLarge(format!(
                "entry \"{}\" of the workbook unpacks to more than the {declared} bytes it declares \
                 (the file is damaged or built to exhaust memory)",
                quote(&name)
            )));
        }
        if part == Part::SharedStrings {
            let memory = found.saturating_add(scan.strings.saturating_mul(BYTES_PER_SHARED_STRING));
            if memory > limits.unpacked_bytes {
                return Err(Refusal::TooLarge(format!(
                    "the {} shared strings of the workbook would take about {memory} bytes of memory, more than \
                     the {}-byte limit",
                    scan.strings, limits.unpacked_bytes
                )));
            }
        }
    }
    Ok(total)
}

/// What [`XmlScan`] is inside of.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Markup {
    /// Text between tags.
    Text,
    /// A tag, after its `<`; its name is being collected while `naming`.
    Tag,
    /// A comment, up to `-->`.
    Comment,
    /// A CDATA section, up to `]]>`.
    CData,
    /// A processing instruction, up to `?>`.
    Instruction,
    /// A declaration such as `<!DOCTYPE …>`, up to its `>` (nested `<…>` counted).
    Declaration(u32),
}

/// The elements whose content calamine collects into one value, however many
/// tags it is split by: a shared string (`si`), an inline string (`is`) and a
/// cell value (`v`).
const VALUE_ELEMENTS: [&[u8]; 3] = [b"si", b"is", b"v"];

/// The longest tag name [`XmlScan`] keeps (longer names are never value elements).
const MAX_NAME: usize = 64;

/// Measures an XML part as it is inflated, keeping nothing of it: the
/// longest run of bytes after a `<` that opens a tag (comments, CDATA and
/// declarations count with the text around them), and the size of each value
/// element ([`VALUE_ELEMENTS`]) from its start tag to its end tag. Stops the
/// copy with an error as soon as one is longer than `limit`. Also counts the
/// `si` elements (shared strings). A streaming state machine: a chunk
/// boundary may fall anywhere.
struct XmlScan {
    limit: u64,
    /// Whether the content is XML at all (else it is only counted).
    xml: bool,
    markup: Markup,
    /// Bytes since the last `<` that opened a tag.
    run: u64,
    /// The qualified name of the value element being measured, and its size so far.
    value: Option<(Vec<u8>, u64)>,
    /// The name of the tag being read, while `naming`.
    name: Vec<u8>,
    naming: bool,
    /// Whether the tag being read opened the value element.
    opened: bool,
    /// The last three bytes, to find the end of comments, CDATA and instructions.
    tail: [u8; 3],
    /// The `si` start tags seen.
    strings: u64,
    /// What was too long, once something was.
    too_long: Option<&'static str>,
}

impl XmlScan {
    fn new(limit: u64, xml: bool) -> Self {
        XmlScan {
            limit,
            xml,
            markup: Markup::Text,
            run: 0,
            value: None,
            name: Vec::new(),
            naming: false,
            opened: false,
            tail: [0; 3],
            strings: 0,
            too_long: None,
        }
    }

    /// Called with the complete name of a tag (`/name` for an end tag).
    fn tag_named(&mut self) {
        let name = std::mem::take(&mut self.name);
        self.opened = false;
        if let Some(end) = name.strip_prefix(b"/") {
            if self.value.as_ref().is_some_and(|(open, _)| open.as_slice() == end) {
                self.value = None;
            }
        } else if name.starts_with(b"!--") {
            self.markup = Markup::Comment;
        } else if name.starts_with(b"![CDATA[") {
            self.markup = Markup::CData;
        } else if name.starts_with(b"!") {
            self.markup = Markup::Declaration(1);
        } else if name.starts_with(b"?") {
            self.markup = Markup::Instruction;
        } else {
            let local = name.rsplit(|b| *b == b':').next().unwrap_or_default();
            if local == b"si" {
                self.strings += 1;
            }
            if self.value.is_none() && VALUE_ELEMENTS.contains(&local) {
                self.value = Some((name, 0));
                self.opened = true;
            }
        }
        if self.markup == Markup::Tag {
            // A new tag: the run of text and tag starts again.
            self.run = 0;
        }
    }

    /// Takes one byte of a tag's name; returns false once the name is complete.
    fn name_byte(&mut self, b: u8) -> bool {
        let special = self.name.first().is_some_and(|f| *f == b'!');
        let ends = match b {
            b' ' | b'\t' | b'\r' | b'\n' | b'>' => true,
            b'/' => !self.name.is_empty(),
            _ => false,
        };
        // `<!--x` and `<![CDATA[x` have no delimiter after their opening.
        if !ends && !(special && (self.name.starts_with(b"!--") || self.name.starts_with(b"![CDATA["))) {
            if self.name.len() < MAX_NAME {
                self.name.push(b);
            }
            return true;
        }
        self.naming = false;
        self.tag_named();
        false
    }

    fn byte(&mut self, b: u8) {
        self.tail = [self.tail[1], self.tail[2], b];
        if self.naming && self.name_byte(b) {
            return;
        }
        match self.markup {
            Markup::Text if b == b'<' => {
                self.markup = Markup::Tag;
                self.naming = true;
                self.name.clear();
            }
            Markup::Tag if b == b'>' => {
                // `<si/>`: an empty value element, closed at once.
                if self.opened && self.tail[1] == b'/' {
                    self.value = None;
                }
                self.opened = false;
                self.markup = Markup::Text;
            }
            Markup::Comment if self.tail == *b"-->" => self.markup = Markup::Text,
            Markup::CData if self.tail == *b"]]>" => self.markup = Markup::Text,
            Markup::Instruction if self.tail[1..] == *b"?>" => self.markup = Markup::Text,
            Markup::Declaration(depth) if b == b'<' => self.markup = Markup::Declaration(depth + 1),
            Markup::Declaration(1) if b == b'>' => self.markup = Markup::Text,
            Markup::Declaration(depth) if b == b'>' => self.markup = Markup::Declaration(depth - 1),
            _ => {}
        }
    }
}

impl Write for XmlScan {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.xml {
            return Ok(buf.len());
        }
        let mut rest = buf;
        while !rest.is_empty() {
            // Bytes up to the next delimiter of the current markup need no
            // byte-by-byte look; only the last three are remembered.
            let skip = if self.naming {
                0
            } else {
                let markup = self.markup;
                let stop = |b: &u8| match markup {
                    Markup::Text => *b == b'<',
                    Markup::Declaration(_) => *b == b'<' || *b == b'>',
                    _ => *b == b'>',
                };
                rest.iter().position(stop).unwrap_or(rest.len())
            };
            let step = if skip > 0 {
                for &b in &rest[skip.saturating_sub(3)..skip] {
                    self.tail = [self.tail[1], self.tail[2], b];
                }
                skip
            } else {
                self.byte(rest[0]);
                1
            };
            self.run += step as u64;
            if let Some((_, size)) = &mut self.value {
                *size += step as u64;
            }
            rest = &rest[step..];
            let value_long = self.value.as_ref().is_some_and(|(_, size)| *size > self.limit);
            if self.run > self.limit || value_long {
                self.too_long = Some(if value_long { "a value or string" } else { "a text or tag" });
                return Err(io::Error::other("too long"));
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The season table a sheet holds, by its name: the table name with or
/// without `.csv`, in any case.
fn table_of_sheet(name: &str) -> Option<TableName> {
    let name = name.trim().to_ascii_lowercase();
    let stem = name.strip_suffix(".csv").unwrap_or(&name).trim_end();
    TableName::ALL.into_iter().find(|t| t.as_str() == stem)
}

/// How reading the sheets failed as a whole.
enum SheetFailure {
    /// calamine panicked on malformed content.
    Panicked,
    /// Over a limit.
    Refused(Refusal),
}

/// The text the cells read may still stand for: per row and in all.
struct TextBudget {
    /// The most text bytes of one row.
    row: u64,
    /// What is left of the total.
    left: u64,
    /// The total, for messages.
    total: u64,
}

/// Matches sheets to tables and reads each table's sheet.
fn read_sheets<RS: Read + Seek>(
    book: &mut Xlsx<RS>,
    display: &str,
    budget: &mut TextBudget,
    doc: &mut SeasonDoc,
    out: &mut ReadOutcome,
    diags: &mut Diagnostics,
) -> Result<(), SheetFailure> {
    let names = book.sheet_names();
    let origin_of = |sheet: &str| TableOrigin {
        file: display.to_string(),
        kind: OriginKind::Sheet { sheet: quote(sheet).into_owned() },
    };
    let mut chosen: Vec<(TableName, String)> = Vec::new();
    for name in &names {
        match table_of_sheet(name) {
            Some(table) => match chosen.iter().find(|(t, _)| *t == table) {
                Some((_, first)) => diags.push(origin_of(name).whole(
                    Severity::Error,
                    format!(
                        "sheets '{}' and '{}' both hold the {} table; delete or rename one",
                        quote(first),
                        quote(name),
                        table.as_str()
                    ),
                )),
                None => chosen.push((table, name.clone())),
            },
            // The instructions sheet of `dualmatch template`.
            None if name.trim().eq_ignore_ascii_case(INSTRUCTIONS_SHEET) => {}
            None => diags.push(origin_of(name).whole(
                Severity::Warning,
                format!(
                    "sheet '{}' is not a season table and is ignored; the sheets read are {}",
                    quote(name),
                    sheet_list()
                ),
            )),
        }
    }
    for table in TableName::ALL {
        let Some((_, sheet)) = chosen.iter().find(|(t, _)| *t == table) else {
            let origin = origin_of(table.as_str());
            out.origins.push((table, origin.clone()));
            out.unusable.insert(table.as_str());
            if !table.optional() {
                let found: Vec<String> = names.iter().take(20).map(|n| format!("'{}'", quote(n))).collect();
                let more = if names.len() > 20 { format!(" and {} more", names.len() - 20) } else { String::new() };
                diags.push(origin.whole(
                    Severity::Error,
                    format!(
                        "has no sheet '{}'; a season workbook needs one sheet per table ({}); sheets found: {}{more}",
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
        read_sheet(book, sheet, table, &origin, budget, doc, out, diags)?;
    }
    Ok(())
}

/// The name of a sheet that a season workbook may have besides its tables
/// and that is skipped without a word: the instructions sheet that
/// `dualmatch template` writes.
pub const INSTRUCTIONS_SHEET: &str = "instructions";

/// The sheet names a season workbook has, for messages.
fn sheet_list() -> String {
    let required: Vec<&str> = TableName::ALL.iter().filter(|t| !t.optional()).map(|t| t.as_str()).collect();
    format!("{} and optionally candidates, outcomes and mentors", required.join(", "))
}

/// One row of a sheet as text cells by column (`Err`: a cell error such as
/// `#N/A`); shared strings are borrowed from the workbook's table.
type SheetRow<'a> = Vec<Option<Result<Cow<'a, str>, String>>>;

/// Reads one sheet, cell by cell (never the whole sheet as a grid: a sheet
/// with one cell in row 1,000,000 of column XFD is small on disk).
#[allow(clippy::too_many_arguments)]
fn read_sheet<RS: Read + Seek>(
    book: &mut Xlsx<RS>,
    sheet: &str,
    table: TableName,
    origin: &TableOrigin,
    budget: &mut TextBudget,
    doc: &mut SeasonDoc,
    out: &mut ReadOutcome,
    diags: &mut Diagnostics,
) -> Result<(), SheetFailure> {
    let shown = quote(sheet);
    let mut cells = match quiet_unwind(|| book.worksheet_cells_reader(sheet)).map_err(|_| SheetFailure::Panicked)? {
        Ok(c) => c,
        Err(e) => {
            out.unusable.insert(table.as_str());
            let e = e.to_string();
            diags.push(origin.whole(Severity::Error, format!("sheet '{shown}' cannot be read: {}", quote(&e))));
            return Ok(());
        }
    };
    let mut reader = SheetReader { table, origin, header: None, rows: 0, before: diags.error_count() };
    // The row being collected: its 0-based number, its cells in the columns
    // kept (empty when the row is blank there), its width (the column after
    // its last non-empty cell, of all) and the bytes of text kept.
    let mut row: Option<u32> = None;
    let mut values: SheetRow = Vec::new();
    let mut width = 0usize;
    let mut row_bytes = 0u64;
    loop {
        let cell = match quiet_unwind(|| cells.next_cell()).map_err(|_| SheetFailure::Panicked)? {
            Ok(c) => c,
            Err(e) => {
                let after = row.map(|r| format!(" after row {}", u64::from(r) + 1)).unwrap_or_default();
                out.unusable.insert(table.as_str());
                let e = e.to_string();
                diags.push(
                    origin.whole(Severity::Error, format!("sheet '{shown}' cannot be read{after}: {}", quote(&e))),
                );
                return Ok(());
            }
        };
        let position = cell.as_ref().map(|c| c.get_position());
        if position.map(|(r, _)| r) != row {
            if let Some(r) = row.filter(|_| !values.is_empty()) {
                if !reader.row(u64::from(r) + 1, &values, width, doc, out, diags) {
                    return Ok(());
                }
            }
            values.clear();
            width = 0;
            row_bytes = 0;
            row = position.map(|(r, _)| r);
        }
        let Some(cell) = cell else { break };
        let col = cell.get_position().1 as usize;
        let Some(text) = cell_text(cell.get_value()) else { continue };
        width = width.max(col + 1);
        if col < reader.kept_columns() {
            let len = text.as_ref().map_or_else(|e| e.len(), |t| t.len()) as u64;
            row_bytes += len;
            if row_bytes > budget.row {
                let r = u64::from(cell.get_position().0) + 1;
                out.unusable.insert(table.as_str());
                diags.push(origin.at(
                    Severity::Error,
                    r,
                    None,
                    format!(
                        "row {r} holds more than {} bytes of text, more than any season row; \
                         is this the right workbook?",
                        budget.row
                    ),
                ));
                return Ok(());
            }
            if len > budget.left {
                return Err(SheetFailure::Refused(Refusal::TooMuchText(format!(
                    "the cells of the workbook stand for more than {} bytes of text (a shared string counts \
                     once per cell that uses it; the limit is {MAX_XLSX_EXPANSION} times what the workbook \
                     unpacks to, at least {MIN_XLSX_CELL_TEXT} and at most {MAX_XLSX_UNPACKED_BYTES} bytes)",
                    budget.total
                ))));
            }
            budget.left -= len;
            if values.len() <= col {
                values.resize(col + 1, None);
            }
            values[col] = Some(text);
        }
    }
    reader.finish(out, diags);
    Ok(())
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
        values: &SheetRow<'_>,
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
                    Some(Some(Ok(s))) => s.as_ref(),
                    Some(Some(Err(s))) => s.as_str(),
                    _ => "",
                })
                .collect();
            self.header = read::map_header(table, &names, origin, row, None, diags);
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
                Some(Ok(text)) => Some(text.as_ref()),
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
/// 8601. A shared string is borrowed, not copied. `None` for an empty cell;
/// `Err` for an error value such as `#N/A`.
fn cell_text<'a>(value: &DataRef<'a>) -> Option<Result<Cow<'a, str>, String>> {
    let text = match value {
        DataRef::Empty => return None,
        DataRef::SharedString(s) => return Some(Ok(Cow::Borrowed(*s))),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(x) => number_text(*x),
        DataRef::String(s) => s.clone(),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::DateTime(d) if d.is_datetime() => date_text(d),
        DataRef::DateTime(d) => duration_text(d.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => {
            return Some(Err(format!("the cell holds the error {e}; give a value (not a formula that fails)")))
        }
    };
    Some(Ok(Cow::Owned(text)))
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
        cell_text(&value).map(|r| r.map(Cow::into_owned))
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

    fn check(bytes: &[u8], limits: XlsxLimits) -> Result<u64, Refusal> {
        check_archive(io::Cursor::new(bytes), limits)
    }

    #[test]
    fn the_archive_limits_can_be_lowered() {
        let bytes = workbook(20_000);
        let d = XlsxLimits::DEFAULT;
        assert!(check(&bytes, d).is_ok());
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

    /// Scans `xml` fed in chunks of `chunk` bytes: what was too long, if
    /// anything, and the `si` elements counted.
    fn scan(xml: &[u8], limit: u64, chunk: usize) -> (Option<&'static str>, u64) {
        let mut scan = XmlScan::new(limit, true);
        for c in xml.chunks(chunk) {
            if scan.write(c).is_err() {
                break;
            }
        }
        (scan.too_long, scan.strings)
    }

    #[test]
    fn the_scan_finds_long_texts_strings_and_values_however_they_are_split() {
        let x = |n| "x".repeat(n);
        let text = Some("a text or tag");
        let value = Some("a value or string");
        let cases: Vec<(String, Option<&str>)> = vec![
            (format!("<sst><si><t>{}</t></si><si><t>{}</t></si></sst>", x(80), x(80)), None),
            (format!("<a>{}</a>", x(150)), text),
            (format!("<a b=\"{}\"/>", x(150)), text),
            // A string of short rich-text runs, which calamine joins…
            (format!("<si>{}</si>", "<r><t>xxxxxxxxxx</t></r>".repeat(10)), value),
            // …also with other tags between them, and with a namespace prefix.
            (format!("<x:si>{}</x:si>", "<r><t>xxxxxxxxxx</t></r><foo/>".repeat(10)), value),
            (format!("<c><v>{}</v></c>", "xxxxxxxxxx<y/>".repeat(12)), value),
            (format!("<c><is>{}</is></c>", "<t>xxxxxxxxxx</t>".repeat(10)), value),
            // Comments and CDATA do not end a text, whatever they hold.
            (format!("<a>{}</a>", "xxxxxxxxx<!-- < -->".repeat(8)), text),
            (format!("<a><![CDATA[{}]]></a>", "x<y".repeat(50)), text),
            // Empty and short strings, declarations: fine however many.
            (format!("<sst>{}</sst>", "<si/><si><t>xxxxxxxxxx</t></si>".repeat(100)), None),
            (
                format!(
                    "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY b \"c\">]><!-- c --><a>{}</a>",
                    "<b>xxxxxxxxxx</b><![CDATA[<]]>".repeat(100)
                ),
                None,
            ),
        ];
        for chunk in [1, 3, 7, 4096] {
            for (xml, expected) in &cases {
                assert_eq!(scan(xml.as_bytes(), 100, chunk).0, *expected, "chunks of {chunk}: {xml}");
            }
        }
        assert_eq!(scan(b"<sst><si/><si><t>a</t></si><x:si>b</x:si><sis/></sst>", 100, 1).1, 3);
    }

    /// A workbook whose programmes sheet has `rows` rows whose id and name
    /// are the same shared string of `len` characters.
    fn shared_string_workbook(rows: u32, len: usize, name_too: bool) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("programmes").unwrap();
        sheet.write_string(0, 0, "id").unwrap();
        sheet.write_string(0, 1, "name").unwrap();
        let long = "é".repeat(len / 2);
        for r in 1..=rows {
            sheet.write_string(r, 0, format!("P{r}")).unwrap();
            sheet.write_string(r, 1, &long).unwrap();
            if name_too {
                sheet.write_string(r, 0, &long).unwrap();
            }
        }
        book.save_to_buffer().unwrap()
    }

    fn read_with(bytes: &[u8], limits: XlsxLimits) -> (Result<(), LoadError>, Diagnostics) {
        let (mut doc, mut out, mut diags) = (SeasonDoc::default(), ReadOutcome::default(), Diagnostics::new());
        let cursor = io::Cursor::new(bytes);
        let path = Path::new("s.xlsx");
        let r = read_workbook_from(cursor, bytes.len() as u64, path, "s.xlsx", limits, &mut doc, &mut out, &mut diags);
        (r, diags)
    }

    #[test]
    fn a_shared_string_counts_once_per_cell_that_uses_it() {
        // 1000 bytes, used by 100 cells: 100,000 bytes of text from a few KiB.
        let bytes = shared_string_workbook(100, 1000, false);
        let d = XlsxLimits::DEFAULT;
        assert!(read_with(&bytes, d).0.is_ok());
        match read_with(&bytes, XlsxLimits { unpacked_bytes: 60_000, ..d }).0 {
            Err(e @ LoadError::TooLarge { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains("the cells of the workbook stand for more than 60000 bytes of text"), "{msg}");
                assert!(msg.contains("a shared string counts once per cell that uses it"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
        // Relative to the workbook's size: 1000 cells of 1000 bytes from about
        // a tenth of that unpacked.
        let bytes = shared_string_workbook(1000, 1000, false);
        let unpacked = check(&bytes, d).unwrap();
        assert!(unpacked * 4 < 1_000_000, "{unpacked}");
        assert!(read_with(&bytes, d).0.is_ok(), "within the 64 MiB floor");
        match read_with(&bytes, XlsxLimits { text_floor: 0, ..d }).0 {
            Err(e @ LoadError::TooLarge { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains(&format!("stand for more than {} bytes of text", unpacked * 4)), "{msg}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_row_with_more_text_than_the_limit_stops_the_sheet() {
        let bytes = shared_string_workbook(3, 1000, true);
        let (r, diags) = read_with(&bytes, XlsxLimits { text_bytes: 1500, ..XlsxLimits::DEFAULT });
        assert!(r.is_ok());
        let msg = diags.to_string();
        assert!(msg.contains("sheet 'programmes' row 2: row 2 holds more than 1500 bytes of text"), "{msg}");
        // The string itself is within the limit; twice in one row is not.
        let (r, diags) = read_with(&bytes, XlsxLimits { text_bytes: 900, ..XlsxLimits::DEFAULT });
        match r {
            Err(e @ LoadError::TooLarge { .. }) => {
                assert!(e.to_string().contains("holds a value or string longer than 900 bytes"), "{e}")
            }
            other => panic!("{other:?} {diags}"),
        }
    }

    #[test]
    fn shared_strings_that_would_take_too_much_memory_are_refused() {
        // 20,000 empty strings: 100 KB of XML, about a megabyte as strings.
        let strings = format!("<sst>{}</sst>", "<si/>".repeat(20_000));
        let mut zip = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        zip.start_file("xl/sharedStrings.xml", zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(strings.as_bytes()).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        let limits = XlsxLimits { unpacked_bytes: 500_000, ..XlsxLimits::DEFAULT };
        match read_with(&bytes, limits).0 {
            Err(e @ LoadError::TooLarge { .. }) => {
                let msg = e.to_string();
                assert!(
                    msg.contains("the 20000 shared strings of the workbook would take about 1060011 bytes"),
                    "{msg}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(check(&bytes, XlsxLimits::DEFAULT).is_ok());
    }
}
