//! Typed rows: the schema of each table, and the parsing of one row of text
//! cells into a record of the [`SeasonDoc`], shared by every format.

use crate::season::doc::*;

use super::{ReadOutcome, MAX_SCORE};
use crate::season::diag::{Diagnostics, Severity, TableOrigin};
use crate::text::{quote, quoted};

/// A column of a table schema.
pub(crate) struct Col {
    pub name: &'static str,
    pub required: bool,
    /// Whether the column holds numbers (which may use a decimal comma in a
    /// file that is not comma-separated).
    pub number: bool,
}

const fn req(name: &'static str) -> Col {
    Col { name, required: true, number: false }
}
const fn opt(name: &'static str) -> Col {
    Col { name, required: false, number: false }
}
const fn num(name: &'static str) -> Col {
    Col { name, required: true, number: true }
}

const PROGRAMMES: &[Col] = &[req("id"), req("name"), opt("rhythm")];
const SCHOOLS: &[Col] = &[req("id"), req("name"), num("lat"), num("lon"), opt("rhythm")];
const LEARNERS: &[Col] = &[
    req("id"),
    req("school"),
    req("programme"),
    num("lat"),
    num("lon"),
    num("max_commute_km"),
    num("readiness"),
    req("screening"),
    req("attributes"),
    req("preferences"),
    opt("priority_group"),
    opt("rhythm"),
];
const WORKPLACES: &[Col] = &[
    req("id"),
    req("company"),
    num("lat"),
    num("lon"),
    num("capacity"),
    num("min_readiness"),
    req("requires"),
    req("partner_schools"),
    req("preferences"),
];
const RECOGNITIONS: &[Col] = &[req("workplace"), req("programme"), num("seats")];
const MENTORS: &[Col] = &[req("id"), req("workplace"), opt("programmes"), num("max_learners"), opt("days")];
const CANDIDATES: &[Col] = &[req("learner"), req("workplace"), req("programme"), num("score")];
const OUTCOMES: &[Col] =
    &[req("season"), req("learner"), req("workplace"), req("programme"), req("school"), req("outcome"), opt("reason")];

/// The columns of each table, in the index order the parsers use.
pub(crate) fn schema(table: TableName) -> &'static [Col] {
    match table {
        TableName::Programmes => PROGRAMMES,
        TableName::Schools => SCHOOLS,
        TableName::Learners => LEARNERS,
        TableName::Workplaces => WORKPLACES,
        TableName::Recognitions => RECOGNITIONS,
        TableName::Candidates => CANDIDATES,
        TableName::Outcomes => OUTCOMES,
        TableName::Mentors => MENTORS,
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
        self.text_ref(cells, i).to_string()
    }

    /// [`Self::text`], borrowed from the cell.
    fn text_ref<'c>(&mut self, cells: &Cells<'c>, i: usize) -> &'c str {
        let v = self.raw(cells, i);
        if v.is_empty() {
            self.error(i, "is empty; a value is required".into());
        }
        v
    }

    /// An optional text (`None` when empty).
    fn opt_text(&mut self, cells: &Cells, i: usize) -> Option<String> {
        let v = self.raw(cells, i);
        (!v.is_empty()).then(|| v.to_string())
    }

    /// One of a fixed set of words, read by `parse`; anything else is an
    /// error "`cell` is not `what`" (`what` names the words to use), and
    /// `fallback` stands in for it.
    fn keyword<T>(&mut self, cells: &Cells, i: usize, parse: impl Fn(&str) -> Option<T>, what: &str, fallback: T) -> T {
        let v = self.raw(cells, i);
        parse(v).unwrap_or_else(|| {
            self.error(i, format!("{} is not {what}", quoted(v)));
            fallback
        })
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

    /// An optional rhythm or set of days (`None` when empty); a token that
    /// is not a day is an error naming it.
    fn rhythm(&mut self, cells: &Cells, i: usize) -> Option<String> {
        let v = self.raw(cells, i);
        if v.is_empty() {
            return None;
        }
        match crate::rhythm::Days::parse(v) {
            Ok(d) => Some(d.to_string()),
            Err(e) => {
                self.error(i, e);
                None
            }
        }
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
            let rec =
                ProgrammeRec { id: ctx.text(cells, 0), name: ctx.text(cells, 1), rhythm: ctx.rhythm(cells, 2), row };
            doc.programmes.push(rec);
        }
        TableName::Schools => {
            let rec = SchoolRec {
                id: ctx.text(cells, 0),
                name: ctx.text(cells, 1),
                lat: ctx.lat(cells, 2),
                lon: ctx.lon(cells, 3),
                rhythm: ctx.rhythm(cells, 4),
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
            let screening = ctx.keyword(
                cells,
                7,
                Screening::parse,
                "a screening outcome; use passed, pending or failed",
                Screening::Pending,
            );
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
                rhythm: ctx.rhythm(cells, 11),
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
        TableName::Mentors => {
            let rec = MentorRec {
                id: ctx.text(cells, 0),
                workplace: ctx.text(cells, 1),
                programmes: ctx.list(cells, 2),
                max_learners: ctx.whole(cells, 3, "max_learners").unwrap_or(0),
                days: ctx.rhythm(cells, 4),
                row,
            };
            doc.mentors.get_or_insert_with(Vec::new).push(rec);
        }
        TableName::Candidates => {
            let learner = ctx.text_ref(cells, 0);
            let workplace = ctx.text_ref(cells, 1);
            let programme = ctx.text_ref(cells, 2);
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
            doc.candidates.get_or_insert_with(CandidateTable::new).push(learner, workplace, programme, score, row);
        }
        TableName::Outcomes => {
            let season = ctx.text(cells, 0);
            // A past learner's id and the programme are free text and may be empty.
            let learner = ctx.opt_text(cells, 1).unwrap_or_default();
            let workplace = ctx.text(cells, 2);
            let programme = ctx.opt_text(cells, 3).unwrap_or_default();
            let school = ctx.text(cells, 4);
            let outcome = ctx.keyword(
                cells,
                5,
                Outcome::parse,
                "an outcome; use completed, ended_early or ongoing",
                Outcome::Ongoing,
            );
            let reason = ctx.opt_text(cells, 6);
            let rec = OutcomeRec { season, learner, workplace, programme, school, outcome, reason, row };
            doc.outcomes.get_or_insert_with(Vec::new).push(rec);
        }
    }
}

/// The id column of a table, for remembering rejected rows.
pub(super) fn id_col(table: TableName) -> Option<usize> {
    match table {
        TableName::Programmes
        | TableName::Schools
        | TableName::Learners
        | TableName::Workplaces
        | TableName::Mentors => Some(0),
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
    if let Err(Some(id)) = parse_row_cells(table, cells, origin, row, ok, doc, diags) {
        out.broken(table).insert(id);
    }
}

/// [`parse_cells`], giving back instead the id of a rejected row (`Err`;
/// `None` inside for a row without one) for the caller to remember.
pub(crate) fn parse_row_cells(
    table: TableName,
    cells: &Cells,
    origin: &TableOrigin,
    row: u64,
    ok: bool,
    doc: &mut SeasonDoc,
    diags: &mut Diagnostics,
) -> Result<(), Option<String>> {
    let mut ctx = RowCtx { origin, table, row, diags, ok };
    parse_row(table, cells, &mut ctx, doc);
    if ctx.ok {
        return Ok(());
    }
    Err(id_col(table).and_then(|c| cells.get(c).copied().flatten()).map(|id| id.trim().to_string()))
}

/// Moves the first `n` rows of `table` from `from` to the end of `doc`
/// (the rows one chunk of a file was parsed into).
pub(crate) fn append(table: TableName, doc: &mut SeasonDoc, from: &mut SeasonDoc, n: usize) {
    fn take<T>(to: &mut Vec<T>, from: &mut Vec<T>, n: usize) {
        to.extend(from.drain(..n.min(from.len())));
    }
    if n == 0 {
        return;
    }
    match table {
        TableName::Programmes => take(&mut doc.programmes, &mut from.programmes, n),
        TableName::Schools => take(&mut doc.schools, &mut from.schools, n),
        TableName::Learners => take(&mut doc.learners, &mut from.learners, n),
        TableName::Workplaces => take(&mut doc.workplaces, &mut from.workplaces, n),
        TableName::Recognitions => take(&mut doc.recognitions, &mut from.recognitions, n),
        TableName::Candidates => doc
            .candidates
            .get_or_insert_with(CandidateTable::new)
            .take_front(from.candidates.get_or_insert_with(CandidateTable::new), n),
        TableName::Outcomes => {
            take(doc.outcomes.get_or_insert_with(Vec::new), from.outcomes.get_or_insert_with(Vec::new), n)
        }
        TableName::Mentors => {
            take(doc.mentors.get_or_insert_with(Vec::new), from.mentors.get_or_insert_with(Vec::new), n)
        }
    }
}

/// Makes room in `doc` for `rows` more rows of `table` (a hint from the
/// file's size, so that reading a large table does not copy it while it grows).
pub(crate) fn reserve(table: TableName, doc: &mut SeasonDoc, rows: usize) {
    match table {
        TableName::Programmes => doc.programmes.reserve(rows),
        TableName::Schools => doc.schools.reserve(rows),
        TableName::Learners => doc.learners.reserve(rows),
        TableName::Workplaces => doc.workplaces.reserve(rows),
        TableName::Recognitions => doc.recognitions.reserve(rows),
        TableName::Candidates => doc.candidates.get_or_insert_with(CandidateTable::new).reserve(rows),
        TableName::Outcomes => doc.outcomes.get_or_insert_with(Vec::new).reserve(rows),
        TableName::Mentors => doc.mentors.get_or_insert_with(Vec::new).reserve(rows),
    }
}

pub(crate) fn header_names(table: TableName) -> String {
    schema(table).iter().filter(|c| c.required).map(|c| c.name).collect::<Vec<_>>().join(",")
}
