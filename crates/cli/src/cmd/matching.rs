//! `dualmatch match`: optimal placements for a whole season.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use dualmatch::{Engine, Error, Policy, Solver, Weights};

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
    let mut warnings = dualmatch_core::season::Diagnostics::new();
    let season = load_season(&cfg.season, cfg.candidates.as_deref(), global, &progress, &mut warnings)?;
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
    progress.step("writing results");
    let reasons = run.unplaced();
    let optimal = run.proof().is_some();
    let proof_line = match run.proof() {
        Some(proof) => format!(
            "Optimal for {}: the dual bound {:.2} equals the total score (method {}, {} independent components).",
            cfg.policy, proof.bound, proof.method, proof.components
        ),
        None => format!(
            "Policy {} (seed {}{}); not an optimisation, so no bound.",
            cfg.policy,
            cfg.seed,
            if cfg.improve { ", improved" } else { "" }
        ),
    };
    let html = crate::report::matching::render(
        &season,
        run.candidates(),
        run.assignment(),
        reasons,
        cfg.policy.name(),
        &proof_line,
    );
    dir.write_bytes("report.html", html.as_bytes())?;
    let advice = if cfg.files.no_advice {
        None
    } else {
        if run.duals().is_some() {
            progress.step("waiting list and recruitment advice");
        }
        results::advice_or_warn(run.advice().transpose(), &progress, global.quiet)
    };
    let info = SummaryInfo {
        policy: cfg.policy.name(),
        seed: (!optimal).then_some(cfg.seed),
        improve: cfg.improve,
        optimal,
        timings: cfg.timings,
    };
    let source = engine.candidate_source().map_err(exit::engine)?.as_str();
    let summary = results::summary(&info, &season, run.candidates(), source, run.solved(), reasons, [t_load, t_solve]);
    let outcome = Outcome {
        season: &season,
        candidates: run.candidates(),
        solved: run.solved(),
        reasons,
        changes: None,
        advice: advice.as_ref(),
    };
    results::write_result(&dir, &outcome, &summary, &cfg.files)?;
    results::warnings::write(&dir, &warnings)?;
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
