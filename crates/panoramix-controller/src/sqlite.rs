//! The [`Tx`] of a rusqlite connection (feature `rusqlite`): the one mapping between
//! the controller's SQL-shaped store and SQLite, shared by the native server's store
//! and the fuzz targets' in-memory store. Transactions themselves (savepoints, group
//! commit) are the host's.

use crate::store::{Row, SqlValue, StoreError, Tx};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, params_from_iter};

/// A rusqlite error as a [`StoreError`] that keeps it as its source; a constraint
/// violation is flagged as such (the handlers turn it into a replay or a conflict).
pub fn store_err(e: rusqlite::Error) -> StoreError {
    let constraint = matches!(&e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation);
    StoreError {
        constraint,
        ..StoreError::new(e.to_string()).with_source(e)
    }
}

fn to_sql(v: &SqlValue) -> rusqlite::types::Value {
    match v {
        SqlValue::Null => rusqlite::types::Value::Null,
        SqlValue::Int(i) => rusqlite::types::Value::Integer(*i),
        SqlValue::Text(s) => rusqlite::types::Value::Text(s.clone()),
    }
}

/// Statements on a rusqlite connection, inside whatever transaction the host opened.
pub struct SqliteTx<'a>(pub &'a Connection);

impl Tx for SqliteTx<'_> {
    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<usize, StoreError> {
        let mut st = self.0.prepare_cached(sql).map_err(store_err)?;
        st.execute(params_from_iter(params.iter().map(to_sql)))
            .map_err(store_err)
    }

    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let mut st = self.0.prepare_cached(sql).map_err(store_err)?;
        let n = st.column_count();
        let mut rows = st
            .query(params_from_iter(params.iter().map(to_sql)))
            .map_err(store_err)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(store_err)? {
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                row.push(match r.get_ref(i).map_err(store_err)? {
                    ValueRef::Null => SqlValue::Null,
                    ValueRef::Integer(i) => SqlValue::Int(i),
                    ValueRef::Real(f) => SqlValue::Text(f.to_string()),
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        SqlValue::Text(String::from_utf8_lossy(t).into_owned())
                    }
                });
            }
            out.push(row);
        }
        Ok(out)
    }
}
