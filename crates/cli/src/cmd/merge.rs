//! `dualmatch merge`: the parts of a sharded `compare` or `match` put
//! together into the single run's result, written by the same writers.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dualmatch::shard::{self, ComparePart, MatchPart, Part, PartHeader};
use dualmatch::Season;

use crate::args::{Global, MergeArgs};
use crate::exit::{self, usage};
use crate::inputs::{load_season, load_weights, match_engine, read_option_file};
use crate::output::StagedDir;
use crate::parts::{self, CompareSettings, MatchSettings};
use crate::progress::Progress;
use crate::results::compare::{write_comparison, CompareRun};
use crate::results::{self, HowMade};

/// Runs the command.
pub fn run(a: MergeArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let mut parts = parts::read_parts(&a.parts)?;
    parts.sort_by_key(|(_, p)| p.header().shard.index);
    let headers: Vec<(&str, &PartHeader)> = parts.iter().map(|(n, p)| (n.as_str(), p.header())).collect();
    shard::check_parts(&headers).map_err(|e| usage(e.to_string()))?;
    let header = parts[0].1.header().clone();
    shard::check_inputs(&header).map_err(|e| usage(e.to_string()))?;
    let input = |role: &str| header.inputs.iter().find(|i| i.role == role).map(|i| PathBuf::from(&i.path));
    let mut guarded: Vec<PathBuf> = a.parts.clone();
    guarded.extend(header.inputs.iter().map(|i| PathBuf::from(&i.path)));
    let guarded: Vec<&Path> = guarded.iter().map(PathBuf::as_path).collect();
    // Checked and created before any work: a bad or unwritable --out fails now.
    let dir = StagedDir::new(&a.out, a.force, "merge", &guarded)?;
    let progress = Progress::new(global.quiet);
    let parts: Vec<Part> = parts.into_iter().map(|(_, p)| p).collect();
    let code = match header.command.as_str() {
        "compare" => {
            let parts: Vec<ComparePart> =
                parts.into_iter().filter_map(|p| if let Part::Compare(c) = p { Some(c) } else { None }).collect();
            merge_compare(&dir, &header, &parts, global, &progress)?
        }
        "match" => {
            let parts: Vec<MatchPart> =
                parts.into_iter().filter_map(|p| if let Part::Match(m) = p { Some(m) } else { None }).collect();
            let settings: MatchSettings = parts::settings(&header.settings)?;
            let season_path = input("season").ok_or_else(|| usage("the parts name no season"))?;
            let mut warnings = dualmatch_core::season::Diagnostics::new();
            let t0 = std::time::Instant::now();
            let season = load_season(&season_path, input("candidates").as_deref(), global, &progress, &mut warnings)?;
            let t_read = t0.elapsed().as_secs_f64();
            let weights = load_weights(input("weights").as_deref())?;
            let mut engine = match_engine(&season, weights, &settings)?;
            if let Some(path) = input("constraints") {
                let text = read_option_file(&path, "the constraints file")?;
                engine = engine.constraints_toml(&text, &path.display().to_string()).map_err(exit::engine)?;
            }
            if season.candidates().is_none() {
                progress.step("scoring candidates");
            }
            let sizes = engine.part_sizes().map_err(exit::engine)?;
            let t_score = t0.elapsed().as_secs_f64() - t_read;
            let (layout, shares) = shard::merge_match(&parts, sizes).map_err(|e| usage(e.to_string()))?;
            let most = |k: usize| parts.iter().map(|p| p.seconds[k]).fold(0.0, f64::max);
            progress.step("putting the shards' components together");
            let run = engine.assemble(&layout, &shares, most(1)).map_err(exit::engine)?;
            let (improve, tie_break) = settings.improvement()?;
            let how = HowMade {
                policy: engine.options().policy,
                seed: settings.seed,
                improve,
                tie_break,
                source: engine.candidate_source().map_err(exit::engine)?.as_str(),
                // This run's own load and scoring; the slowest shard's solve.
                timings: settings.timings.then_some([t_read, t_score, most(1)]),
                files: settings.files(),
                rhythm_advice: settings.rhythm_advice,
            };
            progress.step("writing results");
            results::write_match(&dir, &run, &how, &progress, global.quiet)?;
            results::warnings::write(&dir, &warnings)?;
            exit::OK
        }
        other => return Err(usage(format!("parts of an unknown command {other:?}"))),
    };
    dir.commit()?;
    progress.finish();
    if !global.quiet {
        eprintln!("merged {} {} parts; wrote {}", header.shard.count, header.command, a.out.display());
    }
    Ok(ExitCode::from(code))
}

/// The comparison of the parts; exit code 1 when a run failed, as for the
/// single run.
fn merge_compare(
    dir: &StagedDir,
    header: &PartHeader,
    parts: &[ComparePart],
    global: &Global,
    progress: &Progress,
) -> anyhow::Result<u8> {
    let settings: CompareSettings = parts::settings(&header.settings)?;
    let mut seasons: Vec<(PathBuf, Season)> = Vec::new();
    let mut warnings = dualmatch_core::season::Diagnostics::new();
    for i in header.inputs.iter().filter(|i| i.role == "season") {
        let path = PathBuf::from(&i.path);
        let season = load_season(&path, None, global, progress, &mut warnings)?;
        seasons.push((path, season));
    }
    progress.finish();
    let merged = shard::merge_compare(parts).map_err(|e| usage(e.to_string()))?;
    let mut runs = Vec::with_capacity(merged.len());
    for r in merged {
        let result = match (r.metrics, r.error) {
            (Some(m), None) => Ok(m),
            (None, Some(e)) => Err(e),
            _ => return Err(usage(format!("run {} of the parts has both or neither metrics and error", r.index))),
        };
        if r.season >= seasons.len() {
            return Err(usage(format!("run {} of the parts names season {} of {}", r.index, r.season, seasons.len())));
        }
        runs.push(CompareRun {
            season: r.season,
            policy: parts::policy(&r.policy)?,
            seed: r.seed,
            result,
            seconds: r.seconds,
            ranks: r.ranks,
        });
    }
    let (improve, tie_break) = settings.improvement()?;
    write_comparison(dir, &seasons, &runs, improve, tie_break, settings.timings)?;
    crate::results::warnings::write(dir, &warnings)?;
    Ok(if runs.iter().any(|r| r.result.is_err()) { exit::INFEASIBLE } else { exit::OK })
}
