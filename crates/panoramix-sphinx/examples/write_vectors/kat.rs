//! The known answers `tests/vectors/sphinx_v1.json`, made from fixed seeds.
//!
//! Shared by the `write_vectors` example (which writes the file) and by
//! `tests/vectors.rs` (which only compares the committed file with this output).

use panoramix_sphinx::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Value, json};

/// Where the vectors are committed.
pub const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/sphinx_v1.json");

/// One vector: route length, parameters, content and seeds.
pub struct Spec {
    pub name: &'static str,
    pub max_hops: usize,
    pub body_len: usize,
    pub hops: usize,
    pub surb: bool,
    pub destination: &'static str,
    pub message: Vec<u8>,
    pub key_seed: u64,
    pub rng_seed: u64,
}

pub fn specs() -> Vec<Spec> {
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

pub fn keys_for(seed: u64, n: usize) -> Vec<MixKeyPair> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    (0..n).map(|_| MixKeyPair::generate(&mut rng)).collect()
}

/// Process `packet` through `mixes`, recording every hop.
pub fn trace(params: &SphinxParams, mixes: &[MixKeyPair], packet: &[u8]) -> Vec<Value> {
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
pub fn build(spec: &Spec, params: &SphinxParams, mixes: &[MixKeyPair]) -> (Vec<u8>, Value) {
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

pub fn generate() -> Value {
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
        "_comment": "panoramix-sphinx wire version 1 known answers. Written by `cargo run -p panoramix-sphinx --example write_vectors` (examples/write_vectors/kat.rs::generate) and compared by tests/vectors.rs, from the seeds shown (mix keys: MixKeyPair::generate with ChaCha20Rng::seed_from_u64(key seed), one per hop). Hex everywhere. 'hops' lists what each mix on the route outputs for the stored 'packet'. Negative vectors flip one byte of a packet (xor 0x01) and expect the given error code at the given hop.",
        "vectors": vectors,
        "negative": negatives.iter().map(|(n, b, h, e)| json!({"vector": n, "flip_byte": b, "hop": h, "error": e})).collect::<Vec<_>>(),
    })
}

/// The file text: pretty JSON and a final newline.
pub fn text(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap() + "\n"
}
