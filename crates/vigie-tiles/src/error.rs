//! Why a basemap cannot be built or read; every message names the file at fault.

use std::path::PathBuf;

/// Why a basemap cannot be built or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TilesError {
    /// A file cannot be read or written.
    #[error("{path}: {source}", path = path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
    /// The extract is not a readable OSM PBF file.
    #[cfg(feature = "build")]
    #[error("{path}: not a readable OSM PBF file: {source}", path = path.display())]
    Pbf {
        /// The extract.
        path: PathBuf,
        /// The reader's error.
        source: osmpbf::Error,
    },
    /// The extract has no box in its header and no node.
    #[error("{path}: no bounding box and no node: nothing to draw", path = path.display())]
    EmptyExtract {
        /// The extract.
        path: PathBuf,
    },
    /// The zoom range asked for is not one.
    #[error("zooms {min} to {max}: the first must not exceed the last, nor the last 20")]
    Zooms {
        /// First zoom asked.
        min: u8,
        /// Last zoom asked.
        max: u8,
    },
    /// Writing the PMTiles file failed.
    #[cfg(feature = "build")]
    #[error("{path}: writing PMTiles: {source}", path = path.display())]
    PmTiles {
        /// The file being written.
        path: PathBuf,
        /// The writer's error.
        source: pmtiles::PmtError,
    },
    /// A font's glyphs cannot be rendered.
    #[cfg(feature = "build")]
    #[error("{font}: glyphs {start}-{end}: {source}", font = font.display())]
    Glyphs {
        /// The font file.
        font: PathBuf,
        /// First code point of the range.
        start: u32,
        /// Last code point of the range.
        end: u32,
        /// The renderer's error.
        source: pbf_font_tools::PbfFontError,
    },
    /// The file is not a PMTiles v3 file this crate reads.
    #[error("{path}: not a PMTiles v3 file: {reason}", path = path.display())]
    NotPmTiles {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The PMTiles metadata is not JSON.
    #[error("{path}: PMTiles metadata is not JSON: {source}", path = path.display())]
    Metadata {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        source: serde_json::Error,
    },
}
