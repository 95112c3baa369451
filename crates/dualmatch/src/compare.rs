//! [`Engine::compare`]: allocation policies side by side on one season,
//! each randomised policy under several seeds, in parallel.

use std::time::Instant;

use dualmatch_optimiser::metrics::{self, Metrics};
use dualmatch_optimiser::{policies, Infeasible, Policy};
use rayon::prelude::*;

use crate::engine::Engine;
use crate::error::Error;

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
        let model = self.model()?;
        let mut jobs: Vec<(Policy, Option<u64>)> = Vec::new();
        for &p in policies {
            if p.randomised() {
                jobs.extend((0..seeds).map(|k| (p, Some(first_seed + k))));
            } else {
                jobs.push((p, None));
            }
        }
        let (improve, tie_break) = (self.options().improve, self.options().tie_break);
        self.install(|| {
            jobs.par_iter()
                .map(|&(policy, seed)| {
                    let t = Instant::now();
                    let imp = policy.implementation();
                    let draw = policies::Lottery { seed: seed.unwrap_or(first_seed), tie_break };
                    let result = policies::allocate_with(imp.as_ref(), &model, draw, improve)
                        .map(|a| metrics::evaluate(&model, &a));
                    done();
                    CompareRow { policy, seed, result, seconds: t.elapsed().as_secs_f64() }
                })
                .collect()
        })
    }
}
