//! `by-school/`: one private folder per school, with a collision-free
//! name, and `by-school/index.csv`.

use dualmatch::{LearnerId, SchoolId};
use dualmatch_optimiser::rematch::change_counts;
use serde_json::json;

use super::{learner_tables, write_tables, Audience, Outcome};
use crate::output::{Kind, StagedDir, Table};

/// The longest school id that is used as its folder name as it is.
const PLAIN_FOLDER_MAX: usize = 64;
/// The longest readable prefix of an id in a folder name with a hash.
const FOLDER_PREFIX_MAX: usize = 40;

/// True if `id` can be its own folder name on every file system: 1 to 64
/// ASCII letters, digits, `-` and `_`, not starting with `-`, and not a name
/// Windows reserves for a device.
fn is_plain_folder(id: &str) -> bool {
    const RESERVED: [&str; 4] = ["con", "prn", "aux", "nul"];
    let lower = id.to_ascii_lowercase();
    let device = RESERVED.contains(&lower.as_str())
        || (lower.len() == 4
            && (lower.starts_with("com") || lower.starts_with("lpt"))
            && lower.as_bytes()[3].is_ascii_digit());
    (1..=PLAIN_FOLDER_MAX).contains(&id.len())
        && !id.starts_with('-')
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !device
}

/// The folder of each school under `by-school/`, in season order: the id
/// itself when it [is plain](is_plain_folder) and no other id equals it but
/// for case; otherwise a readable prefix of the id (letters, digits, `-` and
/// `_`, anything else as `_`, at most 40 characters) and the first 8 hex
/// digits of the SHA-256 of the exact id, such as `a_b-3f2a9c01`. Names are
/// distinct even where case is ignored (Windows, macOS): should two still
/// meet, the later school takes 16 hex digits, then a counter. The same ids
/// give the same names on every platform and in every version.
fn folder_names(ids: &[&str]) -> Vec<String> {
    use sha2::{Digest, Sha256};
    use std::collections::{HashMap, HashSet};
    use std::fmt::Write as _;
    let mut by_case: HashMap<String, usize> = HashMap::new();
    for id in ids {
        *by_case.entry(id.to_lowercase()).or_default() += 1;
    }
    let plain = |id: &str| is_plain_folder(id) && by_case[&id.to_lowercase()] == 1;
    let mut used: HashSet<String> = ids.iter().filter(|id| plain(id)).map(|id| id.to_ascii_lowercase()).collect();
    let mut names = Vec::with_capacity(ids.len());
    for id in ids {
        if plain(id) {
            names.push(id.to_string());
            continue;
        }
        let mut hash = String::with_capacity(64);
        for b in Sha256::digest(id.as_bytes()) {
            let _ = write!(hash, "{b:02x}");
        }
        let mut prefix: String = id
            .chars()
            .take(FOLDER_PREFIX_MAX)
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
            .collect();
        if prefix.starts_with('-') {
            prefix.replace_range(..1, "_");
        }
        let with = |h: &str| if prefix.is_empty() { h.to_string() } else { format!("{prefix}-{h}") };
        let name = [with(&hash[..8]), with(&hash[..16])]
            .into_iter()
            .chain((2u64..).map(|k| format!("{}-{k}", with(&hash[..16]))))
            .find(|n| !used.contains(&n.to_ascii_lowercase()))
            .expect("an unused name among infinitely many");
        used.insert(name.to_ascii_lowercase());
        names.push(name);
    }
    names
}

/// `by-school/<folder>/` for every school, with that school's own learners
/// only, and `by-school/index.csv`, which maps each school to its folder
/// ([`folder_names`]).
pub(super) fn write_by_school(dir: &StagedDir, r: &Outcome, xlsx: bool) -> anyhow::Result<()> {
    let s = r.season;
    let ids: Vec<&str> = s.schools().iter().map(|x| x.id.as_str()).collect();
    let folders = folder_names(&ids);
    for (si, school) in s.schools().iter().enumerate() {
        let to = Audience::School(SchoolId::from_index(si));
        let mine = |l: LearnerId| to.sees(s, l);
        let learners = (0..s.learners().len()).filter(|&l| mine(LearnerId::from_index(l))).count();
        let placed = r
            .solved
            .assignment
            .placement
            .iter()
            .enumerate()
            .filter(|(l, p)| p.is_some() && mine(LearnerId::from_index(*l)))
            .count();
        let mut v = json!({ "school": school.id, "name": school.name, "learners": learners, "placed": placed, "unplaced": learners - placed });
        if let Some(changes) = r.changes {
            v["changes"] = json!(change_counts(changes.iter().filter(|ch| mine(ch.learner))));
        }
        let base = format!("by-school/{}/", folders[si]);
        write_tables(dir, &base, &learner_tables(r, to), &v, xlsx, true)?;
    }
    let index = Table::new("index", [("school", Kind::Text), ("name", Kind::Text), ("folder", Kind::Text)], |sink| {
        for (school, folder) in s.schools().iter().zip(&folders) {
            sink(&[school.id.clone(), school.name.clone(), folder.clone()])?;
        }
        Ok(())
    });
    dir.write("by-school/index.csv", |w| index.write_csv(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_are_distinct_bounded_and_inside() {
        let long = "x".repeat(300);
        let ids = [
            "S01", "a_b", "a|b", "a*b", "A_B", "s02", "S02", "..", ".", "", "CON", "con.txt", "LPT1", "a/b", "a\\b",
            "a\0b", " a ", "-x", &long, "Kök",
        ];
        let names = folder_names(&ids);
        let lower: std::collections::HashSet<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
        assert_eq!(lower.len(), ids.len(), "{names:?}");
        for n in &names {
            assert!(!n.is_empty() && n.len() <= PLAIN_FOLDER_MAX, "{n}");
            assert!(n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{n}");
            assert!(!n.starts_with('-'), "{n}");
        }
        // Plain ids keep their name; others get a readable prefix and a hash.
        assert_eq!(names[0], "S01");
        assert_eq!(names[1].len(), "a_b-".len() + 8);
        assert!(names[1].starts_with("a_b-") && names[2].starts_with("a_b-") && names[4].starts_with("A_B-"));
        assert!(names[10].starts_with("CON-") && names[12].starts_with("LPT1-"));
        // Stable across versions and platforms: the SHA-256 of the id.
        assert_eq!(names[2], "a_b-0eab8a0a");
        assert_eq!(folder_names(&ids), names);
    }

    #[test]
    fn hashed_names_step_aside_for_plain_ids() {
        let taken = folder_names(&["a|b"])[0].clone();
        let names = folder_names(&["a|b", &taken]);
        assert_eq!(names[1], taken);
        assert_ne!(names[0].to_ascii_lowercase(), taken.to_ascii_lowercase());
        assert_eq!(names[0].len(), "a_b-".len() + 16);
    }
}
