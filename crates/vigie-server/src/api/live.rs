//! Live body-cam streams over HTTP: the operator's control (register a source, grant or
//! withdraw a unit with a motif, end the relay), viewing tokens, the viewers' WebSocket
//! (fragmented MP4, one binary message per fragment, the init segment first) and WHEP
//! (WebRTC), the body-cam's WHIP publication and its gateway's position reports. Every
//! view is audited when it starts and when it ends.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use vigie_core::live::{self, Grant, ViewingToken};
use vigie_core::proof::hex;
use vigie_core::LatLon;

use super::{blocking, random_bytes, require, ApiError, ApiJson, ApiQuery, AppState};
use crate::audit::Actor;
use crate::db::LiveStreamRecord;
use crate::live::{RelayStatus, RtcSession, SourceState, TokenHolder};
use crate::model::{Principal, Role};
use crate::rtc::{self, Side};
use tokio_util::sync::CancellationToken;

/// WebSocket close codes the player tells apart (4000–4999 are the application's).
pub mod close {
    /// The relay ended, or the viewer's unit lost its grant: do not reconnect.
    pub const FORBIDDEN: u16 = 4403;
    /// The server is stopping (WebSocket's "going away"): come back.
    pub const GOING_AWAY: u16 = 1001;
}

/// A stream as listed: the record, where its source stands, and the motif under which
/// the caller may view it.
#[derive(serde::Serialize)]
pub struct ListedStream {
    #[serde(flatten)]
    stream: LiveStreamRecord,
    relay: Option<RelayStatus>,
    motif: String,
}

fn command_post(p: &Principal) -> bool {
    p.role == Role::CsuOperator
}

fn viewer(p: &Principal) -> live::Viewer<'_> {
    live::Viewer { unit: &p.unit, command_post: command_post(p) }
}

/// `GET /v1/live`: the streams the caller may view (all of them for the operator, with
/// their grants; a unit's only those granted to it).
pub async fn index(p: Principal, State(st): State<Arc<AppState>>) -> Result<Json<Vec<ListedStream>>, ApiError> {
    let streams = blocking({
        let st = st.clone();
        move || Ok(st.db.live_streams(false)?)
    })
    .await?;
    let listed = streams
        .into_iter()
        .filter_map(|mut s| {
            let motif = live::may_view(viewer(&p), s.ended_at.is_some(), &s.grants).ok()?.to_string();
            if !command_post(&p) {
                // A unit sees its own grant, not who else watches.
                s.grants.retain(|g| g.unit == p.unit);
            }
            let relay = st.live.relay(&s.id).map(|r| r.status());
            Some(ListedStream { stream: s, relay, motif })
        })
        .collect();
    Ok(Json(listed))
}

#[derive(serde::Deserialize)]
pub struct NewStream {
    label: String,
    source: String,
}

/// `POST /v1/live`: the operator registers a body-cam's stream; the relay pulls it at
/// once. The answer carries the key its gateway reports positions with (shown once).
pub async fn create(
    p: Principal,
    State(st): State<Arc<AppState>>,
    ApiJson(req): ApiJson<NewStream>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    require(&p, &[Role::CsuOperator])?;
    let new = crate::live::new_source(&req.label, &req.source, &p.rio, Utc::now()).map_err(ApiError::BadRequest)?;
    let record = new.record.clone();
    let id = record.id.clone();
    let key = new.publisher_key.clone();
    let entry = Actor::from(&p)
        .entry("live.source", serde_json::json!({ "stream": id, "label": record.label, "source": record.source }));
    blocking({
        let st = st.clone();
        move || Ok(st.db.add_live_stream(&new.record, &new.key_hash, entry)?)
    })
    .await?;
    st.live.start(&record.id, &record.source);
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id, "publisher_key": key, "stream": record }))))
}

#[derive(serde::Deserialize)]
pub struct GrantRequest {
    unit: String,
    #[serde(default)]
    motif: String,
}

/// `POST /v1/live/{id}/grants`: the operator lets a unit view the stream, for a motif.
pub async fn grant(
    p: Principal,
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<GrantRequest>,
) -> Result<StatusCode, ApiError> {
    require(&p, &[Role::CsuOperator])?;
    let (unit, motif) = live::check_grant(&req.unit, &req.motif).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let grant = Grant { unit: unit.into(), motif: motif.into(), by: p.rio.clone(), at: Utc::now() };
    let entry = Actor::from(&p).entry("live.grant", serde_json::json!({ "stream": id, "unit": grant.unit }));
    let entry = vigie_core::audit::NewAuditEntry { motif: Some(grant.motif.clone()), ..entry };
    blocking({
        let (st, id) = (st.clone(), id.clone());
        move || {
            st.db.unit_exists(&grant.unit)?;
            Ok(st.db.grant_live(&id, &grant, entry)?)
        }
    })
    .await?;
    st.live.policy_changed(&id);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Deserialize)]
pub struct RevokeRequest {
    unit: String,
}

/// `POST /v1/live/{id}/revoke`: the operator withdraws a unit's permission; its viewers
/// are closed at once.
pub async fn revoke(
    p: Principal,
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RevokeRequest>,
) -> Result<StatusCode, ApiError> {
    require(&p, &[Role::CsuOperator])?;
    let entry = Actor::from(&p).entry("live.revoke", serde_json::json!({ "stream": id, "unit": req.unit }));
    blocking({
        let (st, id) = (st.clone(), id.clone());
        move || Ok(st.db.revoke_live(&id, req.unit.trim(), entry)?)
    })
    .await?;
    st.live.policy_changed(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/live/{id}/end`: the operator ends the relay; every viewer is closed.
pub async fn end(
    p: Principal,
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    require(&p, &[Role::CsuOperator])?;
    let entry = Actor::from(&p).entry("live.end", serde_json::json!({ "stream": id }));
    blocking({
        let (st, id, rio) = (st.clone(), id.clone(), p.rio.clone());
        move || Ok(st.db.end_live(&id, &rio, Utc::now(), entry)?)
    })
    .await?;
    st.live.end(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/live/{id}/token`: a short-lived token that opens this stream's WebSocket or
/// WHEP session once, for a caller who may view it. A refusal is audited.
pub async fn token(
    p: Principal,
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let stream = blocking({
        let (st, id) = (st.clone(), id.clone());
        move || Ok(st.db.live_stream(&id)?)
    })
    .await?;
    let motif = match live::may_view(viewer(&p), stream.ended_at.is_some(), &stream.grants) {
        Ok(m) => m.to_string(),
        Err(refusal) => {
            let entry = Actor::from(&p)
                .entry("live.refused", serde_json::json!({ "stream": id, "reason": refusal.to_string() }));
            let db = st.db.clone();
            blocking(move || Ok(db.audit(entry)?)).await?;
            return Err(ApiError::Forbidden(refusal.to_string()));
        }
    };
    let now = Utc::now();
    let token = ViewingToken::new(&id, &p.rio, &p.unit, &motif, now);
    let expires_at = token.expires_at;
    let secret = st.live.issue_token(token, p.role, now).map_err(ApiError::Internal)?;
    Ok(Json(serde_json::json!({
        "token": secret,
        "expires_at": expires_at,
        "motif": motif,
        "ws": format!("/v1/live/{id}/ws?token={secret}"),
        "whep": format!("/v1/live/{id}/whep"),
    })))
}

#[derive(serde::Deserialize)]
pub struct WsQuery {
    token: Option<String>,
}

/// `GET /v1/live/{id}/ws?token=…`: the viewer's WebSocket. Browsers cannot set headers on
/// a WebSocket, so the credential is the one-time viewing token in the query.
pub async fn ws(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<WsQuery>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let (holder, _) = take_viewing_token(&st, &id, q.token).await?;
    let upgrade = upgrade.map_err(|e| ApiError::BadRequest(format!("a WebSocket upgrade is expected: {e}")))?;
    let relay = st.live.relay(&id).ok_or_else(|| ApiError::NotFound(format!("live stream {id} is not relayed")))?;
    Ok(upgrade.on_upgrade(move |socket| watch(st, relay, holder, socket)).into_response())
}

/// Takes the one-use viewing token `secret` for stream `id`: its holder, if the token is
/// valid for this stream and its holder may still view it, and the token's hash.
async fn take_viewing_token(
    st: &AppState,
    id: &str,
    secret: Option<String>,
) -> Result<(TokenHolder, [u8; 32]), ApiError> {
    let secret = secret.ok_or_else(|| {
        ApiError::Unauthenticated(format!("a viewing token is required: ?token= from POST /v1/live/{id}/token"))
    })?;
    let hash = crate::secret_hash(&secret);
    let holder = st
        .live
        .take_token(&hash)
        .ok_or_else(|| ApiError::Unauthenticated("unknown or already used viewing token".into()))?;
    holder.token.check(id, Utc::now()).map_err(|e| ApiError::Unauthenticated(e.to_string()))?;
    // The grant may have been withdrawn since the token was issued.
    still_allowed(st, id, &holder).await.map_err(ApiError::Forbidden)?;
    Ok((holder, hash))
}

/// How long a send may wait for a viewer's socket before the viewer is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// One WebSocket viewer: the init segment, fragments as they come, audited.
async fn watch(st: Arc<AppState>, relay: Arc<crate::live::Relay>, holder: TokenHolder, mut socket: WebSocket) {
    let socket = &mut socket;
    audited_view(&st, &relay, &holder, "websocket", |viewer| serve_viewer(&st, &relay, &holder, viewer, socket)).await;
}

/// A view, audited when it starts and when it ends (who, stream, from–to, motif, frames
/// sent and dropped, why it ended); `run` serves viewer id it is given until it ends.
async fn audited_view<F: std::future::Future<Output = (u64, String)>>(
    st: &AppState,
    relay: &crate::live::Relay,
    holder: &TokenHolder,
    via: &str,
    run: impl FnOnce(vigie_relay::ViewerId) -> F,
) {
    let t = &holder.token;
    let actor = Actor { name: t.rio.clone(), role: Some(holder.role.as_str().into()), unit: Some(t.unit.clone()) };
    let from = Utc::now();
    let audit = |action: &str, detail: serde_json::Value| {
        audit_now(st, vigie_core::audit::NewAuditEntry { motif: Some(t.motif.clone()), ..actor.entry(action, detail) })
    };
    audit("live.join", serde_json::json!({ "stream": relay.id, "from": from, "via": via })).await;
    let viewer = st.live.next_viewer();
    let (sent, why) = run(viewer).await;
    let dropped = relay.leave(viewer);
    let to = Utc::now();
    let detail = serde_json::json!({
        "stream": relay.id, "from": from, "to": to, "via": via, "frames": sent, "dropped": dropped, "why": why,
    });
    audit("live.leave", detail).await;
}

/// Writes an entry of the live relay's own doing (a view, a publication); a failure is
/// logged, and what was being done goes on.
async fn audit_now(st: &AppState, entry: vigie_core::audit::NewAuditEntry) {
    let db = st.db.clone();
    if let Err(e) = blocking(move || Ok(db.audit(entry)?)).await {
        tracing::error!("live audit: {e}");
    }
}

/// Sends until the viewer leaves, loses its right, or the relay ends: the fragments sent
/// and why it stopped.
async fn serve_viewer(
    st: &AppState,
    relay: &crate::live::Relay,
    holder: &TokenHolder,
    viewer: vigie_relay::ViewerId,
    socket: &mut WebSocket,
) -> (u64, String) {
    let mut frames = relay.frames();
    let mut policy = relay.policy();
    let ended = relay.ended().clone();
    let stopping = relay.stopping().clone();
    let mut sent = 0u64;
    // The init segment once the stream's parameters are known.
    let init = loop {
        if let Some(init) = relay.join(viewer) {
            break init;
        }
        tokio::select! {
            r = frames.changed() => if r.is_err() { return (0, "relay stopped".into()) },
            () = ended.cancelled() => return (0, close_with(socket, close::FORBIDDEN, "relais terminé").await),
            () = stopping.cancelled() => return (0, close_with(socket, close::GOING_AWAY, "relais redémarré").await),
            m = socket.recv() => if !matches!(m, Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Text(_) | Message::Binary(_)))) {
                return (0, "viewer left".into());
            },
        }
    };
    if !send(socket, bytes::Bytes::from_owner(init)).await {
        return (0, "viewer unreachable".into());
    }
    loop {
        while let Some(frame) = relay.poll(viewer) {
            if !send(socket, bytes::Bytes::from_owner(frame.data)).await {
                return (sent, "viewer unreachable".into());
            }
            sent += 1;
        }
        tokio::select! {
            r = frames.changed() => if r.is_err() { return (sent, "relay stopped".into()) },
            () = ended.cancelled() => return (sent, close_with(socket, close::FORBIDDEN, "relais terminé").await),
            () = stopping.cancelled() => return (sent, close_with(socket, close::GOING_AWAY, "relais redémarré").await),
            _ = policy.changed() => {
                if let Err(refusal) = still_allowed(st, &relay.id, holder).await {
                    return (sent, close_with(socket, close::FORBIDDEN, &refusal).await);
                }
            }
            m = socket.recv() => if !matches!(m, Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Text(_) | Message::Binary(_)))) {
                return (sent, "viewer left".into());
            },
        }
    }
}

async fn close_with(socket: &mut WebSocket, code: u16, reason: &str) -> String {
    let frame = CloseFrame { code, reason: reason.to_string().into() };
    let _ = socket.send(Message::Close(Some(frame))).await;
    reason.to_string()
}

/// Whether the token's holder may still view (the operator may have withdrawn the grant).
async fn still_allowed(st: &AppState, id: &str, holder: &TokenHolder) -> Result<(), String> {
    let db = st.db.clone();
    let id = id.to_string();
    let stream = blocking(move || Ok(db.live_stream(&id)?)).await.map_err(|e| e.to_string())?;
    let v = live::Viewer { unit: &holder.token.unit, command_post: holder.role == Role::CsuOperator };
    live::may_view(v, stream.ended_at.is_some(), &stream.grants).map(|_| ()).map_err(|e| e.to_string())
}

#[derive(serde::Deserialize)]
pub struct PositionReport {
    lat: f64,
    lon: f64,
    /// When the body-cam was there (now if absent).
    at: Option<DateTime<Utc>>,
}

/// `POST /v1/live/{id}/position`: the gateway reports where the body-cam is, with the
/// stream's publisher key.
pub async fn position(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<PositionReport>,
) -> Result<StatusCode, ApiError> {
    let hash = publisher_key(&headers)?;
    let p = LatLon::new(req.lat, req.lon).map_err(|e| ApiError::BadRequest(format!("lat/lon: {e}")))?;
    let now = Utc::now();
    let at = req.at.unwrap_or(now);
    if at > now + chrono::Duration::seconds(30) {
        return Err(ApiError::BadRequest("at: in the future".into()));
    }
    blocking(move || {
        check_publisher(&st, &id, &hash)?;
        Ok(st.db.live_position(&id, p, at)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The hash of the publisher key in `Authorization: Bearer`.
fn publisher_key(headers: &HeaderMap) -> Result<[u8; 32], ApiError> {
    let key = bearer(headers).ok_or_else(|| {
        ApiError::Unauthenticated("the stream's publisher key is required: Authorization: Bearer <key>".into())
    })?;
    Ok(crate::secret_hash(key.trim()))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|h| h.to_str().ok()).and_then(|h| h.strip_prefix("Bearer "))
}

/// Whether the key with this hash publishes stream `id` (blocking: the database).
fn check_publisher(st: &AppState, id: &str, hash: &[u8; 32]) -> Result<(), ApiError> {
    match st.db.live_stream_of_publisher(hash)? {
        Some(owner) if owner == id => Ok(()),
        Some(_) => Err(ApiError::Forbidden("this publisher key is for another stream".into())),
        None => Err(ApiError::Unauthenticated("unknown publisher key".into())),
    }
}

/// CORS for the WHEP routes: any origin may post an offer and read the answer's
/// `Location` (the credential is the viewing token, not a cookie).
pub fn cors() -> tower_http::cors::CorsLayer {
    use axum::http::Method;
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([Method::POST, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::LOCATION])
}

/// The SDP offer of a WHIP or WHEP request, or why it is not one.
fn sdp_offer(headers: &HeaderMap, body: &str) -> Result<(), ApiError> {
    let ty = headers.get(header::CONTENT_TYPE).and_then(|h| h.to_str().ok()).unwrap_or("");
    if !ty.trim().starts_with("application/sdp") {
        return Err(ApiError::BadRequest(format!("Content-Type: application/sdp is expected, not {ty:?}")));
    }
    if body.trim().is_empty() {
        return Err(ApiError::BadRequest("the body must be an SDP offer".into()));
    }
    Ok(())
}

/// 201 with the session's address and the SDP answer.
fn created(location: String, answer: String) -> Response {
    (StatusCode::CREATED, [(header::LOCATION, location), (header::CONTENT_TYPE, "application/sdp".into())], answer)
        .into_response()
}

/// `POST /v1/live/{id}/whep`: a WHEP viewer (where the webview has `RTCPeerConnection`):
/// its SDP offer in, the answer out, 201 with the session's address to `DELETE`. The
/// credential is a one-use viewing token, as for the WebSocket (`Authorization: Bearer`
/// or `?token=`). Audited like every view; closed when the grant is withdrawn or the
/// relay ends.
pub async fn whep(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    ConnectInfo(addrs): ConnectInfo<super::Addrs>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<WsQuery>,
    body: String,
) -> Result<Response, ApiError> {
    let secret = bearer(&headers).map(str::to_string).or(q.token);
    let (holder, credential) = take_viewing_token(&st, &id, secret).await?;
    sdp_offer(&headers, &body)?;
    let relay = st.live.relay(&id).ok_or_else(|| ApiError::NotFound(format!("live stream {id} is not relayed")))?;
    let (answer, peer) = rtc::answer(&body, addrs.local.ip(), Side::Viewer).await.map_err(ApiError::BadRequest)?;
    let session = hex(&random_bytes::<16>()?);
    let stop = CancellationToken::new();
    st.live.add_session(&session, RtcSession { stream: id.clone(), publisher: false, credential, stop: stop.clone() });
    let location = format!("/v1/live/{id}/whep/{session}");
    tokio::spawn(async move {
        let (stc, r, h) = (&*st, &*relay, &holder);
        let run = move |viewer| guarded(stc, r, h, stop, move |stop| peer.run_viewer(r, viewer, stop));
        audited_view(stc, r, h, "whep", run).await;
        st.live.forget_session(&session);
    });
    Ok(created(location, answer))
}

/// Runs a WebRTC view until it ends by itself, its session is deleted, its holder may no
/// longer view, or the relay ends or stops: what `run` sent, and why it ended.
async fn guarded<F: std::future::Future<Output = (u64, String)>>(
    st: &AppState,
    relay: &crate::live::Relay,
    holder: &TokenHolder,
    stop: CancellationToken,
    run: impl FnOnce(CancellationToken) -> F,
) -> (u64, String) {
    let mut policy = relay.policy();
    let (ended, stopping) = (relay.ended().clone(), relay.stopping().clone());
    let guard = async {
        loop {
            tokio::select! {
                _ = policy.changed() => if let Err(refusal) = still_allowed(st, &relay.id, holder).await { return refusal },
                () = ended.cancelled() => return "relais terminé".to_string(),
                () = stopping.cancelled() => return "relais redémarré".to_string(),
            }
        }
    };
    let run = run(stop.clone());
    tokio::pin!(run);
    tokio::select! {
        out = &mut run => out,
        why = guard => {
            stop.cancel();
            (run.await.0, why)
        }
    }
}

#[derive(serde::Deserialize)]
pub struct SessionPath {
    id: String,
    session: String,
}

/// `DELETE /v1/live/{id}/whep/{session}`: the viewer leaves, with the viewing token that
/// opened the session (`Authorization: Bearer`).
pub async fn whep_delete(
    State(st): State<Arc<AppState>>,
    Path(p): Path<SessionPath>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let token = bearer(&headers).ok_or_else(|| {
        ApiError::Unauthenticated("the viewing token that opened the session is required: Authorization: Bearer".into())
    })?;
    if st.live.end_session(&p.id, &p.session, false, &crate::secret_hash(token)) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no such WHEP session opened with this token".into()))
    }
}

/// `POST /v1/live/{id}/whip`: the body-cam publishes by WHIP (a stream registered with
/// source `whip`), with its publisher key: its SDP offer in, the answer out, 201 with the
/// session's address. A new publication replaces the previous one (the body-cam came
/// back on another network). Audited when it starts and ends.
pub async fn whip(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    ConnectInfo(addrs): ConnectInfo<super::Addrs>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, ApiError> {
    let hash = publisher_key(&headers)?;
    let stream = blocking({
        let (st, id) = (st.clone(), id.clone());
        move || {
            check_publisher(&st, &id, &hash)?;
            Ok(st.db.live_stream(&id)?)
        }
    })
    .await?;
    if stream.ended_at.is_some() {
        return Err(ApiError::Conflict(format!("live stream {id} was ended by the operator")));
    }
    if stream.source != crate::live::WHIP_SOURCE {
        return Err(ApiError::Conflict(format!("live stream {id} is pulled from {}, not published", stream.source)));
    }
    sdp_offer(&headers, &body)?;
    let relay = st.live.start(&id, &stream.source);
    let (answer, peer) = rtc::answer(&body, addrs.local.ip(), Side::Publisher).await.map_err(ApiError::BadRequest)?;
    let session = hex(&random_bytes::<16>()?);
    let stop = CancellationToken::new();
    st.live.add_session(
        &session,
        RtcSession { stream: id.clone(), publisher: true, credential: hash, stop: stop.clone() },
    );
    let location = format!("/v1/live/{id}/whip/{session}");
    let actor = Actor { name: format!("publisher of {id}"), role: None, unit: None };
    let from = Utc::now();
    let detail = serde_json::json!({ "stream": id, "from": from, "peer": addrs.remote.to_string() });
    audit_now(&st, actor.entry("live.publish", detail)).await;
    // The publication also ends with the relay (the operator ends it, the server stops).
    let (ended, stopping) = (relay.ended().clone(), relay.stopping().clone());
    tokio::spawn({
        let stop = stop.clone();
        async move {
            tokio::select! {
                () = ended.cancelled() => {}
                () = stopping.cancelled() => {}
                () = stop.cancelled() => {}
            }
            stop.cancel();
        }
    });
    tokio::spawn(async move {
        relay.set_source(SourceState::Connecting);
        let (frames, why) = peer.run_publisher(&relay, stop).await;
        if relay.status().source != SourceState::Ended {
            relay.set_source(SourceState::Lost(format!("WHIP: {why}")));
        }
        st.live.forget_session(&session);
        let detail = serde_json::json!({ "stream": id, "from": from, "to": Utc::now(), "frames": frames, "why": why });
        audit_now(&st, actor.entry("live.unpublish", detail)).await;
    });
    Ok(created(location, answer))
}

/// `DELETE /v1/live/{id}/whip/{session}`: the body-cam stops publishing.
pub async fn whip_delete(
    State(st): State<Arc<AppState>>,
    Path(p): Path<SessionPath>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let hash = publisher_key(&headers)?;
    blocking({
        let (st, id) = (st.clone(), p.id.clone());
        move || check_publisher(&st, &id, &hash)
    })
    .await?;
    if st.live.end_session(&p.id, &p.session, true, &hash) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no such WHIP session opened with this key".into()))
    }
}

/// Sends one binary message; false if the viewer is gone or stuck for [`SEND_TIMEOUT`].
async fn send(socket: &mut WebSocket, bytes: bytes::Bytes) -> bool {
    matches!(tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Binary(bytes))).await, Ok(Ok(())))
}
