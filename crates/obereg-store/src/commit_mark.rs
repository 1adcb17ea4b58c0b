//! A query-free answer to "has anything been committed since?" for the decision index.
//!
//! The decision index (engine `decision_index.rs`) must see every commit that happened before
//! a caller arrived, from this process or another. Asking the database costs a round trip to
//! its worker thread per group of callers, which was most of the cost of an HTTP decision.
//! In WAL mode SQLite keeps a header at the start of the shared-memory wal-index file
//! (`<db>-shm`) that every committing connection rewrites: it carries a change counter, the
//! last committed WAL frame and the WAL salts (SQLite's documented file format, "WAL-index
//! format"). Reading its 96 bytes (both copies) is one `pread` of a page that lives in memory.
//!
//! The index reads a mark before each probe query; a later mark that equals it proves nothing
//! was committed in between, so that probe's view is still current. Any difference, a torn
//! read included, only costs a real probe: a mark can be too cautious, never too trusting.
//! PostgreSQL has no such file; its store has no mark and every caller's probe queries.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

/// Bytes of the wal-index header: two copies of 48 bytes.
const HEADER_BYTES: usize = 96;

/// The database's commit state as of one reading; equal marks mean no commit in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitMark([u8; HEADER_BYTES]);

/// The open wal-index file of a SQLite database.
#[derive(Debug, Clone)]
pub(crate) struct WalIndex(Arc<File>);

impl WalIndex {
    /// Opens the wal-index of the database file at `db`, if it has one (a WAL-mode database
    /// with a connection open; an in-memory database has none).
    pub(crate) fn open(db: &Path) -> Option<Self> {
        let mut name = db.as_os_str().to_owned();
        name.push("-shm");
        File::open(name).ok().map(|f| Self(Arc::new(f)))
    }

    /// The current mark, `None` if the file cannot be read (then callers query).
    pub(crate) fn mark(&self) -> Option<CommitMark> {
        let mut header = [0u8; HEADER_BYTES];
        self.0.read_exact_at(&mut header, 0).ok()?;
        Some(CommitMark(header))
    }
}
