//! Personal-data detection for the adapters (`obereg scan`/`redact`, `/v1/detect`,
//! `/v1/redact`): the tenant's pseudonym key, and redaction with it.
//!
//! The pseudonym key is derived from the root key with HKDF under
//! `obereg pseudonym v1\0<tenant>`: the same value gets the same token everywhere within a
//! tenant (analytics still join across exports), a different one in another tenant, and
//! nobody without the root key can compute a token from a guessed phone number.

use obereg_detect::{Finding, Method};
use zeroize::Zeroizing;

use crate::{Actor, Engine, EngineError};

impl Engine {
    /// The tenant's key for keyed pseudonyms (32 bytes).
    pub fn pseudonym_key(&self, tenant: &str) -> Zeroizing<Vec<u8>> {
        let mut info = b"obereg pseudonym v1\0".to_vec();
        info.extend_from_slice(tenant.as_bytes());
        Zeroizing::new(self.root_key.derive(&info).to_vec())
    }

    /// `text` with its personal data replaced: by type label, mask, or the tenant's keyed
    /// pseudonym. Returns the redacted bytes and what was found.
    pub fn redact_text(&self, tenant: &str, text: &[u8], method: RedactionMethod) -> (Vec<u8>, Vec<Finding>) {
        let found = obereg_detect::detect(text);
        let method = match method {
            RedactionMethod::Label => Method::Label,
            RedactionMethod::Mask => Method::Mask,
            RedactionMethod::Pseudonym => Method::Pseudonym(self.pseudonym_key(tenant)),
        };
        (obereg_detect::redact(text, &found, &method), found)
    }
}

impl Engine {
    /// The personal data in `text`, for any authenticated caller: nothing stored is read
    /// and nothing is kept.
    pub fn detect_for(&self, _actor: &Actor, text: &str) -> Vec<Finding> {
        obereg_detect::detect(text.as_bytes())
    }

    /// `text` redacted for `actor`. Pseudonyms are for administrators only: a caller who
    /// could pseudonymise any value could pseudonymise guesses and re-identify an export.
    pub fn redact_for(&self, actor: &Actor, text: &str, method: RedactionMethod) -> Result<(String, Vec<Finding>), EngineError> {
        if method == RedactionMethod::Pseudonym {
            actor.require_admin()?;
        }
        let (bytes, found) = self.redact_text(&actor.tenant, text.as_bytes(), method);
        // Valid UTF-8 in, whole findings replaced by ASCII: valid UTF-8 out.
        let text = String::from_utf8(bytes).map_err(|_| EngineError::Internal("redaction broke a character"))?;
        Ok((text, found))
    }
}

/// How redaction replaces a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedactionMethod {
    /// `[PHONE]`
    Label,
    /// `+7 *** ***-**-89`
    Mask,
    /// `PHONE_4f1c9a2b07d3e611`, keyed per tenant.
    Pseudonym,
}

impl RedactionMethod {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "label" => Some(Self::Label),
            "mask" => Some(Self::Mask),
            "pseudonym" => Some(Self::Pseudonym),
            _ => None,
        }
    }
}
