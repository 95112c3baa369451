//! Workbooks (xlsx, through rust_xlsxwriter): one worksheet per [`Table`],
//! with the same header and cells as its CSV file, numbers as numeric cells;
//! optionally a `summary` sheet showing a summary.json. The workbook is built
//! in memory and returned as bytes, so the caller writes it atomically with
//! the other outputs.

use std::io;

use rust_xlsxwriter::{
    DataValidation, DataValidationRule, DocProperties, ExcelDateTime, Format, Formula, Workbook, Worksheet, XlsxError,
};
use serde_json::Value;

use crate::exit::usage;
use crate::output::{Kind, Table};

/// The widest a column is made, in characters (long texts wrap past it).
const MAX_WIDTH: usize = 60;

/// Builds a workbook of `tables` (one sheet each, named like the table) and,
/// when given, a `summary` sheet. `display` names the file in messages: a
/// table a worksheet cannot hold (more than 1,048,576 rows) is a usage error
/// naming the sheet and row. A text over 32,767 characters (the most a cell
/// holds; a long chain of moves in the recruitment advice) is cut to fit,
/// saying so and naming the CSV file that has it whole.
pub fn workbook(display: &str, tables: &[Table], summary: Option<&Value>) -> anyhow::Result<Vec<u8>> {
    build(display, tables, summary, None)
}

/// What a season workbook checks as it is edited ([`season_workbook`]).
pub enum SeasonBook {
    /// A season as `convert` writes it: the tables with their validation.
    Season,
    /// An empty season to fill in (`template`): an instructions sheet first.
    Template,
}

/// A season workbook: one sheet per table of the season, as [`workbook`],
/// with data validation on the cells people type: drop-down lists for a
/// learner's school, programme and screening outcome and for a
/// recognition's workplace and programme (fed by the workbook's own
/// `schools`, `programmes` and `workplaces` sheets), and number rules for
/// seats, capacity, readiness, coordinates and the commute, the same rules
/// the season reader applies ([`validations`]).
pub fn season_workbook(display: &str, tables: &[Table], kind: SeasonBook) -> anyhow::Result<Vec<u8>> {
    build(display, tables, None, Some(kind))
}

/// The last row a validation covers (the last row of a worksheet).
const LAST_ROW: u32 = 1_048_575;

/// The validation of column `column` of season table `table`, if any, with
/// a one-line help text that Excel shows when the cell is selected.
pub fn validations(table: &str, column: &str) -> Option<(DataValidation, &'static str)> {
    let list = |sheet: &str| Formula::new(format!("={sheet}!$A$2:$A${}", LAST_ROW + 1));
    let (v, help) = match (table, column) {
        ("learners", "school") => {
            (DataValidation::new().allow_list_formula(list("schools")), "Pick a school id from the schools sheet.")
        }
        ("learners" | "recognitions", "programme") => (
            DataValidation::new().allow_list_formula(list("programmes")),
            "Pick a programme id from the programmes sheet.",
        ),
        ("recognitions", "workplace") => (
            DataValidation::new().allow_list_formula(list("workplaces")),
            "Pick a workplace id from the workplaces sheet.",
        ),
        ("learners", "screening") => (
            DataValidation::new().allow_list_strings(&["passed", "pending", "failed"]).ok()?,
            "passed, pending or failed.",
        ),
        (_, "seats" | "capacity") => (
            DataValidation::new().allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(0)),
            "A whole number, 0 or more.",
        ),
        (_, "readiness" | "min_readiness") => (
            DataValidation::new().allow_whole_number(DataValidationRule::Between(1, 4)),
            "A whole number from 1 (not yet ready) to 4.",
        ),
        (_, "lat") => (
            DataValidation::new().allow_decimal_number(DataValidationRule::Between(-90.0, 90.0)),
            "Latitude in degrees, -90 to 90 (Flanders: about 51).",
        ),
        (_, "lon") => (
            DataValidation::new().allow_decimal_number(DataValidationRule::Between(-180.0, 180.0)),
            "Longitude in degrees, -180 to 180 (Flanders: about 3 to 6).",
        ),
        ("learners", "max_commute_km") => (
            DataValidation::new().allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0)),
            "The longest commute in km, 0 or more.",
        ),
        _ => return None,
    };
    let v = v.set_input_message(help).ok()?.set_error_message(format!("Not allowed here. {help}")).ok()?;
    Some((v, help))
}

/// The instructions sheet of a template.
const INSTRUCTIONS: &[&str] = &[
    "dualmatch season workbook",
    "",
    "Fill in one row per record on each sheet, under the header; keep the headers as they are.",
    "1. programmes: id and name of each programme (for example P01, Kok).",
    "2. schools: id, name and location (lat, lon in degrees) of each school.",
    "3. workplaces: each company site: id, company name, location, capacity (most learners at once, empty = no \
     limit), min_readiness (1-4), requires, partner_schools and preferences (lists separated by ;).",
    "4. recognitions: which site may train which programme, and how many seats.",
    "5. learners: id, school and programme (pick from the drop-down lists, fed by the sheets above), home \
     location, max_commute_km, readiness (1-4), screening (passed, pending or failed), attributes and \
     preferences (lists separated by ;).",
    "",
    "Cells with a rule show it when selected and refuse what the season reader would refuse.",
    "Then run: dualmatch validate season.xlsx, and dualmatch match season.xlsx --out results",
    "This sheet is ignored when the season is read. Column meanings: docs/format.md.",
];

fn build(
    display: &str,
    tables: &[Table],
    summary: Option<&Value>,
    season: Option<SeasonBook>,
) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    // A fixed creation time, so that the same results give the same bytes.
    let created = ExcelDateTime::from_ymd(2000, 1, 1).map_err(internal)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let bold = Format::new().set_bold();
    if let Some(SeasonBook::Template) = season {
        let ws = book.add_worksheet();
        ws.set_name("instructions").map_err(internal)?;
        for (r, line) in INSTRUCTIONS.iter().enumerate() {
            if r == 0 {
                ws.write_string_with_format(0, 0, *line, &bold).map_err(internal)?;
            } else {
                ws.write_string(r as u32, 0, *line).map_err(internal)?;
            }
        }
        ws.set_column_width(0, 120).map_err(internal)?;
    }
    for t in tables {
        let ws = book.add_worksheet();
        // A season's cell is never cut: its workbook is read back as data.
        table_sheet(ws, t, &bold, display, season.is_none())?;
        if season.is_some() {
            for (c, (name, _)) in t.columns.iter().enumerate() {
                if let Some((v, _)) = validations(&t.name, name) {
                    ws.add_data_validation(1, c as u16, LAST_ROW, c as u16, &v).map_err(internal)?;
                }
            }
        }
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

/// The most characters a workbook cell holds.
const MAX_CELL_CHARS: usize = 32_767;

/// `text` cut to fit a cell when it is longer than [`MAX_CELL_CHARS`], with
/// a note that says so and where the whole text is (`table`'s CSV file).
fn fit_cell(text: &str, table: &str) -> Option<String> {
    // A text of at most that many bytes has at most that many characters.
    if text.len() <= MAX_CELL_CHARS {
        return None;
    }
    let total = text.chars().count();
    if total <= MAX_CELL_CHARS {
        return None;
    }
    let note = format!(" … [cut to fit a workbook cell: {total} characters in all; {table}.csv has the whole text]");
    let mut cut: String = text.chars().take(MAX_CELL_CHARS - note.chars().count()).collect();
    cut.push_str(&note);
    Some(cut)
}

/// One sheet: a bold, frozen header row with a filter, then the rows; with
/// `fit`, a text too long for a cell is cut ([`fit_cell`]).
fn table_sheet(ws: &mut Worksheet, t: &Table, bold: &Format, display: &str, fit: bool) -> anyhow::Result<()> {
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
            let cut = if fit { fit_cell(text, &t.name) } else { None };
            if let Err(e) = write_cell(ws, row, c as u16, cut.as_deref().unwrap_or(text), *kind) {
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

/// How a figure of the summary sheet is shown.
#[derive(Clone, Copy)]
enum Show {
    /// As it is, with a unit.
    Plain(&'static str),
    /// A share (0–1) as a percentage.
    Percent,
    /// `true`/`false` as yes/no.
    YesNo,
}

/// The figures of the summary sheet, in order: the words, where summary.json
/// holds the value (a JSON pointer), and how it is shown. A figure that the
/// summary lacks is left out.
const FIGURES: &[(&str, &str, Show)] = &[
    ("School", "/school", Show::Plain("")),
    ("School name", "/name", Show::Plain("")),
    ("Policy", "/policy", Show::Plain("")),
    ("Learners", "/learners", Show::Plain("learners")),
    ("Learners placed", "/placed", Show::Plain("learners")),
    ("Learners unplaced", "/unplaced", Show::Plain("learners")),
    ("Share placed", "/placed_share", Show::Percent),
    ("Total score", "/total_score", Show::Plain("points (0–100 per placement)")),
    ("Mean score of a placed learner", "/mean_score", Show::Plain("points (0–100)")),
    ("Proven optimal", "/optimal", Show::YesNo),
    ("Upper bound on the total score", "/proof/bound", Show::Plain("points")),
    ("Gap between bound and total score", "/proof/gap", Show::Plain("points (0 = optimal)")),
    ("Solver", "/proof/method", Show::Plain("")),
    ("Most learners that can be placed", "/proof/max_placeable", Show::Plain("learners")),
    ("Independent parts solved", "/proof/components", Show::Plain("components")),
    ("Lottery seed", "/seed", Show::Plain("")),
    ("Improved afterwards (nobody loses)", "/improve", Show::YesNo),
    ("Candidate pairs", "/candidates/pairs", Show::Plain("learner–site pairs")),
    ("Candidates from", "/candidates/source", Show::Plain("")),
    ("Placements kept (rematch)", "/rematch/kept", Show::Plain("learners")),
    ("Learners moved (rematch)", "/rematch/moved", Show::Plain("learners")),
    ("Learners who gained a placement (rematch)", "/rematch/gained", Show::Plain("learners")),
    ("Learners who lost a placement (rematch)", "/rematch/lost", Show::Plain("learners")),
    ("Placements fixed as they were (rematch)", "/rematch/pinned", Show::Plain("learners")),
    ("Learners moved (this school)", "/changes/moved", Show::Plain("learners")),
    ("Learners who gained a placement (this school)", "/changes/gained", Show::Plain("learners")),
    ("Learners who lost a placement (this school)", "/changes/lost", Show::Plain("learners")),
    ("Time to load", "/timings/load", Show::Plain("seconds")),
    ("Time to score", "/timings/score", Show::Plain("seconds")),
    ("Time to solve", "/timings/solve", Show::Plain("seconds")),
    ("Time to work out the advice", "/timings/advice", Show::Plain("seconds")),
];

/// A column of a table on the summary sheet: the field of summary.json, the
/// header, and whether it is a share shown as a percentage.
type SummaryColumn = (&'static str, &'static str, bool);

/// The `summary` sheet, for people: one row per figure in plain words with
/// its unit ([`FIGURES`]), the unplaced learners by reason, the files left
/// out and why, then the tables per school and per programme with named
/// columns. summary.json keeps every exact value.
fn summary_sheet(ws: &mut Worksheet, v: &Value, bold: &Format) -> Result<(), XlsxError> {
    ws.set_name("summary")?;
    let pct = Format::new().set_num_format("0.0%");
    let mut widths = Widths(vec![12, 8, 8, 8, 8, 8]);
    for (c, h) in ["Figure", "Value", "Unit"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, bold)?;
    }
    let mut row = 0u32;
    let mut put = |ws: &mut Worksheet, label: &str, value: &Value, show: Show, widths: &mut Widths| {
        row += 1;
        widths.see(0, label);
        ws.write_string(row, 0, label)?;
        match (show, value) {
            (Show::Percent, Value::Number(n)) => {
                widths.see(1, "100.0%");
                ws.write_number_with_format(row, 1, n.as_f64().unwrap_or(f64::NAN), &pct)?;
            }
            (Show::YesNo, Value::Bool(b)) => {
                ws.write_string(row, 1, if *b { "yes" } else { "no" })?;
            }
            _ => json_cell(ws, row, 1, value, widths)?,
        }
        if let Show::Plain(unit) = show {
            if !unit.is_empty() {
                widths.see(2, unit);
                ws.write_string(row, 2, unit)?;
            }
        }
        Ok::<(), XlsxError>(())
    };
    let share = match (v["placed"].as_f64(), v["learners"].as_f64()) {
        (Some(p), Some(n)) if n > 0.0 => Some(Value::from(p / n)),
        _ => None,
    };
    for &(label, pointer, show) in FIGURES {
        let value = if pointer == "/placed_share" { share.as_ref() } else { v.pointer(pointer) };
        match value {
            Some(x) if !x.is_null() && !x.is_object() => put(ws, label, x, show, &mut widths)?,
            _ => {}
        }
    }
    if let Some(Value::Object(kinds)) = v.get("unplaced_by_reason") {
        for (kind, n) in kinds {
            put(ws, &format!("Unplaced: {kind}"), n, Show::Plain("learners"), &mut widths)?;
        }
    }
    if let Some(Value::Array(absent)) = v.get("files_not_written") {
        for a in absent {
            let label = format!("Not written: {}", a["file"].as_str().unwrap_or(""));
            put(ws, &label, &a["why"], Show::Plain(""), &mut widths)?;
        }
    }
    let lists: [(&str, &[SummaryColumn]); 2] = [
        (
            "per_school",
            &[
                ("school", "School", false),
                ("name", "Name", false),
                ("learners", "Learners", false),
                ("placed", "Placed", false),
                ("rate", "Share placed", true),
            ],
        ),
        (
            "per_programme",
            &[
                ("programme", "Programme", false),
                ("name", "Name", false),
                ("learners", "Learners", false),
                ("placed", "Placed", false),
                ("seats", "Seats", false),
            ],
        ),
    ];
    for (key, columns) in lists {
        let Some(Value::Array(records)) = v.get(key) else { continue };
        row += 2;
        let title = if key == "per_school" { "Per school" } else { "Per programme" };
        ws.write_string_with_format(row, 0, title, bold)?;
        row += 1;
        for (c, (_, head, _)) in columns.iter().enumerate() {
            ws.write_string_with_format(row, c as u16, *head, bold)?;
            widths.see(c, head);
        }
        for rec in records {
            row += 1;
            for (c, (field, _, percent)) in columns.iter().enumerate() {
                match (&rec[*field], percent) {
                    (Value::Number(n), true) => {
                        ws.write_number_with_format(row, c as u16, n.as_f64().unwrap_or(f64::NAN), &pct)?;
                    }
                    (x, _) => json_cell(ws, row, c as u16, x, &mut widths)?,
                }
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    widths.apply(ws)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A recruitment table with one chain of moves of `moves` moves.
    fn recruitment(moves: usize) -> (Table<'static>, String) {
        let chain: Vec<String> = (0..moves).map(|i| format!("L{i:06} W{i:05}→W{:05}", i + 1)).collect();
        let chain = chain.join("; ");
        let cells = vec!["W00001".to_string(), chain.clone()];
        let t = Table::new("recruitment", [("workplace", Kind::Text), ("moves", Kind::Text)], move |sink| sink(&cells));
        (t, chain)
    }

    /// The text of the cell in row 1, column 1 of sheet `recruitment`.
    fn moves_cell(book: Vec<u8>) -> String {
        use calamine::Reader;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(book)).unwrap();
        let sheet = book.worksheet_range("recruitment").unwrap();
        sheet.get((1, 1)).unwrap().to_string()
    }

    #[test]
    fn a_text_too_long_for_a_cell_is_cut_in_a_result_workbook_and_said_so() {
        // 2,000 moves of 22 characters and their separators: 47,998 characters.
        let (t, chain) = recruitment(2000);
        assert!(chain.chars().count() > MAX_CELL_CHARS);
        let cell = moves_cell(workbook("r.xlsx", &[t], None).unwrap());
        assert!(cell.chars().count() <= MAX_CELL_CHARS, "{} characters", cell.chars().count());
        assert!(cell.chars().count() > MAX_CELL_CHARS - 200);
        let note = format!(
            " … [cut to fit a workbook cell: {} characters in all; recruitment.csv has the whole text]",
            chain.chars().count()
        );
        let kept = cell.strip_suffix(&note).expect("the note");
        assert!(chain.starts_with(kept));
        // A chain that fits is written whole.
        let (t, chain) = recruitment(1000);
        assert_eq!(moves_cell(workbook("r.xlsx", &[t], None).unwrap()), chain);
    }

    #[test]
    fn a_season_workbook_never_cuts_a_cell() {
        let (t, _) = recruitment(2000);
        let err = season_workbook("s.xlsx", &[t], SeasonBook::Season).unwrap_err().to_string();
        assert!(err.contains("a workbook cannot hold this table"), "{err}");
    }
}
