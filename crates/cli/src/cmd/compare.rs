//! `dualmatch compare`: run allocation policies side by side on the same
//! seasons, each randomised policy under several seeds, in parallel.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dualmatch::{CompareRow, Engine, Policy, Season};
use dualmatch_optimiser::metrics::Metrics;
use serde_json::json;

use crate::args::{CompareArgs, Global};
use crate::exit::{self, usage};
use crate::inputs::{load_season, load_weights};
use crate::output::{Kind, StagedDir, Table};
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
    let mut inputs: Vec<&Path> = a.seasons.iter().map(PathBuf::as_path).collect();
    inputs.extend(a.weights.as_deref());
    // Checked and created before any work: a bad or unwritable --out fails now.
    let dir = StagedDir::new(&a.dir.out, a.dir.force, "compare", &inputs)?;
    if a.seeds == 0 {
        return Err(usage("--seeds must be at least 1"));
    }
    let chosen = Policy::parse_list(&a.policies).map_err(|e| usage(format!("{e} (or all)")))?;
    if chosen.is_empty() {
        return Err(usage("--policies is empty; for example --policies max-fit,stable,first-come"));
    }
    let weights = load_weights(a.weights.as_deref())?;
    let progress = Progress::new(global.quiet);
    let mut seasons: Vec<(PathBuf, Season)> = Vec::new();
    let mut warnings = dualmatch_core::season::Diagnostics::new();
    for path in &a.seasons {
        seasons.push((path.clone(), load_season(path, None, global, &progress, &mut warnings)?));
    }
    let engines: Vec<Engine> = seasons
        .iter()
        .map(|(_, s)| Engine::new(s).weights(weights).improve(a.improve).max_pairs(a.pairs.max_pairs))
        .collect();
    for e in &engines {
        if e.season().candidates().is_none() {
            progress.step("scoring candidates");
        }
        e.candidates().map_err(exit::engine)?;
    }
    progress.finish();
    let total = engines.len() as u64 * Engine::compare_runs(&chosen, a.seeds);
    let bar = progress.bar(total, "policy runs");
    // Rows come in season, policy, seed order, whatever the thread count.
    let mut runs: Vec<Run> = Vec::new();
    for (si, e) in engines.iter().enumerate() {
        let rows: Vec<CompareRow> =
            e.compare_with_progress(&chosen, a.seeds, a.seed, &|| bar.inc(1)).map_err(exit::engine)?;
        runs.extend(rows.into_iter().map(|r| Run {
            season: si,
            policy: r.policy.name(),
            seed: r.seed,
            result: r.result.map_err(|inf| inf.describe(e.season()).join("; ")),
            seconds: r.seconds,
        }));
    }
    bar.finish_and_clear();
    let timings = !a.dir.no_timings;
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
    crate::results::warnings::write(&dir, &warnings)?;
    dir.commit()?;
    if !global.quiet {
        eprintln!("{} runs ({} policies × seasons × seeds); wrote {}", runs.len(), chosen.len(), a.dir.out.display());
    }
    let failed = runs.iter().filter(|r| r.result.is_err()).count();
    Ok(ExitCode::from(if failed > 0 { exit::INFEASIBLE } else { exit::OK }))
}

/// comparison.csv: one row per run, cells as every table of dualmatch
/// ([`Table::write_csv`]).
fn write_csv(w: &mut dyn Write, seasons: &[(PathBuf, Season)], runs: &[Run], timings: bool) -> std::io::Result<()> {
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
    let text = ["season", "policy", "error"];
    let columns = header.iter().map(|&h| (h, if text.contains(&h) { Kind::Text } else { Kind::Number }));
    let f = |x: f64| format!("{x:.6}");
    let table = Table::new("comparison", columns, |sink| {
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
            sink(&rec)?;
        }
        Ok(())
    });
    table.write_csv(w)
}
