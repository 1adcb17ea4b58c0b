//! `obereg journal …` end to end, and the independent verification `docs/journal.md`
//! promises: an exported entry, its inclusion proof and the signed checkpoint are checked
//! with `ct-merkle`, `sha2` and `ed25519-dalek` only, following the documented formats.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use sha2::{Digest as _, Sha256};
use sqlx::Connection;

use crate::{obereg, stderr, stdout};

fn init_with_entries(dir: &Path, tokens: usize) {
    assert_eq!(obereg(dir, &["init"]).status.code(), Some(0));
    for i in 0..tokens {
        let out = obereg(dir, &["token", "create", "--label", &format!("t{i}")]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
}

#[test]
fn verify_export_prove_and_checkpoint_work_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    init_with_entries(dir.path(), 3);
    let verified = obereg(dir.path(), &["journal", "verify"]);
    assert_eq!(verified.status.code(), Some(0), "{}", stdout(&verified));
    assert!(stdout(&verified).contains("OK — 6 entries"), "{}", stdout(&verified));

    let export = stdout(&obereg(dir.path(), &["journal", "export", "--from", "1", "--to", "4"]));
    let lines: Vec<_> = export.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("{\"v\":1,\"index\":1,"));
    assert_eq!(stdout(&obereg(dir.path(), &["journal", "export"])).lines().count(), 6);

    let note = stdout(&obereg(dir.path(), &["journal", "checkpoint"]));
    assert!(note.starts_with("obereg/") && note.contains("\n6\n"), "{note}");
    let bad = obereg(dir.path(), &["journal", "prove", "--index", "6"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("entry 6 is not in a tree of 6 entries"), "{}", stderr(&bad));
    assert_eq!(obereg(dir.path(), &["journal", "prove"]).status.code(), Some(2), "--index or --from is required");
    let pinned = obereg(dir.path(), &["journal", "verify", "--key", "not a key"]);
    assert_eq!(pinned.status.code(), Some(2));
}

#[test]
fn a_changed_entry_is_reported_with_its_index() {
    let dir = tempfile::tempdir().unwrap();
    init_with_entries(dir.path(), 4);
    std::fs::write(dir.path().join("kept.note"), stdout(&obereg(dir.path(), &["journal", "checkpoint"]))).unwrap();
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        let url = format!("sqlite:{}", dir.path().join("obereg-data/obereg.db").display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("DROP TRIGGER journal_entries_no_update").execute(&mut conn).await.unwrap();
        // Turn an issued token into a revoked one, leaving the stored leaf hash alone.
        sqlx::query(
            "UPDATE journal_entries SET body = CAST(REPLACE(CAST(body AS TEXT), 'token.issued', 'token.revoked') AS BLOB) WHERE idx = 4",
        )
        .execute(&mut conn)
        .await
        .unwrap();
    });
    let out = obereg(dir.path(), &["journal", "verify", "--checkpoint", "kept.note"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("first bad entry / первая испорченная запись: 4"), "{}", stdout(&out));
    let json = obereg(dir.path(), &["journal", "verify", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!((report["clean"].as_bool(), report["first_bad_index"].as_u64()), (Some(false), Some(4)));
}

/// Parses a C2SP checkpoint note and checks its Ed25519 signature against a verifier key,
/// written from the format description alone.
fn open_note(note: &str, vkey: &str) -> (u64, [u8; 32]) {
    let mut parts = vkey.trim().splitn(3, '+');
    let (name, id_hex, key_b64) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let typed = STANDARD.decode(key_b64).unwrap();
    assert_eq!(typed[0], 0x01);
    let mut id_input = name.as_bytes().to_vec();
    id_input.push(b'\n');
    id_input.extend_from_slice(&typed);
    assert_eq!(hex::encode(&Sha256::digest(&id_input)[..4]), id_hex);

    let (text, signatures) = note.split_once("\n\n").unwrap();
    let text = format!("{text}\n");
    let line = signatures.lines().find(|l| l.starts_with(&format!("\u{2014} {name} "))).unwrap();
    let blob = STANDARD.decode(line.rsplit(' ').next().unwrap()).unwrap();
    assert_eq!(hex::encode(&blob[..4]), id_hex);
    let key = ed25519_dalek::VerifyingKey::from_bytes(typed[1..].try_into().unwrap()).unwrap();
    key.verify_strict(text.as_bytes(), &ed25519_dalek::Signature::from_bytes(blob[4..].try_into().unwrap())).unwrap();

    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], name, "the origin is the key name");
    (lines[1].parse().unwrap(), STANDARD.decode(lines[2]).unwrap().try_into().unwrap())
}

fn digests(proof: &serde_json::Value) -> Vec<ct_merkle::digest::Output<Sha256>> {
    proof.as_array().unwrap().iter().map(|h| hex::decode(h.as_str().unwrap()).unwrap().as_slice().try_into().unwrap()).collect()
}

#[test]
fn an_outside_verifier_checks_export_proof_and_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    init_with_entries(dir.path(), 9);
    let vkey = stdout(&obereg(dir.path(), &["journal", "key"]));
    let note = stdout(&obereg(dir.path(), &["journal", "checkpoint"]));
    let (size, root) = open_note(&note, &vkey);
    assert_eq!(size, 12);

    // Every exported line is a leaf; ct-merkle recomputes the same root from them.
    let export = stdout(&obereg(dir.path(), &["journal", "export"]));
    let mut tree = ct_merkle::mem_backed_tree::MemoryBackedTree::<Sha256, Vec<u8>>::new();
    for line in export.lines() {
        tree.push(line.as_bytes().to_vec());
    }
    assert_eq!(tree.root().as_bytes().as_slice(), root.as_slice());

    // The inclusion proof obereg prints verifies with ct-merkle against the signed root.
    let signed = RootHash::<Sha256>::new(root.into(), size);
    let proof: serde_json::Value = serde_json::from_str(&stdout(&obereg(dir.path(), &["journal", "prove", "--index", "7"]))).unwrap();
    let leaf = export.lines().nth(7).unwrap();
    assert_eq!(proof["body"], leaf);
    signed.verify_inclusion(&leaf.as_bytes(), 7, &InclusionProof::from_digests(digests(&proof["proof"]).iter())).unwrap();
    assert!(signed.verify_inclusion(&b"forged".as_slice(), 7, &InclusionProof::from_digests(digests(&proof["proof"]).iter())).is_err());

    // So does the consistency proof from the first checkpoint (signed at set-up, size 3).
    let c: serde_json::Value = serde_json::from_str(&stdout(&obereg(dir.path(), &["journal", "prove", "--from", "3"]))).unwrap();
    let (old_size, old_root) = open_note(c["from_checkpoint"].as_str().unwrap(), &vkey);
    assert_eq!(old_size, 3);
    signed.verify_consistency(&RootHash::new(old_root.into(), 3), &ConsistencyProof::from_digests(digests(&c["proof"]).iter())).unwrap();
}
