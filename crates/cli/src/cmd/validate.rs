//! `dualmatch validate SEASON`: list every problem, then a count.

use std::io::Write;
use std::process::ExitCode;

use dualmatch_core::season::{self, Diagnostics, LoadError};

use crate::args::{Global, ReportFormat, ValidateArgs};
use crate::exit;

/// Runs the command.
pub fn run(args: ValidateArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let (diags, summary) = match season::load(&args.season) {
        Ok(loaded) => {
            let s = &loaded.season;
            let summary = format!(
                "{} learners, {} workplace sites, {} recognitions ({} seats), {} programmes, {} schools{}",
                s.learners().len(),
                s.workplaces().len(),
                s.groups().len(),
                s.groups().iter().map(|g| u64::from(g.seats)).sum::<u64>(),
                s.programmes().len(),
                s.schools().len(),
                s.candidates().map(|c| format!(", {} supplied candidates", c.len())).unwrap_or_default()
            );
            (loaded.warnings, Some(summary))
        }
        Err(LoadError::Invalid(d)) => (d, None),
        Err(e) => return Err(e.into()),
    };
    let failed = diags.has_errors() || (args.strict && diags.warning_count() > 0);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        ReportFormat::Text => {
            print_text(&mut out, &diags, summary.as_deref(), global, args.strict)?;
        }
        ReportFormat::Json => {
            let v = serde_json::json!({
                "ok": !failed,
                "errors": diags.error_count(),
                "warnings": diags.warning_count(),
                "not_shown": diags.suppressed(),
                "problems": diags.iter().collect::<Vec<_>>(),
                "summary": summary,
            });
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
    }
    Ok(ExitCode::from(if failed { exit::BAD_INPUT } else { exit::OK }))
}

/// Every problem (warnings of one kind grouped unless `--verbose`), then the
/// verdict: with `--strict`, warnings fail the season too.
fn print_text(
    out: &mut impl Write,
    diags: &Diagnostics,
    summary: Option<&str>,
    global: &Global,
    strict: bool,
) -> std::io::Result<()> {
    if global.verbose {
        writeln!(out, "{diags:#}")?;
    } else {
        writeln!(out, "{diags}")?;
    }
    match summary {
        Some(_) if strict && diags.warning_count() > 0 => writeln!(
            out,
            "season has {} warning{} and --strict treats warnings as errors: fix them and run again",
            diags.warning_count(),
            if diags.warning_count() == 1 { "" } else { "s" }
        )?,
        Some(s) if !global.quiet => writeln!(out, "season ok: {s}")?,
        Some(_) => {}
        None => writeln!(out, "season has errors: fix them and run again")?,
    }
    Ok(())
}
