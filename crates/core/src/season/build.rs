//! Validation: turning a [`SeasonDoc`] into a [`Season`], checking ids,
//! references and consistency, and reporting every problem found.

use std::collections::HashMap;
use std::hash::BuildHasher;

use super::diag::{Diagnostics, OriginKind, Severity, TableOrigin};
use super::doc::{SeasonDoc, TableName};
use super::ident;
use super::model::*;
use super::model::{FastMap, IdMap};
use super::read::ReadOutcome;
use crate::csr::Csr;
use crate::geo::GeoPoint;
use crate::ids::*;
use crate::rhythm::Days;
use crate::text::quoted as q;

mod plausible;

/// Shorthands for reporting against the origin of each table.
struct Reporter<'a> {
    out: &'a ReadOutcome,
    diags: &'a mut Diagnostics,
    default: HashMap<TableName, TableOrigin>,
}

impl<'a> Reporter<'a> {
    fn origin(&self, t: TableName) -> &TableOrigin {
        self.out.origin(t).unwrap_or_else(|| &self.default[&t])
    }

    /// "line 4" or "learners[3]": where a row is, for cross-references in messages.
    fn where_(&self, t: TableName, row: u64) -> String {
        match &self.origin(t).kind {
            OriginKind::Csv => format!("line {row}"),
            OriginKind::Json { table } => format!("{table}[{row}]"),
            OriginKind::Sheet { sheet } => format!("sheet '{sheet}' row {row}"),
        }
    }

    /// How to name a table in a hint: its file or its JSON array.
    fn table_label(&self, t: TableName) -> String {
        match &self.origin(t).kind {
            OriginKind::Csv => t.file_name(),
            OriginKind::Json { table } => format!("the \"{table}\" array"),
            OriginKind::Sheet { sheet } => format!("sheet '{sheet}'"),
        }
    }

    fn error(&mut self, t: TableName, row: u64, field: &str, msg: String) {
        let d = self.origin(t).at(Severity::Error, row, Some(field), msg);
        self.diags.push(d);
    }

    fn warn(&mut self, t: TableName, row: u64, field: Option<&str>, msg: String) {
        let d = self.origin(t).at(Severity::Warning, row, field, msg);
        self.diags.push(d);
    }

    /// Resolves a reference, reporting unknown ids (unless the target row was
    /// itself rejected, which is already reported).
    fn resolve<I: Copy, S: BuildHasher>(
        &mut self,
        map: &HashMap<String, I, S>,
        target: TableName,
        what: &str,
        id: &str,
        at: (TableName, u64, &str),
    ) -> Option<I> {
        if let Some(i) = super::model::by_id(map, id) {
            return Some(i);
        }
        if !self.out.is_broken(target, id) {
            let label = self.table_label(target);
            self.error(
                at.0,
                at.1,
                at.2,
                format!("unknown {what} {}: no such id in {label}; add it there or correct the id", q(id)),
            );
        }
        None
    }
}

/// Interns ids of one table, reporting duplicates. Returns the map and, per
/// record, whether it is the first with its id (duplicates are dropped).
fn intern_ids<'r, I: Copy>(
    rep: &mut Reporter,
    table: TableName,
    what: &str,
    recs: impl Iterator<Item = (&'r str, u64)>,
    make: impl Fn(usize) -> I,
) -> (IdMap<I>, Vec<bool>) {
    let n = recs.size_hint().0;
    let mut map: IdMap<I> = IdMap::with_capacity_and_hasher(n, Default::default());
    let mut first_row: FastMap<&str, u64> = FastMap::with_capacity_and_hasher(n, Default::default());
    let mut keep = Vec::with_capacity(n);
    for (id, row) in recs {
        if id.is_empty() {
            keep.push(false);
            continue;
        }
        if let Some(prev) = first_row.get(id) {
            let w = rep.where_(table, *prev);
            rep.error(
                table,
                row,
                "id",
                format!("duplicate {what} id {}, first defined at {w}; ids must be unique", q(id)),
            );
            keep.push(false);
        } else {
            first_row.insert(id, row);
            map.insert(id.to_string(), make(map.len()));
            keep.push(true);
        }
    }
    (map, keep)
}

/// How many look-alike groups one warning shows.
const LOOK_ALIKE_EXAMPLES: usize = 3;

/// One warning for all the ids of a table (those `keep`s) that differ only by
/// case or by invisible characters, with the count and a few examples.
fn warn_look_alikes<'r>(
    rep: &mut Reporter,
    table: TableName,
    what: &str,
    recs: impl Iterator<Item = (&'r str, u64)>,
    keep: &[bool],
) {
    let groups = ident::look_alikes(recs.zip(keep).filter(|(_, k)| **k).map(|(r, _)| r));
    if groups.is_empty() {
        return;
    }
    let ids: usize = groups.iter().map(Vec::len).sum();
    let examples: Vec<String> = groups
        .iter()
        .take(LOOK_ALIKE_EXAMPLES)
        .map(|g| {
            let shown: Vec<String> =
                g.iter().take(3).map(|(id, row)| format!("{} ({})", q(id), rep.where_(table, *row))).collect();
            shown.join(", ")
        })
        .collect();
    let more = if groups.len() > LOOK_ALIKE_EXAMPLES { "; …" } else { "" };
    let mut d = rep.origin(table).whole(
        Severity::Warning,
        format!(
            "{ids} {what} ids in {} group{} differ only by case or by invisible characters, for example {}{more}; \
             they are different {what}s to dualmatch: make each group one id if they are meant to be the same, \
             or rename them so that they are told apart",
            groups.len(),
            if groups.len() == 1 { "" } else { "s" },
            examples.join("; "),
        ),
    );
    d.field = Some("id".to_string());
    rep.diags.push(d);
}

fn intern(tags: &mut Vec<String>, map: &mut IdMap<TagId>, name: &str) -> TagId {
    if let Some(t) = map.get(name) {
        return *t;
    }
    let t = TagId::from_index(tags.len());
    tags.push(name.to_string());
    map.insert(name.to_string(), t);
    t
}

/// Validates `doc` and builds the season. Errors and warnings go to `diags`;
/// returns `None` when there is any error.
pub(crate) fn build(mut doc: SeasonDoc, out: &ReadOutcome, diags: &mut Diagnostics) -> Option<Season> {
    // Ids in NFC, and the ids of rejected rows too, so that references match.
    ident::normalise_doc(&mut doc);
    let normalised;
    let out = if out.broken_ids.iter().flatten().all(|id| matches!(ident::nfc(id), std::borrow::Cow::Borrowed(_))) {
        out
    } else {
        normalised = ReadOutcome {
            broken_ids: out.broken_ids.clone().map(|ids| ids.iter().map(|id| ident::nfc(id).into_owned()).collect()),
            unusable: out.unusable.clone(),
            plain_rows: out.plain_rows,
            origins: out.origins.clone(),
        };
        &normalised
    };
    let default =
        TableName::ALL.into_iter().map(|t| (t, TableOrigin { file: t.file_name(), kind: OriginKind::Csv })).collect();
    let mut rep = Reporter { out, diags, default };
    use TableName as T;

    // Ids.
    let (programme_ix, keep_p) = intern_ids(
        &mut rep,
        T::Programmes,
        "programme",
        doc.programmes.iter().map(|r| (r.id.as_str(), r.row)),
        ProgrammeId::from_index,
    );
    let (school_ix, keep_s) = intern_ids(
        &mut rep,
        T::Schools,
        "school",
        doc.schools.iter().map(|r| (r.id.as_str(), r.row)),
        SchoolId::from_index,
    );
    let (learner_ix, keep_l) = intern_ids(
        &mut rep,
        T::Learners,
        "learner",
        doc.learners.iter().map(|r| (r.id.as_str(), r.row)),
        LearnerId::from_index,
    );
    let (workplace_ix, keep_w) = intern_ids(
        &mut rep,
        T::Workplaces,
        "workplace",
        doc.workplaces.iter().map(|r| (r.id.as_str(), r.row)),
        WorkplaceId::from_index,
    );

    warn_look_alikes(
        &mut rep,
        T::Programmes,
        "programme",
        doc.programmes.iter().map(|r| (r.id.as_str(), r.row)),
        &keep_p,
    );
    warn_look_alikes(&mut rep, T::Schools, "school", doc.schools.iter().map(|r| (r.id.as_str(), r.row)), &keep_s);
    warn_look_alikes(&mut rep, T::Learners, "learner", doc.learners.iter().map(|r| (r.id.as_str(), r.row)), &keep_l);
    warn_look_alikes(
        &mut rep,
        T::Workplaces,
        "workplace",
        doc.workplaces.iter().map(|r| (r.id.as_str(), r.row)),
        &keep_w,
    );

    let programmes: Vec<Programme> = doc
        .programmes
        .iter()
        .zip(&keep_p)
        .filter(|(_, k)| **k)
        .map(|(r, _)| Programme { id: r.id.clone(), name: r.name.clone() })
        .collect();
    let schools: Vec<School> = doc
        .schools
        .iter()
        .zip(&keep_s)
        .filter(|(_, k)| **k)
        .map(|(r, _)| School { id: r.id.clone(), name: r.name.clone(), location: GeoPoint::new(r.lat, r.lon) })
        .collect();

    let ids = Ids { programme: programme_ix, school: school_ix, learner: learner_ix, workplace: workplace_ix };
    let mut names = Names::default();
    let learners = learners(&mut rep, &doc, &keep_l, &ids, &mut names);
    let workplaces = workplaces(&mut rep, &doc, &keep_w, &ids, &mut names);
    let rec = recognitions(&mut rep, &doc, &ids, workplaces.len());
    let candidates = candidates(&mut rep, &doc, &ids, &rec, &learners, &programmes);
    let history = history(&mut rep, &mut doc, &ids, schools.len(), workplaces.len());
    let (mentors, mentor_ix, wp_mentors) = mentors(&mut rep, &doc, &ids, &rec);
    let (days, rhythms) = learner_days(&mut rep, &doc, &keep_l, &keep_s, &keep_p, &learners);

    // Consistency warnings.
    let wp_groups = Csr::from_pairs(
        workplaces.len(),
        rec.groups.iter().enumerate().map(|(i, g)| (g.workplace.index(), GroupId::from_index(i))),
    );
    let prog_groups = Csr::from_pairs(
        programmes.len(),
        rec.groups.iter().enumerate().map(|(i, g)| (g.programme.index(), GroupId::from_index(i))),
    );
    unreferenced_workplaces(&mut rep, &doc, &keep_w, &rec.wp_referenced);
    // Warnings that would only echo an error (placeholder values) wait for a clean season.
    if !rep.diags.has_errors() {
        seat_warnings(&mut rep, &doc, &rec, &workplaces, &programmes, &learners, &prog_groups);
    }

    if rep.diags.has_errors() {
        return None;
    }
    let Names { tags, tag_ix, priority_groups, .. } = names;
    let index = Index {
        programme: ids.programme,
        school: ids.school,
        learner: ids.learner,
        workplace: ids.workplace,
        tag: tag_ix,
        group: rec.group_ix,
        wp_groups,
        prog_groups,
        mentor: IdMap::default(),
        wp_mentors: Csr::default(),
    };
    let groups = rec.groups;
    let index = Index { mentor: mentor_ix, wp_mentors, ..index };
    let season = Season {
        programmes,
        schools,
        learners,
        workplaces,
        groups,
        tags,
        priority_groups,
        candidates,
        history,
        mentors,
        days,
        rhythms,
        index,
    };
    let kept =
        |rows: Vec<u64>, keep: &[bool]| rows.into_iter().zip(keep).filter(|(_, k)| **k).map(|(r, _)| r).collect();
    let rows = plausible::Rows {
        schools: kept(doc.schools.iter().map(|r| r.row).collect(), &keep_s),
        learners: kept(doc.learners.iter().map(|r| r.row).collect(), &keep_l),
        workplaces: kept(doc.workplaces.iter().map(|r| r.row).collect(), &keep_w),
        groups: rec.group_row,
    };
    plausible::check(&mut rep, &doc, &season, &rows);
    Some(season)
}

/// The interned ids of the tables that others refer to.
struct Ids {
    programme: IdMap<ProgrammeId>,
    school: IdMap<SchoolId>,
    learner: IdMap<LearnerId>,
    workplace: IdMap<WorkplaceId>,
}

/// Tag and priority-group names, interned as they are met.
#[derive(Default)]
struct Names {
    tags: Vec<String>,
    tag_ix: IdMap<TagId>,
    priority_groups: Vec<String>,
    pg_ix: IdMap<TagId>,
}

/// A preference list as written (`W03=W01;W02`: items separated by `;`,
/// equally ranked ids within an item joined by `=`), resolved into ids and
/// the 1-based rank of each (the position of its tie group). An item that is
/// itself a known id is taken whole, so an id containing `=` still works.
/// Unknown ids are errors; a repeated id is warned about and its first
/// mention counts; a tie group left empty by them does not take a rank.
fn ranked_list<I: Copy + PartialEq, S: BuildHasher>(
    rep: &mut Reporter,
    map: &HashMap<String, I, S>,
    items: &[String],
    (target, what): (TableName, &str),
    (table, row): (TableName, u64),
) -> (Vec<I>, Vec<u32>) {
    let (mut ids, mut ranks) = (Vec::with_capacity(items.len()), Vec::with_capacity(items.len()));
    let mut rank = 0u32;
    for item in items {
        let whole = super::model::by_id(map, item).is_some();
        let names: Vec<&str> = if whole {
            vec![item.as_str()]
        } else {
            item.split('=').map(str::trim).filter(|s| !s.is_empty()).collect()
        };
        let mut opened = false;
        for name in names {
            let Some(x) = rep.resolve(map, target, what, name, (table, row, "preferences")) else { continue };
            if ids.contains(&x) {
                rep.warn(
                    table,
                    row,
                    Some("preferences"),
                    format!("{what} {} is listed twice; the first mention counts", q(name)),
                );
            } else {
                if !opened {
                    rank += 1;
                    opened = true;
                }
                ids.push(x);
                ranks.push(rank);
            }
        }
    }
    (ids, ranks)
}

/// The learners that were kept (unique ids), with their references resolved.
fn learners(rep: &mut Reporter, doc: &SeasonDoc, keep_l: &[bool], ids: &Ids, names: &mut Names) -> Vec<Learner> {
    use TableName as T;
    let (learner_ix, school_ix, programme_ix, workplace_ix) =
        (&ids.learner, &ids.school, &ids.programme, &ids.workplace);
    let Names { tags, tag_ix, priority_groups, pg_ix } = names;
    // Preferences are resolved after workplaces are known; ids already are.
    let mut learners = Vec::with_capacity(learner_ix.len());
    for (r, _) in doc.learners.iter().zip(keep_l).filter(|(_, k)| **k) {
        let at = |f| (T::Learners, r.row, f);
        let school = rep.resolve(school_ix, T::Schools, "school", &r.school, at("school"));
        let programme = rep.resolve(programme_ix, T::Programmes, "programme", &r.programme, at("programme"));
        let mut attributes: Vec<TagId> = r.attributes.iter().map(|a| intern(tags, tag_ix, a)).collect();
        attributes.sort_unstable();
        attributes.dedup();
        let (preferences, preference_ranks) =
            ranked_list(rep, workplace_ix, &r.preferences, (T::Workplaces, "workplace"), (T::Learners, r.row));
        let priority_group = r.priority_group.as_deref().map(|g| PriorityGroupId(intern(priority_groups, pg_ix, g).0));
        learners.push(Learner {
            id: r.id.clone(),
            school: school.unwrap_or(SchoolId(0)),
            programme: programme.unwrap_or(ProgrammeId(0)),
            location: GeoPoint::new(r.lat, r.lon),
            max_commute_km: r.max_commute_km,
            readiness: r.readiness,
            screening: r.screening,
            attributes,
            preferences,
            preference_ranks,
            priority_group,
        });
    }

    learners
}

/// The workplaces that were kept (unique ids), with their references resolved.
fn workplaces(rep: &mut Reporter, doc: &SeasonDoc, keep_w: &[bool], ids: &Ids, names: &mut Names) -> Vec<Workplace> {
    use TableName as T;
    let (learner_ix, school_ix, workplace_ix) = (&ids.learner, &ids.school, &ids.workplace);
    let Names { tags, tag_ix, .. } = names;
    let mut workplaces = Vec::with_capacity(workplace_ix.len());
    for (r, _) in doc.workplaces.iter().zip(keep_w).filter(|(_, k)| **k) {
        let at = |f| (T::Workplaces, r.row, f);
        let mut requires: Vec<TagId> = r.requires.iter().map(|a| intern(tags, tag_ix, a)).collect();
        requires.sort_unstable();
        requires.dedup();
        let mut partner_schools = Vec::new();
        for s in &r.partner_schools {
            if let Some(s) = rep.resolve(school_ix, T::Schools, "school", s, at("partner_schools")) {
                if !partner_schools.contains(&s) {
                    partner_schools.push(s);
                }
            }
        }
        let (preferences, preference_ranks) =
            ranked_list(rep, learner_ix, &r.preferences, (T::Learners, "learner"), (T::Workplaces, r.row));
        workplaces.push(Workplace {
            id: r.id.clone(),
            company: r.company.clone(),
            location: GeoPoint::new(r.lat, r.lon),
            capacity: r.capacity,
            min_readiness: r.min_readiness,
            requires,
            partner_schools,
            preferences,
            preference_ranks,
        });
    }
    workplaces
}

/// The recognitions, with their index and where each came from.
struct Recognitions {
    groups: Vec<Group>,
    group_ix: FastMap<(WorkplaceId, ProgrammeId), GroupId>,
    /// Per group: its row.
    group_row: Vec<u64>,
    /// Per kept workplace: whether a recognition names it.
    wp_referenced: Vec<bool>,
}

/// The recognitions, each (workplace, programme) once.
fn recognitions(rep: &mut Reporter, doc: &SeasonDoc, ids: &Ids, workplaces: usize) -> Recognitions {
    use TableName as T;
    let (programme_ix, workplace_ix) = (&ids.programme, &ids.workplace);
    let mut groups = Vec::with_capacity(doc.recognitions.len());
    let mut group_ix: FastMap<(WorkplaceId, ProgrammeId), GroupId> =
        FastMap::with_capacity_and_hasher(doc.recognitions.len(), Default::default());
    let mut group_row: Vec<u64> = Vec::new();
    let mut wp_referenced = vec![false; workplaces];
    for r in &doc.recognitions {
        let at = |f| (T::Recognitions, r.row, f);
        let w = rep.resolve(workplace_ix, T::Workplaces, "workplace", &r.workplace, at("workplace"));
        let p = rep.resolve(programme_ix, T::Programmes, "programme", &r.programme, at("programme"));
        if let Some(w) = w {
            wp_referenced[w.index()] = true;
        }
        let (Some(w), Some(p)) = (w, p) else { continue };
        if let Some(g) = group_ix.get(&(w, p)) {
            let first = rep.where_(T::Recognitions, group_row[g.index()]);
            rep.error(
                T::Recognitions,
                r.row,
                "programme",
                format!("workplace {} is recognised for programme {} twice (first at {first}); merge the rows and add up the seats", q(&r.workplace), q(&r.programme)),
            );
            continue;
        }
        let g = GroupId::from_index(groups.len());
        group_ix.insert((w, p), g);
        group_row.push(r.row);
        groups.push(Group { workplace: w, programme: p, seats: r.seats });
    }
    Recognitions { groups, group_ix, group_row, wp_referenced }
}

/// The season's own candidates (`candidates.csv`), each pair once.
///
/// Two passes. The first, in parallel, finds the pair of every row whose
/// ids resolve, whose site is recognised for the programme and whose
/// learner is in that programme (most rows). The second, in file order,
/// drops repeated pairs and reads every other row as a single pass did
/// before: so the diagnostics are the same, in the same order.
fn candidates(
    rep: &mut Reporter,
    doc: &SeasonDoc,
    ids: &Ids,
    rec: &Recognitions,
    learners: &[Learner],
    programmes: &[Programme],
) -> Option<Vec<Candidate>> {
    use rayon::prelude::*;
    use TableName as T;
    let (learner_ix, programme_ix, workplace_ix) = (&ids.learner, &ids.programme, &ids.workplace);
    let (group_ix, out) = (&rec.group_ix, rep.out);
    doc.candidates.as_ref().map(|table| {
        // What each distinct id text resolves to, per column, worked out
        // once by whichever thread meets it first.
        let names = table.names() as usize;
        let (known_l, known_w, known_p) = (unknown(names), unknown(names), unknown(names));
        // Per workplace id text: the first programme met with it and the
        // recognition of the two (most sites have one programme: no hashing).
        let known_g: Vec<std::sync::OnceLock<(ProgrammeId, Option<GroupId>)>> = unknown(names);
        // Pass 1: the pair of each row that has no problem (else `none`).
        let none = Candidate { learner: LearnerId(u32::MAX), group: GroupId(0), score: 0.0 };
        let mut list: Vec<Candidate> = table
            .rows()
            .par_iter()
            .with_min_len(1 << 12)
            .map(|c| {
                let [il, iw, ip] = c.ids;
                let pair = (|| {
                    let l = lookup(&known_l, learner_ix, table, il)?;
                    let w = lookup(&known_w, workplace_ix, table, iw)?;
                    let p = lookup(&known_p, programme_ix, table, ip)?;
                    let group = |p| group_ix.get(&(w, p)).copied();
                    let (first, g) = *known_g[iw as usize].get_or_init(|| (p, group(p)));
                    let g = if first == p { g } else { group(p) }?;
                    (l != none.learner && learners[l.index()].programme == p).then_some((l, g))
                })();
                pair.map_or(none, |(learner, group)| Candidate { learner, group, score: c.score })
            })
            .collect();
        // Pass 2, in file order: the rows of pass 1 into the front of
        // `list`, each pair once; the others read in full.
        let mut seen = SeenPairs::new(learners.len(), rec.groups.len());
        // The rows not kept (a problem, a repeat), in order: they give the
        // row of each kept pair ([`kept_row`]), for the warning about a repeat.
        let mut skipped: Vec<usize> = Vec::new();
        let mut kept = 0;
        for (i, (c, row)) in table.lines().enumerate() {
            let (l, g) = if list[i].learner != none.learner {
                (list[i].learner, list[i].group)
            } else {
                let at = |f| (T::Candidates, row, f);
                let [il, iw, ip] = c.ids;
                let (learner, workplace, programme) = (table.name(il), table.name(iw), table.name(ip));
                let l = resolved(&known_l, il).or_else(|| {
                    rep.resolve(learner_ix, T::Learners, "learner", learner, at("learner"))
                });
                let w = resolved(&known_w, iw).or_else(|| {
                    rep.resolve(workplace_ix, T::Workplaces, "workplace", workplace, at("workplace"))
                });
                let p = resolved(&known_p, ip).or_else(|| {
                    rep.resolve(programme_ix, T::Programmes, "programme", programme, at("programme"))
                });
                let (Some(l), Some(w), Some(p)) = (l, w, p) else {
                    skipped.push(i);
                    continue;
                };
                let Some(&g) = group_ix.get(&(w, p)) else {
                    if !out.is_broken(T::Recognitions, "") {
                        let label = rep.table_label(T::Recognitions);
                        rep.error(T::Candidates, row, "workplace", format!("workplace {} is not recognised for programme {} in {label}; add the recognition or drop the row", q(workplace), q(programme)));
                    }
                    skipped.push(i);
                    continue;
                };
                let lp = learners[l.index()].programme;
                if lp != p && !out.is_broken(T::Learners, learner) {
                    rep.error(T::Candidates, row, "programme", format!("learner {} is in programme {}, not {}; a learner can only be placed in their own programme", q(learner), q(&programmes[lp.index()].id), q(programme)));
                    skipped.push(i);
                    continue;
                }
                (l, g)
            };
            if let Some(k) = seen.find(l, g, &list[..kept]) {
                let w_ = rep.where_(T::Candidates, table.line(kept_row(&skipped, k)));
                let (learner, workplace) = (table.name(c.ids[0]), table.name(c.ids[1]));
                rep.warn(T::Candidates, row, None, format!("pair {}–{} appears again (first at {w_}); the highest score is kept", q(learner), q(workplace)));
                if c.score > list[k].score {
                    list[k].score = c.score;
                }
                skipped.push(i);
                continue;
            }
            seen.insert(l, g, kept);
            list[kept] = Candidate { learner: l, group: g, score: c.score };
            kept += 1;
        }
        list.truncate(kept);
        list
    })
}

/// The index in the table of the `k`-th row kept (from 0), when the rows
/// not kept are `skipped` (ascending): the row `r = k + j` with `j` rows
/// skipped before it, so `j` is the first index with `skipped[j] − j > k`
/// (`skipped[j] − j` does not decrease).
fn kept_row(skipped: &[usize], k: usize) -> usize {
    let (mut lo, mut hi) = (0, skipped.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if skipped[mid] - mid <= k {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    k + lo
}

/// Per distinct id text of a [`CandidateTable`](super::doc::CandidateTable):
/// what it resolves to, once known.
type Known<I> = Vec<std::sync::OnceLock<Option<I>>>;

/// Nothing known yet about `names` id texts.
fn unknown<T>(names: usize) -> Vec<std::sync::OnceLock<T>> {
    (0..names).map(|_| std::sync::OnceLock::new()).collect()
}

/// What id text `i` of `table` resolves to in `map`, worked out once (by
/// whichever thread meets it first).
fn lookup<I: Copy, S: BuildHasher>(
    known: &Known<I>,
    map: &HashMap<String, I, S>,
    table: &super::doc::CandidateTable,
    i: u32,
) -> Option<I> {
    *known[i as usize].get_or_init(|| super::model::by_id(map, table.name(i)))
}

/// What id text `i` resolved to, when [`lookup`] met it and it resolved.
fn resolved<I: Copy>(known: &Known<I>, i: u32) -> Option<I> {
    known[i as usize].get().copied().flatten()
}

/// How many rows with a site that is not in this season one warning names.
const GONE_SITE_EXAMPLES: usize = 3;

/// The season's `outcomes.csv`, counted. The school of each row must be a
/// school of the season (an unknown one is an error: a mistyped school would
/// silently lose its history). A site that is not in this season is normal
/// (sites close); such rows count nowhere and get one grouped warning.
/// Learner, programme and season are free text.
fn history(
    rep: &mut Reporter,
    doc: &mut SeasonDoc,
    ids: &Ids,
    schools: usize,
    sites: usize,
) -> Option<super::history::History> {
    use TableName as T;
    let records = doc.outcomes.take()?;
    let mut resolved = Vec::with_capacity(records.len());
    let mut gone: Vec<(String, u64)> = Vec::new();
    for o in &records {
        let s = rep.resolve(&ids.school, T::Schools, "school", &o.school, (T::Outcomes, o.row, "school"));
        let w = super::model::by_id(&ids.workplace, &o.workplace);
        if w.is_none() && !rep.out.is_broken(T::Workplaces, &o.workplace) {
            gone.push((o.workplace.clone(), o.row));
        }
        resolved.push(s.zip(w));
    }
    if !gone.is_empty() {
        let examples: Vec<String> = gone
            .iter()
            .take(GONE_SITE_EXAMPLES)
            .map(|(w, row)| format!("{} ({})", q(w), rep.where_(T::Outcomes, *row)))
            .collect();
        let more = if gone.len() > GONE_SITE_EXAMPLES { ", …" } else { "" };
        let mut d = rep.origin(T::Outcomes).whole(
            Severity::Warning,
            format!(
                "{} row(s) name a workplace that is not in {}, for example {}{more}; they do not count for trust \
                 or partnership (normal for a site that closed; correct the id if it is a typo)",
                gone.len(),
                rep.table_label(T::Workplaces),
                examples.join(", ")
            ),
        );
        d.field = Some("workplace".to_string());
        rep.diags.push(d);
    }
    let mut it = resolved.into_iter();
    Some(super::history::History::new(records, schools, sites, |_| it.next().flatten()))
}

/// The mentors (`mentors.csv`), each id once, with their references
/// resolved: the site, and programmes the site is recognised for; their
/// index by id, and the mentors of each workplace.
fn mentors(
    rep: &mut Reporter,
    doc: &SeasonDoc,
    ids: &Ids,
    rec: &Recognitions,
) -> (Vec<Mentor>, IdMap<MentorId>, Csr<MentorId>) {
    use TableName as T;
    let sites = ids.workplace.len();
    let Some(recs) = doc.mentors.as_ref() else {
        return (Vec::new(), IdMap::default(), Csr::from_pairs(sites, std::iter::empty()));
    };
    let (map, keep) =
        intern_ids(rep, T::Mentors, "mentor", recs.iter().map(|r| (r.id.as_str(), r.row)), MentorId::from_index);
    let mut out = Vec::with_capacity(map.len());
    let mut idle = Vec::new();
    for (r, _) in recs.iter().zip(&keep).filter(|(_, k)| **k) {
        let at = |f| (T::Mentors, r.row, f);
        let w = rep.resolve(&ids.workplace, T::Workplaces, "workplace", &r.workplace, at("workplace"));
        let mut programmes = Vec::new();
        for p in &r.programmes {
            let Some(pid) = rep.resolve(&ids.programme, T::Programmes, "programme", p, at("programmes")) else {
                continue;
            };
            if let Some(w) = w {
                if !rec.group_ix.contains_key(&(w, pid)) {
                    let label = rep.table_label(T::Recognitions);
                    rep.error(
                        T::Mentors,
                        r.row,
                        "programmes",
                        format!(
                            "mentor {} is recognised for programme {}, but workplace {} is not recognised for it \
                             in {label}; add the recognition or drop the programme from the mentor",
                            q(&r.id),
                            q(p),
                            q(&r.workplace)
                        ),
                    );
                }
            }
            if !programmes.contains(&pid) {
                programmes.push(pid);
            }
        }
        let days = match r.days.as_deref() {
            None => Days::EVERY,
            Some(d) => Days::parse(d).unwrap_or_else(|e| {
                rep.error(T::Mentors, r.row, "days", e);
                Days::EVERY
            }),
        };
        if r.max_learners == 0 {
            idle.push((r.id.clone(), r.row));
        }
        let Some(w) = w else { continue };
        out.push(Mentor { id: r.id.clone(), workplace: w, programmes, max_learners: r.max_learners, days });
    }
    if let Some(&(_, row)) = idle.first() {
        let shown: Vec<String> = idle.iter().take(3).map(|(id, _)| q(id).to_string()).collect();
        let more = if idle.len() > 3 { ", …" } else { "" };
        rep.warn(
            T::Mentors,
            row,
            Some("max_learners"),
            format!(
                "{} mentor{} with max_learners 0 ({}{more}) guide nobody; give the number of learners \
                 each can guide",
                idle.len(),
                plural(idle.len() as u64),
                shown.join(", ")
            ),
        );
    }
    let by_site =
        Csr::from_pairs(sites, out.iter().enumerate().map(|(i, m)| (m.workplace.index(), MentorId::from_index(i))));
    // Recognitions at sites with mentors that no mentor is recognised for:
    // nobody of that programme can be placed there.
    let mut unguided: Vec<(WorkplaceId, ProgrammeId, u64)> = Vec::new();
    for (g, row) in rec.groups.iter().zip(&rec.group_row) {
        let at = by_site.row(g.workplace.index());
        if !at.is_empty() && !at.iter().any(|k| out[k.index()].recognised_for(g.programme)) {
            unguided.push((g.workplace, g.programme, *row));
        }
    }
    if let Some(&(_, _, row)) = unguided.first() {
        let name = |w: WorkplaceId| ids.workplace.iter().find(|(_, v)| **v == w).map_or("?", |(k, _)| k.as_str());
        let prog = |p: ProgrammeId| ids.programme.iter().find(|(_, v)| **v == p).map_or("?", |(k, _)| k.as_str());
        let shown: Vec<String> =
            unguided.iter().take(3).map(|&(w, p, _)| format!("{}/{}", q(name(w)), q(prog(p)))).collect();
        let more = if unguided.len() > 3 { ", …" } else { "" };
        rep.warn(
            T::Recognitions,
            row,
            Some("programme"),
            format!(
                "{} recognition{} at sites with mentors {} no mentor recognised for the programme ({}{more}); \
                 nobody of that programme can be placed there: add the programme to a mentor in {}",
                unguided.len(),
                plural(unguided.len() as u64),
                if unguided.len() == 1 { "has" } else { "have" },
                shown.join(", "),
                rep.table_label(T::Mentors)
            ),
        );
    }
    (out, map, by_site)
}

/// Per kept learner: the days at the workplace (the learner's rhythm, else
/// the school's, else the programme's, else every day), and whether any
/// rhythm is given. A rhythm that does not parse is an error at its row.
fn learner_days(
    rep: &mut Reporter,
    doc: &SeasonDoc,
    keep_l: &[bool],
    keep_s: &[bool],
    keep_p: &[bool],
    learners: &[Learner],
) -> (Vec<Days>, bool) {
    use TableName as T;
    let mut any = false;
    let mut parse = |rep: &mut Reporter, t: TableName, row: u64, text: &Option<String>| -> Option<Days> {
        let text = text.as_deref()?;
        any = true;
        Days::parse(text).map_err(|e| rep.error(t, row, "rhythm", e)).ok()
    };
    let programme: Vec<Option<Days>> = doc
        .programmes
        .iter()
        .zip(keep_p)
        .filter(|(_, k)| **k)
        .map(|(r, _)| parse(rep, T::Programmes, r.row, &r.rhythm))
        .collect();
    let school: Vec<Option<Days>> = doc
        .schools
        .iter()
        .zip(keep_s)
        .filter(|(_, k)| **k)
        .map(|(r, _)| parse(rep, T::Schools, r.row, &r.rhythm))
        .collect();
    let mut days = Vec::with_capacity(learners.len());
    for ((r, _), l) in doc.learners.iter().zip(keep_l).filter(|(_, k)| **k).zip(learners) {
        let own = parse(rep, T::Learners, r.row, &r.rhythm);
        let d = own
            .or_else(|| school.get(l.school.index()).copied().flatten())
            .or_else(|| programme.get(l.programme.index()).copied().flatten())
            .unwrap_or(Days::EVERY);
        days.push(d);
    }
    (days, any)
}

/// The (learner, group) pairs met so far, each with its index in the list
/// of candidates. Files list a learner's pairs together, so while they do,
/// a pair is looked up in an array over the groups, stamped with the
/// learner whose pairs are being read (small, so it stays in cache; a hash
/// map of millions of pairs does not). The first time a learner's pairs
/// resume after another learner's, every pair moves into a hash map.
enum SeenPairs {
    /// Per group: the learner (index + 1) and list index of its last pair;
    /// the learner being read; per learner, whether its pairs have ended.
    Blocks { stamp: Vec<(u32, usize)>, current: Option<LearnerId>, ended: Vec<bool> },
    /// Every pair.
    Map(FastMap<(LearnerId, GroupId), usize>),
}

impl SeenPairs {
    fn new(learners: usize, groups: usize) -> Self {
        SeenPairs::Blocks { stamp: vec![(0, 0); groups], current: None, ended: vec![false; learners] }
    }

    /// The list index of the pair `(l, g)` if it was met before; `list` is
    /// every pair met, in order.
    fn find(&mut self, l: LearnerId, g: GroupId, list: &[Candidate]) -> Option<usize> {
        if let SeenPairs::Blocks { current, ended, .. } = self {
            if *current != Some(l) {
                if let Some(c) = current {
                    ended[c.index()] = true;
                }
                *current = Some(l);
                if ended[l.index()] {
                    let mut map = FastMap::with_capacity_and_hasher(list.len(), Default::default());
                    map.extend(list.iter().enumerate().map(|(i, c)| ((c.learner, c.group), i)));
                    *self = SeenPairs::Map(map);
                }
            }
        }
        match self {
            SeenPairs::Blocks { stamp, .. } => {
                let (who, i) = stamp[g.index()];
                (who as usize == l.index() + 1).then_some(i)
            }
            SeenPairs::Map(map) => map.get(&(l, g)).copied(),
        }
    }

    /// Notes the pair `(l, g)` at list index `i` (after [`Self::find`] missed it).
    fn insert(&mut self, l: LearnerId, g: GroupId, i: usize) {
        match self {
            SeenPairs::Blocks { stamp, .. } => {
                stamp[g.index()] = (l.0 + 1, i);
            }
            SeenPairs::Map(map) => {
                map.insert((l, g), i);
            }
        }
    }
}

/// Warns about workplaces that no recognition names.
fn unreferenced_workplaces(rep: &mut Reporter, doc: &SeasonDoc, keep_w: &[bool], wp_referenced: &[bool]) {
    use TableName as T;
    let out = rep.out;
    for (i, r) in doc.workplaces.iter().zip(keep_w).filter(|(_, k)| **k).map(|(r, _)| r).enumerate() {
        if !wp_referenced[i] && !out.unusable.contains("recognitions") {
            rep.warn(
                T::Workplaces,
                r.row,
                Some("id"),
                format!(
                    "workplace {} has no recognition in {}; nobody can be placed there",
                    q(&r.id),
                    rep.table_label(T::Recognitions)
                ),
            );
        }
    }
}

/// Warns about recognitions without seats and programmes with fewer seats
/// than screened learners (not when the season has `rhythms`: learners on
/// different days share seats).
fn seat_warnings(
    rep: &mut Reporter,
    doc: &SeasonDoc,
    rec: &Recognitions,
    workplaces: &[Workplace],
    programmes: &[Programme],
    learners: &[Learner],
    prog_groups: &Csr<GroupId>,
) {
    use TableName as T;
    let (groups, group_row) = (&rec.groups, &rec.group_row);
    for (g, row) in groups.iter().zip(group_row) {
        if g.seats == 0 {
            let (w, p) = (&workplaces[g.workplace.index()].id, &programmes[g.programme.index()].id);
            rep.warn(
                T::Recognitions,
                *row,
                Some("seats"),
                format!("0 seats: nobody can be placed at {} for {}", q(w), q(p)),
            );
        }
    }
    let mut demand = vec![0u64; programmes.len()];
    for l in learners {
        if l.screening == Screening::Passed {
            demand[l.programme.index()] += 1;
        }
    }
    // With rhythms learners on different days share seats: no shortfall follows.
    let rhythms = doc.schools.iter().any(|r| r.rhythm.is_some())
        || doc.programmes.iter().any(|r| r.rhythm.is_some())
        || doc.learners.iter().any(|r| r.rhythm.is_some());
    for (p, r) in programmes.iter().enumerate() {
        let seats: u64 = prog_groups.row(p).iter().map(|g| u64::from(groups[g.index()].seats)).sum();
        if seats < demand[p] && !rhythms {
            let row = doc.programmes.iter().find(|x| x.id == r.id).map_or(0, |x| x.row);
            rep.warn(
                T::Programmes,
                row,
                Some("id"),
                format!(
                    "programme {} has {seats} seat{} for {} screened learner{}; at least {} cannot be placed",
                    q(&r.id),
                    plural(seats),
                    demand[p],
                    plural(demand[p]),
                    demand[p] - seats
                ),
            );
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::season::doc::*;

    /// A season of learners L0–L5 (even in P0, odd in P1), sites W0–W3
    /// (W0: P0; W1: P0 and P1; W2: P1; W3: P0) and the candidate rows
    /// `rows` (learner, workplace, programme, score), at lines 2, 3, …
    fn season_doc(rows: &[(String, String, String, f64)]) -> SeasonDoc {
        let learner = |i: usize| LearnerRec {
            rhythm: None,
            id: format!("L{i}"),
            school: "S".into(),
            programme: format!("P{}", i % 2),
            lat: 51.0,
            lon: 4.0,
            max_commute_km: 20.0,
            readiness: 3,
            screening: Screening::Passed,
            attributes: vec![],
            preferences: vec![],
            priority_group: None,
            row: 2 + i as u64,
        };
        let site = |i: usize| WorkplaceRec {
            id: format!("W{i}"),
            company: "c".into(),
            lat: 51.0,
            lon: 4.01,
            capacity: None,
            min_readiness: 1,
            requires: vec![],
            partner_schools: vec![],
            preferences: vec![],
            row: 2 + i as u64,
        };
        let recognition = |(i, w, p): (usize, &str, &str)| RecognitionRec {
            workplace: w.into(),
            programme: p.into(),
            seats: 5,
            row: 2 + i as u64,
        };
        let recognitions = [("W0", "P0"), ("W1", "P0"), ("W1", "P1"), ("W2", "P1"), ("W3", "P0")];
        let programme =
            |i: usize| ProgrammeRec { rhythm: None, id: format!("P{i}"), name: "p".into(), row: 2 + i as u64 };
        let candidates: Vec<CandidateRec> = (rows.iter().enumerate())
            .map(|(i, (l, w, p, score))| CandidateRec {
                learner: l.clone(),
                workplace: w.clone(),
                programme: p.clone(),
                score: *score,
                row: 2 + i as u64,
            })
            .collect();
        SeasonDoc {
            mentors: None,
            programmes: (0..2).map(programme).collect(),
            schools: vec![SchoolRec { rhythm: None, id: "S".into(), name: "s".into(), lat: 51.0, lon: 4.0, row: 2 }],
            learners: (0..6).map(learner).collect(),
            workplaces: (0..4).map(site).collect(),
            recognitions: recognitions.iter().enumerate().map(|(i, &(w, p))| recognition((i, w, p))).collect(),
            candidates: Some(candidates.into()),
            outcomes: None,
        }
    }

    /// What a plain reading of `rows`, one after another, gives: the
    /// problems (line, field, is an error) and the pairs kept (learner,
    /// workplace, programme, highest score).
    #[allow(clippy::type_complexity)]
    fn reference(
        rows: &[(String, String, String, f64)],
    ) -> (Vec<(u64, Option<String>, bool, Option<u64>)>, Vec<(String, String, String, f64)>) {
        let known = |id: &str, prefix: &str, n: u32| {
            id.strip_prefix(prefix).and_then(|x| x.parse::<u32>().ok()).is_some_and(|x| x < n)
        };
        let recognised = ["W0P0", "W1P0", "W1P1", "W2P1", "W3P0"];
        let (mut problems, mut kept) = (Vec::new(), Vec::<(String, String, String, f64)>::new());
        let mut first_lines: Vec<u64> = Vec::new();
        for (i, (l, w, p, score)) in rows.iter().enumerate() {
            let line = 2 + i as u64;
            let ok =
                [(l, "L", 6, "learner"), (w, "W", 4, "workplace"), (p, "P", 2, "programme")].map(|(id, pre, n, f)| {
                    let ok = known(id, pre, n);
                    if !ok {
                        problems.push((line, Some(f.to_string()), true, None));
                    }
                    ok
                });
            if ok.contains(&false) {
                continue;
            }
            if !recognised.contains(&format!("{w}{p}").as_str()) {
                problems.push((line, Some("workplace".into()), true, None));
                continue;
            }
            if format!("P{}", l[1..].parse::<u32>().unwrap() % 2) != *p {
                problems.push((line, Some("programme".into()), true, None));
                continue;
            }
            match kept.iter().position(|k| k.0 == *l && k.1 == *w && k.2 == *p) {
                Some(k) => {
                    problems.push((line, None, false, Some(first_lines[k])));
                    kept[k].3 = kept[k].3.max(*score);
                }
                None => {
                    kept.push((l.clone(), w.clone(), p.clone(), *score));
                    first_lines.push(line);
                }
            }
        }
        (problems, kept)
    }

    /// A candidate row's id: mostly known, sometimes not.
    fn id(prefix: &'static str, n: u32) -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![8 => (0..n).prop_map(move |i| format!("{prefix}{i}")), 1 => Just(format!("{prefix}9"))]
    }

    proptest::proptest! {
        /// The season's candidates (two passes, the first in parallel) are
        /// what reading the rows one after another gives: the same problems
        /// in the same order, and the same pairs in the same order.
        #[test]
        fn candidate_rows_are_read_as_one_after_another(
            rows in proptest::collection::vec((id("L", 6), id("W", 4), id("P", 2), 0u32..100), 0..60),
            sorted in proptest::bool::ANY,
            clean in proptest::bool::ANY,
        ) {
            let mut rows: Vec<(String, String, String, f64)> =
                rows.into_iter().map(|(l, w, p, x)| (l, w, p, f64::from(x))).collect();
            if clean {
                // Known ids, the learner's programme, a site recognised for
                // it: repeated pairs are the only problem.
                let index = |id: &str| id[1..].parse::<usize>().unwrap() % 9;
                for (l, w, p, _) in &mut rows {
                    let k = index(l) % 6;
                    let sites: &[&str] = if k % 2 == 0 { &["W0", "W1", "W3"] } else { &["W1", "W2"] };
                    (*l, *p, *w) = (format!("L{k}"), format!("P{}", k % 2), sites[index(w) % sites.len()].to_string());
                }
            }
            if sorted {
                rows.sort_by(|a, b| a.0.cmp(&b.0));
            }
            let (want_problems, want_kept) = reference(&rows);
            let (diags, season) = match super::super::from_doc(season_doc(&rows)) {
                Ok(loaded) => (loaded.warnings, Some(loaded.season)),
                Err(crate::season::LoadError::Invalid(d)) => (d, None),
                Err(e) => panic!("{e}"),
            };
            // A repeat names the line of the pair's first row.
            let first = |m: &str| {
                let at = m.find("(first at line ")? + "(first at line ".len();
                m[at..].split(')').next()?.parse::<u64>().ok()
            };
            let problems: Vec<(u64, Option<String>, bool, Option<u64>)> = diags
                .iter()
                .filter(|d| d.file.ends_with("candidates.csv"))
                .map(|d| (d.line().unwrap_or(0), d.field.clone(), d.severity == Severity::Error, first(&d.message)))
                .collect();
            proptest::prop_assert_eq!(&problems, &want_problems);
            if let Some(s) = season {
                let kept: Vec<(String, String, String, f64)> = s
                    .candidates()
                    .unwrap_or(&[])
                    .iter()
                    .map(|c| {
                        let g = s.group(c.group);
                        let (w, p) = (s.workplace(g.workplace), s.programme(g.programme));
                        (s.learner(c.learner).id.clone(), w.id.clone(), p.id.clone(), c.score)
                    })
                    .collect();
                proptest::prop_assert_eq!(kept, want_kept);
            } else {
                proptest::prop_assert!(want_problems.iter().any(|p| p.2));
                proptest::prop_assert!(!clean);
            }
        }
    }

    proptest::proptest! {
        /// [`kept_row`] is the row of the k-th row not skipped.
        #[test]
        fn kept_rows_are_found_among_the_skipped(skip in proptest::collection::vec(proptest::bool::ANY, 0..80)) {
            let skipped: Vec<usize> = (0..skip.len()).filter(|&r| skip[r]).collect();
            let kept: Vec<usize> = (0..skip.len()).filter(|&r| !skip[r]).collect();
            for (k, &r) in kept.iter().enumerate() {
                proptest::prop_assert_eq!(kept_row(&skipped, k), r);
            }
        }

        /// [`SeenPairs`] finds exactly the pairs a hash map of every pair
        /// finds, whether the pairs come learner by learner, or a learner's
        /// pairs resume later (its switch to a map), with repeats.
        #[test]
        fn seen_pairs_find_what_a_map_finds(
            pairs in proptest::collection::vec((0u32..6, 0u32..5), 0..200),
            sorted in proptest::bool::ANY,
        ) {
            let mut pairs = pairs;
            if sorted {
                pairs.sort_by_key(|p| p.0);
            }
            let mut seen = SeenPairs::new(6, 5);
            let mut reference: HashMap<(u32, u32), usize> = HashMap::new();
            let mut list: Vec<Candidate> = Vec::new();
            for (l, g) in pairs {
                let (lid, gid) = (LearnerId::from_index(l as usize), GroupId::from_index(g as usize));
                let found = seen.find(lid, gid, &list);
                proptest::prop_assert_eq!(found, reference.get(&(l, g)).copied());
                if found.is_none() {
                    seen.insert(lid, gid, list.len());
                    reference.insert((l, g), list.len());
                    list.push(Candidate { learner: lid, group: gid, score: 0.0 });
                }
            }
        }
    }
}
