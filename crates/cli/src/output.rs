//! Atomic outputs: every file goes through a temporary file and a rename, and
//! a result directory is built next to its destination and renamed into
//! place only when complete. A failed run leaves nothing behind.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::exit::usage;

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
type Rows<'a> = dyn Fn(&mut RowSink) -> io::Result<()> + 'a;

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
        rows: impl Fn(&mut RowSink) -> io::Result<()> + 'a,
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

/// Refuses to replace an existing path unless `force` is set.
pub fn check_overwrite(path: &Path, force: bool) -> anyhow::Result<()> {
    if path.exists() && !force {
        return Err(usage(format!(
            "{} already exists; choose another output or add --force to replace it",
            path.display()
        )));
    }
    Ok(())
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes one file atomically: `write` fills a temporary file in the same
/// directory, which is renamed over `path` only if `write` succeeds.
pub fn write_file_atomic(path: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> anyhow::Result<()> {
    let dir = parent_of(path);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(".dualmatch-")
        .tempfile_in(&dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    {
        let mut w = BufWriter::new(tmp.as_file());
        write(&mut w).with_context(|| format!("cannot write {}", path.display()))?;
        w.flush().with_context(|| format!("cannot write {}", path.display()))?;
    }
    tmp.as_file().sync_all().ok();
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot move the result into {}", path.display()))?;
    Ok(())
}

/// A result directory under construction: files are written into a hidden
/// staging directory beside the destination; [`StagedDir::commit`] renames it
/// into place. Dropping it without committing removes everything.
pub struct StagedDir {
    staging: Option<tempfile::TempDir>,
    dest: PathBuf,
    force: bool,
}

impl StagedDir {
    /// Starts a result directory at `dest` (refused if it exists and not `force`).
    pub fn new(dest: &Path, force: bool) -> anyhow::Result<Self> {
        check_overwrite(dest, force)?;
        if dest.exists() && !dest.is_dir() {
            return Err(usage(format!("{} exists and is not a directory", dest.display())));
        }
        let parent = parent_of(dest);
        fs::create_dir_all(&parent).with_context(|| format!("cannot create {}", parent.display()))?;
        let staging = tempfile::Builder::new()
            .prefix(".dualmatch-staging-")
            .tempdir_in(&parent)
            .with_context(|| format!("cannot create a staging directory in {}", parent.display()))?;
        Ok(Self { staging: Some(staging), dest: dest.to_path_buf(), force })
    }

    /// Path of `name` inside the staging directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.staging.as_ref().map(|s| s.path().join(name)).unwrap_or_default()
    }

    /// Writes the file `name` (possibly `sub/dir/name`) in the staging directory.
    pub fn write(&self, name: &str, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> anyhow::Result<()> {
        let path = self.path(name);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let f = fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut w = BufWriter::new(f);
        write(&mut w).with_context(|| format!("cannot write {name}"))?;
        w.flush().with_context(|| format!("cannot write {name}"))?;
        Ok(())
    }

    /// Writes `value` as pretty-printed JSON, ending with a newline.
    pub fn write_json(&self, name: &str, value: &serde_json::Value) -> anyhow::Result<()> {
        self.write(name, |w| {
            serde_json::to_writer_pretty(&mut *w, value)?;
            writeln!(w)
        })
    }

    /// Where the file `name` will be once the directory is committed (for messages).
    pub fn final_path(&self, name: &str) -> PathBuf {
        self.dest.join(name)
    }

    /// Writes `bytes` as the file `name`.
    pub fn write_bytes(&self, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
        self.write(name, |w| w.write_all(bytes))
    }

    /// Moves the finished directory into place, replacing an old one when
    /// `--force` was given (the old one is removed only after the new one is
    /// complete).
    pub fn commit(mut self) -> anyhow::Result<PathBuf> {
        let staging = self.staging.take().expect("committed twice");
        let staged = staging.keep();
        if self.dest.exists() {
            debug_assert!(self.force);
            let old = parent_of(&self.dest).join(format!(".dualmatch-old-{}", std::process::id()));
            fs::rename(&self.dest, &old).with_context(|| format!("cannot replace {}", self.dest.display()))?;
            if let Err(e) = fs::rename(&staged, &self.dest) {
                let _ = fs::rename(&old, &self.dest);
                let _ = fs::remove_dir_all(&staged);
                return Err(e).with_context(|| format!("cannot move the result into {}", self.dest.display()));
            }
            let _ = fs::remove_dir_all(&old);
        } else if let Err(e) = fs::rename(&staged, &self.dest) {
            let _ = fs::remove_dir_all(&staged);
            return Err(e).with_context(|| format!("cannot move the result into {}", self.dest.display()));
        }
        Ok(self.dest.clone())
    }
}
