//! `dualmatch match`: optimal placements for a whole season; with
//! `--shard i/N`, one shard's share of its components, written as a part
//! for `merge`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use dualmatch::shard::{MatchPart, Part, PartHeader, Shard};
use dualmatch::{Error, Improve, Policy, Solver, TieBreak, Weights};
use dualmatch_optimiser::Conflict;

use crate::args::{Global, MatchArgs, ResultFiles};
use crate::exit::{self, usage};
use crate::inputs::{load_season, load_weights, match_engine, read_option_file};
use crate::output::StagedDir;
use crate::parts::{self, MatchSettings};
use crate::progress::Progress;
use crate::results;

/// The validated configuration of one run.
pub struct MatchConfig {
    season: PathBuf,
    candidates: Option<PathBuf>,
    weights: Weights,
    constraints: Option<(PathBuf, String)>,
    policy: Policy,
    seed: u64,
    improve: Improve,
    tie_break: TieBreak,
    solver: Solver,
    time_limit: Option<std::time::Duration>,
    out: PathBuf,
    force: bool,
    timings: bool,
    files: ResultFiles,
    /// `--rhythm-advice`.
    rhythm_advice: bool,
    max_pairs: u64,
    weights_path: Option<PathBuf>,
    shard: Option<Shard>,
}

impl MatchConfig {
    fn from_args(a: MatchArgs) -> anyhow::Result<Self> {
        let shard = parts::shard(&a.shard)?;
        let weights = load_weights(a.weights.as_deref())?;
        let constraints = match a.constraints {
            Some(p) => {
                let text = read_option_file(&p, "the constraints file")?;
                // A policy that cannot honour a constraint is refused before any work.
                dualmatch_optimiser::policies::check_supported(
                    a.policy.implementation().as_ref(),
                    &text,
                    &p.display().to_string(),
                )
                .map_err(|e| usage(e.to_string()))?;
                Some((p, text))
            }
            None => None,
        };
        Ok(Self {
            season: a.season,
            candidates: a.candidates,
            weights,
            constraints,
            policy: a.policy,
            seed: a.seed,
            improve: a.improve.unwrap_or_default(),
            tie_break: a.tie_break,
            solver: a.solver,
            time_limit: a.time_limit,
            out: a.dir.out,
            force: a.dir.force,
            timings: !a.dir.no_timings,
            files: a.files,
            rhythm_advice: a.rhythm_advice,
            max_pairs: a.pairs.max_pairs,
            weights_path: a.weights,
            shard,
        })
    }
}

/// Runs the command.
pub fn run(args: MatchArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let inputs: Vec<PathBuf> =
        [Some(&args.season), args.candidates.as_ref(), args.weights.as_ref(), args.constraints.as_ref()]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
    let cfg = MatchConfig::from_args(args)?;
    // Checked and created before any work: a bad or unwritable --out fails now.
    let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let dir = StagedDir::new(&cfg.out, cfg.force, "match", &inputs)?;
    let progress = Progress::new(global.quiet);
    let t0 = Instant::now();
    let mut warnings = dualmatch_core::season::Diagnostics::new();
    let season = load_season(&cfg.season, cfg.candidates.as_deref(), global, &progress, &mut warnings)?;
    let t_read = t0.elapsed().as_secs_f64();
    let mut settings = MatchSettings::new(
        cfg.policy,
        cfg.seed,
        (cfg.improve, cfg.tie_break),
        cfg.solver,
        cfg.max_pairs,
        cfg.timings,
        cfg.files,
    );
    settings.rhythm_advice = cfg.rhythm_advice;
    let mut engine = match_engine(&season, cfg.weights, &settings)?;
    if let Some(limit) = cfg.time_limit {
        engine = engine.time_limit(limit);
    }
    if season.candidates().is_none() {
        progress.step("scoring candidates");
    }
    let pairs = engine.candidates().map_err(exit::engine)?.len();
    let t_load = t0.elapsed().as_secs_f64();
    if let Some((path, text)) = &cfg.constraints {
        engine = engine.constraints_toml(text, &path.display().to_string()).map_err(exit::engine)?;
    }
    progress.step(&format!("solving {} ({pairs} candidate pairs)", cfg.policy));
    let t1 = Instant::now();
    let infeasible = |inf: dualmatch::Infeasible| {
        progress.finish();
        eprintln!("dualmatch: the constraints cannot all be met:");
        for line in inf.describe(&season) {
            eprintln!("  - {}", dualmatch_core::text::visible(&line));
        }
        eprintln!("relax the floors or pins above and run again (nothing was written)");
        Ok(ExitCode::from(exit::INFEASIBLE))
    };
    if let Some(shard) = cfg.shard {
        // One shard: its share of the components, as a part for `merge`.
        let (layout, share) = match engine.solve_share(shard) {
            Ok(s) => s,
            Err(Error::Infeasible(inf)) => return infeasible(inf),
            Err(e) => return Err(exit::engine(e)),
        };
        let mut roles = vec![("season", cfg.season.as_path())];
        roles.extend(cfg.candidates.as_deref().map(|p| ("candidates", p)));
        roles.extend(cfg.weights_path.as_deref().map(|p| ("weights", p)));
        roles.extend(cfg.constraints.as_ref().map(|(p, _)| ("constraints", p.as_path())));
        let header = PartHeader::new("match", shard, parts::digests(&roles)?, parts::to_value(&settings));
        let seconds = [t_load, t1.elapsed().as_secs_f64()];
        parts::write_part(&dir, &Part::Match(MatchPart::new(header, &layout, &share, seconds)))?;
        dir.commit()?;
        progress.finish();
        if !global.quiet {
            let placed = share.placed.len();
            let n = share.components.len();
            eprintln!(
                "shard {shard}: {n} of {} components, {placed} placed; wrote {}",
                layout.components,
                cfg.out.display()
            );
        }
        return Ok(ExitCode::from(exit::OK));
    }
    let run = match engine.solve() {
        Ok(run) => run,
        // The mixed-integer solver stopped without a placement (a time limit
        // too short, or a solver failure): not a conflict of the constraints.
        Err(Error::Infeasible(inf)) if inf.conflicts.iter().all(|c| matches!(c, Conflict::Solver(_))) => {
            progress.finish();
            for line in inf.describe(&season) {
                eprintln!("dualmatch: {}", dualmatch_core::text::visible(&line));
            }
            eprintln!("nothing was written");
            return Ok(ExitCode::from(exit::INFEASIBLE));
        }
        Err(Error::Infeasible(inf)) => return infeasible(inf),
        Err(e) => return Err(exit::engine(e)),
    };
    let t_solve = t1.elapsed().as_secs_f64();
    progress.step("writing results");
    let source = engine.candidate_source().map_err(exit::engine)?.as_str();
    let how = results::HowMade {
        policy: cfg.policy,
        seed: cfg.seed,
        improve: cfg.improve,
        tie_break: cfg.tie_break,
        source,
        timings: cfg.timings.then_some([t_read, t_load - t_read, t_solve]),
        files: cfg.files,
        rhythm_advice: cfg.rhythm_advice,
    };
    results::write_match(&dir, &run, &how, &progress, global.quiet)?;
    results::warnings::write(&dir, &warnings)?;
    dir.commit()?;
    progress.finish();
    let gap = run.gap().unwrap_or(0.0);
    if !global.quiet {
        eprintln!(
            "placed {} of {} learners, total score {:.2} ({}); wrote {}",
            run.placed(),
            season.learners().len(),
            run.total_score(),
            match run.proof() {
                Some(proof) if gap > 0.0 => {
                    format!("{}, time limit hit: bound {:.2}, gap {:.2}", cfg.policy, proof.bound, gap)
                }
                Some(proof) => format!("{}, optimal: bound {:.2}", cfg.policy, proof.bound),
                None => cfg.policy.to_string(),
            },
            cfg.out.display()
        );
    }
    Ok(ExitCode::from(exit::OK))
}

/// Which optional files a result directory gets (see [`crate::write_match_result`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteOptions {
    /// results.xlsx beside the CSV files (`--xlsx`).
    pub xlsx: bool,
    /// by-school/ with one folder per school (`--by-school`).
    pub by_school: bool,
    /// waitlist.csv and recruitment.csv for a max-fit result (unless `--no-advice`).
    pub advice: bool,
    /// The rhythm advice in summary.json and report.html (`--rhythm-advice`).
    pub rhythm_advice: bool,
}

impl Default for WriteOptions {
    /// The files of `dualmatch match` without options: advice, no workbook, no school folders.
    fn default() -> Self {
        Self { xlsx: false, by_school: false, advice: true, rhythm_advice: false }
    }
}

impl From<&ResultFiles> for WriteOptions {
    fn from(f: &ResultFiles) -> Self {
        Self { xlsx: f.xlsx, by_school: f.by_school, advice: !f.no_advice, rhythm_advice: false }
    }
}
