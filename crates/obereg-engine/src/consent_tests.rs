//! Consent end to end over a real SQLite store: documents, events checked against the
//! catalog and the history, sealed evidence, decisions that follow the ledger at once, and
//! concurrent writers.

use obereg_core::catalog::Channel;
use obereg_core::consent::{ConsentAction, ConsentMethod};
use obereg_core::value::PlainValue;

use crate::EngineError;
use crate::consent::NewConsentEvent;
use crate::vault_tests::{customer, env};

fn event(purpose: &str, channel: Option<Channel>, action: ConsentAction, document: Option<&str>) -> NewConsentEvent {
    NewConsentEvent {
        purpose: purpose.into(),
        channel,
        cookie: None,
        action,
        method: ConsentMethod::WebForm,
        document: document.map(str::to_owned),
        valid_until: None,
        by_representative: false,
        evidence: None,
    }
}

fn code(e: EngineError) -> &'static str {
    match e {
        EngineError::Invalid { code, .. } | EngineError::Refused { code, .. } => code,
        other => other.code(),
    }
}

#[tokio::test]
async fn give_decide_withdraw_decide_with_the_document_and_sealed_evidence() {
    let env = env().await;
    let s = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let doc = env.engine.consent_document(&env.admin, &["product_news".into()]).await.unwrap();
    assert!(doc.created && doc.ru.contains("Согласие на получение рекламы") && doc.sha256.len() == 64);
    let again = env.engine.consent_document(&env.admin, &["product_news".into()]).await.unwrap();
    assert_eq!((again.created, again.sha256.as_str()), (false, doc.sha256.as_str()), "one version, one hash");

    let marketing = env.staff("marketing").await;
    let ask = |who| {
        let engine = env.engine.clone();
        let id = s.id.clone();
        async move { engine.decide(&who, &id, "product_news", Some(Channel::Email), &["contact.email"]).await.unwrap() }
    };
    let before = ask(marketing.clone()).await;
    assert!(!before.allowed);
    assert_eq!(before.reasons[0].0, "decision.no_consent");

    let mut given = event("product_news", Some(Channel::Email), ConsentAction::Given, Some(&doc.sha256));
    given.evidence = Some(PlainValue::new("ip=203.0.113.77; ua=Mozilla/5.0 (consent-test)"));
    let recorded = env.engine.record_consent(&env.admin, &s.id, given).await.unwrap();
    assert_eq!(recorded.index, 0);
    let allowed = ask(marketing.clone()).await;
    assert!(allowed.allowed, "{:?}", allowed.reasons);
    assert_eq!(allowed.basis.as_deref(), Some("consent"));
    assert!(allowed.reasons[0].1.en.starts_with("consent to `product_news` by email given on"), "{:?}", allowed.reasons);

    let mut withdraw = event("product_news", Some(Channel::Email), ConsentAction::Withdrawn, None);
    withdraw.method = ConsentMethod::UnsubscribeLink;
    env.engine.record_consent(&env.admin, &s.id, withdraw).await.unwrap();
    let after = ask(marketing).await;
    assert!(!after.allowed);
    assert_eq!(after.reasons[0].0, "decision.consent_withdrawn");
    assert!(after.reasons[0].1.en.contains("via unsubscribe link"), "{:?}", after.reasons);

    let history = env.engine.consents(&env.admin, &s.id).await.unwrap();
    assert_eq!(history.events.len(), 2);
    assert!(history.events[0].has_evidence && !history.events[1].has_evidence);
    assert_eq!(history.events[0].event.document.as_deref(), Some(doc.sha256.as_str()));

    // The evidence is personal data: sealed, in no file in the clear.
    for entry in std::fs::read_dir(env.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(13).any(|w| w == b"203.0.113.77;"), "evidence leaked into a database file");
    }
    // Erased: no more events, and every decision says why.
    let dpo = env.staff("privacy_officer").await;
    env.engine.erase_subject(&dpo, &s.id).await.unwrap();
    let erased = env.engine.decide(&env.admin, &s.id, "account", None, &[]).await.unwrap();
    assert_eq!((erased.allowed, erased.reasons[0].0), (false, "decision.subject_erased"));
    let gone = env
        .engine
        .record_consent(&env.admin, &s.id, event("product_news", Some(Channel::Email), ConsentAction::Given, Some(&doc.sha256)))
        .await;
    assert!(matches!(gone, Err(EngineError::NotFound("subject"))), "{gone:?}");
}

#[tokio::test]
async fn events_that_do_not_fit_the_catalog_or_the_history_are_refused_and_record_nothing() {
    let env = env().await;
    let s = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let news = env.engine.consent_document(&env.admin, &["product_news".into()]).await.unwrap().sha256;
    let analytics = env.engine.consent_document(&env.admin, &["site_analytics".into()]).await.unwrap().sha256;
    let record = |e: NewConsentEvent| {
        let (engine, admin, id) = (env.engine.clone(), env.admin.clone(), s.id.clone());
        async move { engine.record_consent(&admin, &id, e).await.map_err(code).map(|_| ()) }
    };
    let email = Some(Channel::Email);
    assert_eq!(record(event("nope", None, ConsentAction::Given, Some(&news))).await, Err("consent.unknown_purpose"));
    assert_eq!(record(event("product_news", None, ConsentAction::Given, Some(&news))).await, Err("consent.channel_required"));
    assert_eq!(record(event("product_news", Some(Channel::Sms), ConsentAction::Given, Some(&news))).await, Err("consent.unknown_channel"));
    assert_eq!(record(event("product_news", email, ConsentAction::Given, None)).await, Err("consent.document_required"));
    assert_eq!(record(event("product_news", email, ConsentAction::Given, Some(&"0".repeat(64)))).await, Err("consent.unknown_document"));
    assert_eq!(record(event("product_news", email, ConsentAction::Given, Some(&analytics))).await, Err("consent.document_mismatch"));
    assert_eq!(record(event("product_news", email, ConsentAction::Withdrawn, None)).await, Err("consent.not_given"));
    let mut cookie = event("site_analytics", None, ConsentAction::Given, Some(&analytics));
    cookie.cookie = Some("no_such_cookie".into());
    assert_eq!(record(cookie).await, Err("consent.unknown_cookie"));
    let support = env.staff("support").await;
    let refused = env.engine.record_consent(&support, &s.id, event("product_news", email, ConsentAction::Given, Some(&news))).await;
    assert!(matches!(refused, Err(EngineError::Forbidden)), "support may not record marketing consent: {refused:?}");
    assert!(env.engine.consents(&env.admin, &s.id).await.unwrap().events.is_empty(), "nothing was recorded");
    let unknown =
        env.engine.record_consent(&env.admin, &"a".repeat(32), event("product_news", email, ConsentAction::Given, Some(&news))).await;
    assert!(matches!(unknown, Err(EngineError::NotFound("subject"))));
}

#[tokio::test]
async fn concurrent_withdrawals_record_one_and_a_decision_after_one_never_allows() {
    let env = env().await;
    let s = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let news = env.engine.consent_document(&env.admin, &["product_news".into()]).await.unwrap().sha256;
    let email = Some(Channel::Email);
    env.engine.record_consent(&env.admin, &s.id, event("product_news", email, ConsentAction::Given, Some(&news))).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (engine, admin, id) = (env.engine.clone(), env.admin.clone(), s.id.clone());
        tasks.push(tokio::spawn(async move {
            let withdrawn = engine.record_consent(&admin, &id, event("product_news", email, ConsentAction::Withdrawn, None)).await.is_ok();
            // Whoever's withdrawal returned, a decision made after it must deny.
            let decision = engine.decide(&admin, &id, "product_news", email, &[]).await.unwrap();
            (withdrawn, decision.allowed)
        }));
    }
    let mut recorded = 0;
    for t in tasks {
        let (withdrawn, allowed) = t.await.unwrap();
        recorded += usize::from(withdrawn);
        assert!(!allowed, "a decision after a withdrawal allowed");
    }
    assert_eq!(recorded, 1, "one consent in force, one withdrawal");
    assert_eq!(env.engine.consents(&env.admin, &s.id).await.unwrap().events.len(), 2);
}

#[tokio::test]
async fn a_contact_list_is_checked_before_a_campaign() {
    let env = env().await;
    let consenting = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let mut other = customer();
    for v in &mut other.values {
        match v.category.as_str() {
            "contact.email" => v.value = PlainValue::new("someone.else@example.ru"),
            "contact.phone" => v.value = PlainValue::new("+7 916 000-00-01"),
            _ => {}
        }
    }
    let silent = env.engine.create_subject(&env.admin, other).await.unwrap();
    let news = env.engine.consent_document(&env.admin, &["product_news".into()]).await.unwrap().sha256;
    env.engine
        .record_consent(&env.admin, &consenting.id, event("product_news", Some(Channel::Email), ConsentAction::Given, Some(&news)))
        .await
        .unwrap();

    let emails: Vec<PlainValue> = ["ivan.petrov@example.ru", "someone.else@example.ru", "stranger@example.ru", "not an email"]
        .into_iter()
        .map(PlainValue::new)
        .collect();
    let checks = env.engine.check_contacts(&env.admin, "contact.email", &emails, "product_news", Some(Channel::Email)).await.unwrap();
    let first = checks[0].as_ref().unwrap();
    assert!(first.allowed && first.subjects == [consenting.id.clone()], "{first:?}");
    let second = checks[1].as_ref().unwrap();
    assert!(!second.allowed && second.subjects == [silent.id.clone()]);
    assert_eq!(second.reasons[0].0, "decision.no_consent");
    let unknown = checks[2].as_ref().unwrap();
    assert!(!unknown.allowed && unknown.subjects.is_empty(), "an unknown contact has no consent");
    assert_eq!(checks[3].as_ref().unwrap_err().0, "value.invalid_email");
    // A list's reasons are worded once per distinct reason, and read as one decision does.
    for (check, subject) in [(first, &consenting.id), (second, &silent.id)] {
        let alone = env.engine.decide(&env.admin, subject, "product_news", Some(Channel::Email), &["contact.email"]).await.unwrap();
        assert_eq!(check.reasons, alone.reasons);
    }
    assert_eq!(unknown.reasons, second.reasons, "no consent recorded, in the same words");
    assert_ne!(first.reasons, second.reasons);

    // A contract purpose needs no consent: a known active number and an unknown one may be
    // called; a restricted subject's number may not.
    let dpo = env.staff("privacy_officer").await;
    env.engine.restrict_subject(&dpo, &silent.id).await.unwrap();
    let phones: Vec<PlainValue> = ["+79161234589", "+79160000001", "+79169999999"].into_iter().map(PlainValue::new).collect();
    let checks = env.engine.check_contacts(&env.admin, "contact.phone", &phones, "robot_calls", None).await.unwrap();
    let allowed: Vec<bool> = checks.iter().map(|c| c.as_ref().unwrap().allowed).collect();
    assert_eq!(allowed, [true, false, true]);
    assert_eq!(checks[1].as_ref().unwrap().reasons[0].0, "decision.subject_restricted");
}

#[tokio::test]
async fn a_consent_receipt_verifies_offline_and_fails_with_any_change() {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use crate::receipt::verify_receipt;

    let env = env().await;
    let s = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let news = env.engine.consent_document(&env.admin, &["product_news".into()]).await.unwrap().sha256;
    let mut given = event("product_news", Some(Channel::Email), ConsentAction::Given, Some(&news));
    given.evidence = Some(PlainValue::new("ip=192.0.2.200"));
    env.engine.record_consent(&env.admin, &s.id, given).await.unwrap();
    let file = env.engine.consent_receipt(&env.admin, &s.id, 0).await.unwrap();
    let key = env.engine.receipt_key(&env.admin).unwrap().public_key;

    let receipt = verify_receipt(&file, Some(&key)).unwrap();
    assert_eq!(receipt["pii_principal_id"], s.id.as_str());
    assert_eq!(receipt["processing"]["consent_document"], news.as_str());
    assert_eq!(receipt["processing"]["purposes"][0]["purpose"], "product_news");
    assert_eq!(receipt["events"][0]["event_state"], "given");
    assert_eq!(receipt["events"][0]["channel"], "email");
    assert_eq!(receipt["parties"][0]["party_id"], "1177700123457");
    assert!(!file.contains("192.0.2.200"), "evidence stays sealed");

    // One changed byte of the signed payload, or of the signature, and it fails.
    let mut doc: serde_json::Value = serde_json::from_str(&file).unwrap();
    let mut payload = STANDARD.decode(doc["payload"].as_str().unwrap()).unwrap();
    let at = payload.iter().position(|b| *b == b'g').unwrap();
    payload[at] = b'G';
    let mut tampered = doc.clone();
    tampered["payload"] = STANDARD.encode(&payload).into();
    assert_eq!(verify_receipt(&tampered.to_string(), Some(&key)).unwrap_err().code, "receipt.bad_signature");
    let mut signature = STANDARD.decode(doc["signature"].as_str().unwrap()).unwrap();
    signature[0] ^= 1;
    doc["signature"] = STANDARD.encode(&signature).into();
    assert_eq!(verify_receipt(&doc.to_string(), Some(&key)).unwrap_err().code, "receipt.bad_signature");
    // Signed by another tenant's (or anyone else's) key: refused against the pinned key.
    let other = STANDARD.encode([7u8; 32]);
    assert_eq!(verify_receipt(&file, Some(&other)).unwrap_err().code, "receipt.other_key");
    assert_eq!(verify_receipt("{}", None).unwrap_err().code, "receipt.unknown_format");
    assert!(matches!(env.engine.consent_receipt(&env.admin, &s.id, 5).await, Err(EngineError::NotFound("consent event"))));
}

#[tokio::test]
async fn an_unsubscribe_link_withdraws_exactly_its_consent_once_and_cannot_be_forged() {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use crate::unsubscribe::Unsubscribed;

    let env = env().await;
    let a = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let b = env
        .engine
        .create_subject(&env.admin, crate::vault::NewSubjectInput { kind: "customer".into(), values: vec![], records: vec![] })
        .await
        .unwrap();
    let news = env.engine.consent_document(&env.admin, &["product_news".into()]).await.unwrap().sha256;
    for s in [&a, &b] {
        env.engine
            .record_consent(&env.admin, &s.id, event("product_news", Some(Channel::Email), ConsentAction::Given, Some(&news)))
            .await
            .unwrap();
    }
    let link = env.engine.unsubscribe_link(&env.admin, &a.id, "product_news", Channel::Email, 30).await.unwrap();
    assert!(link.path.starts_with("/u/") && !link.token.contains("example"), "the token names no address");

    // Forged: the payload rewritten to name subject b, the tag kept.
    let (payload, tag) = link.token.split_once('.').unwrap();
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap().replace(&a.id, &b.id);
    let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(text));
    assert!(matches!(env.engine.unsubscribe(&forged).await, Err(EngineError::Invalid { code: "unsubscribe.invalid_link", .. })));
    for junk in ["", "abc", "a.b", &format!("{}x", link.token)] {
        assert!(env.engine.unsubscribe(junk).await.is_err(), "{junk:?}");
    }
    let later = jiff::Timestamp::now().checked_add(jiff::SignedDuration::from_hours(24 * 400)).unwrap();
    assert!(matches!(env.engine.read_unsubscribe_token(&link.token, later), Err(EngineError::Invalid { code: "unsubscribe.expired", .. })));

    let (target, outcome) = env.engine.unsubscribe(&link.token).await.unwrap();
    assert_eq!((target.subject.as_str(), outcome), (a.id.as_str(), Unsubscribed::Withdrawn));
    assert_eq!(env.engine.unsubscribe(&link.token).await.unwrap().1, Unsubscribed::AlreadyWithdrawn, "a second click changes nothing");
    let denied = env.engine.decide(&env.admin, &a.id, "product_news", Some(Channel::Email), &[]).await.unwrap();
    assert!(!denied.allowed && denied.reasons[0].1.en.contains("via unsubscribe link"), "{:?}", denied.reasons);
    assert!(env.engine.decide(&env.admin, &b.id, "product_news", Some(Channel::Email), &[]).await.unwrap().allowed, "b is untouched");
    assert_eq!(env.engine.consents(&env.admin, &a.id).await.unwrap().events.len(), 2);

    let not_marketing = env.engine.unsubscribe_link(&env.admin, &a.id, "account", Channel::Email, 30).await;
    assert!(matches!(not_marketing, Err(EngineError::Invalid { code: "unsubscribe.not_marketing", .. })));
    assert!(env.engine.unsubscribe_link(&env.admin, &a.id, "product_news", Channel::Email, 0).await.is_err());
}

#[tokio::test]
async fn reading_a_consent_history_is_journaled() {
    let env = env().await;
    let s = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let before = env.engine.subject_journal(&env.admin, &s.id, 0, 100).await.unwrap().len();
    env.engine.consents(&env.admin, &s.id).await.unwrap();
    let entries = env.engine.subject_journal(&env.admin, &s.id, 0, 100).await.unwrap();
    assert_eq!(entries.len(), before + 1);
    assert!(entries.last().unwrap().body.contains("\"consents\""), "{}", entries.last().unwrap().body);
}
