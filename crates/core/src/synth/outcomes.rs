//! A synthetic `outcomes.csv`: how the agreements of past seasons ended, so
//! that the trust component has something to learn from.
//!
//! For each past season, each learner of the document stands in for a past
//! learner of the same school and programme, living in the same place, with
//! probability [`PLACED_SHARE`]: placed at one of the five nearest sites
//! recognised for the programme within the commute, at random. The
//! agreement ends early with probability
//!
//! ```text
//! p = 0.06 + 0.07 * (4 - readiness) + 0.12 * min(1, km / 30) + 0.30 * troubled(site)
//! ```
//!
//! where a fifth of the sites, drawn once from the seed, are troubled (a
//! mentor who keeps leaving, a company in difficulty). So learners who were
//! not yet ready, long commutes and some sites end early more often, and
//! `trust` tells those sites apart. The same document and seed always give
//! the same rows; the other tables are not touched.

use std::collections::HashMap;

use rand::Rng;

use super::generator::stage_rng;
use crate::geo::{haversine_km, GeoPoint};
use crate::season::doc::{Outcome, OutcomeRec, SeasonDoc};

/// The stream of the outcomes, apart from every stage of [`super::generate`].
const STAGE_OUTCOMES: u64 = 40;
/// The share of learners that stand in for a past learner in each past season.
pub const PLACED_SHARE: f64 = 0.6;
/// The share of sites that are troubled.
pub const TROUBLED_SHARE: f64 = 0.2;
/// Sites considered for a past learner: the nearest this many.
const NEAREST: usize = 5;

/// The probability that an agreement ends early (see the module documentation).
pub fn early_end_probability(readiness: u8, km: f64, troubled: bool) -> f64 {
    let r = f64::from(4u8.saturating_sub(readiness.clamp(1, 4)));
    0.06 + 0.07 * r + 0.12 * (km / 30.0).min(1.0) + if troubled { 0.30 } else { 0.0 }
}

/// Outcome rows for `seasons` past seasons before `doc`'s, labelled
/// `2021-2022` and so on up to the last season before the current one
/// (taken as `2025-2026`). Deterministic in `doc` and `seed`.
pub fn past_outcomes(doc: &SeasonDoc, seed: u64, seasons: usize) -> Vec<OutcomeRec> {
    let mut rng = stage_rng(seed, STAGE_OUTCOMES, 0);
    let troubled: Vec<bool> = doc.workplaces.iter().map(|_| rng.gen_bool(TROUBLED_SHARE)).collect();
    let site_ix: HashMap<&str, usize> = doc.workplaces.iter().enumerate().map(|(i, w)| (w.id.as_str(), i)).collect();
    let mut by_programme: HashMap<&str, Vec<usize>> = HashMap::new();
    for r in &doc.recognitions {
        if let Some(&i) = site_ix.get(r.workplace.as_str()) {
            by_programme.entry(r.programme.as_str()).or_default().push(i);
        }
    }
    let at: Vec<GeoPoint> = doc.workplaces.iter().map(|w| GeoPoint::new(w.lat, w.lon)).collect();
    let mut rows = Vec::new();
    for k in 0..seasons {
        let start = 2025 - seasons + k;
        let label = format!("{start}-{}", start + 1);
        for (n, l) in doc.learners.iter().enumerate() {
            if !rng.gen_bool(PLACED_SHARE) {
                continue;
            }
            let home = GeoPoint::new(l.lat, l.lon);
            let mut near: Vec<(f64, usize)> = by_programme
                .get(l.programme.as_str())
                .into_iter()
                .flatten()
                .map(|&i| (haversine_km(home, at[i]), i))
                .filter(|(d, _)| *d <= l.max_commute_km)
                .collect();
            if near.is_empty() {
                continue;
            }
            near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            near.truncate(NEAREST);
            let (km, i) = near[rng.gen_range(0..near.len())];
            let p = early_end_probability(l.readiness, km, troubled[i]);
            let ended = rng.gen_bool(p.clamp(0.0, 1.0));
            let reason = ended.then(|| {
                if troubled[i] && rng.gen_bool(0.7) {
                    if rng.gen_bool(0.5) {
                        "mentor_left"
                    } else {
                        "company_closed"
                    }
                } else if l.readiness <= 2 && rng.gen_bool(0.6) {
                    "learner_not_ready"
                } else if km > 20.0 {
                    "commute_too_long"
                } else {
                    "other"
                }
                .to_string()
            });
            rows.push(OutcomeRec {
                season: label.clone(),
                learner: format!("H{start}-{:06}", n + 1),
                workplace: doc.workplaces[i].id.clone(),
                programme: l.programme.clone(),
                school: l.school.clone(),
                outcome: if ended { Outcome::EndedEarly } else { Outcome::Completed },
                reason,
                row: 0,
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{generate, Preset, SynthParams};

    #[test]
    fn past_outcomes_are_deterministic_load_and_end_early_more_at_troubled_sites_and_for_unready_learners() {
        let doc = generate(&SynthParams::preset(Preset::Flanders, 3));
        let rows = past_outcomes(&doc, 3, 3);
        assert_eq!(rows, past_outcomes(&doc, 3, 3));
        assert!(rows.len() > doc.learners.len(), "about 0.6 × 3 per learner: {}", rows.len());
        let mut with = doc.clone();
        with.outcomes = Some(rows.clone());
        let s = crate::season::from_doc(with).expect("outcomes of generated seasons load").season;
        assert!(s.history().unwrap().all().finished() as usize == rows.len());
        // Early-ending rate by readiness: the least ready end early more often.
        let ready: HashMap<&str, u8> = doc.learners.iter().map(|l| (l.id.as_str(), l.readiness)).collect();
        let rate = |pick: &dyn Fn(&OutcomeRec) -> bool| {
            let sel: Vec<&OutcomeRec> = rows.iter().filter(|r| pick(r)).collect();
            sel.iter().filter(|r| r.outcome == Outcome::EndedEarly).count() as f64 / sel.len().max(1) as f64
        };
        let readiness_of = |r: &OutcomeRec| ready[format!("L{}", &r.learner[6..]).as_str()];
        let low = rate(&|r| readiness_of(r) == 1);
        let high = rate(&|r| readiness_of(r) == 4);
        assert!(low > high + 0.1, "readiness 1: {low}, readiness 4: {high}");
        assert!(early_end_probability(4, 0.0, true) > early_end_probability(4, 0.0, false));
        assert!(early_end_probability(4, 30.0, false) > early_end_probability(4, 1.0, false));
    }
}
