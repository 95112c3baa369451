//! Mentors (`mentors.csv`) and rhythms through the binary (issue 18):
//! placements.csv names each learner's mentor and days, unplaced.csv and
//! `explain` name the days when no mentor can guide a learner, bad mentor
//! rows are reported with file, line and field, and nothing is written.

mod common;

use std::fs;
use std::path::Path;

use common::{bin, csv_cells, run, text};

/// One programme, two schools (rhythms given), three learners (L3 of S1
/// with its own rhythm), one site with one seat and the given mentors.
fn season(dir: &Path, rhythms: [&str; 2], learner3: &str, mentors: &str) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("programmes.csv"), "id,name\nP1,Kok\n").unwrap();
    fs::write(
        dir.join("schools.csv"),
        format!("id,name,lat,lon,rhythm\nS1,A,51.0,4.0,{}\nS2,B,51.0,4.0,{}\n", rhythms[0], rhythms[1]),
    )
    .unwrap();
    fs::write(
        dir.join("learners.csv"),
        format!(
            "id,school,programme,lat,lon,max_commute_km,readiness,screening,attributes,preferences,rhythm\n\
             L1,S1,P1,51.0,4.0,30,3,passed,,,\n\
             L2,S2,P1,51.0,4.0,30,3,passed,,,\n\
             L3,S1,P1,51.0,4.0,30,3,passed,,,{learner3}\n"
        ),
    )
    .unwrap();
    fs::write(
        dir.join("workplaces.csv"),
        "id,company,lat,lon,capacity,min_readiness,requires,partner_schools,preferences\nW1,Resto,51.0,4.01,,1,,,\n",
    )
    .unwrap();
    fs::write(dir.join("recognitions.csv"), "workplace,programme,seats\nW1,P1,1\n").unwrap();
    fs::write(dir.join("mentors.csv"), mentors).unwrap();
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = rows[0].iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}: {:?}", rows[0]));
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

#[test]
fn complementary_rhythms_share_a_seat_and_each_learner_has_a_mentor() {
    let tmp = tempfile::tempdir().unwrap();
    let s = tmp.path().join("season");
    // L3 is at work on Friday, when the only mentor who could guide them is not.
    season(
        &s,
        ["mon;tue", "wed;thu"],
        "fri",
        "id,workplace,programmes,max_learners,days\nM1,W1,P1,1,mon;tue\nM2,W1,,2,mon;tue;wed;thu\n",
    );
    let out = tmp.path().join("out");
    let o = run(bin().args(["match"]).arg(&s).arg("--out").arg(&out));
    assert!(o.status.success(), "{}", text(&o));
    let rows = csv_cells(&out.join("placements.csv"));
    assert_eq!(column(&rows, "learner"), ["L1", "L2"]);
    assert_eq!(column(&rows, "days"), ["mon;tue", "wed;thu"]);
    // M1 guides one learner at most: L2 (Wednesday, Thursday) is M2's.
    assert_eq!(column(&rows, "mentor"), ["M1", "M2"]);
    // The school's follow-up visit names the same mentor (issue 19).
    let follow = csv_cells(&out.join("followup.csv"));
    let pairs: Vec<(String, String)> = column(&follow, "learner").into_iter().zip(column(&follow, "mentor")).collect();
    assert_eq!(pairs, [("L1".into(), "M1".into()), ("L2".into(), "M2".into())]);
    let unplaced = csv_cells(&out.join("unplaced.csv"));
    assert_eq!(column(&unplaced, "learner"), ["L3"]);
    let reason = &column(&unplaced, "reason")[0];
    assert!(reason.contains("no mentor") && reason.contains("(fri)"), "{reason}");

    // verify re-checks the seats day by day, and says that mentors leave
    // the optimum without a certificate instead of claiming it proven.
    let o = run(bin().arg("verify").arg(&s).arg(&out));
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("mentors.csv") && !t.contains("FAIL"), "{t}");

    let o = run(bin().args(["explain"]).arg(&s).args(["--learner", "L3"]));
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("present on all the learner's days, fri (days gate)"), "{}", text(&o));
}

#[test]
fn the_same_days_take_the_seat_once() {
    let tmp = tempfile::tempdir().unwrap();
    let s = tmp.path().join("season");
    season(&s, ["mon;tue", "mon;tue"], "", "id,workplace,programmes,max_learners,days\nM1,W1,,3,\n");
    let out = tmp.path().join("out");
    let o = run(bin().args(["match"]).arg(&s).arg("--out").arg(&out));
    assert!(o.status.success(), "{}", text(&o));
    let rows = csv_cells(&out.join("placements.csv"));
    assert_eq!(column(&rows, "mentor"), ["M1"]);
    // The same rhythm everywhere: the network path.
    let summary = fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(summary.contains("\"network-simplex\""), "{summary}");
}

#[test]
fn bad_mentor_rows_are_named_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let s = tmp.path().join("season");
    season(
        &s,
        ["mon;tue", "wed;thu"],
        "sun",
        "id,workplace,programmes,max_learners,days\nM1,W9,,1,\nM2,W1,P7,1,\nM3,W1,,0,mon;someday\n",
    );
    let out = tmp.path().join("out");
    let o = run(bin().args(["match"]).arg(&s).arg("--out").arg(&out));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("mentors.csv:2") && t.contains("unknown workplace"), "{t}");
    assert!(t.contains("mentors.csv:3") && t.contains("unknown programme"), "{t}");
    assert!(t.contains("mentors.csv:4") && t.contains("someday"), "{t}");
    assert!(t.contains("learners.csv:4") && t.contains("\"sun\" is not a day"), "{t}");
    assert!(!out.exists());
}

#[test]
fn rhythm_advice_gain_is_what_a_re_solve_places() {
    let tmp = tempfile::tempdir().unwrap();
    let example = common::repo("data/examples/mentors-rhythms");
    let out = tmp.path().join("out");
    let o = run(bin().args(["match", "--rhythm-advice"]).arg(&example).arg("--out").arg(&out));
    assert!(o.status.success(), "{}", text(&o));
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let advice = summary["rhythm_advice"].as_array().expect("rhythm_advice");
    assert!(!advice.is_empty());
    // Without --rhythm-advice, no re-solves and no advice.
    let plain = tmp.path().join("plain");
    let o = run(bin().args(["match"]).arg(&example).arg("--out").arg(&plain));
    assert!(o.status.success(), "{}", text(&o));
    let s: serde_json::Value = serde_json::from_str(&fs::read_to_string(plain.join("summary.json")).unwrap()).unwrap();
    assert!(s.get("rhythm_advice").is_none(), "{s}");
    let gains: Vec<i64> = advice.iter().map(|a| a["more_placed"].as_i64().unwrap()).collect();
    assert!(gains.windows(2).all(|w| w[0] >= w[1]), "ordered by gain: {gains:?}");
    let first = &advice[0];
    assert_eq!(first["shared_workplaces"], serde_json::json!(["W3"]));
    let placed = |dir: &Path| csv_cells(&dir.join("placements.csv")).len() - 1;
    // The same season with the mover's learners in the programme on the
    // advised days (as learner rhythms), solved again by the binary.
    let moved = tmp.path().join("moved");
    common::copy_dir(&example, &moved);
    let (school, programme, to) = (
        first["school_that_moves"].as_str().unwrap(),
        first["programme"].as_str().unwrap(),
        first["to"].as_str().unwrap(),
    );
    let learners = fs::read_to_string(moved.join("learners.csv")).unwrap();
    let rewritten: Vec<String> = learners
        .lines()
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            if cells[1] == school && cells[2] == programme {
                format!("{},{to}", cells[..cells.len() - 1].join(","))
            } else {
                line.to_string()
            }
        })
        .collect();
    fs::write(moved.join("learners.csv"), rewritten.join("\n") + "\n").unwrap();
    let out2 = tmp.path().join("out2");
    let o = run(bin().args(["match"]).arg(&moved).arg("--out").arg(&out2).arg("--no-advice"));
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(placed(&out2) as i64 - placed(&out) as i64, first["more_placed"].as_i64().unwrap());
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    for section in ["<h2>Mentors</h2>", "<h2>Weekly occupancy of scarce sites</h2>", "<h2>Rhythm advice</h2>"] {
        assert!(html.contains(section), "{section}");
    }
}

#[test]
fn rematch_names_the_mentors_too() {
    let tmp = tempfile::tempdir().unwrap();
    let example = common::repo("data/examples/mentors-rhythms");
    let (first, second) = (tmp.path().join("first"), tmp.path().join("second"));
    let o = run(bin().args(["match"]).arg(&example).arg("--out").arg(&first));
    assert!(o.status.success(), "{}", text(&o));
    let changes = tmp.path().join("changes.csv");
    fs::write(&changes, "event,learner,workplace,programme,seats\nlearner_left,L01,,,\n").unwrap();
    let o = run(bin()
        .args(["rematch"])
        .arg(&example)
        .arg("--previous")
        .arg(&first)
        .arg("--changes")
        .arg(&changes)
        .arg("--out")
        .arg(&second));
    assert!(o.status.success(), "{}", text(&o));
    let rows = csv_cells(&second.join("placements.csv"));
    let mentors = column(&rows, "mentor");
    assert!(!mentors.is_empty() && mentors.iter().all(|m| m.starts_with("M-")), "{mentors:?}");
}

#[test]
fn a_recognition_without_a_mentor_for_its_programme_is_warned_about() {
    let tmp = tempfile::tempdir().unwrap();
    let s = tmp.path().join("season");
    common::copy_dir(&common::repo("data/examples/mentors-rhythms"), &s);
    let o = run(bin().arg("validate").arg(&s));
    assert!(o.status.success() && !text(&o).contains("no mentor recognised"), "{}", text(&o));
    // W3's only P2 mentor now guides P1: W3/P2 has no mentor.
    let mentors = fs::read_to_string(s.join("mentors.csv")).unwrap().replace("M-Noord-1,W3,P2,", "M-Noord-1,W3,P1,");
    fs::write(s.join("mentors.csv"), mentors).unwrap();
    let o = run(bin().arg("validate").arg(&s));
    let t = text(&o);
    assert!(
        t.contains("1 recognition at sites with mentors has no mentor recognised") && t.contains("\"W3\"/\"P2\""),
        "{t}"
    );
}

#[test]
fn verify_checks_the_mentor_of_every_placement() {
    let tmp = tempfile::tempdir().unwrap();
    let example = common::repo("data/examples/mentors-rhythms");
    let out = tmp.path().join("out");
    let o = run(bin().args(["match"]).arg(&example).arg("--out").arg(&out));
    assert!(o.status.success(), "{}", text(&o));
    let o = run(bin().arg("verify").arg(&example).arg(&out));
    assert!(o.status.success() && text(&o).contains("mentors"), "{}", text(&o));
    // L01 (Monday, Tuesday at W3) handed to M-Noord-1, who guides only P2.
    let path = out.join("placements.csv");
    let placements = fs::read_to_string(&path).unwrap();
    assert!(placements.contains(",M-Noord-2,mon;tue"), "{placements}");
    fs::write(&path, placements.replacen(",M-Noord-2,mon;tue", ",M-Noord-1,mon;tue", 1)).unwrap();
    let o = run(bin().arg("verify").arg(&example).arg(&out));
    let t = text(&o);
    assert!(!o.status.success() && t.contains("mentor M-Noord-1 cannot guide L01"), "{t}");
}
