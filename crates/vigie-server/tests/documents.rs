//! Signed documents through the real server: accepted once whatever the retries, refused
//! when tampered, replayed by another author or signed by a revoked device; reviewed by
//! the supervisors of the author's unit only.

use crate::common;

use crate::common::{Device, TestServer};
use ed25519_dalek::Signer;
use vigie_core::document::{countersign_message, Decision, Document, DocumentKind, SignedDocument};
use vigie_server::model::{DeviceState, Role};

fn document(author: &Device, unit: &str, id: &str) -> Document {
    Document {
        id: id.into(),
        kind: DocumentKind::Requisition,
        author: author.rio.clone(),
        device: author.id.unwrap() as u64,
        unit: unit.into(),
        created_at: chrono::Utc::now(),
        replaces: None,
        body: serde_json::json!({ "procedure": "2026/001234", "legal_basis": { "article": "60-1" } }),
    }
}

fn sign(by: &Device, d: Document) -> SignedDocument {
    let signature = by.key.sign(&d.signing_message().unwrap()).to_bytes().to_vec();
    SignedDocument { document: d, signature }
}

async fn push(s: &TestServer, by: &Device, doc: &SignedDocument) -> (u16, serde_json::Value) {
    let r = s.http.post(s.url("/v1/documents")).bearer_auth(by.token.as_ref().unwrap()).json(doc).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

async fn decide(s: &TestServer, by: &Device, id: &str, what: &str, body: serde_json::Value) -> u16 {
    let url = s.url(&format!("/v1/documents/{id}/{what}"));
    s.http.post(url).bearer_auth(by.token.as_ref().unwrap()).json(&body).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn the_same_document_pushed_50_times_at_once_is_stored_once() {
    let s = TestServer::start().await;
    s.add_unit("BT-38");
    let officer = s.session("OFF-1", "BT-38", Role::Officer).await;
    let doc = sign(&officer, document(&officer, "BT-38", "a1b2c3d4e5f60718293a4b5c6d7e8f90"));
    let pushes = (0..50).map(|_| {
        let (http, url, token, doc) =
            (s.http.clone(), s.url("/v1/documents"), officer.token.clone().unwrap(), doc.clone());
        tokio::spawn(
            async move { http.post(url).bearer_auth(token).json(&doc).send().await.unwrap().status().as_u16() },
        )
    });
    let mut statuses = Vec::new();
    for p in pushes {
        statuses.push(p.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 49, "{statuses:?}");
    let (_, mine) = officer.get(&s, "/v1/documents").await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let conn = rusqlite::Connection::open(s.db_path()).unwrap();
    let n: i64 = conn.query_row("SELECT count(*) FROM documents", [], |r| r.get(0)).unwrap();
    let received: i64 = conn
        .query_row("SELECT count(*) FROM audit_log WHERE action = 'requisition.receive'", [], |r| r.get(0))
        .unwrap();
    assert_eq!((n, received), (1, 1));
}

#[tokio::test]
async fn tampered_replayed_and_revoked_documents_are_refused() {
    let s = TestServer::start().await;
    s.add_unit("BT-38");
    let officer = s.session("OFF-1", "BT-38", Role::Officer).await;
    let colleague = s.session("OFF-2", "BT-38", Role::Officer).await;

    // Tampered: one character of the body changed after signing.
    let mut tampered = sign(&officer, document(&officer, "BT-38", "0000000000000000000000000000000a"));
    tampered.document.body["procedure"] = serde_json::json!("2026/001235");
    let (status, body) = push(&s, &officer, &tampered).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("bad_signature")));

    // Replayed: a colleague pushes the officer's genuine document from their own session.
    let genuine = sign(&officer, document(&officer, "BT-38", "0000000000000000000000000000000b"));
    assert_eq!(push(&s, &colleague, &genuine).await.0, 403);
    // …or rewrites the author to themselves: the signature no longer matches.
    let mut claimed = genuine.clone();
    claimed.document.author = colleague.rio.clone();
    claimed.document.device = colleague.id.unwrap() as u64;
    assert_eq!(push(&s, &colleague, &claimed).await.0, 422);
    // The same id with other content, even validly signed, does not replace the first.
    assert_eq!(push(&s, &officer, &genuine).await.0, 201);
    let mut other = document(&officer, "BT-38", "0000000000000000000000000000000b");
    other.body["procedure"] = serde_json::json!("2026/999999");
    assert_eq!(push(&s, &officer, &sign(&officer, other)).await.0, 409);

    // Revoked: a document signed offline by a device revoked before it synced, pushed from
    // the officer's second, approved device.
    let mut old_phone = Device::new("OFF-1");
    old_phone.enrol(&s).await.unwrap();
    s.approve(old_phone.id.unwrap());
    old_phone.login(&s).await.unwrap();
    let signed_offline = sign(&old_phone, document(&old_phone, "BT-38", "0000000000000000000000000000000c"));
    s.decide(old_phone.id.unwrap(), DeviceState::Revoked);
    assert_eq!(push(&s, &old_phone, &signed_offline).await.0, 401, "the revoked device has no session");
    assert_eq!(push(&s, &officer, &signed_offline).await.0, 403, "nor can another device push it");
}

#[tokio::test]
async fn review_by_role_and_unit_with_no_leak() {
    let s = TestServer::start().await;
    s.add_unit("BT-38");
    s.add_unit("BT-73");
    let officer = s.session("OFF-1", "BT-38", Role::Officer).await;
    let supervisor = s.session("SUP-1", "BT-38", Role::Supervisor).await;
    let other_supervisor = s.session("SUP-2", "BT-73", Role::Supervisor).await;
    let csu = s.session("CSU-1", "BT-38", Role::CsuOperator).await;
    let admin = s.session("ADM-1", "BT-38", Role::Admin).await;
    let d1 = sign(&officer, document(&officer, "BT-38", "1111111111111111111111111111111a"));
    let d2 = sign(&officer, document(&officer, "BT-38", "1111111111111111111111111111111b"));
    assert_eq!(push(&s, &officer, &d1).await.0, 201);
    assert_eq!(push(&s, &officer, &d2).await.0, 201);

    let (status, pending) = supervisor.get(&s, "/v1/review").await;
    assert_eq!(status, 200);
    assert_eq!(pending.as_array().unwrap().len(), 2);
    let (status, pending) = other_supervisor.get(&s, "/v1/review").await;
    assert_eq!((status, pending.as_array().unwrap().len()), (200, 0), "another unit's supervisor sees nothing");
    for (who, name) in [(&officer, "officer"), (&csu, "csu_operator"), (&admin, "admin")] {
        assert_eq!(who.get(&s, "/v1/review").await.0, 403, "{name} reviews");
        assert_eq!(
            decide(&s, who, &d1.document.id, "return", serde_json::json!({ "comment": "x" })).await,
            403,
            "{name} returns"
        );
    }
    let (_, others) = other_supervisor.get(&s, "/v1/documents").await;
    assert_eq!(others.as_array().unwrap().len(), 0, "only one's own documents");

    // Countersign: another unit's supervisor cannot even see it; the unit's can.
    let digest = d1.document.digest().unwrap();
    let sig = |by: &Device| {
        common::b64(&by.key.sign(&countersign_message(&digest, Decision::Countersigned, &by.rio)).to_bytes())
    };
    let foreign = serde_json::json!({ "signature": sig(&other_supervisor) });
    assert_eq!(decide(&s, &other_supervisor, &d1.document.id, "countersign", foreign).await, 404);
    let forged = serde_json::json!({ "signature": sig(&other_supervisor) });
    assert_eq!(
        decide(&s, &supervisor, &d1.document.id, "countersign", forged).await,
        422,
        "signed by someone else's key"
    );
    let good = serde_json::json!({ "signature": sig(&supervisor) });
    assert_eq!(decide(&s, &supervisor, &d1.document.id, "countersign", good.clone()).await, 204);
    assert_eq!(decide(&s, &supervisor, &d1.document.id, "countersign", good).await, 409, "decided once");
    assert_eq!(decide(&s, &supervisor, &d2.document.id, "return", serde_json::json!({ "comment": " " })).await, 400);
    let back = serde_json::json!({ "comment": "Préciser la fenêtre horaire" });
    assert_eq!(decide(&s, &supervisor, &d2.document.id, "return", back).await, 204);

    // The officer sees the outcomes.
    let (_, mine) = officer.get(&s, "/v1/documents").await;
    let status_of = |id: &str| mine.as_array().unwrap().iter().find(|d| d["id"] == id).unwrap().clone();
    assert_eq!(status_of(&d1.document.id)["status"], "countersigned");
    assert_eq!(status_of(&d1.document.id)["countersigned_by"], "SUP-1");
    assert_eq!(status_of(&d2.document.id)["status"], "returned");
    assert_eq!(status_of(&d2.document.id)["comment"], "Préciser la fenêtre horaire");
    let (_, pending) = supervisor.get(&s, "/v1/review").await;
    assert_eq!(pending.as_array().unwrap().len(), 0);

    // The CSU records the rest of its life; the officer sees it; no step is skipped back.
    let status = |st: &str| serde_json::json!({ "status": st, "comment": "remise en main propre" });
    assert_eq!(decide(&s, &officer, &d1.document.id, "status", status("sent_to_holder")).await, 403);
    assert_eq!(
        decide(&s, &csu, &d2.document.id, "status", status("sent_to_holder")).await,
        409,
        "a returned document is not sent"
    );
    assert_eq!(decide(&s, &csu, &d1.document.id, "status", status("received")).await, 400);
    for step in ["sent_to_holder", "acknowledged", "fulfilled"] {
        assert_eq!(decide(&s, &csu, &d1.document.id, "status", status(step)).await, 204, "{step}");
    }
    assert_eq!(decide(&s, &admin, &d1.document.id, "status", status("acknowledged")).await, 409);
    let (_, mine) = officer.get(&s, "/v1/documents").await;
    let d = mine.as_array().unwrap().iter().find(|d| d["id"] == d1.document.id.as_str()).unwrap();
    assert_eq!((d["status"].as_str(), d["countersigned_by"].as_str()), (Some("fulfilled"), Some("SUP-1")));
}
