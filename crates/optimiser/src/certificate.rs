//! A certificate of optimality that anyone can check without the solver:
//! a solution of the dual of the assignment problem's linear programme.
//!
//! The primal, over every usable pair `a` of learner `l` at recognition `g`
//! of site `w` (weight `c_a = round(score × 10⁶) + bonus`), is
//!
//! ```text
//! max Σ c_a x_a   subject to, with x ≥ 0,
//!   Σ_{a of l} x_a ≤ 1                      (learner l)        dual u_l
//!   Σ_{a at g} x_a ≤ seats_g                (seats of g)        dual p_g
//!   Σ_{a at g, l outside g's priority group} x_a ≤ open_g      dual o_g
//!   Σ_{a at w} x_a ≤ room_w = min(capacity_w, Σ seats at w)    dual q_w
//!   Σ_{a at w} x_a ≥ min_w                  (hard site minimum) dual μ_w
//!   Σ_{a of school b's learners} x_a ≤ max_b, ≥ min_b          duals β_b, α_b
//!   x_a ≥ 1                                 (pinned pair)       dual π_l
//! ```
//!
//! Every dual is at least 0, and for every usable pair
//! `u_l + p_g + [outsider] o_g + q_w − μ_w + β_b − α_b − [pinned] π_l ≥ c_a`.
//! Then the dual objective `D = Σ u + Σ seats·p + Σ open·o + Σ room·q −
//! Σ min_w·μ + Σ max·β − Σ min_b·α − Σ π` bounds the total weight of every
//! assignment that meets the constraints (weak duality), so an assignment
//! whose total weight equals `D` is optimal. [`check`] verifies exactly
//! this, from the season, the candidates and the constraints alone.
//!
//! With a placement bonus `M` larger than the sum of every learner's best
//! weight, the optimum of `Σ (w + M) x` is the max-placed optimum (most
//! placed, then the best score).

use dualmatch_core::scoring::Candidates;
use dualmatch_core::season::Screening;
use dualmatch_core::{GroupId, LearnerId, Season, WorkplaceId};

use crate::constraints::Constraints;
use crate::model::weight;

/// What a dual value belongs to (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dual {
    /// `u_l`: learner `l` is placed at most once.
    Learner(LearnerId),
    /// `p_g`: the seats of recognition `g`.
    Seats(GroupId),
    /// `o_g`: the seats of `g` open to learners outside its priority group.
    OpenSeats(GroupId),
    /// `q_w`: the room of site `w` (its capacity, or its seats when fewer).
    Room(WorkplaceId),
    /// `μ_w`: the hard minimum group size of site `w`.
    SiteMin(WorkplaceId),
    /// `β_b`: the cap of school bound `b` (an index into the constraints'
    /// `school_bounds`).
    SchoolCap(usize),
    /// `α_b`: the floor of school bound `b`.
    SchoolFloor(usize),
    /// `π_l`: learner `l`'s pinned pair.
    Pin(LearnerId),
}

impl Dual {
    /// The dual as a (kind, index) pair of numbers, for files that carry
    /// certificates between processes (the parts of a sharded match).
    pub fn code(self) -> (u8, u64) {
        match self {
            Dual::Learner(l) => (0, l.index() as u64),
            Dual::Seats(g) => (1, g.index() as u64),
            Dual::OpenSeats(g) => (2, g.index() as u64),
            Dual::Room(w) => (3, w.index() as u64),
            Dual::SiteMin(w) => (4, w.index() as u64),
            Dual::SchoolCap(b) => (5, b as u64),
            Dual::SchoolFloor(b) => (6, b as u64),
            Dual::Pin(l) => (7, l.index() as u64),
        }
    }

    /// The dual of a [`Dual::code`], when its index lies within `sizes`:
    /// learners, recognitions, sites and school bounds.
    pub fn from_code(kind: u8, index: u64, sizes: [usize; 4]) -> Option<Dual> {
        let [learners, groups, sites, bounds] = sizes;
        let i = usize::try_from(index).ok()?;
        let within = |n: usize| (i < n).then_some(i);
        Some(match kind {
            0 => Dual::Learner(LearnerId::from_index(within(learners)?)),
            1 => Dual::Seats(GroupId::from_index(within(groups)?)),
            2 => Dual::OpenSeats(GroupId::from_index(within(groups)?)),
            3 => Dual::Room(WorkplaceId::from_index(within(sites)?)),
            4 => Dual::SiteMin(WorkplaceId::from_index(within(sites)?)),
            5 => Dual::SchoolCap(within(bounds)?),
            6 => Dual::SchoolFloor(within(bounds)?),
            7 => Dual::Pin(LearnerId::from_index(within(learners)?)),
            _ => return None,
        })
    }
}

/// A dual solution: the nonzero duals, sorted, in integer weight units, and
/// the placement bonus of the objective.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Certificate {
    /// Added to every placement's weight (0 for max-fit; the max-placed
    /// big-M otherwise).
    pub bonus: i64,
    /// The nonzero duals, sorted by what they belong to.
    pub duals: Vec<(Dual, i64)>,
}

/// What [`check`] found when the certificate holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checked {
    /// The dual objective `D`: an upper bound on the total weight (with the
    /// bonus) of any assignment meeting the constraints.
    pub bound: i128,
    /// The total weight (with the bonus) of the placements checked.
    pub total: i128,
    /// Usable pairs whose dual constraint was checked.
    pub pairs: usize,
}

/// Why a certificate does not prove the placements optimal.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// A dual is negative, or belongs to a constraint that is not set.
    #[error("dual {0}")]
    Dual(String),
    /// The dual constraint of a usable pair is violated.
    #[error("dual constraint of the pair {learner}–{workplace} ({programme}) fails: the duals sum to {sum}, below its weight {weight}")]
    Pair {
        /// Learner id.
        learner: String,
        /// Site id.
        workplace: String,
        /// Programme id.
        programme: String,
        /// The sum of the duals on the pair.
        sum: i128,
        /// The pair's weight with the bonus.
        weight: i128,
    },
    /// The bound does not equal the placements' total weight.
    #[error("the dual bound {bound} does not equal the placements' total weight {total} (in 1e-6 score units)")]
    Gap {
        /// The dual objective.
        bound: i128,
        /// The placements' total weight.
        total: i128,
    },
}

impl Certificate {
    /// The value of `d` (0 when not listed).
    pub fn get(&self, d: Dual) -> i64 {
        self.duals.binary_search_by_key(&d, |x| x.0).map_or(0, |i| self.duals[i].1)
    }

    /// Sorts the duals and drops the zeros.
    pub fn normalise(&mut self) {
        self.duals.retain(|x| x.1 != 0);
        self.duals.sort_unstable();
    }
}

/// The file a result directory keeps the certificate in.
pub const FILE: &str = "certificate.csv";

/// The columns of [`FILE`].
pub const COLUMNS: [&str; 4] = ["constraint", "id", "programme", "value"];

impl Certificate {
    /// The certificate as rows of [`COLUMNS`]: the placement bonus first
    /// (`bonus`), then every nonzero dual named by ids: `learner` (learner),
    /// `seats` and `open_seats` (site, programme), `room` and `site_min`
    /// (site), `school_cap` and `school_floor` (school, programme), `pin`
    /// (learner); values in integer weight units (10⁻⁶ score points).
    pub fn to_rows(&self, s: &Season, c: &Constraints) -> Vec<[String; 4]> {
        let grp = |g: GroupId| {
            let g = s.group(g);
            (s.workplace(g.workplace).id.clone(), s.programme(g.programme).id.clone())
        };
        let bound = |b: usize| {
            let b = c.school_bounds[b];
            (s.school(b.school).id.clone(), s.programme(b.programme).id.clone())
        };
        let mut out = vec![["bonus".into(), String::new(), String::new(), self.bonus.to_string()]];
        for &(d, v) in &self.duals {
            let (kind, (id, p)) = match d {
                Dual::Learner(l) => ("learner", (s.learner(l).id.clone(), String::new())),
                Dual::Seats(g) => ("seats", grp(g)),
                Dual::OpenSeats(g) => ("open_seats", grp(g)),
                Dual::Room(w) => ("room", (s.workplace(w).id.clone(), String::new())),
                Dual::SiteMin(w) => ("site_min", (s.workplace(w).id.clone(), String::new())),
                Dual::SchoolCap(b) => ("school_cap", bound(b)),
                Dual::SchoolFloor(b) => ("school_floor", bound(b)),
                Dual::Pin(l) => ("pin", (s.learner(l).id.clone(), String::new())),
            };
            out.push([kind.into(), id, p, v.to_string()]);
        }
        out
    }
}

/// Reads the rows of [`Certificate::to_rows`] (with their line numbers)
/// back; an unknown id or kind, or a value that is not an integer, is an
/// error naming the line.
pub fn from_rows(s: &Season, c: &Constraints, rows: &[(usize, [String; 4])]) -> Result<Certificate, String> {
    let mut cert = Certificate::default();
    for (line, [kind, id, p, v]) in rows {
        let err = |what: String| format!("line {line}: {what}");
        let value: i64 = v.trim().parse().map_err(|_| err(format!("value {v:?} is not an integer")))?;
        let learner = || s.learner_by_id(id).ok_or_else(|| err(format!("unknown learner {id:?}")));
        let site = || s.workplace_by_id(id).ok_or_else(|| err(format!("unknown workplace {id:?}")));
        let group = || {
            let w = site()?;
            let prog = s.programme_by_id(p).ok_or_else(|| err(format!("unknown programme {p:?}")))?;
            s.group_of(w, prog).ok_or_else(|| err(format!("{id} is not recognised for {p}")))
        };
        let bound = || {
            let (sc, prog) = (s.school_by_id(id), s.programme_by_id(p));
            c.school_bounds
                .iter()
                .position(|b| Some(b.school) == sc && Some(b.programme) == prog)
                .ok_or_else(|| err(format!("no [[school]] bound for {id} in {p}")))
        };
        let d = match kind.as_str() {
            "bonus" => {
                cert.bonus = value;
                continue;
            }
            "learner" => Dual::Learner(learner()?),
            "seats" => Dual::Seats(group()?),
            "open_seats" => Dual::OpenSeats(group()?),
            "room" => Dual::Room(site()?),
            "site_min" => Dual::SiteMin(site()?),
            "school_cap" => Dual::SchoolCap(bound()?),
            "school_floor" => Dual::SchoolFloor(bound()?),
            "pin" => Dual::Pin(learner()?),
            other => return Err(err(format!("unknown constraint {other:?}"))),
        };
        if cert.duals.iter().any(|x| x.0 == d) {
            return Err(err(format!("{kind} {id} {p} is listed twice")));
        }
        cert.duals.push((d, value));
    }
    cert.duals.sort_unstable();
    Ok(cert)
}

/// The room of site `w`: its capacity, or the seats of its recognitions when fewer.
fn room(s: &Season, w: WorkplaceId) -> i128 {
    let seats: i128 = s.groups_of_workplace(w).iter().map(|g| i128::from(s.group(*g).seats)).sum();
    s.workplace(w).capacity.map_or(seats, |c| seats.min(i128::from(c)))
}

/// Checks that `cert` proves `placement` (per learner, the recognition, in
/// learner order) optimal for the objective with weights `round(score ×
/// 10⁶) + cert.bonus`, reading only the season, the candidates and the
/// constraints: every dual is at least 0 and belongs to a constraint that is
/// set, every usable pair's dual constraint holds, and the dual objective
/// equals the placements' total weight. The placements' own feasibility is
/// checked elsewhere (weak duality needs it).
pub fn check(
    s: &Season,
    candidates: &Candidates,
    constraints: &Constraints,
    placement: &[Option<GroupId>],
    cert: &Certificate,
) -> Result<Checked, CertificateError> {
    let pinned = |l: LearnerId| constraints.pins.iter().find(|p| p.0 == l).map(|p| p.1);
    let bound_of = |l: LearnerId| {
        let x = s.learner(l);
        constraints.school_bounds.iter().position(|b| b.school == x.school && b.programme == x.programme)
    };
    let reserve_of = |g: GroupId| constraints.reserves.iter().find(|r| r.group == g);
    let mut bound: i128 = 0;
    for &(d, v) in &cert.duals {
        let bad = |why: &str| Err(CertificateError::Dual(format!("{d:?} = {v}: {why}")));
        if v < 0 {
            return bad("negative");
        }
        let v = i128::from(v);
        bound += match d {
            Dual::Learner(_) => v,
            Dual::Seats(g) => v * i128::from(s.group(g).seats),
            Dual::OpenSeats(g) => match reserve_of(g) {
                Some(r) => v * i128::from(s.group(g).seats - r.seats.min(s.group(g).seats)),
                None => return bad("the recognition reserves no seats"),
            },
            Dual::Room(w) => v * room(s, w),
            Dual::SiteMin(w) => match constraints.site_minimum(w) {
                Some(x) if !x.allow_empty => -v * i128::from(x.min),
                _ => return bad("the site has no hard minimum"),
            },
            Dual::SchoolCap(b) => match constraints.school_bounds.get(b) {
                Some(x) if x.max != u32::MAX => v * i128::from(x.max),
                _ => return bad("no such school cap"),
            },
            Dual::SchoolFloor(b) => match constraints.school_bounds.get(b) {
                Some(x) => -v * i128::from(x.min),
                None => return bad("no such school floor"),
            },
            Dual::Pin(l) => match pinned(l) {
                Some(_) => -v,
                None => return bad("the learner is not pinned"),
            },
        };
    }
    let min_score = constraints.min_score.unwrap_or(f64::NEG_INFINITY);
    let bonus = i128::from(cert.bonus);
    let mut total: i128 = 0;
    let mut pairs = 0;
    for (li, x) in s.learners().iter().enumerate() {
        let l = LearnerId::from_index(li);
        let (u, bnd) = (i128::from(cert.get(Dual::Learner(l))), bound_of(l));
        let school =
            bnd.map_or(0, |b| i128::from(cert.get(Dual::SchoolCap(b))) - i128::from(cert.get(Dual::SchoolFloor(b))));
        for c in candidates.ids_of(l) {
            let g = candidates.group_of(c);
            let w = s.group(g).workplace;
            let score = candidates.score_of(c);
            let c_a = i128::from(weight(score)) + bonus;
            if placement[li] == Some(g) {
                total += c_a;
            }
            if x.screening != Screening::Passed || score < min_score || constraints.is_forbidden(l, w) {
                continue;
            }
            pairs += 1;
            let outsider = reserve_of(g).is_some_and(|r| x.priority_group != Some(r.priority_group));
            let mut sum = u + school + i128::from(cert.get(Dual::Seats(g))) + i128::from(cert.get(Dual::Room(w)))
                - i128::from(cert.get(Dual::SiteMin(w)));
            if outsider {
                sum += i128::from(cert.get(Dual::OpenSeats(g)));
            }
            if pinned(l) == Some(w) {
                sum -= i128::from(cert.get(Dual::Pin(l)));
            }
            if sum < c_a {
                return Err(CertificateError::Pair {
                    learner: x.id.clone(),
                    workplace: s.workplace(w).id.clone(),
                    programme: s.programme(s.group(g).programme).id.clone(),
                    sum,
                    weight: c_a,
                });
            }
        }
    }
    if bound != total {
        return Err(CertificateError::Gap { bound, total });
    }
    Ok(Checked { bound, total, pairs })
}
