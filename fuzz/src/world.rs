//! One fuzz input's world: a fresh in-memory store, a fixed controller, four fixed
//! signing keys, what the harness has learned from the answers so far (negotiation
//! and consensus ids, peers, endpoints, message texts), and [`World::send`], which
//! runs one request and checks the invariants on its answer.

use crate::store::MemStore;
use crate::tally;
use panoramix_controller::{ApiRequest, ApiResponse, Config, Controller, Host};
use panoramix_core::canonical::Value;
use panoramix_core::envelope;
use panoramix_core::{Keypair, time::Micros};
use serde_json::{Map, Value as Json, json};
use std::cell::Cell;
use std::sync::OnceLock;

/// The fixed clock every input starts at (2023-11-14T22:13:20Z).
pub const EPOCH_MICROS: i64 = 1_700_000_000_000_000;

thread_local! {
    static NOW: Cell<i64> = const { Cell::new(EPOCH_MICROS) };
    static RNG: Cell<u64> = const { Cell::new(0) };
}

/// The host: a clock the harness moves and a deterministic generator, both reset
/// for every input so that an input replays exactly.
pub struct FuzzHost;

impl Host for FuzzHost {
    fn now(&self) -> Micros {
        Micros(NOW.with(Cell::get))
    }
    fn fill_random(&self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let x = RNG.with(|r| {
                let v = r.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
                r.set(v);
                let mut z = v;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                z ^ (z >> 31)
            });
            chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
        }
    }
}

/// Move the clock forward.
pub fn advance(micros: i64) {
    NOW.with(|n| n.set(n.get().saturating_add(micros)));
}

/// Now, in Unix seconds.
pub fn now_secs() -> i64 {
    NOW.with(Cell::get).div_euclid(1_000_000)
}

/// Print every request and answer to stderr (`PANORAMIX_FUZZ_TRACE=1`), to read
/// what a reproducer does.
pub fn trace() -> bool {
    static T: OnceLock<bool> = OnceLock::new();
    *T.get_or_init(|| std::env::var_os("PANORAMIX_FUZZ_TRACE").is_some())
}

/// The signing keys of the test parties. Key 3 is the controller's configured role
/// authority.
pub const KEYS: usize = 4;

/// The controller and the parties' keys, built once.
pub struct Fixed {
    /// The controller (its key is fixed; its host reads the per-input clock).
    pub controller: Controller<FuzzHost>,
    /// The parties.
    pub keys: Vec<Keypair>,
    /// Their key ids.
    pub ids: Vec<String>,
}

/// The fixed part of every input.
pub fn fixed() -> &'static Fixed {
    static F: OnceLock<Fixed> = OnceLock::new();
    F.get_or_init(|| {
        let keys: Vec<Keypair> = (0..KEYS)
            .map(|i| Keypair::from_secret(&[0x10 + i as u8; 32]))
            .collect();
        let ids: Vec<String> = keys.iter().map(Keypair::key_id).collect();
        let config = Config {
            authorities: vec![ids[3].clone()],
            ..Config::default()
        };
        let controller = Controller::new(Keypair::from_secret(&[0xc0; 32]), config, FuzzHost);
        Fixed {
            controller,
            keys,
            ids,
        }
    })
}

/// A request prepared for a negotiation: the agreed body is canonical({data, info}).
#[derive(Clone, Debug)]
pub struct Action {
    /// HTTP method.
    pub method: &'static str,
    /// Path.
    pub path: String,
    /// `data`.
    pub data: Json,
    /// `info` (nonce and ts fixed when the action was prepared).
    pub info: Json,
}

impl Action {
    /// The canonical `{data, info}` a consensus agrees on.
    pub fn body(&self) -> Value {
        envelope::data_info_value(&self.data, &self.info).unwrap_or(Value::Null)
    }
}

/// A registered peer and the keys that act for it.
#[derive(Clone, Debug)]
pub struct PeerRec {
    /// Its id.
    pub id: String,
    /// Indices into the parties' keys of its controllers (itself, or its owners).
    pub controllers: Vec<usize>,
}

/// A signed write that was accepted: replaying it must never be accepted again.
pub struct Accepted {
    method: &'static str,
    path: String,
    body: Vec<u8>,
}

/// Everything one input has set up and learned.
pub struct World {
    /// The store.
    pub store: MemStore,
    /// Negotiation ids seen.
    pub negotiations: Vec<String>,
    /// Consensus ids seen.
    pub consensuses: Vec<String>,
    /// Registered peers (individual and joint).
    pub peers: Vec<PeerRec>,
    /// Created endpoints and the index of their peer.
    pub endpoints: Vec<(String, usize)>,
    /// Linked endpoints: (endpoint, the source endpoint its link reads from).
    pub links: Vec<(String, String)>,
    /// Message texts posted so far.
    pub texts: Vec<String>,
    /// Keys that are role authorities (configured or assigned).
    pub authorities: Vec<usize>,
    /// Accepted signed writes.
    accepted: Vec<Accepted>,
    /// Audit entries the accepted requests must have appended.
    pub expected_audit: usize,
    nonce: u64,
}

impl World {
    /// A fresh world: empty store, clock and generator reset.
    pub fn new() -> World {
        NOW.with(|n| n.set(EPOCH_MICROS));
        RNG.with(|r| r.set(0));
        let mut store = MemStore::new();
        fixed()
            .controller
            .migrate(&mut store)
            .expect("schema on a fresh in-memory store");
        World {
            store,
            negotiations: Vec::new(),
            consensuses: Vec::new(),
            peers: Vec::new(),
            endpoints: Vec::new(),
            links: Vec::new(),
            texts: Vec::new(),
            authorities: vec![3],
            accepted: Vec::new(),
            expected_audit: 0,
            nonce: 0,
        }
    }

    /// Ids the fuzzed values may reuse.
    pub fn known_ids(&self) -> Vec<String> {
        let f = fixed();
        let mut v: Vec<String> = f.ids.clone();
        v.push(f.controller.id());
        v.extend(self.negotiations.iter().cloned());
        v.extend(self.consensuses.iter().cloned());
        v.extend(self.peers.iter().map(|p| p.id.clone()));
        v.extend(self.endpoints.iter().map(|e| e.0.clone()));
        v.extend(self.texts.iter().take(4).cloned());
        v
    }

    /// A fresh valid nonce (32 lowercase hex).
    pub fn nonce(&mut self) -> String {
        self.nonce += 1;
        format!("{:032x}", self.nonce.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    /// `info` for a request: resource, operation, controller, a fresh nonce, ts now.
    pub fn info(&mut self, resource: &str, operation: &str, extra: Map<String, Json>) -> Json {
        let mut info = extra;
        info.insert("resource".into(), json!(resource));
        info.insert("operation".into(), json!(operation));
        info.insert("nonce".into(), json!(self.nonce()));
        info.insert("ts".into(), json!(now_secs()));
        info.insert("controller".into(), json!(fixed().controller.id()));
        Json::Object(info)
    }

    /// Sign `{data, info, by_consensus?}` with party `key`; `None` if the values
    /// cannot be signed at all (floats: the canonical encoding has none).
    pub fn sign(
        &self,
        key: usize,
        data: Json,
        info: Json,
        by_consensus: Option<Json>,
    ) -> Option<Vec<u8>> {
        envelope::sign(&fixed().keys[key % KEYS], data, info, by_consensus)
            .ok()
            .map(|e| e.to_string().into_bytes())
    }

    /// Sign and send.
    pub fn send_signed(
        &mut self,
        key: usize,
        method: &'static str,
        path: &str,
        data: Json,
        info: Json,
        by_consensus: Option<Json>,
    ) -> Option<ApiResponse> {
        let body = self.sign(key, data, info, by_consensus)?;
        Some(self.send(method, path, "", body))
    }

    /// Replay an accepted signed write: it must be refused.
    pub fn replay(&mut self, i: usize) {
        if self.accepted.is_empty() {
            return;
        }
        let a = &self.accepted[i % self.accepted.len()];
        let (method, path, body) = (a.method, a.path.clone(), a.body.clone());
        let r = self.send(method, &path, "", body);
        assert!(
            r.status >= 400,
            "a replayed request was accepted again: {method} {path} -> {} {}",
            r.status,
            r.body
        );
    }

    /// Run one request through the controller and check the invariants:
    /// no 5xx unless the store itself failed; a refused request commits nothing and
    /// leaves every table as it was; an accepted write commits; a read never writes.
    pub fn send(
        &mut self,
        method: &'static str,
        path: &str,
        query: &str,
        body: Vec<u8>,
    ) -> ApiResponse {
        let c = &fixed().controller;
        let write = method != "GET";
        let before = self.store.digest();
        self.store.reset_flags();
        let req = ApiRequest {
            method: method.into(),
            path: path.into(),
            query: query.into(),
            body,
        };
        let out = c.handle_outcome(&mut self.store, &req);
        let r = out.response;
        tally::record(method, path, r.status);
        if trace() {
            eprintln!(
                "{method} {path}?{query} -> {} {}\n    body: {}",
                r.status,
                r.body,
                String::from_utf8_lossy(&req.body)
            );
        }
        assert!(
            r.status < 500 || self.store.infra_failed,
            "{method} {path}?{query} -> {} {} ({:?})\nbody: {}",
            r.status,
            r.body,
            out.error,
            String::from_utf8_lossy(&req.body)
        );
        assert!(
            !self.store.read_wrote,
            "{method} {path}: a read transaction changed rows"
        );
        if r.status >= 300 {
            assert!(
                !self.store.committed,
                "{method} {path} -> {} but the store committed: {}",
                r.status, r.body
            );
            assert_eq!(
                before,
                self.store.digest(),
                "{method} {path} -> {} changed the store: {}",
                r.status,
                r.body
            );
            assert!(out.events.is_empty(), "a refused request reported events");
        } else if write && r.status < 300 {
            assert!(
                self.store.committed,
                "{method} {path} -> {} without committing",
                r.status
            );
            self.expected_audit += 1;
            if r.body["data"]["consensus"].is_string() {
                self.expected_audit += 1;
            }
            if self.accepted.len() < 64 {
                self.accepted.push(Accepted {
                    method,
                    path: path.to_owned(),
                    body: req.body,
                });
            }
        } else {
            assert_eq!(
                before,
                self.store.digest(),
                "{method} {path}: a read changed the store"
            );
        }
        self.learn(&r);
        r
    }

    /// Remember ids from an answer.
    fn learn(&mut self, r: &ApiResponse) {
        if r.status >= 300 {
            return;
        }
        let d = &r.body["data"];
        if let Some(c) = d["consensus"].as_str()
            && !self.consensuses.iter().any(|x| x == c)
        {
            self.consensuses.push(c.to_owned());
        }
        if d["title"].is_string()
            && let Some(id) = d["id"].as_str()
            && !self.negotiations.iter().any(|x| x == id)
        {
            self.negotiations.push(id.to_owned());
        }
    }

    /// The whole audit log, read through the API, must verify, its signed head
    /// must verify, and it must hold exactly one entry per accepted change.
    pub fn check_audit(&mut self) {
        let mut records = Vec::new();
        let mut after = 0i64;
        let head = loop {
            let r = self.send(
                "GET",
                "/panoramix/audit/",
                &format!("after={after}&limit=1000"),
                Vec::new(),
            );
            assert_eq!(r.status, 200, "audit read: {}", r.body);
            let page: Vec<panoramix_controller::audit::Record> =
                serde_json::from_value(r.body["data"].clone()).expect("audit records");
            records.extend(page);
            match r.body["next"].as_i64() {
                Some(n) => after = n,
                None => break r.body["head"].clone(),
            }
        };
        let summary = panoramix_controller::audit::verify_log(&records)
            .unwrap_or_else(|b| panic!("the audit log does not verify: {b}"));
        assert!(
            panoramix_controller::verify_head(&head),
            "bad audit head {head}"
        );
        assert_eq!(
            summary.entries, self.expected_audit,
            "audit entries vs accepted changes"
        );
    }
}

impl Default for World {
    fn default() -> Self {
        World::new()
    }
}
