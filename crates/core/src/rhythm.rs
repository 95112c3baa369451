//! Rhythms: the days of a two-week cycle a learner spends at the workplace,
//! and the days a mentor is present.
//!
//! A rhythm is written as `;`-separated tokens `mon`, `tue`, `wed`, `thu`,
//! `fri`, `sat` (any case), each with an optional week suffix `1` or `2` for
//! two-week cycles: `mon1;tue1` is Monday and Tuesday of odd weeks, `wed` is
//! Wednesday of both weeks. A set of days is a [`Days`]: 12 day slots
//! (six days of two weeks).
//!
//! **Defaults.** A learner whose learner row, school and programme give no
//! rhythm is at the workplace *every day* ([`Days::EVERY`]); so is a mentor
//! whose `days` cell is empty. A mentor can guide a learner only when present
//! on all of the learner's days, so a mentor with restricted days guides only
//! learners with a rhythm inside those days.

use std::fmt;

/// The day names, in week order.
pub const DAY_NAMES: [&str; 6] = ["mon", "tue", "wed", "thu", "fri", "sat"];

/// Day slots in a cycle: six days of two weeks.
pub const SLOTS: usize = 12;

/// A set of day slots of the two-week cycle (bit `week * 6 + day`, week 0
/// the odd week).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Days(pub u16);

impl Days {
    /// Every day of both weeks.
    pub const EVERY: Days = Days((1 << SLOTS) - 1);
    /// No day.
    pub const NONE: Days = Days(0);

    /// Parses a `;`-separated list of day tokens. Empty items are skipped;
    /// `Err` names the first token that is not a day, and an empty list is
    /// an error too (a rhythm with no day).
    pub fn parse(text: &str) -> Result<Days, String> {
        let mut bits = 0u16;
        for token in text.split(';').map(str::trim).filter(|t| !t.is_empty()) {
            let lower = token.to_ascii_lowercase();
            let (name, weeks) = match lower.strip_suffix('1') {
                Some(n) => (n, 1u16),
                None => match lower.strip_suffix('2') {
                    Some(n) => (n, 2u16),
                    None => (lower.as_str(), 3u16),
                },
            };
            let Some(day) = DAY_NAMES.iter().position(|d| *d == name) else {
                return Err(format!(
                    "{} is not a day; use mon, tue, wed, thu, fri or sat, optionally with week 1 or 2 (mon1)",
                    crate::text::quoted(token)
                ));
            };
            if weeks & 1 != 0 {
                bits |= 1 << day;
            }
            if weeks & 2 != 0 {
                bits |= 1 << (6 + day);
            }
        }
        if bits == 0 {
            return Err("names no day; give days such as mon;tue".into());
        }
        Ok(Days(bits))
    }

    /// Whether slot `s` (`0..SLOTS`) is in the set.
    #[inline]
    pub fn has(self, s: usize) -> bool {
        self.0 & (1 << s) != 0
    }

    /// Whether every day of `other` is in this set.
    #[inline]
    pub fn covers(self, other: Days) -> bool {
        other.0 & !self.0 == 0
    }

    /// Whether the two sets share a day.
    #[inline]
    pub fn overlaps(self, other: Days) -> bool {
        self.0 & other.0 != 0
    }

    /// The slots in the set, in order.
    pub fn slots(self) -> impl Iterator<Item = usize> {
        (0..SLOTS).filter(move |&s| self.has(s))
    }

    /// Number of slots.
    pub fn count(self) -> u32 {
        self.0.count_ones()
    }

    /// The days of the cycle not in this set.
    pub fn complement(self) -> Days {
        Days(!self.0 & Days::EVERY.0)
    }

    /// The name of slot `s`: `mon1` … `sat2`.
    pub fn slot_name(s: usize) -> String {
        format!("{}{}", DAY_NAMES[s % 6], s / 6 + 1)
    }
}

impl fmt::Display for Days {
    /// The canonical form: `mon` for a day of both weeks, `mon1`/`mon2` for
    /// one week only, in week order; `-` for no day.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        for (d, name) in DAY_NAMES.iter().enumerate() {
            if self.has(d) && self.has(d + 6) {
                parts.push((*name).to_string());
            }
        }
        for week in 0..2 {
            for (d, name) in DAY_NAMES.iter().enumerate() {
                if self.has(week * 6 + d) && !self.has((1 - week) * 6 + d) {
                    parts.push(format!("{name}{}", week + 1));
                }
            }
        }
        if parts.is_empty() {
            return f.write_str("-");
        }
        f.write_str(&parts.join(";"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tokens_with_and_without_week() {
        assert_eq!(Days::parse("mon;tue").unwrap(), Days(0b11 | 0b11 << 6));
        assert_eq!(Days::parse("MON1; tue1").unwrap(), Days(0b11));
        assert_eq!(Days::parse("sat2").unwrap(), Days(1 << 11));
        assert!(Days::parse("mon;sun").unwrap_err().contains("sun"));
        assert!(Days::parse(" ; ").is_err());
        assert!(Days::parse("mon3").is_err());
    }

    #[test]
    fn display_round_trips() {
        for bits in 1..(1u16 << SLOTS) {
            let d = Days(bits);
            assert_eq!(Days::parse(&d.to_string()).unwrap(), d, "{d}");
        }
        assert_eq!(Days::parse("tue;mon1").unwrap().to_string(), "tue;mon1");
        assert_eq!(Days::EVERY.to_string(), "mon;tue;wed;thu;fri;sat");
    }

    #[test]
    fn covers_and_overlaps() {
        let mt = Days::parse("mon;tue").unwrap();
        let tw = Days::parse("tue;wed").unwrap();
        assert!(mt.overlaps(tw) && !mt.covers(tw));
        assert!(Days::EVERY.covers(mt));
        assert!(!mt.overlaps(Days::parse("wed;thu").unwrap()));
        assert_eq!(mt.complement().count(), 8);
    }
}
