//! The façade against the layers it composes: the same optimum as the
//! optimiser's own network solve, the same policy results as the policy
//! trait, thread counts that do not change results, and typed errors.

use dualmatch::optimiser::{network, policies, Objective, PlacementModel};
use dualmatch::{Constraints, Engine, Error, Policy, PreviousPlacement, RematchOptions, Season};

#[path = "../../../tests/common/plain.rs"]
mod plain;

/// The sample season without its mentors and rhythms: these tests compare
/// the façade with the network solve and the policies on whole-week seats.
fn sample() -> Season {
    Season::load(plain::plain_sample()).expect("the sample season loads")
}

#[test]
fn exact_policies_equal_the_network_solve_and_carry_a_proof() {
    let season = sample();
    for (policy, objective) in [(Policy::MaxFit, Objective::MaxFit), (Policy::MaxPlaced, Objective::MaxPlaced)] {
        let engine = Engine::new(&season).policy(policy);
        let run = engine.solve().unwrap();
        let none = Constraints::none();
        let m = PlacementModel::new(&season, engine.candidates().unwrap(), &none).unwrap();
        let direct = network::solve(&m, objective).unwrap();
        assert_eq!(run.assignment(), &direct.assignment, "{policy}");
        let proof = run.proof().expect("an exact policy has a proof");
        assert_eq!(proof.bound, direct.proof.bound);
        assert!(run.gap().unwrap().abs() < 1e-6, "{policy}: gap {:?}", run.gap());
        // The typed view reads the same placements as the raw assignment.
        let raw: Vec<(usize, u32)> =
            direct.assignment.placement.iter().enumerate().filter_map(|(l, p)| p.map(|c| (l, c))).collect();
        let viewed: Vec<(usize, u32)> =
            run.placements().map(|p| (p.learner().index(), p.candidate_index() as u32)).collect();
        assert_eq!(raw, viewed);
        for p in run.placements().take(50) {
            assert_eq!(p.learner_id(), season.learner(p.learner()).id);
            assert_eq!(p.workplace_id(), season.workplace(season.group(p.group()).workplace).id);
            assert_eq!(p.score(), engine.candidates().unwrap().score[p.candidate_index()]);
        }
    }
}

#[test]
fn other_policies_equal_the_policy_trait_and_have_no_proof() {
    let season = sample();
    for policy in [Policy::Stable, Policy::Greedy, Policy::FirstCome] {
        let engine = Engine::new(&season).policy(policy).seed(5);
        let run = engine.solve().unwrap();
        assert!(run.proof().is_none() && run.gap().is_none(), "{policy}");
        let none = Constraints::none();
        let m = PlacementModel::new(&season, engine.candidates().unwrap(), &none).unwrap();
        let direct = policies::allocate(policy.implementation().as_ref(), &m, 5, false).unwrap();
        assert_eq!(run.assignment(), &direct, "{policy}");
    }
}

#[test]
fn thread_counts_do_not_change_results() {
    let season = sample();
    let one = Engine::new(&season).threads(1);
    let two = Engine::new(&season).threads(2);
    assert_eq!(one.solve().unwrap().assignment(), two.solve().unwrap().assignment());
    let ps = [Policy::MaxFit, Policy::RandomSerial];
    let a: Vec<_> = one
        .compare(&ps, 3, 1)
        .unwrap()
        .into_iter()
        .map(|r| (r.policy, r.seed, r.result.map(|m| m.placed).ok()))
        .collect();
    let b: Vec<_> = two
        .compare(&ps, 3, 1)
        .unwrap()
        .into_iter()
        .map(|r| (r.policy, r.seed, r.result.map(|m| m.placed).ok()))
        .collect();
    assert_eq!(a, b);
    assert_eq!(a.len(), 4);
    assert_eq!(a[1].1, Some(1));
    assert_eq!(a[3].1, Some(3));
}

#[test]
fn rematch_keeps_valid_placements_and_reports_the_leaver() {
    let season = sample();
    let engine = Engine::new(&season);
    let first = engine.solve().unwrap();
    let previous: Vec<PreviousPlacement> = first
        .placements()
        .map(|p| PreviousPlacement {
            learner: p.learner_id().into(),
            workplace: p.workplace_id().into(),
            programme: p.programme_id().into(),
        })
        .collect();
    let leaver = first.placements().next().unwrap();
    let text = format!("event,learner,workplace,programme,seats\nlearner_left,{},,,\n", leaver.learner_id());
    let changes = engine.parse_changes(&text, "changes.csv").unwrap();
    let r = engine.rematch(&previous, &changes, RematchOptions::default()).unwrap();
    assert_eq!(r.plan().pinned(), previous.len() - 1);
    assert!(r.placements().of(leaver.learner()).is_none());
    let lost: Vec<_> =
        r.changes().iter().filter(|c| c.kind == dualmatch::ChangeKind::Lost).map(|c| c.learner).collect();
    assert_eq!(lost, vec![leaver.learner()]);
    // Every other earlier placement is kept where it was.
    assert_eq!(r.kept(), previous.len() - 1);
}

#[test]
fn errors_are_typed() {
    let season = sample();
    let engine = Engine::new(&season);
    let bad = engine.parse_changes("event,learner\nlearner_left,NOPE\n", "changes.csv").unwrap_err();
    assert!(matches!(bad, Error::Changes(_)) && bad.is_input(), "{bad:?}");
    assert!(bad.to_string().contains("changes.csv:2"), "{bad}");
    let unknown = engine.explain("NOPE", 3).unwrap_err();
    assert!(matches!(unknown, Error::UnknownLearner(_)));
    let cons =
        Engine::new(&season).constraints_toml("[[school]]\nschool = \"NOPE\"\nmin = 1\n", "c.toml").err().unwrap();
    assert!(matches!(cons, Error::Constraints(_)) && cons.is_input(), "{cons:?}");
    assert!(Season::load("/nonexistent/season").is_err());
}

#[test]
fn floors_under_a_policy_that_cannot_meet_them_are_refused() {
    let season = sample();
    let s0 = &season.schools()[0].id;
    let p0 = &season.programmes()[0].id;
    let toml = format!("[[school]]\nschool = \"{s0}\"\nprogramme = \"{p0}\"\nmin = 1\n");
    let stable = Engine::new(&season).policy(Policy::Stable).constraints_toml(&toml, "c.toml").unwrap();
    let err = stable.solve().err().expect("stable cannot guarantee floors");
    assert!(matches!(err, Error::Unsupported { policy: Policy::Stable, floors: 1 }) && err.is_input(), "{err:?}");
    let exact = Engine::new(&season).policy(Policy::MaxFit).constraints_toml(&toml, "c.toml").unwrap();
    assert!(!matches!(exact.solve(), Err(Error::Unsupported { .. })));
}

#[test]
fn minimum_group_sizes_are_refused_under_a_policy_that_cannot_meet_them_and_verified_otherwise() {
    let season = sample();
    let w = &season.workplaces()[0].id;
    let toml = format!("[[site]]\nworkplace = \"{w}\"\nmin = 1\n");
    let stable = Engine::new(&season).policy(Policy::Stable).constraints_toml(&toml, "c.toml").unwrap();
    let err = stable.solve().err().expect("stable cannot guarantee group sizes");
    assert!(matches!(err, Error::Unsupported { policy: Policy::Stable, floors: 1 }) && err.is_input(), "{err:?}");
    // The rank-profile policies meet school floors but not group sizes: only
    // the [[site]] entry is counted against them.
    let s0 = &season.schools()[0].id;
    let p0 = &season.programmes()[0].id;
    let both = format!("{toml}\n[[school]]\nschool = \"{s0}\"\nprogramme = \"{p0}\"\nmin = 1\n");
    let rank = Engine::new(&season).policy(Policy::RankMaximal).constraints_toml(&both, "c.toml").unwrap();
    let err = rank.solve().err().expect("rank-maximal cannot guarantee group sizes");
    assert!(matches!(err, Error::Unsupported { policy: Policy::RankMaximal, floors: 1 }) && err.is_input(), "{err:?}");
    let floors_only = format!("[[school]]\nschool = \"{s0}\"\nprogramme = \"{p0}\"\nmin = 1\n");
    let rank = Engine::new(&season).policy(Policy::RankMaximal).constraints_toml(&floors_only, "c.toml").unwrap();
    assert!(!matches!(rank.solve(), Err(Error::Unsupported { .. })));
    // With max-fit the minimum holds, and the proof carries a certificate.
    let exact = Engine::new(&season).policy(Policy::MaxFit).constraints_toml(&toml, "c.toml").unwrap();
    match exact.solve() {
        Ok(run) => {
            assert!(run.placements().any(|p| p.workplace_id() == w), "nobody at {w}");
            assert!(run.proof().is_some_and(|p| p.certificate.is_some()));
            assert_eq!(run.gap(), Some(0.0));
        }
        // The site may be out of everyone's reach: then the conflict names it.
        Err(Error::Infeasible(inf)) => {
            assert!(inf.describe(&season).iter().any(|d| d.contains(&format!("site {w} needs a group"))), "{inf:?}")
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_season_over_the_pair_budget_is_refused_before_scoring() {
    let season = sample();
    let engine = Engine::new(&season).max_pairs(10);
    let err = engine.solve().err().expect("the sample has more than 10 pairs");
    assert!(matches!(err, Error::TooManyPairs(_)) && err.is_input(), "{err:?}");
    assert!(err.to_string().contains("--max-pairs"), "{err}");
    assert!(Engine::new(&season).max_pairs(10_000_000).solve().is_ok());
}
