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
//! ```

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
                message: format!("{}; see docs/constraints.md for the format", e.message()),
            }])
        })
    }
}

/// `[[school]]`: at least `min` and at most `max` placements for the school's
/// learners in the programme.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchoolRule {
    /// School id.
    pub school: Spanned<String>,
    /// Programme id.
    pub programme: Spanned<String>,
    /// Floor.
    #[serde(default)]
    pub min: Option<u32>,
    /// Cap.
    #[serde(default)]
    pub max: Option<u32>,
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
        for r in &raw.school {
            let s = season.school_by_id(r.school.get_ref());
            if s.is_none() {
                err(r.school.span(), format!("unknown school {:?}; use an id from schools.csv", r.school.get_ref()));
            }
            let p = programme(&r.programme, &mut err);
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
                        r.programme.get_ref()
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
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(ConstraintErrors(errors))
        }
    }

    /// Whether `(learner, workplace)` is forbidden.
    pub fn is_forbidden(&self, learner: LearnerId, workplace: WorkplaceId) -> bool {
        self.forbidden.binary_search(&(learner, workplace)).is_ok()
    }
}
