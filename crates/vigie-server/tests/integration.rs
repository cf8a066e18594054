//! The platform's integration tests, in one binary (one link instead of one per file; CI's
//! disk and two cores notice): the server over loopback on a real SQLite file, its CLI, the
//! storage on SQLite and PostgreSQL, and the live relay with real publishers.

mod common;

mod api;
mod areas;
mod cli;
mod documents;
mod live;
mod moderation;
mod storage;
