//! Incidents end to end over a real SQLite store with a clock the tests move: the 24/72-hour
//! clocks and their reminders, notices refused until their facts are in and kept as sent,
//! the affected set read from the journal, notices to subjects, dismissal, and who may act.

use jiff::SignedDuration;
use obereg_core::incident::{ClockState, IncidentContact, IncidentFacts, IncidentStatus, NoticeKind};

use crate::EngineError;
use crate::incidents::AffectedScope;
use crate::retention_tests::env;
use crate::vault_tests::customer;
use crate::web_tests::Captured;

fn hours(n: i64) -> SignedDuration {
    SignedDuration::from_hours(n)
}

fn facts(detected_at: jiff::Timestamp) -> IncidentFacts {
    IncidentFacts { detected_at, description: "A CRM export was left on a public share".into(), ..Default::default() }
}

fn complete(mut f: IncidentFacts) -> IncidentFacts {
    f.causes = "A share link without a password".into();
    f.harm = "Unwanted calls; low".into();
    f.measures = "Link removed".into();
    f.contact = Some(IncidentContact {
        name: "Мария Иванова".into(),
        position: "DPO".into(),
        email: "dpo@voice-robot.example".into(),
        phone: String::new(),
    });
    f
}

#[tokio::test]
async fn the_clocks_run_from_detection_and_remind_once_per_notice() {
    let env = env().await;
    let e = &env.engine;
    let detected = e.clock.now();
    let made = e.record_incident(&env.admin, facts(detected), None, false).await.unwrap();
    assert_eq!((made.status, made.gdpr, made.clocks.len()), (IncidentStatus::Suspected, false, 2), "152-FZ only in this catalog");
    assert_eq!(made.clocks[0].due, detected + hours(24));
    assert_eq!(made.missing[&NoticeKind::RknInitial], vec!["causes", "harm", "measures", "contact"]);
    let captured = Captured::default();
    assert_eq!(e.remind_incidents().await.unwrap(), 0, "nothing is due yet");
    // With a quarter of the 24 hours left, the catalog's responsible person is reminded, once.
    env.clock.advance(hours(18));
    assert_eq!(e.remind_incidents().await.unwrap(), 1);
    assert_eq!(e.remind_incidents().await.unwrap(), 0);
    e.deliver_outbox(&captured).await.unwrap();
    {
        let sent = captured.0.lock().unwrap();
        assert_eq!(sent[0].to, "dpo@voice-robot.example");
        assert!(sent[0].body.contains(&made.id) && sent[0].body.contains("п. 1 ч. 3.1 ст. 21 152-ФЗ"), "{}", sent[0].body);
        assert!(!sent[0].body.contains("CRM export"), "reminders name the incident and the deadline only");
    }
    // Past 24 hours the first notice is overdue: one more reminder, saying so.
    env.clock.advance(hours(7));
    let view = e.incident(&env.admin, &made.id).await.unwrap();
    assert!(matches!(view.clocks[0].state, ClockState::Overdue { .. }));
    assert_eq!(e.remind_incidents().await.unwrap(), 0, "one reminder per notice: the first was already sent");
    env.clock.advance(hours(48));
    assert_eq!(e.remind_incidents().await.unwrap(), 1, "the 72-hour notice reaches its reminder point");
}

#[tokio::test]
async fn notices_need_their_facts_are_kept_as_sent_and_close_the_incident() {
    let env = env().await;
    let e = &env.engine;
    let detected = e.clock.now();
    let made = e.record_incident(&env.admin, facts(detected), Some(true), true).await.unwrap();
    assert_eq!((made.status, made.clocks.len()), (IncidentStatus::Confirmed, 3));
    let early = e.record_incident_notice(&env.admin, &made.id, made.version, NoticeKind::RknInitial, None).await.unwrap_err();
    assert_eq!(early.code(), "incident.notice_incomplete");
    // A stale version is refused: someone else changed it.
    let updated = e.update_incident(&env.admin, &made.id, made.version, complete(facts(detected))).await.unwrap();
    let stale = e.update_incident(&env.admin, &made.id, made.version, complete(facts(detected))).await.unwrap_err();
    assert!(matches!(stale, EngineError::Conflict(_)));
    let preview = e.incident_notice(&env.admin, &made.id, NoticeKind::RknInitial).await.unwrap();
    assert!(preview.text.contains("ООО «Голосовые звонки»") && preview.text.contains("77-17-004512"), "{}", preview.text);
    env.clock.advance(hours(20));
    let sent = e.record_incident_notice(&env.admin, &made.id, updated.version, NoticeKind::RknInitial, None).await.unwrap();
    assert_eq!(sent.clocks[0].state, ClockState::SentOnTime);
    assert_eq!(sent.notices[0].text, preview.text, "the text kept is the text rendered from the facts");
    assert_eq!(sent.notices[0].sha256.len(), 64);
    let twice = e.record_incident_notice(&env.admin, &made.id, sent.version, NoticeKind::RknInitial, None).await.unwrap_err();
    assert!(matches!(twice, EngineError::Conflict(_)));
    // A sending time in the future or before detection is refused.
    let future =
        e.record_incident_notice(&env.admin, &made.id, sent.version, NoticeKind::GdprAuthority, Some(e.clock.now() + hours(1))).await;
    assert_eq!(future.unwrap_err().code(), "incident.bad_sent_time");
    let mut f = complete(facts(detected));
    f.records_count = Some(10);
    f.categories = vec!["contact.phone".into()];
    f.subjects_count = Some(10);
    f.investigation = "A contractor's account made the link".into();
    let filled = e.update_incident(&env.admin, &made.id, sent.version, f).await.unwrap();
    let v = e.record_incident_notice(&env.admin, &made.id, filled.version, NoticeKind::RknFollowUp, None).await.unwrap();
    let done = e.record_incident_notice(&env.admin, &made.id, v.version, NoticeKind::GdprAuthority, None).await.unwrap();
    assert_eq!(done.status, IncidentStatus::Closed);
    assert!(done.closed_at.is_some());
    let closed = e.update_incident(&env.admin, &made.id, done.version, complete(facts(detected))).await.unwrap_err();
    assert_eq!(closed.code(), "incident.not_open");
}

#[tokio::test]
async fn the_affected_set_is_what_the_compromised_token_reached_in_the_window() {
    let env = env().await;
    let e = &env.engine;
    let reached = e.create_subject(&env.admin, customer()).await.unwrap();
    let mut other = customer();
    other.values.retain(|v| v.category != "contact.email");
    let untouched = e.create_subject(&env.admin, other).await.unwrap();
    let support = e.create_token(&env.admin, "support", "leaked").await.unwrap();
    let support = e.authenticate(support.secret.reveal_once()).await.unwrap();
    let start = e.clock.now();
    env.clock.advance(hours(1));
    e.read_subject(&support, &reached.id, "account").await.unwrap();
    env.clock.advance(hours(1));
    let made = e.record_incident(&env.admin, complete(facts(e.clock.now())), None, true).await.unwrap();
    let token = support.token_id.clone().unwrap();
    let (view, found) =
        e.assess_incident(&env.admin, &made.id, made.version, AffectedScope::Actor(token.clone()), start, e.clock.now()).await.unwrap();
    assert_eq!(found.subjects, 1);
    assert_eq!(view.facts.subjects_count, Some(1));
    assert_eq!(view.facts.subject_kinds, vec!["customer".to_owned()]);
    assert!(found.categories.contains(&"contact.phone".to_owned()), "{found:?}");
    assert!(!found.categories.iter().any(|c| c == "payment.card"), "support may not read cards: {found:?}");
    // Outside the window: nothing.
    let (view, none) =
        e.assess_incident(&env.admin, &made.id, view.version, AffectedScope::Actor(token), start - hours(10), start).await.unwrap();
    assert_eq!(none.subjects, 0);
    // Another leaked token looked both subjects up at once (they share the phone): the one
    // journal entry naming both counts for each.
    let finder = e.create_token(&env.admin, "support", "leaked too").await.unwrap();
    let finder = e.authenticate(finder.secret.reveal_once()).await.unwrap();
    let phone = [obereg_core::value::PlainValue::new("+79161234589")];
    let looked = e.find_subjects_many(&finder, "contact.phone", &phone, "account").await.unwrap();
    assert!(matches!(&looked[0], crate::vault::Found::Subjects(list) if list.len() == 2), "{looked:?}");
    let finder = AffectedScope::Actor(finder.token_id.clone().unwrap());
    let (view, both) = e.assess_incident(&env.admin, &made.id, view.version, finder, start, e.clock.now()).await.unwrap();
    assert_eq!(both.subjects, 2);
    // A system: the catalog keeps every purpose of these subjects in `msk-primary`.
    let (view, system) = e
        .assess_incident(&env.admin, &made.id, view.version, AffectedScope::System("msk-primary".into()), start, e.clock.now())
        .await
        .unwrap();
    assert_eq!(system.subjects, 2);
    let unknown = e.assess_incident(&env.admin, &made.id, view.version, AffectedScope::System("mars".into()), start, e.clock.now()).await;
    assert_eq!(unknown.unwrap_err().code(), "incident.unknown_system");
    // The whole database: both subjects.
    let (view, all) = e.assess_incident(&env.admin, &made.id, view.version, AffectedScope::Everything, start, e.clock.now()).await.unwrap();
    assert_eq!(all.subjects, 2);
    assert_eq!(view.affected_subjects, 2);
    // Notices to the subjects go to those with an address, sealed under their keys.
    let (_, queued) = e.notify_incident_subjects(&env.admin, &made.id, view.version).await.unwrap();
    assert_eq!(queued, 1, "only one of the two has an email address");
    let captured = Captured::default();
    e.deliver_outbox(&captured).await.unwrap();
    let sent = captured.0.lock().unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "ivan.petrov@example.ru");
    assert!(sent[0].body.contains("A CRM export") && sent[0].body.contains("Link removed"));
    let _ = untouched;
}

#[tokio::test]
async fn dismissal_needs_a_reason_and_only_oversight_roles_touch_incidents() {
    let env = env().await;
    let e = &env.engine;
    let detected = e.clock.now();
    let made = e.record_incident(&env.admin, facts(detected), None, false).await.unwrap();
    assert_eq!(e.dismiss_incident(&env.admin, &made.id, made.version, " ").await.unwrap_err().code(), "incident.reason_required");
    env.clock.advance(hours(30));
    let dismissed = e.dismiss_incident(&env.admin, &made.id, made.version, "A test file with made-up data").await.unwrap();
    assert_eq!(dismissed.status, IncidentStatus::Dismissed);
    assert!(matches!(dismissed.clocks[0].state, ClockState::Overdue { .. }), "the 24-hour notice was due before the dismissal");
    assert_eq!(dismissed.clocks[1].state, ClockState::NotOwed);
    assert_eq!(e.remind_incidents().await.unwrap(), 0, "a dismissed incident reminds nobody");
    // Bad input changes nothing.
    let mut future = facts(e.clock.now() + hours(2));
    future.description = "x".into();
    assert_eq!(e.record_incident(&env.admin, future, None, false).await.unwrap_err().code(), "incident.detected_in_future");
    let blank = facts(detected);
    let long = IncidentFacts { causes: "x".repeat(10_001), ..blank.clone() };
    assert_eq!(e.record_incident(&env.admin, long, None, false).await.unwrap_err().code(), "incident.field_too_long");
    assert_eq!(e.incidents(&env.admin).await.unwrap().len(), 1);
    // Support has no business with incidents.
    let support = e.create_token(&env.admin, "support", "s").await.unwrap();
    let support = e.authenticate(support.secret.reveal_once()).await.unwrap();
    assert!(matches!(e.incidents(&support).await, Err(EngineError::Forbidden)));
    assert!(matches!(e.record_incident(&support, blank, None, false).await, Err(EngineError::Forbidden)));
    assert!(matches!(e.incident(&env.admin, "I-NOPE").await, Err(EngineError::NotFound(_))));
}
