//! The client's integration tests, in one binary: sync, area downloads and documents
//! against the real platform over loopback.

mod common;

mod areas;
mod documents;
mod sync;
