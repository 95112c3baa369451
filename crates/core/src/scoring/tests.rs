//! Tests of gates, components, weights, candidate generation and explanations.

use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::geo::{haversine_km, GeoPoint};
use crate::ids::*;
use crate::season::doc::*;
use crate::season::{Screening, Season, Tally};

// ---------------------------------------------------------------- helpers

const GENT: (f64, f64) = (51.05, 3.72);

fn learner(id: &str, programme: &str, at: (f64, f64), max_km: f64, readiness: u8) -> LearnerRec {
    LearnerRec {
        rhythm: None,
        id: id.into(),
        school: "S1".into(),
        programme: programme.into(),
        lat: at.0,
        lon: at.1,
        max_commute_km: max_km,
        readiness,
        screening: Screening::Passed,
        attributes: vec![],
        preferences: vec![],
        priority_group: None,
        row: 0,
    }
}

fn site(id: &str, at: (f64, f64)) -> WorkplaceRec {
    WorkplaceRec {
        id: id.into(),
        company: format!("Company {id}"),
        lat: at.0,
        lon: at.1,
        capacity: None,
        min_readiness: 1,
        requires: vec![],
        partner_schools: vec![],
        preferences: vec![],
        row: 0,
    }
}

fn rec(workplace: &str, programme: &str, seats: u32) -> RecognitionRec {
    RecognitionRec { workplace: workplace.into(), programme: programme.into(), seats, row: 0 }
}

/// A season with programmes P1..Pn, schools S1 and S2 (in Gent), and the given records.
fn season_of(
    programmes: usize,
    learners: Vec<LearnerRec>,
    workplaces: Vec<WorkplaceRec>,
    recognitions: Vec<RecognitionRec>,
) -> Season {
    season_with_outcomes(programmes, learners, workplaces, recognitions, None)
}

/// [`season_of`] with an `outcomes.csv`.
fn season_with_outcomes(
    programmes: usize,
    learners: Vec<LearnerRec>,
    workplaces: Vec<WorkplaceRec>,
    recognitions: Vec<RecognitionRec>,
    outcomes: Option<Vec<OutcomeRec>>,
) -> Season {
    let doc = SeasonDoc {
        mentors: None,
        programmes: (1..=programmes)
            .map(|i| ProgrammeRec { rhythm: None, id: format!("P{i}"), name: format!("Programme {i}"), row: 0 })
            .collect(),
        schools: ["S1", "S2"]
            .iter()
            .map(|s| SchoolRec {
                rhythm: None,
                id: (*s).into(),
                name: format!("School {s}"),
                lat: GENT.0,
                lon: GENT.1,
                row: 0,
            })
            .collect(),
        learners,
        workplaces,
        recognitions,
        candidates: None,
        outcomes,
    };
    match crate::season::from_doc(doc) {
        Ok(l) => l.season,
        Err(e) => panic!("test season invalid: {:?}", e.diagnostics()),
    }
}

fn l(season: &Season, id: &str) -> LearnerId {
    season.learner_by_id(id).unwrap()
}
fn w(season: &Season, id: &str) -> WorkplaceId {
    season.workplace_by_id(id).unwrap()
}

/// A point `km` east of `from` along its parallel (approximately).
fn east_of(from: (f64, f64), km: f64) -> (f64, f64) {
    (from.0, from.1 + km / (111.32 * from.0.to_radians().cos()))
}

fn dist(a: (f64, f64), b: (f64, f64)) -> f64 {
    haversine_km(GeoPoint::new(a.0, a.1), GeoPoint::new(b.0, b.1))
}

// ---------------------------------------------------------------- gates

#[test]
fn distance_exactly_at_cap_is_eligible_and_a_hair_beyond_is_not() {
    let home = GENT;
    let at = east_of(home, 17.3);
    let d = dist(home, at);
    let beyond = f64::from_bits(d.to_bits() - 1); // the largest cap below d
    let s = season_of(
        1,
        vec![learner("L1", "P1", home, d, 2), learner("L2", "P1", home, beyond, 2)],
        vec![site("W1", at)],
        vec![rec("W1", "P1", 1)],
    );
    let ok = check_pair(&s, l(&s, "L1"), w(&s, "W1")).expect("at the cap is eligible");
    assert_eq!(ok.distance_km, d);
    let err = check_pair(&s, l(&s, "L2"), w(&s, "W1")).unwrap_err();
    assert_eq!(err, vec![Rejection::TooFar { km: d, max_km: beyond }]);

    let c = Candidates::generate(&s, &Weights::default(), None);
    assert_eq!(c.of(l(&s, "L1")).len(), 1, "the radius query must not lose a site at the cap");
    assert_eq!(c.of(l(&s, "L2")).len(), 0);
}

#[test]
fn zero_commute_allows_a_site_at_home_only() {
    let s = season_of(
        1,
        vec![learner("L1", "P1", GENT, 0.0, 2)],
        vec![site("W1", GENT), site("W2", east_of(GENT, 0.001))],
        vec![rec("W1", "P1", 1), rec("W2", "P1", 1)],
    );
    let c = Candidates::generate(&s, &Weights::default(), None);
    assert_eq!(c.group.len(), 1);
    assert_eq!(s.group(c.group[0]).workplace, w(&s, "W1"));
    assert_eq!(c.distance_km[0], 0.0);
}

#[test]
fn readiness_equal_to_minimum_passes_and_one_below_fails() {
    let mut w3 = site("W1", GENT);
    w3.min_readiness = 3;
    let s = season_of(
        1,
        vec![learner("L3", "P1", GENT, 10.0, 3), learner("L2", "P1", GENT, 10.0, 2)],
        vec![w3],
        vec![rec("W1", "P1", 2)],
    );
    assert!(check_pair(&s, l(&s, "L3"), w(&s, "W1")).is_ok());
    assert_eq!(
        check_pair(&s, l(&s, "L2"), w(&s, "W1")).unwrap_err(),
        vec![Rejection::ReadinessBelow { have: 2, need: 3 }]
    );
}

#[test]
fn every_reason_is_reported() {
    let mut l1 = learner("L1", "P1", GENT, 5.0, 1);
    l1.screening = Screening::Pending;
    l1.attributes = vec!["vca".into()];
    let mut w1 = site("W1", east_of(GENT, 20.0));
    w1.requires = vec!["licence_b".into(), "vca".into(), "forklift".into()];
    w1.min_readiness = 4;
    w1.capacity = Some(0);
    let s = season_of(2, vec![l1], vec![w1], vec![rec("W1", "P2", 3)]);
    let err = check_pair(&s, l(&s, "L1"), w(&s, "W1")).unwrap_err();
    let mut missing = vec![s.tag_by_name("licence_b").unwrap(), s.tag_by_name("forklift").unwrap()];
    missing.sort();
    assert_eq!(err.len(), 6, "{err:?}");
    assert_eq!(err[0], Rejection::ScreeningPending);
    assert_eq!(err[1], Rejection::NotRecognised);
    assert_eq!(err[2], Rejection::NoCapacity);
    assert_eq!(err[3], Rejection::MissingTags(missing));
    assert_eq!(err[4], Rejection::ReadinessBelow { have: 1, need: 4 });
    assert!(matches!(err[5], Rejection::TooFar { km, max_km } if km > 19.0 && max_km == 5.0));
}

#[test]
fn failed_screening_and_zero_seats_are_rejections() {
    let mut l1 = learner("L1", "P1", GENT, 5.0, 1);
    l1.screening = Screening::Failed;
    let s = season_of(1, vec![l1], vec![site("W1", GENT)], vec![rec("W1", "P1", 0)]);
    assert_eq!(
        check_pair(&s, l(&s, "L1"), w(&s, "W1")).unwrap_err(),
        vec![Rejection::ScreeningFailed, Rejection::NoSeats]
    );
}

// ---------------------------------------------------------------- components

#[test]
fn component_formulas_at_their_edges() {
    assert_eq!(readiness_fit(3, 3), 1.0);
    assert_eq!(readiness_fit(4, 1), 0.0);
    assert!((readiness_fit(3, 2) - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(location_from_km(0.0, 10.0), 1.0);
    assert!((location_from_km(10.0, 10.0) - 0.5).abs() < 1e-12);
    assert!((location_from_km(20.0, 10.0) - 0.25).abs() < 1e-12);
    assert!((location_from_minutes(25.0, 25.0) - 0.5).abs() < 1e-12);
    assert_eq!(location_from_km(5.0, 0.0), location_from_km(5.0, Weights::DEFAULT_LOCATION_HALF_KM));
    assert_eq!(capacity_fit(None, 5), 1.0);
    assert_eq!(capacity_fit(Some(10), 5), 1.0);
    assert_eq!(capacity_fit(Some(2), 4), 0.5);
    assert_eq!(capacity_fit(Some(3), 0), 1.0);
    assert_eq!(partnership_fit(true), 1.0);
    assert_eq!(partnership_fit(false), 0.0);
    assert_eq!(preference_side(None, 0), NEUTRAL_PREFERENCE);
    assert_eq!(preference_side(None, 3), NEUTRAL_PREFERENCE);
    assert_eq!(preference_side(Some(1), 3), 1.0);
    assert!((preference_side(Some(3), 3) - (1.0 - 2.0 / 6.0)).abs() < 1e-12);
    assert!(preference_side(Some(3), 3) > NEUTRAL_PREFERENCE);
}

/// The components of the only candidate of `learner`.
fn only_components(s: &Season, c: &Candidates, learner: &str) -> Components {
    let r = c.of(l(s, learner));
    assert_eq!(r.len(), 1);
    c.components.as_ref().unwrap().get(r.start)
}

#[test]
fn empty_preferences_give_the_neutral_value_and_rankings_lift_it() {
    let mut l2 = learner("L2", "P1", GENT, 10.0, 1);
    l2.preferences = vec!["W9".into(), "W1".into()]; // W1 is 2nd of 2
    let mut l3 = learner("L3", "P1", GENT, 10.0, 1);
    l3.preferences = vec!["W9".into()]; // ranks another site only
    let mut w1 = site("W1", GENT);
    w1.preferences = vec!["L3".into()]; // ranks L3 first
    let s = season_of(
        1,
        vec![learner("L1", "P1", GENT, 10.0, 1), l2, l3],
        vec![w1, site("W9", east_of(GENT, 50.0))],
        vec![rec("W1", "P1", 3)],
    );
    let c = Candidates::generate(&s, &Weights::default(), None);
    assert_eq!(only_components(&s, &c, "L1").preference, NEUTRAL_PREFERENCE as f32 as f64);
    let p2 = only_components(&s, &c, "L2").preference;
    assert!((p2 - (0.75 + 0.5) / 2.0).abs() < 1e-6, "{p2}");
    let p3 = only_components(&s, &c, "L3").preference;
    assert!((p3 - (0.5 + 1.0) / 2.0).abs() < 1e-6, "{p3}");
}

#[test]
fn partnership_is_one_only_for_partner_schools() {
    let mut l2 = learner("L2", "P1", GENT, 10.0, 1);
    l2.school = "S2".into();
    let mut w1 = site("W1", GENT);
    w1.partner_schools = vec!["S1".into()];
    let s = season_of(1, vec![learner("L1", "P1", GENT, 10.0, 1), l2], vec![w1], vec![rec("W1", "P1", 2)]);
    let c = Candidates::generate(&s, &Weights::default(), None);
    assert_eq!(only_components(&s, &c, "L1").partnership, 1.0);
    assert_eq!(only_components(&s, &c, "L2").partnership, 0.0);
    assert!(c.score[c.of(l(&s, "L1")).start] > c.score[c.of(l(&s, "L2")).start]);
}

#[test]
fn capacity_counts_seats_of_all_programmes() {
    let mut w1 = site("W1", GENT);
    w1.capacity = Some(2);
    let s =
        season_of(2, vec![learner("L1", "P1", GENT, 10.0, 1)], vec![w1], vec![rec("W1", "P1", 2), rec("W1", "P2", 2)]);
    let c = Candidates::generate(&s, &Weights::default(), None);
    assert_eq!(only_components(&s, &c, "L1").capacity, 0.5);
}

#[test]
fn travel_times_replace_distance_in_location_but_not_in_the_gate() {
    let s = season_of(
        1,
        vec![learner("L1", "P1", GENT, 10.0, 1)],
        vec![site("W1", east_of(GENT, 5.0)), site("W2", east_of(GENT, 15.0))],
        vec![rec("W1", "P1", 1), rec("W2", "P1", 1)],
    );
    let (l1, w1, w2) = (l(&s, "L1"), w(&s, "W1"), w(&s, "W2"));
    let t = TravelTimes::new(vec![(l1, w1, 25.0), (l1, w1, 99.0), (l1, w2, 1.0), (l1, w2, f64::NAN)]);
    assert_eq!(t.len(), 2);
    assert_eq!(t.get(l1, w1), Some(25.0), "the first of duplicates is kept");
    let c = Candidates::generate(&s, &Weights::default(), Some(&t));
    assert_eq!(c.len(), 1, "W2 is beyond the commute whatever its travel time");
    assert!((f64::from(c.components.as_ref().unwrap().location[0]) - 0.5).abs() < 1e-6);
}

#[test]
fn score_is_the_weighted_mean_scaled_to_100() {
    let w = Weights::default();
    let all = Components::from_array([1.0; 5]);
    assert!((w.score(&all) - 100.0).abs() < 1e-9);
    assert_eq!(w.score(&Components::default()), 0.0);
    let c = Components { readiness: 1.0, location: 0.5, capacity: 1.0, partnership: 0.0, preference: 0.5, trust: None };
    let expect = 100.0 * (1.0 + 2.0 * 0.5 + 0.5 + 0.0 + 1.5 * 0.5) / 6.0;
    assert!((w.score(&c) - expect).abs() < 1e-9);
    let parts = w.contributions(&c);
    assert!((parts.iter().sum::<f64>() - expect).abs() < 1e-9);
    let zero = Weights { readiness: 0.0, location: 0.0, capacity: 0.0, partnership: 0.0, preference: 0.0, ..w };
    assert_eq!(zero.score(&all), 0.0);
}

// ---------------------------------------------------------------- weights

#[test]
fn weights_parse_defaults_integers_and_values() {
    assert_eq!(Weights::from_toml_str("").unwrap(), Weights::default());
    let w = Weights::from_toml_str("location = 3\npreference = 0.25\n# comment\npartnership = 0\n").unwrap();
    assert_eq!(w.location, 3.0);
    assert_eq!(w.preference, 0.25);
    assert_eq!(w.partnership, 0.0);
    assert_eq!(w.readiness, Weights::default().readiness);
    Weights::default().validate().unwrap();
}

#[test]
fn weights_keys_match_between_the_struct_and_the_spanned_reader() {
    // Every key Weights serialises must be accepted back with its value.
    let w = Weights { readiness: 1.5, travel_half_minutes: 40.0, ..Weights::default() };
    let text = toml::to_string(&w).unwrap();
    assert_eq!(Weights::from_toml_str(&text).unwrap(), w);
    assert_eq!(toml::from_str::<Weights>(&text).unwrap(), w);
}

#[test]
fn weights_unknown_key_is_reported_with_position() {
    let e = Weights::from_toml_str("location = 2\nlocaton = 1\n").unwrap_err();
    assert!(matches!(e, WeightsError::Syntax { .. }), "{e:?}");
    assert_eq!(e.position().map(|p| p.line), Some(2), "{e}");
    let msg = e.to_string();
    assert!(msg.starts_with("line 2, column 1: "), "{msg}");
    assert!(msg.contains("locaton") && msg.contains("check the spelling"), "{msg}");
}

#[test]
fn weights_negative_and_non_finite_are_rejected_with_position() {
    let e = Weights::from_toml_str("readiness = 1\ncapacity = -0.5\n").unwrap_err();
    assert_eq!(e.position(), Some(TextPos { line: 2, column: 12 }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("capacity = -0.5") && msg.contains("0 or more"), "{msg}");

    let e = Weights::from_toml_str("location = nan").unwrap_err();
    assert!(matches!(e, WeightsError::Invalid { ref key, .. } if key == "location"), "{e:?}");
    let e = Weights::from_toml_str("preference = inf").unwrap_err();
    assert!(matches!(e, WeightsError::Invalid { .. }), "{e:?}");
    let e = Weights::from_toml_str("location_half_km = 0").unwrap_err();
    assert!(e.to_string().contains("above 0"), "{e}");
    let e = Weights::from_toml_str("location = \"far\"").unwrap_err();
    assert!(e.to_string().contains("the weights file takes"), "{e}");
    assert!(matches!(e, WeightsError::Syntax { at: Some(TextPos { line: 1, .. }), .. }), "{e:?}");
    let e = Weights::from_toml_str("readiness = 0\nlocation = 0\ncapacity = 0\npartnership = 0\npreference = 0")
        .unwrap_err();
    assert_eq!(e, WeightsError::AllZero);
    let bad = Weights { location: -1.0, ..Weights::default() };
    assert!(matches!(bad.validate(), Err(WeightsError::Invalid { at: None, .. })));
}

// ---------------------------------------------------------------- candidates & explanations

#[test]
fn candidates_are_sorted_by_score_then_group() {
    // Two identical sites (same place): equal scores, so group id decides.
    let s = season_of(
        1,
        vec![learner("L1", "P1", GENT, 30.0, 1)],
        vec![site("W2", east_of(GENT, 3.0)), site("W1", east_of(GENT, 3.0)), site("W3", GENT)],
        vec![rec("W2", "P1", 1), rec("W1", "P1", 1), rec("W3", "P1", 1)],
    );
    let c = Candidates::generate(&s, &Weights::default(), None);
    assert_eq!(c.learners(), 1);
    assert_eq!(c.offsets, vec![0, 3]);
    assert_eq!(s.group(c.group[0]).workplace, w(&s, "W3"));
    assert!(c.group[1] < c.group[2]);
    assert_eq!(c.score[1], c.score[2]);
    assert!(c.score[0] > c.score[1]);
}

#[test]
fn explain_counts_rejections_and_names_the_main_reason() {
    let home = GENT;
    let mut lic = site("WL", east_of(home, 5.0));
    lic.requires = vec!["licence_b".into()];
    let mut r3 = site("WR", east_of(home, 6.0));
    r3.min_readiness = 3;
    let mut l2 = learner("L2", "P1", home, 25.0, 2);
    l2.attributes = vec!["vca".into()];
    let s = season_of(
        1,
        vec![l2, learner("FAR", "P1", home, 25.0, 4), learner("OK", "P1", home, 25.0, 4)],
        vec![
            site("F1", east_of(home, 31.2)),
            site("F2", east_of(home, 40.0)),
            lic,
            r3,
            site("Z", east_of(home, 1.0)),
            site("NEAR", east_of(home, 2.0)),
        ],
        vec![rec("F1", "P1", 1), rec("F2", "P1", 1), rec("WL", "P1", 1), rec("WR", "P1", 1), rec("Z", "P1", 0)],
    );
    let weights = Weights::default();
    let e = explain(&s, &weights, None, l(&s, "L2"), 5);
    assert_eq!(e.recognised_sites, 5);
    assert_eq!(e.eligible, 0);
    assert!(e.best.is_empty());
    let texts: Vec<String> = e.rejected.iter().map(|r| r.describe(&s)).collect();
    assert_eq!(
        texts,
        vec![
            "2 sites farther than 25 km (nearest 31.2 km)",
            "1 site requires licence_b",
            "1 site needs readiness 3 or more",
            "1 site with no seats for the programme"
        ]
    );
    assert_eq!(e.no_candidate, Some(NoCandidateReason::TagsOrReadiness { max_km: 25.0, sites: 2 }));

    // FAR: only the far sites and WL (tags) / Z (no seats) are out; WR is fine.
    let e = explain(&s, &weights, None, l(&s, "OK"), 1);
    assert_eq!(e.eligible, 1);
    assert_eq!(e.best.len(), 1);
    assert_eq!(s.group(e.best[0].group).workplace, w(&s, "WR"));
    assert_eq!(e.no_candidate, None);
    let c = Candidates::generate(&s, &weights, None);
    let r = c.of(l(&s, "OK"));
    assert_eq!(c.score[r.start], e.best[0].score);
    assert!((e.best[0].contributions.iter().sum::<f64>() - e.best[0].score).abs() < 1e-9);
}

#[test]
fn no_candidate_reasons_read_as_plain_text() {
    let home = GENT;
    let mut pending = learner("PEND", "P1", home, 25.0, 4);
    pending.screening = Screening::Pending;
    let mut tags = site("T", east_of(home, 3.0));
    tags.requires = vec!["licence_b".into()];
    let mut ready = site("R", east_of(home, 3.0));
    ready.min_readiness = 3;
    let s = season_of(
        4,
        vec![
            pending,
            learner("FAR", "P1", home, 25.0, 4),
            learner("NOREC", "P2", home, 25.0, 4),
            learner("TAGS", "P3", home, 25.0, 4),
            learner("READY", "P4", home, 25.0, 1),
        ],
        vec![site("F", east_of(home, 31.2)), tags, ready],
        vec![rec("F", "P1", 1), rec("T", "P3", 1), rec("R", "P4", 1)],
    );
    let index = SiteIndex::new(&s);
    let reason = |id: &str| {
        let a = no_candidate_reason(&s, l(&s, id));
        assert_eq!(a, index.no_candidate_reason(&s, l(&s, id)));
        a.map(|r| r.to_string()).unwrap_or_default()
    };
    assert_eq!(reason("PEND"), "screening pending");
    assert_eq!(reason("FAR"), "no recognised site within 25 km (nearest is 31.2 km)");
    assert_eq!(reason("NOREC"), "no site is recognised for the programme");
    assert_eq!(reason("TAGS"), "the only site within 25 km requires licence_b");
    assert_eq!(reason("READY"), "the only site within 25 km needs readiness 3 or more (learner has 1)");
    let e = explain(&s, &Weights::default(), None, l(&s, "PEND"), 3);
    assert_eq!(e.rejected[0].describe(&s), "1 site: screening pending");
}

#[test]
fn nearest_distance_never_prints_as_the_cap() {
    let r = NoCandidateReason::NoneWithinCommute { max_km: 25.0, nearest_km: 25.0004 };
    assert_eq!(r.to_string(), "no recognised site within 25 km (nearest is 25.0004 km)");
    let r = NoCandidateReason::NoneWithinCommute { max_km: 12.5, nearest_km: 31.25 };
    assert_eq!(r.to_string(), "no recognised site within 12.5 km (nearest is 31.2 km)");
}

#[test]
fn user_candidates_keep_given_scores_drop_gate_failures_and_sort() {
    let doc_season = |cands: Vec<(&str, &str, f64)>| {
        let mut pend = learner("L2", "P1", GENT, 25.0, 2);
        pend.screening = Screening::Pending;
        let doc = SeasonDoc {
            mentors: None,
            programmes: vec![ProgrammeRec { rhythm: None, id: "P1".into(), name: "P".into(), row: 0 }],
            schools: vec![SchoolRec {
                rhythm: None,
                id: "S1".into(),
                name: "S".into(),
                lat: GENT.0,
                lon: GENT.1,
                row: 0,
            }],
            learners: vec![learner("L1", "P1", GENT, 25.0, 2), pend],
            workplaces: vec![
                site("W1", east_of(GENT, 5.0)),
                site("W2", east_of(GENT, 10.0)),
                site("W3", east_of(GENT, 40.0)),
            ],
            recognitions: vec![rec("W1", "P1", 1), rec("W2", "P1", 1), rec("W3", "P1", 1)],
            candidates: Some(
                cands
                    .into_iter()
                    .map(|(l, w, score)| CandidateRec {
                        learner: l.into(),
                        workplace: w.into(),
                        programme: "P1".into(),
                        score,
                        row: 0,
                    })
                    .collect(),
            ),
            outcomes: None,
        };
        crate::season::from_doc(doc).unwrap().season
    };
    let s = doc_season(vec![("L1", "W1", 40.0), ("L1", "W2", 70.0), ("L1", "W3", 99.0), ("L2", "W1", 50.0)]);
    let c = Candidates::from_season_candidates(&s).unwrap();
    assert!(c.components.is_none());
    assert_eq!(c.offsets, vec![0, 2, 2]);
    assert_eq!(c.score, vec![70.0, 40.0]);
    assert_eq!(s.group(c.group[0]).workplace, w(&s, "W2"));
    assert!((f64::from(c.distance_km[0]) - 10.0).abs() < 0.05);
    let dropped = Candidates::rejected_season_candidates(&s);
    assert_eq!(dropped.len(), 2);
    assert!(matches!(dropped[0].2[..], [Rejection::TooFar { .. }]));
    assert_eq!(dropped[1].2, vec![Rejection::ScreeningPending]);
    let no_table = season_of(1, vec![], vec![], vec![]);
    assert!(Candidates::from_season_candidates(&no_table).is_none());
}

// ---------------------------------------------------------------- random seasons

const TAGS: [&str; 3] = ["licence_b", "vca", "forklift"];

/// A random small season around Gent (within about 60 km).
fn random_doc(seed: u64, learners: usize, sites: usize, programmes: usize) -> SeasonDoc {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let point = |rng: &mut ChaCha8Rng| (GENT.0 + rng.gen_range(-0.27..0.27), GENT.1 + rng.gen_range(-0.43..0.43));
    let tags = |rng: &mut ChaCha8Rng, p: f64| -> Vec<String> {
        TAGS.iter().filter(|_| rng.gen_bool(p)).map(|t| t.to_string()).collect()
    };
    let mut ws: Vec<WorkplaceRec> = (0..sites)
        .map(|i| {
            let mut w = site(&format!("W{i}"), point(&mut rng));
            w.capacity = if rng.gen_bool(0.5) { None } else { Some(rng.gen_range(0..5)) };
            w.min_readiness = rng.gen_range(1..=4);
            w.requires = tags(&mut rng, 0.2);
            if rng.gen_bool(0.3) {
                w.partner_schools = vec![if rng.gen_bool(0.5) { "S1" } else { "S2" }.into()];
            }
            w
        })
        .collect();
    let mut ls: Vec<LearnerRec> = (0..learners)
        .map(|i| {
            let mut l = learner(
                &format!("L{i}"),
                &format!("P{}", rng.gen_range(1..=programmes)),
                point(&mut rng),
                rng.gen_range(0.0..45.0),
                rng.gen_range(1..=4),
            );
            l.school = if rng.gen_bool(0.5) { "S1" } else { "S2" }.into();
            l.screening = match rng.gen_range(0..10) {
                0 => Screening::Pending,
                1 => Screening::Failed,
                _ => Screening::Passed,
            };
            l.attributes = tags(&mut rng, 0.6);
            if rng.gen_bool(0.3) {
                // A commute exactly to some site: the boundary case.
                let w = &ws[rng.gen_range(0..sites)];
                l.max_commute_km = dist((l.lat, l.lon), (w.lat, w.lon));
            }
            for _ in 0..rng.gen_range(0..4) {
                let w = format!("W{}", rng.gen_range(0..sites));
                if !l.preferences.contains(&w) {
                    l.preferences.push(w);
                }
            }
            l
        })
        .collect();
    for w in &mut ws {
        for _ in 0..rng.gen_range(0..4) {
            let l = format!("L{}", rng.gen_range(0..learners));
            if !w.preferences.contains(&l) {
                w.preferences.push(l);
            }
        }
    }
    let mut recs = Vec::new();
    for w in &ws {
        for p in 1..=programmes {
            if rng.gen_bool(0.6) {
                recs.push(rec(&w.id, &format!("P{p}"), rng.gen_range(0..4)));
            }
        }
    }
    ls.sort_by(|a, b| a.id.cmp(&b.id));
    SeasonDoc {
        mentors: None,
        programmes: (1..=programmes)
            .map(|i| ProgrammeRec { rhythm: None, id: format!("P{i}"), name: format!("P{i}"), row: 0 })
            .collect(),
        schools: ["S1", "S2"]
            .iter()
            .map(|s| SchoolRec { rhythm: None, id: (*s).into(), name: (*s).into(), lat: GENT.0, lon: GENT.1, row: 0 })
            .collect(),
        learners: ls,
        workplaces: ws,
        recognitions: recs,
        candidates: None,
        outcomes: None,
    }
}

fn random_season(seed: u64, learners: usize, sites: usize, programmes: usize) -> Season {
    crate::season::from_doc(random_doc(seed, learners, sites, programmes)).unwrap().season
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn candidates_equal_the_brute_force_gate_filter(
        seed in any::<u64>(), learners in 5usize..=40, sites in 5usize..=30, programmes in 1usize..=3,
    ) {
        let s = random_season(seed, learners, sites, programmes);
        let weights = Weights::default();
        let c = Candidates::generate(&s, &weights, None);
        let index = SiteIndex::new(&s);
        prop_assert_eq!(c.learners(), s.learners().len());
        for li in 0..s.learners().len() {
            let lid = LearnerId::from_index(li);
            let mut brute: Vec<(GroupId, f64)> = (0..s.workplaces().len())
                .filter_map(|wi| check_pair(&s, lid, WorkplaceId::from_index(wi)).ok())
                .map(|e| (e.group, e.distance_km))
                .collect();
            brute.sort_by_key(|x| x.0);
            let range = c.of(lid);
            let mut got: Vec<(GroupId, f64)> = range.clone().map(|i| (c.group[i], f64::from(c.distance_km[i]))).collect();
            got.sort_by_key(|x| x.0);
            prop_assert_eq!(got.iter().map(|x| x.0).collect::<Vec<_>>(), brute.iter().map(|x| x.0).collect::<Vec<_>>(), "learner {}", li);
            for (g, b) in got.iter().zip(&brute) {
                prop_assert_eq!(g.1, b.1 as f32 as f64);
            }
            // Every candidate passes every gate; order is score desc, then group.
            for i in range.clone() {
                let g = s.group(c.group[i]);
                prop_assert!(check_pair(&s, lid, g.workplace).is_ok());
                prop_assert!((0.0..=100.0).contains(&c.score[i]));
                for v in c.components.as_ref().unwrap().get(i).to_array() {
                    prop_assert!((0.0..=1.0).contains(&v));
                }
                if i + 1 < range.end {
                    prop_assert!(c.score[i] > c.score[i + 1] || (c.score[i] == c.score[i + 1] && c.group[i] < c.group[i + 1]));
                }
            }
            // Explanations agree with the candidates; reasons agree with emptiness.
            let e = explain(&s, &weights, None, lid, usize::MAX);
            prop_assert_eq!(e.eligible, range.len());
            for (k, i) in range.clone().enumerate() {
                prop_assert_eq!(e.best[k].group, c.group[i]);
                prop_assert_eq!(e.best[k].score, c.score[i]);
            }
            let reason = no_candidate_reason(&s, lid);
            prop_assert_eq!(reason.is_none(), !range.is_empty(), "{:?}", reason);
            let indexed = index.no_candidate_reason(&s, lid);
            match (&reason, &indexed) {
                (Some(NoCandidateReason::NoneWithinCommute { nearest_km: a, .. }),
                 Some(NoCandidateReason::NoneWithinCommute { nearest_km: b, .. })) => prop_assert!((a - b).abs() < 1e-9),
                _ => prop_assert_eq!(&reason, &indexed),
            }
        }
    }

    /// The pairs of a season's `candidates.csv` (random pairs of a
    /// learner's programme, in random order, scores with ties) become the
    /// model's candidates exactly as filtering them by `check_pair` and
    /// sorting the whole list by (learner, score descending, group) does;
    /// the dropped ones are the rest, in file order.
    #[test]
    fn season_candidates_are_the_gated_pairs_sorted(
        seed in any::<u64>(), learners in 5usize..=40, sites in 5usize..=30, programmes in 1usize..=3,
        pairs in 0usize..300,
    ) {
        let mut doc = random_doc(seed, learners, sites, programmes);
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
        let mut seen = std::collections::HashSet::new();
        let mut given = Vec::new();
        for _ in 0..pairs {
            let l = &doc.learners[rng.gen_range(0..learners)];
            let recs: Vec<&RecognitionRec> = doc.recognitions.iter().filter(|r| r.programme == l.programme).collect();
            if recs.is_empty() {
                continue;
            }
            let r = recs[rng.gen_range(0..recs.len())];
            if seen.insert((l.id.clone(), r.workplace.clone())) {
                let score = f64::from(rng.gen_range(0..6u8)) * 12.5;
                given.push(CandidateRec { learner: l.id.clone(), workplace: r.workplace.clone(), programme: l.programme.clone(), score, row: 0 });
            }
        }
        doc.candidates = Some(given.into());
        let s = crate::season::from_doc(doc).unwrap().season;
        let c = Candidates::from_season_candidates(&s).unwrap();
        let all = s.candidates().unwrap();
        let gate = |x: &crate::season::Candidate| check_pair(&s, x.learner, s.group(x.group).workplace);
        let mut want: Vec<(LearnerId, f64, GroupId, f32)> = all
            .iter()
            .filter_map(|x| gate(x).ok().map(|e| (x.learner, x.score, x.group, e.distance_km as f32)))
            .collect();
        want.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)));
        let got: Vec<(LearnerId, f64, GroupId, f32)> = (0..s.learners().len())
            .flat_map(|li| c.of(LearnerId::from_index(li)).map(move |i| (LearnerId::from_index(li), i)))
            .map(|(l, i)| (l, c.score[i], c.group[i], c.distance_km[i]))
            .collect();
        prop_assert_eq!(got, want);
        let dropped: Vec<(LearnerId, GroupId)> = Candidates::rejected_season_candidates(&s).into_iter().map(|d| (d.0, d.1)).collect();
        let want_dropped: Vec<(LearnerId, GroupId)> = all.iter().filter(|x| gate(x).is_err()).map(|x| (x.learner, x.group)).collect();
        prop_assert_eq!(dropped, want_dropped);
    }

    #[test]
    fn moving_a_site_closer_never_lowers_its_location_score(
        lat in -0.3f64..0.3, lon in -0.4f64..0.4, t in 0.0f64..1.0, max in 0.0f64..80.0,
    ) {
        let home = GENT;
        let far = (GENT.0 + lat, GENT.1 + lon);
        let near = (home.0 + t * lat, home.1 + t * lon);
        let (d_far, d_near) = (dist(home, far), dist(home, near));
        prop_assume!(d_near <= d_far && d_far <= max);
        let scores = |at: (f64, f64)| {
            let s = season_of(1, vec![learner("L1", "P1", home, max, 1)], vec![site("W1", at)], vec![rec("W1", "P1", 1)]);
            let c = Candidates::generate(&s, &Weights::default(), None);
            prop_assert_eq!(c.len(), 1);
            Ok((c.components.as_ref().unwrap().location[0], c.score[0]))
        };
        let (loc_far, score_far) = scores(far)?;
        let (loc_near, score_near) = scores(near)?;
        prop_assert!(loc_near >= loc_far, "{} < {}", loc_near, loc_far);
        prop_assert!(score_near >= score_far);
        prop_assert!(location_from_km(d_near, 10.0) >= location_from_km(d_far, 10.0));
    }
}

#[test]
fn generation_is_identical_on_one_and_two_threads() {
    let s = random_season(7, 3000, 400, 3);
    let travel = TravelTimes::new(
        (0..3000u32).step_by(3).map(|i| (LearnerId(i), WorkplaceId(i % 400), f64::from(i % 50))).collect(),
    );
    let run = |n: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
            .install(|| Candidates::generate(&s, &Weights::default(), Some(&travel)))
    };
    let one = run(1);
    let two = run(2);
    assert!(one.len() > 1000, "the test season should have many candidates, has {}", one.len());
    assert_eq!(one, two);
}

#[test]
fn top_k_keeps_the_best_prefix_of_each_learner() {
    let s = random_season(11, 300, 200, 2);
    let all = Candidates::generate(&s, &Weights::default(), None);
    let top = Candidates::generate_top(&s, &Weights::default(), None, 3);
    assert!(top.len() < all.len());
    for li in 0..s.learners().len() {
        let lid = LearnerId::from_index(li);
        let (a, t) = (all.of(lid), top.of(lid));
        assert_eq!(t.len(), a.len().min(3));
        assert_eq!(&top.group[t.clone()], &all.group[a.start..a.start + t.len()]);
        assert_eq!(&top.score[t.clone()], &all.score[a.start..a.start + t.len()]);
    }
}

#[test]
fn tags_beyond_the_first_64_are_checked() {
    // 70 distinct tags: the site requires the 70th, held by L1 only.
    let mut l1 = learner("L1", "P1", GENT, 10.0, 1);
    l1.attributes = (0..70).map(|i| format!("t{i}")).collect();
    let mut l2 = learner("L2", "P1", GENT, 10.0, 1);
    l2.attributes = (0..69).map(|i| format!("t{i}")).collect();
    let mut w1 = site("W1", GENT);
    w1.requires = vec!["t69".into(), "t3".into()];
    let s = season_of(1, vec![l1, l2], vec![w1], vec![rec("W1", "P1", 2)]);
    assert!(s.tag_by_name("t69").unwrap().0 >= 64);
    let c = Candidates::generate(&s, &Weights::default(), None);
    assert_eq!(c.of(l(&s, "L1")).len(), 1);
    assert_eq!(c.of(l(&s, "L2")).len(), 0);
    assert_eq!(
        check_pair(&s, l(&s, "L2"), w(&s, "W1")).unwrap_err(),
        vec![Rejection::MissingTags(vec![s.tag_by_name("t69").unwrap()])]
    );
}

proptest! {
    #[test]
    fn precomputed_distance_is_bit_for_bit_haversine(
        a_lat in -90.0f64..90.0, a_lon in -180.0f64..180.0, b_lat in -90.0f64..90.0, b_lon in -180.0f64..180.0,
        near in any::<bool>(), dlat in -0.5f64..0.5, dlon in -0.5f64..0.5,
    ) {
        let a = GeoPoint::new(a_lat, a_lon);
        let b = if near { GeoPoint::new((a_lat + dlat).clamp(-90.0, 90.0), a_lon + dlon) } else { GeoPoint::new(b_lat, b_lon) };
        let fast = super::index::Here::new(a).distance_km(&super::index::Here::new(b));
        prop_assert_eq!(fast.to_bits(), haversine_km(a, b).to_bits());
    }
}

// ---------------------------------------------------------------- trust (outcomes.csv)

/// `n` outcome rows of school `school` at `site`, one per season `2020`, `2021`, ….
fn outcomes(school: &str, site: &str, outcome: Outcome, n: usize) -> Vec<OutcomeRec> {
    (0..n)
        .map(|i| OutcomeRec {
            season: format!("{}", 2020 + i),
            learner: format!("old{i}"),
            workplace: site.into(),
            programme: "P1".into(),
            school: school.into(),
            outcome,
            reason: None,
            row: 0,
        })
        .collect()
}

/// Three identical sites next to learner L1 (school S1): W1 with many early
/// endings, W2 with as many completions, W3 with no history.
fn trust_season(history: Option<Vec<OutcomeRec>>) -> Season {
    let sites = vec![site("W1", GENT), site("W2", GENT), site("W3", GENT)];
    let recs = vec![rec("W1", "P1", 1), rec("W2", "P1", 1), rec("W3", "P1", 1)];
    season_with_outcomes(1, vec![learner("L1", "P1", GENT, 10.0, 1)], sites, recs, history)
}

/// The components and score of L1's candidate at `site`.
fn pair_of(s: &Season, c: &Candidates, site: &str) -> (Components, f64) {
    let i = c.of(l(s, "L1")).find(|&i| s.group(c.group[i]).workplace == w(s, site)).unwrap();
    (c.components.as_ref().unwrap().get(i), c.score[i])
}

#[test]
fn early_endings_lower_trust_below_completions_and_a_site_without_history_sits_at_the_prior() {
    // Another school's record, so that L1's school S1 has no history and partnership stays as it was.
    let mut rows = outcomes("S2", "W1", Outcome::EndedEarly, 6);
    rows.extend(outcomes("S2", "W2", Outcome::Completed, 6));
    let s = trust_season(Some(rows));
    let h = s.history().unwrap();
    assert_eq!(h.prior(), 0.5, "6 completed of 12 finished");
    let c = Candidates::generate(&s, &Weights::default(), None);
    let (c1, s1) = pair_of(&s, &c, "W1");
    let (c2, s2) = pair_of(&s, &c, "W2");
    let (c3, s3) = pair_of(&s, &c, "W3");
    let (t1, t2, t3) = (c1.trust.unwrap(), c2.trust.unwrap(), c3.trust.unwrap());
    assert!(t1 < t3 && t3 < t2, "{t1} {t3} {t2}");
    assert!((t3 - h.prior()).abs() < 1e-6, "no history: the prior, {t3}");
    assert!(s1 < s3 && s3 < s2, "the score follows trust: {s1} {s3} {s2}");
    // The same by the formula: W1's site rate (0 + 5*0.5)/(6 + 5); S1 has no record of its own there.
    assert!((t1 - 2.5 / 11.0).abs() < 1e-6, "{t1}");
    assert_eq!([c1.partnership, c2.partnership, c3.partnership], [0.0; 3]);

    // S1 itself worked with W1 for six seasons: its partnership uses the years, and
    // its own early endings pull trust below the site rate.
    let s = trust_season(Some(outcomes("S1", "W1", Outcome::EndedEarly, 6)));
    let c = Candidates::generate(&s, &Weights::default(), None);
    let (c1, c3) = (pair_of(&s, &c, "W1").0, pair_of(&s, &c, "W3").0);
    assert!((c1.partnership - continuity_fit(false, 6)).abs() < 1e-6, "{}", c1.partnership);
    assert_eq!(c3.partnership, continuity_fit(false, 0));
    assert_eq!(s.history().unwrap().prior(), 0.0);
    assert!(c1.trust.unwrap() <= c3.trust.unwrap());
}

#[test]
fn a_season_without_outcomes_scores_exactly_as_the_five_component_formula() {
    let s = trust_season(None);
    let c = Candidates::generate(&s, &Weights::default(), None);
    assert!(c.components.as_ref().unwrap().trust.is_none());
    let w8 = Weights::default();
    for i in 0..c.len() {
        let k = c.components.as_ref().unwrap().get(i);
        let a = k.to_array();
        let expect = 100.0
            * (w8.readiness * a[0]
                + w8.location * a[1]
                + w8.capacity * a[2]
                + w8.partnership * a[3]
                + w8.preference * a[4])
            / (w8.readiness + w8.location + w8.capacity + w8.partnership + w8.preference);
        assert!((c.score[i] - expect).abs() < 1e-4, "{} vs {expect}", c.score[i]);
    }
    // With history, the trust weight joins: the same pair scores differently.
    let t = trust_season(Some(outcomes("S1", "W1", Outcome::EndedEarly, 3)));
    let ct = Candidates::generate(&t, &Weights::default(), None);
    assert_ne!(pair_of(&s, &c, "W1").1, pair_of(&t, &ct, "W1").1);
}

#[test]
fn more_completions_never_lower_trust_and_more_early_endings_never_raise_it() {
    proptest!(|(c in 0u32..50, e in 0u32..50, pc in 0u32..20, pe in 0u32..20, prior in 0.0f64..=1.0, m in 0.5f64..20.0)| {
        let site = Tally { completed: c, ended_early: e, ongoing: 0 };
        let pair = Tally { completed: pc, ended_early: pe, ongoing: 0 };
        let t = trust_fit(site, pair, prior, m);
        prop_assert!((0.0..=1.0).contains(&t));
        let more_c = trust_fit(Tally { completed: c + 1, ..site }, Tally { completed: pc + 1, ..pair }, prior, m);
        let more_e = trust_fit(Tally { ended_early: e + 1, ..site }, Tally { ended_early: pe + 1, ..pair }, prior, m);
        prop_assert!(more_c >= t - 1e-12 && more_e <= t + 1e-12);
        let empty = Tally::default();
        prop_assert!((trust_fit(empty, empty, prior, m) - prior).abs() < 1e-12);
    });
}

#[test]
fn an_outcome_at_an_unknown_school_is_an_error_and_at_a_gone_site_one_warning() {
    let mut rows = outcomes("S9", "W1", Outcome::Completed, 1);
    rows[0].row = 2;
    let sites = vec![site("W1", GENT)];
    let doc = |rows| SeasonDoc {
        programmes: vec![ProgrammeRec { id: "P1".into(), name: "P".into(), rhythm: None, row: 0 }],
        schools: vec![SchoolRec { id: "S1".into(), name: "S".into(), lat: GENT.0, lon: GENT.1, rhythm: None, row: 0 }],
        learners: vec![learner("L1", "P1", GENT, 10.0, 1)],
        workplaces: sites.clone(),
        recognitions: vec![rec("W1", "P1", 1)],
        candidates: None,
        outcomes: Some(rows),
        mentors: None,
    };
    let err = crate::season::from_doc(doc(rows)).unwrap_err().to_string();
    let d = crate::season::from_doc(doc(outcomes("S9", "W1", Outcome::Completed, 1))).unwrap_err();
    let text = d.diagnostics().unwrap().to_string();
    assert!(text.contains("outcomes.csv") && text.contains("unknown school \"S9\""), "{err}: {text}");
    let mut gone = outcomes("S1", "W7", Outcome::Completed, 4);
    gone.extend(outcomes("S1", "W1", Outcome::Completed, 1));
    let loaded = crate::season::from_doc(doc(gone)).unwrap();
    let warnings = loaded.warnings.to_string();
    assert_eq!(loaded.warnings.iter().count(), 1, "{warnings}");
    assert!(warnings.contains("4 row(s) name a workplace that is not in workplaces.csv"), "{warnings}");
    assert_eq!(loaded.season.history().unwrap().site(WorkplaceId::from_index(0)).completed, 1);
}
