//! The journal entry: what was done to whose data, by whom, why, and with what outcome —
//! never a personal-data value.
//!
//! An entry is stored and hashed as one line of compact JSON with a fixed field order (the
//! order of the struct below), so the exported line *is* the leaf input: a verifier hashes
//! the bytes it received and needs no canonicalisation rules. `v` and `index` come first so
//! that an auditor can check an entry sits at its position without parsing it.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The entry format version written by this code.
pub const ENTRY_FORMAT: u8 = 1;
/// Longest accepted operation code, purpose, category or object id.
const MAX_CODE_CHARS: usize = 120;
/// Most categories one entry may name.
const MAX_CATEGORIES: usize = 64;
/// Most subjects one entry may name in `subjects` (a batch lookup's size).
pub const MAX_ENTRY_SUBJECTS: usize = 1000;

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// An API token holder: the token's id and role, never its label.
    Token { token: String, role: String },
    /// The operator at obereg's command line, on the server itself.
    Operator,
    /// The data subject, through the subject portal.
    Subject,
    /// obereg on its own: retention sweeps, scheduled jobs.
    System,
}

/// How the operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done.
    Ok,
    /// Refused by a decision or a role check; nothing changed.
    Denied,
}

/// An entry as the engine prepares it, before the store gives it a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryDraft {
    pub time: Timestamp,
    pub tenant: String,
    pub actor: Actor,
    /// A 152-FZ art. 3 operation (`extraction`, `destruction`, …) or one of obereg's own
    /// (`token.issued`, `catalog.published`, `consent.given`, …).
    pub operation: String,
    /// The catalog purpose the operation served, when it served one.
    pub purpose: Option<String>,
    /// The subject's opaque id, never an identifier such as a phone number.
    pub subject: Option<String>,
    /// Several subjects touched by one operation (a batch lookup, a pre-dial check), each
    /// by opaque id, sorted; empty otherwise. An entry names one subject in `subject` or
    /// several here, never both.
    pub subjects: Vec<String>,
    /// Catalog category ids touched, never their values.
    pub categories: Vec<String>,
    /// What was acted on when it is not a subject: `token:<id>`, `catalog:<version>`.
    pub object: Option<String>,
    /// The API request id, to match the entry with server logs.
    pub request: Option<String>,
    pub outcome: Outcome,
}

/// A journal entry at its position in a tenant's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub v: u8,
    pub index: u64,
    pub time: Timestamp,
    pub tenant: String,
    pub actor: Actor,
    pub operation: String,
    pub purpose: Option<String>,
    pub subject: Option<String>,
    /// Left out of the encoding when empty, so entries written before the field existed
    /// encode (and hash) exactly as they did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
    pub categories: Vec<String>,
    pub object: Option<String>,
    pub request: Option<String>,
    pub outcome: Outcome,
    /// The tenant's catalog version in force when the entry was written.
    pub catalog_version: Option<i64>,
}

/// A draft that would put something other than codes and ids into the journal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("journal entry field `{0}` must be a short code or id (letters, digits, '.', '_', ':', '-')")]
pub struct InvalidDraft(pub &'static str);

/// Whether `text` is a short code or opaque id, the only kind of text an entry may hold.
pub fn is_code(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_CODE_CHARS
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

impl EntryDraft {
    /// Refuses free text: every field is a code or an opaque id, which is what keeps
    /// personal-data values out of the journal by construction.
    pub fn validate(&self) -> Result<(), InvalidDraft> {
        let check = |value: Option<&str>, field: &'static str| match value {
            Some(v) if !is_code(v) => Err(InvalidDraft(field)),
            _ => Ok(()),
        };
        check(Some(&self.tenant), "tenant")?;
        check(Some(&self.operation), "operation")?;
        check(self.purpose.as_deref(), "purpose")?;
        check(self.subject.as_deref(), "subject")?;
        check(self.object.as_deref(), "object")?;
        check(self.request.as_deref(), "request")?;
        if let Actor::Token { token, role } = &self.actor {
            check(Some(token), "actor.token")?;
            check(Some(role), "actor.role")?;
        }
        if self.categories.len() > MAX_CATEGORIES {
            return Err(InvalidDraft("categories"));
        }
        if self.subjects.len() > MAX_ENTRY_SUBJECTS || (self.subject.is_some() && !self.subjects.is_empty()) {
            return Err(InvalidDraft("subjects"));
        }
        self.subjects.iter().try_for_each(|s| check(Some(s), "subjects"))?;
        self.categories.iter().try_for_each(|c| check(Some(c), "categories"))
    }

    /// Places the draft at `index`, stamped with the catalog version in force.
    pub fn seal(&self, index: u64, catalog_version: Option<i64>) -> Entry {
        Entry {
            v: ENTRY_FORMAT,
            index,
            time: self.time,
            tenant: self.tenant.clone(),
            actor: self.actor.clone(),
            operation: self.operation.clone(),
            purpose: self.purpose.clone(),
            subject: self.subject.clone(),
            subjects: self.subjects.clone(),
            categories: self.categories.clone(),
            object: self.object.clone(),
            request: self.request.clone(),
            outcome: self.outcome,
            catalog_version,
        }
    }
}

impl Entry {
    /// The exact bytes that are stored, exported and hashed into the leaf.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("an entry always serialises")
    }

    /// Reads an entry back from its bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// How the encoding of the entry at `index` begins.
    pub fn prefix(index: u64) -> String {
        format!("{{\"v\":{ENTRY_FORMAT},\"index\":{index},")
    }

    /// Whether `body` begins like the encoding of the entry at `index`, without allocating
    /// (the auditor asks this of every stored entry).
    pub fn is_at(body: &[u8], index: u64) -> bool {
        const HEAD: &[u8] = b"{\"v\":1,\"index\":";
        let Some(rest) = body.strip_prefix(HEAD) else { return false };
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let mut buf = [0u8; 20];
        let mut n = index;
        let mut at = buf.len();
        loop {
            at -= 1;
            buf[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        rest[..digits] == buf[at..] && rest.get(digits) == Some(&b',')
    }
}
