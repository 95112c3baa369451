//! Progress on stderr: a spinner with the current step and elapsed time,
//! hidden when stderr is not a terminal or with `--quiet`.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The progress display of one run.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A spinner on stderr (drawn only on a terminal), or nothing when `quiet`.
    pub fn new(quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b.enable_steady_tick(Duration::from_millis(120));
            b
        };
        Self { bar }
    }

    /// Shows the current step.
    pub fn step(&self, msg: &str) {
        self.bar.set_message(msg.to_string());
    }

    /// Runs `f` with the spinner hidden, for printing lines.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    /// A bar for `len` items of work (e.g. policy runs).
    pub fn bar(&self, len: u64, msg: &str) -> ProgressBar {
        if self.bar.is_hidden() {
            return ProgressBar::hidden();
        }
        let b = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} [{elapsed_precise}, eta {eta}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b.set_message(msg.to_string());
        b
    }

    /// Clears the display.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
