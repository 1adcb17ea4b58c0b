//! The HTTP handlers. Each parses input, calls one engine use case and maps the result.

pub mod catalog;
pub mod consents;
pub mod cookies;
pub mod health;
pub mod journal;
pub mod requests;
pub mod retention;
pub mod subjects;
pub mod tenants;
pub mod tokens;
pub mod unsubscribe;

/// RFC 3339 text of a stored microsecond timestamp.
pub(crate) fn rfc3339(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros).map(|t| t.to_string()).unwrap_or_default()
}
