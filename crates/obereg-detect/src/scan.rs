//! The one pass: each byte is looked at once by the dispatcher; a byte that can start a
//! candidate (a digit, `+`, `(`, an `@`, a capital letter, a hex letter before a colon)
//! hands over to the reader of that family, which returns where it stopped. Findings that
//! overlap are resolved deterministically: the earlier start wins, then the longer span,
//! then the higher confidence.

use crate::numeric::{self, is_word_byte};
use crate::{Finding, address, person, words};

/// Every finding in `text`, in order of position, none overlapping.
pub fn detect(text: &[u8]) -> Vec<Finding> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        let word_start = i == 0 || !is_word_byte(text[i - 1]);
        // Inside a word nothing starts but an address at its `@`: run to the word's end.
        if !word_start && is_word_byte(b) {
            i += 1;
            while i < text.len() && is_word_byte(text[i]) {
                i += 1;
            }
            continue;
        }
        match b {
            b'@' => {
                if let Some(f) = words::email(text, i) {
                    i = f.end;
                    // An address may hold digits read as a run before its `@`: drop them.
                    // They were pushed last, so popping from the end finds them all.
                    while found.last().is_some_and(|g: &Finding| g.end > f.start) {
                        found.pop();
                    }
                    found.push(f);
                    continue;
                }
            }
            b'0'..=b'9' | b'+' | b'(' if word_start => {
                if let Some(f) = ipv6_here(text, i) {
                    i = f.end;
                    found.push(f);
                    continue;
                }
                if b.is_ascii_digit()
                    && let Some(f) =
                        words::day_month_year(text, i).or_else(|| address::english(text, i)).or_else(|| address::russian(text, i))
                {
                    i = f.end;
                    found.push(f);
                    continue;
                }
                if let Some(run) = numeric::read(text, i) {
                    if let Some(f) = numeric::classify(text, &run) {
                        found.push(f);
                    }
                    i = run.end.max(i + 1);
                    continue;
                }
            }
            b'A'..=b'Z' if word_start => {
                if let Some(f) = words::iban(text, i)
                    .or_else(|| words::month_day_year(text, i))
                    .or_else(|| ipv6_here(text, i))
                    .or_else(|| person::person(text, i))
                {
                    i = f.end;
                    found.push(f);
                    continue;
                }
            }
            0xD0 | 0xD1 if word_start => {
                let found_here =
                    address::russian(text, i).or_else(|| person::starts_here(text, i).then(|| person::person(text, i)).flatten());
                if let Some(f) = found_here {
                    i = f.end;
                    found.push(f);
                    continue;
                }
            }
            b'a'..=b'f' | b':' if word_start => {
                if let Some(f) = ipv6_here(text, i) {
                    i = f.end;
                    found.push(f);
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    resolve(found)
}

/// An IPv6 address at `i`, tried only where a colon comes within the first five bytes.
fn ipv6_here(text: &[u8], i: usize) -> Option<Finding> {
    let window = &text[i..text.len().min(i + 5)];
    if !window.contains(&b':') {
        return None;
    }
    words::ipv6(text, i)
}

/// Sorts findings and drops those overlapping an earlier (or longer, or surer) one.
fn resolve(mut found: Vec<Finding>) -> Vec<Finding> {
    found.sort_by(|a, b| {
        a.start.cmp(&b.start).then(b.end.cmp(&a.end)).then(b.confidence.total_cmp(&a.confidence)).then(a.kind.cmp(&b.kind))
    });
    let mut out: Vec<Finding> = Vec::with_capacity(found.len());
    for f in found {
        if out.last().is_none_or(|last| f.start >= last.end) {
            out.push(f);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::detect;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Any bytes at all: no panic, spans inside the input, in order, not overlapping.
        #[test]
        fn arbitrary_bytes_never_panic_and_spans_stay_inside(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let found = detect(&bytes);
            let mut last = 0;
            for f in &found {
                prop_assert!(f.start >= last && f.start < f.end && f.end <= bytes.len());
                last = f.end;
            }
        }

        /// Text made of the characters identifiers are made of, where the rules work hardest.
        #[test]
        fn digit_heavy_text_never_panics(text in "[0-9 +()./:@A-Za-z-]{0,300}") {
            let found = detect(text.as_bytes());
            let redacted = crate::redact(text.as_bytes(), &found, &crate::Method::Label);
            // What lies before the first finding and after the last is copied unchanged.
            let (head, tail) = match (found.first(), found.last()) {
                (Some(first), Some(last)) => (&text.as_bytes()[..first.start], &text.as_bytes()[last.end..]),
                _ => (text.as_bytes(), &b""[..]),
            };
            prop_assert!(redacted.starts_with(head) && redacted.ends_with(tail));
        }

        /// UTF-8 text in both languages: spans fall on character boundaries.
        #[test]
        fn spans_fall_on_character_boundaries(text in "[а-яА-Яa-z0-9 .,:@+()-]{0,200}") {
            for f in detect(text.as_bytes()) {
                prop_assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
            }
        }
    }
}
