//! `report.html` of a `compare` run: a table of every policy's metrics and
//! charts of who gains and who loses.

use std::path::PathBuf;

use dualmatch_core::Season;
use dualmatch_optimiser::metrics::Metrics;

use super::{figure, page, svg, table};

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

/// Renders the page: per season, a table of means over seeds and three charts.
pub fn render(seasons: &[(PathBuf, Season)], runs: &[RunView]) -> String {
    let mut body = String::new();
    for (si, (path, season)) in seasons.iter().enumerate() {
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
                    format!("{:.1}", m(&|x| x.placed as f64)),
                    format!("{:.1}", m(&|x| x.total_score)),
                    format!("{:.1}%", 100.0 * m(&|x| x.rank.first_choice_share)),
                    format!("{:.1}%", 100.0 * m(&|x| x.rank.top3_share)),
                    format!("{:.2}", m(&|x| x.rank.mean_rank)),
                    format!("{:.1}", m(&|x| x.commute_km.mean)),
                    format!("{:.1}", m(&|x| x.commute_km.p90)),
                    format!("{:.1}%", 100.0 * m(&|x| x.fairness.min_school_rate)),
                    format!("{:.3}", m(&|x| x.fairness.jain_index)),
                    format!("{:.1}", m(&|x| x.blocking_pairs as f64)),
                    format!("{:.1}", m(&|x| x.justified_envy as f64)),
                    format!("{:.1}", m(&|x| x.unfilled_seats as f64)),
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
            ],
            &rows,
        ));
        // Placement rate per school per policy (largest schools).
        let mut order: Vec<usize> = (0..season.schools().len()).collect();
        let size = |i: usize| runs.iter().find_map(|r| r.3.filter(|_| r.0 == si)).map_or(0, |m| m.by_school[i].1);
        order.sort_by_key(|&i| (std::cmp::Reverse(size(i)), i));
        order.truncate(SCHOOLS_SHOWN);
        let cats: Vec<String> = order.iter().map(|&i| season.schools()[i].id.clone()).collect();
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
