//! How long an operator has to answer each kind of request, per jurisdiction (law.md §10),
//! and the due date on the production calendar.
//!
//! 152-FZ counts working days for most answers (access 10, +5 with a reasoned notice;
//! correction 7; stopping unlawful processing 3) and calendar days for destruction after a
//! withdrawn consent (30). GDPR gives one month, extendable by two (art. 12(3)), counted as
//! calendar months without moving off days off.

use jiff::civil::Date;

use crate::calendar::{CalendarError, Deadline, ProductionCalendar};
use crate::catalog::Jurisdiction;

/// What a subject asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    Access,
    Portability,
    Rectification,
    Erasure,
    Restriction,
    Objection,
    ConsentWithdrawal,
    DistributionStop,
    Complaint,
}

impl RequestKind {
    pub const ALL: [RequestKind; 9] = [
        RequestKind::Access,
        RequestKind::Portability,
        RequestKind::Rectification,
        RequestKind::Erasure,
        RequestKind::Restriction,
        RequestKind::Objection,
        RequestKind::ConsentWithdrawal,
        RequestKind::DistributionStop,
        RequestKind::Complaint,
    ];
}

/// A length of time as the law counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    WorkingDays(u32),
    CalendarDays(u32),
    Months(u32),
}

/// The time to answer a kind of request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineRule {
    pub term: Term,
    /// The one extension allowed, with a reasoned notice, if any.
    pub extension: Option<Term>,
    /// Where the term comes from.
    pub source: &'static str,
}

/// The rule for `kind` under `jurisdiction`.
pub fn deadline_rule(kind: RequestKind, jurisdiction: Jurisdiction) -> DeadlineRule {
    use RequestKind as K;
    use Term::*;
    let rule = |term, extension, source| DeadlineRule { term, extension, source };
    match jurisdiction {
        Jurisdiction::EuGdpr => rule(Months(1), Some(Months(2)), "GDPR art. 12(3)"),
        Jurisdiction::Ru152Fz => match kind {
            K::Access | K::Portability => rule(WorkingDays(10), Some(WorkingDays(5)), "152-FZ art. 14 p.3, art. 20 p.1"),
            K::Rectification => rule(WorkingDays(7), None, "152-FZ art. 20 p.3, art. 21 p.2"),
            K::Erasure => rule(WorkingDays(7), None, "152-FZ art. 20 p.3"),
            K::Restriction => rule(WorkingDays(3), None, "152-FZ art. 21 p.3"),
            K::Objection => rule(WorkingDays(10), Some(WorkingDays(5)), "152-FZ art. 21 p.5.1"),
            K::ConsentWithdrawal => rule(CalendarDays(30), None, "152-FZ art. 21 p.5"),
            K::DistributionStop => rule(WorkingDays(3), None, "152-FZ art. 10.1"),
            // No term of its own: answered like an access request.
            K::Complaint => rule(WorkingDays(10), Some(WorkingDays(5)), "152-FZ art. 20 p.1 (by analogy)"),
        },
    }
}

/// When a request received on `received` is due, with or without its extension.
pub fn due(calendar: &ProductionCalendar, received: Date, rule: &DeadlineRule, extended: bool) -> Result<Deadline, CalendarError> {
    let extra = if extended { rule.extension } else { None };
    match (rule.term, extra) {
        (Term::WorkingDays(n), Some(Term::WorkingDays(m))) => calendar.add_working_days(received, n + m),
        (Term::WorkingDays(n), _) => calendar.add_working_days(received, n),
        (Term::CalendarDays(n), Some(Term::CalendarDays(m))) => calendar.add_calendar_days(received, n + m),
        (Term::CalendarDays(n), _) => calendar.add_calendar_days(received, n),
        (Term::Months(n), extra) => {
            let months = n + if let Some(Term::Months(m)) = extra { m } else { 0 };
            let date = received.checked_add(jiff::Span::new().months(i64::from(months))).map_err(|_| CalendarError {
                code: "calendar.out_of_range",
                message: crate::text::Bilingual::new("the deadline is out of range", "срок вне допустимого диапазона"),
            })?;
            Ok(Deadline { date, provisional: false })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn every_kind_has_a_rule_in_each_jurisdiction() {
        for kind in RequestKind::ALL {
            let ru = deadline_rule(kind, Jurisdiction::Ru152Fz);
            assert!(ru.source.starts_with("152-FZ"), "{kind:?}");
            assert_eq!(deadline_rule(kind, Jurisdiction::EuGdpr).term, Term::Months(1));
        }
        assert_eq!(deadline_rule(RequestKind::Rectification, Jurisdiction::Ru152Fz).term, Term::WorkingDays(7));
        assert_eq!(deadline_rule(RequestKind::ConsentWithdrawal, Jurisdiction::Ru152Fz).term, Term::CalendarDays(30));
    }

    #[test]
    fn due_dates_on_the_calendar_with_and_without_the_extension() {
        let c = ProductionCalendar::russian();
        let access = deadline_rule(RequestKind::Access, Jurisdiction::Ru152Fz);
        assert_eq!(due(&c, d("2025-12-26"), &access, false).unwrap().date, d("2026-01-21"));
        assert_eq!(due(&c, d("2025-12-26"), &access, true).unwrap().date, d("2026-01-28"));
        // No extension exists for a correction: asking for one changes nothing.
        let fix = deadline_rule(RequestKind::Rectification, Jurisdiction::Ru152Fz);
        assert_eq!(due(&c, d("2026-04-29"), &fix, true).unwrap().date, d("2026-05-12"));
        let withdrawal = deadline_rule(RequestKind::ConsentWithdrawal, Jurisdiction::Ru152Fz);
        assert_eq!(due(&c, d("2025-12-02"), &withdrawal, false).unwrap().date, d("2026-01-12"));
        let gdpr = deadline_rule(RequestKind::Access, Jurisdiction::EuGdpr);
        assert_eq!(due(&c, d("2026-01-31"), &gdpr, false).unwrap().date, d("2026-02-28"));
        assert_eq!(due(&c, d("2026-01-31"), &gdpr, true).unwrap().date, d("2026-04-30"));
    }
}
