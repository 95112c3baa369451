//! `dualmatch score`: write every eligible learner–site pair with its score.

use std::io::Write;
use std::process::ExitCode;

use dualmatch_core::scoring::{Candidates, COMPONENT_NAMES};
use dualmatch_core::season::LoadOptions;
use dualmatch_core::{LearnerId, Season};

use crate::args::{Global, ScoreArgs};
use crate::cmd::matching::{load_weights, score_within};
use crate::exit;
use crate::output;
use crate::progress::Progress;

/// Runs the command.
pub fn run(a: ScoreArgs, global: &Global) -> anyhow::Result<ExitCode> {
    output::check_overwrite(&a.out, a.force)?;
    let weights = load_weights(a.weights.as_deref())?;
    let progress = Progress::new(global.quiet);
    progress.step("loading season");
    let loaded = dualmatch_core::season::load_with(&a.season, &LoadOptions::default())?;
    let season = loaded.season;
    progress.step("scoring candidates");
    let cands = score_within(&season, &weights, a.pairs.max_pairs, "lower the learners' max_commute_km")?;
    progress.step(&format!("writing {} candidate pairs", cands.len()));
    output::write_file_atomic(&a.out, |w| write_candidates(w, &season, &cands))?;
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

/// Writes candidates as CSV: learner,workplace,programme,score, the
/// components, then distance_km. Learners in season order, best first.
pub fn write_candidates(w: &mut dyn Write, s: &Season, c: &Candidates) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let mut header = vec!["learner", "workplace", "programme", "score"];
    header.extend(COMPONENT_NAMES);
    header.push("distance_km");
    out.write_record(&header)?;
    for li in 0..s.learners().len() {
        let l = LearnerId::from_index(li);
        for i in c.of(l) {
            out.write_record(pair_row(s, c, l, i))?;
        }
    }
    out.flush()
}

/// The cells of candidate pair `i` of learner `l`, as in candidates.csv and
/// placements.csv: learner, workplace, programme, score, the components
/// (empty for supplied scores) and distance_km.
pub(crate) fn pair_row(s: &Season, c: &Candidates, l: LearnerId, i: usize) -> Vec<String> {
    let g = s.group(c.group[i]);
    let mut rec = vec![
        s.learner(l).id.clone(),
        s.workplace(g.workplace).id.clone(),
        s.programme(g.programme).id.clone(),
        format!("{}", c.score[i]),
    ];
    match &c.components {
        Some(cols) => rec.extend(cols.get(i).to_array().iter().map(|x| format!("{x:.4}"))),
        None => rec.extend(COMPONENT_NAMES.iter().map(|_| String::new())),
    }
    rec.push(format!("{:.2}", c.distance_km[i]));
    rec
}
