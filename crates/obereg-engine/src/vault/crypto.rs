//! The vault's cryptography: key-encryption keys, per-subject data keys, sealing values and
//! blind indexes. All primitives come from aws-lc-rs.
//!
//! Key hierarchy (DESIGN.md §4):
//! - **KEK** (key-encryption key), one per tenant and version, derived from the root key with
//!   HKDF under `obereg kek v1\0<tenant>\0<version>`. Nothing about it is stored but its
//!   version number; rotating adds a version and re-wraps every data key.
//! - **DEK** (data key), 256 random bits per subject, stored only wrapped by a KEK
//!   (AES-256-GCM, random 96-bit nonce) with associated data naming tenant, subject, DEK
//!   version and KEK version, so a wrapped key copied to another subject does not open.
//!   Destroying the wrapped DEK is erasing the subject: every copy of its data, backups
//!   included, becomes ciphertext without a key.
//! - **Values** are sealed with AES-256-GCM under the DEK, random nonce, associated data
//!   naming tenant, subject, item, kind, category and DEK version: a ciphertext moved to
//!   another row, subject or category fails to open. Random nonces are safe here because
//!   one DEK seals a few thousand values at most, far below GCM's 2^32 random-nonce bound.
//! - **Blind indexes** are HMAC-SHA256 of the normalised value under a key per tenant and
//!   category (HKDF `obereg blind index v1\0<tenant>\0<category>`), truncated to 128 bits:
//!   equality search without decryption, and an index of one category says nothing about
//!   another's. The key is not per subject (a search must not know the subject), so an
//!   index outlives erasure in old backups; without the root key it is an opaque value.
//!
//! Key material lives in `Zeroizing` buffers and is wiped when dropped; aws-lc-rs wipes its
//! own key schedules on free.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::{hmac, rand};
use zeroize::Zeroizing;

use crate::EngineError;
use crate::root_key::RootKey;

/// Format byte leading every sealed value and wrapped key, so the layout can change later.
const FORMAT_V1: u8 = 1;
/// Length of a blind index in bytes.
pub const BLIND_LEN: usize = 16;

/// A sealed value: format byte, nonce, ciphertext and tag. The only form in which a value
/// reaches storage.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedValue(pub Vec<u8>);

impl std::fmt::Debug for SealedValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealedValue({} bytes)", self.0.len())
    }
}

/// A subject's data key in the clear; wiped on drop.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(…)")
    }
}

/// What a sealed item is bound to.
#[derive(Debug, Clone, Copy)]
pub struct ItemBinding<'a> {
    pub tenant: &'a str,
    pub subject: &'a str,
    pub item: &'a str,
    pub kind: &'a str,
    pub category: &'a str,
    pub dek_version: i64,
}

impl ItemBinding<'_> {
    fn aad(&self) -> Vec<u8> {
        let mut aad = b"obereg item v1".to_vec();
        for part in [self.tenant, self.subject, self.item, self.kind, self.category] {
            aad.push(0);
            aad.extend_from_slice(part.as_bytes());
        }
        aad.push(0);
        aad.extend_from_slice(&self.dek_version.to_be_bytes());
        aad
    }
}

impl DataKey {
    pub fn generate() -> Result<Self, EngineError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::fill(bytes.as_mut()).map_err(|_| EngineError::Internal("random generator failed"))?;
        Ok(Self(bytes))
    }

    fn aead(&self) -> LessSafeKey {
        // 32 bytes is always a valid AES-256 key.
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, self.0.as_ref()).expect("AES-256 key length"))
    }

    /// A key derived elsewhere (from the root key, for data that is not a subject's).
    pub(crate) fn from_bytes(bytes: Zeroizing<[u8; 32]>) -> Self {
        Self(bytes)
    }

    /// A sealer for many values of one subject (the key schedule is computed once).
    pub fn sealer(&self) -> Sealer {
        Sealer(self.aead())
    }
}

/// Seals and opens values under one data key.
pub struct Sealer(LessSafeKey);

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(…)")
    }
}

impl Sealer {
    pub fn seal(&self, binding: &ItemBinding<'_>, plaintext: &[u8]) -> Result<SealedValue, EngineError> {
        Ok(SealedValue(seal_with(&self.0, &binding.aad(), plaintext)?))
    }

    /// Opens a sealed value; any change to it or to its binding fails.
    pub fn open(&self, binding: &ItemBinding<'_>, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, EngineError> {
        open_with(&self.0, &binding.aad(), sealed).ok_or(EngineError::Internal("a sealed value failed to open"))
    }
}

fn seal_with(key: &LessSafeKey, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, EngineError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::fill(&mut nonce).map_err(|_| EngineError::Internal("random generator failed"))?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + AES_256_GCM.tag_len());
    out.push(FORMAT_V1);
    out.extend_from_slice(&nonce);
    let mut body = plaintext.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut body)
        .map_err(|_| EngineError::Internal("sealing failed"))?;
    out.extend_from_slice(&body);
    body.iter_mut().for_each(|b| *b = 0);
    Ok(out)
}

fn open_with(key: &LessSafeKey, aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let (&format, rest) = sealed.split_first()?;
    if format != FORMAT_V1 || rest.len() < NONCE_LEN + AES_256_GCM.tag_len() {
        return None;
    }
    let (nonce, body) = rest.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut buf = Zeroizing::new(body.to_vec());
    let len = key.open_in_place(nonce, Aad::from(aad), &mut buf).ok()?.len();
    buf.truncate(len);
    Some(buf)
}

/// What a wrapped data key is bound to.
fn wrap_aad(tenant: &str, subject: &str, dek_version: i64, kek_version: i64) -> Vec<u8> {
    let mut aad = b"obereg dek v1".to_vec();
    for part in [tenant, subject] {
        aad.push(0);
        aad.extend_from_slice(part.as_bytes());
    }
    aad.push(0);
    aad.extend_from_slice(&dek_version.to_be_bytes());
    aad.extend_from_slice(&kek_version.to_be_bytes());
    aad
}

/// Derives KEKs and blind-index keys from the root key, caching the derived keys.
pub struct Keyring {
    root: Arc<RootKey>,
    keks: Mutex<HashMap<(String, i64), Arc<LessSafeKey>>>,
    blind: Mutex<HashMap<(String, String), Arc<hmac::Key>>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring(…)")
    }
}

impl Keyring {
    pub fn new(root: Arc<RootKey>) -> Self {
        Self { root, keks: Mutex::default(), blind: Mutex::default() }
    }

    fn kek(&self, tenant: &str, version: i64) -> Arc<LessSafeKey> {
        let mut cache = self.keks.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry((tenant.to_owned(), version))
            .or_insert_with(|| {
                let mut info = b"obereg kek v1\0".to_vec();
                info.extend_from_slice(tenant.as_bytes());
                info.push(0);
                info.extend_from_slice(&version.to_be_bytes());
                let bytes = self.root.derive(&info);
                Arc::new(LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes.as_ref()).expect("AES-256 key length")))
            })
            .clone()
    }

    /// Wraps a data key under the tenant's KEK `kek_version`.
    pub fn wrap(&self, key: &DataKey, tenant: &str, subject: &str, dek_version: i64, kek_version: i64) -> Result<Vec<u8>, EngineError> {
        seal_with(&self.kek(tenant, kek_version), &wrap_aad(tenant, subject, dek_version, kek_version), key.0.as_ref())
    }

    /// Unwraps a data key; fails if the wrapped bytes or their binding were altered.
    pub fn unwrap(&self, wrapped: &[u8], tenant: &str, subject: &str, dek_version: i64, kek_version: i64) -> Result<DataKey, EngineError> {
        let opened = open_with(&self.kek(tenant, kek_version), &wrap_aad(tenant, subject, dek_version, kek_version), wrapped)
            .ok_or(EngineError::Internal("a data key failed to unwrap"))?;
        let bytes: [u8; 32] = opened.as_slice().try_into().map_err(|_| EngineError::Internal("a data key has the wrong length"))?;
        Ok(DataKey(Zeroizing::new(bytes)))
    }

    /// The blind index of a normalised value of `category`.
    pub fn blind_index(&self, tenant: &str, category: &str, normal: &str) -> Vec<u8> {
        self.blinder(tenant, category).blind(normal)
    }

    /// The blind-index key of `category`, for blinding many values (a batch lookup) with one
    /// trip to the key cache.
    pub fn blinder(&self, tenant: &str, category: &str) -> Blinder {
        let mut cache = self.blind.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(key) = cache.get(&(tenant.to_owned(), category.to_owned())) {
            return Blinder(key.clone());
        }
        let mut info = b"obereg blind index v1\0".to_vec();
        info.extend_from_slice(tenant.as_bytes());
        info.push(0);
        info.extend_from_slice(category.as_bytes());
        let key = Arc::new(hmac::Key::new(hmac::HMAC_SHA256, self.root.derive(&info).as_ref()));
        cache.insert((tenant.to_owned(), category.to_owned()), key.clone());
        Blinder(key)
    }
}

/// One category's blind-index key (see [`Keyring::blinder`]).
pub struct Blinder(Arc<hmac::Key>);

impl std::fmt::Debug for Blinder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Blinder(..)")
    }
}

impl Blinder {
    /// The blind index of a normalised value: HMAC-SHA256, truncated to 128 bits.
    pub fn blind(&self, normal: &str) -> Vec<u8> {
        hmac::sign(&self.0, normal.as_bytes()).as_ref()[..BLIND_LEN].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring() -> Keyring {
        Keyring::new(Arc::new(RootKey::generate().unwrap()))
    }

    fn binding<'a>(subject: &'a str, item: &'a str, category: &'a str) -> ItemBinding<'a> {
        ItemBinding { tenant: "acme", subject, item, kind: "attribute", category, dek_version: 1 }
    }

    #[test]
    fn values_open_only_under_their_own_binding() {
        let key = DataKey::generate().unwrap();
        let sealer = key.sealer();
        let b = binding("s1", "i1", "contact.phone");
        let sealed = sealer.seal(&b, "+79161234567".as_bytes()).unwrap();
        assert_eq!(sealer.open(&b, &sealed.0).unwrap().as_slice(), b"+79161234567");
        assert!(!sealed.0.windows(4).any(|w| w == b"7916"), "no plaintext in the ciphertext");
        for other in [
            binding("s2", "i1", "contact.phone"),
            binding("s1", "i2", "contact.phone"),
            binding("s1", "i1", "contact.email"),
            ItemBinding { tenant: "beta", ..b },
            ItemBinding { dek_version: 2, ..b },
            ItemBinding { kind: "call", ..b },
        ] {
            assert!(sealer.open(&other, &sealed.0).is_err(), "{other:?}");
        }
        let mut tampered = sealed.0.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(sealer.open(&b, &tampered).is_err());
        assert!(DataKey::generate().unwrap().sealer().open(&b, &sealed.0).is_err(), "another key fails");
        assert!(sealer.open(&b, &[1, 2, 3]).is_err());
        // Random nonces: sealing twice gives different bytes.
        assert_ne!(sealer.seal(&b, b"x").unwrap(), sealer.seal(&b, b"x").unwrap());
    }

    #[test]
    fn wrapped_keys_are_bound_to_subject_and_versions() {
        let ring = keyring();
        let key = DataKey::generate().unwrap();
        let wrapped = ring.wrap(&key, "acme", "s1", 1, 1).unwrap();
        let back = ring.unwrap(&wrapped, "acme", "s1", 1, 1).unwrap();
        assert_eq!(back.0.as_ref(), key.0.as_ref());
        assert!(ring.unwrap(&wrapped, "acme", "s2", 1, 1).is_err());
        assert!(ring.unwrap(&wrapped, "beta", "s1", 1, 1).is_err());
        assert!(ring.unwrap(&wrapped, "acme", "s1", 1, 2).is_err(), "another KEK version");
        assert!(keyring().unwrap(&wrapped, "acme", "s1", 1, 1).is_err(), "another root key");
        assert!(!format!("{key:?}{back:?}").contains(&hex::encode(key.0.as_ref())[..8]));
    }

    #[test]
    fn blind_indexes_are_stable_per_category_and_tenant() {
        let ring = keyring();
        let a = ring.blind_index("acme", "contact.phone", "+79161234567");
        assert_eq!(a, ring.blinder("acme", "contact.phone").blind("+79161234567"));
        assert_eq!(a.len(), BLIND_LEN);
        assert_eq!(a, ring.blind_index("acme", "contact.phone", "+79161234567"));
        assert_ne!(a, ring.blind_index("acme", "contact.phone", "+79161234568"));
        assert_ne!(a, ring.blind_index("acme", "contact.email", "+79161234567"));
        assert_ne!(a, ring.blind_index("beta", "contact.phone", "+79161234567"));
        assert_ne!(a, keyring().blind_index("acme", "contact.phone", "+79161234567"));
    }
}
