//! Criterion benchmark of the min-cost-flow solver on a seeded random
//! placement network (no external files needed):
//! S -> learner (cap 1) -> group (cap seats) -> workplace (cap) -> T plus a
//! bypass S -> T, 2,000 learners with 20 candidate groups each.
//!
//! ```text
//! cargo bench -p dualmatch-optimiser --bench flow
//! ```
//!
//! With `--features pivot-stats` it first prints the simplex's pivots
//! (degenerate and not) on each network, counted by `flow::stats`.

use criterion::{criterion_group, criterion_main, Criterion};
use dualmatch_optimiser::flow::{Network, INF};
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn placement_network(learners: usize, groups: usize, per_learner: usize, seed: u64) -> Network {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let workplaces = groups.div_ceil(2);
    let mut net = Network::with_capacity(
        2 + learners + groups + workplaces,
        learners * (per_learner + 1) + groups + workplaces + 1,
    );
    let s = net.add_node(learners as i64);
    let t = net.add_node(-(learners as i64));
    let ln: Vec<_> = (0..learners).map(|_| net.add_node(0)).collect();
    let gn: Vec<_> = (0..groups).map(|_| net.add_node(0)).collect();
    let wn: Vec<_> = (0..workplaces).map(|_| net.add_node(0)).collect();
    for &l in &ln {
        for _ in 0..per_learner {
            let g = gn[rng.gen_range(0..groups)];
            let score: f64 = rng.gen_range(0.0..100.0);
            net.add_arc(l, g, 0, 1, -(score * 1e6).round() as i64);
        }
    }
    for &l in &ln {
        net.add_arc(s, l, 0, 1, 0);
    }
    for (i, &g) in gn.iter().enumerate() {
        net.add_arc(g, wn[i / 2], 0, rng.gen_range(1..=6), 0);
    }
    for &w in &wn {
        let cap = if rng.gen_bool(0.3) { rng.gen_range(1..=8) } else { INF };
        net.add_arc(w, t, 0, cap, 0);
    }
    net.add_arc(s, t, 0, learners as i64, 0);
    net
}

fn bench_flow(c: &mut Criterion) {
    let net = placement_network(2_000, 800, 20, 42);
    #[cfg(feature = "pivot-stats")]
    {
        net.solve().expect("feasible");
        let pivots = dualmatch_optimiser::flow::stats::last();
        println!("flow/placement_2000x20: {} nodes, {} arcs, {pivots}", net.node_count(), net.arc_count());
    }
    c.bench_function("flow/placement_2000x20", |b| b.iter(|| net.solve().expect("feasible")));
}

criterion_group!(benches, bench_flow);
criterion_main!(benches);
