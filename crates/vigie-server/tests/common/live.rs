//! The live relay's test kit: the body-cam that publishes by WHIP, and
//! headless viewers on the relay's WebSocket.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use super::{Device, TestServer};

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

use vigie_e2e::bodycam::{bodycam_binary, publish_script};

pub async fn post_json(s: &TestServer, d: &Device, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    let r = s.http.post(s.url(path)).bearer_auth(d.token.as_ref().unwrap()).json(body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// Waits until the relay receives frames of stream `id` (as the operator sees it).
pub async fn wait_live(s: &TestServer, csu: &Device, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let listed = csu.get(s, "/v1/live").await.1;
        let me = listed.as_array().unwrap().iter().find(|l| l["id"] == id).cloned();
        if me.as_ref().is_some_and(|m| m["relay"]["state"] == "live") {
            return;
        }
        assert!(Instant::now() < deadline, "stream {id} not live after 15 s: {listed}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Registers the publisher's stream, waits for it to be live, grants it to `unit`.
pub async fn create_stream(s: &TestServer, csu: &Device, url: &str, unit: &str) -> String {
    let body = serde_json::json!({ "label": "Caméra-piéton", "source": url });
    let (status, created) = post_json(s, csu, "/v1/live", &body).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    wait_live(s, csu, &id).await;
    let grant = serde_json::json!({ "unit": unit, "motif": "intervention en cours, renfort" });
    assert_eq!(post_json(s, csu, &format!("/v1/live/{id}/grants"), &grant).await.0, 204);
    id
}

pub async fn view_token(s: &TestServer, d: &Device, id: &str) -> String {
    let (status, t) = post_json(s, d, &format!("/v1/live/{id}/token"), &serde_json::json!({})).await;
    assert_eq!(status, 200, "{t}");
    t["token"].as_str().unwrap().to_string()
}

pub fn ws_base(s: &TestServer) -> String {
    s.base.replacen("http://", "ws://", 1)
}

/// The viewer's WebSocket URL for stream `id` with a viewing token.
pub fn ws_url(s: &TestServer, id: &str, token: &str) -> String {
    format!("{}/v1/live/{id}/ws?token={token}", ws_base(s))
}

/// The HTTP status a WebSocket connection attempt gets (101 if it opens).
pub async fn connect_status(url: &str) -> u16 {
    match tokio_tungstenite::connect_async(url).await {
        Ok((_, r)) => r.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => r.status().as_u16(),
        Err(e) => panic!("{url}: {e}"),
    }
}

/// The body-cam that publishes by WHIP itself (`crates/vigie-relay/publish/bodycam-whip.py`,
/// GStreamer's webrtcbin); SIGTERM when dropped (it ends its session).
pub struct WhipPublisher {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl WhipPublisher {
    /// Starts publishing to `whip` with the stream's publisher key.
    pub fn start(whip: &str, key: &str) -> WhipPublisher {
        let mut child = Command::new("/usr/bin/python3")
            .arg(publish_script("bodycam-whip.py"))
            .arg("--bodycam")
            .arg(bodycam_binary())
            .args(["--whip", whip, "--key", key, "--size", "640x360"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 (cargo xtask test installs python3-gi and GStreamer's webrtcbin)");
        let (tx, lines) = std::sync::mpsc::channel();
        let out = BufReader::new(child.stdout.take().unwrap());
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        WhipPublisher { child, lines }
    }

    /// The next line it prints that starts with `prefix` (`publishing`, `connected`).
    pub fn wait_for(&self, prefix: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) if l.starts_with(prefix) => return l,
                Ok(_) => {}
                Err(e) => panic!("the WHIP body-cam never said {prefix:?}: {e}"),
            }
        }
    }

    /// Its exit status once it stopped by itself within `timeout`.
    pub fn exited(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().ok().flatten() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Stops it as an operator's Ctrl-C would: it deletes its session first.
    pub fn terminate(&mut self) {
        if self.child.try_wait().ok().flatten().is_some() {
            return;
        }
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for WhipPublisher {
    fn drop(&mut self) {
        self.terminate();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a viewer received.
#[derive(Debug, Default)]
pub struct Received {
    /// The init segment and the fragments, as a playable file.
    pub bytes: Vec<u8>,
    pub fragments: usize,
    /// Their `mfhd` sequence numbers.
    pub sequences: Vec<u32>,
    pub first_is_keyframe: bool,
    /// When the last fragment arrived, Unix ms.
    pub last_at_ms: u64,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads the init segment then `n` fragments (10 s at most).
pub async fn receive(ws: &mut Ws, n: usize) -> Received {
    let mut got = Received::default();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut init = false;
    while got.fragments < n {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = tokio::time::timeout(left, ws.next())
            .await
            .unwrap_or_else(|_| panic!("{} fragments of {n} in 10 s", got.fragments));
        let Some(Ok(Message::Binary(b))) = msg else { panic!("the relay stopped sending: {msg:?}") };
        if !init {
            assert_eq!(&b[4..8], b"ftyp", "the init segment comes first");
            init = true;
        } else {
            let m = find(&b, b"mfhd").expect("a fragment");
            got.sequences.push(u32::from_be_bytes(b[m + 8..m + 12].try_into().unwrap()));
            if got.fragments == 0 {
                let t = find(&b, b"trun").expect("a fragment");
                got.first_is_keyframe = u32::from_be_bytes(b[t + 24..t + 28].try_into().unwrap()) == 0x0200_0000;
            }
            got.fragments += 1;
            got.last_at_ms = now_ms();
        }
        got.bytes.extend_from_slice(&b);
    }
    got
}

/// Decodes what a viewer received with ffmpeg and reads each frame's capture stamp.
pub fn decode_stamps(bytes: &[u8], w: usize, h: usize) -> Vec<u64> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("viewer.mp4");
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new("/usr/bin/ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&file)
        .args(["-f", "rawvideo", "-pix_fmt", "gray", "-"])
        .output()
        .unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "ffmpeg: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout.chunks(w * h).filter_map(|f| vigie_relay::stamp::read(f, w, h)).collect()
}
