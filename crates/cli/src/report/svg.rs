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
    let (w, h, left, bottom) = (1000.0, 360.0, 60.0, 70.0);
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
        let _ = write!(s, "<text x=\"{lx:.1}\" y=\"{ly:.1}\" font-size=\"10\" text-anchor=\"end\" transform=\"rotate(-35 {lx:.1} {ly:.1})\">{}</text>", esc(cat));
    }
    s.push_str(&legend(series.iter().map(|(n, _)| n.as_str()), left, 14.0));
    s.push_str("</svg>");
    s
}

fn legend<'a>(names: impl Iterator<Item = &'a str>, x0: f64, y0: f64) -> String {
    let mut s = String::new();
    let (mut x, mut y) = (x0, y0);
    for (i, n) in names.enumerate() {
        let wide = 24.0 + 7.0 * n.chars().count() as f64;
        if x + wide > 990.0 && x > x0 {
            // Wrap onto the next line rather than running off the chart.
            x = x0;
            y += 14.0;
        }
        let _ = write!(s, "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{}</text>", y - 9.0, colour(i), x + 14.0, y, esc(n));
        x += wide;
    }
    s
}

fn trim(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else if v.abs() < 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.1}")
    }
}

/// Histogram of `values` in `bins` equal bins from 0 to the maximum.
pub fn histogram(values: &[f64], bins: usize, x_label: &str) -> String {
    let max = values.iter().copied().fold(0.0_f64, f64::max).max(1.0);
    let bins = bins.max(1);
    let mut counts = vec![0usize; bins];
    for v in values {
        let b = ((v / max) * bins as f64).floor() as usize;
        counts[b.min(bins - 1)] += 1;
    }
    let cats: Vec<String> = (0..bins)
        .map(|b| format!("{}–{}", trim(max * b as f64 / bins as f64), trim(max * (b + 1) as f64 / bins as f64)))
        .collect();
    let top = counts.iter().copied().max().unwrap_or(1) as f64;
    grouped_bars(&cats, &[(x_label.to_string(), counts.iter().map(|c| *c as f64).collect())], top, "learners")
}

/// A map: points by (lat, lon) in an equirectangular projection, with lines.
pub struct MapLayer<'a> {
    /// Legend name.
    pub name: &'a str,
    /// Points (lat, lon).
    pub points: Vec<(f64, f64)>,
    /// Marker radius.
    pub radius: f64,
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
    for (i, layer) in layers.iter().enumerate() {
        let _ = write!(s, "<g fill=\"{}\" fill-opacity=\"0.8\">", colour(i));
        for &(la, lo) in &layer.points {
            let (x, y) = xy(la, lo);
            let _ = write!(s, "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{}\"/>", layer.radius);
        }
        s.push_str("</g>");
    }
    s.push_str(&legend(layers.iter().map(|l| l.name), pad, 16.0));
    s.push_str("</svg>");
    s
}
