//! Allocation policies: the exact optimisers and the classic matching
//! mechanisms, behind one trait, plus Pareto improvement for learners.
//!
//! ```no_run
//! # use dualmatch_optimiser::{policies, PlacementModel};
//! # fn run(m: &PlacementModel) -> Result<(), dualmatch_optimiser::Infeasible> {
//! let policy = policies::by_name("stable").expect("known policy");
//! let a = policies::allocate(policy.as_ref(), m, 42, false)?;
//! assert!(a.check(m).is_ok());
//! # Ok(()) }
//! ```
//!
//! Every policy uses only usable arcs of the model (so `min_score` and
//! forbidden pairs hold), never exceeds seats, unreserved seats, site
//! capacity or school caps, and places pinned learners first at their pin.
//! `max-fit`, `max-placed` and `fair-share` meet every constraint of the
//! model, school floors and minimum group sizes (`[[site]]`) too, or report
//! [`Infeasible`]. The rank-profile policies meet school floors but not
//! minimum group sizes; the other policies guarantee neither:
//! [`check_supported`] refuses what a policy cannot guarantee, before any
//! work. So every result of a supported combination
//! passes [`Assignment::check`]. `stable` and `stable-workplace` keep school
//! caps as a school-level quota (stable under school caps; see
//! `da::with_school_caps`). Results are a deterministic function of the model
//! and the seed, whatever the number of threads. See `docs/policies.md`.

use dualmatch_core::text;
use dualmatch_core::LearnerId;

use crate::constraints::{self, ConstraintsFile};
use crate::infeasible::{Conflict, Infeasible};
use crate::model::{Assignment, Objective, PlacementModel};
use crate::network;
use crate::rank::{self, RankObjective};

mod da;
mod fair;
mod improve;
pub(crate) mod ledger;
mod policy;
pub mod prefs;
pub mod rng;
mod sic;
mod simple;
mod ttc;

pub(crate) use fair::eligible_pairs;
pub use improve::pareto_improve;
pub use policy::{Policy, UnknownPolicy};
pub use prefs::{Prefs, TieBreak, Ties};
pub use sic::stable_improve;

/// An allocation policy: turns a model (and a seed, for lotteries) into an
/// assignment.
pub trait AllocationPolicy: Sync {
    /// The policy's name, as in [`ALL`] and on the command line.
    fn name(&self) -> &'static str;
    /// Whether the result depends on the seed (a lottery is drawn).
    fn randomised(&self) -> bool;
    /// Allocates. Fails only when the model's constraints cannot be met
    /// (for the exact policies) or the pins do not fit.
    fn allocate(&self, m: &PlacementModel, seed: u64) -> Result<Assignment, Infeasible>;
    /// Whether the result meets school floors (`[[school]] min`) whenever
    /// they can be met. Only the exact policies do; see [`check_supported`].
    fn meets_floors(&self) -> bool {
        false
    }
    /// Whether the result meets minimum group sizes (`[[site]]`) whenever
    /// they can be met: the policies that meet floors, except the
    /// rank-profile ones (solved by network phases, which do not model
    /// group sizes); see [`check_supported`].
    fn meets_group_sizes(&self) -> bool {
        self.meets_floors()
    }
    /// Whether the result keeps short lines (`[[school]] max_sites`,
    /// `new_site_penalty`, [`crate::short_lines`]): only `max-fit` and
    /// `max-placed`, which solve them as a mixed-integer model; see
    /// [`check_supported`].
    fn meets_short_lines(&self) -> bool {
        false
    }
    /// Whether the result keeps mentors (`mentors.csv`: every learner at a
    /// site with mentors has one who can guide them, within workload) and
    /// rhythms (seats and capacities day by day). The exact objectives do;
    /// the policies built on the running counts of seats (`stable`, the
    /// serial and greedy ones, `boston`, `ttc`) do, choosing each learner's
    /// mentor when they are placed; [`allocate_with`] refuses the others,
    /// and any improvement afterwards, on such a season.
    fn meets_mentors(&self) -> bool {
        false
    }
    /// Allocates with the workplaces' ties broken as `tie_break` says. Only
    /// the deferred-acceptance policies (`stable`, `stable-workplace`) offer
    /// multiple tie-breaking; the others draw one lottery whatever it says.
    fn allocate_tied(&self, m: &PlacementModel, seed: u64, tie_break: TieBreak) -> Result<Assignment, Infeasible> {
        let _ = tie_break;
        self.allocate(m, seed)
    }
}

/// What is done after the policy (`--improve`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Improve {
    /// Nothing.
    #[default]
    None,
    /// Pareto improvement for learners ([`pareto_improve`]): trades in which
    /// nobody loses, stability not kept.
    Pareto,
    /// Stable improvement cycles ([`stable_improve`]): stays stable, weakly
    /// better for every learner. Meant after `stable` (see docs/policies.md).
    Sic,
}

impl Improve {
    /// The name on the command line and in `summary.json`.
    pub fn name(self) -> &'static str {
        match self {
            Improve::None => "none",
            Improve::Pareto => "pareto",
            Improve::Sic => "sic",
        }
    }
}

/// A lottery: the seed and how the workplaces' ties are broken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Lottery {
    /// The seed.
    pub seed: u64,
    /// Single or multiple tie-breaking.
    pub tie_break: TieBreak,
}

/// The policies that meet school floors, as a user would name them.
const FLOOR_POLICIES: &str =
    "max-fit, max-placed, fair-share, rank-maximal, max-size-min-cost, greedy-max or generous-max";

/// The policies that meet minimum group sizes, as a user would name them.
const GROUP_POLICIES: &str = "max-fit, max-placed or fair-share";

/// A school floor (`[[school]]` with `min` above 0) in a constraints file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Floor {
    /// The constraints file, as named by the user.
    pub file: String,
    /// 1-based line of the entry's `school` key.
    pub line: usize,
    /// School id, as written.
    pub school: String,
    /// Programme id, as written.
    pub programme: String,
    /// The floor.
    pub min: u32,
}

/// A minimum group size (`[[site]]`) in a constraints file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteFloor {
    /// The constraints file, as named by the user.
    pub file: String,
    /// 1-based line of the entry's `workplace` key.
    pub line: usize,
    /// Workplace id, as written.
    pub workplace: String,
    /// The minimum.
    pub min: u32,
    /// Whether the site may stay empty.
    pub allow_empty: bool,
}

/// A policy asked to meet school floors or minimum group sizes, which it
/// cannot guarantee (only `max-fit`, `max-placed` and `fair-share` meet
/// both; the rank-profile policies meet school floors only).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct Unsupported {
    /// The policy's name.
    pub policy: &'static str,
    /// Every school floor in the file, in file order (empty when the
    /// policy meets floors).
    pub floors: Vec<Floor>,
    /// Every minimum group size (`[[site]]`) in the file, in file order
    /// (empty when the policy meets them).
    pub sites: Vec<SiteFloor>,
    /// Every short-lines key (`max_sites`, `new_site_penalty`) in the file,
    /// in file order (empty when the policy keeps them).
    pub short_lines: Vec<ShortLineKey>,
}

/// A short-lines key (`max_sites` or `new_site_penalty`) in a constraints
/// file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShortLineKey {
    /// The constraints file, as named by the user.
    pub file: String,
    /// 1-based line of the key.
    pub line: usize,
    /// The key.
    pub key: &'static str,
}

/// The policies that keep short lines, as a user would name them.
const SHORT_LINE_POLICIES: &str = "max-fit or max-placed";

impl Unsupported {
    fn message(&self) -> String {
        let more = |k: usize, what: &str| match k {
            0 => String::new(),
            k => format!(" (and {k} more {what})"),
        };
        if let Some(f) = self.floors.first() {
            format!(
                "policy {} cannot guarantee school floors, but {}:{} sets min = {} for school {} in programme {}{}; \
                 use --policy {FLOOR_POLICIES}, which meet floors, or remove `min` from the [[school]] entries",
                self.policy,
                f.file,
                f.line,
                f.min,
                text::quote(&f.school),
                text::quote(&f.programme),
                more(self.floors.len() - 1 + self.sites.len(), "floor(s) or minimum group size(s)"),
            )
        } else if self.sites.is_empty() {
            let f = &self.short_lines[0];
            format!(
                "policy {} cannot keep short lines, but {}:{} sets {}{}; use --policy {SHORT_LINE_POLICIES}, \
                 which solve them exactly, or remove max_sites and new_site_penalty",
                self.policy,
                f.file,
                f.line,
                f.key,
                more(self.short_lines.len() - 1, "short-lines key(s)"),
            )
        } else {
            let f = &self.sites[0];
            format!(
                "policy {} cannot guarantee minimum group sizes, but {}:{} sets min = {} for site {}{}; \
                 use --policy {GROUP_POLICIES}, which meet them, or remove the [[site]] entries",
                self.policy,
                f.file,
                f.line,
                f.min,
                text::quote(&f.workplace),
                more(self.sites.len() - 1, "minimum group size(s)"),
            )
        }
    }
}

/// Whether `policy` goes with the constraints file `text` (named `file` in
/// the message): a policy that does not [meet floors](AllocationPolicy::meets_floors)
/// is refused when the file sets a school floor, one that does not [meet
/// group sizes](AllocationPolicy::meets_group_sizes) when it sets a minimum
/// group size (`[[site]]`, either form). Every other constraint is honoured by every
/// policy (see the module documentation). Reads only the file, so it can
/// run before the season is loaded; a file that does not parse is let
/// through here (`Constraints::parse` reports it, with the line).
pub fn check_supported(policy: &dyn AllocationPolicy, text: &str, file: &str) -> Result<(), Unsupported> {
    if policy.meets_floors() && policy.meets_group_sizes() && policy.meets_short_lines() {
        return Ok(());
    }
    let Ok(raw) = ConstraintsFile::parse(text, file) else { return Ok(()) };
    let floors: Vec<Floor> = raw
        .school
        .iter()
        .filter(|_| !policy.meets_floors())
        .filter_map(|r| {
            let programme = r.programme.as_ref()?;
            r.min.filter(|&min| min > 0).map(|min| Floor {
                file: file.to_string(),
                line: constraints::line_of(text, r.school.span()),
                school: r.school.get_ref().clone(),
                programme: programme.get_ref().clone(),
                min,
            })
        })
        .collect();
    let sites: Vec<SiteFloor> = raw
        .site
        .iter()
        .filter(|_| !policy.meets_group_sizes())
        .map(|r| SiteFloor {
            file: file.to_string(),
            line: constraints::line_of(text, r.workplace.span()),
            workplace: r.workplace.get_ref().clone(),
            min: r.min,
            allow_empty: r.allow_empty,
        })
        .collect();
    let short_lines = match policy.meets_short_lines() {
        true => Vec::new(),
        false => crate::short_lines::keys(&raw, text, file),
    };
    if floors.is_empty() && sites.is_empty() && short_lines.is_empty() {
        Ok(())
    } else {
        Err(Unsupported { policy: policy.name(), floors, sites, short_lines })
    }
}

/// Every policy name, in a stable order.
pub const ALL: &[&str] = &[
    "max-fit",
    "max-placed",
    "fair-share",
    "stable",
    "stable-workplace",
    "serial-dictatorship",
    "random-serial",
    "greedy",
    "first-come",
    "boston",
    "rank-maximal",
    "max-size-min-cost",
    "greedy-max",
    "generous-max",
    "ttc",
];

/// The policy called `name` (see [`ALL`]).
pub fn by_name(name: &str) -> Option<Box<dyn AllocationPolicy>> {
    let p: Box<dyn AllocationPolicy> = match name {
        "max-fit" => Box::new(Exact(Objective::MaxFit)),
        "max-placed" => Box::new(Exact(Objective::MaxPlaced)),
        "fair-share" => Box::new(FairShare),
        "stable" => Box::new(Stable { ties: None }),
        "stable-workplace" => Box::new(StableWorkplace),
        "serial-dictatorship" => Box::new(SerialDictatorship),
        "random-serial" => Box::new(RandomSerial),
        "greedy" => Box::new(Greedy),
        "first-come" => Box::new(FirstCome),
        "boston" => Box::new(Boston),
        "rank-maximal" => Box::new(RankProfile(RankObjective::RankMaximal)),
        "max-size-min-cost" => Box::new(RankProfile(RankObjective::MaxSizeMinCost)),
        "greedy-max" => Box::new(RankProfile(RankObjective::GreedyMax)),
        "generous-max" => Box::new(RankProfile(RankObjective::GenerousMax)),
        "ttc" => Box::new(Ttc),
        _ => return None,
    };
    Some(p)
}

/// Runs `policy` with `seed`; with `improve`, then applies
/// [`pareto_improve`] (nobody loses; see its documentation).
pub fn allocate(
    policy: &dyn AllocationPolicy,
    m: &PlacementModel,
    seed: u64,
    improve: bool,
) -> Result<Assignment, Infeasible> {
    let improve = if improve { Improve::Pareto } else { Improve::None };
    allocate_with(policy, m, Lottery { seed, tie_break: TieBreak::Single }, improve)
}

/// The names of the policies that [meet mentors and
/// rhythms](AllocationPolicy::meets_mentors), comma-separated, in [`ALL`] order.
pub fn mentor_policies() -> String {
    ALL.iter().filter(|n| by_name(n).is_some_and(|p| p.meets_mentors())).copied().collect::<Vec<_>>().join(", ")
}

/// Runs `policy` with the lottery `draw`, then the improvement `improve`.
/// Stable improvement cycles keep a stable input stable; on the result of a
/// policy that is not stable they still only make learners better off.
pub fn allocate_with(
    policy: &dyn AllocationPolicy,
    m: &PlacementModel,
    draw: Lottery,
    improve: Improve,
) -> Result<Assignment, Infeasible> {
    let s = m.season;
    if (s.has_rhythms() || !s.mentors().is_empty()) && !(policy.meets_mentors() && improve == Improve::None) {
        let what = if improve == Improve::None { format!("policy {}", policy.name()) } else { "--improve".into() };
        return Err(Infeasible {
            conflicts: vec![Conflict::Unsupported(format!(
                "{what} does not honour mentors (mentors.csv) or rhythms; the policies that do: {}, without --improve",
                mentor_policies()
            ))],
        });
    }
    let a = policy.allocate_tied(m, draw.seed, draw.tie_break)?;
    Ok(match improve {
        Improve::None => a,
        Improve::Pareto => pareto_improve(m, &Prefs::new(m, Ties::Lottery(draw.seed)), &a),
        Improve::Sic => stable_improve(m, &Prefs::new(m, Ties::ById), &a),
    })
}

/// The arc of learner `l` that uses candidate `c`, if usable.
pub(crate) fn arc_of(m: &PlacementModel, l: LearnerId, c: usize) -> Option<usize> {
    m.arcs_of(l).find(|&a| m.arc_candidate(a) == c)
}

/// The conflict behind pins that do not fit (from the exact solver).
pub(crate) fn pins_infeasible(m: &PlacementModel) -> Infeasible {
    match network::solve(m, Objective::MaxFit) {
        Err(e) => e,
        Ok(_) => Infeasible { conflicts: Vec::new() },
    }
}

/// `max-fit` and `max-placed`: the exact min-cost-flow optimum.
#[derive(Clone, Copy, Debug)]
pub struct Exact(pub Objective);

impl AllocationPolicy for Exact {
    fn meets_mentors(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn randomised(&self) -> bool {
        false
    }
    fn allocate(&self, m: &PlacementModel, _seed: u64) -> Result<Assignment, Infeasible> {
        network::solve(m, self.0).map(|s| s.assignment)
    }
    fn meets_floors(&self) -> bool {
        true
    }
    fn meets_short_lines(&self) -> bool {
        true
    }
}

/// `fair-share`: the highest lowest placement rate of any (school,
/// programme), then the highest total score; exact.
#[derive(Clone, Copy, Debug)]
pub struct FairShare;

impl AllocationPolicy for FairShare {
    fn name(&self) -> &'static str {
        "fair-share"
    }
    fn randomised(&self) -> bool {
        false
    }
    fn allocate(&self, m: &PlacementModel, _seed: u64) -> Result<Assignment, Infeasible> {
        fair::fair_share(m)
    }
    fn meets_floors(&self) -> bool {
        true
    }
}

/// `stable`: learner-proposing deferred acceptance (learner-optimal stable;
/// with school caps, stable under them: `da::with_school_caps`).
#[derive(Clone, Copy, Debug)]
pub struct Stable {
    /// Tie-breaking; `None`: the seed's lottery. `Some(Ties::ById)` is the
    /// anchors' reference reading.
    pub ties: Option<Ties>,
}

impl AllocationPolicy for Stable {
    fn meets_mentors(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "stable"
    }
    fn randomised(&self) -> bool {
        self.ties.is_none()
    }
    fn allocate(&self, m: &PlacementModel, seed: u64) -> Result<Assignment, Infeasible> {
        self.allocate_tied(m, seed, TieBreak::Single)
    }
    fn allocate_tied(&self, m: &PlacementModel, seed: u64, tie_break: TieBreak) -> Result<Assignment, Infeasible> {
        let ties = self.ties.unwrap_or(Ties::lottery(seed, tie_break));
        da::with_school_caps(m, &Prefs::new(m, ties), ties, da::learner_proposing)
    }
}

/// `stable-workplace`: workplace-proposing deferred acceptance (with school
/// caps, as `stable`: `da::with_school_caps`).
#[derive(Clone, Copy, Debug)]
pub struct StableWorkplace;

impl AllocationPolicy for StableWorkplace {
    fn name(&self) -> &'static str {
        "stable-workplace"
    }
    fn randomised(&self) -> bool {
        true
    }
    fn allocate(&self, m: &PlacementModel, seed: u64) -> Result<Assignment, Infeasible> {
        self.allocate_tied(m, seed, TieBreak::Single)
    }
    fn allocate_tied(&self, m: &PlacementModel, seed: u64, tie_break: TieBreak) -> Result<Assignment, Infeasible> {
        let ties = Ties::lottery(seed, tie_break);
        da::with_school_caps(m, &Prefs::new(m, ties), ties, da::workplace_proposing)
    }
}

/// `serial-dictatorship`: learners by readiness (highest first, ties by
/// lottery) each take their best remaining acceptable arc.
#[derive(Clone, Copy, Debug)]
pub struct SerialDictatorship;

impl AllocationPolicy for SerialDictatorship {
    fn meets_mentors(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "serial-dictatorship"
    }
    fn randomised(&self) -> bool {
        true
    }
    fn allocate(&self, m: &PlacementModel, seed: u64) -> Result<Assignment, Infeasible> {
        simple::serial_dictatorship(m, &Prefs::new(m, Ties::Lottery(seed)), seed)
    }
}

/// `random-serial`: learners in lottery order each take their best remaining
/// acceptable arc.
#[derive(Clone, Copy, Debug)]
pub struct RandomSerial;

impl AllocationPolicy for RandomSerial {
    fn meets_mentors(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "random-serial"
    }
    fn randomised(&self) -> bool {
        true
    }
    fn allocate(&self, m: &PlacementModel, seed: u64) -> Result<Assignment, Infeasible> {
        simple::random_serial(m, &Prefs::new(m, Ties::Lottery(seed)), seed)
    }
}

/// `greedy`: highest-scoring usable pair first.
#[derive(Clone, Copy, Debug)]
pub struct Greedy;

impl AllocationPolicy for Greedy {
    fn meets_mentors(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "greedy"
    }
    fn randomised(&self) -> bool {
        true
    }
    fn allocate(&self, m: &PlacementModel, seed: u64) -> Result<Assignment, Infeasible> {
        simple::greedy(m, seed)
    }
}

/// `first-come`: the status quo; schools in lottery order place their
/// learners on the best remaining sites by score.
#[derive(Clone, Copy, Debug)]
pub struct FirstCome;

impl AllocationPolicy for FirstCome {
    fn meets_mentors(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "first-come"
    }
    fn randomised(&self) -> bool {
        true
    }
    fn allocate(&self, m: &PlacementModel, seed: u64) -> Result<Assignment, Infeasible> {
        simple::first_come(m, seed)
    }
}

/// `boston`: immediate acceptance by rounds of the learners' lists.
#[derive(Clone, Copy, Debug)]
pub struct Boston;

impl AllocationPolicy for Boston {
    fn meets_mentors(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "boston"
    }
    fn randomised(&self) -> bool {
        true
    }
    fn allocate(&self, m: &PlacementModel, seed: u64) -> Result<Assignment, Infeasible> {
        simple::boston(m, &Prefs::new(m, Ties::Lottery(seed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_resolves_to_itself() {
        for name in ALL {
            assert_eq!(by_name(name).expect(name).name(), *name);
        }
        assert!(by_name("nope").is_none());
    }
}

/// The rank-profile policies (`rank-maximal`, `max-size-min-cost`,
/// `greedy-max`, `generous-max`): exact, by network phases ([`crate::rank`]).
#[derive(Clone, Copy, Debug)]
pub struct RankProfile(pub RankObjective);

impl AllocationPolicy for RankProfile {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn randomised(&self) -> bool {
        false
    }
    fn allocate(&self, m: &PlacementModel, _seed: u64) -> Result<Assignment, Infeasible> {
        rank::solve(m, self.0).map(|s| s.assignment)
    }
    fn meets_floors(&self) -> bool {
        true
    }
    fn meets_group_sizes(&self) -> bool {
        false
    }
}

/// `ttc`: top trading cycles, learners holding the workplaces' priorities.
#[derive(Clone, Copy, Debug)]
pub struct Ttc;

impl AllocationPolicy for Ttc {
    fn meets_mentors(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "ttc"
    }
    fn randomised(&self) -> bool {
        true
    }
    fn allocate(&self, m: &PlacementModel, seed: u64) -> Result<Assignment, Infeasible> {
        ttc::ttc(m, &Prefs::new(m, Ties::Lottery(seed)))
    }
}
