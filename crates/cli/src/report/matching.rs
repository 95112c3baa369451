//! `report.html` of a `match` run: tables per school and per programme, the
//! unplaced learners with their reasons, a map of placements and a histogram
//! of commute distances.

use dualmatch_core::scoring::Candidates;
use dualmatch_core::{LearnerId, Season};
use dualmatch_optimiser::unplaced::{Describe, Unplaced};
use dualmatch_optimiser::Assignment;

use super::svg::{self, MapLayer};
use super::{cards, figure, page, table};

/// Points drawn on the map at most; larger seasons are thinned evenly.
const MAP_POINTS: usize = 4000;
/// Unplaced learners listed at most (all are in unplaced.csv).
const UNPLACED_ROWS: usize = 500;

fn pct(a: usize, b: usize) -> String {
    if b == 0 {
        "–".into()
    } else {
        format!("{:.1}%", 100.0 * a as f64 / b as f64)
    }
}

/// Renders the page.
pub fn render(
    s: &Season,
    c: &Candidates,
    a: &Assignment,
    reasons: &[(LearnerId, Unplaced)],
    policy: &str,
    proof_line: &str,
) -> String {
    let n = s.learners().len();
    let placed = a.placed();
    let total = a.total_score(c);
    let mut body = cards(&[
        ("learners", n.to_string()),
        ("placed", format!("{placed} ({})", pct(placed, n))),
        ("unplaced", (n - placed).to_string()),
        ("total score", format!("{total:.1}")),
        ("mean score", if placed > 0 { format!("{:.1}", total / placed as f64) } else { "–".into() }),
    ]);
    body.push_str(&format!("<p>{}</p>", super::esc(proof_line)));

    // Per school and per programme.
    let mut school = vec![(0usize, 0usize, 0.0f64); s.schools().len()];
    let mut prog = vec![(0usize, 0usize, 0.0f64); s.programmes().len()];
    let mut km = Vec::new();
    for (li, p) in a.by_learner() {
        let l = s.learner(li);
        school[l.school.index()].0 += 1;
        prog[l.programme.index()].0 += 1;
        if let Some(ci) = p {
            let d = f64::from(c.distance_km_of(ci));
            km.push(d);
            for e in [&mut school[l.school.index()], &mut prog[l.programme.index()]] {
                e.1 += 1;
                e.2 += d;
            }
        }
    }
    let row = |id: &str, name: &str, e: &(usize, usize, f64), extra: Vec<String>| {
        let mut r = vec![
            id.to_string(),
            name.to_string(),
            e.0.to_string(),
            e.1.to_string(),
            pct(e.1, e.0),
            if e.1 > 0 { format!("{:.1}", e.2 / e.1 as f64) } else { "–".into() },
        ];
        r.extend(extra);
        r
    };
    body.push_str("<h2>Per school</h2>");
    let rows: Vec<Vec<String>> = s.schools().iter().zip(&school).map(|(x, e)| row(&x.id, &x.name, e, vec![])).collect();
    body.push_str(&table(&["school", "name", "learners", "placed", "rate", "mean km"], &rows));
    let cats: Vec<String> = s.schools().iter().map(|x| x.id.clone()).collect();
    let rates: Vec<f64> = school.iter().map(|e| if e.0 > 0 { 100.0 * e.1 as f64 / e.0 as f64 } else { 0.0 }).collect();
    body.push_str(&figure(
        &svg::grouped_bars(&cats, &[(policy.to_string(), rates)], 100.0, "placed %"),
        "Placement rate per school",
    ));

    body.push_str("<h2>Per programme</h2>");
    let rows: Vec<Vec<String>> = s
        .programmes()
        .iter()
        .enumerate()
        .zip(&prog)
        .map(|((i, x), e)| {
            row(&x.id, &x.name, e, vec![s.seats_of_programme(dualmatch_core::ProgrammeId::from_index(i)).to_string()])
        })
        .collect();
    body.push_str(&table(&["programme", "name", "learners", "placed", "rate", "mean km", "seats"], &rows));

    body.push_str("<h2>Commute</h2>");
    body.push_str(&figure(
        &svg::histogram(&km, 12, "commute km"),
        "Great-circle distance from home to site, placed learners",
    ));

    body.push_str("<h2>Map</h2>");
    let step = (n / MAP_POINTS).max(1);
    let mut learners_pts = Vec::new();
    let mut lines = Vec::new();
    let mut sites_pts = Vec::new();
    let mut site_seen = vec![false; s.workplaces().len()];
    for (li, p) in a.by_learner().step_by(step) {
        let l = s.learner(li);
        learners_pts.push((l.location.lat, l.location.lon));
        if let Some(ci) = p {
            let w = s.group(c.group_of(ci)).workplace;
            let wl = s.workplace(w).location;
            lines.push(((l.location.lat, l.location.lon), (wl.lat, wl.lon)));
            if !site_seen[w.index()] {
                site_seen[w.index()] = true;
                sites_pts.push((wl.lat, wl.lon));
            }
        }
    }
    let schools_pts: Vec<(f64, f64)> = s.schools().iter().map(|x| (x.location.lat, x.location.lon)).collect();
    let svg = svg::map(
        &[
            MapLayer { name: "learner", points: learners_pts, radius: 2.2 },
            MapLayer { name: "site with a placement", points: sites_pts, radius: 3.0 },
            MapLayer { name: "school", points: schools_pts, radius: 6.0 },
        ],
        &lines,
    );
    let caption = if step > 1 {
        format!("Learners and sites; a line for each placement (every {step}th learner shown)")
    } else {
        "Learners and sites; a line for each placement".to_string()
    };
    body.push_str(&figure(&svg, &caption));

    body.push_str("<h2>Unplaced learners</h2>");
    let rows: Vec<Vec<String>> = reasons
        .iter()
        .take(UNPLACED_ROWS)
        .map(|(l, r)| {
            let x = s.learner(*l);
            vec![
                x.id.clone(),
                s.school(x.school).id.clone(),
                s.programme(x.programme).id.clone(),
                Describe(r, s).to_string(),
            ]
        })
        .collect();
    if reasons.len() > UNPLACED_ROWS {
        body.push_str(&format!("<p>First {UNPLACED_ROWS} of {}; all are in unplaced.csv.</p>", reasons.len()));
    }
    body.push_str(&table(&["learner", "school", "programme", "reason"], &rows));
    page("dualmatch placements", &format!("policy {policy}: {placed} of {n} learners placed"), &body)
}
