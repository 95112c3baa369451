//! Self-contained HTML reports: inline CSS and SVG charts, no scripts, no
//! network. Every number shown is also in the CSV/JSON outputs.

pub mod compare;
pub mod matching;
pub mod probabilities;
pub mod rhythms;
pub mod svg;

use std::fmt::Write as _;

/// Escapes text for HTML, with control, bidirectional and invisible
/// characters shown as `\u{XXXX}` (so an id cannot reorder a line).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in dualmatch_core::text::visible(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.sub{color:#5b6472;margin-top:0}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #d9dde3;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f8} th.n,td.n{text-align:right;font-variant-numeric:tabular-nums}
dl.glossary dt{font-weight:600;margin-top:.4rem} dl.glossary dd{margin-left:1.2rem;color:#374151}
.cards{display:flex;gap:1rem;flex-wrap:wrap} .card{border:1px solid #d9dde3;border-radius:6px;padding:.6rem 1rem;min-width:9rem}
.card b{display:block;font-size:1.4rem} figure{margin:1rem 0} figcaption{color:#5b6472;font-size:.85rem}
svg text{font-family:system-ui,sans-serif}
";

/// A whole page around `body`.
pub fn page(title: &str, subtitle: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><style>{STYLE}</style></head>\
         <body><h1>{t}</h1><p class=\"sub\">{s}</p>\n{body}\n</body></html>\n",
        t = esc(title),
        s = esc(subtitle)
    )
}

/// True if `cell` shows a number: digits with an optional sign, decimal
/// point and `%`, or `–` for none.
fn is_numeric(cell: &str) -> bool {
    let t = cell.trim().trim_end_matches('%');
    t == "–" || (t.parse::<f64>().is_ok() && t.bytes().any(|b| b.is_ascii_digit()))
}

/// An HTML table. Cells are escaped; a column whose cells all show numbers
/// is right-aligned (class `n`), text is left-aligned.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let numeric: Vec<bool> = (0..headers.len())
        .map(|c| {
            let mut cells = rows.iter().filter_map(|r| r.get(c)).filter(|x| !x.is_empty()).peekable();
            cells.peek().is_some() && cells.all(|x| is_numeric(x))
        })
        .collect();
    let class = |c: usize| if numeric.get(c).copied().unwrap_or(false) { " class=\"n\"" } else { "" };
    let mut out = String::from("<table><thead><tr>");
    for (c, h) in headers.iter().enumerate() {
        let _ = write!(out, "<th{}>{}</th>", class(c), esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for (c, x) in r.iter().enumerate() {
            let _ = write!(out, "<td{}>{}</td>", class(c), esc(x));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
    out
}

/// Summary cards: (label, value).
pub fn cards(items: &[(&str, String)]) -> String {
    let mut out = String::from("<div class=\"cards\">");
    for (label, value) in items {
        let _ = write!(out, "<div class=\"card\">{}<b>{}</b></div>", esc(label), esc(value));
    }
    out.push_str("</div>\n");
    out
}

/// A figure with a caption.
pub fn figure(svg: &str, caption: &str) -> String {
    format!("<figure>{svg}<figcaption>{}</figcaption></figure>\n", esc(caption))
}

/// A glossary: each term with its meaning.
pub fn glossary(items: &[(&str, &str)]) -> String {
    let mut out = String::from("<dl class=\"glossary\">");
    for (term, meaning) in items {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", esc(term), esc(meaning));
    }
    out.push_str("</dl>\n");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_right_aligned_and_text_left() {
        let rows = vec![vec!["S01".to_string(), "12".into(), "50.0%".into(), "–".into()]];
        let t = super::table(&["school", "learners", "rate", "km"], &rows);
        assert!(
            t.contains("<td>S01</td><td class=\"n\">12</td><td class=\"n\">50.0%</td><td class=\"n\">–</td>"),
            "{t}"
        );
        assert!(t.contains("<th>school</th><th class=\"n\">learners</th>"), "{t}");
    }

    #[test]
    fn escaped_text_shows_hidden_characters() {
        assert_eq!(super::esc("a\u{202E}<b>'\t"), "a\\u{202E}&lt;b&gt;&#39;\\u{0009}");
    }
}
