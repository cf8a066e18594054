//! The thin bridge to the Tauri shell: `window.__TAURI__.core.invoke`, and one typed
//! wrapper per command. Nothing here runs outside Tauri (check [`in_tauri`] first).

use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `window.__TAURI__.core.invoke(cmd, args)`; resolved at call time, so merely
    /// loading the module in a plain browser is fine.
    #[wasm_bindgen(catch, js_namespace = ["window", "__TAURI__", "core"], js_name = invoke)]
    async fn invoke_raw(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

/// Whether the page runs inside the Tauri shell.
pub fn in_tauri() -> bool {
    js_sys::Reflect::has(&js_sys::global(), &JsValue::from_str("__TAURI__")).unwrap_or(false)
}

/// Calls the command `cmd` with `args` serialized to a plain JS object.
pub async fn invoke<A: Serialize>(cmd: &str, args: &A) -> Result<JsValue, JsValue> {
    let args = serde_wasm_bindgen::to_value(args).map_err(JsValue::from)?;
    invoke_raw(cmd, args).await
}

/// Tells the shell the UI is up and what it shows (`ui_ready` command).
pub async fn ui_ready(text: &str) -> Result<(), JsValue> {
    #[derive(Serialize)]
    struct Args<'a> {
        text: &'a str,
    }
    invoke("ui_ready", &Args { text }).await.map(|_| ())
}
