//! Glue of sharded runs (docs/scale-out.md): the shard from `--shard`, the
//! settings a part records so that `merge` can write the single run's
//! files, and reading and writing part files. What a shard computes and how
//! parts merge is the façade's ([`dualmatch::shard`]).

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use dualmatch::shard::{InputDigest, Part, Shard};
use dualmatch::{Improve, Policy, Solver, TieBreak};
use serde::{Deserialize, Serialize};

use crate::args::{ResultFiles, ShardArgs};
use crate::exit::usage;
use crate::output::StagedDir;

/// The shard asked for with `--shard` (and `--shards`), if any.
pub fn shard(a: &ShardArgs) -> anyhow::Result<Option<Shard>> {
    let Some(spec) = a.shard.as_deref() else { return Ok(None) };
    let shard = if spec == "auto" { Shard::from_env(|k| std::env::var(k).ok(), a.shards) } else { Shard::parse(spec) }
        .map_err(|e| usage(e.to_string()))?;
    if let Some(n) = a.shards.filter(|&n| n != u64::from(shard.count)) {
        return Err(usage(format!("--shard {spec} is shard {shard}, but --shards says {n} shards")));
    }
    Ok(Some(shard))
}

/// The inputs of a run by content, for a part's header.
pub fn digests(inputs: &[(&str, &Path)]) -> anyhow::Result<Vec<InputDigest>> {
    inputs
        .iter()
        .map(|&(role, p)| {
            InputDigest::of(role, p).map_err(|e| usage(format!("cannot read {role} {}: {e}", p.display())))
        })
        .collect()
}

/// Writes `part` as the part directory's part.json.
pub fn write_part(dir: &StagedDir, part: &Part) -> anyhow::Result<()> {
    dir.write_bytes(Part::FILE, part.to_json().as_bytes())
}

/// Reads every part: a directory (its part.json) or a part file.
pub fn read_parts(paths: &[PathBuf]) -> anyhow::Result<Vec<(String, Part)>> {
    let mut out = Vec::with_capacity(paths.len());
    for p in paths {
        let file = if p.is_dir() { p.join(Part::FILE) } else { p.clone() };
        let name = file.display().to_string();
        let text = std::fs::read_to_string(&file).map_err(|e| {
            usage(format!(
                "cannot read part {name}: {e}; give the --out directory of each shard (or its {})",
                Part::FILE
            ))
        })?;
        out.push((name.clone(), Part::from_json(&text, &name).map_err(|e| usage(e.to_string()))?));
    }
    Ok(out)
}

/// What a part of `compare` records of the run besides its inputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareSettings {
    /// The policies' names, in order.
    pub policies: Vec<String>,
    /// Seeds per randomised policy.
    pub seeds: u64,
    /// The first seed.
    pub seed: u64,
    /// What is done after each policy (`--improve`), by name.
    pub improve: String,
    /// How lotteries break the workplaces' ties (`--tie-break`), by name.
    pub tie_break: String,
    /// The pair budget.
    pub max_pairs: u64,
    /// Whether runtimes are written.
    pub timings: bool,
}

/// What a part of `match` records of the run besides its inputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatchSettings {
    /// The policy's name.
    pub policy: String,
    /// The lottery seed.
    pub seed: u64,
    /// What is done after the policy (`--improve`), by name.
    pub improve: String,
    /// How the lottery breaks the workplaces' ties (`--tie-break`), by name.
    pub tie_break: String,
    /// The solver's name.
    pub solver: String,
    /// The pair budget.
    pub max_pairs: u64,
    /// Whether timings are written.
    pub timings: bool,
    /// --by-school.
    pub by_school: bool,
    /// --xlsx.
    pub xlsx: bool,
    /// --no-advice.
    pub no_advice: bool,
    /// `--visits-per-day`, for followup.csv.
    #[serde(default)]
    pub visits_per_day: Option<u32>,
    /// `--rhythm-advice`.
    #[serde(default)]
    pub rhythm_advice: bool,
}

impl MatchSettings {
    /// The settings of a match with these options.
    pub fn new(
        policy: Policy,
        seed: u64,
        (improve, tie_break): (Improve, TieBreak),
        solver: Solver,
        max_pairs: u64,
        timings: bool,
        files: ResultFiles,
    ) -> Self {
        let solver = solver.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default();
        MatchSettings {
            policy: policy.name().into(),
            seed,
            improve: improve.name().into(),
            tie_break: tie_break.name().into(),
            solver,
            max_pairs,
            timings,
            by_school: files.by_school,
            xlsx: files.xlsx,
            no_advice: files.no_advice,
            visits_per_day: files.visits_per_day,
            rhythm_advice: false,
        }
    }

    /// The solver back.
    pub fn solver(&self) -> anyhow::Result<Solver> {
        Solver::from_str(&self.solver, false)
            .map_err(|_| usage(format!("unknown solver {:?} in the parts", self.solver)))
    }

    /// The improvement and tie-breaking back.
    pub fn improvement(&self) -> anyhow::Result<(Improve, TieBreak)> {
        improvement(&self.improve, &self.tie_break)
    }

    /// The result files asked for.
    pub fn files(&self) -> ResultFiles {
        ResultFiles {
            by_school: self.by_school,
            xlsx: self.xlsx,
            no_advice: self.no_advice,
            visits_per_day: self.visits_per_day,
        }
    }
}

impl CompareSettings {
    /// The improvement and tie-breaking back.
    pub fn improvement(&self) -> anyhow::Result<(Improve, TieBreak)> {
        improvement(&self.improve, &self.tie_break)
    }
}

/// An improvement and a tie-breaking named in a part.
fn improvement(improve: &str, tie_break: &str) -> anyhow::Result<(Improve, TieBreak)> {
    let improve = Improve::from_str(improve, false)
        .map_err(|_| usage(format!("unknown improvement {improve:?} in the parts")))?;
    let tie_break = TieBreak::from_str(tie_break, false)
        .map_err(|_| usage(format!("unknown tie-breaking {tie_break:?} in the parts")))?;
    Ok((improve, tie_break))
}

/// A policy named in a part.
pub fn policy(name: &str) -> anyhow::Result<Policy> {
    name.parse::<Policy>().map_err(|_| usage(format!("unknown policy {name:?} in the parts")))
}

/// The settings of a part's header, read back.
pub fn settings<T: serde::de::DeserializeOwned>(value: &serde_json::Value) -> anyhow::Result<T> {
    serde_json::from_value(value.clone()).map_err(|e| usage(format!("the parts' settings cannot be read: {e}")))
}

/// The settings as a header's JSON value.
pub fn to_value<T: Serialize>(settings: &T) -> serde_json::Value {
    serde_json::to_value(settings).unwrap_or_default()
}
