//! The storage interface: small and SQL-shaped, so that one schema and one set of
//! queries serve both the native server (rusqlite) and the Cloudflare Worker
//! (Durable Object SQLite storage). Both are synchronous, so is this.

use crate::error::DynSource;
use std::fmt;

/// A value bound to or read from a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SqlValue {
    /// SQL NULL.
    Null,
    /// INTEGER.
    Int(i64),
    /// TEXT.
    Text(String),
}

impl SqlValue {
    /// The integer, if this is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            SqlValue::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The text, if this is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            SqlValue::Text(s) => Some(s),
            _ => None,
        }
    }

    /// Text or NULL.
    pub fn opt_text(s: Option<&str>) -> SqlValue {
        s.map_or(SqlValue::Null, |s| SqlValue::Text(s.to_owned()))
    }
}

impl From<&str> for SqlValue {
    fn from(s: &str) -> Self {
        SqlValue::Text(s.to_owned())
    }
}
impl From<String> for SqlValue {
    fn from(s: String) -> Self {
        SqlValue::Text(s)
    }
}
impl From<&String> for SqlValue {
    fn from(s: &String) -> Self {
        SqlValue::Text(s.clone())
    }
}
impl From<i64> for SqlValue {
    fn from(i: i64) -> Self {
        SqlValue::Int(i)
    }
}
impl From<bool> for SqlValue {
    fn from(b: bool) -> Self {
        SqlValue::Int(i64::from(b))
    }
}
impl From<Option<String>> for SqlValue {
    fn from(s: Option<String>) -> Self {
        s.map_or(SqlValue::Null, SqlValue::Text)
    }
}
impl From<Option<i64>> for SqlValue {
    fn from(s: Option<i64>) -> Self {
        s.map_or(SqlValue::Null, SqlValue::Int)
    }
}

/// One result row.
pub type Row = Vec<SqlValue>;

/// A storage failure (the host's database said no). Never a client mistake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    /// What happened.
    pub message: String,
    /// A uniqueness constraint failed (the caller may map this to 409).
    pub constraint: bool,
    /// The database's own error, when the host has one to keep.
    pub source: Option<DynSource>,
}

impl StoreError {
    /// A failure described by `message` alone.
    pub fn new(message: impl Into<String>) -> StoreError {
        StoreError {
            message: message.into(),
            constraint: false,
            source: None,
        }
    }

    /// The same failure, caused by `source`.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(DynSource::dynamic(source));
        self
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// A transaction (or, for reads, a snapshot) on the store.
pub trait Tx {
    /// Run a statement that returns no rows; returns the number of rows changed.
    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<usize, StoreError>;
    /// Run a query and return all its rows.
    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError>;
}

/// A store: runs a closure inside one transaction, committing when it returns `Ok`
/// and rolling back when it returns `Err`. Every state change of one request runs
/// in one such transaction.
pub trait Store {
    /// Run `f` in a write transaction.
    fn write<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E>;
    /// Run `f` on a consistent read snapshot (may be the same as `write`).
    fn read<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        self.write(f)
    }
}

/// The schema: the same statements run on rusqlite and on Durable Object SQLite.
/// Rows are never deleted, so plain `INTEGER PRIMARY KEY` ids grow monotonically
/// (no `AUTOINCREMENT`, which costs a write to `sqlite_sequence` per insert).
pub const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS nonces (signer TEXT NOT NULL, nonce TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (signer, nonce))",
    "CREATE INDEX IF NOT EXISTS nonces_ts ON nonces (ts)",
    "CREATE TABLE IF NOT EXISTS negotiations (id TEXT PRIMARY KEY, title TEXT NOT NULL, participants TEXT, status TEXT NOT NULL, text TEXT, timestamp TEXT, consensus TEXT UNIQUE, signings TEXT, created_by TEXT NOT NULL, created_at INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS negotiations_title ON negotiations (title)",
    "CREATE TABLE IF NOT EXISTS contributions (id INTEGER PRIMARY KEY, negotiation_id TEXT NOT NULL, signer TEXT NOT NULL, key_data TEXT NOT NULL, text TEXT NOT NULL, signature TEXT NOT NULL, latest INTEGER NOT NULL, created_at INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS contributions_neg ON contributions (negotiation_id, latest)",
    "CREATE TABLE IF NOT EXISTS consensus_uses (consensus_id TEXT NOT NULL, part INTEGER NOT NULL, action TEXT NOT NULL, PRIMARY KEY (consensus_id, part))",
    "CREATE TABLE IF NOT EXISTS peers (peer_id TEXT PRIMARY KEY, name TEXT NOT NULL, key_data TEXT NOT NULL UNIQUE, key_type TEXT NOT NULL, crypto_backend TEXT NOT NULL, crypto_params TEXT NOT NULL, owners TEXT NOT NULL, status TEXT NOT NULL, consensus_id TEXT NOT NULL, created_at INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS peer_owners (peer_id TEXT NOT NULL, owner_id TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (peer_id, owner_id))",
    "CREATE TABLE IF NOT EXISTS roles (peer_id TEXT NOT NULL, role TEXT NOT NULL, PRIMARY KEY (peer_id, role))",
    "CREATE TABLE IF NOT EXISTS endpoints (endpoint_id TEXT PRIMARY KEY, peer_id TEXT NOT NULL, description TEXT NOT NULL, public INTEGER NOT NULL, size_min INTEGER NOT NULL, size_max INTEGER NOT NULL, endpoint_type TEXT NOT NULL, endpoint_params TEXT NOT NULL, links TEXT NOT NULL, status TEXT NOT NULL, inbox_hash TEXT, outbox_hash TEXT, process_proof TEXT, last_consensus_id TEXT NOT NULL, inbox_count INTEGER NOT NULL, created_at INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS endpoints_peer ON endpoints (peer_id)",
    "CREATE TABLE IF NOT EXISTS endpoint_logs (endpoint_id TEXT NOT NULL, seq INTEGER NOT NULL, consensus_id TEXT NOT NULL, timestamp TEXT NOT NULL, status TEXT NOT NULL, PRIMARY KEY (endpoint_id, seq))",
    "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, endpoint_id TEXT NOT NULL, box TEXT NOT NULL, serial INTEGER, sender TEXT NOT NULL, recipient TEXT NOT NULL, text TEXT NOT NULL, message_hash TEXT NOT NULL, text_hash TEXT NOT NULL, created_at INTEGER NOT NULL, UNIQUE (endpoint_id, box, message_hash))",
    // a box in id order (the rowid ends every index entry): every listing, box
    // download and take-over reads `endpoint_id = ? AND box = ? AND id > ?
    // ORDER BY id` as one range, without a sort (the earlier index on
    // `(endpoint_id, box, serial, id)` made each page scan and sort the whole box)
    "DROP INDEX IF EXISTS messages_box",
    "CREATE INDEX IF NOT EXISTS messages_order ON messages (endpoint_id, box)",
    "CREATE INDEX IF NOT EXISTS messages_text ON messages (endpoint_id, box, text_hash)",
    "CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, prev_hash TEXT NOT NULL, entry_hash TEXT NOT NULL, entry TEXT NOT NULL)",
];

/// The messages of one box after a message id, in id order (`?1` the
/// endpoint, `?2` the box, `?3` the id): one range of the `messages_order`
/// index, no sort (tests/query_plans.rs checks the plan).
pub const BOX_ROWS: &str =
    "FROM messages WHERE endpoint_id = ?1 AND box = ?2 AND id > ?3 ORDER BY id";

/// Create the schema (idempotent).
pub fn migrate(tx: &mut dyn Tx) -> Result<(), StoreError> {
    for stmt in SCHEMA {
        tx.execute(stmt, &[])?;
    }
    Ok(())
}
