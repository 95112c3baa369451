//! The placement model: every constraint of a season's assignment problem in
//! one place, built from a season, scored candidates and coordinator
//! constraints. Solvers ([`crate::network`], [`crate::lp`]) read only this.

use dualmatch_core::csr::{Csr, CsrBuilder};
use dualmatch_core::ids::PriorityGroupId;
use dualmatch_core::scoring::Candidates;
use dualmatch_core::season::Screening;
use dualmatch_core::{CandidateId, GroupId, LearnerId, Season, WorkplaceId};

use crate::constraints::Constraints;
use crate::infeasible::{Conflict, Infeasible};

/// What to optimise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Objective {
    /// Maximise the total score.
    MaxFit,
    /// Maximise the number placed, then the total score (exactly lexicographic).
    MaxPlaced,
}

impl Objective {
    /// The name used on the command line and in `summary.json`.
    pub fn name(self) -> &'static str {
        match self {
            Objective::MaxFit => "max-fit",
            Objective::MaxPlaced => "max-placed",
        }
    }
}

/// Scores are turned into integer weights `round(score * WEIGHT_SCALE)` for
/// the exact network solver (the anchors use the same scale). The optimum is
/// exact for the rounded scores; against the unrounded ones it is within
/// `0.5 / WEIGHT_SCALE` per placed learner.
pub const WEIGHT_SCALE: f64 = 1e6;

/// The integer weight of a score.
pub fn weight(score: f64) -> i64 {
    round_i64(score * WEIGHT_SCALE)
}

/// `x.round() as i64` (halves away from zero; saturating; NaN gives 0),
/// without the call into the maths library that `f64::round` is on the
/// baseline x86-64 target: the network build and the advice weigh every
/// arc (29M on a national season). `x as i64` truncates; the fraction left,
/// `x − trunc(x)`, is exact in floating point. Without branches on the
/// fraction: scores are as likely to round up as down, so a branch would be
/// mispredicted on every other arc.
#[inline]
fn round_i64(x: f64) -> i64 {
    let t = x as i64;
    let frac = x - t as f64;
    t.saturating_add(i64::from(frac >= 0.5) - i64::from(frac <= -0.5))
}

/// A usable arc of a [`PlacementModel`]: an index into the model's arcs,
/// which are grouped by learner (see [`PlacementModel::arcs`]). Not a
/// [`CandidateId`]: [`PlacementModel::candidate_of`] gives the candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModelArc(pub u32);

impl ModelArc {
    /// The arc as an index into per-arc arrays (`0..arc_count()`).
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The arc at `index`.
    #[inline]
    pub fn from_index(index: usize) -> Self {
        ModelArc(u32::try_from(index).expect("more than u32::MAX arcs"))
    }
}

/// The usable arcs of one learner, in order (an iterator of [`ModelArc`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arcs {
    next: u32,
    end: u32,
}

impl Arcs {
    /// Whether the learner has no usable arc.
    pub fn is_empty(&self) -> bool {
        self.next == self.end
    }

    /// Whether `a` is one of these arcs.
    pub fn contains(&self, a: ModelArc) -> bool {
        (self.next..self.end).contains(&a.0)
    }
}

impl Iterator for Arcs {
    type Item = ModelArc;

    #[inline]
    fn next(&mut self) -> Option<ModelArc> {
        (self.next < self.end).then(|| {
            self.next += 1;
            ModelArc(self.next - 1)
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = (self.end - self.next) as usize;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Arcs {
    #[inline]
    fn next_back(&mut self) -> Option<ModelArc> {
        (self.next < self.end).then(|| {
            self.end -= 1;
            ModelArc(self.end)
        })
    }
}

impl ExactSizeIterator for Arcs {}

/// The assignment problem of one season.
///
/// Arcs ([`ModelArc`]) are the usable candidate pairs, grouped by learner
/// (CSR): a pair is usable when the learner passed screening, the score is at
/// least the minimum score and the pair is not forbidden.
#[derive(Debug)]
pub struct PlacementModel<'a> {
    /// The season.
    pub season: &'a Season,
    /// The scored candidates the arcs index into.
    pub candidates: &'a Candidates,
    /// The coordinator constraints.
    pub constraints: &'a Constraints,
    /// Per learner: the candidate of each usable arc.
    arcs: Csr<CandidateId>,
    /// Per learner, the arc that is pinned.
    pinned: Vec<Option<ModelArc>>,
    /// Per group, seats reserved and for which priority group.
    reserve: Vec<Option<(PriorityGroupId, u32)>>,
    /// Per learner, the index of its (school, programme) bound.
    bound_of: Vec<Option<u32>>,
    /// Per learner, a kept arc (empty when none): the learner must stay
    /// placed, preferably there; see [`PlacementModel::soften_pins`].
    kept: Vec<Option<ModelArc>>,
    /// Extra weight of a kept arc (a Lagrange multiplier of the move limit).
    pub(crate) keep_bonus: i64,
}

impl<'a> PlacementModel<'a> {
    /// Builds the model. Fails, with every conflict listed, when a pinned
    /// placement is not a usable candidate pair.
    pub fn new(
        season: &'a Season,
        candidates: &'a Candidates,
        constraints: &'a Constraints,
    ) -> Result<Self, Infeasible> {
        let n = season.learners().len();
        let min_score = constraints.min_score.unwrap_or(f64::NEG_INFINITY);
        let mut arcs = CsrBuilder::with_capacity(n, candidates.len());
        for (li, learner) in season.learners().iter().enumerate() {
            let l = LearnerId::from_index(li);
            if learner.screening == Screening::Passed {
                for c in candidates.ids_of(l) {
                    let g = season.group(candidates.group_of(c));
                    if candidates.score_of(c) >= min_score && !constraints.is_forbidden(l, g.workplace) {
                        arcs.push(c);
                    }
                }
            }
            arcs.end_row();
        }
        let mut model = PlacementModel {
            season,
            candidates,
            constraints,
            arcs: arcs.finish(),
            pinned: vec![None; n],
            reserve: vec![None; season.groups().len()],
            bound_of: vec![None; n],
            kept: Vec::new(),
            keep_bonus: 0,
        };
        for r in &constraints.reserves {
            model.reserve[r.group.index()] = Some((r.priority_group, r.seats));
        }
        let bound_ix: std::collections::HashMap<_, u32> =
            constraints.school_bounds.iter().enumerate().map(|(bi, b)| ((b.school, b.programme), bi as u32)).collect();
        if !bound_ix.is_empty() {
            for (li, l) in season.learners().iter().enumerate() {
                model.bound_of[li] = bound_ix.get(&(l.school, l.programme)).copied();
            }
        }
        let mut conflicts = Vec::new();
        for &(l, w) in &constraints.pins {
            match model.arcs(l).find(|&a| season.group(model.group_of(a)).workplace == w) {
                Some(a) => model.pinned[l.index()] = Some(a),
                None => conflicts.push(Conflict::PinNotUsable {
                    learner: l,
                    workplace: w,
                    why: model.why_pin_unusable(l, w),
                }),
            }
        }
        if conflicts.is_empty() {
            Ok(model)
        } else {
            Err(Infeasible { conflicts })
        }
    }

    fn why_pin_unusable(&self, l: LearnerId, w: WorkplaceId) -> String {
        let learner = self.season.learner(l);
        if learner.screening != Screening::Passed {
            return format!("the learner's screening is {}", learner.screening.as_str());
        }
        if self.constraints.is_forbidden(l, w) {
            return "the pair is also forbidden".into();
        }
        let Some(g) = self.season.group_of(w, learner.programme) else {
            return format!("the site is not recognised for programme {}", self.season.programme(learner.programme).id);
        };
        match self.candidates.ids_of(l).find(|&c| self.candidates.group_of(c) == g) {
            Some(c) => format!("its score {:.2} is below min_score", self.candidates.score_of(c)),
            None => "the pair does not pass the screening gates (see `dualmatch explain`)".into(),
        }
    }

    /// Number of learners.
    pub fn learner_count(&self) -> usize {
        self.season.learners().len()
    }

    /// Number of usable arcs.
    pub fn arc_count(&self) -> usize {
        self.arcs.len()
    }

    /// The usable arcs of learner `l`.
    #[inline]
    pub fn arcs(&self, l: LearnerId) -> Arcs {
        let r = self.arcs.range(l.index());
        Arcs { next: r.start as u32, end: r.end as u32 }
    }

    /// The candidate of arc `a`.
    #[inline]
    pub fn candidate_of(&self, a: ModelArc) -> CandidateId {
        self.arcs.values()[a.index()]
    }

    /// The recognition of arc `a`.
    #[inline]
    pub fn group_of(&self, a: ModelArc) -> GroupId {
        self.candidates.group_of(self.candidate_of(a))
    }

    /// The score of arc `a`.
    #[inline]
    pub fn score_of(&self, a: ModelArc) -> f64 {
        self.candidates.score_of(self.candidate_of(a))
    }

    /// The learner whose arc `a` is.
    pub fn learner_of(&self, a: ModelArc) -> LearnerId {
        // The last learner whose arcs start at or before `a`.
        LearnerId::from_index(self.arcs.offsets().partition_point(|&o| o <= a.0) - 1)
    }

    /// The arc of learner `l` to candidate `c`, if `c` is a usable pair of `l`.
    pub fn arc_to(&self, l: LearnerId, c: CandidateId) -> Option<ModelArc> {
        self.arcs(l).find(|&a| self.candidate_of(a) == c)
    }

    /// The pinned arc of learner `l`, if any.
    #[inline]
    pub fn pinned_arc(&self, l: LearnerId) -> Option<ModelArc> {
        self.pinned[l.index()]
    }

    /// The kept arc of learner `l`, if any (see [`Self::soften_pins`]).
    #[inline]
    pub fn kept_arc(&self, l: LearnerId) -> Option<ModelArc> {
        self.kept.get(l.index()).copied().flatten()
    }

    /// The integer weight of arc `a` of learner `l` in the objective: its
    /// score's weight, plus the keep bonus on a kept arc.
    pub fn weight_of(&self, l: LearnerId, a: ModelArc) -> i64 {
        weight(self.score_of(a)) + if self.kept_arc(l) == Some(a) { self.keep_bonus } else { 0 }
    }

    /// [`Self::arcs`] as a range of raw arc indices.
    pub fn arcs_of(&self, l: LearnerId) -> std::ops::Range<usize> {
        self.arcs.range(l.index())
    }

    /// [`Self::candidate_of`] for a raw arc index; the candidate as an index
    /// into the [`Candidates`] columns.
    pub fn arc_candidate(&self, a: usize) -> usize {
        self.candidate_of(ModelArc(a as u32)).index()
    }

    /// [`Self::group_of`] for a raw arc index.
    pub fn arc_group(&self, a: usize) -> GroupId {
        self.group_of(ModelArc(a as u32))
    }

    /// [`Self::score_of`] for a raw arc index.
    pub fn arc_score(&self, a: usize) -> f64 {
        self.score_of(ModelArc(a as u32))
    }

    /// [`Self::pinned_arc`] as a raw arc index.
    pub fn pinned(&self, l: LearnerId) -> Option<usize> {
        self.pinned_arc(l).map(ModelArc::index)
    }

    /// [`Self::kept_arc`] as a raw arc index.
    pub fn kept(&self, l: LearnerId) -> Option<usize> {
        self.kept_arc(l).map(ModelArc::index)
    }

    /// The same model with every pin turned into a kept placement: the
    /// learner must stay placed, at the pinned site or elsewhere (a move).
    /// With [`Self::set_keep_bonus`] this is the relaxation that
    /// [`crate::moves`] uses to allow a limited number of moves.
    pub fn soften_pins(&self) -> PlacementModel<'a> {
        PlacementModel {
            season: self.season,
            candidates: self.candidates,
            constraints: self.constraints,
            arcs: self.arcs.clone(),
            pinned: vec![None; self.pinned.len()],
            reserve: self.reserve.clone(),
            bound_of: self.bound_of.clone(),
            kept: self.pinned.clone(),
            keep_bonus: 0,
        }
    }

    /// Whether some learner has a kept placement (see [`Self::soften_pins`]).
    pub fn has_kept(&self) -> bool {
        self.kept.iter().any(Option::is_some)
    }

    /// Adds `bonus` (integer weight units, see [`weight`]) to the weight of
    /// every kept arc (replacing any earlier bonus).
    pub fn set_keep_bonus(&mut self, bonus: i64) {
        self.keep_bonus = bonus;
    }

    /// [`Self::weight_of`] for a raw arc index.
    pub fn arc_weight(&self, l: LearnerId, a: usize) -> i64 {
        self.weight_of(l, ModelArc(a as u32))
    }

    /// Whether recognition `g` reserves seats for a priority group.
    pub fn reserves_seats(&self, g: GroupId) -> bool {
        self.reserve[g.index()].is_some()
    }

    /// Whether some recognition reserves seats.
    pub fn any_reserved(&self) -> bool {
        self.reserve.iter().any(Option::is_some)
    }

    /// The seats of `g` that are open to every learner when `g` reserves
    /// seats for a priority group: its seats minus the reserved ones (0 when
    /// all are reserved). `None` when `g` reserves nothing (every seat is
    /// open).
    #[inline]
    pub fn open_seats(&self, g: GroupId) -> Option<u32> {
        let seats = self.season.group(g).seats;
        self.reserve[g.index()].map(|(_, reserved)| seats - reserved.min(seats))
    }

    /// Whether learner `l`, placed at `g`, takes one of its open seats: `g`
    /// reserves seats for a priority group that `l` is not in.
    #[inline]
    pub fn takes_open_seat(&self, l: LearnerId, g: GroupId) -> bool {
        self.reserve[g.index()].is_some_and(|(pg, _)| self.season.learner(l).priority_group != Some(pg))
    }

    /// Whether `g` reserves at least one seat for learner `l`'s priority group.
    pub fn reserves_seat_for(&self, l: LearnerId, g: GroupId) -> bool {
        self.reserve[g.index()].is_some_and(|(pg, k)| k > 0 && self.season.learner(l).priority_group == Some(pg))
    }

    /// The school bound learner `l` counts towards (an index into the
    /// constraints' `school_bounds`): the one of the learner's school and
    /// programme, if any.
    #[inline]
    pub fn school_bound_of(&self, l: LearnerId) -> Option<usize> {
        self.bound_of[l.index()].map(|b| b as usize)
    }

    /// Whether every constraint can be written as a network (so the exact flow
    /// path applies). Every constraint is a network constraint except a
    /// minimum group size that allows an empty site ("a group or nobody"):
    /// the components it touches are solved as a mixed-integer model
    /// ([`crate::mip`]), the rest by network simplex.
    pub fn is_network(&self) -> bool {
        // Short lines (`max_sites`, `new_site_penalty`) are fixed charges and
        // differing rhythms bind seats per day: both go to the mixed-integer
        // path ([`crate::short_lines`], [`crate::rhythms`]).
        !self.constraints.any_group_or_nobody() && !self.constraints.any_short_lines() && !self.rhythms_differ()
    }

    /// Whether learners have different rhythms: their components, when the
    /// rhythms differ within them, are solved as a mixed-integer model with
    /// per-day seats ([`crate::rhythms`]).
    pub fn rhythms_differ(&self) -> bool {
        let s = self.season;
        s.has_rhythms()
            && (1..self.learner_count()).any(|i| s.days_of(LearnerId::from_index(i)) != s.days_of(LearnerId(0)))
    }
}

/// A solved assignment: for each learner the candidate pair used, if placed.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    /// Per learner, the raw candidate index (into [`Candidates`]) of the
    /// placement; read it as [`CandidateId`]s through
    /// [`Assignment::candidate`], [`Assignment::by_learner`] or
    /// [`Assignment::placements`].
    pub placement: Vec<Option<u32>>,
}

impl Assignment {
    /// The assignment that places each learner, in learner order, on that
    /// candidate (`None`: unplaced).
    pub fn from_candidates(placement: impl IntoIterator<Item = Option<CandidateId>>) -> Self {
        Assignment { placement: placement.into_iter().map(|c| c.map(|c| c.0)).collect() }
    }

    /// Learner `l`'s placement, if placed.
    #[inline]
    pub fn candidate(&self, l: LearnerId) -> Option<CandidateId> {
        self.placement[l.index()].map(CandidateId)
    }

    /// Every learner, in order, with their placement (`None`: unplaced).
    pub fn by_learner(&self) -> impl ExactSizeIterator<Item = (LearnerId, Option<CandidateId>)> + '_ {
        self.placement.iter().enumerate().map(|(li, c)| (LearnerId::from_index(li), c.map(CandidateId)))
    }

    /// The placed learners, in order, with their placement.
    pub fn placements(&self) -> impl Iterator<Item = (LearnerId, CandidateId)> + '_ {
        self.by_learner().filter_map(|(l, c)| Some((l, c?)))
    }

    /// Number of learners placed.
    pub fn placed(&self) -> usize {
        self.placement.iter().filter(|p| p.is_some()).count()
    }

    /// Total score of the placements.
    pub fn total_score(&self, candidates: &Candidates) -> f64 {
        // Summed in learner order for a deterministic floating-point result.
        self.placements().map(|(_, c)| candidates.score_of(c)).sum()
    }

    /// Total integer weight (see [`weight`]).
    pub fn total_weight(&self, candidates: &Candidates) -> i128 {
        self.placements().map(|(_, c)| weight(candidates.score_of(c)) as i128).sum()
    }

    /// Checks every seat, capacity, school bound, reserve and pin; returns the
    /// first violation found. Used by tests and as a safety net before output.
    pub fn check(&self, m: &PlacementModel) -> Result<(), String> {
        let s = m.season;
        let mut per_group = vec![0u32; s.groups().len()];
        let mut per_wp = vec![0u32; s.workplaces().len()];
        let mut per_bound = vec![0u32; m.constraints.school_bounds.len()];
        let mut per_group_open = vec![0u32; s.groups().len()];
        for (l, p) in self.by_learner() {
            if let Some(pa) = m.pinned_arc(l) {
                if p != Some(m.candidate_of(pa)) {
                    return Err(format!("pinned learner {} is not at the pinned site", s.learner(l).id));
                }
            }
            if m.kept_arc(l).is_some() && p.is_none() {
                return Err(format!("kept learner {} is no longer placed", s.learner(l).id));
            }
            let Some(c) = p else { continue };
            let Some(a) = m.arc_to(l, c) else {
                return Err(format!("learner {} placed on a pair that is not a usable candidate", s.learner(l).id));
            };
            let g = m.group_of(a);
            per_group[g.index()] += 1;
            per_wp[s.group(g).workplace.index()] += 1;
            if m.takes_open_seat(l, g) {
                per_group_open[g.index()] += 1;
            }
            if let Some(b) = m.school_bound_of(l) {
                per_bound[b] += 1;
            }
        }
        // With rhythms, seats and capacities bind day by day.
        let per_day = s.has_rhythms();
        if per_day {
            crate::mentors::check_days(m, self)?;
        }
        crate::mentors::assign(m, self)?;
        for (gi, g) in s.groups().iter().enumerate() {
            if per_group[gi] > g.seats && !per_day {
                return Err(format!(
                    "{} placed at {}/{} with {} seats",
                    per_group[gi],
                    s.workplace(g.workplace).id,
                    s.programme(g.programme).id,
                    g.seats
                ));
            }
            if m.open_seats(GroupId::from_index(gi)).is_some_and(|open| per_group_open[gi] > open) {
                return Err(format!("reserved seats at {} used by others", s.workplace(g.workplace).id));
            }
        }
        for (wi, w) in s.workplaces().iter().enumerate() {
            if let Some(cap) = w.capacity.filter(|_| !per_day) {
                if per_wp[wi] > cap {
                    return Err(format!("{} placed at {} with capacity {cap}", per_wp[wi], w.id));
                }
            }
        }
        for sm in &m.constraints.site_minimums {
            let n = per_wp[sm.workplace.index()];
            if n < sm.min && !(sm.allow_empty && n == 0) {
                return Err(format!(
                    "{n} placed at {} with a minimum group of {}{}",
                    s.workplace(sm.workplace).id,
                    sm.min,
                    if sm.allow_empty { " (or none)" } else { "" }
                ));
            }
        }
        for (bi, b) in m.constraints.school_bounds.iter().enumerate() {
            if per_bound[bi] < b.min || per_bound[bi] > b.max {
                return Err(format!(
                    "school {} programme {}: {} placed, bounds {}..{}",
                    s.school(b.school).id,
                    s.programme(b.programme).id,
                    per_bound[bi],
                    b.min,
                    b.max
                ));
            }
        }
        crate::short_lines::check(m, self)
    }
}

#[cfg(test)]
mod tests {
    use super::round_i64;
    use proptest::prelude::*;

    /// The reference: the maths library's rounding, then the saturating cast.
    fn reference(x: f64) -> i64 {
        x.round() as i64
    }

    #[test]
    fn rounding_matches_the_library_at_the_edges() {
        let edges = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            0.49999999999999994,
            -0.49999999999999994,
            4503599627370495.5,
            -4503599627370495.5,
            4503599627370497.0,
            9007199254740993.0,
            9.223372036854775e18,
            -9.223372036854775e18,
            9.3e18,
            -9.3e18,
            f64::MAX,
            f64::MIN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
            1e-300,
        ];
        for x in edges {
            assert_eq!(round_i64(x), reference(x), "{x:e}");
        }
    }

    proptest! {
        /// Any float, and halves and their neighbours.
        #[test]
        fn rounding_matches_the_library(x in any::<f64>(), k in -(1i64 << 53)..(1i64 << 53), up in any::<bool>()) {
            prop_assert_eq!(round_i64(x), reference(x), "{:e}", x);
            let half = k as f64 + 0.5;
            let near = if up { half.next_up() } else { half.next_down() };
            prop_assert_eq!(round_i64(half), reference(half), "{:e}", half);
            prop_assert_eq!(round_i64(near), reference(near), "{:e}", near);
        }
    }
}
