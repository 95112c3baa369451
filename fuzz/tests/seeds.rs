//! Replays the seed corpus of every fuzz target (`fuzz/seeds/<target>/`)
//! through the target's own code ([`dualmatch_fuzz::targets`]), on a stable
//! toolchain: `cargo test --manifest-path fuzz/Cargo.toml` (CI runs it).
//! Fails when a target has no seeds, when the number of seeds changes without
//! this file (a lost corpus), or when a target, a seed directory or a
//! `[[bin]]` of `fuzz/Cargo.toml` is missing from the others.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use dualmatch_fuzz::targets;

/// The seeds each target must have.
const SEEDS: [(&str, usize); 6] = [
    ("candidates_csv", 2),
    ("changes_csv", 2),
    ("constraints_toml", 4),
    ("season_csv", 24),
    ("season_json", 4),
    ("season_xlsx", 3),
];

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The names in directory `dir`: the stems of the files with extension
/// `ext`, or every entry's whole name.
fn names(dir: &Path, ext: Option<&str>) -> BTreeSet<String> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    entries
        .map(|e| e.expect("a directory entry").path())
        .filter_map(|p| match ext {
            None => p.file_name().map(|n| n.to_string_lossy().into_owned()),
            Some(x) if p.extension().is_some_and(|e| e == x) => p.file_stem().map(|n| n.to_string_lossy().into_owned()),
            Some(_) => None,
        })
        .collect()
}

/// The seed files of `target`, sorted by name.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = fuzz_dir().join("seeds").join(target);
    let mut out: Vec<(String, Vec<u8>)> = names(&dir, None)
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).unwrap_or_else(|e| panic!("{target}/{n}: {e}"));
            (n, bytes)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_target_has_its_function_seeds_and_binary() {
    let listed: BTreeSet<String> = targets::ALL.iter().map(|(n, _)| n.to_string()).collect();
    let counted: BTreeSet<String> = SEEDS.iter().map(|(n, _)| n.to_string()).collect();
    let files = names(&fuzz_dir().join("fuzz_targets"), Some("rs"));
    let seed_dirs = names(&fuzz_dir().join("seeds"), None);
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    let bins: BTreeSet<String> = manifest
        .split("[[bin]]")
        .skip(1)
        .filter_map(|b| b.lines().find_map(|l| l.trim().strip_prefix("name = ")))
        .map(|n| n.trim_matches('"').to_string())
        .collect();
    assert_eq!(files.len(), 6, "fuzz_targets/: {files:?}");
    assert_eq!(listed, files, "targets::ALL against fuzz_targets/*.rs");
    assert_eq!(counted, files, "SEEDS against fuzz_targets/*.rs");
    assert_eq!(seed_dirs, files, "seeds/* against fuzz_targets/*.rs");
    assert_eq!(bins, files, "[[bin]] of fuzz/Cargo.toml against fuzz_targets/*.rs");
    for name in &files {
        let source = std::fs::read_to_string(fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"))).unwrap();
        assert!(
            source.contains(&format!("dualmatch_fuzz::targets::{name}(data)")),
            "{name}.rs does not run its function"
        );
    }
}

#[test]
fn every_seed_of_every_target_replays_without_a_finding() {
    for (target, run) in targets::ALL {
        let expected = SEEDS.iter().find(|(n, _)| *n == target).map(|(_, k)| *k);
        let seeds = seeds(target);
        assert!(!seeds.is_empty(), "{target} has no seeds");
        assert_eq!(Some(seeds.len()), expected, "{target}: {:?}", seeds.iter().map(|s| &s.0).collect::<Vec<_>>());
        for (name, data) in &seeds {
            eprintln!("{target}/{name}");
            run(data);
        }
    }
}

/// The base season, as a workbook and as parts, loads: the seeds start the
/// fuzzer deep in the reader, not at the archive's first check.
#[test]
fn the_base_workbook_seeds_load() {
    let base: Vec<_> = seeds("season_xlsx").into_iter().filter(|(n, _)| n.ends_with("-base")).collect();
    assert_eq!(base.len(), 2);
    for (name, data) in base {
        match targets::season_xlsx_result(&data) {
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("{name}: {e}"),
            None => panic!("{name} is empty"),
        }
    }
}
