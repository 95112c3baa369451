//! `dualmatch`: placement matching for dual learning. This binary is glue:
//! the commands live in the `dualmatch_cli` library (so that other doors
//! can share its result writers); [`dualmatch_cli::main`] parses the
//! arguments, runs the command and maps errors to exit codes.

use std::process::ExitCode;

fn main() -> ExitCode {
    dualmatch_cli::main()
}
