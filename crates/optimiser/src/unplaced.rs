//! Why a learner is not placed: the most specific reason, as data.

use std::cmp::Ordering;
use std::fmt;

use dualmatch_core::rhythm::Days;
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
        /// The taker's placement is pinned (a kept placement of a rematch,
        /// or a pin of the constraints): it was fixed, not competed for.
        taker_fixed: bool,
    },
    /// Under a policy that follows the learners' own lists (stable,
    /// serial dictatorship, first-come, Boston, …): every site on the
    /// learner's list is full, or the list holds no site that the learner
    /// can use and that accepts them.
    OwnList {
        /// The first sites of the list (at most [`LIST_SHOWN`]), best first.
        sites: Vec<GroupId>,
        /// How many entries the list has.
        total: usize,
        /// The learner gave the list (`preferences`); otherwise it is every
        /// usable site that accepts them, by score.
        explicit: bool,
    },
    /// Every usable site has mentors (`mentors.csv`), and none of them can
    /// guide the learner: none is recognised for the programme and present
    /// on all the learner's days.
    NoMentor {
        /// The learner's days at the workplace.
        days: Days,
        /// The usable sites (all with mentors).
        sites: usize,
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

/// The sites of a learner's own list named in an [`Unplaced::OwnList`] reason, at most.
pub const LIST_SHOWN: usize = 3;

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
        Unplaced::Outcompeted { best, score, taken_by, their_score, alternatives, taker_fixed } => {
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
            if *taker_fixed {
                write!(f, ", whose placement is fixed (kept from before, or pinned) and was not competed for")?;
            }
            write!(f, "; {} other alternative(s) also full", alternatives.saturating_sub(1))
        }
        Unplaced::NoMentor { days, sites } => write!(
            f,
            "no mentor: at the {sites} usable site(s) no mentor recognised for the programme is present on all \
             the learner's days ({days})"
        ),
        Unplaced::Constrained { best, why } => write!(f, "not placed at {} (seats left): {why}", site(*best)),
        Unplaced::OwnList { sites, total, explicit } => {
            let names: Vec<String> = sites.iter().map(|g| site(*g)).collect();
            let more = if *total > sites.len() { format!(", … ({total} in all)") } else { String::new() };
            match (total, explicit) {
                (0, true) => write!(f, "their own list names no site that they can use and that accepts them"),
                (0, false) => write!(f, "no site that they can use accepts them"),
                (1, true) => write!(f, "their own list names only {}, which is full", names.join("")),
                (1, false) => write!(f, "the one site they can use that accepts them, {}, is full", names.join("")),
                (_, true) => write!(f, "every site on their own list is full: {}{more}", names.join(", ")),
                (_, false) => {
                    write!(f, "every site they can use that accepts them is full: {}{more}", names.join(", "))
                }
            }
        }
    }
}

/// [`reasons`], for a policy that follows the learners' own lists
/// (`lists`: the stable reading of [`crate::policies::prefs`]): a learner
/// whose every listed site is full, or whose list is empty, is told so
/// ([`Unplaced::OwnList`]) instead of a max-fit reason. Other reasons stay.
pub fn reasons_for(m: &PlacementModel, a: &Assignment, lists: bool) -> Vec<(LearnerId, Unplaced)> {
    let mut out = reasons(m, a);
    if !lists || out.is_empty() {
        return out;
    }
    let s = m.season;
    let c = m.candidates;
    let prefs = crate::policies::Prefs::new(m, crate::policies::Ties::ById);
    let mut used_group = vec![0u32; s.groups().len()];
    let mut used_wp = vec![0u32; s.workplaces().len()];
    for (_, ci) in a.placements() {
        let g = c.group_of(ci);
        used_group[g.index()] += 1;
        used_wp[s.group(g).workplace.index()] += 1;
    }
    let full = |g: GroupId| {
        let grp = s.group(g);
        used_group[g.index()] >= grp.seats
            || s.workplace(grp.workplace).capacity.is_some_and(|cap| used_wp[grp.workplace.index()] >= cap)
    };
    for (l, r) in out.iter_mut() {
        if !matches!(r, Unplaced::Outcompeted { .. } | Unplaced::Constrained { .. }) {
            continue;
        }
        let groups: Vec<GroupId> = prefs.list(*l).iter().map(|&arc| c.group[m.arc_candidate(arc as usize)]).collect();
        if groups.iter().all(|&g| full(g)) {
            *r = Unplaced::OwnList {
                sites: groups.iter().take(LIST_SHOWN).copied().collect(),
                total: groups.len(),
                explicit: !s.learner(*l).preferences.is_empty(),
            };
        }
    }
    out
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
                } else if arcs.clone().all(|a| !can_be_guided(s, l, m.group_of(a))) {
                    Unplaced::NoMentor { days: s.days_of(l), sites: arcs.len() }
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
                            taker_fixed: m.pinned_arc(taken_by).is_some(),
                        },
                        None => Unplaced::Constrained {
                            best,
                            why: if !s.mentors_of_workplace(grp.workplace).is_empty() {
                                "no mentor there who can guide the learner (recognised for the programme, present \
                                 on all the learner's days) has room in their workload"
                            } else if m.school_bound_of(l).is_some() {
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

/// Whether learner `l` placed at `g` could have a mentor: the site has no
/// mentors, or one of them can guide the learner.
fn can_be_guided(s: &Season, l: LearnerId, g: GroupId) -> bool {
    let mentors = s.mentors_of_workplace(s.group(g).workplace);
    let (p, days) = (s.learner(l).programme, s.days_of(l));
    mentors.is_empty() || mentors.iter().any(|&k| s.mentor(k).can_guide(p, days))
}

#[cfg(test)]
mod tests {
    use dualmatch_core::scoring::Candidates;
    use dualmatch_core::season::doc::*;
    use dualmatch_core::season::from_doc;

    use super::*;
    use crate::{network, Constraints, Objective};

    /// One seat at W; L0 (score 40) is pinned there, L1 (90) wants it too.
    fn season() -> Season {
        season_with(vec![], false)
    }

    /// [`season`]; `prefs` is L1's own list, and `w2` adds a site W2 with a
    /// free seat that L1 can use (score 30).
    fn season_with(prefs: Vec<String>, w2: bool) -> Season {
        let learner = |id: &str| LearnerRec {
            rhythm: None,
            id: id.into(),
            school: "S".into(),
            programme: "P".into(),
            lat: 51.0,
            lon: 4.0,
            max_commute_km: 20.0,
            readiness: 3,
            screening: Screening::Passed,
            attributes: vec![],
            preferences: vec![],
            priority_group: None,
            row: 0,
        };
        let pair = |l: &str, score| CandidateRec {
            learner: l.into(),
            workplace: "W".into(),
            programme: "P".into(),
            score,
            row: 0,
        };
        let doc = SeasonDoc {
            mentors: None,
            programmes: vec![ProgrammeRec { rhythm: None, id: "P".into(), name: "P".into(), row: 0 }],
            schools: vec![SchoolRec { rhythm: None, id: "S".into(), name: "s".into(), lat: 51.0, lon: 4.0, row: 0 }],
            learners: vec![learner("L0"), learner("L1")],
            workplaces: vec![WorkplaceRec {
                id: "W".into(),
                company: "c".into(),
                lat: 51.0,
                lon: 4.01,
                capacity: None,
                min_readiness: 1,
                requires: vec![],
                partner_schools: vec![],
                preferences: vec![],
                row: 0,
            }],
            recognitions: vec![RecognitionRec { workplace: "W".into(), programme: "P".into(), seats: 1, row: 0 }],
            candidates: Some(vec![pair("L0", 40.0), pair("L1", 90.0)].into()),
            outcomes: None,
        };
        let mut doc = doc;
        doc.learners[1].preferences = prefs;
        if w2 {
            let mut site = doc.workplaces[0].clone();
            site.id = "W2".into();
            doc.workplaces.push(site);
            doc.recognitions.push(RecognitionRec { workplace: "W2".into(), programme: "P".into(), seats: 1, row: 0 });
            let mut p = doc.candidates.as_ref().unwrap().get(1).unwrap();
            p.workplace = "W2".into();
            p.score = 30.0;
            doc.candidates.as_mut().unwrap().extend([p]);
        }
        from_doc(doc).unwrap().season
    }

    /// Under stable, L1 lists only W, which L0 holds; W2 has a free seat but
    /// is not on L1's list. The reason names L1's own list; without lists
    /// (max-fit's reading) it does not.
    #[test]
    fn under_a_list_policy_the_reason_names_the_learners_own_list() {
        let s = season_with(vec!["W".into()], true);
        let c = Candidates::from_season_candidates(&s).unwrap();
        let cons = Constraints::parse("[[pin]]\nlearner = \"L0\"\nworkplace = \"W\"\n", "c.toml", &s).unwrap();
        let m = PlacementModel::new(&s, &c, &cons).unwrap();
        let stable = crate::policies::by_name("stable").unwrap();
        let a = crate::policies::allocate(stable.as_ref(), &m, 0, false).unwrap();
        let why = reasons_for(&m, &a, true);
        assert_eq!(why.len(), 1, "{why:?}");
        assert_eq!(Describe(&why[0].1, &s).to_string(), "their own list names only W, which is full");
        let plain = reasons_for(&m, &a, false);
        assert!(!matches!(plain[0].1, Unplaced::OwnList { .. }), "{plain:?}");
        assert_eq!(plain, reasons(&m, &a));
    }

    #[test]
    fn a_seat_held_by_a_fixed_placement_says_so() {
        let s = season();
        let c = Candidates::from_season_candidates(&s).unwrap();
        for (pinned, fixed) in [(true, true), (false, false)] {
            let text = if pinned { "[[pin]]\nlearner = \"L0\"\nworkplace = \"W\"\n" } else { "min_score = 0\n" };
            let cons = Constraints::parse(text, "c.toml", &s).unwrap();
            let m = PlacementModel::new(&s, &c, &cons).unwrap();
            let solved = network::solve(&m, Objective::MaxFit).unwrap();
            let why = reasons(&m, &solved.assignment);
            assert_eq!(why.len(), 1);
            let line = Describe(&why[0].1, &s).to_string();
            if fixed {
                assert_eq!(why[0].0, LearnerId::from_index(1), "{line}");
                assert!(line.contains("taken by L0 (score 40.0), whose placement is fixed"), "{line}");
            } else {
                assert!(!line.contains("fixed"), "{line}");
            }
        }
    }
}
