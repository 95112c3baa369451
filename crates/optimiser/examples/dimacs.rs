//! Solves DIMACS min-cost-flow files (`p min`) with the crate's network
//! simplex and prints one line per file: nodes, arcs, the optimal cost and
//! the best of `DUALMATCH_DIMACS_REPEAT` (default 3) solve times. The solve
//! time is that of [`Network::solve`] (its own set-up included), not the
//! reading of the file. `benches/netgen.sh` runs it beside LEMON's
//! `dimacs-solver` on generated NETGEN families.
//!
//! ```text
//! cargo run --release -p dualmatch-optimiser --example dimacs -- FILE.min...
//! ```
//!
//! Output (one line per file, tab-separated):
//! `file  nodes  arcs  cost  solve_s`; `cost` is `infeasible` when no flow
//! meets the supplies. A malformed file stops the run with its line number.

use std::time::Instant;

use dualmatch_optimiser::flow::{FlowError, Network, NodeId};

/// Reads a DIMACS min-cost-flow problem: `c` comments, one `p min NODES
/// ARCS` line, `n ID SUPPLY` node lines (others have supply 0) and `a FROM
/// TO LOW CAP COST` arc lines, ids from 1.
fn read(path: &str) -> Result<Network, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut net: Option<Network> = None;
    let mut nodes = 0u32;
    for (k, line) in text.lines().enumerate() {
        let bad = |what: &str| format!("{path}:{}: {what}: {line:?}", k + 1);
        let mut it = line.split_ascii_whitespace();
        let kind = it.next();
        let mut num = |what: &str| -> Result<i64, String> {
            it.next().and_then(|x| x.parse::<i64>().ok()).ok_or_else(|| bad(&format!("expected {what}")))
        };
        match kind {
            None | Some("c") => {}
            Some("p") => {
                if net.is_some() {
                    return Err(bad("a second problem line"));
                }
                if line.split_ascii_whitespace().nth(1) != Some("min") {
                    return Err(bad("not a min-cost-flow problem (`p min`)"));
                }
                let mut it = line.split_ascii_whitespace().skip(2).map(|x| x.parse::<u32>());
                let (Some(Ok(n)), Some(Ok(m))) = (it.next(), it.next()) else {
                    return Err(bad("expected `p min NODES ARCS`"));
                };
                let mut network = Network::with_capacity(n as usize, m as usize);
                for _ in 0..n {
                    network.add_node(0);
                }
                nodes = n;
                net = Some(network);
            }
            Some("n") => {
                let id = num("a node id")?;
                let supply = num("a supply")?;
                let net = net.as_mut().ok_or_else(|| bad("a node before the problem line"))?;
                if id < 1 || id > i64::from(nodes) {
                    return Err(bad("node id out of range"));
                }
                net.set_supply(NodeId(id as u32 - 1), supply);
            }
            Some("a") => {
                let (from, to) = (num("a tail")?, num("a head")?);
                let (low, cap, cost) = (num("a lower bound")?, num("a capacity")?, num("a cost")?);
                let net = net.as_mut().ok_or_else(|| bad("an arc before the problem line"))?;
                if from < 1 || to < 1 || from > i64::from(nodes) || to > i64::from(nodes) {
                    return Err(bad("node id out of range"));
                }
                net.add_arc(NodeId(from as u32 - 1), NodeId(to as u32 - 1), low, cap, cost);
            }
            Some(_) => return Err(bad("unknown line kind")),
        }
    }
    net.ok_or_else(|| format!("{path}: no `p min` line"))
}

fn main() {
    let repeat: usize = std::env::var("DUALMATCH_DIMACS_REPEAT").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    let files: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    if files.is_empty() {
        eprintln!("usage: dimacs FILE.min... (DIMACS min-cost-flow problems)");
        std::process::exit(2);
    }
    for path in files {
        let net = read(&path).unwrap_or_else(|e| {
            eprintln!("dimacs: {e}");
            std::process::exit(2);
        });
        let mut best = f64::INFINITY;
        let mut cost = String::new();
        for _ in 0..repeat.max(1) {
            let t = Instant::now();
            let result = net.solve();
            best = best.min(t.elapsed().as_secs_f64());
            cost = match result {
                Ok(sol) => sol.cost.to_string(),
                Err(FlowError::Infeasible { .. }) => "infeasible".to_string(),
                Err(e) => {
                    eprintln!("dimacs: {path}: {e}");
                    std::process::exit(1);
                }
            };
        }
        println!("{path}\t{}\t{}\t{cost}\t{best:.6}", net.node_count(), net.arc_count());
    }
}
