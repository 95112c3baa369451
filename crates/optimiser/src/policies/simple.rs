//! The constructive policies: serial dictatorship (by readiness or by
//! lottery), immediate acceptance ("Boston"), greedy by score and the
//! first-come status quo. Each places pinned learners first and then only
//! places a learner where [`Ledger::fits`] holds (seats, unreserved seats,
//! site capacity, school caps).

use dualmatch_core::{LearnerId, SchoolId};

use super::ledger::Ledger;
use super::pins_infeasible;
use super::prefs::Prefs;
use super::rng::SplitMix64;
use crate::infeasible::Infeasible;
use crate::model::{Assignment, PlacementModel};

fn start<'m, 'a>(m: &'m PlacementModel<'a>) -> Result<Ledger<'m, 'a>, Infeasible> {
    let mut led = Ledger::new(m);
    if led.place_pins() {
        Ok(led)
    } else {
        Err(pins_infeasible(m))
    }
}

/// Learners in `order` each take the first arc of their list that fits.
fn serial(m: &PlacementModel, p: &Prefs, order: &[LearnerId]) -> Result<Assignment, Infeasible> {
    let mut led = start(m)?;
    for &l in order {
        if led.held[l.index()].is_some() {
            continue;
        }
        if let Some(&a) = p.list(l).iter().find(|&&a| led.fits(l, a as usize)) {
            led.add(l, a as usize);
        }
    }
    Ok(led.assignment())
}

/// Serial dictatorship: readiness highest first, ties by the seed's lottery.
pub(crate) fn serial_dictatorship(m: &PlacementModel, p: &Prefs, seed: u64) -> Result<Assignment, Infeasible> {
    let ticket = SplitMix64::stream(seed, 3).lottery(m.learner_count());
    let mut order: Vec<LearnerId> = (0..m.learner_count()).map(LearnerId::from_index).collect();
    order.sort_by_key(|l| (std::cmp::Reverse(m.season.learner(*l).readiness), ticket[l.index()]));
    serial(m, p, &order)
}

/// Random serial dictatorship: the seed's lottery order.
pub(crate) fn random_serial(m: &PlacementModel, p: &Prefs, seed: u64) -> Result<Assignment, Infeasible> {
    let order: Vec<LearnerId> =
        SplitMix64::stream(seed, 3).permutation(m.learner_count()).into_iter().map(LearnerId).collect();
    serial(m, p, &order)
}

/// Immediate acceptance: in round `k` every unplaced learner applies to the
/// `k`-th entry of their list; each site takes its applicants in its strict
/// order while they fit, permanently.
pub(crate) fn boston(m: &PlacementModel, p: &Prefs) -> Result<Assignment, Infeasible> {
    let mut led = start(m)?;
    let n = m.learner_count();
    let rounds = (0..n).map(|l| p.list(LearnerId::from_index(l)).len()).max().unwrap_or(0);
    let mut apps: Vec<u32> = Vec::new();
    for k in 0..rounds {
        apps.clear();
        for li in 0..n {
            let l = LearnerId::from_index(li);
            if led.held[li].is_none() {
                if let Some(&a) = p.list(l).get(k) {
                    apps.push(a);
                }
            }
        }
        // Sites in id order; within a site, its strict order.
        apps.sort_by_key(|&a| (p.site(a as usize), p.site_strict(a as usize)));
        for &a in &apps {
            let l = p.learner(a as usize);
            if led.fits(l, a as usize) {
                led.add(l, a as usize);
            }
        }
    }
    Ok(led.assignment())
}

/// Greedy: usable arcs by score, highest first (ties by the seed's learner
/// lottery, then arc order); each taken when its learner is free and it fits.
pub(crate) fn greedy(m: &PlacementModel, seed: u64) -> Result<Assignment, Infeasible> {
    let mut led = start(m)?;
    let ticket = SplitMix64::stream(seed, 1).lottery(m.learner_count());
    let mut arcs: Vec<(u32, u32, u32)> = Vec::with_capacity(m.arc_count());
    for li in 0..m.learner_count() {
        for a in m.arcs_of(LearnerId::from_index(li)) {
            arcs.push((a as u32, ticket[li], li as u32));
        }
    }
    arcs.sort_by(|x, y| {
        m.arc_score(y.0 as usize).total_cmp(&m.arc_score(x.0 as usize)).then(x.1.cmp(&y.1)).then(x.0.cmp(&y.0))
    });
    for (a, _, l) in arcs {
        let l = LearnerId(l);
        if led.held[l.index()].is_none() && led.fits(l, a as usize) {
            led.add(l, a as usize);
        }
    }
    Ok(led.assignment())
}

/// First come, first served: schools in the seed's lottery order; a school
/// repeatedly places the learner whose best remaining arc (by score) is the
/// highest, until none of its learners has an arc that fits.
pub(crate) fn first_come(m: &PlacementModel, seed: u64) -> Result<Assignment, Infeasible> {
    let s = m.season;
    let mut led = start(m)?;
    let mut of_school: Vec<Vec<LearnerId>> = vec![Vec::new(); s.schools().len()];
    for (li, l) in s.learners().iter().enumerate() {
        of_school[l.school.index()].push(LearnerId::from_index(li));
    }
    let order = SplitMix64::stream(seed, 4).permutation(s.schools().len());
    for sc in order {
        let mut todo: Vec<LearnerId> = of_school[SchoolId(sc).index()]
            .iter()
            .copied()
            .filter(|l| led.held[l.index()].is_none() && !m.arcs_of(*l).is_empty())
            .collect();
        loop {
            // (score, position in todo, arc) of the best remaining fit.
            let mut best: Option<(f64, usize, usize)> = None;
            for (k, &l) in todo.iter().enumerate() {
                for a in m.arcs_of(l) {
                    if best.is_none_or(|(bs, _, _)| m.arc_score(a) > bs) && led.fits(l, a) {
                        best = Some((m.arc_score(a), k, a));
                    }
                }
            }
            let Some((_, k, a)) = best else { break };
            let l = todo.remove(k);
            led.add(l, a);
        }
    }
    Ok(led.assignment())
}
