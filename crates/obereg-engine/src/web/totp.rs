//! Time-based one-time passwords (RFC 6238) for the console's optional second factor.
//!
//! HMAC-SHA-1 over 30-second steps, six digits: what every authenticator app understands by
//! default. SHA-1's collision weakness does not touch HMAC's use here. A code of the step
//! before or after is accepted too, for clocks a little apart. The secret is 160 random
//! bits shown once as base32 and as an `otpauth://` address for a QR code.

use aws_lc_rs::{constant_time, hmac, rand};
use zeroize::Zeroizing;

use crate::EngineError;

const STEP_SECONDS: i64 = 30;
const DIGITS: u32 = 6;
const SECRET_BYTES: usize = 20;

/// A fresh secret.
pub fn new_secret() -> Result<Zeroizing<Vec<u8>>, EngineError> {
    let mut secret = Zeroizing::new(vec![0u8; SECRET_BYTES]);
    rand::fill(secret.as_mut_slice()).map_err(|_| EngineError::Internal("random generator failed"))?;
    Ok(secret)
}

/// The code for the step that holds `unix_seconds`.
pub fn code_at(secret: &[u8], unix_seconds: i64) -> String {
    code_for_step(secret, unix_seconds.div_euclid(STEP_SECONDS))
}

fn code_for_step(secret: &[u8], step: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let mac = hmac::sign(&key, &step.to_be_bytes());
    let mac = mac.as_ref();
    // RFC 4226 §5.3 dynamic truncation.
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let value = u32::from_be_bytes([mac[offset] & 0x7f, mac[offset + 1], mac[offset + 2], mac[offset + 3]]);
    format!("{:0width$}", value % 10u32.pow(DIGITS), width = DIGITS as usize)
}

/// Whether `code` is the code of the step of `unix_seconds` or of one step either side.
pub fn verify(secret: &[u8], code: &str, unix_seconds: i64) -> bool {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let step = unix_seconds.div_euclid(STEP_SECONDS);
    // Every candidate is compared, so the time taken does not tell which step matched.
    (step - 1..=step + 1)
        .fold(false, |ok, s| constant_time::verify_slices_are_equal(code_for_step(secret, s).as_bytes(), code.as_bytes()).is_ok() | ok)
}

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Reads [`base32`] text back (spaces and lower case allowed, as people retype keys);
/// `None` on any other character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let (mut out, mut buffer, mut bits) = (Vec::new(), 0u32, 0u32);
    for c in text.bytes().filter(|c| *c != b' ').map(|c| c.to_ascii_uppercase()) {
        let v = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".iter().position(|&a| a == c)? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// The `otpauth://` address an authenticator app reads from a QR code.
pub fn provisioning_uri(issuer: &str, login: &str, secret: &[u8]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { char::from(b).to_string() } else { format!("%{b:02X}") })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        enc(issuer),
        enc(login),
        base32(secret),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows, cut to six digits (the low six of the eight shown).
    #[test]
    fn rfc_6238_vectors() {
        let secret = b"12345678901234567890";
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(secret, time), eight[2..], "time {time}");
        }
    }

    #[test]
    fn neighbouring_steps_pass_and_others_fail() {
        let secret = b"12345678901234567890";
        let now = 1_234_567_890;
        assert!(verify(secret, &code_at(secret, now), now));
        assert!(verify(secret, &code_at(secret, now - 30), now));
        assert!(verify(secret, &code_at(secret, now + 30), now));
        assert!(!verify(secret, &code_at(secret, now - 90), now));
        assert!(!verify(secret, "", now));
        assert!(!verify(secret, "12345a", now));
        assert!(!verify(secret, "1234567", now));
    }

    #[test]
    fn base32_matches_rfc_4648() {
        // RFC 4648 §10, without padding.
        for (input, output) in
            [("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI")]
        {
            assert_eq!(base32(input.as_bytes()), output);
            assert_eq!(base32_decode(output).unwrap(), input.as_bytes(), "{output}");
        }
        assert_eq!(base32_decode("mzxw 6ytb oi").unwrap(), b"foobar", "retyped keys: spaces and lower case");
        assert_eq!(base32_decode("MZXW1"), None, "1 is not in the alphabet");
        let uri = provisioning_uri("ООО Ромашка", "dpo@example.ru", b"12345678901234567890");
        assert!(uri.starts_with("otpauth://totp/%D0%9E"), "{uri}");
        assert!(uri.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&"), "{uri}");
    }
}
