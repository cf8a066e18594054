//! The live relay on loopback, with a real RTSP body-cam (GStreamer's RTSP server fed by
//! `vigie-bodycam`, `crates/vigie-relay/publish/bodycam-rtsp.py`) and real WebSocket
//! viewers: who may watch, what they receive decodes with its capture stamps, fifty at
//! once, and every join and leave is in the audit log.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::live::*;
use crate::common::TestServer;
use futures::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use vigie_e2e::bodycam::RtspPublisher as Publisher;
use vigie_server::model::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_granted_unit_watches_what_the_body_cam_films_and_nobody_else_does() {
    let s = TestServer::start().await;
    for unit in ["CSU", "BAC-NORD", "BT-SUD"] {
        s.add_unit(unit);
    }
    let csu = s.session("CSU-1", "CSU", Role::CsuOperator).await;
    let bac = s.session("OFF-1", "BAC-NORD", Role::Officer).await;
    let other = s.session("OFF-2", "BT-SUD", Role::Officer).await;
    let cam = Publisher::start(None);

    // Only the operator registers a source.
    let body = serde_json::json!({ "label": "Caméra-piéton 12 — BAC Nord", "source": cam.url });
    assert_eq!(post_json(&s, &bac, "/v1/live", &body).await.0, 403);
    let (status, created) = post_json(&s, &csu, "/v1/live", &body).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    wait_live(&s, &csu, &id).await;

    // Not granted yet: the officer neither sees the stream nor gets a token.
    assert_eq!(bac.get(&s, "/v1/live").await.1.as_array().unwrap().len(), 0);
    let (status, refusal) = post_json(&s, &bac, &format!("/v1/live/{id}/token"), &serde_json::json!({})).await;
    assert_eq!(status, 403, "{refusal}");
    assert!(refusal["message"].as_str().unwrap().contains("BAC-NORD"), "{refusal}");

    // A grant needs a real motif, then the unit sees the stream with it.
    let grant = |motif: &str| serde_json::json!({ "unit": "BAC-NORD", "motif": motif });
    let (status, e) = post_json(&s, &csu, &format!("/v1/live/{id}/grants"), &grant("rixe")).await;
    assert_eq!(status, 400, "{e}");
    assert!(e["message"].as_str().unwrap().starts_with("motif"), "{e}");
    let motif = "rixe place Grenette, renfort BAC";
    assert_eq!(post_json(&s, &csu, &format!("/v1/live/{id}/grants"), &grant(motif)).await.0, 204);
    let listed = bac.get(&s, "/v1/live").await.1;
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["motif"], motif);
    assert_eq!(listed[0]["relay"]["state"], "live", "{listed}");

    // The officer watches: the init segment, then fragments that decode, each frame
    // still carrying the body-cam's capture time, a fraction of a second old.
    let token = view_token(&s, &bac, &id).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url(&s, &id, &token)).await.unwrap();
    let got = receive(&mut ws, 50).await;
    let stamps = decode_stamps(&got.bytes, 640, 360);
    assert!(stamps.len() >= 45, "decoded {} frames of 50", stamps.len());
    assert!(stamps.windows(2).all(|w| w[0] < w[1]), "capture times increase: {stamps:?}");
    let age = got.last_at_ms.saturating_sub(*stamps.last().unwrap());
    eprintln!("live: the last frame arrived {age} ms after its capture");
    assert!(age < 2000, "the last frame was captured {age} ms before it arrived");
    ws.close(None).await.unwrap();

    // A used token, a token of another stream, no token, another unit: refused.
    assert_eq!(connect_status(&ws_url(&s, &id, &token)).await, 401, "a token opens one socket once");
    let second =
        post_json(&s, &csu, "/v1/live", &serde_json::json!({ "label": "Caméra-piéton 13", "source": cam.url })).await.1;
    let id2 = second["id"].as_str().unwrap();
    let token = view_token(&s, &bac, &id).await;
    assert_eq!(connect_status(&format!("{}/v1/live/{id2}/ws?token={token}", ws_base(&s))).await, 401);
    assert_eq!(connect_status(&format!("{}/v1/live/{id}/ws", ws_base(&s))).await, 401);
    assert_eq!(post_json(&s, &other, &format!("/v1/live/{id}/token"), &serde_json::json!({})).await.0, 403);

    // Withdrawing the grant closes the unit's viewer at once, with a reason.
    let token = view_token(&s, &bac, &id).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url(&s, &id, &token)).await.unwrap();
    receive(&mut ws, 5).await;
    let spare = view_token(&s, &bac, &id).await;
    let revoke = serde_json::json!({ "unit": "BAC-NORD" });
    assert_eq!(post_json(&s, &csu, &format!("/v1/live/{id}/revoke"), &revoke).await.0, 204);
    let close = closed(&mut ws).await;
    assert_eq!(close.0, 4403, "{close:?}");
    // A token fetched before the withdrawal opens nothing after it.
    assert_eq!(connect_status(&ws_url(&s, &id, &spare)).await, 403);
    assert_eq!(post_json(&s, &bac, &format!("/v1/live/{id}/token"), &serde_json::json!({})).await.0, 403);

    // The operator ends the relay: the command post's own viewer is closed, and the
    // stream is gone from the list.
    let token = view_token(&s, &csu, &id).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url(&s, &id, &token)).await.unwrap();
    receive(&mut ws, 5).await;
    assert_eq!(post_json(&s, &csu, &format!("/v1/live/{id}/end"), &serde_json::json!({})).await.0, 204);
    assert_eq!(closed(&mut ws).await.0, 4403);
    let listed = csu.get(&s, "/v1/live").await.1;
    assert!(listed.as_array().unwrap().iter().all(|l| l["id"] != id.as_str()), "{listed}");

    // Every join and leave is in the audit log: who, which stream, from when to when, why.
    let admin = s.session("ADM-1", "CSU", Role::Admin).await;
    let audit = admin.get(&s, "/v1/audit?limit=500").await.1;
    let entries = audit["entries"].as_array().unwrap();
    let of = |action: &str| entries.iter().filter(|e| e["action"] == action).collect::<Vec<_>>();
    let joins = of("live.join");
    let leaves = of("live.leave");
    assert_eq!(joins.len(), 3, "{joins:?}");
    assert_eq!(leaves.len(), 3, "{leaves:?}");
    assert!(joins.iter().take(2).all(|j| j["actor"] == "OFF-1" && j["motif"] == motif), "{joins:?}");
    let leave = &leaves[0]["detail"];
    assert_eq!(leave["stream"], id.as_str());
    assert!(leave["from"].is_string() && leave["to"].is_string() && leave["frames"].as_u64().unwrap() >= 45, "{leave}");
    assert!(!of("live.refused").is_empty(), "refusals are audited");
    assert_eq!(of("live.grant")[0]["motif"], motif);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_viewers_at_once_each_start_at_a_keyframe_and_keep_up() {
    let s = TestServer::start().await;
    s.add_unit("CSU");
    s.add_unit("BAC-NORD");
    let csu = s.session("CSU-1", "CSU", Role::CsuOperator).await;
    let bac = s.session("OFF-1", "BAC-NORD", Role::Officer).await;
    let cam = Publisher::start(None);
    let id = create_stream(&s, &csu, &cam.url, "BAC-NORD").await;

    let mut viewers = Vec::new();
    for _ in 0..50 {
        let token = view_token(&s, &bac, &id).await;
        let url = ws_url(&s, &id, &token);
        viewers.push(tokio::spawn(async move {
            let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
            let got = receive(&mut ws, 50).await;
            ws.close(None).await.unwrap();
            got
        }));
    }
    let mut all = Vec::new();
    for v in viewers {
        all.push(v.await.unwrap());
    }
    for (i, got) in all.iter().enumerate() {
        assert!(got.first_is_keyframe, "viewer {i} starts at a keyframe");
        assert_eq!(got.fragments, 50, "viewer {i}");
        assert!(got.sequences.windows(2).all(|w| w[0] < w[1]), "viewer {i} in order");
    }
    // One of them, decoded whole.
    let stamps = decode_stamps(&all[49].bytes, 640, 360);
    assert!(stamps.len() >= 45, "decoded {} frames", stamps.len());
    let status = csu.get(&s, "/v1/live").await.1;
    assert_eq!(status[0]["relay"]["frames"].as_u64().map(|f| f > 50), Some(true), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_reports_the_body_cams_position_with_its_key_only() {
    let s = TestServer::start().await;
    s.add_unit("CSU");
    let csu = s.session("CSU-1", "CSU", Role::CsuOperator).await;
    let cam = Publisher::start(None);
    let body = serde_json::json!({ "label": "Caméra-piéton 7", "source": cam.url });
    let created = post_json(&s, &csu, "/v1/live", &body).await.1;
    let id = created["id"].as_str().unwrap();
    let key = created["publisher_key"].as_str().unwrap();
    let report = |key: &str, lat: f64, lon: f64| {
        s.http
            .post(s.url(&format!("/v1/live/{id}/position")))
            .bearer_auth(key)
            .json(&serde_json::json!({ "lat": lat, "lon": lon }))
            .send()
    };
    assert_eq!(report("not-the-key", 43.73, 7.42).await.unwrap().status(), 401);
    assert_eq!(report(key, 0.0, 0.0).await.unwrap().status(), 400, "never (0,0)");
    // The simulated gateway walks its route and reports every second.
    let url = s.url(&format!("/v1/live/{id}/position"));
    let _gateway = Publisher::start(Some((&url, key, "43.7384,7.4246;43.7390,7.4250")));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let listed = csu.get(&s, "/v1/live").await.1;
        if let Some(p) = listed[0]["position"].as_array() {
            assert_eq!((p[0]["lat"].as_f64(), p[0]["lon"].as_f64()), (Some(43.7384), Some(7.4246)), "{listed}");
            break;
        }
        assert!(Instant::now() < deadline, "no position after 10 s: {listed}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn closed(ws: &mut Ws) -> (u16, String) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Close(Some(f))))) => return (f.code.into(), f.reason.to_string()),
            Ok(Some(Ok(Message::Close(None)))) | Ok(None) | Ok(Some(Err(_))) => {
                return (0, "closed without a code".into())
            }
            Ok(Some(Ok(_))) => continue,
            Err(_) => break,
        }
    }
    panic!("the viewer was not closed within 5 s");
}

/// `vigie-server serve` as its own process, on `addr`, over the test server's database;
/// killed when dropped, so that a failing test leaves no server behind.
fn serve_process(s: &TestServer, addr: &str) -> ServeProcess {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_vigie-server"))
        .arg("serve")
        .env("VIGIE_DATABASE_URL", format!("sqlite://{}", s.db_path().display()))
        .env("VIGIE_LISTEN", addr)
        .env("VIGIE_LOG", "warn")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    ServeProcess(child)
}

struct ServeProcess(std::process::Child);

impl ServeProcess {
    /// SIGKILL, as a crash would.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A viewer as the app's player is: it fetches a token, watches, and when the socket
/// drops it tries again (250 ms doubling to 1 s) with a new token. It records when each
/// fragment arrived.
async fn resilient_viewer(base: String, session: String, id: String, arrivals: Arc<Mutex<Vec<Instant>>>) {
    let http = reqwest::Client::new();
    let mut delay = Duration::from_millis(250);
    loop {
        let token = async {
            let r = http.post(format!("{base}/v1/live/{id}/token")).bearer_auth(&session).send().await.ok()?;
            let t: serde_json::Value = r.error_for_status().ok()?.json().await.ok()?;
            Some(t["token"].as_str()?.to_string())
        };
        if let Some(token) = token.await {
            let url = format!("{}/v1/live/{id}/ws?token={token}", base.replacen("http://", "ws://", 1));
            if let Ok((mut ws, _)) = tokio_tungstenite::connect_async(url).await {
                delay = Duration::from_millis(250);
                while let Some(Ok(Message::Binary(b))) = ws.next().await {
                    if &b[4..8] != b"ftyp" {
                        arrivals.lock().unwrap().push(Instant::now());
                    }
                }
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_resumes_by_itself_when_the_relay_is_killed_and_restarted() {
    let mut s = TestServer::start().await;
    s.add_unit("CSU");
    s.add_unit("BAC-NORD");
    let csu = s.session("CSU-1", "CSU", Role::CsuOperator).await;
    let bac = s.session("OFF-1", "BAC-NORD", Role::Officer).await;
    let cam = Publisher::start(None);
    let id = create_stream(&s, &csu, &cam.url, "BAC-NORD").await;
    // A second body-cam publishes by WHIP itself.
    let body = serde_json::json!({ "label": "Caméra-piéton 7", "source": "whip" });
    let pushed = post_json(&s, &csu, "/v1/live", &body).await.1;
    let (whip_id, whip_key) = (pushed["id"].as_str().unwrap().to_string(), pushed["publisher_key"].as_str().unwrap());
    let grant = serde_json::json!({ "unit": "BAC-NORD", "motif": "intervention en cours, renfort" });
    assert_eq!(post_json(&s, &csu, &format!("/v1/live/{whip_id}/grants"), &grant).await.0, 204);
    // From here the relay is the real binary, over the same database.
    s.stop();
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let base = format!("http://{addr}");
    let mut relay = serve_process(&s, &addr);
    let _whip_cam = WhipPublisher::start(&format!("{base}/v1/live/{whip_id}/whip"), whip_key);
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let whip_arrivals = Arc::new(Mutex::new(Vec::new()));
    let session = bac.token.clone().unwrap();
    let viewer = tokio::spawn(resilient_viewer(base.clone(), session.clone(), id, arrivals.clone()));
    let whip_viewer = tokio::spawn(resilient_viewer(base, session, whip_id, whip_arrivals.clone()));
    let count = || arrivals.lock().unwrap().len();
    let wait_for = |n: usize, secs: u64| async move {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while count() < n {
            assert!(Instant::now() < deadline, "{} fragments of {n} after {secs} s", count());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let whip_count = || whip_arrivals.lock().unwrap().len();
    let wait_for_whip = |n: usize, secs: u64| async move {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while whip_count() < n {
            assert!(Instant::now() < deadline, "WHIP: {} fragments of {n} after {secs} s", whip_count());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    wait_for(25, 15).await;
    wait_for_whip(25, 20).await;

    relay.kill();
    let killed_at = Instant::now();
    let before = count();
    let whip_before = whip_count();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let restarted_at = Instant::now();
    let _relay = serve_process(&s, &addr);
    wait_for(before + 1, 10).await;
    let resumed_at = arrivals.lock().unwrap()[before];
    let (since_restart, since_kill) = (resumed_at - restarted_at, resumed_at - killed_at);
    eprintln!("live: resumed {since_restart:?} after the restart ({since_kill:?} after the kill)");
    assert!(since_restart < Duration::from_secs(3), "resumed {since_restart:?} after the restart");
    // And it keeps playing.
    wait_for(before + 25, 10).await;
    // The WHIP body-cam notices the relay is gone (its receiver reports stop for 1 s) and
    // publishes again; its viewer resumes with it.
    wait_for_whip(whip_before + 1, 15).await;
    let whip_resumed = whip_arrivals.lock().unwrap()[whip_before] - restarted_at;
    eprintln!("live: the WHIP body-cam's viewer resumed {whip_resumed:?} after the restart");
    assert!(whip_resumed < Duration::from_secs(3), "WHIP resumed {whip_resumed:?} after the restart");
    wait_for_whip(whip_before + 25, 10).await;
    viewer.abort();
    whip_viewer.abort();
}

/// An SDP offer as a browser makes it for a receive-only H.264 video (the platform is
/// ICE-lite: no candidates needed).
fn offer(direction: &str) -> String {
    [
        "v=0",
        "o=- 4215775240449105457 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0",
        "a=msid-semantic: WMS",
        "m=video 9 UDP/TLS/RTP/SAVPF 102",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:EsAw",
        "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y",
        "a=ice-options:trickle",
        "a=fingerprint:sha-256 DA:7B:57:DC:28:CE:04:4F:31:79:85:C4:31:67:EB:27:58:29:ED:77:2A:0D:24:AE:ED:AD:30:BC:BD:F1:9C:02",
        "a=setup:actpass",
        "a=mid:0",
        &format!("a={direction}"),
        "a=rtcp-mux",
        "a=rtpmap:102 H264/90000",
        "a=rtcp-fb:102 nack pli",
        "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
        "",
    ]
    .join("\r\n")
}

async fn post_sdp(s: &TestServer, path: &str, bearer: Option<&str>, ty: &str, body: String) -> (u16, String) {
    let mut req = s.http.post(s.url(path)).header("Content-Type", ty).body(body);
    if let Some(b) = bearer {
        req = req.bearer_auth(b);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webrtc_offers_need_their_credentials_and_a_usable_offer() {
    let s = TestServer::start().await;
    for unit in ["CSU", "BAC-NORD"] {
        s.add_unit(unit);
    }
    let csu = s.session("CSU-1", "CSU", Role::CsuOperator).await;
    let bac = s.session("OFF-1", "BAC-NORD", Role::Officer).await;
    let cam = Publisher::start(None);
    let id = create_stream(&s, &csu, &cam.url, "BAC-NORD").await;
    let body = serde_json::json!({ "label": "Caméra-piéton 7 (WHIP)", "source": "whip" });
    let (status, pushed) = post_json(&s, &csu, "/v1/live", &body).await;
    assert_eq!(status, 201, "{pushed}");
    let (whip_id, whip_key) = (pushed["id"].as_str().unwrap(), pushed["publisher_key"].as_str().unwrap());
    let listed = csu.get(&s, "/v1/live").await.1;
    let whip_listed = listed.as_array().unwrap().iter().find(|l| l["id"] == whip_id).unwrap().clone();
    assert_eq!(whip_listed["relay"]["state"], "connecting", "waits for its body-cam: {whip_listed}");
    let sdp = "application/sdp";

    // WHEP: the viewing token is the credential, one use, for its stream only.
    let whep = format!("/v1/live/{id}/whep");
    assert_eq!(post_sdp(&s, &whep, None, sdp, offer("recvonly")).await.0, 401);
    let ticket = post_json(&s, &bac, &format!("/v1/live/{id}/token"), &serde_json::json!({})).await.1;
    assert_eq!(ticket["whep"], whep.as_str(), "{ticket}");
    let other_stream = format!("/v1/live/{whip_id}/whep");
    let token = view_token(&s, &bac, &id).await;
    assert_eq!(post_sdp(&s, &other_stream, Some(&token), sdp, offer("recvonly")).await.0, 401);
    let token = view_token(&s, &bac, &id).await;
    let (status, e) = post_sdp(&s, &whep, Some(&token), "text/plain", offer("recvonly")).await;
    assert_eq!(status, 400, "{e}");
    assert!(e.contains("Content-Type: application/sdp"), "{e}");
    let token = view_token(&s, &bac, &id).await;
    let (status, e) = post_sdp(&s, &whep, Some(&token), sdp, offer("sendonly")).await;
    assert_eq!(status, 400, "{e}");
    assert!(e.contains("recvonly"), "a viewer that offers to send is told what to offer: {e}");
    let token = view_token(&s, &bac, &id).await;
    let (status, e) = post_sdp(&s, &whep, Some(&token), sdp, offer("recvonly").replace("H264", "VP8")).await;
    assert_eq!(status, 400, "{e}");
    assert!(e.contains("H.264"), "{e}");
    // A good offer gets the answer and the session's address; deleting it ends the view.
    let token = view_token(&s, &bac, &id).await;
    let r = s
        .http
        .post(s.url(&format!("{whep}?token={token}")))
        .header("Content-Type", sdp)
        .header("Origin", "http://tauri.localhost")
        .body(offer("recvonly"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(r.headers()["access-control-allow-origin"], "*", "the app's origin may read the answer");
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&format!("{whep}/")), "{location}");
    let answer = r.text().await.unwrap();
    assert!(
        answer.contains("a=sendonly") && answer.contains("H264/90000") && answer.contains("a=ice-lite"),
        "{answer}"
    );
    assert!(answer.contains("a=candidate:") && answer.contains("127.0.0.1"), "the relay's own address: {answer}");
    // Only the token that opened the session ends it.
    let end = |t: Option<&str>| {
        let mut req = s.http.delete(s.url(&location));
        if let Some(t) = t {
            req = req.bearer_auth(t);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(end(None).await, 401);
    let someone_else = view_token(&s, &bac, &id).await;
    assert_eq!(end(Some(&someone_else)).await, 404, "another viewer's token does not end this view");
    assert_eq!(end(Some(&token)).await, 204);
    assert_eq!(end(Some(&token)).await, 404);
    // The browser's preflight for the app's origin.
    let pre = s
        .http
        .request(reqwest::Method::OPTIONS, s.url(&whep))
        .header("Origin", "http://tauri.localhost")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "authorization,content-type")
        .send()
        .await
        .unwrap();
    assert!(pre.status().is_success(), "{}", pre.status());
    assert!(pre.headers()["access-control-allow-headers"].to_str().unwrap().contains("authorization"));

    // WHIP: the publisher key of that very stream, registered to be pushed.
    let whip = format!("/v1/live/{whip_id}/whip");
    assert_eq!(post_sdp(&s, &whip, None, sdp, offer("sendonly")).await.0, 401);
    assert_eq!(post_sdp(&s, &whip, Some("0123456789abcdef"), sdp, offer("sendonly")).await.0, 401);
    let (status, e) = post_sdp(&s, &format!("/v1/live/{id}/whip"), Some(whip_key), sdp, offer("sendonly")).await;
    assert_eq!(status, 403, "another stream's key: {e}");
    let (status, e) = post_sdp(&s, &whip, Some(whip_key), sdp, offer("recvonly")).await;
    assert_eq!(status, 400, "{e}");
    assert!(e.contains("sendonly"), "{e}");
    let r = s
        .http
        .post(s.url(&whip))
        .bearer_auth(whip_key)
        .header("Content-Type", sdp)
        .body(offer("sendonly"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(r.text().await.unwrap().contains("a=recvonly"));
    assert_eq!(s.http.delete(s.url(&location)).send().await.unwrap().status().as_u16(), 401, "the key is needed");
    let deleted = s.http.delete(s.url(&location)).bearer_auth(whip_key).send().await.unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    // An RTSP stream is pulled: its key cannot push to it.
    let rtsp_key = {
        let body = serde_json::json!({ "label": "Caméra-piéton 8", "source": cam.url });
        post_json(&s, &csu, "/v1/live", &body).await.1
    };
    let rtsp_whip = format!("/v1/live/{}/whip", rtsp_key["id"].as_str().unwrap());
    let (status, e) = post_sdp(&s, &rtsp_whip, rtsp_key["publisher_key"].as_str(), sdp, offer("sendonly")).await;
    assert_eq!(status, 409, "{e}");
    assert!(e.contains("rtsp://"), "{e}");
    // Publications are in the audit log.
    let admin = s.session("ADM-1", "CSU", Role::Admin).await;
    let log = admin.get(&s, "/v1/audit?limit=500").await.1;
    let actions: Vec<&str> = log["entries"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"live.publish"), "{actions:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_cam_publishing_by_whip_is_relayed_to_its_viewers() {
    let s = TestServer::start().await;
    for unit in ["CSU", "BAC-NORD"] {
        s.add_unit(unit);
    }
    let csu = s.session("CSU-1", "CSU", Role::CsuOperator).await;
    let bac = s.session("OFF-1", "BAC-NORD", Role::Officer).await;
    let body = serde_json::json!({ "label": "Caméra-piéton 7 — BAC Nord", "source": "whip" });
    let (status, created) = post_json(&s, &csu, "/v1/live", &body).await;
    assert_eq!(status, 201, "{created}");
    let (id, key) = (created["id"].as_str().unwrap(), created["publisher_key"].as_str().unwrap());
    let motif = serde_json::json!({ "unit": "BAC-NORD", "motif": "interpellation en cours, renfort" });
    assert_eq!(post_json(&s, &csu, &format!("/v1/live/{id}/grants"), &motif).await.0, 204);

    // The body-cam posts its offer, connects, and its frames reach the relay untranscoded.
    let mut cam = WhipPublisher::start(&s.url(&format!("/v1/live/{id}/whip")), key);
    let session = cam.wait_for("publishing ", Duration::from_secs(20));
    assert!(session.contains(&format!("/v1/live/{id}/whip/")), "{session}");
    cam.wait_for("connected", Duration::from_secs(20));
    wait_live(&s, &csu, id).await;

    // A WebSocket viewer of the unit decodes them with their capture stamps.
    let token = view_token(&s, &bac, id).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url(&s, id, &token)).await.unwrap();
    let got = receive(&mut ws, 50).await;
    assert!(got.first_is_keyframe, "the viewer starts at a keyframe");
    let stamps = decode_stamps(&got.bytes, 640, 360);
    assert!(stamps.len() >= 45, "decoded {} frames of 50", stamps.len());
    assert!(stamps.windows(2).all(|w| w[0] < w[1]), "capture times increase: {stamps:?}");
    let age = got.last_at_ms.saturating_sub(*stamps.last().unwrap());
    eprintln!("live (WHIP in): the last frame arrived {age} ms after its capture");
    assert!(age < 2000, "the last frame was captured {age} ms before it arrived");
    let listed = bac.get(&s, "/v1/live").await.1;
    assert_eq!((listed[0]["relay"]["width"].as_u64(), listed[0]["relay"]["height"].as_u64()), (Some(640), Some(360)));

    // The body-cam stops (it deletes its session): the relay says the source is lost.
    cam.terminate();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let listed = csu.get(&s, "/v1/live").await.1;
        if listed[0]["relay"]["state"] == "lost" {
            assert!(listed[0]["relay"]["error"].as_str().unwrap().starts_with("WHIP"), "{listed}");
            break;
        }
        assert!(Instant::now() < deadline, "still {listed}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ws.close(None).await.unwrap();

    // Back, then the operator ends the relay: the body-cam's next offer is refused, and it
    // stops for good (exit status 2) instead of asking again and again.
    let mut cam = WhipPublisher::start(&s.url(&format!("/v1/live/{id}/whip")), key);
    cam.wait_for("connected", Duration::from_secs(20));
    assert_eq!(post_json(&s, &csu, &format!("/v1/live/{id}/end"), &serde_json::json!({})).await.0, 204);
    let exited = tokio::task::block_in_place(|| cam.exited(Duration::from_secs(15)));
    assert_eq!(exited.and_then(|s| s.code()), Some(2), "the body-cam stops once the relay is ended");

    let admin = s.session("ADM-1", "CSU", Role::Admin).await;
    let audit = admin.get(&s, "/v1/audit?limit=500").await.1;
    let entries = audit["entries"].as_array().unwrap();
    let unpublished =
        entries.iter().find(|e| e["action"] == "live.unpublish").expect("the publication's end is audited");
    assert!(unpublished["detail"]["frames"].as_u64().unwrap() >= 50, "{unpublished}");
    assert!(entries.iter().any(|e| e["action"] == "live.publish" && e["detail"]["stream"] == id));
}
