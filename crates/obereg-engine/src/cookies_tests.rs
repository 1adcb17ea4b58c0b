//! Cookie consent end to end: the banner, a new visitor's choices, the same visitor on
//! another of the tenant's sites, GPC, and bad input that records nothing.

use std::collections::BTreeMap;

use crate::EngineError;
use crate::vault_tests::env;

const SITE: &str = "https://voice-robot.example";
const OTHER_SITE: &str = "https://app.voice-robot.example";

fn choices(ads: bool) -> BTreeMap<String, bool> {
    BTreeMap::from([("ads".to_owned(), ads)])
}

fn code(e: EngineError) -> &'static str {
    match e {
        EngineError::Invalid { code, .. } | EngineError::Refused { code, .. } => code,
        other => other.code(),
    }
}

fn allowed(v: &crate::cookies::VisitorChoices, category: &str) -> (bool, &'static str) {
    let c = v.choices.iter().find(|c| c.category == category).unwrap();
    (c.allowed, c.reason)
}

#[tokio::test]
async fn a_visitor_chooses_once_and_every_site_of_the_tenant_sees_it() {
    let env = env().await;
    let e = &env.engine;
    let banner = e.cookie_banner("default", SITE).await.unwrap();
    assert_eq!(banner.categories.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["session", "ads"]);
    let doc = banner.document.unwrap();
    assert_eq!(doc.purposes, ["site_analytics"]);

    let first = e.record_cookie_choices("default", SITE, None, &choices(true), &doc.sha256, false).await.unwrap();
    let secret = first.new_secret.clone().expect("a new visitor gets its secret once");
    assert!(secret.starts_with("vis_") && secret.len() == 47);
    assert_eq!(allowed(&first, "ads"), (true, "given"));
    assert_eq!(allowed(&first, "session"), (true, "necessary"));

    // Another site of the tenant, the same visitor: the same choice.
    let there = e.cookie_choices("default", OTHER_SITE, &secret).await.unwrap();
    assert_eq!((there.new_secret.clone(), allowed(&there, "ads")), (None, (true, "given")));

    // Withdrawing is as easy as giving, and choosing the same again records nothing.
    let off = e.record_cookie_choices("default", OTHER_SITE, Some(&secret), &choices(false), &doc.sha256, false).await.unwrap();
    assert_eq!((off.new_secret.clone(), allowed(&off, "ads")), (None, (false, "withdrawn")));
    e.record_cookie_choices("default", SITE, Some(&secret), &choices(false), &doc.sha256, false).await.unwrap();
    let subject = e.store.visitor("default", &crate::token::hash_token(&secret)).await.unwrap().unwrap();
    let history = e.consents(&env.admin, &subject).await.unwrap();
    let actions: Vec<_> = history.events.iter().map(|v| v.event.action.as_str()).collect();
    assert_eq!(actions, ["given", "withdrawn"]);
    assert!(history.events.iter().all(|v| v.event.method == obereg_core::consent::ConsentMethod::CookieBanner));
}

#[tokio::test]
async fn global_privacy_control_refuses_advertising_whatever_was_clicked() {
    let env = env().await;
    let doc = env.engine.cookie_banner("default", SITE).await.unwrap().document.unwrap().sha256;
    let v = env.engine.record_cookie_choices("default", SITE, None, &choices(true), &doc, true).await.unwrap();
    assert_eq!(allowed(&v, "ads"), (false, "gpc"));
    let subject = env.engine.store.visitor("default", &crate::token::hash_token(&v.new_secret.unwrap())).await.unwrap().unwrap();
    let history = env.engine.consents(&env.admin, &subject).await.unwrap();
    assert_eq!(history.events.iter().map(|v| v.event.action.as_str()).collect::<Vec<_>>(), ["refused"]);
}

#[tokio::test]
async fn bad_cookie_choices_are_refused_and_record_nothing() {
    let env = env().await;
    let e = &env.engine;
    let doc = e.cookie_banner("default", SITE).await.unwrap().document.unwrap().sha256;
    let news = e.consent_document(&env.admin, &["product_news".into()]).await.unwrap().sha256;
    let before = e.store.journal_head("default").await.unwrap().unwrap().size;
    // (origin, visitor secret, choices, document, expected code)
    type Case<'a> = (&'a str, Option<&'a str>, BTreeMap<String, bool>, &'a str, &'a str);
    let cases: Vec<Case<'_>> = vec![
        ("https://evil.example", None, choices(true), doc.as_str(), "cookies.origin_not_allowed"),
        ("https://voice-robot.example/", None, choices(true), doc.as_str(), "cookies.origin_not_allowed"),
        (SITE, None, BTreeMap::from([("tracking".to_owned(), true)]), doc.as_str(), "consent.unknown_cookie"),
        (SITE, None, BTreeMap::from([("session".to_owned(), false)]), doc.as_str(), "cookies.necessary_not_optional"),
        (SITE, None, choices(true), "0000", "consent.unknown_document"),
        (SITE, None, choices(true), news.as_str(), "consent.document_mismatch"),
        (SITE, Some("vis_short"), choices(true), doc.as_str(), "cookies.bad_visitor"),
    ];
    for (origin, secret, chosen, document, expected) in cases {
        let err = e.record_cookie_choices("default", origin, secret, &chosen, document, false).await.unwrap_err();
        assert_eq!(code(err), expected, "{origin} {chosen:?}");
    }
    assert_eq!(e.store.journal_head("default").await.unwrap().unwrap().size, before, "nothing was recorded");
    assert!(matches!(e.cookie_choices("default", SITE, &format!("vis_{}", "A".repeat(43))).await, Err(EngineError::NotFound(_))));
}
