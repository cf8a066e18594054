//! Signed documents: the envelope in which requisitions (and preservation requests) travel
//! from the officer's device to the platform, and the supervisor's countersignature.
//!
//! # Canonical bytes
//!
//! A document is signed over one encoding, defined here and never by a JSON library's
//! whims: the envelope as JSON with **object keys sorted by their UTF-8 bytes**, **no
//! whitespace**, strings escaped as JSON requires (`"`, `\`, control characters; nothing
//! else), numbers in their shortest round-trip form (`2.5`, `-0.001`, `1e+21`), `null`
//! fields written out.
//! The message signed is the ASCII tag `vigie-doc-v1`, a zero byte, then those bytes.
//! Test vectors live in `crates/vigie-core/tests/vectors/`.
//!
//! A signed document never changes: an amendment is a new document whose `replaces`
//! names the one it supersedes.

use sha2::{Digest, Sha256};

use crate::Timestamp;

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// A requisition for footage (CPP 60-1, 77-1-1, 99-3).
    Requisition,
    /// A request to preserve footage at once ("demande de gel des images").
    Preservation,
}

/// The document as signed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Document {
    /// Chosen by the device (128 random bits, hex): the document's identity everywhere.
    pub id: String,
    /// Kind.
    pub kind: DocumentKind,
    /// The author's RIO.
    pub author: String,
    /// The enrolled device that signs it.
    pub device: u64,
    /// The author's unit.
    pub unit: String,
    /// When it was signed (UTC).
    pub created_at: Timestamp,
    /// The document this one amends, if any.
    pub replaces: Option<String>,
    /// The content, as defined by the kind (see the requisition model).
    pub body: serde_json::Value,
}

/// A document and its author's Ed25519 signature over [`Document::signing_message`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SignedDocument {
    /// The document.
    pub document: Document,
    /// The signature, 64 bytes, base64 on the wire.
    #[serde(with = "b64")]
    pub signature: Vec<u8>,
}

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CanonicalError {
    /// The document does not serialise (cannot happen for well-formed values).
    #[error("the document cannot be encoded: {0}")]
    Encode(String),
}

impl Document {
    /// The canonical bytes (see the module documentation).
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, CanonicalError> {
        let value = serde_json::to_value(self).map_err(|e| CanonicalError::Encode(e.to_string()))?;
        let mut out = Vec::with_capacity(256);
        canonical_json(&value, &mut out);
        Ok(out)
    }

    /// What the author signs: the tag, a zero byte, the canonical bytes.
    pub fn signing_message(&self) -> Result<Vec<u8>, CanonicalError> {
        let mut m = b"vigie-doc-v1\0".to_vec();
        m.extend(self.canonical_bytes()?);
        Ok(m)
    }

    /// SHA-256 of the canonical bytes: what a printed document's QR code and a
    /// countersignature refer to.
    pub fn digest(&self) -> Result<[u8; 32], CanonicalError> {
        Ok(Sha256::digest(self.canonical_bytes()?).into())
    }
}

/// A supervisor's decision on a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Countersigned: the supervisor endorses the document as it is.
    Countersigned,
}

/// What a supervisor signs to countersign: the tag, the document's digest, the decision
/// and the supervisor's RIO, each length-prefixed.
pub fn countersign_message(digest: &[u8; 32], decision: Decision, supervisor_rio: &str) -> Vec<u8> {
    let mut m = b"vigie-countersign-v1\0".to_vec();
    m.extend_from_slice(digest);
    let d = match decision {
        Decision::Countersigned => "countersigned",
    };
    for field in [d, supervisor_rio] {
        m.extend_from_slice(&(field.len() as u32).to_be_bytes());
        m.extend_from_slice(field.as_bytes());
    }
    m
}

/// Where a document stands on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    /// Accepted by the platform, signature checked; waits for review.
    Received,
    /// Returned by the supervisor with a comment; the officer may amend it.
    Returned,
    /// Countersigned by a supervisor of the unit.
    Countersigned,
    /// Sent to the holder.
    SentToHolder,
    /// The holder acknowledged it.
    Acknowledged,
    /// The footage was delivered.
    Fulfilled,
}

impl DocumentStatus {
    /// Whether a document may move from `self` to `next`.
    pub fn can_become(self, next: DocumentStatus) -> bool {
        use DocumentStatus::*;
        matches!(
            (self, next),
            (Received, Returned)
                | (Received, Countersigned)
                | (Countersigned, SentToHolder)
                | (SentToHolder, Acknowledged)
                | (Acknowledged, Fulfilled)
                | (SentToHolder, Fulfilled)
        )
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentStatus::Received => "received",
            DocumentStatus::Returned => "returned",
            DocumentStatus::Countersigned => "countersigned",
            DocumentStatus::SentToHolder => "sent_to_holder",
            DocumentStatus::Acknowledged => "acknowledged",
            DocumentStatus::Fulfilled => "fulfilled",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<DocumentStatus> {
        use DocumentStatus::*;
        [Received, Returned, Countersigned, SentToHolder, Acknowledged, Fulfilled].into_iter().find(|d| d.as_str() == s)
    }
}

/// Writes `v` canonically (sorted keys, no whitespace).
pub fn canonical_json(v: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical_json(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                canonical_json(&map[k], out);
            }
            out.push(b'}');
        }
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\u{08}' => out.extend_from_slice(b"\\b"),
            '\u{0c}' => out.extend_from_slice(b"\\f"),
            c if (c as u32) < 0x20 => out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes()),
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

pub(crate) mod b64 {
    //! Base64 (standard alphabet, padded) for signatures on the wire.
    use base64::Engine;

    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|e| serde::de::Error::custom(format!("signature: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_and_escapes_only_what_json_requires() {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"b": [1, 2.5, -0.001, 1e21], "a": {"z": null, "é": "l'été \"chaud\"\n\u0001"}, "A": true}"#,
        )
        .unwrap();
        let mut out = Vec::new();
        canonical_json(&v, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"A":true,"a":{"z":null,"é":"l'été \"chaud\"\n\u0001"},"b":[1,2.5,-0.001,1e+21]}"#
        );
    }

    #[test]
    fn statuses_move_forward_only() {
        use DocumentStatus::*;
        assert!(Received.can_become(Countersigned));
        assert!(Received.can_become(Returned));
        assert!(!Returned.can_become(Countersigned), "a returned document is amended by a new one");
        assert!(!Countersigned.can_become(Received));
        assert!(!Fulfilled.can_become(Received));
        assert_eq!(DocumentStatus::parse("sent_to_holder"), Some(SentToHolder));
    }
}
