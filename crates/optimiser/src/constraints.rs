//! Coordinator constraints (`constraints.toml`): school floors and caps per
//! programme, seats reserved for a priority group, pinned placements,
//! forbidden pairs and a minimum score.
//!
//! ```toml
//! min_score = 20.0
//!
//! [[school]]            # per-school floor and cap in one programme
//! school = "S01"
//! programme = "P03"
//! min = 10              # optional
//! max = 40              # optional
//!
//! [[reserve]]           # seats kept for a priority group at every matching recognition
//! priority_group = "extra_support"
//! programme = "P03"     # optional: all programmes when left out
//! workplace = "W000123" # optional: all sites when left out
//! seats = 1
//!
//! [[pin]]               # a placement that must be kept
//! learner = "L000001"
//! workplace = "W000010"
//!
//! [[forbid]]            # a pair that must not be used
//! learner = "L000002"
//! workplace = "W000011"
//!
//! [[site]]              # a minimum group size at a site
//! workplace = "W000010"
//! min = 2
//! allow_empty = true    # 0 or at least `min` learners; false (default): at least `min`, always
//!
//! [[school]]            # short lines: the school's sites, over all its programmes
//! school = "S02"
//! max_sites = 8         # at most 8 distinct sites for the school's learners
//! new_site_penalty = 5.0 # score points per site that is not yet a partner of the school
//!
//! [defaults]
//! new_site_penalty = 2.0 # for every school without its own
//! ```
//!
//! Short lines (`max_sites`, `new_site_penalty`) are fixed-charge
//! constraints, not a network: see [`crate::short_lines`].

use std::ops::Range;

use dualmatch_core::ids::PriorityGroupId;
use dualmatch_core::{GroupId, LearnerId, ProgrammeId, SchoolId, Season, WorkplaceId};
use serde::Deserialize;
use toml::Spanned;

/// The constraints as written in the file, before ids are resolved.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstraintsFile {
    /// Pairs scoring below this are not used.
    #[serde(default)]
    pub min_score: Option<f64>,
    /// School floors and caps.
    #[serde(default)]
    pub school: Vec<SchoolRule>,
    /// Reserved seats.
    #[serde(default)]
    pub reserve: Vec<ReserveRule>,
    /// Pinned placements.
    #[serde(default)]
    pub pin: Vec<PairRule>,
    /// Forbidden pairs.
    #[serde(default)]
    pub forbid: Vec<PairRule>,
    /// Minimum group sizes at a site.
    #[serde(default)]
    pub site: Vec<SiteRule>,
    /// Rules for every school (`[defaults]`).
    #[serde(default)]
    pub defaults: Option<DefaultsRule>,
}

/// `[defaults]`: rules for every school that sets none of its own.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultsRule {
    /// Score points per site that is not yet a partner of the school (see
    /// [`SchoolRule::new_site_penalty`]).
    #[serde(default)]
    pub new_site_penalty: Option<Spanned<f64>>,
}

impl ConstraintsFile {
    /// Parses a constraints file without resolving its ids. `file` names it
    /// in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, ConstraintErrors> {
        toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| line_of(text, s));
            ConstraintErrors(vec![ConstraintError {
                file: file.to_string(),
                line,
                message: format!(
                    "{}; see docs/constraints.md for the format",
                    dualmatch_core::toml_words::explain(e.message(), text, e.span())
                ),
            }])
        })
    }
}

/// `[[school]]`: with `programme`, at least `min` and at most `max`
/// placements for the school's learners in the programme; without it, the
/// school's short lines (`max_sites`, `new_site_penalty`) over all its
/// programmes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchoolRule {
    /// School id.
    pub school: Spanned<String>,
    /// Programme id (needed for `min` and `max`).
    #[serde(default)]
    pub programme: Option<Spanned<String>>,
    /// Floor.
    #[serde(default)]
    pub min: Option<u32>,
    /// Cap.
    #[serde(default)]
    pub max: Option<u32>,
    /// At most this many distinct workplace sites for the school's learners.
    #[serde(default)]
    pub max_sites: Option<Spanned<u32>>,
    /// Score points taken off per site used that is not yet a partner of
    /// the school (not in the site's `partner_schools`).
    #[serde(default)]
    pub new_site_penalty: Option<Spanned<f64>>,
}

/// `[[reserve]]`: seats kept for a priority group.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReserveRule {
    /// Priority group name, as in `learners.csv`.
    pub priority_group: Spanned<String>,
    /// Only recognitions for this programme.
    #[serde(default)]
    pub programme: Option<Spanned<String>>,
    /// Only recognitions of this site.
    #[serde(default)]
    pub workplace: Option<Spanned<String>>,
    /// Seats reserved at each matching recognition (at most its seats).
    pub seats: u32,
}

/// `[[pin]]` or `[[forbid]]`: one learner and one site.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairRule {
    /// Learner id.
    pub learner: Spanned<String>,
    /// Workplace id.
    pub workplace: Spanned<String>,
}

/// `[[site]]`: at least `min` learners at a site (over all its
/// programmes), or, with `allow_empty`, either none or at least `min`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteRule {
    /// Workplace id.
    pub workplace: Spanned<String>,
    /// The smallest group.
    pub min: u32,
    /// Whether the site may also stay empty ("a group or nobody").
    #[serde(default)]
    pub allow_empty: bool,
}

/// A problem in a constraints file: where it is and what to do.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ConstraintError {
    /// The file as named by the user.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong and what to do.
    pub message: String,
}

/// Every problem found in a constraints file.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct ConstraintErrors(pub Vec<ConstraintError>);

/// A floor and cap for one (school, programme).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchoolBound {
    /// The school.
    pub school: SchoolId,
    /// The programme.
    pub programme: ProgrammeId,
    /// At least this many placements.
    pub min: u32,
    /// At most this many placements (`u32::MAX`: no cap).
    pub max: u32,
}

/// Seats of one recognition kept for one priority group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reserve {
    /// The recognition.
    pub group: GroupId,
    /// Who may use the reserved seats.
    pub priority_group: PriorityGroupId,
    /// How many seats (at most the recognition's seats).
    pub seats: u32,
}

/// A minimum group size at one site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SiteMinimum {
    /// The site.
    pub workplace: WorkplaceId,
    /// At least this many learners (over all its programmes), at least 1.
    pub min: u32,
    /// `true`: none or at least `min` ("a group or nobody", not a network;
    /// solved as a mixed-integer model, see [`crate::mip`]). `false`: at
    /// least `min`, always (a lower bound in the network).
    pub allow_empty: bool,
}

/// Short lines for one school ([`crate::short_lines`]): the most distinct
/// sites its learners may use, and the score points taken off per site
/// used that is not yet a partner of the school.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShortLine {
    /// The school.
    pub school: SchoolId,
    /// At most this many distinct sites (`u32::MAX`: no limit), at least 1.
    pub max_sites: u32,
    /// Score points per site used that is not a partner of the school (0:
    /// none); finite, 0 or more.
    pub new_site_penalty: f64,
}

/// Constraints with every id resolved against a season.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Constraints {
    /// Pairs scoring below this are not used.
    pub min_score: Option<f64>,
    /// School floors and caps, at most one per (school, programme).
    pub school_bounds: Vec<SchoolBound>,
    /// Reserved seats, at most one per recognition.
    pub reserves: Vec<Reserve>,
    /// Pinned placements (learner, site).
    pub pins: Vec<(LearnerId, WorkplaceId)>,
    /// Forbidden pairs (learner, site), sorted.
    pub forbidden: Vec<(LearnerId, WorkplaceId)>,
    /// Minimum group sizes, at most one per site, sorted by site.
    pub site_minimums: Vec<SiteMinimum>,
    /// Short lines, at most one per school, sorted by school (`[defaults]
    /// new_site_penalty` already applied to every other school).
    pub short_lines: Vec<ShortLine>,
}

/// The 1-based line of a byte span in `text`.
pub(crate) fn line_of(text: &str, span: Range<usize>) -> usize {
    text[..span.start.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

impl Constraints {
    /// No constraints beyond seats and capacity.
    pub fn none() -> Self {
        Self::default()
    }

    /// Parses and resolves a constraints file. `file` names it in errors.
    pub fn parse(text: &str, file: &str, season: &Season) -> Result<Self, ConstraintErrors> {
        Self::resolve(&ConstraintsFile::parse(text, file)?, text, file, season)
    }

    /// Resolves ids of a parsed file against a season, reporting every problem.
    pub fn resolve(raw: &ConstraintsFile, text: &str, file: &str, season: &Season) -> Result<Self, ConstraintErrors> {
        let mut errors = Vec::new();
        let mut err = |span: Range<usize>, message: String| {
            errors.push(ConstraintError { file: file.to_string(), line: line_of(text, span), message })
        };
        let mut out = Constraints { min_score: raw.min_score, ..Default::default() };
        if let Some(m) = raw.min_score {
            if !m.is_finite() || m < 0.0 {
                err(0..0, format!("min_score = {m} must be a finite number of 0 or more"));
            }
        }
        let learner = |s: &Spanned<String>, err: &mut dyn FnMut(Range<usize>, String)| {
            let id = season.learner_by_id(s.get_ref());
            if id.is_none() {
                err(s.span(), format!("unknown learner {:?}; use an id from learners.csv", s.get_ref()));
            }
            id
        };
        let workplace = |s: &Spanned<String>, err: &mut dyn FnMut(Range<usize>, String)| {
            let id = season.workplace_by_id(s.get_ref());
            if id.is_none() {
                err(s.span(), format!("unknown workplace {:?}; use an id from workplaces.csv", s.get_ref()));
            }
            id
        };
        let programme = |s: &Spanned<String>, err: &mut dyn FnMut(Range<usize>, String)| {
            let id = season.programme_by_id(s.get_ref());
            if id.is_none() {
                err(s.span(), format!("unknown programme {:?}; use an id from programmes.csv", s.get_ref()));
            }
            id
        };
        let mut own_penalty = Vec::new();
        for r in &raw.school {
            let s = season.school_by_id(r.school.get_ref());
            if s.is_none() {
                err(r.school.span(), format!("unknown school {:?}; use an id from schools.csv", r.school.get_ref()));
            }
            let Some(prog) = &r.programme else {
                if let Some(school) = s {
                    crate::short_lines::resolve_rule(r, school, &mut out.short_lines, &mut own_penalty, &mut err);
                }
                continue;
            };
            if let Some(key) = crate::short_lines::misplaced_key(r) {
                err(
                    key.0,
                    format!(
                        "{} counts the school's sites over all its programmes; write it in a [[school]] entry \
                         without `programme`",
                        key.1
                    ),
                );
            }
            let p = programme(prog, &mut err);
            let (Some(school), Some(programme)) = (s, p) else { continue };
            let (min, max) = (r.min.unwrap_or(0), r.max.unwrap_or(u32::MAX));
            if min > max {
                err(r.school.span(), format!("min = {min} is above max = {max}; a floor cannot exceed the cap"));
                continue;
            }
            if out.school_bounds.iter().any(|b| b.school == school && b.programme == programme) {
                err(
                    r.school.span(),
                    format!(
                        "school {:?} in programme {:?} has two [[school]] entries; merge them",
                        r.school.get_ref(),
                        prog.get_ref()
                    ),
                );
                continue;
            }
            out.school_bounds.push(SchoolBound { school, programme, min, max });
        }
        for r in &raw.reserve {
            let Some(pg) = season.priority_groups().iter().position(|g| g == r.priority_group.get_ref()) else {
                err(
                    r.priority_group.span(),
                    format!(
                        "no learner has priority_group {:?}; check the spelling in learners.csv",
                        r.priority_group.get_ref()
                    ),
                );
                continue;
            };
            let p = r.programme.as_ref().map(|p| programme(p, &mut err));
            let w = r.workplace.as_ref().map(|w| workplace(w, &mut err));
            if matches!(p, Some(None)) || matches!(w, Some(None)) {
                continue;
            }
            let (p, w) = (p.flatten(), w.flatten());
            let mut matched = 0;
            for (gi, g) in season.groups().iter().enumerate() {
                if p.is_some_and(|p| p != g.programme) || w.is_some_and(|w| w != g.workplace) {
                    continue;
                }
                matched += 1;
                let group = GroupId::from_index(gi);
                if out.reserves.iter().any(|x| x.group == group) {
                    err(
                        r.priority_group.span(),
                        format!(
                            "recognition {}/{} is reserved twice; one [[reserve]] per recognition",
                            season.workplace(g.workplace).id,
                            season.programme(g.programme).id
                        ),
                    );
                    continue;
                }
                out.reserves.push(Reserve {
                    group,
                    priority_group: PriorityGroupId(pg as u32),
                    seats: r.seats.min(g.seats),
                });
            }
            if matched == 0 {
                err(
                    r.priority_group.span(),
                    "this [[reserve]] matches no recognition; check workplace and programme".to_string(),
                );
            }
        }
        for r in &raw.pin {
            let (l, w) = (learner(&r.learner, &mut err), workplace(&r.workplace, &mut err));
            if let (Some(l), Some(w)) = (l, w) {
                if let Some((_, prev)) = out.pins.iter().find(|(x, _)| *x == l) {
                    err(
                        r.learner.span(),
                        format!(
                            "learner {:?} is pinned twice (also to {:?}); a learner has one placement",
                            r.learner.get_ref(),
                            season.workplace(*prev).id
                        ),
                    );
                    continue;
                }
                out.pins.push((l, w));
            }
        }
        for r in &raw.forbid {
            if let (Some(l), Some(w)) = (learner(&r.learner, &mut err), workplace(&r.workplace, &mut err)) {
                if out.pins.contains(&(l, w)) {
                    err(
                        r.learner.span(),
                        format!(
                            "pair {:?}–{:?} is both pinned and forbidden",
                            r.learner.get_ref(),
                            r.workplace.get_ref()
                        ),
                    );
                }
                out.forbidden.push((l, w));
            }
        }
        out.forbidden.sort_unstable();
        out.forbidden.dedup();
        for r in &raw.site {
            let Some(w) = workplace(&r.workplace, &mut err) else { continue };
            if r.min == 0 {
                err(
                    r.workplace.span(),
                    format!(
                        "min = 0 for site {:?} sets no minimum; use min = 1 or more, or remove the [[site]] entry",
                        r.workplace.get_ref()
                    ),
                );
                continue;
            }
            if out.site_minimums.iter().any(|x| x.workplace == w) {
                err(
                    r.workplace.span(),
                    format!("site {:?} has two [[site]] entries; merge them", r.workplace.get_ref()),
                );
                continue;
            }
            out.site_minimums.push(SiteMinimum { workplace: w, min: r.min, allow_empty: r.allow_empty });
        }
        out.site_minimums.sort_unstable_by_key(|x| x.workplace);
        crate::short_lines::apply_defaults(raw.defaults.as_ref(), season, &own_penalty, &mut out.short_lines, &mut err);
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(ConstraintErrors(errors))
        }
    }

    /// The minimum group size at site `w`, if any.
    pub fn site_minimum(&self, w: WorkplaceId) -> Option<SiteMinimum> {
        self.site_minimums.binary_search_by_key(&w, |x| x.workplace).ok().map(|i| self.site_minimums[i])
    }

    /// Whether some site takes "a group or nobody" (`allow_empty = true`),
    /// which is not a network constraint.
    pub fn any_group_or_nobody(&self) -> bool {
        self.site_minimums.iter().any(|x| x.allow_empty)
    }

    /// The short lines of school `s`, if any.
    pub fn short_line(&self, s: SchoolId) -> Option<ShortLine> {
        self.short_lines.binary_search_by_key(&s, |x| x.school).ok().map(|i| self.short_lines[i])
    }

    /// Whether some school has short lines (`max_sites` or a
    /// `new_site_penalty` above 0), which are not network constraints.
    pub fn any_short_lines(&self) -> bool {
        !self.short_lines.is_empty()
    }

    /// Whether `(learner, workplace)` is forbidden.
    pub fn is_forbidden(&self, learner: LearnerId, workplace: WorkplaceId) -> bool {
        self.forbidden.binary_search(&(learner, workplace)).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Programmes P1, P2; school S1; L1 (P1, group `extra`), L2 (P2); W1
    /// recognised for P1 (2 seats) and P2 (1 seat), W2 for P1 (1 seat).
    fn season() -> Season {
        let learner = |id: &str, p: &str, group: &str| {
            format!(
                r#"{{"id":"{id}","school":"S1","programme":"{p}","lat":51,"lon":4,"max_commute_km":20,
                   "readiness":3,"screening":"passed"{group}}}"#
            )
        };
        let site =
            |id: &str| format!(r#"{{"id":"{id}","company":"c","lat":51,"lon":4,"capacity":null,"min_readiness":1}}"#);
        let rec = |w: &str, p: &str, seats: u32| format!(r#"{{"workplace":"{w}","programme":"{p}","seats":{seats}}}"#);
        let json = format!(
            r#"{{"programmes":[{{"id":"P1","name":"a"}},{{"id":"P2","name":"b"}}],
                "schools":[{{"id":"S1","name":"s","lat":51,"lon":4}}],
                "learners":[{},{}],"workplaces":[{},{}],"recognitions":[{},{},{}]}}"#,
            learner("L1", "P1", r#","priority_group":"extra""#),
            learner("L2", "P2", ""),
            site("W1"),
            site("W2"),
            rec("W1", "P1", 2),
            rec("W1", "P2", 1),
            rec("W2", "P1", 1),
        );
        dualmatch_core::season::from_json_str(&json, "season.json").expect("test season").season
    }

    fn parse(text: &str) -> Result<Constraints, ConstraintErrors> {
        Constraints::parse(text, "c.toml", &season())
    }

    /// The one error of `text`: (line, message).
    fn error(text: &str) -> (usize, String) {
        let errs = parse(text).expect_err("must be refused").0;
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].file, "c.toml");
        (errs[0].line, errs[0].message.clone())
    }

    #[test]
    fn resolves_every_section() {
        let s = season();
        let c = parse(
            "min_score = 12.5\n\
             [[school]]\nschool = \"S1\"\nprogramme = \"P2\"\nmax = 1\n\
             [[school]]\nschool = \"S1\"\nprogramme = \"P1\"\nmin = 1\n\
             [[reserve]]\npriority_group = \"extra\"\nworkplace = \"W1\"\nseats = 5\n\
             [[pin]]\nlearner = \"L1\"\nworkplace = \"W2\"\n\
             [[forbid]]\nlearner = \"L2\"\nworkplace = \"W2\"\n\
             [[forbid]]\nlearner = \"L1\"\nworkplace = \"W1\"\n\
             [[forbid]]\nlearner = \"L2\"\nworkplace = \"W2\"\n",
        )
        .unwrap();
        let (l1, l2) = (s.learner_by_id("L1").unwrap(), s.learner_by_id("L2").unwrap());
        let (w1, w2) = (s.workplace_by_id("W1").unwrap(), s.workplace_by_id("W2").unwrap());
        let (p1, p2) = (s.programme_by_id("P1").unwrap(), s.programme_by_id("P2").unwrap());
        let s1 = s.school_by_id("S1").unwrap();
        assert_eq!(c.min_score, Some(12.5));
        // A missing floor is 0 and a missing cap is none.
        assert_eq!(
            c.school_bounds,
            vec![
                SchoolBound { school: s1, programme: p2, min: 0, max: 1 },
                SchoolBound { school: s1, programme: p1, min: 1, max: u32::MAX },
            ]
        );
        // Without a programme the reserve covers both recognitions of W1, each
        // clipped to its seats; W2 is not covered.
        let mut reserved: Vec<_> = c.reserves.iter().map(|r| (s.group(r.group).programme, r.seats)).collect();
        reserved.sort();
        assert_eq!(reserved, vec![(p1, 2), (p2, 1)]);
        assert!(c.reserves.iter().all(|r| s.group(r.group).workplace == w1 && r.priority_group.0 == 0));
        assert_eq!(c.pins, vec![(l1, w2)]);
        // Forbidden pairs sorted, duplicates dropped.
        assert_eq!(c.forbidden, vec![(l1, w1), (l2, w2)]);
        assert!(c.is_forbidden(l2, w2) && c.is_forbidden(l1, w1));
        assert!(!c.is_forbidden(l1, w2) && !c.is_forbidden(l2, w1));
    }

    #[test]
    fn resolves_site_minimums() {
        let s = season();
        let c =
            parse("[[site]]\nworkplace = \"W2\"\nmin = 2\nallow_empty = true\n[[site]]\nworkplace = \"W1\"\nmin = 1\n")
                .unwrap();
        let (w1, w2) = (s.workplace_by_id("W1").unwrap(), s.workplace_by_id("W2").unwrap());
        // Sorted by site; allow_empty defaults to false (a hard minimum).
        assert_eq!(
            c.site_minimums,
            vec![
                SiteMinimum { workplace: w1, min: 1, allow_empty: false },
                SiteMinimum { workplace: w2, min: 2, allow_empty: true },
            ]
        );
        assert_eq!(c.site_minimum(w2).map(|x| x.min), Some(2));
        assert!(c.any_group_or_nobody());
        assert!(!parse("[[site]]\nworkplace = \"W1\"\nmin = 3\n").unwrap().any_group_or_nobody());
    }

    #[test]
    fn resolves_short_lines_and_defaults() {
        let s = season();
        let s1 = s.school_by_id("S1").unwrap();
        let c = parse("[[school]]\nschool = \"S1\"\nmax_sites = 3\n").unwrap();
        assert_eq!(c.short_lines, vec![ShortLine { school: s1, max_sites: 3, new_site_penalty: 0.0 }]);
        assert!(c.any_short_lines() && c.short_line(s1).is_some());
        // `[defaults]` fills in the penalty of a school without its own ...
        let c = parse("[defaults]\nnew_site_penalty = 2.5\n[[school]]\nschool = \"S1\"\nmax_sites = 3\n").unwrap();
        assert_eq!(c.short_lines, vec![ShortLine { school: s1, max_sites: 3, new_site_penalty: 2.5 }]);
        let c = parse("[defaults]\nnew_site_penalty = 2.5\n").unwrap();
        assert_eq!(c.short_lines, vec![ShortLine { school: s1, max_sites: u32::MAX, new_site_penalty: 2.5 }]);
        // ... but not of one with its own, even 0, and a rule that limits
        // nothing is dropped.
        let c =
            parse("[defaults]\nnew_site_penalty = 2.5\n[[school]]\nschool = \"S1\"\nnew_site_penalty = 0\n").unwrap();
        assert!(c.short_lines.is_empty() && !c.any_short_lines());
        // Floors and short lines of one school live side by side.
        let c = parse(
            "[[school]]\nschool = \"S1\"\nprogramme = \"P1\"\nmin = 1\n[[school]]\nschool = \"S1\"\nnew_site_penalty = 4\n",
        )
        .unwrap();
        assert_eq!(c.school_bounds.len(), 1);
        assert_eq!(c.short_lines, vec![ShortLine { school: s1, max_sites: u32::MAX, new_site_penalty: 4.0 }]);
    }

    #[test]
    fn an_empty_file_is_no_constraints() {
        assert_eq!(parse("").unwrap(), Constraints::none());
    }

    #[test]
    fn a_reserve_on_one_programme_covers_every_site_of_it() {
        let s = season();
        let c = parse("[[reserve]]\npriority_group = \"extra\"\nprogramme = \"P1\"\nseats = 1\n").unwrap();
        let mut sites: Vec<_> = c.reserves.iter().map(|r| (s.group(r.group).workplace, r.seats)).collect();
        sites.sort();
        let (w1, w2) = (s.workplace_by_id("W1").unwrap(), s.workplace_by_id("W2").unwrap());
        assert_eq!(sites, vec![(w1, 1), (w2, 1)]);
    }

    #[test]
    fn refuses_each_problem_with_its_line() {
        let cases: &[(&str, usize, &str)] = &[
            ("min_score = -1.0\n", 1, "min_score = -1 must be a finite number of 0 or more"),
            ("\n[[pin]]\nlearner = \"L9\"\nworkplace = \"W1\"\n", 3, "unknown learner \"L9\""),
            ("[[forbid]]\nlearner = \"L1\"\nworkplace = \"W9\"\n", 3, "unknown workplace \"W9\""),
            ("[[school]]\nschool = \"S9\"\nprogramme = \"P1\"\n", 2, "unknown school \"S9\""),
            ("[[school]]\nschool = \"S1\"\nprogramme = \"P9\"\n", 3, "unknown programme \"P9\""),
            ("[[school]]\nschool = \"S1\"\nprogramme = \"P1\"\nmin = 3\nmax = 2\n", 2, "min = 3 is above max = 2"),
            (
                "[[school]]\nschool = \"S1\"\nprogramme = \"P1\"\n[[school]]\nschool = \"S1\"\nprogramme = \"P1\"\n",
                5,
                "has two [[school]] entries",
            ),
            ("[[reserve]]\npriority_group = \"nobody\"\nseats = 1\n", 2, "no learner has priority_group \"nobody\""),
            (
                "[[reserve]]\npriority_group = \"extra\"\nprogramme = \"P2\"\nworkplace = \"W2\"\nseats = 1\n",
                2,
                "matches no recognition",
            ),
            (
                "[[reserve]]\npriority_group = \"extra\"\nseats = 1\n[[reserve]]\npriority_group = \"extra\"\nworkplace = \"W2\"\nseats = 1\n",
                5,
                "recognition W2/P1 is reserved twice",
            ),
            (
                "[[pin]]\nlearner = \"L1\"\nworkplace = \"W1\"\n[[pin]]\nlearner = \"L1\"\nworkplace = \"W1\"\n",
                5,
                "learner \"L1\" is pinned twice",
            ),
            (
                "[[pin]]\nlearner = \"L1\"\nworkplace = \"W1\"\n[[forbid]]\nlearner = \"L1\"\nworkplace = \"W1\"\n",
                5,
                "is both pinned and forbidden",
            ),
            ("\n\n[[pin]]\nlearner = \"L1\"\nsite = \"W1\"\n", 5, "unknown key `site` (the keys here are learner, workplace)"),
            ("min_score = \"high\"\n", 1, "min_score: the text \"high\" (in quotes) where a number is expected"),
            ("[school]\nschool = \"S1\"\n", 1, "`[school]` must be written `[[school]]`: each school rule is one entry of a list"),
            ("[[site]]\nworkplace = \"W9\"\nmin = 2\n", 2, "unknown workplace \"W9\""),
            ("[[site]]\nworkplace = \"W1\"\nmin = 0\n", 2, "min = 0 for site \"W1\" sets no minimum"),
            (
                "[[site]]\nworkplace = \"W1\"\nmin = 1\n[[site]]\nworkplace = \"W1\"\nmin = 2\n",
                5,
                "site \"W1\" has two [[site]] entries",
            ),
            ("[[site]]\nworkplace = \"W1\"\nmin = 1\nallow_empty = \"yes\"\n", 4, "allow_empty: the text \"yes\" (in quotes) where true or false is expected"),
            ("[[school]]\nschool = \"S1\"\nmax_sites = 0\n", 3, "max_sites = 0 for school \"S1\" allows no placement"),
            ("[[school]]\nschool = \"S1\"\n\nnew_site_penalty = -1.0\n", 4, "new_site_penalty = -1 must be a finite number of 0 or more"),
            ("[defaults]\nnew_site_penalty = nan\n", 2, "new_site_penalty = NaN must be a finite number of 0 or more"),
            ("[[school]]\nschool = \"S1\"\nprogramme = \"P1\"\nmax_sites = 2\n", 4, "max_sites counts the school's sites over all its programmes"),
            ("[[school]]\nschool = \"S1\"\nmax = 2\n", 2, "sets min or max without `programme`"),
            ("[[school]]\nschool = \"S1\"\n", 2, "[[school]] \"S1\" sets nothing"),
            (
                "[[school]]\nschool = \"S1\"\nmax_sites = 2\n[[school]]\nschool = \"S1\"\nmax_sites = 3\n",
                5,
                "school \"S1\" has two [[school]] entries without `programme`",
            ),
            ("[[school]]\nschool = \"S1\"\nmax_site = 2\n", 3, "unknown key `max_site`: did you mean `max_sites`?"),
            ("[defaults]\nnew_site_penalti = 2.0\n", 2, "unknown key `new_site_penalti`: did you mean `new_site_penalty`?"),
            ("[[school]]\nschool = \"S1\"\nmax_sites = \"8\"\n", 3, "write max_sites = 8 without quotes"),
        ];
        for (text, line, message) in cases {
            let (got_line, got) = error(text);
            assert!(got.contains(message), "{text:?}: {got}");
            assert_eq!(got_line, *line, "{text:?}: {got}");
        }
    }

    #[test]
    fn reports_every_problem_at_once() {
        let errs = parse(
            "[[pin]]\nlearner = \"L9\"\nworkplace = \"W9\"\n\
             [[school]]\nschool = \"S1\"\nprogramme = \"P1\"\nmin = 2\nmax = 1\n",
        )
        .unwrap_err()
        .0;
        let lines: Vec<usize> = errs.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![5, 2, 3], "{errs:?}");
        assert!(errs.iter().all(|e| e.to_string().starts_with(&format!("c.toml:{}: ", e.line))));
    }
}
