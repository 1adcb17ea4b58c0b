//! Redaction: a copy of the text with every finding replaced, by one of three methods.
//!
//! - [`Method::Label`]: the type in brackets, `[PHONE]`.
//! - [`Method::Mask`]: the value with its digits and letters starred except the last two
//!   (`+7 *** ***-**-89`); separators stay, so the shape is still readable. An email keeps
//!   its domain (`***@mail.ru`).
//! - [`Method::Pseudonym`]: a keyed token, `PHONE_4f1c9a2b07d3e611`: HMAC-SHA256 of the type
//!   and the value with its separators removed, so the same person's number written two
//!   ways gets the same token and analytics still join, while without the key nobody can
//!   recompute it. The key is the caller's (obereg derives one per tenant).
//!
//! Findings never overlap (`detect` resolves them), so replacement is one left-to-right
//! copy. Bytes outside findings are copied unchanged, valid UTF-8 or not.

use crate::{Finding, Kind};

/// How a finding is replaced.
#[derive(Debug, Clone)]
pub enum Method {
    Label,
    Mask,
    /// A keyed pseudonym; the key should be at least 32 random bytes (wiped when dropped).
    Pseudonym(zeroize::Zeroizing<Vec<u8>>),
}

/// `text` with each of `findings` replaced (findings as [`crate::detect`] returns them).
pub fn redact(text: &[u8], findings: &[Finding], method: &Method) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut at = 0;
    for f in findings {
        if f.start < at || f.end > text.len() || f.start > f.end {
            continue;
        }
        out.extend_from_slice(&text[at..f.start]);
        let value = &text[f.start..f.end];
        match method {
            Method::Label => {
                out.push(b'[');
                out.extend_from_slice(f.kind.as_str().as_bytes());
                out.push(b']');
            }
            Method::Mask => mask(f.kind, value, &mut out),
            Method::Pseudonym(key) => {
                out.extend_from_slice(f.kind.as_str().as_bytes());
                out.push(b'_');
                out.extend_from_slice(pseudonym(key, f.kind, value).as_bytes());
            }
        }
        at = f.end;
    }
    out.extend_from_slice(&text[at..]);
    out
}

fn mask(kind: Kind, value: &[u8], out: &mut Vec<u8>) {
    if kind == Kind::Email
        && let Some(at) = value.iter().position(|&b| b == b'@')
    {
        out.extend_from_slice(b"***");
        out.extend_from_slice(&value[at..]);
        return;
    }
    let significant = value.iter().filter(|b| b.is_ascii_alphanumeric()).count();
    let keep_from = significant.saturating_sub(2);
    let mut seen = 0;
    // A leading `+` and country code stay readable for phones (`+7 *** ***-**-89`).
    let keep_prefix = if kind == Kind::Phone && value.first() == Some(&b'+') {
        value.iter().skip(1).take_while(|b| b.is_ascii_digit()).count().min(3)
    } else {
        0
    };
    for &b in value {
        if b.is_ascii_alphanumeric() {
            let keep = seen < keep_prefix || seen >= keep_from;
            out.push(if keep { b } else { b'*' });
            seen += 1;
        } else {
            out.push(b);
        }
    }
}

/// 16 hex characters (64 bits) of HMAC-SHA256 under `key` over the type and the value's
/// letters and digits, lowercased. Rationale: HMAC keeps tokens unforgeable and
/// irreversible without the key, even for values as guessable as phone numbers (a plain hash
/// of every Russian mobile number is computed in minutes); 64 bits keep accidental
/// collisions away for billions of distinct values within a tenant.
fn pseudonym(key: &[u8], kind: Kind, value: &[u8]) -> String {
    use aws_lc_rs::hmac;
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(kind.as_str().as_bytes());
    ctx.update(b"\0");
    let normal: Vec<u8> = value.iter().filter(|b| b.is_ascii_alphanumeric()).map(u8::to_ascii_lowercase).collect();
    ctx.update(&normal);
    let tag = ctx.sign();
    tag.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect;

    fn run(text: &str, method: &Method) -> String {
        String::from_utf8(redact(text.as_bytes(), &detect(text.as_bytes()), method)).unwrap()
    }

    #[test]
    fn each_method_replaces_only_the_findings() {
        let text = "Тел. +7 (916) 123-45-89, почта ivan.petrov@mail.ru, спасибо.";
        assert_eq!(run(text, &Method::Label), "Тел. [PHONE], почта [EMAIL], спасибо.");
        assert_eq!(run(text, &Method::Mask), "Тел. +7 (***) ***-**-89, почта ***@mail.ru, спасибо.");
        let key = Method::Pseudonym(b"tenant key of thirty-two bytes!!".to_vec().into());
        let a = run("звоните +7 916 123-45-89", &key);
        let b = run("звоните +7 (916) 123 45 89", &key);
        assert_eq!(a, b, "the same number written two ways joins");
        assert!(a.starts_with("звоните PHONE_") && a.len() == "звоните PHONE_".len() + 16, "{a}");
        let other = run("звоните +7 916 123-45-89", &Method::Pseudonym(b"another tenant's key, 32 bytes!!".to_vec().into()));
        assert_ne!(a, other, "another key, another token");
    }
}
