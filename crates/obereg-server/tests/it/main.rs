//! Integration tests of the HTTP API: the full middleware stack over a real SQLite store.

mod api;
mod browser;
mod consents;
mod detection;
mod harness;
mod incidents;
mod journal;
mod ops;
mod publications;
mod requests;
mod retention;
mod snapshots;
mod statistics;
mod subjects;
mod web;
mod weblogs;
