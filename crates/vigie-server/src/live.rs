//! The live relay's network shell, around `vigie-relay`'s sans-IO [`Stream`]: one task per
//! stream pulls the body-cam's RTSP (retina; H.264 as sent, never transcoded) and feeds
//! the stream; each viewer's WebSocket task (in `api::live`) takes fragments out at its
//! own pace. Ingest holds the stream's lock only to queue a frame, so it never waits for
//! a viewer; a viewer too slow for its budget skips to the next keyframe (the fan-out's
//! policy).
//!
//! Sources and grants are in the database; frames, viewers and viewing tokens live here,
//! in memory: after a restart the relay pulls its sources again and viewers fetch new
//! tokens.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use vigie_core::live::ViewingToken;
use vigie_core::Timestamp;
use vigie_relay::clock::{self, SenderClock};
use vigie_relay::stream::{Ingested, Stream};
use vigie_relay::{Frame, ViewerId};

use crate::model::Role;

/// How far a viewer may lag, bytes, before it skips to the next keyframe: a few seconds
/// of a body-cam's stream.
const VIEWER_BUDGET: usize = 1 << 20;
/// The first wait before pulling a lost source again; it doubles up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_millis(250);
/// The longest wait between two pulls of a lost source.
const RETRY_MAX: Duration = Duration::from_secs(4);

/// Where a stream's source stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "error")]
pub enum SourceState {
    /// Connecting to the source (or waiting to retry).
    Connecting,
    /// Frames arrive.
    Live,
    /// The last attempt failed: why.
    Lost(String),
    /// The operator ended the relay.
    Ended,
}

/// What the operator and the viewers see of a relayed stream.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RelayStatus {
    /// The source's state.
    #[serde(flatten)]
    pub source: SourceState,
    /// Frames relayed since the relay started.
    pub frames: u64,
    /// Viewers now.
    pub viewers: usize,
    /// Picture size, once known.
    pub width: Option<u32>,
    /// Picture size, once known.
    pub height: Option<u32>,
}

struct Inner {
    stream: Stream,
    source: SourceState,
    frames: u64,
    viewers: usize,
}

/// One relayed stream.
pub struct Relay {
    /// Its id.
    pub id: String,
    inner: Mutex<Inner>,
    /// Counts frames: viewers wait on it.
    frames: watch::Sender<u64>,
    /// Bumped when who may view changes: viewers check their right again.
    policy: watch::Sender<u64>,
    /// Cancelled when the operator ends the relay.
    ended: CancellationToken,
    /// Cancelled when the server stops: viewers are told to come back later.
    stopping: CancellationToken,
}

impl Relay {
    fn new(id: &str) -> Relay {
        Relay {
            id: id.into(),
            inner: Mutex::new(Inner {
                stream: Stream::new(VIEWER_BUDGET),
                source: SourceState::Connecting,
                frames: 0,
                viewers: 0,
            }),
            frames: watch::channel(0).0,
            policy: watch::channel(0).0,
            ended: CancellationToken::new(),
            stopping: CancellationToken::new(),
        }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One access unit from the source (see [`Stream::ingest`]).
    pub fn ingest(&self, unit: &[&[u8]], pts: u64, captured_unix_ms: u64) -> Ingested {
        let out = {
            let mut i = self.inner();
            let out = i.stream.ingest(unit, pts, captured_unix_ms);
            if matches!(out, Ingested::Relayed { .. }) {
                i.frames += 1;
                i.source = SourceState::Live;
            }
            out
        };
        self.frames.send_modify(|n| *n += 1);
        out
    }

    /// Sets where the source stands (a WHIP publisher's session does as it comes and goes).
    pub fn set_source(&self, s: SourceState) {
        self.inner().source = s;
    }

    /// Its status now.
    pub fn status(&self) -> RelayStatus {
        let i = self.inner();
        let info = i.stream.info();
        RelayStatus {
            source: i.source.clone(),
            frames: i.frames,
            viewers: i.viewers,
            width: info.map(|i| i.width),
            height: info.map(|i| i.height),
        }
    }

    /// Adds a viewer: the init segment to send first, or `None` until the stream's
    /// parameters are known.
    pub fn join(&self, viewer: ViewerId) -> Option<Arc<[u8]>> {
        let mut i = self.inner();
        let init = i.stream.join(viewer)?;
        i.viewers += 1;
        Some(init)
    }

    /// The next fragment for `viewer`.
    pub fn poll(&self, viewer: ViewerId) -> Option<Frame> {
        self.inner().stream.poll(viewer)
    }

    /// Removes a viewer; returns the frames it never received.
    pub fn leave(&self, viewer: ViewerId) -> u64 {
        let mut i = self.inner();
        let dropped = i.stream.stats(viewer).map_or(0, |s| s.dropped);
        if i.stream.stats(viewer).is_some() {
            i.viewers -= 1;
        }
        i.stream.leave(viewer);
        dropped
    }

    /// Wakes on every frame.
    pub fn frames(&self) -> watch::Receiver<u64> {
        self.frames.subscribe()
    }

    /// Wakes when who may view changes.
    pub fn policy(&self) -> watch::Receiver<u64> {
        self.policy.subscribe()
    }

    /// Cancelled when the operator ends the relay.
    pub fn ended(&self) -> &CancellationToken {
        &self.ended
    }

    /// Cancelled when the server stops.
    pub fn stopping(&self) -> &CancellationToken {
        &self.stopping
    }
}

/// A viewing token's holder, as the platform keeps it.
#[derive(Debug, Clone)]
pub struct TokenHolder {
    /// What the token allows.
    pub token: ViewingToken,
    /// The holder's role.
    pub role: Role,
}

/// The source of a stream its publisher pushes by WHIP (instead of an `rtsp://` URL the
/// relay pulls).
pub const WHIP_SOURCE: &str = "whip";

/// A WebRTC session (a WHEP viewer or a WHIP publisher), ended through its address.
#[derive(Clone)]
pub struct RtcSession {
    /// The stream it belongs to.
    pub stream: String,
    /// Whether it publishes (WHIP) rather than views (WHEP).
    pub publisher: bool,
    /// The SHA-256 of the bearer credential that opened it (the viewing token, the
    /// publisher key): only its holder may end it.
    pub credential: [u8; 32],
    /// Cancel to end it.
    pub stop: CancellationToken,
}

/// Every relayed stream and the viewing tokens in flight.
#[derive(Default)]
pub struct Live {
    relays: Mutex<HashMap<String, Arc<Relay>>>,
    tokens: Mutex<HashMap<[u8; 32], TokenHolder>>,
    next_viewer: AtomicU64,
    sessions: Mutex<HashMap<String, RtcSession>>,
}

impl Live {
    /// The relay of stream `id`, if it runs.
    pub fn relay(&self, id: &str) -> Option<Arc<Relay>> {
        self.relays.lock().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }

    /// Starts relaying stream `id` from `source` (an `rtsp://` URL it pulls, or
    /// [`WHIP_SOURCE`]: it waits for its publisher); already running is fine.
    pub fn start(&self, id: &str, source: &str) -> Arc<Relay> {
        let mut relays = self.relays.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = relays.get(id) {
            return r.clone();
        }
        let relay = Arc::new(Relay::new(id));
        relays.insert(id.into(), relay.clone());
        if source != WHIP_SOURCE {
            tokio::spawn(pull(relay.clone(), source.to_string()));
        }
        relay
    }

    /// Keeps a WebRTC session under its (secret, random) id. A new publisher replaces the
    /// stream's previous one (a body-cam that reconnects after a network change).
    pub fn add_session(&self, id: &str, session: RtcSession) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        if session.publisher {
            for old in sessions.values().filter(|s| s.publisher && s.stream == session.stream) {
                old.stop.cancel();
            }
        }
        sessions.retain(|_, s| !s.stop.is_cancelled());
        sessions.insert(id.into(), session);
    }

    /// Ends WebRTC session `id` of stream `stream` for the holder of `credential` (its
    /// SHA-256); false if there is no such session of theirs.
    pub fn end_session(&self, stream: &str, id: &str, publisher: bool, credential: &[u8; 32]) -> bool {
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        match sessions.get(id) {
            Some(s) if s.stream == stream && s.publisher == publisher && &s.credential == credential => {
                s.stop.cancel();
                sessions.remove(id);
                true
            }
            _ => false,
        }
    }

    /// Forgets session `id` once it ended by itself.
    pub fn forget_session(&self, id: &str) {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }

    /// A relay for stream `id` that its caller feeds with [`Relay::ingest`] (no source is
    /// pulled): for benchmarks and tests of the fan-out alone. Call before serving, so
    /// that the stored stream is not pulled as well.
    pub fn fed(&self, id: &str) -> Arc<Relay> {
        let relay = Arc::new(Relay::new(id));
        self.relays.lock().unwrap_or_else(|p| p.into_inner()).insert(id.into(), relay.clone());
        relay
    }

    /// Ends the relay of stream `id`: the source is let go, every viewer is closed.
    pub fn end(&self, id: &str) {
        if let Some(r) = self.relays.lock().unwrap_or_else(|p| p.into_inner()).remove(id) {
            r.set_source(SourceState::Ended);
            r.ended.cancel();
        }
    }

    /// Who may view stream `id` changed: its viewers check again.
    pub fn policy_changed(&self, id: &str) {
        if let Some(r) = self.relay(id) {
            r.policy.send_modify(|n| *n += 1);
        }
    }

    /// Stops every relay (the server is stopping): sources are let go, viewers are told
    /// to come back.
    pub fn stop_all(&self) {
        for (_, r) in self.relays.lock().unwrap_or_else(|p| p.into_inner()).drain() {
            r.stopping.cancel();
        }
        for (_, s) in self.sessions.lock().unwrap_or_else(|p| p.into_inner()).drain() {
            s.stop.cancel();
        }
    }

    /// A fresh viewer id.
    pub fn next_viewer(&self) -> ViewerId {
        self.next_viewer.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Keeps a viewing token under the hash of its secret, forgetting expired ones.
    fn keep_token(&self, hash: [u8; 32], holder: TokenHolder, now: Timestamp) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens.retain(|_, t| t.token.expires_at > now);
        tokens.insert(hash, holder);
    }

    /// Issues a one-use viewing token: its secret (only its hash is kept).
    pub fn issue_token(&self, token: ViewingToken, role: Role, now: Timestamp) -> Result<String, String> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| format!("no randomness: {e}"))?;
        let secret = vigie_core::proof::hex(&secret);
        self.keep_token(crate::secret_hash(&secret), TokenHolder { token, role }, now);
        Ok(secret)
    }

    /// Takes the token with this hash: a token opens one socket, once.
    pub fn take_token(&self, hash: &[u8; 32]) -> Option<TokenHolder> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner()).remove(hash)
    }
}

/// A body-cam's stream as the operator registers it (API or console): its record, and the
/// key its gateway reports positions with (shown once; only its hash is kept).
pub struct NewSource {
    /// What is stored.
    pub record: crate::db::LiveStreamRecord,
    /// The publisher's key, for its gateway.
    pub publisher_key: String,
    /// Its SHA-256, stored.
    pub key_hash: [u8; 32],
}

/// Checks `label` and `source` (an `rtsp://` URL the relay pulls, or `whip`: the body-cam
/// pushes with the publisher key) and makes a new stream's id and key; errors name the
/// field.
pub fn new_source(label: &str, source: &str, by: &str, now: Timestamp) -> Result<NewSource, String> {
    let label = label.trim();
    if label.is_empty() {
        return Err("label: which body-cam, worn by whom?".into());
    }
    let source = source.trim();
    match url::Url::parse(source) {
        _ if source == WHIP_SOURCE => {}
        Ok(u) if u.scheme() == "rtsp" && u.host().is_some() => {}
        _ => return Err(format!("source: an rtsp:// URL or `{WHIP_SOURCE}` is expected, not {source:?}")),
    }
    let mut id = [0u8; 6];
    let mut key = [0u8; 32];
    getrandom::fill(&mut id).and_then(|()| getrandom::fill(&mut key)).map_err(|e| format!("no randomness: {e}"))?;
    let publisher_key = vigie_core::proof::hex(&key);
    Ok(NewSource {
        record: crate::db::LiveStreamRecord {
            id: format!("bc-{}", vigie_core::proof::hex(&id)),
            label: label.into(),
            source: source.into(),
            created_by: by.into(),
            created_at: now,
            ended_at: None,
            position: None,
            grants: Vec::new(),
        },
        key_hash: crate::secret_hash(&publisher_key),
        publisher_key,
    })
}

/// Now, Unix milliseconds.
pub fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Pulls the source until the relay ends, again and again when it is lost.
async fn pull(relay: Arc<Relay>, source: String) {
    let mut delay = RETRY_FIRST;
    loop {
        let before = relay.status().frames;
        let outcome = tokio::select! {
            () = relay.ended.cancelled() => return,
            () = relay.stopping.cancelled() => return,
            r = pull_once(&relay, &source) => r,
        };
        let message = match outcome {
            Ok(()) => "the source closed the stream".to_string(),
            Err(e) => e,
        };
        tracing::warn!("live stream {}: {message}; pulling again in {delay:?}", relay.id);
        relay.set_source(SourceState::Lost(message));
        if relay.status().frames > before {
            delay = RETRY_FIRST;
        }
        tokio::select! {
            () = relay.ended.cancelled() => return,
            () = relay.stopping.cancelled() => return,
            () = tokio::time::sleep(delay) => {}
        }
        relay.set_source(SourceState::Connecting);
        delay = (delay * 2).min(RETRY_MAX);
    }
}

/// One RTSP session: DESCRIBE, SETUP the H.264 video over TCP, PLAY, frames until the
/// source stops.
async fn pull_once(relay: &Relay, source: &str) -> Result<(), String> {
    use retina::client::{PlayOptions, Session, SessionOptions, SetupOptions};
    use retina::codec::{CodecItem, FrameFormat};

    let url = url::Url::parse(source).map_err(|e| format!("source {source}: {e}"))?;
    let options = SessionOptions::default().user_agent("vigie-relay".into());
    let connect = async {
        let mut session = Session::describe(url, options).await.map_err(|e| e.to_string())?;
        let video = session
            .streams()
            .iter()
            .position(|s| s.media() == "video" && s.encoding_name().eq_ignore_ascii_case("h264"))
            .ok_or("the source offers no H.264 video")?;
        // Annex B with the parameter sets before every keyframe: what `Stream` takes.
        session
            .setup(video, SetupOptions::default().frame_format(FrameFormat::SIMPLE))
            .await
            .map_err(|e| e.to_string())?;
        let playing = session.play(PlayOptions::default()).await.map_err(|e| e.to_string())?;
        Ok::<_, String>((video, playing.demuxed().map_err(|e| e.to_string())?))
    };
    let (video, mut demuxed) = tokio::time::timeout(Duration::from_secs(5), connect)
        .await
        .map_err(|_| "the source did not answer within 5 s".to_string())??;
    // The sender's clock, from its RTCP sender reports.
    let mut clock: Option<SenderClock> = None;
    let started = Instant::now();
    loop {
        // A source that stops sending without closing is lost too.
        let item = match tokio::time::timeout(Duration::from_secs(2), demuxed.next()).await {
            Err(_) => return Err(format!("no frame for 2 s (after {:.0?})", started.elapsed())),
            Ok(None) => return Ok(()),
            Ok(Some(item)) => item.map_err(|e| e.to_string())?,
        };
        match item {
            CodecItem::VideoFrame(f) if f.stream_id() == video => {
                let ts = f.timestamp();
                let rate = ts.clock_rate().get();
                let pts = u64::try_from(ts.elapsed().max(0)).unwrap_or(0) * 90_000 / u64::from(rate);
                // RTP timestamps are 32 bits on the wire; retina extends them.
                let captured = clock::captured_ms(clock, ts.timestamp() as u32, rate, unix_ms());
                let nals = vigie_relay::h264::split_nals(f.data());
                relay.ingest(&nals, pts, captured);
            }
            CodecItem::Rtcp(r) => {
                let Some(rtp) = r.rtp_timestamp() else { continue };
                for pkt in r.pkts() {
                    if let Ok(Some(sr)) = pkt.as_sender_report() {
                        clock = clock::ntp_unix_ms(sr.ntp_timestamp().0)
                            .map(|unix_ms| SenderClock { rtp: rtp.timestamp() as u32, unix_ms });
                    }
                }
            }
            _ => {}
        }
    }
}
