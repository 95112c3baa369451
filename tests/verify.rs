//! `dualmatch verify SEASON RESULT_DIR` end to end: it passes on the output
//! of every policy (with and without constraints, the exact ones proven by
//! their certificate), and catches hand-edited results: an over-full site, a
//! learner placed twice, a pair outside the commute cap, a total that does
//! not add up, a tampered or missing certificate; bad input exits 2. Also
//! minimum group sizes (`[[site]]`) through `match`: both forms honoured and
//! verified, an impossible minimum explained, and the policies that cannot
//! meet them refused.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use dualmatch_optimiser::policies::ALL;

mod common;
use common::{bin, copy_dir, data, plain_sample, text};

fn sample() -> PathBuf {
    plain_sample()
}

fn run_match(season: &Path, policy: &str, constraints: Option<&Path>, out: &Path) -> Output {
    let mut cmd = bin();
    cmd.arg("match").arg(season).args(["-q", "--seed", "5", "--policy", policy, "--out"]).arg(out);
    if let Some(c) = constraints {
        cmd.arg("--constraints").arg(c);
    }
    cmd.output().expect("failed to start dualmatch")
}

fn verify(season: &Path, dir: &Path, constraints: Option<&Path>) -> Output {
    let mut cmd = bin();
    cmd.arg("verify").arg(season).arg(dir).arg("-q");
    if let Some(c) = constraints {
        cmd.arg("--constraints").arg(c);
    }
    cmd.output().expect("failed to start dualmatch")
}

/// The verdict line of check `name` in verify's output.
fn line<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines().find(|l| l.get(6..).is_some_and(|r| r.starts_with(&format!("{name}:")))).unwrap_or_else(|| {
        panic!("no check {name:?} in\n{out}");
    })
}

/// Rows of a CSV file: the header and the records.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let h = rdr.headers().unwrap().iter().map(|s| s.trim_start_matches('\u{feff}').to_string()).collect();
    (h, rdr.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect())
}

fn write_csv(path: &Path, header: &[String], rows: &[Vec<String>]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(header).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

#[test]
fn verify_passes_on_every_policy() {
    let tmp = tempfile::tempdir().unwrap();
    for policy in ALL {
        let out = tmp.path().join(policy);
        let m = run_match(&sample(), policy, None, &out);
        assert_eq!(m.status.code(), Some(0), "{policy}: {}", text(&m));
        let v = verify(&sample(), &out, None);
        let t = text(&v);
        assert_eq!(v.status.code(), Some(0), "{policy}:\n{t}");
        assert!(!t.contains("FAIL"), "{policy}:\n{t}");
        let cert = line(&t, "optimality certificate");
        if matches!(*policy, "max-fit" | "max-placed") {
            assert!(cert.starts_with("PASS") && cert.contains("equals the total"), "{policy}: {cert}");
        } else {
            assert!(cert.starts_with("SKIP"), "{policy}: {cert}");
        }
        let stable = line(&t, "no blocking pair");
        assert_eq!(stable.starts_with("PASS"), matches!(*policy, "stable" | "stable-workplace"), "{policy}: {stable}");
        // summary.json's rank profile is recomputed from the placements.
        let rank = line(&t, "rank profile");
        assert!(rank.starts_with("PASS") && rank.contains("rank cost"), "{policy}: {rank}");
    }
    // Improved after the policy: every rule still holds; stability is not claimed.
    let out = tmp.path().join("stable-improved");
    let m =
        bin().arg("match").arg(sample()).args(["-q", "--policy", "stable", "--improve", "--out"]).arg(&out).output();
    assert_eq!(m.unwrap().status.code(), Some(0));
    let t = text(&verify(&sample(), &out, None));
    assert!(!t.contains("FAIL") && line(&t, "no blocking pair").contains("--improve"), "{t}");
}

/// Constraints of every kind on the sample: the certificates carry duals of
/// floors, caps, reserves, pins and hard site minimums, and still prove the
/// optimum.
#[test]
fn verify_proves_exact_results_under_every_constraint_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("c.toml");
    fs::write(
        &c,
        "min_score = 30.0\n\
         [[school]]\nschool = \"S03\"\nprogramme = \"P04\"\nmax = 2\n\
         [[school]]\nschool = \"S09\"\nprogramme = \"P01\"\nmin = 12\nmax = 14\n\
         [[reserve]]\npriority_group = \"extra_support\"\nprogramme = \"P01\"\nseats = 1\n\
         [[pin]]\nlearner = \"L000001\"\nworkplace = \"W000060\"\n\
         [[forbid]]\nlearner = \"L000002\"\nworkplace = \"W000011\"\n\
         [[site]]\nworkplace = \"W000060\"\nmin = 2\n",
    )
    .unwrap();
    for policy in ["max-fit", "max-placed", "fair-share"] {
        let out = tmp.path().join(policy);
        let m = run_match(&sample(), policy, Some(&c), &out);
        assert_eq!(m.status.code(), Some(0), "{policy}: {}", text(&m));
        let v = verify(&sample(), &out, Some(&c));
        let t = text(&v);
        assert_eq!(v.status.code(), Some(0), "{policy}:\n{t}");
        if policy != "fair-share" {
            let (_, rows) = read_csv(&out.join("certificate.csv"));
            for kind in ["school_cap", "school_floor", "learner", "seats"] {
                assert!(rows.iter().any(|r| r[0] == kind), "{policy}: no {kind} dual");
            }
            assert!(line(&t, "optimality certificate").starts_with("PASS"), "{policy}:\n{t}");
        }
        // Verified against other constraints (none), the certificate of an
        // exact result names constraints that are not set: it fails.
        if policy != "fair-share" {
            let v = verify(&sample(), &out, None);
            assert_eq!(v.status.code(), Some(1), "{policy} without the constraints:\n{}", text(&v));
            assert!(line(&text(&v), "optimality certificate").contains("no [[school]] bound"), "{}", text(&v));
        }
    }
}

#[test]
fn verify_catches_hand_edited_results() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good");
    assert_eq!(run_match(&sample(), "max-fit", None, &good).status.code(), Some(0));
    let (header, rows) = read_csv(&good.join("placements.csv"));
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (cl, cw, cp, cs) = (col("learner"), col("workplace"), col("programme"), col("score"));
    let (_, recs) = read_csv(&sample().join("recognitions.csv"));
    let (_, sites) = read_csv(&sample().join("workplaces.csv"));
    let (_, learners) = read_csv(&sample().join("learners.csv"));
    let edited = |name: &str, f: &dyn Fn(&Path, &mut Vec<Vec<String>>)| {
        let dir = tmp.path().join(name);
        copy_dir(&good, &dir);
        let mut rows = rows.clone();
        f(&dir, &mut rows);
        write_csv(&dir.join("placements.csv"), &header, &rows);
        let v = verify(&sample(), &dir, None);
        (v.status.code(), text(&v))
    };

    // Untouched, or with displayed scores rounded and an extra column: it holds.
    let (code, t) = edited("untouched", &|_, _| {});
    assert_eq!(code, Some(0), "{t}");
    let mut wide = header.clone();
    wide.push("learner_name".into());
    let dir = tmp.path().join("wide");
    copy_dir(&good, &dir);
    let rounded: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r[cs] = format!("{:.0}", r[cs].parse::<f64>().unwrap());
            r.push("Name".into());
            r
        })
        .collect();
    write_csv(&dir.join("placements.csv"), &wide, &rounded);
    let v = verify(&sample(), &dir, None);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));

    // An over-full site: a learner moved onto a recognition whose seats are all taken.
    let full = recs
        .iter()
        .find(|r| {
            let n = rows.iter().filter(|x| x[cw] == r[0] && x[cp] == r[1]).count();
            n > 0 && n.to_string() == r[2] && rows.iter().any(|x| x[cp] == r[1] && x[cw] != r[0])
        })
        .expect("a full recognition");
    let moved = rows.iter().position(|x| x[cp] == full[1] && x[cw] != full[0]).unwrap();
    let (code, t) = edited("overfull", &|_, rows| rows[moved][cw] = full[0].clone());
    assert_eq!(code, Some(1), "{t}");
    let seats = line(&t, "seats");
    assert!(seats.starts_with("FAIL") && seats.contains(&format!("{}/{}", full[0], full[1])), "{seats}");
    assert!(seats.contains(&(moved + 2).to_string()), "names the row: {seats}");

    // A learner placed twice.
    let (code, t) = edited("twice", &|_, rows| {
        let again = rows[3].clone();
        rows.push(again);
    });
    assert_eq!(code, Some(1), "{t}");
    let twice = line(&t, "one placement per learner");
    assert!(twice.starts_with("FAIL") && twice.contains(&format!("rows 5 and {}", rows.len() + 2)), "{twice}");

    // A pair outside the commute cap: the learner moved to the farthest site
    // recognised for the programme.
    let r0 = &rows[0];
    let l = learners.iter().find(|l| l[0] == r0[cl]).unwrap();
    let (lat, lon): (f64, f64) = (l[3].parse().unwrap(), l[4].parse().unwrap());
    let far = recs
        .iter()
        .filter(|r| r[1] == r0[cp])
        .map(|r| {
            let s = sites.iter().find(|s| s[0] == r[0]).unwrap();
            let (a, b): (f64, f64) = (s[2].parse().unwrap(), s[3].parse().unwrap());
            ((a - lat).powi(2) + (b - lon).powi(2), r[0].clone())
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap()
        .1;
    let (code, t) = edited("far", &|_, rows| rows[0][cw] = far.clone());
    assert_eq!(code, Some(1), "{t}");
    let gates = line(&t, "gates");
    assert!(
        gates.starts_with("FAIL") && gates.contains("row 2") && gates.contains("beyond the longest commute"),
        "{gates}"
    );

    // A total that does not add up: one score edited in summary.json.
    let (code, t) = edited("total", &|dir, _| {
        let p = dir.join("summary.json");
        let mut v: serde_json::Value = serde_json::from_str(&fs::read_to_string(&p).unwrap()).unwrap();
        v["total_score"] = serde_json::json!(v["total_score"].as_f64().unwrap() + 0.5);
        fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    });
    assert_eq!(code, Some(1), "{t}");
    assert!(line(&t, "totals").starts_with("FAIL"), "{t}");

    // A rank profile that does not add up: rank_cost or one count edited,
    // or off_list; the other checks still pass.
    for (field, edit) in [
        (
            "rank_cost",
            &(|v: &mut serde_json::Value| v["rank_cost"] = (v["rank_cost"].as_u64().unwrap() + 1).into())
                as &dyn Fn(&mut serde_json::Value),
        ),
        ("rank_profile", &|v| v["rank_profile"][0] = (v["rank_profile"][0].as_u64().unwrap() + 1).into()),
        ("off_list", &|v| v["off_list"] = (v["off_list"].as_u64().unwrap() + 1).into()),
    ] {
        let (code, t) = edited(&format!("rank-{field}"), &|dir, _| {
            let p = dir.join("summary.json");
            let mut v: serde_json::Value = serde_json::from_str(&fs::read_to_string(&p).unwrap()).unwrap();
            edit(&mut v);
            fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        });
        assert_eq!(code, Some(1), "{field}: {t}");
        let rank = line(&t, "rank profile");
        assert!(rank.starts_with("FAIL") && rank.contains(field), "{field}: {rank}");
        assert!(line(&t, "totals").starts_with("PASS"), "{field}: {t}");
    }

    // A learner dropped: the placed count and the total no longer add up,
    // and the certificate's bound is above the total.
    let (code, t) = edited("dropped", &|_, rows| {
        rows.remove(0);
    });
    assert_eq!(code, Some(1), "{t}");
    assert!(line(&t, "totals").starts_with("FAIL"), "{t}");
    assert!(line(&t, "optimality certificate").starts_with("FAIL"), "{t}");

    // A tampered certificate: one learner's dual lowered, or the file removed.
    let (code, t) = edited("certificate", &|dir, _| {
        let p = dir.join("certificate.csv");
        let (h, mut c) = read_csv(&p);
        let i = c.iter().position(|r| r[0] == "learner" && r[3].parse::<i64>().unwrap() > 0).unwrap();
        c[i][3] = (c[i][3].parse::<i64>().unwrap() - 1).to_string();
        write_csv(&p, &h, &c);
    });
    assert_eq!(code, Some(1), "{t}");
    let cert = line(&t, "optimality certificate");
    assert!(cert.starts_with("FAIL") && cert.contains("dual constraint of the pair"), "{cert}");
    let (code, t) = edited("no-certificate", &|dir, _| fs::remove_file(dir.join("certificate.csv")).unwrap());
    assert_eq!(code, Some(1), "{t}");
    assert!(line(&t, "optimality certificate").contains("missing"), "{t}");

    // Bad input: no learner column, or no placements.csv: exit 2.
    let dir = tmp.path().join("bad");
    copy_dir(&good, &dir);
    fs::write(dir.join("placements.csv"), "who,where\nL1,W1\n").unwrap();
    let v = verify(&sample(), &dir, None);
    assert_eq!(v.status.code(), Some(2), "{}", text(&v));
    assert!(text(&v).contains("needs the columns learner and workplace"), "{}", text(&v));
    fs::remove_file(dir.join("placements.csv")).unwrap();
    let v = verify(&sample(), &dir, None);
    assert_eq!(v.status.code(), Some(2), "{}", text(&v));
}

/// A result made from supplied candidates is verified against the same
/// file (the scores are the file's); against scores made afresh, its totals
/// do not add up.
#[test]
fn verify_reads_supplied_candidates() {
    let tmp = tempfile::tempdir().unwrap();
    let season = data("base");
    let scored = tmp.path().join("scored.csv");
    let s = bin().arg("score").arg(&season).arg("-q").arg("--out").arg(&scored).output().unwrap();
    assert_eq!(s.status.code(), Some(0), "{}", text(&s));
    // Every supplied score 10 points lower than dualmatch's.
    let (h, rows) = read_csv(&scored);
    let sc = h.iter().position(|x| x == "score").unwrap();
    let lowered: Vec<Vec<String>> = rows
        .into_iter()
        .map(|mut r| {
            r[sc] = (r[sc].parse::<f64>().unwrap() - 10.0).to_string();
            r
        })
        .collect();
    let supplied = tmp.path().join("supplied.csv");
    write_csv(&supplied, &h, &lowered);
    let out = tmp.path().join("out");
    let m =
        bin().arg("match").arg(&season).arg("--candidates").arg(&supplied).arg("-q").arg("--out").arg(&out).output();
    assert_eq!(m.unwrap().status.code(), Some(0));
    let with = bin().arg("verify").arg(&season).arg(&out).arg("--candidates").arg(&supplied).output().unwrap();
    assert_eq!(with.status.code(), Some(0), "{}", text(&with));
    let without = verify(&season, &out, None);
    assert_eq!(without.status.code(), Some(1), "{}", text(&without));
    assert!(line(&text(&without), "totals").starts_with("FAIL"), "{}", text(&without));
}

/// The base test season, where only L01 and L02 reach W-GENT2 (1 seat;
/// L01 scores higher at W-GENT1), and a copy where W-GENT2 has 2 seats.
#[test]
fn minimum_group_sizes_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let season = data("base");
    let two_seats = tmp.path().join("season");
    copy_dir(&season, &two_seats);
    let recs = fs::read_to_string(season.join("recognitions.csv")).unwrap();
    assert!(recs.contains("W-GENT2,P-KOK,1\n"));
    fs::write(two_seats.join("recognitions.csv"), recs.replace("W-GENT2,P-KOK,1\n", "W-GENT2,P-KOK,2\n")).unwrap();
    let run_on = |season: &Path, name: &str, policy: &str, toml: &str| {
        let c = tmp.path().join(format!("{name}.toml"));
        fs::write(&c, toml).unwrap();
        let out = tmp.path().join(name);
        (run_match(season, policy, Some(&c), &out), out, c)
    };
    let run = |name: &str, policy: &str, toml: &str| run_on(&season, name, policy, toml);
    // Both forms honoured (L01 leaves W-GENT1 to make a group of two), and verified.
    for (name, allow) in [("hard", "false"), ("group", "true")] {
        for policy in ["max-fit", "max-placed"] {
            let toml = format!("[[site]]\nworkplace = \"W-GENT2\"\nmin = 2\nallow_empty = {allow}\n");
            let (m, out, c) = run_on(&two_seats, &format!("{name}-{policy}"), policy, &toml);
            assert_eq!(m.status.code(), Some(0), "{name} {policy}: {}", text(&m));
            let (h, rows) = read_csv(&out.join("placements.csv"));
            let (l, w) =
                (h.iter().position(|x| x == "learner").unwrap(), h.iter().position(|x| x == "workplace").unwrap());
            let at: Vec<&str> = rows.iter().filter(|r| r[w] == "W-GENT2").map(|r| r[l].as_str()).collect();
            assert_eq!(at, ["L01", "L02"], "{name} {policy}");
            let v = verify(&two_seats, &out, Some(&c));
            assert_eq!(v.status.code(), Some(0), "{name} {policy}:\n{}", text(&v));
            // The hard minimum binds: its dual is in the certificate, which
            // proves the optimum; the mixed-integer result has none.
            let cert = line(&text(&v), "optimality certificate").to_string();
            if allow == "false" {
                let (_, rows) = read_csv(&out.join("certificate.csv"));
                assert!(rows.iter().any(|r| r[0] == "site_min" && r[1] == "W-GENT2"), "{name} {policy}: {rows:?}");
                assert!(cert.starts_with("PASS"), "{name} {policy}: {cert}");
            } else {
                assert!(!out.join("certificate.csv").exists());
                assert!(cert.starts_with("SKIP") && cert.contains("mip"), "{name} {policy}: {cert}");
            }
            let summary = fs::read_to_string(out.join("summary.json")).unwrap();
            let method = if allow == "true" { "network-simplex+mip-" } else { "\"network-simplex\"" };
            assert!(summary.contains(method), "{name} {policy}: {summary}");
        }
    }
    // A time limit: whether or not it is hit, the result meets every rule
    // and its bound is at least its total; a limit that is not a positive
    // number of seconds is refused (exit 2).
    let c = tmp.path().join("limit.toml");
    fs::write(&c, "[[site]]\nworkplace = \"W-GENT2\"\nmin = 2\nallow_empty = true\n").unwrap();
    let out = tmp.path().join("limit");
    let m = bin()
        .arg("match")
        .arg(&two_seats)
        .arg("--constraints")
        .arg(&c)
        .args(["--time-limit", "0.000001", "-q", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(m.status.code(), Some(0), "{}", text(&m));
    assert_eq!(verify(&two_seats, &out, Some(&c)).status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let (bound, total) = (v["proof"]["bound"].as_f64().unwrap(), v["total_score"].as_f64().unwrap());
    assert!(bound >= total - 1e-6 && v["proof"]["gap"].as_f64().unwrap() >= 0.0, "{v}");
    for bad in ["0", "-1", "soon"] {
        let arg = format!("--time-limit={bad}");
        let out = tmp.path().join(format!("limit{bad}"));
        let m = bin().arg("match").arg(&two_seats).args([arg.as_str(), "-q", "--out"]).arg(&out).output().unwrap();
        assert_eq!(m.status.code(), Some(2), "{bad}: {}", text(&m));
        assert!(text(&m).contains("is not a number of seconds above 0"), "{}", text(&m));
    }
    // A minimum the site cannot reach: explained, exit 1, nothing written.
    for allow in ["false", "true"] {
        let toml = format!(
            "[[site]]\nworkplace = \"W-GENT2\"\nmin = 2\nallow_empty = {allow}\n\
             [[pin]]\nlearner = \"L02\"\nworkplace = \"W-GENT2\"\n"
        );
        let (m, out, _) = run(&format!("impossible-{allow}"), "max-fit", &toml);
        let t = text(&m);
        assert_eq!(m.status.code(), Some(1), "{allow}: {t}");
        assert!(!out.exists(), "{allow}: something was written");
        let want = if allow == "false" {
            "site W-GENT2 needs a group of at least 2 learners: 2 placements needed, but only 1 are within reach (W-GENT2 seats 1)"
        } else {
            "sites W-GENT2 (0 or at least 2) take a group or nobody, and no choice of which of them stay empty meets the other constraints (pinned learners: L02)"
        };
        assert!(t.contains(want), "{allow}: {t}");
    }
    // Policies that cannot meet them are refused before any work: the
    // rank-profile policies too (their network phases do not model them),
    // though they meet school floors.
    for policy in ["stable", "rank-maximal", "max-size-min-cost", "greedy-max", "generous-max"] {
        let (m, out, _) = run(policy, policy, "[[site]]\nworkplace = \"W-GENT1\"\nmin = 2\nallow_empty = true\n");
        assert_eq!(m.status.code(), Some(2), "{policy}: {}", text(&m));
        assert!(!out.exists(), "{policy}");
        let t = text(&m);
        assert!(t.contains(&format!("policy {policy} cannot guarantee minimum group sizes")), "{t}");
        assert!(t.contains(&format!("{policy}.toml:2")), "{t}");
        assert!(t.contains("use --policy max-fit, max-placed or fair-share, which meet them"), "{t}");
    }
}
