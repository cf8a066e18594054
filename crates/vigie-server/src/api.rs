//! The HTTP API (axum). Handlers extract, call the database or a use case of
//! `registry`, and map errors; nothing else.
//!
//! Authentication: a device proves it holds its enrolled key by signing a one-time
//! challenge, and receives a short-lived bearer token (see ARCHITECTURE.md for why
//! tokens rather than signing every request). Every other route requires that token,
//! and the token is checked against the device's current state on every request, so a
//! revoked device is stopped at once.

use std::sync::{Arc, RwLock};

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde::de::DeserializeOwned;
use vigie_core::auth::{self, PublicKey};
use vigie_core::document::{countersign_message, Decision, DocumentStatus, SignedDocument};
use vigie_core::proof::hex;
use vigie_core::sync::{self, Area, AreaInfo};
use vigie_core::{CameraIndex, LatLon};

use crate::audit::Actor;
use crate::config::Config;
use crate::db::{Db, DbError, DocumentDecision, DocumentRecord, NewDocument, Received};
use crate::model::{DeviceState, Me, Principal, Role};
use crate::registry;

mod live;

/// Shared state of the server.
pub struct AppState {
    /// The database.
    pub db: Arc<Db>,
    /// The configuration.
    pub config: Config,
    /// The camera index and the registry version it was built from.
    index: RwLock<Option<(u64, Arc<CameraIndex>)>>,
    /// The offline basemap areas, from `config.basemap_dir()`.
    pub areas: crate::areas::Areas,
    /// The live relay: streams, viewers, viewing tokens.
    pub live: crate::live::Live,
}

impl AppState {
    /// State over an open database.
    pub fn new(db: Arc<Db>, config: Config) -> Arc<AppState> {
        let areas = crate::areas::Areas::new(config.basemap_dir());
        Arc::new(AppState { db, config, index: RwLock::new(None), areas, live: crate::live::Live::default() })
    }

    /// The index of the current registry, rebuilt when the registry version moved.
    fn index(&self) -> Result<Arc<CameraIndex>, ApiError> {
        let version = self.db.registry_version()?;
        if let Some((v, idx)) = self.index.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
            if *v == version {
                return Ok(idx.clone());
            }
        }
        let (v, idx) = registry::load_index(&self.db)?;
        let idx = Arc::new(idx);
        *self.index.write().unwrap_or_else(|p| p.into_inner()) = Some((v, idx.clone()));
        Ok(idx)
    }
}

/// Every route, with the method and who may call it: the router, the tests that check
/// authentication on every route, and the API description all read this one table.
pub const ROUTES: &[(&str, &str, &str)] = &[
    ("POST", "/v1/enrolments", "anyone holding the key (signed request)"),
    ("POST", "/v1/auth/challenge", "an enrolled device"),
    ("POST", "/v1/auth/token", "an enrolled device (signed challenge)"),
    ("GET", "/v1/me", "any session"),
    ("GET", "/v1/registry", "any session"),
    ("GET", "/v1/cameras/near", "any session"),
    ("GET", "/v1/cameras/seeing", "any session"),
    ("GET", "/v1/devices", "admin"),
    ("POST", "/v1/devices/{id}/approve", "admin"),
    ("POST", "/v1/devices/{id}/refuse", "admin"),
    ("POST", "/v1/devices/{id}/revoke", "admin"),
    ("GET", "/v1/audit", "admin"),
    ("POST", "/v1/documents", "the author's own device"),
    ("GET", "/v1/documents", "any session (its own documents)"),
    ("GET", "/v1/review", "supervisor (documents of their unit)"),
    ("POST", "/v1/documents/{id}/countersign", "supervisor of the document's unit"),
    ("POST", "/v1/documents/{id}/return", "supervisor of the document's unit"),
    ("POST", "/v1/documents/{id}/status", "csu_operator or admin (sent to holder, acknowledged, fulfilled)"),
    ("POST", "/v1/private-cameras", "any session (a camera seen in the field)"),
    ("GET", "/v1/private-cameras", "any session (its own submissions)"),
    ("GET", "/v1/moderation", "admin"),
    ("POST", "/v1/moderation/{id}/accept", "admin"),
    ("POST", "/v1/moderation/{id}/refuse", "admin"),
    ("GET", "/v1/areas", "any session"),
    ("GET", "/v1/areas/{id}/tiles.pmtiles", "any session (audited; Range requests resume)"),
    ("GET", "/v1/openapi.json", "any session"),
    ("GET", "/v1/live", "any session (the streams it may view; all of them for csu_operator)"),
    ("POST", "/v1/live", "csu_operator (registers a body-cam's RTSP source)"),
    ("POST", "/v1/live/{id}/grants", "csu_operator (a unit may view, for a motif)"),
    ("POST", "/v1/live/{id}/revoke", "csu_operator (its viewers are closed at once)"),
    ("POST", "/v1/live/{id}/end", "csu_operator (ends the relay and every view)"),
    ("POST", "/v1/live/{id}/token", "any session that may view the stream (refusals audited)"),
    ("GET", "/v1/live/{id}/ws", "a viewing token (?token=, one use, 60 s): WebSocket, audited join and leave"),
    ("POST", "/v1/live/{id}/position", "the stream's publisher key (the body-cam's gateway)"),
    (
        "POST",
        "/v1/live/{id}/whep",
        "a viewing token (Bearer or ?token=, one use, 60 s): WHEP, SDP offer in, answer out; audited join and leave",
    ),
    (
        "DELETE",
        "/v1/live/{id}/whep/{session}",
        "the viewing token that opened the session, at its unguessable address (ends the view)",
    ),
    ("POST", "/v1/live/{id}/whip", "the stream's publisher key: WHIP, the body-cam's SDP offer in, answer out"),
    ("DELETE", "/v1/live/{id}/whip/{session}", "the stream's publisher key (ends the publication)"),
    (
        "POST",
        "/v1/verify",
        "public: a holder checks a requisition they received (audited; says nothing they do not hold)",
    ),
];

/// Both ends of a request's connection: WebRTC peers are answered on the address they
/// reached the API on.
#[derive(Debug, Clone, Copy)]
pub struct Addrs {
    /// The platform's address the peer connected to.
    pub local: std::net::SocketAddr,
    /// The peer's address.
    pub remote: std::net::SocketAddr,
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tokio::net::TcpListener>> for Addrs {
    fn connect_info(s: axum::serve::IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        let remote = *s.remote_addr();
        let local = s.io().local_addr().unwrap_or_else(|_| std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
        Addrs { local, remote }
    }
}

/// The router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/enrolments", post(enrolments_create))
        .route("/v1/auth/challenge", post(auth_challenge))
        .route("/v1/auth/token", post(auth_token))
        .route("/v1/me", get(me_show))
        .route("/v1/registry", get(registry_show))
        .route("/v1/cameras/near", get(cameras_near))
        .route("/v1/cameras/seeing", get(cameras_seeing))
        .route("/v1/devices", get(devices_index))
        .route("/v1/devices/{id}/approve", post(devices_approve))
        .route("/v1/devices/{id}/refuse", post(devices_refuse))
        .route("/v1/devices/{id}/revoke", post(devices_revoke))
        .route("/v1/audit", get(audit_index))
        .route("/v1/documents", post(documents_create).get(documents_index))
        .route("/v1/review", get(review_index))
        .route("/v1/documents/{id}/countersign", post(documents_countersign))
        .route("/v1/documents/{id}/return", post(documents_return))
        .route("/v1/documents/{id}/status", post(documents_status))
        .route("/v1/private-cameras", post(private_cameras_create).get(private_cameras_index))
        .route("/v1/moderation", get(moderation_index))
        .route("/v1/moderation/{id}/accept", post(moderation_accept))
        .route("/v1/moderation/{id}/refuse", post(moderation_refuse))
        .route("/v1/areas", get(areas_index))
        .route("/v1/areas/{id}/tiles.pmtiles", get(areas_tiles))
        .route("/v1/live", get(live::index).post(live::create))
        .route("/v1/live/{id}/grants", post(live::grant))
        .route("/v1/live/{id}/revoke", post(live::revoke))
        .route("/v1/live/{id}/end", post(live::end))
        .route("/v1/live/{id}/token", post(live::token))
        .route("/v1/live/{id}/ws", get(live::ws))
        .route("/v1/live/{id}/position", post(live::position))
        // Browsers post their WHEP offer from the app's own origin (tauri://localhost,
        // http://tauri.localhost): the answer must allow it. The credential is a token,
        // never a cookie, so any origin may ask.
        .route("/v1/live/{id}/whep", post(live::whep).layer(live::cors()))
        .route("/v1/live/{id}/whep/{session}", delete(live::whep_delete).layer(live::cors()))
        .route("/v1/live/{id}/whip", post(live::whip))
        .route("/v1/live/{id}/whip/{session}", delete(live::whip_delete))
        .route("/v1/openapi.json", get(openapi_show))
        .route("/v1/verify", post(verify_document).layer(axum::extract::DefaultBodyLimit::max(VERIFY_MAX_BYTES)))
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        // Tiles are compressed already, and a gzip-encoded whole file would have neither a
        // length nor byte offsets a resume could use (ranges are never compressed anyway).
        .layer(tower_http::compression::CompressionLayer::new().compress_when(tower_http::compression::Predicate::and(
            tower_http::compression::DefaultPredicate::new(),
            tower_http::compression::predicate::NotForContentType::const_new(crate::areas::CONTENT_TYPE),
        )))
        .with_state(state)
}

// ---- errors

/// Every error the API returns: a status and a JSON body `{code, message}`. Internal
/// details are logged, never sent.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No or bad credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated, not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// A device that may not log in (yet).
    #[error("{message}")]
    DeviceNotApproved {
        /// `device_pending`, `device_refused`, `device_revoked`.
        code: &'static str,
        /// For people.
        message: String,
    },
    /// Bad input, naming the field.
    #[error("{0}")]
    BadRequest(String),
    /// A signature that does not verify.
    #[error("{0}")]
    BadSignature(String),
    /// Not found.
    #[error("{0}")]
    NotFound(String),
    /// Already exists.
    #[error("{0}")]
    Conflict(String),
    /// Anything else: logged, answered with a generic message.
    #[error("internal error")]
    Internal(String),
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound(m) => ApiError::NotFound(format!("{m} does not exist")),
            DbError::Exists(m) => ApiError::Conflict(format!("{m} already exists")),
            DbError::Ended(m) => ApiError::Conflict(format!("{m} has ended")),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            ApiError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::DeviceNotApproved { code, .. } => (StatusCode::FORBIDDEN, *code),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::BadSignature(_) => (StatusCode::UNPROCESSABLE_ENTITY, "bad_signature"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Internal(detail) => {
                tracing::error!("internal error: {detail}");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let mut resp = (status, Json(serde_json::json!({ "code": code, "message": self.to_string() }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

/// `Json` whose rejections are [`ApiError`]s naming what is wrong.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(t)| ApiJson(t))
            .map_err(|e: JsonRejection| ApiError::BadRequest(e.body_text()))
    }
}

/// `Query` whose rejections are [`ApiError`]s naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(t)| ApiQuery(t))
            .map_err(|e: QueryRejection| ApiError::BadRequest(e.body_text()))
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::Internal(format!("blocking task: {e}")))?
}

// ---- authentication

impl FromRequestParts<Arc<AppState>> for Principal {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let header = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            ApiError::Unauthenticated("authentication required: Authorization: Bearer <token>".into())
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or_else(|| ApiError::Unauthenticated("the Authorization header is not `Bearer <token>`".into()))?;
        let hash = crate::secret_hash(token.trim());
        let db = state.db.clone();
        blocking(move || db.principal(&hash, Utc::now()).map_err(ApiError::from)).await?.ok_or_else(|| {
            ApiError::Unauthenticated("the session is unknown, expired, or its device was revoked".into())
        })
    }
}

fn require(p: &Principal, roles: &[Role]) -> Result<(), ApiError> {
    if roles.contains(&p.role) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!("role {} may not do this", p.role.as_str())))
    }
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn decode(field: &str, value: &str) -> Result<Vec<u8>, ApiError> {
    b64().decode(value).map_err(|e| ApiError::BadRequest(format!("{field}: not base64 ({e})")))
}

/// Serialises a public key as base64 (for `DeviceInfo`).
pub fn b64_key<S: serde::Serializer>(key: &PublicKey, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&b64().encode(key))
}

fn random_bytes<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
    Ok(b)
}

/// An enrolment request: the device's key, its user, and a signature over
/// [`auth::enrolment_message`].
#[derive(Debug, serde::Deserialize)]
pub struct EnrolRequest {
    /// Ed25519 public key, base64.
    pub public_key: String,
    /// The officer's RIO.
    pub rio: String,
    /// A name for the device.
    pub device_name: String,
    /// When the request was signed (within 10 minutes of the server's clock).
    pub at: DateTime<Utc>,
    /// Signature, base64.
    pub signature: String,
}

async fn enrolments_create(
    State(st): State<Arc<AppState>>,
    ApiJson(req): ApiJson<EnrolRequest>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let key: PublicKey = decode("public_key", &req.public_key)?
        .try_into()
        .map_err(|_| ApiError::BadRequest("public_key: an Ed25519 key is 32 bytes".into()))?;
    let sig = decode("signature", &req.signature)?;
    if (Utc::now() - req.at).abs() > Duration::minutes(10) {
        return Err(ApiError::BadRequest("at: more than 10 minutes from the server's clock".into()));
    }
    if req.rio.trim().is_empty() || req.device_name.trim().is_empty() {
        return Err(ApiError::BadRequest("rio and device_name must not be empty".into()));
    }
    auth::verify(&key, &auth::enrolment_message(&key, &req.rio, &req.device_name, req.at), &sig)
        .map_err(|e| ApiError::Unauthenticated(format!("signature: {e}")))?;
    let db = st.db.clone();
    let id = blocking(move || {
        let audit = Actor::device(None).entry(
            "device.enrol.request",
            serde_json::json!({ "rio": req.rio, "device_name": req.device_name, "key": auth::fingerprint(&key) }),
        );
        db.request_enrolment(&key, &req.rio, &req.device_name, req.at, audit).map_err(ApiError::from)
    })
    .await?;
    Ok((StatusCode::ACCEPTED, Json(serde_json::json!({ "device_id": id, "state": "pending" }))))
}

/// Asks for a login challenge.
#[derive(Debug, serde::Deserialize)]
pub struct ChallengeRequest {
    /// The device's id, from its enrolment.
    pub device_id: i64,
}

async fn auth_challenge(
    State(st): State<Arc<AppState>>,
    ApiJson(req): ApiJson<ChallengeRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let nonce = random_bytes::<32>()?;
    let expires = Utc::now() + Duration::seconds(st.config.challenge_ttl_secs);
    let db = st.db.clone();
    blocking(move || {
        db.device(req.device_id)?;
        db.add_challenge(req.device_id, &nonce, expires).map_err(ApiError::from)
    })
    .await?;
    Ok(Json(serde_json::json!({ "nonce": b64().encode(nonce), "expires_at": expires })))
}

/// A signed challenge.
#[derive(Debug, serde::Deserialize)]
pub struct TokenRequest {
    /// The device's id.
    pub device_id: i64,
    /// The challenge's nonce, base64.
    pub nonce: String,
    /// Signature over [`auth::challenge_message`], base64.
    pub signature: String,
}

async fn auth_token(
    State(st): State<Arc<AppState>>,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let nonce = decode("nonce", &req.nonce)?;
    let sig = decode("signature", &req.signature)?;
    let ttl = st.config.token_ttl_secs;
    let db = st.db.clone();
    blocking(move || {
        let device = db.device(req.device_id)?;
        if !db.take_challenge(req.device_id, &nonce, Utc::now())? {
            return Err(ApiError::Unauthenticated(
                "the challenge is unknown, used or expired: ask for a new one".into(),
            ));
        }
        auth::verify(&device.public_key, &auth::challenge_message(req.device_id as u64, &nonce), &sig)
            .map_err(|e| ApiError::Unauthenticated(format!("signature: {e}")))?;
        match device.state {
            DeviceState::Approved => {}
            DeviceState::Pending => {
                return Err(ApiError::DeviceNotApproved {
                    code: "device_pending",
                    message: "this device waits for an administrator's approval".into(),
                })
            }
            DeviceState::Refused => {
                return Err(ApiError::DeviceNotApproved {
                    code: "device_refused",
                    message: "this device's enrolment was refused".into(),
                })
            }
            DeviceState::Revoked => {
                return Err(ApiError::DeviceNotApproved {
                    code: "device_revoked",
                    message: "this device was revoked".into(),
                })
            }
        }
        let token = b64().encode(random_bytes::<32>()?);
        let hash = crate::secret_hash(&token);
        let expires = Utc::now() + Duration::seconds(ttl);
        let actor = Actor {
            name: device.rio.clone(),
            role: Some(device.role.as_str().into()),
            unit: Some(device.unit.clone()),
        };
        db.add_token(&hash, device.id, expires, actor.entry("auth.login", serde_json::json!({ "device": device.id })))?;
        Ok(Json(serde_json::json!({
            "token": token, "expires_at": expires,
            "user": { "rio": device.rio, "name": device.user_name, "role": device.role, "unit": device.unit },
        })))
    })
    .await
}

async fn openapi_show(_: Principal) -> Json<serde_json::Value> {
    Json(crate::openapi::document())
}

async fn me_show(p: Principal, State(st): State<Arc<AppState>>) -> Result<Json<Me>, ApiError> {
    blocking(move || {
        let profile = st.db.profile(&p.rio)?;
        Ok(Json(Me { principal: p, profile }))
    })
    .await
}

/// The largest file `/v1/verify` reads (a printed requisition is a few dozen kB).
pub const VERIFY_MAX_BYTES: usize = 4 << 20;

/// A holder (a shop, a bank, a car park operator: not an account here) checks the
/// requisition they received: its PDF, its proof JSON or its QR code's text. The only
/// route open without a session besides enrolment and login, on purpose: it answers
/// whether what the caller already holds is authentic, and where it stands; every check
/// is audited. 200 when authentic, 422 otherwise, with the reason.
async fn verify_document(
    State(st): State<Arc<AppState>>,
    headers: header::HeaderMap,
    body: bytes::Bytes,
) -> Result<(StatusCode, Json<crate::verify::Outcome>), ApiError> {
    let from = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()).unwrap_or("direct").to_string();
    blocking(move || {
        let outcome = crate::verify::check_file(&st.db, &body);
        let actor = Actor { name: "public:holder".into(), role: None, unit: None };
        st.db.audit(actor.entry(
            "document.verify",
            serde_json::json!({ "valid": outcome.valid, "digest": outcome.digest, "bytes": body.len(), "from": from }),
        ))?;
        let status = if outcome.valid { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
        Ok((status, Json(outcome)))
    })
    .await
}

/// The area and version a device asks the registry for.
#[derive(Debug, serde::Deserialize)]
pub struct RegistryQuery {
    /// Southern edge.
    pub south: f64,
    /// Western edge.
    pub west: f64,
    /// Northern edge.
    pub north: f64,
    /// Eastern edge.
    pub east: f64,
    /// The version the device has; absent for a full package.
    pub since: Option<u64>,
}

async fn registry_show(
    p: Principal,
    State(st): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<RegistryQuery>,
) -> Result<Json<sync::RegistryUpdate>, ApiError> {
    let area = Area::new(q.south, q.west, q.north, q.east).map_err(ApiError::BadRequest)?;
    let db = st.db.clone();
    blocking(move || {
        let (version, rows) = db.rows_since(q.since)?;
        if q.since.is_some_and(|s| s > version) {
            return Err(ApiError::BadRequest(format!(
                "since: {} is ahead of the registry ({version})",
                q.since.unwrap_or(0)
            )));
        }
        let update = sync::build_update(rows, q.since, version, area);
        let count = match &update {
            sync::RegistryUpdate::Full { cameras, .. } => cameras.len(),
            sync::RegistryUpdate::Delta { upserts, deletions, .. } => upserts.len() + deletions.len(),
        };
        db.audit(Actor::from(&p).entry(
            "registry.read",
            serde_json::json!({ "area": area, "since": q.since, "version": version, "cameras": count }),
        ))?;
        Ok(Json(update))
    })
    .await
}

/// A point, a moment and a radius.
#[derive(Debug, serde::Deserialize)]
pub struct PointQuery {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Radius, metres (near only; default 300).
    pub radius_m: Option<f64>,
    /// At most this many (near only; default 50).
    pub limit: Option<usize>,
    /// The moment asked about (default: now).
    pub at: Option<DateTime<Utc>>,
    /// Why (audited).
    pub motif: Option<String>,
}

async fn cameras_query(
    p: Principal,
    st: Arc<AppState>,
    q: PointQuery,
    seeing: bool,
) -> Result<Json<Vec<registry::CameraHit>>, ApiError> {
    let point = LatLon::new(q.lat, q.lon).map_err(|e| ApiError::BadRequest(format!("lat/lon: {e}")))?;
    let radius = q.radius_m.unwrap_or(300.0);
    if !(radius > 0.0 && radius <= 5_000.0) {
        return Err(ApiError::BadRequest("radius_m: must be in (0, 5000]".into()));
    }
    blocking(move || {
        let index = st.index()?;
        let now = Utc::now();
        let at = q.at.unwrap_or(now);
        let hits = if seeing {
            registry::seeing(&index, point, at, now)
        } else {
            registry::near(&index, point, radius, q.limit.unwrap_or(50), at, now)
        };
        let mut entry = Actor::from(&p).entry(
            if seeing { "registry.seeing" } else { "registry.near" },
            serde_json::json!({ "lat": q.lat, "lon": q.lon, "radius_m": radius, "at": at, "cameras": hits.len() }),
        );
        entry.motif = q.motif;
        st.db.audit(entry)?;
        Ok(Json(hits))
    })
    .await
}

async fn cameras_near(
    p: Principal,
    State(st): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<PointQuery>,
) -> Result<Json<Vec<registry::CameraHit>>, ApiError> {
    cameras_query(p, st, q, false).await
}

async fn cameras_seeing(
    p: Principal,
    State(st): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<PointQuery>,
) -> Result<Json<Vec<registry::CameraHit>>, ApiError> {
    cameras_query(p, st, q, true).await
}

async fn devices_index(
    p: Principal,
    State(st): State<Arc<AppState>>,
) -> Result<Json<Vec<crate::model::DeviceInfo>>, ApiError> {
    require(&p, &[Role::Admin])?;
    blocking(move || Ok(Json(st.db.devices()?))).await
}

async fn decide(p: Principal, st: Arc<AppState>, id: i64, state: DeviceState) -> Result<StatusCode, ApiError> {
    require(&p, &[Role::Admin])?;
    blocking(move || {
        let entry = Actor::from(&p).entry(&format!("device.{}", state.as_str()), serde_json::json!({ "device": id }));
        st.db.decide_device(id, state, &p.rio, Utc::now(), entry)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

async fn devices_approve(
    p: Principal,
    State(st): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    decide(p, st, id, DeviceState::Approved).await
}

async fn devices_refuse(
    p: Principal,
    State(st): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    decide(p, st, id, DeviceState::Refused).await
}

async fn devices_revoke(
    p: Principal,
    State(st): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    decide(p, st, id, DeviceState::Revoked).await
}

/// A page of the audit log.
#[derive(Debug, serde::Deserialize)]
pub struct AuditQuery {
    /// Entries after this sequence number.
    pub after: Option<u64>,
    /// At most this many (default 200).
    pub limit: Option<usize>,
}

async fn audit_index(
    p: Principal,
    State(st): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    require(&p, &[Role::Admin])?;
    blocking(move || {
        let (entries, _) = st.db.audit_log()?;
        let page: Vec<serde_json::Value> = entries
            .iter()
            .filter(|e| e.seq > q.after.unwrap_or(0))
            .take(q.limit.unwrap_or(200).min(1000))
            .map(|e| {
                let ev = &e.event;
                serde_json::json!({
                    "seq": e.seq, "at": ev.at, "actor": ev.actor, "role": ev.role, "unit": ev.unit, "action": ev.action,
                    "detail": serde_json::from_str::<serde_json::Value>(&ev.detail).unwrap_or(serde_json::Value::String(ev.detail.clone())),
                    "motif": ev.motif, "procedure": ev.procedure, "hash": hex(&e.hash),
                })
            })
            .collect();
        st.db.audit(Actor::from(&p).entry("audit.read", serde_json::json!({ "after": q.after, "entries": page.len() })))?;
        Ok(Json(serde_json::json!({ "entries": page })))
    })
    .await
}

// ---- documents

async fn documents_create(
    p: Principal,
    State(st): State<Arc<AppState>>,
    ApiJson(signed): ApiJson<SignedDocument>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let d = &signed.document;
    if d.author != p.rio || d.device != p.device as u64 {
        return Err(ApiError::Forbidden("a document is pushed by its author's own device".into()));
    }
    if d.unit != p.unit {
        return Err(ApiError::Forbidden(format!("document unit {} is not the author's unit {}", d.unit, p.unit)));
    }
    if d.id.len() < 16 || d.id.len() > 64 || !d.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(ApiError::BadRequest("document.id: 16 to 64 letters, digits or dashes".into()));
    }
    blocking(move || {
        let d = &signed.document;
        let device = st.db.device(p.device)?;
        let message = d.signing_message().map_err(|e| ApiError::BadRequest(e.to_string()))?;
        auth::verify(&device.public_key, &message, &signed.signature)
            .map_err(|e| ApiError::BadSignature(format!("document {}: {e}", d.id)))?;
        let canonical = d.canonical_bytes().map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let digest = d.digest().map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let kind = serde_json::to_value(d.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let new = NewDocument {
            id: &d.id,
            kind: &kind,
            author: &d.author,
            device: p.device,
            unit: &d.unit,
            created_at: d.created_at,
            replaces: d.replaces.as_deref(),
            canonical: &canonical,
            signature: &signed.signature,
            digest,
            received_at: Utc::now(),
        };
        let entry = Actor::from(&p).entry(
            &format!("{kind}.receive"),
            serde_json::json!({ "document": d.id, "digest": hex(&digest), "replaces": d.replaces }),
        );
        match st.db.receive_document(&new, entry)? {
            Received::New => Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": d.id, "status": "received" })))),
            Received::Already(status) => {
                Ok((StatusCode::OK, Json(serde_json::json!({ "id": d.id, "status": status }))))
            }
        }
    })
    .await
}

async fn documents_index(p: Principal, State(st): State<Arc<AppState>>) -> Result<Json<Vec<DocumentRecord>>, ApiError> {
    blocking(move || Ok(Json(st.db.documents_of(&p.rio)?))).await
}

async fn review_index(p: Principal, State(st): State<Arc<AppState>>) -> Result<Json<Vec<DocumentRecord>>, ApiError> {
    require(&p, &[Role::Supervisor])?;
    blocking(move || {
        let pending = st.db.pending_for_unit(&p.unit)?;
        st.db.audit(Actor::from(&p).entry("review.read", serde_json::json!({ "documents": pending.len() })))?;
        Ok(Json(pending))
    })
    .await
}

/// A supervisor's decision: a countersignature, or a comment when returning.
#[derive(Debug, serde::Deserialize)]
pub struct DecisionRequest {
    /// Countersignature over `countersign_message`, base64 (countersign).
    pub signature: Option<String>,
    /// Why it is returned (return).
    pub comment: Option<String>,
}

/// A comment that says something, for decisions that must be explained.
fn required_comment(comment: Option<String>, what: &str) -> Result<String, ApiError> {
    comment
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| ApiError::BadRequest(format!("comment: say why it is {what}")))
}

/// The document, if the supervisor may decide on it: same unit, still awaiting review.
/// A document of another unit is reported as not found, so its existence does not leak.
fn reviewable(st: &AppState, p: &Principal, id: &str) -> Result<DocumentRecord, ApiError> {
    require(p, &[Role::Supervisor])?;
    let doc = st.db.document(id)?;
    if doc.unit != p.unit {
        return Err(ApiError::NotFound(format!("document {id} does not exist")));
    }
    if doc.status != DocumentStatus::Received {
        return Err(ApiError::Conflict(format!("document {id} is {}, not awaiting review", doc.status.as_str())));
    }
    Ok(doc)
}

async fn documents_countersign(
    p: Principal,
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> Result<StatusCode, ApiError> {
    require(&p, &[Role::Supervisor])?;
    let sig = decode("signature", req.signature.as_deref().unwrap_or(""))?;
    blocking(move || {
        let doc = reviewable(&st, &p, &id)?;
        let key = st.db.device(p.device)?.public_key;
        auth::verify(&key, &countersign_message(&doc.digest, Decision::Countersigned, &p.rio), &sig)
            .map_err(|e| ApiError::BadSignature(format!("countersignature: {e}")))?;
        let decision = DocumentDecision {
            from: DocumentStatus::Received,
            to: DocumentStatus::Countersigned,
            by: &p.rio,
            device: p.device,
            at: Utc::now(),
            comment: None,
            countersignature: Some(&sig),
        };
        let entry = Actor::from(&p).entry("requisition.countersign", serde_json::json!({ "document": id }));
        st.db.decide_document(&id, &decision, entry)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

async fn documents_return(
    p: Principal,
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> Result<StatusCode, ApiError> {
    require(&p, &[Role::Supervisor])?;
    let comment = required_comment(req.comment, "returned")?;
    blocking(move || {
        reviewable(&st, &p, &id)?;
        let decision = DocumentDecision {
            from: DocumentStatus::Received,
            to: DocumentStatus::Returned,
            by: &p.rio,
            device: p.device,
            at: Utc::now(),
            comment: Some(&comment),
            countersignature: None,
        };
        let entry =
            Actor::from(&p).entry("requisition.return", serde_json::json!({ "document": id, "comment": comment }));
        st.db.decide_document(&id, &decision, entry)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

/// A later step of a document's life, recorded by the CSU or an administrator.
#[derive(Debug, serde::Deserialize)]
pub struct StatusRequest {
    /// `sent_to_holder`, `acknowledged` or `fulfilled`.
    pub status: DocumentStatus,
    /// A note (how it was sent, the holder's reference…).
    pub comment: Option<String>,
}

async fn documents_status(
    p: Principal,
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<StatusRequest>,
) -> Result<StatusCode, ApiError> {
    require(&p, &[Role::CsuOperator, Role::Admin])?;
    if !matches!(req.status, DocumentStatus::SentToHolder | DocumentStatus::Acknowledged | DocumentStatus::Fulfilled) {
        return Err(ApiError::BadRequest(
            "status: sent_to_holder, acknowledged or fulfilled (review decides the others)".into(),
        ));
    }
    blocking(move || {
        let doc = st.db.document(&id)?;
        if !doc.status.can_become(req.status) {
            return Err(ApiError::Conflict(format!(
                "document {id} is {}: it cannot become {}",
                doc.status.as_str(),
                req.status.as_str()
            )));
        }
        let decision = DocumentDecision {
            from: doc.status,
            to: req.status,
            by: &p.rio,
            device: p.device,
            at: Utc::now(),
            comment: req.comment.as_deref().or(doc.comment.as_deref()),
            countersignature: None,
        };
        let entry = Actor::from(&p).entry(
            "requisition.status",
            serde_json::json!({ "document": id, "from": doc.status, "to": req.status, "comment": req.comment }),
        );
        st.db.update_document_status(&id, &decision, entry)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

// ---- private cameras and their moderation

/// The id prefix of the cameras a device submits: ids are chosen offline, so each device
/// has its own namespace and no device can overwrite another's submission.
pub fn submission_prefix(device: i64) -> String {
    format!("dev{device}:")
}

async fn private_cameras_create(
    p: Principal,
    State(st): State<Arc<AppState>>,
    ApiJson(camera): ApiJson<vigie_core::Camera>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    if !camera.id.0.starts_with(&submission_prefix(p.device)) {
        return Err(ApiError::BadRequest(format!(
            "id: a camera from this device has an id starting with {}",
            submission_prefix(p.device)
        )));
    }
    if camera.kind != vigie_core::CameraKind::Private {
        return Err(ApiError::BadRequest("kind: cameras added in the field are private".into()));
    }
    camera.validate().map_err(|e| ApiError::BadRequest(format!("camera {}: {e}", camera.id)))?;
    blocking(move || {
        let index = st.index()?;
        let duplicate = vigie_core::moderation::find_duplicate(&index, &camera, Utc::now()).map(|c| c.id.0.clone());
        let body = serde_json::to_string(&camera).map_err(|e| ApiError::Internal(e.to_string()))?;
        let sub = crate::db::NewSubmission {
            id: &camera.id.0,
            author: &p.rio,
            device: p.device,
            unit: &p.unit,
            body: &body,
            duplicate_of: duplicate.as_deref(),
            at: Utc::now(),
        };
        let entry = Actor::from(&p)
            .entry("private_camera.submit", serde_json::json!({ "camera": camera.id.0, "duplicate_of": duplicate }));
        let status = match st.db.submit_camera(&sub, entry)? {
            crate::db::Submitted::New => StatusCode::CREATED,
            crate::db::Submitted::Already => StatusCode::OK,
        };
        Ok((status, Json(serde_json::json!({ "id": camera.id.0, "state": "pending", "duplicate_of": duplicate }))))
    })
    .await
}

async fn private_cameras_index(
    p: Principal,
    State(st): State<Arc<AppState>>,
) -> Result<Json<Vec<crate::db::Submission>>, ApiError> {
    blocking(move || Ok(Json(st.db.submissions_of(&p.rio)?))).await
}

async fn moderation_index(
    p: Principal,
    State(st): State<Arc<AppState>>,
) -> Result<Json<Vec<crate::db::Submission>>, ApiError> {
    require(&p, &[Role::Admin])?;
    blocking(move || Ok(Json(st.db.pending_submissions()?))).await
}

async fn moderation_accept(
    p: Principal,
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    require(&p, &[Role::Admin])?;
    blocking(move || {
        let sub = st.db.submission(&id)?;
        if sub.state != "pending" {
            return Err(ApiError::Conflict(format!("submission {id} is {} already", sub.state)));
        }
        let index = st.index()?;
        // The registry may have changed since the submission: look again.
        let (state, camera, note) = match vigie_core::moderation::find_duplicate(&index, &sub.camera, Utc::now()) {
            Some(existing) => {
                let merged = vigie_core::moderation::merge(existing, &sub.camera);
                ("merged", merged, Some(existing.id.0.clone()))
            }
            None => ("accepted", sub.camera.clone(), None),
        };
        let entry = Actor::from(&p)
            .entry(&format!("private_camera.{state}"), serde_json::json!({ "submission": id, "camera": camera.id.0 }));
        st.db.decide_submission(&id, state, Some(&camera), &p.rio, note.as_deref(), entry)?;
        Ok(Json(serde_json::json!({ "id": id, "state": state, "camera": camera.id.0 })))
    })
    .await
}

async fn moderation_refuse(
    p: Principal,
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> Result<StatusCode, ApiError> {
    require(&p, &[Role::Admin])?;
    let note = required_comment(req.comment, "refused")?;
    blocking(move || {
        let entry =
            Actor::from(&p).entry("private_camera.refuse", serde_json::json!({ "submission": id, "comment": note }));
        st.db.decide_submission(&id, "refused", None, &p.rio, Some(&note), entry)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

// ---- offline basemap areas

impl From<crate::areas::AreaError> for ApiError {
    fn from(e: crate::areas::AreaError) -> Self {
        match e {
            crate::areas::AreaError::NotFound(id) => ApiError::NotFound(format!("area {id} does not exist")),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

async fn areas_index(_: Principal, State(st): State<Arc<AppState>>) -> Result<Json<Vec<AreaInfo>>, ApiError> {
    Ok(Json(st.areas.list().await?))
}

/// The area's PMTiles file, whole or from a byte offset: `Range: bytes=N-` (or `N-M`,
/// `-K`) answers 206 with `Content-Range`; with `If-Range: "<sha256>"` the range is
/// honoured only if the file is still that one, else the whole new file comes with 200,
/// so a resumed download never splices two versions. Every transfer is audited.
async fn areas_tiles(
    p: Principal,
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    method: axum::http::Method,
    headers: header::HeaderMap,
) -> Result<Response, ApiError> {
    use crate::areas::RangeRequest;
    if !AreaInfo::valid_id(&id) {
        return Err(ApiError::BadRequest(format!("id: {id:?} is not an area id ([a-z0-9-]+)")));
    }
    let area = st.areas.open(&id).await?;
    let info = area.info;
    let len = info.bytes;
    let etag = format!("\"{}\"", info.sha256);
    let range_header = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    // If-Range: a strong comparison with the current ETag; a date (we send no
    // Last-Modified) or another tag means "the file changed": send it whole.
    let still_same = headers.get(header::IF_RANGE).is_none_or(|v| v.to_str().is_ok_and(|t| t.trim() == etag));
    let range = if still_same { RangeRequest::parse(range_header, len) } else { RangeRequest::Whole };
    let (start, end) = match range {
        RangeRequest::Whole => (0, len.saturating_sub(1)),
        RangeRequest::Part { start, end } => (start, end),
        RangeRequest::Unsatisfiable => {
            let mut resp = (
                StatusCode::RANGE_NOT_SATISFIABLE,
                Json(serde_json::json!({
                    "code": "range_not_satisfiable",
                    "message": format!("area {id} has {len} bytes: {} starts past its end", range_header.unwrap_or("")),
                })),
            )
                .into_response();
            let h = resp.headers_mut();
            h.insert(header::CONTENT_RANGE, header_value(&format!("bytes */{len}"))?);
            h.insert(header::ETAG, header_value(&etag)?);
            h.insert(header::ACCEPT_RANGES, header::HeaderValue::from_static("bytes"));
            return Ok(resp);
        }
    };
    let partial = matches!(range, RangeRequest::Part { .. });
    let count = if len == 0 { 0 } else { end - start + 1 };
    let db = st.db.clone();
    let entry = Actor::from(&p).entry(
        "area.download",
        serde_json::json!({
            "area": id, "sha256": info.sha256, "bytes": len,
            "range": if partial { serde_json::json!([start, end]) } else { serde_json::Value::Null },
            "resumed": partial && start > 0,
        }),
    );
    // A HEAD (the same answer without the bytes) transfers nothing.
    if method != axum::http::Method::HEAD {
        blocking(move || db.audit(entry).map_err(ApiError::from)).await?;
    }

    let mut file = tokio::fs::File::from_std(area.file);
    tokio::io::AsyncSeekExt::seek(&mut file, std::io::SeekFrom::Start(start))
        .await
        .map_err(|e| ApiError::Internal(format!("{}: {e}", area.path.display())))?;
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
        tokio::io::AsyncReadExt::take(file, count),
        64 * 1024,
    ));
    let mut resp = Response::new(body);
    *resp.status_mut() = if partial { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK };
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, header::HeaderValue::from_static(crate::areas::CONTENT_TYPE));
    h.insert(header::CONTENT_LENGTH, header::HeaderValue::from(count));
    h.insert(header::ACCEPT_RANGES, header::HeaderValue::from_static("bytes"));
    h.insert(header::ETAG, header_value(&etag)?);
    h.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, no-transform"));
    if partial {
        h.insert(header::CONTENT_RANGE, header_value(&format!("bytes {start}-{end}/{len}"))?);
    }
    Ok(resp)
}

fn header_value(v: &str) -> Result<header::HeaderValue, ApiError> {
    header::HeaderValue::from_str(v).map_err(|e| ApiError::Internal(format!("header {v:?}: {e}")))
}
