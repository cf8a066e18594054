//! Vigie's app shell: a Tauri v2 window that shows the Leptos UI embedded from
//! `src-ui/dist`, and the commands the UI calls.
//!
//! Commands stay thin and live in [`commands`] (a `pub` command at the root of this
//! file clashes with the macro-generated items, E0255).

pub mod commands;

use tauri::Runtime;

/// Registers the commands and state on `builder`; shared by [`run`] and the tests,
/// which pass `tauri::test::mock_builder()`.
pub fn setup<R: Runtime>(builder: tauri::Builder<R>, smoke: commands::Smoke) -> tauri::Builder<R> {
    builder.manage(smoke).invoke_handler(tauri::generate_handler![commands::ui_ready])
}

/// Starts the app; returns when the last window is closed.
pub fn run() {
    setup(tauri::Builder::default(), commands::Smoke::from_env())
        .run(tauri::generate_context!())
        .expect("error while running the Vigie app");
}

#[cfg(test)]
mod tests {
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
    use tauri::webview::InvokeRequest;
    use tauri::Manager;

    #[test]
    fn ui_ready_is_allowed_and_answers() {
        let app = super::setup(mock_builder(), super::commands::Smoke(false))
            .build(tauri::generate_context!())
            .expect("mock app");
        let webview = match app.get_webview_window("main") {
            Some(w) => w,
            None => tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().expect("mock window"),
        };
        let response = get_ipc_response(
            &webview,
            InvokeRequest {
                cmd: "ui_ready".into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::from(serde_json::json!({ "text": "Vigie" })),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        );
        let body = response.expect("ui_ready should succeed");
        assert_eq!(body.deserialize::<serde_json::Value>().unwrap(), serde_json::Value::Null);
    }
}
