//! Rhythm advice: pairs of schools that send learners of the same programme
//! with overlapping rhythms to the same workplaces, and how many more
//! learners would be placed if one of them moved to a complementary rhythm.
//!
//! For each programme, each pair of schools whose learners (passed
//! screening) share a site they can both use, and whose usual rhythms
//! overlap: the mover's learners of that programme get a rhythm with as
//! many day slots as theirs taken from the days the other school is not at
//! work (each combination of whole free days, up to [`MAX_RHYTHMS`]; else
//! the first free slots), and the season is solved again exactly for
//! max-placed ([`crate::network::solve_within`]).
//! The gain is the difference in learners placed, exact (both solves are
//! proven optimal; a mixed-integer component stopped by the time limit is
//! reported by [`RhythmAdvice::proven`]). Both schools are tried as the
//! mover; the better is kept. Pairs are ordered by gain, largest first.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rayon::prelude::*;

use dualmatch_core::rhythm::{Days, SLOTS};
use dualmatch_core::{LearnerId, ProgrammeId, SchoolId, Season, WorkplaceId};

use crate::infeasible::Infeasible;
use crate::model::{Objective, PlacementModel};
use crate::network::{self, Pricing};

/// Pairs of schools re-solved at most (the pairs sharing the most sites first).
pub const MAX_PAIRS: usize = 40;

/// One pair of schools and what a complementary rhythm would gain.
#[derive(Clone, Debug, PartialEq)]
pub struct RhythmAdvice {
    /// The programme.
    pub programme: ProgrammeId,
    /// The school that would move to the complementary rhythm.
    pub mover: SchoolId,
    /// The other school.
    pub other: SchoolId,
    /// The mover's usual rhythm in the programme.
    pub from: Days,
    /// The complementary rhythm.
    pub to: Days,
    /// Learners placed with the move minus learners placed now (max-placed).
    pub gain: i64,
    /// The sites both schools' learners can use.
    pub shared: Vec<WorkplaceId>,
    /// Whether both solves are proven optimal (else the gain is a lower
    /// estimate of the best found within the time limit).
    pub proven: bool,
}

/// The most common days of the learners of `school` in `programme`.
fn usual_days(s: &Season, learners: &[LearnerId]) -> Days {
    let mut count: Vec<(Days, usize)> = Vec::new();
    for &l in learners {
        let d = s.days_of(l);
        match count.iter_mut().find(|(x, _)| *x == d) {
            Some((_, n)) => *n += 1,
            None => count.push((d, 1)),
        }
    }
    count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    count.first().map_or(Days::EVERY, |x| x.0)
}

/// Rhythms tried for a mover: at most this many.
pub const MAX_RHYTHMS: usize = 6;

/// Rhythms of `slots` day slots outside `busy`: when `slots` is even, the
/// combinations of whole free days (both weeks) in order, at most
/// [`MAX_RHYTHMS`]; else (or when there are too few) the first free slots,
/// whole days first.
fn complementary(busy: Days, slots: u32) -> Vec<Days> {
    let free = busy.complement();
    if free.count() < slots {
        return Vec::new();
    }
    let whole: Vec<usize> = (0..6).filter(|&d| free.has(d) && free.has(d + 6)).collect();
    let k = (slots / 2) as usize;
    if slots % 2 == 0 && k > 0 && whole.len() >= k {
        let mut out = Vec::new();
        let mut pick: Vec<usize> = (0..k).collect();
        loop {
            out.push(Days(pick.iter().fold(0u16, |b, &i| b | 1 << whole[i] | 1 << (whole[i] + 6))));
            if out.len() == MAX_RHYTHMS {
                return out;
            }
            // The next combination of k of whole.len(), in order.
            let Some(i) = (0..k).rev().find(|&i| pick[i] < whole.len() - k + i) else { return out };
            pick[i] += 1;
            for j in i + 1..k {
                pick[j] = pick[j - 1] + 1;
            }
        }
    }
    first_free(free, slots).into_iter().collect()
}

/// The first `slots` slots of `free`, whole days first.
fn first_free(free: Days, slots: u32) -> Option<Days> {
    let mut bits = 0u16;
    let mut left = slots;
    for d in 0..6 {
        if left >= 2 && free.has(d) && free.has(d + 6) {
            bits |= 1 << d | 1 << (d + 6);
            left -= 2;
        }
    }
    for slot in 0..SLOTS {
        if left > 0 && free.has(slot) && bits & (1 << slot) == 0 {
            bits |= 1 << slot;
            left -= 1;
        }
    }
    Some(Days(bits))
}

/// Placed learners and whether proven, for max-placed on `m`.
fn placed(m: &PlacementModel, limit: Option<Duration>) -> Result<(usize, bool), Infeasible> {
    let sol = network::solve_within(m, Objective::MaxPlaced, Pricing::default(), limit)?;
    let proven = sol.proof.max_placeable.is_none_or(|k| k == sol.assignment.placed());
    Ok((sol.assignment.placed(), proven))
}

/// The season's components (which do not depend on rhythms: the same for
/// every moved season) and how the base solve placed their learners.
struct Base {
    /// The component of each learner with a candidate arc.
    component: Vec<Option<usize>>,
    /// Learners placed in each component by the base max-placed solve.
    placed: Vec<usize>,
    /// Learners with a candidate arc in each component.
    learners: Vec<usize>,
    /// Whether the base solve is proven optimal.
    proven: bool,
}

impl Base {
    fn new(m: &PlacementModel, limit: Option<Duration>) -> Result<Base, Infeasible> {
        let comps = network::components(m);
        let mut component = vec![None; m.learner_count()];
        for (i, c) in comps.iter().enumerate() {
            for &l in &c.learners {
                component[l.index()] = Some(i);
            }
        }
        let share = network::placed_share_within(m, limit, |sizes| vec![true; sizes.len()])?;
        let mut placed = vec![0; comps.len()];
        for &(l, _) in &share.placed {
            if let Some(i) = component[l.index()] {
                placed[i] += 1;
            }
        }
        let proven = share.placeable == share.placed.len();
        Ok(Base { component, placed, learners: comps.iter().map(|c| c.learners.len()).collect(), proven })
    }

    /// The components of `learners`, in order.
    fn components_of(&self, learners: &[LearnerId]) -> Vec<usize> {
        let mut out: Vec<usize> = learners.iter().filter_map(|l| self.component[l.index()]).collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The gain of a move and whether it is proven: the moved season `mm`'s
/// components in `affected` (the mover's learners' components; the others
/// keep their rhythms and so their optimum) are solved again. When the base
/// placed every learner of those components, no move places more: the gain
/// is at most 0 and nothing is solved (`None`).
fn gain_in(
    mm: &PlacementModel,
    base: &Base,
    affected: &[usize],
    limit: Option<Duration>,
) -> Result<Option<(i64, bool)>, Infeasible> {
    let before: usize = affected.iter().map(|&i| base.placed[i]).sum();
    if affected.iter().all(|&i| base.placed[i] == base.learners[i]) {
        return Ok(None);
    }
    let share = network::placed_share_within(mm, limit, |sizes| {
        let mut keep = vec![false; sizes.len()];
        for &i in affected {
            keep[i] = true;
        }
        keep
    })?;
    let proven = share.placeable == share.placed.len();
    Ok(Some((share.placed.len() as i64 - before as i64, proven)))
}

/// A programme, two schools, their usual days, and the sites they share.
type Pair = (ProgrammeId, SchoolId, SchoolId, Days, Days, Vec<WorkplaceId>);

/// The advice for the model's season, ordered by gain (largest first),
/// pairs with no gain left out. Each try re-solves only the components of
/// the mover's learners in the programme, and none when the base already
/// places every learner there; [`advise_by_whole_solves`] is the plain
/// reference that re-solves the whole season every time.
pub fn advise(m: &PlacementModel, limit: Option<Duration>) -> Result<Vec<RhythmAdvice>, Infeasible> {
    advise_with(m, limit, false)
}

/// [`advise`] the slow and plain way: every try re-solves the whole moved
/// season and compares the learners placed with the base solve's (the
/// reference of the differential tests).
pub fn advise_by_whole_solves(m: &PlacementModel, limit: Option<Duration>) -> Result<Vec<RhythmAdvice>, Infeasible> {
    advise_with(m, limit, true)
}

fn advise_with(m: &PlacementModel, limit: Option<Duration>, whole: bool) -> Result<Vec<RhythmAdvice>, Infeasible> {
    let s = m.season;
    if !s.has_rhythms() {
        return Ok(Vec::new());
    }
    // Per (school, programme): learners with a usable pair, and the sites they can use.
    let mut by: std::collections::BTreeMap<(SchoolId, ProgrammeId), (Vec<LearnerId>, Vec<WorkplaceId>)> =
        Default::default();
    for li in 0..m.learner_count() {
        let l = LearnerId::from_index(li);
        if m.arcs(l).is_empty() {
            continue;
        }
        let x = s.learner(l);
        let e = by.entry((x.school, x.programme)).or_default();
        e.0.push(l);
        for a in m.arcs(l) {
            let w = s.group(m.group_of(a)).workplace;
            if !e.1.contains(&w) {
                e.1.push(w);
            }
        }
    }
    let keys: Vec<(SchoolId, ProgrammeId)> = by.keys().copied().collect();
    let mut pairs: Vec<Pair> = Vec::new();
    for (i, &(a, p)) in keys.iter().enumerate() {
        for &(b, q) in &keys[i + 1..] {
            if p != q {
                continue;
            }
            let (da, db) = (usual_days(s, &by[&(a, p)].0), usual_days(s, &by[&(b, p)].0));
            if !da.overlaps(db) {
                continue;
            }
            let mut shared: Vec<WorkplaceId> =
                by[&(a, p)].1.iter().copied().filter(|w| by[&(b, p)].1.contains(w)).collect();
            if shared.is_empty() {
                continue;
            }
            shared.sort_unstable();
            pairs.push((p, a, b, da, db, shared));
        }
    }
    pairs.sort_by(|x, y| y.5.len().cmp(&x.5.len()).then((x.0, x.1, x.2).cmp(&(y.0, y.1, y.2))));
    pairs.truncate(MAX_PAIRS);
    let (base, base_proven) = if whole { placed(m, limit)? } else { (0, true) };
    let parts = if whole { None } else { Some(Base::new(m, limit)?) };
    let base_proven = parts.as_ref().map_or(base_proven, |b| b.proven);
    let tries_of = |&(p, a, b, da, db, _): &Pair| {
        [(a, b, da, db), (b, a, db, da)].into_iter().flat_map(move |(mover, other, from, busy)| {
            complementary(busy, from.count()).into_iter().map(move |to| (p, mover, other, from, to))
        })
    };
    // The gain of moving `mover`'s learners in `p` to `to`: `None` when no
    // learner of their components is unplaced (no gain possible).
    let gain_of = |p: ProgrammeId, mover: SchoolId, to: Days| -> Result<Option<(i64, bool)>, Infeasible> {
        let moved = s.with_rhythm(mover, p, to);
        let mm = PlacementModel::new(&moved, m.candidates, m.constraints)?;
        match &parts {
            None => {
                let (n, proven) = placed(&mm, limit)?;
                Ok(Some((n as i64 - base as i64, proven)))
            }
            Some(parts) => gain_in(&mm, parts, &parts.components_of(&by[&(mover, p)].0), limit),
        }
    };
    // Pairs often try the same move (schools with the same rhythm): each
    // distinct move is solved once, the moves in parallel (the fast path).
    let mut known: BTreeMap<(ProgrammeId, SchoolId, Days), Option<(i64, bool)>> = BTreeMap::new();
    if !whole {
        let moves: BTreeSet<(ProgrammeId, SchoolId, Days)> =
            pairs.iter().flat_map(tries_of).map(|(p, mover, _, _, to)| (p, mover, to)).collect();
        let moves: Vec<_> = moves.into_iter().collect();
        let gains: Vec<_> = moves.par_iter().map(|&(p, mover, to)| gain_of(p, mover, to)).collect();
        for (mv, g) in moves.into_iter().zip(gains) {
            known.insert(mv, g?);
        }
    }
    let mut out = Vec::new();
    for pair in &pairs {
        let shared = &pair.5;
        let mut best: Option<RhythmAdvice> = None;
        for (p, mover, other, from, to) in tries_of(pair) {
            let gain = match known.get(&(p, mover, to)) {
                Some(&g) => g,
                None => gain_of(p, mover, to)?,
            };
            // No learner of these components is unplaced: no gain.
            let Some((gain, proven)) = gain else { continue };
            if best.as_ref().is_none_or(|x| gain > x.gain) {
                let shared = shared.clone();
                best = Some(RhythmAdvice {
                    programme: p,
                    mover,
                    other,
                    from,
                    to,
                    gain,
                    shared,
                    proven: proven && base_proven,
                });
            }
        }
        if let Some(x) = best.filter(|x| x.gain > 0) {
            out.push(x);
        }
    }
    out.sort_by(|x, y| y.gain.cmp(&x.gain).then((x.programme, x.mover, x.other).cmp(&(y.programme, y.mover, y.other))));
    Ok(out)
}
