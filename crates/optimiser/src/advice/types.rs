//! The results of the advice: seat values, the waiting list, and the errors.

use dualmatch_core::{GroupId, LearnerId};

/// Why advice could not be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdviceError {
    /// The result has no duals: advice needs a max-fit optimum.
    #[error("advice needs a max-fit result (the objective with seat duals)")]
    NotMaxFit,
    /// The residual network has a negative cycle, or a placement is not a
    /// usable pair: the assignment is not a max-fit optimum of this model.
    #[error("the assignment is not a max-fit optimum of this model")]
    NotOptimal,
}

/// One learner's change in a chain of moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Move {
    /// Who moves.
    pub learner: LearnerId,
    /// Where they are now (`None`: unplaced).
    pub from: Option<GroupId>,
    /// Where they go (`None`: they lose their place).
    pub to: Option<GroupId>,
}

/// The exact value of an extra resource and who would use it best.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Use {
    /// Gain of the optimum, in integer weights (score × 10⁶); 0 when the
    /// extra resource would not be used.
    pub gain: i64,
    /// A learner who takes the extra seat in a best re-match, with the chain
    /// of moves it sets off, ending with that learner's own move; `None`
    /// when `gain` is 0. Among equally good learners entering from `T` the
    /// smallest id; the choice is deterministic.
    pub taker: Option<(LearnerId, Vec<Move>)>,
}

impl Use {
    pub(super) const NONE: Use = Use { gain: 0, taker: None };
}

/// What a recognition needs so that an extra seat there pays off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Needs {
    /// One more seat.
    Seat,
    /// One more seat and one more unit of the site's capacity.
    SeatAndCapacity,
    /// One more unit of the site's capacity alone (another recognition of the
    /// site has free seats that someone would use).
    Capacity,
}

impl Needs {
    /// The name written in the output files.
    pub fn name(self) -> &'static str {
        match self {
            Needs::Seat => "seat",
            Needs::SeatAndCapacity => "seat+capacity",
            Needs::Capacity => "capacity",
        }
    }
}

/// Advice for one recognition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatAdvice {
    /// Whether the value was computed: `false` for a recognition with 0 seats
    /// or at a site with capacity 0 (no pair there was scored).
    pub evaluated: bool,
    /// One more seat (exact).
    pub seat: Use,
    /// One more seat and one more unit of the site's capacity (exact);
    /// `None` unless the site's capacity is full.
    pub with_capacity: Option<Use>,
    /// Whether `with_capacity` is reached by the capacity alone (the taker
    /// goes to another recognition of the site, which has free seats).
    pub capacity_alone: bool,
    /// Unplaced learners with a usable pair here.
    pub unplaced_in_reach: u32,
    /// Unplaced learners whom the best use of what [`SeatAdvice::needs`]
    /// names places here, exactly (in some optimal re-match).
    pub could_place: u32,
}

impl SeatAdvice {
    /// What pays off here and its exact value, `None` when nothing does: the
    /// seat alone when it is worth as much as seat and capacity together.
    pub fn needs(&self) -> Option<(Needs, &Use)> {
        let best = match &self.with_capacity {
            Some(j) if j.gain > self.seat.gain => {
                (if self.capacity_alone { Needs::Capacity } else { Needs::SeatAndCapacity }, j)
            }
            _ => (Needs::Seat, &self.seat),
        };
        (best.1.gain > 0).then_some(best)
    }
}

/// Why a waiting-list option is the way it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BestUse {
    /// Placing this learner is a best use of the extra seat: in some optimal
    /// re-match with the extra seat, this learner is placed here.
    ThisLearner,
    /// Another learner's placement (the chain starting with them) gains more.
    Other(LearnerId),
    /// Another learner's placement gains the full value; this learner's gain
    /// is only bounded (see [`WaitOption::gain_at_most`]), so whether placing
    /// them is also a best use is not determined.
    Undetermined(LearnerId),
}

/// One recognition where an extra seat would place an unplaced learner.
#[derive(Clone, Debug, PartialEq)]
pub struct WaitOption {
    /// The recognition.
    pub group: GroupId,
    /// The learner's score there.
    pub score: f64,
    /// What must be added: [`Needs::Seat`] or [`Needs::SeatAndCapacity`].
    pub needs: Needs,
    /// Exact gain of the optimum (integer weights) when that is added and
    /// this learner is placed here, everyone else re-matched optimally; a
    /// lower bound when it differs from `gain_at_most`.
    pub gain: i64,
    /// An upper bound on that gain: equal to `gain` except for a learner of
    /// the priority group this recognition reserves seats for (they might
    /// take a reserved seat and leave the extra, unreserved one to someone
    /// else); then the value of what is added.
    pub gain_at_most: i64,
    /// The exact value of what is added (its best use).
    pub value: i64,
    /// Whether this learner is the best use.
    pub best_use: BestUse,
    /// Who else has to move or lose their place for `gain` (empty: nobody).
    pub gives_way: Vec<Move>,
}

impl WaitOption {
    /// Whether `gain` is exact.
    pub fn is_exact(&self) -> bool {
        self.gain == self.gain_at_most
    }
}

/// The waiting-list entries of one unplaced learner.
#[derive(Clone, Debug, PartialEq)]
pub struct WaitEntry {
    /// The learner.
    pub learner: LearnerId,
    /// Best options first (highest gain, then seat before seat and
    /// capacity, then recognition).
    pub options: Vec<WaitOption>,
}

/// Counters describing the computation (no wall time, so results compare).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Nodes of the residual network.
    pub nodes: usize,
    /// Potential corrections needed after the dual start.
    pub relabels: u64,
    /// Groups of full sites whose value needed a look at chains that pass
    /// capacity between the groups of the site (a bounded tree each, unless
    /// a bound settled it at once).
    pub site_trees: usize,
    /// Seat values at full sites reached by a chain that does not pass `T`.
    pub off_t: usize,
    /// Nodes settled over all shortest-path trees.
    pub settled: u64,
}

/// The advice for a whole season.
#[derive(Clone, Debug, PartialEq)]
pub struct Advice {
    /// Per recognition ([`GroupId`] index).
    pub seats: Vec<SeatAdvice>,
    /// Unplaced learners with at least one option, in learner order.
    pub waitlist: Vec<WaitEntry>,
    /// How much work it took.
    pub stats: Stats,
}

/// Options of [`compute_with`](super::compute_with).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Waiting-list options kept per learner.
    pub top: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { top: 3 }
    }
}
