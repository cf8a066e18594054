//! Offline basemap areas: the `*.pmtiles` files of the configured `basemap_dir`, described
//! for `GET /v1/areas` and served, resumably, by `GET /v1/areas/{id}/tiles.pmtiles`.
//!
//! An area's id is its file's stem (`[a-z0-9-]+`, see `vigie_core::sync::AreaInfo::valid_id`).
//! Describing a file means reading its PMTiles v3 header and metadata (with the `pmtiles`
//! crate, through plain file reads rather than a memory map, so a file replaced under a
//! running server cannot crash it) and hashing it whole. The description is cached per
//! (path, modification time, size, inode): listing does not rehash, and a file replaced or
//! rewritten gets a new hash, hence a new `ETag`, at its next request.

use std::collections::HashMap;
use std::io::{Read, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use bytes::Bytes;
use pmtiles::{AsyncBackend, AsyncPmTilesReader, BackendResponse, PmtResult};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use vigie_core::sync::AreaInfo;

/// The media type of a PMTiles file.
pub const CONTENT_TYPE: &str = "application/vnd.pmtiles";

/// Why an area cannot be described or served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AreaError {
    /// No file for this id (or the id is not a valid one).
    #[error("area {0} does not exist")]
    NotFound(String),
    /// The file is not a PMTiles v3 archive we can read.
    #[error("{path}: not a usable PMTiles v3 file: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading the file or the folder failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// What identifies one state of a file: a change to any of these means a new hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        Stamp { modified: meta.modified().ok(), len: meta.len(), inode }
    }
}

/// An area's file, open, with its description: the bytes served are those of this open
/// file, whose hash is `info.sha256`, even if the path is replaced meanwhile.
#[derive(Debug)]
pub struct OpenArea {
    /// The description (its `bytes` is the open file's length).
    pub info: AreaInfo,
    /// The file.
    pub file: std::fs::File,
    /// Its path.
    pub path: PathBuf,
}

/// The areas of one folder, with their descriptions cached.
#[derive(Debug)]
pub struct Areas {
    dir: PathBuf,
    cache: Mutex<HashMap<PathBuf, (Stamp, AreaInfo)>>,
}

impl Areas {
    /// The areas of `dir` (which may not exist yet: then there are none).
    pub fn new(dir: PathBuf) -> Areas {
        Areas { dir, cache: Mutex::new(HashMap::new()) }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every readable area, by id. A file that is not a valid PMTiles v3 archive, or whose
    /// name is not a valid id, is left out with a warning in the log, so one bad file does
    /// not hide the others.
    pub async fn list(&self) -> Result<Vec<AreaInfo>, AreaError> {
        let dir = self.dir.clone();
        let ids = tokio::task::spawn_blocking(move || scan(&dir))
            .await
            .map_err(|e| AreaError::Io { path: self.dir.clone(), source: std::io::Error::other(e) })??;
        let mut out = Vec::with_capacity(ids.len());
        for id in &ids {
            match self.open(id).await {
                Ok(a) => out.push(a.info),
                Err(AreaError::NotFound(_)) => {} // removed meanwhile
                Err(e) => tracing::warn!("offline area left out: {e}"),
            }
        }
        let paths: Vec<PathBuf> = ids.iter().map(|id| self.path_of(id)).collect();
        self.lock().retain(|p, _| paths.contains(p));
        Ok(out)
    }

    /// Opens the area `id` and describes it (from the cache when the file did not change).
    pub async fn open(&self, id: &str) -> Result<OpenArea, AreaError> {
        if !AreaInfo::valid_id(id) {
            return Err(AreaError::NotFound(id.to_string()));
        }
        let path = self.path_of(id);
        let p = path.clone();
        let io = |path: &Path, source| AreaError::Io { path: path.to_path_buf(), source };
        let (file, stamp) = tokio::task::spawn_blocking(move || -> Result<_, AreaError> {
            let file = match std::fs::File::open(&p) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(AreaError::NotFound(stem(&p)));
                }
                Err(e) => return Err(io(&p, e)),
            };
            let meta = file.metadata().map_err(|e| io(&p, e))?;
            if !meta.is_file() {
                return Err(AreaError::NotFound(stem(&p)));
            }
            Ok((file, Stamp::of(&meta)))
        })
        .await
        .map_err(|e| io(&path, std::io::Error::other(e)))??;
        if let Some((s, info)) = self.lock().get(&path) {
            if *s == stamp {
                return Ok(OpenArea { info: info.clone(), file, path });
            }
        }
        let info = describe(id, &path, &file, stamp.len).await?;
        self.lock().insert(path.clone(), (stamp, info.clone()));
        Ok(OpenArea { info, file, path })
    }

    fn path_of(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.pmtiles"))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, (Stamp, AreaInfo)>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The ids of the `*.pmtiles` files of `dir`, sorted; none when `dir` does not exist.
fn scan(dir: &Path) -> Result<Vec<String>, AreaError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(AreaError::Io { path: dir.to_path_buf(), source }),
    };
    let mut ids = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| AreaError::Io { path: dir.to_path_buf(), source })?;
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("pmtiles") {
            continue;
        }
        let id = stem(&path);
        if AreaInfo::valid_id(&id) {
            ids.push(id);
        } else {
            tracing::warn!("{}: left out, an area's file name is [a-z0-9-]+.pmtiles", path.display());
        }
    }
    ids.sort();
    Ok(ids)
}

/// Reads the header and metadata of the open `file` and hashes it whole.
async fn describe(id: &str, path: &Path, file: &std::fs::File, len: u64) -> Result<AreaInfo, AreaError> {
    let io = |source| AreaError::Io { path: path.to_path_buf(), source };
    // The clones share the file's offset: the hash, then the header reads, then (in the
    // handler) the transfer each seek first, one after the other.
    let invalid = |e: pmtiles::PmtError| AreaError::Invalid { path: path.to_path_buf(), reason: e.to_string() };
    let for_hash = file.try_clone().map_err(io)?;
    let for_header = file.try_clone().map_err(io)?;
    let sha256 = tokio::task::spawn_blocking(move || sha256_of(for_hash))
        .await
        .map_err(|e| io(std::io::Error::other(e)))?
        .map_err(io)?;
    let backend = FileBackend(tokio::sync::Mutex::new(tokio::fs::File::from_std(for_header)));
    let reader = AsyncPmTilesReader::try_from_source(backend).await.map_err(invalid)?;
    let h = reader.get_header();
    if h.spec_version() != 3 {
        return Err(AreaError::Invalid { path: path.to_path_buf(), reason: format!("version {}", h.spec_version()) });
    }
    // The metadata is optional (an empty one is an error for the crate, not for us); a
    // metadata that is there but unreadable means a damaged file.
    let metadata: serde_json::Value = match reader.get_metadata().await {
        Ok(text) => serde_json::from_str(&text).map_err(|e| AreaError::Invalid {
            path: path.to_path_buf(),
            reason: format!("metadata is not JSON: {e}"),
        })?,
        Err(pmtiles::PmtError::InvalidMetadata) => serde_json::Value::Null,
        Err(e) => return Err(invalid(e)),
    };
    let name = metadata["name"].as_str().filter(|n| !n.trim().is_empty()).unwrap_or(id).to_string();
    let built_at = ["built_at", "planetiler:buildtime"]
        .iter()
        .find_map(|k| metadata[*k].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()))
        .map(|t| t.with_timezone(&chrono::Utc));
    Ok(AreaInfo {
        id: id.to_string(),
        name,
        bounds: [h.min_longitude, h.min_latitude, h.max_longitude, h.max_latitude],
        center: [h.center_longitude, h.center_latitude],
        min_zoom: h.min_zoom,
        max_zoom: h.max_zoom,
        bytes: len,
        sha256,
        built_at,
    })
}

fn sha256_of(mut file: std::fs::File) -> std::io::Result<String> {
    use std::io::Seek;
    file.seek(SeekFrom::Start(0))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(vigie_core::proof::hex(&hasher.finalize()))
}

/// The `pmtiles` reader's view of an open file: positioned reads, no memory map.
struct FileBackend(tokio::sync::Mutex<tokio::fs::File>);

impl AsyncBackend for FileBackend {
    async fn read(&self, offset: u64, length: usize) -> PmtResult<BackendResponse> {
        let mut file = self.0.lock().await;
        file.seek(SeekFrom::Start(offset)).await?;
        let mut buf = Vec::with_capacity(length.min(1 << 20));
        (&mut *file).take(length as u64).read_to_end(&mut buf).await?;
        Ok(BackendResponse::new(Bytes::from(buf)))
    }
}

/// The one byte range a request asks for, decided against a file of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// The whole file (no `Range`, one we ignore, or an `If-Range` that no longer matches).
    Whole,
    /// Bytes `start..=end`.
    Part {
        /// First byte.
        start: u64,
        /// Last byte, included.
        end: u64,
    },
    /// A range that starts at or past the end: 416.
    Unsatisfiable,
}

impl RangeRequest {
    /// Decides from the `Range` header's value (`bytes=N-`, `bytes=N-M`, `bytes=-K`).
    /// Anything else (other units, several ranges, garbage) is ignored, as RFC 9110 allows,
    /// and the whole file is sent.
    pub fn parse(range: Option<&str>, len: u64) -> RangeRequest {
        let Some(spec) = range.and_then(|r| r.trim().strip_prefix("bytes=")) else {
            return RangeRequest::Whole;
        };
        if spec.contains(',') {
            return RangeRequest::Whole;
        }
        let Some((first, last)) = spec.trim().split_once('-') else {
            return RangeRequest::Whole;
        };
        let num = |s: &str| -> Option<u64> {
            let s = s.trim();
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                s.parse().ok()
            }
        };
        match (first.trim().is_empty(), last.trim().is_empty()) {
            // bytes=-K: the last K bytes.
            (true, false) => match num(last) {
                Some(0) => RangeRequest::Unsatisfiable,
                Some(k) if len > 0 => RangeRequest::Part { start: len.saturating_sub(k), end: len - 1 },
                Some(_) => RangeRequest::Unsatisfiable,
                None => RangeRequest::Whole,
            },
            (false, _) => {
                let Some(start) = num(first) else { return RangeRequest::Whole };
                let end = if last.trim().is_empty() {
                    u64::MAX
                } else {
                    match num(last) {
                        Some(e) if e >= start => e,
                        _ => return RangeRequest::Whole,
                    }
                };
                if start >= len {
                    RangeRequest::Unsatisfiable
                } else {
                    RangeRequest::Part { start, end: end.min(len - 1) }
                }
            }
            (true, true) => RangeRequest::Whole,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RangeRequest::{self, *};

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        let p = |r: &str| RangeRequest::parse(Some(r), 100);
        assert_eq!(RangeRequest::parse(None, 100), Whole);
        assert_eq!(p("bytes=0-"), Part { start: 0, end: 99 });
        assert_eq!(p("bytes=40-"), Part { start: 40, end: 99 });
        assert_eq!(p("bytes=40-49"), Part { start: 40, end: 49 });
        assert_eq!(p("bytes=40-1000"), Part { start: 40, end: 99 });
        assert_eq!(p("bytes=99-"), Part { start: 99, end: 99 });
        assert_eq!(p("bytes=-10"), Part { start: 90, end: 99 });
        assert_eq!(p("bytes=-1000"), Part { start: 0, end: 99 });
        assert_eq!(p("bytes=100-"), Unsatisfiable);
        assert_eq!(p("bytes=500-600"), Unsatisfiable);
        assert_eq!(p("bytes=-0"), Unsatisfiable);
        for ignored in ["bytes=5-1", "bytes=0-1,5-6", "items=0-", "bytes=a-", "bytes=-", "bytes=+1-", "0-5"] {
            assert_eq!(p(ignored), Whole, "{ignored}");
        }
        assert_eq!(RangeRequest::parse(Some("bytes=0-"), 0), Unsatisfiable);
    }
}
