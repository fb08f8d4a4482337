//! A release's downloads of the last days as a small bar chart, drawn on the server as SVG: the
//! pages run no script, and their Content-Security-Policy allows no inline style, so the chart
//! uses presentation attributes only (its colour comes from the stylesheet, `currentColor`).

use chrono::NaiveDate;
use maud::{html, Markup};

const WIDTH: i64 = 300;
const HEIGHT: i64 = 60;

/// Bars of `days` (oldest first), each titled with its date and count, scaled to the busiest.
pub fn downloads_chart(days: &[(NaiveDate, i64)]) -> Markup {
    let total: i64 = days.iter().map(|(_, count)| count).sum();
    let busiest = days
        .iter()
        .map(|(_, count)| *count)
        .max()
        .unwrap_or(0)
        .max(1);
    let slot = WIDTH / i64::try_from(days.len().max(1)).unwrap_or(1);
    let label = format!(
        "Downloads per day over the last {} days: {total} in all",
        days.len()
    );
    html! {
        figure.chart {
            svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (HEIGHT) }
                width=(WIDTH) height=(HEIGHT) role="img" aria-label=(label) {
                line x1="0" y1=(HEIGHT - 1) x2=(WIDTH) y2=(HEIGHT - 1) stroke="currentColor" stroke-opacity="0.3" {}
                @for (i, (date, count)) in days.iter().enumerate() {
                    @let height = (count * (HEIGHT - 2) / busiest).max(i64::from(*count > 0));
                    @let x = i64::try_from(i).unwrap_or(0) * slot;
                    rect x=(x) y=(HEIGHT - 1 - height) width=((slot - 2).max(1)) height=(height) fill="currentColor" {
                        title { (date) ": " (count) }
                    }
                }
            }
            figcaption {
                (total) @if total == 1 { " download" } @else { " downloads" }
                " in the last " (days.len()) " days"
                @if let (Some((first, _)), Some((last, _))) = (days.first(), days.last()) {
                    " (" (first) " to " (last) ")"
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_scaled_to_the_busiest_day_and_titled() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let svg = downloads_chart(&[(day(1), 0), (day(2), 5), (day(3), 10)]).into_string();
        assert!(svg.contains("<title>2026-12-02: 5</title>"), "{svg}");
        assert!(
            svg.contains("height=\"58\""),
            "the busiest day fills the chart: {svg}"
        );
        assert!(svg.contains("height=\"29\""), "{svg}");
        assert!(svg.contains("15 downloads in the last 3 days"));
        assert!(!svg.contains("style="), "no inline style: {svg}");
    }
}
