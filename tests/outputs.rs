//! Outputs for people (issue 12): names beside ids and rounded figures in
//! the result files, the files each policy leaves out and why, the report
//! of `rematch`, the compare report, and the season workbook `template`
//! with its validation (also written by `convert`).

use std::collections::HashMap;
use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

mod common;
use common::{bin, copy_dir, csv_cells, data, plain_sample, run, text};

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The rows of a CSV file (header left out) as maps from column to cell.
fn records(path: &Path) -> Vec<HashMap<String, String>> {
    let cells = csv_cells(path);
    cells[1..].iter().map(|r| cells[0].iter().cloned().zip(r.iter().cloned()).collect()).collect()
}

/// id → second column (the name) of a season's CSV file.
fn names(path: &Path) -> HashMap<String, String> {
    csv_cells(path).into_iter().skip(1).map(|r| (r[0].clone(), r[1].clone())).collect()
}

/// The number of decimals written in `cell`.
fn decimals(cell: &str) -> usize {
    cell.split_once('.').map_or(0, |(_, d)| d.len())
}

fn match_into(season: &Path, out: &Path, args: &[&str]) {
    let o = run(bin().arg("match").arg(season).args(args).args(["-q", "--out"]).arg(out));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

/// placements.csv, unplaced.csv and waitlist.csv name the company, school
/// and programme beside each id (as the season names them), with scores to
/// two decimals and km to one; summary.json keeps the exact total.
#[test]
fn result_files_name_companies_schools_and_programmes_with_rounded_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = plain_sample();
    let out = tmp.path().join("r");
    match_into(&sample, &out, &["--by-school"]);
    let company = names(&sample.join("workplaces.csv"));
    let school = names(&sample.join("schools.csv"));
    let programme = names(&sample.join("programmes.csv"));
    let check = |rows: &[HashMap<String, String>], file: &str| {
        assert!(!rows.is_empty(), "{file} is empty");
        for r in rows {
            if let Some(w) = r.get("workplace") {
                assert_eq!(r["company"], company[w], "{file}: {r:?}");
            }
            assert_eq!(r["school_name"], school[&r["school"]], "{file}: {r:?}");
            assert_eq!(r["programme_name"], programme[&r["programme"]], "{file}: {r:?}");
            if let Some(score) = r.get("score") {
                assert_eq!(decimals(score), 2, "{file}: score {score}");
            }
            if let Some(km) = r.get("distance_km") {
                assert_eq!(decimals(km), 1, "{file}: distance {km}");
            }
        }
    };
    let placements = records(&out.join("placements.csv"));
    check(&placements, "placements.csv");
    check(&records(&out.join("unplaced.csv")), "unplaced.csv");
    check(&records(&out.join("waitlist.csv")), "waitlist.csv");
    let folder = fs::read_dir(out.join("by-school")).unwrap().map(|e| e.unwrap().path()).find(|p| p.is_dir()).unwrap();
    check(&records(&folder.join("placements.csv")), "by-school placements.csv");
    // The exact total is in summary.json; the rounded scores add up to it
    // within half a hundredth each.
    let summary: serde_json::Value = serde_json::from_str(&read(&out.join("summary.json"))).unwrap();
    let total = summary["total_score"].as_f64().unwrap();
    let rounded: f64 = placements.iter().map(|r| r["score"].parse::<f64>().unwrap()).sum();
    assert!((rounded - total).abs() <= 0.005 * placements.len() as f64, "{rounded} vs {total}");
    assert!(decimals(&total.to_string()) > 2, "summary.json keeps the exact total: {total}");
}

/// Names are user text: in CSV files a name that a spreadsheet would run
/// as a formula gets a leading `'`, and in report.html markup is escaped.
#[test]
fn names_are_neutralised_in_csv_files_and_escaped_in_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let season = tmp.path().join("season");
    copy_dir(&data("base"), &season);
    let schools = read(&season.join("schools.csv")).replace("Sint-Jozef Aalst", "<b>Sint-Jozef</b>");
    fs::write(season.join("schools.csv"), schools).unwrap();
    let sites = read(&season.join("workplaces.csv")).replace("Restaurant De Zwaan", "=1+2");
    fs::write(season.join("workplaces.csv"), sites).unwrap();
    let out = tmp.path().join("r");
    match_into(&season, &out, &[]);
    let rows = records(&out.join("placements.csv"));
    let aalst = rows.iter().find(|r| r["workplace"] == "W-AALST1").expect("someone at W-AALST1");
    assert_eq!(aalst["company"], "'=1+2");
    let html = read(&out.join("report.html"));
    assert!(html.contains("&lt;b&gt;Sint-Jozef&lt;/b&gt;") && !html.contains("<b>Sint-Jozef"), "unescaped name");
}

/// Every policy writes the same files, or summary.json and the report say
/// which file is left out and why.
#[test]
fn every_policy_says_which_files_it_leaves_out_and_why() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = plain_sample();
    let advice_files = ["seat_values.csv", "waitlist.csv", "recruitment.csv"];
    for (policy, extra) in
        [("max-fit", &[][..]), ("max-fit", &["--no-advice"][..]), ("stable", &[][..]), ("greedy", &[][..])]
    {
        let out = tmp.path().join(format!("{policy}{}", extra.len()));
        let mut args = vec!["--policy", policy];
        args.extend(extra);
        match_into(&sample, &out, &args);
        let summary: serde_json::Value = serde_json::from_str(&read(&out.join("summary.json"))).unwrap();
        let absent: HashMap<&str, &str> = summary["files_not_written"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["file"].as_str().unwrap(), a["why"].as_str().unwrap()))
            .collect();
        let html = read(&out.join("report.html"));
        for f in advice_files {
            match absent.get(f) {
                Some(why) => {
                    assert!(!out.join(f).exists(), "{policy}: {f} written and said to be absent");
                    assert!(html.contains(&format!("No {f}: ")), "{policy}: the report does not say why {f} is absent");
                    assert!(why.len() > 10, "{why}");
                }
                None => assert!(out.join(f).exists(), "{policy} {extra:?}: {f} neither written nor explained"),
            }
        }
        let expect = match (policy, extra.is_empty()) {
            ("max-fit", true) => 0,
            ("max-fit", false) => 2,
            _ => 3,
        };
        assert_eq!(absent.len(), expect, "{policy} {extra:?}: {absent:?}");
    }
}

/// `rematch` writes report.html with the changes.
#[test]
fn rematch_writes_a_report_with_the_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = plain_sample();
    let first = tmp.path().join("first");
    match_into(&sample, &first, &[]);
    let placed = records(&first.join("placements.csv"));
    let changes = tmp.path().join("changes.csv");
    let mut events = String::from("event,learner,workplace,programme,seats\n");
    for r in placed.iter().take(4) {
        events.push_str(&format!("agreement_ended,{},{},,\n", r["learner"], r["workplace"]));
    }
    fs::write(&changes, events).unwrap();
    let second = tmp.path().join("second");
    let o = run(bin()
        .arg("rematch")
        .arg(&sample)
        .arg("--previous")
        .arg(&first)
        .arg("--changes")
        .arg(&changes)
        .args(["-q", "--out"])
        .arg(&second));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let html = read(&second.join("report.html"));
    assert!(html.contains("<h2>Changes</h2>"), "no changes section");
    let changed = records(&second.join("placement_changes.csv"));
    assert!(!changed.is_empty());
    for c in &changed {
        assert!(html.contains(&format!("<td>{}</td>", c["learner"])), "{} not in the report", c["learner"]);
    }
    assert!(html.contains("kept fixed"), "the report does not say kept placements were fixed");
}

/// The compare report explains every metric, shows whole counts without
/// decimals, lists seasons in natural order and, for several seasons,
/// charts each policy's placement rate across them.
#[test]
fn compare_report_explains_metrics_and_orders_seasons_naturally() {
    let tmp = tempfile::tempdir().unwrap();
    let (five, ten) = (tmp.path().join("schools-5"), tmp.path().join("schools-10"));
    copy_dir(&data("base"), &five);
    copy_dir(&data("base"), &ten);
    let out = tmp.path().join("cmp");
    let o = run(bin()
        .arg("compare")
        .arg(&ten)
        .arg(&five)
        .args(["--policies", "max-fit,stable,random-serial", "--seeds", "2", "-q", "--out"])
        .arg(&out));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let html = read(&out.join("report.html"));
    for term in ["Jain", "blocking pairs", "justified envy", "km mean, km p90", "min school rate", "unfilled seats"] {
        assert!(html.contains(&format!("<dt>{term}</dt>")), "no glossary entry for {term}");
    }
    let at = |s: &Path| html.find(&format!("<h2>{}</h2>", s.display())).unwrap();
    assert!(at(&five) < at(&ten), "schools-5 must come before schools-10");
    assert!(html.contains("<h2>Across the seasons</h2>") && html.contains("Placement rate of each policy across"));
    // base has 8 learners: every placed count is a whole number, shown as such.
    let placed = serde_json::from_str::<serde_json::Value>(&read(&out.join("comparison.json"))).unwrap()["runs"][0]
        ["metrics"]["placed"]
        .as_u64()
        .unwrap();
    assert!(html.contains(&format!("<td class=\"n\">{placed}</td>")), "placed count {placed} not shown as an integer");
    assert!(!html.contains(&format!(">{placed}.0<")), "placed shown with a decimal");
}

/// The parts of an xlsx file: name → bytes.
fn unzip(book: &Path) -> HashMap<String, Vec<u8>> {
    let mut zip = zip::ZipArchive::new(fs::File::open(book).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).unwrap();
            (f.name().to_string(), bytes)
        })
        .collect()
}

/// Sheet name → its part (`xl/worksheets/sheetN.xml`), from the workbook's
/// parts (rust_xlsxwriter numbers sheets in order).
fn sheets(parts: &HashMap<String, Vec<u8>>) -> Vec<(String, String)> {
    let wb = String::from_utf8(parts["xl/workbook.xml"].clone()).unwrap();
    wb.split("<sheet name=\"")
        .skip(1)
        .enumerate()
        .map(|(i, s)| (s[..s.find('"').unwrap()].to_string(), format!("xl/worksheets/sheet{}.xml", i + 1)))
        .collect()
}

/// The data validations of each sheet: sheet → [(type, sqref, formula)].
fn validations(book: &Path) -> HashMap<String, Vec<String>> {
    let parts = unzip(book);
    sheets(&parts)
        .into_iter()
        .map(|(name, part)| {
            let xml = String::from_utf8(parts[&part].clone()).unwrap();
            let found = xml
                .split("<dataValidation ")
                .skip(1)
                .map(|v| {
                    let end = v.find("</dataValidation>").unwrap_or(v.len());
                    let attr = |a: &str| {
                        v.find(&format!("{a}=\"")).map_or(String::new(), |i| {
                            let rest = &v[i + a.len() + 2..];
                            rest[..rest.find('"').unwrap()].to_string()
                        })
                    };
                    format!("{} {} {}", attr("type"), attr("sqref"), &v[v.find('>').unwrap() + 1..end])
                })
                .collect();
            (name, found)
        })
        .collect()
}

/// The rules of a season workbook: lists fed by its own sheets, numbers in range.
fn assert_season_validation(book: &Path) {
    let v = validations(book);
    let has = |sheet: &str, want: &str| {
        assert!(v[sheet].iter().any(|x| x.contains(want)), "{sheet}: no validation {want:?} in {:?}", v[sheet]);
    };
    has("learners", "list B2:B1048576 <formula1>schools!$A$2:$A$1048576");
    has("learners", "list C2:C1048576 <formula1>programmes!$A$2:$A$1048576");
    has("learners", "list H2:H1048576 <formula1>\"passed,pending,failed\"");
    has("learners", "whole G2:G1048576 <formula1>1</formula1><formula2>4");
    has("learners", "decimal D2:D1048576 <formula1>-90</formula1><formula2>90");
    has("learners", "decimal F2:F1048576 <formula1>0");
    has("recognitions", "list A2:A1048576 <formula1>workplaces!$A$2:$A$1048576");
    has("recognitions", "list B2:B1048576 <formula1>programmes!$A$2:$A$1048576");
    has("recognitions", "whole C2:C1048576 <formula1>0");
    has("workplaces", "whole E2:E1048576 <formula1>0");
    has("schools", "decimal D2:D1048576 <formula1>-180</formula1><formula2>180");
}

/// `template`: an instructions sheet, then every table's sheet with its CSV
/// header and the validation; filled in with the rows of the sample season
/// (as a person would type them), it matches exactly like the CSV season.
#[test]
fn a_filled_in_template_matches_like_the_csv_season() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("season.xlsx");
    let o = run(bin().arg("template").arg("--out").arg(&book));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let parts = unzip(&book);
    let sheets = sheets(&parts);
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["instructions", "programmes", "schools", "learners", "workplaces", "recognitions"]);
    assert_season_validation(&book);
    // Empty, the template is a season with no rows: each sheet says so, and
    // nothing about the instructions sheet.
    let o = run(bin().arg("validate").arg(&book));
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains("sheet 'learners' has a header but no rows") && !t.contains("instructions"), "{t}");
    // Fill each sheet with the sample's rows under the template's header.
    let sample = plain_sample();
    let numeric = ["lat", "lon", "max_commute_km", "readiness", "capacity", "min_readiness", "seats"];
    let mut filled: HashMap<String, Vec<u8>> = parts.clone();
    for (name, part) in sheets.iter().skip(1) {
        let rows = csv_cells(&sample.join(format!("{name}.csv")));
        let xml = String::from_utf8(parts[part].clone()).unwrap();
        let mut cells = String::new();
        for (r, row) in rows.iter().enumerate().skip(1) {
            cells.push_str(&format!("<row r=\"{}\">", r + 1));
            for (c, v) in row.iter().enumerate() {
                if v.is_empty() {
                    continue;
                }
                let at = format!("{}{}", (b'A' + c as u8) as char, r + 1);
                if numeric.contains(&rows[0][c].as_str()) {
                    cells.push_str(&format!("<c r=\"{at}\"><v>{v}</v></c>"));
                } else {
                    let v = v.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
                    cells.push_str(&format!("<c r=\"{at}\" t=\"inlineStr\"><is><t>{v}</t></is></c>"));
                }
            }
            cells.push_str("</row>");
        }
        let xml = xml.replacen("</sheetData>", &format!("{cells}</sheetData>"), 1);
        filled.insert(part.clone(), xml.into_bytes());
    }
    let filled_book = tmp.path().join("filled.xlsx");
    let mut zip = zip::ZipWriter::new(fs::File::create(&filled_book).unwrap());
    let mut order: Vec<&String> = filled.keys().collect();
    order.sort_by_key(|n| (n.as_str() != "[Content_Types].xml", n.to_string()));
    for name in order {
        zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(&filled[name]).unwrap();
    }
    zip.finish().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    // The template has the required sheets only: compare with the sample without its optional outcomes.csv.
    let required = tmp.path().join("required");
    copy_dir(&sample, &required);
    fs::remove_file(required.join("outcomes.csv")).unwrap();
    match_into(&required, &a, &[]);
    match_into(&filled_book, &b, &[]);
    assert!(
        fs::read(a.join("placements.csv")).unwrap() == fs::read(b.join("placements.csv")).unwrap(),
        "the filled-in template matches differently from the CSV season"
    );
}

/// `convert` writes the same validation as `template`, and its workbook
/// still matches like the CSV season.
#[test]
fn convert_carries_the_template_validation() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("sample.xlsx");
    let o = run(bin().arg("convert").arg(plain_sample()).arg("--out").arg(&book));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_season_validation(&book);
}

/// Headless Chromium loads report.html of `match`; the DOM it builds has a
/// school's name in the per-school chart and a `<title>` tooltip on a map
/// point. Without chromium the test is skipped with a message, except
/// under CI=true, where it fails.
#[test]
fn report_shows_school_names_and_map_tooltips_in_chromium() {
    let Some(chromium) = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().find(|p| Path::new(p).exists())
    else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "chromium is not installed, and CI=true requires this test to run"
        );
        eprintln!("SKIPPED report_shows_school_names_and_map_tooltips_in_chromium: chromium is not installed");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m");
    let sample = plain_sample();
    match_into(&sample, &out, &[]);
    let o = run(Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"])
        .args(["--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", tmp.path().join("chr").display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", out.join("report.html").display())));
    let dom = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(dom.contains("<h2>Map</h2>"), "chromium did not render the report: {}", text(&o));
    // The per-school chart: its category labels are the schools' names.
    let chart = &dom[dom.find("<h2>Per school</h2>").unwrap()..dom.find("<h2>Per programme</h2>").unwrap()];
    let (first_id, first_name) = csv_cells(&sample.join("schools.csv"))[1]
        .clone()
        .into_iter()
        .take(2)
        .collect::<Vec<_>>()
        .split_first()
        .map(|(a, b)| (a.clone(), b[0].clone()))
        .unwrap();
    let svg = &chart[chart.find("<svg").expect("no chart")..];
    let shown = first_name.replace('&', "&amp;");
    assert!(svg.contains(&format!("<title>{shown}</title>")), "{first_name} is not in the chart");
    assert!(!svg.contains(&format!(">{first_id}<")), "the chart shows the id {first_id}, not the name");
    // The map: every point is a circle with a title naming who or what it is.
    let map = &dom[dom.find("<h2>Map</h2>").unwrap()..];
    let circles = map.matches("<circle").count();
    assert!(circles > 100, "{circles} points");
    assert_eq!(map.matches("</title></circle>").count(), circles, "a map point without a tooltip");
    assert!(map.contains("<title>learner L0") && map.contains(": placed at W0"), "no learner tooltip");
    assert!(map.contains(": unplaced"), "no unplaced learner on the map");
    assert!(map.contains(">unplaced learner</text>"), "unplaced learners are not in the legend");
}

/// Every command's `--help` says that a season can be an `.xlsx` workbook
/// and what the command writes (or that it writes nothing).
#[test]
fn every_help_mentions_xlsx_seasons_and_the_files_written() {
    let commands =
        ["validate", "generate", "match", "score", "explain", "compare", "diff", "rematch", "convert", "template"];
    for c in commands {
        let o = run(bin().args([c, "--help"]));
        let t = text(&o);
        assert_eq!(o.status.code(), Some(0), "{c}: {t}");
        assert!(t.contains(".xlsx"), "`dualmatch {c} --help` does not mention .xlsx seasons:\n{t}");
        assert!(t.contains("Writes"), "`dualmatch {c} --help` does not say what it writes:\n{t}");
    }
    let o = run(bin().arg("--help"));
    let listed = text(&o);
    for c in commands {
        assert!(listed.contains(&format!("  {c} ")), "`dualmatch --help` does not list {c}");
    }
}

/// Under `stable`, no unplaced learner is given a max-fit reason ("would
/// not raise the objective"): the reasons name the learner's own list. The
/// workbook's summary sheet says which files were not written and why.
#[test]
fn stable_reasons_name_the_learners_own_list() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s");
    match_into(&plain_sample(), &out, &["--policy", "stable", "--xlsx"]);
    let reasons: Vec<String> = records(&out.join("unplaced.csv")).into_iter().map(|r| r["reason"].clone()).collect();
    assert!(!reasons.iter().any(|r| r.contains("would not raise the objective")), "a max-fit reason under stable");
    let own = reasons.iter().filter(|r| r.contains("their own list")).count();
    assert!(own > 10, "only {own} reasons name the learner's own list");
    assert!(reasons.iter().any(|r| r.starts_with("their own list names only W") && r.ends_with(", which is full")));
    let summary: serde_json::Value = serde_json::from_str(&read(&out.join("summary.json"))).unwrap();
    assert!(summary["unplaced_by_reason"]["own list"].as_u64().unwrap() >= own as u64);
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(out.join("results.xlsx")).unwrap();
    let sheet = book.worksheet_range("summary").unwrap();
    let labels: Vec<String> = sheet.rows().map(|r| r[0].to_string()).collect();
    for f in ["seat_values.csv", "waitlist.csv", "recruitment.csv"] {
        assert!(labels.contains(&format!("Not written: {f}")), "{labels:?}");
    }
}
