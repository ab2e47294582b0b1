//! Concurrency through the controller's host: many clients posting into the same
//! inbox at once lose nothing and never push it past size_max; two owners racing to
//! apply the same close consensus yield exactly one transition.
//!
//! Written for the Worker (`PANORAMIX_TEST_TARGET=worker`, run by
//! `scripts/worker-test.sh`), where every request of the mix-net is serialized by
//! one Durable Object and each one's writes are one `transactionSync`; without the
//! variable the same checks run against the native server.
mod common;

use common::*;
use panoramix_client::Client;
use panoramix_core::Keypair;
use panoramix_core::model::EndpointStatus;
use serde_json::json;
use std::collections::HashSet;
use std::sync::{Arc, Barrier};

const CLIENTS: usize = 8;

/// A public gateway of `owner` taking at most `size_max` messages.
fn gateway(owner: &Client, id: &str, size_max: i64) {
    let a = owner.endpoint_action(&json!({
        "endpoint_id": id, "peer_id": owner.id(), "endpoint_type": "SPHINXMIX_GATEWAY",
        "size_min": 1, "size_max": size_max, "public": true, "description": "concurrency", "links": [],
    }));
    let c = owner.self_consensus(id, std::slice::from_ref(&a)).unwrap();
    owner.apply(&a, &c, None).unwrap();
}

/// `CLIENTS` threads, each with its own key and connection, post `per_client`
/// distinct messages to `endpoint` at the same time. Returns the hashes of the
/// accepted posts and the number refused with 429 inbox_full; any other answer fails.
fn flood(srv: &TestServer, endpoint: &str, per_client: usize) -> (Vec<String>, usize) {
    let start = Arc::new(Barrier::new(CLIENTS));
    let threads: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let client = srv.client();
            let start = start.clone();
            let endpoint = endpoint.to_owned();
            std::thread::spawn(move || {
                let mut acked = Vec::new();
                let mut full = 0usize;
                start.wait();
                for i in 0..per_client {
                    let text = format!("client {t} message {i}");
                    match client.post_message(&endpoint, "INBOX", "s", "r", &text, None) {
                        Ok(m) => acked.push(m.message_hash),
                        Err(e) if e.status() == Some(429) => {
                            assert_eq!(e.code(), Some("inbox_full"), "{e}");
                            full += 1;
                        }
                        Err(e) => panic!("client {t} post {i}: {e}"),
                    }
                }
                (acked, full)
            })
        })
        .collect();
    let mut acked = Vec::new();
    let mut full = 0;
    for t in threads {
        let (a, f) = t.join().unwrap();
        acked.extend(a);
        full += f;
    }
    (acked, full)
}

fn inbox_hashes(c: &Client, endpoint: &str) -> Vec<String> {
    c.messages(endpoint, "INBOX")
        .unwrap()
        .iter()
        .map(|m| m.message_hash.clone())
        .collect()
}

#[test]
fn concurrent_posts_lose_nothing_and_respect_size_max() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let owner = peer(&srv, "owner");

    // room for everything: every acknowledged post is stored, exactly once
    gateway(&owner, "roomy", 1000);
    let per_client = 12;
    let (acked, full) = flood(&srv, "roomy", per_client);
    assert_eq!(full, 0);
    assert_eq!(acked.len(), CLIENTS * per_client);
    let stored = inbox_hashes(&owner, "roomy");
    assert_eq!(stored.len(), acked.len(), "lost or duplicated posts");
    let stored: HashSet<_> = stored.into_iter().collect();
    assert_eq!(stored, acked.iter().cloned().collect::<HashSet<_>>());
    let ep = owner.endpoint("roomy").unwrap();
    assert_eq!(ep.inbox_count, acked.len() as i64, "{ep:?}");

    // more posts than room: exactly size_max are accepted, the rest get 429
    let size_max = 30;
    gateway(&owner, "tight", size_max);
    let (acked, full) = flood(&srv, "tight", 6);
    assert_eq!(
        acked.len(),
        size_max as usize,
        "accepted beyond or below size_max"
    );
    assert_eq!(full, CLIENTS * 6 - size_max as usize);
    let stored: HashSet<_> = inbox_hashes(&owner, "tight").into_iter().collect();
    assert_eq!(stored, acked.into_iter().collect::<HashSet<_>>());

    // and the audit log is one unbroken chain
    let (code, out, err) = run_cli(&["audit", "verify", &srv.url], None);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn racing_owners_apply_a_close_consensus_once() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let p1 = peer(&srv, "p1");
    let p2 = peer(&srv, "p2");
    let joint = p1.joint_peer_action("racers", &[p1.id(), p2.id()], "SPHINXMIX", json!({}));
    let cid = agree(&[&p1, &p2], std::slice::from_ref(&joint));
    let jid = p1.apply(&joint, &cid, None).unwrap()["data"]["peer_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sender = srv.client();
    for round in 0..3 {
        let id = format!("race_{round}");
        let gw = p1.endpoint_action(&json!({
            "endpoint_id": id, "peer_id": jid, "endpoint_type": "SPHINXMIX_GATEWAY",
            "size_min": 1, "size_max": 10, "public": true,
        }));
        let cid = agree(&[&p1, &p2], std::slice::from_ref(&gw));
        let last = p1.apply(&gw, &cid, None).unwrap()["data"]["last_consensus_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let h = sender
            .post_message(&id, "INBOX", "s", "r", "m", None)
            .unwrap()
            .message_hash;
        let close = p1.transition_action(&id, &last, "CLOSED", std::slice::from_ref(&h), None);
        let cid_close = agree(&[&p1, &p2], std::slice::from_ref(&close));

        // both owners apply the same consensus at the same moment
        let start = Arc::new(Barrier::new(2));
        let racers: Vec<_> = [&p1, &p2]
            .into_iter()
            .map(|p| {
                let key = Keypair::from_secret_hex(&p.key().secret_hex()).unwrap();
                let p = Client::connect(&srv.url, key).unwrap();
                let (close, cid_close, start) = (close.clone(), cid_close.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    p.apply(&close, &cid_close, None)
                })
            })
            .collect();
        let results: Vec<_> = racers.into_iter().map(|t| t.join().unwrap()).collect();
        let won = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(won, 1, "round {round}: {results:?}");
        let lost = results.iter().find_map(|r| r.as_ref().err()).unwrap();
        assert_eq!(lost.status(), Some(409), "round {round}: {lost}");

        let ep = p2.endpoint(&id).unwrap();
        assert_eq!(ep.status, EndpointStatus::Closed);
        assert_eq!(
            ep.consensus_logs.len(),
            2,
            "one creation and one transition: {ep:?}"
        );
        assert_eq!(p1.messages(&id, "ACCEPTED").unwrap().len(), 1);
    }
    let (code, out, err) = run_cli(&["audit", "verify", &srv.url], None);
    assert_eq!(code, 0, "{out}{err}");
}
