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
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8787".parse().expect("a valid address"),
            database_url: "sqlite://data/vigie.sqlite3".into(),
            token_ttl_secs: 15 * 60,
            challenge_ttl_secs: 60,
        }
    }
}

impl Config {
    /// Reads `file` (if given), then applies `VIGIE_LISTEN` and `VIGIE_DATABASE_URL`.
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
        Ok(c)
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
}
