//! The typed indices of the model ([`ModelArc`], [`CandidateId`]) and its
//! constraint rules (reserved seats, school bounds), on tiny seasons.

mod common;

use common::{TinyConstraints, TinyLearner, TinySeason};
use dualmatch_core::ids::PriorityGroupId;
use dualmatch_core::scoring::Candidates;
use dualmatch_core::{CandidateId, GroupId, LearnerId, SchoolId};
use dualmatch_optimiser::constraints::{Reserve, SchoolBound};
use dualmatch_optimiser::model::{Assignment, ModelArc, PlacementModel};
use dualmatch_optimiser::Constraints;
use proptest::prelude::*;

fn learner(school: usize, passed: bool, priority: bool) -> TinyLearner {
    TinyLearner { school, programme: 0, passed, priority, readiness: 2, prefs: vec![] }
}

/// Two sites, three recognitions of programme 0 with 3, 2 and 1 seats;
/// learner 1 is in the priority group, learner 2 has not passed screening,
/// learner 3 has no candidate.
fn season() -> TinySeason {
    TinySeason {
        programmes: 1,
        schools: 2,
        learners: vec![
            learner(0, true, false),
            learner(1, true, true),
            learner(0, false, false),
            learner(1, true, false),
        ],
        workplaces: vec![(None, vec![]), (Some(2), vec![])],
        recognitions: vec![(0, 0, 3), (1, 0, 2)],
        candidates: vec![(0, 0, 60), (0, 1, 40), (1, 0, 70), (1, 1, 50), (2, 0, 30)],
        lon_step: 0.0,
        max_commute_km: 100.0,
    }
}

#[test]
fn open_seats_and_who_takes_them() {
    let t = season();
    let s = t.build();
    let cands = Candidates::from_season_candidates(&s).unwrap();
    let (g0, g1) = (GroupId(0), GroupId(1));
    let (l0, l1) = (LearnerId(0), LearnerId(1));
    let mut c = Constraints::none();
    // More seats reserved at g1 than it has: none of them is open.
    c.reserves.push(Reserve { group: g0, priority_group: PriorityGroupId(0), seats: 2 });
    c.reserves.push(Reserve { group: g1, priority_group: PriorityGroupId(0), seats: 5 });
    c.school_bounds.push(SchoolBound {
        school: SchoolId(1),
        programme: s.programme_by_id("P0").unwrap(),
        min: 0,
        max: 1,
    });
    let m = PlacementModel::new(&s, &cands, &c).unwrap();
    assert!(m.any_reserved() && m.reserves_seats(g0) && m.reserves_seats(g1));
    assert_eq!(m.open_seats(g0), Some(1));
    assert_eq!(m.open_seats(g1), Some(0));
    assert!(m.takes_open_seat(l0, g0), "learner 0 is not in the priority group");
    assert!(!m.takes_open_seat(l1, g0), "learner 1 is");
    assert!(m.reserves_seat_for(l1, g0) && !m.reserves_seat_for(l0, g0));
    assert_eq!(m.school_bound_of(l0), None);
    assert_eq!(m.school_bound_of(l1), Some(0));
    assert_eq!(m.school_bound_of(LearnerId(3)), Some(0));

    // No reserve: every seat is open and nobody takes an "open" one.
    let none = Constraints::none();
    let m = PlacementModel::new(&s, &cands, &none).unwrap();
    assert!(!m.any_reserved() && !m.reserves_seats(g0));
    assert_eq!(m.open_seats(g0), None);
    assert!(!m.takes_open_seat(l0, g0) && !m.reserves_seat_for(l1, g0));

    // A reserve of 0 seats reserves nothing for anyone, yet learners outside
    // the group still count towards the open seats (all of them).
    let mut zero = Constraints::none();
    zero.reserves.push(Reserve { group: g0, priority_group: PriorityGroupId(0), seats: 0 });
    let m = PlacementModel::new(&s, &cands, &zero).unwrap();
    assert_eq!(m.open_seats(g0), Some(3));
    assert!(m.takes_open_seat(l0, g0) && !m.reserves_seat_for(l1, g0));
}

#[test]
fn placements_read_as_candidate_ids() {
    let t = season();
    let s = t.build();
    let cands = Candidates::from_season_candidates(&s).unwrap();
    let c = Constraints::none();
    let m = PlacementModel::new(&s, &cands, &c).unwrap();
    // Learner 0 at their second candidate, learner 1 at their first.
    let second = cands.ids_of(LearnerId(0)).nth(1).unwrap();
    let first = cands.ids_of(LearnerId(1)).next().unwrap();
    let a = Assignment::from_candidates([Some(second), Some(first), None, None]);
    assert_eq!(a.placement, vec![Some(second.0), Some(first.0), None, None]);
    assert_eq!(a.candidate(LearnerId(0)), Some(second));
    assert_eq!(a.candidate(LearnerId(2)), None);
    assert_eq!(a.placements().collect::<Vec<_>>(), vec![(LearnerId(0), second), (LearnerId(1), first)]);
    assert_eq!(a.by_learner().len(), 4);
    assert_eq!(a.total_score(&cands), cands.score_of(second) + cands.score_of(first));
    assert_eq!(cands.group_of(second), GroupId(1), "learner 0's candidates are best first: 60 at g0, then 40 at g1");
    assert!(a.check(&m).is_ok(), "{:?}", a.check(&m));
    // Below the minimum score the pair is not an arc: check refuses it.
    let mut c = Constraints::none();
    c.min_score = Some(45.0);
    let m = PlacementModel::new(&s, &cands, &c).unwrap();
    assert!(m.arc_to(LearnerId(0), second).is_none());
    assert!(a.check(&m).unwrap_err().contains("not a usable candidate"));
}

/// A random tiny season: `n` learners, some without candidates or not
/// screened, each with scores on some of the recognitions.
fn tiny(passed: Vec<bool>, scores: Vec<Vec<Option<u32>>>) -> TinySeason {
    let learners = passed.iter().map(|&p| learner(0, p, false)).collect();
    let recognitions = vec![(0, 0, 2), (1, 0, 1), (2, 0, 3)];
    let mut candidates = Vec::new();
    for (l, row) in scores.iter().enumerate() {
        for (r, sc) in row.iter().enumerate() {
            if let Some(sc) = sc {
                candidates.push((l, r, *sc));
            }
        }
    }
    TinySeason {
        programmes: 1,
        schools: 1,
        learners,
        workplaces: vec![(None, vec![]), (Some(1), vec![]), (None, vec![])],
        recognitions,
        candidates,
        lon_step: 0.0,
        max_commute_km: 100.0,
    }
}

proptest! {
    /// The typed arcs are the raw arc indices; each arc belongs to its
    /// learner (also around learners without arcs), leads back to itself
    /// through its candidate, and reads the candidate's group and score.
    #[test]
    fn typed_arcs_match_the_raw_indices(
        rows in prop::collection::vec((any::<bool>(), prop::collection::vec(prop::option::of(1u32..100), 3)), 1..12),
        min_score in prop::option::of(1u32..100),
    ) {
        let (passed, scores): (Vec<bool>, Vec<Vec<Option<u32>>>) = rows.into_iter().unzip();
        let t = tiny(passed, scores);
        let s = t.build();
        let cands = Candidates::from_season_candidates(&s).unwrap();
        let spec = TinyConstraints { bounds: &[], reserve: None, pins: &[], forbid: &[], min_score };
        let c = spec.build(&t, &s);
        let m = PlacementModel::new(&s, &cands, &c).unwrap();
        let mut seen = 0;
        for li in 0..m.learner_count() {
            let l = LearnerId::from_index(li);
            let typed: Vec<usize> = m.arcs(l).map(ModelArc::index).collect();
            prop_assert_eq!(&typed, &m.arcs_of(l).collect::<Vec<_>>());
            prop_assert_eq!(m.arcs(l).len(), typed.len());
            prop_assert_eq!(m.arcs(l).is_empty(), typed.is_empty());
            prop_assert_eq!(m.arcs(l).rev().map(ModelArc::index).collect::<Vec<_>>(), typed.iter().rev().copied().collect::<Vec<_>>());
            for a in m.arcs(l) {
                prop_assert_eq!(a.index(), seen);
                seen += 1;
                prop_assert_eq!(m.learner_of(a), l);
                prop_assert!(m.arcs(l).contains(a));
                let cand: CandidateId = m.candidate_of(a);
                prop_assert!(cands.ids_of(l).any(|x| x == cand));
                prop_assert_eq!(m.arc_to(l, cand), Some(a));
                prop_assert_eq!(m.group_of(a), cands.group_of(cand));
                prop_assert_eq!(m.score_of(a), cands.score_of(cand));
                prop_assert!(min_score.is_none_or(|ms| m.score_of(a) >= f64::from(ms)));
                prop_assert_eq!(m.candidate_of(a).index(), m.arc_candidate(a.index()));
            }
        }
        prop_assert_eq!(seen, m.arc_count());
    }
}
