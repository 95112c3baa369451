//! `dualmatch rematch`: re-place the learners affected by changes during the
//! season, optimally around every placement that is still valid.
//!
//! Every earlier placement that is still valid is pinned: the learner is still
//! in the season, the agreement did not end, the pair still passes the gates,
//! and its site still has the seat. Withdrawn seats displace the
//! lowest-scoring placements at that site. Learners whose agreement ended, who
//! were displaced, who are new, or who were unplaced are then placed
//! optimally around the pins. With `--allow-moves N`, at most `N` pinned
//! learners may move to another site when that raises the total
//! ([`dualmatch_optimiser::moves`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use dualmatch_core::scoring::Candidates;
use dualmatch_core::season::{self, LoadOptions};
use dualmatch_core::{GroupId, LearnerId, Season, WorkplaceId};
use dualmatch_optimiser::changes::{self, Change};
use dualmatch_optimiser::constraints::Constraints;
use dualmatch_optimiser::model::WEIGHT_SCALE;
use dualmatch_optimiser::unplaced::{self, Unplaced};
use dualmatch_optimiser::{moves, network};
use dualmatch_optimiser::{Objective, PlacementModel};
use serde_json::json;

use crate::args::{Global, RematchArgs};
use crate::cmd::matching::{
    self, load_weights, read_option_file, score_within, MatchConfig, Outcome, FEWER_PAIRS_OR_SUPPLY,
};
use crate::exit::{self, usage};
use crate::output::{Kind, StagedDir, Table};
use crate::progress::Progress;

/// How a learner's placement changed in a rematch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChangeKind {
    /// Placed before and now, at another site.
    Moved,
    /// Placed now, not before.
    Gained,
    /// Placed before, not now.
    Lost,
}

impl ChangeKind {
    const ALL: [ChangeKind; 3] = [ChangeKind::Moved, ChangeKind::Gained, ChangeKind::Lost];

    fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Moved => "moved",
            ChangeKind::Gained => "gained",
            ChangeKind::Lost => "lost",
        }
    }
}

/// A learner whose placement changed: the site before and the site now.
pub(crate) struct PlacementChange {
    pub learner: LearnerId,
    kind: ChangeKind,
    before: Option<WorkplaceId>,
    after: Option<WorkplaceId>,
}

/// placement_changes.csv: the changes of the learners `keep` selects.
pub(crate) fn changes_table<'a>(
    s: &'a Season,
    changes: &'a [PlacementChange],
    keep: &'a dyn Fn(LearnerId) -> bool,
) -> Table<'a> {
    let columns = ["learner", "change", "workplace_before", "workplace_after", "programme", "school"];
    Table::new("placement_changes", columns.map(|c| (c, Kind::Text)), move |sink| {
        let site = |w: Option<WorkplaceId>| w.map(|w| s.workplace(w).id.clone()).unwrap_or_default();
        for ch in changes.iter().filter(|ch| keep(ch.learner)) {
            let l = s.learner(ch.learner);
            sink(&[
                l.id.clone(),
                ch.kind.as_str().to_string(),
                site(ch.before),
                site(ch.after),
                s.programme(l.programme).id.clone(),
                s.school(l.school).id.clone(),
            ])?;
        }
        Ok(())
    })
}

/// How many learners moved, gained and lost a placement.
pub(crate) fn change_counts<'c>(changes: impl Iterator<Item = &'c PlacementChange>) -> BTreeMap<&'static str, usize> {
    let mut counts: BTreeMap<&'static str, usize> = ChangeKind::ALL.iter().map(|k| (k.as_str(), 0)).collect();
    for ch in changes {
        *counts.entry(ch.kind.as_str()).or_default() += 1;
    }
    counts
}

/// Reads the placements of an earlier result: (learner, workplace, programme) ids.
fn read_previous(dir: &Path) -> anyhow::Result<Vec<(String, String, String)>> {
    let path = dir.join("placements.csv");
    let mut rdr = csv::Reader::from_path(&path).map_err(|e| {
        usage(format!(
            "{}: cannot read ({e}); --previous must be a result directory of `dualmatch match`",
            path.display()
        ))
    })?;
    let h = rdr.headers().map_err(|e| usage(format!("{}: {e}", path.display())))?.clone();
    let col = |n: &str| h.iter().position(|x| x == n);
    let (Some(l), Some(w), Some(p)) = (col("learner"), col("workplace"), col("programme")) else {
        return Err(usage(format!("{}: needs columns learner, workplace, programme", path.display())));
    };
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| usage(format!("{}:{}: {e}", path.display(), i + 2)))?;
        out.push((rec[l].to_string(), rec[w].to_string(), rec[p].to_string()));
    }
    Ok(out)
}

/// Runs the command.
pub fn run(a: RematchArgs, global: &Global) -> anyhow::Result<ExitCode> {
    crate::output::check_overwrite(&a.dir.out, a.dir.force)?;
    let weights = load_weights(a.weights.as_deref())?;
    let changes_text = read_option_file(&a.changes, "the changes file")?;
    let previous = read_previous(&a.previous)?;
    let progress = Progress::new(global.quiet);
    progress.step("loading season");
    let t0 = Instant::now();
    let loaded = season::load_with(&a.season, &LoadOptions::default())?;
    let base = loaded.season;
    let changes =
        changes::parse(&changes_text, &a.changes.display().to_string(), &base).map_err(|e| usage(e.to_string()))?;

    // Seats after the changes.
    let mut seats: Vec<i64> = base.groups().iter().map(|g| i64::from(g.seats)).collect();
    for c in &changes {
        if let Change::Seats(g, d) = c {
            seats[g.index()] = (seats[g.index()] + d).max(0);
        }
    }
    let seats: Vec<u32> = seats.iter().map(|&n| u32::try_from(n).unwrap_or(u32::MAX)).collect();
    let s = base.with_seats(&seats);
    progress.step("scoring candidates");
    let cands = match Candidates::from_season_candidates(&s) {
        Some(c) => c,
        None => score_within(&s, &weights, a.pairs.max_pairs, FEWER_PAIRS_OR_SUPPLY)?,
    };
    let t_load = t0.elapsed().as_secs_f64();

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
    for (lid, wid, pid) in &previous {
        let (Some(l), Some(w)) = (s.learner_by_id(lid), s.workplace_by_id(wid)) else {
            invalid += 1;
            continue;
        };
        before.insert(l, w);
        if left.contains(&l) || ended.contains(&(l, w)) {
            continue;
        }
        let Some(g) = s.programme_by_id(pid).and_then(|p| s.group_of(w, p)) else {
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
    let cons = Constraints { pins: pins.clone(), forbidden, ..Constraints::none() };
    let objective = if a.max_placed { Objective::MaxPlaced } else { Objective::MaxFit };
    progress.step("re-matching");
    let t1 = Instant::now();
    let model = PlacementModel::new(&s, &cands, &cons)
        .map_err(|inf| anyhow::anyhow!("internal error: {}", inf.describe(&s).join("; ")))?;
    let solve = || {
        match a.allow_moves {
        None => network::solve(&model, objective).map(|s| (s, None)),
        Some(limit) => moves::solve(&model, limit).map(|r| {
            let report = json!({
                "limit": limit,
                "moves": r.moves,
                "bonus_per_kept_placement": r.bonus,
                "bound": r.bound_weight as f64 / WEIGHT_SCALE,
                "gap": r.gap(),
                "proven_optimal": r.gap() == 0.0,
                "network_solves": r.solves,
                "note": "moves: kept learners placed at another site; bound: Lagrangian upper bound on the total score with at most `limit` moves; gap = bound - total_score",
            });
            let mut solved = r.solved;
            solved.proof.method = "lagrangian-network";
            solved.proof.bound = r.bound_weight as f64 / WEIGHT_SCALE;
            solved.duals = None; // duals of the relaxation, not of this problem
            (solved, Some(report))
        }),
    }
    };
    let (solved, moves) = match solve() {
        Ok(x) => x,
        Err(inf) => {
            progress.finish();
            eprintln!("dualmatch: the kept placements cannot all be honoured:");
            for line in inf.describe(&s) {
                eprintln!("  - {}", dualmatch_core::text::visible(&line));
            }
            return Ok(ExitCode::from(exit::INFEASIBLE));
        }
    };
    let t_solve = t1.elapsed().as_secs_f64();
    // With moves allowed, pins are kept placements: checked as such.
    let checked =
        if moves.is_some() { solved.assignment.check(&model.soften_pins()) } else { solved.assignment.check(&model) };
    checked.map_err(|e| anyhow::anyhow!("internal error: infeasible result: {e}"))?;

    // What changed, learner by learner.
    let mut kept = 0usize;
    let mut changed = Vec::new();
    for (li, p) in solved.assignment.placement.iter().enumerate() {
        let l = LearnerId::from_index(li);
        let now = p.map(|c| s.group(cands.group[c as usize]).workplace);
        let was = before.get(&l).copied();
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
        changed.push(PlacementChange { learner: l, kind, before: was, after: now });
    }
    let counts = change_counts(changed.iter());
    let [moved, gained, lost] = ChangeKind::ALL.map(|k| counts[k.as_str()]);
    let cfg = MatchConfig::for_rematch(
        a.season.clone(),
        weights,
        objective,
        a.dir.out.clone(),
        a.dir.force,
        !a.dir.no_timings,
        a.files,
    );
    let mut reasons = unplaced::reasons(&model, &solved.assignment);
    for (l, r) in reasons.iter_mut() {
        if left.contains(l) {
            *r = Unplaced::Left;
        }
    }
    let mut summary = matching::summary(&cfg, &s, &cands, "scored", &solved, &reasons, [t_load, t_solve]);
    summary["rematch"] = json!({
        "previous": a.previous.display().to_string(),
        "pinned": pins.len(),
        "kept": kept,
        "moved": moved,
        "gained": gained,
        "lost": lost,
        "changed": moved + gained + lost,
        "agreements_ended": ended.len(),
        "learners_left": left.len(),
        "learners_added": added.len(),
        "learners_added_placed": added.iter().filter(|l| solved.assignment.placement[l.index()].is_some()).count(),
        "displaced_by_seat_changes": displaced,
        "no_longer_valid": invalid,
    });
    if let Some(report) = moves {
        summary["rematch"]["allow_moves"] = report;
    }
    let advice = if a.files.no_advice { None } else { matching::advise(&model, &solved, &progress, global.quiet) };
    let dir = StagedDir::new(&a.dir.out, a.dir.force)?;
    let outcome = Outcome {
        season: &s,
        candidates: &cands,
        solved: &solved,
        reasons: &reasons,
        changes: Some(&changed),
        advice: advice.as_ref(),
    };
    matching::write_result(&dir, &outcome, &summary, &a.files)?;
    dir.commit()?;
    progress.finish();
    if !global.quiet {
        let by: BTreeMap<&str, usize> = [("kept", kept), ("moved", moved), ("gained", gained), ("lost", lost)].into();
        eprintln!(
            "{} placements changed ({by:?}); {} pinned; wrote {}",
            moved + gained + lost,
            pins.len(),
            a.dir.out.display()
        );
    }
    Ok(ExitCode::from(exit::OK))
}
