//! Building a PMTiles basemap from an OpenStreetMap extract: read ([`crate::osm`]), cut
//! into tiles ([`crate::tiler`]), write PMTiles v3 (`pmtiles` crate: MVT tiles and
//! directories gzip-compressed, tiles in Hilbert order, identical tiles stored once).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pmtiles::{Compression, PmTilesWriter, TileCoord, TileId, TileType};
use serde_json::json;

use crate::geom::{self, Rect};
use crate::layers::Layer;
use crate::{osm, tiler, TilesError, ATTRIBUTION, DEFAULT_MAX_ZOOM, DEFAULT_MIN_ZOOM};

/// What to build.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// The tileset's name (metadata `name`), e.g. `monaco`.
    pub name: String,
    /// The first zoom level built (default 12).
    pub min_zoom: u8,
    /// The last zoom level built (default 16); maps zoom further by stretching its tiles.
    pub max_zoom: u8,
}

impl BuildOptions {
    /// Zooms 12 to 16.
    pub fn new(name: impl Into<String>) -> Self {
        BuildOptions { name: name.into(), min_zoom: DEFAULT_MIN_ZOOM, max_zoom: DEFAULT_MAX_ZOOM }
    }
}

/// What was built.
#[derive(Clone, Debug)]
pub struct BuildReport {
    /// The PMTiles file written.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Tiles written per zoom level, `(zoom, count)` for every zoom built.
    pub tiles_per_zoom: Vec<(u8, usize)>,
    /// Features read from the extract (a multipolygon counts once per polygon).
    pub features: usize,
    /// West, south, east, north, degrees.
    pub bounds: [f64; 4],
    /// The OSM data's timestamp (RFC 3339, UTC), when the extract says.
    pub osm_timestamp: Option<String>,
    /// Elements left out or drawn partly, and why.
    pub warnings: Vec<String>,
    /// Time spent reading the extract.
    pub read_time: Duration,
    /// Time spent cutting, encoding and writing tiles.
    pub tile_time: Duration,
}

impl BuildReport {
    /// Tiles written, over every zoom.
    pub fn tiles(&self) -> usize {
        self.tiles_per_zoom.iter().map(|(_, n)| n).sum()
    }
}

/// Builds `out` (a `.pmtiles` file, replaced if it exists) from the OSM extract `osm`.
///
/// The file appears whole or not at all: it is written beside, then renamed.
pub fn build_pmtiles(osm: &Path, out: &Path, options: &BuildOptions) -> Result<BuildReport, TilesError> {
    let (min_zoom, max_zoom) = (options.min_zoom, options.max_zoom);
    if min_zoom > max_zoom || max_zoom > 20 {
        return Err(TilesError::Zooms { min: min_zoom, max: max_zoom });
    }
    let started = Instant::now();
    let extract = osm::read(osm)?;
    let read_time = started.elapsed();

    let started = Instant::now();
    let [west, south, east, north] = extract.bounds;
    let nw = geom::mercator(west, north);
    let se = geom::mercator(east, south);
    let area = Rect { min: nw, max: se };
    let mut tiles: BTreeMap<u64, (TileCoord, Vec<u8>)> = BTreeMap::new();
    let mut tiles_per_zoom = Vec::new();
    for z in min_zoom..=max_zoom {
        let zoom = tiler::zoom_tiles(&extract.features, &area, z, max_zoom);
        tiles_per_zoom.push((z, zoom.len()));
        for ((x, y), data) in zoom {
            let coord = TileCoord::new(z, x, y).expect("tiles are inside the world");
            tiles.insert(TileId::from(coord).value(), (coord, data));
        }
    }

    let source = osm.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let osm_timestamp = extract
        .timestamp
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let metadata = json!({
        "name": options.name,
        "description": format!("Vigie offline basemap of {} (OpenStreetMap)", options.name),
        "attribution": ATTRIBUTION,
        "type": "baselayer",
        "format": "pbf",
        "generator": concat!("vigie-tiles ", env!("CARGO_PKG_VERSION")),
        "source": source,
        "osm_timestamp": osm_timestamp,
        "vector_layers": Layer::ALL.iter().map(|l| json!({
            "id": l.name(),
            "description": l.description(),
            "minzoom": min_zoom,
            "maxzoom": max_zoom,
            "fields": l.fields().iter().map(|(k, t)| (k.to_string(), json!(t))).collect::<serde_json::Map<_, _>>(),
        })).collect::<Vec<_>>(),
    });

    let center = geom::unmercator([(nw[0] + se[0]) / 2.0, (nw[1] + se[1]) / 2.0]);
    let part = out.with_extension("pmtiles.part");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TilesError::Io { path, source }
    };
    let pmt = |source| TilesError::PmTiles { path: out.to_path_buf(), source };
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let written = write(&part, &tiles, |file| {
        PmTilesWriter::new(TileType::Mvt)
            .tile_compression(Compression::Gzip)
            .internal_compression(Compression::Gzip)
            .min_zoom(min_zoom)
            .max_zoom(max_zoom)
            .bounds(west, south, east, north)
            .center(center[0], center[1])
            .center_zoom(min_zoom.max(14).min(max_zoom))
            .metadata(metadata.to_string())
            .create(file)
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&part);
        return Err(match e {
            Written::Io(source) => TilesError::Io { path: part, source },
            Written::PmTiles(source) => pmt(source),
        });
    }
    std::fs::rename(&part, out).map_err(io(out))?;
    let bytes = std::fs::metadata(out).map_err(io(out))?.len();

    Ok(BuildReport {
        path: out.to_path_buf(),
        bytes,
        tiles_per_zoom,
        features: extract.features.len(),
        bounds: extract.bounds,
        osm_timestamp,
        warnings: extract.warnings,
        read_time,
        tile_time: started.elapsed(),
    })
}

/// Why writing failed.
enum Written {
    Io(std::io::Error),
    PmTiles(pmtiles::PmtError),
}

/// Writes `tiles` into a new file at `path` through the writer `open` makes.
fn write(
    path: &Path,
    tiles: &BTreeMap<u64, (TileCoord, Vec<u8>)>,
    open: impl FnOnce(File) -> pmtiles::PmtResult<pmtiles::PmTilesStreamWriter<File>>,
) -> Result<(), Written> {
    let file = File::create(path).map_err(Written::Io)?;
    let mut writer = open(file).map_err(Written::PmTiles)?;
    for (coord, data) in tiles.values() {
        writer.add_tile(*coord, data).map_err(Written::PmTiles)?;
    }
    writer.finalize().map_err(Written::PmTiles)
}
