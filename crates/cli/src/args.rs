//! Command-line arguments (clap). Only this crate knows about clap; each
//! command turns its arguments into a validated configuration before any work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use dualmatch::{Improve, Policy, Solver, TieBreak};
use dualmatch_core::scoring::DEFAULT_MAX_PAIRS;

const ABOUT: &str = "Placement matching for dual learning: validate seasons, score learner–workplace fit, \
and assign placements provably optimally.";

const EXAMPLES: &str = "\
Examples:
  dualmatch validate data/sample
  dualmatch generate --preset flanders --seed 7 --out seasons/flanders
  dualmatch generate --preset tiny --format json --out tiny.json
  dualmatch match data/sample --xlsx --out results
  dualmatch convert data/sample --out sample.xlsx
  dualmatch template --out season.xlsx

A season is a directory of CSV files, a JSON file or an .xlsx workbook.
Exit codes: 0 ok, 1 infeasible or partial result, 2 bad input or usage, 3 I/O failure.";

/// The `dualmatch` command line.
#[derive(Parser, Debug)]
#[command(name = "dualmatch", version, about = ABOUT, after_help = EXAMPLES, propagate_version = true)]
pub struct Cli {
    /// Options for every command.
    #[command(flatten)]
    pub global: Global,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(usize))]
    pub threads: Option<usize>,
    /// Print nothing but errors and the requested output.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// List every warning and note on its own line (by default those of one
    /// kind in one file are one line, with their count and first rows).
    #[arg(long, short, global = true)]
    pub verbose: bool,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check a season and list every problem with its file, line and field.
    #[command(after_help = "\
Examples:
  dualmatch validate data/sample
  dualmatch validate season.json --format json

A SEASON is a directory of CSV files (programmes, schools, learners, workplaces,
recognitions, optional candidates), one JSON file with the same tables, or an
.xlsx workbook with a sheet per table (see `dualmatch template`).
Writes nothing: prints the problems (or JSON with --format json).
Errors make the command exit with 2; warnings do not, unless --strict.
Warnings of one kind in one file are one line; --verbose lists each.")]
    Validate(ValidateArgs),
    /// Write a realistic synthetic season (CSV directory or JSON file).
    #[command(after_help = "\
Examples:
  dualmatch generate --preset tiny --out tiny
  dualmatch generate --preset flanders --seed 7 --out seasons/flanders
  dualmatch generate --preset national --format json --out national.json
  dualmatch generate --preset flanders --learners 1500 --workplaces 2000 --out data/sample
  dualmatch generate --preset flanders --scenario --scarcity 0.6,0.8,1.0 --school-counts 5,25 --out sweep
  dualmatch compare sweep/* --policies max-fit,stable,first-come --seeds 5 --out cmp

Writes the season's CSV files (programmes, schools, learners, workplaces,
recognitions) into --out, or one JSON file with --format json; with
--scenario a season directory per sweep point. Turn a season into an .xlsx
workbook with `dualmatch convert`.
The same options and seed always give byte-identical files.")]
    Generate(GenerateArgs),
    /// Assign placements for a whole season, provably optimally.
    #[command(after_help = "\
Examples:
  dualmatch match data/sample --out results
  dualmatch match data/sample --policy max-placed --constraints constraints.toml --out results
  dualmatch match data/sample --policy stable --seed 3 --out results-stable
  dualmatch match season/ --candidates my-scores.csv --out results --force
  dualmatch match data/sample --xlsx --by-school --out results

The season may be a CSV directory, a JSON file or an .xlsx workbook.
Writes placements.csv (with company, programme and school names), unplaced.csv
(with the reason for each learner), seat_values.csv (what one more seat would
be worth), waitlist.csv and recruitment.csv (max-fit; docs/advice.md),
summary.json (with the proof of optimality, exact values, and which of these
files a policy leaves out and why), certificate.csv (the duals that prove an
exact result optimal; `dualmatch verify` checks them), warnings.csv (every
warning and note of the season; the terminal groups them, -v lists each) and
report.html. --xlsx adds results.xlsx:
a sheet per CSV file and a summary sheet. --by-school adds by-school/<school>/
with only that school's learners, and by-school/index.csv.
Exit code 1 when the constraints cannot all be met.
With --shard i/N (max-fit, max-placed) solves only shard i's share of the
independent components and writes a part; `dualmatch merge` makes the
result (docs/scale-out.md).")]
    Match(MatchArgs),
    /// Score every eligible learner–site pair (screening gates, then fit).
    #[command(after_help = "\
Examples:
  dualmatch score data/sample --out candidates.csv
  dualmatch score data/sample --weights weights.toml --out candidates.csv

The season may be a CSV directory, a JSON file or an .xlsx workbook.
Writes one CSV file (--out): learner,workplace,programme,score, one column per
component, and distance_km, with exact scores (it can be read back by
`match --candidates`). See docs/scoring.md for the gates, components and weights.")]
    Score(ScoreArgs),
    /// Show a learner's best candidates, each score's breakdown, and why other sites were rejected.
    #[command(after_help = "\
Examples:
  dualmatch explain data/sample --learner L000042
  dualmatch explain data/sample --learner L000042 --top 10 --weights weights.toml

The season may be a CSV directory, a JSON file or an .xlsx workbook.
Writes nothing: prints the explanation.")]
    Explain(ExplainArgs),
    /// Run allocation policies side by side and report who gains and who loses.
    #[command(after_help = "\
Examples:
  dualmatch compare data/sample --policies max-fit,stable,first-come --out cmp
  dualmatch compare data/sample --policies all --seeds 10 --out cmp
  dualmatch compare seasons/* --policies stable,random-serial --seeds 20 --improve --out cmp

Policies: max-fit, max-placed, fair-share, stable, stable-workplace,
serial-dictatorship, random-serial, greedy, first-come, boston (docs/policies.md).
Randomised policies run once per seed (--seed, --seed+1, ...).
Seasons may be CSV directories, JSON files or .xlsx workbooks.
Writes comparison.csv, comparison.json, probabilities.csv (per learner and
school, the chance of a placement over the seeds), warnings.csv (every
warning and note of the seasons) and report.html (a table per season with a
glossary of the metrics, and for several seasons charts across them). With --shard i/N
(or auto in a Slurm array or Kubernetes Indexed Job) runs only shard i's
runs and writes a part; `dualmatch merge` makes the result (docs/scale-out.md).")]
    Compare(CompareArgs),
    /// Who moved, who gained and who lost a placement between two results.
    #[command(after_help = "\
Examples:
  dualmatch diff results-before results-after
  dualmatch diff results-before results-after --all-schools

Reads placements.csv and unplaced.csv of two result directories (of seasons
in CSV, JSON or .xlsx form). Writes nothing: prints the differences.")]
    Diff(DiffArgs),
    /// Re-place learners affected by changes, keeping every placement that is still valid.
    #[command(after_help = "\
Examples:
  dualmatch rematch data/sample --previous results --changes changes.csv --out results-2
  dualmatch rematch data/sample --previous results --changes ch.csv --xlsx --by-school --out r2
  dualmatch rematch data/sample --previous results --changes ch.csv --allow-moves 5 --out r3
  dualmatch diff results results-2

changes.csv has the header event,learner,workplace,programme,seats; events:
  agreement_ended  learner,workplace      the learner needs a new site (not this one)
  learner_left     learner                the learner leaves; their seat is freed
  learner_added    learner                a new learner (also add them to learners.csv)
  seats_withdrawn  workplace,programme,seats
  seats_added      workplace,programme,seats
Nobody whose placement is still valid is moved.

The season may be a CSV directory, a JSON file or an .xlsx workbook.
Writes the files of `match` (placements.csv, unplaced.csv, seat_values.csv,
waitlist.csv, recruitment.csv, summary.json, warnings.csv, report.html with
the changes) and placement_changes.csv (every learner who moved, gained or lost a
placement); --xlsx and --by-school as for `match`.")]
    Rematch(RematchArgs),
    /// Check a result without trusting the solver: every rule, the totals, the optimality certificate, stability.
    #[command(after_help = "\
Examples:
  dualmatch match data/sample --constraints c.toml --out results
  dualmatch verify data/sample results --constraints c.toml

Pass the inputs `match` used (--constraints, --weights, --candidates).
Prints each check with PASS, FAIL (naming the rows) or SKIP; exits 0 when
every check holds, 1 when one fails, 2 on bad input (docs/policies.md).")]
    Verify(VerifyArgs),
    /// Write a season (CSV directory or JSON file) as an xlsx workbook.
    #[command(after_help = "\
Examples:
  dualmatch convert data/sample --out sample.xlsx
  dualmatch convert season.json --out season.xlsx --force

The workbook has one sheet per table (programmes, schools, learners,
workplaces, recognitions, and candidates when the season has them), with the
same header and columns as the CSV files; numbers are numeric cells. Writes
one .xlsx workbook (--out), with the drop-down lists and number rules of
`dualmatch template`; it is a season too. The season is validated first: a
season with errors is not converted.")]
    Convert(ConvertArgs),
    /// Write an empty season workbook to fill in, with drop-down lists and number rules.
    #[command(after_help = "\
Examples:
  dualmatch template --out season.xlsx
  dualmatch validate season.xlsx
  dualmatch match season.xlsx --out results

Writes one .xlsx workbook: an instructions sheet, then a sheet per table
(programmes, schools, learners, workplaces, recognitions) with the header of
the CSV files. A learner's school, programme and screening and a
recognition's workplace and programme are drop-down lists fed by the
workbook's own sheets; seats, capacity, readiness, coordinates and the
commute only take numbers in range. Filled in, the workbook is a season:
validate and match it directly. `convert` writes the same rules.")]
    Template(TemplateArgs),
    /// Put the parts of a sharded compare or match together into the single run's result.
    #[command(after_help = "\
Examples:
  dualmatch compare seasons/* --policies all --seeds 10 --shard 0/4 --out part-0   (… up to 3/4)
  dualmatch merge part-0 part-1 part-2 part-3 --out cmp
  dualmatch match national --shard auto --out parts/$SLURM_ARRAY_TASK_ID
  dualmatch merge parts/* --out national-result

The merged files are those the unsharded run writes, byte for byte (with
--no-timings). Parts of different runs (other inputs, options or shard count)
are refused with exit code 2, and missing shards are named. See docs/scale-out.md.")]
    Merge(MergeArgs),
}

/// How diagnostics are printed.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    /// One line per problem, then a count.
    Text,
    /// A JSON object with the problems and the counts.
    Json,
}

/// `dualmatch validate`.
#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// The season: a directory of CSV files, a JSON file or an .xlsx workbook.
    pub season: PathBuf,
    /// Output format of the report.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Treat warnings as errors: exit with 2 when there is any.
    #[arg(long)]
    pub strict: bool,
}

/// Synthetic season sizes.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PresetArg {
    /// About 50 learners, for tests.
    Tiny,
    /// About 6,000 learners, 15 programmes, 25 schools, 8,000 sites around Flemish towns.
    Flanders,
    /// About 500,000 learners, 40 programmes, 200,000 sites.
    National,
}

/// Output format of a generated season.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeasonFormat {
    /// A directory of CSV files.
    Csv,
    /// One JSON file.
    Json,
}

/// `dualmatch generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Size and shape of the season.
    #[arg(long, value_enum, default_value_t = PresetArg::Tiny)]
    pub preset: PresetArg,
    /// Number of learners (overrides the preset).
    #[arg(long, value_name = "N")]
    pub learners: Option<usize>,
    /// Number of workplace sites (overrides the preset).
    #[arg(long, value_name = "N")]
    pub workplaces: Option<usize>,
    /// Number of schools (overrides the preset).
    #[arg(long, value_name = "N")]
    pub schools: Option<usize>,
    /// Random seed; the same seed gives byte-identical files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// CSV directory or one JSON file.
    #[arg(long, value_enum, default_value_t = SeasonFormat::Csv)]
    pub format: SeasonFormat,
    /// Where to write: a directory (csv) or a file (json).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Replace the output if it exists: a directory only if dualmatch wrote
    /// it (it has dualmatch's .dualmatch-result marker and nothing added by
    /// hand); never the current or home directory, nor a parent of them.
    #[arg(long)]
    pub force: bool,
    /// Add mentors.csv: 1 to 3 mentors per recognised site, with programmes,
    /// workloads and days (docs/format.md).
    #[arg(long, conflicts_with = "scenario")]
    pub mentors: bool,
    /// Give every school a rhythm (days at the workplace): 2 to 4 patterns
    /// per region.
    #[arg(long, conflicts_with = "scenario")]
    pub rhythms: bool,
    /// Write a sweep of seasons instead: one per scarcity level and number of
    /// competing schools, each in its own directory under --out.
    #[arg(long)]
    pub scenario: bool,
    /// Seats per learner for --scenario.
    #[arg(long, value_delimiter = ',', default_value = "0.6,0.8,1.0,1.2", requires = "scenario")]
    pub scarcity: Vec<f64>,
    /// Numbers of competing schools for --scenario.
    #[arg(long, value_delimiter = ',', default_value = "5,10,25", requires = "scenario")]
    pub school_counts: Vec<usize>,
    /// Also write outcomes.csv: how the agreements of N past seasons ended,
    /// more often early for learners not yet ready, long commutes and some
    /// sites (for the trust component).
    #[arg(long, value_name = "N", conflicts_with = "scenario", value_parser = clap::value_parser!(u32).range(1..=20))]
    pub outcomes: Option<u32>,
}

/// `dualmatch match`.
#[derive(Args, Debug)]
pub struct MatchArgs {
    /// The season: a directory of CSV files, a JSON file or an .xlsx workbook.
    pub season: PathBuf,
    /// The allocation policy: max-fit, max-placed and the rank-profile
    /// policies (rank-maximal, max-size-min-cost, greedy-max, generous-max)
    /// are exact (with a proof); fair-share, stable, stable-workplace,
    /// serial-dictatorship, random-serial, greedy, first-come, boston and ttc
    /// are the alternatives (docs/policies.md).
    #[arg(long, value_enum, default_value_t = Policy::MaxFit)]
    pub policy: Policy,
    /// Lottery seed for randomised policies.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// After the policy: `pareto` (the default value of a bare `--improve`)
    /// carries out swaps and cycles in which nobody loses; `sic` carries out
    /// stable improvement cycles, which keep a stable result stable
    /// (docs/policies.md).
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "pareto", value_name = "HOW")]
    pub improve: Option<Improve>,
    /// How the deferred-acceptance policies (stable, stable-workplace) break
    /// the workplaces' ties: one lottery for all workplaces, or one each.
    #[arg(long, value_enum, default_value_t = TieBreak::Single)]
    pub tie_break: TieBreak,
    /// Use these scored pairs (learner,workplace,programme,score) instead of scoring.
    #[arg(long, value_name = "FILE")]
    pub candidates: Option<PathBuf>,
    /// Scoring weights (TOML); see docs/scoring.md.
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// Coordinator constraints (TOML); see docs/constraints.md.
    #[arg(long, value_name = "FILE")]
    pub constraints: Option<PathBuf>,
    /// Solver path.
    #[arg(long, value_enum, default_value_t = Solver::Auto)]
    pub solver: Solver,
    /// Seconds the mixed-integer path may take (sites with `allow_empty =
    /// true` in constraints.toml): when hit, the best placement found is
    /// written with its bound and gap (docs/constraints.md).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub time_limit: Option<std::time::Duration>,
    /// Also work out the rhythm advice (a season with rhythms and an
    /// optimal result): for pairs of schools whose learners of a programme
    /// share sites on the same days, how many more learners a
    /// complementary rhythm would place, each move re-solved exactly;
    /// written to summary.json and report.html. It re-solves the season
    /// once per move tried, so it takes longer than the match.
    #[arg(long)]
    pub rhythm_advice: bool,
    /// The budget of candidate pairs.
    #[command(flatten)]
    pub pairs: PairBudget,
    /// The result directory.
    #[command(flatten)]
    pub dir: ResultDir,
    /// Extra result files.
    #[command(flatten)]
    pub files: ResultFiles,
    /// Run one shard of a sharded match.
    #[command(flatten)]
    pub shard: ShardArgs,
}

/// A positive, finite number of seconds.
fn parse_seconds(s: &str) -> Result<std::time::Duration, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 && x <= 1e9 => Ok(std::time::Duration::from_secs_f64(x)),
        _ => Err(format!("{s:?} is not a number of seconds above 0 (for example 30 or 2.5)")),
    }
}

/// The budget of candidate pairs of the commands that score a season
/// (`match`, `score`, `compare`, `rematch`).
#[derive(Args, Debug, Clone, Copy)]
pub struct PairBudget {
    /// The most candidate pairs to score (about 140 bytes of memory each). A
    /// season whose learners reach more sites in all is refused before
    /// scoring, with the count and what to do: lower the learners'
    /// max_commute_km, supply scored pairs (--candidates), or raise this.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_PAIRS,
          value_parser = clap::value_parser!(u64).range(1..=u64::from(u32::MAX)))]
    pub max_pairs: u64,
}

/// Extra files of a result directory (`match` and `rematch`).
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct ResultFiles {
    /// Also write by-school/<folder>/ per school with only that school's
    /// learners, and by-school/index.csv naming each school's folder.
    #[arg(long)]
    pub by_school: bool,
    /// Also write results.xlsx: a sheet per CSV file and a summary sheet
    /// (and one per school folder with --by-school).
    #[arg(long)]
    pub xlsx: bool,
    /// Leave out waitlist.csv and recruitment.csv (max-fit only; on a
    /// national season they add about a third to the solve time).
    #[arg(long)]
    pub no_advice: bool,
    /// followup.csv: split each school's visiting round into rounds of at
    /// most N sites (default: one round per school).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub visits_per_day: Option<u32>,
}

/// The result directory of `match`, `compare` and `rematch`.
#[derive(Args, Debug)]
pub struct ResultDir {
    /// Result directory.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Replace the result directory if it exists, but only a result that
    /// dualmatch wrote (it has dualmatch's .dualmatch-result marker and
    /// nothing added by hand); never an input of the run or a directory
    /// holding one, the current or home directory, nor a parent of them.
    #[arg(long)]
    pub force: bool,
    /// Leave timings and runtimes out of the results, so that outputs are
    /// byte-identical across runs.
    #[arg(long)]
    pub no_timings: bool,
}

/// `dualmatch score`.
#[derive(Args, Debug)]
pub struct ScoreArgs {
    /// The season: a directory of CSV files, a JSON file or an .xlsx workbook.
    pub season: PathBuf,
    /// Scoring weights (TOML); see docs/scoring.md.
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// Where to write the candidates CSV.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Replace the output file if it exists (never an input of the run).
    #[arg(long)]
    pub force: bool,
    /// The budget of candidate pairs.
    #[command(flatten)]
    pub pairs: PairBudget,
}

/// `dualmatch explain`.
#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The season: a directory of CSV files, a JSON file or an .xlsx workbook.
    pub season: PathBuf,
    /// The learner's id.
    #[arg(long)]
    pub learner: String,
    /// How many candidates to show.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    /// Scoring weights (TOML); see docs/scoring.md.
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
}

/// `dualmatch compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    /// One or more seasons: directories of CSV files, JSON files or .xlsx
    /// workbooks.
    #[arg(required = true)]
    pub seasons: Vec<PathBuf>,
    /// Comma-separated policies, or `all`.
    #[arg(long, default_value = "max-fit,max-placed,fair-share,stable,greedy,first-come")]
    pub policies: String,
    /// Seeds per randomised policy.
    #[arg(long, default_value_t = 1)]
    pub seeds: u64,
    /// The first seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// After each policy: `pareto` (a bare `--improve`) or `sic`, as for `match`.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "pareto", value_name = "HOW")]
    pub improve: Option<Improve>,
    /// Single or multiple tie-breaking for stable and stable-workplace, as for `match`.
    #[arg(long, value_enum, default_value_t = TieBreak::Single)]
    pub tie_break: TieBreak,
    /// Scoring weights (TOML); see docs/scoring.md.
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// The budget of candidate pairs.
    #[command(flatten)]
    pub pairs: PairBudget,
    /// The result directory.
    #[command(flatten)]
    pub dir: ResultDir,
    /// Run one shard of a sharded comparison.
    #[command(flatten)]
    pub shard: ShardArgs,
}

/// Which shard of a sharded run to make (docs/scale-out.md).
#[derive(Args, Debug, Clone, Default)]
pub struct ShardArgs {
    /// Run only shard i of N (numbered from 0: 0/4 … 3/4) and write a part
    /// for `dualmatch merge`; `auto` reads SLURM_ARRAY_TASK_ID and
    /// SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX with --shards N.
    #[arg(long, value_name = "i/N|auto")]
    pub shard: Option<String>,
    /// The number of shards, for --shard auto in a Kubernetes Indexed Job
    /// (its completions); with Slurm it must equal SLURM_ARRAY_TASK_COUNT.
    #[arg(long, value_name = "N", requires = "shard", value_parser = clap::value_parser!(u64).range(1..))]
    pub shards: Option<u64>,
}

/// `dualmatch merge`.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The parts: the --out directories of every shard (or their part.json).
    #[arg(required = true)]
    pub parts: Vec<PathBuf>,
    /// Result directory.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Replace the result directory if it exists, but only a result that
    /// dualmatch wrote (as for `match --force`).
    #[arg(long)]
    pub force: bool,
}

/// `dualmatch diff`.
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The earlier result directory (of `dualmatch match`).
    pub before: PathBuf,
    /// The later result directory.
    pub after: PathBuf,
    /// List every school, also those without a change.
    #[arg(long)]
    pub all_schools: bool,
}

/// `dualmatch verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The season the result was made from.
    pub season: PathBuf,
    /// The result directory (of `dualmatch match`).
    pub result: PathBuf,
    /// The coordinator constraints the result was made under (TOML).
    #[arg(long, value_name = "FILE")]
    pub constraints: Option<PathBuf>,
    /// The scoring weights the result was made with (TOML).
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// The scored pairs the result was made from, if supplied.
    #[arg(long, value_name = "FILE")]
    pub candidates: Option<PathBuf>,
    /// The budget of candidate pairs.
    #[command(flatten)]
    pub pairs: PairBudget,
}

/// `dualmatch rematch`.
#[derive(Args, Debug)]
pub struct RematchArgs {
    /// The season (with any new learners added): a directory of CSV files, a
    /// JSON file or an .xlsx workbook.
    pub season: PathBuf,
    /// The result directory of the earlier run.
    #[arg(long, value_name = "DIR")]
    pub previous: PathBuf,
    /// The events since the earlier run (CSV).
    #[arg(long, value_name = "FILE")]
    pub changes: PathBuf,
    /// Maximise the number placed first (max-placed), instead of the total score.
    #[arg(long)]
    pub max_placed: bool,
    /// Let at most N learners whose placement is still valid move to another
    /// site when that raises the total score (they are never left unplaced).
    /// summary.json reports the moves made, the bound and the gap.
    #[arg(long, value_name = "N", conflicts_with = "max_placed")]
    pub allow_moves: Option<usize>,
    /// The label of this season in the outcomes.csv the result hands on
    /// (the agreements that ended; default: the season's file or directory name).
    #[arg(long, value_name = "TEXT")]
    pub season_label: Option<String>,
    /// Scoring weights (TOML); see docs/scoring.md.
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// The budget of candidate pairs.
    #[command(flatten)]
    pub pairs: PairBudget,
    /// The result directory.
    #[command(flatten)]
    pub dir: ResultDir,
    /// Extra result files.
    #[command(flatten)]
    pub files: ResultFiles,
}

/// `dualmatch template`.
#[derive(Args, Debug)]
pub struct TemplateArgs {
    /// The workbook to write (ending in .xlsx).
    #[arg(long, short, value_name = "FILE.xlsx")]
    pub out: PathBuf,
    /// Replace the workbook if it exists (only a file, never a directory).
    #[arg(long)]
    pub force: bool,
}

/// `dualmatch convert`.
#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// The season: a directory of CSV files, a JSON file or an .xlsx workbook.
    pub season: PathBuf,
    /// The workbook to write (ending in .xlsx).
    #[arg(long, short, value_name = "FILE.xlsx")]
    pub out: PathBuf,
    /// Replace the workbook if it exists (never a file of the season).
    #[arg(long)]
    pub force: bool,
}
