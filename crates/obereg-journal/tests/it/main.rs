//! The journal crate's integration tests: published RFC 6962 vectors, an independent
//! implementation as oracle, checkpoints, entries, and the auditor against tampering.

mod audit;
mod checkpoint;
mod entry;
mod oracle;
mod vectors;

use obereg_journal::Hash;

pub fn h(text: &str) -> Hash {
    Hash::from_hex(text).expect("a 64-digit hex hash")
}
