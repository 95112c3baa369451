//! `dualmatch score`: write every eligible learner–site pair with its score.

use std::process::ExitCode;

use dualmatch_core::scoring::Candidates;
use dualmatch_core::LearnerId;

use crate::args::{Global, ScoreArgs};
use crate::exit;
use crate::inputs::load_weights;
use crate::output::OutFile;
use crate::progress::Progress;

/// Runs the command.
pub fn run(a: ScoreArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let inputs: Vec<&std::path::Path> =
        [Some(a.season.as_path()), a.weights.as_deref()].into_iter().flatten().collect();
    // Checked and created before any work: a bad or unwritable --out fails now.
    let out = OutFile::new(&a.out, a.force, &inputs)?;
    let weights = load_weights(a.weights.as_deref())?;
    let progress = Progress::new(global.quiet);
    let mut warnings = dualmatch_core::season::Diagnostics::new();
    let season = crate::inputs::load_season(&a.season, None, global, &progress, &mut warnings)?;
    progress.step("scoring candidates");
    let cands = Candidates::generate_within(&season, &weights, None, a.pairs.max_pairs)
        .map_err(|e| exit::engine(dualmatch::Error::TooManyPairs(e)))?;
    progress.step(&format!("writing {} candidate pairs", cands.len()));
    out.write(|w| crate::results::write_candidates(w, &season, &cands))?;
    progress.finish();
    if !global.quiet {
        let with = (0..season.learners().len()).filter(|&l| !cands.of(LearnerId::from_index(l)).is_empty()).count();
        eprintln!(
            "wrote {} candidate pairs for {with} of {} learners to {}",
            cands.len(),
            season.learners().len(),
            a.out.display()
        );
    }
    Ok(ExitCode::from(exit::OK))
}
