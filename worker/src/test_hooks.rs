//! Test hooks, compiled only into a Worker built with the `test-hooks` feature
//! (`scripts/worker-test.sh` builds one into `worker/build-test/`; `worker/build.sh`
//! without `PANORAMIX_WORKER_FEATURES` builds the production Worker, which has none
//! of this: `tests/test_hooks.rs` checks that its bundle does not contain
//! [`DUMP_PATH`] and that it answers 404 there).

use crate::json_response;
use crate::store::DoStore;
use panoramix_controller::ApiError;
use panoramix_controller::store::{SCHEMA, Store, StoreError};
use worker::{Response, Result};

/// The route that returns every table as text, when `PANORAMIX_TEST_DUMP=1`.
pub const DUMP_PATH: &str = "/panoramix/__test/dump";

/// `GET` [`DUMP_PATH`]: `{"dump": text}`.
pub fn dump_response(store: &mut DoStore<'_>) -> Result<Response> {
    match dump(store) {
        Ok(text) => json_response(200, &serde_json::json!({ "dump": text })),
        Err(e) => {
            worker::console_error!("panoramix: internal error: dump: {}", e.message);
            let e = ApiError::Internal(String::new().into());
            json_response(e.status(), &e.body())
        }
    }
}

/// Every table of the schema as text, rows in key order: tests compare two dumps to
/// check that a rejected request changed nothing.
fn dump(store: &mut DoStore<'_>) -> std::result::Result<String, StoreError> {
    store.read(|tx| {
        let mut out = String::new();
        for stmt in SCHEMA {
            let Some(rest) = stmt.strip_prefix("CREATE TABLE IF NOT EXISTS ") else {
                continue;
            };
            let Some(table) = rest.split_whitespace().next() else {
                continue;
            };
            out.push_str(&format!("## {table}\n"));
            for row in tx.query(&format!("SELECT * FROM {table} ORDER BY 1, 2"), &[])? {
                out.push_str(&format!("{row:?}\n"));
            }
        }
        Ok(out)
    })
}
