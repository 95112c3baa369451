//! Candidate generation: the eligible, scored pairs of every learner, in a
//! compact column layout (CSR by learner).

use std::ops::Range;

use rayon::prelude::*;

use super::components::*;
use super::gates::{holds_all, learner_site_gates, screening_gate, site_gate, within_commute, Rejection};
use super::index::{site_capacity, tag_mask, Here, SiteIndex, SiteRec};
use super::weights::Weights;
use crate::csr::Csr;
use crate::geo::haversine_km;
use crate::ids::{CandidateId, GroupId, LearnerId, WorkplaceId};
use crate::season::{Learner, Screening, Season};

/// The scored candidate pairs of every learner, in compressed sparse rows by
/// learner: the candidates of learner `l` are at [`Candidates::of`]`(l)` in
/// every column. Within a learner they are sorted by score, best first, then
/// by group id; learners are in id order.
///
/// Per pair this takes 16 bytes (group, score, distance) plus 20 bytes of
/// component columns when present (24 with the trust column of a season
/// with an `outcomes.csv`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Candidates {
    /// Row starts: the candidates of learner `l` are `offsets[l]..offsets[l + 1]`;
    /// `offsets.len()` is the number of learners + 1.
    pub offsets: Vec<u32>,
    /// The recognition (site, programme) of each pair.
    pub group: Vec<GroupId>,
    /// The score of each pair, 0 to 100 (see [`Weights`]).
    pub score: Vec<f64>,
    /// The great-circle distance of each pair, km.
    pub distance_km: Vec<f32>,
    /// The component values behind each score; `None` for scores the user
    /// brought in `candidates.csv`.
    pub components: Option<ComponentColumns>,
}

/// The component values of each pair (see [`Components`]), one column per
/// component, rounded to `f32` to keep national seasons small. The score was
/// computed from the unrounded values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ComponentColumns {
    /// Readiness fit, see [`readiness_fit`].
    pub readiness: Vec<f32>,
    /// Location, see [`location_from_km`].
    pub location: Vec<f32>,
    /// Capacity fit, see [`capacity_fit`].
    pub capacity: Vec<f32>,
    /// Partnership, see [`partnership_fit`].
    pub partnership: Vec<f32>,
    /// Preference, see [`preference_fit`].
    pub preference: Vec<f32>,
    /// Trust, see [`super::trust_fit`]; `None` when the season has no `outcomes.csv`.
    pub trust: Option<Vec<f32>>,
}

impl ComponentColumns {
    /// The components of pair `i` (widened to `f64`).
    pub fn get(&self, i: usize) -> Components {
        Components {
            readiness: f64::from(self.readiness[i]),
            location: f64::from(self.location[i]),
            capacity: f64::from(self.capacity[i]),
            partnership: f64::from(self.partnership[i]),
            preference: f64::from(self.preference[i]),
            trust: self.trust.as_ref().map(|t| f64::from(t[i])),
        }
    }
}

/// Learners per parallel work item.
const CHUNK: usize = 256;

impl Candidates {
    /// Generates the candidates of every learner: for each learner whose
    /// screening passed, the placeable sites of their programme within their
    /// commute (a radius query on the [`SiteIndex`], then the exact gates of
    /// [`super::check_pair`]), each scored with `weights` (location from
    /// `travel` where it has the pair).
    ///
    /// Runs in parallel over learners, in two passes (the eligible sites and
    /// their distances, then the scores into columns allocated once at their
    /// final size, so memory peaks at the output's size plus 16 bytes per
    /// pair); the result does not depend on the number of threads.
    ///
    /// # Panics
    /// When there are more than `u32::MAX` candidates.
    pub fn generate(season: &Season, weights: &Weights, travel: Option<&TravelTimes>) -> Candidates {
        Self::generate_top(season, weights, travel, usize::MAX)
    }

    /// Like [`Candidates::generate`], but keeps at most `max_per_learner`
    /// candidates per learner: the best by score (ties by group id). For
    /// dense seasons where learners reach hundreds of sites and the optimiser
    /// needs only the best few dozen.
    ///
    /// # Panics
    /// When there are more than `u32::MAX` candidates.
    pub fn generate_top(
        season: &Season,
        weights: &Weights,
        travel: Option<&TravelTimes>,
        max_per_learner: usize,
    ) -> Candidates {
        Self::generate_in(season, &SiteIndex::new(season), weights, travel, max_per_learner)
    }

    /// [`Candidates::generate_top`] with the season's index already built.
    pub(crate) fn generate_in(
        season: &Season,
        index: &SiteIndex,
        weights: &Weights,
        travel: Option<&TravelTimes>,
        max_per_learner: usize,
    ) -> Candidates {
        let scorer = Scorer::new(season, weights, travel);
        let n = season.learners().len();

        // Pass 1: each learner's eligible sites with their distances (the
        // radius query, the gates and the distance, once per pair), kept per
        // chunk of learners for pass 2.
        let eligible: Vec<Eligible<'_>> = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let learners = c * CHUNK..((c + 1) * CHUNK).min(n);
                let mut e = Eligible { sites: Vec::new(), ends: Vec::with_capacity(learners.len()) };
                for l in learners {
                    scorer.for_each_eligible(index, LearnerId::from_index(l), |r, d| e.sites.push((r, d)));
                    e.ends.push(e.sites.len());
                }
                e
            })
            .collect();
        let counts: Vec<u32> = eligible
            .iter()
            .flat_map(|e| {
                e.ends.iter().scan(0usize, |at, &end| {
                    let k = end - *at;
                    *at = end;
                    Some(k)
                })
            })
            .map(|k| u32::try_from(k.min(max_per_learner)).expect("more than u32::MAX candidates"))
            .collect();
        let mut offsets = Vec::with_capacity(n + 1);
        let mut at = 0u32;
        offsets.push(0);
        for k in &counts {
            at = at.checked_add(*k).expect("more than u32::MAX candidates");
            offsets.push(at);
        }
        let total = at as usize;

        // Pass 2: score into the final columns, each work item into its own slices.
        let mut group = par_filled(total, GroupId(0));
        let mut score = par_filled(total, 0.0f64);
        let mut distance_km = par_filled(total, 0.0f32);
        // The sixth column, trust, only for a season with an outcomes.csv.
        let has_trust = season.history().is_some();
        let col_len = |k: usize| if k < 5 || has_trust { total } else { 0 };
        let mut comps: [Vec<f32>; 6] = std::array::from_fn(|k| par_filled(col_len(k), 0.0f32));
        let mut parts = Vec::with_capacity(n.div_ceil(CHUNK));
        {
            let mut g_rest = group.as_mut_slice();
            let mut s_rest = score.as_mut_slice();
            let mut d_rest = distance_km.as_mut_slice();
            let mut c_rest: [&mut [f32]; 6] = {
                let [a, b, c, d, e, f] = &mut comps;
                [a.as_mut_slice(), b, c, d, e, f]
            };
            for start in (0..n).step_by(CHUNK) {
                let end = (start + CHUNK).min(n);
                let len = (offsets[end] - offsets[start]) as usize;
                let (g, g2) = std::mem::take(&mut g_rest).split_at_mut(len);
                let (s2, s3) = std::mem::take(&mut s_rest).split_at_mut(len);
                let (d, d2) = std::mem::take(&mut d_rest).split_at_mut(len);
                g_rest = g2;
                s_rest = s3;
                d_rest = d2;
                let cs: [&mut [f32]; 6] = std::array::from_fn(|k| {
                    let (head, tail) =
                        std::mem::take(&mut c_rest[k]).split_at_mut(if col_len(k) == 0 { 0 } else { len });
                    c_rest[k] = tail;
                    head
                });
                parts.push(Part { learners: start..end, group: g, score: s2, distance: d, comps: cs });
            }
        }
        parts.into_par_iter().zip(eligible).for_each(|(mut part, e)| {
            let mut rows = Vec::new();
            let mut at = 0usize;
            let mut from = 0usize;
            for (l, &end) in part.learners.clone().zip(&e.ends) {
                let lid = LearnerId::from_index(l);
                scorer.scored(index, lid, &e.sites[from..end], &mut rows);
                from = end;
                rows.truncate(max_per_learner);
                for r in &rows {
                    part.group[at] = r.group;
                    part.score[at] = r.score;
                    part.distance[at] = r.distance_km as f32;
                    for (col, v) in part.comps.iter_mut().zip(r.components.to_array()) {
                        col[at] = v as f32;
                    }
                    if let Some(t) = r.components.trust {
                        part.comps[5][at] = t as f32;
                    }
                    at += 1;
                }
            }
        });
        let [readiness, location, capacity, partnership, preference, trust] = comps;
        let trust = has_trust.then_some(trust);
        Candidates {
            offsets,
            group,
            score,
            distance_km,
            components: Some(ComponentColumns { readiness, location, capacity, partnership, preference, trust }),
        }
    }

    /// The candidates a user brought in the season's `candidates.csv`, with
    /// their scores as given, the distance computed from the coordinates and
    /// no components; `None` when the season has no candidates table.
    ///
    /// Pairs that fail a gate (see [`super::check_pair`]: screening, seats,
    /// capacity, tags, readiness, commute) are dropped, so the hard rules hold
    /// whatever the file says; [`Candidates::rejected_season_candidates`]
    /// lists them. Ordering as in [`Candidates::generate`].
    pub fn from_season_candidates(season: &Season) -> Option<Candidates> {
        let given = season.candidates()?;
        // The gates, in parallel (file order kept).
        let kept: Vec<(LearnerId, f64, GroupId, f32)> = given
            .par_iter()
            .filter_map(|c| {
                let d = user_pair_gates(season, c.learner, c.group).ok()?;
                Some((c.learner, c.score, c.group, d as f32))
            })
            .collect();
        // Each learner's pairs together (a counting sort by learner), then
        // each learner's best first, in parallel. A season has each
        // (learner, group) pair once, so this order is total: the same
        // as sorting the whole list by (learner, score descending, group).
        let pairs = kept.iter().map(|r| (r.0.index(), (r.1, r.2, r.3)));
        let mut lists = Csr::from_pairs(season.learners().len(), pairs);
        drop(kept);
        lists.par_rows_mut(|list| list.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))));
        let rows = lists.values();
        Some(Candidates {
            offsets: lists.offsets().to_vec(),
            group: rows.par_iter().map(|r| r.1).collect(),
            score: rows.par_iter().map(|r| r.0).collect(),
            distance_km: rows.par_iter().map(|r| r.2).collect(),
            components: None,
        })
    }

    /// The pairs of the season's `candidates.csv` that
    /// [`Candidates::from_season_candidates`] drops, with every gate each
    /// fails, in file order (for warnings). Empty without a candidates table.
    pub fn rejected_season_candidates(season: &Season) -> Vec<(LearnerId, GroupId, Vec<Rejection>)> {
        season
            .candidates()
            .unwrap_or_default()
            .par_iter()
            .filter_map(|c| user_pair_gates(season, c.learner, c.group).err().map(|r| (c.learner, c.group, r)))
            .collect()
    }

    /// The index range of learner `l`'s candidates in the columns.
    pub fn of(&self, l: LearnerId) -> Range<usize> {
        self.offsets[l.index()] as usize..self.offsets[l.index() + 1] as usize
    }

    /// The candidates of learner `l`, best first (the positions of
    /// [`Candidates::of`] as ids).
    pub fn ids_of(&self, l: LearnerId) -> impl DoubleEndedIterator<Item = CandidateId> + ExactSizeIterator + Clone {
        self.of(l).map(|i| CandidateId(i as u32))
    }

    /// The recognition of candidate `c`.
    #[inline]
    pub fn group_of(&self, c: CandidateId) -> GroupId {
        self.group[c.index()]
    }

    /// The score of candidate `c`.
    #[inline]
    pub fn score_of(&self, c: CandidateId) -> f64 {
        self.score[c.index()]
    }

    /// The great-circle distance of candidate `c`, km.
    #[inline]
    pub fn distance_km_of(&self, c: CandidateId) -> f32 {
        self.distance_km[c.index()]
    }

    /// The number of candidate pairs.
    pub fn len(&self) -> usize {
        self.group.len()
    }

    /// Whether there are no candidate pairs.
    pub fn is_empty(&self) -> bool {
        self.group.is_empty()
    }

    /// The number of learners (rows).
    pub fn learners(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
}

/// Gates for a user-supplied pair (already of the learner's programme):
/// the distance, or every reason it fails.
fn user_pair_gates(season: &Season, learner: LearnerId, group: GroupId) -> Result<f64, Vec<Rejection>> {
    let l = season.learner(learner);
    let g = season.group(group);
    let w = season.workplace(g.workplace);
    let d = haversine_km(l.location, w.location);
    let mut reasons = Vec::new();
    screening_gate(l, &mut reasons);
    site_gate(Some(g), w, &mut reasons);
    learner_site_gates(l, w, d, &mut reasons);
    if reasons.is_empty() {
        Ok(d)
    } else {
        Err(reasons)
    }
}

/// One scored pair while generating.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Row {
    pub score: f64,
    pub group: GroupId,
    pub distance_km: f64,
    pub travel_minutes: Option<f64>,
    pub components: Components,
}

/// The best-first order: score descending, then group id ascending.
pub(crate) fn sort_rows(rows: &mut [Row]) {
    rows.sort_unstable_by(|a, b| b.score.total_cmp(&a.score).then(a.group.cmp(&b.group)));
}

/// The eligible sites of a chunk of learners, from pass 1: each learner's
/// (site, distance) pairs in index order, the learner's end in `ends`.
struct Eligible<'i> {
    sites: Vec<(&'i SiteRec, f64)>,
    ends: Vec<usize>,
}

/// The output slices of one parallel work item.
struct Part<'a> {
    learners: Range<usize>,
    group: &'a mut [GroupId],
    score: &'a mut [f64],
    distance: &'a mut [f32],
    comps: [&'a mut [f32]; 6],
}

/// Per-season context for scoring pairs.
pub(crate) struct Scorer<'a> {
    season: &'a Season,
    weights: Weights,
    travel: Option<&'a TravelTimes>,
}

/// Where the site's side of a pair comes from: the index leaf (fast, for
/// generation) or the season (for explaining one learner). Same values.
#[derive(Clone, Copy)]
enum SiteSide<'i> {
    Indexed(&'i SiteRec, &'i SiteIndex),
    Season(WorkplaceId),
}

/// A learner's side of a pair, computed once per learner.
pub(crate) struct LearnerSide<'a> {
    pub id: LearnerId,
    pub learner: &'a Learner,
    pub here: Here,
    /// Held tags with id below 64.
    pub tags: u64,
    pub times: Option<LearnerTimes<'a>>,
}

impl<'a> Scorer<'a> {
    /// A scorer.
    pub(crate) fn new(season: &'a Season, weights: &Weights, travel: Option<&'a TravelTimes>) -> Self {
        Scorer { season, weights: *weights, travel }
    }

    /// The learner's side of their pairs.
    pub(crate) fn learner(&self, id: LearnerId) -> LearnerSide<'a> {
        let learner = self.season.learner(id);
        LearnerSide {
            id,
            learner,
            here: Here::new(learner.location),
            tags: tag_mask(&learner.attributes).0,
            times: self.travel.map(|t| t.of_learner(id)),
        }
    }

    /// The components of an eligible pair, and the travel time used, if any.
    fn components(&self, ls: &LearnerSide<'_>, site: SiteSide<'_>, distance_km: f64) -> (Components, Option<f64>) {
        let l = ls.learner;
        let (wid, min_readiness, capacity, partner, site_rank, site_len) = match site {
            SiteSide::Indexed(r, index) => {
                let sc = &r.scoring;
                let [p0, p1] = sc.prefs;
                let list = &index.site_prefs[p0 as usize..p1 as usize];
                let rank = if list.is_empty() {
                    None
                } else {
                    list.binary_search_by_key(&ls.id, |x| x.0).ok().map(|i| list[i].1 as usize)
                };
                let [s0, s1] = sc.partners;
                let partner = s0 < s1 && index.partners[s0 as usize..s1 as usize].contains(&l.school);
                (r.workplace, r.min_readiness, sc.capacity, partner, rank, list.len())
            }
            SiteSide::Season(wid) => {
                let w = self.season.workplace(wid);
                let rank = w.preference_rank(ls.id).map(|k| k as usize);
                let partner = w.partner_schools.contains(&l.school);
                (wid, w.min_readiness, site_capacity(self.season, wid), partner, rank, w.preferences.len())
            }
        };
        let minutes = ls.times.and_then(|t| t.get(wid));
        let location = match minutes {
            Some(m) => location_from_minutes(m, self.weights.travel_half_minutes),
            None => location_from_km(distance_km, self.weights.location_half_km),
        };
        let learner_rank = l.preference_rank(wid).map(|k| k as usize);
        let history = self.season.history();
        let partnership = match history {
            Some(h) if h.school_has_history(l.school) => continuity_fit(partner, h.years(l.school, wid)),
            _ => partnership_fit(partner),
        };
        let trust = history.map(|h| {
            let pair = h.pair(l.school, wid).map(|p| p.tally).unwrap_or_default();
            trust_fit(h.site(wid), pair, h.prior(), self.weights.trust_prior_strength)
        });
        let c = Components {
            readiness: readiness_fit(l.readiness, min_readiness),
            location,
            capacity,
            partnership,
            preference: preference_fit(
                preference_side(learner_rank, l.preferences.len()),
                preference_side(site_rank, site_len),
            ),
            trust,
        };
        (c, minutes)
    }

    /// A scored row for an eligible pair, reading the site from the season.
    pub(crate) fn row(&self, ls: &LearnerSide<'_>, group: GroupId, distance_km: f64) -> Row {
        self.row_at(ls, group, SiteSide::Season(self.season.group(group).workplace), distance_km)
    }

    fn row_at(&self, ls: &LearnerSide<'_>, group: GroupId, site: SiteSide<'_>, distance_km: f64) -> Row {
        let (components, travel_minutes) = self.components(ls, site, distance_km);
        Row { score: self.weights.score(&components), group, distance_km, travel_minutes, components }
    }

    /// Calls `f` with each eligible site of `lid` and its distance, in index
    /// order: the sites near the learner that pass every gate.
    pub(crate) fn for_each_eligible<'i>(&self, index: &'i SiteIndex, lid: LearnerId, f: impl FnMut(&'i SiteRec, f64)) {
        let ls = self.learner(lid);
        self.eligible_of(index, &ls, f);
    }

    fn eligible_of<'i>(&self, index: &'i SiteIndex, ls: &LearnerSide<'_>, mut f: impl FnMut(&'i SiteRec, f64)) {
        let l = ls.learner;
        if l.screening != Screening::Passed {
            return;
        }
        for r in index.near(l.programme, l.location, l.max_commute_km) {
            if l.readiness < r.min_readiness || r.requires & !ls.tags != 0 {
                continue;
            }
            if r.requires_more && !holds_all(&l.attributes, &self.season.workplace(r.workplace).requires) {
                continue;
            }
            let d = ls.here.distance_km(&r.at);
            if within_commute(d, l.max_commute_km) {
                f(r, d);
            }
        }
    }

    /// Fills `rows` with the candidates of `lid` from its eligible sites
    /// (as [`Scorer::for_each_eligible`] gives them), best first.
    fn scored(&self, index: &SiteIndex, lid: LearnerId, sites: &[(&SiteRec, f64)], rows: &mut Vec<Row>) {
        rows.clear();
        let ls = self.learner(lid);
        rows.extend(sites.iter().map(|&(r, d)| self.row_at(&ls, r.group, SiteSide::Indexed(r, index), d)));
        sort_rows(rows);
    }
}

/// `n` copies of `value`, written by every core: the columns' memory is
/// first touched here, and on this project's machines first touching memory
/// costs more than filling it (issue 16); `vec![value; n]` would do all of
/// it on one core before the parallel pass.
fn par_filled<T: Copy + Send + Sync>(n: usize, value: T) -> Vec<T> {
    let mut out = Vec::new();
    (0..n).into_par_iter().with_min_len(1 << 16).map(|_| value).collect_into_vec(&mut out);
    out
}
