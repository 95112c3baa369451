//! Atomic outputs: every file goes through a temporary file and a rename, and
//! a result directory is built next to its destination and renamed into
//! place only when complete. A failed run leaves nothing behind.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::exit::usage;

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
