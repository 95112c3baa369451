//! Sharded match against the single solve (the reference): on synthetic
//! seasons of several shapes, with and without school floors and caps
//! (which join components), every shard count from 1 to beyond the number
//! of components gives, put together, the single run's assignment, proof,
//! seat values and unplaced reasons exactly.

use dualmatch::core::synth::{generate, SynthParams};
use dualmatch::shard::{assign_largest_first, Shard};
use dualmatch::{Engine, Error, Policy, Season};

fn season(learners: usize, workplaces: usize, schools: usize, seed: u64) -> Season {
    let params = SynthParams { learners, workplaces, schools, programmes: 5, seed };
    dualmatch::core::season::from_doc(generate(&params)).unwrap().season
}

/// School caps (and a floor) on the first schools, as constraints.toml text.
fn school_bounds(s: &Season) -> String {
    let mut text = String::new();
    for (k, sc) in s.schools().iter().take(3).enumerate() {
        let p = &s.programmes()[k % s.programmes().len()].id;
        let min = if k == 0 { "min = 1\n" } else { "" };
        text.push_str(&format!("[[school]]\nschool = \"{}\"\nprogramme = \"{p}\"\nmax = {}\n{min}\n", sc.id, 3 + k));
    }
    text
}

#[test]
fn shares_put_together_are_the_single_solve() {
    let mut checked = 0;
    for (k, (learners, workplaces, schools)) in [(150, 400, 4), (400, 300, 6), (300, 900, 8)].into_iter().enumerate() {
        let s = season(learners, workplaces, schools, 11 + k as u64);
        for bounded in [false, true] {
            for policy in [Policy::MaxFit, Policy::MaxPlaced] {
                let mut engine = Engine::new(&s).policy(policy);
                if bounded {
                    engine = engine.constraints_toml(&school_bounds(&s), "constraints.toml").unwrap();
                }
                let single = match engine.solve() {
                    Ok(run) => run,
                    Err(Error::Infeasible(_)) => continue,
                    Err(e) => panic!("{e}"),
                };
                let components = single.proof().unwrap().components as u32;
                for n in 1..=components + 2 {
                    let mut layouts = Vec::new();
                    let mut shares = Vec::new();
                    for i in 0..n {
                        let (layout, share) = engine.solve_share(Shard::new(i.into(), n.into()).unwrap()).unwrap();
                        layouts.push(layout);
                        shares.push(share);
                    }
                    assert!(layouts.windows(2).all(|w| w[0] == w[1]), "every shard sees the same layout");
                    let owner = assign_largest_first(&layouts[0].arcs, n);
                    for (i, sh) in shares.iter().enumerate() {
                        assert!(sh.components.iter().all(|&c| owner[c] == i as u32), "shard {i} solved another's");
                    }
                    let total: usize = shares.iter().map(|sh| sh.components.len()).sum();
                    assert_eq!(total, layouts[0].components, "every component once");
                    // Shares in any order.
                    shares.reverse();
                    let run = engine.assemble(&layouts[0], &shares, 0.0).unwrap();
                    let what = format!("season {k}, bounds {bounded}, {policy}, {n} shards");
                    assert_eq!(run.assignment(), single.assignment(), "{what}");
                    let (a, b) = (run.proof().unwrap(), single.proof().unwrap());
                    assert_eq!(a.bound.to_bits(), b.bound.to_bits(), "{what}: bound");
                    assert_eq!(
                        (a.components, a.largest_component, a.max_placeable),
                        (b.components, b.largest_component, b.max_placeable),
                        "{what}"
                    );
                    assert_eq!(run.duals(), single.duals(), "{what}: seat values");
                    assert_eq!(run.unplaced(), single.unplaced(), "{what}: reasons");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 20, "only {checked} cases ran");
}

#[test]
fn policies_that_do_not_split_are_refused() {
    let s = season(100, 100, 3, 3);
    for engine in [
        Engine::new(&s).policy(Policy::Stable),
        Engine::new(&s).policy(Policy::MaxFit).improve(true),
        Engine::new(&s).policy(Policy::MaxFit).solver(dualmatch::Solver::Lp),
    ] {
        assert!(matches!(engine.solve_share(Shard::new(0, 2).unwrap()), Err(Error::NotShardable { .. })));
    }
}

/// With mentors and rhythms (components solved as mixed-integer models with
/// per-day seats), the shares put together are still the single solve.
#[test]
fn shares_with_mentors_and_rhythms_are_the_single_solve() {
    let mut mixed = 0;
    for seed in [3u64, 5] {
        let params = SynthParams { learners: 150, workplaces: 120, schools: 6, programmes: 3, seed };
        let mut doc = generate(&params);
        dualmatch::core::synth::add_rhythms(&mut doc, seed);
        dualmatch::core::synth::add_mentors(&mut doc, seed);
        let s = dualmatch::core::season::from_doc(doc).unwrap().season;
        for policy in [Policy::MaxFit, Policy::MaxPlaced] {
            let engine = Engine::new(&s).policy(policy);
            let single = engine.solve().unwrap();
            let proof = single.proof().unwrap();
            mixed += usize::from(proof.method.contains("mip"));
            let n = proof.components as u32 + 1;
            let mut shares = Vec::new();
            let mut layout = None;
            for i in (0..n).rev() {
                let (l, share) = engine.solve_share(Shard::new(i.into(), n.into()).unwrap()).unwrap();
                layout = Some(l);
                shares.push(share);
            }
            let run = engine.assemble(&layout.unwrap(), &shares, 0.0).unwrap();
            assert_eq!(run.assignment(), single.assignment(), "seed {seed} {policy}");
            assert_eq!(run.proof().unwrap().bound.to_bits(), proof.bound.to_bits(), "seed {seed} {policy}");
            assert_eq!(run.unplaced(), single.unplaced(), "seed {seed} {policy}");
        }
    }
    assert!(mixed >= 2, "{mixed} solves went to the mixed-integer path");
}
