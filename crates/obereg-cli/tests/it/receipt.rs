//! `obereg receipt verify`: a receipt signed by a real engine verifies offline, against the
//! published key; a changed one does not.

use std::sync::Arc;

use obereg_core::catalog::Channel;
use obereg_core::clock::SystemClock;
use obereg_core::consent::{ConsentAction, ConsentMethod};
use obereg_core::value::PlainValue;
use obereg_engine::consent::NewConsentEvent;
use obereg_engine::vault::{NewSubjectInput, NewValue};
use obereg_engine::{Actor, Bootstrap, Engine, Role, RootKey};

use crate::{obereg, stderr, stdout};

const CATALOG: &str = include_str!("../../../../examples/voice-robot-calls.toml");

/// A receipt file and the key it should verify against.
fn signed_receipt(dir: &std::path::Path) -> (String, String) {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = obereg_store::open(&format!("sqlite:{}", dir.join("signer.db").display())).await.unwrap();
        let engine = Engine::new(store, Arc::new(SystemClock), RootKey::generate().unwrap());
        let Bootstrap::Created(_) = engine.bootstrap("default", "Default", CATALOG, Role::Platform).await.unwrap() else { panic!() };
        let admin = Actor::local_operator("default");
        let value = NewValue {
            category: "contact.email".into(),
            value: PlainValue::new("vera@example.ru"),
            purposes: vec!["product_news".into()],
            source: "test".into(),
        };
        let s =
            engine.create_subject(&admin, NewSubjectInput { kind: "customer".into(), values: vec![value], records: vec![] }).await.unwrap();
        let doc = engine.consent_document(&admin, &["product_news".into()]).await.unwrap();
        let event = NewConsentEvent {
            purpose: "product_news".into(),
            channel: Some(Channel::Email),
            cookie: None,
            action: ConsentAction::Given,
            method: ConsentMethod::WebForm,
            document: Some(doc.sha256),
            valid_until: None,
            by_representative: false,
            evidence: None,
        };
        engine.record_consent(&admin, &s.id, event).await.unwrap();
        (engine.consent_receipt(&admin, &s.id, 0).await.unwrap(), engine.receipt_key(&admin).unwrap().public_key)
    })
}

#[test]
fn a_receipt_verifies_offline_and_a_changed_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let (file, key) = signed_receipt(dir.path());
    let path = dir.path().join("receipt.json");
    std::fs::write(&path, &file).unwrap();
    let ok = obereg(dir.path(), &["receipt", "verify", "receipt.json", "--key", &key]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("\"event_state\": \"given\""), "{}", stdout(&ok));
    assert!(stderr(&ok).contains("signature valid"));

    let unpinned = obereg(dir.path(), &["receipt", "verify", "receipt.json"]);
    assert_eq!(unpinned.status.code(), Some(0));
    assert!(stderr(&unpinned).contains("pass --key"), "without a pinned key it says what was not checked");

    let mut doc: serde_json::Value = serde_json::from_str(&file).unwrap();
    let sig = doc["signature"].as_str().unwrap().to_owned();
    let flipped = if sig.starts_with('A') { sig.replacen('A', "B", 1) } else { format!("A{}", &sig[1..]) };
    doc["signature"] = flipped.into();
    std::fs::write(&path, doc.to_string()).unwrap();
    let bad = obereg(dir.path(), &["receipt", "verify", "receipt.json", "--key", &key]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("receipt.bad_signature"), "{}", stderr(&bad));
}
