//! A tiny-season builder shared by the optimiser's integration tests: ids
//! `P{n}`, `S{n}`, `L{n}`, `W{n}`, every pair given explicitly as a candidate.

#![allow(dead_code)]

use dualmatch_core::season::doc::*;
use dualmatch_core::season::{from_doc, Season};

/// One learner of a tiny season.
#[derive(Clone, Debug)]
pub struct TinyLearner {
    pub school: usize,
    pub programme: usize,
    pub passed: bool,
    /// In priority group `extra`.
    pub priority: bool,
    pub readiness: u8,
    /// Explicit list of sites, best first.
    pub prefs: Vec<usize>,
}

/// A tiny season: learners, sites (capacity, explicit list of learners),
/// recognitions (site, programme, seats), candidates (learner, recognition, score).
#[derive(Clone, Debug)]
pub struct TinySeason {
    pub programmes: usize,
    pub schools: usize,
    pub learners: Vec<TinyLearner>,
    pub workplaces: Vec<(Option<u32>, Vec<usize>)>,
    pub recognitions: Vec<(usize, usize, u32)>,
    pub candidates: Vec<(usize, usize, u32)>,
    /// Learner `k` lives at longitude `4.0 + k × lon_step` (everyone else at 51.0, 4.0).
    pub lon_step: f64,
    pub max_commute_km: f64,
}

impl TinySeason {
    /// Validates and builds the season (panics if the generator made an invalid one).
    pub fn build(&self) -> Season {
        let doc = SeasonDoc {
            programmes: (0..self.programmes)
                .map(|p| ProgrammeRec { id: format!("P{p}"), name: format!("P{p}"), row: 0 })
                .collect(),
            schools: (0..self.schools)
                .map(|s| SchoolRec { id: format!("S{s}"), name: "s".into(), lat: 51.0, lon: 4.0, row: 0 })
                .collect(),
            learners: self
                .learners
                .iter()
                .enumerate()
                .map(|(k, l)| LearnerRec {
                    id: format!("L{k}"),
                    school: format!("S{}", l.school),
                    programme: format!("P{}", l.programme),
                    lat: 51.0,
                    lon: 4.0 + self.lon_step * k as f64,
                    max_commute_km: self.max_commute_km,
                    readiness: l.readiness,
                    screening: if l.passed { Screening::Passed } else { Screening::Pending },
                    attributes: vec![],
                    preferences: l.prefs.iter().map(|w| format!("W{w}")).collect(),
                    priority_group: l.priority.then(|| "extra".to_string()),
                    row: 0,
                })
                .collect(),
            workplaces: self
                .workplaces
                .iter()
                .enumerate()
                .map(|(k, (cap, prefs))| WorkplaceRec {
                    id: format!("W{k}"),
                    company: "c".into(),
                    lat: 51.0,
                    lon: 4.0,
                    capacity: *cap,
                    min_readiness: 1,
                    requires: vec![],
                    partner_schools: vec![],
                    preferences: prefs.iter().map(|l| format!("L{l}")).collect(),
                    row: 0,
                })
                .collect(),
            recognitions: self
                .recognitions
                .iter()
                .map(|&(w, p, s)| RecognitionRec {
                    workplace: format!("W{w}"),
                    programme: format!("P{p}"),
                    seats: s,
                    row: 0,
                })
                .collect(),
            candidates: Some(
                self.candidates
                    .iter()
                    .map(|&(l, r, s)| {
                        let (w, p, _) = self.recognitions[r];
                        CandidateRec {
                            learner: format!("L{l}"),
                            workplace: format!("W{w}"),
                            programme: format!("P{p}"),
                            score: f64::from(s),
                            row: 0,
                        }
                    })
                    .collect(),
            ),
        };
        from_doc(doc).expect("generated season is valid").season
    }
}
