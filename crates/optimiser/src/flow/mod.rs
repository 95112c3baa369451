//! Exact minimum-cost flow.
//!
//! [`Network`] is a builder for a directed network with node supplies and arcs
//! carrying lower bounds, upper bounds (capacities) and integer costs.
//! [`Network::solve`] computes an optimal integral flow with a primal network
//! simplex method (a port of LEMON's `NetworkSimplex` with block-search
//! pricing, plus a crash basis that hangs zero-supply nodes on real arcs; see
//! `simplex.rs`) and returns it together with optimal node potentials (dual
//! values), or an infeasibility certificate ([`FlowError::Infeasible`]).
//! The solver is single-threaded and deterministic.
//!
//! # Sign conventions
//!
//! * A node's supply is positive when the node produces flow and negative when
//!   it consumes flow; supplies must sum to zero. For every node `v` the
//!   solution satisfies `outflow(v) - inflow(v) = supply(v)`.
//! * The *reduced cost* of an arc `a = (u, v)` is
//!   `cost(a) + potential(u) - potential(v)`. At optimality it is `>= 0` when
//!   `flow(a) < upper(a)` and `<= 0` when `flow(a) > lower(a)` (so it is `0`
//!   when the flow lies strictly between the bounds).
//!   Equivalently, `-potential` is the usual LP dual price of the
//!   conservation constraints `outflow - inflow = supply`.
//!
//! # Example
//!
//! ```
//! use dualmatch_optimiser::flow::{Network, INF};
//!
//! let mut net = Network::new();
//! let s = net.add_node(2);
//! let t = net.add_node(-2);
//! let cheap = net.add_arc(s, t, 0, 1, -5);
//! let dear = net.add_arc(s, t, 0, INF, 3);
//! let sol = net.solve().unwrap();
//! assert_eq!(sol.flow[cheap.0 as usize], 1);
//! assert_eq!(sol.flow[dear.0 as usize], 1);
//! assert_eq!(sol.cost, -2);
//! assert!(dualmatch_optimiser::flow::verify(&net, &sol).is_ok());
//! ```

use std::fmt;

mod simplex;
#[cfg(feature = "pivot-stats")]
pub mod stats;

#[cfg(test)]
mod tests;

/// Index of a node of a [`Network`] (0-based, in order of creation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// Index of an arc of a [`Network`] (0-based, in order of creation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArcId(pub u32);

/// Upper bound meaning "no upper bound" (an uncapacitated arc).
pub const INF: i64 = i64::MAX;

/// The arcs' lower bounds, stored only once some arc has one other than 0
/// (8 bytes an arc saved on the placement networks, where none has).
#[derive(Clone, Debug, Default)]
struct Lower {
    /// Empty while every lower bound is 0; else one entry per arc so far.
    v: Vec<i64>,
}

impl Lower {
    /// The lower bound of arc `a` (0 when none is stored).
    #[inline]
    fn get(&self, a: usize) -> i64 {
        self.v.get(a).copied().unwrap_or(0)
    }

    /// Whether some arc's lower bound is not 0.
    fn any(&self) -> bool {
        !self.v.is_empty()
    }

    /// The stored bounds when some is not 0 (one per arc), else `None`.
    fn stored(&self) -> Option<&[i64]> {
        self.any().then_some(self.v.as_slice())
    }

    /// Grows to `arcs` arcs, the new ones with lower bound 0.
    fn extend(&mut self, arcs: usize) {
        if self.any() {
            self.v.resize(arcs, 0);
        }
    }

    /// Sets arc `a`'s lower bound; `a` may be the next new arc.
    fn set(&mut self, a: usize, lower: i64) {
        if lower == 0 && !self.any() {
            return;
        }
        if self.v.len() <= a {
            self.v.resize(a + 1, 0);
        }
        self.v[a] = lower;
    }
}

/// Largest absolute value accepted for supplies, bounds and their totals.
///
/// The sum of all absolute supplies, absolute lower bounds and finite upper
/// bounds must not exceed this value; every flow value then fits in an `i64`
/// with room to spare.
pub const MAX_AMOUNT: i64 = i64::MAX / 4;

/// A min-cost-flow network under construction.
///
/// Nodes and arcs are addressed by [`NodeId`] and [`ArcId`], the indices in
/// order of creation. The network can be modified (supplies, bounds, costs)
/// and solved again; each [`solve`](Network::solve) starts from scratch and is
/// deterministic.
#[derive(Clone, Debug, Default)]
pub struct Network {
    supply: Vec<i64>,
    from: Vec<u32>,
    to: Vec<u32>,
    lower: Lower,
    upper: Vec<i64>,
    cost: Vec<i64>,
}

impl Network {
    /// Creates an empty network.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates an empty network with room for `nodes` nodes and `arcs` arcs.
    pub fn with_capacity(nodes: usize, arcs: usize) -> Self {
        Network {
            supply: Vec::with_capacity(nodes),
            from: Vec::with_capacity(arcs),
            to: Vec::with_capacity(arcs),
            lower: Lower::default(),
            upper: Vec::with_capacity(arcs),
            cost: Vec::with_capacity(arcs),
        }
    }

    /// Adds a node with the given supply (`> 0` produces flow, `< 0` consumes
    /// flow) and returns its id.
    ///
    /// # Panics
    /// If the network already has `u32::MAX - 1` nodes.
    pub fn add_node(&mut self, supply: i64) -> NodeId {
        let id = u32::try_from(self.supply.len()).ok().filter(|&i| i < u32::MAX - 1).expect("too many nodes");
        self.supply.push(supply);
        NodeId(id)
    }

    /// Sets the supply of `node`.
    ///
    /// # Panics
    /// If `node` does not exist.
    pub fn set_supply(&mut self, node: NodeId, supply: i64) {
        self.supply[node.0 as usize] = supply;
    }

    /// Adds an arc `from -> to` whose flow must lie in `lower..=upper`
    /// (`upper` may be [`INF`]) and costs `cost` per unit; returns its id.
    ///
    /// Bounds are checked by [`solve`](Network::solve), not here.
    ///
    /// # Panics
    /// If `from` or `to` does not exist, or the network already has
    /// `u32::MAX` arcs.
    pub fn add_arc(&mut self, from: NodeId, to: NodeId, lower: i64, upper: i64, cost: i64) -> ArcId {
        let n = self.supply.len();
        assert!((from.0 as usize) < n, "add_arc: unknown node {:?}", from);
        assert!((to.0 as usize) < n, "add_arc: unknown node {:?}", to);
        let id = u32::try_from(self.from.len()).ok().filter(|&i| i < u32::MAX).expect("too many arcs");
        self.from.push(from.0);
        self.to.push(to.0);
        self.lower.set(id as usize, lower);
        self.upper.push(upper);
        self.cost.push(cost);
        ArcId(id)
    }

    /// Adds the arcs `from -> heads[k]` with bounds `[0, INF)` and costs
    /// `costs[k]`, in order, as many [`add_arc`](Network::add_arc) calls
    /// would; the arc `pin` among them (an index into `heads`) gets the
    /// bounds `[1, INF)`.
    ///
    /// # Panics
    /// As [`add_arc`](Network::add_arc), or if `heads` and `costs` differ
    /// in length.
    pub(crate) fn add_fan(&mut self, from: NodeId, heads: &[u32], costs: &[i64], pin: Option<usize>) {
        let (n, k, first) = (self.supply.len(), heads.len(), self.from.len());
        assert_eq!(k, costs.len(), "add_fan: {k} heads but {} costs", costs.len());
        assert!((from.0 as usize) < n, "add_fan: unknown node {:?}", from);
        assert!(heads.iter().all(|&v| (v as usize) < n), "add_fan: unknown head");
        assert!(u32::try_from(first + k).is_ok_and(|i| i < u32::MAX), "too many arcs");
        self.from.extend(std::iter::repeat_n(from.0, k));
        self.to.extend_from_slice(heads);
        self.upper.extend(std::iter::repeat_n(INF, k));
        self.cost.extend_from_slice(costs);
        if let Some(p) = pin {
            self.lower.set(first + p, 1);
        }
        self.lower.extend(first + k);
    }

    /// Changes the bounds of `arc` (for re-solves).
    ///
    /// # Panics
    /// If `arc` does not exist.
    pub fn set_bounds(&mut self, arc: ArcId, lower: i64, upper: i64) {
        let a = arc.0 as usize;
        assert!(a < self.arc_count(), "set_bounds: unknown arc {arc:?}");
        self.lower.set(a, lower);
        self.upper[a] = upper;
    }

    /// Changes the unit cost of `arc` (for re-solves).
    ///
    /// # Panics
    /// If `arc` does not exist.
    pub fn set_cost(&mut self, arc: ArcId, cost: i64) {
        self.cost[arc.0 as usize] = cost;
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.supply.len()
    }

    /// Number of arcs.
    pub fn arc_count(&self) -> usize {
        self.from.len()
    }

    /// Supply of `node`.
    pub fn supply(&self, node: NodeId) -> i64 {
        self.supply[node.0 as usize]
    }

    /// Tail (start node) of `arc`.
    pub fn arc_from(&self, arc: ArcId) -> NodeId {
        NodeId(self.from[arc.0 as usize])
    }

    /// Head (end node) of `arc`.
    pub fn arc_to(&self, arc: ArcId) -> NodeId {
        NodeId(self.to[arc.0 as usize])
    }

    /// Lower bound of `arc`.
    pub fn arc_lower(&self, arc: ArcId) -> i64 {
        assert!((arc.0 as usize) < self.arc_count(), "arc_lower: unknown arc {arc:?}");
        self.lower.get(arc.0 as usize)
    }

    /// Upper bound of `arc` ([`INF`] when uncapacitated).
    pub fn arc_upper(&self, arc: ArcId) -> i64 {
        self.upper[arc.0 as usize]
    }

    /// Unit cost of `arc`.
    pub fn arc_cost(&self, arc: ArcId) -> i64 {
        self.cost[arc.0 as usize]
    }

    /// Computes a minimum-cost flow.
    ///
    /// Returns an optimal flow with optimal potentials, or
    /// [`FlowError::Infeasible`] with a cut certificate when no flow meets
    /// all supplies and bounds, or [`FlowError::InvalidInput`] when the
    /// supplies do not sum to zero, some arc has `lower > upper` or
    /// `lower == INF`, amounts or costs are too large to be handled without
    /// overflow (see [`MAX_AMOUNT`]; `(nodes + 1) * max |cost|` must stay
    /// below `i64::MAX / 16`), or the problem is unbounded (a negative-cost
    /// cycle of uncapacitated arcs).
    ///
    /// The result is a deterministic function of the network.
    pub fn solve(&self) -> Result<FlowSolution, FlowError> {
        simplex::solve(self)
    }

    /// Computes a minimum-cost flow by column generation: solves the network
    /// as it is, then calls `more` with the optimal node potentials; the arcs
    /// it returns (lower bound 0) are added to the network and the simplex
    /// resumes from its current basis, until `more` returns none. When
    /// `more` returns every arc of some larger network that has a negative
    /// reduced cost, the result is optimal for that larger network.
    ///
    /// `cost_bound` must be at least the absolute cost of every arc `more`
    /// returns (it sizes the artificial cost of the big-M start); an added
    /// arc with a larger cost or an endpoint that is not a node is
    /// [`FlowError::InvalidInput`]. Errors are otherwise as for
    /// [`Network::solve`]; on return the network holds the added arcs, with
    /// the next [`ArcId`]s in the order they were returned.
    pub fn solve_adding(
        &mut self,
        cost_bound: i64,
        more: &mut dyn FnMut(&[i64]) -> Vec<NewArc>,
    ) -> Result<FlowSolution, FlowError> {
        simplex::solve_adding(self, cost_bound, more)
    }
}

/// An arc added by [`Network::solve_adding`], with lower bound 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewArc {
    /// Tail.
    pub from: NodeId,
    /// Head.
    pub to: NodeId,
    /// Upper bound (at most [`MAX_AMOUNT`]).
    pub upper: i64,
    /// Cost per unit.
    pub cost: i64,
}

/// An optimal flow with optimal node potentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowSolution {
    /// Total cost `sum over arcs of flow * cost`.
    pub cost: i128,
    /// Flow on each arc, indexed by [`ArcId`].
    pub flow: Vec<i64>,
    /// Potential (dual value) of each node, indexed by [`NodeId`]; see the
    /// [module documentation](self) for the sign convention.
    pub potential: Vec<i64>,
}

impl FlowSolution {
    /// Flow on `arc`.
    pub fn flow(&self, arc: ArcId) -> i64 {
        self.flow[arc.0 as usize]
    }

    /// Potential of `node`.
    pub fn potential(&self, node: NodeId) -> i64 {
        self.potential[node.0 as usize]
    }

    /// Reduced cost `cost + potential(from) - potential(to)` of `arc`.
    ///
    /// It is `>= 0` when the flow is below the upper bound and `<= 0` when
    /// it is above the lower bound.
    pub fn reduced_cost(&self, net: &Network, arc: ArcId) -> i64 {
        let a = arc.0 as usize;
        net.cost[a] + self.potential[net.from[a] as usize] - self.potential[net.to[a] as usize]
    }
}

/// Why [`Network::solve`] found no optimal flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlowError {
    /// No feasible flow exists. Certificate (Hoffman/Gale): for the node set
    /// `X = cut`,
    ///
    /// `excess = supply(X) + sum of lower bounds of arcs entering X
    ///           - sum of upper bounds of arcs leaving X > 0`,
    ///
    /// i.e. the net amount that must leave `X` exceeds the capacity of the
    /// arcs leaving `X` by `excess` (no arc leaving `X` is uncapacitated).
    /// `cut` is sorted and non-empty.
    Infeasible {
        /// The node set `X`.
        cut: Vec<NodeId>,
        /// By how much the required outflow of `X` exceeds its out-capacity
        /// (saturated at `i64::MAX`).
        excess: i64,
    },
    /// Supplies do not sum to zero, some arc has `lower > upper`, amounts or
    /// costs would overflow, or the problem is unbounded.
    InvalidInput(String),
}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowError::Infeasible { cut, excess } => write!(
                f,
                "no feasible flow: a set of {} node(s) must send out {} more unit(s) than its outgoing arcs can carry",
                cut.len(),
                excess
            ),
            FlowError::InvalidInput(msg) => write!(f, "invalid flow network: {msg}"),
        }
    }
}

impl std::error::Error for FlowError {}

/// Computes `excess(X) = supply(X) + lower_in(X) - upper_out(X)` for the node
/// set `cut` (see [`FlowError::Infeasible`]); `None` when an uncapacitated arc
/// leaves `X`.
pub fn cut_excess(net: &Network, cut: &[NodeId]) -> Option<i128> {
    let mut inside = vec![false; net.node_count()];
    for v in cut {
        inside[v.0 as usize] = true;
    }
    let mut total: i128 = cut.iter().map(|v| net.supply[v.0 as usize] as i128).sum();
    for a in 0..net.arc_count() {
        let (u, v) = (inside[net.from[a] as usize], inside[net.to[a] as usize]);
        if u && !v {
            if net.upper[a] == INF {
                return None;
            }
            total -= net.upper[a] as i128;
        } else if !u && v {
            total += net.lower.get(a) as i128;
        }
    }
    Some(total)
}

/// Checks that `sol` is an optimal solution of `net`: array lengths, bounds,
/// flow conservation, the reported cost, and complementary slackness of the
/// flow with the potentials (which, with feasibility, proves optimality).
pub fn verify(net: &Network, sol: &FlowSolution) -> Result<(), String> {
    let (n, m) = (net.node_count(), net.arc_count());
    if sol.flow.len() != m {
        return Err(format!("flow has {} entries, network has {m} arcs", sol.flow.len()));
    }
    if sol.potential.len() != n {
        return Err(format!("potential has {} entries, network has {n} nodes", sol.potential.len()));
    }
    let mut balance: Vec<i128> = net.supply.iter().map(|&b| b as i128).collect();
    let mut cost: i128 = 0;
    for a in 0..m {
        let x = sol.flow[a];
        let (lo, up) = (net.lower.get(a), net.upper[a]);
        if x < lo || (up != INF && x > up) {
            return Err(format!("arc {a}: flow {x} outside bounds [{lo}, {up}]"));
        }
        let (u, v) = (net.from[a] as usize, net.to[a] as usize);
        balance[u] -= x as i128;
        balance[v] += x as i128;
        cost += x as i128 * net.cost[a] as i128;
        let rc = net.cost[a] as i128 + sol.potential[u] as i128 - sol.potential[v] as i128;
        if rc > 0 && x != lo {
            return Err(format!("arc {a}: reduced cost {rc} > 0 but flow {x} > lower {lo}"));
        }
        if rc < 0 && (up == INF || x != up) {
            return Err(format!("arc {a}: reduced cost {rc} < 0 but flow {x} < upper {up}"));
        }
    }
    if let Some(v) = balance.iter().position(|&b| b != 0) {
        return Err(format!("node {v}: flow conservation violated by {}", balance[v]));
    }
    if cost != sol.cost {
        return Err(format!("reported cost {} but flow costs {cost}", sol.cost));
    }
    Ok(())
}
