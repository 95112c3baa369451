//! The inputs every command reads: option files (weights, constraints,
//! changes), the season with its warnings on stderr, and candidates supplied
//! with it.

use std::path::Path;

use dualmatch::{Season, Weights};
use dualmatch_core::season::{self, Diagnostics, LoadOptions};
use dualmatch_core::text::{quoted, visible};

use crate::args::Global;
use crate::exit::usage;
use crate::progress::Progress;

/// Reads a small text file given on the command line, as a usage error when
/// it cannot be read.
pub fn read_option_file(path: &Path, what: &str) -> anyhow::Result<String> {
    let bytes = read_option_bytes(path, what)?;
    String::from_utf8(bytes).map_err(|_| usage(format!("{what} {} is not UTF-8 text", path.display())))
}

/// The bytes of a small file given on the command line (at most 16 MiB).
fn read_option_bytes(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    /// Weights and constraints files are small; this bounds memory on a wrong path such as /dev/zero.
    const MAX: u64 = 16 << 20;
    let file = std::fs::File::open(path).map_err(|e| usage(format!("cannot read {what} {}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| usage(format!("cannot read {what} {}: {e}", path.display())))?;
    if bytes.len() as u64 > MAX {
        return Err(usage(format!("{what} {} is larger than 16 MiB; is it the right file?", path.display())));
    }
    Ok(bytes)
}

/// Reads a small CSV file given on the command line (such as `changes.csv`)
/// as text: UTF-8, or Windows-1252 when it is not UTF-8, with a note saying so.
pub fn read_csv_option_file(path: &Path, what: &str, global: &Global) -> anyhow::Result<String> {
    let bytes = read_option_bytes(path, what)?;
    let (text, encoding) = dualmatch_core::dialect::decode_whole(&bytes);
    if encoding != dualmatch_core::dialect::Encoding::Utf8 && !global.quiet {
        eprintln!("note: {}: {}", visible(&path.display().to_string()), dualmatch_core::dialect::windows_1252_note());
    }
    Ok(text.into_owned())
}

/// Loads `--weights FILE`, or the defaults.
pub fn load_weights(path: Option<&Path>) -> anyhow::Result<Weights> {
    let Some(path) = path else { return Ok(Weights::default()) };
    let text = read_option_file(path, "the weights file")?;
    Weights::from_toml_str(&text).map_err(|e| {
        let at = e.position().map(|p| format!(":{}", p.line)).unwrap_or_default();
        usage(format!("{}{at}: {e}", path.display()))
    })
}

/// Loads the season (with a candidates file given separately, if any),
/// printing its warnings and notes (grouped by kind, or each with
/// `--verbose`) and adding them to `warnings` (for `warnings.csv`), and a
/// warning for supplied candidate pairs that break a hard gate (the engine
/// leaves them out).
pub fn load_season(
    season_path: &Path,
    candidates: Option<&Path>,
    global: &Global,
    progress: &Progress,
    warnings: &mut Diagnostics,
) -> anyhow::Result<Season> {
    progress.step("loading season");
    let opts = LoadOptions { candidates: candidates.map(Path::to_path_buf), travel_times: None };
    let loaded = season::load_with(season_path, &opts)?;
    if !global.quiet {
        progress.suspend(|| {
            for g in loaded.warnings.grouped(global.verbose) {
                eprintln!("{g}");
            }
        });
    }
    warnings.extend(loaded.warnings.clone());
    let season = loaded.season;
    if season.candidates().is_some() && !global.quiet {
        let dropped = dualmatch::Candidates::rejected_season_candidates(&season);
        if let Some((l, g, why)) = dropped.first() {
            let grp = season.group(*g);
            progress.suspend(|| {
                eprintln!(
                    "warning: {} supplied candidate pair(s) break a hard gate and are not used, for example {}–{}: {}",
                    dropped.len(),
                    quoted(&season.learner(*l).id),
                    quoted(&season.workplace(grp.workplace).id),
                    visible(&why.iter().map(|r| r.describe(&season)).collect::<Vec<_>>().join("; "))
                )
            });
        }
    }
    Ok(season)
}

/// The engine of a `match` (and of the `merge` of a sharded one) over
/// `season`: the weights and the recorded settings; constraints are added
/// by the caller.
pub fn match_engine<'s>(
    season: &'s Season,
    weights: Weights,
    settings: &crate::parts::MatchSettings,
) -> anyhow::Result<dualmatch::Engine<'s>> {
    let (improve, tie_break) = settings.improvement()?;
    Ok(dualmatch::Engine::new(season)
        .weights(weights)
        .policy(crate::parts::policy(&settings.policy)?)
        .seed(settings.seed)
        .improvement(improve)
        .tie_break(tie_break)
        .solver(settings.solver()?)
        .max_pairs(settings.max_pairs))
}
