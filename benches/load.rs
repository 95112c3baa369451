//! Load benchmark: how long `dualmatch_core::season::load` takes on the
//! `national` synthetic season (500,000 learners, 200,000 sites), and how much
//! memory it needs.
//!
//! ```text
//! cargo bench -p dualmatch-cli --bench load
//! ```
//!
//! The season is generated once into `$DUALMATCH_BENCH_DIR` (default
//! `target/bench-data/national` in the workspace) and reused afterwards; delete
//! the directory to regenerate it. Generation runs in a child process so that
//! its memory does not count towards the peak RSS reported for loading.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use dualmatch_core::season::{self, SeasonDoc, TableName};
use dualmatch_core::synth::{generate, Preset, SynthParams};

/// The seed of the benchmark season (changing it changes the data on disk only
/// after the directory is deleted).
const SEED: u64 = 2024;
/// Set in the child process that writes the season.
const CHILD_ENV: &str = "DUALMATCH_BENCH_GENERATE_INTO";
const RUNS: usize = 3;

fn params() -> SynthParams {
    SynthParams::preset(Preset::National, SEED)
}

fn bench_dir() -> PathBuf {
    match std::env::var_os("DUALMATCH_BENCH_DIR") {
        Some(d) => PathBuf::from(d),
        None => {
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
            manifest.ancestors().nth(2).unwrap_or(manifest).join("target/bench-data/national")
        }
    }
}

/// Whether `dir` holds every table a generated season has.
fn complete(dir: &Path) -> bool {
    TableName::ALL.into_iter().filter(|t| !t.optional()).all(|t| dir.join(t.file_name()).is_file())
}

/// A value from `/proc/self/status` in MiB (`VmHWM`, `VmRSS`), if available.
fn status_mib(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key) && l[key.len()..].starts_with(':'))?;
    let kib: f64 = line[key.len() + 1..].trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib / 1024.0)
}

/// CPU seconds (user + system) used by this process so far, if available
/// (assumes the usual 100 clock ticks per second).
fn cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Resets the peak RSS (`VmHWM`) to the current RSS; false where unsupported.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn write_csv(doc: &SeasonDoc, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for t in doc.tables() {
        let f = std::fs::File::create(dir.join(t.file_name()))?;
        doc.write_csv_table(t, std::io::BufWriter::new(f))?;
    }
    Ok(())
}

/// Generates the season and writes it to `dir` (via a temporary sibling, so
/// that an interrupted run never leaves a partial season behind).
fn generate_into(dir: &Path) {
    let (t, cpu) = (Instant::now(), cpu_s());
    let doc = generate(&params());
    let gen_s = t.elapsed().as_secs_f64();
    let gen_cpu = cpu_s().zip(cpu).map(|(b, a)| b - a);
    let tmp = dir.with_extension("partial");
    let _ = std::fs::remove_dir_all(&tmp);
    let t = Instant::now();
    write_csv(&doc, &tmp).unwrap_or_else(|e| panic!("cannot write {}: {e}", tmp.display()));
    let _ = std::fs::remove_dir_all(dir);
    std::fs::rename(&tmp, dir).unwrap_or_else(|e| panic!("cannot move {} to {}: {e}", tmp.display(), dir.display()));
    println!(
        "generate national: learners={} sites={} recognitions={} generate_s={gen_s:.3} generate_cpu_s={} write_csv_s={:.3} into {}",
        doc.learners.len(),
        doc.workplaces.len(),
        doc.recognitions.len(),
        fmt(gen_cpu),
        t.elapsed().as_secs_f64(),
        dir.display()
    );
}

fn fmt(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |m| format!("{m:.1}"))
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

fn main() {
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        generate_into(Path::new(&dir));
        return;
    }
    let dir = bench_dir();
    if !complete(&dir) {
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent).expect("create the bench data directory");
        }
        // In a child process, so that generation does not inflate our peak RSS.
        let exe = std::env::current_exe().expect("the bench executable");
        let status = Command::new(exe).env(CHILD_ENV, &dir).status().expect("run the generator");
        assert!(status.success(), "generating the national season failed: {status}");
        assert!(complete(&dir), "{} is incomplete after generating", dir.display());
    }

    let base = status_mib("VmRSS");
    let reset = reset_peak_rss();
    let cpu = cpu_s();
    let mut times = Vec::with_capacity(RUNS);
    let mut counts = (0, 0, 0);
    for _ in 0..RUNS {
        let t = Instant::now();
        let loaded = season::load(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        times.push(t.elapsed().as_secs_f64());
        let s = &loaded.season;
        counts = (s.learners().len(), s.workplaces().len(), s.groups().len());
        drop(loaded);
    }
    let peak = status_mib("VmHWM");
    let load_cpu = cpu_s().zip(cpu).map(|(b, a)| (b - a) / RUNS as f64);
    times.sort_by(f64::total_cmp);
    println!(
        "load national: learners={} sites={} recognitions={} runs={RUNS} min_s={:.3} median_s={:.3} cpu_s_per_run={} peak_rss_mb={} base_rss_mb={}{}",
        counts.0,
        counts.1,
        counts.2,
        times[0],
        median(&times),
        fmt(load_cpu),
        fmt(peak),
        fmt(base),
        if reset { "" } else { " (peak includes start-up: clear_refs unavailable)" }
    );

    let (t, cpu) = (Instant::now(), cpu_s());
    let doc = generate(&params());
    println!(
        "generate national (in memory): learners={} sites={} generate_s={:.3} generate_cpu_s={} threads={}",
        doc.learners.len(),
        doc.workplaces.len(),
        t.elapsed().as_secs_f64(),
        fmt(cpu_s().zip(cpu).map(|(b, a)| b - a)),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
}
