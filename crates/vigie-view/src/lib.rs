//! What the app shell (`src-tauri`) sends the UI (`src-ui`) and what the UI sends back.
//!
//! Both sides compile against these types, so a renamed field is a compile error rather
//! than a blank screen. They are plain data, already shaped for display: times people read
//! are formatted in Europe/Paris by the shell (`*_local` fields), while instants on the
//! wire stay UTC (RFC 3339 strings). No domain logic lives here; the shell computes
//! everything with `vigie-core`.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use serde::{Deserialize, Serialize};

/// An error as the UI shows it: a stable `code` to branch on and a message in French
/// then English (`"… / …"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppError {
    /// Stable machine code (`offline`, `not_enrolled`, `no_position`, `invalid`, …).
    pub code: String,
    /// What to tell the officer.
    pub message: String,
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Where the device stands with the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Account {
    /// No enrolment request yet.
    NotEnrolled,
    /// Requested; an administrator has not approved it yet.
    Pending {
        /// The platform's address.
        server: String,
        /// The officer's RIO.
        rio: String,
        /// The device's id on the platform.
        device_id: i64,
    },
    /// Approved: the device logs in and syncs.
    Enrolled {
        /// The platform's address.
        server: String,
        /// The officer's RIO.
        rio: String,
        /// The device's id on the platform.
        device_id: i64,
    },
    /// Refused or revoked by an administrator.
    Refused {
        /// The platform's address.
        server: String,
        /// What the platform said.
        message: String,
    },
}

/// The last exchange with the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Link {
    /// Whether the last attempt reached the platform.
    pub online: bool,
    /// A sync is running now.
    pub syncing: bool,
    /// When the last attempt ended (Europe/Paris, `dd/mm HH:MM`), if any.
    pub last_attempt_local: Option<String>,
    /// Its outcome, for the officer.
    pub last_message: Option<String>,
}

/// How old the cameras on the device are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataAge {
    /// Cameras of the registry on the device.
    pub cameras: u64,
    /// The private cameras the officer added.
    pub private_cameras: u64,
    /// The registry version.
    pub version: u64,
    /// When it was fetched (Europe/Paris).
    pub fetched_at_local: String,
    /// Minutes since then.
    pub age_minutes: i64,
}

/// Everything the header and banners show, fetched together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    /// Enrolment state.
    pub account: Account,
    /// Link with the platform.
    pub link: Link,
    /// The cameras on the device (`None`: never synced).
    pub data: Option<DataAge>,
    /// The basemap areas on the device.
    pub areas_on_device: usize,
    /// The device key waits for the officer's PIN (syncing needs it; browsing does not).
    pub locked: bool,
    /// Where the map should open: `[lon, lat, zoom]`.
    pub home: [f64; 3],
    /// Whether this is a phone (the position comes from the OS) rather than a laptop.
    pub mobile: bool,
    /// The officer's role on the platform, once known (`supervisor` sees « Relecture »).
    pub role: Option<String>,
    /// Documents waiting in the outbox.
    pub outbox_queued: usize,
    /// Changes whenever the cameras the map shows changed (registry version, private
    /// cameras and their states): the UI redraws them only then.
    pub cameras_stamp: String,
}

/// Where the officer is, or why that is not known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PositionView {
    /// A usable position.
    pub fix: Option<FixView>,
    /// Why there is none, for the officer (French / English).
    pub problem: Option<String>,
    /// The sources configured, e.g. `["gpsd 127.0.0.1:2947"]`.
    pub sources: Vec<String>,
}

/// A usable position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FixView {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Horizontal accuracy, metres.
    pub accuracy_m: Option<f64>,
    /// `gpsd`, `device` or `manual_pin`.
    pub source: String,
    /// What to show beside it ("GPS du véhicule", "Repère manuel"…).
    pub source_label: String,
    /// When it was taken (Europe/Paris, `HH:MM:SS`).
    pub at_local: String,
}

/// A camera, everything its card shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraCard {
    /// Its id.
    pub id: String,
    /// Its name, or a description built from its type.
    pub title: String,
    /// `public`, `private`.
    pub kind: String,
    /// `fixed`, `panning`, `dome`, `unknown`.
    pub camera_type: String,
    /// Position at the incident time.
    pub lat: f64,
    /// Position at the incident time.
    pub lon: f64,
    /// Holder's name.
    pub holder: Option<String>,
    /// Holder's phone, e-mail or address, as known.
    pub holder_contact: Option<String>,
    /// Status at the incident time: `operational`, `out_of_order`, `unknown`.
    pub status: String,
    /// When the status was last verified (Europe/Paris), if ever.
    pub verified_local: Option<String>,
    /// Retention, days, and whether it is the camera's own or the legal maximum assumed.
    pub retention_days: u32,
    /// Whether `retention_days` is known rather than assumed.
    pub retention_known: bool,
    /// "images de HH:MM effacées le …" for the incident time.
    pub erased_text: String,
    /// `lost`, `critical`, `soon`, `later`.
    pub urgency: String,
    /// For a camera the officer added: `pending`, `submitted`, `accepted`, `merged`, `refused`.
    pub private_state: Option<String>,
    /// The moderator's note, if any.
    pub note: Option<String>,
    /// Stated directions, degrees from north.
    pub directions: Vec<f64>,
}

/// One row of "Autour de moi".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AroundRow {
    /// The camera.
    pub camera: CameraCard,
    /// Distance from the point, metres.
    pub distance_m: f64,
    /// Direction from the point to the camera, degrees from north.
    pub bearing_deg: f64,
    /// The same, as a compass point in French (`N`, `NE`, `E`, `SE`, `S`, `SO`, `O`, `NO`).
    pub compass: String,
    /// `in_view`, `possible`, or `None` when it could not see the point.
    pub visibility: Option<String>,
}

/// What "Autour de moi" lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Around {
    /// The point, `[lon, lat]`.
    pub point: [f64; 2],
    /// Where the point comes from ("GPS du véhicule", "Point choisi sur la carte"…).
    pub point_label: String,
    /// The incident time (Europe/Paris).
    pub at_local: String,
    /// The rows, nearest first.
    pub rows: Vec<AroundRow>,
}

/// What the UI asks "Autour de moi" for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AroundRequest {
    /// A point pressed on the map, `[lon, lat]`; `None`: the officer's position.
    pub point: Option<[f64; 2]>,
    /// The incident time, RFC 3339; `None`: now.
    pub at: Option<String>,
    /// Search radius, metres.
    pub radius_m: f64,
    /// Only the cameras that could see the point.
    pub only_seeing: bool,
}

/// A private camera the officer describes in the field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewPrivateCamera {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Where the position comes from (`gpsd`, `device`, `manual_pin`).
    pub position_source: String,
    /// Direction it looks, degrees from north; `None` if unknown.
    pub azimuth_deg: Option<f64>,
    /// `fixed`, `panning`, `dome`, `unknown`.
    pub camera_type: String,
    /// Holder (shop, bank, car park…).
    pub holder_name: String,
    /// Holder's phone or e-mail.
    pub holder_contact: String,
    /// Retention, days, if the holder said.
    pub retention_days: Option<u32>,
    /// Free note (where exactly, who to ask…).
    pub note: String,
}

/// A basemap area, on the platform and/or on the device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaView {
    /// Its id (`monaco`).
    pub id: String,
    /// Its name.
    pub name: String,
    /// `[west, south, east, north]`.
    pub bounds: [f64; 4],
    /// Size of the download, bytes.
    pub bytes: u64,
    /// Fully on the device.
    pub on_device: bool,
    /// Bytes already downloaded of an unfinished download.
    pub partial_bytes: u64,
    /// A download of it is running.
    pub downloading: bool,
    /// Offered by the platform (false: only on the device, e.g. while offline).
    pub on_platform: bool,
}

/// Progress of an area download, sent as the `area-progress` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaProgress {
    /// The area.
    pub id: String,
    /// Bytes on the device.
    pub done: u64,
    /// Total bytes.
    pub total: u64,
    /// `running`, `paused`, `done`, `failed`.
    pub state: String,
    /// Why it stopped, when it did.
    pub message: Option<String>,
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// Registry version on the device afterwards.
    pub version: u64,
    /// Cameras on the device afterwards.
    pub cameras: u64,
    /// Private cameras sent.
    pub submitted: usize,
    /// Moderation decisions received.
    pub decided: usize,
    /// Signed documents the platform now has.
    pub documents_sent: usize,
    /// Document statuses that changed.
    pub documents_updated: usize,
}

/// "Rédiger une réquisition": the cameras chosen, and the incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftRequest {
    /// Camera ids, nearest first.
    pub cameras: Vec<String>,
    /// The incident time (RFC 3339; none: now).
    pub at: Option<String>,
    /// `requisition`, or `preservation` (demande de gel).
    pub kind: String,
}

/// A camera of a draft, with its retention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftCamera {
    /// Id.
    pub id: String,
    /// Label or address.
    pub label: String,
    /// `lost`, `critical`, `soon`, `later` (for the start of the window).
    pub urgency: String,
    /// "images de 21:30 effacées le …".
    pub erased_text: String,
}

/// One document being drafted: for one holder. Times people type are Europe/Paris
/// (`YYYY-MM-DDTHH:MM`), whatever the device's own time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftForm {
    /// `requisition` or `preservation`.
    pub kind: String,
    /// The holder's name (the recipient).
    pub holder: String,
    /// The holder's contact as known (address, phone, e-mail).
    pub holder_contact: String,
    /// The cameras of this holder.
    pub cameras: Vec<DraftCamera>,
    /// `60-1`, `77-1-1` or `99-3`.
    pub basis: String,
    /// For 77-1-1: `specific` (an authorisation for this case) or `general` (instructions, CPP 39-3).
    pub authorisation_kind: String,
    /// The authorisation's or commission rogatoire's reference.
    pub reference: String,
    /// Its date, `YYYY-MM-DD`.
    pub reference_date: String,
    /// Procedure number.
    pub procedure: String,
    /// Nature of the facts, minimal.
    pub facts: String,
    /// Window start, Paris time.
    pub window_from: String,
    /// Window end, Paris time.
    pub window_to: String,
    /// `OPJ` or `APJ`.
    pub qualite: String,
    /// An APJ's OPJ (name and RIO).
    pub under_opj: String,
    /// The document this one replaces (an amendment).
    pub replaces: Option<String>,
    /// The officer as the act prints them ("brigadier-chef Camille Martin, RIO …"); read-only.
    pub officer: String,
    /// The issuing service; read-only.
    pub service: String,
}

/// A problem with a draft, and the field it is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftProblem {
    /// The form field (`reference`, `procedure`, `facts`, `window`, `cameras`, `officer`…).
    pub field: String,
    /// French / English.
    pub message: String,
    /// It stops the signature.
    pub blocking: bool,
}

/// Signing a draft: the form and the officer's PIN (the key is opened for this act).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignRequest {
    /// The draft.
    pub form: DraftForm,
    /// The PIN.
    pub pin: String,
}

/// A signed document on the device (the outbox and its history).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxItem {
    /// Id.
    pub id: String,
    /// "Réquisition 77-1-1" / "Demande de gel".
    pub title: String,
    /// The holder.
    pub holder: String,
    /// Procedure number.
    pub procedure: String,
    /// How many cameras.
    pub cameras: usize,
    /// Signed at, Paris time.
    pub signed_local: String,
    /// `queued`, `sent`, `cancelled`, `refused`, or the platform's status once known
    /// (`received`, `returned`, `countersigned`, `sent_to_holder`, `acknowledged`, `fulfilled`).
    pub state: String,
    /// The state as the officer reads it ("en attente d'envoi", "contresignée"…).
    pub state_label: String,
    /// The last failure, or the supervisor's comment.
    pub note: Option<String>,
    /// It can still be cancelled (it never left the device).
    pub can_cancel: bool,
    /// It was returned: it can be amended.
    pub can_amend: bool,
    /// Retention urgency of its most urgent camera.
    pub urgency: String,
    /// "images effacées le …" for that camera.
    pub erased_text: String,
}

/// A document opened: its fields as printed, and its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentView {
    /// The outbox line.
    pub item: OutboxItem,
    /// `(label, value)` in print order.
    pub fields: Vec<(String, String)>,
    /// `(Paris time, what happened)`, oldest first.
    pub history: Vec<(String, String)>,
}

/// A document awaiting the supervisor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewItem {
    /// Id.
    pub id: String,
    /// The author (name and RIO).
    pub author: String,
    /// "Réquisition 60-1 — Bijouterie du Casino".
    pub title: String,
    /// Retention urgency of its most urgent camera.
    pub urgency: String,
    /// "images effacées le …".
    pub erased_text: String,
    /// Its fields as printed.
    pub fields: Vec<(String, String)>,
}

/// A live body-cam stream in « En direct ».
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveItem {
    /// Its id.
    pub id: String,
    /// The body-cam and who wears it.
    pub label: String,
    /// Why I may watch.
    pub motif: String,
    /// `live`, `connecting`, `lost`, `ended`.
    pub state: String,
    /// The state for people (« en direct / live »…).
    pub state_text: String,
    /// The body-cam's last position, `[lon, lat]`.
    pub position: Option<[f64; 2]>,
    /// When it was there, Europe/Paris (« 14:02:07 »).
    pub position_time: Option<String>,
    /// Distance (metres) and compass direction from me, when both positions are known.
    pub from_me: Option<(f64, String)>,
    /// The units that may watch it, and why (all of them for the CSU operator).
    pub grants: Vec<LiveGrant>,
}

/// A unit's permission to watch a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveGrant {
    /// The unit's code.
    pub unit: String,
    /// Why (the intervention).
    pub motif: String,
    /// Who granted it and when, for people (« CSU-1, 14:02 »).
    pub by: String,
}

/// What the CSU operator decides about a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum LiveControl {
    /// `unit` may watch, for `motif`.
    Grant {
        /// The unit's code.
        unit: String,
        /// Why (at least 8 characters: the platform says so otherwise).
        motif: String,
    },
    /// `unit` may no longer watch; its viewers are closed.
    Revoke {
        /// The unit's code.
        unit: String,
    },
    /// The relay ends, and every view with it.
    End,
}

/// What the player opens: the stream's WebSocket URL, or its WHEP endpoint where the
/// webview has WebRTC, with a one-use token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveTicket {
    /// `ws://…/v1/live/{id}/ws?token=…`.
    pub url: String,
    /// `http://…/v1/live/{id}/whep`, for a webview with WebRTC (the token as Bearer).
    pub whep: Option<String>,
    /// The one-use viewing token (in `url` already; WHEP sends it as Bearer).
    pub token: String,
    /// Why I watch (shown over the picture).
    pub motif: String,
}
