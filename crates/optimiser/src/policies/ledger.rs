//! Running counts of seats, unreserved seats, site capacity and school caps,
//! for the constructive policies: `fits` says whether one more placement on an
//! arc keeps every upper limit of the model.
//!
//! With rhythms (`dualmatch_core::rhythm`), seats and capacities are counted
//! per day slot: a learner takes a seat only on the days they are at the
//! workplace. At a site with mentors every learner held has a mentor who can
//! guide them (recognised for the programme, present on all their days) and
//! is within `max_learners`. The mentor is chosen when the learner is placed
//! (the one present on the fewest days, then the first in file order) and is
//! not moved afterwards: a different choice could sometimes make room for one
//! more learner, which only the exact policies find
//! ([`crate::mentors::assign`] chooses the final mentors of every policy).

use dualmatch_core::rhythm::{Days, SLOTS};
use dualmatch_core::{LearnerId, MentorId, WorkplaceId};

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
    /// Whether seats and capacities count per day slot (the season has rhythms).
    per_day: bool,
    /// Per group and day slot, the learners held (with rhythms).
    group_day: Vec<u32>,
    /// Per site and day slot, the learners held (with rhythms).
    site_day: Vec<u32>,
    /// Per mentor, the learners guided.
    mentor_load: Vec<u32>,
    /// Per learner, the mentor (at a site with mentors).
    pub mentor: Vec<Option<MentorId>>,
}

/// The limit that one placement too many overflows (for deferred acceptance).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Overflow {
    /// The unreserved seats of the arc's group.
    Open,
    /// The seats of the arc's group (on day slot `Some(d)` with rhythms).
    Seats(Option<usize>),
    /// The site's capacity (on day slot `Some(d)` with rhythms).
    Capacity(Option<usize>),
    /// No mentor of the site with room can guide the learner.
    Mentor,
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
            per_day: s.has_rhythms(),
            group_day: if s.has_rhythms() { vec![0; s.groups().len() * SLOTS] } else { Vec::new() },
            site_day: if s.has_rhythms() { vec![0; s.workplaces().len() * SLOTS] } else { Vec::new() },
            mentor_load: vec![0; s.mentors().len()],
            mentor: vec![None; m.learner_count()],
        }
    }

    fn days(&self, l: LearnerId) -> Days {
        self.m.season.days_of(l)
    }

    /// A mentor of site `w` with room who can guide `l`: the one present on
    /// the fewest days, then the first in file order.
    fn free_mentor(&self, l: LearnerId, w: WorkplaceId) -> Option<MentorId> {
        let s = self.m.season;
        let (p, days) = (s.learner(l).programme, self.days(l));
        s.mentors_of_workplace(w)
            .iter()
            .copied()
            .filter(|&k| s.mentor(k).can_guide(p, days) && self.mentor_load[k.index()] < s.mentor(k).max_learners)
            .min_by_key(|&k| s.mentor(k).days.count())
    }

    /// Whether mentor `k` (of a learner held) could guide learner `l`.
    pub fn could_guide(&self, k: MentorId, l: LearnerId) -> bool {
        let s = self.m.season;
        s.mentor(k).can_guide(s.learner(l).programme, self.days(l))
    }

    /// The first seat limit (unreserved seats, seats, capacity; per day with
    /// rhythms) that the learners held on arc `a`'s group and site exceed
    /// once `extra` more learners with `l`'s days join them, innermost first.
    /// [`Self::overflow`] asks with 0 (`l` already added), [`Self::fits`]
    /// with 1 (`l` not yet added).
    fn over_seats(&self, l: LearnerId, a: usize, extra: u32) -> Option<Overflow> {
        let s = self.m.season;
        let g = self.m.arc_group(a);
        let grp = s.group(g);
        let w = grp.workplace;
        if self.is_open_lane(l, a) && self.open[g.index()] + extra > self.open_limit(a) {
            return Some(Overflow::Open);
        }
        let cap = s.workplace(w).capacity;
        if self.per_day {
            let days = self.days(l);
            if let Some(d) = days.slots().find(|&d| self.group_day[g.index() * SLOTS + d] + extra > grp.seats) {
                return Some(Overflow::Seats(Some(d)));
            }
            if let Some(cap) = cap {
                if let Some(d) = days.slots().find(|&d| self.site_day[w.index() * SLOTS + d] + extra > cap) {
                    return Some(Overflow::Capacity(Some(d)));
                }
            }
        } else {
            if self.group[g.index()] + extra > grp.seats {
                return Some(Overflow::Seats(None));
            }
            if cap.is_some_and(|c| self.site[w.index()] + extra > c) {
                return Some(Overflow::Capacity(None));
            }
        }
        None
    }

    /// The first limit that the learners held on arc `a` (of learner `l`,
    /// just added) overflow, innermost first, or `None`.
    pub fn overflow(&self, l: LearnerId, a: usize) -> Option<Overflow> {
        if let Some(over) = self.over_seats(l, a, 0) {
            return Some(over);
        }
        let s = self.m.season;
        let w = s.group(self.m.arc_group(a)).workplace;
        if self.mentor[l.index()].is_none() && !s.mentors_of_workplace(w).is_empty() {
            return Some(Overflow::Mentor);
        }
        None
    }

    /// Gives learner `l`, held at site `w` without a mentor, a free one.
    pub fn take_mentor(&mut self, l: LearnerId, w: WorkplaceId) {
        if let Some(k) = self.free_mentor(l, w) {
            self.mentor_load[k.index()] += 1;
            self.mentor[l.index()] = Some(k);
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
        if self.over_seats(l, a, 1).is_some() {
            return false;
        }
        let s = self.m.season;
        let w = s.group(self.m.arc_group(a)).workplace;
        if !s.mentors_of_workplace(w).is_empty() && self.free_mentor(l, w).is_none() {
            return false;
        }
        if let Some(b) = self.m.school_bound_of(l) {
            if self.bound[b] >= self.m.constraints.school_bounds[b].max {
                return false;
            }
        }
        true
    }

    /// Places `l` on arc `a` (without checking), with a free mentor when the
    /// site has mentors and one has room ([`Self::overflow`] says when none has).
    pub fn add(&mut self, l: LearnerId, a: usize) {
        let g = self.m.arc_group(a);
        let w = self.m.season.group(g).workplace;
        self.group[g.index()] += 1;
        if self.is_open_lane(l, a) {
            self.open[g.index()] += 1;
        }
        self.site[w.index()] += 1;
        if self.per_day {
            for d in self.days(l).slots() {
                self.group_day[g.index() * SLOTS + d] += 1;
                self.site_day[w.index() * SLOTS + d] += 1;
            }
        }
        self.take_mentor(l, w);
        if let Some(b) = self.m.school_bound_of(l) {
            self.bound[b] += 1;
        }
        self.held[l.index()] = Some(a as u32);
    }

    /// Removes `l` from arc `a`.
    pub fn remove(&mut self, l: LearnerId, a: usize) {
        let g = self.m.arc_group(a);
        let w = self.m.season.group(g).workplace;
        self.group[g.index()] -= 1;
        if self.is_open_lane(l, a) {
            self.open[g.index()] -= 1;
        }
        self.site[w.index()] -= 1;
        if self.per_day {
            for d in self.days(l).slots() {
                self.group_day[g.index() * SLOTS + d] -= 1;
                self.site_day[w.index() * SLOTS + d] -= 1;
            }
        }
        if let Some(k) = self.mentor[l.index()].take() {
            self.mentor_load[k.index()] -= 1;
        }
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
