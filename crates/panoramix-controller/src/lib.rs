//! # panoramix-controller
//!
//! The PANORAMIX controller (registration, configuration and messaging services,
//! seed chapter 3 and appendix B) as a pure function from a request to a response:
//!
//! ```text
//! handle(&Controller, &mut impl Store, ApiRequest{method, path, query, body}) -> ApiResponse{status, json}
//! ```
//!
//! No I/O: the store is a small SQL-shaped trait ([`store::Store`]) and the clock,
//! randomness and the controller's own key come from the [`Host`]. The native server
//! (axum + rusqlite) and the Cloudflare Worker (Durable Object SQLite) call the same
//! code. Every state change of one request happens in one store transaction, and a
//! rejected request changes nothing.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod audit;
pub mod authz;
mod contribute;
pub mod error;
pub mod fields;
mod handlers;
pub mod media;
mod paging;
pub mod ratelimit;
mod routes;
pub mod rows;
#[cfg(feature = "rusqlite")]
pub mod sqlite;
pub use handlers::{NONCE_PRUNE_BATCH, verify_head};
pub use routes::{allowed_methods, is_changes_path};
pub mod store;
mod util;

pub use error::{ApiError, ConsensusRefusal, InternalError};
use panoramix_core::Keypair;
use panoramix_core::time::Micros;
use store::Store;

/// What the controller needs from its host: the time and randomness.
pub trait Host {
    /// Now, in microseconds since the Unix epoch (UTC).
    fn now(&self) -> Micros;
    /// Fill `buf` with cryptographically secure random bytes.
    fn fill_random(&self, buf: &mut [u8]);
}

/// Limits and policy. Every limit is configurable; see `docs/api.md`.
#[derive(Debug, Clone)]
pub struct Config {
    /// Crypto backends peers may register with.
    pub backends: Vec<String>,
    /// Key ids of the initial role authorities.
    pub authorities: Vec<String>,
    /// Largest request body, bytes (413 above).
    pub max_body: usize,
    /// Largest box upload (`POST /panoramix/boxes/`), bytes; at least twice
    /// `panoramix_core::boxes::PART_BYTES`. (A box download answer holds at most
    /// `max_body` bytes of stored messages.)
    pub max_box: usize,
    /// Largest message text, bytes (413 above).
    pub max_message: usize,
    /// Accepted clock skew of `info.ts`, seconds.
    pub max_skew_secs: i64,
    /// Largest `size_max` of an endpoint.
    pub max_inbox: i64,
    /// Default and largest page size of listings.
    pub page_default: i64,
    /// Largest page size of listings.
    pub page_max: i64,
    /// Byte budget of one listing page: a page ends at `page_max` items or at
    /// items whose stored size adds up to this, whichever comes first (at least
    /// one item is always returned).
    pub page_max_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            backends: vec!["SPHINXMIX".into(), "ZEUS".into()],
            authorities: Vec::new(),
            max_body: 8 << 20,
            max_box: 40 << 20,
            max_message: 256 * 1024,
            max_skew_secs: 300,
            max_inbox: 100_000,
            page_default: 100,
            page_max: 1000,
            page_max_bytes: 1 << 20,
        }
    }
}

/// The controller: its identity, configuration and host.
pub struct Controller<H: Host> {
    /// Policy and limits.
    pub config: Config,
    /// The controller's own signing key; its key id is the controller id that every
    /// request's `info.controller` must name.
    pub key: Keypair,
    /// Clock and randomness.
    pub host: H,
}

/// An HTTP request, as the host received it.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// `GET`, `POST`, `PATCH`, ...
    pub method: String,
    /// The path, e.g. `/panoramix/messages/`.
    pub path: String,
    /// The raw query string without `?`.
    pub query: String,
    /// The body bytes.
    pub body: Vec<u8>,
}

/// An HTTP response: a status and a JSON body, or a box transfer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// JSON body (`null` when `text` is the body).
    pub body: serde_json::Value,
    /// A body that is not JSON: a box download (`GET /panoramix/boxes/`), sent
    /// as [`panoramix_core::boxes::MEDIA_TYPE`].
    pub text: Option<String>,
}

impl ApiResponse {
    /// The body's bytes and media type.
    pub fn into_bytes(self) -> (Vec<u8>, &'static str) {
        match self.text {
            Some(t) => (t.into_bytes(), panoramix_core::boxes::MEDIA_TYPE),
            None => (
                serde_json::to_vec(&self.body).unwrap_or_default(),
                "application/json",
            ),
        }
    }
}

impl<H: Host> Controller<H> {
    /// A controller with this key, configuration and host.
    pub fn new(key: Keypair, config: Config, host: H) -> Self {
        Controller { config, key, host }
    }

    /// The controller id (the key id of its key).
    pub fn id(&self) -> String {
        self.key.key_id()
    }

    /// The number of the audit log's last entry (0 for an empty log): what the
    /// change feed answers (`GET /panoramix/changes/`, docs/protocol.md §5.10).
    /// A host that can wait calls this to decide whether a change-feed request
    /// with `after` at or above it should wait for the next committed write.
    pub fn audit_seq<S: Store>(&self, store: &mut S) -> Result<i64, ApiError> {
        store.read(handlers::audit_seq)
    }

    /// Create the schema if needed.
    pub fn migrate<S: Store>(&self, store: &mut S) -> Result<(), ApiError> {
        store.write(|tx| store::migrate(tx).map_err(ApiError::from))
    }

    /// Handle one request. Never panics on client input; a storage failure is a 500
    /// whose details are in the returned error's `Internal` message only for logging
    /// (see [`Controller::handle_logged`]).
    pub fn handle<S: Store>(&self, store: &mut S, req: &ApiRequest) -> ApiResponse {
        self.handle_logged(store, req).0
    }

    /// Like [`Controller::handle`], also returning the error (if any) for logging.
    pub fn handle_logged<S: Store>(
        &self,
        store: &mut S,
        req: &ApiRequest,
    ) -> (ApiResponse, Option<ApiError>) {
        let o = self.handle_outcome(store, req);
        (o.response, o.error)
    }

    /// Like [`Controller::handle_logged`], also returning what the request did
    /// ([`Event`]s, for a host's metrics). Events are only reported for committed
    /// changes: a rejected request has none.
    pub fn handle_outcome<S: Store>(&self, store: &mut S, req: &ApiRequest) -> Outcome {
        let mut events = Vec::new();
        match handlers::dispatch(self, store, req, &mut events) {
            Ok((status, body)) => {
                // a box download's answer is its text, not JSON
                let (body, text) = match body {
                    serde_json::Value::String(t)
                        if req.method == "GET" && panoramix_core::boxes::is_box_path(&req.path) =>
                    {
                        (serde_json::Value::Null, Some(t))
                    }
                    body => (body, None),
                };
                Outcome {
                    response: ApiResponse { status, body, text },
                    error: None,
                    events,
                }
            }
            Err(e) => Outcome {
                response: ApiResponse {
                    status: e.status(),
                    body: e.body(),
                    text: None,
                },
                error: Some(e),
                events: Vec::new(),
            },
        }
    }
}

/// A state change a successful request made that a host may want to count. Plain
/// data (no identifiers of peers or message contents): the controller itself does
/// no I/O and keeps no counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An endpoint's INBOX was closed (OPEN → CLOSED).
    EndpointClosed {
        /// The endpoint's type (one of `model::ENDPOINT_TYPES`).
        endpoint_type: String,
        /// Messages taken into ACCEPTED.
        accepted: u64,
    },
    /// An endpoint was marked processed (CLOSED → PROCESSED): one cycle ended.
    EndpointProcessed {
        /// The endpoint's type (one of `model::ENDPOINT_TYPES`).
        endpoint_type: String,
        /// Controller time from the close to this process, microseconds (`None`
        /// if the close could not be found in the endpoint's log).
        cycle_micros: Option<i64>,
    },
}

/// Everything [`Controller::handle_outcome`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The answer to send.
    pub response: ApiResponse,
    /// The error behind a non-2xx answer, for logging (internal details included).
    pub error: Option<ApiError>,
    /// What the request changed, if it succeeded.
    pub events: Vec<Event>,
}
