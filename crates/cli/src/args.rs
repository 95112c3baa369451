//! Command-line arguments (clap). Only this crate knows about clap; each
//! command turns its arguments into a validated configuration before any work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use dualmatch::{Policy, Solver};
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
recognitions, optional candidates) or one JSON file with the same tables.
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

Writes placements.csv, unplaced.csv (with the reason for each learner),
seat_values.csv (what one more seat would be worth) and summary.json (with the
proof of optimality). --xlsx adds results.xlsx: a sheet per CSV file and a
summary sheet. --by-school adds by-school/<school>/ with only that school's
learners. Exit code 1 when the constraints cannot all be met.")]
    Match(MatchArgs),
    /// Score every eligible learner–site pair (screening gates, then fit).
    #[command(after_help = "\
Examples:
  dualmatch score data/sample --out candidates.csv
  dualmatch score data/sample --weights weights.toml --out candidates.csv

Writes learner,workplace,programme,score, one column per component, and
distance_km. See docs/scoring.md for the gates, components and weights.")]
    Score(ScoreArgs),
    /// Show a learner's best candidates, each score's breakdown, and why other sites were rejected.
    #[command(after_help = "\
Examples:
  dualmatch explain data/sample --learner L000042
  dualmatch explain data/sample --learner L000042 --top 10 --weights weights.toml")]
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
Writes comparison.csv, comparison.json and report.html.")]
    Compare(CompareArgs),
    /// Who moved, who gained and who lost a placement between two results.
    #[command(after_help = "\
Examples:
  dualmatch diff results-before results-after
  dualmatch diff results-before results-after --all-schools")]
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

Writes the files of `match` and placement_changes.csv (every learner who
moved, gained or lost a placement); --xlsx and --by-school as for `match`.")]
    Rematch(RematchArgs),
    /// Write a season (CSV directory or JSON file) as an xlsx workbook.
    #[command(after_help = "\
Examples:
  dualmatch convert data/sample --out sample.xlsx
  dualmatch convert season.json --out season.xlsx --force

The workbook has one sheet per table (programmes, schools, learners,
workplaces, recognitions, and candidates when the season has them), with the
same header and columns as the CSV files; numbers are numeric cells. The
season is validated first: a season with errors is not converted.")]
    Convert(ConvertArgs),
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
    /// The season: a directory of CSV files or a JSON file.
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
}

/// `dualmatch match`.
#[derive(Args, Debug)]
pub struct MatchArgs {
    /// The season: a directory of CSV files or a JSON file.
    pub season: PathBuf,
    /// The allocation policy: max-fit and max-placed are exact (with a proof);
    /// fair-share, stable, stable-workplace, serial-dictatorship,
    /// random-serial, greedy, first-come and boston are the alternatives
    /// (docs/policies.md).
    #[arg(long, value_enum, default_value_t = Policy::MaxFit)]
    pub policy: Policy,
    /// Lottery seed for randomised policies.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Carry out swaps and cycles in which nobody loses, after the policy.
    #[arg(long)]
    pub improve: bool,
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
    /// The season: a directory of CSV files or a JSON file.
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
    /// The season: a directory of CSV files or a JSON file.
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
    /// One or more seasons.
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
    /// Carry out swaps and cycles in which nobody loses, after each policy.
    #[arg(long)]
    pub improve: bool,
    /// Scoring weights (TOML); see docs/scoring.md.
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// The budget of candidate pairs.
    #[command(flatten)]
    pub pairs: PairBudget,
    /// The result directory.
    #[command(flatten)]
    pub dir: ResultDir,
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

/// `dualmatch rematch`.
#[derive(Args, Debug)]
pub struct RematchArgs {
    /// The season (with any new learners added).
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

/// `dualmatch convert`.
#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// The season: a directory of CSV files or a JSON file.
    pub season: PathBuf,
    /// The workbook to write (ending in .xlsx).
    #[arg(long, short, value_name = "FILE.xlsx")]
    pub out: PathBuf,
    /// Replace the workbook if it exists (never a file of the season).
    #[arg(long)]
    pub force: bool,
}
