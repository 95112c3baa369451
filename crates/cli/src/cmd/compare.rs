//! `dualmatch compare`: run allocation policies side by side on the same
//! seasons, each randomised policy under several seeds, in parallel.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use dualmatch_core::scoring::Candidates;
use dualmatch_core::Season;
use dualmatch_optimiser::metrics::{self, Metrics};
use dualmatch_optimiser::policies::{self, AllocationPolicy};
use dualmatch_optimiser::{Constraints, PlacementModel};
use rayon::prelude::*;
use serde_json::json;

use crate::args::{CompareArgs, Global};
use crate::cmd::matching::{load_weights, season_and_candidates};
use crate::exit::{self, usage};
use crate::output::StagedDir;
use crate::progress::Progress;

/// One policy run.
struct Run {
    season: usize,
    policy: &'static str,
    seed: Option<u64>,
    result: Result<Metrics, String>,
    seconds: f64,
}

/// Runs the command.
pub fn run(a: CompareArgs, global: &Global) -> anyhow::Result<ExitCode> {
    crate::output::check_overwrite(&a.dir.out, a.dir.force)?;
    if a.seeds == 0 {
        return Err(usage("--seeds must be at least 1"));
    }
    let mut chosen: Vec<Box<dyn AllocationPolicy>> = Vec::new();
    for name in a.policies.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let names: Vec<&str> = if name == "all" { policies::ALL.to_vec() } else { vec![name] };
        for n in names {
            let p = policies::by_name(n).ok_or_else(|| {
                usage(format!("unknown policy {n:?}; choose from {} (or all)", policies::ALL.join(", ")))
            })?;
            if !chosen.iter().any(|c| c.name() == p.name()) {
                chosen.push(p);
            }
        }
    }
    if chosen.is_empty() {
        return Err(usage("--policies is empty; for example --policies max-fit,stable,first-come"));
    }
    let weights = load_weights(a.weights.as_deref())?;
    let progress = Progress::new(global.quiet);
    let mut seasons: Vec<(PathBuf, Season, Candidates)> = Vec::new();
    for path in &a.seasons {
        let (s, c, _) = season_and_candidates(path, None, &weights, a.pairs.max_pairs, global, &progress)?;
        seasons.push((path.clone(), s, c));
    }
    let none = Constraints::none();
    let models: Vec<PlacementModel> = seasons
        .iter()
        .map(|(_, s, c)| PlacementModel::new(s, c, &none).expect("no pins without constraints"))
        .collect();
    let mut jobs: Vec<(usize, usize, Option<u64>)> = Vec::new();
    for si in 0..seasons.len() {
        for (pi, p) in chosen.iter().enumerate() {
            if p.randomised() {
                for k in 0..a.seeds {
                    jobs.push((si, pi, Some(a.seed + k)));
                }
            } else {
                jobs.push((si, pi, None));
            }
        }
    }
    progress.finish();
    let bar = progress.bar(jobs.len() as u64, "policy runs");
    // Results are collected in job order, so output never depends on the thread count.
    let runs: Vec<Run> = jobs
        .par_iter()
        .map(|&(si, pi, seed)| {
            let t = Instant::now();
            let m = &models[si];
            let result = policies::allocate(chosen[pi].as_ref(), m, seed.unwrap_or(a.seed), a.improve)
                .map(|asg| metrics::evaluate(m, &asg))
                .map_err(|inf| inf.describe(m.season).join("; "));
            bar.inc(1);
            Run { season: si, policy: chosen[pi].name(), seed, result, seconds: t.elapsed().as_secs_f64() }
        })
        .collect();
    bar.finish_and_clear();
    let timings = !a.dir.no_timings;
    let dir = StagedDir::new(&a.dir.out, a.dir.force)?;
    dir.write("comparison.csv", |w| write_csv(w, &seasons, &runs, timings))?;
    let js = json!({
        "improve": a.improve,
        "runs": runs.iter().map(|r| {
            let mut v = json!({
                "season": seasons[r.season].0.display().to_string(),
                "policy": r.policy,
                "seed": r.seed,
            });
            match &r.result {
                Ok(m) => v["metrics"] = serde_json::to_value(m).unwrap_or_default(),
                Err(e) => v["error"] = json!(e),
            }
            if timings {
                v["runtime_s"] = json!(r.seconds);
            }
            v
        }).collect::<Vec<_>>(),
    });
    dir.write_json("comparison.json", &js)?;
    let html = crate::report::compare::render(
        &seasons,
        &runs.iter().map(|r| (r.season, r.policy, r.seed, r.result.as_ref().ok())).collect::<Vec<_>>(),
    );
    dir.write("report.html", |w| w.write_all(html.as_bytes()))?;
    dir.commit()?;
    if !global.quiet {
        eprintln!("{} runs ({} policies × seasons × seeds); wrote {}", runs.len(), chosen.len(), a.dir.out.display());
    }
    let failed = runs.iter().filter(|r| r.result.is_err()).count();
    Ok(ExitCode::from(if failed > 0 { exit::INFEASIBLE } else { exit::OK }))
}

fn write_csv(
    w: &mut dyn Write,
    seasons: &[(PathBuf, Season, Candidates)],
    runs: &[Run],
    timings: bool,
) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let mut header = vec![
        "season",
        "policy",
        "seed",
        "learners",
        "placed",
        "unplaced",
        "placement_rate",
        "total_score",
        "mean_score",
        "first_choice_share",
        "top3_share",
        "mean_rank",
        "commute_mean_km",
        "commute_p90_km",
        "commute_max_km",
        "min_school_rate",
        "max_school_rate",
        "jain_index",
        "min_school_programme_rate",
        "blocking_pairs",
        "justified_envy",
        "unfilled_seats",
        "error",
    ];
    if timings {
        header.push("runtime_s");
    }
    out.write_record(&header)?;
    let f = |x: f64| format!("{x:.6}");
    for r in runs {
        let mut rec = vec![
            seasons[r.season].0.display().to_string(),
            r.policy.to_string(),
            r.seed.map(|s| s.to_string()).unwrap_or_default(),
        ];
        match &r.result {
            Ok(m) => {
                rec.extend([
                    m.learners.to_string(),
                    m.placed.to_string(),
                    m.unplaced.to_string(),
                    f(if m.learners > 0 { m.placed as f64 / m.learners as f64 } else { 0.0 }),
                    f(m.total_score),
                    f(m.mean_score),
                    f(m.rank.first_choice_share),
                    f(m.rank.top3_share),
                    f(m.rank.mean_rank),
                    f(m.commute_km.mean),
                    f(m.commute_km.p90),
                    f(m.commute_km.max),
                    f(m.fairness.min_school_rate),
                    f(m.fairness.max_school_rate),
                    f(m.fairness.jain_index),
                    f(m.fairness.min_school_programme_rate),
                    m.blocking_pairs.to_string(),
                    m.justified_envy.to_string(),
                    m.unfilled_seats.to_string(),
                    String::new(),
                ]);
            }
            Err(e) => {
                rec.extend(std::iter::repeat_n(String::new(), 19));
                rec.push(e.clone());
            }
        }
        if timings {
            rec.push(format!("{:.4}", r.seconds));
        }
        out.write_record(&rec)?;
    }
    out.flush()
}
