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

/// What a byte may start, for [`may_hide`]: 0 nothing hidden, 1 possibly a
/// hidden character, 2 a hidden character when the next byte is 0x80 or
/// 0x81 (U+2000–U+207F).
const HIDES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = 1;
        b += 1;
    }
    // DEL; the lead bytes of U+0080–U+00BF (C1 controls, soft hyphen),
    // U+0600–U+063F, U+1000–U+1FFF and U+F000–U+FFFF.
    t[0x7F] = 1;
    t[0xC2] = 1;
    t[0xD8] = 1;
    t[0xE1] = 1;
    t[0xEF] = 1;
    t[0xE2] = 2;
    t
};

/// False when `s` has no [hidden](is_hidden) character, from its bytes
/// alone (true may be a false alarm): every hidden character is a C0
/// control, DEL, or starts with one of the lead bytes that [`HIDES`] marks.
/// Continuation bytes (0x80–0xBF) are never such lead bytes, so a scan
/// byte by byte needs no decoding. Long written cells (the recruitment
/// advice's chains of moves) are checked at memory speed this way.
fn may_hide(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().any(|(i, &c)| match HIDES[c as usize] {
        0 => false,
        1 => true,
        _ => matches!(b.get(i + 1), Some(0x80 | 0x81)),
    })
}

/// `s` with every [hidden](is_hidden) character written as `\u{XXXX}`.
/// Borrows when there is nothing to escape.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !may_hide(s) || !s.chars().any(is_hidden) {
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

    proptest::proptest! {
        /// The byte scan never misses a hidden character: text made of
        /// ASCII, every hidden character and their neighbours in Unicode,
        /// and arbitrary characters.
        #[test]
        fn the_byte_scan_finds_every_hidden_character(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::char::range('\u{0}', '\u{7F}'),
                    proptest::char::range('\u{80}', '\u{FF}'),
                    proptest::char::range('\u{618}', '\u{61F}'),
                    proptest::char::range('\u{1808}', '\u{180F}'),
                    proptest::char::range('\u{2000}', '\u{207F}'),
                    proptest::char::range('\u{2080}', '\u{21FF}'),
                    proptest::char::range('\u{FE00}', '\u{FFFF}'),
                    proptest::char::any(),
                ],
                0..12,
            )
        ) {
            let s: String = parts.into_iter().collect();
            proptest::prop_assert!(may_hide(&s) || !s.chars().any(is_hidden), "{:?}", s);
        }
    }

    #[test]
    fn every_hidden_character_is_flagged_by_its_bytes() {
        let hidden: Vec<char> = (0..=0x10FFFFu32).filter_map(char::from_u32).filter(|&c| is_hidden(c)).collect();
        assert!(hidden.len() > 60);
        for c in hidden {
            assert!(may_hide(&format!("ab{c}cd")), "{:04X}", c as u32);
        }
        assert!(!may_hide("L0005 W0012→W0099; é ü € ★ ß"));
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
