//! The result tables: candidate pairs, placements, unplaced learners with
//! their reasons, seat values and placement changes.

use std::io::Write;

use dualmatch::{Candidates, LearnerId, PlacementChange, Season, Unplaced, WorkplaceId};
use dualmatch_core::scoring::{COMPONENT_NAMES, TRUST};
use dualmatch_optimiser::network;
use dualmatch_optimiser::unplaced::{Describe, DescribeFor};

use super::Audience;
use crate::output::{sink_rendered, Kind, Table};

/// The columns of a candidate pair, as in candidates.csv and placements.csv:
/// learner, workplace, programme, score, the components (with trust when the
/// candidates have it: a season with an outcomes.csv), distance_km.
pub(crate) fn pair_columns(c: &Candidates) -> Vec<(&'static str, Kind)> {
    let mut columns = vec![("learner", Kind::Text), ("workplace", Kind::Text), ("programme", Kind::Text)];
    columns.push(("score", Kind::Number));
    columns.extend(component_columns(c));
    columns.push(("distance_km", Kind::Number));
    columns
}

/// Writes candidates as CSV ([`pair_columns`], cells as every table of
/// dualmatch: [`Table::write_csv`]). Learners in season order, best first.
/// Scores are exact: candidates.csv is read back by `match --candidates`.
pub fn write_candidates(w: &mut dyn Write, s: &Season, c: &Candidates) -> std::io::Result<()> {
    let table = Table::new("candidates", pair_columns(c), |sink| {
        for li in 0..s.learners().len() {
            let l = LearnerId::from_index(li);
            for i in c.of(l) {
                sink(&pair_row(s, c, l, i))?;
            }
        }
        Ok(())
    });
    table.write_csv(w)
}

/// The cells of candidate pair `i` of learner `l`, as in candidates.csv:
/// learner, workplace, programme, score (exact), the components (empty for
/// supplied scores) and distance_km.
pub(crate) fn pair_row(s: &Season, c: &Candidates, l: LearnerId, i: usize) -> Vec<String> {
    let g = s.group(c.group[i]);
    let mut rec = vec![
        s.learner(l).id.clone(),
        s.workplace(g.workplace).id.clone(),
        s.programme(g.programme).id.clone(),
        format!("{}", c.score[i]),
    ];
    match &c.components {
        Some(cols) => {
            let comps = cols.get(i);
            rec.extend(comps.to_array().iter().chain(&comps.trust).map(|x| format!("{x:.4}")));
        }
        None => rec.extend(COMPONENT_NAMES.iter().map(|_| String::new())),
    }
    rec.push(format!("{:.2}", c.distance_km[i]));
    rec
}

/// The component columns of `c`: the five, and trust when `c` has it.
fn component_columns(c: &Candidates) -> impl Iterator<Item = (&'static str, Kind)> {
    let trust = c.components.as_ref().is_some_and(|k| k.trust.is_some());
    COMPONENT_NAMES.iter().copied().chain(trust.then_some(TRUST)).map(|n| (n, Kind::Number))
}

/// A score as people read it: two decimals (exact values are in summary.json
/// and candidates.csv).
pub(crate) fn display_score(x: f64) -> String {
    format!("{x:.2}")
}

/// A distance as people read it: one decimal, in km.
pub(crate) fn display_km(x: f64) -> String {
    format!("{x:.1}")
}

/// placements.csv: the placements of the learners `to` sees, for people:
/// each id with its name beside it (company, programme, school), scores
/// rounded to two decimals and the distance to one.
/// With mentors (`mentors.csv`) a `mentor` column, with rhythms a `days`
/// column (the learner's days at the workplace).
pub(super) fn placements<'a>(r: &super::Outcome<'a>, to: Audience) -> Table<'a> {
    let (s, c, solved, mentors) = (r.season, r.candidates, r.solved, r.mentors);
    let (with_mentor, with_days) = (!s.mentors().is_empty(), s.has_rhythms());
    let mut columns = vec![
        ("learner", Kind::Text),
        ("workplace", Kind::Text),
        ("company", Kind::Text),
        ("programme", Kind::Text),
        ("programme_name", Kind::Text),
        ("score", Kind::Number),
    ];
    columns.extend(component_columns(c));
    columns.extend([("distance_km", Kind::Number), ("school", Kind::Text), ("school_name", Kind::Text)]);
    if with_mentor {
        columns.push(("mentor", Kind::Text));
    }
    if with_days {
        columns.push(("days", Kind::Text));
    }
    Table::new("placements", columns, move |sink| {
        sink_rendered(solved.assignment.placement.len(), 4096, sink, |li| {
            let l = LearnerId::from_index(li);
            let ci = solved.assignment.placement[li].filter(|_| to.sees(s, l))?;
            let i = ci as usize;
            let g = s.group(c.group[i]);
            let (w, prog, school) = (s.workplace(g.workplace), s.programme(g.programme), s.school(s.learner(l).school));
            let mut rec = vec![
                s.learner(l).id.clone(),
                w.id.clone(),
                w.company.clone(),
                prog.id.clone(),
                prog.name.clone(),
                display_score(c.score[i]),
            ];
            match &c.components {
                Some(cols) => {
                    let comps = cols.get(i);
                    rec.extend(comps.to_array().iter().chain(&comps.trust).map(|x| display_score(*x)));
                }
                None => rec.extend(COMPONENT_NAMES.iter().map(|_| String::new())),
            }
            rec.extend([display_km(f64::from(c.distance_km[i])), school.id.clone(), school.name.clone()]);
            if with_mentor {
                let k = mentors.get(li).copied().flatten();
                rec.push(k.map(|k| s.mentor(k).id.clone()).unwrap_or_default());
            }
            if with_days {
                rec.push(s.days_of(l).to_string());
            }
            Some(rec)
        })
    })
}

/// unplaced.csv: the unplaced learners `to` sees, with the reason as `to`
/// may read it (a school's copy names no learner of another school).
pub(super) fn unplaced_table<'a>(s: &'a Season, reasons: &'a [(LearnerId, Unplaced)], to: Audience) -> Table<'a> {
    let columns = ["learner", "reason", "school", "school_name", "programme", "programme_name"];
    Table::new("unplaced", columns.map(|c| (c, Kind::Text)), move |sink| {
        sink_rendered(reasons.len(), 4096, sink, |i| {
            let (l, r) = &reasons[i];
            if !to.sees(s, *l) {
                return None;
            }
            let learner = s.learner(*l);
            let reason = match to {
                Audience::All => Describe(r, s).to_string(),
                Audience::School(school) => DescribeFor(r, s, school).to_string(),
            };
            let (school, prog) = (s.school(learner.school), s.programme(learner.programme));
            Some(vec![
                learner.id.clone(),
                reason,
                school.id.clone(),
                school.name.clone(),
                prog.id.clone(),
                prog.name.clone(),
            ])
        })
    })
}

/// seat_values.csv: what one more seat would add, best first.
pub(super) fn seat_values<'a>(s: &'a Season, d: &'a network::Duals) -> Table<'a> {
    let mut rows: Vec<(usize, f64)> = d.seat.iter().copied().enumerate().filter(|(_, v)| *v > 0.0).collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let columns = [
        ("workplace", Kind::Text),
        ("programme", Kind::Text),
        ("seats", Kind::Number),
        ("value_of_one_more_seat", Kind::Number),
    ];
    Table::new("seat_values", columns, move |sink| {
        for &(gi, v) in &rows {
            let g = s.groups()[gi];
            sink(&[
                s.workplace(g.workplace).id.clone(),
                s.programme(g.programme).id.clone(),
                g.seats.to_string(),
                format!("{v:.4}"),
            ])?;
        }
        Ok(())
    })
}

/// certificate.csv: the dual solution that proves an exact result optimal
/// (`dualmatch verify` checks it; docs/policies.md).
pub(super) fn certificate<'a>(
    s: &'a Season,
    c: &'a dualmatch::Constraints,
    cert: &'a dualmatch_optimiser::certificate::Certificate,
) -> Table<'a> {
    use dualmatch_optimiser::certificate::COLUMNS;
    let rows = cert.to_rows(s, c);
    let kinds = [Kind::Text, Kind::Text, Kind::Text, Kind::Number];
    Table::new("certificate", COLUMNS.iter().zip(kinds).map(|(c, k)| (*c, k)), move |sink| {
        for r in &rows {
            sink(r)?;
        }
        Ok(())
    })
}

/// placement_changes.csv: the changes of the learners `keep` selects.
pub(super) fn changes_table<'a>(
    s: &'a Season,
    changes: &'a [PlacementChange],
    keep: impl Fn(LearnerId) -> bool + Sync + 'a,
) -> Table<'a> {
    let columns = [
        "learner",
        "change",
        "workplace_before",
        "company_before",
        "workplace_after",
        "company_after",
        "programme",
        "programme_name",
        "school",
        "school_name",
    ];
    Table::new("placement_changes", columns.map(|c| (c, Kind::Text)), move |sink| {
        let site = |w: Option<WorkplaceId>| w.map(|w| s.workplace(w).id.clone()).unwrap_or_default();
        let company = |w: Option<WorkplaceId>| w.map(|w| s.workplace(w).company.clone()).unwrap_or_default();
        for ch in changes.iter().filter(|ch| keep(ch.learner)) {
            let l = s.learner(ch.learner);
            let (prog, school) = (s.programme(l.programme), s.school(l.school));
            sink(&[
                l.id.clone(),
                ch.kind.as_str().to_string(),
                site(ch.before),
                company(ch.before),
                site(ch.after),
                company(ch.after),
                prog.id.clone(),
                prog.name.clone(),
                school.id.clone(),
                school.name.clone(),
            ])?;
        }
        Ok(())
    })
}
