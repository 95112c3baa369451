//! Hostile inputs: files that are huge, endless, deeply nested or not what
//! they claim to be. Each must give one clear error and exit code 2, without
//! a panic, without reading the whole file into memory, and without writing
//! anything (`--out` is not created and no staging leftovers remain).
//!
//! Large files are sparse (`File::set_len`), so they cost no disk space and
//! read as NUL bytes after whatever was written at their start. Peak memory is
//! measured by hand (see docs/reliability.md), not here.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{bin, data, text};

const GIB: u64 = 1 << 30;
const MIB: usize = 1 << 20;

/// A copy of `tests/data/base` in a fresh temporary directory.
fn base_season() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("season");
    fs::create_dir_all(&season).unwrap();
    for e in fs::read_dir(data("base")).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), season.join(e.file_name())).unwrap();
    }
    (tmp, season)
}

/// Writes `head` to `path`, then extends the file to `len` bytes (sparse NULs).
fn sparse(path: &Path, head: &[u8], len: u64) {
    let mut f = fs::File::create(path).unwrap();
    f.write_all(head).unwrap();
    f.set_len(len).unwrap();
}

/// What a run must show: exit code 2, `message` in the output, and no panic.
fn assert_bad_input(out: &Output, message: &str) {
    let t = text(out);
    assert_eq!(out.status.code(), Some(2), "exit code; output:\n{}", clip(&t));
    assert!(t.contains(message), "expected {message:?} in:\n{}", clip(&t));
    assert!(!t.contains("panicked"), "panic:\n{}", clip(&t));
}

/// The first lines of a long output, for assertion messages.
fn clip(t: &str) -> String {
    t.lines().take(20).map(|l| l.chars().take(300).collect::<String>() + "\n").collect()
}

/// Runs `validate` and `match --out` on `season` (with `extra` arguments for
/// `match`) and checks both refuse it with `message`, writing nothing.
fn refuse(season: &Path, extra: &[&std::ffi::OsStr], message: &str) {
    let out = bin().arg("validate").arg(season).output().unwrap();
    assert_bad_input(&out, message);

    let parent = tempfile::tempdir().unwrap();
    let dest = parent.path().join("results");
    let out = bin().arg("match").arg(season).args(extra).arg("--out").arg(&dest).arg("--quiet").output().unwrap();
    assert_bad_input(&out, message);
    assert!(!dest.exists(), "{} was created", dest.display());
    let left: Vec<_> = fs::read_dir(parent.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "left behind in the output's parent: {left:?}");
}

#[test]
fn a_1_gib_learners_csv_of_nul_bytes_stops_at_the_first_mib() {
    let (_tmp, season) = base_season();
    sparse(&season.join("learners.csv"), b"", GIB);
    refuse(&season, &[], "learners.csv:1: line 1 is longer than 1 MiB; is this a CSV file?");
}

#[test]
fn a_1_gib_learners_csv_of_garbage_lines_stops_after_100_problems() {
    let (_tmp, season) = base_season();
    let mut head = fs::read(data("base/learners.csv")).unwrap();
    for i in 0..20_000u32 {
        head.extend(format!("\u{1}garbage{i},\u{7f};\n").as_bytes());
        head.extend([0xff, 0xfe, b',', b'\n']);
    }
    sparse(&season.join("learners.csv"), &head, GIB);
    refuse(&season, &[], "learners.csv: stopped reading after 100 problems; fix these first");
}

#[test]
fn a_line_over_1_mib_is_refused() {
    let (_tmp, season) = base_season();
    let mut csv = fs::read(data("base/learners.csv")).unwrap();
    let line = csv.iter().filter(|b| **b == b'\n').count() + 1;
    csv.extend(b"L99,S-GENT,P-KOK,51,3.7,20,3,passed,");
    csv.resize(csv.len() + MIB + MIB / 2, b'a');
    csv.extend(b",,\n");
    fs::write(season.join("learners.csv"), &csv).unwrap();
    refuse(&season, &[], &format!("learners.csv:{line}: line {line} is longer than 1 MiB; is this a CSV file?"));
}

#[test]
fn an_unclosed_quote_is_refused_after_1_mib() {
    let (_tmp, season) = base_season();
    let mut csv = fs::read(data("base/learners.csv")).unwrap();
    let line = csv.iter().filter(|b| **b == b'\n').count() + 1;
    csv.extend(b"L99,\"S-GENT,P-KOK,51,3.7,20,3,passed,,,\n");
    while csv.len() < 2 * MIB {
        csv.extend(b"L98,S-GENT,P-KOK,51,3.7,20,3,passed,,,\n");
    }
    fs::write(season.join("learners.csv"), &csv).unwrap();
    refuse(
        &season,
        &[],
        &format!(
            "the row starting at line {line} is longer than 1 MiB and runs over several lines; is a closing quote"
        ),
    );
}

#[test]
fn a_row_with_a_million_columns_is_refused() {
    let (_tmp, season) = base_season();
    let mut csv = fs::read(data("base/learners.csv")).unwrap();
    csv.extend(b"L99");
    csv.extend(std::iter::repeat_n(b',', 1_000_000));
    csv.push(b'\n');
    fs::write(season.join("learners.csv"), &csv).unwrap();
    refuse(&season, &[], "row has 1000001 fields but the header has 11; there is an extra comma");
}

#[test]
fn a_header_with_a_million_columns_is_refused() {
    let (_tmp, season) = base_season();
    // Under 1 MiB: a million columns, all but two with empty names.
    let mut csv = b"id,name".to_vec();
    csv.extend(std::iter::repeat_n(b',', 999_998));
    csv.extend(b"\nP1,Kok\n");
    fs::write(season.join("programmes.csv"), &csv).unwrap();
    refuse(&season, &[], "programmes.csv:1: the header has 1000000 columns, more than the 1000 read");
}

#[test]
fn duplicated_headers_are_refused() {
    let (_tmp, season) = base_season();
    fs::write(season.join("programmes.csv"), "id,name,ID\nP-KOK,Kok,x\nP-ELEK,Elek,y\nP-FIT,Fit,z\n").unwrap();
    refuse(&season, &[], "programmes.csv:1: id: column \"id\" appears twice (columns 1 and 3)");
}

#[test]
fn a_binary_learners_csv_is_one_clear_error() {
    let (_tmp, season) = base_season();
    fs::copy(data("validate/binary-file/learners.csv"), season.join("learners.csv")).unwrap();
    refuse(&season, &[], "learners.csv:1: the header names none of the expected columns");
}

#[cfg(target_os = "linux")]
#[test]
fn an_endless_learners_csv_stops_at_the_first_mib() {
    let (_tmp, season) = base_season();
    fs::remove_file(season.join("learners.csv")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", season.join("learners.csv")).unwrap();
    refuse(&season, &[], "learners.csv:1: line 1 is longer than 1 MiB; is this a CSV file?");
}

#[test]
fn a_1_gib_candidates_file_is_refused() {
    let (tmp, season) = base_season();
    let candidates = tmp.path().join("candidates.csv");
    sparse(&candidates, b"learner,workplace,programme,score\nL01,W-GENT1,P-KOK,80\n", GIB);
    let parent = tempfile::tempdir().unwrap();
    let dest = parent.path().join("results");
    let out = bin()
        .arg("match")
        .arg(&season)
        .arg("--candidates")
        .arg(&candidates)
        .arg("--out")
        .arg(&dest)
        .arg("--quiet")
        .output()
        .unwrap();
    assert_bad_input(&out, "candidates.csv:3: line 3 is longer than 1 MiB; is this a CSV file?");
    assert!(!dest.exists());
    assert_eq!(fs::read_dir(parent.path()).unwrap().count(), 0, "staging leftovers");
}

#[test]
fn deeply_nested_json_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("deep.json");
    let depth = 100_000;
    let json = format!("{{\"learners\": [{{\"id\": {}{}}}]}}", "[".repeat(depth), "]".repeat(depth));
    fs::write(&season, json).unwrap();
    refuse(&season, &[], "deep.json:1: is not a valid season JSON document: it is nested more than 128 levels deep");
    // Nesting at the top is refused from the first byte.
    fs::write(&season, "[".repeat(depth)).unwrap();
    refuse(&season, &[], "deep.json:1: is not a valid season JSON document: it starts with '[', not '{'");
}

#[test]
fn a_1_gib_json_season_of_nul_bytes_is_refused_from_its_first_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("season.json");
    sparse(&season, b"", GIB);
    refuse(&season, &[], "season.json:1: is not a valid season JSON document: it starts with byte 0x00, not '{'");
}

#[test]
fn a_json_season_over_the_size_limit_is_refused_unread() {
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("season.json");
    let limit = dualmatch_core::season::MAX_JSON_BYTES;
    sparse(&season, b"{\"programmes\": [", limit + 1);
    refuse(&season, &[], &format!("the file is {} bytes, more than the {limit}-byte limit", limit + 1));
}

#[cfg(target_os = "linux")]
#[test]
fn dev_zero_as_a_season_is_refused() {
    refuse(Path::new("/dev/zero"), &[], "/dev/zero:1: is not a valid season JSON document: it starts with byte 0x00");
}

/// Found by review: a huge score made the network solver panic.
#[test]
fn a_huge_candidate_score_is_refused() {
    let (_tmp, season) = base_season();
    let csv = "learner,workplace,programme,score\nL01,W-GENT1,P-KOK,1e300\nL02,W-GENT2,P-KOK,5\n";
    fs::write(season.join("candidates.csv"), csv).unwrap();
    refuse(&season, &[], "candidates.csv:2: score: 1e300 is too large; scores must be at most 10000");
}

/// A workbook whose sheet packs 4 MiB of zeros into 4 KiB (a zip bomb in
/// miniature: no real sheet packs more than about 15-fold) is refused before
/// it is unpacked, by `validate` and by `match`, and nothing is written.
#[test]
fn a_zip_bomb_workbook_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("season.xlsx");
    let mut w = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    w.start_file("xl/worksheets/sheet1.xml", zip::write::SimpleFileOptions::default()).unwrap();
    w.write_all(&vec![0u8; 4 << 20]).unwrap();
    w.finish().unwrap();
    refuse(&path, &[], "more than the 200-fold limit");
}

/// Random bytes named `.xlsx` are one clear error, not a panic.
#[test]
fn a_corrupt_workbook_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("season.xlsx");
    fs::write(&path, b"PK\x03\x04 this is not really a zip archive").unwrap();
    refuse(&path, &[], "season.xlsx");
}

/// The exit-code table of docs/reliability.md, read from the file, against
/// the binary: each documented code 0–3 is produced by a case of its kind,
/// and nothing is written unless the table says so.
#[test]
fn the_documented_exit_codes_are_the_binarys() {
    let doc = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/reliability.md")).unwrap();
    let table = doc.split("## Exit codes").nth(1).unwrap().split("\n## ").next().unwrap();
    let codes: Vec<String> = table
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(" |").next())
        .filter(|c| c.chars().next().is_some_and(|ch| ch.is_ascii_digit()))
        .map(str::to_string)
        .collect();
    assert_eq!(codes, ["0", "1", "2", "3", "130, 143"], "the table changed: {table}");
    let (tmp, season) = base_season();
    let out = tmp.path().join("out");
    let code = |o: &Output| o.status.code();
    // 0: success, the output written.
    let ok = bin().arg("match").arg(&season).arg("-q").arg("--out").arg(&out).output().unwrap();
    assert_eq!(code(&ok), Some(0), "{}", text(&ok));
    assert!(out.join("placements.csv").is_file());
    // 1: infeasible, nothing written.
    let floors = tmp.path().join("floors.toml");
    fs::write(&floors, "[[school]]\nschool = \"S-SN\"\nprogramme = \"P-KOK\"\nmin = 1000\n").unwrap();
    let out1 = tmp.path().join("out1");
    let inf =
        bin().arg("match").arg(&season).arg("--constraints").arg(&floors).arg("--out").arg(&out1).output().unwrap();
    assert_eq!(code(&inf), Some(1), "{}", text(&inf));
    assert!(text(&inf).contains("cannot all be met") && !out1.exists(), "{}", text(&inf));
    // 2: bad input, nothing written; an option file is capped at 16 MiB (/dev/zero is refused, not read to the end).
    let out2 = tmp.path().join("out2");
    let bad =
        bin().arg("match").arg(&season).args(["--constraints", "/dev/zero"]).arg("--out").arg(&out2).output().unwrap();
    assert_eq!(code(&bad), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("larger than 16 MiB") && !out2.exists(), "{}", text(&bad));
    // 3: an I/O failure (the output's parent is a file), nothing written.
    let file = tmp.path().join("a-file");
    fs::write(&file, "x").unwrap();
    let io = bin().arg("match").arg(&season).arg("-q").arg("--out").arg(file.join("results")).output().unwrap();
    assert_eq!(code(&io), Some(3), "{}", text(&io));
    assert_eq!(fs::read_to_string(&file).unwrap(), "x");
}

/// The TOML nesting row of docs/reliability.md: a constraints or weights file
/// nested 100,000 levels deep is one clear error (exit 2, nothing written).
#[test]
fn deeply_nested_toml_is_a_clear_error() {
    let (tmp, season) = base_season();
    let depth = 100_000;
    for (name, text) in [
        ("deep.toml", format!("a = {}{}\n", "[".repeat(depth), "]".repeat(depth))),
        ("deep-table.toml", format!("a = {}1{}\n", "{b=".repeat(depth), "}".repeat(depth))),
    ] {
        let file = tmp.path().join(name);
        fs::write(&file, text).unwrap();
        let parent = tempfile::tempdir().unwrap();
        let dest = parent.path().join("results");
        let out =
            bin().arg("match").arg(&season).arg("--constraints").arg(&file).arg("--out").arg(&dest).output().unwrap();
        assert_bad_input(&out, &format!("{name}:1: recursion limit exceeded; see docs/constraints.md for the format"));
        assert!(!dest.exists());
        let out = bin().arg("score").arg(&season).arg("--weights").arg(&file).arg("--out").arg(&dest).output().unwrap();
        assert_bad_input(&out, "recursion limit exceeded");
        assert!(!dest.exists());
        assert_eq!(fs::read_dir(parent.path()).unwrap().count(), 0, "staging leftovers");
    }
}
