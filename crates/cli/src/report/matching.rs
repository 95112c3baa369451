//! `report.html` of a `match` or `rematch` run: tables per school and per
//! programme, the unplaced learners with their reasons, a map of placements
//! (every point with a tooltip), a histogram of commute distances, and for
//! `rematch` the placements that changed.

use dualmatch_core::scoring::Candidates;
use dualmatch_core::{LearnerId, Season, WorkplaceId};
use dualmatch_optimiser::followup::FollowUp;
use dualmatch_optimiser::rematch::{change_counts, PlacementChange};
use dualmatch_optimiser::unplaced::{Describe, Unplaced};
use dualmatch_optimiser::Assignment;

use super::svg::{self, MapLayer, PALETTE};
use super::{cards, figure, page, table};

/// Points drawn on the map at most; larger seasons are thinned evenly.
const MAP_POINTS: usize = 4000;
/// Unplaced learners listed at most (all are in unplaced.csv).
const UNPLACED_ROWS: usize = 500;
/// Changed placements listed at most (all are in placement_changes.csv).
const CHANGE_ROWS: usize = 500;
/// Schools whose round is drawn as a map at most (all are in followup.csv).
const ROUND_MAPS: usize = 24;

fn pct(a: usize, b: usize) -> String {
    if b == 0 {
        "–".into()
    } else {
        format!("{:.1}%", 100.0 * a as f64 / b as f64)
    }
}

/// What the report shows.
pub struct Report<'a> {
    /// The season.
    pub season: &'a Season,
    /// Its candidate pairs.
    pub candidates: &'a Candidates,
    /// The placements.
    pub assignment: &'a Assignment,
    /// The schools' visiting rounds.
    pub followup: &'a FollowUp,
    /// Every unplaced learner with the reason.
    pub reasons: &'a [(LearnerId, Unplaced)],
    /// The policy's name.
    pub policy: &'a str,
    /// One sentence on the proof (or why there is none).
    pub proof_line: &'a str,
    /// Files a max-fit result has and this one has not, with why.
    pub absent: &'a [(&'a str, String)],
    /// For `rematch`: the placements that changed.
    pub changes: Option<&'a [PlacementChange]>,
    /// Per learner: the mentor (empty when not known).
    pub mentors: &'a [Option<dualmatch_core::MentorId>],
    /// The rhythm advice, when it was worked out.
    pub rhythm_advice: Option<&'a [dualmatch_optimiser::rhythm_advice::RhythmAdvice]>,
}

/// A site as people read it: id and company.
fn site_words(s: &Season, w: WorkplaceId) -> String {
    let site = s.workplace(w);
    format!("{} {}", site.id, site.company)
}

/// Renders the page.
pub fn render(r: &Report) -> String {
    let (s, c, a, reasons) = (r.season, r.candidates, r.assignment, r.reasons);
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
    body.push_str(&format!("<p>{}</p>", super::esc(r.proof_line)));
    for (file, why) in r.absent {
        body.push_str(&format!("<p>No {}: {}.</p>", super::esc(file), super::esc(why)));
    }

    if let Some(changes) = r.changes {
        body.push_str("<h2>Changes</h2>");
        let counts = change_counts(changes.iter());
        let words: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
        body.push_str(&format!(
            "<p>{} placements changed ({}): every learner who moved, gained or lost a placement. Placements that \
             were still valid were kept fixed, as the line above says.</p>",
            changes.len(),
            super::esc(&words.join(", "))
        ));
        let site = |w: Option<WorkplaceId>| w.map(|w| site_words(s, w)).unwrap_or_default();
        let rows: Vec<Vec<String>> = changes
            .iter()
            .take(CHANGE_ROWS)
            .map(|ch| {
                let l = s.learner(ch.learner);
                vec![
                    l.id.clone(),
                    s.school(l.school).name.clone(),
                    ch.kind.as_str().to_string(),
                    site(ch.before),
                    site(ch.after),
                ]
            })
            .collect();
        if changes.len() > CHANGE_ROWS {
            body.push_str(&format!(
                "<p>First {CHANGE_ROWS} of {}; all are in placement_changes.csv.</p>",
                changes.len()
            ));
        }
        body.push_str(&table(&["learner", "school", "change", "site before", "site after"], &rows));
    }

    // Per school and per programme.
    let mut school = vec![(0usize, 0usize, 0.0f64); s.schools().len()];
    let mut prog = vec![(0usize, 0usize, 0.0f64); s.programmes().len()];
    let mut km = Vec::new();
    let mut at_site = vec![0usize; s.workplaces().len()];
    for (li, p) in a.by_learner() {
        let l = s.learner(li);
        school[l.school.index()].0 += 1;
        prog[l.programme.index()].0 += 1;
        if let Some(ci) = p {
            let d = f64::from(c.distance_km_of(ci));
            km.push(d);
            at_site[s.group(c.group_of(ci)).workplace.index()] += 1;
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
    let cats: Vec<String> = s.schools().iter().map(|x| x.name.clone()).collect();
    let rates: Vec<f64> = school.iter().map(|e| if e.0 > 0 { 100.0 * e.1 as f64 / e.0 as f64 } else { 0.0 }).collect();
    body.push_str(&figure(
        &svg::grouped_bars(&cats, &[(r.policy.to_string(), rates)], 100.0, "placed %"),
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

    body.push_str(&super::rhythms::sections(r));

    body.push_str("<h2>Commute</h2>");
    body.push_str(&figure(
        &svg::histogram(&km, 12, "commute km"),
        "Great-circle distance from home to site, placed learners",
    ));

    body.push_str("<h2>Map</h2>");
    body.push_str(&map(r, &at_site, &school));

    body.push_str(&followup_section(s, r.followup));

    body.push_str("<h2>Unplaced learners</h2>");
    let rows: Vec<Vec<String>> = reasons
        .iter()
        .take(UNPLACED_ROWS)
        .map(|(l, why)| {
            let x = s.learner(*l);
            vec![
                x.id.clone(),
                s.school(x.school).name.clone(),
                s.programme(x.programme).name.clone(),
                Describe(why, s).to_string(),
            ]
        })
        .collect();
    if reasons.len() > UNPLACED_ROWS {
        body.push_str(&format!("<p>First {UNPLACED_ROWS} of {}; all are in unplaced.csv.</p>", reasons.len()));
    }
    body.push_str(&table(&["learner", "school", "programme", "reason"], &rows));
    let title = if r.changes.is_some() { "dualmatch placements after changes" } else { "dualmatch placements" };
    page(title, &format!("policy {}: {placed} of {n} learners placed", r.policy), &body)
}

/// The map: placed and unplaced learners (unplaced drawn on top, in their
/// own colour), sites with a placement and schools, each point with a
/// tooltip saying who or what it is and where the learner was placed.
fn map(r: &Report, at_site: &[usize], school: &[(usize, usize, f64)]) -> String {
    let (s, c, a) = (r.season, r.candidates, r.assignment);
    let n = s.learners().len();
    let step = (n / MAP_POINTS).max(1);
    let reason_of: std::collections::HashMap<LearnerId, &Unplaced> = r.reasons.iter().map(|(l, u)| (*l, u)).collect();
    let layer = |name, radius, colour| MapLayer { name, points: Vec::new(), titles: Vec::new(), radius, colour };
    let mut placed = layer("placed learner", 2.2, PALETTE[0]);
    let mut unplaced = layer("unplaced learner", 3.2, PALETTE[3]);
    let mut sites = layer("site with a placement", 3.0, PALETTE[2]);
    let mut schools = layer("school", 6.0, PALETTE[7]);
    let mut lines = Vec::new();
    let mut site_seen = vec![false; s.workplaces().len()];
    for (li, p) in a.by_learner().step_by(step) {
        let l = s.learner(li);
        let who = format!("learner {} ({}, {})", l.id, s.school(l.school).name, s.programme(l.programme).name);
        let here = (l.location.lat, l.location.lon);
        match p {
            Some(ci) => {
                let w = s.group(c.group_of(ci)).workplace;
                let wl = s.workplace(w).location;
                lines.push((here, (wl.lat, wl.lon)));
                placed.points.push(here);
                placed.titles.push(format!("{who}: placed at {}, {:.1} km", site_words(s, w), c.distance_km_of(ci)));
                if !site_seen[w.index()] {
                    site_seen[w.index()] = true;
                    sites.points.push((wl.lat, wl.lon));
                    sites.titles.push(format!("site {}: {} placed here", site_words(s, w), at_site[w.index()]));
                }
            }
            None => {
                unplaced.points.push(here);
                let why = reason_of.get(&li).map_or(String::new(), |u| format!(": {}", Describe(u, s)));
                unplaced.titles.push(format!("{who}: unplaced{why}"));
            }
        }
    }
    for (x, e) in s.schools().iter().zip(school) {
        schools.points.push((x.location.lat, x.location.lon));
        schools.titles.push(format!("school {} {}: {} of {} learners placed", x.id, x.name, e.1, e.0));
    }
    let svg = svg::map(&[placed, sites, schools, unplaced], &lines);
    let caption = if step > 1 {
        format!(
            "Learners and sites; a line for each placement; hover a point for who or what it is \
             (every {step}th learner shown)"
        )
    } else {
        "Learners and sites; a line for each placement; hover a point for who or what it is".to_string()
    };
    figure(&svg, &caption)
}

/// Per school: the sites its coaches visit, the rounds and their km, and a
/// small map of each school's rounds (school, sites in order, legs).
fn followup_section(s: &Season, plan: &FollowUp) -> String {
    let mut out = String::from("<h2>Follow-up rounds</h2>");
    out.push_str(
        "<p>Each school's visits to the sites where its learners are placed, starting and ending at the school \
         (nearest neighbour, then 2-opt; great-circle km). The order and the learners per visit are in \
         followup.csv.</p>",
    );
    let rows: Vec<Vec<String>> = plan
        .schools
        .iter()
        .map(|sp| {
            let x = s.school(sp.school);
            vec![
                x.id.clone(),
                x.name.clone(),
                sp.sites().to_string(),
                sp.rounds.len().to_string(),
                format!("{:.1}", sp.total_km()),
            ]
        })
        .collect();
    out.push_str(&table(&["school", "name", "sites", "rounds", "km"], &rows));
    for sp in plan.schools.iter().take(ROUND_MAPS) {
        let x = s.school(sp.school);
        let home = (x.location.lat, x.location.lon);
        let school = MapLayer {
            name: "school",
            points: vec![home],
            titles: vec![format!("school {} {}", x.id, x.name)],
            radius: 6.0,
            colour: PALETTE[7],
        };
        let mut sites =
            MapLayer { name: "visit", points: Vec::new(), titles: Vec::new(), radius: 3.5, colour: PALETTE[2] };
        let mut legs = Vec::new();
        for (ri, round) in sp.rounds.iter().enumerate() {
            let mut at = home;
            for (vi, v) in round.visits.iter().enumerate() {
                let wl = s.workplace(v.workplace).location;
                let here = (wl.lat, wl.lon);
                legs.push((at, here));
                sites.points.push(here);
                sites.titles.push(format!(
                    "round {}, visit {}: {} ({} learner{})",
                    ri + 1,
                    vi + 1,
                    site_words(s, v.workplace),
                    v.learners.len(),
                    if v.learners.len() == 1 { "" } else { "s" }
                ));
                at = here;
            }
            legs.push((at, home));
        }
        let caption = format!("{} {}: {} sites, {:.1} km", x.id, x.name, sp.sites(), sp.total_km());
        let small = figure(&svg::map(&[sites, school], &legs), &caption);
        out.push_str(&format!("<div style=\"display:inline-block;width:360px;vertical-align:top\">{small}</div>"));
    }
    if plan.schools.len() > ROUND_MAPS {
        out.push_str(&format!("<p>Maps of the first {ROUND_MAPS} schools; all rounds are in followup.csv.</p>"));
    }
    out
}
