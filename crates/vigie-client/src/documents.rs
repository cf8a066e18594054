//! Signed documents: the outbox's push and status pull, the officer's profile, and the
//! supervisor's review (countersign, return).

use ed25519_dalek::{Signer, SigningKey};
use vigie_core::act::IssuingService;
use vigie_core::document::{countersign_message, Decision, DocumentStatus, SignedDocument};
use vigie_core::outbox::PushResult;
use vigie_core::proof::Proof;
use vigie_core::Timestamp;
use vigie_store::Store;

use crate::{b64, Client, ClientError};

/// Who the session is, and what their acts print.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Me {
    /// The device.
    pub device: i64,
    /// RIO.
    pub rio: String,
    /// Name.
    pub name: String,
    /// `officer`, `supervisor`, `csu_operator`, `admin`.
    pub role: String,
    /// Unit code.
    pub unit: String,
    /// Rank.
    pub rank: String,
    /// OPJ, APJ, APJA or NONE.
    pub qualite: String,
    /// The unit as the service issuing acts.
    pub service: IssuingService,
}

/// A document as the platform reports it.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct RemoteDocument {
    /// Id.
    pub id: String,
    /// The document, its signatures and key fingerprints.
    pub proof: Proof,
    /// Status.
    pub status: DocumentStatus,
    /// Last change.
    pub updated_at: Timestamp,
    /// The supervisor's comment.
    pub comment: Option<String>,
    /// The supervisor who countersigned.
    pub countersigned_by: Option<String>,
}

/// What one outbox sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxSync {
    /// Documents the platform now has.
    pub sent: usize,
    /// Pushes that failed and will be retried.
    pub failed: usize,
    /// Documents the platform refused for good.
    pub refused: usize,
    /// Documents whose platform status changed.
    pub updated: usize,
}

impl Client {
    /// Who the session is, with rank, qualité and service.
    pub async fn me(&self) -> Result<Me, ClientError> {
        self.send(self.http.get(format!("{}/v1/me", self.base))).await
    }

    /// Pushes one signed document and says what became of it (see [`PushResult`]): the
    /// platform keeps a document once by its id, so pushing again is always safe.
    pub async fn push_document(&self, signed: &SignedDocument) -> PushResult {
        let mut req = self.http.post(format!("{}/v1/documents", self.base)).json(signed);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) if e.is_connect() => return PushResult::NotSent(format!("plateforme injoignable : {e}")),
            Err(e) => return PushResult::Transient(format!("connexion interrompue : {e}")),
        };
        let status = resp.status().as_u16();
        // Read the answer whole: a connection cut now still leaves the outcome unknown.
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => return PushResult::Transient(format!("réponse interrompue : {e}")),
        };
        let message = || {
            serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["message"].as_str().map(String::from))
        };
        match status {
            200..=299 => PushResult::Accepted,
            401 | 408 | 429 | 500..=599 => {
                PushResult::Transient(format!("{status} : {}", message().unwrap_or_else(|| "réessai".into())))
            }
            _ => PushResult::Refused(format!("{status} : {}", message().unwrap_or_else(|| "refusé".into()))),
        }
    }

    /// My documents and their statuses.
    pub async fn documents(&self) -> Result<Vec<RemoteDocument>, ClientError> {
        self.send(self.http.get(format!("{}/v1/documents", self.base))).await
    }

    /// The documents of my unit awaiting review (supervisors).
    pub async fn review(&self) -> Result<Vec<RemoteDocument>, ClientError> {
        self.send(self.http.get(format!("{}/v1/review", self.base))).await
    }

    /// Countersigns `doc` as the supervisor `rio`, with this device's `key`.
    pub async fn countersign(&self, key: &SigningKey, rio: &str, doc: &RemoteDocument) -> Result<(), ClientError> {
        let digest = doc.proof.document.digest().map_err(|e| ClientError::Protocol(e.to_string()))?;
        let signature = key.sign(&countersign_message(&digest, Decision::Countersigned, rio)).to_bytes();
        let url = format!("{}/v1/documents/{}/countersign", self.base, doc.id);
        let _: serde_json::Value =
            self.send(self.http.post(url).json(&serde_json::json!({ "signature": b64(&signature) }))).await?;
        Ok(())
    }

    /// Returns `id` to its author with `comment`.
    pub async fn return_document(&self, id: &str, comment: &str) -> Result<(), ClientError> {
        let url = format!("{}/v1/documents/{id}/return", self.base);
        let _: serde_json::Value =
            self.send(self.http.post(url).json(&serde_json::json!({ "comment": comment }))).await?;
        Ok(())
    }

    /// Pushes the outbox's due documents (all queued ones when `on_demand`), then brings
    /// back the statuses and countersignatures of those the platform has. Each push is
    /// recorded before it leaves and after it ends, so a kill at any point is safe: the
    /// next sync pushes again, and the platform answers "already received".
    /// `jitter` gives a number in [0, 1) per failure, to spread retries.
    pub async fn sync_outbox(
        &self,
        store: &mut Store,
        on_demand: bool,
        mut jitter: impl FnMut() -> f64,
    ) -> Result<OutboxSync, ClientError> {
        let now = chrono::Utc::now;
        let mut out = OutboxSync::default();
        let mut entries = store.outbox()?;
        entries.reverse(); // oldest first
        for e in entries.iter().filter(|e| e.delivery.is_due(now(), on_demand)) {
            let id = &e.proof.document.id;
            let before = store.begin_push(id, now())?;
            let result = self.push_document(&e.proof.signed()).await;
            let mut d = store.outbox_entry(id)?.delivery;
            let unreachable = matches!(result, PushResult::NotSent(_));
            match &result {
                PushResult::Accepted => out.sent += 1,
                PushResult::Refused(_) => out.refused += 1,
                _ => out.failed += 1,
            }
            d.after(result, now(), jitter(), before.may_have_left);
            store.end_push(id, &d, now())?;
            if unreachable {
                return Err(ClientError::Offline("plateforme injoignable".into()));
            }
        }
        let mine: std::collections::HashSet<String> =
            store.outbox()?.into_iter().map(|e| e.proof.document.id).collect();
        for r in self.documents().await? {
            if mine.contains(&r.id)
                && store.record_platform_status(
                    &r.id,
                    r.status,
                    r.comment.as_deref(),
                    r.proof.countersignature.as_ref(),
                    now(),
                )?
            {
                out.updated += 1;
            }
        }
        Ok(out)
    }
}
