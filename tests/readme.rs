//! Every command of README.md's `sh` blocks runs, in order, in a fresh copy
//! of the repository's data, and exits 0 (issue 12: "every README example
//! works in order on a fresh checkout, with distinct --out names").
//!
//! `dualmatch` is the binary under test, put first on the PATH (which is
//! what `cargo install --path crates/cli` does), and `cargo run --release -p
//! dualmatch-cli --` is replaced by it. The other cargo commands are not run
//! here, nor the Python package's install line, each for the reason in
//! [`NOT_RUN`]; any other cargo command in the README fails the test, so that nothing is skipped silently.

use std::fs;
use std::path::Path;
use std::process::Command;

mod common;
use common::repo;

/// Cargo commands of the README that this test does not run, and why.
const NOT_RUN: &[(&str, &str)] = &[
    (
        "cargo install --path crates/cli",
        "installs into ~/.cargo/bin; the test puts the built binary on the PATH instead",
    ),
    ("cargo test --workspace", "runs this very test"),
    ("cargo run -p dualmatch --example ", "the library examples: .ci/run runs each of them"),
    ("pip install ./crates/python", ".ci/run installs the Python package in a fresh virtual environment"),
    (
        "python -c \"import dualmatch;",
        "crates/python/tests/test_season.py checks this line's count against the CLI's (.ci/run runs it)",
    ),
];

/// The command lines of the README's `sh` blocks, in order (comments and
/// blank lines left out).
fn commands(readme: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in readme.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            inside = !inside && t == "```sh";
            continue;
        }
        if inside && !t.is_empty() && !t.starts_with('#') {
            out.push(t.to_string());
        }
    }
    out
}

/// Copies a directory tree.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn every_readme_command_runs_in_order() {
    let readme = fs::read_to_string(repo("README.md")).unwrap();
    let lines = commands(&readme);
    assert!(lines.len() > 20, "only {} commands found in README.md", lines.len());
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("checkout");
    copy_tree(&repo("data"), &work.join("data"));
    let bin_dir = tmp.path().join("bin");
    fs::create_dir_all(&bin_dir).unwrap();
    let exe = Path::new(env!("CARGO_BIN_EXE_dualmatch"));
    fs::copy(exe, bin_dir.join("dualmatch")).unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut ran = 0;
    for line in &lines {
        let line = line.replace("cargo run --release -p dualmatch-cli --", "dualmatch");
        let known = NOT_RUN.iter().any(|(cmd, _)| line.starts_with(cmd));
        if known {
            continue;
        }
        assert!(
            !line.starts_with("cargo "),
            "README.md has a cargo command this test neither runs nor explains: {line}"
        );
        assert!(line.starts_with("dualmatch "), "README.md: not a dualmatch command: {line}");
        let o = Command::new("sh").arg("-c").arg(&line).current_dir(&work).env("PATH", &path).output().unwrap();
        assert!(
            o.status.success(),
            "README.md command failed ({}): {line}\n{}{}",
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        ran += 1;
    }
    assert!(ran > 20, "only {ran} commands ran");
}

/// The extraction finds commands in order and only in `sh` blocks.
#[test]
fn commands_are_taken_from_sh_blocks_only() {
    let text =
        "x\n```sh\n# c\ndualmatch a\n\ndualmatch b   # note\n```\n```rust\nlet x = 1;\n```\n```sh\ncargo test\n```\n";
    assert_eq!(commands(text), ["dualmatch a", "dualmatch b   # note", "cargo test"]);
}
