//! The CSV files that Excel writes in every locale (issue 12, item 1): a
//! season saved by Belgian Excel (semicolons, decimal commas, Windows-1252,
//! CRLF) validates and matches exactly like the same season saved as UTF-8
//! with commas.
//!
//! `tests/data/belgian-excel/` is `data/sample` as Belgian Excel writes it,
//! made by [`belgian_excel`] below; the first test checks that the committed
//! files are still exactly that (run with `UPDATE_EXPECT=1` to rewrite them
//! after `data/sample` changes).

use std::fs;
use std::path::Path;

mod common;
use common::{bin, data, repo, run, text};

/// The tables of a season directory.
const TABLES: [&str; 5] = ["programmes", "schools", "learners", "workplaces", "recognitions"];

/// The columns that hold numbers (Excel writes them with a decimal comma).
const NUMBER_COLUMNS: [&str; 8] =
    ["lat", "lon", "max_commute_km", "readiness", "capacity", "min_readiness", "seats", "score"];

/// `text` in Windows-1252, a character that it cannot hold written as `?`
/// (as Excel does).
fn windows_1252(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for c in text.chars() {
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(c.encode_utf8(&mut buf));
        out.extend_from_slice(if unmappable { b"?" } else { &bytes });
    }
    out
}

/// A character that Windows-1252 cannot hold replaced by `?`, as in
/// [`windows_1252`]: the text Excel saves.
fn as_excel_keeps(text: &str) -> String {
    encoding_rs::WINDOWS_1252.decode_without_bom_handling(&windows_1252(text)).0.into_owned()
}

/// A UTF-8, comma-separated CSV table as Belgian Excel saves it ("CSV
/// (puntkommagescheiden)"): `;` between values (a value holding `;` or `"` in
/// quotes), a decimal comma in number columns, CRLF, Windows-1252.
fn belgian_excel(csv_text: &str) -> Vec<u8> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(csv_text.as_bytes());
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut numbers = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.unwrap();
        if i == 0 {
            numbers = rec.iter().map(|h| NUMBER_COLUMNS.contains(&h)).collect();
        }
        let cells: Vec<String> = rec
            .iter()
            .zip(&numbers)
            .map(|(c, n)| if *n && i > 0 { c.replace('.', ",") } else { c.to_string() })
            .collect();
        w.write_record(&cells).unwrap();
    }
    windows_1252(&String::from_utf8(w.into_inner().unwrap()).unwrap())
}

#[test]
fn the_belgian_fixture_is_data_sample_as_belgian_excel_saves_it() {
    let dir = data("belgian-excel");
    for t in TABLES {
        let original = fs::read_to_string(repo(&format!("data/sample/{t}.csv"))).unwrap();
        let want = belgian_excel(&original);
        let path = dir.join(format!("{t}.csv"));
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            fs::create_dir_all(&dir).unwrap();
            fs::write(&path, &want).unwrap();
        }
        let have = fs::read(&path).unwrap_or_else(|_| panic!("missing {}; run with UPDATE_EXPECT=1", path.display()));
        assert!(have == want, "{} is not data/sample/{t}.csv as Belgian Excel saves it", path.display());
    }
    // The fixture really is in the Belgian dialect.
    let w = fs::read(dir.join("workplaces.csv")).unwrap();
    assert!(std::str::from_utf8(&w).is_err(), "not Windows-1252");
    assert!(w.starts_with(b"id;company;lat;lon;") && w.windows(2).any(|p| p == b"\r\n"));
    let l = fs::read_to_string(dir.join("learners.csv")).unwrap();
    assert!(l.lines().nth(1).unwrap().contains(";51,"), "no decimal comma: {}", l.lines().nth(1).unwrap());
}

/// `data/sample` as UTF-8 with commas, with the characters that
/// Windows-1252 cannot hold replaced as Excel replaces them: the season the
/// Belgian fixture must read as.
fn reference_season(to: &Path) {
    fs::create_dir_all(to).unwrap();
    for t in TABLES {
        let original = fs::read_to_string(repo(&format!("data/sample/{t}.csv"))).unwrap();
        fs::write(to.join(format!("{t}.csv")), as_excel_keeps(&original)).unwrap();
    }
}

/// Every file of a result directory, by name.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| (e.file_name().into_string().unwrap(), fs::read(e.path()).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn a_belgian_excel_season_validates_and_matches_exactly_like_the_original() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = tmp.path().join("season");
    reference_season(&reference);
    // The same season in both places, so that paths written into results are equal.
    let belgian = tmp.path().join("belgian").join("season");
    common::copy_dir(&data("belgian-excel"), &belgian);
    let reference_dir = tmp.path().join("reference-run");
    fs::create_dir_all(&reference_dir).unwrap();
    fs::rename(&reference, reference_dir.join("season")).unwrap();
    let reference = reference_dir.join("season");

    // validate: the same summary; the Belgian files get one note each for their encoding.
    let v_ref = run(bin().arg("validate").arg(&reference));
    let v_be = run(bin().arg("validate").arg(&belgian));
    assert_eq!(v_ref.status.code(), Some(0), "{}", text(&v_ref));
    assert_eq!(v_be.status.code(), Some(0), "{}", text(&v_be));
    let ok_line = |o: &std::process::Output| {
        String::from_utf8_lossy(&o.stdout).lines().find(|l| l.starts_with("season ok")).unwrap_or_default().to_string()
    };
    assert!(!ok_line(&v_ref).is_empty());
    assert_eq!(ok_line(&v_ref), ok_line(&v_be));
    let be_out = String::from_utf8_lossy(&v_be.stdout).to_string();
    let ref_out = String::from_utf8_lossy(&v_ref.stdout).to_string();
    // Apart from the notes, the same lines (with the paths made equal).
    let strip = |s: &str, p: &Path| -> Vec<String> {
        s.replace(&p.display().to_string(), "SEASON")
            .lines()
            .filter(|l| !l.starts_with("note:"))
            .map(String::from)
            .collect()
    };
    assert_eq!(strip(&be_out, &belgian), strip(&ref_out, &reference));
    let notes: Vec<&str> = be_out.lines().filter(|l| l.starts_with("note:")).collect();
    assert_eq!(notes.len(), 2, "one note per Windows-1252 file with accents (schools, workplaces):\n{be_out}");
    assert!(notes.iter().all(|n| n.contains("read as Windows-1252")), "{notes:?}");

    // match: byte-identical result files.
    let out_ref = reference_dir.join("out");
    let out_be = tmp.path().join("belgian").join("out");
    for (season, out) in [(&reference, &out_ref), (&belgian, &out_be)] {
        let o = run(bin().arg("match").arg(season).args(["-q", "--no-timings", "--no-advice", "--out"]).arg(out));
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    let (a, b) = (files(&out_ref), files(&out_be));
    assert!(a.iter().any(|(n, _)| n == "placements.csv"));
    assert_eq!(a.iter().map(|f| &f.0).collect::<Vec<_>>(), b.iter().map(|f| &f.0).collect::<Vec<_>>());
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        if name == "warnings.csv" {
            // The same warnings, with the season's path; the Belgian season's notes besides.
            let rows = |bytes: &[u8], season: &Path| -> Vec<String> {
                let text = String::from_utf8(bytes.to_vec()).unwrap().replace(&season.display().to_string(), "SEASON");
                text.lines().filter(|l| !l.starts_with("note,")).map(String::from).collect()
            };
            assert_eq!(rows(x, &reference), rows(y, &belgian));
            let notes = String::from_utf8_lossy(y).lines().filter(|l| l.starts_with("note,")).count();
            assert_eq!(notes, 2, "{}", String::from_utf8_lossy(y));
            continue;
        }
        assert!(x == y, "{name} differs between the UTF-8 season and the Belgian Excel one");
    }
}

#[test]
fn changes_and_previous_placements_in_the_belgian_dialect_rematch_like_the_originals() {
    let tmp = tempfile::tempdir().unwrap();
    let season = data("base");
    let first = tmp.path().join("first");
    let o = run(bin().arg("match").arg(&season).args(["-q", "--no-timings", "--out"]).arg(&first));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // The earlier result's placements.csv as Excel saves it again, and the same changes in both dialects.
    let previous_be = tmp.path().join("first-be");
    common::copy_dir(&first, &previous_be);
    let placements = fs::read_to_string(first.join("placements.csv")).unwrap();
    fs::write(previous_be.join("placements.csv"), belgian_excel(&placements)).unwrap();
    let changes = "event,learner,workplace,programme,seats\nlearner_left,L01,,,\nseats_added,,W-GENT2,P-KOK,1\n";
    let changes_utf8 = tmp.path().join("changes.csv");
    fs::write(&changes_utf8, changes).unwrap();
    // With a comment in Windows-1252 (an extra column), so that the file is not UTF-8.
    let changes_be = tmp.path().join("changes-be.csv");
    let be = belgian_excel(&changes.replace("seats\n", "seats,remark\n").replace(",1\n", ",1,café\n"));
    fs::write(&changes_be, &be).unwrap();
    assert!(std::str::from_utf8(&be).is_err() && be.starts_with(b"event;learner;"));

    let rematch = |previous: &Path, changes: &Path, out: &str| {
        let out = tmp.path().join(out);
        let o = run(bin()
            .arg("rematch")
            .arg(&season)
            .arg("--previous")
            .arg(previous)
            .arg("--changes")
            .arg(changes)
            .args(["--no-timings", "--out"])
            .arg(&out));
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        (files(&out), String::from_utf8_lossy(&o.stderr).to_string())
    };
    let (a, _) = rematch(&first, &changes_utf8, "second");
    let (b, stderr) = rematch(&previous_be, &changes_be, "second-be");
    assert!(stderr.contains("changes-be.csv: is not UTF-8; it was read as Windows-1252"), "{stderr}");
    assert!(a.iter().any(|(n, _)| n == "placement_changes.csv"));
    for ((name, x), (name_b, y)) in a.iter().zip(&b) {
        assert_eq!(name, name_b);
        // summary.json and warnings.csv name the input paths, which differ.
        if name != "summary.json" && name != "warnings.csv" {
            assert!(x == y, "{name} differs between the UTF-8 inputs and the Belgian Excel ones");
        }
    }
    assert_eq!(a.len(), b.len());
}

#[test]
fn a_candidates_file_with_decimal_comma_scores_matches_like_the_original() {
    let tmp = tempfile::tempdir().unwrap();
    let season = data("base");
    let cands = tmp.path().join("candidates.csv");
    let o = run(bin().arg("score").arg(&season).arg("-q").arg("--out").arg(&cands));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let original = fs::read_to_string(&cands).unwrap();
    let be = tmp.path().join("candidates-be.csv");
    fs::write(&be, belgian_excel(&original)).unwrap();
    let be_text = String::from_utf8_lossy(&fs::read(&be).unwrap()).to_string();
    assert!(be_text.lines().nth(1).unwrap().contains(';') && be_text.contains(','), "{be_text}");
    let mut placements = Vec::new();
    for (file, out) in [(&cands, "a"), (&be, "b")] {
        let out = tmp.path().join(out);
        let o = run(bin()
            .arg("match")
            .arg(&season)
            .arg("--candidates")
            .arg(file)
            .args(["-q", "--no-timings", "--out"])
            .arg(&out));
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        placements.push(fs::read(out.join("placements.csv")).unwrap());
    }
    assert!(placements[0] == placements[1], "placements differ with the Belgian candidates file");
}
