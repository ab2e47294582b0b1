//! The adversarial suite: a stranger, a replaying client, a non-owner, a malicious
//! co-owner and a malicious mixer try what the authorization table forbids and the
//! tricks that worked against the original implementation. Every attempt must get its
//! specific 4xx and leave the whole store (audit log included) byte-for-byte
//! unchanged; the audit log verifies afterwards and names the real signer of every
//! accepted request. The table of attacks is in `docs/security.md`.
//!
//! Attacks already asserted elsewhere are not repeated here: `tests/bad_inputs.rs`
//! (signature, staleness, replay of a message request, foreign controller, consensus
//! reuse/mismatch, PROCESSED before CLOSED, outsider and relayed contributions,
//! OUTBOX/linked inbox/PROCESSBOX posting by a stranger, inbox full, self-made
//! authority) and `tests/mixnet_faults.rs` (cheating mixers, forged proofs, a
//! malformed message, a replayed Sphinx packet). Keys at rest (the native CLI's key
//! files) are in `tests/keys_at_rest.rs`.
mod common;

use common::*;
use panoramix_client::Client;
use serde_json::{Map, Value as Json, json};

/// One attack: who tries it, the raw request, and the answer it must get.
struct Attack {
    name: &'static str,
    who: &'static Client,
    status: u16,
    code: &'static str,
    method: &'static str,
    path: String,
    body: Vec<u8>,
}

fn leak(c: Client) -> &'static Client {
    Box::leak(Box::new(c))
}

fn contribution(c: &Client, neg: &str, text: &str) -> Vec<u8> {
    let signature = panoramix_core::negotiation::sign_contribution(c.key(), neg, text);
    let info = c.info("contribution", "create", Map::new());
    c.envelope(
        json!({"negotiation_id": neg, "text": text, "signature": signature}),
        info,
        None,
    )
    .unwrap()
    .to_string()
    .into_bytes()
}

fn last_consensus(r: &Json) -> String {
    r["data"]["last_consensus_id"].as_str().unwrap().to_owned()
}

fn audit_verifies(srv: &TestServer) {
    let (code, out, err) = run_cli(&["audit", "verify", &srv.url], None);
    assert_eq!(code, 0, "audit verify: {out}{err}");
}

#[test]
fn attacks_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let p1 = leak(peer(&srv, "owner-1"));
    // the malicious co-owner of the joint peer
    let p2 = leak(peer(&srv, "co-owner"));
    // a registered peer owning nothing here
    let p3 = leak(peer(&srv, "non-owner"));
    let stranger = leak(srv.client());

    // joint peer J = {p1, p2}; its private mix endpoint and a public gateway
    let joint = p1.joint_peer_action("j", &[p1.id(), p2.id()], "SPHINXMIX", json!({}));
    let cid = agree(&[p1, p2], std::slice::from_ref(&joint));
    let jid = p1.apply(&joint, &cid, None).unwrap()["data"]["peer_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ep = |spec: Json| {
        let a = p1.endpoint_action(&spec);
        let c = agree(&[p1, p2], std::slice::from_ref(&a));
        last_consensus(&p1.apply(&a, &c, None).unwrap())
    };
    let mix_last = ep(
        json!({"endpoint_id": "mix", "peer_id": jid, "endpoint_type": "SPHINXMIX",
        "size_min": 1, "size_max": 10, "public": false}),
    );
    let gw_last = ep(
        json!({"endpoint_id": "gw", "peer_id": jid, "endpoint_type": "SPHINXMIX_GATEWAY",
        "size_min": 1, "size_max": 10, "public": true}),
    );
    // p1's own endpoint, closed with one message
    let own_a = p1.endpoint_action(&json!({"endpoint_id": "own", "peer_id": p1.id(),
        "endpoint_type": "SPHINXMIX", "size_min": 1, "size_max": 5, "public": true}));
    let c = p1
        .self_consensus("own", std::slice::from_ref(&own_a))
        .unwrap();
    let own_last = last_consensus(&p1.apply(&own_a, &c, None).unwrap());
    let h_own = stranger
        .post_message("own", "INBOX", "s", "r", "o1", None)
        .unwrap()
        .message_hash;
    let close = p1.transition_action(
        "own",
        &own_last,
        "CLOSED",
        std::slice::from_ref(&h_own),
        None,
    );
    let c = p1
        .self_consensus("close", std::slice::from_ref(&close))
        .unwrap();
    let own_closed = last_consensus(&p1.apply(&close, &c, None).unwrap());

    // a legitimate message in the gateway, posted by the stranger with a forged sender
    let h_gw = stranger
        .post_message("gw", "INBOX", &p1.id(), "r", "g1", None)
        .unwrap()
        .message_hash;

    // --- a negotiation between p1 and p2; p2 proposes, then accepts
    let next = p1.endpoint_action(&json!({"endpoint_id": "next", "peer_id": jid,
        "endpoint_type": "SPHINXMIX", "size_min": 1, "size_max": 2}));
    let neg = p1
        .create_negotiation("next", Some(&[p1.id(), p2.id()]))
        .unwrap();
    let proposal = Client::text_for(std::slice::from_ref(&next), false, Default::default());
    let accept = Client::text_for(std::slice::from_ref(&next), true, Default::default());
    p1.contribute(&neg, &proposal).unwrap();
    // p2's proposal, kept as bytes: the replaying client will resend it
    let p2_old = contribution(p2, &neg, &proposal);
    p2.send_raw("POST", "/panoramix/contributions/", &p2_old)
        .unwrap();
    // p2 accepts; p1 has not yet: the negotiation is open
    p2.contribute(&neg, &accept).unwrap();
    let open_neg = neg.clone();
    // a closed negotiation (self-consensus of p3)
    let p3_a = p3.endpoint_action(&json!({"endpoint_id": "p3ep", "peer_id": p3.id(),
        "endpoint_type": "SPHINXMIX", "size_min": 1, "size_max": 2}));
    let p3_neg = p3.create_negotiation("p3", Some(&[p3.id()])).unwrap();
    let p3_accept = Client::text_for(std::slice::from_ref(&p3_a), true, Default::default());
    assert!(
        p3.contribute(&p3_neg, &p3_accept)
            .unwrap()
            .consensus
            .is_some()
    );

    // --- consensuses the malicious co-owner makes alone, or alters
    let co_alone = p2.endpoint_action(&json!({"endpoint_id": "rogue", "peer_id": jid,
        "endpoint_type": "SPHINXMIX", "size_min": 1, "size_max": 2, "public": true}));
    let co_alone_cid = p2
        .self_consensus("rogue", std::slice::from_ref(&co_alone))
        .unwrap();
    let close_mix =
        p1.transition_action("gw", &gw_last, "CLOSED", std::slice::from_ref(&h_gw), None);
    let close_mix_cid = agree(&[p1, p2], std::slice::from_ref(&close_mix));
    // p2 applies the agreed close, but with an empty hash set (dropping the message)
    let mut altered = close_mix.clone();
    altered.data["message_hashes"] = json!([]);
    // a role assignment by a non-authority
    let role = p3.action(
        "POST",
        "/panoramix/roles/",
        "role",
        "update",
        json!({"peer_id": p3.id(), "role": "auditor", "action": "assign"}),
        Default::default(),
    );
    let role_cid = p3
        .self_consensus("role", std::slice::from_ref(&role))
        .unwrap();
    // the non-owner closes the joint peer's endpoint with its own consensus
    let foreign_close = p3.transition_action("mix", &mix_last, "CLOSED", &[], None);
    let foreign_close_cid = p3
        .self_consensus("close", std::slice::from_ref(&foreign_close))
        .unwrap();
    // the owner marks its own CLOSED endpoint PROCESSED with a proof for the wrong chain
    let processed_wrong_chain = p1.transition_action("own", &own_last, "PROCESSED", &[], None);
    let pwc_cid = p1
        .self_consensus("pwc", std::slice::from_ref(&processed_wrong_chain))
        .unwrap();
    let _ = own_closed;

    let msg = |who: &Client, data: Json| message_body(who, data);
    let attacks = vec![
        // -------- replaying client
        Attack {
            name: "replaying a signer's earlier contribution (rollback)",
            who: stranger,
            status: 409,
            code: "replay",
            method: "POST",
            path: "/panoramix/contributions/".into(),
            body: p2_old.clone(),
        },
        // -------- stranger
        Attack {
            name: "contributing to a negotiation restricted to others",
            who: stranger,
            status: 403,
            code: "forbidden",
            method: "POST",
            path: "/panoramix/contributions/".into(),
            body: contribution(stranger, &open_neg, &accept),
        },
        Attack {
            name: "contributing to a closed negotiation",
            who: p3,
            status: 409,
            code: "negotiation_closed",
            method: "POST",
            path: "/panoramix/contributions/".into(),
            body: contribution(
                p3,
                &p3_neg,
                &Client::text_for(std::slice::from_ref(&p3_a), false, Default::default()),
            ),
        },
        Attack {
            name: "posting into a mix's private inbox (n-1)",
            who: stranger,
            status: 403,
            code: "forbidden",
            method: "POST",
            path: "/panoramix/messages/".into(),
            body: msg(
                stranger,
                json!({"endpoint_id": "mix", "box": "INBOX", "sender": "s", "recipient": "r", "text": "n-1"}),
            ),
        },
        Attack {
            name: "forging sender (an owner's id) into a private inbox",
            who: stranger,
            status: 403,
            code: "forbidden",
            method: "POST",
            path: "/panoramix/messages/".into(),
            body: msg(
                stranger,
                json!({"endpoint_id": "mix", "box": "INBOX", "sender": p1.id(), "recipient": "r", "text": "forged"}),
            ),
        },
        Attack {
            name: "posting into the INBOX of a CLOSED endpoint",
            who: stranger,
            status: 422,
            code: "wrong_state",
            method: "POST",
            path: "/panoramix/messages/".into(),
            body: msg(
                stranger,
                json!({"endpoint_id": "own", "box": "INBOX", "sender": "s", "recipient": "r", "text": "late"}),
            ),
        },
        Attack {
            name: "posting into ACCEPTED",
            who: stranger,
            status: 403,
            code: "forbidden",
            method: "POST",
            path: "/panoramix/messages/".into(),
            body: msg(
                stranger,
                json!({"endpoint_id": "own", "box": "ACCEPTED", "sender": "s", "recipient": "r", "text": "x"}),
            ),
        },
        Attack {
            name: "duplicate message (same hash) in an inbox",
            who: stranger,
            status: 409,
            code: "duplicate",
            method: "POST",
            path: "/panoramix/messages/".into(),
            body: msg(
                stranger,
                json!({"endpoint_id": "gw", "box": "INBOX", "sender": p1.id(), "recipient": "r", "text": "g1"}),
            ),
        },
        // -------- non-owner
        Attack {
            name: "non-owner posting into a private inbox",
            who: p3,
            status: 403,
            code: "forbidden",
            method: "POST",
            path: "/panoramix/messages/".into(),
            body: msg(
                p3,
                json!({"endpoint_id": "mix", "box": "INBOX", "sender": "s", "recipient": "r", "text": "x"}),
            ),
        },
        Attack {
            name: "non-owner posting into a CLOSED PROCESSBOX",
            who: p3,
            status: 403,
            code: "forbidden",
            method: "POST",
            path: "/panoramix/messages/".into(),
            body: msg(
                p3,
                json!({"endpoint_id": "own", "box": "PROCESSBOX", "sender": "s", "recipient": "r", "text": "x", "serial": 0}),
            ),
        },
        Attack {
            name: "non-owner closing another peer's endpoint",
            who: p3,
            status: 403,
            code: "forbidden",
            method: "PATCH",
            path: "/panoramix/endpoints/mix/".into(),
            body: applied(p3, &foreign_close, &foreign_close_cid),
        },
        Attack {
            name: "assigning a role without the authorities",
            who: p3,
            status: 403,
            code: "forbidden",
            method: "POST",
            path: "/panoramix/roles/".into(),
            body: applied(p3, &role, &role_cid),
        },
        // -------- owner, wrong state
        Attack {
            name: "owner posting into the PROCESSBOX of an OPEN endpoint",
            who: p1,
            status: 422,
            code: "wrong_state",
            method: "POST",
            path: "/panoramix/messages/".into(),
            body: msg(
                p1,
                json!({"endpoint_id": "gw", "box": "PROCESSBOX", "sender": "s", "recipient": "r", "text": "x", "serial": 0}),
            ),
        },
        Attack {
            name: "reusing a superseded on_last_consensus_id",
            who: p1,
            status: 409,
            code: "wrong_last_consensus",
            method: "PATCH",
            path: "/panoramix/endpoints/own/".into(),
            body: applied(p1, &processed_wrong_chain, &pwc_cid),
        },
        // -------- malicious co-owner
        Attack {
            name: "co-owner acting for the joint peer alone",
            who: p2,
            status: 403,
            code: "consensus_mismatch",
            method: "POST",
            path: "/panoramix/endpoints/".into(),
            body: applied(p2, &co_alone, &co_alone_cid),
        },
        Attack {
            name: "co-owner applying an agreed close with altered hashes",
            who: p2,
            status: 403,
            code: "consensus_mismatch",
            method: "PATCH",
            path: "/panoramix/endpoints/gw/".into(),
            body: applied(p2, &altered, &close_mix_cid),
        },
    ];

    for a in &attacks {
        let before = srv.dump();
        let err = a
            .who
            .send_raw(a.method, &a.path, &a.body)
            .expect_err(&format!("{}: was accepted", a.name));
        assert_eq!(
            (err.status(), err.code()),
            (Some(a.status), Some(a.code)),
            "{}: got {err}",
            a.name
        );
        assert_eq!(before, srv.dump(), "{}: the store changed", a.name);
    }
    // p2's rollback failed: its latest contribution is still the accept
    let latest = p1.contributions(&open_neg).unwrap();
    let p2_latest = latest
        .iter()
        .find(|c| c.signer_key_id == p2.id())
        .expect("p2's contribution");
    assert_eq!(p2_latest.text, accept);

    // the legitimate close still works after the altered attempt
    p1.apply(&close_mix, &close_mix_cid, None).unwrap();

    // the audit log verifies, and the forged-sender message is recorded under the
    // stranger's key, never under p1's
    audit_verifies(&srv);
    let (records, _) = stranger.audit_log().unwrap();
    let entry = records
        .iter()
        .find(|r| r.entry.contains(&h_gw) && r.entry.contains("message.create"))
        .expect("the gateway message is logged");
    assert!(entry.entry.contains(&stranger.id()), "{}", entry.entry);
    // the co-owner's lone consensus (a negotiation of its own, logged as such) made
    // no endpoint
    assert_eq!(p1.endpoint("rogue").unwrap_err().status(), Some(404));
}

/// `("ab","c")` and `("a","bc")` collided in the original's undelimited hash; here
/// they are two distinct messages.
#[test]
fn undelimited_hash_collision_does_not_happen() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let p1 = peer(&srv, "p1");
    let a = p1.endpoint_action(&json!({"endpoint_id": "e", "peer_id": p1.id(),
        "endpoint_type": "SPHINXMIX", "size_min": 1, "size_max": 5, "public": true}));
    let c = p1.self_consensus("e", std::slice::from_ref(&a)).unwrap();
    p1.apply(&a, &c, None).unwrap();
    let s = srv.client();
    let h1 = s
        .post_message("e", "INBOX", "ab", "c", "t", None)
        .unwrap()
        .message_hash;
    let h2 = s
        .post_message("e", "INBOX", "a", "bc", "t", None)
        .unwrap()
        .message_hash;
    let h3 = s
        .post_message("e", "INBOX", "a", "b", "ct", None)
        .unwrap()
        .message_hash;
    assert_ne!(h1, h2);
    assert_ne!(h2, h3);
    assert_eq!(s.messages("e", "INBOX").unwrap().len(), 3);
    audit_verifies(&srv);
}

/// A public endpoint `e` of a fresh peer on a server started with `flags`.
fn server_with_endpoint(dir: &std::path::Path, flags: &[&str]) -> (TestServer, Client) {
    let srv = TestServer::start_with(&dir.join("controller.sqlite3"), flags);
    let p1 = peer(&srv, "p1");
    let a = p1.endpoint_action(&json!({"endpoint_id": "e", "peer_id": p1.id(),
        "endpoint_type": "SPHINXMIX", "size_min": 1, "size_max": 1000, "public": true}));
    let c = p1.self_consensus("e", std::slice::from_ref(&a)).unwrap();
    p1.apply(&a, &c, None).unwrap();
    (srv, p1)
}

fn assert_refused(srv: &TestServer, c: &Client, body: &[u8], status: u16, code: &str) {
    let before = srv.dump();
    let e = c
        .send_raw("POST", "/panoramix/messages/", body)
        .expect_err("accepted");
    assert_eq!((e.status(), e.code()), (Some(status), Some(code)), "{e}");
    assert_eq!(before, srv.dump(), "the store changed");
}

#[test]
fn one_key_flooding_is_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let (srv, _p1) = server_with_endpoint(
        dir.path(),
        &["--rate-per-key", "0.5", "--rate-burst-per-key", "10"],
    );
    let flooder = srv.client();
    for i in 0..10 {
        flooder
            .post_message("e", "INBOX", "s", "r", &format!("m{i}"), None)
            .unwrap();
    }
    let body = message_body(
        &flooder,
        json!({"endpoint_id": "e", "box": "INBOX", "sender": "s", "recipient": "r", "text": "one more"}),
    );
    assert_refused(&srv, &flooder, &body, 429, "rate_limited");
    // Retry-After: the time the key's bucket takes to refill a token (1 / 0.5 s)
    let r = panoramix_client::agent()
        .post(&format!("{}/panoramix/messages/", srv.url))
        .set("content-type", "application/json")
        .send_bytes(&body);
    match r {
        Err(ureq::Error::Status(429, r)) => assert_eq!(r.header("retry-after"), Some("2")),
        other => panic!("expected a 429: {other:?}"),
    }
    // another key is not affected
    srv.client()
        .post_message("e", "INBOX", "s", "r", "someone else", None)
        .unwrap();
    audit_verifies(&srv);
}

#[test]
fn one_endpoint_flooded_by_many_keys_is_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    // the endpoint's creation is the first request charged to it
    let (srv, _p1) = server_with_endpoint(
        dir.path(),
        &[
            "--rate-per-endpoint",
            "0.5",
            "--rate-burst-per-endpoint",
            "6",
        ],
    );
    for i in 0..5 {
        srv.client()
            .post_message("e", "INBOX", "s", "r", &format!("m{i}"), None)
            .unwrap();
    }
    let c = srv.client();
    let body = message_body(
        &c,
        json!({"endpoint_id": "e", "box": "INBOX", "sender": "s", "recipient": "r", "text": "one more"}),
    );
    assert_refused(&srv, &c, &body, 429, "rate_limited");
    audit_verifies(&srv);
}

/// Clients over a tight limit back off (honouring `Retry-After`) and get through:
/// every post is eventually stored exactly once, and each client received at most
/// about one 429 per second of its run, not a 429 per busy-loop turn.
#[test]
fn rate_limited_clients_back_off_and_get_through() {
    let dir = tempfile::tempdir().unwrap();
    // the owner's own set-up (6 signed requests) already runs into the key limit
    let (srv, _p1) = server_with_endpoint(
        dir.path(),
        &[
            "--rate-per-key",
            "4",
            "--rate-burst-per-key",
            "4",
            "--rate-per-endpoint",
            "6",
            "--rate-burst-per-endpoint",
            "6",
        ],
    );
    const CLIENTS: usize = 4;
    const POSTS: usize = 10;
    let t0 = std::time::Instant::now();
    let counts: Vec<(u64, f64)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..CLIENTS)
            .map(|ci| {
                let c = srv.client();
                s.spawn(move || {
                    let t = std::time::Instant::now();
                    for i in 0..POSTS {
                        c.post_message("e", "INBOX", "s", "r", &format!("c{ci}-m{i}"), None)
                            .expect("a rate-limited post eventually succeeds");
                    }
                    (c.rate_limited_count(), t.elapsed().as_secs_f64())
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = t0.elapsed().as_secs_f64();
    let total: u64 = counts.iter().map(|c| c.0).sum();
    eprintln!(
        "{} posts in {elapsed:.1} s, {total} answers 429: {counts:?}",
        CLIENTS * POSTS
    );
    // 40 posts through an endpoint limited to 6/s (burst 6) take several seconds...
    assert!(elapsed >= 4.0, "the limit did not apply: {elapsed:.1} s");
    assert!(total > 0, "no client was ever limited");
    // ...and each client waits at least Retry-After (1 s) after each 429
    for (n, secs) in &counts {
        assert!(
            *n as f64 <= secs + 1.0,
            "a client hammered: {n} 429s in {secs:.1} s"
        );
    }
    let stored = srv.client().messages("e", "INBOX").unwrap();
    let mut texts: Vec<&str> = stored.iter().map(|m| m.text.as_str()).collect();
    texts.sort_unstable();
    texts.dedup();
    assert_eq!(
        (stored.len(), texts.len()),
        (CLIENTS * POSTS, CLIENTS * POSTS)
    );
    // without retries the limit is returned as it is
    let mut impatient = srv.client();
    impatient.set_retry_policy(panoramix_client::RetryPolicy::none());
    let refused = (0..20).find_map(|i| {
        impatient
            .post_message("e", "INBOX", "s", "r", &format!("x{i}"), None)
            .err()
    });
    let e = refused.expect("20 posts at once passed a limit of 6/s");
    assert_eq!((e.status(), e.code()), (Some(429), Some("rate_limited")));
    assert_eq!(impatient.rate_limited_count(), 1);
    audit_verifies(&srv);
}

#[test]
fn oversized_message_and_body_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (srv, _p1) =
        server_with_endpoint(dir.path(), &["--max-message", "100", "--max-body", "4096"]);
    let c = srv.client();
    let body = message_body(
        &c,
        json!({"endpoint_id": "e", "box": "INBOX", "sender": "s", "recipient": "r", "text": "x".repeat(101)}),
    );
    assert_refused(&srv, &c, &body, 413, "too_large");
    let body = message_body(
        &c,
        json!({"endpoint_id": "e", "box": "INBOX", "sender": "s", "recipient": "r", "text": "x".repeat(5000)}),
    );
    assert_refused(&srv, &c, &body, 413, "too_large");
    c.post_message("e", "INBOX", "s", "r", &"x".repeat(100), None)
        .unwrap();
}

/// A backlog of stale nonces (a busy period, then a pause) is pruned a bounded number
/// of rows per signed request, never all at once: a 10-minute soak found one request
/// deleting a million nonces inside its savepoint, holding the writer for minutes.
#[test]
fn stale_nonces_are_pruned_in_bounded_steps() {
    if not_applicable(
        Host::Worker,
        "pre-fills the native server's SQLite file with stale nonces; nothing outside a Worker writes its Durable Object storage",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("controller.sqlite3");
    drop(TestServer::start_with(&db, &[])); // the schema
    const STALE: i64 = 50_000;
    let hour_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 3600;
    {
        let mut c = rusqlite::Connection::open(&db).unwrap();
        let tx = c.transaction().unwrap();
        {
            let mut st = tx
                .prepare("INSERT INTO nonces (signer, nonce, ts) VALUES ('stale', ?1, ?2)")
                .unwrap();
            for i in 0..STALE {
                st.execute(rusqlite::params![format!("n{i}"), hour_ago])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    let srv = TestServer::start_with(&db, &[]);
    for i in 0..5 {
        peer(&srv, &format!("p{i}"));
    }
    drop(srv);
    let c = rusqlite::Connection::open(&db).unwrap();
    let count = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
    let fresh = count("SELECT COUNT(*) FROM nonces WHERE signer <> 'stale'");
    let stale = count("SELECT COUNT(*) FROM nonces WHERE signer = 'stale'");
    assert!(fresh >= 5, "{fresh} signed requests recorded");
    assert_eq!(
        stale,
        STALE - fresh * panoramix_controller::NONCE_PRUNE_BATCH,
        "each signed request prunes exactly its batch of the backlog"
    );
}
