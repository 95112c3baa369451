//! Re-matching during the season: re-place the learners affected by changes,
//! optimally around every placement that is still valid.
//!
//! Every earlier placement that is still valid is pinned: the learner is still
//! in the season, the agreement did not end, the pair still passes the gates,
//! and its site still has the seat. Withdrawn seats displace the
//! lowest-scoring placements at that site. Learners whose agreement ended, who
//! were displaced, who are new, or who were unplaced are then placed
//! optimally around the pins. With `allow_moves: Some(n)`, at most `n` pinned
//! learners may move to another site when that raises the total
//! ([`crate::moves`]).
//!
//! [`RematchPlan::new`] works out the season after the changes, the pins and
//! the forbidden pairs; [`RematchPlan::solve`] re-solves and classifies every
//! learner's change.

use std::collections::{BTreeMap, HashMap, HashSet};

use dualmatch_core::scoring::{Candidates, TooManyPairs, Weights};
use dualmatch_core::{GroupId, LearnerId, Season, WorkplaceId};

use crate::changes::Change;
use crate::constraints::Constraints;
use crate::infeasible::Infeasible;
use crate::model::{Objective, PlacementModel, WEIGHT_SCALE};
use crate::moves;
use crate::network::{self, Solved};
use crate::unplaced::{self, Unplaced};

/// One placement of an earlier result, by ids (a row of its placements.csv).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviousPlacement {
    /// The learner's id.
    pub learner: String,
    /// The site's id.
    pub workplace: String,
    /// The programme's id.
    pub programme: String,
}

/// How a learner's placement changed in a rematch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    /// Placed before and now, at another site.
    Moved,
    /// Placed now, not before.
    Gained,
    /// Placed before, not now.
    Lost,
}

impl ChangeKind {
    /// Every kind, in report order.
    pub const ALL: [ChangeKind; 3] = [ChangeKind::Moved, ChangeKind::Gained, ChangeKind::Lost];

    /// The kind's name in files (`moved`, `gained`, `lost`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Moved => "moved",
            ChangeKind::Gained => "gained",
            ChangeKind::Lost => "lost",
        }
    }
}

/// A learner whose placement changed: the site before and the site now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlacementChange {
    /// The learner.
    pub learner: LearnerId,
    /// Moved, gained or lost.
    pub kind: ChangeKind,
    /// The site before, if placed before.
    pub before: Option<WorkplaceId>,
    /// The site now, if placed now.
    pub after: Option<WorkplaceId>,
}

/// How many learners moved, gained and lost a placement (every kind present, 0 included).
pub fn change_counts<'c>(changes: impl Iterator<Item = &'c PlacementChange>) -> BTreeMap<&'static str, usize> {
    let mut counts: BTreeMap<&'static str, usize> = ChangeKind::ALL.iter().map(|k| (k.as_str(), 0)).collect();
    for ch in changes {
        *counts.entry(ch.kind.as_str()).or_default() += 1;
    }
    counts
}

/// The season after the changes and what the re-match must honour.
#[derive(Clone, Debug)]
pub struct RematchPlan {
    /// The season with the seat changes applied.
    pub season: Season,
    /// Its candidates (supplied in the season, or scored with the weights).
    pub candidates: Candidates,
    /// The pins (kept placements) and the forbidden pairs.
    pub constraints: Constraints,
    /// Each earlier placement's site, for learners still in the season.
    pub before: HashMap<LearnerId, WorkplaceId>,
    /// Agreements that ended.
    pub ended: HashSet<(LearnerId, WorkplaceId)>,
    /// Learners who left.
    pub left: HashSet<LearnerId>,
    /// Learners added.
    pub added: HashSet<LearnerId>,
    /// Earlier placements displaced by withdrawn seats or capacity (lowest scores first).
    pub displaced: usize,
    /// Earlier placements that no longer name a valid learner, site or pair.
    pub invalid: usize,
}

/// What a re-match produced.
#[derive(Clone, Debug)]
pub struct Rematched {
    /// The assignment with its proof (for moves: the Lagrangian bound).
    pub solved: Solved,
    /// With `allow_moves`, the moves made and the proof.
    pub moves: Option<MovesReport>,
    /// Every learner whose placement changed, in learner order.
    pub changes: Vec<PlacementChange>,
    /// Learners placed at the same site as before.
    pub kept: usize,
    /// Why each unplaced learner is unplaced (learners who left say so).
    pub reasons: Vec<(LearnerId, Unplaced)>,
}

/// The outcome of a re-match with at most `limit` moves of kept learners.
#[derive(Clone, Debug, PartialEq)]
pub struct MovesReport {
    /// At most this many kept learners could move.
    pub limit: usize,
    /// Kept learners placed at another site.
    pub moves: usize,
    /// The bonus per kept placement that produced the assignment, in score units.
    pub bonus: f64,
    /// Lagrangian upper bound on the total score with at most `limit` moves.
    pub bound: f64,
    /// `bound − total score`: 0 when proven optimal.
    pub gap: f64,
    /// Network solves made.
    pub solves: usize,
}

impl RematchPlan {
    /// Applies `changes` to `base` and works out which earlier placements
    /// stay pinned. Candidates come from the season when it supplies them,
    /// else they are scored with `weights`, refused beyond `max_pairs` pairs.
    pub fn new(
        base: &Season,
        weights: &Weights,
        max_pairs: u64,
        previous: &[PreviousPlacement],
        changes: &[Change],
    ) -> Result<Self, TooManyPairs> {
        let mut seats: Vec<i64> = base.groups().iter().map(|g| i64::from(g.seats)).collect();
        for c in changes {
            if let Change::Seats(g, d) = c {
                seats[g.index()] = (seats[g.index()] + d).max(0);
            }
        }
        let seats: Vec<u32> = seats.iter().map(|&n| u32::try_from(n).unwrap_or(u32::MAX)).collect();
        let s = base.with_seats(&seats);
        let cands = match Candidates::from_season_candidates(&s) {
            Some(c) => c,
            None => Candidates::generate_within(&s, weights, None, max_pairs)?,
        };

        let ended: HashSet<(LearnerId, WorkplaceId)> = changes
            .iter()
            .filter_map(|c| if let Change::AgreementEnded(l, w) = c { Some((*l, *w)) } else { None })
            .collect();
        let left: HashSet<LearnerId> =
            changes.iter().filter_map(|c| if let Change::LearnerLeft(l) = c { Some(*l) } else { None }).collect();
        let added: HashSet<LearnerId> =
            changes.iter().filter_map(|c| if let Change::LearnerAdded(l) = c { Some(*l) } else { None }).collect();

        // Earlier placements that are still valid, best first per site.
        let mut before: HashMap<LearnerId, WorkplaceId> = HashMap::new();
        let mut candidates_kept: Vec<(LearnerId, GroupId, f64)> = Vec::new();
        let mut invalid = 0usize;
        let mut displaced_all = 0usize;
        for p in previous {
            let (Some(l), Some(w)) = (s.learner_by_id(&p.learner), s.workplace_by_id(&p.workplace)) else {
                invalid += 1;
                continue;
            };
            before.insert(l, w);
            if left.contains(&l) || ended.contains(&(l, w)) {
                continue;
            }
            let Some(g) = s.programme_by_id(&p.programme).and_then(|pr| s.group_of(w, pr)) else {
                invalid += 1;
                continue;
            };
            match cands.of(l).find(|&i| cands.group[i] == g) {
                Some(i) => candidates_kept.push((l, g, cands.score[i])),
                // Every seat withdrawn: displaced, like a lower score at a site that kept some.
                None if s.group(g).seats == 0 => displaced_all += 1,
                None => invalid += 1, // no longer passes the gates
            }
        }
        // Withdrawn seats and capacity displace the lowest scores.
        candidates_kept.sort_by(|x, y| y.2.total_cmp(&x.2).then(x.0.cmp(&y.0)));
        let mut used_g = vec![0u32; s.groups().len()];
        let mut used_w = vec![0u32; s.workplaces().len()];
        let mut pins = Vec::new();
        let mut displaced = displaced_all;
        for (l, g, _) in &candidates_kept {
            let w = s.group(*g).workplace;
            let cap = s.workplace(w).capacity.unwrap_or(u32::MAX);
            if used_g[g.index()] < s.group(*g).seats && used_w[w.index()] < cap {
                used_g[g.index()] += 1;
                used_w[w.index()] += 1;
                pins.push((*l, w));
            } else {
                displaced += 1;
            }
        }
        pins.sort_unstable();
        let mut forbidden: Vec<(LearnerId, WorkplaceId)> = ended.iter().copied().collect();
        for &l in &left {
            for i in cands.of(l) {
                forbidden.push((l, s.group(cands.group[i]).workplace));
            }
        }
        forbidden.sort_unstable();
        forbidden.dedup();
        let constraints = Constraints { pins, forbidden, ..Constraints::none() };
        Ok(RematchPlan { season: s, candidates: cands, constraints, before, ended, left, added, displaced, invalid })
    }

    /// Earlier placements kept as pins.
    pub fn pinned(&self) -> usize {
        self.constraints.pins.len()
    }

    /// The placement model of the re-match. The pins are feasible by
    /// construction, so an error here is a bug, reported as data.
    pub fn model(&self) -> Result<PlacementModel<'_>, Infeasible> {
        PlacementModel::new(&self.season, &self.candidates, &self.constraints)
    }

    /// Re-solves `model` (from [`Self::model`]) for `objective`, with at most
    /// `allow_moves` kept learners moving (max-fit) when given, and
    /// classifies each learner's change. The result passes
    /// [`crate::Assignment::check`] (with kept placements for moves).
    pub fn solve(
        &self,
        model: &PlacementModel,
        objective: Objective,
        allow_moves: Option<usize>,
    ) -> Result<Rematched, Infeasible> {
        let (solved, moves) = match allow_moves {
            None => (network::solve(model, objective)?, None),
            Some(limit) => {
                let r = moves::solve(model, limit)?;
                let report = MovesReport {
                    limit,
                    moves: r.moves,
                    bonus: r.bonus,
                    bound: r.bound_weight as f64 / WEIGHT_SCALE,
                    gap: r.gap(),
                    solves: r.solves,
                };
                let mut solved = r.solved;
                solved.proof.method = "lagrangian-network";
                solved.proof.bound = report.bound;
                solved.duals = None; // duals of the relaxation, not of this problem
                (solved, Some(report))
            }
        };
        let s = &self.season;
        let cands = &self.candidates;
        let mut kept = 0usize;
        let mut changes = Vec::new();
        for (li, p) in solved.assignment.placement.iter().enumerate() {
            let l = LearnerId::from_index(li);
            let now = p.map(|c| s.group(cands.group[c as usize]).workplace);
            let was = self.before.get(&l).copied();
            let kind = match (was, now) {
                (Some(b), Some(n)) if b == n => {
                    kept += 1;
                    continue;
                }
                (Some(_), Some(_)) => ChangeKind::Moved,
                (None, Some(_)) => ChangeKind::Gained,
                (Some(_), None) => ChangeKind::Lost,
                (None, None) => continue,
            };
            changes.push(PlacementChange { learner: l, kind, before: was, after: now });
        }
        let mut reasons = unplaced::reasons(model, &solved.assignment);
        for (l, r) in reasons.iter_mut() {
            if self.left.contains(l) {
                *r = Unplaced::Left;
            }
        }
        Ok(Rematched { solved, moves, changes, kept, reasons })
    }
}

/// The `outcomes.csv` a re-match hands on to the next season: the season's
/// own outcome rows (when it has an `outcomes.csv`), then one
/// `ended_early` row per agreement that ended, labelled `season_label`, in
/// learner then site order. The reason is left empty (changes.csv does not
/// give one). `None` when there is nothing to write.
pub fn outcomes_after(
    s: &Season,
    ended: &HashSet<(LearnerId, WorkplaceId)>,
    season_label: &str,
) -> Option<Vec<dualmatch_core::season::OutcomeRec>> {
    use dualmatch_core::season::{Outcome, OutcomeRec};
    let mut rows: Vec<OutcomeRec> = s.history().map(|h| h.records().to_vec()).unwrap_or_default();
    let mut new: Vec<(LearnerId, WorkplaceId)> = ended.iter().copied().collect();
    new.sort_unstable();
    for (l, w) in new {
        let learner = s.learner(l);
        rows.push(OutcomeRec {
            season: season_label.to_string(),
            learner: learner.id.clone(),
            workplace: s.workplace(w).id.clone(),
            programme: s.programme(learner.programme).id.clone(),
            school: s.school(learner.school).id.clone(),
            outcome: Outcome::EndedEarly,
            reason: None,
            row: 0,
        });
    }
    (s.history().is_some() || !ended.is_empty()).then_some(rows)
}
