//! [`Store`] on a Durable Object's SQLite storage.
//!
//! Durable Object SQL is synchronous, like rusqlite, so the controller's synchronous
//! `Store`/`Tx` traits map onto it directly. `BEGIN`/`COMMIT` are refused by the
//! runtime; a write transaction instead runs inside `ctx.storage.transactionSync(fn)`,
//! which commits when `fn` returns and rolls back everything `fn` wrote when it throws.
//! workers-rs 0.8.7 does not wrap `transactionSync`, so it is bound here directly and
//! given a borrowed (stack) closure: it is called before `transactionSync` returns, so
//! nothing needs to be `'static`. The closure returns `Err` (which wasm-bindgen turns into
//! a JavaScript throw) whenever the handler failed, so a rejected request leaves no row
//! behind, the nonce it recorded first included.

use crate::host::RandomHealth;
use panoramix_controller::store::{Row, SqlValue, Store, StoreError, Tx};
use wasm_bindgen::prelude::*;
use worker::{SqlStorage, SqlStorageValue};

#[wasm_bindgen]
extern "C" {
    /// `ctx.storage` of a Durable Object, seen through the one method used here.
    #[wasm_bindgen(extends = js_sys::Object)]
    pub type SyncStorage;

    /// `storage.transactionSync(fn)`: runs `fn` in a transaction; a throw rolls it back
    /// and is rethrown.
    #[wasm_bindgen(method, catch, js_name = transactionSync)]
    fn transaction_sync(
        this: &SyncStorage,
        f: &mut dyn FnMut() -> Result<JsValue, JsValue>,
    ) -> Result<JsValue, JsValue>;
}

fn store_err(message: impl Into<String>) -> StoreError {
    let message = message.into();
    let constraint = message.contains("constraint failed");
    // a JavaScript error is not Send: its text is what there is to keep
    StoreError {
        constraint,
        ..StoreError::new(message)
    }
}

fn js_err(e: &worker::Error) -> StoreError {
    store_err(e.to_string())
}

/// A bound value. Integers outside JavaScript's safe range (±2^53) would silently lose
/// precision on the way through a JS number, so they are refused instead; the schema
/// keeps group elements, hashes and large numbers as TEXT.
fn bind(v: &SqlValue) -> Result<SqlStorageValue, StoreError> {
    Ok(match v {
        SqlValue::Null => SqlStorageValue::Null,
        SqlValue::Int(i) => SqlStorageValue::try_from_i64(*i)
            .map_err(|_| store_err(format!("integer {i} is beyond 2^53")))?,
        SqlValue::Text(s) => SqlStorageValue::String(s.clone()),
    })
}

fn read_value(v: SqlStorageValue) -> SqlValue {
    match v {
        SqlStorageValue::Null => SqlValue::Null,
        SqlStorageValue::Boolean(b) => SqlValue::Int(i64::from(b)),
        SqlStorageValue::Integer(i) => SqlValue::Int(i),
        // the schema has no REAL columns; render like the native store does
        SqlStorageValue::Float(f) => SqlValue::Text(f.to_string()),
        SqlStorageValue::String(s) => SqlValue::Text(s),
        SqlStorageValue::Blob(b) => SqlValue::Text(String::from_utf8_lossy(&b).into_owned()),
    }
}

/// Statements on the object's SQLite database.
pub struct DoTx<'a> {
    sql: &'a SqlStorage,
}

impl DoTx<'_> {
    fn run(&self, sql: &str, params: &[SqlValue]) -> Result<worker::SqlCursor, StoreError> {
        let bound = params.iter().map(bind).collect::<Result<Vec<_>, _>>()?;
        self.sql.exec(sql, bound).map_err(|e| js_err(&e))
    }
}

impl Tx for DoTx<'_> {
    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<usize, StoreError> {
        let cursor = self.run(sql, params)?;
        // step the statement to its end (exec is lazy for statements with results)
        for row in cursor.raw() {
            row.map_err(|e| js_err(&e))?;
        }
        // `rowsWritten` also counts index rows; `changes()` is what rusqlite returns
        let rows = self.query("SELECT changes()", &[])?;
        match rows
            .first()
            .and_then(|r| r.first())
            .and_then(SqlValue::as_i64)
        {
            Some(n) => usize::try_from(n).map_err(|_| store_err("negative changes()")),
            None => Err(store_err("changes() returned nothing")),
        }
    }

    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let cursor = self.run(sql, params)?;
        let mut out = Vec::new();
        for row in cursor.raw() {
            let row = row.map_err(|e| js_err(&e))?;
            out.push(row.into_iter().map(read_value).collect());
        }
        Ok(out)
    }
}

/// The Durable Object's storage as a [`Store`] for one request.
pub struct DoStore<'a> {
    /// `ctx.storage`, for `transactionSync`.
    pub storage: &'a SyncStorage,
    /// `ctx.storage.sql`.
    pub sql: &'a SqlStorage,
    /// Set if the host could not get randomness during this request: the
    /// transaction is then rolled back rather than committed with bad ids.
    pub random: &'a RandomHealth,
}

impl Store for DoStore<'_> {
    fn write<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut f = Some(f);
        let mut out: Option<Result<T, E>> = None;
        let sql = self.sql;
        let random = self.random;
        let res = {
            let mut body = || -> Result<JsValue, JsValue> {
                let Some(f) = f.take() else {
                    return Err(JsValue::from_str("transaction body called twice"));
                };
                let r = f(&mut DoTx { sql });
                let commit = r.is_ok() && random.ok();
                out = Some(r);
                if commit {
                    Ok(JsValue::UNDEFINED)
                } else {
                    // throwing makes transactionSync roll back
                    Err(JsValue::from_str("panoramix: rolled back"))
                }
            };
            self.storage.transaction_sync(&mut body)
        };
        match (res, out) {
            (Ok(_), Some(r)) => r,
            (Err(_), Some(Err(e))) => Err(e),
            (Err(_), Some(Ok(_))) if !random.ok() => Err(E::from(store_err(
                "crypto.getRandomValues failed; transaction rolled back",
            ))),
            (Err(e), _) => Err(E::from(store_err(format!(
                "transaction failed: {}",
                e.as_string().unwrap_or_else(|| format!("{e:?}"))
            )))),
            (Ok(_), None) => Err(E::from(store_err("transaction body did not run"))),
        }
    }

    /// Reads need no transaction: a Durable Object runs one request's synchronous
    /// code at a time, and the handlers do not await between statements.
    fn read<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        f(&mut DoTx { sql: self.sql })
    }
}
