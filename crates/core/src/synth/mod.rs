//! Synthetic seasons: realistic, deterministic [`SeasonDoc`](crate::season::SeasonDoc)s of any size, for
//! demos, tests and benchmarks.
//!
//! Learners, schools and workplace sites are scattered around real towns
//! (Flemish towns, or German cities for the national-scale market), weighted by
//! population with a Gaussian spread of a few kilometres. Scarcity varies by
//! programme: each programme draws a ratio of seats per learner between 0.6 and
//! 1.6, so some programmes have fewer seats than learners and others more.
//!
//! The same [`SynthParams`] always give the same document, whatever the number
//! of threads: every parallel chunk draws from its own ChaCha8 stream derived
//! from the seed, the stage and the chunk index.
//!
//! ```
//! use dualmatch_core::synth::{generate, Preset, SynthParams};
//! let doc = generate(&SynthParams::preset(Preset::Tiny, 7));
//! assert_eq!(doc.learners.len(), 50);
//! assert!(dualmatch_core::season::from_doc(doc).is_ok());
//! ```

mod generator;
mod mentors;
mod outcomes;
mod regions;
mod scenarios;

use std::fmt;
use std::str::FromStr;

use regions::{Region, FLANDERS, GERMANY};

pub use generator::generate;
pub use mentors::{add_mentors, add_rhythms};
pub use outcomes::{early_end_probability, past_outcomes, PLACED_SHARE, TROUBLED_SHARE};
pub use scenarios::{drop_seatless, scale_seats, scenarios, seat_ratio, BadScenario, Scenario};

/// A named size of synthetic season.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Preset {
    /// About 50 learners, 3 schools, 4 programmes and 30 sites in Flanders.
    Tiny,
    /// A Flemish season: 6,000 learners, 25 schools, 15 programmes, 8,000 sites.
    Flanders,
    /// A German-scale market: 500,000 learners, 1,200 schools, 40 programmes,
    /// 200,000 sites around 80 German cities.
    National,
}

impl Preset {
    /// Every preset, smallest first.
    pub const ALL: [Preset; 3] = [Preset::Tiny, Preset::Flanders, Preset::National];

    /// The preset's name: `tiny`, `flanders` or `national`.
    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Tiny => "tiny",
            Preset::Flanders => "flanders",
            Preset::National => "national",
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown preset name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownPreset(pub String);

impl fmt::Display for UnknownPreset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown preset {:?}; use tiny, flanders or national", self.0)
    }
}

impl std::error::Error for UnknownPreset {}

impl FromStr for Preset {
    type Err = UnknownPreset;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Preset::ALL.into_iter().find(|p| p.as_str().eq_ignore_ascii_case(t)).ok_or_else(|| UnknownPreset(s.to_string()))
    }
}

/// What to generate. Any values are accepted; `schools` and `programmes` are
/// raised to at least 1 so that every learner has a school and a programme.
///
/// Seasons with more than 30 programmes or more than 100,000 learners are
/// placed in Germany (German city geography and Ausbildungsberufe); smaller
/// ones in Flanders.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SynthParams {
    /// Number of learners.
    pub learners: usize,
    /// Number of workplace sites.
    pub workplaces: usize,
    /// Number of schools.
    pub schools: usize,
    /// Number of programmes.
    pub programmes: usize,
    /// Random seed: the same parameters and seed give the same season.
    pub seed: u64,
}

impl SynthParams {
    /// The parameters of a preset with the given seed.
    pub fn preset(p: Preset, seed: u64) -> Self {
        let (learners, workplaces, schools, programmes) = match p {
            Preset::Tiny => (50, 30, 3, 4),
            Preset::Flanders => (6_000, 8_000, 25, 15),
            Preset::National => (500_000, 200_000, 1_200, 40),
        };
        Self { learners, workplaces, schools, programmes, seed }
    }

    fn region(&self) -> &'static Region {
        if self.programmes > FLANDERS.programmes.len() || self.learners > 100_000 {
            &GERMANY
        } else {
            &FLANDERS
        }
    }
}
