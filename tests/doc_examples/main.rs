//! Known-answer tests over the documentation's own text: every byte-level example
//! in docs/protocol.md and docs/api.md is recomputed with the real code and
//! compared byte for byte, so that the next drift between the docs and the code
//! fails here (issue 12: protocol.md's example for 2^64 − 1 had lost its type tag).
//!
//! # The marker convention
//!
//! An example is the fenced block or the table that follows a line
//!
//! ```text
//! <!-- kat: KIND ARGS -->
//! ```
//!
//! (blank lines between are allowed). Blocks of `name: value` lines hold C-style
//! strings (`\n` is a newline). The kinds:
//!
//! | kind | what is checked |
//! |---|---|
//! | `canonical` | a table: each `` `JSON` `` of the first column encodes to the second column's bytes, which decode strictly back |
//! | `canonical-hex JSON` | a hex dump of the canonical bytes of `JSON` |
//! | `key` | `secret` (64 hex) → `key_data` → `key_id` (any two of them) |
//! | `signature` | `secret`, `label`, one of `message` / `message_json` (canonical of) / `message_hex`, `signature` (Ed25519 is deterministic); optional `key_data` |
//! | `sha256` | optional `label` (hashes `label \|\| 0x00 \|\| input`), one of `input` / `input_json` / `input_hex`, `hash` |
//! | `joint-peer` | `name`, optional `owner_seeds`, `owners`, `key_data`, `peer_id` |
//! | `message-hash` | `serial`, `sender`, `recipient`, `text`, `canonical`, `hash` |
//! | `consensus-input seeds=S,.. label=L?` | the JSON record `panoramix consensus-id` reads; each signing verifies and is the deterministic contribution signature (§3.1; label `L`, default `panoramix/v1/contribution-in`) of one of the seeds |
//! | `consensus-record` | the canonical record of the last `consensus-input` (line breaks after each `\n` are for reading) |
//! | `consensus-id` | the id of the last `consensus-input`, also as the real `panoramix consensus-id` prints it |
//! | `request METHOD PATH seed=S` | a signed envelope: it verifies, is signed by seed S, names the route's resource/operation (the routes table); its `data` is accepted by a real server |
//! | `response STATUS` | the answer to the last `request`: a real server gives the same `data` (message hashes recomputed) |
//! | `error STATUS` | an error body: code, status and (for fixed messages) message of an `ApiError` |
//! | `controller-info` | `GET /panoramix/controller/` of a real server: the same keys, the same `limits` |
//! | `config` | the defaults table: each field the controller reports in `limits` has the default a real server reports |
//! | `healthz` | `GET /healthz` of a real server, exactly |
//! | `audit-page seed=S?` | a `GET /panoramix/audit/` answer: the records verify as `panoramix audit verify` checks them (from entry 1), the head's signature verifies and names the last entry; optionally the first entry is signed by seed S |
//! | `box-transfer` | two messages, their hashes, the box hash (§5.8 formula and code), a download and an upload transfer, the upload's `data` |
//! | `takeover` | a source's two messages, the hashes they get in the INBOX (serial none), the box hash and the take-over request's `data` |
//! | `changes` | a change-feed request's query (`after`, `wait` as the server parses them) and the answer for entry `after + 1`, byte for byte |
//! | `routes` | the routes table against the router's table (`panoramix_controller::allowed_methods`) |
//! | `errors` | the error table against every `ApiError` variant |
//!
//! A seed `S` is 64 hex characters, or 2 that are repeated 32 times (`02` is the
//! key with secret `0x02`×32). Outside marked examples, a doc must not hold a run
//! of 32 or more hex digits, a hex dump, or a code span that is a canonical
//! encoding, unless the same text is inside a marked example: so a new example
//! cannot slip in untested.
#[path = "../common/mod.rs"]
mod common;
mod kinds;
mod markdown;

use kinds::{Ctx, check, seed};
use markdown::{Example, Parsed, code_spans, parse, unmarked_findings};
use serde_json::{Value as Json, json};

const DOCS: &[&str] = &["docs/protocol.md", "docs/api.md"];

fn read_doc(doc: &str) -> Parsed {
    // DOC_EXAMPLES_ROOT: check the docs of another checkout (e.g. an older one)
    let root = std::env::var("DOC_EXAMPLES_ROOT")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    let path = std::path::Path::new(&root).join(doc);
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{doc}: {e}"));
    parse(doc, &src).unwrap_or_else(|e| panic!("{e}"))
}

/// Check every example of every doc offline; returns the examples and the failures.
fn check_all() -> (Vec<Example>, Vec<String>) {
    let mut all = Vec::new();
    let mut failures = Vec::new();
    let mut ctx = Ctx::default();
    // api.md's request example names its route from the routes table
    let mut docs: Vec<Parsed> = DOCS.iter().map(|d| read_doc(d)).collect();
    for p in &mut docs {
        p.examples.sort_by_key(|e| (e.kind != "routes", e.line));
    }
    for p in &docs {
        for e in &p.examples {
            if let Err(m) = check(e, &mut ctx) {
                failures.push(format!("{}: {m}", e.at()));
            }
            all.push(e.clone());
        }
    }
    (all, failures)
}

#[test]
fn every_marked_example_in_the_docs_recomputes() {
    if common::not_applicable(
        common::Host::Worker,
        "reads the docs and recomputes them with the code, no host involved (runs in the native suite)",
    ) {
        return;
    }
    let (examples, failures) = check_all();
    assert!(
        failures.is_empty(),
        "examples that do not match the code:\n{}",
        failures.join("\n")
    );
    // the examples this test was written against are all still there
    for kind in [
        "canonical",
        "canonical-hex",
        "key",
        "joint-peer",
        "message-hash",
        "consensus-input",
        "consensus-record",
        "consensus-id",
        "request",
        "response",
        "error",
        "controller-info",
        "healthz",
        "routes",
        "errors",
        "audit-page",
        "signature",
        "config",
    ] {
        assert!(
            examples.iter().any(|e| e.kind == kind),
            "no `{kind}` example left in the docs"
        );
    }
}

#[test]
fn no_byte_example_in_the_docs_is_left_unmarked() {
    if common::not_applicable(
        common::Host::Worker,
        "reads the docs and recomputes them with the code, no host involved (runs in the native suite)",
    ) {
        return;
    }
    let mut found = Vec::new();
    for doc in DOCS {
        for f in unmarked_findings(&read_doc(doc)) {
            found.push(format!("{doc}: {f}"));
        }
    }
    assert!(
        found.is_empty(),
        "byte-level examples outside a `<!-- kat: KIND -->` block (mark them, see tests/doc_examples/main.rs):\n{}",
        found.join("\n")
    );
}

/// The checker itself fails on wrong examples: the bytes protocol.md §1.3 used to
/// give for 2^64 − 1 (without the `0` type tag), a flipped hash, an unmarked key.
#[test]
fn the_checks_catch_drift() {
    if common::not_applicable(
        common::Host::Worker,
        "reads the docs and recomputes them with the code, no host involved (runs in the native suite)",
    ) {
        return;
    }
    let table = "<!-- kat: canonical -->\n| value | bytes |\n|---|---|\n| `18446744073709551615` | `0210ffffffffffffffff` |\n";
    let p = parse("t.md", table).unwrap();
    assert!(check(&p.examples[0], &mut Ctx::default()).is_err());
    let fixed = table.replace("0210ffff", "02100ffff");
    let p = parse("t.md", &fixed).unwrap();
    check(&p.examples[0], &mut Ctx::default()).unwrap();

    let key = "<!-- kat: key -->\n```\nsecret: 9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\nkey_data: d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a\nkey_id: 4c91ecbc2a09d1b1ffdd9843955c2eb1fd347ffa6785e9ab3ceee5d2fc8b961c\n```\n";
    let p = parse("t.md", key).unwrap();
    assert!(check(&p.examples[0], &mut Ctx::default()).is_err());

    let unmarked = "The key id is\n\n```\n4c91ecbc2a09d1b1ffdd9843955c2eb1fd347ffa6785e9ab3ceee5d2fc8b961b\n```\nand `013_abc` encodes \"abc\", `0210ffffffffffffffff` 2^64 - 1.\n";
    let p = parse("t.md", unmarked).unwrap();
    assert_eq!(
        unmarked_findings(&p).len(),
        3,
        "{:?}",
        unmarked_findings(&p)
    );
    // the same value inside a marked example is fine, and so is a reference to it
    let marked = format!(
        "{key}\nIts id `4c91ecbc2a09d1b1ffdd9843955c2eb1fd347ffa6785e9ab3ceee5d2fc8b961c`.\n"
    );
    assert!(unmarked_findings(&parse("t.md", &marked).unwrap()).is_empty());
}

/// The examples that need a running server: `GET /panoramix/controller/` (same keys,
/// same limits), `GET /healthz`, and the request example's `data` posted by its
/// signer to a real server (same answer).
#[test]
fn api_md_examples_match_a_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let srv = common::TestServer::start(dir.path());
    let (examples, _) = check_all();
    let agent = panoramix_client::agent();
    let get = |path: &str| -> Json {
        agent
            .get(&format!("{}{path}", srv.url))
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
            .into_json()
            .unwrap()
    };
    let mut request: Option<&Example> = None;
    let mut checked = 0;
    for e in &examples {
        let doc: Json = match e.kind.as_str() {
            "config" => Json::Null,
            "controller-info" | "healthz" | "request" | "response" => {
                serde_json::from_str(&e.text).unwrap_or_else(|err| panic!("{}: {err}", e.at()))
            }
            _ => continue,
        };
        match e.kind.as_str() {
            "controller-info" => {
                let got = get("/panoramix/controller/");
                let keys = |j: &Json| j.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
                assert_eq!(keys(&doc["data"]), keys(&got["data"]), "{}: fields", e.at());
                assert_eq!(
                    doc["data"]["limits"],
                    got["data"]["limits"],
                    "{}: limits",
                    e.at()
                );
            }
            "healthz" => {
                assert_eq!(doc, get("/healthz"), "{}", e.at());
            }
            "config" => {
                // every default of the table that the controller reports in `limits`
                let limits = get("/panoramix/controller/")["data"]["limits"].clone();
                let mut matched = 0;
                for row in e.text.lines().skip(2) {
                    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
                    let Some(field) = code_spans(cells.get(1).copied().unwrap_or_default())
                        .first()
                        .cloned()
                    else {
                        continue;
                    };
                    let Some(want) = limits.get(&field).and_then(Json::as_i64) else {
                        continue;
                    };
                    // "8 MiB (8 388 608)" or "100 000": the number in parentheses, else the cell
                    let cell = cells.get(2).copied().unwrap_or_default();
                    let num = cell
                        .split_once('(')
                        .map_or(cell, |(_, r)| r.split(')').next().unwrap_or_default());
                    let digits: String = num.chars().filter(|c| !c.is_whitespace()).collect();
                    assert_eq!(
                        digits.parse::<i64>().ok(),
                        Some(want),
                        "{}: default of {field}",
                        e.at()
                    );
                    matched += 1;
                }
                assert!(matched >= 4, "{}: only {matched} defaults checked", e.at());
            }
            "request" => request = Some(e),
            "response" => {
                let req = request.unwrap_or_else(|| panic!("{}: no request before", e.at()));
                let sent: Json = serde_json::from_str(&req.text).unwrap();
                let got = replay(&srv, req, &sent);
                assert_eq!(got, doc, "{}: the server's answer to the request", e.at());
            }
            _ => continue,
        }
        checked += 1;
    }
    assert!(
        checked >= 3,
        "controller-info, healthz and a request were checked"
    );
}

/// Post the example request's `data` as its signer would to `srv` (fresh `info`:
/// this controller, a new nonce and time), after creating what it refers to (a
/// public endpoint for a message); returns the answer.
fn replay(srv: &common::TestServer, req: &Example, sent: &Json) -> Json {
    let kp = seed(&req.arg("seed").unwrap()).unwrap();
    let client = panoramix_client::Client::connect(&srv.url, kp).unwrap();
    let data = sent["data"].clone();
    if let Some(ep) = data["endpoint_id"].as_str() {
        let owner = common::peer(srv, "owner");
        let action = owner.endpoint_action(&json!({"endpoint_id": ep, "peer_id": owner.id(),
            "public": true, "endpoint_type": "SPHINXMIX_GATEWAY"}));
        let cid = owner
            .self_consensus("endpoint", std::slice::from_ref(&action))
            .expect("consensus");
        owner
            .apply(&action, &cid, None)
            .expect("create the endpoint");
    }
    let info = client.info(
        sent["info"]["resource"].as_str().unwrap(),
        sent["info"]["operation"].as_str().unwrap(),
        serde_json::Map::new(),
    );
    let body = client.envelope(data, info, None).unwrap().to_string();
    let method = &req.args[0];
    match client.send_raw(method, &req.args[1], body.as_bytes()) {
        Ok(j) => j,
        Err(e) => panic!("{}: the server refused the example's data: {e}", req.at()),
    }
}
