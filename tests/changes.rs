//! The change feed (docs/protocol.md §5.10): `GET /panoramix/changes/` answers
//! the audit log's last entry number; with `wait` the native server holds the
//! answer until a write is committed (a refused request does not count) or the
//! wait is over; the Worker answers at once (push on the edge is issue 16).
mod common;

use common::*;
use panoramix_client::ClientError;
use std::time::{Duration, Instant};

#[test]
fn the_change_feed_answers_at_once_or_on_the_next_committed_write() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let c = peer(&srv, "watcher");
    let first = c.changes(0, 0).unwrap();
    assert!(first.seq >= 1, "registering wrote an audit entry");
    assert!(first.changed);
    // nothing new, no wait: at once
    let same = c.changes(first.seq, 0).unwrap();
    assert_eq!((same.seq, same.changed), (first.seq, false));
    // bad queries are 400 `invalid`
    for q in ["wait=25001", "after=-1", "after=x", "wait=soon"] {
        let r = c.get(&format!("/panoramix/changes/?{q}"));
        assert!(
            matches!(&r, Err(ClientError::Api { status: 400, code, .. }) if code == "invalid"),
            "{q}: {r:?}"
        );
    }

    if srv.is_worker() {
        // the Worker cannot hold a request: it answers at once, and says nothing changed
        let t0 = Instant::now();
        let r = c.changes(first.seq, 3000).unwrap();
        assert!(!r.changed && t0.elapsed() < Duration::from_millis(2500));
        return;
    }

    // nothing happens: the answer comes when the wait is over, unchanged
    let t0 = Instant::now();
    let r = c.changes(first.seq, 400).unwrap();
    assert!(
        t0.elapsed() >= Duration::from_millis(390),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!((r.seq, r.changed), (first.seq, false));

    // a write 300 ms into a 10 s wait ends it; a refused request before it does not
    let writer = srv.client();
    let url = srv.url.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        let refused = writer.call(
            "POST",
            "/panoramix/negotiations/",
            "negotiation",
            "create",
            serde_json::json!({"title": 7}),
        );
        assert!(refused.is_err(), "{url}: {refused:?}");
        std::thread::sleep(Duration::from_millis(200));
        writer
            .call(
                "POST",
                "/panoramix/negotiations/",
                "negotiation",
                "create",
                serde_json::json!({"title": "wake up"}),
            )
            .unwrap();
    });
    let t0 = Instant::now();
    let r = c.changes(first.seq, 10_000).unwrap();
    let took = t0.elapsed();
    t.join().unwrap();
    assert!(r.changed && r.seq > first.seq, "{r:?}");
    assert!(
        took >= Duration::from_millis(280) && took < Duration::from_secs(5),
        "answered after {took:?}"
    );
}
