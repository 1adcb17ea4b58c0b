//! Names of people: Russian (with declension, patronymics and initials) and English.
//!
//! At a capitalised word the reader takes the chain of capitalised words and initials that
//! follows (single spaces between), labels each word — first name, patronymic, surname,
//! initials — and takes the longest pattern a person's name makes: surname first name
//! patronymic, first name patronymic (surname), first name surname, surname first name,
//! initials with a surname. A first name alone counts only where a capital letter means
//! something: after an introduction («меня зовут», "this is", «Спасибо,») or in the middle of
//! a clause; at the start of a sentence «Надежда» and "Bill" are words.
//!
//! Dictionaries (data/, compiled in; licences in docs/detect.md): Russian first names and
//! surnames in the nominative from OpenCorpora (via pymorphy3-dicts-ru), English first
//! names and the 20,000 most frequent surnames from the 1990 US Census. Declined forms are
//! found by undoing the endings of the cases (`Ирину` → `ирина`, `Захаровым` → `захаров`);
//! patronymics by their suffixes; surnames missing from the dictionary by theirs (`-ов`,
//! `-ева`, `-ский`, …), only next to a first name or initials.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use crate::{Finding, Kind};

/// A word hash eight bytes at a time (the Fx multiply-rotate): the dictionaries are fixed and
/// compiled in, so a fast unkeyed hash is safe here (no one can put colliding keys into the
/// table), and both SipHash and byte-at-a-time FNV showed in the profile.
#[derive(Default)]
struct WordHash(u64);

impl Hasher for WordHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            h = (h.rotate_left(5) ^ v).wrapping_mul(K);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(last)).wrapping_mul(K);
        }
        self.0 = (h.rotate_left(5) ^ bytes.len() as u64).wrapping_mul(K);
    }
}

/// A word form → what it can be: [`FIRST`] and/or [`SURNAME`]. One table per language, so a
/// capitalised word costs one hash and one probe, not one per list.
type Lexicon = HashMap<Box<[u8]>, u8, BuildHasherDefault<WordHash>>;
const FIRST: u8 = 1;
const SURNAME: u8 = 2;

fn add_words(lexicon: &mut Lexicon, text: &'static str, flag: u8) {
    for word in text.lines() {
        *lexicon.entry(word.as_bytes().into()).or_insert(0) |= flag;
    }
}

fn is_vowel(c: char) -> bool {
    "аеёиоуыэюя".contains(c)
}

/// Adds every form the nominatives of `text` decline into, by the ending tables read forwards
/// (built once: one lookup per word afterwards instead of one per possible ending).
fn add_declined(lexicon: &mut Lexicon, text: &'static str, endings: &[(&str, &[&str])], fleeting: bool, flag: u8) {
    let mut add = |form: Vec<u8>| *lexicon.entry(form.into_boxed_slice()).or_insert(0) |= flag;
    for lemma in text.lines() {
        add(lemma.as_bytes().to_vec());
        for (end, from) in endings {
            for f in *from {
                if let Some(stem) = lemma.strip_suffix(f) {
                    add(format!("{stem}{end}").into_bytes());
                }
            }
        }
        // Павел → Павла, Лев → Льва: the vowel a masculine name loses when declined.
        let chars: Vec<char> = lemma.chars().collect();
        if fleeting && chars.len() >= 3 && chars[chars.len() - 2] == 'е' && !is_vowel(chars[chars.len() - 1]) {
            let stem: String = chars[..chars.len() - 2].iter().collect();
            let last = chars[chars.len() - 1];
            for end in ["а", "у", "ом", "е"] {
                add(format!("{stem}{last}{end}").into_bytes());
                add(format!("{stem}ь{last}{end}").into_bytes());
            }
        }
    }
}

static RU_NAMES: LazyLock<Lexicon> = LazyLock::new(|| {
    let mut lexicon = Lexicon::default();
    add_declined(&mut lexicon, include_str!("../data/ru_first_names.txt"), FIRST_NAME_ENDINGS, true, FIRST);
    add_declined(&mut lexicon, include_str!("../data/ru_surnames.txt"), SURNAME_ENDINGS, false, SURNAME);
    lexicon
});
static EN_NAMES: LazyLock<Lexicon> = LazyLock::new(|| {
    let mut lexicon = Lexicon::default();
    add_words(&mut lexicon, include_str!("../data/en_first_names.txt"), FIRST);
    add_words(&mut lexicon, include_str!("../data/en_surnames.txt"), SURNAME);
    lexicon
});

/// Lowercases a word of Cyrillic letters into `out` byte by byte, `ё` as `е` (the
/// dictionaries are written so); returns the bytes written, or `None` when the word does
/// not fit.
fn lower_into<'b>(word: &[u8], out: &'b mut [u8; 96]) -> Option<&'b [u8]> {
    if word.len() > out.len() {
        return None;
    }
    let mut k = 0;
    while k < word.len() {
        let (a, b) = (word[k], word.get(k + 1).copied().unwrap_or(0));
        let (x, y) = match (a, b) {
            (0xD0, 0x81) | (0xD1, 0x91) => (0xD0, 0xB5),
            (0xD0, 0x90..=0x9F) => (0xD0, b + 0x20),
            (0xD0, 0xA0..=0xAF) => (0xD1, b - 0x20),
            _ => {
                out[k] = a.to_ascii_lowercase();
                k += 1;
                continue;
            }
        };
        out[k] = x;
        out[k + 1] = y;
        k += 2;
    }
    Some(&out[..word.len()])
}

/// Months and weekdays: names in the census lists, never a name alone.
const CALENDAR_WORDS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Other English words that are also first names, taken for names alone only after an
/// introduction ("this is Mark").
const EN_WORDS: &[&str] = &[
    "Will", "Hope", "Grace", "Bill", "Mark", "Joy", "Faith", "Dawn", "Art", "Guy", "Chase", "Page", "Rich", "My", "An", "In", "So", "Do",
    "Else", "Sale", "Royal", "Young", "King", "Early",
];

/// Words that make the capitalised words before them a street or a place, not a person:
/// the street types the address reader knows.
const STREET_AFTER: &[&str] = crate::address::EN_TYPES;

/// Words that make the capitalised words after them a street, a square or a date.
const STREET_BEFORE: &[&str] =
    &["ул. ", "улица ", "пр. ", "проспект ", "пер. ", "переулок ", "наб. ", "пл. ", "площадь ", "бульвар ", "шоссе "];

/// What a word of a chain can be.
#[derive(Debug, Clone, Copy, Default)]
struct Word {
    start: usize,
    end: usize,
    first: bool,
    patronymic: bool,
    /// In the surname dictionary.
    surname: bool,
    /// Ends as Russian surnames do.
    surname_like: bool,
    initials: bool,
    latin: bool,
    /// An English word that is also a name.
    common: bool,
}

pub(crate) fn upper_cyrillic(text: &[u8], i: usize) -> bool {
    match (text.get(i), text.get(i + 1)) {
        (Some(0xD0), Some(&b)) => b == 0x81 || (0x90..=0xAF).contains(&b),
        _ => false,
    }
}

fn lower_cyrillic(text: &[u8], i: usize) -> bool {
    match (text.get(i), text.get(i + 1)) {
        (Some(0xD0), Some(&b)) => (0xB0..=0xBF).contains(&b),
        (Some(0xD1), Some(&b)) => (0x80..=0x8F).contains(&b) || b == 0x91,
        _ => false,
    }
}

/// Whether a capitalised word (or initials) starts at `i`.
pub fn starts_here(text: &[u8], i: usize) -> bool {
    text[i].is_ascii_uppercase() || upper_cyrillic(text, i)
}

/// Reads one word or initials at `i`: its end and kind, or `None`.
fn read_word(text: &[u8], i: usize) -> Option<Word> {
    let latin = text[i].is_ascii_uppercase();
    let cyr = upper_cyrillic(text, i);
    if !latin && !cyr {
        return None;
    }
    let step = if latin { 1 } else { 2 };
    // Initials: `И.` or `И.В.` (or `P.`).
    if text.get(i + step) == Some(&b'.') {
        let mut end = i + step + 1;
        if end < text.len() && starts_here(text, end) {
            let s2 = if text[end].is_ascii_uppercase() { 1 } else { 2 };
            if text.get(end + s2) == Some(&b'.') {
                end += s2 + 1;
            }
        }
        return Some(Word { start: i, end, initials: true, latin, ..Word::default() });
    }
    let mut j = i + step;
    loop {
        if latin && j < text.len() && text[j].is_ascii_lowercase() {
            j += 1;
        } else if latin && j < text.len() && text[j].is_ascii_uppercase() && text[j - 1].is_ascii_lowercase() && j - i <= 3 {
            // McDonald, MacLeod, DeAngelo: a capital after a short prefix.
            j += 1;
        } else if latin && text.get(j) == Some(&b'\'') && j == i + 1 && text.get(j + 1).is_some_and(u8::is_ascii_uppercase) {
            // O'Brien, D'Angelo.
            j += 2;
        } else if cyr && lower_cyrillic(text, j) {
            j += 2;
        } else if text.get(j) == Some(&b'-') && j + 1 < text.len() && starts_here(text, j + 1) {
            j += 1 + if text[j + 1].is_ascii_uppercase() { 1 } else { 2 };
        } else {
            break;
        }
    }
    // A word needs a lowercase letter after the capital, and ends at a non-letter.
    if j == i + step || text.get(j).is_some_and(|&b| b.is_ascii_alphanumeric() || b >= 0x80) {
        return None;
    }
    let mut w = Word { start: i, end: j, latin, ..Word::default() };
    if latin {
        let word = std::str::from_utf8(&text[i..j]).ok()?;
        let flags = EN_NAMES.get(word.as_bytes()).copied().unwrap_or(0);
        w.first = flags & FIRST != 0;
        w.surname = flags & SURNAME != 0;
        // Only a first name can be a common word here; the list is looked at only then.
        w.common = w.first && (EN_WORDS.contains(&word) || CALENDAR_WORDS.contains(&word));
    } else {
        let mut buf = [0u8; 96];
        let lower = lower_into(&text[i..j], &mut buf)?;
        let flags = RU_NAMES.get(lower).copied().unwrap_or(0);
        w.first = flags & FIRST != 0;
        w.surname = flags & SURNAME != 0;
        if let Ok(lower) = std::str::from_utf8(lower) {
            w.patronymic = is_patronymic(lower);
        }
    }
    Some(w)
}

/// Whether `accept` takes `w` or a nominative it may be declined from, undoing each
/// ending in `endings` (one buffer for every candidate). Used for the shape of surnames
/// outside the dictionary; dictionary words are looked up among their declined forms.
fn any_nominative(w: &str, endings: &[(&str, &[&str])], mut accept: impl FnMut(&str) -> bool) -> bool {
    if accept(w) {
        return true;
    }
    let mut buf = String::with_capacity(w.len() + 8);
    for (end, to) in endings {
        let Some(base) = w.strip_suffix(end) else { continue };
        for t in *to {
            buf.clear();
            buf.push_str(base);
            buf.push_str(t);
            if accept(&buf) {
                return true;
            }
        }
    }
    false
}

/// Case endings of first names and the nominative endings they come from.
const FIRST_NAME_ENDINGS: &[(&str, &[&str])] = &[
    ("ой", &["а"]),
    ("ей", &["я", "а"]),
    ("ем", &["й", "ь"]),
    ("ом", &[""]),
    ("ы", &["а"]),
    ("и", &["а", "я"]),
    ("е", &["а", "я", "", "й", "ь"]),
    ("у", &["а", ""]),
    ("ю", &["я", "й", "ь"]),
    ("а", &[""]),
    ("я", &["й", "ь"]),
];

/// Case endings of surnames and the nominatives (masculine or feminine) they come from.
const SURNAME_ENDINGS: &[(&str, &[&str])] = &[
    ("ого", &["ий", "ой"]),
    ("ому", &["ий", "ой"]),
    ("ым", &[""]),
    ("им", &["ий"]),
    ("ом", &["ий", ""]),
    ("ой", &["а", "ая"]),
    ("ую", &["ая"]),
    ("а", &[""]),
    ("у", &["", "а"]),
    ("е", &[""]),
];

fn looks_like_surname(nominative: &str) -> bool {
    const SUFFIXES: &[&str] =
        &["ов", "ев", "ин", "ын", "ова", "ева", "ина", "ына", "ский", "цкий", "ская", "цкая", "ых", "их", "енко", "ук", "юк"];
    nominative.chars().count() >= 5 && SUFFIXES.iter().any(|s| nominative.ends_with(s))
}

fn is_patronymic(w: &str) -> bool {
    const STEMS: &[(&str, &[&str])] = &[
        ("ович", &["", "а", "у", "ем", "е"]),
        ("евич", &["", "а", "у", "ем", "е"]),
        ("ьич", &["", "а", "у", "ом", "е"]),
        ("овн", &["а", "ы", "е", "у", "ой"]),
        ("евн", &["а", "ы", "е", "у", "ой"]),
        ("ичн", &["а", "ы", "е", "у", "ой"]),
    ];
    // Every patronymic holds «ич», «вн» or «чн»: most words are out at this first look.
    w.as_bytes()[w.len().saturating_sub(14)..].windows(4).any(|x| x == "ич".as_bytes() || x == "вн".as_bytes() || x == "чн".as_bytes())
        && w.chars().count() >= 6
        && STEMS.iter().any(|(stem, ends)| ends.iter().any(|e| w.strip_suffix(e).is_some_and(|rest| rest.ends_with(stem))))
}

/// Introductions after which a lone first name is one.
const CUES: &[&str] = &[
    "меня зовут ",
    "Меня зовут ",
    "Я ",
    "Это ",
    "это ",
    "Спасибо, ",
    "спасибо, ",
    "Здравствуйте, ",
    "I'm ",
    "I am ",
    "this is ",
    "This is ",
    "name is ",
    "Thanks, ",
    "Thank you, ",
    "Dear ",
    "Hi ",
    "Hello ",
    "tell ",
    "Mr. ",
    "Ms. ",
    "Mrs. ",
];

fn cue_before(text: &[u8], i: usize) -> bool {
    CUES.iter().any(|c| text[..i].ends_with(c.as_bytes()))
}

/// Labels after which a lone surname is one.
const SURNAME_CUES: &[&str] =
    &["фамилия ", "Фамилия ", "фамилия: ", "Фамилия: ", "last name is ", "surname is ", "Last name: ", "Surname: ", "last name: "];

/// Months and weekdays: never a name alone, whatever stands before.
fn calendar_word(word: &[u8]) -> bool {
    CALENDAR_WORDS.iter().any(|w| w.as_bytes() == word)
}

/// Whether `i` starts a clause: only spaces between it and a sentence end, a colon, a line
/// break, an opening bracket or quote, or the start of the text.
fn clause_start(text: &[u8], i: usize) -> bool {
    let mut j = i;
    while j > 0 && text[j - 1] == b' ' {
        j -= 1;
    }
    if j == 0 {
        return true;
    }
    let p = text[j - 1];
    matches!(p, b'.' | b'!' | b'?' | b':' | b'\n' | b'(' | b'"' | b'[' | b']' | b'>' | b'-' | b'\t')
        || text[..j].ends_with("«".as_bytes())
        || text[..j].ends_with("—".as_bytes())
}

/// Whether the chain ending at `end` continues as a street (`Lincoln Lane`, `Maple St`) or
/// a US or UK place (`, OH 99922`, ` SW5 8DG`).
fn place_after(text: &[u8], end: usize) -> bool {
    let rest = &text[end..text.len().min(end + 16)];
    if let Some(word) = rest.strip_prefix(b" ") {
        let len = word.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        if STREET_AFTER.iter().any(|s| s.as_bytes() == &word[..len]) {
            return true;
        }
    }
    // `, OH 99922`: a state code and a ZIP code.
    matches!(rest, [b',', b' ', a, b, b' ', d, ..] if a.is_ascii_uppercase() && b.is_ascii_uppercase() && d.is_ascii_digit())
}

/// Whether what stands before `i` makes it part of an address or a date: a street word
/// («ул. Карла Маркса»), a house number (`130 Lincoln`), a day (`8 Марта`), or, on the same
/// line, a street type or a house number before a comma (`…, Columbus`).
fn place_before(text: &[u8], i: usize) -> bool {
    let head = &text[..i];
    if STREET_BEFORE.iter().any(|w| head.ends_with(w.as_bytes())) {
        return true;
    }
    if head.len() >= 2 && head[head.len() - 1] == b' ' && head[head.len() - 2].is_ascii_digit() {
        return true;
    }
    if head.ends_with(b", ") {
        let line_start = head.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let line = &head[line_start.max(i.saturating_sub(60))..];
        return line.iter().any(u8::is_ascii_digit)
            && (STREET_AFTER
                .iter()
                .any(|s| line.windows(s.len() + 1).any(|w| &w[..s.len()] == s.as_bytes() && !w[s.len()].is_ascii_alphabetic()))
                || STREET_BEFORE.iter().any(|s| line.windows(s.len()).any(|w| w == s.as_bytes())));
    }
    false
}

/// The name starting at the capitalised word at `i`, if one does.
pub fn person(text: &[u8], i: usize) -> Option<Finding> {
    let mut words = [Word::default(); 4];
    let mut count = 0;
    let mut at = i;
    while count < 4 {
        // A word's surname shape is judged once the chain is known (it matters only there).
        let Some(w) = read_word(text, at) else { break };
        words[count] = w;
        count += 1;
        if text.get(w.end) == Some(&b' ') && w.end + 1 < text.len() && starts_here(text, w.end + 1) {
            at = w.end + 1;
        } else {
            break;
        }
    }
    if count > 1 {
        for w in words[..count].iter_mut().filter(|w| !w.latin && !w.initials && !w.surname) {
            let mut buf = [0u8; 96];
            if let Some(lower) = lower_into(&text[w.start..w.end], &mut buf)
                && let Ok(lower) = std::str::from_utf8(lower)
            {
                w.surname_like = any_nominative(lower, SURNAME_ENDINGS, looks_like_surname);
            }
        }
    }
    let chain = &words[..count];
    let [a, rest @ ..] = chain else { return None };
    let named = chain.iter().any(|w| w.first || w.surname || w.surname_like || w.patronymic || w.initials);
    // A label before the word is looked for only when a space precedes it.
    let surname_cue = i > 0 && text[i - 1] == b' ' && SURNAME_CUES.iter().any(|c| text[..i].ends_with(c.as_bytes()));
    if !named && !surname_cue {
        return None;
    }
    if place_before(text, i) {
        return None;
    }
    if STREET_AFTER.iter().any(|w| text[a.start..a.end] == *w.as_bytes()) {
        return None;
    }
    let surname = |w: &Word| !w.initials && (w.surname || w.surname_like || (w.latin && !w.first && !w.common));
    let take = |n: usize, confidence: f32, reason: &'static str| {
        (!place_after(text, chain[n - 1].end)).then_some(Finding {
            kind: Kind::Person,
            start: chain[0].start,
            end: chain[n - 1].end,
            confidence,
            reason,
        })
    };
    let b = rest.first();
    let c = rest.get(1);
    // Surname First Patronymic; First Patronymic (Surname).
    if let (Some(b), Some(c)) = (b, c)
        && !a.latin
        && (a.surname || a.surname_like)
        && b.first
        && c.patronymic
    {
        return take(3, 0.95, "surname_name_patronymic");
    }
    if let Some(b) = b
        && a.first
        && b.patronymic
    {
        if c.is_some_and(|c| c.surname || c.surname_like) {
            return take(3, 0.95, "name_patronymic_surname");
        }
        return take(2, 0.9, "name_patronymic");
    }
    // Initials and a surname, either way round.
    if let Some(b) = b {
        if a.initials && surname(b) && a.latin == b.latin {
            return take(2, 0.85, "initials_surname");
        }
        if b.initials && !a.initials && (a.surname || a.surname_like) && !a.latin {
            return take(2, 0.85, "surname_initials");
        }
    }
    // First Surname; Surname First (Russian).
    if let Some(b) = b
        && a.latin == b.latin
    {
        if a.first && !a.initials && surname(b) && (!a.common || b.surname) {
            return take(2, 0.9, "name_surname");
        }
        if !a.latin && (a.surname || a.surname_like) && b.first && !a.first {
            return take(2, 0.85, "surname_name");
        }
    }
    // A surname alone after «фамилия» / "last name is".
    if !a.initials && surname_cue {
        return take(1, 0.85, "surname_after_label");
    }
    // A first name alone, where its capital letter says it is a name.
    let cued = cue_before(text, i);
    if a.first && !a.initials && !calendar_word(&text[a.start..a.end]) && (cued || (!a.common && !clause_start(text, i))) {
        return take(1, 0.7, "first_name_in_context");
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::{Kind, detect};

    fn people(text: &str) -> Vec<&str> {
        detect(text.as_bytes()).into_iter().filter(|f| f.kind == Kind::Person).map(|f| &text[f.start..f.end]).collect()
    }

    #[test]
    fn names_are_found_in_their_cases_with_patronymics_and_initials() {
        assert_eq!(people("Договор подписал Петров Иван Сергеевич."), ["Петров Иван Сергеевич"]);
        assert_eq!(people("Передайте документы Марии Ивановой до пятницы."), ["Марии Ивановой"]);
        assert_eq!(people("Согласовано с Павлом Смирновым."), ["Павлом Смирновым"]);
        assert_eq!(people("Звонил И.П. Сидоров, просил перезвонить."), ["И.П. Сидоров"]);
        assert_eq!(people("Please call John Smith tomorrow."), ["John Smith"]);
        assert_eq!(people("The account is under Sean O'Connor."), ["Sean O'Connor"]);
        assert_eq!(people("Здравствуйте, меня зовут Ольга."), ["Ольга"]);
    }

    #[test]
    fn words_streets_and_months_are_not_people() {
        assert!(people("Надежда только на вас.").is_empty());
        assert!(people("Bill payment failed again.").is_empty());
        assert!(people("We will meet in May.").is_empty());
        assert!(people("Адрес: ул. Ленина, д. 5, кв. 7").is_empty());
        assert!(people("Ship to 12 Franklin Road, Leeds").is_empty());
        assert!(people("Офис на площади 8 Марта.").is_empty());
    }
}
