//! A fresh in-memory SQLite store per fuzz input, implementing the controller's
//! [`Store`] with the same transaction semantics as the native server (a write runs
//! in a savepoint that is released on `Ok` and rolled back on `Err`; a read runs in
//! a transaction that is always rolled back). It also records what the invariants
//! need: whether a request committed anything, whether a read wrote anything, and
//! whether the store itself (not the controller's SQL) failed.

use panoramix_controller::sqlite::{SqliteTx, store_err};
use panoramix_controller::store::{Row, SqlValue, Store, StoreError, Tx};
use rusqlite::Connection;

/// A deliberately broken store, to show that the invariants catch what they claim
/// to (`PANORAMIX_FUZZ_SELFTEST`, run by scripts/fuzz-smoke.sh, which expects the
/// target to fail on its seeds with each of these).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `keep-refused`: a refused request's transaction is released, not rolled back.
    KeepRefused,
    /// `sql-error`: appending to the audit log fails as a broken query would (a 500).
    SqlError,
}

/// The fault named by `PANORAMIX_FUZZ_SELFTEST`, if any.
pub fn fault() -> Option<Fault> {
    static F: std::sync::OnceLock<Option<Fault>> = std::sync::OnceLock::new();
    *F.get_or_init(
        || match std::env::var("PANORAMIX_FUZZ_SELFTEST").as_deref() {
            Ok("keep-refused") => Some(Fault::KeepRefused),
            Ok("sql-error") => Some(Fault::SqlError),
            Ok(other) if !other.is_empty() => panic!("unknown PANORAMIX_FUZZ_SELFTEST {other}"),
            _ => None,
        },
    )
}

/// The shared rusqlite [`Tx`] with the self-test's SQL fault in front of it.
struct MemTx<'a>(SqliteTx<'a>);

impl Tx for MemTx<'_> {
    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<usize, StoreError> {
        if fault() == Some(Fault::SqlError) && sql.starts_with("INSERT INTO audit") {
            return Err(StoreError::new("injected: no such column"));
        }
        self.0.execute(sql, params)
    }

    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.0.query(sql, params)
    }
}

/// The tables whose row counts make the cheap digest of [`MemStore::digest`].
const TABLES: &[&str] = &[
    "meta",
    "nonces",
    "negotiations",
    "contributions",
    "consensus_uses",
    "peers",
    "peer_owners",
    "roles",
    "endpoints",
    "endpoint_logs",
    "messages",
    "audit",
];

/// An in-memory SQLite database with the controller's schema.
pub struct MemStore {
    conn: Connection,
    /// A write transaction was committed since the last [`MemStore::reset_flags`].
    pub committed: bool,
    /// A read transaction changed rows (it is rolled back, but a read must not write).
    pub read_wrote: bool,
    /// Beginning, releasing or rolling back a transaction failed: the store itself
    /// failed, so a 500 is not the controller's fault.
    pub infra_failed: bool,
}

impl MemStore {
    /// A fresh, empty database. Panics only if SQLite cannot open memory.
    pub fn new() -> MemStore {
        let conn = Connection::open_in_memory().expect("in-memory SQLite");
        conn.set_prepared_statement_cache_capacity(64);
        MemStore {
            conn,
            committed: false,
            read_wrote: false,
            infra_failed: false,
        }
    }

    /// Clear the per-request flags.
    pub fn reset_flags(&mut self) {
        self.committed = false;
        self.read_wrote = false;
        self.infra_failed = false;
    }

    /// A cheap digest of the whole state: the row count of every table and the
    /// newest audit hash. A rejected request must leave it unchanged.
    pub fn digest(&self) -> (Vec<i64>, String) {
        static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let sql = SQL.get_or_init(|| {
            format!(
                "SELECT {}",
                TABLES
                    .iter()
                    .map(|t| format!("(SELECT COUNT(*) FROM {t})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
        let counts = self
            .conn
            .query_row(sql, [], |r| {
                (0..TABLES.len())
                    .map(|i| r.get::<_, i64>(i))
                    .collect::<Result<Vec<_>, _>>()
            })
            .expect("digest query");
        let head = self
            .conn
            .query_row(
                "SELECT COALESCE((SELECT entry_hash FROM audit ORDER BY seq DESC LIMIT 1), '')",
                [],
                |r| r.get::<_, String>(0),
            )
            .expect("audit head query");
        (counts, head)
    }

    fn begin(&mut self, sql: &str) -> Result<(), StoreError> {
        self.conn.execute_batch(sql).map_err(|e| {
            self.infra_failed = true;
            store_err(e)
        })
    }
}

impl Default for MemStore {
    fn default() -> Self {
        MemStore::new()
    }
}

impl Store for MemStore {
    fn write<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        self.begin("SAVEPOINT req")?;
        let out = f(&mut MemTx(SqliteTx(&self.conn)));
        match &out {
            Ok(_) => {
                self.begin("RELEASE req")?;
                self.committed = true;
            }
            Err(_) if fault() == Some(Fault::KeepRefused) => self.begin("RELEASE req")?,
            Err(_) => self.begin("ROLLBACK TO req; RELEASE req")?,
        }
        out
    }

    fn read<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        let before = self.conn.total_changes();
        self.begin("BEGIN DEFERRED")?;
        let out = f(&mut MemTx(SqliteTx(&self.conn)));
        if self.conn.total_changes() != before {
            self.read_wrote = true;
        }
        self.begin("ROLLBACK")?;
        out
    }
}
