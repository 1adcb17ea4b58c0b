//! The catalog's data model: what one tenant's TOML data map deserialises into.
//!
//! Every struct rejects unknown fields, so a misspelt key is an error rather than a silently
//! ignored promise. References between sections (a purpose naming a category) are plain ids
//! here and are checked by the rules in `rules.rs`. `docs/catalog.md` documents every field.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::operation::Operation;

/// One tenant's data map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Version of the catalog file format; this build reads format 1.
    pub format: u32,
    pub operator: Operator,
    #[serde(default)]
    pub categories: Vec<Category>,
    #[serde(default)]
    pub subject_kinds: Vec<SubjectKind>,
    #[serde(default)]
    pub purposes: Vec<Purpose>,
    #[serde(default)]
    pub recipients: Vec<Recipient>,
    #[serde(default)]
    pub storage: Vec<StorageLocation>,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub cookies: Vec<CookieCategory>,
    /// The operator's websites, for the cookie banner.
    pub site: Option<Site>,
    pub age: Option<AgeRule>,
    pub documents: Documents,
}

/// A name or text given in Russian (required) and English (optional).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalizedText {
    pub ru: String,
    pub en: Option<String>,
}

/// The operator (controller) the catalog belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    pub legal_name: LocalizedText,
    /// OGRN (13 digits) of an organisation or OGRNIP (15 digits) of an entrepreneur.
    pub ogrn: Option<String>,
    /// INN: 10 digits for an organisation, 12 for a person.
    pub inn: Option<String>,
    pub address: String,
    /// Where subjects send requests (152-FZ art. 14, GDPR art. 12).
    pub requests_email: Option<String>,
    pub requests_phone: Option<String>,
    /// Number in the RKN register of personal-data operators (152-FZ art. 22).
    pub rkn_registry_number: Option<String>,
    /// The person responsible for organising processing (152-FZ art. 22.1).
    pub responsible_person: Option<ContactPerson>,
    /// Data protection officer (GDPR art. 37), where one is appointed.
    pub dpo: Option<ContactPerson>,
    #[serde(default)]
    pub jurisdictions: Vec<Jurisdiction>,
}

/// A named contact: the responsible person or the DPO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactPerson {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A legal regime the operator answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Jurisdiction {
    #[serde(rename = "ru-152fz")]
    Ru152Fz,
    #[serde(rename = "eu-gdpr")]
    EuGdpr,
}

/// A kind of personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    pub name: LocalizedText,
    pub kind: CategoryKind,
    /// Whether subjects can be found by this value (through a keyed blind index).
    #[serde(default)]
    pub searchable: bool,
    #[serde(default)]
    pub normalize: Normalization,
    /// For free text that must hold no personal data (a comment for analytics, a call
    /// summary): `refuse` a value or record text in which obereg-detect finds any, or
    /// `redact` it to type labels before it is stored. Default `allow`.
    #[serde(default)]
    pub free_text: FreeText,
}

/// What happens to personal data found in a category's free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FreeText {
    /// Stored as given (the category is personal data itself).
    #[default]
    Allow,
    /// Refused with the types found; nothing is stored.
    Refuse,
    /// Each finding replaced by its type label (`[PHONE]`) before sealing.
    Redact,
}

/// The legal kind of a data category; it decides which bases a purpose may rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryKind {
    Ordinary,
    /// 152-FZ art. 10 / GDPR art. 9: health, beliefs, criminal records …
    Special,
    /// 152-FZ art. 11: physiological traits used to identify a person.
    Biometric,
    /// 152-FZ art. 10.1: data the subject allowed to be disseminated.
    PubliclyDistributable,
    /// IP addresses, cookie ids, device data.
    Technical,
    Payment,
}

/// How a searchable value is normalised before indexing, so equal values match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Normalization {
    #[default]
    None,
    /// Trimmed and lowercased.
    Email,
    /// E.164, e.g. `+79161234567`.
    PhoneE164,
    /// Unicode NFKC, trimmed, lowercased, inner whitespace collapsed.
    Text,
    /// A calendar date, `YYYY-MM-DD` (also read from `DD.MM.YYYY`).
    Date,
    /// A payment card number: 12–19 digits passing the Luhn check. Card values are
    /// tokenised: the API shows a token and the last four digits.
    Card,
}

/// A kind of person whose data is held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectKind {
    pub id: String,
    pub name: LocalizedText,
    /// Whether data of this kind includes Russian citizens' data (152-FZ art. 18 p.5).
    #[serde(default)]
    pub russian_citizens: bool,
}

/// A purpose of processing: the unit every decision, retention rule and document hangs on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Purpose {
    pub id: String,
    pub name: LocalizedText,
    pub description: Option<LocalizedText>,
    #[serde(default)]
    pub subject_kinds: Vec<String>,
    pub basis: Option<LegalBasis>,
    #[serde(default)]
    pub required_categories: Vec<String>,
    #[serde(default)]
    pub optional_categories: Vec<String>,
    #[serde(default)]
    pub operations: Vec<Operation>,
    pub retention: Option<Retention>,
    /// Whether this purpose sends advertising (152-FZ art. 15, 38-FZ art. 18).
    #[serde(default)]
    pub marketing: bool,
    #[serde(default)]
    pub channels: Vec<Channel>,
    #[serde(default)]
    pub recipients: Vec<String>,
    /// Storage location ids; the first is where the data is first recorded.
    #[serde(default)]
    pub storage: Vec<String>,
}

impl Purpose {
    /// Required then optional categories.
    pub fn categories(&self) -> impl Iterator<Item = &String> {
        self.required_categories.iter().chain(&self.optional_categories)
    }
}

/// The legal basis of a purpose, per jurisdiction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalBasis {
    pub ru: Option<RuBasis>,
    pub gdpr: Option<GdprBasis>,
}

/// 152-FZ legal bases: art. 6 p.1 items, plus written consent (arts. 9 p.4, 10, 11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuBasis {
    /// Item 1: consent.
    Consent,
    /// Consent in writing (art. 9 p.4), required for special and biometric data.
    WrittenConsent,
    /// Item 2: an international treaty or a federal law.
    Law,
    /// Item 3: justice.
    Justice,
    /// Item 4: state and municipal services.
    PublicServices,
    /// Item 5: a contract with the subject or steps before one at the subject's request.
    Contract,
    /// Item 6: vital interests.
    VitalInterests,
    /// Item 7: legitimate interests of the operator or third parties.
    LegitimateInterests,
    /// Item 8: journalism, science, literature, art.
    JournalismScienceArt,
    /// Item 9: statistics or research with mandatory anonymisation.
    StatisticsAnonymised,
    /// Item 11: mandatory publication under federal law.
    MandatoryPublication,
}

impl RuBasis {
    pub fn is_consent(self) -> bool {
        matches!(self, RuBasis::Consent | RuBasis::WrittenConsent)
    }
}

/// GDPR art. 6(1) bases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GdprBasis {
    Consent,
    Contract,
    LegalObligation,
    VitalInterests,
    PublicTask,
    LegitimateInterests,
}

/// How long data of a purpose is kept: `period` after `trigger`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    pub period: Period,
    pub trigger: RetentionTrigger,
    /// The act that sets the term, required when `trigger = "legal_term"`.
    pub legal_reference: Option<String>,
}

/// The event from which a retention period runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionTrigger {
    Collection,
    LastInteraction,
    PurposeAchieved,
    ContractEnd,
    AccountClosed,
    ConsentWithdrawn,
    /// A term set by law, counted from collection; needs `legal_reference`.
    LegalTerm,
}

impl RetentionTrigger {
    /// The name used in catalogs and the API (`purpose_achieved`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Collection => "collection",
            Self::LastInteraction => "last_interaction",
            Self::PurposeAchieved => "purpose_achieved",
            Self::ContractEnd => "contract_end",
            Self::AccountClosed => "account_closed",
            Self::ConsentWithdrawn => "consent_withdrawn",
            Self::LegalTerm => "legal_term",
        }
    }

    /// The triggers that are events recorded per subject and purpose.
    pub const EVENTS: [RetentionTrigger; 3] = [Self::PurposeAchieved, Self::ContractEnd, Self::AccountClosed];

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Collection,
            Self::LastInteraction,
            Self::PurposeAchieved,
            Self::ContractEnd,
            Self::AccountClosed,
            Self::ConsentWithdrawn,
            Self::LegalTerm,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// A calendar period written as an ISO 8601 duration of years, months and days (`P3Y`,
/// `P6M`, `P30D`, `P1Y6M`). Weeks and times of day are not accepted: retention is counted
/// in calendar units only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Period {
    pub years: u32,
    pub months: u32,
    pub days: u32,
}

impl Period {
    pub fn is_zero(&self) -> bool {
        self.years == 0 && self.months == 0 && self.days == 0
    }
}

impl std::str::FromStr for Period {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a period like P3Y, P6M, P30D or P1Y6M");
        let rest = s.strip_prefix('P').ok_or_else(bad)?;
        if rest.is_empty() {
            return Err(bad());
        }
        let mut period = Period::default();
        let mut number = String::new();
        let mut last_unit = 0;
        for c in rest.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let (rank, slot) = match c {
                'Y' => (1, &mut period.years),
                'M' => (2, &mut period.months),
                'D' => (3, &mut period.days),
                _ => return Err(bad()),
            };
            if number.is_empty() || rank <= last_unit {
                return Err(bad());
            }
            *slot = number.parse().map_err(|_| bad())?;
            number.clear();
            last_unit = rank;
        }
        if !number.is_empty() {
            return Err(bad());
        }
        Ok(period)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("P")?;
        if self.is_zero() {
            return f.write_str("0D");
        }
        for (n, unit) in [(self.years, 'Y'), (self.months, 'M'), (self.days, 'D')] {
            if n > 0 {
                write!(f, "{n}{unit}")?;
            }
        }
        Ok(())
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A channel through which a purpose contacts subjects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    PhoneCall,
    AutomatedCall,
    Messenger,
    Post,
}

/// Someone data is passed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    pub id: String,
    pub name: LocalizedText,
    pub kind: RecipientKind,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    pub address: Option<String>,
    /// The entrustment contract (поручение, 152-FZ art. 6 p.3) for a processor.
    pub entrustment_contract: Option<String>,
    /// Whether RKN was notified of the cross-border transfer (152-FZ art. 12).
    #[serde(default)]
    pub cross_border_notified: bool,
    /// The GDPR chapter V safeguard for a transfer outside the EEA (adequacy, SCC, BCR).
    pub transfer_safeguard: Option<String>,
    /// Where obereg posts signed notices of corrections, erasures and restrictions the
    /// recipient must carry out too (GDPR arts. 17(2), 19; 152-FZ art. 21).
    pub notify_url: Option<String>,
}

/// What a recipient is to the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientKind {
    /// Processes on the operator's behalf (лицо, действующее по поручению).
    Processor,
    /// An independent operator receiving data.
    Partner,
    /// A state body receiving data under law.
    Authority,
}

/// A system where personal data is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageLocation {
    pub id: String,
    pub system: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    pub provider: Option<String>,
    pub city: Option<String>,
}

/// A staff role: the purposes, categories and operations its holders may use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub id: String,
    pub name: LocalizedText,
    #[serde(default)]
    pub purposes: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub operations: Vec<Operation>,
    /// Categories this role sees only masked (`+7 *** ***-**-89`, a card's last four digits).
    #[serde(default)]
    pub masked: Vec<String>,
    /// Whether holders act for the responsible person or DPO: they alone (besides the subject)
    /// see the data of a restricted (blocked) subject.
    #[serde(default)]
    pub dpo: bool,
}

/// A category of cookies set by the operator's sites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CookieCategory {
    pub id: String,
    pub kind: CookieKind,
    pub name: LocalizedText,
    /// The purpose these cookies serve; required for every kind but `necessary`.
    pub purpose: Option<String>,
    #[serde(default)]
    pub vendors: Vec<CookieVendor>,
    pub lifetime_days: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CookieKind {
    Necessary,
    Functional,
    Analytics,
    Advertising,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CookieVendor {
    pub name: String,
    pub country: String,
}

/// The operator's websites that embed obereg's cookie banner. One visitor's choice is
/// shared by all of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// Origins allowed to call the banner's endpoints: `https://host` or `https://host:port`,
    /// no path (`http://` only for `localhost`).
    pub origins: Vec<String>,
    /// The subject kind a visitor is recorded as.
    pub visitor_kind: String,
}

/// What is done about subjects under a minimum age.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeRule {
    pub minimum: u8,
    pub on_underage: UnderageAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnderageAction {
    /// Destroy the child's data once the age is known.
    Destroy,
    /// Block processing until a parent confirms.
    Block,
    /// Process with a parent's or guardian's consent.
    ParentalConsent,
}

/// Metadata of the documents generated from this catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Documents {
    pub policy_version: String,
    pub effective_date: CivilDate,
    #[serde(default)]
    pub languages: Vec<DocLanguage>,
    pub policy_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocLanguage {
    Ru,
    En,
}

/// A calendar date, written in TOML either as a bare date (`2026-09-01`) or a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CivilDate(pub jiff::civil::Date);

impl Serialize for CivilDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CivilDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Toml(toml::value::Datetime),
            Text(String),
        }
        let text = match Repr::deserialize(d)? {
            Repr::Toml(dt) => dt.to_string(),
            Repr::Text(t) => t,
        };
        text.parse::<jiff::civil::Date>()
            .map(CivilDate)
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a date like 2026-09-01")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_print() {
        for (text, years, months, days) in
            [("P3Y", 3, 0, 0), ("P6M", 0, 6, 0), ("P30D", 0, 0, 30), ("P1Y6M10D", 1, 6, 10), ("P0D", 0, 0, 0)]
        {
            let p: Period = text.parse().unwrap();
            assert_eq!((p.years, p.months, p.days), (years, months, days), "{text}");
            assert_eq!(p.to_string(), text);
        }
        for bad in ["", "P", "3Y", "P3", "PY", "P3W", "P6M1Y", "P1Y1Y", "P-1D", "PT5H"] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }
}
