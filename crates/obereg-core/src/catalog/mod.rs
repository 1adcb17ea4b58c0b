//! The catalog: one tenant's declarative data map, parsed from TOML and checked.
//!
//! [`check`] is the single entry point used by `obereg check`, the API's catalog upload and
//! start-up: it parses, runs the semantic rules and attaches source positions, so every path
//! reports the same findings with the same codes.

pub mod diagnostic;
pub mod model;
mod rules;
mod source_map;

use std::sync::Arc;

pub use diagnostic::{Diagnostic, DocPath, Position, Severity};
pub use model::*;
pub use rules::{is_notify_url, validate};

use crate::text::Bilingual;

/// Largest catalog source accepted, in bytes. Real data maps are tens of kilobytes; the cap
/// keeps a hostile upload from costing more than a moment of parsing.
pub const MAX_SOURCE_BYTES: usize = 1024 * 1024;

/// The outcome of checking one catalog source.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// The parsed catalog, when the source parsed at all.
    pub catalog: Option<Arc<Catalog>>,
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckReport {
    /// Whether the catalog may be used: it parsed and no finding is an error.
    pub fn is_valid(&self) -> bool {
        self.catalog.is_some() && !self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.is_error())
    }
}

/// Parses a catalog source without running the rules: for catalogs that were checked when
/// stored, so reading the catalog in force does not pay for validation again.
pub fn parse(source: &str) -> Result<Catalog, toml::de::Error> {
    toml::from_str(source)
}

/// Parses and validates a catalog source.
pub fn check(source: &str) -> CheckReport {
    if source.len() > MAX_SOURCE_BYTES {
        let d = Diagnostic::error(
            "catalog.too_large",
            DocPath::root(),
            Bilingual::new(
                format!("the catalog is {} bytes; the limit is {MAX_SOURCE_BYTES}", source.len()),
                format!("размер каталога {} байт; предел — {MAX_SOURCE_BYTES}", source.len()),
            ),
            Bilingual::new("split descriptions out or remove unused entries", "сократите описания или удалите неиспользуемые записи"),
        );
        return CheckReport { catalog: None, diagnostics: vec![d] };
    }
    let catalog = match parse(source) {
        Ok(c) => c,
        Err(e) => {
            let mut d = Diagnostic::error(
                "catalog.syntax",
                DocPath::root(),
                Bilingual::new(format!("the catalog does not parse: {}", e.message()), format!("каталог не разбирается: {}", e.message())),
                Bilingual::new(
                    "correct the TOML at the position shown; docs/catalog.md lists every field",
                    "исправьте TOML в указанном месте; все поля описаны в docs/catalog.md",
                ),
            );
            d.position = Some(Position::of_offset(source, e.span().map_or(0, |s| s.start)));
            return CheckReport { catalog: None, diagnostics: vec![d] };
        }
    };
    let mut diagnostics = validate(&catalog);
    if !diagnostics.is_empty() {
        let map = source_map::SourceMap::new(source);
        for d in &mut diagnostics {
            d.position = map.position(&d.path);
        }
    }
    CheckReport { catalog: Some(Arc::new(catalog)), diagnostics }
}

#[cfg(test)]
mod check_tests;
