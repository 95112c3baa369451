//! The season document: plain records with string references, exactly as they
//! appear in the input files. [`super::Season`] is the validated, interned form.
//!
//! The same document reads from and writes to a directory of CSV files and one
//! JSON file, so that `dualmatch generate` can write either.

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

/// The outcome of intake screening.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Screening {
    /// Work-ready and work-willing: may be placed.
    Passed,
    /// Screening not finished: never placed, reported as such.
    Pending,
    /// Not yet ready: goes to a preparatory phase, never placed.
    Failed,
}

impl Screening {
    /// The value as written in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Screening::Passed => "passed",
            Screening::Pending => "pending",
            Screening::Failed => "failed",
        }
    }

    /// Parses `passed`, `pending` or `failed` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "passed" => Some(Screening::Passed),
            "pending" => Some(Screening::Pending),
            "failed" => Some(Screening::Failed),
            _ => None,
        }
    }
}

/// How an agreement of a past season ended, in `outcomes.csv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The learner completed the placement.
    Completed,
    /// The agreement ended before its term.
    EndedEarly,
    /// Still running when the file was written: counts for the years of
    /// partnership, not for the completion rate.
    Ongoing,
}

impl Outcome {
    /// The value as written in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::EndedEarly => "ended_early",
            Outcome::Ongoing => "ongoing",
        }
    }

    /// Parses `completed`, `ended_early` or `ongoing` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "completed" => Some(Outcome::Completed),
            "ended_early" => Some(Outcome::EndedEarly),
            "ongoing" => Some(Outcome::Ongoing),
            _ => None,
        }
    }
}

/// A row of the optional `outcomes.csv`: how one agreement of a past (or
/// the current) season ended.
///
/// `school` must name a school of the season and `workplace` is looked up
/// among its sites (a site that is gone is normal: it only warns); `season`,
/// `learner`, `programme` and `reason` are free text, since past learners
/// are not in this season's `learners.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutcomeRec {
    /// The season the agreement belonged to, such as `2024-2025`.
    pub season: String,
    /// The learner's id in that season (free text; may be empty).
    #[serde(default)]
    pub learner: String,
    /// The workplace site id.
    pub workplace: String,
    /// The programme id (free text; may be empty).
    #[serde(default)]
    pub programme: String,
    /// The school id.
    pub school: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Why, free text such as `learner_not_ready` or `company_closed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Where the row came from; not serialised.
    #[serde(skip)]
    pub row: u64,
}

/// A row of `programmes.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgrammeRec {
    /// Unique id, such as `P01`.
    pub id: String,
    /// Display name, such as `Kok`.
    pub name: String,
    /// Optional rhythm: the days at the workplace (see [`crate::rhythm`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rhythm: Option<String>,
    /// Where the row came from (line or record index); not serialised.
    #[serde(skip)]
    pub row: u64,
}

/// A row of `schools.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchoolRec {
    /// Unique id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
    /// Optional rhythm: the days at the workplace (see [`crate::rhythm`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rhythm: Option<String>,
    /// Where the row came from; not serialised.
    #[serde(skip)]
    pub row: u64,
}

/// A row of `learners.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LearnerRec {
    /// Unique id.
    pub id: String,
    /// The learner's school id.
    pub school: String,
    /// The learner's programme id.
    pub programme: String,
    /// Home latitude.
    pub lat: f64,
    /// Home longitude.
    pub lon: f64,
    /// The longest acceptable commute, great-circle kilometres.
    pub max_commute_km: f64,
    /// Work-readiness from intake, 1 (not yet ready) to 4.
    pub readiness: u8,
    /// Intake screening outcome.
    pub screening: Screening,
    /// Tags the learner holds, such as `licence_b`.
    #[serde(default)]
    pub attributes: Vec<String>,
    /// Workplace ids the learner ranks, best first.
    #[serde(default)]
    pub preferences: Vec<String>,
    /// Optional priority group, such as `extra_support`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_group: Option<String>,
    /// Optional rhythm: the days at the workplace (see [`crate::rhythm`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rhythm: Option<String>,
    /// Where the row came from; not serialised.
    #[serde(skip)]
    pub row: u64,
}

/// A row of `workplaces.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkplaceRec {
    /// Unique id of the site.
    pub id: String,
    /// The company that runs the site.
    pub company: String,
    /// Site latitude.
    pub lat: f64,
    /// Site longitude.
    pub lon: f64,
    /// Learners the site can host across all programmes; `None`: only seats bind.
    pub capacity: Option<u32>,
    /// The lowest readiness the site accepts (1 to 4).
    pub min_readiness: u8,
    /// Tags a learner must hold.
    #[serde(default)]
    pub requires: Vec<String>,
    /// Schools with an existing partnership.
    #[serde(default)]
    pub partner_schools: Vec<String>,
    /// Learner ids the site ranks, best first.
    #[serde(default)]
    pub preferences: Vec<String>,
    /// Where the row came from; not serialised.
    #[serde(skip)]
    pub row: u64,
}

/// A row of `recognitions.csv`: a site recognised for a programme.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecognitionRec {
    /// The workplace id.
    pub workplace: String,
    /// The programme id.
    pub programme: String,
    /// Seats for this programme at this site.
    pub seats: u32,
    /// Where the row came from; not serialised.
    #[serde(skip)]
    pub row: u64,
}

/// A row of the optional `mentors.csv`: a mentor at a site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MentorRec {
    /// Unique id of the mentor.
    pub id: String,
    /// The workplace id.
    pub workplace: String,
    /// Programme ids the mentor is recognised for; empty: all the site's.
    #[serde(default)]
    pub programmes: Vec<String>,
    /// Learners the mentor guides at the same time.
    pub max_learners: u32,
    /// Days present (rhythm tokens); `None`: every day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<String>,
    /// Where the row came from; not serialised.
    #[serde(skip)]
    pub row: u64,
}

/// A row of the optional `candidates.csv`: a pair with a score the user brings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandidateRec {
    /// The learner id.
    pub learner: String,
    /// The workplace id.
    pub workplace: String,
    /// The programme id.
    pub programme: String,
    /// The fit score, finite and at least 0.
    pub score: f64,
    /// Where the row came from; not serialised.
    #[serde(skip)]
    pub row: u64,
}

/// The rows of `candidates.csv`. A season may bring millions of pairs that
/// name a few thousand ids, so each distinct id text is stored once and a
/// row holds its index: reading a large file allocates nothing per cell, and
/// building the season resolves each distinct id once. It reads and writes
/// (CSV, JSON) exactly as a list of [`CandidateRec`].
#[derive(Clone, Default)]
pub struct CandidateTable {
    /// The distinct id texts, one after another, in order of first use.
    text: String,
    /// Where each id text ends in `text`.
    ends: Vec<usize>,
    /// Each id text's hash ([`id_hash`]).
    hashes: Vec<u64>,
    /// The id texts' indices, by hash.
    index: hashbrown::HashTable<u32>,
    /// The rows, in file order.
    rows: Vec<CandidateRow>,
    /// The rows whose line is [`FAR`] or more: (index in `rows`, line), by index.
    far: Vec<(usize, u64)>,
}

/// One row of a [`CandidateTable`]: indices of its id texts (24 bytes).
#[derive(Clone, Copy, Debug)]
pub(crate) struct CandidateRow {
    /// The learner, workplace and programme ids.
    pub ids: [u32; 3],
    /// Where the row came from (its line), or [`FAR`]: then the line is in
    /// [`CandidateTable::far`]. Read it with [`CandidateTable::lines`].
    line: u32,
    /// The fit score.
    pub score: f64,
}

const _: () = assert!(std::mem::size_of::<CandidateRow>() == 24);

/// A [`CandidateRow::line`] that stands for a line of 2^32 - 1 or more
/// (a file of over 4 billion lines), kept aside.
const FAR: u32 = u32::MAX;

/// The hash of an id text in a [`CandidateTable`]: foldhash, seeded once per
/// process (the same in every table, so that a table merged into another
/// keeps its hashes; no input can be crafted to collide).
fn id_hash(name: &str) -> u64 {
    use std::hash::BuildHasher;
    static STATE: std::sync::OnceLock<foldhash::fast::RandomState> = std::sync::OnceLock::new();
    STATE.get_or_init(Default::default).hash_one(name)
}

impl CandidateTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty table with room for `rows` rows and as many distinct ids.
    pub fn with_capacity(rows: usize) -> Self {
        CandidateTable {
            text: String::with_capacity(rows * 8),
            ends: Vec::with_capacity(rows),
            hashes: Vec::with_capacity(rows),
            index: hashbrown::HashTable::with_capacity(rows),
            rows: Vec::with_capacity(rows),
            far: Vec::new(),
        }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Appends a row.
    pub fn push(&mut self, learner: &str, workplace: &str, programme: &str, score: f64, row: u64) {
        let last = self.rows.last().map(|r| r.ids);
        let mut ids = [0; 3];
        for (col, name) in [learner, workplace, programme].into_iter().enumerate() {
            // Files list a learner's pairs together and name few programmes:
            // most cells repeat the row before's, which needs no hashing.
            ids[col] = match last {
                Some(last) if same(bytes_at(&self.text, &self.ends, last[col]), name.as_bytes()) => last[col],
                _ => self.intern(name, id_hash(name)),
            };
        }
        self.push_row(ids, score, row);
    }

    /// Appends a row of interned ids.
    fn push_row(&mut self, ids: [u32; 3], score: f64, row: u64) {
        let line = match u32::try_from(row) {
            Ok(line) if line != FAR => line,
            _ => {
                self.far.push((self.rows.len(), row));
                FAR
            }
        };
        self.rows.push(CandidateRow { ids, line, score });
    }

    /// The line of row `i`.
    fn line_of(&self, i: usize, r: &CandidateRow) -> u64 {
        if r.line != FAR {
            return u64::from(r.line);
        }
        self.far.binary_search_by_key(&i, |f| f.0).map_or(u64::from(FAR), |k| self.far[k].1)
    }

    /// Row `i` as a record.
    pub fn get(&self, i: usize) -> Option<CandidateRec> {
        self.rows.get(i).map(|r| self.record(i, r))
    }

    /// The rows as records, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = CandidateRec> + '_ {
        self.rows.iter().enumerate().map(|(i, r)| self.record(i, r))
    }

    /// Replaces every id text (in any column) by `f` of it, for example to
    /// rename a workplace everywhere it appears.
    pub fn map_ids(&mut self, mut f: impl FnMut(&str) -> String) {
        let (rows, far) = (std::mem::take(&mut self.rows), std::mem::take(&mut self.far));
        let old = std::mem::replace(self, CandidateTable { rows, far, ..Default::default() });
        let remap: Vec<u32> = (0..old.names()).map(|i| f(old.name(i))).map(|n| self.intern(&n, id_hash(&n))).collect();
        for r in &mut self.rows {
            r.ids = r.ids.map(|i| remap[i as usize]);
        }
    }

    /// Makes room for `rows` more rows.
    pub fn reserve(&mut self, rows: usize) {
        self.rows.reserve(rows);
    }

    /// The rows, with indices into [`Self::name`], each with its line.
    pub(crate) fn lines(&self) -> impl Iterator<Item = (&CandidateRow, u64)> + '_ {
        self.rows.iter().enumerate().map(|(i, r)| (r, self.line_of(i, r)))
    }

    /// The rows, with indices into [`Self::name`] (their lines: [`Self::lines`]).
    pub(crate) fn rows(&self) -> &[CandidateRow] {
        &self.rows
    }

    /// The line of row `i`.
    pub(crate) fn line(&self, i: usize) -> u64 {
        self.line_of(i, &self.rows[i])
    }

    /// The number of distinct id texts.
    pub(crate) fn names(&self) -> u32 {
        self.ends.len() as u32
    }

    /// The id text of index `i`.
    pub(crate) fn name(&self, i: u32) -> &str {
        text_at(&self.text, &self.ends, i)
    }

    /// Moves the first `n` rows of `from` to the end of this table.
    pub(crate) fn take_front(&mut self, from: &mut CandidateTable, n: usize) {
        const UNSEEN: u32 = u32::MAX;
        let mut remap = vec![UNSEEN; from.ends.len()];
        let n = n.min(from.rows.len());
        self.rows.reserve(n);
        for (j, r) in from.rows[..n].iter().enumerate() {
            let ids = r.ids.map(|i| {
                let to = &mut remap[i as usize];
                if *to == UNSEEN {
                    *to = self.intern(from.name(i), from.hashes[i as usize]);
                }
                *to
            });
            self.push_row(ids, r.score, from.line_of(j, r));
        }
        from.rows.drain(..n);
        from.far.retain(|f| f.0 >= n);
        from.far.iter_mut().for_each(|f| f.0 -= n);
    }

    /// The index of `name` (whose [`id_hash`] is `hash`), added if new.
    fn intern(&mut self, name: &str, hash: u64) -> u32 {
        let Self { text, ends, hashes, index, .. } = self;
        if let Some(&i) = index.find(hash, |&i| same(bytes_at(text, ends, i), name.as_bytes())) {
            return i;
        }
        let i = u32::try_from(ends.len()).expect("fewer than 2^32 distinct ids");
        index.insert_unique(hash, i, |&j| hashes[j as usize]);
        text.push_str(name);
        ends.push(text.len());
        hashes.push(hash);
        i
    }

    fn record(&self, i: usize, r: &CandidateRow) -> CandidateRec {
        let [l, w, p] = r.ids.map(|i| self.name(i).to_string());
        CandidateRec { learner: l, workplace: w, programme: p, score: r.score, row: self.line_of(i, r) }
    }
}

/// Where id text `i` of the texts stored one after another, ending at
/// `ends`, lies.
#[inline]
fn span(ends: &[usize], i: u32) -> std::ops::Range<usize> {
    let i = i as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    start..ends[i]
}

/// The bytes of id text `i` of [`text_at`] (without the checks that a
/// `str` slice makes).
#[inline]
fn bytes_at<'t>(text: &'t str, ends: &[usize], i: u32) -> &'t [u8] {
    &text.as_bytes()[span(ends, i)]
}

/// Whether two short byte strings (ids, mostly under 16 bytes) are equal:
/// compared in place, without a call to `memcmp`.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| s.get(at..at + 8).map(|w| u64::from_ne_bytes(w.try_into().unwrap_or([0; 8])));
    match a.len() {
        0..8 => a.iter().zip(b).all(|(x, y)| x == y),
        n @ 8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// Id text `i` of the texts stored one after another in `text`, ending at `ends`.
fn text_at<'t>(text: &'t str, ends: &[usize], i: u32) -> &'t str {
    &text[span(ends, i)]
}

impl std::fmt::Debug for CandidateTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for CandidateTable {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl FromIterator<CandidateRec> for CandidateTable {
    fn from_iter<T: IntoIterator<Item = CandidateRec>>(iter: T) -> Self {
        let mut t = CandidateTable::new();
        t.extend(iter);
        t
    }
}

impl Extend<CandidateRec> for CandidateTable {
    fn extend<T: IntoIterator<Item = CandidateRec>>(&mut self, iter: T) {
        for c in iter {
            self.push(&c.learner, &c.workplace, &c.programme, c.score, c.row);
        }
    }
}

impl<'a> IntoIterator for &'a CandidateTable {
    type Item = CandidateRec;
    type IntoIter = Box<dyn ExactSizeIterator<Item = CandidateRec> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl From<Vec<CandidateRec>> for CandidateTable {
    fn from(v: Vec<CandidateRec>) -> Self {
        v.into_iter().collect()
    }
}

impl Serialize for CandidateTable {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for CandidateTable {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<CandidateRec>::deserialize(d).map(CandidateTable::from)
    }
}

/// A whole season as plain records.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SeasonDoc {
    /// `programmes.csv`.
    pub programmes: Vec<ProgrammeRec>,
    /// `schools.csv`.
    pub schools: Vec<SchoolRec>,
    /// `learners.csv`.
    pub learners: Vec<LearnerRec>,
    /// `workplaces.csv`.
    pub workplaces: Vec<WorkplaceRec>,
    /// `recognitions.csv`.
    pub recognitions: Vec<RecognitionRec>,
    /// The optional `candidates.csv`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidates: Option<CandidateTable>,
    /// The optional `outcomes.csv`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcomes: Option<Vec<OutcomeRec>>,
    /// The optional `mentors.csv`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentors: Option<Vec<MentorRec>>,
}

/// One table of a season, named as its CSV file stem and JSON key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TableName {
    /// `programmes`
    Programmes,
    /// `schools`
    Schools,
    /// `learners`
    Learners,
    /// `workplaces`
    Workplaces,
    /// `recognitions`
    Recognitions,
    /// `candidates` (optional)
    Candidates,
    /// `outcomes` (optional): how agreements of past seasons ended.
    Outcomes,
    /// `mentors` (optional)
    Mentors,
}

impl TableName {
    /// Whether column `name` of this table holds numbers (numeric cells in
    /// a workbook; a decimal comma is accepted where the separator is not a
    /// comma).
    pub fn is_number_column(self, name: &str) -> bool {
        super::read::schema(self).iter().any(|c| c.number && c.name == name)
    }
    /// Every table, in load order.
    pub const ALL: [TableName; 8] = [
        TableName::Programmes,
        TableName::Schools,
        TableName::Learners,
        TableName::Workplaces,
        TableName::Recognitions,
        TableName::Candidates,
        TableName::Outcomes,
        TableName::Mentors,
    ];

    /// The JSON key and CSV file stem.
    pub fn as_str(self) -> &'static str {
        match self {
            TableName::Programmes => "programmes",
            TableName::Schools => "schools",
            TableName::Learners => "learners",
            TableName::Workplaces => "workplaces",
            TableName::Recognitions => "recognitions",
            TableName::Candidates => "candidates",
            TableName::Outcomes => "outcomes",
            TableName::Mentors => "mentors",
        }
    }

    /// The CSV file name.
    pub fn file_name(self) -> String {
        format!("{}.csv", self.as_str())
    }

    /// Whether a season may leave the table out.
    pub fn optional(self) -> bool {
        matches!(self, TableName::Candidates | TableName::Outcomes | TableName::Mentors)
    }
}

/// The header of `outcomes.csv`.
pub const OUTCOME_COLUMNS: [&str; 7] = ["season", "learner", "workplace", "programme", "school", "outcome", "reason"];

/// Writes outcome rows with the `outcomes.csv` header. Every cell goes
/// through [`crate::text::csv_cell`], so that no id runs as a formula.
pub fn write_outcomes<'a, W: Write>(
    w: &mut csv::Writer<W>,
    rows: impl IntoIterator<Item = &'a OutcomeRec>,
) -> csv::Result<()> {
    w.write_record(OUTCOME_COLUMNS)?;
    for o in rows {
        let cells = [
            o.season.as_str(),
            &o.learner,
            &o.workplace,
            &o.programme,
            &o.school,
            o.outcome.as_str(),
            o.reason.as_deref().unwrap_or(""),
        ];
        w.write_record(cells.map(|c| crate::text::csv_cell(c).into_owned()))?;
    }
    Ok(())
}

fn list(items: &[String]) -> String {
    items.join(";")
}

/// The header with a `rhythm` column when the table has rhythms.
fn with_rhythm(mut header: Vec<&'static str>, rhythms: bool) -> Vec<&'static str> {
    if rhythms {
        header.push("rhythm");
    }
    header
}

/// The record with its rhythm cell when the table has rhythms.
fn rhythm_cell(mut rec: Vec<String>, rhythms: bool, rhythm: &Option<String>) -> Vec<String> {
    if rhythms {
        rec.push(rhythm.clone().unwrap_or_default());
    }
    rec
}

/// Formats a coordinate with 6 decimals (about 0.1 m), for stable output.
fn coord(x: f64) -> String {
    format!("{x:.6}")
}

impl SeasonDoc {
    /// The tables this document has (candidates only when present).
    pub fn tables(&self) -> Vec<TableName> {
        TableName::ALL
            .into_iter()
            .filter(|t| match t {
                TableName::Candidates => self.candidates.is_some(),
                TableName::Outcomes => self.outcomes.is_some(),
                TableName::Mentors => self.mentors.is_some(),
                _ => true,
            })
            .collect()
    }

    /// Writes one table as CSV with a header row. Lists are `;`-separated.
    pub fn write_csv_table<W: Write>(&self, table: TableName, out: W) -> io::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        let map = |e: csv::Error| io::Error::other(e);
        match table {
            TableName::Programmes => {
                let rhythms = self.programmes.iter().any(|p| p.rhythm.is_some());
                w.write_record(with_rhythm(vec!["id", "name"], rhythms)).map_err(map)?;
                for p in &self.programmes {
                    let rec = vec![p.id.clone(), p.name.clone()];
                    w.write_record(rhythm_cell(rec, rhythms, &p.rhythm)).map_err(map)?;
                }
            }
            TableName::Schools => {
                let rhythms = self.schools.iter().any(|s| s.rhythm.is_some());
                w.write_record(with_rhythm(vec!["id", "name", "lat", "lon"], rhythms)).map_err(map)?;
                for s in &self.schools {
                    let rec = vec![s.id.clone(), s.name.clone(), coord(s.lat), coord(s.lon)];
                    w.write_record(rhythm_cell(rec, rhythms, &s.rhythm)).map_err(map)?;
                }
            }
            TableName::Learners => {
                let with_group = self.learners.iter().any(|l| l.priority_group.is_some());
                let mut header = vec![
                    "id",
                    "school",
                    "programme",
                    "lat",
                    "lon",
                    "max_commute_km",
                    "readiness",
                    "screening",
                    "attributes",
                    "preferences",
                ];
                if with_group {
                    header.push("priority_group");
                }
                let rhythms = self.learners.iter().any(|l| l.rhythm.is_some());
                let header = with_rhythm(header, rhythms);
                w.write_record(&header).map_err(map)?;
                for l in &self.learners {
                    let mut rec = vec![
                        l.id.clone(),
                        l.school.clone(),
                        l.programme.clone(),
                        coord(l.lat),
                        coord(l.lon),
                        format!("{}", l.max_commute_km),
                        l.readiness.to_string(),
                        l.screening.as_str().to_string(),
                        list(&l.attributes),
                        list(&l.preferences),
                    ];
                    if with_group {
                        rec.push(l.priority_group.clone().unwrap_or_default());
                    }
                    w.write_record(rhythm_cell(rec, rhythms, &l.rhythm)).map_err(map)?;
                }
            }
            TableName::Workplaces => {
                w.write_record([
                    "id",
                    "company",
                    "lat",
                    "lon",
                    "capacity",
                    "min_readiness",
                    "requires",
                    "partner_schools",
                    "preferences",
                ])
                .map_err(map)?;
                for p in &self.workplaces {
                    w.write_record([
                        p.id.clone(),
                        p.company.clone(),
                        coord(p.lat),
                        coord(p.lon),
                        p.capacity.map(|c| c.to_string()).unwrap_or_default(),
                        p.min_readiness.to_string(),
                        list(&p.requires),
                        list(&p.partner_schools),
                        list(&p.preferences),
                    ])
                    .map_err(map)?;
                }
            }
            TableName::Recognitions => {
                w.write_record(["workplace", "programme", "seats"]).map_err(map)?;
                for r in &self.recognitions {
                    w.write_record([r.workplace.clone(), r.programme.clone(), r.seats.to_string()]).map_err(map)?;
                }
            }
            TableName::Mentors => {
                w.write_record(["id", "workplace", "programmes", "max_learners", "days"]).map_err(map)?;
                for m in self.mentors.iter().flatten() {
                    w.write_record([
                        m.id.clone(),
                        m.workplace.clone(),
                        list(&m.programmes),
                        m.max_learners.to_string(),
                        m.days.clone().unwrap_or_default(),
                    ])
                    .map_err(map)?;
                }
            }
            TableName::Candidates => {
                w.write_record(["learner", "workplace", "programme", "score"]).map_err(map)?;
                for c in self.candidates.iter().flatten() {
                    w.write_record([
                        c.learner.clone(),
                        c.workplace.clone(),
                        c.programme.clone(),
                        format!("{}", c.score),
                    ])
                    .map_err(map)?;
                }
            }
            TableName::Outcomes => write_outcomes(&mut w, self.outcomes.iter().flatten()).map_err(map)?,
        }
        w.flush()
    }

    /// Writes the whole document as one JSON file (pretty-printed, stable order).
    pub fn write_json<W: Write>(&self, out: W) -> io::Result<()> {
        let mut out = io::BufWriter::new(out);
        serde_json::to_writer_pretty(&mut out, self).map_err(io::Error::other)?;
        out.write_all(b"\n")?;
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rec((l, w, p, score, row): (u8, u8, u8, u8, u64)) -> CandidateRec {
        // Few distinct texts, shared between the columns, so that rows
        // repeat ids within and across columns.
        CandidateRec {
            learner: format!("L{}", l % 6),
            workplace: format!("W{}", w % 5),
            programme: if p % 3 == 0 { format!("L{}", p % 6) } else { format!("P{}", p % 2) },
            score: f64::from(score),
            row,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// A table filled in parts (as the chunked reader fills it: each
        /// chunk into its own table, then its first rows moved over) holds
        /// the same records as a plain list, and writes them the same way.
        #[test]
        fn a_table_is_its_list_of_records(
            rows in proptest::collection::vec((0u8..20, 0u8..20, 0u8..20, 0u8..100, prop_oneof![
                // Lines as in any file, and lines past 2^32 - 2 (kept aside).
                4 => 0u64..1000,
                1 => (u64::from(u32::MAX) - 2)..(u64::from(u32::MAX) + 3),
                1 => any::<u64>(),
            ]), 0..60),
            cuts in proptest::collection::vec((1usize..12, 0usize..12), 0..8),
        ) {
            let list: Vec<CandidateRec> = rows.iter().copied().map(rec).collect();
            let mut table = CandidateTable::new();
            let mut expected = Vec::new();
            let mut at = 0usize;
            for (len, taken) in cuts.iter().copied().chain(std::iter::once((usize::MAX, usize::MAX))) {
                let part_rows = &list[at..(at.saturating_add(len)).min(list.len())];
                let mut part: CandidateTable = part_rows.iter().cloned().collect();
                let taken = taken.min(part_rows.len());
                table.take_front(&mut part, taken);
                expected.extend(part_rows[..taken].iter().cloned());
                prop_assert_eq!(part.iter().collect::<Vec<_>>(), part_rows[taken..].to_vec());
                at += part_rows.len();
                if at == list.len() {
                    break;
                }
            }
            prop_assert_eq!(table.len(), expected.len());
            prop_assert_eq!(table.iter().collect::<Vec<_>>(), expected.clone());
            for (i, r) in expected.iter().enumerate() {
                prop_assert_eq!(table.get(i), Some(r.clone()));
            }
            // Each distinct text is stored once.
            let mut texts: Vec<&str> = (0..table.names()).map(|i| table.name(i)).collect();
            let n = texts.len();
            texts.sort();
            texts.dedup();
            prop_assert_eq!(texts.len(), n);
            // JSON as a list of records, both ways.
            let json = serde_json::to_string(&table).unwrap();
            prop_assert_eq!(&json, &serde_json::to_string(&expected).unwrap());
            let back: CandidateTable = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back.iter().map(|mut c| { c.row = 0; c }).collect::<Vec<_>>(),
                expected.iter().cloned().map(|mut c| { c.row = 0; c }).collect::<Vec<_>>());
            // Renaming ids, also onto each other.
            let rename = |s: &str| if s.starts_with('W') { "L1".to_string() } else { format!("{s}x") };
            let mut renamed = table.clone();
            renamed.map_ids(rename);
            let want: Vec<CandidateRec> = expected
                .iter()
                .map(|c| CandidateRec {
                    learner: rename(&c.learner),
                    workplace: rename(&c.workplace),
                    programme: rename(&c.programme),
                    ..c.clone()
                })
                .collect();
            prop_assert_eq!(renamed.iter().collect::<Vec<_>>(), want.clone());
            renamed.push("L1", "W9", "P0", 1.0, 7);
            prop_assert_eq!(renamed.get(want.len()).map(|c| c.learner), Some("L1".to_string()));
        }
    }
}
