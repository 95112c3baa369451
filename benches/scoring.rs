//! Candidate generation benchmark: `cargo bench -p dualmatch-cli --bench scoring`.
//!
//! Generates the `flanders` and `national` synthetic seasons in memory, then
//! times `Candidates::generate` (default weights, no travel times) and
//! `Candidates::generate_top` with 40 per learner: the best of 3 runs for
//! flanders, 1 run for national. Prints the number of candidates,
//! the seconds, and the peak resident memory (VmHWM) of the whole process and
//! of the scoring alone (VmHWM reset through /proc/self/clear_refs before
//! scoring, where the kernel allows it).
//!
//! Targets: flanders < 0.5 s; national < 20 s and < 4 GB peak.
//! Pass preset names as arguments to run only those (`-- flanders`).

use std::time::Instant;

use dualmatch_core::scoring::{Candidates, Weights};
use dualmatch_core::season;
use dualmatch_core::synth::{generate, Preset, SynthParams};

/// A field of /proc/self/status in kB (`VmHWM`, `VmRSS`), if available.
fn status_kb(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets VmHWM to the current RSS; false when the kernel refuses.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn gib(kb: Option<u64>) -> String {
    kb.map_or("n/a".into(), |k| format!("{:.2} GiB", k as f64 / (1024.0 * 1024.0)))
}

/// Times `runs` runs of candidate generation (all candidates, or the best
/// `top` per learner) and prints the figures.
fn time(season: &dualmatch_core::Season, label: &str, runs: usize, top: Option<usize>) {
    let weights = Weights::default();
    let rss_before = status_kb("VmRSS:");
    let can_reset = reset_peak();
    let mut best = f64::INFINITY;
    let mut count = 0;
    for i in 0..runs {
        let t = Instant::now();
        let c = match top {
            None => Candidates::generate(season, &weights, None),
            Some(k) => Candidates::generate_top(season, &weights, None, k),
        };
        let secs = t.elapsed().as_secs_f64();
        best = best.min(secs);
        count = c.len();
        println!("  {label} run {}: {count} candidates in {secs:.3} s", i + 1);
        drop(c);
    }
    let peak = status_kb("VmHWM:");
    let scoring_extra = if can_reset { peak.zip(rss_before).map(|(p, r)| p.saturating_sub(r)) } else { None };
    println!(
        "{label}: {count} candidates ({:.1} per learner), best {best:.3} s over {runs} run(s); \
         peak RSS {} (process), scoring adds {} to the {} before; {} threads",
        count as f64 / season.learners().len().max(1) as f64,
        gib(peak),
        gib(scoring_extra),
        gib(rss_before),
        rayon::current_num_threads()
    );
}

fn run(preset: Preset, runs: usize) {
    let t = Instant::now();
    let doc = generate(&SynthParams::preset(preset, 42));
    let season = season::from_doc(doc).expect("synthetic season is valid").season;
    println!(
        "{preset}: {} learners, {} sites, {} recognitions; built in {:.2} s",
        season.learners().len(),
        season.workplaces().len(),
        season.groups().len(),
        t.elapsed().as_secs_f64()
    );
    time(&season, &format!("{preset} (all candidates)"), runs, None);
    time(&season, &format!("{preset} (best {TOP} per learner)"), runs, Some(TOP));
}

/// The cap per learner timed besides the full candidate lists.
const TOP: usize = 40;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let wanted = |p: Preset| args.is_empty() || args.iter().any(|a| a.eq_ignore_ascii_case(p.as_str()));
    if wanted(Preset::Flanders) {
        run(Preset::Flanders, 3);
    }
    if wanted(Preset::National) {
        run(Preset::National, 1);
    }
}
