//! API bearer tokens: generation, hashing, and the roles they carry.
//!
//! A token is `obg_` followed by 43 base64url characters (256 random bits); the prefix lets
//! secret scanners recognise a leaked token. Only SHA-256 of the token is stored: with 256
//! bits of entropy a fast hash is enough (no password-style stretching needed), and a stolen
//! database does not yield usable tokens.

use aws_lc_rs::{digest, rand};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroizing;

/// The visible prefix of every obereg token.
pub const TOKEN_PREFIX: &str = "obg_";
const TOKEN_BYTES: usize = 32;

/// A freshly generated token: shown to its owner once, never stored.
pub struct SecretToken(Zeroizing<String>);

impl std::fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretToken(…)")
    }
}

impl SecretToken {
    pub fn generate() -> Result<Self, crate::EngineError> {
        Ok(Self(Zeroizing::new(format!("{TOKEN_PREFIX}{}", random_text(TOKEN_BYTES)?.as_str()))))
    }

    /// The token text; named so that every place printing it stands out in review.
    pub fn reveal_once(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> Vec<u8> {
        hash_token(&self.0)
    }
}

/// `bytes` random bytes as base64url text, wiped from memory when dropped.
pub(crate) fn random_text(bytes: usize) -> Result<Zeroizing<String>, crate::EngineError> {
    let mut raw = Zeroizing::new(vec![0u8; bytes]);
    rand::fill(raw.as_mut()).map_err(|_| crate::EngineError::Internal("random generator failed"))?;
    Ok(Zeroizing::new(URL_SAFE_NO_PAD.encode(raw.as_slice())))
}

/// SHA-256 of a presented token, the form tokens are looked up by.
pub fn hash_token(token: &str) -> Vec<u8> {
    digest::digest(&digest::SHA256, token.as_bytes()).as_ref().to_vec()
}

/// Whether `text` has the shape of an obereg token; anything else is refused before a
/// database lookup.
pub fn looks_like_token(text: &str) -> bool {
    text.strip_prefix(TOKEN_PREFIX)
        .is_some_and(|rest| rest.len() == 43 && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// What a token's holder may do.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything within one tenant: catalog, tokens.
    Admin,
    /// Admin of its own tenant, and creates and lists tenants.
    Platform,
    /// A staff role from the tenant's catalog (`[[roles]]`).
    Staff(String),
}

impl Role {
    pub fn parse(text: &str) -> Self {
        match text {
            "admin" => Role::Admin,
            "platform" => Role::Platform,
            other => Role::Staff(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Role::Admin => "admin",
            Role::Platform => "platform",
            Role::Staff(id) => id,
        }
    }

    /// Whether the role administers its tenant.
    pub fn is_admin(&self) -> bool {
        matches!(self, Role::Admin | Role::Platform)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_recognisable() {
        let a = SecretToken::generate().unwrap();
        let b = SecretToken::generate().unwrap();
        assert_ne!(a.reveal_once(), b.reveal_once());
        assert!(looks_like_token(a.reveal_once()), "{}", a.reveal_once().len());
        assert_eq!(a.hash(), hash_token(a.reveal_once()));
        assert_eq!(a.hash().len(), 32);
        assert!(!format!("{a:?}").contains(&a.reveal_once()[4..]));
    }

    #[test]
    fn malformed_tokens_are_recognised() {
        for bad in [
            "",
            "obg_",
            "Bearer x",
            &format!("obg_{}", "a".repeat(42)),
            &format!("obg_{}!", "a".repeat(42)),
            &format!("xyz_{}", "a".repeat(43)),
        ] {
            assert!(!looks_like_token(bad), "{bad}");
        }
    }

    #[test]
    fn roles_round_trip() {
        for r in [Role::Admin, Role::Platform, Role::Staff("support".into())] {
            assert_eq!(Role::parse(r.as_str()), r);
        }
        assert!(Role::Platform.is_admin() && !Role::Staff("x".into()).is_admin());
    }
}
