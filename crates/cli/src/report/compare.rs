//! `report.html` of a `compare` run: a table of every policy's metrics and
//! charts of who gains and who loses.

use std::path::PathBuf;

use dualmatch_core::Season;
use dualmatch_optimiser::metrics::Metrics;

use super::{figure, glossary, page, svg, table};

/// Schools shown in the per-school chart at most (the largest by learners).
const SCHOOLS_SHOWN: usize = 30;

/// (season index, policy, seed, metrics if the run succeeded).
pub type RunView<'a> = (usize, &'a str, Option<u64>, Option<&'a Metrics>);

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

/// What each column of the table means, shown under it.
const GLOSSARY: &[(&str, &str)] = &[
    ("runs", "How many runs the row averages: one per seed for a randomised policy, else one."),
    ("placed", "Learners placed (a mean over seeds, so it can have decimals)."),
    ("total score", "Sum of the fit scores (0–100) of all placements."),
    ("1st choice, top 3", "Share of placed learners placed at the first entry of their own list, or among its first three."),
    ("mean rank", "Mean position, in their own list, of where placed learners were placed (1 = first choice)."),
    ("km mean, km p90", "Home-to-site distance of placed learners: the mean, and the distance 90% of them stay within."),
    ("min school rate", "The lowest placement rate of any school: how the worst-served school fares."),
    ("Jain", "Jain's fairness index of the schools' placement rates: 1 when every school has the same rate, lower when they differ."),
    ("blocking pairs", "A learner and a site who would both rather have each other than what they got; 0 means the result is stable."),
    ("justified envy", "Pairs of learners where one would rather have the other's site and that site ranks them higher: a complaint with grounds."),
    ("unfilled seats", "Recognised seats left empty."),
    ("sites/school", "Distinct workplace sites per school with placements, on average: each is a visit and a relationship for the school (short lines: fewer is steadier)."),
    ("at partners", "Share of placements at sites that are already partners of the learner's school (partner_schools in workplaces.csv)."),
];

/// `a` before `b` when their texts differ only in numbers, compared as
/// numbers: `schools-5` before `schools-10`.
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn parts(s: &str) -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = Vec::new();
        for ch in s.chars() {
            let digit = ch.is_ascii_digit();
            match out.last_mut() {
                Some((d, part)) if *d == digit => part.push(ch),
                _ => out.push((digit, ch.to_string())),
            }
        }
        out
    }
    let key = |(digit, part): &(bool, String)| {
        let trimmed = part.trim_start_matches('0');
        if *digit {
            (trimmed.len(), trimmed.to_string())
        } else {
            (0, part.clone())
        }
    };
    let (pa, pb) = (parts(a), parts(b));
    for (x, y) in pa.iter().zip(&pb) {
        let o = match (x.0, y.0) {
            (true, true) => key(x).cmp(&key(y)),
            _ => x.1.cmp(&y.1),
        };
        if o.is_ne() {
            return o;
        }
    }
    pa.len().cmp(&pb.len()).then_with(|| a.cmp(b))
}

/// A mean of counts: a whole number without decimals, else one decimal.
fn count(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// Renders the page: per season (in natural order), a table of means over
/// seeds, a glossary and three charts; for several seasons first a chart of
/// each policy's placement rate and minimum school rate across them.
pub fn render(seasons: &[(PathBuf, Season)], runs: &[RunView]) -> String {
    let mut body = String::new();
    let mut season_order: Vec<usize> = (0..seasons.len()).collect();
    season_order
        .sort_by(|&a, &b| natural_cmp(&seasons[a].0.display().to_string(), &seasons[b].0.display().to_string()));
    if seasons.len() > 1 {
        body.push_str(&sweep(seasons, runs, &season_order));
    }
    for &si in &season_order {
        let (path, season) = &seasons[si];
        let mut policies: Vec<&str> = Vec::new();
        for r in runs.iter().filter(|r| r.0 == si) {
            if !policies.contains(&r.1) {
                policies.push(r.1);
            }
        }
        let of =
            |p: &str| -> Vec<&Metrics> { runs.iter().filter(|r| r.0 == si && r.1 == p).filter_map(|r| r.3).collect() };
        body.push_str(&format!("<h2>{}</h2>", super::esc(&path.display().to_string())));
        body.push_str("<p>Means over seeds for randomised policies. Rates are shares of learners.</p>");
        let rows: Vec<Vec<String>> = policies
            .iter()
            .map(|p| {
                let ms = of(p);
                let m = |f: &dyn Fn(&Metrics) -> f64| mean(ms.iter().map(|x| f(x)));
                vec![
                    p.to_string(),
                    ms.len().to_string(),
                    count(m(&|x| x.placed as f64)),
                    format!("{:.1}", m(&|x| x.total_score)),
                    format!("{:.1}%", 100.0 * m(&|x| x.rank.first_choice_share)),
                    format!("{:.1}%", 100.0 * m(&|x| x.rank.top3_share)),
                    format!("{:.2}", m(&|x| x.rank.mean_rank)),
                    format!("{:.1}", m(&|x| x.commute_km.mean)),
                    format!("{:.1}", m(&|x| x.commute_km.p90)),
                    format!("{:.1}%", 100.0 * m(&|x| x.fairness.min_school_rate)),
                    format!("{:.3}", m(&|x| x.fairness.jain_index)),
                    count(m(&|x| x.blocking_pairs as f64)),
                    count(m(&|x| x.justified_envy as f64)),
                    count(m(&|x| x.unfilled_seats as f64)),
                    format!("{:.1}", m(&|x| dualmatch_optimiser::short_lines::mean_sites(&x.sites_by_school))),
                    format!(
                        "{:.1}%",
                        100.0 * m(&|x| dualmatch_optimiser::short_lines::partner_share(&x.sites_by_school))
                    ),
                ]
            })
            .collect();
        body.push_str(&table(
            &[
                "policy",
                "runs",
                "placed",
                "total score",
                "1st choice",
                "top 3",
                "mean rank",
                "km mean",
                "km p90",
                "min school rate",
                "Jain",
                "blocking pairs",
                "justified envy",
                "unfilled seats",
                "sites/school",
                "at partners",
            ],
            &rows,
        ));
        // Under the first table only: the columns are the same in every table.
        if si == season_order[0] {
            body.push_str(&glossary(GLOSSARY));
        }
        // Placement rate per school per policy (largest schools).
        let mut order: Vec<usize> = (0..season.schools().len()).collect();
        let size = |i: usize| runs.iter().find_map(|r| r.3.filter(|_| r.0 == si)).map_or(0, |m| m.by_school[i].1);
        order.sort_by_key(|&i| (std::cmp::Reverse(size(i)), i));
        order.truncate(SCHOOLS_SHOWN);
        let cats: Vec<String> = order.iter().map(|&i| season.schools()[i].name.clone()).collect();
        let series: Vec<(String, Vec<f64>)> = policies
            .iter()
            .map(|p| {
                let ms = of(p);
                (p.to_string(), order.iter().map(|&i| 100.0 * mean(ms.iter().map(|m| m.by_school[i].3))).collect())
            })
            .collect();
        let cap = if season.schools().len() > SCHOOLS_SHOWN {
            format!(
                "Placement rate per school and policy (the {SCHOOLS_SHOWN} largest of {} schools)",
                season.schools().len()
            )
        } else {
            "Placement rate per school and policy".to_string()
        };
        body.push_str(&figure(&svg::grouped_bars(&cats, &series, 100.0, "placed %"), &cap));
        let cats: Vec<String> = policies.iter().map(|p| p.to_string()).collect();
        let rank = vec![
            (
                "first choice %".to_string(),
                policies.iter().map(|p| 100.0 * mean(of(p).iter().map(|m| m.rank.first_choice_share))).collect(),
            ),
            (
                "top 3 %".to_string(),
                policies.iter().map(|p| 100.0 * mean(of(p).iter().map(|m| m.rank.top3_share))).collect(),
            ),
        ];
        body.push_str(&figure(
            &svg::grouped_bars(&cats, &rank, 100.0, "% of placed"),
            "Rank profile: placed at their first choice and in their top 3",
        ));
        let commute = vec![
            (
                "mean km".to_string(),
                policies.iter().map(|p| mean(of(p).iter().map(|m| m.commute_km.mean))).collect::<Vec<f64>>(),
            ),
            ("p90 km".to_string(), policies.iter().map(|p| mean(of(p).iter().map(|m| m.commute_km.p90))).collect()),
            ("max km".to_string(), policies.iter().map(|p| mean(of(p).iter().map(|m| m.commute_km.max))).collect()),
        ];
        let top = commute.iter().flat_map(|(_, v)| v.iter().copied()).fold(1.0_f64, f64::max);
        body.push_str(&figure(
            &svg::grouped_bars(&cats, &commute, top, "km"),
            "Commute distribution of placed learners",
        ));
    }
    page("dualmatch policy comparison", &format!("{} season(s), {} run(s)", seasons.len(), runs.len()), &body)
}

/// For a sweep of seasons: each policy's placement rate and minimum school
/// rate (means over seeds) across the seasons, in `order`.
fn sweep(seasons: &[(PathBuf, Season)], runs: &[RunView], order: &[usize]) -> String {
    let mut policies: Vec<&str> = Vec::new();
    for r in runs {
        if !policies.contains(&r.1) {
            policies.push(r.1);
        }
    }
    let cats: Vec<String> = order.iter().map(|&si| seasons[si].0.display().to_string()).collect();
    let series = |f: &dyn Fn(&Metrics) -> f64| -> Vec<(String, Vec<f64>)> {
        policies
            .iter()
            .map(|p| {
                let values = order
                    .iter()
                    .map(|&si| 100.0 * mean(runs.iter().filter(|r| r.0 == si && r.1 == *p).filter_map(|r| r.3).map(f)))
                    .collect();
                (p.to_string(), values)
            })
            .collect()
    };
    let rate = |m: &Metrics| if m.learners > 0 { m.placed as f64 / m.learners as f64 } else { 0.0 };
    let mut out = String::from("<h2>Across the seasons</h2>");
    out.push_str(&figure(
        &svg::grouped_bars(&cats, &series(&rate), 100.0, "placed %"),
        "Placement rate of each policy across the seasons (mean over seeds)",
    ));
    out.push_str(&figure(
        &svg::grouped_bars(&cats, &series(&|m| m.fairness.min_school_rate), 100.0, "min school rate %"),
        "Lowest school placement rate of each policy across the seasons (mean over seeds)",
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seasons_sort_naturally_and_counts_show_as_integers() {
        let mut names = vec!["sweep/schools-10", "sweep/schools-5", "sweep/schools-25", "a", "sweep/schools-05"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(names, ["a", "sweep/schools-05", "sweep/schools-5", "sweep/schools-10", "sweep/schools-25"]);
        assert_eq!(count(1145.0), "1145");
        assert_eq!(count(1145.5), "1145.5");
    }
}
