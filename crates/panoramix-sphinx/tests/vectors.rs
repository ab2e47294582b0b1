//! Known-answer tests: `tests/vectors/sphinx_v1.json`, made from fixed seeds by
//! [`generate`] below.
//!
//! The check is independent of the generator's bookkeeping: it rebuilds every mix key
//! from its stored secret, re-creates every packet from its stored seed (byte-identical),
//! then processes the **stored** packet hop by hop and compares each hop's replay tag and
//! output with the stored ones; negative vectors flip one byte and expect an error kind at
//! a given hop.
//!
//! Regenerate (only when the format changes on purpose, with a new version byte):
//! `PANORAMIX_SPHINX_REGENERATE_VECTORS=1 cargo test -p panoramix-sphinx --test vectors`
#![cfg(not(target_arch = "wasm32"))]

use panoramix_sphinx::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Value, json};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/sphinx_v1.json");

struct Spec {
    name: &'static str,
    max_hops: usize,
    body_len: usize,
    hops: usize,
    surb: bool,
    destination: &'static str,
    message: Vec<u8>,
    key_seed: u64,
    rng_seed: u64,
}

fn specs() -> Vec<Spec> {
    vec![
        Spec {
            name: "forward-1hop",
            max_hops: 5,
            body_len: 1024,
            hops: 1,
            surb: false,
            destination: "alice",
            message: b"hello".to_vec(),
            key_seed: 1,
            rng_seed: 101,
        },
        Spec {
            name: "forward-3hops",
            max_hops: 5,
            body_len: 1024,
            hops: 3,
            surb: false,
            destination: "file:///tmp/panoramix-out",
            message: (0..100u8).collect(),
            key_seed: 2,
            rng_seed: 102,
        },
        Spec {
            name: "forward-5hops-full-body",
            max_hops: 5,
            body_len: 1024,
            hops: 5,
            surb: false,
            destination: "d",
            message: (0..1023u32).map(|i| (i * 7) as u8).collect(),
            key_seed: 3,
            rng_seed: 103,
        },
        Spec {
            name: "forward-2hops-small-params",
            max_hops: 2,
            body_len: 64,
            hops: 2,
            surb: false,
            destination: "",
            message: b"sixty-four bytes of body is enough for this".to_vec(),
            key_seed: 4,
            rng_seed: 104,
        },
        Spec {
            name: "surb-reply-3hops",
            max_hops: 5,
            body_len: 1024,
            hops: 3,
            surb: true,
            destination: "",
            message: b"pong".to_vec(),
            key_seed: 5,
            rng_seed: 105,
        },
    ]
}

fn keys_for(seed: u64, n: usize) -> Vec<MixKeyPair> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    (0..n).map(|_| MixKeyPair::generate(&mut rng)).collect()
}

/// Process `packet` through `mixes`, recording every hop.
fn trace(params: &SphinxParams, mixes: &[MixKeyPair], packet: &[u8]) -> Vec<Value> {
    let mut hops = Vec::new();
    let mut bytes = packet.to_vec();
    for mix in mixes {
        let (tag, out) = peel_layer(mix, params, &bytes).expect("vector packet must process");
        let mut hop = json!({ "replay_tag": hex::encode(tag.0) });
        match out {
            ProcessedPacket::Forward { next_hop, packet } => {
                hop["forward"] = json!({ "next_hop": next_hop.to_hex(), "packet": hex::encode(packet.as_bytes()) });
                bytes = packet.into_bytes();
            }
            ProcessedPacket::Final {
                destination,
                message,
            } => {
                hop["final"] =
                    json!({ "destination": destination, "message": hex::encode(message) });
            }
            ProcessedPacket::Reply { surb_id, payload } => {
                hop["reply"] =
                    json!({ "surb_id": surb_id.to_hex(), "payload": hex::encode(payload) });
            }
        }
        hops.push(hop);
    }
    hops
}

/// Build the packet (and SURB material) of a spec from its seeds.
fn build(spec: &Spec, params: &SphinxParams, mixes: &[MixKeyPair]) -> (Vec<u8>, Value) {
    let publics: Vec<MixPublicKey> = mixes.iter().map(|m| *m.public()).collect();
    let route = Route::new(params, &publics).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(spec.rng_seed);
    if spec.surb {
        let (surb, opener) = create_surb(params, &route, &mut rng).unwrap();
        let packet = surb.reply(&spec.message).unwrap().into_bytes();
        let extra = json!({
            "surb": hex::encode(surb.to_bytes()),
            "surb_id": opener.id().to_hex(),
            "opener": serde_json::to_value(&opener).unwrap(),
        });
        (packet, extra)
    } else {
        let p = create_packet(params, &route, spec.destination, &spec.message, &mut rng).unwrap();
        (p.into_bytes(), json!({}))
    }
}

fn generate() -> Value {
    let mut vectors = Vec::new();
    for spec in specs() {
        let params = SphinxParams::new(spec.max_hops, spec.body_len).unwrap();
        let mixes = keys_for(spec.key_seed, spec.hops);
        let (packet, extra) = build(&spec, &params, &mixes);
        let mut v = json!({
            "name": spec.name,
            "params": params,
            "mix_secrets": mixes.iter().map(|m| m.secret_hex().to_string()).collect::<Vec<_>>(),
            "mix_publics": mixes.iter().map(|m| m.public().to_hex()).collect::<Vec<_>>(),
            "mix_node_ids": mixes.iter().map(|m| m.node_id().to_hex()).collect::<Vec<_>>(),
            "rng": format!("ChaCha20Rng::seed_from_u64({})", spec.rng_seed),
            "rng_seed": spec.rng_seed,
            "destination": spec.destination,
            "message": hex::encode(&spec.message),
            "packet": hex::encode(&packet),
            "hops": trace(&params, &mixes, &packet),
        });
        if let Value::Object(extra) = extra {
            for (k, val) in extra {
                v[k] = val;
            }
        }
        vectors.push(v);
    }
    // one byte flipped: (vector, byte index, hop that must refuse it, error code)
    let negatives = [
        ("forward-3hops", 0usize, 0usize, "malformed"),
        ("forward-3hops", 40, 0, "bad_mac"),
        ("forward-3hops", 100, 0, "bad_mac"),
        ("forward-3hops", 213, 0, "bad_mac"),
        ("forward-3hops", 214, 2, "bad_payload_tag"),
        ("forward-3hops", 1256, 2, "bad_payload_tag"),
        ("forward-1hop", 700, 0, "bad_payload_tag"),
    ];
    json!({
        "_comment": "panoramix-sphinx wire version 1 known answers. Generated by tests/vectors.rs::generate from the seeds shown (mix keys: MixKeyPair::generate with ChaCha20Rng::seed_from_u64(key seed), one per hop). Hex everywhere. 'hops' lists what each mix on the route outputs for the stored 'packet'. Negative vectors flip one byte of a packet (xor 0x01) and expect the given error code at the given hop.",
        "vectors": vectors,
        "negative": negatives.iter().map(|(n, b, h, e)| json!({"vector": n, "flip_byte": b, "hop": h, "error": e})).collect::<Vec<_>>(),
    })
}

fn load() -> Value {
    let text = std::fs::read_to_string(PATH).expect("vector file");
    serde_json::from_str(&text).expect("vector JSON")
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

#[test]
fn known_answers() {
    if std::env::var_os("PANORAMIX_SPHINX_REGENERATE_VECTORS").is_some() {
        let text = serde_json::to_string_pretty(&generate()).unwrap() + "\n";
        std::fs::write(PATH, text).unwrap();
    }
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
    assert_eq!(load(), generate());
}
