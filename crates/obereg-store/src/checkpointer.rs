//! WAL checkpoints on their own connection, off the writer's path.
//!
//! SQLite's default is that the connection whose commit makes the write-ahead log long enough
//! copies it back into the database file then and there (an "auto-checkpoint"), which means
//! two `fsync`s and every page written again, all before that commit returns. During a bulk
//! import the writer spent about half of its time waiting in those `fsync`s while the CPU
//! idled (`perf` off-CPU stacks, docs/benchmarks.md). Here a task with a connection of its own
//! watches the wal-index (`commit_mark.rs`) and runs a `PASSIVE` checkpoint once enough frames
//! wait: it never blocks the writer or readers, and the writer keeps committing meanwhile.
//!
//! The writer keeps an auto-checkpoint, at a much larger size, as a backstop: a log that the
//! background checkpoints cannot bring back to its start (SQLite restarts the log only when a
//! checkpoint has copied all of it before the next write begins) stops growing there.
//! Durability is unchanged: a checkpoint only copies committed frames, from either connection.

use std::sync::Weak;
use std::time::Duration;

use sqlx::sqlite::SqlitePool;

use crate::commit_mark::WalIndex;

/// Frames (pages) waiting in the log before a background checkpoint runs: 32 MiB of 8 KiB
/// pages (16 MiB in a database created with 4 KiB pages). Small commits accumulate to it; a
/// bulk import passes it with every batch.
const BACKLOG_FRAMES: u32 = 4096;

/// How often the task looks at the wal-index (one `pread`, no query).
const POLL: Duration = Duration::from_millis(50);

/// Starts the checkpointing task on the current Tokio runtime for the database whose
/// wal-index is `data` and the attached keystore whose wal-index is `keystore` (one
/// checkpoint covers both files). It ends, closing `pool`, once the store that owns `data`
/// is gone.
pub(crate) fn spawn(pool: SqlitePool, data: Weak<WalIndex>, keystore: WalIndex) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(POLL).await;
            let Some(index) = data.upgrade() else { break };
            let backlog = index.backlog().max(keystore.backlog());
            drop(index);
            if backlog.is_none_or(|frames| frames < BACKLOG_FRAMES) {
                continue;
            }
            // Columns: busy (0/1), frames in the log, frames checkpointed. A partial result
            // needs nothing special: the backlog stays and the next poll tries again.
            if let Err(e) = sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&pool).await {
                if matches!(e, sqlx::Error::PoolClosed) {
                    break;
                }
                tracing::warn!(error = %e, "background WAL checkpoint failed; the writer's own checkpoints remain");
            }
        }
        pool.close().await;
    });
}
