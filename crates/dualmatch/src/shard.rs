//! Sharded runs: one run split over `N` processes (a Slurm job array, a
//! Kubernetes Indexed Job), each writing a part, and the merge that puts the
//! parts back together into exactly the result of the single run.
//!
//! - **compare**: the runs (season, policy, seed), numbered in the order the
//!   single run makes them, go round-robin: run `k` to shard `k mod N`. A
//!   run's lottery seed is its seed (`--seed + k` for the `k`-th seed), the
//!   same in every shard, so no result depends on `N`.
//! - **match**: the independent components of the season (learners and
//!   sites joined by candidate pairs, site capacities, school floors and
//!   caps: whatever a constraint joins is one component) go to shards by size
//!   (candidate arcs), largest first, each to the least loaded shard (LPT).
//!   Only the exact network policies shard: their components' optima add up.
//!
//! Shards are numbered from 0: `i/N` with `0 ≤ i < N`. Every part carries a
//! [`PartHeader`] that identifies the run (inputs by SHA-256, settings, `N`),
//! and [`check_parts`] refuses parts of different runs and names missing
//! shards.

use std::collections::BTreeSet;
use std::fmt;
use std::io::Read;
use std::path::Path;

use dualmatch_core::{GroupId, LearnerId, WorkplaceId};
use dualmatch_optimiser::certificate::Dual;
use dualmatch_optimiser::metrics::Metrics;
use dualmatch_optimiser::network::{self, Layout, Share};
use dualmatch_optimiser::Solver;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::engine::Engine;
use crate::error::Error;
use crate::run::Run;

/// The version of the part file format.
pub const PART_FORMAT: u32 = 1;

/// One shard of a run: `index` of `count`, numbered from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard's number, `0 ≤ index < count`.
    pub index: u32,
    /// How many shards the run is split into.
    pub count: u32,
}

/// Why a shard could not be determined.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// `--shard` is not of the form `i/N`.
    #[error("--shard {0:?} is not of the form i/N (for example 0/4: shards are numbered from 0 to N-1), nor `auto`")]
    Syntax(String),
    /// The numbers do not make a shard.
    #[error("--shard {index}/{count}: {why}")]
    Range {
        /// The shard number given.
        index: u64,
        /// The count given.
        count: u64,
        /// What is wrong.
        why: &'static str,
    },
    /// `--shard auto` found no scheduler's array index.
    #[error("--shard auto needs SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (a Slurm job array) or JOB_COMPLETION_INDEX with --shards N (a Kubernetes Indexed Job); neither is set. Give the shard as --shard i/N instead")]
    NoEnvironment,
    /// An environment variable has a value that is not usable.
    #[error("--shard auto: {var}={value:?} {why}")]
    Environment {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// What is wrong.
        why: String,
    },
}

impl Shard {
    /// The whole run as one shard.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Shard `index` of `count`, checked.
    pub fn new(index: u64, count: u64) -> Result<Shard, ShardError> {
        let bad = |why| Err(ShardError::Range { index, count, why });
        if count == 0 {
            return bad("N must be at least 1");
        }
        if count > u64::from(u32::MAX) {
            return bad("N is too large");
        }
        if index >= count {
            return bad("shards are numbered from 0, so i must be below N (0/N to (N-1)/N)");
        }
        Ok(Shard { index: index as u32, count: count as u32 })
    }

    /// Parses `i/N`: two decimal numbers, nothing else.
    pub fn parse(text: &str) -> Result<Shard, ShardError> {
        let syntax = || ShardError::Syntax(text.to_string());
        let (i, n) = text.split_once('/').ok_or_else(syntax)?;
        let number = |s: &str| -> Result<u64, ShardError> {
            if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(syntax());
            }
            s.parse().map_err(|_| syntax())
        };
        Shard::new(number(i)?, number(n)?)
    }

    /// The shard of this process from the scheduler's environment, read
    /// through `var`: Slurm's `SLURM_ARRAY_TASK_ID` (less
    /// `SLURM_ARRAY_TASK_MIN`, divided by `SLURM_ARRAY_TASK_STEP`) of
    /// `SLURM_ARRAY_TASK_COUNT`, else Kubernetes' `JOB_COMPLETION_INDEX` of
    /// `shards` (the Job's completions, which Kubernetes does not export).
    /// With both Slurm's count and `shards`, they must agree.
    pub fn from_env(var: impl Fn(&str) -> Option<String>, shards: Option<u64>) -> Result<Shard, ShardError> {
        let read = |name: &'static str| -> Result<Option<u64>, ShardError> {
            match var(name) {
                None => Ok(None),
                Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| ShardError::Environment {
                    var: name,
                    value: v.clone(),
                    why: "is not a whole number".into(),
                }),
            }
        };
        if let Some(id) = read("SLURM_ARRAY_TASK_ID")? {
            let count = read("SLURM_ARRAY_TASK_COUNT")?.ok_or(ShardError::Environment {
                var: "SLURM_ARRAY_TASK_ID",
                value: id.to_string(),
                why: "is set but SLURM_ARRAY_TASK_COUNT is not".into(),
            })?;
            let min = read("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = read("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
            if id < min || (id - min) % step != 0 {
                return Err(ShardError::Environment {
                    var: "SLURM_ARRAY_TASK_ID",
                    value: id.to_string(),
                    why: format!("is not on the array's range (min {min}, step {step})"),
                });
            }
            if let Some(n) = shards.filter(|&n| n != count) {
                return Err(ShardError::Environment {
                    var: "SLURM_ARRAY_TASK_COUNT",
                    value: count.to_string(),
                    why: format!("differs from --shards {n}"),
                });
            }
            return Shard::new((id - min) / step, count);
        }
        if let Some(index) = read("JOB_COMPLETION_INDEX")? {
            let count = shards.ok_or(ShardError::Environment {
                var: "JOB_COMPLETION_INDEX",
                value: index.to_string(),
                why: "is set, but the count is not: give --shards N (the Job's completions)".into(),
            })?;
            return Shard::new(index, count);
        }
        Err(ShardError::NoEnvironment)
    }

    /// Whether the `k`-th run of a comparison belongs to this shard.
    pub fn owns_run(&self, k: u64) -> bool {
        k % u64::from(self.count) == u64::from(self.index)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Assigns units of the given sizes to `count` shards: largest first (ties
/// by unit order), each to the shard with the least total size so far
/// (ties: the lowest shard). Returns the shard of each unit.
pub fn assign_largest_first(sizes: &[usize], count: u32) -> Vec<u32> {
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(sizes[i]), i));
    let mut load = vec![0u128; count.max(1) as usize];
    let mut out = vec![0u32; sizes.len()];
    for i in order {
        let (s, _) = load.iter().enumerate().min_by_key(|&(s, l)| (*l, s)).expect("at least one shard");
        // Every unit weighs at least 1, so empty units spread too.
        load[s] += sizes[i] as u128 + 1;
        out[i] = s as u32;
    }
    out
}

/// An input of a run, identified by its content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputDigest {
    /// What it is (`season`, `weights`, …).
    pub role: String,
    /// The path as given.
    pub path: String,
    /// SHA-256 of the file, or of a directory's files (names and contents,
    /// in name order), as hex.
    pub sha256: String,
}

impl InputDigest {
    /// Reads `path` and identifies it.
    pub fn of(role: &str, path: &Path) -> std::io::Result<InputDigest> {
        Ok(InputDigest { role: role.into(), path: path.display().to_string(), sha256: digest(path)? })
    }
}

/// SHA-256 of a file, or of the regular files of a directory (each name and
/// content, in name order; subdirectories are not part of a season).
pub fn digest(path: &Path) -> std::io::Result<String> {
    let mut h = Sha256::new();
    let add_file = |h: &mut Sha256, p: &Path| -> std::io::Result<()> {
        let mut f = std::fs::File::open(p)?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            h.update(&buf[..n]);
        }
    };
    if path.is_dir() {
        let mut names = Vec::new();
        for e in std::fs::read_dir(path)? {
            let e = e?;
            if e.file_type()?.is_file() {
                names.push(e.file_name());
            }
        }
        names.sort();
        for n in names {
            let bytes = n.as_encoded_bytes();
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
            let mut inner = Sha256::new();
            add_file(&mut inner, &path.join(&n))?;
            h.update(inner.finalize());
        }
    } else {
        add_file(&mut h, path)?;
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// What identifies a sharded run, carried by each of its parts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartHeader {
    /// [`PART_FORMAT`].
    pub format: u32,
    /// The dualmatch version that wrote the part.
    pub version: String,
    /// The command: `compare` or `match`.
    pub command: String,
    /// Which shard this part is.
    pub shard: Shard,
    /// The inputs, by content.
    pub inputs: Vec<InputDigest>,
    /// The door's settings of the run (policies, seeds, options), compared
    /// as they are.
    pub settings: serde_json::Value,
}

impl PartHeader {
    /// A header for shard `shard` of a run of `command`.
    pub fn new(command: &str, shard: Shard, inputs: Vec<InputDigest>, settings: serde_json::Value) -> PartHeader {
        PartHeader {
            format: PART_FORMAT,
            version: env!("CARGO_PKG_VERSION").into(),
            command: command.into(),
            shard,
            inputs,
            settings,
        }
    }

    /// Whether `other` is a part of the same run (anything but the shard
    /// number equal).
    fn same_run(&self, other: &PartHeader) -> Result<(), String> {
        let differs = |what: &str, a: String, b: String| Err(format!("{what} differ ({a} against {b})"));
        if self.format != other.format || self.version != other.version {
            return differs(
                "dualmatch versions",
                format!("{} format {}", self.version, self.format),
                format!("{} format {}", other.version, other.format),
            );
        }
        if self.command != other.command {
            return differs("commands", self.command.clone(), other.command.clone());
        }
        if self.shard.count != other.shard.count {
            return differs("shard counts", self.shard.count.to_string(), other.shard.count.to_string());
        }
        if self.inputs != other.inputs {
            let show = |v: &[InputDigest]| {
                v.iter().map(|i| format!("{} {} {:.12}", i.role, i.path, i.sha256)).collect::<Vec<_>>().join(", ")
            };
            return differs("inputs", show(&self.inputs), show(&other.inputs));
        }
        if self.settings != other.settings {
            return differs("settings", self.settings.to_string(), other.settings.to_string());
        }
        Ok(())
    }
}

/// Why parts cannot be merged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// No part was given.
    #[error("no parts to merge")]
    Empty,
    /// A part file cannot be read as a part.
    #[error("{file}: not a dualmatch part file ({why})")]
    NotAPart {
        /// The file.
        file: String,
        /// What is wrong.
        why: String,
    },
    /// Two parts are of different runs.
    #[error("{a} and {b} are parts of different runs: {why}; merge the parts of one run only")]
    Mismatch {
        /// One part.
        a: String,
        /// The other.
        b: String,
        /// What differs.
        why: String,
    },
    /// The same shard twice.
    #[error("shard {shard} is given twice ({a} and {b})")]
    Duplicate {
        /// The shard.
        shard: Shard,
        /// One part.
        a: String,
        /// The other.
        b: String,
    },
    /// Some shards are missing.
    #[error("missing shard(s) {} of {count}: run them (or wait for them) and merge all {count} parts", .missing.iter().map(u32::to_string).collect::<Vec<_>>().join(", "))]
    Missing {
        /// The missing shard numbers.
        missing: Vec<u32>,
        /// The shard count.
        count: u32,
    },
    /// The parts do not add up to the run (a part file was edited).
    #[error("the parts do not add up to one run: {0}")]
    Inconsistent(String),
    /// An input changed since the shards ran.
    #[error("{role} {path} changed since the shards ran (or cannot be read: {why}); run the shards again")]
    InputChanged {
        /// Its role.
        role: String,
        /// Its path.
        path: String,
        /// Why it does not match.
        why: String,
    },
}

/// Checks that `headers` (each with the name of its part, for messages) are
/// the parts of one run, each shard exactly once, none missing.
pub fn check_parts(headers: &[(&str, &PartHeader)]) -> Result<(), MergeError> {
    let Some(&(first_name, first)) = headers.first() else { return Err(MergeError::Empty) };
    let mut seen: Vec<Option<&str>> = vec![None; first.shard.count as usize];
    for &(name, h) in headers {
        first.same_run(h).map_err(|why| MergeError::Mismatch { a: first_name.into(), b: name.into(), why })?;
        let slot = seen
            .get_mut(h.shard.index as usize)
            .ok_or_else(|| MergeError::Inconsistent(format!("{name}: shard {} out of range", h.shard)))?;
        if let Some(other) = slot {
            return Err(MergeError::Duplicate { shard: h.shard, a: (*other).into(), b: name.into() });
        }
        *slot = Some(name);
    }
    let missing: Vec<u32> = (0..first.shard.count).filter(|&i| seen[i as usize].is_none()).collect();
    if !missing.is_empty() {
        return Err(MergeError::Missing { missing, count: first.shard.count });
    }
    Ok(())
}

/// Checks that every input of `header` still has the content it had when
/// the shards ran.
pub fn check_inputs(header: &PartHeader) -> Result<(), MergeError> {
    for i in &header.inputs {
        let now = digest(Path::new(&i.path)).map_err(|e| MergeError::InputChanged {
            role: i.role.clone(),
            path: i.path.clone(),
            why: e.to_string(),
        })?;
        if now != i.sha256 {
            return Err(MergeError::InputChanged {
                role: i.role.clone(),
                path: i.path.clone(),
                why: "its content differs".into(),
            });
        }
    }
    Ok(())
}

/// One run of a sharded comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareRun {
    /// The run's number in the single run's order (season, policy, seed).
    pub index: u64,
    /// The season, by its position on the command line.
    pub season: usize,
    /// The policy's name.
    pub policy: String,
    /// The lottery seed, for randomised policies.
    pub seed: Option<u64>,
    /// The metrics, when the run succeeded.
    pub metrics: Option<Metrics>,
    /// Why the constraints could not be met, in words, when it failed.
    pub error: Option<String>,
    /// Wall-clock seconds of the run.
    pub seconds: f64,
    /// Per learner: 0 unplaced, else the rank of her placement (as
    /// [`crate::CompareRow::ranks`]; empty when the run failed), for the
    /// placement probabilities.
    pub ranks: Vec<u32>,
}

/// The part a shard of `compare` writes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComparePart {
    /// The run and the shard.
    pub header: PartHeader,
    /// Every run of the whole comparison.
    pub total: u64,
    /// This shard's runs, in index order.
    pub runs: Vec<CompareRun>,
}

/// The shared part of a sharded match's parts: how the season splits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayoutDoc {
    /// Independent components.
    pub components: usize,
    /// Learners in the largest.
    pub largest_component: usize,
    /// Candidate arcs per component.
    pub arcs: Vec<usize>,
}

/// The part a shard of `match` writes: its components' placements, proof
/// and seat values, exactly (integer weights).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatchPart {
    /// The run and the shard.
    pub header: PartHeader,
    /// How the season splits (the same in every part).
    pub layout: LayoutDoc,
    /// The components this shard solved.
    pub components: Vec<usize>,
    /// (learner index, candidate index) per placement.
    pub placed: Vec<(u32, u32)>,
    /// The sum of the components' dual bounds, integer weights, in decimal.
    pub bound: String,
    /// Learners the components can place at most (max-placed).
    pub placeable: usize,
    /// (recognition index, integer weight) of the seat values that are not 0.
    pub seat_dual: Vec<(u32, i64)>,
    /// (site index, integer weight) of the capacity values that are not 0.
    pub cap_dual: Vec<(u32, i64)>,
    /// The components' certificate duals as (kind, index, integer weight)
    /// ([`dualmatch_optimiser::certificate::Dual::code`]), when they have them.
    pub cert: Option<Vec<(u8, u64, i64)>>,
    /// Whether a component went to the mixed-integer path (then the merged
    /// run, like the single one, has no seat values).
    #[serde(default)]
    pub mip: bool,
    /// Seconds to load and score, and to solve.
    pub seconds: [f64; 2],
}

impl MatchPart {
    /// A part from a solved share.
    pub fn new(header: PartHeader, layout: &Layout, share: &Share, seconds: [f64; 2]) -> MatchPart {
        MatchPart {
            header,
            layout: LayoutDoc {
                components: layout.components,
                largest_component: layout.largest_component,
                arcs: layout.arcs.clone(),
            },
            components: share.components.clone(),
            placed: share.placed.iter().map(|&(l, c)| (l.index() as u32, c)).collect(),
            bound: share.bound.to_string(),
            placeable: share.placeable,
            seat_dual: share.seat_dual.iter().map(|&(g, v)| (g.index() as u32, v)).collect(),
            cap_dual: share.cap_dual.iter().map(|&(w, v)| (w.index() as u32, v)).collect(),
            cert: share.cert.as_ref().map(|duals| {
                duals
                    .iter()
                    .map(|&(d, v)| {
                        let (kind, index) = d.code();
                        (kind, index, v)
                    })
                    .collect()
            }),
            mip: share.mip,
            seconds,
        }
    }

    /// The share back, with indexes checked against the season's sizes
    /// (learners, recognitions, sites, candidate pairs, school bounds).
    pub fn share(&self, sizes: [usize; 5]) -> Result<Share, MergeError> {
        let bad = |what: &str| MergeError::Inconsistent(format!("shard {}: {what}", self.header.shard));
        let [nl, ng, nw, nc, nb] = sizes;
        let bound: i128 = self.bound.parse().map_err(|_| bad("the bound is not an integer"))?;
        let mut placed = Vec::with_capacity(self.placed.len());
        for &(l, c) in &self.placed {
            if l as usize >= nl || c as usize >= nc {
                return Err(bad("a placement is outside the season"));
            }
            placed.push((LearnerId::from_index(l as usize), c));
        }
        let mut seat_dual = Vec::with_capacity(self.seat_dual.len());
        for &(g, v) in &self.seat_dual {
            if g as usize >= ng {
                return Err(bad("a seat value is outside the season"));
            }
            seat_dual.push((GroupId::from_index(g as usize), v));
        }
        let mut cap_dual = Vec::with_capacity(self.cap_dual.len());
        for &(w, v) in &self.cap_dual {
            if w as usize >= nw {
                return Err(bad("a capacity value is outside the season"));
            }
            cap_dual.push((WorkplaceId::from_index(w as usize), v));
        }
        let cert = match &self.cert {
            None => None,
            Some(duals) => {
                let mut out = Vec::with_capacity(duals.len());
                for &(kind, index, v) in duals {
                    let d = Dual::from_code(kind, index, [nl, ng, nw, nb])
                        .ok_or_else(|| bad("a dual is outside the season"))?;
                    out.push((d, v));
                }
                Some(out)
            }
        };
        Ok(Share {
            components: self.components.clone(),
            placed,
            bound,
            placeable: self.placeable,
            seat_dual,
            cap_dual,
            mip: self.mip,
            cert,
        })
    }

    /// The layout back.
    pub fn layout(&self) -> Layout {
        Layout {
            components: self.layout.components,
            largest_component: self.layout.largest_component,
            arcs: self.layout.arcs.clone(),
        }
    }
}

/// A part file: of `compare` or of `match`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Part {
    /// A shard of `compare`.
    Compare(ComparePart),
    /// A shard of `match`.
    Match(MatchPart),
}

impl Part {
    /// The name of a part file in a part directory.
    pub const FILE: &'static str = "part.json";

    /// The header.
    pub fn header(&self) -> &PartHeader {
        match self {
            Part::Compare(p) => &p.header,
            Part::Match(p) => &p.header,
        }
    }

    /// The part as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a part serialises")
    }

    /// Reads a part from its JSON text; `file` names it in errors.
    pub fn from_json(text: &str, file: &str) -> Result<Part, MergeError> {
        let part: Part =
            serde_json::from_str(text).map_err(|e| MergeError::NotAPart { file: file.into(), why: e.to_string() })?;
        let h = part.header();
        if h.format != PART_FORMAT {
            return Err(MergeError::NotAPart {
                file: file.into(),
                why: format!("format {} (this dualmatch reads format {PART_FORMAT})", h.format),
            });
        }
        Shard::new(u64::from(h.shard.index), u64::from(h.shard.count))
            .map_err(|e| MergeError::NotAPart { file: file.into(), why: e.to_string() })?;
        Ok(part)
    }
}

/// The runs of a comparison's parts, in the single run's order; checks that
/// they are the runs `0..total`, each once, each in the shard that owns it.
pub fn merge_compare(parts: &[ComparePart]) -> Result<Vec<CompareRun>, MergeError> {
    let total = parts.first().map(|p| p.total).ok_or(MergeError::Empty)?;
    let mut runs: Vec<CompareRun> = Vec::new();
    for p in parts {
        if p.total != total {
            return Err(MergeError::Inconsistent(format!(
                "shard {} counts {} runs, not {total}",
                p.header.shard, p.total
            )));
        }
        if let Some(r) = p.runs.iter().find(|r| !p.header.shard.owns_run(r.index)) {
            return Err(MergeError::Inconsistent(format!("run {} is not one of shard {}'s", r.index, p.header.shard)));
        }
        runs.extend(p.runs.iter().cloned());
    }
    runs.sort_by_key(|r| r.index);
    let have: BTreeSet<u64> = runs.iter().map(|r| r.index).collect();
    if have.len() != runs.len() || runs.len() as u64 != total || runs.last().is_some_and(|r| r.index + 1 != total) {
        return Err(MergeError::Inconsistent(format!("{} distinct runs of {total}", have.len())));
    }
    Ok(runs)
}

/// The shares of a match's parts; checks that they have the same layout and
/// solve every component exactly once, each in the shard
/// [`assign_largest_first`] gives it.
pub fn merge_match(parts: &[MatchPart], sizes: [usize; 5]) -> Result<(Layout, Vec<Share>), MergeError> {
    let first = parts.first().ok_or(MergeError::Empty)?;
    let layout = first.layout();
    let owner = assign_largest_first(&layout.arcs, first.header.shard.count);
    let mut solved = vec![false; layout.components];
    let mut shares = Vec::with_capacity(parts.len());
    for p in parts {
        if p.layout != first.layout {
            return Err(MergeError::Inconsistent(format!("shard {} splits the season differently", p.header.shard)));
        }
        for &c in &p.components {
            if owner.get(c) != Some(&p.header.shard.index) || std::mem::replace(&mut solved[c], true) {
                return Err(MergeError::Inconsistent(format!(
                    "component {c} is not shard {}'s, or solved twice",
                    p.header.shard
                )));
            }
        }
        shares.push(p.share(sizes)?);
    }
    if let Some(c) = solved.iter().position(|s| !s) {
        return Err(MergeError::Inconsistent(format!("component {c} was solved by no shard")));
    }
    Ok((layout, shares))
}

/// Why a match cannot be sharded.
fn not_shardable(policy: dualmatch_optimiser::Policy, why: &str) -> Error {
    Error::NotShardable { policy, why: why.to_string() }
}

impl<'s> Engine<'s> {
    /// The shard's share of a sharded match: the independent components
    /// [`assign_largest_first`] gives `shard`, solved exactly, as an unsharded
    /// match solves them ([`network::solve_within`]: by network simplex, or
    /// as a mixed-integer model each where rhythms differ, short lines or
    /// "a group or nobody" need one, within the time limit). Only the exact
    /// policies (`max-fit`, `max-placed`, not improved, not `--solver lp`)
    /// shard ([`Error::NotShardable`] otherwise): the other policies draw one
    /// lottery or make one pass over the whole season.
    pub fn solve_share(&self, shard: Shard) -> Result<(Layout, Share), Error> {
        let opts = self.options();
        let objective = opts
            .objective()
            .ok_or_else(|| not_shardable(opts.policy, "it is not an exact optimisation (or --improve is set)"))?;
        if opts.solver == Solver::Lp {
            return Err(not_shardable(opts.policy, "--solver lp solves the season as one LP"));
        }
        let model = self.model()?;
        let select = |arcs: &[usize]| {
            assign_largest_first(arcs, shard.count).into_iter().map(|s| s == shard.index).collect::<Vec<bool>>()
        };
        self.install(|| network::solve_share_within(&model, objective, opts.time_limit, select))?
            .map_err(Error::Infeasible)
    }

    /// The run the shares of every shard make together ([`merge_match`]):
    /// the same [`Run`] as [`Engine::solve`], checked against the whole
    /// model, with the unplaced learners' reasons worked out as there.
    /// `seconds` is the solve time to report.
    pub fn assemble(&self, layout: &Layout, shares: &[Share], seconds: f64) -> Result<Run<'s>, Error> {
        let opts = self.options();
        let objective = opts
            .objective()
            .ok_or_else(|| not_shardable(opts.policy, "it is not an exact optimisation (or --improve is set)"))?;
        let model = self.model()?;
        let solved = network::assemble(&model, objective, layout, shares, seconds);
        self.finish(&model, solved)
    }

    /// The sizes [`MatchPart::share`] checks indexes against: learners,
    /// recognitions, sites, candidate pairs, school bounds.
    pub fn part_sizes(&self) -> Result<[usize; 5], Error> {
        let s = self.season();
        let bounds = self.constraints_ref().school_bounds.len();
        Ok([s.learners().len(), s.groups().len(), s.workplaces().len(), self.candidates()?.len(), bounds])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_is_strict_and_zero_based() {
        assert_eq!(Shard::parse("0/4"), Ok(Shard { index: 0, count: 4 }));
        assert_eq!(Shard::parse("3/4"), Ok(Shard { index: 3, count: 4 }));
        for bad in ["4/4", "1/0", "0/0", "-1/4", "1 /4", "1/4/", "a/4", "/4", "1/", "14", "", "+1/4", "1/4 "] {
            assert!(Shard::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn shard_from_the_environment() {
        let slurm = [("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_COUNT", "4")];
        assert_eq!(Shard::from_env(env(&slurm), None), Ok(Shard { index: 2, count: 4 }));
        assert!(Shard::from_env(env(&slurm), Some(3)).is_err());
        let one_based = [("SLURM_ARRAY_TASK_ID", "4"), ("SLURM_ARRAY_TASK_COUNT", "4"), ("SLURM_ARRAY_TASK_MIN", "1")];
        assert_eq!(Shard::from_env(env(&one_based), None), Ok(Shard { index: 3, count: 4 }));
        let k8s = [("JOB_COMPLETION_INDEX", "1")];
        assert_eq!(Shard::from_env(env(&k8s), Some(3)), Ok(Shard { index: 1, count: 3 }));
        assert!(matches!(Shard::from_env(env(&k8s), None), Err(ShardError::Environment { .. })));
        assert!(Shard::from_env(env(&k8s), Some(1)).is_err());
        assert_eq!(Shard::from_env(env(&[]), Some(4)), Err(ShardError::NoEnvironment));
        assert!(Shard::from_env(env(&[("SLURM_ARRAY_TASK_ID", "x"), ("SLURM_ARRAY_TASK_COUNT", "4")]), None).is_err());
    }

    /// The reference: every assignment of units to shards, the best
    /// makespan; LPT is within 4/3 of it (Graham's bound).
    #[test]
    fn largest_first_balances_within_grahams_bound() {
        let mut state = 7u64;
        for case in 0..300 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let n = (state >> 33) as usize % 7 + 1;
            let k = (state >> 20) as u32 % 3 + 1;
            let sizes: Vec<usize> = (0..n).map(|i| ((state >> (i * 5)) % 50) as usize).collect();
            let got = assign_largest_first(&sizes, k);
            assert!(got.iter().all(|&s| s < k), "case {case}");
            let span = |a: &[u32]| {
                let mut l = vec![0usize; k as usize];
                for (i, &s) in a.iter().enumerate() {
                    l[s as usize] += sizes[i] + 1;
                }
                *l.iter().max().unwrap()
            };
            let mut best = usize::MAX;
            for code in 0..(k as usize).pow(n as u32) {
                let a: Vec<u32> = (0..n).map(|i| ((code / (k as usize).pow(i as u32)) % k as usize) as u32).collect();
                best = best.min(span(&a));
            }
            assert!(3 * span(&got) <= 4 * best + 3, "case {case}: {sizes:?} on {k}: {} vs {best}", span(&got));
            assert_eq!(got, assign_largest_first(&sizes, k), "deterministic");
        }
    }

    #[test]
    fn check_parts_names_missing_and_mismatched_shards() {
        let h = |i, n, seeds: u32| {
            PartHeader::new("compare", Shard { index: i, count: n }, vec![], serde_json::json!({"seeds": seeds}))
        };
        let (a, b, c) = (h(0, 3, 5), h(2, 3, 5), h(1, 3, 6));
        assert_eq!(check_parts(&[("a", &a), ("b", &b)]), Err(MergeError::Missing { missing: vec![1], count: 3 }));
        assert!(matches!(check_parts(&[("a", &a), ("c", &c), ("b", &b)]), Err(MergeError::Mismatch { .. })));
        assert!(matches!(check_parts(&[("a", &a), ("a2", &a)]), Err(MergeError::Duplicate { .. })));
        let d = h(1, 3, 5);
        assert_eq!(check_parts(&[("b", &b), ("a", &a), ("d", &d)]), Ok(()));
        assert!(matches!(check_parts(&[("a", &a), ("e", &h(1, 4, 5))]), Err(MergeError::Mismatch { .. })));
    }
}
