//! Live relay benchmark (`cargo xtask bench`): the relay's fan-out delay with 100
//! WebSocket viewers on loopback, on this machine's cores (the viewers' own work included,
//! since they run here too). A 640×360 x264 stream (Debian's ffmpeg) is fed to the relay
//! at 25 frames a second; each fragment's `prft` box carries the moment it was fed, each
//! viewer notes when it arrived: the difference is the fan-out delay. Target: p95 ≤ 20 ms.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use vigie_bench::{report, summarize, Figure};
use vigie_core::live::Grant;
use vigie_server::audit::Actor;
use vigie_server::config::Config;
use vigie_server::db::LiveStreamRecord;
use vigie_server::model::Role;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const VIEWERS: usize = 100;
const SECONDS: usize = 12;
const FPS: usize = 25;

fn unix_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros() as u64
}

/// Ten seconds of a body-cam-like stream, as access units.
fn stream() -> Vec<Vec<u8>> {
    let out = std::process::Command::new("/usr/bin/ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25"])
        .args(["-frames:v", &(SECONDS * FPS).to_string()])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-bf", "0", "-g", "25"])
        .args(["-f", "h264", "-"])
        .output()
        .expect("ffmpeg (cargo xtask installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let nals = vigie_relay::h264::split_nals(&out.stdout);
    vigie_relay::h264::access_units(&nals)
        .into_iter()
        .map(|u| u.iter().flat_map(|n| [&[0, 0, 0, 1][..], n].concat()).collect())
        .collect()
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let figures = rt.block_on(run());
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench/live-last.json");
    report(&figures, &[], &out);
}

async fn run() -> Vec<Figure> {
    let units = stream();
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        database_url: format!("sqlite://{}", dir.path().join("bench.sqlite3").display()),
        ..Config::default()
    };
    let db = vigie_server::open_db(&config).unwrap();
    let console = Actor::console();
    let rec = LiveStreamRecord {
        id: "bc-bench".into(),
        label: "bench".into(),
        source: "rtsp://bench.invalid/".into(),
        created_by: "CSU-1".into(),
        created_at: chrono::Utc::now(),
        ended_at: None,
        position: None,
        grants: Vec::new(),
    };
    db.add_live_stream(&rec, &[1; 32], console.entry("live.source", serde_json::json!({}))).unwrap();
    let grant =
        Grant { unit: "BT-38".into(), motif: "banc d'essai".into(), by: "CSU-1".into(), at: chrono::Utc::now() };
    db.grant_live("bc-bench", &grant, console.entry("live.grant", serde_json::json!({}))).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("ws://{}", listener.local_addr().unwrap());
    let state = vigie_server::api::AppState::new(db.clone(), config);
    let relay = state.live.fed("bc-bench");
    // Viewing tokens as `POST /v1/live/{id}/token` makes them.
    let mut urls = Vec::new();
    for i in 0..VIEWERS {
        let token =
            vigie_core::live::ViewingToken::new("bc-bench", &format!("V-{i}"), "BT-38", "banc", chrono::Utc::now());
        let secret = state.live.issue_token(token, Role::Officer, chrono::Utc::now()).unwrap();
        urls.push(format!("{base}/v1/live/bc-bench/ws?token={secret}"));
    }
    tokio::spawn(vigie_server::serve(listener, state, std::future::pending()));

    // The parameter sets first, so that viewers get their init segment at once.
    let feed = |relay: &vigie_server::live::Relay, unit: &[u8], i: usize| {
        let nals = vigie_relay::h264::split_nals(unit);
        relay.ingest(&nals, (i * 3600) as u64, unix_us() / 1000);
    };
    feed(&relay, &units[0], 0);
    let delays = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let first_frames = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let mut viewers = Vec::new();
    for url in urls {
        let (delays, first_frames) = (delays.clone(), first_frames.clone());
        viewers.push(tokio::spawn(async move {
            let asked = Instant::now();
            let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
            let mut first = true;
            while let Some(Ok(Message::Binary(b))) = ws.next().await {
                let now_us = unix_us();
                if let Some((fed_ms, _)) = vigie_relay::fmp4::read_prft(&b) {
                    if first {
                        first_frames.lock().unwrap().push(asked.elapsed());
                        first = false;
                    }
                    // prft has millisecond precision: the feed time is read back to the ms.
                    delays.lock().unwrap().push(Duration::from_micros(now_us.saturating_sub(fed_ms * 1000)));
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    delays.lock().unwrap().clear();
    // Real time: a frame every 40 ms, as a body-cam sends them.
    let start = Instant::now();
    for (i, unit) in units.iter().enumerate().skip(1) {
        tokio::time::sleep_until((start + Duration::from_millis(40 * i as u64)).into()).await;
        feed(&relay, unit, i);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let delays = std::mem::take(&mut *delays.lock().unwrap());
    let received = delays.len();
    let expected = VIEWERS * (units.len() - 1);
    let mut figures =
        vec![summarize(&format!("fan-out delay, {VIEWERS} viewers (WebSocket, loopback)"), delays.clone(), None)];
    let p95 = figures[0].p95_us.unwrap();
    figures.push(Figure {
        name: format!("fan-out delay p95, {VIEWERS} viewers"),
        median_us: p95,
        p95_us: None,
        target_us: Some(20_000.0),
    });
    let firsts = std::mem::take(&mut *first_frames.lock().unwrap());
    figures.push(summarize("viewer connect → first fragment (loopback)", firsts, None));
    println!("fragments received: {received} of {expected} ({VIEWERS} viewers × {} frames)", units.len() - 1);
    assert_eq!(received, expected, "the relay dropped fragments of viewers that kept up");
    for v in viewers {
        v.abort();
    }
    figures
}
