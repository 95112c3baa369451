//! `dualmatch`: placement matching for dual learning. This binary is glue:
//! the commands live in the `dualmatch_cli` library (so that other doors
//! can share its result writers); [`dualmatch_cli::main`] parses the
//! arguments, runs the command and maps errors to exit codes.

use std::process::ExitCode;

/// mimalloc instead of the system allocator: loading a season makes and
/// drops millions of small strings (ids), which it serves several times
/// faster and packs together (issue 16).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    dualmatch_cli::main()
}
