//! Context words: whether a label such as «СНИЛС», «паспорт» or "date of birth" stands just
//! before a candidate. The window is a few dozen bytes back from the candidate; ASCII
//! letters compare case-insensitively, Cyrillic words are listed in the forms they take
//! (their bytes compared exactly), so invalid UTF-8 is harmless.

/// How far back a label may stand, in bytes (about 24 Cyrillic or 48 Latin letters).
const WINDOW: usize = 48;

/// What a label announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Birth,
    Passport,
    Snils,
    Inn,
    Ogrn,
    Card,
    /// A reference number of the business, not of a person: order, ticket, contract,
    /// article, account. Digits after it without a check digit are not taken for a phone.
    Reference,
}

fn words(label: Label) -> &'static [&'static str] {
    match label {
        Label::Birth => &["рожден", "рождён", "родил", "д.р.", "Д.р.", "Д.Р.", "dob", "birth", "born"],
        Label::Passport => &["паспорт", "Паспорт", "ПАСПОРТ", "passport", "серия", "Серия"],
        Label::Snils => &["СНИЛС", "снилс", "snils", "страхов"],
        Label::Inn => &["ИНН", "инн", "inn ", "inn:", "taxpayer"],
        Label::Ogrn => &["ОГРН", "огрн", "ogrn", "state registration"],
        Label::Card => &["карт", "Карт", "card"],
        Label::Reference => &[
            "заказ",
            "Заказ",
            "заявк",
            "Заявк",
            "обращени",
            "Обращени",
            "договор",
            "Договор",
            "артикул",
            "Артикул",
            "счёт",
            "счет",
            "Счёт",
            "Счет",
            "номер дела",
            "order",
            "ticket",
            "case",
            "invoice",
            "contract",
            "item",
            "sku",
            "account",
            "reference",
        ],
    }
}

fn matches_at(haystack: &[u8], at: usize, needle: &[u8]) -> bool {
    haystack.len() >= at + needle.len() && haystack[at..at + needle.len()].iter().zip(needle).all(|(h, n)| h.to_ascii_lowercase() == *n)
}

/// Whether a word of `label` stands within [`WINDOW`] bytes before `start`, in the same
/// clause: no line break or sentence end (`.`, `!`, `?`, `;`) between the word and `start`.
pub fn before(text: &[u8], start: usize, label: Label) -> bool {
    let from = start.saturating_sub(WINDOW);
    let window = &text[from..start.min(text.len())];
    let words = words(label);
    let pairs = &PAIRS[label as usize];
    (0..window.len().saturating_sub(1)).any(|i| {
        let key = usize::from(window[i].to_ascii_lowercase()) << 8 | usize::from(window[i + 1].to_ascii_lowercase());
        pairs[key >> 6] & (1 << (key & 63)) != 0
            && words.iter().any(|w| {
                let w = w.as_bytes();
                matches_at(window, i, w) && !window[i + w.len()..].iter().any(|b| matches!(b, b'\n' | b'.' | b'!' | b'?' | b';'))
            })
    })
}

/// Per label, a bit for each pair of first bytes its words start with (lowercased ASCII):
/// one lookup per position rules out almost every place a word could start. Cyrillic words
/// share their first byte (the UTF-8 lead byte), so one byte would not be enough.
static PAIRS: std::sync::LazyLock<Vec<Vec<u64>>> = std::sync::LazyLock::new(|| {
    LABELS
        .iter()
        .map(|&label| {
            let mut bits = vec![0u64; 1024];
            for w in words(label) {
                let b = w.as_bytes();
                let key = usize::from(b[0]) << 8 | usize::from(b[1]);
                bits[key >> 6] |= 1 << (key & 63);
            }
            bits
        })
        .collect()
});

/// Every label, in declaration order (`label as usize` indexes [`PAIRS`]).
const LABELS: [Label; 7] = [Label::Birth, Label::Passport, Label::Snils, Label::Inn, Label::Ogrn, Label::Card, Label::Reference];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_indexes_its_own_prefilter() {
        for (i, label) in LABELS.iter().enumerate() {
            assert_eq!(*label as usize, i, "LABELS must follow the declaration order of Label");
        }
    }

    #[test]
    fn a_label_counts_only_when_it_stands_close_before() {
        let text = "Моя дата рождения — 12.03.1985".as_bytes();
        let at = text.len() - "12.03.1985".len();
        assert!(before(text, at, Label::Birth));
        assert!(!before(text, at, Label::Passport));
        let far = format!("DOB{}12.03.1985", " ".repeat(60));
        assert!(!before(far.as_bytes(), far.len() - 10, Label::Birth));
        assert!(before(b"Customer DOB: 1985-03-12", 14, Label::Birth));
    }
}
