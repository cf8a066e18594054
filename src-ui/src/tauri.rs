//! The thin bridge to the Tauri shell: `window.__TAURI__.core.invoke` and
//! `window.__TAURI__.event.listen`, with typed calls. Nothing here runs outside Tauri
//! (check [`in_tauri`] first).

use serde::de::DeserializeOwned;
use serde::Serialize;
use vigie_view::AppError;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `window.__TAURI__.core.invoke(cmd, args)`; resolved at call time, so merely
    /// loading the module in a plain browser is fine.
    #[wasm_bindgen(catch, js_namespace = ["window", "__TAURI__", "core"], js_name = invoke)]
    async fn invoke_raw(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;

    /// `window.__TAURI__.event.listen(event, handler)`.
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "event"], js_name = listen)]
    fn listen_raw(event: &str, handler: &Closure<dyn FnMut(JsValue)>) -> js_sys::Promise;
}

/// Whether the page runs inside the Tauri shell.
pub fn in_tauri() -> bool {
    js_sys::Reflect::has(&js_sys::global(), &JsValue::from_str("__TAURI__")).unwrap_or(false)
}

fn to_js<A: Serialize>(args: &A) -> Result<JsValue, AppError> {
    args.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| AppError { code: "ui".into(), message: e.to_string() })
}

/// Calls the command `cmd` with `args` (a struct whose fields are the command's
/// arguments, camelCase as Tauri expects) and decodes its answer.
pub async fn call<R: DeserializeOwned, A: Serialize>(cmd: &str, args: &A) -> Result<R, AppError> {
    if !in_tauri() {
        return Err(AppError {
            code: "no_shell".into(),
            message: "hors de l'application Vigie / outside the Vigie app".into(),
        });
    }
    match invoke_raw(cmd, to_js(args)?).await {
        Ok(v) => serde_wasm_bindgen::from_value(v).map_err(|e| AppError { code: "ui".into(), message: e.to_string() }),
        Err(e) => Err(serde_wasm_bindgen::from_value::<AppError>(e.clone()).unwrap_or_else(|_| AppError {
            code: "shell".into(),
            message: e.as_string().unwrap_or_else(|| format!("{e:?}")),
        })),
    }
}

/// Calls `cmd` and returns its raw JSON answer as a string (the map's GeoJSON goes to
/// MapLibre as is).
pub async fn call_json<A: Serialize>(cmd: &str, args: &A) -> Result<String, AppError> {
    let v: JsValue = match invoke_raw(cmd, to_js(args)?).await {
        Ok(v) => v,
        Err(e) => {
            return Err(serde_wasm_bindgen::from_value::<AppError>(e)
                .unwrap_or_else(|_| AppError { code: "shell".into(), message: "erreur / error".into() }))
        }
    };
    js_sys::JSON::stringify(&v).map(String::from).map_err(|_| AppError { code: "ui".into(), message: "JSON".into() })
}

/// No arguments.
#[derive(Serialize)]
pub struct NoArgs {}

/// Calls `handler` with each `event`'s payload, for the life of the page.
pub fn listen(event: &str, mut handler: impl FnMut(JsValue) + 'static) {
    if !in_tauri() {
        return;
    }
    let closure = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let payload = js_sys::Reflect::get(&e, &JsValue::from_str("payload")).unwrap_or(JsValue::NULL);
        handler(payload)
    });
    let _ = listen_raw(event, &closure);
    // The listener lives as long as the page.
    closure.forget();
}

/// Tells the shell the UI is up and what it shows (`ui_ready` command).
pub async fn ui_ready(text: &str) -> Result<(), AppError> {
    #[derive(Serialize)]
    struct Args<'a> {
        text: &'a str,
    }
    call::<(), _>("ui_ready", &Args { text }).await
}
