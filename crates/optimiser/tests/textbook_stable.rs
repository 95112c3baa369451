//! An independent stable reference that runs everywhere: learner-proposing
//! deferred acceptance written from the textbook (Gale and Shapley 1962,
//! many-to-one) over the season's rows, with the preference reading of
//! docs/policies.md implemented afresh, not through `Prefs`. With strict
//! preferences the learner-optimal stable matching is unique, so `stable`
//! (ties by id or by any lottery) must equal it.
//!
//! The seasons: one programme, sites without a capacity (each recognition is
//! a "college" with its seats as quota), every learner living at the sites,
//! distinct scores, and explicit preference lists on some learners and sites.

mod common;

use dualmatch_core::scoring::Candidates;
use dualmatch_optimiser::policies::prefs::Ties;
use dualmatch_optimiser::policies::{by_name, AllocationPolicy, Stable};
use dualmatch_optimiser::{Constraints, PlacementModel};
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn draw(seed: u64) -> common::TinySeason {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let (nl, nw) = (r.gen_range(1..=9), r.gen_range(1..=4));
    let recognitions: Vec<(usize, usize, u32)> = (0..nw).map(|w| (w, 0, r.gen_range(0..=3))).collect();
    let mut scores: Vec<u32> = (0..(nl * nw) as u32).collect();
    scores.shuffle(&mut r);
    let mut candidates = Vec::new();
    for l in 0..nl {
        for w in 0..nw {
            if r.gen_bool(0.7) {
                candidates.push((l, w, scores[l * nw + w]));
            }
        }
    }
    let list = |r: &mut ChaCha8Rng, n: usize| {
        let mut v: Vec<usize> = (0..n).collect();
        v.shuffle(r);
        v.truncate(r.gen_range(1..=n));
        v
    };
    let learners = (0..nl)
        .map(|_| common::TinyLearner {
            school: 0,
            programme: 0,
            passed: r.gen_bool(0.9),
            priority: false,
            readiness: 3,
            prefs: if r.gen_bool(0.4) { list(&mut r, nw) } else { vec![] },
        })
        .collect();
    let workplaces = (0..nw).map(|_| (None, if r.gen_bool(0.4) { list(&mut r, nl) } else { vec![] })).collect();
    common::TinySeason {
        programmes: 1,
        schools: 1,
        learners,
        workplaces,
        recognitions,
        candidates,
        lon_step: 0.0,
        max_commute_km: 20.0,
    }
}

/// Learner-proposing deferred acceptance: per learner, the site, or `None`.
fn textbook_da(t: &common::TinySeason) -> Vec<Option<usize>> {
    let (nl, nw) = (t.learners.len(), t.workplaces.len());
    let score = |l: usize, w: usize| t.candidates.iter().find(|c| c.0 == l && c.1 == w).map(|c| c.2);
    // A pair both sides accept: a candidate of a screened learner, on the
    // site's list when the site has one, on the learner's when it has one.
    let acceptable = |l: usize, w: usize| {
        t.learners[l].passed
            && score(l, w).is_some()
            && (t.workplaces[w].1.is_empty() || t.workplaces[w].1.contains(&l))
            && (t.learners[l].prefs.is_empty() || t.learners[l].prefs.contains(&w))
    };
    // The site's ranking: its list, else scores (higher first). Lower is better.
    let rank = |w: usize, l: usize| match t.workplaces[w].1.iter().position(|&x| x == l) {
        Some(p) => p as i64,
        None => -i64::from(score(l, w).unwrap()),
    };
    let lists: Vec<Vec<usize>> = (0..nl)
        .map(|l| {
            let mut v: Vec<usize> = if t.learners[l].prefs.is_empty() {
                let mut v: Vec<usize> = (0..nw).collect();
                v.sort_by_key(|&w| std::cmp::Reverse(score(l, w)));
                v
            } else {
                t.learners[l].prefs.clone()
            };
            v.retain(|&w| acceptable(l, w));
            v
        })
        .collect();
    let quota: Vec<usize> = (0..nw).map(|w| t.recognitions[w].2 as usize).collect();
    let mut next = vec![0usize; nl];
    let mut held: Vec<Vec<usize>> = vec![Vec::new(); nw];
    let mut free: Vec<usize> = (0..nl).rev().collect();
    while let Some(l) = free.pop() {
        let Some(&w) = lists[l].get(next[l]) else { continue };
        next[l] += 1;
        held[w].push(l);
        if held[w].len() > quota[w] {
            // Reject the worst held proposer.
            let worst = (0..held[w].len()).max_by_key(|&i| rank(w, held[w][i])).unwrap();
            free.push(held[w].swap_remove(worst));
        }
    }
    let mut at = vec![None; nl];
    for (w, ls) in held.iter().enumerate() {
        for &l in ls {
            at[l] = Some(w);
        }
    }
    at
}

fn check(seed: u64) -> Result<usize, TestCaseError> {
    let t = draw(seed);
    let season = t.build();
    let cands = Candidates::from_season_candidates(&season).unwrap();
    let cons = Constraints::none();
    let m = PlacementModel::new(&season, &cands, &cons).unwrap();
    let want = textbook_da(&t);
    let site = |c: Option<u32>| {
        c.map(|c| season.workplace(season.group(cands.group[c as usize]).workplace).id[1..].parse::<usize>().unwrap())
    };
    let by_id = Stable { ties: Some(Ties::ById) }.allocate(&m, 0).unwrap();
    let got: Vec<Option<usize>> = by_id.placement.iter().map(|&c| site(c)).collect();
    prop_assert_eq!(&got, &want, "stable (ties by id) vs textbook DA: {:?}", t);
    for lottery in [1, 2] {
        let a = by_name("stable").unwrap().allocate(&m, lottery).unwrap();
        let got: Vec<Option<usize>> = a.placement.iter().map(|&c| site(c)).collect();
        prop_assert_eq!(&got, &want, "stable (lottery {}) vs textbook DA", lottery);
    }
    Ok(want.iter().flatten().count())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn stable_equals_textbook_deferred_acceptance(seed in any::<u64>()) {
        check(seed)?;
    }
}

/// The seasons are not trivial: most place someone, and some leave a
/// learner with an acceptable site unplaced (competition decides).
#[test]
fn textbook_cases_have_competition() {
    let placed: Vec<usize> = (0..300).map(|s| check(s).unwrap()).collect();
    assert!(placed.iter().filter(|&&p| p > 0).count() > 200, "{placed:?}");
    assert!(placed.iter().filter(|&&p| p >= 4).count() > 50, "{placed:?}");
}
