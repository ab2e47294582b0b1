//! A take-over (docs/protocol.md §5.9): the controller copies the published
//! boxes of an endpoint's linked sources into its INBOX in one transaction,
//! audited as one entry, when the signer states the INBOX it expects; every
//! refusal stores nothing.
mod common;

use common::*;
use panoramix_client::{Client, ClientError};
use panoramix_core::audit::verify_log;
use panoramix_core::boxes::{self, Frame};
use panoramix_core::model::message_hash;
use serde_json::{Value as Json, json};

fn frames(n: usize, tag: &str) -> Vec<Frame> {
    (0..n)
        .map(|i| Frame {
            id: 0,
            serial: None,
            sender: "s".into(),
            recipient: format!("r{i}"),
            text: format!("{tag}-{i:03}"),
        })
        .collect()
}

fn create(owner: &Client, spec: Json) {
    let a = owner.endpoint_action(&spec);
    act_alone(owner, spec["endpoint_id"].as_str().unwrap(), &a);
}

fn close(owner: &Client, id: &str) {
    let hashes: Vec<String> = owner
        .download_box(id, "INBOX")
        .unwrap()
        .into_iter()
        .map(|m| m.message_hash)
        .collect();
    let ep = owner.endpoint(id).unwrap();
    let a = owner.transition_action(id, &ep.last_consensus_id, "CLOSED", &hashes, None);
    act_alone(owner, &format!("close {id}"), &a);
}

/// The status and error code of a take-over request with `data`.
fn take(c: &Client, data: Json) -> (u16, Json) {
    match c.call("POST", boxes::TAKEOVER_PATH, "takeover", "create", data) {
        Ok(v) => (201, v["data"].clone()),
        Err(ClientError::Api { status, code, .. }) => (status, json!(code)),
        Err(e) => panic!("{e}"),
    }
}

fn inbox(c: &Client, id: &str) -> Vec<String> {
    c.download_box(id, "INBOX")
        .unwrap()
        .into_iter()
        .map(|m| m.message_hash)
        .collect()
}

#[test]
fn a_take_over_copies_published_sources_in_one_audited_transaction_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let owner = peer(&srv, "owner");
    let stranger = peer(&srv, "stranger");
    let ep = |id: &str, links: Json| {
        json!({"endpoint_id": id, "peer_id": owner.id(), "endpoint_type": "SPHINXMIX",
            "size_min": 1, "size_max": 100, "public": false, "links": links})
    };
    // src: CLOSED with 5 messages (its ACCEPTED box is published); src2: still OPEN
    create(&owner, ep("src", json!([])));
    let sent = frames(5, "a");
    owner.upload_box("src", "INBOX", &sent).unwrap();
    close(&owner, "src");
    create(&owner, ep("src2", json!([])));
    owner.upload_box("src2", "INBOX", &frames(2, "b")).unwrap();
    create(
        &owner,
        ep(
            "dst",
            json!([
                {"from_endpoint_id": "src", "from_box": "ACCEPTED", "to_box": "INBOX"},
                {"from_endpoint_id": "src2", "from_box": "OUTBOX", "to_box": "INBOX"}
            ]),
        ),
    );
    let want: Vec<String> = sent
        .iter()
        .map(|f| message_hash(None, &f.sender, &f.recipient, &f.text))
        .collect();
    let good = json!({"endpoint_id": "dst", "sources": ["src"], "count": 5,
        "box_hash": boxes::box_hash(&want)});
    let with = |k: &str, v: Json| {
        let mut d = good.clone();
        d[k] = v;
        d
    };

    // refusals: each stores nothing
    for (who, data, status, code) in [
        (&stranger, good.clone(), 403, "forbidden"),
        (&owner, with("box_hash", json!("00")), 422, "wrong_state"),
        (&owner, with("count", json!(4)), 422, "wrong_state"),
        (&owner, with("sources", json!(["src2"])), 422, "wrong_state"),
        (&owner, with("sources", json!(["nope"])), 400, "invalid"),
        (&owner, with("sources", json!([])), 400, "invalid"),
        (
            &owner,
            with("sources", json!(["src", "src"])),
            400,
            "invalid",
        ),
        (&owner, with("sources", json!("src")), 400, "invalid"),
        (&owner, with("extra", json!(1)), 400, "unknown_field"),
        (&owner, with("endpoint_id", json!("none")), 404, "not_found"),
    ] {
        let (st, c) = take(who, data.clone());
        assert_eq!(
            (st, c.as_str().unwrap_or_default()),
            (status, code),
            "{data}"
        );
        assert!(inbox(&owner, "dst").is_empty(), "{data} stored something");
    }

    // the take-over: the INBOX is the source's box, in order, in one transaction
    let (st, r) = take(&owner, good.clone());
    assert_eq!(st, 201, "{r}");
    assert_eq!(r["taken"], json!(5));
    assert_eq!(r["count"], json!(5));
    assert_eq!(inbox(&owner, "dst"), want);
    assert_eq!(owner.endpoint("dst").unwrap().inbox_count, 5);
    // again: nothing more to take, the same INBOX
    let (st, r) = take(&owner, good.clone());
    assert_eq!((st, r["taken"].clone()), (201, json!(0)));
    assert_eq!(inbox(&owner, "dst"), want);
    // a per-message post of a text already taken over is a duplicate
    let posted = owner.call(
        "POST",
        "/panoramix/messages/",
        "message",
        "create",
        json!({"endpoint_id": "dst", "box": "INBOX", "sender": "s", "recipient": "r0", "text": "a-000"}),
    );
    assert!(
        matches!(posted, Err(ClientError::Api { status: 409, .. })),
        "{posted:?}"
    );

    // one audit entry per take-over, committing to every message taken
    let (records, _) = owner.audit_log().unwrap();
    verify_log(&records).unwrap_or_else(|b| panic!("audit log does not verify: {b}"));
    let takes: Vec<Json> = records
        .iter()
        .map(|r| {
            panoramix_core::canonical::to_json(
                &panoramix_core::canonical::decode(r.entry.as_bytes()).unwrap(),
            )
        })
        .filter(|e| e["kind"] == "takeover.create")
        .collect();
    assert_eq!(
        takes.len(),
        2,
        "one per accepted take-over, none for a refused one"
    );
    assert_eq!(takes[0]["effect"]["message_hashes"], json!(want));
    assert_eq!(takes[0]["effect"]["sources"], json!(["src"]));
    assert_eq!(takes[1]["effect"]["message_hashes"], json!([]));

    // a closed endpoint takes nothing over
    close(&owner, "dst");
    assert_eq!(take(&owner, good).0, 422);
    let (code, o, e) = run_cli(&["audit", "verify", &srv.url], None);
    assert_eq!(code, 0, "audit verify: {o}{e}");
}
