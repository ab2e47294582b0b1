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

/// Rough wasm timings: wall clock of the JS engine (millisecond clock), best of 5 runs after a warm-up,
/// printed, not asserted. Run with `--release` for meaningful figures.
#[wasm_bindgen_test]
fn timings() {
    let (params, mixes, route, mut rng) = setup(5);
    let mut prepared = route.clone();
    let now = js_sys::Date::now;
    let t = now();
    prepared.prepare();
    let prepare_ms = now() - t;
    let best = |n: usize, f: &mut dyn FnMut()| -> f64 {
        // warm up: let the engine compile the hot code at its top tier first
        for _ in 0..n {
            f();
        }
        (0..5)
            .map(|_| {
                let t = now();
                for _ in 0..n {
                    f();
                }
                (now() - t) * 1000.0 / n as f64
            })
            .fold(f64::INFINITY, f64::min)
    };
    let msg = [1u8; 1000];
    let create = best(20, &mut || {
        create_packet(&params, &route, "d", &msg, &mut rng).unwrap();
    });
    let mut rng2 = rand_chacha::ChaCha20Rng::seed_from_u64(7);
    let create_prepared = best(40, &mut || {
        create_packet(&params, &prepared, "d", &msg, &mut rng2).unwrap();
    });
    let packet = create_packet(&params, &route, "d", &msg, &mut rng2).unwrap();
    let hop = best(100, &mut || {
        peel_layer(&mixes[0], &params, packet.as_bytes()).unwrap();
    });
    wasm_bindgen_test::console_log!(
        "wasm timings: create 5 hops {create:.0} µs, prepared route {create_prepared:.0} µs \
         (prepare {prepare_ms:.1} ms once), process one hop {hop:.0} µs"
    );
}
