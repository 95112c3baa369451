//! The files of a result directory: the tables about learners and sites,
//! summary.json, results.xlsx and the per-school folders. `match` and
//! `rematch` write through [`write_result`]; nothing here decides a
//! placement.

mod advice;
mod by_school;
pub mod compare;
pub mod followup;
mod matching;
mod summary;
mod tables;
pub mod warnings;

use dualmatch::{Advice, Candidates, LearnerId, PlacementChange, SchoolId, Season, Unplaced};
use dualmatch_optimiser::network::Solved;

use crate::args::ResultFiles;
use crate::output::{StagedDir, Table};

pub use matching::{write_match, HowMade};
pub use summary::{add_policy_options, add_short_lines, set_timings, summary, SummaryInfo};
pub use tables::write_candidates;

/// What one result directory is made of.
pub struct Outcome<'a> {
    pub season: &'a Season,
    pub candidates: &'a Candidates,
    pub solved: &'a Solved,
    pub reasons: &'a [(LearnerId, Unplaced)],
    /// For `rematch`: every learner whose placement changed.
    pub changes: Option<&'a [PlacementChange]>,
    /// The waiting list and recruitment advice (max-fit only).
    pub advice: Option<&'a Advice>,
    /// The schools' visiting rounds (followup.csv; [`followup::plan`]).
    pub followup: &'a dualmatch::followup::FollowUp,
    /// Per learner: the mentor (empty: none known, as for a season without
    /// mentors).
    pub mentors: &'a [Option<dualmatch::MentorId>],
}

/// Who a file is for: the coordinator, who sees every learner, or one
/// school, which sees only its own learners and no other school's learner
/// by id or score.
#[derive(Clone, Copy)]
enum Audience {
    All,
    School(SchoolId),
}

impl Audience {
    /// True if learner `l` is shown to this audience.
    fn sees(self, s: &Season, l: LearnerId) -> bool {
        match self {
            Audience::All => true,
            Audience::School(school) => s.learner(l).school == school,
        }
    }
}

/// Writes the files every result directory has: placements.csv,
/// unplaced.csv, placement_changes.csv (rematch) and seat_values.csv (when
/// there are duals); the caller writes summary.json last, with
/// [`write_summary`]; with `--xlsx` also results.xlsx with a sheet
/// per CSV file and the summary; with `--by-school` the same per school.
///
/// This is the one place where result tables are listed: a table added to
/// [`learner_tables`] (about learners, so also split by school) or to the
/// list below (about sites) becomes a CSV file and a worksheet.
pub fn write_result(
    dir: &StagedDir,
    r: &Outcome,
    summary: &serde_json::Value,
    files: &ResultFiles,
) -> anyhow::Result<()> {
    let mut list = learner_tables(r, Audience::All);
    if let Some(d) = &r.solved.duals {
        list.push(tables::seat_values(r.season, d));
    }
    // Not in the per-school folders: the advice names other schools' learners.
    if let Some(a) = r.advice {
        list.push(advice::waitlist_table(r.season, r.candidates, a));
        list.push(advice::recruitment_table(r.season, a));
    }
    write_tables(dir, "", &list, summary, files.xlsx, false)?;
    if files.by_school {
        by_school::write_by_school(dir, r, files.xlsx)?;
    }
    Ok(())
}

/// Writes certificate.csv, the dual certificate of an exact result (when
/// the solve path made one), for `dualmatch verify`.
pub fn write_certificate(
    dir: &StagedDir,
    s: &Season,
    c: &dualmatch::Constraints,
    solved: &Solved,
) -> anyhow::Result<()> {
    if let (true, Some(cert)) = (solved.is_optimal(), &solved.proof.certificate) {
        let mut buf = Vec::new();
        tables::certificate(s, c, cert).write_csv(&mut buf)?;
        dir.write_bytes(dualmatch_optimiser::certificate::FILE, &buf)?;
    }
    Ok(())
}

/// The tables about learners, as `to` may see them.
fn learner_tables<'a>(r: &Outcome<'a>, to: Audience) -> Vec<Table<'a>> {
    let mut list = vec![tables::placements(r, to), tables::unplaced_table(r.season, r.reasons, to)];
    list.push(followup::table(r.season, r.followup, to));
    if let Some(changes) = r.changes {
        let s = r.season;
        list.push(tables::changes_table(s, changes, move |l| to.sees(s, l)));
    }
    list
}

/// Writes `tables` as CSV files and, with `xlsx`, them and `summary` as
/// results.xlsx, in the folder `base` (empty, or ending in `/`); with
/// `summary_json`, `summary` as summary.json too (otherwise the caller
/// writes it last, with [`write_summary`], once the writing is timed).
fn write_tables(
    dir: &StagedDir,
    base: &str,
    tables: &[Table],
    summary: &serde_json::Value,
    xlsx: bool,
    summary_json: bool,
) -> anyhow::Result<()> {
    // Each table's file on its own (in parallel); the first failure in
    // table order is the one reported, and the staged result is dropped.
    use rayon::prelude::*;
    let written: Vec<anyhow::Result<()>> =
        tables.par_iter().map(|t| dir.write(&format!("{base}{}", t.file_name()), |w| t.write_csv(w))).collect();
    written.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    if summary_json {
        dir.write_json(&format!("{base}summary.json"), summary)?;
    }
    if xlsx {
        let name = format!("{base}results.xlsx");
        let book = crate::xlsx::workbook(&dir.final_path(&name).display().to_string(), tables, Some(summary))?;
        dir.write_bytes(&name, &book)?;
    }
    Ok(())
}

/// Writes summary.json, the last file of a result: its `timings` (when
/// asked for) get the seconds of writing the other files, since `started`.
pub fn write_summary(
    dir: &StagedDir,
    summary: &mut serde_json::Value,
    info: &SummaryInfo,
    started: std::time::Instant,
) -> anyhow::Result<()> {
    if info.timings {
        summary["timings"]["write"] = serde_json::json!(started.elapsed().as_secs_f64());
    }
    dir.write_json("summary.json", summary)
}

/// The files that a `match` result of max-fit has and this result has not,
/// each with why (summary.json's `files_not_written`, shown in the report
/// and the workbook's summary sheet): seat values and the advice need the
/// dual prices of a max-fit optimum on the network solver, and the advice
/// leaves out what it does not model (`unmodelled`,
/// `dualmatch::run::advice_unmodelled`).
pub fn files_not_written(
    policy: &str,
    duals: bool,
    advice: bool,
    no_advice: bool,
    unmodelled: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let why_no_duals = match unmodelled {
        Some(what) if policy == "max-fit" => format!(
            "{policy} has no seat prices for this season: they come from the dual solution of the network \
             solver, and the season's {what} make the network path give none"
        ),
        _ => format!(
            "{policy} has no seat prices: they come from the dual solution of a max-fit optimum on the network \
             solver (the default policy); other policies and the LP path have none"
        ),
    };
    if !duals {
        out.push(("seat_values.csv", why_no_duals.clone()));
    }
    for file in ["waitlist.csv", "recruitment.csv"] {
        if advice {
            continue;
        }
        let why = if no_advice {
            "left out by --no-advice".to_string()
        } else if !duals {
            why_no_duals.clone()
        } else if let Some(what) = unmodelled {
            format!(
                "the waiting list and the recruitment advice do not model {what} yet: the placement itself \
                 honours them and is exact (summary.json, proof)"
            )
        } else {
            "the advice could not be worked out (see the warning printed by the run)".to_string()
        };
        out.push((file, why));
    }
    out
}

/// Adds [`files_not_written`] to a summary.
pub fn note_files_not_written(summary: &mut serde_json::Value, absent: &[(&str, String)]) {
    summary["files_not_written"] =
        absent.iter().map(|(file, why)| serde_json::json!({ "file": file, "why": why })).collect();
}

/// The waiting list and recruitment advice when it was computed; a failure
/// (which would be a bug: the result is checked optimal) is reported as a
/// warning and the files are left out.
pub fn advice_or_warn<A>(
    advice: Option<Result<A, dualmatch_optimiser::advice::AdviceError>>,
    progress: &crate::progress::Progress,
    quiet: bool,
) -> Option<A> {
    match advice? {
        Ok(a) => Some(a),
        Err(e) => {
            if !quiet {
                progress.suspend(|| eprintln!("warning: no waiting list or recruitment advice: {e}"));
            }
            None
        }
    }
}
