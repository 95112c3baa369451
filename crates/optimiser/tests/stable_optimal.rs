//! The stable policies against brute force: on tiny seasons (at most 6
//! learners and 4 sites) every assignment is enumerated, the stable ones are
//! kept, and
//!
//! - (a) learner-proposing `stable` is stable and among them;
//! - (b) it is learner-optimal: every learner weakly prefers it to every
//!   stable matching;
//! - (c) `stable-workplace` is stable, among them, and learner-pessimal: every
//!   learner weakly prefers every stable matching to it (the workplace-optimal
//!   end of the lattice).
//!
//! Preferences are the policies' own reading ([`Prefs`]): acceptable pairs and
//! the *strict* ranks on both sides (explicit lists, or scores with ties broken
//! by the seed's lottery or by id), so the stable set is a lattice. A site
//! chooses from a set of learners greedily in its strict order under three
//! nested limits (the unreserved seats of a recognition for learners outside
//! its priority group, the recognition's seats, the site's capacity), as
//! `da.rs` documents; a learner `l` and a site `w` block a matching when `l`
//! strictly prefers `w` to its placement (unplaced is worst) and `w` would
//! choose `l` from its learners plus `l`. The limits are laminar, so the
//! choice is substitutable and size-monotone and the lattice theorems hold
//! with several recognitions per site and a capacity; the generators cover
//! one programme per site (capacity then only lowers the seats) and several
//! programmes per site sharing a capacity, with and without reserved seats.
//!
//! `mutant_is_caught` shows the check can fail: deferred acceptance that
//! rejects the best proposer instead of the worst is caught.

mod common;

use common::{chance, random_list, random_recognitions};

use dualmatch_core::ids::PriorityGroupId;
use dualmatch_core::scoring::Candidates;
use dualmatch_core::season::Season;
use dualmatch_core::{GroupId, LearnerId};
use dualmatch_optimiser::constraints::Reserve;
use dualmatch_optimiser::policies::prefs::{Prefs, Ties, UNRANKED};
use dualmatch_optimiser::policies::rng::SplitMix64;
use dualmatch_optimiser::policies::{by_name, AllocationPolicy, Stable};
use dualmatch_optimiser::{Assignment, Constraints, PlacementModel};
use proptest::prelude::*;

/// A tiny season.
#[derive(Clone, Debug)]
struct Inst {
    programmes: usize,
    /// (programme, screening passed, priority group, explicit list of sites)
    learners: Vec<(usize, bool, bool, Vec<usize>)>,
    /// (capacity, explicit list of learners)
    workplaces: Vec<(Option<u32>, Vec<usize>)>,
    /// (workplace, programme, seats)
    recognitions: Vec<(usize, usize, u32)>,
    /// (learner, recognition, score)
    candidates: Vec<(usize, usize, u32)>,
    /// (recognition, reserved seats)
    reserve: Option<(usize, u32)>,
}

/// How instances are drawn.
#[derive(Clone, Copy, Debug)]
struct Shape {
    /// Several programmes, so several recognitions per site sharing its
    /// capacity; otherwise one programme and one recognition per site.
    multi: bool,
    /// Reserved seats for a priority group (with `multi`).
    reserve: bool,
}

fn draw(seed: u64, sh: Shape) -> Inst {
    let mut r = SplitMix64::new(seed);
    let np = if sh.multi { 1 + r.below(2) as usize } else { 1 };
    let nl = 2 + r.below(5) as usize;
    let nw = (nl.min(4) - r.below(2) as usize).max(1);
    let recognitions = random_recognitions(&mut r, nw, np, 20);
    let workplaces = (0..nw)
        .map(|_| {
            let cap = chance(&mut r, 30).then(|| r.below(4) as u32);
            (cap, random_list(&mut r, nl, 80, 25))
        })
        .collect();
    let learners: Vec<_> = (0..nl)
        .map(|_| {
            let prefs = random_list(&mut r, nw, 80, 25);
            (r.below(np as u64) as usize, chance(&mut r, 95), sh.reserve && chance(&mut r, 40), prefs)
        })
        .collect();
    // Few distinct scores half the time: ties that the strict ranks break.
    let ties = chance(&mut r, 75);
    let mut candidates = Vec::new();
    for (li, l) in learners.iter().enumerate() {
        for (ri, rec) in recognitions.iter().enumerate() {
            if rec.1 == l.0 && chance(&mut r, 90) {
                let score = if ties { r.below(3) as u32 } else { r.below(1000) as u32 };
                candidates.push((li, ri, score));
            }
        }
    }
    let reserve = (sh.reserve && chance(&mut r, 60))
        .then(|| (r.below(recognitions.len() as u64) as usize, 1 + r.below(2) as u32));
    Inst { programmes: np, learners, workplaces, recognitions, candidates, reserve }
}

fn season_of(i: &Inst) -> Season {
    common::TinySeason {
        programmes: i.programmes,
        schools: 1,
        learners: i
            .learners
            .iter()
            .map(|(programme, passed, priority, prefs)| common::TinyLearner {
                school: 0,
                programme: *programme,
                passed: *passed,
                priority: *priority,
                readiness: 3,
                prefs: prefs.clone(),
            })
            .collect(),
        workplaces: i.workplaces.clone(),
        recognitions: i.recognitions.clone(),
        candidates: i.candidates.clone(),
        lon_step: 0.0,
        max_commute_km: 50.0,
    }
    .build()
}

fn constraints_of(i: &Inst, s: &Season) -> Constraints {
    let mut c = Constraints::none();
    if let (Some((g, seats)), false) = (i.reserve, s.priority_groups().is_empty()) {
        let group = GroupId::from_index(g);
        c.reserves.push(Reserve { group, priority_group: PriorityGroupId(0), seats: seats.min(s.group(group).seats) });
    }
    c
}

/// A matching as arcs: per learner, the model arc held.
type Matching = Vec<Option<usize>>;

fn to_arcs(m: &PlacementModel, a: &Assignment) -> Matching {
    (0..m.learner_count())
        .map(|li| {
            a.placement[li].map(|c| {
                m.arcs_of(LearnerId::from_index(li)).find(|&x| m.arc_candidate(x) == c as usize).expect("a usable arc")
            })
        })
        .collect()
}

/// The limits of one site: whether `l` uses the unreserved seats of arc `a`'s
/// recognition, and how many there are.
fn open_lane(m: &PlacementModel, l: LearnerId, a: usize) -> Option<u32> {
    let g = m.arc_group(a);
    m.constraints.reserves.iter().find(|r| r.group == g).and_then(|r| {
        let seats = m.season.group(g).seats;
        (m.season.learner(l).priority_group != Some(r.priority_group)).then(|| seats - r.seats.min(seats))
    })
}

/// Whether adding the arcs `arcs` (of distinct learners) in this order keeps
/// every limit; with `greedy`, returns the arcs a site would choose instead
/// (skipping those that do not fit).
fn fill(m: &PlacementModel, arcs: &[usize], greedy: bool) -> Option<Vec<usize>> {
    let s = m.season;
    let mut group = vec![0u32; s.groups().len()];
    let mut open = vec![0u32; s.groups().len()];
    let mut site = vec![0u32; s.workplaces().len()];
    let mut chosen = Vec::new();
    for &a in arcs {
        let (g, l) = (m.arc_group(a), arc_learner(m, a));
        let w = s.group(g).workplace;
        let lane = open_lane(m, l, a);
        let fits = group[g.index()] < s.group(g).seats
            && lane.is_none_or(|lim| open[g.index()] < lim)
            && s.workplace(w).capacity.is_none_or(|c| site[w.index()] < c);
        if fits {
            group[g.index()] += 1;
            open[g.index()] += u32::from(lane.is_some());
            site[w.index()] += 1;
            chosen.push(a);
        } else if !greedy {
            return None;
        }
    }
    Some(chosen)
}

fn arc_learner(m: &PlacementModel, a: usize) -> LearnerId {
    let n = m.learner_count();
    let li = (0..n).find(|&li| m.arcs_of(LearnerId::from_index(li)).contains(&a)).expect("arc of some learner");
    LearnerId::from_index(li)
}

/// Learner `l`'s strict badness of holding `a`: its position in the list,
/// `u32::MAX` when unplaced.
fn badness(p: &Prefs, a: Option<usize>) -> u32 {
    a.map_or(u32::MAX, |a| p.learner_strict(a))
}

/// Whether `mu` is a stable matching: every pair acceptable, every limit
/// kept, and no blocking pair (see the module documentation).
fn is_stable(m: &PlacementModel, p: &Prefs, mu: &Matching) -> bool {
    let held: Vec<usize> = mu.iter().flatten().copied().collect();
    if held.iter().any(|&a| !p.acceptable(a)) || fill(m, &held, false).is_none() {
        return false;
    }
    for (li, &held_by_l) in mu.iter().enumerate() {
        let l = LearnerId::from_index(li);
        let mine = badness(p, held_by_l);
        for &x in p.list(l) {
            let x = x as usize;
            if p.learner_strict(x) >= mine {
                break; // the list is in strict order
            }
            let w = p.site(x);
            let mut set: Vec<usize> = held.iter().copied().filter(|&b| p.site(b) == w).collect();
            set.push(x);
            set.sort_by_key(|&b| p.site_strict(b));
            if fill(m, &set, true).expect("greedy always chooses").contains(&x) {
                return false;
            }
        }
    }
    true
}

/// Every stable matching, by enumerating each learner's acceptable arcs or
/// nothing.
fn stable_set(m: &PlacementModel, p: &Prefs) -> Vec<Matching> {
    let n = m.learner_count();
    let options: Vec<Vec<Option<usize>>> = (0..n)
        .map(|li| {
            let mut v = vec![None];
            v.extend(p.list(LearnerId::from_index(li)).iter().map(|&a| Some(a as usize)));
            v
        })
        .collect();
    let sizes: Vec<usize> = options.iter().map(Vec::len).collect();
    let mut out = Vec::new();
    common::for_each_choice(&sizes, |choice| {
        let mu: Matching = (0..n).map(|li| options[li][choice[li]]).collect();
        if is_stable(m, p, &mu) {
            out.push(mu);
        }
    });
    out
}

/// Checks (a), (b) and (c) for the learner-proposing result `lp` and the
/// workplace-proposing result `wp` on the strict reading `p`.
fn check(m: &PlacementModel, p: &Prefs, lp: &Matching, wp: Option<&Matching>) -> Result<(), String> {
    let set = stable_set(m, p);
    if set.is_empty() {
        return Err("no stable matching found (the brute force is wrong)".into());
    }
    if !set.contains(lp) {
        return Err(format!("learner-proposing {lp:?} is not stable; stable: {set:?}"));
    }
    for mu in &set {
        for li in 0..m.learner_count() {
            let (x, y) = (badness(p, lp[li]), badness(p, mu[li]));
            if x > y {
                return Err(format!("learner {li} prefers stable {mu:?} (rank {y}) to learner-proposing {lp:?} ({x})"));
            }
        }
    }
    if let Some(wp) = wp {
        if !set.contains(wp) {
            return Err(format!("workplace-proposing {wp:?} is not stable; stable: {set:?}"));
        }
        for mu in &set {
            for li in 0..m.learner_count() {
                let (x, y) = (badness(p, mu[li]), badness(p, wp[li]));
                if x > y {
                    return Err(format!(
                        "learner {li} prefers workplace-proposing {wp:?} (rank {y}) to stable {mu:?} ({x})"
                    ));
                }
            }
        }
    }
    Ok(())
}

fn check_instance(i: &Inst, seed: u64) -> Result<(), TestCaseError> {
    let season = season_of(i);
    let cands = Candidates::from_season_candidates(&season).expect("candidates given");
    let cons = constraints_of(i, &season);
    let m = PlacementModel::new(&season, &cands, &cons).expect("no pins");
    // The seed's lottery, as `stable` and `stable-workplace` read it.
    let p = Prefs::new(&m, Ties::Lottery(seed));
    let lp = to_arcs(&m, &by_name("stable").unwrap().allocate(&m, seed).unwrap());
    let wp = to_arcs(&m, &by_name("stable-workplace").unwrap().allocate(&m, seed).unwrap());
    check(&m, &p, &lp, Some(&wp)).map_err(TestCaseError::fail)?;
    // Ties by id, the anchors' reading.
    let p = Prefs::new(&m, Ties::ById);
    let lp = to_arcs(&m, &Stable { ties: Some(Ties::ById) }.allocate(&m, seed).unwrap());
    check(&m, &p, &lp, None).map_err(TestCaseError::fail)?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// One programme: one recognition per site; capacity only lowers seats.
    #[test]
    fn one_recognition_per_site(seed in any::<u64>(), lottery in any::<u64>()) {
        check_instance(&draw(seed, Shape { multi: false, reserve: false }), lottery)?;
    }

    /// Two programmes: recognitions share the site's capacity.
    #[test]
    fn recognitions_share_capacity(seed in any::<u64>(), lottery in any::<u64>()) {
        check_instance(&draw(seed, Shape { multi: true, reserve: false }), lottery)?;
    }

    /// Two programmes and seats reserved for a priority group.
    #[test]
    fn with_reserved_seats(seed in any::<u64>(), lottery in any::<u64>()) {
        check_instance(&draw(seed, Shape { multi: true, reserve: true }), lottery)?;
    }
}

/// Deferred acceptance, learners proposing, one recognition per site and no
/// reserve, that rejects the *best* held learner on overflow: a wrong DA.
fn mutant_da(m: &PlacementModel, p: &Prefs) -> Matching {
    let s = m.season;
    let n = m.learner_count();
    let room = |w: usize| {
        let seats: u32 =
            s.groups_of_workplace(dualmatch_core::WorkplaceId::from_index(w)).iter().map(|g| s.group(*g).seats).sum();
        s.workplaces()[w].capacity.map_or(seats, |c| c.min(seats)) as usize
    };
    let mut held: Vec<Vec<usize>> = vec![Vec::new(); s.workplaces().len()];
    let mut next = vec![0usize; n];
    let mut mu: Matching = vec![None; n];
    let mut free: Vec<usize> = (0..n).rev().collect();
    while let Some(li) = free.pop() {
        let list = p.list(LearnerId::from_index(li));
        let Some(&a) = list.get(next[li]) else { continue };
        next[li] += 1;
        let w = p.site(a as usize).index();
        held[w].push(a as usize);
        mu[li] = Some(a as usize);
        if held[w].len() > room(w) {
            let k = (0..held[w].len()).min_by_key(|&k| p.site_strict(held[w][k])).unwrap();
            let loser = p.learner(held[w].swap_remove(k)).index();
            mu[loser] = None;
            free.push(loser);
        }
    }
    mu
}

#[test]
fn mutant_is_caught() {
    let mut caught = 0;
    let mut tried = 0;
    for seed in 0..200u64 {
        let i = draw(seed, Shape { multi: false, reserve: false });
        let season = season_of(&i);
        let cands = Candidates::from_season_candidates(&season).unwrap();
        let cons = Constraints::none();
        let m = PlacementModel::new(&season, &cands, &cons).unwrap();
        let p = Prefs::new(&m, Ties::Lottery(seed));
        let good = to_arcs(&m, &by_name("stable").unwrap().allocate(&m, seed).unwrap());
        assert_eq!(check(&m, &p, &good, None), Ok(()), "seed {seed}");
        let bad = mutant_da(&m, &p);
        tried += 1;
        caught += usize::from(check(&m, &p, &bad, None).is_err());
    }
    assert!(caught > tried / 10, "the wrong DA was caught on only {caught} of {tried} instances");
    eprintln!("wrong DA caught on {caught} of {tried} instances");
}

/// `UNRANKED` marks unacceptable arcs: none is on a list.
#[test]
fn lists_hold_only_acceptable_arcs() {
    for seed in 0..50u64 {
        let i = draw(seed, Shape { multi: true, reserve: true });
        let season = season_of(&i);
        let cands = Candidates::from_season_candidates(&season).unwrap();
        let cons = constraints_of(&i, &season);
        let m = PlacementModel::new(&season, &cands, &cons).unwrap();
        let p = Prefs::new(&m, Ties::Lottery(seed));
        for li in 0..m.learner_count() {
            for &a in p.list(LearnerId::from_index(li)) {
                assert!(p.acceptable(a as usize));
                assert_ne!(p.site_strict(a as usize), UNRANKED);
            }
        }
    }
}

/// The generators reach instances with several stable matchings, where the
/// two ends of the lattice differ (so (b) and (c) are not vacuous).
#[test]
fn lattices_are_not_trivial() {
    for shape in [
        Shape { multi: false, reserve: false },
        Shape { multi: true, reserve: false },
        Shape { multi: true, reserve: true },
    ] {
        let (mut several, mut ends_differ) = (0, 0);
        for seed in 0..300u64 {
            let i = draw(seed, shape);
            let season = season_of(&i);
            let cands = Candidates::from_season_candidates(&season).unwrap();
            let cons = constraints_of(&i, &season);
            let m = PlacementModel::new(&season, &cands, &cons).unwrap();
            let p = Prefs::new(&m, Ties::Lottery(seed));
            several += usize::from(stable_set(&m, &p).len() > 1);
            let lp = by_name("stable").unwrap().allocate(&m, seed).unwrap();
            let wp = by_name("stable-workplace").unwrap().allocate(&m, seed).unwrap();
            ends_differ += usize::from(lp != wp);
        }
        eprintln!("{shape:?}: several stable matchings in {several} of 300, ends differ in {ends_differ}");
        assert!(several >= 8 && ends_differ >= 8, "{shape:?}: {several}, {ends_differ}");
    }
}
