//! `warnings.csv`: every warning and note found while loading the season(s)
//! of a run, one row each (the terminal shows them grouped by kind).

use dualmatch_core::season::{Diagnostics, Position, Severity};

use crate::output::{Kind, StagedDir, Table};

/// Writes `warnings.csv` into `dir`: severity, file, line (or record or
/// sheet row), field and message of every diagnostic kept, and a last row
/// counting those that were only counted.
pub fn write(dir: &StagedDir, diags: &Diagnostics) -> anyhow::Result<()> {
    let columns = [
        ("severity", Kind::Text),
        ("file", Kind::Text),
        ("position", Kind::Text),
        ("field", Kind::Text),
        ("message", Kind::Text),
    ];
    let table = Table::new("warnings", columns, |sink| {
        for d in diags.iter() {
            let severity = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "note",
            };
            let position = match &d.position {
                Position::File => String::new(),
                Position::Line { line } => format!("line {line}"),
                Position::Record { table, index } => format!("{table}[{index}]"),
                Position::Sheet { sheet, row } => format!("sheet '{sheet}' row {row}"),
            };
            let field = d.field.clone().unwrap_or_default();
            sink(&[severity.to_string(), d.file.clone(), position, field, d.message.clone()])?;
        }
        if diags.suppressed() > 0 {
            let msg = format!("{} more were counted but not kept (at most 1000 of each kind)", diags.suppressed());
            sink(&["warning".into(), String::new(), String::new(), String::new(), msg])?;
        }
        Ok(())
    });
    dir.write("warnings.csv", |w| table.write_csv(w))
}
