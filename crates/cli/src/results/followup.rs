//! followup.csv: each school's visiting rounds, one row per learner visited
//! (the plan itself is the library's, [`dualmatch::followup::plan`]).

use dualmatch::followup::{self, FollowUp};
use dualmatch::{Candidates, Season};
use dualmatch_optimiser::Assignment;

use super::tables::display_km;
use super::Audience;
use crate::output::{sink_rendered, Kind, Table};

/// The follow-up plan of the placements in `a`, with each learner's mentor
/// (`mentors`, per learner), in rounds of at most `visits_per_day` sites.
pub fn plan(
    s: &Season,
    c: &Candidates,
    a: &Assignment,
    mentors: &[Option<dualmatch::MentorId>],
    visits_per_day: Option<usize>,
) -> FollowUp {
    let pairs = a.placements().map(|(l, ci)| (l, s.group(c.group_of(ci)).workplace));
    followup::plan(s, pairs, mentors, visits_per_day)
}

/// The columns of followup.csv.
const COLUMNS: [(&str, Kind); 12] = [
    ("school", Kind::Text),
    ("school_name", Kind::Text),
    ("round", Kind::Number),
    ("visit", Kind::Number),
    ("workplace", Kind::Text),
    ("company", Kind::Text),
    ("learner", Kind::Text),
    ("programme", Kind::Text),
    ("mentor", Kind::Text),
    ("leg_km", Kind::Number),
    ("return_km", Kind::Number),
    ("round_km", Kind::Number),
];

/// followup.csv for `to`: per school it sees, round by round, each visit
/// in order with the learners there (a row each), the km from the previous
/// stop, the km back to the school after the round's last visit (on its
/// rows only) and the km of the whole round.
pub(super) fn table<'a>(s: &'a Season, plan: &'a FollowUp, to: Audience) -> Table<'a> {
    Table::new("followup", COLUMNS, move |sink| {
        sink_rendered(plan.schools.len(), 8, sink, |i| {
            let sp = &plan.schools[i];
            let mut rows = Vec::new();
            if matches!(to, Audience::School(only) if sp.school != only) {
                return rows;
            }
            let school = s.school(sp.school);
            for (ri, round) in sp.rounds.iter().enumerate() {
                let last = round.visits.len();
                for (vi, v) in round.visits.iter().enumerate() {
                    let w = s.workplace(v.workplace);
                    for (l, mentor) in &v.learners {
                        let learner = s.learner(*l);
                        rows.push(vec![
                            school.id.clone(),
                            school.name.clone(),
                            (ri + 1).to_string(),
                            (vi + 1).to_string(),
                            w.id.clone(),
                            w.company.clone(),
                            learner.id.clone(),
                            s.programme(learner.programme).id.clone(),
                            mentor.clone().unwrap_or_default(),
                            display_km(v.leg_km),
                            if vi + 1 == last { display_km(round.return_km) } else { String::new() },
                            display_km(round.total_km),
                        ]);
                    }
                }
            }
            rows
        })
    })
}
