//! Runs a test body once per backend: SQLite always, PostgreSQL when
//! `OBEREG_TEST_POSTGRES_URL` is set. Each run gets a fresh database that is removed
//! afterwards (a temporary directory, or a `CREATE DATABASE` dropped at the end).

use std::future::Future;
use std::sync::Arc;

use obereg_store::Store;
use sqlx::Connection;

/// A fresh database for one test run.
pub struct Db {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Db {
    pub async fn open(&self) -> Arc<dyn Store> {
        obereg_store::open(&self.url).await.expect("store opens")
    }

    async fn drop_database(self) {
        if let Cleanup::Postgres { admin_url, name } = self.cleanup {
            let mut conn = sqlx::PgConnection::connect(&admin_url).await.expect("admin connection");
            let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.expect("drop test database");
        }
    }
}

async fn sqlite() -> Db {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite:{}", dir.path().join("obereg.db").display());
    Db { url, cleanup: Cleanup::Dir(dir) }
}

async fn postgres(admin_url: &str) -> Db {
    let name = format!("obereg_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin_url).await.expect("OBEREG_TEST_POSTGRES_URL must be reachable");
    let sql = format!("CREATE DATABASE \"{name}\"");
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.expect("create test database");
    let url = with_database(admin_url, &name);
    Db { url, cleanup: Cleanup::Postgres { admin_url: admin_url.to_owned(), name } }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Runs `body` against every configured backend.
pub async fn each_backend<F, Fut>(body: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = Db>,
{
    let db = body(sqlite().await).await;
    db.drop_database().await;
    if let Ok(admin) = std::env::var("OBEREG_TEST_POSTGRES_URL") {
        let db = body(postgres(&admin).await).await;
        db.drop_database().await;
    }
}

#[test]
fn database_names_are_replaced() {
    assert_eq!(with_database("postgres://u@h:5432/test", "x"), "postgres://u@h:5432/x");
    assert_eq!(with_database("postgres://h/test?sslmode=disable", "x"), "postgres://h/x?sslmode=disable");
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}
