//! The operator's documents, generated from the catalog in force (`obereg_core::documents`)
//! and kept: each distinct text is stored once with its hash, the catalog version it came
//! from and when it was first generated, so the history of what the policy promised when
//! is evidence (152-FZ art. 18.1 p.2). A catalog change that changes a document makes a new
//! version the next time it is asked for; one that does not makes none.
//!
//! The privacy policy is public (served at a stable URL per tenant without a token); the
//! notifications and the record of processing are for administrators. Publishing a policy
//! version with its effective date, and telling subjects about it, is [`publication`].

mod notices;
pub mod publication;

pub use notices::WalkProgress;
pub use publication::{NoticeProgress, Publication, PublicationStatus, PublishPolicy, PublishedChange};

use obereg_core::documents::{self, DocumentKind, DocumentWarning, MaterialChange};
use obereg_core::text::Lang;
use obereg_store::GeneratedDocumentRecord;

use crate::vault::micros_to_time;
use crate::{Actor, Engine, EngineError};

/// A generated document, as kept.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GeneratedDocument {
    pub kind: DocumentKind,
    pub lang: String,
    /// Hex SHA-256 of the Markdown text.
    pub sha256: String,
    pub catalog_version: i64,
    /// When this text was first generated.
    pub generated_at: jiff::Timestamp,
    pub markdown: String,
    pub html: String,
    /// What the document promises that the catalog cannot deliver (for administrators).
    pub warnings: Vec<DocumentWarning>,
    /// The publication this text is, when it is a published policy version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publication: Option<String>,
    /// The day a published version takes (or took) effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_on: Option<jiff::civil::Date>,
}

/// One version of a document, without its text.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DocumentVersion {
    pub sha256: String,
    pub catalog_version: i64,
    pub generated_at: jiff::Timestamp,
}

fn lang_code(lang: Lang) -> &'static str {
    if lang == Lang::Ru { "ru" } else { "en" }
}

impl Engine {
    /// Generates `kind` in `lang` from the tenant's catalog in force, keeping a new version
    /// when the text changed. Administrators.
    pub async fn generate_document(&self, actor: &Actor, kind: DocumentKind, lang: Lang) -> Result<GeneratedDocument, EngineError> {
        actor.require_admin()?;
        self.generate(&actor.tenant, kind, lang).await
    }

    /// Every version of a document kind and language generated so far, newest first.
    pub async fn document_versions(&self, actor: &Actor, kind: DocumentKind, lang: Lang) -> Result<Vec<DocumentVersion>, EngineError> {
        actor.require_admin()?;
        let rows = self.store.document_versions(&actor.tenant, kind.as_str(), lang_code(lang)).await?;
        Ok(rows
            .into_iter()
            .map(|r| DocumentVersion { sha256: r.sha256, catalog_version: r.catalog_version, generated_at: micros_to_time(r.created_at) })
            .collect())
    }

    /// The material changes from catalog version `from` to the catalog in force: what
    /// subjects must be told before a new policy takes effect. Administrators.
    pub async fn policy_changes(&self, actor: &Actor, from: i64) -> Result<Vec<MaterialChange>, EngineError> {
        actor.require_admin()?;
        let current = self.store.current_catalog(&actor.tenant).await?.ok_or(EngineError::NotFound("catalog"))?;
        let old = self.store.catalog_version(&actor.tenant, from).await?.ok_or(EngineError::NotFound("catalog version"))?;
        let new = self.parsed(&current)?;
        // The old version is parsed apart: the engine's cache holds the version in force.
        let old = obereg_core::catalog::parse(&old.source).map_err(|_| EngineError::Internal("a stored catalog no longer parses"))?;
        Ok(documents::material_changes(&old, &new))
    }

    async fn generate(&self, tenant: &str, kind: DocumentKind, lang: Lang) -> Result<GeneratedDocument, EngineError> {
        let version = self.store.current_catalog(tenant).await?.ok_or(EngineError::NotFound("catalog"))?;
        let catalog = self.parsed(&version)?;
        let doc = documents::render(&catalog, kind, lang).map_err(|e| EngineError::Invalid { code: e.code, message: e.message })?;
        let markdown = doc.markdown();
        let record = GeneratedDocumentRecord {
            tenant_id: tenant.to_owned(),
            kind: kind.as_str().to_owned(),
            lang: lang_code(lang).to_owned(),
            sha256: crate::sha256_hex(&markdown),
            catalog_version: version.version,
            created_at: self.now_micros(),
            html: doc.html(),
            markdown,
        };
        let kept = self.store.save_document(&record).await?;
        Ok(GeneratedDocument {
            kind,
            lang: kept.lang,
            sha256: kept.sha256,
            catalog_version: kept.catalog_version,
            generated_at: micros_to_time(kept.created_at),
            markdown: kept.markdown,
            html: kept.html,
            warnings: documents::check(&catalog),
            publication: None,
            effective_on: None,
        })
    }
}
