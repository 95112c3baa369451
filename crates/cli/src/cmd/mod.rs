//! One module per subcommand.

pub mod generate;
pub mod matching;
pub mod validate;
