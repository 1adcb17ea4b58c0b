//! The right edge of a growing tree: the hashes of the perfect subtrees that make up its
//! leaves, one per set bit of the size. Appending a leaf merges equal-sized subtrees and
//! reports every subtree it completes, which is exactly what a store needs to keep; the root
//! is the right fold of the frontier. Appending is O(1) amortised and needs no reads.

use crate::hash::{Hash, empty_root, node_hash};
use crate::subtree::Subtree;

/// The perfect subtrees covering a tree of `size` leaves, largest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    hashes: Vec<Hash>,
}

/// A frontier's serialised form did not match its size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a stored journal frontier is malformed")]
pub struct MalformedFrontier;

impl Frontier {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash; returns the subtrees this completes (the leaf itself first, then
    /// each merged parent, bottom up).
    pub fn push(&mut self, leaf: Hash) -> Vec<(Subtree, Hash)> {
        let mut completed = Vec::with_capacity(2);
        let mut subtree = Subtree::leaf(self.size);
        let mut hash = leaf;
        completed.push((subtree, hash));
        while self.size & (1 << subtree.level) != 0 {
            let left = self.hashes.pop().expect("a set bit has its subtree");
            hash = node_hash(&left, &hash);
            subtree = Subtree { level: subtree.level + 1, index: subtree.index >> 1 };
            completed.push((subtree, hash));
        }
        self.hashes.push(hash);
        self.size += 1;
        completed
    }

    /// The tree head: RFC 6962's MTH of all leaves so far.
    pub fn root(&self) -> Hash {
        let mut iter = self.hashes.iter().rev();
        match iter.next() {
            None => empty_root(),
            Some(last) => iter.fold(*last, |acc, h| node_hash(h, &acc)),
        }
    }

    /// The hashes, concatenated, for storage next to the size.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.hashes.iter().flat_map(|h| h.0).collect()
    }

    /// Rebuilds a frontier from its size and stored bytes.
    pub fn from_bytes(size: u64, bytes: &[u8]) -> Result<Self, MalformedFrontier> {
        if bytes.len() != size.count_ones() as usize * 32 {
            return Err(MalformedFrontier);
        }
        let hashes = bytes.chunks_exact(32).map(|c| Hash::from_slice(c).expect("32-byte chunk")).collect();
        Ok(Self { size, hashes })
    }
}
