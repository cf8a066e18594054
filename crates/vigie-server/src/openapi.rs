//! The OpenAPI 3.1 description of the HTTP API, served at `/v1/openapi.json`.
//!
//! Built from [`crate::api::ROUTES`] (the table the router is checked against) and the
//! per-operation details below; a test fails if the two tables disagree, and the route
//! test proves every listed route is served.

use serde_json::{json, Value};

use crate::api::ROUTES;

/// Summary, request body schema and response schema of each operation.
pub(crate) const OPERATIONS: &[(&str, &str, &str, Option<&str>, &str)] = &[
    ("POST", "/v1/enrolments", "Ask to enrol a device (signed by its key)", Some("EnrolRequest"), "EnrolAccepted"),
    ("POST", "/v1/auth/challenge", "Get a one-time login challenge", Some("ChallengeRequest"), "Challenge"),
    ("POST", "/v1/auth/token", "Exchange a signed challenge for a session token", Some("TokenRequest"), "Session"),
    ("GET", "/v1/me", "Who the session is, with what their acts print (rank, qualité, service)", None, "Me"),
    ("GET", "/v1/registry", "Registry of an area: full package, or delta since a version", None, "RegistryUpdate"),
    ("GET", "/v1/cameras/near", "Cameras near a point", None, "CameraHits"),
    ("GET", "/v1/cameras/seeing", "Cameras that could have seen a point at a moment", None, "CameraHits"),
    ("GET", "/v1/devices", "Every device and its state", None, "Devices"),
    ("POST", "/v1/devices/{id}/approve", "Approve a device", None, "Empty"),
    ("POST", "/v1/devices/{id}/refuse", "Refuse a device", None, "Empty"),
    ("POST", "/v1/devices/{id}/revoke", "Revoke a device (stops it at once)", None, "Empty"),
    ("GET", "/v1/audit", "A page of the audit log", None, "AuditPage"),
    ("POST", "/v1/documents", "Push a signed document (idempotent by id)", Some("SignedDocument"), "DocumentStatus"),
    ("GET", "/v1/documents", "The statuses of my documents", None, "Documents"),
    ("GET", "/v1/review", "Documents of my unit awaiting review", None, "Documents"),
    ("POST", "/v1/documents/{id}/countersign", "Countersign a document", Some("Decision"), "Empty"),
    ("POST", "/v1/documents/{id}/return", "Return a document with a comment", Some("Decision"), "Empty"),
    (
        "POST",
        "/v1/documents/{id}/status",
        "Record that a document was sent, acknowledged, fulfilled",
        Some("StatusChange"),
        "Empty",
    ),
    ("POST", "/v1/private-cameras", "Submit a private camera seen in the field", Some("Camera"), "Submission"),
    ("GET", "/v1/private-cameras", "My submissions and their moderation state", None, "Submissions"),
    ("GET", "/v1/moderation", "Submissions awaiting moderation", None, "Submissions"),
    (
        "POST",
        "/v1/moderation/{id}/accept",
        "Accept a submission (merged if it duplicates a known camera)",
        None,
        "Submission",
    ),
    ("POST", "/v1/moderation/{id}/refuse", "Refuse a submission with a comment", Some("Decision"), "Empty"),
    ("GET", "/v1/areas", "The offline basemap areas on offer", None, "Areas"),
    (
        "GET",
        "/v1/areas/{id}/tiles.pmtiles",
        "An offline area's PMTiles file, whole or resumed from a byte offset (Range, If-Range)",
        None,
        "PmTiles",
    ),
    (
        "GET",
        "/v1/live",
        "The live streams I may view, with the source's state and the body-cam's position",
        None,
        "LiveStreams",
    ),
    (
        "POST",
        "/v1/live",
        "Register a body-cam's RTSP source (the relay pulls it at once)",
        Some("NewLiveStream"),
        "LiveStreamCreated",
    ),
    ("POST", "/v1/live/{id}/grants", "Let a unit view a stream, for a motif", Some("LiveGrant"), "Empty"),
    (
        "POST",
        "/v1/live/{id}/revoke",
        "Withdraw a unit's permission (its viewers are closed)",
        Some("LiveRevoke"),
        "Empty",
    ),
    ("POST", "/v1/live/{id}/end", "End the relay of a stream", None, "Empty"),
    ("POST", "/v1/live/{id}/token", "A one-use viewing token for this stream (60 s)", None, "ViewingToken"),
    (
        "GET",
        "/v1/live/{id}/ws",
        "WebSocket: the init segment, then one fragmented-MP4 fragment per frame (prft box first)",
        None,
        "LiveFragments",
    ),
    (
        "POST",
        "/v1/live/{id}/position",
        "The body-cam's position (its gateway, with the publisher key)",
        Some("LivePosition"),
        "Empty",
    ),
    (
        "POST",
        "/v1/live/{id}/whep",
        "WHEP: the viewer's SDP offer (H.264, recvonly) in; the answer out (201, Location: the session)",
        Some("Sdp"),
        "Sdp",
    ),
    (
        "DELETE",
        "/v1/live/{id}/whep/{session}",
        "End a WHEP view (Bearer: the viewing token that opened it)",
        None,
        "Empty",
    ),
    (
        "POST",
        "/v1/live/{id}/whip",
        "WHIP: the body-cam's SDP offer (H.264, sendonly) in; the answer out (201, Location: the session)",
        Some("Sdp"),
        "Sdp",
    ),
    ("DELETE", "/v1/live/{id}/whip/{session}", "End a WHIP publication", None, "Empty"),
    ("GET", "/v1/openapi.json", "This description", None, "OpenApi"),
    (
        "POST",
        "/v1/verify",
        "Check a requisition: its PDF, its proof JSON or its QR code's text (200 authentic, 422 not)",
        Some("VerifyFile"),
        "VerifyOutcome",
    ),
];

/// Query parameters of the operations that take some: (path, name, type, required).
const QUERY: &[(&str, &str, &str, bool)] = &[
    ("/v1/registry", "south", "number", true),
    ("/v1/registry", "west", "number", true),
    ("/v1/registry", "north", "number", true),
    ("/v1/registry", "east", "number", true),
    ("/v1/registry", "since", "integer", false),
    ("/v1/cameras/near", "lat", "number", true),
    ("/v1/cameras/near", "lon", "number", true),
    ("/v1/cameras/near", "radius_m", "number", false),
    ("/v1/cameras/near", "limit", "integer", false),
    ("/v1/cameras/near", "at", "string", false),
    ("/v1/cameras/near", "motif", "string", false),
    ("/v1/cameras/seeing", "lat", "number", true),
    ("/v1/cameras/seeing", "lon", "number", true),
    ("/v1/cameras/seeing", "at", "string", false),
    ("/v1/cameras/seeing", "motif", "string", false),
    ("/v1/audit", "after", "integer", false),
    ("/v1/audit", "limit", "integer", false),
    ("/v1/live/{id}/ws", "token", "string", true),
    ("/v1/live/{id}/whep", "token", "string", false),
];

fn object(required: &[&str], props: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": props })
}

fn schemas() -> Value {
    let mut all = base_schemas();
    if let (Some(all), Value::Object(live)) = (all.as_object_mut(), live_schemas()) {
        all.extend(live);
    }
    all
}

/// The live relay's schemas (apart: one `json!` that large exceeds the macro's recursion).
fn live_schemas() -> Value {
    let s = json!({ "type": "string" });
    let time = json!({ "type": "string", "format": "date-time" });
    json!({
        "LiveGrantItem": object(&["unit", "motif", "by", "at"], json!({ "unit": s, "motif": s, "by": s, "at": time })),
        "LiveStream": object(&["id", "label", "source", "created_by", "created_at", "grants"], json!({
            "id": s, "label": s, "source": s, "created_by": s, "created_at": time, "ended_at": time,
            "position": { "type": ["array", "null"], "description": "[{lat, lon}, time]" },
            "grants": { "type": "array", "items": { "$ref": "#/components/schemas/LiveGrantItem" } } })),
        "LiveStreams": { "type": "array", "items": { "allOf": [{ "$ref": "#/components/schemas/LiveStream" }, object(&["motif"], json!({
            "motif": s, "relay": { "type": ["object", "null"], "properties": {
                "state": { "enum": ["connecting", "live", "lost", "ended"] }, "error": s,
                "frames": { "type": "integer" }, "viewers": { "type": "integer" },
                "width": { "type": ["integer", "null"] }, "height": { "type": ["integer", "null"] } } } }))] } },
        "NewLiveStream": object(&["label", "source"], json!({ "label": s, "source": { "type": "string", "format": "uri", "description": "rtsp://…" } })),
        "LiveStreamCreated": object(&["id", "publisher_key", "stream"], json!({ "id": s,
            "publisher_key": { "type": "string", "description": "shown once: the gateway's Bearer for /position" },
            "stream": { "$ref": "#/components/schemas/LiveStream" } })),
        "LiveGrant": object(&["unit", "motif"], json!({ "unit": s,
            "motif": { "type": "string", "minLength": vigie_core::live::MIN_MOTIF_CHARS, "maxLength": vigie_core::live::MAX_MOTIF_CHARS } })),
        "LiveRevoke": object(&["unit"], json!({ "unit": s })),
        "ViewingToken": object(&["token", "expires_at", "motif", "ws"], json!({ "token": s, "expires_at": time, "motif": s, "ws": s })),
        "LiveFragments": { "type": "string", "contentMediaType": "video/mp4",
            "description": "binary WebSocket messages; closed with 4403 when the view is no longer allowed" },
        "LivePosition": object(&["lat", "lon"], json!({ "lat": { "type": "number" }, "lon": { "type": "number" }, "at": time })),
    })
}

fn base_schemas() -> Value {
    let s = json!({ "type": "string" });
    let b64 = json!({ "type": "string", "contentEncoding": "base64" });
    let time = json!({ "type": "string", "format": "date-time" });
    json!({
        "Error": object(&["code", "message"], json!({ "code": s, "message": s })),
        "Empty": { "type": "null" },
        "EnrolRequest": object(&["public_key", "rio", "device_name", "at", "signature"],
            json!({ "public_key": b64, "rio": s, "device_name": s, "at": time, "signature": b64 })),
        "EnrolAccepted": object(&["device_id", "state"], json!({ "device_id": { "type": "integer" }, "state": s })),
        "ChallengeRequest": object(&["device_id"], json!({ "device_id": { "type": "integer" } })),
        "Challenge": object(&["nonce", "expires_at"], json!({ "nonce": b64, "expires_at": time })),
        "TokenRequest": object(&["device_id", "nonce", "signature"], json!({ "device_id": { "type": "integer" }, "nonce": b64, "signature": b64 })),
        "Session": object(&["token", "expires_at", "user"], json!({ "token": s, "expires_at": time, "user": { "$ref": "#/components/schemas/Principal" } })),
        "Principal": object(&["rio", "name", "role", "unit"], json!({
            "device": { "type": "integer" }, "rio": s, "name": s, "unit": s,
            "role": { "enum": ["officer", "supervisor", "csu_operator", "admin"] } })),
        "Me": object(&["rio", "name", "role", "unit", "rank", "qualite", "service"], json!({
            "device": { "type": "integer" }, "rio": s, "name": s, "unit": s, "rank": s, "qualite": s,
            "role": { "enum": ["officer", "supervisor", "csu_operator", "admin"] },
            "service": object(&["name", "unit"], json!({ "name": s, "unit": s, "address": s, "phone": s, "email": s })) })),
        "RegistryUpdate": { "type": "object", "required": ["kind", "protocol"], "properties": {
            "kind": { "enum": ["full", "delta"] }, "protocol": { "const": vigie_core::sync::PROTOCOL_VERSION },
            "version": { "type": "integer" }, "from": { "type": "integer" }, "to": { "type": "integer" },
            "cameras": { "type": "array" }, "upserts": { "type": "array" }, "deletions": { "type": "array", "items": s } } },
        "CameraHits": { "type": "array", "items": object(&["id", "lat", "lon", "distance_m", "erased_at", "urgency"], json!({
            "id": s, "label": s, "holder": s, "lat": { "type": "number" }, "lon": { "type": "number" },
            "distance_m": { "type": "number" }, "bearing_deg": { "type": "number" },
            "visibility": { "enum": ["in_view", "possible", null] }, "erased_at": time,
            "remaining_hours": { "type": "number" }, "urgency": { "enum": ["lost", "critical", "soon", "later"] },
            "retention_known": { "type": "boolean" } })) },
        "Devices": { "type": "array", "items": { "type": "object" } },
        "AuditPage": object(&["entries"], json!({ "entries": { "type": "array", "items": { "type": "object" } } })),
        "SignedDocument": object(&["document", "signature"], json!({ "document": { "type": "object" }, "signature": b64 })),
        "DocumentStatus": object(&["id", "status"], json!({ "id": s, "status": s })),
        "Documents": { "type": "array", "items": { "type": "object" } },
        "Decision": object(&[], json!({ "signature": b64, "comment": s })),
        "OpenApi": { "type": "object" },
        "VerifyFile": { "type": "string", "contentMediaType": "application/pdf",
            "description": "the PDF as printed, the proof JSON, or the QR code's text (VIGIE1;…)" },
        "VerifyOutcome": object(&["valid"], json!({ "valid": { "type": "boolean" }, "digest": s, "error": s,
            "platform_status": s, "verified": { "type": "object" } })),
        "StatusChange": object(&["status"], json!({ "status": { "enum": ["sent_to_holder", "acknowledged", "fulfilled"] }, "comment": s })),
        "Camera": object(&["id", "kind", "placements"], json!({ "id": s, "kind": { "const": "private" }, "placements": { "type": "array" } })),
        "Submission": object(&["id", "state"], json!({ "id": s, "state": { "enum": ["pending", "accepted", "merged", "refused"] }, "duplicate_of": s })),
        "Submissions": { "type": "array", "items": { "$ref": "#/components/schemas/Submission" } },
        "Area": object(&["id", "name", "bounds", "center", "min_zoom", "max_zoom", "bytes", "sha256"], json!({
            "id": { "type": "string", "pattern": "^[a-z0-9-]{1,64}$" }, "name": s,
            "bounds": { "type": "array", "items": { "type": "number" }, "minItems": 4, "maxItems": 4,
                "description": "[west, south, east, north]" },
            "center": { "type": "array", "items": { "type": "number" }, "minItems": 2, "maxItems": 2,
                "description": "[lon, lat]" },
            "min_zoom": { "type": "integer" }, "max_zoom": { "type": "integer" }, "bytes": { "type": "integer" },
            "sha256": { "type": "string", "description": "lowercase hex; the download's ETag" }, "built_at": time })),
        "Areas": { "type": "array", "items": { "$ref": "#/components/schemas/Area" } },
        "PmTiles": { "type": "string", "contentMediaType": crate::areas::CONTENT_TYPE },
        "Sdp": { "type": "string", "contentMediaType": "application/sdp", "description": "an SDP offer or answer (RFC 8866), non-trickle" },
    })
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path, summary, body, response) in OPERATIONS {
        let who = ROUTES.iter().find(|(m, p, _)| m == method && p == path).map(|r| r.2).unwrap_or("any session");
        let signed = path.starts_with("/v1/enrolments") || path.starts_with("/v1/auth/") || *path == "/v1/verify";
        let mut params: Vec<Value> = QUERY
            .iter()
            .filter(|(p, ..)| p == path)
            .map(|(_, name, ty, required)| json!({ "name": name, "in": "query", "required": required, "schema": { "type": ty } }))
            .collect();
        for name in ["id", "session"] {
            if path.contains(&format!("{{{name}}}")) {
                params.push(json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }));
            }
        }
        let ok = match (*method, *response) {
            ("POST" | "DELETE", "Empty") => "204",
            (_, "Sdp") => "201",
            _ => "200",
        };
        let media = match *response {
            "PmTiles" => crate::areas::CONTENT_TYPE,
            "Sdp" => "application/sdp",
            _ => "application/json",
        };
        let schema = json!({ media: { "schema": { "$ref": format!("#/components/schemas/{response}") } } });
        let error = json!({ "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } });
        let mut op = json!({
            "summary": summary,
            "description": format!("Who may call: {who}."),
            "parameters": params,
            "responses": {
                ok: { "description": "success", "content": schema },
                "default": { "description": "error", "content": error },
            },
            "security": if signed { json!([]) } else { json!([{ "session": [] }]) },
        });
        if *response == "PmTiles" {
            for (name, what) in [
                ("Range", "bytes=N- (or N-M, -K): resume from byte N"),
                ("If-Range", "the ETag the first part came with: if the file changed since, it comes whole (200)"),
            ] {
                if let Some(p) = op["parameters"].as_array_mut() {
                    p.push(json!({ "name": name, "in": "header", "required": false, "description": what, "schema": { "type": "string" } }));
                }
            }
            op["responses"]["206"] = json!({ "description": "the range asked for (Content-Range)", "content": schema });
            op["responses"]["416"] = json!({ "description": "the range starts past the end", "content": error });
        }
        if let Some(b) = body {
            let media = match *b {
                "VerifyFile" => "application/octet-stream",
                "Sdp" => "application/sdp",
                _ => "application/json",
            };
            op["requestBody"] = json!({ "required": true, "content": { media: { "schema": { "$ref": format!("#/components/schemas/{b}") } } } });
        }
        paths.entry(path.to_string()).or_insert_with(|| json!({}))[method.to_ascii_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Vigie platform API", "version": env!("CARGO_PKG_VERSION") },
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": { "session": { "type": "http", "scheme": "bearer", "description": "A token from /v1/auth/token" } },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The description and the route table list the same operations, and every schema a
    /// path refers to exists.
    #[test]
    fn the_description_matches_the_routes() {
        let described: std::collections::BTreeSet<(&str, &str)> = OPERATIONS.iter().map(|o| (o.0, o.1)).collect();
        let routed: std::collections::BTreeSet<(&str, &str)> = ROUTES.iter().map(|r| (r.0, r.1)).collect();
        assert_eq!(described, routed);
        let doc = document();
        let text = doc.to_string();
        for (name, _) in doc["components"]["schemas"].as_object().unwrap() {
            assert!(text.contains(&format!("#/components/schemas/{name}")) || name == "Error", "unused schema {name}");
        }
        for r in text.split("#/components/schemas/").skip(1) {
            let name: String = r.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            assert!(doc["components"]["schemas"].get(&name).is_some(), "missing schema {name}");
        }
        for q in QUERY {
            assert!(routed.iter().any(|(_, p)| *p == q.0), "query parameter of an unknown path {}", q.0);
        }
    }
}
