//! The Durable Object that holds the controller's database and runs its handlers.
//!
//! One object (named `controller`) holds every table; see `docs/deploy.md` for why,
//! and for how a sharded layout would split them. Each request runs the shared,
//! synchronous handlers of `panoramix-controller` between its body being read and
//! its response being returned, with no `await` in between: the object processes
//! one request at a time, and each request's writes are one `transactionSync`.

use crate::host::{RandomHealth, WorkerHost};
use crate::store::{DoStore, SyncStorage};
use crate::{config, json_response};
use futures_util::StreamExt;
use panoramix_controller::Host;
use panoramix_controller::ratelimit::RateLimiter;
use panoramix_controller::store::Store;
use panoramix_controller::{ApiError, ApiRequest, Controller};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use worker::{
    DurableObject, Env, Method, Request, Response, Result, SqlStorage, State, durable_object,
};

struct Ready {
    controller: Controller<WorkerHost>,
    random: Rc<RandomHealth>,
    storage: SyncStorage,
    sql: SqlStorage,
    /// Whether the test-only dump route is on (`PANORAMIX_TEST_DUMP=1`).
    #[cfg(feature = "test-hooks")]
    dump: bool,
    /// Token buckets of this object's isolate: a Worker isolate may be evicted, which
    /// refills them, so these limits stop floods, not a patient client.
    limiter: RefCell<RateLimiter>,
}

/// The controller's Durable Object (SQLite-backed: `new_sqlite_classes`).
#[durable_object]
pub struct ControllerObject {
    ready: std::result::Result<Ready, String>,
    migrated: Cell<bool>,
}

fn internal(detail: &str) -> Result<Response> {
    worker::console_error!("panoramix: internal error: {detail}");
    let e = ApiError::Internal(String::new().into());
    json_response(e.status(), &e.body())
}

impl ControllerObject {
    fn store<'a>(r: &'a Ready) -> DoStore<'a> {
        DoStore {
            storage: &r.storage,
            sql: &r.sql,
            random: &r.random,
        }
    }

    async fn serve(&self, mut req: Request) -> Result<Response> {
        let r = match &self.ready {
            Ok(r) => r,
            Err(m) => return internal(m),
        };
        if !self.migrated.get() {
            if let Err(e) = r.controller.migrate(&mut Self::store(r)) {
                return internal(&format!("migration failed: {e:?}"));
            }
            self.migrated.set(true);
        }
        let method = req.method().to_string();
        let url = req.url()?;
        let path = url.path().to_owned();
        let query = url.query().unwrap_or("").to_owned();
        if path == "/healthz" {
            if !matches!(method.as_str(), "GET" | "HEAD") {
                // read what was sent before answering 405: an object that answers
                // without reading a body it was handed makes workerd restart it, and
                // the client's next request on that connection then hangs
                let _ = read_body(&mut req, r.controller.config.max_body).await;
            }
            return health(&method, &mut Self::store(r));
        }
        #[cfg(feature = "test-hooks")]
        if r.dump && method == "GET" && path == crate::test_hooks::DUMP_PATH {
            return crate::test_hooks::dump_response(&mut Self::store(r));
        }
        // the box route takes a whole box (docs/api.md "Boxes")
        let limit = if panoramix_core::boxes::is_box_path(&path) {
            r.controller.config.max_box
        } else {
            r.controller.config.max_body
        };
        // before the body is read: a declared length over what `read_body` would
        // drain (413 at once; a body up to that is drained first, so that the client
        // reads the 413 rather than a reset) and the client address's read rate
        // (Cloudflare's edge sets CF-Connecting-IP; without it every client shares
        // one bucket); the media type was checked by the fetch handler
        // (`crate::early_refusal`)
        let headers = req.headers();
        let declared = headers
            .get("content-length")
            .ok()
            .flatten()
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit.saturating_mul(16) as u64) {
            let e = ApiError::TooLarge(format!("request body is larger than {limit} bytes"));
            return json_response(e.status(), &e.body());
        }
        let addr = headers
            .get("cf-connecting-ip")
            .ok()
            .flatten()
            .unwrap_or_else(|| "unknown".to_owned());
        if method == "GET" {
            let now = r.controller.host.now();
            let limited = r.limiter.borrow_mut().check_read(&addr, now);
            if let Err(l) = limited {
                let e = ApiError::RateLimited(l.message());
                return crate::rate_limited_response(&e, l.retry_after());
            }
        }
        let body = match read_body(&mut req, limit).await {
            Ok(Some(b)) => b,
            Ok(None) => {
                let e = ApiError::TooLarge(format!("request body is larger than {limit} bytes"));
                return json_response(e.status(), &e.body());
            }
            Err(e) => {
                let e = ApiError::Malformed(format!("could not read the request body: {e}"));
                return json_response(e.status(), &e.body());
            }
        };
        if method != "GET" {
            let now = r.controller.host.now();
            let limited = r.limiter.borrow_mut().check_write(&addr, &body, now);
            if let Err(l) = limited {
                let e = ApiError::RateLimited(l.message());
                return crate::rate_limited_response(&e, l.retry_after());
            }
        }
        let api = ApiRequest {
            method,
            path,
            query,
            body,
        };
        // from here to the response: synchronous, so no other request interleaves
        r.random.reset();
        let (resp, err) = r.controller.handle_logged(&mut Self::store(r), &api);
        if let Some(ApiError::Internal(m)) = &err {
            worker::console_error!(
                "panoramix: {} {}: internal error: {m}",
                api.method,
                api.path
            );
        }
        if let (Some(ApiError::MethodNotAllowed), Some(allowed)) =
            (&err, panoramix_controller::allowed_methods(&api.path))
        {
            return Ok(crate::json_builder(resp.status)?
                .with_header("allow", &allowed.join(", "))?
                .fixed(resp.body.to_string().into_bytes()));
        }
        let status = resp.status;
        let (bytes, media_type) = resp.into_bytes();
        Ok(crate::typed_builder(status, media_type)?.fixed(bytes))
    }
}

impl DurableObject for ControllerObject {
    fn new(state: State, env: Env) -> Self {
        let ready = (|| {
            let settings = config::load(&env)?;
            let storage = state
                .as_raw()
                .storage()
                .map_err(|e| format!("no storage: {e:?}"))?
                .unchecked_into::<SyncStorage>();
            let sql = state.storage().sql();
            let random = Rc::new(RandomHealth::new());
            let host = WorkerHost {
                random: random.clone(),
            };
            Ok::<_, String>(Ready {
                controller: Controller::new(settings.key, settings.config, host),
                random,
                storage,
                sql,
                #[cfg(feature = "test-hooks")]
                dump: settings.dump,
                limiter: RefCell::new(RateLimiter::new(settings.rates)),
            })
        })();
        ControllerObject {
            ready,
            migrated: Cell::new(false),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        match self.serve(req).await {
            Ok(r) => Ok(r),
            Err(e) => internal(&e.to_string()),
        }
    }
}

/// Read a body of at most `limit` bytes; `None` if it is larger. A larger body is
/// still drained (up to 16 times the limit), as the native server does, so that the
/// client reads the 413 instead of a reset connection.
async fn read_body(req: &mut Request, limit: usize) -> Result<Option<Vec<u8>>> {
    if matches!(req.method(), Method::Get | Method::Head) {
        return Ok(Some(Vec::new()));
    }
    let Ok(mut stream) = req.stream() else {
        return Ok(Some(Vec::new())); // no body at all
    };
    let mut buf = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        total = total.saturating_add(chunk.len());
        if total <= limit {
            buf.extend_from_slice(&chunk);
        } else if total > limit.saturating_mul(16) {
            return Ok(None);
        }
    }
    Ok((total <= limit).then_some(buf))
}

/// `GET /healthz`, as on the native server: 200 when a cheap read of the Durable
/// Object's database works, 503 otherwise (the reason is logged, never returned).
fn health(method: &str, store: &mut DoStore<'_>) -> Result<Response> {
    if method != "GET" && method != "HEAD" {
        let e = ApiError::MethodNotAllowed;
        return json_response(e.status(), &e.body());
    }
    let db = store.read(|tx| tx.query("SELECT COUNT(*) FROM meta", &[]).map(|_| ()));
    if let Err(e) = &db {
        worker::console_error!("panoramix: health check: the database could not be read: {e:?}");
    }
    let ok = db.is_ok();
    json_response(
        if ok { 200 } else { 503 },
        &serde_json::json!({
            "status": if ok { "ok" } else { "unavailable" },
            "version": env!("CARGO_PKG_VERSION"),
            "db": if ok { "ok" } else { "error" },
        }),
    )
}
