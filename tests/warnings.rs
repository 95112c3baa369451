//! Plausibility warnings and no floods (issue 12, items 2 and 3): swapped or
//! far-away coordinates, implausible commutes and seat counts are flagged
//! with their rows; `validate --strict` fails on them; warnings of one kind
//! are one line (all of them with `--verbose`, and in `warnings.csv`); a
//! generated sweep has no zero-seat recognition and a sweep compare prints a
//! handful of lines.

use std::fs;
use std::path::Path;
use std::process::Output;

mod common;
use common::{bin, data, repo, run, text};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// The messages of the plausibility checks (one phrase each).
const PLAUSIBILITY: [&str; 5] = [
    "look swapped",
    "from the middle of the season's other places",
    "max_commute_km of learner",
    "is far above the rest",
    "so cannot be placed",
];

/// Whether `line` is a plausibility warning.
fn is_plausibility(line: &str) -> bool {
    PLAUSIBILITY.iter().any(|p| line.contains(p))
}

/// Generates a season with `dualmatch generate`.
fn generate(args: &[&str], out: &Path) {
    let o = run(bin().arg("generate").args(args).arg("--out").arg(out).arg("-q"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

/// Exchanges lat and lon of the first `n` rows of a CSV table with those columns.
fn swap_lat_lon(file: &Path, n: usize) {
    let mut rdr = csv::Reader::from_path(file).unwrap();
    let header = rdr.headers().unwrap().clone();
    let (lat, lon) = (header.iter().position(|h| h == "lat").unwrap(), header.iter().position(|h| h == "lon").unwrap());
    let mut rows: Vec<Vec<String>> = rdr.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    for r in rows.iter_mut().take(n) {
        r.swap(lat, lon);
    }
    let mut w = csv::Writer::from_path(file).unwrap();
    w.write_record(&header).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

#[test]
fn swapped_coordinates_are_flagged_with_their_rows_and_strict_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("season");
    generate(&["--preset", "flanders", "--learners", "1500", "--workplaces", "1200", "--seed", "3"], &season);
    swap_lat_lon(&season.join("workplaces.csv"), 300);

    let o = run(bin().arg("validate").arg(&season));
    assert_eq!(o.status.code(), Some(0), "warnings alone do not fail: {}", text(&o));
    let out = stdout(&o);
    let swapped: Vec<&str> = out.lines().filter(|l| l.contains("look swapped")).collect();
    assert_eq!(swapped.len(), 1, "one grouped line:\n{out}");
    assert!(swapped[0].contains("workplaces.csv:2: lat: lat "), "{}", swapped[0]);
    assert!(swapped[0].contains("(and 299 more like it in this file at lines 3, 4, 5, 6, …"), "{}", swapped[0]);
    assert!(out.lines().count() < 10, "no flood:\n{out}");

    // --verbose: every row, lines 2 to 301.
    let o = run(bin().arg("validate").arg(&season).arg("--verbose"));
    let out = stdout(&o);
    let rows: Vec<u64> = out
        .lines()
        .filter(|l| l.contains("look swapped"))
        .map(|l| l.split("workplaces.csv:").nth(1).unwrap().split(':').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(rows, (2..=301).collect::<Vec<u64>>());

    // --strict: the warnings fail the season.
    let o = run(bin().arg("validate").arg(&season).arg("--strict"));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stdout(&o).contains("--strict treats warnings as errors"), "{}", text(&o));
    let o = run(bin().arg("validate").arg(&season).args(["--strict", "--format", "json"]));
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], false);

    // match warns the same way, and writes every warning into warnings.csv.
    let results = tmp.path().join("results");
    let o = run(bin().arg("match").arg(&season).arg("--out").arg(&results));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(stderr(&o).lines().filter(|l| l.contains("look swapped")).count(), 1, "{}", stderr(&o));
    let csv = fs::read_to_string(results.join("warnings.csv")).unwrap();
    assert!(csv.starts_with("severity,file,position,field,message\n"), "{csv}");
    assert_eq!(csv.lines().filter(|l| l.contains("look swapped")).count(), 300);
}

#[test]
fn implausible_commutes_seats_and_far_places_name_their_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("season");
    common::copy_dir(&data("base"), &season);
    let edit = |name: &str, f: &dyn Fn(String) -> String| {
        let p = season.join(name);
        fs::write(&p, f(fs::read_to_string(&p).unwrap())).unwrap();
    };
    // L02: commute 0; L03: 25000 (metres); W-GENT3: 500 seats; S-AALST in Spain.
    edit("learners.csv", &|t| t.replace("3.7000,15,", "3.7000,0,").replace("3.7500,25,", "3.7500,25000,"));
    edit("recognitions.csv", &|t| t.replace("W-GENT3,P-ELEK,2", "W-GENT3,P-ELEK,500"));
    edit("schools.csv", &|t| t.replace("50.9378,4.0403", "40.4168,-3.7038"));
    let o = run(bin().arg("validate").arg(&season));
    let out = stdout(&o);
    for want in [
        "learners.csv:3: max_commute_km: max_commute_km of learner \"L02\" is 0",
        "learners.csv:4: max_commute_km: max_commute_km of learner \"L03\" is 25000, more than a day's travel allows",
        "recognitions.csv:4: seats: 500 seats at \"W-GENT3\" for \"P-ELEK\" is far above the rest",
        "schools.csv:4: lat: school \"S-AALST\" lies 13",
    ] {
        assert!(out.contains(want), "{want:?} not in:\n{out}");
    }
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(run(bin().arg("validate").arg(&season).arg("--strict")).status.code(), Some(2));
}

#[test]
fn no_false_alarms_on_the_sample_and_generated_seasons() {
    let tmp = tempfile::tempdir().unwrap();
    let mut seasons = vec![repo("data/sample")];
    for (i, args) in [
        vec!["--preset", "tiny"],
        vec!["--preset", "tiny", "--seed", "2"],
        vec!["--preset", "flanders"],
        vec!["--preset", "flanders", "--seed", "9", "--learners", "2000", "--workplaces", "1500"],
    ]
    .into_iter()
    .enumerate()
    {
        let out = tmp.path().join(format!("s{i}"));
        generate(&args, &out);
        seasons.push(out);
    }
    let sweep = tmp.path().join("sweep");
    generate(
        &["--preset", "flanders", "--learners", "1500", "--workplaces", "1200", "--scenario", "--scarcity", "0.6,1.2"],
        &sweep,
    );
    seasons.extend(fs::read_dir(&sweep).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()));
    assert!(seasons.len() >= 11);
    for s in &seasons {
        let o = run(bin().arg("validate").arg(s).arg("--verbose"));
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let out = stdout(&o);
        let bad: Vec<&str> = out.lines().filter(|l| is_plausibility(l) || l.contains("0 seats: nobody")).collect();
        assert!(bad.is_empty(), "{}: {bad:#?}", s.display());
    }
}

#[test]
fn a_sweep_compare_prints_a_handful_of_lines_and_verbose_prints_all() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = tmp.path().join("sweep");
    generate(
        &[
            "--preset",
            "flanders",
            "--learners",
            "600",
            "--workplaces",
            "600",
            "--scenario",
            "--scarcity",
            "0.6,0.8",
            "--school-counts",
            "5,10",
        ],
        &sweep,
    );
    let mut seasons: Vec<_> = fs::read_dir(&sweep).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    seasons.sort();
    assert_eq!(seasons.len(), 4);
    // The generator writes no recognition without seats.
    for s in &seasons {
        let recs = fs::read_to_string(s.join("recognitions.csv")).unwrap();
        assert!(recs.lines().skip(1).all(|l| !l.ends_with(",0")), "{}", s.display());
    }
    let compare = |verbose: bool, out: &str| {
        let mut cmd = bin();
        cmd.arg("compare").args(&seasons).args(["--policies", "max-fit,stable,first-come", "--seeds", "2"]);
        cmd.arg("--out").arg(tmp.path().join(out));
        if verbose {
            cmd.arg("--verbose");
        }
        let o = run(&mut cmd);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        stderr(&o)
    };
    let quiet = compare(false, "cmp");
    let warnings_csv = fs::read_to_string(tmp.path().join("cmp/warnings.csv")).unwrap();
    let all = warnings_csv.lines().count() - 1;
    // Scarce seasons: every programme short of seats, in each of the 4 seasons.
    assert!(all >= 20, "{warnings_csv}");
    let lines = quiet.lines().count();
    assert!(lines <= 12, "{lines} lines on stderr:\n{quiet}");
    let verbose = compare(true, "cmp-verbose");
    let listed = verbose.lines().filter(|l| l.starts_with("warning: ")).count();
    assert_eq!(listed, all, "--verbose lists every warning of warnings.csv:\n{verbose}");
}

#[test]
fn zero_seat_recognitions_of_a_real_season_are_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("season");
    common::copy_dir(&repo("data/sample"), &season);
    let recs = fs::read_to_string(season.join("recognitions.csv")).unwrap();
    let zeroed: String = recs
        .lines()
        .enumerate()
        .map(
            |(i, l)| {
                if i > 0 && i % 10 == 0 {
                    format!("{},0\n", l.rsplit_once(',').unwrap().0)
                } else {
                    format!("{l}\n")
                }
            },
        )
        .collect();
    fs::write(season.join("recognitions.csv"), zeroed).unwrap();
    let o = run(bin().arg("validate").arg(&season));
    let out = stdout(&o);
    let zero: Vec<&str> = out.lines().filter(|l| l.contains("0 seats: nobody can be placed")).collect();
    assert_eq!(zero.len(), 1, "{out}");
    assert!(
        zero[0].contains("recognitions.csv:11: seats: 0 seats") && zero[0].contains("(and 133 more like it"),
        "{}",
        zero[0]
    );
    let o = run(bin().arg("validate").arg(&season).arg("--verbose"));
    assert_eq!(stdout(&o).lines().filter(|l| l.contains("0 seats: nobody can be placed")).count(), 134);
}
