//! The operations a sequence is made of. The protocol-level ones (register a peer,
//! a joint peer, an endpoint, move an endpoint, assign a role) run the whole
//! negotiation as real clients do: create a negotiation, every controller of the
//! peer contributes the same accepting text, one of them applies the consensus;
//! the input picks the parameters and, now and then, a deviation (a missing or
//! refusing signer, a wrong part, a tampered action, a wrong signer, a replay).
//! The others send single requests: fuzzed signed bodies, raw bytes, reads.

use crate::draw::Gen;
use crate::world::{Action, KEYS, PeerRec, World, advance, fixed, now_secs};
use panoramix_core::canonical::Value;
use panoramix_core::identity::{self, Domain};
use panoramix_core::model::ENDPOINT_TYPES;
use panoramix_core::negotiation::{Text, sign_contribution};
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;

/// The signed routes: method, path, resource, operation.
const SIGNED: &[(&str, &str, &str, &str)] = &[
    ("POST", "/panoramix/negotiations/", "negotiation", "create"),
    (
        "POST",
        "/panoramix/contributions/",
        "contribution",
        "create",
    ),
    ("POST", "/panoramix/peers/", "peer", "create"),
    ("POST", "/panoramix/endpoints/", "endpoint", "create"),
    (
        "PATCH",
        "/panoramix/endpoints/",
        "endpoint",
        "partial_update",
    ),
    ("POST", "/panoramix/messages/", "message", "create"),
    ("POST", "/panoramix/roles/", "role", "update"),
    ("POST", "/panoramix/takeovers/", "takeover", "create"),
];

const METHODS: &[&str] = &["GET", "POST", "PATCH", "PUT", "DELETE"];

const PATHS: &[&str] = &[
    "/panoramix/controller/",
    "/panoramix/negotiations/",
    "/panoramix/contributions/",
    "/panoramix/peers/",
    "/panoramix/roles/",
    "/panoramix/endpoints/",
    "/panoramix/messages/",
    "/panoramix/audit/",
    "/panoramix/changes/",
    "/panoramix/takeovers/",
    "/panoramix/boxes/",
    "/panoramix",
    "/panoramix//x//",
    "/other/",
];

/// Run one operation chosen by the input.
pub fn step(w: &mut World, g: &mut Gen<'_>) {
    match g.pick(16) {
        0 | 1 => register_peer(w, g),
        2 => joint_peer(w, g),
        3 | 4 => create_endpoint(w, g),
        5 | 6 => post_message(w, g),
        7 | 8 => transition(w, g),
        9 => update_role(w, g),
        10 => fuzzed_signed(w, g),
        11 => negotiation_step(w, g),
        12 => read(w, g),
        13 => raw(w, g),
        14 => {
            let i = g.pick(64);
            w.replay(i);
        }
        _ => {
            // mostly small steps; sometimes past the skew window and the nonce horizon
            let secs = if g.rare() {
                g.int(0, 2000)
            } else {
                g.int(0, 5)
            };
            advance(secs * 1_000_000 + g.int(0, 999_999));
        }
    }
}

fn data_of(r: &panoramix_controller::ApiResponse) -> &Json {
    &r.body["data"]
}

/// A contribution text for `actions` (one: its body; several: a list).
fn text_for(actions: &[Action], accept: bool, signers: Option<&[String]>) -> String {
    let body = if actions.len() == 1 {
        actions[0].body()
    } else {
        Value::List(actions.iter().map(Action::body).collect())
    };
    let mut meta = BTreeMap::new();
    meta.insert("accept".into(), Value::Int(i128::from(accept)));
    if let Some(s) = signers {
        meta.insert(
            "signers".into(),
            Value::List(s.iter().map(|x| Value::str(x.as_str())).collect()),
        );
    }
    Text::encode(body, meta)
}

/// Contribute `text` to `neg` as party `key`, with a valid signature unless told
/// not to (then another key's, or the legacy label over the text alone).
fn contribute(w: &mut World, key: usize, neg: &str, text: &str, good_sig: bool) -> Option<Json> {
    let kp = &fixed().keys[key];
    let signature = if good_sig {
        sign_contribution(kp, neg, text)
    } else if text.len().is_multiple_of(2) {
        sign_contribution(&fixed().keys[(key + 1) % KEYS], neg, text)
    } else {
        kp.sign(Domain::Contribution, text.as_bytes())
    };
    let data = json!({"negotiation_id": neg, "text": text, "signature": signature});
    let info = w.info("contribution", "create", Map::new());
    let r = w.send_signed(key, "POST", "/panoramix/contributions/", data, info, None)?;
    (r.status == 201).then(|| data_of(&r).clone())
}

/// Negotiate `actions` among `signers`; the consensus id if it closed.
fn agree(w: &mut World, g: &mut Gen<'_>, actions: &[Action], signers: &[usize]) -> Option<String> {
    let ids: Vec<String> = signers.iter().map(|&k| fixed().ids[k].clone()).collect();
    let mut data = json!({"title": "fuzz"});
    match g.pick(8) {
        // open to whoever contributes (the original's behaviour)
        6 => {}
        // one participant too many: never closes unless that key signs too
        7 => {
            data["participants"] =
                json!([ids.clone(), vec![fixed().ids[g.pick(KEYS)].clone()]].concat())
        }
        _ => data["participants"] = json!(ids),
    }
    let creator = if g.rare() { g.pick(KEYS) } else { signers[0] };
    let info = w.info("negotiation", "create", Map::new());
    let r = w.send_signed(
        creator,
        "POST",
        "/panoramix/negotiations/",
        data,
        info,
        None,
    )?;
    let neg = data_of(&r)["id"].as_str()?.to_owned();
    // meta.signers: usually absent, sometimes right, rarely wrong
    let listed = match g.pick(16) {
        12..=14 => Some(ids.clone()),
        15 => Some(ids[..ids.len() - 1].to_vec()),
        _ => None,
    };
    let text = text_for(actions, true, listed.as_deref());
    let mut cid = None;
    for &k in signers {
        let dev = if g.rare() { g.pick(4) } else { 9 };
        let t = match dev {
            0 => text_for(actions, false, None),
            1 => continue,
            _ => text.clone(),
        };
        if let Some(d) = contribute(w, k, &neg, &t, dev != 2)
            && let Some(c) = d["consensus"].as_str()
        {
            cid = Some(c.to_owned());
        }
    }
    cid
}

/// Apply `action` (part `part` of the consensus) as party `key`.
fn apply(
    w: &mut World,
    g: &mut Gen<'_>,
    action: &Action,
    cid: &str,
    part: Option<u32>,
    key: usize,
) -> Option<panoramix_controller::ApiResponse> {
    let mut bc = json!({"consensus_id": cid, "consensus_type": "structural"});
    let part = if g.rare() {
        Some(g.int(0, 3) as u32)
    } else {
        part
    };
    if let Some(p) = part {
        bc["consensus_part"] = json!(p);
    }
    let mut data = action.data.clone();
    if g.rare()
        && let Some(m) = data.as_object_mut()
    {
        let known = w.known_ids();
        g.mutate_object(m, &known);
    }
    let r = w.send_signed(
        key,
        action.method,
        &action.path,
        data,
        action.info.clone(),
        Some(bc),
    )?;
    if g.rare() {
        // the same consensus again, freshly signed: consensus_used
        let mut info = action.info.clone();
        info["nonce"] = json!(w.nonce());
        let bc = json!({"consensus_id": cid, "consensus_part": part});
        w.send_signed(
            key,
            action.method,
            &action.path,
            action.data.clone(),
            info,
            Some(bc),
        );
    }
    Some(r)
}

/// Negotiate and apply `actions` for a peer controlled by `controllers`.
fn negotiate_and_apply(
    w: &mut World,
    g: &mut Gen<'_>,
    actions: &[Action],
    controllers: &[usize],
) -> Vec<Option<panoramix_controller::ApiResponse>> {
    let cid = if g.rare() && !w.consensuses.is_empty() {
        // some other consensus
        let i = g.pick(w.consensuses.len());
        Some(w.consensuses[i].clone())
    } else {
        agree(w, g, actions, controllers)
    };
    let Some(cid) = cid else {
        return Vec::new();
    };
    let requester = if g.rare() {
        g.pick(KEYS)
    } else {
        *g.choose(controllers)
    };
    let many = actions.len() > 1;
    actions
        .iter()
        .enumerate()
        .map(|(i, a)| apply(w, g, a, &cid, many.then_some(i as u32), requester))
        .collect()
}

fn action(
    w: &mut World,
    method: &'static str,
    path: String,
    res: &str,
    op: &str,
    data: Json,
    extra: Map<String, Json>,
) -> Action {
    let info = w.info(res, op, extra);
    Action {
        method,
        path,
        data,
        info,
    }
}

fn register_peer(w: &mut World, g: &mut Gen<'_>) {
    let k = g.pick(KEYS);
    let f = fixed();
    let mut data = json!({
        "peer_id": f.ids[k], "name": format!("p{k}"), "key_data": f.keys[k].key_data(), "key_type": "ed25519",
        "crypto_backend": *g.choose(&["SPHINXMIX", "ZEUS"]), "crypto_params": {"n": k}, "owners": [], "status": "READY",
    });
    match g.pick(6) {
        4 => data["role"] = json!(*g.choose(&["contributor", "client", "authority", "Bad Role"])),
        5 => {
            let known = w.known_ids();
            g.mutate_object(data.as_object_mut().expect("object"), &known);
        }
        _ => {}
    }
    let a = action(
        w,
        "POST",
        "/panoramix/peers/".into(),
        "peer",
        "create",
        data,
        Map::new(),
    );
    let out = negotiate_and_apply(w, g, std::slice::from_ref(&a), &[k]);
    if let Some(Some(r)) = out.first()
        && r.status == 201
    {
        w.peers.push(PeerRec {
            id: f.ids[k].clone(),
            controllers: vec![k],
        });
    }
}

fn joint_peer(w: &mut World, g: &mut Gen<'_>) {
    let mut owners: Vec<usize> = (0..KEYS).filter(|_| g.coin()).collect();
    if owners.len() < 2 {
        owners = vec![0, 1];
    }
    let owner_ids: Vec<String> = owners.iter().map(|&k| fixed().ids[k].clone()).collect();
    let name = format!("joint{}", g.pick(3));
    let key_data = identity::joint_key_data(&name, &owner_ids);
    let peer_id = identity::joint_peer_id(&key_data).unwrap_or_default();
    let mut data = json!({
        "peer_id": peer_id, "name": name, "key_data": key_data, "key_type": "ed25519",
        "crypto_backend": "ZEUS", "crypto_params": null, "owners": owner_ids, "status": "READY",
    });
    if g.rare() {
        let known = w.known_ids();
        g.mutate_object(data.as_object_mut().expect("object"), &known);
    }
    let a = action(
        w,
        "POST",
        "/panoramix/peers/".into(),
        "peer",
        "create",
        data,
        Map::new(),
    );
    let out = negotiate_and_apply(w, g, std::slice::from_ref(&a), &owners);
    if let Some(Some(r)) = out.first()
        && r.status == 201
    {
        w.peers.push(PeerRec {
            id: peer_id,
            controllers: owners,
        });
    }
}

fn endpoint_spec(w: &mut World, g: &mut Gen<'_>, peer: &PeerRec) -> Json {
    let id = if g.rare() {
        g.string(&[])
    } else {
        format!("ep{}", g.pick(6))
    };
    let size_max = g.int(1, 4);
    let mut data = json!({
        "endpoint_id": id, "peer_id": peer.id, "description": "d", "public": g.coin(),
        "size_min": 1, "size_max": size_max, "endpoint_type": *g.choose(ENDPOINT_TYPES),
        "endpoint_params": {"k": 1}, "links": [], "status": "OPEN",
    });
    if !w.endpoints.is_empty() && g.coin() {
        let src = w.endpoints[g.pick(w.endpoints.len())].0.clone();
        data["links"] = json!([{
            "from_endpoint_id": src,
            "from_box": *g.choose(&["ACCEPTED", "OUTBOX"]),
            "to_box": *g.choose(&["INBOX", "PROCESSBOX"]),
        }]);
    }
    if g.rare() {
        let known = w.known_ids();
        g.mutate_object(data.as_object_mut().expect("object"), &known);
    }
    data
}

fn create_endpoint(w: &mut World, g: &mut Gen<'_>) {
    if w.peers.is_empty() {
        return register_peer(w, g);
    }
    let pi = g.pick(w.peers.len());
    let peer = w.peers[pi].clone();
    let n = if g.rare() { 2 } else { 1 };
    let actions: Vec<Action> = (0..n)
        .map(|_| {
            let d = endpoint_spec(w, g, &peer);
            action(
                w,
                "POST",
                "/panoramix/endpoints/".into(),
                "endpoint",
                "create",
                d,
                Map::new(),
            )
        })
        .collect();
    let out = negotiate_and_apply(w, g, &actions, &peer.controllers);
    for r in out.into_iter().flatten() {
        if r.status == 201
            && let Some(id) = data_of(&r)["endpoint_id"].as_str()
        {
            w.endpoints.push((id.to_owned(), pi));
            if let Some(src) = data_of(&r)["links"][0]["from_endpoint_id"].as_str() {
                w.links.push((id.to_owned(), src.to_owned()));
            }
        }
    }
}

fn post_message(w: &mut World, g: &mut Gen<'_>) {
    let (ep, controllers) = if w.endpoints.is_empty() || g.rare() {
        (format!("ep{}", g.pick(6)), vec![g.pick(KEYS)])
    } else {
        let (id, pi) = w.endpoints[g.pick(w.endpoints.len())].clone();
        (id, w.peers[pi].controllers.clone())
    };
    let signer = if g.rare() {
        g.pick(KEYS)
    } else {
        *g.choose(&controllers)
    };
    let bx = *g.choose(&[
        "INBOX",
        "PROCESSBOX",
        "INBOX",
        "PROCESSBOX",
        "INBOX",
        "INBOX",
        "ACCEPTED",
        "OUTBOX",
        "inbox",
    ]);
    // a linked box takes only texts published by the source: read them there
    let mut published = Vec::new();
    if let Some((_, src)) = w.links.iter().find(|(e, _)| *e == ep).cloned()
        && !g.rare()
    {
        for from in ["ACCEPTED", "OUTBOX"] {
            let q = format!("endpoint_id={src}&box={from}&limit=1000");
            let r = w.send("GET", "/panoramix/messages/", &q, Vec::new());
            if let Some(items) = data_of(&r).as_array() {
                published.extend(
                    items
                        .iter()
                        .filter_map(|m| m["text"].as_str().map(str::to_owned)),
                );
            }
        }
    }
    let n = 1 + g.pick(3);
    let mut msgs = Vec::new();
    for i in 0..n {
        let text = if !published.is_empty() && !g.rare() {
            published[g.pick(published.len())].clone()
        } else if !w.texts.is_empty() && g.coin() {
            w.texts[g.pick(w.texts.len())].clone()
        } else {
            format!("m{}", g.pick(8))
        };
        let mut m = json!({"sender": "s", "recipient": "r", "text": text});
        if bx == "PROCESSBOX" || g.rare() {
            m["serial"] = json!(if g.rare() { -1 } else { i as i64 });
        }
        msgs.push(m);
    }
    let mut data = if n == 1 && g.coin() {
        let mut d = msgs.remove(0);
        d["endpoint_id"] = json!(ep);
        d["box"] = json!(bx);
        d
    } else {
        json!({"endpoint_id": ep, "box": bx, "messages": msgs})
    };
    if g.rare() {
        let known = w.known_ids();
        g.mutate_object(data.as_object_mut().expect("object"), &known);
    }
    let info = w.info("message", "create", Map::new());
    let linked = w.links.iter().any(|(e, _)| *e == ep);
    let r = w.send_signed(signer, "POST", "/panoramix/messages/", data, info, None);
    if let Some(r) = &r
        && linked
    {
        crate::tally::record_as("/panoramix/messages/+linked", "POST", r.status);
    }
    if let Some(r) = r
        && r.status == 201
    {
        let items = match data_of(&r) {
            Json::Array(a) => a.clone(),
            one => vec![one.clone()],
        };
        for it in items {
            if let Some(t) = it["text"].as_str()
                && w.texts.len() < 32
                && !w.texts.iter().any(|x| x == t)
            {
                w.texts.push(t.to_owned());
            }
        }
    }
}

/// Close an OPEN endpoint over its INBOX, or mark a CLOSED one processed over its
/// PROCESSBOX, learning the state through the API as a contributor does.
fn transition(w: &mut World, g: &mut Gen<'_>) {
    if w.endpoints.is_empty() {
        return create_endpoint(w, g);
    }
    let (ep, pi) = w.endpoints[g.pick(w.endpoints.len())].clone();
    let controllers = w.peers[pi].controllers.clone();
    let r = w.send(
        "GET",
        &format!("/panoramix/endpoints/{ep}/"),
        "",
        Vec::new(),
    );
    let status = data_of(&r)["status"].as_str().unwrap_or("OPEN").to_owned();
    let last = data_of(&r)["last_consensus_id"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let (next, bx) = match (status.as_str(), g.rare()) {
        ("OPEN", false) => ("CLOSED", "INBOX"),
        ("CLOSED", false) => ("PROCESSED", "PROCESSBOX"),
        _ => (*g.choose(&["CLOSED", "PROCESSED", "OPEN"]), "INBOX"),
    };
    let q = format!("endpoint_id={ep}&box={bx}&limit=1000");
    let r = w.send("GET", "/panoramix/messages/", &q, Vec::new());
    let mut hashes: Vec<String> = data_of(&r)
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m["message_hash"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if g.rare() {
        match g.pick(3) {
            0 => {
                hashes.pop();
            }
            1 => hashes.push("00".repeat(32)),
            _ => {
                if let Some(h) = hashes.first().cloned() {
                    hashes.push(h);
                }
            }
        }
    }
    if next == "CLOSED" && hashes.is_empty() && !g.rare() {
        // nothing to close over yet: a controller of the endpoint posts one message
        let text = format!("m{}", g.pick(8));
        let data = json!({"endpoint_id": ep, "box": "INBOX", "sender": "s", "recipient": "r", "text": text});
        let info = w.info("message", "create", Map::new());
        if let Some(r) = w.send_signed(
            controllers[0],
            "POST",
            "/panoramix/messages/",
            data,
            info,
            None,
        ) && let Some(h) = data_of(&r)["message_hash"].as_str()
        {
            hashes.push(h.to_owned());
            if w.texts.len() < 32 && !w.texts.contains(&text) {
                w.texts.push(text);
            }
        }
    }
    let mut data = json!({"endpoint_id": ep, "status": next, "message_hashes": hashes});
    if next == "PROCESSED" {
        data["process_proof"] = if g.coin() {
            json!({"proof": [1, 2]})
        } else {
            json!("p")
        };
    }
    let mut extra = Map::new();
    extra.insert("id".into(), json!(ep));
    let last = if g.rare() {
        w.consensuses.first().cloned().unwrap_or_default()
    } else {
        last
    };
    extra.insert("on_last_consensus_id".into(), json!(last));
    let a = action(
        w,
        "PATCH",
        format!("/panoramix/endpoints/{ep}/"),
        "endpoint",
        "partial_update",
        data,
        extra,
    );
    negotiate_and_apply(w, g, std::slice::from_ref(&a), &controllers);
}

fn update_role(w: &mut World, g: &mut Gen<'_>) {
    if w.peers.is_empty() {
        return register_peer(w, g);
    }
    let pi = g.pick(w.peers.len());
    let peer = w.peers[pi].clone();
    let role = *g.choose(&["auditor", "authority", "contributor", "client", "Bad"]);
    let act = if g.rare() { "revoke" } else { "assign" };
    let data = json!({"peer_id": peer.id, "role": role, "action": act});
    let a = action(
        w,
        "POST",
        "/panoramix/roles/".into(),
        "role",
        "update",
        data,
        Map::new(),
    );
    let signers = w.authorities.clone();
    let out = negotiate_and_apply(w, g, std::slice::from_ref(&a), &signers);
    if let Some(Some(r)) = out.first()
        && r.status == 201
        && role == "authority"
        && peer.controllers.len() == 1
    {
        let k = peer.controllers[0];
        if act == "assign" && !w.authorities.contains(&k) {
            w.authorities.push(k);
        } else if act == "revoke" && k != 3 {
            w.authorities.retain(|&x| x != k);
        }
    }
}

/// A signed request with fuzzed data, info and by_consensus, possibly with a few
/// bytes of the signed body changed afterwards.
fn fuzzed_signed(w: &mut World, g: &mut Gen<'_>) {
    let (method, path, res, op) = *g.choose(SIGNED);
    let known = w.known_ids();
    let path = if method == "PATCH" {
        format!("{path}{}/", g.string(&known))
    } else {
        path.to_owned()
    };
    let data = if g.rare() {
        // arbitrary JSON as `data`
        serde_json::from_slice(&g.bytes(200)).unwrap_or(Json::Null)
    } else {
        Json::Object(g.object(&known, 0))
    };
    let mut info = w.info(res, op, Map::new());
    if g.coin() {
        let m = info.as_object_mut().expect("object");
        g.mutate_object(m, &known);
        if g.rare() {
            // around the clock, at the edges of the skew window, and far outside it
            let now = now_secs();
            let ts = match g.pick(4) {
                0 => now + g.int(-400, 400),
                1 => now + *g.choose(&[-301, -300, 300, 301]),
                2 => *g.choose(&[i64::MIN, i64::MAX, 0, -1, now.wrapping_add(i64::MIN)]),
                _ => g.int(i64::MIN, i64::MAX),
            };
            m.insert("ts".into(), json!(ts));
        }
    }
    let bc = if g.coin() {
        let mut b = Map::new();
        b.insert("consensus_id".into(), g.value(&known, 1));
        if g.coin() {
            b.insert("consensus_part".into(), g.value(&known, 1));
        }
        Some(Json::Object(b))
    } else {
        None
    };
    let key = g.pick(KEYS);
    let Some(mut body) = w.sign(key, data, info, bc) else {
        return;
    };
    if g.rare() {
        g.mutate_bytes(&mut body);
    }
    w.send(method, &path, "", body);
}

/// One negotiation request on its own: a new negotiation, or a fuzzed contribution.
fn negotiation_step(w: &mut World, g: &mut Gen<'_>) {
    if w.negotiations.is_empty() || g.coin() {
        let mut data = json!({"title": g.string(&[])});
        if g.coin() {
            let ps: Vec<String> = (0..KEYS)
                .filter(|_| g.coin())
                .map(|k| fixed().ids[k].clone())
                .collect();
            data["participants"] = json!(ps);
        }
        let info = w.info("negotiation", "create", Map::new());
        let k = g.pick(KEYS);
        w.send_signed(k, "POST", "/panoramix/negotiations/", data, info, None);
        return;
    }
    let neg = w.negotiations[g.pick(w.negotiations.len())].clone();
    let k = g.pick(KEYS);
    let text = match g.pick(3) {
        0 => {
            let a = Action {
                method: "POST",
                path: String::new(),
                data: json!({"x": g.int(0, 3)}),
                info: json!({"y": 1}),
            };
            text_for(&[a], g.coin(), None)
        }
        1 => String::from_utf8_lossy(&g.bytes(120)).into_owned(),
        _ => {
            let known = w.known_ids();
            let v = g.value(&known, 0);
            panoramix_core::canonical::encode_json(&json!({"body": v, "meta": {"accept": 1}}))
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        }
    };
    contribute(w, k, &neg, &text, !g.rare());
}

/// A read of a known resource or listing, with a fuzzed query.
fn read(w: &mut World, g: &mut Gen<'_>) {
    let known = w.known_ids();
    let id = g.string(&known);
    let path = match g.pick(8) {
        0 => "/panoramix/controller/".to_owned(),
        1 => format!("/panoramix/negotiations/{id}/"),
        2 => format!("/panoramix/peers/{id}/"),
        3 => format!("/panoramix/endpoints/{id}/"),
        4 => "/panoramix/messages/".to_owned(),
        5 => "/panoramix/contributions/".to_owned(),
        6 => "/panoramix/audit/".to_owned(),
        _ => (*g.choose(PATHS)).to_owned(),
    };
    let mut q = String::new();
    for _ in 0..g.pick(4) {
        let k = *g.choose(&[
            "endpoint_id",
            "box",
            "limit",
            "after",
            "negotiation",
            "peer_id",
            "role",
            "status",
            "consensus",
            "title",
            "wait",
        ]);
        let v = match g.pick(3) {
            0 => g.string(&known),
            1 => g.int(-2, 2000).to_string(),
            _ => String::from_utf8_lossy(&g.bytes(12)).into_owned(),
        };
        q.push_str(&format!("{k}={v}&"));
    }
    w.send("GET", &path, &q, Vec::new());
}

/// Raw bytes as the body of any method on any path (the JSON and envelope parsers).
fn raw(w: &mut World, g: &mut Gen<'_>) {
    let method = *g.choose(METHODS);
    let path = (*g.choose(PATHS)).to_owned();
    let body = g.bytes(300);
    w.send(method, &path, "", body);
}
