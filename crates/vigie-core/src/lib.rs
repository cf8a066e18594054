//! Vigie's domain core: cameras, geometry, the spatial index and its questions
//! (nearest, within a radius, who could have seen a point at a moment, cameras along a
//! route), retention of footage, and the importers of camera files.
//!
//! # Contract
//!
//! This crate does no I/O: no files, no network, no threads, no async, no database, and it
//! never reads the clock or a random source. Every input, including "now", is an argument;
//! every result is a return value. Importers take bytes already read by the caller. That is
//! what lets the whole domain be tested exhaustively and quickly, and lets the app, the
//! server and the benchmarks share it unchanged.
//!
//! # Map
//!
//! - [`geo`]: WGS84 positions, a local projection, distance and bearing.
//! - [`camera`]: the camera model (placements in time, views, holder, status, retention).
//! - [`coverage`]: whether a camera's field of view reaches a point or a route segment.
//! - [`index`]: [`CameraIndex`], the spatial index and its queries.
//! - [`retention`]: when footage of a moment is erased and how urgent that is.
//! - [`around`]: the "Autour de moi" list (distance, direction, could see, retention).
//! - [`import`]: GeoJSON, OSM (Overpass JSON) and CSV importers with their reports.
//! - [`sync`]: the registry sync protocol (areas, full packages, deltas, replicas), and the
//!   offline basemap areas the platform offers ([`sync::AreaInfo`]).
//! - [`auth`]: what devices sign to enrol and log in, and its verification.
//! - [`audit`]: the hash-chained audit log's entries and their verification.
//! - [`position`]: fixes from every source and the rule that refuses a bad one.
//! - [`moderation`]: recognising a submitted private camera already known, and merging.
//! - [`requisition`]: the legal bases and what blocks or warns before signing.
//! - [`act`]: what a requisition or a preservation request says, field by field.
//! - [`document`]: signed documents (requisitions), their canonical bytes, statuses.
//! - [`proof`]: what proves a signed document offline (PDF, QR code) and its check.
//! - [`outbox`]: the device's queue of signed documents and its retry rules.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod act;
pub mod around;
pub mod audit;
pub mod auth;
pub mod camera;
pub mod coverage;
pub mod document;
pub mod geo;
pub mod import;
pub mod index;
pub mod live;
pub mod moderation;
pub mod outbox;
pub mod position;
pub mod proof;
pub mod requisition;
pub mod retention;
pub mod sync;

pub use camera::{
    Camera, CameraId, CameraKind, CameraStatus, CameraType, Holder, Placement, Provenance, SiteId, StatusReport,
    Validity, View,
};
pub use coverage::Visibility;
pub use geo::{LatLon, LocalFrame, PositionError};
pub use index::{CameraIndex, Near, Route, RouteError, RoutePass, Sighting, TimeWindow};
pub use retention::{RetentionStatus, Urgency, LEGAL_MAX_RETENTION_DAYS};

/// A moment, in UTC. People see it in Europe/Paris; the wire and the domain use UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
