//! The field app's side of the platform API: ask to enrol a device, log in with its key,
//! bring the device store's registry up to date, submit private cameras.
//!
//! Thin by design: what is signed comes from `vigie_core::auth`, what a registry update
//! means from `vigie_core::sync`, where it is kept from `vigie_store`. This crate only
//! speaks HTTP and maps the platform's `{code, message}` errors.

use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use vigie_core::sync::{Area, RegistryUpdate};
use vigie_core::{auth, Camera};
use vigie_store::{PrivateState, Store};

/// What went wrong talking to the platform.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The platform could not be reached (no network, server down): work offline.
    #[error("plateforme injoignable / platform unreachable: {0}")]
    Offline(String),
    /// The platform refused, with its code (`device_pending`, `forbidden`…) and message.
    #[error("{status} {code}: {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The platform's error code.
        code: String,
        /// Its message.
        message: String,
    },
    /// An answer that is not what the protocol says.
    #[error("unexpected answer from the platform: {0}")]
    Protocol(String),
    /// The device store failed.
    #[error(transparent)]
    Store(#[from] vigie_store::StoreError),
}

impl ClientError {
    /// The platform's error code, if it refused.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Refused { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// A session with the platform.
pub struct Client {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

impl Client {
    /// A client of the platform at `base` (`https://csu.example:8787`).
    pub fn new(base: &str) -> Client {
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .expect("a TLS backend is compiled in");
        Client { base: base.trim_end_matches('/').to_string(), http, token: None }
    }

    async fn send<T: serde::de::DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T, ClientError> {
        let req = match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let resp = req.send().await.map_err(|e| ClientError::Offline(e.to_string()))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| ClientError::Offline(e.to_string()))?;
        if !status.is_success() {
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            return Err(ClientError::Refused {
                status: status.as_u16(),
                code: v["code"].as_str().unwrap_or("unknown").to_string(),
                message: v["message"].as_str().unwrap_or_default().to_string(),
            });
        }
        let body = if bytes.is_empty() { b"null".as_slice() } else { &bytes };
        serde_json::from_slice(body).map_err(|e| ClientError::Protocol(e.to_string()))
    }

    /// Asks to enrol the device holding `key` for the officer `rio`; returns the device id,
    /// to keep, and to log in with once an administrator approved it.
    pub async fn enrol(&self, key: &SigningKey, rio: &str, device_name: &str) -> Result<i64, ClientError> {
        let at = chrono::Utc::now();
        let public = key.verifying_key().to_bytes();
        let signature = key.sign(&auth::enrolment_message(&public, rio, device_name, at)).to_bytes();
        let body = serde_json::json!({
            "public_key": b64(&public), "rio": rio, "device_name": device_name, "at": at, "signature": b64(&signature),
        });
        let v: serde_json::Value =
            self.send(self.http.post(format!("{}/v1/enrolments", self.base)).json(&body)).await?;
        v["device_id"].as_i64().ok_or_else(|| ClientError::Protocol("no device_id".into()))
    }

    /// Logs in: signs the platform's one-time challenge. Fails with code `device_pending`
    /// until an administrator approved the device.
    pub async fn login(&mut self, key: &SigningKey, device_id: i64) -> Result<(), ClientError> {
        let c: serde_json::Value = self
            .send(
                self.http
                    .post(format!("{}/v1/auth/challenge", self.base))
                    .json(&serde_json::json!({ "device_id": device_id })),
            )
            .await?;
        let nonce = base64::engine::general_purpose::STANDARD
            .decode(c["nonce"].as_str().unwrap_or_default())
            .map_err(|e| ClientError::Protocol(format!("nonce: {e}")))?;
        let signature = key.sign(&auth::challenge_message(device_id as u64, &nonce)).to_bytes();
        let body = serde_json::json!({ "device_id": device_id, "nonce": b64(&nonce), "signature": b64(&signature) });
        let t: serde_json::Value =
            self.send(self.http.post(format!("{}/v1/auth/token", self.base)).json(&body)).await?;
        self.token = Some(t["token"].as_str().ok_or_else(|| ClientError::Protocol("no token".into()))?.to_string());
        Ok(())
    }

    /// Brings the store's registry of `area` up to date: the delta since its version when
    /// it holds that area, a full package otherwise (or when the delta no longer applies).
    /// Returns the version now cached. Offline, the store is left as it was.
    pub async fn sync_registry(&self, store: &mut Store, area: Area) -> Result<u64, ClientError> {
        let info = store.registry_info()?;
        let since = info.filter(|i| i.area == Some(area)).map(|i| i.version);
        let update = self.registry(area, since).await?;
        match store.apply_update(update, chrono::Utc::now(), &self.base) {
            Err(vigie_store::StoreError::Sync { .. }) if since.is_some() => {
                let full = self.registry(area, None).await?;
                Ok(store.apply_update(full, chrono::Utc::now(), &self.base)?)
            }
            other => Ok(other?),
        }
    }

    async fn registry(&self, area: Area, since: Option<u64>) -> Result<RegistryUpdate, ClientError> {
        let mut url = format!(
            "{}/v1/registry?south={}&west={}&north={}&east={}",
            self.base, area.south, area.west, area.north, area.east
        );
        if let Some(v) = since {
            url += &format!("&since={v}");
        }
        self.send(self.http.get(url)).await
    }

    /// Submits a private camera added in the field (idempotent: resending changes nothing).
    pub async fn submit_camera(&self, camera: &Camera) -> Result<serde_json::Value, ClientError> {
        self.send(self.http.post(format!("{}/v1/private-cameras", self.base)).json(camera)).await
    }

    /// Sends the store's pending private cameras, then brings back the moderators'
    /// decisions (accepted, merged into a known camera, refused with a note). A camera is
    /// marked submitted only once the platform has it, so a lost connection only means a
    /// resend, which the platform treats as the same submission.
    pub async fn sync_private_cameras(&self, store: &mut Store) -> Result<PrivateSync, ClientError> {
        let mut out = PrivateSync::default();
        let now = chrono::Utc::now;
        for p in store.private_cameras()? {
            if p.state == PrivateState::Pending {
                match self.submit_camera(&p.camera).await {
                    Ok(_) => {
                        store.set_private_state(&p.camera.id.0, PrivateState::Submitted, None, now())?;
                        out.submitted += 1;
                    }
                    // The platform will never take this one as it is: say why, and go on
                    // with the others rather than block them behind it.
                    Err(ClientError::Refused { status: 400 | 409, message, .. }) => {
                        store.set_private_state(&p.camera.id.0, PrivateState::Refused, Some(&message), now())?;
                        out.decided += 1;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        let decided: Vec<serde_json::Value> =
            self.send(self.http.get(format!("{}/v1/private-cameras", self.base))).await?;
        let mine = store.private_cameras()?;
        for d in decided {
            let (Some(id), Some(state)) = (d["id"].as_str(), d["state"].as_str()) else {
                return Err(ClientError::Protocol("a submission without id or state".into()));
            };
            let state = match state {
                "accepted" => PrivateState::Accepted,
                "merged" => PrivateState::Merged,
                "refused" => PrivateState::Refused,
                _ => continue,
            };
            let note = d["note"].as_str();
            if mine.iter().any(|m| m.camera.id.0 == id && (m.state != state || m.note.as_deref() != note)) {
                store.set_private_state(id, state, note, now())?;
                out.decided += 1;
            }
        }
        Ok(out)
    }
}

/// What a private-camera sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrivateSync {
    /// Cameras sent now.
    pub submitted: usize,
    /// Moderation decisions brought back.
    pub decided: usize,
}

/// A fresh id for a private camera added on the device `device_id`: in that device's
/// namespace on the platform (`dev<id>:`), 64 random bits, so it never collides offline.
pub fn new_private_camera_id(device_id: i64) -> String {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("the operating system provides randomness");
    format!("dev{device_id}:{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>())
}
