//! The semantic rules of the catalog check.
//!
//! Parsing proves the file has the right shape; these rules prove it makes sense as a
//! processing register under 152-FZ and the GDPR: every purpose has a basis and a retention
//! term, references resolve, special data rests on written consent, Russian citizens' data is
//! first stored in Russia, and so on. Each rule has a stable code (documented in
//! `docs/catalog.md`) and its own test.

mod access;
mod identity;
mod purposes;
mod references;
mod transfers;

pub use transfers::is_notify_url;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use super::diagnostic::{Diagnostic, DocPath};
use super::model::{Catalog, Category, GdprBasis, Jurisdiction, Purpose, Recipient, RuBasis, StorageLocation, SubjectKind};
use crate::text::Bilingual;

/// Runs every rule over `catalog`, returning errors and warnings in document order per rule.
pub fn validate(catalog: &Catalog) -> Vec<Diagnostic> {
    let mut cx = Ctx::new(catalog);
    identity::check(&mut cx);
    references::check(&mut cx);
    purposes::check(&mut cx);
    transfers::check(&mut cx);
    access::check(&mut cx);
    cx.out
}

/// What the rules share: the catalog, id lookups and the findings so far.
struct Ctx<'c> {
    catalog: &'c Catalog,
    categories: HashMap<&'c str, &'c Category>,
    subject_kinds: HashMap<&'c str, &'c SubjectKind>,
    purposes: HashMap<&'c str, &'c Purpose>,
    recipients: HashMap<&'c str, &'c Recipient>,
    storage: HashMap<&'c str, &'c StorageLocation>,
    ru: bool,
    gdpr: bool,
    out: Vec<Diagnostic>,
}

impl<'c> Ctx<'c> {
    fn new(catalog: &'c Catalog) -> Self {
        fn index<'a, T>(items: &'a [T], id: impl Fn(&'a T) -> &'a str) -> HashMap<&'a str, &'a T> {
            // The first entry wins; duplicates are reported by `identity`.
            let mut map = HashMap::new();
            for item in items {
                map.entry(id(item)).or_insert(item);
            }
            map
        }
        let jurisdictions = &catalog.operator.jurisdictions;
        Self {
            catalog,
            categories: index(&catalog.categories, |c| &c.id),
            subject_kinds: index(&catalog.subject_kinds, |s| &s.id),
            purposes: index(&catalog.purposes, |p| &p.id),
            recipients: index(&catalog.recipients, |r| &r.id),
            storage: index(&catalog.storage, |s| &s.id),
            ru: jurisdictions.contains(&Jurisdiction::Ru152Fz),
            gdpr: jurisdictions.contains(&Jurisdiction::EuGdpr),
            out: Vec::new(),
        }
    }

    /// Whether `p` rests on consent under every jurisdiction that applies: what marketing and
    /// non-necessary cookies need.
    fn rests_on_consent(&self, p: &Purpose) -> bool {
        let ru = p.basis.and_then(|b| b.ru).is_some_and(RuBasis::is_consent);
        let gdpr = p.basis.and_then(|b| b.gdpr) == Some(GdprBasis::Consent);
        (!self.ru || ru) && (!self.gdpr || gdpr)
    }

    fn error(&mut self, code: &'static str, path: DocPath, message: Bilingual, fix: Bilingual) {
        self.out.push(Diagnostic::error(code, path, message, fix));
    }

    fn warning(&mut self, code: &'static str, path: DocPath, message: Bilingual, fix: Bilingual) {
        self.out.push(Diagnostic::warning(code, path, message, fix));
    }
}

/// Path of entry `i` of a top-level array section.
fn entry(section: &str, i: usize) -> DocPath {
    DocPath::root().key(section).index(i)
}

/// Whether `code` is a two-letter upper-case ISO 3166-1 alpha-2 code shape.
fn is_country_code(code: &str) -> bool {
    code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase())
}

/// The EEA member states (EU 27 + Iceland, Liechtenstein, Norway): transfers among them need
/// no chapter V safeguard.
const EEA: [&str; 30] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT",
    "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
];
