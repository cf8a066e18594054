//! Signed documents between the device and the real platform over loopback: the outbox,
//! the supervisor's countersignature, the printed PDF and its check; then 200 sync rounds
//! with the sync worker killed (SIGKILL) at random and a proxy that drops, stalls and
//! resets connections — the platform must end with exactly the documents signed.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ed25519_dalek::{Signer, SigningKey};
use vigie_client::Client;
use vigie_core::act::{ActContent, IssuingService, Officer, Qualite};
use vigie_core::document::{Document, DocumentKind, DocumentStatus, SignedDocument};
use vigie_core::outbox::OutboxState;
use vigie_core::proof::Proof;
use vigie_core::requisition::{LegalBasis, Window};
use vigie_core::{Camera, Holder, LatLon, View};
use vigie_server::audit::Actor;
use vigie_server::model::{NewUser, Role};
use vigie_store::Store;

struct Platform {
    db: Arc<vigie_server::db::Db>,
    base: String,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn platform() -> Platform {
    let dir = tempfile::tempdir().unwrap();
    let config = vigie_server::config::Config {
        database_url: format!("sqlite://{}", dir.path().join("platform.sqlite3").display()),
        ..Default::default()
    };
    let db = vigie_server::open_db(&config).unwrap();
    common::seed_officer(&db);
    let supervisor = NewUser {
        rio: "SUP-1".into(),
        name: "Cheffe".into(),
        rank: "capitaine".into(),
        qualite: "OPJ".into(),
        unit: "DSP-98".into(),
        role: Role::Supervisor,
    };
    db.add_user(&supervisor, chrono::Utc::now(), Actor::console().entry("user.add", serde_json::json!({}))).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(vigie_server::serve(listener, vigie_server::api::AppState::new(db.clone(), config), async {
        let _ = stopped.await;
    }));
    Platform { db, base, _dir: dir, _stop: stop }
}

/// An approved device of `rio`, logged in.
async fn device(p: &Platform, rio: &str, seed: u8) -> (Client, SigningKey, i64) {
    let key = SigningKey::from_bytes(&[seed; 32]);
    let mut client = Client::new(&p.base);
    let id = client.enrol(&key, rio, "terminal").await.unwrap();
    common::approve(&p.db, id);
    client.login(&key, id).await.unwrap();
    (client, key, id)
}

/// A requisition signed by `key` on device `device`, as the app makes it.
fn signed(key: &SigningKey, device: i64, n: u32) -> Proof {
    let holder = Holder { name: "Bijouterie du Casino".into(), ..Holder::default() };
    let mut cam = Camera::fixed_at(
        "osm-1",
        LatLon::new(43.7394, 7.4276).unwrap(),
        vec![View { azimuth_deg: 90.0, fov_deg: 60.0, range_m: 40.0 }],
    );
    cam.holder = Some(holder.clone());
    let now = chrono::Utc::now();
    let act = ActContent::new(
        DocumentKind::Requisition,
        IssuingService { name: "Sûreté publique".into(), unit: "DSP-98".into(), ..Default::default() },
        Officer { name: "Agent".into(), rank: "gardien".into(), qualite: Qualite::Opj, rio: "OFF-1".into() },
        &format!("2026/{n:06}"),
        LegalBasis::Flagrance,
        "Vol à l'arraché",
        holder,
        &[&cam],
        Window { from: now - chrono::Duration::hours(1), to: now },
        now,
    );
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).unwrap();
    let document = Document {
        id: vigie_core::proof::hex(&id),
        kind: DocumentKind::Requisition,
        author: "OFF-1".into(),
        device: device as u64,
        unit: "DSP-98".into(),
        created_at: now,
        replaces: None,
        body: act.to_body(),
    };
    let signature = key.sign(&document.signing_message().unwrap()).to_bytes().to_vec();
    Proof::new(SignedDocument { document, signature }, &key.verifying_key().to_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_offline_sent_countersigned_printed_and_verified() {
    let p = platform().await;
    let (officer, officer_key, officer_device) = device(&p, "OFF-1", 1).await;
    let (supervisor, supervisor_key, _) = device(&p, "SUP-1", 2).await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("vigie.sqlite")).unwrap();

    let me = officer.me().await.unwrap();
    assert_eq!(
        (me.rank.as_str(), me.qualite.as_str(), me.service.name.as_str()),
        ("gardien", "APJ", "Sûreté publique")
    );

    let proof = signed(&officer_key, officer_device, 1);
    let id = proof.document.id.clone();
    store.queue_document(&proof, chrono::Utc::now()).unwrap();
    let first = officer.sync_outbox(&mut store, true, || 0.5).await.unwrap();
    assert_eq!((first.sent, first.updated), (1, 1));
    assert_eq!(store.outbox_entry(&id).unwrap().platform_status, Some(DocumentStatus::Received));

    let pending = supervisor.review().await.unwrap();
    assert_eq!(pending.len(), 1);
    supervisor.countersign(&supervisor_key, "SUP-1", &pending[0]).await.unwrap();

    let back = officer.sync_outbox(&mut store, false, || 0.5).await.unwrap();
    assert_eq!((back.sent, back.updated), (0, 1));
    let entry = store.outbox_entry(&id).unwrap();
    assert_eq!(entry.platform_status, Some(DocumentStatus::Countersigned));
    assert_eq!(entry.proof.countersignature.as_ref().unwrap().rio, "SUP-1");

    // The printed act checks out against the enrolled keys, and one byte less does not.
    let pdf = vigie_pdf::render(&entry.proof).unwrap();
    let ok = vigie_server::verify::check_file(&p.db, &pdf);
    assert!(ok.valid, "{ok:?}");
    assert_eq!(ok.verified.as_ref().unwrap().countersigned_by.as_ref().unwrap().rio, "SUP-1");
    assert_eq!(ok.platform_status.as_deref(), Some("countersigned"));
    let at = pdf.windows(7).position(|w| w == b"Vol \xe0 l").unwrap() + 4;
    let mut altered = pdf.clone();
    altered[at] = b'a';
    let bad = vigie_server::verify::check_file(&p.db, &altered);
    assert!(!bad.valid && bad.error.as_deref().unwrap_or("").contains("altered"), "{bad:?}");

    // Holders check it at the platform, without an account: the file or the QR code's text.
    let http = reqwest::Client::new();
    let post = |body: Vec<u8>| http.post(format!("{}/v1/verify", p.base)).body(body).send();
    let r = post(pdf.clone()).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["verified"]["author"]["rio"], "OFF-1");
    assert_eq!(post(entry.proof.qr_text().unwrap().into_bytes()).await.unwrap().status().as_u16(), 200);
    let mut forged_qr = entry.proof.clone();
    forged_qr.signature[10] ^= 1;
    assert_eq!(post(forged_qr.qr_text().unwrap().into_bytes()).await.unwrap().status().as_u16(), 422);
    assert_eq!(post(altered).await.unwrap().status().as_u16(), 422);
    let (entries, _) = p.db.audit_log().unwrap();
    assert_eq!(entries.iter().filter(|e| e.event.action == "document.verify").count(), 4, "every check is audited");
}

// ---- the fault test

/// What the worker needs, handed over in a file.
#[derive(serde::Serialize, serde::Deserialize)]
struct Job {
    store: PathBuf,
    proxy: String,
    seed: u8,
    device: i64,
    rounds_log: PathBuf,
}

/// The sync worker: signs a document and syncs, round after round, until killed.
#[test]
#[ignore = "run by a_killed_worker_and_a_lossy_network_lose_and_duplicate_nothing as its child"]
fn outbox_worker_until_killed() {
    let job: Job = serde_json::from_slice(
        &std::fs::read(std::env::var("VIGIE_OUTBOX_JOB").expect("run by the fault test")).unwrap(),
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let key = SigningKey::from_bytes(&[job.seed; 32]);
        let mut store = Store::open(&job.store).unwrap();
        let mut n = 0u32;
        loop {
            n += 1;
            // Signing and queueing is one transaction: a kill leaves the document or nothing.
            store.queue_document(&signed(&key, job.device, n), chrono::Utc::now()).unwrap();
            let mut client = Client::new(&job.proxy);
            let outcome = match client.login(&key, job.device).await {
                Ok(()) => client.sync_outbox(&mut store, true, || 0.5).await.map(|_| "ok").unwrap_or("failed"),
                Err(_) => "login failed",
            };
            let mut log = std::fs::OpenOptions::new().append(true).create(true).open(&job.rounds_log).unwrap();
            std::io::Write::write_all(&mut log, format!("{outcome}\n").as_bytes()).unwrap();
        }
    });
}

/// Proxy fates, counted.
#[derive(Default)]
struct Faults {
    passed: AtomicU64,
    dropped: AtomicU64,
    stalled: AtomicU64,
    reset_after_request: AtomicU64,
}

/// A loopback proxy that, per connection, passes it, drops it at once, stalls it then
/// resets it, or forwards the request and resets before the answer (the platform has the
/// document; the device does not know). A reset is SO_LINGER 0 then close (tokio
/// deprecates `set_linger` because a non-zero linger blocks on drop; zero does not).
#[allow(deprecated)]
async fn lossy_proxy(upstream: std::net::SocketAddr, faults: Arc<Faults>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = Arc::new(AtomicU64::new(0x9e37_79b9_7f4a_7c15));
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else { return };
            // xorshift: reproducible enough, no dependency.
            let mut x = state.load(Ordering::Relaxed);
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            state.store(x, Ordering::Relaxed);
            let faults = faults.clone();
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                match x % 10 {
                    0 | 1 => {
                        faults.dropped.fetch_add(1, Ordering::Relaxed);
                        let _ = inbound.set_linger(Some(std::time::Duration::ZERO));
                    }
                    2 => {
                        faults.stalled.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                        let _ = inbound.set_linger(Some(std::time::Duration::ZERO));
                    }
                    3 | 4 => {
                        faults.reset_after_request.fetch_add(1, Ordering::Relaxed);
                        let Ok(mut up) = tokio::net::TcpStream::connect(upstream).await else { return };
                        let mut buf = vec![0u8; 64 * 1024];
                        // Forward what the device sends for a moment, read the answer, keep it.
                        let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(150);
                        while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, inbound.read(&mut buf)).await {
                            if n == 0 || up.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                        let _ = tokio::time::timeout(std::time::Duration::from_millis(150), up.read(&mut buf)).await;
                        let _ = inbound.set_linger(Some(std::time::Duration::ZERO));
                    }
                    _ => {
                        faults.passed.fetch_add(1, Ordering::Relaxed);
                        if let Ok(mut up) = tokio::net::TcpStream::connect(upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut up).await;
                        }
                    }
                }
            });
        }
    });
    addr
}

fn rounds(log: &Path) -> usize {
    std::fs::read_to_string(log).map(|s| s.lines().count()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_and_a_lossy_network_lose_and_duplicate_nothing() {
    let p = platform().await;
    let (_, key, device_id) = device(&p, "OFF-1", 3).await;
    let faults = Arc::new(Faults::default());
    let upstream: std::net::SocketAddr = p.base.trim_start_matches("http://").parse().unwrap();
    let proxy = lossy_proxy(upstream, faults.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let job = Job {
        store: dir.path().join("vigie.sqlite"),
        proxy: format!("http://{proxy}"),
        seed: 3,
        device: device_id,
        rounds_log: dir.path().join("rounds.log"),
    };
    let job_file = dir.path().join("job.json");
    std::fs::write(&job_file, serde_json::to_vec(&job).unwrap()).unwrap();

    // The worker's name as libtest knows it: this module's path without the crate's name.
    let worker = format!("{}::outbox_worker_until_killed", module_path!().split_once("::").unwrap().1);
    let mut kills = 0;
    let mut pause = 0x2545_f491_u64;
    while rounds(&job.rounds_log) < 200 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", &worker, "--ignored", "--nocapture", "--test-threads=1"])
            .env("VIGIE_OUTBOX_JOB", &job_file)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Killed at a random point: while signing, pushing, or recording the outcome.
        pause = pause.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        tokio::time::sleep(std::time::Duration::from_millis(80 + (pause >> 33) % 400)).await;
        // The worker loops until killed: one that ended by itself never ran (or crashed).
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the outbox worker `{worker}` ended by itself ({status}) instead of syncing until killed");
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
    }

    // The network comes back whole: one last sync, straight to the platform.
    let mut store = Store::open(&job.store).unwrap();
    let mut client = Client::new(&p.base);
    client.login(&key, device_id).await.unwrap();
    client.sync_outbox(&mut store, true, || 0.5).await.unwrap();

    let signed: Vec<_> = store.outbox().unwrap();
    let on_platform = p.db.documents_of("OFF-1").unwrap();
    let mut device_ids: Vec<&str> = signed.iter().map(|e| e.proof.document.id.as_str()).collect();
    let mut platform_ids: Vec<&str> = on_platform.iter().map(|d| d.id.as_str()).collect();
    device_ids.sort_unstable();
    platform_ids.sort_unstable();
    let mut digests: Vec<[u8; 32]> = on_platform.iter().map(|d| d.digest).collect();
    digests.sort_unstable();
    digests.dedup();
    println!(
        "fault test: {} sync rounds, {kills} kills (SIGKILL); proxy: {} passed, {} dropped, {} stalled, {} reset after the request; \
         {} documents signed on the device, {} on the platform, {} distinct",
        rounds(&job.rounds_log),
        faults.passed.load(Ordering::Relaxed),
        faults.dropped.load(Ordering::Relaxed),
        faults.stalled.load(Ordering::Relaxed),
        faults.reset_after_request.load(Ordering::Relaxed),
        device_ids.len(),
        platform_ids.len(),
        digests.len(),
    );
    assert!(device_ids.len() >= 200, "a document per round at least");
    assert_eq!(platform_ids, device_ids, "exactly the documents signed, none lost");
    assert_eq!(digests.len(), on_platform.len(), "none twice");
    assert!(signed.iter().all(|e| e.delivery.state == OutboxState::Sent), "the device knows they all arrived");
    assert!(faults.reset_after_request.load(Ordering::Relaxed) > 0 && faults.dropped.load(Ordering::Relaxed) > 0);
}
