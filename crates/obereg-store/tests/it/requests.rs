//! Requests and the outbox on both backends: the optimistic lock, the work queue order,
//! atomic notices, and claims that never hand one message to two workers.

use obereg_store::{OutboxRecord, RequestEventRecord, RequestFilter, RequestRecord, StoreError};

use crate::conformance::j;
use crate::harness::each_backend;
use crate::vault::{T, setup};

fn request(id: &str, due: &str) -> RequestRecord {
    RequestRecord {
        tenant_id: T.into(),
        id: id.into(),
        kind: "access".into(),
        jurisdiction: "ru_152fz".into(),
        channel: "api".into(),
        state: "received".into(),
        version: 0,
        subject_id: None,
        contact_blind: Some(vec![7; 16]),
        received_at: 100,
        due_on: due.into(),
        due_provisional: false,
        extended: false,
        verified_by: None,
        code_hash: None,
        code_expires_at: None,
        code_attempts: 0,
        codes_sent: 0,
        key_hash: Some(vec![1; 32]),
        sealed: vec![1, 2, 3],
        updated_at: 100,
        reminded_at: None,
        closed_at: None,
    }
}

fn message(id: &str, request: &str, at: i64) -> OutboxRecord {
    OutboxRecord {
        tenant_id: T.into(),
        id: id.into(),
        request_id: Some(request.into()),
        subject_id: None,
        recipient: None,
        channel: "email".into(),
        template: "request_received".into(),
        state: "pending".into(),
        attempts: 0,
        next_attempt_at: at,
        sealed: Some(vec![9, 9]),
        created_at: at,
        sent_at: None,
        last_error: None,
        confirmed_at: None,
    }
}

fn transition(request: &str, idx: i64, from: &str, to: &str) -> RequestEventRecord {
    RequestEventRecord {
        tenant_id: T.into(),
        request_id: request.into(),
        idx,
        at: 200,
        event: "identity_verified".into(),
        from_state: from.into(),
        to_state: to.into(),
        actor: "dpo".into(),
        sealed_note: None,
    }
}

#[tokio::test]
async fn a_request_changes_only_from_the_version_read_with_its_notice_and_entry() {
    each_backend(|db| async move {
        let store = db.open().await;
        setup(store.as_ref()).await;
        let r = request("R-1", "2026-12-01");
        store.insert_request(&r, None, &[message("m1", "R-1", 100)], &j(T)).await.unwrap();
        assert!(matches!(store.insert_request(&r, None, &[], &j(T)).await, Err(StoreError::Conflict(_))));
        assert_eq!(store.request(T, "R-1").await.unwrap(), Some(r.clone()));
        let head = store.journal_head(T).await.unwrap().unwrap().size;

        let mut next = r.clone();
        next.version = 1;
        next.state = "in_progress".into();
        next.subject_id = Some("s-1".into());
        let event = transition("R-1", 0, "received", "in_progress");
        assert!(store.update_request(&next, Some(&event), &[message("m2", "R-1", 200)], &j(T)).await.unwrap().is_some());
        assert_eq!(store.request(T, "R-1").await.unwrap(), Some(next.clone()));
        assert_eq!(store.request_events(T, "R-1").await.unwrap(), vec![event]);
        assert_eq!(store.journal_head(T).await.unwrap().unwrap().size, head + 1);

        // A second writer that read version 0 changes nothing: no row, no message, no entry.
        let mut stale = r.clone();
        stale.version = 1;
        stale.state = "refused".into();
        let event = transition("R-1", 0, "received", "refused");
        assert!(store.update_request(&stale, Some(&event), &[message("m3", "R-1", 300)], &j(T)).await.unwrap().is_none());
        assert_eq!(store.request(T, "R-1").await.unwrap().unwrap().state, "in_progress");
        let sent: Vec<String> = store.outbox_of_request(T, "R-1").await.unwrap().into_iter().map(|m| m.id).collect();
        assert_eq!(sent, ["m1", "m2"]);
        assert_eq!(store.journal_head(T).await.unwrap().unwrap().size, head + 1);
        db
    })
    .await;
}

#[tokio::test]
async fn the_queue_lists_open_requests_most_urgent_first_and_pages() {
    each_backend(|db| async move {
        let store = db.open().await;
        setup(store.as_ref()).await;
        for (id, due) in [("R-c", "2026-12-03"), ("R-a", "2026-12-01"), ("R-b", "2026-12-01"), ("R-d", "2026-11-30")] {
            store.insert_request(&request(id, due), None, &[], &j(T)).await.unwrap();
        }
        let mut closed = request("R-d", "2026-11-30");
        closed.version = 1;
        closed.state = "completed".into();
        closed.closed_at = Some(500);
        store.update_request(&closed, None, &[], &j(T)).await.unwrap().unwrap();
        let ids = |rows: Vec<RequestRecord>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
        let open = RequestFilter { open_only: true, limit: 10, ..Default::default() };
        assert_eq!(ids(store.requests(T, &open).await.unwrap()), ["R-a", "R-b", "R-c"]);
        let page = RequestFilter { limit: 2, ..open.clone() };
        assert_eq!(ids(store.requests(T, &page).await.unwrap()), ["R-a", "R-b"]);
        let rest = RequestFilter { after: Some(("2026-12-01".into(), "R-b".into())), ..open.clone() };
        assert_eq!(ids(store.requests(T, &rest).await.unwrap()), ["R-c"]);
        let due = RequestFilter { due_by: Some("2026-12-01".into()), ..open.clone() };
        assert_eq!(ids(store.requests(T, &due).await.unwrap()), ["R-a", "R-b"]);
        let all = RequestFilter { limit: 10, ..Default::default() };
        assert_eq!(ids(store.requests(T, &all).await.unwrap()), ["R-d", "R-a", "R-b", "R-c"]);
        assert_eq!(store.requests_by_contact(T, &[7; 16], 100).await.unwrap().len(), 4);
        assert!(store.requests_by_contact(T, &[7; 16], 101).await.unwrap().is_empty());
        db
    })
    .await;
}

#[tokio::test]
async fn outbox_claims_are_exclusive_and_delivery_wipes_the_payload() {
    each_backend(|db| async move {
        let store = db.open().await;
        setup(store.as_ref()).await;
        let msgs = [message("m1", "R-1", 100), message("m2", "R-1", 150), message("m3", "R-1", 900)];
        store.insert_request(&request("R-1", "2026-12-01"), None, &msgs, &j(T)).await.unwrap();
        assert_eq!(store.outbox_pending().await.unwrap(), 3);

        // Two workers at once: each due message goes to exactly one of them.
        let (a, b) = tokio::join!(store.claim_outbox(200, 10_000, 10, &["email"]), store.claim_outbox(200, 10_000, 10, &["email"]));
        let mut claimed: Vec<String> = a.unwrap().into_iter().chain(b.unwrap()).map(|m| m.id).collect();
        claimed.sort();
        assert_eq!(claimed, ["m1", "m2"]);
        assert!(store.claim_outbox(300, 10_000, 10, &["email"]).await.unwrap().is_empty(), "leased messages are not due");

        assert!(store.outbox_delivered(T, "m1", 300).await.unwrap());
        assert!(!store.outbox_delivered(T, "m1", 301).await.unwrap(), "delivered once");
        assert!(store.outbox_failed(T, "m2", Some(400), "smtp.refused").await.unwrap());
        assert!(store.outbox_failed(T, "m3", None, "smtp.rejected").await.unwrap());
        let by_id = |id: &str, all: &[OutboxRecord]| all.iter().find(|m| m.id == id).unwrap().clone();
        let all = store.outbox_of_request(T, "R-1").await.unwrap();
        let m1 = by_id("m1", &all);
        assert_eq!((m1.state.as_str(), m1.sealed, m1.sent_at, m1.attempts), ("sent", None, Some(300), 1));
        let m2 = by_id("m2", &all);
        assert_eq!((m2.state.as_str(), m2.next_attempt_at, m2.last_error.as_deref()), ("pending", 400, Some("smtp.refused")));
        assert!(m2.sealed.is_some(), "a message to retry keeps its payload");
        let m3 = by_id("m3", &all);
        assert_eq!((m3.state.as_str(), m3.sealed), ("dead", None));
        assert_eq!(store.outbox_pending().await.unwrap(), 1);
        let again: Vec<String> = store.claim_outbox(10_001, 20_000, 10, &["email"]).await.unwrap().into_iter().map(|m| m.id).collect();
        assert_eq!(again, ["m2"], "a lease that ran out makes a message due again");
        db
    })
    .await;
}
