//! Is this requisition authentic? The check behind `vigie-server verify FILE` and the
//! holders' `POST /v1/verify`: a PDF as Vigie printed it, its proof JSON, or the text of
//! its QR code, checked against every key ever enrolled on this platform.

use vigie_core::proof::{self, KnownKey, Proof, QrPayload, Verified};

use crate::db::Db;

/// The answer, for people and machines.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    /// Authentic: the signatures match enrolled keys of the right people.
    pub valid: bool,
    /// The document's SHA-256 (hex), when it could be read.
    pub digest: Option<String>,
    /// Who signed and countersigned.
    pub verified: Option<Verified>,
    /// What is wrong.
    pub error: Option<String>,
    /// Where the document stands on this platform, if it has it.
    pub platform_status: Option<String>,
}

impl Outcome {
    fn refused(error: String, digest: Option<String>) -> Outcome {
        Outcome { valid: false, digest, verified: None, error: Some(error), platform_status: None }
    }

    /// One line: "authentique …" or "REFUSÉ : …".
    pub fn summary(&self) -> String {
        match (&self.verified, &self.error) {
            (Some(v), _) => {
                let mut s = format!(
                    "authentique / authentic — document {} signé par {} ({}, {})",
                    v.id, v.author.name, v.author.rio, v.author.unit
                );
                match &v.countersigned_by {
                    Some(c) => s.push_str(&format!(", contresigné par {} ({})", c.name, c.rio)),
                    None => s.push_str(", non contresigné"),
                }
                if v.author.revoked_since || v.countersigned_by.as_ref().is_some_and(|c| c.revoked_since) {
                    s.push_str(" ; un appareil signataire a été révoqué depuis");
                }
                if let Some(st) = &self.platform_status {
                    s.push_str(&format!(" ; statut sur la plateforme : {st}"));
                }
                s.push_str(&format!(" ; SHA-256 {}", v.digest));
                s
            }
            (None, Some(e)) => format!("REFUSÉ / REJECTED — {e}"),
            (None, None) => "REFUSÉ / REJECTED".into(),
        }
    }
}

/// Checks a file's bytes (PDF, proof JSON, or QR text).
pub fn check_file(db: &Db, bytes: &[u8]) -> Outcome {
    let proof = match read(db, bytes) {
        Ok(p) => p,
        Err(e) => return Outcome::refused(e, None),
    };
    check_proof(db, &proof)
}

fn read(db: &Db, bytes: &[u8]) -> Result<Proof, String> {
    let text = std::str::from_utf8(bytes).ok().map(str::trim);
    match text {
        Some(t) if t.starts_with("VIGIE1;") => from_qr(db, t),
        _ => vigie_pdf::check(bytes).map_err(|e| e.to_string()),
    }
}

/// The platform's copy of the document a QR code names, with the QR code's signatures.
fn from_qr(db: &Db, text: &str) -> Result<Proof, String> {
    let q = QrPayload::parse(text)?;
    let record = db
        .document_by_digest(&q.digest)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no document with SHA-256 {} on this platform", proof::hex(&q.digest)))?;
    let mut p = record.proof;
    p.signature = q.signature;
    p.author_key = q.author_key;
    p.countersignature = match (q.countersignature, p.countersignature) {
        (Some((rio, key, signature)), Some(mut c)) => {
            c.rio = rio;
            c.key = key;
            c.signature = signature;
            Some(c)
        }
        (Some((rio, ..)), None) => {
            return Err(format!("the QR code claims a countersignature by {rio} the platform never recorded"))
        }
        (None, _) => None,
    };
    Ok(p)
}

/// Checks a proof against the enrolled keys.
pub fn check_proof(db: &Db, p: &Proof) -> Outcome {
    let digest = p.document.digest().ok().map(|d| proof::hex(&d));
    let keys = match db.key_directory() {
        Ok(k) => k,
        Err(e) => return Outcome::refused(format!("the key directory cannot be read: {e}"), digest),
    };
    let lookup = |fp: &str| -> Option<KnownKey> {
        keys.iter().find(|k| vigie_core::auth::fingerprint(&k.public_key) == fp).cloned()
    };
    match proof::verify(p, lookup) {
        Ok(v) => {
            let platform_status = p
                .document
                .digest()
                .ok()
                .and_then(|d| db.document_by_digest(&d).ok().flatten())
                .map(|r| r.status.as_str().to_string());
            Outcome { valid: true, digest, verified: Some(v), error: None, platform_status }
        }
        Err(e) => Outcome::refused(e.to_string(), digest),
    }
}
