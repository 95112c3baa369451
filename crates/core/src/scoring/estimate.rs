//! How many candidate pairs scoring would generate, counted before any pair
//! is generated, so that a season whose learners reach thousands of sites
//! each is refused in a second instead of exhausting memory.
//!
//! The count uses the spatial index of [`Candidates::generate`]. For each
//! learner whose screening passed: when the learner's commute ball holds the
//! whole bounding box of their programme's sites (the common case of a
//! season where everyone reaches everything), the count is the programme's
//! placeable sites at or below the learner's readiness, read from a table
//! (an upper bound: required tags are not checked); otherwise the sites of
//! the radius query are counted through the same gates as generation (the
//! exact number). No pair is allocated; learners are counted in parallel.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;

use super::candidates::{Candidates, Scorer};
use super::components::TravelTimes;
use super::index::SiteIndex;
use super::weights::Weights;
use crate::geo::chord_for_km;
use crate::ids::{LearnerId, ProgrammeId};
use crate::season::{Screening, Season};

/// The default budget of candidate pairs (50 million). Measured end to end,
/// `dualmatch match` peaks at about 135 bytes per pair with the default
/// max-fit policy (4.0 GB for the 29.0 million pairs of the generated
/// national season, which is also dominated by its 500,000 learners; 1.4 GB
/// for 10 million pairs of a season in which 2,000 learners reach 5,000 sites
/// each). 50 million pairs is about 7 GB: well within a 24 GB machine, with
/// room for the national season.
pub const DEFAULT_MAX_PAIRS: u64 = 50_000_000;

/// Bytes of memory per candidate pair that `dualmatch match` takes end to end
/// (scoring, the model and the solver), for messages (see [`DEFAULT_MAX_PAIRS`]).
pub const BYTES_PER_PAIR: u64 = 140;

/// How many candidate pairs a season would have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PairEstimate {
    /// The pairs counted: at least as many as [`Candidates::generate`] makes
    /// (more only where sites require tags the learner lacks).
    pub pairs: u64,
    /// Whether counting stopped once `pairs` passed the limit it was given:
    /// then the season has more pairs still.
    pub stopped: bool,
    /// The learners whose screening passed (only they have pairs).
    pub learners: u64,
}

impl PairEstimate {
    /// Counts the candidate pairs of `season` with its spatial index, stopping
    /// soon after the count passes `stop_after` (pass `u64::MAX` for the
    /// whole count).
    pub fn count(season: &Season, index: &SiteIndex, stop_after: u64) -> PairEstimate {
        let programmes: Vec<Programme> =
            (0..season.programmes().len()).map(|p| Programme::new(index, ProgrammeId::from_index(p))).collect();
        let scorer = Scorer::new(season, &Weights::default(), None);
        let total = AtomicU64::new(0);
        let stopped = AtomicBool::new(false);
        let learners = (0..season.learners().len())
            .into_par_iter()
            .with_min_len(256)
            .map(|i| {
                let id = LearnerId::from_index(i);
                let l = season.learner(id);
                if l.screening != Screening::Passed {
                    return 0u64;
                }
                if total.load(Ordering::Relaxed) > stop_after {
                    stopped.store(true, Ordering::Relaxed);
                    return 1;
                }
                let p = &programmes[l.programme.index()];
                let n = if p.sites == 0 || l.max_commute_km.is_nan() || l.max_commute_km < 0.0 {
                    0
                } else if p.within(l.location.unit_vector(), chord_for_km(l.max_commute_km)) {
                    p.at_readiness[usize::from(l.readiness.min(4))]
                } else {
                    let mut k = 0u64;
                    scorer.for_each_eligible(index, id, |_, _| k += 1);
                    k
                };
                total.fetch_add(n, Ordering::Relaxed);
                1
            })
            .sum();
        PairEstimate { pairs: total.into_inner(), stopped: stopped.into_inner(), learners }
    }
}

/// What the count needs of one programme's sites.
struct Programme {
    /// Placeable sites.
    sites: u64,
    /// Placeable sites whose minimum readiness is at most `r`, by `r` (0 to 4).
    at_readiness: [u64; 5],
    /// The corners of the bounding box of the sites' unit vectors.
    lower: [f64; 3],
    upper: [f64; 3],
}

impl Programme {
    fn new(index: &SiteIndex, p: ProgrammeId) -> Programme {
        let mut at_readiness = [0u64; 5];
        let (mut lower, mut upper) = ([0.0; 3], [0.0; 3]);
        let mut sites = 0;
        if let Some(tree) = index.tree(p).filter(|t| t.size() > 0) {
            for s in tree.iter() {
                for (r, n) in at_readiness.iter_mut().enumerate() {
                    *n += u64::from(usize::from(s.data.min_readiness) <= r);
                }
            }
            let envelope = tree.root().envelope();
            (lower, upper) = (envelope.lower(), envelope.upper());
            sites = tree.size() as u64;
        }
        Programme { sites, at_readiness, lower, upper }
    }

    /// Whether the ball of chord radius `chord` around `q` holds the whole
    /// bounding box (its farthest corner is within the radius).
    fn within(&self, q: [f64; 3], chord: f64) -> bool {
        let far: f64 = (0..3).map(|i| (q[i] - self.lower[i]).abs().max((q[i] - self.upper[i]).abs()).powi(2)).sum();
        far <= chord * chord
    }
}

/// Scoring would generate more candidate pairs than the budget allows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct TooManyPairs {
    /// The pairs counted.
    pub estimate: PairEstimate,
    /// The budget, in pairs.
    pub budget: u64,
}

impl std::fmt::Display for TooManyPairs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = &self.estimate;
        write!(
            f,
            "scoring this season would generate {} {} candidate pairs ({} learners reach {} sites each on average), \
             more than the budget of {} pairs (about {} GB of memory at {BYTES_PER_PAIR} bytes a pair)",
            if e.stopped { "more than" } else { "about" },
            thousands(e.pairs),
            thousands(e.learners),
            thousands(e.pairs / e.learners.max(1)),
            thousands(self.budget),
            self.budget.saturating_mul(BYTES_PER_PAIR).div_ceil(1_000_000_000),
        )
    }
}

/// `n` with a comma every three digits: `100,000,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Candidates {
    /// [`Candidates::generate`] when the season has at most `max_pairs`
    /// candidate pairs by [`PairEstimate::count`], else an error with the
    /// count, before any pair is generated. Counting stops at four times the
    /// budget; a budget over `u32::MAX` (the most pairs [`Candidates`] hold)
    /// counts as `u32::MAX`.
    pub fn generate_within(
        season: &Season,
        weights: &Weights,
        travel: Option<&TravelTimes>,
        max_pairs: u64,
    ) -> Result<Candidates, TooManyPairs> {
        let max_pairs = max_pairs.min(u64::from(u32::MAX));
        let index = SiteIndex::new(season);
        let estimate = PairEstimate::count(season, &index, max_pairs.saturating_mul(4));
        if estimate.pairs > max_pairs {
            return Err(TooManyPairs { estimate, budget: max_pairs });
        }
        Ok(Candidates::generate_in(season, &index, weights, travel, usize::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{generate, Preset, SynthParams};

    fn season(learners: usize, workplaces: usize, programmes: usize) -> Season {
        let mut p = SynthParams::preset(Preset::Tiny, 5);
        (p.learners, p.workplaces, p.programmes) = (learners, workplaces, programmes);
        crate::season::from_doc(generate(&p)).expect("a generated season loads").season
    }

    #[test]
    fn the_count_is_at_least_the_pairs_generated_and_close() {
        let s = season(600, 400, 3);
        let made = Candidates::generate(&s, &Weights::default(), None).len() as u64;
        let e = PairEstimate::count(&s, &SiteIndex::new(&s), u64::MAX);
        assert!(!e.stopped);
        assert!(made > 0 && e.pairs >= made, "{e:?} < {made}");
        // Only required tags are not checked where a ball holds every site.
        assert!(e.pairs <= made + made / 2, "{e:?} vs {made}");
    }

    /// A season in which every learner reaches every site.
    fn everyone_reaches_everything(learners: usize, sites: usize) -> Season {
        let mut s = SynthParams::preset(Preset::Tiny, 3);
        (s.learners, s.workplaces, s.programmes) = (learners, sites, 1);
        let mut doc = generate(&s);
        for l in &mut doc.learners {
            l.max_commute_km = 1e6;
            l.screening = Screening::Passed;
            l.readiness = 4;
        }
        for w in &mut doc.workplaces {
            w.requires.clear();
            w.capacity = None;
        }
        for r in &mut doc.recognitions {
            r.seats = r.seats.max(1);
        }
        crate::season::from_doc(doc).expect("loads").season
    }

    #[test]
    fn a_dense_season_is_counted_exactly_without_generating_it() {
        let s = everyone_reaches_everything(300, 200);
        let groups = s.groups().len() as u64;
        let e = PairEstimate::count(&s, &SiteIndex::new(&s), u64::MAX);
        assert_eq!(e, PairEstimate { pairs: 300 * groups, stopped: false, learners: 300 });
        assert_eq!(Candidates::generate(&s, &Weights::default(), None).len() as u64, e.pairs);
        // Over a budget: refused with the count, nothing generated.
        let err = Candidates::generate_within(&s, &Weights::default(), None, e.pairs - 1).unwrap_err();
        assert_eq!(err.estimate, e);
        let msg = err.to_string();
        let n = thousands(e.pairs);
        assert!(msg.contains(&format!("about {n} candidate pairs (300 learners reach {groups} sites")), "{msg}");
        assert!(msg.contains(&format!("more than the budget of {} pairs", thousands(e.pairs - 1))), "{msg}");
        // At the budget: generated.
        assert_eq!(Candidates::generate_within(&s, &Weights::default(), None, e.pairs).unwrap().len() as u64, e.pairs);
        // Counting stops past its limit and says so.
        let stopped = PairEstimate::count(&s, &SiteIndex::new(&s), 1000);
        assert!(stopped.stopped && stopped.pairs > 1000 && stopped.pairs < e.pairs, "{stopped:?}");
        let msg = TooManyPairs { estimate: stopped, budget: 250 }.to_string();
        assert!(msg.contains(&format!("more than {} candidate pairs", thousands(stopped.pairs))), "{msg}");
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        let cases = [(0, "0"), (999, "999"), (1000, "1,000"), (100_000_000, "100,000,000"), (1_234_567, "1,234,567")];
        for (n, text) in cases {
            assert_eq!(thousands(n), text);
        }
    }
}
