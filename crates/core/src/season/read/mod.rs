//! Reading season tables from CSV and JSON into a [`SeasonDoc`], reporting every
//! malformed row and wrong type instead of stopping at the first.
//!
//! Both formats are turned into the same thing first: for each row, one optional
//! text cell per schema column. The typed parsing ([`rows::RowCtx`]) is then shared, so
//! a wrong type reads the same whichever format it came from.

mod csv;
mod json;
mod rows;

use std::collections::HashSet;

use super::diag::{Diagnostics, OriginKind, Severity, TableOrigin};
use super::doc::*;
use crate::text::quoted;

pub(crate) use self::csv::{read_csv_from, read_csv_sized, read_csv_table, Tuning};
pub(crate) use self::json::{json_start_problem, read_json};
pub(crate) use self::rows::{header_names, parse_cells, schema};

/// Upper bound on problems reported for one file before reading stops; keeps a
/// binary file from producing millions of lines.
pub(crate) const MAX_PROBLEMS_PER_FILE: usize = 100;

/// The longest CSV row read, in bytes (1 MiB). The csv crate holds a whole row
/// in memory, so without a limit a file with no line break (or an unclosed
/// quote) would be read into memory whole.
pub(crate) const MAX_ROW_BYTES: usize = 1 << 20;

/// The most columns a header may have. A season table has at most 12; a
/// header with thousands is not a season file.
pub(crate) const MAX_COLUMNS: usize = 1000;

/// The largest score a `candidates.csv` may give. The solver works with
/// integer weights (`score * 10^6`) whose sums must fit in 64 bits however
/// large the season; scores computed by dualmatch are 0 to 100.
pub(crate) const MAX_SCORE: f64 = 10_000.0;

/// How far into a JSON file to look for its opening `{` before reading it whole.
pub(crate) const JSON_SNIFF_BYTES: usize = 64 << 10;

/// What reading the tables produced besides the document.
#[derive(Default)]
pub(crate) struct ReadOutcome {
    /// Per table: ids of rows that were rejected, so that references to them
    /// do not produce a second, misleading "unknown id" error.
    pub broken_ids: [HashSet<String>; TableName::ALL.len()],
    /// Tables that could not be read at all (missing file, missing columns).
    pub unusable: HashSet<&'static str>,
    /// Where each table came from.
    pub origins: Vec<(TableName, TableOrigin)>,
    /// Rows of CSV files read as plain lines, split in parallel rather than
    /// record by record (how much of the files the fast reader took).
    pub plain_rows: u64,
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
/// and (silently, unless misspelt) extra columns. Returns None when a required
/// column is missing. `dialect` is the CSV dialect the header was read in.
pub(crate) fn map_header(
    table: TableName,
    header: &[&str],
    origin: &TableOrigin,
    header_row: u64,
    dialect: Option<crate::dialect::Dialect>,
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
                "the header names none of the expected columns ({}); found {:?}{}; is this the right file?",
                header_names(table),
                found,
                dialect
                    .map(|d| format!(
                        " (read as {}; the columns may be separated by commas, semicolons or tabs)",
                        d.describe()
                    ))
                    .unwrap_or_default()
            ),
        ));
        return None;
    }
    // Header names that are no column of the table, for "did you mean".
    let unknown: Vec<&str> =
        seen.iter().map(|(n, _)| n.as_str()).filter(|n| !n.is_empty() && !cols.iter().any(|c| c.name == *n)).collect();
    for (i, c) in cols.iter().enumerate() {
        if map[i].is_some() {
            continue;
        }
        let close = closest(c.name, &unknown);
        if c.required {
            let expected: Vec<&str> = cols.iter().filter(|c| c.required).map(|c| c.name).collect();
            let hint = close
                .map(|u| format!("; did you mean the header's {}? rename it to {:?}", quoted(u), c.name))
                .unwrap_or_default();
            diags.push(origin.at(
                Severity::Error,
                header_row,
                Some(c.name),
                format!("required column {:?} is missing{hint}; the header must name {}", c.name, expected.join(",")),
            ));
            ok = false;
        } else if let Some(u) = close {
            diags.push(origin.at(
                Severity::Warning,
                header_row,
                Some(c.name),
                format!("column {} is not read: did you mean {:?}? (rename it, or it is ignored)", quoted(u), c.name),
            ));
        }
    }
    ok.then_some(map)
}

/// The name of `names` closest to `column`, if one is close enough to be a
/// misspelling of it (Jaro-Winkler similarity of at least 0.85, or the one
/// contains the other).
pub(crate) fn closest<'a>(column: &str, names: &[&'a str]) -> Option<&'a str> {
    let column = column.to_ascii_lowercase();
    let column = column.as_str();
    let norm = |s: &str| s.replace(['-', ' ', '_'], "");
    names
        .iter()
        .map(|n| {
            let (a, b) = (norm(&n.to_ascii_lowercase()), norm(column));
            let contains = a.len() >= 2 && b.len() >= 2 && (b.contains(&a) || a.contains(&b));
            (if contains { 1.0 } else { strsim::jaro_winkler(&a, &b) }, *n)
        })
        .filter(|(s, _)| *s >= 0.85)
        .max_by(|x, y| x.0.total_cmp(&y.0))
        .map(|(_, n)| n)
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
