//! What a built PMTiles file says about itself: its header (zooms, bounds, centre, tile
//! counts) and its metadata (name, attribution, source), read synchronously from the first
//! bytes of the file, so it needs neither an async runtime nor the builder.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::TilesError;

/// The size of a PMTiles v3 header.
const HEADER_LEN: usize = 127;

/// A PMTiles basemap, as its header and metadata describe it.
#[derive(Clone, Debug, PartialEq)]
pub struct TilesetInfo {
    /// Metadata `name` (empty when absent).
    pub name: String,
    /// The first zoom level with tiles.
    pub min_zoom: u8,
    /// The last zoom level with tiles.
    pub max_zoom: u8,
    /// West, south, east, north, degrees.
    pub bounds: [f64; 4],
    /// Longitude, latitude of the centre, degrees.
    pub center: [f64; 2],
    /// The zoom level to show the centre at.
    pub center_zoom: u8,
    /// Tiles addressed (0 when the header does not say).
    pub tiles: u64,
    /// Metadata `attribution`.
    pub attribution: Option<String>,
    /// Metadata `source`: the OSM extract it was built from.
    pub source: Option<String>,
    /// Metadata `osm_timestamp`: the date of that extract's data (RFC 3339).
    pub osm_timestamp: Option<String>,
    /// The whole metadata object.
    pub metadata: serde_json::Value,
}

impl TilesetInfo {
    /// Reads the header and metadata of the PMTiles file at `path`.
    pub fn read(path: &Path) -> Result<TilesetInfo, TilesError> {
        let file = std::fs::File::open(path).map_err(|source| TilesError::Io { path: path.to_path_buf(), source })?;
        Self::from_reader(file, path)
    }

    /// Reads them from `r` (`path` names it in errors).
    pub fn from_reader(mut r: impl Read + Seek, path: &Path) -> Result<TilesetInfo, TilesError> {
        let io = |source| TilesError::Io { path: path.to_path_buf(), source };
        let bad = |reason: &str| TilesError::NotPmTiles { path: path.to_path_buf(), reason: reason.to_string() };
        let mut h = [0u8; HEADER_LEN];
        r.read_exact(&mut h).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                bad("shorter than a PMTiles header")
            } else {
                io(e)
            }
        })?;
        if &h[..7] != b"PMTiles" {
            return Err(bad("no PMTiles magic number"));
        }
        if h[7] != 3 {
            return Err(bad(&format!("version {} (only 3 is read)", h[7])));
        }
        let u64_at = |i: usize| u64::from_le_bytes(h[i..i + 8].try_into().expect("8 bytes"));
        let deg_at = |i: usize| f64::from(i32::from_le_bytes(h[i..i + 4].try_into().expect("4 bytes"))) / 1e7;
        let (metadata_offset, metadata_length) = (u64_at(24), u64_at(32));
        let internal_compression = h[97];

        let mut raw = vec![0u8; usize::try_from(metadata_length).map_err(|_| bad("metadata too long"))?];
        r.seek(SeekFrom::Start(metadata_offset)).map_err(io)?;
        r.read_exact(&mut raw).map_err(io)?;
        let json = match internal_compression {
            0 | 1 => raw, // unknown or none
            2 => {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out).map_err(io)?;
                out
            }
            other => return Err(bad(&format!("metadata compression {other} (gzip or none are read)"))),
        };
        let metadata: serde_json::Value = if json.is_empty() {
            serde_json::Value::Object(Default::default())
        } else {
            serde_json::from_slice(&json).map_err(|source| TilesError::Metadata { path: path.to_path_buf(), source })?
        };
        let text = |k: &str| metadata.get(k).and_then(|v| v.as_str()).map(str::to_string);
        Ok(TilesetInfo {
            name: text("name").unwrap_or_default(),
            min_zoom: h[100],
            max_zoom: h[101],
            bounds: [deg_at(102), deg_at(106), deg_at(110), deg_at(114)],
            center_zoom: h[118],
            center: [deg_at(119), deg_at(123)],
            tiles: u64_at(72),
            attribution: text("attribution"),
            source: text("source"),
            osm_timestamp: text("osm_timestamp"),
            metadata,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_pmtiles_is_refused_with_its_name() {
        let e = TilesetInfo::from_reader(std::io::Cursor::new(b"hello".to_vec()), Path::new("x.pmtiles")).unwrap_err();
        assert!(e.to_string().contains("x.pmtiles") && e.to_string().contains("shorter"), "{e}");
        let e = TilesetInfo::from_reader(std::io::Cursor::new(vec![0u8; 200]), Path::new("y.pmtiles")).unwrap_err();
        assert!(e.to_string().contains("magic"), "{e}");
    }
}
