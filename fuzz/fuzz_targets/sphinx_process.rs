//! Sphinx packet parsing and processing on untrusted bytes (panoramix-sphinx).
//!
//! The first byte picks what to exercise; the rest is the input:
//! * 0: `process_packet` on raw bytes (default and small parameters), then the next hop;
//! * 1: the batch API on newline-separated texts (`process_batch`, `gateway_accept`);
//! * 2: `peel_batch` on packet-sized chunks, which must agree with `peel_layer`;
//! * 3: the other parsers (SURB, replay cache, public key, packet and SURB texts).
//!
//! The mix key is the one of vector `forward-1hop` in
//! `crates/panoramix-sphinx/tests/vectors/sphinx_v1.json`, so the seed corpus (valid
//! packets from that file) reaches the exit code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use panoramix_fuzz::rng::FuzzRng;
use panoramix_sphinx::{
    MixKeyPair, MixPublicKey, ProcessedPacket, ReplayCache, SphinxPacket, SphinxParams, Surb,
    gateway_accept, peel_batch, peel_layer, process_batch, process_packet,
};

const SECRET_HEX: &str = "1a8248eb5d931ef1e03f940027c8c7c0590148be0f41760de4aa88951b53130c";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let key = MixKeyPair::from_secret_hex(SECRET_HEX).expect("fixed key is valid");
    let params = SphinxParams::default();
    let small = SphinxParams::new(2, 64).expect("valid parameters");
    match mode % 4 {
        0 => {
            for p in [&params, &small] {
                let mut cache = ReplayCache::new(key.node_id(), 4);
                if let Ok(ProcessedPacket::Forward { packet, .. }) =
                    process_packet(&key, p, &mut cache, rest)
                {
                    assert_eq!(packet.as_bytes().len(), p.packet_len());
                    let _ = peel_layer(&key, p, packet.as_bytes());
                    let _ = SphinxPacket::from_text(p, &packet.to_text()).expect("own text");
                }
                // processing the same bytes twice never succeeds twice
                if process_packet(&key, p, &mut cache, rest).is_ok() {
                    panic!("replay accepted");
                }
            }
        }
        1 => {
            let text = String::from_utf8_lossy(rest);
            let inputs: Vec<&str> = text.split('\n').collect();
            let mut cache = ReplayCache::new(key.node_id(), 64);
            let mut rng = FuzzRng(rest.len() as u64);
            let out = process_batch(&key, &params, &mut cache, &inputs, &mut rng)
                .expect("the cache belongs to the key");
            assert_eq!(out.input_count(), inputs.len());
            let g = gateway_accept(&params, &inputs);
            assert_eq!(g.accepted.len() + g.rejected.len(), inputs.len());
        }
        2 => {
            let chunks: Vec<&[u8]> = rest.chunks(params.packet_len()).collect();
            let batched = peel_batch(&key, &params, &chunks);
            assert_eq!(batched.len(), chunks.len());
            for (c, b) in chunks.iter().zip(batched) {
                assert_eq!(peel_layer(&key, &params, c), b);
            }
        }
        _ => {
            let _ = SphinxPacket::from_bytes(&params, rest);
            let _ = ReplayCache::from_bytes(rest);
            let _ = MixPublicKey::from_bytes(rest);
            if let Ok(surb) = Surb::from_bytes(&params, rest) {
                let _ = surb.reply(rest);
            }
            if let Ok(text) = core::str::from_utf8(rest) {
                let _ = SphinxPacket::from_text(&params, text);
                let _ = Surb::from_text(&params, text);
                let _ = MixPublicKey::from_hex(text);
            }
        }
    }
});
