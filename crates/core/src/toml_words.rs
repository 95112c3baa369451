//! TOML mistakes in plain words: the messages of the `toml` and `serde`
//! crates ("invalid type: map, expected a sequence") rewritten for someone
//! who edits a `constraints.toml` or `weights.toml` by hand ("`[school]`
//! must be written `[[school]]`: each school rule is one entry of a list").
//! Used by every reader of a TOML option file.

use std::ops::Range;

/// The message of a TOML error in plain words, on one line. `text` is the
/// file and `span` where the error points in it, if known; a message this
/// module does not recognise is kept (on one line).
pub fn explain(message: &str, text: &str, span: Option<Range<usize>>) -> String {
    let message = message.trim();
    let line = span.as_ref().map(|s| line_at(text, s.start)).unwrap_or_default();
    let key = key_of(line);
    if message.starts_with("invalid type: map, expected a sequence") {
        if let Some(name) = single_table_header(line) {
            return format!(
                "`[{name}]` must be written `[[{name}]]`: each {name} rule is one entry of a list \
                 (write `[[{name}]]` above every one)"
            );
        }
        return "a list was expected here; write each entry under its own `[[name]]` header".to_string();
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let close = crate::season::closest_name(field, &known);
        let keys = known.join(", ");
        let keys = if keys.is_empty() { "none".to_string() } else { keys };
        return match close {
            Some(c) => format!("unknown key `{field}`: did you mean `{c}`? (the keys here are {keys})"),
            None => format!("unknown key `{field}` (the keys here are {keys})"),
        };
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            let want = expected_words(expected);
            let at = key.map(|k| format!("{k}: ")).unwrap_or_default();
            let fix = match (found.strip_prefix("string "), key) {
                (Some(v), Some(k)) if expected.starts_with('u') || expected.starts_with('i') || expected == "f64" => {
                    format!("; write {k} = {} without quotes", v.trim_matches('"'))
                }
                _ => String::new(),
            };
            return format!("{at}{} where {want} is expected{fix}", found_words(found));
        }
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            let at = key.map(|k| format!("{k}: ")).unwrap_or_default();
            return format!("{at}{} where {} is expected", found_words(found), expected_words(expected));
        }
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return format!("`{field}` is missing here; every entry of this kind needs a `{field} = …` line");
    }
    if message.starts_with("invalid string") && key.is_some() {
        let k = key.unwrap_or_default();
        let value = line.split_once('=').map(|(_, v)| v.trim()).unwrap_or("");
        return format!("{k}: text values go in quotes: write {k} = \"{value}\"");
    }
    if message.starts_with("invalid table header") {
        return format!(
            "the table header {} is not closed; write `[[name]]` for an entry of a list or `[name]` for a table",
            line.trim()
        );
    }
    if let Some(rest) = message.strip_prefix("duplicate key `") {
        let k = rest.split('`').next().unwrap_or(rest);
        return format!("`{k}` is given twice; keep one (for several rules, give each its own `[[…]]` header)");
    }
    message.lines().map(str::trim).collect::<Vec<_>>().join("; ")
}

/// The line of `text` around byte `at`.
fn line_at(text: &str, at: usize) -> &str {
    let at = at.min(text.len());
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    text.get(start..end).unwrap_or("")
}

/// The key of a `key = value` line.
fn key_of(line: &str) -> Option<&str> {
    let (k, _) = line.split_once('=')?;
    let k = k.trim();
    (!k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')).then_some(k)
}

/// `name` of a `[name]` header line (not `[[name]]`).
fn single_table_header(line: &str) -> Option<&str> {
    let l = line.trim();
    let name = l.strip_prefix('[')?.strip_suffix(']')?;
    (!name.starts_with('[') && !name.is_empty()).then_some(name.trim())
}

/// What serde found, in words: `string "3"` → `the text "3" (in quotes)`.
fn found_words(found: &str) -> String {
    if let Some(v) = found.strip_prefix("string ") {
        return format!("the text {v} (in quotes)");
    }
    for kind in ["integer", "floating point"] {
        if let Some(v) = found.strip_prefix(kind) {
            return format!("the number {}", v.trim().trim_matches('`'));
        }
    }
    match found {
        "map" => "a table".into(),
        "sequence" => "a list".into(),
        "boolean `true`" | "boolean `false`" => {
            format!("the value {}", found.trim_start_matches("boolean ").trim_matches('`'))
        }
        other => other.into(),
    }
}

/// What serde expected, in words: `u32` → `a whole number of 0 or more`.
fn expected_words(expected: &str) -> String {
    match expected.trim() {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number of 0 or more".into(),
        "i8" | "i16" | "i32" | "i64" => "a whole number".into(),
        "f32" | "f64" => "a number".into(),
        "a string" => "text in quotes".into(),
        "a sequence" => "a list".into(),
        "a boolean" => "true or false".into(),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explain_in(text: &str, at: &str, message: &str) -> String {
        let start = text.find(at).unwrap();
        explain(message, text, Some(start..start + at.len()))
    }

    #[test]
    fn messages_in_plain_words() {
        let t = "min_score = 2\n[school]\nschool = \"S1\"\n";
        assert_eq!(
            explain_in(t, "[school]", "invalid type: map, expected a sequence"),
            "`[school]` must be written `[[school]]`: each school rule is one entry of a list \
             (write `[[school]]` above every one)"
        );
        assert_eq!(
            explain("unknown field `minn`, expected one of `school`, `programme`, `min`, `max`", "", None),
            "unknown key `minn`: did you mean `min`? (the keys here are school, programme, min, max)"
        );
        assert_eq!(
            explain("unknown field `colour`, expected `a`, `b`", "", None),
            "unknown key `colour` (the keys here are a, b)"
        );
        let t = "[[school]]\nmin = \"3\"\n";
        assert_eq!(
            explain_in(t, "\"3\"", "invalid type: string \"3\", expected u32"),
            "min: the text \"3\" (in quotes) where a whole number of 0 or more is expected; write min = 3 without quotes"
        );
        let t = "[[reserve]]\nseats = -1\n";
        assert_eq!(
            explain_in(t, "-1", "invalid value: integer `-1`, expected u32"),
            "seats: the number -1 where a whole number of 0 or more is expected"
        );
        let t = "[[pin]]\nlearner = L0001\n";
        assert_eq!(
            explain_in(t, "L0001", "invalid string\nexpected `\"`, `'`"),
            "learner: text values go in quotes: write learner = \"L0001\""
        );
        assert_eq!(explain("recursion limit exceeded", "", None), "recursion limit exceeded");
        assert_eq!(explain("one\n  two", "", None), "one; two");
    }
}
