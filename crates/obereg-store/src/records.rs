//! Rows as the store reads and writes them. Timestamps are UTC microseconds since the epoch.

/// A tenant: one controller whose data obereg processes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TenantRecord {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

/// A catalog version to be stored; the store assigns its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCatalogVersion {
    pub tenant_id: String,
    /// Hex SHA-256 of `source`.
    pub sha256: String,
    pub source: String,
    pub created_at: i64,
    /// Id of the token that uploaded it; `None` for versions loaded from the command line.
    pub created_by: Option<String>,
}

/// A stored catalog version.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CatalogVersionRecord {
    pub tenant_id: String,
    pub version: i64,
    pub sha256: String,
    pub source: String,
    pub created_at: i64,
    pub created_by: Option<String>,
}

/// A catalog version without its source, for listings.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CatalogVersionSummary {
    pub version: i64,
    pub sha256: String,
    pub created_at: i64,
    pub created_by: Option<String>,
}

/// An API token. Only its hash is stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenRecord {
    pub id: String,
    pub tenant_id: String,
    pub role: String,
    pub label: String,
    pub token_hash: Vec<u8>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}
