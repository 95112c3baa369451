//! Exit codes and the mapping from errors to them.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the run finished but the result is infeasible, or partial when that was asked for |
//! | 2 | bad input or bad usage: nothing was written |
//! | 3 | an internal or I/O failure (disk full, permission denied): nothing was written |
//! | 130, 143 | stopped by Ctrl-C (SIGINT) or SIGTERM (128 + the signal number): nothing was written |

use std::process::ExitCode;

use dualmatch_core::season::LoadError;

/// Success.
pub const OK: u8 = 0;
/// The run finished, but the result is infeasible or partial.
pub const INFEASIBLE: u8 = 1;
/// Bad input or bad usage.
pub const BAD_INPUT: u8 = 2;
/// An I/O or internal failure.
pub const FAILURE: u8 = 3;

/// An error the user can fix by changing the command line or the input.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A usage error as an `anyhow::Error`.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(msg.into()))
}

/// The longest line of an error message printed, in characters.
const MAX_LINE: usize = 2000;

/// Prints `text` to stderr line by line, each line with its hidden
/// characters (escape sequences, bidirectional overrides) shown as
/// `\u{XXXX}` and cut to [`MAX_LINE`]: a message quoting a value from a user's
/// file can neither drive the terminal nor flood it.
fn say(text: &str) {
    for line in text.lines() {
        eprintln!("{}", dualmatch_core::text::clip(line, MAX_LINE));
    }
}

/// Prints `err` to stderr in the form the user needs and returns its exit code.
pub fn report(err: &anyhow::Error) -> ExitCode {
    if let Some(load) = err.downcast_ref::<LoadError>() {
        match load {
            LoadError::Invalid(diags) => {
                say(&diags.to_string());
                eprintln!("dualmatch: the season has errors; fix them and run again (nothing was written)");
            }
            other => say(&format!("dualmatch: {other}")),
        }
        return ExitCode::from(BAD_INPUT);
    }
    // A closed pipe (`dualmatch explain … | head`) is not a failure.
    if err
        .chain()
        .any(|e| e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
    {
        return ExitCode::from(OK);
    }
    if err.downcast_ref::<UsageError>().is_some() {
        say(&format!("dualmatch: {err:#}"));
        return ExitCode::from(BAD_INPUT);
    }
    say(&format!("dualmatch: error: {err:#}"));
    if err.chain().any(disk_full) {
        eprintln!("dualmatch: the disk is full; free some space and run again (nothing was written)");
    }
    ExitCode::from(FAILURE)
}

/// Whether `e` is, or wraps, "no space left on device" (also inside the
/// `io::Error` that a CSV writer's error becomes).
fn disk_full(e: &(dyn std::error::Error + 'static)) -> bool {
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        return io.kind() == std::io::ErrorKind::StorageFull || io.get_ref().is_some_and(|inner| disk_full(inner));
    }
    match e.downcast_ref::<csv::Error>().map(csv::Error::kind) {
        Some(csv::ErrorKind::Io(io)) => io.kind() == std::io::ErrorKind::StorageFull,
        _ => false,
    }
}

/// An engine error as the binary reports it: a season that cannot be read
/// keeps its diagnostics, other input errors are usage errors (exit 2), and
/// the rest are failures (exit 3). Infeasibility is handled by the commands
/// themselves (exit 1, with the conflicts).
pub fn engine(e: dualmatch::Error) -> anyhow::Error {
    match e {
        dualmatch::Error::Load(load) => anyhow::Error::new(load),
        e if e.is_input() => usage(e.to_string()),
        e => anyhow::Error::new(e),
    }
}
