//! The app's end-to-end tests, in one binary (one link instead of one per file): the real
//! window under Xvfb through tauri-driver, headless Chromium for WHEP, and the app's
//! service against the platform in this process. The tests that open a window or a browser
//! take turns (`common::one_window`), as they did when each was its own binary: two
//! WebKitGTK windows on two cores would skew the latencies they assert.

mod common;

mod app_shell;
mod field_app;
mod live_app;
mod live_operator;
mod live_whep;
mod requisition_app;
mod requisitions_service;
