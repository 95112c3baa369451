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

use std::time::Duration;

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

/// The advice for the model's season, ordered by gain (largest first),
/// pairs with no gain left out.
pub fn advise(m: &PlacementModel, limit: Option<Duration>) -> Result<Vec<RhythmAdvice>, Infeasible> {
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
    let mut pairs = Vec::new();
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
    let (base, base_proven) = placed(m, limit)?;
    let mut out = Vec::new();
    for (p, a, b, da, db, shared) in pairs {
        let mut best: Option<RhythmAdvice> = None;
        let tries = [(a, b, da, db), (b, a, db, da)].into_iter().flat_map(|(mover, other, from, busy)| {
            complementary(busy, from.count()).into_iter().map(move |to| (mover, other, from, to))
        });
        for (mover, other, from, to) in tries {
            let moved = s.with_rhythm(mover, p, to);
            let mm = PlacementModel::new(&moved, m.candidates, m.constraints)?;
            let (n, proven) = placed(&mm, limit)?;
            let gain = n as i64 - base as i64;
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
