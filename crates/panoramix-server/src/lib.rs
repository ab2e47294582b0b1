//! # panoramix-server
//!
//! The native host of the PANORAMIX controller: an axum HTTP server that hands every
//! `/panoramix/` request to the shared, pure handlers of `panoramix-controller`,
//! with embedded SQLite as the store, the system clock and the OS RNG.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod bounds;
mod changes;
pub mod conn;
pub mod limits;
pub mod metrics;
pub mod sqlite;

pub use bounds::Bounds;
pub use limits::RateLimits;

use axum::Router;
use axum::body::{Body, BodyDataStream};
use axum::extract::State;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use futures_util::StreamExt;
use panoramix_controller::store::{Store, StoreError};
use panoramix_controller::{ApiError, ApiRequest, Controller, Host, media};
use panoramix_core::time::Micros;
use rand_core::{OsRng, RngCore};
use sqlite::SqliteDb;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// The native host: system clock, OS randomness.
#[derive(Debug, Clone, Copy, Default)]
pub struct NativeHost;

impl Host for NativeHost {
    fn now(&self) -> Micros {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Micros(i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
    }

    fn fill_random(&self, buf: &mut [u8]) {
        OsRng.fill_bytes(buf);
    }
}

/// Shared state of the server.
pub struct AppState {
    /// The controller.
    pub controller: Controller<NativeHost>,
    /// The database.
    pub db: SqliteDb,
    /// Static files served under `/` (the web demo), if any.
    pub static_dir: Option<PathBuf>,
    /// Request-rate limits of signed requests.
    pub limiter: limits::Limiter,
    /// Request, rejection and cycle counters (always counted).
    pub metrics: metrics::Metrics,
    /// Where `GET /metrics` is served.
    pub metrics_mode: MetricsMode,
    /// Timeouts and caps on connections, handlers, bodies and responses.
    pub bounds: Bounds,
    gates: bounds::Gates,
    feed: changes::Feed,
}

/// Where `GET /metrics` is served. `GET /healthz` is always served on the API
/// listener (and on the metrics listener, if any).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetricsMode {
    /// On the API listener (the default).
    #[default]
    Main,
    /// Only on a separate listener ([`bind_metrics`]); `/metrics` on the API
    /// listener is then an ordinary (static) path.
    Separate,
    /// Nowhere.
    Off,
}

/// Build the router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .fallback(|State(st): State<Arc<AppState>>, req| serve_any(st, req))
        .with_state(state)
}

fn json_response(status: u16, body: &serde_json::Value) -> Response<Body> {
    json_body(status, Body::from(body.to_string()))
}

/// A response with this status and JSON body and the headers every API answer has.
fn json_body(status: u16, body: Body) -> Response<Body> {
    let mut r = Response::new(body);
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

async fn serve_any(st: Arc<AppState>, req: Request<Body>) -> Response<Body> {
    let start = Instant::now();
    let method = metrics::method_class(req.method().as_str());
    let route = metrics::route_class(req.uri().path());
    let (resp, rejected) = answer(&st, req).await;
    st.metrics.request(
        method,
        route,
        resp.status().as_u16(),
        rejected,
        start.elapsed(),
    );
    resp
}

/// The answer, with the stable code of the `ApiError` behind an error answer.
async fn answer(st: &Arc<AppState>, req: Request<Body>) -> (Response<Body>, Option<&'static str>) {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    if method == "OPTIONS" {
        return (preflight(), None);
    }
    if path == "/healthz" || (path == "/metrics" && st.metrics_mode == MetricsMode::Main) {
        return observability(st, &method, &path).await;
    }
    if !path.starts_with("/panoramix") {
        let r = static_file(st, &path).await;
        let code = (r.status() == StatusCode::NOT_FOUND).then_some("not_found");
        return (r, code);
    }
    let ip = req
        .extensions()
        .get::<conn::PeerAddr>()
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |p| p.0.ip());
    // the box route takes a whole box (docs/api.md "Boxes"), any other route `max_body`
    let is_box = panoramix_core::boxes::is_box_path(&path);
    let limit = if is_box {
        st.controller.config.max_box
    } else {
        st.controller.config.max_body
    };
    let timeout = st.bounds.body_timeout;
    // refused before its body is read: the body is drained in the background (at
    // most 16 times the limit, within the body timeout) so that the client reads
    // the answer rather than a reset, and the connection is closed after it
    let refuse = |e: ApiError, body: Option<BodyDataStream>| {
        if let Some(b) = body {
            drain_later(b, limit.saturating_mul(16), timeout);
        }
        let mut r = json_response(e.status(), &e.body());
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        (r, Some(e.code()))
    };
    if media::needs_json(&method) {
        let ct = req.headers().get(header::CONTENT_TYPE);
        if !ct.is_some_and(|v| media::is_accepted(v.as_bytes(), is_box)) {
            let shown = ct.map_or_else(
                || "none".to_owned(),
                |v| {
                    String::from_utf8_lossy(v.as_bytes())
                        .chars()
                        .take(100)
                        .collect()
                },
            );
            let e = ApiError::UnsupportedMediaType(shown);
            return refuse(e, Some(req.into_body().into_data_stream()));
        }
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        let e = ApiError::TooLarge(format!("request body is larger than {limit} bytes"));
        return refuse(e, Some(req.into_body().into_data_stream()));
    }
    if method == "GET"
        && let Err(which) = st.limiter.check_read(ip)
    {
        return rate_limited(&method, &path, &which);
    }
    let mut stream = req.into_body().into_data_stream();
    let read =
        tokio::time::timeout(timeout, read_body(&mut stream, limit, declared, &st.gates)).await;
    let (body, body_permit) = match read {
        Ok(Ok(b)) => b,
        Ok(Err(BodyError::TooLarge)) => {
            let e = ApiError::TooLarge(format!("request body is larger than {limit} bytes"));
            return refuse(e, Some(stream));
        }
        Ok(Err(BodyError::Broken)) => {
            let e = ApiError::Malformed("the request body could not be read".into());
            return refuse(e, None);
        }
        Err(_) => {
            let secs = timeout.as_secs_f64().ceil() as u64;
            return refuse(ApiError::RequestTimeout(secs), None);
        }
    };
    drop(stream);
    if method != "GET"
        && let Err(which) = st.limiter.check_write(ip, &body)
    {
        return rate_limited(&method, &path, &which);
    }
    if method == "GET" && panoramix_controller::is_changes_path(&path) {
        changes::wait(st, &query).await;
    }
    let api = ApiRequest {
        method,
        path,
        query,
        body,
    };
    run_handler(st, api, body_permit).await
}

/// The answer to an `OPTIONS` (CORS preflight) request.
fn preflight() -> Response<Body> {
    let mut r = json_response(204, &serde_json::Value::Null);
    *r.body_mut() = Body::empty();
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PATCH, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type"),
    );
    r
}

/// Run an API request whose body has been read (`body_permit` holds its share
/// of the body budget) through the controller, once a handler slot is free,
/// and send its answer within the response budget.
async fn run_handler(
    st: &Arc<AppState>,
    api: ApiRequest,
    body_permit: tokio::sync::OwnedSemaphorePermit,
) -> (Response<Body>, Option<&'static str>) {
    let method = api.method.clone();
    let path = api.path.clone();
    let handler_permit = st.gates.handlers.clone().acquire_owned().await.ok();
    let st2 = st.clone();
    let res = tokio::task::spawn_blocking(move || {
        // a request that may write is counted from now on, so that a batch being
        // committed can wait for it (see `sqlite::SqliteDb`)
        let mut h = if api.method == "GET" {
            st2.db.handle()
        } else {
            st2.db.writing_handle()
        };
        let out = st2.controller.handle_outcome(&mut h, &api);
        drop(api);
        drop(body_permit);
        // serialized once, straight from the JSON value (or the box transfer's
        // text, moved), off the async threads
        let mut out = out;
        let status = out.response.status;
        let resp = std::mem::replace(
            &mut out.response,
            panoramix_controller::ApiResponse {
                status,
                body: serde_json::Value::Null,
                text: None,
            },
        );
        let bytes = resp.into_bytes();
        (out, bytes)
    })
    .await;
    match res {
        Ok((out, (bytes, media_type))) => {
            let resp = out.response;
            match &out.error {
                Some(ApiError::Internal(m)) => {
                    tracing::error!(%method, %path, error = %m, "internal error")
                }
                Some(e) => {
                    tracing::debug!(%method, %path, status = resp.status, code = e.code(), "rejected")
                }
                None => tracing::debug!(%method, %path, status = resp.status, "ok"),
            }
            st.metrics.events(&out.events);
            let status = resp.status;
            if method != "GET" && status < 300 {
                st.feed.committed();
            }
            drop(resp);
            // the response waits for its share of the response budget while this
            // request still holds its handler slot; then the slot is free
            let permit = st.gates.response(bytes.len()).await;
            drop(handler_permit);
            let mut r = json_body(status, Body::new(bounds::Budgeted::new(bytes, permit)));
            if media_type != "application/json" {
                r.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
            }
            if let (Some(ApiError::MethodNotAllowed), Some(allowed)) =
                (&out.error, panoramix_controller::allowed_methods(&path))
                && let Ok(v) = HeaderValue::from_str(&allowed.join(", "))
            {
                r.headers_mut().insert(header::ALLOW, v);
            }
            (r, out.error.as_ref().map(ApiError::code))
        }
        Err(e) => {
            tracing::error!(%method, %path, error = %e, "handler panicked");
            let e = ApiError::Internal(String::new().into());
            (json_response(e.status(), &e.body()), Some(e.code()))
        }
    }
}

/// `GET /healthz` and `GET /metrics` (the caller has checked that `path` is one of
/// them and is served here).
async fn observability(
    st: &Arc<AppState>,
    method: &str,
    path: &str,
) -> (Response<Body>, Option<&'static str>) {
    if method != "GET" && method != "HEAD" {
        let e = ApiError::MethodNotAllowed;
        return (json_response(e.status(), &e.body()), Some(e.code()));
    }
    let st2 = st.clone();
    let is_health = path == "/healthz";
    let res = tokio::task::spawn_blocking(move || {
        if is_health {
            let (status, body) = health(&st2);
            (json_response(status, &body), None)
        } else {
            let gauges = match metrics::DbGauges::read(&mut st2.db.handle()) {
                Ok(g) => Some(g),
                Err(e) => {
                    tracing::warn!(error = ?e, "metrics: the database could not be read");
                    None
                }
            };
            match st2.metrics.render(st2.db.write_stats(), gauges.as_ref()) {
                Ok(text) => {
                    let mut r = Response::new(Body::from(text));
                    r.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static(metrics::CONTENT_TYPE),
                    );
                    (r, None)
                }
                Err(e) => {
                    tracing::error!(error = %e, "metrics could not be encoded");
                    let e = ApiError::Internal("metrics could not be encoded".into());
                    (json_response(e.status(), &e.body()), Some(e.code()))
                }
            }
        }
    })
    .await;
    match res {
        Ok(answer) => answer,
        Err(e) => {
            tracing::error!(path, error = %e, "observability handler panicked");
            let e = ApiError::Internal(String::new().into());
            (json_response(e.status(), &e.body()), Some(e.code()))
        }
    }
}

/// The health check: the status and JSON body of `GET /healthz`. 200 when a cheap
/// read of the database works, 503 otherwise. Blocking (it reads the database).
pub fn health(st: &AppState) -> (u16, serde_json::Value) {
    let db = st.db.handle().read(|tx| {
        tx.query("SELECT COUNT(*) FROM meta", &[])?;
        Ok::<_, StoreError>(())
    });
    if let Err(e) = &db {
        tracing::warn!(error = %e, "health check: the database could not be read");
    }
    let ok = db.is_ok();
    (
        if ok { 200 } else { 503 },
        serde_json::json!({
            "status": if ok { "ok" } else { "unavailable" },
            "version": env!("CARGO_PKG_VERSION"),
            "db": if ok { "ok" } else { "error" },
        }),
    )
}

/// A 429 with its `Retry-After`.
fn rate_limited(
    method: &str,
    path: &str,
    which: &limits::Limited,
) -> (Response<Body>, Option<&'static str>) {
    let e = ApiError::RateLimited(which.message());
    tracing::debug!(%method, %path, ?which, "rate limited");
    let mut r = json_response(e.status(), &e.body());
    r.headers_mut()
        .insert(header::RETRY_AFTER, which.retry_after().into());
    (r, Some(e.code()))
}

/// Read and discard what is left of a refused body, in the background.
fn drain_later(mut stream: BodyDataStream, max: usize, within: std::time::Duration) {
    tokio::spawn(async move {
        let drain = async {
            let mut n = 0usize;
            while let Some(Ok(c)) = stream.next().await {
                n = n.saturating_add(c.len());
                if n > max {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(within, drain).await;
    });
}

enum BodyError {
    TooLarge,
    Broken,
}

/// Read a body of at most `limit` bytes, holding its share of the body budget
/// (reserved up front for a declared length, else as the bytes arrive). A larger
/// body is refused as soon as it passes the limit.
async fn read_body(
    stream: &mut BodyDataStream,
    limit: usize,
    declared: Option<u64>,
    gates: &bounds::Gates,
) -> Result<(Vec<u8>, tokio::sync::OwnedSemaphorePermit), BodyError> {
    let first = declared.map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX).min(limit));
    let mut permit = gates.body(first).await;
    let mut reserved = first.max(1);
    let mut buf = Vec::with_capacity(first);
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return Err(BodyError::Broken);
        };
        let total = buf.len().saturating_add(chunk.len());
        if total > limit {
            return Err(BodyError::TooLarge);
        }
        if total > reserved {
            let more = (total - reserved)
                .max(64 * 1024)
                .min(limit - reserved.min(limit));
            permit.merge(gates.body(more).await);
            reserved += more;
        }
        buf.extend_from_slice(&chunk);
    }
    Ok((buf, permit))
}

async fn static_file(st: &AppState, path: &str) -> Response<Body> {
    let not_found = || {
        let e = ApiError::NotFound(format!("no such path: {path}"));
        json_response(e.status(), &e.body())
    };
    let Some(dir) = &st.static_dir else {
        return not_found();
    };
    let rel = path.trim_start_matches('/');
    if rel.split('/').any(|s| s == ".." || s.starts_with('.')) {
        return not_found();
    }
    let mut file = dir.join(rel);
    if rel.is_empty() || file.is_dir() {
        file = file.join("index.html");
    }
    let Ok(bytes) = tokio::fs::read(&file).await else {
        return not_found();
    };
    let ct = match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript",
        Some("css") => "text/css",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    };
    let mut r = Response::new(Body::from(bytes));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    r
}

/// Errors starting the server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Binding or serving failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// Opening or migrating the database failed.
    #[error("database: {0}")]
    Db(String),
}

/// Open the database, migrate it and return the shared state, with the default
/// rate limits.
pub fn open_state(
    controller: Controller<NativeHost>,
    db_path: &std::path::Path,
    full_sync: bool,
    static_dir: Option<PathBuf>,
) -> Result<Arc<AppState>, ServeError> {
    open_state_limited(
        controller,
        db_path,
        full_sync,
        static_dir,
        RateLimits::default(),
    )
}

/// Like [`open_state`], with these rate limits.
pub fn open_state_limited(
    controller: Controller<NativeHost>,
    db_path: &std::path::Path,
    full_sync: bool,
    static_dir: Option<PathBuf>,
    limits: RateLimits,
) -> Result<Arc<AppState>, ServeError> {
    open_state_with(
        controller,
        db_path,
        full_sync,
        static_dir,
        limits,
        MetricsMode::Main,
    )
}

/// Like [`open_state_limited`], with `GET /metrics` served as `metrics_mode` says.
pub fn open_state_with(
    controller: Controller<NativeHost>,
    db_path: &std::path::Path,
    full_sync: bool,
    static_dir: Option<PathBuf>,
    limits: RateLimits,
    metrics_mode: MetricsMode,
) -> Result<Arc<AppState>, ServeError> {
    open_state_bounded(
        controller,
        db_path,
        full_sync,
        static_dir,
        limits,
        metrics_mode,
        Bounds::default(),
    )
}

/// Like [`open_state_with`], with these connection and concurrency bounds.
pub fn open_state_bounded(
    controller: Controller<NativeHost>,
    db_path: &std::path::Path,
    full_sync: bool,
    static_dir: Option<PathBuf>,
    limits: RateLimits,
    metrics_mode: MetricsMode,
    bounds: Bounds,
) -> Result<Arc<AppState>, ServeError> {
    let db = SqliteDb::open(db_path, full_sync).map_err(|e| ServeError::Db(e.message))?;
    let controller_max_body = controller.config.max_body;
    let controller_max_box = controller.config.max_box;
    controller
        .migrate(&mut db.handle())
        .map_err(|e| ServeError::Db(format!("{e:?}")))?;
    Ok(Arc::new(AppState {
        controller,
        db,
        static_dir,
        limiter: limits::Limiter::new(limits),
        metrics: metrics::Metrics::new(),
        metrics_mode,
        gates: bounds::Gates::new(&bounds, controller_max_body.max(controller_max_box)),
        bounds,
        feed: changes::Feed::new(),
    }))
}

/// Serve `GET /metrics` and `GET /healthz` (plain HTTP, nothing else) on `addr`, in
/// a task of the current runtime that runs until it is aborted or the runtime
/// stops. Returns the bound address.
pub async fn bind_metrics(
    state: Arc<AppState>,
    addr: SocketAddr,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), ServeError> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    // the same accept loop, timeouts and connection cap as the API listener
    let bounds = state.bounds;
    let task = tokio::spawn(conn::run(
        listener,
        None,
        bounds,
        move |req| serve_metrics_only(state.clone(), req),
        std::future::pending(),
    ));
    Ok((bound, task))
}

async fn serve_metrics_only(st: Arc<AppState>, req: Request<Body>) -> Response<Body> {
    let start = Instant::now();
    let method = metrics::method_class(req.method().as_str());
    let path = req.uri().path().to_owned();
    let route = metrics::route_class(&path);
    let (resp, rejected) = if path == "/healthz" || path == "/metrics" {
        observability(&st, req.method().as_str(), &path).await
    } else {
        let e = ApiError::NotFound(format!("no such path: {path}"));
        (json_response(e.status(), &e.body()), Some(e.code()))
    };
    st.metrics.request(
        method,
        route,
        resp.status().as_u16(),
        rejected,
        start.elapsed(),
    );
    resp
}

/// Serve until `shutdown` resolves. Calls `ready` with the bound address.
pub async fn serve(
    state: Arc<AppState>,
    addr: SocketAddr,
    ready: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    ready(listener.local_addr()?);
    let st = state.clone();
    let bounds = state.bounds;
    conn::run(
        listener,
        None,
        bounds,
        move |req| serve_any(st.clone(), req),
        shutdown,
    )
    .await;
    let (requests, commits) = state.db.write_stats();
    tracing::info!(
        requests,
        commits,
        "store: {requests} write requests in {commits} commits"
    );
    Ok(())
}

/// The rustls server configuration for a PEM certificate chain and private key.
pub fn tls_server_config(
    cert_pem: &std::path::Path,
    key_pem: &std::path::Path,
) -> Result<Arc<rustls::ServerConfig>, ServeError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |what: &std::path::Path, e: String| {
        ServeError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {e}", what.display()),
        ))
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_pem)
        .map_err(|e| bad(cert_pem, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(cert_pem, e.to_string()))?;
    if certs.is_empty() {
        return Err(bad(cert_pem, "no certificate".into()));
    }
    let key = PrivateKeyDer::from_pem_file(key_pem).map_err(|e| bad(key_pem, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(cert_pem, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| bad(key_pem, e.to_string()))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// Like [`serve`], terminating TLS itself with this rustls configuration.
pub async fn serve_tls(
    state: Arc<AppState>,
    addr: SocketAddr,
    tls: Arc<rustls::ServerConfig>,
    ready: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    ready(listener.local_addr()?);
    let st = state.clone();
    let bounds = state.bounds;
    conn::run(
        listener,
        Some(tokio_rustls::TlsAcceptor::from(tls)),
        bounds,
        move |req| serve_any(st.clone(), req),
        shutdown,
    )
    .await;
    let (requests, commits) = state.db.write_stats();
    tracing::info!(
        requests,
        commits,
        "store: {requests} write requests in {commits} commits"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use panoramix_controller::Config;
    use panoramix_core::Keypair;

    #[test]
    fn health_is_503_when_the_database_fails() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("panoramix-health-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("h.sqlite3");
        let c = Controller::new(Keypair::generate(&mut OsRng), Config::default(), NativeHost);
        let st = open_state(c, &db, false, None).unwrap();
        let (status, body) = health(&st);
        assert_eq!(
            (status, &body["status"], &body["db"]),
            (200, &"ok".into(), &"ok".into())
        );
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch("DROP TABLE meta")
            .unwrap();
        let (status, body) = health(&st);
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["status"], "unavailable");
        assert_eq!(body["db"], "error");
        drop(st);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
