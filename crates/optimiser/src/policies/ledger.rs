//! Running counts of seats, unreserved seats, site capacity and school caps,
//! for the constructive policies: `fits` says whether one more placement on an
//! arc keeps every upper limit of the model.

use dualmatch_core::LearnerId;

use crate::model::{Assignment, ModelArc, PlacementModel};

/// Upper-limit bookkeeping for a partial assignment.
#[derive(Clone, Debug)]
pub(crate) struct Ledger<'m, 'a> {
    m: &'m PlacementModel<'a>,
    pub group: Vec<u32>,
    pub open: Vec<u32>,
    pub site: Vec<u32>,
    pub bound: Vec<u32>,
    /// Per learner, the arc held.
    pub held: Vec<Option<u32>>,
}

impl<'m, 'a> Ledger<'m, 'a> {
    pub fn new(m: &'m PlacementModel<'a>) -> Self {
        let s = m.season;
        Ledger {
            m,
            group: vec![0; s.groups().len()],
            open: vec![0; s.groups().len()],
            site: vec![0; s.workplaces().len()],
            bound: vec![0; m.constraints.school_bounds.len()],
            held: vec![None; m.learner_count()],
        }
    }

    /// Whether learner `l` would use the unreserved seats of arc `a`'s group.
    pub fn is_open_lane(&self, l: LearnerId, a: usize) -> bool {
        self.m.takes_open_seat(l, self.m.arc_group(a))
    }

    /// Unreserved seats of the group of arc `a` (its seats when nothing is reserved).
    pub fn open_limit(&self, a: usize) -> u32 {
        let g = self.m.arc_group(a);
        self.m.open_seats(g).unwrap_or(self.m.season.group(g).seats)
    }

    /// Whether placing unplaced learner `l` on arc `a` keeps seats, unreserved
    /// seats, site capacity and the school cap.
    pub fn fits(&self, l: LearnerId, a: usize) -> bool {
        let s = self.m.season;
        let g = self.m.arc_group(a);
        let grp = s.group(g);
        if self.group[g.index()] >= grp.seats {
            return false;
        }
        if self.is_open_lane(l, a) && self.open[g.index()] >= self.open_limit(a) {
            return false;
        }
        if let Some(cap) = s.workplace(grp.workplace).capacity {
            if self.site[grp.workplace.index()] >= cap {
                return false;
            }
        }
        if let Some(b) = self.m.school_bound_of(l) {
            if self.bound[b] >= self.m.constraints.school_bounds[b].max {
                return false;
            }
        }
        true
    }

    /// Places `l` on arc `a` (without checking).
    pub fn add(&mut self, l: LearnerId, a: usize) {
        let g = self.m.arc_group(a);
        self.group[g.index()] += 1;
        if self.is_open_lane(l, a) {
            self.open[g.index()] += 1;
        }
        self.site[self.m.season.group(g).workplace.index()] += 1;
        if let Some(b) = self.m.school_bound_of(l) {
            self.bound[b] += 1;
        }
        self.held[l.index()] = Some(a as u32);
    }

    /// Removes `l` from arc `a`.
    pub fn remove(&mut self, l: LearnerId, a: usize) {
        let g = self.m.arc_group(a);
        self.group[g.index()] -= 1;
        if self.is_open_lane(l, a) {
            self.open[g.index()] -= 1;
        }
        self.site[self.m.season.group(g).workplace.index()] -= 1;
        if let Some(b) = self.m.school_bound_of(l) {
            self.bound[b] -= 1;
        }
        self.held[l.index()] = None;
    }

    /// Places every pinned learner; false when some pin does not fit.
    pub fn place_pins(&mut self) -> bool {
        for li in 0..self.m.learner_count() {
            let l = LearnerId::from_index(li);
            if let Some(a) = self.m.pinned(l) {
                if !self.fits(l, a) {
                    return false;
                }
                self.add(l, a);
            }
        }
        true
    }

    /// The assignment held.
    pub fn assignment(&self) -> Assignment {
        Assignment::from_candidates(self.held.iter().map(|h| h.map(|a| self.m.candidate_of(ModelArc(a)))))
    }
}
