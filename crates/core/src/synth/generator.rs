//! The generator: a season's learners, schools, sites and recognitions drawn
//! around the towns of a region.

use std::collections::HashSet;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;

use super::regions::{Region, FAMILIES, TAGS, TAG_BASE, TAG_BONUS};
use super::SynthParams;
use crate::geo::{chord_for_km, haversine_km, GeoPoint};
use crate::season::doc::{LearnerRec, ProgrammeRec, RecognitionRec, SchoolRec, Screening, SeasonDoc, WorkplaceRec};

// ---------------------------------------------------------------------------
// Shape of the season (shares and ranges).

/// Readiness 1..=4 of learners.
const LEARNER_READINESS: [f64; 4] = [0.10, 0.42, 0.36, 0.12];
/// `min_readiness` 1..=3 of sites.
const SITE_MIN_READINESS: [f64; 3] = [0.50, 0.35, 0.15];
const SCREEN_PASSED: f64 = 0.85;
const SCREEN_PENDING: f64 = 0.10;
const EXTRA_SUPPORT: f64 = 0.05;
const LEARNER_PREFS: f64 = 0.60;
const SITE_PREFS: f64 = 0.20;
const SITE_REQUIRES: f64 = 0.10;
/// Share of sites whose mentor capacity is below their seats.
const CAPACITY_BINDING: f64 = 0.40;
/// Share of sites run by a multi-site company.
const CHAIN_SITES: f64 = 0.08;
/// Partner schools 0..=3 per site.
const PARTNER_SCHOOLS: [f64; 4] = [0.40, 0.30, 0.20, 0.10];
/// Seats in one extra block of a recognition (1..=4).
const SEAT_BLOCK: [f64; 4] = [0.45, 0.30, 0.15, 0.10];
/// Range of seats per learner drawn per programme.
const RATIO_RANGE: (f64, f64) = (0.6, 1.6);
/// Learners live more spread out than sites are.
const LEARNER_SPREAD: f64 = 1.5;
/// Site preferences name learners living within this distance.
const SITE_PREF_KM: f64 = 20.0;
const MAX_SEATS: u32 = 4;
const MAX_RECOGNITIONS: usize = 3;

/// Items generated with one random stream in the parallel stages.
const CHUNK: usize = 2048;

/// Stages, each with its own random streams.
const STAGE_SETUP: u64 = 1;
const STAGE_SCHOOLS: u64 = 2;
const STAGE_LEARNERS: u64 = 3;
const STAGE_ALLOCATE: u64 = 4;
const STAGE_SITES: u64 = 5;
const STAGE_LEARNER_PREFS: u64 = 6;
const STAGE_SITE_PREFS: u64 = 7;

pub(super) fn stage_rng(seed: u64, stage: u64, chunk: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream((stage << 48) | chunk);
    rng
}

/// Runs `f` for each index in `0..n` in parallel chunks, each chunk with its
/// own stream, and returns the results in index order.
fn par_gen<T: Send>(n: usize, seed: u64, stage: u64, f: impl Fn(&mut ChaCha8Rng, usize) -> T + Sync) -> Vec<T> {
    let parts: Vec<Vec<T>> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut rng = stage_rng(seed, stage, c as u64);
            (c * CHUNK..((c + 1) * CHUNK).min(n)).map(|i| f(&mut rng, i)).collect()
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for p in parts {
        out.extend(p);
    }
    out
}

/// Sampling by cumulative weights.
struct Weighted(Vec<f64>);

impl Weighted {
    fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut acc = 0.0;
        Weighted(
            weights
                .into_iter()
                .map(|w| {
                    acc += w.max(0.0);
                    acc
                })
                .collect(),
        )
    }

    fn sample<R: Rng>(&self, rng: &mut R) -> usize {
        let total = self.0.last().copied().unwrap_or(0.0);
        if total <= 0.0 {
            return rng.gen_range(0..self.0.len().max(1));
        }
        let x = rng.gen::<f64>() * total;
        self.0.partition_point(|c| *c <= x).min(self.0.len() - 1)
    }
}

fn pick<'a, R: Rng>(rng: &mut R, items: &[&'a str]) -> &'a str {
    items[rng.gen_range(0..items.len())]
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// A standard normal pair (Box–Muller), truncated at 3 standard deviations.
fn gauss2<R: Rng>(rng: &mut R) -> (f64, f64) {
    let u1 = 1.0 - rng.gen::<f64>();
    let u2 = rng.gen::<f64>();
    let r = (-2.0 * u1.ln()).sqrt().min(3.0);
    let t = std::f64::consts::TAU * u2;
    (r * t.cos(), r * t.sin())
}

type Pt = GeomWithData<[f64; 3], u32>;

fn unit(lat: f64, lon: f64) -> [f64; 3] {
    GeoPoint::new(lat, lon).unit_vector()
}

/// Up to `limit` items nearest to `q` within chord `max_chord`, nearest first.
fn nearest(tree: &RTree<Pt>, q: [f64; 3], max_chord: f64, limit: usize) -> Vec<u32> {
    let max2 = max_chord * max_chord * (1.0 + 1e-9);
    tree.nearest_neighbor_iter_with_distance_2(&q)
        .take_while(|(_, d2)| *d2 <= max2)
        .take(limit)
        .map(|(p, _)| p.data)
        .collect()
}

/// Up to `limit` items within chord `max_chord` of `q`, in tree order (much
/// cheaper than [`nearest`] in dense areas).
fn within(tree: &RTree<Pt>, q: [f64; 3], max_chord: f64, limit: usize) -> Vec<u32> {
    let max2 = max_chord * max_chord * (1.0 + 1e-9);
    tree.locate_within_distance(q, max2).take(limit).map(|p| p.data).collect()
}

/// Splits `total` in proportion to `weights` (largest remainder, ties to the
/// lower index).
pub(super) fn apportion(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        let mut out = vec![0; weights.len()];
        for i in 0..total as usize {
            if let Some(o) = out.get_mut(i % weights.len().max(1)) {
                *o += 1;
            }
        }
        return out;
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut out: Vec<u64> = exact.iter().map(|e| e.floor() as u64).collect();
    let given: u64 = out.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| (exact[*b] - exact[*b].floor()).total_cmp(&(exact[*a] - exact[*a].floor())).then(a.cmp(b)));
    for i in 0..total.saturating_sub(given) as usize {
        out[order[i % order.len()]] += 1;
    }
    out
}

/// The place and geography of the season.
struct Geo {
    region: &'static Region,
    towns: Weighted,
    sigma_km: Vec<f64>,
}

impl Geo {
    fn new(region: &'static Region) -> Self {
        let max = region.towns.iter().map(|t| t.pop).max().unwrap_or(1) as f64;
        Geo {
            region,
            towns: Weighted::new(region.towns.iter().map(|t| f64::from(t.pop))),
            sigma_km: region
                .towns
                .iter()
                .map(|t| region.sigma_base_km + region.sigma_scale_km * (f64::from(t.pop) / max).sqrt())
                .collect(),
        }
    }

    /// A town by population and a point around it, rounded to 6 decimals.
    fn place<R: Rng>(&self, rng: &mut R, spread: f64) -> (usize, f64, f64) {
        let i = self.towns.sample(rng);
        let t = &self.region.towns[i];
        let (dx, dy) = gauss2(rng);
        let s = self.sigma_km[i] * spread;
        let lat = t.lat + dy * s / 111.32;
        let lon = t.lon + dx * s / (111.32 * lat.to_radians().cos());
        (i, round6(lat), round6(lon))
    }
}

/// Fills a name template.
fn fill<R: Rng>(rng: &mut R, region: &Region, template: &str, town: &str) -> String {
    let mut s = template.replace("{C}", town);
    let first = pick(rng, region.surnames);
    if s.contains("{T}") {
        let mut second = pick(rng, region.surnames);
        while second == first {
            second = pick(rng, region.surnames);
        }
        s = s.replace("{T}", second);
    }
    s = s.replace("{S}", first);
    if s.contains("{F}") {
        s = s.replace("{F}", pick(rng, region.first_names));
    }
    if s.contains("{W}") {
        s = s.replace("{W}", pick(rng, region.words));
    }
    s
}

fn id(prefix: char, n: usize, min_width: usize, count: usize) -> String {
    let width = min_width.max(count.to_string().len());
    format!("{prefix}{n:0width$}")
}

/// One site's recognitions: (programme index, seats), primary first.
type Recs = Vec<(u32, u32)>;

/// Seats per programme and their spread over sites.
///
/// Each programme's target is its ratio times its learners (strictly below or
/// above the learner count when the ratio is below or above 1). Every site needs
/// at least one seat; when the targets add up to fewer than `1.25 × sites`,
/// the difference goes to the programmes with a ratio of at least 1, so scarce
/// programmes stay scarce.
fn allocate(rng: &mut ChaCha8Rng, n_sites: usize, learners: &[u64], ratios: &[f64], families: &[usize]) -> Vec<Recs> {
    let np = learners.len();
    let mut target: Vec<u64> = (0..np)
        .map(|p| {
            let l = learners[p];
            let mut t = (ratios[p] * l as f64).round() as u64;
            if l > 0 && ratios[p] < 1.0 && t >= l {
                t = l - 1;
            }
            if l > 0 && ratios[p] > 1.0 && t <= l {
                t = l + 1;
            }
            t
        })
        .collect();
    if n_sites == 0 {
        return Vec::new();
    }
    let floor = n_sites as u64 + n_sites as u64 / 4;
    let sum: u64 = target.iter().sum();
    if sum < floor {
        let eligible: Vec<bool> = (0..np).map(|p| ratios[p] >= 1.0).collect();
        let any = eligible.iter().any(|e| *e);
        let w: Vec<f64> = (0..np).map(|p| if !any || eligible[p] { target[p] as f64 + 1.0 } else { 0.0 }).collect();
        for (t, extra) in target.iter_mut().zip(apportion(floor - sum, &w)) {
            *t += extra;
        }
    }
    let primaries = apportion(n_sites as u64, &target.iter().map(|t| *t as f64).collect::<Vec<_>>());
    let mut list: Vec<u32> = Vec::with_capacity(n_sites);
    for (p, n) in primaries.iter().enumerate() {
        list.resize(list.len() + *n as usize, p as u32);
    }
    list.shuffle(rng);
    let mut recs: Vec<Recs> = list.iter().map(|p| vec![(*p, 1)]).collect();
    let mut fam_sites: Vec<Vec<u32>> = vec![Vec::new(); FAMILIES];
    let mut recs_of: Vec<Vec<u32>> = vec![Vec::new(); np];
    for (w, p) in list.iter().enumerate() {
        fam_sites[families[*p as usize]].push(w as u32);
        recs_of[*p as usize].push(w as u32);
    }
    let block = Weighted::new(SEAT_BLOCK);
    let slot = |r: &Recs, p: u32| r.iter().position(|x| x.0 == p);
    for p in 0..np {
        let pu = p as u32;
        let mut left = target[p].saturating_sub(primaries[p]);
        'seats: while left > 0 {
            let chunk = (block.sample(rng) as u64 + 1).min(left) as u32;
            let secondary_first = rng.gen_bool(0.5);
            for attempt in 0..2 {
                if (attempt == 0) == secondary_first {
                    let fam = &fam_sites[families[p]];
                    for _ in 0..8 {
                        if fam.is_empty() {
                            break;
                        }
                        let w = fam[rng.gen_range(0..fam.len())] as usize;
                        if recs[w].len() < MAX_RECOGNITIONS && slot(&recs[w], pu).is_none() {
                            recs[w].push((pu, chunk));
                            recs_of[p].push(w as u32);
                            left -= u64::from(chunk);
                            continue 'seats;
                        }
                    }
                } else {
                    for _ in 0..8 {
                        if recs_of[p].is_empty() {
                            break;
                        }
                        let w = recs_of[p][rng.gen_range(0..recs_of[p].len())] as usize;
                        let s = slot(&recs[w], pu).expect("recs_of lists sites recognised for p");
                        if recs[w][s].1 + chunk <= MAX_SEATS {
                            recs[w][s].1 += chunk;
                            left -= u64::from(chunk);
                            continue 'seats;
                        }
                    }
                }
            }
            // Crowded: any site with room, starting at a random one.
            let start = rng.gen_range(0..n_sites);
            for k in 0..n_sites {
                let w = (start + k) % n_sites;
                match slot(&recs[w], pu) {
                    Some(s) if recs[w][s].1 < MAX_SEATS => {
                        let add = chunk.min(MAX_SEATS - recs[w][s].1);
                        recs[w][s].1 += add;
                        left -= u64::from(add);
                        continue 'seats;
                    }
                    None if recs[w].len() < MAX_RECOGNITIONS => {
                        recs[w].push((pu, chunk));
                        recs_of[p].push(w as u32);
                        left -= u64::from(chunk);
                        continue 'seats;
                    }
                    _ => {}
                }
            }
            break; // every site is full for this programme
        }
    }
    recs
}

/// Generates a synthetic season. Deterministic in `params` (including the seed),
/// independent of the number of threads, and always valid for
/// [`crate::season::from_doc`] (warnings aside).
pub fn generate(params: &SynthParams) -> SeasonDoc {
    let region = params.region();
    let geo = Geo::new(region);
    let seed = params.seed;
    let (nl, nw) = (params.learners, params.workplaces);
    let ns = params.schools.max(1);
    let np = params.programmes.max(1);

    // Programmes: popularity, seat ratio, family and tag.
    let mut rng = stage_rng(seed, STAGE_SETUP, 0);
    let specs: Vec<(String, usize, f64, Option<usize>)> = (0..np)
        .map(|i| match region.programmes.get(i) {
            Some(s) => (s.name.to_string(), s.family, s.weight, s.tag),
            None => {
                (format!("{} {}", region.extra_programme, i + 1), i % FAMILIES, 2.0, TAGS.len().checked_sub(1 + i % 7))
            }
        })
        .collect();
    let popularity = Weighted::new(specs.iter().map(|s| s.2 * rng.gen_range(0.75..1.25)));
    let mut ratios: Vec<f64> = (0..np).map(|_| rng.gen_range(RATIO_RANGE.0..=RATIO_RANGE.1)).collect();
    let families: Vec<usize> = specs.iter().map(|s| s.1).collect();
    let programmes: Vec<ProgrammeRec> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| ProgrammeRec { rhythm: None, id: id('P', i + 1, 2, np), name: s.0.clone(), row: i as u64 + 2 })
        .collect();

    // Schools, around towns by population.
    let mut rng = stage_rng(seed, STAGE_SCHOOLS, 0);
    let mut names = HashSet::new();
    let schools: Vec<SchoolRec> = (0..ns)
        .map(|i| {
            let (t, lat, lon) = geo.place(&mut rng, 0.5);
            let base = pick(&mut rng, region.schools).replace("{C}", region.towns[t].name);
            let mut name = base.clone();
            let mut n = 2;
            while !names.insert(name.clone()) {
                name = format!("{base} {n}");
                n += 1;
            }
            SchoolRec { rhythm: None, id: id('S', i + 1, 2, ns), name, lat, lon, row: i as u64 + 2 }
        })
        .collect();
    let school_tree =
        RTree::bulk_load(schools.iter().enumerate().map(|(i, s)| Pt::new(unit(s.lat, s.lon), i as u32)).collect());
    let nearest_schools = |lat: f64, lon: f64, k: usize| -> Vec<u32> {
        school_tree.nearest_neighbor_iter(&unit(lat, lon)).take(k).map(|p| p.data).collect()
    };

    // Learners, without preferences.
    let readiness = Weighted::new(LEARNER_READINESS);
    let school_pick = Weighted::new([0.60, 0.25, 0.15]);
    let learner_prog: Vec<u32> = {
        let mut r = stage_rng(seed, STAGE_LEARNERS, u64::MAX >> 16);
        (0..nl).map(|_| popularity.sample(&mut r) as u32).collect()
    };
    let mut learners: Vec<LearnerRec> = par_gen(nl, seed, STAGE_LEARNERS, |rng, i| {
        let p = learner_prog[i] as usize;
        let (_, lat, lon) = geo.place(rng, LEARNER_SPREAD);
        let near = nearest_schools(lat, lon, 3);
        let school = near[school_pick.sample(rng).min(near.len() - 1)] as usize;
        let steps = region.commute_steps;
        let max_commute_km =
            region.commute_min_km + 0.5 * f64::from(rng.gen_range(0..=steps) + rng.gen_range(0..=steps));
        let u: f64 = rng.gen();
        let screening = if u < SCREEN_PASSED {
            Screening::Passed
        } else if u < SCREEN_PASSED + SCREEN_PENDING {
            Screening::Pending
        } else {
            Screening::Failed
        };
        let attributes = (0..TAGS.len())
            .filter(|t| rng.gen_bool((TAG_BASE[*t] + if specs[p].3 == Some(*t) { TAG_BONUS } else { 0.0 }).min(1.0)))
            .map(|t| TAGS[t].to_string())
            .collect();
        LearnerRec {
            rhythm: None,
            id: id('L', i + 1, 6, nl),
            school: schools[school].id.clone(),
            programme: programmes[p].id.clone(),
            lat,
            lon,
            max_commute_km,
            readiness: readiness.sample(rng) as u8 + 1,
            screening,
            attributes,
            preferences: Vec::new(),
            priority_group: rng.gen_bool(EXTRA_SUPPORT).then(|| "extra_support".to_string()),
            row: i as u64 + 2,
        }
    });

    // Seats: scarce and plentiful programmes.
    let mut counts = vec![0u64; np];
    for p in &learner_prog {
        counts[*p as usize] += 1;
    }
    let with_learners: Vec<usize> = (0..np).filter(|p| counts[*p] > 0).collect();
    if with_learners.len() >= 2 {
        let lo = *with_learners.iter().min_by(|a, b| ratios[**a].total_cmp(&ratios[**b])).expect("non-empty");
        let hi = *with_learners
            .iter()
            .filter(|p| **p != lo)
            .max_by(|a, b| ratios[**a].total_cmp(&ratios[**b]))
            .expect("two or more");
        ratios[lo] = ratios[lo].min(0.8);
        ratios[hi] = ratios[hi].max(1.3);
    }
    let recs = allocate(&mut stage_rng(seed, STAGE_ALLOCATE, 0), nw, &counts, &ratios, &families);
    let multi_seat = recs.iter().filter(|r| r.iter().map(|x| x.1).sum::<u32>() >= 2).count();
    let p_capacity = if multi_seat == 0 { 0.0 } else { (CAPACITY_BINDING * nw as f64 / multi_seat as f64).min(1.0) };

    // Sites.
    let chain_count = (nw / 150).max(1);
    let chains: Vec<String> = {
        let mut r = stage_rng(seed, STAGE_SITES, u64::MAX >> 16);
        (0..chain_count)
            .map(|_| {
                let t = &region.towns[geo.towns.sample(&mut r)];
                let template = pick(&mut r, region.chains);
                fill(&mut r, region, template, t.name)
            })
            .collect()
    };
    let chain_pick = Weighted::new((0..chain_count).map(|k| 1.0 / (k as f64 + 1.0)));
    let min_readiness = Weighted::new(SITE_MIN_READINESS);
    let partner_count = Weighted::new(PARTNER_SCHOOLS);
    let mut workplaces: Vec<WorkplaceRec> = par_gen(nw, seed, STAGE_SITES, |rng, i| {
        let primary = recs[i][0].0 as usize;
        let (t, lat, lon) = geo.place(rng, 1.0);
        let company = if rng.gen_bool(CHAIN_SITES) {
            chains[chain_pick.sample(rng)].clone()
        } else {
            let template = pick(rng, region.companies[families[primary]]);
            fill(rng, region, template, region.towns[t].name)
        };
        let seats: u32 = recs[i].iter().map(|x| x.1).sum();
        let capacity = (seats >= 2 && rng.gen_bool(p_capacity)).then(|| rng.gen_range(1..seats));
        let requires = if rng.gen_bool(SITE_REQUIRES) {
            let t = specs[primary].3.unwrap_or_else(|| rng.gen_range(0..TAGS.len()));
            vec![TAGS[t].to_string()]
        } else {
            Vec::new()
        };
        let mut near = nearest_schools(lat, lon, 5);
        let k = partner_count.sample(rng).min(near.len());
        let partner_schools = near.partial_shuffle(rng, k).0.iter().map(|s| schools[*s as usize].id.clone()).collect();
        WorkplaceRec {
            id: id('W', i + 1, 6, nw),
            company,
            lat,
            lon,
            capacity,
            min_readiness: min_readiness.sample(rng) as u8 + 1,
            requires,
            partner_schools,
            preferences: Vec::new(),
            row: i as u64 + 2,
        }
    });

    // Spatial indexes per programme.
    let mut site_pts: Vec<Vec<Pt>> = vec![Vec::new(); np];
    for (w, r) in recs.iter().enumerate() {
        for (p, _) in r {
            site_pts[*p as usize].push(Pt::new(unit(workplaces[w].lat, workplaces[w].lon), w as u32));
        }
    }
    let mut learner_pts: Vec<Vec<Pt>> = vec![Vec::new(); np];
    for (i, l) in learners.iter().enumerate() {
        learner_pts[learner_prog[i] as usize].push(Pt::new(unit(l.lat, l.lon), i as u32));
    }
    let site_trees: Vec<RTree<Pt>> = site_pts.into_par_iter().map(RTree::bulk_load).collect();
    let learner_trees: Vec<RTree<Pt>> = learner_pts.into_par_iter().map(RTree::bulk_load).collect();

    // Learner preferences: sites of their programme within their commute.
    let learner_prefs: Vec<Vec<String>> = par_gen(nl, seed, STAGE_LEARNER_PREFS, |rng, i| {
        if !rng.gen_bool(LEARNER_PREFS) {
            return Vec::new();
        }
        let l = &learners[i];
        let home = GeoPoint::new(l.lat, l.lon);
        // Sites within half the commute if there are a few, else within all of it.
        let (tree, q) = (&site_trees[learner_prog[i] as usize], unit(l.lat, l.lon));
        let mut near = within(tree, q, chord_for_km(l.max_commute_km / 2.0), 40);
        if near.len() < 5 {
            near = within(tree, q, chord_for_km(l.max_commute_km), 40);
        }
        let mut near: Vec<(f64, u32)> = near
            .into_iter()
            .filter_map(|w| {
                let s = &workplaces[w as usize];
                let d = haversine_km(home, GeoPoint::new(s.lat, s.lon));
                (d <= l.max_commute_km).then_some((d, w))
            })
            .collect();
        if near.is_empty() {
            return Vec::new();
        }
        let k = rng.gen_range(1..=5usize).min(near.len());
        let mut chosen: Vec<(f64, u32)> = near.partial_shuffle(rng, k).0.to_vec();
        for c in &mut chosen {
            c.0 *= rng.gen_range(0.6..1.4);
        }
        chosen.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        chosen.into_iter().map(|(_, w)| workplaces[w as usize].id.clone()).collect()
    });
    for (l, p) in learners.iter_mut().zip(learner_prefs) {
        l.preferences = p;
    }

    // Site preferences: learners of one of their programmes living nearby.
    let site_prefs: Vec<Vec<String>> = par_gen(nw, seed, STAGE_SITE_PREFS, |rng, i| {
        if !rng.gen_bool(SITE_PREFS) {
            return Vec::new();
        }
        let w = &workplaces[i];
        let p = recs[i][rng.gen_range(0..recs[i].len())].0 as usize;
        let mut near = nearest(&learner_trees[p], unit(w.lat, w.lon), chord_for_km(SITE_PREF_KM), 12);
        let k = rng.gen_range(1..=5usize).min(near.len());
        near.partial_shuffle(rng, k).0.iter().map(|l| learners[*l as usize].id.clone()).collect()
    });
    for (w, p) in workplaces.iter_mut().zip(site_prefs) {
        w.preferences = p;
    }

    let mut recognitions = Vec::with_capacity(recs.iter().map(Vec::len).sum());
    for (w, r) in recs.iter().enumerate() {
        for (p, seats) in r {
            let row = recognitions.len() as u64 + 2;
            recognitions.push(RecognitionRec {
                workplace: workplaces[w].id.clone(),
                programme: programmes[*p as usize].id.clone(),
                seats: *seats,
                row,
            });
        }
    }

    SeasonDoc {
        programmes,
        schools,
        learners,
        workplaces,
        recognitions,
        candidates: None,
        outcomes: None,
        mentors: None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::PathBuf;

    use super::super::regions::FLANDERS;
    use super::super::Preset;
    use super::*;
    use crate::season::{self, TableName};

    fn custom(seed: u64) -> SynthParams {
        SynthParams { learners: 2_000, workplaces: 800, schools: 10, programmes: 12, seed }
    }

    fn seats_and_learners(doc: &SeasonDoc) -> HashMap<&str, (u64, u64)> {
        let mut m: HashMap<&str, (u64, u64)> = doc.programmes.iter().map(|p| (p.id.as_str(), (0, 0))).collect();
        for r in &doc.recognitions {
            m.get_mut(r.programme.as_str()).unwrap().0 += u64::from(r.seats);
        }
        for l in &doc.learners {
            m.get_mut(l.programme.as_str()).unwrap().1 += 1;
        }
        m
    }

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> Self {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            let dir = std::env::temp_dir().join(format!(
                "dualmatch-synth-{tag}-{}-{nanos}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn preset_names_round_trip() {
        for p in Preset::ALL {
            assert_eq!(p.to_string().parse::<Preset>(), Ok(p));
        }
        assert_eq!(" Flanders ".parse::<Preset>(), Ok(Preset::Flanders));
        let e = "huge".parse::<Preset>().unwrap_err();
        assert!(e.to_string().contains("tiny, flanders or national"), "{e}");
    }

    #[test]
    fn tiny_and_custom_are_valid_with_requested_counts() {
        for params in [SynthParams::preset(Preset::Tiny, 1), custom(2)] {
            let doc = generate(&params);
            assert_eq!(doc.learners.len(), params.learners);
            assert_eq!(doc.workplaces.len(), params.workplaces);
            assert_eq!(doc.schools.len(), params.schools);
            assert_eq!(doc.programmes.len(), params.programmes);
            assert!(doc.recognitions.len() >= params.workplaces);
            assert_eq!(doc.learners[0].id, "L000001");
            assert_eq!(doc.workplaces[0].id, "W000001");
            assert_eq!(doc.schools[0].id, "S01");
            assert_eq!(doc.programmes[0].id, "P01");
            let loaded = season::from_doc(doc).unwrap_or_else(|e| panic!("{e}: {:?}", e.diagnostics()));
            assert_eq!(loaded.season.learners().len(), params.learners);
            assert_eq!(loaded.season.workplaces().len(), params.workplaces);
        }
    }

    #[test]
    fn flanders_preset_is_valid() {
        let params = SynthParams::preset(Preset::Flanders, 2024);
        let doc = generate(&params);
        assert_eq!(
            (doc.learners.len(), doc.workplaces.len(), doc.programmes.len(), doc.schools.len()),
            (6_000, 8_000, 15, 25)
        );
        assert!(doc.schools.iter().all(|s| FLANDERS.towns.iter().any(|t| s.name.contains(t.name))));
        let sl = seats_and_learners(&doc);
        assert!(sl.values().any(|(s, l)| s < l), "{sl:?}");
        season::from_doc(doc).unwrap();
    }

    #[test]
    fn random_small_params_are_valid() {
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        for seed in 0..60 {
            let params = SynthParams {
                learners: rng.gen_range(0..80),
                workplaces: rng.gen_range(0..40),
                schools: rng.gen_range(0..5),
                programmes: rng.gen_range(0..7),
                seed,
            };
            let doc = generate(&params);
            assert_eq!(doc.learners.len(), params.learners);
            assert_eq!(doc.workplaces.len(), params.workplaces);
            for w in &doc.workplaces {
                let r: Vec<_> = doc.recognitions.iter().filter(|r| r.workplace == w.id).collect();
                assert!((1..=MAX_RECOGNITIONS).contains(&r.len()), "{params:?}");
                assert!(r.iter().all(|r| (1..=MAX_SEATS).contains(&r.seats)), "{params:?}");
            }
            if let Err(e) = season::from_doc(doc) {
                panic!("{params:?}: {e}: {:?}", e.diagnostics());
            }
        }
    }

    #[test]
    fn deterministic_and_thread_independent() {
        let a = generate(&custom(5));
        let b = generate(&custom(5));
        assert_eq!(a, b);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let c = pool.install(|| generate(&custom(5)));
        assert_eq!(a, c);
        let d = generate(&custom(6));
        assert_ne!(a, d);
        assert_ne!(a.learners, d.learners);
        assert_ne!(a.workplaces, d.workplaces);
    }

    #[test]
    fn scarcity_varies_by_programme() {
        for params in [SynthParams::preset(Preset::Tiny, 3), custom(3)] {
            let doc = generate(&params);
            let sl = seats_and_learners(&doc);
            assert!(sl.values().any(|(s, l)| s < l), "no scarce programme: {sl:?}");
            assert!(sl.values().any(|(s, l)| s > l), "no plentiful programme: {sl:?}");
        }
        // In a large season the ratios span the drawn range.
        let doc = generate(&custom(3));
        let ratios: Vec<f64> = seats_and_learners(&doc).values().map(|(s, l)| *s as f64 / *l as f64).collect();
        let (lo, hi) = ratios.iter().fold((f64::MAX, 0.0f64), |(a, b), r| (a.min(*r), b.max(*r)));
        assert!(lo < 0.85 && hi > 1.25, "ratios {ratios:?}");
    }

    #[test]
    fn preferences_are_reachable_and_recognised() {
        let doc = generate(&custom(7));
        let wp: HashMap<&str, &WorkplaceRec> = doc.workplaces.iter().map(|w| (w.id.as_str(), w)).collect();
        let recognised: HashSet<(&str, &str)> =
            doc.recognitions.iter().map(|r| (r.workplace.as_str(), r.programme.as_str())).collect();
        let mut with_prefs = 0;
        for l in &doc.learners {
            with_prefs += usize::from(!l.preferences.is_empty());
            assert!(l.preferences.len() <= 5);
            let unique: HashSet<&String> = l.preferences.iter().collect();
            assert_eq!(unique.len(), l.preferences.len(), "{}", l.id);
            for p in &l.preferences {
                let w = wp[p.as_str()];
                assert!(
                    recognised.contains(&(p.as_str(), l.programme.as_str())),
                    "{} prefers {p}, not recognised for {}",
                    l.id,
                    l.programme
                );
                let d = haversine_km(GeoPoint::new(l.lat, l.lon), GeoPoint::new(w.lat, w.lon));
                assert!(d <= l.max_commute_km, "{} prefers {p} at {d} km > {}", l.id, l.max_commute_km);
            }
        }
        let share = with_prefs as f64 / doc.learners.len() as f64;
        assert!((0.45..=0.65).contains(&share), "learners with preferences: {share}");
        let learners: HashMap<&str, &LearnerRec> = doc.learners.iter().map(|l| (l.id.as_str(), l)).collect();
        let mut sites_with_prefs = 0;
        for w in &doc.workplaces {
            sites_with_prefs += usize::from(!w.preferences.is_empty());
            for l in &w.preferences {
                let l = learners[l.as_str()];
                assert!(recognised.contains(&(w.id.as_str(), l.programme.as_str())));
                assert!(haversine_km(GeoPoint::new(l.lat, l.lon), GeoPoint::new(w.lat, w.lon)) <= SITE_PREF_KM + 1e-6);
            }
        }
        let share = sites_with_prefs as f64 / doc.workplaces.len() as f64;
        assert!((0.15..=0.25).contains(&share), "sites with preferences: {share}");
    }

    #[test]
    fn shares_are_realistic() {
        let doc = generate(&custom(11));
        let n = doc.learners.len() as f64;
        let share = |s: Screening| doc.learners.iter().filter(|l| l.screening == s).count() as f64 / n;
        assert!((share(Screening::Passed) - 0.85).abs() < 0.03, "passed {}", share(Screening::Passed));
        assert!((share(Screening::Pending) - 0.10).abs() < 0.025, "pending {}", share(Screening::Pending));
        assert!((share(Screening::Failed) - 0.05).abs() < 0.02, "failed {}", share(Screening::Failed));
        let extra = doc.learners.iter().filter(|l| l.priority_group.is_some()).count() as f64 / n;
        assert!((0.03..0.07).contains(&extra), "extra_support {extra}");
        assert!(doc
            .learners
            .iter()
            .all(|l| (1..=4).contains(&l.readiness) && (10.0..=40.0).contains(&l.max_commute_km)));
        assert!(doc.learners.iter().all(|l| (l.max_commute_km * 2.0).fract() == 0.0));
        let mid = doc.learners.iter().filter(|l| (2..=3).contains(&l.readiness)).count() as f64 / n;
        assert!(mid > 0.7, "readiness 2–3: {mid}");

        let nw = doc.workplaces.len() as f64;
        let mut seats: HashMap<&str, u32> = HashMap::new();
        for r in &doc.recognitions {
            *seats.entry(r.workplace.as_str()).or_default() += r.seats;
        }
        let binding =
            doc.workplaces.iter().filter(|w| w.capacity.is_some_and(|c| c < seats[w.id.as_str()] && c >= 1)).count();
        assert_eq!(binding, doc.workplaces.iter().filter(|w| w.capacity.is_some()).count());
        assert!((binding as f64 / nw - 0.40).abs() < 0.05, "binding capacity {}", binding as f64 / nw);
        let requires = doc.workplaces.iter().filter(|w| !w.requires.is_empty()).count() as f64 / nw;
        assert!((0.07..0.13).contains(&requires), "requires {requires}");
        assert!(doc.workplaces.iter().all(|w| (1..=3).contains(&w.min_readiness) && w.partner_schools.len() <= 3));
        let mut per_company: HashMap<&str, usize> = HashMap::new();
        for w in &doc.workplaces {
            *per_company.entry(w.company.as_str()).or_default() += 1;
        }
        assert!(per_company.values().filter(|n| **n >= 3).count() >= 3, "multi-site companies");
        assert!(doc.workplaces.iter().any(|w| w.company.contains(',')));
        assert!(doc.workplaces.iter().any(|w| !w.company.is_ascii()));
        let multi = doc
            .workplaces
            .iter()
            .filter(|w| doc.recognitions.iter().filter(|r| r.workplace == w.id).count() >= 2)
            .count();
        assert!(multi > 0, "no site is recognised for several programmes");
    }

    #[test]
    fn csv_and_json_round_trip() {
        let doc = generate(&custom(13));
        let dir = TempDir::new("rt");
        for t in doc.tables() {
            let f = std::fs::File::create(dir.0.join(t.file_name())).unwrap();
            doc.write_csv_table(t, std::io::BufWriter::new(f)).unwrap();
        }
        let json = dir.0.join("season.json");
        doc.write_json(std::fs::File::create(&json).unwrap()).unwrap();
        assert!(!doc.tables().contains(&TableName::Candidates));
        let reference = season::from_doc(doc.clone()).unwrap().season;
        for path in [dir.0.clone(), json] {
            let loaded =
                season::load(&path).unwrap_or_else(|e| panic!("{}: {e}: {:?}", path.display(), e.diagnostics()));
            let s = &loaded.season;
            assert_eq!(s.learners().len(), doc.learners.len());
            assert_eq!(s.workplaces().len(), doc.workplaces.len());
            assert_eq!(s.groups().len(), doc.recognitions.len());
            assert_eq!(s.schools().len(), doc.schools.len());
            assert_eq!(s.programmes().len(), doc.programmes.len());
            for (a, b) in s.learners().iter().zip(&doc.learners) {
                assert_eq!(a.id, b.id);
                assert_eq!((a.location.lat, a.location.lon, a.max_commute_km), (b.lat, b.lon, b.max_commute_km));
                assert_eq!((a.readiness, a.screening), (b.readiness, b.screening));
                assert_eq!(a.preferences.len(), b.preferences.len());
                assert_eq!(a.attributes.len(), b.attributes.len());
                assert_eq!(a.priority_group.is_some(), b.priority_group.is_some());
            }
            for (a, b) in s.workplaces().iter().zip(&doc.workplaces) {
                assert_eq!(
                    (&a.id, &a.company, a.capacity, a.min_readiness),
                    (&b.id, &b.company, b.capacity, b.min_readiness)
                );
                assert_eq!((a.location.lat, a.location.lon), (b.lat, b.lon));
                assert_eq!(a.preferences.len(), b.preferences.len());
            }
            for (a, b) in s.schools().iter().zip(&doc.schools) {
                assert_eq!((&a.name, a.location), (&b.name, GeoPoint::new(b.lat, b.lon)));
            }
            assert_eq!(s.groups(), reference.groups());
            assert_eq!(s.learners(), reference.learners());
            assert_eq!(s.workplaces(), reference.workplaces());
            assert_eq!(s.tags(), reference.tags());
            assert_eq!(loaded.warnings.error_count(), 0);
        }
    }

    /// Prints the shape of every preset: `cargo test -p dualmatch-core --release
    /// preset_stats -- --ignored --nocapture`.
    #[test]
    #[ignore = "slow: generates the national preset"]
    fn preset_stats() {
        for p in Preset::ALL {
            let t = std::time::Instant::now();
            let doc = generate(&SynthParams::preset(p, 2024));
            let secs = t.elapsed().as_secs_f64();
            let sl = seats_and_learners(&doc);
            let ratios: Vec<f64> = sl.values().map(|(s, l)| *s as f64 / (*l).max(1) as f64).collect();
            let (lo, hi) = ratios.iter().fold((f64::MAX, 0.0f64), |(a, b), r| (a.min(*r), b.max(*r)));
            let seats: u64 = sl.values().map(|x| x.0).sum();
            let scarce = sl.values().filter(|(s, l)| s < l).count();
            let prefs = doc.learners.iter().filter(|l| !l.preferences.is_empty()).count();
            let cap = doc.workplaces.iter().filter(|w| w.capacity.is_some()).count();
            println!(
                "{p}: {secs:.2}s learners={} sites={} schools={} programmes={} recognitions={} seats={seats} seats/learner={:.2} per-programme {lo:.2}..{hi:.2} scarce={scarce} learners-with-prefs={prefs} sites-with-capacity={cap}",
                doc.learners.len(),
                doc.workplaces.len(),
                doc.schools.len(),
                doc.programmes.len(),
                doc.recognitions.len(),
                seats as f64 / doc.learners.len() as f64,
            );
            let t = std::time::Instant::now();
            let loaded = season::from_doc(doc).unwrap();
            println!("  from_doc {:.2}s, {} warnings", t.elapsed().as_secs_f64(), loaded.warnings.warning_count());
        }
    }
}
