//! The textbook hospital–resident game on plain preference lists: the
//! resident-optimal and hospital-optimal stable matchings by deferred
//! acceptance, and the blocking pairs of any matching.
//!
//! This is the game of the Python `matching` package (`HospitalResident`),
//! which the Python door's `dualmatch.matching_compat` mirrors; it is not
//! the placement model (no scores, programmes or constraints).
//!
//! **Acceptability.** A pair (resident `r`, hospital `h`) is acceptable when
//! `r` ranks `h` and `h` ranks `r` (each list keeps the first of repeated
//! entries). Everything else is ignored: a resident who ranks a hospital
//! that does not rank her, a hospital ranking a resident who did not rank
//! it, an empty list. This is the game `matching` plays after cleaning
//! (`clean=True`), and the only one on which it does not fail.
//!
//! **Uniqueness.** The resident-optimal and the hospital-optimal stable
//! matchings are unique, whatever order proposals are made in, so the
//! answer is well defined and equal to `matching`'s.

use std::collections::{BinaryHeap, HashMap};

/// A hospital–resident game with strict, possibly incomplete lists.
#[derive(Clone, Debug)]
pub struct Game {
    /// Per resident: the acceptable hospitals, best first, each with the
    /// hospital's rank of the resident.
    resident_lists: Vec<Vec<(u32, u32)>>,
    /// Per hospital: the acceptable residents, best first, each with the
    /// resident's rank of the hospital.
    hospital_lists: Vec<Vec<(u32, u32)>>,
    capacities: Vec<u32>,
    /// List entries that are not acceptable (not ranked back), repeated
    /// or naming no player.
    ignored: usize,
}

/// Which side's optimal stable matching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Optimal {
    /// Residents propose: the best stable matching for every resident.
    Resident,
    /// Hospitals propose: the best stable matching for every hospital.
    Hospital,
}

impl Game {
    /// A game from each resident's list of hospital indices and each
    /// hospital's list of resident indices (best first) and the hospitals'
    /// capacities. Entries out of range are ignored and counted, as are
    /// repeated entries and entries not ranked back ([`Self::ignored`]).
    pub fn new(resident_prefs: &[Vec<u32>], hospital_prefs: &[Vec<u32>], capacities: &[u32]) -> Self {
        let (nr, nh) = (resident_prefs.len(), hospital_prefs.len());
        let mut ignored = 0usize;
        // The hospital's rank of each resident it ranks (first entry wins).
        let mut h_rank: HashMap<(u32, u32), u32> = HashMap::new();
        for (h, list) in hospital_prefs.iter().enumerate() {
            for (k, &r) in list.iter().enumerate() {
                if (r as usize) < nr {
                    h_rank.entry((r, h as u32)).or_insert(k as u32);
                }
            }
        }
        let mut r_rank: HashMap<(u32, u32), u32> = HashMap::new();
        let mut resident_lists = Vec::with_capacity(nr);
        for (r, list) in resident_prefs.iter().enumerate() {
            let mut out = Vec::with_capacity(list.len());
            for (k, &h) in list.iter().enumerate() {
                let r = r as u32;
                match h_rank.get(&(r, h)) {
                    Some(&hr) if !r_rank.contains_key(&(r, h)) => {
                        r_rank.insert((r, h), k as u32);
                        out.push((h, hr));
                    }
                    _ => ignored += 1,
                }
            }
            resident_lists.push(out);
        }
        let mut hospital_lists = Vec::with_capacity(nh);
        for (h, list) in hospital_prefs.iter().enumerate() {
            let mut out = Vec::with_capacity(list.len());
            for (k, &r) in list.iter().enumerate() {
                let key = (r, h as u32);
                match (h_rank.get(&key), r_rank.get(&key)) {
                    (Some(&first), Some(&rr)) if first == k as u32 => out.push((r, rr)),
                    _ => ignored += 1,
                }
            }
            hospital_lists.push(out);
        }
        let capacities = (0..nh).map(|h| capacities.get(h).copied().unwrap_or(0)).collect();
        Self { resident_lists, hospital_lists, capacities, ignored }
    }

    /// How many list entries were ignored: repeated, out of range, or not
    /// ranked back by the other side.
    pub fn ignored(&self) -> usize {
        self.ignored
    }

    /// The stable matching optimal for `side`: each resident's hospital.
    pub fn solve(&self, side: Optimal) -> Vec<Option<u32>> {
        match side {
            Optimal::Resident => self.resident_proposing(),
            Optimal::Hospital => self.hospital_proposing(),
        }
    }

    fn resident_proposing(&self) -> Vec<Option<u32>> {
        let nr = self.resident_lists.len();
        let mut next = vec![0usize; nr];
        let mut held: Vec<BinaryHeap<(u32, u32)>> = vec![BinaryHeap::new(); self.capacities.len()];
        let mut free: Vec<u32> = (0..nr as u32).rev().collect();
        while let Some(r) = free.pop() {
            let list = &self.resident_lists[r as usize];
            let Some(&(h, rank)) = list.get(next[r as usize]) else { continue };
            next[r as usize] += 1;
            let (cap, heap) = (self.capacities[h as usize] as usize, &mut held[h as usize]);
            if heap.len() < cap {
                heap.push((rank, r));
            } else if heap.peek().is_some_and(|&(worst, _)| rank < worst) {
                let (_, out) = heap.pop().expect("a full hospital holds someone");
                heap.push((rank, r));
                free.push(out);
            } else {
                free.push(r);
            }
        }
        let mut out = vec![None; nr];
        for (h, heap) in held.iter().enumerate() {
            for &(_, r) in heap {
                out[r as usize] = Some(h as u32);
            }
        }
        out
    }

    fn hospital_proposing(&self) -> Vec<Option<u32>> {
        let nh = self.hospital_lists.len();
        let mut next = vec![0usize; nh];
        let mut holds = vec![0u32; nh];
        // Per resident: the hospital held and her rank of it.
        let mut matched: Vec<Option<(u32, u32)>> = vec![None; self.resident_lists.len()];
        let mut free: Vec<u32> = (0..nh as u32).rev().collect();
        while let Some(h) = free.pop() {
            let hi = h as usize;
            while holds[hi] < self.capacities[hi] {
                let Some(&(r, rank)) = self.hospital_lists[hi].get(next[hi]) else { break };
                next[hi] += 1;
                match matched[r as usize] {
                    Some((_, current)) if current <= rank => {}
                    Some((other, _)) => {
                        holds[other as usize] -= 1;
                        free.push(other);
                        matched[r as usize] = Some((h, rank));
                        holds[hi] += 1;
                    }
                    None => {
                        matched[r as usize] = Some((h, rank));
                        holds[hi] += 1;
                    }
                }
            }
        }
        matched.into_iter().map(|m| m.map(|(h, _)| h)).collect()
    }

    /// The blocking pairs (resident, hospital) of `matching` (each
    /// resident's hospital): acceptable pairs where the resident is
    /// unmatched or prefers the hospital, and the hospital has room or
    /// prefers the resident to one of its residents. In resident order,
    /// then the resident's list order. Matches on unacceptable pairs count
    /// as the resident's worst outcome and fill the hospital's seat with
    /// its worst.
    pub fn blocking_pairs(&self, matching: &[Option<u32>]) -> Vec<(u32, u32)> {
        let nh = self.capacities.len();
        let mut count = vec![0u32; nh];
        let mut worst: Vec<Option<u32>> = vec![None; nh];
        for (r, m) in matching.iter().enumerate() {
            let Some(h) = *m else { continue };
            let hi = h as usize;
            if hi >= nh {
                continue;
            }
            count[hi] += 1;
            let rank = self.hospital_rank(r as u32, h).unwrap_or(u32::MAX);
            worst[hi] = Some(worst[hi].map_or(rank, |w| w.max(rank)));
        }
        let mut out = Vec::new();
        for (r, list) in self.resident_lists.iter().enumerate() {
            let mine = matching.get(r).copied().flatten();
            for &(h, rank) in list {
                if Some(h) == mine {
                    break;
                }
                let hi = h as usize;
                if count[hi] < self.capacities[hi] || worst[hi].is_some_and(|w| rank < w) {
                    out.push((r as u32, h));
                }
            }
        }
        out
    }

    /// Hospital `h`'s rank of resident `r`, when the pair is acceptable.
    fn hospital_rank(&self, r: u32, h: u32) -> Option<u32> {
        self.resident_lists.get(r as usize)?.iter().find(|(x, _)| *x == h).map(|&(_, rank)| rank)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every matching of the game's acceptable pairs within capacities.
    fn all_matchings(g: &Game) -> Vec<Vec<Option<u32>>> {
        let nr = g.resident_lists.len();
        let mut out = Vec::new();
        let mut cur = vec![None; nr];
        fn go(g: &Game, r: usize, cur: &mut Vec<Option<u32>>, load: &mut Vec<u32>, out: &mut Vec<Vec<Option<u32>>>) {
            if r == cur.len() {
                out.push(cur.clone());
                return;
            }
            cur[r] = None;
            go(g, r + 1, cur, load, out);
            for &(h, _) in &g.resident_lists[r] {
                if load[h as usize] < g.capacities[h as usize] {
                    load[h as usize] += 1;
                    cur[r] = Some(h);
                    go(g, r + 1, cur, load, out);
                    load[h as usize] -= 1;
                    cur[r] = None;
                }
            }
        }
        let mut load = vec![0; g.capacities.len()];
        go(g, 0, &mut cur, &mut load, &mut out);
        out
    }

    /// The resident's rank of her outcome (unmatched is worst).
    fn r_rank(g: &Game, r: usize, m: Option<u32>) -> usize {
        m.map_or(usize::MAX, |h| g.resident_lists[r].iter().position(|&(x, _)| x == h).unwrap())
    }

    fn game() -> impl Strategy<Value = (Vec<Vec<u32>>, Vec<Vec<u32>>, Vec<u32>)> {
        (1usize..5, 1usize..4).prop_flat_map(|(nr, nh)| {
            (
                prop::collection::vec(prop::collection::vec(0u32..nh as u32 + 1, 0..4), nr),
                prop::collection::vec(prop::collection::vec(0u32..nr as u32 + 1, 0..5), nh),
                prop::collection::vec(0u32..3, nh),
            )
        })
    }

    proptest! {
        /// Against brute force: both results are stable, the
        /// resident-proposing one is weakly best for every resident among all
        /// stable matchings, and the hospital-proposing one weakly worst.
        #[test]
        fn optimal_stable_matchings_match_brute_force((rp, hp, caps) in game()) {
            let g = Game::new(&rp, &hp, &caps);
            let stable: Vec<_> = all_matchings(&g).into_iter().filter(|m| g.blocking_pairs(m).is_empty()).collect();
            prop_assert!(!stable.is_empty());
            let ro = g.solve(Optimal::Resident);
            let ho = g.solve(Optimal::Hospital);
            prop_assert!(stable.contains(&ro), "resident-optimal {:?} is not stable", ro);
            prop_assert!(stable.contains(&ho), "hospital-optimal {:?} is not stable", ho);
            for m in &stable {
                for r in 0..rp.len() {
                    prop_assert!(r_rank(&g, r, ro[r]) <= r_rank(&g, r, m[r]));
                    prop_assert!(r_rank(&g, r, ho[r]) >= r_rank(&g, r, m[r]));
                }
            }
        }
    }

    #[test]
    fn only_mutually_ranked_pairs_are_acceptable() {
        // Resident 0 ranks hospital 0, which does not rank her; resident 1
        // is ranked by hospital 0 but ranks nothing; hospital 1 is ranked twice.
        let g = Game::new(&[vec![0, 1, 1], vec![]], &[vec![1], vec![0]], &[1, 1]);
        assert_eq!(g.ignored(), 3);
        assert_eq!(g.solve(Optimal::Resident), vec![Some(1), None]);
        assert_eq!(g.solve(Optimal::Hospital), vec![Some(1), None]);
    }

    #[test]
    fn a_blocking_pair_is_found() {
        let g = Game::new(&[vec![0], vec![0]], &[vec![0, 1]], &[1]);
        assert_eq!(g.blocking_pairs(&[None, Some(0)]), vec![(0, 0)]);
        assert!(g.blocking_pairs(&[Some(0), None]).is_empty());
    }
}
