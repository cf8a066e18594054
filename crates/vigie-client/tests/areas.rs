//! Offline area downloads against the real platform over loopback: whole, paused and
//! resumed, cut by a proxy mid-transfer and resumed, restarted when the platform's file
//! changed between the two halves, and refused when the bytes do not hash right.

use crate::common;

use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use sha2::Digest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vigie_client::{AreaInfo, Client, ClientError, DownloadOutcome, Progress};

struct Platform {
    dir: tempfile::TempDir,
    db: Arc<vigie_server::db::Db>,
    base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Platform {
    /// A platform over SQLite with one approved officer, and its basemap folder.
    async fn start() -> Platform {
        let dir = tempfile::tempdir().unwrap();
        let config = vigie_server::config::Config {
            database_url: format!("sqlite://{}", dir.path().join("platform.sqlite3").display()),
            basemap_dir: Some(dir.path().join("tiles")),
            ..Default::default()
        };
        let db = vigie_server::open_db(&config).unwrap();
        common::seed_officer(&db);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(vigie_server::serve(listener, vigie_server::api::AppState::new(db.clone(), config), async {
            let _ = stopped.await;
        }));
        Platform { dir, db, base, _stop: stop }
    }

    /// A logged-in client of the platform at `base` (the platform itself, or a proxy).
    async fn client(&self, base: &str) -> Client {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).unwrap();
        let key = SigningKey::from_bytes(&seed);
        let mut client = Client::new(base);
        let device = client.enrol(&key, "OFF-1", "Pixel").await.unwrap();
        common::approve(&self.db, device);
        client.login(&key, device).await.unwrap();
        client
    }

    fn tiles(&self, id: &str) -> PathBuf {
        self.dir.path().join("tiles").join(format!("{id}.pmtiles"))
    }

    /// Where the device keeps its areas.
    fn device_dir(&self) -> PathBuf {
        self.dir.path().join("device")
    }

    /// The ranges the platform audited for downloads of `id`: `None` for a whole file.
    fn audited_ranges(&self, id: &str) -> Vec<Option<u64>> {
        let (entries, _) = self.db.audit_log().unwrap();
        entries
            .iter()
            .filter(|e| e.event.action == "area.download")
            .map(|e| serde_json::from_str::<serde_json::Value>(&e.event.detail).unwrap())
            .filter(|d| d["area"] == id)
            .map(|d| d["range"][0].as_u64())
            .collect()
    }
}

/// A valid PMTiles v3 file of about `tiles` × 4 KiB of noise from `seed`; its bytes.
fn write_pmtiles(path: &Path, seed: u64, tiles: u32) -> Vec<u8> {
    use pmtiles::{Compression, PmTilesWriter, TileCoord, TileType};
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    // Written beside and renamed, as a deployment would.
    let tmp = path.with_extension("tmp");
    let mut w = PmTilesWriter::new(TileType::Mvt)
        .precompressed(Compression::Gzip)
        .min_zoom(12)
        .max_zoom(14)
        .bounds(7.4, 43.72, 7.44, 43.76)
        .center(7.42, 43.74)
        .metadata(r#"{"name":"Monaco","vector_layers":[]}"#)
        .create(std::fs::File::create(&tmp).unwrap())
        .unwrap();
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in 0..tiles {
        let tile: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        w.add_tile(TileCoord::new(14, 8530 + i % 16, 5975 + i / 16).unwrap(), &tile).unwrap();
    }
    w.finalize().unwrap();
    std::fs::rename(&tmp, path).unwrap();
    std::fs::read(path).unwrap()
}

fn part_of(dest: &Path) -> PathBuf {
    PathBuf::from(format!("{}.part", dest.display()))
}

/// Stops once 40 % of the file is on disk; records every progress report.
fn pause_at_40(seen: &mut Vec<Progress>) -> impl FnMut(Progress) -> ControlFlow<()> + '_ {
    |p| {
        seen.push(p);
        if p.done_bytes * 10 >= p.total_bytes * 4 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

async fn only_area(client: &Client) -> AreaInfo {
    let mut areas = client.areas().await.unwrap();
    assert_eq!(areas.len(), 1);
    areas.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_area_downloads_whole_and_matches_its_hash() {
    let p = Platform::start().await;
    let source = write_pmtiles(&p.tiles("monaco"), 1, 120);
    let client = p.client(&p.base).await;
    let area = only_area(&client).await;
    assert_eq!((area.id.as_str(), area.name.as_str(), area.bytes), ("monaco", "Monaco", source.len() as u64));
    assert_eq!(area.sha256, hex(&sha2::Sha256::digest(&source)));

    let dest = p.device_dir().join("areas").join("monaco.pmtiles");
    let mut seen = Vec::new();
    let outcome = client
        .download_area(&area, &dest, |pr| {
            seen.push(pr);
            ControlFlow::Continue(())
        })
        .await
        .unwrap();
    assert_eq!(outcome, DownloadOutcome::Complete { path: dest.clone(), bytes: source.len() as u64, resumed_from: 0 });
    assert_eq!(std::fs::read(&dest).unwrap(), source);
    assert!(!part_of(&dest).exists(), "no partial file left");
    assert!(seen.len() > 1, "progress after each chunk");
    assert!(seen.windows(2).all(|w| w[0].done_bytes < w[1].done_bytes));
    assert_eq!(seen.last().unwrap().done_bytes, source.len() as u64);
    assert!(seen.iter().all(|s| s.total_bytes == source.len() as u64 && s.resumed_from == 0));

    // An unknown area is the platform's refusal, naming it.
    let ghost = AreaInfo { id: "ghost".into(), ..area.clone() };
    let err = client.download_area(&ghost, &p.device_dir().join("ghost.pmtiles"), |_| ControlFlow::Continue(())).await;
    match err {
        Err(ClientError::Refused { status: 404, message, .. }) => assert!(message.contains("ghost"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_download_resumes_from_the_partial_file() {
    let p = Platform::start().await;
    let source = write_pmtiles(&p.tiles("monaco"), 1, 250);
    let client = p.client(&p.base).await;
    let area = only_area(&client).await;
    let dest = p.device_dir().join("monaco.pmtiles");

    let mut first = Vec::new();
    let outcome = client.download_area(&area, &dest, pause_at_40(&mut first)).await.unwrap();
    let DownloadOutcome::Paused { part, done_bytes, total_bytes } = outcome else { panic!("{outcome:?}") };
    assert_eq!((part.clone(), total_bytes), (part_of(&dest), source.len() as u64));
    assert!(done_bytes * 10 >= total_bytes * 4 && done_bytes < total_bytes, "{done_bytes} of {total_bytes}");
    assert_eq!(std::fs::read(&part).unwrap(), source[..done_bytes as usize], "the part is the file's head");
    assert!(!dest.exists());

    let mut second = Vec::new();
    let outcome = client
        .download_area(&area, &dest, |pr| {
            second.push(pr);
            ControlFlow::Continue(())
        })
        .await
        .unwrap();
    assert_eq!(
        outcome,
        DownloadOutcome::Complete { path: dest.clone(), bytes: source.len() as u64, resumed_from: done_bytes }
    );
    assert!(second.iter().all(|s| s.resumed_from == done_bytes), "the second request started at the part's length");
    assert!(second[0].done_bytes > done_bytes);
    assert_eq!(std::fs::read(&dest).unwrap(), source);
    assert!(!part.exists());
    assert_eq!(p.audited_ranges("monaco"), vec![None, Some(done_bytes)], "the platform saw a resume at that offset");
}

/// A loopback TCP proxy to `upstream` that forwards at most `budget` bytes from the
/// platform to the client in all (then closes that connection); `u64::MAX`: no limit.
async fn cutting_proxy(upstream: SocketAddr, budget: Arc<AtomicU64>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else { return };
            let budget = budget.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(upstream).await else { return };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let up = tokio::spawn(async move { tokio::io::copy(&mut client_read, &mut server_write).await });
                let mut buf = vec![0u8; 8192];
                loop {
                    let n = match server_read.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let allowed = match budget.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| {
                        Some(if b == u64::MAX { b } else { b.saturating_sub(n as u64) })
                    }) {
                        Ok(u64::MAX) => n,
                        Ok(before) => before.min(n as u64) as usize,
                        Err(_) => unreachable!(),
                    };
                    if client_write.write_all(&buf[..allowed]).await.is_err() || allowed < n {
                        break;
                    }
                }
                up.abort();
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cut_mid_transfer_keeps_the_part_and_the_next_call_completes() {
    let p = Platform::start().await;
    let source = write_pmtiles(&p.tiles("monaco"), 7, 250);
    let budget = Arc::new(AtomicU64::new(u64::MAX));
    let upstream: SocketAddr = p.base.strip_prefix("http://").unwrap().parse().unwrap();
    let proxy = cutting_proxy(upstream, budget.clone()).await;
    let client = p.client(&format!("http://{proxy}")).await;
    let area = only_area(&client).await;
    let dest = p.device_dir().join("monaco.pmtiles");

    // The network dies after ~300 kB of the ~1 MB file.
    budget.store(300_000, Ordering::SeqCst);
    let err = client.download_area(&area, &dest, |_| ControlFlow::Continue(())).await.unwrap_err();
    let ClientError::Offline(message) = &err else { panic!("{err:?}") };
    assert!(message.contains("monaco") && message.contains("monaco.pmtiles.part"), "{message}");
    let kept = std::fs::read(part_of(&dest)).unwrap();
    assert!(!kept.is_empty() && kept.len() < 300_000, "{} bytes kept", kept.len());
    assert_eq!(kept, source[..kept.len()]);
    assert!(!dest.exists());

    // The network is back.
    budget.store(u64::MAX, Ordering::SeqCst);
    let mut seen = Vec::new();
    let outcome = client
        .download_area(&area, &dest, |pr| {
            seen.push(pr);
            ControlFlow::Continue(())
        })
        .await
        .unwrap();
    assert_eq!(
        outcome,
        DownloadOutcome::Complete { path: dest.clone(), bytes: source.len() as u64, resumed_from: kept.len() as u64 }
    );
    assert_eq!(seen[0].resumed_from, kept.len() as u64);
    assert_eq!(std::fs::read(&dest).unwrap(), source);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_changed_between_the_two_halves_restarts_from_zero() {
    let p = Platform::start().await;
    write_pmtiles(&p.tiles("monaco"), 1, 250);
    let client = p.client(&p.base).await;
    let old = only_area(&client).await;
    let dest = p.device_dir().join("monaco.pmtiles");
    let mut first = Vec::new();
    let DownloadOutcome::Paused { done_bytes, .. } =
        client.download_area(&old, &dest, pause_at_40(&mut first)).await.unwrap()
    else {
        panic!("not paused")
    };

    // A new build of the area is deployed.
    let new = write_pmtiles(&p.tiles("monaco"), 2, 260);

    // With the old description, the client notices and writes nothing.
    let head = std::fs::read(part_of(&dest)).unwrap();
    let err = client.download_area(&old, &dest, |_| ControlFlow::Continue(())).await.unwrap_err();
    assert!(matches!(&err, ClientError::AreaChanged { area, .. } if area == "monaco"), "{err:?}");
    assert!(err.to_string().contains("list the areas again"));
    assert_eq!(std::fs::read(part_of(&dest)).unwrap(), head);

    // With the new one, the platform answers the old part's If-Range with the whole new
    // file, and the download restarts from zero.
    let fresh = only_area(&client).await;
    assert_ne!(fresh.sha256, old.sha256);
    let mut seen = Vec::new();
    let outcome = client
        .download_area(&fresh, &dest, |pr| {
            seen.push(pr);
            ControlFlow::Continue(())
        })
        .await
        .unwrap();
    assert_eq!(outcome, DownloadOutcome::Complete { path: dest.clone(), bytes: new.len() as u64, resumed_from: 0 });
    assert!(seen.iter().all(|s| s.resumed_from == 0));
    assert_eq!(std::fs::read(&dest).unwrap(), new);
    // The platform sent the whole file every time: the old part's If-Range no longer matched.
    assert_eq!(p.audited_ranges("monaco"), vec![None, None, None]);
    assert!(done_bytes > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_part_fails_the_hash_and_is_deleted() {
    let p = Platform::start().await;
    let source = write_pmtiles(&p.tiles("monaco"), 1, 250);
    let client = p.client(&p.base).await;
    let area = only_area(&client).await;
    let dest = p.device_dir().join("monaco.pmtiles");
    let mut first = Vec::new();
    client.download_area(&area, &dest, pause_at_40(&mut first)).await.unwrap();

    // A bit flips in the partial file while the app was closed.
    let mut part = std::fs::read(part_of(&dest)).unwrap();
    part[20_000] ^= 0x01;
    std::fs::write(part_of(&dest), &part).unwrap();

    let err = client.download_area(&area, &dest, |_| ControlFlow::Continue(())).await.unwrap_err();
    let ClientError::HashMismatch { area: id, path, expected, .. } = &err else { panic!("{err:?}") };
    assert_eq!((id.as_str(), path.clone(), expected.clone()), ("monaco", part_of(&dest), area.sha256.clone()));
    let message = err.to_string();
    assert!(message.contains("monaco") && message.contains("monaco.pmtiles.part"), "{message}");
    assert!(!part_of(&dest).exists() && !dest.exists(), "nothing wrong is kept");

    // The next call starts afresh and succeeds.
    let outcome = client.download_area(&area, &dest, |_| ControlFlow::Continue(())).await.unwrap();
    assert!(matches!(outcome, DownloadOutcome::Complete { resumed_from: 0, .. }));
    assert_eq!(std::fs::read(&dest).unwrap(), source);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
