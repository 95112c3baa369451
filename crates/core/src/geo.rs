//! Geography: points on the earth and great-circle distances.

use serde::{Deserialize, Serialize};

/// Mean earth radius in kilometres (IUGG), used by [`haversine_km`].
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A point given by latitude and longitude in degrees (WGS84).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude in degrees, -90 to 90.
    pub lat: f64,
    /// Longitude in degrees, -180 to 180.
    pub lon: f64,
}

impl GeoPoint {
    /// A point at `lat`, `lon` (degrees).
    pub fn new(lat: f64, lon: f64) -> Self {
        Self { lat, lon }
    }

    /// Great-circle distance to `other` in kilometres.
    pub fn distance_km(self, other: GeoPoint) -> f64 {
        haversine_km(self, other)
    }

    /// The point as a unit vector in 3-D (x, y, z), for spatial indexing:
    /// the chord length between two unit vectors is monotone in their
    /// great-circle distance.
    pub fn unit_vector(self) -> [f64; 3] {
        let (la, lo) = (self.lat.to_radians(), self.lon.to_radians());
        [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()]
    }
}

/// Great-circle distance between two points in kilometres (haversine formula).
pub fn haversine_km(a: GeoPoint, b: GeoPoint) -> f64 {
    prepared_km(a.prepared(), b.prepared())
}

/// A point prepared for many distances: its latitude in radians with that
/// latitude's cosine, computed once.
#[derive(Clone, Copy, Debug)]
pub struct Prepared {
    la: f64,
    cos_la: f64,
    lon: f64,
}

impl GeoPoint {
    /// The point prepared for [`prepared_km`].
    pub fn prepared(self) -> Prepared {
        let la = self.lat.to_radians();
        Prepared { la, cos_la: la.cos(), lon: self.lon }
    }
}

/// [`haversine_km`] of two prepared points: the same value, to the bit. It
/// is also symmetric to the bit (`sin` is odd and the cosines' product
/// commutes), so a distance matrix needs one call per pair.
pub fn prepared_km(a: Prepared, b: Prepared) -> f64 {
    let dlat = b.la - a.la;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + a.cos_la * b.cos_la * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// The chord length (on the unit sphere) that corresponds to a great-circle
/// distance of `km`. Used to turn a commute radius into a Euclidean query
/// radius on [`GeoPoint::unit_vector`] points.
pub fn chord_for_km(km: f64) -> f64 {
    let angle = (km / EARTH_RADIUS_KM).min(std::f64::consts::PI);
    2.0 * (angle / 2.0).sin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distance_ghent_brussels() {
        // Gent Sint-Pieters to Brussel-Centraal is about 50 km as the crow flies.
        let gent = GeoPoint::new(51.0357, 3.7107);
        let brussel = GeoPoint::new(50.8454, 4.3571);
        let d = haversine_km(gent, brussel);
        assert!((d - 49.6).abs() < 1.5, "got {d}");
        assert_eq!(haversine_km(gent, gent), 0.0);
        assert!((haversine_km(gent, brussel) - haversine_km(brussel, gent)).abs() < 1e-9);
    }

    #[test]
    fn chord_is_monotone_and_matches_unit_vectors() {
        let a = GeoPoint::new(50.9, 4.1);
        let b = GeoPoint::new(51.2, 4.4);
        let (ua, ub) = (a.unit_vector(), b.unit_vector());
        let chord = ((ua[0] - ub[0]).powi(2) + (ua[1] - ub[1]).powi(2) + (ua[2] - ub[2]).powi(2)).sqrt();
        let expected = chord_for_km(haversine_km(a, b));
        assert!((chord - expected).abs() < 1e-12, "{chord} vs {expected}");
        assert!(chord_for_km(10.0) < chord_for_km(10.5));
    }
}
