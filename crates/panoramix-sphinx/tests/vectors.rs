//! Known-answer tests: `tests/vectors/sphinx_v1.json`, made from fixed seeds by
//! `examples/write_vectors/kat.rs` (shared with this test).
//!
//! The check is independent of the generator's bookkeeping: it rebuilds every mix key
//! from its stored secret, re-creates every packet from its stored seed (byte-identical),
//! then processes the **stored** packet hop by hop and compares each hop's replay tag and
//! output with the stored ones; negative vectors flip one byte and expect an error kind at
//! a given hop. The file must also be byte for byte what the generator writes.
//!
//! The test never writes the file. Regenerate it (only when the format changes on
//! purpose, with a new version byte): `cargo run -p panoramix-sphinx --example write_vectors`.
//! `tests/python_cross_check.rs` checks the same file with an independent implementation.
#![cfg(not(target_arch = "wasm32"))]

use panoramix_sphinx::*;
use serde_json::Value;

#[path = "../examples/write_vectors/kat.rs"]
mod kat;

use kat::{PATH, build, generate, specs, trace};

fn load() -> Value {
    let text = std::fs::read_to_string(PATH).expect("vector file");
    serde_json::from_str(&text).expect("vector JSON")
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

#[test]
fn known_answers() {
    let file = load();
    let specs = specs();
    let vectors = file["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), specs.len());
    for (v, spec) in vectors.iter().zip(&specs) {
        let name = v["name"].as_str().unwrap();
        assert_eq!(name, spec.name);
        let params: SphinxParams = serde_json::from_value(v["params"].clone()).unwrap();
        let mixes: Vec<MixKeyPair> = v["mix_secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| MixKeyPair::from_secret_hex(s.as_str().unwrap()).unwrap())
            .collect();
        for (i, m) in mixes.iter().enumerate() {
            assert_eq!(
                m.public().to_hex(),
                v["mix_publics"][i].as_str().unwrap(),
                "{name}: public key {i}"
            );
            assert_eq!(
                m.node_id().to_hex(),
                v["mix_node_ids"][i].as_str().unwrap(),
                "{name}: node id {i}"
            );
        }
        // creation is deterministic given the seed
        let (packet, extra) = build(spec, &params, &mixes);
        assert_eq!(
            hex::encode(&packet),
            v["packet"].as_str().unwrap(),
            "{name}: packet"
        );
        if spec.surb {
            assert_eq!(extra["surb"], v["surb"], "{name}: surb");
        }
        // processing the stored packet gives the stored outputs
        let stored = unhex(&v["packet"]);
        let hops = trace(&params, &mixes, &stored);
        assert_eq!(Value::Array(hops), v["hops"], "{name}: hops");
        let last = v["hops"].as_array().unwrap().last().unwrap();
        if spec.surb {
            let opener: SurbOpener = serde_json::from_value(v["opener"].clone()).unwrap();
            assert_eq!(
                opener.id().to_hex(),
                last["reply"]["surb_id"].as_str().unwrap()
            );
            let opened = opener.open(&unhex(&last["reply"]["payload"])).unwrap();
            assert_eq!(opened, spec.message, "{name}: opened reply");
        } else {
            assert_eq!(
                last["final"]["destination"].as_str().unwrap(),
                spec.destination
            );
            assert_eq!(
                unhex(&last["final"]["message"]),
                spec.message,
                "{name}: message"
            );
        }
    }
    for n in file["negative"].as_array().unwrap() {
        let v = vectors.iter().find(|v| v["name"] == n["vector"]).unwrap();
        let params: SphinxParams = serde_json::from_value(v["params"].clone()).unwrap();
        let mixes: Vec<MixKeyPair> = v["mix_secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| MixKeyPair::from_secret_hex(s.as_str().unwrap()).unwrap())
            .collect();
        let mut bytes = unhex(&v["packet"]);
        bytes[n["flip_byte"].as_u64().unwrap() as usize] ^= 1;
        let want_hop = n["hop"].as_u64().unwrap() as usize;
        let mut got = None;
        for (i, mix) in mixes.iter().enumerate() {
            match peel_layer(mix, &params, &bytes) {
                Ok((_, ProcessedPacket::Forward { packet, .. })) => bytes = packet.into_bytes(),
                Ok(_) => break,
                Err(e) => {
                    got = Some((i, e.code()));
                    break;
                }
            }
        }
        assert_eq!(
            got,
            Some((want_hop, n["error"].as_str().unwrap())),
            "negative {n}"
        );
    }
}

#[test]
fn vector_file_is_what_the_generator_makes() {
    let generated = generate();
    assert_eq!(load(), generated);
    assert!(
        std::fs::read_to_string(PATH).unwrap() == kat::text(&generated),
        "{PATH} is not byte for byte what `cargo run -p panoramix-sphinx --example write_vectors` writes"
    );
}
