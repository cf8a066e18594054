//! Test vectors of the document encoding: canonical bytes, digest and signature of fixed
//! documents under a fixed key. They pin the format: a change that alters them breaks
//! every signature already made, so it needs a new tag (`vigie-doc-v2`), not new vectors.
//!
//! To write the file after adding a vector (never to "fix" one): `VIGIE_BLESS=1 cargo test
//! -p vigie-core --test document_vectors`.

use std::path::PathBuf;

use chrono::TimeZone;
use ed25519_dalek::{Signer, SigningKey};
use vigie_core::document::{countersign_message, Decision, Document, DocumentKind};

fn documents() -> Vec<Document> {
    let at = chrono::Utc.with_ymd_and_hms(2026, 11, 21, 23, 5, 0).unwrap();
    vec![
        Document {
            id: "3f2a9c1e0b7d4e8f9a6b5c4d3e2f1a0b".into(),
            kind: DocumentKind::Requisition,
            author: "1234567".into(),
            device: 12,
            unit: "BT-38".into(),
            created_at: at,
            replaces: None,
            body: serde_json::json!({
                "legal_basis": {"article": "60-1"},
                "procedure": "2026/001234",
                "facts": "Vol avec violence, « rue Félix-Poulat »",
                "window": {"from": "2026-11-21T21:30:00Z", "to": "2026-11-21T22:15:00Z", "tz": "Europe/Paris"},
                "cameras": [{"id": "osm:node/6459866647", "direction": 240.0}],
            }),
        },
        Document {
            id: "00000000000000000000000000000001".into(),
            kind: DocumentKind::Preservation,
            author: "7654321".into(),
            device: 3,
            unit: "CSU-GRE".into(),
            created_at: at,
            replaces: Some("3f2a9c1e0b7d4e8f9a6b5c4d3e2f1a0b".into()),
            body: serde_json::json!({"note": "tab\tquote\"back\\slash\u{1}"}),
        },
    ]
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn document_encoding_matches_the_vectors() {
    let key = SigningKey::from_bytes(&[42; 32]);
    let computed: Vec<serde_json::Value> = documents()
        .iter()
        .map(|d| {
            let canonical = String::from_utf8(d.canonical_bytes().unwrap()).unwrap();
            let signature = key.sign(&d.signing_message().unwrap()).to_bytes();
            let countersign =
                key.sign(&countersign_message(&d.digest().unwrap(), Decision::Countersigned, "SUP-1")).to_bytes();
            serde_json::json!({
                "canonical": canonical,
                "sha256": hex(&d.digest().unwrap()),
                "public_key": hex(key.verifying_key().as_bytes()),
                "signature": hex(&signature),
                "countersignature_by_SUP-1": hex(&countersign),
            })
        })
        .collect();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/document-v1.json");
    if std::env::var_os("VIGIE_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&computed).unwrap() + "\n").unwrap();
    }
    let expected: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(computed, expected);
}
