//! Mentors and rhythms for a generated season (`dualmatch generate
//! --mentors --rhythms`), added to a document after it is generated, from
//! their own seeded stream, so that a season's other tables are the same
//! with and without them.
//!
//! - **Rhythms**: the season uses [`SEASON_PATTERNS`] of [`PATTERNS`];
//!   schools are grouped into regions (bands of up to
//!   [`SCHOOLS_PER_REGION`] schools from west to east); each region uses 2
//!   to 4 of the season's patterns, and each school one of its region's.
//! - **Mentors**: every recognised site gets 1 to 3 mentors; at a site with
//!   several programmes the first mentor is recognised for all of them, each
//!   other mentor for all or for one;
//!   the site's seats are shared out as the mentors' workloads (one more
//!   than an even share, so mentors seldom bind alone); three mentors in
//!   four are present every day, the others on four days.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::season::doc::{MentorRec, SeasonDoc};

/// Rhythm patterns that regions choose from: blocks of days, and
/// alternating weeks.
pub const PATTERNS: [&str; 7] =
    ["mon;tue", "wed;thu", "thu;fri", "mon;tue;wed", "tue;wed", "mon1;tue1;wed1;thu1;fri1", "mon2;tue2;wed2;thu2;fri2"];

/// Rhythm patterns in one season (at most).
pub const SEASON_PATTERNS: usize = 4;

/// Schools per region.
pub const SCHOOLS_PER_REGION: usize = 6;

/// Days of a mentor who is not there every day.
const MENTOR_DAYS: [&str; 3] = ["mon;tue;wed;thu", "tue;wed;thu;fri", "mon;wed;thu;fri"];

/// Gives every school a rhythm (2 to 4 patterns per region, of the
/// season's [`SEASON_PATTERNS`]).
pub fn add_rhythms(doc: &mut SeasonDoc, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5259_5448_4d53);
    let mut order: Vec<usize> = (0..doc.schools.len()).collect();
    order.sort_by(|&a, &b| doc.schools[a].lon.total_cmp(&doc.schools[b].lon).then(a.cmp(&b)));
    let season: Vec<&str> = PATTERNS.choose_multiple(&mut rng, SEASON_PATTERNS).copied().collect();
    for region in order.chunks(SCHOOLS_PER_REGION) {
        let k = rng.gen_range(2..=4);
        let patterns: Vec<&str> = season.choose_multiple(&mut rng, k).copied().collect();
        for &s in region {
            doc.schools[s].rhythm = Some(patterns[rng.gen_range(0..patterns.len())].to_string());
        }
    }
}

/// Adds `mentors.csv`: 1 to 3 mentors per recognised site.
pub fn add_mentors(doc: &mut SeasonDoc, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x4d45_4e54_4f52);
    let mut mentors = Vec::new();
    for w in &doc.workplaces {
        let recs: Vec<_> = doc.recognitions.iter().filter(|r| r.workplace == w.id).collect();
        if recs.is_empty() {
            continue;
        }
        let seats: u32 = recs.iter().map(|r| r.seats).sum::<u32>().min(w.capacity.unwrap_or(u32::MAX));
        let count = rng.gen_range(1..=3u32);
        for k in 0..count {
            // The first mentor guides every programme of the site.
            let programmes = if k > 0 && recs.len() > 1 && rng.gen_bool(0.5) {
                vec![recs[rng.gen_range(0..recs.len())].programme.clone()]
            } else {
                vec![]
            };
            let days = (rng.gen_range(0..4) == 0).then(|| MENTOR_DAYS[rng.gen_range(0..MENTOR_DAYS.len())].to_string());
            mentors.push(MentorRec {
                id: format!("{}-M{}", w.id, k + 1),
                workplace: w.id.clone(),
                programmes,
                max_learners: seats.div_ceil(count) + 1,
                days,
                row: mentors.len() as u64 + 2,
            });
        }
    }
    doc.mentors = Some(mentors);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::season::from_doc;
    use crate::synth::{generate, Preset, SynthParams};

    #[test]
    fn generated_mentors_and_rhythms_are_valid_and_varied() {
        let mut doc = generate(&SynthParams::preset(Preset::Tiny, 3));
        add_rhythms(&mut doc, 3);
        add_mentors(&mut doc, 3);
        let season = from_doc(doc.clone()).expect("valid").season;
        assert!(season.has_rhythms());
        let per_site = season.workplaces().len();
        assert!((1..=3 * per_site).contains(&season.mentors().len()));
        for w in 0..per_site {
            let n = season.mentors_of_workplace(crate::WorkplaceId::from_index(w)).len();
            assert!(n <= 3);
        }
        // Every recognition has a mentor who can guide its programme.
        for g in season.groups() {
            let at = season.mentors_of_workplace(g.workplace);
            assert!(at.iter().any(|&k| season.mentor(k).recognised_for(g.programme)));
        }
        let patterns: std::collections::BTreeSet<_> = doc.schools.iter().map(|s| s.rhythm.clone()).collect();
        assert!((2..=SEASON_PATTERNS).contains(&patterns.len()), "{patterns:?}");
        // Deterministic.
        let mut again = generate(&SynthParams::preset(Preset::Tiny, 3));
        add_rhythms(&mut again, 3);
        add_mentors(&mut again, 3);
        assert_eq!(again, doc);
    }
}
