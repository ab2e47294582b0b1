//! The bindings through their JavaScript-facing signatures, under Node and in
//! headless Chromium (same test binary):
//! `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner cargo test --target wasm32-unknown-unknown --tests`
//! (add `WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver` for Chromium).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)]

use panoramix_wasm::{core_api, endpoint, sphinx_api, zeus_api};
use serde_json::{Value as Json, json};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn js(v: &Json) -> JsValue {
    use serde::Serialize;
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap()
}

fn rs(v: JsValue) -> Json {
    serde_wasm_bindgen::from_value(v).unwrap()
}

fn code(e: JsValue) -> String {
    js_sys::Reflect::get(&e, &"code".into())
        .unwrap()
        .as_string()
        .unwrap()
}

#[wasm_bindgen_test]
fn keys_envelopes_and_errors() {
    let k = rs(core_api::generate_keypair().unwrap());
    let secret = k["secret"].as_str().unwrap();
    let env = core_api::sign_envelope(
        secret,
        js(&json!({"a": 1, "b": [true, "x"]})),
        js(&json!({"resource": "r"})),
        JsValue::NULL,
    )
    .unwrap();
    let v = rs(core_api::verify_envelope(env.clone()).unwrap());
    assert_eq!(v["signerId"], k["keyId"]);
    let mut bad = rs(env);
    bad["data"]["a"] = json!(2);
    let e = core_api::verify_envelope(js(&bad)).unwrap_err();
    assert_eq!(code(e.clone()), "bad_signature");
    assert!(e.is_instance_of::<js_sys::Error>());
    assert_eq!(code(core_api::key_id("00").unwrap_err()), "bad_key");
    let text =
        core_api::contribution_text(js(&json!({"x": 1})), js(&json!({"accept": 1}))).unwrap();
    assert!(rs(core_api::parse_contribution(&text).unwrap())["accepted"] == json!(true));
    let sig = core_api::sign_contribution(secret, "neg-1", &text).unwrap();
    let key_data = k["keyData"].as_str().unwrap();
    assert!(core_api::verify_contribution(key_data, "neg-1", &text, &sig).unwrap());
    assert!(!core_api::verify_contribution(key_data, "neg-2", &text, &sig).unwrap());
    let msg = core_api::contribution_message("neg-1", &text);
    assert!(
        core_api::verify(
            key_data,
            "contribution-in",
            JsValue::from(js_sys::Uint8Array::from(msg.as_slice())),
            &sig
        )
        .unwrap()
    );
    assert!(!core_api::verify(key_data, "contribution", JsValue::from_str(&text), &sig).unwrap());
    // the known-answer vector of docs/protocol.md §3.1 (the RFC 8032 test 1 key)
    let rfc = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    let kat_text = "{\n014_body: 011_x,\n014_meta: {\n016_accept: 01101}\n}\n";
    assert_eq!(
        core_api::sign_contribution(rfc, "neg-1", kat_text).unwrap(),
        "4b78f5cbc22fcc5ddccaeb489b7a2ffe9b49ec719d4ac730c7a50e0a640ec14f903d6c12febfb971c74135bd6409a84789d8053ac1019093e0eb8560d4504001"
    );
}

#[wasm_bindgen_test]
fn sphinx_through_three_mixes_and_a_surb() {
    let params = js(&json!({"BODY_LEN": 512, "MAX_HOPS": 4}));
    let mixes: Vec<Json> = (0..3)
        .map(|_| rs(sphinx_api::sphinx_keygen().unwrap()))
        .collect();
    let route: Vec<String> = mixes
        .iter()
        .map(|m| m["publicKey"].as_str().unwrap().to_owned())
        .collect();
    let msg =
        rs(sphinx_api::sphinx_wrap(params.clone(), route.clone(), "bob", "hi".into()).unwrap());
    assert_eq!(msg["recipient"], mixes[0]["nodeId"]);
    let mut batch = vec![msg["text"].as_str().unwrap().to_owned()];
    for m in &mixes {
        let mut mix =
            sphinx_api::SphinxMix::new(params.clone(), m["secret"].as_str().unwrap(), None)
                .unwrap();
        let out = rs(mix.process_batch(batch.clone()).unwrap());
        let again = rs(mix.process_batch(batch.clone()).unwrap());
        assert_eq!(again["rejected"][0]["code"], "sphinx_replay");
        batch = out["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["text"].as_str().unwrap().to_owned())
            .collect();
    }
    assert_eq!(batch, vec!["hi".to_string()]);
    // SURB round trip
    let s = rs(sphinx_api::sphinx_create_surb(params.clone(), route).unwrap());
    let reply = rs(sphinx_api::sphinx_surb_reply(
        params.clone(),
        s["surb"].as_str().unwrap(),
        "pong".into(),
    )
    .unwrap());
    let mut texts = vec![reply["text"].as_str().unwrap().to_owned()];
    let mut last = Json::Null;
    for m in &mixes {
        last = rs(sphinx_api::sphinx_process_batch(
            params.clone(),
            m["secret"].as_str().unwrap(),
            texts.clone(),
        )
        .unwrap());
        texts = vec![last["outputs"][0]["text"].as_str().unwrap().to_owned()];
    }
    assert_eq!(last["outputs"][0]["kind"], "Reply");
    let opened = sphinx_api::sphinx_open_reply(js(&s["opener"]), &texts[0]).unwrap();
    assert_eq!(opened, b"pong");
}

#[wasm_bindgen_test]
fn sphinx_packets_as_bytes() {
    use base64::Engine;
    let params = js(&json!({"BODY_LEN": 512, "MAX_HOPS": 4}));
    let plen = rs(sphinx_api::sphinx_params(params.clone()).unwrap())["packetLen"]
        .as_u64()
        .unwrap() as usize;
    let mixes: Vec<Json> = (0..3)
        .map(|_| rs(sphinx_api::sphinx_keygen().unwrap()))
        .collect();
    let route: Vec<String> = mixes
        .iter()
        .map(|m| m["publicKey"].as_str().unwrap().to_owned())
        .collect();
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut packed = Vec::new();
    for m in ["a", "b", "c"] {
        let msg =
            rs(sphinx_api::sphinx_wrap(params.clone(), route.clone(), "bob", m.into()).unwrap());
        packed.extend(b64.decode(msg["text"].as_str().unwrap()).unwrap());
    }
    packed.extend(vec![0u8; plen]); // not a packet: rejected, the rest goes on
    let mut exits = Json::Null;
    for (i, m) in mixes.iter().enumerate() {
        let mut mix =
            sphinx_api::SphinxMix::new(params.clone(), m["secret"].as_str().unwrap(), None)
                .unwrap();
        let out = mix.process_packets(&packed).unwrap();
        let get = |k: &str| js_sys::Reflect::get(&out, &k.into()).unwrap();
        let status = js_sys::Uint8Array::new(&get("status")).to_vec();
        let hops = js_sys::Uint8Array::new(&get("nextHops")).to_vec();
        packed = js_sys::Uint8Array::new(&get("packets")).to_vec();
        exits = rs(get("exits"));
        if i == 0 {
            assert_eq!(status, vec![0, 0, 0, 3]);
            assert_eq!(rs(get("rejected"))[0]["index"], 3);
        }
        if i < 2 {
            assert_eq!(packed.len(), 3 * plen);
            let next = mixes[i + 1]["nodeId"].as_str().unwrap();
            for h in hops.chunks(16) {
                assert_eq!(hex::encode(h), next);
            }
        } else {
            assert_eq!(status, vec![1, 1, 1]);
            assert!(packed.is_empty() && hops.is_empty());
        }
    }
    let mut texts: Vec<String> = exits
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["text"].as_str().unwrap().to_owned())
        .collect();
    texts.sort();
    assert_eq!(texts, vec!["a", "b", "c"]);
}

#[wasm_bindgen_test]
fn zeus_election_through_the_endpoint_functions() {
    let sid = "wasm-test/1";
    let t = rs(zeus_api::zeus_trustee_keygen().unwrap());
    let tk = rs(zeus_api::zeus_publish_trustee_key(t["secret"].as_str().unwrap(), sid).unwrap());
    let pk = zeus_api::zeus_combine_trustee_keys(sid, js(&json!([tk]))).unwrap();
    let voters: Vec<Json> = (0..3)
        .map(|_| rs(zeus_api::zeus_voter_keygen().unwrap()))
        .collect();
    let params = json!({"session_id": sid, "election_public_key": pk, "trustees": [tk],
        "answers": ["a", "b", "c"], "voters": voters.iter().map(|v| v["credential"].clone()).collect::<Vec<_>>()});
    let ballots: Vec<String> = ["a", "b", "c"]
        .iter()
        .zip(&voters)
        .map(|(a, v)| {
            zeus_api::zeus_encrypt_ballot(js(&params), js(&v["secret"]), (*a).into()).unwrap()
        })
        .collect();
    let ep = |ty: &str| json!({"endpoint_id": format!("e-{ty}"), "endpoint_type": ty, "endpoint_params": params});
    let msgs = |texts: &[String]| {
        json!(
            texts
                .iter()
                .enumerate()
                .map(|(i, t)| json!({"text": t, "serial": i}))
                .collect::<Vec<_>>()
        )
    };
    let secrets = js(&json!({"trustee": t["secret"]}));
    let mut inputs = ballots;
    for ty in [
        "ZEUS_BOOTH",
        "ZEUS_TW_MIX",
        "ZEUS_SK_MIX",
        "ZEUS_SK_PARTIAL_DECRYPT",
        "ZEUS_SK_COMBINE",
    ] {
        let p = rs(
            endpoint::process_endpoint(js(&ep(ty)), secrets.clone(), js(&msgs(&inputs))).unwrap(),
        );
        let outs: Vec<String> = p["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["text"].as_str().unwrap().to_owned())
            .collect();
        let proof = p["proof"].as_str().map(str::to_owned);
        endpoint::verify_endpoint(
            js(&ep(ty)),
            js(&msgs(&inputs)),
            js(&msgs(&outs)),
            proof.clone(),
        )
        .unwrap();
        if ty == "ZEUS_TW_MIX" {
            let mut swapped = outs.clone();
            swapped.swap(0, 1);
            let e = endpoint::verify_endpoint(
                js(&ep(ty)),
                js(&msgs(&inputs)),
                js(&msgs(&swapped)),
                proof,
            )
            .unwrap_err();
            assert!(code(e).starts_with("zeus_"));
        }
        inputs = outs;
    }
    let mut votes: Vec<String> = inputs
        .iter()
        .map(|h| String::from_utf8(hex::decode(h).unwrap()).unwrap())
        .collect();
    votes.sort();
    assert_eq!(votes, ["a", "b", "c"]);
}

/// The Benaloh challenge through the class JavaScript sees: an audited ballot opens
/// to its answer and can no longer be cast; a cast one can no longer be audited.
#[wasm_bindgen_test]
fn prepared_ballot_is_cast_or_audited_never_both() {
    let sid = "wasm-test/benaloh";
    let t = rs(zeus_api::zeus_trustee_keygen().unwrap());
    let tk = rs(zeus_api::zeus_publish_trustee_key(t["secret"].as_str().unwrap(), sid).unwrap());
    let v = rs(zeus_api::zeus_voter_keygen().unwrap());
    let params = json!({"session_id": sid, "election_public_key": tk["public_key"],
        "trustees": [tk], "answers": ["yes", "no"], "voters": [v["credential"]]});
    let secret = || js(&v["secret"]);
    let mut b = zeus_api::zeus_prepare_ballot(js(&params), secret(), "no".into()).unwrap();
    let text = b.text();
    assert_eq!(b.credential(), v["credential"].as_str().unwrap());
    let o = rs(b.audit().unwrap());
    assert_eq!(o["ok"], json!(true));
    assert_eq!(o["answer"], json!("no"));
    assert!(b.audited());
    assert_eq!(code(b.cast_text().unwrap_err()), "ballot_audited");
    let r = o["randomness"].as_str().unwrap();
    assert_eq!(
        zeus_api::zeus_audit_ballot(js(&params), text.into(), r.into()).unwrap(),
        "no"
    );
    let mut c = zeus_api::zeus_prepare_ballot(js(&params), secret(), "yes".into()).unwrap();
    assert_eq!(c.cast_text().unwrap(), c.text());
    assert_eq!(code(c.audit().unwrap_err()), "ballot_cast");
    let checked = rs(zeus_api::zeus_verify_ballot(js(&params), c.text().into()).unwrap());
    assert_eq!(checked["credential"], v["credential"]);
    let e = zeus_api::zeus_prepare_ballot(js(&params), secret(), "maybe".into()).err();
    assert_eq!(e.map(code).as_deref(), Some("zeus_not_an_answer"));
    // a number where a string belongs is refused, not handed to WebAssembly
    let e = zeus_api::zeus_prepare_ballot(js(&params), JsValue::from(7), "yes".into()).err();
    assert_eq!(e.map(code).as_deref(), Some("invalid_argument"));
}
