//! Label glyphs for MapLibre: signed distance fields of a TrueType font's characters, 256
//! code points a file, as `{fontstack}/{start}-{end}.pbf` (the format node-fontnik set),
//! rendered by `pbf_font_tools` (FreeType, built from its bundled sources, and
//! `sdf_glyph_renderer`) at fontnik's settings: 24 px, a 3 px buffer, radius 8, cutoff 0.25.

use std::path::{Path, PathBuf};

use pbf_font_tools::prost::Message;
use pbf_font_tools::{Fontstack, Glyphs};

use crate::TilesError;

/// A font to render and the name the style knows it by.
#[derive(Clone, Copy, Debug)]
pub struct Font {
    /// The fontstack name (`text-font` in the style, the folder of its files).
    pub fontstack: &'static str,
    /// The TrueType file.
    pub path: &'static str,
}

/// The regular face: Debian's `fonts-dejavu-core`.
pub const REGULAR: Font =
    Font { fontstack: "DejaVu Sans Book", path: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf" };
/// The bold face, same package.
pub const BOLD: Font =
    Font { fontstack: "DejaVu Sans Bold", path: "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf" };
/// The fonts the style uses.
pub const FONTS: [Font; 2] = [REGULAR, BOLD];

/// The first code point of each 256-character range rendered: Latin-1, Latin Extended-A
/// and B (œ, Œ, ŷ…), IPA and spacing modifiers (ʼ), combining marks and Greek, Cyrillic,
/// Latin Extended Additional, General Punctuation (’ « » – … €), letter-like symbols and
/// arrows (№, ™, →): about 1.9 MB for the two fonts. MapLibre asks for a range only when a
/// label has one of its characters; labels with characters elsewhere miss those characters.
pub const RANGES: [u32; 8] = [0, 256, 512, 768, 1024, 7680, 8192, 8448];

/// What was written.
#[derive(Clone, Debug)]
pub struct GlyphsReport {
    /// The folder holding one folder per fontstack.
    pub dir: PathBuf,
    /// Files written.
    pub files: usize,
    /// Glyphs rendered, over all files.
    pub glyphs: usize,
    /// Bytes written.
    pub bytes: u64,
}

/// Renders [`FONTS`] over [`RANGES`] into `out_dir/{fontstack}/{start}-{end}.pbf`.
pub fn build_glyphs(out_dir: &Path) -> Result<GlyphsReport, TilesError> {
    let mut report = GlyphsReport { dir: out_dir.to_path_buf(), files: 0, glyphs: 0, bytes: 0 };
    for font in FONTS {
        let r = build_font_glyphs(Path::new(font.path), font.fontstack, &RANGES, out_dir)?;
        report.files += r.files;
        report.glyphs += r.glyphs;
        report.bytes += r.bytes;
    }
    Ok(report)
}

/// Renders the ranges starting at `starts` of the font file `font` as `fontstack`. Every
/// range gets its file, even when the font has none of its characters, so that the map gets
/// an answer rather than an error.
pub fn build_font_glyphs(
    font: &Path,
    fontstack: &str,
    starts: &[u32],
    out_dir: &Path,
) -> Result<GlyphsReport, TilesError> {
    let dir = out_dir.join(fontstack);
    std::fs::create_dir_all(&dir).map_err(|source| TilesError::Io { path: dir.clone(), source })?;
    if !font.is_file() {
        return Err(TilesError::Io {
            path: font.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "font file not found (Debian: fonts-dejavu-core)",
            ),
        });
    }
    let mut report = GlyphsReport { dir: out_dir.to_path_buf(), files: 0, glyphs: 0, bytes: 0 };
    for &start in starts {
        let start = start / 256 * 256;
        let end = start + 255;
        let rendered = pbf_font_tools::glyph_range_for_font(font, start, end, 24, 8, 0.25)
            .map_err(|source| TilesError::Glyphs { font: font.to_path_buf(), start, end, source })?;
        // One face per file for these fonts; keep the first, named as the style names it.
        let glyphs = rendered.stacks.into_iter().next().map(|s| s.glyphs).unwrap_or_default();
        report.glyphs += glyphs.len();
        let bytes =
            Glyphs { stacks: vec![Fontstack { name: fontstack.to_string(), range: format!("{start}-{end}"), glyphs }] }
                .encode_to_vec();
        let path = dir.join(format!("{start}-{end}.pbf"));
        std::fs::write(&path, &bytes).map_err(|source| TilesError::Io { path, source })?;
        report.files += 1;
        report.bytes += bytes.len() as u64;
    }
    Ok(report)
}
