//! Safety of outputs, driving the real binary: `--force` replaces only what
//! dualmatch wrote and never an input, the current or the home directory; a
//! failed, interrupted or killed run leaves nothing behind (and the next run
//! clears what a killed one left); outputs follow the umask; an unwritable or
//! full output fails before any work; replacing a result never loses it.
//!
//! Runs that must be interrupted mid-way read their season from a FIFO, so
//! they wait, deterministically, with their staging directory created, until
//! the test has signalled them. Full disks and failing renames use a small
//! tmpfs in a private mount namespace (`unshare -m`, as root, which CI is);
//! where that is not allowed the test says so and checks nothing more.

#![cfg(unix)]

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{bin, copy_dir, data, repo, run, snapshot, text};

/// Names in `dir` that are dualmatch's temporary entries.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".dualmatch-"))
        .collect();
    v.sort();
    v
}

/// Exit code 2 with `message`, no panic.
fn assert_refused(o: &Output, message: &str) {
    let t = text(o);
    assert_eq!(o.status.code(), Some(2), "exit code; output:\n{t}");
    assert!(t.contains(message), "expected {message:?} in:\n{t}");
    assert!(!t.contains("panicked"), "{t}");
}

/// A result of `match` on the base season at `out`.
fn result_at(out: &Path) {
    let o = run(bin().arg("match").arg(data("base")).arg("-q").arg("--out").arg(out));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn force_never_replaces_the_season_being_read_nor_its_parent() {
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("season");
    copy_dir(&data("base"), &season);
    let before = snapshot(tmp.path());

    let o = run(bin().arg("match").arg(&season).args(["-q", "--force", "--out"]).arg(&season));
    assert_refused(&o, "an input of this run");
    // The season's parent holds it (and nothing written by dualmatch).
    let o = run(bin().arg("match").arg(&season).args(["-q", "--force", "--out"]).arg(tmp.path()));
    assert_refused(&o, "an input of this run");
    // generate has no input, but the directory was not written by dualmatch.
    let o = run(bin().args(["generate", "-q", "--force", "--out"]).arg(&season));
    assert_refused(&o, "not written by dualmatch");
    assert_eq!(snapshot(tmp.path()), before, "the season changed");
    assert!(leftovers(tmp.path()).is_empty());

    // A season written by dualmatch carries the marker, and is still never
    // replaced while it is read.
    let generated = tmp.path().join("generated");
    let o = run(bin().args(["generate", "-q", "--out"]).arg(&generated));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let before = snapshot(&generated);
    let o = run(bin().arg("match").arg(&generated).args(["-q", "--force", "--out"]).arg(&generated));
    assert_refused(&o, "an input of this run");
    assert_eq!(snapshot(&generated), before);

    // rematch --previous is an input too.
    let first = tmp.path().join("first");
    result_at(&first);
    let changes = tmp.path().join("changes.csv");
    fs::write(&changes, "event,learner,workplace,programme,seats\n").unwrap();
    let before = snapshot(&first);
    let o = run(bin()
        .arg("rematch")
        .arg(data("base"))
        .arg("--previous")
        .arg(&first)
        .arg("--changes")
        .arg(&changes)
        .args(["-q", "--force", "--out"])
        .arg(&first));
    assert_refused(&o, "an input of this run");
    assert_eq!(snapshot(&first), before);
}

#[test]
fn force_refuses_a_directory_that_dualmatch_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    let existing = tmp.path().join("existing");
    fs::create_dir(&existing).unwrap();
    fs::write(existing.join("notes.txt"), "important").unwrap();
    for args in [&["match", "-q"][..], &["generate", "-q", "--preset", "tiny"][..], &["compare", "-q"][..]] {
        let mut cmd = bin();
        cmd.arg(args[0]);
        if args[0] != "generate" {
            cmd.arg(data("base"));
        }
        let o = run(cmd.args(&args[1..]).arg("--force").arg("--out").arg(&existing));
        assert_refused(&o, "not written by dualmatch");
        assert!(text(&o).contains("notes.txt"), "the message says what is in the way: {}", text(&o));
        assert_eq!(fs::read_to_string(existing.join("notes.txt")).unwrap(), "important");
    }
    // A file added by hand to a result stops --force too.
    let r = tmp.path().join("r");
    result_at(&r);
    fs::write(r.join("my-notes.txt"), "mine").unwrap();
    let before = snapshot(&r);
    let o = run(bin().arg("match").arg(data("base")).args(["-q", "--force", "--out"]).arg(&r));
    assert_refused(&o, "my-notes.txt");
    assert_eq!(snapshot(&r), before);
    assert!(leftovers(tmp.path()).is_empty(), "{:?}", leftovers(tmp.path()));
}

#[test]
fn force_replaces_a_result_that_dualmatch_wrote_and_its_marker_is_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path().join("r");
    result_at(&r);
    let marker = fs::read_to_string(r.join(".dualmatch-result")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&marker).unwrap();
    assert_eq!(v["written_by"], "dualmatch");
    assert_eq!(v["command"], "match");
    let listed: Vec<&str> = v["entries"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    assert!(listed.contains(&"placements.csv"), "{listed:?}");
    // Replaced with --force (by another command too), and the marker is the
    // same bytes every time the same command writes the same files.
    let o = run(bin().args(["generate", "-q", "--force", "--out"]).arg(&r));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(r.join("learners.csv").exists() && !r.join("placements.csv").exists());
    let o = run(bin().arg("match").arg(data("base")).args(["-q", "--force", "--out"]).arg(&r));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(fs::read_to_string(r.join(".dualmatch-result")).unwrap(), marker);
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1, "{:?}", leftovers(tmp.path()));
}

#[test]
fn force_never_replaces_the_current_or_the_home_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("season");
    copy_dir(&data("base"), &season);
    let somewhere = tmp.path().join("somewhere");
    fs::create_dir(&somewhere).unwrap();
    fs::write(somewhere.join("keep.txt"), "keep").unwrap();
    // The issue's case: `cd somewhere && dualmatch match ../season --out . --force`.
    let o = run(bin().current_dir(&somewhere).args(["match", "../season", "-q", "--out", ".", "--force"]));
    assert_refused(&o, "current directory");
    assert!(leftovers(&somewhere).is_empty() && leftovers(tmp.path()).is_empty());
    assert_eq!(fs::read_to_string(somewhere.join("keep.txt")).unwrap(), "keep");

    // Even a dualmatch result is not replaced while it is the current
    // directory (or one of its parents), nor when it is $HOME.
    let r = tmp.path().join("r");
    result_at(&r);
    let before = snapshot(&r);
    for out in ["../r", "."] {
        let o = run(bin().current_dir(&r).args(["match", "../season", "-q", "--force", "--out", out]));
        assert_refused(&o, "current directory");
    }
    let r2 = tmp.path().join("r2");
    result_at(&r2);
    fs::create_dir(r2.join("sub")).unwrap();
    let o = run(bin().current_dir(r2.join("sub")).arg("match").arg(&season).args(["-q", "--force", "--out", ".."]));
    assert_refused(&o, "current directory or one of its parents");
    let o = run(bin().env("HOME", &r).arg("match").arg(&season).args(["-q", "--force", "--out"]).arg(&r));
    assert_refused(&o, "home directory");
    assert_eq!(snapshot(&r), before);
    assert!(leftovers(tmp.path()).is_empty());
}

#[test]
fn single_file_outputs_never_replace_an_input() {
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("season");
    copy_dir(&data("base"), &season);
    let json = tmp.path().join("season.json");
    let o = run(bin().args(["generate", "-q", "--format", "json", "--out"]).arg(&json));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let weights = tmp.path().join("weights.toml");
    fs::write(&weights, "").unwrap();
    let book = season.join("book.xlsx");
    fs::write(&book, "a workbook kept in the season").unwrap();
    let before = snapshot(tmp.path());
    let cases: [(&Path, &[&std::ffi::OsStr], &Path); 4] = [
        (&json, &[], &json),
        (&season, &["--weights".as_ref(), weights.as_os_str()], &weights),
        (&season, &[], &season.join("learners.csv")),
        (&season, &[], &season),
    ];
    for (input, extra, out) in cases {
        let o = run(bin().arg("score").arg(input).args(extra).arg("-q").arg("--force").arg("--out").arg(out));
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "score --out {}: {t}", out.display());
        assert!(t.contains("an input of this run") || t.contains("is a directory"), "{t}");
    }
    let o = run(bin().arg("convert").arg(&season).arg("-q").arg("--force").arg("--out").arg(&book));
    assert_refused(&o, "an input of this run");
    assert_eq!(snapshot(tmp.path()), before, "an input changed");
    assert!(leftovers(tmp.path()).is_empty());
    // A file that is no input is replaced with --force.
    let c = tmp.path().join("c.csv");
    fs::write(&c, "old").unwrap();
    let o = run(bin().arg("score").arg(&season).arg("-q").arg("--force").arg("--out").arg(&c));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(fs::read_to_string(&c).unwrap().starts_with("learner,"));
}

#[test]
fn a_symlink_or_a_temporary_name_as_out_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path().join("r");
    result_at(&r);
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&r, &link).unwrap();
    let o = run(bin().arg("match").arg(data("base")).args(["-q", "--force", "--out"]).arg(&link));
    assert_refused(&o, "symbolic link");
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    let o =
        run(bin().arg("match").arg(data("base")).args(["-q", "--out"]).arg(tmp.path().join(".dualmatch-staging-x")));
    assert_refused(&o, "temporary files");
    let mut names: Vec<_> = fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(names, ["link", "r"]);
}

/// The permission bits of `p`.
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn outputs_are_created_with_the_users_umask() {
    let tmp = tempfile::tempdir().unwrap();
    let b = env!("CARGO_BIN_EXE_dualmatch");
    for (umask, file_mode, dir_mode) in [("022", 0o644, 0o755), ("027", 0o640, 0o750)] {
        let d = tmp.path().join(umask);
        fs::create_dir(&d).unwrap();
        let script = format!(
            "umask {umask} && \"$0\" generate -q --format json --out f.json && \"$0\" generate -q --out g \
             && \"$0\" score g -q --out c.csv && \"$0\" convert g -q --out g.xlsx && \"$0\" match g -q --out r"
        );
        let o = run(Command::new("sh").current_dir(&d).arg("-c").arg(&script).arg(b));
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        for f in ["f.json", "c.csv", "g.xlsx", "g/learners.csv", "r/placements.csv", "r/.dualmatch-result"] {
            assert_eq!(mode(&d.join(f)), file_mode, "{f} with umask {umask}");
        }
        for dir in ["g", "r"] {
            assert_eq!(mode(&d.join(dir)), dir_mode, "{dir} with umask {umask}");
        }
    }
}

#[test]
fn an_unwritable_output_fails_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    fs::write(&file, "x").unwrap();
    // The season does not exist: the output is checked (and fails) first.
    let missing = tmp.path().join("no-season");
    for (cmd, out) in [("match", file.join("results")), ("score", file.join("c.csv"))] {
        let o = run(bin().arg(cmd).arg(&missing).arg("--out").arg(&out));
        let t = text(&o);
        assert_eq!(o.status.code(), Some(3), "{cmd}: {t}");
        assert!(t.contains("a-file/"), "{cmd}: the message names the output: {t}");
        assert!(!t.contains("no-season"), "{cmd}: the season was read first: {t}");
    }
}

/// A season whose learners.csv is a FIFO: a run reading it waits until the
/// test writes to it, having created its staging directory.
fn fifo_season(at: &Path) -> PathBuf {
    copy_dir(&data("base"), at);
    let learners = at.join("learners.csv");
    fs::remove_file(&learners).unwrap();
    let o = Command::new("mkfifo").arg(&learners).output().expect("mkfifo");
    assert!(o.status.success(), "mkfifo: {}", text(&o));
    at.to_path_buf()
}

/// A running dualmatch, killed when dropped (so that a failing test never
/// leaves one waiting on a FIFO).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    fn start(cmd: &mut Command) -> Self {
        Self(cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start dualmatch"))
    }

    /// Waits until `ready` holds; fails if the run ends first.
    fn wait_for(&mut self, what: &str, ready: impl Fn() -> bool) {
        let start = Instant::now();
        while !ready() {
            if let Some(status) = self.0.try_wait().unwrap() {
                let mut err = String::new();
                self.0.stderr.take().unwrap().read_to_string(&mut err).unwrap();
                panic!("dualmatch ended ({status}) before {what}: {err}");
            }
            assert!(start.elapsed() < Duration::from_secs(60), "no {what} after 60 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, sig: &str) {
        let o = Command::new("kill").arg(format!("-{sig}")).arg(self.0.id().to_string()).output().unwrap();
        assert!(o.status.success(), "kill -{sig}: {}", text(&o));
    }

    /// Waits for the end; the exit code and stderr.
    fn finish(mut self) -> (Option<i32>, String) {
        let status = self.0.wait().unwrap();
        let mut err = String::new();
        self.0.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        (status.code(), err)
    }
}

/// A staging directory (with its note) or a filled temporary file in `dir`.
fn staging_in(dir: &Path) -> Option<PathBuf> {
    fs::read_dir(dir).ok()?.map(|e| e.unwrap().path()).find(|p| {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        (name.starts_with(".dualmatch-staging-") && p.join(".dualmatch-staging").exists())
            || (name.starts_with(".dualmatch-tmp-") && fs::metadata(p).is_ok_and(|m| m.len() > 0))
    })
}

#[test]
fn ctrl_c_and_sigterm_remove_the_unfinished_output_and_keep_the_old_result() {
    let tmp = tempfile::tempdir().unwrap();
    let season = fifo_season(&tmp.path().join("season"));
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    let r = out.join("r");
    result_at(&r);
    let c = out.join("c.csv");
    fs::write(&c, "the old candidates").unwrap();
    let before = snapshot(&out);
    for (sig, code) in [("INT", 130), ("TERM", 143)] {
        for (cmd, dest) in [("match", &r), ("score", &c)] {
            let mut run = Running::start(bin().arg(cmd).arg(&season).args(["-q", "--force", "--out"]).arg(dest));
            run.wait_for("the staging directory", || staging_in(&out).is_some());
            run.signal(sig);
            let (status, err) = run.finish();
            assert_eq!(status, Some(code), "{cmd} after SIG{sig}: {err}");
            assert!(err.contains("interrupted"), "{err}");
            assert_eq!(leftovers(&out), Vec::<String>::new(), "{cmd} after SIG{sig}");
            assert_eq!(snapshot(&out), before, "{cmd} after SIG{sig}: the old result changed");
        }
    }
}

#[test]
fn a_killed_runs_staging_is_removed_by_the_next_run_and_a_live_runs_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let season = fifo_season(&tmp.path().join("season"));
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    let mut live = Running::start(bin().arg("match").arg(&season).args(["-q", "--out"]).arg(out.join("a")));
    live.wait_for("the staging directory", || staging_in(&out).is_some());
    let staging = staging_in(&out).unwrap();
    // Another run writing beside it leaves a live run's staging alone.
    result_at(&out.join("b"));
    assert!(staging.join(".dualmatch-staging").exists(), "a live run's staging was removed");
    // SIGKILL: nothing can clean up, the staging directory stays...
    live.signal("KILL");
    let (status, _) = live.finish();
    assert_eq!(status, None, "killed by a signal");
    assert!(staging.exists());
    // ...until the next run writing to the same place removes it.
    let o = run(bin().arg("match").arg(data("base")).args(["-q", "--out"]).arg(out.join("a")));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(out.join("a/.dualmatch-result").exists());
    assert_eq!(leftovers(&out), Vec::<String>::new());
    // The same for a single file's temporary file.
    let mut live = Running::start(bin().arg("score").arg(&season).args(["-q", "--out"]).arg(out.join("c.csv")));
    live.wait_for("the temporary file", || staging_in(&out).is_some());
    live.signal("KILL");
    let (status, _) = live.finish();
    assert_eq!(status, None, "killed by a signal");
    assert_eq!(leftovers(&out).len(), 1);
    let o = run(bin().arg("score").arg(data("base")).args(["-q", "--out"]).arg(out.join("c.csv")));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(leftovers(&out), Vec::<String>::new());
}

/// Where the kernel has no exchange, a result is replaced by two renames;
/// a kill between them leaves the old result as
/// `.dualmatch-old-<random>-<name>`, which the next run restores.
#[test]
fn an_old_result_left_aside_by_a_killed_replacement_is_restored() {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join(".dualmatch-old-AbCdE12345-r");
    result_at(&old.with_file_name("r"));
    fs::rename(tmp.path().join("r"), &old).unwrap();
    let before = snapshot(&old);
    let o = run(bin().arg("match").arg(data("base")).args(["--out"]).arg(tmp.path().join("other")));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("restored"), "{}", text(&o));
    assert_eq!(snapshot(&tmp.path().join("r")), before);
    assert_eq!(leftovers(tmp.path()), Vec::<String>::new());
}

/// Runs `script` under `sh` in a private mount namespace, where it may mount
/// a tmpfs; `$0` is the binary. `None` (after saying why) where that is not
/// allowed: the script exits 77 when its mount fails.
fn in_private_mounts(script: &str) -> Option<Output> {
    let o = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", script, env!("CARGO_BIN_EXE_dualmatch")])
        .output();
    match o {
        Ok(o) if o.status.code() != Some(77) && !String::from_utf8_lossy(&o.stderr).starts_with("unshare:") => Some(o),
        Ok(o) => {
            eprintln!("skipped: cannot mount a tmpfs in a private namespace (needs root): {}", text(&o));
            None
        }
        Err(e) => {
            eprintln!("skipped: unshare is not available: {e}");
            None
        }
    }
}

#[test]
fn a_full_disk_fails_with_exit_3_and_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("disk");
    fs::create_dir(&d).unwrap();
    let sample = repo("data/sample");
    // The results of the sample season (about 550 KB) and its candidates
    // (1.5 MB) do not fit in 64 KiB; then a completely full disk is found
    // before the season is read.
    let script = format!(
        "mount -t tmpfs -o size=64k none '{d}' || exit 77
         \"$0\" match '{s}' -q --out '{d}/results'; echo \"match=$?\"
         \"$0\" score '{s}' -q --out '{d}/c.csv'; echo \"score=$?\"
         echo left:; ls -A '{d}'; echo :left
         cat /dev/zero > '{d}/fill' 2>/dev/null
         \"$0\" match '{d}/no-season' -q --out '{d}/r2'; echo \"full=$?\"
         rm '{d}/fill'; echo left2:; ls -A '{d}'; echo :left2",
        d = d.display(),
        s = sample.display()
    );
    let Some(o) = in_private_mounts(&script) else { return };
    let t = text(&o);
    for code in ["match=3", "score=3", "full=3"] {
        assert!(t.contains(code), "{code} expected:\n{t}");
    }
    assert!(t.contains("No space left on device"), "{t}");
    assert_eq!(t.matches("the disk is full").count(), 3, "{t}");
    assert!(t.contains("left:\n:left"), "something was left behind:\n{t}");
    assert!(t.contains("left2:\n:left2"), "something was left behind:\n{t}");
    assert!(!t.contains("no-season"), "the season was read before the full disk was found:\n{t}");
    assert!(fs::read_dir(&d).unwrap().next().is_none(), "the tmpfs leaked out of its namespace");
}

/// A rename that fails (here: the old result is a mount point, EBUSY) leaves
/// the old result as it was and nothing beside it.
#[test]
fn a_failed_rename_keeps_the_old_result_and_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("model");
    result_at(&model);
    let d = tmp.path().join("d");
    fs::create_dir_all(d.join("r")).unwrap();
    let script = format!(
        "mount -t tmpfs none '{d}/r' || exit 77
         cp -a '{m}/.' '{d}/r/'
         \"$0\" match '{b}' -q --force --out '{d}/r'; echo \"match=$?\"
         echo left:; ls -A '{d}'; echo :left
         cmp '{m}/placements.csv' '{d}/r/placements.csv' && echo same",
        d = d.display(),
        m = model.display(),
        b = data("base").display()
    );
    let Some(o) = in_private_mounts(&script) else { return };
    let t = text(&o);
    assert!(t.contains("match=3"), "{t}");
    assert!(t.contains("cannot move the result into"), "{t}");
    assert!(t.contains("left:\nr\n:left"), "something was left behind:\n{t}");
    assert!(t.contains("same"), "the old result changed:\n{t}");
}
