//! The preference reading shared by the preference-based policies, `improve`
//! and the metrics ("the stable reading"; it matches
//! `Instance.stable_lists` of the anchors' `solve.py`).
//!
//! - A learner's list: its explicit `preferences`, restricted to usable arcs
//!   of the model, in that order, when the list is non-empty; otherwise all its
//!   usable arcs by score, highest first (equal scores tie).
//! - A workplace's ranking: its explicit `preferences` when non-empty (it
//!   accepts only the listed learners, in that order); otherwise all learners
//!   with a usable arc to it, by score, highest first (equal scores tie).
//! - A pair is acceptable when it is a usable arc and each side accepts the
//!   other. The learner's list in this reading keeps only acceptable arcs.
//!
//! Ranks come in two kinds. *Weak* ranks keep ties (0-based: the number of
//! strictly better entries for score orders, the list position for explicit
//! lists); they define blocking pairs, envy and rank metrics, and do not
//! depend on any seed. *Strict* ranks break the ties (see [`Ties`]); the
//! policies run on them.

use dualmatch_core::{LearnerId, WorkplaceId};

use super::rng::SplitMix64;
use crate::model::PlacementModel;

/// Marks "not acceptable" in rank arrays.
pub const UNRANKED: u32 = u32::MAX;

/// How equal scores are ordered in the strict ranks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ties {
    /// Single tie-breaking by a seeded lottery: one lottery over learners
    /// (used by every workplace) and one over workplaces (used by every
    /// learner), drawn from independent streams of the seed.
    Lottery(u64),
    /// By external id (string order), as the anchors' reference does.
    ById,
}

/// The stable reading of a model: acceptable lists and both sides' ranks,
/// indexed by model arc (see [`PlacementModel::arcs_of`]).
#[derive(Clone, Debug)]
pub struct Prefs {
    list_start: Vec<u32>,
    list: Vec<u32>,
    /// Per arc: site of the arc.
    site: Vec<WorkplaceId>,
    /// Per arc: learner of the arc.
    learner: Vec<LearnerId>,
    /// Per arc: weak rank in the learner's (acceptable) list, or [`UNRANKED`].
    l_weak: Vec<u32>,
    /// Per arc: strict position in the learner's list, or [`UNRANKED`].
    l_strict: Vec<u32>,
    /// Per arc: weak rank of the learner at the site, or [`UNRANKED`] when the
    /// site does not accept the learner.
    w_weak: Vec<u32>,
    /// Per arc: strict rank of the learner at the site, or [`UNRANKED`].
    w_strict: Vec<u32>,
}

/// Weak ranks (number of strictly greater scores) for entries already sorted
/// by score descending.
fn weak_from_sorted(scores: &[f64]) -> Vec<u32> {
    let mut out = Vec::with_capacity(scores.len());
    for (i, s) in scores.iter().enumerate() {
        if i > 0 && *s == scores[i - 1] {
            let prev = out[i - 1];
            out.push(prev);
        } else {
            out.push(i as u32);
        }
    }
    out
}

/// Ticket of each item for tie-breaking (lower first).
fn tickets(ids: impl Iterator<Item = String>, ties: Ties, stream: u64) -> Vec<u32> {
    let ids: Vec<String> = ids.collect();
    match ties {
        Ties::Lottery(seed) => SplitMix64::stream(seed, stream).lottery(ids.len()),
        Ties::ById => {
            let mut order: Vec<u32> = (0..ids.len() as u32).collect();
            order.sort_by(|a, b| ids[*a as usize].cmp(&ids[*b as usize]).then(a.cmp(b)));
            let mut t = vec![0u32; ids.len()];
            for (pos, &i) in order.iter().enumerate() {
                t[i as usize] = pos as u32;
            }
            t
        }
    }
}

impl Prefs {
    /// Reads the preferences of a model, breaking ties as `ties` says.
    pub fn new(m: &PlacementModel, ties: Ties) -> Prefs {
        let s = m.season;
        let (nl, nw, na) = (m.learner_count(), s.workplaces().len(), m.arc_count());
        let l_ticket = tickets(s.learners().iter().map(|l| l.id.clone()), ties, 1);
        let w_ticket = tickets(s.workplaces().iter().map(|w| w.id.clone()), ties, 2);
        let mut site = Vec::with_capacity(na);
        let mut learner = Vec::with_capacity(na);
        for li in 0..nl {
            let l = LearnerId::from_index(li);
            for a in m.arcs_of(l) {
                site.push(s.group(m.arc_group(a)).workplace);
                learner.push(l);
            }
        }
        // Workplace side.
        let mut arcs_of_site: Vec<Vec<u32>> = vec![Vec::new(); nw];
        for a in 0..na {
            arcs_of_site[site[a].index()].push(a as u32);
        }
        let mut w_weak = vec![UNRANKED; na];
        let mut w_strict = vec![UNRANKED; na];
        let mut pos_of_learner = vec![UNRANKED; nl];
        for wi in 0..nw {
            let w = s.workplace(WorkplaceId::from_index(wi));
            let arcs = &mut arcs_of_site[wi];
            if w.preferences.is_empty() {
                arcs.sort_by(|&a, &b| {
                    m.arc_score(b as usize)
                        .total_cmp(&m.arc_score(a as usize))
                        .then(l_ticket[learner[a as usize].index()].cmp(&l_ticket[learner[b as usize].index()]))
                });
                let scores: Vec<f64> = arcs.iter().map(|&a| m.arc_score(a as usize)).collect();
                let weak = weak_from_sorted(&scores);
                for (k, &a) in arcs.iter().enumerate() {
                    w_weak[a as usize] = weak[k];
                    w_strict[a as usize] = k as u32;
                }
            } else {
                for (k, l) in w.preferences.iter().enumerate() {
                    if pos_of_learner[l.index()] == UNRANKED {
                        pos_of_learner[l.index()] = k as u32;
                    }
                }
                for &a in arcs.iter() {
                    let p = pos_of_learner[learner[a as usize].index()];
                    w_weak[a as usize] = p;
                    w_strict[a as usize] = p;
                }
                for l in &w.preferences {
                    pos_of_learner[l.index()] = UNRANKED;
                }
            }
        }
        // Learner side.
        let mut l_weak = vec![UNRANKED; na];
        let mut l_strict = vec![UNRANKED; na];
        let mut list_start = Vec::with_capacity(nl + 1);
        let mut list = Vec::new();
        list_start.push(0u32);
        for li in 0..nl {
            let l = LearnerId::from_index(li);
            let learner_rec = s.learner(l);
            let arcs = m.arcs_of(l);
            let start = list.len();
            if learner_rec.preferences.is_empty() {
                let mut own: Vec<u32> = arcs.map(|a| a as u32).filter(|&a| w_weak[a as usize] != UNRANKED).collect();
                own.sort_by(|&a, &b| {
                    m.arc_score(b as usize)
                        .total_cmp(&m.arc_score(a as usize))
                        .then(w_ticket[site[a as usize].index()].cmp(&w_ticket[site[b as usize].index()]))
                });
                let scores: Vec<f64> = own.iter().map(|&a| m.arc_score(a as usize)).collect();
                let weak = weak_from_sorted(&scores);
                for (k, &a) in own.iter().enumerate() {
                    l_weak[a as usize] = weak[k];
                }
                list.extend(own);
            } else {
                for w in &learner_rec.preferences {
                    let found = arcs.clone().find(|&a| site[a] == *w);
                    if let Some(a) = found {
                        if w_weak[a] != UNRANKED && l_weak[a] == UNRANKED {
                            l_weak[a] = (list.len() - start) as u32;
                            list.push(a as u32);
                        }
                    }
                }
            }
            for (k, &a) in list[start..].iter().enumerate() {
                l_strict[a as usize] = k as u32;
            }
            list_start.push(list.len() as u32);
        }
        Prefs { list_start, list, site, learner, l_weak, l_strict, w_weak, w_strict }
    }

    /// The acceptable arcs of learner `l`, best first (strict order).
    pub fn list(&self, l: LearnerId) -> &[u32] {
        &self.list[self.list_start[l.index()] as usize..self.list_start[l.index() + 1] as usize]
    }

    /// Whether arc `a` is acceptable to both sides.
    pub fn acceptable(&self, a: usize) -> bool {
        self.l_weak[a] != UNRANKED
    }

    /// The site of arc `a`.
    pub fn site(&self, a: usize) -> WorkplaceId {
        self.site[a]
    }

    /// The learner of arc `a`.
    pub fn learner(&self, a: usize) -> LearnerId {
        self.learner[a]
    }

    /// Weak rank of arc `a` in its learner's list (0 = among the best), or
    /// [`UNRANKED`] when not acceptable.
    pub fn learner_weak(&self, a: usize) -> u32 {
        self.l_weak[a]
    }

    /// Strict position of arc `a` in its learner's list, or [`UNRANKED`].
    pub fn learner_strict(&self, a: usize) -> u32 {
        self.l_strict[a]
    }

    /// Weak rank of arc `a`'s learner at its site, or [`UNRANKED`] when the
    /// site does not accept the learner.
    pub fn site_weak(&self, a: usize) -> u32 {
        self.w_weak[a]
    }

    /// Strict rank of arc `a`'s learner at its site, or [`UNRANKED`].
    pub fn site_strict(&self, a: usize) -> u32 {
        self.w_strict[a]
    }

    /// Weak "badness" of holding arc `a` (or nothing) for its learner `l`:
    /// the weak rank when acceptable, the list length for a placement off the
    /// list (worse than every listed arc), and `u32::MAX` for unplaced.
    pub fn held_weak(&self, l: LearnerId, a: Option<usize>) -> u32 {
        match a {
            None => u32::MAX,
            Some(a) if self.l_weak[a] != UNRANKED => self.l_weak[a],
            Some(_) => self.list(l).len() as u32,
        }
    }
}
