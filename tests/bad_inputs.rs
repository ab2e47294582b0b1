//! A table of bad requests, each with the status and code it must get, asserting
//! that the whole store is byte-for-byte unchanged afterwards.
mod common;

use common::*;
use panoramix_client::Client;
use serde_json::{Map, Value as Json, json};

struct Case {
    name: &'static str,
    status: u16,
    code: &'static str,
    method: String,
    path: String,
    body: Vec<u8>,
}

fn case(
    name: &'static str,
    status: u16,
    code: &'static str,
    method: &str,
    path: &str,
    body: Vec<u8>,
) -> Case {
    Case {
        name,
        status,
        code,
        method: method.into(),
        path: path.into(),
        body,
    }
}

#[test]
fn bad_inputs_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let p1 = peer(&srv, "p1");
    let p2 = peer(&srv, "p2");
    let p3 = peer(&srv, "p3");
    let stranger = srv.client();

    // a joint peer of p1 and p2 with a public gateway (2..3 messages) holding 2 messages
    let joint = p1.joint_peer_action("j", &[p1.id(), p2.id()], "SPHINXMIX", json!({}));
    let cid = agree(&[&p1, &p2], std::slice::from_ref(&joint));
    let jid = p1.apply(&joint, &cid, None).unwrap()["data"]["peer_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let gw = p1.endpoint_action(
        &json!({"endpoint_id": "gw", "peer_id": jid, "endpoint_type": "SPHINXMIX_GATEWAY",
        "size_min": 2, "size_max": 3, "public": true}),
    );
    let cid = agree(&[&p1, &p2], std::slice::from_ref(&gw));
    let gw_last = p1.apply(&gw, &cid, None).unwrap()["data"]["last_consensus_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let h1 = stranger
        .post_message("gw", "INBOX", "s", "r", "m1", None)
        .unwrap()
        .message_hash;
    let h2 = stranger
        .post_message("gw", "INBOX", "s", "r", "m2", None)
        .unwrap()
        .message_hash;

    // p1's own endpoint, closed, and one linked to it; a full one
    let own = |id: &str, extra: Json| {
        let mut spec = json!({"endpoint_id": id, "peer_id": p1.id(), "endpoint_type": "SPHINXMIX", "size_min": 1, "size_max": 5, "public": true});
        for (k, v) in extra.as_object().unwrap() {
            spec[k] = v.clone();
        }
        let a = p1.endpoint_action(&spec);
        let c = p1.self_consensus(id, std::slice::from_ref(&a)).unwrap();
        p1.apply(&a, &c, None).unwrap()["data"]["last_consensus_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let closed_last = own("closed", json!({}));
    let hc = stranger
        .post_message("closed", "INBOX", "s", "r", "c1", None)
        .unwrap()
        .message_hash;
    let close = p1.transition_action(
        "closed",
        &closed_last,
        "CLOSED",
        std::slice::from_ref(&hc),
        None,
    );
    let c = p1
        .self_consensus("close", std::slice::from_ref(&close))
        .unwrap();
    p1.apply(&close, &c, None).unwrap();
    own(
        "linked",
        json!({"links": [{"from_endpoint_id": "closed", "from_box": "ACCEPTED", "to_box": "INBOX"}]}),
    );
    own("small", json!({"size_max": 1}));
    stranger
        .post_message("small", "INBOX", "s", "r", "fills it", None)
        .unwrap();

    // agreements for actions the controller must refuse when applied
    let by_stranger = p3.endpoint_action(&json!({"endpoint_id": "hijack", "peer_id": jid, "endpoint_type": "SPHINXMIX", "size_min": 1, "size_max": 2}));
    let cid_stranger = p3
        .self_consensus("hijack", std::slice::from_ref(&by_stranger))
        .unwrap();
    let agreed_a = p1.endpoint_action(&json!({"endpoint_id": "a", "peer_id": jid, "endpoint_type": "SPHINXMIX", "size_min": 1, "size_max": 2}));
    let cid_a = agree(&[&p1, &p2], std::slice::from_ref(&agreed_a));
    let other_b = p1.endpoint_action(&json!({"endpoint_id": "b", "peer_id": jid, "endpoint_type": "SPHINXMIX", "size_min": 1, "size_max": 2}));
    let used = p1.endpoint_action(&json!({"endpoint_id": "used", "peer_id": jid, "endpoint_type": "SPHINXMIX", "size_min": 1, "size_max": 2}));
    let cid_used = agree(&[&p1, &p2], std::slice::from_ref(&used));
    p1.apply(&used, &cid_used, None).unwrap();
    let mut bad_transitions = Vec::new();
    let zero = "0".repeat(64);
    for (name, last, status, hashes, code_status, code) in [
        (
            "wrong on_last_consensus_id",
            zero.as_str(),
            "CLOSED",
            vec![h1.clone(), h2.clone()],
            409,
            "wrong_last_consensus",
        ),
        (
            "closing with a hash not in the inbox",
            gw_last.as_str(),
            "CLOSED",
            vec![h1.clone(), "ab".repeat(32)],
            422,
            "wrong_state",
        ),
        (
            "closing below size_min",
            gw_last.as_str(),
            "CLOSED",
            vec![h1.clone()],
            422,
            "wrong_state",
        ),
        (
            "closing above size_max",
            gw_last.as_str(),
            "CLOSED",
            vec![h1.clone(), h2.clone(), "cd".repeat(32), "ef".repeat(32)],
            422,
            "wrong_state",
        ),
        (
            "PROCESSED before CLOSED",
            gw_last.as_str(),
            "PROCESSED",
            vec![h1.clone(), h2.clone()],
            422,
            "wrong_state",
        ),
    ] {
        let a = p1.transition_action("gw", last, status, &hashes, None);
        let c = agree(&[&p1, &p2], std::slice::from_ref(&a));
        bad_transitions.push(case(
            name,
            code_status,
            code,
            "PATCH",
            "/panoramix/endpoints/gw/",
            applied(&p1, &a, &c),
        ));
    }
    // the only consensus of a negotiation restricted to p1 and p2
    let restricted = p1
        .create_negotiation("restricted", Some(&[p1.id(), p2.id()]))
        .unwrap();
    // a request already received once
    let once = message_body(
        &stranger,
        json!({"endpoint_id": "gw", "box": "INBOX", "sender": "s", "recipient": "r", "text": "once"}),
    );
    stranger
        .send_raw("POST", "/panoramix/messages/", &once)
        .unwrap();

    let would_be_authority = srv.client();
    let reg = would_be_authority.register_action("boss", Some("authority"), "SPHINXMIX", json!({}));
    let cid_reg = would_be_authority
        .self_consensus("register", std::slice::from_ref(&reg))
        .unwrap();
    let self_authority = applied(&would_be_authority, &reg, &cid_reg);
    let msg_with_consensus = {
        let info = stranger.info("message", "create", Map::new());
        let data = json!({"endpoint_id": "gw", "box": "INBOX", "sender": "s", "recipient": "r", "text": "old"});
        stranger
            .envelope(data, info, Some(json!({"consensus_id": cid_reg})))
            .unwrap()
            .to_string()
            .into_bytes()
    };
    let msg = |data: Json| message_body(&stranger, data);
    let good = json!({"endpoint_id": "gw", "box": "INBOX", "sender": "s", "recipient": "r", "text": "fresh"});
    let mut tampered: Json = serde_json::from_slice(&msg(good.clone())).unwrap();
    tampered["data"]["text"] = json!("changed after signing");
    let mut info = stranger.info("message", "create", Map::new());
    info["ts"] = json!(info["ts"].as_i64().unwrap() - 3600);
    let stale = stranger
        .envelope(good.clone(), info, None)
        .unwrap()
        .to_string()
        .into_bytes();
    let mut info = stranger.info("message", "create", Map::new());
    info["controller"] = json!("f".repeat(64));
    let foreign = stranger
        .envelope(good.clone(), info, None)
        .unwrap()
        .to_string()
        .into_bytes();
    let mut info = stranger.info("message", "create", Map::new());
    info["resource"] = json!("peer");
    let wrong_resource = stranger
        .envelope(good.clone(), info, None)
        .unwrap()
        .to_string()
        .into_bytes();
    let outsider_text = Client::text_for(std::slice::from_ref(&agreed_a), true, Default::default());
    let sig = panoramix_core::negotiation::sign_contribution(p3.key(), &restricted, &outsider_text);
    let outsider = {
        let info = p3.info("contribution", "create", Map::new());
        p3.envelope(
            json!({"negotiation_id": restricted, "text": outsider_text, "signature": sig}),
            info,
            None,
        )
        .unwrap()
        .to_string()
        .into_bytes()
    };
    let forged_contribution = {
        // p3 relays a contribution signed by p1: a contribution must come from its signer
        let text = Client::text_for(std::slice::from_ref(&agreed_a), false, Default::default());
        let sig = panoramix_core::negotiation::sign_contribution(p1.key(), &restricted, &text);
        let info = p3.info("contribution", "create", Map::new());
        p3.envelope(json!({"negotiation_id": restricted, "text": text, "signature": sig, "signer_key_id": p1.id()}), info, None)
            .unwrap()
            .to_string()
            .into_bytes()
    };

    let mut cases = vec![
        case(
            "malformed JSON",
            400,
            "malformed",
            "POST",
            "/panoramix/messages/",
            b"{\"data\":".to_vec(),
        ),
        case(
            "not an envelope",
            400,
            "malformed",
            "POST",
            "/panoramix/messages/",
            b"[1,2]".to_vec(),
        ),
        case(
            "a float in data",
            400,
            "malformed",
            "POST",
            "/panoramix/messages/",
            br#"{"data":{"x":1.5},"info":{},"meta":{"signature":"","key_data":""}}"#.to_vec(),
        ),
        case(
            "wrong type (text is a number)",
            400,
            "invalid",
            "POST",
            "/panoramix/messages/",
            msg(json!({"endpoint_id": "gw", "box": "INBOX", "text": 5})),
        ),
        case(
            "missing field (endpoint_id)",
            400,
            "invalid",
            "POST",
            "/panoramix/messages/",
            msg(json!({"box": "INBOX", "text": "x"})),
        ),
        case(
            "unknown box",
            400,
            "invalid",
            "POST",
            "/panoramix/messages/",
            msg(json!({"endpoint_id": "gw", "box": "NOPE", "text": "x"})),
        ),
        case(
            "oversized body",
            413,
            "too_large",
            "POST",
            "/panoramix/messages/",
            vec![b' '; 9 << 20],
        ),
        case(
            "bad signature",
            401,
            "bad_signature",
            "POST",
            "/panoramix/messages/",
            tampered.to_string().into_bytes(),
        ),
        case(
            "stale timestamp",
            401,
            "stale_request",
            "POST",
            "/panoramix/messages/",
            stale,
        ),
        case(
            "addressed to another controller",
            401,
            "foreign_request",
            "POST",
            "/panoramix/messages/",
            foreign,
        ),
        case(
            "info.resource of another route",
            400,
            "invalid",
            "POST",
            "/panoramix/messages/",
            wrong_resource,
        ),
        case(
            "replayed request",
            409,
            "replay",
            "POST",
            "/panoramix/messages/",
            once,
        ),
        case(
            "endpoint on a joint peer by a non-owner",
            403,
            "forbidden",
            "POST",
            "/panoramix/endpoints/",
            applied(&p3, &by_stranger, &cid_stranger),
        ),
        case(
            "consensus for a different action",
            403,
            "consensus_mismatch",
            "POST",
            "/panoramix/endpoints/",
            applied(&p1, &other_b, &cid_a),
        ),
        case(
            "consensus used twice",
            409,
            "consensus_used",
            "POST",
            "/panoramix/endpoints/",
            applied(&p2, &used, &cid_used),
        ),
        case(
            "action without consensus",
            403,
            "forbidden",
            "POST",
            "/panoramix/endpoints/",
            p1.envelope(agreed_a.data.clone(), agreed_a.info.clone(), None)
                .unwrap()
                .to_string()
                .into_bytes(),
        ),
        case(
            "posting to a closed inbox",
            422,
            "wrong_state",
            "POST",
            "/panoramix/messages/",
            msg(
                json!({"endpoint_id": "closed", "box": "INBOX", "sender": "s", "recipient": "r", "text": "late"}),
            ),
        ),
        case(
            "posting to a linked inbox as a stranger",
            403,
            "forbidden",
            "POST",
            "/panoramix/messages/",
            msg(
                json!({"endpoint_id": "linked", "box": "INBOX", "sender": "s", "recipient": "r", "text": "c1"}),
            ),
        ),
        case(
            "posting to a PROCESSBOX as a stranger",
            403,
            "forbidden",
            "POST",
            "/panoramix/messages/",
            msg(
                json!({"endpoint_id": "closed", "box": "PROCESSBOX", "sender": "s", "recipient": "r", "text": "x", "serial": 0}),
            ),
        ),
        case(
            "posting to an OUTBOX",
            403,
            "forbidden",
            "POST",
            "/panoramix/messages/",
            msg(
                json!({"endpoint_id": "gw", "box": "OUTBOX", "sender": "s", "recipient": "r", "text": "x"}),
            ),
        ),
        case(
            "duplicate message",
            409,
            "duplicate",
            "POST",
            "/panoramix/messages/",
            msg(
                json!({"endpoint_id": "gw", "box": "INBOX", "sender": "s", "recipient": "r", "text": "m1"}),
            ),
        ),
        case(
            "inbox at size_max",
            429,
            "inbox_full",
            "POST",
            "/panoramix/messages/",
            msg(
                json!({"endpoint_id": "small", "box": "INBOX", "sender": "s", "recipient": "r", "text": "one too many"}),
            ),
        ),
        case(
            "unknown endpoint",
            404,
            "not_found",
            "POST",
            "/panoramix/messages/",
            msg(json!({"endpoint_id": "nope", "box": "INBOX", "text": "x"})),
        ),
        case(
            "contribution from a non-participant",
            403,
            "forbidden",
            "POST",
            "/panoramix/contributions/",
            outsider,
        ),
        case(
            "contribution relayed by another key",
            403,
            "contribution_signer_mismatch",
            "POST",
            "/panoramix/contributions/",
            forged_contribution,
        ),
        case(
            "registering oneself as an authority",
            403,
            "forbidden",
            "POST",
            "/panoramix/peers/",
            self_authority,
        ),
        case(
            "by_consensus on a route that applies none",
            400,
            "invalid",
            "POST",
            "/panoramix/messages/",
            msg_with_consensus,
        ),
        case(
            "unknown path",
            404,
            "not_found",
            "POST",
            "/panoramix/nothing/",
            b"{}".to_vec(),
        ),
        case(
            "wrong method",
            405,
            "method_not_allowed",
            "DELETE",
            "/panoramix/messages/",
            Vec::new(),
        ),
        case(
            "listing messages without endpoint_id",
            400,
            "invalid",
            "GET",
            "/panoramix/messages/",
            Vec::new(),
        ),
    ];
    cases.extend(bad_transitions);

    for c in &cases {
        let before = srv.dump();
        let err = stranger
            .send_raw(&c.method, &c.path, &c.body)
            .expect_err(&format!("{}: was accepted", c.name));
        assert_eq!(
            (err.status(), err.code()),
            (Some(c.status), Some(c.code)),
            "{}: got {err}",
            c.name
        );
        assert_eq!(before, srv.dump(), "{}: the store changed", c.name);
    }
    // the log is still whole
    let (code, out, err) = run_cli(&["audit", "verify", &srv.url], None);
    assert_eq!(code, 0, "{out}{err}");
}
