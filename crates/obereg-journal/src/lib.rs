//! obereg's journal, as pure code: RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and
//! consistency proofs and their verification, C2SP signed checkpoints (Ed25519), the journal
//! entry format, and an auditor that re-checks a whole stored log.
//!
//! Nothing here does IO, so an auditor can use this crate on an export without running
//! obereg; `docs/journal.md` describes the same formats for verifiers written from scratch.

pub mod audit;
pub mod checkpoint;
pub mod entry;
pub mod frontier;
pub mod gather;
pub mod hash;
pub mod memory;
pub mod subtree;
pub mod tree;

pub use audit::{AuditReport, Auditor, CheckpointNote, Finding};
pub use checkpoint::{Checkpoint, NoteError, NoteSigner, NoteVerifier};
pub use entry::{Actor, Entry, EntryDraft, InvalidDraft, Outcome};
pub use frontier::{Frontier, MalformedFrontier};
pub use gather::gather_by_subject;
pub use hash::{Hash, empty_root, leaf_hash, node_hash};
pub use memory::MemoryLog;
pub use subtree::{STORED_LEVEL_STRIDE, StoredRange, Subtree};
pub use tree::{NodeSource, ProofError};
