//! A log held in memory with the same stored-level layout a database uses: for tests, for
//! benchmarks, and for auditors who load an export and want proofs without a database.

use std::collections::HashMap;

use crate::frontier::Frontier;
use crate::hash::{Hash, leaf_hash};
use crate::subtree::Subtree;
use crate::tree::NodeSource;

/// An append-only tree keeping leaf hashes and every stored level's subtrees.
#[derive(Debug, Clone, Default)]
pub struct MemoryLog {
    frontier: Frontier,
    stored: HashMap<Subtree, Hash>,
}

impl MemoryLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an entry's bytes; returns its leaf hash.
    pub fn push(&mut self, entry: &[u8]) -> Hash {
        let leaf = leaf_hash(entry);
        self.push_hash(leaf);
        leaf
    }

    /// Appends an already computed leaf hash.
    pub fn push_hash(&mut self, leaf: Hash) {
        for (subtree, hash) in self.frontier.push(leaf) {
            if subtree.is_stored() {
                self.stored.insert(subtree, hash);
            }
        }
    }

    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    pub fn frontier(&self) -> &Frontier {
        &self.frontier
    }

    /// The stored interior (level > 0) subtrees, as a database would hold them.
    pub fn interior(&self) -> impl Iterator<Item = (Subtree, Hash)> + '_ {
        self.stored.iter().filter(|(s, _)| s.level > 0).map(|(s, h)| (*s, *h))
    }
}

impl NodeSource for MemoryLog {
    fn stored(&self, subtree: Subtree) -> Option<Hash> {
        self.stored.get(&subtree).copied()
    }
}
