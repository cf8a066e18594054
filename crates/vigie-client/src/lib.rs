//! The field app's side of the platform API: ask to enrol a device, log in with its key,
//! bring the device store's registry up to date, submit private cameras, download
//! offline basemap areas resumably, push the outbox of signed documents and bring their
//! statuses back, and review a unit's documents.
//!
//! Thin by design: what is signed comes from `vigie_core::auth`, what a registry update
//! means from `vigie_core::sync`, where it is kept from `vigie_store`. This crate only
//! speaks HTTP, writes downloaded areas to disk, and maps the platform's `{code, message}`
//! errors.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vigie_core::proof::hex;
pub use vigie_core::sync::AreaInfo;
use vigie_core::sync::{Area, RegistryUpdate};
use vigie_core::{auth, Camera};
use vigie_store::{PrivateState, Store};

mod documents;
mod live;
pub use documents::{Me, OutboxSync, RemoteDocument};
pub use live::{RemoteGrant, RemoteRelay, RemoteStream, Ticket};

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
    /// A file of an offline area could not be read, written or moved.
    #[error("offline area {area}: {}: {source}", path.display())]
    File {
        /// The area's id.
        area: String,
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// A downloaded area is not the file the platform announced; its partial file was
    /// deleted, so the next download starts afresh.
    #[error(
        "offline area {area}: {} has SHA-256 {actual}, not the platform's {expected}: deleted, download it again",
        path.display()
    )]
    HashMismatch {
        /// The area's id.
        area: String,
        /// The partial file, now deleted.
        path: PathBuf,
        /// The hash announced.
        expected: String,
        /// The hash of what was received.
        actual: String,
    },
    /// The platform now serves another version of the area than the one described: list
    /// the areas again. Nothing was written.
    #[error("offline area {area} changed on the platform since it was listed (now {served}): list the areas again")]
    AreaChanged {
        /// The area's id.
        area: String,
        /// The ETag the platform serves now.
        served: String,
    },
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

/// How long an area download may take in all; a stalled connection is caught sooner by
/// the read timeout.
const DOWNLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

impl Client {
    /// A client of the platform at `base` (`https://csu.example:8787`).
    pub fn new(base: &str) -> Client {
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .read_timeout(std::time::Duration::from_secs(30))
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

/// Where an area download stands, reported after each chunk written to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of the file on disk so far (the resumed part included).
    pub done_bytes: u64,
    /// The file's size.
    pub total_bytes: u64,
    /// Where this request started: the partial file's length when the platform resumed it,
    /// 0 when the download started (or restarted) from the beginning.
    pub resumed_from: u64,
}

/// How a call to [`Client::download_area`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DownloadOutcome {
    /// The file is whole, its SHA-256 checked, at its destination.
    Complete {
        /// The destination.
        path: PathBuf,
        /// Its size.
        bytes: u64,
        /// Where this call's request started (see [`Progress::resumed_from`]).
        resumed_from: u64,
    },
    /// The progress callback asked to stop: the partial file is kept, and the next call
    /// resumes from it.
    Paused {
        /// The partial file.
        part: PathBuf,
        /// Its length.
        done_bytes: u64,
        /// The file's size.
        total_bytes: u64,
    },
}

/// `dest` with `suffix` added to its file name.
fn with_suffix(dest: &Path, suffix: &str) -> PathBuf {
    let mut name = dest.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(suffix);
    dest.with_file_name(name)
}

impl Client {
    /// The offline basemap areas the platform offers.
    pub async fn areas(&self) -> Result<Vec<AreaInfo>, ClientError> {
        self.send(self.http.get(format!("{}/v1/areas", self.base))).await
    }

    /// Downloads `area`'s PMTiles file to `dest`, resuming what an earlier call left.
    ///
    /// The bytes go to `dest` + `.part` as they arrive, and the `ETag` they came with to
    /// `dest` + `.part.etag`. A later call asks for the rest only (`Range: bytes=N-` with
    /// `If-Range: <that ETag>`); if the platform's file changed meanwhile, it answers with
    /// the whole new file and the download restarts from zero. `progress` is called after
    /// each chunk written; returning [`ControlFlow::Break`] stops cleanly and keeps the
    /// partial file (this is how a pause works; after the last chunk it is too late, and
    /// the download completes). At the end the file is synced to disk, its
    /// SHA-256 checked against `area.sha256`, and only then renamed to `dest`, so `dest` is
    /// either absent or whole.
    ///
    /// Errors: [`ClientError::Offline`] when the connection is lost (the partial file is
    /// kept: call again), [`ClientError::HashMismatch`] (the partial file is deleted),
    /// [`ClientError::AreaChanged`] when `area` is stale (list the areas again),
    /// [`ClientError::File`] for the disk, [`ClientError::Refused`] for the platform's
    /// refusals (an unknown area: 404). Each names the area and, for files, the path.
    /// Two concurrent downloads to the same `dest` are not supported.
    pub async fn download_area(
        &self,
        area: &AreaInfo,
        dest: &Path,
        mut progress: impl FnMut(Progress) -> ControlFlow<()>,
    ) -> Result<DownloadOutcome, ClientError> {
        let id = area.id.as_str();
        if !AreaInfo::valid_id(id) {
            return Err(ClientError::Protocol(format!("{id:?} is not an area id")));
        }
        let part = with_suffix(dest, ".part");
        let etag_file = with_suffix(dest, ".part.etag");
        let file_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ClientError::File { area: id.to_string(), path, source }
        };
        let expected_etag = format!("\"{}\"", area.sha256);
        if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent).await.map_err(file_err(parent))?;
        }
        let mut have = match tokio::fs::metadata(&part).await {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(file_err(&part)(e)),
        };
        // The ETag the partial file's bytes came with; without one (a file from elsewhere),
        // the announced hash, which the final check guards anyway.
        let part_etag = match tokio::fs::read_to_string(&etag_file).await {
            Ok(t) if have > 0 && !t.trim().is_empty() => t.trim().to_string(),
            _ => expected_etag.clone(),
        };
        if have > area.bytes {
            have = 0;
        }
        if have == area.bytes && have > 0 && part_etag == expected_etag {
            // Everything arrived last time; only the check and the rename are left.
            let sha = hash_file(&part, id).await?;
            if sha == area.sha256 {
                let _ = progress(Progress { done_bytes: have, total_bytes: have, resumed_from: have });
                return self.finish(area, &part, &etag_file, dest, have).await;
            }
            have = 0;
        }

        let url = format!("{}/v1/areas/{id}/tiles.pmtiles", self.base);
        let offline = |e: &dyn std::fmt::Display, kept: u64| {
            ClientError::Offline(format!("offline area {id}: {e} ({kept} bytes kept in {})", part.display()))
        };
        let mut resp = loop {
            let mut req =
                self.http.get(&url).timeout(DOWNLOAD_TIMEOUT).header(reqwest::header::ACCEPT_ENCODING, "identity");
            if let Some(t) = &self.token {
                req = req.bearer_auth(t);
            }
            if have > 0 {
                req = req
                    .header(reqwest::header::RANGE, format!("bytes={have}-"))
                    .header(reqwest::header::IF_RANGE, &part_etag);
            }
            let resp = req.send().await.map_err(|e| offline(&e, have))?;
            if resp.status().as_u16() == 416 && have > 0 {
                // The partial file is as long as a version it does not belong to: start over.
                have = 0;
                continue;
            }
            break resp;
        };
        let status = resp.status();
        let served = resp.headers().get(reqwest::header::ETAG).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let (start, total) = match status.as_u16() {
            200 => (0, resp.content_length().unwrap_or(area.bytes)),
            206 => {
                let range = resp.headers().get(reqwest::header::CONTENT_RANGE).and_then(|v| v.to_str().ok());
                let parsed = range.and_then(|r| {
                    let (span, total) = r.strip_prefix("bytes ")?.split_once('/')?;
                    Some((span.split_once('-')?.0.parse::<u64>().ok()?, total.parse::<u64>().ok()?))
                });
                match parsed {
                    Some((start, total)) if start == have => (start, total),
                    _ => {
                        return Err(ClientError::Protocol(format!(
                            "offline area {id}: asked for bytes {have}- and got Content-Range {range:?}"
                        )))
                    }
                }
            }
            _ => {
                let bytes = resp.bytes().await.unwrap_or_default();
                let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
                return Err(ClientError::Refused {
                    status: status.as_u16(),
                    code: v["code"].as_str().unwrap_or("unknown").to_string(),
                    message: v["message"].as_str().unwrap_or_default().to_string(),
                });
            }
        };
        if served != expected_etag {
            // Nothing written: a partial file stays valid for the version it came from.
            return Err(ClientError::AreaChanged { area: id.to_string(), served });
        }
        if total != area.bytes {
            return Err(ClientError::Protocol(format!(
                "offline area {id}: the platform sends {total} bytes, the listing said {}",
                area.bytes
            )));
        }

        let mut hasher = Sha256::new();
        let mut file = if start == 0 {
            tokio::fs::write(&etag_file, served.as_bytes()).await.map_err(file_err(&etag_file))?;
            tokio::fs::File::create(&part).await.map_err(file_err(&part))?
        } else {
            hash_prefix(&part, start, &mut hasher).await.map_err(file_err(&part))?;
            let mut f = tokio::fs::OpenOptions::new().write(true).open(&part).await.map_err(file_err(&part))?;
            f.set_len(start).await.map_err(file_err(&part))?;
            tokio::io::AsyncSeekExt::seek(&mut f, std::io::SeekFrom::Start(start)).await.map_err(file_err(&part))?;
            f
        };
        let mut done = start;
        loop {
            let chunk = match resp.chunk().await {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => {
                    // Keep what arrived, durably, for the next call.
                    let _ = file.flush().await;
                    let _ = file.sync_data().await;
                    return Err(offline(&e, done));
                }
            };
            file.write_all(&chunk).await.map_err(file_err(&part))?;
            hasher.update(&chunk);
            done += chunk.len() as u64;
            if progress(Progress { done_bytes: done, total_bytes: total, resumed_from: start }).is_break()
                && done < total
            {
                file.flush().await.map_err(file_err(&part))?;
                file.sync_data().await.map_err(file_err(&part))?;
                return Ok(DownloadOutcome::Paused { part, done_bytes: done, total_bytes: total });
            }
        }
        file.flush().await.map_err(file_err(&part))?;
        file.sync_all().await.map_err(file_err(&part))?;
        drop(file);
        if done != total {
            return Err(offline(&format!("the connection ended after {done} of {total} bytes"), done));
        }
        let actual = hex(&hasher.finalize());
        if actual != area.sha256 {
            let _ = tokio::fs::remove_file(&part).await;
            let _ = tokio::fs::remove_file(&etag_file).await;
            return Err(ClientError::HashMismatch {
                area: id.to_string(),
                path: part,
                expected: area.sha256.clone(),
                actual,
            });
        }
        match self.finish(area, &part, &etag_file, dest, done).await? {
            DownloadOutcome::Complete { path, bytes, .. } => {
                Ok(DownloadOutcome::Complete { path, bytes, resumed_from: start })
            }
            other => Ok(other),
        }
    }

    /// Moves the checked partial file to `dest` (atomically, on the same file system).
    async fn finish(
        &self,
        area: &AreaInfo,
        part: &Path,
        etag_file: &Path,
        dest: &Path,
        bytes: u64,
    ) -> Result<DownloadOutcome, ClientError> {
        tokio::fs::rename(part, dest).await.map_err(|source| ClientError::File {
            area: area.id.clone(),
            path: dest.to_path_buf(),
            source,
        })?;
        let _ = tokio::fs::remove_file(etag_file).await;
        // The rename itself survives a power cut once the folder is synced (Unix).
        #[cfg(unix)]
        if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            if let Ok(d) = tokio::fs::File::open(parent).await {
                let _ = d.sync_all().await;
            }
        }
        Ok(DownloadOutcome::Complete { path: dest.to_path_buf(), bytes, resumed_from: bytes })
    }
}

/// Feeds the first `len` bytes of `path` to `hasher`.
async fn hash_prefix(path: &Path, len: u64, hasher: &mut Sha256) -> std::io::Result<()> {
    let mut f = tokio::fs::File::open(path).await?.take(len);
    let mut buf = vec![0u8; 1 << 20];
    let mut read = 0;
    loop {
        let n = f.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        read += n as u64;
    }
    if read != len {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the partial file shrank"));
    }
    Ok(())
}

async fn hash_file(path: &Path, area: &str) -> Result<String, ClientError> {
    let err = |source| ClientError::File { area: area.to_string(), path: path.to_path_buf(), source };
    let len = tokio::fs::metadata(path).await.map_err(err)?.len();
    let mut hasher = Sha256::new();
    hash_prefix(path, len, &mut hasher).await.map_err(err)?;
    Ok(hex(&hasher.finalize()))
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
