//! The operator's documents, generated from the catalog: the privacy policy (152-FZ art.
//! 18.1), the notification of processing to RKN (art. 22 p.3), the cross-border transfer
//! notification (art. 12 p.4) and the GDPR art. 30 record of processing activities. The
//! consent document has its own renderer (`consent::document`), whose helpers these share.
//!
//! Each is built once as a [`Doc`] per language and rendered as Markdown and HTML from that
//! one model. The wording is obereg's own. Rendering is deterministic — the same catalog
//! gives the same bytes — so the engine can hash and version what it renders.
//! [`check`] lists what a document would promise that the catalog cannot deliver.

mod changes;
mod model;
mod notices;
mod policy;

pub use changes::{MaterialChange, material_changes};
pub use model::Doc;

use crate::Bilingual;
use crate::catalog::{Catalog, GdprBasis, LocalizedText, Purpose, RuBasis};
use crate::consent::document::{en_or_ru, retention_text};
use crate::decision::basis_name;
use crate::text::Lang;

/// The documents obereg generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// Политика в отношении обработки персональных данных (152-FZ art. 18.1).
    Policy,
    /// Уведомление об обработке персональных данных (art. 22 p.3).
    RknNotice,
    /// Уведомление о намерении осуществлять трансграничную передачу (art. 12 p.4).
    CrossBorderNotice,
    /// GDPR art. 30 record of processing activities.
    ProcessingRecord,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 4] = [Self::Policy, Self::RknNotice, Self::CrossBorderNotice, Self::ProcessingRecord];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Policy => "policy",
            Self::RknNotice => "rkn_notice",
            Self::CrossBorderNotice => "cross_border_notice",
            Self::ProcessingRecord => "processing_record",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Why a document cannot be rendered from this catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}")]
pub struct RenderError {
    pub code: &'static str,
    pub message: Bilingual,
}

/// Renders `kind` in `lang`.
pub fn render(catalog: &Catalog, kind: DocumentKind, lang: Lang) -> Result<Doc, RenderError> {
    match kind {
        DocumentKind::Policy => Ok(policy::policy(catalog, lang)),
        DocumentKind::RknNotice => Ok(notices::rkn_notice(catalog, lang)),
        DocumentKind::CrossBorderNotice => notices::cross_border_notice(catalog, lang).ok_or_else(|| RenderError {
            code: "document.no_cross_border",
            message: Bilingual::new(
                "the catalog has no recipient or storage outside Russia: there is nothing to notify",
                "в каталоге нет получателей и мест хранения за пределами России: уведомлять не о чем",
            ),
        }),
        DocumentKind::ProcessingRecord => Ok(notices::processing_record(catalog, lang)),
    }
}

/// Something a generated document would promise that the catalog cannot deliver.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DocumentWarning {
    pub code: &'static str,
    pub message: Bilingual,
}

/// What the documents would promise without the catalog backing it.
pub fn check(catalog: &Catalog) -> Vec<DocumentWarning> {
    let mut out = Vec::new();
    let mut warn = |code, en: String, ru: String| out.push(DocumentWarning { code, message: Bilingual::new(en, ru) });
    for p in &catalog.purposes {
        if p.retention.is_none() {
            warn(
                "document.purpose_without_retention",
                format!("the policy must say how long data of purpose `{}` is kept, and the catalog sets no retention", p.id),
                format!("политика должна назвать срок хранения по цели `{}`, а в каталоге он не задан", p.id),
            );
        }
    }
    let o = &catalog.operator;
    if o.requests_email.is_none() && o.requests_phone.is_none() {
        warn(
            "document.no_requests_contact",
            "the policy must say where subjects send requests: set operator.requests_email or requests_phone".into(),
            "политика должна указать, куда направлять запросы: задайте operator.requests_email или requests_phone".into(),
        );
    }
    if o.responsible_person.is_none() {
        warn(
            "document.no_responsible_person",
            "the RKN notification names the person responsible for processing (art. 22 p.3, art. 22.1)".into(),
            "уведомление в РКН называет ответственного за организацию обработки (ч. 3 ст. 22, ст. 22.1)".into(),
        );
    }
    for r in &catalog.recipients {
        if r.country != "RU" && !r.cross_border_notified {
            warn(
                "document.cross_border_not_notified",
                format!("recipient `{}` is in {} and RKN was not notified of the transfer (art. 12 p.3)", r.id, r.country),
                format!(
                    "получатель `{}` находится в {} , а уведомление о трансграничной передаче не подано (ч. 3 ст. 12)",
                    r.id, r.country
                ),
            );
        }
    }
    out
}

/// Text in `lang` (English falls back to Russian where none is given).
fn local(t: &LocalizedText, lang: Lang) -> String {
    if lang == Lang::Ru { t.ru.clone() } else { en_or_ru(t).to_owned() }
}

/// The purpose's legal bases in words, Russian and GDPR.
fn bases(p: &Purpose, lang: Lang) -> String {
    let mut out = Vec::new();
    if let Some(b) = p.basis {
        if let Some(ru) = b.ru {
            out.push(basis_name(ru).get(lang).to_owned());
        }
        if let Some(g) = b.gdpr {
            out.push(gdpr_basis(g).get(lang).to_owned());
        }
    }
    if out.is_empty() {
        out.push(if lang == Lang::Ru { "не указано".into() } else { "not set".into() });
    }
    out.join("; ")
}

fn gdpr_basis(g: GdprBasis) -> Bilingual {
    let (en, ru) = match g {
        GdprBasis::Consent => ("consent (GDPR art. 6(1)(a))", "согласие (ст. 6(1)(a) GDPR)"),
        GdprBasis::Contract => ("a contract (GDPR art. 6(1)(b))", "договор (ст. 6(1)(b) GDPR)"),
        GdprBasis::LegalObligation => ("a legal obligation (GDPR art. 6(1)(c))", "обязанность по закону (ст. 6(1)(c) GDPR)"),
        GdprBasis::VitalInterests => ("vital interests (GDPR art. 6(1)(d))", "жизненно важные интересы (ст. 6(1)(d) GDPR)"),
        GdprBasis::PublicTask => ("a public task (GDPR art. 6(1)(e))", "публичная задача (ст. 6(1)(e) GDPR)"),
        GdprBasis::LegitimateInterests => ("legitimate interests (GDPR art. 6(1)(f))", "законные интересы (ст. 6(1)(f) GDPR)"),
    };
    Bilingual::new(en, ru)
}

/// The purpose's retention in words.
fn retention(p: &Purpose, lang: Lang) -> String {
    match &p.retention {
        Some(r) => retention_text(r).get(lang).to_owned(),
        None if lang == Lang::Ru => "срок не установлен".into(),
        None => "no term set".into(),
    }
}

/// Whether a purpose rests on consent under 152-FZ.
fn on_consent(p: &Purpose) -> bool {
    p.basis.and_then(|b| b.ru).is_some_and(RuBasis::is_consent)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
