//! Tamper evidence: thousands of random tamperings of a stored log, naive (bytes changed in
//! place) and thorough (the tamperer recomputes every stored hash and the head, may delete
//! checkpoints, or re-signs them with a key of its own). Each must be found by the auditor,
//! given the checkpoints in the store and the latest one an auditor kept.

use obereg_journal::{Actor, AuditReport, Auditor, CheckpointNote, EntryDraft, Hash, MemoryLog, NoteSigner, Outcome, Subtree};
use obereg_journal::{Checkpoint, Entry};
use proptest::prelude::*;

const ORIGIN: &str = "obereg.test/default";
const CHECKPOINT_EVERY: u64 = 16;

/// A stored log as a database holds it.
#[derive(Debug, Clone)]
struct Stored {
    entries: Vec<(u64, Vec<u8>, Hash)>,
    nodes: Vec<(Subtree, Hash)>,
    head_size: u64,
    head_frontier: Vec<u8>,
    checkpoints: Vec<CheckpointNote>,
}

fn body(index: u64, salt: u64) -> Vec<u8> {
    EntryDraft {
        time: jiff::Timestamp::from_second(1_790_000_000 + salt as i64).unwrap(),
        tenant: "default".into(),
        actor: Actor::System,
        operation: "extraction".into(),
        purpose: Some("calls".into()),
        subject: Some(format!("s{salt}")),
        subjects: vec![],
        categories: vec!["contact.phone".into()],
        object: None,
        request: None,
        outcome: Outcome::Ok,
    }
    .seal(index, Some(1))
    .encode()
}

/// Re-derives leaf hashes, nodes and head from `bodies`, as a thorough tamperer would.
fn rebuild(bodies: Vec<Vec<u8>>, checkpoints: Vec<CheckpointNote>) -> Stored {
    let mut log = MemoryLog::new();
    let entries = bodies
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let leaf = log.push(&b);
            (i as u64, b, leaf)
        })
        .collect();
    Stored { entries, nodes: log.interior().collect(), head_size: log.size(), head_frontier: log.frontier().to_bytes(), checkpoints }
}

fn sign_every(bodies: &[Vec<u8>], signer: &NoteSigner) -> Vec<CheckpointNote> {
    let mut log = MemoryLog::new();
    let mut out = Vec::new();
    for (i, b) in bodies.iter().enumerate() {
        log.push(b);
        let size = i as u64 + 1;
        if size.is_multiple_of(CHECKPOINT_EVERY) || size == bodies.len() as u64 {
            let note = signer.sign(&Checkpoint { origin: ORIGIN.into(), size, root: log.root() });
            out.push(CheckpointNote { size, note });
        }
    }
    out
}

fn honest(n: u64, signer: &NoteSigner) -> Stored {
    let bodies: Vec<Vec<u8>> = (0..n).map(|i| body(i, i)).collect();
    let checkpoints = sign_every(&bodies, signer);
    rebuild(bodies, checkpoints)
}

fn audit(stored: &Stored, signer: &NoteSigner, held: Option<&CheckpointNote>) -> AuditReport {
    let mut checkpoints = stored.checkpoints.clone();
    checkpoints.extend(held.cloned());
    let mut auditor = Auditor::new(&signer.verifier(), &checkpoints);
    for (index, body, leaf) in &stored.entries {
        auditor.entry(*index, body, leaf);
    }
    for (subtree, hash) in &stored.nodes {
        auditor.node(*subtree, hash);
    }
    auditor.finish(stored.head_size, &stored.head_frontier)
}

fn bodies_of(stored: &Stored) -> Vec<Vec<u8>> {
    stored.entries.iter().map(|(_, b, _)| b.clone()).collect()
}

/// Rewrites the `"index":N` of a body to its new position, so moved entries look in place.
fn renumber(bodies: &mut [Vec<u8>]) {
    for (i, b) in bodies.iter_mut().enumerate() {
        let mut entry = Entry::decode(b).unwrap();
        entry.index = i as u64;
        *b = entry.encode();
    }
}

#[derive(Debug, Clone)]
enum Tampering {
    FlipByte { at: prop::sample::Index, byte: prop::sample::Index, xor: u8 },
    FlipByteAndRehash { at: prop::sample::Index, byte: prop::sample::Index, xor: u8 },
    Delete { at: prop::sample::Index },
    DeleteRenumberRehash { at: prop::sample::Index, drop_checkpoints: bool },
    Swap { a: prop::sample::Index, b: prop::sample::Index },
    SwapRenumberRehash { a: prop::sample::Index, b: prop::sample::Index },
    TruncateAndRegrow { keep: prop::sample::Index, extra: u64, drop_checkpoints: bool },
    RewriteAndResign { at: prop::sample::Index, salt: u64 },
    ChangeNode { at: prop::sample::Index, xor: u8 },
    DropNode { at: prop::sample::Index },
    ChangeHead { delta: i8 },
}

fn tampering() -> impl Strategy<Value = Tampering> {
    let i = any::<prop::sample::Index>;
    prop_oneof![
        (i(), i(), 1u8..).prop_map(|(at, byte, xor)| Tampering::FlipByte { at, byte, xor }),
        (i(), i(), 1u8..).prop_map(|(at, byte, xor)| Tampering::FlipByteAndRehash { at, byte, xor }),
        i().prop_map(|at| Tampering::Delete { at }),
        (i(), any::<bool>()).prop_map(|(at, drop_checkpoints)| Tampering::DeleteRenumberRehash { at, drop_checkpoints }),
        (i(), i()).prop_map(|(a, b)| Tampering::Swap { a, b }),
        (i(), i()).prop_map(|(a, b)| Tampering::SwapRenumberRehash { a, b }),
        (i(), 0u64..40, any::<bool>()).prop_map(|(keep, extra, drop_checkpoints)| Tampering::TruncateAndRegrow {
            keep,
            extra,
            drop_checkpoints
        }),
        (i(), 1_000u64..2_000).prop_map(|(at, salt)| Tampering::RewriteAndResign { at, salt }),
        (i(), 1u8..).prop_map(|(at, xor)| Tampering::ChangeNode { at, xor }),
        i().prop_map(|at| Tampering::DropNode { at }),
        any::<i8>().prop_filter("a change", |d| *d != 0).prop_map(|delta| Tampering::ChangeHead { delta }),
    ]
}

/// Applies a tampering; returns the entry index it must be pinned to when the auditor can
/// name one, or `None` when it is also applicable but only a checkpoint can reveal it. Returns
/// `Err(())` when the tampering does not apply to this log (too few nodes, a no-op swap).
fn apply(stored: &mut Stored, t: &Tampering) -> Result<Option<u64>, ()> {
    let n = stored.entries.len();
    let forger = NoteSigner::from_seed(ORIGIN, &[0xEE; 32]).unwrap();
    match t {
        Tampering::FlipByte { at, byte, xor } => {
            let i = at.index(n);
            let b = &mut stored.entries[i].1;
            let j = byte.index(b.len());
            b[j] ^= xor;
            Ok(Some(i as u64))
        }
        Tampering::FlipByteAndRehash { at, byte, xor } => {
            let i = at.index(n);
            let mut bodies = bodies_of(stored);
            let j = byte.index(bodies[i].len());
            bodies[i][j] ^= xor;
            *stored = rebuild(bodies, stored.checkpoints.clone());
            Ok(None)
        }
        Tampering::Delete { at } => {
            let i = at.index(n);
            stored.entries.remove(i);
            Ok(Some(i as u64))
        }
        Tampering::DeleteRenumberRehash { at, drop_checkpoints } => {
            let mut bodies = bodies_of(stored);
            bodies.remove(at.index(n));
            renumber(&mut bodies);
            let keep = if *drop_checkpoints { vec![] } else { stored.checkpoints.clone() };
            *stored = rebuild(bodies, keep);
            Ok(None)
        }
        Tampering::Swap { a, b } => {
            let (i, j) = (a.index(n), b.index(n));
            if stored.entries[i].1 == stored.entries[j].1 {
                return Err(());
            }
            let (bi, li) = (stored.entries[i].1.clone(), stored.entries[i].2);
            stored.entries[i].1 = stored.entries[j].1.clone();
            stored.entries[i].2 = stored.entries[j].2;
            stored.entries[j].1 = bi;
            stored.entries[j].2 = li;
            Ok(Some(i.min(j) as u64))
        }
        Tampering::SwapRenumberRehash { a, b } => {
            let (i, j) = (a.index(n), b.index(n));
            let mut bodies = bodies_of(stored);
            bodies.swap(i, j);
            renumber(&mut bodies);
            if bodies == bodies_of(stored) {
                return Err(());
            }
            *stored = rebuild(bodies, stored.checkpoints.clone());
            Ok(None)
        }
        Tampering::TruncateAndRegrow { keep, extra, drop_checkpoints } => {
            let k = keep.index(n);
            let mut bodies = bodies_of(stored);
            bodies.truncate(k);
            bodies.extend((k as u64..k as u64 + extra).map(|i| body(i, 10_000 + i)));
            let keep = if *drop_checkpoints { vec![] } else { stored.checkpoints.iter().filter(|c| c.size <= k as u64).cloned().collect() };
            *stored = rebuild(bodies, keep);
            Ok(None)
        }
        Tampering::RewriteAndResign { at, salt } => {
            let i = at.index(n);
            let mut bodies = bodies_of(stored);
            bodies[i] = body(i as u64, *salt);
            let checkpoints = sign_every(&bodies, &forger);
            *stored = rebuild(bodies, checkpoints);
            Ok(None)
        }
        Tampering::ChangeNode { at, xor } => {
            if stored.nodes.is_empty() {
                return Err(());
            }
            let k = at.index(stored.nodes.len());
            stored.nodes[k].1.0[0] ^= xor;
            Ok(Some(stored.nodes[k].0.start()))
        }
        Tampering::DropNode { at } => {
            if stored.nodes.is_empty() {
                return Err(());
            }
            let k = at.index(stored.nodes.len());
            Ok(Some(stored.nodes.remove(k).0.start()))
        }
        Tampering::ChangeHead { delta } => {
            stored.head_size = stored.head_size.saturating_add_signed(*delta as i64);
            if stored.head_size == n as u64 {
                return Err(());
            }
            Ok(None)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// 3,000 random tamperings, every one detected.
    #[test]
    fn every_tampering_is_detected(n in 1u64..120, t in tampering()) {
        let signer = NoteSigner::from_seed(ORIGIN, &[7; 32]).unwrap();
        let mut stored = honest(n, &signer);
        prop_assert!(audit(&stored, &signer, None).is_clean());
        // The auditor kept the latest checkpoint when it last looked.
        let held = stored.checkpoints.last().cloned().unwrap();
        let Ok(pinned) = apply(&mut stored, &t) else { return Ok(()) };
        let report = audit(&stored, &signer, Some(&held));
        prop_assert!(!report.is_clean(), "undetected: {:?}", t);
        if let Some(index) = pinned {
            prop_assert_eq!(report.first_bad().map(|r| r.0), Some(index), "{:?}: {:?}", t, report.findings);
        }
        // A rewrite with every hash recomputed is still located between checkpoints.
        if let Tampering::FlipByteAndRehash { at, .. } = &t {
            let i = at.index(n as usize) as u64;
            let (start, end) = report.first_bad().expect("bounded");
            prop_assert!(start <= i && i < end, "{} not in {}..{}", i, start, end);
        }
    }
}

#[test]
fn an_honest_log_audits_clean_and_reports_its_root() {
    let signer = NoteSigner::from_seed(ORIGIN, &[7; 32]).unwrap();
    let stored = honest(100, &signer);
    let report = audit(&stored, &signer, None);
    assert!(report.is_clean(), "{:?}", report.findings);
    assert_eq!(report.entries, 100);
    assert_eq!(report.checkpoints_checked, 7);
    let mut log = MemoryLog::new();
    for (_, b, _) in &stored.entries {
        log.push(b);
    }
    assert_eq!(report.root, log.root());
}

#[test]
fn an_empty_log_audits_clean() {
    let signer = NoteSigner::from_seed(ORIGIN, &[7; 32]).unwrap();
    let report = Auditor::new(&signer.verifier(), &[]).finish(0, &[]);
    assert!(report.is_clean());
    assert_eq!(report.root, obereg_journal::empty_root());
}
