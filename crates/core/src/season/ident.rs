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
use std::collections::HashMap;

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
/// invisible characters, each in input order, the groups in the order of
/// their first id. `ids` must be distinct.
pub(crate) fn look_alikes<'a>(ids: impl Iterator<Item = (&'a str, u64)>) -> Vec<Vec<(&'a str, u64)>> {
    // Per folded id: the first id with it, and its group once there is one.
    let mut first: HashMap<Cow<'a, str>, (IdAt<'a>, Option<usize>)> = HashMap::new();
    let mut groups: Vec<Vec<IdAt<'a>>> = Vec::new();
    for (id, row) in ids {
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

    #[test]
    fn ids_that_differ_by_case_or_invisible_characters_are_grouped() {
        let ids = [("P1", 2), ("L1", 3), ("p1", 4), ("L1\u{200b}", 5), ("X", 6), ("P\u{feff}1", 7), ("Pé", 8)];
        let groups = look_alikes(ids.into_iter());
        assert_eq!(groups, vec![vec![("P1", 2), ("p1", 4), ("P\u{feff}1", 7)], vec![("L1", 3), ("L1\u{200b}", 5)]]);
        assert!(look_alikes([("a", 1), ("b", 2), ("É", 3), ("e", 4)].into_iter()).is_empty());
    }
}
