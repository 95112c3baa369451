//! The mentors and rhythms sections of `report.html`: each mentor with their
//! learners and load, a weekly occupancy grid (days × seats) for each scarce
//! site, and the rhythm advice when it was worked out.

use dualmatch_core::rhythm::{Days, SLOTS};
use dualmatch_core::Season;
use dualmatch_optimiser::rhythm_advice::RhythmAdvice;

use super::matching::Report;
use super::table;

/// Learners named per mentor at most.
const NAMED: usize = 8;
/// Occupancy grids shown at most (the fullest sites first).
const GRIDS: usize = 12;

/// The sections, empty for a season without mentors or rhythms.
pub fn sections(r: &Report) -> String {
    let s = r.season;
    let mut out = String::new();
    if !s.mentors().is_empty() {
        out.push_str(&mentors(r));
    }
    if s.has_rhythms() {
        out.push_str(&grids(r));
    }
    if let Some(advice) = r.rhythm_advice {
        out.push_str(&advice_section(s, advice));
    }
    out
}

fn mentors(r: &Report) -> String {
    let s = r.season;
    let mut guided: Vec<Vec<&str>> = vec![Vec::new(); s.mentors().len()];
    for (li, k) in r.mentors.iter().enumerate() {
        if let Some(k) = k {
            guided[k.index()].push(&s.learners()[li].id);
        }
    }
    let rows: Vec<Vec<String>> = s
        .mentors()
        .iter()
        .enumerate()
        .map(|(k, m)| {
            let names = &guided[k];
            let mut shown = names.iter().take(NAMED).copied().collect::<Vec<_>>().join(", ");
            if names.len() > NAMED {
                shown.push_str(", …");
            }
            let programmes: Vec<&str> = m.programmes.iter().map(|p| s.programme(*p).id.as_str()).collect();
            vec![
                m.id.clone(),
                s.workplace(m.workplace).id.clone(),
                if programmes.is_empty() { "all".into() } else { programmes.join(";") },
                m.days.to_string(),
                format!("{} / {}", names.len(), m.max_learners),
                shown,
            ]
        })
        .collect();
    format!(
        "<h2>Mentors</h2><p>Each mentor with the learners they guide and their load (learners / max_learners).</p>{}",
        table(&["mentor", "site", "programmes", "days", "load", "learners"], &rows)
    )
}

/// Per site: learners present per day slot, per recognition.
fn grids(r: &Report) -> String {
    let (s, c) = (r.season, r.candidates);
    let mut per_group = vec![[0u32; SLOTS]; s.groups().len()];
    for (l, ci) in r.assignment.placements() {
        let g = c.group_of(ci);
        for d in s.days_of(l).slots() {
            per_group[g.index()][d] += 1;
        }
    }
    // Scarce: a recognition full on some day; fullest sites first.
    let mut sites: Vec<(u32, usize)> = Vec::new();
    for (wi, _) in s.workplaces().iter().enumerate() {
        let groups = s.groups_of_workplace(dualmatch_core::WorkplaceId::from_index(wi));
        let full = groups
            .iter()
            .filter(|g| {
                let seats = s.group(**g).seats;
                seats > 0 && per_group[g.index()].iter().any(|&n| n >= seats)
            })
            .count() as u32;
        if full > 0 {
            let used: u32 = groups.iter().map(|g| per_group[g.index()].iter().sum::<u32>()).sum();
            sites.push((used, wi));
        }
    }
    sites.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut out = String::from(
        "<h2>Weekly occupancy of scarce sites</h2><p>Learners present per day of the two-week cycle, against the \
         seats, for sites where a recognition is full on some day (the fullest first).</p>",
    );
    let mut headers: Vec<String> = vec!["programme".into(), "seats".into()];
    headers.extend((0..SLOTS).map(Days::slot_name));
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    for &(_, wi) in sites.iter().take(GRIDS) {
        let w = dualmatch_core::WorkplaceId::from_index(wi);
        let rows: Vec<Vec<String>> = s
            .groups_of_workplace(w)
            .iter()
            .map(|g| {
                let grp = s.group(*g);
                let mut row = vec![s.programme(grp.programme).id.clone(), grp.seats.to_string()];
                row.extend(per_group[g.index()].iter().map(|n| n.to_string()));
                row
            })
            .collect();
        out.push_str(&format!(
            "<h3>{}</h3>",
            super::esc(&format!("{} ({})", s.workplace(w).id, s.workplace(w).company))
        ));
        out.push_str(&table(&headers, &rows));
    }
    if sites.len() > GRIDS {
        out.push_str(&format!("<p>{GRIDS} of {} scarce sites shown.</p>", sites.len()));
    }
    out
}

/// Shared workplaces named per pair in the report (summary.json has all).
const SHARED_SHOWN: usize = 8;

fn advice_section(s: &Season, advice: &[RhythmAdvice]) -> String {
    let rows: Vec<Vec<String>> = advice
        .iter()
        .map(|a| {
            let shared: Vec<&str> = a.shared.iter().take(SHARED_SHOWN).map(|w| s.workplace(*w).id.as_str()).collect();
            let more = a.shared.len().saturating_sub(SHARED_SHOWN);
            let shared = match more {
                0 => shared.join(", "),
                n => format!("{} and {n} more (summary.json lists all)", shared.join(", ")),
            };
            vec![
                s.programme(a.programme).id.clone(),
                s.school(a.mover).id.clone(),
                s.school(a.other).id.clone(),
                format!("{} → {}", a.from, a.to),
                format!("{:+}", a.gain),
                shared,
            ]
        })
        .collect();
    format!(
        "<h2>Rhythm advice</h2><p>Schools with the same programme and overlapping rhythms: how many more learners \
         would be placed if the first school moved to the complementary rhythm shown (an exact re-solve for \
         max-placed), largest gain first, with the workplaces they would share.</p>{}",
        table(&["programme", "school that moves", "other school", "rhythm", "placed", "shared workplaces"], &rows)
    )
}
