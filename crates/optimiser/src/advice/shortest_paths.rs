//! Shortest-path trees (Dijkstra on reduced costs) in the residual network.

use super::radix_heap::RadixHeap;
use super::residual::{InArcs, Residual, Slack};
use super::{INF, NONE};

/// What a growing tree reports.
pub(super) trait Visit {
    /// Node `v` is settled at reduced distance `d`; returns the radius.
    fn settle(&mut self, v: u32, d: i64) -> i64;
    /// Learner node `l`, settled at reduced distance `d`, has an arc of cost
    /// `c` (minus the weight) into entry node `e` (a group or its open part).
    /// Forward trees only.
    fn entry(&mut self, _l: u32, _d: i64, _e: u32, _c: i64) {}
    /// Whether node `v`, reached at reduced distance `d`, can still matter.
    fn keep(&self, _v: u32, _d: i64) -> bool {
        true
    }
}

/// A tree with a fixed radius and nothing to record.
pub(super) struct Radius(pub(super) i64);

impl Visit for Radius {
    fn settle(&mut self, _: u32, _: i64) -> i64 {
        self.0
    }
}

/// The label of a node in a shortest-path tree.
#[derive(Clone, Copy)]
struct Label {
    /// Reduced distance (`INF`: not reached).
    dist: i64,
    /// Forward trees: the node before; reverse trees: the node after.
    pred: u32,
    /// Settled.
    done: bool,
}

const UNREACHED: Label = Label { dist: INF, pred: NONE, done: false };

/// Per-thread arrays of a shortest-path tree, reset through `touched`.
pub(super) struct Tree {
    root: u32,
    /// Per node (one cache line for what a relaxation reads and writes).
    label: Vec<Label>,
    touched: Vec<u32>,
    pub(super) settled: u64,
    heap: RadixHeap,
}

impl Tree {
    pub(super) fn new(n: usize) -> Self {
        Tree { root: NONE, label: vec![UNREACHED; n], touched: Vec::new(), settled: 0, heap: RadixHeap::default() }
    }

    /// Whether `v` is settled.
    pub(super) fn done(&self, v: usize) -> bool {
        self.label[v].done
    }

    /// The reduced distance of a settled node.
    pub(super) fn dist(&self, v: usize) -> i64 {
        self.label[v].dist
    }

    /// Dijkstra on reduced costs under `p`, from `root` (or, with `starts`,
    /// from those nodes at those reduced distances, reached from `root`,
    /// which is then not expanded), reporting to `visit` (whose radius stops
    /// the tree at the first node at or beyond it; it may only shrink).
    /// With `in_arcs` it follows arcs backwards (distances to the root).
    /// With `sinks`, `S` and `T` are settled but not expanded. The
    /// tree is a function of the network (the heap is deterministic).
    /// Returns `false`, at once, on an arc of negative reduced cost
    /// (`p` is not feasible); every arc out of (into, reverse) a settled
    /// node is checked. With `near` (the reduced costs under `p`, and a
    /// group), a visit that needs the entries into that group only: the
    /// learners' arcs that reach no node within the radius and enter another
    /// group are skipped unread (they would change nothing; `p` is feasible
    /// on them, as `slack` checked).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn grow(
        &mut self,
        r: &Residual,
        in_arcs: Option<&InArcs>,
        p: &[i64],
        root: u32,
        starts: &[(u32, i64)],
        sinks: bool,
        near: Option<(&Slack, usize)>,
        visit: &mut impl Visit,
    ) -> bool {
        for &v in &self.touched {
            self.label[v as usize] = UNREACHED;
        }
        self.touched.clear();
        self.heap.clear();
        self.settled = 0;
        self.root = root;
        self.label[root as usize].dist = 0;
        self.touched.push(root);
        if starts.is_empty() {
            self.heap.push(0, root);
        } else {
            self.label[root as usize].done = true;
            for &(v, d) in starts {
                let lv = &mut self.label[v as usize];
                if d < lv.dist {
                    if lv.dist == INF {
                        self.touched.push(v);
                    }
                    *lv = Label { dist: d, pred: root, done: false };
                    self.heap.push(d, v);
                }
            }
        }
        let mut radius = INF;
        while let Some((d, u)) = self.heap.pop() {
            let lu = &mut self.label[u as usize];
            if lu.done || d > lu.dist {
                continue;
            }
            if d >= radius {
                break;
            }
            lu.done = true;
            self.settled += 1;
            radius = visit.settle(u, d);
            if sinks && u <= 1 {
                continue;
            }
            let pu = p[u as usize];
            let learner = (r.l0..r.g0).contains(&u);
            let (label, touched, heap) = (&mut self.label, &mut self.touched, &mut self.heap);
            let mut negative = false;
            // `keep` is asked only of nodes the relaxation would improve.
            let mut relax = |v: u32, rc: i64, keep: &dyn Fn(u32, i64) -> bool| {
                if rc < 0 {
                    // The potentials are not feasible: the tree is abandoned.
                    negative = true;
                    return;
                }
                let nd = d + rc;
                let lv = &mut label[v as usize];
                // Beyond the radius (which only shrinks) it would never be
                // settled.
                if nd < lv.dist && nd < radius && keep(v, nd) {
                    if lv.dist == INF {
                        touched.push(v);
                    }
                    lv.dist = nd;
                    lv.pred = u;
                    heap.push(nd, v);
                }
            };
            match in_arcs {
                None => {
                    let out = |v: u32, c: i64| {
                        if learner && (r.g0..r.w0).contains(&v) {
                            visit.entry(u, d, v, c);
                        }
                        relax(v, c + pu - p[v as usize], &|v, nd| visit.keep(v, nd));
                    };
                    match near {
                        Some((slack, g)) => r.for_each_out_near(u, slack, radius - d, g, out),
                        None => r.for_each_out(u, out),
                    }
                }
                Some(in_arcs) => r.for_each_in(in_arcs, u, |v, c| relax(v, c + p[v as usize] - pu, &|_, _| true)),
            }
            if negative {
                return false;
            }
        }
        true
    }

    /// The tree path between the root and `v`: for a forward tree from the
    /// root to `v`, for a reverse tree from `v` to the root.
    pub(super) fn path(&self, v: u32) -> Vec<u32> {
        let mut path = vec![v];
        let mut x = v;
        while x != self.root {
            x = self.label[x as usize].pred;
            path.push(x);
        }
        path
    }

    /// The forward tree path from the root to `v`, root first.
    pub(super) fn path_from_root(&self, v: u32) -> Vec<u32> {
        let mut path = self.path(v);
        path.reverse();
        path
    }
}
