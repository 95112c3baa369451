//! One module per subcommand.

pub mod compare;
pub mod convert;
pub mod diff;
pub mod explain;
pub mod generate;
pub mod matching;
pub mod merge;
pub mod rematch;
pub mod score;
pub mod template;
pub mod validate;
pub mod verify;
