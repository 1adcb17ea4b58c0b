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

/// Where an append landed: entries `first..size`, and the tree size after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub first: u64,
    pub size: u64,
}

/// A tenant's journal head: its size and the frontier hashes (see `obereg_journal::Frontier`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JournalHead {
    pub size: i64,
    pub frontier: Vec<u8>,
}

/// A stored journal entry: its position, leaf hash and the exact bytes hashed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JournalEntryRecord {
    pub idx: i64,
    pub leaf_hash: Vec<u8>,
    pub body: Vec<u8>,
}

/// A stored perfect-subtree hash.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JournalNodeRecord {
    pub level: i64,
    pub idx: i64,
    pub hash: Vec<u8>,
}

/// A signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CheckpointRecord {
    pub tenant_id: String,
    pub size: i64,
    pub root: Vec<u8>,
    /// The complete C2SP signed note.
    pub note: String,
    pub signed_at: i64,
}
