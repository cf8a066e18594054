//! The app shell end to end: the real `vigie-app` binary under Xvfb, with the wasm UI
//! served by Tauri and rendered by WebKitGTK, reports what it shows (`VIGIE_UI_READY`)
//! once the map drew for the first time.
//!
//! It lives in `vigie-app`'s own tests so that cargo builds the binary for it, in the same
//! build as every other test (no second build of Tauri with other features).

use std::time::Duration;

use vigie_e2e::{under_xvfb, Running};

#[test]
fn window_renders_the_ui() {
    let _turn = crate::common::one_window();
    let bin = std::path::PathBuf::from(env!("CARGO_BIN_EXE_vigie-app"));
    let mut cmd = under_xvfb(&bin).unwrap_or_else(|e| panic!("{e}"));
    let data = tempfile::tempdir().unwrap();
    // A fresh device with no position source: the UI must still come up, map included.
    cmd.env("VIGIE_SMOKE", "1").env("VIGIE_DATA_DIR", data.path()).env("VIGIE_GPSD", "off");
    let mut app = Running::start(cmd).unwrap_or_else(|e| panic!("{e}"));

    let text = app.wait_for_line("VIGIE_UI_READY", Duration::from_secs(60)).unwrap_or_else(|e| panic!("{e}"));
    assert!(text.contains("Vigie"), "rendered text: {text:?}");
    assert!(text.contains("Caméras de vidéoprotection autour d'une intervention"), "rendered text: {text:?}");

    let status = app.wait(Duration::from_secs(20)).unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success(), "the app exited with {status}\n{}", app.stderr_text());
}
