//! The same cases on every backend: what the rest of obereg relies on the store for.

use obereg_store::{Backend, NewCatalogVersion, StoreError, TenantRecord, TokenRecord};
use sqlx::Connection;

use crate::harness::each_backend;

/// One journal entry recording a test change in `tenant`.
pub fn j(tenant: &str) -> Vec<obereg_journal::EntryDraft> {
    vec![crate::journal::draft(tenant, "test.change", None)]
}

fn tenant(id: &str) -> TenantRecord {
    TenantRecord { id: id.into(), name: format!("Оператор {id}"), created_at: 1_700_000_000_000_000 }
}

fn token(tenant: &str, n: u8) -> TokenRecord {
    TokenRecord {
        id: format!("tok-{tenant}-{n}"),
        tenant_id: tenant.into(),
        role: "admin".into(),
        label: format!("token {n}"),
        token_hash: vec![n; 32].into_iter().chain(tenant.bytes()).collect(),
        created_at: 1_700_000_000_000_000 + i64::from(n),
        revoked_at: None,
    }
}

fn catalog(tenant: &str, text: &str) -> NewCatalogVersion {
    NewCatalogVersion {
        tenant_id: tenant.into(),
        sha256: format!("sha-{text}"),
        source: format!("# каталог {text}\n"),
        created_at: 1_700_000_000_000_000,
        created_by: None,
    }
}

#[tokio::test]
async fn tenants_are_created_with_catalog_and_token_together() {
    each_backend(|db| async move {
        let store = db.open().await;
        store.ping().await.unwrap();
        store.create_tenant(&tenant("acme"), Some(&catalog("acme", "v1")), &token("acme", 1), &j("acme")).await.unwrap();
        assert_eq!(store.tenant("acme").await.unwrap(), Some(tenant("acme")));
        assert_eq!(store.tenant("nobody").await.unwrap(), None);
        let current = store.current_catalog("acme").await.unwrap().unwrap();
        assert_eq!((current.version, current.source.as_str()), (1, "# каталог v1\n"));
        let found = store.token_by_hash(&token("acme", 1).token_hash).await.unwrap();
        assert_eq!(found, Some(token("acme", 1)));
        store.create_tenant(&tenant("beta"), None, &token("beta", 1), &j("beta")).await.unwrap();
        let ids: Vec<_> = store.tenants().await.unwrap().into_iter().map(|t| t.id).collect();
        assert_eq!(ids, ["acme", "beta"]);
        assert_eq!(store.current_catalog("beta").await.unwrap(), None);
        db
    })
    .await;
}

#[tokio::test]
async fn a_duplicate_tenant_is_a_conflict_and_changes_nothing() {
    each_backend(|db| async move {
        let store = db.open().await;
        store.create_tenant(&tenant("acme"), Some(&catalog("acme", "v1")), &token("acme", 1), &j("acme")).await.unwrap();
        let mut again = tenant("acme");
        again.name = "Другое имя".into();
        let err = store.create_tenant(&again, Some(&catalog("acme", "v2")), &token("acme", 2), &j("acme")).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict("tenant")), "{err:?}");
        assert_eq!(store.tenant("acme").await.unwrap().unwrap().name, "Оператор acme");
        assert_eq!(store.token_by_hash(&token("acme", 2).token_hash).await.unwrap(), None);
        assert_eq!(store.catalog_versions("acme").await.unwrap().len(), 1);
        db
    })
    .await;
}

#[tokio::test]
async fn a_failed_tenant_creation_rolls_back_entirely() {
    each_backend(|db| async move {
        let store = db.open().await;
        store.create_tenant(&tenant("acme"), None, &token("acme", 1), &j("acme")).await.unwrap();
        // Reusing acme's token hash for beta violates uniqueness after tenant and catalog
        // rows were written: the whole creation must vanish.
        let mut clash = token("beta", 1);
        clash.token_hash = token("acme", 1).token_hash;
        let err = store.create_tenant(&tenant("beta"), Some(&catalog("beta", "v1")), &clash, &j("beta")).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        assert_eq!(store.tenant("beta").await.unwrap(), None);
        assert_eq!(store.current_catalog("beta").await.unwrap(), None);
        db
    })
    .await;
}

#[tokio::test]
async fn catalog_versions_grow_and_old_ones_are_kept() {
    each_backend(|db| async move {
        let store = db.open().await;
        store.create_tenant(&tenant("acme"), Some(&catalog("acme", "v1")), &token("acme", 1), &j("acme")).await.unwrap();
        let mut second = catalog("acme", "v2");
        second.created_by = Some("tok-acme-1".into());
        let (v2, _) = store.add_catalog_version(&second, &j("acme")).await.unwrap();
        assert_eq!(v2.version, 2);
        assert_eq!(v2.created_by.as_deref(), Some("tok-acme-1"));
        assert_eq!(store.current_catalog("acme").await.unwrap().unwrap().sha256, "sha-v2");
        assert_eq!(store.catalog_version("acme", 1).await.unwrap().unwrap().sha256, "sha-v1");
        assert_eq!(store.catalog_version("acme", 3).await.unwrap(), None);
        let listed: Vec<_> = store.catalog_versions("acme").await.unwrap().into_iter().map(|v| v.version).collect();
        assert_eq!(listed, [2, 1]);
        db
    })
    .await;
}

#[tokio::test]
async fn concurrent_catalog_uploads_get_distinct_versions() {
    each_backend(|db| async move {
        let store = db.open().await;
        store.create_tenant(&tenant("acme"), None, &token("acme", 1), &j("acme")).await.unwrap();
        let uploads = (0..8).map(|n| {
            let store = store.clone();
            tokio::spawn(async move { store.add_catalog_version(&catalog("acme", &n.to_string()), &j("acme")).await.unwrap().0.version })
        });
        let mut versions = Vec::new();
        for u in uploads {
            versions.push(u.await.unwrap());
        }
        versions.sort_unstable();
        assert_eq!(versions, (1..=8).collect::<Vec<i64>>());
        db
    })
    .await;
}

#[tokio::test]
async fn a_catalog_for_an_unknown_tenant_is_refused() {
    each_backend(|db| async move {
        let store = db.open().await;
        assert!(store.add_catalog_version(&catalog("ghost", "v1"), &j("ghost")).await.is_err());
        assert_eq!(store.current_catalog("ghost").await.unwrap(), None);
        db
    })
    .await;
}

#[tokio::test]
async fn tokens_are_listed_and_revoked_within_their_tenant() {
    each_backend(|db| async move {
        let store = db.open().await;
        store.create_tenant(&tenant("acme"), None, &token("acme", 1), &j("acme")).await.unwrap();
        store.create_tenant(&tenant("beta"), None, &token("beta", 1), &j("beta")).await.unwrap();
        store.add_token(&token("acme", 2), &j("acme")).await.unwrap();
        let ids: Vec<_> = store.tokens("acme").await.unwrap().into_iter().map(|t| t.id).collect();
        assert_eq!(ids, ["tok-acme-2", "tok-acme-1"]);
        assert!(store.revoke_token("beta", "tok-acme-2", 5, &j("beta")).await.unwrap().is_none(), "another tenant's token");
        assert!(store.revoke_token("acme", "tok-acme-2", 5, &j("acme")).await.unwrap().is_some());
        assert!(store.revoke_token("acme", "tok-acme-2", 6, &j("acme")).await.unwrap().is_none(), "already revoked");
        let revoked = store.token_by_hash(&token("acme", 2).token_hash).await.unwrap().unwrap();
        assert_eq!(revoked.revoked_at, Some(5));
        let err = store.add_token(&token("acme", 2), &j("acme")).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)));
        db
    })
    .await;
}

#[tokio::test]
async fn data_survives_reopening_and_migrations_are_idempotent() {
    each_backend(|db| async move {
        let store = db.open().await;
        store.create_tenant(&tenant("acme"), Some(&catalog("acme", "v1")), &token("acme", 1), &j("acme")).await.unwrap();
        drop(store);
        let again = db.open().await;
        assert_eq!(again.tenant("acme").await.unwrap(), Some(tenant("acme")));
        assert!(matches!(again.backend(), Backend::Sqlite | Backend::Postgres));
        db
    })
    .await;
}

#[tokio::test]
async fn a_database_from_a_newer_obereg_is_refused() {
    each_backend(|db| async move {
        drop(db.open().await);
        let insert = "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                      VALUES (99991231000000, 'from the future', TRUE, X'00', 0)";
        if db.url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query(insert).execute(&mut conn).await.unwrap();
        } else {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(insert.replace("X'00'", "'\\x00'::bytea"))).execute(&mut conn).await.unwrap();
        }
        let err = obereg_store::open(&db.url).await.unwrap_err();
        assert!(matches!(err, StoreError::SchemaTooNew { database: 99991231000000, .. }), "{err:?}");
        assert_eq!(err.code(), "store.schema_too_new");
        db
    })
    .await;
}

#[tokio::test]
async fn unsupported_urls_are_refused() {
    let err = obereg_store::open("mysql://localhost/x").await.unwrap_err();
    assert_eq!(err.code(), "store.unsupported_url");
    assert!(err.to_string().contains("mysql:"));
}

#[tokio::test]
async fn the_commit_mark_changes_with_every_commit_and_only_then() {
    each_backend(|db| async move {
        let store = db.open().await;
        let Some(path) = db.url.strip_prefix("sqlite:").map(str::to_owned) else {
            assert!(store.commit_mark().is_none(), "PostgreSQL has no commit mark: every probe queries");
            return db;
        };
        let before = store.commit_mark().expect("a WAL-mode SQLite database has a mark");
        store.ping().await.unwrap();
        assert_eq!(store.commit_mark(), Some(before), "a read commits nothing");
        store.create_tenant(&tenant("t1"), None, &token("t1", 1), &j("t1")).await.unwrap();
        let after = store.commit_mark().unwrap();
        assert_ne!(after, before, "a commit changes the mark");
        // The same commit seen by a second store (another process) on the same file.
        let other = db.open().await;
        other.create_tenant(&tenant("t2"), None, &token("t2", 2), &j("t2")).await.unwrap();
        assert_ne!(store.commit_mark(), Some(after), "a commit through other connections changes it too");
        // SQLite deletes the wal-index with the last connection (the store keeps its writer
        // open so that cannot happen under it); removed all the same, a handle to the deleted
        // file never vouches for anything.
        std::fs::remove_file(format!("{path}-shm")).unwrap();
        assert!(store.commit_mark().is_none(), "a deleted wal-index gives no mark");
        db
    })
    .await;
}

#[tokio::test]
async fn a_bulk_load_is_settled_with_fresh_statistics_or_an_emptied_log() {
    each_backend(|db| async move {
        let store = db.open().await;
        store.create_tenant(&tenant("t1"), None, &token("t1", 1), &j("t1")).await.unwrap();
        if let Some(path) = db.url.strip_prefix("sqlite:") {
            let log_len = |file: String| std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
            let keystore = obereg_store::keystore_path(std::path::Path::new(path)).display().to_string();
            assert!(log_len(format!("{path}-wal")) > 0, "the tenant's commit sits in the log");
            store.settle_bulk_load().await.unwrap();
            assert_eq!(log_len(format!("{path}-wal")), 0, "the data file's log is cut back to nothing");
            assert_eq!(log_len(format!("{keystore}-wal")), 0, "and so is the keystore's");
            let other = db.open().await;
            assert!(other.tenant("t1").await.unwrap().is_some(), "what the log held is in the database file");
        } else {
            store.settle_bulk_load().await.unwrap();
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            let analyzed: Option<String> =
                sqlx::query_scalar("SELECT last_analyze::text FROM pg_stat_user_tables WHERE relname = 'subject_blinds'")
                    .fetch_optional(&mut conn)
                    .await
                    .unwrap()
                    .flatten();
            assert!(analyzed.is_some(), "the vault's tables were analyzed");
        }
        db
    })
    .await;
}

/// New SQLite databases get 8 KiB pages (faster bulk imports, `sqlite.rs`); a database
/// created earlier with SQLite's 4 KiB keeps them and works as before.
#[tokio::test]
async fn sqlite_pages_are_8_kib_in_new_databases_and_unchanged_in_older_ones() {
    let page_size = |path: String| async move {
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{path}")).await.unwrap();
        sqlx::query_scalar::<_, i64>("PRAGMA page_size").fetch_one(&mut conn).await.unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.db").display().to_string();
    obereg_store::open(&format!("sqlite:{fresh}")).await.unwrap();
    assert_eq!(page_size(fresh).await, 8192);

    let older = dir.path().join("older.db").display().to_string();
    {
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{older}?mode=rwc")).await.unwrap();
        sqlx::query("PRAGMA page_size = 4096").execute(&mut conn).await.unwrap();
        sqlx::query("PRAGMA journal_mode = WAL").execute(&mut conn).await.unwrap();
        sqlx::query("CREATE TABLE earlier (x INTEGER)").execute(&mut conn).await.unwrap();
    }
    let store = obereg_store::open(&format!("sqlite:{older}")).await.unwrap();
    store.create_tenant(&tenant("t1"), None, &token("t1", 1), &j("t1")).await.unwrap();
    assert!(store.tenant("t1").await.unwrap().is_some());
    assert_eq!(page_size(older).await, 4096);
}
