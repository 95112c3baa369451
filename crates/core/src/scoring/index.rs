//! The spatial index of placeable sites, one 3-D R-tree per programme.

use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;

use super::components::capacity_fit;
use super::gates::placeable;
use crate::geo::{chord_for_km, GeoPoint, EARTH_RADIUS_KM};
use crate::ids::{GroupId, LearnerId, ProgrammeId, SchoolId, TagId, WorkplaceId};
use crate::season::Season;

pub(crate) type Site = GeomWithData<[f64; 3], SiteRec>;

/// R-tree node sizes: wider nodes than rstar's default (6) make radius
/// queries that return dozens of sites visit fewer nodes. The tree is only
/// bulk-loaded, so insertion quality does not matter.
pub(crate) struct WideNodes;

impl rstar::RTreeParams for WideNodes {
    const MIN_SIZE: usize = 6;
    const MAX_SIZE: usize = NODE;
    const REINSERTION_COUNT: usize = 2;
    type DefaultInsertionStrategy = rstar::RStarInsertionStrategy;
}
const NODE: usize = 16;

/// What the gates need of a placeable recognition, stored in the R-tree leaf
/// so that a query touches no other memory.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct SiteRec {
    /// The recognition.
    pub group: GroupId,
    /// Its site.
    pub workplace: WorkplaceId,
    /// Site position, precomputed for [`Here::distance_km`].
    pub at: Here,
    /// Required tags with id below 64, as a bit set.
    pub requires: u64,
    /// Whether the site also requires a tag with id 64 or more (then the
    /// full lists are compared).
    pub requires_more: bool,
    /// The site's minimum readiness.
    pub min_readiness: u8,
    /// What scoring needs of the site.
    pub scoring: SiteScoring,
}

/// What scoring needs of a site, kept in the R-tree leaf next to the gate
/// data so that scoring a pair touches no other site memory.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct SiteScoring {
    /// [`capacity_fit`] of the site.
    pub capacity: f64,
    /// Range of the site's ranking in [`SiteIndex::site_prefs`].
    pub prefs: [u32; 2],
    /// Range of the site's partner schools in [`SiteIndex::partners`].
    pub partners: [u32; 2],
}

/// [`capacity_fit`] of a site: its capacity against the seats of all its recognitions.
pub(crate) fn site_capacity(season: &Season, w: WorkplaceId) -> f64 {
    let seats: u64 = season.groups_of_workplace(w).iter().map(|g| u64::from(season.group(*g).seats)).sum();
    capacity_fit(season.workplace(w).capacity, seats)
}

/// A point with the parts of [`crate::geo::haversine_km`] that depend on it alone
/// precomputed. [`Here::distance_km`] is bit-for-bit [`crate::geo::haversine_km`]: it
/// performs the same operations in the same order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Here {
    lat_rad: f64,
    cos_lat: f64,
    lon: f64,
}

impl Here {
    pub(crate) fn new(p: GeoPoint) -> Here {
        let lat_rad = p.lat.to_radians();
        Here { lat_rad, cos_lat: lat_rad.cos(), lon: p.lon }
    }

    /// [`crate::geo::haversine_km`] from `self` to `b`.
    #[inline]
    pub(crate) fn distance_km(&self, b: &Here) -> f64 {
        let dlat = b.lat_rad - self.lat_rad;
        let dlon = (b.lon - self.lon).to_radians();
        let h = (dlat / 2.0).sin().powi(2) + self.cos_lat * b.cos_lat * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
    }
}

/// The tags with id below 64 as a bit set, and whether any tag is 64 or more.
pub(crate) fn tag_mask(tags: &[TagId]) -> (u64, bool) {
    let mut mask = 0u64;
    let mut more = false;
    for t in tags {
        if t.0 < 64 {
            mask |= 1 << t.0;
        } else {
            more = true;
        }
    }
    (mask, more)
}

/// Relative inflation of the chord query radius, so that floating-point error
/// in the unit vectors never loses a site at exactly the commute cap; the
/// exact [`crate::geo::haversine_km`] comparison then removes the extra sites.
const CHORD_INFLATE_REL: f64 = 1e-6;
/// Absolute inflation of the chord radius (about 6 mm on the earth).
const CHORD_INFLATE_ABS: f64 = 1e-9;

/// Placeable recognitions (at least 1 seat, capacity not 0) bucketed by
/// programme, each bucket an R-tree over the sites' unit vectors
/// ([`GeoPoint::unit_vector`]). A ball of chord radius
/// [`chord_for_km`]`(km)` around a learner's unit vector holds exactly the
/// sites within `km` great-circle km, so a radius query replaces a scan of
/// all sites.
pub struct SiteIndex {
    trees: Vec<RTree<Site, WideNodes>>,
    /// Recognitions of each programme, placeable or not.
    pub(super) recognised: Vec<usize>,
    /// Each site's ranking as (learner, 1-based rank), sorted by learner
    /// within a site (ranges in [`SiteScoring::prefs`]).
    pub(crate) site_prefs: Vec<(LearnerId, u32)>,
    /// Each site's partner schools (ranges in [`SiteScoring::partners`]).
    pub(crate) partners: Vec<SchoolId>,
}

impl std::fmt::Debug for SiteIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiteIndex").field("sites", &self.trees.iter().map(|t| t.size()).collect::<Vec<_>>()).finish()
    }
}

impl SiteIndex {
    /// Builds the index (programmes in parallel).
    pub fn new(season: &Season) -> SiteIndex {
        let mut site_prefs = Vec::new();
        let mut partners = Vec::new();
        let to_u32 = |n: usize| u32::try_from(n).expect("more than u32::MAX preferences or partners");
        let scoring: Vec<SiteScoring> = season
            .workplaces()
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let p0 = site_prefs.len();
                site_prefs.extend(w.preferences.iter().enumerate().map(|(k, l)| (*l, w.rank_of_entry(k))));
                site_prefs[p0..].sort_unstable();
                let s0 = partners.len();
                partners.extend_from_slice(&w.partner_schools);
                SiteScoring {
                    capacity: site_capacity(season, WorkplaceId::from_index(i)),
                    prefs: [to_u32(p0), to_u32(site_prefs.len())],
                    partners: [to_u32(s0), to_u32(partners.len())],
                }
            })
            .collect();
        let trees = (0..season.programmes().len())
            .into_par_iter()
            .map(|p| {
                let sites: Vec<Site> = season
                    .groups_of_programme(ProgrammeId::from_index(p))
                    .iter()
                    .filter_map(|&g| {
                        let grp = season.group(g);
                        let w = season.workplace(grp.workplace);
                        let (requires, requires_more) = tag_mask(&w.requires);
                        let rec = SiteRec {
                            group: g,
                            workplace: grp.workplace,
                            at: Here::new(w.location),
                            requires,
                            requires_more,
                            min_readiness: w.min_readiness,
                            scoring: scoring[grp.workplace.index()],
                        };
                        placeable(grp, w).then(|| GeomWithData::new(w.location.unit_vector(), rec))
                    })
                    .collect();
                RTree::bulk_load_with_params(sites)
            })
            .collect();
        let recognised = (0..season.programmes().len())
            .map(|p| season.groups_of_programme(ProgrammeId::from_index(p)).len())
            .collect();
        SiteIndex { trees, recognised, site_prefs, partners }
    }

    /// The placeable recognitions of `programme` whose site may be within
    /// `max_km` of `from` (a superset: callers compare the exact distance).
    /// Nothing when `max_km` is negative or NaN.
    pub(crate) fn near(
        &self,
        programme: ProgrammeId,
        from: GeoPoint,
        max_km: f64,
    ) -> impl Iterator<Item = &SiteRec> + '_ {
        let tree = self.trees.get(programme.index());
        let r = if max_km >= 0.0 { chord_for_km(max_km) * (1.0 + CHORD_INFLATE_REL) + CHORD_INFLATE_ABS } else { -1.0 };
        tree.filter(|_| r >= 0.0)
            .into_iter()
            .flat_map(move |t| t.locate_within_distance(from.unit_vector(), r * r))
            .map(|s| &s.data)
    }

    /// The R-tree of the placeable recognitions of `programme`.
    pub(crate) fn tree(&self, programme: ProgrammeId) -> Option<&RTree<Site, WideNodes>> {
        self.trees.get(programme.index())
    }

    /// The placeable recognition of `programme` nearest to `from`.
    pub(crate) fn nearest(&self, programme: ProgrammeId, from: GeoPoint) -> Option<GroupId> {
        let t = self.trees.get(programme.index())?;
        let q = from.unit_vector();
        t.nearest_neighbor(&q).or_else(|| t.nearest_neighbor_iter(&q).next()).map(|s| s.data.group)
    }

    /// The number of placeable recognitions of `programme`.
    pub fn placeable_sites(&self, programme: ProgrammeId) -> usize {
        self.trees.get(programme.index()).map_or(0, |t| t.size())
    }
}
