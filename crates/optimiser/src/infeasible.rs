//! Infeasibility as data: which constraints conflict, in domain terms.

use dualmatch_core::{GroupId, LearnerId, ProgrammeId, SchoolId, Season, WorkplaceId};

/// One reason why the constraints cannot all be met.
#[derive(Clone, Debug, PartialEq)]
pub enum Conflict {
    /// A pinned placement is not a usable candidate pair.
    PinNotUsable {
        /// The learner.
        learner: LearnerId,
        /// The site.
        workplace: WorkplaceId,
        /// Why the pair cannot be used.
        why: String,
    },
    /// A set of demands (floors, pins) needs more placements than the seats,
    /// capacities and caps within their reach allow.
    Shortfall {
        /// School floors involved: (school, programme, floor).
        floors: Vec<(SchoolId, ProgrammeId, u32)>,
        /// Pinned learners involved.
        pins: Vec<LearnerId>,
        /// Site minimums involved: (site, minimum).
        sites: Vec<(WorkplaceId, u32)>,
        /// What the demands need in total.
        need: u64,
        /// What is available to them in total.
        available: u64,
        /// The binding limits, largest first: what they are and their size.
        limits: Vec<(Limit, u64)>,
    },
    /// Sites that take "a group or nobody" (`allow_empty = true`): every
    /// other constraint can be met, but not with each of these sites either
    /// empty or holding at least its minimum.
    GroupOrNobody {
        /// The sites and their minimums.
        sites: Vec<(WorkplaceId, u32)>,
        /// Pinned learners of the same component.
        pins: Vec<LearnerId>,
    },
    /// Schools held to few sites (`[[school]] max_sites`): no choice of
    /// sites within their limits meets the other constraints (floors, pins,
    /// minimum group sizes) of their component.
    ShortLines {
        /// The schools and their `max_sites`.
        schools: Vec<(SchoolId, u32)>,
        /// Sites of the same component that take "a group or nobody".
        sites: Vec<(WorkplaceId, u32)>,
        /// Pinned learners of the same component.
        pins: Vec<LearnerId>,
    },
    /// The mixed-integer solver failed (not the data), or its time limit ran
    /// out before any feasible placement was found.
    Solver(String),
    /// The policy cannot honour a part of the season (mentors or rhythms),
    /// so nothing was allocated; the text says what and what to use instead.
    Unsupported(String),
}

/// A limit that binds in a [`Conflict::Shortfall`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Seats of a recognition.
    Seats(GroupId),
    /// Seats of a recognition open to learners outside its priority group.
    OpenSeats(GroupId),
    /// A site's mentor capacity.
    Capacity(WorkplaceId),
    /// A school's cap in a programme.
    SchoolCap(SchoolId, ProgrammeId),
    /// Learners of a school and programme who have at least one usable pair.
    Learners(SchoolId, ProgrammeId),
    /// Seats of all the recognitions of a site (when its capacity does not bind).
    SiteSeats(WorkplaceId),
    /// Learners outside the conflict who could still be placed where it needs them.
    LearnersInReach,
    /// A mentor's workload (`max_learners` in `mentors.csv`).
    Mentor(dualmatch_core::MentorId),
}

/// The constraints conflict; every conflict found is listed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("the constraints cannot all be met ({} conflict(s))", .conflicts.len())]
pub struct Infeasible {
    /// The conflicts.
    pub conflicts: Vec<Conflict>,
}

impl Limit {
    fn describe(self, s: &Season) -> String {
        let grp = |g: GroupId| {
            let g = s.group(g);
            format!("{}/{}", s.workplace(g.workplace).id, s.programme(g.programme).id)
        };
        match self {
            Limit::Seats(g) => format!("{} seats", grp(g)),
            Limit::OpenSeats(g) => format!("{} unreserved seats", grp(g)),
            Limit::Capacity(w) => format!("{} capacity", s.workplace(w).id),
            Limit::SchoolCap(sc, p) => format!("cap of school {} in {}", s.school(sc).id, s.programme(p).id),
            Limit::Learners(sc, p) => {
                format!("learners of school {} in {} with an eligible site", s.school(sc).id, s.programme(p).id)
            }
            Limit::SiteSeats(w) => format!("{} seats", s.workplace(w).id),
            Limit::LearnersInReach => "learners with a usable pair there".to_string(),
            Limit::Mentor(k) => {
                let k = s.mentor(k);
                format!("workload of mentor {} at {}", k.id, s.workplace(k.workplace).id)
            }
        }
    }
}

impl Conflict {
    /// A plain-language explanation, with names from the season.
    pub fn describe(&self, s: &Season) -> String {
        match self {
            Conflict::PinNotUsable { learner, workplace, why } => format!(
                "learner {} is pinned to {}, but that pair cannot be used: {why}",
                s.learner(*learner).id,
                s.workplace(*workplace).id
            ),
            Conflict::GroupOrNobody { sites, pins } => {
                let names: Vec<String> =
                    sites.iter().map(|(w, min)| format!("{} (0 or at least {min})", s.workplace(*w).id)).collect();
                let pinned: Vec<&str> = pins.iter().take(5).map(|l| s.learner(*l).id.as_str()).collect();
                format!(
                    "sites {} take a group or nobody, and no choice of which of them stay empty meets the other constraints{}",
                    names.join(", "),
                    if pins.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " (pinned learners: {}{})",
                            pinned.join(", "),
                            if pins.len() > 5 { ", …" } else { "" }
                        )
                    }
                )
            }
            Conflict::ShortLines { schools, sites, pins } => {
                let names: Vec<String> =
                    schools.iter().map(|(sc, k)| format!("{} (max_sites = {k})", s.school(*sc).id)).collect();
                let groups: Vec<String> =
                    sites.iter().map(|(w, min)| format!("{} (0 or at least {min})", s.workplace(*w).id)).collect();
                let pinned: Vec<&str> = pins.iter().take(5).map(|l| s.learner(*l).id.as_str()).collect();
                format!(
                    "schools {} cannot keep to their max_sites and meet the other constraints (school floors, pins{}) \
                     at once; raise max_sites or lower the floors{}{}",
                    names.join(", "),
                    if groups.is_empty() {
                        String::new()
                    } else {
                        format!(", sites {} that take a group or nobody", groups.join(", "))
                    },
                    if pins.is_empty() { "" } else { " (pinned learners: " },
                    if pins.is_empty() {
                        String::new()
                    } else {
                        format!("{}{})", pinned.join(", "), if pins.len() > 5 { ", …" } else { "" })
                    }
                )
            }
            Conflict::Solver(msg) | Conflict::Unsupported(msg) => msg.clone(),
            Conflict::Shortfall { floors, pins, sites, need, available, limits } => {
                let mut who = Vec::new();
                for (w, min) in sites {
                    who.push(format!("site {} needs a group of at least {min} learners", s.workplace(*w).id));
                }
                for (sc, p, min) in floors {
                    who.push(format!(
                        "school {} needs {min} placements in programme {}",
                        s.school(*sc).id,
                        s.programme(*p).id
                    ));
                }
                if !pins.is_empty() {
                    let names: Vec<&str> = pins.iter().take(5).map(|l| s.learner(*l).id.as_str()).collect();
                    who.push(format!(
                        "{} pinned learner(s) ({}{}) must keep their placement",
                        pins.len(),
                        names.join(", "),
                        if pins.len() > 5 { ", …" } else { "" }
                    ));
                }
                let shown: Vec<String> = limits.iter().take(6).map(|(l, n)| format!("{} {n}", l.describe(s))).collect();
                let within = if shown.is_empty() {
                    // No limit binds: nothing usable is in reach at all.
                    ": no usable site (recognised, in reach and open to them) exists".to_string()
                } else {
                    format!(" ({}{})", shown.join(", "), if limits.len() > 6 { ", …" } else { "" })
                };
                format!("{}: {need} placements needed, but only {available} are within reach{within}", who.join("; "),)
            }
        }
    }
}

impl Infeasible {
    /// Every conflict in plain language.
    /// Every conflict in plain language, each line once (two conflicts can
    /// read the same, such as one floor found from several components).
    pub fn describe(&self, s: &Season) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        for line in self.conflicts.iter().map(|c| c.describe(s)) {
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use dualmatch_core::season::doc::*;
    use dualmatch_core::season::from_doc;

    use super::*;

    fn season() -> Season {
        let doc = SeasonDoc {
            programmes: vec![ProgrammeRec { rhythm: None, id: "P".into(), name: "Kok".into(), row: 0 }],
            schools: vec![SchoolRec { rhythm: None, id: "S".into(), name: "s".into(), lat: 51.0, lon: 4.0, row: 0 }],
            ..SeasonDoc::default()
        };
        from_doc(doc).map(|l| l.season).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn a_shortfall_without_limits_has_no_empty_parenthesis_and_lines_are_not_repeated() {
        let s = season();
        let (sc, p) = (SchoolId::from_index(0), ProgrammeId::from_index(0));
        let c = Conflict::Shortfall {
            floors: vec![(sc, p, 3)],
            pins: vec![],
            sites: vec![],
            need: 3,
            available: 0,
            limits: vec![],
        };
        let line = c.describe(&s);
        assert!(!line.contains("()"), "{line}");
        assert!(
            line.ends_with("only 0 are within reach: no usable site (recognised, in reach and open to them) exists"),
            "{line}"
        );
        let inf = Infeasible { conflicts: vec![c.clone(), c.clone(), c] };
        assert_eq!(inf.describe(&s), [line]);
    }
}
