//! Vigie's offline basemap: vector tiles and label glyphs built from an OpenStreetMap
//! extract, and the MapLibre style that draws them, so the map works with no network.
//!
//! - [`build_pmtiles`] reads an `.osm.pbf` extract and writes one PMTiles v3 file of
//!   Mapbox Vector Tiles (zooms 12–16 by default, gzip), with the layers [`Layer::ALL`]
//!   (their attributes and classes are a contract, see [`layers`]); the sea is built from
//!   the coastline.
//! - [`build_glyphs`] renders the label glyphs of [`FONTSTACKS`] from Debian's DejaVu fonts.
//! - [`style`] is the MapLibre style for those tiles and glyphs, by day or by night.
//! - [`TilesetInfo::read`] says what a built file holds (zooms, bounds, name, source).
//!
//! Without the default `build` feature the crate is only the style, the themes and
//! `TilesetInfo`: what the app needs, on every platform.

#[cfg(feature = "build")]
mod builder;
#[cfg(feature = "build")]
mod coastline;
mod error;
#[cfg(feature = "build")]
mod geom;
#[cfg(feature = "build")]
pub mod glyphs;
mod info;
pub mod layers;
#[cfg(feature = "build")]
mod osm;
mod style;
#[cfg(feature = "build")]
mod tiler;

#[cfg(feature = "build")]
pub use builder::{build_pmtiles, BuildOptions, BuildReport};
pub use error::TilesError;
#[cfg(feature = "build")]
pub use glyphs::{build_glyphs, GlyphsReport};
pub use info::TilesetInfo;
pub use layers::{Kind, Layer};
pub use style::{style, Theme, SOURCE};

/// The attribution the data's licence requires, in the tiles' metadata and the style.
pub const ATTRIBUTION: &str = "© OpenStreetMap contributors, ODbL";

/// The fontstacks the style's labels use, regular then bold; [`build_glyphs`] writes them.
pub const FONTSTACKS: [&str; 2] = ["DejaVu Sans Book", "DejaVu Sans Bold"];

/// The first zoom level built unless told otherwise.
pub const DEFAULT_MIN_ZOOM: u8 = 12;
/// The last zoom level built unless told otherwise.
pub const DEFAULT_MAX_ZOOM: u8 = 16;

/// The side of a tile in tile units (MVT `extent`).
pub const EXTENT: u32 = 4096;
