//! Potentials for the shortest-path trees: a start from the solver's duals,
//! and the repair where they do not fit the residual network.

use std::collections::VecDeque;

use dualmatch_core::LearnerId;
use rayon::prelude::*;

use super::residual::Residual;
use super::types::AdviceError;
use crate::model::weight;
use crate::network::Solved;

impl Residual<'_, '_> {
    /// Starting potentials from the solver's duals: sites at minus their
    /// capacity dual, groups at their head minus the seat dual, placed
    /// learners tight on their arc, everything else at 0.
    pub(super) fn start_potentials(&self, solved: &Solved) -> Vec<i64> {
        let s = self.m.season;
        let mut p = vec![0i64; self.n as usize];
        if let Some(d) = &solved.duals {
            for w in 0..s.workplaces().len() {
                p[(self.w0 as usize) + w] = -weight(d.capacity[w]);
            }
            for g in 0..s.groups().len() {
                let pg = p[self.head[g] as usize] - weight(d.seat[g]);
                p[self.g0 as usize + g] = pg;
                p[self.o0 as usize + g] = pg;
            }
        }
        for li in 0..s.learners().len() {
            if let Some(a) = self.placed_arc[li] {
                let l = LearnerId::from_index(li);
                let e = self.entry(l, self.m.group_of(a));
                p[self.l0 as usize + li] = self.wt.get(a.index()) + p[e as usize];
            }
        }
        p
    }

    /// The nodes `check` selects that have an arc of negative reduced cost
    /// under `p`, found in parallel.
    pub(super) fn violations(&self, p: &[i64], check: impl Fn(usize) -> bool + Sync) -> Vec<u32> {
        (0..self.n)
            .into_par_iter()
            .filter(|&u| {
                if !check(u as usize) {
                    return false;
                }
                let pu = p[u as usize];
                let mut bad = false;
                self.for_each_out(u, |v, c| bad |= pu + c < p[v as usize]);
                bad
            })
            .collect()
    }

    /// Lowers `p` until every residual arc has a non-negative reduced cost
    /// (FIFO label correcting from the nodes `violated`, which must be all
    /// the nodes with an arc of negative reduced cost). Fails on a negative
    /// cycle.
    pub(super) fn make_feasible(&self, p: &mut [i64], violated: Vec<u32>) -> Result<u64, AdviceError> {
        let n = self.n as usize;
        let mut queued = vec![false; n];
        for &u in &violated {
            queued[u as usize] = true;
        }
        let mut count = vec![0u32; n];
        let mut queue: VecDeque<u32> = violated.into();
        let mut relabels = 0u64;
        let mut heads = Vec::new();
        while let Some(u) = queue.pop_front() {
            queued[u as usize] = false;
            let pu = p[u as usize];
            heads.clear();
            self.for_each_out(u, |v, c| {
                if pu + c < p[v as usize] {
                    heads.push((v, pu + c));
                }
            });
            for &(v, d) in &heads {
                if d < p[v as usize] {
                    p[v as usize] = d;
                    relabels += 1;
                    count[v as usize] += 1;
                    if count[v as usize] as usize > n {
                        return Err(AdviceError::NotOptimal);
                    }
                    if !queued[v as usize] {
                        queued[v as usize] = true;
                        queue.push_back(v);
                    }
                }
            }
        }
        Ok(relabels)
    }
}
