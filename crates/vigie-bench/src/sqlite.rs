//! The baseline: SQLite's R*Tree module over the same cameras, answering the same
//! questions the way an app built on SQLite alone would: a bounding-box query, exact
//! distances in Rust, and for k-nearest a box that doubles until it holds k cameras.

use rusqlite::{params, Connection};
use vigie_core::geo::{distance_m, LatLon, LocalFrame};
use vigie_core::Camera;

pub struct RTreeDb {
    conn: Connection,
}

impl RTreeDb {
    /// An in-memory database (the fairest case for SQLite: no disk) with an R*Tree of the
    /// cameras' positions and a table of their ids and exact coordinates.
    pub fn load(cameras: &[Camera]) -> RTreeDb {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE rt USING rtree(id, min_lat, max_lat, min_lon, max_lon);
             CREATE TABLE cams (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL);",
        )
        .unwrap();
        {
            let tx = conn.unchecked_transaction().unwrap();
            let mut rt = tx.prepare("INSERT INTO rt VALUES (?1, ?2, ?2, ?3, ?3)").unwrap();
            let mut cams = tx.prepare("INSERT INTO cams VALUES (?1, ?2, ?3, ?4)").unwrap();
            for (i, c) in cameras.iter().enumerate() {
                let p = c.placements[0].position;
                rt.execute(params![i as i64, p.lat(), p.lon()]).unwrap();
                cams.execute(params![i as i64, c.id.0, p.lat(), p.lon()]).unwrap();
            }
            drop((rt, cams));
            tx.commit().unwrap();
        }
        RTreeDb { conn }
    }

    /// Ids and distances of the cameras in a box that contains the disk of `radius_m`.
    fn in_box(&self, p: LatLon, radius_m: f64) -> Vec<(f64, String)> {
        let frame = LocalFrame::new(p);
        let r = radius_m * 1.01 + 1.0;
        let (sw, ne) = (frame.unproject(-r, -r).unwrap(), frame.unproject(r, r).unwrap());
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT c.id, c.lat, c.lon FROM rt JOIN cams c ON c.rowid = rt.id
                 WHERE rt.max_lat >= ?1 AND rt.min_lat <= ?2 AND rt.max_lon >= ?3 AND rt.min_lon <= ?4",
            )
            .unwrap();
        stmt.query_map(params![sw.lat(), ne.lat(), sw.lon(), ne.lon()], |row| {
            let (id, lat, lon): (String, f64, f64) = (row.get(0)?, row.get(1)?, row.get(2)?);
            Ok((distance_m(p, LatLon::new(lat, lon).unwrap()), id))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }

    pub fn within(&self, p: LatLon, radius_m: f64) -> Vec<String> {
        let mut hits: Vec<_> = self.in_box(p, radius_m).into_iter().filter(|(d, _)| *d <= radius_m).collect();
        hits.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        hits.into_iter().map(|(_, id)| id).collect()
    }

    pub fn nearest(&self, p: LatLon, k: usize) -> Vec<String> {
        let mut r = 200.0;
        loop {
            let mut hits: Vec<_> = self.in_box(p, r).into_iter().filter(|(d, _)| *d <= r).collect();
            if hits.len() >= k || r > 2_000_000.0 {
                hits.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
                return hits.into_iter().take(k).map(|(_, id)| id).collect();
            }
            r *= 2.0;
        }
    }
}
