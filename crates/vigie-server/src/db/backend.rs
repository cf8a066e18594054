//! The two SQL engines behind [`super::Db`]: SQLite (one file, the default) and
//! PostgreSQL (for deployments that outgrow one machine).
//!
//! `Db` writes its SQL once, with `?1`-style parameters and portable statements
//! (`ON CONFLICT … DO UPDATE`, `RETURNING`); this module runs it on either engine inside a
//! transaction, translating parameters (`$1` for PostgreSQL) and values. Each engine's
//! DDL differences are in the migrations' type tokens (see `super::MIGRATIONS`).

use std::sync::Mutex;

use postgres::types::{IsNull, ToSql, Type};

/// A SQL value, the same on both engines.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL.
    Null,
    /// An integer (BIGINT).
    Int(i64),
    /// A float (DOUBLE PRECISION).
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes (BLOB, BYTEA).
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Blob(v.to_vec())
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Blob(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// An engine error, classified where the caller cares.
#[derive(Debug)]
pub struct SqlError {
    /// The engine's message.
    pub message: String,
    /// A unique or primary-key constraint was violated.
    pub unique: bool,
}

impl From<rusqlite::Error> for SqlError {
    fn from(e: rusqlite::Error) -> Self {
        let unique = matches!(&e, rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY);
        SqlError { message: e.to_string(), unique }
    }
}

impl From<postgres::Error> for SqlError {
    fn from(e: postgres::Error) -> Self {
        let unique = e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION);
        let message = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string());
        SqlError { message, unique }
    }
}

/// A row: its values in column order.
pub type Row = Vec<Value>;

/// Statements inside one transaction.
pub trait Tx {
    /// Runs a statement; returns the number of rows changed.
    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, SqlError>;
    /// Runs a query; returns every row.
    fn query(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, SqlError>;
}

/// Which engine, with its connection.
pub enum Backend {
    /// SQLite, one connection (SQLite has one writer anyway).
    Sqlite(Mutex<rusqlite::Connection>),
    /// PostgreSQL, one connection for now (a pool comes with load that needs it).
    Postgres(Mutex<PgClient>),
}

/// The synchronous PostgreSQL client runs its own Tokio runtime, which must never be
/// driven (nor dropped) from inside another runtime's thread: the server's state is dropped
/// on one at shutdown, so the client is closed on a thread of its own.
pub struct PgClient(Option<postgres::Client>);

impl PgClient {
    /// Wraps a connected client.
    pub fn new(client: postgres::Client) -> PgClient {
        PgClient(Some(client))
    }

    fn get(&mut self) -> &mut postgres::Client {
        self.0.as_mut().expect("the client lives until drop")
    }
}

impl Drop for PgClient {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            let _ = std::thread::spawn(move || drop(client)).join();
        }
    }
}

impl Backend {
    /// Runs `f` in a transaction: committed if it returns `Ok`, rolled back otherwise.
    pub fn transaction<T, E: From<SqlError>>(&self, f: impl FnOnce(&mut dyn Tx) -> Result<T, E>) -> Result<T, E> {
        match self {
            Backend::Sqlite(m) => {
                let mut conn = m.lock().unwrap_or_else(|p| p.into_inner());
                let tx = conn.transaction().map_err(SqlError::from)?;
                let out = f(&mut SqliteTx(&tx))?;
                tx.commit().map_err(SqlError::from)?;
                Ok(out)
            }
            Backend::Postgres(m) => {
                let mut conn = m.lock().unwrap_or_else(|p| p.into_inner());
                let mut tx = conn.get().transaction().map_err(SqlError::from)?;
                let out = f(&mut PgTx(&mut tx))?;
                tx.commit().map_err(SqlError::from)?;
                Ok(out)
            }
        }
    }

    /// The engine's name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "SQLite",
            Backend::Postgres(_) => "PostgreSQL",
        }
    }

    /// DDL type tokens: `{ID}` (auto-numbered key), `{INT}`, `{REAL}`, `{BLOB}`.
    pub fn ddl(&self, template: &str) -> String {
        let (id, int, real, blob) = match self {
            Backend::Sqlite(_) => ("INTEGER PRIMARY KEY", "INTEGER", "REAL", "BLOB"),
            Backend::Postgres(_) => {
                ("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BIGINT", "DOUBLE PRECISION", "BYTEA")
            }
        };
        template.replace("{ID}", id).replace("{INT}", int).replace("{REAL}", real).replace("{BLOB}", blob)
    }

    /// Runs a batch of DDL statements (migrations) in a transaction.
    pub fn batch(&self, ddl: &str) -> Result<(), SqlError> {
        match self {
            Backend::Sqlite(m) => {
                m.lock().unwrap_or_else(|p| p.into_inner()).execute_batch(ddl).map_err(SqlError::from)
            }
            Backend::Postgres(m) => {
                m.lock().unwrap_or_else(|p| p.into_inner()).get().batch_execute(ddl).map_err(SqlError::from)
            }
        }
    }
}

struct SqliteTx<'a>(&'a rusqlite::Transaction<'a>);

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

impl Tx for SqliteTx<'_> {
    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, SqlError> {
        let mut stmt = self.0.prepare_cached(sql)?;
        Ok(stmt.execute(rusqlite::params_from_iter(args.iter()))? as u64)
    }

    fn query(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, SqlError> {
        use rusqlite::types::ValueRef;
        let mut stmt = self.0.prepare_cached(sql)?;
        let n = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                row.push(match r.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Real(v) => Value::Real(v),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                });
            }
            out.push(row);
        }
        Ok(out)
    }
}

struct PgTx<'a, 'b>(&'a mut postgres::Transaction<'b>);

/// `?1` → `$1` (no statement here has a `?` inside a literal).
fn pg_sql(sql: &str) -> String {
    sql.replace('?', "$")
}

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) if *ty == Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
            Value::Int(i) => i.to_sql(ty, out),
            Value::Real(f) => f.to_sql(ty, out),
            Value::Text(s) => s.to_sql(ty, out),
            Value::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn pg_params(args: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

impl Tx for PgTx<'_, '_> {
    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, SqlError> {
        Ok(self.0.execute(pg_sql(sql).as_str(), &pg_params(args))?)
    }

    fn query(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, SqlError> {
        let rows = self.0.query(pg_sql(sql).as_str(), &pg_params(args))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut row = Vec::with_capacity(r.len());
            for (i, col) in r.columns().iter().enumerate() {
                let ty = col.type_();
                let v = if *ty == Type::INT8 {
                    r.try_get::<_, Option<i64>>(i)?.map(Value::Int)
                } else if *ty == Type::INT4 {
                    r.try_get::<_, Option<i32>>(i)?.map(|v| Value::Int(v.into()))
                } else if *ty == Type::FLOAT8 {
                    r.try_get::<_, Option<f64>>(i)?.map(Value::Real)
                } else if *ty == Type::BYTEA {
                    r.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Blob)
                } else if *ty == Type::BOOL {
                    r.try_get::<_, Option<bool>>(i)?.map(|b| Value::Int(b.into()))
                } else {
                    r.try_get::<_, Option<String>>(i)?.map(Value::Text)
                };
                row.push(v.unwrap_or(Value::Null));
            }
            out.push(row);
        }
        Ok(out)
    }
}
