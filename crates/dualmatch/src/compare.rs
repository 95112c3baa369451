//! [`Engine::compare`]: allocation policies side by side on one season,
//! each randomised policy under several seeds, in parallel.

use std::time::Instant;

use dualmatch_core::Season;
use dualmatch_optimiser::metrics::{self, Metrics};
use dualmatch_optimiser::policies::Improve;
use dualmatch_optimiser::{policies, Infeasible, Policy};
use rayon::prelude::*;

use crate::engine::Engine;
use crate::error::Error;
use crate::shard::Shard;

/// One policy run of a comparison.
#[derive(Clone, Debug)]
pub struct CompareRow {
    /// The policy.
    pub policy: Policy,
    /// The lottery seed, for randomised policies.
    pub seed: Option<u64>,
    /// The metrics, or why the constraints could not be met.
    pub result: Result<Metrics, Infeasible>,
    /// Wall-clock seconds of the allocation and its evaluation.
    pub seconds: f64,
    /// Per learner: 0 unplaced, else the rank of the placement (from 1), or
    /// [`metrics::OFF_LIST`]; empty when the run failed. For [`probabilities`].
    pub ranks: Vec<u32>,
}

/// Placement probabilities of one policy over the runs of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Probabilities {
    /// The policy.
    pub policy: Policy,
    /// The successful runs counted (seeds; 1 for a deterministic policy).
    pub runs: usize,
    /// Per learner, in season order.
    pub learners: Vec<LearnerOdds>,
    /// Per school, in season order.
    pub schools: Vec<SchoolRate>,
}

/// One learner's chances over the runs.
#[derive(Clone, Debug, PartialEq)]
pub struct LearnerOdds {
    /// The share of runs in which the learner is placed.
    pub placed: f64,
    /// `by_rank[k]`: the share of runs in which the learner is placed at rank `k + 1`.
    pub by_rank: Vec<f64>,
    /// The share of runs in which the learner is placed off her list.
    pub off_list: f64,
}

/// A school's placement rate over the runs.
#[derive(Clone, Debug, PartialEq)]
pub struct SchoolRate {
    /// Learners of the school.
    pub learners: usize,
    /// The mean over runs of the share of the school's learners placed.
    pub mean: f64,
    /// The 95% confidence interval of that mean (Student's t over the runs,
    /// clipped to [0, 1]); `low = high = mean` with one run.
    pub low: f64,
    /// See `low`.
    pub high: f64,
}

/// The two-sided 97.5% quantile of Student's t with `df` degrees of freedom
/// (1 to 30 tabulated; beyond, the normal 1.96 is within 2%).
fn t975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    T.get(df.wrapping_sub(1)).copied().unwrap_or(1.96)
}

/// Placement probabilities per policy (in the order the policies first
/// appear in `rows`) over the successful runs of `rows`, all of one season.
pub fn probabilities(season: &dualmatch_core::Season, rows: &[CompareRow]) -> Vec<Probabilities> {
    let runs: Vec<RankRun> =
        rows.iter().map(|r| RankRun { policy: r.policy, ranks: r.result.is_ok().then_some(&r.ranks[..]) }).collect();
    probabilities_of(season, &runs)
}

/// One run as [`probabilities_of`] reads it: its policy, and the learners'
/// ranks ([`CompareRow::ranks`]) when it succeeded.
#[derive(Clone, Copy, Debug)]
pub struct RankRun<'a> {
    /// The policy.
    pub policy: Policy,
    /// Per learner: 0 unplaced, else the rank; `None` when the run failed.
    pub ranks: Option<&'a [u32]>,
}

/// [`probabilities`] from the runs' ranks alone (as a merge of a sharded
/// compare has them).
pub fn probabilities_of(season: &dualmatch_core::Season, rows: &[RankRun]) -> Vec<Probabilities> {
    let mut order: Vec<Policy> = Vec::new();
    for r in rows {
        if !order.contains(&r.policy) {
            order.push(r.policy);
        }
    }
    let n = season.learners().len();
    let ns = season.schools().len();
    let mut size = vec![0usize; ns];
    for l in season.learners() {
        size[l.school.index()] += 1;
    }
    order
        .into_iter()
        .map(|policy| {
            let runs: Vec<&[u32]> =
                rows.iter().filter(|r| r.policy == policy).filter_map(|r| r.ranks).filter(|x| x.len() == n).collect();
            let k = runs.len();
            let share = |c: usize| if k == 0 { 0.0 } else { c as f64 / k as f64 };
            let learners = (0..n)
                .map(|li| {
                    let (mut placed, mut off) = (0usize, 0usize);
                    let mut by_rank: Vec<usize> = Vec::new();
                    for r in &runs {
                        match r[li] {
                            0 => {}
                            metrics::OFF_LIST => {
                                placed += 1;
                                off += 1;
                            }
                            rank => {
                                placed += 1;
                                if by_rank.len() < rank as usize {
                                    by_rank.resize(rank as usize, 0);
                                }
                                by_rank[rank as usize - 1] += 1;
                            }
                        }
                    }
                    LearnerOdds {
                        placed: share(placed),
                        by_rank: by_rank.into_iter().map(share).collect(),
                        off_list: share(off),
                    }
                })
                .collect();
            let schools = (0..ns)
                .map(|si| {
                    let rates: Vec<f64> = runs
                        .iter()
                        .map(|r| {
                            let placed = season
                                .learners()
                                .iter()
                                .zip(r.iter())
                                .filter(|(l, &x)| l.school.index() == si && x != 0)
                                .count();
                            if size[si] == 0 {
                                0.0
                            } else {
                                placed as f64 / size[si] as f64
                            }
                        })
                        .collect();
                    let mean = if k == 0 { 0.0 } else { rates.iter().sum::<f64>() / k as f64 };
                    let half = if k < 2 {
                        0.0
                    } else {
                        let var = rates.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (k - 1) as f64;
                        t975(k - 1) * (var / k as f64).sqrt()
                    };
                    SchoolRate { learners: size[si], mean, low: (mean - half).max(0.0), high: (mean + half).min(1.0) }
                })
                .collect();
            Probabilities { policy, runs: k, learners, schools }
        })
        .collect()
}

/// The policies of `policies` that honour the mentors and rhythms of
/// `seasons` under `improve`, and those left out (every policy is kept when
/// no season has mentors or rhythms). For `compare --policies all`, whose
/// refused runs would otherwise be failed rows.
pub fn honouring_mentors(seasons: &[&Season], improve: Improve, policies: &[Policy]) -> (Vec<Policy>, Vec<Policy>) {
    let mentored = seasons.iter().any(|s| s.has_rhythms() || !s.mentors().is_empty());
    policies.iter().partition(|p| !mentored || (improve == Improve::None && p.implementation().meets_mentors()))
}

impl Engine<'_> {
    /// Runs every policy of `policies` on the engine's season and
    /// constraints: deterministic policies once, randomised ones under seeds
    /// `first_seed .. first_seed + seeds`. Rows come in policy order, then
    /// seed order, whatever the thread count. The engine's improvement
    /// setting applies to every run.
    ///
    /// ```no_run
    /// use dualmatch::{Engine, Policy, Season};
    /// let season = Season::load("data/sample")?;
    /// let rows = Engine::new(&season).compare(&[Policy::MaxFit, Policy::Stable], 5, 0)?;
    /// for r in &rows {
    ///     let placed = r.result.as_ref().map(|m| m.placed).unwrap_or(0);
    ///     println!("{} {:?}: {placed} placed", r.policy, r.seed);
    /// }
    /// # Ok::<(), dualmatch::Error>(())
    /// ```
    pub fn compare(&self, policies: &[Policy], seeds: u64, first_seed: u64) -> Result<Vec<CompareRow>, Error> {
        self.compare_with_progress(policies, seeds, first_seed, &|| {})
    }

    /// The number of runs [`Self::compare`] makes for these policies and seeds.
    pub fn compare_runs(policies: &[Policy], seeds: u64) -> u64 {
        policies.iter().map(|p| if p.randomised() { seeds } else { 1 }).sum()
    }

    /// [`Self::compare`], calling `done` after each run (for a progress bar).
    pub fn compare_with_progress(
        &self,
        policies: &[Policy],
        seeds: u64,
        first_seed: u64,
        done: &(dyn Fn() + Sync),
    ) -> Result<Vec<CompareRow>, Error> {
        let rows = self.compare_share(policies, seeds, first_seed, 0, Shard::WHOLE, done)?;
        Ok(rows.into_iter().map(|(_, r)| r).collect())
    }

    /// The runs of [`Self::compare`] that belong to `shard`, each with its
    /// number: the runs of this season are numbered from `first_index` in
    /// the order [`Self::compare`] makes them (several seasons: the runs of
    /// the seasons before come first), and run `k` belongs to shard
    /// `k mod N` ([`Shard::owns_run`]). A run's lottery seed is its seed, so
    /// its result is the same in any shard and for any `N`.
    pub fn compare_share(
        &self,
        policies: &[Policy],
        seeds: u64,
        first_seed: u64,
        first_index: u64,
        shard: Shard,
        done: &(dyn Fn() + Sync),
    ) -> Result<Vec<(u64, CompareRow)>, Error> {
        let model = self.model()?;
        let mut jobs: Vec<(u64, Policy, Option<u64>)> = Vec::new();
        let mut k = first_index;
        let mut add = |p: Policy, seed: Option<u64>| {
            if shard.owns_run(k) {
                jobs.push((k, p, seed));
            }
            k += 1;
        };
        for &p in policies {
            if p.randomised() {
                (0..seeds).for_each(|s| add(p, Some(first_seed + s)));
            } else {
                add(p, None);
            }
        }
        let (improve, tie_break) = (self.options().improve, self.options().tie_break);
        self.install(|| {
            jobs.par_iter()
                .map(|&(k, policy, seed)| {
                    let t = Instant::now();
                    let imp = policy.implementation();
                    let draw = policies::Lottery { seed: seed.unwrap_or(first_seed), tie_break };
                    let run = policies::allocate_with(imp.as_ref(), &model, draw, improve)
                        .map(|a| (metrics::evaluate(&model, &a), metrics::learner_ranks(&model, &a)));
                    let (result, ranks) = match run {
                        Ok((m, ranks)) => (Ok(m), ranks),
                        Err(e) => (Err(e), Vec::new()),
                    };
                    done();
                    (k, CompareRow { policy, seed, result, seconds: t.elapsed().as_secs_f64(), ranks })
                })
                .collect()
        })
    }
}
