//! Tests of the min-cost-flow solver against a simple reference
//! implementation (successive shortest paths with Bellman-Ford).

use super::*;
use proptest::prelude::*;

/// Reference min-cost flow: lower bounds shifted out, negative-cost arcs
/// saturated up front (so the residual network has no negative cycle), then
/// successive shortest paths (Bellman-Ford) from a super source to a super
/// sink. `INF` capacities are replaced by `big`. Returns `None` when
/// infeasible.
fn reference(net: &Network, big: i64) -> Option<i128> {
    let n = net.node_count();
    let (s, t) = (n, n + 1);
    // Residual arcs: (to, cap, cost); arc k and k ^ 1 are mutual reverses.
    let mut to = Vec::new();
    let mut cap = Vec::new();
    let mut cost = Vec::new();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n + 2];
    let mut add = |u: usize, v: usize, c: i64, w: i64, out: &mut Vec<Vec<usize>>| {
        out[u].push(to.len());
        to.push(v);
        cap.push(c);
        cost.push(w);
        out[v].push(to.len());
        to.push(u);
        cap.push(0);
        cost.push(-w);
    };
    let mut b: Vec<i64> = (0..n).map(|v| net.supply(NodeId(v as u32))).collect();
    let mut base: i128 = 0;
    for a in 0..net.arc_count() {
        let id = ArcId(a as u32);
        let (u, v) = (net.arc_from(id).0 as usize, net.arc_to(id).0 as usize);
        let (lo, up, c) = (net.arc_lower(id), net.arc_upper(id), net.arc_cost(id));
        let up = if up == INF { big } else { up };
        let k = up - lo;
        b[u] -= lo;
        b[v] += lo;
        base += lo as i128 * c as i128;
        if c < 0 {
            // Saturate: flow k, residual only backwards.
            b[u] -= k;
            b[v] += k;
            base += k as i128 * c as i128;
            add(v, u, k, -c, &mut out);
        } else {
            add(u, v, k, c, &mut out);
        }
    }
    let mut need = 0i64;
    for (v, &bv) in b.iter().enumerate() {
        if bv > 0 {
            add(s, v, bv, 0, &mut out);
            need += bv;
        } else if bv < 0 {
            add(v, t, -bv, 0, &mut out);
        }
    }
    let mut total = base;
    let mut sent = 0i64;
    loop {
        // Bellman-Ford from s.
        let mut dist = vec![i64::MAX; n + 2];
        let mut via = vec![usize::MAX; n + 2];
        dist[s] = 0;
        for _ in 0..n + 2 {
            let mut changed = false;
            for u in 0..n + 2 {
                if dist[u] == i64::MAX {
                    continue;
                }
                for &k in &out[u] {
                    if cap[k] > 0 && dist[u] + cost[k] < dist[to[k]] {
                        dist[to[k]] = dist[u] + cost[k];
                        via[to[k]] = k;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        if dist[t] == i64::MAX {
            break;
        }
        let mut f = i64::MAX;
        let mut v = t;
        while v != s {
            f = f.min(cap[via[v]]);
            v = to[via[v] ^ 1];
        }
        let mut v = t;
        while v != s {
            cap[via[v]] -= f;
            cap[via[v] ^ 1] += f;
            v = to[via[v] ^ 1];
        }
        total += f as i128 * dist[t] as i128;
        sent += f;
    }
    (sent == need).then_some(total)
}

/// Solves and checks everything that can be checked without a reference:
/// `verify` on success, the certificate on infeasibility, determinism.
fn solve_checked(net: &Network) -> Result<FlowSolution, FlowError> {
    let res = net.solve();
    match &res {
        Ok(sol) => {
            if let Err(e) = verify(net, sol) {
                panic!("verify failed: {e}\nnetwork: {net:?}\nsolution: {sol:?}");
            }
        }
        Err(FlowError::Infeasible { cut, excess }) => {
            assert!(!cut.is_empty(), "empty cut");
            assert!(cut.windows(2).all(|w| w[0] < w[1]), "cut not sorted");
            assert!(*excess > 0, "excess {excess} not positive");
            assert_eq!(cut_excess(net, cut), Some(*excess as i128), "certificate mismatch for {net:?}");
        }
        Err(FlowError::InvalidInput(msg)) => panic!("unexpected invalid input: {msg}"),
    }
    assert_eq!(net.clone().solve(), res, "solver is not deterministic");
    // LEMON's plain start (no crash basis) must agree on the optimum (the
    // optimal flow itself need not be unique).
    match (simplex::solve_with(net, false), &res) {
        (Ok(plain), Ok(sol)) => {
            assert_eq!(plain.cost, sol.cost, "plain and crash starts disagree");
            if let Err(e) = verify(net, &plain) {
                panic!("verify failed without crash: {e}\nnetwork: {net:?}");
            }
        }
        (Err(FlowError::Infeasible { cut, excess }), Err(FlowError::Infeasible { .. })) => {
            assert_eq!(cut_excess(net, &cut), Some(excess as i128));
        }
        (plain, _) => panic!("plain start gives {plain:?}, crash start {res:?}"),
    }
    res
}

#[derive(Clone, Debug)]
struct ArcSpec {
    from: usize,
    to: usize,
    lower: i64,
    width: i64,
    uncapacitated: bool,
    cost: i64,
}

fn arc_spec(n: usize) -> impl Strategy<Value = ArcSpec> {
    (0..n, 0..n, prop_oneof![4 => Just(0i64), 1 => 1..3i64], 0..5i64, prop::bool::weighted(0.15), -10..=10i64).prop_map(
        |(from, to, lower, width, uncapacitated, cost)| ArcSpec { from, to, lower, width, uncapacitated, cost },
    )
}

fn network_strategy() -> impl Strategy<Value = Network> {
    (1..=7usize)
        .prop_flat_map(|n| (prop::collection::vec(-4..=4i64, n), prop::collection::vec(arc_spec(n), 0..=14)))
        .prop_map(|(mut supply, arcs)| {
            let sum: i64 = supply.iter().sum();
            *supply.last_mut().unwrap() -= sum;
            let mut net = Network::new();
            for &b in &supply {
                net.add_node(b);
            }
            for a in arcs {
                // Uncapacitated arcs only with non-negative cost (else the
                // problem may be unbounded; tested separately).
                let upper = if a.uncapacitated && a.cost >= 0 { INF } else { a.lower + a.width };
                net.add_arc(NodeId(a.from as u32), NodeId(a.to as u32), a.lower, upper, a.cost);
            }
            net
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn matches_reference(net in network_strategy()) {
        let expected = reference(&net, 1000);
        match solve_checked(&net) {
            Ok(sol) => prop_assert_eq!(Some(sol.cost), expected, "solution {:?}", sol),
            Err(FlowError::Infeasible { .. }) => prop_assert_eq!(expected, None),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}

/// Column generation: hold back the capacitated arcs without a lower bound
/// at odd positions; `more` hands back those with a negative reduced cost.
/// The optimum (or infeasibility) must be that of the whole network.
fn solve_by_columns(net: &Network) -> Result<(Network, FlowSolution), FlowError> {
    let mut start = Network::new();
    for v in 0..net.node_count() {
        start.add_node(net.supply(NodeId(v as u32)));
    }
    let mut held = Vec::new();
    let mut cost_bound = 0;
    for a in 0..net.arc_count() {
        let id = ArcId(a as u32);
        let (from, to, lo, hi, cost) =
            (net.arc_from(id), net.arc_to(id), net.arc_lower(id), net.arc_upper(id), net.arc_cost(id));
        cost_bound = cost_bound.max(cost.abs());
        if a % 2 == 1 && lo == 0 && hi != INF {
            held.push(Some(NewArc { from, to, upper: hi, cost }));
        } else {
            start.add_arc(from, to, lo, hi, cost);
        }
    }
    let mut more = |pi: &[i64]| -> Vec<NewArc> {
        let mut out = Vec::new();
        for h in held.iter_mut() {
            if let Some(a) = *h {
                if a.cost + pi[a.from.0 as usize] - pi[a.to.0 as usize] < 0 {
                    out.push(a);
                    *h = None;
                }
            }
        }
        out
    };
    let sol = start.solve_adding(cost_bound, &mut more)?;
    Ok((start, sol))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn column_generation_matches_reference(net in network_strategy()) {
        let expected = reference(&net, 1000);
        match solve_by_columns(&net) {
            Ok((grown, sol)) => {
                prop_assert!(verify(&grown, &sol).is_ok(), "{:?}", verify(&grown, &sol));
                prop_assert_eq!(Some(sol.cost), expected, "solution {:?}", sol);
            }
            Err(FlowError::Infeasible { .. }) => prop_assert_eq!(expected, None),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}

/// `net` with the cost of every odd arc multiplied by `k`.
fn scaled_odd_costs(net: &Network, k: i64) -> Network {
    let mut out = net.clone();
    for a in (1..net.arc_count()).step_by(2) {
        let id = ArcId(a as u32);
        out.set_cost(id, net.arc_cost(id) * k);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Costs beyond `i32` (the simplex then keeps its costs as `i64`): the
    /// odd arcs' costs scaled so that those of 8 and more do not fit, solved
    /// whole and by columns (where the odd arcs are the ones held back, so a
    /// start that fits `i32` widens when they come in).
    #[test]
    fn wide_costs_match_reference(net in network_strategy()) {
        let wide = scaled_odd_costs(&net, 1 << 28);
        let expected = reference(&wide, 1000);
        let whole = solve_checked(&wide).map(|s| s.cost);
        let by_columns = solve_by_columns(&wide).map(|(grown, sol)| {
            assert!(verify(&grown, &sol).is_ok(), "{:?}", verify(&grown, &sol));
            sol.cost
        });
        for got in [whole, by_columns] {
            match got {
                Ok(cost) => prop_assert_eq!(Some(cost), expected),
                Err(FlowError::Infeasible { .. }) => prop_assert_eq!(expected, None),
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
        }
    }
}

#[test]
fn column_generation_on_placements_is_optimal() {
    for seed in 0..20 {
        let (net, _) = placement(60, 12, 6, seed);
        let full = net.solve().unwrap();
        let (grown, sol) = solve_by_columns(&net).unwrap();
        verify(&grown, &sol).unwrap();
        assert_eq!(sol.cost, full.cost, "seed {seed}");
    }
}

#[test]
fn added_arcs_are_checked() {
    let mut net = Network::new();
    let (a, b) = (net.add_node(1), net.add_node(-1));
    net.add_arc(a, b, 0, 1, 5);
    let mut bad = |_: &[i64]| vec![NewArc { from: a, to: b, upper: 1, cost: -9 }];
    assert!(matches!(net.clone().solve_adding(5, &mut bad), Err(FlowError::InvalidInput(_))));
    let mut out_of_range = |_: &[i64]| vec![NewArc { from: a, to: NodeId(7), upper: 1, cost: 0 }];
    assert!(matches!(net.clone().solve_adding(5, &mut out_of_range), Err(FlowError::InvalidInput(_))));
    let mut once = true;
    let mut cheaper = |_: &[i64]| {
        if std::mem::take(&mut once) {
            vec![NewArc { from: a, to: b, upper: 1, cost: 2 }]
        } else {
            vec![]
        }
    };
    let sol = net.solve_adding(5, &mut cheaper).unwrap();
    assert_eq!(sol.cost, 2);
    assert_eq!(sol.flow, vec![0, 1]);
}

/// Placement-shaped network: S -> learner -> group -> workplace -> T plus a
/// bypass, with pseudo-random scores (xorshift, deterministic).
fn placement(learners: usize, groups: usize, per_learner: usize, seed: u64) -> (Network, Vec<ArcId>) {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut rnd = move |k: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % k
    };
    let workplaces = groups.div_ceil(2);
    let mut net = Network::new();
    let s = net.add_node(learners as i64);
    let t = net.add_node(-(learners as i64));
    let ln: Vec<NodeId> = (0..learners).map(|_| net.add_node(0)).collect();
    let gn: Vec<NodeId> = (0..groups).map(|_| net.add_node(0)).collect();
    let wn: Vec<NodeId> = (0..workplaces).map(|_| net.add_node(0)).collect();
    let mut cand = Vec::new();
    for &l in &ln {
        net.add_arc(s, l, 0, 1, 0);
        for _ in 0..per_learner {
            let g = gn[rnd(groups as u64) as usize];
            let score = rnd(100_000_001) as i64;
            cand.push(net.add_arc(l, g, 0, 1, -score));
        }
    }
    for (i, &g) in gn.iter().enumerate() {
        net.add_arc(g, wn[i / 2], 0, 1 + rnd(3) as i64, 0);
    }
    for &w in &wn {
        let cap = if rnd(3) == 0 { INF } else { 1 + rnd(4) as i64 };
        net.add_arc(w, t, 0, cap, 0);
    }
    net.add_arc(s, t, 0, learners as i64, 0);
    (net, cand)
}

#[test]
fn placement_matches_reference() {
    for seed in 0..4 {
        let (net, _) = placement(40, 25, 5, seed);
        let sol = solve_checked(&net).unwrap();
        assert_eq!(Some(sol.cost), reference(&net, 1000));
    }
}

#[test]
fn larger_placement_is_optimal_and_deterministic() {
    let (net, cand) = placement(3000, 1500, 15, 7);
    let sol = solve_checked(&net).unwrap();
    assert!(cand.iter().any(|&a| sol.flow(a) == 1));
    assert!(sol.cost < 0);
}

#[test]
fn pinned_placements_and_resolve() {
    let (mut net, cand) = placement(200, 100, 6, 3);
    let free = solve_checked(&net).unwrap();
    // Pin some arcs that the free optimum does not use.
    let pins: Vec<ArcId> = cand.iter().copied().filter(|&a| free.flow(a) == 0).step_by(37).take(5).collect();
    assert!(!pins.is_empty());
    for &a in &pins {
        net.set_bounds(a, 1, 1);
    }
    match solve_checked(&net) {
        Ok(sol) => {
            assert!(pins.iter().all(|&a| sol.flow(a) == 1));
            assert!(sol.cost >= free.cost);
            assert_eq!(Some(sol.cost), reference(&net, 1000));
        }
        Err(FlowError::Infeasible { .. }) => assert_eq!(reference(&net, 1000), None),
        Err(e) => panic!("{e}"),
    }
    for &a in &pins {
        net.set_bounds(a, 0, 1);
    }
    assert_eq!(solve_checked(&net).unwrap(), free);
}

#[test]
fn school_floor_infeasible_certificate() {
    // Two learners, one school node requiring a floor of 3 placements.
    let mut net = Network::new();
    let s = net.add_node(2);
    let t = net.add_node(-2);
    let school = net.add_node(0);
    let l1 = net.add_node(0);
    let l2 = net.add_node(0);
    net.add_arc(s, l1, 0, 1, 0);
    net.add_arc(s, l2, 0, 1, 0);
    net.add_arc(l1, school, 0, 1, -5);
    net.add_arc(l2, school, 0, 1, -3);
    net.add_arc(school, t, 3, INF, 0);
    net.add_arc(s, t, 0, 2, 0);
    match solve_checked(&net) {
        Err(FlowError::Infeasible { excess, .. }) => assert_eq!(excess, 1),
        other => panic!("expected infeasible, got {other:?}"),
    }
    // With a floor of 2 it is feasible and both learners are placed.
    net.set_bounds(ArcId(4), 2, INF);
    let sol = solve_checked(&net).unwrap();
    assert_eq!(sol.cost, -8);
    assert_eq!(sol.flow(ArcId(5)), 0);
}

#[test]
fn invalid_inputs() {
    let mut net = Network::new();
    let a = net.add_node(1);
    let b = net.add_node(0);
    assert!(matches!(net.solve(), Err(FlowError::InvalidInput(_))));
    net.set_supply(b, -1);
    let arc = net.add_arc(a, b, 2, 1, 0);
    assert!(matches!(net.solve(), Err(FlowError::InvalidInput(_))));
    net.set_bounds(arc, 0, 1);
    assert!(net.solve().is_ok());
    net.set_cost(arc, i64::MAX / 2);
    assert!(matches!(net.solve(), Err(FlowError::InvalidInput(_))));
    net.set_cost(arc, 1);
    net.set_bounds(arc, 0, INF);
    net.set_supply(a, MAX_AMOUNT / 2);
    net.set_supply(b, -(MAX_AMOUNT / 2));
    assert!(net.solve().is_ok());
    net.set_bounds(arc, 2, INF);
    assert!(matches!(net.solve(), Err(FlowError::InvalidInput(_))));
}

#[test]
fn unbounded_is_reported() {
    let mut net = Network::new();
    let a = net.add_node(0);
    let b = net.add_node(0);
    net.add_arc(a, b, 0, INF, -1);
    net.add_arc(b, a, 0, INF, 0);
    assert!(matches!(net.solve(), Err(FlowError::InvalidInput(m)) if m.contains("unbounded")));
    // A capacitated negative cycle is fine.
    net.set_bounds(ArcId(1), 0, 3);
    let sol = solve_checked(&net).unwrap();
    assert_eq!(sol.cost, -3);
}

#[test]
fn empty_and_trivial_networks() {
    let sol = solve_checked(&Network::new()).unwrap();
    assert_eq!(sol.cost, 0);
    let mut net = Network::with_capacity(1, 1);
    let v = net.add_node(0);
    net.add_arc(v, v, 0, 5, -2);
    let sol = solve_checked(&net).unwrap();
    assert_eq!(sol.flow, vec![5]);
    assert_eq!(sol.cost, -10);
    assert_eq!(net.node_count(), 1);
    assert_eq!(net.arc_count(), 1);
}

#[test]
fn verify_rejects_wrong_solutions() {
    let (net, _) = placement(30, 20, 4, 1);
    let sol = solve_checked(&net).unwrap();
    let mut bad = sol.clone();
    bad.cost += 1;
    assert!(verify(&net, &bad).is_err());
    let mut bad = sol.clone();
    bad.potential[2] += 1_000_000_000;
    assert!(verify(&net, &bad).is_err());
    let mut bad = sol.clone();
    let last = bad.flow.len() - 1;
    bad.flow[last] += 1;
    assert!(verify(&net, &bad).is_err());
    for a in 0..net.arc_count() {
        let rc = sol.reduced_cost(&net, ArcId(a as u32));
        let x = sol.flow[a];
        assert!(rc >= 0 || x == net.arc_upper(ArcId(a as u32)));
        assert!(rc <= 0 || x == net.arc_lower(ArcId(a as u32)));
    }
}

/// `pivot-stats`: one unit from `s` to `t` over one arc takes exactly one
/// pivot that moves flow (the arc replaces the artificial path); an arc
/// that can carry nothing useful enters, if at all, by degenerate pivots
/// only. The process total grows by each solve's count.
#[cfg(feature = "pivot-stats")]
#[test]
fn pivots_are_counted_degenerate_or_not() {
    use super::stats;
    let mut net = Network::new();
    let s = net.add_node(1);
    let t = net.add_node(-1);
    net.add_arc(s, t, 0, 1, -1);
    let before = stats::total();
    solve_checked(&net).unwrap();
    assert_eq!(stats::last(), stats::Pivots { total: 1, degenerate: 0 });
    let after = stats::total();
    assert!(after.total > before.total && after.total - before.total >= 1, "{before:?} {after:?}");

    // Flow stays 0 on every arc: any pivot moves nothing.
    let mut net = Network::new();
    let a = net.add_node(0);
    let b = net.add_node(0);
    let c = net.add_node(0);
    net.add_arc(a, b, 0, 3, 2);
    net.add_arc(b, c, 0, 3, 5);
    solve_checked(&net).unwrap();
    let p = stats::last();
    assert_eq!(p.total, p.degenerate, "{p:?}");

    // A placement network pivots, and not every pivot is degenerate.
    let (net, _) = placement(30, 20, 4, 1);
    solve_checked(&net).unwrap();
    let p = stats::last();
    assert!(p.total > p.degenerate && p.degenerate > 0, "{p:?}");
}

proptest! {
    /// `add_fan` builds the same network as one `add_arc` per head.
    #[test]
    fn add_fan_equals_add_arc(heads in prop::collection::vec(0u32..6, 0..20), costs in prop::collection::vec(-50i64..50, 20), pin in prop::option::of(0usize..20)) {
        let pin = pin.filter(|&p| p < heads.len());
        let costs = &costs[..heads.len()];
        let mut fan = Network::new();
        let mut one = Network::new();
        for net in [&mut fan, &mut one] {
            for _ in 0..6 {
                net.add_node(0);
            }
            net.add_arc(NodeId(0), NodeId(1), 0, 3, 7);
        }
        fan.add_fan(NodeId(2), &heads, costs, pin);
        for (k, (&v, &c)) in heads.iter().zip(costs).enumerate() {
            one.add_arc(NodeId(2), NodeId(v), i64::from(pin == Some(k)), INF, c);
        }
        prop_assert_eq!(fan.arc_count(), one.arc_count());
        for a in 0..one.arc_count() {
            let a = ArcId(a as u32);
            prop_assert_eq!(
                (fan.arc_from(a), fan.arc_to(a), fan.arc_lower(a), fan.arc_upper(a), fan.arc_cost(a)),
                (one.arc_from(a), one.arc_to(a), one.arc_lower(a), one.arc_upper(a), one.arc_cost(a))
            );
        }
    }
}
