//! The waiting list and the recruitment advice of a max-fit match as tables
//! (`waitlist.csv`, `recruitment.csv`; docs/advice.md), from
//! `dualmatch_optimiser::advice`.
//!
//! Values are exact: the optimiser works in integer weights (score × 10⁶),
//! and they are written with six decimals, so a value in the file is the
//! exact difference of two optima.

#[cfg(test)]
use std::io::{self, Write};

use dualmatch_core::scoring::Candidates;
use dualmatch_core::{GroupId, Season};
use dualmatch_optimiser::advice::{Advice, BestUse, Move};
use dualmatch_optimiser::model::WEIGHT_SCALE;

use crate::output::{sink_rendered, Kind, Table};

/// An integer weight in score units, exactly (six decimals).
fn score_units(w: i64) -> String {
    let scale = WEIGHT_SCALE as i64;
    let sign = if w < 0 { "-" } else { "" };
    format!("{sign}{}.{:06}", w.unsigned_abs() / scale as u64, w.unsigned_abs() % scale as u64)
}

/// A chain of moves in words: `L0005 W0012→W0099; L0007 W0031→unplaced`.
fn describe_moves(s: &Season, moves: &[Move]) -> String {
    let site = |g: Option<GroupId>| match g {
        Some(g) => s.workplace(s.group(g).workplace).id.as_str(),
        None => "unplaced",
    };
    let mut out = String::with_capacity(moves.len() * 24);
    for (i, m) in moves.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        for part in [s.learner(m.learner).id.as_str(), " ", site(m.from), "→", site(m.to)] {
            out.push_str(part);
        }
    }
    out
}

/// waitlist.csv: for every unplaced learner, the recognitions where one
/// more seat (or one more seat and one more unit of the site's capacity,
/// column `needs`) would place them, best first. `gain` is the exact gain
/// of the season's total score when that is added and the learner placed
/// there (everyone else re-matched optimally); `best_use` says whether
/// placing this learner is a best use of the addition, else who would gain
/// more; `gives_way` lists who must move or lose their place.
pub(crate) fn waitlist_table<'a>(s: &'a Season, cands: &'a Candidates, advice: &'a Advice) -> Table<'a> {
    let columns = [
        ("learner", Kind::Text),
        ("school", Kind::Text),
        ("school_name", Kind::Text),
        ("rank", Kind::Number),
        ("workplace", Kind::Text),
        ("company", Kind::Text),
        ("programme", Kind::Text),
        ("programme_name", Kind::Text),
        ("score", Kind::Number),
        ("distance_km", Kind::Number),
        ("needs", Kind::Text),
        ("gain", Kind::Number),
        ("gain_at_most", Kind::Number),
        ("value_of_addition", Kind::Number),
        ("best_use", Kind::Text),
        ("gives_way", Kind::Text),
    ];
    Table::new("waitlist", columns, move |sink| {
        sink_rendered(advice.waitlist.len(), 1024, sink, |i| {
            let entry = &advice.waitlist[i];
            let learner = s.learner(entry.learner);
            entry.options.iter().enumerate().map(move |(rank, o)| {
                let g = s.group(o.group);
                let distance = cands
                    .of(entry.learner)
                    .find(|&c| cands.group[c] == o.group)
                    .map_or(String::new(), |c| super::tables::display_km(f64::from(cands.distance_km[c])));
                let best_use = match o.best_use {
                    BestUse::ThisLearner => "this learner".to_string(),
                    BestUse::Other(l) => s.learner(l).id.clone(),
                    BestUse::Undetermined(l) => format!("{} (this learner possibly too)", s.learner(l).id),
                };
                let (school, site, prog) =
                    (s.school(learner.school), s.workplace(g.workplace), s.programme(g.programme));
                vec![
                    learner.id.clone(),
                    school.id.clone(),
                    school.name.clone(),
                    (rank + 1).to_string(),
                    site.id.clone(),
                    site.company.clone(),
                    prog.id.clone(),
                    prog.name.clone(),
                    super::tables::display_score(o.score),
                    distance,
                    o.needs.name().to_string(),
                    score_units(o.gain),
                    score_units(o.gain_at_most),
                    score_units(o.value),
                    best_use,
                    describe_moves(s, &o.gives_way),
                ]
            })
        })
    })
}

/// Writes [`waitlist_table`] as CSV (`write_result` writes the table itself).
#[cfg(test)]
pub(crate) fn write_waitlist(w: &mut dyn Write, s: &Season, cands: &Candidates, advice: &Advice) -> io::Result<()> {
    waitlist_table(s, cands, advice).write_csv(w)
}

/// recruitment.csv: per recognition (site and programme), what one more
/// seat is worth exactly, and where the site's capacity is full what one
/// more seat and one more unit of capacity are worth together; `needs` and
/// `value` name the better of the two (the seat alone when equal). Also who
/// would take the addition and the moves it sets off, how many unplaced
/// learners have a usable pair there (what k more seats could serve at
/// most) and for how many of them the addition's best use is to place them
/// there. Recognitions worth something or with unplaced learners in reach,
/// most valuable first.
pub(crate) fn recruitment_table<'a>(s: &'a Season, advice: &'a Advice) -> Table<'a> {
    let mut rows: Vec<(usize, i64)> = advice
        .seats
        .iter()
        .enumerate()
        .filter(|(_, a)| a.evaluated)
        .map(|(g, a)| (g, a.needs().map_or(0, |(_, u)| u.gain)))
        .filter(|&(g, v)| v > 0 || advice.seats[g].unplaced_in_reach > 0)
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let columns = [
        ("workplace", Kind::Text),
        ("company", Kind::Text),
        ("programme", Kind::Text),
        ("programme_name", Kind::Text),
        ("lat", Kind::Number),
        ("lon", Kind::Number),
        ("seats", Kind::Number),
        ("needs", Kind::Text),
        ("value", Kind::Number),
        ("value_of_one_more_seat", Kind::Number),
        ("value_with_one_more_capacity", Kind::Number),
        ("taken_by", Kind::Text),
        ("moves", Kind::Text),
        ("unplaced_in_reach", Kind::Number),
        ("unplaced_it_could_place", Kind::Number),
    ];
    Table::new("recruitment", columns, move |sink| {
        sink_rendered(rows.len(), 1024, sink, |i| {
            let (gi, value) = rows[i];
            let a = &advice.seats[gi];
            let g = s.groups()[gi];
            let site = s.workplace(g.workplace);
            let (needs, taker) = match a.needs() {
                Some((n, u)) => (n.name(), u.taker.as_ref()),
                None => ("", None),
            };
            let prog = s.programme(g.programme);
            Some(vec![
                site.id.clone(),
                site.company.clone(),
                prog.id.clone(),
                prog.name.clone(),
                format!("{:.5}", site.location.lat),
                format!("{:.5}", site.location.lon),
                g.seats.to_string(),
                needs.to_string(),
                score_units(value),
                score_units(a.seat.gain),
                a.with_capacity.as_ref().map_or(String::new(), |u| score_units(u.gain)),
                taker.map_or(String::new(), |(l, _)| s.learner(*l).id.clone()),
                taker.map_or(String::new(), |(_, moves)| describe_moves(s, moves)),
                a.unplaced_in_reach.to_string(),
                a.could_place.to_string(),
            ])
        })
    })
}

/// Writes [`recruitment_table`] as CSV (`write_result` writes the table itself).
#[cfg(test)]
pub(crate) fn write_recruitment(w: &mut dyn Write, s: &Season, advice: &Advice) -> io::Result<()> {
    recruitment_table(s, advice).write_csv(w)
}

#[cfg(test)]
mod tests {
    use dualmatch_core::season::doc::*;
    use dualmatch_core::season::from_doc;
    use dualmatch_optimiser::{advice, network, Constraints, Objective, PlacementModel};

    use super::*;

    /// W0 has one seat and capacity 1; L0 (90), L1 (70) and L2 (40) want
    /// it. W1 has one seat, which only L1 (60) can use.
    fn season() -> Season {
        let learner = |id: &str| LearnerRec {
            rhythm: None,
            id: id.into(),
            school: "S".into(),
            programme: "P0".into(),
            lat: 51.0,
            lon: 4.0,
            max_commute_km: 20.0,
            readiness: 3,
            screening: Screening::Passed,
            attributes: vec![],
            preferences: vec![],
            priority_group: None,
            row: 0,
        };
        let site = |id: &str, capacity| WorkplaceRec {
            id: id.into(),
            company: "c".into(),
            lat: 51.0,
            lon: 4.01,
            capacity,
            min_readiness: 1,
            requires: vec![],
            partner_schools: vec![],
            preferences: vec![],
            row: 0,
        };
        let pair = |l: &str, w: &str, score| CandidateRec {
            learner: l.into(),
            workplace: w.into(),
            programme: "P0".into(),
            score,
            row: 0,
        };
        let doc = SeasonDoc {
            mentors: None,
            programmes: vec![ProgrammeRec { rhythm: None, id: "P0".into(), name: "P0".into(), row: 0 }],
            schools: vec![SchoolRec { rhythm: None, id: "S".into(), name: "s".into(), lat: 51.0, lon: 4.0, row: 0 }],
            learners: vec![learner("L0"), learner("L1"), learner("L2")],
            workplaces: vec![site("W0", Some(1)), site("W1", None)],
            recognitions: vec![
                RecognitionRec { workplace: "W0".into(), programme: "P0".into(), seats: 1, row: 0 },
                RecognitionRec { workplace: "W1".into(), programme: "P0".into(), seats: 1, row: 0 },
            ],
            candidates: Some(
                vec![pair("L0", "W0", 90.0), pair("L1", "W0", 70.0), pair("L2", "W0", 40.0), pair("L1", "W1", 60.0)]
                    .into(),
            ),
            outcomes: None,
        };
        from_doc(doc).unwrap().season
    }

    fn written(f: impl Fn(&mut Vec<u8>) -> io::Result<()>) -> Vec<String> {
        let mut out = Vec::new();
        f(&mut out).unwrap();
        String::from_utf8(out).unwrap().lines().map(str::to_string).collect()
    }

    #[test]
    fn waitlist_and_recruitment_name_the_exact_values() {
        let s = season();
        let cands = Candidates::from_season_candidates(&s).unwrap();
        let cons = Constraints::none();
        let m = PlacementModel::new(&s, &cands, &cons).unwrap();
        let solved = network::solve(&m, Objective::MaxFit).unwrap();
        let adv = advice::compute(&m, &solved).unwrap();
        // L0 at W0 (90), L1 at W1 (60), L2 unplaced: W0 is full (seat and
        // capacity); L2 has a pair at W0 only.
        let wait = written(|w| write_waitlist(w, &s, &cands, &adv));
        assert_eq!(
            wait[0],
            "learner,school,school_name,rank,workplace,company,programme,programme_name,score,distance_km,needs,gain,\
             gain_at_most,value_of_addition,best_use,gives_way"
        );
        // One more seat alone at W0 gains nothing (L0 would have to give
        // way); with one more unit of capacity too, placing L2 there gains
        // 40, more than L1 moving up from W1 (70 − 60).
        assert_eq!(wait[1], "L2,S,s,1,W0,c,P0,P0,40.00,0.7,seat+capacity,40.000000,40.000000,40.000000,this learner,");
        assert_eq!(wait.len(), 2);
        let rec = written(|w| write_recruitment(w, &s, &adv));
        assert_eq!(
            rec[0],
            "workplace,company,programme,programme_name,lat,lon,seats,needs,value,value_of_one_more_seat,value_with_one_more_capacity,\
             taken_by,moves,unplaced_in_reach,unplaced_it_could_place"
        );
        assert_eq!(
            rec[1],
            "W0,c,P0,P0,51.00000,4.01000,1,seat+capacity,40.000000,0.000000,40.000000,L2,L2 unplaced→W0,1,1"
        );
    }

    #[test]
    fn score_units_are_exact() {
        assert_eq!(score_units(40_000_000), "40.000000");
        assert_eq!(score_units(1), "0.000001");
        assert_eq!(score_units(-1_500_000), "-1.500000");
    }
}
