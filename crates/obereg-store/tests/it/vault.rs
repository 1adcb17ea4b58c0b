//! The vault's store behaviour on every backend: subjects with keys and items stored
//! together, lookup by blind index, status changes, crypto-shredding erasure with a later
//! purge, and key re-wrapping that never resurrects an erased key.

use obereg_store::{ItemChange, ItemRecord, KeySlot, NewSubject, StoreError, SubjectKeyRecord, SubjectRecord, TenantRecord, TokenRecord};

use crate::conformance::j;
use crate::harness::each_backend;

pub const T: &str = "acme";

pub async fn setup(store: &dyn obereg_store::Store) {
    let tenant = TenantRecord { id: T.into(), name: "Acme".into(), created_at: 1 };
    let token = TokenRecord {
        id: "t1".into(),
        tenant_id: T.into(),
        role: "admin".into(),
        label: "x".into(),
        token_hash: vec![1; 32],
        created_at: 1,
        revoked_at: None,
    };
    store.create_tenant(&tenant, None, &token, &j(T)).await.unwrap();
}

fn item(subject: &str, id: &str, category: &str, blind: Option<u8>) -> ItemRecord {
    ItemRecord {
        tenant_id: T.into(),
        subject_id: subject.into(),
        id: id.into(),
        kind: "attribute".into(),
        category: category.into(),
        purposes: "account".into(),
        source: "api".into(),
        collected_at: 10,
        occurred_at: None,
        blind: blind.map(|b| vec![b; 16]),
        token: None,
        sealed: vec![0xA0, b'x'],
    }
}

pub fn subject(id: &str, items: Vec<ItemRecord>) -> NewSubject {
    NewSubject {
        subject: SubjectRecord {
            tenant_id: T.into(),
            id: id.into(),
            kind: "customer".into(),
            status: "active".into(),
            created_at: 10,
            updated_at: 10,
            restricted_at: None,
            erased_at: None,
        },
        key: SubjectKeyRecord {
            tenant_id: T.into(),
            subject_id: id.into(),
            dek_version: 1,
            kek_version: 1,
            wrapped: vec![7; 60],
            created_at: 10,
        },
        items,
    }
}

#[tokio::test]
async fn subjects_are_stored_with_keys_and_items_and_found_by_blind_index() {
    each_backend(|db| async move {
        let store = db.open().await;
        setup(store.as_ref()).await;
        let a = subject("s-a", vec![item("s-a", "i1", "contact.phone", Some(1)), item("s-a", "i2", "contact.email", Some(2))]);
        let b = subject("s-b", vec![item("s-b", "i3", "contact.phone", Some(3))]);
        let appended = store.create_subjects(T, &[a, b], &j(T)).await.unwrap();
        assert_eq!(appended.size - appended.first, 1);
        let got = store.subject(T, "s-a").await.unwrap().unwrap();
        assert_eq!(got.subject.status, "active");
        assert_eq!(got.key.unwrap().wrapped, vec![7; 60]);
        assert_eq!(got.items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["i1", "i2"]);
        let (head, key) = store.subject_head(T, "s-a").await.unwrap().unwrap();
        assert_eq!((head.id.as_str(), key.unwrap().wrapped), ("s-a", vec![7; 60]), "the head carries the key, not the items");
        assert!(store.subject_head(T, "nobody").await.unwrap().is_none());
        let found = store.find_subjects(T, "contact.phone", &[vec![1; 16], vec![3; 16], vec![9; 16]]).await.unwrap();
        let mut ids: Vec<_> = found.iter().map(|(_, s)| s.id.as_str()).collect();
        ids.sort();
        assert_eq!(ids, ["s-a", "s-b"]);
        // Same blind index, other category: no match.
        assert!(store.find_subjects(T, "contact.email", &[vec![1; 16]]).await.unwrap().is_empty());
        assert!(store.find_subjects("other", "contact.phone", &[vec![1; 16]]).await.unwrap().is_empty());
        assert!(store.subject("other", "s-a").await.unwrap().is_none());
        db
    })
    .await;
}

#[tokio::test]
async fn a_subjects_categories_and_one_categorys_sealed_items_come_from_the_category_index() {
    each_backend(|db| async move {
        let store = db.open().await;
        setup(store.as_ref()).await;
        // Many records of one category around a single name: the act of an erasure asks
        // for the distinct categories and for the name only.
        let mut items: Vec<ItemRecord> = (0..50).map(|n| item("s-a", &format!("r{n:02}"), "call.record", None)).collect();
        items.push(item("s-a", "n1", "identity.name", None));
        items.push(item("s-a", "p1", "contact.phone", Some(1)));
        items.push(item("s-a", "p2", "contact.phone", Some(2)));
        let b = subject("s-b", vec![item("s-b", "n2", "identity.name", None)]);
        store.create_subjects(T, &[subject("s-a", items), b], &j(T)).await.unwrap();
        let seq_a = store.subject_seq(T, "s-a").await.unwrap().unwrap();
        let seq_b = store.subject_seq(T, "s-b").await.unwrap().unwrap();
        assert_eq!(store.subject_categories(seq_a).await.unwrap(), ["call.record", "contact.phone", "identity.name"]);
        assert_eq!(store.subject_categories(seq_b).await.unwrap(), ["identity.name"]);
        assert!(store.subject_categories(seq_b + 1000).await.unwrap().is_empty(), "no such subject: no categories");
        let names = store.sealed_items_of(T, &[seq_a, seq_b], "identity.name").await.unwrap();
        let mut got: Vec<(&str, &str)> = names.iter().map(|(i, k)| (i.id.as_str(), k.subject_id.as_str())).collect();
        got.sort();
        assert_eq!(got, [("n1", "s-a"), ("n2", "s-b")]);
        assert!(store.sealed_items_of("other", &[seq_a], "identity.name").await.unwrap().is_empty(), "another tenant's ask finds nothing");
        db
    })
    .await;
}

#[tokio::test]
async fn a_duplicate_subject_or_item_rolls_the_whole_batch_back() {
    each_backend(|db| async move {
        let store = db.open().await;
        setup(store.as_ref()).await;
        store.create_subjects(T, &[subject("s-a", vec![])], &j(T)).await.unwrap();
        let head = store.journal_head(T).await.unwrap().unwrap().size;
        let err = store.create_subjects(T, &[subject("s-new", vec![]), subject("s-a", vec![])], &j(T)).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        assert!(store.subject(T, "s-new").await.unwrap().is_none());
        let dup_items = subject("s-c", vec![item("s-c", "i1", "x", None), item("s-c", "i1", "x", None)]);
        assert!(store.create_subjects(T, &[dup_items], &j(T)).await.is_err());
        assert!(store.subject(T, "s-c").await.unwrap().is_none());
        assert_eq!(store.keystore_status().await.unwrap().keys_by_version, [(1, 1)], "no key of a failed batch stays");
        assert_eq!(store.journal_head(T).await.unwrap().unwrap().size, head, "nothing journaled");
        db
    })
    .await;
}

#[tokio::test]
async fn item_changes_need_an_allowed_status_and_existing_items() {
    each_backend(|db| async move {
        let store = db.open().await;
        setup(store.as_ref()).await;
        store.create_subjects(T, &[subject("s-a", vec![item("s-a", "i1", "contact.phone", Some(1))])], &j(T)).await.unwrap();
        let mut replaced = item("s-a", "i1", "contact.phone", Some(5));
        replaced.sealed = vec![0xA0, b'y'];
        let change = |update: Vec<ItemRecord>, delete: Vec<String>, expected: &'static str| ItemChange {
            tenant_id: T.into(),
            subject_id: "s-a".into(),
            expected_status: expected,
            at: 20,
            insert: vec![item("s-a", "i9", "contact.email", None)],
            update,
            delete,
        };
        // Wrong status: nothing happens.
        assert!(store.change_items(&change(vec![replaced.clone()], vec![], "restricted"), &j(T)).await.unwrap().is_none());
        assert_eq!(store.subject(T, "s-a").await.unwrap().unwrap().items.len(), 1);
        // A missing item rolls back the insert too.
        let err = store.change_items(&change(vec![], vec!["nope".into()], "active"), &j(T)).await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound("item")), "{err:?}");
        assert_eq!(store.subject(T, "s-a").await.unwrap().unwrap().items.len(), 1);
        store.change_items(&change(vec![replaced], vec![], "active"), &j(T)).await.unwrap().unwrap();
        let items = store.subject(T, "s-a").await.unwrap().unwrap().items;
        assert_eq!(items.len(), 2);
        assert_eq!(items.iter().find(|i| i.id == "i1").unwrap().sealed, vec![0xA0, b'y']);
        assert!(store.find_subjects(T, "contact.phone", &[vec![1; 16]]).await.unwrap().is_empty(), "old index gone");
        assert_eq!(store.find_subjects(T, "contact.phone", &[vec![5; 16]]).await.unwrap().len(), 1);
        db
    })
    .await;
}

#[tokio::test]
async fn restriction_moves_between_allowed_states_only() {
    each_backend(|db| async move {
        let store = db.open().await;
        setup(store.as_ref()).await;
        store.create_subjects(T, &[subject("s-a", vec![])], &j(T)).await.unwrap();
        assert!(store.set_subject_status(T, "s-a", "active", "restricted", 30, &j(T)).await.unwrap().is_some());
        let s = store.subject(T, "s-a").await.unwrap().unwrap().subject;
        assert_eq!((s.status.as_str(), s.restricted_at), ("restricted", Some(30)));
        assert!(store.set_subject_status(T, "s-a", "active", "restricted", 31, &j(T)).await.unwrap().is_none());
        assert!(store.set_subject_status(T, "s-a", "restricted", "active", 32, &j(T)).await.unwrap().is_some());
        assert!(store.set_subject_status(T, "nope", "active", "restricted", 33, &j(T)).await.unwrap().is_none());
        db
    })
    .await;
}

#[tokio::test]
async fn erasure_destroys_the_key_at_once_and_purge_removes_the_rows() {
    each_backend(|db| async move {
        let store = db.open().await;
        setup(store.as_ref()).await;
        let many: Vec<_> = (0..50).map(|n| item("s-a", &format!("i{n:03}"), "contact.phone", Some(1))).collect();
        store
            .create_subjects(T, &[subject("s-a", many), subject("s-b", vec![item("s-b", "i1", "contact.phone", Some(1))])], &j(T))
            .await
            .unwrap();
        let head = store.journal_head(T).await.unwrap().unwrap().size;
        assert!(store.erase_subject(T, "s-a", 40, &j(T)).await.unwrap().is_some());
        assert_eq!(store.journal_head(T).await.unwrap().unwrap().size, head + 1);
        let gone = store.subject(T, "s-a").await.unwrap().unwrap();
        assert_eq!((gone.subject.status.as_str(), gone.subject.erased_at), ("erased", Some(40)));
        assert!(gone.key.is_none(), "the key went with the erasure");
        assert!(gone.items.is_empty());
        let found = store.find_subjects(T, "contact.phone", &[vec![1; 16]]).await.unwrap();
        assert_eq!(found.iter().map(|(_, s)| s.id.as_str()).collect::<Vec<_>>(), ["s-b"], "erased subjects are not found");
        assert!(store.erase_subject(T, "s-a", 41, &j(T)).await.unwrap().is_none(), "erasing twice does nothing");
        assert_eq!(store.purge_erased(10).await.unwrap(), 1);
        assert_eq!(store.purge_erased(10).await.unwrap(), 0, "purge is idempotent");
        assert_eq!(store.keystore_status().await.unwrap().keys_by_version, [(1, 1)]);
        db
    })
    .await;
}

#[tokio::test]
async fn rewrapping_moves_keys_to_a_new_version_but_never_revives_erased_ones() {
    each_backend(|db| async move {
        let store = db.open().await;
        setup(store.as_ref()).await;
        let subjects: Vec<_> = (0..5).map(|n| subject(&format!("s-{n}"), vec![])).collect();
        store.create_subjects(T, &subjects, &j(T)).await.unwrap();
        assert_eq!(store.add_kek_version(50).await.unwrap(), 2);
        assert_eq!(store.keystore_status().await.unwrap().current_version, 2);
        let first = store.keys_to_rewrap(2, None, 3).await.unwrap();
        // Slots follow creation order.
        assert_eq!(first.iter().map(|k| k.key.subject_id.as_str()).collect::<Vec<_>>(), ["s-0", "s-1", "s-2"]);
        let rest = store.keys_to_rewrap(2, Some(first.last().unwrap().slot), 10).await.unwrap();
        assert_eq!(rest.iter().map(|k| k.key.subject_id.as_str()).collect::<Vec<_>>(), ["s-3", "s-4"]);
        // s-0 is erased between reading and re-wrapping: its key must stay gone.
        store.erase_subject(T, "s-0", 60, &j(T)).await.unwrap();
        let rewrapped: Vec<_> = first
            .iter()
            .map(|k| KeySlot { slot: k.slot, key: SubjectKeyRecord { kek_version: 2, wrapped: vec![8; 60], ..k.key.clone() } })
            .collect();
        assert_eq!(store.rewrap_keys(&rewrapped, &[1, 1, 1]).await.unwrap(), 2);
        assert!(store.subject(T, "s-0").await.unwrap().unwrap().key.is_none());
        // A stale re-wrap (expected version no longer there) changes nothing.
        assert_eq!(store.rewrap_keys(&rewrapped[1..], &[1, 1]).await.unwrap(), 0);
        let status = store.keystore_status().await.unwrap();
        assert_eq!(status.keys_by_version, [(1, 2), (2, 2)]);
        db
    })
    .await;
}

#[tokio::test]
async fn a_blind_index_stays_while_any_item_of_the_subject_carries_it() {
    each_backend(|db| async move {
        let store = db.open().await;
        setup(store.as_ref()).await;
        // The same phone twice on one subject (say, from two sources), and once on another.
        let a = subject("s-a", vec![item("s-a", "i1", "contact.phone", Some(1)), item("s-a", "i2", "contact.phone", Some(1))]);
        let b = subject("s-b", vec![item("s-b", "i3", "contact.phone", Some(1))]);
        store.create_subjects(T, &[a, b], &j(T)).await.unwrap();
        let found = |store: std::sync::Arc<dyn obereg_store::Store>| async move {
            let mut ids: Vec<String> =
                store.find_subjects(T, "contact.phone", &[vec![1; 16]]).await.unwrap().into_iter().map(|(_, s)| s.id).collect();
            ids.sort();
            ids
        };
        assert_eq!(found(store.clone()).await, ["s-a", "s-b"], "each subject once");
        let delete = |id: &str| ItemChange {
            tenant_id: T.into(),
            subject_id: "s-a".into(),
            expected_status: "active",
            at: 20,
            insert: vec![],
            update: vec![],
            delete: vec![id.into()],
        };
        store.change_items(&delete("i1"), &j(T)).await.unwrap().unwrap();
        assert_eq!(found(store.clone()).await, ["s-a", "s-b"], "i2 still carries the phone");
        store.change_items(&delete("i2"), &j(T)).await.unwrap().unwrap();
        assert_eq!(found(store.clone()).await, ["s-b"], "the last one took the index with it");
        db
    })
    .await;
}

/// Runs the migrations before the vault layout change, stores a subject the old way, and
/// opens the store (which applies the rest): everything must still be there and usable.
#[tokio::test]
async fn the_layout_migration_keeps_subjects_keys_items_and_blind_indexes() {
    use sqlx::Connection;
    each_backend(|db| async move {
        let backend = if db.url.starts_with("sqlite:") { "sqlite" } else { "postgres" };
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
        let before = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(&source).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap().to_string_lossy().as_ref() < "20261121000004" {
                std::fs::copy(&path, before.path().join(path.file_name().unwrap())).unwrap();
            }
        }
        let migrator = sqlx::migrate::Migrator::new(before.path()).await.unwrap();
        macro_rules! seed {
            ($conn:expr) => {{
                migrator.run(&mut $conn).await.unwrap();
                let statements: [(&str, Vec<Option<Vec<u8>>>); 7] = [
                    ("INSERT INTO tenants (id, name, created_at) VALUES ('t1', 'Acme', 1)", vec![]),
                    ("INSERT INTO journal_heads (tenant_id, size, frontier) VALUES ('t1', 0, $1)", vec![Some(vec![])]),
                    (
                        "INSERT INTO subjects (tenant_id, id, kind, status, created_at, updated_at) VALUES ('t1', 's-a', 'customer', 'active', 5, 5)",
                        vec![],
                    ),
                    (
                        "INSERT INTO subjects (tenant_id, id, kind, status, created_at, updated_at, erased_at) VALUES ('t1', 's-e', 'customer', 'erased', 4, 6, 6)",
                        vec![],
                    ),
                    (
                        "INSERT INTO keystore.subject_keys (tenant_id, subject_id, dek_version, kek_version, wrapped, created_at) \
                         VALUES ('t1', 's-a', 1, 1, $1, 5)",
                        vec![Some(vec![7; 60])],
                    ),
                    (
                        "INSERT INTO subject_items (tenant_id, subject_id, id, kind, category, purposes, source, collected_at, blind, sealed) \
                         VALUES ('t1', 's-a', 'i1', 'attribute', 'contact.phone', 'account', 'api', 5, $1, $2)",
                        vec![Some(vec![1; 16]), Some(vec![0xA0, b'x'])],
                    ),
                    (
                        "INSERT INTO subject_items (tenant_id, subject_id, id, kind, category, purposes, source, collected_at, blind, sealed) \
                         VALUES ('t1', 's-e', 'i2', 'attribute', 'contact.phone', 'account', 'api', 4, $1, $2)",
                        vec![Some(vec![1; 16]), Some(vec![0xA0, b'y'])],
                    ),
                ];
                for (sql, binds) in statements {
                    let mut q = sqlx::query(sql);
                    for b in binds {
                        q = q.bind(b);
                    }
                    q.execute(&mut $conn).await.unwrap();
                }
                $conn.close().await.unwrap();
            }};
        }
        if backend == "sqlite" {
            let path = db.url.trim_start_matches("sqlite:");
            let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).create_if_missing(true);
            let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
            let keystore = obereg_store::keystore_path(std::path::Path::new(path));
            sqlx::query("ATTACH DATABASE $1 AS keystore").bind(keystore.display().to_string()).execute(&mut conn).await.unwrap();
            seed!(conn);
        } else {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            seed!(conn);
        }

        let store = db.open().await;
        let a = store.subject("t1", "s-a").await.unwrap().unwrap();
        assert_eq!(a.key.unwrap().wrapped, vec![7; 60]);
        assert_eq!(a.items.iter().map(|i| (i.id.as_str(), i.sealed.clone())).collect::<Vec<_>>(), [("i1", vec![0xA0, b'x'])]);
        let found = store.find_subjects("t1", "contact.phone", &[vec![1; 16]]).await.unwrap();
        assert_eq!(found.iter().map(|(_, s)| s.id.as_str()).collect::<Vec<_>>(), ["s-a"], "the erased subject is never found");
        assert_eq!(store.keys_to_rewrap(2, None, 10).await.unwrap().len(), 1);
        // The erased subject's rows still go at purge time, and new subjects go after the old.
        assert_eq!(store.purge_erased(10).await.unwrap(), 1);
        store.create_subjects("t1", &[subject_in("t1", "s-new")], &j("t1")).await.unwrap();
        let slots: Vec<String> = store.keys_to_rewrap(2, None, 10).await.unwrap().into_iter().map(|k| k.key.subject_id).collect();
        assert_eq!(slots, ["s-a", "s-new"]);
        db
    })
    .await;
}

fn subject_in(tenant: &str, id: &str) -> NewSubject {
    let mut s = subject(id, vec![]);
    s.subject.tenant_id = tenant.into();
    s.key.tenant_id = tenant.into();
    s
}

/// `(mxFrame, nBackfill)` of a SQLite database's wal-index: frames in the log and frames
/// already copied into the database file (SQLite's documented layout, machine byte order).
fn wal_frames(db: &str) -> (u32, u32) {
    let shm = std::fs::read(format!("{db}-shm")).expect("the wal-index exists");
    let word = |at: usize| u32::from_ne_bytes(shm[at..at + 4].try_into().unwrap());
    (word(16), word(96))
}

#[tokio::test]
async fn a_long_write_ahead_log_is_checkpointed_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("obereg.db").display().to_string();
    let store = obereg_store::open(&format!("sqlite:{path}")).await.unwrap();
    setup(store.as_ref()).await;
    // About 40 MiB of pages in one transaction: past the background threshold (4096 frames,
    // 32 MiB of 8 KiB pages), far below the writer's own auto-checkpoint (1 GiB), which
    // therefore does not run.
    let subjects: Vec<NewSubject> = (0..20)
        .map(|n| {
            let id = format!("s-{n}");
            let items = (0..20)
                .map(|i| ItemRecord { sealed: vec![n as u8; 100_000], ..item(&id, &format!("i{i}"), "identity.name", None) })
                .collect();
            subject(&id, items)
        })
        .collect();
    store.create_subjects(T, &subjects, &j(T)).await.unwrap();
    let (frames, _) = wal_frames(&path);
    assert!(frames > 4096, "the batch left {frames} frames in the log");
    let mut waited = 0;
    loop {
        let (frames, copied) = wal_frames(&path);
        if copied == frames {
            break;
        }
        assert!(waited < 200, "after 10 s only {copied} of {frames} frames were checkpointed");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    let got = store.subject(T, "s-7").await.unwrap().unwrap();
    assert_eq!(got.items.len(), 20);
    assert!(got.items.iter().all(|i| i.sealed == vec![7u8; 100_000]), "the checkpoint copied what was committed");
}

#[tokio::test]
async fn a_batch_is_written_in_key_order_yet_every_subject_keeps_its_own_key_items_and_blinds() {
    each_backend(|db| async move {
        let store = db.open().await;
        setup(store.as_ref()).await;
        // More subjects than one multi-row insert takes (1,000) and more blinds than one
        // lookup query (900), with ids and blind indexes in no particular order.
        let ids: Vec<String> = (0..1500u32).map(|n| format!("s-{:08x}", n.wrapping_mul(2_654_435_761))).collect();
        let blind = |n: usize| {
            let mut b = vec![0u8; 16];
            b[..8].copy_from_slice(&(n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes());
            b
        };
        let subjects: Vec<NewSubject> = ids
            .iter()
            .enumerate()
            .map(|(n, id)| {
                let mut s = subject(id, vec![ItemRecord { blind: Some(blind(n)), ..item(id, "phone", "contact.phone", None) }]);
                s.key.wrapped = id.as_bytes().to_vec();
                s
            })
            .collect();
        store.create_subjects(T, &subjects, &j(T)).await.unwrap();
        let wanted: Vec<Vec<u8>> = (0..ids.len()).rev().map(blind).collect();
        let found = store.find_subjects(T, "contact.phone", &wanted).await.unwrap();
        assert_eq!(found.len(), ids.len());
        for (b, s) in &found {
            let n = (0..ids.len()).find(|&n| blind(n) == *b).expect("a blind that was asked for");
            assert_eq!(s.id, ids[n], "blind {n} leads to its own subject");
        }
        for id in ids.iter().step_by(97) {
            let got = store.subject(T, id).await.unwrap().unwrap();
            assert_eq!(got.key.unwrap().wrapped, id.as_bytes(), "{id} has its own key");
            assert_eq!(got.items.len(), 1);
            assert_eq!(got.items[0].subject_id, *id);
        }
        db
    })
    .await;
}

#[tokio::test]
async fn contact_pages_read_subjects_in_order_with_their_blinds_and_the_feed_says_when_some_are_new() {
    each_backend(|db| async move {
        let store = db.open().await;
        setup(store.as_ref()).await;
        let before = store.last_change(T).await.unwrap();
        let a = subject(
            "s-a",
            vec![
                item("s-a", "i1", "contact.phone", Some(1)),
                item("s-a", "i2", "contact.email", Some(2)),
                item("s-a", "i3", "identity.name", None),
            ],
        );
        let b = subject("s-b", vec![item("s-b", "i4", "contact.phone", Some(3))]);
        store.create_subjects(T, &[a, b], &j(T)).await.unwrap();
        store.create_subjects(T, &[subject("s-c", vec![item("s-c", "i5", "contact.phone", Some(4))])], &j(T)).await.unwrap();
        let feed = store.changes_since(T, before, 100).await.unwrap();
        assert!(feed.changes.iter().any(|c| c.kind == "contacts" && c.key == "new"), "{feed:?}");
        // Pages of two, by number: every subject once, with every blind it holds.
        let first = store.contact_rows(T, -1, 2).await.unwrap();
        assert_eq!(first.subjects.len(), 2);
        let second = store.contact_rows(T, first.last.unwrap(), 2).await.unwrap();
        assert_eq!(second.subjects.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["s-c"]);
        assert!(store.contact_rows(T, second.last.unwrap(), 2).await.unwrap().subjects.is_empty());
        let mut blinds: Vec<(String, String, Vec<u8>)> = first.blinds.into_iter().chain(second.blinds).collect();
        blinds.sort();
        let expected: Vec<(String, String, Vec<u8>)> =
            [("s-a", "contact.email", 2), ("s-a", "contact.phone", 1), ("s-b", "contact.phone", 3), ("s-c", "contact.phone", 4)]
                .into_iter()
                .map(|(s, c, b)| (s.to_owned(), c.to_owned(), vec![b; 16]))
                .collect();
        assert_eq!(blinds, expected);
        // Named subjects as they are now: an erased one says so; an unknown one is absent.
        store.erase_subject(T, "s-b", 20, &j(T)).await.unwrap().unwrap();
        let named = store.contact_rows_of(T, &["s-b".into(), "s-c".into(), "nobody".into()]).await.unwrap();
        let mut got: Vec<(&str, &str)> = named.subjects.iter().map(|s| (s.id.as_str(), s.status.as_str())).collect();
        got.sort();
        assert_eq!(got, [("s-b", "erased"), ("s-c", "active")]);
        assert!(named.blinds.iter().all(|(id, _, _)| id == "s-b" || id == "s-c"));
        db
    })
    .await;
}
