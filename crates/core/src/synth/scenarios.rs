//! Scenario sweeps: one season per scarcity level and number of schools.

use std::fmt;

use super::generator::{apportion, generate};
use super::SynthParams;
use crate::season::doc::SeasonDoc;

/// One point of a scenario sweep: the parameters generated and the total
/// seats per learner the season is scaled to (see [`scale_seats`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// `scarcity-{seat_ratio:.2}-schools-{schools}`, e.g. `scarcity-0.80-schools-10`.
    pub name: String,
    /// The parameters generated (the base parameters with this number of schools).
    pub params: SynthParams,
    /// Target total seats per learner.
    pub seat_ratio: f64,
}

/// Why a scenario sweep cannot be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadScenario(pub String);

impl fmt::Display for BadScenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadScenario {}

impl Scenario {
    /// The sweep over every (scarcity, schools) pair, scarcity varying
    /// fastest. Fails on a seat ratio that is not above 0 or not finite, on 0
    /// schools, and on two points with the same name (ratios that agree to
    /// two decimals, or a repeated number of schools).
    pub fn grid(base: &SynthParams, scarcity: &[f64], schools: &[usize]) -> Result<Vec<Scenario>, BadScenario> {
        if let Some(r) = scarcity.iter().find(|r| !r.is_finite() || **r <= 0.0) {
            return Err(BadScenario(format!(
                "seat ratio {r} must be a finite number above 0 (a season without seats places nobody)"
            )));
        }
        if schools.contains(&0) {
            return Err(BadScenario("the number of schools must be at least 1".into()));
        }
        let mut out: Vec<Scenario> = Vec::with_capacity(scarcity.len() * schools.len());
        for &n in schools {
            for &ratio in scarcity {
                let name = format!("scarcity-{ratio:.2}-schools-{n}");
                if out.iter().any(|s| s.name == name) {
                    return Err(BadScenario(format!(
                        "two scenarios would be called {name:?}; give seat ratios that differ in the first two \
                         decimals and distinct numbers of schools"
                    )));
                }
                out.push(Scenario { name, params: SynthParams { schools: n, ..base.clone() }, seat_ratio: ratio });
            }
        }
        Ok(out)
    }

    /// Generates the season: [`generate`] with [`Self::params`], then
    /// [`scale_seats`] to [`Self::seat_ratio`], then [`drop_seatless`].
    pub fn generate(&self) -> SeasonDoc {
        let mut doc = generate(&self.params);
        scale_seats(&mut doc, self.seat_ratio);
        drop_seatless(&mut doc);
        doc
    }
}

/// Removes the recognitions that have no seat (after [`scale_seats`]), the
/// sites left without a recognition, and those sites from the learners'
/// preferences, renumbering rows: a generated season has no recognition
/// that nobody can be placed at.
pub fn drop_seatless(doc: &mut SeasonDoc) {
    doc.recognitions.retain(|r| r.seats > 0);
    let recognised: std::collections::HashSet<String> = doc.recognitions.iter().map(|r| r.workplace.clone()).collect();
    doc.workplaces.retain(|w| recognised.contains(&w.id));
    for l in &mut doc.learners {
        l.preferences.retain(|w| recognised.contains(w));
    }
    for (i, r) in doc.recognitions.iter_mut().enumerate() {
        r.row = i as u64 + 2;
    }
    for (i, w) in doc.workplaces.iter_mut().enumerate() {
        w.row = i as u64 + 2;
    }
}

/// Total seats per learner of a document (0 without learners).
pub fn seat_ratio(doc: &SeasonDoc) -> f64 {
    let seats: u64 = doc.recognitions.iter().map(|r| u64::from(r.seats)).sum();
    if doc.learners.is_empty() {
        0.0
    } else {
        seats as f64 / doc.learners.len() as f64
    }
}

/// Rescales the seats of `doc` so that there are `ratio` seats per learner in
/// total, and in each programme (as nearly as whole seats allow): the total
/// `round(ratio × learners)` is split over the programmes that have a
/// recognition in proportion to their learners, then each programme's share
/// over its recognitions in proportion to their current seats (equally when
/// they have none), both by largest remainder (ties to the earlier programme
/// or recognition). The total is exact when some programme with learners has
/// a recognition. Recognitions may end with 0 seats (a warning when
/// validated). A site's capacity is scaled by the same factor as its seats
/// (rounded, at least 1), so that capacities bind about as often as before.
/// Deterministic; nothing else in the document changes.
///
/// # Panics
///
/// When `ratio` is negative or not finite.
pub fn scale_seats(doc: &mut SeasonDoc, ratio: f64) {
    assert!(ratio.is_finite() && ratio >= 0.0, "seat ratio {ratio} must be a finite number of at least 0");
    let programme_ix: std::collections::HashMap<&str, usize> =
        doc.programmes.iter().enumerate().map(|(i, p)| (p.id.as_str(), i)).collect();
    let np = doc.programmes.len();
    let mut learners = vec![0u64; np];
    for l in &doc.learners {
        if let Some(&p) = programme_ix.get(l.programme.as_str()) {
            learners[p] += 1;
        }
    }
    let mut recs_of: Vec<Vec<usize>> = vec![Vec::new(); np];
    for (ri, r) in doc.recognitions.iter().enumerate() {
        if let Some(&p) = programme_ix.get(r.programme.as_str()) {
            recs_of[p].push(ri);
        }
    }
    let total = (ratio * doc.learners.len() as f64).round() as u64;
    let weights: Vec<f64> = (0..np).map(|p| if recs_of[p].is_empty() { 0.0 } else { learners[p] as f64 }).collect();
    let shares = if weights.iter().any(|w| *w > 0.0) { apportion(total, &weights) } else { vec![0; np] };
    let mut old_site: std::collections::HashMap<&str, (u64, u64)> = std::collections::HashMap::new();
    let mut new_seats = vec![0u32; doc.recognitions.len()];
    for p in 0..np {
        let current: Vec<f64> = recs_of[p].iter().map(|&ri| f64::from(doc.recognitions[ri].seats)).collect();
        for (&ri, k) in recs_of[p].iter().zip(apportion(shares[p], &current)) {
            new_seats[ri] = u32::try_from(k).unwrap_or(u32::MAX);
        }
    }
    for (r, &k) in doc.recognitions.iter().zip(&new_seats) {
        let e = old_site.entry(r.workplace.as_str()).or_default();
        e.0 += u64::from(r.seats);
        e.1 += u64::from(k);
    }
    let factor: std::collections::HashMap<String, f64> = old_site
        .into_iter()
        .filter(|(_, (old, _))| *old > 0)
        .map(|(w, (old, new))| (w.to_string(), new as f64 / old as f64))
        .collect();
    for (r, k) in doc.recognitions.iter_mut().zip(new_seats) {
        r.seats = k;
    }
    for w in &mut doc.workplaces {
        if let (Some(cap), Some(f)) = (w.capacity, factor.get(&w.id)) {
            w.capacity = Some(((f64::from(cap) * f).round() as u32).max(1));
        }
    }
}

/// One season per (scarcity, schools) pair of [`Scenario::grid`], named as the
/// scenarios are, in that order. Deterministic in its arguments; seasons with
/// the same number of schools share the generated document before scaling.
pub fn scenarios(
    base: &SynthParams,
    scarcity: &[f64],
    schools: &[usize],
) -> Result<Vec<(String, SeasonDoc)>, BadScenario> {
    let grid = Scenario::grid(base, scarcity, schools)?;
    let mut out = Vec::with_capacity(grid.len());
    let mut cached: Option<(usize, SeasonDoc)> = None;
    for sc in grid {
        let doc = match &cached {
            Some((n, doc)) if *n == sc.params.schools => doc.clone(),
            _ => {
                let doc = generate(&sc.params);
                cached = Some((sc.params.schools, doc.clone()));
                doc
            }
        };
        let mut doc = doc;
        scale_seats(&mut doc, sc.seat_ratio);
        drop_seatless(&mut doc);
        out.push((sc.name, doc));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::season;

    fn base() -> SynthParams {
        SynthParams { learners: 1_200, workplaces: 900, schools: 5, programmes: 8, seed: 11 }
    }

    #[test]
    fn names_ratios_schools_and_validity() {
        let scarcity = [0.6, 0.8, 1.0, 1.2];
        let schools = [3, 10];
        let out = scenarios(&base(), &scarcity, &schools).unwrap();
        assert_eq!(out.len(), 8);
        let mut k = 0;
        for &n in &schools {
            for &r in &scarcity {
                let (name, doc) = &out[k];
                assert_eq!(name, &format!("scarcity-{r:.2}-schools-{n}"));
                assert_eq!(doc.schools.len(), n, "{name}");
                let got = seat_ratio(doc);
                assert!((got - r).abs() <= 0.01 * r, "{name}: ratio {got}");
                assert_eq!(doc.learners.len(), 1_200);
                season::from_doc(doc.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
                k += 1;
            }
        }
        assert_eq!(out[1].0, "scarcity-0.80-schools-3");
        assert_eq!(Scenario::grid(&base(), &[0.8], &[10]).unwrap()[0].name, "scarcity-0.80-schools-10");
    }

    #[test]
    fn each_programme_gets_the_ratio_and_totals_are_exact() {
        let doc = &scenarios(&base(), &[0.75], &[4]).unwrap()[0].1;
        let seats: u64 = doc.recognitions.iter().map(|r| u64::from(r.seats)).sum();
        assert_eq!(seats, 900); // round(0.75 × 1200)
        for p in &doc.programmes {
            let l = doc.learners.iter().filter(|l| l.programme == p.id).count() as f64;
            let s: u64 = doc.recognitions.iter().filter(|r| r.programme == p.id).map(|r| u64::from(r.seats)).sum();
            assert!((s as f64 - 0.75 * l).abs() <= 1.0, "{}: {s} seats for {l} learners", p.id);
        }
    }

    #[test]
    fn deterministic_and_only_seats_and_capacities_change() {
        let a = scenarios(&base(), &[0.6, 1.2], &[5]).unwrap();
        let b = scenarios(&base(), &[0.6, 1.2], &[5]).unwrap();
        assert_eq!(a, b);
        let plain = generate(&base());
        for (_, doc) in &a {
            // The learners, with only the preferences for sites that keep a seat.
            let mut learners = plain.learners.clone();
            for l in &mut learners {
                l.preferences.retain(|w| doc.workplaces.iter().any(|x| x.id == *w));
            }
            assert_eq!(doc.learners, learners);
            assert_eq!(doc.schools, plain.schools);
            // The recognitions with seats, in the generated order; no recognition without seats.
            assert!(doc.recognitions.iter().all(|r| r.seats > 0));
            let mut plain_recs = plain.recognitions.iter();
            for x in &doc.recognitions {
                assert!(plain_recs.any(|y| (&x.workplace, &x.programme) == (&y.workplace, &y.programme)));
            }
            // The sites that keep a recognition, with their preferences.
            let mut plain_sites = plain.workplaces.iter();
            for x in &doc.workplaces {
                let y = plain_sites.find(|y| y.id == x.id).unwrap();
                assert_eq!(x.capacity.is_some(), y.capacity.is_some());
                assert_eq!(x.preferences, y.preferences);
                assert!(doc.recognitions.iter().any(|r| r.workplace == x.id));
            }
            assert!(season::from_doc(doc.clone()).unwrap().warnings.iter().all(|w| !w.message.starts_with("0 seats")));
        }
        // Scaling to the generated ratio changes little; to itself, nothing.
        let mut again = a[0].1.clone();
        scale_seats(&mut again, seat_ratio(&a[0].1));
        assert_eq!(again.recognitions, a[0].1.recognitions);
        // At 0.6 seats per learner, some recognitions of the plain season have no seat left.
        let mut scaled = plain.clone();
        scale_seats(&mut scaled, 0.6);
        assert!(
            scaled.recognitions.iter().any(|r| r.seats == 0) && a[0].1.recognitions.len() < plain.recognitions.len()
        );
    }

    #[test]
    fn bad_sweeps_are_refused() {
        assert!(scenarios(&base(), &[-0.1], &[5]).is_err());
        assert!(scenarios(&base(), &[f64::NAN], &[5]).is_err());
        assert!(scenarios(&base(), &[0.8], &[0]).is_err());
        let e = scenarios(&base(), &[0.801, 0.799], &[5]).unwrap_err();
        assert!(e.to_string().contains("scarcity-0.80-schools-5"), "{e}");
        assert!(scenarios(&base(), &[], &[5]).unwrap().is_empty());
        // Zero seats per learner is refused: such a season places nobody.
        let e = scenarios(&base(), &[0.0], &[5]).unwrap_err();
        assert!(e.to_string().contains("must be a finite number above 0"), "{e}");
    }
}
