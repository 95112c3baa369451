//! `dualmatch match`: optimal placements for a whole season.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use dualmatch_core::scoring::{Candidates, Weights, COMPONENT_NAMES};
use dualmatch_core::season::{self, LoadOptions};
use dualmatch_core::text::{quoted, visible};
use dualmatch_core::{LearnerId, Season};
use dualmatch_optimiser::advice::{self, Advice};
use dualmatch_optimiser::network::{self, Solved};
use dualmatch_optimiser::unplaced::{self, Describe, Unplaced};
use dualmatch_optimiser::{lp, Constraints, Infeasible, Objective, PlacementModel};
use serde_json::json;

use crate::args::{Global, MatchArgs, ResultFiles, SolverArg};
use crate::cmd::advice_out;
use crate::cmd::rematch::{self, PlacementChange};
use crate::exit::{self, usage};
use crate::output::{Kind, StagedDir, Table};
use crate::progress::Progress;

/// The validated configuration of one run.
pub struct MatchConfig {
    season: PathBuf,
    candidates: Option<PathBuf>,
    weights: Weights,
    constraints: Option<(PathBuf, String)>,
    policy: String,
    /// Some for the exact objectives, which come with a proof and duals.
    objective: Option<Objective>,
    seed: u64,
    improve: bool,
    solver: SolverArg,
    out: PathBuf,
    force: bool,
    timings: bool,
    files: ResultFiles,
    max_pairs: u64,
}

/// Reads a small text file given on the command line, as a usage error when
/// it cannot be read.
pub fn read_option_file(path: &Path, what: &str) -> anyhow::Result<String> {
    use std::io::Read;
    /// Weights and constraints files are small; this bounds memory on a wrong path such as /dev/zero.
    const MAX: u64 = 16 << 20;
    let file = std::fs::File::open(path).map_err(|e| usage(format!("cannot read {what} {}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| usage(format!("cannot read {what} {}: {e}", path.display())))?;
    if bytes.len() as u64 > MAX {
        return Err(usage(format!("{what} {} is larger than 16 MiB; is it the right file?", path.display())));
    }
    String::from_utf8(bytes).map_err(|_| usage(format!("{what} {} is not UTF-8 text", path.display())))
}

/// Loads `--weights FILE`, or the defaults.
pub fn load_weights(path: Option<&Path>) -> anyhow::Result<Weights> {
    let Some(path) = path else { return Ok(Weights::default()) };
    let text = read_option_file(path, "the weights file")?;
    Weights::from_toml_str(&text).map_err(|e| {
        let at = e.position().map(|p| format!(":{}", p.line)).unwrap_or_default();
        usage(format!("{}{at}: {e}", path.display()))
    })
}

impl MatchConfig {
    /// The configuration of a `rematch` run, for the shared output writers.
    pub(crate) fn for_rematch(
        season: PathBuf,
        weights: Weights,
        objective: Objective,
        out: PathBuf,
        force: bool,
        timings: bool,
        files: ResultFiles,
    ) -> Self {
        Self {
            season,
            candidates: None,
            weights,
            constraints: None,
            policy: objective.name().to_string(),
            objective: Some(objective),
            seed: 0,
            improve: false,
            solver: SolverArg::Auto,
            out,
            force,
            timings,
            files,
            max_pairs: dualmatch_core::scoring::DEFAULT_MAX_PAIRS,
        }
    }

    fn from_args(a: MatchArgs) -> anyhow::Result<Self> {
        crate::output::check_overwrite(&a.dir.out, a.dir.force)?;
        if dualmatch_optimiser::policies::by_name(&a.policy).is_none() {
            return Err(usage(format!(
                "unknown policy {:?}; choose from {}",
                a.policy,
                dualmatch_optimiser::policies::ALL.join(", ")
            )));
        }
        let weights = load_weights(a.weights.as_deref())?;
        let constraints = match a.constraints {
            Some(p) => {
                let text = read_option_file(&p, "the constraints file")?;
                Some((p, text))
            }
            None => None,
        };
        Ok(Self {
            season: a.season,
            candidates: a.candidates,
            weights,
            constraints,
            objective: match a.policy.as_str() {
                "max-fit" if !a.improve => Some(Objective::MaxFit),
                "max-placed" if !a.improve => Some(Objective::MaxPlaced),
                _ => None,
            },
            policy: a.policy,
            seed: a.seed,
            improve: a.improve,
            solver: a.solver,
            out: a.dir.out,
            force: a.dir.force,
            timings: !a.dir.no_timings,
            files: a.files,
            max_pairs: a.pairs.max_pairs,
        })
    }
}

/// What to do about a season with too many candidate pairs, besides raising
/// `--max-pairs`.
pub const FEWER_PAIRS_OR_SUPPLY: &str = "lower the learners' max_commute_km, or supply scored pairs instead \
     (candidates.csv in the season, or `match --candidates FILE`)";

/// Scores the candidate pairs of `season` when there are at most `max_pairs`
/// of them, else a usage error (exit 2, before any pair is made) with the
/// count and what to do: `instead`, or raise `--max-pairs`.
pub fn score_within(season: &Season, weights: &Weights, max_pairs: u64, instead: &str) -> anyhow::Result<Candidates> {
    Candidates::generate_within(season, weights, None, max_pairs).map_err(|e| {
        usage(format!(
            "{e}; {instead}, or raise --max-pairs above {} if this machine has the memory (nothing was written)",
            e.budget
        ))
    })
}

/// Loads the season and its candidates (supplied, or scored within `max_pairs`).
pub fn season_and_candidates(
    season_path: &Path,
    candidates: Option<&Path>,
    weights: &Weights,
    max_pairs: u64,
    global: &Global,
    progress: &Progress,
) -> anyhow::Result<(Season, Candidates, &'static str)> {
    progress.step("loading season");
    let opts = LoadOptions { candidates: candidates.map(Path::to_path_buf), travel_times: None };
    let loaded = season::load_with(season_path, &opts)?;
    if !global.quiet {
        progress.suspend(|| {
            for d in loaded.warnings.iter() {
                eprintln!("{d}");
            }
        });
    }
    let season = loaded.season;
    let (cands, source) = match Candidates::from_season_candidates(&season) {
        Some(c) => {
            let dropped = Candidates::rejected_season_candidates(&season);
            if !dropped.is_empty() && !global.quiet {
                let (l, g, why) = &dropped[0];
                let grp = season.group(*g);
                progress.suspend(|| {
                    eprintln!(
                        "warning: {} supplied candidate pair(s) break a hard gate and are not used, for example {}–{}: {}",
                        dropped.len(),
                        quoted(&season.learner(*l).id),
                        quoted(&season.workplace(grp.workplace).id),
                        visible(&why.iter().map(|r| r.describe(&season)).collect::<Vec<_>>().join("; "))
                    )
                });
            }
            (c, "supplied")
        }
        None => {
            progress.step("scoring candidates");
            (score_within(&season, weights, max_pairs, FEWER_PAIRS_OR_SUPPLY)?, "scored")
        }
    };
    Ok((season, cands, source))
}

/// Runs the command.
pub fn run(args: MatchArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let cfg = MatchConfig::from_args(args)?;
    let progress = Progress::new(global.quiet);
    let t0 = Instant::now();
    let (season, cands, source) =
        season_and_candidates(&cfg.season, cfg.candidates.as_deref(), &cfg.weights, cfg.max_pairs, global, &progress)?;
    let t_load = t0.elapsed().as_secs_f64();
    let constraints = match &cfg.constraints {
        Some((path, text)) => {
            Constraints::parse(text, &path.display().to_string(), &season).map_err(|e| usage(e.to_string()))?
        }
        None => Constraints::none(),
    };
    progress.step(&format!("solving {} ({} candidate pairs)", cfg.policy, cands.len()));
    let t1 = Instant::now();
    // The solve yields Ok(Ok(..)), Ok(Err(infeasible)) or Err(internal failure).
    let outcome = match PlacementModel::new(&season, &cands, &constraints) {
        Err(inf) => Ok(Err(inf)),
        Ok(m) => match cfg.objective {
            Some(objective) => solve(&m, objective, cfg.solver).map(|r| r.map(|s| (m, s))),
            None => {
                let t = Instant::now();
                let policy = dualmatch_optimiser::policies::by_name(&cfg.policy).expect("checked in from_args");
                Ok(dualmatch_optimiser::policies::allocate(policy.as_ref(), &m, cfg.seed, cfg.improve).map(
                    |assignment| {
                        let proof = network::Proof {
                            method: "policy",
                            components: 0,
                            largest_component: 0,
                            bound: f64::NAN,
                            max_placeable: None,
                            seconds: t.elapsed().as_secs_f64(),
                        };
                        (m, Solved { assignment, proof, duals: None })
                    },
                ))
            }
        },
    };
    let solved = match outcome? {
        Ok(x) => x,
        Err(inf) => {
            progress.finish();
            eprintln!("dualmatch: the constraints cannot all be met:");
            for line in inf.describe(&season) {
                eprintln!("  - {}", visible(&line));
            }
            eprintln!("relax the floors or pins above and run again (nothing was written)");
            return Ok(ExitCode::from(exit::INFEASIBLE));
        }
    };
    let (model, solved) = solved;
    let t_solve = t1.elapsed().as_secs_f64();
    solved.assignment.check(&model).map_err(|e| anyhow::anyhow!("internal error: infeasible result: {e}"))?;
    progress.step("writing results");
    let reasons = unplaced::reasons(&model, &solved.assignment);
    let dir = StagedDir::new(&cfg.out, cfg.force)?;
    let proof_line = if cfg.objective.is_some() {
        format!(
            "Optimal for {}: the dual bound {:.2} equals the total score (method {}, {} independent components).",
            cfg.policy, solved.proof.bound, solved.proof.method, solved.proof.components
        )
    } else {
        format!(
            "Policy {} (seed {}{}); not an optimisation, so no bound.",
            cfg.policy,
            cfg.seed,
            if cfg.improve { ", improved" } else { "" }
        )
    };
    let html = crate::report::matching::render(&season, &cands, &solved.assignment, &reasons, &cfg.policy, &proof_line);
    dir.write_bytes("report.html", html.as_bytes())?;
    let advice = if cfg.files.no_advice { None } else { advise(&model, &solved, &progress, global.quiet) };
    let summary = summary(&cfg, &season, &cands, source, &solved, &reasons, [t_load, t_solve]);
    let outcome = Outcome {
        season: &season,
        candidates: &cands,
        solved: &solved,
        reasons: &reasons,
        changes: None,
        advice: advice.as_ref(),
    };
    write_result(&dir, &outcome, &summary, &cfg.files)?;
    dir.commit()?;
    progress.finish();
    if !global.quiet {
        eprintln!(
            "placed {} of {} learners, total score {:.2} ({}); wrote {}",
            solved.assignment.placed(),
            season.learners().len(),
            solved.assignment.total_score(&cands),
            if cfg.objective.is_some() {
                format!("{}, optimal: bound {:.2}", cfg.policy, solved.proof.bound)
            } else {
                cfg.policy.clone()
            },
            cfg.out.display()
        );
    }
    Ok(ExitCode::from(exit::OK))
}

/// Solves with the chosen path. An LP that reports infeasibility is
/// explained by the network path, which always applies to today's
/// constraints; an LP solver failure is an internal error.
fn solve(m: &PlacementModel, objective: Objective, solver: SolverArg) -> anyhow::Result<Result<Solved, Infeasible>> {
    if solver != SolverArg::Lp && m.is_network() {
        return Ok(network::solve(m, objective));
    }
    let t = Instant::now();
    match lp::solve(m, objective) {
        Ok(sol) => Ok(Ok(Solved {
            proof: network::Proof {
                method: lp::BACKEND,
                components: 1,
                largest_component: m.learner_count(),
                bound: sol.objective,
                max_placeable: sol.placed_bound.map(|k| k.round() as usize),
                seconds: t.elapsed().as_secs_f64(),
            },
            assignment: sol.assignment,
            duals: None,
        })),
        Err(lp::LpError::Infeasible) => Ok(network::solve(m, objective)),
        Err(e) => Err(anyhow::anyhow!("the LP solver failed ({e}); run again without --solver lp")),
    }
}

/// What one result directory is made of.
pub(crate) struct Outcome<'a> {
    pub season: &'a Season,
    pub candidates: &'a Candidates,
    pub solved: &'a Solved,
    pub reasons: &'a [(LearnerId, Unplaced)],
    /// For `rematch`: every learner whose placement changed.
    pub changes: Option<&'a [PlacementChange]>,
    /// The waiting list and recruitment advice (max-fit only).
    pub advice: Option<&'a Advice>,
}

/// The waiting list and recruitment advice of a max-fit optimum, or `None`
/// for other results. A failure (which would be a bug: the result is checked
/// optimal) is reported as a warning and the files are left out.
pub(crate) fn advise(model: &PlacementModel, solved: &Solved, progress: &Progress, quiet: bool) -> Option<Advice> {
    solved.duals.as_ref()?;
    progress.step("waiting list and recruitment advice");
    match advice::compute(model, solved) {
        Ok(a) => Some(a),
        Err(e) => {
            if !quiet {
                progress.suspend(|| eprintln!("warning: no waiting list or recruitment advice: {e}"));
            }
            None
        }
    }
}

/// The learners a file shows: everyone, or one school's.
type Keep<'k> = &'k dyn Fn(LearnerId) -> bool;

/// Writes the files every result directory has: placements.csv,
/// unplaced.csv, placement_changes.csv (rematch), seat_values.csv (when there
/// are duals) and summary.json; with `--xlsx` also results.xlsx with a sheet
/// per CSV file and the summary; with `--by-school` the same per school.
///
/// This is the one place where result tables are listed: a table added to
/// [`learner_tables`] (about learners, so also split by school) or to the
/// list below (about sites) becomes a CSV file and a worksheet.
pub(crate) fn write_result(
    dir: &StagedDir,
    r: &Outcome,
    summary: &serde_json::Value,
    files: &ResultFiles,
) -> anyhow::Result<()> {
    let mut tables = learner_tables(r, &|_| true);
    if let Some(d) = &r.solved.duals {
        tables.push(seat_values(r.season, d));
    }
    // Not in the per-school folders: the advice names other schools' learners.
    if let Some(a) = r.advice {
        tables.push(advice_out::waitlist_table(r.season, r.candidates, a));
        tables.push(advice_out::recruitment_table(r.season, a));
    }
    write_tables(dir, "", &tables, summary, files.xlsx)?;
    if files.by_school {
        write_by_school(dir, r, files.xlsx)?;
    }
    Ok(())
}

/// The tables about learners, holding the learners `keep` selects.
fn learner_tables<'a>(r: &Outcome<'a>, keep: Keep<'a>) -> Vec<Table<'a>> {
    let mut tables =
        vec![placements(r.season, r.candidates, r.solved, keep), unplaced_table(r.season, r.reasons, keep)];
    if let Some(changes) = r.changes {
        tables.push(rematch::changes_table(r.season, changes, keep));
    }
    tables
}

/// Writes `tables` as CSV files, `summary` as summary.json and, with `xlsx`,
/// both as results.xlsx, in the folder `base` (empty, or ending in `/`).
fn write_tables(
    dir: &StagedDir,
    base: &str,
    tables: &[Table],
    summary: &serde_json::Value,
    xlsx: bool,
) -> anyhow::Result<()> {
    for t in tables {
        dir.write(&format!("{base}{}", t.file_name()), |w| t.write_csv(w))?;
    }
    dir.write_json(&format!("{base}summary.json"), summary)?;
    if xlsx {
        let name = format!("{base}results.xlsx");
        let book = crate::xlsx::workbook(&dir.final_path(&name).display().to_string(), tables, Some(summary))?;
        dir.write_bytes(&name, &book)?;
    }
    Ok(())
}

/// placements.csv: the placements of the learners `keep` selects.
fn placements<'a>(s: &'a Season, c: &'a Candidates, solved: &'a Solved, keep: Keep<'a>) -> Table<'a> {
    let mut columns = vec![("learner", Kind::Text), ("workplace", Kind::Text), ("programme", Kind::Text)];
    columns.push(("score", Kind::Number));
    columns.extend(COMPONENT_NAMES.iter().map(|n| (*n, Kind::Number)));
    columns.extend([("distance_km", Kind::Number), ("school", Kind::Text)]);
    Table::new("placements", columns, move |sink| {
        for (li, p) in solved.assignment.placement.iter().enumerate() {
            let l = LearnerId::from_index(li);
            let Some(ci) = p.filter(|_| keep(l)) else { continue };
            let mut rec = crate::cmd::score::pair_row(s, c, l, ci as usize);
            rec.push(s.school(s.learner(l).school).id.clone());
            sink(&rec)?;
        }
        Ok(())
    })
}

/// unplaced.csv: the unplaced learners `keep` selects, with the reason.
fn unplaced_table<'a>(s: &'a Season, reasons: &'a [(LearnerId, Unplaced)], keep: Keep<'a>) -> Table<'a> {
    let columns = [("learner", Kind::Text), ("reason", Kind::Text), ("school", Kind::Text)];
    Table::new("unplaced", columns, move |sink| {
        for (l, r) in reasons.iter().filter(|(l, _)| keep(*l)) {
            let learner = s.learner(*l);
            sink(&[learner.id.clone(), Describe(r, s).to_string(), s.school(learner.school).id.clone()])?;
        }
        Ok(())
    })
}

/// seat_values.csv: what one more seat would add, best first.
fn seat_values<'a>(s: &'a Season, d: &'a network::Duals) -> Table<'a> {
    let mut rows: Vec<(usize, f64)> = d.seat.iter().copied().enumerate().filter(|(_, v)| *v > 0.0).collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let columns = [
        ("workplace", Kind::Text),
        ("programme", Kind::Text),
        ("seats", Kind::Number),
        ("value_of_one_more_seat", Kind::Number),
    ];
    Table::new("seat_values", columns, move |sink| {
        for &(gi, v) in &rows {
            let g = s.groups()[gi];
            sink(&[
                s.workplace(g.workplace).id.clone(),
                s.programme(g.programme).id.clone(),
                g.seats.to_string(),
                format!("{v:.4}"),
            ])?;
        }
        Ok(())
    })
}

fn reason_kind(r: &Unplaced) -> &'static str {
    match r {
        Unplaced::ScreeningPending => "screening pending",
        Unplaced::ScreeningFailed => "screening failed",
        Unplaced::Left => "left",
        Unplaced::NoCandidate(_) | Unplaced::NoSuppliedCandidate => "no candidate",
        Unplaced::NoUsableCandidate { .. } => "no usable candidate",
        Unplaced::Outcompeted { .. } => "outcompeted",
        Unplaced::Constrained { .. } => "constrained",
    }
}

pub(crate) fn summary(
    cfg: &MatchConfig,
    s: &Season,
    c: &Candidates,
    source: &str,
    solved: &Solved,
    reasons: &[(LearnerId, Unplaced)],
    [t_load, t_solve]: [f64; 2],
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
    let mut v = json!({
        "policy": cfg.policy,
        "seed": if cfg.objective.is_some() { None } else { Some(cfg.seed) },
        "improve": cfg.improve,
        "learners": s.learners().len(),
        "placed": placed,
        "unplaced": s.learners().len() - placed,
        "total_score": total,
        "mean_score": if placed > 0 { total / placed as f64 } else { 0.0 },
        "optimal": cfg.objective.is_some(),
        "proof": cfg.objective.map(|_| json!({
            "method": solved.proof.method,
            "bound": solved.proof.bound,
            "objective_weight": a.total_weight(c).to_string(),
            "gap": solved.proof.bound - a.total_weight(c) as f64 / dualmatch_optimiser::model::WEIGHT_SCALE,
            "max_placeable": solved.proof.max_placeable,
            "components": solved.proof.components,
            "largest_component": solved.proof.largest_component,
            "note": "bound: the dual objective of the solved network, in score units; the objective is exact for scores rounded to 1e-6 (objective_weight, in 1e-6 units), and gap = bound - objective_weight / 1e6",
        })),
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
    if cfg.timings {
        v["solve_seconds"] = json!(t_solve);
        v["load_seconds"] = json!(t_load);
    }
    v
}

/// A school id as a folder name: letters, digits, `-` and `_` kept, anything
/// else replaced by `_`.
fn folder_name(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// `by-school/<school>/`: each school's own learners only, because schools
/// must not see other schools' learners.
fn write_by_school(dir: &StagedDir, r: &Outcome, xlsx: bool) -> anyhow::Result<()> {
    let s = r.season;
    for (si, school) in s.schools().iter().enumerate() {
        let mine = |l: LearnerId| s.learner(l).school.index() == si;
        let learners = (0..s.learners().len()).filter(|&l| mine(LearnerId::from_index(l))).count();
        let placed = r
            .solved
            .assignment
            .placement
            .iter()
            .enumerate()
            .filter(|(l, p)| p.is_some() && mine(LearnerId::from_index(*l)))
            .count();
        let mut v = json!({ "school": school.id, "name": school.name, "learners": learners, "placed": placed, "unplaced": learners - placed });
        if let Some(changes) = r.changes {
            v["changes"] = json!(rematch::change_counts(changes.iter().filter(|ch| mine(ch.learner))));
        }
        let base = format!("by-school/{}/", folder_name(&school.id));
        write_tables(dir, &base, &learner_tables(r, &mine), &v, xlsx)?;
    }
    Ok(())
}
