//! CSV dialects: the files that spreadsheet programs write in every locale.
//!
//! Excel in Belgium, the Netherlands, Germany or France saves "CSV" with `;`
//! between values, `,` as the decimal mark, and often Windows-1252 instead of
//! UTF-8. This module is the one place that knows about that, so that every
//! reader of a CSV file (season tables, `candidates.csv`, `changes.csv`, a
//! result's `placements.csv`) accepts the same dialects:
//!
//! - [`Dialect::sniff`] picks the delimiter (`,`, `;` or tab) once per file,
//!   from its header line;
//! - a [`CellDecoder`] turns each cell into text: UTF-8 when it is valid
//!   UTF-8, otherwise Windows-1252; and, for number columns of a file whose
//!   delimiter is not a comma, a decimal comma into a decimal point
//!   ([`CellDecoder::number`]). It notices when one file mixes two encodings
//!   or two decimal marks, and reports the two lines ([`Mixed`]).
//!
//! The common case costs nothing extra per cell: a valid UTF-8 cell is
//! borrowed, and numbers are only looked at in a file that is not
//! comma-separated.

use std::borrow::Cow;
use std::fmt;

/// How the values of a CSV file are separated (and so which decimal mark its
/// numbers may use).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    /// `b','`, `b';'` or `b'\t'`.
    pub delimiter: u8,
}

/// The delimiters looked for, in order of preference on a tie.
const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

impl Dialect {
    /// Comma-separated, decimal point: what dualmatch writes.
    pub const COMMA: Dialect = Dialect { delimiter: b',' };

    /// Whether numbers may use a decimal comma (`51,05`): only where the
    /// delimiter is not a comma.
    pub fn decimal_comma(self) -> bool {
        self.delimiter != b','
    }

    /// The dialect in words, for messages: `comma-separated (,)`.
    pub fn describe(self) -> &'static str {
        match self.delimiter {
            b';' => "semicolon-separated (;)",
            b'\t' => "tab-separated",
            _ => "comma-separated (,)",
        }
    }

    /// The delimiter of a file from its first line (`head` may hold more; it
    /// is cut at the first line break). The delimiter chosen is the one that
    /// splits the header into the most names of `known` (the expected
    /// columns, lower case); when no delimiter gives a known name, the one
    /// that occurs most outside quotes; a comma when there is none.
    pub fn sniff(head: &[u8], known: &[&str]) -> Dialect {
        let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
        let mut best = (0usize, 0usize, b',');
        for d in DELIMITERS {
            let fields = split_line(line, d);
            let names = fields.iter().filter(|f| known.contains(&normal_name(f).as_str())).count();
            let found = fields.len() - 1;
            if (names, found) > (best.0, best.1) {
                best = (names, found, d);
            }
        }
        Dialect { delimiter: best.2 }
    }

    /// The number of fields `line` (one record, without its line break) has
    /// under this dialect, honouring quotes.
    pub fn fields_in(self, line: &[u8]) -> usize {
        split_line(line, self.delimiter).len()
    }

    /// The other dialect under which `fields` (one record as read, its raw
    /// fields) would have `width` fields: the sign that a row was written by
    /// another program than the header. Only called on rows whose width is
    /// already wrong.
    pub fn other_fitting<'a>(self, fields: impl Iterator<Item = &'a [u8]>, width: usize) -> Option<Dialect> {
        let joined: Vec<u8> = fields.collect::<Vec<_>>().join(&self.delimiter);
        DELIMITERS
            .into_iter()
            .filter(|d| *d != self.delimiter)
            .map(|d| Dialect { delimiter: d })
            .find(|d| width > 1 && d.fields_in(&joined) == width)
    }
}

/// The fields of one line split at `d` outside double quotes (quotes kept).
fn split_line(line: &[u8], d: u8) -> Vec<&[u8]> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut out = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, b) in line.iter().enumerate() {
        if *b == b'"' {
            quoted = !quoted;
        } else if *b == d && !quoted {
            out.push(&line[start..i]);
            start = i + 1;
        }
    }
    out.push(&line[start..]);
    out
}

/// A header name as compared with the schema: trimmed, without a BOM or
/// quotes, lower case.
fn normal_name(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    s.trim().trim_start_matches('\u{feff}').trim_matches('"').trim().to_ascii_lowercase()
}

/// Whether `head` starts with a UTF-16 byte-order mark (Excel's "Unicode
/// text"), which no CSV reader here decodes.
pub fn is_utf16(head: &[u8]) -> bool {
    head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF])
}

/// What to tell a user whose file is UTF-16.
pub const UTF16_HINT: &str =
    "is UTF-16 text (Excel's \"Unicode text\"); save it as \"CSV UTF-8\" or as \"CSV\" instead";

/// The text encoding a file was read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (also plain ASCII).
    Utf8,
    /// Windows-1252 (the "ANSI" of Western European Windows, a superset of Latin-1).
    Windows1252,
}

impl Encoding {
    /// The encoding's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Windows1252 => "Windows-1252",
        }
    }
}

/// Decodes a whole small file (such as `changes.csv`): UTF-8 when valid
/// (without a BOM), otherwise Windows-1252.
pub fn decode_whole(bytes: &[u8]) -> (Cow<'_, str>, Encoding) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (Cow::Borrowed(s.trim_start_matches('\u{feff}')), Encoding::Utf8),
        Err(_) => (encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0, Encoding::Windows1252),
    }
}

/// Two lines of one file written in two dialects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mixed {
    /// The line where the second dialect was met.
    pub line: u64,
    /// What that line uses.
    pub this: &'static str,
    /// The earlier line that uses the first dialect.
    pub first_line: u64,
    /// What the earlier line uses.
    pub first: &'static str,
}

impl fmt::Display for Mixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "this line uses {} but line {} uses {}: the file mixes two CSV dialects; \
             save the whole file again from one program (\"CSV UTF-8\" is safest)",
            self.this, self.first_line, self.first
        )
    }
}

/// Turns the cells of one file into text, in its dialect (see the module
/// documentation). One per file.
#[derive(Clone, Debug)]
pub struct CellDecoder {
    dialect: Dialect,
    /// The first line with a non-ASCII UTF-8 cell.
    first_utf8: Option<u64>,
    /// The first line with a cell that is not UTF-8 (read as Windows-1252).
    first_cp1252: Option<u64>,
    /// The first line with a decimal point, and with a decimal comma.
    first_point: Option<u64>,
    first_comma: Option<u64>,
    /// A mix found and not yet taken; a mix of each kind is reported once.
    mixed: Option<Mixed>,
    encodings_reported: bool,
    marks_reported: bool,
}

impl CellDecoder {
    /// A decoder for a file of `dialect`.
    pub fn new(dialect: Dialect) -> Self {
        CellDecoder {
            dialect,
            first_utf8: None,
            first_cp1252: None,
            first_point: None,
            first_comma: None,
            mixed: None,
            encodings_reported: false,
            marks_reported: false,
        }
    }

    /// The file's dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The encoding met so far: Windows-1252 once any cell was not UTF-8.
    pub fn encoding(&self) -> Encoding {
        if self.first_cp1252.is_some() {
            Encoding::Windows1252
        } else {
            Encoding::Utf8
        }
    }

    /// The text of one cell at `line`: borrowed when it is UTF-8, else
    /// decoded from Windows-1252.
    pub fn text<'a>(&mut self, bytes: &'a [u8], line: u64) -> Cow<'a, str> {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                if self.first_utf8.is_none() && !s.is_ascii() {
                    self.first_utf8 = Some(line);
                    self.check_encodings(line, Encoding::Utf8);
                }
                Cow::Borrowed(s)
            }
            Err(_) => {
                if self.first_cp1252.is_none() {
                    self.first_cp1252 = Some(line);
                    self.check_encodings(line, Encoding::Windows1252);
                }
                encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0
            }
        }
    }

    /// A number cell as the number parser reads it: in a file that is not
    /// comma-separated, one decimal comma becomes a point (`51,05` →
    /// `51.05`). Anything else is left for the parser to judge.
    pub fn number<'a>(&mut self, cell: Cow<'a, str>, line: u64) -> Cow<'a, str> {
        if !self.dialect.decimal_comma() {
            return cell;
        }
        let b = cell.as_bytes();
        let commas = b.iter().filter(|c| **c == b',').count();
        let points = b.iter().filter(|c| **c == b'.').count();
        match (commas, points) {
            (1, 0) => {
                if self.first_comma.is_none() {
                    self.first_comma = Some(line);
                    self.check_marks(line, "a decimal comma (51,05)");
                }
                Cow::Owned(cell.replacen(',', ".", 1))
            }
            (0, 1) if is_decimal(b) => {
                if self.first_point.is_none() {
                    self.first_point = Some(line);
                    self.check_marks(line, "a decimal point (51.05)");
                }
                cell
            }
            _ => cell,
        }
    }

    /// Whether a mix of dialects was found and not yet taken.
    pub fn has_mixed(&self) -> bool {
        self.mixed.is_some()
    }

    /// The mix of dialects found since the last call, if any.
    pub fn take_mixed(&mut self) -> Option<Mixed> {
        self.mixed.take()
    }

    fn check_encodings(&mut self, line: u64, this: Encoding) {
        let (first_line, first) = match this {
            Encoding::Utf8 => (self.first_cp1252, Encoding::Windows1252),
            Encoding::Windows1252 => (self.first_utf8, Encoding::Utf8),
        };
        if let (Some(first_line), false) = (first_line, self.encodings_reported) {
            self.encodings_reported = true;
            let text = |e: Encoding| match e {
                Encoding::Utf8 => "UTF-8 text",
                Encoding::Windows1252 => "Windows-1252 text (not UTF-8)",
            };
            self.mixed = Some(Mixed { line, this: text(this), first_line, first: text(first) });
        }
    }

    fn check_marks(&mut self, line: u64, this: &'static str) {
        let (first_line, first) = if this.contains("comma") {
            (self.first_point, "a decimal point (51.05)")
        } else {
            (self.first_comma, "a decimal comma (51,05)")
        };
        if let (Some(first_line), false) = (first_line, self.marks_reported) {
            self.marks_reported = true;
            self.mixed = Some(Mixed { line, this, first_line, first });
        }
    }
}

/// Whether `b` is a plain decimal with a fraction (`-51.05`), as opposed to
/// an id or a date that happens to hold one point.
fn is_decimal(b: &[u8]) -> bool {
    let b = b.strip_prefix(b"-").unwrap_or(b);
    let Some(dot) = b.iter().position(|c| *c == b'.') else { return false };
    dot > 0 && dot + 1 < b.len() && b.iter().enumerate().all(|(i, c)| i == dot || c.is_ascii_digit())
}

/// The note given once per file read as Windows-1252.
pub fn windows_1252_note() -> &'static str {
    "is not UTF-8; it was read as Windows-1252 (the \"CSV\" of Excel on Windows); \
     check that accented names look right, or save it as \"CSV UTF-8\""
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["id", "name", "lat", "lon"];

    #[test]
    fn the_delimiter_is_the_one_that_names_the_columns() {
        assert_eq!(Dialect::sniff(b"id,name,lat,lon\n1;2", KNOWN).delimiter, b',');
        assert_eq!(Dialect::sniff(b"id;name;lat;lon\r\n1,2;x", KNOWN).delimiter, b';');
        assert_eq!(Dialect::sniff(b"\xEF\xBB\xBFid\tname\tlat\tlon", KNOWN).delimiter, b'\t');
        // A header naming no known column: the most frequent delimiter.
        assert_eq!(Dialect::sniff(b"a;b;c,d", KNOWN).delimiter, b';');
        assert_eq!(Dialect::sniff(b"", KNOWN).delimiter, b',');
        // Quoted delimiters do not count.
        assert_eq!(Dialect::sniff(b"\"x;y;z\",id,name", KNOWN).delimiter, b',');
    }

    #[test]
    fn cells_are_utf8_or_windows_1252_and_a_mix_is_reported_once() {
        let mut d = CellDecoder::new(Dialect::COMMA);
        assert!(matches!(d.text(b"Caf\xC3\xA9", 2), Cow::Borrowed("Café")));
        assert_eq!(d.encoding(), Encoding::Utf8);
        assert_eq!(d.take_mixed(), None);
        assert_eq!(d.text(b"Caf\xE9 \x80", 5), "Café €");
        assert_eq!(d.encoding(), Encoding::Windows1252);
        let m = d.take_mixed().unwrap();
        assert_eq!((m.line, m.first_line), (5, 2));
        assert!(m.to_string().contains("Windows-1252 text (not UTF-8) but line 2 uses UTF-8 text"), "{m}");
        assert_eq!(d.text(b"\xC3\xA9", 7), "é");
        assert_eq!(d.take_mixed(), None);
    }

    #[test]
    fn decimal_commas_only_where_the_delimiter_is_not_a_comma() {
        let mut comma = CellDecoder::new(Dialect::COMMA);
        assert_eq!(comma.number("51,05".into(), 2), "51,05");
        let mut semi = CellDecoder::new(Dialect { delimiter: b';' });
        assert_eq!(semi.number("51,05".into(), 2), "51.05");
        assert_eq!(semi.number("-0,5".into(), 3), "-0.5");
        assert_eq!(semi.number("12".into(), 3), "12");
        assert_eq!(semi.number("1,2,3".into(), 3), "1,2,3");
        assert_eq!(semi.take_mixed(), None);
        assert_eq!(semi.number("4.25".into(), 9), "4.25");
        let m = semi.take_mixed().unwrap();
        assert_eq!((m.line, m.this, m.first_line), (9, "a decimal point (51.05)", 2));
    }

    #[test]
    fn a_row_in_another_dialect_is_recognised() {
        let semi = Dialect { delimiter: b';' };
        let row: [&[u8]; 1] = [b"a,b,\"c;d\""];
        assert_eq!(semi.other_fitting(row.into_iter(), 3), Some(Dialect::COMMA));
        assert_eq!(semi.other_fitting(row.into_iter(), 4), None);
    }
}
