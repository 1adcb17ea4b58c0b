//! Checkpoints in the C2SP *tlog-checkpoint* format, signed as C2SP *signed notes* with
//! Ed25519, so that existing transparency-log tooling (Go's `sumdb/note`, witnesses) can
//! check them.
//!
//! A checkpoint body is three lines: the log's origin, the tree size in decimal and the root
//! hash in standard base64. The note appends a blank line and one signature line,
//! `— <key name> <base64(key id ‖ signature)>`, where the key id is the first four bytes of
//! `SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)` and the signature covers the body including
//! its final newline. A verifier key travels as `<name>+<hex key id>+<base64(0x01 ‖ key)>`.
//!
//! Ed25519 because it is what the signed-note ecosystem uses and signatures are
//! deterministic: signing the same checkpoint twice gives the same note.

use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::hash::Hash;

/// The signature type byte of Ed25519 in signed notes.
const ED25519_TYPE: u8 = 0x01;
/// The em dash and space that open a signature line.
const SIGNATURE_PREFIX: &str = "\u{2014} ";
/// Notes larger than this are refused before parsing.
pub const MAX_NOTE_BYTES: usize = 64 * 1024;
/// At most this many signature lines are read (Go's `note` package uses the same cap).
const MAX_SIGNATURES: usize = 100;

/// A tree head: the log it belongs to, its size and its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

/// Why a checkpoint, note or key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the note is malformed: {0}")]
    Malformed(&'static str),
    #[error("the note carries no signature by key `{0}`")]
    NotSigned(String),
    #[error("the signature by key `{0}` does not verify")]
    BadSignature(String),
    #[error("the verifier key is malformed: {0}")]
    BadKey(&'static str),
    #[error("the checkpoint belongs to log `{found}`, expected `{expected}`")]
    WrongOrigin { expected: String, found: String },
}

/// A key name: non-empty, no spaces, no `+` (the signed-note rule).
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut input = Vec::with_capacity(name.len() + 34);
    input.extend_from_slice(name.as_bytes());
    input.push(b'\n');
    input.push(ED25519_TYPE);
    input.extend_from_slice(public);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &input);
    let mut id = [0u8; 4];
    id.copy_from_slice(&digest.as_ref()[..4]);
    id
}

impl Checkpoint {
    /// The note text: `origin\nsize\nbase64(root)\n`.
    pub fn body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, self.root.to_base64())
    }

    /// Parses a checkpoint body. Extension lines after the root are allowed and ignored.
    pub fn parse_body(text: &str) -> Result<Self, NoteError> {
        let mut lines = text.strip_suffix('\n').ok_or(NoteError::Malformed("the text must end with a newline"))?.split('\n');
        let origin = lines.next().filter(|o| !o.is_empty()).ok_or(NoteError::Malformed("missing origin"))?;
        let size = lines
            .next()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s.len() == 1 || !s.starts_with('0')))
            .and_then(|s| s.parse().ok())
            .ok_or(NoteError::Malformed("the size is not a decimal number"))?;
        let root = lines.next().and_then(Hash::from_base64).ok_or(NoteError::Malformed("the root is not 32 bytes of base64"))?;
        Ok(Checkpoint { origin: origin.to_owned(), size, root })
    }
}

/// The checkpoint a note claims to carry, without checking any signature: only for
/// ordering notes before they are verified.
pub fn unverified_checkpoint(note: &str) -> Option<Checkpoint> {
    let split = note.rfind("\n\n")?;
    Checkpoint::parse_body(&note[..split + 1]).ok()
}

/// A log's signing key. The seed comes from the caller (obereg derives it from its root key).
pub struct NoteSigner {
    name: String,
    pair: Ed25519KeyPair,
    id: [u8; 4],
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoteSigner").field("name", &self.name).finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// A signer named `name` (usually the log's origin) with the Ed25519 key from `seed`.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, NoteError> {
        if !is_valid_key_name(name) {
            return Err(NoteError::BadKey("a key name is non-empty and has no spaces or '+'"));
        }
        let pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| NoteError::BadKey("the seed was rejected"))?;
        let public: [u8; 32] = pair.public_key().as_ref().try_into().map_err(|_| NoteError::BadKey("unexpected key length"))?;
        Ok(Self { name: name.to_owned(), id: key_id(name, &public), pair })
    }

    pub fn verifier(&self) -> NoteVerifier {
        let public = self.pair.public_key().as_ref().try_into().expect("Ed25519 public keys are 32 bytes");
        NoteVerifier { name: self.name.clone(), id: self.id, public }
    }

    /// Signs a checkpoint into a complete note.
    pub fn sign(&self, checkpoint: &Checkpoint) -> String {
        let body = checkpoint.body();
        let signature = self.pair.sign(body.as_bytes());
        let mut blob = Vec::with_capacity(68);
        blob.extend_from_slice(&self.id);
        blob.extend_from_slice(signature.as_ref());
        format!("{body}\n{SIGNATURE_PREFIX}{} {}\n", self.name, STANDARD.encode(blob))
    }
}

/// A log's public key, which auditors pin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    id: [u8; 4],
    public: [u8; 32],
}

impl NoteVerifier {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn public_key(&self) -> &[u8; 32] {
        &self.public
    }

    /// The key in the `<name>+<hex id>+<base64(0x01 ‖ key)>` encoding.
    pub fn encode(&self) -> String {
        let mut typed = vec![ED25519_TYPE];
        typed.extend_from_slice(&self.public);
        format!("{}+{}+{}", self.name, hex::encode(self.id), STANDARD.encode(typed))
    }

    /// Parses the `<name>+<hex id>+<base64(0x01 ‖ key)>` encoding, checking the id.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let mut parts = text.trim().splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::BadKey("expected <name>+<id>+<key>"));
        };
        if !is_valid_key_name(name) {
            return Err(NoteError::BadKey("invalid key name"));
        }
        let typed = STANDARD.decode(key_b64).map_err(|_| NoteError::BadKey("the key is not base64"))?;
        let [ED25519_TYPE, rest @ ..] = typed.as_slice() else {
            return Err(NoteError::BadKey("not an Ed25519 key"));
        };
        let public: [u8; 32] = rest.try_into().map_err(|_| NoteError::BadKey("an Ed25519 key is 32 bytes"))?;
        let id = key_id(name, &public);
        if hex::encode(id) != id_hex.to_ascii_lowercase() {
            return Err(NoteError::BadKey("the key id does not match the key"));
        }
        Ok(Self { name: name.to_owned(), id, public })
    }

    /// Verifies a signed note and returns its text. The first signature line by this key
    /// decides; lines by other keys are ignored, as the signed-note spec requires.
    pub fn open<'n>(&self, note: &'n str) -> Result<&'n str, NoteError> {
        if note.len() > MAX_NOTE_BYTES {
            return Err(NoteError::Malformed("the note is too large"));
        }
        let split = note.rfind("\n\n").ok_or(NoteError::Malformed("no blank line before the signatures"))?;
        let (text, signatures) = (&note[..split + 1], &note[split + 2..]);
        let lines = signatures.strip_suffix('\n').ok_or(NoteError::Malformed("the signatures must end with a newline"))?;
        for line in lines.split('\n').take(MAX_SIGNATURES) {
            let rest = line.strip_prefix(SIGNATURE_PREFIX).ok_or(NoteError::Malformed("a signature line must start with '— '"))?;
            let (name, b64) = rest.rsplit_once(' ').ok_or(NoteError::Malformed("a signature line is '— <name> <signature>'"))?;
            let blob = STANDARD.decode(b64).map_err(|_| NoteError::Malformed("a signature is not base64"))?;
            if name != self.name || blob.len() < 4 || blob[..4] != self.id {
                continue;
            }
            return UnparsedPublicKey::new(&ED25519, &self.public)
                .verify(text.as_bytes(), &blob[4..])
                .map(|()| text)
                .map_err(|_| NoteError::BadSignature(self.name.clone()));
        }
        Err(NoteError::NotSigned(self.name.clone()))
    }

    /// Verifies a signed checkpoint of the log named like this key.
    pub fn open_checkpoint(&self, note: &str) -> Result<Checkpoint, NoteError> {
        let checkpoint = Checkpoint::parse_body(self.open(note)?)?;
        if checkpoint.origin != self.name {
            return Err(NoteError::WrongOrigin { expected: self.name.clone(), found: checkpoint.origin });
        }
        Ok(checkpoint)
    }
}
