//! dualmatch-core: the season model, season loading and validation, and fit scoring.
//!
//! Data flows one way: season files are read into a [`season::SeasonDoc`] (plain
//! records with string references), validated into an immutable [`Season`] whose
//! references are interned `Copy` ids, and then scored into candidates.
//!
//! Architecture invariant: core does no I/O except reading season files (and
//! writing a season document to any `io::Write`); once a [`Season`] is built it is
//! valid, and nothing downstream can fail because of its content.
#![deny(missing_docs)]

pub mod csr;
pub mod dialect;
pub mod geo;
pub mod ids;
pub mod rhythm;
pub mod scoring;
pub mod season;
pub mod synth;
pub mod text;
pub mod toml_words;

pub use ids::{CandidateId, GroupId, LearnerId, MentorId, ProgrammeId, SchoolId, TagId, WorkplaceId};
pub use season::{Diagnostic, Diagnostics, LoadError, Season, Severity};
