//! Outputs: the tables that results are made of ([`Table`]), and how they
//! reach the disk. Every file goes through a temporary file and a rename; a
//! result directory is built next to its destination and put in place only
//! when complete, carrying a marker that says dualmatch wrote it
//! ([`StagedDir`], [`OutFile`]). What `--force` may replace is decided in
//! `guard`; staging, the atomic exchange, leftovers of killed runs and
//! signals in `staged`. A failed run leaves nothing behind.

use std::io::{self, Write};

/// What a column holds: numbers become numeric cells in a workbook; in CSV
/// every cell is text either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Text, kept as it is.
    Text,
    /// A number written as text (an empty cell is a missing value).
    Number,
}

/// Receives the rows of a [`Table`] one at a time.
pub type RowSink<'s> = dyn FnMut(&[String]) -> io::Result<()> + 's;

/// Produces the rows of a [`Table`] into a sink.
type Rows<'a> = dyn Fn(&mut RowSink) -> io::Result<()> + Sync + 'a;

/// A table of results or of a season: a name (the CSV file stem and the
/// worksheet name), typed columns, and a producer of rows as text cells.
/// The rows are produced on demand, once for the CSV file and once for a
/// workbook, so that both serialise the same cells and nothing is held in
/// memory twice.
pub struct Table<'a> {
    /// The CSV file stem and the worksheet name.
    pub name: String,
    /// Column names and kinds, in file order.
    pub columns: Vec<(String, Kind)>,
    rows: Box<Rows<'a>>,
}

impl<'a> Table<'a> {
    /// A table whose rows `rows` passes, one by one, to the sink it is given.
    pub fn new<S: Into<String>>(
        name: impl Into<String>,
        columns: impl IntoIterator<Item = (S, Kind)>,
        rows: impl Fn(&mut RowSink) -> io::Result<()> + Sync + 'a,
    ) -> Self {
        let columns = columns.into_iter().map(|(n, k)| (n.into(), k)).collect();
        Self { name: name.into(), columns, rows: Box::new(rows) }
    }

    /// The CSV file name.
    pub fn file_name(&self) -> String {
        format!("{}.csv", self.name)
    }

    /// Passes every row to `sink`, stopping at its first error.
    pub fn for_each_row(&self, sink: &mut RowSink) -> io::Result<()> {
        (self.rows)(sink)
    }

    /// Writes the header and the rows as CSV, every cell through
    /// [`dualmatch_core::text::csv_cell`]: text a spreadsheet program would
    /// run as a formula gets a leading `'`, hidden characters show as
    /// `\u{XXXX}`, numbers stay as they are.
    pub fn write_csv(&self, w: &mut dyn Write) -> io::Result<()> {
        use dualmatch_core::text::csv_cell;
        let mut out = csv::Writer::from_writer(w);
        out.write_record(self.columns.iter().map(|(name, _)| name))?;
        self.for_each_row(&mut |row| {
            for cell in row {
                out.write_field(csv_cell(cell).as_bytes())?;
            }
            Ok(out.write_record(None::<&[u8]>)?)
        })?;
        out.flush()
    }
}

mod guard;
mod staged;

pub use staged::{remove_unfinished_on_signals, OutFile, StagedDir};
