//! The sample season without mentors and rhythms, for the tests of
//! features that do not model them. Shared by `tests/common` and, by path,
//! by the test crates that do not use it (`crates/dualmatch/tests`).

use std::fs;
use std::path::{Path, PathBuf};

/// `data/sample` without its mentors (`mentors.csv`) and rhythms (the
/// `rhythm` column of `schools.csv`): the same learners, sites and seats
/// with whole-week seats and a site's `capacity` as its only mentor limit,
/// for the tests of features that do not model mentors or rhythms (every
/// policy, the advice, the certificate). Written once per content under the
/// target's temporary folder and shared by the tests.
pub fn plain_sample() -> PathBuf {
    // Tests of one binary run on several threads of one process: they share
    // one folder, written once.
    static ONCE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ONCE.get_or_init(write_plain_sample).clone()
}

fn write_plain_sample() -> PathBuf {
    use std::hash::{Hash, Hasher};
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sample");
    let mut files: Vec<PathBuf> = fs::read_dir(&from)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "mentors.csv"))
        .collect();
    files.sort();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for f in &files {
        (f.file_name(), fs::read(f).unwrap()).hash(&mut h);
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("plain-sample-{:016x}", h.finish()));
    if dir.join("schools.csv").exists() {
        return dir;
    }
    // The staging folder is this process's own: another test binary may be
    // writing the same content at the same time.
    let staging = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("plain-sample-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging).unwrap();
    for f in &files {
        let to = staging.join(f.file_name().unwrap());
        if f.file_name().is_some_and(|n| n == "schools.csv") {
            let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_path(f).unwrap();
            let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
            let keep: Vec<usize> = (0..rows[0].len()).filter(|&i| &rows[0][i] != "rhythm").collect();
            let mut w = csv::Writer::from_path(&to).unwrap();
            for r in &rows {
                w.write_record(keep.iter().map(|&i| &r[i])).unwrap();
            }
            w.flush().unwrap();
        } else {
            fs::copy(f, to).unwrap();
        }
    }
    // Another test binary may have written the same folder meanwhile.
    if fs::rename(&staging, &dir).is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    dir
}
