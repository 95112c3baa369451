//! A tiny-season builder shared by the optimiser's integration tests: ids
//! `P{n}`, `S{n}`, `L{n}`, `W{n}`, every pair given explicitly as a candidate.

#![allow(dead_code)]

use dualmatch_core::season::doc::*;
use dualmatch_core::season::{from_doc, Season};
use dualmatch_core::LearnerId;
use dualmatch_optimiser::policies::rng::SplitMix64;
use dualmatch_optimiser::{Assignment, PlacementModel};

/// True `pct` percent of the time.
pub fn chance(r: &mut SplitMix64, pct: u64) -> bool {
    r.below(100) < pct
}

/// An explicit preference list over `0..n`: `pct` percent of the time a
/// random order, cut short `cut_pct` percent of those times; otherwise empty.
pub fn random_list(r: &mut SplitMix64, n: usize, pct: u64, cut_pct: u64) -> Vec<usize> {
    if !chance(r, pct) {
        return vec![];
    }
    let mut v: Vec<usize> = r.permutation(n).into_iter().map(|x| x as usize).collect();
    if chance(r, cut_pct) {
        v.truncate(1 + r.below(n as u64) as usize);
    }
    v
}

/// Recognitions (site, programme, seats) of `nw` sites in `np` programmes:
/// one per site at least, each other pair half the time; 0 seats one time in
/// ten, else 1, or 2 `two_pct` percent of the time.
pub fn random_recognitions(r: &mut SplitMix64, nw: usize, np: usize, two_pct: u64) -> Vec<(usize, usize, u32)> {
    let mut recognitions = Vec::new();
    for w in 0..nw {
        for p in 0..np {
            if recognitions.iter().all(|&(rw, _, _)| rw != w) || chance(r, 50) {
                let seats = if chance(r, 10) { 0 } else { 1 + u32::from(chance(r, two_pct)) };
                recognitions.push((w, p, seats));
            }
        }
    }
    recognitions
}

/// Calls `f` with every choice vector `c` with `c[i] < sizes[i]` (brute force).
pub fn for_each_choice(sizes: &[usize], mut f: impl FnMut(&[usize])) {
    if sizes.contains(&0) {
        return;
    }
    let mut choice = vec![0usize; sizes.len()];
    loop {
        f(&choice);
        let mut i = 0;
        loop {
            if i == sizes.len() {
                return;
            }
            choice[i] += 1;
            if choice[i] < sizes[i] {
                break;
            }
            choice[i] = 0;
            i += 1;
        }
    }
}

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
        from_doc(self.doc()).expect("generated season is valid").season
    }

    /// The season's records, before validation.
    pub fn doc(&self) -> SeasonDoc {
        SeasonDoc {
            mentors: None,
            programmes: (0..self.programmes)
                .map(|p| ProgrammeRec { rhythm: None, id: format!("P{p}"), name: format!("P{p}"), row: 0 })
                .collect(),
            schools: (0..self.schools)
                .map(|s| SchoolRec { rhythm: None, id: format!("S{s}"), name: "s".into(), lat: 51.0, lon: 4.0, row: 0 })
                .collect(),
            learners: self
                .learners
                .iter()
                .enumerate()
                .map(|(k, l)| LearnerRec {
                    rhythm: None,
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
            outcomes: None,
        }
    }
}

/// Coordinator constraints drawn for a tiny season, as indices into it.
pub struct TinyConstraints<'a> {
    /// (school, programme, floor, extra): cap = floor + extra, or none when extra is 4.
    pub bounds: &'a [(usize, usize, u32, u32)],
    /// (recognition, seats) reserved for priority group `extra`.
    pub reserve: Option<(usize, u32)>,
    /// Learners to pin to their first usable candidate.
    pub pins: &'a [usize],
    /// Candidate indices (modulo their count) whose pair is forbidden.
    pub forbid: &'a [usize],
    pub min_score: Option<u32>,
}

impl TinyConstraints<'_> {
    /// Resolves the spec against the season `t` built.
    pub fn build(&self, t: &TinySeason, s: &Season) -> dualmatch_optimiser::Constraints {
        use dualmatch_core::ids::PriorityGroupId;
        use dualmatch_core::{GroupId, LearnerId, SchoolId, WorkplaceId};
        use dualmatch_optimiser::constraints::{Reserve, SchoolBound};
        let mut c = dualmatch_optimiser::Constraints::none();
        c.min_score = self.min_score.map(f64::from);
        for &(sc, p, min, extra) in self.bounds {
            let (school, programme) = (SchoolId::from_index(sc), s.programme_by_id(&format!("P{p}")).unwrap());
            if c.school_bounds.iter().any(|b| b.school == school && b.programme == programme) {
                continue;
            }
            let max = if extra == 4 { u32::MAX } else { min + extra };
            c.school_bounds.push(SchoolBound { school, programme, min, max });
        }
        if let (Some((g, seats)), false) = (self.reserve, s.priority_groups().is_empty()) {
            let group = GroupId::from_index(g);
            c.reserves.push(Reserve {
                group,
                priority_group: PriorityGroupId(0),
                seats: seats.min(s.group(group).seats),
            });
        }
        let cands = &t.candidates;
        let site = |r: usize| WorkplaceId::from_index(t.recognitions[r].0);
        for &k in self.forbid {
            if let Some(&(l, r, _)) = cands.get(k % cands.len().max(1)) {
                c.forbidden.push((LearnerId::from_index(l), site(r)));
            }
        }
        c.forbidden.sort_unstable();
        c.forbidden.dedup();
        for &l in self.pins {
            // Pin the learner to its first usable candidate, when it has one.
            // (passed screening, a seat and capacity at the site, score at
            // least min_score, not forbidden), so the pin never makes the
            // model fail to build.
            let usable = |&&(cl, r, sc): &&(usize, usize, u32)| {
                let (w, _, seats) = t.recognitions[r];
                cl == l
                    && t.learners[l].passed
                    && seats > 0
                    && t.workplaces[w].0 != Some(0)
                    && self.min_score.is_none_or(|m| sc >= m)
                    && !c.is_forbidden(LearnerId::from_index(l), site(r))
            };
            if let Some(&(_, r, _)) = cands.iter().find(usable) {
                let pair = (LearnerId::from_index(l), site(r));
                if !c.pins.iter().any(|(x, _)| *x == pair.0) {
                    c.pins.push(pair);
                }
            }
        }
        c
    }
}

/// A matching: per learner, the model arc held.
pub type Matching = Vec<Option<usize>>;

/// The model arcs of an assignment (every placement on a usable arc).
pub fn to_arcs(m: &PlacementModel, a: &Assignment) -> Matching {
    (0..m.learner_count())
        .map(|li| {
            let l = LearnerId::from_index(li);
            a.placement[li].map(|c| m.arcs_of(l).find(|&x| m.arc_candidate(x) == c as usize).expect("usable arc"))
        })
        .collect()
}

/// The assignment of a matching.
pub fn to_assignment(m: &PlacementModel, mu: &Matching) -> Assignment {
    Assignment { placement: mu.iter().map(|a| a.map(|a| m.arc_candidate(a) as u32)).collect() }
}

/// Whether the site of arc `x` (of learner `me`) chooses `me` from its
/// learners in `mu` plus `me`: pinned learners first, then by `rank` (lower
/// first; `me` after everyone ranked equally), each taken while unreserved
/// seats, seats and capacity allow.
pub fn site_takes(m: &PlacementModel, mu: &Matching, me: LearnerId, x: usize, rank: &dyn Fn(usize) -> i64) -> bool {
    let s = m.season;
    let site_of = |a: usize| s.group(m.arc_group(a)).workplace;
    let w = site_of(x);
    let mut set: Vec<(bool, i64, bool, usize, usize)> = Vec::new();
    for (li, a) in mu.iter().enumerate() {
        let Some(a) = *a else { continue };
        if li != me.index() && site_of(a) == w {
            let pinned = m.pinned(LearnerId::from_index(li)) == Some(a);
            set.push((!pinned, rank(a), false, a, li));
        }
    }
    set.push((true, rank(x), true, x, me.index()));
    set.sort_unstable();
    let mut group = vec![0u32; s.groups().len()];
    let mut open = vec![0u32; s.groups().len()];
    let mut site = 0u32;
    for (_, _, _, a, li) in set {
        let g = m.arc_group(a);
        let reserve = m.constraints.reserves.iter().find(|r| r.group == g);
        let seats = s.group(g).seats;
        let lane = reserve
            .filter(|r| s.learners()[li].priority_group != Some(r.priority_group))
            .map(|r| seats - r.seats.min(seats));
        let fits = group[g.index()] < seats
            && lane.is_none_or(|lim| open[g.index()] < lim)
            && s.workplace(w).capacity.is_none_or(|c| site < c);
        if fits {
            group[g.index()] += 1;
            open[g.index()] += u32::from(lane.is_some());
            site += 1;
            if a == x {
                return true;
            }
        }
    }
    false
}
