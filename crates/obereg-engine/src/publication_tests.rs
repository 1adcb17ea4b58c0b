//! Policy publications with a clock the tests move: effective dates and their rules, the
//! policy in force on each day, material changes recorded, notices queued only to active
//! subjects with an address who did not stop them, sealed so that erasure silences them,
//! carrying a one-click stop link, journaled without the address, and walks that race or
//! resume without queuing a notice twice.

use obereg_core::consent::ConsentAction;
use obereg_core::text::Lang;
use obereg_core::value::PlainValue;

use crate::EngineError;
use crate::documents::{PublicationStatus, PublishPolicy};
use crate::requests_tests::Recorder;
use crate::retention_tests::Env;
use crate::unsubscribe::{UnsubscribeScope, Unsubscribed};
use crate::vault::{NewSubjectInput, NewValue};

const EXAMPLE: &str = include_str!("../../../examples/voice-robot-calls.toml");

/// The retention tests' engine (2026-01-10, 12:00 in Moscow) writing links to a public address.
async fn env() -> Env {
    let env = crate::retention_tests::env().await;
    Env { engine: env.engine.clone().with_public_url("https://privacy.example.ru/").unwrap(), ..env }
}

fn date(text: &str) -> jiff::civil::Date {
    text.parse().unwrap()
}

fn publish(on: &str) -> PublishPolicy {
    PublishPolicy { effective_on: date(on), notify: true }
}

async fn customer(env: &Env, category: &str, value: &str) -> String {
    let input = NewSubjectInput {
        kind: "customer".into(),
        values: vec![NewValue {
            category: category.into(),
            value: PlainValue::new(value),
            // A phone goes with the account (the newsletter needs only the address).
            purposes: vec![if category == "contact.phone" { "account" } else { "product_news" }.into()],
            source: "test".into(),
        }],
        records: vec![],
    };
    env.engine.create_subject(&env.admin, input).await.unwrap().id
}

async fn give_newsletter_consent(env: &Env, subject: &str) {
    crate::retention_tests::consent(env, subject, ConsentAction::Given).await;
}

/// The catalog with the newsletter passing addresses to a new recipient (material) and
/// renamed (its consent document changes: consents under the old one need re-consent).
pub(crate) fn catalog_with_a_new_recipient() -> String {
    let changed = EXAMPLE
        .replace(
            "required_categories = [\"contact.email\"]\noperations = [\"collection\", \"recording\", \"storage\", \"use\", \"destruction\"]\nretention = { period = \"P0D\"",
            "required_categories = [\"contact.email\"]\nrecipients = [\"web-analytics\"]\noperations = [\"collection\", \"recording\", \"storage\", \"use\", \"destruction\"]\nretention = { period = \"P0D\"",
        )
        .replace("Рассылка новостей и предложений о продуктах", "Рассылка новостей, предложений и опросов");
    assert_ne!(changed, EXAMPLE);
    changed
}

fn invalid_code<T: std::fmt::Debug>(result: Result<T, EngineError>) -> &'static str {
    match result {
        Err(EngineError::Invalid { code, .. }) => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_publication_tells_active_subjects_of_material_changes_before_it_takes_effect() {
    let env = env().await;
    let e = &env.engine;
    let told = customer(&env, "contact.email", "anna@example.ru").await;
    give_newsletter_consent(&env, &told).await;
    let blocked = customer(&env, "contact.email", "boris@example.ru").await;
    e.restrict_subject(&env.admin, &blocked).await.unwrap();
    let _no_address = customer(&env, "contact.phone", "+79161234567").await;

    // The first publication has nothing to compare with: no changes, no notices, in force today.
    let first = e.publish_policy(&env.admin, publish("2026-01-10")).await.unwrap();
    assert!(first.id.starts_with("P-") && first.number == 1 && first.changes.is_empty() && !first.notify);
    assert_eq!(first.status, PublicationStatus::InForce);
    assert_eq!(first.url, format!("https://privacy.example.ru/p/default/policy/{}", first.id));
    let walked = e.walk_publication("default", &first.id, |_| {}).await.unwrap();
    assert_eq!((walked.queued, walked.skipped, walked.done), (0, 3, true));
    assert_eq!(e.public_policy("default", Lang::Ru).await.unwrap().publication.as_deref(), Some(first.id.as_str()));
    assert_eq!(invalid_code(e.publish_policy(&env.admin, publish("2026-01-20")).await), "policy.unchanged");

    e.put_catalog(&env.admin, &catalog_with_a_new_recipient()).await.unwrap();
    // Dates: not in the past, not more than a year ahead, and after today when subjects are told.
    for bad in ["2026-01-09", "2027-01-12", "2026-01-10"] {
        assert_eq!(invalid_code(e.publish_policy(&env.admin, publish(bad)).await), "policy.bad_effective_date", "{bad}");
    }
    let second = e.publish_policy(&env.admin, publish("2026-01-24")).await.unwrap();
    assert_eq!((second.number, second.status, second.notify), (2, PublicationStatus::Upcoming, true));
    let codes: Vec<&str> = second.changes.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["purpose.recipients_added"]);
    // A later publication cannot take effect before this one.
    let third_catalog = catalog_with_a_new_recipient()
        .replace("recipients = [\"web-analytics\"]\noperations", "recipients = [\"web-analytics\", \"telecom-carrier\"]\noperations");
    e.put_catalog(&env.admin, &third_catalog).await.unwrap();
    assert_eq!(invalid_code(e.publish_policy(&env.admin, publish("2026-01-20")).await), "policy.bad_effective_date");

    let walked = e.walk_publication("default", &second.id, |_| {}).await.unwrap();
    assert_eq!((walked.queued, walked.skipped, walked.done), (1, 2, true), "only the active subject with an address");
    let shown = e.publication(&env.admin, &second.id).await.unwrap();
    assert_eq!(shown.reconsent, 1, "the consent given under the old newsletter document");

    let mailbox = Recorder::default();
    assert_eq!(e.deliver_outbox(&mailbox).await.unwrap().sent, 1);
    let sent = mailbox.sent.lock().unwrap().iter().map(|m| m.2.clone()).collect::<Vec<_>>();
    let mail = &sent[0];
    assert_eq!(mail.to, "anna@example.ru");
    assert!(mail.subject.contains("2026-01-24"), "{}", mail.subject);
    for needle in [
        "вступает в силу 2026-01-24",
        "takes effect on 2026-01-24",
        "web-analytics",
        &second.url,
        "подтвердить его заново",
        "confirm it again",
        "Рассылка новостей, предложений и опросов",
    ] {
        assert!(mail.body.contains(needle), "`{needle}` missing from:\n{}", mail.body);
    }
    let stop = mail.unsubscribe.clone().expect("a List-Unsubscribe link");
    assert!(stop.starts_with("https://privacy.example.ru/u/") && mail.body.contains(&stop));

    // The journal records the use of the address by opaque id, never the address.
    let entries = e.journal_entries(&env.admin, 0, 1000).await.unwrap();
    let notice = entries.iter().find(|x| x.body.contains(&second.id) && x.body.contains(&told)).expect("a journal entry of the notice");
    assert!(notice.body.contains("\"use\"") && notice.body.contains("contact.email"), "{}", notice.body);
    assert!(entries.iter().all(|x| !x.body.contains("anna@example.ru")));

    // Until the effective date the first text is in force; from it, the second.
    assert_eq!(e.public_policy("default", Lang::En).await.unwrap().publication.as_deref(), Some(first.id.as_str()));
    let upcoming = e.published_policy("default", &second.id, Lang::Ru).await.unwrap();
    assert_eq!(upcoming.effective_on, Some(date("2026-01-24")));
    env.clock.advance(jiff::SignedDuration::from_hours(24 * 14));
    assert_eq!(e.public_policy("default", Lang::Ru).await.unwrap().sha256, upcoming.sha256);
    let statuses: Vec<PublicationStatus> = e.publications(&env.admin).await.unwrap().iter().map(|p| p.status).collect();
    assert_eq!(statuses, [PublicationStatus::InForce, PublicationStatus::Superseded]);

    // The one-click link stops these notices, once; it is no marketing link.
    let token = stop.rsplit('/').next().unwrap();
    let (target, outcome) = e.unsubscribe(token).await.unwrap();
    assert_eq!((target.subject.as_str(), outcome), (told.as_str(), Unsubscribed::Withdrawn));
    assert!(matches!(target.scope, UnsubscribeScope::Notices { .. }));
    assert_eq!(e.unsubscribe(token).await.unwrap().1, Unsubscribed::AlreadyWithdrawn);
    let tampered = format!("{}x", &token[..token.len() - 1]);
    assert_eq!(invalid_code(e.unsubscribe(&tampered).await), "unsubscribe.invalid_link");

    // The next material change reaches nobody: the one subject who could be told stopped it.
    let third = e.publish_policy(&env.admin, publish("2026-02-10")).await.unwrap();
    let walked = e.walk_publication("default", &third.id, |_| {}).await.unwrap();
    assert_eq!((walked.queued, walked.skipped), (0, 3));

    // Administrators only; unknown ids are not found.
    let issued = e.create_token(&env.admin, "support", "s").await.unwrap();
    let support = e.authenticate(issued.secret.reveal_once()).await.unwrap();
    assert!(matches!(e.publish_policy(&support, publish("2026-03-01")).await, Err(EngineError::Forbidden)));
    assert!(matches!(e.publications(&support).await, Err(EngineError::Forbidden)));
    assert!(matches!(e.publication(&env.admin, "P-000000000000").await, Err(EngineError::NotFound(_))));
    assert!(matches!(e.published_policy("default", "../x", Lang::Ru).await, Err(EngineError::NotFound(_))));
}

#[tokio::test]
async fn a_notice_waiting_for_an_erased_subject_is_never_sent() {
    let env = env().await;
    let e = &env.engine;
    let gone = customer(&env, "contact.email", "gone@example.ru").await;
    let stays = customer(&env, "contact.email", "stays@example.ru").await;
    e.publish_policy(&env.admin, PublishPolicy { effective_on: date("2026-01-10"), notify: false }).await.unwrap();
    e.put_catalog(&env.admin, &catalog_with_a_new_recipient()).await.unwrap();
    let p = e.publish_policy(&env.admin, publish("2026-01-30")).await.unwrap();
    assert_eq!(e.walk_publication("default", &p.id, |_| {}).await.unwrap().queued, 2);
    e.erase_subject(&env.admin, &gone).await.unwrap();
    let mailbox = Recorder::default();
    let report = e.deliver_outbox(&mailbox).await.unwrap();
    let sent: Vec<String> = mailbox.sent.lock().unwrap().iter().map(|m| m.2.to.clone()).collect();
    assert_eq!(sent, ["stays@example.ru"], "the erased subject's notice cannot be opened: {report:?}");
    assert!(!stays.is_empty());
}

#[tokio::test]
async fn walks_that_race_or_resume_queue_each_notice_once() {
    let env = env().await;
    let e = &env.engine;
    for i in 0..6 {
        customer(&env, "contact.email", &format!("s{i}@example.ru")).await;
    }
    let first = e.publish_policy(&env.admin, PublishPolicy { effective_on: date("2026-01-10"), notify: false }).await.unwrap();
    // The server's periodic resume walks a publication nobody walked yet.
    assert_eq!(e.walk_unfinished_publications().await.unwrap(), 1);
    assert!(e.publication(&env.admin, &first.id).await.unwrap().notices.done);
    e.put_catalog(&env.admin, &catalog_with_a_new_recipient()).await.unwrap();
    let p = e.publish_policy(&env.admin, publish("2026-01-30")).await.unwrap();
    // Two walkers at once (the server's background task and a resumed one) …
    let (a, b) = tokio::join!(e.walk_publication("default", &p.id, |_| {}), e.walk_publication("default", &p.id, |_| {}));
    assert_eq!((a.unwrap().queued, b.unwrap().queued), (6, 6));
    // … and the periodic resume finds nothing left.
    assert_eq!(e.walk_unfinished_publications().await.unwrap(), 0);
    let mailbox = Recorder::default();
    assert_eq!(e.deliver_outbox(&mailbox).await.unwrap().sent, 6);
    let mut to: Vec<String> = mailbox.sent.lock().unwrap().iter().map(|m| m.2.to.clone()).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), 6, "one email per subject");
}
