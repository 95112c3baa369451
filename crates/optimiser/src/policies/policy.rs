//! [`Policy`]: every allocation policy as a value, parsed from and shown as
//! its command-line name.

use std::fmt;
use std::str::FromStr;

use crate::model::Objective;

use super::{AllocationPolicy, Boston, Exact, FairShare, FirstCome, Greedy, RandomSerial, SerialDictatorship, Stable};
use super::{RankProfile, StableWorkplace, Ttc, ALL};
use crate::rank::RankObjective;

/// An allocation policy. `FromStr` and `Display` use the names of [`ALL`]
/// (`max-fit`, `stable`, …); with the `clap` feature it is a `ValueEnum`.
///
/// ```
/// use dualmatch_optimiser::policies::Policy;
/// let p: Policy = "stable".parse().unwrap();
/// assert_eq!(p, Policy::Stable);
/// assert_eq!(p.to_string(), "stable");
/// assert!(p.randomised() && p.objective().is_none());
/// assert!("lottery-ish".parse::<Policy>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Policy {
    /// The highest total fit score (exact, with a proof).
    MaxFit,
    /// The most learners placed, then the highest total score (exact, with a proof).
    MaxPlaced,
    /// The highest lowest placement rate of any (school, programme), then the highest total score (exact).
    FairShare,
    /// Learner-proposing deferred acceptance (learner-optimal stable).
    Stable,
    /// Workplace-proposing deferred acceptance.
    StableWorkplace,
    /// Learners by readiness take their best remaining site.
    SerialDictatorship,
    /// Learners in lottery order take their best remaining site.
    RandomSerial,
    /// The highest-scoring usable pair first.
    Greedy,
    /// Schools in lottery order place their learners on the best remaining sites.
    FirstCome,
    /// Immediate acceptance by rounds of the learners' lists.
    Boston,
    /// Most learners at rank 1, then at rank 2, … (exact, with a proof).
    RankMaximal,
    /// The most learners placed, then the smallest sum of ranks (exact).
    MaxSizeMinCost,
    /// The most placed, then the greedy rank profile (exact).
    GreedyMax,
    /// The most placed, then the fewest at the worst rank, the next worst, … (exact).
    GenerousMax,
    /// Top trading cycles, learners holding the workplaces' priorities.
    Ttc,
}

/// A policy name that is not one of [`ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown policy {name:?}; choose from {all}", name = .0, all = ALL.join(", "))]
pub struct UnknownPolicy(pub String);

impl Policy {
    /// Every policy, in the order of [`ALL`].
    pub const ALL: [Policy; 15] = [
        Policy::MaxFit,
        Policy::MaxPlaced,
        Policy::FairShare,
        Policy::Stable,
        Policy::StableWorkplace,
        Policy::SerialDictatorship,
        Policy::RandomSerial,
        Policy::Greedy,
        Policy::FirstCome,
        Policy::Boston,
        Policy::RankMaximal,
        Policy::MaxSizeMinCost,
        Policy::GreedyMax,
        Policy::GenerousMax,
        Policy::Ttc,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        ALL[self as usize]
    }

    /// Whether the policy follows the learners' own lists (the stable
    /// reading, docs/policies.md), so that an unplaced learner's reason
    /// names their list ([`crate::unplaced::reasons_for`]).
    pub fn uses_lists(self) -> bool {
        matches!(
            self,
            Policy::Stable
                | Policy::StableWorkplace
                | Policy::SerialDictatorship
                | Policy::RandomSerial
                | Policy::FirstCome
                | Policy::Boston
        )
    }

    /// The exact objective for `max-fit` and `max-placed`, which come with a
    /// proof and seat values; `None` for the other policies.
    pub fn objective(self) -> Option<Objective> {
        match self {
            Policy::MaxFit => Some(Objective::MaxFit),
            Policy::MaxPlaced => Some(Objective::MaxPlaced),
            _ => None,
        }
    }

    /// The rank-profile objective of `rank-maximal`, `max-size-min-cost`,
    /// `greedy-max` and `generous-max` (exact, with a proof by phases);
    /// `None` for the other policies.
    pub fn rank_objective(self) -> Option<RankObjective> {
        match self {
            Policy::RankMaximal => Some(RankObjective::RankMaximal),
            Policy::MaxSizeMinCost => Some(RankObjective::MaxSizeMinCost),
            Policy::GreedyMax => Some(RankObjective::GreedyMax),
            Policy::GenerousMax => Some(RankObjective::GenerousMax),
            _ => None,
        }
    }

    /// Whether `--tie-break multiple` changes this policy (the deferred-acceptance policies).
    pub fn tie_breaks(self) -> bool {
        matches!(self, Policy::Stable | Policy::StableWorkplace)
    }

    /// Whether the result depends on the seed (a lottery is drawn).
    pub fn randomised(self) -> bool {
        self.implementation().randomised()
    }

    /// The implementation behind the [`AllocationPolicy`] trait.
    pub fn implementation(self) -> Box<dyn AllocationPolicy> {
        match self {
            Policy::MaxFit => Box::new(Exact(Objective::MaxFit)),
            Policy::MaxPlaced => Box::new(Exact(Objective::MaxPlaced)),
            Policy::FairShare => Box::new(FairShare),
            Policy::Stable => Box::new(Stable { ties: None }),
            Policy::StableWorkplace => Box::new(StableWorkplace),
            Policy::SerialDictatorship => Box::new(SerialDictatorship),
            Policy::RandomSerial => Box::new(RandomSerial),
            Policy::Greedy => Box::new(Greedy),
            Policy::FirstCome => Box::new(FirstCome),
            Policy::Boston => Box::new(Boston),
            Policy::Ttc => Box::new(Ttc),
            p => Box::new(RankProfile(p.rank_objective().expect("a rank-profile policy"))),
        }
    }

    /// Parses a comma-separated list of names, where `all` stands for every
    /// policy; duplicates are dropped, the first mention keeps its place.
    pub fn parse_list(list: &str) -> Result<Vec<Policy>, UnknownPolicy> {
        let mut out: Vec<Policy> = Vec::new();
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let names: Vec<Policy> = if name == "all" { Policy::ALL.to_vec() } else { vec![name.parse()?] };
            for p in names {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        Ok(out)
    }
}

impl FromStr for Policy {
    type Err = UnknownPolicy;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Policy::ALL.into_iter().find(|p| p.name() == s).ok_or_else(|| UnknownPolicy(s.to_string()))
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_implementations() {
        for (i, p) in Policy::ALL.into_iter().enumerate() {
            assert_eq!(p.name(), ALL[i]);
            assert_eq!(p.to_string().parse::<Policy>(), Ok(p));
            assert_eq!(p.implementation().name(), p.name());
        }
        assert_eq!("nope".parse::<Policy>(), Err(UnknownPolicy("nope".into())));
    }

    #[test]
    fn lists_expand_all_and_drop_duplicates() {
        assert_eq!(Policy::parse_list("stable, max-fit,stable,").unwrap(), vec![Policy::Stable, Policy::MaxFit]);
        assert_eq!(Policy::parse_list("greedy,all").unwrap().len(), Policy::ALL.len());
        assert_eq!(Policy::parse_list("greedy,all").unwrap()[0], Policy::Greedy);
        assert!(Policy::parse_list("max-fit,bogus").is_err());
        assert!(Policy::parse_list("").unwrap().is_empty());
    }
}
