//! Sharded runs (docs/scale-out.md): `compare` and `match` with
//! `--shard i/N`, put together by `merge`, give the single run's files byte
//! for byte; `merge` refuses parts of different runs and names missing
//! shards; `--shard auto` reads Slurm's and Kubernetes' array index.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{bin, repo, run, snapshot, text};

const POLICIES: &str = "max-fit,stable,random-serial,first-come";

/// A command with no scheduler variables from the environment the tests run in.
fn clean() -> Command {
    let mut c = bin();
    for v in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_STEP",
        "JOB_COMPLETION_INDEX",
    ] {
        c.env_remove(v);
    }
    c.arg("--quiet");
    c
}

/// Two small seasons in `dir`.
fn seasons(dir: &Path) -> Vec<PathBuf> {
    (1..=2)
        .map(|seed| {
            let p = dir.join(format!("season-{seed}"));
            let o = run(clean().args(["generate", "--preset", "tiny", "--seed", &seed.to_string(), "--out"]).arg(&p));
            assert!(o.status.success(), "{}", text(&o));
            p
        })
        .collect()
}

/// Every file under `dir` (relative path → bytes), without the marker.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    snapshot(dir).into_iter().filter(|(p, _)| p != Path::new(".dualmatch-result")).collect()
}

fn assert_same_files(single: &Path, merged: &Path, what: &str) {
    let (a, b) = (files(single), files(merged));
    let names = |v: &[(PathBuf, Vec<u8>)]| v.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b), "{what}: the merged result has other files");
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{what}: {} differs from the single run's", name.display());
    }
}

/// Runs `args` + `--shard i/n --out dir/part-i` for every shard, then merges.
fn shard_and_merge(args: &[&str], extra: &[&Path], n: u32, dir: &Path) -> (Vec<PathBuf>, std::process::Output) {
    let mut parts = Vec::new();
    for i in 0..n {
        let part = dir.join(format!("part-{i}"));
        let o = run(clean().args(args).args(extra).args(["--shard", &format!("{i}/{n}"), "--out"]).arg(&part));
        assert!(o.status.success(), "shard {i}/{n}: {}", text(&o));
        parts.push(part);
    }
    // Given in any order.
    parts.reverse();
    let o = run(clean().arg("merge").args(&parts).arg("--out").arg(dir.join("merged")));
    (parts, o)
}

#[test]
fn merged_compare_is_the_single_run_for_any_shard_count() {
    let tmp = tempfile::tempdir().unwrap();
    let s = seasons(tmp.path());
    let args = ["compare", "--policies", POLICIES, "--seeds", "3", "--seed", "5", "--no-timings"];
    let seasons: Vec<&Path> = s.iter().map(PathBuf::as_path).collect();
    let single = tmp.path().join("single");
    let o = run(clean().args(args).args(&seasons).arg("--out").arg(&single));
    assert!(o.status.success(), "{}", text(&o));
    // 2 seasons × (1 + 1 + 3 + 1) = 12 runs; 40 shards leave most empty.
    for n in [1, 2, 5, 40] {
        let dir = tmp.path().join(format!("n{n}"));
        let (_, o) = shard_and_merge(&args, &seasons, n, &dir);
        assert!(o.status.success(), "merge of {n}: {}", text(&o));
        assert_same_files(&single, &dir.join("merged"), &format!("compare in {n} shards"));
    }
    // The placement probabilities come from the parts' ranks; the
    // improvement and tie-breaking are recorded in the parts by name.
    assert!(single.join("probabilities.csv").is_file());
    let args = [&args[..], &["--improve", "sic", "--tie-break", "multiple"]].concat();
    let single = tmp.path().join("single-sic");
    let o = run(clean().args(&args).args(&seasons).arg("--out").arg(&single));
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(single.join("comparison.json")).unwrap()).unwrap();
    assert_eq!((v["improvement"].as_str(), v["tie_break"].as_str()), (Some("sic"), Some("multiple")));
    let dir = tmp.path().join("sic");
    let (_, o) = shard_and_merge(&args, &seasons, 3, &dir);
    assert!(o.status.success(), "merge: {}", text(&o));
    assert_same_files(&single, &dir.join("merged"), "compare --improve sic --tie-break multiple in 3 shards");
}

#[test]
fn merged_match_is_the_single_run_with_proof_and_advice() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = repo("data/sample");
    // School caps and floors join the components they bind (here: two).
    let constraints = tmp.path().join("constraints.toml");
    fs::write(
        &constraints,
        "[[school]]\nschool = \"S01\"\nprogramme = \"P01\"\nmax = 4\n\n[[school]]\nschool = \"S02\"\nprogramme = \"P02\"\nmin = 2\n",
    )
    .unwrap();
    let cases: Vec<(&str, Vec<&str>, Vec<&Path>)> = vec![
        ("max-fit", vec!["--by-school"], vec![]),
        ("max-placed", vec![], vec![]),
        ("max-fit", vec!["--constraints"], vec![constraints.as_path()]),
    ];
    for (k, (policy, flags, extra)) in cases.iter().enumerate() {
        let mut args: Vec<&str> = vec!["match", sample.to_str().unwrap(), "--policy", policy, "--no-timings"];
        args.extend(flags);
        let single = tmp.path().join(format!("single-{k}"));
        let o = run(clean().args(&args).args(extra).arg("--out").arg(&single));
        assert!(o.status.success(), "{}", text(&o));
        let summary = fs::read_to_string(single.join("summary.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&summary).unwrap();
        let components = v["proof"]["components"].as_u64().unwrap() as u32;
        // The merged summary carries the rank profile too (it is the single run's).
        assert!(v["rank_profile"].is_array() && v["rank_cost"].is_u64(), "{summary}");
        assert!(components >= 3, "the sample splits into {components} components");
        // More shards than components leave some shards without work.
        for n in [1, 2, 3, components + 3] {
            let dir = tmp.path().join(format!("m{k}-{n}"));
            let (_, o) = shard_and_merge(&args, extra, n, &dir);
            assert!(o.status.success(), "merge of {n}: {}", text(&o));
            assert_same_files(&single, &dir.join("merged"), &format!("match {policy} {flags:?} in {n} shards"));
        }
    }
}

#[test]
fn merge_refuses_parts_of_other_runs_and_names_missing_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let s = seasons(tmp.path());
    let part = |name: &str, seeds: &str, shard: &str, season: &Path| {
        let p = tmp.path().join(name);
        let o = run(clean()
            .args(["compare", "--policies", POLICIES, "--seeds", seeds, "--no-timings", "--shard", shard])
            .arg(season)
            .arg("--out")
            .arg(&p));
        assert!(o.status.success(), "{}", text(&o));
        p
    };
    let a0 = part("a0", "3", "0/3", &s[0]);
    let a1 = part("a1", "3", "1/3", &s[0]);
    let a2 = part("a2", "3", "2/3", &s[0]);
    let seeds4 = part("b1", "4", "1/3", &s[0]);
    let other_season = part("c1", "3", "1/3", &s[1]);
    let four = part("d1", "3", "1/4", &s[0]);
    let out = tmp.path().join("out");
    let merge = |parts: &[&PathBuf]| run(clean().arg("merge").args(parts).arg("--out").arg(&out));
    let refused = |o: std::process::Output, says: &str| {
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains(says), "expected {says:?} in: {}", text(&o));
        assert!(!out.exists(), "a refused merge wrote {}", out.display());
    };
    refused(merge(&[&a0, &a2]), "missing shard(s) 1 of 3");
    refused(merge(&[&a2]), "missing shard(s) 0, 1 of 3");
    refused(merge(&[&a0, &seeds4, &a2]), "different runs: settings differ");
    refused(merge(&[&a0, &other_season, &a2]), "different runs: inputs differ");
    refused(merge(&[&a0, &four, &a2]), "different runs: shard counts differ");
    refused(merge(&[&a0, &a1, &a1, &a2]), "shard 1/3 is given twice");
    refused(merge(&[&a0, &tmp.path().join("nowhere"), &a2]), "cannot read part");
    let match_part = tmp.path().join("m0");
    let o = run(clean().args(["match"]).arg(&s[0]).args(["--shard", "0/3", "--out"]).arg(&match_part));
    assert!(o.status.success(), "{}", text(&o));
    refused(merge(&[&a0, &match_part, &a2]), "commands differ");
    // A season edited after the shards ran.
    let o = merge(&[&a0, &a1, &a2]);
    assert!(o.status.success(), "{}", text(&o));
    fs::remove_dir_all(&out).unwrap();
    let learners = s[0].join("learners.csv");
    let mut csv = fs::read_to_string(&learners).unwrap();
    csv.push('\n');
    fs::write(&learners, csv).unwrap();
    refused(merge(&[&a0, &a1, &a2]), "changed since the shards ran");
}

#[test]
fn shard_auto_reads_the_schedulers_index() {
    let tmp = tempfile::tempdir().unwrap();
    let s = seasons(tmp.path());
    let compare = |env: &[(&str, &str)], extra: &[&str], out: &Path| {
        let mut c = clean();
        c.args(["compare", "--policies", POLICIES, "--seeds", "3", "--no-timings"]).arg(&s[0]);
        c.args(["--shard", "auto"]).args(extra).arg("--out").arg(out);
        for (k, v) in env {
            c.env(k, v);
        }
        run(&mut c)
    };
    let shard_of = |dir: &Path| {
        let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(dir.join("part.json")).unwrap()).unwrap();
        (v["header"]["shard"]["index"].as_u64().unwrap(), v["header"]["shard"]["count"].as_u64().unwrap())
    };
    // Neither scheduler: exit 2, nothing written, and what to set.
    let none = tmp.path().join("none");
    let o = compare(&[], &[], &none);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("SLURM_ARRAY_TASK_ID") && text(&o).contains("JOB_COMPLETION_INDEX"), "{}", text(&o));
    assert!(!none.exists());
    // Slurm, an array numbered from 1 (--array=1-3).
    let mut parts = Vec::new();
    for id in 1..=3 {
        let p = tmp.path().join(format!("slurm-{id}"));
        let id = id.to_string();
        let env =
            [("SLURM_ARRAY_TASK_ID", id.as_str()), ("SLURM_ARRAY_TASK_COUNT", "3"), ("SLURM_ARRAY_TASK_MIN", "1")];
        let o = compare(&env, &[], &p);
        assert!(o.status.success(), "{}", text(&o));
        assert_eq!(shard_of(&p), (id.parse::<u64>().unwrap() - 1, 3));
        parts.push(p);
    }
    let single = tmp.path().join("single");
    let o = run(clean()
        .args(["compare", "--policies", POLICIES, "--seeds", "3", "--no-timings"])
        .arg(&s[0])
        .arg("--out")
        .arg(&single));
    assert!(o.status.success(), "{}", text(&o));
    let merged = tmp.path().join("merged");
    let o = run(clean().arg("merge").args(&parts).arg("--out").arg(&merged));
    assert!(o.status.success(), "{}", text(&o));
    assert_same_files(&single, &merged, "compare sharded by SLURM_ARRAY_TASK_ID");
    // Kubernetes: the index, and the count from --shards.
    let k8s = tmp.path().join("k8s");
    let o = compare(&[("JOB_COMPLETION_INDEX", "2")], &["--shards", "4"], &k8s);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(shard_of(&k8s), (2, 4));
    let o = compare(&[("JOB_COMPLETION_INDEX", "2")], &[], &tmp.path().join("k8s-no-count"));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--shards"), "{}", text(&o));
    let o = compare(&[("JOB_COMPLETION_INDEX", "4")], &["--shards", "4"], &tmp.path().join("k8s-out-of-range"));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    // Slurm's count and --shards must agree.
    let env = [("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_COUNT", "3")];
    let o = compare(&env, &["--shards", "4"], &tmp.path().join("disagree"));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn shard_spec_and_policy_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = repo("data/sample");
    for bad in ["4/4", "1-4", "0/0", "1/4x", "-1/4", "01"] {
        let out = tmp.path().join("bad");
        let o = run(clean().arg("match").arg(&sample).arg(format!("--shard={bad}")).arg("--out").arg(&out));
        assert_eq!(o.status.code(), Some(2), "--shard {bad}: {}", text(&o));
        assert!(text(&o).contains("--shard"), "{}", text(&o));
        assert!(!out.exists());
    }
    // A policy with one lottery over the whole season does not shard.
    for args in [&["--policy", "stable"][..], &["--policy", "max-fit", "--improve"][..], &["--solver", "lp"][..]] {
        let out = tmp.path().join("stable");
        let o = run(clean().arg("match").arg(&sample).args(args).args(["--shard", "0/2", "--out"]).arg(&out));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains("cannot be sharded"), "{}", text(&o));
        assert!(!out.exists());
    }
}

/// summary.json's `timings` has one entry per phase (load, score, solve,
/// advice, write) for a single match and for a merged sharded one; with
/// `--no-timings` it is left out, and the rest of the summary is the same.
#[test]
fn summary_timings_per_phase_unless_no_timings() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = repo("data/sample");
    let summary = |dir: &Path| -> serde_json::Value {
        serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
    };
    let phases = |v: &serde_json::Value, what: &str| {
        let t = v["timings"].as_object().unwrap_or_else(|| panic!("{what}: no timings in {v}"));
        let keys: Vec<&str> = t.keys().map(String::as_str).collect();
        assert_eq!(keys, ["advice", "load", "score", "solve", "write"], "{what}");
        for (k, s) in t {
            let s = s.as_f64().unwrap_or(-1.0);
            assert!(s.is_finite() && s >= 0.0, "{what}: {k} = {s}");
        }
        // The old fields are gone.
        assert!(v.get("load_seconds").is_none() && v.get("solve_seconds").is_none(), "{what}");
    };
    let timed = tmp.path().join("timed");
    let o = run(clean().arg("match").arg(&sample).arg("--out").arg(&timed));
    assert!(o.status.success(), "{}", text(&o));
    let mut v = summary(&timed);
    phases(&v, "match");
    let bare = tmp.path().join("bare");
    let o = run(clean().arg("match").arg(&sample).args(["--no-timings", "--out"]).arg(&bare));
    assert!(o.status.success(), "{}", text(&o));
    let b = summary(&bare);
    assert!(b.get("timings").is_none(), "--no-timings: {b}");
    v.as_object_mut().unwrap().remove("timings");
    assert_eq!(v, b, "timings are the only difference");
    let args = ["match", sample.to_str().unwrap()];
    let dir = tmp.path().join("sharded");
    let (_, o) = shard_and_merge(&args, &[], 2, &dir);
    assert!(o.status.success(), "{}", text(&o));
    phases(&summary(&dir.join("merged")), "merge");
}
