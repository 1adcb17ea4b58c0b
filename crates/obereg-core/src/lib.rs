//! obereg's pure domain: everything that can be decided without IO.
//!
//! This crate holds the catalog (the operator's data map) with its validation rules, the
//! 13 processing operations of 152-FZ art. 3, bilingual text, identifiers, the vault's permission matrix and
//! the validation, normalisation and masking of personal-data values. Nothing here
//! touches a database, a file or the clock: callers pass what the code needs, which keeps
//! every rule testable in isolation.

pub mod access;
pub mod anonymity;
pub mod calendar;
pub mod catalog;
pub mod clock;
pub mod consent;
pub mod decision;
pub mod documents;
pub mod ids;
pub mod incident;
pub mod operation;
pub mod registry_numbers;
pub mod request;
pub mod retention;
pub mod text;
pub mod value;

pub use operation::Operation;
pub use text::Bilingual;
