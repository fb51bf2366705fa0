//! The load chart (issue 17): webhooks stored a second and their p99 latency against the
//! offered rate, one line per store, written as SVG from the report's load curves. Hand-written
//! (two panels of polylines with axes) rather than through a plotting crate: it is about a
//! hundred lines, and the bench stays free of a drawing library's dependencies.

use std::fmt::Write;

use crate::report::{Latency, Report};

/// Each panel's size and margins, px.
const WIDTH: f64 = 420.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 60.0;
const BOTTOM: f64 = 40.0;
const TOP: f64 = 30.0;
const RIGHT: f64 = 15.0;

/// One store's curve.
struct Series<'a> {
    name: &'a str,
    color: &'a str,
    points: &'a [Latency],
}

/// Where the chart is written, relative to the Markdown summary.
pub const CHART_PATH: &str = "docs/bench-load.svg";

impl Report {
    /// The load curves: the chart and its figures.
    pub(super) fn curve_section(&self, md: &mut String) {
        if self.load_curve.is_empty() {
            return;
        }
        let _ = writeln!(md, "## Load curve (issue 17)\n");
        let _ = writeln!(
            md,
            "ADM webhooks offered in an open loop at a quarter, a half, three quarters, all and \
             five quarters of each store's measured ingest rate (a quarter of the latency \
             phase's time each, at most {} in flight): what was stored a second, what the service \
             turned away as overloaded (503, its load shedding) and the p99 latency of the \
             stored ones, timed from when each request was due.\n\n![Webhooks stored a second and \
             p99 latency against the offered rate, PostgreSQL and SQLite]({CHART_PATH})\n",
            self.plan.max_in_flight
        );
        let _ = writeln!(
            md,
            "| store | offered | stored | shed (503) | p50 | p99 |\n|---|---|---|---|---|---|"
        );
        let sqlite = self.sqlite.as_ref().map(|s| s.load_curve.as_slice());
        for (name, points) in [
            ("PostgreSQL", Some(self.load_curve.as_slice())),
            ("SQLite", sqlite),
        ] {
            for p in points.unwrap_or_default() {
                let _ = writeln!(
                    md,
                    "| {name} | {:.0}/s | {:.0}/s | {} | {:.1} ms | {:.1} ms |",
                    p.target_rate, p.achieved_rate, p.shed, p.p50_ms, p.p99_ms
                );
            }
        }
        let _ = writeln!(md);
    }

    /// The chart of the run's load curves (none when none was measured).
    pub fn load_chart(&self) -> Option<String> {
        let mut series = Vec::new();
        if !self.load_curve.is_empty() {
            series.push(Series {
                name: "PostgreSQL",
                color: "#1f77b4",
                points: &self.load_curve,
            });
        }
        if let Some(sqlite) = self.sqlite.as_ref().filter(|s| !s.load_curve.is_empty()) {
            series.push(Series {
                name: "SQLite",
                color: "#d62728",
                points: &sqlite.load_curve,
            });
        }
        if series.is_empty() {
            return None;
        }
        Some(chart(&series, &self.machine.commit))
    }
}

fn chart(series: &[Series<'_>], commit: &str) -> String {
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"11\">",
        w = 2.0 * WIDTH,
        h = HEIGHT + 20.0
    );
    let _ = writeln!(
        svg,
        "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\
         <text x=\"{}\" y=\"{}\" fill=\"#555\">webhooks offered a second (x) at commit {}</text>",
        LEFT,
        HEIGHT + 14.0,
        escape(commit)
    );
    let offered = max(series, |p| p.target_rate);
    panel(
        &mut svg,
        0.0,
        "stored a second",
        offered,
        max(series, |p| p.achieved_rate).max(offered),
        series,
        |p| p.achieved_rate,
    );
    panel(
        &mut svg,
        WIDTH,
        "p99 latency, ms",
        offered,
        max(series, |p| p.p99_ms),
        series,
        |p| p.p99_ms,
    );
    // The legend, on the caption's line under the right panel.
    for (i, s) in series.iter().enumerate() {
        let (x, y) = (WIDTH + LEFT + 110.0 * i as f64, HEIGHT + 14.0);
        let _ = writeln!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"3\" fill=\"{c}\"/>\
             <text x=\"{}\" y=\"{y}\" fill=\"{c}\">{}</text>",
            y - 4.0,
            x + 16.0,
            escape(s.name),
            c = s.color
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// The largest value of `value` over every point, and 1 when there is none above zero.
fn max(series: &[Series<'_>], value: impl Fn(&Latency) -> f64) -> f64 {
    series
        .iter()
        .flat_map(|s| s.points.iter().map(&value))
        .fold(0.0_f64, f64::max)
        .max(1.0)
}

/// One panel at horizontal offset `dx`: axes, four ticks a side, a polyline and dots a series.
fn panel(
    svg: &mut String,
    dx: f64,
    title: &str,
    x_max: f64,
    y_max: f64,
    series: &[Series<'_>],
    value: impl Fn(&Latency) -> f64,
) {
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let x = |v: f64| dx + LEFT + v / x_max * plot_w;
    let y = |v: f64| TOP + plot_h - v / y_max * plot_h;
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"18\" font-weight=\"bold\">{}</text>\
         <path d=\"M{} {} V{} H{}\" stroke=\"#333\" fill=\"none\"/>",
        dx + LEFT,
        escape(title),
        x(0.0),
        TOP,
        y(0.0),
        x(x_max)
    );
    for tick in 0..=4 {
        let share = f64::from(tick) / 4.0;
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{:.0}</text>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:.0}</text>",
            x(share * x_max),
            y(0.0) + 14.0,
            share * x_max,
            x(0.0) - 4.0,
            y(share * y_max) + 4.0,
            share * y_max
        );
    }
    for s in series {
        let points: Vec<String> = s
            .points
            .iter()
            .map(|p| format!("{:.1},{:.1}", x(p.target_rate), y(value(p))))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>",
            points.join(" "),
            s.color
        );
        for p in s.points {
            let _ = writeln!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{}\"/>",
                x(p.target_rate),
                y(value(p)),
                s.color
            );
        }
    }
}

/// Text safe inside SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::{Series, chart, escape};
    use crate::report::Latency;

    fn point(offered: f64, achieved: f64, p99: f64) -> Latency {
        Latency {
            target_rate: offered,
            count: 10,
            shed: 0,
            achieved_rate: achieved,
            p50_ms: p99 / 2.0,
            p99_ms: p99,
            max_ms: p99,
        }
    }

    #[test]
    fn each_store_gets_a_line_in_both_panels_with_a_dot_per_point() {
        let postgres = [point(100.0, 100.0, 5.0), point(200.0, 190.0, 40.0)];
        let sqlite = [
            point(50.0, 50.0, 3.0),
            point(100.0, 95.0, 9.0),
            point(150.0, 120.0, 300.0),
        ];
        let svg = chart(
            &[
                Series {
                    name: "PostgreSQL",
                    color: "#111",
                    points: &postgres,
                },
                Series {
                    name: "SQLite",
                    color: "#222",
                    points: &sqlite,
                },
            ],
            "abc<1>",
        );
        assert_eq!(svg.matches("<polyline").count(), 4, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 2 * (2 + 3));
        assert!(svg.contains(">PostgreSQL<") && svg.contains(">SQLite<"));
        assert!(svg.contains("abc&lt;1&gt;"), "the commit is escaped");
        // The slowest point sits at the top of the latency panel.
        let top = format!("cy=\"{:.1}\"", super::TOP);
        assert!(svg.contains(&top), "{svg}");
    }

    #[test]
    fn markup_is_escaped() {
        assert_eq!(escape("a<b>&\"c"), "a&lt;b&gt;&amp;&quot;c");
    }
}
