//! The burndown chart: coordinates computed here, drawn by the template as
//! inline SVG, so the page needs no script.

use serde::Serialize;
use uproot_fleet::BurndownPoint;

const WIDTH: f64 = 1100.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 30.0;

/// A chart ready for the template.
#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct Chart {
    pub width: f64,
    pub height: f64,
    /// Plot area: left, top, right, bottom edges.
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
    pub series: Vec<Series>,
    pub y_ticks: Vec<Tick>,
    pub x_ticks: Vec<Tick>,
}

/// One line.
#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct Series {
    pub name: &'static str,
    pub color: &'static str,
    /// `x,y x,y …` for `<polyline points>`.
    pub points: String,
    /// The newest value, for the legend.
    pub last: u64,
}

/// An axis label at a position.
#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct Tick {
    pub pos: f64,
    pub label: String,
}

/// Lays out `points` (oldest first). `None` when there is nothing to draw.
pub(crate) fn burndown(points: &[BurndownPoint]) -> Option<Chart> {
    if points.is_empty() {
        return None;
    }
    let (x0, x1, y0, y1) = (LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM);
    let max = points
        .iter()
        .map(|p| p.open.max(p.waived).max(p.resolved))
        .max()
        .unwrap_or(0);
    let top = nice_ceiling(max);
    let n = points.len();
    let x_at = |i: usize| {
        if n == 1 {
            (x0 + x1) / 2.0
        } else {
            x0 + (x1 - x0) * i as f64 / (n - 1) as f64
        }
    };
    let y_at = |v: u64| y1 - (y1 - y0) * v as f64 / top as f64;
    let line = |name, color, value: fn(&BurndownPoint) -> u64| Series {
        name,
        color,
        points: points
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{:.1},{:.1}", x_at(i), y_at(value(p))))
            .collect::<Vec<_>>()
            .join(" "),
        last: points.last().map_or(0, value),
    };
    let series = vec![
        line("open", "#c0392b", |p| p.open),
        line("waived", "#d68910", |p| p.waived),
        line("resolved", "#1e8449", |p| p.resolved),
    ];
    let y_ticks = (0..=4)
        .map(|k| {
            let v = top * k / 4;
            Tick {
                pos: round1(y_at(v)),
                label: v.to_string(),
            }
        })
        .collect();
    let mut idx = vec![0, n / 2, n - 1];
    idx.dedup();
    let x_ticks = idx
        .into_iter()
        .map(|i| Tick {
            pos: round1(x_at(i)),
            label: points[i].date.clone(),
        })
        .collect();
    Some(Chart {
        width: WIDTH,
        height: HEIGHT,
        x0,
        y0,
        x1,
        y1,
        series,
        y_ticks,
        x_ticks,
    })
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The smallest 4·{1, 2, 2.5, 5}·10ᵏ at or above `max`, so the four
/// gridlines fall on whole, readable numbers.
fn nice_ceiling(max: u64) -> u64 {
    if max <= 4 {
        return 4;
    }
    let mut base = 1u64;
    loop {
        for step in [
            base,
            base.saturating_mul(2),
            base / 2 * 5,
            base.saturating_mul(5),
        ] {
            if step.saturating_mul(4) >= max {
                return step.saturating_mul(4);
            }
        }
        base = base.saturating_mul(10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(date: &str, open: u64, waived: u64, resolved: u64) -> BurndownPoint {
        BurndownPoint {
            date: date.into(),
            open,
            waived,
            resolved,
        }
    }

    #[test]
    fn lays_out_lines_in_the_plot_area() {
        let c = burndown(&[
            p("2026-11-01", 8, 0, 0),
            p("2026-11-02", 4, 2, 2),
            p("2026-11-03", 0, 2, 6),
        ])
        .unwrap();
        assert_eq!(c.series[0].points, "52.0,14.0 568.0,122.0 1084.0,230.0");
        assert_eq!(c.series[0].last, 0);
        assert_eq!(c.series[2].last, 6);
        assert_eq!(c.y_ticks.first().unwrap().label, "0");
        assert_eq!(c.y_ticks.last().unwrap().label, "8");
        assert_eq!(c.y_ticks.last().unwrap().pos, 14.0);
        assert_eq!(c.x_ticks.len(), 3);
        assert_eq!(c.x_ticks[2].label, "2026-11-03");
    }

    #[test]
    fn single_point_and_empty() {
        assert!(burndown(&[]).is_none());
        let c = burndown(&[p("2026-11-01", 0, 0, 0)]).unwrap();
        assert_eq!(c.series[0].points, "568.0,230.0");
        assert_eq!(c.x_ticks.len(), 1);
    }

    #[test]
    fn nice_ceilings() {
        assert_eq!(nice_ceiling(0), 4);
        assert_eq!(nice_ceiling(5), 8);
        assert_eq!(nice_ceiling(9), 20);
        assert_eq!(nice_ceiling(37), 40);
        assert_eq!(nice_ceiling(81), 100);
        assert_eq!(nice_ceiling(1234), 2000);
        assert_eq!(nice_ceiling(99_000), 100_000);
    }
}
