//! `dualmatch convert`: a season as an xlsx workbook, one sheet per table,
//! with the header and columns of the CSV files (as `SeasonDoc` writes them).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use dualmatch_core::season::{self, LoadError, SeasonDoc, TableName};

use crate::args::{ConvertArgs, Global};
use crate::exit::{self, usage};
use crate::output::{Kind, OutFile, Table};

/// True if `path` names an `.xlsx` file.
pub(crate) fn is_xlsx(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
}

/// Runs the command.
pub fn run(a: ConvertArgs, global: &Global) -> anyhow::Result<ExitCode> {
    if !is_xlsx(&a.out) {
        return Err(usage(format!("--out {}: the workbook's name must end in .xlsx", a.out.display())));
    }
    if is_xlsx(&a.season) {
        return Err(usage(format!(
            "{} is already a workbook; convert reads a CSV directory or a JSON season",
            a.season.display()
        )));
    }
    // Checked and created before any work: a bad or unwritable --out fails now.
    let out = OutFile::new(&a.out, a.force, &[&a.season])?;
    // Every problem of the season is reported the usual way before anything is converted.
    let loaded = season::load(&a.season)?;
    if !global.quiet {
        for g in loaded.warnings.grouped(global.verbose) {
            eprintln!("{g}");
        }
    }
    let tables = season_tables(&a.season)?;
    let book = crate::xlsx::season_workbook(&a.out.display().to_string(), &tables, crate::xlsx::SeasonBook::Season)?;
    out.write(|w| w.write_all(&book))?;
    if !global.quiet {
        let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        eprintln!("wrote {} (sheets {})", a.out.display(), names.join(", "));
    }
    Ok(ExitCode::from(exit::OK))
}

/// The tables of a (valid) season, read with the season readers.
fn season_tables(path: &Path) -> anyhow::Result<Vec<Table<'static>>> {
    if path.is_dir() {
        let mut tables = Vec::new();
        for t in TableName::ALL {
            let file = path.join(t.file_name());
            if t.optional() && !file.exists() {
                continue;
            }
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let (part, diags) = season::read_csv_table_bytes(t, &bytes, &file.display().to_string());
            if diags.has_errors() {
                return Err(LoadError::Invalid(diags).into());
            }
            tables.push(table(&part, t)?);
        }
        return Ok(tables);
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let doc: SeasonDoc = serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
        usage(format!(
            "{}: {e}; convert reads JSON seasons written as `dualmatch generate --format json` writes them \
             (numbers as numbers, lists as arrays); or convert the season's CSV directory",
            path.display()
        ))
    })?;
    doc.tables().into_iter().map(|t| table(&doc, t)).collect()
}

/// One table of `doc` with exactly the CSV file's header and cells.
pub(crate) fn table(doc: &SeasonDoc, t: TableName) -> anyhow::Result<Table<'static>> {
    let mut csv_bytes = Vec::new();
    doc.write_csv_table(t, &mut csv_bytes)?;
    let mut rdr = csv::Reader::from_reader(csv_bytes.as_slice());
    let columns: Vec<(String, Kind)> = rdr
        .headers()?
        .iter()
        .map(|h| (h.to_string(), if t.is_number_column(h) { Kind::Number } else { Kind::Text }))
        .collect();
    let rows = rdr
        .records()
        .map(|r| r.map(|r| r.iter().map(str::to_string).collect::<Vec<_>>()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Table::new(t.as_str(), columns, move |sink| rows.iter().try_for_each(|r| sink(r))))
}
