//! The commands the UI calls (`invoke` from src-ui). Each one only extracts its
//! arguments, reads the clock and calls [`Service`]; errors are `vigie_view::AppError`
//! (`{code, message}`).

use std::io::Write;
use std::sync::Arc;

use tauri::{AppHandle, Emitter, Runtime, State};
use vigie_view::{
    Account, AppError, AreaView, Around, AroundRequest, CameraCard, DocumentView, DraftForm, DraftProblem,
    DraftRequest, LiveControl, LiveItem, LiveTicket, NewPrivateCamera, OutboxItem, Overview, PositionView, ReviewItem,
    SignRequest, SyncReport,
};

use crate::service::{parse_time, Service};

/// Smoke mode (`VIGIE_SMOKE=1`): the end-to-end test starts the real app, waits for the
/// `VIGIE_UI_READY <text>` line on stdout, and expects the app to exit with code 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Smoke(pub bool);

impl Smoke {
    /// Reads `VIGIE_SMOKE` (on when it is `1`).
    pub fn from_env() -> Smoke {
        Smoke(std::env::var_os("VIGIE_SMOKE").is_some_and(|v| v == "1"))
    }
}

/// The line printed in smoke mode: the marker, then `text` on the same line.
pub fn ready_line(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("VIGIE_UI_READY {one_line}")
}

/// The UI is mounted and shows `text` (read back from its DOM).
/// In smoke mode, prints [`ready_line`] and exits with code 0; otherwise logs it.
#[tauri::command]
pub fn ui_ready<R: Runtime>(app: AppHandle<R>, smoke: State<'_, Smoke>, text: String) {
    if smoke.0 {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", ready_line(&text));
        let _ = out.flush();
        app.exit(0);
    } else {
        eprintln!("vigie: UI ready: {text}");
    }
}

type Svc<'a> = State<'a, Arc<Service>>;

fn now() -> vigie_core::Timestamp {
    chrono::Utc::now()
}

/// Header and banners: account, link with the platform, age of the offline data.
#[tauri::command]
pub async fn overview(svc: Svc<'_>) -> Result<Overview, AppError> {
    svc.overview(now()).await
}

/// Where the officer is, or why that is not known.
#[tauri::command]
pub fn position(svc: Svc<'_>) -> PositionView {
    svc.position(now())
}

/// Places the manual pin at `[lon, lat]`, or removes it (`null`).
#[tauri::command]
pub fn set_pin(svc: Svc<'_>, pin: Option<[f64; 2]>) -> Result<(), AppError> {
    svc.set_pin(pin)
}

/// A reading of the phone's location service, as the geolocation plugin gave it.
#[tauri::command]
pub fn report_device_fix(svc: Svc<'_>, lat: f64, lon: f64, accuracy_m: Option<f64>, timestamp_ms: Option<i64>) {
    let at = timestamp_ms.and_then(chrono::DateTime::from_timestamp_millis).unwrap_or_else(now);
    svc.report_device_fix(lat, lon, accuracy_m, at)
}

/// The cameras and fields of view for the map, as GeoJSON, at the incident time.
#[tauri::command(async)]
pub fn map_data(svc: Svc<'_>, at: Option<String>) -> Result<serde_json::Value, AppError> {
    let now = now();
    svc.map_data(parse_time(at.as_deref(), now)?, now)
}

/// One camera's card at the incident time.
#[tauri::command(async)]
pub fn camera(svc: Svc<'_>, id: String, at: Option<String>) -> Result<CameraCard, AppError> {
    let now = now();
    svc.camera(&id, parse_time(at.as_deref(), now)?, now)
}

/// "Autour de moi".
#[tauri::command(async)]
pub fn around(svc: Svc<'_>, request: AroundRequest) -> Result<Around, AppError> {
    svc.around(&request, now())
}

/// Saves a private camera on the device.
#[tauri::command(async)]
pub fn add_private_camera(svc: Svc<'_>, camera: NewPrivateCamera) -> Result<CameraCard, AppError> {
    svc.add_private_camera(&camera, now())
}

/// Asks the platform to enrol this device.
#[tauri::command]
pub async fn enrol(
    svc: Svc<'_>,
    server: String,
    rio: String,
    device_name: String,
    pin: String,
) -> Result<Account, AppError> {
    svc.enrol(&server, &rio, &device_name, &pin).await
}

/// Opens the sealed device key with the officer's PIN.
#[tauri::command(async)]
pub fn unlock(svc: Svc<'_>, pin: String) -> Result<(), AppError> {
    svc.unlock(&pin)
}

/// Syncs now.
#[tauri::command]
pub async fn sync(svc: Svc<'_>) -> Result<SyncReport, AppError> {
    svc.sync().await
}

/// The offline areas, on the platform and on the device.
#[tauri::command]
pub async fn areas(svc: Svc<'_>) -> Result<Vec<AreaView>, AppError> {
    svc.areas().await
}

/// Downloads or resumes an area; progress comes as `area-progress` events.
#[tauri::command]
pub async fn download_area<R: Runtime>(app: AppHandle<R>, svc: Svc<'_>, id: String) -> Result<(), AppError> {
    svc.download_area(&id, |p| {
        let _ = app.emit("area-progress", p);
    })
    .await
}

/// Pauses a running download (it resumes where it stopped).
#[tauri::command]
pub fn pause_download(svc: Svc<'_>, id: String) {
    svc.pause_download(&id)
}

/// Removes an area from the device.
#[tauri::command]
pub async fn delete_area(svc: Svc<'_>, id: String) -> Result<(), AppError> {
    svc.delete_area(&id).await
}

/// Drafts for the cameras chosen: one per holder.
#[tauri::command(async)]
pub fn draft(svc: Svc<'_>, request: DraftRequest) -> Result<Vec<DraftForm>, AppError> {
    svc.draft(&request, now())
}

/// Keeps the drafts being written.
#[tauri::command(async)]
pub fn save_drafts(svc: Svc<'_>, drafts: Vec<DraftForm>) -> Result<(), AppError> {
    svc.save_drafts(&drafts)
}

/// The drafts kept on the device.
#[tauri::command(async)]
pub fn drafts(svc: Svc<'_>) -> Vec<DraftForm> {
    svc.drafts()
}

/// What is wrong with a draft, blocking problems first.
#[tauri::command(async)]
pub fn check_draft(svc: Svc<'_>, form: DraftForm) -> Result<Vec<DraftProblem>, AppError> {
    svc.check_draft(&form, now())
}

/// The act a draft describes, field by field, for review before signing.
#[tauri::command(async)]
pub fn preview_draft(svc: Svc<'_>, form: DraftForm) -> Result<Vec<(String, String)>, AppError> {
    svc.preview_draft(&form, now())
}

/// Signs a draft with the PIN and queues it; a sync starts at once in the background.
#[tauri::command(async)]
pub fn sign(svc: Svc<'_>, request: SignRequest) -> Result<OutboxItem, AppError> {
    let item = svc.sign(&request, now())?;
    let background = Arc::clone(&svc);
    tauri::async_runtime::spawn(async move { background.sync_auto().await });
    Ok(item)
}

/// The outbox.
#[tauri::command(async)]
pub fn outbox(svc: Svc<'_>) -> Result<Vec<OutboxItem>, AppError> {
    svc.outbox(now())
}

/// One document, with its history.
#[tauri::command(async)]
pub fn document(svc: Svc<'_>, id: String) -> Result<DocumentView, AppError> {
    svc.document(&id, now())
}

/// Cancels a document that never left the device.
#[tauri::command(async)]
pub fn cancel_document(svc: Svc<'_>, id: String) -> Result<(), AppError> {
    svc.cancel_document(&id, now())
}

/// A draft amending a returned document.
#[tauri::command(async)]
pub fn amend(svc: Svc<'_>, id: String) -> Result<DraftForm, AppError> {
    svc.amend(&id, now())
}

/// Writes the document's PDF; returns its path.
#[tauri::command(async)]
pub fn pdf(svc: Svc<'_>, id: String) -> Result<String, AppError> {
    svc.pdf(&id)
}

/// The unit's documents awaiting review (supervisors).
#[tauri::command]
pub async fn review(svc: Svc<'_>) -> Result<Vec<ReviewItem>, AppError> {
    svc.review(now()).await
}

/// Countersigns a document with the PIN.
#[tauri::command]
pub async fn countersign(svc: Svc<'_>, id: String, pin: String) -> Result<(), AppError> {
    svc.countersign(&id, &pin).await
}

/// Returns a document to its author with a comment.
#[tauri::command]
pub async fn return_document(svc: Svc<'_>, id: String, comment: String) -> Result<(), AppError> {
    svc.return_document(&id, &comment).await
}

/// « En direct »: the body-cam streams I may watch.
#[tauri::command]
pub async fn live_streams(svc: Svc<'_>) -> Result<Vec<LiveItem>, AppError> {
    svc.live_streams(now()).await
}

/// A one-use ticket for the player to open stream `id`.
#[tauri::command]
pub async fn live_ticket(svc: Svc<'_>, id: String) -> Result<LiveTicket, AppError> {
    svc.live_ticket(&id).await
}

/// The CSU operator's decision on a stream (grant, revoke, end); the platform checks the
/// role.
#[tauri::command]
pub async fn live_control(svc: Svc<'_>, id: String, control: LiveControl) -> Result<(), AppError> {
    svc.live_control(&id, control).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_line_is_one_line() {
        assert_eq!(
            ready_line("Vigie\nCaméras  de\tvidéoprotection"),
            "VIGIE_UI_READY Vigie Caméras de vidéoprotection"
        );
    }
}
