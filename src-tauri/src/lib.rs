//! Vigie's app shell: a Tauri v2 window that shows the Leptos UI embedded from
//! `src-ui/dist`, the commands the UI calls, and the `vigie:` URI scheme that serves the
//! offline basemap (style and vector tiles) to the map from the device.
//!
//! Commands stay thin and live in [`commands`] (a `pub` command at the root of this
//! file clashes with the macro-generated items, E0255); what they do is in [`service`].
//!
//! Configuration, all optional (the defaults suit a laptop in a patrol car):
//! - `VIGIE_DATA_DIR`: where the store, the device key and the areas live (default: the
//!   OS's app data directory);
//! - `VIGIE_GPSD`: gpsd's address (default `127.0.0.1:2947` on laptops; `off` to disable);
//! - `VIGIE_SYNC_INTERVAL_S`: seconds between automatic syncs (default 30);
//! - `VIGIE_ENROL=server,rio,device name,PIN` and `VIGIE_AUTO_AREA=id`: enrol and download an
//!   area by themselves on first start (what `cargo xtask run` uses for the demo).

pub mod commands;
pub mod position;
pub mod service;
pub mod views;

use std::sync::Arc;
use std::time::Duration;

use tauri::http::{header, Response, StatusCode};
use tauri::{Emitter, Manager, Runtime};

use service::Service;

/// The base of `vigie:` URLs as the webview sees them (WebView2 and Android WebView
/// only know http(s) schemes, so Tauri maps custom schemes to `http://<name>.localhost`).
pub const SCHEME_BASE: &str =
    if cfg!(any(windows, target_os = "android")) { "http://vigie.localhost" } else { "vigie://localhost" };

/// The origin of the page itself (where the glyphs bundled with the UI are).
pub const PAGE_BASE: &str =
    if cfg!(any(windows, target_os = "android")) { "http://tauri.localhost" } else { "tauri://localhost" };

/// Registers the commands, the scheme and the setup on `builder`; shared by [`run`] and
/// the tests, which pass `tauri::test::mock_builder()`.
pub fn setup<R: Runtime>(builder: tauri::Builder<R>, smoke: commands::Smoke) -> tauri::Builder<R> {
    builder
        .manage(smoke)
        .register_asynchronous_uri_scheme_protocol("vigie", |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            tauri::async_runtime::spawn(async move {
                let svc = app.state::<Arc<Service>>().inner().clone();
                responder.respond(serve(&svc, request.uri().path()).await);
            });
        })
        .invoke_handler(tauri::generate_handler![
            commands::ui_ready,
            commands::overview,
            commands::position,
            commands::set_pin,
            commands::report_device_fix,
            commands::map_data,
            commands::camera,
            commands::around,
            commands::add_private_camera,
            commands::enrol,
            commands::unlock,
            commands::sync,
            commands::areas,
            commands::download_area,
            commands::pause_download,
            commands::delete_area,
            commands::draft,
            commands::save_drafts,
            commands::drafts,
            commands::check_draft,
            commands::preview_draft,
            commands::sign,
            commands::outbox,
            commands::document,
            commands::cancel_document,
            commands::amend,
            commands::pdf,
            commands::review,
            commands::countersign,
            commands::return_document,
            commands::live_streams,
            commands::live_ticket,
            commands::live_control,
        ])
        .setup(|app| {
            let dir = match std::env::var_os("VIGIE_DATA_DIR") {
                Some(d) => d.into(),
                None => app.path().app_data_dir()?,
            };
            let svc = tauri::async_runtime::block_on(Service::open(&dir)).map_err(|e| e.message)?;
            if let Some(addr) = gpsd_address() {
                svc.positions().watch_gpsd(addr);
            }
            app.manage(Arc::clone(&svc));
            tauri::async_runtime::spawn(background(app.handle().clone(), svc));
            // The window is created once the state exists, so no command can come first.
            for w in app.config().app.windows.clone() {
                tauri::WebviewWindowBuilder::from_config(app.handle(), &w)?.build()?;
            }
            Ok(())
        })
}

fn gpsd_address() -> Option<String> {
    match std::env::var("VIGIE_GPSD") {
        Ok(v) if v == "off" || v.is_empty() => None,
        Ok(v) => Some(v),
        Err(_) if cfg!(any(target_os = "android", target_os = "ios")) => None,
        Err(_) => Some(format!("127.0.0.1:{}", vigie_gpsd::DEFAULT_PORT)),
    }
}

/// Enrols and downloads by itself when asked to (demo), then syncs every interval; tells
/// the UI (`overview-changed`) after each attempt so its indicator stays true.
async fn background<R: Runtime>(app: tauri::AppHandle<R>, svc: Arc<Service>) {
    let interval: u64 = std::env::var("VIGIE_SYNC_INTERVAL_S").ok().and_then(|v| v.parse().ok()).unwrap_or(30);
    if let Ok(spec) = std::env::var("VIGIE_ENROL") {
        let mut parts = spec.splitn(4, ',');
        let mut next = || parts.next().unwrap_or("").to_string();
        let (server, rio, name, pin) = (next(), next(), next(), next());
        let done = if svc.account() == vigie_view::Account::NotEnrolled {
            svc.enrol(&server, &rio, &name, &pin).await.map(drop)
        } else if svc.locked() {
            // The demo's officer types nothing: its PIN comes with the demo's settings.
            svc.unlock(&pin)
        } else {
            Ok(())
        };
        if let Err(e) = done {
            eprintln!("vigie: demo enrolment: {e}");
        }
    }
    let auto_area = std::env::var("VIGIE_AUTO_AREA").ok();
    loop {
        if !matches!(svc.account(), vigie_view::Account::NotEnrolled | vigie_view::Account::Refused { .. }) {
            let _ = svc.sync_auto().await;
            if let Some(id) = &auto_area {
                if matches!(svc.account(), vigie_view::Account::Enrolled { .. })
                    && !svc.areas().await.unwrap_or_default().iter().any(|a| &a.id == id && a.on_device)
                {
                    let handle = app.clone();
                    let _ = svc.download_area(id, move |p| drop(handle.emit("area-progress", p))).await;
                }
            }
            let _ = app.emit("overview-changed", ());
        }
        tokio::time::sleep(Duration::from_secs(interval)).await;
    }
}

/// Answers a `vigie:` request: `/tiles/{z}/{x}/{y}.mvt` and `/style/{day|night}.json`.
async fn serve(svc: &Service, path: &str) -> Response<Vec<u8>> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let reply = |status: StatusCode, kind: &str, body: Vec<u8>| {
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, kind)
            .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
            .body(body)
            .expect("a valid response")
    };
    match parts.as_slice() {
        ["tiles", z, x, y] => {
            let y = y.trim_end_matches(".mvt").trim_end_matches(".pbf");
            match (z.parse(), x.parse(), y.parse()) {
                (Ok(z), Ok(x), Ok(y)) => match svc.tile(z, x, y).await {
                    Some(t) => reply(StatusCode::OK, "application/x-protobuf", t),
                    // Outside the downloaded areas: an empty tile, not an error.
                    None => reply(StatusCode::NO_CONTENT, "application/x-protobuf", Vec::new()),
                },
                _ => reply(StatusCode::BAD_REQUEST, "text/plain", format!("bad tile path {path}").into_bytes()),
            }
        }
        ["style", file] => {
            let theme = if file.starts_with("night") { vigie_tiles::Theme::Night } else { vigie_tiles::Theme::Day };
            let (min_zoom, max_zoom) = svc.zooms().await;
            let mut style = vigie_tiles::style(
                &format!("{SCHEME_BASE}/tiles/{{z}}/{{x}}/{{y}}.mvt"),
                &format!("{PAGE_BASE}/glyphs/{{fontstack}}/{{range}}.pbf"),
                theme,
            );
            if let Some(src) = style.pointer_mut("/sources/basemap") {
                src["minzoom"] = min_zoom.into();
                src["maxzoom"] = max_zoom.into();
            }
            reply(StatusCode::OK, "application/json", style.to_string().into_bytes())
        }
        _ => reply(StatusCode::NOT_FOUND, "text/plain", format!("no such resource: {path}").into_bytes()),
    }
}

/// Starts the app; returns when the last window is closed.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let builder = setup(tauri::Builder::default(), commands::Smoke::from_env());
    #[cfg(any(target_os = "android", target_os = "ios"))]
    let builder = builder.plugin(tauri_plugin_geolocation::init());
    builder.run(tauri::generate_context!()).expect("error while running the Vigie app");
}
