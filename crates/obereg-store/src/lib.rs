//! obereg's storage: the [`Store`] trait, its error type, and one implementation per backend.
//!
//! SQLite (embedded, the zero-setup default) and PostgreSQL (production) each have their own
//! migrations under `migrations/`, but share one set of queries (`queries.rs`): both accept
//! `$n` placeholders, `RETURNING` and `ON CONFLICT`, and every column uses a type both decode
//! the same way (TEXT, 64-bit integers, bytes). The same conformance suite
//! (`tests/it/conformance.rs`) runs against both.
//!
//! The trait returns boxed futures so the rest of obereg can hold an `Arc<dyn Store>` and
//! choose the backend at run time from the database URL.

mod error;
mod postgres;
mod queries;
mod records;
mod schema;
mod sqlite;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use error::StoreError;
pub use postgres::PgStore;
pub use records::*;
pub use sqlite::SqliteStore;

/// A boxed, sendable future returning a storage result.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Everything obereg keeps, behind one interface. Each method is atomic.
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    fn backend(&self) -> Backend;

    /// Answers when the database is reachable; used by `/readyz`.
    fn ping(&self) -> StoreFuture<'_, ()>;

    /// Creates a tenant with its first admin token and, optionally, its first catalog, in one
    /// transaction. Fails with [`StoreError::Conflict`] when the tenant exists.
    fn create_tenant<'a>(
        &'a self,
        tenant: &'a TenantRecord,
        catalog: Option<&'a NewCatalogVersion>,
        admin: &'a TokenRecord,
    ) -> StoreFuture<'a, ()>;

    fn tenant<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<TenantRecord>>;

    fn tenants(&self) -> StoreFuture<'_, Vec<TenantRecord>>;

    /// Stores a new catalog version numbered one above the tenant's latest.
    fn add_catalog_version<'a>(&'a self, new: &'a NewCatalogVersion) -> StoreFuture<'a, CatalogVersionRecord>;

    /// The tenant's catalog in force: its highest version.
    fn current_catalog<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, Option<CatalogVersionRecord>>;

    fn catalog_version<'a>(&'a self, tenant: &'a str, version: i64) -> StoreFuture<'a, Option<CatalogVersionRecord>>;

    /// All versions of the tenant's catalog, newest first, without their sources.
    fn catalog_versions<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, Vec<CatalogVersionSummary>>;

    fn add_token<'a>(&'a self, token: &'a TokenRecord) -> StoreFuture<'a, ()>;

    /// The token whose hash is `hash`, revoked or not.
    fn token_by_hash<'a>(&'a self, hash: &'a [u8]) -> StoreFuture<'a, Option<TokenRecord>>;

    /// The tenant's tokens, newest first.
    fn tokens<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, Vec<TokenRecord>>;

    /// Revokes an active token of `tenant`; `false` when there is no such active token.
    fn revoke_token<'a>(&'a self, tenant: &'a str, id: &'a str, at: i64) -> StoreFuture<'a, bool>;
}

/// Opens the store a URL names (`sqlite:PATH` or `postgres://…`), creating a SQLite file if
/// needed and applying migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::open(url).await?))
    } else {
        let scheme = url.split(':').next().unwrap_or_default();
        Err(StoreError::UnsupportedUrl(format!("`{scheme}:` (use sqlite:PATH or postgres://…)")))
    }
}
