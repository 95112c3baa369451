//! Metrics of an assignment: placements, scores, rank profile, commute,
//! fairness across schools, stability (blocking pairs, justified envy) and
//! unfilled seats. Everything is a deterministic function of the model and the
//! assignment (no wall time, no seed: ranks are the weak ranks of the stable
//! reading, see [`crate::policies::prefs`]). Definitions: `docs/policies.md`.

use dualmatch_core::LearnerId;
use serde::{Deserialize, Serialize};

use crate::model::{Assignment, ModelArc, PlacementModel};
use crate::policies::eligible_pairs;
use crate::policies::prefs::{learner_weak_of, Prefs, Ties, UNRANKED};

/// How many blocking pairs are listed.
pub const BLOCKING_SAMPLE: usize = 100;

/// Placement rate of one school or programme: (id, learners, placed, rate).
/// The rate is `placed / learners`, 0 when there are no learners.
pub type RateRow = (String, usize, usize, f64);

/// Where placed learners are in their lists (weak ranks, 1 = first choice).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RankProfile {
    /// Placed learners whose placement is on their (acceptable) list.
    pub ranked: usize,
    /// Placed learners whose placement is not on their list.
    pub off_list: usize,
    /// Placed at a first choice (weak rank 1: no strictly better entry).
    pub first_choice: usize,
    /// Placed within the top 3 (weak rank at most 3).
    pub top3: usize,
    /// `first_choice / placed` (0 when nobody is placed).
    pub first_choice_share: f64,
    /// `top3 / placed`.
    pub top3_share: f64,
    /// Mean weak rank (1-based) over the ranked learners (0 when none).
    pub mean_rank: f64,
    /// Ranked learners at each rank: `profile[k]` at rank `k + 1`, up to the
    /// worst rank held (empty when nobody is ranked).
    pub profile: Vec<usize>,
    /// The sum of the ranked learners' ranks.
    pub rank_cost: u64,
}

/// Commute of placed learners, great-circle km.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Commute {
    /// Mean.
    pub mean: f64,
    /// 90th percentile (nearest rank).
    pub p90: f64,
    /// Maximum.
    pub max: f64,
}

/// Fairness across schools.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fairness {
    /// Lowest school placement rate (schools with learners).
    pub min_school_rate: f64,
    /// Highest school placement rate.
    pub max_school_rate: f64,
    /// Jain's index `(Σx)² / (n·Σx²)` over school rates (1 = all equal,
    /// also when all are 0).
    pub jain_index: f64,
    /// Lowest placement rate over (school, programme) pairs, counting only
    /// learners with at least one usable arc: what `fair-share` maximises
    /// (1 when there is no such learner).
    pub min_school_programme_rate: f64,
}

/// All metrics of an assignment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Learners in the season.
    pub learners: usize,
    /// Learners placed.
    pub placed: usize,
    /// Learners not placed.
    pub unplaced: usize,
    /// Per school, in season order.
    pub by_school: Vec<RateRow>,
    /// Per programme, in season order.
    pub by_programme: Vec<RateRow>,
    /// Sum of the placed pairs' scores.
    pub total_score: f64,
    /// Mean score per placed learner (0 when nobody is placed).
    pub mean_score: f64,
    /// Rank profile.
    pub rank: RankProfile,
    /// Commute.
    pub commute_km: Commute,
    /// Fairness across schools.
    pub fairness: Fairness,
    /// Blocking pairs with respect to the stable reading (weak ranks).
    pub blocking_pairs: usize,
    /// The first [`BLOCKING_SAMPLE`] blocking pairs, (learner id, workplace id),
    /// in learner order then list order.
    pub blocking_sample: Vec<(String, String)>,
    /// Ordered pairs (l, l') where l has justified envy of l'.
    pub justified_envy: usize,
    /// Σ over recognitions of seats − placed.
    pub unfilled_seats: u64,
    /// Σ over sites of min(capacity, seats) − placed: places that could still
    /// be used.
    pub unfilled_places: u64,
    /// Per school, in season order: distinct sites and the share of
    /// placements at existing partners ([`crate::short_lines`]).
    #[serde(default)]
    pub sites_by_school: Vec<crate::short_lines::SchoolSites>,
}

/// One figure of a comparison row ([`FIGURES`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Figure {
    /// A whole number (learners, pairs, seats).
    Count(u64),
    /// A rate, share, score or distance.
    Real(f64),
}

/// How a figure is read from the metrics.
pub type FigureOf = fn(&Metrics) -> Figure;

/// The figures `compare` reports for a run, by name, in the column order of
/// comparison.csv (after season, policy and seed): the one list the command
/// line and the Python package's `compare` frame share.
pub const FIGURES: [(&str, FigureOf); 21] = [
    ("learners", |m| Figure::Count(m.learners as u64)),
    ("placed", |m| Figure::Count(m.placed as u64)),
    ("unplaced", |m| Figure::Count(m.unplaced as u64)),
    ("placement_rate", |m| Figure::Real(rate(m.placed, m.learners))),
    ("total_score", |m| Figure::Real(m.total_score)),
    ("mean_score", |m| Figure::Real(m.mean_score)),
    ("first_choice_share", |m| Figure::Real(m.rank.first_choice_share)),
    ("top3_share", |m| Figure::Real(m.rank.top3_share)),
    ("mean_rank", |m| Figure::Real(m.rank.mean_rank)),
    ("commute_mean_km", |m| Figure::Real(m.commute_km.mean)),
    ("commute_p90_km", |m| Figure::Real(m.commute_km.p90)),
    ("commute_max_km", |m| Figure::Real(m.commute_km.max)),
    ("min_school_rate", |m| Figure::Real(m.fairness.min_school_rate)),
    ("max_school_rate", |m| Figure::Real(m.fairness.max_school_rate)),
    ("jain_index", |m| Figure::Real(m.fairness.jain_index)),
    ("min_school_programme_rate", |m| Figure::Real(m.fairness.min_school_programme_rate)),
    ("blocking_pairs", |m| Figure::Count(m.blocking_pairs as u64)),
    ("justified_envy", |m| Figure::Count(m.justified_envy as u64)),
    ("unfilled_seats", |m| Figure::Count(m.unfilled_seats)),
    ("mean_sites_per_school", |m| Figure::Real(crate::short_lines::mean_sites(&m.sites_by_school))),
    ("partner_share", |m| Figure::Real(crate::short_lines::partner_share(&m.sites_by_school))),
];

fn rate(placed: usize, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        placed as f64 / n as f64
    }
}

/// Evaluates `a` on `m`. Placements on pairs that are not usable arcs are
/// counted as placed but ignored by the rank, stability and envy metrics.
pub fn evaluate(m: &PlacementModel, a: &Assignment) -> Metrics {
    let n = m.learner_count();
    let p = Prefs::new(m, Ties::ById);
    let arc = arcs(m, a);
    let placed = a.placed();
    let (by_school, by_programme) = rates(m, a);
    let fairness = fairness(m, &by_school, &arc);
    let total_score = a.total_score(m.candidates);
    let commute_km = commute(m, a);
    let weak: Vec<u32> = arc.iter().map(|x| x.map_or(UNRANKED, |x| p.learner_weak(x))).collect();
    let rank = profile_of(&weak, placed);
    let occ = Occupancy::new(m, &p, &arc);
    let stability = stability(m, &p, &arc, &occ, BLOCKING_SAMPLE);
    let (unfilled_seats, unfilled_places) = unfilled(m, &occ);
    Metrics {
        learners: n,
        placed,
        unplaced: n - placed,
        by_school,
        by_programme,
        total_score,
        mean_score: if placed == 0 { 0.0 } else { total_score / placed as f64 },
        rank,
        commute_km,
        fairness,
        blocking_pairs: stability.blocking,
        blocking_sample: stability.blocking_sample,
        justified_envy: stability.envy,
        unfilled_seats,
        unfilled_places,
        sites_by_school: crate::short_lines::by_school(m.season, m.candidates, m.constraints, a),
    }
}

/// Placement rates per school and per programme, in season order.
fn rates(m: &PlacementModel, a: &Assignment) -> (Vec<RateRow>, Vec<RateRow>) {
    let s = m.season;
    let mut school = vec![(0usize, 0usize); s.schools().len()];
    let mut programme = vec![(0usize, 0usize); s.programmes().len()];
    for (li, l) in s.learners().iter().enumerate() {
        let k = usize::from(a.candidate(LearnerId::from_index(li)).is_some());
        school[l.school.index()].0 += 1;
        school[l.school.index()].1 += k;
        programme[l.programme.index()].0 += 1;
        programme[l.programme.index()].1 += k;
    }
    let by_school: Vec<RateRow> =
        s.schools().iter().zip(&school).map(|(sc, &(n, k))| (sc.id.clone(), n, k, rate(k, n))).collect();
    let by_programme: Vec<RateRow> =
        s.programmes().iter().zip(&programme).map(|(pr, &(n, k))| (pr.id.clone(), n, k, rate(k, n))).collect();
    (by_school, by_programme)
}

/// Fairness across schools, from the school rates and the placed arcs.
fn fairness(m: &PlacementModel, by_school: &[RateRow], arc: &[Option<usize>]) -> Fairness {
    let s = m.season;
    let rates: Vec<f64> = by_school.iter().filter(|r| r.1 > 0).map(|r| r.3).collect();
    let sum: f64 = rates.iter().sum();
    let sq: f64 = rates.iter().map(|x| x * x).sum();
    let mut placed_pair: std::collections::HashMap<(dualmatch_core::SchoolId, dualmatch_core::ProgrammeId), usize> =
        std::collections::HashMap::new();
    for (li, l) in s.learners().iter().enumerate() {
        if arc[li].is_some() {
            *placed_pair.entry((l.school, l.programme)).or_default() += 1;
        }
    }
    let mut min_pair = 1.0f64;
    for (key, eligible) in eligible_pairs(m) {
        let k = placed_pair.get(&key).copied().unwrap_or(0);
        min_pair = min_pair.min(k as f64 / eligible as f64);
    }
    Fairness {
        min_school_rate: rates.iter().copied().fold(1.0, f64::min),
        max_school_rate: rates.iter().copied().fold(0.0, f64::max),
        jain_index: if sq > 0.0 { sum * sum / (rates.len() as f64 * sq) } else { 1.0 },
        min_school_programme_rate: min_pair,
    }
}

/// The commute of the placed learners.
fn commute(m: &PlacementModel, a: &Assignment) -> Commute {
    let c = m.candidates;
    let mut km: Vec<f64> = a.placements().map(|(_, x)| f64::from(c.distance_km_of(x))).collect();
    km.sort_by(f64::total_cmp);
    Commute {
        mean: if km.is_empty() { 0.0 } else { km.iter().sum::<f64>() / km.len() as f64 },
        p90: if km.is_empty() { 0.0 } else { km[(km.len() * 9).div_ceil(10).max(1) - 1] },
        max: km.last().copied().unwrap_or(0.0),
    }
}

/// Where the placed learners of `a` are in their lists (without the other
/// metrics: cheap enough for every result's `summary.json`).
pub fn rank_profile(m: &PlacementModel, a: &Assignment) -> RankProfile {
    profile_of(&placed_weak(m, a), a.placed())
}

/// Per learner: the weak rank of the placement in the learner's list, or
/// [`UNRANKED`] when unplaced or off the list.
fn placed_weak(m: &PlacementModel, a: &Assignment) -> Vec<u32> {
    learner_weak_of(m, &arcs(m, a))
}

/// A placement off the learner's list in [`learner_ranks`].
pub const OFF_LIST: u32 = u32::MAX;

/// Per learner: 0 when unplaced, the rank (from 1) of the placement in the
/// learner's list, or [`OFF_LIST`] for a placement off the list.
pub fn learner_ranks(m: &PlacementModel, a: &Assignment) -> Vec<u32> {
    let weak = placed_weak(m, a);
    a.by_learner()
        .zip(weak)
        .map(|((_, c), r)| match (c, r) {
            (None, _) => 0,
            (Some(_), UNRANKED) => OFF_LIST,
            (Some(_), r) => r + 1,
        })
        .collect()
}

/// Where the placed learners are in their lists.
fn profile_of(weak: &[u32], placed: usize) -> RankProfile {
    let (mut ranked, mut first, mut top3, mut rank_sum) = (0usize, 0usize, 0usize, 0u64);
    let mut profile: Vec<usize> = Vec::new();
    for &r in weak {
        if r != UNRANKED {
            ranked += 1;
            first += usize::from(r == 0);
            top3 += usize::from(r < 3);
            rank_sum += u64::from(r) + 1;
            if profile.len() <= r as usize {
                profile.resize(r as usize + 1, 0);
            }
            profile[r as usize] += 1;
        }
    }
    RankProfile {
        ranked,
        off_list: placed - ranked,
        first_choice: first,
        top3,
        first_choice_share: rate(first, placed),
        top3_share: rate(top3, placed),
        mean_rank: if ranked == 0 { 0.0 } else { rank_sum as f64 / ranked as f64 },
        profile,
        rank_cost: rank_sum,
    }
}

/// Occupancy and the worst (weak) rank held in each scope.
struct Occupancy {
    /// Per group: placed learners, and those on its open seats.
    group: Vec<u32>,
    open: Vec<u32>,
    /// Per site: placed learners.
    site: Vec<u32>,
    /// The worst weak rank (at the site) of a non-pinned learner held per
    /// group, per group's open seats and per site.
    worst_group: Vec<Option<u32>>,
    worst_open: Vec<Option<u32>>,
    worst_site: Vec<Option<u32>>,
    /// Per site: the arcs of its non-pinned learners.
    at_site: Vec<Vec<usize>>,
}

impl Occupancy {
    fn new(m: &PlacementModel, p: &Prefs, arc: &[Option<usize>]) -> Self {
        let s = m.season;
        let (ng, nw) = (s.groups().len(), s.workplaces().len());
        let mut o = Occupancy {
            group: vec![0u32; ng],
            open: vec![0u32; ng],
            site: vec![0u32; nw],
            worst_group: vec![None::<u32>; ng],
            worst_open: vec![None::<u32>; ng],
            worst_site: vec![None::<u32>; nw],
            at_site: vec![Vec::new(); nw],
        };
        for (li, x) in arc.iter().enumerate() {
            let Some(x) = *x else { continue };
            let l = LearnerId::from_index(li);
            let g = m.arc_group(x);
            let w = s.group(g).workplace;
            o.group[g.index()] += 1;
            o.site[w.index()] += 1;
            let op = m.takes_open_seat(l, g);
            o.open[g.index()] += u32::from(op);
            if m.pinned(l).is_none() {
                let r = p.site_weak(x);
                let up = |v: &mut Option<u32>| *v = Some(v.map_or(r, |o| o.max(r)));
                up(&mut o.worst_group[g.index()]);
                up(&mut o.worst_site[w.index()]);
                if op {
                    up(&mut o.worst_open[g.index()]);
                }
                o.at_site[w.index()].push(x);
            }
        }
        o
    }
}

/// Blocking pairs (with a sample) and justified envy.
struct Stability {
    blocking: usize,
    blocking_sample: Vec<(String, String)>,
    envy: usize,
}

/// Each learner's arc in the model, if placed on a usable arc.
fn arcs(m: &PlacementModel, a: &Assignment) -> Vec<Option<usize>> {
    a.by_learner().map(|(l, c)| c.and_then(|c| m.arc_to(l, c)).map(ModelArc::index)).collect()
}

/// Every blocking pair of `a` (learner id, workplace id) with respect to
/// the stable reading (weak ranks), in learner order then list order: the
/// pairs [`Metrics::blocking_pairs`] counts.
pub fn blocking_pairs(m: &PlacementModel, a: &Assignment) -> Vec<(String, String)> {
    let p = Prefs::new(m, Ties::ById);
    let arc = arcs(m, a);
    let occ = Occupancy::new(m, &p, &arc);
    stability(m, &p, &arc, &occ, usize::MAX).blocking_sample
}

/// Blocking pairs with respect to the stable reading (weak ranks), the
/// first `sample` of them listed, and ordered pairs with justified envy.
fn stability(m: &PlacementModel, p: &Prefs, arc: &[Option<usize>], occ: &Occupancy, sample: usize) -> Stability {
    let s = m.season;
    let open_limit = |g: dualmatch_core::GroupId| m.open_seats(g).unwrap_or(s.group(g).seats);
    let Occupancy { group, open, site, worst_group, worst_open, worst_site, at_site } = occ;
    let mut blocking = 0usize;
    let mut blocking_sample = Vec::new();
    let mut envy = 0usize;
    for li in 0..m.learner_count() {
        let l = LearnerId::from_index(li);
        if m.pinned(l).is_some() {
            continue;
        }
        let mine = p.held_weak(l, arc[li]);
        for &x in p.list(l) {
            let x = x as usize;
            if p.learner_weak(x) >= mine || arc[li] == Some(x) {
                continue;
            }
            let g = m.arc_group(x);
            let w = s.group(g).workplace;
            let r = p.site_weak(x);
            let op = m.takes_open_seat(l, g);
            let worse_than = |v: Option<u32>| v.is_some_and(|v| v > r);
            let blocks = if op && open[g.index()] >= open_limit(g) {
                worse_than(worst_open[g.index()])
            } else if group[g.index()] >= s.group(g).seats {
                worse_than(worst_group[g.index()])
            } else if s.workplace(w).capacity.is_some_and(|cap| site[w.index()] >= cap) {
                worse_than(worst_site[w.index()])
            } else {
                true
            };
            if blocks {
                blocking += 1;
                if blocking_sample.len() < sample {
                    blocking_sample.push((s.learner(l).id.clone(), s.workplace(w).id.clone()));
                }
            }
            for &y in &at_site[w.index()] {
                let other = p.learner(y);
                if other == l || p.site_weak(y) <= r {
                    continue;
                }
                let same = m.arc_group(y) == g;
                let seats_ok = group[g.index()] - u32::from(same) < s.group(g).seats;
                let open_ok = !op || open[g.index()] - u32::from(same && m.takes_open_seat(other, g)) < open_limit(g);
                envy += usize::from(seats_ok && open_ok);
            }
        }
    }
    Stability { blocking, blocking_sample, envy }
}

/// Σ over recognitions of seats − placed, and Σ over sites of
/// min(capacity, seats) − placed.
fn unfilled(m: &PlacementModel, occ: &Occupancy) -> (u64, u64) {
    let s = m.season;
    let (group, site) = (occ.group.as_slice(), occ.site.as_slice());
    let nw = s.workplaces().len();
    let unfilled_seats: u64 = s.groups().iter().zip(group).map(|(g, &k)| u64::from(g.seats.saturating_sub(k))).sum();
    let unfilled_places: u64 = (0..nw)
        .map(|wi| {
            let w = dualmatch_core::WorkplaceId::from_index(wi);
            let seats: u64 = s.groups_of_workplace(w).iter().map(|g| u64::from(s.group(*g).seats)).sum();
            let usable = s.workplace(w).capacity.map_or(seats, |cap| seats.min(u64::from(cap)));
            usable.saturating_sub(u64::from(site[wi]))
        })
        .sum();
    (unfilled_seats, unfilled_places)
}
