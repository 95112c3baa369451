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

use dualmatch_core::scoring::Candidates;
use dualmatch_core::{GroupId, LearnerId, ProgrammeId, SchoolId, Season, WorkplaceId};
use serde::{Deserialize, Serialize};

use crate::constraints::{Constraints, DefaultsRule, SchoolRule, ShortLine};
use crate::mip::{Binary, MipProblem, Sense, Side};
use crate::model::{Assignment, ModelArc, PlacementModel, WEIGHT_SCALE};
use crate::policies::ShortLineKey;

/// An arc term of a side constraint: (arc, coefficient).
type Term = (ModelArc, f64);

/// How promising a site is for a school's start: (pinned learners there,
/// the most score it can take from the school, the score placed there).
type SiteValue = (u32, i128, i128);

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
    distinct(placed.map(|(l, a)| (m.season.learner(l).school, m.season.group(m.group_of(a)).workplace)))
}

/// The (school, site) of each placement of an assignment, in its order.
fn school_sites<'a>(
    s: &'a Season,
    c: &'a Candidates,
    a: &'a Assignment,
) -> impl Iterator<Item = (SchoolId, WorkplaceId)> + 'a {
    a.placements().map(|(l, ci)| (s.learner(l).school, s.group(c.group_of(ci)).workplace))
}

/// `pairs` sorted, each once.
fn distinct(pairs: impl Iterator<Item = (SchoolId, WorkplaceId)>) -> Vec<(SchoolId, WorkplaceId)> {
    let mut out: Vec<(SchoolId, WorkplaceId)> = pairs.collect();
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
    let mut sites = vec![0u64; m.season.schools().len()];
    for (s, _) in distinct(school_sites(m.season, m.candidates, a)) {
        sites[s.index()] += 1;
    }
    for (si, &n) in sites.iter().enumerate() {
        let s = SchoolId::from_index(si);
        if let Some(rule) = m.constraints.short_line(s) {
            if n > u64::from(rule.max_sites) {
                return Err(format!(
                    "school {} placed at {n} sites, above max_sites = {}",
                    m.season.school(s).id,
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
    // The caps `max_sites` implies: valid, and they tighten the relaxation.
    let mut arcs_of: BTreeMap<(SchoolId, Option<ProgrammeId>), Vec<Term>> = BTreeMap::new();
    for &l in learners {
        if of_learner(m, l).is_some_and(|r| r.max_sites != u32::MAX) {
            let (school, programme) = (m.season.learner(l).school, m.season.learner(l).programme);
            arcs_of.entry((school, None)).or_default().extend(m.arcs(l).map(|a| (a, 1.0)));
            arcs_of.entry((school, Some(programme))).or_default().extend(m.arcs(l).map(|a| (a, 1.0)));
        }
    }
    for (school, programme, cap) in implied_caps(m, learners) {
        let arcs = arcs_of.remove(&(school, programme)).unwrap_or_default();
        if (arcs.len() as u64) > cap {
            p.add_side(Side { arcs, binaries: vec![], sense: Sense::AtMost, rhs: cap as f64 });
        }
    }
    let binaries = Binaries(ys);
    p.binary_objective(costs, Box::new(move |placed| binaries.of(m, placed)))
}

/// A first selection of arcs that keeps every `max_sites`: per learner of a
/// school with a limit, only its arcs at the school's `max_sites` most
/// promising sites: the sites of its pinned learners first, then by the
/// best score the site can take from the school (the sum of the best
/// weights of its learners there, as many as the site has room for), then
/// by the score `placed` there (a placement of the part without the
/// limits). `None` when the pinned learners of a school alone need more
/// sites than it may use.
pub(crate) fn start_selection(
    m: &PlacementModel,
    learners: &[LearnerId],
    placed: &[(LearnerId, ModelArc)],
) -> Option<Vec<Vec<ModelArc>>> {
    let s = m.season;
    let site = |a: ModelArc| s.group(m.group_of(a)).workplace;
    let limited = |l: LearnerId| of_learner(m, l).is_some_and(|r| r.max_sites != u32::MAX);
    // (school, site) → (pinned learners there, best take, weight placed there).
    let mut value: BTreeMap<(SchoolId, WorkplaceId), SiteValue> = BTreeMap::new();
    let mut weights: BTreeMap<(SchoolId, GroupId), Vec<i64>> = BTreeMap::new();
    for &l in learners.iter().filter(|&&l| limited(l)) {
        let school = s.learner(l).school;
        for a in m.arcs(l) {
            weights.entry((school, m.group_of(a))).or_default().push(m.weight_of(l, a));
        }
        if let Some(a) = m.pinned_arc(l) {
            value.entry((school, site(a))).or_default().0 += 1;
        }
    }
    for ((school, g), mut w) in weights {
        w.sort_unstable_by(|a, b| b.cmp(a));
        let room = s.group(g).seats.min(s.workplace(s.group(g).workplace).capacity.unwrap_or(u32::MAX));
        let take: i128 = w.into_iter().take(room as usize).map(i128::from).sum();
        value.entry((school, s.group(g).workplace)).or_default().1 += take;
    }
    for &(l, a) in placed.iter().filter(|&&(l, _)| limited(l)) {
        value.entry((s.learner(l).school, site(a))).or_default().2 += i128::from(m.weight_of(l, a));
    }
    let mut by_school: BTreeMap<SchoolId, Vec<(WorkplaceId, SiteValue)>> = BTreeMap::new();
    for ((school, w), v) in value {
        by_school.entry(school).or_default().push((w, v));
    }
    let mut chosen: HashMap<SchoolId, Vec<WorkplaceId>> = HashMap::new();
    for (school, mut v) in by_school {
        let k = m.constraints.short_line(school).map_or(0, |r| r.max_sites as usize);
        v.sort_by(|a, b| {
            (b.1 .0 > 0).cmp(&(a.1 .0 > 0)).then(b.1 .1.cmp(&a.1 .1)).then(b.1 .2.cmp(&a.1 .2)).then(a.0.cmp(&b.0))
        });
        if v.iter().skip(k).any(|x| x.1 .0 > 0) {
            return None;
        }
        chosen.insert(school, v.into_iter().take(k).map(|x| x.0).collect());
    }
    Some(
        learners
            .iter()
            .map(|&l| match limited(l) {
                false => m.arcs(l).collect(),
                true => {
                    let keep = chosen.get(&s.learner(l).school).map_or(&[][..], |v| v.as_slice());
                    m.arcs(l).filter(|&a| keep.contains(&site(a))).collect()
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

/// Every school's lines in an assignment of `candidates`, in season order
/// (the rules from `constraints`). Needs no [`PlacementModel`].
pub fn by_school(s: &Season, candidates: &Candidates, constraints: &Constraints, a: &Assignment) -> Vec<SchoolSites> {
    let n = s.schools().len();
    let (mut placed, mut at_partners) = (vec![0usize; n], vec![0usize; n]);
    for (school, w) in school_sites(s, candidates, a) {
        placed[school.index()] += 1;
        at_partners[school.index()] += usize::from(is_partner(s, school, w));
    }
    let (mut sites, mut partner_sites) = (vec![0usize; n], vec![0usize; n]);
    for (school, w) in distinct(school_sites(s, candidates, a)) {
        sites[school.index()] += 1;
        partner_sites[school.index()] += usize::from(is_partner(s, school, w));
    }
    (0..s.schools().len())
        .map(|si| {
            let school = SchoolId::from_index(si);
            let rule = constraints.short_line(school);
            SchoolSites {
                school: s.school(school).id.clone(),
                placed: placed[si],
                sites: sites[si],
                partner_sites: partner_sites[si],
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

/// Valid caps implied by `max_sites`, for the schools with a limit among
/// `learners`: per school (`None`) and per (school, programme), the most
/// placements `k` sites can hold, the sum of the `k` largest rooms among
/// the sites its learners reach (a site's room: the seats of its
/// recognitions, its capacity, and the learners reaching it, whichever is
/// least). Every placement within `max_sites` keeps them, so they tighten
/// the relaxations without cutting any placement off.
pub(crate) fn implied_caps(m: &PlacementModel, learners: &[LearnerId]) -> Vec<(SchoolId, Option<ProgrammeId>, u64)> {
    let s = m.season;
    // school → programme → recognition → learners reaching it.
    let mut reach: BTreeMap<SchoolId, BTreeMap<ProgrammeId, BTreeMap<GroupId, u64>>> = BTreeMap::new();
    for &l in learners {
        if of_learner(m, l).is_none_or(|r| r.max_sites == u32::MAX) {
            continue;
        }
        let by_group = reach.entry(s.learner(l).school).or_default().entry(s.learner(l).programme).or_default();
        for a in m.arcs(l) {
            *by_group.entry(m.group_of(a)).or_default() += 1;
        }
    }
    let top = |mut rooms: Vec<u64>, k: usize| -> u64 {
        rooms.sort_unstable_by(|a, b| b.cmp(a));
        rooms.into_iter().take(k).sum()
    };
    let capacity = |w: WorkplaceId| s.workplace(w).capacity.map_or(u64::MAX, u64::from);
    let mut out = Vec::new();
    for (school, programmes) in reach {
        let k = m.constraints.short_line(school).map_or(0, |r| r.max_sites as usize);
        let mut at_site: BTreeMap<WorkplaceId, u64> = BTreeMap::new();
        let mut per_programme = Vec::new();
        for (p, groups) in programmes {
            let mut rooms = Vec::new();
            for (g, n) in groups {
                let w = s.group(g).workplace;
                let room = n.min(u64::from(s.group(g).seats)).min(capacity(w));
                *at_site.entry(w).or_default() += room;
                rooms.push(room);
            }
            per_programme.push((p, top(rooms, k)));
        }
        let whole = top(at_site.into_iter().map(|(w, r)| r.min(capacity(w))).collect(), k);
        out.push((school, None, whole));
        out.extend(per_programme.into_iter().map(|(p, cap)| (school, Some(p), cap.min(whole))));
    }
    out
}

/// A bound on the score of the component of `learners` (in integer
/// weights) that holds `max_sites`: the network optimum of the component
/// with the [`implied_caps`] added as school caps. `None` when there are
/// none or that network cannot be solved (the plain relaxation then
/// stands).
pub(crate) fn capped_bound(m: &PlacementModel, learners: &[LearnerId]) -> Option<i128> {
    let caps = implied_caps(m, learners);
    if caps.is_empty() {
        return None;
    }
    let mut c = m.constraints.clone();
    for (school, programme, cap) in caps {
        // The network holds caps per (school, programme) only.
        let Some(programme) = programme else { continue };
        let cap = u32::try_from(cap).unwrap_or(u32::MAX);
        match c.school_bounds.iter_mut().find(|b| b.school == school && b.programme == programme) {
            Some(b) if b.min > cap => return None,
            Some(b) => b.max = b.max.min(cap),
            None => c.school_bounds.push(crate::constraints::SchoolBound { school, programme, min: 0, max: cap }),
        }
    }
    let m2 = PlacementModel::new(m.season, m.candidates, &c).ok()?;
    let first = *learners.first()?;
    let comps = crate::network::components(&m2);
    let comp = comps.iter().find(|k| k.learners.contains(&first))?;
    let b = crate::network::build(&m2, comp, 0, false, None);
    let sol = b.net.solve().ok()?;
    Some(crate::network::dual_bound(&b.net, &sol))
}
