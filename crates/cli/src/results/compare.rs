//! The files of a `compare` result: comparison.csv, probabilities.csv,
//! comparison.json and report.html. `compare` and `merge` (of a sharded compare) write through
//! [`write_comparison`], so a merged result is the single run's, byte for
//! byte.

use std::io::Write;
use std::path::PathBuf;

use dualmatch::{Improve, Policy, Probabilities, RankRun, Season, TieBreak};
use dualmatch_optimiser::metrics::{Figure, Metrics, FIGURES};
use serde_json::json;

use crate::output::{Kind, StagedDir, Table};

/// One policy run.
pub struct CompareRun {
    /// The season, by position.
    pub season: usize,
    /// The policy.
    pub policy: Policy,
    /// The lottery seed of a randomised policy.
    pub seed: Option<u64>,
    /// The metrics, or why the constraints could not be met.
    pub result: Result<Metrics, String>,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Per learner: 0 unplaced, else the rank of her placement
    /// ([`dualmatch::CompareRow::ranks`]; empty when the run failed).
    pub ranks: Vec<u32>,
}

/// Writes comparison.csv, probabilities.csv, comparison.json and
/// report.html of `runs` (in season, policy, seed order) on `seasons`; the
/// placement probabilities are worked out from the runs' ranks.
pub fn write_comparison(
    dir: &StagedDir,
    seasons: &[(PathBuf, Season)],
    runs: &[CompareRun],
    improve: Improve,
    tie_break: TieBreak,
    timings: bool,
) -> anyhow::Result<()> {
    let odds: Vec<Vec<Probabilities>> = seasons
        .iter()
        .enumerate()
        .map(|(si, (_, season))| {
            let of_season: Vec<RankRun> = runs
                .iter()
                .filter(|r| r.season == si)
                .map(|r| RankRun { policy: r.policy, ranks: r.result.is_ok().then_some(&r.ranks[..]) })
                .collect();
            dualmatch::probabilities_of(season, &of_season)
        })
        .collect();
    dir.write("comparison.csv", |w| write_csv(w, seasons, runs, timings))?;
    dir.write("probabilities.csv", |w| write_probabilities(w, seasons, &odds))?;
    let js = json!({
        "improve": improve != Improve::None,
        "improvement": improve.name(),
        "tie_break": tie_break.name(),
        "runs": runs.iter().map(|r| {
            let mut v = json!({
                "season": seasons[r.season].0.display().to_string(),
                "policy": r.policy.name(),
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
    let mut html = crate::report::compare::render(
        seasons,
        &runs.iter().map(|r| (r.season, r.policy.name(), r.seed, r.result.as_ref().ok())).collect::<Vec<_>>(),
    );
    crate::report::probabilities::insert(&mut html, seasons, &odds);
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
                r.policy.name().to_string(),
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

/// Ranks with a column of their own in probabilities.csv; worse ranks share
/// `p_rank_over_20`.
const RANK_COLUMNS: usize = 20;

/// probabilities.csv: per season and policy, one row per learner (the share
/// of runs in which she is placed, at each rank, off her list) and one per
/// school (the mean placement rate over the runs with its 95% interval).
fn write_probabilities(
    w: &mut dyn Write,
    seasons: &[(PathBuf, Season)],
    odds: &[Vec<Probabilities>],
) -> std::io::Result<()> {
    let worst = odds.iter().flatten().flat_map(|p| p.learners.iter().map(|l| l.by_rank.len())).max().unwrap_or(0);
    let shown = worst.min(RANK_COLUMNS);
    let mut header: Vec<(String, Kind)> =
        ["season", "policy", "kind", "id"].map(|h| (h.to_string(), Kind::Text)).into();
    for h in ["runs", "learners", "p_placed", "p_off_list", "rate_mean", "rate_low95", "rate_high95"] {
        header.push((h.to_string(), Kind::Number));
    }
    header.extend((1..=shown).map(|k| (format!("p_rank_{k}"), Kind::Number)));
    if worst > RANK_COLUMNS {
        header.push((format!("p_rank_over_{RANK_COLUMNS}"), Kind::Number));
    }
    let width = header.len();
    let f = |x: f64| format!("{x:.6}");
    let table = Table::new("probabilities", header, |sink| {
        for (si, per_policy) in odds.iter().enumerate() {
            let (path, season) = &seasons[si];
            for p in per_policy {
                let head = |kind: &str, id: &str| {
                    vec![
                        path.display().to_string(),
                        p.policy.name().to_string(),
                        kind.to_string(),
                        id.to_string(),
                        p.runs.to_string(),
                    ]
                };
                for (l, o) in season.learners().iter().zip(&p.learners) {
                    let mut rec = head("learner", &l.id);
                    rec.extend([
                        String::new(),
                        f(o.placed),
                        f(o.off_list),
                        String::new(),
                        String::new(),
                        String::new(),
                    ]);
                    rec.extend((0..shown).map(|k| f(o.by_rank.get(k).copied().unwrap_or(0.0))));
                    if worst > RANK_COLUMNS {
                        rec.push(f(o.by_rank.iter().skip(RANK_COLUMNS).fold(0.0, |s, x| s + x)));
                    }
                    sink(&rec)?;
                }
                for (sc, r) in season.schools().iter().zip(&p.schools) {
                    let mut rec = head("school", &sc.id);
                    rec.extend([r.learners.to_string(), String::new(), String::new(), f(r.mean), f(r.low), f(r.high)]);
                    rec.resize(width, String::new());
                    sink(&rec)?;
                }
            }
        }
        Ok(())
    });
    table.write_csv(w)
}
