//! Mentors and rhythms (issue 18): the network path (mentors, equal
//! rhythms) and the mixed-integer path (different rhythms) against an
//! independent brute force that enumerates every assignment, mentor choice
//! included, and checks seats and capacities day by day itself.

mod common;

use common::{for_each_choice, TinyLearner, TinySeason};
use dualmatch_core::rhythm::Days;
use dualmatch_core::scoring::Candidates;
use dualmatch_core::season::doc::{MentorRec, SeasonDoc};
use dualmatch_core::season::{from_doc, Season};
use dualmatch_core::LearnerId;
use dualmatch_optimiser::model::weight;
use dualmatch_optimiser::network::{self, MIXED_METHOD};
use dualmatch_optimiser::policies::rng::SplitMix64;
use dualmatch_optimiser::solve::exact_within;
use dualmatch_optimiser::{Constraints, Objective, PlacementModel, Solver};

const PATTERNS: [&str; 5] = ["mon;tue", "wed;thu", "tue;wed", "mon1;tue1;wed2", "mon;tue;wed;thu;fri"];

/// One placement option: (group, weight, mentor index or none).
type Choice = (usize, i64, Option<usize>);

/// The best (placed, weight) over every assignment with a mentor for each
/// learner at a site with mentors, seats and capacities checked per day.
fn brute_force(s: &Season, c: &Candidates, objective: Objective) -> (usize, i128) {
    brute_force_forced(s, c, objective, None)
}

/// [`brute_force`] over the assignments that place learner `l` on candidate
/// `i` (`forced = Some((l, i))`); `(0, i128::MIN)` when there is none.
fn brute_force_forced(
    s: &Season,
    c: &Candidates,
    objective: Objective,
    forced: Option<(usize, usize)>,
) -> (usize, i128) {
    // Per learner: options (group, candidate weight, mentor index or none).
    let mut options: Vec<Vec<Option<Choice>>> = Vec::new();
    for li in 0..s.learners().len() {
        let l = LearnerId::from_index(li);
        let only = forced.filter(|f| f.0 == li).map(|f| f.1);
        let mut opts = if only.is_some() { vec![] } else { vec![None] };
        for i in c.of(l).filter(|&i| only.is_none_or(|o| o == i)) {
            let g = c.group[i];
            let w = s.group(g).workplace;
            let mentors = s.mentors_of_workplace(w);
            let wt = weight(c.score[i]);
            if mentors.is_empty() {
                opts.push(Some((g.index(), wt, None)));
            }
            for &k in mentors {
                let m = s.mentor(k);
                let recognised = m.programmes.is_empty() || m.programmes.contains(&s.learner(l).programme);
                let present = (0..12).all(|d| !s.days_of(l).has(d) || m.days.has(d));
                if recognised && present {
                    opts.push(Some((g.index(), wt, Some(k.index()))));
                }
            }
        }
        options.push(opts);
    }
    let sizes: Vec<usize> = options.iter().map(Vec::len).collect();
    let (mut fit, mut lex) = (i128::MIN, (0usize, i128::MIN));
    for_each_choice(&sizes, |choice| {
        let mut per_group = vec![[0u32; 12]; s.groups().len()];
        let mut per_site = vec![[0u32; 12]; s.workplaces().len()];
        let mut load = vec![0u32; s.mentors().len()];
        let (mut placed, mut total) = (0usize, 0i128);
        for (li, &k) in choice.iter().enumerate() {
            let Some((g, wt, mentor)) = options[li][k] else { continue };
            placed += 1;
            total += i128::from(wt);
            let w = s.groups()[g].workplace.index();
            for d in 0..12 {
                if s.days_of(LearnerId::from_index(li)).has(d) {
                    per_group[g][d] += 1;
                    per_site[w][d] += 1;
                }
            }
            if let Some(m) = mentor {
                load[m] += 1;
            }
        }
        let seats_ok = s.groups().iter().enumerate().all(|(g, grp)| per_group[g].iter().all(|&n| n <= grp.seats));
        let cap_ok = s
            .workplaces()
            .iter()
            .enumerate()
            .all(|(w, site)| site.capacity.is_none_or(|cap| per_site[w].iter().all(|&n| n <= cap)));
        let load_ok = s.mentors().iter().enumerate().all(|(k, m)| load[k] <= m.max_learners);
        if seats_ok && cap_ok && load_ok {
            fit = fit.max(total);
            lex = lex.max((placed, total));
        }
    });
    match objective {
        Objective::MaxFit => (0, fit),
        Objective::MaxPlaced => lex,
    }
}

/// A random tiny season with mentors and rhythms; `equal`: every learner
/// the same rhythm.
fn random_doc(seed: u64, equal: bool) -> SeasonDoc {
    let mut r = SplitMix64::new(seed);
    let nl = 3 + r.below(3) as usize;
    let nw = 2 + r.below(2) as usize;
    let learners = (0..nl)
        .map(|_| TinyLearner {
            school: r.below(2) as usize,
            programme: r.below(2) as usize,
            passed: true,
            priority: false,
            readiness: 2,
            prefs: vec![],
        })
        .collect::<Vec<_>>();
    let workplaces =
        (0..nw).map(|_| (if r.below(3) == 0 { Some(1 + r.below(2) as u32) } else { None }, vec![])).collect();
    let mut recognitions = Vec::new();
    for w in 0..nw {
        for p in 0..2 {
            if r.below(3) > 0 {
                recognitions.push((w, p, 1 + r.below(2) as u32));
            }
        }
    }
    let mut candidates = Vec::new();
    for (l, lr) in learners.iter().enumerate() {
        for (ri, &(_, p, _)) in recognitions.iter().enumerate() {
            if p == lr.programme && r.below(4) > 0 {
                candidates.push((l, ri, 10 + r.below(50) as u32));
            }
        }
    }
    let t = TinySeason {
        programmes: 2,
        schools: 2,
        learners,
        workplaces,
        recognitions: recognitions.clone(),
        candidates,
        lon_step: 0.0,
        max_commute_km: 50.0,
    };
    let mut doc = t.doc();
    let shared = PATTERNS[r.below(PATTERNS.len() as u64) as usize];
    for l in &mut doc.learners {
        let p = if equal { shared } else { PATTERNS[r.below(PATTERNS.len() as u64) as usize] };
        l.rhythm = Some(p.to_string());
    }
    let mut mentors = Vec::new();
    for w in 0..nw {
        // Some sites keep the plain capacity meaning.
        let count = r.below(3);
        for k in 0..count {
            let programmes = match r.below(3) {
                0 => vec![],
                _ => recognitions
                    .iter()
                    .filter(|&&(rw, _, _)| rw == w)
                    .take(1)
                    .map(|&(_, p, _)| format!("P{p}"))
                    .collect(),
            };
            let days = match r.below(3) {
                0 => None,
                _ => Some(PATTERNS[r.below(PATTERNS.len() as u64) as usize].to_string()),
            };
            mentors.push(MentorRec {
                id: format!("M{w}{k}"),
                workplace: format!("W{w}"),
                programmes,
                max_learners: r.below(3) as u32,
                days,
                row: 0,
            });
        }
    }
    doc.mentors = Some(mentors);
    doc
}

fn season(doc: SeasonDoc) -> Season {
    from_doc(doc).expect("valid season").season
}

/// (placed, weight) of a solve, checked against the model.
fn solved(m: &PlacementModel, objective: Objective, solver: Solver) -> (usize, i128, &'static str) {
    let sol = exact_within(m, objective, solver, None).expect("feasible");
    sol.assignment.check(m).expect("the placement honours the model");
    dualmatch_optimiser::mentors::assign(m, &sol.assignment).expect("every learner has a mentor");
    (sol.assignment.placed(), sol.assignment.total_weight(m.candidates), sol.proof.method)
}

#[test]
fn network_path_with_mentors_matches_brute_force() {
    let mut mentored = 0;
    for seed in 0..60 {
        let s = season(random_doc(seed, true));
        mentored += usize::from(!s.mentors().is_empty());
        let c = Candidates::from_season_candidates(&s).unwrap();
        let k = Constraints::none();
        let m = PlacementModel::new(&s, &c, &k).unwrap();
        assert!(!m.rhythms_differ());
        for objective in [Objective::MaxFit, Objective::MaxPlaced] {
            let (placed, total, method) = solved(&m, objective, Solver::Auto);
            assert_eq!(method, "network-simplex", "seed {seed}");
            let (bp, bt) = brute_force(&s, &c, objective);
            assert_eq!(total, bt, "seed {seed} {objective:?}");
            if objective == Objective::MaxPlaced {
                assert_eq!(placed, bp, "seed {seed}");
            }
            // The mixed-integer model agrees where rhythms are equal.
            let (mp, mt, mmethod) = solved(&m, objective, Solver::Lp);
            assert_ne!(mmethod, "network-simplex");
            assert_eq!((mt, objective == Objective::MaxPlaced && mp != placed), (total, false), "seed {seed}");
        }
    }
    assert!(mentored > 30);
}

#[test]
fn mixed_integer_path_with_rhythms_matches_brute_force() {
    let mut mip = 0;
    for seed in 100..150 {
        let s = season(random_doc(seed, false));
        let c = Candidates::from_season_candidates(&s).unwrap();
        let k = Constraints::none();
        let m = PlacementModel::new(&s, &c, &k).unwrap();
        for objective in [Objective::MaxFit, Objective::MaxPlaced] {
            let (placed, total, method) = solved(&m, objective, Solver::Auto);
            mip += usize::from(method == MIXED_METHOD);
            let (bp, bt) = brute_force(&s, &c, objective);
            assert_eq!(total, bt, "seed {seed} {objective:?}");
            if objective == Objective::MaxPlaced {
                assert_eq!(placed, bp, "seed {seed}");
            }
        }
    }
    assert!(mip > 40, "{mip} solves took the mixed-integer path");
}

/// Checks that `placed` honours the model, mentors included.
fn check_placed(m: &PlacementModel, placed: &[(LearnerId, dualmatch_optimiser::model::ModelArc)]) {
    let mut placement = vec![None; m.learner_count()];
    for &(l, a) in placed {
        placement[l.index()] = Some(m.candidate_of(a));
    }
    let assignment = dualmatch_optimiser::model::Assignment::from_candidates(placement);
    assignment.check(m).expect("the placement honours the model");
    dualmatch_optimiser::mentors::assign(m, &assignment).expect("every learner placed has a mentor");
}

/// The Lagrangian relaxation of the mixed-integer path (`lagrange.rs`, used
/// with microlp, which gives no duals) on tiny seasons against the brute
/// force: its bound is at least the optimum, its floor is a feasible
/// placement worth at most the optimum, and every arc it leaves out is on
/// no placement worth the floor (the brute force with that arc forced).
#[test]
fn lagrangian_fixing_leaves_out_only_arcs_below_the_floor() {
    use dualmatch_optimiser::lagrange::{relax, Part};
    let (mut out, mut below) = (0, 0);
    for seed in 300..500 {
        let s = season(random_doc(seed, false));
        let c = Candidates::from_season_candidates(&s).unwrap();
        let k = Constraints::none();
        let m = PlacementModel::new(&s, &c, &k).unwrap();
        let all: Vec<LearnerId> = (0..m.learner_count()).map(LearnerId::from_index).collect();
        for objective in [Objective::MaxFit, Objective::MaxPlaced] {
            let unit = |l: LearnerId, a| if objective == Objective::MaxFit { m.weight_of(l, a) } else { 1_000_000 };
            let value = |(placed, total): (usize, i128)| match objective {
                Objective::MaxFit => total,
                _ if total == i128::MIN => i128::MIN,
                _ => placed as i128 * 1_000_000,
            };
            let best = value(brute_force(&s, &c, objective));
            let part = Part { m: &m, learners: &all, value: &unit, at_least: None, heuristics: true };
            let r = relax(&part, None, None).expect("nobody placed is a floor here");
            // Again from the heuristics' floor less its least valued
            // placement (still feasible: nothing here asks for a
            // placement), without the heuristics: a floor below the optimum.
            let mut weaker = r.floor.0.clone();
            if let Some(i) = (0..weaker.len()).min_by_key(|&i| unit(weaker[i].0, weaker[i].1)) {
                weaker.remove(i);
            }
            let worth: i128 = weaker.iter().map(|&(l, a)| i128::from(unit(l, a))).sum();
            let plain = Part { heuristics: false, ..part };
            let r2 = relax(&plain, Some((weaker, worth)), None).expect("a floor is given");
            for r in [&r, &r2] {
                assert!(r.bound >= best, "seed {seed} {objective:?}: bound {} below the optimum {best}", r.bound);
                check_placed(&m, &r.floor.0);
                let floor: i128 = r.floor.0.iter().map(|&(l, a)| i128::from(unit(l, a))).sum();
                assert_eq!(floor, r.floor.1, "seed {seed}");
                assert!(floor <= best, "seed {seed}");
                for a in r.left_out(r.floor.1, &r.floor.0) {
                    let l = all.iter().copied().find(|&l| m.arcs(l).any(|b| b == a)).unwrap();
                    let forced = Some((l.index(), m.candidate_of(a).index()));
                    let with = value(brute_force_forced(&s, &c, objective, forced));
                    assert!(
                        with < floor,
                        "seed {seed} {objective:?}: an arc worth {with} left out below the floor {floor}"
                    );
                    out += 1;
                    below += usize::from(floor < best);
                }
            }
        }
    }
    assert!(out > 50, "only {out} arcs were left out");
    assert!(below > 20, "only {below} arcs were left out against a floor below the optimum");
}

/// Two learners of two schools, one site with `seats` seats for their
/// programme and the given mentors (workload, days).
fn two_schools(rhythms: [&str; 2], seats: u32, mentors: &[(u32, Option<&str>)]) -> Season {
    two_schools_scored(rhythms, seats, mentors, [50, 40])
}

/// [`two_schools`] with the two learners' scores at the site.
fn two_schools_scored(rhythms: [&str; 2], seats: u32, mentors: &[(u32, Option<&str>)], scores: [u32; 2]) -> Season {
    let t = TinySeason {
        programmes: 1,
        schools: 2,
        learners: (0..2)
            .map(|school| TinyLearner {
                school,
                programme: 0,
                passed: true,
                priority: false,
                readiness: 2,
                prefs: vec![],
            })
            .collect(),
        workplaces: vec![(None, vec![])],
        recognitions: vec![(0, 0, seats)],
        candidates: vec![(0, 0, scores[0]), (1, 0, scores[1])],
        lon_step: 0.0,
        max_commute_km: 50.0,
    };
    let mut doc = t.doc();
    for (s, r) in doc.schools.iter_mut().zip(rhythms) {
        s.rhythm = Some(r.to_string());
    }
    doc.mentors = Some(
        mentors
            .iter()
            .enumerate()
            .map(|(k, &(max_learners, days))| MentorRec {
                id: format!("M{k}"),
                workplace: "W0".into(),
                programmes: vec![],
                max_learners,
                days: days.map(str::to_string),
                row: 0,
            })
            .collect(),
    );
    season(doc)
}

fn placed_with_mentors(s: &Season) -> (usize, Vec<Option<String>>) {
    let c = Candidates::from_season_candidates(s).unwrap();
    let k = Constraints::none();
    let m = PlacementModel::new(s, &c, &k).unwrap();
    let sol = network::solve(&m, Objective::MaxPlaced).unwrap();
    sol.assignment.check(&m).unwrap();
    let mentors = dualmatch_optimiser::mentors::assign(&m, &sol.assignment).unwrap();
    (sol.assignment.placed(), mentors.iter().map(|k| k.map(|k| s.mentor(k).id.clone())).collect())
}

#[test]
fn complementary_rhythms_share_one_seat() {
    let all_week = [(2, None)];
    assert_eq!(placed_with_mentors(&two_schools(["mon;tue", "wed;thu"], 1, &all_week)).0, 2);
    assert_eq!(placed_with_mentors(&two_schools(["mon;tue", "mon;tue"], 1, &all_week)).0, 1);
    assert_eq!(placed_with_mentors(&two_schools(["mon;tue", "tue;wed"], 1, &all_week)).0, 1);
    // Odd and even weeks of the same days are complementary too.
    assert_eq!(placed_with_mentors(&two_schools(["mon1;tue1", "mon2;tue2"], 1, &all_week)).0, 2);
}

#[test]
fn mentor_workload_limits_the_site() {
    let (placed, mentors) = placed_with_mentors(&two_schools(["mon;tue", "mon;tue"], 2, &[(1, None)]));
    assert_eq!(placed, 1);
    assert_eq!(mentors.iter().flatten().count(), 1);
    let (placed, mentors) = placed_with_mentors(&two_schools(["mon;tue", "mon;tue"], 2, &[(1, None), (1, None)]));
    assert_eq!(placed, 2);
    assert_eq!(mentors, vec![Some("M0".to_string()), Some("M1".to_string())]);
}

#[test]
fn a_mentor_must_be_present_on_all_the_learners_days() {
    // The mentor is there on Monday and Tuesday only: the learner at work
    // on Wednesday and Thursday cannot be guided.
    let (placed, mentors) = placed_with_mentors(&two_schools(["mon;tue", "wed;thu"], 2, &[(2, Some("mon;tue"))]));
    assert_eq!(placed, 1);
    assert_eq!(mentors, vec![Some("M0".to_string()), None]);
    assert_eq!(Days::parse("wed;thu").unwrap().to_string(), "wed;thu");
}

/// The policies that meet mentors and rhythms honour them on random tiny
/// seasons (seats and capacities day by day, a mentor for every learner at a
/// site with mentors: `Assignment::check`), and the others are refused with
/// a conflict that names the policies that do.
#[test]
fn policies_that_meet_mentors_honour_them_and_the_others_are_refused() {
    use dualmatch_optimiser::infeasible::Conflict;
    use dualmatch_optimiser::policies::{allocate_with, by_name, Improve, Lottery, TieBreak, ALL};
    let (mut placements, mut refused) = (0usize, 0usize);
    for seed in 200..320 {
        let s = season(random_doc(seed, seed % 4 == 0));
        let c = Candidates::from_season_candidates(&s).unwrap();
        let k = Constraints::none();
        let m = PlacementModel::new(&s, &c, &k).unwrap();
        let best = exact_within(&m, Objective::MaxPlaced, Solver::Auto, None).unwrap().assignment.placed();
        for name in ALL {
            let policy = by_name(name).unwrap();
            for improve in [Improve::None, Improve::Pareto] {
                let draw = Lottery { seed, tie_break: TieBreak::Single };
                match allocate_with(policy.as_ref(), &m, draw, improve) {
                    Ok(a) => {
                        assert!(policy.meets_mentors() && improve == Improve::None, "{name} {improve:?} seed {seed}");
                        a.check(&m).unwrap_or_else(|e| panic!("{name} seed {seed}: {e}"));
                        assert!(a.placed() <= best, "{name} seed {seed}");
                        placements += a.placed();
                    }
                    Err(e) => {
                        assert!(!policy.meets_mentors() || improve != Improve::None, "{name} seed {seed}: {e:?}");
                        assert!(
                            matches!(&e.conflicts[..], [Conflict::Unsupported(msg)] if msg.contains("stable, ")),
                            "{e:?}"
                        );
                        refused += 1;
                    }
                }
            }
        }
    }
    assert!(placements > 1000 && refused > 1000, "{placements} placements, {refused} refusals");
}

/// Deferred acceptance with one mentor of workload 1: the site keeps the
/// learner it ranks first (the higher score) whichever proposed first, and
/// a learner whose days no mentor covers is not placed.
#[test]
fn stable_gives_the_scarce_mentor_to_the_site_s_first_choice() {
    use dualmatch_optimiser::policies::{allocate, Stable};
    for (mentors, scores, want) in [
        (&[(1, None)][..], [50, 40], vec![true, false]),
        (&[(1, None)][..], [40, 50], vec![false, true]),
        (&[(1, None), (1, None)][..], [40, 50], vec![true, true]),
        (&[(2, Some("wed;thu"))][..], [50, 40], vec![false, true]),
    ] {
        let s = two_schools_scored(["mon;tue", "wed;thu"], 2, mentors, scores);
        let c = Candidates::from_season_candidates(&s).unwrap();
        let k = Constraints::none();
        let m = PlacementModel::new(&s, &c, &k).unwrap();
        for seed in 0..8 {
            let a = allocate(&Stable { ties: None }, &m, seed, false).unwrap();
            a.check(&m).unwrap();
            let placed: Vec<bool> = a.placement.iter().map(Option::is_some).collect();
            assert_eq!(placed, want, "{mentors:?} seed {seed}");
        }
    }
}

/// Rhythm advice re-solves only the components of the mover's learners,
/// and none when the base places all of them: the same advice as
/// re-solving the whole season for every try.
#[test]
fn rhythm_advice_by_components_is_the_advice_by_whole_solves() {
    let (mut advised, mut compared) = (0, 0);
    for seed in 300..420 {
        let s = season(random_doc(seed, false));
        let c = Candidates::from_season_candidates(&s).unwrap();
        let k = Constraints::none();
        let m = PlacementModel::new(&s, &c, &k).unwrap();
        let fast = dualmatch_optimiser::rhythm_advice::advise(&m, None).expect("advice");
        let plain = dualmatch_optimiser::rhythm_advice::advise_by_whole_solves(&m, None).expect("advice");
        assert_eq!(fast, plain, "seed {seed}");
        compared += 1;
        advised += usize::from(!fast.is_empty());
    }
    assert!(advised >= 5, "{advised} of {compared} seasons had advice");
}

/// The mixed-integer model with reduced-cost fixing against the brute force
/// and against the same model without fixing. HiGHS: a short search on each
/// learner's best arc gives the floor, the LP's reduced costs leave out the
/// arcs no placement worth the floor uses. microlp, which gives no reduced
/// costs: the Lagrangian relaxation's (`lagrange.rs`), from nobody placed
/// or the start.
#[test]
fn reduced_cost_fixing_keeps_the_optimum() {
    use dualmatch_optimiser::mip::{Goal, MipProblem};
    let mut fixed = 0;
    for seed in 200..260 {
        let s = season(random_doc(seed, false));
        let c = Candidates::from_season_candidates(&s).unwrap();
        let k = Constraints::none();
        let m = PlacementModel::new(&s, &c, &k).unwrap();
        let all: Vec<LearnerId> = (0..m.learner_count()).map(LearnerId::from_index).collect();
        for (goal, objective) in [(Goal::Max, Objective::MaxFit), (Goal::PlacedThenMax, Objective::MaxPlaced)] {
            let (bp, bt) = brute_force(&s, &c, objective);
            let fixing = MipProblem::new(&m, all.clone()).short_list(1).solve(goal, None).expect("feasible");
            let plain = MipProblem::new(&m, all.clone()).fixing(false).solve(goal, None).expect("feasible");
            assert_eq!(plain.fixed, 0, "seed {seed}");
            for sol in [&fixing, &plain] {
                assert!(sol.proven, "seed {seed}");
                check_placed(&m, &sol.placed);
                let total: i128 = sol.placed.iter().map(|&(l, a)| i128::from(m.weight_of(l, a))).sum();
                assert_eq!(total, bt, "seed {seed} {goal:?} (fixed {})", sol.fixed);
                if goal == Goal::PlacedThenMax {
                    assert_eq!(sol.placed.len(), bp, "seed {seed}");
                }
            }
            fixed += fixing.fixed;
        }
    }
    assert!(fixed > 20, "reduced-cost fixing left out only {fixed} arcs");
}
