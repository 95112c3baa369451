//! Minimal SVG charts: grouped bars, histograms and a map.

use std::fmt::Write as _;

use super::esc;

/// Colours for series: Okabe–Ito (colour-blind friendly), then four more.
pub const PALETTE: [&str; 12] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000", "#7F3C8D", "#8C564B",
    "#999999", "#1B9E77",
];

fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// Grouped bar chart: one group per category, one bar per series.
/// Values are in `[0, max]`; `fmt` formats axis labels.
pub fn grouped_bars(categories: &[String], series: &[(String, Vec<f64>)], max: f64, y_label: &str) -> String {
    let rows = 1.0 + (series.iter().map(|(n, _)| 24.0 + 7.0 * n.chars().count() as f64).sum::<f64>() / 900.0).floor();
    let longest = categories.iter().map(|c| c.chars().count().min(LABEL_CHARS)).max().unwrap_or(0) as f64;
    // Room for the labels slanted at 35° (about 5.5 px a character): below
    // the chart, and left of the first group's centre.
    let bottom = (24.0 + 3.3 * longest).max(70.0);
    let w = 1000.0;
    let first_centre = 0.5 * (w - 70.0) / categories.len().max(1) as f64;
    let left = (4.5 * longest + 8.0 - first_centre).max(60.0);
    let h = 290.0 + bottom;
    let top = 16.0 + 14.0 * rows;
    let plot_h = h - bottom - top;
    let n = categories.len().max(1) as f64;
    let group_w = (w - left - 10.0) / n;
    let bar_w = (group_w * 0.8 / series.len().max(1) as f64).max(1.0);
    let max = if max > 0.0 { max } else { 1.0 };
    let mut s =
        format!("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\">");
    for t in 0..=4 {
        let v = max * f64::from(t) / 4.0;
        let y = top + plot_h - plot_h * f64::from(t) / 4.0;
        let _ = write!(s, "<line x1=\"{left}\" x2=\"{w}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e5e7eb\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{}</text>", left - 4.0, y + 4.0, trim(v));
    }
    let _ = write!(s, "<text x=\"14\" y=\"{:.1}\" font-size=\"12\" transform=\"rotate(-90 14 {:.1})\" text-anchor=\"middle\">{}</text>", top + plot_h / 2.0, top + plot_h / 2.0, esc(y_label));
    for (ci, cat) in categories.iter().enumerate() {
        let gx = left + group_w * ci as f64 + group_w * 0.1;
        for (si, (name, vals)) in series.iter().enumerate() {
            let v = vals.get(ci).copied().unwrap_or(0.0).clamp(0.0, max);
            let bh = plot_h * v / max;
            let x = gx + bar_w * si as f64;
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\"><title>{} — {}: {}</title></rect>",
                top + plot_h - bh,
                (bar_w - 1.0).max(0.5),
                colour(si),
                esc(cat),
                esc(name),
                trim(v)
            );
        }
        let lx = gx + group_w * 0.4;
        let ly = h - bottom + 14.0;
        let _ = write!(s, "<text x=\"{lx:.1}\" y=\"{ly:.1}\" font-size=\"10\" text-anchor=\"end\" transform=\"rotate(-35 {lx:.1} {ly:.1})\"><title>{}</title>{}</text>", esc(cat), esc(&short(cat, LABEL_CHARS)));
    }
    s.push_str(&legend(series.iter().map(|(n, _)| n.as_str()), left, 14.0));
    s.push_str("</svg>");
    s
}

fn legend<'a>(names: impl Iterator<Item = &'a str>, x0: f64, y0: f64) -> String {
    legend_coloured(names.enumerate().map(|(i, n)| (n, colour(i))), x0, y0)
}

/// A legend of (name, colour) entries, wrapping at the chart's width.
fn legend_coloured<'a>(entries: impl Iterator<Item = (&'a str, &'static str)>, x0: f64, y0: f64) -> String {
    let mut s = String::new();
    let (mut x, mut y) = (x0, y0);
    for (n, fill) in entries {
        let wide = 24.0 + 7.0 * n.chars().count() as f64;
        if x + wide > 990.0 && x > x0 {
            // Wrap onto the next line rather than running off the chart.
            x = x0;
            y += 14.0;
        }
        let _ = write!(s, "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{}</text>", y - 9.0, fill, x + 14.0, y, esc(n));
        x += wide;
    }
    s
}

/// The most characters of a category label under a chart (the full text is
/// its tooltip).
const LABEL_CHARS: usize = 32;

/// `text` cut to at most `max` characters, with `…` when cut.
fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A number as shown on an axis or in a tooltip: whole numbers without
/// decimals, others with two (below 10) or one.
pub fn trim(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else if v.abs() < 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.1}")
    }
}

/// A round bin width: 1, 2, 2.5 or 5 times a power of ten, at least
/// `raw`.
fn nice_step(raw: f64) -> f64 {
    if raw.is_nan() || raw <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].into_iter().map(|m| m * p).find(|&x| x >= raw * (1.0 - 1e-12)).unwrap_or(10.0 * p)
}

/// Histogram of `values` in about `bins` bins of a round width from 0 (such
/// as 0–5, 5–10, …), with whole counts on the axis.
pub fn histogram(values: &[f64], bins: usize, x_label: &str) -> String {
    let max = values.iter().copied().fold(0.0_f64, f64::max).max(1.0);
    let width = nice_step(max / bins.max(1) as f64);
    let bins = ((max / width).floor() as usize + 1).max(1);
    let mut counts = vec![0usize; bins];
    for v in values {
        let b = (v / width).floor().max(0.0) as usize;
        counts[b.min(bins - 1)] += 1;
    }
    let cats: Vec<String> =
        (0..bins).map(|b| format!("{}–{}", trim(width * b as f64), trim(width * (b + 1) as f64))).collect();
    let top = counts.iter().copied().max().unwrap_or(1).max(1);
    // Four ticks of a round, whole step each (1, 2, 5, 10, 20, 50, …).
    let step = [1, 2, 5]
        .into_iter()
        .flat_map(|m| (0..15).map(move |k| m * 10usize.pow(k)))
        .filter(|&x| 4 * x >= top)
        .min()
        .unwrap_or(top);
    let axis = 4 * step;
    grouped_bars(&cats, &[(x_label.to_string(), counts.iter().map(|c| *c as f64).collect())], axis as f64, "learners")
}

/// A map: points by (lat, lon) in an equirectangular projection, with lines.
pub struct MapLayer<'a> {
    /// Legend name.
    pub name: &'a str,
    /// Points (lat, lon).
    pub points: Vec<(f64, f64)>,
    /// The tooltip of each point (`<title>`: who or what it is), in the
    /// order of `points`.
    pub titles: Vec<String>,
    /// Marker radius.
    pub radius: f64,
    /// Fill colour.
    pub colour: &'static str,
}

/// A point as (lat, lon) in degrees.
pub type LatLon = (f64, f64);

/// Draws layers of points and lines between points.
pub fn map(layers: &[MapLayer], lines: &[(LatLon, LatLon)]) -> String {
    let all = layers.iter().flat_map(|l| l.points.iter());
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(la, lo) in all {
        lat0 = lat0.min(la);
        lat1 = lat1.max(la);
        lon0 = lon0.min(lo);
        lon1 = lon1.max(lo);
    }
    if lat0 > lat1 {
        (lat0, lat1, lon0, lon1) = (0.0, 1.0, 0.0, 1.0);
    }
    let k = ((lat0 + lat1) / 2.0).to_radians().cos().max(0.1);
    let (w, max_h, pad) = (1000.0, 900.0, 20.0);
    let sx = (w - 2.0 * pad) / ((lon1 - lon0) * k).max(1e-6);
    let sy = (max_h - 2.0 * pad - 20.0) / (lat1 - lat0).max(1e-6);
    let sc = sx.min(sy);
    // The height follows the data's aspect, so the map fills the figure.
    let h = ((lat1 - lat0) * sc + 2.0 * pad + 20.0).max(200.0);
    let xy = |la: f64, lo: f64| (pad + (lo - lon0) * k * sc, h - pad - (la - lat0) * sc);
    let mut s = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\"><rect width=\"{w}\" height=\"{h}\" fill=\"#fbfcfd\"/>");
    s.push_str("<g stroke=\"#6b7280\" stroke-opacity=\"0.35\" stroke-width=\"0.7\">");
    for &((a, b), (c, d)) in lines {
        let (x1, y1) = xy(a, b);
        let (x2, y2) = xy(c, d);
        let _ = write!(s, "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\"/>");
    }
    s.push_str("</g>");
    for layer in layers {
        let _ = write!(s, "<g fill=\"{}\" fill-opacity=\"0.8\">", layer.colour);
        for (i, &(la, lo)) in layer.points.iter().enumerate() {
            let (x, y) = xy(la, lo);
            let title = layer.titles.get(i).map_or("", String::as_str);
            let _ = write!(
                s,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{}\"><title>{}</title></circle>",
                layer.radius,
                esc(title)
            );
        }
        s.push_str("</g>");
    }
    s.push_str(&legend_coloured(layers.iter().map(|l| (l.name, l.colour)), pad, 16.0));
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_bins_are_round_and_counts_whole() {
        for (values, width) in [(vec![0.3, 12.9, 38.7, 3.2], 5.0), (vec![0.0, 0.4], 0.1), (vec![1234.0], 200.0)] {
            let svg = histogram(&values, 12, "km");
            let step = nice_step(values.iter().copied().fold(1.0, f64::max) / 12.0);
            assert_eq!(step, width, "{values:?}");
            assert!(svg.contains(&format!("0–{}<", trim(width))), "{svg}");
            // Axis ticks are whole numbers (0, 1, 2, 3, 4 for at most 4 per bin).
            assert!(!svg.contains(">0.25<") && !svg.contains(">0.5<") && !svg.contains(">1.5<"), "{svg}");
        }
        // Round ticks for larger counts: 348 learners in a bin give 0–400 by 100.
        let many: Vec<f64> = (0..348).map(|_| 1.0).chain([30.0]).collect();
        let svg = histogram(&many, 12, "km");
        for tick in [">100<", ">200<", ">300<", ">400<"] {
            assert!(svg.contains(tick), "no tick {tick}: {svg}");
        }
        for raw in [0.01, 0.3, 1.0, 3.3, 7.0, 22.0, 1e6 + 1.0] {
            let w = nice_step(raw);
            let mantissa = w / 10f64.powf(w.log10().floor());
            assert!(w >= raw * (1.0 - 1e-9) && w < raw * 2.6, "{raw} -> {w}");
            assert!([1.0, 2.0, 2.5, 5.0].iter().any(|m| (m - mantissa).abs() < 1e-9), "{raw} -> {w}");
        }
    }

    #[test]
    fn map_points_carry_escaped_tooltips() {
        let layer = MapLayer {
            name: "school",
            points: vec![(51.0, 4.0)],
            titles: vec!["school <S1> Sint-Jan".into()],
            radius: 3.0,
            colour: PALETTE[0],
        };
        let svg = map(&[layer], &[]);
        assert!(svg.contains("<title>school &lt;S1&gt; Sint-Jan</title></circle>"), "{svg}");
    }
}
