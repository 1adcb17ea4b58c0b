//! Signed checkpoints: the C2SP text format, signing and verification, refusal of anything
//! altered, and an independent check with `ed25519-dalek` and `sha2` that follows the spec
//! rather than our code.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use obereg_journal::{Checkpoint, NoteError, NoteSigner, NoteVerifier};
use sha2::Digest as _;

use crate::h;

fn checkpoint() -> Checkpoint {
    Checkpoint {
        origin: "obereg.test/default".into(),
        size: 8,
        root: h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
    }
}

fn signer(seed: u8) -> NoteSigner {
    NoteSigner::from_seed("obereg.test/default", &[seed; 32]).unwrap()
}

#[test]
fn a_note_has_the_c2sp_layout_and_verifies() {
    let note = signer(1).sign(&checkpoint());
    let mut lines = note.lines();
    assert_eq!(lines.next(), Some("obereg.test/default"));
    assert_eq!(lines.next(), Some("8"));
    assert_eq!(lines.next(), Some("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="));
    assert_eq!(lines.next(), Some(""));
    assert!(lines.next().unwrap().starts_with("\u{2014} obereg.test/default "));
    assert_eq!(lines.next(), None);
    assert_eq!(signer(1).verifier().open_checkpoint(&note).unwrap(), checkpoint());
    // Ed25519 is deterministic: the same checkpoint signs to the same note.
    assert_eq!(signer(1).sign(&checkpoint()), note);
}

#[test]
fn the_verifier_key_round_trips_and_its_id_is_checked() {
    let key = signer(2).verifier();
    let text = key.encode();
    assert!(text.starts_with("obereg.test/default+"));
    assert_eq!(NoteVerifier::parse(&text).unwrap(), key);
    let mut parts: Vec<&str> = text.split('+').collect();
    parts[1] = "00000000";
    assert!(matches!(NoteVerifier::parse(&parts.join("+")), Err(NoteError::BadKey(_))));
    for bad in ["", "name", "name+1234", "name+12345678+AAAA", "bad name+00000000+AQ=="] {
        assert!(NoteVerifier::parse(bad).is_err(), "{bad:?}");
    }
    assert!(NoteSigner::from_seed("has space", &[0; 32]).is_err());
    assert!(NoteSigner::from_seed("a+b", &[0; 32]).is_err());
}

#[test]
fn altered_notes_and_other_keys_are_refused() {
    let note = signer(1).sign(&checkpoint());
    let verifier = signer(1).verifier();
    let grown = note.replacen("\n8\n", "\n9\n", 1);
    assert_eq!(verifier.open(&grown), Err(NoteError::BadSignature("obereg.test/default".into())));
    // Same name, another key: its key id differs, so the note carries no signature by ours.
    let forged = signer(3).sign(&checkpoint());
    assert_eq!(verifier.open(&forged), Err(NoteError::NotSigned("obereg.test/default".into())));
    // A signature line for another log is ignored, ours still decides.
    let cosigned = format!("{note}\u{2014} witness.example AAAAAAAA\n");
    assert!(verifier.open(&cosigned).is_ok());
    for bad in ["", "no blank line\n", "a\n1\nroot\n\nnot a signature\n", &note[..note.len() - 1]] {
        assert!(matches!(verifier.open(bad), Err(NoteError::Malformed(_))), "{bad:?}");
    }
    let other_log = NoteSigner::from_seed("obereg.test/other", &[1; 32]).unwrap();
    let other_note = other_log.sign(&checkpoint());
    assert!(matches!(other_log.verifier().open_checkpoint(&other_note), Err(NoteError::WrongOrigin { .. })));
    assert!(verifier.open(&"x".repeat(70_000)).is_err());
}

#[test]
fn bodies_with_bad_numbers_or_roots_are_refused() {
    for body in ["o\n08\nAA==\n", "o\n-1\nAA==\n", "o\n1\nnot base64\n", "o\n1\n", "\n1\nAA==\n", "o\n1\nAA=="] {
        assert!(Checkpoint::parse_body(body).is_err(), "{body:?}");
    }
    let with_extension = format!("{}extension line\n", checkpoint().body());
    assert_eq!(Checkpoint::parse_body(&with_extension).unwrap(), checkpoint());
}

#[test]
fn an_independent_verifier_accepts_our_notes() {
    let signer = signer(9);
    let note = signer.sign(&checkpoint());
    let vkey = signer.verifier().encode();

    // From here on only the spec, sha2 and ed25519-dalek.
    let mut parts = vkey.splitn(3, '+');
    let (name, id_hex, key_b64) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let typed = STANDARD.decode(key_b64).unwrap();
    assert_eq!(typed[0], 1, "Ed25519 signature type");
    let mut id_input = name.as_bytes().to_vec();
    id_input.push(b'\n');
    id_input.extend_from_slice(&typed);
    let id = sha2::Sha256::digest(&id_input);
    assert_eq!(hex::encode(&id[..4]), id_hex);

    let split = note.rfind("\n\n").unwrap();
    let text = &note[..split + 1];
    let line = note[split + 2..].trim_end_matches('\n');
    let (line_name, sig_b64) = line.strip_prefix("\u{2014} ").unwrap().split_once(' ').unwrap();
    assert_eq!(line_name, name);
    let blob = STANDARD.decode(sig_b64).unwrap();
    assert_eq!(&blob[..4], &id[..4]);
    let key = ed25519_dalek::VerifyingKey::from_bytes(typed[1..].try_into().unwrap()).unwrap();
    let signature = ed25519_dalek::Signature::from_bytes(blob[4..].try_into().unwrap());
    key.verify_strict(text.as_bytes(), &signature).unwrap();
    assert!(key.verify_strict(text.replace('8', "9").as_bytes(), &signature).is_err());
}
