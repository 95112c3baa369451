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

/// Passes to `sink`, in order, the rows that `render` makes of items `0..n`
/// (none, one or several rows each), rendering them on every core a batch
/// of items at a time: for tables whose rows take real work to write (the
/// recruitment advice's chains of moves, a national season's placements).
/// At most one batch of `batch` items' rows is held: choose it so that a
/// batch has a few thousand rows.
pub fn sink_rendered<R>(
    n: usize,
    batch: usize,
    sink: &mut RowSink,
    render: impl Fn(usize) -> R + Sync,
) -> io::Result<()>
where
    R: IntoIterator<Item = Vec<String>>,
{
    use rayon::prelude::*;
    let batch = batch.max(1);
    for start in (0..n).step_by(batch) {
        // Collected here, so that a lazy iterator of rows is rendered in
        // parallel too.
        let rows: Vec<Vec<Vec<String>>> =
            (start..n.min(start + batch)).into_par_iter().map(|i| render(i).into_iter().collect()).collect();
        for row in rows.into_iter().flatten() {
            sink(&row)?;
        }
    }
    Ok(())
}

mod guard;
mod staged;

pub use staged::{remove_unfinished_on_signals, OutFile, StagedDir};

#[cfg(test)]
mod tests {
    use super::*;

    /// Item `i` makes `i % 3` rows, `i.j`.
    fn rows_of(i: usize) -> Vec<Vec<String>> {
        (0..i % 3).map(|j| vec![format!("{i}.{j}")]).collect()
    }

    #[test]
    fn rendered_rows_come_in_item_order_whatever_the_batch() {
        let want: Vec<Vec<String>> = (0..50).flat_map(rows_of).collect();
        for batch in [0, 1, 2, 7, 49, 50, 1000] {
            let mut got = Vec::new();
            let mut keep = |r: &[String]| {
                got.push(r.to_vec());
                Ok(())
            };
            sink_rendered(50, batch, &mut keep, rows_of).unwrap();
            assert_eq!(got, want, "batch {batch}");
        }
    }

    #[test]
    fn the_first_failing_row_stops_the_rendering() {
        let mut seen = 0;
        let err = sink_rendered(
            50,
            4,
            &mut |r| {
                seen += 1;
                if r[0] == "5.1" {
                    return Err(io::Error::other("disk full"));
                }
                Ok(())
            },
            rows_of,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        // 1.0, 2.0, 2.1, 4.0, 5.0, 5.1
        assert_eq!(seen, 6);
    }
}
