//! Retention sweeps with a clock the tests move (time travel): each trigger destroys on
//! its day and not before, withdrawals within the 30-day window, legal duties survive
//! restricted, dry runs change nothing, sweeps resume and repeat harmlessly, and every act
//! verifies against the journal.

use std::sync::Arc;

use obereg_core::catalog::{Channel as MarketingChannel, RetentionTrigger};
use obereg_core::clock::ManualClock;
use obereg_core::consent::{ConsentAction, ConsentMethod};
use obereg_core::value::PlainValue;
use obereg_store::SweepRecord;

use crate::consent::NewConsentEvent;
use crate::retention::{FindingAction, SweepReport};
use crate::vault::{NewSubjectInput, NewValue, SubjectStatus};
use crate::{Actor, Bootstrap, Engine, EngineError, Role, RootKey};

const EXAMPLE: &str = include_str!("../../../examples/voice-robot-calls.toml");

pub(crate) struct Env {
    pub(crate) engine: Engine,
    pub(crate) admin: Actor,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) _dir: tempfile::TempDir,
}

/// An engine over a fresh SQLite store with the voice-robot catalog, at 2026-01-10 12:00 Moscow time.
pub(crate) async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2026-01-10T09:00:00Z".parse().unwrap()));
    let store = obereg_store::open(&format!("sqlite:{}", dir.path().join("db.sqlite").display())).await.unwrap();
    let engine = Engine::new(store, clock.clone(), RootKey::generate().unwrap());
    let Bootstrap::Created(token) = engine.bootstrap("default", "Default", EXAMPLE, Role::Platform).await.unwrap() else { panic!() };
    let admin = engine.authenticate(token.secret.reveal_once()).await.unwrap();
    Env { engine, admin, clock, _dir: dir }
}

fn days(n: i64) -> jiff::SignedDuration {
    jiff::SignedDuration::from_hours(24 * n)
}

fn value(category: &str, v: &str, purposes: &[&str]) -> NewValue {
    NewValue {
        category: category.into(),
        value: PlainValue::new(v),
        purposes: purposes.iter().map(|p| p.to_string()).collect(),
        source: "test".into(),
    }
}

fn subject(kind: &str, values: Vec<NewValue>) -> NewSubjectInput {
    NewSubjectInput { kind: kind.into(), values, records: vec![] }
}

async fn sweep(env: &Env) -> SweepReport {
    env.engine.sweep_retention(&env.admin, false, &|_| {}).await.unwrap()
}

/// The subject's status; `None` once erased.
async fn status(env: &Env, id: &str) -> Option<SubjectStatus> {
    let (record, _) = env.engine.store.subject_head("default", id).await.unwrap()?;
    Some(SubjectStatus::parse(&record.status)).filter(|s| *s != SubjectStatus::Erased)
}

pub(crate) async fn consent(env: &Env, subject: &str, action: ConsentAction) {
    let doc = env.engine.consent_document(&env.admin, &["product_news".into()]).await.unwrap();
    let event = NewConsentEvent {
        purpose: "product_news".into(),
        channel: Some(MarketingChannel::Email),
        cookie: None,
        action,
        method: ConsentMethod::WebForm,
        document: (action == ConsentAction::Given).then(|| doc.sha256.clone()),
        valid_until: None,
        by_representative: false,
        evidence: None,
    };
    env.engine.record_consent(&env.admin, subject, event).await.unwrap();
}

#[tokio::test]
async fn a_purpose_achieved_destroys_on_the_day_its_term_ends_with_an_act_that_verifies() {
    let env = env().await;
    let e = &env.engine;
    let called = e
        .create_subject(&env.admin, subject("called_person", vec![value("contact.phone", "+79161234567", &["robot_calls"])]))
        .await
        .unwrap();
    // No event yet: robot_calls holds the number open-ended.
    env.clock.advance(days(400));
    assert_eq!(sweep(&env).await.subjects_erased, 0);
    e.record_retention_event(&env.admin, &called.id, "robot_calls", RetentionTrigger::PurposeAchieved, None).await.unwrap();
    // P6M from the event: 2027-02-14 09:00 → 2027-08-14 09:00, 181 days.
    env.clock.advance(days(181) - jiff::SignedDuration::from_secs(1));
    let early = sweep(&env).await;
    assert_eq!((early.subjects_erased, early.values_destroyed), (0, 0), "not a second before");
    assert_eq!(status(&env, &called.id).await, Some(SubjectStatus::Active));
    env.clock.advance(jiff::SignedDuration::from_secs(1));
    let due = sweep(&env).await;
    assert_eq!((due.subjects_erased, due.values_destroyed, due.acts.len()), (1, 1, 1));
    assert_eq!(due.findings[0].action, FindingAction::EraseSubject);
    assert_eq!(due.findings[0].reason, Some("purpose_achieved"));
    assert_eq!(status(&env, &called.id).await, None, "crypto-shredded");
    // Nothing is found by the number any more.
    let found = e.find_subjects(&env.admin, "contact.phone", &PlainValue::new("+79161234567"), "robot_calls").await.unwrap();
    assert!(found.is_empty());

    let act = e.act(&env.admin, &due.acts[0]).await.unwrap();
    assert_eq!(act.act.subjects.len(), 1);
    assert_eq!(act.act.subjects[0].id, called.id);
    assert_eq!(act.act.subjects[0].categories, vec!["contact.phone".to_owned()]);
    assert_eq!(act.act.reasons[0].norm, "152-ФЗ ст. 21 ч. 4");
    assert!(act.act.operator.name.contains("Голос"), "{}", act.act.operator.name);
    let html = act.to_html();
    assert!(html.contains("Акт об уничтожении персональных данных") && html.contains(&called.id));
    let verified = e.verify_act(&env.admin, &due.acts[0]).await.unwrap();
    assert!(verified.valid, "{:?}", verified.problems);
    assert!(verified.entries_checked >= 1);
    assert_eq!(e.list_acts(&env.admin, None, 10).await.unwrap().len(), 1);

    // A second sweep finds nothing to do: a destruction happens once.
    let again = sweep(&env).await;
    assert_eq!((again.subjects_erased, again.values_destroyed, again.acts.len()), (0, 0, 0));
}

#[tokio::test]
async fn a_withdrawal_destroys_the_marketing_data_and_leaves_what_the_account_holds() {
    let env = env().await;
    let e = &env.engine;
    // One customer gave the email for the newsletter only, another for the account too.
    let news_only =
        e.create_subject(&env.admin, subject("customer", vec![value("contact.email", "a@example.ru", &["product_news"])])).await.unwrap();
    let both = e
        .create_subject(
            &env.admin,
            subject(
                "customer",
                vec![
                    value("identity.name", "Анна Каренина", &["account"]),
                    value("contact.email", "b@example.ru", &["account", "product_news"]),
                ],
            ),
        )
        .await
        .unwrap();
    for s in [&news_only.id, &both.id] {
        consent(&env, s, ConsentAction::Given).await;
    }
    env.clock.advance(days(10));
    assert_eq!(sweep(&env).await.values_destroyed, 0, "consent in force holds the data");
    for s in [&news_only.id, &both.id] {
        consent(&env, s, ConsentAction::Withdrawn).await;
    }
    env.clock.advance(days(1));
    let report = sweep(&env).await;
    assert_eq!(report.subjects_erased, 1);
    assert_eq!(report.values_narrowed, 1);
    let erased = report.findings.iter().find(|f| f.subject == news_only.id).unwrap();
    assert_eq!(erased.reason, Some("consent_withdrawn"));
    assert!(!erased.overdue, "destroyed within the 30-day window");
    assert_eq!(status(&env, &news_only.id).await, None);
    // The email stays for the account, and no longer for the newsletter.
    let issued = e.create_token(&env.admin, "privacy_officer", "dpo").await.unwrap();
    let dpo = e.authenticate(issued.secret.reveal_once()).await.unwrap();
    let view = e.read_subject(&dpo, &both.id, "account").await.unwrap();
    let email = view.attributes.iter().find(|a| a.category == "contact.email").unwrap();
    assert_eq!(email.purposes, vec!["account".to_owned()]);
    assert_eq!(status(&env, &both.id).await, Some(SubjectStatus::Active));
}

#[tokio::test]
async fn a_legal_duty_keeps_its_data_restricted_until_the_legal_term_ends() {
    let env = env().await;
    let e = &env.engine;
    let s = e
        .create_subject(
            &env.admin,
            subject(
                "customer",
                vec![
                    value("identity.name", "Иван Бунин", &["account"]),
                    value("contact.email", "c@example.ru", &["account"]),
                    value("payment.receipt_email", "c@example.ru", &["payments"]),
                ],
            ),
        )
        .await
        .unwrap();
    e.record_retention_event(&env.admin, &s.id, "account", RetentionTrigger::AccountClosed, None).await.unwrap();
    // Account: P3Y from closing; payments: P5Y from collection (54-FZ).
    env.clock.advance(days(3 * 365 + 1));
    let report = sweep(&env).await;
    assert_eq!((report.values_destroyed, report.subjects_restricted, report.subjects_erased), (2, 1, 0));
    assert_eq!(status(&env, &s.id).await, Some(SubjectStatus::Restricted));
    let act = e.act(&env.admin, &report.acts[0]).await.unwrap();
    assert_eq!(
        act.names.get(&s.id).map(String::as_str),
        Some("иван бунин"),
        "the name (as the vault normalised it) read before destruction"
    );
    assert!(!act.act.subjects[0].erased);
    assert!(e.verify_act(&env.admin, &report.acts[0]).await.unwrap().valid);
    // Five years after collection the receipt goes too, and with it the subject.
    env.clock.advance(days(2 * 365));
    let last = sweep(&env).await;
    assert_eq!(last.subjects_erased, 1);
    assert_eq!(last.findings[0].reason, Some("retention_expired"));
    assert_eq!(status(&env, &s.id).await, None);
}

#[tokio::test]
async fn a_dry_run_shows_what_would_go_and_changes_nothing() {
    let env = env().await;
    let e = &env.engine;
    let s = e
        .create_subject(&env.admin, subject("called_person", vec![value("contact.phone", "+79161234500", &["robot_calls"])]))
        .await
        .unwrap();
    e.record_retention_event(&env.admin, &s.id, "robot_calls", RetentionTrigger::PurposeAchieved, None).await.unwrap();
    env.clock.advance(days(200));
    let before = e.store.journal_head("default").await.unwrap();
    let dry = e.sweep_retention(&env.admin, true, &|_| {}).await.unwrap();
    assert!(dry.dry_run && dry.id.is_none());
    assert_eq!(dry.subjects_erased, 1);
    assert_eq!(dry.findings.len(), 1);
    assert!(dry.findings[0].deadline.is_some());
    assert!(dry.acts.is_empty());
    assert_eq!(status(&env, &s.id).await, Some(SubjectStatus::Active));
    assert_eq!(e.store.journal_head("default").await.unwrap(), before, "nothing journaled");
    assert!(e.list_sweeps(&env.admin).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_interrupted_sweep_resumes_after_its_last_batch() {
    let env = env().await;
    let e = &env.engine;
    let mut ids = Vec::new();
    for i in 0..3 {
        let s = e
            .create_subject(
                &env.admin,
                subject("called_person", vec![value("contact.phone", &format!("+7916123450{i}"), &["robot_calls"])]),
            )
            .await
            .unwrap();
        e.record_retention_event(&env.admin, &s.id, "robot_calls", RetentionTrigger::PurposeAchieved, None).await.unwrap();
        ids.push(s.id);
    }
    env.clock.advance(days(200));
    // A sweep that committed the batch of the first subject and then stopped.
    let first_seq = e.store.subject_seq("default", &ids[0]).await.unwrap().unwrap();
    let started = env.clock_now();
    let unfinished = SweepRecord {
        tenant_id: "default".into(),
        id: "S-0000000000AB".into(),
        started_at: started,
        as_of: started,
        finished_at: None,
        cursor_seq: first_seq,
        subjects_seen: 1,
        values_destroyed: 0,
        values_narrowed: 0,
        subjects_erased: 0,
        subjects_restricted: 0,
        acts: 0,
    };
    e.store.insert_sweep(&unfinished).await.unwrap();
    let resumed = sweep(&env).await;
    assert!(resumed.resumed);
    assert_eq!(resumed.id.as_deref(), Some("S-0000000000AB"));
    assert_eq!(resumed.subjects_erased, 2, "the two subjects after the cursor");
    assert_eq!(status(&env, &ids[0]).await, Some(SubjectStatus::Active), "before the cursor: done by the interrupted run");
    let sweeps = e.list_sweeps(&env.admin).await.unwrap();
    assert_eq!(sweeps.len(), 1);
    assert!(sweeps[0].finished_at.is_some());
    assert_eq!(sweeps[0].subjects_seen, 3);
    // The next sweep is a new one and takes the rest.
    assert_eq!(sweep(&env).await.subjects_erased, 1);
}

#[tokio::test]
async fn a_forged_act_does_not_verify_and_bad_events_are_refused() {
    let env = env().await;
    let e = &env.engine;
    let s = e
        .create_subject(&env.admin, subject("called_person", vec![value("contact.phone", "+79161234511", &["robot_calls"])]))
        .await
        .unwrap();
    // An act claiming a destruction the journal never recorded.
    let catalog = e.catalog_in_force("default").await.unwrap();
    let subjects = vec![(
        0,
        crate::retention::ActSubject {
            id: s.id.clone(),
            erased: true,
            categories: vec!["contact.phone".into()],
            reason: obereg_core::retention::DestructionReason::RetentionExpired,
            since: env.clock_ts(),
        },
    )];
    let act = e.draft_act("default", &catalog, "A-0000000000FF", ("sweep", "S-0000000000FF"), subjects, "forger").await.unwrap();
    let entry = e.entry(&env.admin, "default", crate::journal::Record::op("retention.event").subject(&s.id));
    e.store.insert_act(&act, &[entry]).await.unwrap();
    let verified = e.verify_act(&env.admin, "A-0000000000FF").await.unwrap();
    assert!(!verified.valid);
    assert!(verified.problems.iter().any(|p| p.contains("no destruction entry")), "{:?}", verified.problems);
    assert!(matches!(e.act(&env.admin, "A-nonsense").await, Err(EngineError::NotFound(_))));

    // Events: unknown purpose, a trigger the purpose does not use, the future, unknown subject.
    let bad = [
        e.record_retention_event(&env.admin, &s.id, "no_such", RetentionTrigger::PurposeAchieved, None).await,
        e.record_retention_event(&env.admin, &s.id, "robot_calls", RetentionTrigger::ContractEnd, None).await,
        e.record_retention_event(&env.admin, &s.id, "site_analytics", RetentionTrigger::Collection, None).await,
        e.record_retention_event(&env.admin, &s.id, "robot_calls", RetentionTrigger::PurposeAchieved, Some(env.clock_ts() + days(1))).await,
    ];
    let codes: Vec<&str> = bad
        .iter()
        .map(|r| match r {
            Err(EngineError::Invalid { code, .. }) => *code,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(codes, ["retention.unknown_purpose", "retention.trigger_mismatch", "retention.not_an_event", "retention.event_in_future"]);
    let missing = e.record_retention_event(&env.admin, &"0".repeat(32), "robot_calls", RetentionTrigger::PurposeAchieved, None).await;
    assert!(matches!(missing, Err(EngineError::NotFound(_))));
    // None of them was recorded: the number is still held open-ended.
    env.clock.advance(days(3650));
    assert_eq!(sweep(&env).await.subjects_erased, 0);
}

impl Env {
    fn clock_ts(&self) -> jiff::Timestamp {
        obereg_core::clock::Clock::now(self.clock.as_ref())
    }

    fn clock_now(&self) -> i64 {
        self.clock_ts().as_microsecond()
    }
}

#[tokio::test]
async fn a_staff_erasure_writes_its_act_with_the_name_and_it_verifies() {
    let env = env().await;
    let e = &env.engine;
    let s = e
        .create_subject(
            &env.admin,
            subject(
                "customer",
                vec![value("identity.name", "Марина Цветаева", &["account"]), value("contact.email", "m@example.ru", &["account"])],
            ),
        )
        .await
        .unwrap();
    let erasure = e.erase_subject(&env.admin, &s.id).await.unwrap();
    let act = e.act(&env.admin, &erasure.act).await.unwrap();
    assert_eq!(act.act.origin, "staff");
    assert_eq!(act.act.reasons[0].code, "operator_decision");
    assert!(act.act.subjects[0].erased);
    assert_eq!(act.act.subjects[0].categories, vec!["contact.email".to_owned(), "identity.name".to_owned()]);
    assert_eq!(act.names.get(&s.id).map(String::as_str), Some("марина цветаева"));
    assert!(act.journal_first <= erasure.journal_index && erasure.journal_index < act.journal_end);
    assert!(e.verify_act(&env.admin, &erasure.act).await.unwrap().valid);
    // The list shows acts without names.
    let listed = e.list_acts(&env.admin, None, 10).await.unwrap();
    assert!(listed[0].names.is_empty());
    assert_eq!(status(&env, &s.id).await, None);
}

#[tokio::test]
async fn documents_are_generated_from_the_catalog_in_force_and_versioned_by_their_text() {
    use obereg_core::documents::DocumentKind;
    use obereg_core::text::Lang;
    let env = env().await;
    let e = &env.engine;
    let first = e.generate_document(&env.admin, DocumentKind::Policy, Lang::Ru).await.unwrap();
    assert!(first.markdown.starts_with("# Политика в отношении обработки персональных данных"));
    assert!(first.html.contains("<h1>"));
    assert_eq!(first.catalog_version, 1);
    let again = e.generate_document(&env.admin, DocumentKind::Policy, Lang::Ru).await.unwrap();
    assert_eq!((again.sha256.as_str(), again.generated_at), (first.sha256.as_str(), first.generated_at), "the same text is one version");
    // A new catalog that changes a retention term changes the policy: a second version.
    env.clock.advance(days(1));
    let changed = EXAMPLE.replace(
        r#"retention = { period = "P6M", trigger = "purpose_achieved" }"#,
        r#"retention = { period = "P3M", trigger = "purpose_achieved" }"#,
    );
    assert_ne!(changed, EXAMPLE);
    e.put_catalog(&env.admin, &changed).await.unwrap();
    let second = e.generate_document(&env.admin, DocumentKind::Policy, Lang::Ru).await.unwrap();
    assert_ne!(second.sha256, first.sha256);
    assert_eq!(second.catalog_version, 2);
    assert!(second.markdown.contains("не дольше 3 месяцев с достижения цели"));
    let changes = e.policy_changes(&env.admin, 1).await.unwrap();
    assert!(changes.is_empty(), "a shorter term is not material: {changes:?}");
    assert!(e.policy_changes(&env.admin, 2).await.unwrap().is_empty());
    assert!(matches!(e.policy_changes(&env.admin, 9).await, Err(EngineError::NotFound(_))));
    let versions = e.document_versions(&env.admin, DocumentKind::Policy, Lang::Ru).await.unwrap();
    assert_eq!(versions.iter().map(|v| v.sha256.as_str()).collect::<Vec<_>>(), [second.sha256.as_str(), first.sha256.as_str()]);
    // The public policy needs no token; the rest is for administrators.
    let public = e.public_policy("default", Lang::En).await.unwrap();
    assert!(public.markdown.starts_with("# Personal data processing policy") && public.warnings.is_empty());
    assert!(matches!(e.public_policy("nobody", Lang::Ru).await, Err(EngineError::NotFound(_))));
    assert!(matches!(e.public_policy("../etc", Lang::Ru).await, Err(EngineError::NotFound(_))));
    let issued = e.create_token(&env.admin, "support", "s").await.unwrap();
    let support = e.authenticate(issued.secret.reveal_once()).await.unwrap();
    assert!(matches!(e.generate_document(&support, DocumentKind::RknNotice, Lang::Ru).await, Err(EngineError::Forbidden)));
    match e.generate_document(&env.admin, DocumentKind::CrossBorderNotice, Lang::Ru).await {
        Err(EngineError::Invalid { code, .. }) => assert_eq!(code, "document.no_cross_border"),
        other => panic!("{other:?}"),
    }
    let notice = e.generate_document(&env.admin, DocumentKind::RknNotice, Lang::Ru).await.unwrap();
    assert!(notice.markdown.contains("Место нахождения баз данных"));
}

#[tokio::test]
async fn consents_given_under_a_document_the_catalog_no_longer_renders_are_listed_for_re_consent() {
    let env = env().await;
    let e = &env.engine;
    let keeps =
        e.create_subject(&env.admin, subject("customer", vec![value("contact.email", "k@example.ru", &["product_news"])])).await.unwrap();
    let leaves =
        e.create_subject(&env.admin, subject("customer", vec![value("contact.email", "l@example.ru", &["product_news"])])).await.unwrap();
    consent(&env, &keeps.id, ConsentAction::Given).await;
    consent(&env, &leaves.id, ConsentAction::Given).await;
    consent(&env, &leaves.id, ConsentAction::Withdrawn).await;
    assert!(e.reconsent_needed(&env.admin).await.unwrap().is_empty(), "the document in force is unchanged");
    let old = e.consent_document(&env.admin, &["product_news".into()]).await.unwrap().sha256;
    // The newsletter is renamed (a minute later): its consent document says something else now.
    env.clock.advance(jiff::SignedDuration::from_mins(1));
    let changed = EXAMPLE.replace("Рассылка новостей и предложений о продуктах", "Рассылка новостей, предложений и опросов");
    assert_ne!(changed, EXAMPLE);
    e.put_catalog(&env.admin, &changed).await.unwrap();
    let list = e.reconsent_needed(&env.admin).await.unwrap();
    assert_eq!(list.len(), 1, "only the consent still in force: {list:?}");
    assert_eq!(
        (list[0].subject.as_str(), list[0].purpose.as_str(), list[0].document.as_str()),
        (keeps.id.as_str(), "product_news", old.as_str())
    );
    let new = e.consent_document(&env.admin, &["product_news".into()]).await.unwrap().sha256;
    assert_eq!(list[0].current.as_deref(), Some(new.as_str()));
    // Both versions stay listed, newest first; only the new one is what the catalog renders.
    let documents = e.consent_documents(&env.admin).await.unwrap();
    let listed: Vec<(&str, bool)> = documents.iter().map(|(d, _, current)| (d.sha256.as_str(), *current)).collect();
    assert_eq!(listed, vec![(new.as_str(), true), (old.as_str(), false)]);
    assert!(documents[1].0.ru.contains("Рассылка новостей и предложений о продуктах"), "the old text is kept as it was");
    // Consent given again under the new document clears the entry.
    consent(&env, &keeps.id, ConsentAction::Given).await;
    assert!(e.reconsent_needed(&env.admin).await.unwrap().is_empty());
}
