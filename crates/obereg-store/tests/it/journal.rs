//! The journal on every backend: appends inside the change's transaction, contiguous
//! indexes under concurrency, proofs from stored hashes, checkpoints, append-only triggers.

use std::collections::HashMap;
use std::sync::Arc;

use obereg_journal::tree::{consistency_proof, inclusion_proof, plan, verify_consistency, verify_inclusion};
use obereg_journal::{Actor, Auditor, EntryDraft, Frontier, MemoryLog, NoteSigner, Outcome, Subtree, leaf_hash};
use obereg_store::{CheckpointRecord, Store, StoreError, TenantRecord, TokenRecord};
use sqlx::Connection;

use crate::conformance::j;
use crate::harness::each_backend;

pub fn draft(tenant: &str, operation: &str, subject: Option<&str>) -> EntryDraft {
    EntryDraft {
        time: jiff::Timestamp::from_second(1_800_000_000).unwrap(),
        tenant: tenant.into(),
        actor: Actor::Token { token: "tok-1".into(), role: "admin".into() },
        operation: operation.into(),
        purpose: None,
        subject: subject.map(str::to_owned),
        subjects: vec![],
        categories: vec![],
        object: None,
        request: None,
        outcome: Outcome::Ok,
    }
}

async fn tenant(store: &Arc<dyn Store>, id: &str) {
    let t = TenantRecord { id: id.into(), name: id.into(), created_at: 0 };
    let admin = TokenRecord {
        id: format!("admin-{id}"),
        tenant_id: id.into(),
        role: "admin".into(),
        label: "first".into(),
        token_hash: format!("hash-{id}").into_bytes(),
        created_at: 0,
        revoked_at: None,
    };
    store.create_tenant(&t, None, &admin, &j(id)).await.unwrap();
}

async fn size(store: &Arc<dyn Store>, tenant: &str) -> u64 {
    store.journal_head(tenant).await.unwrap().unwrap().size as u64
}

/// Everything stored for a tenant, re-checked by the auditor.
async fn audit_clean(store: &Arc<dyn Store>, tenant: &str, signer: &NoteSigner) -> u64 {
    let notes: Vec<_> = store
        .checkpoints(tenant)
        .await
        .unwrap()
        .into_iter()
        .map(|c| obereg_journal::CheckpointNote { size: c.size as u64, note: c.note })
        .collect();
    let mut auditor = Auditor::new(&signer.verifier(), &notes);
    for e in store.journal_entries(tenant, 0, u64::MAX).await.unwrap() {
        auditor.entry(e.idx as u64, &e.body, &obereg_journal::Hash::from_slice(&e.leaf_hash).unwrap());
    }
    for n in store.journal_nodes(tenant, None, u32::MAX).await.unwrap() {
        auditor.node(Subtree { level: n.level as u8, index: n.idx as u64 }, &obereg_journal::Hash::from_slice(&n.hash).unwrap());
    }
    let head = store.journal_head(tenant).await.unwrap().unwrap();
    let report = auditor.finish(head.size as u64, &head.frontier);
    assert!(report.is_clean(), "{:?}", report.findings);
    report.entries
}

#[tokio::test]
async fn appends_get_consecutive_indexes_and_hash_as_stored() {
    each_backend(|db| async move {
        let store = db.open().await;
        tenant(&store, "acme").await;
        assert_eq!(size(&store, "acme").await, 1, "tenant creation is journaled");
        let batch: Vec<_> = (0..40).map(|i| draft("acme", "extraction", Some(&format!("subj-{}", i % 3)))).collect();
        let appended = store.append_journal("acme", &batch).await.unwrap();
        assert_eq!((appended.first, appended.size), (1, 41));
        let entries = store.journal_entries("acme", 0, 100).await.unwrap();
        let mut log = MemoryLog::new();
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(e.idx as usize, i);
            assert_eq!(e.leaf_hash, leaf_hash(&e.body).0.to_vec());
            assert!(e.body.starts_with(obereg_journal::Entry::prefix(i as u64).as_bytes()));
            log.push(&e.body);
        }
        let head = store.journal_head("acme").await.unwrap().unwrap();
        let frontier = Frontier::from_bytes(head.size as u64, &head.frontier).unwrap();
        assert_eq!(frontier.root(), log.root());
        // Interior hashes: exactly those a memory log keeps, e.g. the 16-leaf subtrees.
        let stored: HashMap<_, _> = store
            .journal_nodes("acme", None, 1000)
            .await
            .unwrap()
            .into_iter()
            .map(|n| (Subtree { level: n.level as u8, index: n.idx as u64 }, n.hash))
            .collect();
        let expected: HashMap<_, _> = log.interior().map(|(s, h)| (s, h.0.to_vec())).collect();
        assert_eq!(stored, expected);
        assert_eq!(stored.len(), 2);
        // Paging through nodes.
        let first = store.journal_nodes("acme", None, 1).await.unwrap();
        let rest = store.journal_nodes("acme", Some((first[0].level as u8, first[0].idx as u64)), 10).await.unwrap();
        assert_eq!(first.len() + rest.len(), 2);
        // By subject.
        let about = store.journal_subject_entries("acme", "subj-1", 0, 100).await.unwrap();
        assert_eq!(about.len(), 13);
        let page = store.journal_subject_entries("acme", "subj-1", about[5].idx as u64 + 1, 3).await.unwrap();
        assert_eq!(page.iter().map(|e| e.idx).collect::<Vec<_>>(), about[6..9].iter().map(|e| e.idx).collect::<Vec<_>>());
        db
    })
    .await;
}

#[tokio::test]
async fn an_entry_naming_several_subjects_is_found_by_each_and_by_no_one_else() {
    each_backend(|db| async move {
        let store = db.open().await;
        tenant(&store, "acme").await;
        let mut several = draft("acme", "use", None);
        several.subjects = vec!["subj-a".into(), "subj-b".into(), "subj-c".into()];
        let batch = vec![draft("acme", "extraction", Some("subj-a")), several, draft("acme", "extraction", Some("subj-b"))];
        let appended = store.append_journal("acme", &batch).await.unwrap();
        // The by-subject rows are written behind the append, by the first by-subject read
        // (or an explicit call), once: three rows for the one entry.
        assert_eq!(store.index_journal_subjects("acme").await.unwrap(), 3);
        assert_eq!(store.index_journal_subjects("acme").await.unwrap(), 0);
        let mut later = draft("acme", "use", None);
        later.subjects = vec!["subj-c".into(), "subj-d".into()];
        let later_at = store.append_journal("acme", &[later]).await.unwrap().first;
        let found = |subject: &'static str| {
            let store = store.clone();
            async move {
                let forward = store.journal_subject_entries("acme", subject, 0, 100).await.unwrap();
                let latest = store.journal_subject_latest("acme", subject, 100).await.unwrap();
                assert_eq!(forward.iter().rev().map(|e| e.idx).collect::<Vec<_>>(), latest.iter().map(|e| e.idx).collect::<Vec<_>>());
                forward.iter().map(|e| e.idx as u64).collect::<Vec<_>>()
            }
        };
        let first = appended.first;
        assert_eq!(found("subj-a").await, [first, first + 1]);
        assert_eq!(found("subj-b").await, [first + 1, first + 2]);
        assert_eq!(found("subj-c").await, [first + 1, later_at], "indexed by the read itself");
        assert_eq!(found("subj-d").await, [later_at]);
        assert!(found("subj-e").await.is_empty());
        assert_eq!(store.index_journal_subjects("acme").await.unwrap(), 0);
        // Paging skips what came before `from`, and the newest page is the newest entry.
        assert_eq!(store.journal_subject_entries("acme", "subj-b", first + 2, 10).await.unwrap().len(), 1);
        assert_eq!(store.journal_subject_latest("acme", "subj-b", 1).await.unwrap()[0].idx as u64, first + 2);
        // The body lists the subjects; the log audits clean.
        let body = &store.journal_entries("acme", first + 1, first + 2).await.unwrap()[0].body;
        assert!(String::from_utf8_lossy(body).contains("\"subjects\":[\"subj-a\",\"subj-b\",\"subj-c\"]"));
        audit_clean(&store, "acme", &NoteSigner::from_seed("test/acme", &[1; 32]).unwrap()).await;
        // A draft naming one subject both ways is refused, and nothing is written.
        let mut both = draft("acme", "use", Some("subj-a"));
        both.subjects = vec!["subj-b".into(), "subj-c".into()];
        assert!(matches!(store.append_journal("acme", &[both]).await, Err(StoreError::InvalidJournalEntry(_))));
        assert_eq!(size(&store, "acme").await, later_at + 1);
        db
    })
    .await;
}

#[tokio::test]
async fn proofs_from_stored_hashes_verify() {
    each_backend(|db| async move {
        let store = db.open().await;
        tenant(&store, "acme").await;
        let batch: Vec<_> = (0..300).map(|_| draft("acme", "use", None)).collect();
        store.append_journal("acme", &batch).await.unwrap();
        let entries = store.journal_entries("acme", 0, 1000).await.unwrap();
        let mut log = MemoryLog::new();
        let roots: Vec<_> = entries
            .iter()
            .map(|e| {
                log.push(&e.body);
                log.root()
            })
            .collect();
        for (index, size) in [(0u64, 301u64), (150, 301), (300, 301), (17, 64), (5, 6)] {
            let ranges = obereg_journal::tree::inclusion_ranges(index, size).unwrap();
            let fetched: HashMap<_, _> = store.journal_hashes("acme", &plan(&ranges)).await.unwrap().into_iter().collect();
            let proof = inclusion_proof(&fetched, index, size).unwrap();
            verify_inclusion(&leaf_hash(&entries[index as usize].body), index, size, &proof, &roots[size as usize - 1]).unwrap();
        }
        for (from, to) in [(1u64, 301u64), (64, 301), (100, 257), (300, 301)] {
            let ranges = obereg_journal::tree::consistency_ranges(from, to).unwrap();
            let fetched: HashMap<_, _> = store.journal_hashes("acme", &plan(&ranges)).await.unwrap().into_iter().collect();
            let proof = consistency_proof(&fetched, from, to).unwrap();
            verify_consistency(from, to, &roots[from as usize - 1], &roots[to as usize - 1], &proof).unwrap();
        }
        assert!(store.journal_hashes("acme", &[]).await.unwrap().is_empty());
        db
    })
    .await;
}

#[tokio::test]
async fn concurrent_appends_never_share_an_index() {
    each_backend(|db| async move {
        let store = db.open().await;
        tenant(&store, "acme").await;
        let writers = (0..8).map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..25 {
                    let batch: Vec<_> = (0..=(i % 3)).map(|_| draft("acme", &format!("op.w{w}"), None)).collect();
                    store.append_journal("acme", &batch).await.unwrap();
                }
            })
        });
        for w in writers {
            w.await.unwrap();
        }
        // 1 (tenant) + 8 writers × (9×1 + 8×2 + 8×3) entries.
        assert_eq!(size(&store, "acme").await, 1 + 8 * 49);
        let signer = NoteSigner::from_seed("test/acme", &[1; 32]).unwrap();
        assert_eq!(audit_clean(&store, "acme", &signer).await, 393);
        db
    })
    .await;
}

#[tokio::test]
async fn a_failed_change_leaves_no_entry_and_a_bad_entry_undoes_the_change() {
    each_backend(|db| async move {
        let store = db.open().await;
        tenant(&store, "acme").await;
        let before = size(&store, "acme").await;
        let clash = TokenRecord {
            id: "other".into(),
            tenant_id: "acme".into(),
            role: "admin".into(),
            label: "x".into(),
            token_hash: b"hash-acme".to_vec(),
            created_at: 0,
            revoked_at: None,
        };
        assert!(matches!(store.add_token(&clash, &j("acme")).await, Err(StoreError::Conflict(_))));
        assert!(store.revoke_token("acme", "no-such-token", 1, &j("acme")).await.unwrap().is_none());
        assert_eq!(size(&store, "acme").await, before, "no entry without its change");

        let mut fresh = clash.clone();
        fresh.token_hash = b"fresh".to_vec();
        let mut bad = draft("acme", "token.issued", None);
        bad.purpose = Some("позвонить Ивану".into());
        let err = store.add_token(&fresh, &[bad]).await.unwrap_err();
        assert_eq!(err.code(), "journal.invalid_entry");
        assert_eq!(store.token_by_hash(b"fresh").await.unwrap(), None, "no change without its entry");
        let foreign = draft("beta", "token.issued", None);
        assert!(store.add_token(&fresh, &[foreign]).await.is_err(), "entries belong to the tenant written");
        assert_eq!(size(&store, "acme").await, before);
        assert!(matches!(store.append_journal("ghost", &j("ghost")).await, Err(StoreError::NotFound("journal"))));
        db
    })
    .await;
}

#[tokio::test]
async fn tenants_have_separate_logs() {
    each_backend(|db| async move {
        let store = db.open().await;
        tenant(&store, "acme").await;
        tenant(&store, "beta").await;
        store.append_journal("acme", &[draft("acme", "use", Some("s1"))]).await.unwrap();
        assert_eq!(size(&store, "acme").await, 2);
        assert_eq!(size(&store, "beta").await, 1);
        assert!(store.journal_subject_entries("beta", "s1", 0, 10).await.unwrap().is_empty());
        assert_eq!(store.journal_entries("beta", 0, 10).await.unwrap().len(), 1);
        assert_eq!(store.journal_head("ghost").await.unwrap(), None);
        db
    })
    .await;
}

#[tokio::test]
async fn checkpoints_are_kept_once_per_size() {
    each_backend(|db| async move {
        let store = db.open().await;
        tenant(&store, "acme").await;
        let record = |size: i64| CheckpointRecord {
            tenant_id: "acme".into(),
            size,
            root: vec![size as u8; 32],
            note: format!("note {size}"),
            signed_at: size * 10,
        };
        assert_eq!(store.latest_checkpoint("acme").await.unwrap(), None);
        assert!(store.add_checkpoint(&record(5)).await.unwrap());
        assert!(store.add_checkpoint(&record(2)).await.unwrap());
        assert!(!store.add_checkpoint(&record(5)).await.unwrap(), "one checkpoint per size");
        assert_eq!(store.latest_checkpoint("acme").await.unwrap(), Some(record(5)));
        assert_eq!(store.checkpoints("acme").await.unwrap(), vec![record(2), record(5)]);
        assert_eq!(store.checkpoint_at("acme", 2).await.unwrap(), Some(record(2)));
        assert_eq!(store.checkpoint_at("acme", 3).await.unwrap(), None);
        assert!(store.checkpoints("beta").await.unwrap().is_empty());
        db
    })
    .await;
}

#[tokio::test]
async fn the_database_refuses_to_change_or_delete_journal_rows() {
    each_backend(|db| async move {
        let store = db.open().await;
        tenant(&store, "acme").await;
        let mut several = draft("acme", "use", None);
        several.subjects = vec!["subj-a".into(), "subj-b".into()];
        store.append_journal("acme", &[several]).await.unwrap();
        store.index_journal_subjects("acme").await.unwrap();
        let statements = [
            "UPDATE journal_entries SET subject_id = 'x'",
            "DELETE FROM journal_entries",
            "DELETE FROM journal_nodes",
            "DELETE FROM journal_checkpoints",
            "UPDATE journal_subjects SET subject_id = 'x'",
            "DELETE FROM journal_subjects",
        ];
        for sql in statements {
            let result = if db.url.starts_with("sqlite:") {
                let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
                sqlx::query(sql).execute(&mut conn).await.map(|_| ())
            } else {
                let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::query(sql).execute(&mut conn).await.map(|_| ())
            };
            // Deleting from an empty table fires no row trigger; these tables are not empty.
            if sql.contains("journal_entries") || sql.contains("journal_subjects") {
                let err = result.unwrap_err().to_string();
                assert!(err.contains("append-only"), "{sql}: {err}");
            }
        }
        assert_eq!(size(&store, "acme").await, 2);
        assert_eq!(store.journal_entries("acme", 0, 10).await.unwrap().len(), 2);
        assert_eq!(store.journal_subject_entries("acme", "subj-b", 0, 10).await.unwrap().len(), 1);
        db
    })
    .await;
}
