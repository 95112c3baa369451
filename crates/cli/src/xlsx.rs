//! Workbooks (xlsx, through rust_xlsxwriter): one worksheet per [`Table`],
//! with the same header and cells as its CSV file, numbers as numeric cells;
//! optionally a `summary` sheet showing a summary.json. The workbook is built
//! in memory and returned as bytes, so the caller writes it atomically with
//! the other outputs.

use std::io;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use serde_json::Value;

use crate::exit::usage;
use crate::output::{Kind, Table};

/// The widest a column is made, in characters (long texts wrap past it).
const MAX_WIDTH: usize = 60;

/// Builds a workbook of `tables` (one sheet each, named like the table) and,
/// when given, a `summary` sheet. `display` names the file in messages: a
/// table a worksheet cannot hold (more than 1,048,576 rows, a text over
/// 32,767 characters) is a usage error naming the sheet and row.
pub fn workbook(display: &str, tables: &[Table], summary: Option<&Value>) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    // A fixed creation time, so that the same results give the same bytes.
    let created = ExcelDateTime::from_ymd(2000, 1, 1).map_err(internal)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let bold = Format::new().set_bold();
    for t in tables {
        table_sheet(book.add_worksheet(), t, &bold, display)?;
    }
    if let Some(v) = summary {
        summary_sheet(book.add_worksheet(), v, &bold).map_err(internal)?;
    }
    book.save_to_buffer().map_err(|e| anyhow::anyhow!("cannot build the workbook {display}: {e}"))
}

fn internal(e: XlsxError) -> anyhow::Error {
    anyhow::anyhow!("internal error while building a workbook: {e}")
}

/// Column widths that fit the longest cell seen, within limits.
struct Widths(Vec<usize>);

impl Widths {
    fn see(&mut self, col: usize, text: &str) {
        if let Some(w) = self.0.get_mut(col) {
            *w = (*w).max(text.chars().count());
        }
    }

    fn apply(&self, ws: &mut Worksheet) -> Result<(), XlsxError> {
        for (c, w) in self.0.iter().enumerate() {
            ws.set_column_width(c as u16, (*w).clamp(6, MAX_WIDTH) as f64 + 2.0)?;
        }
        Ok(())
    }
}

/// One sheet: a bold, frozen header row with a filter, then the rows.
fn table_sheet(ws: &mut Worksheet, t: &Table, bold: &Format, display: &str) -> anyhow::Result<()> {
    ws.set_name(&t.name).map_err(internal)?;
    // Room for the filter button beside each header.
    let mut widths = Widths(t.columns.iter().map(|(name, _)| name.chars().count() + 2).collect());
    for (c, (name, _)) in t.columns.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, name, bold).map_err(internal)?;
    }
    let mut row = 0u32;
    let mut problem = None;
    let written = t.for_each_row(&mut |cells| {
        row += 1;
        for (c, (text, (name, kind))) in cells.iter().zip(&t.columns).enumerate() {
            widths.see(c, text);
            if let Err(e) = write_cell(ws, row, c as u16, text, *kind) {
                problem = Some(format!(
                    "{display}: sheet {}, row {}, column {name}: {e}; a workbook cannot hold this table, use the CSV file instead",
                    t.name,
                    u64::from(row) + 1
                ));
                return Err(io::Error::other("stopped"));
            }
        }
        Ok(())
    });
    if let Some(p) = problem {
        return Err(usage(p));
    }
    written?;
    ws.set_freeze_panes(1, 0).map_err(internal)?;
    ws.autofilter(0, 0, row, t.columns.len().saturating_sub(1) as u16).map_err(internal)?;
    widths.apply(ws).map_err(internal)
}

/// A cell as its column's kind: a number when it reads as one, else text;
/// an empty text stays an empty cell.
fn write_cell(ws: &mut Worksheet, row: u32, col: u16, text: &str, kind: Kind) -> Result<(), XlsxError> {
    if text.is_empty() {
        return Ok(());
    }
    match text.parse::<f64>() {
        Ok(v) if kind == Kind::Number && v.is_finite() => ws.write_number(row, col, v)?,
        _ => ws.write_string(row, col, text)?,
    };
    Ok(())
}

/// The `summary` sheet: a key/value row for every scalar of `v` (nested
/// objects as dotted keys, such as `proof.bound`), then each list of records
/// (such as `per_school`) as a small table under its name.
fn summary_sheet(ws: &mut Worksheet, v: &Value, bold: &Format) -> Result<(), XlsxError> {
    ws.set_name("summary")?;
    let mut scalars = Vec::new();
    let mut lists = Vec::new();
    flatten("", v, &mut scalars, &mut lists);
    let mut widths = Widths(vec![5; 2]);
    ws.write_string_with_format(0, 0, "key", bold)?;
    ws.write_string_with_format(0, 1, "value", bold)?;
    let mut row = 0u32;
    for (key, value) in &scalars {
        row += 1;
        widths.see(0, key);
        ws.write_string(row, 0, key)?;
        json_cell(ws, row, 1, value, &mut widths)?;
    }
    for (name, records) in &lists {
        row += 2;
        ws.write_string_with_format(row, 0, name, bold)?;
        row += 1;
        let mut keys: Vec<&String> = Vec::new();
        for k in records.iter().filter_map(Value::as_object).flat_map(|o| o.keys()) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        for (c, k) in keys.iter().enumerate() {
            ws.write_string_with_format(row, c as u16, *k, bold)?;
            widths.see(c, k);
        }
        for rec in records.iter() {
            row += 1;
            for (c, k) in keys.iter().enumerate() {
                json_cell(ws, row, c as u16, &rec[k.as_str()], &mut widths)?;
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    widths.apply(ws)
}

/// Splits `v` into scalar fields (with dotted keys) and lists of records.
fn flatten<'v>(
    prefix: &str,
    v: &'v Value,
    scalars: &mut Vec<(String, &'v Value)>,
    lists: &mut Vec<(String, &'v [Value])>,
) {
    let Value::Object(map) = v else {
        scalars.push((prefix.to_string(), v));
        return;
    };
    for (k, x) in map {
        let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match x {
            Value::Object(_) => flatten(&key, x, scalars, lists),
            Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => lists.push((key, items)),
            _ => scalars.push((key, x)),
        }
    }
}

/// A JSON value as a cell: numbers numeric, booleans boolean, null empty,
/// lists of scalars joined with `; `, anything else as compact JSON text.
fn json_cell(ws: &mut Worksheet, row: u32, col: u16, v: &Value, widths: &mut Widths) -> Result<(), XlsxError> {
    let text = match v {
        Value::Null => return Ok(()),
        Value::Bool(b) => {
            widths.see(col.into(), "FALSE");
            ws.write_boolean(row, col, *b)?;
            return Ok(());
        }
        Value::Number(n) => {
            widths.see(col.into(), &n.to_string());
            ws.write_number(row, col, n.as_f64().unwrap_or(f64::NAN))?;
            return Ok(());
        }
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(|x| !x.is_object() && !x.is_array()) => items
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    };
    widths.see(col.into(), &text);
    if !text.is_empty() {
        ws.write_string(row, col, text)?;
    }
    Ok(())
}
