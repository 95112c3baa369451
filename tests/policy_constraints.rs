//! `match --policy P --constraints FILE` for every policy: each constraint is
//! honoured, or the combination is refused before any work with exit 2, a
//! message naming the policy, the constraint and what to do, and nothing
//! written. Never an internal error.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use dualmatch_optimiser::policies::{by_name, ALL};

mod common;
use common::{bin, plain_sample, text};

fn sample() -> PathBuf {
    plain_sample()
}

fn run_match(policy: &str, constraints: &Path, out: &Path) -> Output {
    bin()
        .arg("match")
        .arg(sample())
        .args(["-q", "--seed", "5", "--policy", policy, "--constraints"])
        .arg(constraints)
        .arg("--out")
        .arg(out)
        .output()
        .expect("failed to start dualmatch")
}

/// placements.csv as (learner, workplace, programme, school) rows.
fn placements(dir: &Path) -> Vec<[String; 4]> {
    let mut rdr = csv::Reader::from_path(dir.join("placements.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap_or_else(|| panic!("no column {n}"));
    let cols = ["learner", "workplace", "programme", "school"].map(col);
    rdr.records().map(|r| r.unwrap()).map(|r| cols.map(|c| r[c].to_string())).collect()
}

fn per_school_programme(rows: &[[String; 4]]) -> HashMap<(String, String), usize> {
    let mut n = HashMap::new();
    for r in rows {
        *n.entry((r[3].clone(), r[2].clone())).or_default() += 1;
    }
    n
}

/// The file names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    v.sort();
    v
}

/// (school, programme, cap): the cap, one that binds hard, and 0.
const CAPS: [(&str, &str, usize); 3] = [("S03", "P04", 2), ("S09", "P01", 10), ("S07", "P02", 0)];

/// Every policy keeps school caps, reserved seats, pins, forbidden pairs and
/// `min_score`; `stable` and `stable-workplace` used to fail with
/// `internal error: infeasible result` (exit 3).
#[test]
fn every_policy_honours_caps_reserves_pins_forbidden_pairs_and_min_score() {
    let tmp = tempfile::tempdir().unwrap();
    // Without caps, more than each cap would be placed: the caps bind.
    let free = tmp.path().join("free");
    let none = tmp.path().join("none.toml");
    fs::write(&none, "").unwrap();
    let o = run_match("stable", &none, &free);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let rows = placements(&free);
    let counts = per_school_programme(&rows);
    for (s, p, cap) in CAPS {
        let n = counts.get(&(s.to_string(), p.to_string())).copied().unwrap_or(0);
        assert!(n > cap, "{s}/{p}: {n} placed without a cap of {cap}; the test needs a binding cap");
    }
    // A pin and a forbidden pair taken from that result.
    let pin = &rows[0];
    let forbid = &rows[1];
    let mut toml = String::from("min_score = 5.0\n\n[[reserve]]\npriority_group = \"extra_support\"\nseats = 1\n");
    for (s, p, cap) in CAPS {
        toml += &format!("\n[[school]]\nschool = \"{s}\"\nprogramme = \"{p}\"\nmax = {cap}\n");
    }
    toml += &format!("\n[[pin]]\nlearner = \"{}\"\nworkplace = \"{}\"\n", pin[0], pin[1]);
    toml += &format!("\n[[forbid]]\nlearner = \"{}\"\nworkplace = \"{}\"\n", forbid[0], forbid[1]);
    let caps = tmp.path().join("caps.toml");
    fs::write(&caps, toml).unwrap();
    for &policy in ALL {
        let out = tmp.path().join(policy);
        let o = run_match(policy, &caps, &out);
        assert_eq!(o.status.code(), Some(0), "{policy}: {}", text(&o));
        let rows = placements(&out);
        let counts = per_school_programme(&rows);
        for (s, p, cap) in CAPS {
            let n = counts.get(&(s.to_string(), p.to_string())).copied().unwrap_or(0);
            assert!(n <= cap, "{policy}: {s}/{p} has {n} placed, cap {cap}");
        }
        assert!(rows.iter().any(|r| r[0] == pin[0] && r[1] == pin[1]), "{policy}: pin {pin:?} not kept");
        assert!(!rows.iter().any(|r| r[0] == forbid[0] && r[1] == forbid[1]), "{policy}: forbidden {forbid:?} used");
        let summary: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
        assert_eq!(summary["policy"], policy);
    }
}

/// School floors with a policy that cannot guarantee them: exit 2 before any
/// work (the season is not even read), the policy, the file and line, the
/// school and programme and what to do, and nothing written. The exact
/// policies meet the floor.
#[test]
fn floors_are_refused_for_policies_that_cannot_meet_them() {
    let tmp = tempfile::tempdir().unwrap();
    let floors = tmp.path().join("floors.toml");
    fs::write(&floors, "[[school]]\nschool = \"S03\"\nprogramme = \"P04\"\nmax = 9\n\n[[school]]\nschool = \"S03\"\nprogramme = \"P01\"\nmin = 2\n").unwrap();
    let before = listing(tmp.path());
    for &policy in ALL {
        let out = tmp.path().join(format!("out-{policy}"));
        let o = run_match(policy, &floors, &out);
        let t = text(&o);
        // max-fit, max-placed and fair-share (checked in the optimiser's tests).
        if by_name(policy).unwrap().meets_floors() {
            assert_eq!(o.status.code(), Some(0), "{policy}: {t}");
            let n = per_school_programme(&placements(&out)).get(&("S03".into(), "P01".into())).copied();
            assert!(n.unwrap_or(0) >= 2, "{policy}: floor not met: {n:?}");
            fs::remove_dir_all(&out).unwrap();
            continue;
        }
        assert_eq!(o.status.code(), Some(2), "{policy}: {t}");
        for part in [
            format!("policy {policy} cannot guarantee school floors"),
            format!("{}:7 sets min = 2 for school S03 in programme P01", floors.display()),
            "use --policy max-fit, max-placed, fair-share, rank-maximal, max-size-min-cost, greedy-max or generous-max"
                .to_string(),
            "or remove `min`".to_string(),
        ] {
            assert!(t.contains(&part), "{policy}: {t:?} lacks {part:?}");
        }
        assert!(!t.contains("internal error"), "{policy}: {t}");
        assert_eq!(listing(tmp.path()), before, "{policy} wrote something");
        // Refused before the season is read: a missing season gives the same refusal.
        let o = bin()
            .args(["match", "no-such-season", "--policy", policy, "--constraints"])
            .arg(&floors)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        assert!(text(&o).contains("cannot guarantee school floors"), "{policy}: {}", text(&o));
    }
}
