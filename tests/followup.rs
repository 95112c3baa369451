//! followup.csv (every school's visiting rounds, in the result and in each
//! school's own folder), outcomes.csv read as an optional season table, and
//! rematch handing on the agreements that ended.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::Path;

use common::{bin, csv_cells, run, text};

/// Generates the tiny season with `past` seasons of outcomes into `dir`.
fn generate(dir: &Path, past: u32) {
    let o = run(bin()
        .args(["generate", "--preset", "tiny", "--seed", "4", "-q", "--outcomes"])
        .arg(past.to_string())
        .arg("--out")
        .arg(dir));
    assert!(o.status.success(), "{}", text(&o));
}

/// The rows of a CSV file as maps from column to cell (header dropped).
fn rows(path: &Path) -> Vec<HashMap<String, String>> {
    let cells = csv_cells(path);
    let (head, body) = cells.split_first().unwrap();
    body.iter().map(|r| head.iter().cloned().zip(r.iter().cloned()).collect()).collect()
}

fn km(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("{s:?} is not km"))
}

#[test]
fn followup_visits_every_placement_in_rounds_and_each_school_folder_has_only_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("season");
    generate(&season, 2);
    let out = tmp.path().join("r");
    let o =
        run(bin().arg("match").arg(&season).args(["--by-school", "--visits-per-day", "3", "-q", "--out"]).arg(&out));
    assert!(o.status.success(), "{}", text(&o));

    let placed: BTreeSet<(String, String)> =
        rows(&out.join("placements.csv")).into_iter().map(|r| (r["learner"].clone(), r["workplace"].clone())).collect();
    let follow = rows(&out.join("followup.csv"));
    let visited: BTreeSet<(String, String)> =
        follow.iter().map(|r| (r["learner"].clone(), r["workplace"].clone())).collect();
    assert!(!placed.is_empty());
    assert_eq!(visited, placed, "followup.csv names each placed learner at their site, once");
    assert_eq!(follow.len(), placed.len());

    // Per school and round: at most 3 sites, visits numbered 1.. in order, each site once per
    // school, and the round's km is the sum of its legs and the way back.
    let mut rounds: HashMap<(String, String), Vec<&HashMap<String, String>>> = HashMap::new();
    for r in &follow {
        rounds.entry((r["school"].clone(), r["round"].clone())).or_default().push(r);
    }
    let mut sites_of: HashMap<String, BTreeSet<String>> = HashMap::new();
    for ((school, _), rs) in &rounds {
        let mut visits: Vec<(usize, String, f64)> = Vec::new();
        let mut back = None;
        for r in rs {
            let v: usize = r["visit"].parse().unwrap();
            if visits.last().map(|x| x.0) != Some(v) {
                visits.push((v, r["workplace"].clone(), km(&r["leg_km"])));
            }
            if !r["return_km"].is_empty() {
                back = Some(km(&r["return_km"]));
            }
            assert_eq!(r["mentor"], "", "no mentors in this season");
        }
        assert!(visits.len() <= 3, "{school}: {} visits in a round", visits.len());
        assert_eq!(visits.iter().map(|v| v.0).collect::<Vec<_>>(), (1..=visits.len()).collect::<Vec<_>>());
        for (_, w, _) in &visits {
            assert!(sites_of.entry(school.clone()).or_default().insert(w.clone()), "{school} visits {w} twice");
        }
        let total = km(&rs[0]["round_km"]);
        let sum: f64 = visits.iter().map(|v| v.2).sum::<f64>() + back.expect("the last visit gives the way back");
        // Each figure is rounded to 0.1 km: the legs, the way back and the total.
        assert!((total - sum).abs() <= 0.05 * (visits.len() + 2) as f64 + 1e-9, "{school}: {total} vs {sum}");
    }

    // The report: per school its number of sites and the km of its rounds, and a map of each.
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    let section = &report[report.find("<h2>Follow-up rounds</h2>").expect("a follow-up section")..];
    for (school, sites) in &sites_of {
        let start = section.find(&format!("<tr><td>{school}</td>")).unwrap_or_else(|| panic!("{school} in the table"));
        let row = &section[start..start + section[start..].find("</tr>").unwrap()];
        let cells: Vec<&str> =
            row.split("</td>").filter_map(|c| c.rsplit('>').next()).filter(|c| !c.is_empty()).collect();
        assert_eq!(cells[2], sites.len().to_string(), "{school}: sites in {row}");
        let want: f64 = rounds.iter().filter(|((s, _), _)| s == school).map(|(_, rs)| km(&rs[0]["round_km"])).sum();
        let n_rounds = rounds.keys().filter(|(s, _)| s == school).count();
        assert_eq!(cells[3], n_rounds.to_string(), "{school}: rounds in {row}");
        assert!((km(cells[4]) - want).abs() <= 0.05 * (n_rounds + 1) as f64 + 1e-9, "{school}: km in {row}");
    }
    assert_eq!(section.matches("<svg").count(), sites_of.len(), "a map per school");

    // Each school's folder: exactly its own rows, no other school's learner.
    let school_of: HashMap<String, String> =
        rows(&season.join("learners.csv")).into_iter().map(|r| (r["id"].clone(), r["school"].clone())).collect();
    let folders = rows(&out.join("by-school/index.csv"));
    assert!(folders.len() > 1);
    for f in &folders {
        let own = rows(&out.join("by-school").join(&f["folder"]).join("followup.csv"));
        for r in &own {
            assert_eq!(school_of[&r["learner"]], f["school"], "{} in {}'s folder", r["learner"], f["school"]);
        }
        let expected: Vec<_> = follow.iter().filter(|r| r["school"] == f["school"]).cloned().collect();
        assert_eq!(own, expected, "{}'s followup.csv is its part of the whole", f["school"]);
    }
}

#[test]
fn rematch_hands_on_a_copy_of_the_outcomes_with_the_agreements_that_ended() {
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("season");
    generate(&season, 1);
    let outcomes_in = fs::read(season.join("outcomes.csv")).unwrap();
    let first = tmp.path().join("r1");
    let o = run(bin().arg("match").arg(&season).args(["-q", "--out"]).arg(&first));
    assert!(o.status.success(), "{}", text(&o));
    let placed = rows(&first.join("placements.csv"));
    let ended: Vec<&HashMap<String, String>> = placed.iter().take(2).collect();
    let mut changes = String::from("event,learner,workplace,programme,seats\n");
    for p in &ended {
        changes.push_str(&format!("agreement_ended,{},{},,\n", p["learner"], p["workplace"]));
    }
    fs::write(tmp.path().join("changes.csv"), changes).unwrap();
    let second = tmp.path().join("r2");
    let o = run(bin()
        .arg("rematch")
        .arg(&season)
        .arg("--previous")
        .arg(&first)
        .arg("--changes")
        .arg(tmp.path().join("changes.csv"))
        .args(["--season-label", "2026-2027", "-q", "--out"])
        .arg(&second));
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(fs::read(season.join("outcomes.csv")).unwrap(), outcomes_in, "the input is never changed");
    let before = rows(&season.join("outcomes.csv"));
    let after = rows(&second.join("outcomes.csv"));
    assert_eq!(after.len(), before.len() + ended.len());
    assert_eq!(after[..before.len()], before[..], "a copy of the season's outcomes first");
    let new: BTreeSet<(String, String)> = after[before.len()..]
        .iter()
        .inspect(|r| {
            assert_eq!((r["season"].as_str(), r["outcome"].as_str()), ("2026-2027", "ended_early"));
            assert!(!r["school"].is_empty() && !r["programme"].is_empty());
        })
        .map(|r| (r["learner"].clone(), r["workplace"].clone()))
        .collect();
    let want: BTreeSet<(String, String)> =
        ended.iter().map(|p| (p["learner"].clone(), p["workplace"].clone())).collect();
    assert_eq!(new, want);
    // The next season reads it back.
    let next = tmp.path().join("next");
    common::copy_dir(&season, &next);
    fs::copy(second.join("outcomes.csv"), next.join("outcomes.csv")).unwrap();
    let o = run(bin().arg("validate").arg(&next));
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn a_bad_outcome_is_refused_with_file_line_and_field_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("season");
    generate(&season, 1);
    let mut text_in = fs::read_to_string(season.join("outcomes.csv")).unwrap();
    text_in.push_str("2024-2025,old,W001,P01,S01,finished,\n");
    let line = text_in.lines().count();
    fs::write(season.join("outcomes.csv"), text_in).unwrap();
    let out = tmp.path().join("r");
    let o = run(bin().arg("match").arg(&season).args(["-q", "--out"]).arg(&out));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let msg = text(&o);
    assert!(msg.contains(&format!("outcomes.csv:{line}")) && msg.contains("outcome"), "{msg}");
    assert!(msg.contains("use completed, ended_early or ongoing"), "{msg}");
    assert!(!out.exists(), "nothing written");
}
