//! The controller's answers, as JSON, for one deterministic scenario that touches
//! every resource (peers, a joint peer, roles, negotiations, contributions,
//! endpoints and a link, messages in every box, the audit log, errors), compared
//! with `wire_compat.json`: what the controller answered before its responses were
//! built from the typed structs of `panoramix_core::wire` (recorded by the
//! `json!`-built handlers of commit 10ae696, with
//! `PANORAMIX_WRITE_WIRE=1 cargo test -p panoramix-controller --test wire_compat`).
//! Field names, values and nulls must stay the same (key order is irrelevant).
//! Every answer must also read back into its wire type.

use panoramix_controller::store::{Row, SqlValue, Store, StoreError, Tx};
use panoramix_controller::{ApiRequest, Config, Controller, Host};
use panoramix_core::canonical::Value;
use panoramix_core::envelope;
use panoramix_core::identity::{self, Keypair};
use panoramix_core::negotiation::{Text, sign_contribution};
use panoramix_core::time::Micros;
use panoramix_core::wire;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, params_from_iter};
use serde::Deserialize;
use serde_json::{Value as Json, json};
use std::cell::Cell;
use std::collections::BTreeMap;

const T0: i64 = 1_790_000_000_000_000;

struct FixedHost {
    now: Cell<i64>,
    rng: Cell<u64>,
}

impl Host for FixedHost {
    fn now(&self) -> Micros {
        Micros(self.now.get())
    }
    fn fill_random(&self, buf: &mut [u8]) {
        for b in buf {
            let v = self.rng.get().wrapping_mul(6_364_136_223_846_793_005) + 1;
            self.rng.set(v);
            *b = (v >> 33) as u8;
        }
    }
}

struct MemTx<'a>(&'a Connection);

fn err(e: rusqlite::Error) -> StoreError {
    let constraint = matches!(&e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation);
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

impl Tx for MemTx<'_> {
    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<usize, StoreError> {
        self.0
            .execute(sql, params_from_iter(params.iter().map(to_sql)))
            .map_err(err)
    }

    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let mut st = self.0.prepare(sql).map_err(err)?;
        let n = st.column_count();
        let mut rows = st
            .query(params_from_iter(params.iter().map(to_sql)))
            .map_err(err)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(err)? {
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                row.push(match r.get_ref(i).map_err(err)? {
                    ValueRef::Null => SqlValue::Null,
                    ValueRef::Integer(i) => SqlValue::Int(i),
                    ValueRef::Text(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
                    other => panic!("unexpected value {other:?}"),
                });
            }
            out.push(row);
        }
        Ok(out)
    }
}

struct Mem(Connection);

impl Store for Mem {
    fn write<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        self.0.execute_batch("SAVEPOINT w").map_err(err)?;
        let r = f(&mut MemTx(&self.0));
        let end = if r.is_ok() {
            "RELEASE w"
        } else {
            "ROLLBACK TO w; RELEASE w"
        };
        self.0.execute_batch(end).map_err(err)?;
        r
    }
}

struct Scenario {
    c: Controller<FixedHost>,
    store: Mem,
    keys: Vec<Keypair>,
    nonce: u64,
    /// (label, status, body) of every answer, in order.
    seen: Vec<Json>,
}

impl Scenario {
    fn new() -> Scenario {
        let keys: Vec<Keypair> = (1..=3u8).map(|i| Keypair::from_secret(&[i; 32])).collect();
        let config = Config {
            authorities: vec![keys[0].key_id()],
            ..Config::default()
        };
        let host = FixedHost {
            now: Cell::new(T0),
            rng: Cell::new(7),
        };
        let c = Controller::new(Keypair::from_secret(&[9; 32]), config, host);
        let mut store = Mem(Connection::open_in_memory().unwrap());
        c.migrate(&mut store).unwrap();
        Scenario {
            c,
            store,
            keys,
            nonce: 0,
            seen: Vec::new(),
        }
    }

    fn id(&self, k: usize) -> String {
        self.keys[k].key_id()
    }

    fn call(&mut self, label: &str, method: &str, path: &str, query: &str, body: &[u8]) -> Json {
        self.c.host.now.set(self.c.host.now.get() + 1_000_000);
        let r = self.c.handle(
            &mut self.store,
            &ApiRequest {
                method: method.into(),
                path: path.into(),
                query: query.into(),
                body: body.to_vec(),
            },
        );
        self.seen
            .push(json!({"label": label, "status": r.status, "body": r.body}));
        r.body
    }

    fn get(&mut self, label: &str, path: &str, query: &str) -> Json {
        self.call(label, "GET", path, query, b"")
    }

    fn info(&mut self, resource: &str, operation: &str) -> Json {
        self.nonce += 1;
        json!({
            "resource": resource, "operation": operation,
            "nonce": format!("{:032x}", self.nonce), "ts": (self.c.host.now.get() / 1_000_000) + 1,
            "controller": self.c.id(),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn signed(
        &mut self,
        label: &str,
        k: usize,
        method: &str,
        path: &str,
        data: Json,
        info: Json,
        bc: Option<Json>,
    ) -> Json {
        let env = envelope::sign(&self.keys[k], data, info, bc).unwrap();
        self.call(label, method, path, "", env.to_string().as_bytes())
    }

    /// Negotiate `{data, info}` among `signers`, then apply it as `signers[0]`.
    fn agree_and_apply(
        &mut self,
        label: &str,
        signers: &[usize],
        method: &str,
        path: &str,
        data: Json,
        info: Json,
    ) -> Json {
        let ids: Vec<String> = signers.iter().map(|&k| self.id(k)).collect();
        let ninfo = self.info("negotiation", "create");
        let neg = self.signed(
            &format!("{label}: negotiation"),
            signers[0],
            "POST",
            "/panoramix/negotiations/",
            json!({"title": label, "participants": ids}),
            ninfo,
            None,
        );
        let neg_id = neg["data"]["id"].as_str().unwrap().to_owned();
        let body = envelope::data_info_value(&data, &info).unwrap();
        let mut meta = BTreeMap::new();
        meta.insert("accept".to_owned(), Value::Int(1));
        let text = Text::encode(body, meta);
        let mut cid = None;
        for &k in signers {
            let signature = sign_contribution(&self.keys[k], &neg_id, &text);
            let cinfo = self.info("contribution", "create");
            let r = self.signed(
                &format!("{label}: contribution"),
                k,
                "POST",
                "/panoramix/contributions/",
                json!({"negotiation_id": neg_id, "text": text, "signature": signature}),
                cinfo,
                None,
            );
            cid = r["data"]["consensus"].as_str().map(str::to_owned);
        }
        let bc = json!({"consensus_id": cid.unwrap(), "consensus_type": "structural"});
        self.signed(label, signers[0], method, path, data, info, Some(bc))
    }

    fn register(&mut self, k: usize, name: &str, params: Option<Json>) -> Json {
        let mut data = json!({
            "peer_id": self.id(k), "name": name, "key_data": self.keys[k].key_data(),
            "crypto_backend": "SPHINXMIX", "status": "READY", "role": "mixer",
        });
        if let Some(p) = params {
            data["crypto_params"] = p;
        }
        let info = self.info("peer", "create");
        self.agree_and_apply(
            &format!("peer {name}"),
            &[k],
            "POST",
            "/panoramix/peers/",
            data,
            info,
        )
    }

    fn endpoint(&mut self, k: usize, id: &str, peer: &str, links: Json) -> Json {
        let data = json!({
            "endpoint_id": id, "peer_id": peer, "endpoint_type": "SPHINXMIX",
            "description": "an endpoint", "public": true, "size_min": 1, "size_max": 3,
            "endpoint_params": {"BODY_LEN": 1024}, "links": links, "status": "OPEN",
        });
        let info = self.info("endpoint", "create");
        self.agree_and_apply(
            &format!("endpoint {id}"),
            &[k],
            "POST",
            "/panoramix/endpoints/",
            data,
            info,
        )
    }

    fn post(&mut self, label: &str, k: usize, data: Json) -> Json {
        let info = self.info("message", "create");
        self.signed(label, k, "POST", "/panoramix/messages/", data, info, None)
    }

    fn transition(
        &mut self,
        k: usize,
        ep: &str,
        status: &str,
        hashes: Vec<String>,
        proof: Option<Json>,
    ) -> Json {
        let last = self.get(
            "endpoint before transition",
            &format!("/panoramix/endpoints/{ep}/"),
            "",
        )["data"]["last_consensus_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut data = json!({"endpoint_id": ep, "status": status, "message_hashes": hashes});
        if let Some(p) = proof {
            data["process_proof"] = p;
        }
        let mut info = self.info("endpoint", "partial_update");
        info["id"] = json!(ep);
        info["on_last_consensus_id"] = json!(last);
        self.agree_and_apply(
            &format!("endpoint {ep} {status}"),
            &[k],
            "PATCH",
            &format!("/panoramix/endpoints/{ep}/"),
            data,
            info,
        )
    }
}

fn hashes(answer: &Json) -> Vec<String> {
    let items = match &answer["data"] {
        Json::Array(a) => a.clone(),
        one => vec![one.clone()],
    };
    items
        .iter()
        .map(|m| m["message_hash"].as_str().unwrap().to_owned())
        .collect()
}

fn run() -> Vec<Json> {
    let mut s = Scenario::new();
    let (a, b) = (s.id(0), s.id(1));
    s.get("controller", "/panoramix/controller/", "");
    s.register(0, "alice", Some(json!({"keys": ["x", 1]})));
    s.register(1, "bob", None);
    // a joint peer of alice and bob
    let owners = vec![a.clone(), b.clone()];
    let jkd = identity::joint_key_data("duo", &owners);
    let jid = identity::joint_peer_id(&jkd).unwrap();
    let data = json!({
        "peer_id": jid, "name": "duo", "key_data": jkd, "crypto_backend": "SPHINXMIX",
        "crypto_params": {"mixnet": true}, "owners": owners, "status": "READY",
    });
    let info = s.info("peer", "create");
    s.agree_and_apply(
        "joint peer",
        &[0, 1],
        "POST",
        "/panoramix/peers/",
        data,
        info,
    );
    // a role assigned by the authority (alice)
    let info = s.info("role", "update");
    s.agree_and_apply(
        "role",
        &[0],
        "POST",
        "/panoramix/roles/",
        json!({"peer_id": b, "role": "gateway", "action": "assign"}),
        info,
    );
    s.endpoint(0, "m-1-gw", &a, json!([]));
    s.endpoint(
        1,
        "m-1-mix0",
        &b,
        json!([{"from_endpoint_id": "m-1-gw", "from_box": "OUTBOX", "to_box": "INBOX"}]),
    );
    let one = s.post(
        "one message",
        1,
        json!({"endpoint_id": "m-1-gw", "box": "INBOX", "sender": "s", "recipient": "r", "text": "t0"}),
    );
    let two = s.post(
        "a batch",
        1,
        json!({"endpoint_id": "m-1-gw", "box": "INBOX", "messages": [
            {"sender": "s", "recipient": "r", "text": "t1"},
            {"text": "t2"}
        ]}),
    );
    s.post(
        "inbox full",
        1,
        json!({"endpoint_id": "m-1-gw", "box": "INBOX", "text": "t3"}),
    );
    let mut inbox = hashes(&one);
    inbox.extend(hashes(&two));
    s.transition(0, "m-1-gw", "CLOSED", inbox, None);
    let out = s.post(
        "processbox",
        0,
        json!({"endpoint_id": "m-1-gw", "box": "PROCESSBOX", "messages": [
            {"serial": 0, "sender": "s", "recipient": "r", "text": "u0"},
            {"serial": 1, "text": "u1"},
            {"serial": 2, "text": "u2"}
        ]}),
    );
    s.transition(
        0,
        "m-1-gw",
        "PROCESSED",
        hashes(&out),
        Some(json!({"proof": [1, 2]})),
    );
    s.post(
        "taken over",
        1,
        json!({"endpoint_id": "m-1-mix0", "box": "INBOX", "text": "u1"}),
    );
    // every listing and item, with pages
    s.get("negotiations", "/panoramix/negotiations/", "limit=2");
    let negs = s.get("all negotiations", "/panoramix/negotiations/", "");
    let n0 = negs["data"][0]["id"].as_str().unwrap().to_owned();
    let c0 = negs["data"][0]["consensus"].as_str().unwrap().to_owned();
    s.get("negotiation", &format!("/panoramix/negotiations/{n0}/"), "");
    s.get(
        "by consensus",
        "/panoramix/negotiations/",
        &format!("consensus={c0}"),
    );
    s.get("by title", "/panoramix/negotiations/", "title=joint%20peer");
    s.get(
        "contributions",
        "/panoramix/contributions/",
        &format!("negotiation={n0}&limit=1"),
    );
    s.get("peers", "/panoramix/peers/", "limit=2");
    s.get("all peers", "/panoramix/peers/", "");
    s.get("peer", &format!("/panoramix/peers/{jid}/"), "");
    s.get("roles", "/panoramix/roles/", "");
    s.get("roles of bob", "/panoramix/roles/", &format!("peer_id={b}"));
    s.get("endpoints", "/panoramix/endpoints/", "limit=1");
    s.get(
        "endpoints of bob",
        "/panoramix/endpoints/",
        &format!("peer_id={b}"),
    );
    s.get("processed", "/panoramix/endpoints/", "status=PROCESSED");
    for bx in ["INBOX", "ACCEPTED", "PROCESSBOX", "OUTBOX"] {
        s.get(
            bx,
            "/panoramix/messages/",
            &format!("endpoint_id=m-1-gw&box={bx}&limit=2"),
        );
    }
    s.get(
        "linked inbox",
        "/panoramix/messages/",
        "endpoint_id=m-1-mix0",
    );
    s.get("audit", "/panoramix/audit/", "limit=3");
    s.get("audit rest", "/panoramix/audit/", "after=3");
    s.get("no peer", "/panoramix/peers/nope/", "");
    s.get("bad limit", "/panoramix/peers/", "limit=x");
    s.seen
}

/// Every item of a listing or answer reads back into its wire type.
fn read_back(label: &str, body: &Json) {
    fn all<T: serde::de::DeserializeOwned>(body: &Json) -> Result<(), serde_json::Error> {
        match &body["data"] {
            Json::Array(items) => items.iter().try_for_each(|i| T::deserialize(i).map(drop)),
            one => T::deserialize(one).map(drop),
        }
    }
    if body.get("error").is_some() {
        return;
    }
    let r = if label == "controller" {
        all::<wire::ControllerInfo>(body)
    } else if label.ends_with(": contribution") {
        all::<wire::Contributed>(body).and_then(|()| all::<wire::ContributeResult>(body))
    } else if label.ends_with(": negotiation")
        || label.starts_with("negotiation")
        || label.contains("negotiations")
        || label.starts_with("by ")
    {
        all::<wire::Negotiation>(body)
    } else if label.starts_with("peer") || label.contains("peers") || label == "joint peer" {
        all::<wire::Peer>(body)
    } else if label.starts_with("role") {
        all::<wire::Role>(body)
    } else if label.starts_with("endpoint") || label == "processed" {
        all::<wire::Endpoint>(body)
    } else if label == "contributions" {
        all::<wire::Contribution>(body)
    } else if label.starts_with("audit") {
        all::<panoramix_core::audit::Record>(body)
    } else {
        all::<wire::Message>(body)
    };
    if let Err(e) = r {
        panic!("{label}: {e}\n{body:#}");
    }
    if body.get("next").is_some() {
        wire::Page::<Json>::deserialize(body).unwrap_or_else(|e| panic!("{label}: {e}"));
    }
}

#[test]
fn the_answers_are_those_of_the_json_built_controller() {
    let seen = run();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/wire_compat.json");
    if std::env::var_os("PANORAMIX_WRITE_WIRE").is_some() {
        std::fs::write(path, serde_json::to_string_pretty(&seen).unwrap()).unwrap();
        return;
    }
    let want: Vec<Json> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(seen.len(), want.len(), "the scenario made as many requests");
    for (got, want) in seen.iter().zip(&want) {
        assert_eq!(got, want, "answer differs from the recorded one");
    }
    // the scenario did what it means to: every step but the two refusals, the
    // full inbox and the unknown peer succeeded
    let failed: Vec<&str> = seen
        .iter()
        .filter(|a| a["status"].as_u64().unwrap_or(0) >= 400)
        .map(|a| a["label"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(failed, ["inbox full", "no peer", "bad limit"]);
    for a in &seen {
        read_back(a["label"].as_str().unwrap(), &a["body"]);
    }
}
