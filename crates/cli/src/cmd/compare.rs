//! `dualmatch compare`: run allocation policies side by side on the same
//! seasons, each randomised policy under several seeds, in parallel; with
//! `--shard i/N`, only shard i's runs, written as a part for `merge`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dualmatch::shard::{ComparePart, CompareRun as PartRun, Part, PartHeader};
use dualmatch::{Engine, Improve, Policy, Season};

use crate::args::{CompareArgs, Global};
use crate::exit::{self, usage};
use crate::inputs::{load_season, load_weights};
use crate::output::StagedDir;
use crate::parts::{self, CompareSettings};
use crate::progress::Progress;
use crate::results::compare::{write_comparison, CompareRun};

/// Runs the command.
pub fn run(a: CompareArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let mut inputs: Vec<&Path> = a.seasons.iter().map(PathBuf::as_path).collect();
    inputs.extend(a.weights.as_deref());
    // Checked and created before any work: a bad or unwritable --out fails now.
    let dir = StagedDir::new(&a.dir.out, a.dir.force, "compare", &inputs)?;
    if a.seeds == 0 {
        return Err(usage("--seeds must be at least 1"));
    }
    let mut chosen = Policy::parse_list(&a.policies).map_err(|e| usage(format!("{e} (or all)")))?;
    if chosen.is_empty() {
        return Err(usage("--policies is empty; for example --policies max-fit,stable,first-come"));
    }
    let shard = parts::shard(&a.shard)?;
    let weights = load_weights(a.weights.as_deref())?;
    let progress = Progress::new(global.quiet);
    let mut seasons: Vec<(PathBuf, Season)> = Vec::new();
    let mut warnings = dualmatch_core::season::Diagnostics::new();
    for path in &a.seasons {
        seasons.push((path.clone(), load_season(path, None, global, &progress, &mut warnings)?));
    }
    let engines: Vec<Engine> = seasons
        .iter()
        .map(|(_, s)| {
            Engine::new(s)
                .weights(weights)
                .improvement(a.improve.unwrap_or_default())
                .tie_break(a.tie_break)
                .max_pairs(a.pairs.max_pairs)
        })
        .collect();
    for e in &engines {
        if e.season().candidates().is_none() {
            progress.step("scoring candidates");
        }
        e.candidates().map_err(exit::engine)?;
    }
    progress.finish();
    // `all` on seasons with mentors or rhythms: the policies that honour
    // them (a policy named on its own still runs, and its rows say why it
    // was refused).
    let improve = a.improve.unwrap_or_default();
    if a.policies.split(',').any(|p| p.trim() == "all") {
        let all: Vec<&Season> = seasons.iter().map(|(_, s)| s).collect();
        let (kept, left) = dualmatch::honouring_mentors(&all, improve, &chosen);
        if kept.is_empty() {
            return Err(usage("no policy honours mentors or rhythms with --improve; leave out --improve"));
        }
        if !left.is_empty() && !global.quiet {
            let names: Vec<&str> = left.iter().map(|p| p.name()).collect();
            eprintln!(
                "note: --policies all leaves out the {} policies that do not honour the season's mentors or rhythms{}: {}",
                left.len(),
                if improve == Improve::None { "" } else { " (none does with --improve)" },
                names.join(", ")
            );
        }
        chosen = kept;
    }
    let per_season = Engine::compare_runs(&chosen, a.seeds);
    let total = engines.len() as u64 * per_season;
    let whole = shard.unwrap_or(dualmatch::shard::Shard::WHOLE);
    let mine = (0..total).filter(|&k| whole.owns_run(k)).count() as u64;
    let bar = progress.bar(mine, "policy runs");
    // Rows come in season, policy, seed order, whatever the thread count.
    let mut runs: Vec<(u64, CompareRun)> = Vec::new();
    for (si, e) in engines.iter().enumerate() {
        let rows = e
            .compare_share(&chosen, a.seeds, a.seed, si as u64 * per_season, whole, &|| bar.inc(1))
            .map_err(exit::engine)?;
        runs.extend(rows.into_iter().map(|(k, r)| {
            let run = CompareRun {
                season: si,
                policy: r.policy,
                seed: r.seed,
                result: r.result.map_err(|inf| inf.describe(e.season()).join("; ")),
                seconds: r.seconds,
                ranks: r.ranks,
            };
            (k, run)
        }));
    }
    bar.finish_and_clear();
    let timings = !a.dir.no_timings;
    let (improve, tie_break) = (a.improve.unwrap_or_default(), a.tie_break);
    let failed = runs.iter().filter(|r| r.1.result.is_err()).count();
    match shard {
        Some(shard) => {
            let mut inputs: Vec<(&str, &Path)> = a.seasons.iter().map(|p| ("season", p.as_path())).collect();
            inputs.extend(a.weights.as_deref().map(|w| ("weights", w)));
            let settings = CompareSettings {
                policies: chosen.iter().map(|p| p.name().to_string()).collect(),
                seeds: a.seeds,
                seed: a.seed,
                improve: improve.name().into(),
                tie_break: tie_break.name().into(),
                max_pairs: a.pairs.max_pairs,
                timings,
            };
            let header = PartHeader::new("compare", shard, parts::digests(&inputs)?, parts::to_value(&settings));
            let runs = runs
                .into_iter()
                .map(|(index, r)| PartRun {
                    index,
                    season: r.season,
                    policy: r.policy.name().to_string(),
                    seed: r.seed,
                    error: r.result.as_ref().err().cloned(),
                    metrics: r.result.ok(),
                    seconds: r.seconds,
                    ranks: r.ranks,
                })
                .collect();
            parts::write_part(&dir, &Part::Compare(ComparePart { header, total, runs }))?;
        }
        None => {
            let runs: Vec<CompareRun> = runs.into_iter().map(|(_, r)| r).collect();
            write_comparison(&dir, &seasons, &runs, improve, tie_break, timings)?;
        }
    }
    crate::results::warnings::write(&dir, &warnings)?;
    dir.commit()?;
    if !global.quiet {
        let what = shard.map(|s| format!("shard {s} of ")).unwrap_or_default();
        eprintln!(
            "{mine} runs ({what}{total}: {} policies × seasons × seeds); wrote {}",
            chosen.len(),
            a.dir.out.display()
        );
    }
    // A shard's failed runs are part of its result: the merge exits 1 for
    // them as the single run does, and a scheduler's "after ok" still runs it.
    Ok(ExitCode::from(if failed > 0 && shard.is_none() { exit::INFEASIBLE } else { exit::OK }))
}
