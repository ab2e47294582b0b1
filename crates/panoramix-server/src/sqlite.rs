//! The embedded default store: SQLite (bundled) in WAL mode. One writer connection
//! behind a mutex and a few reader connections; every request's writes run in one
//! IMMEDIATE transaction.

use panoramix_controller::store::{Row, SqlValue, Store, StoreError, Tx};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior, params_from_iter};
use std::path::Path;
use std::sync::Mutex;

fn store_err(e: rusqlite::Error) -> StoreError {
    let constraint = matches!(&e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation);
    StoreError { message: e.to_string(), constraint }
}

fn to_sql(v: &SqlValue) -> rusqlite::types::Value {
    match v {
        SqlValue::Null => rusqlite::types::Value::Null,
        SqlValue::Int(i) => rusqlite::types::Value::Integer(*i),
        SqlValue::Text(s) => rusqlite::types::Value::Text(s.clone()),
    }
}

/// A transaction on a rusqlite connection.
pub struct SqliteTx<'a>(&'a Connection);

impl Tx for SqliteTx<'_> {
    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<usize, StoreError> {
        let mut st = self.0.prepare_cached(sql).map_err(store_err)?;
        st.execute(params_from_iter(params.iter().map(to_sql))).map_err(store_err)
    }

    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let mut st = self.0.prepare_cached(sql).map_err(store_err)?;
        let n = st.column_count();
        let mut rows = st.query(params_from_iter(params.iter().map(to_sql))).map_err(store_err)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(store_err)? {
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                row.push(match r.get_ref(i).map_err(store_err)? {
                    ValueRef::Null => SqlValue::Null,
                    ValueRef::Integer(i) => SqlValue::Int(i),
                    ValueRef::Real(f) => SqlValue::Text(f.to_string()),
                    ValueRef::Text(t) | ValueRef::Blob(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
                });
            }
            out.push(row);
        }
        Ok(out)
    }
}

fn open(path: &Path, read_only: bool) -> Result<Connection, StoreError> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let c = Connection::open_with_flags(path, flags).map_err(store_err)?;
    c.busy_timeout(std::time::Duration::from_secs(10)).map_err(store_err)?;
    if !read_only {
        c.pragma_update(None, "journal_mode", "WAL").map_err(store_err)?;
        // WAL + NORMAL: a committed transaction survives a crash of the process (kill -9);
        // `--sync full` makes it survive a power loss too.
        c.pragma_update(None, "synchronous", "NORMAL").map_err(store_err)?;
    }
    c.set_prepared_statement_cache_capacity(64);
    Ok(c)
}

/// The SQLite database: one writer, several readers.
pub struct SqliteDb {
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    path: std::path::PathBuf,
}

impl SqliteDb {
    /// Open (creating if needed) the database at `path`.
    pub fn open(path: &Path, full_sync: bool) -> Result<SqliteDb, StoreError> {
        let w = open(path, false)?;
        if full_sync {
            w.pragma_update(None, "synchronous", "FULL").map_err(store_err)?;
        }
        Ok(SqliteDb { writer: Mutex::new(w), readers: Mutex::new(Vec::new()), path: path.to_owned() })
    }

    /// A handle implementing [`Store`] for one request.
    pub fn handle(&self) -> DbHandle<'_> {
        DbHandle(self)
    }
}

/// [`Store`] over a shared [`SqliteDb`]: the lock is taken only around the
/// transaction, so signature checks of concurrent requests run in parallel.
pub struct DbHandle<'a>(&'a SqliteDb);

impl Store for DbHandle<'_> {
    fn write<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&mut dyn Tx) -> Result<T, E>) -> Result<T, E> {
        let mut conn = self.0.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(store_err)?;
        let out = f(&mut SqliteTx(&tx));
        match out {
            Ok(v) => {
                tx.commit().map_err(store_err)?;
                Ok(v)
            }
            Err(e) => {
                tx.rollback().map_err(store_err)?;
                Err(e)
            }
        }
    }

    fn read<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&mut dyn Tx) -> Result<T, E>) -> Result<T, E> {
        let conn = self.0.readers.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
        let mut conn = match conn {
            Some(c) => c,
            None => open(&self.0.path, true)?,
        };
        let out = {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred).map_err(store_err)?;
            let out = f(&mut SqliteTx(&tx));
            tx.rollback().map_err(store_err)?;
            out
        };
        let mut pool = self.0.readers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if pool.len() < 8 {
            pool.push(conn);
        }
        out
    }
}

/// Dump every table as text (for tests that assert a rejected request changed nothing).
pub fn dump(path: &Path) -> Result<String, StoreError> {
    let c = open(path, true)?;
    let mut out = String::new();
    let tables: Vec<String> = {
        let mut st = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .map_err(store_err)?;
        let names = st.query_map([], |r| r.get::<_, String>(0)).map_err(store_err)?;
        names.collect::<Result<_, _>>().map_err(store_err)?
    };
    for t in tables {
        out.push_str(&format!("## {t}\n"));
        let rows = SqliteTx(&c).query(&format!("SELECT * FROM {t} ORDER BY 1, 2"), &[])?;
        for r in rows {
            out.push_str(&format!("{r:?}\n"));
        }
    }
    Ok(out)
}
