//! Why a learner is not placed: the most specific reason, as data.

use std::cmp::Ordering;
use std::fmt;

use dualmatch_core::scoring::{NoCandidateReason, SiteIndex};
use dualmatch_core::season::Screening;
use dualmatch_core::{GroupId, LearnerId, SchoolId, Season};

use crate::model::{Assignment, PlacementModel};

/// Why one learner has no placement.
#[derive(Clone, Debug, PartialEq)]
pub enum Unplaced {
    /// Screening is not finished.
    ScreeningPending,
    /// Screening failed: preparatory phase.
    ScreeningFailed,
    /// The learner left the programme (re-matching).
    Left,
    /// No candidate site at all (gates), with the main reason.
    NoCandidate(NoCandidateReason),
    /// No candidate in the supplied candidates file.
    NoSuppliedCandidate,
    /// Candidates exist, but every one is below the minimum score or forbidden.
    NoUsableCandidate {
        /// Candidates below `min_score`.
        below_min_score: usize,
        /// Candidates forbidden by the constraints.
        forbidden: usize,
    },
    /// The learner's best alternative went to someone else.
    Outcompeted {
        /// The best usable alternative.
        best: GroupId,
        /// The learner's score there.
        score: f64,
        /// Who took the seat (the lowest-scoring learner placed there).
        taken_by: LearnerId,
        /// Their score there.
        their_score: f64,
        /// Usable alternatives the learner had.
        alternatives: usize,
    },
    /// Seats remain, but a constraint keeps the learner out (a school cap or
    /// reserved seats), or max-fit gains nothing from a score of 0.
    Constrained {
        /// The best usable alternative.
        best: GroupId,
        /// What stops it.
        why: &'static str,
    },
}

/// An [`Unplaced`] reason with the season, for display to the coordinator,
/// who sees every learner: a seat taken by someone names them and their score.
pub struct Describe<'a>(pub &'a Unplaced, pub &'a Season);

/// An [`Unplaced`] reason as one school may read it (its folder of
/// `--by-school`): a seat taken by a learner of another school says so,
/// without their id or score, only whether that score was higher; a learner
/// of the school itself is named as in [`Describe`].
pub struct DescribeFor<'a>(pub &'a Unplaced, pub &'a Season, pub SchoolId);

impl fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        describe(f, self.0, self.1, None)
    }
}

impl fmt::Display for DescribeFor<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        describe(f, self.0, self.1, Some(self.2))
    }
}

/// Writes `r`; `reader` is the school the text is for (None: the coordinator).
fn describe(f: &mut fmt::Formatter<'_>, r: &Unplaced, s: &Season, reader: Option<SchoolId>) -> fmt::Result {
    let site = |g: GroupId| s.workplace(s.group(g).workplace).id.clone();
    match r {
        Unplaced::ScreeningPending => write!(f, "screening pending"),
        Unplaced::ScreeningFailed => write!(f, "screening failed (preparatory phase)"),
        Unplaced::Left => write!(f, "left the programme"),
        Unplaced::NoCandidate(r) => write!(f, "no candidate: {r}"),
        Unplaced::NoSuppliedCandidate => write!(f, "no candidate: no pair for this learner in the candidates file"),
        Unplaced::NoUsableCandidate { below_min_score, forbidden } => {
            write!(f, "no usable candidate: {below_min_score} below min_score, {forbidden} forbidden")
        }
        Unplaced::Outcompeted { best, score, taken_by, their_score, alternatives } => {
            write!(f, "outcompeted: best alternative {} (score {score:.1}) taken by ", site(*best))?;
            let taker = s.learner(*taken_by);
            match reader {
                Some(school) if taker.school != school => {
                    let than = match their_score.total_cmp(score) {
                        Ordering::Greater => "a higher",
                        Ordering::Equal => "an equal",
                        Ordering::Less => "a lower",
                    };
                    write!(f, "a learner of another school with {than} score")?;
                }
                _ => write!(f, "{} (score {their_score:.1})", taker.id)?,
            }
            write!(f, "; {} other alternative(s) also full", alternatives.saturating_sub(1))
        }
        Unplaced::Constrained { best, why } => write!(f, "not placed at {} (seats left): {why}", site(*best)),
    }
}

/// The reason for every unplaced learner, in learner order.
pub fn reasons(m: &PlacementModel, a: &Assignment) -> Vec<(LearnerId, Unplaced)> {
    let s = m.season;
    let c = m.candidates;
    // Who sits where, and the lowest score per group and per site.
    let mut lowest_in_group: Vec<Option<(f64, LearnerId)>> = vec![None; s.groups().len()];
    let mut used_group = vec![0u32; s.groups().len()];
    let mut used_wp = vec![0u32; s.workplaces().len()];
    let mut lowest_in_wp: Vec<Option<(f64, LearnerId)>> = vec![None; s.workplaces().len()];
    for (l, ci) in a.placements() {
        let (g, sc) = (c.group_of(ci), c.score_of(ci));
        used_group[g.index()] += 1;
        let w = s.group(g).workplace.index();
        used_wp[w] += 1;
        for slot in [&mut lowest_in_group[g.index()], &mut lowest_in_wp[w]] {
            if slot.is_none_or(|(x, _)| sc < x) {
                *slot = Some((sc, l));
            }
        }
    }
    // Radius queries instead of a scan of each programme's sites: built only
    // when some learner has no candidate at all.
    let needs_index = c.components.is_some() && a.by_learner().any(|(l, p)| p.is_none() && c.of(l).is_empty());
    let index = needs_index.then(|| SiteIndex::new(s));
    let mut out = Vec::new();
    for (l, p) in a.by_learner() {
        if p.is_some() {
            continue;
        }
        let learner = s.learner(l);
        let reason = match learner.screening {
            Screening::Pending => Unplaced::ScreeningPending,
            Screening::Failed => Unplaced::ScreeningFailed,
            Screening::Passed => {
                let arcs = m.arcs(l);
                if arcs.is_empty() {
                    let all = c.ids_of(l);
                    if all.len() == 0 {
                        if c.components.is_none() {
                            Unplaced::NoSuppliedCandidate
                        } else {
                            Unplaced::NoCandidate(
                                index
                                    .as_ref()
                                    .and_then(|ix| ix.no_candidate_reason(s, l))
                                    .unwrap_or(NoCandidateReason::NoRecognisedSite),
                            )
                        }
                    } else {
                        let min = m.constraints.min_score.unwrap_or(f64::NEG_INFINITY);
                        let below = all.clone().filter(|&i| c.score_of(i) < min).count();
                        Unplaced::NoUsableCandidate { below_min_score: below, forbidden: all.len() - below }
                    }
                } else {
                    // Arcs are best first.
                    let best_arc = arcs
                        .clone()
                        .max_by(|&x, &y| m.score_of(x).total_cmp(&m.score_of(y)).then(y.cmp(&x)))
                        .expect("the learner has arcs");
                    let best = m.group_of(best_arc);
                    let grp = s.group(best);
                    let wp = s.workplace(grp.workplace);
                    let group_full = used_group[best.index()] >= grp.seats;
                    let wp_full = wp.capacity.is_some_and(|cap| used_wp[grp.workplace.index()] >= cap);
                    let taker = if group_full {
                        lowest_in_group[best.index()]
                    } else if wp_full {
                        lowest_in_wp[grp.workplace.index()]
                    } else {
                        None
                    };
                    match taker {
                        Some((their_score, taken_by)) => Unplaced::Outcompeted {
                            best,
                            score: m.score_of(best_arc),
                            taken_by,
                            their_score,
                            alternatives: arcs.len(),
                        },
                        None => Unplaced::Constrained {
                            best,
                            why: if m.school_bound_of(l).is_some() {
                                "the school's cap in this programme is reached"
                            } else if m.reserves_seats(best) {
                                "the free seats are reserved for a priority group"
                            } else {
                                "placing the learner would not raise the objective (score 0 under max-fit)"
                            },
                        },
                    }
                }
            }
        };
        out.push((l, reason));
    }
    out
}
