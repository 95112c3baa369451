//! The files of a `compare` result: comparison.csv, comparison.json and
//! report.html. `compare` and `merge` (of a sharded compare) write through
//! [`write_comparison`], so a merged result is the single run's, byte for
//! byte.

use std::io::Write;
use std::path::PathBuf;

use dualmatch::Season;
use dualmatch_optimiser::metrics::{Figure, Metrics, FIGURES};
use serde_json::json;

use crate::output::{Kind, StagedDir, Table};

/// One policy run.
pub struct CompareRun {
    /// The season, by position.
    pub season: usize,
    /// The policy's name.
    pub policy: &'static str,
    /// The lottery seed of a randomised policy.
    pub seed: Option<u64>,
    /// The metrics, or why the constraints could not be met.
    pub result: Result<Metrics, String>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Writes comparison.csv, comparison.json and report.html of `runs` (in
/// season, policy, seed order) on `seasons`.
pub fn write_comparison(
    dir: &StagedDir,
    seasons: &[(PathBuf, Season)],
    runs: &[CompareRun],
    improve: bool,
    timings: bool,
) -> anyhow::Result<()> {
    dir.write("comparison.csv", |w| write_csv(w, seasons, runs, timings))?;
    let js = json!({
        "improve": improve,
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
        seasons,
        &runs.iter().map(|r| (r.season, r.policy, r.seed, r.result.as_ref().ok())).collect::<Vec<_>>(),
    );
    dir.write("report.html", |w| w.write_all(html.as_bytes()))?;
    Ok(())
}

/// comparison.csv: one row per run, cells as every table of dualmatch
/// ([`Table::write_csv`]); the figures are [`FIGURES`], the one list the
/// Python package's compare frame uses too.
fn write_csv(
    w: &mut dyn Write,
    seasons: &[(PathBuf, Season)],
    runs: &[CompareRun],
    timings: bool,
) -> std::io::Result<()> {
    let mut header = vec!["season", "policy", "seed"];
    header.extend(FIGURES.iter().map(|(name, _)| *name));
    header.push("error");
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
                    rec.extend(FIGURES.iter().map(|(_, figure)| match figure(m) {
                        Figure::Count(n) => n.to_string(),
                        Figure::Real(x) => f(x),
                    }));
                    rec.push(String::new());
                }
                Err(e) => {
                    rec.extend(std::iter::repeat_n(String::new(), FIGURES.len()));
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
