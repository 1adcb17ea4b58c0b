//! Tests of the retention arithmetic, on the voice-robot example catalog: one purpose per
//! trigger kind, consent, legal duty and the Moscow calendar.

use super::*;
use crate::catalog::parse;

const VOICE_ROBOT: &str = include_str!("../../../examples/voice-robot-calls.toml");

fn catalog() -> Catalog {
    parse(VOICE_ROBOT).unwrap()
}

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn ended(purpose: &str, at: &str) -> Timeline {
    Timeline { consent_ended: [(purpose.to_owned(), t(at))].into(), ..Timeline::default() }
}

fn event(purpose: &str, trigger: RetentionTrigger, at: &str) -> Timeline {
    Timeline { events: [((purpose.to_owned(), trigger), t(at))].into(), ..Timeline::default() }
}

#[test]
fn collection_terms_run_on_moscow_calendar_dates() {
    let c = catalog();
    // site_analytics: P1Y from collection. 2025-12-31 21:30 UTC is 1 January in Moscow.
    let h = hold(&c, "site_analytics", t("2025-12-31T21:30:00Z"), &Timeline::default());
    assert_eq!(h.end, Some(t("2026-12-31T21:30:00Z")));
    assert!(!h.legal_duty);
    // A month from 31 January (Moscow) ends on the last day of February.
    assert_eq!(add_period(t("2026-01-31T09:00:00Z"), "P1M".parse().unwrap()), t("2026-02-28T09:00:00Z"));
}

#[test]
fn a_value_is_destroyed_on_the_day_its_term_ends_and_not_before() {
    let c = catalog();
    let collected = t("2025-03-01T10:00:00Z");
    let keep = verdict(&c, ["site_analytics"], collected, &Timeline::default(), t("2026-03-01T09:59:59Z"));
    assert_eq!(keep, Verdict::Keep { next: Some(t("2026-03-01T10:00:00Z")) });
    let go = verdict(&c, ["site_analytics"], collected, &Timeline::default(), t("2026-03-01T10:00:00Z"));
    assert_eq!(
        go,
        Verdict::Destroy {
            reason: DestructionReason::RetentionExpired,
            since: t("2026-03-01T10:00:00Z"),
            deadline: t("2026-03-31T10:00:00Z")
        }
    );
}

#[test]
fn an_event_trigger_holds_open_ended_until_the_event_is_recorded() {
    let c = catalog();
    let collected = t("2020-01-01T00:00:00Z");
    let far = t("2040-01-01T00:00:00Z");
    assert_eq!(verdict(&c, ["robot_calls"], collected, &Timeline::default(), far), Verdict::Keep { next: None });
    let achieved = event("robot_calls", RetentionTrigger::PurposeAchieved, "2026-05-10T12:00:00Z");
    assert_eq!(hold(&c, "robot_calls", collected, &achieved).end, Some(t("2026-11-10T12:00:00Z")));
    match verdict(&c, ["robot_calls"], collected, &achieved, t("2026-11-10T12:00:00Z")) {
        Verdict::Destroy { reason, .. } => assert_eq!(reason, DestructionReason::PurposeAchieved),
        other => panic!("{other:?}"),
    }
    // An event of another trigger or purpose does not count.
    let wrong = event("robot_calls", RetentionTrigger::ContractEnd, "2026-05-10T12:00:00Z");
    assert_eq!(hold(&c, "robot_calls", collected, &wrong).end, None);
    let closed = event("account", RetentionTrigger::AccountClosed, "2026-01-15T00:00:00Z");
    assert_eq!(hold(&c, "account", collected, &closed).end, Some(t("2029-01-15T00:00:00Z")));
}

#[test]
fn a_withdrawal_ends_a_consent_purpose_at_once_and_leaves_contract_purposes_alone() {
    let c = catalog();
    let collected = t("2026-01-01T00:00:00Z");
    let withdrawn = ended("product_news", "2026-10-01T08:00:00Z");
    let h = hold(&c, "product_news", collected, &withdrawn);
    assert_eq!((h.end, h.reason), (Some(t("2026-10-01T08:00:00Z")), DestructionReason::ConsentWithdrawn));
    // site_analytics rests on consent too: a withdrawal cuts its one-year term short.
    let h = hold(&c, "site_analytics", collected, &ended("site_analytics", "2026-02-01T00:00:00Z"));
    assert_eq!((h.end, h.reason), (Some(t("2026-02-01T00:00:00Z")), DestructionReason::ConsentWithdrawn));
    // A withdrawal recorded against a contract purpose changes nothing.
    assert_eq!(hold(&c, "account", collected, &ended("account", "2026-02-01T00:00:00Z")).end, None);
    // Held by both: the email loses product_news and stays for the account.
    let v = verdict(&c, ["account", "product_news"], collected, &withdrawn, t("2026-10-02T00:00:00Z"));
    assert_eq!(v, Verdict::Narrow { ended: vec!["product_news".into()], next: None, legal_only: false });
    // The withdrawal deadline is 30 days.
    match verdict(&c, ["product_news"], collected, &withdrawn, t("2026-10-02T00:00:00Z")) {
        Verdict::Destroy { reason, deadline, .. } => {
            assert_eq!(reason, DestructionReason::ConsentWithdrawn);
            assert_eq!(deadline, t("2026-10-31T08:00:00Z"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_latest_end_wins_and_a_legal_duty_survives_restricted() {
    let c = catalog();
    let collected = t("2026-01-01T00:00:00Z");
    let mut timeline = ended("product_news", "2026-02-01T00:00:00Z");
    timeline.events.insert(("account".into(), RetentionTrigger::AccountClosed), t("2026-03-01T00:00:00Z"));
    assert!(hold(&c, "payments", collected, &timeline).legal_duty);
    // Email held for the account (until 2029-03-01), news (ended) and receipts (until 2031).
    let purposes = ["account", "product_news", "payments"];
    let v = verdict(&c, purposes, collected, &timeline, t("2026-06-01T00:00:00Z"));
    assert_eq!(v, Verdict::Narrow { ended: vec!["product_news".into()], next: Some(t("2029-03-01T00:00:00Z")), legal_only: false });
    let v = verdict(&c, purposes, collected, &timeline, t("2030-01-01T00:00:00Z"));
    assert_eq!(
        v,
        Verdict::Narrow { ended: vec!["account".into(), "product_news".into()], next: Some(t("2031-01-01T00:00:00Z")), legal_only: true }
    );
    // The legal term is the last to end: the reason is its expiry.
    match verdict(&c, purposes, collected, &timeline, t("2031-01-01T00:00:00Z")) {
        Verdict::Destroy { reason, since, .. } => {
            assert_eq!(reason, DestructionReason::RetentionExpired);
            assert_eq!(since, t("2031-01-01T00:00:00Z"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_purposes_and_purposes_without_retention_never_destroy() {
    let mut c = catalog();
    let collected = t("2000-01-01T00:00:00Z");
    let far = t("2100-01-01T00:00:00Z");
    assert_eq!(verdict(&c, ["no_such_purpose"], collected, &Timeline::default(), far), Verdict::Keep { next: None });
    c.purposes.iter_mut().find(|p| p.id == "site_analytics").unwrap().retention = None;
    assert_eq!(verdict(&c, ["site_analytics"], collected, &Timeline::default(), far), Verdict::Keep { next: None });
    // …unless consent to it was withdrawn.
    let withdrawn = ended("site_analytics", "2026-01-01T00:00:00Z");
    assert!(matches!(verdict(&c, ["site_analytics"], collected, &withdrawn, far), Verdict::Destroy { .. }));
    // A value with no purposes is left alone.
    assert_eq!(verdict(&c, [], collected, &Timeline::default(), far), Verdict::Keep { next: None });
}

#[test]
fn last_interaction_counts_from_the_subjects_latest_activity() {
    let mut c = catalog();
    let p = c.purposes.iter_mut().find(|p| p.id == "site_analytics").unwrap();
    p.retention.as_mut().unwrap().trigger = RetentionTrigger::LastInteraction;
    let timeline = Timeline { last_interaction: Some(t("2026-06-01T00:00:00Z")), ..Timeline::default() };
    assert_eq!(hold(&c, "site_analytics", t("2025-01-01T00:00:00Z"), &timeline).end, Some(t("2027-06-01T00:00:00Z")));
}

#[test]
fn reasons_round_trip_and_cite_their_norm() {
    for r in [
        DestructionReason::RetentionExpired,
        DestructionReason::PurposeAchieved,
        DestructionReason::ConsentWithdrawn,
        DestructionReason::SubjectRequest,
        DestructionReason::OperatorDecision,
    ] {
        assert_eq!(DestructionReason::parse(r.code()), Some(r));
        assert!(r.norm().starts_with("152-ФЗ"));
        assert!(!r.describe().ru.is_empty());
    }
    assert_eq!(DestructionReason::parse("whim"), None);
}
