//! `dualmatch verify SEASON RESULT_DIR`: checks a result without trusting
//! the solver (the checks are `Engine::verify`); prints each with its
//! verdict.

use std::process::ExitCode;

use dualmatch::{Engine, Verdict};
use dualmatch_core::text::visible;

use crate::args::{Global, VerifyArgs};
use crate::exit;
use crate::inputs::{load_season, load_weights, read_option_file};
use crate::progress::Progress;

/// Runs the command.
pub fn run(args: VerifyArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let weights = load_weights(args.weights.as_deref())?;
    let constraints = match &args.constraints {
        Some(p) => Some((p.display().to_string(), read_option_file(p, "the constraints file")?)),
        None => None,
    };
    let progress = Progress::new(global.quiet);
    let mut warnings = dualmatch_core::season::Diagnostics::new();
    let season = load_season(&args.season, args.candidates.as_deref(), global, &progress, &mut warnings)?;
    let mut engine = Engine::new(&season).weights(weights).max_pairs(args.pairs.max_pairs);
    if let Some((file, text)) = &constraints {
        engine = engine.constraints_toml(text, file).map_err(exit::engine)?;
    }
    progress.step("verifying");
    let v = engine.verify(&args.result).map_err(exit::engine)?;
    progress.finish();
    for c in &v.checks {
        println!("{:<4}  {}: {}", c.verdict.as_str(), c.name, visible(&c.detail));
    }
    let failed = v.checks.iter().filter(|c| c.verdict == Verdict::Fail).count();
    if failed == 0 {
        println!("verified: every check holds ({})", args.result.display());
        Ok(ExitCode::from(exit::OK))
    } else {
        println!("NOT verified: {failed} check(s) fail ({})", args.result.display());
        Ok(ExitCode::from(exit::INFEASIBLE))
    }
}
