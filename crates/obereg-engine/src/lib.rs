//! obereg's use cases: the one gateway between the adapters (HTTP, CLI) and everything else.
//!
//! An adapter authenticates a caller into an [`Actor`], then calls a use case on [`Engine`].
//! The engine decides whether the actor may act, validates input with the pure core, and
//! writes through the store. No business rule lives in an adapter.

mod actor;
mod blind_reads;
mod catalogs;
pub mod consent;
mod contact_index;
pub mod cookies;
mod decision_index;
pub mod detection;
pub mod documents;
mod error;
mod group_commit;
pub mod incidents;
mod journal;
pub mod outbox;
pub mod receipt;
pub mod requests;
pub mod retention;
pub mod root_key;
pub mod statistics;
mod tenants;
pub mod token;
mod tokens;
pub mod unsubscribe;
pub mod vault;
pub mod web;
pub mod weblogs;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use obereg_core::clock::Clock;
use obereg_store::Store;

pub use actor::Actor;
pub use catalogs::{CatalogPut, CurrentCatalog};
pub use decision_index::Ticket;
pub use error::EngineError;
pub use journal::{ConsistencyProofView, InclusionProofView, JournalEntryView, JournalKey, JournalSettings, MAX_PAGE};
pub use obereg_journal::{AuditReport, Finding, NoteVerifier};
pub use root_key::RootKey;
pub use tenants::{Bootstrap, NewTenant};
pub use token::{Role, SecretToken};
pub use tokens::IssuedToken;
// Records the adapters display; they reach them only through the engine.
pub use obereg_store::{CatalogVersionRecord, CatalogVersionSummary, CheckpointRecord, TenantRecord, TokenRecord};

/// Where links in emails point when no public address is configured: the default listen
/// address, right for trying obereg on one machine only.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// The id of the tenant a single-company installation uses.
pub const DEFAULT_TENANT: &str = "default";

/// The use cases, over one store, one clock and one root key.
///
/// A handle: every clone shares one [`EngineParts`]. The web server clones the engine for
/// every request it routes (axum hands each handler its own copy of the state), so a clone
/// is one reference-count increment, not one per part (twelve shared counters bouncing
/// between cores cost a third of a decision's time over HTTP; docs/benchmarks.md).
#[derive(Debug, Clone)]
pub struct Engine {
    parts: Arc<EngineParts>,
}

impl std::ops::Deref for Engine {
    type Target = EngineParts;

    fn deref(&self) -> &EngineParts {
        &self.parts
    }
}

impl Engine {
    /// The parts, to change while building: copied first when other handles share them.
    fn parts_mut(&mut self) -> &mut EngineParts {
        Arc::make_mut(&mut self.parts)
    }
}

/// What an [`Engine`] is made of; reached only through the engine.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct EngineParts {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    root_key: Arc<RootKey>,
    journal: Arc<JournalSettings>,
    keyring: Arc<vault::crypto::Keyring>,
    /// Parsed catalogs in force, by tenant, with the hash they were parsed from.
    catalogs: Arc<Mutex<CatalogCache>>,
    /// The group-commit queue for read and refusal entries, started on first use.
    reads: Arc<std::sync::OnceLock<group_commit::GroupCommit>>,
    /// The queue concurrent lookups share their blind-index queries through, started on first use.
    blind_reads: Arc<std::sync::OnceLock<blind_reads::BlindReads>>,
    /// The order import batches are deduplicated and written in (see `vault::import`).
    import_lanes: Arc<vault::ImportLanes>,
    /// Tokens, catalog hashes and subjects' decision facts in memory, kept exact.
    index: Arc<decision_index::DecisionIndex>,
    /// The production calendar request deadlines are counted on.
    calendar: Arc<obereg_core::calendar::ProductionCalendar>,
    /// The address subjects reach the server at (links in emails), without a trailing `/`.
    public_url: Arc<str>,
    /// Where kept web-log lines live (`weblogs`), when this engine keeps any.
    weblog_root: Option<Arc<std::path::Path>>,
}

/// Parsed catalogs by tenant, each with the hash of the source it was parsed from.
type CatalogCache = HashMap<String, (String, Arc<obereg_core::catalog::Catalog>)>;

impl Engine {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, root_key: RootKey) -> Self {
        let journal = Arc::new(JournalSettings::defaults_for(&root_key.fingerprint()));
        let root_key = Arc::new(root_key);
        let keyring = Arc::new(vault::crypto::Keyring::new(root_key.clone()));
        let parts = EngineParts {
            store,
            clock,
            root_key,
            journal,
            keyring,
            catalogs: Arc::default(),
            reads: Arc::default(),
            blind_reads: Arc::default(),
            import_lanes: Arc::default(),
            index: Arc::default(),
            calendar: Arc::new(obereg_core::calendar::ProductionCalendar::russian()),
            public_url: Arc::from(DEFAULT_PUBLIC_URL),
            weblog_root: None,
        };
        Self { parts: Arc::new(parts) }
    }

    /// The same engine keeping web-log lines under `root` (created on first ingest).
    pub fn with_weblog_root(mut self, root: impl Into<std::path::PathBuf>) -> Self {
        self.parts_mut().weblog_root = Some(Arc::from(root.into().into_boxed_path()));
        self
    }

    /// Where web-log lines are kept; refused when this engine was given no place.
    pub fn weblog_root(&self) -> Result<&std::path::Path, EngineError> {
        self.weblog_root.as_deref().ok_or(EngineError::invalid(
            "weblog.not_configured",
            "this server keeps no web logs (no log folder is configured)",
            "этот сервер не хранит веб-журналы (папка журналов не настроена)",
        ))
    }

    /// The same engine writing `url` (e.g. `https://privacy.example.ru`) into the links of
    /// the emails it sends. It must be an absolute `http(s)` address.
    pub fn with_public_url(mut self, url: &str) -> Result<Self, EngineError> {
        let trimmed = url.trim_end_matches('/');
        let scheme_ok = trimmed.starts_with("https://") || trimmed.starts_with("http://");
        let host = trimmed.split_once("://").map(|(_, rest)| rest).unwrap_or("");
        if !scheme_ok || host.is_empty() || trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) || trimmed.len() > 200 {
            return Err(EngineError::invalid(
                "config.public_url",
                "public_url must be an absolute http(s) address such as https://privacy.example.ru",
                "public_url — абсолютный адрес http(s), например https://privacy.example.ru",
            ));
        }
        self.parts_mut().public_url = Arc::from(trimmed);
        Ok(self)
    }

    /// The address links in emails start with.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The same engine counting deadlines on `calendar` (the shipped one with the
    /// operator's years added or replaced).
    pub fn with_calendar(mut self, calendar: obereg_core::calendar::ProductionCalendar) -> Self {
        self.parts_mut().calendar = Arc::new(calendar);
        self
    }

    /// The same engine with other journal settings.
    pub fn with_journal_settings(mut self, settings: JournalSettings) -> Result<Self, EngineError> {
        settings.validate()?;
        self.parts_mut().journal = Arc::new(settings);
        Ok(self)
    }

    /// Whether the database answers; used by readiness checks.
    pub async fn ready(&self) -> Result<(), EngineError> {
        Ok(self.store.ping().await?)
    }

    /// The public fingerprint of the root key in use.
    pub fn root_key_fingerprint(&self) -> String {
        self.root_key.fingerprint()
    }

    fn now_micros(&self) -> i64 {
        self.clock.now().as_microsecond()
    }
}

/// Hex SHA-256 of a text, as stored for catalog versions.
fn sha256_hex(text: &str) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes()).as_ref())
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod journal_tests;

#[cfg(test)]
mod vault_tests;

#[cfg(test)]
mod consent_tests;

#[cfg(test)]
mod decision_index_tests;

#[cfg(test)]
mod cookies_tests;

#[cfg(test)]
mod requests_tests;

#[cfg(test)]
mod outbox_tests;

#[cfg(test)]
mod retention_tests;

#[cfg(test)]
mod publication_tests;

#[cfg(test)]
mod incidents_tests;
#[cfg(test)]
mod statistics_tests;
#[cfg(test)]
mod web_tests;
#[cfg(test)]
mod weblogs_tests;
