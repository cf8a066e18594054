//! Vigie's user interface (Leptos, client-side rendering).
//!
//! The same wasm runs in the Tauri shell and in a plain browser: Tauri is detected at run
//! time (`window.__TAURI__`, present because `withGlobalTauri` is on) and only then are
//! shell commands called, through the thin binding in [`tauri`].

pub mod tauri;

use leptos::prelude::*;

/// The French subtitle shown under the title (French first, English below).
pub const SUBTITLE_FR: &str = "Caméras de vidéoprotection autour d'une intervention";
/// The English line under the French subtitle.
pub const SUBTITLE_EN: &str = "CCTV cameras around an intervention";

/// The root component.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <main id="vigie">
            <h1>"Vigie"</h1>
            <p class="subtitle" lang="fr">{SUBTITLE_FR}</p>
            <p class="subtitle-en" lang="en">{SUBTITLE_EN}</p>
        </main>
    }
}

/// Mounts [`App`] on `<body>`; inside Tauri, then reports what was rendered with the
/// `ui_ready` command (the end-to-end smoke test waits for it).
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
    if tauri::in_tauri() {
        let text = rendered_text();
        leptos::task::spawn_local(async move {
            if let Err(e) = tauri::ui_ready(&text).await {
                leptos::logging::error!("ui_ready failed: {e:?}");
            }
        });
    }
}

/// The text the page actually shows, read back from the DOM, on one line.
fn rendered_text() -> String {
    use wasm_bindgen::JsCast;
    let text = document()
        .get_element_by_id("vigie")
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        .map(|e| e.inner_text())
        .unwrap_or_default();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
