//! Platform benchmark (`cargo xtask bench`): 1,000 signed documents pushed by a client to
//! the real server over loopback, one at a time and 8 in flight, and the rate at which the
//! server verifies document signatures. Figures are compared with the previous run.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use vigie_bench::{once, report, summarize, time_each};
use vigie_core::document::{Document, DocumentKind, SignedDocument};
use vigie_server::audit::Actor;
use vigie_server::config::Config;
use vigie_server::model::{DeviceState, NewUser, Role};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const N: usize = 1_000;

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let figures = rt.block_on(run());
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench/server-last.json");
    report(&figures, &[], &out);
}

async fn run() -> Vec<vigie_bench::Figure> {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        database_url: format!("sqlite://{}", dir.path().join("bench.sqlite3").display()),
        ..Config::default()
    };
    let db = vigie_server::open_db(&config).unwrap();
    let console = Actor::console();
    db.add_unit("BT-38", "Bench", console.entry("unit.add", serde_json::json!({}))).unwrap();
    let user = NewUser {
        rio: "B-1".into(),
        name: "Bench".into(),
        rank: "x".into(),
        qualite: "OPJ".into(),
        unit: "BT-38".into(),
        role: Role::Officer,
    };
    db.add_user(&user, chrono::Utc::now(), console.entry("user.add", serde_json::json!({}))).unwrap();
    let key = SigningKey::from_bytes(&[9; 32]);
    let public = key.verifying_key().to_bytes();
    let device = db
        .request_enrolment(&public, "B-1", "bench", chrono::Utc::now(), console.entry("x", serde_json::json!({})))
        .unwrap();
    db.decide_device(
        device,
        DeviceState::Approved,
        "bench",
        chrono::Utc::now(),
        console.entry("x", serde_json::json!({})),
    )
    .unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = vigie_server::api::AppState::new(db.clone(), config);
    tokio::spawn(vigie_server::serve(listener, state, std::future::pending()));
    let http = reqwest::Client::new();
    let token = login(&http, &base, device, &key).await;

    let docs = |tag: &str| -> Vec<SignedDocument> {
        (0..N)
            .map(|i| {
                let document = Document {
                    id: format!("{tag}{i:028}"),
                    kind: DocumentKind::Requisition,
                    author: "B-1".into(),
                    device: device as u64,
                    unit: "BT-38".into(),
                    created_at: chrono::Utc::now(),
                    replaces: None,
                    body: serde_json::json!({ "procedure": format!("2026/{i:06}"), "legal_basis": { "article": "60-1" },
                        "cameras": [{ "id": format!("osm:node/{i}"), "direction": 240.0 }] }),
                };
                let signature = key.sign(&document.signing_message().unwrap()).to_bytes().to_vec();
                SignedDocument { document, signature }
            })
            .collect()
    };

    let mut figures = Vec::new();
    // One at a time: the latency an officer's outbox sees.
    let one_by_one = docs("aaaa");
    let mut latencies = Vec::with_capacity(N);
    let t = Instant::now();
    for d in &one_by_one {
        let t1 = Instant::now();
        let r = http.post(format!("{base}/v1/documents")).bearer_auth(&token).json(d).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 201);
        latencies.push(t1.elapsed());
    }
    let total = t.elapsed();
    figures.push(summarize("push 1 document (sequential, loopback)", latencies, None));
    figures
        .push(once(&format!("push {N} documents sequentially ({:.0} docs/s)", N as f64 / total.as_secs_f64()), total));

    // Eight in flight: many devices syncing at once.
    let concurrent = docs("bbbb");
    let t = Instant::now();
    let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(8));
    let mut tasks = Vec::new();
    for d in concurrent {
        let (http, url, token, permit) =
            (http.clone(), format!("{base}/v1/documents"), token.clone(), sem.clone().acquire_owned().await.unwrap());
        tasks.push(tokio::spawn(async move {
            let r = http.post(url).bearer_auth(token).json(&d).send().await.unwrap();
            drop(permit);
            r.status().as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    let total = t.elapsed();
    figures
        .push(once(&format!("push {N} documents, 8 in flight ({:.0} docs/s)", N as f64 / total.as_secs_f64()), total));

    // The server's signature check alone: canonical bytes + strict Ed25519 verification.
    let sample = docs("cccc");
    let verify = time_each(N, |i| {
        let d = &sample[i];
        vigie_core::auth::verify(&public, &d.document.signing_message().unwrap(), &d.signature).unwrap()
    });
    let per: Duration = verify.iter().sum::<Duration>() / N as u32;
    figures.push(summarize(
        &format!("verify 1 document signature ({:.0} verifications/s)", 1.0 / per.as_secs_f64()),
        verify,
        None,
    ));
    figures
}

async fn login(http: &reqwest::Client, base: &str, device: i64, key: &SigningKey) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let c: serde_json::Value = http
        .post(format!("{base}/v1/auth/challenge"))
        .json(&serde_json::json!({ "device_id": device }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let nonce = b64.decode(c["nonce"].as_str().unwrap()).unwrap();
    let sig = key.sign(&vigie_core::auth::challenge_message(device as u64, &nonce)).to_bytes();
    let t: serde_json::Value = http
        .post(format!("{base}/v1/auth/token"))
        .json(&serde_json::json!({ "device_id": device, "nonce": b64.encode(&nonce), "signature": b64.encode(sig) }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    t["token"].as_str().unwrap().to_string()
}
