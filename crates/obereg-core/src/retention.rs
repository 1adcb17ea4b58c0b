//! Retention arithmetic: how long each stored value or record may be kept, and what
//! happens to it when that time is up.
//!
//! A value is collected for one or more purposes; each purpose *holds* it until the end of
//! its retention (the catalog's `period` counted from its `trigger`). The value may be kept
//! while any purpose still holds it — the latest end wins (152-FZ art. 5 p.7: no longer than
//! the purposes require). When a purpose's hold ends but others remain, the value is
//! narrowed: the ended purpose is taken off it, so reads for that purpose no longer see it.
//! When nothing holds it any more it must be destroyed, within 30 days of that moment
//! (art. 21 pp.4–5).
//!
//! Rationale for the choices that are not spelled out by the law:
//! - A trigger that has not happened (a contract still running, a purpose not yet
//!   achieved) holds the value open-ended: nothing is destroyed on a guess.
//! - A purpose the catalog no longer lists, or one without a retention rule, also holds
//!   open-ended. Destroying on a catalog typo would be irreversible; the catalog check
//!   warns about purposes without retention instead.
//! - For a purpose that rests on consent, a withdrawal (or expiry) of every consent scope of
//!   the purpose ends its hold at once, whatever the trigger (art. 21 p.5); with the trigger
//!   `consent_withdrawn` the period then runs from the withdrawal.
//! - A purpose resting on a legal duty (basis `law`, GDPR `legal_obligation`, or a
//!   `legal_term` trigger) is flagged: values only such purposes still hold are kept but
//!   restricted by the engine.
//!
//! Time is Moscow time (UTC+3, no daylight saving since 2014) for calendar arithmetic:
//! `P1M` from 31 January ends on the last day of February, as a lawyer would count it.

use std::collections::BTreeMap;

use jiff::{Span, Timestamp, tz};

use crate::Bilingual;
use crate::catalog::{Catalog, GdprBasis, Period, Purpose, RetentionTrigger, RuBasis};

/// Days after a hold ends within which the data must be destroyed (152-FZ art. 21 pp.4–5).
pub const DESTRUCTION_WINDOW_DAYS: i64 = 30;

/// Why data is destroyed: the reason codes of an Order 179 act (law.md O179-7). Serialised
/// as its [`code`](DestructionReason::code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DestructionReason {
    /// The retention term ran out (art. 5 p.7).
    RetentionExpired,
    /// The purpose was achieved (art. 21 p.4).
    PurposeAchieved,
    /// Consent was withdrawn or expired (art. 21 p.5).
    ConsentWithdrawn,
    /// The subject demanded destruction (art. 14 p.1, art. 21; an erasure request).
    SubjectRequest,
    /// Staff erased the subject through the API, on the operator's own decision.
    OperatorDecision,
}

impl DestructionReason {
    pub fn code(self) -> &'static str {
        match self {
            Self::RetentionExpired => "retention_expired",
            Self::PurposeAchieved => "purpose_achieved",
            Self::ConsentWithdrawn => "consent_withdrawn",
            Self::SubjectRequest => "subject_request",
            Self::OperatorDecision => "operator_decision",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::RetentionExpired, Self::PurposeAchieved, Self::ConsentWithdrawn, Self::SubjectRequest, Self::OperatorDecision]
            .into_iter()
            .find(|r| r.code() == code)
    }

    /// The norm the reason rests on.
    pub fn norm(self) -> &'static str {
        match self {
            Self::RetentionExpired => "152-ФЗ ст. 5 ч. 7",
            Self::PurposeAchieved => "152-ФЗ ст. 21 ч. 4",
            Self::ConsentWithdrawn => "152-ФЗ ст. 21 ч. 5",
            Self::SubjectRequest => "152-ФЗ ст. 14 ч. 1, ст. 21 ч. 3",
            Self::OperatorDecision => "152-ФЗ ст. 21",
        }
    }

    pub fn describe(self) -> Bilingual {
        match self {
            Self::RetentionExpired => Bilingual::new("the retention term expired", "истёк срок хранения"),
            Self::PurposeAchieved => Bilingual::new("the purpose of processing was achieved", "достигнута цель обработки"),
            Self::ConsentWithdrawn => {
                Bilingual::new("consent to processing was withdrawn or expired", "согласие на обработку отозвано или истекло")
            }
            Self::SubjectRequest => {
                Bilingual::new("the data subject demanded destruction", "требование субъекта персональных данных об уничтожении")
            }
            Self::OperatorDecision => Bilingual::new("the operator decided to destroy the data", "решение оператора об уничтожении данных"),
        }
    }
}

/// What is known about one subject that retention depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline {
    /// The subject's last interaction: the latest time a value or record was collected or
    /// a record occurred.
    pub last_interaction: Option<Timestamp>,
    /// Events recorded for the subject by purpose: purpose achieved, contract ended,
    /// account closed (the latest of each).
    pub events: BTreeMap<(String, RetentionTrigger), Timestamp>,
    /// Purposes every consent scope of which was withdrawn or expired, with the time of the
    /// last such event.
    pub consent_ended: BTreeMap<String, Timestamp>,
}

/// How long one purpose holds one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub purpose: String,
    /// When the hold ends; `None` while it is open-ended.
    pub end: Option<Timestamp>,
    /// The purpose rests on a legal duty to keep the data.
    pub legal_duty: bool,
    /// Why the data goes when this hold is the last to end.
    pub reason: DestructionReason,
}

/// What to do with one value or record now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every purpose still holds it; `next` is when the first hold ends, if known.
    Keep { next: Option<Timestamp> },
    /// Some purposes' holds ended: take them off. The rest hold it until `next` (if known);
    /// `legal_only` when only legal-duty purposes remain.
    Narrow { ended: Vec<String>, next: Option<Timestamp>, legal_only: bool },
    /// Nothing holds it since `since`: destroy it, by `deadline` at the latest.
    Destroy { reason: DestructionReason, since: Timestamp, deadline: Timestamp },
}

fn moscow() -> tz::TimeZone {
    tz::TimeZone::fixed(tz::offset(3))
}

/// `start` plus a calendar period, counted on Moscow dates (clamped at month ends).
pub fn add_period(start: Timestamp, period: Period) -> Timestamp {
    let span = Span::new().years(i64::from(period.years)).months(i64::from(period.months)).days(i64::from(period.days));
    start.to_zoned(moscow()).checked_add(span).map(|z| z.timestamp()).unwrap_or(Timestamp::MAX)
}

/// The legal deadline for destroying data nothing holds since `since`.
pub fn destruction_deadline(since: Timestamp) -> Timestamp {
    add_period(since, Period { years: 0, months: 0, days: DESTRUCTION_WINDOW_DAYS as u32 })
}

/// Whether a purpose rests on a legal duty to keep data.
pub fn is_legal_duty(purpose: &Purpose) -> bool {
    let basis_is_law = purpose.basis.is_some_and(|b| b.ru == Some(RuBasis::Law) || b.gdpr == Some(GdprBasis::LegalObligation));
    basis_is_law || purpose.retention.as_ref().is_some_and(|r| r.trigger == RetentionTrigger::LegalTerm)
}

/// Whether a purpose rests on consent (so a withdrawal ends it).
pub fn rests_on_consent(purpose: &Purpose) -> bool {
    purpose.basis.is_some_and(|b| match b.ru {
        Some(ru) => ru.is_consent(),
        None => b.gdpr == Some(GdprBasis::Consent),
    })
}

/// How long `purpose_id` holds a value collected at `collected_at`.
pub fn hold(catalog: &Catalog, purpose_id: &str, collected_at: Timestamp, timeline: &Timeline) -> Hold {
    let open = |legal_duty| Hold { purpose: purpose_id.to_owned(), end: None, legal_duty, reason: DestructionReason::RetentionExpired };
    let Some(purpose) = catalog.purposes.iter().find(|p| p.id == purpose_id) else { return open(false) };
    let legal_duty = is_legal_duty(purpose);
    let withdrawn = if rests_on_consent(purpose) { timeline.consent_ended.get(purpose_id).copied() } else { None };
    let Some(retention) = &purpose.retention else {
        return match withdrawn {
            Some(at) => Hold { end: Some(at), reason: DestructionReason::ConsentWithdrawn, ..open(legal_duty) },
            None => open(legal_duty),
        };
    };
    let (start, reason) = match retention.trigger {
        RetentionTrigger::Collection | RetentionTrigger::LegalTerm => (Some(collected_at), DestructionReason::RetentionExpired),
        RetentionTrigger::LastInteraction => (Some(timeline.last_interaction.unwrap_or(collected_at)), DestructionReason::RetentionExpired),
        RetentionTrigger::ConsentWithdrawn => (withdrawn, DestructionReason::ConsentWithdrawn),
        trigger @ (RetentionTrigger::PurposeAchieved | RetentionTrigger::ContractEnd | RetentionTrigger::AccountClosed) => {
            (timeline.events.get(&(purpose_id.to_owned(), trigger)).copied(), DestructionReason::PurposeAchieved)
        }
    };
    let by_term = start.map(|s| add_period(s, retention.period));
    // A withdrawal ends a consent-based hold at once unless the period runs from it.
    let (end, reason) = match (by_term, withdrawn) {
        (Some(term), Some(at)) if retention.trigger != RetentionTrigger::ConsentWithdrawn && at < term => {
            (Some(at), DestructionReason::ConsentWithdrawn)
        }
        (None, Some(at)) => (Some(at), DestructionReason::ConsentWithdrawn),
        (term, _) => (term, reason),
    };
    Hold { purpose: purpose_id.to_owned(), end, legal_duty, reason }
}

/// What to do now with a value or record collected at `collected_at` for `purposes`.
pub fn verdict<'p>(
    catalog: &Catalog,
    purposes: impl IntoIterator<Item = &'p str>,
    collected_at: Timestamp,
    timeline: &Timeline,
    now: Timestamp,
) -> Verdict {
    let holds: Vec<Hold> = purposes.into_iter().map(|p| hold(catalog, p, collected_at, timeline)).collect();
    let (ended, holding): (Vec<&Hold>, Vec<&Hold>) = holds.iter().partition(|h| h.end.is_some_and(|end| end <= now));
    if holding.is_empty() {
        // Every hold has an end in the past (there is at least one purpose per value); the
        // last to end decides the reason and starts the destruction window.
        let last = ended.iter().max_by_key(|h| (h.end, h.reason)).copied();
        return match last {
            Some(Hold { end: Some(since), reason, .. }) => {
                Verdict::Destroy { reason: *reason, since: *since, deadline: destruction_deadline(*since) }
            }
            _ => Verdict::Keep { next: None },
        };
    }
    let next = holding.iter().filter_map(|h| h.end).min();
    if ended.is_empty() {
        return Verdict::Keep { next };
    }
    Verdict::Narrow { ended: ended.iter().map(|h| h.purpose.clone()).collect(), next, legal_only: holding.iter().all(|h| h.legal_duty) }
}

#[cfg(test)]
#[path = "retention_tests.rs"]
mod tests;
