//! `GET /healthz` and `GET /metrics` of the native server: the health answer, and
//! that the request, rejection, cycle and inbox-depth metrics move by exactly what
//! the requests made here did; `serve --metrics-listen` and `--no-metrics`.
//!
//! The metrics tests are native-only (the Worker has no metrics): on the Worker
//! target they are reported not applicable; the health check runs on either host,
//! and there checks that the Worker indeed has no `/metrics`.
mod common;

use common::*;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use std::time::Instant;

/// A plain GET: status, body and content type (4xx/5xx included).
fn get(url: &str) -> (u16, String, String) {
    let resp = match panoramix_client::agent().get(url).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("GET {url}: {e}"),
    };
    let status = resp.status();
    let ct = resp.header("content-type").unwrap_or_default().to_owned();
    (status, resp.into_string().expect("body"), ct)
}

/// A raw request: the status and the error code of the answer, if any.
fn send(url: &str, method: &str, body: &[u8]) -> (u16, Option<String>) {
    let resp = match panoramix_client::agent()
        .request(method, url)
        .set("content-type", "application/json")
        .send_bytes(body)
    {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = resp.status();
    let v: Json = resp.into_json().unwrap_or(Json::Null);
    (status, v["error"]["code"].as_str().map(str::to_owned))
}

/// The samples of a scrape: `name{labels}` exactly as printed → value. Also checks
/// the text is well-formed exposition format 0.0.4 (every sample after its family's
/// `# TYPE`, every value a number).
fn parse(text: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let mut family = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut it = rest.split(' ');
            family = it.next().unwrap().to_owned();
            let kind = it.next().unwrap();
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (key, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let name = key.split('{').next().unwrap();
        assert!(
            name == family
                || ["_bucket", "_sum", "_count"]
                    .iter()
                    .any(|s| name.strip_suffix(s) == Some(&family)),
            "sample {name} outside its family ({family})"
        );
        let v: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("value in {line}")),
        };
        assert!(out.insert(key.to_owned(), v).is_none(), "{key} twice");
    }
    out
}

fn scrape(base: &str) -> (BTreeMap<String, f64>, String) {
    let (status, text, ct) = get(&format!("{base}/metrics"));
    assert_eq!(status, 200, "{text}");
    assert_eq!(ct, "text/plain; version=0.0.4; charset=utf-8");
    (parse(&text), text)
}

fn val(m: &BTreeMap<String, f64>, key: &str) -> f64 {
    m.get(key).copied().unwrap_or(0.0)
}

fn requests(method: &str, route: &str, status: u16) -> String {
    format!(
        "panoramix_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
    )
}

fn rejections(reason: &str) -> String {
    format!("panoramix_rejections_total{{reason=\"{reason}\"}}")
}

/// Every rejection reason moved by exactly `expected` (absent: 0) between two scrapes.
fn assert_rejections(
    before: &BTreeMap<String, f64>,
    after: &BTreeMap<String, f64>,
    expected: &[(&str, f64)],
) {
    let reasons: Vec<&String> = after
        .keys()
        .filter(|k| k.starts_with("panoramix_rejections_total{"))
        .collect();
    assert!(reasons.len() >= 19, "every reason is exported: {reasons:?}");
    for k in reasons {
        let want = expected
            .iter()
            .find(|(r, _)| rejections(r) == *k)
            .map_or(0.0, |(_, n)| *n);
        assert_eq!(val(after, k) - val(before, k), want, "{k}");
    }
}

const SECRET: &str = "very secret message text";

/// Why the metrics tests do not apply to the Worker.
const NO_WORKER_METRICS: &str =
    "the Worker has no /metrics (its /healthz: health_check_answers_on_either_host)";

#[test]
fn health_and_metrics_follow_requests_rejections_cycles_and_depths() {
    if not_applicable(Host::Worker, NO_WORKER_METRICS) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start_native(&dir.path().join("c.sqlite3"), &[]);
    let t0 = Instant::now();

    let (status, body, _) = get(&format!("{}/healthz", srv.url));
    assert_eq!(status, 200, "{body}");
    let h: Json = serde_json::from_str(&body).unwrap();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["db"], "ok");
    assert_eq!(h["version"], env!("CARGO_PKG_VERSION"));

    let (m0, _) = scrape(&srv.url);
    assert_eq!(val(&m0, &requests("GET", "healthz", 200)), 1.0);
    assert_eq!(val(&m0, "panoramix_db_up"), 1.0);
    assert_eq!(val(&m0, "panoramix_endpoints{status=\"OPEN\"}"), 0.0);

    // an individual peer with a public endpoint of its own
    let p = peer(&srv, "p1");
    let spec = json!({"endpoint_id": "obs_ep", "peer_id": p.id(), "endpoint_type": "SPHINXMIX",
        "size_min": 1, "size_max": 10, "public": true});
    let create = p.endpoint_action(&spec);
    let cid = p
        .self_consensus("obs endpoint", std::slice::from_ref(&create))
        .unwrap();
    let ep = p.apply(&create, &cid, None).unwrap()["data"].clone();
    let stranger = srv.client();
    let mut hashes = Vec::new();
    for i in 0..3 {
        let m = stranger
            .post_message("obs_ep", "INBOX", "s", "r", &format!("{SECRET} {i}"), None)
            .unwrap();
        hashes.push(m.message_hash);
    }
    let (m1, _) = scrape(&srv.url);
    assert_eq!(
        val(&m1, &requests("POST", "messages", 201)) - val(&m0, &requests("POST", "messages", 201)),
        3.0
    );
    // registration: negotiation, contribution, peer; the endpoint: the same three
    assert_eq!(val(&m1, &requests("POST", "negotiations", 201)), 2.0);
    assert_eq!(val(&m1, &requests("POST", "contributions", 201)), 2.0);
    assert_eq!(val(&m1, &requests("POST", "peers", 201)), 1.0);
    assert_eq!(val(&m1, &requests("POST", "endpoints", 201)), 1.0);
    assert_eq!(
        val(&m1, "panoramix_inbox_depth{endpoint_id=\"obs_ep\"}"),
        3.0
    );
    assert_eq!(val(&m1, "panoramix_open_inbox_messages"), 3.0);
    assert_eq!(val(&m1, "panoramix_endpoints{status=\"OPEN\"}"), 1.0);
    assert_rejections(&m0, &m1, &[]);

    // rejected requests, one of each kind
    let url = format!("{}/panoramix/messages/", srv.url);
    let data = json!({"endpoint_id": "obs_ep", "box": "INBOX", "sender": "s", "recipient": "r", "text": format!("{SECRET} 3")});
    let good = message_body(&stranger, data.clone());
    let mut env: Json = serde_json::from_slice(&message_body(&stranger, data.clone())).unwrap();
    let sig = env["meta"]["signature"].as_str().unwrap().to_owned();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    env["meta"]["signature"] = json!(format!("{flipped}{}", &sig[1..]));
    assert_eq!(
        send(&url, "POST", env.to_string().as_bytes()),
        (401, Some("bad_signature".into()))
    );
    let unsigned =
        json!({"data": data, "info": stranger.info("message", "create", Default::default())});
    assert_eq!(
        send(&url, "POST", unsigned.to_string().as_bytes()),
        (400, Some("malformed".into()))
    );
    let first = send(&url, "POST", &good);
    assert_eq!(first, (201, None));
    assert_eq!(send(&url, "POST", &good), (409, Some("replay".into())));
    assert_eq!(
        send(&format!("{}/panoramix/nothing/", srv.url), "GET", b""),
        (404, Some("not_found".into()))
    );
    let (m2, _) = scrape(&srv.url);
    assert_rejections(
        &m1,
        &m2,
        &[
            ("bad_signature", 1.0),
            ("malformed", 1.0),
            ("replay", 1.0),
            ("not_found", 1.0),
        ],
    );
    for (status, n) in [(201, 1.0), (401, 1.0), (400, 1.0), (409, 1.0)] {
        let k = requests("POST", "messages", status);
        assert_eq!(val(&m2, &k) - val(&m1, &k), n, "{k}");
    }
    assert_eq!(val(&m2, &requests("GET", "unknown", 404)), 1.0);
    assert_eq!(
        val(&m2, "panoramix_inbox_depth{endpoint_id=\"obs_ep\"}"),
        4.0
    );
    let messages = stranger.messages("obs_ep", "INBOX").unwrap();
    hashes = messages.iter().map(|m| m.message_hash.clone()).collect();
    assert_eq!(hashes.len(), 4);

    // one whole cycle: close, upload the processed messages, process
    let transitions = |m: &BTreeMap<String, f64>, to: &str| {
        val(
            m,
            &format!(
                "panoramix_endpoint_transitions_total{{to=\"{to}\",endpoint_type=\"SPHINXMIX\"}}"
            ),
        )
    };
    assert_eq!(transitions(&m2, "CLOSED"), 0.0);
    let close = p.transition_action(
        "obs_ep",
        ep["last_consensus_id"].as_str().unwrap(),
        "CLOSED",
        &hashes,
        None,
    );
    let cid_close = p
        .self_consensus("close", std::slice::from_ref(&close))
        .unwrap();
    let t_close = Instant::now();
    assert_eq!(
        p.apply(&close, &cid_close, None).unwrap()["data"]["status"],
        "CLOSED"
    );
    let mut out = Vec::new();
    for i in 0..4 {
        let m = p
            .post_message(
                "obs_ep",
                "PROCESSBOX",
                "mix",
                "",
                &format!("out {i}"),
                Some(i),
            )
            .unwrap();
        out.push(m.message_hash);
    }
    let process = p.transition_action("obs_ep", &cid_close, "PROCESSED", &out, None);
    let cid_proc = p
        .self_consensus("process", std::slice::from_ref(&process))
        .unwrap();
    assert_eq!(
        p.apply(&process, &cid_proc, None).unwrap()["data"]["status"],
        "PROCESSED"
    );
    let cycle_upper = t_close.elapsed().as_secs_f64();
    let (m3, text) = scrape(&srv.url);
    assert_eq!(transitions(&m3, "CLOSED"), 1.0);
    assert_eq!(transitions(&m3, "PROCESSED"), 1.0);
    assert_eq!(val(&m3, &requests("PATCH", "endpoints", 200)), 2.0);
    assert_eq!(
        val(&m3, "panoramix_accepted_messages_total")
            - val(&m2, "panoramix_accepted_messages_total"),
        4.0
    );
    let cycle =
        |s: &str| format!("panoramix_cycle_duration_seconds{s}{{endpoint_type=\"SPHINXMIX\"}}");
    assert_eq!(val(&m3, &cycle("_count")), 1.0);
    let took = val(&m3, &cycle("_sum"));
    assert!(
        took > 0.0 && took <= cycle_upper,
        "cycle of {took} s, at most {cycle_upper} s"
    );
    assert_eq!(
        val(
            &m3,
            "panoramix_cycle_duration_seconds_bucket{endpoint_type=\"SPHINXMIX\",le=\"+Inf\"}"
        ),
        1.0
    );
    // no longer OPEN: no depth series, nothing waiting
    assert!(!m3.contains_key("panoramix_inbox_depth{endpoint_id=\"obs_ep\"}"));
    assert_eq!(val(&m3, "panoramix_open_inbox_messages"), 0.0);
    assert_eq!(val(&m3, "panoramix_endpoints{status=\"PROCESSED\"}"), 1.0);
    assert_eq!(val(&m3, "panoramix_endpoints{status=\"OPEN\"}"), 0.0);
    assert_rejections(&m2, &m3, &[]);
    // the three scrapes before this one, and the health check
    assert_eq!(val(&m3, &requests("GET", "metrics", 200)), 3.0);
    assert_eq!(val(&m3, &requests("GET", "healthz", 200)), 1.0);
    assert!(val(&m3, "panoramix_uptime_seconds") <= t0.elapsed().as_secs_f64() + 30.0);
    assert!(val(&m3, "panoramix_store_write_requests_total") >= 20.0);
    assert!(val(&m3, "panoramix_store_commits_total") >= 1.0);

    // nothing secret or personal: no message text, key, signature or nonce
    assert!(!text.contains(SECRET));
    for s in [p.id(), stranger.id(), stranger.key().key_data(), sig] {
        assert!(!text.contains(&s), "{s} in the metrics");
    }
    assert!(!text.contains(env["info"]["nonce"].as_str().unwrap()));
}

#[test]
fn metrics_on_their_own_listener_count_limits() {
    if not_applicable(Host::Worker, NO_WORKER_METRICS) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let maddr = format!("127.0.0.1:{port}");
    let srv = TestServer::start_native(
        &dir.path().join("c.sqlite3"),
        &[
            "--metrics-listen",
            &maddr,
            "--rate-per-key",
            "0.001",
            "--rate-burst-per-key",
            "1",
            "--max-body",
            "4096",
        ],
    );
    let murl = format!("http://{maddr}");
    // the API listener has the health check but not the metrics
    assert_eq!(get(&format!("{}/healthz", srv.url)).0, 200);
    assert_eq!(get(&format!("{}/metrics", srv.url)).0, 404);
    assert_eq!(get(&format!("{murl}/healthz")).0, 200);
    assert_eq!(get(&format!("{murl}/panoramix/controller/")).0, 404);

    // raw sends: the client would wait and retry after a 429
    let c = srv.client();
    let negotiation = |title: &str| {
        let info = c.info("negotiation", "create", Default::default());
        c.envelope(json!({"title": title}), info, None)
            .unwrap()
            .to_string()
    };
    let url = format!("{}/panoramix/negotiations/", srv.url);
    assert_eq!(
        send(&url, "POST", negotiation("first").as_bytes()),
        (201, None)
    );
    assert_eq!(
        send(&url, "POST", negotiation("second").as_bytes()),
        (429, Some("rate_limited".into()))
    );
    let big = vec![b' '; 5000];
    assert_eq!(send(&url, "POST", &big), (413, Some("too_large".into())));

    let (m, _) = scrape(&murl);
    assert_eq!(val(&m, &rejections("rate_limited")), 1.0);
    assert_eq!(val(&m, &rejections("too_large")), 1.0);
    // the 404s of /metrics on the API listener and of the API path on the metrics one
    assert_eq!(val(&m, &rejections("not_found")), 2.0);
    assert_eq!(val(&m, &requests("GET", "metrics", 404)), 1.0);
    assert_eq!(val(&m, &requests("POST", "negotiations", 201)), 1.0);
    assert_eq!(val(&m, &requests("POST", "negotiations", 429)), 1.0);
    assert_eq!(val(&m, &requests("POST", "negotiations", 413)), 1.0);
    assert_eq!(val(&m, &requests("GET", "healthz", 200)), 2.0);
}

#[test]
fn no_metrics_keeps_the_health_check() {
    if not_applicable(Host::Worker, NO_WORKER_METRICS) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start_native(&dir.path().join("c.sqlite3"), &["--no-metrics"]);
    assert_eq!(get(&format!("{}/metrics", srv.url)).0, 404);
    let (status, body, ct) = get(&format!("{}/healthz", srv.url));
    assert_eq!((status, ct.as_str()), (200, "application/json"), "{body}");
}

/// `GET /healthz` on whichever host `PANORAMIX_TEST_TARGET` selects: the Worker
/// answers it from its Durable Object's database as the native server does.
#[test]
fn health_check_answers_on_either_host() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let (status, body, ct) = get(&format!("{}/healthz", srv.url));
    assert_eq!((status, ct.as_str()), (200, "application/json"), "{body}");
    let v: Json = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (v["status"].as_str(), v["db"].as_str()),
        (Some("ok"), Some("ok"))
    );
    assert_eq!(v["version"].as_str(), Some(env!("CARGO_PKG_VERSION")));
    let (status, code) = send(&format!("{}/healthz", srv.url), "POST", b"{}");
    assert_eq!((status, code.as_deref()), (405, Some("method_not_allowed")));
    // the reason the metrics tests are not applicable to the Worker
    let metrics = get(&format!("{}/metrics", srv.url)).0;
    assert_eq!(metrics, if srv.is_worker() { 404 } else { 200 });
}
