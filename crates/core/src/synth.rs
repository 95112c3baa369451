//! Synthetic seasons: realistic, deterministic [`SeasonDoc`]s of any size, for
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

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;

use crate::geo::{chord_for_km, haversine_km, GeoPoint};
use crate::season::doc::{LearnerRec, ProgrammeRec, RecognitionRec, SchoolRec, Screening, SeasonDoc, WorkplaceRec};

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

// ---------------------------------------------------------------------------
// Reference data.

/// A town: a cluster centre weighted by population.
struct Town {
    name: &'static str,
    lat: f64,
    lon: f64,
    pop: u32,
}

const fn town(name: &'static str, lat: f64, lon: f64, pop: u32) -> Town {
    Town { name, lat, lon, pop }
}

/// Attribute tags learners may hold and sites may require.
const TAGS: [&str; 5] = ["licence_b", "vca", "haccp", "forklift", "first_aid"];
const LICENCE_B: Option<usize> = Some(0);
const VCA: Option<usize> = Some(1);
const HACCP: Option<usize> = Some(2);
const FORKLIFT: Option<usize> = Some(3);
const FIRST_AID: Option<usize> = Some(4);
/// How often a learner holds each tag, before the bonus for their programme's tag.
const TAG_BASE: [f64; 5] = [0.08, 0.05, 0.05, 0.03, 0.06];
/// Added to the chance of holding the tag that goes with the learner's programme.
const TAG_BONUS: f64 = 0.20;

/// A programme: name, family (0 construction, 1 technical, 2 food and
/// hospitality, 3 retail and logistics, 4 care and personal services, 5 office),
/// popularity weight and the tag that goes with it.
struct ProgSpec {
    name: &'static str,
    family: usize,
    weight: f64,
    tag: Option<usize>,
}

const fn prog(name: &'static str, family: usize, weight: f64, tag: Option<usize>) -> ProgSpec {
    ProgSpec { name, family, weight, tag }
}

const FAMILIES: usize = 6;

/// Everything that makes a season Flemish or German.
struct Region {
    towns: &'static [Town],
    programmes: &'static [ProgSpec],
    /// Name of programmes beyond the list: `{prefix} {n}`.
    extra_programme: &'static str,
    schools: &'static [&'static str],
    /// Company name templates per family; `{S}`/`{T}` surnames, `{F}` a first
    /// name, `{W}` a word, `{C}` the town.
    companies: [&'static [&'static str]; FAMILIES],
    chains: &'static [&'static str],
    surnames: &'static [&'static str],
    first_names: &'static [&'static str],
    words: &'static [&'static str],
    /// Spread of sites around a town: `base + scale * sqrt(pop / largest pop)` km.
    sigma_base_km: f64,
    sigma_scale_km: f64,
    /// Shortest longest-commute, km; learners draw `min + 0.5·(a + b)` with
    /// `a, b` uniform in `0..=commute_steps` (a triangular spread).
    commute_min_km: f64,
    /// See `commute_min_km`.
    commute_steps: u32,
}

static FLANDERS: Region = Region {
    towns: &[
        town("Antwerpen", 51.2194, 4.4025, 530_000),
        town("Gent", 51.0543, 3.7174, 265_000),
        town("Brugge", 51.2093, 3.2247, 119_000),
        town("Leuven", 50.8798, 4.7005, 102_000),
        town("Mechelen", 51.0259, 4.4776, 87_000),
        town("Aalst", 50.9378, 4.0403, 88_000),
        town("Kortrijk", 50.8279, 3.2649, 78_000),
        town("Hasselt", 50.9307, 5.3325, 79_000),
        town("Sint-Niklaas", 51.1650, 4.1432, 80_000),
        town("Genk", 50.9650, 5.5008, 67_000),
        town("Oostende", 51.2154, 2.9287, 72_000),
        town("Roeselare", 50.9469, 3.1227, 64_000),
        town("Turnhout", 51.3227, 4.9447, 45_000),
        town("Dendermonde", 51.0283, 4.1010, 46_000),
        town("Beveren", 51.2120, 4.2560, 49_000),
        town("Heist-op-den-Berg", 51.0757, 4.7278, 43_000),
        town("Lier", 51.1310, 4.5706, 37_000),
        town("Geel", 51.1614, 4.9896, 41_000),
        town("Vilvoorde", 50.9281, 4.4245, 45_000),
        town("Waregem", 50.8886, 3.4264, 38_000),
        town("Ieper", 50.8503, 2.8857, 35_000),
        town("Tienen", 50.8076, 4.9380, 35_000),
        town("Lokeren", 51.1036, 3.9930, 42_000),
        town("Mol", 51.1912, 5.1165, 37_000),
        town("Herentals", 51.1766, 4.8364, 29_000),
        town("Tongeren", 50.7806, 5.4640, 31_000),
        town("Zottegem", 50.8692, 3.8106, 27_000),
        town("Oudenaarde", 50.8453, 3.6049, 32_000),
        town("Eeklo", 51.1853, 3.5640, 21_000),
        town("Ninove", 50.8276, 4.0248, 39_000),
        town("Halle", 50.7345, 4.2348, 40_000),
        town("Aarschot", 50.9866, 4.8366, 30_000),
        town("Diest", 50.9893, 5.0506, 24_000),
        town("Sint-Truiden", 50.8166, 5.1865, 41_000),
        town("Maaseik", 51.0944, 5.7870, 25_000),
        town("Lommel", 51.2303, 5.3132, 35_000),
        town("Tielt", 50.9988, 3.3276, 21_000),
        town("Torhout", 51.0654, 3.1013, 21_000),
        town("Menen", 50.7963, 3.1223, 33_000),
        town("Wetteren", 51.0011, 3.8839, 26_000),
        town("Deinze", 50.9840, 3.5300, 44_000),
        town("Ronse", 50.7458, 3.6006, 26_000),
        town("Boom", 51.0878, 4.3667, 18_000),
        town("Zaventem", 50.8836, 4.4736, 34_000),
        town("Bilzen", 50.8730, 5.5178, 32_000),
        town("Diksmuide", 51.0329, 2.8639, 17_000),
    ],
    programmes: &[
        prog("Winkelbediende", 3, 10.0, None),
        prog("Logistiek medewerker", 3, 9.0, FORKLIFT),
        prog("Kok", 2, 8.0, HACCP),
        prog("Elektrotechnicus", 1, 8.0, VCA),
        prog("Mecanicien", 1, 7.0, VCA),
        prog("Verzorgende", 4, 7.0, FIRST_AID),
        prog("Kapper-stylist", 4, 6.0, None),
        prog("Schilder-decorateur", 0, 5.0, VCA),
        prog("Lasser-monteerder", 1, 5.0, VCA),
        prog("Bakker", 2, 4.0, HACCP),
        prog("Onthaalmedewerker", 5, 4.0, None),
        prog("Dakwerker", 0, 3.0, VCA),
        prog("Houtbewerker", 0, 4.0, VCA),
        prog("Chauffeur", 3, 3.5, LICENCE_B),
        prog("Fitnessbegeleider", 4, 3.0, FIRST_AID),
        prog("Slager-spekslager", 2, 2.0, HACCP),
        prog("Metselaar", 0, 4.0, VCA),
        prog("Installateur sanitair en verwarming", 0, 3.0, VCA),
        prog("Kinderbegeleider", 4, 4.0, FIRST_AID),
        prog("Schoonheidsspecialist", 4, 3.0, None),
        prog("Zaalmedewerker", 2, 3.0, HACCP),
        prog("Onderhoudstechnicus", 1, 3.0, VCA),
        prog("Carrosseriehersteller", 1, 2.0, VCA),
        prog("Tegelzetter", 0, 2.0, VCA),
        prog("Kantoormedewerker", 5, 4.0, None),
        prog("Magazijnier", 3, 3.0, FORKLIFT),
        prog("Hovenier", 0, 2.5, VCA),
        prog("Banketbakker-chocolatier", 2, 1.5, HACCP),
        prog("Medewerker grootkeuken", 2, 2.0, HACCP),
        prog("Polyvalent medewerker bouw", 0, 2.0, VCA),
    ],
    extra_programme: "Opleiding",
    schools: &[
        "VTI {C}",
        "GO! Technisch Atheneum {C}",
        "Sint-Jozefsinstituut {C}",
        "KTA {C}",
        "Centrum Leren en Werken {C}",
        "Syntra {C}",
        "Don Bosco {C}",
        "Provinciaal Instituut {C}",
        "Hotelschool {C}",
        "Campus Sint-Ignatius – {C}",
        "Technicum {C}",
    ],
    companies: [
        &[
            "Dakwerken {S}",
            "Schilderwerken {F} {S}",
            "Bouwbedrijf {S} & Zonen",
            "Façade {F} BV",
            "Renovatie {S}, {T} & Partners BV",
            "Schrijnwerkerij {S}",
            "Bouwonderneming {S} NV",
            "Houtatelier {W}",
            "Tuinaanleg {F} {S}",
        ],
        &[
            "Garage {S}",
            "Elektro {S} BV",
            "Autobedrijf {S}, {T} NV",
            "Metaalconstructie {S}",
            "Technics {C} BV",
            "Lasatelier {F} {S}",
            "Carrosserie {S}",
        ],
        &[
            "Restaurant {W}",
            "Brasserie {W}",
            "Bakkerij {S}",
            "Traiteur {F}",
            "Hotel {W} {C}",
            "Slagerij {S}",
            "Pâtisserie {F}",
            "Café {W}",
        ],
        &[
            "Supermarkt {S}",
            "{S} Logistics NV",
            "Transport {S}, {T} & Co",
            "Boekhandel {W}",
            "Distributiecentrum {C}",
            "Kledingzaak {F}",
            "Doe-het-zelf {S}",
        ],
        &[
            "WZC {W}",
            "Kapsalon {F}",
            "Coiffure {F} {S}",
            "Fitness {W} {C}",
            "Kinderdagverblijf {W}",
            "Schoonheidsinstituut {F}",
            "Thuiszorg {S}, {T} vzw",
        ],
        &[
            "Boekhoudkantoor {S}",
            "{S} Consult BV",
            "Verzekeringen {S}, {T} & Partners",
            "Notariskantoor {S}",
            "Stad {C}",
        ],
    ],
    chains: &["Groep {S} NV", "{S} Holding NV", "{W} Retail NV", "Bouwgroep {S}, {T} & Co NV"],
    surnames: &[
        "Peeters",
        "Janssens",
        "Maes",
        "Jacobs",
        "Mertens",
        "Willems",
        "Claes",
        "Goossens",
        "Wouters",
        "De Smet",
        "Dubois",
        "Vermeulen",
        "Van den Broeck",
        "Hermans",
        "Pauwels",
        "Desmet",
        "Verstraete",
        "D'Hondt",
        "Vandenberghe",
        "Lemaître",
        "Noël",
        "Çelik",
        "Yılmaz",
        "Van Damme",
        "De Backer",
        "Coppens",
        "Lambrechts",
        "Declercq",
        "Verhoeven",
        "Thys",
        "Aerts",
        "Martens",
        "Baert",
        "Cools",
        "Smets",
        "El Amrani",
        "Bogaert",
        "Michiels",
        "Geerts",
        "Leclercq",
        "Cuypers",
        "Moreau",
    ],
    first_names: &[
        "Zoë",
        "Noë",
        "Loïc",
        "Anaïs",
        "Françoise",
        "Renée",
        "Jérôme",
        "Hélène",
        "André",
        "Jef",
        "Mieke",
        "Lotte",
        "Wout",
        "Lies",
        "Bram",
        "Sofie",
        "Kobe",
        "Ellen",
        "Gaëlle",
        "Jens",
        "Marthe",
        "Chloë",
        "Raphaël",
        "Inès",
        "Yusuf",
        "Amélie",
    ],
    words: &[
        "De Gouden Leeuw",
        "Het Anker",
        "'t Hoekske",
        "De Zwaan",
        "Zonnebloem",
        "De Linde",
        "Ter Duinen",
        "Sint-Anna",
        "Het Molenhuis",
        "Zeezicht",
        "Hemelrijk",
        "Réunion",
        "De Kroon",
        "Het Pleintje",
        "Den Artisan",
        "Bellevue",
        "Ter Beuken",
        "Vogelzang",
        "De Smidse",
        "Crème de la Crème",
    ],
    sigma_base_km: 2.0,
    sigma_scale_km: 4.0,
    // 16-year-olds by bike or bus: 10 to 40 km.
    commute_min_km: 10.0,
    commute_steps: 30,
};

static GERMANY: Region = Region {
    towns: &[
        town("Berlin", 52.5200, 13.4050, 3_645_000),
        town("Hamburg", 53.5511, 9.9937, 1_841_000),
        town("München", 48.1351, 11.5820, 1_472_000),
        town("Köln", 50.9375, 6.9603, 1_086_000),
        town("Frankfurt am Main", 50.1109, 8.6821, 753_000),
        town("Stuttgart", 48.7758, 9.1829, 635_000),
        town("Düsseldorf", 51.2277, 6.7735, 619_000),
        town("Leipzig", 51.3397, 12.3731, 587_000),
        town("Dortmund", 51.5136, 7.4653, 587_000),
        town("Essen", 51.4556, 7.0116, 583_000),
        town("Bremen", 53.0793, 8.8017, 567_000),
        town("Dresden", 51.0504, 13.7373, 556_000),
        town("Hannover", 52.3759, 9.7320, 536_000),
        town("Nürnberg", 49.4521, 11.0767, 518_000),
        town("Duisburg", 51.4344, 6.7623, 498_000),
        town("Bochum", 51.4818, 7.2162, 365_000),
        town("Wuppertal", 51.2562, 7.1508, 355_000),
        town("Bielefeld", 52.0302, 8.5325, 333_000),
        town("Bonn", 50.7374, 7.0982, 327_000),
        town("Münster", 51.9607, 7.6261, 315_000),
        town("Mannheim", 49.4875, 8.4660, 310_000),
        town("Karlsruhe", 49.0069, 8.4037, 308_000),
        town("Augsburg", 48.3705, 10.8978, 296_000),
        town("Wiesbaden", 50.0782, 8.2398, 278_000),
        town("Mönchengladbach", 51.1805, 6.4428, 261_000),
        town("Gelsenkirchen", 51.5177, 7.0857, 260_000),
        town("Aachen", 50.7753, 6.0839, 248_000),
        town("Braunschweig", 52.2689, 10.5268, 249_000),
        town("Kiel", 54.3233, 10.1228, 246_000),
        town("Chemnitz", 50.8278, 12.9214, 243_000),
        town("Halle (Saale)", 51.4969, 11.9688, 238_000),
        town("Magdeburg", 52.1205, 11.6276, 235_000),
        town("Freiburg im Breisgau", 47.9990, 7.8421, 231_000),
        town("Krefeld", 51.3388, 6.5853, 227_000),
        town("Mainz", 49.9929, 8.2473, 217_000),
        town("Lübeck", 53.8655, 10.6866, 216_000),
        town("Erfurt", 50.9848, 11.0299, 213_000),
        town("Oberhausen", 51.4963, 6.8638, 209_000),
        town("Rostock", 54.0924, 12.0991, 209_000),
        town("Kassel", 51.3127, 9.4797, 201_000),
        town("Hagen", 51.3671, 7.4633, 188_000),
        town("Potsdam", 52.3906, 13.0645, 183_000),
        town("Saarbrücken", 49.2402, 6.9969, 180_000),
        town("Hamm", 51.6739, 7.8150, 180_000),
        town("Ludwigshafen am Rhein", 49.4774, 8.4452, 172_000),
        town("Oldenburg", 53.1435, 8.2146, 169_000),
        town("Mülheim an der Ruhr", 51.4186, 6.8845, 170_000),
        town("Osnabrück", 52.2799, 8.0472, 165_000),
        town("Leverkusen", 51.0459, 6.9853, 163_000),
        town("Darmstadt", 49.8728, 8.6512, 159_000),
        town("Heidelberg", 49.3988, 8.6724, 160_000),
        town("Solingen", 51.1652, 7.0671, 159_000),
        town("Regensburg", 49.0134, 12.1016, 153_000),
        town("Herne", 51.5369, 7.2009, 156_000),
        town("Paderborn", 51.7189, 8.7575, 152_000),
        town("Neuss", 51.2042, 6.6879, 152_000),
        town("Ingolstadt", 48.7665, 11.4258, 138_000),
        town("Offenbach am Main", 50.0956, 8.7761, 131_000),
        town("Würzburg", 49.7913, 9.9534, 127_000),
        town("Fürth", 49.4771, 10.9887, 129_000),
        town("Ulm", 48.4011, 9.9876, 126_000),
        town("Heilbronn", 49.1427, 9.2109, 126_000),
        town("Pforzheim", 48.8922, 8.6947, 125_000),
        town("Wolfsburg", 52.4227, 10.7865, 124_000),
        town("Göttingen", 51.5413, 9.9158, 118_000),
        town("Bottrop", 51.5236, 6.9285, 117_000),
        town("Reutlingen", 48.4914, 9.2043, 116_000),
        town("Koblenz", 50.3569, 7.5890, 114_000),
        town("Bremerhaven", 53.5396, 8.5809, 113_000),
        town("Recklinghausen", 51.6141, 7.1979, 110_000),
        town("Bergisch Gladbach", 50.9918, 7.1367, 111_000),
        town("Jena", 50.9271, 11.5892, 110_000),
        town("Erlangen", 49.5897, 11.0120, 112_000),
        town("Trier", 49.7499, 6.6371, 110_000),
        town("Cottbus", 51.7563, 14.3329, 99_000),
        town("Siegen", 50.8748, 8.0243, 101_000),
        town("Schwerin", 53.6355, 11.4012, 95_000),
        town("Flensburg", 54.7937, 9.4469, 90_000),
        town("Konstanz", 47.6779, 9.1732, 85_000),
        town("Passau", 48.5667, 13.4319, 53_000),
    ],
    programmes: &[
        prog("Kaufmann/-frau im Einzelhandel", 3, 10.0, None),
        prog("Verkäufer/-in", 3, 8.0, None),
        prog("Kraftfahrzeugmechatroniker/-in", 1, 8.0, VCA),
        prog("Kaufmann/-frau für Büromanagement", 5, 9.0, None),
        prog("Fachinformatiker/-in", 5, 7.0, None),
        prog("Industriekaufmann/-frau", 5, 6.0, None),
        prog("Medizinische/-r Fachangestellte/-r", 4, 6.0, FIRST_AID),
        prog("Elektroniker/-in", 1, 6.0, VCA),
        prog("Industriemechaniker/-in", 1, 5.0, VCA),
        prog("Anlagenmechaniker/-in für Sanitär-, Heizungs- und Klimatechnik", 0, 4.0, VCA),
        prog("Fachkraft für Lagerlogistik", 3, 5.0, FORKLIFT),
        prog("Fachlagerist/-in", 3, 3.0, FORKLIFT),
        prog("Zahnmedizinische/-r Fachangestellte/-r", 4, 4.0, FIRST_AID),
        prog("Koch/Köchin", 2, 4.0, HACCP),
        prog("Friseur/-in", 4, 3.0, None),
        prog("Bankkaufmann/-frau", 5, 3.0, None),
        prog("Kaufmann/-frau für Groß- und Außenhandelsmanagement", 3, 4.0, None),
        prog("Steuerfachangestellte/-r", 5, 3.0, None),
        prog("Tischler/-in", 0, 3.0, VCA),
        prog("Maler/-in und Lackierer/-in", 0, 3.0, VCA),
        prog("Mechatroniker/-in", 1, 3.0, VCA),
        prog("Hotelfachmann/-frau", 2, 2.5, HACCP),
        prog("Bäcker/-in", 2, 1.5, HACCP),
        prog("Fachverkäufer/-in im Lebensmittelhandwerk", 2, 2.5, HACCP),
        prog("Metallbauer/-in", 1, 2.5, VCA),
        prog("Zerspanungsmechaniker/-in", 1, 2.5, VCA),
        prog("Elektroniker/-in für Betriebstechnik", 1, 2.5, VCA),
        prog("Pflegefachmann/-frau", 4, 6.0, FIRST_AID),
        prog("Berufskraftfahrer/-in", 3, 2.0, LICENCE_B),
        prog("Dachdecker/-in", 0, 1.5, VCA),
        prog("Maurer/-in", 0, 1.5, VCA),
        prog("Restaurantfachmann/-frau", 2, 1.5, HACCP),
        prog("Kaufmann/-frau für Spedition und Logistikdienstleistung", 3, 2.0, None),
        prog("Verwaltungsfachangestellte/-r", 5, 3.0, None),
        prog("Fleischer/-in", 2, 1.0, HACCP),
        prog("Gärtner/-in", 0, 2.0, None),
        prog("Fahrzeuglackierer/-in", 1, 1.0, VCA),
        prog("Land- und Baumaschinenmechatroniker/-in", 1, 1.5, VCA),
        prog("Sport- und Fitnesskaufmann/-frau", 4, 1.0, FIRST_AID),
        prog("Elektroniker/-in für Energie- und Gebäudetechnik", 0, 3.0, VCA),
    ],
    extra_programme: "Ausbildungsberuf",
    schools: &[
        "Berufsschule {C}",
        "Berufskolleg {C}",
        "Oberstufenzentrum {C}",
        "Berufsbildende Schulen {C}",
        "Gewerbliche Schule {C}",
        "Kaufmännische Schule {C}",
        "Staatliche Berufsschule {C}",
        "Max-Eyth-Schule {C}",
        "Walther-Rathenau-Schule {C}",
    ],
    companies: [
        &[
            "Dachdeckerei {S}",
            "Malerbetrieb {F} {S}",
            "Bauunternehmen {S} GmbH",
            "Tischlerei {S}",
            "{S} & Söhne Bau GmbH",
            "Zimmerei {S}, {T} & Partner",
            "Haustechnik {S} GmbH & Co. KG",
        ],
        &[
            "Autohaus {S}",
            "Elektro {S} GmbH",
            "Maschinenbau {S}, {T} KG",
            "Metallbau {S}",
            "{S} Präzisionstechnik GmbH",
            "Kfz-Werkstatt {F} {S}",
        ],
        &[
            "Gasthof {W}",
            "Restaurant {W}",
            "Bäckerei {S}",
            "Metzgerei {S}",
            "Hotel {W} {C}",
            "Konditorei {F}",
            "Brauhaus {W}",
        ],
        &[
            "Spedition {S} GmbH",
            "{S} Logistik GmbH & Co. KG",
            "Supermarkt {S}",
            "Baumarkt {S}, {T} & Co",
            "Modehaus {F}",
            "Getränkehandel {S}",
        ],
        &[
            "Praxis Dr. {S}",
            "Friseursalon {F}",
            "Pflegedienst {S}, {T} & Partner",
            "Zahnarztpraxis {S}",
            "Fitnessstudio {W}",
            "Kosmetikstudio {F}",
        ],
        &[
            "{S} IT-Services GmbH",
            "Steuerberatung {S}, {T} & Partner",
            "Sparkasse {C}",
            "Stadtverwaltung {C}",
            "{S} Consulting AG",
            "Versicherungsbüro {S}",
        ],
    ],
    chains: &["{S} Gruppe GmbH", "{S} Holding AG", "{W} Handels-GmbH", "{S}, {T} & Co. KG"],
    surnames: &[
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Meyer",
        "Wagner",
        "Becker",
        "Schulz",
        "Hoffmann",
        "Schäfer",
        "Koch",
        "Bauer",
        "Richter",
        "Klein",
        "Wolf",
        "Schröder",
        "Neumann",
        "Schwarz",
        "Zimmermann",
        "Braun",
        "Krüger",
        "Hofmann",
        "Hartmann",
        "Lange",
        "Schmitt",
        "Werner",
        "Krause",
        "Meier",
        "Lehmann",
        "Köhler",
        "Weiß",
        "Groß",
        "Jäger",
        "Öztürk",
        "Kowalski",
        "Yıldız",
        "Böhm",
        "Günther",
        "Vogt",
    ],
    first_names: &[
        "Jürgen", "Jörg", "Björn", "Sören", "Jonas", "Lena", "Anja", "Mia", "Felix", "Günter", "Käthe", "Zoë",
        "Hannah", "Lukas", "Ömer", "Sophie", "Marie", "Elif",
    ],
    words: &[
        "Zum Löwen",
        "Zur Post",
        "Goldener Hirsch",
        "Am Markt",
        "Rheinblick",
        "Alte Mühle",
        "Zum Schwan",
        "Lindenhof",
        "Krone",
        "Bärenwirt",
        "Seeblick",
        "Zum Anker",
    ],
    // A national market spreads sites over whole metropolitan regions, and
    // apprentices commute by public transport: 5 to 25 km.
    sigma_base_km: 6.0,
    sigma_scale_km: 25.0,
    commute_min_km: 5.0,
    commute_steps: 20,
};

// ---------------------------------------------------------------------------
// Shape of the season (shares and ranges).

/// Readiness 1..=4 of learners.
const LEARNER_READINESS: [f64; 4] = [0.10, 0.42, 0.36, 0.12];
/// `min_readiness` 1..=3 of sites.
const SITE_MIN_READINESS: [f64; 3] = [0.50, 0.35, 0.15];
const SCREEN_PASSED: f64 = 0.85;
const SCREEN_PENDING: f64 = 0.10;
const EXTRA_SUPPORT: f64 = 0.05;
const LEARNER_PREFS: f64 = 0.60;
const SITE_PREFS: f64 = 0.20;
const SITE_REQUIRES: f64 = 0.10;
/// Share of sites whose mentor capacity is below their seats.
const CAPACITY_BINDING: f64 = 0.40;
/// Share of sites run by a multi-site company.
const CHAIN_SITES: f64 = 0.08;
/// Partner schools 0..=3 per site.
const PARTNER_SCHOOLS: [f64; 4] = [0.40, 0.30, 0.20, 0.10];
/// Seats in one extra block of a recognition (1..=4).
const SEAT_BLOCK: [f64; 4] = [0.45, 0.30, 0.15, 0.10];
/// Range of seats per learner drawn per programme.
const RATIO_RANGE: (f64, f64) = (0.6, 1.6);
/// Learners live more spread out than sites are.
const LEARNER_SPREAD: f64 = 1.5;
/// Site preferences name learners living within this distance.
const SITE_PREF_KM: f64 = 20.0;
const MAX_SEATS: u32 = 4;
const MAX_RECOGNITIONS: usize = 3;

/// Items generated with one random stream in the parallel stages.
const CHUNK: usize = 2048;

/// Stages, each with its own random streams.
const STAGE_SETUP: u64 = 1;
const STAGE_SCHOOLS: u64 = 2;
const STAGE_LEARNERS: u64 = 3;
const STAGE_ALLOCATE: u64 = 4;
const STAGE_SITES: u64 = 5;
const STAGE_LEARNER_PREFS: u64 = 6;
const STAGE_SITE_PREFS: u64 = 7;

fn stage_rng(seed: u64, stage: u64, chunk: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream((stage << 48) | chunk);
    rng
}

/// Runs `f` for each index in `0..n` in parallel chunks, each chunk with its
/// own stream, and returns the results in index order.
fn par_gen<T: Send>(n: usize, seed: u64, stage: u64, f: impl Fn(&mut ChaCha8Rng, usize) -> T + Sync) -> Vec<T> {
    let parts: Vec<Vec<T>> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut rng = stage_rng(seed, stage, c as u64);
            (c * CHUNK..((c + 1) * CHUNK).min(n)).map(|i| f(&mut rng, i)).collect()
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for p in parts {
        out.extend(p);
    }
    out
}

/// Sampling by cumulative weights.
struct Weighted(Vec<f64>);

impl Weighted {
    fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut acc = 0.0;
        Weighted(
            weights
                .into_iter()
                .map(|w| {
                    acc += w.max(0.0);
                    acc
                })
                .collect(),
        )
    }

    fn sample<R: Rng>(&self, rng: &mut R) -> usize {
        let total = self.0.last().copied().unwrap_or(0.0);
        if total <= 0.0 {
            return rng.gen_range(0..self.0.len().max(1));
        }
        let x = rng.gen::<f64>() * total;
        self.0.partition_point(|c| *c <= x).min(self.0.len() - 1)
    }
}

fn pick<'a, R: Rng>(rng: &mut R, items: &[&'a str]) -> &'a str {
    items[rng.gen_range(0..items.len())]
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// A standard normal pair (Box–Muller), truncated at 3 standard deviations.
fn gauss2<R: Rng>(rng: &mut R) -> (f64, f64) {
    let u1 = 1.0 - rng.gen::<f64>();
    let u2 = rng.gen::<f64>();
    let r = (-2.0 * u1.ln()).sqrt().min(3.0);
    let t = std::f64::consts::TAU * u2;
    (r * t.cos(), r * t.sin())
}

type Pt = GeomWithData<[f64; 3], u32>;

fn unit(lat: f64, lon: f64) -> [f64; 3] {
    GeoPoint::new(lat, lon).unit_vector()
}

/// Up to `limit` items nearest to `q` within chord `max_chord`, nearest first.
fn nearest(tree: &RTree<Pt>, q: [f64; 3], max_chord: f64, limit: usize) -> Vec<u32> {
    let max2 = max_chord * max_chord * (1.0 + 1e-9);
    tree.nearest_neighbor_iter_with_distance_2(&q)
        .take_while(|(_, d2)| *d2 <= max2)
        .take(limit)
        .map(|(p, _)| p.data)
        .collect()
}

/// Up to `limit` items within chord `max_chord` of `q`, in tree order (much
/// cheaper than [`nearest`] in dense areas).
fn within(tree: &RTree<Pt>, q: [f64; 3], max_chord: f64, limit: usize) -> Vec<u32> {
    let max2 = max_chord * max_chord * (1.0 + 1e-9);
    tree.locate_within_distance(q, max2).take(limit).map(|p| p.data).collect()
}

/// Splits `total` in proportion to `weights` (largest remainder, ties to the
/// lower index).
fn apportion(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        let mut out = vec![0; weights.len()];
        for i in 0..total as usize {
            if let Some(o) = out.get_mut(i % weights.len().max(1)) {
                *o += 1;
            }
        }
        return out;
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut out: Vec<u64> = exact.iter().map(|e| e.floor() as u64).collect();
    let given: u64 = out.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| (exact[*b] - exact[*b].floor()).total_cmp(&(exact[*a] - exact[*a].floor())).then(a.cmp(b)));
    for i in 0..total.saturating_sub(given) as usize {
        out[order[i % order.len()]] += 1;
    }
    out
}

/// The place and geography of the season.
struct Geo {
    region: &'static Region,
    towns: Weighted,
    sigma_km: Vec<f64>,
}

impl Geo {
    fn new(region: &'static Region) -> Self {
        let max = region.towns.iter().map(|t| t.pop).max().unwrap_or(1) as f64;
        Geo {
            region,
            towns: Weighted::new(region.towns.iter().map(|t| f64::from(t.pop))),
            sigma_km: region
                .towns
                .iter()
                .map(|t| region.sigma_base_km + region.sigma_scale_km * (f64::from(t.pop) / max).sqrt())
                .collect(),
        }
    }

    /// A town by population and a point around it, rounded to 6 decimals.
    fn place<R: Rng>(&self, rng: &mut R, spread: f64) -> (usize, f64, f64) {
        let i = self.towns.sample(rng);
        let t = &self.region.towns[i];
        let (dx, dy) = gauss2(rng);
        let s = self.sigma_km[i] * spread;
        let lat = t.lat + dy * s / 111.32;
        let lon = t.lon + dx * s / (111.32 * lat.to_radians().cos());
        (i, round6(lat), round6(lon))
    }
}

/// Fills a name template.
fn fill<R: Rng>(rng: &mut R, region: &Region, template: &str, town: &str) -> String {
    let mut s = template.replace("{C}", town);
    let first = pick(rng, region.surnames);
    if s.contains("{T}") {
        let mut second = pick(rng, region.surnames);
        while second == first {
            second = pick(rng, region.surnames);
        }
        s = s.replace("{T}", second);
    }
    s = s.replace("{S}", first);
    if s.contains("{F}") {
        s = s.replace("{F}", pick(rng, region.first_names));
    }
    if s.contains("{W}") {
        s = s.replace("{W}", pick(rng, region.words));
    }
    s
}

fn id(prefix: char, n: usize, min_width: usize, count: usize) -> String {
    let width = min_width.max(count.to_string().len());
    format!("{prefix}{n:0width$}")
}

/// One site's recognitions: (programme index, seats), primary first.
type Recs = Vec<(u32, u32)>;

/// Seats per programme and their spread over sites.
///
/// Each programme's target is its ratio times its learners (strictly below or
/// above the learner count when the ratio is below or above 1). Every site needs
/// at least one seat; when the targets add up to fewer than `1.25 × sites`,
/// the difference goes to the programmes with a ratio of at least 1, so scarce
/// programmes stay scarce.
fn allocate(rng: &mut ChaCha8Rng, n_sites: usize, learners: &[u64], ratios: &[f64], families: &[usize]) -> Vec<Recs> {
    let np = learners.len();
    let mut target: Vec<u64> = (0..np)
        .map(|p| {
            let l = learners[p];
            let mut t = (ratios[p] * l as f64).round() as u64;
            if l > 0 && ratios[p] < 1.0 && t >= l {
                t = l - 1;
            }
            if l > 0 && ratios[p] > 1.0 && t <= l {
                t = l + 1;
            }
            t
        })
        .collect();
    if n_sites == 0 {
        return Vec::new();
    }
    let floor = n_sites as u64 + n_sites as u64 / 4;
    let sum: u64 = target.iter().sum();
    if sum < floor {
        let eligible: Vec<bool> = (0..np).map(|p| ratios[p] >= 1.0).collect();
        let any = eligible.iter().any(|e| *e);
        let w: Vec<f64> = (0..np).map(|p| if !any || eligible[p] { target[p] as f64 + 1.0 } else { 0.0 }).collect();
        for (t, extra) in target.iter_mut().zip(apportion(floor - sum, &w)) {
            *t += extra;
        }
    }
    let primaries = apportion(n_sites as u64, &target.iter().map(|t| *t as f64).collect::<Vec<_>>());
    let mut list: Vec<u32> = Vec::with_capacity(n_sites);
    for (p, n) in primaries.iter().enumerate() {
        list.resize(list.len() + *n as usize, p as u32);
    }
    list.shuffle(rng);
    let mut recs: Vec<Recs> = list.iter().map(|p| vec![(*p, 1)]).collect();
    let mut fam_sites: Vec<Vec<u32>> = vec![Vec::new(); FAMILIES];
    let mut recs_of: Vec<Vec<u32>> = vec![Vec::new(); np];
    for (w, p) in list.iter().enumerate() {
        fam_sites[families[*p as usize]].push(w as u32);
        recs_of[*p as usize].push(w as u32);
    }
    let block = Weighted::new(SEAT_BLOCK);
    let slot = |r: &Recs, p: u32| r.iter().position(|x| x.0 == p);
    for p in 0..np {
        let pu = p as u32;
        let mut left = target[p].saturating_sub(primaries[p]);
        'seats: while left > 0 {
            let chunk = (block.sample(rng) as u64 + 1).min(left) as u32;
            let secondary_first = rng.gen_bool(0.5);
            for attempt in 0..2 {
                if (attempt == 0) == secondary_first {
                    let fam = &fam_sites[families[p]];
                    for _ in 0..8 {
                        if fam.is_empty() {
                            break;
                        }
                        let w = fam[rng.gen_range(0..fam.len())] as usize;
                        if recs[w].len() < MAX_RECOGNITIONS && slot(&recs[w], pu).is_none() {
                            recs[w].push((pu, chunk));
                            recs_of[p].push(w as u32);
                            left -= u64::from(chunk);
                            continue 'seats;
                        }
                    }
                } else {
                    for _ in 0..8 {
                        if recs_of[p].is_empty() {
                            break;
                        }
                        let w = recs_of[p][rng.gen_range(0..recs_of[p].len())] as usize;
                        let s = slot(&recs[w], pu).expect("recs_of lists sites recognised for p");
                        if recs[w][s].1 + chunk <= MAX_SEATS {
                            recs[w][s].1 += chunk;
                            left -= u64::from(chunk);
                            continue 'seats;
                        }
                    }
                }
            }
            // Crowded: any site with room, starting at a random one.
            let start = rng.gen_range(0..n_sites);
            for k in 0..n_sites {
                let w = (start + k) % n_sites;
                match slot(&recs[w], pu) {
                    Some(s) if recs[w][s].1 < MAX_SEATS => {
                        let add = chunk.min(MAX_SEATS - recs[w][s].1);
                        recs[w][s].1 += add;
                        left -= u64::from(add);
                        continue 'seats;
                    }
                    None if recs[w].len() < MAX_RECOGNITIONS => {
                        recs[w].push((pu, chunk));
                        recs_of[p].push(w as u32);
                        left -= u64::from(chunk);
                        continue 'seats;
                    }
                    _ => {}
                }
            }
            break; // every site is full for this programme
        }
    }
    recs
}

/// Generates a synthetic season. Deterministic in `params` (including the seed),
/// independent of the number of threads, and always valid for
/// [`crate::season::from_doc`] (warnings aside).
pub fn generate(params: &SynthParams) -> SeasonDoc {
    let region = params.region();
    let geo = Geo::new(region);
    let seed = params.seed;
    let (nl, nw) = (params.learners, params.workplaces);
    let ns = params.schools.max(1);
    let np = params.programmes.max(1);

    // Programmes: popularity, seat ratio, family and tag.
    let mut rng = stage_rng(seed, STAGE_SETUP, 0);
    let specs: Vec<(String, usize, f64, Option<usize>)> = (0..np)
        .map(|i| match region.programmes.get(i) {
            Some(s) => (s.name.to_string(), s.family, s.weight, s.tag),
            None => {
                (format!("{} {}", region.extra_programme, i + 1), i % FAMILIES, 2.0, TAGS.len().checked_sub(1 + i % 7))
            }
        })
        .collect();
    let popularity = Weighted::new(specs.iter().map(|s| s.2 * rng.gen_range(0.75..1.25)));
    let mut ratios: Vec<f64> = (0..np).map(|_| rng.gen_range(RATIO_RANGE.0..=RATIO_RANGE.1)).collect();
    let families: Vec<usize> = specs.iter().map(|s| s.1).collect();
    let programmes: Vec<ProgrammeRec> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| ProgrammeRec { id: id('P', i + 1, 2, np), name: s.0.clone(), row: i as u64 + 2 })
        .collect();

    // Schools, around towns by population.
    let mut rng = stage_rng(seed, STAGE_SCHOOLS, 0);
    let mut names = HashSet::new();
    let schools: Vec<SchoolRec> = (0..ns)
        .map(|i| {
            let (t, lat, lon) = geo.place(&mut rng, 0.5);
            let base = pick(&mut rng, region.schools).replace("{C}", region.towns[t].name);
            let mut name = base.clone();
            let mut n = 2;
            while !names.insert(name.clone()) {
                name = format!("{base} {n}");
                n += 1;
            }
            SchoolRec { id: id('S', i + 1, 2, ns), name, lat, lon, row: i as u64 + 2 }
        })
        .collect();
    let school_tree =
        RTree::bulk_load(schools.iter().enumerate().map(|(i, s)| Pt::new(unit(s.lat, s.lon), i as u32)).collect());
    let nearest_schools = |lat: f64, lon: f64, k: usize| -> Vec<u32> {
        school_tree.nearest_neighbor_iter(&unit(lat, lon)).take(k).map(|p| p.data).collect()
    };

    // Learners, without preferences.
    let readiness = Weighted::new(LEARNER_READINESS);
    let school_pick = Weighted::new([0.60, 0.25, 0.15]);
    let learner_prog: Vec<u32> = {
        let mut r = stage_rng(seed, STAGE_LEARNERS, u64::MAX >> 16);
        (0..nl).map(|_| popularity.sample(&mut r) as u32).collect()
    };
    let mut learners: Vec<LearnerRec> = par_gen(nl, seed, STAGE_LEARNERS, |rng, i| {
        let p = learner_prog[i] as usize;
        let (_, lat, lon) = geo.place(rng, LEARNER_SPREAD);
        let near = nearest_schools(lat, lon, 3);
        let school = near[school_pick.sample(rng).min(near.len() - 1)] as usize;
        let steps = region.commute_steps;
        let max_commute_km =
            region.commute_min_km + 0.5 * f64::from(rng.gen_range(0..=steps) + rng.gen_range(0..=steps));
        let u: f64 = rng.gen();
        let screening = if u < SCREEN_PASSED {
            Screening::Passed
        } else if u < SCREEN_PASSED + SCREEN_PENDING {
            Screening::Pending
        } else {
            Screening::Failed
        };
        let attributes = (0..TAGS.len())
            .filter(|t| rng.gen_bool((TAG_BASE[*t] + if specs[p].3 == Some(*t) { TAG_BONUS } else { 0.0 }).min(1.0)))
            .map(|t| TAGS[t].to_string())
            .collect();
        LearnerRec {
            id: id('L', i + 1, 6, nl),
            school: schools[school].id.clone(),
            programme: programmes[p].id.clone(),
            lat,
            lon,
            max_commute_km,
            readiness: readiness.sample(rng) as u8 + 1,
            screening,
            attributes,
            preferences: Vec::new(),
            priority_group: rng.gen_bool(EXTRA_SUPPORT).then(|| "extra_support".to_string()),
            row: i as u64 + 2,
        }
    });

    // Seats: scarce and plentiful programmes.
    let mut counts = vec![0u64; np];
    for p in &learner_prog {
        counts[*p as usize] += 1;
    }
    let with_learners: Vec<usize> = (0..np).filter(|p| counts[*p] > 0).collect();
    if with_learners.len() >= 2 {
        let lo = *with_learners.iter().min_by(|a, b| ratios[**a].total_cmp(&ratios[**b])).expect("non-empty");
        let hi = *with_learners
            .iter()
            .filter(|p| **p != lo)
            .max_by(|a, b| ratios[**a].total_cmp(&ratios[**b]))
            .expect("two or more");
        ratios[lo] = ratios[lo].min(0.8);
        ratios[hi] = ratios[hi].max(1.3);
    }
    let recs = allocate(&mut stage_rng(seed, STAGE_ALLOCATE, 0), nw, &counts, &ratios, &families);
    let multi_seat = recs.iter().filter(|r| r.iter().map(|x| x.1).sum::<u32>() >= 2).count();
    let p_capacity = if multi_seat == 0 { 0.0 } else { (CAPACITY_BINDING * nw as f64 / multi_seat as f64).min(1.0) };

    // Sites.
    let chain_count = (nw / 150).max(1);
    let chains: Vec<String> = {
        let mut r = stage_rng(seed, STAGE_SITES, u64::MAX >> 16);
        (0..chain_count)
            .map(|_| {
                let t = &region.towns[geo.towns.sample(&mut r)];
                let template = pick(&mut r, region.chains);
                fill(&mut r, region, template, t.name)
            })
            .collect()
    };
    let chain_pick = Weighted::new((0..chain_count).map(|k| 1.0 / (k as f64 + 1.0)));
    let min_readiness = Weighted::new(SITE_MIN_READINESS);
    let partner_count = Weighted::new(PARTNER_SCHOOLS);
    let mut workplaces: Vec<WorkplaceRec> = par_gen(nw, seed, STAGE_SITES, |rng, i| {
        let primary = recs[i][0].0 as usize;
        let (t, lat, lon) = geo.place(rng, 1.0);
        let company = if rng.gen_bool(CHAIN_SITES) {
            chains[chain_pick.sample(rng)].clone()
        } else {
            let template = pick(rng, region.companies[families[primary]]);
            fill(rng, region, template, region.towns[t].name)
        };
        let seats: u32 = recs[i].iter().map(|x| x.1).sum();
        let capacity = (seats >= 2 && rng.gen_bool(p_capacity)).then(|| rng.gen_range(1..seats));
        let requires = if rng.gen_bool(SITE_REQUIRES) {
            let t = specs[primary].3.unwrap_or_else(|| rng.gen_range(0..TAGS.len()));
            vec![TAGS[t].to_string()]
        } else {
            Vec::new()
        };
        let mut near = nearest_schools(lat, lon, 5);
        let k = partner_count.sample(rng).min(near.len());
        let partner_schools = near.partial_shuffle(rng, k).0.iter().map(|s| schools[*s as usize].id.clone()).collect();
        WorkplaceRec {
            id: id('W', i + 1, 6, nw),
            company,
            lat,
            lon,
            capacity,
            min_readiness: min_readiness.sample(rng) as u8 + 1,
            requires,
            partner_schools,
            preferences: Vec::new(),
            row: i as u64 + 2,
        }
    });

    // Spatial indexes per programme.
    let mut site_pts: Vec<Vec<Pt>> = vec![Vec::new(); np];
    for (w, r) in recs.iter().enumerate() {
        for (p, _) in r {
            site_pts[*p as usize].push(Pt::new(unit(workplaces[w].lat, workplaces[w].lon), w as u32));
        }
    }
    let mut learner_pts: Vec<Vec<Pt>> = vec![Vec::new(); np];
    for (i, l) in learners.iter().enumerate() {
        learner_pts[learner_prog[i] as usize].push(Pt::new(unit(l.lat, l.lon), i as u32));
    }
    let site_trees: Vec<RTree<Pt>> = site_pts.into_par_iter().map(RTree::bulk_load).collect();
    let learner_trees: Vec<RTree<Pt>> = learner_pts.into_par_iter().map(RTree::bulk_load).collect();

    // Learner preferences: sites of their programme within their commute.
    let learner_prefs: Vec<Vec<String>> = par_gen(nl, seed, STAGE_LEARNER_PREFS, |rng, i| {
        if !rng.gen_bool(LEARNER_PREFS) {
            return Vec::new();
        }
        let l = &learners[i];
        let home = GeoPoint::new(l.lat, l.lon);
        // Sites within half the commute if there are a few, else within all of it.
        let (tree, q) = (&site_trees[learner_prog[i] as usize], unit(l.lat, l.lon));
        let mut near = within(tree, q, chord_for_km(l.max_commute_km / 2.0), 40);
        if near.len() < 5 {
            near = within(tree, q, chord_for_km(l.max_commute_km), 40);
        }
        let mut near: Vec<(f64, u32)> = near
            .into_iter()
            .filter_map(|w| {
                let s = &workplaces[w as usize];
                let d = haversine_km(home, GeoPoint::new(s.lat, s.lon));
                (d <= l.max_commute_km).then_some((d, w))
            })
            .collect();
        if near.is_empty() {
            return Vec::new();
        }
        let k = rng.gen_range(1..=5usize).min(near.len());
        let mut chosen: Vec<(f64, u32)> = near.partial_shuffle(rng, k).0.to_vec();
        for c in &mut chosen {
            c.0 *= rng.gen_range(0.6..1.4);
        }
        chosen.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        chosen.into_iter().map(|(_, w)| workplaces[w as usize].id.clone()).collect()
    });
    for (l, p) in learners.iter_mut().zip(learner_prefs) {
        l.preferences = p;
    }

    // Site preferences: learners of one of their programmes living nearby.
    let site_prefs: Vec<Vec<String>> = par_gen(nw, seed, STAGE_SITE_PREFS, |rng, i| {
        if !rng.gen_bool(SITE_PREFS) {
            return Vec::new();
        }
        let w = &workplaces[i];
        let p = recs[i][rng.gen_range(0..recs[i].len())].0 as usize;
        let mut near = nearest(&learner_trees[p], unit(w.lat, w.lon), chord_for_km(SITE_PREF_KM), 12);
        let k = rng.gen_range(1..=5usize).min(near.len());
        near.partial_shuffle(rng, k).0.iter().map(|l| learners[*l as usize].id.clone()).collect()
    });
    for (w, p) in workplaces.iter_mut().zip(site_prefs) {
        w.preferences = p;
    }

    let mut recognitions = Vec::with_capacity(recs.iter().map(Vec::len).sum());
    for (w, r) in recs.iter().enumerate() {
        for (p, seats) in r {
            let row = recognitions.len() as u64 + 2;
            recognitions.push(RecognitionRec {
                workplace: workplaces[w].id.clone(),
                programme: programmes[*p as usize].id.clone(),
                seats: *seats,
                row,
            });
        }
    }

    SeasonDoc { programmes, schools, learners, workplaces, recognitions, candidates: None }
}

// ---------------------------------------------------------------------------
// Scenario sweeps.

/// One point of a scenario sweep: the parameters generated and the total
/// seats per learner the season is scaled to (see [`scale_seats`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// `scarcity-{seat_ratio:.2}-schools-{schools}`, e.g. `scarcity-0.80-schools-10`.
    pub name: String,
    /// The parameters generated (the base parameters with this number of schools).
    pub params: SynthParams,
    /// Target total seats per learner.
    pub seat_ratio: f64,
}

/// Why a scenario sweep cannot be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadScenario(pub String);

impl fmt::Display for BadScenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadScenario {}

impl Scenario {
    /// The sweep over every (scarcity, schools) pair, scarcity varying
    /// fastest. Fails on a seat ratio that is negative or not finite, on 0
    /// schools, and on two points with the same name (ratios that agree to
    /// two decimals, or a repeated number of schools).
    pub fn grid(base: &SynthParams, scarcity: &[f64], schools: &[usize]) -> Result<Vec<Scenario>, BadScenario> {
        if let Some(r) = scarcity.iter().find(|r| !r.is_finite() || **r < 0.0) {
            return Err(BadScenario(format!("seat ratio {r} must be a finite number of at least 0")));
        }
        if schools.contains(&0) {
            return Err(BadScenario("the number of schools must be at least 1".into()));
        }
        let mut out: Vec<Scenario> = Vec::with_capacity(scarcity.len() * schools.len());
        for &n in schools {
            for &ratio in scarcity {
                let name = format!("scarcity-{ratio:.2}-schools-{n}");
                if out.iter().any(|s| s.name == name) {
                    return Err(BadScenario(format!(
                        "two scenarios would be called {name:?}; give seat ratios that differ in the first two \
                         decimals and distinct numbers of schools"
                    )));
                }
                out.push(Scenario { name, params: SynthParams { schools: n, ..base.clone() }, seat_ratio: ratio });
            }
        }
        Ok(out)
    }

    /// Generates the season: [`generate`] with [`Self::params`], then
    /// [`scale_seats`] to [`Self::seat_ratio`].
    pub fn generate(&self) -> SeasonDoc {
        let mut doc = generate(&self.params);
        scale_seats(&mut doc, self.seat_ratio);
        doc
    }
}

/// Total seats per learner of a document (0 without learners).
pub fn seat_ratio(doc: &SeasonDoc) -> f64 {
    let seats: u64 = doc.recognitions.iter().map(|r| u64::from(r.seats)).sum();
    if doc.learners.is_empty() {
        0.0
    } else {
        seats as f64 / doc.learners.len() as f64
    }
}

/// Rescales the seats of `doc` so that there are `ratio` seats per learner in
/// total, and in each programme (as nearly as whole seats allow): the total
/// `round(ratio × learners)` is split over the programmes that have a
/// recognition in proportion to their learners, then each programme's share
/// over its recognitions in proportion to their current seats (equally when
/// they have none), both by largest remainder (ties to the earlier programme
/// or recognition). The total is exact when some programme with learners has
/// a recognition. Recognitions may end with 0 seats (a warning when
/// validated). A site's capacity is scaled by the same factor as its seats
/// (rounded, at least 1), so that capacities bind about as often as before.
/// Deterministic; nothing else in the document changes.
///
/// # Panics
///
/// When `ratio` is negative or not finite.
pub fn scale_seats(doc: &mut SeasonDoc, ratio: f64) {
    assert!(ratio.is_finite() && ratio >= 0.0, "seat ratio {ratio} must be a finite number of at least 0");
    let programme_ix: std::collections::HashMap<&str, usize> =
        doc.programmes.iter().enumerate().map(|(i, p)| (p.id.as_str(), i)).collect();
    let np = doc.programmes.len();
    let mut learners = vec![0u64; np];
    for l in &doc.learners {
        if let Some(&p) = programme_ix.get(l.programme.as_str()) {
            learners[p] += 1;
        }
    }
    let mut recs_of: Vec<Vec<usize>> = vec![Vec::new(); np];
    for (ri, r) in doc.recognitions.iter().enumerate() {
        if let Some(&p) = programme_ix.get(r.programme.as_str()) {
            recs_of[p].push(ri);
        }
    }
    let total = (ratio * doc.learners.len() as f64).round() as u64;
    let weights: Vec<f64> = (0..np).map(|p| if recs_of[p].is_empty() { 0.0 } else { learners[p] as f64 }).collect();
    let shares = if weights.iter().any(|w| *w > 0.0) { apportion(total, &weights) } else { vec![0; np] };
    let mut old_site: std::collections::HashMap<&str, (u64, u64)> = std::collections::HashMap::new();
    let mut new_seats = vec![0u32; doc.recognitions.len()];
    for p in 0..np {
        let current: Vec<f64> = recs_of[p].iter().map(|&ri| f64::from(doc.recognitions[ri].seats)).collect();
        for (&ri, k) in recs_of[p].iter().zip(apportion(shares[p], &current)) {
            new_seats[ri] = u32::try_from(k).unwrap_or(u32::MAX);
        }
    }
    for (r, &k) in doc.recognitions.iter().zip(&new_seats) {
        let e = old_site.entry(r.workplace.as_str()).or_default();
        e.0 += u64::from(r.seats);
        e.1 += u64::from(k);
    }
    let factor: std::collections::HashMap<String, f64> = old_site
        .into_iter()
        .filter(|(_, (old, _))| *old > 0)
        .map(|(w, (old, new))| (w.to_string(), new as f64 / old as f64))
        .collect();
    for (r, k) in doc.recognitions.iter_mut().zip(new_seats) {
        r.seats = k;
    }
    for w in &mut doc.workplaces {
        if let (Some(cap), Some(f)) = (w.capacity, factor.get(&w.id)) {
            w.capacity = Some(((f64::from(cap) * f).round() as u32).max(1));
        }
    }
}

/// One season per (scarcity, schools) pair of [`Scenario::grid`], named as the
/// scenarios are, in that order. Deterministic in its arguments; seasons with
/// the same number of schools share the generated document before scaling.
pub fn scenarios(
    base: &SynthParams,
    scarcity: &[f64],
    schools: &[usize],
) -> Result<Vec<(String, SeasonDoc)>, BadScenario> {
    let grid = Scenario::grid(base, scarcity, schools)?;
    let mut out = Vec::with_capacity(grid.len());
    let mut cached: Option<(usize, SeasonDoc)> = None;
    for sc in grid {
        let doc = match &cached {
            Some((n, doc)) if *n == sc.params.schools => doc.clone(),
            _ => {
                let doc = generate(&sc.params);
                cached = Some((sc.params.schools, doc.clone()));
                doc
            }
        };
        let mut doc = doc;
        scale_seats(&mut doc, sc.seat_ratio);
        out.push((sc.name, doc));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::PathBuf;

    use super::*;
    use crate::season::{self, TableName};

    fn custom(seed: u64) -> SynthParams {
        SynthParams { learners: 2_000, workplaces: 800, schools: 10, programmes: 12, seed }
    }

    fn seats_and_learners(doc: &SeasonDoc) -> HashMap<&str, (u64, u64)> {
        let mut m: HashMap<&str, (u64, u64)> = doc.programmes.iter().map(|p| (p.id.as_str(), (0, 0))).collect();
        for r in &doc.recognitions {
            m.get_mut(r.programme.as_str()).unwrap().0 += u64::from(r.seats);
        }
        for l in &doc.learners {
            m.get_mut(l.programme.as_str()).unwrap().1 += 1;
        }
        m
    }

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> Self {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            let dir = std::env::temp_dir().join(format!(
                "dualmatch-synth-{tag}-{}-{nanos}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn preset_names_round_trip() {
        for p in Preset::ALL {
            assert_eq!(p.to_string().parse::<Preset>(), Ok(p));
        }
        assert_eq!(" Flanders ".parse::<Preset>(), Ok(Preset::Flanders));
        let e = "huge".parse::<Preset>().unwrap_err();
        assert!(e.to_string().contains("tiny, flanders or national"), "{e}");
    }

    #[test]
    fn tiny_and_custom_are_valid_with_requested_counts() {
        for params in [SynthParams::preset(Preset::Tiny, 1), custom(2)] {
            let doc = generate(&params);
            assert_eq!(doc.learners.len(), params.learners);
            assert_eq!(doc.workplaces.len(), params.workplaces);
            assert_eq!(doc.schools.len(), params.schools);
            assert_eq!(doc.programmes.len(), params.programmes);
            assert!(doc.recognitions.len() >= params.workplaces);
            assert_eq!(doc.learners[0].id, "L000001");
            assert_eq!(doc.workplaces[0].id, "W000001");
            assert_eq!(doc.schools[0].id, "S01");
            assert_eq!(doc.programmes[0].id, "P01");
            let loaded = season::from_doc(doc).unwrap_or_else(|e| panic!("{e}: {:?}", e.diagnostics()));
            assert_eq!(loaded.season.learners().len(), params.learners);
            assert_eq!(loaded.season.workplaces().len(), params.workplaces);
        }
    }

    #[test]
    fn flanders_preset_is_valid() {
        let params = SynthParams::preset(Preset::Flanders, 2024);
        let doc = generate(&params);
        assert_eq!(
            (doc.learners.len(), doc.workplaces.len(), doc.programmes.len(), doc.schools.len()),
            (6_000, 8_000, 15, 25)
        );
        assert!(doc.schools.iter().all(|s| FLANDERS.towns.iter().any(|t| s.name.contains(t.name))));
        let sl = seats_and_learners(&doc);
        assert!(sl.values().any(|(s, l)| s < l), "{sl:?}");
        season::from_doc(doc).unwrap();
    }

    #[test]
    fn random_small_params_are_valid() {
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        for seed in 0..60 {
            let params = SynthParams {
                learners: rng.gen_range(0..80),
                workplaces: rng.gen_range(0..40),
                schools: rng.gen_range(0..5),
                programmes: rng.gen_range(0..7),
                seed,
            };
            let doc = generate(&params);
            assert_eq!(doc.learners.len(), params.learners);
            assert_eq!(doc.workplaces.len(), params.workplaces);
            for w in &doc.workplaces {
                let r: Vec<_> = doc.recognitions.iter().filter(|r| r.workplace == w.id).collect();
                assert!((1..=MAX_RECOGNITIONS).contains(&r.len()), "{params:?}");
                assert!(r.iter().all(|r| (1..=MAX_SEATS).contains(&r.seats)), "{params:?}");
            }
            if let Err(e) = season::from_doc(doc) {
                panic!("{params:?}: {e}: {:?}", e.diagnostics());
            }
        }
    }

    #[test]
    fn deterministic_and_thread_independent() {
        let a = generate(&custom(5));
        let b = generate(&custom(5));
        assert_eq!(a, b);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let c = pool.install(|| generate(&custom(5)));
        assert_eq!(a, c);
        let d = generate(&custom(6));
        assert_ne!(a, d);
        assert_ne!(a.learners, d.learners);
        assert_ne!(a.workplaces, d.workplaces);
    }

    #[test]
    fn scarcity_varies_by_programme() {
        for params in [SynthParams::preset(Preset::Tiny, 3), custom(3)] {
            let doc = generate(&params);
            let sl = seats_and_learners(&doc);
            assert!(sl.values().any(|(s, l)| s < l), "no scarce programme: {sl:?}");
            assert!(sl.values().any(|(s, l)| s > l), "no plentiful programme: {sl:?}");
        }
        // In a large season the ratios span the drawn range.
        let doc = generate(&custom(3));
        let ratios: Vec<f64> = seats_and_learners(&doc).values().map(|(s, l)| *s as f64 / *l as f64).collect();
        let (lo, hi) = ratios.iter().fold((f64::MAX, 0.0f64), |(a, b), r| (a.min(*r), b.max(*r)));
        assert!(lo < 0.85 && hi > 1.25, "ratios {ratios:?}");
    }

    #[test]
    fn preferences_are_reachable_and_recognised() {
        let doc = generate(&custom(7));
        let wp: HashMap<&str, &WorkplaceRec> = doc.workplaces.iter().map(|w| (w.id.as_str(), w)).collect();
        let recognised: HashSet<(&str, &str)> =
            doc.recognitions.iter().map(|r| (r.workplace.as_str(), r.programme.as_str())).collect();
        let mut with_prefs = 0;
        for l in &doc.learners {
            with_prefs += usize::from(!l.preferences.is_empty());
            assert!(l.preferences.len() <= 5);
            let unique: HashSet<&String> = l.preferences.iter().collect();
            assert_eq!(unique.len(), l.preferences.len(), "{}", l.id);
            for p in &l.preferences {
                let w = wp[p.as_str()];
                assert!(
                    recognised.contains(&(p.as_str(), l.programme.as_str())),
                    "{} prefers {p}, not recognised for {}",
                    l.id,
                    l.programme
                );
                let d = haversine_km(GeoPoint::new(l.lat, l.lon), GeoPoint::new(w.lat, w.lon));
                assert!(d <= l.max_commute_km, "{} prefers {p} at {d} km > {}", l.id, l.max_commute_km);
            }
        }
        let share = with_prefs as f64 / doc.learners.len() as f64;
        assert!((0.45..=0.65).contains(&share), "learners with preferences: {share}");
        let learners: HashMap<&str, &LearnerRec> = doc.learners.iter().map(|l| (l.id.as_str(), l)).collect();
        let mut sites_with_prefs = 0;
        for w in &doc.workplaces {
            sites_with_prefs += usize::from(!w.preferences.is_empty());
            for l in &w.preferences {
                let l = learners[l.as_str()];
                assert!(recognised.contains(&(w.id.as_str(), l.programme.as_str())));
                assert!(haversine_km(GeoPoint::new(l.lat, l.lon), GeoPoint::new(w.lat, w.lon)) <= SITE_PREF_KM + 1e-6);
            }
        }
        let share = sites_with_prefs as f64 / doc.workplaces.len() as f64;
        assert!((0.15..=0.25).contains(&share), "sites with preferences: {share}");
    }

    #[test]
    fn shares_are_realistic() {
        let doc = generate(&custom(11));
        let n = doc.learners.len() as f64;
        let share = |s: Screening| doc.learners.iter().filter(|l| l.screening == s).count() as f64 / n;
        assert!((share(Screening::Passed) - 0.85).abs() < 0.03, "passed {}", share(Screening::Passed));
        assert!((share(Screening::Pending) - 0.10).abs() < 0.025, "pending {}", share(Screening::Pending));
        assert!((share(Screening::Failed) - 0.05).abs() < 0.02, "failed {}", share(Screening::Failed));
        let extra = doc.learners.iter().filter(|l| l.priority_group.is_some()).count() as f64 / n;
        assert!((0.03..0.07).contains(&extra), "extra_support {extra}");
        assert!(doc
            .learners
            .iter()
            .all(|l| (1..=4).contains(&l.readiness) && (10.0..=40.0).contains(&l.max_commute_km)));
        assert!(doc.learners.iter().all(|l| (l.max_commute_km * 2.0).fract() == 0.0));
        let mid = doc.learners.iter().filter(|l| (2..=3).contains(&l.readiness)).count() as f64 / n;
        assert!(mid > 0.7, "readiness 2–3: {mid}");

        let nw = doc.workplaces.len() as f64;
        let mut seats: HashMap<&str, u32> = HashMap::new();
        for r in &doc.recognitions {
            *seats.entry(r.workplace.as_str()).or_default() += r.seats;
        }
        let binding =
            doc.workplaces.iter().filter(|w| w.capacity.is_some_and(|c| c < seats[w.id.as_str()] && c >= 1)).count();
        assert_eq!(binding, doc.workplaces.iter().filter(|w| w.capacity.is_some()).count());
        assert!((binding as f64 / nw - 0.40).abs() < 0.05, "binding capacity {}", binding as f64 / nw);
        let requires = doc.workplaces.iter().filter(|w| !w.requires.is_empty()).count() as f64 / nw;
        assert!((0.07..0.13).contains(&requires), "requires {requires}");
        assert!(doc.workplaces.iter().all(|w| (1..=3).contains(&w.min_readiness) && w.partner_schools.len() <= 3));
        let mut per_company: HashMap<&str, usize> = HashMap::new();
        for w in &doc.workplaces {
            *per_company.entry(w.company.as_str()).or_default() += 1;
        }
        assert!(per_company.values().filter(|n| **n >= 3).count() >= 3, "multi-site companies");
        assert!(doc.workplaces.iter().any(|w| w.company.contains(',')));
        assert!(doc.workplaces.iter().any(|w| !w.company.is_ascii()));
        let multi = doc
            .workplaces
            .iter()
            .filter(|w| doc.recognitions.iter().filter(|r| r.workplace == w.id).count() >= 2)
            .count();
        assert!(multi > 0, "no site is recognised for several programmes");
    }

    #[test]
    fn csv_and_json_round_trip() {
        let doc = generate(&custom(13));
        let dir = TempDir::new("rt");
        for t in doc.tables() {
            let f = std::fs::File::create(dir.0.join(t.file_name())).unwrap();
            doc.write_csv_table(t, std::io::BufWriter::new(f)).unwrap();
        }
        let json = dir.0.join("season.json");
        doc.write_json(std::fs::File::create(&json).unwrap()).unwrap();
        assert!(!doc.tables().contains(&TableName::Candidates));
        let reference = season::from_doc(doc.clone()).unwrap().season;
        for path in [dir.0.clone(), json] {
            let loaded =
                season::load(&path).unwrap_or_else(|e| panic!("{}: {e}: {:?}", path.display(), e.diagnostics()));
            let s = &loaded.season;
            assert_eq!(s.learners().len(), doc.learners.len());
            assert_eq!(s.workplaces().len(), doc.workplaces.len());
            assert_eq!(s.groups().len(), doc.recognitions.len());
            assert_eq!(s.schools().len(), doc.schools.len());
            assert_eq!(s.programmes().len(), doc.programmes.len());
            for (a, b) in s.learners().iter().zip(&doc.learners) {
                assert_eq!(a.id, b.id);
                assert_eq!((a.location.lat, a.location.lon, a.max_commute_km), (b.lat, b.lon, b.max_commute_km));
                assert_eq!((a.readiness, a.screening), (b.readiness, b.screening));
                assert_eq!(a.preferences.len(), b.preferences.len());
                assert_eq!(a.attributes.len(), b.attributes.len());
                assert_eq!(a.priority_group.is_some(), b.priority_group.is_some());
            }
            for (a, b) in s.workplaces().iter().zip(&doc.workplaces) {
                assert_eq!(
                    (&a.id, &a.company, a.capacity, a.min_readiness),
                    (&b.id, &b.company, b.capacity, b.min_readiness)
                );
                assert_eq!((a.location.lat, a.location.lon), (b.lat, b.lon));
                assert_eq!(a.preferences.len(), b.preferences.len());
            }
            for (a, b) in s.schools().iter().zip(&doc.schools) {
                assert_eq!((&a.name, a.location), (&b.name, GeoPoint::new(b.lat, b.lon)));
            }
            assert_eq!(s.groups(), reference.groups());
            assert_eq!(s.learners(), reference.learners());
            assert_eq!(s.workplaces(), reference.workplaces());
            assert_eq!(s.tags(), reference.tags());
            assert_eq!(loaded.warnings.error_count(), 0);
        }
    }

    /// Prints the shape of every preset: `cargo test -p dualmatch-core --release
    /// preset_stats -- --ignored --nocapture`.
    #[test]
    #[ignore = "slow: generates the national preset"]
    fn preset_stats() {
        for p in Preset::ALL {
            let t = std::time::Instant::now();
            let doc = generate(&SynthParams::preset(p, 2024));
            let secs = t.elapsed().as_secs_f64();
            let sl = seats_and_learners(&doc);
            let ratios: Vec<f64> = sl.values().map(|(s, l)| *s as f64 / (*l).max(1) as f64).collect();
            let (lo, hi) = ratios.iter().fold((f64::MAX, 0.0f64), |(a, b), r| (a.min(*r), b.max(*r)));
            let seats: u64 = sl.values().map(|x| x.0).sum();
            let scarce = sl.values().filter(|(s, l)| s < l).count();
            let prefs = doc.learners.iter().filter(|l| !l.preferences.is_empty()).count();
            let cap = doc.workplaces.iter().filter(|w| w.capacity.is_some()).count();
            println!(
                "{p}: {secs:.2}s learners={} sites={} schools={} programmes={} recognitions={} seats={seats} seats/learner={:.2} per-programme {lo:.2}..{hi:.2} scarce={scarce} learners-with-prefs={prefs} sites-with-capacity={cap}",
                doc.learners.len(),
                doc.workplaces.len(),
                doc.schools.len(),
                doc.programmes.len(),
                doc.recognitions.len(),
                seats as f64 / doc.learners.len() as f64,
            );
            let t = std::time::Instant::now();
            let loaded = season::from_doc(doc).unwrap();
            println!("  from_doc {:.2}s, {} warnings", t.elapsed().as_secs_f64(), loaded.warnings.warning_count());
        }
    }
}

#[cfg(test)]
mod scenario_tests {
    use super::*;
    use crate::season;

    fn base() -> SynthParams {
        SynthParams { learners: 1_200, workplaces: 900, schools: 5, programmes: 8, seed: 11 }
    }

    #[test]
    fn names_ratios_schools_and_validity() {
        let scarcity = [0.6, 0.8, 1.0, 1.2];
        let schools = [3, 10];
        let out = scenarios(&base(), &scarcity, &schools).unwrap();
        assert_eq!(out.len(), 8);
        let mut k = 0;
        for &n in &schools {
            for &r in &scarcity {
                let (name, doc) = &out[k];
                assert_eq!(name, &format!("scarcity-{r:.2}-schools-{n}"));
                assert_eq!(doc.schools.len(), n, "{name}");
                let got = seat_ratio(doc);
                assert!((got - r).abs() <= 0.01 * r, "{name}: ratio {got}");
                assert_eq!(doc.learners.len(), 1_200);
                season::from_doc(doc.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
                k += 1;
            }
        }
        assert_eq!(out[1].0, "scarcity-0.80-schools-3");
        assert_eq!(Scenario::grid(&base(), &[0.8], &[10]).unwrap()[0].name, "scarcity-0.80-schools-10");
    }

    #[test]
    fn each_programme_gets_the_ratio_and_totals_are_exact() {
        let doc = &scenarios(&base(), &[0.75], &[4]).unwrap()[0].1;
        let seats: u64 = doc.recognitions.iter().map(|r| u64::from(r.seats)).sum();
        assert_eq!(seats, 900); // round(0.75 × 1200)
        for p in &doc.programmes {
            let l = doc.learners.iter().filter(|l| l.programme == p.id).count() as f64;
            let s: u64 = doc.recognitions.iter().filter(|r| r.programme == p.id).map(|r| u64::from(r.seats)).sum();
            assert!((s as f64 - 0.75 * l).abs() <= 1.0, "{}: {s} seats for {l} learners", p.id);
        }
    }

    #[test]
    fn deterministic_and_only_seats_and_capacities_change() {
        let a = scenarios(&base(), &[0.6, 1.2], &[5]).unwrap();
        let b = scenarios(&base(), &[0.6, 1.2], &[5]).unwrap();
        assert_eq!(a, b);
        let plain = generate(&base());
        for (_, doc) in &a {
            assert_eq!(doc.learners, plain.learners);
            assert_eq!(doc.schools, plain.schools);
            assert_eq!(doc.recognitions.len(), plain.recognitions.len());
            for (x, y) in doc.recognitions.iter().zip(&plain.recognitions) {
                assert_eq!((&x.workplace, &x.programme, x.row), (&y.workplace, &y.programme, y.row));
            }
            for (x, y) in doc.workplaces.iter().zip(&plain.workplaces) {
                assert_eq!(x.capacity.is_some(), y.capacity.is_some());
                assert_eq!(x.preferences, y.preferences);
            }
        }
        // Scaling to the generated ratio changes little; to itself, nothing.
        let mut again = a[0].1.clone();
        scale_seats(&mut again, seat_ratio(&a[0].1));
        assert_eq!(again.recognitions, a[0].1.recognitions);
    }

    #[test]
    fn bad_sweeps_are_refused() {
        assert!(scenarios(&base(), &[-0.1], &[5]).is_err());
        assert!(scenarios(&base(), &[f64::NAN], &[5]).is_err());
        assert!(scenarios(&base(), &[0.8], &[0]).is_err());
        let e = scenarios(&base(), &[0.801, 0.799], &[5]).unwrap_err();
        assert!(e.to_string().contains("scarcity-0.80-schools-5"), "{e}");
        assert!(scenarios(&base(), &[], &[5]).unwrap().is_empty());
        // Zero seats per learner is allowed: every recognition has 0 seats.
        let zero = &scenarios(&base(), &[0.0], &[5]).unwrap()[0].1;
        assert!(zero.recognitions.iter().all(|r| r.seats == 0));
        assert!(season::from_doc(zero.clone()).is_ok());
    }
}
