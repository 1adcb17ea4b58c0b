//! The store's integration tests: one conformance suite, run on every configured backend.

mod conformance;
mod consent;
mod harness;
mod journal;
mod requests;
mod vault;
