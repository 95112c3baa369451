//! `dualmatch match`: optimal placements for a whole season.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use dualmatch::{CandidateSource, Engine, Error, Policy, Run, Solver, Weights};

use crate::args::{Global, MatchArgs, ResultFiles};
use crate::exit::{self, usage};
use crate::inputs::{load_season, load_weights, read_option_file};
use crate::output::StagedDir;
use crate::progress::Progress;
use crate::results::{self, Outcome, SummaryInfo};

/// The validated configuration of one run.
pub struct MatchConfig {
    season: PathBuf,
    candidates: Option<PathBuf>,
    weights: Weights,
    constraints: Option<(PathBuf, String)>,
    policy: Policy,
    seed: u64,
    improve: bool,
    solver: Solver,
    out: PathBuf,
    force: bool,
    timings: bool,
    files: ResultFiles,
    max_pairs: u64,
}

impl MatchConfig {
    fn from_args(a: MatchArgs) -> anyhow::Result<Self> {
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
            improve: a.improve,
            solver: a.solver,
            out: a.dir.out,
            force: a.dir.force,
            timings: !a.dir.no_timings,
            files: a.files,
            max_pairs: a.pairs.max_pairs,
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
    let season = load_season(&cfg.season, cfg.candidates.as_deref(), global, &progress)?;
    let mut engine = Engine::new(&season)
        .weights(cfg.weights)
        .policy(cfg.policy)
        .seed(cfg.seed)
        .improve(cfg.improve)
        .solver(cfg.solver)
        .max_pairs(cfg.max_pairs);
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
    let run = match engine.solve() {
        Ok(run) => run,
        Err(Error::Infeasible(inf)) => {
            progress.finish();
            eprintln!("dualmatch: the constraints cannot all be met:");
            for line in inf.describe(&season) {
                eprintln!("  - {}", dualmatch_core::text::visible(&line));
            }
            eprintln!("relax the floors or pins above and run again (nothing was written)");
            return Ok(ExitCode::from(exit::INFEASIBLE));
        }
        Err(e) => return Err(exit::engine(e)),
    };
    let t_solve = t1.elapsed().as_secs_f64();
    let source = engine.candidate_source().map_err(exit::engine)?;
    let write = WriteOptions::from(&cfg.files);
    let times = cfg.timings.then_some([t_load, t_solve]);
    write_run(&dir, &run, source, &write, times, &progress, global.quiet)?;
    dir.commit()?;
    progress.finish();
    if !global.quiet {
        eprintln!(
            "placed {} of {} learners, total score {:.2} ({}); wrote {}",
            run.placed(),
            season.learners().len(),
            run.total_score(),
            match run.proof() {
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
}

impl Default for WriteOptions {
    /// The files of `dualmatch match` without options: advice, no workbook, no school folders.
    fn default() -> Self {
        Self { xlsx: false, by_school: false, advice: true }
    }
}

impl From<&ResultFiles> for WriteOptions {
    fn from(f: &ResultFiles) -> Self {
        Self { xlsx: f.xlsx, by_school: f.by_school, advice: !f.no_advice }
    }
}

/// Writes the files of one match result into `dir` (report.html, the
/// advice of max-fit, summary.json and the tables); `times` are the load
/// and solve seconds for summary.json (`None`: left out).
pub(crate) fn write_run(
    dir: &StagedDir,
    run: &Run,
    source: CandidateSource,
    write: &WriteOptions,
    times: Option<[f64; 2]>,
    progress: &Progress,
    quiet: bool,
) -> anyhow::Result<()> {
    progress.step("writing results");
    let season = run.season();
    let options = run.options();
    let (policy, seed, improve) = (options.policy, options.seed, options.improve);
    let reasons = run.unplaced();
    let optimal = run.proof().is_some();
    let proof_line = match run.proof() {
        Some(proof) => format!(
            "Optimal for {}: the dual bound {:.2} equals the total score (method {}, {} independent components).",
            policy, proof.bound, proof.method, proof.components
        ),
        None => format!(
            "Policy {} (seed {}{}); not an optimisation, so no bound.",
            policy,
            seed,
            if improve { ", improved" } else { "" }
        ),
    };
    let html = crate::report::matching::render(
        season,
        run.candidates(),
        run.assignment(),
        reasons,
        policy.name(),
        &proof_line,
    );
    dir.write_bytes("report.html", html.as_bytes())?;
    let advice = if !write.advice {
        None
    } else {
        if run.duals().is_some() {
            progress.step("waiting list and recruitment advice");
        }
        results::advice_or_warn(run.advice().transpose(), progress, quiet)
    };
    let info = SummaryInfo {
        policy: policy.name(),
        seed: (!optimal).then_some(seed),
        improve,
        optimal,
        timings: times.is_some(),
    };
    let summary = results::summary(
        &info,
        season,
        run.candidates(),
        source.as_str(),
        run.solved(),
        reasons,
        times.unwrap_or_default(),
    );
    let outcome = Outcome {
        season,
        candidates: run.candidates(),
        solved: run.solved(),
        reasons,
        changes: None,
        advice: advice.as_ref(),
    };
    let files = ResultFiles { by_school: write.by_school, xlsx: write.xlsx, no_advice: !write.advice };
    results::write_result(dir, &outcome, &summary, &files)
}
