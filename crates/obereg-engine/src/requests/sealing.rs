//! The personal part of a request, sealed, and the secrets around it.
//!
//! A request row must outlive its subject: it is the operator's evidence that a right was
//! answered on time, and it names the person who asked (their address, their words). So it
//! cannot be sealed under the subject's data key, which erasure destroys. It is sealed under
//! a tenant key for requests instead, derived from the root key with HKDF under
//! `obereg request data v1\0<tenant>` (AES-256-GCM, random nonce, associated data naming
//! tenant, request and field: a sealed blob moved to another request or field fails to
//! open). Outbox payloads (address and text) are sealed the same way and wiped once
//! delivered; reasons in transitions too.
//!
//! One-time codes are six digits: their hash is keyed (HMAC-SHA256 under
//! `obereg request code v1\0<tenant>`, over request id and code), because a plain hash of a
//! million possible codes is reversed instantly. The follow key a requester gets is 256
//! random bits, so plain SHA-256 suffices, as for API tokens.

use aws_lc_rs::hmac;
use zeroize::{Zeroize, Zeroizing};

use crate::vault::crypto::{DataKey, ItemBinding, Sealer};
use crate::{Engine, EngineError};

use super::Language;

/// The follow key's visible prefix.
pub(crate) const KEY_PREFIX: &str = "obr_";

/// What a request holds about a person, sealed as one JSON document.
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct RequestPrivate {
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The request in the subject's words.
    pub details: Option<String>,
    pub language: Language,
    /// Subjects the verified contact matched when it matched more than one: never merged,
    /// staff must choose.
    #[serde(default)]
    pub candidates: Vec<String>,
    /// The answer given when the request closed.
    pub answer: Option<String>,
}

impl std::fmt::Debug for RequestPrivate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestPrivate(…)")
    }
}

impl Drop for RequestPrivate {
    fn drop(&mut self) {
        for text in [&mut self.email, &mut self.phone, &mut self.details, &mut self.answer].into_iter().flatten() {
            text.zeroize();
        }
    }
}

/// A field of a request sealed separately.
pub(crate) enum Field<'a> {
    Private,
    Note(i64),
    Message(&'a str),
}

impl Engine {
    fn request_sealer(&self, tenant: &str) -> Sealer {
        let mut info = b"obereg request data v1\0".to_vec();
        info.extend_from_slice(tenant.as_bytes());
        DataKey::from_bytes(self.root_key.derive(&info)).sealer()
    }

    pub(crate) fn seal_request_field(&self, tenant: &str, request: &str, field: Field<'_>, plain: &[u8]) -> Result<Vec<u8>, EngineError> {
        let item = field_name(field);
        let binding = ItemBinding { tenant, subject: request, item: &item, kind: "request", category: "", dek_version: 1 };
        Ok(self.request_sealer(tenant).seal(&binding, plain)?.0)
    }

    pub(crate) fn open_request_field(
        &self,
        tenant: &str,
        request: &str,
        field: Field<'_>,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, EngineError> {
        let item = field_name(field);
        let binding = ItemBinding { tenant, subject: request, item: &item, kind: "request", category: "", dek_version: 1 };
        self.request_sealer(tenant).open(&binding, sealed)
    }

    pub(crate) fn seal_private(&self, tenant: &str, request: &str, private: &RequestPrivate) -> Result<Vec<u8>, EngineError> {
        let json = Zeroizing::new(serde_json::to_vec(private).map_err(|_| EngineError::Internal("request encoding"))?);
        self.seal_request_field(tenant, request, Field::Private, &json)
    }

    pub(crate) fn open_private(&self, tenant: &str, request: &str, sealed: &[u8]) -> Result<RequestPrivate, EngineError> {
        let json = self.open_request_field(tenant, request, Field::Private, sealed)?;
        serde_json::from_slice(&json).map_err(|_| EngineError::Internal("a sealed request does not decode"))
    }

    /// The keyed hash a one-time code is kept as.
    pub(crate) fn code_hash(&self, tenant: &str, request: &str, code: &str) -> Vec<u8> {
        let mut info = b"obereg request code v1\0".to_vec();
        info.extend_from_slice(tenant.as_bytes());
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.root_key.derive(&info).as_ref());
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(request.as_bytes());
        ctx.update(&[0]);
        ctx.update(code.as_bytes());
        ctx.sign().as_ref().to_vec()
    }
}

fn field_name(field: Field<'_>) -> String {
    match field {
        Field::Private => "private".into(),
        Field::Note(idx) => format!("note-{idx}"),
        Field::Message(id) => format!("message-{id}"),
    }
}

/// A fresh six-digit code, uniformly drawn.
pub(crate) fn new_code() -> Result<Zeroizing<String>, EngineError> {
    loop {
        let mut bytes = [0u8; 4];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| EngineError::Internal("random generator failed"))?;
        let n = u32::from_le_bytes(bytes);
        // Reject the top sliver so every code is equally likely.
        if n < u32::MAX - (u32::MAX % 1_000_000) {
            return Ok(Zeroizing::new(format!("{:06}", n % 1_000_000)));
        }
    }
}

/// A fresh follow key for a requester.
pub(crate) fn new_follow_key() -> Result<Zeroizing<String>, EngineError> {
    Ok(Zeroizing::new(format!("{KEY_PREFIX}{}", crate::token::random_text(32)?.as_str())))
}

/// Compares two hashes in time independent of where they differ.
pub(crate) fn same_hash(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: std::collections::BTreeSet<String> = (0..50).map(|_| new_code().unwrap().to_string()).collect();
        assert!(codes.iter().all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        assert!(codes.len() > 40, "50 draws of a million codes barely repeat");
        assert!(new_follow_key().unwrap().starts_with(KEY_PREFIX));
        assert!(same_hash(b"abc", b"abc") && !same_hash(b"abc", b"abd") && !same_hash(b"abc", b"ab"));
    }
}
