//! The Russian production calendar (производственный календарь) and deadlines counted on
//! it: 152-FZ gives 10 working days to answer an access request, 7 to correct, 3 to stop
//! unlawful processing (law.md §10), and 30 calendar days to destroy.
//!
//! The calendar is data. Years with a published Government decree are tables: their days
//! off beyond weekends (holidays and transfers) and their working Saturdays. They ship in
//! `data/calendar-ru.toml`, and an operator may add or replace years. A year without a
//! table is computed from Labour Code art. 112: the federal holidays, and a holiday on a
//! weekend moves the day off to the next working day, except in the January holidays. It
//! is marked **provisional**, because the decree also moves two January weekend days to
//! dates only it names. Every deadline says whether a provisional year went into it.
//!
//! Counting follows Civil Code arts. 191 and 193. A period starts the day after its trigger.
//! A deadline in working days is the n-th working day after the trigger. A deadline in
//! calendar days that lands on a day off moves to the next working day.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, Weekday};
use serde::Deserialize;

use crate::text::Bilingual;

const SHIPPED: &str = include_str!("../data/calendar-ru.toml");

/// Federal non-working holidays (Labour Code art. 112 p.1), as (month, day).
const HOLIDAYS: [(i8, i8); 14] =
    [(1, 1), (1, 2), (1, 3), (1, 4), (1, 5), (1, 6), (1, 7), (1, 8), (2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4)];

/// Longest deadline counted, so a bad input cannot loop for long.
const MAX_DAYS: u32 = 3660;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    year: Vec<YearTable>,
}

/// One year's decree, as data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct YearTable {
    year: i16,
    source: String,
    #[serde(default)]
    days_off: Vec<Date>,
    #[serde(default)]
    working_days: Vec<Date>,
}

/// Why a calendar file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}")]
pub struct CalendarError {
    pub code: &'static str,
    pub message: Bilingual,
}

/// A year of the calendar: from a decree, or computed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Year {
    source: Option<String>,
    days_off: BTreeSet<Date>,
    working_days: BTreeSet<Date>,
}

/// A computed due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub date: Date,
    /// A year without a published decree was used: the date may still move.
    pub provisional: bool,
}

/// The production calendar.
#[derive(Debug, Clone)]
pub struct ProductionCalendar {
    years: BTreeMap<i16, Year>,
}

impl ProductionCalendar {
    /// The federal calendar shipped with obereg.
    pub fn russian() -> Self {
        let mut calendar = Self { years: BTreeMap::new() };
        calendar.load(SHIPPED).expect("the shipped calendar is valid");
        calendar
    }

    /// Adds or replaces the years in `toml` (the format of `data/calendar-ru.toml`). A file
    /// with any bad year changes nothing.
    pub fn load(&mut self, toml_text: &str) -> Result<(), CalendarError> {
        let file: File = toml::from_str(toml_text).map_err(|e| CalendarError {
            code: "calendar.malformed",
            message: Bilingual::new(
                format!("the calendar file does not parse: {}", e.message()),
                format!("файл календаря не читается: {}", e.message()),
            ),
        })?;
        let mut years = BTreeMap::new();
        for t in file.year {
            if let Some(d) = t.days_off.iter().chain(&t.working_days).find(|d| d.year() != t.year) {
                return Err(CalendarError {
                    code: "calendar.date_outside_year",
                    message: Bilingual::new(format!("{d} is listed under year {}", t.year), format!("дата {d} указана в {} году", t.year)),
                });
            }
            if let Some(d) = t.days_off.iter().find(|d| t.working_days.contains(d)) {
                return Err(CalendarError {
                    code: "calendar.day_both_ways",
                    message: Bilingual::new(
                        format!("{d} is both a day off and a working day"),
                        format!("{d} указан и выходным, и рабочим"),
                    ),
                });
            }
            years.insert(
                t.year,
                Year {
                    source: Some(t.source),
                    days_off: t.days_off.into_iter().collect(),
                    working_days: t.working_days.into_iter().collect(),
                },
            );
        }
        self.years.extend(years);
        Ok(())
    }

    /// Whether `year` comes from a decree (else it is computed, provisional).
    pub fn is_official(&self, year: i16) -> bool {
        self.years.get(&year).is_some_and(|y| y.source.is_some())
    }

    /// The decree a year comes from, if any.
    pub fn source(&self, year: i16) -> Option<&str> {
        self.years.get(&year).and_then(|y| y.source.as_deref())
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: Date) -> bool {
        match self.years.get(&date.year()) {
            Some(y) => !y.days_off.contains(&date) && (y.working_days.contains(&date) || !is_weekend(date)),
            None => !computed_days_off(date.year()).contains(&date) && !is_weekend(date),
        }
    }

    /// The `n`-th working day after `trigger` (a period starts the next day).
    pub fn add_working_days(&self, trigger: Date, n: u32) -> Result<Deadline, CalendarError> {
        let mut date = trigger;
        let mut counted = 0;
        let mut provisional = false;
        for _ in 0..MAX_DAYS {
            if counted == n {
                return Ok(Deadline { date, provisional });
            }
            date = next_day(date)?;
            provisional |= !self.is_official(date.year());
            if self.is_working_day(date) {
                counted += 1;
            }
        }
        Err(too_long())
    }

    /// `n` calendar days after `trigger`; a deadline on a day off moves to the next
    /// working day.
    pub fn add_calendar_days(&self, trigger: Date, n: u32) -> Result<Deadline, CalendarError> {
        if n > MAX_DAYS {
            return Err(too_long());
        }
        let mut date = trigger.checked_add(jiff::Span::new().days(i64::from(n))).map_err(|_| too_long())?;
        let mut provisional = !self.is_official(date.year());
        for _ in 0..MAX_DAYS {
            if self.is_working_day(date) {
                return Ok(Deadline { date, provisional });
            }
            date = next_day(date)?;
            provisional |= !self.is_official(date.year());
        }
        Err(too_long())
    }
}

fn too_long() -> CalendarError {
    CalendarError {
        code: "calendar.out_of_range",
        message: Bilingual::new("the deadline is out of range", "срок вне допустимого диапазона"),
    }
}

fn next_day(date: Date) -> Result<Date, CalendarError> {
    date.tomorrow().map_err(|_| too_long())
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The days off of a year without a decree (Labour Code art. 112 pp.1–2): the holidays,
/// and for a holiday on a weekend outside the January holidays, the next working day.
fn computed_days_off(year: i16) -> BTreeSet<Date> {
    let mut off: BTreeSet<Date> = HOLIDAYS.iter().filter_map(|(m, d)| Date::new(year, *m, *d).ok()).collect();
    for (m, d) in HOLIDAYS.iter().filter(|(m, _)| *m != 1) {
        let Ok(holiday) = Date::new(year, *m, *d) else { continue };
        if is_weekend(holiday) {
            let mut day = holiday;
            while let Ok(next) = day.tomorrow() {
                day = next;
                if !is_weekend(day) && !off.contains(&day) {
                    off.insert(day);
                    break;
                }
            }
        }
    }
    off
}

#[cfg(test)]
mod tests;
