//! The placement-probability section of the compare report: how learners'
//! chances of a placement spread under each policy, over the lottery seeds
//! (the numbers are in probabilities.csv).

use std::path::PathBuf;

use dualmatch::{Probabilities, Season};

use super::{esc, figure, svg};

/// Bins of the chance of a placement.
const BINS: usize = 10;

/// The section's HTML.
pub fn section(seasons: &[(PathBuf, Season)], odds: &[Vec<Probabilities>]) -> String {
    let mut body = String::from("<section id=\"placement-probabilities\"><h2>Placement probabilities</h2>");
    for ((path, _), per_policy) in seasons.iter().zip(odds) {
        let cats: Vec<String> = (0..BINS)
            .map(|b| if b + 1 == BINS { format!("{}–100%", b * 10) } else { format!("{}–{}%", b * 10, b * 10 + 10) })
            .collect();
        let series: Vec<(String, Vec<f64>)> = per_policy
            .iter()
            .map(|p| {
                let mut counts = [0usize; BINS];
                for l in &p.learners {
                    counts[((l.placed * BINS as f64) as usize).min(BINS - 1)] += 1;
                }
                let n = p.learners.len().max(1) as f64;
                (format!("{} ({} runs)", p.policy, p.runs), counts.iter().map(|&c| 100.0 * c as f64 / n).collect())
            })
            .collect();
        body.push_str(&format!("<h3>{}</h3>", esc(&path.display().to_string())));
        body.push_str(&figure(
            &svg::grouped_bars(&cats, &series, 100.0, "% of learners"),
            "Learners by their chance of a placement over the seeds (a deterministic policy puts everyone at 0% or 100%); per-learner and per-school figures with 95% intervals in probabilities.csv",
        ));
    }
    body.push_str("</section>\n");
    body
}

/// Inserts the section at the end of a rendered page's body.
pub fn insert(html: &mut String, seasons: &[(PathBuf, Season)], odds: &[Vec<Probabilities>]) {
    let at = html.rfind("</body>").unwrap_or(html.len());
    html.insert_str(at, &section(seasons, odds));
}
