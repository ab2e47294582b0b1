//! Runs under Node with wasm-bindgen-test:
//! `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!  cargo test -p panoramix-sphinx --target wasm32-unknown-unknown --test wasm`
#![cfg(target_arch = "wasm32")]

use panoramix_sphinx::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use wasm_bindgen_test::wasm_bindgen_test;

fn setup(hops: usize) -> (SphinxParams, Vec<MixKeyPair>, Route, ChaCha20Rng) {
    let params = SphinxParams::default();
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    let mixes: Vec<MixKeyPair> = (0..hops).map(|_| MixKeyPair::generate(&mut rng)).collect();
    let keys: Vec<MixPublicKey> = mixes.iter().map(|m| *m.public()).collect();
    let route = select_route(&params, &keys).unwrap();
    (params, mixes, route, rng)
}

#[wasm_bindgen_test]
fn packet_round_trips_through_five_mixes() {
    let (params, mixes, route, mut rng) = setup(5);
    let msg = wrap_message(
        &params,
        &route,
        "bob",
        "hello from wasm".as_bytes(),
        &mut rng,
    )
    .unwrap();
    assert_eq!(msg.recipient, mixes[0].node_id().to_hex());
    let mut batch = vec![msg.text];
    for mix in &mixes {
        let mut cache = ReplayCache::for_node(mix.node_id());
        let out = process_batch(mix, &params, &mut cache, &batch, &mut rng).unwrap();
        assert!(out.rejected.is_empty());
        // a replay of the same input is dropped
        let again = process_batch(mix, &params, &mut cache, &batch, &mut rng).unwrap();
        assert_eq!(again.rejected[0].error, Error::Replay);
        batch = out.outputs.into_iter().map(|o| o.text).collect();
    }
    assert_eq!(batch, vec!["hello from wasm".to_string()]);
}

#[wasm_bindgen_test]
fn surb_round_trips() {
    let (params, mixes, mut route, mut rng) = setup(3);
    route.prepare();
    let (surb, opener) = create_surb(&params, &route, &mut rng).unwrap();
    let surb = Surb::from_text(&params, &surb.to_text()).unwrap();
    let mut bytes = surb.reply(b"pong").unwrap().into_bytes();
    let mut payload = None;
    for mix in &mixes {
        let mut cache = ReplayCache::for_node(mix.node_id());
        match process_packet(mix, &params, &mut cache, &bytes).unwrap() {
            ProcessedPacket::Forward { packet, .. } => bytes = packet.into_bytes(),
            ProcessedPacket::Reply {
                surb_id,
                payload: p,
            } => {
                assert_eq!(surb_id, opener.id());
                payload = Some(p);
            }
            ProcessedPacket::Final { .. } => panic!("expected a reply"),
        }
    }
    assert_eq!(opener.open(&payload.unwrap()).unwrap(), b"pong");
}
