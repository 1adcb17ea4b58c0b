//! The embedded SQLite backend: obereg's zero-setup default.
//!
//! One writer connection (SQLite allows one writer at a time; a single connection turns lock
//! contention into queueing instead of `SQLITE_BUSY`) and a small read-only pool, in WAL mode
//! so readers never block the writer. `secure_delete` overwrites freed pages, which matters
//! for crypto-shredding: deleted key rows must not linger in the file.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::queries::{insert_token, shared_queries};
use crate::{Backend, StoreError, schema};

static MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");

/// Readers in the pool; SQLite readers are cheap, and the machine has few cores.
const READERS: u32 = 4;

/// Rows a reader connection may queue for its caller (sqlx's default is 50).
const READER_ROW_BUFFER: usize = 4096;

/// A store in a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    write: SqlitePool,
    read: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite:PATH`) and migrates it.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true)
            .pragma("secure_delete", "on");
        let write = SqlitePoolOptions::new().max_connections(1).connect_with(options.clone()).await?;
        schema::guard(Self::applied_schema_version(&write).await, &MIGRATOR)?;
        MIGRATOR.run(&write).await?;
        // Readers hand rows to the async side in larger batches: long scans (journal
        // verification, exports) are bound by that hand-off, not by SQLite.
        let read = SqlitePoolOptions::new()
            .max_connections(READERS)
            .connect_with(options.read_only(true).row_buffer_size(READER_ROW_BUFFER))
            .await?;
        Ok(Self { write, read })
    }
}

shared_queries!(SqliteStore, SqlitePool, sqlx::Sqlite, Backend::Sqlite);
