//! `dualmatch diff A B`: who moved, who gained and who lost a placement
//! between two result directories, and the change for each school. Ids are
//! compared as the files hold them and shown with hidden characters visible.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use dualmatch_core::text::visible;

use crate::args::{DiffArgs, Global};
use crate::exit::{self, usage};

/// One learner's outcome in a result: the site, or None when unplaced; and the school.
type Outcomes = BTreeMap<String, (Option<String>, String)>;

fn read_result(dir: &Path) -> anyhow::Result<Outcomes> {
    let mut out = Outcomes::new();
    for (file, placed) in [("placements.csv", true), ("unplaced.csv", false)] {
        let path = dir.join(file);
        let mut rdr = csv::Reader::from_path(&path).map_err(|e| {
            usage(format!(
                "{}: cannot read ({e}); is {} a result directory of `dualmatch match`?",
                path.display(),
                dir.display()
            ))
        })?;
        let headers = rdr.headers().map_err(|e| usage(format!("{}: {e}", path.display())))?.clone();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let (Some(li), wi, si) = (col("learner"), col("workplace"), col("school")) else {
            return Err(usage(format!("{}: no learner column", path.display())));
        };
        for (n, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| usage(format!("{}:{}: {e}", path.display(), n + 2)))?;
            let learner = rec.get(li).unwrap_or_default().to_string();
            let site = if placed { wi.and_then(|i| rec.get(i)).map(str::to_string) } else { None };
            let school = si.and_then(|i| rec.get(i)).unwrap_or("?").to_string();
            if out.insert(learner.clone(), (site, school)).is_some() {
                return Err(usage(format!(
                    "{}:{}: learner {learner:?} appears twice in {}",
                    path.display(),
                    n + 2,
                    dir.display()
                )));
            }
        }
    }
    Ok(out)
}

/// Runs the command.
pub fn run(a: DiffArgs, _global: &Global) -> anyhow::Result<ExitCode> {
    let before = read_result(&a.before)?;
    let after = read_result(&a.after)?;
    let mut moved = Vec::new();
    let mut gained = Vec::new();
    let mut lost = Vec::new();
    let mut kept = 0usize;
    // school → (placed before, placed after)
    let mut schools: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let none = (None, String::new());
    for learner in before.keys().chain(after.keys().filter(|k| !before.contains_key(*k))) {
        let (b, sb) = before.get(learner).unwrap_or(&none);
        let (c, sa) = after.get(learner).unwrap_or(&none);
        let school = if sa.is_empty() { sb } else { sa };
        let e = schools.entry(school.clone()).or_default();
        e.0 += i64::from(b.is_some());
        e.1 += i64::from(c.is_some());
        match (b, c) {
            (Some(x), Some(y)) if x == y => kept += 1,
            (Some(x), Some(y)) => moved.push((learner, x, y)),
            (None, Some(y)) => gained.push((learner, y)),
            (Some(x), None) => lost.push((learner, x)),
            (None, None) => {}
        }
    }
    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    writeln!(o, "{kept} kept, {} moved, {} gained a placement, {} lost one", moved.len(), gained.len(), lost.len())?;
    if !moved.is_empty() {
        writeln!(o, "\nMoved:")?;
        for (l, x, y) in &moved {
            writeln!(o, "  {}: {} → {}", visible(l), visible(x), visible(y))?;
        }
    }
    if !gained.is_empty() {
        writeln!(o, "\nGained:")?;
        for (l, y) in &gained {
            writeln!(o, "  {}: → {}", visible(l), visible(y))?;
        }
    }
    if !lost.is_empty() {
        writeln!(o, "\nLost:")?;
        for (l, x) in &lost {
            writeln!(o, "  {}: {} →", visible(l), visible(x))?;
        }
    }
    writeln!(o, "\nPer school (placed before → after):")?;
    for (school, (b, c)) in &schools {
        if b != c || a.all_schools {
            writeln!(o, "  {}: {b} → {c} ({:+})", visible(school), c - b)?;
        }
    }
    Ok(ExitCode::from(exit::OK))
}
