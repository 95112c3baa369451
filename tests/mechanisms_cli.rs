//! Issue 17 through the binary: the rank-profile policies with their proof
//! and `rank_profile` in summary.json, `ttc`, `--tie-break`, `--improve sic`,
//! ties written with `=` in the CSV files, and `compare`'s
//! probabilities.csv and chart. (The brute-force checks of the mechanisms
//! themselves are in crates/optimiser/tests/mechanisms.rs.)

mod common;

use std::fs;
use std::path::Path;

use common::{bin, copy_dir, plain_sample, repo, run, text};
use serde_json::Value;

fn summary(dir: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

fn match_sample(out: &Path, args: &[&str]) -> Value {
    let o = run(bin().arg("match").arg(plain_sample()).args(args).arg("--out").arg(out).arg("-q"));
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
    summary(out)
}

fn profile(v: &Value) -> Vec<u64> {
    v["rank_profile"].as_array().expect("rank_profile").iter().map(|x| x.as_u64().unwrap()).collect()
}

/// Lexicographic comparison of profiles of any lengths (missing ranks are 0).
fn lex(a: &[u64], b: &[u64]) -> std::cmp::Ordering {
    let n = a.len().max(b.len());
    let at = |v: &[u64], k: usize| v.get(k).copied().unwrap_or(0);
    (0..n).map(|k| at(a, k).cmp(&at(b, k))).find(|o| o.is_ne()).unwrap_or(std::cmp::Ordering::Equal)
}

#[test]
fn every_policy_reports_a_consistent_rank_profile_and_the_rank_policies_are_optimal_among_them() {
    let tmp = tempfile::tempdir().unwrap();
    let mut all = Vec::new();
    for p in [
        "max-fit",
        "max-placed",
        "stable",
        "ttc",
        "boston",
        "rank-maximal",
        "max-size-min-cost",
        "greedy-max",
        "generous-max",
    ] {
        let v = match_sample(&tmp.path().join(p), &["--policy", p, "--no-timings"]);
        let prof = profile(&v);
        let ranked: u64 = prof.iter().sum();
        let off = v["off_list"].as_u64().unwrap();
        assert_eq!(ranked + off, v["placed"].as_u64().unwrap(), "{p}: profile + off list = placed");
        let cost: u64 = prof.iter().enumerate().map(|(k, n)| (k as u64 + 1) * n).sum();
        assert_eq!(v["rank_cost"].as_u64(), Some(cost), "{p}: rank cost");
        all.push((p, v));
    }
    let get = |name: &str| &all.iter().find(|(p, _)| *p == name).unwrap().1;
    for name in ["rank-maximal", "max-size-min-cost", "greedy-max", "generous-max"] {
        let v = get(name);
        assert_eq!(v["optimal"], true, "{name}");
        assert_eq!(v["proof"]["method"], "network-simplex-phases", "{name}");
        assert_eq!(v["proof"]["gap"], "0", "{name}: {}", v["proof"]);
        assert_eq!(v["off_list"], 0, "{name} places on acceptable pairs only");
    }
    // Each objective is at least as good as every other result that, like
    // it, uses acceptable pairs only (no off-list placement).
    let acceptable: Vec<&(&str, Value)> = all.iter().filter(|(_, v)| v["off_list"] == 0).collect();
    assert!(acceptable.len() >= 6, "stable, ttc, boston and the rank policies place on acceptable pairs");
    let placed = |v: &Value| v["placed"].as_u64().unwrap();
    let (rm, msmc, gm, gen) = (get("rank-maximal"), get("max-size-min-cost"), get("greedy-max"), get("generous-max"));
    for (p, v) in &acceptable {
        assert_ne!(lex(&profile(v), &profile(rm)), std::cmp::Ordering::Greater, "{p} beats rank-maximal");
        assert!(placed(v) <= placed(msmc), "{p} places more than max-size-min-cost");
        if placed(v) == placed(msmc) {
            assert!(v["rank_cost"].as_u64() >= msmc["rank_cost"].as_u64(), "{p} has a smaller rank cost");
            assert_ne!(lex(&profile(v), &profile(gm)), std::cmp::Ordering::Greater, "{p} beats greedy-max");
            let rev = |v: &Value| {
                let mut r = profile(v);
                r.resize(64, 0);
                r.reverse();
                r
            };
            assert_ne!(lex(&rev(v), &rev(gen)), std::cmp::Ordering::Less, "{p} is more generous than generous-max");
        }
    }
    assert_eq!(placed(gm), placed(msmc));
    assert_eq!(placed(gen), placed(msmc));
}

#[test]
fn improvement_cycles_and_tie_breaking_are_recorded_and_keep_stable_results_stable() {
    let tmp = tempfile::tempdir().unwrap();
    let base = match_sample(&tmp.path().join("da"), &["--policy", "stable", "--seed", "3"]);
    assert_eq!(base["improvement"], "none");
    assert_eq!(base["tie_break"], "single");
    let sic = match_sample(
        &tmp.path().join("sic"),
        &["--policy", "stable", "--seed", "3", "--improve", "sic", "--tie-break", "multiple"],
    );
    assert_eq!(sic["improvement"], "sic");
    assert_eq!(sic["tie_break"], "multiple");
    assert_eq!(sic["improve"], true);
    let bare = match_sample(&tmp.path().join("pareto"), &["--policy", "stable", "--improve", "--no-timings"]);
    assert_eq!(bare["improvement"], "pareto", "a bare --improve is Pareto improvement, as before");
    let o = run(bin()
        .arg("match")
        .arg(plain_sample())
        .args(["--improve", "sometimes", "--out"])
        .arg(tmp.path().join("bad"))
        .arg("-q"));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!tmp.path().join("bad").exists());
}

#[test]
fn ties_written_with_equals_signs_are_read_and_bad_ids_in_a_tie_are_reported_by_line() {
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("season");
    copy_dir(&plain_sample(), &season);
    let learners = fs::read_to_string(season.join("learners.csv")).unwrap();
    // L000001's list `W001047;W000060` becomes one tie group.
    assert!(learners.contains(",W001047;W000060,"));
    fs::write(season.join("learners.csv"), learners.replace(",W001047;W000060,", ",W001047 = W000060,")).unwrap();
    let o =
        run(bin().arg("match").arg(&season).args(["--policy", "stable", "--out"]).arg(tmp.path().join("ok")).arg("-q"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let bad = learners.replace(",W001047;W000060,", ",W001047=WNOPE;W000060,");
    fs::write(season.join("learners.csv"), bad).unwrap();
    let o = run(bin().arg("match").arg(&season).args(["--out"]).arg(tmp.path().join("bad")).arg("-q"));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("learners.csv:2:") && t.contains("preferences") && t.contains("WNOPE"), "{t}");
    assert!(!tmp.path().join("bad").exists());
}

#[test]
fn compare_writes_placement_probabilities_that_add_up_and_a_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cmp");
    let o = run(bin()
        .arg("compare")
        .arg(plain_sample())
        .args(["--policies", "stable,ttc,rank-maximal", "--seeds", "4", "--tie-break", "multiple", "--no-timings"])
        .arg("--out")
        .arg(&out)
        .arg("-q"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let mut r = csv::Reader::from_path(out.join("probabilities.csv")).unwrap();
    let head: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    let ranks: Vec<usize> = (0..head.len()).filter(|&k| head[k].starts_with("p_rank_")).collect();
    let num = |row: &csv::StringRecord, k: usize| row[k].parse::<f64>().unwrap();
    let (mut learners, mut schools) = (0, 0);
    for row in r.records() {
        let row = row.unwrap();
        let runs = num(&row, col("runs"));
        match &row[col("kind")] {
            "learner" => {
                learners += 1;
                let p = num(&row, col("p_placed"));
                let sum: f64 = ranks.iter().map(|&k| num(&row, k)).sum::<f64>() + num(&row, col("p_off_list"));
                assert!((p - sum).abs() < 1e-5, "{row:?}: p_placed {p} but ranks add to {sum}");
                assert!((0.0..=1.0).contains(&p));
                let expect = if &row[col("policy")] == "rank-maximal" { 1.0 } else { 4.0 };
                assert_eq!(runs, expect, "{row:?}");
                // A share of `runs` runs.
                assert!(((p * runs) - (p * runs).round()).abs() < 1e-5, "{row:?}");
            }
            "school" => {
                schools += 1;
                let (lo, mean, hi) =
                    (num(&row, col("rate_low95")), num(&row, col("rate_mean")), num(&row, col("rate_high95")));
                assert!(0.0 <= lo && lo <= mean && mean <= hi && hi <= 1.0, "{row:?}");
            }
            k => panic!("unknown kind {k}"),
        }
    }
    assert_eq!(learners, 3 * 1500);
    assert!(schools >= 3);
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Placement probabilities") && html.contains("ttc (4 runs)"), "chart missing");
}

/// On the sample, which has mentors and rhythms: a policy that does not
/// honour them is refused before any work (exit 2, nothing written, the
/// message names the policies that do), `--improve` too, and
/// `compare --policies all` runs the policies that honour them and says
/// which it left out.
#[test]
fn policies_that_do_not_honour_mentors_are_refused_and_left_out_of_all() {
    let tmp = tempfile::tempdir().unwrap();
    for args in
        [&["--policy", "fair-share"][..], &["--policy", "stable-workplace"], &["--policy", "stable", "--improve"]]
    {
        let out = tmp.path().join("refused");
        let o = run(bin().arg("match").arg(repo("data/sample")).args(args).arg("--out").arg(&out).arg("-q"));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        let t = text(&o);
        assert!(t.contains("does not honour mentors") && t.contains("stable, serial-dictatorship"), "{t}");
        assert!(!out.exists());
    }
    let out = tmp.path().join("cmp");
    let o = run(bin()
        .arg("compare")
        .arg(repo("data/sample"))
        .args(["--policies", "all", "--seeds", "1", "--out"])
        .arg(&out));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("leaves out the") && t.contains("fair-share") && t.contains("stable-workplace"), "{t}");
    let rows = fs::read_to_string(out.join("comparison.csv")).unwrap();
    let col = rows.lines().next().unwrap().split(',').position(|c| c == "policy").expect("a policy column");
    let policies: Vec<&str> = rows.lines().skip(1).map(|r| r.split(',').nth(col).unwrap()).collect();
    let want = dualmatch_optimiser::policies::mentor_policies();
    assert_eq!(policies.join(", "), want, "{rows}");
    assert!(policies.contains(&"stable") && policies.contains(&"ttc") && !policies.contains(&"fair-share"));
}
