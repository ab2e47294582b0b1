//! # panoramix-client
//!
//! A blocking, typed client for the whole controller API. It signs every request
//! with the peer's Ed25519 key, fills in the freshness fields (`nonce`, `ts`,
//! `controller`), and has helpers for the negotiate-then-apply pattern that every
//! collective action follows.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod audit;
mod boxes;
mod error;
mod negotiate;

pub use audit::audit_log;
pub use error::ClientError;
pub use panoramix_core::wire;

use panoramix_core::envelope;
use panoramix_core::wire::{ControllerInfo, Data, Endpoint, Message, Page, Peer};
use panoramix_core::{Keypair, identity};
use rand_core::{OsRng, RngCore};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json, json};
use std::time::Duration;

pub use panoramix_core::negotiation::Action;

/// How a client waits and retries when the controller answers 429 `rate_limited`
/// (a request-rate limit, or a proxy's 429 without a code): it waits at least the
/// answer's `Retry-After`, and otherwise a capped exponential backoff with jitter,
/// then sends the same request again, a bounded number of times within a bounded
/// total wait. 429 `inbox_full` is not retried: that INBOX will not empty itself
/// (send to the next cycle instead).
///
/// A request refused by the rate limiter never reached the controller, so sending
/// the very same signed bytes again is safe (its nonce was not used), and the
/// total wait stays well inside the controller's accepted clock skew (300 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: never retry).
    pub max_retries: u32,
    /// The first backoff; each retry doubles it.
    pub base: Duration,
    /// The largest backoff (a longer `Retry-After` is still honoured).
    pub cap: Duration,
    /// Give up (return the 429) rather than wait longer than this in total.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    /// 8 retries, 250 ms doubling up to 8 s, at most 60 s of waiting in all.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 8,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(8),
            max_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Never retry: every 429 is returned at once.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The wait before retry number `attempt` (0 for the first retry), given the
    /// answer's `Retry-After` and a random number for the jitter: the larger of
    /// `Retry-After` and half to all of `min(cap, base * 2^attempt)`, plus up to
    /// `base` more, so that clients refused together do not come back together.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>, random: u64) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX))
            .min(self.cap);
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let half = ms(exp) / 2;
        let backoff = Duration::from_millis(half + random % (half + 1));
        let spread = Duration::from_millis((random >> 32) % (ms(self.base) + 1));
        backoff.max(retry_after.unwrap_or_default()) + spread
    }
}

/// `Retry-After` as delay-seconds (an HTTP date is ignored: the backoff applies).
fn parse_retry_after(v: &str) -> Option<Duration> {
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// A signing client for one peer.
pub struct Client {
    base: String,
    agent: ureq::Agent,
    key: Keypair,
    controller_id: String,
    retry: RetryPolicy,
    rate_limited: std::sync::atomic::AtomicU64,
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// A fresh 128-bit nonce in hex.
pub fn nonce() -> String {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

impl Client {
    /// Connect to the controller at `base` (e.g. `http://127.0.0.1:8000`) as `key`.
    ///
    /// An `https://` controller's certificate is verified against the Web PKI
    /// roots, plus the CA certificates of `PANORAMIX_CA_FILE` (PEM) if set.
    pub fn connect(base: &str, key: Keypair) -> Result<Client, ClientError> {
        let agent = match std::env::var_os("PANORAMIX_CA_FILE") {
            Some(p) => agent_trusting(std::path::Path::new(&p))?,
            None => agent(),
        };
        Self::connect_with(base, key, agent)
    }

    /// Like [`Client::connect`], also trusting the CA certificates (PEM) in
    /// `ca_file`: for a self-signed controller.
    pub fn connect_trusting(
        base: &str,
        key: Keypair,
        ca_file: &std::path::Path,
    ) -> Result<Client, ClientError> {
        Self::connect_with(base, key, agent_trusting(ca_file)?)
    }

    fn connect_with(base: &str, key: Keypair, agent: ureq::Agent) -> Result<Client, ClientError> {
        let mut c = Client {
            base: base.trim_end_matches('/').to_owned(),
            agent,
            key,
            controller_id: String::new(),
            retry: RetryPolicy::default(),
            rate_limited: std::sync::atomic::AtomicU64::new(0),
        };
        c.controller_id = c.controller_info()?.controller_id;
        Ok(c)
    }

    /// The controller's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// This client's key.
    pub fn key(&self) -> &Keypair {
        &self.key
    }

    /// This client's key id (its peer id once registered).
    pub fn id(&self) -> String {
        self.key.key_id()
    }

    /// The controller's id.
    pub fn controller_id(&self) -> &str {
        &self.controller_id
    }

    /// What the controller says about itself: its id, key, backends, time and
    /// limits.
    pub fn controller_info(&self) -> Result<ControllerInfo, ClientError> {
        self.get_data("/panoramix/controller/")
    }

    /// How this client retries after 429 `rate_limited` ([`RetryPolicy::default`]
    /// unless changed).
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// Change how this client retries after 429 `rate_limited`.
    pub fn set_retry_policy(&mut self, policy: RetryPolicy) {
        self.retry = policy;
    }

    /// How many 429 `rate_limited` answers this client has received (each one
    /// retried or, once the policy's bounds are reached, returned).
    pub fn rate_limited_count(&self) -> u64 {
        self.rate_limited.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The error an answer with an error status stands for. A body that is not
    /// the API's `{"error": {code, message}}` (a proxy's page, say) is code
    /// `unknown` with the body's start as its message.
    fn api_error(status: u16, r: ureq::Response) -> ClientError {
        #[derive(serde::Deserialize)]
        struct Body {
            error: ErrorBody,
        }
        #[derive(serde::Deserialize)]
        struct ErrorBody {
            code: String,
            message: String,
        }
        let text = r.into_string().unwrap_or_default();
        match serde_json::from_str::<Body>(&text) {
            Ok(b) => ClientError::Api {
                status,
                code: b.error.code,
                message: b.error.message,
            },
            Err(_) => ClientError::Api {
                status,
                code: "unknown".to_owned(),
                message: text.chars().take(200).collect(),
            },
        }
    }

    pub(crate) fn decode(
        path: &str,
        resp: Result<ureq::Response, ureq::Error>,
    ) -> Result<Json, ClientError> {
        match resp {
            // a box transfer (docs/api.md "Boxes") comes back as a JSON string
            // holding its text
            Ok(r) if r.content_type() == panoramix_core::boxes::MEDIA_TYPE => {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut r.into_reader(), &mut text).map_err(
                    |source| ClientError::Body {
                        path: path.to_owned(),
                        source,
                    },
                )?;
                Ok(Json::String(text))
            }
            Ok(r) => r.into_json::<Json>().map_err(|source| ClientError::Body {
                path: path.to_owned(),
                source,
            }),
            Err(ureq::Error::Status(status, r)) => Err(Self::api_error(status, r)),
            Err(e) => Err(ClientError::Transport(Box::new(e))),
        }
    }

    /// Read an answer (of the request to `path`) as `T`.
    pub(crate) fn parse<T: DeserializeOwned>(path: &str, answer: Json) -> Result<T, ClientError> {
        serde_json::from_value(answer).map_err(|source| ClientError::Decode {
            path: path.to_owned(),
            source,
        })
    }

    /// The `data` of an answer (of the request to `path`), as `T`.
    pub(crate) fn data_of<T: DeserializeOwned>(path: &str, answer: Json) -> Result<T, ClientError> {
        Self::parse::<Data<T>>(path, answer).map(|d| d.data)
    }

    /// An unsigned GET of one resource, read as `T`.
    pub fn get_data<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        Self::data_of(path, self.get(path)?)
    }

    /// Make a request, and make it again after a 429 `rate_limited` as the
    /// [`RetryPolicy`] says.
    fn with_backoff(
        &self,
        path: &str,
        mut request: impl FnMut() -> Result<ureq::Response, Box<ureq::Error>>,
    ) -> Result<Json, ClientError> {
        let mut waited = Duration::ZERO;
        let mut attempt = 0u32;
        loop {
            match request().map_err(|e| *e) {
                Err(ureq::Error::Status(429, r)) => {
                    let retry_after = r.header("retry-after").and_then(parse_retry_after);
                    let err = Self::api_error(429, r);
                    if err.code() == Some("inbox_full") {
                        return Err(err);
                    }
                    self.rate_limited
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let d = self.retry.delay(attempt, retry_after, OsRng.next_u64());
                    if attempt >= self.retry.max_retries || waited + d > self.retry.max_wait {
                        return Err(err);
                    }
                    std::thread::sleep(d);
                    waited += d;
                    attempt += 1;
                }
                other => return Self::decode(path, other),
            }
        }
    }

    /// An unsigned GET of `path_and_query` (retried after 429 `rate_limited`, e.g.
    /// from a proxy's per-address limit).
    pub fn get(&self, path_and_query: &str) -> Result<Json, ClientError> {
        let url = format!("{}{}", self.base, path_and_query);
        self.with_backoff(path_and_query, || {
            self.agent.get(&url).call().map_err(Box::new)
        })
    }

    /// Send a raw body once, as it is: no retry after a 429 (for tests of malformed
    /// input and of the limits). Signed requests go through [`Client::send`].
    pub fn send_raw(&self, method: &str, path: &str, body: &[u8]) -> Result<Json, ClientError> {
        Self::decode(path, self.request(method, path).send_bytes(body))
    }

    fn request(&self, method: &str, path: &str) -> ureq::Request {
        let media_type = if panoramix_core::boxes::is_box_path(path) {
            panoramix_core::boxes::MEDIA_TYPE
        } else {
            "application/json"
        };
        self.agent
            .request(method, &format!("{}{}", self.base, path))
            .set("content-type", media_type)
    }

    /// Send a signed body, again after a 429 `rate_limited` (the same bytes: the
    /// limiter refused it before the controller saw its nonce).
    pub fn send_signed(&self, method: &str, path: &str, body: &[u8]) -> Result<Json, ClientError> {
        self.with_backoff(path, || {
            self.request(method, path)
                .send_bytes(body)
                .map_err(Box::new)
        })
    }

    /// `info` for a request: resource, operation, extra fields, and freshness.
    pub fn info(&self, resource: &str, operation: &str, extra: Map<String, Json>) -> Json {
        let mut info = extra;
        info.insert("resource".into(), json!(resource));
        info.insert("operation".into(), json!(operation));
        info.insert("nonce".into(), json!(nonce()));
        info.insert("ts".into(), json!(now_secs()));
        info.insert("controller".into(), json!(self.controller_id));
        Json::Object(info)
    }

    /// Sign and send `{data, info, by_consensus?}`.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        data: Json,
        info: Json,
        by_consensus: Option<Json>,
    ) -> Result<Json, ClientError> {
        let body = self.envelope(data, info, by_consensus)?;
        self.send_signed(method, path, body.to_string().as_bytes())
    }

    /// Build a signed envelope without sending it.
    pub fn envelope(
        &self,
        data: Json,
        info: Json,
        by_consensus: Option<Json>,
    ) -> Result<Json, ClientError> {
        Ok(envelope::sign(&self.key, data, info, by_consensus)?)
    }

    /// A signed request of `resource`/`operation` with fresh info.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        resource: &str,
        operation: &str,
        data: Json,
    ) -> Result<Json, ClientError> {
        let info = self.info(resource, operation, Map::new());
        self.send(method, path, data, info, None)
    }

    // ------------------------------------------------------------ peers

    /// The action registering this key as an individual peer.
    pub fn register_action(
        &self,
        name: &str,
        role: Option<&str>,
        backend: &str,
        crypto_params: Json,
    ) -> Action {
        let mut data = json!({
            "peer_id": self.id(), "name": name, "key_data": self.key.key_data(), "key_type": "ed25519",
            "crypto_backend": backend, "crypto_params": crypto_params, "owners": [], "status": "READY",
        });
        if let Some(r) = role {
            data["role"] = json!(r);
        }
        self.action(
            "POST",
            "/panoramix/peers/",
            "peer",
            "create",
            data,
            Map::new(),
        )
    }

    /// Register this key as an individual peer, by self-consensus.
    pub fn register(
        &self,
        name: &str,
        role: Option<&str>,
        backend: &str,
        crypto_params: Json,
    ) -> Result<Peer, ClientError> {
        let a = self.register_action(name, role, backend, crypto_params);
        let cid = self.self_consensus(&format!("register {name}"), std::slice::from_ref(&a))?;
        Self::data_of(&a.path, self.apply(&a, &cid, None)?)
    }

    /// The action creating a joint peer owned by `owners` (in route order).
    pub fn joint_peer_action(
        &self,
        name: &str,
        owners: &[String],
        backend: &str,
        crypto_params: Json,
    ) -> Action {
        let key_data = identity::joint_key_data(name, owners);
        let peer_id = identity::joint_peer_id(&key_data).unwrap_or_default();
        let data = json!({
            "peer_id": peer_id, "name": name, "key_data": key_data, "key_type": "ed25519",
            "crypto_backend": backend, "crypto_params": crypto_params, "owners": owners, "status": "READY",
        });
        self.action(
            "POST",
            "/panoramix/peers/",
            "peer",
            "create",
            data,
            Map::new(),
        )
    }

    /// A peer's details.
    pub fn peer(&self, id: &str) -> Result<Peer, ClientError> {
        self.get_data(&format!("/panoramix/peers/{id}/"))
    }

    // ------------------------------------------------------------ endpoints

    /// The action creating an endpoint; `spec` holds its fields (endpoint_id, peer_id,
    /// endpoint_type, size_min, size_max, links, public, description, endpoint_params).
    pub fn endpoint_action(&self, spec: &Json) -> Action {
        self.action_from(panoramix_core::negotiation::endpoint_create(spec))
    }

    /// The action moving an endpoint to `status` with these message hashes.
    pub fn transition_action(
        &self,
        endpoint_id: &str,
        on_last_consensus_id: &str,
        status: &str,
        hashes: &[String],
        proof: Option<Json>,
    ) -> Action {
        self.action_from(panoramix_core::negotiation::endpoint_transition(
            endpoint_id,
            on_last_consensus_id,
            status,
            hashes,
            proof,
        ))
    }

    /// An action from its spec, with fresh `info`.
    fn action_from(&self, a: panoramix_core::negotiation::ActionSpec) -> Action {
        self.action(a.method, &a.path, a.resource, a.operation, a.data, a.extra)
    }

    /// An endpoint's details.
    pub fn endpoint(&self, id: &str) -> Result<Endpoint, ClientError> {
        self.get_data(&format!("/panoramix/endpoints/{id}/"))
    }

    // ------------------------------------------------------------ messages

    /// Post a message.
    pub fn post_message(
        &self,
        endpoint_id: &str,
        box_name: &str,
        sender: &str,
        recipient: &str,
        text: &str,
        serial: Option<i64>,
    ) -> Result<Message, ClientError> {
        let mut data = json!({"endpoint_id": endpoint_id, "box": box_name, "sender": sender, "recipient": recipient, "text": text});
        if let Some(s) = serial {
            data["serial"] = json!(s);
        }
        let path = "/panoramix/messages/";
        Self::data_of(path, self.call("POST", path, "message", "create", data)?)
    }

    /// Post many messages to one box in as few requests as the limits allow (each
    /// request is one transaction: all its messages are stored or none). Items are
    /// `(sender, recipient, text, serial)`. Returns the stored messages.
    pub fn post_messages(
        &self,
        endpoint_id: &str,
        box_name: &str,
        items: &[(String, String, String, Option<i64>)],
    ) -> Result<Vec<Message>, ClientError> {
        let mut out = Vec::with_capacity(items.len());
        for msgs in panoramix_core::wire::message_batches(items) {
            let data = json!({"endpoint_id": endpoint_id, "box": box_name, "messages": msgs});
            let path = "/panoramix/messages/";
            let r = self.call("POST", path, "message", "create", data)?;
            out.extend(Self::data_of::<Vec<Message>>(path, r)?);
        }
        Ok(out)
    }

    /// Every message of a box: in one box transfer ([`Client::download_box`]),
    /// or page by page from a controller without the box route.
    pub fn messages(&self, endpoint_id: &str, box_name: &str) -> Result<Vec<Message>, ClientError> {
        match self.download_box(endpoint_id, box_name) {
            Err(ClientError::Api {
                status: 404 | 405, ..
            }) => self.get_all(&format!(
                "/panoramix/messages/?endpoint_id={endpoint_id}&box={box_name}&limit=1000"
            )),
            r => r,
        }
    }

    /// One page of a listing (`path` with its query).
    pub fn get_page<T: DeserializeOwned>(&self, path: &str) -> Result<Page<T>, ClientError> {
        Self::parse(path, self.get(path)?)
    }

    /// Every item of a paged listing (`path` with its query, without
    /// `after`): pages end at `limit` items or the controller's byte budget,
    /// `next` continues them.
    pub fn get_all<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, ClientError> {
        let mut out = Vec::new();
        let mut page_path = path.to_owned();
        loop {
            let page: Page<T> = self.get_page(&page_path)?;
            out.extend(page.data);
            match page.next {
                Some(n) => page_path = format!("{path}&after={}", pct(&n.to_string())),
                None => return Ok(out),
            }
        }
    }

    // ------------------------------------------------------------ audit

    /// The change feed (docs/protocol.md §5.10): the audit log's last entry
    /// number, answered once it is above `after` or `wait_ms` milliseconds
    /// have passed (at most [`panoramix_core::changes::MAX_WAIT_MS`]; a host
    /// that cannot wait answers at once).
    pub fn changes(
        &self,
        after: i64,
        wait_ms: u64,
    ) -> Result<panoramix_core::changes::Changes, ClientError> {
        let wait = wait_ms.min(panoramix_core::changes::MAX_WAIT_MS);
        let v = self.get(&format!(
            "{}?after={after}&wait={wait}",
            panoramix_core::changes::PATH
        ))?;
        serde_json::from_value(v["data"].clone()).map_err(|e| ClientError::Decode {
            path: panoramix_core::changes::PATH.into(),
            source: e,
        })
    }

    /// The whole audit log and the controller-signed head.
    pub fn audit_log(
        &self,
    ) -> Result<
        (
            Vec<panoramix_core::audit::Record>,
            panoramix_core::audit::Head,
        ),
        ClientError,
    > {
        audit_log(&self.agent, &self.base)
    }
}

fn builder() -> ureq::AgentBuilder {
    ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
}

/// Percent-encode a query value (everything but unreserved characters).
pub fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A plain agent for unsigned reads. `https://` certificates are verified against
/// the Web PKI roots (plus `PANORAMIX_CA_FILE`, if set and readable).
pub fn agent() -> ureq::Agent {
    if let Some(p) = std::env::var_os("PANORAMIX_CA_FILE")
        && let Ok(a) = agent_trusting(std::path::Path::new(&p))
    {
        return a;
    }
    builder().build()
}

/// An agent that also trusts the CA certificates (PEM) in `ca_file`.
pub fn agent_trusting(ca_file: &std::path::Path) -> Result<ureq::Agent, ClientError> {
    Ok(builder().tls_config(tls_config(Some(ca_file))?).build())
}

/// The rustls client configuration: Web PKI roots, plus the CA certificates in
/// `ca_file` if given.
pub fn tls_config(
    ca_file: Option<&std::path::Path>,
) -> Result<std::sync::Arc<rustls::ClientConfig>, ClientError> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let bad = |e: Box<dyn std::error::Error + Send + Sync>| ClientError::CaFile {
            file: path.to_owned(),
            source: e,
        };
        let mut n = 0;
        for cert in
            rustls_pki_types::CertificateDer::pem_file_iter(path).map_err(|e| bad(Box::new(e)))?
        {
            let cert = cert.map_err(|e| bad(Box::new(e)))?;
            roots.add(cert).map_err(|e| bad(Box::new(e)))?;
            n += 1;
        }
        if n == 0 {
            return Err(ClientError::NoCertificate {
                file: path.to_owned(),
            });
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(ClientError::Tls)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(std::sync::Arc::new(cfg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_and_honours_retry_after() {
        let p = RetryPolicy::default();
        let ms = |d: Duration| d.as_millis() as u64;
        for r in [0u64, 1, 0xdead_beef_1234_5678, u64::MAX] {
            for attempt in 0..40 {
                let exp = (250u64 << attempt.min(20)).min(8000);
                let d = ms(p.delay(attempt, None, r));
                assert!(d >= exp / 2 && d <= exp + 250, "{attempt}: {d}");
                // a server's Retry-After is a floor
                let d = ms(p.delay(attempt, Some(Duration::from_secs(30)), r));
                assert!((30_000..=30_250).contains(&d), "{attempt}: {d}");
            }
        }
        // the jitter spreads clients refused together
        let spread: std::collections::BTreeSet<u64> = (0..64u64)
            .map(|i| {
                ms(p.delay(
                    3,
                    Some(Duration::from_secs(1)),
                    i.wrapping_mul(0x9e37_79b9_7f4a_7c15),
                ))
            })
            .collect();
        assert!(spread.len() > 16, "{spread:?}");
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(RetryPolicy::none().max_retries, 0);
    }

    #[test]
    fn an_answer_that_does_not_parse_names_its_path_and_keeps_the_serde_error() {
        use std::error::Error as _;
        let e = Client::data_of::<Endpoint>(
            "/panoramix/endpoints/e/",
            json!({"data": {"endpoint_id": "e"}}),
        )
        .unwrap_err();
        assert!(
            matches!(&e, ClientError::Decode { path, .. } if path == "/panoramix/endpoints/e/")
        );
        assert!(e.to_string().contains("/panoramix/endpoints/e/"), "{e}");
        let src = e.source().expect("the serde error is the source");
        assert!(src.is::<serde_json::Error>());
        assert!(src.to_string().contains("missing field"), "{src}");
        // a single resource must come as {"data": ...}
        let e = Client::data_of::<Message>("/m", json!({"id": 1})).unwrap_err();
        assert!(e.source().unwrap().to_string().contains("data"), "{e:?}");
        // a page continues after a row id or a key
        let p: Page<Json> = Client::parse("/x", json!({"data": [], "next": "k-1"})).unwrap();
        assert_eq!(p.next.map(|c| c.to_string()), Some("k-1".into()));
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(pct("joint:m 1/x&y=z"), "joint%3Am%201%2Fx%26y%3Dz");
        assert_eq!(pct("a-b_c.d~e09"), "a-b_c.d~e09");
    }
}
