//! The files of a `match` result: report.html and the result directory's
//! tables and summary. `match` and `merge` (of a sharded match) write
//! through [`write_match`], so a merged result is the single run's, byte
//! for byte.

use std::time::Instant;

use dualmatch::{Improve, Policy, Run, TieBreak};

use super::{Outcome, SummaryInfo};
use crate::args::ResultFiles;
use crate::output::StagedDir;
use crate::progress::Progress;

/// How a match was made, as its files say.
pub struct HowMade {
    /// The policy.
    pub policy: Policy,
    /// The lottery seed.
    pub seed: u64,
    /// What was done after the policy (`--improve`).
    pub improve: Improve,
    /// How the lottery broke the workplaces' ties (`--tie-break`).
    pub tie_break: TieBreak,
    /// Where the candidate pairs come from (`scored`, `supplied`).
    pub source: &'static str,
    /// The seconds to load the season, score the candidates and solve, when
    /// timings are written (the advice and the writing are timed here).
    pub timings: Option<[f64; 3]>,
    /// The extra files asked for.
    pub files: ResultFiles,
    /// Whether the rhythm advice is worked out (`--rhythm-advice`).
    pub rhythm_advice: bool,
}

/// Writes report.html and the result files of `run`; the waiting list and
/// recruitment advice are worked out here (max-fit, unless left out).
pub fn write_match(dir: &StagedDir, run: &Run, how: &HowMade, progress: &Progress, quiet: bool) -> anyhow::Result<()> {
    let t_advice = Instant::now();
    let season = run.season();
    let reasons = run.unplaced();
    let optimal = run.proof().is_some();
    let gap = run.gap().unwrap_or(0.0);
    let proof_line = match run.proof() {
        Some(proof) if gap > 0.0 => format!(
            "Best found by {} within the time limit: total score {:.2}, bound {:.2}, gap {:.2} (method {}).",
            how.policy,
            run.total_score(),
            proof.bound,
            gap,
            proof.method
        ),
        Some(proof) => format!(
            "Optimal for {}: the dual bound {:.2} equals the total score (method {}, {} independent components).",
            how.policy, proof.bound, proof.method, proof.components
        ),
        None => format!(
            "Policy {} (seed {}{}); not an optimisation, so no bound.",
            how.policy,
            how.seed,
            match how.improve {
                Improve::None => "",
                Improve::Pareto => ", Pareto-improved",
                Improve::Sic => ", improved by stable improvement cycles",
            }
        ),
    };
    let advice = if how.files.no_advice {
        None
    } else {
        if run.duals().is_some() && run.advice_unmodelled().is_none() {
            progress.step("waiting list and recruitment advice");
        }
        super::advice_or_warn(run.advice().transpose(), progress, quiet)
    };
    let advice_seconds = t_advice.elapsed().as_secs_f64();
    let started = Instant::now();
    // The rank profile (a pass over every pair) beside the follow-up plan.
    // (Not beside the advice: that runs on every core, and its sequential
    // searches would wait for them.)
    let visits = how.files.visits_per_day.map(|n| n as usize);
    let (rank, followup) = rayon::join(
        || run.rank_profile(),
        || super::followup::plan(season, run.candidates(), run.assignment(), run.mentors(), visits),
    );
    // Rhythm advice: exact re-solves, when asked for (--rhythm-advice).
    let rhythm_advice = if !how.rhythm_advice || !season.has_rhythms() || !optimal || gap > 0.0 {
        None
    } else {
        progress.step("rhythm advice");
        Some(run.rhythm_advice(run.options().time_limit)?)
    };
    let absent = super::files_not_written(
        how.policy.name(),
        run.duals().is_some(),
        advice.is_some(),
        how.files.no_advice,
        run.advice_unmodelled().as_deref(),
    );
    let info = SummaryInfo {
        policy: how.policy.name(),
        seed: (!optimal).then_some(how.seed),
        improve: how.improve != Improve::None,
        optimal,
        timings: how.timings.is_some(),
    };
    let [load, score, solve] = how.timings.unwrap_or_default();
    let mut summary = super::summary(&info, season, run.candidates(), how.source, run.solved(), reasons);
    let phases = [("load", load), ("score", score), ("solve", solve), ("advice", advice_seconds)];
    super::set_timings(&mut summary, &info, &phases);
    super::add_policy_options(&mut summary, &rank, how.improve, how.tie_break);
    super::add_short_lines(&mut summary, &run.sites_by_school(), run.new_site_penalty_paid());
    super::note_files_not_written(&mut summary, &absent);
    if let Some(advice) = &rhythm_advice {
        summary["rhythm_advice"] = rhythm_advice_json(season, advice);
    }
    let outcome = Outcome {
        season,
        candidates: run.candidates(),
        solved: run.solved(),
        reasons,
        changes: None,
        advice: advice.as_ref(),
        followup: &followup,
        mentors: run.mentors(),
    };
    // The report beside the other files.
    let report = || {
        let html = crate::report::matching::render(&crate::report::matching::Report {
            season,
            candidates: run.candidates(),
            assignment: run.assignment(),
            followup: &followup,
            reasons,
            policy: how.policy.name(),
            proof_line: &proof_line,
            absent: &absent,
            changes: None,
            mentors: run.mentors(),
            rhythm_advice: rhythm_advice.as_deref(),
        });
        dir.write_bytes("report.html", html.as_bytes())
    };
    let files = || {
        super::write_result(dir, &outcome, &summary, &how.files)?;
        super::write_certificate(dir, season, run.constraints(), run.solved())
    };
    let (report, files) = rayon::join(report, files);
    // The report's error first, as when it was written before the other files.
    report?;
    files?;
    super::write_summary(dir, &mut summary, &info, started)
}

/// summary.json's `rhythm_advice`: the pairs of schools, largest gain first.
fn rhythm_advice_json(
    s: &dualmatch::Season,
    advice: &[dualmatch_optimiser::rhythm_advice::RhythmAdvice],
) -> serde_json::Value {
    serde_json::Value::Array(
        advice
            .iter()
            .map(|a| {
                serde_json::json!({
                    "programme": s.programme(a.programme).id,
                    "school_that_moves": s.school(a.mover).id,
                    "other_school": s.school(a.other).id,
                    "from": a.from.to_string(),
                    "to": a.to.to_string(),
                    "more_placed": a.gain,
                    "proven": a.proven,
                    "shared_workplaces": a.shared.iter().map(|w| s.workplace(*w).id.clone()).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}
