//! Offline basemap areas over real HTTP: the listing reads each PMTiles file's header,
//! metadata and hash; the download is whole or a byte range (resume), guarded by
//! `If-Range`, never gzip-encoded, refused without a session, and audited.

use crate::common::{sha256_hex, write_pmtiles, Device, TestServer};
use vigie_server::model::Role;

const MONACO_META: &str = r#"{"name":"Monaco","built_at":"2025-02-11T10:00:00Z","vector_layers":[]}"#;

/// A client that neither asks for nor decodes gzip by itself, so the tests see the
/// encoding the server chose.
fn raw_http() -> reqwest::Client {
    reqwest::Client::builder().no_gzip().build().unwrap()
}

async fn get(s: &TestServer, d: &Device, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = raw_http().get(s.url(path)).bearer_auth(d.token.as_ref().unwrap());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers().get(name).map(|v| v.to_str().unwrap().to_string())
}

#[tokio::test]
async fn areas_are_listed_with_their_bounds_zooms_size_and_hash() {
    let s = TestServer::start().await;
    s.add_unit("BT-38");
    let officer = s.session("OFF-1", "BT-38", Role::Officer).await;
    // No folder yet: no areas, not an error.
    assert_eq!(officer.get(&s, "/v1/areas").await, (200, serde_json::json!([])));

    let bytes = write_pmtiles(&s.basemap().join("monaco.pmtiles"), 1, 20, MONACO_META);
    let other = write_pmtiles(&s.basemap().join("monaco-nord.pmtiles"), 2, 3, "{}");
    std::fs::write(s.basemap().join("broken.pmtiles"), b"not a pmtiles file at all").unwrap();
    std::fs::copy(s.basemap().join("monaco.pmtiles"), s.basemap().join("Bad_Name.pmtiles")).unwrap();
    std::fs::write(s.basemap().join("notes.txt"), b"ignored").unwrap();

    let (status, list) = officer.get(&s, "/v1/areas").await;
    assert_eq!(status, 200);
    assert_eq!(
        list,
        serde_json::json!([
            {
                "id": "monaco", "name": "Monaco", "bounds": [7.4, 43.72, 7.44, 43.76], "center": [7.42, 43.74],
                "min_zoom": 12, "max_zoom": 14, "bytes": bytes.len(), "sha256": sha256_hex(&bytes),
                "built_at": "2025-02-11T10:00:00Z",
            },
            {
                "id": "monaco-nord", "name": "monaco-nord", "bounds": [7.4, 43.72, 7.44, 43.76],
                "center": [7.42, 43.74], "min_zoom": 12, "max_zoom": 14, "bytes": other.len(),
                "sha256": sha256_hex(&other),
            },
        ]),
        "the broken file and the badly named one are left out"
    );
    let typed: Vec<vigie_core::sync::AreaInfo> = serde_json::from_value(list).unwrap();
    assert_eq!(typed[0].built_at.unwrap().to_rfc3339(), "2025-02-11T10:00:00+00:00");

    // A file rewritten in place gets its new hash (the cache is keyed by mtime and size).
    let rewritten = write_pmtiles(&s.basemap().join("monaco.pmtiles"), 3, 21, MONACO_META);
    let (_, list) = officer.get(&s, "/v1/areas").await;
    assert_eq!(list[0]["sha256"], sha256_hex(&rewritten));
    assert_eq!(list[0]["bytes"], rewritten.len());
}

#[tokio::test]
async fn a_download_is_whole_or_resumed_and_never_splices_two_versions() {
    let s = TestServer::start().await;
    s.add_unit("BT-38");
    let officer = s.session("OFF-1", "BT-38", Role::Officer).await;
    let bytes = write_pmtiles(&s.basemap().join("monaco.pmtiles"), 1, 40, MONACO_META);
    let len = bytes.len();
    let etag = format!("\"{}\"", sha256_hex(&bytes));
    let path = "/v1/areas/monaco/tiles.pmtiles";

    // Whole, even to a client that accepts gzip: no encoding, a length, an ETag.
    let r = get(&s, &officer, path, &[("accept-encoding", "gzip")]).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(header(&r, "content-encoding"), None);
    assert_eq!(header(&r, "content-length"), Some(len.to_string()));
    assert_eq!(header(&r, "accept-ranges").as_deref(), Some("bytes"));
    assert_eq!(header(&r, "etag"), Some(etag.clone()));
    assert_eq!(header(&r, "content-type").as_deref(), Some("application/vnd.pmtiles"));
    assert_eq!(r.bytes().await.unwrap(), bytes);

    // Resumed: exactly the tail, with its Content-Range, not compressed either.
    let from = len * 2 / 5;
    let r = get(
        &s,
        &officer,
        path,
        &[("range", &format!("bytes={from}-")), ("if-range", &etag), ("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 206);
    assert_eq!(header(&r, "content-range"), Some(format!("bytes {from}-{}/{len}", len - 1)));
    assert_eq!(header(&r, "content-length"), Some((len - from).to_string()));
    assert_eq!(header(&r, "content-encoding"), None);
    assert_eq!(header(&r, "etag"), Some(etag.clone()));
    assert_eq!(r.bytes().await.unwrap(), bytes[from..]);

    // A closed range, and a suffix.
    let r = get(&s, &officer, path, &[("range", "bytes=100-199")]).await;
    assert_eq!((r.status().as_u16(), header(&r, "content-range")), (206, Some(format!("bytes 100-199/{len}"))));
    assert_eq!(r.bytes().await.unwrap(), bytes[100..200]);
    let r = get(&s, &officer, path, &[("range", "bytes=-127")]).await;
    assert_eq!(r.status().as_u16(), 206);
    assert_eq!(r.bytes().await.unwrap(), bytes[len - 127..]);

    // Past the end: 416, saying how long the file is.
    let r = get(&s, &officer, path, &[("range", &format!("bytes={len}-"))]).await;
    assert_eq!(r.status().as_u16(), 416);
    assert_eq!(header(&r, "content-range"), Some(format!("bytes */{len}")));
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "range_not_satisfiable");

    // The file changed since the first part: If-Range no longer matches, so the whole new
    // file comes back with 200, never its tail glued onto the old head.
    let new = write_pmtiles(&s.basemap().join("monaco.pmtiles"), 2, 40, MONACO_META);
    let r = get(&s, &officer, path, &[("range", &format!("bytes={from}-")), ("if-range", &etag)]).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(header(&r, "content-range"), None);
    assert_eq!(header(&r, "etag"), Some(format!("\"{}\"", sha256_hex(&new))));
    assert_eq!(r.bytes().await.unwrap(), new);
    // A date in If-Range (we send no Last-Modified) is not trusted either.
    let r = get(&s, &officer, path, &[("range", "bytes=10-"), ("if-range", "Wed, 21 Oct 2015 07:28:00 GMT")]).await;
    assert_eq!(r.status().as_u16(), 200);

    // Unknown and malformed ids.
    assert_eq!(get(&s, &officer, "/v1/areas/nowhere/tiles.pmtiles", &[]).await.status().as_u16(), 404);
    assert_eq!(get(&s, &officer, "/v1/areas/Bad_Name/tiles.pmtiles", &[]).await.status().as_u16(), 400);
    assert_eq!(get(&s, &officer, "/v1/areas/..%2Fplatform/tiles.pmtiles", &[]).await.status().as_u16(), 400);
}

#[tokio::test]
async fn areas_need_a_session_and_every_transfer_is_audited() {
    let s = TestServer::start().await;
    s.add_unit("BT-38");
    let officer = s.session("OFF-1", "BT-38", Role::Officer).await;
    let bytes = write_pmtiles(&s.basemap().join("monaco.pmtiles"), 1, 10, MONACO_META);
    let etag = format!("\"{}\"", sha256_hex(&bytes));
    let path = "/v1/areas/monaco/tiles.pmtiles";

    let anonymous = raw_http();
    for p in ["/v1/areas", path] {
        assert_eq!(anonymous.get(s.url(p)).send().await.unwrap().status().as_u16(), 401, "{p}");
        let forged = anonymous.get(s.url(p)).bearer_auth("not-a-token").send().await.unwrap();
        assert_eq!(forged.status().as_u16(), 401, "{p}");
    }

    let head = raw_http().head(s.url(path)).bearer_auth(officer.token.as_ref().unwrap()).send().await.unwrap();
    assert_eq!((head.status().as_u16(), header(&head, "content-length")), (200, Some(bytes.len().to_string())));
    assert_eq!(get(&s, &officer, path, &[]).await.bytes().await.unwrap().len(), bytes.len());
    let r = get(&s, &officer, path, &[("range", "bytes=5000-"), ("if-range", &etag)]).await;
    assert_eq!(r.status().as_u16(), 206);
    r.bytes().await.unwrap();

    let (entries, _) = s.db.audit_log().unwrap();
    let downloads: Vec<serde_json::Value> = entries
        .iter()
        .filter(|e| e.event.action == "area.download")
        .map(|e| {
            assert_eq!((e.event.actor.as_str(), e.event.role.as_deref()), ("OFF-1", Some("officer")));
            serde_json::from_str(&e.event.detail).unwrap()
        })
        .collect();
    let sha = sha256_hex(&bytes);
    assert_eq!(
        downloads,
        vec![
            serde_json::json!({ "area": "monaco", "sha256": sha, "bytes": bytes.len(), "range": null, "resumed": false }),
            serde_json::json!({
                "area": "monaco", "sha256": sha, "bytes": bytes.len(), "range": [5000, bytes.len() - 1], "resumed": true,
            }),
        ],
        "refused requests and a HEAD are not downloads; the resumed one says where it started"
    );
    let (entries, head) = s.db.audit_log().unwrap();
    vigie_core::audit::verify_chain(&entries, head).unwrap();
}
