//! Why a learner has no candidate at all: the main reason, by a scan of the
//! programme's sites or through the [`SiteIndex`].

use std::collections::BTreeMap;
use std::fmt;

use super::gates::{placeable, within_commute};
use super::index::{Here, SiteIndex};
use crate::geo::haversine_km;
use crate::ids::{GroupId, LearnerId, TagId};
use crate::season::{Learner, Screening, Season};

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
pub(super) fn km(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// A distance known to be above `max`, with enough decimals (1 to 4) that it
/// does not print as `max` or below it.
pub(super) fn km_above(x: f64, max: f64) -> String {
    for dec in 1..=4 {
        let s = format!("{x:.dec$}");
        if s.parse::<f64>().is_ok_and(|v| v > max) {
            return s;
        }
    }
    format!("{x:.4}")
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

impl SiteIndex {
    /// Like [`super::no_candidate_reason`], but with radius queries instead
    /// of a scan of the programme's sites: for reporting many learners.
    pub fn no_candidate_reason(&self, season: &Season, learner: LearnerId) -> Option<NoCandidateReason> {
        let l = season.learner(learner);
        let p = l.programme;
        let here = Here::new(l.location);
        let in_reach = self
            .near(p, l.location, l.max_commute_km)
            .filter(|r| within_commute(here.distance_km(&r.at), l.max_commute_km))
            .map(|r| r.group);
        let nearest = || {
            self.nearest(p, l.location)
                .map(|g| haversine_km(l.location, season.workplace(season.group(g).workplace).location))
        };
        classify(
            season,
            l,
            self.recognised.get(p.index()).copied().unwrap_or(0),
            self.placeable_sites(p),
            in_reach,
            nearest,
        )
    }
}
