//! Self-contained HTML reports: inline CSS and SVG charts, no scripts, no
//! network. Every number shown is also in the CSV/JSON outputs.

pub mod compare;
pub mod matching;
pub mod probabilities;
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
th,td{border:1px solid #d9dde3;padding:.25rem .5rem;text-align:right}
th{background:#f3f5f8} td:first-child,th:first-child{text-align:left}
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

/// An HTML table. Cells are escaped.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<table><thead><tr>");
    for h in headers {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{}</td>", esc(c));
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

#[cfg(test)]
mod tests {
    #[test]
    fn escaped_text_shows_hidden_characters() {
        assert_eq!(super::esc("a\u{202E}<b>'\t"), "a\\u{202E}&lt;b&gt;&#39;\\u{0009}");
    }
}
