//! Live body-cam streams: their sources, who may view them, where the body-cam is. The
//! relay itself (frames, viewers) lives in memory (`crate::live`); this is what survives
//! a restart.

use vigie_core::audit::NewAuditEntry;
use vigie_core::live::Grant;
use vigie_core::{LatLon, Timestamp};

use super::{one, parse_ts, q, ts, unique, Db, DbError, RowExt, Tx};

/// A relayed stream as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LiveStreamRecord {
    /// Its id (`bc-…`).
    pub id: String,
    /// For people: the body-cam and who wears it.
    pub label: String,
    /// Where the relay pulls it (`rtsp://…`).
    pub source: String,
    /// The operator who registered it.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
    /// When the operator ended the relay.
    pub ended_at: Option<Timestamp>,
    /// The body-cam's last reported position and when.
    pub position: Option<(LatLon, Timestamp)>,
    /// The units that may view it, with the motif.
    pub grants: Vec<Grant>,
}

const COLUMNS: &str = "id, label, source, created_by, created_at, ended_at, lat, lon, position_at";

fn stream_of(tx: &mut dyn Tx, r: &super::Row) -> Result<LiveStreamRecord, DbError> {
    let id = r.text(0)?;
    let position = match (r.opt_real(6)?, r.opt_real(7)?, r.opt_text(8)?) {
        (Some(lat), Some(lon), Some(at)) => Some((
            LatLon::new(lat, lon).map_err(|e| DbError::Corrupt(format!("live stream {id} position: {e}")))?,
            parse_ts(&at)?,
        )),
        _ => None,
    };
    let grants = tx
        .query(
            "SELECT unit, motif, granted_by, granted_at FROM live_grants WHERE stream_id = ?1 ORDER BY granted_at, unit",
            &[(&id).into()],
        )
        .map_err(q("reading a stream's grants"))?
        .iter()
        .map(|g| Ok(Grant { unit: g.text(0)?, motif: g.text(1)?, by: g.text(2)?, at: parse_ts(&g.text(3)?)? }))
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok(LiveStreamRecord {
        label: r.text(1)?,
        source: r.text(2)?,
        created_by: r.text(3)?,
        created_at: parse_ts(&r.text(4)?)?,
        ended_at: r.opt_text(5)?.map(|t| parse_ts(&t)).transpose()?,
        position,
        grants,
        id,
    })
}

impl Db {
    /// Registers a stream the relay will pull; `key_hash` is the SHA-256 of the key its
    /// publisher (the gateway) reports positions with.
    pub fn add_live_stream(
        &self,
        s: &LiveStreamRecord,
        key_hash: &[u8; 32],
        audit: NewAuditEntry,
    ) -> Result<(), DbError> {
        self.unit_of_work(audit, |tx| {
            tx.exec(
                "INSERT INTO live_streams (id, label, source, publisher_key_hash, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                &[(&s.id).into(), (&s.label).into(), (&s.source).into(), (&key_hash[..]).into(), (&s.created_by).into(), ts(s.created_at).into()],
            )
            .map_err(unique("adding a live stream", format!("live stream {}", s.id)))?;
            Ok(())
        })
    }

    /// Every stream, newest first; ended ones only if `with_ended`.
    pub fn live_streams(&self, with_ended: bool) -> Result<Vec<LiveStreamRecord>, DbError> {
        self.read(|tx| {
            let sql = format!(
                "SELECT {COLUMNS} FROM live_streams {} ORDER BY created_at DESC, id",
                if with_ended { "" } else { "WHERE ended_at IS NULL" }
            );
            let rows = tx.query(&sql, &[]).map_err(q("reading the live streams"))?;
            rows.iter().map(|r| stream_of(tx, r)).collect()
        })
    }

    /// One stream.
    pub fn live_stream(&self, id: &str) -> Result<LiveStreamRecord, DbError> {
        self.read(|tx| {
            let rows = tx
                .query(&format!("SELECT {COLUMNS} FROM live_streams WHERE id = ?1"), &[id.into()])
                .map_err(q("reading a live stream"))?;
            let r = one(rows).ok_or_else(|| DbError::NotFound(format!("live stream {id}")))?;
            stream_of(tx, &r)
        })
    }

    /// The stream whose publisher holds the key hashing to `key_hash`.
    pub fn live_stream_of_publisher(&self, key_hash: &[u8; 32]) -> Result<Option<String>, DbError> {
        self.read(|tx| {
            let rows = tx
                .query("SELECT id FROM live_streams WHERE publisher_key_hash = ?1", &[(&key_hash[..]).into()])
                .map_err(q("finding a publisher"))?;
            one(rows).map(|r| r.text(0)).transpose()
        })
    }

    /// Lets `grant.unit` view the stream (replacing its earlier motif).
    pub fn grant_live(&self, id: &str, grant: &Grant, audit: NewAuditEntry) -> Result<(), DbError> {
        self.unit_of_work(audit, |tx| {
            open_stream(tx, id)?;
            tx.exec(
                "INSERT INTO live_grants (stream_id, unit, motif, granted_by, granted_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (stream_id, unit) DO UPDATE SET motif = excluded.motif, granted_by = excluded.granted_by, granted_at = excluded.granted_at",
                &[id.into(), (&grant.unit).into(), (&grant.motif).into(), (&grant.by).into(), ts(grant.at).into()],
            )
            .map_err(q("granting a live stream"))?;
            Ok(())
        })
    }

    /// Withdraws a unit's permission.
    pub fn revoke_live(&self, id: &str, unit: &str, audit: NewAuditEntry) -> Result<(), DbError> {
        self.unit_of_work(audit, |tx| {
            let n = tx
                .exec("DELETE FROM live_grants WHERE stream_id = ?1 AND unit = ?2", &[id.into(), unit.into()])
                .map_err(q("revoking a live grant"))?;
            if n == 0 {
                return Err(DbError::NotFound(format!("a grant of live stream {id} to unit {unit}")));
            }
            Ok(())
        })
    }

    /// Ends the relay of a stream for good.
    pub fn end_live(&self, id: &str, by: &str, at: Timestamp, audit: NewAuditEntry) -> Result<(), DbError> {
        self.unit_of_work(audit, |tx| {
            open_stream(tx, id)?;
            tx.exec(
                "UPDATE live_streams SET ended_at = ?2, ended_by = ?3 WHERE id = ?1",
                &[id.into(), ts(at).into(), by.into()],
            )
            .map_err(q("ending a live stream"))?;
            Ok(())
        })
    }

    /// The body-cam's position (not audited: the gateway reports it every second).
    pub fn live_position(&self, id: &str, p: LatLon, at: Timestamp) -> Result<(), DbError> {
        self.read(|tx| {
            tx.exec(
                "UPDATE live_streams SET lat = ?2, lon = ?3, position_at = ?4 WHERE id = ?1",
                &[id.into(), p.lat().into(), p.lon().into(), ts(at).into()],
            )
            .map_err(q("recording a body-cam's position"))?;
            Ok(())
        })
    }
}

/// Fails unless stream `id` exists and is still relayed.
fn open_stream(tx: &mut dyn Tx, id: &str) -> Result<(), DbError> {
    let rows =
        tx.query("SELECT ended_at FROM live_streams WHERE id = ?1", &[id.into()]).map_err(q("finding a stream"))?;
    match one(rows) {
        None => Err(DbError::NotFound(format!("live stream {id}"))),
        Some(r) if r.opt_text(0)?.is_some() => Err(DbError::Ended(format!("live stream {id}"))),
        Some(_) => Ok(()),
    }
}
