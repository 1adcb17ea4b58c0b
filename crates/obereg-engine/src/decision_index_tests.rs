//! The decision index stays exact: what another process (a second engine on the same
//! database) changes is seen by the very next call here, while answers still come from
//! memory in between.

use obereg_core::catalog::Channel;
use obereg_core::consent::{ConsentAction, ConsentMethod};

use crate::consent::NewConsentEvent;
use crate::vault_tests::{customer, env};
use crate::{EngineError, Role};

fn event(action: ConsentAction, document: Option<&str>) -> NewConsentEvent {
    NewConsentEvent {
        purpose: "product_news".into(),
        channel: Some(Channel::Email),
        cookie: None,
        action,
        method: ConsentMethod::Api,
        document: document.map(str::to_owned),
        valid_until: None,
        by_representative: false,
        evidence: None,
    }
}

#[tokio::test]
async fn consent_and_restriction_changed_by_another_process_decide_at_once() {
    let env = env().await;
    let here = &env.engine;
    let there = env.other_process().await;
    let s = here.create_subject(&env.admin, customer()).await.unwrap();
    let doc = here.consent_document(&env.admin, &["product_news".into()]).await.unwrap().sha256;
    let email = Some(Channel::Email);
    let allowed = |engine: &crate::Engine| {
        let (engine, admin, id) = (engine.clone(), env.admin.clone(), s.id.clone());
        async move { engine.decide(&admin, &id, "product_news", email, &["contact.email"]).await.unwrap().allowed }
    };
    assert!(!allowed(here).await, "no consent yet");
    assert!(here.index.subject("default", &s.id).is_some(), "the subject's facts are now held in memory");
    for round in 0..5 {
        there.record_consent(&env.admin, &s.id, event(ConsentAction::Given, Some(&doc))).await.unwrap();
        assert!(allowed(here).await, "round {round}: consent given elsewhere is seen");
        assert!(allowed(here).await, "round {round}: and stays seen");
        assert!(here.index.subject("default", &s.id).is_some_and(|f| f.consents.scopes().next().is_some()), "answered from memory");
        there.record_consent(&env.admin, &s.id, event(ConsentAction::Withdrawn, None)).await.unwrap();
        assert!(!allowed(here).await, "round {round}: a withdrawal elsewhere denies the next decision here");
    }
    there.record_consent(&env.admin, &s.id, event(ConsentAction::Given, Some(&doc))).await.unwrap();
    assert!(allowed(here).await);
    there.restrict_subject(&env.admin, &s.id).await.unwrap();
    let d = here.decide(&env.admin, &s.id, "product_news", email, &[]).await.unwrap();
    assert!(!d.allowed && d.reasons.iter().any(|(code, _)| *code == "decision.subject_restricted"), "{:?}", d.reasons);
    there.lift_restriction(&env.admin, &s.id).await.unwrap();
    assert!(allowed(here).await, "lifting the restriction elsewhere is seen too");
    there.erase_subject(&env.admin, &s.id).await.unwrap();
    assert!(matches!(
        here.decide(&env.admin, &s.id, "product_news", email, &[]).await,
        Err(EngineError::NotFound(_)) | Ok(crate::consent::DecisionView { allowed: false, .. })
    ));
}

#[tokio::test]
async fn a_token_revoked_by_another_process_fails_the_next_request() {
    let env = env().await;
    let there = env.other_process().await;
    let issued = env.engine.create_token(&env.admin, "support", "desk").await.unwrap();
    let secret = issued.secret.reveal_once().to_owned();
    for _ in 0..3 {
        assert_eq!(env.engine.authenticate(&secret).await.unwrap().role, Role::Staff("support".into()));
    }
    there.revoke_token(&env.admin, &issued.id).await.unwrap();
    assert!(matches!(env.engine.authenticate(&secret).await, Err(EngineError::Unauthenticated)));
    assert!(matches!(env.engine.authenticate(&secret).await, Err(EngineError::Unauthenticated)), "and is not kept");
}

#[tokio::test]
async fn a_contact_check_follows_withdrawals_made_elsewhere_and_concurrent_checks_agree() {
    let env = env().await;
    let there = env.other_process().await;
    let s = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let doc = env.engine.consent_document(&env.admin, &["product_news".into()]).await.unwrap().sha256;
    let email = obereg_core::value::PlainValue::new("ivan.petrov@example.ru");
    let check = |engine: crate::Engine| {
        let (admin, email) = (env.admin.clone(), email.clone());
        async move {
            let answers = engine.check_contacts(&admin, "contact.email", &[email], "product_news", Some(Channel::Email)).await.unwrap();
            answers.into_iter().next().unwrap().unwrap().allowed
        }
    };
    assert!(!check(env.engine.clone()).await);
    there.record_consent(&env.admin, &s.id, event(ConsentAction::Given, Some(&doc))).await.unwrap();
    assert!(check(env.engine.clone()).await);
    // Many checks in flight share probes; every one that starts after the withdrawal
    // returned must deny.
    there.record_consent(&env.admin, &s.id, event(ConsentAction::Withdrawn, None)).await.unwrap();
    let tasks: Vec<_> = (0..16).map(|_| tokio::spawn(check(env.engine.clone()))).collect();
    for t in tasks {
        assert!(!t.await.unwrap(), "a check after the withdrawal allowed");
    }
}

#[tokio::test]
async fn on_an_idle_database_decisions_need_no_new_probe_and_a_commit_elsewhere_brings_one() {
    let env = env().await;
    let there = env.other_process().await;
    let s = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let doc = env.engine.consent_document(&env.admin, &["product_news".into()]).await.unwrap().sha256;
    let decide = || async { env.engine.decide(&env.admin, &s.id, "product_news", Some(Channel::Email), &[]).await.unwrap().allowed };
    assert!(!decide().await);
    let probed = env.engine.index.probe_queries();
    for _ in 0..20 {
        assert!(!decide().await);
    }
    assert_eq!(env.engine.index.probe_queries(), probed, "nothing was committed, so the SQLite commit mark spared every probe");
    there.record_consent(&env.admin, &s.id, event(ConsentAction::Given, Some(&doc))).await.unwrap();
    assert!(decide().await, "a commit by another process is seen at once");
    assert!(env.engine.index.probe_queries() > probed, "because it changed the mark and the next caller probed");
}
