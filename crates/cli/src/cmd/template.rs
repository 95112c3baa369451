//! `dualmatch template`: an empty season workbook to fill in, with an
//! instructions sheet, the headers of every table, drop-down lists and
//! number rules (the same validation `convert` writes).

use std::process::ExitCode;

use dualmatch_core::season::{SeasonDoc, TableName};

use super::convert::{is_xlsx, table};
use crate::args::{Global, TemplateArgs};
use crate::exit::{self, usage};
use crate::output::OutFile;
use crate::xlsx::{season_workbook, SeasonBook};

/// Runs the command.
pub fn run(a: TemplateArgs, global: &Global) -> anyhow::Result<ExitCode> {
    if !is_xlsx(&a.out) {
        return Err(usage(format!("--out {}: the workbook's name must end in .xlsx", a.out.display())));
    }
    let out = OutFile::new(&a.out, a.force, &[])?;
    let empty = SeasonDoc::default();
    let tables = TableName::ALL
        .into_iter()
        .filter(|t| !t.optional())
        .map(|t| table(&empty, t))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let book = season_workbook(&a.out.display().to_string(), &tables, SeasonBook::Template)?;
    out.write(|w| w.write_all(&book))?;
    if !global.quiet {
        eprintln!(
            "wrote {}: fill in the sheets (see its instructions sheet), then `dualmatch validate {}`",
            a.out.display(),
            a.out.display()
        );
    }
    Ok(ExitCode::from(exit::OK))
}
