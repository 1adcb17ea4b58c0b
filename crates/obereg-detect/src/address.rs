//! Postal addresses, Russian and English, read forward from an anchor:
//!
//! - Russian: a street word (`ул.`, `пер.`, `наб.`, `пр-т`, `просп.`, `ш.`, `б-р`, `пл.`, …)
//!   before the street's name, or a type after it (`Ленинский пр-т`), then the parts after
//!   commas — house (`д. 74`, `дом 5`, `68-179`, `58`), building (`корп. 5`, `стр. 2`), flat
//!   or office (`кв. 130`, `оф. 3`). The address may start earlier: a city (`Волгоград, `,
//!   `г. Нижний Новгород, `) and a six-digit postal index before it.
//! - English: a house number (`5996`, `155B`), one to three capitalised words and a street
//!   type (`Lake Boulevard`, `Jackson Ave.`), then an apartment (`, Apt 19`), a city and a
//!   US state with ZIP (`, Phoenix, AZ 97965`) or a UK postcode (`Manchester SW5 8DG`).
//!
//! A city alone, or a street type alone, is not an address.

use crate::numeric::is_word_byte;
use crate::{Finding, Kind};

const BEFORE: &[&str] = &[
    "ул.",
    "улица",
    "пр-т",
    "просп.",
    "проспект",
    "пр.",
    "пер.",
    "переулок",
    "наб.",
    "набережная",
    "ш.",
    "шоссе",
    "б-р",
    "бульвар",
    "пл.",
    "площадь",
    "проезд",
    "мкр.",
    "микрорайон",
    "аллея",
    "туп.",
];

const AFTER: &[&str] = &["пр-т", "проспект", "улица", "шоссе", "бульвар", "б-р", "переулок", "набережная", "проезд", "пер.", "ш.", "наб."];

/// The first letter pairs of the street words (`ул`, `пр`, …): four bytes rule out
/// almost every word before any comparison.
fn street_prefix(t: &[u8]) -> bool {
    const PAIRS: &[&str] = &["ул", "пр", "пе", "на", "ш.", "шо", "б-", "бу", "пл", "мк", "ми", "ал", "ту"];
    t.len() >= 3 && PAIRS.iter().any(|p| t.starts_with(p.as_bytes()))
}

/// Whether the token `t` (up to a space) is a street word written before the name.
fn street_word_before(t: &[u8]) -> bool {
    street_prefix(t) && BEFORE.iter().any(|w| w.as_bytes() == t)
}

/// Whether the token `t` is a street type written after the name (`Ленинский пр-т`).
fn street_word_after(t: &[u8]) -> bool {
    street_prefix(t) && AFTER.iter().any(|w| w.as_bytes() == t)
}

/// The token at `at` up to the next space (at most 24 bytes), and where it ends.
fn token(text: &[u8], at: usize) -> (&[u8], usize) {
    let end = text[at..].iter().take(24).position(|&b| b == b' ' || b == b',' || b == b'\n').map_or(at, |p| at + p);
    (&text[at..end], end)
}

/// Parts after the street, each after `, `.
const RU_PARTS: &[&str] = &["д. ", "дом ", "корп. ", "к. ", "стр. ", "строение ", "кв. ", "квартира ", "оф. ", "офис ", "лит. "];

/// English street types (also what tells the name reader a street from a person).
pub(crate) const EN_TYPES: &[&str] = &[
    "Street",
    "St",
    "Road",
    "Rd",
    "Avenue",
    "Ave",
    "Lane",
    "Ln",
    "Boulevard",
    "Blvd",
    "Drive",
    "Dr",
    "Court",
    "Ct",
    "Way",
    "Place",
    "Pl",
    "Gardens",
    "Close",
    "Square",
    "Sq",
    "Terrace",
    "Parkway",
    "Pkwy",
    "Crescent",
    "Row",
    "Grove",
    "Highway",
    "Park",
    "Hill",
    "Hwy",
];

const EN_UNITS: &[&str] = &["Apt ", "Apt. ", "Suite ", "Unit ", "Flat ", "Apartment ", "#"];

fn starts(text: &[u8], at: usize, word: &str) -> bool {
    text.get(at..at + word.len()) == Some(word.as_bytes())
}

fn upper_cyr(text: &[u8], at: usize) -> bool {
    crate::person::upper_cyrillic(text, at)
}

fn letter(text: &[u8], at: usize) -> bool {
    text.get(at).is_some_and(|&b| b.is_ascii_alphabetic() || b >= 0x80)
}

/// The end of the word at `at` (letters, hyphens inside), or `at` when none.
fn word_end(text: &[u8], mut at: usize) -> usize {
    while at < text.len() && (letter(text, at) || (text[at] == b'-' && letter(text, at + 1))) {
        at += 1;
    }
    at
}

fn digits_end(text: &[u8], mut at: usize) -> usize {
    while at < text.len() && text[at].is_ascii_digit() {
        at += 1;
    }
    at
}

/// A house or flat number at `at`: digits, an optional letter or `/`, `-` and more digits.
fn number_end(text: &[u8], at: usize) -> Option<usize> {
    let mut end = digits_end(text, at);
    if end == at || end - at > 5 {
        return None;
    }
    if matches!(text.get(end), Some(b'-' | b'/')) && text.get(end + 1).is_some_and(u8::is_ascii_digit) {
        end = digits_end(text, end + 1);
    }
    // One letter right after the number (`155B`, `12а`).
    if text.get(end).is_some_and(u8::is_ascii_uppercase) && !letter(text, end + 1) {
        end += 1;
    } else if text.get(end).is_some_and(|&b| b == 0xD0 || b == 0xD1) && !letter(text, end + 2) {
        end += 2;
    }
    (!text.get(end).is_some_and(|&b| b.is_ascii_alphanumeric())).then_some(end)
}

/// A Russian street name after its street word: capitalised words, numbers (`8 Марта`)
/// and hyphenated words, up to the comma. Returns its end.
fn ru_street_name(text: &[u8], mut at: usize) -> Option<usize> {
    let mut capital = false;
    let mut end = at;
    for _ in 0..4 {
        if upper_cyr(text, at) || text.get(at).is_some_and(u8::is_ascii_uppercase) {
            capital = true;
            end = word_end(text, at);
        } else if text.get(at).is_some_and(u8::is_ascii_digit) {
            end = digits_end(text, at);
        } else {
            break;
        }
        if text.get(end) == Some(&b' ') && (upper_cyr(text, end + 1) || text.get(end + 1).is_some_and(u8::is_ascii_digit)) {
            at = end + 1;
        } else {
            break;
        }
    }
    capital.then_some(end)
}

/// The parts after a Russian street ending at `end`: house, building, flat. Returns the
/// new end (the street's own when there are none).
fn ru_parts(text: &[u8], mut end: usize) -> usize {
    let mut house = false;
    while starts(text, end, ", ") {
        let at = end + 2;
        let part = RU_PARTS.iter().find(|p| starts(text, at, p));
        let number_at = part.map_or(at, |p| at + p.len());
        // A bare number is a house only right after the street.
        if part.is_none() && house {
            break;
        }
        let Some(e) = number_end(text, number_at) else { break };
        house = true;
        end = e;
    }
    end
}

/// A Russian address whose street starts at `i` (a street word, or a name before a type).
fn ru_street(text: &[u8], i: usize) -> Option<usize> {
    if !upper_cyr(text, i) && !street_prefix(&text[i..text.len().min(i + 4)]) {
        return None;
    }
    let (t, end) = token(text, i);
    if text.get(end) == Some(&b' ') && street_word_before(t) {
        let name_end = ru_street_name(text, end + 1)?;
        return Some(ru_parts(text, name_end));
    }
    if upper_cyr(text, i) {
        let name_end = word_end(text, i);
        if text.get(name_end) != Some(&b' ') || !street_prefix(&text[name_end + 1..text.len().min(name_end + 5)]) {
            return None;
        }
        let (t, end) = token(text, name_end + 1);
        return street_word_after(t).then(|| ru_parts(text, end));
    }
    None
}

/// A city before a street: `г. Город, ` or `Город, ` (up to three capitalised words).
fn ru_city(text: &[u8], i: usize) -> Option<usize> {
    let mut at = i;
    if starts(text, at, "г. ") {
        at += "г. ".len();
    }
    if !upper_cyr(text, at) {
        return None;
    }
    let mut end = word_end(text, at);
    if !(starts(text, end, ", ") || (text.get(end) == Some(&b' ') && upper_cyr(text, end + 1))) {
        return None;
    }
    for _ in 0..2 {
        if text.get(end) == Some(&b' ') && upper_cyr(text, end + 1) {
            end = word_end(text, end + 1);
        }
    }
    starts(text, end, ", ").then_some(end + 2)
}

/// Whether a Russian address can start at `i`: a digit, a capital, or the first letter of
/// a street word or `г.` (checked before the longer comparisons).
fn ru_anchor(text: &[u8], i: usize) -> bool {
    match (text.get(i), text.get(i + 1)) {
        (Some(b), _) if b.is_ascii_digit() => true,
        // у ш т
        (Some(0xD1), Some(0x83 | 0x88 | 0x82)) => true,
        // п н б м а г, capitals
        (Some(0xD0), Some(&b)) => matches!(b, 0xBF | 0xBD | 0xB1 | 0xBC | 0xB0 | 0xB3) || b == 0x81 || (0x90..=0xAF).contains(&b),
        _ => false,
    }
}

/// A Russian address starting at `i`: an index, a city, or the street itself.
pub fn russian(text: &[u8], i: usize) -> Option<Finding> {
    if (i > 0 && is_word_byte(text[i - 1])) || !ru_anchor(text, i) {
        return None;
    }
    // A capitalised word leads to an address only before `, `, another capital (a city of
    // two words) or a street type; a lowercase one only as a street word or `г.`.
    if upper_cyr(text, i) {
        let e = word_end(text, i);
        let next_ok = starts(text, e, ", ")
            || (text.get(e) == Some(&b' ') && (upper_cyr(text, e + 1) || street_prefix(&text[e + 1..text.len().min(e + 5)])));
        if !next_ok {
            return None;
        }
    } else if !text[i].is_ascii_digit() && !starts(text, i, "г. ") && !street_prefix(&text[i..text.len().min(i + 4)]) {
        return None;
    }
    let mut at = i;
    // `884918, ` — a postal index.
    if text.get(i).is_some_and(u8::is_ascii_digit) {
        let e = digits_end(text, i);
        if e - i != 6 || !starts(text, e, ", ") {
            return None;
        }
        at = e + 2;
    }
    if let Some(street) = ru_city(text, at)
        && let Some(end) = ru_street(text, street)
    {
        return Some(Finding { kind: Kind::Address, start: i, end, confidence: 0.9, reason: "ru_city_street" });
    }
    if at != i {
        return None;
    }
    let end = ru_street(text, i)?;
    // A street with nothing after it but its name is still an address only with a house.
    (end > i).then_some(Finding { kind: Kind::Address, start: i, end, confidence: 0.85, reason: "ru_street" })
}

fn en_capitalised(text: &[u8], at: usize) -> Option<usize> {
    if !text.get(at).is_some_and(u8::is_ascii_uppercase) {
        return None;
    }
    let mut end = at + 1;
    while end < text.len()
        && (text[end].is_ascii_alphabetic() || (text[end] == b'\'' && text.get(end + 1).is_some_and(u8::is_ascii_alphabetic)))
    {
        end += 1;
    }
    Some(end)
}

/// A UK postcode at `at` (`SW5 8DG`, `M1 1MU`, `LS7 6PY`): its end.
fn uk_postcode(text: &[u8], at: usize) -> Option<usize> {
    let outward = text[at..].iter().take(5).take_while(|b| b.is_ascii_alphanumeric()).count();
    let o = &text[at..at + outward];
    if !(2..=4).contains(&outward)
        || !o[0].is_ascii_uppercase()
        || !o.iter().any(u8::is_ascii_digit)
        || text.get(at + outward) != Some(&b' ')
    {
        return None;
    }
    let inward = text.get(at + outward + 1..at + outward + 4)?;
    (inward[0].is_ascii_digit() && inward[1].is_ascii_uppercase() && inward[2].is_ascii_uppercase() && !letter(text, at + outward + 4))
        .then_some(at + outward + 4)
}

/// An English address starting at the house number at `i`.
pub fn english(text: &[u8], i: usize) -> Option<Finding> {
    if i > 0 && is_word_byte(text[i - 1]) {
        return None;
    }
    let mut end = number_end(text, i)?;
    if text.get(end) != Some(&b' ') {
        return None;
    }
    // Street name words, then the type.
    let mut at = end + 1;
    let mut typed = None;
    for _ in 0..4 {
        let e = en_capitalised(text, at)?;
        if at > end + 1 && EN_TYPES.iter().any(|t| t.as_bytes() == &text[at..e]) {
            typed = Some(if text.get(e) == Some(&b'.') { e + 1 } else { e });
            break;
        }
        if text.get(e) != Some(&b' ') {
            return None;
        }
        at = e + 1;
    }
    end = typed?;
    // `, Apt 19`
    if starts(text, end, ", ")
        && let Some(unit) = EN_UNITS.iter().find(|u| starts(text, end + 2, u))
        && let Some(e) = number_end(text, end + 2 + unit.len())
    {
        end = e;
    }
    // `, City` then `, ST 12345` or ` POSTCODE`.
    if starts(text, end, ", ")
        && let Some(mut city_end) = en_capitalised(text, end + 2)
    {
        while text.get(city_end) == Some(&b' ')
            && text.get(city_end + 1).is_some_and(u8::is_ascii_uppercase)
            && uk_postcode(text, city_end + 1).is_none()
        {
            match en_capitalised(text, city_end + 1) {
                Some(e) if e - city_end > 3 => city_end = e,
                _ => break,
            }
        }
        if let Some(e) = text
            .get(city_end..city_end + 5)
            .filter(|s| s[0] == b',' && s[1] == b' ' && s[2].is_ascii_uppercase() && s[3].is_ascii_uppercase() && s[4] == b' ')
            .and_then(|_| {
                let zip_end = digits_end(text, city_end + 5);
                (zip_end - (city_end + 5) == 5).then_some(zip_end)
            })
        {
            end = e;
        } else if text.get(city_end) == Some(&b' ')
            && let Some(e) = uk_postcode(text, city_end + 1)
        {
            end = e;
        } else {
            end = city_end;
        }
    }
    Some(Finding { kind: Kind::Address, start: i, end, confidence: 0.9, reason: "en_street" })
}

#[cfg(test)]
mod tests {
    use crate::{Kind, detect};

    fn addresses(text: &str) -> Vec<&str> {
        detect(text.as_bytes()).into_iter().filter(|f| f.kind == Kind::Address).map(|f| &text[f.start..f.end]).collect()
    }

    #[test]
    fn addresses_in_both_languages_with_their_parts() {
        assert_eq!(addresses("Доставьте на Тверской бульвар, д. 12, кв. 5, после обеда."), ["Тверской бульвар, д. 12, кв. 5"]);
        assert_eq!(
            addresses("Прописка: 620014, г. Екатеринбург, пр-т Ленина, д. 5, стр. 2"),
            ["620014, г. Екатеринбург, пр-т Ленина, д. 5, стр. 2"]
        );
        assert_eq!(addresses("Офис: Казань, ул. Баумана, 12а."), ["Казань, ул. Баумана, 12а"]);
        assert_eq!(
            addresses("Send it to 742 Evergreen Terrace, Springfield, OR 97403 please."),
            ["742 Evergreen Terrace, Springfield, OR 97403"]
        );
        assert_eq!(addresses("Flat at 10 Downing Street, London SW1A 2AA."), ["10 Downing Street, London SW1A 2AA"]);
    }

    #[test]
    fn cities_streets_without_names_and_counts_are_not_addresses() {
        assert!(addresses("Я живу в Москве, ул. не помню какая").is_empty());
        assert!(addresses("Мы приедем в Казань, город хороший.").is_empty());
        assert!(addresses("We sold 300 Blue Widgets yesterday.").is_empty());
        assert!(addresses("Street names changed in 2020.").is_empty());
    }
}
