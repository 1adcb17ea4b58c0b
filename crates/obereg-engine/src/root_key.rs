//! The root secret every other key is derived from.
//!
//! Why one root: obereg derives key-encryption keys, blind-index keys and signing keys from
//! this secret with HKDF (labels per purpose), so an operator backs up and protects exactly
//! one value. It lives in a file with mode 0600 (refused if group or others can read it) or
//! in the environment (`OBEREG_ROOT_KEY`, 64 hex characters) for deployments that inject
//! secrets. Losing it makes sealed data unreadable by design.
//!
//! The bytes never appear in `Debug` output and are wiped from memory on drop.

use std::io::Write;
use std::path::Path;

use aws_lc_rs::{digest, hkdf, rand};
use zeroize::Zeroizing;

/// Length of the root secret in bytes (256 bits).
pub const ROOT_KEY_LEN: usize = 32;

/// Problems with the root key.
#[derive(Debug, thiserror::Error)]
pub enum RootKeyError {
    #[error("root key file {path} is readable by group or others (mode {mode:o}); run `chmod 600 {path}`")]
    TooOpen { path: String, mode: u32 },
    #[error("root key is malformed: expected {ROOT_KEY_LEN} bytes as 64 hex characters")]
    Malformed,
    #[error("root key file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("the system random generator failed")]
    Random,
}

/// The root secret.
pub struct RootKey {
    bytes: Zeroizing<[u8; ROOT_KEY_LEN]>,
}

impl std::fmt::Debug for RootKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RootKey({})", self.fingerprint())
    }
}

impl RootKey {
    /// A fresh random root key.
    pub fn generate() -> Result<Self, RootKeyError> {
        let mut bytes = Zeroizing::new([0u8; ROOT_KEY_LEN]);
        rand::fill(bytes.as_mut()).map_err(|_| RootKeyError::Random)?;
        Ok(Self { bytes })
    }

    /// Parses 64 hex characters (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Self, RootKeyError> {
        let decoded = Zeroizing::new(hex::decode(text.trim()).map_err(|_| RootKeyError::Malformed)?);
        let array: [u8; ROOT_KEY_LEN] = decoded.as_slice().try_into().map_err(|_| RootKeyError::Malformed)?;
        Ok(Self { bytes: Zeroizing::new(array) })
    }

    /// Reads the key file, refusing one that group or others may read.
    pub fn load(path: &Path) -> Result<Self, RootKeyError> {
        let io = |source| RootKeyError::Io { path: path.display().to_string(), source };
        check_private(path)?;
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io)?);
        Self::from_hex(&text)
    }

    /// Creates the key file with mode 0600; fails if it exists, so a key is never overwritten.
    pub fn create(path: &Path) -> Result<Self, RootKeyError> {
        let io = |source| RootKeyError::Io { path: path.display().to_string(), source };
        let key = Self::generate()?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(io)?;
        let text = Zeroizing::new(format!("{}\n", hex::encode(key.bytes.as_ref())));
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(key)
    }

    /// A short public identifier of the key (not secret): the first 8 bytes of SHA-256 over
    /// an HKDF-derived value, so it reveals nothing about the key or other derived keys.
    pub fn fingerprint(&self) -> String {
        let derived = self.derive(b"obereg fingerprint v1");
        let hash = digest::digest(&digest::SHA256, derived.as_ref());
        hex::encode(&hash.as_ref()[..8])
    }

    /// A 256-bit key for one purpose, derived with HKDF-SHA256 (RFC 5869). Distinct `info`
    /// labels give independent keys; the salt is fixed because the root is already uniform.
    pub fn derive(&self, info: &[u8]) -> Zeroizing<[u8; 32]> {
        struct Len32;
        impl hkdf::KeyType for Len32 {
            fn len(&self) -> usize {
                32
            }
        }
        let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, b"obereg root v1");
        let prk = salt.extract(self.bytes.as_ref());
        let mut out = Zeroizing::new([0u8; 32]);
        let info = [info];
        // expand/fill only fail when the requested length exceeds 255 hash blocks.
        prk.expand(&info, Len32).and_then(|okm| okm.fill(out.as_mut())).expect("32 bytes is a valid HKDF-SHA256 output length");
        out
    }
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), RootKeyError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|source| RootKeyError::Io { path: path.display().to_string(), source })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(RootKeyError::TooOpen { path: path.display().to_string(), mode });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), RootKeyError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_file_is_private_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        let key = RootKey::create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let loaded = RootKey::load(&path).unwrap();
        assert_eq!(key.fingerprint(), loaded.fingerprint());
        assert!(RootKey::create(&path).is_err(), "an existing key is never overwritten");
    }

    #[cfg(unix)]
    #[test]
    fn a_readable_key_file_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        RootKey::create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(RootKey::load(&path), Err(RootKeyError::TooOpen { mode: 0o644, .. })));
    }

    #[test]
    fn malformed_keys_are_refused_and_debug_hides_the_bytes() {
        assert!(matches!(RootKey::from_hex("abcd"), Err(RootKeyError::Malformed)));
        assert!(matches!(RootKey::from_hex(&"zz".repeat(32)), Err(RootKeyError::Malformed)));
        let hex_key = "11".repeat(32);
        let key = RootKey::from_hex(&hex_key).unwrap();
        let shown = format!("{key:?}");
        assert!(!shown.contains(&hex_key) && !shown.contains("1111"), "{shown}");
    }

    #[test]
    fn derived_keys_differ_by_label_and_are_stable() {
        let key = RootKey::from_hex(&"22".repeat(32)).unwrap();
        assert_eq!(*key.derive(b"a"), *key.derive(b"a"));
        assert_ne!(*key.derive(b"a"), *key.derive(b"b"));
        assert_ne!(key.fingerprint(), RootKey::from_hex(&"23".repeat(32)).unwrap().fingerprint());
    }
}
