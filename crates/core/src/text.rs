//! Text that dualmatch shows or writes: user data made safe to print in a
//! terminal, to quote in a message, and to open in a spreadsheet program.
//!
//! Three rules, one function each:
//! - [`visible`]: control characters (C0, C1, including ESC), bidirectional
//!   overrides and isolates, and invisible characters (zero-width spaces and
//!   joiners, the byte-order mark, soft hyphen) are written as `\u{XXXX}`, so
//!   that an id can neither recolour a terminal nor reorder a line, and two
//!   ids that only look alike are told apart;
//! - [`clip`]: a value quoted in a message is cut to a readable length;
//! - [`csv_cell`]: a cell that a spreadsheet would run as a formula gets a
//!   leading `'` (the OWASP guidance on CSV injection), and its invisible
//!   characters are made visible.

use std::borrow::Cow;
use std::fmt::Write as _;

/// The longest value, in characters, that [`clip`] keeps for a message.
pub const MESSAGE_CHARS: usize = 120;

/// True for characters that must never reach a terminal or a cell raw:
/// control characters, bidirectional controls and invisible format characters.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'              // soft hyphen
            | '\u{061C}'            // Arabic letter mark
            | '\u{180E}'            // Mongolian vowel separator
            | '\u{200B}'..='\u{200F}' // zero-width space, (non-)joiner, LRM, RLM
            | '\u{2028}'..='\u{202E}' // line/paragraph separator, bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{206F}' // bidi isolates, deprecated format characters
            | '\u{FEFF}'            // byte-order mark / zero-width no-break space
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotations
        )
}

/// `s` with every [hidden](is_hidden) character written as `\u{XXXX}`.
/// Borrows when there is nothing to escape.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_hidden(c) {
            let _ = write!(out, "\\u{{{:04X}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` made [visible](visible) and cut to at most `max` characters, with a
/// note of how much was left out. Use it for every user value quoted in a
/// message, so that a 100 MB cell gives a one-line message.
pub fn clip(s: &str, max: usize) -> Cow<'_, str> {
    let count = s.chars().take(max + 1).count();
    if count <= max {
        return visible(s);
    }
    let cut = s.char_indices().nth(max).map_or(s.len(), |(i, _)| i);
    let rest = s.len() - cut;
    Cow::Owned(format!("{}… ({rest} more bytes)", visible(&s[..cut])))
}

/// [`clip`] at [`MESSAGE_CHARS`]: the form for values quoted in messages.
pub fn quote(s: &str) -> Cow<'_, str> {
    clip(s, MESSAGE_CHARS)
}

/// [`quote`] in double quotes: `"L1\u{200B}"`. The form for ids and
/// other values named in a message.
pub fn quoted(s: &str) -> String {
    format!("\"{}\"", quote(s))
}

/// True if `s` is a plain decimal number (`-3`, `+1.5`, `2e-3`), which a
/// spreadsheet reads as a number, not as a formula.
fn is_number(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = !(int.is_empty() && frac.is_empty()) && digits(int) && digits(frac);
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// True if a spreadsheet program could run `s` as a formula: it begins with
/// `=`, `+`, `-`, `@`, a tab or a carriage return and is not a number.
pub fn is_formula_like(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_number(s)
}

/// A CSV cell that no spreadsheet program runs as a formula and that shows
/// hidden characters: formula-like text gets a leading `'` (OWASP), then
/// hidden characters are written as `\u{XXXX}`. Numbers and ordinary text
/// are borrowed unchanged.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    if is_formula_like(s) {
        Cow::Owned(format!("'{}", visible(s)))
    } else {
        visible(s)
    }
}

/// The value that [`csv_cell`] writes as `cell`, when that differs from
/// `cell` itself: a leading `'` before formula-like text is dropped and
/// `\u{XXXX}` of a [hidden](is_hidden) character becomes the character. So
/// an id copied from a CSV file that dualmatch wrote (`'=1+1`, `L1\u{200B}`)
/// finds the id it came from. `None` when `cell` is not such a written form.
pub fn csv_cell_source(cell: &str) -> Option<String> {
    if !cell.starts_with('\'') && !cell.contains("\\u{") {
        return None;
    }
    let mut value = String::with_capacity(cell.len());
    let mut rest = cell;
    while let Some(i) = rest.find("\\u{") {
        value.push_str(&rest[..i]);
        let after = &rest[i + 3..];
        let hidden = after
            .find('}')
            .filter(|&end| (4..=6).contains(&end))
            .and_then(|end| Some((u32::from_str_radix(&after[..end], 16).ok().and_then(char::from_u32)?, end)))
            .filter(|(c, _)| is_hidden(*c));
        match hidden {
            Some((c, end)) => {
                value.push(c);
                rest = &after[end + 1..];
            }
            None => {
                value.push_str(&rest[i..i + 3]);
                rest = after;
            }
        }
    }
    value.push_str(rest);
    if let Some(body) = value.strip_prefix('\'').filter(|b| is_formula_like(b)) {
        value = body.to_string();
    }
    // Only a value that is written exactly as `cell` is its source.
    (value != cell && csv_cell(&value) == cell).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_numbers_are_not() {
        for f in ["=1+1", "@SUM(1)", "+A1", "-2+3", "=HYPERLINK(\"http://x\",\"Click me\")", "-", "+", "@"] {
            assert!(csv_cell(f).starts_with('\''), "{f}");
        }
        assert_eq!(csv_cell("\tx"), "'\\u{0009}x");
        assert_eq!(csv_cell("\r=1"), "'\\u{000D}=1");
        for n in ["-3", "+1.5", "-0.25", "2e-3", "-1E+7", "12", ".5", "-5."] {
            assert_eq!(csv_cell(n), n, "{n}");
        }
        for t in ["L000001", "Kok", "a=b", "1-2", ""] {
            assert_eq!(csv_cell(t), t);
        }
        assert!(!is_number("-e5") && !is_number("-.") && !is_number("1e") && !is_number("--1"));
    }

    #[test]
    fn written_cells_lead_back_to_their_value() {
        for v in ["=1+1", "@SUM(1)", "=HYPERLINK(\"http://x\",\"Click me\")", "L1\u{200b}", "\t=x", "-a\u{202e}b", "+"]
        {
            let cell = csv_cell(v);
            assert_ne!(cell, v);
            assert_eq!(csv_cell_source(&cell).as_deref(), Some(v), "{cell}");
        }
        // Cells that are their own value, and cells no value is written as.
        for c in ["L1", "-3", "'plain", "'-3", "a\\u{0041}", "\\u{200B", "\\u{110000}", "=1"] {
            assert_eq!(csv_cell_source(c), None, "{c}");
        }
    }

    #[test]
    fn hidden_characters_are_shown() {
        assert_eq!(visible("L1\u{200b}"), "L1\\u{200B}");
        assert_eq!(visible("\u{1b}[31mred"), "\\u{001B}[31mred");
        assert_eq!(visible("ab\u{202e}cd"), "ab\\u{202E}cd");
        assert_eq!(visible("Pé"), "Pé");
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn long_values_are_clipped() {
        let long = "x".repeat(10_000);
        let c = clip(&long, 10);
        assert_eq!(c, format!("{}… (9990 more bytes)", "x".repeat(10)));
        assert_eq!(clip("ééé", 3), "ééé");
        assert_eq!(clip("éééé", 3), "ééé… (2 more bytes)");
        assert!(quote(&long).chars().count() < MESSAGE_CHARS + 30);
    }
}
