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

#[tokio::test]
async fn changes_that_decisions_depend_on_are_stamped_in_commit_order() {
    each_backend(|db| async move {
        let store = db.open().await;
        setup(store.as_ref()).await;
        let start = store.last_change(T).await.unwrap();
        assert_eq!(start, -1, "nothing changed yet");
        let feed = store.changes_since(T, start, 100).await.unwrap();
        assert!(feed.changes.is_empty() && feed.complete && feed.catalog_sha.is_none(), "no catalog yet");
        let catalog = obereg_store::NewCatalogVersion {
            tenant_id: T.into(),
            sha256: "sha-v1".into(),
            source: "# v1\n".into(),
            created_at: 2,
            created_by: None,
        };
        store.add_catalog_version(&catalog, &j(T)).await.unwrap();
        let sha = store.changes_since(T, start, 100).await.unwrap().catalog_sha;
        assert_eq!(sha.as_deref(), Some("sha-v1"), "the catalog hash rides on an empty feed too");

        store.create_subjects(T, &[subject("s-a", vec![]), subject("s-b", vec![])], &j(T)).await.unwrap();
        assert_eq!(store.last_change(T).await.unwrap(), -1, "a new subject changes no decision held anywhere");
        let given = store.append_consent_event(T, "s-a", &event(0, "given"), &j(T)).await.unwrap().unwrap();
        let restricted = store.set_subject_status(T, "s-b", "active", "restricted", 20, &j(T)).await.unwrap().unwrap();
        let revoked = store.revoke_token(T, "t1", 30, &j(T)).await.unwrap().unwrap();
        let feed = store.changes_since(T, start, 100).await.unwrap();
        let seen: Vec<(i64, &str, &str)> = feed.changes.iter().map(|c| (c.idx, c.kind.as_str(), c.key.as_str())).collect();
        assert_eq!(
            seen,
            [(given.first as i64, "subject", "s-a"), (restricted.first as i64, "subject", "s-b"), (revoked.first as i64, "token", "t1")]
        );
        assert_eq!((feed.catalog_sha, feed.complete), (sha, true));
        assert_eq!(store.last_change(T).await.unwrap(), revoked.first as i64);

        // A later change of the same subject moves its one row past the watermark.
        let mark = revoked.first as i64;
        let withdrawn = store.append_consent_event(T, "s-a", &event(1, "withdrawn"), &j(T)).await.unwrap().unwrap();
        let erased = store.erase_subject(T, "s-b", 40, &j(T)).await.unwrap().unwrap();
        let feed = store.changes_since(T, mark, 1).await.unwrap();
        assert_eq!((feed.changes.len(), feed.complete), (1, false), "the limit says when there is more");
        assert_eq!((feed.changes[0].idx, feed.changes[0].key.as_str()), (withdrawn.first as i64, "s-a"));
        let feed = store.changes_since(T, mark, 100).await.unwrap();
        assert_eq!(feed.changes.iter().map(|c| c.idx).collect::<Vec<_>>(), [withdrawn.first as i64, erased.first as i64]);
        assert!(store.changes_since("other", -1, 100).await.unwrap().changes.is_empty(), "feeds are per tenant");

        // A change that journals nothing would take a stamp it cannot own: refused, undone.
        let err = store.append_consent_event(T, "s-a", &event(2, "given"), &[]).await.unwrap_err();
        assert!(matches!(err, StoreError::InvalidJournalEntry(_)), "{err:?}");
        assert_eq!(store.consent_events(T, "s-a").await.unwrap().len(), 2);

        // Many subjects' histories at once, in subject and event order; erased ones have none.
        let many = store.consent_events_many(T, &["s-a".into(), "s-b".into(), "nobody".into()]).await.unwrap();
        assert_eq!(many.iter().map(|(id, e)| (id.as_str(), e.idx)).collect::<Vec<_>>(), [("s-a", 0), ("s-a", 1)]);
        assert_eq!(many[1].1, event(1, "withdrawn"));
        db
    })
    .await;
}
