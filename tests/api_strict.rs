//! One signed request, one meaning (issue 12, findings 3 to 5), over real HTTP on
//! either host (`PANORAMIX_TEST_TARGET=worker` runs the same tests on the Worker):
//!
//! * a key repeated anywhere in a body is refused (400 `duplicate_key`);
//! * handlers see the canonical value that was signed: a relay rewriting `true` as
//!   `1` changes nothing that is stored or shown;
//! * signatures and keys only in lower-case hex (400, never stored as sent);
//! * fields an operation does not define are refused (400 `unknown_field`, named);
//! * a contribution's signature is bound to its negotiation: replayed into another
//!   negotiation it is refused (401 `bad_contribution_signature`);
//! * a contribution signed by B but sent by A is answered 403
//!   `contribution_signer_mismatch`, naming both keys.
//!
//! Every refused request leaves the store byte-for-byte unchanged.
mod common;

use common::*;
use panoramix_client::{Client, ClientError};
use panoramix_core::negotiation::sign_contribution;
use serde_json::{Map, Value as Json, json};

/// Send `body`, expect it refused with `status`/`code`, the store unchanged; returns
/// the error message.
fn refused(
    srv: &TestServer,
    c: &Client,
    method: &str,
    path: &str,
    body: &[u8],
    status: u16,
    code: &str,
) -> String {
    let before = srv.dump();
    let err = c
        .send_raw(method, path, body)
        .expect_err(&format!("accepted: {}", String::from_utf8_lossy(body)));
    assert_eq!(
        (err.status(), err.code()),
        (Some(status), Some(code)),
        "{err} for {}",
        String::from_utf8_lossy(body)
    );
    assert_eq!(before, srv.dump(), "the store changed ({err})");
    match err {
        ClientError::Api { message, .. } => message,
        other => panic!("{other}"),
    }
}

fn negotiation_body(c: &Client, data: Json, info_extra: Map<String, Json>) -> String {
    let info = c.info("negotiation", "create", info_extra);
    c.envelope(data, info, None).unwrap().to_string()
}

fn contribution_body(sender: &Client, data: Json) -> Vec<u8> {
    let info = sender.info("contribution", "create", Map::new());
    sender
        .envelope(data, info, None)
        .unwrap()
        .to_string()
        .into_bytes()
}

fn audit_verifies(srv: &TestServer) {
    let (code, out, err) = run_cli(&["audit", "verify", &srv.url], None);
    assert_eq!(code, 0, "audit verify: {out}{err}");
}

#[test]
fn a_key_repeated_anywhere_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let c = srv.client();
    let path = "/panoramix/negotiations/";
    // the signature covers the last `title`; a reader keeping the first saw another
    // request. serde_json alone keeps the last, so this verified and was stored.
    let good = negotiation_body(&c, json!({"title": "second"}), Map::new());
    let cases = [
        good.replacen("\"data\":{", "\"data\":{\"title\":\"first\",", 1),
        good.replacen("\"info\":{", "\"info\":{\"ts\":1,", 1),
        good.replacen("\"meta\":{", "\"meta\":{\"key_data\":\"00\",", 1),
        // the same key spelled with an escape is the same key
        good.replacen("\"data\":{", "\"data\":{\"t\\u0069tle\":\"first\",", 1),
        // a whole top-level member twice
        good.replacen("\"data\":{", "\"data\":{\"title\":\"first\"},\"data\":{", 1),
    ];
    for body in &cases {
        assert_ne!(body, &good);
        let msg = refused(
            &srv,
            &c,
            "POST",
            path,
            body.as_bytes(),
            400,
            "duplicate_key",
        );
        assert!(msg.contains("duplicate key"), "{msg}");
    }
    // a duplicate deep inside a list of the data is refused too
    let deep = negotiation_body(
        &c,
        json!({"title": "t", "participants": [c.id()]}),
        Map::new(),
    )
    .replacen(
        "\"participants\":[",
        "\"participants\":[{\"a\":1,\"a\":2},",
        1,
    );
    refused(
        &srv,
        &c,
        "POST",
        path,
        deep.as_bytes(),
        400,
        "duplicate_key",
    );
    // the untouched request is fine
    let r = c.send_raw("POST", path, good.as_bytes()).unwrap();
    assert_eq!(r["data"]["title"], "second");
}

#[test]
fn handlers_see_the_signed_canonical_value() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    // two peers register with the same crypto_params holding a JSON `true`; the
    // second request passes a relay that rewrites `true` as `1`, which the signature
    // cannot tell apart (both are the canonical integer 1)
    let params = json!({"flag": true, "n": 2, "nested": [false, {"x": true}]});
    let mut stored = Vec::new();
    for (i, rewrite) in [(0, false), (1, true)] {
        let c = srv.client();
        let a = c.register_action(&format!("p{i}"), None, "SPHINXMIX", params.clone());
        let cid = c
            .self_consensus(&format!("register p{i}"), std::slice::from_ref(&a))
            .unwrap();
        let mut body = String::from_utf8(applied(&c, &a, &cid)).unwrap();
        if rewrite {
            let before = body.clone();
            body = body
                .replace("\"flag\":true", "\"flag\":1")
                .replace("[false,", "[0,")
                .replace("\"x\":true", "\"x\":1");
            assert_ne!(before, body);
        }
        c.send_raw("POST", "/panoramix/peers/", body.as_bytes())
            .expect("registered");
        stored.push(c.peer(&c.id()).unwrap().crypto_params);
    }
    let canonical = json!({"flag": 1, "n": 2, "nested": [0, {"x": 1}]});
    assert_eq!(stored[0], canonical, "the handler stored the JSON spelling");
    assert_eq!(stored[1], canonical);
    // a client sending `true` where the controller reads a flag still works
    let p = peer(&srv, "owner");
    let ep = p.endpoint_action(&json!({"endpoint_id": "pub", "peer_id": p.id(),
        "endpoint_type": "SPHINXMIX_GATEWAY", "size_min": 1, "size_max": 3, "public": true}));
    let cid = p.self_consensus("ep", std::slice::from_ref(&ep)).unwrap();
    p.apply(&ep, &cid, None).unwrap();
    let stranger = srv.client();
    stranger
        .post_message("pub", "INBOX", "s", "r", "hello", None)
        .expect("a public INBOX takes a stranger's message");
    audit_verifies(&srv);
}

#[test]
fn signatures_and_keys_only_in_lower_case_hex() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let c = peer(&srv, "p");
    let path = "/panoramix/negotiations/";
    let good: Json =
        serde_json::from_str(&negotiation_body(&c, json!({"title": "t"}), Map::new())).unwrap();
    for field in ["signature", "key_data"] {
        let mut bad = good.clone();
        let upper = bad["meta"][field].as_str().unwrap().to_uppercase();
        bad["meta"][field] = json!(upper);
        let msg = refused(
            &srv,
            &c,
            "POST",
            path,
            bad.to_string().as_bytes(),
            400,
            "malformed",
        );
        assert!(
            msg.contains(&format!("meta.{field}")) && msg.contains("lower-case"),
            "{msg}"
        );
    }
    // a contribution signature in upper case is refused as well, never stored
    let neg = c.create_negotiation("n", None).unwrap();
    let text = Client::text_for(&[], false, Default::default());
    let sig = sign_contribution(c.key(), &neg, &text).to_uppercase();
    let body = contribution_body(
        &c,
        json!({"negotiation_id": neg, "text": text, "signature": sig}),
    );
    let msg = refused(
        &srv,
        &c,
        "POST",
        "/panoramix/contributions/",
        &body,
        400,
        "invalid",
    );
    assert!(msg.contains("lower-case"), "{msg}");
    let r = c
        .send_raw("POST", path, good.to_string().as_bytes())
        .unwrap();
    assert_eq!(r["data"]["title"], "t");
}

#[test]
fn fields_an_operation_does_not_define_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let p = peer(&srv, "p");
    let path = "/panoramix/negotiations/";
    let mut note = Map::new();
    note.insert("note".into(), json!("hi"));
    let cases: Vec<(String, &str)> = vec![
        (
            negotiation_body(&p, json!({"title": "t", "colour": "red"}), Map::new()),
            "data.colour",
        ),
        (
            negotiation_body(&p, json!({"title": "t"}), note),
            "info.note",
        ),
        (
            {
                let mut e: Json =
                    serde_json::from_str(&negotiation_body(&p, json!({"title": "t"}), Map::new()))
                        .unwrap();
                e["meta"]["comment"] = json!("unsigned");
                e.to_string()
            },
            "meta.comment",
        ),
    ];
    for (body, field) in &cases {
        let msg = refused(
            &srv,
            &p,
            "POST",
            path,
            body.as_bytes(),
            400,
            "unknown_field",
        );
        assert!(msg.contains(field), "{field}: {msg}");
    }
    // nested: a link of an endpoint, and by_consensus itself
    let ep = p.endpoint_action(&json!({"endpoint_id": "e", "peer_id": p.id(),
        "endpoint_type": "SPHINXMIX", "size_min": 1, "size_max": 3,
        "links": [{"from_endpoint_id": "x", "from_box": "OUTBOX", "to_box": "INBOX", "weight": 1}]}));
    let cid = p.self_consensus("ep", std::slice::from_ref(&ep)).unwrap();
    let body = applied(&p, &ep, &cid);
    let msg = refused(
        &srv,
        &p,
        "POST",
        "/panoramix/endpoints/",
        &body,
        400,
        "unknown_field",
    );
    assert!(msg.contains("data.links[0].weight"), "{msg}");
    let ep = p.endpoint_action(&json!({"endpoint_id": "e", "peer_id": p.id(),
        "endpoint_type": "SPHINXMIX", "size_min": 1, "size_max": 3}));
    let cid = p.self_consensus("ep2", std::slice::from_ref(&ep)).unwrap();
    let body = p
        .envelope(
            ep.data.clone(),
            ep.info.clone(),
            Some(json!({"consensus_id": cid, "consensus_type": "structural", "reason": "x"})),
        )
        .unwrap()
        .to_string();
    let msg = refused(
        &srv,
        &p,
        "POST",
        "/panoramix/endpoints/",
        body.as_bytes(),
        400,
        "unknown_field",
    );
    assert!(msg.contains("by_consensus.reason"), "{msg}");
    // the same action without the stray field is applied
    p.send_raw("POST", "/panoramix/endpoints/", &applied(&p, &ep, &cid))
        .expect("applied");
    // a message batch item with a field of its own
    let body = message_body(
        &p,
        json!({"endpoint_id": "e", "box": "INBOX",
            "messages": [{"sender": "s", "recipient": "r", "text": "t", "colour": "red"}]}),
    );
    let msg = refused(
        &srv,
        &p,
        "POST",
        "/panoramix/messages/",
        &body,
        400,
        "unknown_field",
    );
    assert!(msg.contains("data.messages[0].colour"), "{msg}");
    audit_verifies(&srv);
}

#[test]
fn a_contribution_is_bound_to_its_negotiation() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let p1 = peer(&srv, "p1");
    let x = p1.create_negotiation("x", None).unwrap();
    let y = p1.create_negotiation("y", None).unwrap();
    let text = Client::text_for(&[], true, Default::default());
    // signed for X, sent (by its own signer) into Y: refused, Y stays open and empty
    let sig_x = sign_contribution(p1.key(), &x, &text);
    let replay = contribution_body(
        &p1,
        json!({"negotiation_id": y, "text": text, "signature": sig_x}),
    );
    let msg = refused(
        &srv,
        &p1,
        "POST",
        "/panoramix/contributions/",
        &replay,
        401,
        "bad_contribution_signature",
    );
    assert!(msg.contains(&y), "{msg}");
    assert_eq!(
        p1.negotiation(&y).unwrap().status,
        panoramix_core::wire::NegotiationStatus::Open
    );
    // the text-only (legacy) signature is no longer accepted, and the answer says why
    let legacy = p1
        .key()
        .sign(panoramix_core::Domain::Contribution, text.as_bytes());
    let body = contribution_body(
        &p1,
        json!({"negotiation_id": x, "text": text, "signature": legacy}),
    );
    let msg = refused(
        &srv,
        &p1,
        "POST",
        "/panoramix/contributions/",
        &body,
        401,
        "bad_contribution_signature",
    );
    assert!(msg.contains("legacy"), "{msg}");
    // where it was signed, it closes X (self-consensus), and the log verifies; the
    // original's URL form names the negotiation by its last path segment, which is
    // what the signature is bound to
    let url = format!("{}/panoramix/negotiations/{x}/", srv.url);
    let body = contribution_body(
        &p1,
        json!({"negotiation": url, "text": text, "signature": sig_x}),
    );
    let r = p1
        .send_raw("POST", "/panoramix/contributions/", &body)
        .unwrap();
    assert!(r["data"]["consensus"].is_string(), "{r}");
    // the consensus id is still the original's rule over the stored signings
    let n = p1.negotiation(&x).unwrap();
    let signings = [(p1.id(), sig_x.clone())].into_iter().collect();
    assert_eq!(
        n.consensus.as_deref().unwrap(),
        panoramix_core::negotiation::consensus_id(
            &x,
            &text,
            &signings,
            n.timestamp.as_deref().unwrap()
        )
    );
    audit_verifies(&srv);
}

#[test]
fn a_contribution_sent_by_another_key_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let a = peer(&srv, "a");
    let b = peer(&srv, "b");
    let text = Client::text_for(&[], false, Default::default());
    // a negotiation restricted to a and b, and an unrestricted one b has joined
    let restricted = a.create_negotiation("r", Some(&[a.id(), b.id()])).unwrap();
    let open = a.create_negotiation("o", None).unwrap();
    b.contribute(&open, &text).unwrap();
    for neg in [&restricted, &open] {
        let sig_b = sign_contribution(b.key(), neg, &text);
        // signed by b, sent by a: not "the request signature does not verify"
        let body = contribution_body(
            &a,
            json!({"negotiation_id": neg, "text": text, "signature": sig_b}),
        );
        let msg = refused(
            &srv,
            &a,
            "POST",
            "/panoramix/contributions/",
            &body,
            403,
            "contribution_signer_mismatch",
        );
        assert!(
            msg.contains(&format!("signed by key {}", b.id()))
                && msg.contains(&format!("request by key {}", a.id())),
            "{msg}"
        );
        // naming b as the signer gets the same code
        let body = contribution_body(
            &a,
            json!({"negotiation_id": neg, "text": text, "signature": sig_b, "signer_key_id": b.id()}),
        );
        refused(
            &srv,
            &a,
            "POST",
            "/panoramix/contributions/",
            &body,
            403,
            "contribution_signer_mismatch",
        );
    }
    audit_verifies(&srv);
}
