//! The PostgreSQL backend, for production and for several obereg servers over one database.

use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::queries::{insert_token, shared_queries};
use crate::{Backend, StoreError, schema};

static MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// Connections per server; several servers share one database, so keep it modest.
const CONNECTIONS: u32 = 10;

/// A store in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    write: PgPool,
    read: PgPool,
}

impl PgStore {
    /// The tables a bulk import grows; lookups and deduplication read them.
    const SETTLE_BULK_LOAD: &'static str = "ANALYZE subjects, subject_items, subject_blinds, keystore.subject_keys";

    /// PostgreSQL exposes no commit mark without a query: every freshness probe queries.
    fn read_commit_mark(&self) -> Option<crate::CommitMark> {
        None
    }

    /// Connects to `url` and migrates the database.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new().max_connections(CONNECTIONS).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
        schema::guard(Self::applied_schema_version(&pool).await, &MIGRATOR)?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { write: pool.clone(), read: pool })
    }
}

shared_queries!(PgStore, PgPool, sqlx::Postgres, Backend::Postgres);
