//! A box as a unit (docs/protocol.md §5.8): a whole box up in one signed
//! request, stored whole or not at all, audited as one entry committing to
//! every message hash, and down in one transfer.
mod common;

use common::*;
use panoramix_client::Client;
use panoramix_core::audit::verify_log;
use panoramix_core::boxes::{self, Frame};
use serde_json::{Value as Json, json};

fn frames(n: usize, serial: bool, tag: &str) -> Vec<Frame> {
    (0..n)
        .map(|i| Frame {
            id: 0,
            serial: serial.then_some(i as i64),
            sender: "s".into(),
            recipient: format!("r{i}"),
            text: format!("{tag}-{i:05}-{}", "x".repeat(200)),
        })
        .collect()
}

/// The raw answer to a box upload body.
fn post_raw(c: &Client, body: &[u8]) -> (u16, Json) {
    match c.send_raw("POST", boxes::PATH, body) {
        Ok(v) => (201, v),
        Err(panoramix_client::ClientError::Api { status, code, .. }) => {
            (status, json!({"code": code}))
        }
        Err(e) => panic!("{e}"),
    }
}

/// A signed upload of `f` into `box_name` of `ep`, with `data` changed by `edit`.
fn upload_body(
    c: &Client,
    ep: &str,
    box_name: &str,
    f: &[Frame],
    edit: impl Fn(&mut Json),
) -> String {
    let bx = panoramix_core::model::MsgBox::parse(box_name).unwrap();
    let mut data = boxes::upload_data(ep, bx, f);
    edit(&mut data);
    let info = c.info("box", "create", serde_json::Map::new());
    let env = c.envelope(data, info, None).unwrap().to_string();
    boxes::encode_upload(&env, f)
}

#[test]
fn a_box_goes_up_whole_or_not_at_all_and_down_in_one_transfer() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let owner = peer(&srv, "owner");
    let stranger = peer(&srv, "stranger");
    let spec = json!({"endpoint_id": "own", "peer_id": owner.id(),
        "endpoint_type": "SPHINXMIX", "size_min": 1, "size_max": 5000, "public": false});
    act_alone(&owner, "own", &owner.endpoint_action(&spec));

    // the INBOX of 3,000 messages in one request; the echo names the box
    let inbox = frames(3000, false, "in");
    let receipts = owner.upload_box("own", "INBOX", &inbox).unwrap();
    assert_eq!(receipts.len(), 1);
    let hashes: Vec<String> = inbox.iter().map(Frame::message_hash).collect();
    assert_eq!(receipts[0].count, 3000);
    assert_eq!(receipts[0].box_hash, boxes::box_hash(&hashes));
    let down = owner.download_box("own", "INBOX").unwrap();
    assert_eq!(down.len(), 3000);
    let got: Vec<String> = down.iter().map(|m| m.message_hash.clone()).collect();
    assert_eq!(got, hashes, "the box comes down in the order it went up");
    assert_eq!(down[0].text, inbox[0].text);
    // the per-message listing sees the same box
    let listed = owner
        .get_all::<panoramix_core::wire::Message>(
            "/panoramix/messages/?endpoint_id=own&box=INBOX&limit=1000",
        )
        .unwrap();
    assert_eq!(listed, down);

    let more = frames(3, false, "more");
    // a private INBOX: a stranger's box is refused whole
    let (st, _) = post_raw(
        &stranger,
        upload_body(&stranger, "own", "INBOX", &more, |_| {}).as_bytes(),
    );
    assert_eq!(st, 403);
    // the signature covers the frames: a box hash or count that is not the frames' is refused
    let body = upload_body(&owner, "own", "INBOX", &more, |d| {
        d["box_hash"] = json!("00")
    });
    assert_eq!(post_raw(&owner, body.as_bytes()).0, 400);
    let body = upload_body(&owner, "own", "INBOX", &more, |d| d["count"] = json!(2));
    assert_eq!(post_raw(&owner, body.as_bytes()).0, 400);
    // a transfer cut short (a killed client) stores nothing
    let body = upload_body(&owner, "own", "INBOX", &more, |_| {});
    for cut in [body.len() / 3, body.len() - 1] {
        assert_eq!(
            post_raw(&owner, &body.as_bytes()[..cut]).0,
            400,
            "cut at {cut}"
        );
    }
    // one duplicate in the box: nothing of it is stored
    let mut dup = more.clone();
    dup.push(inbox[7].clone());
    let body = upload_body(&owner, "own", "INBOX", &dup, |_| {});
    assert_eq!(post_raw(&owner, body.as_bytes()).0, 409);
    assert_eq!(owner.download_box("own", "INBOX").unwrap().len(), 3000);
    // a message twice in one upload (stored a few per statement, the two in
    // different statements and in the same one): nothing of it is stored
    let many = frames(40, false, "twice");
    for (at, copy) in [(0, 30), (2, 0)] {
        let mut twice = many.clone();
        twice.insert(at, many[copy].clone());
        let body = upload_body(&owner, "own", "INBOX", &twice, |_| {});
        assert_eq!(post_raw(&owner, body.as_bytes()).0, 409);
        assert_eq!(owner.download_box("own", "INBOX").unwrap().len(), 3000);
    }
    // a replayed upload is refused by its nonce
    let body = upload_body(&owner, "own", "INBOX", &more, |_| {});
    assert_eq!(post_raw(&owner, body.as_bytes()).0, 201);
    assert_eq!(post_raw(&owner, body.as_bytes()).0, 409);
    assert_eq!(owner.download_box("own", "INBOX").unwrap().len(), 3003);

    // close with everything, then a PROCESSBOX as one unit
    let all: Vec<String> = owner
        .download_box("own", "INBOX")
        .unwrap()
        .into_iter()
        .map(|m| m.message_hash)
        .collect();
    let ep = owner.endpoint("own").unwrap();
    let close = owner.transition_action("own", &ep.last_consensus_id, "CLOSED", &all, None);
    act_alone(&owner, "close", &close);
    let accepted = owner.download_box("own", "ACCEPTED").unwrap();
    let acc: Vec<String> = accepted.iter().map(|m| m.message_hash.clone()).collect();
    assert_eq!(acc, all, "ACCEPTED comes down as the closing named it");
    let out = frames(3003, true, "out");
    // an INBOX upload to a CLOSED endpoint and serial-less outputs are refused
    assert_eq!(
        post_raw(
            &owner,
            upload_body(&owner, "own", "INBOX", &more, |_| {}).as_bytes()
        )
        .0,
        422
    );
    let bad = frames(2, false, "bad");
    assert_eq!(
        post_raw(
            &owner,
            upload_body(&owner, "own", "PROCESSBOX", &bad, |_| {}).as_bytes()
        )
        .0,
        400
    );
    owner.upload_box("own", "PROCESSBOX", &out).unwrap();
    let pb = owner.download_box("own", "PROCESSBOX").unwrap();
    assert_eq!(pb.len(), 3003);

    // one audit entry per box, committing to every message hash in order
    let (records, _) = owner.audit_log().unwrap();
    verify_log(&records).unwrap_or_else(|b| panic!("audit log does not verify: {b}"));
    let mut seen = 0;
    for r in &records {
        let e = panoramix_core::canonical::decode(r.entry.as_bytes()).unwrap();
        let e = panoramix_core::canonical::to_json(&e);
        if e["kind"] != "box.create" {
            continue;
        }
        seen += 1;
        let listed: Vec<String> =
            serde_json::from_value(e["effect"]["message_hashes"].clone()).unwrap();
        assert_eq!(e["effect"]["box_hash"], json!(boxes::box_hash(&listed)));
        // the signed request names the same box hash
        assert!(
            e["request"]
                .as_str()
                .unwrap()
                .contains(e["effect"]["box_hash"].as_str().unwrap())
        );
    }
    assert_eq!(seen, 3, "the INBOX, the three more, the PROCESSBOX");
    let pb_hashes: Vec<String> = pb.iter().map(|m| m.message_hash.clone()).collect();
    let last = records
        .iter()
        .rev()
        .find(|r| r.entry.contains("box.create"))
        .unwrap();
    for h in &pb_hashes {
        assert!(
            last.entry.contains(h.as_str()),
            "{h} is not in the box's audit entry"
        );
    }
    let (code, o, e) = run_cli(&["audit", "verify", &srv.url], None);
    assert_eq!(code, 0, "audit verify: {o}{e}");
}

/// A box larger than a download answer's byte budget (`max_body`) comes down in
/// several answers, each naming where the next one starts; the client joins them
/// in order.
#[test]
fn a_box_larger_than_an_answer_comes_down_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start_with(&dir.path().join("c.sqlite3"), &["--max-body", "100000"]);
    let owner = peer(&srv, "owner");
    let spec = json!({"endpoint_id": "big", "peer_id": owner.id(),
        "endpoint_type": "SPHINXMIX", "size_min": 1, "size_max": 5000, "public": true});
    act_alone(&owner, "big", &owner.endpoint_action(&spec));
    // 1,500 messages of about 230 bytes: one upload (max_box), several answers
    let inbox = frames(1500, false, "big");
    assert_eq!(owner.upload_box("big", "INBOX", &inbox).unwrap().len(), 1);
    let first: Json = owner
        .get(&format!("{}?endpoint_id=big&box=INBOX", boxes::PATH))
        .unwrap();
    let part = boxes::decode(first.as_str().unwrap().as_bytes(), false, 5000).unwrap();
    assert!(
        part.frames.len() < 1500 && part.next.is_some(),
        "one answer held it all"
    );
    let down = owner.download_box("big", "INBOX").unwrap();
    let got: Vec<String> = down.iter().map(|m| m.message_hash.clone()).collect();
    let want: Vec<String> = inbox.iter().map(Frame::message_hash).collect();
    assert_eq!(got, want);
}
