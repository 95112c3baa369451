//! An independent reference for the model's semantics.
//!
//! The brute force here reads the tiny season's records (the rows written into
//! the season), its candidate rows and the text of `constraints.toml` (parsed
//! with the `toml` crate alone), and implements every rule afresh from
//! docs/constraints.md: screening, min score, forbidden pairs, pins, seats, site
//! capacity, school floors and caps, reserved seats and minimum group sizes at
//! a site (both forms). It shares no code with `Constraints`, `PlacementModel`
//! or `Assignment::check`. The solvers (network simplex with the mixed-integer
//! path for "a group or nobody", both objectives, and `--solver lp`: the LP,
//! or the whole model as one mixed-integer model) must find its optimum,
//! produce an assignment that it accepts, and refuse exactly the files it
//! refuses.
//!
//! Gates other than screening, seats and capacity pass by construction in
//! these seasons: everyone lives at the site, no site requires a tag and
//! every site accepts readiness 1.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use dualmatch_core::scoring::Candidates;
use dualmatch_optimiser::certificate;
use dualmatch_optimiser::solve::{exact, SolveError};
use dualmatch_optimiser::{network, Conflict, Constraints, Objective, PlacementModel, Solver};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A tiny season as plain rows.
#[derive(Clone, Debug)]
struct Tiny {
    programmes: usize,
    schools: usize,
    /// (school, programme, screening passed, in priority group `extra`)
    learners: Vec<(usize, usize, bool, bool)>,
    /// Site capacity.
    capacity: Vec<Option<u32>>,
    /// (site, programme, seats)
    recognitions: Vec<(usize, usize, u32)>,
    /// (learner, recognition, score)
    candidates: Vec<(usize, usize, u32)>,
}

/// Draws a season and a constraints file from one seed. The file uses every
/// section; about one in ten files is invalid on purpose.
fn draw(seed: u64) -> (Tiny, String) {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let np = r.gen_range(1..=2);
    let ns = r.gen_range(1..=2);
    let nl = r.gen_range(1..=6);
    let nw = r.gen_range(1..=3);
    let learners: Vec<_> =
        (0..nl).map(|_| (r.gen_range(0..ns), r.gen_range(0..np), r.gen_bool(0.9), r.gen_bool(0.35))).collect();
    let capacity: Vec<_> =
        (0..nw).map(|_| r.gen_bool(0.4).then(|| if r.gen_bool(0.1) { 0 } else { r.gen_range(1..=3) })).collect();
    let mut recognitions = Vec::new();
    for w in 0..nw {
        for p in 0..np {
            if r.gen_bool(0.7) {
                recognitions.push((w, p, if r.gen_bool(0.1) { 0 } else { r.gen_range(1..=3) }));
            }
        }
    }
    if recognitions.is_empty() {
        recognitions.push((0, 0, 1));
    }
    let mut candidates = Vec::new();
    for (li, l) in learners.iter().enumerate() {
        for (ri, rec) in recognitions.iter().enumerate() {
            if rec.1 == l.1 && r.gen_bool(0.75) {
                candidates.push((li, ri, r.gen_range(0..=100)));
            }
        }
    }
    let t = Tiny { programmes: np, schools: ns, learners, capacity, recognitions, candidates };
    let mut f = String::new();
    // Mostly valid ids; now and then one that does not exist.
    let bad = |r: &mut ChaCha8Rng, n: usize| if r.gen_bool(0.02) { n + 3 } else { r.gen_range(0..n) };
    if r.gen_bool(0.3) {
        f += &format!("min_score = {}.0\n", r.gen_range(0..=60));
    }
    // School bounds: now and then a (school, programme) twice or a floor
    // above its cap (refused).
    let mut bounded = Vec::new();
    for _ in 0..r.gen_range(0..=2) {
        let (sc, p) = (bad(&mut r, ns), bad(&mut r, np));
        if bounded.contains(&(sc, p)) && r.gen_bool(0.9) {
            continue;
        }
        bounded.push((sc, p));
        f += &format!("\n[[school]]\nschool = \"S{sc}\"\nprogramme = \"P{p}\"\n");
        let min = r.gen_bool(0.5).then(|| r.gen_range(0..=2));
        let max = match min {
            Some(m) if m > 0 && r.gen_bool(0.05) => Some(m - 1),
            _ => r.gen_bool(0.5).then(|| min.unwrap_or(0) + r.gen_range(0..=2)),
        };
        if let Some(m) = min {
            f += &format!("min = {m}\n");
        }
        if let Some(m) = max {
            f += &format!("max = {m}\n");
        }
    }
    // Usually one reserve (two may overlap: refused), for a group someone is in.
    let reserves = if r.gen_bool(0.05) { 2 } else { usize::from(r.gen_bool(0.5)) };
    for _ in 0..reserves {
        if !t.learners.iter().any(|l| l.3) && r.gen_bool(0.9) {
            continue;
        }
        let group = if r.gen_bool(0.97) { "extra" } else { "other" };
        f += &format!("\n[[reserve]]\npriority_group = \"{group}\"\n");
        if r.gen_bool(0.6) {
            f += &format!("programme = \"P{}\"\n", bad(&mut r, np));
        }
        if r.gen_bool(0.6) {
            f += &format!("workplace = \"W{}\"\n", bad(&mut r, nw));
        }
        f += &format!("seats = {}\n", r.gen_range(0..=3));
    }
    // Pins and forbidden pairs: mostly candidate pairs, sometimes any pair;
    // a learner pinned twice or a pinned pair forbidden now and then.
    let pair = |r: &mut ChaCha8Rng, t: &Tiny| match t.candidates.len() {
        n if n > 0 && r.gen_bool(0.85) => {
            let (l, rec, _) = t.candidates[r.gen_range(0..n)];
            (l, t.recognitions[rec].0)
        }
        _ => (bad(r, t.learners.len()), bad(r, t.capacity.len())),
    };
    let mut pinned = Vec::new();
    for _ in 0..r.gen_range(0..=2) {
        let (l, w) = pair(&mut r, &t);
        if pinned.iter().any(|&(x, _)| x == l) && r.gen_bool(0.9) {
            continue;
        }
        pinned.push((l, w));
        f += &format!("\n[[pin]]\nlearner = \"L{l}\"\nworkplace = \"W{w}\"\n");
    }
    for _ in 0..r.gen_range(0..=2) {
        let (l, w) = pair(&mut r, &t);
        if pinned.contains(&(l, w)) && r.gen_bool(0.9) {
            continue;
        }
        f += &format!("\n[[forbid]]\nlearner = \"L{l}\"\nworkplace = \"W{w}\"\n");
    }
    // Minimum group sizes: now and then min = 0 or a site twice (refused).
    let mut sites = Vec::new();
    // "A group or nobody" with min 1 would be no constraint: 2 or 3; a hard
    // minimum (written or by default) mostly 1.
    for _ in 0..[0, 0, 0, 0, 0, 0, 0, 0, 1, 2][r.gen_range(0..10)] {
        let w = bad(&mut r, nw);
        if sites.contains(&w) && r.gen_bool(0.9) {
            continue;
        }
        sites.push(w);
        let form = r.gen_range(0..4);
        let min = match form {
            _ if r.gen_bool(0.03) => 0,
            0 | 1 => r.gen_range(2..=3),
            _ => 1 + u32::from(r.gen_bool(0.2)),
        };
        f += &format!("\n[[site]]\nworkplace = \"W{w}\"\nmin = {min}\n");
        match form {
            0 | 1 => f += "allow_empty = true\n",
            2 => f += "allow_empty = false\n",
            _ => {}
        }
    }
    (t, f)
}

fn season_of(t: &Tiny) -> dualmatch_core::Season {
    common::TinySeason {
        programmes: t.programmes,
        schools: t.schools,
        learners: t
            .learners
            .iter()
            .map(|&(school, programme, passed, priority)| common::TinyLearner {
                school,
                programme,
                passed,
                priority,
                readiness: 3,
                prefs: vec![],
            })
            .collect(),
        workplaces: t.capacity.iter().map(|&c| (c, vec![])).collect(),
        recognitions: t.recognitions.clone(),
        candidates: t.candidates.clone(),
        lon_step: 0.0,
        max_commute_km: 20.0,
    }
    .build()
}

/// The rules of a constraints file, read with `toml` alone.
#[derive(Clone, Debug, Default)]
struct Rules {
    min_score: Option<f64>,
    /// (school, programme, floor, cap)
    school: Vec<(usize, usize, u32, u32)>,
    /// Per recognition: seats kept for the priority group `extra`.
    reserved: HashMap<usize, u32>,
    /// learner → site
    pins: HashMap<usize, usize>,
    /// (learner, site)
    forbid: Vec<(usize, usize)>,
    /// (site, minimum, allow_empty)
    sites: Vec<(usize, u32, bool)>,
}

/// The number in an id such as `W3`, when it names one of `count` things.
fn id(v: &toml::Value, prefix: char, count: usize) -> Option<usize> {
    let n: usize = v.as_str()?.strip_prefix(prefix)?.parse().ok()?;
    (n < count).then_some(n)
}

/// Reads the file as docs/constraints.md describes it; `None` when the file
/// must be refused (unknown ids, a floor above its cap, a (school, programme)
/// or a recognition given twice, a reserve that matches nothing or names a
/// group nobody is in, a learner pinned twice, a pair pinned and forbidden).
fn read_rules(text: &str, t: &Tiny) -> Result<Rules, &'static str> {
    let doc: toml::Table = text.parse().expect("the generator writes valid TOML");
    let list = |key: &str| doc.get(key).and_then(|v| v.as_array()).cloned().unwrap_or_default();
    let num = |v: Option<&toml::Value>| v.map(|v| v.as_integer().expect("integer") as u32);
    let mut rules = Rules { min_score: doc.get("min_score").map(|v| v.as_float().expect("float")), ..Rules::default() };
    for e in list("school") {
        let s = id(&e["school"], 'S', t.schools).ok_or("unknown school")?;
        let p = id(&e["programme"], 'P', t.programmes).ok_or("unknown programme")?;
        let (min, max) = (num(e.get("min")).unwrap_or(0), num(e.get("max")).unwrap_or(u32::MAX));
        if min > max {
            return Err("floor above cap");
        }
        if rules.school.iter().any(|b| (b.0, b.1) == (s, p)) {
            return Err("school given twice");
        }
        rules.school.push((s, p, min, max));
    }
    for e in list("reserve") {
        if e["priority_group"].as_str() != Some("extra") || !t.learners.iter().any(|l| l.3) {
            return Err("nobody in the priority group");
        }
        let p = e.get("programme").map(|v| id(v, 'P', t.programmes));
        let w = e.get("workplace").map(|v| id(v, 'W', t.capacity.len()));
        if p == Some(None) || w == Some(None) {
            return Err("unknown programme or site");
        }
        let seats = num(e.get("seats")).expect("seats");
        let mut matched = false;
        for (ri, rec) in t.recognitions.iter().enumerate() {
            if p.flatten().is_some_and(|p| p != rec.1) || w.flatten().is_some_and(|w| w != rec.0) {
                continue;
            }
            matched = true;
            if rules.reserved.insert(ri, seats.min(rec.2)).is_some() {
                return Err("recognition reserved twice");
            }
        }
        if !matched {
            return Err("reserve matches nothing");
        }
    }
    for e in list("pin") {
        let l = id(&e["learner"], 'L', t.learners.len()).ok_or("unknown learner")?;
        let w = id(&e["workplace"], 'W', t.capacity.len()).ok_or("unknown site")?;
        if rules.pins.insert(l, w).is_some() {
            return Err("learner pinned twice");
        }
    }
    for e in list("forbid") {
        let l = id(&e["learner"], 'L', t.learners.len()).ok_or("unknown learner")?;
        let w = id(&e["workplace"], 'W', t.capacity.len()).ok_or("unknown site")?;
        if rules.pins.get(&l) == Some(&w) {
            return Err("pair pinned and forbidden");
        }
        rules.forbid.push((l, w));
    }
    for e in list("site") {
        let w = id(&e["workplace"], 'W', t.capacity.len()).ok_or("unknown site")?;
        let min = num(e.get("min")).expect("min");
        let allow_empty = e.get("allow_empty").is_some_and(|v| v.as_bool().expect("bool"));
        if min == 0 {
            return Err("site minimum 0");
        }
        if rules.sites.iter().any(|x| x.0 == w) {
            return Err("site given twice");
        }
        rules.sites.push((w, min, allow_empty));
    }
    Ok(rules)
}

/// Per learner, the recognitions it may be placed at with their scores:
/// screening passed, a candidate row, score at least min_score, not forbidden;
/// only the pinned site for a pinned learner.
fn options(t: &Tiny, rules: &Rules) -> Vec<Vec<(usize, u32)>> {
    (0..t.learners.len())
        .map(|l| {
            t.candidates
                .iter()
                .filter(|&&(cl, rec, score)| {
                    let w = t.recognitions[rec].0;
                    cl == l
                        && t.learners[l].2
                        && rules.min_score.is_none_or(|m| f64::from(score) >= m)
                        && !rules.forbid.contains(&(l, w))
                        && rules.pins.get(&l).is_none_or(|&pw| pw == w)
                })
                .map(|&(_, rec, score)| (rec, score))
                .collect()
        })
        .collect()
}

/// Whether `at` (per learner, the recognition) meets every rule.
fn feasible(t: &Tiny, rules: &Rules, at: &[Option<usize>]) -> Result<(), String> {
    let mut seats = vec![0u32; t.recognitions.len()];
    let mut others = vec![0u32; t.recognitions.len()];
    let mut site = vec![0u32; t.capacity.len()];
    for (l, rec) in at.iter().enumerate() {
        if let Some(&w) = rules.pins.get(&l) {
            if rec.map(|r| t.recognitions[r].0) != Some(w) {
                return Err(format!("L{l} is pinned to W{w}"));
            }
        }
        let Some(r) = *rec else { continue };
        let score = t.candidates.iter().find(|c| (c.0, c.1) == (l, r)).map(|c| c.2);
        let w = t.recognitions[r].0;
        if !t.learners[l].2 || t.recognitions[r].1 != t.learners[l].1 {
            return Err(format!("L{l} may not be placed at recognition {r}"));
        }
        match score {
            None => return Err(format!("L{l} has no candidate row for recognition {r}")),
            Some(s) if rules.min_score.is_some_and(|m| f64::from(s) < m) => return Err(format!("L{l}: below min")),
            Some(_) if rules.forbid.contains(&(l, w)) => return Err(format!("L{l}–W{w} is forbidden")),
            Some(_) => {}
        }
        seats[r] += 1;
        site[w] += 1;
        others[r] += u32::from(!t.learners[l].3);
    }
    for (r, rec) in t.recognitions.iter().enumerate() {
        if seats[r] > rec.2 {
            return Err(format!("recognition {r}: {} placed, {} seats", seats[r], rec.2));
        }
        if others[r] > rec.2 - rules.reserved.get(&r).copied().unwrap_or(0) {
            return Err(format!("recognition {r}: reserved seats taken by others"));
        }
    }
    for (w, cap) in t.capacity.iter().enumerate() {
        if cap.is_some_and(|c| site[w] > c) {
            return Err(format!("W{w}: {} placed over capacity", site[w]));
        }
    }
    for &(w, min, allow_empty) in &rules.sites {
        if site[w] < min && !(allow_empty && site[w] == 0) {
            return Err(format!("W{w}: {} placed, minimum group {min} (allow_empty {allow_empty})", site[w]));
        }
    }
    for &(s, p, min, max) in &rules.school {
        let n = at.iter().enumerate().filter(|(l, r)| r.is_some() && t.learners[*l].0 == s && t.learners[*l].1 == p);
        let n = n.count() as u32;
        if n < min || n > max {
            return Err(format!("S{s}/P{p}: {n} placed, bounds {min}..{max}"));
        }
    }
    Ok(())
}

/// The integer weight of a score, as the solvers' objective counts it (µ-units).
fn weight(score: u32) -> i128 {
    i128::from(score) * 1_000_000
}

/// A depth-first walk over every assignment, keeping the best feasible one.
struct Search<'a> {
    t: &'a Tiny,
    rules: &'a Rules,
    opts: Vec<Vec<(usize, u32)>>,
    objective: Objective,
    at: Vec<Option<usize>>,
    best: Option<(usize, i128)>,
}

impl Search<'_> {
    fn go(&mut self, l: usize, acc: (usize, i128)) {
        if l == self.at.len() {
            if feasible(self.t, self.rules, &self.at).is_ok() {
                let better = match (self.best, self.objective) {
                    (None, _) => true,
                    (Some(b), Objective::MaxFit) => acc.1 > b.1,
                    (Some(b), Objective::MaxPlaced) => acc > b,
                };
                if better {
                    self.best = Some(acc);
                }
            }
            return;
        }
        self.at[l] = None;
        self.go(l + 1, acc);
        for k in 0..self.opts[l].len() {
            let (rec, score) = self.opts[l][k];
            self.at[l] = Some(rec);
            self.go(l + 1, (acc.0 + 1, acc.1 + weight(score)));
        }
        self.at[l] = None;
    }
}

/// The best (placed, total weight) under `objective` over every feasible
/// assignment, or `None` when none is feasible.
fn brute_force(t: &Tiny, rules: &Rules, objective: Objective) -> Option<(usize, i128)> {
    let mut s = Search { t, rules, opts: options(t, rules), objective, at: vec![None; t.learners.len()], best: None };
    s.go(0, (0, 0));
    s.best
}

/// Drops one kind of constraint from a case.
type Relax = fn(&mut Rules, &mut Tiny);

/// How one case came out, for the coverage test.
#[derive(Debug, PartialEq)]
enum Outcome {
    Refused(&'static str),
    Infeasible,
    Solved,
}

/// Per learner, the recognition (row index) of a solver's placement.
fn recognitions_of(
    t: &Tiny,
    season: &dualmatch_core::Season,
    cands: &Candidates,
    placement: &[Option<u32>],
) -> Vec<Option<usize>> {
    let num = |id: &str| id[1..].parse::<usize>().unwrap();
    placement
        .iter()
        .map(|c| {
            c.map(|c| {
                let g = season.group(cands.group[c as usize]);
                let (w, p) = (num(&season.workplace(g.workplace).id), num(&season.programme(g.programme).id));
                t.recognitions.iter().position(|r| (r.0, r.1) == (w, p)).unwrap()
            })
        })
        .collect()
}

fn check(seed: u64) -> Result<Outcome, TestCaseError> {
    let (t, text) = draw(seed);
    let season = season_of(&t);
    let cands = Candidates::from_season_candidates(&season).unwrap();
    let reference = read_rules(&text, &t);
    let parsed = Constraints::parse(&text, "constraints.toml", &season);
    let (rules, cons) = match (reference, parsed) {
        (Err(why), Err(_)) => return Ok(Outcome::Refused(why)),
        (Ok(r), Ok(c)) => (r, c),
        (r, c) => {
            return Err(TestCaseError::fail(format!(
                "reference {} the file, Constraints::parse {}: {c:?}\n{text}",
                if r.is_ok() { "accepts" } else { "refuses" },
                if c.is_ok() { "accepts it" } else { "refuses it" }
            )))
        }
    };
    let rec_of = |placement: &[Option<u32>]| recognitions_of(&t, &season, &cands, placement);
    let mut outcome = Outcome::Solved;
    for objective in [Objective::MaxFit, Objective::MaxPlaced] {
        let want = brute_force(&t, &rules, objective);
        let model = PlacementModel::new(&season, &cands, &cons);
        let solved = model.as_ref().map_err(|e| e.clone()).and_then(|m| network::solve(m, objective));
        match (want, solved) {
            (None, Err(_)) => {
                if let Ok(m) = &model {
                    let lp = exact(m, objective, Solver::Lp);
                    prop_assert!(
                        matches!(lp, Err(SolveError::Infeasible(_))),
                        "LP: {:?}\n{text}",
                        lp.map(|s| s.assignment)
                    );
                }
                outcome = Outcome::Infeasible;
            }
            (Some((placed, w)), Ok(sol)) => {
                let at = rec_of(&sol.assignment.placement);
                let ok = feasible(&t, &rules, &at);
                prop_assert!(ok.is_ok(), "network result breaks a rule: {ok:?}\n{text}");
                let got = (sol.assignment.placed(), sol.assignment.total_weight(&cands));
                prop_assert_eq!(got.1, w, "network {:?} weight vs reference\n{}", objective, text);
                if objective == Objective::MaxPlaced {
                    prop_assert_eq!(got.0, placed, "network max-placed count vs reference\n{}", text);
                }
                let m = model.as_ref().unwrap();
                // The optimum of the network path carries a dual certificate
                // that proves it without the solver (max-placed: with one
                // placement bonus for the season).
                // (The two-phase test forces, in parallel, a path without one.)
                let cert = sol.proof.certificate.as_ref();
                if m.is_network() && objective == Objective::MaxFit {
                    prop_assert!(cert.is_some(), "no certificate\n{}", text);
                }
                if let (true, Some(cert)) = (m.is_network(), cert) {
                    let groups: Vec<_> =
                        sol.assignment.by_learner().map(|(_, c)| c.map(|c| cands.group_of(c))).collect();
                    let checked = certificate::check(&season, &cands, &cons, &groups, cert);
                    let bonus = i128::from(cert.bonus) * placed as i128;
                    prop_assert_eq!(checked.map(|c| c.total), Ok(w + bonus), "certificate\n{}", text);
                }
                let lp =
                    exact(m, objective, Solver::Lp).map_err(|e| TestCaseError::fail(format!("LP: {e}\n{text}")))?;
                // Proven optimal on both paths: the bound is the total.
                for (path, s) in [("network", &sol), ("LP", &lp)] {
                    let total = s.assignment.total_weight(&cands) as f64 / 1e6;
                    prop_assert!((s.proof.bound - total).abs() < 1e-6, "{path} bound {} vs {total}", s.proof.bound);
                }
                let at = rec_of(&lp.assignment.placement);
                let ok = feasible(&t, &rules, &at);
                prop_assert!(ok.is_ok(), "LP result breaks a rule: {ok:?}\n{text}");
                prop_assert_eq!(
                    lp.assignment.total_weight(&cands),
                    w,
                    "LP {:?} weight vs reference\n{}",
                    objective,
                    text
                );
                if objective == Objective::MaxPlaced {
                    prop_assert_eq!(lp.assignment.placed(), placed);
                }
            }
            (want, got) => {
                return Err(TestCaseError::fail(format!(
                    "reference {want:?}, network {:?}\n{text}",
                    got.map(|s| s.assignment.placed())
                )))
            }
        }
    }
    Ok(outcome)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn solvers_equal_the_independent_reference(seed in any::<u64>()) {
        check(seed)?;
    }
}

/// The generator reaches every outcome, and every kind of constraint changes
/// the reference optimum in some cases (so the comparison above exercises
/// each rule rather than passing by never meeting it).
#[test]
fn every_constraint_kind_binds_in_the_generated_cases() {
    let mut outcomes: HashMap<String, usize> = HashMap::new();
    let mut binds: HashMap<&str, usize> = HashMap::new();
    let mut refused: HashMap<&str, usize> = HashMap::new();
    let n = 600;
    for seed in 0..n {
        let outcome = check(seed).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let key = if matches!(outcome, Outcome::Refused(_)) { "Refused".into() } else { format!("{outcome:?}") };
        *outcomes.entry(key).or_default() += 1;
        if let Outcome::Refused(why) = outcome {
            *refused.entry(why).or_default() += 1;
        }
        let (t, text) = draw(seed);
        let Ok(rules) = read_rules(&text, &t) else { continue };
        let with = brute_force(&t, &rules, Objective::MaxFit);
        let without: [(&str, Relax); 9] = [
            ("site minimum (hard)", |r, _| r.sites.retain(|x| x.2)),
            ("site minimum (group or nobody)", |r, _| r.sites.retain(|x| !x.2)),
            ("min_score", |r, _| r.min_score = None),
            ("school floor/cap", |r, _| r.school.clear()),
            ("reserve", |r, _| r.reserved.clear()),
            ("pin", |r, _| r.pins.clear()),
            ("forbid", |r, _| r.forbid.clear()),
            ("capacity", |_, t| t.capacity.iter_mut().for_each(|c| *c = None)),
            ("screening", |_, t| t.learners.iter_mut().for_each(|l| l.2 = true)),
        ];
        for (kind, drop) in without {
            let (mut r, mut t2) = (rules.clone(), t.clone());
            drop(&mut r, &mut t2);
            if brute_force(&t2, &r, Objective::MaxFit) != with {
                *binds.entry(kind).or_default() += 1;
            }
        }
    }
    eprintln!("outcomes of {n} cases: {outcomes:?} (refused: {refused:?}); a constraint kind changed the optimum in: {binds:?}");
    let solved = outcomes.get("Solved").copied().unwrap_or(0);
    // Infeasible and refused cases are compared too (both sides must say so),
    // but most cases should reach an optimum.
    assert!(solved * 5 >= n as usize * 2, "only {solved} of {n} cases solved: {outcomes:?}");
    assert!(outcomes.get("Infeasible").is_some_and(|&k| k >= 10), "{outcomes:?}");
    assert!(outcomes.get("Refused").is_some_and(|&k| k >= 10), "{outcomes:?}");
    for kind in [
        "min_score",
        "school floor/cap",
        "reserve",
        "pin",
        "forbid",
        "capacity",
        "screening",
        "site minimum (hard)",
        "site minimum (group or nobody)",
    ] {
        assert!(binds.get(kind).is_some_and(|&k| k >= 10), "{kind} changes the optimum in too few cases: {binds:?}");
    }
}

/// A drawn case whose constraints file both the reference and
/// `Constraints::parse` accept.
struct Case {
    t: Tiny,
    text: String,
    season: dualmatch_core::Season,
    cands: Candidates,
    rules: Rules,
    cons: Constraints,
}

fn valid_case(seed: u64) -> Option<Case> {
    let (t, text) = draw(seed);
    let season = season_of(&t);
    let cands = Candidates::from_season_candidates(&season).unwrap();
    let rules = read_rules(&text, &t).ok()?;
    let cons = Constraints::parse(&text, "c.toml", &season).ok()?;
    Some(Case { t, text, season, cands, rules, cons })
}

/// The two-phase max-placed solve (first the largest number placed, then the
/// best score with the unplaced limited), which the solver takes only for
/// national-size components, forced on tiny seasons: the same count, weight
/// and proof as the one-phase solve, and the reference's optimum.
#[test]
fn two_phase_max_placed_equals_one_phase_and_the_reference() {
    use std::sync::atomic::Ordering;
    let hook = &network::TWO_PHASE;
    let (n, mut compared) = (500, 0);
    for seed in 0..n {
        let Some(Case { t, text, season, cands, rules, cons }) = valid_case(seed) else { continue };
        let Ok(m) = PlacementModel::new(&season, &cands, &cons) else { continue };
        let one = network::solve(&m, Objective::MaxPlaced);
        let before = hook.runs.load(Ordering::Relaxed);
        hook.force.store(true, Ordering::Relaxed);
        let two = network::solve(&m, Objective::MaxPlaced);
        hook.force.store(false, Ordering::Relaxed);
        let want = brute_force(&t, &rules, Objective::MaxPlaced);
        match (one, two, want) {
            (Err(_), Err(_), None) => {}
            (Ok(one), Ok(two), Some((placed, w))) => {
                let ran = hook.runs.load(Ordering::Relaxed) > before;
                // Components with "a group or nobody" take the mixed-integer path instead.
                assert!(ran || m.arc_count() == 0 || !m.is_network(), "seed {seed}: the two-phase path did not run");
                let key = |s: &network::Solved| (s.assignment.placed(), s.assignment.total_weight(&cands));
                assert_eq!(key(&two), (placed, w), "seed {seed}: two-phase vs reference\n{text}");
                assert_eq!(key(&one), key(&two), "seed {seed}: one-phase vs two-phase\n{text}");
                assert_eq!(one.proof.max_placeable, two.proof.max_placeable, "seed {seed}");
                assert!((one.proof.bound - two.proof.bound).abs() < 1e-9, "seed {seed}: dual bounds differ");
                let at = recognitions_of(&t, &season, &cands, &two.assignment.placement);
                assert_eq!(feasible(&t, &rules, &at), Ok(()), "seed {seed}: two-phase result\n{text}");
                let lp = exact(&m, Objective::MaxPlaced, Solver::Lp).unwrap();
                assert_eq!(
                    (lp.assignment.placed(), lp.assignment.total_weight(&cands)),
                    (placed, w),
                    "seed {seed}: LP"
                );
                compared += 1;
            }
            (one, two, want) => panic!(
                "seed {seed}: one-phase {:?}, two-phase {:?}, reference {want:?}\n{text}",
                one.map(|s| s.assignment.placed()),
                two.map(|s| s.assignment.placed())
            ),
        }
    }
    assert!(compared * 5 >= n as usize * 2, "only {compared} of {n} cases compared");
}

/// "A group or nobody" under a time limit too short to search: the result
/// still meets every rule (the reference accepts it), and the bound is at
/// least the true optimum (so the gap is honest) and at least the total.
#[test]
fn a_time_limit_keeps_a_feasible_placement_and_an_upper_bound() {
    let (n, mut compared, mut no_start) = (2000, 0, 0);
    for seed in 0..n {
        let Some(Case { t, text, season, cands, rules, cons }) = valid_case(seed) else { continue };
        let Ok(m) = PlacementModel::new(&season, &cands, &cons) else { continue };
        if m.is_network() {
            continue;
        }
        let limited =
            network::solve_within(&m, Objective::MaxFit, network::Pricing::default(), Some(Duration::from_nanos(1)));
        match (limited, brute_force(&t, &rules, Objective::MaxFit)) {
            (Ok(sol), Some((_, best))) => {
                let at = recognitions_of(&t, &season, &cands, &sol.assignment.placement);
                assert_eq!(feasible(&t, &rules, &at), Ok(()), "seed {seed}\n{text}");
                let total = sol.assignment.total_weight(&cands);
                assert!(total <= best, "seed {seed}");
                let bound = (sol.proof.bound * 1e6).round() as i128;
                assert!(bound >= best && bound >= total, "seed {seed}: bound {bound} below the optimum {best}\n{text}");
                compared += 1;
            }
            (Err(_), None) => {}
            // Neither every such site closed nor every one at its minimum
            // is feasible, so the solver had no placement to start from.
            (Err(e), Some(_)) if e.conflicts.iter().all(|c| matches!(c, Conflict::Solver(_))) => no_start += 1,
            (got, want) => panic!("seed {seed}: {:?} vs reference {want:?}\n{text}", got.map(|s| s.assignment)),
        }
    }
    eprintln!("{compared} cases compared, {no_start} without a starting placement");
    assert!(compared >= 40 && no_start * 10 <= compared, "{compared} cases compared, {no_start} without a start");
}
