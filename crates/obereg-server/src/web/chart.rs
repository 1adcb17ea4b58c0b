//! The dashboard's chart of consents given and withdrawn per day, as inline SVG drawn on the
//! server: no script, no external library; screen readers get its title and each bar's count
//! (a `<title>` per bar, which browsers also show on hover).

use std::fmt::Write as _;

use super::Lang;

const WIDTH: i64 = 600;
const HEIGHT: i64 = 160;

/// The SVG markup for `days` days from `first_day` (days since 1970-01-01 UTC). Only numbers
/// and fixed words go into it, so it is safe to embed unescaped.
pub fn consent_chart(lang: Lang, counts: &[(i64, String, i64)], first_day: i64, days: i64) -> String {
    let per_day = |day: i64, action: &str| counts.iter().filter(|(d, a, _)| *d == day && a == action).map(|(_, _, n)| *n).sum::<i64>();
    let max = (0..days).map(|i| per_day(first_day + i, "given").max(per_day(first_day + i, "withdrawn"))).max().unwrap_or(0).max(1);
    let slot = WIDTH / days.max(1);
    let bar = (slot / 2 - 1).max(1);
    let title = lang.t(
        "Consents given (dark) and withdrawn (light) per day, last 30 days",
        "Согласия данные (тёмные) и отозванные (светлые) по дням, 30 дней",
    );
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {WIDTH} {}\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\"><title>{title}</title>",
        HEIGHT + 2
    );
    for i in 0..days {
        for (offset, action, class) in [(0, "given", "given"), (bar + 1, "withdrawn", "withdrawn")] {
            let n = per_day(first_day + i, action);
            if n == 0 {
                continue;
            }
            let h = (n * HEIGHT / max).max(2);
            let _ = write!(
                svg,
                "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"{bar}\" height=\"{h}\"><title>{n}</title></rect>",
                i * slot + offset,
                HEIGHT - h
            );
        }
    }
    let _ = write!(svg, "<line x1=\"0\" y1=\"{HEIGHT}\" x2=\"{WIDTH}\" y2=\"{HEIGHT}\" class=\"axis\"/></svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_busiest_day() {
        let counts = vec![(100, "given".to_owned(), 4), (101, "withdrawn".to_owned(), 2), (99, "given".to_owned(), 50)];
        let svg = consent_chart(Lang::En, &counts, 100, 30);
        assert_eq!(svg.matches("<rect").count(), 2, "{svg}");
        assert!(svg.contains("height=\"160\""), "the busiest day fills the height: {svg}");
        assert!(svg.contains("height=\"80\""), "half of it is half as tall: {svg}");
        assert!(!svg.contains("<title>50</title>"), "days before the window are left out");
        assert!(consent_chart(Lang::Ru, &[], 0, 30).contains("Согласия"));
    }
}
