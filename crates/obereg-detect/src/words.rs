//! Candidates that are not plain digit runs: email addresses (found at their `@`), IBANs
//! (two capital letters and two digits at a word start), IPv6 addresses (hex groups with
//! colons) and dates of birth written with a month name (`11 мая 1962 г.`,
//! `September 11, 1950`, `18 January 2004`).

use crate::context::{Label, before};
use crate::numeric::{is_word_byte, valid_date};
use crate::{Finding, Kind, checks};

fn local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn domain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')
}

/// The address around the `@` at `at`, if it is one: a local part of up to 64 bytes and a
/// domain with a dot and a top-level part of two or more letters.
pub fn email(text: &[u8], at: usize) -> Option<Finding> {
    let mut start = at;
    while start > 0 && local_byte(text[start - 1]) && at - start < 64 {
        start -= 1;
    }
    while start < at && matches!(text[start], b'.' | b'-' | b'+') {
        start += 1;
    }
    if start == at {
        return None;
    }
    let mut end = at + 1;
    while end < text.len() && domain_byte(text[end]) && end - at < 255 {
        end += 1;
    }
    while end > at + 1 && matches!(text[end - 1], b'.' | b'-') {
        end -= 1;
    }
    let domain = &text[at + 1..end];
    let dot = domain.iter().rposition(|&b| b == b'.')?;
    let tld = &domain[dot + 1..];
    if dot == 0 || tld.len() < 2 || !tld.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    Some(Finding { kind: Kind::Email, start, end, confidence: 0.99, reason: "email" })
}

/// An IBAN starting at `i` (two capital letters, two digits), compact or in groups of four
/// separated by single spaces, with a passing mod-97 check.
pub fn iban(text: &[u8], i: usize) -> Option<Finding> {
    if i > 0 && is_word_byte(text[i - 1]) {
        return None;
    }
    let head = text.get(i..i + 4)?;
    if !(head[0].is_ascii_uppercase() && head[1].is_ascii_uppercase() && head[2].is_ascii_digit() && head[3].is_ascii_digit()) {
        return None;
    }
    let mut compact = [0u8; 34];
    let mut len = 0;
    let mut j = i;
    let mut end = i;
    while j < text.len() && len < 34 {
        let b = text[j];
        if b.is_ascii_digit() || b.is_ascii_uppercase() {
            compact[len] = b;
            len += 1;
            j += 1;
            end = j;
        } else if b == b' ' && len % 4 == 0 && text.get(j + 1).is_some_and(|n| n.is_ascii_digit() || n.is_ascii_uppercase()) {
            j += 1;
        } else {
            break;
        }
    }
    if text.get(end).is_some_and(|&b| is_word_byte(b)) {
        return None;
    }
    checks::iban(&compact[..len]).then_some(Finding { kind: Kind::Iban, start: i, end, confidence: 0.97, reason: "iban_checksum" })
}

/// An IPv6 address starting at `i`: eight hex groups, or fewer with one `::`.
pub fn ipv6(text: &[u8], i: usize) -> Option<Finding> {
    if i > 0 && (is_word_byte(text[i - 1]) || text[i - 1] == b':') {
        return None;
    }
    let mut j = i;
    let mut groups = 0;
    let mut compressed = false;
    let mut digits_in_group = 0;
    let mut end = i;
    while j < text.len() {
        let b = text[j];
        if b.is_ascii_hexdigit() {
            digits_in_group += 1;
            if digits_in_group > 4 {
                return None;
            }
            j += 1;
            end = j;
            continue;
        }
        if b != b':' {
            break;
        }
        if digits_in_group > 0 {
            groups += 1;
        }
        digits_in_group = 0;
        if text.get(j + 1) == Some(&b':') {
            if compressed {
                return None;
            }
            compressed = true;
            j += 2;
            end = j;
        } else if text.get(j + 1).is_some_and(u8::is_ascii_hexdigit) {
            j += 1;
        } else {
            break;
        }
    }
    if digits_in_group > 0 {
        groups += 1;
    }
    if text.get(end).is_some_and(|&b| is_word_byte(b)) {
        return None;
    }
    let ok = if compressed { (2..=7).contains(&groups) } else { groups == 8 };
    ok.then_some(Finding { kind: Kind::Ipv6, start: i, end, confidence: 0.95, reason: "ipv6" })
}

/// Month names: Russian in the genitive (as in «11 мая»), English in full.
const MONTHS: &[(&str, u32)] = &[
    ("января", 1),
    ("февраля", 2),
    ("марта", 3),
    ("апреля", 4),
    ("мая", 5),
    ("июня", 6),
    ("июля", 7),
    ("августа", 8),
    ("сентября", 9),
    ("октября", 10),
    ("ноября", 11),
    ("декабря", 12),
    ("January", 1),
    ("February", 2),
    ("March", 3),
    ("April", 4),
    ("May", 5),
    ("June", 6),
    ("July", 7),
    ("August", 8),
    ("September", 9),
    ("October", 10),
    ("November", 11),
    ("December", 12),
];

fn month_at(text: &[u8], at: usize) -> Option<(u32, usize)> {
    MONTHS.iter().find(|(name, _)| text.get(at..at + name.len()) == Some(name.as_bytes())).map(|(name, m)| (*m, at + name.len()))
}

fn digits_at(text: &[u8], at: usize, min: usize, max: usize) -> Option<(u32, usize)> {
    let mut j = at;
    let mut n = 0u32;
    while j < text.len() && text[j].is_ascii_digit() && j - at < max {
        n = n * 10 + u32::from(text[j] - b'0');
        j += 1;
    }
    (j - at >= min && !text.get(j).is_some_and(u8::is_ascii_digit)).then_some((n, j))
}

/// `11 мая 1962 г.` / `18 January 2004` starting at the day's digits at `i`.
pub fn day_month_year(text: &[u8], i: usize) -> Option<Finding> {
    if i > 0 && is_word_byte(text[i - 1]) {
        return None;
    }
    let (day, j) = digits_at(text, i, 1, 2)?;
    if text.get(j) != Some(&b' ') {
        return None;
    }
    let (month, j) = month_at(text, j + 1)?;
    if text.get(j) != Some(&b' ') {
        return None;
    }
    let (year, mut end) = digits_at(text, j + 1, 4, 4)?;
    let suffix = " г.".as_bytes();
    if text.get(end..end + suffix.len()) == Some(suffix) {
        end += suffix.len();
    }
    (valid_date(year, month, day) && before(text, i, Label::Birth)).then_some(Finding {
        kind: Kind::DateOfBirth,
        start: i,
        end,
        confidence: 0.9,
        reason: "date_after_birth_word",
    })
}

/// `September 11, 1950` starting at the month at `i`.
pub fn month_day_year(text: &[u8], i: usize) -> Option<Finding> {
    if (i > 0 && is_word_byte(text[i - 1])) || !matches!(text[i], b'J' | b'F' | b'M' | b'A' | b'S' | b'O' | b'N' | b'D') {
        return None;
    }
    let (month, j) = month_at(text, i)?;
    if text.get(j) != Some(&b' ') {
        return None;
    }
    let (day, j) = digits_at(text, j + 1, 1, 2)?;
    if text.get(j..j + 2) != Some(b", ") {
        return None;
    }
    let (year, end) = digits_at(text, j + 2, 4, 4)?;
    (valid_date(year, month, day) && before(text, i, Label::Birth)).then_some(Finding {
        kind: Kind::DateOfBirth,
        start: i,
        end,
        confidence: 0.9,
        reason: "date_after_birth_word",
    })
}
