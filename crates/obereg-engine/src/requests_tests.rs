//! Data-subject requests end to end over a real SQLite store, with a clock the tests move
//! and a transport that records what would be sent: submission, code verification,
//! execution of each right, deadlines, refusals, concurrent staff, and outbox delivery
//! across a crash. The HTTP flows and PostgreSQL runs are in obereg-server's tests.

use std::sync::{Arc, Mutex};

use obereg_core::catalog::Channel as MarketingChannel;
use obereg_core::clock::ManualClock;
use obereg_core::consent::{ConsentAction, ConsentMethod};
use obereg_core::request::RequestState;
use obereg_core::request::deadline::RequestKind;
use obereg_core::value::PlainValue;

use crate::consent::NewConsentEvent;
use crate::outbox::{Channel, Message, SendError, Transport};
use crate::requests::{Completion, Language, ManualIdentity, NewRequest, RefusalGround, RequestChannel, RequestQuery, SubjectSubmission};
use crate::vault::{NewSubjectInput, NewValue, SubjectStatus};
use crate::vault_tests::customer;
use crate::{Actor, Bootstrap, Engine, EngineError, Role, RootKey};

const EXAMPLE: &str = include_str!("../../../examples/voice-robot-calls.toml");
const EMAIL: &str = "ivan.petrov@example.ru";

struct Env {
    engine: Engine,
    admin: Actor,
    dpo: Actor,
    clock: Arc<ManualClock>,
    dir: tempfile::TempDir,
    root_hex: String,
}

async fn open(dir: &std::path::Path, root_hex: &str, clock: Arc<ManualClock>) -> Engine {
    let store = obereg_store::open(&format!("sqlite:{}", dir.join("db.sqlite").display())).await.unwrap();
    Engine::new(store, clock, RootKey::from_hex(root_hex).unwrap())
}

async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let root_hex = hex::encode([7u8; 32]);
    // A Friday: the 10 working days run over a weekend and into December.
    let clock = Arc::new(ManualClock::new("2026-11-20T09:00:00Z".parse().unwrap()));
    let engine = open(dir.path(), &root_hex, clock.clone()).await;
    let Bootstrap::Created(token) = engine.bootstrap("default", "Default", EXAMPLE, Role::Platform).await.unwrap() else { panic!() };
    let admin = engine.authenticate(token.secret.reveal_once()).await.unwrap();
    let issued = engine.create_token(&admin, "privacy_officer", "dpo").await.unwrap();
    let dpo = engine.authenticate(issued.secret.reveal_once()).await.unwrap();
    Env { engine, admin, dpo, clock, dir, root_hex }
}

/// Records every message instead of sending it; can be told to fail.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    /// Channel, delivery id and the message.
    pub(crate) sent: Mutex<Vec<(Channel, String, Message)>>,
    fail: Mutex<Option<SendError>>,
}

impl Transport for Recorder {
    fn channels(&self) -> &[Channel] {
        &[Channel::Email, Channel::Sms]
    }

    fn send<'a>(
        &'a self,
        channel: Channel,
        delivery_id: &'a str,
        message: &'a Message,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), SendError>> + Send + 'a>> {
        Box::pin(async move {
            if let Some(e) = self.fail.lock().unwrap().clone() {
                return Err(e);
            }
            self.sent.lock().unwrap().push((channel, delivery_id.to_owned(), message.clone()));
            Ok(())
        })
    }
}

impl Recorder {
    fn bodies_to(&self, to: &str) -> Vec<String> {
        self.sent.lock().unwrap().iter().filter(|m| m.2.to == to).map(|m| m.2.body.clone()).collect()
    }

    /// The six-digit code in the last message to `to`.
    fn last_code(&self, to: &str) -> String {
        let body = self.bodies_to(to).into_iter().rev().find(|b| b.contains("Код подтверждения") || b.contains("code")).unwrap();
        // The last six-digit run: the request id before it may hold one too.
        body.rsplit(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).unwrap().to_owned()
    }
}

fn submission(kind: RequestKind, email: Option<&str>, phone: Option<&str>) -> SubjectSubmission {
    SubjectSubmission {
        kind,
        email: email.map(PlainValue::new),
        phone: phone.map(PlainValue::new),
        details: Some(PlainValue::new("Прошу предоставить сведения")),
        language: Language::Ru,
        jurisdiction: None,
    }
}

fn staff_request(kind: RequestKind, subject: &str) -> NewRequest {
    NewRequest {
        kind,
        channel: RequestChannel::Email,
        jurisdiction: None,
        email: Some(PlainValue::new(EMAIL)),
        phone: None,
        details: None,
        language: Language::Ru,
        received_at: None,
        identity: Some(ManualIdentity {
            subject_id: Some(subject.to_owned()), note: PlainValue::new("паспорт проверен в офисе")
        }),
    }
}

fn code(e: EngineError) -> &'static str {
    match e {
        EngineError::Invalid { code, .. } | EngineError::Refused { code, .. } => code,
        other => other.code(),
    }
}

#[tokio::test]
async fn a_subject_submits_confirms_the_code_and_downloads_the_access_answer() {
    let env = env().await;
    let e = &env.engine;
    let subject = e.create_subject(&env.admin, customer()).await.unwrap();
    let outbox = Recorder::default();

    let submitted = e.submit_request("default", submission(RequestKind::Access, Some("Ivan.Petrov@example.RU"), None)).await.unwrap();
    let r = &submitted.request;
    assert_eq!((r.state, r.subject_id.as_deref(), r.channel), (RequestState::IdentityCheck, None, RequestChannel::Api));
    assert!(r.id.starts_with("R-") && r.id.len() == 14);
    // Received on Friday 20 November 2026: the 10th working day after is Friday 4 December.
    assert_eq!(r.due_on.to_string(), "2026-12-04");
    assert!(!r.due_provisional);

    let report = e.deliver_outbox(&outbox).await.unwrap();
    assert_eq!(report.sent, 2, "the code and the acknowledgement");
    let bodies = outbox.bodies_to(EMAIL);
    assert!(bodies.iter().any(|b| b.contains("2026-12-04")), "{bodies:?}");
    let good = outbox.last_code(EMAIL);
    let wrong = if good == "000000" { "111111" } else { "000000" };
    let key = submitted.follow_key.as_str();
    assert_eq!(code(e.verify_request_code("default", &r.id, key, wrong).await.unwrap_err()), "request.code_wrong");
    assert_eq!(code(e.verify_request_code("default", &r.id, "obr_forged", &good).await.unwrap_err()), "not_found");
    assert_eq!(code(e.followed_export("default", &r.id, key).await.unwrap_err()), "request.export_not_ready");

    let verified = e.verify_request_code("default", &r.id, key, &good).await.unwrap();
    assert_eq!((verified.state, verified.subject_id.as_deref()), (RequestState::InProgress, Some(subject.id.as_str())));
    assert_eq!(verified.verified_by.as_deref(), Some("code"));
    assert_eq!(code(e.verify_request_code("default", &r.id, key, &good).await.unwrap_err()), "request.not_awaiting_code");

    let queue = e.list_requests(&env.dpo, RequestQuery::default()).await.unwrap();
    assert_eq!(queue.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(), [r.id.as_str()]);
    let support = {
        let issued = e.create_token(&env.admin, "support", "s").await.unwrap();
        e.authenticate(issued.secret.reveal_once()).await.unwrap()
    };
    assert!(matches!(e.list_requests(&support, RequestQuery::default()).await, Err(EngineError::Forbidden)));

    let done = e.complete_request(&env.dpo, &r.id, Completion::default()).await.unwrap();
    assert_eq!(done.state, RequestState::Completed);
    let export = e.followed_export("default", &r.id, key).await.unwrap();
    assert_eq!(export.subject.as_ref().unwrap().id, subject.id);
    let values: Vec<(&str, &str)> = export.values.iter().map(|v| (v.category.as_str(), v.value.as_str())).collect();
    assert!(values.contains(&("contact.email", EMAIL)) && values.contains(&("identity.name", "пётр ильич чайковский")), "{values:?}");
    let purposes: Vec<&str> = export.purposes.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(purposes, ["account", "payments", "product_news"]);
    assert!(export.recipients.iter().any(|r| r.id == "fns" && !r.cross_border));
    assert!(export.purposes.iter().find(|p| p.id == "payments").unwrap().retention.as_ref().unwrap().ru.contains("54-ФЗ"));
    let html = export.to_html();
    assert!(html.contains("пётр ильич чайковский") && html.contains("Ваши права"));
    let json = serde_json::to_value(&export).unwrap();
    assert_eq!(json["format"], "obereg-subject-export/1");

    // Every step is journaled, naming the request, never the person's data.
    let entries = e.journal_entries(&env.admin, 0, 10_000).await.unwrap();
    let about: Vec<String> = entries.iter().map(|x| x.body.clone()).filter(|b| b.contains(&r.id)).collect();
    for op in ["request.received", "request.start_identity_check", "request.identity_verified", "request.complete", "\"transfer\""] {
        assert!(about.iter().any(|b| b.contains(op)), "{op} missing in {about:#?}");
    }
    assert!(entries.iter().all(|x| !x.body.contains(EMAIL) && !x.body.contains("чайковский")));
    e.deliver_outbox(&outbox).await.unwrap();
    assert!(outbox.bodies_to(EMAIL).last().unwrap().contains("исполнен"));
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_answer_and_then_a_no_data_reply() {
    let env = env().await;
    let e = &env.engine;
    e.create_subject(&env.admin, customer()).await.unwrap();
    let outbox = Recorder::default();
    let known = e.submit_request("default", submission(RequestKind::Access, Some(EMAIL), None)).await.unwrap();
    let unknown = e.submit_request("default", submission(RequestKind::Access, Some("nobody@example.org"), None)).await.unwrap();
    let shape = |r: &crate::requests::RequestView| (r.state, r.subject_id.clone(), r.due_on, r.verified_by.clone());
    assert_eq!(shape(&known.request), shape(&unknown.request), "a submission reveals nothing about the address");
    e.deliver_outbox(&outbox).await.unwrap();
    let code = outbox.last_code("nobody@example.org");
    let r = e.verify_request_code("default", &unknown.request.id, &unknown.follow_key, &code).await.unwrap();
    assert_eq!(r.subject_id, None);
    e.complete_request(&env.dpo, &r.id, Completion::default()).await.unwrap();
    let export = e.followed_export("default", &r.id, &unknown.follow_key).await.unwrap();
    assert!(export.subject.is_none() && export.values.is_empty());
    e.deliver_outbox(&outbox).await.unwrap();
    assert!(outbox.bodies_to("nobody@example.org").last().unwrap().contains("не обрабатываем"));
}

#[tokio::test]
async fn codes_expire_run_out_and_addresses_are_rate_limited() {
    let env = env().await;
    let e = &env.engine;
    let outbox = Recorder::default();
    let s = e.submit_request("default", submission(RequestKind::Erasure, None, Some("+7 916 000-00-01"))).await.unwrap();
    e.deliver_outbox(&outbox).await.unwrap();
    assert!(outbox.sent.lock().unwrap().iter().all(|m| m.0 == Channel::Sms && m.2.to == "+79160000001"));
    let first = outbox.last_code("+79160000001");
    for _ in 0..5 {
        let wrong = if first == "123456" { "654321" } else { "123456" };
        assert_eq!(code(e.verify_request_code("default", &s.request.id, &s.follow_key, wrong).await.unwrap_err()), "request.code_wrong");
    }
    assert_eq!(code(e.verify_request_code("default", &s.request.id, &s.follow_key, &first).await.unwrap_err()), "request.code_expired");
    e.resend_request_code("default", &s.request.id, &s.follow_key).await.unwrap();
    e.deliver_outbox(&outbox).await.unwrap();
    let second = outbox.last_code("+79160000001");
    env.clock.advance(jiff::SignedDuration::from_mins(16));
    assert_eq!(code(e.verify_request_code("default", &s.request.id, &s.follow_key, &second).await.unwrap_err()), "request.code_expired");
    e.resend_request_code("default", &s.request.id, &s.follow_key).await.unwrap();
    assert!(matches!(e.resend_request_code("default", &s.request.id, &s.follow_key).await, Err(EngineError::RateLimited(_))));

    for _ in 0..4 {
        e.submit_request("default", submission(RequestKind::Access, None, Some("+79160000001"))).await.unwrap();
    }
    let sixth = e.submit_request("default", submission(RequestKind::Access, None, Some("8 916 000 00 01"))).await;
    assert!(matches!(sixth, Err(EngineError::RateLimited(_))), "five a day per address, however it is written");
    for (email, phone, expected) in [(None, None, "request.contact_required"), (Some("not an email"), None, "value.invalid_email")] {
        let err = e.submit_request("default", submission(RequestKind::Access, email, phone)).await.unwrap_err();
        assert_eq!(code(err), expected);
    }
}

#[tokio::test]
async fn erasure_shreds_a_subject_or_keeps_only_what_a_law_requires_blocked() {
    let env = env().await;
    let e = &env.engine;
    // The customer has a card kept for `payments` (basis: a federal law, 5 years).
    let with_duty = e.create_subject(&env.admin, customer()).await.unwrap();
    let r = e.open_request(&env.dpo, staff_request(RequestKind::Erasure, &with_duty.id)).await.unwrap();
    assert_eq!((r.state, r.verified_by.as_deref()), (RequestState::InProgress, Some("manual")));
    e.complete_request(&env.dpo, &r.id, Completion::default()).await.unwrap();
    let left = e.read_subject(&env.dpo, &with_duty.id, "payments").await.unwrap();
    assert_eq!(left.subject.status, SubjectStatus::Restricted);
    assert_eq!(left.attributes.iter().map(|a| a.category.as_str()).collect::<Vec<_>>(), ["payment.card"]);
    assert!(e.read_subject(&env.dpo, &with_duty.id, "account").await.unwrap().attributes.is_empty(), "the rest is gone");
    let detail = e.request_detail(&env.dpo, &r.id).await.unwrap();
    let answer = detail.answer.unwrap();
    assert!(answer.expose().contains("54-ФЗ") && answer.expose().contains("payment.card"), "{}", answer.expose());

    let plain = NewSubjectInput {
        kind: "customer".into(),
        values: vec![NewValue {
            category: "contact.email".into(),
            value: PlainValue::new("erase.me@example.ru"),
            purposes: vec!["account".into()],
            source: "api".into(),
        }],
        records: vec![],
    };
    let other = e.create_subject(&env.admin, plain).await.unwrap();
    let r = e.open_request(&env.dpo, staff_request(RequestKind::Erasure, &other.id)).await.unwrap();
    e.complete_request(&env.dpo, &r.id, Completion::default()).await.unwrap();
    assert!(matches!(e.read_subject(&env.dpo, &other.id, "account").await, Err(EngineError::NotFound(_))), "crypto-shredded");
}

#[tokio::test]
async fn rectification_restriction_objection_and_withdrawal_take_effect_at_once() {
    let env = env().await;
    let e = &env.engine;
    let s = e.create_subject(&env.admin, customer()).await.unwrap();
    let doc = e.consent_document(&env.admin, &["product_news".into()]).await.unwrap();
    let give = NewConsentEvent {
        purpose: "product_news".into(),
        channel: Some(MarketingChannel::Email),
        cookie: None,
        action: ConsentAction::Given,
        method: ConsentMethod::WebForm,
        document: Some(doc.sha256.clone()),
        valid_until: None,
        by_representative: false,
        evidence: None,
    };
    e.record_consent(&env.admin, &s.id, give.clone()).await.unwrap();
    let marketing = {
        let issued = e.create_token(&env.admin, "marketing", "m").await.unwrap();
        e.authenticate(issued.secret.reveal_once()).await.unwrap()
    };
    let may_mail =
        || async { e.decide(&marketing, &s.id, "product_news", Some(MarketingChannel::Email), &["contact.email"]).await.unwrap() };
    assert!(may_mail().await.allowed);

    // Withdrawal through a request: the next decision denies.
    let r = e.open_request(&env.dpo, staff_request(RequestKind::ConsentWithdrawal, &s.id)).await.unwrap();
    e.complete_request(&env.dpo, &r.id, Completion::default()).await.unwrap();
    let denied = may_mail().await;
    assert!(!denied.allowed && denied.reasons[0].0 == "decision.consent_withdrawn", "{:?}", denied.reasons);
    let history = e.consents(&env.admin, &s.id).await.unwrap();
    assert_eq!(history.events.last().unwrap().event.method, ConsentMethod::SubjectRequest);

    // Objection: consent given again, but the objection stops marketing.
    e.record_consent(&env.admin, &s.id, give).await.unwrap();
    assert!(may_mail().await.allowed);
    let r = e.open_request(&env.dpo, staff_request(RequestKind::Objection, &s.id)).await.unwrap();
    let bad = Completion { purposes: vec!["account".into()], ..Default::default() };
    assert_eq!(code(e.complete_request(&env.dpo, &r.id, bad).await.unwrap_err()), "request.not_objectable");
    e.complete_request(&env.dpo, &r.id, Completion::default()).await.unwrap();
    let objected = may_mail().await;
    assert!(!objected.allowed && objected.reasons.iter().any(|r| r.0 == "decision.objected"), "{:?}", objected.reasons);
    let other_process = open(env.dir.path(), &env.root_hex, env.clock.clone()).await;
    let seen = other_process.decide(&marketing, &s.id, "product_news", Some(MarketingChannel::Email), &["contact.email"]).await.unwrap();
    assert!(!seen.allowed, "another process sees the objection");

    // Rectification: the old value is superseded.
    let view = e.read_subject(&env.dpo, &s.id, "account").await.unwrap();
    let phone = view.attributes.iter().find(|a| a.category == "contact.phone").unwrap().id.clone();
    let r = e.open_request(&env.dpo, staff_request(RequestKind::Rectification, &s.id)).await.unwrap();
    let empty = e.complete_request(&env.dpo, &r.id, Completion::default()).await.unwrap_err();
    assert_eq!(code(empty), "request.corrections_required");
    let fix = Completion { corrections: vec![(phone.clone(), PlainValue::new("8 (916) 765-43-21"))], ..Default::default() };
    e.complete_request(&env.dpo, &r.id, fix).await.unwrap();
    let view = e.read_subject(&env.dpo, &s.id, "account").await.unwrap();
    assert_eq!(view.attributes.iter().find(|a| a.id == phone).unwrap().value.expose(), "+79167654321");

    // Restriction: the subject is blocked.
    let r = e.open_request(&env.dpo, staff_request(RequestKind::Restriction, &s.id)).await.unwrap();
    e.complete_request(&env.dpo, &r.id, Completion::default()).await.unwrap();
    assert_eq!(e.read_subject(&env.dpo, &s.id, "account").await.unwrap().subject.status, SubjectStatus::Restricted);
    // A completed request takes no further step.
    let again = e.complete_request(&env.dpo, &r.id, Completion::default()).await.unwrap_err();
    assert_eq!(code(again), "request.not_in_progress");
}

#[tokio::test]
async fn one_extension_with_a_reason_and_refusals_that_cite_the_norm() {
    let env = env().await;
    let e = &env.engine;
    let outbox = Recorder::default();
    let s = e.create_subject(&env.admin, customer()).await.unwrap();
    let first = e.open_request(&env.dpo, staff_request(RequestKind::Access, &s.id)).await.unwrap();
    let reason = PlainValue::new("нужно поднять архив звонков");
    let extended = e.extend_request(&env.dpo, &first.id, &reason).await.unwrap();
    assert_eq!((extended.state, extended.extended, extended.due_on.to_string().as_str()), (RequestState::Extended, true, "2026-12-11"));
    assert_eq!(code(e.extend_request(&env.dpo, &first.id, &reason).await.unwrap_err()), "request.transition_not_allowed");
    assert_eq!(code(e.extend_request(&env.dpo, &first.id, &PlainValue::new(" ")).await.unwrap_err()), "request.transition_not_allowed");
    e.complete_request(&env.dpo, &first.id, Completion::default()).await.unwrap();

    let fix = e.open_request(&env.dpo, staff_request(RequestKind::Rectification, &s.id)).await.unwrap();
    assert_eq!(code(e.extend_request(&env.dpo, &fix.id, &reason).await.unwrap_err()), "request.no_extension");

    // A second access request 10 days later: refused as repeated, citing the first answer.
    env.clock.advance(jiff::SignedDuration::from_hours(24 * 10));
    let second = e.open_request(&env.dpo, staff_request(RequestKind::Access, &s.id)).await.unwrap();
    let refused = e.refuse_request(&env.dpo, &second.id, RefusalGround::Repeated).await.unwrap();
    assert_eq!(refused.state, RequestState::Refused);
    let detail = e.request_detail(&env.dpo, &second.id).await.unwrap();
    let note = detail.events.last().unwrap().note.clone().unwrap();
    assert!(note.contains(&first.id) && note.contains("ч. 4–5 ст. 14"), "{note}");
    // Not repeated: no earlier answer for a rectification.
    assert_eq!(code(e.refuse_request(&env.dpo, &fix.id, RefusalGround::Repeated).await.unwrap_err()), "request.not_repeated");
    let blank = RefusalGround::Other { reason: PlainValue::new("злоупотребление"), norm: " ".into() };
    assert_eq!(code(e.refuse_request(&env.dpo, &fix.id, blank).await.unwrap_err()), "request.norm_required");
    e.deliver_outbox(&outbox).await.unwrap();
    let bodies = outbox.bodies_to(EMAIL);
    assert!(bodies.iter().any(|b| b.contains("продлён до 2026-12-11") && b.contains("архив звонков")), "{bodies:#?}");
    assert!(bodies.iter().any(|b| b.contains("отказано") && b.contains(&first.id)), "{bodies:#?}");
}

#[tokio::test]
async fn a_contact_matching_two_subjects_is_never_merged() {
    let env = env().await;
    let e = &env.engine;
    let outbox = Recorder::default();
    let one = |category: &str, value: &str| NewSubjectInput {
        kind: "customer".into(),
        values: vec![NewValue {
            category: category.into(),
            value: PlainValue::new(value),
            purposes: vec!["account".into()],
            source: "api".into(),
        }],
        records: vec![],
    };
    let a = e.create_subject(&env.admin, one("contact.email", "twin@example.ru")).await.unwrap();
    e.create_subject(&env.admin, one("contact.phone", "+79160000002")).await.unwrap();
    let s = e.submit_request("default", submission(RequestKind::Erasure, Some("twin@example.ru"), Some("+79160000002"))).await.unwrap();
    e.deliver_outbox(&outbox).await.unwrap();
    let code_sent = outbox.last_code("twin@example.ru");
    let r = e.verify_request_code("default", &s.request.id, &s.follow_key, &code_sent).await.unwrap();
    assert_eq!(r.subject_id, None);
    assert_eq!(e.request_detail(&env.dpo, &r.id).await.unwrap().candidates.len(), 2);
    assert_eq!(code(e.complete_request(&env.dpo, &r.id, Completion::default()).await.unwrap_err()), "request.subject_ambiguous");
    // Staff, having checked, name the subject (recorded as a manual step is not allowed
    // once identity is verified: the state machine refuses a second verification).
    let again = ManualIdentity { subject_id: Some(a.id.clone()), note: PlainValue::new("сверено по договору") };
    assert_eq!(code(e.verify_identity(&env.dpo, &r.id, again).await.unwrap_err()), "request.transition_not_allowed");
}

#[tokio::test]
async fn two_staff_completing_at_once_complete_once_and_notify_once() {
    let env = env().await;
    let e = &env.engine;
    let s = e.create_subject(&env.admin, customer()).await.unwrap();
    let r = e.open_request(&env.dpo, staff_request(RequestKind::Complaint, &s.id)).await.unwrap();
    let answer = |t: &str| Completion { answer: Some(PlainValue::new(t)), ..Default::default() };
    let (x, y) =
        tokio::join!(e.complete_request(&env.dpo, &r.id, answer("ответ A")), e.complete_request(&env.admin, &r.id, answer("ответ B")));
    assert_eq!([&x, &y].iter().filter(|o| o.is_ok()).count(), 1, "{x:?} {y:?}");
    let loser = if x.is_err() { x } else { y }.unwrap_err();
    assert!(matches!(code(loser), "conflict" | "request.not_in_progress"));
    let detail = e.request_detail(&env.dpo, &r.id).await.unwrap();
    assert_eq!(detail.messages.iter().filter(|m| m.template == "request_completed").count(), 1);
    assert_eq!(detail.events.iter().filter(|ev| ev.event == "complete").count(), 1);
    assert_eq!(code(e.complete_request(&env.dpo, &r.id, Completion::default()).await.unwrap_err()), "request.not_in_progress");
}

#[tokio::test]
async fn overdue_requests_surface_first_and_paper_requests_send_nothing() {
    let env = env().await;
    let e = &env.engine;
    let s = e.create_subject(&env.admin, customer()).await.unwrap();
    let restriction = e.open_request(&env.dpo, staff_request(RequestKind::Restriction, &s.id)).await.unwrap();
    let access = e.open_request(&env.dpo, staff_request(RequestKind::Access, &s.id)).await.unwrap();
    assert_eq!(restriction.due_on.to_string(), "2026-11-25", "3 working days");
    let letter = NewRequest {
        kind: RequestKind::Complaint,
        channel: RequestChannel::Paper,
        jurisdiction: None,
        email: None,
        phone: None,
        details: Some(PlainValue::new("Письмо от 18.11.2026")),
        language: Language::Ru,
        received_at: Some("2026-11-18T12:00:00Z".parse().unwrap()),
        identity: None,
    };
    let paper = e.open_request(&env.dpo, letter).await.unwrap();
    assert_eq!(paper.due_on.to_string(), "2026-12-02", "counted from receipt, not entry");
    assert!(e.request_detail(&env.dpo, &paper.id).await.unwrap().messages.is_empty());

    env.clock.advance(jiff::SignedDuration::from_hours(24 * 6));
    let overdue = e.list_requests(&env.dpo, RequestQuery { overdue: true, ..Default::default() }).await.unwrap();
    assert_eq!(overdue.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [restriction.id.as_str()]);
    assert!(overdue[0].overdue);
    let queue = e.list_requests(&env.dpo, RequestQuery::default()).await.unwrap();
    assert_eq!(queue.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [restriction.id.as_str(), paper.id.as_str(), access.id.as_str()]);
    let future = NewRequest { received_at: Some("2027-01-01T00:00:00Z".parse().unwrap()), ..staff_request(RequestKind::Access, &s.id) };
    assert_eq!(code(e.open_request(&env.dpo, future).await.unwrap_err()), "request.received_in_future");
}

#[tokio::test]
async fn a_crash_before_delivery_loses_nothing_and_each_message_goes_once() {
    let env = env().await;
    let e = &env.engine;
    let s = e.create_subject(&env.admin, customer()).await.unwrap();
    for kind in [RequestKind::Access, RequestKind::Restriction, RequestKind::Objection] {
        e.open_request(&env.dpo, staff_request(kind, &s.id)).await.unwrap();
    }
    // The process "dies" here: the changes are committed, nothing was sent. A new process
    // over the same database delivers, while a second worker races it.
    drop(env.engine.clone());
    let restarted = open(env.dir.path(), &env.root_hex, env.clock.clone()).await;
    let racer = open(env.dir.path(), &env.root_hex, env.clock.clone()).await;
    let outbox = Recorder::default();
    let (a, b) = tokio::join!(restarted.deliver_outbox(&outbox), racer.deliver_outbox(&outbox));
    assert_eq!(a.unwrap().sent + b.unwrap().sent, 3);
    let ids: std::collections::BTreeSet<String> = outbox.sent.lock().unwrap().iter().map(|m| m.1.clone()).collect();
    assert_eq!(ids.len(), 3, "each delivery id once");
    assert_eq!(restarted.deliver_outbox(&outbox).await.unwrap().sent, 0);

    // A transient failure is retried after the backoff, a permanent one gives up.
    e.open_request(&env.dpo, staff_request(RequestKind::Access, &s.id)).await.unwrap();
    *outbox.fail.lock().unwrap() = Some(SendError { code: "smtp.unavailable", permanent: false });
    assert_eq!(e.deliver_outbox(&outbox).await.unwrap().retried, 1);
    *outbox.fail.lock().unwrap() = None;
    assert_eq!(e.deliver_outbox(&outbox).await.unwrap().sent, 0, "not before the backoff");
    env.clock.advance(jiff::SignedDuration::from_secs(31));
    assert_eq!(e.deliver_outbox(&outbox).await.unwrap().sent, 1);
    let r = e.open_request(&env.dpo, staff_request(RequestKind::Access, &s.id)).await.unwrap();
    *outbox.fail.lock().unwrap() = Some(SendError { code: "smtp.rejected", permanent: true });
    assert_eq!(e.deliver_outbox(&outbox).await.unwrap().dead, 1);
    let detail = e.request_detail(&env.dpo, &r.id).await.unwrap();
    assert_eq!((detail.messages[0].state.as_str(), detail.messages[0].last_error.as_deref()), ("dead", Some("smtp.rejected")));
    assert_eq!(e.outbox_pending().await.unwrap(), 0);
}

#[tokio::test]
async fn the_operators_calendar_moves_due_dates() {
    let env = env().await;
    let s = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let mut calendar = obereg_core::calendar::ProductionCalendar::russian();
    let shipped = include_str!("../../obereg-core/data/calendar-ru.toml");
    // The shipped 2026 decree plus a regional day off on Monday 23 November.
    let start = shipped.find("year = 2026").unwrap();
    let year_2026 = &shipped[start..];
    let overlay = format!("[[year]]\n{}", year_2026.replacen("\"2026-12-31\"", "\"2026-11-23\", \"2026-12-31\"", 1));
    calendar.load(&overlay).unwrap();
    let engine = env.engine.clone().with_calendar(calendar);
    let r = engine.open_request(&env.dpo, staff_request(RequestKind::Restriction, &s.id)).await.unwrap();
    assert_eq!(r.due_on.to_string(), "2026-11-26", "3 working days from Friday 20 November, Monday off");
}

/// A one-shot-per-connection HTTP server keeping each request's head and body, answering
/// `status`.
async fn http_receiver(status: u16) -> (u16, Arc<Mutex<Vec<(String, String)>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let keep = received.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut data = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                let n = socket.read(&mut buf).await.unwrap();
                data.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&data).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len: usize =
                        head.lines().find_map(|l| l.strip_prefix("Content-Length: ")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
                    if body.len() >= len {
                        keep.lock().unwrap().push((head.to_owned(), body.to_owned()));
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            let _ = socket.write_all(format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n").as_bytes()).await;
        }
    });
    (port, received)
}

fn header<'a>(head: &'a str, name: &str) -> &'a str {
    head.lines().find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(": "))).unwrap_or_default()
}

#[tokio::test]
async fn recipients_get_a_signed_notice_of_an_erasure_and_confirm_it() {
    let env = env().await;
    let e = &env.engine;
    let (port, received) = http_receiver(200).await;
    let catalog = EXAMPLE.replacen(
        "id = \"telecom-carrier\"\n",
        &format!("id = \"telecom-carrier\"\nnotify_url = \"http://127.0.0.1:{port}/obereg/notices\"\n"),
        1,
    );
    e.put_catalog(&env.admin, &catalog).await.unwrap();
    let called = NewSubjectInput {
        kind: "called_person".into(),
        values: vec![NewValue {
            category: "contact.phone".into(),
            value: PlainValue::new("+7 916 555-44-33"),
            purposes: vec!["robot_calls".into()],
            source: "robot".into(),
        }],
        records: vec![],
    };
    let s = e.create_subject(&env.admin, called).await.unwrap();
    let r = e.open_request(&env.dpo, staff_request(RequestKind::Erasure, &s.id)).await.unwrap();
    e.complete_request(&env.dpo, &r.id, Completion::default()).await.unwrap();

    let webhooks = crate::outbox::WebhookTransport::default();
    assert_eq!(e.deliver_outbox(&webhooks).await.unwrap().sent, 1, "one notice, to the carrier of robot_calls");
    let (head, body) = received.lock().unwrap()[0].clone();
    assert!(head.starts_with("POST /obereg/notices HTTP/1.1"), "{head}");
    let notice: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((notice["action"].as_str(), notice["subject"].as_str()), (Some("erasure"), Some(s.id.as_str())));
    assert_eq!(notice["identifiers"][0]["value"], "+79165554433");
    let delivery = header(&head, "Obereg-Delivery").to_owned();
    assert_eq!(notice["delivery_id"], delivery.as_str());

    // The recipient checks the signature with its secret, then confirms, signed the same way.
    let secret = hex::decode(e.recipient_notify_secret(&env.admin, "telecom-carrier").await.unwrap()).unwrap();
    let signature = header(&head, "Obereg-Signature");
    let (t, mac) = signature.split_once(",v1=").unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &secret);
    aws_lc_rs::hmac::verify(&key, format!("{t}.{body}").as_bytes(), &hex::decode(mac).unwrap()).expect("the notice verifies");
    assert!(matches!(e.recipient_notify_secret(&env.admin, "fns").await, Err(EngineError::NotFound(_))), "no notify_url, no secret");

    let now = obereg_core::clock::Clock::now(env.clock.as_ref()).as_second();
    let confirm = br#"{"done":true}"#;
    let sign = |t: i64| {
        format!("t={t},v1={}", hex::encode(aws_lc_rs::hmac::sign(&key, &[t.to_string().as_bytes(), b".", confirm].concat()).as_ref()))
    };
    let forged = format!("t={now},v1={}", "00".repeat(32));
    assert!(matches!(e.confirm_notice("default", &delivery, &forged, confirm).await, Err(EngineError::NotFound(_))));
    assert!(matches!(e.confirm_notice("default", &delivery, &sign(now - 3600), confirm).await, Err(EngineError::NotFound(_))), "stale");
    e.confirm_notice("default", &delivery, &sign(now), confirm).await.unwrap();
    e.confirm_notice("default", &delivery, &sign(now), confirm).await.unwrap();
    let detail = e.request_detail(&env.dpo, &r.id).await.unwrap();
    let notice = detail.messages.iter().find(|m| m.channel == "webhook").unwrap();
    assert_eq!((notice.recipient.as_deref(), notice.state.as_str()), (Some("telecom-carrier"), "sent"));
    assert!(notice.confirmed_at.is_some());
    let entries = e.journal_entries(&env.admin, 0, 10_000).await.unwrap();
    assert_eq!(entries.iter().filter(|x| x.body.contains("request.recipient_confirmed")).count(), 1, "confirmed once");
    assert!(entries.iter().all(|x| !x.body.contains("+79165554433")));
}

#[tokio::test]
async fn a_recipient_that_refuses_a_notice_leaves_it_dead_and_retries_on_server_errors() {
    let env = env().await;
    let e = &env.engine;
    let (refusing, _) = http_receiver(410).await;
    let (failing, _) = http_receiver(503).await;
    let catalog = EXAMPLE.replacen(
        "id = \"telecom-carrier\"\n",
        &format!("id = \"telecom-carrier\"\nnotify_url = \"http://127.0.0.1:{refusing}/n\"\n"),
        1,
    );
    e.put_catalog(&env.admin, &catalog).await.unwrap();
    let called = |phone: &str| NewSubjectInput {
        kind: "called_person".into(),
        values: vec![NewValue {
            category: "contact.phone".into(),
            value: PlainValue::new(phone),
            purposes: vec!["robot_calls".into()],
            source: "robot".into(),
        }],
        records: vec![],
    };
    let s = e.create_subject(&env.admin, called("+79160000011")).await.unwrap();
    let r = e.open_request(&env.dpo, staff_request(RequestKind::Restriction, &s.id)).await.unwrap();
    e.complete_request(&env.dpo, &r.id, Completion::default()).await.unwrap();
    let webhooks = crate::outbox::WebhookTransport::default();
    assert_eq!(e.deliver_outbox(&webhooks).await.unwrap().dead, 1);

    let catalog = EXAMPLE.replacen(
        "id = \"telecom-carrier\"\n",
        &format!("id = \"telecom-carrier\"\nnotify_url = \"http://127.0.0.1:{failing}/n\"\n"),
        1,
    );
    e.put_catalog(&env.admin, &catalog).await.unwrap();
    let s = e.create_subject(&env.admin, called("+79160000012")).await.unwrap();
    let r = e.open_request(&env.dpo, staff_request(RequestKind::Restriction, &s.id)).await.unwrap();
    e.complete_request(&env.dpo, &r.id, Completion::default()).await.unwrap();
    assert_eq!(e.deliver_outbox(&webhooks).await.unwrap().retried, 1);
}

#[tokio::test]
async fn staff_are_reminded_once_two_working_days_before_the_due_date() {
    let env = env().await;
    let e = &env.engine;
    let s = e.create_subject(&env.admin, customer()).await.unwrap();
    // Received Friday 20 November; 10 working days: due Friday 4 December.
    let r = e.open_request(&env.dpo, staff_request(RequestKind::Access, &s.id)).await.unwrap();
    assert_eq!(e.remind_due_requests().await.unwrap(), 0, "not yet");
    env.clock.advance(jiff::SignedDuration::from_hours(24 * 11)); // Tuesday 1 December: 3 working days left
    assert_eq!(e.remind_due_requests().await.unwrap(), 0);
    env.clock.advance(jiff::SignedDuration::from_hours(24)); // Wednesday 2 December: 2 left
    assert_eq!(e.remind_due_requests().await.unwrap(), 1);
    assert_eq!(e.remind_due_requests().await.unwrap(), 0, "once per request");
    let outbox = Recorder::default();
    e.deliver_outbox(&outbox).await.unwrap();
    let to_staff = outbox.bodies_to("dpo@voice-robot.example");
    assert_eq!(to_staff.len(), 1, "{:?}", outbox.sent.lock().unwrap().iter().map(|m| m.2.to.clone()).collect::<Vec<_>>());
    assert!(to_staff[0].contains(&r.id) && to_staff[0].contains("2026-12-04") && !to_staff[0].contains(EMAIL));
}

#[tokio::test]
async fn codes_by_sms_go_through_the_gateway_signed_with_its_secret() {
    let env = env().await;
    let (port, received) = http_receiver(200).await;
    let secret = "gateway-shared-secret-0123";
    let settings = crate::outbox::SmsSettings { url: format!("http://127.0.0.1:{port}/send"), secret: secret.to_owned().into() };
    let gateway = crate::outbox::SmsGateway::new(&settings).unwrap();
    let weak = crate::outbox::SmsSettings { url: settings.url.clone(), secret: "short".to_owned().into() };
    assert_eq!(crate::outbox::SmsGateway::new(&weak).unwrap_err().code(), "outbox.sms_settings");
    let plain_http = crate::outbox::SmsSettings { url: "http://sms.example/send".into(), secret: secret.to_owned().into() };
    assert!(crate::outbox::SmsGateway::new(&plain_http).is_err());

    env.engine.submit_request("default", submission(RequestKind::Access, None, Some("+7 916 000-00-01"))).await.unwrap();
    assert_eq!(env.engine.deliver_outbox(&gateway).await.unwrap().sent, 2);
    let all = received.lock().unwrap().clone();
    let (head, body) = all.iter().find(|(_, b)| b.contains("Код подтверждения")).unwrap();
    let sms: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(sms["to"], "+79160000001");
    assert_eq!(sms["delivery_id"], header(head, "Obereg-Delivery"));
    let (t, mac) = header(head, "Obereg-Signature").split_once(",v1=").unwrap();
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
    aws_lc_rs::hmac::verify(&key, format!("{}.{body}", t.strip_prefix("t=").unwrap()).as_bytes(), &hex::decode(mac).unwrap()).unwrap();
}

#[tokio::test]
async fn a_portability_answer_is_posted_to_the_other_operator_signed() {
    let env = env().await;
    let e = &env.engine;
    let (port, received) = http_receiver(202).await;
    let s = e.create_subject(&env.admin, customer()).await.unwrap();
    let r = e.open_request(&env.dpo, staff_request(RequestKind::Portability, &s.id)).await.unwrap();
    let bad = Completion { transfer_to: Some("ftp://other.example/in".into()), ..Default::default() };
    assert_eq!(code(e.complete_request(&env.dpo, &r.id, bad).await.unwrap_err()), "request.bad_transfer");
    let to = Completion { transfer_to: Some(format!("http://127.0.0.1:{port}/import")), ..Default::default() };
    e.complete_request(&env.dpo, &r.id, to).await.unwrap();
    assert_eq!(e.deliver_outbox(&crate::outbox::WebhookTransport::default()).await.unwrap().sent, 1);
    let (head, body) = received.lock().unwrap()[0].clone();
    let export: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(export["format"], "obereg-subject-export/1");
    assert!(export["values"].as_array().unwrap().iter().any(|v| v["value"] == EMAIL));
    // Anyone holding the tenant's published receipt key can check where it came from.
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD.decode(e.receipt_key(&env.admin).unwrap().public_key).unwrap();
    let signature =
        base64::engine::general_purpose::STANDARD.decode(header(&head, "Obereg-Signature").strip_prefix("ed25519=").unwrap()).unwrap();
    let signed = [b"obereg transfer v1\n".as_slice(), body.as_bytes()].concat();
    aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ED25519, &key)
        .verify(&signed, &signature)
        .expect("the transfer verifies");
    let detail = e.request_detail(&env.dpo, &r.id).await.unwrap();
    assert!(detail.messages.iter().any(|m| m.template == "portability_transfer" && m.state == "sent"));
}

#[tokio::test]
async fn public_submissions_are_capped_per_tenant_and_hour() {
    let env = env().await;
    let e = &env.engine;
    let cap = crate::requests::PUBLIC_SUBMISSIONS_PER_HOUR;
    for i in 0..cap {
        let email = format!("visitor{i}@example.org");
        e.submit_request("default", submission(RequestKind::Access, Some(&email), None)).await.unwrap();
    }
    let over = e.submit_request("default", submission(RequestKind::Access, Some("one.more@example.org"), None)).await;
    assert!(matches!(over, Err(EngineError::RateLimited(_))));
    // Staff intake is not capped, and an hour later the public side opens again.
    let s = e.create_subject(&env.admin, customer()).await.unwrap();
    e.open_request(&env.dpo, staff_request(RequestKind::Access, &s.id)).await.unwrap();
    env.clock.advance(jiff::SignedDuration::from_mins(61));
    e.submit_request("default", submission(RequestKind::Access, Some("one.more@example.org"), None)).await.unwrap();
}
