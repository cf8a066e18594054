//! Live body-cam streams: the streams my unit may watch and a one-use viewing token for
//! the player (WebSocket or WHEP); for the CSU operator, who may watch which stream.

use vigie_core::Timestamp;

use crate::{Client, ClientError};

/// A stream the platform relays to me.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct RemoteStream {
    /// Its id.
    pub id: String,
    /// The body-cam and who wears it.
    pub label: String,
    /// Why I may watch (the operator's motif, or the command post's).
    pub motif: String,
    /// The body-cam's last position (`{lat, lon}`) and when.
    pub position: Option<(vigie_core::LatLon, Timestamp)>,
    /// The relay's state of its source, if it runs.
    pub relay: Option<RemoteRelay>,
    /// The units that may watch it (all of them for the operator; my unit's for me).
    #[serde(default)]
    pub grants: Vec<RemoteGrant>,
}

/// A unit's permission to watch a stream, as the operator granted it.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct RemoteGrant {
    /// The unit.
    pub unit: String,
    /// Why (the intervention).
    pub motif: String,
    /// The operator who granted it.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

/// The relay's state of a stream's source.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct RemoteRelay {
    /// `connecting`, `live`, `lost`, `ended`.
    pub state: String,
    /// Why it was lost.
    pub error: Option<String>,
    /// Picture size.
    pub width: Option<u32>,
    /// Picture size.
    pub height: Option<u32>,
}

/// What opens a stream's WebSocket, once, for a minute.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Ticket {
    /// The token.
    pub token: String,
    /// Its end.
    pub expires_at: Timestamp,
    /// The view's motif.
    pub motif: String,
    /// The WebSocket's path and query (`/v1/live/{id}/ws?token=…`).
    pub ws: String,
    /// The WHEP endpoint's path (`/v1/live/{id}/whep`; the token goes as Bearer).
    #[serde(default)]
    pub whep: Option<String>,
}

impl Client {
    /// Whether the client holds a session token (it may have expired since).
    pub fn has_session(&self) -> bool {
        self.token.is_some()
    }

    /// The live streams I may watch.
    pub async fn live_streams(&self) -> Result<Vec<RemoteStream>, ClientError> {
        self.send(self.http.get(format!("{}/v1/live", self.base))).await
    }

    /// A viewing token for stream `id`.
    pub async fn live_ticket(&self, id: &str) -> Result<Ticket, ClientError> {
        self.send(self.http.post(format!("{}/v1/live/{id}/token", self.base))).await
    }

    /// The operator lets `unit` watch stream `id`, for `motif`.
    pub async fn live_grant(&self, id: &str, unit: &str, motif: &str) -> Result<(), ClientError> {
        let body = serde_json::json!({ "unit": unit, "motif": motif });
        let url = format!("{}/v1/live/{id}/grants", self.base);
        self.send::<serde_json::Value>(self.http.post(url).json(&body)).await.map(drop)
    }

    /// The operator withdraws `unit`'s permission (its viewers are closed at once).
    pub async fn live_revoke(&self, id: &str, unit: &str) -> Result<(), ClientError> {
        let url = format!("{}/v1/live/{id}/revoke", self.base);
        self.send::<serde_json::Value>(self.http.post(url).json(&serde_json::json!({ "unit": unit }))).await.map(drop)
    }

    /// The operator ends the relay of stream `id` (every view ends).
    pub async fn live_end(&self, id: &str) -> Result<(), ClientError> {
        let url = format!("{}/v1/live/{id}/end", self.base);
        self.send::<serde_json::Value>(self.http.post(url).json(&serde_json::json!({}))).await.map(drop)
    }

    /// The WebSocket URL of a ticket (`ws://` or `wss://`, as the platform's address).
    pub fn ws_url(&self, ticket: &Ticket) -> String {
        let base = if let Some(rest) = self.base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else {
            format!("ws://{}", self.base.strip_prefix("http://").unwrap_or(&self.base))
        };
        format!("{base}{}", ticket.ws)
    }

    /// The WHEP URL of a ticket, where the platform offers WHEP.
    pub fn whep_url(&self, ticket: &Ticket) -> Option<String> {
        ticket.whep.as_ref().map(|path| format!("{}{path}", self.base))
    }
}
