//! Explanations: why a learner has the candidates they have, and why not more.
//! Everything here is data; the CLI formats it.

use std::collections::BTreeMap;
use std::fmt;

use super::candidates::{sort_rows, Row, Scorer};
use super::components::{Components, TravelTimes};
use super::gates::{learner_site_gates, placeable, screening_gate, site_gate, within_commute, Rejection};
use super::weights::Weights;
use crate::geo::haversine_km;
use crate::ids::{GroupId, LearnerId, ProgrammeId, TagId, WorkplaceId};
use crate::season::{Learner, Screening, Season};

/// Why a learner has candidates or not, with the best of them.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// The learner.
    pub learner: LearnerId,
    /// The learner's programme.
    pub programme: ProgrammeId,
    /// Sites recognised for the programme (each checked against the gates).
    pub recognised_sites: usize,
    /// How many of them are eligible (the learner's candidates).
    pub eligible: usize,
    /// The best `top` candidates, best first (same order and scores as
    /// [`super::Candidates::generate`]).
    pub best: Vec<ExplainedCandidate>,
    /// The rejected sites of the programme, counted by reason, most common
    /// first. A site failing several gates counts under each, so the counts
    /// can add up to more than the rejected sites.
    pub rejected: Vec<RejectedSites>,
    /// The main reason there is no candidate, when there is none.
    pub no_candidate: Option<NoCandidateReason>,
}

/// One scored candidate, with what its score is made of.
#[derive(Clone, Debug, PartialEq)]
pub struct ExplainedCandidate {
    /// The recognition.
    pub group: GroupId,
    /// Its site.
    pub workplace: WorkplaceId,
    /// The score, 0 to 100.
    pub score: f64,
    /// The component values, each 0 to 1.
    pub components: Components,
    /// The points each component adds to the score, in the order of
    /// [`super::COMPONENT_NAMES`] (see [`Weights::contributions`]).
    pub contributions: [f64; 5],
    /// Great-circle distance, km.
    pub distance_km: f64,
    /// The travel time used for the location component, when known.
    pub travel_minutes: Option<f64>,
}

/// A count of rejected sites sharing one reason.
#[derive(Clone, Debug, PartialEq)]
pub struct RejectedSites {
    /// The reason.
    pub reason: SiteReason,
    /// How many sites it applies to.
    pub sites: usize,
}

/// A reason a site is rejected, as grouped in an [`Explanation`].
#[derive(Clone, Debug, PartialEq)]
pub enum SiteReason {
    /// The learner's screening is pending (applies to every site).
    ScreeningPending,
    /// The learner failed screening (applies to every site).
    ScreeningFailed,
    /// Recognised with 0 seats.
    NoSeats,
    /// Capacity 0.
    NoCapacity,
    /// Farther than the learner's longest commute.
    TooFar {
        /// The learner's longest commute, km.
        max_km: f64,
        /// The nearest of these sites, km.
        nearest_km: f64,
    },
    /// Requires a tag the learner lacks.
    RequiresTag(TagId),
    /// Needs at least this readiness (above the learner's).
    NeedsReadiness(u8),
}

impl SiteReason {
    /// Order among equal counts.
    fn rank(&self) -> (u8, u32) {
        match self {
            SiteReason::ScreeningPending => (0, 0),
            SiteReason::ScreeningFailed => (1, 0),
            SiteReason::TooFar { .. } => (2, 0),
            SiteReason::RequiresTag(t) => (3, t.0),
            SiteReason::NeedsReadiness(r) => (4, u32::from(*r)),
            SiteReason::NoSeats => (5, 0),
            SiteReason::NoCapacity => (6, 0),
        }
    }
}

impl RejectedSites {
    /// Plain text such as `12 sites farther than 25 km (nearest 31.2 km)`,
    /// `3 sites require licence_b` or `2 sites need readiness 3 or more`.
    pub fn describe(&self, season: &Season) -> String {
        let n = self.sites;
        let (s, verb_s) = if n == 1 { ("site", "s") } else { ("sites", "") };
        match &self.reason {
            SiteReason::ScreeningPending => format!("{n} {s}: screening pending"),
            SiteReason::ScreeningFailed => format!("{n} {s}: screening failed"),
            SiteReason::NoSeats => format!("{n} {s} with no seats for the programme"),
            SiteReason::NoCapacity => format!("{n} {s} with capacity 0"),
            SiteReason::TooFar { max_km, nearest_km } => {
                format!("{n} {s} farther than {} km (nearest {} km)", km(*max_km), km_above(*nearest_km, *max_km))
            }
            SiteReason::RequiresTag(t) => {
                let name = season.tags().get(t.index()).map_or("?", String::as_str);
                format!("{n} {s} require{verb_s} {name}")
            }
            SiteReason::NeedsReadiness(r) => {
                let need = if n == 1 { "needs" } else { "need" };
                format!("{n} {s} {need} readiness {r} or more")
            }
        }
    }
}

/// The main reason a learner has no candidate at all.
#[derive(Clone, Debug, PartialEq)]
pub enum NoCandidateReason {
    /// Screening is not finished.
    ScreeningPending,
    /// Screening failed: the learner goes to a preparatory phase.
    ScreeningFailed,
    /// No site is recognised for the learner's programme.
    NoRecognisedSite,
    /// Sites are recognised for the programme, but none has a seat (or each
    /// has capacity 0).
    NoSeats {
        /// The recognised sites.
        sites: usize,
    },
    /// No site with a seat is within the learner's longest commute.
    NoneWithinCommute {
        /// The learner's longest commute, km.
        max_km: f64,
        /// The nearest site with a seat, km.
        nearest_km: f64,
    },
    /// Every site in reach requires a tag the learner lacks.
    AllRequireTags {
        /// The learner's longest commute, km.
        max_km: f64,
        /// Sites in reach.
        sites: usize,
        /// The missing tags, most often required first.
        tags: Vec<String>,
    },
    /// Every site in reach needs a higher readiness.
    ReadinessTooLow {
        /// The learner's longest commute, km.
        max_km: f64,
        /// Sites in reach.
        sites: usize,
        /// The learner's readiness.
        have: u8,
        /// The lowest minimum among the sites in reach.
        lowest_needed: u8,
    },
    /// Each site in reach requires a missing tag or a higher readiness
    /// (some one, some the other).
    TagsOrReadiness {
        /// The learner's longest commute, km.
        max_km: f64,
        /// Sites in reach.
        sites: usize,
    },
}

impl fmt::Display for NoCandidateReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoCandidateReason::ScreeningPending => write!(f, "screening pending"),
            NoCandidateReason::ScreeningFailed => write!(f, "screening failed (preparatory phase)"),
            NoCandidateReason::NoRecognisedSite => write!(f, "no site is recognised for the programme"),
            NoCandidateReason::NoSeats { sites } => {
                write!(f, "none of the {sites} recognised sites for the programme has a seat")
            }
            NoCandidateReason::NoneWithinCommute { max_km, nearest_km } => write!(
                f,
                "no recognised site within {} km (nearest is {} km)",
                km(*max_km),
                km_above(*nearest_km, *max_km)
            ),
            NoCandidateReason::AllRequireTags { max_km, sites, tags } => {
                let what = if *sites == 1 { "the only site".to_string() } else { format!("all {sites} sites") };
                let verb = if *sites == 1 { "requires" } else { "require" };
                write!(f, "{what} within {} km {verb} {}", km(*max_km), tags.join(" or "))
            }
            NoCandidateReason::ReadinessTooLow { max_km, sites, have, lowest_needed } => {
                let what = if *sites == 1 { "the only site".to_string() } else { format!("all {sites} sites") };
                let verb = if *sites == 1 { "needs" } else { "need" };
                write!(
                    f,
                    "{what} within {} km {verb} readiness {lowest_needed} or more (learner has {have})",
                    km(*max_km)
                )
            }
            NoCandidateReason::TagsOrReadiness { max_km, sites } => write!(
                f,
                "each of the {sites} sites within {} km requires a tag the learner lacks or a higher readiness",
                km(*max_km)
            ),
        }
    }
}

/// `25`, `12.5`, `7.25`: kilometres without trailing zeros (up to 2 decimals).
fn km(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// A distance known to be above `max`, with enough decimals (1 to 4) that it
/// does not print as `max` or below it.
fn km_above(x: f64, max: f64) -> String {
    for dec in 1..=4 {
        let s = format!("{x:.dec$}");
        if s.parse::<f64>().is_ok_and(|v| v > max) {
            return s;
        }
    }
    format!("{x:.4}")
}

/// Explains the candidates of `learner`: the best `top` (scored as in
/// [`super::Candidates::generate`]), every recognised site of the programme
/// that is rejected, counted by reason, and the main reason when there is no
/// candidate. Scans the programme's sites; meant for one learner at a time.
pub fn explain(
    season: &Season,
    weights: &Weights,
    travel: Option<&TravelTimes>,
    learner: LearnerId,
    top: usize,
) -> Explanation {
    let l = season.learner(learner);
    let scorer = Scorer::new(season, weights, travel);
    let side = scorer.learner(learner);
    let groups = season.groups_of_programme(l.programme);
    let mut rows: Vec<Row> = Vec::new();
    let mut screening = 0usize;
    let mut no_seats = 0usize;
    let mut no_capacity = 0usize;
    let mut too_far = (0usize, f64::INFINITY);
    let mut tags: BTreeMap<TagId, usize> = BTreeMap::new();
    let mut readiness: BTreeMap<u8, usize> = BTreeMap::new();
    let mut reasons = Vec::new();
    for &g in groups {
        let grp = season.group(g);
        let w = season.workplace(grp.workplace);
        let d = haversine_km(l.location, w.location);
        reasons.clear();
        screening_gate(l, &mut reasons);
        site_gate(Some(grp), w, &mut reasons);
        learner_site_gates(l, w, d, &mut reasons);
        if reasons.is_empty() {
            rows.push(scorer.row(&side, g, d));
            continue;
        }
        for r in &reasons {
            match r {
                Rejection::ScreeningPending | Rejection::ScreeningFailed => screening += 1,
                Rejection::NotRecognised => {}
                Rejection::NoSeats => no_seats += 1,
                Rejection::NoCapacity => no_capacity += 1,
                Rejection::MissingTags(ts) => {
                    for t in ts {
                        *tags.entry(*t).or_default() += 1;
                    }
                }
                Rejection::ReadinessBelow { need, .. } => *readiness.entry(*need).or_default() += 1,
                Rejection::TooFar { km, .. } => too_far = (too_far.0 + 1, too_far.1.min(*km)),
            }
        }
    }
    let mut rejected = Vec::new();
    let mut add = |reason, sites| {
        if sites > 0 {
            rejected.push(RejectedSites { reason, sites });
        }
    };
    match l.screening {
        Screening::Passed => {}
        Screening::Pending => add(SiteReason::ScreeningPending, screening),
        Screening::Failed => add(SiteReason::ScreeningFailed, screening),
    }
    add(SiteReason::TooFar { max_km: l.max_commute_km, nearest_km: too_far.1 }, too_far.0);
    for (t, n) in tags {
        add(SiteReason::RequiresTag(t), n);
    }
    for (r, n) in readiness {
        add(SiteReason::NeedsReadiness(r), n);
    }
    add(SiteReason::NoSeats, no_seats);
    add(SiteReason::NoCapacity, no_capacity);
    rejected.sort_by(|a, b| b.sites.cmp(&a.sites).then(a.reason.rank().cmp(&b.reason.rank())));

    sort_rows(&mut rows);
    let eligible = rows.len();
    let best = rows
        .iter()
        .take(top)
        .map(|r| ExplainedCandidate {
            group: r.group,
            workplace: season.group(r.group).workplace,
            score: r.score,
            components: r.components,
            contributions: weights.contributions(&r.components),
            distance_km: r.distance_km,
            travel_minutes: r.travel_minutes,
        })
        .collect();
    let no_candidate = if eligible == 0 { no_candidate_reason(season, learner) } else { None };
    Explanation {
        learner,
        programme: l.programme,
        recognised_sites: groups.len(),
        eligible,
        best,
        rejected,
        no_candidate,
    }
}

/// The main reason `learner` has no candidate, or `None` when they have at
/// least one (a learner with candidates who ends up unplaced lost to
/// competition for seats, which is the optimiser's to report).
///
/// Checked in this order: screening; no recognised site; no site with a seat;
/// no seated site within the commute (with the nearest distance); then, among
/// the seated sites in reach, whether all lack tags, all need more readiness,
/// or a mix. Scans the sites of the learner's programme; for many learners use
/// [`super::SiteIndex::no_candidate_reason`].
pub fn no_candidate_reason(season: &Season, learner: LearnerId) -> Option<NoCandidateReason> {
    let l = season.learner(learner);
    let groups = season.groups_of_programme(l.programme);
    let seated = || {
        groups.iter().filter_map(|&g| {
            let grp = season.group(g);
            let w = season.workplace(grp.workplace);
            placeable(grp, w).then(|| (g, haversine_km(l.location, w.location)))
        })
    };
    let placeable_count = seated().count();
    let in_reach = seated().filter(|(_, d)| within_commute(*d, l.max_commute_km)).map(|(g, _)| g);
    let nearest = || seated().map(|(_, d)| d).min_by(f64::total_cmp);
    classify(season, l, groups.len(), placeable_count, in_reach, nearest)
}

/// Shared by [`no_candidate_reason`] and the indexed version: `in_reach` are
/// the placeable recognitions within the commute (any order), `nearest` the
/// distance to the nearest placeable one.
pub(crate) fn classify(
    season: &Season,
    l: &Learner,
    recognised: usize,
    placeable_count: usize,
    in_reach: impl Iterator<Item = GroupId>,
    nearest: impl FnOnce() -> Option<f64>,
) -> Option<NoCandidateReason> {
    match l.screening {
        Screening::Passed => {}
        Screening::Pending => return Some(NoCandidateReason::ScreeningPending),
        Screening::Failed => return Some(NoCandidateReason::ScreeningFailed),
    }
    if recognised == 0 {
        return Some(NoCandidateReason::NoRecognisedSite);
    }
    if placeable_count == 0 {
        return Some(NoCandidateReason::NoSeats { sites: recognised });
    }
    let (mut sites, mut tag_fail, mut ready_fail) = (0usize, 0usize, 0usize);
    let mut missing: BTreeMap<TagId, usize> = BTreeMap::new();
    let mut lowest_needed = u8::MAX;
    for g in in_reach {
        let w = season.workplace(season.group(g).workplace);
        sites += 1;
        let tags_ok = super::gates::holds_all(&l.attributes, &w.requires);
        let ready_ok = l.readiness >= w.min_readiness;
        if tags_ok && ready_ok {
            return None;
        }
        if !tags_ok {
            tag_fail += 1;
            for t in super::gates::missing_tags(&l.attributes, &w.requires) {
                *missing.entry(t).or_default() += 1;
            }
        }
        if !ready_ok {
            ready_fail += 1;
            lowest_needed = lowest_needed.min(w.min_readiness);
        }
    }
    let max_km = l.max_commute_km;
    if sites == 0 {
        return Some(NoCandidateReason::NoneWithinCommute { max_km, nearest_km: nearest().unwrap_or(f64::INFINITY) });
    }
    if tag_fail == sites {
        let mut tags: Vec<(TagId, usize)> = missing.into_iter().collect();
        tags.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let tags = tags.into_iter().map(|(t, _)| season.tags()[t.index()].clone()).collect();
        return Some(NoCandidateReason::AllRequireTags { max_km, sites, tags });
    }
    if ready_fail == sites {
        return Some(NoCandidateReason::ReadinessTooLow { max_km, sites, have: l.readiness, lowest_needed });
    }
    Some(NoCandidateReason::TagsOrReadiness { max_km, sites })
}
