//! Bugs the `api_request` fuzz target found, each replayed over real HTTP. The fuzz
//! reproducer of each is also a seed in fuzz/corpus/api_request/ (named `regress-*`),
//! so every fuzz smoke run replays it too.
mod common;

use common::*;
use serde_json::{Map, json};

/// `info.ts` near `i64::MIN`: the freshness check computed `now - ts`, which
/// overflows. With overflow checks (debug builds, the test server) the handler
/// panicked; without them (release, the Worker) the difference wrapped and
/// `ts = now + i64::MIN` came out as exactly `i64::MIN`, whose `abs()` is negative:
/// the request passed as fresh. Every such timestamp is stale: 401 stale_request.
/// Reproducer: fuzz/corpus/api_request/regress-ts-overflow.
#[test]
fn timestamps_at_the_ends_of_i64_are_stale() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let c = srv.client();
    let now = c.get("/panoramix/controller/").unwrap()["data"]["ts"]
        .as_i64()
        .expect("controller ts");
    // the wrapped case must hit the very second the controller checks it in: try
    // the seconds around `now` so that a slow request cannot make the test vacuous
    let mut stamps = vec![i64::MIN, i64::MIN + 1, i64::MAX];
    stamps.extend((-2..=5).map(|d| (now + d).wrapping_add(i64::MIN)));
    for ts in stamps {
        let mut info = c.info("negotiation", "create", Map::new());
        info["ts"] = json!(ts);
        let body = c
            .envelope(json!({"title": "t"}), info, None)
            .unwrap()
            .to_string();
        let err = c
            .send_signed("POST", "/panoramix/negotiations/", body.as_bytes())
            .expect_err(&format!("ts = {ts} was accepted as fresh"));
        assert_eq!(err.status(), Some(401), "ts = {ts}: {err}");
        assert_eq!(err.code(), Some("stale_request"), "ts = {ts}: {err}");
    }
    // the controller is still there, and nothing was created
    let list = c.get("/panoramix/negotiations/").unwrap();
    assert_eq!(list["data"], json!([]), "{list}");
}
