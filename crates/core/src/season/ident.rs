//! Ids as dualmatch compares them. Every id, every reference to an id and
//! every tag is put in Unicode Normalization Form C (NFC) when a season is
//! built, and every lookup by id normalises its argument the same way, so
//! that `Pé` typed as `e` + combining accent (NFD, as macOS file names and
//! some exports write it) and as one precomposed `é` (NFC) are one id.
//!
//! Ids that still differ only by case (`P1`, `p1`) or by invisible characters
//! (`L1`, `L1` + zero-width space) are different ids, but they are almost
//! always a mistake: [`look_alikes`] finds them for one grouped warning.

use std::borrow::Cow;
use std::hash::{BuildHasher, Hasher};

use rayon::prelude::*;

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

use super::doc::SeasonDoc;
use crate::text::is_hidden;

/// `s` in Unicode Normalization Form C; borrowed when it already is (always
/// for ASCII).
pub(crate) fn nfc(s: &str) -> Cow<'_, str> {
    if s.is_ascii() || is_nfc_quick(s.chars()) == IsNormalized::Yes {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.nfc().collect())
    }
}

/// Puts `s` in NFC in place.
fn normalise(s: &mut String) {
    if let Cow::Owned(n) = nfc(s) {
        *s = n;
    }
}

/// Puts every id, reference to an id and tag of `doc` in NFC (names and
/// other free text are left as they are).
pub(crate) fn normalise_doc(doc: &mut SeasonDoc) {
    let all = |v: &mut Vec<String>| v.iter_mut().for_each(normalise);
    for r in &mut doc.programmes {
        normalise(&mut r.id);
    }
    for r in &mut doc.schools {
        normalise(&mut r.id);
    }
    for r in &mut doc.learners {
        for s in [&mut r.id, &mut r.school, &mut r.programme] {
            normalise(s);
        }
        all(&mut r.attributes);
        all(&mut r.preferences);
        r.priority_group.iter_mut().for_each(normalise);
    }
    for r in &mut doc.workplaces {
        normalise(&mut r.id);
        all(&mut r.requires);
        all(&mut r.partner_schools);
        all(&mut r.preferences);
    }
    for r in &mut doc.recognitions {
        normalise(&mut r.workplace);
        normalise(&mut r.programme);
    }
    for r in doc.mentors.iter_mut().flatten() {
        normalise(&mut r.id);
        normalise(&mut r.workplace);
        all(&mut r.programmes);
    }
    if let Some(c) = &mut doc.candidates {
        if (0..c.names()).any(|i| !c.name(i).is_ascii()) {
            c.map_ids(|s| nfc(s).into_owned());
        }
    }
    for r in doc.outcomes.iter_mut().flatten() {
        for s in [&mut r.learner, &mut r.workplace, &mut r.programme, &mut r.school] {
            normalise(s);
        }
    }
}

/// What two ids that look alike have in common: the id in lower case
/// without its invisible characters. Borrowed when that is the id itself.
fn fold(id: &str) -> Cow<'_, str> {
    if !id.chars().any(|c| is_hidden(c) || c.is_uppercase()) {
        return Cow::Borrowed(id);
    }
    Cow::Owned(id.chars().filter(|c| !is_hidden(*c)).flat_map(char::to_lowercase).collect())
}

/// An id and the row it is on.
type IdAt<'a> = (&'a str, u64);

/// The groups of ids (with their rows) that differ only by case or by
/// invisible characters, each in input order, the groups in the order in
/// which their second id comes (where the look-alike is first seen). `ids`
/// must be distinct.
///
/// Each id's folded text ([`fold`]) is hashed as it is folded, on every
/// core, and the (hash, position) pairs sorted: look-alikes have equal
/// hashes and end up side by side, where their folded texts are compared.
/// No string is built for an id that has no look-alike (a hash map of the
/// folded texts built one for every id with a capital letter).
pub(crate) fn look_alikes<'a>(ids: impl Iterator<Item = (&'a str, u64)>) -> Vec<Vec<(&'a str, u64)>> {
    look_alikes_hashed(ids, &foldhash::fast::RandomState::default())
}

/// [`look_alikes`] with the hasher of the folded texts (the result does not
/// depend on it; the tests pass one where every text collides).
fn look_alikes_hashed<'a>(
    ids: impl Iterator<Item = (&'a str, u64)>,
    state: &(impl BuildHasher + Sync),
) -> Vec<Vec<(&'a str, u64)>> {
    let ids: Vec<IdAt<'a>> = ids.collect();
    let mut keys: Vec<(u64, usize)> =
        ids.par_iter().enumerate().map(|(i, (id, _))| (folded_hash(state, id), i)).collect();
    keys.par_sort_unstable();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for run in keys.chunk_by(|a, b| a.0 == b.0).filter(|run| run.len() > 1) {
        // Equal hashes: nearly always one folded text, but compare the texts.
        let mut rest: Vec<(Cow<'a, str>, usize)> = run.iter().map(|&(_, i)| (fold(ids[i].0), i)).collect();
        while let Some((head, _)) = rest.first() {
            let head = head.clone();
            let (same, other): (Vec<_>, Vec<_>) = rest.into_iter().partition(|(f, _)| *f == head);
            if same.len() > 1 {
                groups.push(same.into_iter().map(|(_, i)| i).collect());
            }
            rest = other;
        }
    }
    groups.sort_unstable_by_key(|g| g[1]);
    groups.into_iter().map(|g| g.into_iter().map(|i| ids[i]).collect()).collect()
}

/// The hash of `fold(id)`, computed from its characters as they are folded.
fn folded_hash(state: &impl BuildHasher, id: &str) -> u64 {
    let mut h = state.build_hasher();
    for c in id.chars().filter(|c| !is_hidden(*c)).flat_map(char::to_lowercase) {
        h.write_u32(u32::from(c));
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfc_joins_decomposed_accents() {
        let decomposed = "Pe\u{301}";
        assert_eq!(nfc(decomposed), "P\u{e9}");
        assert!(matches!(nfc("P\u{e9}"), Cow::Borrowed(_)));
        assert!(matches!(nfc("L000001"), Cow::Borrowed(_)));
    }

    #[test]
    fn ids_references_tags_and_lookups_meet_in_nfc() {
        use crate::season::doc::*;
        let (nfc, nfd) = ("P\u{e9}", "Pe\u{301}");
        let doc = SeasonDoc {
            mentors: None,
            programmes: vec![ProgrammeRec { rhythm: None, id: nfd.into(), name: "Kok".into(), row: 2 }],
            schools: vec![SchoolRec { rhythm: None, id: "S".into(), name: "S".into(), lat: 51.0, lon: 3.7, row: 2 }],
            learners: vec![LearnerRec {
                rhythm: None,
                id: format!("L-{nfd}"),
                school: "S".into(),
                programme: nfc.into(),
                lat: 51.0,
                lon: 3.7,
                max_commute_km: 10.0,
                readiness: 3,
                screening: Screening::Passed,
                attributes: vec![format!("t{nfd}")],
                preferences: vec![format!("W-{nfc}")],
                priority_group: None,
                row: 2,
            }],
            workplaces: vec![WorkplaceRec {
                id: format!("W-{nfd}"),
                company: "C".into(),
                lat: 51.0,
                lon: 3.7,
                capacity: None,
                min_readiness: 1,
                requires: vec![format!("t{nfc}")],
                partner_schools: vec![],
                preferences: vec![format!("L-{nfc}")],
                row: 2,
            }],
            recognitions: vec![RecognitionRec {
                workplace: format!("W-{nfc}"),
                programme: nfd.into(),
                seats: 1,
                row: 2,
            }],
            candidates: None,
            outcomes: None,
        };
        let loaded = crate::season::from_doc(doc).expect("one programme, learner, site and tag");
        let s = loaded.season;
        assert_eq!(s.programmes()[0].id, nfc);
        assert_eq!(s.tags().len(), 1);
        for form in [nfc, nfd] {
            assert!(s.programme_by_id(form).is_some());
            assert!(s.learner_by_id(&format!("L-{form}")).is_some());
            assert!(s.workplace_by_id(&format!("W-{form}")).is_some());
            assert!(s.tag_by_name(&format!("t{form}")).is_some());
        }
        // The learner's preference (NFC) names the site (NFD) and the site's
        // ranking (NFC) the learner (NFD).
        assert_eq!(s.learners()[0].preferences.len(), 1);
        assert_eq!(s.workplaces()[0].preferences.len(), 1);
    }

    /// [`look_alikes`] as it was written first: a hash map from each folded
    /// id to its first id and group.
    fn look_alikes_by_map<'a>(ids: &[(&'a str, u64)]) -> Vec<Vec<(&'a str, u64)>> {
        let mut first: std::collections::HashMap<Cow<'a, str>, (IdAt<'a>, Option<usize>)> = Default::default();
        let mut groups: Vec<Vec<IdAt<'a>>> = Vec::new();
        for &(id, row) in ids {
            match first.entry(fold(id)) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(((id, row), None));
                }
                std::collections::hash_map::Entry::Occupied(mut o) => {
                    let (head, group) = o.get_mut();
                    match group {
                        Some(g) => groups[*g].push((id, row)),
                        None => {
                            *group = Some(groups.len());
                            groups.push(vec![*head, (id, row)]);
                        }
                    }
                }
            }
        }
        groups
    }

    /// A hasher under which every text collides.
    #[derive(Default)]
    struct Collide;

    impl Hasher for Collide {
        fn finish(&self) -> u64 {
            7
        }
        fn write(&mut self, _: &[u8]) {}
    }

    proptest::proptest! {
        /// Distinct ids from a few letters in both cases, an accented
        /// letter and invisible characters: the sorted hashes group them as
        /// the hash map did, in the same order.
        #[test]
        fn look_alikes_match_the_map(texts in proptest::collection::vec("[aAbBéÉ1\u{200b}\u{feff}]{1,4}", 0..60)) {
            let mut seen = std::collections::HashSet::new();
            let ids: Vec<(&str, u64)> =
                texts.iter().filter(|t| seen.insert(t.as_str())).enumerate().map(|(i, t)| (t.as_str(), i as u64 + 2)).collect();
            let by_map = look_alikes_by_map(&ids);
            proptest::prop_assert_eq!(look_alikes(ids.iter().copied()), by_map.clone());
            let collide = std::hash::BuildHasherDefault::<Collide>::default();
            proptest::prop_assert_eq!(look_alikes_hashed(ids.iter().copied(), &collide), by_map);
        }
    }

    #[test]
    fn ids_that_differ_by_case_or_invisible_characters_are_grouped() {
        let ids = [("P1", 2), ("L1", 3), ("p1", 4), ("L1\u{200b}", 5), ("X", 6), ("P\u{feff}1", 7), ("Pé", 8)];
        let groups = look_alikes(ids.into_iter());
        assert_eq!(groups, vec![vec![("P1", 2), ("p1", 4), ("P\u{feff}1", 7)], vec![("L1", 3), ("L1\u{200b}", 5)]]);
        assert!(look_alikes([("a", 1), ("b", 2), ("É", 3), ("e", 4)].into_iter()).is_empty());
    }
}
