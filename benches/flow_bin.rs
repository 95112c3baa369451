//! Benchmark of the min-cost-flow solver on `DMFLOW1` instance files (as
//! written by `solve.py --export-bin` in `/work/shared/anchors`), built
//! exactly like `lemon_flow.cpp` builds the max-fit network.
//!
//! ```text
//! DUALMATCH_FLOW_BIN=/tmp/flowbench/s.bin,/tmp/flowbench/m.bin \
//!     cargo bench -p dualmatch-optimiser --bench flow_bin
//! ```
//!
//! With `--features pivot-stats` it also prints the simplex's pivots
//! (`pivots=`, `degenerate_pivots=`) for each instance.
//!
//! Environment:
//! * `DUALMATCH_FLOW_BIN`: comma-separated instance files (unset: print a
//!   message and exit successfully);
//! * `DUALMATCH_FLOW_REPEAT`: solves per instance (default 1; the best time
//!   is reported as `solve_s`, all of them as `solve_s_all`);
//! * `DUALMATCH_LEMON_FLOW`: path of the `lemon_flow` reference binary
//!   (default `$HOME/.cache/dualmatch-anchors/lemon_flow`); when it exists it
//!   is run on each instance right after our solver (as many times) and the
//!   objectives are compared (`0` disables it). The process exits with
//!   status 1 if they disagree.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use dualmatch_optimiser::flow::{ArcId, Network};

struct Instance {
    mode: i32,
    n_learners: usize,
    group_seats: Vec<i64>,
    group_workplace: Vec<i32>,
    workplace_cap: Vec<i64>,
    arc_learner: Vec<i32>,
    arc_group: Vec<i32>,
    arc_weight: Vec<i64>,
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> &[u8] {
        let s = self.buf.get(self.pos..self.pos + n).expect("truncated DMFLOW1 file");
        self.pos += n;
        s
    }
    fn i32s(&mut self, n: usize) -> Vec<i32> {
        self.take(4 * n).chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap())).collect()
    }
    fn i64s(&mut self, n: usize) -> Vec<i64> {
        self.take(8 * n).chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap())).collect()
    }
}

fn read_instance(path: &Path) -> Instance {
    let buf = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut r = Reader { buf: &buf, pos: 0 };
    assert_eq!(r.take(8), b"DMFLOW1\0", "{} is not a DMFLOW1 file", path.display());
    let hdr = r.i32s(4);
    let n_arcs = r.i64s(1)[0] as usize;
    let (ng, nw) = (hdr[2] as usize, hdr[3] as usize);
    Instance {
        mode: hdr[0],
        n_learners: hdr[1] as usize,
        group_seats: r.i64s(ng),
        group_workplace: r.i32s(ng),
        workplace_cap: r.i64s(nw),
        arc_learner: r.i32s(n_arcs),
        arc_group: r.i32s(n_arcs),
        arc_weight: r.i64s(n_arcs),
    }
}

/// The max-fit network of `lemon_flow.cpp` (same node and arc order); returns
/// it with the candidate arcs.
#[allow(clippy::needless_range_loop)] // mirrors lemon_flow.cpp loop by loop
fn build(inst: &Instance) -> (Network, Vec<ArcId>) {
    let (nl, ng, nw) = (inst.n_learners, inst.group_seats.len(), inst.workplace_cap.len());
    let na = inst.arc_weight.len();
    let mut best = vec![-1i64; nl];
    for (&l, &w) in inst.arc_learner.iter().zip(&inst.arc_weight) {
        best[l as usize] = best[l as usize].max(w);
    }
    let n_active = best.iter().filter(|&&b| b >= 0).count() as i64;
    let mut net = Network::with_capacity(2 + nl + ng + nw, na + nl + ng + nw + 1);
    let s = net.add_node(n_active);
    let t = net.add_node(-n_active);
    let ln: Vec<_> = (0..nl).map(|_| net.add_node(0)).collect();
    let gn: Vec<_> = (0..ng).map(|_| net.add_node(0)).collect();
    let wn: Vec<_> = (0..nw).map(|_| net.add_node(0)).collect();
    let mut cand = Vec::with_capacity(na);
    for a in 0..na {
        let (l, g) = (inst.arc_learner[a] as usize, inst.arc_group[a] as usize);
        cand.push(net.add_arc(ln[l], gn[g], 0, 1, -inst.arc_weight[a]));
    }
    for l in 0..nl {
        if best[l] >= 0 {
            net.add_arc(s, ln[l], 0, 1, 0);
        }
    }
    let mut wseats = vec![0i64; nw];
    for g in 0..ng {
        let w = inst.group_workplace[g] as usize;
        net.add_arc(gn[g], wn[w], 0, inst.group_seats[g], 0);
        wseats[w] += inst.group_seats[g];
    }
    for w in 0..nw {
        let c = inst.workplace_cap[w];
        let cap = if c < 0 || c > wseats[w] { wseats[w] } else { c };
        net.add_arc(wn[w], t, 0, cap, 0);
    }
    net.add_arc(s, t, 0, n_active, 0);
    (net, cand)
}

fn lemon_path() -> Option<PathBuf> {
    let p = match std::env::var("DUALMATCH_LEMON_FLOW") {
        Ok(p) if p == "0" => return None,
        Ok(p) => PathBuf::from(p),
        Err(_) => PathBuf::from(std::env::var("HOME").ok()?).join(".cache/dualmatch-anchors/lemon_flow"),
    };
    p.exists().then_some(p)
}

fn run_lemon(lemon: &Path, bin: &str) -> Option<(String, String)> {
    let out = Command::new(lemon).arg(bin).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let get =
        |k: &str| text.lines().find_map(|l| l.strip_prefix(k).and_then(|r| r.strip_prefix('=')).map(str::to_owned));
    Some((get("objective")?, get("solve_s")?))
}

fn main() {
    let Ok(list) = std::env::var("DUALMATCH_FLOW_BIN") else {
        println!("flow_bin: set DUALMATCH_FLOW_BIN=FILE[,FILE...] (DMFLOW1 instances) to run this benchmark; skipping");
        return;
    };
    let repeat: usize = std::env::var("DUALMATCH_FLOW_REPEAT").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let lemon = lemon_path();
    let mut all_agree = true;
    for bin in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let inst = read_instance(Path::new(bin));
        if inst.mode != 0 {
            println!("file={bin}\nnote=mode {} (max-placed) is built as max-fit", inst.mode);
        }
        let t0 = Instant::now();
        let (net, cand) = build(&inst);
        let build_s = t0.elapsed().as_secs_f64();
        let mut times = Vec::new();
        let mut sol = None;
        for _ in 0..repeat.max(1) {
            let t1 = Instant::now();
            let s = net.solve().expect("solve failed");
            times.push(t1.elapsed().as_secs_f64());
            if let Some(prev) = &sol {
                assert_eq!(prev, &s, "non-deterministic result");
            }
            sol = Some(s);
        }
        let sol = sol.unwrap();
        let (mut placed, mut units) = (0i64, 0i64);
        for (a, &arc) in cand.iter().enumerate() {
            if sol.flow(arc) > 0 {
                placed += 1;
                units += inst.arc_weight[a];
            }
        }
        assert_eq!(-sol.cost, units as i128, "cost and objective disagree");
        let objective = format!("{:.6}", units as f64 / 1e6);
        let best = times.iter().copied().fold(f64::INFINITY, f64::min);
        println!("file={bin}");
        println!("nodes={} arcs={}", net.node_count(), net.arc_count());
        #[cfg(feature = "pivot-stats")]
        {
            // Every solve of the instance pivots alike (the solver is deterministic).
            let p = dualmatch_optimiser::flow::stats::last();
            println!("pivots={} degenerate_pivots={}", p.total, p.degenerate);
        }
        println!("objective={objective} placed={placed} build_s={build_s:.4} solve_s={best:.4}");
        if times.len() > 1 {
            let all: Vec<String> = times.iter().map(|t| format!("{t:.4}")).collect();
            println!("solve_s_all={}", all.join(","));
        }
        if let Some(lemon) = &lemon {
            // As many lemon_flow runs as our solves; the best time is reported.
            let mut runs = Vec::new();
            for _ in 0..repeat.max(1) {
                match run_lemon(lemon, bin) {
                    Some(r) => runs.push(r),
                    None => {
                        println!("lemon_flow failed on {bin}");
                        break;
                    }
                }
            }
            if let Some((obj, _)) = runs.first() {
                let agree = runs.iter().all(|(o, _)| *o == objective);
                all_agree &= agree;
                let secs: Vec<f64> = runs.iter().filter_map(|(_, s)| s.parse().ok()).collect();
                let best = secs.iter().copied().fold(f64::INFINITY, f64::min);
                println!("lemon_objective={obj} lemon_solve_s={best:.4} agree={agree}");
                if secs.len() > 1 {
                    let all: Vec<String> = secs.iter().map(|t| format!("{t:.4}")).collect();
                    println!("lemon_solve_s_all={}", all.join(","));
                }
            }
        }
    }
    if !all_agree {
        eprintln!("flow_bin: objectives DISAGREE with lemon_flow");
        std::process::exit(1);
    }
}
