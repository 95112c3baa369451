//! Short lines: few, steady partners per school (`constraints.toml`
//! `[[school]] max_sites`, `new_site_penalty`, `[defaults]
//! new_site_penalty`).
//!
//! - `max_sites = k`: the school's placed learners, over all its
//!   programmes, are at no more than `k` distinct workplace sites.
//! - `new_site_penalty = p`: every site the school uses that is not yet an
//!   **existing partner** of the school costs `p` score points in the
//!   objective. A site is an existing partner of a school when its
//!   `partner_schools` (workplaces.csv) lists the school: the same
//!   partnership as the scoring's `partnership` component.
//!
//! Both are fixed charges, not a network: per school and site a binary `y`
//! ("the school uses the site"), `x ≤ y` for each of the school's arcs at
//! the site, `Σ y ≤ max_sites` over the school's sites, and `− p·y` in the
//! objective for each site that is not a partner. The components of
//! [`crate::network`] that hold such a school (all its learners are in one)
//! go to the mixed-integer path ([`crate::mip`]), with the bound, the gap
//! and the time limit; the rest stay on the network simplex.
//!
//! The score a result reports stays the sum of the placements' scores; with
//! penalties, the proof's bound is the bound on the penalised objective
//! plus the penalties the placement pays, so that `bound − total score` is
//! still the gap of the objective that was optimised.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use dualmatch_core::{LearnerId, SchoolId, Season, WorkplaceId};
use serde::{Deserialize, Serialize};

use crate::constraints::{DefaultsRule, SchoolRule, ShortLine};
use crate::mip::{Binary, MipProblem, Sense, Side};
use crate::model::{Assignment, ModelArc, PlacementModel, WEIGHT_SCALE};
use crate::policies::ShortLineKey;

/// Where a short-lines problem is and what to do: (span, message).
type Err<'e> = &'e mut dyn FnMut(Range<usize>, String);

/// A short-lines key written in a `[[school]]` entry with a programme:
/// its span and name.
pub(crate) fn misplaced_key(r: &SchoolRule) -> Option<(Range<usize>, &'static str)> {
    if let Some(k) = &r.max_sites {
        return Some((k.span(), "max_sites"));
    }
    r.new_site_penalty.as_ref().map(|p| (p.span(), "new_site_penalty"))
}

fn check_penalty(p: &toml::Spanned<f64>, err: Err) -> bool {
    let v = *p.get_ref();
    let ok = v.is_finite() && v >= 0.0;
    if !ok {
        err(
            p.span(),
            format!("new_site_penalty = {v} must be a finite number of 0 or more (score points per new site)"),
        );
    }
    ok
}

/// Resolves a `[[school]]` entry without a programme (school `school`
/// already resolved) into `lines`; `own` collects the schools that set
/// their own penalty.
pub(crate) fn resolve_rule(
    r: &SchoolRule,
    school: SchoolId,
    lines: &mut Vec<ShortLine>,
    own: &mut Vec<SchoolId>,
    err: Err,
) {
    let id = r.school.get_ref();
    if r.min.is_some() || r.max.is_some() {
        err(
            r.school.span(),
            format!("[[school]] {id:?} sets min or max without `programme`; floors and caps are per programme, so add `programme = \"…\"`"),
        );
        return;
    }
    if r.max_sites.is_none() && r.new_site_penalty.is_none() {
        err(
            r.school.span(),
            format!(
                "[[school]] {id:?} sets nothing; add `programme` with `min`/`max`, or `max_sites`/`new_site_penalty`"
            ),
        );
        return;
    }
    let mut ok = true;
    if let Some(k) = &r.max_sites {
        if *k.get_ref() == 0 {
            err(
                k.span(),
                format!("max_sites = 0 for school {id:?} allows no placement; use max_sites = 1 or more, or remove it"),
            );
            ok = false;
        }
    }
    if let Some(p) = &r.new_site_penalty {
        ok &= check_penalty(p, err);
    }
    if lines.iter().any(|x| x.school == school) {
        err(r.school.span(), format!("school {id:?} has two [[school]] entries without `programme`; merge them"));
        return;
    }
    if !ok {
        return;
    }
    if r.new_site_penalty.is_some() {
        own.push(school);
    }
    lines.push(ShortLine {
        school,
        max_sites: r.max_sites.as_ref().map_or(u32::MAX, |k| *k.get_ref()),
        new_site_penalty: r.new_site_penalty.as_ref().map_or(0.0, |p| *p.get_ref()),
    });
}

/// Applies `[defaults] new_site_penalty` to every school that sets no
/// penalty of its own, drops rules that constrain nothing, and sorts.
pub(crate) fn apply_defaults(
    defaults: Option<&DefaultsRule>,
    season: &Season,
    own: &[SchoolId],
    lines: &mut Vec<ShortLine>,
    err: Err,
) {
    if let Some(p) = defaults.and_then(|d| d.new_site_penalty.as_ref()) {
        if check_penalty(p, err) {
            for si in 0..season.schools().len() {
                let school = SchoolId::from_index(si);
                if own.contains(&school) {
                    continue;
                }
                match lines.iter_mut().find(|x| x.school == school) {
                    Some(x) => x.new_site_penalty = *p.get_ref(),
                    None => lines.push(ShortLine { school, max_sites: u32::MAX, new_site_penalty: *p.get_ref() }),
                }
            }
        }
    }
    lines.retain(|x| x.max_sites != u32::MAX || x.new_site_penalty > 0.0);
    lines.sort_unstable_by_key(|x| x.school);
}

/// The short lines of learner `l`'s school, if any.
pub(crate) fn of_learner(m: &PlacementModel, l: LearnerId) -> Option<ShortLine> {
    m.constraints.short_line(m.season.learner(l).school)
}

/// Whether some learner of `learners` belongs to a school with short lines
/// (the part then goes to the mixed-integer path).
pub(crate) fn touches(m: &PlacementModel, learners: &[LearnerId]) -> bool {
    m.constraints.any_short_lines() && learners.iter().any(|&l| of_learner(m, l).is_some())
}

/// Whether site `w` is an existing partner of school `s` (the site's
/// `partner_schools` lists it).
pub fn is_partner(season: &Season, s: SchoolId, w: WorkplaceId) -> bool {
    season.workplace(w).partner_schools.contains(&s)
}

/// The penalty, in integer weights, of one new site for a rule.
fn penalty_weight(rule: &ShortLine) -> i128 {
    (rule.new_site_penalty * WEIGHT_SCALE).round() as i128
}

/// The (school, site) pairs a placement uses, sorted.
fn used(m: &PlacementModel, placed: impl Iterator<Item = (LearnerId, ModelArc)>) -> Vec<(SchoolId, WorkplaceId)> {
    let mut out: Vec<(SchoolId, WorkplaceId)> =
        placed.map(|(l, a)| (m.season.learner(l).school, m.season.group(m.group_of(a)).workplace)).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The penalties a placement pays, in integer weights (score × 10⁶): the
/// new-site penalty of each (school, site) used that is not a partner.
pub fn penalty_paid(m: &PlacementModel, placed: &[(LearnerId, ModelArc)]) -> i128 {
    used(m, placed.iter().copied())
        .into_iter()
        .filter_map(|(s, w)| {
            let rule = m.constraints.short_line(s)?;
            (!is_partner(m.season, s, w)).then(|| penalty_weight(&rule))
        })
        .sum()
}

/// The penalties an assignment pays, in integer weights.
pub fn assignment_penalty(m: &PlacementModel, a: &Assignment) -> i128 {
    let placed: Vec<(LearnerId, ModelArc)> = a.placements().filter_map(|(l, c)| Some((l, m.arc_to(l, c)?))).collect();
    penalty_paid(m, &placed)
}

/// Checks every `max_sites`: the first school over its limit.
pub fn check(m: &PlacementModel, a: &Assignment) -> Result<(), String> {
    if !m.constraints.any_short_lines() {
        return Ok(());
    }
    let mut sites: BTreeMap<SchoolId, Vec<WorkplaceId>> = BTreeMap::new();
    for (l, c) in a.placements() {
        let s = m.season.learner(l).school;
        let w = m.season.group(m.candidates.group_of(c)).workplace;
        let v = sites.entry(s).or_default();
        if !v.contains(&w) {
            v.push(w);
        }
    }
    for (s, v) in sites {
        if let Some(rule) = m.constraints.short_line(s) {
            if v.len() as u64 > u64::from(rule.max_sites) {
                return Err(format!(
                    "school {} placed at {} sites, above max_sites = {}",
                    m.season.school(s).id,
                    v.len(),
                    rule.max_sites
                ));
            }
        }
    }
    Ok(())
}

/// The binaries of a part's short lines: one per (school, site) that needs
/// one, for the start and the valuing of placements.
pub(crate) struct Binaries(HashMap<(SchoolId, WorkplaceId), Binary>);

impl Binaries {
    /// The binaries a placement sets to 1: each (school, site) it uses.
    pub(crate) fn of(&self, m: &PlacementModel, placed: &[(LearnerId, ModelArc)]) -> Vec<Binary> {
        used(m, placed.iter().copied()).into_iter().filter_map(|k| self.0.get(&k).copied()).collect()
    }
}

/// Adds the short lines of the part's learners to `p`: per school with a
/// rule and site its learners reach, a binary `y` where needed (every site
/// under `max_sites`, the non-partner sites under a penalty), `x ≤ y` for
/// each of the school's arcs there, `Σ y ≤ max_sites`, and `− penalty · y`
/// in the objective. The part must hold every learner of such a school
/// ([`crate::network`]'s components do).
pub(crate) fn attach<'a, 'm>(
    m: &'a PlacementModel<'m>,
    learners: &[LearnerId],
    mut p: MipProblem<'a, 'm>,
) -> MipProblem<'a, 'm> {
    // (school, site) → arcs, in a deterministic order.
    let mut at: BTreeMap<(SchoolId, WorkplaceId), Vec<ModelArc>> = BTreeMap::new();
    for &l in learners {
        let Some(rule) = of_learner(m, l) else { continue };
        for a in m.arcs(l) {
            at.entry((rule.school, m.season.group(m.group_of(a)).workplace)).or_default().push(a);
        }
    }
    let mut ys: HashMap<(SchoolId, WorkplaceId), Binary> = HashMap::new();
    let mut costs = Vec::new();
    let mut per_school: BTreeMap<SchoolId, Vec<Binary>> = BTreeMap::new();
    for ((s, w), arcs) in at {
        let rule = m.constraints.short_line(s).expect("a school with short lines");
        let charged = rule.new_site_penalty > 0.0 && !is_partner(m.season, s, w);
        if rule.max_sites == u32::MAX && !charged {
            continue;
        }
        let y = p.add_binary();
        ys.insert((s, w), y);
        if charged {
            costs.push((y, -(penalty_weight(&rule) as f64) / WEIGHT_SCALE));
        }
        for a in arcs {
            p.add_side(Side { arcs: vec![(a, 1.0)], binaries: vec![(y, -1.0)], sense: Sense::AtMost, rhs: 0.0 });
        }
        if rule.max_sites != u32::MAX {
            per_school.entry(s).or_default().push(y);
        }
    }
    for (s, ys) in per_school {
        let rule = m.constraints.short_line(s).expect("a school with short lines");
        if ys.len() as u64 > u64::from(rule.max_sites) {
            p.add_side(Side {
                arcs: vec![],
                binaries: ys.into_iter().map(|y| (y, 1.0)).collect(),
                sense: Sense::AtMost,
                rhs: f64::from(rule.max_sites),
            });
        }
    }
    let binaries = Binaries(ys);
    p.binary_objective(costs, Box::new(move |placed| binaries.of(m, placed)))
}

/// A first selection of arcs that keeps every `max_sites`: per learner of a
/// school with a limit, only its arcs at the school's best `max_sites` sites
/// of `placed` (a placement of the part without the limits), the sites of
/// pinned learners first, then by the score placed there. `None` when the
/// pinned learners of a school alone need more sites than it may use.
pub(crate) fn start_selection(
    m: &PlacementModel,
    learners: &[LearnerId],
    placed: &[(LearnerId, ModelArc)],
) -> Option<Vec<Vec<ModelArc>>> {
    let site = |a: ModelArc| m.season.group(m.group_of(a)).workplace;
    // (school, site) → (pinned learners there, weight placed there).
    let mut value: HashMap<(SchoolId, WorkplaceId), (u32, i128)> = HashMap::new();
    for &(l, a) in placed {
        let e = value.entry((m.season.learner(l).school, site(a))).or_default();
        e.1 += i128::from(m.weight_of(l, a));
    }
    for &l in learners {
        if let Some(a) = m.pinned_arc(l) {
            value.entry((m.season.learner(l).school, site(a))).or_default().0 += 1;
        }
    }
    let mut chosen: HashMap<SchoolId, Vec<WorkplaceId>> = HashMap::new();
    let mut by_school: BTreeMap<SchoolId, Vec<(WorkplaceId, u32, i128)>> = BTreeMap::new();
    for (&(s, w), &(pins, v)) in &value {
        by_school.entry(s).or_default().push((w, pins, v));
    }
    for (s, mut v) in by_school {
        let Some(rule) = m.constraints.short_line(s) else { continue };
        if rule.max_sites == u32::MAX {
            continue;
        }
        v.sort_unstable_by(|a, b| (b.1 > 0).cmp(&(a.1 > 0)).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
        let k = rule.max_sites as usize;
        if v.iter().skip(k).any(|x| x.1 > 0) {
            return None;
        }
        chosen.insert(s, v.into_iter().take(k).map(|x| x.0).collect());
    }
    Some(
        learners
            .iter()
            .map(|&l| {
                let s = m.season.learner(l).school;
                match m.constraints.short_line(s).filter(|r| r.max_sites != u32::MAX) {
                    None => m.arcs(l).collect(),
                    Some(_) => {
                        let keep = chosen.get(&s).map_or(&[][..], |v| v.as_slice());
                        m.arcs(l).filter(|&a| keep.contains(&site(a))).collect()
                    }
                }
            })
            .collect(),
    )
}

/// One school's lines in a result: how many sites its learners are at, and
/// how many of its placements are at existing partners.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchoolSites {
    /// School id.
    pub school: String,
    /// Learners of the school placed.
    pub placed: usize,
    /// Distinct sites they are at.
    pub sites: usize,
    /// Of those, the sites that are existing partners of the school.
    pub partner_sites: usize,
    /// Placements at existing partners.
    pub at_partners: usize,
    /// `at_partners / placed` (0 when nobody is placed).
    pub partner_share: f64,
    /// `max_sites` of the school, if set.
    pub max_sites: Option<u32>,
    /// `new_site_penalty` of the school (0 when none).
    pub new_site_penalty: f64,
}

/// Every school's lines in an assignment, in season order.
pub fn by_school(m: &PlacementModel, a: &Assignment) -> Vec<SchoolSites> {
    let s = m.season;
    let mut sites: Vec<Vec<WorkplaceId>> = vec![Vec::new(); s.schools().len()];
    let mut placed = vec![0usize; s.schools().len()];
    let mut at_partners = vec![0usize; s.schools().len()];
    for (l, c) in a.placements() {
        let school = s.learner(l).school;
        let w = s.group(m.candidates.group_of(c)).workplace;
        placed[school.index()] += 1;
        at_partners[school.index()] += usize::from(is_partner(s, school, w));
        if !sites[school.index()].contains(&w) {
            sites[school.index()].push(w);
        }
    }
    (0..s.schools().len())
        .map(|si| {
            let school = SchoolId::from_index(si);
            let rule = m.constraints.short_line(school);
            SchoolSites {
                school: s.school(school).id.clone(),
                placed: placed[si],
                sites: sites[si].len(),
                partner_sites: sites[si].iter().filter(|&&w| is_partner(s, school, w)).count(),
                at_partners: at_partners[si],
                partner_share: if placed[si] == 0 { 0.0 } else { at_partners[si] as f64 / placed[si] as f64 },
                max_sites: rule.map(|r| r.max_sites).filter(|&k| k != u32::MAX),
                new_site_penalty: rule.map_or(0.0, |r| r.new_site_penalty),
            }
        })
        .collect()
}

/// Every short-lines key of a constraints file (`max_sites`,
/// `new_site_penalty`, also under `[defaults]`), in file order, with its
/// line: what a policy that cannot keep them is refused for.
pub(crate) fn keys(raw: &crate::constraints::ConstraintsFile, text: &str, file: &str) -> Vec<ShortLineKey> {
    let mut out: Vec<(usize, &'static str)> = Vec::new();
    for r in &raw.school {
        if let Some(k) = &r.max_sites {
            out.push((k.span().start, "max_sites"));
        }
        if let Some(p) = r.new_site_penalty.as_ref().filter(|p| *p.get_ref() != 0.0) {
            out.push((p.span().start, "new_site_penalty"));
        }
    }
    if let Some(p) = raw.defaults.as_ref().and_then(|d| d.new_site_penalty.as_ref()).filter(|p| *p.get_ref() != 0.0) {
        out.push((p.span().start, "new_site_penalty"));
    }
    out.sort_unstable();
    out.into_iter()
        .map(|(at, key)| ShortLineKey { file: file.to_string(), line: crate::constraints::line_of(text, at..at), key })
        .collect()
}

/// Mean distinct sites per school with a placement (0 when none): the
/// `mean_sites_per_school` figure of `compare`.
pub fn mean_sites(rows: &[SchoolSites]) -> f64 {
    let with: Vec<&SchoolSites> = rows.iter().filter(|r| r.placed > 0).collect();
    if with.is_empty() {
        0.0
    } else {
        with.iter().map(|r| r.sites as f64).sum::<f64>() / with.len() as f64
    }
}

/// Placements at existing partners over all placements (0 when none): the
/// `partner_share` figure of `compare`.
pub fn partner_share(rows: &[SchoolSites]) -> f64 {
    let placed: usize = rows.iter().map(|r| r.placed).sum();
    if placed == 0 {
        0.0
    } else {
        rows.iter().map(|r| r.at_partners).sum::<usize>() as f64 / placed as f64
    }
}
