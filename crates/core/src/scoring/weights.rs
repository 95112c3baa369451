//! Component weights and the score formula, loaded from TOML.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::components::Components;

/// How much each component counts, plus the two location scales.
///
/// The score of a pair is the weighted mean of its components scaled to 0..100:
///
/// ```text
/// score = 100 * (w_readiness * readiness + w_location * location + w_capacity * capacity
///                + w_partnership * partnership + w_preference * preference)
///             / (w_readiness + w_location + w_capacity + w_partnership + w_preference)
/// ```
///
/// so scores are on the same 0..100 scale whatever the weights, comparable to
/// scores a user brings in `candidates.csv`. When the season has an
/// `outcomes.csv`, `w_trust * trust` joins the sum above and `w_trust` the sum
/// below; without one the formula is exactly the five-component one. Weights are relative: doubling all
/// of them changes nothing. A weight of 0 switches a component off.
///
/// Read from TOML with [`Weights::from_toml_str`]; every key is optional and
/// defaults to the value documented on the field:
///
/// ```toml
/// readiness = 1.0
/// location = 2.0
/// capacity = 0.5
/// partnership = 1.0
/// preference = 1.5
/// trust = 1.0                  # only with an outcomes.csv
/// trust_prior_strength = 5.0   # the prior counts as this many agreements
/// location_half_km = 10.0      # location is 0.5 at this distance
/// travel_half_minutes = 25.0   # ... or at this travel time, when known
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    /// Weight of the readiness fit. Default 1.
    pub readiness: f64,
    /// Weight of closeness. Default 2: distance matters most to learners and
    /// to drop-out.
    pub location: f64,
    /// Weight of spare mentor capacity. Default 0.5: a tie-breaker.
    pub capacity: f64,
    /// Weight of an existing school partnership. Default 1.
    pub partnership: f64,
    /// Weight of mutual ranking. Default 1.5.
    pub preference: f64,
    /// Weight of the completion record from `outcomes.csv` (see
    /// [`super::trust_fit`]); counts only for a season that has one. Default 1.
    pub trust: f64,
    /// How many agreements the prior completion rate is worth in
    /// [`super::trust_fit`]. Default 5.
    pub trust_prior_strength: f64,
    /// Distance in km at which the location component is 0.5 (it halves again
    /// with every further `location_half_km`). Default 10.
    pub location_half_km: f64,
    /// Travel time in minutes at which the location component is 0.5, used
    /// for pairs with a known travel time. Default 25.
    pub travel_half_minutes: f64,
}

impl Weights {
    /// Default [`Weights::location_half_km`].
    pub const DEFAULT_LOCATION_HALF_KM: f64 = 10.0;
    /// Default [`Weights::travel_half_minutes`].
    pub const DEFAULT_TRAVEL_HALF_MINUTES: f64 = 25.0;
    /// Default [`Weights::trust_prior_strength`].
    pub const DEFAULT_TRUST_PRIOR_STRENGTH: f64 = 5.0;

    /// The weights of the components in the order of
    /// [`super::COMPONENT_NAMES`].
    pub fn to_array(&self) -> [f64; 5] {
        [self.readiness, self.location, self.capacity, self.partnership, self.preference]
    }

    /// Reads weights from TOML text (see the type documentation for the keys).
    /// Missing keys take their defaults; unknown keys, non-numbers, negative
    /// or non-finite weights, non-positive scales and all-zero weights are
    /// errors that give the line and column and what to change.
    pub fn from_toml_str(text: &str) -> Result<Weights, WeightsError> {
        let raw: RawWeights = toml::from_str(text).map_err(|e| {
            let pos = e.span().map(|s| TextPos::of(text, s.start));
            WeightsError::Syntax { at: pos, message: crate::toml_words::explain(e.message(), text, e.span()) }
        })?;
        let d = Weights::default();
        let pick = |v: &Option<toml::Spanned<f64>>, default: f64| match v {
            Some(s) => (*s.get_ref(), Some(TextPos::of(text, s.span().start))),
            None => (default, None),
        };
        let fields = [
            ("readiness", pick(&raw.readiness, d.readiness), Rule::Weight),
            ("location", pick(&raw.location, d.location), Rule::Weight),
            ("capacity", pick(&raw.capacity, d.capacity), Rule::Weight),
            ("partnership", pick(&raw.partnership, d.partnership), Rule::Weight),
            ("preference", pick(&raw.preference, d.preference), Rule::Weight),
            ("trust", pick(&raw.trust, d.trust), Rule::Weight),
            ("trust_prior_strength", pick(&raw.trust_prior_strength, d.trust_prior_strength), Rule::Scale),
            ("location_half_km", pick(&raw.location_half_km, d.location_half_km), Rule::Scale),
            ("travel_half_minutes", pick(&raw.travel_half_minutes, d.travel_half_minutes), Rule::Scale),
        ];
        for (key, (value, at), rule) in fields {
            rule.check(key, value, at)?;
        }
        let w = Weights {
            readiness: fields[0].1 .0,
            location: fields[1].1 .0,
            capacity: fields[2].1 .0,
            partnership: fields[3].1 .0,
            preference: fields[4].1 .0,
            trust: fields[5].1 .0,
            trust_prior_strength: fields[6].1 .0,
            location_half_km: fields[7].1 .0,
            travel_half_minutes: fields[8].1 .0,
        };
        w.validate()?;
        Ok(w)
    }

    /// Checks weights built in code: every weight finite and at least 0, at
    /// least one weight above 0, both scales finite and above 0.
    pub fn validate(&self) -> Result<(), WeightsError> {
        for (key, value) in super::COMPONENT_NAMES.iter().zip(self.to_array()) {
            Rule::Weight.check(key, value, None)?;
        }
        Rule::Weight.check("trust", self.trust, None)?;
        Rule::Scale.check("trust_prior_strength", self.trust_prior_strength, None)?;
        Rule::Scale.check("location_half_km", self.location_half_km, None)?;
        Rule::Scale.check("travel_half_minutes", self.travel_half_minutes, None)?;
        if self.to_array().iter().sum::<f64>() <= 0.0 {
            return Err(WeightsError::AllZero);
        }
        Ok(())
    }

    /// The score of a pair, 0 to 100: `100 * Σ w_i c_i / Σ w_i` over the five
    /// components. Weights that are negative or not finite count as 0 (use
    /// [`Weights::validate`] to reject them); when no weight is above 0 the
    /// score is 0.
    pub fn score(&self, c: &Components) -> f64 {
        let (w, total) = self.effective_for(c);
        if total <= 0.0 {
            return 0.0;
        }
        let mut sum: f64 = w.iter().zip(c.to_array()).map(|(w, c)| w * c).sum();
        if let Some(t) = c.trust {
            sum += self.trust_weight() * t;
        }
        (100.0 * sum / total).clamp(0.0, 100.0)
    }

    /// The points (out of 100) the trust component adds to
    /// [`Weights::score`]: `100 * w_trust * trust / Σ w_j`; `None` when the
    /// pair has no trust component (no `outcomes.csv`).
    pub fn trust_contribution(&self, c: &Components) -> Option<f64> {
        let (_, total) = self.effective_for(c);
        let t = c.trust?;
        Some(if total > 0.0 { 100.0 * self.trust_weight() * t / total } else { 0.0 })
    }

    /// The trust weight, 0 when invalid.
    fn trust_weight(&self) -> f64 {
        if self.trust.is_finite() && self.trust > 0.0 {
            self.trust
        } else {
            0.0
        }
    }

    /// The five weights as in [`Weights::effective`] and the total, with the
    /// trust weight added when `c` has a trust component.
    fn effective_for(&self, c: &Components) -> ([f64; 5], f64) {
        let (w, total) = self.effective();
        match c.trust {
            Some(_) => (w, total + self.trust_weight()),
            None => (w, total),
        }
    }

    /// The points (out of 100) each component adds to [`Weights::score`], in
    /// the order of [`super::COMPONENT_NAMES`]: `100 * w_i c_i / Σ w_j`. They
    /// add up to the score.
    pub fn contributions(&self, c: &Components) -> [f64; 5] {
        let (w, total) = self.effective_for(c);
        let mut out = [0.0; 5];
        if total > 0.0 {
            for (o, (w, c)) in out.iter_mut().zip(w.iter().zip(c.to_array())) {
                *o = 100.0 * w * c / total;
            }
        }
        out
    }

    /// The weights with invalid values replaced by 0, and their sum.
    pub(crate) fn effective(&self) -> ([f64; 5], f64) {
        let w = self.to_array().map(|x| if x.is_finite() && x > 0.0 { x } else { 0.0 });
        (w, w.iter().sum())
    }
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            readiness: 1.0,
            location: 2.0,
            capacity: 0.5,
            partnership: 1.0,
            preference: 1.5,
            trust: 1.0,
            trust_prior_strength: Self::DEFAULT_TRUST_PRIOR_STRENGTH,
            location_half_km: Self::DEFAULT_LOCATION_HALF_KM,
            travel_half_minutes: Self::DEFAULT_TRAVEL_HALF_MINUTES,
        }
    }
}

/// The TOML form with spans, so that errors can point at the value. Must have
/// the same keys as [`Weights`] (a test checks this).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWeights {
    readiness: Option<toml::Spanned<f64>>,
    location: Option<toml::Spanned<f64>>,
    capacity: Option<toml::Spanned<f64>>,
    partnership: Option<toml::Spanned<f64>>,
    preference: Option<toml::Spanned<f64>>,
    trust: Option<toml::Spanned<f64>>,
    trust_prior_strength: Option<toml::Spanned<f64>>,
    location_half_km: Option<toml::Spanned<f64>>,
    travel_half_minutes: Option<toml::Spanned<f64>>,
}

#[derive(Clone, Copy)]
enum Rule {
    /// Finite and at least 0.
    Weight,
    /// Finite and above 0.
    Scale,
}

impl Rule {
    fn check(self, key: &str, value: f64, at: Option<TextPos>) -> Result<(), WeightsError> {
        let ok = match self {
            Rule::Weight => value.is_finite() && value >= 0.0,
            Rule::Scale => value.is_finite() && value > 0.0,
        };
        if ok {
            return Ok(());
        }
        let fix = match self {
            Rule::Weight => "a weight must be a finite number, 0 or more (0 switches the component off)",
            Rule::Scale => "a scale must be a finite number above 0",
        };
        Err(WeightsError::Invalid { key: key.to_string(), value, at, fix })
    }
}

/// A position in the weights text, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextPos {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl TextPos {
    /// The position of byte offset `offset` in `text`.
    fn of(text: &str, offset: usize) -> TextPos {
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or(text);
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        TextPos { line: before.matches('\n').count() + 1, column: before[line_start..].chars().count() + 1 }
    }
}

impl fmt::Display for TextPos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// `"line 3, column 12: "` or nothing.
struct At(Option<TextPos>);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(p) => write!(f, "{p}: "),
            None => Ok(()),
        }
    }
}

/// What to do after a TOML error: the keys and their ranges, unless the
/// parser's message already lists the keys.
fn syntax_hint(message: &str) -> &'static str {
    if message.contains("the keys here are") {
        "check the spelling; each key is optional"
    } else {
        "the weights file takes readiness, location, capacity, partnership, preference and trust \
         (numbers, 0 or more) and location_half_km, travel_half_minutes and trust_prior_strength \
         (numbers above 0), each optional"
    }
}

/// Why weights were refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum WeightsError {
    /// The text is not valid TOML, has an unknown key or a value of the wrong type.
    #[error("{}{message}; {}", At(*at), syntax_hint(message))]
    Syntax {
        /// Where, when known.
        at: Option<TextPos>,
        /// The TOML parser's message.
        message: String,
    },
    /// A value is out of range.
    #[error("{}{key} = {value}: {fix}", At(*at))]
    Invalid {
        /// The key.
        key: String,
        /// The value given.
        value: f64,
        /// Where the value is, when read from text.
        at: Option<TextPos>,
        /// What is allowed.
        fix: &'static str,
    },
    /// Every weight is 0, so nothing would be scored.
    #[error("every weight is 0; set at least one of readiness, location, capacity, partnership or preference above 0")]
    AllZero,
}

impl WeightsError {
    /// Where in the text the problem is, when known.
    pub fn position(&self) -> Option<TextPos> {
        match self {
            WeightsError::Syntax { at, .. } | WeightsError::Invalid { at, .. } => *at,
            WeightsError::AllZero => None,
        }
    }
}
