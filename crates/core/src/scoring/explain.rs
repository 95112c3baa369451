//! Explanations: why a learner has the candidates they have, and why not more.
//! Everything here is data; the CLI formats it.

use std::collections::BTreeMap;

use super::candidates::{sort_rows, Row, Scorer};
use super::components::{Components, TravelTimes};
use super::gates::{learner_site_gates, screening_gate, site_gate, Rejection};
use super::no_candidate::{km, km_above, no_candidate_reason, NoCandidateReason};
use super::weights::Weights;
use crate::geo::haversine_km;
use crate::ids::{GroupId, LearnerId, ProgrammeId, TagId, WorkplaceId};
use crate::rhythm::Days;
use crate::season::{Screening, Season};

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
    /// The points the trust component adds (see [`Weights::trust_contribution`]);
    /// `None` when the season has no `outcomes.csv`.
    pub trust_points: Option<f64>,
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
    /// The site has mentors (`mentors.csv`), none recognised for the
    /// learner's programme: the mentor gate.
    NoMentorForProgramme,
    /// The site's mentors recognised for the programme are none of them
    /// present on all the learner's days: the days gate.
    MentorDays(Days),
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
            SiteReason::NoMentorForProgramme => (7, 0),
            SiteReason::MentorDays(_) => (8, 0),
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
            SiteReason::NoMentorForProgramme => {
                format!("{n} {s} without a mentor recognised for the programme (mentor gate)")
            }
            SiteReason::MentorDays(d) => format!(
                "{n} {s} where no mentor for the programme is present on all the learner's days, {d} (days gate)"
            ),
        }
    }
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
    let (mut no_mentor, mut mentor_days) = (0usize, 0usize);
    for &g in groups {
        let grp = season.group(g);
        let w = season.workplace(grp.workplace);
        let d = haversine_km(l.location, w.location);
        reasons.clear();
        screening_gate(l, &mut reasons);
        site_gate(Some(grp), w, &mut reasons);
        learner_site_gates(l, w, d, &mut reasons);
        if reasons.is_empty() {
            // The mentor and days gates of a site with mentors.
            let mentors = season.mentors_of_workplace(grp.workplace);
            let days = season.days_of(learner);
            if !mentors.is_empty() && !mentors.iter().any(|&k| season.mentor(k).can_guide(l.programme, days)) {
                if mentors.iter().any(|&k| season.mentor(k).recognised_for(l.programme)) {
                    mentor_days += 1;
                } else {
                    no_mentor += 1;
                }
                continue;
            }
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
    add(SiteReason::NoMentorForProgramme, no_mentor);
    add(SiteReason::MentorDays(season.days_of(learner)), mentor_days);
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
            trust_points: weights.trust_contribution(&r.components),
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
