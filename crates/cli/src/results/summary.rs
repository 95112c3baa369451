//! summary.json: the totals, the proof, the candidates' source, rates per
//! school and programme, and the unplaced learners by reason.

use std::collections::BTreeMap;

use dualmatch::{Candidates, LearnerId, Season, Unplaced};
use dualmatch_optimiser::network::Solved;
use serde_json::json;

fn reason_kind(r: &Unplaced) -> &'static str {
    match r {
        Unplaced::ScreeningPending => "screening pending",
        Unplaced::ScreeningFailed => "screening failed",
        Unplaced::Left => "left",
        Unplaced::NoCandidate(_) | Unplaced::NoSuppliedCandidate => "no candidate",
        Unplaced::NoUsableCandidate { .. } => "no usable candidate",
        Unplaced::Outcompeted { .. } => "outcompeted",
        Unplaced::Constrained { .. } => "constrained",
        Unplaced::OwnList { .. } => "own list",
        Unplaced::NoMentor { .. } => "no mentor",
    }
}

/// What a summary says of how the result was made.
pub struct SummaryInfo<'a> {
    /// The policy's name.
    pub policy: &'a str,
    /// The lottery seed (`None` for the exact objectives, which draw none).
    pub seed: Option<u64>,
    /// Whether the result was Pareto-improved.
    pub improve: bool,
    /// Whether the result is an exact optimum with a proof.
    pub optimal: bool,
    /// Include the seconds of each phase (`timings`, see [`set_timings`]).
    pub timings: bool,
}

/// Sets summary.json's `timings` to the seconds of each phase (for `match`:
/// load, score, solve, advice, write), when `info` asks
/// for timings; `--no-timings` leaves the field out, so that the file is the
/// same on every run.
pub fn set_timings(v: &mut serde_json::Value, info: &SummaryInfo, phases: &[(&str, f64)]) {
    if info.timings {
        let map: serde_json::Map<String, serde_json::Value> =
            phases.iter().map(|&(name, seconds)| (name.to_string(), json!(seconds))).collect();
        v["timings"] = serde_json::Value::Object(map);
    }
}

/// summary.json of a result.
pub fn summary(
    info: &SummaryInfo,
    s: &Season,
    c: &Candidates,
    source: &str,
    solved: &Solved,
    reasons: &[(LearnerId, Unplaced)],
) -> serde_json::Value {
    let a = &solved.assignment;
    let total = a.total_score(c);
    let mut per_school: Vec<(usize, usize)> = vec![(0, 0); s.schools().len()];
    let mut per_prog: Vec<(usize, usize)> = vec![(0, 0); s.programmes().len()];
    for (li, p) in a.placement.iter().enumerate() {
        let l = s.learner(LearnerId::from_index(li));
        per_school[l.school.index()].0 += 1;
        per_prog[l.programme.index()].0 += 1;
        if p.is_some() {
            per_school[l.school.index()].1 += 1;
            per_prog[l.programme.index()].1 += 1;
        }
    }
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, r) in reasons {
        *kinds.entry(reason_kind(r)).or_default() += 1;
    }
    let placed = a.placed();
    let v = json!({
        "policy": info.policy,
        "seed": info.seed,
        "improve": info.improve,
        "learners": s.learners().len(),
        "placed": placed,
        "unplaced": s.learners().len() - placed,
        "total_score": total,
        "mean_score": if placed > 0 { total / placed as f64 } else { 0.0 },
        "optimal": info.optimal,
        "proof": info.optimal.then(|| match &solved.proof.phases {
            Some(ph) => json!({
                "method": solved.proof.method,
                "phases": ph.phases,
                "lexicographic_goals": ph.goals,
                "gap": ph.gap.to_string(),
                "components": solved.proof.components,
                "largest_component": solved.proof.largest_component,
                "note": "each phase is a min-cost flow whose dual bound equals its optimum (gap = sum of optimum - bound over phases, 0); the next phase keeps only the optimal flows of the previous ones (docs/policies.md)",
            }),
            None => json!({
            "method": solved.proof.method,
            "bound": solved.proof.bound,
            "objective_weight": a.total_weight(c).to_string(),
            "gap": solved.proof.bound - a.total_weight(c) as f64 / dualmatch_optimiser::model::WEIGHT_SCALE,
            "max_placeable": solved.proof.max_placeable,
            "components": solved.proof.components,
            "largest_component": solved.proof.largest_component,
            "note": "bound: the dual objective of the solved network, in score units; the objective is exact for scores rounded to 1e-6 (objective_weight, in 1e-6 units), and gap = bound - objective_weight / 1e6",
        })}),
        "candidates": {"source": source, "pairs": c.len()},
        "per_school": s.schools().iter().enumerate().map(|(i, sc)| json!({
            "school": sc.id, "name": sc.name, "learners": per_school[i].0, "placed": per_school[i].1,
            "rate": if per_school[i].0 > 0 { per_school[i].1 as f64 / per_school[i].0 as f64 } else { 0.0 },
        })).collect::<Vec<_>>(),
        "per_programme": s.programmes().iter().enumerate().map(|(i, p)| json!({
            "programme": p.id, "name": p.name, "learners": per_prog[i].0, "placed": per_prog[i].1,
            "seats": s.seats_of_programme(dualmatch_core::ProgrammeId::from_index(i)),
        })).collect::<Vec<_>>(),
        "unplaced_by_reason": kinds,
    });
    v
}

/// Adds to each `per_school` entry its short lines: distinct `sites`,
/// `partner_sites`, `at_partners`, `partner_share`, and its `max_sites` and
/// `new_site_penalty` when set; and the penalties paid in all
/// (`new_site_penalty_paid`, score points) when some school has one.
pub fn add_short_lines(v: &mut serde_json::Value, rows: &[dualmatch_optimiser::short_lines::SchoolSites], paid: f64) {
    if let Some(per_school) = v["per_school"].as_array_mut() {
        for (entry, r) in per_school.iter_mut().zip(rows) {
            entry["sites"] = json!(r.sites);
            entry["partner_sites"] = json!(r.partner_sites);
            entry["at_partners"] = json!(r.at_partners);
            entry["partner_share"] = json!(r.partner_share);
            if let Some(k) = r.max_sites {
                entry["max_sites"] = json!(k);
            }
            if r.new_site_penalty > 0.0 {
                entry["new_site_penalty"] = json!(r.new_site_penalty);
            }
        }
    }
    if rows.iter().any(|r| r.new_site_penalty > 0.0) {
        v["new_site_penalty_paid"] = json!(paid);
    }
}

/// Adds `rank_profile` (placed learners at each rank, from rank 1), `rank_cost`
/// (the sum of their ranks), `off_list` (placed off their list, at no rank),
/// and the improvement and tie-breaking of the run to a summary.
pub fn add_policy_options(
    v: &mut serde_json::Value,
    rank: &dualmatch_optimiser::metrics::RankProfile,
    improve: dualmatch::Improve,
    tie_break: dualmatch::TieBreak,
) {
    v["rank_profile"] = json!(rank.profile);
    v["rank_cost"] = json!(rank.rank_cost);
    v["off_list"] = json!(rank.off_list);
    v["improvement"] = json!(improve.name());
    v["tie_break"] = json!(tie_break.name());
}
