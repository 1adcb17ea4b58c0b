//! Consent documents and events on both backends.

use obereg_store::{ConsentDocumentRecord, ConsentEventRecord, StoreError};

use crate::conformance::j;
use crate::harness::each_backend;
use crate::vault::{T, setup, subject};

fn document(sha: &str) -> ConsentDocumentRecord {
    ConsentDocumentRecord {
        tenant_id: T.into(),
        sha256: sha.into(),
        purposes: "product_news".into(),
        written: false,
        catalog_version: 1,
        body_ru: "# Согласие".into(),
        body_en: "# Consent".into(),
        created_at: 5,
    }
}

fn event(idx: i64, action: &str) -> ConsentEventRecord {
    ConsentEventRecord {
        idx,
        tenant_id: T.into(),
        purpose: "product_news".into(),
        channel: Some("email".into()),
        cookie: None,
        action: action.into(),
        at: 10 + idx,
        method: "web_form".into(),
        document: Some("d1".into()),
        valid_until: None,
        by_representative: idx == 1,
        evidence: Some(vec![0xA0, 1, 2]),
    }
}

#[tokio::test]
async fn a_document_version_is_stored_once_and_read_back_whole() {
    each_backend(|db| async move {
        let store = db.open().await;
        setup(store.as_ref()).await;
        let head = store.journal_head(T).await.unwrap().unwrap().size;
        assert!(store.put_consent_document(&document("d1"), &j(T)).await.unwrap().is_some());
        assert!(store.put_consent_document(&document("d1"), &j(T)).await.unwrap().is_none(), "the same version again changes nothing");
        assert_eq!(store.journal_head(T).await.unwrap().unwrap().size, head + 1);
        assert_eq!(store.consent_document(T, "d1").await.unwrap(), Some(document("d1")));
        assert_eq!(store.consent_document("other", "d1").await.unwrap(), None);
        db
    })
    .await;
}

#[tokio::test]
async fn events_append_at_their_number_only_and_go_with_the_subject() {
    each_backend(|db| async move {
        let store = db.open().await;
        setup(store.as_ref()).await;
        store.create_subjects(T, &[subject("s-a", vec![])], &j(T)).await.unwrap();
        store.append_consent_event(T, "s-a", &event(0, "given"), &j(T)).await.unwrap().unwrap();
        // A writer that read the history before event 0 was added loses.
        let err = store.append_consent_event(T, "s-a", &event(0, "withdrawn"), &j(T)).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict("consent event")), "{err:?}");
        store.append_consent_event(T, "s-a", &event(1, "withdrawn"), &j(T)).await.unwrap().unwrap();
        assert_eq!(store.consent_events(T, "s-a").await.unwrap(), [event(0, "given"), event(1, "withdrawn")]);
        assert!(store.append_consent_event(T, "nobody", &event(0, "given"), &j(T)).await.unwrap().is_none());
        assert!(store.consent_events("other", "s-a").await.unwrap().is_empty());
        let mut bad = event(2, "given");
        bad.action = "maybe".into();
        assert!(store.append_consent_event(T, "s-a", &bad, &j(T)).await.is_err(), "the action is checked");

        store.erase_subject(T, "s-a", 50, &j(T)).await.unwrap().unwrap();
        assert!(store.consent_events(T, "s-a").await.unwrap().is_empty());
        assert!(store.append_consent_event(T, "s-a", &event(2, "given"), &j(T)).await.unwrap().is_none());
        assert_eq!(store.purge_erased(10).await.unwrap(), 1);
        db
    })
    .await;
}
