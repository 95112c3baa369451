//! `dualmatch match --constraints` with short lines (`[[school]] max_sites`,
//! `new_site_penalty`, `[defaults]`): placements.csv keeps each school
//! within its sites, summary.json reports the sites and the partner share
//! per school, and the policies that cannot keep short lines, or values
//! that make no sense, are refused with exit 2, the file and line, and
//! nothing written.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{bin, text};

/// A tiny season: school S1 with 4 learners and school S2 with 2, one
/// programme, 6 sites with `seats` seats each, each learner nearest a site
/// of their own; W6, a little further off, is a partner of S2 only.
fn season(dir: &Path, seats: u32) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("programmes.csv"), "id,name\nP1,Kok\n").unwrap();
    fs::write(dir.join("schools.csv"), "id,name,lat,lon\nS1,One,51.0,4.0\nS2,Two,51.0,4.1\n").unwrap();
    let mut learners = String::from(
        "id,school,programme,lat,lon,max_commute_km,readiness,screening,attributes,preferences,priority_group\n",
    );
    for (k, school) in ["S1", "S1", "S1", "S1", "S2", "S2"].iter().enumerate() {
        learners.push_str(&format!("L{k},{school},P1,51.0,{:.3},60,3,passed,,,\n", 4.0 + 0.01 * k as f64));
    }
    fs::write(dir.join("learners.csv"), learners).unwrap();
    let mut sites = String::from("id,company,lat,lon,capacity,min_readiness,requires,partner_schools,preferences\n");
    let mut recs = String::from("workplace,programme,seats\n");
    for w in 1..=6 {
        let partner = if w == 6 { "S2" } else { "" };
        let lon = if w == 6 { 4.5 } else { 4.0 + 0.01 * (w - 1) as f64 };
        sites.push_str(&format!("W{w},Company {w},51.0,{lon:.3},,1,,{partner},\n"));
        recs.push_str(&format!("W{w},P1,{seats}\n"));
    }
    fs::write(dir.join("workplaces.csv"), sites).unwrap();
    fs::write(dir.join("recognitions.csv"), recs).unwrap();
}

/// A temporary folder holding [`season`] with `seats` seats per site, and
/// the season's folder.
fn setup(seats: u32) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("season");
    season(&dir, seats);
    (tmp, dir)
}

/// `match` with `constraints` as constraints.toml; `policy` is the policy
/// and any further options, split at spaces.
fn run_match(season: &Path, constraints: &str, policy: &str, out: &Path) -> Output {
    let file = season.parent().unwrap().join("constraints.toml");
    fs::write(&file, constraints).unwrap();
    bin()
        .arg("match")
        .arg(season)
        .args(["-q", "--no-advice", "--policy"])
        .args(policy.split(' '))
        .arg("--constraints")
        .arg(&file)
        .arg("--out")
        .arg(out)
        .output()
        .expect("failed to start dualmatch")
}

/// placements.csv: school → sites of its placed learners (with repeats).
fn sites_by_school(out: &Path) -> BTreeMap<String, Vec<String>> {
    let mut rdr = csv::Reader::from_path(out.join("placements.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap_or_else(|| panic!("no column {n}"));
    let (school, workplace) = (col("school"), col("workplace"));
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in rdr.records() {
        let r = r.unwrap();
        by.entry(r[school].to_string()).or_default().push(r[workplace].to_string());
    }
    by
}

fn distinct(v: &[String]) -> usize {
    v.iter().collect::<BTreeSet<_>>().len()
}

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

/// The `per_school` entry of `school` in summary.json.
fn school_entry<'a>(v: &'a serde_json::Value, school: &str) -> &'a serde_json::Value {
    v["per_school"].as_array().unwrap().iter().find(|e| e["school"] == school).expect("school in summary.json")
}

#[test]
fn max_sites_holds_a_school_to_its_sites_in_placements_and_summary() {
    let tmp = tempfile::tempdir().unwrap();
    for (seats, s1_placed) in [(1u32, 2usize), (2, 4)] {
        let dir = tmp.path().join(format!("season-{seats}"));
        season(&dir, seats);
        for policy in ["max-fit", "max-placed"] {
            // Without the limit, S1 spreads over more than 2 sites.
            let free = tmp.path().join(format!("free-{seats}-{policy}"));
            let o = run_match(&dir, "", policy, &free);
            assert!(free.join("placements.csv").exists(), "{}", text(&o));
            assert!(distinct(&sites_by_school(&free)["S1"]) > 2, "{:?}", sites_by_school(&free));
            let out = tmp.path().join(format!("out-{seats}-{policy}"));
            let o = run_match(&dir, "[[school]]\nschool = \"S1\"\nmax_sites = 2\n", policy, &out);
            assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));
            let by = sites_by_school(&out);
            assert_eq!(by["S1"].len(), s1_placed, "seats {seats} {policy}: {by:?}");
            assert_eq!(distinct(&by["S1"]), 2, "seats {seats} {policy}: {by:?}");
            let v = summary(&out);
            let s1 = school_entry(&v, "S1");
            assert_eq!(s1["sites"], 2, "{s1}");
            assert_eq!(s1["max_sites"], 2, "{s1}");
            assert_eq!(s1["placed"], s1_placed, "{s1}");
            // S2 has no limit and keeps its own sites; the count agrees
            // with placements.csv.
            let s2 = school_entry(&v, "S2");
            assert_eq!(s2["sites"], distinct(&by["S2"]), "{s2}");
            assert!(s2.get("max_sites").is_none(), "{s2}");
            // Proven optimal: the gap is 0.
            assert_eq!(v["optimal"], true, "{v}");
            assert!(v["proof"]["gap"].as_f64().unwrap().abs() < 1e-6, "{}", v["proof"]);
        }
    }
}

#[test]
fn a_default_new_site_penalty_moves_learners_to_partner_sites() {
    let (tmp, dir) = setup(2);
    // Without a penalty S2 is not all at its partner W6; with a large one
    // (for every school, from [defaults]) both its learners are there.
    let free = tmp.path().join("free");
    run_match(&dir, "", "max-fit", &free);
    let share = |out: &Path| school_entry(&summary(out), "S2")["partner_share"].as_f64().unwrap();
    assert!(share(&free) < 1.0, "{}", summary(&free)["per_school"]);
    let out = tmp.path().join("out");
    let o = run_match(&dir, "[defaults]\nnew_site_penalty = 100.0\n", "max-fit", &out);
    assert!(out.join("summary.json").exists(), "{}", text(&o));
    assert_eq!(sites_by_school(&out)["S2"], vec!["W6", "W6"]);
    let v = summary(&out);
    assert_eq!(share(&out), 1.0);
    assert_eq!(school_entry(&v, "S2")["at_partners"], 2);
    assert_eq!(school_entry(&v, "S1")["new_site_penalty"], 100.0);
    // S1 has no partner: it pays for each of its sites.
    let s1 = school_entry(&v, "S1");
    let sites = s1["sites"].as_f64().unwrap();
    assert!(sites >= 1.0, "{s1}");
    assert_eq!(v["new_site_penalty_paid"].as_f64(), Some(100.0 * sites), "{v}");
}

/// Refused before any work: exit 2, the message, nothing written.
fn assert_refused(o: &Output, out: &Path, words: &[&str]) {
    assert_eq!(o.status.code(), Some(2), "{}", text(o));
    let t = text(o);
    for w in words {
        assert!(t.contains(w), "{w:?} not in: {t}");
    }
    assert!(!out.exists(), "nothing may be written");
}

#[test]
fn policies_that_cannot_keep_short_lines_and_bad_values_are_refused() {
    let (tmp, dir) = setup(1);
    let rule = "# short lines\n[[school]]\nschool = \"S1\"\nmax_sites = 2\n";
    for policy in ["stable", "greedy", "fair-share", "rank-maximal"] {
        let out = tmp.path().join(format!("out-{policy}"));
        let o = run_match(&dir, rule, policy, &out);
        assert_refused(
            &o,
            &out,
            &[&format!("policy {policy} cannot keep short lines"), "constraints.toml:4", "max_sites"],
        );
    }
    let cases: &[(&str, &[&str])] = &[
        ("[[school]]\nschool = \"S1\"\nmax_sites = 0\n", &["constraints.toml:3", "max_sites = 0"]),
        ("[defaults]\nnew_site_penalty = -2\n", &["constraints.toml:2", "new_site_penalty = -2"]),
        ("[[school]]\nschool = \"S1\"\nmax_site = 2\n", &["constraints.toml:3", "did you mean `max_sites`"]),
        ("[[school]]\nschool = \"S9\"\nmax_sites = 2\n", &["constraints.toml:2", "unknown school \"S9\""]),
    ];
    for (i, (file, words)) in cases.iter().enumerate() {
        let out = tmp.path().join(format!("bad-{i}"));
        let o = run_match(&dir, file, "max-fit", &out);
        assert_refused(&o, &out, words);
    }
}

#[test]
fn verify_checks_max_sites_of_a_result() {
    let (tmp, dir) = setup(2);
    let out = tmp.path().join("out");
    let rule = "[[school]]\nschool = \"S1\"\nmax_sites = 2\n";
    let o = run_match(&dir, rule, "max-fit", &out);
    assert!(out.join("placements.csv").exists(), "{}", text(&o));
    let file = tmp.path().join("constraints.toml");
    let verify = |result: &Path| {
        let o = bin().arg("verify").arg(&dir).arg(result).arg("-q").arg("--constraints").arg(&file).output().unwrap();
        let t = text(&o);
        let line =
            t.lines().find(|l| l.contains("short lines:")).unwrap_or_else(|| panic!("no short lines check in\n{t}"));
        (o.status.code(), line.to_string())
    };
    let (code, line) = verify(&out);
    assert!(line.starts_with("PASS") && line.contains("1 schools within their max_sites"), "{line}");
    assert_eq!(code, Some(0), "{line}");
    // Move one S1 learner to a site nobody uses: 3 sites.
    let edited = tmp.path().join("edited");
    fs::create_dir_all(&edited).unwrap();
    for e in fs::read_dir(&out).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), edited.join(e.file_name())).unwrap();
    }
    let mut rdr = csv::Reader::from_path(out.join("placements.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let mut rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let (cw, cs) = (h.iter().position(|x| x == "workplace").unwrap(), h.iter().position(|x| x == "school").unwrap());
    let used: BTreeSet<String> = rows.iter().map(|r| r[cw].to_string()).collect();
    let free = (1..=6).map(|w| format!("W{w}")).find(|w| !used.contains(w)).expect("a free site");
    let k = rows.iter().position(|r| &r[cs] == "S1").unwrap();
    rows[k] = rows[k].iter().enumerate().map(|(i, x)| if i == cw { free.as_str() } else { x }).collect();
    let mut w = csv::Writer::from_path(edited.join("placements.csv")).unwrap();
    w.write_record(&h).unwrap();
    for r in &rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
    let (code, line) = verify(&edited);
    assert!(line.starts_with("FAIL") && line.contains("school S1 is at 3 sites, max_sites = 2"), "{line}");
    assert_eq!(code, Some(1), "{line}");
}

#[test]
fn improving_an_exact_result_under_short_lines_is_refused() {
    let (tmp, dir) = setup(1);
    let out = tmp.path().join("out");
    let o = run_match(&dir, "[[school]]\nschool = \"S1\"\nmax_sites = 2\n", "max-fit --improve pareto", &out);
    assert_refused(&o, &out, &["policy max-fit with --improve cannot keep short lines", "1 school(s)"]);
}
