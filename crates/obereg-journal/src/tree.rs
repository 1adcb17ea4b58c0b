//! Tree heads and proofs over any source of stored subtree hashes (RFC 9162 §2.1).
//!
//! Proof generation is split in two so a database can serve it with one query: [`plan`]
//! lists the ranges of stored hashes a proof will need, the caller fetches them into a
//! [`NodeSource`], and [`inclusion_proof`] / [`consistency_proof`] / [`root_at`] assemble the
//! answer. Verification ([`verify_inclusion`], [`verify_consistency`]) follows RFC 9162
//! §2.1.3.2 and §2.1.4.2 step by step and needs nothing but the proof.

use std::collections::HashMap;

use crate::hash::{Hash, empty_root, node_hash};
use crate::subtree::{StoredRange, Subtree, decompose, split_point};

/// Where stored subtree hashes come from: a database page, a map, an in-memory tree.
pub trait NodeSource {
    /// The hash of a stored subtree (see [`Subtree::is_stored`]); `None` when missing.
    fn stored(&self, subtree: Subtree) -> Option<Hash>;
}

impl NodeSource for HashMap<Subtree, Hash> {
    fn stored(&self, subtree: Subtree) -> Option<Hash> {
        self.get(&subtree).copied()
    }
}

/// Why a proof could not be built or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("tree size {from} is larger than {to}")]
    SizesReversed { from: u64, to: u64 },
    #[error("the store lacks the hash of subtree (level {level}, index {index})")]
    MissingNode { level: u8, index: u64 },
    #[error("the proof has the wrong number of hashes")]
    WrongLength,
    #[error("the proof does not lead to the expected root")]
    RootMismatch,
}

/// The hash of a perfect subtree, from stored hashes at or below it.
pub fn subtree_hash(source: &impl NodeSource, subtree: Subtree) -> Result<Hash, ProofError> {
    if subtree.is_stored() {
        return source.stored(subtree).ok_or(ProofError::MissingNode { level: subtree.level, index: subtree.index });
    }
    let (left, right) = subtree.children();
    Ok(node_hash(&subtree_hash(source, left)?, &subtree_hash(source, right)?))
}

/// RFC 6962's MTH of leaves `[start, end)`, for the ranges its recursion produces.
pub fn range_hash(source: &impl NodeSource, start: u64, end: u64) -> Result<Hash, ProofError> {
    if start == end {
        return Ok(empty_root());
    }
    let pieces = decompose(start, end);
    let mut iter = pieces.iter().rev();
    let mut acc = subtree_hash(source, *iter.next().expect("a non-empty range has a piece"))?;
    for piece in iter {
        acc = node_hash(&subtree_hash(source, *piece)?, &acc);
    }
    Ok(acc)
}

/// The root of the first `size` leaves.
pub fn root_at(source: &impl NodeSource, size: u64) -> Result<Hash, ProofError> {
    range_hash(source, 0, size)
}

/// The ranges whose hashes form the inclusion proof of leaf `index` in a tree of `size`,
/// in proof order (nearest the leaf first): RFC 9162 §2.1.3.1, PATH(m, D[n]).
pub fn inclusion_ranges(index: u64, size: u64) -> Result<Vec<(u64, u64)>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    fn path(m: u64, lo: u64, hi: u64, out: &mut Vec<(u64, u64)>) {
        if hi - lo <= 1 {
            return;
        }
        let k = split_point(hi - lo);
        if m < lo + k {
            path(m, lo, lo + k, out);
            out.push((lo + k, hi));
        } else {
            path(m, lo + k, hi, out);
            out.push((lo, lo + k));
        }
    }
    let mut out = Vec::new();
    path(index, 0, size, &mut out);
    Ok(out)
}

/// The ranges whose hashes form the consistency proof from `from` to `to` leaves:
/// RFC 9162 §2.1.4.1, PROOF(m, D[n]). Empty when `from` is 0 or equals `to`.
pub fn consistency_ranges(from: u64, to: u64) -> Result<Vec<(u64, u64)>, ProofError> {
    if from > to {
        return Err(ProofError::SizesReversed { from, to });
    }
    fn subproof(m: u64, lo: u64, hi: u64, whole: bool, out: &mut Vec<(u64, u64)>) {
        let n = hi - lo;
        if m == n {
            if !whole {
                out.push((lo, hi));
            }
            return;
        }
        let k = split_point(n);
        if m <= k {
            subproof(m, lo, lo + k, whole, out);
            out.push((lo + k, hi));
        } else {
            subproof(m - k, lo + k, hi, false, out);
            out.push((lo, lo + k));
        }
    }
    let mut out = Vec::new();
    if from > 0 && from < to {
        subproof(from, 0, to, true, &mut out);
    }
    Ok(out)
}

/// Which stored hashes hashing `ranges` will read, so a store can fetch them at once.
pub fn plan(ranges: &[(u64, u64)]) -> Vec<StoredRange> {
    ranges.iter().flat_map(|&(start, end)| decompose(start, end)).map(|s| s.stored_cover()).collect()
}

fn hashes_of(source: &impl NodeSource, ranges: &[(u64, u64)]) -> Result<Vec<Hash>, ProofError> {
    ranges.iter().map(|&(start, end)| range_hash(source, start, end)).collect()
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves.
pub fn inclusion_proof(source: &impl NodeSource, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
    hashes_of(source, &inclusion_ranges(index, size)?)
}

/// The consistency proof between the trees of `from` and `to` leaves.
pub fn consistency_proof(source: &impl NodeSource, from: u64, to: u64) -> Result<Vec<Hash>, ProofError> {
    hashes_of(source, &consistency_ranges(from, to)?)
}

/// Checks that `leaf` is leaf `index` of the tree of `size` leaves whose root is `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    if &r == root { Ok(()) } else { Err(ProofError::RootMismatch) }
}

/// Checks that the tree of `from` leaves with root `from_root` is a prefix of the tree of `to`
/// leaves with root `to_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(from: u64, to: u64, from_root: &Hash, to_root: &Hash, proof: &[Hash]) -> Result<(), ProofError> {
    if from > to {
        return Err(ProofError::SizesReversed { from, to });
    }
    if from == to || from == 0 {
        // Equal sizes must have equal roots; the empty tree is a prefix of every tree.
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if from == 0 || from_root == to_root { Ok(()) } else { Err(ProofError::RootMismatch) };
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if from.is_power_of_two() {
        path.push(*from_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else { return Err(ProofError::WrongLength) };
    let (mut f, mut s) = (from - 1, to - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    if &fr == from_root && &sr == to_root { Ok(()) } else { Err(ProofError::RootMismatch) }
}
