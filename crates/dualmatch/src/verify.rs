//! [`Engine::verify`]: checks a result directory without trusting the
//! solver that wrote it.
//!
//! From the season, the candidate pairs (scored again, or supplied) and the
//! constraints, and from the result's `placements.csv` (read by column name:
//! `learner`, `workplace`, and `programme` when present; other columns are
//! ignored, so displayed scores are never trusted), `summary.json` and
//! `certificate.csv`, it checks every rule afresh: each row names a known
//! learner and a site recognised for the learner's programme, no learner is
//! placed twice, every pair passes the gates (or is a supplied candidate)
//! and the minimum score, no forbidden pair is used, pins hold, and the
//! seats, reserved seats, capacities, school floors and caps and minimum
//! group sizes hold; `placed` and `total_score` in `summary.json` add up
//! from the placements, and so do its `rank_profile`, `rank_cost` and
//! `off_list` (when present); for an exact policy, the dual certificate proves the
//! optimum ([`dualmatch_optimiser::certificate::check`]); for a stable
//! policy, no pair blocks.

use std::collections::HashMap;
use std::path::Path;

use dualmatch_core::scoring::check_pair;
use dualmatch_core::season::Screening;
use dualmatch_core::{GroupId, LearnerId, Season};
use dualmatch_optimiser::certificate::{self, Certificate};
use dualmatch_optimiser::model::weight;
use dualmatch_optimiser::{Assignment, Constraints, PlacementModel};

use crate::engine::Engine;
use crate::error::Error;

/// The verdict of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The check holds.
    Pass,
    /// The check fails (the detail names the row).
    Fail,
    /// The check does not apply to this result (the detail says why).
    Skip,
}

impl Verdict {
    /// `PASS`, `FAIL` or `SKIP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "SKIP",
        }
    }
}

/// One check and its verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// What is checked.
    pub name: &'static str,
    /// The verdict.
    pub verdict: Verdict,
    /// What was found: on failure, the first offending rows (and how many).
    pub detail: String,
}

/// Every check of a result, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Verification {
    /// The checks.
    pub checks: Vec<Check>,
}

impl Verification {
    /// Whether no check failed.
    pub fn holds(&self) -> bool {
        self.checks.iter().all(|c| c.verdict != Verdict::Fail)
    }
}

/// How many offending rows a failed check names.
const SHOWN: usize = 5;

/// Collects the offences of one check.
struct Offences(Vec<String>);

impl Offences {
    fn new() -> Self {
        Offences(Vec::new())
    }
    fn push(&mut self, s: String) {
        self.0.push(s);
    }
    fn check(self, name: &'static str, pass: String) -> Check {
        if self.0.is_empty() {
            return Check { name, verdict: Verdict::Pass, detail: pass };
        }
        let n = self.0.len();
        let mut detail: Vec<String> = self.0.into_iter().take(SHOWN).collect();
        if n > SHOWN {
            detail.push(format!("and {} more", n - SHOWN));
        }
        Check { name, verdict: Verdict::Fail, detail: detail.join("; ") }
    }
}

fn bad(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::Previous(format!("{}: {what}", path.display()))
}

/// One row of placements.csv.
struct Row {
    line: usize,
    learner: String,
    workplace: String,
    programme: Option<String>,
    /// The `mentor` column (results of seasons with mentors).
    mentor: Option<String>,
}

fn read_rows(dir: &Path) -> Result<Vec<Row>, Error> {
    let path = dir.join("placements.csv");
    let mut rdr = csv::Reader::from_path(&path)
        .map_err(|e| bad(&path, format!("cannot read ({e}); RESULT_DIR must be a result of `dualmatch match`")))?;
    let h = rdr.headers().map_err(|e| bad(&path, e))?.clone();
    let col = |n: &str| h.iter().position(|x| x.trim_start_matches('\u{feff}') == n);
    let (Some(l), Some(w)) = (col("learner"), col("workplace")) else {
        return Err(bad(&path, "needs the columns learner and workplace"));
    };
    let p = col("programme");
    let m = col("mentor");
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| bad(&path, e))?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let cell = |i: usize| rec.get(i).unwrap_or("").to_string();
        out.push(Row { line, learner: cell(l), workplace: cell(w), programme: p.map(cell), mentor: m.map(cell) });
    }
    Ok(out)
}

/// The parts of summary.json that are checked.
struct Summary {
    policy: String,
    improve: bool,
    placed: Option<u64>,
    total_score: Option<f64>,
    optimal: bool,
    method: Option<String>,
    bound: Option<f64>,
    objective_weight: Option<String>,
    /// `rank_profile`, `rank_cost` and `off_list`, when summary.json has them.
    rank: Option<(Vec<u64>, Option<u64>, Option<u64>)>,
}

fn read_summary(dir: &Path) -> Result<Summary, Error> {
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(|e| bad(&path, format!("cannot read ({e})")))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(&path, e))?;
    let policy = v["policy"].as_str().ok_or_else(|| bad(&path, "no \"policy\""))?.to_string();
    let proof = &v["proof"];
    Ok(Summary {
        policy,
        improve: v["improve"].as_bool().unwrap_or(false),
        placed: v["placed"].as_u64(),
        total_score: v["total_score"].as_f64(),
        optimal: v["optimal"].as_bool().unwrap_or(false),
        method: proof["method"].as_str().map(str::to_string),
        bound: proof["bound"].as_f64(),
        objective_weight: proof["objective_weight"].as_str().map(str::to_string),
        rank: v.get("rank_profile").map(|p| {
            let profile = p.as_array().map(|a| a.iter().map(|x| x.as_u64().unwrap_or(u64::MAX)).collect());
            (profile.unwrap_or_default(), v["rank_cost"].as_u64(), v["off_list"].as_u64())
        }),
    })
}

/// The assignment of `placement` (a site recognition per learner) over the
/// candidate pairs; a placement that is no candidate pair counts as none.
fn assignment_of(cands: &dualmatch_core::scoring::Candidates, placement: &[Option<GroupId>]) -> Assignment {
    Assignment::from_candidates(placement.iter().enumerate().map(|(li, g)| {
        let l = LearnerId::from_index(li);
        g.and_then(|g| cands.ids_of(l).find(|&c| cands.group_of(c) == g))
    }))
}

/// The rows of `certificate.csv` (`constraint,id,programme,value`), or
/// `None` when the file is absent; rows that name constraints this season
/// and these constraints do not have are a failed check (the inner error),
/// not bad input.
type ReadCertificate = Option<Result<Certificate, String>>;

fn read_certificate(dir: &Path, s: &Season, c: &Constraints) -> Result<ReadCertificate, Error> {
    let path = dir.join(certificate::FILE);
    if !path.exists() {
        return Ok(None);
    }
    let mut rdr = csv::Reader::from_path(&path).map_err(|e| bad(&path, e))?;
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| bad(&path, e))?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let cell = |i: usize| rec.get(i).unwrap_or("").to_string();
        rows.push((line, [cell(0), cell(1), cell(2), cell(3)]));
    }
    Ok(Some(certificate::from_rows(s, c, &rows).map_err(|e| format!("{}: {e}", certificate::FILE))))
}

impl Engine<'_> {
    /// Checks the result in `dir` against this engine's season, candidates
    /// and constraints (pass the same ones `match` used), without trusting
    /// the solver. A missing or unreadable `placements.csv`, `summary.json`
    /// or `certificate.csv` is [`Error::Previous`]; a rule that does not
    /// hold is a failed [`Check`].
    pub fn verify(&self, dir: &Path) -> Result<Verification, Error> {
        let s = self.season();
        let cands = self.candidates()?;
        let cons = self.constraints_ref();
        let rows = read_rows(dir)?;
        let summary = read_summary(dir)?;
        let cert = read_certificate(dir, s, cons)?;
        let mut checks = Vec::new();

        // Rows: known learner, site recognised for the learner's programme.
        let mut bad_rows = Offences::new();
        let mut at: Vec<Option<(GroupId, usize)>> = vec![None; s.learners().len()];
        let mut twice = Offences::new();
        let mut rows_ok = Vec::new();
        let mut mentor_of: Vec<String> = Vec::new();
        for r in &rows {
            let Some(l) = s.learner_by_id(&r.learner) else {
                bad_rows.push(format!("row {}: unknown learner {:?}", r.line, r.learner));
                continue;
            };
            let Some(w) = s.workplace_by_id(&r.workplace) else {
                bad_rows.push(format!("row {}: unknown workplace {:?}", r.line, r.workplace));
                continue;
            };
            let prog = s.learner(l).programme;
            if let Some(p) = &r.programme {
                if p != &s.programme(prog).id {
                    bad_rows.push(format!(
                        "row {}: programme {:?}, but learner {} follows {}",
                        r.line,
                        p,
                        r.learner,
                        s.programme(prog).id
                    ));
                    continue;
                }
            }
            let Some(g) = s.group_of(w, prog) else {
                bad_rows.push(format!(
                    "row {}: {} is not recognised for programme {}",
                    r.line,
                    r.workplace,
                    s.programme(prog).id
                ));
                continue;
            };
            match at[l.index()] {
                Some((_, first)) => {
                    twice.push(format!("rows {first} and {} both place learner {}", r.line, r.learner));
                }
                None => {
                    at[l.index()] = Some((g, r.line));
                    rows_ok.push((l, g, r.line));
                    mentor_of.push(r.mentor.clone().unwrap_or_default());
                }
            }
        }
        checks.push(bad_rows.check("rows", format!("{} rows name known learners at recognised sites", rows.len())));
        checks.push(twice.check("one placement per learner", format!("{} learners placed once each", rows_ok.len())));

        // Usable pairs: screening, gates (or supplied candidates), min score, forbidden, pins.
        let cand_of: HashMap<(LearnerId, GroupId), f64> = (0..s.learners().len())
            .flat_map(|li| {
                let l = LearnerId::from_index(li);
                cands.ids_of(l).map(move |c| ((l, cands.group_of(c)), cands.score_of(c)))
            })
            .collect();
        let (mut gates, mut low, mut forbidden, mut pins) =
            (Offences::new(), Offences::new(), Offences::new(), Offences::new());
        let name =
            |l: LearnerId, g: GroupId| format!("{} at {}", s.learner(l).id, s.workplace(s.group(g).workplace).id);
        let mut usable = true;
        for &(l, g, line) in &rows_ok {
            let w = s.group(g).workplace;
            if s.learner(l).screening != Screening::Passed {
                gates.push(format!("row {line}: {}: screening is {}", name(l, g), s.learner(l).screening.as_str()));
            } else if let Err(why) = check_pair(s, l, w) {
                let why: Vec<String> = why.iter().map(|r| r.describe(s)).collect();
                gates.push(format!("row {line}: {}: {}", name(l, g), why.join(", ")));
            } else if !cand_of.contains_key(&(l, g)) {
                gates.push(format!("row {line}: {} is not a supplied candidate pair", name(l, g)));
            }
            let score = cand_of.get(&(l, g)).copied();
            if let (Some(min), Some(sc)) = (cons.min_score, score) {
                if sc < min {
                    low.push(format!("row {line}: {} scores {sc:.2}, below min_score {min}", name(l, g)));
                }
            }
            if cons.is_forbidden(l, w) {
                forbidden.push(format!("row {line}: {} is a forbidden pair", name(l, g)));
            }
        }
        for &(l, w) in &cons.pins {
            match at[l.index()] {
                Some((g, _)) if s.group(g).workplace == w => {}
                Some((g, line)) => pins.push(format!("row {line}: {} is pinned to {}", name(l, g), s.workplace(w).id)),
                None => {
                    pins.push(format!("learner {} is pinned to {} but not placed", s.learner(l).id, s.workplace(w).id))
                }
            }
        }
        usable &= gates.0.is_empty() && low.0.is_empty() && forbidden.0.is_empty();
        checks.push(gates.check("gates", "every pair passes the screening gates (or is a supplied candidate)".into()));
        checks.push(low.check("min_score", format!("{:?}", cons.min_score).replace("None", "no min_score set")));
        checks.push(forbidden.check("forbidden pairs", format!("{} forbidden pairs unused", cons.forbidden.len())));
        checks.push(pins.check("pins", format!("{} pins hold", cons.pins.len())));

        // Seats, reserved seats, capacity, school bounds, site minimums.
        let mut per_group: Vec<Vec<usize>> = vec![Vec::new(); s.groups().len()];
        let mut per_site: Vec<Vec<usize>> = vec![Vec::new(); s.workplaces().len()];
        let mut per_bound = vec![0u32; cons.school_bounds.len()];
        let mut open_used = vec![0u32; s.groups().len()];
        // With rhythms, seats and capacities bind day by day: the most
        // learners present on one day.
        let mut group_days = vec![[0u32; dualmatch_core::rhythm::SLOTS]; s.groups().len()];
        let mut site_days = vec![[0u32; dualmatch_core::rhythm::SLOTS]; s.workplaces().len()];
        for &(l, g, line) in &rows_ok {
            for d in s.days_of(l).slots() {
                group_days[g.index()][d] += 1;
                site_days[s.group(g).workplace.index()][d] += 1;
            }
            per_group[g.index()].push(line);
            per_site[s.group(g).workplace.index()].push(line);
            let x = s.learner(l);
            if let Some(b) = cons.school_bounds.iter().position(|b| b.school == x.school && b.programme == x.programme)
            {
                per_bound[b] += 1;
            }
            if let Some(r) = cons.reserves.iter().find(|r| r.group == g) {
                if x.priority_group != Some(r.priority_group) {
                    open_used[g.index()] += 1;
                }
            }
        }
        let lines = |v: &[usize]| {
            let shown: Vec<String> = v.iter().take(SHOWN).map(|x| x.to_string()).collect();
            format!("rows {}{}", shown.join(", "), if v.len() > SHOWN { ", …" } else { "" })
        };
        let (mut seats, mut reserved, mut capacity) = (Offences::new(), Offences::new(), Offences::new());
        for (gi, g) in s.groups().iter().enumerate() {
            let n = if s.has_rhythms() {
                group_days[gi].iter().copied().max().unwrap_or(0)
            } else {
                per_group[gi].len() as u32
            };
            let grp = format!("{}/{}", s.workplace(g.workplace).id, s.programme(g.programme).id);
            if n > g.seats {
                seats.push(format!("{grp} holds {n} learners for {} seats ({})", g.seats, lines(&per_group[gi])));
            }
            if let Some(r) = cons.reserves.iter().find(|r| r.group.index() == gi) {
                let open = g.seats - r.seats.min(g.seats);
                if open_used[gi] > open {
                    reserved.push(format!(
                        "{grp}: {} learners outside the priority group use {open} open seats",
                        open_used[gi]
                    ));
                }
            }
        }
        for (wi, w) in s.workplaces().iter().enumerate() {
            let n = if s.has_rhythms() {
                site_days[wi].iter().copied().max().unwrap_or(0)
            } else {
                per_site[wi].len() as u32
            };
            if let Some(cap) = w.capacity {
                if n > cap {
                    capacity.push(format!("{} holds {n} learners, capacity {cap} ({})", w.id, lines(&per_site[wi])));
                }
            }
        }
        let mut bounds = Offences::new();
        for (bi, b) in cons.school_bounds.iter().enumerate() {
            if per_bound[bi] < b.min || per_bound[bi] > b.max {
                let max = if b.max == u32::MAX { "no cap".to_string() } else { format!("cap {}", b.max) };
                bounds.push(format!(
                    "school {} in {}: {} placed, floor {}, {max}",
                    s.school(b.school).id,
                    s.programme(b.programme).id,
                    per_bound[bi],
                    b.min
                ));
            }
        }
        let mut groups = Offences::new();
        for sm in &cons.site_minimums {
            let n = per_site[sm.workplace.index()].len() as u32;
            if n < sm.min && !(sm.allow_empty && n == 0) {
                groups.push(format!(
                    "{} holds {n} learners, minimum group {}{}",
                    s.workplace(sm.workplace).id,
                    sm.min,
                    if sm.allow_empty { " (or none)" } else { "" }
                ));
            }
        }
        // Short lines: each school within its max_sites.
        let mut short = Offences::new();
        for rule in cons.short_lines.iter().filter(|r| r.max_sites != u32::MAX) {
            let mut sites: Vec<dualmatch_core::WorkplaceId> = at
                .iter()
                .enumerate()
                .filter(|(li, _)| s.learner(LearnerId::from_index(*li)).school == rule.school)
                .filter_map(|(_, p)| p.as_ref().map(|(g, _)| s.group(*g).workplace))
                .collect();
            sites.sort_unstable();
            sites.dedup();
            if sites.len() as u64 > u64::from(rule.max_sites) {
                short.push(format!(
                    "school {} is at {} sites, max_sites = {}",
                    s.school(rule.school).id,
                    sites.len(),
                    rule.max_sites
                ));
            }
        }
        // Mentors: each learner at a site with mentors has one there who is
        // recognised for the programme and present on all the learner's
        // days, each mentor within max_learners.
        let mut mentors = Offences::new();
        let mut load = vec![0u32; s.mentors().len()];
        for (&(l, g, line), id) in rows_ok.iter().zip(&mentor_of) {
            let w = s.group(g).workplace;
            if s.mentors_of_workplace(w).is_empty() {
                continue;
            }
            let x = s.learner(l);
            match s.mentor_by_id(id).filter(|&k| s.mentor(k).workplace == w) {
                None => mentors.push(format!(
                    "row {line}: {} at {} has no mentor of the site ({id:?})",
                    x.id,
                    s.workplace(w).id
                )),
                Some(k) if !s.mentor(k).can_guide(x.programme, s.days_of(l)) => mentors.push(format!(
                    "row {line}: mentor {id} cannot guide {} (programme {}, days {})",
                    x.id,
                    s.programme(x.programme).id,
                    s.days_of(l)
                )),
                Some(k) => load[k.index()] += 1,
            }
        }
        for (k, m) in s.mentors().iter().enumerate() {
            if load[k] > m.max_learners {
                mentors.push(format!("mentor {} guides {} learners, max_learners {}", m.id, load[k], m.max_learners));
            }
        }
        let feasible =
            [&seats, &reserved, &capacity, &bounds, &groups, &short, &mentors].iter().all(|o| o.0.is_empty());
        checks.push(seats.check("seats", format!("{} recognitions within their seats", s.groups().len())));
        checks.push(reserved.check("reserved seats", format!("{} reserves hold", cons.reserves.len())));
        checks.push(capacity.check("capacity", "every site within its capacity".into()));
        checks.push(bounds.check("school floors and caps", format!("{} school bounds hold", cons.school_bounds.len())));
        checks.push(groups.check("minimum group sizes", format!("{} site minimums hold", cons.site_minimums.len())));
        let limited = cons.short_lines.iter().filter(|r| r.max_sites != u32::MAX).count();
        checks.push(short.check("short lines", format!("{limited} schools within their max_sites")));
        if !s.mentors().is_empty() {
            checks.push(mentors.check("mentors", format!("{} mentors within their workload", s.mentors().len())));
        }

        // Totals, recomputed from the season's scores, never the displayed ones.
        let mut placement: Vec<Option<GroupId>> = vec![None; s.learners().len()];
        let mut total = 0.0;
        let mut total_weight: i128 = 0;
        for (li, p) in at.iter().enumerate() {
            if let Some((g, _)) = p {
                placement[li] = Some(*g);
                if let Some(sc) = cand_of.get(&(LearnerId::from_index(li), *g)) {
                    total += sc;
                    total_weight += i128::from(weight(*sc));
                }
            }
        }
        let mut totals = Offences::new();
        if summary.placed != Some(rows_ok.len() as u64) {
            totals.push(format!("summary.json says placed {:?}, the placements are {}", summary.placed, rows_ok.len()));
        }
        match summary.total_score {
            Some(t) if (t - total).abs() <= 1e-6 * (1.0 + total.abs()) => {}
            t => totals.push(format!("summary.json says total_score {t:?}, the placements' scores add up to {total}")),
        }
        if let Some(ow) = &summary.objective_weight {
            if ow != &total_weight.to_string() {
                totals.push(format!(
                    "summary.json says objective_weight {ow}, the placements' weights add up to {total_weight}"
                ));
            }
        }
        checks.push(totals.check("totals", format!("{} placed, total score {total:.6}", rows_ok.len())));
        checks.push(self.rank_profile(&summary, &placement, usable && feasible));

        // Optimality.
        checks.push(self.optimality(&summary, cert.as_ref(), &placement, feasible && usable, total_weight));
        // Stability.
        checks.push(self.stability(&summary, &placement, usable && feasible)?);
        Ok(Verification { checks })
    }

    fn optimality(
        &self,
        summary: &Summary,
        cert: Option<&Result<Certificate, String>>,
        placement: &[Option<GroupId>],
        feasible: bool,
        total_weight: i128,
    ) -> Check {
        let name = "optimality certificate";
        let (s, cons) = (self.season(), self.constraints_ref());
        let skip = |detail: String| Check { name, verdict: Verdict::Skip, detail };
        let fail = |detail: String| Check { name, verdict: Verdict::Fail, detail };
        if !summary.optimal {
            return skip(format!("policy {} is not an optimisation", summary.policy));
        }
        let method = summary.method.clone().unwrap_or_default();
        let cert = match cert {
            Some(Err(e)) => return fail(e.clone()),
            Some(Ok(c)) => Some(c),
            None => None,
        };
        let Some(cert) = cert else {
            if !s.mentors().is_empty() {
                return skip(format!(
                    "no {}: the season has mentors (mentors.csv), which the certificate's linear programme does \
                     not model, so the optimum (bound {:?}, method {method}) is not re-proved here",
                    certificate::FILE,
                    summary.bound
                ));
            }
            return if method == "network-simplex" && matches!(summary.policy.as_str(), "max-fit" | "max-placed") {
                fail(format!("{} is missing: an exact result of the network path writes one", certificate::FILE))
            } else {
                skip(format!(
                    "no {}: the result of method {method} is not re-proved (its bound {:?} is the solver's)",
                    certificate::FILE,
                    summary.bound
                ))
            };
        };
        if !feasible {
            return skip("the placements break a rule above, so no bound applies".into());
        }
        let Ok(cands) = self.candidates() else { return skip("no candidates".into()) };
        if cert.bonus != 0 {
            // The bonus must outweigh every score difference: then the
            // optimum of weight + bonus is the max-placed optimum.
            let need: i128 = 1
                + (0..s.learners().len())
                    .map(|li| {
                        let l = LearnerId::from_index(li);
                        cands.ids_of(l).map(|c| i128::from(weight(cands.score_of(c)))).max().unwrap_or(0)
                    })
                    .sum::<i128>();
            if i128::from(cert.bonus) < need {
                return fail(format!(
                    "the placement bonus {} is below {need}, so it does not prove max-placed",
                    cert.bonus
                ));
            }
        }
        match certificate::check(s, cands, cons, placement, cert) {
            Ok(c) => {
                let placed = placement.iter().flatten().count() as i128;
                let bound = (c.bound - i128::from(cert.bonus) * placed) as f64 / 1e6;
                if summary.bound.is_some_and(|b| (b - bound).abs() > 1e-6 * (1.0 + bound.abs())) {
                    return fail(format!(
                        "summary.json says bound {:?}, the certificate proves {bound}",
                        summary.bound
                    ));
                }
                debug_assert_eq!(c.total - i128::from(cert.bonus) * placed, total_weight);
                Check {
                    name,
                    verdict: Verdict::Pass,
                    detail: format!(
                        "duals feasible on {} usable pairs; dual bound {bound:.6} equals the total: optimal{}",
                        c.pairs,
                        if cert.bonus != 0 { " (most placed, then total score)" } else { "" }
                    ),
                }
            }
            Err(e) => fail(e.to_string()),
        }
    }

    /// `rank_profile`, `rank_cost` and `off_list` of summary.json against
    /// the placements' ranks, with the definition `match` uses
    /// ([`dualmatch_optimiser::metrics::rank_profile`]).
    fn rank_profile(&self, summary: &Summary, placement: &[Option<GroupId>], usable: bool) -> Check {
        let name = "rank profile";
        let skip = |detail: &str| Check { name, verdict: Verdict::Skip, detail: detail.into() };
        let Some((profile, cost, off_list)) = &summary.rank else { return skip("not in summary.json") };
        if !usable {
            return skip("the placements break a rule above");
        }
        let Ok(cands) = self.candidates() else { return skip("the candidate pairs cannot be made") };
        let Ok(model) = PlacementModel::new(self.season(), cands, self.constraints_ref()) else {
            return skip("the constraints cannot all be met");
        };
        let assignment = assignment_of(cands, placement);
        let r = dualmatch_optimiser::metrics::rank_profile(&model, &assignment);
        let want: Vec<u64> = r.profile.iter().map(|&k| k as u64).collect();
        let mut wrong: Vec<String> = Vec::new();
        if *profile != want {
            wrong.push(format!("rank_profile {profile:?}, the placements give {want:?}"));
        }
        if *cost != Some(r.rank_cost) {
            wrong.push(format!("rank_cost {cost:?}, the placements give {}", r.rank_cost));
        }
        if *off_list != Some(r.off_list as u64) {
            wrong.push(format!("off_list {off_list:?}, the placements give {}", r.off_list));
        }
        if wrong.is_empty() {
            let detail = format!(
                "{} placed at ranks {want:?}, rank cost {}, {} off their list",
                r.ranked, r.rank_cost, r.off_list
            );
            Check { name, verdict: Verdict::Pass, detail }
        } else {
            Check { name, verdict: Verdict::Fail, detail: format!("summary.json says {}", wrong.join("; ")) }
        }
    }

    fn stability(&self, summary: &Summary, placement: &[Option<GroupId>], usable: bool) -> Result<Check, Error> {
        let name = "no blocking pair";
        let skip = |detail: String| Ok(Check { name, verdict: Verdict::Skip, detail });
        if !matches!(summary.policy.as_str(), "stable" | "stable-workplace") {
            return skip(format!("policy {} is not a stable mechanism", summary.policy));
        }
        if summary.improve {
            return skip("the result was improved after the policy (--improve), which does not keep stability".into());
        }
        let cons = self.constraints_ref();
        if cons.school_bounds.iter().any(|b| b.max != u32::MAX) {
            return skip("school caps are set: stability under them is not checked".into());
        }
        if !usable {
            return skip("the placements break a rule above".into());
        }
        let model = PlacementModel::new(self.season(), self.candidates()?, cons).map_err(Error::Infeasible)?;
        let assignment = assignment_of(self.candidates()?, placement);
        let m = dualmatch_optimiser::metrics::evaluate(&model, &assignment);
        Ok(if m.blocking_pairs == 0 {
            Check { name, verdict: Verdict::Pass, detail: "no learner and site both prefer each other".into() }
        } else {
            let shown: Vec<String> = m.blocking_sample.iter().take(SHOWN).map(|(l, w)| format!("{l}–{w}")).collect();
            Check {
                name,
                verdict: Verdict::Fail,
                detail: format!("{} blocking pairs, for example {}", m.blocking_pairs, shown.join(", ")),
            }
        })
    }
}
