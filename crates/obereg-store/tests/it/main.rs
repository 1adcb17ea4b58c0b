//! Integration tests of obereg-store: the backend conformance suite.

mod conformance;
mod harness;
