//! Pivot counters of the network simplex, compiled only with the cargo
//! feature `pivot-stats` (off by default: without it the solver has no
//! counter at all).
//!
//! A pivot is one basis exchange (LEMON's initial pivots included); it is
//! *degenerate* when the flow around the cycle changes by 0. The counts of a
//! solve are recorded when it finishes, for the thread that ran it
//! ([`last`]) and for the whole process ([`total`]). `network::solve` prints
//! them for every network of at least [`REPORT_ARCS`] arcs, and the `flow`
//! and `flow_bin` benches print them for their instances:
//!
//! ```text
//! cargo bench -p dualmatch-optimiser --features pivot-stats --bench flow
//! cargo run --release -p dualmatch-cli --features pivot-stats -- match SEASON --no-advice --out r
//! ```

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Pivots of one solve, or of several added up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pivots {
    /// Every pivot.
    pub total: u64,
    /// Pivots that changed no flow (a step of 0 around the cycle).
    pub degenerate: u64,
}

impl Pivots {
    /// Counts one pivot whose flow step is `delta`.
    pub(crate) fn count(&mut self, delta: i64) {
        self.total += 1;
        self.degenerate += u64::from(delta == 0);
    }
}

impl std::fmt::Display for Pivots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} pivots ({} degenerate)", self.total, self.degenerate)
    }
}

/// Networks with at least this many arcs have their pivots printed (to
/// standard error) by `network::solve`.
pub const REPORT_ARCS: usize = 100_000;

thread_local! {
    static LAST: Cell<Pivots> = const { Cell::new(Pivots { total: 0, degenerate: 0 }) };
}
static TOTAL: AtomicU64 = AtomicU64::new(0);
static DEGENERATE: AtomicU64 = AtomicU64::new(0);

/// The pivots of the last solve that finished on this thread.
pub fn last() -> Pivots {
    LAST.with(Cell::get)
}

/// The pivots of every solve finished so far in this process.
pub fn total() -> Pivots {
    Pivots { total: TOTAL.load(Ordering::Relaxed), degenerate: DEGENERATE.load(Ordering::Relaxed) }
}

/// Records the pivots of a finished solve.
pub(crate) fn record(p: Pivots) {
    LAST.with(|l| l.set(p));
    TOTAL.fetch_add(p.total, Ordering::Relaxed);
    DEGENERATE.fetch_add(p.degenerate, Ordering::Relaxed);
}
