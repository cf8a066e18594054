//! The platform's storage, the same tests on both engines: a SQLite file, and a throw-away
//! PostgreSQL cluster on loopback that `cargo xtask test` starts (it sets
//! `VIGIE_TEST_POSTGRES_URL` and `VIGIE_REQUIRE_POSTGRES=1`, so CI can never skip it).

use std::sync::Arc;

use chrono::Utc;
use vigie_core::audit::verify_chain;
use vigie_core::document::{Document, DocumentKind, DocumentStatus};
use vigie_core::sync::{build_update, Area, Replica};
use vigie_core::{Camera, CameraId, LatLon, LocalFrame};
use vigie_server::audit::Actor;
use vigie_server::db::{Db, DbError, DocumentDecision, NewDocument, NewSubmission, Received, Submitted};
use vigie_server::model::{DeviceState, NewUser, Role};

/// A fresh database on one engine, and a way to run raw SQL on it (to tamper, as someone
/// with access to the database would).
struct Engine {
    name: &'static str,
    db: Arc<Db>,
    raw: Box<dyn Fn(&str)>,
    _dir: tempfile::TempDir,
}

/// A fresh database on each engine.
fn engines() -> Vec<Engine> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("platform.sqlite3");
    let sqlite = Arc::new(Db::open_sqlite(&path).unwrap());
    let raw_sqlite = Box::new(move |sql: &str| rusqlite::Connection::open(&path).unwrap().execute_batch(sql).unwrap());
    let mut out = vec![Engine { name: "SQLite", db: sqlite, raw: raw_sqlite, _dir: dir }];
    match std::env::var("VIGIE_TEST_POSTGRES_URL") {
        Ok(base) => {
            let name = format!("vigie_{}", hex_random());
            let mut admin =
                postgres::Client::connect(&base, postgres::NoTls).expect("the test PostgreSQL cluster answers");
            admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
            let url = format!("{}/{name}", base.rsplit_once('/').unwrap().0);
            let pg = Arc::new(Db::open_postgres(&url).unwrap());
            let raw_pg = Box::new(move |sql: &str| {
                postgres::Client::connect(&url, postgres::NoTls).unwrap().batch_execute(sql).unwrap()
            });
            out.push(Engine { name: "PostgreSQL", db: pg, raw: raw_pg, _dir: tempfile::tempdir().unwrap() });
        }
        Err(_) if std::env::var_os("VIGIE_REQUIRE_POSTGRES").is_some() => {
            panic!("VIGIE_REQUIRE_POSTGRES is set but VIGIE_TEST_POSTGRES_URL is not: the PostgreSQL half cannot run")
        }
        Err(_) => eprintln!(
            "PostgreSQL half NOT run: no VIGIE_TEST_POSTGRES_URL (`cargo xtask test` starts a cluster and sets it)"
        ),
    }
    out
}

fn hex_random() -> String {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).unwrap();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn entry(action: &str) -> vigie_core::audit::NewAuditEntry {
    Actor::console().entry(action, serde_json::json!({}))
}

fn setup_people(db: &Db) -> i64 {
    db.add_unit("BT-38", "Brigade de Grenoble", entry("unit.add")).unwrap();
    let u = NewUser {
        rio: "RIO-1".into(),
        name: "Camille".into(),
        rank: "adjudant".into(),
        qualite: "OPJ".into(),
        unit: "BT-38".into(),
        role: Role::Officer,
    };
    db.add_user(&u, Utc::now(), entry("user.add")).unwrap();
    db.request_enrolment(&[7; 32], "RIO-1", "Pixel", Utc::now(), entry("device.enrol")).unwrap()
}

#[test]
fn accounts_devices_and_sessions_behave_the_same_on_both_engines() {
    for Engine { name: engine, db, .. } in engines() {
        let device = setup_people(&db);
        assert!(
            matches!(db.add_unit("BT-38", "again", entry("unit.add")), Err(DbError::Exists(m)) if m == "unit BT-38"),
            "{engine}"
        );
        let u = NewUser {
            rio: "RIO-2".into(),
            name: "x".into(),
            rank: "x".into(),
            qualite: "APJ".into(),
            unit: "NOPE".into(),
            role: Role::Officer,
        };
        assert!(
            matches!(db.add_user(&u, Utc::now(), entry("user.add")), Err(DbError::NotFound(m)) if m == "unit NOPE"),
            "{engine}"
        );
        assert!(
            matches!(db.request_enrolment(&[7; 32], "RIO-1", "again", Utc::now(), entry("x")), Err(DbError::Exists(_))),
            "{engine}: same key twice"
        );

        assert_eq!(db.device(device).unwrap().state, DeviceState::Pending, "{engine}");
        db.decide_device(device, DeviceState::Approved, "admin", Utc::now(), entry("device.approve")).unwrap();
        let nonce = [1u8; 32];
        db.add_challenge(device, &nonce, Utc::now() + chrono::Duration::seconds(60)).unwrap();
        assert!(db.take_challenge(device, &nonce, Utc::now()).unwrap(), "{engine}");
        assert!(!db.take_challenge(device, &nonce, Utc::now()).unwrap(), "{engine}: a challenge is used once");
        let token = [2u8; 32];
        db.add_token(&token, device, Utc::now() + chrono::Duration::minutes(15), entry("auth.login")).unwrap();
        let p = db.principal(&token, Utc::now()).unwrap().unwrap();
        assert_eq!((p.rio.as_str(), p.role, p.unit.as_str()), ("RIO-1", Role::Officer, "BT-38"), "{engine}");
        assert!(
            db.principal(&token, Utc::now() + chrono::Duration::minutes(16)).unwrap().is_none(),
            "{engine}: expired"
        );
        db.decide_device(device, DeviceState::Revoked, "admin", Utc::now(), entry("device.revoke")).unwrap();
        assert!(db.principal(&token, Utc::now()).unwrap().is_none(), "{engine}: revoked at once");
    }
}

fn camera(id: &str, east: f64) -> Camera {
    Camera::fixed_at(id, LocalFrame::new(LatLon::new(43.7384, 7.4246).unwrap()).unproject(east, 0.0).unwrap(), vec![])
}

#[test]
fn the_registry_versions_and_deltas_are_the_same_on_both_engines() {
    for Engine { name: engine, db, .. } in engines() {
        let cams: Vec<Camera> = (0..20).map(|i| camera(&format!("c{i:02}"), i as f64 * 30.0)).collect();
        let s = db.import(&cams, "test", |_| entry("registry.import")).unwrap();
        assert_eq!((s.version, s.inserted), (1, 20), "{engine}");
        let again = db.import(&cams, "test", |_| entry("registry.import")).unwrap();
        assert_eq!((again.version, again.unchanged), (1, 20), "{engine}: re-import changes nothing");
        let area = Area::new(43.0, 7.0, 44.0, 8.0).unwrap();
        let mut replica = Replica::default();
        let (v, rows) = db.rows_since(None).unwrap();
        replica.apply(build_update(rows, None, v, area)).unwrap();
        let mut changed = cams[3].clone();
        changed.retention_days = Some(7);
        db.import(&[changed, camera("c99", 700.0)], "test", |_| entry("registry.import")).unwrap();
        db.delete_cameras(&[CameraId("c05".into())], entry("registry.delete")).unwrap();
        let (v, rows) = db.rows_since(replica.version).unwrap();
        assert_eq!((v, rows.len()), (3, 3), "{engine}: only what changed since version 1");
        replica.apply(build_update(rows, Some(1), v, area)).unwrap();
        let (v, all) = db.rows_since(None).unwrap();
        let mut fresh = Replica::default();
        fresh.apply(build_update(all, None, v, area)).unwrap();
        assert_eq!(replica, fresh, "{engine}");
        assert_eq!(fresh.cameras.len(), 20, "{engine}: 20 + 1 − 1");
        assert_eq!(fresh.cameras[&CameraId("c03".into())].retention_days, Some(7), "{engine}");
    }
}

#[test]
fn documents_are_stored_once_even_when_pushed_concurrently() {
    for Engine { name: engine, db, .. } in engines() {
        let device = setup_people(&db);
        let doc = Document {
            id: "0123456789abcdef0123456789abcdef".into(),
            kind: DocumentKind::Requisition,
            author: "RIO-1".into(),
            device: device as u64,
            unit: "BT-38".into(),
            created_at: Utc::now(),
            replaces: None,
            body: serde_json::json!({ "procedure": "2026/1" }),
        };
        let canonical = doc.canonical_bytes().unwrap();
        let digest = doc.digest().unwrap();
        let outcomes: Vec<Received> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..50)
                .map(|_| {
                    let (db, canonical, doc) = (&db, &canonical, &doc);
                    s.spawn(move || {
                        let new = NewDocument {
                            id: &doc.id,
                            kind: "requisition",
                            author: "RIO-1",
                            device,
                            unit: "BT-38",
                            created_at: doc.created_at,
                            replaces: None,
                            canonical,
                            signature: &[9; 64],
                            digest,
                            received_at: Utc::now(),
                        };
                        db.receive_document(&new, entry("requisition.receive")).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(outcomes.iter().filter(|o| **o == Received::New).count(), 1, "{engine}");
        assert_eq!(
            outcomes.iter().filter(|o| **o == Received::Already(DocumentStatus::Received)).count(),
            49,
            "{engine}"
        );
        let decision = DocumentDecision {
            from: DocumentStatus::Received,
            to: DocumentStatus::Returned,
            by: "SUP-1",
            device,
            at: Utc::now(),
            comment: Some("Préciser"),
            countersignature: None,
        };
        db.decide_document(&doc.id, &decision, entry("requisition.return")).unwrap();
        assert!(
            matches!(db.decide_document(&doc.id, &decision, entry("requisition.return")), Err(DbError::Exists(_))),
            "{engine}"
        );
        let stored = db.document(&doc.id).unwrap();
        assert_eq!(
            (stored.status, stored.comment.as_deref()),
            (DocumentStatus::Returned, Some("Préciser")),
            "{engine}"
        );
        assert_eq!(stored.proof.document.body["procedure"], "2026/1", "{engine}");
    }
}

#[test]
fn submissions_and_the_audit_chain_behave_the_same_on_both_engines() {
    for Engine { name: engine, db, raw, .. } in engines() {
        let device = setup_people(&db);
        let mut cam = camera("dev1:00000001", 10.0);
        cam.kind = vigie_core::CameraKind::Private;
        let body = serde_json::to_string(&cam).unwrap();
        let sub = NewSubmission {
            id: &cam.id.0,
            author: "RIO-1",
            device,
            unit: "BT-38",
            body: &body,
            duplicate_of: None,
            at: Utc::now(),
        };
        assert_eq!(db.submit_camera(&sub, entry("private_camera.submit")).unwrap(), Submitted::New, "{engine}");
        assert_eq!(db.submit_camera(&sub, entry("private_camera.submit")).unwrap(), Submitted::Already, "{engine}");
        assert_eq!(db.pending_submissions().unwrap().len(), 1, "{engine}");
        db.decide_submission(&cam.id.0, "accepted", Some(&cam), "ADM-1", None, entry("private_camera.accepted"))
            .unwrap();
        assert!(
            matches!(
                db.decide_submission(&cam.id.0, "refused", None, "ADM-1", None, entry("x")),
                Err(DbError::Exists(_))
            ),
            "{engine}"
        );
        assert!(
            matches!(
                db.decide_submission("nope", "refused", None, "ADM-1", None, entry("x")),
                Err(DbError::NotFound(_))
            ),
            "{engine}"
        );
        assert_eq!(db.registry_version().unwrap(), 1, "{engine}");

        let (log, head) = db.audit_log().unwrap();
        // unit, user, enrolment, submission, acceptance: retries and refusals write nothing.
        assert_eq!(verify_chain(&log, head).unwrap(), 5, "{engine}");
        // A change made directly in the database is caught.
        raw("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2");
        let (log, head) = db.audit_log().unwrap();
        assert_eq!(
            verify_chain(&log, head).unwrap_err().to_string(),
            "entry 2: its content does not match its hash (changed after it was written)",
            "{engine}"
        );
    }
}
