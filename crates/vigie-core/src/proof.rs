//! What proves a signed document away from the platform: the document, its author's
//! signature, a supervisor's countersignature, and the fingerprints of the keys that made
//! them; the short text a printed document's QR code carries; and the check of all that
//! against a directory of enrolled keys (passed in, so the check stays pure).
//!
//! A [`Proof`] is what a PDF embeds and what `vigie-server verify` reads. Keys are found
//! by fingerprint ([`crate::auth::fingerprint`]: SHA-256 of the public key, first 16 bytes)
//! and then used whole: the fingerprint only names the key.

use base64::Engine;

use crate::auth::{self, PublicKey};
use crate::document::{countersign_message, Decision, Document, SignedDocument};
use crate::Timestamp;

/// A supervisor's countersignature over a document's digest (see [`countersign_message`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Countersignature {
    /// The supervisor's RIO (part of the signed message).
    pub rio: String,
    /// Fingerprint of the supervisor's device key.
    pub key: String,
    /// When the platform recorded it (UTC; not signed).
    pub at: Timestamp,
    /// The signature, 64 bytes, base64 on the wire.
    #[serde(with = "crate::document::b64")]
    pub signature: Vec<u8>,
}

/// A document with everything needed to check it offline.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Proof {
    /// The document as signed.
    pub document: Document,
    /// The author's signature over [`Document::signing_message`], base64 on the wire.
    #[serde(with = "crate::document::b64")]
    pub signature: Vec<u8>,
    /// Fingerprint of the author's device key.
    pub author_key: String,
    /// The supervisor's countersignature, once given.
    pub countersignature: Option<Countersignature>,
}

impl Proof {
    /// The proof of a document signed with `author_key`.
    pub fn new(signed: SignedDocument, author_key: &PublicKey) -> Proof {
        Proof {
            document: signed.document,
            signature: signed.signature,
            author_key: auth::fingerprint(author_key),
            countersignature: None,
        }
    }

    /// The signed document alone (what the device pushes).
    pub fn signed(&self) -> SignedDocument {
        SignedDocument { document: self.document.clone(), signature: self.signature.clone() }
    }

    /// What the QR code carries: `VIGIE1;d=<digest hex>;a=<author key>;s=<signature>`
    /// and, once countersigned, `;c=<RIO>,<key>,<signature>`; signatures in base64url
    /// without padding. About 330 characters: a version-13 QR code at level M.
    pub fn qr_text(&self) -> Result<String, crate::document::CanonicalError> {
        let digest = self.document.digest()?;
        let mut s = format!("VIGIE1;d={};a={};s={}", hex(&digest), self.author_key, b64url(&self.signature));
        if let Some(c) = &self.countersignature {
            s.push_str(&format!(";c={},{},{}", c.rio, c.key, b64url(&c.signature)));
        }
        Ok(s)
    }
}

/// The QR code's content, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrPayload {
    /// SHA-256 of the document's canonical bytes.
    pub digest: [u8; 32],
    /// Fingerprint of the author's key.
    pub author_key: String,
    /// The author's signature.
    pub signature: Vec<u8>,
    /// The countersignature: RIO, key fingerprint, signature.
    pub countersignature: Option<(String, String, Vec<u8>)>,
}

impl QrPayload {
    /// Parses [`Proof::qr_text`]'s output; the error names the part at fault.
    pub fn parse(text: &str) -> Result<QrPayload, String> {
        let mut parts = text.trim().split(';');
        if parts.next() != Some("VIGIE1") {
            return Err("QR code: not a Vigie document (VIGIE1 expected)".into());
        }
        let (mut digest, mut author_key, mut signature, mut countersignature) = (None, None, None, None);
        for part in parts {
            let (k, v) = part.split_once('=').ok_or_else(|| format!("QR code: `{part}` is not key=value"))?;
            match k {
                "d" => {
                    let bytes = unhex(v).filter(|b| b.len() == 32).ok_or("QR code: d (digest) is not 64 hex digits")?;
                    digest = Some(<[u8; 32]>::try_from(bytes).expect("32 bytes"));
                }
                "a" => author_key = Some(v.to_string()),
                "s" => signature = Some(unb64url(v).ok_or("QR code: s (signature) is not base64url")?),
                "c" => {
                    let mut f = v.splitn(3, ',');
                    let (rio, key, sig) = (f.next(), f.next(), f.next());
                    let (Some(rio), Some(key), Some(sig)) = (rio, key, sig) else {
                        return Err("QR code: c is RIO,key,signature".into());
                    };
                    let sig = unb64url(sig).ok_or("QR code: c's signature is not base64url")?;
                    countersignature = Some((rio.to_string(), key.to_string(), sig));
                }
                other => return Err(format!("QR code: unknown part `{other}`")),
            }
        }
        Ok(QrPayload {
            digest: digest.ok_or("QR code: d (digest) missing")?,
            author_key: author_key.ok_or("QR code: a (author key) missing")?,
            signature: signature.ok_or("QR code: s (signature) missing")?,
            countersignature,
        })
    }
}

/// An enrolled key, as the platform's directory knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownKey {
    /// The key.
    pub public_key: PublicKey,
    /// Its device id.
    pub device: u64,
    /// Its user's RIO.
    pub rio: String,
    /// Its user's name.
    pub name: String,
    /// Its user's unit.
    pub unit: String,
    /// Whether its user is a supervisor.
    pub supervisor: bool,
    /// Whether the device was revoked since (signatures made before stay valid; said).
    pub revoked: bool,
}

/// A signer the check accepted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Signer {
    /// RIO.
    pub rio: String,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Key fingerprint.
    pub key: String,
    /// The device was revoked after signing.
    pub revoked_since: bool,
}

/// What a successful check establishes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verified {
    /// The document's id.
    pub id: String,
    /// SHA-256 of its canonical bytes, hex.
    pub digest: String,
    /// The author.
    pub author: Signer,
    /// The supervisor who countersigned, if any.
    pub countersigned_by: Option<Signer>,
}

/// Why a proof is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The document has no canonical form.
    #[error("{0}")]
    Encode(String),
    /// No enrolled key has this fingerprint.
    #[error("the {who}'s key {key} is not enrolled on this platform")]
    UnknownKey {
        /// "author" or "supervisor".
        who: &'static str,
        /// The fingerprint.
        key: String,
    },
    /// The key belongs to someone else than the document says.
    #[error("the {who}'s key {key} belongs to {owner}, not {claimed}")]
    NotTheirKey {
        /// "author" or "supervisor".
        who: &'static str,
        /// The fingerprint.
        key: String,
        /// Whose it is.
        owner: String,
        /// Who the document names.
        claimed: String,
    },
    /// A signature does not match: the document was changed, or signed by another key.
    #[error("the {who}'s signature does not match the document: it was altered or not signed by this key")]
    BadSignature {
        /// "author" or "supervisor".
        who: &'static str,
    },
    /// The countersigner is not a supervisor of the author's unit.
    #[error("{rio} is not a supervisor of unit {unit}")]
    NotSupervisor {
        /// The countersigner.
        rio: String,
        /// The document's unit.
        unit: String,
    },
}

/// Checks `proof` against the enrolled keys `keys` (looked up by fingerprint).
pub fn verify(proof: &Proof, keys: impl Fn(&str) -> Option<KnownKey>) -> Result<Verified, VerifyError> {
    let d = &proof.document;
    let digest = d.digest().map_err(|e| VerifyError::Encode(e.to_string()))?;
    let message = d.signing_message().map_err(|e| VerifyError::Encode(e.to_string()))?;
    let author = keys(&proof.author_key)
        .ok_or_else(|| VerifyError::UnknownKey { who: "author", key: proof.author_key.clone() })?;
    if author.rio != d.author || author.device != d.device {
        return Err(VerifyError::NotTheirKey {
            who: "author",
            key: proof.author_key.clone(),
            owner: author.rio,
            claimed: d.author.clone(),
        });
    }
    auth::verify(&author.public_key, &message, &proof.signature)
        .map_err(|_| VerifyError::BadSignature { who: "author" })?;
    let countersigned_by = match &proof.countersignature {
        None => None,
        Some(c) => {
            let k = keys(&c.key).ok_or_else(|| VerifyError::UnknownKey { who: "supervisor", key: c.key.clone() })?;
            if k.rio != c.rio {
                return Err(VerifyError::NotTheirKey {
                    who: "supervisor",
                    key: c.key.clone(),
                    owner: k.rio,
                    claimed: c.rio.clone(),
                });
            }
            if !k.supervisor || k.unit != d.unit {
                return Err(VerifyError::NotSupervisor { rio: c.rio.clone(), unit: d.unit.clone() });
            }
            auth::verify(&k.public_key, &countersign_message(&digest, Decision::Countersigned, &c.rio), &c.signature)
                .map_err(|_| VerifyError::BadSignature { who: "supervisor" })?;
            Some(signer(&k, &c.key))
        }
    };
    Ok(Verified {
        id: d.id.clone(),
        digest: hex(&digest),
        author: signer(&author, &proof.author_key),
        countersigned_by,
    })
}

fn signer(k: &KnownKey, key: &str) -> Signer {
    Signer { rio: k.rio.clone(), name: k.name.clone(), unit: k.unit.clone(), key: key.into(), revoked_since: k.revoked }
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64url(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::DocumentKind;
    use chrono::TimeZone;
    use ed25519_dalek::{Signer as _, SigningKey};

    fn key(n: u8) -> SigningKey {
        SigningKey::from_bytes(&[n; 32])
    }

    fn known(k: &SigningKey, device: u64, rio: &str, supervisor: bool) -> KnownKey {
        KnownKey {
            public_key: k.verifying_key().to_bytes(),
            device,
            rio: rio.into(),
            name: format!("Agent {rio}"),
            unit: "DSP-98".into(),
            supervisor,
            revoked: false,
        }
    }

    fn proof() -> (Proof, Vec<KnownKey>) {
        let officer = key(1);
        let supervisor = key(2);
        let document = Document {
            id: "0123456789abcdef0123456789abcdef".into(),
            kind: DocumentKind::Requisition,
            author: "DEMO-001".into(),
            device: 1,
            unit: "DSP-98".into(),
            created_at: chrono::Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap(),
            replaces: None,
            body: serde_json::json!({ "facts": "Vol à l'arraché" }),
        };
        let signature = officer.sign(&document.signing_message().unwrap()).to_bytes().to_vec();
        let digest = document.digest().unwrap();
        let mut p = Proof::new(SignedDocument { document, signature }, &officer.verifying_key().to_bytes());
        p.countersignature = Some(Countersignature {
            rio: "SUP-001".into(),
            key: auth::fingerprint(&supervisor.verifying_key().to_bytes()),
            at: chrono::Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap(),
            signature: supervisor
                .sign(&countersign_message(&digest, Decision::Countersigned, "SUP-001"))
                .to_bytes()
                .to_vec(),
        });
        (p, vec![known(&officer, 1, "DEMO-001", false), known(&supervisor, 2, "SUP-001", true)])
    }

    fn directory(keys: &[KnownKey]) -> impl Fn(&str) -> Option<KnownKey> + '_ {
        move |fp| keys.iter().find(|k| auth::fingerprint(&k.public_key) == fp).cloned()
    }

    #[test]
    fn a_countersigned_proof_verifies_and_survives_json() {
        let (p, keys) = proof();
        let v = verify(&p, directory(&keys)).unwrap();
        assert_eq!(v.author.rio, "DEMO-001");
        assert_eq!(v.countersigned_by.unwrap().rio, "SUP-001");
        let back: Proof = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn every_alteration_is_refused_and_named() {
        let (p, keys) = proof();
        let mut changed = p.clone();
        changed.document.body["facts"] = "Vol à l'arrachée".into();
        assert_eq!(verify(&changed, directory(&keys)), Err(VerifyError::BadSignature { who: "author" }));

        let mut other_author = p.clone();
        other_author.document.author = "SUP-001".into();
        assert!(matches!(verify(&other_author, directory(&keys)), Err(VerifyError::NotTheirKey { who: "author", .. })));

        let mut forged = p.clone();
        forged.countersignature.as_mut().unwrap().rio = "DEMO-001".into();
        forged.countersignature.as_mut().unwrap().key = p.author_key.clone();
        assert_eq!(
            verify(&forged, directory(&keys)),
            Err(VerifyError::NotSupervisor { rio: "DEMO-001".into(), unit: "DSP-98".into() })
        );

        let mut bad_counter = p.clone();
        bad_counter.countersignature.as_mut().unwrap().signature[0] ^= 1;
        assert_eq!(verify(&bad_counter, directory(&keys)), Err(VerifyError::BadSignature { who: "supervisor" }));

        assert!(matches!(verify(&p, directory(&keys[1..])), Err(VerifyError::UnknownKey { who: "author", .. })));

        let mut other_unit = keys.clone();
        other_unit[1].unit = "DSP-06".into();
        assert!(matches!(verify(&p, directory(&other_unit)), Err(VerifyError::NotSupervisor { .. })));
    }

    #[test]
    fn the_qr_text_is_short_and_parses_back() {
        let (p, _) = proof();
        let text = p.qr_text().unwrap();
        assert!(text.len() < 360, "{} characters", text.len());
        let q = QrPayload::parse(&text).unwrap();
        assert_eq!(q.digest, p.document.digest().unwrap());
        assert_eq!(q.signature, p.signature);
        assert_eq!(q.countersignature.unwrap().0, "SUP-001");
        assert!(QrPayload::parse("VIGIE1;d=00;a=x;s=AA").unwrap_err().contains("digest"));
        assert!(QrPayload::parse("https://example.org").unwrap_err().contains("VIGIE1"));
    }
}
