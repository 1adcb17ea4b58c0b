//! The storage error type. Messages name what failed, never the values involved, so they are
//! safe to log.

/// What can go wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row with the same key exists already.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The database was migrated by a newer obereg; running an older binary on it could
    /// misread or damage data, so we refuse.
    #[error("database schema version {database} is newer than this binary's {binary}; upgrade obereg")]
    SchemaTooNew { database: i64, binary: i64 },
    /// A row the operation needs does not exist (a tenant's journal head).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Stored data fails a consistency check; `obereg journal verify` says more.
    #[error("stored {0} is corrupt")]
    Corrupt(&'static str),
    /// A journal entry would have carried free text where a code or id belongs.
    #[error("refused journal entry: {0}")]
    InvalidJournalEntry(obereg_journal::InvalidDraft),
    /// The SQLite keystore file is missing beside a database that holds sealed data: without
    /// it nothing sealed can be opened, so obereg refuses to start rather than create an
    /// empty one. Restore it from its backup.
    #[error("the keystore file {0} is missing; restore it from its backup (sealed data cannot be opened without it)")]
    KeystoreMissing(String),
    /// The database URL is not one obereg can use.
    #[error("unsupported database URL: {0}")]
    UnsupportedUrl(String),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl StoreError {
    /// A stable machine code for API problems and logs.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Conflict(_) => "store.conflict",
            StoreError::SchemaTooNew { .. } => "store.schema_too_new",
            StoreError::NotFound(_) => "store.not_found",
            StoreError::Corrupt(_) => "store.corrupt",
            StoreError::InvalidJournalEntry(_) => "journal.invalid_entry",
            StoreError::KeystoreMissing(_) => "store.keystore_missing",
            StoreError::UnsupportedUrl(_) => "store.unsupported_url",
            StoreError::Migration(_) => "store.migration",
            StoreError::Database(_) => "store.database",
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict("row"),
            _ => StoreError::Database(e),
        }
    }
}
