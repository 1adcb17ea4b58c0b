//! The embedded SQLite backend: obereg's zero-setup default.
//!
//! One writer connection (SQLite allows one writer at a time; a single connection turns lock
//! contention into queueing instead of `SQLITE_BUSY`) and a small read-only pool, in WAL mode
//! so readers never block the writer. `secure_delete` overwrites freed pages, which matters
//! for crypto-shredding: deleted key rows must not linger in the file.
//!
//! The keystore (wrapped data keys) is a second file beside the database, `<name>.keystore`
//! (`obereg.db` → `obereg.keystore.db`), attached to every connection as `keystore`. Two
//! files give two backup policies: the data file may be backed up for years, the keystore
//! file is kept no longer than the 30-day destruction window (docs/vault.md). In WAL mode a
//! transaction spanning both files commits atomically per file; the vault orders its work so
//! an interruption leaves at worst an orphaned key or ciphertext without a key, and
//! `purge_erased` removes a key an interrupted erasure left behind.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::checkpointer;
use crate::commit_mark::WalIndex;
use crate::queries::{insert_token, shared_queries};
use crate::{Backend, StoreError, schema};

static MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");

/// Readers in the pool; SQLite readers are cheap, and the machine has few cores.
const READERS: u32 = 4;

/// Each reader's page cache (negative: KiB). With the file memory-mapped, reads come from the
/// mapping and the cache holds little; a small cache also makes the reset every reader does
/// after each commit by the writer (`pcache1TruncateUnsafe`) cheap.
const READER_CACHE: &str = "-256";

/// Rows a reader connection may queue for its caller (sqlx's default is 50).
const READER_ROW_BUFFER: usize = 4096;

/// A store in a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    write: SqlitePool,
    read: SqlitePool,
    /// The wal-index, for [`crate::Store::commit_mark`].
    wal_index: Arc<WalIndex>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite:PATH`) and migrates it.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .page_size(PAGE_BYTES)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true)
            .pragma("secure_delete", "on");
        let db_file = options.get_filename().to_owned();
        let keystore = keystore_path(&db_file);
        if db_file.exists() && !keystore.exists() {
            let probe = SqlitePoolOptions::new().max_connections(1).connect_with(options.clone().read_only(true)).await?;
            let applied = Self::applied_schema_version(&probe).await;
            probe.close().await;
            if applied.is_some_and(|v| v >= VAULT_MIGRATION) {
                return Err(StoreError::KeystoreMissing(keystore.display().to_string()));
            }
        }
        // A larger page cache for the writer: inserts land at random places in the subject,
        // item and blind-index b-trees (ids and indexes are random by design), and with
        // SQLite's 2 MiB default most of them would re-read pages from the file.
        //
        // The writer connection is never closed while the store lives (no idle timeout, no
        // lifetime): SQLite deletes the wal-index file when the last connection closes, and
        // commit marks (`commit_mark.rs`) read a handle to that file.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .after_connect(attach_keystore(keystore.clone(), true))
            .connect_with(
                options
                    .clone()
                    .pragma("cache_size", WRITER_CACHE)
                    .pragma("mmap_size", MMAP_BYTES)
                    .pragma("temp_store", "memory")
                    .pragma("wal_autocheckpoint", WRITER_CHECKPOINT_FRAMES),
            )
            .await?;
        schema::guard(Self::applied_schema_version(&write).await, &MIGRATOR)?;
        MIGRATOR.run(&write).await?;
        // The background checkpointer's connection (`checkpointer.rs`): it writes to the
        // database file, so it cannot be a reader.
        let checkpoint_options = options.clone();
        // Readers hand rows to the async side in larger batches: long scans (journal
        // verification, exports) are bound by that hand-off, not by SQLite.
        let read = SqlitePoolOptions::new()
            .max_connections(READERS)
            .after_connect(attach_keystore(keystore.clone(), false))
            .connect_with(
                options
                    .read_only(true)
                    .row_buffer_size(READER_ROW_BUFFER)
                    .pragma("mmap_size", MMAP_BYTES)
                    .pragma("cache_size", READER_CACHE),
            )
            .await?;
        // The writer has put the database in WAL mode, so the wal-index exists now.
        let wal_index = Arc::new(WalIndex::new(&db_file));
        let checkpoints = SqlitePoolOptions::new()
            .max_connections(1)
            .after_connect(attach_keystore(keystore.clone(), false))
            .connect_with(checkpoint_options)
            .await?;
        checkpointer::spawn(checkpoints, Arc::downgrade(&wal_index), WalIndex::new(&keystore));
        Ok(Self { write, read, wal_index })
    }

    /// No statistics: obereg's SQLite queries are written for the planner without them (join
    /// order and index choice pinned where it mattered); gathering some could change plans
    /// that were measured. The log files go back to empty instead. The checkpoint waits for
    /// readers for at most the busy timeout and reports, not fails, if it could not finish.
    const SETTLE_BULK_LOAD: &'static str = "PRAGMA wal_checkpoint(TRUNCATE)";

    fn read_commit_mark(&self) -> Option<crate::CommitMark> {
        self.wal_index.mark()
    }
}

/// The writer's page cache, in KiB (negative: a size, not a page count).
const WRITER_CACHE: &str = "-65536";
/// Page size of a database this store creates (an existing file keeps its own). SQLite's
/// default is 4 KiB; with 8 KiB a bulk import ran 15% faster (24.0–25.0k against 21.0–21.6k
/// subjects/s at 1M, alternating runs): each page of the write-ahead log is a frame written
/// with two `pwrite`s, and the random indexes are rewritten whole per import batch either
/// way, so larger pages write the same bytes in half the calls.
const PAGE_BYTES: u32 = 8192;

/// The writer's own auto-checkpoint, in frames (8 KiB pages, so 1 GiB): only a backstop.
/// Checkpoints normally run on their own connection from a backlog of
/// `checkpointer::BACKLOG_FRAMES`; see `checkpointer.rs` for why not on the writer.
const WRITER_CHECKPOINT_FRAMES: &str = "131072";
/// Memory-mapped I/O window, so reads skip a copy through `pread`.
const MMAP_BYTES: &str = "268435456";

/// The migration that created the keystore.
const VAULT_MIGRATION: i64 = 20261121000003;

/// Where the keystore of the database at `db` lives.
pub fn keystore_path(db: &Path) -> PathBuf {
    let stem = db.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "obereg".into());
    let ext = db.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    db.with_file_name(format!("{stem}.keystore{ext}"))
}

type AfterConnect = Box<
    dyn for<'c> Fn(
            &'c mut sqlx::SqliteConnection,
            sqlx::pool::PoolConnectionMetadata,
        ) -> futures_util::future::BoxFuture<'c, Result<(), sqlx::Error>>
        + Send
        + Sync,
>;

/// Attaches the keystore file to each new connection (the writer also sets its journal
/// mode; `secure_delete` is inherited from the main database at ATTACH time).
fn attach_keystore(path: PathBuf, writer: bool) -> AfterConnect {
    Box::new(move |conn, _meta| {
        let path = path.display().to_string();
        Box::pin(async move {
            sqlx::query("ATTACH DATABASE $1 AS keystore").bind(path).execute(&mut *conn).await?;
            if writer {
                sqlx::query("PRAGMA keystore.journal_mode = WAL").execute(&mut *conn).await?;
                sqlx::query("PRAGMA keystore.synchronous = NORMAL").execute(&mut *conn).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA keystore.cache_size = {WRITER_CACHE}"))).execute(&mut *conn).await?;
            }
            Ok(())
        })
    })
}

shared_queries!(SqliteStore, SqlitePool, sqlx::Sqlite, Backend::Sqlite);
