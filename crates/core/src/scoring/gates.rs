//! Screening gates: the hard rules a learner–site pair must pass before it is
//! scored at all.

use crate::geo::haversine_km;
use crate::ids::{GroupId, LearnerId, TagId, WorkplaceId};
use crate::season::{Group, Learner, Screening, Season, Workplace};

/// Why a learner–site pair is not eligible. [`check_pair`] returns every
/// reason that applies.
#[derive(Clone, Debug, PartialEq)]
pub enum Rejection {
    /// The learner's screening is not finished.
    ScreeningPending,
    /// The learner did not pass screening (preparatory phase).
    ScreeningFailed,
    /// The site is not recognised for the learner's programme.
    NotRecognised,
    /// The site is recognised for the programme with 0 seats.
    NoSeats,
    /// The site's capacity is 0: it can host nobody.
    NoCapacity,
    /// The site requires tags the learner does not hold (sorted).
    MissingTags(Vec<TagId>),
    /// The learner's readiness is below the site's minimum.
    ReadinessBelow {
        /// The learner's readiness.
        have: u8,
        /// The site's minimum.
        need: u8,
    },
    /// The great-circle distance is beyond the learner's longest commute.
    TooFar {
        /// The distance, km.
        km: f64,
        /// The learner's longest commute, km.
        max_km: f64,
    },
}

impl Rejection {
    /// The reason in plain words, with tag names from the season.
    pub fn describe(&self, season: &Season) -> String {
        match self {
            Rejection::ScreeningPending => "screening pending".into(),
            Rejection::ScreeningFailed => "screening failed".into(),
            Rejection::NotRecognised => "the site is not recognised for the learner's programme".into(),
            Rejection::NoSeats => "the recognition has 0 seats".into(),
            Rejection::NoCapacity => "the site has capacity 0".into(),
            Rejection::MissingTags(tags) => {
                let names: Vec<_> = tags
                    .iter()
                    .map(|t| crate::text::quote(season.tags().get(t.index()).map_or("?", String::as_str)))
                    .collect();
                format!("the site requires {}", names.join(", "))
            }
            Rejection::ReadinessBelow { have, need } => format!("readiness {have} is below the site's minimum {need}"),
            Rejection::TooFar { km, max_km } => format!("{km:.1} km is beyond the longest commute of {max_km} km"),
        }
    }
}

/// An eligible pair: the recognition and the distance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Eligible {
    /// The recognition of the site for the learner's programme.
    pub group: GroupId,
    /// The great-circle distance, km.
    pub distance_km: f64,
}

/// Applies every gate to `learner` at `workplace` (for the learner's own
/// programme). A pair is eligible only when all of these hold:
///
/// 1. the learner's screening is `passed`;
/// 2. the site is recognised for the learner's programme with at least 1 seat,
///    and its capacity (when given) is at least 1;
/// 3. the learner holds every tag the site requires;
/// 4. the learner's readiness is at least the site's `min_readiness`;
/// 5. the great-circle distance ([`haversine_km`], computed once) is at most
///    the learner's `max_commute_km` (`<=`: a site exactly at the cap is
///    eligible).
///
/// On failure, every reason that applies is returned, in the order above.
pub fn check_pair(season: &Season, learner: LearnerId, workplace: WorkplaceId) -> Result<Eligible, Vec<Rejection>> {
    let l = season.learner(learner);
    let w = season.workplace(workplace);
    let group = season.group_of(workplace, l.programme);
    let distance_km = haversine_km(l.location, w.location);
    let mut reasons = Vec::new();
    screening_gate(l, &mut reasons);
    site_gate(group.map(|g| season.group(g)), w, &mut reasons);
    learner_site_gates(l, w, distance_km, &mut reasons);
    match group {
        Some(group) if reasons.is_empty() => Ok(Eligible { group, distance_km }),
        _ => Err(reasons),
    }
}

/// Gate 1: screening.
pub(crate) fn screening_gate(l: &Learner, out: &mut Vec<Rejection>) {
    match l.screening {
        Screening::Passed => {}
        Screening::Pending => out.push(Rejection::ScreeningPending),
        Screening::Failed => out.push(Rejection::ScreeningFailed),
    }
}

/// Gate 2: recognition (`None`: not recognised for the programme), seats and capacity.
pub(crate) fn site_gate(g: Option<&Group>, w: &Workplace, out: &mut Vec<Rejection>) {
    match g {
        None => out.push(Rejection::NotRecognised),
        Some(g) if g.seats == 0 => out.push(Rejection::NoSeats),
        Some(_) => {}
    }
    if w.capacity == Some(0) {
        out.push(Rejection::NoCapacity);
    }
}

/// Whether a recognition can take anyone at all (gate 2 passes).
pub(crate) fn placeable(g: &Group, w: &Workplace) -> bool {
    g.seats > 0 && w.capacity != Some(0)
}

/// Gates 3 to 5, given the distance.
pub(crate) fn learner_site_gates(l: &Learner, w: &Workplace, distance_km: f64, out: &mut Vec<Rejection>) {
    if !holds_all(&l.attributes, &w.requires) {
        out.push(Rejection::MissingTags(missing_tags(&l.attributes, &w.requires)));
    }
    if l.readiness < w.min_readiness {
        out.push(Rejection::ReadinessBelow { have: l.readiness, need: w.min_readiness });
    }
    if !within_commute(distance_km, l.max_commute_km) {
        out.push(Rejection::TooFar { km: distance_km, max_km: l.max_commute_km });
    }
}

/// Gate 5: `distance <= max` (false when either is NaN).
#[inline]
pub(crate) fn within_commute(distance_km: f64, max_km: f64) -> bool {
    distance_km <= max_km
}

/// Whether sorted `held` contains every element of sorted `required`.
pub(crate) fn holds_all(held: &[TagId], required: &[TagId]) -> bool {
    let mut i = 0;
    for r in required {
        while i < held.len() && held[i] < *r {
            i += 1;
        }
        if i == held.len() || held[i] != *r {
            return false;
        }
    }
    true
}

/// The elements of sorted `required` missing from sorted `held`.
pub(crate) fn missing_tags(held: &[TagId], required: &[TagId]) -> Vec<TagId> {
    required.iter().filter(|r| held.binary_search(r).is_err()).copied().collect()
}
