//! The `vigie-app` binary: starts the Tauri shell (all of it lives in the `vigie_app` lib).

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    vigie_app::run();
}
