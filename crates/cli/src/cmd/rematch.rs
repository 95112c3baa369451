//! `dualmatch rematch`: re-place the learners affected by changes during the
//! season, optimally around every placement that is still valid. The rules
//! (pins, displacement by withdrawn seats, moves) are the engine's
//! ([`dualmatch::Engine::rematch`]); this command reads the files, calls it
//! and writes the result.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use dualmatch::{ChangeKind, Engine, Error, Objective, RematchOptions};
use dualmatch_optimiser::rematch::change_counts;
use serde_json::json;

use crate::args::{Global, RematchArgs};
use crate::exit;
use crate::inputs::{load_season, load_weights, read_csv_option_file};
use crate::output::StagedDir;
use crate::progress::Progress;
use crate::results::{self, Outcome, SummaryInfo};

/// Runs the command.
pub fn run(a: RematchArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let inputs = [Some(a.season.as_path()), Some(&a.previous), Some(&a.changes), a.weights.as_deref()];
    let inputs: Vec<&Path> = inputs.into_iter().flatten().collect();
    // Checked and created before any work: a bad or unwritable --out fails now.
    let dir = StagedDir::new(&a.dir.out, a.dir.force, "rematch", &inputs)?;
    let weights = load_weights(a.weights.as_deref())?;
    let changes_text = read_csv_option_file(&a.changes, "the changes file", global)?;
    let previous = dualmatch::read_previous(&a.previous).map_err(exit::engine)?;
    let progress = Progress::new(global.quiet);
    let t0 = Instant::now();
    let mut warnings = dualmatch_core::season::Diagnostics::new();
    let base = load_season(&a.season, None, global, &progress, &mut warnings)?;
    let engine = Engine::new(&base).weights(weights).max_pairs(a.pairs.max_pairs);
    let changes = engine.parse_changes(&changes_text, &a.changes.display().to_string()).map_err(exit::engine)?;
    let t_load = t0.elapsed().as_secs_f64();
    let objective = if a.max_placed { Objective::MaxPlaced } else { Objective::MaxFit };
    progress.step("re-matching");
    let t1 = Instant::now();
    let options = RematchOptions { objective, allow_moves: a.allow_moves, advice: !a.files.no_advice };
    let r = match engine.rematch(&previous, &changes, options) {
        Ok(r) => r,
        Err(Error::Infeasible(inf)) => {
            progress.finish();
            eprintln!("dualmatch: the kept placements cannot all be honoured:");
            for line in inf.describe(&base) {
                eprintln!("  - {}", dualmatch_core::text::visible(&line));
            }
            return Ok(ExitCode::from(exit::INFEASIBLE));
        }
        Err(e) => return Err(exit::engine(e)),
    };
    let t_solve = t1.elapsed().as_secs_f64();
    let started = Instant::now();
    let s = r.season();
    let plan = r.plan();
    let counts = change_counts(r.changes().iter());
    let [moved, gained, lost] = ChangeKind::ALL.map(|k| counts[k.as_str()]);
    let info =
        SummaryInfo { policy: objective.name(), seed: None, improve: false, optimal: true, timings: !a.dir.no_timings };
    let mut summary = results::summary(&info, s, r.candidates(), "scored", r.solved(), r.unplaced());
    // The re-match scores, solves and works out the advice in one call.
    results::set_timings(&mut summary, &info, &[("load", t_load), ("solve", t_solve)]);
    results::add_policy_options(&mut summary, r.rank_profile(), dualmatch::Improve::None, dualmatch::TieBreak::Single);
    summary["rematch"] = json!({
        "previous": a.previous.display().to_string(),
        "pinned": plan.pinned(),
        "kept": r.kept(),
        "moved": moved,
        "gained": gained,
        "lost": lost,
        "changed": moved + gained + lost,
        "agreements_ended": plan.ended.len(),
        "learners_left": plan.left.len(),
        "learners_added": plan.added.len(),
        "learners_added_placed": plan.added.iter().filter(|l| r.solved().assignment.placement[l.index()].is_some()).count(),
        "displaced_by_seat_changes": plan.displaced,
        "no_longer_valid": plan.invalid,
    });
    if let Some(m) = r.moves() {
        summary["rematch"]["allow_moves"] = json!({
            "limit": m.limit,
            "moves": m.moves,
            "bonus_per_kept_placement": m.bonus,
            "bound": m.bound,
            "gap": m.gap,
            "proven_optimal": m.gap == 0.0,
            "network_solves": m.solves,
            "note": "moves: kept learners placed at another site; bound: Lagrangian upper bound on the total score with at most `limit` moves; gap = bound - total_score",
        });
    }
    let advice = results::advice_or_warn(r.advice().map(|a| a.as_ref().map_err(Clone::clone)), &progress, global.quiet);
    let absent = results::files_not_written(
        objective.name(),
        r.solved().duals.is_some(),
        advice.is_some(),
        a.files.no_advice,
        r.advice_unmodelled().as_deref(),
    );
    results::note_files_not_written(&mut summary, &absent);
    let proof_line = match r.moves() {
        Some(m) => format!(
            "{} placements that were still valid were kept fixed; at most {} of them could move ({} moved). \
             Upper bound on the total score with that limit: {:.2} (gap {:.2}).",
            plan.pinned(),
            m.limit,
            m.moves,
            m.bound,
            m.gap
        ),
        None => format!(
            "Optimal for {} around the {} placements that were still valid, kept fixed as they were: the dual \
             bound {:.2} equals the total score.",
            objective.name(),
            plan.pinned(),
            r.solved().proof.bound
        ),
    };
    let visits = a.files.visits_per_day.map(|n| n as usize);
    let followup = results::followup::plan(s, r.candidates(), &r.solved().assignment, r.mentors(), visits);
    let html = crate::report::matching::render(&crate::report::matching::Report {
        season: s,
        candidates: r.candidates(),
        assignment: &r.solved().assignment,
        followup: &followup,
        reasons: r.unplaced(),
        policy: objective.name(),
        proof_line: &proof_line,
        absent: &absent,
        changes: Some(r.changes()),
        mentors: r.mentors(),
        rhythm_advice: None,
    });
    dir.write_bytes("report.html", html.as_bytes())?;
    let outcome = Outcome {
        season: s,
        candidates: r.candidates(),
        solved: r.solved(),
        reasons: r.unplaced(),
        changes: Some(r.changes()),
        advice,
        followup: &followup,
        mentors: r.mentors(),
    };
    results::write_result(&dir, &outcome, &summary, &a.files)?;
    // The agreements that ended, after a copy of the season's own outcomes (the input is never changed).
    let label = a.season_label.clone().unwrap_or_else(|| {
        a.season.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "season".into())
    });
    if let Some(rows) = r.outcomes(&label) {
        dir.write("outcomes.csv", |w| {
            let mut out = csv::Writer::from_writer(w);
            dualmatch_core::season::doc::write_outcomes(&mut out, &rows).map_err(std::io::Error::other)?;
            out.flush()
        })?;
    }
    results::warnings::write(&dir, &warnings)?;
    results::write_summary(&dir, &mut summary, &info, started)?;
    dir.commit()?;
    progress.finish();
    if !global.quiet {
        let by: BTreeMap<&str, usize> =
            [("kept", r.kept()), ("moved", moved), ("gained", gained), ("lost", lost)].into();
        eprintln!(
            "{} placements changed ({by:?}); {} pinned; wrote {}",
            moved + gained + lost,
            plan.pinned(),
            a.dir.out.display()
        );
    }
    Ok(ExitCode::from(exit::OK))
}
