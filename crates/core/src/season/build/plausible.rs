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
use std::collections::HashMap;

use crate::geo::{haversine_km, prepared_km, GeoPoint, Prepared, EARTH_RADIUS_KM};
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
        let mut d: Vec<f64> = points.par_iter().map(|p| haversine_km(middle, *p)).collect();
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
    // Every place with its table, row, kind and id, in one order for both
    // passes (no list of them is built).
    let places = || {
        let schools =
            s.schools().iter().zip(&rows.schools).map(|(x, r)| (T::Schools, *r, "school", x.id.as_str(), x.location));
        let sites = (s.workplaces().iter().zip(&rows.workplaces))
            .map(|(x, r)| (T::Workplaces, *r, "site", x.id.as_str(), x.location));
        let learners = s
            .learners()
            .iter()
            .zip(&rows.learners)
            .map(|(x, r)| (T::Learners, *r, "learner", x.id.as_str(), x.location));
        schools.chain(sites).chain(learners)
    };
    let all: Vec<GeoPoint> = places().map(|p| p.4).collect();
    let Some(area) = Area::of(&all) else { return };
    let far: Vec<Option<f64>> = all.par_iter().map(|p| area.far(*p)).collect();
    for ((t, row, what, id, p), d) in places().zip(far) {
        let Some(d) = d else { continue };
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
    d > far_km(max_km)
}

/// The distance beyond which a site is far out of reach of a commute of `max_km`.
fn far_km(max_km: f64) -> f64 {
    (3.0 * max_km).max(max_km + 100.0)
}

/// The sites with a seat of each programme, in cells of one degree of
/// latitude and longitude: enough to ask whether any lies within a radius
/// of at least 100 km, exactly and cheaply (no spatial index to build).
struct Grid {
    /// Per (programme, cell), its sites, prepared for [`prepared_km`].
    cells: HashMap<(usize, i32, i32), Vec<Prepared>>,
    /// Per programme, its cells that hold a site.
    occupied: Vec<Vec<(i32, i32)>>,
}

impl Grid {
    fn new(s: &Season) -> Grid {
        let mut cells: HashMap<(usize, i32, i32), Vec<Prepared>> = HashMap::new();
        for g in s.groups() {
            if has_seat(s, g) {
                let p = s.workplace(g.workplace).location;
                cells.entry((g.programme.index(), cell(p.lat), lon_cell(p.lon))).or_default().push(p.prepared());
            }
        }
        let mut occupied = vec![Vec::new(); s.programmes().len()];
        for &(p, r, c) in cells.keys() {
            occupied[p].push((r, c));
        }
        for o in &mut occupied {
            o.sort_unstable();
        }
        Grid { cells, occupied }
    }

    /// Whether a site with a seat of `programme` lies within `km` of `from`:
    /// every such site lies in the cells of the latitude band `km` around
    /// `from` and, within it, of the longitudes a path of `km` can cross
    /// (at most `km / (R cos φ)` radians, φ the band's latitude nearest a pole).
    /// The cell of `from` is asked first: it nearly always holds such a site
    /// when there is one, and the corner cells of the window mostly hold
    /// sites beyond `km`, each measured before the answer.
    fn any_within(&self, programme: usize, from: GeoPoint, km: f64) -> bool {
        let dlat = (km / EARTH_RADIUS_KM).to_degrees() * 1.001 + 1e-6;
        let pole = (from.lat.abs() + dlat).min(90.0);
        let dlon = if pole >= 89.0 { 180.0 } else { dlat / pole.to_radians().cos() };
        let (r0, r1) = (cell(from.lat - dlat).max(-90), cell(from.lat + dlat).min(90));
        let (c0, c1) = if dlon >= 180.0 { (-180, 179) } else { (cell(from.lon - dlon), cell(from.lon + dlon)) };
        let at = from.prepared();
        let home = (cell(from.lat), lon_cell(from.lon));
        let in_cell = |r: i32, c: i32| {
            self.cells.get(&(programme, r, c)).is_some_and(|ps| ps.iter().any(|p| prepared_km(at, *p) <= km))
        };
        if in_cell(home.0, home.1) {
            return true;
        }
        let within = |r: i32, c: i32| (r, c) != home && in_cell(r, c);
        let occupied = &self.occupied[programme];
        let window = (i64::from(r1 - r0) + 1) * (i64::from(c1 - c0) + 1);
        if window > occupied.len() as i64 {
            // A wide radius: every cell with a site instead (as exact, and fewer).
            return occupied.iter().any(|&(r, c)| within(r, c));
        }
        (r0..=r1).any(|r| (c0..=c1).any(|c| within(r, (c + 180).rem_euclid(360) - 180)))
    }
}

/// The one-degree cell of a coordinate.
fn cell(x: f64) -> i32 {
    x.floor() as i32
}

/// The one-degree cell of a longitude, in -180..180.
fn lon_cell(lon: f64) -> i32 {
    (cell(lon) + 180).rem_euclid(360) - 180
}

/// The screened learners (index, km to the nearest site with a seat of
/// their programme) [`far_out_of_reach`] of every site: those for whom
/// [`Grid::any_within`] finds no such site within the far distance get the
/// nearest by a scan of the programme's sites (few learners). The grid only
/// ever answers "within" for a site it measured, so the result is exact
/// whatever its cells; the cells only decide how many learners are scanned.
fn unreachable_learners(s: &Season) -> Vec<(usize, f64)> {
    let passed = s.learners().iter().any(|l| l.screening == Screening::Passed);
    if !passed || s.groups().is_empty() {
        return Vec::new();
    }
    let grid = Grid::new(s);
    let has_site: Vec<bool> = (0..s.programmes().len())
        .map(|p| s.groups_of_programme(crate::ids::ProgrammeId::from_index(p)).iter().any(|&g| has_seat(s, s.group(g))))
        .collect();
    s.learners()
        .par_iter()
        .enumerate()
        .filter(|(_, l)| l.screening == Screening::Passed && l.max_commute_km > 0.0 && has_site[l.programme.index()])
        .filter(|(_, l)| !grid.any_within(l.programme.index(), l.location, far_km(l.max_commute_km)))
        .filter_map(|(i, l)| {
            let nearest = nearest_seat_km(s, l)?;
            far_out_of_reach(nearest, l.max_commute_km).then_some((i, nearest))
        })
        .collect()
}

/// Whether a recognition has a seat a learner can take (seats, and a site
/// capacity other than 0).
fn has_seat(s: &Season, g: &crate::season::model::Group) -> bool {
    g.seats > 0 && s.workplace(g.workplace).capacity != Some(0)
}

/// The distance from `l` to the nearest site with a seat of their
/// programme, by a scan of the programme's recognitions.
fn nearest_seat_km(s: &Season, l: &crate::season::model::Learner) -> Option<f64> {
    s.groups_of_programme(l.programme)
        .iter()
        .map(|&g| s.group(g))
        .filter(|g| has_seat(s, g))
        .map(|g| haversine_km(l.location, s.workplace(g.workplace).location))
        .min_by(f64::total_cmp)
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

    /// [`unreachable_learners`] by a scan of every site of the programme, for every learner.
    fn unreachable_by_scan(s: &Season) -> Vec<(usize, f64)> {
        let mut out = Vec::new();
        for (i, l) in s.learners().iter().enumerate() {
            if l.screening != Screening::Passed || l.max_commute_km <= 0.0 {
                continue;
            }
            if let Some(d) = nearest_seat_km(s, l).filter(|d| far_out_of_reach(*d, l.max_commute_km)) {
                out.push((i, d));
            }
        }
        out
    }

    /// `lon` moved by `by` degrees, kept in -180..180.
    fn wrap(lon: f64, by: f64) -> f64 {
        (lon + by + 180.0).rem_euclid(360.0) - 180.0
    }

    #[test]
    fn out_of_reach_learners_through_the_grid_equal_a_scan() {
        let mut flagged = 0;
        // As generated; near the antimeridian; near the pole and across it.
        for (seed, (dlat, dlon)) in [(1, (0.0, 0.0)), (2, (0.0, 176.0)), (3, (30.0, 176.5)), (4, (38.0, -4.0))] {
            let mut doc = generate(&SynthParams::preset(Preset::Tiny, seed));
            // Every third learner 0.3 to 2.5 degrees north or east (about 20 to 280 km).
            for (i, l) in doc.learners.iter_mut().enumerate() {
                match i % 6 {
                    0 => l.lat += 0.3 + (i % 23) as f64 * 0.1,
                    3 => l.lon += 0.3 + (i % 29) as f64 * 0.15,
                    _ => {}
                }
            }
            let moved = |lat: &mut f64, lon: &mut f64| {
                *lat = (*lat + dlat).min(90.0);
                *lon = wrap(*lon, dlon);
            };
            doc.learners.iter_mut().for_each(|l| moved(&mut l.lat, &mut l.lon));
            doc.workplaces.iter_mut().for_each(|w| moved(&mut w.lat, &mut w.lon));
            doc.schools.iter_mut().for_each(|x| moved(&mut x.lat, &mut x.lon));
            let s = crate::season::from_doc(doc).unwrap().season;
            let fast = unreachable_learners(&s);
            let slow = unreachable_by_scan(&s);
            assert_eq!(fast, slow, "seed {seed}");
            flagged += fast.len();
        }
        assert!(flagged > 10, "too few learners out of reach to compare: {flagged}");
    }

    /// The longitude east of `lon` (across the antimeridian if need be) at
    /// `km` from (`lat`, `lon`) along the parallel, by bisection.
    fn east_at(lat: f64, lon: f64, km: f64) -> f64 {
        let (mut lo, mut hi) = (0.0, 60.0);
        for _ in 0..100 {
            let mid = (lo + hi) / 2.0;
            if haversine_km(GeoPoint::new(lat, lon), GeoPoint::new(lat, wrap(lon, mid))) < km {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        wrap(lon, lo)
    }

    #[test]
    fn the_grid_is_exact_at_the_threshold_far_north_and_across_the_antimeridian() {
        let mut doc = generate(&SynthParams::preset(Preset::Tiny, 5));
        // One site per programme alone far north at the antimeridian; its
        // programme's screened learners east of it, across the antimeridian,
        // just inside or just beyond the far distance.
        let mut inside_and_beyond = (0, 0);
        for (k, p) in doc.programmes.clone().iter().enumerate() {
            let Some(r) = doc.recognitions.iter().find(|r| r.programme == p.id && r.seats > 0) else { continue };
            let (w, lat) = (r.workplace.clone(), 60.0 + 5.0 * k as f64);
            let site = doc.workplaces.iter_mut().find(|x| x.id == w).unwrap();
            (site.lat, site.lon, site.capacity) = (lat, 179.9, None);
            let learners = doc.learners.iter_mut().filter(|l| l.programme == p.id && l.screening == Screening::Passed);
            for (i, l) in learners.enumerate() {
                let f = [0.999, 1.001, 0.99, 1.01][i % 4];
                inside_and_beyond = if f < 1.0 {
                    (inside_and_beyond.0 + 1, inside_and_beyond.1)
                } else {
                    (inside_and_beyond.0, inside_and_beyond.1 + 1)
                };
                (l.lat, l.lon) = (lat, east_at(lat, 179.9, f * far_km(l.max_commute_km)));
            }
        }
        assert!(inside_and_beyond.0 > 5 && inside_and_beyond.1 > 5, "{inside_and_beyond:?}");
        let s = crate::season::from_doc(doc).unwrap().season;
        let fast = unreachable_learners(&s);
        assert_eq!(fast, unreachable_by_scan(&s));
        assert!(fast.len() >= inside_and_beyond.1, "{} flagged", fast.len());
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
