//! The validated season: interned ids, resolved references, lookup indexes.

use std::collections::HashMap;
use std::hash::BuildHasher;

use crate::csr::Csr;
use crate::geo::GeoPoint;
use crate::ids::*;
use crate::rhythm::Days;

pub use super::doc::Screening;

/// A vocational programme, such as Kok or Elektrotechnicus.
#[derive(Clone, Debug, PartialEq)]
pub struct Programme {
    /// External id.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// A school that sends learners.
#[derive(Clone, Debug, PartialEq)]
pub struct School {
    /// External id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Where the school is.
    pub location: GeoPoint,
}

/// A learner looking for a placement.
#[derive(Clone, Debug, PartialEq)]
pub struct Learner {
    /// External id.
    pub id: String,
    /// The learner's school.
    pub school: SchoolId,
    /// The learner's programme.
    pub programme: ProgrammeId,
    /// Home location.
    pub location: GeoPoint,
    /// The longest acceptable commute, great-circle km. Never exceeded.
    pub max_commute_km: f64,
    /// Work-readiness from intake, 1 (not yet ready) to 4.
    pub readiness: u8,
    /// Intake screening outcome.
    pub screening: Screening,
    /// Tags the learner holds, sorted and without duplicates.
    pub attributes: Vec<TagId>,
    /// Workplaces the learner ranks, best first, without duplicates.
    pub preferences: Vec<WorkplaceId>,
    /// The 1-based rank of each entry of `preferences` (the position of its
    /// tie group: `W03=W01;W02` gives 1, 1, 2). Empty: no ties, the rank is
    /// the position. Read through [`Learner::preference_rank`].
    pub preference_ranks: Vec<u32>,
    /// Optional priority group.
    pub priority_group: Option<PriorityGroupId>,
}

/// A workplace site.
#[derive(Clone, Debug, PartialEq)]
pub struct Workplace {
    /// External id.
    pub id: String,
    /// The company that runs the site.
    pub company: String,
    /// Site location.
    pub location: GeoPoint,
    /// Learners the site can host across all its programmes; `None`: only seats bind.
    pub capacity: Option<u32>,
    /// The lowest readiness the site accepts (1 to 4).
    pub min_readiness: u8,
    /// Tags a learner must hold, sorted and without duplicates.
    pub requires: Vec<TagId>,
    /// Schools with an existing partnership.
    pub partner_schools: Vec<SchoolId>,
    /// Learners the site ranks, best first, without duplicates.
    pub preferences: Vec<LearnerId>,
    /// The 1-based rank of each entry of `preferences`, as for learners
    /// ([`Learner::preference_ranks`]). Read through [`Workplace::preference_rank`].
    pub preference_ranks: Vec<u32>,
}

/// A recognition: a site recognised for one programme, with seats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Group {
    /// The site.
    pub workplace: WorkplaceId,
    /// The programme.
    pub programme: ProgrammeId,
    /// Seats for this programme at this site.
    pub seats: u32,
}

/// A mentor at a workplace site (`mentors.csv`).
#[derive(Clone, Debug, PartialEq)]
pub struct Mentor {
    /// External id.
    pub id: String,
    /// The site.
    pub workplace: WorkplaceId,
    /// Programmes the mentor is recognised for; empty: all the site's.
    pub programmes: Vec<ProgrammeId>,
    /// Learners the mentor guides at the same time (their days do not matter).
    pub max_learners: u32,
    /// Days present ([`Days::EVERY`] when not given).
    pub days: Days,
}

impl Mentor {
    /// Whether the mentor is recognised for programme `p`.
    pub fn recognised_for(&self, p: ProgrammeId) -> bool {
        self.programmes.is_empty() || self.programmes.contains(&p)
    }

    /// Whether the mentor can guide a learner of programme `p` at the
    /// workplace on `days`: recognised for `p` and present on all of them.
    pub fn can_guide(&self, p: ProgrammeId, days: Days) -> bool {
        self.recognised_for(p) && self.days.covers(days)
    }
}

/// A scored learner–recognition pair supplied by the user in `candidates.csv`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate {
    /// The learner.
    pub learner: LearnerId,
    /// The recognition (workplace, programme).
    pub group: GroupId,
    /// The fit score (finite, >= 0).
    pub score: f64,
}

/// A validated, immutable season. Every reference in it resolves; every value
/// is in range. Build one with [`super::load`] or [`super::from_doc`].
#[derive(Clone, Debug)]
pub struct Season {
    pub(super) programmes: Vec<Programme>,
    pub(super) schools: Vec<School>,
    pub(super) learners: Vec<Learner>,
    pub(super) workplaces: Vec<Workplace>,
    pub(super) groups: Vec<Group>,
    pub(super) tags: Vec<String>,
    pub(super) priority_groups: Vec<String>,
    pub(super) candidates: Option<Vec<Candidate>>,
    pub(super) history: Option<super::history::History>,
    pub(super) mentors: Vec<Mentor>,
    /// Per learner: the days at the workplace (see [`crate::rhythm`]).
    pub(super) days: Vec<Days>,
    /// Whether some learner, school or programme gives a rhythm.
    pub(super) rhythms: bool,
    pub(super) index: Index,
}

/// Looks `id` up in `map`: as it is, else as the value a CSV cell that
/// dualmatch wrote stands for (`'=1+1` for the id `=1+1`; see
/// [`crate::text::csv_cell_source`]), so ids copied from its outputs work.
pub(super) fn by_id<I: Copy, S: BuildHasher>(map: &HashMap<String, I, S>, id: &str) -> Option<I> {
    let id = super::ident::nfc(id);
    map.get(id.as_ref())
        .or_else(|| crate::text::csv_cell_source(&id).and_then(|v| map.get(super::ident::nfc(&v).as_ref())))
        .copied()
}

/// The hash maps of a season: foldhash, seeded per process (so that no input
/// can be crafted to collide), several times faster than the standard
/// SipHash on the short ids and id pairs a season holds millions of.
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Ids to their interned index.
pub(crate) type IdMap<I> = FastMap<String, I>;

#[derive(Clone, Debug, Default)]
pub(super) struct Index {
    pub programme: IdMap<ProgrammeId>,
    pub school: IdMap<SchoolId>,
    pub learner: IdMap<LearnerId>,
    pub workplace: IdMap<WorkplaceId>,
    pub tag: IdMap<TagId>,
    pub group: FastMap<(WorkplaceId, ProgrammeId), GroupId>,
    /// Groups of each workplace.
    pub wp_groups: Csr<GroupId>,
    /// Groups of each programme.
    pub prog_groups: Csr<GroupId>,
    pub mentor: IdMap<MentorId>,
    /// Mentors of each workplace.
    pub wp_mentors: Csr<MentorId>,
}

/// The 1-based rank of entry `k` of a preference list with `ranks` (see
/// [`Learner::preference_ranks`]): its tie group's position.
fn rank_at(ranks: &[u32], k: usize) -> u32 {
    ranks.get(k).copied().unwrap_or(k as u32 + 1)
}

impl Learner {
    /// The rank (1 = first choice; equally ranked workplaces share it) of
    /// workplace `w` in the learner's list, or `None` when it is not listed.
    pub fn preference_rank(&self, w: WorkplaceId) -> Option<u32> {
        self.preferences.iter().position(|x| *x == w).map(|k| rank_at(&self.preference_ranks, k))
    }

    /// The rank of entry `k` of `preferences` (its tie group's position, from 1).
    pub fn rank_of_entry(&self, k: usize) -> u32 {
        rank_at(&self.preference_ranks, k)
    }
}

impl Workplace {
    /// The rank (1 = first; equally ranked learners share it) of learner `l`
    /// in the site's list, or `None` when it is not listed.
    pub fn preference_rank(&self, l: LearnerId) -> Option<u32> {
        self.preferences.iter().position(|x| *x == l).map(|k| rank_at(&self.preference_ranks, k))
    }

    /// The rank of entry `k` of `preferences` (its tie group's position, from 1).
    pub fn rank_of_entry(&self, k: usize) -> u32 {
        rank_at(&self.preference_ranks, k)
    }
}

impl Season {
    /// All programmes, indexed by [`ProgrammeId`].
    pub fn programmes(&self) -> &[Programme] {
        &self.programmes
    }
    /// All schools, indexed by [`SchoolId`].
    pub fn schools(&self) -> &[School] {
        &self.schools
    }
    /// All learners, indexed by [`LearnerId`].
    pub fn learners(&self) -> &[Learner] {
        &self.learners
    }
    /// All workplace sites, indexed by [`WorkplaceId`].
    pub fn workplaces(&self) -> &[Workplace] {
        &self.workplaces
    }
    /// All recognitions, indexed by [`GroupId`].
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }
    /// Attribute tag names, indexed by [`TagId`].
    pub fn tags(&self) -> &[String] {
        &self.tags
    }
    /// Priority group names, indexed by [`PriorityGroupId`].
    pub fn priority_groups(&self) -> &[String] {
        &self.priority_groups
    }
    /// The user-supplied candidates, when the season has a `candidates.csv`.
    pub fn candidates(&self) -> Option<&[Candidate]> {
        self.candidates.as_deref()
    }

    /// What past seasons say (the season's `outcomes.csv`), when it has one.
    pub fn history(&self) -> Option<&super::history::History> {
        self.history.as_ref()
    }

    /// A learner by id.
    pub fn learner(&self, id: LearnerId) -> &Learner {
        &self.learners[id.index()]
    }
    /// A workplace by id.
    pub fn workplace(&self, id: WorkplaceId) -> &Workplace {
        &self.workplaces[id.index()]
    }
    /// A recognition by id.
    pub fn group(&self, id: GroupId) -> &Group {
        &self.groups[id.index()]
    }
    /// A programme by id.
    pub fn programme(&self, id: ProgrammeId) -> &Programme {
        &self.programmes[id.index()]
    }
    /// A school by id.
    pub fn school(&self, id: SchoolId) -> &School {
        &self.schools[id.index()]
    }

    /// Looks up a learner by external id (compared in Unicode NFC, as ids
    /// are read; or by its form in a CSV file that dualmatch wrote).
    pub fn learner_by_id(&self, id: &str) -> Option<LearnerId> {
        by_id(&self.index.learner, id)
    }
    /// Looks up a workplace by external id (in NFC).
    pub fn workplace_by_id(&self, id: &str) -> Option<WorkplaceId> {
        by_id(&self.index.workplace, id)
    }
    /// Looks up a programme by external id (in NFC).
    pub fn programme_by_id(&self, id: &str) -> Option<ProgrammeId> {
        by_id(&self.index.programme, id)
    }
    /// Looks up a school by external id (in NFC).
    pub fn school_by_id(&self, id: &str) -> Option<SchoolId> {
        by_id(&self.index.school, id)
    }
    /// Looks up a tag by name (in NFC).
    pub fn tag_by_name(&self, name: &str) -> Option<TagId> {
        self.index.tag.get(super::ident::nfc(name).as_ref()).copied()
    }
    /// The recognition of `workplace` for `programme`, if any.
    pub fn group_of(&self, workplace: WorkplaceId, programme: ProgrammeId) -> Option<GroupId> {
        self.index.group.get(&(workplace, programme)).copied()
    }
    /// The recognitions of a workplace, in file order.
    pub fn groups_of_workplace(&self, w: WorkplaceId) -> &[GroupId] {
        self.index.wp_groups.row(w.index())
    }
    /// The recognitions for a programme, in file order.
    pub fn groups_of_programme(&self, p: ProgrammeId) -> &[GroupId] {
        self.index.prog_groups.row(p.index())
    }
    /// The same season with other seat counts: `seats[g]` for every
    /// recognition `g` (for re-matching after a site withdraws or adds seats).
    /// Everything else, ids included, is unchanged.
    ///
    /// # Panics
    /// When `seats` does not have one entry per recognition.
    pub fn with_seats(&self, seats: &[u32]) -> Season {
        assert_eq!(seats.len(), self.groups.len(), "one seat count per recognition");
        let mut s = self.clone();
        for (g, n) in s.groups.iter_mut().zip(seats) {
            g.seats = *n;
        }
        s
    }

    /// All mentors (`mentors.csv`), indexed by [`MentorId`].
    pub fn mentors(&self) -> &[Mentor] {
        &self.mentors
    }
    /// A mentor by id.
    pub fn mentor(&self, id: MentorId) -> &Mentor {
        &self.mentors[id.index()]
    }
    /// The mentors of a site, in file order (empty: the site keeps the
    /// plain `capacity` meaning).
    pub fn mentors_of_workplace(&self, w: WorkplaceId) -> &[MentorId] {
        self.index.wp_mentors.row(w.index())
    }
    /// Looks up a mentor by external id (in NFC).
    pub fn mentor_by_id(&self, id: &str) -> Option<MentorId> {
        by_id(&self.index.mentor, id)
    }
    /// The days learner `l` is at the workplace: the learner's rhythm, else
    /// the school's, else the programme's, else every day.
    pub fn days_of(&self, l: LearnerId) -> Days {
        self.days[l.index()]
    }
    /// Whether the season gives any rhythm (else every learner is at the
    /// workplace every day).
    pub fn has_rhythms(&self) -> bool {
        self.rhythms
    }
    /// The same season with the learners of `school` in `programme` at the
    /// workplace on `days` (for rhythm advice: what if the school moved to
    /// another rhythm). Everything else is unchanged.
    pub fn with_rhythm(&self, school: SchoolId, programme: ProgrammeId, days: Days) -> Season {
        let mut s = self.clone();
        for (l, d) in s.learners.iter().zip(s.days.iter_mut()) {
            if l.school == school && l.programme == programme {
                *d = days;
            }
        }
        s.rhythms = true;
        s
    }

    /// The total seats recognised for a programme.
    pub fn seats_of_programme(&self, p: ProgrammeId) -> u64 {
        self.groups_of_programme(p).iter().map(|g| u64::from(self.group(*g).seats)).sum()
    }
}
