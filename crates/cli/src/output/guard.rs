//! What an output may replace. Checked before any work and again just before
//! the result is put in place:
//!
//! - nothing is replaced without `--force`;
//! - never an input of the run, a directory that contains one, anything
//!   inside an input directory (a season's own files), the current
//!   directory or one of its parents, the home directory or one of its
//!   parents, nor a symbolic link (paths are compared after resolving links,
//!   `.` and `..`, and by device and inode where the platform has them);
//! - a directory only when it carries the marker of a dualmatch result
//!   ([`RESULT_MARKER`]) and holds nothing that the marker does not list (or
//!   when it is empty);
//! - a single file only when it is a regular file.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use anyhow::Context;
use dualmatch_core::text;

use crate::exit::usage;

/// The file in every result directory that says dualmatch wrote it: JSON
/// naming the tool, its version, the command and every entry written, with
/// no time or process id, so that results stay byte-identical across runs.
pub const RESULT_MARKER: &str = ".dualmatch-result";

/// The start of the name of every temporary entry dualmatch makes; an output
/// may not be named so.
pub const TEMP_PREFIX: &str = ".dualmatch-";

/// A marker larger than this is not one dualmatch wrote.
const MAX_MARKER_BYTES: u64 = 64 << 20;

/// How many names a message lists before "and N more".
const LISTED: usize = 5;

/// What `--out` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A result directory.
    Dir,
    /// One file.
    File,
}

/// Checks that writing `dest` may go ahead; returns the path to write to
/// (the canonical path when `dest` exists, so that `.` and `..` are
/// resolved), or a usage error saying what is in the way.
pub fn check(dest: &Path, force: bool, inputs: &[&Path], shape: Shape) -> anyhow::Result<PathBuf> {
    if let Some(name) = dest.file_name().and_then(|n| n.to_str()) {
        if name.starts_with(TEMP_PREFIX) {
            return Err(usage(format!(
                "--out {}: names starting with {TEMP_PREFIX} are dualmatch's temporary files; choose another name",
                dest.display()
            )));
        }
    }
    let meta = match fs::symlink_metadata(dest) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(dest.to_path_buf()),
        Err(e) => return Err(e).with_context(|| format!("cannot use --out {}", dest.display())),
    };
    if meta.file_type().is_symlink() {
        let to = fs::read_link(dest).map(|t| format!(" (to {})", t.display())).unwrap_or_default();
        return Err(usage(format!(
            "{} is a symbolic link{to}; dualmatch does not replace links: give the real path, or another --out",
            dest.display()
        )));
    }
    let target = fs::canonicalize(dest).with_context(|| format!("cannot use --out {}", dest.display()))?;
    protected(dest, &target, inputs)?;
    match shape {
        Shape::File if meta.is_dir() => {
            return Err(usage(format!("{} is a directory; --out names the file to write", dest.display())))
        }
        Shape::File if !meta.is_file() => {
            return Err(usage(format!(
                "{} is not a regular file (a device, pipe or socket); dualmatch replaces only regular files: choose another --out",
                dest.display()
            )))
        }
        Shape::File => {}
        Shape::Dir if !meta.is_dir() => {
            return Err(usage(format!(
                "{} exists and is not a directory; dualmatch writes a result directory there: choose another --out",
                dest.display()
            )))
        }
        Shape::Dir => foreign_entries(dest, &target)?,
    }
    if !force {
        return Err(usage(format!(
            "{} already exists; choose another output or add --force to replace it",
            dest.display()
        )));
    }
    Ok(target)
}

/// Refuses a destination that is an input of the run, contains one or lies
/// inside an input directory, the current directory or a parent of it, or
/// the home directory or a parent of it.
fn protected(dest: &Path, target: &Path, inputs: &[&Path]) -> anyhow::Result<()> {
    let id = identity(target);
    let contains = |path: &Path| match fs::canonicalize(path) {
        Ok(p) => p.ancestors().any(|a| a == target || (id.is_some() && identity(a) == id)),
        Err(_) => false,
    };
    let refuse = |what: String| {
        Err(usage(format!(
            "{} {what}; dualmatch never replaces it, even with --force: choose another --out",
            dest.display()
        )))
    };
    for input in inputs {
        let Ok(canon) = fs::canonicalize(input) else { continue };
        let how = if canon == target {
            "is"
        } else if contains(&canon) {
            "contains"
        } else if canon.is_dir() && target.starts_with(&canon) {
            "is inside"
        } else {
            continue;
        };
        return refuse(format!("{how} {}, an input of this run", input.display()));
    }
    if std::env::current_dir().is_ok_and(|cwd| contains(&cwd)) {
        return refuse("is the current directory or one of its parents".into());
    }
    if home().is_some_and(|home| contains(&home)) {
        return refuse("is your home directory or one of its parents".into());
    }
    if target.parent().is_none() {
        return refuse("is the root directory".into());
    }
    Ok(())
}

fn home() -> Option<PathBuf> {
    let var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    std::env::var_os(var).filter(|h| !h.is_empty()).map(PathBuf::from)
}

/// Device and inode: the same directory reached by another path (a bind
/// mount, another case on a case-insensitive disk) is still recognised.
#[cfg(unix)]
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(_: &Path) -> Option<(u64, u64)> {
    None
}

/// Refuses a directory that dualmatch did not write, or that holds entries
/// its marker does not list. An empty directory holds nothing to lose.
fn foreign_entries(dest: &Path, dir: &Path) -> anyhow::Result<()> {
    let names = sorted_names(dir).with_context(|| format!("cannot read {}", dest.display()))?;
    if names.is_empty() {
        return Ok(());
    }
    let Some(known) = marker_entries(dir) else {
        return Err(usage(format!(
            "{} exists and was not written by dualmatch (it has no {RESULT_MARKER} marker); it holds {}. \
             --force replaces only results that dualmatch wrote: choose another --out, or move it away yourself",
            dest.display(),
            listing(&names, names.len())
        )));
    };
    let mut extra = Vec::new();
    let mut count = 0;
    walk_extras(dir, "", &known, &mut extra, &mut count).with_context(|| format!("cannot read {}", dest.display()))?;
    if count > 0 {
        return Err(usage(format!(
            "{} is a dualmatch result, but holds what dualmatch did not write there: {}. \
             Move these away, or choose another --out",
            dest.display(),
            listing(&extra, count)
        )));
    }
    Ok(())
}

fn sorted_names(dir: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for e in fs::read_dir(dir)? {
        names.push(e?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// "a, b, c and 4 more", each name made visible and clipped.
fn listing(names: &[String], count: usize) -> String {
    let shown: Vec<String> = names.iter().take(LISTED).map(|n| text::quote(n).into_owned()).collect();
    let more = count.saturating_sub(shown.len());
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Entries under `dir` (relative, `/`-separated, directories ending in `/`)
/// that `known` does not list; the first few in `extra`, all counted.
fn walk_extras(
    dir: &Path,
    prefix: &str,
    known: &BTreeSet<String>,
    extra: &mut Vec<String>,
    count: &mut usize,
) -> io::Result<()> {
    for e in fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if prefix.is_empty() && name == RESULT_MARKER {
            continue;
        }
        let ft = e.file_type()?;
        let rel = if ft.is_dir() { format!("{prefix}{name}/") } else { format!("{prefix}{name}") };
        let listed = known.contains(&rel) && (ft.is_dir() || ft.is_file());
        if !listed {
            *count += 1;
            if extra.len() < LISTED {
                extra.push(rel);
            }
        } else if ft.is_dir() {
            walk_extras(&e.path(), &rel, known, extra, count)?;
        }
    }
    Ok(())
}

/// The entries a valid marker in `dir` lists, or `None` when there is no
/// marker dualmatch wrote.
fn marker_entries(dir: &Path) -> Option<BTreeSet<String>> {
    let path = dir.join(RESULT_MARKER);
    if !fs::symlink_metadata(&path).ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    fs::File::open(&path).ok()?.take(MAX_MARKER_BYTES).read_to_end(&mut bytes).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    if v["written_by"] != "dualmatch" {
        return None;
    }
    v["entries"].as_array()?.iter().map(|e| e.as_str().map(str::to_string)).collect()
}

/// Every entry under `root` except the marker, relative, `/`-separated,
/// directories ending in `/`, sorted.
pub fn entries(root: &Path) -> io::Result<Vec<String>> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) -> io::Result<()> {
        for e in fs::read_dir(dir)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            if prefix.is_empty() && name == RESULT_MARKER {
                continue;
            }
            if e.file_type()?.is_dir() {
                let rel = format!("{prefix}{name}/");
                walk(&e.path(), &rel, out)?;
                out.push(rel);
            } else {
                out.push(format!("{prefix}{name}"));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(root, "", &mut out)?;
    out.sort();
    Ok(out)
}

/// The marker's content: deterministic for the same command and files.
pub fn marker(command: &str, entries: &[String]) -> String {
    let v = serde_json::json!({
        "written_by": "dualmatch",
        "version": env!("CARGO_PKG_VERSION"),
        "command": command,
        "note": "This directory is a result written by dualmatch. `--force` replaces it only while it holds \
                 nothing but the entries listed here.",
        "entries": entries,
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn a_missing_destination_is_fine_and_kept_as_given() {
        let t = tmp();
        let dest = t.path().join("new");
        assert_eq!(check(&dest, false, &[], Shape::Dir).unwrap(), dest);
    }

    #[test]
    fn a_marked_result_is_replaced_only_with_force_and_without_foreign_entries() {
        let t = tmp();
        let dest = t.path().join("r");
        fs::create_dir_all(dest.join("by-school/S1")).unwrap();
        fs::write(dest.join("placements.csv"), "x").unwrap();
        fs::write(dest.join("by-school/S1/placements.csv"), "x").unwrap();
        let list = entries(&dest).unwrap();
        assert_eq!(list, ["by-school/", "by-school/S1/", "by-school/S1/placements.csv", "placements.csv"]);
        fs::write(dest.join(RESULT_MARKER), marker("match", &list)).unwrap();
        let e = check(&dest, false, &[], Shape::Dir).unwrap_err().to_string();
        assert!(e.contains("--force"), "{e}");
        assert!(check(&dest, true, &[], Shape::Dir).is_ok());
        fs::write(dest.join("by-school/S1/notes.txt"), "mine").unwrap();
        let e = check(&dest, true, &[], Shape::Dir).unwrap_err().to_string();
        assert!(e.contains("by-school/S1/notes.txt"), "{e}");
    }

    #[test]
    fn a_forged_or_broken_marker_is_no_marker() {
        let t = tmp();
        let dest = t.path().join("r");
        fs::create_dir(&dest).unwrap();
        fs::write(dest.join(RESULT_MARKER), "{\"written_by\": \"someone\", \"entries\": []}").unwrap();
        let e = check(&dest, true, &[], Shape::Dir).unwrap_err().to_string();
        assert!(e.contains("not written by dualmatch"), "{e}");
        fs::write(dest.join(RESULT_MARKER), "not json").unwrap();
        assert!(check(&dest, true, &[], Shape::Dir).is_err());
    }

    #[test]
    fn inputs_and_their_parents_are_never_replaced() {
        let t = tmp();
        let season = t.path().join("season");
        fs::create_dir(&season).unwrap();
        fs::write(season.join("learners.csv"), "x").unwrap();
        fs::write(season.join(RESULT_MARKER), marker("generate", &["learners.csv".into()])).unwrap();
        let input = season.join("learners.csv");
        let e = check(&season, true, &[&input], Shape::Dir).unwrap_err().to_string();
        assert!(e.contains("contains"), "{e}");
        let e = check(&input, true, &[&input], Shape::File).unwrap_err().to_string();
        assert!(e.contains("is "), "{e}");
        let e = check(&input, true, &[&season], Shape::File).unwrap_err().to_string();
        assert!(e.contains("is inside"), "{e}");
        // The same directory by another spelling.
        let other = season.join("..").join("season").join(".");
        assert!(check(&other, true, &[&input], Shape::Dir).is_err());
    }

    #[test]
    fn the_root_is_never_replaced() {
        assert!(check(Path::new("/"), true, &[], Shape::Dir).is_err());
    }
}
