//! Primal network simplex for [`Network::solve`].
//!
//! This is a port of `NetworkSimplex` from the LEMON graph library
//! (<https://lemon.cs.elte.hu>, `lemon/network_simplex.h`, Copyright (C)
//! 2003-2013 Egervary Jeno Kombinatorikus Optimalizalasi Kutatocsoport (Egervary
//! Research Group on Combinatorial Optimization, EGRES), distributed under the
//! Boost Software License, Version 1.0), restricted to the case of supplies
//! summing to zero and the block-search pivot rule:
//!
//! * non-zero lower bounds are removed by shifting supplies;
//! * an artificial root node is joined to every node by an artificial arc,
//!   giving a strongly feasible initial spanning tree (arcs from supply nodes
//!   to the root cost 0, arcs from the root to demand nodes cost `ART`);
//! * the spanning tree is stored with `parent`, `pred`, `thread`,
//!   `rev_thread`, `succ_num` and `last_succ` arrays;
//! * arcs are stored in a "mixed" order and priced by block search
//!   (block size `sqrt(arcs)`), after LEMON's heuristic initial pivots.
//!
//! Differences from LEMON: `ART` is `(nodes + 1) * max|cost| + 1` rather than
//! `i64::MAX / 2` (this is enough for the big-M argument: any cycle that
//! removes artificial flow uses at most `nodes - 1` real arcs, so it is
//! negative while artificial flow remains and a feasible flow exists), which
//! keeps every potential and reduced cost far away from overflow; and an
//! infeasible problem yields a cut certificate.

use dualmatch_core::csr::Csr;

use super::{FlowError, FlowSolution, Network, NewArc, NodeId, INF, MAX_AMOUNT};
use crate::ints::Ints;
use crate::par::{par_fill, par_vec, CHUNK};

const NONE: u32 = u32::MAX;

const STATE_UPPER: i8 = -1;
const STATE_TREE: i8 = 0;
const STATE_LOWER: i8 = 1;

const DIR_UP: i8 = 1;
const DIR_DOWN: i8 = -1;

/// Solves `net`; see [`Network::solve`].
pub(crate) fn solve(net: &Network) -> Result<FlowSolution, FlowError> {
    solve_with(net, true)
}

/// Solves `net`; `crash` enables the crash basis ([`NetworkSimplex::crash`];
/// without it the method is LEMON's).
pub(crate) fn solve_with(net: &Network, crash: bool) -> Result<FlowSolution, FlowError> {
    use crate::network::{Phase, PHASES};
    let t = std::time::Instant::now();
    let info = validate(net, 0)?;
    if net.node_count() == 0 {
        return Ok(FlowSolution { cost: 0, flow: Vec::new(), potential: Vec::new() });
    }
    let mut ns = NetworkSimplex::new(net, info);
    let t = PHASES.add(Phase::Setup, t);
    ns.start(crash)?;
    ns.run()?;
    let t = PHASES.add(Phase::Pivots, t);
    let sol = ns.finish(net);
    PHASES.add(Phase::Finish, t);
    sol
}

/// Solves `net` by column generation; see [`Network::solve_adding`].
pub(crate) fn solve_adding(
    net: &mut Network,
    cost_bound: i64,
    more: &mut dyn FnMut(&[i64]) -> Vec<NewArc>,
) -> Result<FlowSolution, FlowError> {
    let info = validate(net, cost_bound)?;
    let n = net.node_count();
    if n == 0 {
        return Ok(FlowSolution { cost: 0, flow: Vec::new(), potential: Vec::new() });
    }
    let mut ns = NetworkSimplex::new(net, info);
    ns.start(true)?;
    loop {
        ns.run()?;
        let new = more(&ns.pi[..n]);
        if new.is_empty() {
            break;
        }
        for a in &new {
            if a.from.0 as usize >= n || a.to.0 as usize >= n {
                return Err(FlowError::InvalidInput("an added arc has an endpoint that is not a node".into()));
            }
            if !(0..=MAX_AMOUNT).contains(&a.upper) || a.cost.unsigned_abs() > cost_bound.unsigned_abs() {
                return Err(FlowError::InvalidInput(format!(
                    "an added arc has upper bound {} or cost {} outside 0..={MAX_AMOUNT} and the cost bound {cost_bound}",
                    a.upper, a.cost
                )));
            }
            net.add_arc(a.from, a.to, 0, a.upper, a.cost);
        }
        ns.add_arcs(&new);
    }
    ns.finish(net)
}

fn unbounded() -> FlowError {
    FlowError::InvalidInput("unbounded: a negative-cost cycle of uncapacitated arcs".into())
}

/// What [`validate`] found out about a network on the way.
struct Checked {
    /// The artificial cost.
    art: i64,
    /// Whether some arc has a lower bound other than 0.
    lower: bool,
    /// Whether every arc's cost fits an `i32` (for `cost32`).
    cost32: bool,
}

/// Checks the input and returns the artificial cost, large enough for arcs
/// of cost up to `cost_bound` in absolute value added later.
fn validate(net: &Network, cost_bound: i64) -> Result<Checked, FlowError> {
    let invalid = |s: String| Err(FlowError::InvalidInput(s));
    if net.node_count() + net.arc_count() >= u32::MAX as usize {
        return invalid("too many nodes and arcs (their sum must be below 2^32 - 1)".into());
    }
    let total: i128 = net.supply.iter().map(|&b| b as i128).sum();
    if total != 0 {
        return invalid(format!("supplies sum to {total}, not 0"));
    }
    let mut amount: i128 = net.supply.iter().map(|&b| (b as i128).abs()).sum();
    let mut max_cost: i128 = (cost_bound as i128).abs();
    let mut lower = false;
    let (mut min_arc_cost, mut max_arc_cost) = (0i64, 0i64);
    for a in 0..net.arc_count() {
        let (lo, up) = (net.lower.get(a), net.upper[a]);
        lower |= lo != 0;
        min_arc_cost = min_arc_cost.min(net.cost[a]);
        max_arc_cost = max_arc_cost.max(net.cost[a]);
        if lo == INF {
            return invalid(format!("arc {a}: lower bound is INF"));
        }
        if lo > up {
            return invalid(format!("arc {a}: lower bound {lo} > upper bound {up}"));
        }
        amount += (lo as i128).abs();
        if up != INF {
            amount += (up as i128).abs();
        }
    }
    max_cost = max_cost.max((min_arc_cost as i128).abs()).max(max_arc_cost as i128);
    if amount > MAX_AMOUNT as i128 {
        return invalid(format!("supplies and bounds too large (total {amount} > {MAX_AMOUNT})"));
    }
    let art = (net.node_count() as i128 + 1) * max_cost + 1;
    if art > (i64::MAX / 16) as i128 {
        return invalid(format!("costs too large: (nodes + 1) * max |cost| = {} exceeds {}", art - 1, i64::MAX / 16));
    }
    let cost32 = i32::try_from(min_arc_cost).is_ok() && i32::try_from(max_arc_cost).is_ok();
    Ok(Checked { art: art as i64, lower, cost32 })
}

/// LEMON's "arc mixing": the arc of original index `a` is stored at
/// internal index `i`, where the original order fills the columns of a
/// matrix with `skip` columns (column by column) and the internal order reads
/// it row by row, so that consecutive internal arcs come from far-apart parts
/// of the network. The permutation is applied row by row: the writes are in
/// order and the reads, one per column, stay in `skip` cache lines for many
/// rows.
struct ArcMix {
    m: usize,
    /// Number of columns (`max(arcs / nodes, 3)`), or 0 for the identity.
    skip: usize,
}

impl ArcMix {
    fn new(n: usize, m: usize) -> Self {
        let skip = if n > 1 { (m / n).max(3) } else { 0 };
        ArcMix { m, skip }
    }

    /// The matrix: rows `q` full rows, then `r` columns with one more arc;
    /// and the original index of each column's first arc.
    fn columns(&self) -> (usize, usize, Vec<usize>) {
        let (m, skip) = (self.m, self.skip);
        let (q, r) = (m / skip, m % skip);
        // Column j holds q + 1 arcs if j < r, else q.
        (q, r, (0..skip).map(|j| j * q + j.min(r)).collect())
    }

    /// `f(a)` for every original arc `a`, in internal order, in a new vector
    /// of `len` (at least the number of arcs) entries, those after the arcs
    /// 0, written by every core a chunk at a time straight into the vector
    /// ([`par_vec`]). A large network's arrays are first touched here, and
    /// on this project's machines first touching memory costs more than
    /// filling it (issue 16).
    fn par_gather<T: Copy + Send + Default>(&self, len: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
        self.par_gather_by(len, CHUNK, f)
    }

    /// [`Self::par_gather`] with chunks of `chunk` entries.
    fn par_gather_by<T: Copy + Send + Default>(
        &self,
        len: usize,
        chunk: usize,
        f: impl Fn(usize) -> T + Sync,
    ) -> Vec<T> {
        let m = self.m;
        if self.skip == 0 {
            return par_vec(len, chunk, |_| (), |_, i| if i < m { f(i) } else { T::default() });
        }
        // Internal index i holds original arc base[i % skip] + i / skip: the
        // state is (i / skip, i % skip), walked forward.
        let (_, _, base) = self.columns();
        let skip = self.skip;
        par_vec(
            len,
            chunk,
            |first| (first / skip, first % skip),
            |(k, j), i| {
                if i >= m {
                    return T::default();
                }
                let x = f(base[*j] + *k);
                *j += 1;
                if *j == skip {
                    *j = 0;
                    *k += 1;
                }
                x
            },
        )
    }

    /// The column of original arc `a` and its row in it.
    fn column_of(&self, a: usize) -> (usize, usize) {
        let (q, r) = (self.m / self.skip, self.m % self.skip);
        // Columns j < r hold q + 1 arcs, the others q.
        let j = if a < r * (q + 1) { a / (q + 1) } else { r + (a - r * (q + 1)) / q };
        (j, a - (j * q + j.min(r)))
    }

    /// `f(i, a)` for every original arc `a` stored at internal index `i`, in
    /// original order, in a new vector of `len` entries (at least the number
    /// of arcs); an entry `a` after the arcs is `f(a, a)` (arcs added after
    /// the start keep their index). Written by every core a chunk at a time
    /// straight into the vector ([`par_vec`]): the undoing of
    /// [`Self::par_gather`].
    fn par_ungather<T: Send>(&self, len: usize, chunk: usize, f: impl Fn(usize, usize) -> T + Sync) -> Vec<T> {
        let (m, skip) = (self.m, self.skip);
        if skip == 0 {
            return par_vec(len, chunk, |_| (), |_, a| f(a, a));
        }
        let (q, r) = (m / skip, m % skip);
        par_vec(
            len,
            chunk,
            |first| if first < m { self.column_of(first) } else { (skip, 0) },
            |(j, k), a| {
                if a >= m {
                    return f(a, a);
                }
                let x = f(*k * skip + *j, a);
                *k += 1;
                if *k == q + usize::from(*j < r) {
                    *j += 1;
                    *k = 0;
                }
                x
            },
        )
    }

    /// `out[a] = f(i)` for every original arc `a` at internal index `i`.
    #[cfg(test)]
    fn scatter<T>(&self, out: &mut [T], f: impl Fn(usize) -> T) {
        if self.skip == 0 {
            out[..self.m].iter_mut().enumerate().for_each(|(i, x)| *x = f(i));
            return;
        }
        let (q, r, base) = self.columns();
        let skip = self.skip;
        for k in 0..q {
            for (j, &b) in base.iter().enumerate() {
                out[b + k] = f(k * skip + j);
            }
        }
        for (j, &b) in base[..r].iter().enumerate() {
            out[b + q] = f(q * skip + j);
        }
    }
}

/// The pricing loop of block search over the arcs `lo..hi`, for `i64` or
/// (when all real costs fit, to save memory bandwidth) `i32` costs.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn scan_arcs<C: Copy + Into<i64>>(
    source: &[u32],
    target: &[u32],
    cost: &[C],
    state: &[i8],
    pi: &[i64],
    lo: usize,
    hi: usize,
    min: &mut i64,
    arg: &mut usize,
) {
    let mut best = *min;
    let mut best_arc = *arg;
    let arcs = source[lo..hi].iter().zip(&target[lo..hi]).zip(&cost[lo..hi]).zip(&state[lo..hi]);
    for (k, (((&u, &v), &c), &st)) in arcs.enumerate() {
        // SAFETY: every arc endpoint is a node index < node_num + 1 =
        // pi.len() (established in `new`, never changed).
        let (pu, pv) = unsafe { (*pi.get_unchecked(u as usize), *pi.get_unchecked(v as usize)) };
        let r = st as i64 * (c.into() + pu - pv);
        if r < best {
            best = r;
            best_arc = lo + k;
        }
    }
    *min = best;
    *arg = best_arc;
}

/// The costs of the simplex's arcs: the real arcs' in internal order (as
/// `i32` when every one fits, [`Ints`]), then the artificial arcs', one per
/// node, after them.
struct Costs {
    real: Ints,
    art: Vec<i64>,
}

impl Costs {
    /// The number of real arcs.
    fn real_len(&self) -> usize {
        self.real.len()
    }

    /// The cost of arc `j` (internal order; artificial arcs after the real ones).
    #[inline]
    fn at(&self, j: usize) -> i64 {
        match &self.real {
            Ints::Wide(c) if j < c.len() => c[j],
            Ints::Narrow(c) if j < c.len() => i64::from(c[j]),
            _ => self.art[j - self.real_len()],
        }
    }

    /// Appends the costs of added real arcs (widening every cost to `i64`
    /// if some added one does not fit an `i32`).
    fn append_real(&mut self, new: &[NewArc]) {
        if let Ints::Narrow(c) = &self.real {
            if !new.iter().all(|a| i32::try_from(a.cost).is_ok()) {
                self.real = Ints::Wide(c.iter().map(|&x| i64::from(x)).collect());
            }
        }
        match &mut self.real {
            Ints::Wide(c) => c.extend(new.iter().map(|a| a.cost)),
            Ints::Narrow(c) => c.extend(new.iter().map(|a| a.cost as i32)),
        }
    }
}

struct NetworkSimplex {
    node_num: usize,
    arc_num: usize,
    /// Internal order of the arcs.
    mix: ArcMix,

    // Arc data (internal order; artificial arcs at arc_num..arc_num+node_num).
    source: Vec<u32>,
    target: Vec<u32>,
    cost: Costs,
    cap: Vec<i64>,
    flow: Vec<i64>,
    state: Vec<i8>,

    // Node data (node_num + 1 entries, the root last).
    supply: Vec<i64>,
    pi: Vec<i64>,
    parent: Vec<u32>,
    pred: Vec<u32>,
    pred_dir: Vec<i8>,
    thread: Vec<u32>,
    rev_thread: Vec<u32>,
    succ_num: Vec<u32>,
    last_succ: Vec<u32>,
    dirty_revs: Vec<u32>,

    // Pivot data.
    in_arc: usize,
    join: usize,
    u_in: usize,
    v_in: usize,
    u_out: usize,
    delta: i64,
    #[cfg(feature = "pivot-stats")]
    pivots: super::stats::Pivots,
}

impl NetworkSimplex {
    /// Copies the network (mixed arc order, lower bounds removed) and builds
    /// the initial artificial spanning tree (LEMON's `reset` and `init`).
    fn new(net: &Network, info: Checked) -> Self {
        let art = info.art;
        let n = net.node_count();
        let m = net.arc_count();
        let all = m + n;

        let mix = ArcMix::new(n, m);
        let mut source = mix.par_gather(all, |a| net.from[a]);
        let mut target = mix.par_gather(all, |a| net.to[a]);
        let real = match info.cost32 {
            true => Ints::Narrow(mix.par_gather(m, |a| net.cost[a] as i32)),
            false => Ints::Wide(mix.par_gather(m, |a| net.cost[a])),
        };
        let mut art_cost = vec![0i64; n];
        let mut cap = match info.lower {
            true => mix.par_gather(all, |a| if net.upper[a] == INF { INF } else { net.upper[a] - net.lower.get(a) }),
            false => mix.par_gather(all, |a| net.upper[a]),
        };
        let mut supply = Vec::with_capacity(n + 1);
        supply.extend_from_slice(&net.supply);
        supply.push(0);
        if info.lower {
            for a in 0..m {
                let lo = net.lower.get(a);
                if lo != 0 {
                    supply[net.from[a] as usize] -= lo;
                    supply[net.to[a] as usize] += lo;
                }
            }
        }
        // Zeros, written all the same: the pivots would first touch them one
        // page at a time, on one core.
        let mut flow = par_fill(all, 0i64);
        let mut state = par_fill(all, STATE_LOWER);

        let root = n;
        let mut pi = vec![0i64; n + 1];
        let mut parent = vec![root as u32; n + 1];
        let mut pred = vec![0u32; n + 1];
        let mut pred_dir = vec![DIR_UP; n + 1];
        let mut thread = vec![0u32; n + 1];
        let mut rev_thread = vec![0u32; n + 1];
        let mut succ_num = vec![1u32; n + 1];
        let mut last_succ = vec![0u32; n + 1];

        parent[root] = NONE;
        pred[root] = NONE;
        thread[root] = 0;
        rev_thread[0] = root as u32;
        succ_num[root] = (n + 1) as u32;
        last_succ[root] = (root - 1) as u32;
        for u in 0..n {
            let e = m + u;
            pred[u] = e as u32;
            thread[u] = (u + 1) as u32;
            rev_thread[u + 1] = u as u32;
            last_succ[u] = u as u32;
            cap[e] = INF;
            state[e] = STATE_TREE;
            if supply[u] >= 0 {
                pred_dir[u] = DIR_UP;
                pi[u] = 0;
                source[e] = u as u32;
                target[e] = root as u32;
                flow[e] = supply[u];
            } else {
                pred_dir[u] = DIR_DOWN;
                pi[u] = art;
                source[e] = root as u32;
                target[e] = u as u32;
                flow[e] = -supply[u];
                art_cost[u] = art;
            }
        }

        NetworkSimplex {
            node_num: n,
            arc_num: m,
            mix,
            source,
            target,
            cost: Costs { real, art: art_cost },
            cap,
            flow,
            state,
            supply,
            pi,
            parent,
            pred,
            pred_dir,
            thread,
            rev_thread,
            succ_num,
            last_succ,
            dirty_revs: Vec::new(),
            in_arc: 0,
            join: 0,
            u_in: 0,
            v_in: 0,
            u_out: 0,
            delta: 0,
            #[cfg(feature = "pivot-stats")]
            pivots: Default::default(),
        }
    }

    /// LEMON's initial pivots, then (with `crash`) the crash basis.
    fn start(&mut self, crash: bool) -> Result<(), FlowError> {
        if !self.initial_pivots() {
            return Err(unbounded());
        }
        if crash {
            self.crash();
        }
        Ok(())
    }

    /// Pivots until no real arc has a negative reduced cost.
    fn run(&mut self) -> Result<(), FlowError> {
        let block_size = ((self.arc_num as f64).sqrt() as usize).max(10);
        let mut next_arc = 0usize;
        while self.find_entering_arc(&mut next_arc, block_size) {
            if !self.pivot() {
                return Err(unbounded());
            }
        }
        Ok(())
    }

    /// The optimal flow in `net`'s arc order, or the infeasibility
    /// certificate when artificial flow is left over.
    fn finish(mut self, net: &Network) -> Result<FlowSolution, FlowError> {
        #[cfg(feature = "pivot-stats")]
        super::stats::record(self.pivots);
        let (n, m) = (self.node_num, self.arc_num);
        if self.flow[m..m + n].iter().any(|&f| f != 0) {
            return Err(self.infeasibility_certificate(net));
        }
        // The arc arrays the result does not need go before it is allocated
        // (the peak memory of a large solve is here).
        self.source = Vec::new();
        self.target = Vec::new();
        self.cap = Vec::new();
        self.state = Vec::new();
        self.cost.real = Ints::Wide(Vec::new());
        // Arcs added after the start keep their index (and have lower bound
        // 0, as have the arcs after the last one stored).
        let lower = net.lower.stored().unwrap_or(&[]);
        let inner = &self.flow;
        let flow = self.mix.par_ungather(m, CHUNK, |i, a| inner[i] + lower.get(a).copied().unwrap_or(0));
        let cost: i128 = flow.iter().zip(&net.cost).map(|(&x, &c)| x as i128 * c as i128).sum();
        self.pi.truncate(n);
        Ok(FlowSolution { cost, flow, potential: self.pi })
    }

    /// Adds real arcs at their lower bound 0 (so the current tree and flow
    /// stay a basic feasible solution), after the existing real arcs: the
    /// artificial arcs move up by `new.len()`.
    fn add_arcs(&mut self, new: &[NewArc]) {
        let (m, k) = (self.arc_num, new.len());
        self.source.splice(m..m, new.iter().map(|a| a.from.0));
        self.target.splice(m..m, new.iter().map(|a| a.to.0));
        self.cost.append_real(new);
        self.cap.splice(m..m, new.iter().map(|a| a.upper));
        self.flow.splice(m..m, std::iter::repeat_n(0, k));
        self.state.splice(m..m, std::iter::repeat_n(STATE_LOWER, k));
        for p in &mut self.pred {
            if *p != NONE && *p as usize >= m {
                *p += k as u32;
            }
        }
        self.arc_num += k;
    }

    /// Incoming real arcs of every node (internal indices), in CSR form; for
    /// each node the arcs come in reverse order of creation, as LEMON's
    /// `ListDigraph` lists them.
    fn in_arcs(&self) -> Csr<u32> {
        Csr::from_pairs(
            self.node_num,
            self.target[..self.arc_num].iter().enumerate().map(|(i, &v)| (v as usize, i as u32)),
        )
    }

    /// LEMON's heuristic initial pivots. Returns `false` if unbounded.
    fn initial_pivots(&mut self) -> bool {
        let n = self.node_num;
        let mut total: i64 = 0;
        let mut supply_nodes = Vec::new();
        let mut demand_nodes = Vec::new();
        for u in 0..n {
            let b = self.supply[u];
            if b > 0 {
                total += b;
                supply_nodes.push(u);
            } else if b < 0 {
                demand_nodes.push(u);
            }
        }
        if total <= 0 {
            return true;
        }
        let m = self.arc_num;
        let mut arc_vector: Vec<u32> = Vec::new();
        if supply_nodes.len() == 1 && demand_nodes.len() == 1 {
            // Reverse graph search from the sink to the source, along arcs
            // that can carry the total supply.
            let (s, t) = (supply_nodes[0], demand_nodes[0]);
            let wide: Vec<u32> = (0..m as u32).filter(|&j| self.cap[j as usize] >= total).collect();
            let into = Csr::from_pairs(n, wide.iter().map(|&j| (self.target[j as usize] as usize, j)));
            let mut reached = vec![false; n];
            let mut stack = vec![t];
            reached[t] = true;
            while let Some(v) = stack.pop() {
                if v == s {
                    break;
                }
                for &j in into.row(v) {
                    let u = self.source[j as usize] as usize;
                    if !reached[u] {
                        arc_vector.push(j);
                        reached[u] = true;
                        stack.push(u);
                    }
                }
            }
        } else {
            // The min. cost incoming arc of each demand node.
            let mut best = vec![NONE; n];
            for j in 0..m {
                let v = self.target[j] as usize;
                if self.supply[v] < 0 && (best[v] == NONE || self.cost.at(j) < self.cost.at(best[v] as usize)) {
                    best[v] = j as u32;
                }
            }
            arc_vector.extend(demand_nodes.iter().map(|&v| best[v]).filter(|&j| j != NONE));
        }

        for &j in &arc_vector {
            let j = j as usize;
            let rc = self.state[j] as i64
                * (self.cost.at(j) + self.pi[self.source[j] as usize] - self.pi[self.target[j] as usize]);
            if rc >= 0 {
                continue;
            }
            self.in_arc = j;
            if !self.pivot() {
                return false;
            }
        }
        true
    }

    /// Crash basis: re-hangs the nodes that still hang from the root by an
    /// artificial arc without flow (and have no subtree) on real arcs, layer
    /// by layer away from the rest of the tree.
    ///
    /// A free node `u` is attached below an already attached node `p` by an
    /// arc `u -> p` with flow 0 (pointing towards the root, so the tree stays
    /// strongly feasible); among the arcs into the current layer, the one
    /// giving `u` the largest potential is chosen (first one on ties). The
    /// artificial arc of `u` leaves the basis at flow 0. On placement
    /// networks this hangs workplaces below T, groups below workplaces and
    /// every learner below its best group, so the first pivots place learners.
    fn crash(&mut self) {
        const FREE: u8 = u8::MAX;
        const MAX_ROUNDS: u8 = 8;
        let n = self.node_num;
        let m = self.arc_num;
        let root = n;
        // Round in which a node was attached (0 = before the crash).
        let mut level = vec![0u8; n];
        let mut any_free = false;
        for (u, lev) in level.iter_mut().enumerate() {
            let e = self.pred[u] as usize;
            if self.parent[u] as usize == root && e >= m && self.flow[e] == 0 && self.succ_num[u] == 1 {
                *lev = FREE;
                any_free = true;
            }
        }
        if !any_free {
            return;
        }
        let mut best_val = vec![0i64; n];
        let mut best_arc = vec![NONE; n];
        let mut next = Vec::new();
        let mut attached = false;
        for round in 1..=MAX_ROUNDS {
            next.clear();
            let prev = round - 1;
            for j in 0..m {
                let v = self.target[j] as usize;
                if level[v] != prev {
                    continue;
                }
                let u = self.source[j] as usize;
                if level[u] != FREE || self.cap[j] == 0 {
                    continue;
                }
                let val = self.pi[v] - self.cost.at(j);
                if best_arc[u] == NONE {
                    next.push(u as u32);
                } else if val <= best_val[u] {
                    continue;
                }
                best_val[u] = val;
                best_arc[u] = j as u32;
            }
            if next.is_empty() {
                break;
            }
            for &u in &next {
                let u = u as usize;
                let j = best_arc[u] as usize;
                let art = self.pred[u] as usize;
                level[u] = round;
                self.state[art] = STATE_LOWER;
                self.state[j] = STATE_TREE;
                self.parent[u] = self.target[j];
                self.pred[u] = j as u32;
                self.pred_dir[u] = DIR_UP;
                self.pi[u] = best_val[u];
            }
            attached = true;
        }
        if attached {
            self.rebuild_tree();
        }
    }

    /// Recomputes `thread`, `rev_thread`, `succ_num`, `last_succ` and `pi`
    /// from `parent`, `pred` and `pred_dir` (preorder from the root,
    /// children in increasing index order).
    fn rebuild_tree(&mut self) {
        let n = self.node_num;
        let root = n;
        let child = Csr::from_pairs(n + 1, (0..n).map(|u| (self.parent[u] as usize, u as u32)));
        // Iterative preorder.
        let mut order: Vec<u32> = Vec::with_capacity(n + 1);
        let mut stack: Vec<u32> = vec![root as u32];
        while let Some(u) = stack.pop() {
            let u = u as usize;
            order.push(u as u32);
            if u != root {
                let p = self.parent[u] as usize;
                let j = self.pred[u] as usize;
                self.pi[u] = if self.pred_dir[u] == DIR_UP {
                    self.pi[p] - self.cost.at(j)
                } else {
                    self.pi[p] + self.cost.at(j)
                };
            }
            // Push children in reverse so they are visited in increasing order.
            for &c in child.row(u).iter().rev() {
                stack.push(c);
            }
        }
        debug_assert_eq!(order.len(), n + 1);
        for k in 0..=n {
            let u = order[k] as usize;
            let next = order[(k + 1) % (n + 1)];
            self.thread[u] = next;
            self.rev_thread[next as usize] = u as u32;
        }
        // Subtree sizes and last successors, children before parents.
        for &u in &order {
            self.succ_num[u as usize] = 1;
            self.last_succ[u as usize] = u;
        }
        for &u in order.iter().rev() {
            let u = u as usize;
            if u == root {
                continue;
            }
            let p = self.parent[u] as usize;
            self.succ_num[p] += self.succ_num[u];
        }
        // last_succ(u) = the node preceding the thread successor of u's subtree,
        // i.e. order[index(u) + succ_num(u) - 1].
        for (k, &u) in order.iter().enumerate() {
            let u = u as usize;
            self.last_succ[u] = order[k + self.succ_num[u] as usize - 1];
        }
    }

    /// Block-search pricing: finds an entering arc (LEMON's
    /// `BlockSearchPivotRule::findEnteringArc`): arcs are scanned cyclically
    /// from `next_arc` in blocks of `block_size`; the most negative reduced
    /// cost (first one on ties) of the first block containing a negative one
    /// enters. `next_arc` becomes the last arc scanned.
    fn find_entering_arc(&mut self, next_arc: &mut usize, block_size: usize) -> bool {
        let m = self.arc_num;
        let start = *next_arc;
        let mut min: i64 = 0;
        let mut arg = 0usize;
        let mut cnt = block_size;
        for (lo, hi) in [(start, m), (0, start)] {
            let mut e = lo;
            while e < hi {
                let end = hi.min(e + cnt);
                self.scan(e, end, &mut min, &mut arg);
                cnt -= end - e;
                e = end;
                if cnt == 0 {
                    if min < 0 {
                        *next_arc = e - 1;
                        self.in_arc = arg;
                        return true;
                    }
                    cnt = block_size;
                }
            }
        }
        if min < 0 {
            self.in_arc = arg;
            return true;
        }
        false
    }

    /// Lowers `min` to the smallest `state * reduced cost` of the arcs
    /// `lo..hi` (`arg` = the first arc attaining it).
    #[inline(always)]
    fn scan(&self, lo: usize, hi: usize, min: &mut i64, arg: &mut usize) {
        match &self.cost.real {
            Ints::Wide(c) => scan_arcs(&self.source, &self.target, c, &self.state, &self.pi, lo, hi, min, arg),
            Ints::Narrow(c) => scan_arcs(&self.source, &self.target, c, &self.state, &self.pi, lo, hi, min, arg),
        }
    }

    /// One pivot on `self.in_arc`. Returns `false` if the cycle has infinite
    /// capacity (unbounded problem).
    fn pivot(&mut self) -> bool {
        self.find_join_node();
        let change = self.find_leaving_arc();
        if self.delta == INF {
            return false;
        }
        #[cfg(feature = "pivot-stats")]
        self.pivots.count(self.delta);
        self.change_flow(change);
        if change {
            self.update_tree_structure();
            self.update_potential();
        }
        true
    }

    fn find_join_node(&mut self) {
        let mut u = self.source[self.in_arc] as usize;
        let mut v = self.target[self.in_arc] as usize;
        while u != v {
            if self.succ_num[u] < self.succ_num[v] {
                u = self.parent[u] as usize;
            } else {
                v = self.parent[v] as usize;
            }
        }
        self.join = u;
    }

    /// Finds the leaving arc of the cycle; returns `true` if it is not the
    /// entering arc.
    fn find_leaving_arc(&mut self) -> bool {
        let in_arc = self.in_arc;
        let (first, second) = if self.state[in_arc] == STATE_LOWER {
            (self.source[in_arc] as usize, self.target[in_arc] as usize)
        } else {
            (self.target[in_arc] as usize, self.source[in_arc] as usize)
        };
        let join = self.join;
        let mut delta = self.cap[in_arc];
        let mut result = 0;
        let mut u_out = self.u_out;

        let mut u = first;
        while u != join {
            let e = self.pred[u] as usize;
            let mut d = self.flow[e];
            if self.pred_dir[u] == DIR_DOWN {
                let c = self.cap[e];
                d = if c == INF { INF } else { c - d };
            }
            if d < delta {
                delta = d;
                u_out = u;
                result = 1;
            }
            u = self.parent[u] as usize;
        }
        let mut u = second;
        while u != join {
            let e = self.pred[u] as usize;
            let mut d = self.flow[e];
            if self.pred_dir[u] == DIR_UP {
                let c = self.cap[e];
                d = if c == INF { INF } else { c - d };
            }
            if d <= delta {
                delta = d;
                u_out = u;
                result = 2;
            }
            u = self.parent[u] as usize;
        }

        if result == 1 {
            self.u_in = first;
            self.v_in = second;
        } else {
            self.u_in = second;
            self.v_in = first;
        }
        self.u_out = u_out;
        self.delta = delta;
        result != 0
    }

    fn change_flow(&mut self, change: bool) {
        let in_arc = self.in_arc;
        let join = self.join;
        if self.delta > 0 {
            let val = self.state[in_arc] as i64 * self.delta;
            self.flow[in_arc] += val;
            let mut u = self.source[in_arc] as usize;
            while u != join {
                self.flow[self.pred[u] as usize] -= self.pred_dir[u] as i64 * val;
                u = self.parent[u] as usize;
            }
            let mut u = self.target[in_arc] as usize;
            while u != join {
                self.flow[self.pred[u] as usize] += self.pred_dir[u] as i64 * val;
                u = self.parent[u] as usize;
            }
        }
        if change {
            self.state[in_arc] = STATE_TREE;
            let out = self.pred[self.u_out] as usize;
            self.state[out] = if self.flow[out] == 0 { STATE_LOWER } else { STATE_UPPER };
        } else {
            self.state[in_arc] = -self.state[in_arc];
        }
    }

    fn update_tree_structure(&mut self) {
        let (u_in, v_in, u_out, join, in_arc) = (self.u_in, self.v_in, self.u_out, self.join, self.in_arc);
        let old_rev_thread = self.rev_thread[u_out] as usize;
        let old_succ_num = self.succ_num[u_out];
        let old_last_succ = self.last_succ[u_out] as usize;
        let v_out = self.parent[u_out] as usize;

        if u_in == u_out {
            // Update parent, pred, pred_dir.
            self.parent[u_in] = v_in as u32;
            self.pred[u_in] = in_arc as u32;
            self.pred_dir[u_in] = if u_in == self.source[in_arc] as usize { DIR_UP } else { DIR_DOWN };
            // Update thread and rev_thread.
            if self.thread[v_in] as usize != u_out {
                let mut after = self.thread[old_last_succ];
                self.thread[old_rev_thread] = after;
                self.rev_thread[after as usize] = old_rev_thread as u32;
                after = self.thread[v_in];
                self.thread[v_in] = u_out as u32;
                self.rev_thread[u_out] = v_in as u32;
                self.thread[old_last_succ] = after;
                self.rev_thread[after as usize] = old_last_succ as u32;
            }
        } else {
            // Handle the case when old_rev_thread equals v_in (it also means
            // that join and v_out coincide).
            let thread_continue =
                if old_rev_thread == v_in { self.thread[old_last_succ] } else { self.thread[v_in] } as usize;

            // Update thread and parent along the stem nodes (between u_in and
            // u_out, whose parent has to change).
            let mut stem = u_in;
            let mut par_stem = v_in;
            let mut last = self.last_succ[u_in] as usize;
            let mut after = self.thread[last] as usize;
            self.thread[v_in] = u_in as u32;
            self.dirty_revs.clear();
            self.dirty_revs.push(v_in as u32);
            while stem != u_out {
                // Insert the next stem node into the thread list.
                let next_stem = self.parent[stem] as usize;
                self.thread[last] = next_stem as u32;
                self.dirty_revs.push(last as u32);

                // Remove the subtree of stem from the thread list.
                let before = self.rev_thread[stem] as usize;
                self.thread[before] = after as u32;
                self.rev_thread[after] = before as u32;

                // Change the parent node and shift stem nodes.
                self.parent[stem] = par_stem as u32;
                par_stem = stem;
                stem = next_stem;

                // Update last and after.
                last = if self.last_succ[stem] == self.last_succ[par_stem] {
                    self.rev_thread[par_stem]
                } else {
                    self.last_succ[stem]
                } as usize;
                after = self.thread[last] as usize;
            }
            self.parent[u_out] = par_stem as u32;
            self.thread[last] = thread_continue as u32;
            self.rev_thread[thread_continue] = last as u32;
            self.last_succ[u_out] = last as u32;

            // Remove the subtree of u_out from the thread list except for the
            // case when old_rev_thread equals v_in.
            if old_rev_thread != v_in {
                self.thread[old_rev_thread] = after as u32;
                self.rev_thread[after] = old_rev_thread as u32;
            }

            // Update rev_thread using the new thread values.
            for &u in &self.dirty_revs {
                let u = u as usize;
                self.rev_thread[self.thread[u] as usize] = u as u32;
            }

            // Update pred, pred_dir, last_succ and succ_num for the stem nodes
            // from u_out to u_in.
            let mut tmp_sc: u32 = 0;
            let tmp_ls = self.last_succ[u_out];
            let mut u = u_out;
            while u != u_in {
                let p = self.parent[u] as usize;
                self.pred[u] = self.pred[p];
                self.pred_dir[u] = -self.pred_dir[p];
                tmp_sc = tmp_sc.wrapping_add(self.succ_num[u].wrapping_sub(self.succ_num[p]));
                self.succ_num[u] = tmp_sc;
                self.last_succ[p] = tmp_ls;
                u = p;
            }
            self.pred[u_in] = in_arc as u32;
            self.pred_dir[u_in] = if u_in == self.source[in_arc] as usize { DIR_UP } else { DIR_DOWN };
            self.succ_num[u_in] = old_succ_num;
        }

        // Update last_succ from v_in towards the root.
        let up_limit_out = if self.last_succ[join] as usize == v_in { join as u32 } else { NONE };
        let last_succ_out = self.last_succ[u_out];
        let mut u = v_in as u32;
        while u != NONE && self.last_succ[u as usize] as usize == v_in {
            self.last_succ[u as usize] = last_succ_out;
            u = self.parent[u as usize];
        }

        // Update last_succ from v_out towards the root.
        if join != old_rev_thread && v_in != old_rev_thread {
            let mut u = v_out as u32;
            while u != up_limit_out && u != NONE && self.last_succ[u as usize] as usize == old_last_succ {
                self.last_succ[u as usize] = old_rev_thread as u32;
                u = self.parent[u as usize];
            }
        } else if last_succ_out as usize != old_last_succ {
            let mut u = v_out as u32;
            while u != up_limit_out && u != NONE && self.last_succ[u as usize] as usize == old_last_succ {
                self.last_succ[u as usize] = last_succ_out;
                u = self.parent[u as usize];
            }
        }

        // Update succ_num from v_in to join.
        let mut u = v_in;
        while u != join {
            self.succ_num[u] += old_succ_num;
            u = self.parent[u] as usize;
        }
        // Update succ_num from v_out to join.
        let mut u = v_out;
        while u != join {
            self.succ_num[u] -= old_succ_num;
            u = self.parent[u] as usize;
        }
    }

    /// Updates the potentials of the subtree that has been moved.
    fn update_potential(&mut self) {
        let (u_in, v_in) = (self.u_in, self.v_in);
        let sigma = self.pi[v_in] - self.pi[u_in] - self.pred_dir[u_in] as i64 * self.cost.at(self.in_arc);
        let end = self.thread[self.last_succ[u_in] as usize] as usize;
        let mut u = u_in;
        while u != end {
            self.pi[u] += sigma;
            u = self.thread[u] as usize;
        }
    }

    /// Builds the cut certificate of an infeasible problem from the final
    /// (big-M optimal) flow: the nodes reachable in the residual network of
    /// the real arcs from the nodes with unshipped supply.
    fn infeasibility_certificate(&self, net: &Network) -> FlowError {
        let n = self.node_num;
        let m = self.arc_num;
        // Out- and in-arc lists (internal indices).
        let outs = Csr::from_pairs(n, self.source[..m].iter().enumerate().map(|(i, &u)| (u as usize, i as u32)));
        let ins = self.in_arcs();

        let mut reached = vec![false; n];
        let mut stack = Vec::new();
        for (u, r) in reached.iter_mut().enumerate() {
            let e = m + u;
            if self.flow[e] > 0 && self.source[e] as usize == u {
                *r = true;
                stack.push(u);
            }
        }
        while let Some(u) = stack.pop() {
            for &i in outs.row(u) {
                let i = i as usize;
                let v = self.target[i] as usize;
                if !reached[v] && (self.cap[i] == INF || self.flow[i] < self.cap[i]) {
                    reached[v] = true;
                    stack.push(v);
                }
            }
            for &i in ins.row(u) {
                let i = i as usize;
                let v = self.source[i] as usize;
                if !reached[v] && self.flow[i] > 0 {
                    reached[v] = true;
                    stack.push(v);
                }
            }
        }
        let cut: Vec<NodeId> = (0..n).filter(|&v| reached[v]).map(|v| NodeId(v as u32)).collect();
        let excess = super::cut_excess(net, &cut).unwrap_or(0);
        debug_assert!(excess > 0, "infeasibility certificate is not valid");
        FlowError::Infeasible { cut, excess: excess.min(i64::MAX as i128) as i64 }
    }
}

#[cfg(test)]
mod tests {
    use super::ArcMix;
    use proptest::prelude::*;

    /// The internal index of every original arc, straight from the
    /// definition: column `j` holds the original arcs `j·q + min(j, r)`
    /// onwards (`q + 1` of them when `j < r`), and row `k` of column `j` is
    /// internal arc `k·skip + j`.
    fn internal_of(mix: &ArcMix) -> Vec<usize> {
        if mix.skip == 0 {
            return (0..mix.m).collect();
        }
        let (q, r) = (mix.m / mix.skip, mix.m % mix.skip);
        let mut out = vec![usize::MAX; mix.m];
        for j in 0..mix.skip {
            let len = q + usize::from(j < r);
            for k in 0..len {
                out[j * q + j.min(r) + k] = k * mix.skip + j;
            }
        }
        out
    }

    proptest! {
        /// `par_gather` lists the arcs in internal order, whatever its
        /// chunks, and `scatter` and `par_ungather` undo it, against the permutation computed
        /// from its definition.
        #[test]
        fn gather_and_scatter_follow_the_mixing(
            n in 0usize..50,
            m in 0usize..2000,
            extra in 0usize..60,
            chunk in 1usize..300,
        ) {
            let mix = ArcMix::new(n, m);
            let internal = internal_of(&mix);
            let mut sorted = internal.clone();
            sorted.sort_unstable();
            prop_assert_eq!(&sorted, &(0..m).collect::<Vec<_>>());
            let gathered = mix.par_gather_by(m + extra, chunk, |a| a as u32);
            for (a, &i) in internal.iter().enumerate() {
                prop_assert_eq!(gathered[i] as usize, a);
            }
            prop_assert!(gathered[m..].iter().all(|&x| x == 0), "the entries after the arcs are 0");
            prop_assert_eq!(gathered.len(), m + extra);
            let mut back = vec![usize::MAX; m];
            mix.scatter(&mut back, |i| gathered[i] as usize);
            prop_assert_eq!(back, (0..m).collect::<Vec<_>>());
            // The parallel undoing: each original arc with its internal
            // index, and the entries after the arcs at their own.
            let ungathered = mix.par_ungather(m + extra, chunk, |i, a| (i, a));
            prop_assert_eq!(ungathered.len(), m + extra);
            for (a, &(i, a2)) in ungathered.iter().enumerate() {
                prop_assert_eq!(a2, a);
                prop_assert_eq!(i, if a < m { internal[a] } else { a });
            }
        }
    }
}
