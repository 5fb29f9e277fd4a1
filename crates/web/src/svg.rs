//! Charts drawn on the server as SVG: no script, no library, and the
//! same picture for every browser. Each chart has a text alternative
//! (its title and a table the page shows beside it).

use std::fmt::Write;

/// Colours of series, in order (the page's `.sw0`… swatches match them).
pub const COLOURS: [&str; 6] = [
    "#1f5fa8", "#c2571a", "#2e7d4f", "#7b3fa0", "#8a6d00", "#0f7c8c",
];

/// `text` safe inside SVG text and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A step for an axis from 0 to `max`: 1, 2 or 5 times a power of ten,
/// giving at most about five ticks.
pub fn tick_step(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let raw = max / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * power)
        .max(1.0)
}

/// A stacked bar chart: one bar per label, one colour per series
/// (`series[i].1[j]` is series `i` at label `j`).
pub fn stacked_bars(title: &str, labels: &[String], series: &[(String, Vec<f64>)]) -> String {
    let (width, height) = (720.0, 240.0);
    let (left, right, top, bottom) = (48.0, 8.0, 12.0, 36.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let totals: Vec<f64> = (0..labels.len())
        .map(|j| {
            series
                .iter()
                .map(|(_, v)| v.get(j).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let max = totals.iter().copied().fold(0.0, f64::max);
    let step = tick_step(max);
    let top_value = ((max / step).ceil() * step).max(step);
    let y = |v: f64| top + plot_h - v / top_value * plot_h;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = escape(title)
    );
    let mut tick = 0.0;
    while tick <= top_value + 1e-9 {
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" stroke="#d5d9e0"/><text x="{tx}" y="{ty:.1}" font-size="11" text-anchor="end" fill="#4a5263">{label}</text>"##,
            x2 = width - right,
            yy = y(tick),
            tx = left - 6.0,
            ty = y(tick) + 4.0,
            label = tick as i64
        );
        tick += step;
    }
    let slot = if labels.is_empty() {
        plot_w
    } else {
        plot_w / labels.len() as f64
    };
    let bar = (slot * 0.7).max(1.0);
    // At most about twelve labels under the axis.
    let every = labels.len().div_ceil(12).max(1);
    for (j, label) in labels.iter().enumerate() {
        let x = left + slot * j as f64 + (slot - bar) / 2.0;
        let mut base = 0.0;
        for (i, (name, values)) in series.iter().enumerate() {
            let v = values.get(j).copied().unwrap_or(0.0);
            if v <= 0.0 {
                continue;
            }
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{ry:.1}" width="{bar:.1}" height="{rh:.1}" fill="{c}"><title>{n}, {l}: {v}</title></rect>"#,
                ry = y(base + v),
                rh = y(base) - y(base + v),
                c = COLOURS[i % COLOURS.len()],
                n = escape(name),
                l = escape(label),
            );
            base += v;
        }
        if j % every == 0 {
            let _ = write!(
                svg,
                r##"<text x="{tx:.1}" y="{ty}" font-size="11" text-anchor="middle" fill="#4a5263">{l}</text>"##,
                tx = x + bar / 2.0,
                ty = height - bottom + 16.0,
                l = escape(label)
            );
        }
    }
    let _ = write!(
        svg,
        r##"<line x1="{left}" x2="{x2}" y1="{yb}" y2="{yb}" stroke="#4a5263"/></svg>"##,
        x2 = width - right,
        yb = top + plot_h
    );
    svg
}

/// Horizontal bars for pairs of values per row (median and 90th
/// percentile), both on one scale.
pub fn paired_bars(title: &str, rows: &[(String, f64, f64)], unit: &str) -> String {
    let row_h = 28.0;
    let (left, right, top) = (160.0, 90.0, 8.0);
    let width = 720.0;
    let height = top * 2.0 + row_h * rows.len().max(1) as f64;
    let max = rows
        .iter()
        .map(|(_, a, b)| a.max(*b))
        .fold(0.0, f64::max)
        .max(1.0);
    let scale = (width - left - right) / max;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = escape(title)
    );
    for (i, (label, median, p90)) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let _ = write!(
            svg,
            r##"<text x="{lx}" y="{ty:.1}" font-size="12" text-anchor="end" fill="#1d2330">{l}</text><rect x="{left}" y="{y1:.1}" width="{w9:.1}" height="10" fill="{c1}"><title>90th percentile: {p90:.1} {u}</title></rect><rect x="{left}" y="{y2:.1}" width="{wm:.1}" height="10" fill="{c0}"><title>median: {median:.1} {u}</title></rect><text x="{vx:.1}" y="{ty:.1}" font-size="11" fill="#4a5263">{median:.1} / {p90:.1} {u}</text>"##,
            lx = left - 8.0,
            ty = y + 16.0,
            l = escape(label),
            y1 = y + 3.0,
            w9 = p90 * scale,
            c1 = COLOURS[1],
            y2 = y + 14.0,
            wm = median * scale,
            c0 = COLOURS[0],
            vx = left + p90.max(*median) * scale + 6.0,
            u = escape(unit),
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(0.0), 1.0);
        assert_eq!(tick_step(4.0), 1.0);
        assert_eq!(tick_step(9.0), 2.0);
        assert_eq!(tick_step(23.0), 5.0);
        assert_eq!(tick_step(480.0), 100.0);
        assert_eq!(tick_step(1200.0), 500.0);
    }

    #[test]
    fn names_are_escaped() {
        let svg = stacked_bars("<b>", &["d1".into()], &[("<script>&".into(), vec![3.0])]);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;&amp;"));
        assert!(svg.contains("<title>&lt;b&gt;</title>"));
    }

    #[test]
    fn bars_stack_to_the_total() {
        // Two series of 2 and 3 at one label: the top of the stack is at
        // 5 on an axis to 5.
        let svg = stacked_bars(
            "t",
            &["d".into()],
            &[("a".into(), vec![2.0]), ("b".into(), vec![3.0])],
        );
        assert_eq!(svg.matches("<rect").count(), 2);
        // plot from y=12 to y=204: 5 of 5 is y=12, 2 of 5 is y=127.2.
        assert!(svg.contains(r#"y="127.2""#), "{svg}");
        assert!(svg.contains(r#"y="12.0""#), "{svg}");
    }
}
