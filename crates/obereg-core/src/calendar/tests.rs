//! The calendar against the decrees (law.md §9) and deadlines that cross the New Year
//! holidays, transfers and working Saturdays.

use super::*;

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

#[test]
fn the_decree_years_have_their_transfers_and_working_saturdays() {
    let c = ProductionCalendar::russian();
    for off in [
        "2025-01-08",
        "2025-05-02",
        "2025-05-08",
        "2025-06-13",
        "2025-11-03",
        "2025-11-04",
        "2025-12-31",
        "2026-01-09",
        "2026-03-09",
        "2026-05-11",
        "2026-12-31",
        "2024-04-29",
        "2024-12-31",
    ] {
        assert!(!c.is_working_day(d(off)), "{off} is a day off");
    }
    for working in ["2025-11-01", "2024-04-27", "2024-12-28", "2025-01-09", "2026-01-12", "2026-11-03", "2026-04-30"] {
        assert!(c.is_working_day(d(working)), "{working} is a working day");
    }
    assert!(!c.is_working_day(d("2026-11-07")), "an ordinary Saturday");
    assert!(c.is_official(2026) && !c.is_official(2027));
    assert_eq!(c.source(2025), Some("Постановление Правительства РФ № 1335 от 04.10.2024"));
}

#[test]
fn ten_working_days_from_a_request_before_the_new_year_holidays() {
    let c = ProductionCalendar::russian();
    // Received Friday 26 December 2025: 29 and 30 Dec count, 31 Dec – 11 Jan do not.
    assert_eq!(c.add_working_days(d("2025-12-26"), 10).unwrap(), Deadline { date: d("2026-01-21"), provisional: false });
    // Seven working days over the May holidays of 2026.
    assert_eq!(c.add_working_days(d("2026-04-29"), 7).unwrap().date, d("2026-05-12"));
    // The working Saturday of 1 November 2025 counts.
    assert_eq!(c.add_working_days(d("2025-10-31"), 1).unwrap().date, d("2025-11-01"));
    assert_eq!(c.add_working_days(d("2026-03-02"), 0).unwrap().date, d("2026-03-02"));
}

#[test]
fn thirty_calendar_days_ending_on_a_day_off_move_to_the_next_working_day() {
    let c = ProductionCalendar::russian();
    assert_eq!(c.add_calendar_days(d("2026-03-01"), 30).unwrap().date, d("2026-03-31"));
    // 2 Dec 2025 + 30 = 1 Jan 2026, a holiday: the first working day is 12 January.
    assert_eq!(c.add_calendar_days(d("2025-12-02"), 30).unwrap(), Deadline { date: d("2026-01-12"), provisional: false });
}

#[test]
fn a_year_without_a_decree_is_computed_and_flagged_provisional() {
    let c = ProductionCalendar::russian();
    // 2027: 1 May and 9 May fall on weekends; the days off move to Mondays 3 and 10 May.
    assert!(!c.is_working_day(d("2027-05-03")) && !c.is_working_day(d("2027-05-10")));
    assert!(!c.is_working_day(d("2027-01-08")) && c.is_working_day(d("2027-01-11")));
    assert!(c.add_working_days(d("2026-12-25"), 10).unwrap().provisional, "the count runs into 2027");
    assert!(c.add_calendar_days(d("2026-12-20"), 30).unwrap().provisional);
}

#[test]
fn an_operator_file_adds_a_year_and_a_bad_one_changes_nothing() {
    let mut c = ProductionCalendar::russian();
    let file = r#"
[[year]]
year = 2027
source = "Постановление № 1 (пример)"
days_off = ["2027-01-01", "2027-05-03", "2027-05-10", "2027-12-31"]
working_days = ["2027-12-25"]
"#;
    c.load(file).unwrap();
    assert!(c.is_official(2027));
    assert!(!c.is_working_day(d("2027-12-31")) && c.is_working_day(d("2027-12-25")));
    for (bad, code) in [
        ("[[year]]\nyear = 2028\nsource = \"x\"\ndays_off = [\"2029-01-01\"]\n", "calendar.date_outside_year"),
        ("[[year]]\nyear = 2028\nsource = \"x\"\ndays_off = [\"2028-01-01\"]\nworking_days = [\"2028-01-01\"]\n", "calendar.day_both_ways"),
        ("[[year]]\nyear = \"soon\"\n", "calendar.malformed"),
    ] {
        assert_eq!(c.load(bad).unwrap_err().code, code);
    }
    assert!(!c.is_official(2028), "nothing of a refused file was kept");
    assert_eq!(c.add_working_days(d("2026-01-01"), 5000).unwrap_err().code, "calendar.out_of_range");
}

/// Known dates of 2025 and 2026 with the 10th working day after them, worked out by hand
/// from the decrees (law.md CAL-5, CAL-6): May holidays and their transfers, the working
/// Saturday of 1 November 2025, the New Year break, the Monday holidays of 2026.
#[test]
fn ten_working_day_deadlines_in_2025_and_2026() {
    let c = ProductionCalendar::russian();
    let table = [
        ("2025-04-24", "2025-05-14", "1–4 May and 8–11 May 2025 off (23 Feb moved to 8 May)"),
        ("2025-10-27", "2025-11-11", "Saturday 1 Nov 2025 works, 2–4 Nov off"),
        ("2025-11-01", "2025-11-18", "received on the working Saturday"),
        ("2025-12-24", "2026-01-19", "31 Dec 2025 to 11 Jan 2026 off"),
        ("2025-12-26", "2026-01-21", "the New Year break from a Friday"),
        ("2026-02-16", "2026-03-03", "21–23 Feb 2026 off"),
        ("2026-03-02", "2026-03-17", "7–9 Mar 2026 off"),
        ("2026-04-27", "2026-05-13", "1–3 May and 9–11 May 2026 off"),
        ("2026-06-08", "2026-06-23", "12–14 Jun 2026 off"),
        ("2026-10-28", "2026-11-12", "4 Nov 2026 off"),
        ("2026-11-20", "2026-12-04", "an ordinary fortnight"),
    ];
    for (received, due, why) in table {
        let deadline = c.add_working_days(d(received), 10).unwrap();
        assert_eq!(deadline, Deadline { date: d(due), provisional: false }, "{received}: {why}");
    }
}
