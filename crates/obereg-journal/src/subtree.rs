//! Perfect subtrees, how ranges of leaves decompose into them, and which of them a store keeps.
//!
//! A *perfect subtree* `(level, index)` covers the `2^level` leaves starting at
//! `index · 2^level`; its hash never changes once its last leaf is appended, so it can be
//! stored. Every range RFC 6962 hashes while building a proof starts at a multiple of the
//! largest power of two not above its length, so it splits into perfect subtrees of strictly
//! decreasing size; its hash is their right fold.
//!
//! A store keeps the leaf hashes (level 0) and the perfect subtrees of every
//! [`STORED_LEVEL_STRIDE`]-th level. That costs one extra row per 15 leaves, yet any perfect
//! subtree is at most `2^(STRIDE-1)` stored hashes away, so a proof needs O(log n) reads.

/// Every this many levels of perfect subtrees are stored (0, 4, 8, …).
pub const STORED_LEVEL_STRIDE: u8 = 4;

/// The deepest level a tree of 2^63 leaves can have.
pub const MAX_LEVEL: u8 = 63;

/// A perfect subtree: `2^level` leaves starting at leaf `index << level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subtree {
    pub level: u8,
    pub index: u64,
}

impl Subtree {
    pub fn leaf(index: u64) -> Self {
        Subtree { level: 0, index }
    }

    /// The first leaf it covers.
    pub fn start(&self) -> u64 {
        self.index << self.level
    }

    /// One past the last leaf it covers.
    pub fn end(&self) -> u64 {
        (self.index + 1) << self.level
    }

    pub fn children(&self) -> (Subtree, Subtree) {
        debug_assert!(self.level > 0);
        let level = self.level - 1;
        (Subtree { level, index: self.index * 2 }, Subtree { level, index: self.index * 2 + 1 })
    }

    /// Whether a store keeps this subtree's hash.
    pub fn is_stored(&self) -> bool {
        self.level.is_multiple_of(STORED_LEVEL_STRIDE)
    }

    /// The stored subtrees whose hashes determine this one: itself when stored, otherwise
    /// its descendants at the nearest stored level below, as `(level, first index, count)`.
    pub fn stored_cover(&self) -> StoredRange {
        let drop = self.level % STORED_LEVEL_STRIDE;
        StoredRange { level: self.level - drop, first: self.index << drop, count: 1 << drop }
    }
}

/// A run of stored subtrees on one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredRange {
    pub level: u8,
    pub first: u64,
    pub count: u64,
}

/// The largest power of two strictly less than `n` (`n ≥ 2`), RFC 6962's split point.
pub fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// The perfect subtrees that make up leaves `[start, end)`, largest first. The range must be
/// one RFC 6962 hashes: `start` a multiple of the largest power of two not above its length.
pub fn decompose(start: u64, end: u64) -> Vec<Subtree> {
    let mut out = Vec::new();
    let mut at = start;
    while at < end {
        let len = end - at;
        let level = 63 - len.leading_zeros() as u8;
        let level = level.min(if at == 0 { MAX_LEVEL } else { at.trailing_zeros() as u8 });
        out.push(Subtree { level, index: at >> level });
        at += 1 << level;
    }
    out
}
