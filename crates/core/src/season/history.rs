//! What past seasons say about sites and school–site partnerships, read from
//! the optional `outcomes.csv`: completed and early-ended agreements per site
//! and per (school, site), and the seasons a school and a site worked
//! together. The scoring formulas that use it are
//! [`crate::scoring::trust_fit`] and [`crate::scoring::continuity_fit`].

use std::collections::{BTreeSet, HashMap};

use super::doc::{Outcome, OutcomeRec};
use crate::ids::{SchoolId, WorkplaceId};

/// Agreements counted by how they ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Agreements completed.
    pub completed: u32,
    /// Agreements that ended early.
    pub ended_early: u32,
    /// Agreements still running (they count for years, not for rates).
    pub ongoing: u32,
}

impl Tally {
    fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Completed => self.completed += 1,
            Outcome::EndedEarly => self.ended_early += 1,
            Outcome::Ongoing => self.ongoing += 1,
        }
    }

    /// Agreements that finished, completed or early: the ones a completion
    /// rate is taken over.
    pub fn finished(&self) -> u32 {
        self.completed + self.ended_early
    }
}

/// The history of one school with one site.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PairHistory {
    /// The agreements between the school's learners and the site.
    pub tally: Tally,
    /// The distinct `season` values of those agreements: the years the
    /// school and the site have worked together.
    pub seasons: BTreeSet<String>,
}

/// The season's `outcomes.csv`, as read and as counted per site and per
/// (school, site). Rows whose workplace is not a site of this season are
/// kept in [`History::records`] (for copying on) but counted nowhere.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    records: Vec<OutcomeRec>,
    site: Vec<Tally>,
    pair: HashMap<(SchoolId, WorkplaceId), PairHistory>,
    school_has_history: Vec<bool>,
    all: Tally,
}

impl History {
    /// Counts `records`; `resolve` gives the school and the site of a row,
    /// `None` for a row that counts nowhere.
    pub(crate) fn new(
        records: Vec<OutcomeRec>,
        schools: usize,
        sites: usize,
        mut resolve: impl FnMut(&OutcomeRec) -> Option<(SchoolId, WorkplaceId)>,
    ) -> History {
        let mut h = History {
            site: vec![Tally::default(); sites],
            school_has_history: vec![false; schools],
            ..History::default()
        };
        for r in &records {
            let Some((s, w)) = resolve(r) else { continue };
            h.all.add(r.outcome);
            h.site[w.index()].add(r.outcome);
            h.school_has_history[s.index()] = true;
            let p = h.pair.entry((s, w)).or_default();
            p.tally.add(r.outcome);
            p.seasons.insert(r.season.clone());
        }
        h.records = records;
        h
    }

    /// The rows of `outcomes.csv`, in file order.
    pub fn records(&self) -> &[OutcomeRec] {
        &self.records
    }

    /// The agreements of every school at site `w`.
    pub fn site(&self, w: WorkplaceId) -> Tally {
        self.site.get(w.index()).copied().unwrap_or_default()
    }

    /// The history of school `s` with site `w` (empty when they never worked together).
    pub fn pair(&self, s: SchoolId, w: WorkplaceId) -> Option<&PairHistory> {
        self.pair.get(&(s, w))
    }

    /// The number of seasons school `s` and site `w` have worked together.
    pub fn years(&self, s: SchoolId, w: WorkplaceId) -> usize {
        self.pair(s, w).map_or(0, |p| p.seasons.len())
    }

    /// Whether school `s` has any row at a site of this season: only then
    /// does its partnership component use the years (see
    /// [`crate::scoring::continuity_fit`]).
    pub fn school_has_history(&self, s: SchoolId) -> bool {
        self.school_has_history.get(s.index()).copied().unwrap_or(false)
    }

    /// The agreements at every site of this season.
    pub fn all(&self) -> Tally {
        self.all
    }

    /// The prior completion rate (the mean a site with no history sits at):
    /// completed / finished over every counted agreement, or 1 when none
    /// has finished.
    pub fn prior(&self) -> f64 {
        let a = self.all;
        if a.finished() == 0 {
            1.0
        } else {
            f64::from(a.completed) / f64::from(a.finished())
        }
    }
}
