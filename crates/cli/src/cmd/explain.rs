//! `dualmatch explain`: a learner's best candidates with the breakdown of each
//! score, and why the other sites of the programme were rejected.

use std::io::Write;
use std::process::ExitCode;

use dualmatch_core::scoring::{explain, Explanation, COMPONENT_NAMES, TRUST};
use dualmatch_core::season::History;
use dualmatch_core::season::LoadOptions;
use dualmatch_core::text::{quote, quoted, visible};
use dualmatch_core::Season;
use dualmatch_core::{SchoolId, WorkplaceId};

use crate::args::{ExplainArgs, Global};
use crate::exit::{self, usage};
use crate::inputs::load_weights;

/// Runs the command.
pub fn run(a: ExplainArgs, _global: &Global) -> anyhow::Result<ExitCode> {
    let weights = load_weights(a.weights.as_deref())?;
    let season = dualmatch_core::season::load_with(&a.season, &LoadOptions::default())?.season;
    let Some(l) = season.learner_by_id(&a.learner) else {
        let close: Vec<&str> = season
            .learners()
            .iter()
            .map(|l| l.id.as_str())
            .filter(|id| id.eq_ignore_ascii_case(&a.learner) || id.contains(a.learner.as_str()))
            .take(5)
            .collect();
        let close: Vec<_> = close.into_iter().map(quote).collect();
        let hint = if close.is_empty() { String::new() } else { format!(" (did you mean {}?)", close.join(", ")) };
        return Err(usage(format!("no learner {} in {}{hint}", quoted(&a.learner), a.season.display())));
    };
    let e = explain(&season, &weights, None, l, a.top);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    print(&mut out, &season, &e)?;
    Ok(ExitCode::from(exit::OK))
}

/// Formats an explanation as plain text.
pub fn print(out: &mut impl Write, s: &Season, e: &Explanation) -> std::io::Result<()> {
    let l = s.learner(e.learner);
    let school = s.school(l.school);
    let prog = s.programme(e.programme);
    // Ids and names from the season, shown with their hidden characters escaped.
    let v = |s: &str| visible(s).into_owned();
    writeln!(
        out,
        "Learner {} — school {} ({}), programme {} ({})",
        v(&l.id),
        v(&school.id),
        v(&school.name),
        v(&prog.id),
        v(&prog.name)
    )?;
    writeln!(
        out,
        "readiness {}, screening {}, longest commute {} km",
        l.readiness,
        l.screening.as_str(),
        l.max_commute_km
    )?;
    let sites = if e.recognised_sites == 1 { "site" } else { "sites" };
    writeln!(out, "{} {sites} recognised for {}; {} eligible", e.recognised_sites, v(&prog.name), e.eligible)?;
    if let Some(r) = &e.no_candidate {
        writeln!(out, "\nNo candidate: {}", v(&r.to_string()))?;
    }
    if !e.best.is_empty() {
        writeln!(out, "\nBest candidates (score = sum of weighted components, 0–100):")?;
        for (i, c) in e.best.iter().enumerate() {
            let w = s.workplace(c.workplace);
            let mut parts: Vec<String> =
                COMPONENT_NAMES.iter().zip(c.contributions).map(|(name, pts)| format!("{name} {pts:.1}")).collect();
            if let Some(pts) = c.trust_points {
                parts.push(format!("{TRUST} {pts:.1}"));
            }
            let travel = c.travel_minutes.map(|m| format!(", {m:.0} min")).unwrap_or_default();
            writeln!(out, "{:>3}. {} {} — score {:.1}", i + 1, v(&w.id), v(&w.company), c.score)?;
            writeln!(out, "     = {}; {:.1} km{travel}", parts.join(" + "), c.distance_km)?;
            if let (Some(h), Some(trust)) = (s.history(), c.components.trust) {
                writeln!(out, "     {}", history_line(h, l.school, c.workplace, trust, c.components.partnership))?;
            }
        }
    }
    if !e.rejected.is_empty() {
        writeln!(out, "\nRejected sites of the programme (a site can fail several gates):")?;
        for r in &e.rejected {
            writeln!(out, "  - {}", v(&r.describe(s)))?;
        }
    }
    Ok(())
}

/// What outcomes.csv says about a pair: the site's and the school's
/// completions, the years together, and the trust and partnership values.
fn history_line(h: &History, school: SchoolId, w: WorkplaceId, trust: f64, partnership: f64) -> String {
    let site = h.site(w);
    let pair = h.pair(school, w).map(|p| p.tally).unwrap_or_default();
    let years = h.years(school, w);
    format!(
        "history: site {} completed, {} ended early; this school there {} completed, {} ended early, \
         {years} season(s) together (prior {:.2}) → trust {trust:.2}, partnership {partnership:.2}",
        site.completed,
        site.ended_early,
        pair.completed,
        pair.ended_early,
        h.prior()
    )
}
