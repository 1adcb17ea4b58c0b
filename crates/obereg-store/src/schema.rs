//! Schema-version guard shared by both backends.
//!
//! sqlx refuses unknown applied migrations too, but with a generic message and only after it
//! has taken its lock; we check first and say plainly that the database belongs to a newer
//! obereg, so an operator rolling back a deployment knows what happened.

use sqlx::migrate::Migrator;

use crate::StoreError;

/// The newest migration this binary carries.
pub(crate) fn binary_version(migrator: &Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Refuses a database whose newest applied migration is newer than the binary's.
pub(crate) fn guard(database: Option<i64>, migrator: &Migrator) -> Result<(), StoreError> {
    let binary = binary_version(migrator);
    match database {
        Some(database) if database > binary => Err(StoreError::SchemaTooNew { database, binary }),
        _ => Ok(()),
    }
}
