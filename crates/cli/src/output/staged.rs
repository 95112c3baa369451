//! Staging and putting results in place.
//!
//! - A result directory is built in `.dualmatch-staging-<random>` beside its
//!   destination, created right after the arguments are checked (so that an
//!   unwritable location fails before any work). While a run is alive it
//!   holds an exclusive lock (`flock`) on its staging directory, which holds
//!   a `.dualmatch-staging` note until the result marker is written, last.
//! - A single file is written into `.dualmatch-tmp-<random>` beside it, also
//!   locked, and renamed over the destination.
//! - An existing result is replaced by one `renameat2(RENAME_EXCHANGE)`, so
//!   that `--out` is never missing; the old result, now under the staging
//!   name, is then removed. Where the exchange is not available, the old
//!   result is first renamed to `.dualmatch-old-<random>-<name>`, which the
//!   next run restores if `<name>` is missing.
//! - Each run that writes into a directory first removes what killed runs
//!   left there: staging directories and temporary files that no live run
//!   locks (and that are not empty, or are older than a minute), and
//!   `.dualmatch-old-*` directories (restored or removed as above).
//! - On SIGINT or SIGTERM a thread removes the staging directories and
//!   temporary files of the run and exits with 128 + the signal number.
//!   (SIGHUP keeps its usual meaning, so that `nohup` still works; a run
//!   killed by it is cleaned up by the next one.)
//! - Files and directories are created with the user's umask applied
//!   (0666/0777 before the mask), as `cp` would.

use std::fs::{self, File};
use std::io::{self, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use anyhow::Context;

use super::guard::{self, Shape, RESULT_MARKER};

const STAGING_PREFIX: &str = ".dualmatch-staging-";
const OLD_PREFIX: &str = ".dualmatch-old-";
const TMP_PREFIX: &str = ".dualmatch-tmp-";
/// The note inside a staging directory until its result is complete.
const STAGING_NOTE: &str = ".dualmatch-staging";
const STAGING_NOTE_TEXT: &str =
    "A dualmatch run is writing here; this directory is incomplete. If no run is alive, the next run removes it.\n";
/// What a temporary file holds until its content is written.
const TMP_TEXT: &[u8] = b"An unfinished dualmatch output. If no run is alive, the next run removes it.\n";
/// Random characters in temporary names.
const RANDOM_CHARS: usize = 10;
/// An unlocked, empty leftover is removed only when older than this (it may
/// belong to a run that has just created it and not yet locked it).
const STALE_AFTER: Duration = Duration::from_secs(60);
/// Without locks (not Unix), a leftover is removed only when older than this.
#[cfg(not(unix))]
const STALE_UNLOCKED_AFTER: Duration = Duration::from_secs(24 * 3600);

/// A staging directory or temporary file of this run, removed on a signal.
struct Pending {
    id: u64,
    path: PathBuf,
}

/// What this run would leave behind if it stopped now. Held while staging is
/// created and while a result is put in place, so that a signal never
/// interrupts either half-way.
static PENDING: Mutex<Vec<Pending>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn pending() -> MutexGuard<'static, Vec<Pending>> {
    PENDING.lock().unwrap_or_else(PoisonError::into_inner)
}

fn register(reg: &mut Vec<Pending>, path: PathBuf) -> u64 {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    reg.push(Pending { id, path });
    id
}

/// Removes a file or a directory tree; a directory is retried a few times,
/// since the main thread may still be adding files to it.
fn remove(path: &Path) {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            for _ in 0..10 {
                if fs::remove_dir_all(path).is_ok() || !path.exists() {
                    return;
                }
            }
        }
        Ok(_) => {
            let _ = fs::remove_file(path);
        }
        Err(_) => {}
    }
}

/// Starts the thread that, on SIGINT or SIGTERM, removes the staging
/// directories and temporary files of this run and exits with 128 + the
/// signal number (130 for Ctrl-C, 143 for SIGTERM). Call once, first thing.
pub fn remove_unfinished_on_signals() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        let _ = std::thread::Builder::new().name("signals".into()).spawn(move || {
            if let Some(sig) = signals.forever().next() {
                // Held until exit: no result is put in place after this.
                let mut reg = pending();
                let any = !reg.is_empty();
                for p in reg.drain(..) {
                    remove(&p.path);
                }
                if any {
                    eprintln!("\ndualmatch: interrupted; the unfinished output was removed (nothing was written)");
                }
                std::process::exit(128 + sig);
            }
        });
    }
}

/// The directory an output goes into.
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Takes an exclusive lock on `f`: `Some(true)` when taken, `Some(false)`
/// when another process holds it, `None` when locks are not available here.
#[cfg(unix)]
fn lock(f: &File, wait: bool) -> Option<bool> {
    use rustix::fs::{flock, FlockOperation};
    let op = if wait { FlockOperation::LockExclusive } else { FlockOperation::NonBlockingLockExclusive };
    match flock(f, op) {
        Ok(()) => Some(true),
        Err(rustix::io::Errno::WOULDBLOCK) => Some(false),
        Err(_) => None,
    }
}

#[cfg(not(unix))]
fn lock(_: &File, _: bool) -> Option<bool> {
    None
}

/// `rename` that never replaces: fails if `to` exists.
fn rename_new(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Err(e) if unsupported(e) => {}
            r => return r.map_err(io::Error::from),
        }
    }
    if fs::symlink_metadata(to).is_ok() {
        return Err(io::Error::new(io::ErrorKind::AlreadyExists, "the destination appeared while dualmatch worked"));
    }
    fs::rename(from, to)
}

/// Swaps `a` and `b` in one step, where the kernel and file system can.
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
            Ok(()) => Ok(true),
            Err(e) if unsupported(e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = (a, b);
        Ok(false)
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn unsupported(e: rustix::io::Errno) -> bool {
    use rustix::io::Errno;
    matches!(e, Errno::INVAL | Errno::NOSYS | Errno::NOTSUP)
}

/// Replaces the old result at `target` with the complete `staging`;
/// returns where the old result now is (to be removed).
fn replace_dir(staging: &Path, target: &Path) -> io::Result<PathBuf> {
    if exchange(staging, target)? {
        return Ok(staging.to_path_buf());
    }
    replace_by_renames(staging, target)
}

/// Two renames where there is no exchange. Between them the old result is at
/// `.dualmatch-old-<random>-<name>` (locked), which the next run restores if
/// this one is killed there.
fn replace_by_renames(staging: &Path, target: &Path) -> io::Result<PathBuf> {
    let random =
        staging.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_prefix(STAGING_PREFIX)).unwrap_or("x");
    let name = target.file_name().ok_or_else(|| io::Error::other("the destination has no name"))?;
    let mut old_name = std::ffi::OsString::from(format!("{OLD_PREFIX}{random}-"));
    old_name.push(name);
    let old = parent_of(target).join(old_name);
    let held = File::open(target).ok();
    if let Some(f) = &held {
        lock(f, true);
    }
    fs::rename(target, &old)?;
    if let Err(e) = fs::rename(staging, target) {
        let _ = fs::rename(&old, target);
        return Err(e);
    }
    Ok(old)
}

/// Removes or restores what killed runs left in `dir`. Returns how many
/// leftovers were removed.
fn clean_leftovers(dir: &Path) -> usize {
    let Ok(rd) = fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for e in rd.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let path = e.path();
        if ft.is_dir() && name.starts_with(STAGING_PREFIX) {
            if stale(&path, true).is_some() {
                remove(&path);
                removed += 1;
            }
        } else if let (true, Some(rest)) = (ft.is_dir(), name.strip_prefix(OLD_PREFIX)) {
            let Some((random, dest_name)) = rest.split_once('-') else { continue };
            if random.len() != RANDOM_CHARS || dest_name.is_empty() {
                continue;
            }
            let Some(_lock) = stale(&path, true) else { continue };
            let dest = dir.join(dest_name);
            if fs::symlink_metadata(&dest).is_err() && fs::rename(&path, &dest).is_ok() {
                eprintln!("dualmatch: restored {} from {name}, where an interrupted run had left it", dest.display());
            } else {
                remove(&path);
                removed += 1;
            }
        } else if ft.is_file() && (name.starts_with(TMP_PREFIX) || is_legacy_tmp(name)) && stale(&path, false).is_some()
        {
            let _ = fs::remove_file(&path);
            removed += 1;
        }
    }
    removed
}

/// The temporary files of dualmatch before 0.1.1: `.dualmatch-` and six
/// random letters or digits.
fn is_legacy_tmp(name: &str) -> bool {
    name.strip_prefix(guard::TEMP_PREFIX).is_some_and(|r| r.len() == 6 && r.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Opens a leftover and takes its lock. `Some` (the lock held) when no live
/// run holds it and it is not one that a run has just created and not yet
/// locked: it is not empty, or it is older than [`STALE_AFTER`].
fn stale(path: &Path, dir: bool) -> Option<File> {
    let f = File::open(path).ok()?;
    let locked = lock(&f, false);
    let meta = f.metadata().ok()?;
    let age = meta.modified().ok().and_then(|m| m.elapsed().ok()).unwrap_or_default();
    let filled = if dir { fs::read_dir(path).ok()?.next().is_some() } else { meta.len() > 0 };
    let is_stale = match locked {
        Some(true) => filled || age > STALE_AFTER,
        Some(false) => false,
        #[cfg(not(unix))]
        None => age > STALE_UNLOCKED_AFTER,
        #[cfg(unix)]
        None => false,
    };
    is_stale.then_some(f)
}

/// Creates the directory `parent` (with its parents) and clears it of the
/// leftovers of killed runs.
fn prepare(parent: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let n = clean_leftovers(parent);
    if n > 0 {
        eprintln!("dualmatch: removed {n} unfinished output(s) that interrupted runs had left in {}", parent.display());
    }
    Ok(())
}

/// A staging directory or temporary file beside an output: registered for
/// removal on a signal, locked while this run lives, removed when dropped
/// unless it was put in place.
struct Temp {
    path: PathBuf,
    /// The open directory or file, which holds the lock.
    handle: Option<File>,
    dest: PathBuf,
    force: bool,
    shape: Shape,
    inputs: Vec<PathBuf>,
    id: u64,
    done: bool,
}

impl Temp {
    /// Checks `dest`, clears its directory of leftovers and creates the
    /// temporary entry beside it.
    fn new(dest: &Path, force: bool, inputs: &[&Path], shape: Shape) -> anyhow::Result<Self> {
        let target = guard::check(dest, force, inputs, shape)?;
        let parent = parent_of(&target);
        prepare(&parent)?;
        let mut builder = tempfile::Builder::new();
        builder.rand_bytes(RANDOM_CHARS);
        let cannot = || format!("cannot create a temporary entry in {}", parent.display());
        // Registered under the lock, so that a signal cannot come in between.
        let mut reg = pending();
        let (path, handle) = match shape {
            Shape::Dir => {
                let path = builder.prefix(STAGING_PREFIX).tempdir_in(&parent).with_context(cannot)?.keep();
                let handle = File::open(&path).ok();
                (path, handle)
            }
            Shape::File => {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    // The umask applies, as for any new file (tempfile's default is 0600).
                    builder.permissions(fs::Permissions::from_mode(0o666));
                }
                let file = builder.prefix(TMP_PREFIX).tempfile_in(&parent).with_context(cannot)?;
                let (handle, path) = file.keep().map_err(|e| e.error).with_context(cannot)?;
                (path, Some(handle))
            }
        };
        let id = register(&mut reg, path.clone());
        drop(reg);
        if let Some(h) = &handle {
            lock(h, true);
        }
        Ok(Self {
            path,
            handle,
            dest: dest.to_path_buf(),
            force,
            shape,
            inputs: inputs.iter().map(|p| p.to_path_buf()).collect(),
            id,
            done: false,
        })
    }

    /// Puts the complete entry at the destination, checked again now (it may
    /// have appeared or changed during the run): a new name is never
    /// replaced by accident; an old result is exchanged (a directory) or
    /// renamed over (a file), and removed.
    fn put_in_place(&mut self) -> anyhow::Result<PathBuf> {
        let inputs: Vec<&Path> = self.inputs.iter().map(PathBuf::as_path).collect();
        let mut reg = pending();
        let placed = guard::check(&self.dest, self.force, &inputs, self.shape).and_then(|target| {
            let replace = fs::symlink_metadata(&target).is_ok();
            let old = match (replace, self.shape) {
                (false, _) => rename_new(&self.path, &target).map(|()| None),
                (true, Shape::File) => fs::rename(&self.path, &target).map(|()| None),
                (true, Shape::Dir) => replace_dir(&self.path, &target).map(Some),
            };
            old.with_context(|| format!("cannot move the result into {}", self.dest.display()))
        });
        let old = match placed {
            Ok(old) => old,
            Err(e) => {
                drop(reg);
                return Err(e);
            }
        };
        if let Some(old) = old {
            remove(&old);
        }
        reg.retain(|p| p.id != self.id);
        self.done = true;
        Ok(self.dest.clone())
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if !self.done {
            let mut reg = pending();
            remove(&self.path);
            reg.retain(|p| p.id != self.id);
        }
    }
}

/// A result directory under construction: files are written into a hidden
/// staging directory beside the destination; [`StagedDir::commit`] puts it in
/// place. Dropping it without committing removes everything.
pub struct StagedDir {
    temp: Temp,
    command: &'static str,
}

impl StagedDir {
    /// Checks `dest` (see `guard`: refused if it exists and not `force`, if it
    /// is an input of the run — `inputs` — or contains one, and more) and
    /// creates the staging directory beside it. Call it right after the
    /// arguments are checked: an unwritable location then fails before any work.
    /// `command` is recorded in the result marker.
    pub fn new(dest: &Path, force: bool, command: &'static str, inputs: &[&Path]) -> anyhow::Result<Self> {
        let dir = Self { temp: Temp::new(dest, force, inputs, Shape::Dir)?, command };
        dir.write_bytes(STAGING_NOTE, STAGING_NOTE_TEXT.as_bytes())?;
        Ok(dir)
    }

    /// Path of `name` inside the staging directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.temp.path.join(name)
    }

    /// Writes the file `name` (possibly `sub/dir/name`) in the staging directory.
    pub fn write(&self, name: &str, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> anyhow::Result<()> {
        let path = self.path(name);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let f = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
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
        self.temp.dest.join(name)
    }

    /// Writes `bytes` as the file `name`.
    pub fn write_bytes(&self, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
        self.write(name, |w| w.write_all(bytes))
    }

    /// Writes the result marker, last, and puts the finished directory in
    /// place: new, or exchanged with the old result when `--force` was given.
    /// The old result is removed afterwards.
    pub fn commit(mut self) -> anyhow::Result<PathBuf> {
        let note = self.path(STAGING_NOTE);
        fs::remove_file(&note).with_context(|| format!("cannot remove {}", note.display()))?;
        let entries =
            guard::entries(&self.temp.path).with_context(|| format!("cannot read {}", self.temp.path.display()))?;
        self.write_bytes(RESULT_MARKER, guard::marker(self.command, &entries).as_bytes())?;
        self.temp.put_in_place()
    }
}

/// One output file under construction: a locked temporary file beside the
/// destination, created right after the arguments are checked, and renamed
/// over the destination by [`OutFile::write`]. Dropping it removes it.
pub struct OutFile {
    temp: Temp,
}

impl OutFile {
    /// Checks `dest` (refused if it exists and not `force`, if it is one of
    /// `inputs`, a directory or not a regular file) and creates the temporary
    /// file beside it.
    pub fn new(dest: &Path, force: bool, inputs: &[&Path]) -> anyhow::Result<Self> {
        let mut out = Self { temp: Temp::new(dest, force, inputs, Shape::File)? };
        let what = format!("cannot write {}", out.temp.path.display());
        out.file()?.write_all(TMP_TEXT).context(what)?;
        Ok(out)
    }

    fn file(&mut self) -> anyhow::Result<&mut File> {
        self.temp.handle.as_mut().context("the temporary file is not open")
    }

    /// Fills the file with `write` and renames it over the destination.
    pub fn write(mut self, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> anyhow::Result<PathBuf> {
        let what = format!("cannot write {}", self.temp.dest.display());
        let file = self.file()?;
        file.set_len(0).context(what.clone())?;
        file.rewind().context(what.clone())?;
        {
            let mut w = BufWriter::new(&mut *file);
            write(&mut w).context(what.clone())?;
            w.flush().context(what.clone())?;
        }
        file.sync_all().context(what)?;
        self.temp.put_in_place()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    fn result(dir: &Path, content: &str, force: bool) {
        let d = StagedDir::new(dir, force, "test", &[]).unwrap();
        d.write_bytes("placements.csv", content.as_bytes()).unwrap();
        d.commit().unwrap();
    }

    #[test]
    fn a_committed_result_carries_the_marker_and_nothing_is_left_beside_it() {
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("r");
        result(&dest, "one", false);
        assert_eq!(names(t.path()), ["r"]);
        assert_eq!(names(&dest), [RESULT_MARKER, "placements.csv"]);
        let marker = fs::read_to_string(dest.join(RESULT_MARKER)).unwrap();
        assert!(marker.contains("\"placements.csv\""), "{marker}");
        result(&dest, "two", true);
        assert_eq!(fs::read_to_string(dest.join("placements.csv")).unwrap(), "two");
        assert_eq!(names(t.path()), ["r"]);
    }

    #[test]
    fn a_dropped_staging_directory_is_removed() {
        let t = tempfile::tempdir().unwrap();
        let d = StagedDir::new(&t.path().join("r"), false, "test", &[]).unwrap();
        d.write_bytes("a.csv", b"x").unwrap();
        assert_eq!(names(t.path()).len(), 1);
        drop(d);
        assert!(names(t.path()).is_empty());
    }

    /// The fallback without an exchange: the old result is moved aside, the
    /// new one put in place; a run killed between the two renames is
    /// repaired by the next run, which restores the old result.
    #[test]
    fn replacing_by_two_renames_and_restoring_after_a_kill_between_them() {
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("r");
        result(&dest, "old", false);
        let d = StagedDir::new(&dest, true, "test", &[]).unwrap();
        d.write_bytes("placements.csv", b"new").unwrap();
        let old = replace_by_renames(&d.temp.path, &dest).unwrap();
        assert_eq!(fs::read_to_string(dest.join("placements.csv")).unwrap(), "new");
        assert_eq!(fs::read_to_string(old.join("placements.csv")).unwrap(), "old");
        // A kill here, and the new result was never put in place:
        fs::rename(&dest, t.path().join("elsewhere")).unwrap();
        std::mem::forget(d);
        assert_eq!(clean_leftovers(t.path()), 0);
        assert_eq!(fs::read_to_string(dest.join("placements.csv")).unwrap(), "old");
        assert_eq!(names(t.path()), ["elsewhere", "r"]);
    }

    #[test]
    fn a_locked_staging_directory_is_left_alone_and_an_unlocked_one_removed() {
        let t = tempfile::tempdir().unwrap();
        let live = StagedDir::new(&t.path().join("r"), false, "test", &[]).unwrap();
        let dead = t.path().join(format!("{STAGING_PREFIX}abcdefghij"));
        fs::create_dir(&dead).unwrap();
        fs::write(dead.join(STAGING_NOTE), STAGING_NOTE_TEXT).unwrap();
        // An empty one may be a run that has not locked it yet.
        let fresh = t.path().join(format!("{STAGING_PREFIX}0123456789"));
        fs::create_dir(&fresh).unwrap();
        // flock locks belong to the open file, so `live`'s lock holds
        // against the cleaner's own open of the same directory.
        assert_eq!(clean_leftovers(t.path()), 1);
        assert!(live.temp.path.exists());
        assert!(!dead.exists());
        assert!(fresh.exists());
    }

    #[test]
    fn a_file_is_written_through_a_temporary_file_that_is_then_gone() {
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("f.csv");
        OutFile::new(&dest, false, &[]).unwrap().write(|w| w.write_all(b"a\n")).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"a\n");
        assert_eq!(names(t.path()), ["f.csv"]);
    }
}
