//! The follow-up plan: for each school, the sites its coaches visit (where
//! its learners are placed) and visiting rounds that start and end at the
//! school and keep travel short.
//!
//! A round is a tour: nearest neighbour from the school, then 2-opt (reverse
//! a stretch of the tour whenever that shortens it) until no reversal helps.
//! So a round is never longer than the nearest-neighbour tour. With a limit
//! of `N` visits per day, the tour of all the school's sites is cut into
//! consecutive stretches of at most `N` sites, and each stretch is toured
//! again from the school. Distances are great-circle km (as the crow flies),
//! not road km. Everything is deterministic: sites in id order, ties to the
//! lower index.

use dualmatch_core::geo::{prepared_km, GeoPoint, Prepared};
use dualmatch_core::{LearnerId, MentorId, SchoolId, Season, WorkplaceId};

/// The follow-up plan of every school with placed learners.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FollowUp {
    /// One entry per school with at least one placed learner, in school order.
    pub schools: Vec<SchoolPlan>,
}

/// The visits of one school.
#[derive(Clone, Debug, PartialEq)]
pub struct SchoolPlan {
    /// The school.
    pub school: SchoolId,
    /// The rounds, numbered from 1; together they visit every site once.
    pub rounds: Vec<Round>,
}

impl SchoolPlan {
    /// The number of distinct sites the school's coaches visit.
    pub fn sites(&self) -> usize {
        self.rounds.iter().map(|r| r.visits.len()).sum()
    }

    /// The km of all the school's rounds.
    pub fn total_km(&self) -> f64 {
        self.rounds.iter().map(|r| r.total_km).sum()
    }
}

/// One visiting round: from the school to each site in order and back.
#[derive(Clone, Debug, PartialEq)]
pub struct Round {
    /// The visits, in order.
    pub visits: Vec<Visit>,
    /// The km from the last site back to the school.
    pub return_km: f64,
    /// The km of the whole round, the way back included.
    pub total_km: f64,
}

/// One site on a round.
#[derive(Clone, Debug, PartialEq)]
pub struct Visit {
    /// The site.
    pub workplace: WorkplaceId,
    /// The school's learners placed there, with their mentor's id at a site
    /// with mentors (`mentors.csv`).
    pub learners: Vec<(LearnerId, Option<String>)>,
    /// The km from the previous stop (the school for the first visit).
    pub leg_km: f64,
}

/// The follow-up plan for `placements` (learner and site, any order): per
/// school, rounds of at most `visits_per_day` sites (`None` or `Some(0)`: one
/// round for all its sites). `mentors`: per learner, the mentor at a site
/// with mentors (as [`crate::mentors::assign`] gives them; empty for none).
pub fn plan(
    season: &Season,
    placements: impl IntoIterator<Item = (LearnerId, WorkplaceId)>,
    mentors: &[Option<MentorId>],
    visits_per_day: Option<usize>,
) -> FollowUp {
    let mentor_of = |l: LearnerId| mentors.get(l.index()).copied().flatten().map(|k| season.mentor(k).id.clone());
    let mut by_school: Vec<Vec<(WorkplaceId, LearnerId)>> = vec![Vec::new(); season.schools().len()];
    for (l, w) in placements {
        by_school[season.learner(l).school.index()].push((w, l));
    }
    // Each school's rounds on their own (in parallel), in school order.
    use rayon::prelude::*;
    let schools = by_school
        .into_par_iter()
        .enumerate()
        .filter(|(_, pairs)| !pairs.is_empty())
        .map(|(si, pairs)| school_plan(season, SchoolId::from_index(si), pairs, &mentor_of, visits_per_day))
        .collect();
    FollowUp { schools }
}

/// The rounds of `school`, whose placed learners are `pairs` (site, learner).
fn school_plan(
    season: &Season,
    school: SchoolId,
    mut pairs: Vec<(WorkplaceId, LearnerId)>,
    mentor_of: &(impl Fn(LearnerId) -> Option<String> + Sync),
    visits_per_day: Option<usize>,
) -> SchoolPlan {
    pairs.sort_unstable();
    let mut sites: Vec<WorkplaceId> = pairs.iter().map(|p| p.0).collect();
    sites.dedup();
    let home = season.school(school).location;
    let at: Vec<GeoPoint> = sites.iter().map(|w| season.workplace(*w).location).collect();
    let all = distances(home, &at);
    let order = tour(&all);
    let limit = visits_per_day.filter(|n| *n > 0).unwrap_or(usize::MAX);
    let rounds = order
        .chunks(limit)
        .map(|chunk| {
            // The round's visits in order (indices into `chunk`), its
            // matrix, and each of its nodes' row there (0: the school). One
            // round for all the sites is the tour itself, over the tour's
            // matrix; a shorter one is toured again over its own.
            let (own, local);
            let (d, node): (&[Vec<f64>], Vec<usize>) = if chunk.len() == order.len() {
                local = (0..chunk.len()).collect::<Vec<usize>>();
                (&all, std::iter::once(0).chain(chunk.iter().map(|&i| i + 1)).collect())
            } else {
                own = distances(home, &chunk.iter().map(|&i| at[i]).collect::<Vec<_>>());
                local = tour(&own);
                (&own, (0..=chunk.len()).collect())
            };
            let mut prev = 0usize;
            let mut visits = Vec::with_capacity(local.len());
            for &k in &local {
                let w = sites[chunk[k]];
                // `pairs` is sorted by site: the site's learners are one run of it.
                let from = pairs.partition_point(|p| p.0 < w);
                let to = from + pairs[from..].partition_point(|p| p.0 == w);
                let learners = pairs[from..to].iter().map(|p| (p.1, mentor_of(p.1))).collect();
                visits.push(Visit { workplace: w, learners, leg_km: d[node[prev]][node[k + 1]] });
                prev = k + 1;
            }
            let return_km = d[node[prev]][0];
            let total_km = visits.iter().map(|v| v.leg_km).sum::<f64>() + return_km;
            Round { visits, return_km, total_km }
        })
        .collect();
    SchoolPlan { school, rounds }
}

/// The great-circle km between every pair of `home` (index 0) and `sites`
/// (indices 1 to n): [`dualmatch_core::geo::haversine_km`] of each pair,
/// computed once per pair (it is symmetric to the bit).
fn distances(home: GeoPoint, sites: &[GeoPoint]) -> Vec<Vec<f64>> {
    let pts: Vec<Prepared> = std::iter::once(home).chain(sites.iter().copied()).map(GeoPoint::prepared).collect();
    let n = pts.len();
    // A point's distance to itself is 0, as haversine_km gives it.
    let mut d = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..i {
            let km = prepared_km(pts[i], pts[j]);
            d[i][j] = km;
            d[j][i] = km;
        }
    }
    d
}

/// The length of the closed tour 0 → `order` (as 1-based nodes: site `i` is
/// node `i + 1`) → 0 over the matrix `d`.
pub fn tour_length(d: &[Vec<f64>], order: &[usize]) -> f64 {
    let mut prev = 0;
    let mut total = 0.0;
    for &i in order {
        total += d[prev][i + 1];
        prev = i + 1;
    }
    total + d[prev][0]
}

/// The nearest-neighbour tour over the matrix `d` (node 0 the start and end,
/// nodes 1 to n the sites): from the start, always the nearest site not yet
/// visited (ties to the lower index). Returns site indices (node - 1).
pub fn nearest_neighbour(d: &[Vec<f64>]) -> Vec<usize> {
    let n = d.len().saturating_sub(1);
    let mut left: Vec<bool> = vec![true; n];
    let mut order = Vec::with_capacity(n);
    let mut at = 0usize;
    for _ in 0..n {
        let next = (0..n).filter(|&i| left[i]).min_by(|&a, &b| d[at][a + 1].total_cmp(&d[at][b + 1]).then(a.cmp(&b)));
        let Some(i) = next else { break };
        left[i] = false;
        order.push(i);
        at = i + 1;
    }
    order
}

/// The tour of [`nearest_neighbour`] improved by 2-opt: while reversing a
/// stretch of the tour shortens it by more than a millimetre, reverse it
/// (first improvement, scanning in order). Never longer than the
/// nearest-neighbour tour.
pub fn tour(d: &[Vec<f64>]) -> Vec<usize> {
    let order = nearest_neighbour(d);
    let n = order.len();
    // The closed path: the node at each position, the school (0) at both ends.
    let mut path: Vec<usize> = Vec::with_capacity(n + 2);
    path.push(0);
    path.extend(order.iter().map(|&i| i + 1));
    path.push(0);
    let mut improved = true;
    while improved {
        improved = false;
        for i in 1..n {
            // The edge (a, b) at positions i - 1, i; a stays while j runs, and
            // b is the node that a reversal of i..=j brings to position i.
            let da = &d[path[i - 1]];
            let mut b = path[i];
            let (mut db, mut dab) = (&d[b], da[b]);
            for j in i + 1..=n {
                let (c, e) = (path[j], path[j + 1]);
                let delta = da[c] + db[e] - dab - d[c][e];
                if delta < -1e-6 {
                    path[i..=j].reverse();
                    b = path[i];
                    (db, dab) = (&d[b], da[b]);
                    improved = true;
                }
            }
        }
    }
    path[1..=n].iter().map(|&v| v - 1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn matrix(pts: &[(f64, f64)]) -> Vec<Vec<f64>> {
        let g: Vec<GeoPoint> = pts.iter().map(|p| GeoPoint::new(p.0, p.1)).collect();
        distances(g[0], &g[1..])
    }

    proptest! {
        /// The matrix holds haversine_km of every ordered pair, to the bit
        /// (it computes each pair once), so tours and km are unchanged.
        #[test]
        fn distances_are_haversine_of_every_ordered_pair(
            pts in proptest::collection::vec((-89.9f64..89.9, -179.9f64..179.9), 1..12),
            near in proptest::bool::ANY,
        ) {
            // Also points close together, where rounding matters most.
            let pts: Vec<GeoPoint> = pts
                .iter()
                .map(|&(la, lo)| if near { GeoPoint::new(51.0 + la / 1e4, 3.7 + lo / 1e4) } else { GeoPoint::new(la, lo) })
                .collect();
            let d = distances(pts[0], &pts[1..]);
            for (i, a) in pts.iter().enumerate() {
                for (j, b) in pts.iter().enumerate() {
                    prop_assert_eq!(d[i][j].to_bits(), dualmatch_core::geo::haversine_km(*a, *b).to_bits());
                }
            }
        }
    }

    /// [`tour`] as it was first written: the node of each position looked up
    /// in the order, every edge's length read from the matrix at each step.
    fn tour_by_definition(d: &[Vec<f64>]) -> Vec<usize> {
        let mut order = nearest_neighbour(d);
        let n = order.len();
        let node = |order: &[usize], p: usize| if p == 0 || p == n + 1 { 0 } else { order[p - 1] + 1 };
        let mut improved = true;
        while improved {
            improved = false;
            for i in 1..n {
                for j in i + 1..=n {
                    let (a, b) = (node(&order, i - 1), node(&order, i));
                    let (c, e) = (node(&order, j), node(&order, j + 1));
                    let delta = d[a][c] + d[b][e] - d[a][b] - d[c][e];
                    if delta < -1e-6 {
                        order[i - 1..j].reverse();
                        improved = true;
                    }
                }
            }
        }
        order
    }

    proptest! {
        /// The tour is the one of the first implementation, to the order,
        /// for seasons of up to 60 sites (many reversals) in a small area.
        #[test]
        fn the_tour_is_the_first_implementations(
            pts in prop::collection::vec((50.8f64..51.3, 3.3f64..4.2), 1..60)
        ) {
            let d = matrix(&pts);
            prop_assert_eq!(tour(&d), tour_by_definition(&d));
        }
    }

    /// The shortest tour by trying every order (tiny n only).
    fn brute_force(d: &[Vec<f64>]) -> f64 {
        fn go(d: &[Vec<f64>], order: &mut Vec<usize>, left: &mut Vec<usize>, best: &mut f64) {
            if left.is_empty() {
                *best = best.min(tour_length(d, order));
                return;
            }
            for k in 0..left.len() {
                let i = left.remove(k);
                order.push(i);
                go(d, order, left, best);
                order.pop();
                left.insert(k, i);
            }
        }
        let mut best = f64::INFINITY;
        go(d, &mut Vec::new(), &mut (0..d.len() - 1).collect(), &mut best);
        best
    }

    proptest! {
        #[test]
        fn a_round_visits_each_site_once_and_is_no_longer_than_nearest_neighbour(
            pts in prop::collection::vec((50.8f64..51.3, 3.3f64..4.2), 1..12)
        ) {
            let d = matrix(&pts);
            let t = tour(&d);
            let mut sorted = t.clone();
            sorted.sort_unstable();
            prop_assert_eq!(sorted, (0..pts.len() - 1).collect::<Vec<_>>());
            let (lt, lnn) = (tour_length(&d, &t), tour_length(&d, &nearest_neighbour(&d)));
            prop_assert!(lt <= lnn + 1e-9, "2-opt {} > nearest neighbour {}", lt, lnn);
            if pts.len() <= 7 {
                prop_assert!(lt + 1e-9 >= brute_force(&d));
            }
            prop_assert_eq!(tour(&d), t, "deterministic");
        }
    }

    #[test]
    fn two_opt_shortens_the_nearest_neighbour_tours_that_are_not_optimal() {
        // 200 fixed pseudo-random seasons of 7 sites around Gent.
        let mut x = 12345u64;
        let mut next = || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut nn_optimal, mut opt_optimal, mut shortened) = (0, 0, 0);
        for _ in 0..200 {
            let pts: Vec<(f64, f64)> = (0..8).map(|_| (50.9 + 0.3 * next(), 3.5 + 0.5 * next())).collect();
            let d = matrix(&pts);
            let best = brute_force(&d);
            let (nn, t) = (tour_length(&d, &nearest_neighbour(&d)), tour_length(&d, &tour(&d)));
            assert!(t <= nn + 1e-9 && t + 1e-9 >= best);
            nn_optimal += usize::from(nn - best < 1e-6);
            opt_optimal += usize::from(t - best < 1e-6);
            shortened += usize::from(t < nn - 1e-6);
        }
        assert!(
            shortened > 0 && opt_optimal > nn_optimal,
            "{shortened} shortened; optimal {opt_optimal} vs {nn_optimal}"
        );
    }
}
