//! The `dualmatch` command line as a library: [`main`] is the binary's
//! whole body, and [`write_match_result`] writes a result directory exactly
//! as `dualmatch match` does, so that other doors (the Python package's
//! `Result.to_dir`) share the CLI's writers instead of copying them.
//!
//! This crate is glue: it parses arguments, reads option files, calls the
//! engine façade (`dualmatch`) and writes its results atomically; it holds
//! no domain logic.
#![deny(missing_docs)]

mod args;
mod cmd;
mod exit;
mod inputs;
mod output;
mod parts;
mod progress;
mod report;
mod results;
mod xlsx;

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

pub use cmd::matching::WriteOptions;

/// The `dualmatch` binary: parses the arguments, runs the command and maps
/// errors to exit codes.
pub fn main() -> ExitCode {
    output::remove_unfinished_on_signals();
    let cli = args::Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => exit::report(&err),
    }
}

/// Runs one command; `Ok` carries the exit code of a run that finished
/// (0, or 1 for an infeasible or partial result).
fn run(cli: args::Cli) -> anyhow::Result<ExitCode> {
    if let Some(n) = cli.global.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| exit::usage(format!("cannot set --threads {n}: {e}")))?;
    }
    match cli.command {
        args::Command::Validate(a) => cmd::validate::run(a, &cli.global),
        args::Command::Generate(a) => cmd::generate::run(a, &cli.global),
        args::Command::Match(a) => cmd::matching::run(a, &cli.global),
        args::Command::Score(a) => cmd::score::run(a, &cli.global),
        args::Command::Compare(a) => cmd::compare::run(a, &cli.global),
        args::Command::Diff(a) => cmd::diff::run(a, &cli.global),
        args::Command::Rematch(a) => cmd::rematch::run(a, &cli.global),
        args::Command::Verify(a) => cmd::verify::run(a, &cli.global),
        args::Command::Explain(a) => cmd::explain::run(a, &cli.global),
        args::Command::Convert(a) => cmd::convert::run(a, &cli.global),
        args::Command::Template(a) => cmd::template::run(a, &cli.global),
        args::Command::Merge(a) => cmd::merge::run(a, &cli.global),
    }
}

/// Writes the result directory of `run` at `out` with the files of
/// `dualmatch match` (placements.csv, unplaced.csv, seat_values.csv,
/// waitlist.csv and recruitment.csv for max-fit, summary.json, report.html,
/// and as asked results.xlsx and by-school/), through the same staged,
/// atomic writing and result marker. Refuses an existing `out` unless
/// `force` (and then only a directory dualmatch wrote), and any of `inputs`.
/// Timings are left out of summary.json, as with `--no-timings`, so the
/// files are the same on every run. `source` is where the candidate pairs
/// came from; `warnings` are the season's load diagnostics, written to
/// warnings.csv as `match` does.
pub fn write_match_result(
    out: &Path,
    force: bool,
    inputs: &[&Path],
    run: &dualmatch::Run,
    source: dualmatch::CandidateSource,
    options: &WriteOptions,
    warnings: &dualmatch::Diagnostics,
) -> anyhow::Result<()> {
    let dir = output::StagedDir::new(out, force, "match", inputs)?;
    let progress = progress::Progress::new(true);
    let o = run.options();
    let how = results::HowMade {
        policy: o.policy,
        seed: o.seed,
        improve: o.improve,
        tie_break: o.tie_break,
        source: source.as_str(),
        timings: None,
        files: args::ResultFiles {
            by_school: options.by_school,
            xlsx: options.xlsx,
            no_advice: !options.advice,
            visits_per_day: None,
        },
        rhythm_advice: options.rhythm_advice,
    };
    results::write_match(&dir, run, &how, &progress, true)?;
    results::warnings::write(&dir, warnings)?;
    dir.commit()?;
    Ok(())
}
