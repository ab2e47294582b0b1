//! The seed's scenario (§3.3.4, appendix A) over real HTTP with three peers:
//! registration, a joint peer negotiated by invitation, an endpoint created by
//! consensus, messages posted, closing with message hashes, PROCESSBOX upload,
//! PROCESSED, OUTBOX read; then a link into a second endpoint, and the audit log.
mod common;

use common::*;
use panoramix_core::model::{message_hash, set_hash};
use panoramix_core::wire::NegotiationStatus;
use serde_json::json;

#[test]
fn seed_scenario_three_peers() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());

    // registration: each contributor registers its key by self-consensus
    let p1 = peer(&srv, "peer1");
    let p2 = peer(&srv, "peer2");
    let p3 = peer(&srv, "peer3");
    let got = p1.peer(&p1.id()).unwrap();
    assert_eq!(got.key_data, p1.key().key_data());
    assert_eq!(got.roles, ["contributor"]);

    // the joint peer: peer1 proposes, peers 2 and 3 join, all accept
    let owners = vec![p1.id(), p2.id(), p3.id()];
    let joint = p1.joint_peer_action(
        "our_mix-net",
        &owners,
        "SPHINXMIX",
        json!({"BODY_LEN": 1024}),
    );
    let cid = agree(&[&p1, &p2, &p3], std::slice::from_ref(&joint));
    let neg = p2.negotiation(&cid).unwrap();
    assert_eq!(neg.status, NegotiationStatus::Done);
    assert_eq!(neg.signings.len(), 3);
    // anyone can recompute the consensus id with the original's rules
    let record = json!({"negotiation_id": neg.id, "text": neg.text, "signings": neg.signings, "timestamp": neg.timestamp});
    let (code, out, err) = run_cli(&["consensus-id"], Some(&record.to_string()));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), cid);
    let created = p1.apply(&joint, &cid, None).unwrap()["data"].clone();
    let joint_id = created["peer_id"].as_str().unwrap().to_owned();
    assert_eq!(created["owners"].as_array().unwrap().len(), 3);

    // the gateway endpoint, created by consensus of all owners
    let gw = p1.endpoint_action(&json!({
        "endpoint_id": "gateway_1", "peer_id": joint_id, "endpoint_type": "SPHINXMIX_GATEWAY",
        "size_min": 3, "size_max": 10, "public": true, "description": "the mix-net gateway", "links": [],
    }));
    let cid = agree(&[&p1, &p2, &p3], std::slice::from_ref(&gw));
    let ep = p1.apply(&gw, &cid, None).unwrap()["data"].clone();
    assert_eq!(ep["status"], "OPEN");
    assert_eq!(ep["consensus_logs"][0]["consensus_id"], json!(cid));

    // an unregistered client posts five messages
    let client = srv.client();
    let mut hashes = Vec::new();
    for i in 0..5 {
        let m = client
            .post_message(
                "gateway_1",
                "INBOX",
                "alice",
                "mixnet",
                &format!("ciphertext {i}"),
                None,
            )
            .unwrap();
        assert_eq!(
            m.message_hash,
            message_hash(None, "alice", "mixnet", &format!("ciphertext {i}"))
        );
        hashes.push(m.message_hash);
    }

    // close, taking four of the five
    let last = ep["last_consensus_id"].as_str().unwrap();
    let taken = hashes[..4].to_vec();
    let close = p1.transition_action("gateway_1", last, "CLOSED", &taken, None);
    let cid_close = agree(&[&p2, &p1, &p3], std::slice::from_ref(&close));
    let ep = p3.apply(&close, &cid_close, None).unwrap()["data"].clone();
    assert_eq!(ep["status"], "CLOSED");
    assert_eq!(ep["inbox_hash"], json!(set_hash(&taken)));
    assert_eq!(p1.messages("gateway_1", "ACCEPTED").unwrap().len(), 4);
    assert_eq!(
        p1.messages("gateway_1", "INBOX").unwrap().len(),
        1,
        "the fifth stays in the INBOX"
    );

    // each owner can read the agreed input; one uploads the processed output
    let mut out_hashes = Vec::new();
    for (i, m) in p1
        .messages("gateway_1", "ACCEPTED")
        .unwrap()
        .iter()
        .enumerate()
    {
        let text = format!("processed {}", m.text);
        let r = p1
            .post_message(
                "gateway_1",
                "PROCESSBOX",
                &joint_id,
                "bob",
                &text,
                Some(i as i64),
            )
            .unwrap();
        out_hashes.push(r.message_hash);
    }
    // a stranger cannot upload
    let e = client
        .post_message("gateway_1", "PROCESSBOX", "x", "y", "forged", Some(9))
        .unwrap_err();
    assert_eq!(e.status(), Some(403));

    let processed = p1.transition_action(
        "gateway_1",
        &cid_close,
        "PROCESSED",
        &out_hashes,
        Some(json!("")),
    );
    let cid_proc = agree(&[&p1, &p2, &p3], std::slice::from_ref(&processed));
    let ep = p2.apply(&processed, &cid_proc, None).unwrap()["data"].clone();
    assert_eq!(ep["status"], "PROCESSED");
    assert_eq!(ep["outbox_hash"], json!(set_hash(&out_hashes)));
    assert_eq!(ep["consensus_logs"].as_array().unwrap().len(), 3);
    let outbox = client.messages("gateway_1", "OUTBOX").unwrap();
    assert_eq!(outbox.len(), 4);
    assert!(outbox.iter().all(|m| m.text.starts_with("processed ")));

    // a link: peer1's own mix endpoint takes the gateway's ACCEPTED box as input
    let mix = p1.endpoint_action(&json!({
        "endpoint_id": "mix_peer1_1", "peer_id": p1.id(), "endpoint_type": "SPHINXMIX", "size_min": 1, "size_max": 10,
        "links": [{"from_endpoint_id": "gateway_1", "from_box": "ACCEPTED", "to_box": "INBOX"}],
    }));
    let cid_mix = p1
        .self_consensus("mix endpoint", std::slice::from_ref(&mix))
        .unwrap();
    p1.apply(&mix, &cid_mix, None).unwrap();
    let accepted = p1.messages("gateway_1", "ACCEPTED").unwrap();
    let first = &accepted[0];
    // a stranger may not feed it, even with a genuine message
    let e = client
        .post_message("mix_peer1_1", "INBOX", "alice", "mixnet", &first.text, None)
        .unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(403), Some("forbidden")));
    // the owner may, with messages that are in the source box, once
    p1.post_message("mix_peer1_1", "INBOX", "alice", "mixnet", &first.text, None)
        .unwrap();
    let e = p1
        .post_message("mix_peer1_1", "INBOX", "eve", "mixnet", &first.text, None)
        .unwrap_err();
    assert_eq!(
        e.status(),
        Some(409),
        "the same input twice under another sender"
    );
    let e = p1
        .post_message("mix_peer1_1", "INBOX", "alice", "mixnet", "injected", None)
        .unwrap_err();
    assert_eq!(e.status(), Some(403), "not in the linked box");

    // listing pages
    let page = p1.get("/panoramix/endpoints/?limit=1").unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["next"], json!("gateway_1"));
    let page2 = p1
        .get("/panoramix/endpoints/?limit=1&after=gateway_1")
        .unwrap();
    assert_eq!(page2["data"][0]["endpoint_id"], json!("mix_peer1_1"));

    // the audit log verifies, from outside
    let (code, out, err) = run_cli(&["audit", "verify", &srv.url], None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("audit log OK"), "{out}");
}

#[test]
fn graceful_shutdown_on_sigterm() {
    if not_applicable(
        Host::Worker,
        "a Worker gets no signals: SIGTERM to `wrangler dev` would test wrangler, not the controller",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut srv = TestServer::start(dir.path());
    let _p = peer(&srv, "p");
    assert!(srv.stop().success());
}
