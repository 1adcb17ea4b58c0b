//! Console accounts and portal sign-in end to end over a real SQLite store, with a clock
//! the tests move: passwords, lockout, second factor, session expiry, and a subject signing
//! in with a code to see their data, withdraw a consent, file a request and read the
//! journal about them. The pages themselves are tested in obereg-server.

use obereg_core::catalog::Channel as MarketingChannel;
use obereg_core::consent::ConsentAction;
use obereg_core::request::RequestState;
use obereg_core::request::deadline::RequestKind;
use obereg_core::value::PlainValue;

use crate::outbox::{Channel, Message, SendError, Transport};
use crate::requests::Language;
use crate::retention_tests::{consent, env};
use crate::vault_tests::customer;
use crate::web::totp;
use crate::{EngineError, Role};

const PASSWORD: &str = "correct horse battery staple";

fn minutes(n: i64) -> jiff::SignedDuration {
    jiff::SignedDuration::from_mins(n)
}

#[tokio::test]
async fn accounts_are_checked_when_created() {
    let env = env().await;
    let e = &env.engine;
    let made = e.create_staff_account(&env.admin, "dpo@example.ru", "privacy_officer", PASSWORD).await.unwrap();
    assert_eq!((made.login.as_str(), made.role.as_str(), made.second_factor), ("dpo@example.ru", "privacy_officer", false));
    assert!(made.id.starts_with("U-"));
    let refusals = [
        ("Big Letters", "support", PASSWORD, "staff.invalid_login"),
        ("ok", "support", PASSWORD, "staff.invalid_login"),
        ("support1", "support", "too short", "staff.weak_password"),
        ("support1", "janitor", PASSWORD, "staff.unknown_role"),
        ("support1", "platform", PASSWORD, "staff.unknown_role"),
    ];
    for (login, role, password, code) in refusals {
        let err = e.create_staff_account(&env.admin, login, role, password).await.unwrap_err();
        assert_eq!(err.code(), code, "{login} {role}");
    }
    assert!(matches!(e.create_staff_account(&env.admin, "dpo@example.ru", "support", PASSWORD).await, Err(EngineError::Conflict(_))));
    // Only administrators manage accounts.
    let support = env.engine.create_token(&env.admin, "support", "s").await.unwrap();
    let support = e.authenticate(support.secret.reveal_once()).await.unwrap();
    assert!(matches!(e.create_staff_account(&support, "another", "support", PASSWORD).await, Err(EngineError::Forbidden)));
    let listed = e.staff_accounts(&env.admin).await.unwrap();
    assert_eq!(listed.len(), 1);
    // Nothing about the password is ever shown.
    assert!(!format!("{listed:?}").contains("argon2"));
}

#[tokio::test]
async fn staff_sign_in_opens_a_session_that_acts_with_the_accounts_role() {
    let env = env().await;
    let e = &env.engine;
    e.create_staff_account(&env.admin, "support", "support", PASSWORD).await.unwrap();
    let opened = e.staff_sign_in("default", "support", PASSWORD, None).await.unwrap();
    assert_eq!(opened.max_age, 12 * 3600);
    assert!(!format!("{opened:?}").contains(opened.cookie.as_str()));
    let session = e.staff_session(&opened.cookie).await.unwrap();
    assert_eq!(session.actor.role, Role::Staff("support".into()));
    assert!(!session.dpo && !session.admin);
    assert_eq!(session.role_name.en, "Support");
    // The session is journaled under the account, not as a token.
    let journal = e.journal_entries(&env.admin, 0, 1000).await.unwrap();
    let signed_in = journal.iter().find(|j| j.entry().unwrap().operation == "staff.signed_in").unwrap();
    assert!(format!("{:?}", signed_in.entry().unwrap().actor).contains(session.actor.token_id.as_deref().unwrap()));
    // A portal lookup with a console cookie, or a tampered cookie, opens nothing.
    assert!(matches!(e.portal_session(&opened.cookie).await, Err(EngineError::Unauthenticated)));
    let mut tampered = opened.cookie.to_string();
    tampered.replace_range(10..11, if &tampered[10..11] == "A" { "B" } else { "A" });
    assert!(matches!(e.staff_session(&tampered).await, Err(EngineError::Unauthenticated)));
    e.sign_out(&opened.cookie).await.unwrap();
    assert!(matches!(e.staff_session(&opened.cookie).await, Err(EngineError::Unauthenticated)));
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_and_unknown_logins_look_the_same() {
    let env = env().await;
    let e = &env.engine;
    e.create_staff_account(&env.admin, "support", "support", PASSWORD).await.unwrap();
    let unknown = e.staff_sign_in("default", "nobody", PASSWORD, None).await.unwrap_err();
    for _ in 0..5 {
        let wrong = e.staff_sign_in("default", "support", "not the password", None).await.unwrap_err();
        assert_eq!((wrong.code(), wrong.to_string()), (unknown.code(), unknown.to_string()));
    }
    // Locked: even the right password is refused, with the same answer.
    let locked = e.staff_sign_in("default", "support", PASSWORD, None).await.unwrap_err();
    assert_eq!(locked.code(), unknown.code());
    assert!(e.staff_accounts(&env.admin).await.unwrap()[0].locked);
    env.clock.advance(minutes(16));
    e.staff_sign_in("default", "support", PASSWORD, None).await.unwrap();
    // Another tenant's account is not found under this one.
    assert!(e.staff_sign_in("other", "support", PASSWORD, None).await.is_err());
}

#[tokio::test]
async fn sessions_end_when_idle_at_their_absolute_limit_and_when_the_account_changes() {
    let env = env().await;
    let e = &env.engine;
    e.create_staff_account(&env.admin, "support", "support", PASSWORD).await.unwrap();
    let idle = e.staff_sign_in("default", "support", PASSWORD, None).await.unwrap();
    env.clock.advance(minutes(31));
    assert!(matches!(e.staff_session(&idle.cookie).await, Err(EngineError::Unauthenticated)));
    // Used every 20 minutes, a session still ends after 12 hours.
    let busy = e.staff_sign_in("default", "support", PASSWORD, None).await.unwrap();
    for _ in 0..35 {
        env.clock.advance(minutes(20));
        e.staff_session(&busy.cookie).await.unwrap();
    }
    env.clock.advance(minutes(20));
    assert!(matches!(e.staff_session(&busy.cookie).await, Err(EngineError::Unauthenticated)));
    // A new password or disabling the account ends its sessions.
    let a = e.staff_sign_in("default", "support", PASSWORD, None).await.unwrap();
    e.set_staff_password(&env.admin, "support", "a brand new passphrase").await.unwrap();
    assert!(e.staff_session(&a.cookie).await.is_err());
    assert!(e.staff_sign_in("default", "support", PASSWORD, None).await.is_err());
    let b = e.staff_sign_in("default", "support", "a brand new passphrase", None).await.unwrap();
    e.set_staff_disabled(&env.admin, "support", true).await.unwrap();
    assert!(e.staff_session(&b.cookie).await.is_err());
    assert!(e.staff_sign_in("default", "support", "a brand new passphrase", None).await.is_err());
    e.set_staff_disabled(&env.admin, "support", false).await.unwrap();
    e.staff_sign_in("default", "support", "a brand new passphrase", None).await.unwrap();
    // Ended sessions are purged.
    env.clock.advance(jiff::SignedDuration::from_hours(13));
    assert!(e.purge_web_sessions().await.unwrap() >= 1);
}

fn base32_decode(text: &str) -> Vec<u8> {
    totp::base32_decode(text).unwrap()
}

#[tokio::test]
async fn a_second_factor_is_required_once_enrolled() {
    let env = env().await;
    let e = &env.engine;
    e.create_staff_account(&env.admin, "dpo", "privacy_officer", PASSWORD).await.unwrap();
    let enrolled = e.enroll_staff_totp(&env.admin, "dpo").await.unwrap();
    assert!(enrolled.uri.starts_with("otpauth://totp/"));
    let secret = base32_decode(&enrolled.secret_base32);
    let at = "2026-01-10T09:00:00Z".parse::<jiff::Timestamp>().unwrap().as_second();
    assert!(e.staff_sign_in("default", "dpo", PASSWORD, None).await.is_err());
    assert!(e.staff_sign_in("default", "dpo", PASSWORD, Some("000000").filter(|c| *c != totp::code_at(&secret, at))).await.is_err());
    let opened = e.staff_sign_in("default", "dpo", PASSWORD, Some(&totp::code_at(&secret, at))).await.unwrap();
    let session = e.staff_session(&opened.cookie).await.unwrap();
    assert!(session.dpo);
    // The secret is kept sealed: the account row holds neither the raw nor the base32 secret.
    assert!(e.staff_accounts(&env.admin).await.unwrap()[0].second_factor);
    let sealed = e.store.staff_account_by_login("default", "dpo").await.unwrap().unwrap().totp.unwrap();
    assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_slice()));
    assert!(!sealed.windows(8).any(|w| w == &enrolled.secret_base32.as_bytes()[..8]));
}

#[tokio::test]
async fn a_staff_member_changes_their_password_only_with_the_current_one() {
    let env = env().await;
    let e = &env.engine;
    e.create_staff_account(&env.admin, "support", "support", PASSWORD).await.unwrap();
    let me = e.staff_session(&e.staff_sign_in("default", "support", PASSWORD, None).await.unwrap().cookie).await.unwrap();
    let other = e.staff_sign_in("default", "support", PASSWORD, None).await.unwrap();
    let wrong = e.change_own_password(&me.actor, "not the password", "a brand new passphrase").await.unwrap_err();
    assert_eq!(wrong.code(), "staff.wrong_password");
    assert_eq!(e.change_own_password(&me.actor, PASSWORD, "short").await.unwrap_err().code(), "staff.weak_password");
    // Nothing changed by the refusals.
    assert!(e.staff_session(&other.cookie).await.is_ok());
    e.change_own_password(&me.actor, PASSWORD, "a brand new passphrase").await.unwrap();
    assert!(e.staff_session(&other.cookie).await.is_err(), "a new password ends every session");
    assert!(e.staff_sign_in("default", "support", PASSWORD, None).await.is_err());
    assert!(e.staff_sign_in("default", "support", "a brand new passphrase", None).await.is_ok());
    // Tokens act for no account: there is no "own" password to change.
    assert!(matches!(e.change_own_password(&env.admin, PASSWORD, "another passphrase").await, Err(EngineError::Forbidden)));
}

#[tokio::test]
async fn a_second_factor_set_up_in_the_console_is_on_only_after_a_right_code() {
    let env = env().await;
    let e = &env.engine;
    e.create_staff_account(&env.admin, "dpo", "privacy_officer", PASSWORD).await.unwrap();
    e.create_staff_account(&env.admin, "support", "support", PASSWORD).await.unwrap();
    let me = e.staff_session(&e.staff_sign_in("default", "dpo", PASSWORD, None).await.unwrap().cookie).await.unwrap();
    let colleague = e.staff_session(&e.staff_sign_in("default", "support", PASSWORD, None).await.unwrap().cookie).await.unwrap();
    let pending = e.start_own_totp(&me.actor).await.unwrap();
    let secret = base32_decode(&pending.enrollment.secret_base32);
    let now = |e: &crate::Engine| e.clock.now().as_second();
    // Not on yet: signing in still needs no code.
    assert!(!e.own_staff_account(&me.actor).await.unwrap().second_factor);
    let wrong = if totp::code_at(&secret, now(e)) == "000000" { "111111" } else { "000000" };
    assert_eq!(e.confirm_own_totp(&me.actor, &pending.sealed, wrong).await.unwrap_err().code(), "staff.wrong_code");
    // The sealed secret is bound to the account: a colleague cannot turn it on for theirs.
    let code = totp::code_at(&secret, now(e));
    assert_eq!(e.confirm_own_totp(&colleague.actor, &pending.sealed, &code).await.unwrap_err().code(), "staff.wrong_code");
    assert_eq!(e.confirm_own_totp(&me.actor, "zz", &code).await.unwrap_err().code(), "staff.wrong_code");
    assert!(!e.own_staff_account(&me.actor).await.unwrap().second_factor);
    // Too late after ten minutes.
    env.clock.advance(minutes(11));
    let late = totp::code_at(&secret, now(e));
    assert_eq!(e.confirm_own_totp(&me.actor, &pending.sealed, &late).await.unwrap_err().code(), "staff.wrong_code");
    // A fresh setup, confirmed in time, turns it on and signs the account out everywhere.
    let me = e.staff_session(&e.staff_sign_in("default", "dpo", PASSWORD, None).await.unwrap().cookie).await.unwrap();
    let pending = e.start_own_totp(&me.actor).await.unwrap();
    let secret = base32_decode(&pending.enrollment.secret_base32);
    let on = e.confirm_own_totp(&me.actor, &pending.sealed, &totp::code_at(&secret, now(e))).await.unwrap();
    assert!(on.second_factor);
    assert!(e.staff_sign_in("default", "dpo", PASSWORD, None).await.is_err(), "a code is needed now");
    assert!(e.staff_sign_in("default", "dpo", PASSWORD, Some(&totp::code_at(&secret, now(e)))).await.is_ok());
}

/// Records messages instead of sending them.
#[derive(Debug, Default)]
pub(crate) struct Captured(pub(crate) std::sync::Mutex<Vec<Message>>);

impl Transport for Captured {
    fn channels(&self) -> &[Channel] {
        &[Channel::Email, Channel::Sms]
    }

    fn send<'a>(
        &'a self,
        _channel: Channel,
        _delivery_id: &'a str,
        message: &'a Message,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), SendError>> + Send + 'a>> {
        Box::pin(async move {
            self.0.lock().unwrap().push(message.clone());
            Ok(())
        })
    }
}

impl Captured {
    fn code_to(&self, to: &str) -> String {
        let sent = self.0.lock().unwrap();
        let body = &sent.iter().rev().find(|m| m.to == to).unwrap().body;
        body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).unwrap().to_owned()
    }
}

#[tokio::test]
async fn a_subject_signs_in_with_a_code_and_acts_on_their_own_data() {
    let env = env().await;
    let e = &env.engine;
    let subject = e.create_subject(&env.admin, customer()).await.unwrap().id;
    consent(&env, &subject, ConsentAction::Given).await;
    let outbox = Captured::default();
    let id = e.portal_send_code("default", &PlainValue::new(" Ivan.Petrov@Example.RU "), Language::Ru).await.unwrap();
    e.deliver_outbox(&outbox).await.unwrap();
    let code = outbox.code_to("ivan.petrov@example.ru");
    // Wrong code first: counted, not fatal.
    let wrong = if code == "123456" { "654321" } else { "123456" };
    assert_eq!(e.portal_verify_code("default", &id, wrong).await.unwrap_err().code(), "portal.code_wrong");
    let opened = e.portal_verify_code("default", &id, &code).await.unwrap();
    // A code opens one session only.
    assert!(e.portal_verify_code("default", &id, &code).await.is_err());
    let session = e.portal_session(&opened.cookie).await.unwrap();
    assert_eq!(session.subject.as_deref(), Some(subject.as_str()));
    assert_eq!(session.masked_address(), "i***@example.ru");
    assert!(!format!("{session:?}").contains("ivan"));
    // A staff cookie is not a portal cookie.
    assert!(e.staff_session(&opened.cookie).await.is_err());

    let data = e.portal_data(&session).await.unwrap();
    assert!(data.values.iter().any(|v| v.category == "contact.phone" && v.value == "+79161234589"));
    let consents = e.portal_consents(&session).await.unwrap().unwrap();
    assert_eq!(consents.current.len(), 1);
    e.portal_set_consent(&session, "product_news", Some(MarketingChannel::Email), None).await.unwrap();
    let consents = e.portal_consents(&session).await.unwrap().unwrap();
    assert_eq!(consents.current[0].event.action, ConsentAction::Withdrawn);
    // Giving again needs the document shown.
    let doc = e.portal_consent_document(&session, "product_news").await.unwrap();
    e.portal_set_consent(&session, "product_news", Some(MarketingChannel::Email), Some(&doc.sha256)).await.unwrap();
    assert!(e.portal_set_consent(&session, "product_news", Some(MarketingChannel::Email), Some("00")).await.is_err());

    let filed = e.portal_submit_request(&session, RequestKind::Erasure, Some(PlainValue::new("Удалите всё")), Language::Ru).await.unwrap();
    assert_eq!(filed.state, RequestState::InProgress);
    assert_eq!(filed.subject_id.as_deref(), Some(subject.as_str()));
    assert_eq!(filed.verified_by.as_deref(), Some("portal"));
    let mine = e.portal_requests(&session).await.unwrap();
    assert_eq!(mine.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [filed.id.as_str()]);

    let journal = e.portal_journal(&session).await.unwrap();
    assert!(journal.windows(2).all(|w| w[0].index > w[1].index), "newest first");
    assert!(journal.iter().any(|j| j.entry().unwrap().operation == "portal.signed_in"));
    let subject_actor = journal.iter().filter(|j| matches!(j.entry().unwrap().actor, obereg_journal::Actor::Subject)).count();
    assert!(subject_actor >= 4, "{subject_actor}");
    // The subject's sessions end after 15 idle minutes.
    env.clock.advance(minutes(16));
    assert!(e.portal_session(&opened.cookie).await.is_err());
}

#[tokio::test]
async fn unknown_addresses_get_the_same_answer_and_codes_are_limited() {
    let env = env().await;
    let e = &env.engine;
    let outbox = Captured::default();
    let id = e.portal_send_code("default", &PlainValue::new("stranger@example.org"), Language::En).await.unwrap();
    e.deliver_outbox(&outbox).await.unwrap();
    assert!(outbox.0.lock().unwrap()[0].subject.starts_with("Sign-in code"));
    let opened = e.portal_verify_code("default", &id, &outbox.code_to("stranger@example.org")).await.unwrap();
    let session = e.portal_session(&opened.cookie).await.unwrap();
    assert_eq!((session.subject.as_deref(), session.several), (None, false));
    assert!(e.portal_data(&session).await.unwrap().values.is_empty());
    assert!(e.portal_consents(&session).await.unwrap().is_none());
    assert!(e.portal_journal(&session).await.unwrap().is_empty());
    // Malformed addresses are refused; five codes an hour per address.
    assert_eq!(
        e.portal_send_code("default", &PlainValue::new("not an address"), Language::Ru).await.unwrap_err().code(),
        "value.invalid_phone"
    );
    for _ in 0..4 {
        e.portal_send_code("default", &PlainValue::new("stranger@example.org"), Language::Ru).await.unwrap();
    }
    let limited = e.portal_send_code("default", &PlainValue::new("STRANGER@example.org"), Language::Ru).await.unwrap_err();
    assert!(matches!(limited, EngineError::RateLimited(_)));
    env.clock.advance(minutes(61));
    let id = e.portal_send_code("default", &PlainValue::new("stranger@example.org"), Language::Ru).await.unwrap();
    // Five wrong tries kill a code; so does time.
    for _ in 0..5 {
        assert!(e.portal_verify_code("default", &id, "000000").await.is_err());
    }
    e.deliver_outbox(&outbox).await.unwrap();
    assert!(e.portal_verify_code("default", &id, &outbox.code_to("stranger@example.org")).await.is_err());
    let id = e.portal_send_code("default", &PlainValue::new("stranger@example.org"), Language::Ru).await.unwrap();
    e.deliver_outbox(&outbox).await.unwrap();
    env.clock.advance(minutes(11));
    assert!(e.portal_verify_code("default", &id, &outbox.code_to("stranger@example.org")).await.is_err());
    assert!(e.portal_verify_code("default", "L-nonsense", "123456").await.is_err());
}
