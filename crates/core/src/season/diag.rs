//! Diagnostics: every problem found while loading a season, with where it is
//! and what to do about it.

use std::fmt;

use serde::Serialize;

use crate::text::visible;

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, nothing wrong: how a file was read (such as its encoding).
    Note,
    /// The season can still be used, but something looks wrong.
    Warning,
    /// The season cannot be used until this is fixed.
    Error,
}

/// Where in the input a problem sits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Position {
    /// The file as a whole.
    File,
    /// A 1-based line of a CSV file (the header is line 1).
    Line {
        /// The line number.
        line: u64,
    },
    /// A record of a JSON file: `table[index]`, 0-based.
    Record {
        /// The table, such as `learners`.
        table: String,
        /// The 0-based index of the record in that table's array.
        index: u64,
    },
    /// A row of a spreadsheet sheet (1-based, the header is row 1).
    Sheet {
        /// The sheet name.
        sheet: String,
        /// The row number.
        row: u64,
    },
}

/// One problem in the season input.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file, as the user named it.
    pub file: String,
    /// Where in the file.
    pub position: Position,
    /// The column or field concerned, if any.
    pub field: Option<String>,
    /// What is wrong, in plain words, and what to do.
    pub message: String,
}

impl Diagnostic {
    /// The 1-based line, for CSV input.
    pub fn line(&self) -> Option<u64> {
        match self.position {
            Position::Line { line } => Some(line),
            _ => None,
        }
    }
}

/// One line, whatever the input: every part is shown with its hidden
/// characters (control, bidirectional and escape characters, line breaks)
/// written as `\u{XXXX}` ([`visible`]), so that a value from a file can
/// neither recolour the terminal, reorder the line nor start a new one.
/// Values quoted in messages are cut where the message is built
/// ([`crate::text::quote`]).
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        write!(f, "{sev}: {}", visible(&self.file))?;
        match &self.position {
            Position::File => {}
            Position::Line { line } => write!(f, ":{line}")?,
            Position::Record { table, index } => write!(f, ": {}[{index}]", visible(table))?,
            Position::Sheet { sheet, row } => write!(f, ": sheet '{}' row {row}", visible(sheet))?,
        }
        if let Some(field) = &self.field {
            write!(f, ": {}", visible(field))?;
        }
        write!(f, ": {}", visible(&self.message))
    }
}

/// The problems found in one load, in the order they were found, capped per
/// file so that a binary file cannot flood memory or the terminal.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    errors: usize,
    warnings: usize,
    notes: usize,
    suppressed: usize,
    /// Errors kept.
    #[serde(skip)]
    kept_errors: usize,
    /// Per kind of warning or note ([`Diagnostic::kind`]): how many are kept
    /// and how many only counted.
    #[serde(skip)]
    kinds: std::collections::HashMap<KindKey, (usize, usize)>,
}

/// A [`Diagnostic::kind`], owned.
type KindKey = (Severity, String, Option<String>, String);

fn kind_key(d: &Diagnostic) -> KindKey {
    let (sev, file, field, template) = d.kind();
    (sev, file.to_string(), field.map(str::to_string), template)
}

/// How many errors one load keeps, and how many warnings or notes of one
/// kind in one file; the rest are only counted.
pub const MAX_DIAGNOSTICS: usize = 1000;

impl Diagnostics {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a problem.
    pub fn push(&mut self, d: Diagnostic) {
        match d.severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
            Severity::Note => self.notes += 1,
        }
        let keep = if d.severity == Severity::Error {
            self.kept_errors += 1;
            self.kept_errors <= MAX_DIAGNOSTICS
        } else {
            let counts = self.kinds.entry(kind_key(&d)).or_default();
            if counts.0 < MAX_DIAGNOSTICS {
                counts.0 += 1;
                true
            } else {
                counts.1 += 1;
                false
            }
        };
        if keep {
            self.items.push(d);
        } else {
            self.suppressed += 1;
        }
    }

    /// The kept problems, in the order found.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// The number of errors (including suppressed ones).
    pub fn error_count(&self) -> usize {
        self.errors
    }

    /// The number of warnings (including suppressed ones).
    pub fn warning_count(&self) -> usize {
        self.warnings
    }

    /// The number of notes (including suppressed ones).
    pub fn note_count(&self) -> usize {
        self.notes
    }

    /// How many problems were counted but not kept.
    pub fn suppressed(&self) -> usize {
        self.suppressed
    }

    /// Whether any error was found.
    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }

    /// Whether nothing at all was found.
    pub fn is_empty(&self) -> bool {
        self.errors == 0 && self.warnings == 0
    }

    /// Appends all of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        // What `other` only counted is counted here too.
        let kept = |sev| other.items.iter().filter(|d| d.severity == sev).count();
        let dropped_errors = other.errors - kept(Severity::Error);
        self.errors += dropped_errors;
        self.kept_errors += dropped_errors;
        self.warnings += other.warnings - kept(Severity::Warning);
        self.notes += other.notes - kept(Severity::Note);
        self.suppressed += other.suppressed;
        for (k, (_, dropped)) in other.kinds {
            self.kinds.entry(k).or_default().1 += dropped;
        }
        for d in other.items {
            self.push(d);
        }
    }
}

/// Warnings or notes of one kind in one file beyond this many are shown as
/// one line (see [`Diagnostics::grouped`]).
pub const GROUP_AFTER: usize = 3;

/// How many rows a grouped line names besides its first.
const GROUP_EXAMPLES: usize = 4;

impl Diagnostic {
    /// The kind of problem: the message with quoted values and numbers left
    /// out, with the severity, file and field. Diagnostics of one kind differ
    /// only in the row and the values they name.
    pub fn kind(&self) -> (Severity, &str, Option<&str>, String) {
        let mut template = String::with_capacity(self.message.len());
        let mut chars = self.message.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '"' {
                template.push_str("\"…\"");
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                }
            } else if c.is_ascii_digit() {
                template.push('N');
                while chars.peek().is_some_and(|c| c.is_ascii_digit() || *c == '.') {
                    chars.next();
                }
            } else {
                template.push(c);
            }
        }
        (self.severity, &self.file, self.field.as_deref(), template)
    }

    /// Where the problem is, for a list of examples: `line 4`, `learners[3]`, `row 4`.
    fn short_position(&self) -> Option<String> {
        match &self.position {
            Position::File => None,
            Position::Line { line } => Some(format!("line {line}")),
            Position::Record { table, index } => Some(format!("{}[{index}]", visible(table))),
            Position::Sheet { row, .. } => Some(format!("row {row}")),
        }
    }
}

/// Warnings and notes of one kind in one file ([`Diagnostic::kind`]), or
/// one error.
#[derive(Clone, Debug)]
pub struct Group<'a> {
    /// The first diagnostic of the group, in the order found.
    pub first: &'a Diagnostic,
    /// The others, in the order found.
    pub more: Vec<&'a Diagnostic>,
    /// How many more of the kind were only counted, not kept.
    pub uncounted: usize,
}

impl fmt::Display for Group<'_> {
    /// The first diagnostic, and for a group the count and the first few rows
    /// of the others.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.first)?;
        if self.more.is_empty() {
            return Ok(());
        }
        let rows: Vec<String> = self.more.iter().take(GROUP_EXAMPLES).filter_map(|d| d.short_position()).collect();
        let more = if self.more.len() > GROUP_EXAMPLES { ", …" } else { "" };
        let at = if rows.is_empty() {
            String::new()
        } else if let Some(lines) = rows.iter().map(|r| r.strip_prefix("line ")).collect::<Option<Vec<_>>>() {
            format!(" at line{} {}{more}", if rows.len() > 1 { "s" } else { "" }, lines.join(", "))
        } else {
            format!(" at {}{more}", rows.join(", "))
        };
        let n = self.more.len() + self.uncounted;
        write!(f, " (and {n} more like it in this file{at}; --verbose lists them all)")
    }
}

impl Diagnostics {
    /// The diagnostics as they are shown: every error on its own; warnings
    /// and notes of one kind in one file together when there are more than
    /// [`GROUP_AFTER`] of them, in the order of each kind's first. With
    /// `all`, every diagnostic on its own.
    pub fn grouped(&self, all: bool) -> Vec<Group<'_>> {
        let single = |d| Group { first: d, more: Vec::new(), uncounted: 0 };
        if all {
            return self.items.iter().map(single).collect();
        }
        // The diagnostics of each kind, by the index of the kind's first.
        let mut first_of: std::collections::HashMap<_, usize> = std::collections::HashMap::new();
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); self.items.len()];
        for (i, d) in self.items.iter().enumerate() {
            if d.severity != Severity::Error {
                members[*first_of.entry(d.kind()).or_insert(i)].push(i);
            }
        }
        let folded = |i: usize| members[i].len() > GROUP_AFTER;
        let mut in_group = vec![false; self.items.len()];
        let mut out = Vec::new();
        for (i, d) in self.items.iter().enumerate() {
            if in_group[i] {
                continue;
            }
            if folded(i) {
                for &m in &members[i] {
                    in_group[m] = true;
                }
                let uncounted = self.kinds.get(&kind_key(d)).map_or(0, |k| k.1);
                out.push(Group {
                    first: d,
                    more: members[i][1..].iter().map(|&m| &self.items[m]).collect(),
                    uncounted,
                });
            } else {
                out.push(single(d));
            }
        }
        out
    }
}

/// Every error, and the warnings and notes grouped by kind and file
/// ([`Diagnostics::grouped`]); the alternate form (`{:#}`) shows every one.
impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for g in self.grouped(f.alternate()) {
            writeln!(f, "{g}")?;
        }
        // Those only counted, but for the kinds whose line gives their number.
        let in_groups: usize = if f.alternate() { 0 } else { self.kinds.values().map(|k| k.1).sum() };
        if self.suppressed > in_groups {
            writeln!(f, "… and {} more problems not shown", self.suppressed - in_groups)?;
        }
        write!(
            f,
            "{} error{}, {} warning{}",
            self.errors,
            if self.errors == 1 { "" } else { "s" },
            self.warnings,
            if self.warnings == 1 { "" } else { "s" }
        )
    }
}

/// A reporter bound to one table of the input: it knows the file name and how
/// positions are expressed there, so parsing code only says *which row* and
/// *what is wrong*.
#[derive(Clone, Debug)]
pub struct TableOrigin {
    /// The file as the user named it.
    pub file: String,
    /// How rows are addressed in it.
    pub kind: OriginKind,
}

/// How rows of a table are addressed.
#[derive(Clone, Debug)]
pub enum OriginKind {
    /// Rows are CSV lines; a row number is the 1-based line.
    Csv,
    /// Rows are JSON array elements of `table`; a row number is the 0-based index.
    Json {
        /// The table name in the JSON document.
        table: &'static str,
    },
    /// Rows are spreadsheet rows of `sheet`; a row number is the 1-based row.
    Sheet {
        /// The sheet name.
        sheet: String,
    },
}

impl TableOrigin {
    /// The position of row `row` (a line, record index or sheet row, see [`OriginKind`]).
    pub fn position(&self, row: u64) -> Position {
        match &self.kind {
            OriginKind::Csv => Position::Line { line: row },
            OriginKind::Json { table } => Position::Record { table: (*table).to_string(), index: row },
            OriginKind::Sheet { sheet } => Position::Sheet { sheet: sheet.clone(), row },
        }
    }

    /// A diagnostic at `row`, field `field`.
    pub fn at(&self, severity: Severity, row: u64, field: Option<&str>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity,
            file: self.file.clone(),
            position: self.position(row),
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    /// A diagnostic about the file as a whole.
    pub fn whole(&self, severity: Severity, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity, file: self.file.clone(), position: Position::File, field: None, message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(file: &str) -> TableOrigin {
        TableOrigin { file: file.into(), kind: OriginKind::Csv }
    }

    #[test]
    fn warnings_of_one_kind_in_one_file_are_one_line_errors_never() {
        let mut d = Diagnostics::new();
        let (a, b) = (origin("a.csv"), origin("b.csv"));
        d.push(a.at(Severity::Error, 2, Some("id"), "duplicate id \"X\""));
        for row in 3..3 + 1500u64 {
            d.push(a.at(Severity::Warning, row, Some("seats"), format!("0 seats: nobody at \"W{row}\" for \"P1\"")));
        }
        // Another file, and few of a kind: shown one by one, in order.
        d.push(b.at(Severity::Warning, 7, Some("seats"), "0 seats: nobody at \"W1\" for \"P1\""));
        d.push(a.at(Severity::Note, 1, None, "read as Windows-1252"));
        d.push(a.at(Severity::Error, 9, Some("id"), "duplicate id \"Y\""));
        assert_eq!((d.error_count(), d.warning_count(), d.note_count(), d.suppressed()), (2, 1501, 1, 500));
        let lines: Vec<String> = d.grouped(false).iter().map(|g| g.to_string()).collect();
        assert_eq!(lines.len(), 5, "{lines:#?}");
        assert_eq!(lines[0], "error: a.csv:2: id: duplicate id \"X\"");
        assert_eq!(
            lines[1],
            "warning: a.csv:3: seats: 0 seats: nobody at \"W3\" for \"P1\" \
             (and 1499 more like it in this file at lines 4, 5, 6, 7, …; --verbose lists them all)"
        );
        assert_eq!(lines[2], "warning: b.csv:7: seats: 0 seats: nobody at \"W1\" for \"P1\"");
        assert_eq!(lines[4], "error: a.csv:9: id: duplicate id \"Y\"");
        // All of them: the 1,000 kept of the kind, then the count of the rest.
        assert_eq!(d.grouped(true).len(), 1004);
        let shown = d.to_string();
        assert_eq!(shown.lines().count(), 6, "{shown}");
        assert!(shown.ends_with("2 errors, 1501 warnings"), "{shown}");
        assert!(format!("{d:#}").contains("… and 500 more problems not shown"));
    }

    #[test]
    fn three_of_a_kind_are_shown_one_by_one() {
        let mut d = Diagnostics::new();
        for row in 2..5 {
            d.push(origin("a.csv").at(Severity::Warning, row, None, format!("row {row} is odd")));
        }
        assert_eq!(d.grouped(false).len(), GROUP_AFTER);
        d.push(origin("a.csv").at(Severity::Warning, 9, None, "row 9 is odd"));
        assert_eq!(d.grouped(false).len(), 1);
    }
}
