//! Plausibility: values that are valid but unlikely to be meant, each a
//! warning that names its row (issue 12, item 2). None of them stops a
//! season from loading; `validate --strict` turns them into errors.
//!
//! - Coordinates far outside the area of the season's other sites, schools
//!   and learners (robust statistics: the median point and the median
//!   absolute deviation of the distances to it), and among them those that
//!   would lie inside the area with latitude and longitude exchanged.
//! - Commute limits of 0, or beyond a day's travel ([`MAX_PLAUSIBLE_COMMUTE_KM`]).
//! - Seat counts and capacities far above the rest ([`seats_far_above`]).
//! - Screened learners with no site of their programme within their commute
//!   at all, although the programme has sites with seats, when the nearest is
//!   so far that the data is the likely cause ([`far_out_of_reach`]).

use rayon::prelude::*;

use super::Reporter;
use crate::geo::{haversine_km, GeoPoint};
use crate::scoring::SiteIndex;
use crate::season::doc::{SeasonDoc, TableName};
use crate::season::model::{Screening, Season};
use crate::text::quoted as q;

/// The longest commute (one way, km) that a day's travel allows; a larger
/// `max_commute_km` is probably in metres or a typing mistake.
pub(crate) const MAX_PLAUSIBLE_COMMUTE_KM: f64 = 200.0;

/// Points nearer than this to the middle of the season are never "far" (km).
const MIN_FAR_KM: f64 = 100.0;

/// The rows of the records the season was built from, in the season's order.
pub(super) struct Rows {
    pub schools: Vec<u64>,
    pub learners: Vec<u64>,
    pub workplaces: Vec<u64>,
    pub groups: Vec<u64>,
}

/// Adds every plausibility warning of `season` to the reporter.
pub(super) fn check(rep: &mut Reporter, doc: &SeasonDoc, season: &Season, rows: &Rows) {
    let _ = doc;
    coordinates(rep, season, rows);
    commutes(rep, season, rows);
    seats(rep, season, rows);
    unreachable(rep, season, rows);
}

/// The median of `xs` (which it sorts); 0 when empty.
fn median(xs: &mut [f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.sort_unstable_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// The area of a season: its middle (the median latitude and longitude) and
/// the distance within which a point is "among the others".
struct Area {
    middle: GeoPoint,
    radius_km: f64,
}

impl Area {
    /// From every point; `None` with fewer than 5 points (too few to judge).
    fn of(points: &[GeoPoint]) -> Option<Area> {
        if points.len() < 5 {
            return None;
        }
        let mut lat: Vec<f64> = points.iter().map(|p| p.lat).collect();
        let mut lon: Vec<f64> = points.iter().map(|p| p.lon).collect();
        let middle = GeoPoint::new(median(&mut lat), median(&mut lon));
        let mut d: Vec<f64> = points.iter().map(|p| haversine_km(middle, *p)).collect();
        let med = median(&mut d);
        let mut dev: Vec<f64> = d.iter().map(|x| (x - med).abs()).collect();
        let mad = median(&mut dev);
        // A normal spread's 5 sigma around the median distance.
        Some(Area { middle, radius_km: med + 5.0 * 1.4826 * mad })
    }

    /// Whether `p` lies far outside the area.
    fn far(&self, p: GeoPoint) -> Option<f64> {
        let d = haversine_km(self.middle, p);
        (d > (3.0 * self.radius_km).max(MIN_FAR_KM)).then_some(d)
    }
}

fn coordinates(rep: &mut Reporter, s: &Season, rows: &Rows) {
    use TableName as T;
    let mut points: Vec<(T, u64, &str, &str, GeoPoint)> = Vec::new();
    points.extend(
        s.schools().iter().zip(&rows.schools).map(|(x, r)| (T::Schools, *r, "school", x.id.as_str(), x.location)),
    );
    points.extend(
        s.workplaces()
            .iter()
            .zip(&rows.workplaces)
            .map(|(x, r)| (T::Workplaces, *r, "site", x.id.as_str(), x.location)),
    );
    points.extend(
        s.learners().iter().zip(&rows.learners).map(|(x, r)| (T::Learners, *r, "learner", x.id.as_str(), x.location)),
    );
    let all: Vec<GeoPoint> = points.iter().map(|p| p.4).collect();
    let Some(area) = Area::of(&all) else { return };
    for (t, row, what, id, p) in points {
        let Some(d) = area.far(p) else { continue };
        let swapped = GeoPoint::new(p.lon, p.lat);
        let msg = if p.lon.abs() <= 90.0 && area.far(swapped).is_none() {
            format!(
                "lat {} and lon {} of {what} {} look swapped: exchanged, they lie among the season's other places; \
                 put the latitude in lat and the longitude in lon",
                p.lat,
                p.lon,
                q(id)
            )
        } else {
            format!(
                "{what} {} lies {} km from the middle of the season's other places (most lie within {} km); \
                 check its lat and lon",
                q(id),
                d.round(),
                area.radius_km.round()
            )
        };
        rep.warn(t, row, Some("lat"), msg);
    }
}

fn commutes(rep: &mut Reporter, s: &Season, rows: &Rows) {
    for (l, row) in s.learners().iter().zip(&rows.learners) {
        let km = l.max_commute_km;
        let msg = if km == 0.0 {
            format!("max_commute_km of learner {} is 0: only a site at their own address is in reach; give the longest commute in km", q(&l.id))
        } else if km > MAX_PLAUSIBLE_COMMUTE_KM {
            format!(
                "max_commute_km of learner {} is {km}, more than a day's travel allows ({MAX_PLAUSIBLE_COMMUTE_KM} km); \
                 give the longest commute in km (not metres or miles)",
                q(&l.id)
            )
        } else {
            continue;
        };
        rep.warn(TableName::Learners, *row, Some("max_commute_km"), msg);
    }
}

/// The smallest count that is "far above" counts whose median is `median`:
/// ten times the median, and at least 25.
pub(crate) fn seats_far_above(median: f64) -> f64 {
    (10.0 * median).max(25.0)
}

fn seats(rep: &mut Reporter, s: &Season, rows: &Rows) {
    let mut seats: Vec<f64> = s.groups().iter().filter(|g| g.seats > 0).map(|g| f64::from(g.seats)).collect();
    let med = median(&mut seats);
    let limit = seats_far_above(med);
    for (g, row) in s.groups().iter().zip(&rows.groups) {
        if f64::from(g.seats) > limit {
            let (w, p) = (&s.workplace(g.workplace).id, &s.programme(g.programme).id);
            rep.warn(
                TableName::Recognitions,
                *row,
                Some("seats"),
                format!(
                    "{} seats at {} for {} is far above the rest (half of the recognitions have at most {med}); \
                     check the number",
                    g.seats,
                    q(w),
                    q(p)
                ),
            );
        }
    }
    let mut caps: Vec<f64> =
        s.workplaces().iter().filter_map(|w| w.capacity).filter(|c| *c > 0).map(f64::from).collect();
    let med = median(&mut caps);
    let limit = seats_far_above(med);
    for (w, row) in s.workplaces().iter().zip(&rows.workplaces) {
        if let Some(c) = w.capacity.filter(|c| f64::from(*c) > limit) {
            rep.warn(
                TableName::Workplaces,
                *row,
                Some("capacity"),
                format!(
                    "capacity {c} of site {} is far above the rest (half of the sites have at most {med}); check the number",
                    q(&w.id)
                ),
            );
        }
    }
}

/// Whether the nearest site, `d` km away, is so far beyond a commute of
/// `max_km` that the data rather than the map is the likely cause: more than
/// three times the commute and more than 100 km beyond it. (A learner whose
/// nearest site is only somewhat beyond reach is a fact of the map, reported
/// as unplaced by `match`, not here.)
fn far_out_of_reach(d: f64, max_km: f64) -> bool {
    d > 3.0 * max_km && d > max_km + 100.0
}

/// The screened learners (index, km to the nearest site with a seat of
/// their programme) [`far_out_of_reach`] of every site, through the
/// [`SiteIndex`].
fn unreachable_learners(s: &Season) -> Vec<(usize, f64)> {
    let passed = s.learners().iter().any(|l| l.screening == Screening::Passed);
    if !passed || s.groups().is_empty() {
        return Vec::new();
    }
    let index = SiteIndex::new(s);
    s.learners()
        .par_iter()
        .enumerate()
        .filter(|(_, l)| l.screening == Screening::Passed && l.max_commute_km > 0.0)
        .filter_map(|(i, l)| {
            let g = index.nearest(l.programme, l.location)?;
            let d = haversine_km(l.location, s.workplace(s.group(g).workplace).location);
            far_out_of_reach(d, l.max_commute_km).then_some((i, d))
        })
        .collect()
}

fn unreachable(rep: &mut Reporter, s: &Season, rows: &Rows) {
    let far = unreachable_learners(s);
    for (i, d) in far {
        let l = &s.learners()[i];
        rep.warn(
            TableName::Learners,
            rows.learners[i],
            Some("max_commute_km"),
            format!(
                "learner {} has no site of programme {} within {} km (the nearest with a seat is {} km away), \
                 so cannot be placed; check the learner's lat, lon and max_commute_km",
                q(&l.id),
                q(&s.programme(l.programme).id),
                l.max_commute_km,
                d.ceil()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{generate, Preset, SynthParams};

    /// [`unreachable_learners`] by a scan of every site of the programme.
    fn unreachable_by_scan(s: &Season) -> Vec<(usize, f64)> {
        let mut out = Vec::new();
        for (i, l) in s.learners().iter().enumerate() {
            if l.screening != Screening::Passed || l.max_commute_km <= 0.0 {
                continue;
            }
            let nearest = s
                .groups_of_programme(l.programme)
                .iter()
                .map(|&g| s.group(g))
                .filter(|g| g.seats > 0 && s.workplace(g.workplace).capacity != Some(0))
                .map(|g| haversine_km(l.location, s.workplace(g.workplace).location))
                .min_by(f64::total_cmp);
            if let Some(d) = nearest.filter(|d| far_out_of_reach(*d, l.max_commute_km)) {
                out.push((i, d));
            }
        }
        out
    }

    #[test]
    fn out_of_reach_learners_through_the_index_equal_a_scan() {
        let mut flagged = 0;
        for seed in 1..=4 {
            let mut doc = generate(&SynthParams::preset(Preset::Tiny, seed));
            // Every third learner 2 to 4 degrees north (about 220 to 450 km).
            for (i, l) in doc.learners.iter_mut().enumerate() {
                if i % 3 == 0 {
                    l.lat += 2.0 + (i % 7) as f64 * 0.3;
                }
            }
            let s = crate::season::from_doc(doc).unwrap().season;
            let fast = unreachable_learners(&s);
            let slow = unreachable_by_scan(&s);
            assert_eq!(fast.len(), slow.len(), "seed {seed}");
            for ((i, d), (j, e)) in fast.iter().zip(&slow) {
                assert_eq!(i, j);
                assert!((d - e).abs() < 1e-9, "{d} vs {e}");
            }
            flagged += fast.len();
        }
        assert!(flagged > 10, "too few learners out of reach to compare: {flagged}");
    }

    #[test]
    fn the_area_is_robust_to_a_quarter_of_swapped_points() {
        // 100 points around Ghent, 25 of them swapped.
        let mut points: Vec<GeoPoint> =
            (0..100).map(|i| GeoPoint::new(51.0 + (i % 10) as f64 * 0.05, 3.7 + (i / 10) as f64 * 0.05)).collect();
        for p in points.iter_mut().take(25) {
            *p = GeoPoint::new(p.lon, p.lat);
        }
        let area = Area::of(&points).unwrap();
        assert!(points[..25].iter().all(|p| area.far(*p).is_some()));
        assert!(points[25..].iter().all(|p| area.far(*p).is_none()));
        assert!(area.far(GeoPoint::new(points[0].lon, points[0].lat)).is_none(), "swapped back, it is inside");
        assert!(Area::of(&points[..4]).is_none());
    }
}
