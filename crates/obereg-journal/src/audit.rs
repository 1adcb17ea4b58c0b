//! Re-checking a stored log from scratch: every entry is re-hashed in order, every stored
//! interior hash and the stored head are compared with the recomputed tree, and every
//! checkpoint must carry a valid signature and match the recomputed root at its size.
//!
//! Which tampering this catches: a changed, deleted, inserted or swapped entry changes a leaf
//! hash, breaks the index sequence or moves an entry off its position; if the tamperer also
//! rewrote the stored hashes, every checkpoint signed after the tampered index no longer
//! matches, and re-signing needs the signing key (an auditor pins the verifier key, so
//! signing with another key fails too). Truncation leaves checkpoints beyond the end. Only
//! entries written after the latest checkpoint the auditor trusts can be rewritten without
//! trace, which is why checkpoints are signed every N entries or T seconds.

use std::collections::HashMap;

use crate::checkpoint::NoteVerifier;
use crate::entry::Entry;
use crate::frontier::Frontier;
use crate::hash::{Hash, leaf_hash};
use crate::subtree::Subtree;

/// At most this many findings are kept; the first one is what matters.
const MAX_FINDINGS: usize = 100;

/// One thing wrong with the stored log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Finding {
    #[error("entries {index}..{found} are missing")]
    EntryMissing { index: u64, found: u64 },
    #[error("entry {index} is stored after entry {after}")]
    EntryOutOfOrder { index: u64, after: u64 },
    #[error("entry {index} is not the entry written at that position")]
    EntryOutOfPlace { index: u64 },
    #[error("entry {index} does not match its stored leaf hash")]
    LeafMismatch { index: u64 },
    #[error("the stored hash of leaves {start}..{end} does not match the entries")]
    NodeMismatch { start: u64, end: u64 },
    #[error("the stored hash of leaves {start}..{end} is missing")]
    NodeMissing { start: u64, end: u64 },
    #[error("a stored hash covers leaves {start}..{end}, beyond the log")]
    NodeUnexpected { start: u64, end: u64 },
    #[error("the stored log head (size {stored_size}) does not match the {actual_size} stored entries")]
    HeadMismatch { stored_size: u64, actual_size: u64 },
    #[error("checkpoint at size {size}: {reason}")]
    CheckpointInvalid { size: u64, reason: String },
    #[error("checkpoint at size {size} does not match the log: an entry below {size} was changed")]
    CheckpointMismatch { size: u64 },
    #[error("checkpoint at size {size} is beyond the log's {log_size} entries: entries were removed")]
    CheckpointBeyondLog { size: u64, log_size: u64 },
}

impl Finding {
    /// The lowest entry index the finding implicates, where one is known.
    pub fn index(&self) -> Option<u64> {
        match self {
            Finding::EntryMissing { index, .. }
            | Finding::EntryOutOfOrder { index, .. }
            | Finding::EntryOutOfPlace { index }
            | Finding::LeafMismatch { index } => Some(*index),
            Finding::NodeMismatch { start, .. } | Finding::NodeMissing { start, .. } | Finding::NodeUnexpected { start, .. } => {
                Some(*start)
            }
            Finding::HeadMismatch { stored_size, actual_size } => Some(*stored_size.min(actual_size)),
            Finding::CheckpointMismatch { .. } | Finding::CheckpointInvalid { .. } | Finding::CheckpointBeyondLog { .. } => None,
        }
    }
}

/// What an audit found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    pub entries: u64,
    pub root: Hash,
    pub checkpoints_checked: usize,
    /// Sizes of the checkpoints whose roots the recomputed tree matched.
    pub checkpoints_matched: Vec<u64>,
    pub findings: Vec<Finding>,
}

impl AuditReport {
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }

    /// The first entry index known to be bad, when a finding pinpoints one.
    pub fn first_bad_index(&self) -> Option<u64> {
        self.first_bad().filter(|(start, end)| end - start == 1).map(|(start, _)| start)
    }

    /// The narrowest range `start..end` known to hold the first bad entry.
    ///
    /// A finding on an entry pinpoints it. When the tamperer also rewrote the stored
    /// hashes, only bounds are left: below the smallest checkpoint that no longer matches,
    /// at or above the largest one below it that still does, and inside the stored subtree
    /// whose hash disagrees, if one does. Without checkpoint mismatches, a bad stored hash
    /// or head is itself the first bad thing, and its range is returned.
    pub fn first_bad(&self) -> Option<(u64, u64)> {
        let pinned = self
            .findings
            .iter()
            .filter(|f| {
                matches!(
                    f,
                    Finding::EntryMissing { .. }
                        | Finding::EntryOutOfPlace { .. }
                        | Finding::LeafMismatch { .. }
                        | Finding::EntryOutOfOrder { .. }
                )
            })
            .filter_map(Finding::index)
            .min();
        if let Some(index) = pinned {
            return Some((index, index + 1));
        }
        let mismatch =
            self.findings.iter().filter_map(|f| if let Finding::CheckpointMismatch { size } = f { Some(*size) } else { None }).min();
        let ranges = self.findings.iter().filter_map(|f| match f {
            Finding::NodeMismatch { start, end } | Finding::NodeMissing { start, end } | Finding::NodeUnexpected { start, end } => {
                Some((*start, *end))
            }
            Finding::HeadMismatch { stored_size, actual_size } => Some((*stored_size.min(actual_size), u64::MAX)),
            _ => None,
        });
        match mismatch {
            Some(hi) => {
                let lo = self.checkpoints_matched.iter().copied().filter(|s| *s < hi).max().unwrap_or(0);
                let narrowed = ranges.filter(|(s, e)| *s < hi && *e > lo).map(|(s, e)| (s.max(lo), e.min(hi))).min();
                Some(narrowed.unwrap_or((lo, hi)))
            }
            None => ranges.min(),
        }
    }
}

/// A checkpoint as kept by the store or handed over by an auditor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointNote {
    pub size: u64,
    pub note: String,
}

/// Feeds a stored log through in order: entries, then stored nodes, then the head.
#[derive(Debug)]
pub struct Auditor {
    frontier: Frontier,
    /// The stored index the next entry should have.
    next_index: u64,
    /// Interior hashes a store keeps, as recomputed, until the stored ones are compared.
    nodes: HashMap<Subtree, Hash>,
    /// Checkpoints not yet reached, sorted by size, with their verified roots.
    pending: Vec<(u64, Hash)>,
    checkpoints_checked: usize,
    checkpoints_matched: Vec<u64>,
    findings: Vec<Finding>,
}

impl Auditor {
    /// Starts an audit against `checkpoints`, each verified with `verifier` first.
    pub fn new(verifier: &NoteVerifier, checkpoints: &[CheckpointNote]) -> Self {
        let mut auditor = Auditor {
            frontier: Frontier::new(),
            next_index: 0,
            nodes: HashMap::new(),
            pending: Vec::new(),
            checkpoints_checked: 0,
            checkpoints_matched: Vec::new(),
            findings: Vec::new(),
        };
        for c in checkpoints {
            match verifier.open_checkpoint(&c.note) {
                Ok(cp) if cp.size == c.size => auditor.pending.push((cp.size, cp.root)),
                Ok(_) => auditor.find(Finding::CheckpointInvalid { size: c.size, reason: "its note names another size".into() }),
                Err(e) => auditor.find(Finding::CheckpointInvalid { size: c.size, reason: e.to_string() }),
            }
        }
        auditor.pending.sort_by_key(|p| std::cmp::Reverse(p.0));
        auditor.check_reached_checkpoints();
        auditor
    }

    fn find(&mut self, finding: Finding) {
        if self.findings.len() < MAX_FINDINGS {
            self.findings.push(finding);
        }
    }

    /// The next stored entry, in index order: its position, stored bytes and stored leaf hash.
    /// The tree is built over the stored rows as they are; a gap is reported once, and
    /// each body is checked against its own stored index so one deletion does not flood
    /// the report.
    pub fn entry(&mut self, index: u64, body: &[u8], stored_leaf: &Hash) {
        if index > self.next_index {
            self.find(Finding::EntryMissing { index: self.next_index, found: index });
        } else if index < self.next_index {
            self.find(Finding::EntryOutOfOrder { index, after: self.next_index - 1 });
        }
        self.next_index = self.next_index.max(index + 1);
        if !Entry::is_at(body, index) {
            self.find(Finding::EntryOutOfPlace { index });
        }
        let leaf = leaf_hash(body);
        if &leaf != stored_leaf {
            self.find(Finding::LeafMismatch { index });
        }
        for (subtree, hash) in self.frontier.push(leaf) {
            if subtree.level > 0 && subtree.is_stored() {
                self.nodes.insert(subtree, hash);
            }
        }
        self.check_reached_checkpoints();
    }

    fn check_reached_checkpoints(&mut self) {
        let size = self.frontier.size();
        while let Some(&(cp_size, root)) = self.pending.last() {
            if cp_size > size {
                break;
            }
            self.pending.pop();
            self.checkpoints_checked += 1;
            // Checked after every entry, so a reached checkpoint has exactly the current size.
            if self.frontier.root() == root {
                self.checkpoints_matched.push(cp_size);
            } else {
                self.find(Finding::CheckpointMismatch { size: cp_size });
            }
        }
    }

    /// A stored interior hash (any order, after all entries).
    pub fn node(&mut self, subtree: Subtree, stored: &Hash) {
        match self.nodes.remove(&subtree) {
            Some(hash) if &hash == stored => {}
            Some(_) => self.find(Finding::NodeMismatch { start: subtree.start(), end: subtree.end() }),
            None => self.find(Finding::NodeUnexpected { start: subtree.start(), end: subtree.end() }),
        }
    }

    /// Ends the audit with the stored head (size and frontier bytes).
    pub fn finish(mut self, head_size: u64, head_frontier: &[u8]) -> AuditReport {
        let size = self.frontier.size();
        let mut missing: Vec<Subtree> = self.nodes.keys().copied().collect();
        missing.sort();
        for s in missing.into_iter().take(MAX_FINDINGS) {
            self.find(Finding::NodeMissing { start: s.start(), end: s.end() });
        }
        // Entries missing at the end leave no gap between stored rows; the head still counts them.
        if head_size > self.next_index {
            self.find(Finding::EntryMissing { index: self.next_index, found: head_size });
        }
        if head_size != size || Frontier::from_bytes(head_size, head_frontier).ok().as_ref() != Some(&self.frontier) {
            self.find(Finding::HeadMismatch { stored_size: head_size, actual_size: size });
        }
        for &(cp_size, _) in self.pending.iter().rev() {
            self.checkpoints_checked += 1;
            self.findings.push(Finding::CheckpointBeyondLog { size: cp_size, log_size: size });
        }
        AuditReport {
            entries: size,
            root: self.frontier.root(),
            checkpoints_checked: self.checkpoints_checked,
            checkpoints_matched: self.checkpoints_matched,
            findings: self.findings,
        }
    }
}
