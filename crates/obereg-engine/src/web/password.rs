//! Staff passwords: Argon2id in the PHC string format.
//!
//! Parameters follow RFC 9106's second recommendation as OWASP lists it for memory-constrained
//! servers: 19 MiB, 2 passes, 1 lane, a 16-byte random salt, a 32-byte tag. The PHC text
//! (`$argon2id$v=19$m=19456,t=2,p=1$salt$tag`) is written and read here, so any Argon2
//! library can check an exported hash. Verification takes the parameters from the stored
//! text, within bounds: a tampered row cannot make one sign-in cost minutes. Hashing is
//! deliberately slow, so callers run it on the blocking pool.

use argon2::{Algorithm, Argon2, Params, Version};
use aws_lc_rs::{constant_time, rand};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use zeroize::Zeroizing;

use crate::EngineError;

const MEMORY_KIB: u32 = 19_456;
const PASSES: u32 = 2;
const LANES: u32 = 1;
const SALT_BYTES: usize = 16;
const TAG_BYTES: usize = 32;
/// Upper bounds accepted when reading a stored hash.
const MAX_MEMORY_KIB: u32 = 262_144;
const MAX_PASSES: u32 = 10;
const MAX_LANES: u32 = 8;

/// Shortest and longest passwords accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Refuses a password that is too short or too long (never saying what it was).
pub fn check_password(password: &str) -> Result<(), EngineError> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        return Err(EngineError::invalid(
            "staff.weak_password",
            format!("a password has {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"),
            format!("пароль — от {MIN_PASSWORD_CHARS} до {MAX_PASSWORD_CHARS} символов"),
        ));
    }
    Ok(())
}

fn tag(password: &[u8], salt: &[u8], memory: u32, passes: u32, lanes: u32) -> Result<Zeroizing<Vec<u8>>, EngineError> {
    let params = Params::new(memory, passes, lanes, Some(TAG_BYTES)).map_err(|_| EngineError::Internal("argon2 parameters"))?;
    let mut out = Zeroizing::new(vec![0u8; TAG_BYTES]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(password, salt, &mut out)
        .map_err(|_| EngineError::Internal("argon2"))?;
    Ok(out)
}

/// A new PHC string for `password`, with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, EngineError> {
    let mut salt = [0u8; SALT_BYTES];
    rand::fill(&mut salt).map_err(|_| EngineError::Internal("random generator failed"))?;
    let tag = tag(password.as_bytes(), &salt, MEMORY_KIB, PASSES, LANES)?;
    Ok(format!(
        "$argon2id$v=19$m={MEMORY_KIB},t={PASSES},p={LANES}${}${}",
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(tag.as_slice())
    ))
}

/// Whether `password` matches the PHC string `stored`. A malformed string never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    let Some((memory, passes, lanes, salt, expected)) = parse(stored) else { return false };
    match tag(password.as_bytes(), &salt, memory, passes, lanes) {
        Ok(got) => constant_time::verify_slices_are_equal(&got, &expected).is_ok(),
        Err(_) => false,
    }
}

/// Spends the time of one verification, for a login that does not exist: the answer's
/// timing then does not tell which logins do.
pub fn verify_nothing(password: &str) {
    let _ = tag(password.as_bytes(), &[0u8; SALT_BYTES], MEMORY_KIB, PASSES, LANES);
}

type Parsed = (u32, u32, u32, Vec<u8>, Vec<u8>);

fn parse(stored: &str) -> Option<Parsed> {
    let mut parts = stored.split('$');
    let (empty, alg, version, params, salt, hash) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if !empty.is_empty() || alg != "argon2id" || version != "v=19" || parts.next().is_some() {
        return None;
    }
    let (mut m, mut t, mut p) = (None, None, None);
    for pair in params.split(',') {
        let (key, value) = pair.split_once('=')?;
        let value: u32 = value.parse().ok()?;
        match key {
            "m" => m = Some(value),
            "t" => t = Some(value),
            "p" => p = Some(value),
            _ => return None,
        }
    }
    let (m, t, p) = (m?, t?, p?);
    if m > MAX_MEMORY_KIB || t > MAX_PASSES || p > MAX_LANES || t == 0 || p == 0 {
        return None;
    }
    let salt = STANDARD_NO_PAD.decode(salt).ok()?;
    let hash = STANDARD_NO_PAD.decode(hash).ok()?;
    (hash.len() == TAG_BYTES && salt.len() >= 8).then_some((m, t, p, salt, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash_password("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(verify_password("correct horse battery", &stored));
        assert!(!verify_password("correct horse batterY", &stored));
        // A fresh salt each time.
        assert_ne!(stored, hash_password("correct horse battery").unwrap());
    }

    #[test]
    fn matches_the_reference_argon2id_phc_encoding() {
        // The same password and salt through the argon2 crate's raw function with the same
        // parameters must give the tag stored in our text: the format is standard PHC.
        let stored = hash_password("pässwörd-ünïcode").unwrap();
        let parts: Vec<&str> = stored.split('$').collect();
        let salt = STANDARD_NO_PAD.decode(parts[4]).unwrap();
        let params = Params::new(19_456, 2, 1, Some(32)).unwrap();
        let mut out = [0u8; 32];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into("pässwörd-ünïcode".as_bytes(), &salt, &mut out)
            .unwrap();
        assert_eq!(STANDARD_NO_PAD.encode(out), parts[5]);
    }

    #[test]
    fn malformed_or_costly_hashes_never_match() {
        let good = hash_password("a long enough password").unwrap();
        for bad in [
            "",
            "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$AAAA",
            &good.replace("v=19", "v=16"),
            &good.replace("m=19456", "m=99999999"),
            &good.replace("t=2", "t=0"),
            &format!("{good}$extra"),
            &good[..good.len() - 4],
        ] {
            assert!(!verify_password("a long enough password", bad), "{bad}");
        }
    }

    #[test]
    fn password_length_is_checked() {
        assert!(check_password("short").is_err());
        assert!(check_password(&"x".repeat(257)).is_err());
        assert!(check_password("twelve chars").is_ok());
        // Characters, not bytes: twelve Cyrillic letters are enough.
        assert!(check_password("абвгдеёжзийк").is_ok());
    }
}
