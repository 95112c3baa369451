//! `dualmatch`: placement matching for dual learning. This binary is glue:
//! it parses arguments, calls [`run`], and maps errors to exit codes.

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

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
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
