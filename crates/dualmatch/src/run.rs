//! [`Run`]: the result of one solve, and [`Placement`]: one placement read
//! through ids, names and scores, without index arithmetic.

use std::sync::Arc;

use dualmatch_core::rhythm::Days;
use dualmatch_core::scoring::Candidates;
use dualmatch_core::{GroupId, LearnerId, MentorId, ProgrammeId, SchoolId, Season, WorkplaceId};
use dualmatch_optimiser::advice::{self, Advice, AdviceError};
use dualmatch_optimiser::metrics::{self, Metrics};
use dualmatch_optimiser::network::{Duals, Proof, Solved};
use dualmatch_optimiser::unplaced::Unplaced;
use dualmatch_optimiser::{Assignment, Constraints, PlacementModel, SolveOptions};

/// One learner's placement.
#[derive(Clone, Copy, Debug)]
pub struct Placement<'a> {
    season: &'a Season,
    candidates: &'a Candidates,
    learner: LearnerId,
    candidate: usize,
    mentor: Option<MentorId>,
}

impl<'a> Placement<'a> {
    /// The learner.
    pub fn learner(&self) -> LearnerId {
        self.learner
    }
    /// The recognition (site × programme) the learner is placed at.
    pub fn group(&self) -> GroupId {
        self.candidates.group[self.candidate]
    }
    /// The site.
    pub fn workplace(&self) -> WorkplaceId {
        self.season.group(self.group()).workplace
    }
    /// The learner's programme.
    pub fn programme(&self) -> ProgrammeId {
        self.season.learner(self.learner).programme
    }
    /// The learner's school.
    pub fn school(&self) -> SchoolId {
        self.season.learner(self.learner).school
    }
    /// The learner's id.
    pub fn learner_id(&self) -> &'a str {
        &self.season.learner(self.learner).id
    }
    /// The site's id.
    pub fn workplace_id(&self) -> &'a str {
        &self.season.workplace(self.workplace()).id
    }
    /// The programme's id.
    pub fn programme_id(&self) -> &'a str {
        &self.season.programme(self.programme()).id
    }
    /// The school's id.
    pub fn school_id(&self) -> &'a str {
        &self.season.school(self.school()).id
    }
    /// The fit score of the pair (0–100).
    pub fn score(&self) -> f64 {
        self.candidates.score[self.candidate]
    }
    /// The learner's mentor at a site with mentors (`mentors.csv`); `None`
    /// at a site without.
    pub fn mentor(&self) -> Option<MentorId> {
        self.mentor
    }
    /// The mentor's id, if any.
    pub fn mentor_id(&self) -> Option<&'a str> {
        self.mentor.map(|k| self.season.mentor(k).id.as_str())
    }
    /// The days the learner is at the workplace (every day without a rhythm).
    pub fn days(&self) -> Days {
        self.season.days_of(self.learner)
    }
    /// The index of the pair in the candidates (for the scoring components).
    pub fn candidate_index(&self) -> usize {
        self.candidate
    }
}

/// The placements of an assignment, in learner order.
#[derive(Clone, Copy, Debug)]
pub struct Placements<'a> {
    season: &'a Season,
    candidates: &'a Candidates,
    assignment: &'a Assignment,
    mentors: &'a [Option<MentorId>],
}

impl<'a> Placements<'a> {
    /// The placements of `assignment` over `season` and `candidates`.
    pub fn new(season: &'a Season, candidates: &'a Candidates, assignment: &'a Assignment) -> Self {
        Self { season, candidates, assignment, mentors: &[] }
    }

    /// The same placements with each learner's mentor (per learner, as
    /// [`dualmatch_optimiser::mentors::assign`] gives them).
    pub fn with_mentors(self, mentors: &'a [Option<MentorId>]) -> Self {
        Self { mentors, ..self }
    }

    /// The placement of learner `l`, if placed.
    pub fn of(&self, l: LearnerId) -> Option<Placement<'a>> {
        let c = self.assignment.placement.get(l.index()).copied().flatten()?;
        let mentor = self.mentors.get(l.index()).copied().flatten();
        Some(Placement { season: self.season, candidates: self.candidates, learner: l, candidate: c as usize, mentor })
    }

    /// Every placement, in learner order.
    pub fn iter(&self) -> impl Iterator<Item = Placement<'a>> + 'a {
        let this = *self;
        (0..self.assignment.placement.len()).filter_map(move |l| this.of(LearnerId::from_index(l)))
    }
}

/// The result of [`crate::Engine::solve`]: the assignment, the proof of the
/// exact policies, the seat values of max-fit, and on demand the unplaced
/// learners' reasons, metrics and advice. It borrows only the season.
pub struct Run<'s> {
    season: &'s Season,
    candidates: Arc<Candidates>,
    constraints: Arc<Constraints>,
    solved: Solved,
    reasons: Vec<(LearnerId, Unplaced)>,
    options: SolveOptions,
    threads: Option<usize>,
    /// Per learner: the mentor (at a site with mentors).
    mentors: Vec<Option<MentorId>>,
}

impl<'s> Run<'s> {
    pub(crate) fn new(
        season: &'s Season,
        candidates: Arc<Candidates>,
        constraints: Arc<Constraints>,
        solved: Solved,
        reasons: Vec<(LearnerId, Unplaced)>,
        options: SolveOptions,
        threads: Option<usize>,
    ) -> Self {
        Self { season, candidates, constraints, solved, reasons, options, threads, mentors: Vec::new() }
    }

    /// The run with each learner's mentor.
    pub(crate) fn with_mentors(self, mentors: Vec<Option<MentorId>>) -> Self {
        Self { mentors, ..self }
    }

    /// Rhythm advice ([`dualmatch_optimiser::rhythm_advice`]): pairs of
    /// schools with the same programme and overlapping rhythms, and how many
    /// more learners a complementary rhythm would place (exact re-solves,
    /// each within `limit` for mixed-integer components), largest gain
    /// first. Empty without rhythms.
    pub fn rhythm_advice(
        &self,
        limit: Option<std::time::Duration>,
    ) -> Result<Vec<dualmatch_optimiser::rhythm_advice::RhythmAdvice>, crate::Error> {
        let model = self.model();
        crate::engine::install(self.threads, || dualmatch_optimiser::rhythm_advice::advise(&model, limit))?
            .map_err(crate::Error::Infeasible)
    }

    /// Per learner, the mentor (`None`: unplaced, or at a site without
    /// mentors), in learner order.
    pub fn mentors(&self) -> &[Option<MentorId>] {
        &self.mentors
    }

    /// The season.
    pub fn season(&self) -> &'s Season {
        self.season
    }
    /// The candidate pairs.
    pub fn candidates(&self) -> &Candidates {
        &self.candidates
    }
    /// The constraints it was solved under.
    pub fn constraints(&self) -> &Constraints {
        &self.constraints
    }
    /// The placement model that was solved (built again: it is cheap next
    /// to the solve). Build it once when several calls need it.
    pub fn model(&self) -> PlacementModel<'_> {
        PlacementModel::new(self.season, &self.candidates, &self.constraints)
            .expect("the model was built before this run was solved")
    }
    /// The options it was solved with.
    pub fn options(&self) -> &SolveOptions {
        &self.options
    }
    /// The assignment with its proof and duals.
    pub fn solved(&self) -> &Solved {
        &self.solved
    }
    /// The assignment.
    pub fn assignment(&self) -> &Assignment {
        &self.solved.assignment
    }
    /// Every placement, in learner order.
    pub fn placements(&self) -> impl Iterator<Item = Placement<'_>> + '_ {
        Placements::new(self.season, &self.candidates, &self.solved.assignment).with_mentors(&self.mentors).iter()
    }
    /// The placement of learner `l`, if placed.
    pub fn placement(&self, l: LearnerId) -> Option<Placement<'_>> {
        Placements::new(self.season, &self.candidates, &self.solved.assignment).with_mentors(&self.mentors).of(l)
    }
    /// How many learners are placed.
    pub fn placed(&self) -> usize {
        self.solved.assignment.placed()
    }
    /// The total fit score.
    pub fn total_score(&self) -> f64 {
        self.solved.assignment.total_score(&self.candidates)
    }
    /// The proof of optimality (bound, method), for the exact policies.
    pub fn proof(&self) -> Option<&Proof> {
        self.solved.proof()
    }
    /// `bound − total score` for the exact policies (for the rank-profile
    /// policies, the summed gap of their phases): 0 at proven optimality.
    pub fn gap(&self) -> Option<f64> {
        let w = self.solved.assignment.total_weight(&self.candidates) as f64;
        self.proof().map(|p| match &p.phases {
            Some(phases) => phases.gap as f64,
            None => p.bound - w / dualmatch_optimiser::model::WEIGHT_SCALE,
        })
    }
    /// The marginal value of one more seat and unit of capacity (max-fit).
    pub fn duals(&self) -> Option<&Duals> {
        self.solved.duals.as_ref()
    }
    /// Why each unplaced learner is unplaced, in learner order (worked out
    /// with the solve, while its model was at hand).
    pub fn unplaced(&self) -> &[(LearnerId, Unplaced)] {
        &self.reasons
    }
    /// Where the placed learners are in their lists: the rank profile and
    /// the rank cost (without the other, costlier metrics).
    pub fn rank_profile(&self) -> metrics::RankProfile {
        metrics::rank_profile(&self.model(), &self.solved.assignment)
    }
    /// Per school, in season order: the distinct sites its learners are at
    /// and the share at existing partners (short lines, `[[school]]
    /// max_sites` and `new_site_penalty`).
    pub fn sites_by_school(&self) -> Vec<dualmatch_optimiser::short_lines::SchoolSites> {
        dualmatch_optimiser::short_lines::by_school(
            self.season,
            &self.candidates,
            &self.constraints,
            &self.solved.assignment,
        )
    }
    /// The new-site penalties the placement pays, in score points (0
    /// without `new_site_penalty`): the total score minus this is the
    /// objective that was optimised.
    pub fn new_site_penalty_paid(&self) -> f64 {
        if !self.constraints.any_short_lines() {
            return 0.0;
        }
        let paid = dualmatch_optimiser::short_lines::assignment_penalty(&self.model(), &self.solved.assignment);
        paid as f64 / dualmatch_optimiser::model::WEIGHT_SCALE
    }
    /// Placement rates, scores, commute, fairness and stability metrics.
    pub fn metrics(&self) -> Metrics {
        metrics::evaluate(&self.model(), &self.solved.assignment)
    }
    /// Every blocking pair (learner id, workplace id) under the stable
    /// reading: the pairs [`Metrics::blocking_pairs`] counts, all listed.
    pub fn blocking_pairs(&self) -> Vec<(String, String)> {
        metrics::blocking_pairs(&self.model(), &self.solved.assignment)
    }
    /// What the season or constraints have that the advice does not model
    /// ([`advice_unmodelled`]), when they have something.
    pub fn advice_unmodelled(&self) -> Option<String> {
        advice_unmodelled(self.season, &self.constraints)
    }
    /// The waiting list and the recruitment advice of a max-fit optimum;
    /// `Ok(None)` for other results (they have no seat values) and when the
    /// advice does not model the season ([`Self::advice_unmodelled`]).
    pub fn advice(&self) -> Result<Option<Advice>, AdviceError> {
        if self.solved.duals.is_none() || self.advice_unmodelled().is_some() {
            return Ok(None);
        }
        let model = self.model();
        let compute = || advice::compute(&model, &self.solved);
        crate::engine::install(self.threads, compute).unwrap_or_else(|_| compute()).map(Some)
    }
}

/// What `season` and `constraints` have that the waiting list and the
/// recruitment advice do not model (their residual network is the plain
/// placement network): minimum group sizes, short lines, mentors and
/// rhythms, named as in the input files and joined with "and"; `None` when
/// the advice models everything.
pub fn advice_unmodelled(season: &Season, constraints: &Constraints) -> Option<String> {
    let what: Vec<&str> = [
        (!constraints.site_minimums.is_empty(), "minimum group sizes ([[site]] min in the constraints)"),
        (constraints.any_short_lines(), "short lines ([[school]] max_sites or new_site_penalty in the constraints)"),
        (!season.mentors().is_empty(), "mentors (mentors.csv)"),
        (season.has_rhythms(), "rhythms (the rhythm columns)"),
    ]
    .into_iter()
    .filter_map(|(has, name)| has.then_some(name))
    .collect();
    match what.split_last() {
        None => None,
        Some((last, [])) => Some(last.to_string()),
        Some((last, rest)) => Some(format!("{} and {last}", rest.join(", "))),
    }
}
