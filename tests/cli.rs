//! Integration tests: drive the real `dualmatch` binary on fixtures in `tests/data`.
//!
//! Fixture-driven tests use one helper, [`check`], which compares a command's
//! output with an `expected.txt` file. Run with `UPDATE_EXPECT=1` to rewrite
//! the expectations after an intended change (then review the diff).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dualmatch"))
}

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data").join(rel)
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("failed to start dualmatch")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Compares `actual` with the file `expected` (or rewrites it when
/// `UPDATE_EXPECT` is set).
fn check(actual: &str, expected: &Path) {
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        fs::write(expected, actual).unwrap();
        return;
    }
    let want = fs::read_to_string(expected)
        .unwrap_or_else(|_| panic!("missing {}; run with UPDATE_EXPECT=1", expected.display()));
    assert_eq!(actual, want, "output differs from {} (run with UPDATE_EXPECT=1 to accept)", expected.display());
}

/// Builds a season from `tests/data/base` with the case's files laid over it,
/// runs `validate`, and checks exit code and output against `expected.txt`.
fn check_validate_case(case: &str) {
    let case_dir = data(&format!("validate/{case}"));
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("season");
    copy_dir(&data("base"), &season);
    for e in fs::read_dir(&case_dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().into_string().unwrap();
        match name.as_str() {
            "expected.txt" => {}
            "REMOVE" => {
                for f in fs::read_to_string(e.path()).unwrap().lines() {
                    fs::remove_file(season.join(f.trim())).unwrap();
                }
            }
            _ => {
                fs::copy(e.path(), season.join(&name)).unwrap();
            }
        }
    }
    let out = run(bin().arg("validate").arg(&season));
    let shown = text(&out).replace(&season.display().to_string(), "SEASON");
    let actual = format!("exit: {}\n{shown}", out.status.code().unwrap_or(-1));
    check(&actual, &case_dir.join("expected.txt"));
}

macro_rules! validate_cases {
    ($($name:ident => $dir:literal,)*) => {$(
        #[test]
        fn $name() {
            check_validate_case($dir);
        }
    )*};
}

validate_cases! {
    validate_malformed_row => "malformed-row",
    validate_missing_column => "missing-column",
    validate_wrong_type => "wrong-type",
    validate_duplicate_id => "duplicate-id",
    validate_unknown_reference => "unknown-reference",
    validate_coordinates => "coordinates",
    validate_seats_capacity => "seats-capacity",
    validate_readiness_screening => "readiness-screening",
    validate_empty_file => "empty-file",
    validate_header_only => "header-only",
    validate_duplicated_header => "duplicated-header",
    validate_not_utf8 => "not-utf8",
    validate_missing_file => "missing-file",
    validate_warnings_only => "warnings-only",
    validate_candidates => "candidates",
    validate_binary_file => "binary-file",
}

#[test]
fn validate_base_fixture_is_clean_and_reads_utf8_bom_crlf_quotes() {
    let out = run(bin().arg("validate").arg(data("base")));
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("0 errors"), "{t}");
    assert!(t.contains("8 learners, 6 workplace sites"), "{t}");
    // The only warning is the site without a recognition.
    assert!(t.contains("workplace \"W-NONE\" has no recognition"), "{t}");
}

#[test]
fn validate_json_reports_every_problem_with_record_positions() {
    let f = data("json/bad.json");
    let out = run(bin().arg("validate").arg(&f));
    let t = text(&out).replace(&f.display().to_string(), "bad.json");
    check(&format!("exit: {}\n{t}", out.status.code().unwrap_or(-1)), &data("json/bad.expected.txt"));
}

#[test]
fn validate_json_syntax_error_names_the_line() {
    let f = data("json/syntax.json");
    let out = run(bin().arg("validate").arg(&f));
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("syntax.json:3"), "{t}");
}

#[test]
fn validate_missing_season_path_is_a_usage_error() {
    let out = run(bin().arg("validate").arg("/no/such/season"));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("no such file or directory"), "{}", text(&out));
}

#[test]
fn json_and_csv_give_the_same_season() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("csv");
    let json = tmp.path().join("s.json");
    for (fmt, out) in [("csv", &csv), ("json", &json)] {
        let o = run(bin().args(["generate", "--preset", "tiny", "--seed", "3", "--format", fmt, "--out"]).arg(out));
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    let a = run(bin().arg("validate").arg(&csv));
    let b = run(bin().arg("validate").arg(&json));
    let summary = |o: &Output| text(o).lines().filter(|l| l.starts_with("season ok")).collect::<Vec<_>>().join("\n");
    assert_eq!(a.status.code(), Some(0), "{}", text(&a));
    assert!(!summary(&a).is_empty());
    assert_eq!(summary(&a), summary(&b));
}

#[test]
fn generate_is_byte_identical_for_a_seed_and_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("c"));
    for (dir, seed) in [(&a, "5"), (&b, "5"), (&c, "6")] {
        let o = run(bin().args(["generate", "--preset", "tiny", "--seed", seed, "--out"]).arg(dir));
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    let read = |d: &Path, f: &str| fs::read(d.join(f)).unwrap();
    for f in ["learners.csv", "workplaces.csv", "recognitions.csv", "schools.csv", "programmes.csv"] {
        assert_eq!(read(&a, f), read(&b, f), "{f} differs for the same seed");
    }
    assert_ne!(read(&a, "learners.csv"), read(&c, "learners.csv"));
    // No staging leftovers beside the outputs.
    let names: Vec<_> = fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    // An existing output is refused without --force, and kept intact.
    let before = read(&a, "learners.csv");
    let o = run(bin().args(["generate", "--preset", "tiny", "--seed", "9", "--out"]).arg(&a));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("--force"), "{}", text(&o));
    assert_eq!(read(&a, "learners.csv"), before);
    let o = run(bin().args(["generate", "--preset", "tiny", "--seed", "9", "--force", "--out"]).arg(&a));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_ne!(read(&a, "learners.csv"), before);
}

/// The acceptance scenario of the season-input issue: a new user corrupts a
/// copy of the sample season in six ways; `validate` lists every one.
#[test]
fn corrupted_sample_lists_every_problem_with_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let s = tmp.path().join("sample");
    copy_dir(&repo("data/sample"), &s);
    let ok = run(bin().arg("validate").arg(&s));
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));

    let edit = |file: &str, f: &dyn Fn(&mut Vec<String>)| {
        let p = s.join(file);
        let mut lines: Vec<String> = fs::read_to_string(&p).unwrap().lines().map(str::to_string).collect();
        f(&mut lines);
        fs::write(&p, lines.join("\n") + "\n").unwrap();
    };
    let field = |line: &str, i: usize| line.split(',').nth(i).unwrap().to_string();
    let set = |line: &str, i: usize, v: &str| {
        let mut parts: Vec<&str> = line.split(',').collect();
        parts[i] = v;
        parts.join(",")
    };
    // learners.csv: line 3 duplicates line 2's id; line 4 points at a missing
    // school; line 5 has a latitude of 123; line 6 loses a column; line 7
    // prefers an unknown workplace.
    edit("learners.csv", &|l| {
        let id2 = field(&l[1], 0);
        l[2] = set(&l[2], 0, &id2);
        l[3] = set(&l[3], 1, "NO-SUCH-SCHOOL");
        l[4] = set(&l[4], 3, "123");
        let mut parts: Vec<&str> = l[5].split(',').collect();
        parts.remove(5);
        l[5] = parts.join(",");
        l[6] = set(&l[6], 9, "W-DOES-NOT-EXIST");
    });
    // recognitions.csv line 2: a negative seat count.
    edit("recognitions.csv", &|l| l[1] = set(&l[1], 2, "-3"));
    let out = run(bin().arg("validate").arg(&s));
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    let learners = s.join("learners.csv").display().to_string();
    let recog = s.join("recognitions.csv").display().to_string();
    for (at, what) in [
        (format!("{learners}:3: id"), "duplicate learner id"),
        (format!("{learners}:4: school"), "unknown school \"NO-SUCH-SCHOOL\""),
        (format!("{learners}:5: lat"), "123 is out of range"),
        (format!("{learners}:6:"), "row has 10 fields but the header has 11"),
        (format!("{learners}:7: preferences"), "unknown workplace \"W-DOES-NOT-EXIST\""),
        (format!("{recog}:2: seats"), "-3 is negative"),
    ] {
        assert!(t.lines().any(|l| l.contains(&at) && l.contains(what)), "missing `{at}` … `{what}` in:\n{t}");
    }
}

/// `explain` snapshots on the base fixture: one learner with candidates, one
/// pending screening, one failed, one with nothing within commuting distance.
#[test]
fn explain_snapshots() {
    for learner in ["L01", "L03", "L04", "L06", "L08"] {
        let out = run(bin().arg("explain").arg(data("base")).args(["--learner", learner]));
        let actual = format!("exit: {}\n{}", out.status.code().unwrap_or(-1), text(&out));
        check(&actual, &data(&format!("explain/{learner}.expected.txt")));
    }
}

#[test]
fn explain_unknown_learner_is_a_usage_error_with_a_suggestion() {
    let out = run(bin().arg("explain").arg(data("base")).args(["--learner", "l01"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("did you mean L01?"), "{}", text(&out));
}
