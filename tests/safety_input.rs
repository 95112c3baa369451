//! Small files that used to cost gigabytes, ids that only look alike, and
//! values that could drive the terminal (issue 11, items 8 and 9). Each test
//! drives the real binary: a refusal is exit code 2 with a message that says
//! what to do, nothing written, no panic and no backtrace.
//!
//! - Candidate pairs are counted before they are generated: a season in which
//!   every learner reaches every site is refused at once (`--max-pairs`).
//! - Workbooks: a string longer than a cell, a shared string used by many
//!   cells, a reader failure: refused without holding the text.
//! - Values quoted in messages are cut; hidden characters are escaped.
//! - Ids are compared in Unicode NFC; look-alike ids get one warning.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Instant;

mod common;
use common::{bin, data, text as printed};

/// The first lines of a long output, for assertion messages.
fn clip(t: &str) -> String {
    t.lines().take(20).map(|l| l.chars().take(300).collect::<String>() + "\n").collect()
}

/// Exit code 2, every one of `messages` printed, no panic, no backtrace.
fn assert_refused(out: &Output, messages: &[&str]) {
    let err = printed(out);
    assert_eq!(out.status.code(), Some(2), "exit code; stderr:\n{}", clip(&err));
    for m in messages {
        assert!(err.contains(m), "expected {m:?} in:\n{}", clip(&err));
    }
    for bad in ["panicked", "backtrace", "memory allocation"] {
        assert!(!err.contains(bad), "{bad:?} in:\n{}", clip(&err));
    }
}

/// A directory in which `--out` is created; checks that nothing was.
struct OutParent(tempfile::TempDir);

impl OutParent {
    fn new() -> Self {
        OutParent(tempfile::tempdir().unwrap())
    }

    fn out(&self) -> PathBuf {
        self.0.path().join("results")
    }

    fn assert_empty(&self) {
        let left: Vec<_> = fs::read_dir(self.0.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "written although refused: {left:?}");
    }
}

/// The tables of `tests/data/base` as rows of cells, header first.
fn base_tables() -> Vec<(&'static str, Vec<Vec<String>>)> {
    ["programmes", "schools", "learners", "workplaces", "recognitions"]
        .into_iter()
        .map(|t| {
            let mut rdr =
                csv::ReaderBuilder::new().has_headers(false).from_path(data(&format!("base/{t}.csv"))).unwrap();
            let rows = rdr
                .records()
                .map(|r| r.unwrap().iter().map(|c| c.trim_start_matches('\u{feff}').to_string()).collect())
                .collect();
            (t, rows)
        })
        .collect()
}

/// Writes `tables` as CSV files into a new directory `dir`.
fn write_csv_season(dir: &Path, tables: &[(&str, Vec<Vec<String>>)]) {
    fs::create_dir_all(dir).unwrap();
    for (name, rows) in tables {
        let mut w = csv::Writer::from_path(dir.join(format!("{name}.csv"))).unwrap();
        for r in rows {
            w.write_record(r).unwrap();
        }
        w.flush().unwrap();
    }
}

/// A cell that refers to shared string `i` (for [`write_workbook`]).
fn shared(i: usize) -> String {
    format!("\u{0}{i}")
}

/// The XML escape of `s`.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Writes a workbook with one sheet per table (cells as inline strings, or
/// references to `strings` made by [`shared`]), deflated, built with the zip
/// crate so that it is small on disk whatever the strings unpack to.
fn write_workbook(path: &Path, tables: &[(&str, Vec<Vec<String>>)], strings: &[String]) {
    let col = |c: usize| char::from(b'A' + c as u8);
    let mut entries: Vec<(String, String)> = Vec::new();
    let mut sheets = String::new();
    let mut rels = String::new();
    for (i, (name, rows)) in tables.iter().enumerate() {
        let n = i + 1;
        sheets.push_str(&format!(r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#, xml(name)));
        rels.push_str(&format!(
            r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        ));
        let mut data = String::new();
        for (r, row) in rows.iter().enumerate() {
            data.push_str(&format!(r#"<row r="{}">"#, r + 1));
            for (c, v) in row.iter().enumerate() {
                let at = format!("{}{}", col(c), r + 1);
                match v.strip_prefix('\u{0}') {
                    Some(i) => data.push_str(&format!(r#"<c r="{at}" t="s"><v>{i}</v></c>"#)),
                    None => data.push_str(&format!(r#"<c r="{at}" t="inlineStr"><is><t>{}</t></is></c>"#, xml(v))),
                }
            }
            data.push_str("</row>");
        }
        entries.push((
            format!("xl/worksheets/sheet{n}.xml"),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{data}</sheetData></worksheet>"#
            ),
        ));
    }
    entries.push((
        "xl/workbook.xml".into(),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>"#
        ),
    ));
    rels.push_str(r#"<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>"#);
    entries.push((
        "xl/_rels/workbook.xml.rels".into(),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
        ),
    ));
    let si: String = strings.iter().map(|s| format!("<si><t>{}</t></si>", xml(s))).collect();
    entries.push((
        "xl/sharedStrings.xml".into(),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{si}</sst>"#
        ),
    ));
    let mut zip = zip::ZipWriter::new(fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1));
    for (name, text) in entries {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

/// `len` bytes of letters that deflate about a hundredfold (a 2 KiB
/// pseudo-random block, repeated): within the workbook's compression-ratio
/// limit, so that only the length of the text is in question.
fn long_text(len: usize) -> String {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let block: String = (0..2048)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect();
    block.repeat(len / block.len() + 1)[..len].to_string()
}

/// Runs `validate` and `match --out` on `season` and checks both refuse it
/// with `messages`, writing nothing; returns match's stderr.
fn refuse(season: &Path, messages: &[&str]) -> String {
    let out = bin().arg("validate").arg(season).output().unwrap();
    assert_refused(&out, messages);
    let parent = OutParent::new();
    let out = bin().arg("match").arg(season).arg("--out").arg(parent.out()).arg("-q").output().unwrap();
    assert_refused(&out, messages);
    parent.assert_empty();
    printed(&out)
}

// ------------------------------------------------------------ candidate pairs

/// A season of `learners` × `sites` in which everyone reaches everyone: one
/// programme, one school, every commute cap 100,000 km. 1.2 MB of CSV for
/// 20,000 × 5,000.
fn dense_season(dir: &Path, learners: usize, sites: usize) {
    let mut tables = vec![
        ("programmes", vec![vec!["id".into(), "name".into()], vec!["P1".into(), "Kok".into()]]),
        (
            "schools",
            vec![
                ["id", "name", "lat", "lon"].map(String::from).to_vec(),
                ["S1", "School", "51.05", "3.72"].map(String::from).to_vec(),
            ],
        ),
    ];
    let head = "id,school,programme,lat,lon,max_commute_km,readiness,screening,attributes,preferences";
    let mut l = vec![head.split(',').map(String::from).collect::<Vec<_>>()];
    for i in 0..learners {
        let (lat, lon) = (format!("51.{:03}", i % 1000), format!("3.{:03}", i % 997));
        l.push([&format!("L{i}"), "S1", "P1", &lat, &lon, "100000", "3", "passed", "", ""].map(String::from).to_vec());
    }
    let head = "id,company,lat,lon,capacity,min_readiness,requires,partner_schools,preferences";
    let mut w = vec![head.split(',').map(String::from).collect::<Vec<_>>()];
    let mut r = vec![vec!["workplace".into(), "programme".into(), "seats".into()]];
    for i in 0..sites {
        let (lat, lon) = (format!("50.{:03}", i % 1000), format!("4.{:03}", i % 991));
        w.push([&format!("W{i}"), "C", &lat, &lon, "", "1", "", "", ""].map(String::from).to_vec());
        r.push(vec![format!("W{i}"), "P1".into(), "1".into()]);
    }
    tables.extend([("learners", l), ("workplaces", w), ("recognitions", r)]);
    write_csv_season(dir, &tables);
}

const WHAT_TO_DO: [&str; 3] = ["lower the learners' max_commute_km", "raise --max-pairs", "(nothing was written)"];

#[test]
fn a_season_where_20000_learners_reach_5000_sites_is_refused_before_scoring() {
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("dense");
    dense_season(&season, 20_000, 5_000);
    let size: u64 = fs::read_dir(&season).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
    assert!(size < 1_300_000, "{size} bytes");
    let count = "about 100,000,000 candidate pairs (20,000 learners reach 5,000 sites each on average)";
    let budget = "more than the budget of 50,000,000 pairs";
    let mut messages = vec![count, budget];
    messages.extend(WHAT_TO_DO);

    // match, compare and score each refuse it, writing nothing.
    for (cmd, extra) in [("match", vec![]), ("compare", vec!["--policies", "greedy"]), ("score", vec![])] {
        let parent = OutParent::new();
        let out = parent.out();
        let run = bin().arg(cmd).arg(&season).args(&extra).arg("--out").arg(&out).arg("-q").output().unwrap();
        assert_refused(&run, &messages);
        if cmd != "score" {
            assert!(printed(&run).contains("supply scored pairs instead"), "{cmd}: {}", printed(&run));
        }
        parent.assert_empty();
    }
    // rematch too (after a first result, which needs no scoring here: an empty previous result).
    let previous = tmp.path().join("previous");
    fs::create_dir_all(&previous).unwrap();
    fs::write(previous.join("placements.csv"), "learner,workplace,programme,score\n").unwrap();
    let changes = tmp.path().join("changes.csv");
    fs::write(&changes, "event,learner,workplace,programme,seats\nlearner_left,L1,,,\n").unwrap();
    let parent = OutParent::new();
    let run = bin()
        .args(["rematch", "-q"])
        .arg(&season)
        .arg("--previous")
        .arg(&previous)
        .arg("--changes")
        .arg(&changes)
        .arg("--out")
        .arg(parent.out())
        .output()
        .unwrap();
    assert_refused(&run, &messages);
    parent.assert_empty();
}

#[test]
fn a_season_where_40000_learners_reach_5000_sites_is_refused_instead_of_aborting() {
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("dense");
    dense_season(&season, 40_000, 5_000);
    let parent = OutParent::new();
    let t = Instant::now();
    let run = bin().arg("match").arg(&season).arg("--out").arg(parent.out()).arg("-q").output().unwrap();
    let mut messages = vec!["about 200,000,000 candidate pairs (40,000 learners reach 5,000 sites"];
    messages.extend(WHAT_TO_DO);
    assert_refused(&run, &messages);
    parent.assert_empty();
    // Not a timing test: for the failure message only.
    eprintln!("refused in {:.1} s", t.elapsed().as_secs_f64());
}

#[test]
fn max_pairs_sets_the_budget() {
    let parent = OutParent::new();
    let run = |max: &str| {
        let args = ["--max-pairs", max, "--out"];
        bin().arg("match").arg(data("base")).args(args).arg(parent.out()).arg("-q").output().unwrap()
    };
    assert_refused(&run("2"), &["candidate pairs", "more than the budget of 2 pairs", "raise --max-pairs above 2"]);
    parent.assert_empty();
    // The same season within its budget: matched.
    let out = run("1000");
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    // A budget of 0 pairs is a usage error of its own.
    let run = bin().arg("score").arg(data("base")).args(["--max-pairs", "0", "--out", "x.csv"]).output().unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(printed(&run).contains("--max-pairs"), "{}", printed(&run));
}

// ------------------------------------------------------------------ workbooks

/// The base season as a workbook in `dir`, with `edit` applied to its tables
/// and `strings` as its shared strings.
fn base_workbook(
    dir: &Path,
    strings: &[String],
    edit: impl FnOnce(&mut Vec<(&'static str, Vec<Vec<String>>)>),
) -> PathBuf {
    let mut tables = base_tables();
    edit(&mut tables);
    let path = dir.join("season.xlsx");
    write_workbook(&path, &tables, strings);
    path
}

#[test]
fn a_shared_string_of_8_mb_used_by_200_cells_is_refused_unread() {
    let tmp = tempfile::tempdir().unwrap();
    let two_hundred = |t: &mut Vec<(&str, Vec<Vec<String>>)>| {
        let programmes = &mut t[0].1;
        for i in 0..200 {
            programmes.push(vec![format!("P-X{i}"), shared(0)]);
        }
    };
    // With a short shared string, the workbook is a valid season.
    let book = base_workbook(tmp.path(), &["Kok".into()], two_hundred);
    let out = bin().arg("validate").arg(&book).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let book = base_workbook(tmp.path(), &[long_text(8 << 20)], two_hundred);
    let size = fs::metadata(&book).unwrap().len();
    assert!(size < 400_000, "the workbook is {size} bytes");
    let err = refuse(
        &book,
        &[
            "too large to read: entry \"xl/sharedStrings.xml\" of the workbook holds a value or string longer than \
             1048576 bytes",
            "save the tables as CSV files in a directory and load that instead",
        ],
    );
    assert!(err.len() < 2000, "{} bytes of messages", err.len());
}

#[test]
fn a_shared_string_used_by_many_cells_counts_once_per_cell() {
    // 900 KB (under the 1 MiB of a cell) in 100 cells: 90 MB of text from a
    // workbook of a few KB, more than the 64 MiB any workbook may stand for.
    let tmp = tempfile::tempdir().unwrap();
    let book = base_workbook(tmp.path(), &[long_text(900_000)], |t| {
        for i in 0..100 {
            t[0].1.push(vec![format!("P-X{i}"), shared(0)]);
        }
    });
    let size = fs::metadata(&book).unwrap().len();
    assert!(size < 50_000, "the workbook is {size} bytes");
    refuse(
        &book,
        &[
            "the cells of the workbook stand for more than 67108864 bytes of text (a shared string counts once per \
             cell that uses it;",
            "reading stopped there; save the tables as CSV files in a directory and load that instead",
        ],
    );
}

#[test]
fn a_cell_of_8_mb_is_refused_unread() {
    let tmp = tempfile::tempdir().unwrap();
    let book = base_workbook(tmp.path(), &[], |t| t[0].1[1][1] = long_text(8 << 20));
    let err = refuse(
        &book,
        &["entry \"xl/worksheets/sheet1.xml\" of the workbook holds a value or string longer than 1048576 bytes"],
    );
    assert!(err.len() < 2000, "{} bytes of messages", err.len());
}

#[test]
fn a_workbook_the_reader_fails_on_is_refused_without_a_panic_message() {
    // A cell refers to shared string 5 of none: calamine indexes out of bounds.
    let tmp = tempfile::tempdir().unwrap();
    let book = base_workbook(tmp.path(), &[], |t| t[0].1[1][1] = shared(5));
    refuse(&book, &["the workbook could not be read (the reader failed on malformed content)"]);
}

// ------------------------------------------------------------------- messages

#[test]
fn values_quoted_in_messages_are_cut_to_one_short_line() {
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("season");
    let mut tables = base_tables();
    // A 500 KB screening value (under the 1 MiB row limit) and a 309-digit latitude.
    tables[2].1[1][7] = "y".repeat(500_000);
    tables[1].1[1][2] = "1e308".into();
    write_csv_season(&season, &tables);
    let err = refuse(
        &season,
        &["lat: 1e308 is out of range; a latitude must be between -90 and 90 degrees", "screening: \"yyyy"],
    );
    assert!(err.lines().all(|l| l.chars().count() < 400), "a long line in:\n{}", clip(&err));
    assert!(err.len() < 3000, "{} bytes of messages", err.len());
    assert!(err.contains("… (499880 more bytes)\" is not a screening outcome"), "{}", clip(&err));
    assert!(!err.contains("0000000000"), "{}", clip(&err));
}

#[test]
fn json_values_quoted_in_messages_are_cut() {
    let tmp = tempfile::tempdir().unwrap();
    let big = "n".repeat(5 << 20);
    // A 5 MB latitude, and a 5 MB string where a record should be.
    let bad = fs::read_to_string(data("json/bad.json")).unwrap().replace("\"north\"", &format!("\"{big}\""));
    let not_a_record = format!("{{\"programmes\": [\"{big}\"]}}");
    for (name, text, message) in [
        ("bad.json", bad, "lat: \"nnnn"),
        ("record.json", not_a_record, "is not a valid season JSON document: invalid type: string \"nnnn"),
    ] {
        let file = tmp.path().join(name);
        fs::write(&file, text).unwrap();
        let err = refuse(&file, &[message]);
        assert!(err.lines().all(|l| l.chars().count() < 600), "a long line in:\n{}", clip(&err));
        assert!(err.len() < 5000, "{} bytes of messages", err.len());
    }
}

#[test]
fn escape_and_bidirectional_characters_never_reach_the_terminal_raw() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = ['\u{1b}', '\u{202e}', '\u{7}'];
    // A sheet named with an escape sequence and a right-to-left override.
    let book = base_workbook(tmp.path(), &[], |t| t.push(("\u{1b}[31mred\u{202e}txt", vec![vec!["a".into()]])));
    let out = bin().arg("validate").arg(&book).output().unwrap();
    let err = printed(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("sheet '\\u{001B}[31mred\\u{202E}txt' is not a season table"), "{err}");
    assert!(!err.contains(raw), "raw control characters in:\n{err:?}");

    // A learner id with them, in `explain` and in match's warning about
    // supplied pairs that break a gate.
    let season = tmp.path().join("season");
    let mut tables = base_tables();
    let evil = "L\u{1b}[2J\u{202e}04\u{7}";
    tables[2].1[4][0] = evil.into(); // L04: screening pending
    write_csv_season(&season, &tables);
    let out = bin().arg("explain").arg(&season).args(["--learner", evil]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert!(text.contains("Learner L\\u{001B}[2J\\u{202E}04\\u{0007} — school S-SN"), "{text}");
    assert!(!text.contains(raw), "raw control characters in:\n{text:?}");

    let candidates = tmp.path().join("candidates.csv");
    let pairs = format!("learner,workplace,programme,score\n\"{evil}\",W-GENT3,P-ELEK,50\nL03,W-GENT3,P-ELEK,50\n");
    fs::write(&candidates, pairs).unwrap();
    let parent = OutParent::new();
    let out = bin()
        .arg("match")
        .arg(&season)
        .arg("--candidates")
        .arg(&candidates)
        .arg("--out")
        .arg(parent.out())
        .output()
        .unwrap();
    let err = printed(&out);
    assert!(
        err.contains("1 supplied candidate pair(s) break a hard gate and are not used, for example \"L\\u{001B}[2J"),
        "{err}"
    );
    assert!(!err.contains(raw), "raw control characters in:\n{err:?}");
}

// ------------------------------------------------------------------------ ids

#[test]
fn an_id_written_in_nfc_and_in_nfd_is_one_id() {
    let (nfc, nfd) = ("P\u{e9}", "Pe\u{301}");
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("season");
    let mut tables = base_tables();
    // Programme P-KOK becomes "Pé": NFC in programmes.csv and in one learner,
    // NFD in the recognitions and the other learners.
    let kok = |v: &mut String, to: &str| {
        if v == "P-KOK" {
            *v = to.to_string();
        }
    };
    kok(&mut tables[0].1[1][0], nfc);
    for (i, row) in tables[2].1.iter_mut().enumerate() {
        kok(&mut row[2], if i == 1 { nfc } else { nfd });
    }
    for row in &mut tables[4].1 {
        kok(&mut row[1], nfd);
    }
    write_csv_season(&season, &tables);
    let parent = OutParent::new();
    let out = bin().arg("match").arg(&season).arg("--out").arg(parent.out()).arg("-q").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let placements = fs::read_to_string(parent.out().join("placements.csv")).unwrap();
    let placed = placements.lines().filter(|l| l.contains(nfc)).count();
    assert_eq!(placed, 3, "{placements}");
    assert!(!placements.contains(nfd), "{placements}");
}

#[test]
fn ids_that_differ_only_by_case_or_invisible_characters_get_one_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("season");
    let mut tables = base_tables();
    // Learners that no workplace refers to get look-alike ids.
    let learners = &mut tables[2].1;
    learners[3][0] = "l01".into();
    learners[4][0] = "L01\u{200b}".into();
    learners[6][0] = "l07".into();
    write_csv_season(&season, &tables);
    let out = bin().arg("validate").arg(&season).output().unwrap();
    let err = printed(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("differ only by case")).collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(
        warnings[0].contains(
            "learners.csv: id: 5 learner ids in 2 groups differ only by case or by invisible characters, for example \
             \"L01\" (line 2), \"l01\" (line 4), \"L01\\u{200B}\" (line 5); \"l07\" (line 7), \"L07\" (line 8)"
        ),
        "{err}"
    );
}
