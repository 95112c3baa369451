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
//! Ranks come in two kinds. *Weak* ranks keep ties (0-based: the position
//! of the tie group; for score orders, the number of distinct better scores;
//! for explicit lists, which may tie entries with `=`, the number of tie
//! groups before, counting only acceptable entries for a learner); they
//! define blocking pairs, envy and rank metrics, and do not depend on any
//! seed. *Strict* ranks break the ties (see [`Ties`]); the
//! policies run on them.

use dualmatch_core::csr::{Csr, CsrBuilder};
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
    /// Multiple tie-breaking: one lottery over learners per workplace (each
    /// site orders its tied learners by its own draw), and one lottery over
    /// workplaces used by every learner, all from the seed.
    PerWorkplace(u64),
}

impl Ties {
    /// The tie-breaking of `seed` for a [`TieBreak`] option.
    pub fn lottery(seed: u64, tie_break: TieBreak) -> Ties {
        match tie_break {
            TieBreak::Single => Ties::Lottery(seed),
            TieBreak::Multiple => Ties::PerWorkplace(seed),
        }
    }
}

/// How the lottery breaks ties at workplaces (`--tie-break`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum TieBreak {
    /// One lottery over learners, used by every workplace.
    #[default]
    Single,
    /// One lottery per workplace.
    Multiple,
}

impl TieBreak {
    /// The name on the command line and in `summary.json`.
    pub fn name(self) -> &'static str {
        match self {
            TieBreak::Single => "single",
            TieBreak::Multiple => "multiple",
        }
    }
}

/// The ticket of learner `l` at workplace `w` under multiple tie-breaking:
/// a SplitMix64 hash of (seed, workplace, learner), so each workplace has
/// its own independent-looking order without drawing one permutation per
/// workplace (equal tickets, rare, fall back to the arc order).
fn multiple_ticket(seed: u64, w: WorkplaceId, l: LearnerId) -> u32 {
    let key = (w.index() as u64) << 32 | l.index() as u64;
    (SplitMix64::stream(seed ^ key.wrapping_mul(0x9E37_79B9_7F4A_7C15), 3).next_u64() >> 32) as u32
}

/// The stable reading of a model: acceptable lists and both sides' ranks,
/// indexed by model arc (see [`PlacementModel::arcs_of`]).
#[derive(Clone, Debug)]
pub struct Prefs {
    /// Per learner: the acceptable arcs, best first.
    lists: Csr<u32>,
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

/// Dense weak ranks (0-based position of the tie group: the number of
/// distinct greater scores) for entries already sorted by score descending.
fn weak_from_sorted(scores: &[f64]) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::with_capacity(scores.len());
    for (i, s) in scores.iter().enumerate() {
        match out.last() {
            Some(&prev) if *s == scores[i - 1] => out.push(prev),
            Some(&prev) => out.push(prev + 1),
            None => out.push(0),
        }
    }
    out
}

/// Ticket of each item for tie-breaking (lower first).
pub(crate) fn tickets<'s>(ids: impl ExactSizeIterator<Item = &'s str>, ties: Ties, stream: u64) -> Vec<u32> {
    match ties {
        Ties::Lottery(seed) | Ties::PerWorkplace(seed) => SplitMix64::stream(seed, stream).lottery(ids.len()),
        Ties::ById => {
            let ids: Vec<&str> = ids.collect();
            let mut order: Vec<u32> = (0..ids.len() as u32).collect();
            order.sort_by(|a, b| ids[*a as usize].cmp(ids[*b as usize]).then(a.cmp(b)));
            let mut t = vec![0u32; ids.len()];
            for (pos, &i) in order.iter().enumerate() {
                t[i as usize] = pos as u32;
            }
            t
        }
    }
}

/// A key that orders scores as `f64::total_cmp` does, highest first.
fn desc_key(score: f64) -> u64 {
    let bits = score.to_bits();
    let ascending = if bits >> 63 == 1 { !bits } else { bits | 1 << 63 };
    !ascending
}

/// The score of a [`desc_key`].
fn key_score(key: u64) -> f64 {
    let ascending = !key;
    f64::from_bits(if ascending >> 63 == 1 { ascending & !(1 << 63) } else { !ascending })
}

/// Sorts `arcs` by score (highest first), then by `ticket`, then by arc
/// index: the order of a stable sort by (score, ticket) of arcs given in
/// increasing index order. Sorts precomputed keys, so that each comparison
/// reads contiguous memory.
fn sort_by_score(arcs: &mut [u32], buf: &mut Vec<(u64, u32, u32)>, m: &PlacementModel, ticket: impl Fn(usize) -> u32) {
    buf.clear();
    buf.extend(arcs.iter().map(|&a| (desc_key(m.arc_score(a as usize)), ticket(a as usize), a)));
    buf.sort_unstable();
    for (slot, k) in arcs.iter_mut().zip(buf.iter()) {
        *slot = k.2;
    }
}

/// Scratch space of [`learner_list`], reused between learners.
#[derive(Default)]
struct ListScratch {
    own: Vec<u32>,
    buf: Vec<(u64, u32, u32)>,
    scores: Vec<f64>,
    listed: Vec<(u32, u32, u32)>,
    /// Per site, the first arc of the current learner to it (explicit
    /// lists); all [`UNRANKED`] between learners, sized on first use.
    arc_at_site: Vec<u32>,
}

/// The acceptable list of learner `l`, best first (strict order, ties by
/// the workplace's `ticket`), from `accepts` (whether an arc's site accepts
/// its learner); gives each listed arc's weak rank to `weak`. The list is
/// the learner's explicit preferences (each listed site's first usable arc)
/// when there are some, else every accepted arc by score.
fn learner_list<'s>(
    m: &PlacementModel,
    l: LearnerId,
    site: &impl Fn(usize) -> WorkplaceId,
    accepts: &impl Fn(LearnerId, usize) -> bool,
    ticket: &impl Fn(WorkplaceId) -> u32,
    sc: &'s mut ListScratch,
    mut weak: impl FnMut(usize, u32),
) -> &'s [u32] {
    let learner_rec = m.season.learner(l);
    let arcs = m.arcs_of(l);
    sc.own.clear();
    if learner_rec.preferences.is_empty() {
        sc.own.extend(arcs.map(|a| a as u32).filter(|&a| accepts(l, a as usize)));
        sort_by_score(&mut sc.own, &mut sc.buf, m, |a| ticket(site(a)));
        sc.scores.clear();
        sc.scores.extend(sc.own.iter().map(|&a| m.arc_score(a as usize)));
        for (&a, w) in sc.own.iter().zip(weak_from_sorted(&sc.scores)) {
            weak(a as usize, w);
        }
    } else {
        if sc.arc_at_site.is_empty() {
            sc.arc_at_site.resize(m.season.workplaces().len(), UNRANKED);
        }
        // The first arc to each site, as `find` over the arcs would give.
        for a in arcs.clone().rev() {
            sc.arc_at_site[site(a).index()] = a as u32;
        }
        // Acceptable listed arcs by (tie rank, workplace ticket); the weak
        // rank is the position of the tie group among them.
        sc.listed.clear();
        for (k, w) in learner_rec.preferences.iter().enumerate() {
            let found = sc.arc_at_site[w.index()];
            if found != UNRANKED && accepts(l, found as usize) {
                sc.listed.push((learner_rec.rank_of_entry(k), ticket(*w), found));
                sc.arc_at_site[w.index()] = UNRANKED;
            }
        }
        sc.listed.sort_unstable();
        let mut w = 0u32;
        for (k, &(r, _, a)) in sc.listed.iter().enumerate() {
            if k > 0 && r != sc.listed[k - 1].0 {
                w += 1;
            }
            weak(a as usize, w);
            sc.own.push(a);
        }
        for a in arcs {
            sc.arc_at_site[site(a).index()] = UNRANKED;
        }
    }
    &sc.own
}

/// The weak rank in its learner's list of each learner's arc in `arcs`
/// ([`Prefs::learner_weak`], without building the whole reading): per
/// learner, [`UNRANKED`] for `None` or an arc that is not acceptable.
/// Weak ranks do not depend on how ties are broken. Reads only the lists of
/// the learners with an arc, in parallel.
pub fn learner_weak_of(m: &PlacementModel, arcs: &[Option<usize>]) -> Vec<u32> {
    use rayon::prelude::*;
    let s = m.season;
    // The learners each site with a list lists, sorted.
    let mut listed = Csr::from_pairs(
        s.workplaces().len(),
        s.workplaces().iter().enumerate().flat_map(|(w, wp)| wp.preferences.iter().map(move |l| (w, *l))),
    );
    for w in 0..s.workplaces().len() {
        listed.row_mut(w).sort_unstable();
    }
    let site = |a: usize| s.group(m.arc_group(a)).workplace;
    let accepts = |l: LearnerId, a: usize| {
        let w = site(a);
        s.workplace(w).preferences.is_empty() || listed.row(w.index()).binary_search(&l).is_ok()
    };
    arcs.par_iter()
        .enumerate()
        .map_init(ListScratch::default, |sc, (li, x)| {
            let Some(x) = *x else { return UNRANKED };
            let mut rank = UNRANKED;
            learner_list(m, LearnerId::from_index(li), &site, &accepts, &|_| 0, sc, |a, w| {
                if a == x {
                    rank = w;
                }
            });
            rank
        })
        .collect()
}

impl Prefs {
    /// Reads the preferences of a model, breaking ties as `ties` says.
    pub fn new(m: &PlacementModel, ties: Ties) -> Prefs {
        let s = m.season;
        let (nl, nw, na) = (m.learner_count(), s.workplaces().len(), m.arc_count());
        let single = tickets(s.learners().iter().map(|l| l.id.as_str()), ties, 1);
        let l_ticket = |w: WorkplaceId, l: LearnerId| match ties {
            Ties::PerWorkplace(seed) => multiple_ticket(seed, w, l),
            _ => single[l.index()],
        };
        let w_ticket = tickets(s.workplaces().iter().map(|w| w.id.as_str()), ties, 2);
        let mut site = Vec::with_capacity(na);
        let mut learner = Vec::with_capacity(na);
        for li in 0..nl {
            let l = LearnerId::from_index(li);
            for a in m.arcs_of(l) {
                site.push(s.group(m.arc_group(a)).workplace);
                learner.push(l);
            }
        }
        // Workplace side: the arcs of each site (in increasing arc order),
        // each with its sort key (score, then the learner's ticket): one
        // scattered write per arc, then contiguous sorts.
        let mut by_site = Csr::from_pairs(
            nw,
            site.iter()
                .enumerate()
                .map(|(a, w)| (w.index(), (desc_key(m.arc_score(a)), l_ticket(*w, learner[a]), a as u32))),
        );
        // Per arc: (weak, strict) rank of the learner at the site, written
        // together (one scattered write per arc).
        let mut w_rank = vec![[UNRANKED; 2]; na];
        let mut pos_of_learner = vec![UNRANKED; nl];
        for wi in 0..nw {
            let w_id = WorkplaceId::from_index(wi);
            let w = s.workplace(w_id);
            let keyed = by_site.row_mut(wi);
            if w.preferences.is_empty() {
                keyed.sort_unstable();
                // Weak ranks as `weak_from_sorted` gives them, from the keys.
                let mut weak = 0u32;
                for (k, key) in keyed.iter().enumerate() {
                    if k > 0 && key_score(key.0) != key_score(keyed[k - 1].0) {
                        weak += 1;
                    }
                    w_rank[key.2 as usize] = [weak, k as u32];
                }
            } else {
                // Listed learners by (tie rank, learner ticket): the weak
                // rank is the tie group's, the strict one the sorted position.
                for (k, l) in w.preferences.iter().enumerate() {
                    if pos_of_learner[l.index()] == UNRANKED {
                        pos_of_learner[l.index()] = w.rank_of_entry(k) - 1;
                    }
                }
                let mut listed: Vec<(u32, u32, u32)> = keyed
                    .iter()
                    .filter_map(|key| {
                        let l = learner[key.2 as usize];
                        let r = pos_of_learner[l.index()];
                        (r != UNRANKED).then_some((r, l_ticket(w_id, l), key.2))
                    })
                    .collect();
                listed.sort_unstable();
                for (k, &(r, _, a)) in listed.iter().enumerate() {
                    w_rank[a as usize] = [r, k as u32];
                }
                for l in &w.preferences {
                    pos_of_learner[l.index()] = UNRANKED;
                }
            }
        }
        drop(by_site);
        let w_weak: Vec<u32> = w_rank.iter().map(|r| r[0]).collect();
        let w_strict: Vec<u32> = w_rank.iter().map(|r| r[1]).collect();
        drop(w_rank);
        // Learner side.
        let mut l_weak = vec![UNRANKED; na];
        let mut l_strict = vec![UNRANKED; na];
        let mut lists = CsrBuilder::with_capacity(nl, na);
        let mut scratch = ListScratch::default();
        for li in 0..nl {
            let l = LearnerId::from_index(li);
            let own = learner_list(
                m,
                l,
                &|a| site[a],
                &|_, a| w_weak[a] != UNRANKED,
                &|w| w_ticket[w.index()],
                &mut scratch,
                |a, weak| l_weak[a] = weak,
            );
            lists.extend(own.iter().copied());
            for (k, &a) in own.iter().enumerate() {
                l_strict[a as usize] = k as u32;
            }
            lists.end_row();
        }
        Prefs { lists: lists.finish(), site, learner, l_weak, l_strict, w_weak, w_strict }
    }

    /// The acceptable arcs of learner `l`, best first (strict order).
    pub fn list(&self, l: LearnerId) -> &[u32] {
        self.lists.row(l.index())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_keys_order_as_total_cmp_and_round_trip() {
        let xs = [0.0, -0.0, 1.0, 0.5, 100.0, 1e-300, f64::MAX, -1.0, 3.25, 3.25];
        for &a in &xs {
            assert_eq!(key_score(desc_key(a)).to_bits(), a.to_bits());
            for &b in &xs {
                assert_eq!(desc_key(a).cmp(&desc_key(b)), b.total_cmp(&a), "{a} vs {b}");
            }
        }
    }
}
