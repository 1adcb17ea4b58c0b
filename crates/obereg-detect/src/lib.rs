//! Personal-data detection in Russian and English text (call transcripts, CRM notes,
//! emails, chats, web forms), pure and usable on its own.
//!
//! [`detect`] makes one pass over the bytes of a text and returns [`Finding`]s: a type, a
//! byte span into the input, a confidence and the reason it was believed. Candidates come
//! from the shape of the text (a run of digits with its separators, an `@`, a country code
//! before digits, a month name); check digits (`checks`), format rules and context words
//! turn them into findings or drop them. Input need not be valid UTF-8: every rule reads
//! ASCII bytes and the context words' own bytes, so spans are byte offsets into whatever was
//! given, and no input panics.
//!
//! Built so far: EMAIL, PHONE (Russian formats and international with a country code),
//! CARD (Luhn, Mir included), RU_PASSPORT, SNILS, INN, OGRN/OGRNIP, IBAN, IPV4, IPV6 and
//! DATE_OF_BIRTH (only with a birth word before it), PERSON (dictionaries of first names
//! and surnames, declension, patronymics, initials) and ADDRESS (Russian street words and
//! house parts with a city and index before them; English house number, street type,
//! city, state and ZIP or UK postcode).

mod address;
pub mod audio;
mod checks;
mod context;
mod numeric;
mod person;
pub mod redact;
mod scan;
mod words;

pub use checks::{iban as iban_checksum, inn as inn_checksum, luhn, ogrn as ogrn_checksum, snils as snils_checksum};
pub use redact::{Method, redact};
pub use scan::detect;

/// What a finding is. The names are those of the labelled corpus (`as_str`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Email,
    Phone,
    Card,
    RuPassport,
    Snils,
    Inn,
    Ogrn,
    Iban,
    Ipv4,
    Ipv6,
    DateOfBirth,
    Person,
    Address,
}

impl Kind {
    /// Every kind, in a fixed order.
    pub const ALL: [Kind; 13] = [
        Kind::Email,
        Kind::Phone,
        Kind::Card,
        Kind::RuPassport,
        Kind::Snils,
        Kind::Inn,
        Kind::Ogrn,
        Kind::Iban,
        Kind::Ipv4,
        Kind::Ipv6,
        Kind::DateOfBirth,
        Kind::Person,
        Kind::Address,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "EMAIL",
            Kind::Phone => "PHONE",
            Kind::Card => "CARD",
            Kind::RuPassport => "RU_PASSPORT",
            Kind::Snils => "SNILS",
            Kind::Inn => "INN",
            Kind::Ogrn => "OGRN",
            Kind::Iban => "IBAN",
            Kind::Ipv4 => "IPV4",
            Kind::Ipv6 => "IPV6",
            Kind::DateOfBirth => "DATE_OF_BIRTH",
            Kind::Person => "PERSON",
            Kind::Address => "ADDRESS",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl serde::Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One piece of personal data found in a text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Finding {
    #[serde(rename = "type")]
    pub kind: Kind,
    /// Byte offsets into the input: `input[start..end]` is the finding.
    pub start: usize,
    pub end: usize,
    /// 0 to 1: how sure the rule is (a passed checksum with a context word is near 1).
    pub confidence: f32,
    /// Why it was believed, e.g. `luhn`, `snils_checksum+context`, `ru_phone_format`.
    pub reason: &'static str,
}
