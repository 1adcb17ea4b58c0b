//! A query-free answer to "has anything been committed since?" for the decision index.
//!
//! The decision index (engine `decision_index.rs`) must see every commit that happened before
//! a caller arrived, from this process or another. Asking the database costs a round trip to
//! its worker thread per group of callers, which was most of the cost of an HTTP decision.
//! In WAL mode SQLite keeps a header at the start of the shared-memory wal-index file
//! (`<db>-shm`) that every committing connection rewrites: it carries a change counter, the
//! last committed WAL frame and the WAL salts (SQLite's documented file format, "WAL-index
//! format"). Reading its 96 bytes (both copies) is one `pread` of a page that lives in memory
//! (and one `fstat`, see [`WalIndex`]).
//!
//! The index reads a mark before each probe query; a later mark that equals it proves nothing
//! was committed in between, so that probe's view is still current. Any difference, a torn
//! read included, only costs a real probe: a mark can be too cautious, never too trusting.
//! PostgreSQL has no such file; its store has no mark and every caller's probe queries.

use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;

/// Bytes of the wal-index header: two copies of 48 bytes. The checkpoint information
/// follows, starting with `nBackfill`.
const HEADER_BYTES: usize = 96;
/// Where the header keeps `mxFrame`, the last valid frame of the WAL.
const MX_FRAME_AT: usize = 16;

/// The database's commit state as of one reading; equal marks mean no commit in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitMark([u8; HEADER_BYTES]);

/// The wal-index file of a SQLite database, kept open.
///
/// SQLite deletes the file when the last connection to the database closes (in any
/// process) and the next connection creates a new one; a handle to the deleted file would
/// show the same header forever. The store therefore keeps its writer connection open for
/// as long as it lives (`sqlite.rs`), so while a store can read marks the file cannot be
/// deleted. Each reading still checks that the file has a name (`st_nlink > 0`, one
/// `fstat`): if it was removed all the same, no mark is given again and every caller queries.
#[derive(Debug)]
pub(crate) struct WalIndex(Option<File>);

impl WalIndex {
    /// The wal-index of the database file at `db` (`<db>-shm`). An in-memory database has
    /// none, and its readings give no mark.
    pub(crate) fn new(db: &Path) -> Self {
        let mut name = db.as_os_str().to_owned();
        name.push("-shm");
        Self(File::open(name).ok())
    }

    /// WAL frames committed but not yet copied into the database file (`mxFrame` of the
    /// header minus `nBackfill` of the checkpoint information that follows it; both 32-bit
    /// integers in the machine's byte order, as the file is shared memory). A torn read
    /// gives a wrong number once; the checkpointer that asks reads again a moment later.
    pub(crate) fn backlog(&self) -> Option<u32> {
        let file = self.0.as_ref()?;
        let mut head = [0u8; HEADER_BYTES + 4];
        file.read_exact_at(&mut head, 0).ok()?;
        let word = |at: usize| u32::from_ne_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
        Some(word(MX_FRAME_AT).saturating_sub(word(HEADER_BYTES)))
    }

    /// The current mark; `None` when the file cannot be read or has been deleted.
    pub(crate) fn mark(&self) -> Option<CommitMark> {
        let file = self.0.as_ref()?;
        let mut header = [0u8; HEADER_BYTES];
        file.read_exact_at(&mut header, 0).ok()?;
        file.metadata().is_ok_and(|m| m.nlink() > 0).then_some(CommitMark(header))
    }
}
