//! The five scored components of a learner–site pair, each in `[0, 1]`, the
//! sixth, `trust`, present only for a season with an `outcomes.csv`, and the
//! optional travel-time table that feeds the location component.
//!
//! Every formula is a small pure function here so that it can be tested and
//! documented on its own; `docs/scoring.md` gives the same formulas with the
//! reasoning behind them.

use crate::ids::{LearnerId, WorkplaceId};
use crate::season::Tally;

/// The names of the components, in the order of [`Components::to_array`] and
/// of the columns in [`super::ComponentColumns`].
pub const COMPONENT_NAMES: [&str; 5] = ["readiness", "location", "capacity", "partnership", "preference"];

/// The name of the sixth component, present only when the season has an
/// `outcomes.csv` (see [`trust_fit`]).
pub const TRUST: &str = "trust";

/// Seasons of working together at which [`continuity_fit`] reaches 1.
pub const CONTINUITY_FULL_YEARS: f64 = 3.0;

/// The value of a preference side that does not rank (see [`preference_side`]),
/// and so the preference component when neither side ranks.
pub const NEUTRAL_PREFERENCE: f64 = 0.5;

/// The five component values of one learner–site pair, each in `[0, 1]`
/// (1 is the best fit).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Components {
    /// Fit between the support the learner needs and the support the site
    /// offers; see [`readiness_fit`].
    pub readiness: f64,
    /// Closeness; see [`location_from_km`] and [`location_from_minutes`].
    pub location: f64,
    /// Mentor capacity against the seats the site offers; see [`capacity_fit`].
    pub capacity: f64,
    /// 1 when the site is a partner of the learner's school, else 0.
    pub partnership: f64,
    /// Mutual ranking; see [`preference_fit`].
    pub preference: f64,
    /// Completion record of the site, and of the school at the site, from
    /// past seasons (see [`trust_fit`]); `None` when the season has no
    /// `outcomes.csv`, and then it is not part of the score at all.
    pub trust: Option<f64>,
}

impl Components {
    /// The values in the order of [`COMPONENT_NAMES`].
    pub fn to_array(self) -> [f64; 5] {
        [self.readiness, self.location, self.capacity, self.partnership, self.preference]
    }

    /// Components from values in the order of [`COMPONENT_NAMES`] (no trust).
    pub fn from_array(a: [f64; 5]) -> Self {
        Components { readiness: a[0], location: a[1], capacity: a[2], partnership: a[3], preference: a[4], trust: None }
    }
}

/// Readiness fit: how well the support the learner needs matches the support
/// the site gives.
///
/// A site's `min_readiness` `m` (1 to 4) says how much support it offers: a
/// site that accepts readiness 1 mentors learners who are not yet ready; a
/// site that asks for 4 expects a learner who can work largely on their own.
/// The gates already guarantee the learner's readiness `r >= m`. The fit is
///
/// ```text
/// readiness = 1 - (r - m) / 3        (clamped to [0, 1])
/// ```
///
/// so an exact match (`r == m`) scores 1, and a fully ready learner (4) at a
/// site set up for beginners (1) scores 0: supportive sites are scarce and are
/// kept for the learners who need them, and ready learners go to demanding
/// sites. The component never rewards readiness itself (a learner's readiness
/// is the same on all of their candidates, so rewarding it would only make the
/// optimiser favour already-ready learners over others).
pub fn readiness_fit(readiness: u8, min_readiness: u8) -> f64 {
    let gap = f64::from(readiness) - f64::from(min_readiness);
    (1.0 - gap / 3.0).clamp(0.0, 1.0)
}

/// Location from great-circle distance: exponential decay with a half-distance,
///
/// ```text
/// location = 0.5 ^ (distance_km / half_km)
/// ```
///
/// 1 at the learner's home, 0.5 at `half_km`, 0.25 at twice `half_km`, and
/// never increasing with distance. The same scale applies to every learner, so
/// across learners a shorter commute is always worth more (the learner's own
/// cap is a hard gate, not part of the score). A non-positive or non-finite
/// `half_km` falls back to [`super::Weights::DEFAULT_LOCATION_HALF_KM`].
pub fn location_from_km(distance_km: f64, half_km: f64) -> f64 {
    let half = if half_km.is_finite() && half_km > 0.0 { half_km } else { super::Weights::DEFAULT_LOCATION_HALF_KM };
    decay(distance_km, half)
}

/// Location from a travel time, used instead of the distance when a travel
/// time is known for the pair:
///
/// ```text
/// location = 0.5 ^ (minutes / half_minutes)
/// ```
///
/// A non-positive or non-finite `half_minutes` falls back to
/// [`super::Weights::DEFAULT_TRAVEL_HALF_MINUTES`].
pub fn location_from_minutes(minutes: f64, half_minutes: f64) -> f64 {
    let half = if half_minutes.is_finite() && half_minutes > 0.0 {
        half_minutes
    } else {
        super::Weights::DEFAULT_TRAVEL_HALF_MINUTES
    };
    decay(minutes, half)
}

/// `0.5 ^ (x / half)` for `x >= 0` (negative `x` counts as 0), in `[0, 1]`.
fn decay(x: f64, half: f64) -> f64 {
    let x = if x > 0.0 { x } else { 0.0 };
    (-std::f64::consts::LN_2 * x / half).exp().clamp(0.0, 1.0)
}

/// Capacity fit: whether the site's mentors can cover all the seats it offers.
///
/// With `capacity` `c` (learners the site can host across all its programmes)
/// and `total_seats` `S` (the seats of all its recognitions):
///
/// ```text
/// capacity = 1                    when c is not given (only seats bind) or S = 0
/// capacity = min(1, c / S)        otherwise
/// ```
///
/// A site whose mentors can take every seat it offers scores 1; a site that
/// offers more seats than it can mentor scores the share it can cover, so
/// learners are steered towards sites with spare mentor capacity.
pub fn capacity_fit(capacity: Option<u32>, total_seats: u64) -> f64 {
    match capacity {
        None => 1.0,
        Some(_) if total_seats == 0 => 1.0,
        Some(c) => (f64::from(c) / total_seats as f64).min(1.0),
    }
}

/// Partnership: 1 when the site lists the learner's school as a partner, else 0.
pub fn partnership_fit(is_partner: bool) -> f64 {
    if is_partner {
        1.0
    } else {
        0.0
    }
}

/// Partnership for a school with history in `outcomes.csv`: the listed
/// partnership and the years of working together count half each,
///
/// ```text
/// partnership = (listed + min(years, 3) / 3) / 2      listed: 1 if the site lists the school, else 0
/// ```
///
/// so a listed partner of three seasons or more scores 1, a listed partner
/// without history 0.5, and a site the school has worked with for a season
/// without listing it 1/6. A school with no row in `outcomes.csv` (and every
/// school of a season without one) keeps [`partnership_fit`].
pub fn continuity_fit(is_partner: bool, years: usize) -> f64 {
    (partnership_fit(is_partner) + (years as f64).min(CONTINUITY_FULL_YEARS) / CONTINUITY_FULL_YEARS) / 2.0
}

/// The completion rate of `completed` out of `finished` agreements as a
/// Bayesian average with `prior` worth `strength` agreements:
///
/// ```text
/// rate = (completed + strength * prior) / (finished + strength)
/// ```
///
/// With no history it is the prior; every finished agreement moves it
/// towards the observed rate. A non-positive or non-finite `strength` falls
/// back to [`super::Weights::DEFAULT_TRUST_PRIOR_STRENGTH`].
pub fn bayes_rate(completed: u32, finished: u32, prior: f64, strength: f64) -> f64 {
    let m =
        if strength.is_finite() && strength > 0.0 { strength } else { super::Weights::DEFAULT_TRUST_PRIOR_STRENGTH };
    ((f64::from(completed) + m * prior) / (f64::from(finished) + m)).clamp(0.0, 1.0)
}

/// Trust: how often agreements at the site, and the school's agreements at
/// the site, were completed in past seasons, from `outcomes.csv`. Two
/// Bayesian averages ([`bayes_rate`]) with prior strength `m`, the second
/// shrunk towards the first:
///
/// ```text
/// p0        = completed / finished over every site of the season   (1 when none finished)
/// site      = (c_site + m * p0) / (n_site + m)
/// trust     = (c_pair + m * site) / (n_pair + m)
/// ```
///
/// where `c` counts completed and `n` finished (completed + ended early)
/// agreements, of every school at the site and of the learner's school at
/// the site. Ongoing agreements do not count. A site with no history sits
/// at the prior `p0`, so a new site is not punished; a site with many early
/// endings sinks below it, one with many completions rises above it.
pub fn trust_fit(site: Tally, pair: Tally, prior: f64, strength: f64) -> f64 {
    let site_rate = bayes_rate(site.completed, site.finished(), prior, strength);
    bayes_rate(pair.completed, pair.finished(), site_rate, strength)
}

/// One side of the preference component.
///
/// `rank` is the 1-based position of the other party in this side's list of
/// `len` entries, `None` when it is not listed (or there is no list):
///
/// ```text
/// side = 1 - (rank - 1) / (2 * len)      when listed: rank 1 gives 1, the last gives just over 0.5
/// side = 0.5                             when not listed, or when the side ranks nobody
/// ```
///
/// Ranking lifts what a side ranks above neutral and never pushes anything
/// below it: a learner who lists three sites is not penalised on the sites they
/// did not list, compared with a learner who lists none.
pub fn preference_side(rank: Option<usize>, len: usize) -> f64 {
    match rank {
        Some(k) if len > 0 && k >= 1 && k <= len => 1.0 - (k - 1) as f64 / (2.0 * len as f64),
        _ => NEUTRAL_PREFERENCE,
    }
}

/// Preference: the mean of the learner's side and the site's side (see
/// [`preference_side`]):
///
/// ```text
/// preference = (side_learner + side_site) / 2
/// ```
///
/// 1 when each ranks the other first, [`NEUTRAL_PREFERENCE`] (0.5) when neither
/// ranks the other.
pub fn preference_fit(learner_side: f64, site_side: f64) -> f64 {
    (learner_side + site_side) / 2.0
}

/// Door-to-door travel times in minutes for some learner–site pairs. When a
/// pair has a time, the location component uses it (see
/// [`location_from_minutes`]) instead of the great-circle distance; the
/// commute gate always uses the distance.
///
/// Stored compactly as a sorted table (12 bytes a pair) and looked up by
/// binary search.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TravelTimes {
    /// Sorted by (learner, workplace), without duplicate pairs.
    rows: Vec<(LearnerId, WorkplaceId, f32)>,
}

impl TravelTimes {
    /// Builds the table from (learner, workplace, minutes) rows. Rows whose
    /// minutes are negative or not finite are ignored (the loader should
    /// report them); of duplicate pairs, the first given is kept.
    pub fn new(rows: Vec<(LearnerId, WorkplaceId, f64)>) -> Self {
        let mut rows: Vec<(LearnerId, WorkplaceId, f32)> =
            rows.into_iter().filter(|r| r.2.is_finite() && r.2 >= 0.0).map(|(l, w, m)| (l, w, m as f32)).collect();
        // Stable sort: the first of duplicate pairs stays first and is kept.
        rows.sort_by_key(|r| (r.0, r.1));
        rows.dedup_by(|b, a| a.0 == b.0 && a.1 == b.1);
        TravelTimes { rows }
    }

    /// The number of pairs with a travel time.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table has no pairs.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The travel time in minutes from `learner` to `workplace`, if known.
    pub fn get(&self, learner: LearnerId, workplace: WorkplaceId) -> Option<f64> {
        self.rows.binary_search_by_key(&(learner, workplace), |r| (r.0, r.1)).ok().map(|i| f64::from(self.rows[i].2))
    }

    /// The travel times of one learner, as a lookup sorted by workplace.
    pub(crate) fn of_learner(&self, learner: LearnerId) -> LearnerTimes<'_> {
        let s = self.rows.partition_point(|r| r.0 < learner);
        let e = s + self.rows[s..].partition_point(|r| r.0 == learner);
        LearnerTimes { rows: &self.rows[s..e] }
    }
}

/// The travel times of one learner (a slice of [`TravelTimes`]).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LearnerTimes<'a> {
    rows: &'a [(LearnerId, WorkplaceId, f32)],
}

impl LearnerTimes<'_> {
    /// The travel time to `workplace`, if known.
    pub(crate) fn get(&self, workplace: WorkplaceId) -> Option<f64> {
        if self.rows.is_empty() {
            return None;
        }
        self.rows.binary_search_by_key(&workplace, |r| r.1).ok().map(|i| f64::from(self.rows[i].2))
    }
}
