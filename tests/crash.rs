//! Crash safety: kill -9 the controller during a stream of message posts from four
//! concurrent clients, restart it on the same database, and check that every post
//! that was answered 201 is in the INBOX exactly once and that the audit log
//! (downloaded from the restarted server) verifies.
//!
//! Posts in flight at the moment of the kill may or may not have been stored; only
//! acknowledged ones must be. Each client has at most one post in flight, so at most
//! `CLIENTS` stored messages may be unacknowledged.
mod common;

use common::*;
use panoramix_client::Client;
use panoramix_core::Keypair;
use panoramix_core::audit::verify_log;
use panoramix_core::model::{EndpointStatus, message_hash};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLIENTS: usize = 4;
/// Kill after this many acknowledged posts ...
const KILL_AFTER_ACKS: usize = 3000;
/// ... or after this long, whichever comes first.
const KILL_AFTER: Duration = Duration::from_millis(1500);
const ENDPOINT: &str = "crash_gateway";

#[test]
fn kill9_during_posts_keeps_every_acknowledged_message() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("controller.sqlite3");
    let mut srv = TestServer::start_with(&db, &[]);

    // an owner and a public entry endpoint that takes many messages
    let owner = peer(&srv, "owner");
    let ep = owner.endpoint_action(&json!({
        "endpoint_id": ENDPOINT, "peer_id": owner.id(), "endpoint_type": "SPHINXMIX_GATEWAY",
        "size_min": 1, "size_max": 100_000, "public": true, "description": "crash test", "links": [],
    }));
    let cid = owner
        .self_consensus("crash endpoint", std::slice::from_ref(&ep))
        .unwrap();
    owner.apply(&ep, &cid, None).unwrap();
    let controller_id = owner.controller_id().to_owned();

    // four unregistered clients post a stream of distinct messages
    let secrets: Vec<String> = (0..CLIENTS)
        .map(|_| {
            Keypair::generate(&mut rand_core::OsRng)
                .secret_hex()
                .to_string()
        })
        .collect();
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let n_acked = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for (t, secret) in secrets.iter().enumerate() {
        let key = Keypair::from_secret_hex(secret).unwrap();
        let client = Client::connect(&srv.url, key).unwrap();
        let (acked, n_acked, stop) = (acked.clone(), n_acked.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            let mut errors = 0usize;
            for i in 0.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let text = format!("client {t} message {i} {}", "x".repeat(200));
                match client.post_message(ENDPOINT, "INBOX", "alice", "mixnet", &text, None) {
                    Ok(m) => {
                        let h = m.message_hash;
                        assert_eq!(h, message_hash(None, "alice", "mixnet", &text));
                        acked.lock().unwrap().push(h);
                        n_acked.fetch_add(1, Ordering::Relaxed);
                    }
                    // the server is gone: this post's fate is unknown; stop posting
                    Err(e) if e.status().is_none() => break,
                    Err(e) => {
                        errors += 1;
                        assert!(errors < 10, "client {t}: unexpected API error {e}");
                    }
                }
            }
        }));
    }

    // kill -9 while posts are in flight
    let t0 = Instant::now();
    while n_acked.load(Ordering::Relaxed) < KILL_AFTER_ACKS && t0.elapsed() < KILL_AFTER {
        std::thread::sleep(Duration::from_millis(5));
    }
    let before_kill = n_acked.load(Ordering::Relaxed);
    srv.kill9();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("client thread");
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(before_kill > 0, "no post was acknowledged before the kill");
    assert!(acked.len() >= before_kill);

    // restart on the same database (and the controller key beside it)
    let srv = TestServer::start_with(&db, &[]);
    let reader = srv.client();
    assert_eq!(
        reader.controller_id(),
        controller_id,
        "the controller id survives a restart"
    );

    let inbox = reader.messages(ENDPOINT, "INBOX").unwrap();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for m in &inbox {
        *counts.entry(m.message_hash.as_str()).or_default() += 1;
    }
    let dups: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        dups.is_empty(),
        "duplicated messages in the INBOX: {dups:?}"
    );
    let missing: Vec<&String> = acked
        .iter()
        .filter(|h| !counts.contains_key(h.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged posts lost of {}: {missing:?}",
        missing.len(),
        acked.len()
    );
    let acked_set: HashSet<&str> = acked.iter().map(String::as_str).collect();
    assert_eq!(
        acked_set.len(),
        acked.len(),
        "the server acknowledged one message hash twice"
    );
    let unacked = inbox.len() - acked.len();
    assert!(
        unacked <= CLIENTS,
        "{unacked} stored messages were never acknowledged (at most one in flight per client)"
    );
    let ep_now = reader.endpoint(ENDPOINT).unwrap();
    assert_eq!(ep_now.status, EndpointStatus::Open);

    // the audit log verifies, in process and from outside
    let (records, _head) = reader.audit_log().unwrap();
    let summary = verify_log(&records).unwrap_or_else(|b| panic!("audit log does not verify: {b}"));
    let logged_posts = records
        .iter()
        .filter(|r| r.entry.contains("message.create"))
        .count();
    assert_eq!(
        logged_posts,
        inbox.len(),
        "one audit entry per stored message"
    );
    assert_eq!(summary.entries, records.len());
    let (code, out, err) = run_cli(&["audit", "verify", &srv.url], None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("audit log OK"), "{out}");

    // the same clients reconnect to the new address and keep posting
    for (t, secret) in secrets.iter().enumerate() {
        let c = Client::connect(&srv.url, Keypair::from_secret_hex(secret).unwrap()).unwrap();
        let text = format!("after restart {t}");
        let m = c
            .post_message(ENDPOINT, "INBOX", "alice", "mixnet", &text, None)
            .unwrap();
        assert_eq!(m.message_hash, message_hash(None, "alice", "mixnet", &text));
    }
    assert_eq!(
        reader.messages(ENDPOINT, "INBOX").unwrap().len(),
        inbox.len() + CLIENTS
    );
    let (records, _) = reader.audit_log().unwrap();
    verify_log(&records).unwrap_or_else(|b| panic!("audit log does not verify after restart: {b}"));

    eprintln!(
        "crash test: {} acknowledged before kill -9, {} stored ({} in flight stored), {:.1?} total",
        acked.len(),
        inbox.len(),
        unacked,
        started.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "crash test took {:?}",
        started.elapsed()
    );
}
