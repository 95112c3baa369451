//! JSON seasons: one document with an array of records per table.

use super::rows::{parse_cells, schema};
use super::{byte_size, ReadOutcome, JSON_SNIFF_BYTES};
use crate::season::diag::{Diagnostics, OriginKind, Severity, TableOrigin};
use crate::season::doc::*;
use crate::text::clip;

mod records {
    //! A JSON season is an object with one array of records per table. Each
    //! record's values are turned into text cells (numbers as written, lists
    //! joined with `;`, null as empty) and parsed like CSV.

    use std::collections::BTreeMap;
    use std::fmt;

    use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde::Deserialize;

    /// A record as field name → text cell; `Err` holds a description of a value
    /// that has no text form (an object, or a list of lists).
    pub type Record = Vec<(String, Result<Option<String>, String>)>;

    pub struct Cell(pub Result<Option<String>, String>);

    impl<'de> Deserialize<'de> for Cell {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Cell;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a text, number, boolean, null or list")
                }
                fn visit_str<E>(self, v: &str) -> Result<Cell, E> {
                    Ok(Cell(Ok(Some(v.to_string()))))
                }
                fn visit_string<E>(self, v: String) -> Result<Cell, E> {
                    Ok(Cell(Ok(Some(v))))
                }
                fn visit_i64<E>(self, v: i64) -> Result<Cell, E> {
                    Ok(Cell(Ok(Some(v.to_string()))))
                }
                fn visit_u64<E>(self, v: u64) -> Result<Cell, E> {
                    Ok(Cell(Ok(Some(v.to_string()))))
                }
                fn visit_f64<E>(self, v: f64) -> Result<Cell, E> {
                    Ok(Cell(Ok(Some(v.to_string()))))
                }
                fn visit_bool<E>(self, v: bool) -> Result<Cell, E> {
                    Ok(Cell(Ok(Some(v.to_string()))))
                }
                fn visit_unit<E>(self) -> Result<Cell, E> {
                    Ok(Cell(Ok(None)))
                }
                fn visit_none<E>(self) -> Result<Cell, E> {
                    Ok(Cell(Ok(None)))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Cell, A::Error> {
                    let mut items = Vec::new();
                    let mut bad = false;
                    while let Some(Cell(c)) = seq.next_element::<Cell>()? {
                        match c {
                            Ok(Some(s)) if !s.contains(';') => items.push(s),
                            Ok(None) => {}
                            _ => bad = true,
                        }
                    }
                    Ok(Cell(if bad {
                        Err("a list may hold only texts and numbers without ';'".into())
                    } else {
                        Ok(Some(items.join(";")))
                    }))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cell, A::Error> {
                    while map.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
                    Ok(Cell(Err("an object is not allowed here; give a text, number or list".into())))
                }
            }
            d.deserialize_any(V)
        }
    }

    pub struct Rec(pub Record);

    impl<'de> Deserialize<'de> for Rec {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Rec;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a record object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Rec, A::Error> {
                    let mut out = Vec::new();
                    while let Some((k, Cell(v))) = map.next_entry::<String, Cell>()? {
                        out.push((k.trim().to_ascii_lowercase(), v));
                    }
                    Ok(Rec(out))
                }
            }
            d.deserialize_map(V)
        }
    }

    /// The top level: table name → records. Unknown keys are kept and ignored.
    pub type Document = BTreeMap<String, Option<Vec<Rec>>>;
}

/// The tables of a JSON season, for messages.
const JSON_TABLES: &str =
    "programmes, schools, learners, workplaces, recognitions (and optionally candidates, outcomes and mentors)";

/// Checks the first bytes of a JSON season file (up to [`JSON_SNIFF_BYTES`];
/// `whole` when that is the entire file) before the file is read whole, so
/// that a large file that is not JSON at all is refused at once. Returns the
/// 1-based line and the problem, if any.
pub(crate) fn json_start_problem(prefix: &[u8], whole: bool) -> Option<(u64, String)> {
    let body = prefix.strip_prefix(b"\xef\xbb\xbf".as_slice()).unwrap_or(prefix);
    let Some(at) = body.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')) else {
        // All blank: a short file gets the parser's own message.
        return (!whole).then(|| {
            let line = 1 + body.iter().filter(|b| **b == b'\n').count() as u64;
            let blank = byte_size(JSON_SNIFF_BYTES);
            (
                line,
                format!(
                    "is not a valid season JSON document: it starts with more than {blank} of blank space; \
                     it must be an object with arrays {JSON_TABLES}"
                ),
            )
        });
    };
    let first = body[at];
    if first == b'{' {
        return None;
    }
    let line = 1 + body[..at].iter().filter(|b| **b == b'\n').count() as u64;
    let what = if first.is_ascii_graphic() { format!("'{}'", first as char) } else { format!("byte 0x{first:02x}") };
    Some((
        line,
        format!(
            "is not a valid season JSON document: it starts with {what}, not '{{'; \
             it must be an object with arrays {JSON_TABLES}"
        ),
    ))
}

/// Reads a whole season from one JSON document.
pub(crate) fn read_json(
    text: &str,
    display: &str,
    doc: &mut SeasonDoc,
    out: &mut ReadOutcome,
    diags: &mut Diagnostics,
) {
    let parsed: Result<records::Document, _> = serde_json::from_str(text);
    let whole = TableOrigin { file: display.to_string(), kind: OriginKind::Csv };
    let mut tables = match parsed {
        Ok(t) => t,
        Err(e) => {
            for t in TableName::ALL {
                out.unusable.insert(t.as_str());
            }
            let msg = if e.to_string().starts_with("recursion limit exceeded") {
                format!(
                    "is not a valid season JSON document: it is nested more than 128 levels deep \
                     (line {}, column {}); it must be an object with arrays {JSON_TABLES} of flat records",
                    e.line(),
                    e.column()
                )
            } else {
                // serde's message repeats a wrong value whole: cut it.
                let e = clip(&e.to_string(), 300).into_owned();
                format!("is not a valid season JSON document: {e}; it must be an object with arrays {JSON_TABLES}")
            };
            let mut d = whole.whole(Severity::Error, msg);
            if e.line() > 0 {
                d.position = crate::season::diag::Position::Line { line: e.line() as u64 };
            }
            diags.push(d);
            return;
        }
    };
    for table in TableName::ALL {
        let origin = TableOrigin { file: display.to_string(), kind: OriginKind::Json { table: table.as_str() } };
        out.origins.push((table, origin.clone()));
        let Some(records) = tables.remove(table.as_str()).flatten() else {
            out.unusable.insert(table.as_str());
            if !table.optional() {
                diags.push(origin.whole(Severity::Error, format!("has no \"{}\" array; add it", table.as_str())));
            }
            continue;
        };
        if records.is_empty() && !table.optional() {
            out.unusable.insert(table.as_str());
            diags.push(origin.whole(Severity::Error, format!("the \"{}\" array is empty", table.as_str())));
            continue;
        }
        let cols = schema(table);
        for (index, records::Rec(fields)) in records.iter().enumerate() {
            let row = index as u64;
            let mut cells: Vec<Option<&str>> = vec![None; cols.len()];
            let mut ok = true;
            for (name, value) in fields {
                let Some(i) = cols.iter().position(|c| c.name == name) else { continue };
                match value {
                    Ok(v) => cells[i] = v.as_deref(),
                    Err(msg) => {
                        ok = false;
                        diags.push(origin.at(Severity::Error, row, Some(cols[i].name), msg.clone()));
                    }
                }
            }
            parse_cells(table, &cells, &origin, row, ok, doc, out, diags);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_start() {
        assert_eq!(json_start_problem(b"\xef\xbb\xbf \n{\"a\"", true), None);
        assert_eq!(json_start_problem(b"", true), None);
        assert_eq!(json_start_problem(b"  \n", true), None);
        let (line, msg) = json_start_problem(b"\n\n[1]", true).unwrap();
        assert_eq!(line, 3);
        assert!(msg.contains("it starts with '[', not '{'"), "{msg}");
        let (_, msg) = json_start_problem(&[0; 10], false).unwrap();
        assert!(msg.contains("it starts with byte 0x00"), "{msg}");
        let (_, msg) = json_start_problem(&[b' '; 10], false).unwrap();
        assert!(msg.contains("blank space"), "{msg}");
    }

    #[test]
    fn deep_json_is_a_clear_error() {
        let text = format!("{{\"learners\": [{{\"id\": {}{}}}]}}", "[".repeat(200), "]".repeat(200));
        let mut doc = SeasonDoc::default();
        let mut out = ReadOutcome::default();
        let mut diags = Diagnostics::new();
        read_json(&text, "deep.json", &mut doc, &mut out, &mut diags);
        assert_eq!(diags.error_count(), 1);
        assert!(diags.to_string().contains("nested more than 128 levels deep"), "{diags}");
    }
}
