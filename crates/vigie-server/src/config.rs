//! Configuration: a TOML file, then environment overrides, then defaults that work with
//! no configuration at all (SQLite under ./data, listening on 127.0.0.1:8787).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The platform's configuration.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// `sqlite://PATH` (or a plain path) for SQLite, `postgres://user@host:port/db` for
    /// PostgreSQL.
    pub database_url: String,
    /// How long a session token lives, seconds.
    pub token_ttl_secs: i64,
    /// How long a login challenge lives, seconds.
    pub challenge_ttl_secs: i64,
    /// The folder of the offline basemap areas (`*.pmtiles`); by default `basemap` beside
    /// the SQLite file (`data/basemap` with the default database or with PostgreSQL).
    pub basemap_dir: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8787".parse().expect("a valid address"),
            database_url: "sqlite://data/vigie.sqlite3".into(),
            token_ttl_secs: 15 * 60,
            challenge_ttl_secs: 60,
            basemap_dir: None,
        }
    }
}

impl Config {
    /// Reads `file` (if given), then applies `VIGIE_LISTEN`, `VIGIE_DATABASE_URL` and
    /// `VIGIE_BASEMAP_DIR`.
    /// Errors name the file and the field.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut c = match file {
            Some(f) => {
                let text = std::fs::read_to_string(f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
                toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?
            }
            None => Config::default(),
        };
        if let Ok(v) = std::env::var("VIGIE_LISTEN") {
            c.listen = v.parse().map_err(|e| anyhow::anyhow!("VIGIE_LISTEN={v:?}: {e}"))?;
        }
        if let Ok(v) = std::env::var("VIGIE_DATABASE_URL") {
            c.database_url = v;
        }
        if let Some(v) = std::env::var_os("VIGIE_BASEMAP_DIR") {
            c.basemap_dir = Some(PathBuf::from(v));
        }
        Ok(c)
    }

    /// The folder of the offline basemap areas: `basemap_dir`, else `basemap` in the data
    /// folder (the SQLite file's folder; `data` with PostgreSQL).
    pub fn basemap_dir(&self) -> PathBuf {
        if let Some(d) = &self.basemap_dir {
            return d.clone();
        }
        let data = match self.database() {
            Ok(Database::Sqlite(file)) => match file.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            },
            _ => PathBuf::from("data"),
        };
        data.join("basemap")
    }

    /// The database named by `database_url`.
    pub fn database(&self) -> anyhow::Result<Database> {
        let url = self.database_url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Database::Postgres(url.to_string()));
        }
        if let Some((scheme, _)) = url.split_once("://").filter(|(s, _)| *s != "sqlite") {
            anyhow::bail!("database_url: unknown scheme {scheme:?} (sqlite:// or postgres://)");
        }
        anyhow::ensure!(!url.is_empty(), "database_url: empty");
        Ok(Database::Sqlite(PathBuf::from(url.strip_prefix("sqlite://").unwrap_or(url))))
    }
}

/// Which database `database_url` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_file_errors_name_the_field() {
        let c = Config::default();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8787");
        assert_eq!(c.database().unwrap(), Database::Sqlite(PathBuf::from("data/vigie.sqlite3")));
        let pg = Config { database_url: "postgres://vigie@127.0.0.1:5432/vigie".into(), ..Config::default() };
        assert_eq!(pg.database().unwrap(), Database::Postgres("postgres://vigie@127.0.0.1:5432/vigie".into()));
        let bad = Config { database_url: "mysql://x".into(), ..Config::default() };
        assert!(bad.database().unwrap_err().to_string().contains("\"mysql\""));
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("vigie.toml");
        std::fs::write(&f, "listen = \"127.0.0.1:9000\"\ntoken_ttl = 5\n").unwrap();
        let err = Config::load(Some(&f)).unwrap_err().to_string();
        assert!(err.contains("vigie.toml") && err.contains("token_ttl"), "{err}");
        std::fs::write(&f, "listen = \"127.0.0.1:9000\"\n").unwrap();
        assert_eq!(Config::load(Some(&f)).unwrap().listen.port(), 9000);
    }

    #[test]
    fn the_basemap_lives_beside_the_data_unless_configured() {
        assert_eq!(Config::default().basemap_dir(), PathBuf::from("data/basemap"));
        let sqlite = Config { database_url: "sqlite:///srv/vigie/platform.sqlite3".into(), ..Config::default() };
        assert_eq!(sqlite.basemap_dir(), PathBuf::from("/srv/vigie/basemap"));
        let bare = Config { database_url: "platform.sqlite3".into(), ..Config::default() };
        assert_eq!(bare.basemap_dir(), PathBuf::from("./basemap"));
        let pg = Config { database_url: "postgres://vigie@db/vigie".into(), ..Config::default() };
        assert_eq!(pg.basemap_dir(), PathBuf::from("data/basemap"));
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("vigie.toml");
        std::fs::write(&f, "basemap_dir = \"/srv/tiles\"\n").unwrap();
        // The environment override is not exercised here: tests share one environment.
        if std::env::var_os("VIGIE_BASEMAP_DIR").is_none() {
            assert_eq!(Config::load(Some(&f)).unwrap().basemap_dir(), PathBuf::from("/srv/tiles"));
        }
    }
}
