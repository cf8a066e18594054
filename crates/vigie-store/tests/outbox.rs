//! The outbox keeps signed documents across restarts, with their delivery, statuses and history.

use chrono::TimeZone;
use ed25519_dalek::{Signer, SigningKey};
use vigie_core::document::{Document, DocumentKind, DocumentStatus, SignedDocument};
use vigie_core::outbox::{CancelError, OutboxState, PushResult};
use vigie_core::proof::{Countersignature, Proof};
use vigie_core::Timestamp;
use vigie_store::{Store, StoreError};

fn t(m: u32) -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 11, 22, 9, m, 0).unwrap()
}

fn proof(id: &str) -> Proof {
    let key = SigningKey::from_bytes(&[3; 32]);
    let document = Document {
        id: id.into(),
        kind: DocumentKind::Requisition,
        author: "DEMO-001".into(),
        device: 1,
        unit: "DSP-98".into(),
        created_at: t(0),
        replaces: None,
        body: serde_json::json!({ "facts": "Vol à l'arraché" }),
    };
    let signature = key.sign(&document.signing_message().unwrap()).to_bytes().to_vec();
    Proof::new(SignedDocument { document, signature }, &key.verifying_key().to_bytes())
}

#[test]
fn a_queued_document_survives_a_restart_and_can_be_cancelled_until_a_push_begins() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    {
        let mut s = Store::open(&path).unwrap();
        s.queue_document(&proof("doc-aaaaaaaaaaaaaaaa"), t(0)).unwrap();
        s.queue_document(&proof("doc-bbbbbbbbbbbbbbbb"), t(1)).unwrap();
    }
    let mut s = Store::open(&path).unwrap();
    let all = s.outbox().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].proof.document.id, "doc-bbbbbbbbbbbbbbbb", "newest first");
    assert!(all.iter().all(|e| e.delivery.state == OutboxState::Queued && e.platform_status.is_none()));

    assert_eq!(s.outbox_queued().unwrap(), 2);
    s.cancel_document("doc-aaaaaaaaaaaaaaaa", t(2)).unwrap();
    assert_eq!(s.outbox_queued().unwrap(), 1);
    assert_eq!(s.outbox_entry("doc-aaaaaaaaaaaaaaaa").unwrap().delivery.state, OutboxState::Cancelled);

    // A push began (and the app died before it ended): no cancelling any more.
    s.begin_push("doc-bbbbbbbbbbbbbbbb", t(3)).unwrap();
    let mut s = Store::open(&path).unwrap();
    let err = s.cancel_document("doc-bbbbbbbbbbbbbbbb", t(4)).unwrap_err();
    assert!(matches!(err, StoreError::Cancel { source: CancelError::MayHaveLeft, .. }), "{err}");
    assert!(err.to_string().contains("peut-être"), "{err}");
}

#[test]
fn pushes_statuses_and_the_countersignature_are_kept_with_a_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path().join("store.sqlite")).unwrap();
    let id = "doc-cccccccccccccccc";
    s.queue_document(&proof(id), t(0)).unwrap();

    let before = s.begin_push(id, t(1)).unwrap();
    let mut d = s.outbox_entry(id).unwrap().delivery;
    d.after(PushResult::Transient("connexion réinitialisée".into()), t(1), 0.0, before.may_have_left);
    s.end_push(id, &d, t(1)).unwrap();
    let e = s.outbox_entry(id).unwrap();
    assert_eq!((e.delivery.attempts, e.delivery.state), (1, OutboxState::Queued));
    assert!(e.delivery.next_attempt_at.unwrap() > t(1));

    let before = s.begin_push(id, t(2)).unwrap();
    let mut d = s.outbox_entry(id).unwrap().delivery;
    d.after(PushResult::Accepted, t(2), 0.0, before.may_have_left);
    s.end_push(id, &d, t(2)).unwrap();

    assert!(s.record_platform_status(id, DocumentStatus::Received, None, None, t(3)).unwrap());
    assert!(!s.record_platform_status(id, DocumentStatus::Received, None, None, t(4)).unwrap(), "no change, no event");
    let c = Countersignature { rio: "SUP-001".into(), key: "ab".repeat(16), at: t(5), signature: vec![7; 64] };
    assert!(s.record_platform_status(id, DocumentStatus::Countersigned, None, Some(&c), t(5)).unwrap());
    let e = s.outbox_entry(id).unwrap();
    assert_eq!(e.platform_status, Some(DocumentStatus::Countersigned));
    assert_eq!(e.proof.countersignature, Some(c));

    let history: Vec<String> = s.document_history(id).unwrap().into_iter().map(|e| e.what).collect();
    assert_eq!(history, ["signed", "push_failed", "sent", "status", "status"]);
    assert!(matches!(s.outbox_entry("nope"), Err(StoreError::UnknownDocument(_))));
}
