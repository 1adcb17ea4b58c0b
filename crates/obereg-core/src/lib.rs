//! obereg's pure domain: everything that can be decided without IO.
//!
//! This crate holds the catalog (the operator's data map) with its validation rules, the
//! 13 processing operations of 152-FZ art. 3, bilingual text and identifiers. Nothing here
//! touches a database, a file or the clock: callers pass what the code needs, which keeps
//! every rule testable in isolation.

pub mod catalog;
pub mod clock;
pub mod ids;
pub mod operation;
pub mod registry_numbers;
pub mod text;

pub use operation::Operation;
pub use text::Bilingual;
