//! Runs of digits with their separators — `+7 (912) 928-42-40`, `4561 6662 0378 7289`,
//! `661-734-646 12`, `10.229.21.158`, `1982-01-02` — read once and judged by their shape
//! (group lengths and separators) and check digits.
//!
//! The shape decides between types that share a digit count: eleven digits are a phone
//! when they start `8`/`+7` in a phone layout, a SNILS when grouped `3-3-3 2` or when the
//! checksum passes with a SNILS label; ten plain digits are an INN only when the INN check
//! digit passes. A run glued to letters (`ORD-2022-259906`, `1ZTZ20SA…`) is part of a code
//! and not looked at; a run followed by `:` is a time, not a date.

use crate::context::{Label, before};
use crate::{Finding, Kind, checks};

/// Most digits a run may hold (the longest identifier here: a 19-digit card).
const MAX_DIGITS: usize = 20;
/// Most groups a run may hold.
const MAX_GROUPS: usize = 8;

/// A run as read: digits (0–9 values), groups, separators before each group.
#[derive(Debug, Default)]
pub struct Run {
    pub start: usize,
    pub end: usize,
    pub plus: bool,
    pub digits: [u8; MAX_DIGITS],
    pub len: usize,
    /// Lengths of the digit groups.
    pub groups: [u8; MAX_GROUPS],
    /// The separator before each group (`0` for the first): ` `, `-`, `.`, `/`, `(`, `)`
    /// (a `) ` or ` (` pair is recorded as its bracket).
    pub seps: [u8; MAX_GROUPS],
    pub count: usize,
    /// More digits or groups than any identifier has: read to its end, judged as nothing.
    pub overflow: bool,
}

impl Run {
    fn digits(&self) -> &[u8] {
        &self.digits[..self.len]
    }

    fn groups(&self) -> &[u8] {
        &self.groups[..self.count]
    }

    fn seps(&self) -> &[u8] {
        &self.seps[1..self.count]
    }

    fn shape(&self, groups: &[u8], seps: &[u8]) -> bool {
        self.groups() == groups && self.seps() == seps
    }

    fn all_seps(&self, sep: u8) -> bool {
        self.seps().iter().all(|&s| s == sep)
    }
}

/// Bytes that belong to words: ASCII letters and digits, `_`, and every byte of a
/// multi-byte character. A table: the dispatcher asks this of nearly every byte.
const WORD_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
        i += 1;
    }
    table
};

pub(crate) fn is_word_byte(b: u8) -> bool {
    WORD_BYTES[usize::from(b)]
}

/// Whether the run starting at `i` is glued to a code before it (`ORD-2022`, `A12`, `v1.2`).
fn glued_before(text: &[u8], i: usize) -> bool {
    if i == 0 {
        return false;
    }
    let p = text[i - 1];
    if is_word_byte(p) || p == b'@' || p == b'#' || p == b'/' || p == b'\\' || p == b'&' || p == b'=' {
        return true;
    }
    matches!(p, b'-' | b'.' | b':' | b',') && i >= 2 && (text[i - 2].is_ascii_alphanumeric() || text[i - 2] == b'_')
}

/// Whether the run ending at `end` is glued to what follows (`…@mail.ru`, `12abc`, `08:17`).
fn glued_after(text: &[u8], end: usize) -> bool {
    let Some(&n) = text.get(end) else { return false };
    if is_word_byte(n) || n == b'@' || n == b':' || n == b'_' {
        return true;
    }
    // `12.5`, `1-a`: a separator then more of the code.
    matches!(n, b'-' | b'.' | b'/' | b',') && text.get(end + 1).is_some_and(|b| b.is_ascii_alphanumeric())
}

/// Reads the run starting at `i` (a digit, `+` before a digit, or `(` before a digit).
/// Returns `None` when there is no run there.
pub fn read(text: &[u8], i: usize) -> Option<Run> {
    let mut run = Run { start: i, ..Run::default() };
    let mut j = i;
    if text[j] == b'+' {
        run.plus = true;
        j += 1;
    }
    let mut pending_sep = 0u8;
    if text.get(j) == Some(&b'(') {
        pending_sep = b'(';
        j += 1;
    }
    if !text.get(j).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    loop {
        // A group of digits.
        let from = j;
        while j < text.len() && text[j].is_ascii_digit() {
            if run.len == MAX_DIGITS {
                run.overflow = true;
            } else {
                run.digits[run.len] = text[j] - b'0';
                run.len += 1;
            }
            j += 1;
        }
        if run.count == MAX_GROUPS {
            run.overflow = true;
        } else {
            run.groups[run.count] = (j - from).min(255) as u8;
            run.seps[run.count] = pending_sep;
            run.count += 1;
        }
        run.end = j;
        // A separator of one byte, or a bracket with a space, then another group.
        let sep = match (text.get(j), text.get(j + 1), text.get(j + 2)) {
            (Some(b')'), Some(b' '), Some(d)) if d.is_ascii_digit() => Some((b')', 2)),
            (Some(b' '), Some(b'('), Some(d)) if d.is_ascii_digit() => Some((b'(', 2)),
            (Some(&s), Some(d), _) if matches!(s, b' ' | b'-' | b'.' | b'/' | b'(' | b')') && d.is_ascii_digit() => Some((s, 1)),
            _ => None,
        };
        let Some((s, width)) = sep else { break };
        pending_sep = s;
        j += width;
    }
    // A closing bracket right after the run belongs to it (`(912)` alone is no phone anyway).
    Some(run)
}

fn finding(kind: Kind, run: &Run, confidence: f32, reason: &'static str) -> Finding {
    Finding { kind, start: run.start, end: run.end, confidence, reason }
}

/// Judges a run: at most one finding.
pub fn classify(text: &[u8], run: &Run) -> Option<Finding> {
    if run.overflow || glued_before(text, run.start) || glued_after(text, run.end) {
        return None;
    }
    let d = run.digits();
    let g = run.groups();
    if run.plus {
        return phone_international(run);
    }
    // Russian phones written from 8: `8 926 468 29 83`, `8-921-974-47-49`, `8 (903) 151-50-13`, `89263978204`.
    if d.len() == 11 && d[0] == 8 {
        let phone = run.shape(&[1, 3, 3, 2, 2], b"    ")
            || run.shape(&[1, 3, 3, 2, 2], b"----")
            || run.shape(&[1, 3, 3, 2, 2], b"( --")
            || run.shape(&[1, 3, 3, 2, 2], b"()--")
            || run.shape(&[1, 3, 3, 2, 2], b"(---")
            || run.shape(&[1, 3, 3, 4], b"( -")
            || run.shape(&[1, 3, 7], b"( ");
        if phone {
            return Some(finding(Kind::Phone, run, 0.95, "ru_phone_format"));
        }
        if g == [11]
            && !(checks::snils(d) && before(text, run.start, Label::Snils))
            && matches!(d[1], 3 | 4 | 8 | 9)
            && !before(text, run.start, Label::Reference)
        {
            return Some(finding(Kind::Phone, run, 0.8, "ru_phone_digits"));
        }
    }
    // SNILS: `661-734-646 12`, or eleven plain digits.
    if d.len() == 11 && (run.shape(&[3, 3, 3, 2], b"-- ") || run.shape(&[3, 3, 3, 2], b"---") || g == [11]) && checks::snils(d) {
        let labelled = before(text, run.start, Label::Snils);
        return Some(finding(Kind::Snils, run, if labelled { 0.99 } else { 0.9 }, "snils_checksum"));
    }
    // OGRN (13) and OGRNIP (15) before cards: their lengths overlap and one in ten passes Luhn.
    if g.len() == 1 && (d.len() == 13 || d.len() == 15) && checks::ogrn(d) {
        let labelled = before(text, run.start, Label::Ogrn);
        return Some(finding(Kind::Ogrn, run, if labelled { 0.99 } else { 0.9 }, "ogrn_checksum"));
    }
    // Cards: 16–19 digits with a card issuer's prefix, plain or in groups of four (Visa,
    // Mastercard, Mir, …), or 13–15 after a card word; Luhn.
    let grouped = g.len() > 1 && g[..g.len() - 1].iter().all(|&x| x == 4) && (run.all_seps(b' ') || run.all_seps(b'-'));
    if (13..=19).contains(&d.len()) && (g.len() == 1 || grouped) {
        // Luhn first: it is cheap and drops nine in ten before any context is read.
        let labelled = || before(text, run.start, Label::Card);
        if checks::luhn(d)
            && ((d.len() >= 16 && card_prefix(d) && !(g.len() == 1 && before(text, run.start, Label::Reference))) || labelled())
        {
            let labelled = grouped || labelled();
            return Some(finding(Kind::Card, run, if labelled { 0.95 } else { 0.85 }, "luhn"));
        }
        if grouped {
            return None;
        }
    }
    if g.len() == 1 {
        // INN: plain digits with check digits.
        if (d.len() == 10 || d.len() == 12) && checks::inn(d) {
            let labelled = before(text, run.start, Label::Inn);
            let sure = labelled || d.len() == 12;
            return Some(finding(Kind::Inn, run, if sure { 0.95 } else { 0.7 }, "inn_checksum"));
        }
        if d.len() == 10 && before(text, run.start, Label::Passport) {
            return Some(finding(Kind::RuPassport, run, 0.8, "passport_label"));
        }
        return None;
    }
    // Passports: `4508 320751`, `77 12 318293`.
    if run.shape(&[4, 6], b" ") || run.shape(&[2, 2, 6], b"  ") {
        let labelled = before(text, run.start, Label::Passport);
        return Some(finding(Kind::RuPassport, run, if labelled { 0.95 } else { 0.75 }, "passport_format"));
    }
    // IPv4: four dotted numbers up to 255.
    if g.len() == 4 && run.all_seps(b'.') && g.iter().all(|&x| x <= 3) && ipv4_octets(d, g) {
        return Some(finding(Kind::Ipv4, run, 0.9, "ipv4"));
    }
    date_of_birth(text, run)
}

/// Whether the number starts as an issuer's card would: Mir 2200–2204, Mastercard
/// 2221–2720 and 51–55, Visa 4, Maestro and others 50, 56–58, 6, JCB 35, Amex 34/37.
fn card_prefix(d: &[u8]) -> bool {
    let two = d[0] * 10 + d[1];
    let four = u32::from(two) * 100 + u32::from(d[2]) * 10 + u32::from(d[3]);
    match d[0] {
        2 => (2200..=2204).contains(&four) || (2221..=2720).contains(&four),
        3 => matches!(two, 34 | 35 | 37),
        4 | 6 => true,
        5 => (50..=58).contains(&two),
        _ => false,
    }
}

fn ipv4_octets(d: &[u8], g: &[u8]) -> bool {
    let mut at = 0;
    for &len in g {
        let part = &d[at..at + len as usize];
        if part.len() > 1 && part[0] == 0 {
            return false;
        }
        if part.iter().fold(0u32, |n, &x| n * 10 + u32::from(x)) > 255 {
            return false;
        }
        at += len as usize;
    }
    true
}

fn number(d: &[u8]) -> u32 {
    d.iter().fold(0u32, |n, &x| n * 10 + u32::from(x))
}

/// A plausible date of birth: a real calendar day between 1900 and 2030.
pub(crate) fn valid_date(year: u32, month: u32, day: u32) -> bool {
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        _ => return false,
    };
    (1900..=2030).contains(&year) && (1..=days).contains(&day)
}

/// `1982-01-02`, `23.11.1977`, `06/16/1989` after a birth word.
fn date_of_birth(text: &[u8], run: &Run) -> Option<Finding> {
    let d = run.digits();
    let (year, month, day) = if run.shape(&[4, 2, 2], b"--") {
        (number(&d[..4]), number(&d[4..6]), number(&d[6..]))
    } else if run.shape(&[2, 2, 4], b"..") || run.shape(&[1, 2, 4], b"..") {
        let split = run.groups[0] as usize;
        (number(&d[split + 2..]), number(&d[split..split + 2]), number(&d[..split]))
    } else if run.shape(&[2, 2, 4], b"//") {
        (number(&d[4..]), number(&d[..2]), number(&d[2..4]))
    } else {
        return None;
    };
    (valid_date(year, month, day) && before(text, run.start, Label::Birth))
        .then(|| finding(Kind::DateOfBirth, run, 0.9, "date_after_birth_word"))
}

/// Country calling codes with the lengths of their national numbers (digits after the code).
const COUNTRIES: &[(&[u8], std::ops::RangeInclusive<usize>)] = &[
    (&[7], 10..=10),
    (&[1], 10..=10),
    (&[4, 4], 9..=10),
    (&[4, 9], 6..=13),
    (&[3, 3], 9..=9),
    (&[3, 8, 0], 9..=9),
    (&[3, 7, 5], 9..=9),
    (&[3, 9], 6..=11),
    (&[3, 4], 9..=9),
    (&[3, 1], 9..=9),
    (&[4, 8], 9..=9),
    (&[4, 3], 4..=13),
    (&[4, 1], 9..=9),
    (&[7, 7], 10..=10),
    (&[9, 9, 8], 9..=9),
    (&[9, 9, 6], 9..=9),
    (&[9, 9, 4], 9..=9),
    (&[9, 9, 5], 9..=9),
    (&[3, 7, 4], 8..=8),
    (&[3, 7, 3], 8..=8),
    (&[3, 7, 1], 8..=8),
    (&[3, 7, 0], 8..=8),
    (&[3, 7, 2], 7..=8),
    (&[3, 5, 8], 6..=10),
    (&[4, 6], 7..=9),
    (&[4, 7], 8..=8),
    (&[4, 5], 8..=8),
    (&[9, 0], 10..=10),
    (&[9, 7, 2], 8..=9),
    (&[8, 6], 11..=11),
    (&[9, 1], 10..=10),
];

/// `+7 960 591-35-92`, `+44 20 7946 0169`, `+1 (415) 555-5864`: a known country code and a
/// national number of that country's length, written as a phone (groups of 1–5 digits).
fn phone_international(run: &Run) -> Option<Finding> {
    let d = run.digits();
    if !(8..=15).contains(&d.len()) || run.groups().iter().any(|&g| g > 11) || run.seps().iter().any(|&s| s == b'.' || s == b'/') {
        return None;
    }
    let (code, lengths) = COUNTRIES.iter().filter(|(code, _)| d.starts_with(code)).max_by_key(|(code, _)| code.len())?;
    if !lengths.contains(&(d.len() - code.len())) {
        return None;
    }
    if code == &[7] && !matches!(d[1], 3 | 4 | 8 | 9) {
        return None;
    }
    Some(finding(Kind::Phone, run, 0.95, "international_phone"))
}
