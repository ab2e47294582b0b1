//! Round trips, tampering, replays, SURBs and batches (native; the wasm32 test is
//! `tests/wasm.rs`).
#![cfg(not(target_arch = "wasm32"))]

use panoramix_sphinx::params::{HEADER_FIXED_LEN, HOP_LEN};
use panoramix_sphinx::*;
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn mixes(n: usize, seed: u64) -> Vec<MixKeyPair> {
    let mut r = rng(seed);
    (0..n).map(|_| MixKeyPair::generate(&mut r)).collect()
}

fn publics(m: &[MixKeyPair]) -> Vec<MixPublicKey> {
    m.iter().map(|k| *k.public()).collect()
}

fn caches(m: &[MixKeyPair]) -> Vec<ReplayCache> {
    m.iter()
        .map(|k| ReplayCache::for_node(k.node_id()))
        .collect()
}

/// Send `packet` through `route` (processing at each mix in order); return the last result
/// or the first error with the hop index.
fn run(
    params: &SphinxParams,
    route: &[MixKeyPair],
    caches: &mut [ReplayCache],
    packet: Vec<u8>,
) -> Result<ProcessedPacket, (usize, Error)> {
    let mut bytes = packet;
    for (i, mix) in route.iter().enumerate() {
        let p = process_packet(mix, params, &mut caches[i], &bytes).map_err(|e| (i, e))?;
        match p {
            ProcessedPacket::Forward { next_hop, packet } => {
                assert!(i + 1 < route.len(), "forward from the last hop");
                assert_eq!(next_hop, route[i + 1].node_id());
                bytes = packet.into_bytes();
            }
            other => {
                assert_eq!(i + 1, route.len(), "exit before the last hop");
                return Ok(other);
            }
        }
    }
    panic!("route ended without an exit")
}

#[test]
fn forward_round_trip_every_length() {
    let params = SphinxParams::default();
    let m = mixes(params.max_hops(), 1);
    let mut r = rng(2);
    for hops in 1..=params.max_hops() {
        for prepared in [false, true] {
            let route = if prepared {
                Route::prepared(&params, &publics(&m[..hops])).unwrap()
            } else {
                Route::new(&params, &publics(&m[..hops])).unwrap()
            };
            let msg = vec![0x5a; params.body_len() - 5];
            let p = create_packet(&params, &route, "bob@x", &msg, &mut r).unwrap();
            assert_eq!(p.as_bytes().len(), params.packet_len());
            let mut c = caches(&m);
            let out = run(&params, &m[..hops], &mut c, p.into_bytes()).unwrap();
            assert_eq!(
                out,
                ProcessedPacket::Final {
                    destination: "bob@x".into(),
                    message: msg
                }
            );
        }
    }
}

#[test]
fn prepared_and_plain_routes_make_identical_packets() {
    let params = SphinxParams::default();
    let m = mixes(5, 3);
    let plain = Route::new(&params, &publics(&m)).unwrap();
    let prepared = Route::prepared(&params, &publics(&m)).unwrap();
    let a = create_packet(&params, &plain, "d", b"m", &mut rng(9)).unwrap();
    let b = create_packet(&params, &prepared, "d", b"m", &mut rng(9)).unwrap();
    assert_eq!(a, b);
}

#[test]
fn non_default_params_round_trip() {
    for (hops, body) in [(1, 32), (2, 100), (8, 2048), (10, 4000)] {
        let params = SphinxParams::new(hops, body).unwrap();
        assert_eq!(params.header_len(), HEADER_FIXED_LEN + hops * HOP_LEN);
        let m = mixes(hops, 4);
        let route = Route::new(&params, &publics(&m)).unwrap();
        let msg = vec![7u8; body];
        let p = create_packet(&params, &route, "", &msg, &mut rng(5)).unwrap();
        let mut c = caches(&m);
        let out = run(&params, &m, &mut c, p.into_bytes()).unwrap();
        assert_eq!(
            out,
            ProcessedPacket::Final {
                destination: String::new(),
                message: msg
            }
        );
    }
}

#[test]
fn route_and_payload_limits() {
    let params = SphinxParams::default();
    let m = mixes(6, 6);
    let p = publics(&m);
    assert_eq!(
        Route::new(&params, &p).unwrap_err(),
        Error::TooManyHops { hops: 6, max: 5 }
    );
    assert_eq!(Route::new(&params, &[]).unwrap_err(), Error::EmptyRoute);
    assert_eq!(
        Route::new(&params, &[p[0], p[1], p[0]]).unwrap_err(),
        Error::DuplicateHop
    );
    let route = Route::new(&params, &p[..2]).unwrap();
    let mut r = rng(1);
    assert_eq!(
        create_packet(&params, &route, "ab", &[0; 1023], &mut r).unwrap_err(),
        Error::PayloadTooLong {
            len: 1025,
            max: 1024
        }
    );
    assert!(matches!(
        create_packet(&params, &route, &"d".repeat(256), b"", &mut r),
        Err(Error::PayloadTooLong { .. })
    ));
    // a route built for longer headers is refused by shorter params
    let short = SphinxParams::new(1, 1024).unwrap();
    assert!(matches!(
        create_packet(&short, &route, "", b"", &mut r),
        Err(Error::TooManyHops { .. })
    ));
}

#[test]
fn wrong_key_fails_mac() {
    let params = SphinxParams::default();
    let m = mixes(2, 7);
    let other = mixes(1, 8);
    let route = Route::new(&params, &publics(&m)).unwrap();
    let p = create_packet(&params, &route, "d", b"m", &mut rng(1)).unwrap();
    assert_eq!(
        peel_layer(&other[0], &params, p.as_bytes()).unwrap_err(),
        Error::BadMac
    );
}

/// Flip every byte of a packet in turn: each change must be caught at some hop or at the
/// exit, never delivered.
#[test]
fn tampering_any_byte_is_detected() {
    let params = SphinxParams::default();
    for hops in [1, 3, 5] {
        let m = mixes(hops, 10 + hops as u64);
        let route = Route::new(&params, &publics(&m)).unwrap();
        let p = create_packet(&params, &route, "dest", b"attack at dawn", &mut rng(11)).unwrap();
        let bytes = p.into_bytes();
        for pos in 0..bytes.len() {
            for flip in [0x01u8, 0x80] {
                let mut t = bytes.clone();
                t[pos] ^= flip;
                let mut c = caches(&m);
                let (hop, err) = run(&params, &m, &mut c, t).expect_err("tampering undetected");
                match pos {
                    0 => assert!(matches!(
                        err,
                        Error::Malformed(Malformed::UnknownVersion(_))
                    )),
                    1..=32 => assert!(
                        matches!(
                            err,
                            Error::BadMac | Error::Malformed(Malformed::InvalidGroupElement)
                        ),
                        "pos {pos}: {err:?}"
                    ),
                    p if p < params.header_len() => {
                        assert_eq!((hop, &err), (0, &Error::BadMac), "pos {pos}")
                    }
                    _ => assert_eq!((hop, &err), (hops - 1, &Error::BadPayloadTag), "pos {pos}"),
                }
            }
        }
    }
}

#[test]
fn tampering_between_hops_is_detected() {
    let params = SphinxParams::default();
    let m = mixes(4, 20);
    let route = Route::new(&params, &publics(&m)).unwrap();
    let p = create_packet(&params, &route, "dest", b"hello", &mut rng(21)).unwrap();
    let mut c = caches(&m);
    let ProcessedPacket::Forward { packet, .. } =
        process_packet(&m[0], &params, &mut c[0], p.as_bytes()).unwrap()
    else {
        panic!("expected forward")
    };
    let bytes = packet.into_bytes();
    let mut r = rng(22);
    use rand_core::RngCore;
    for _ in 0..300 {
        let pos = (r.next_u32() as usize) % bytes.len();
        let mut t = bytes.clone();
        t[pos] ^= 1 + (r.next_u32() % 255) as u8;
        let mut c2 = caches(&m[1..]);
        assert!(run(&params, &m[1..], &mut c2, t).is_err(), "pos {pos}");
    }
}

#[test]
fn replays_are_dropped() {
    let params = SphinxParams::default();
    let m = mixes(3, 30);
    let route = Route::new(&params, &publics(&m)).unwrap();
    let p = create_packet(&params, &route, "d", b"once", &mut rng(31)).unwrap();
    let mut c = caches(&m);
    let first = process_packet(&m[0], &params, &mut c[0], p.as_bytes()).unwrap();
    assert_eq!(
        process_packet(&m[0], &params, &mut c[0], p.as_bytes()).unwrap_err(),
        Error::Replay
    );
    // replaying the forwarded packet at the second mix
    let ProcessedPacket::Forward { packet, .. } = first else {
        panic!()
    };
    process_packet(&m[1], &params, &mut c[1], packet.as_bytes()).unwrap();
    assert_eq!(
        process_packet(&m[1], &params, &mut c[1], packet.as_bytes()).unwrap_err(),
        Error::Replay
    );
    // the cache survives a restart
    let saved = serde_json::to_string(&c[0]).unwrap();
    let mut restored: ReplayCache = serde_json::from_str(&saved).unwrap();
    assert_eq!(
        process_packet(&m[0], &params, &mut restored, p.as_bytes()).unwrap_err(),
        Error::Replay
    );
    let mut restored = ReplayCache::from_bytes(&c[0].to_bytes()).unwrap();
    assert_eq!(
        process_packet(&m[0], &params, &mut restored, p.as_bytes()).unwrap_err(),
        Error::Replay
    );
    // a cache of another key is refused
    assert_eq!(
        process_packet(&m[0], &params, &mut c[1], p.as_bytes()).unwrap_err(),
        Error::CacheKeyMismatch
    );
    // a full cache fails closed
    let mut tiny = ReplayCache::new(m[0].node_id(), 0);
    assert_eq!(
        process_packet(&m[0], &params, &mut tiny, p.as_bytes()).unwrap_err(),
        Error::ReplayCacheFull { capacity: 0 }
    );
}

#[test]
fn surb_round_trip() {
    let params = SphinxParams::default();
    let m = mixes(5, 40);
    let mut r = rng(41);
    for hops in 1..=5 {
        let route = Route::new(&params, &publics(&m[..hops])).unwrap();
        let (surb, opener) = create_surb(&params, &route, &mut r).unwrap();
        // the SURB travels as text, the opener is stored as JSON
        let surb = Surb::from_text(&params, &surb.to_text()).unwrap();
        let opener: SurbOpener =
            serde_json::from_str(&serde_json::to_string(&opener).unwrap()).unwrap();
        assert_eq!(surb.first_hop(), m[0].node_id());
        let reply_msg = vec![0xabu8; params.body_len()];
        let reply = surb.reply(&reply_msg).unwrap();
        let mut c = caches(&m);
        let out = run(&params, &m[..hops], &mut c, reply.as_bytes().to_vec()).unwrap();
        let ProcessedPacket::Reply { surb_id, payload } = out else {
            panic!("expected a reply")
        };
        assert_eq!(surb_id, opener.id());
        assert_eq!(opener.open(&payload).unwrap(), reply_msg);
        // tampered reply payload
        let mut bad = payload.clone();
        bad[100] ^= 4;
        assert_eq!(opener.open(&bad).unwrap_err(), Error::BadPayloadTag);
        // another SURB's opener cannot read it
        let (_, other) = create_surb(&params, &route, &mut r).unwrap();
        assert_eq!(other.open(&payload).unwrap_err(), Error::BadPayloadTag);
        // single use: a second reply with the same SURB is a replay at the first mix
        let again = surb.reply(b"again").unwrap();
        assert_eq!(
            process_packet(&m[0], &params, &mut c[0], again.as_bytes()).unwrap_err(),
            Error::Replay
        );
    }
}

#[test]
fn surb_reply_through_batch_api() {
    let params = SphinxParams::default();
    let m = mixes(3, 50);
    let mut r = rng(51);
    let route = select_route(&params, &publics(&m)).unwrap();
    let (surb, opener) = create_surb(&params, &route, &mut r).unwrap();
    let mut batch = vec![surb.reply("pong".as_bytes()).unwrap().to_text()];
    let mut c = caches(&m);
    let mut last = None;
    for (i, mix) in m.iter().enumerate() {
        let out = process_batch(mix, &params, &mut c[i], &batch, &mut r).unwrap();
        assert!(out.rejected.is_empty());
        last = Some(out.outputs[0].clone());
        batch = out.outputs.into_iter().map(|o| o.text).collect();
    }
    let last = last.unwrap();
    assert_eq!(last.kind, OutputKind::Reply);
    assert_eq!(last.recipient, format!("surb:{}", opener.id().to_hex()));
    assert_eq!(opener.open_text(&last.text).unwrap(), b"pong");
}

#[test]
fn batch_drops_bad_messages_one_by_one() {
    let params = SphinxParams::default();
    let m = mixes(2, 60);
    let stranger = mixes(1, 61);
    let mut r = rng(62);
    let route = select_route(&params, &publics(&m)).unwrap();
    let good: Vec<String> = (0..40)
        .map(|i| {
            wrap_message(
                &params,
                &route,
                &format!("dest{i}"),
                format!("msg {i}").as_bytes(),
                &mut r,
            )
            .unwrap()
            .text
        })
        .collect();
    let for_stranger = create_packet(
        &params,
        &Route::new(&params, &publics(&stranger)).unwrap(),
        "x",
        b"y",
        &mut r,
    )
    .unwrap()
    .to_text();
    let mut bad_version = SphinxPacket::from_text(&params, &good[0])
        .unwrap()
        .into_bytes();
    bad_version[0] = 9;
    let mut identity_alpha = SphinxPacket::from_text(&params, &good[1])
        .unwrap()
        .into_bytes();
    identity_alpha[1..33].fill(0);
    let mut noncanonical = SphinxPacket::from_text(&params, &good[2])
        .unwrap()
        .into_bytes();
    noncanonical[1..33].fill(0xff);
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);

    let mut inputs: Vec<String> = good.clone();
    let bad: Vec<(usize, String, &str)> = vec![
        (3, "not base64 at all!".into(), "malformed"),
        (7, b64(&[1u8; 100]), "malformed"),
        (11, b64(&bad_version), "malformed"),
        (13, b64(&identity_alpha), "malformed"),
        (17, b64(&noncanonical), "malformed"),
        (19, for_stranger, "bad_mac"),
        (23, good[5].clone(), "replay"),
        (29, good[5].clone(), "replay"),
    ];
    for (at, text, _) in &bad {
        inputs.insert(*at, text.clone());
    }
    let mut c = ReplayCache::for_node(m[0].node_id());
    let out = process_batch(&m[0], &params, &mut c, &inputs, &mut r).unwrap();
    assert_eq!(out.outputs.len(), good.len());
    assert_eq!(out.rejected.len(), bad.len());
    for ((at, _, code), rej) in bad.iter().zip(&out.rejected) {
        assert_eq!(rej.index, *at);
        assert_eq!(rej.error.code(), *code, "index {at}: {:?}", rej.error);
    }
    assert!(out.outputs.iter().all(|o| o.kind == OutputKind::Forward));
    assert!(
        out.outputs
            .iter()
            .all(|o| o.recipient == m[1].node_id().to_hex())
    );
    // the second mix delivers everything, shuffled
    let texts: Vec<String> = out.outputs.iter().map(|o| o.text.clone()).collect();
    let mut c1 = ReplayCache::for_node(m[1].node_id());
    let out2 = process_batch(&m[1], &params, &mut c1, &texts, &mut r).unwrap();
    assert!(out2.rejected.is_empty());
    let mut got: Vec<(String, String)> = out2
        .outputs
        .iter()
        .map(|o| (o.recipient.clone(), o.text.clone()))
        .collect();
    let in_order: Vec<(String, String)> = (0..40)
        .map(|i| (format!("dest{i}"), format!("msg {i}")))
        .collect();
    assert_ne!(got, in_order, "outputs not shuffled");
    got.sort();
    let mut want = in_order;
    want.sort();
    assert_eq!(got, want);
    // the whole batch again: every packet is a replay
    let again = process_batch(&m[0], &params, &mut c, &inputs, &mut r).unwrap();
    assert!(again.outputs.is_empty());
    // a cache of another key refuses the whole batch
    assert_eq!(
        process_batch(&m[0], &params, &mut c1, &inputs, &mut r).unwrap_err(),
        Error::CacheKeyMismatch
    );
}

#[test]
fn batch_reports_non_utf8_final_messages() {
    let params = SphinxParams::default();
    let m = mixes(1, 70);
    let mut r = rng(71);
    let route = Route::new(&params, &publics(&m)).unwrap();
    let inputs = vec![
        create_packet(&params, &route, "d", &[0xff, 0xfe], &mut r)
            .unwrap()
            .to_text(),
        create_packet(&params, &route, "d", b"ok", &mut r)
            .unwrap()
            .to_text(),
    ];
    let mut c = ReplayCache::for_node(m[0].node_id());
    let out = process_batch(&m[0], &params, &mut c, &inputs, &mut r).unwrap();
    assert_eq!(out.outputs.len(), 1);
    assert_eq!(out.rejected[0].index, 0);
    assert_eq!(
        out.rejected[0].error,
        Error::Malformed(Malformed::MessageNotUtf8)
    );
}

#[test]
fn batch_peeling_matches_single_peeling() {
    let params = SphinxParams::default();
    let m = mixes(3, 80);
    let mut r = rng(81);
    let route = Route::new(&params, &publics(&m)).unwrap();
    let one_hop = Route::new(&params, &publics(&m[..1])).unwrap();
    let mut packets: Vec<Vec<u8>> = (0..70)
        .map(|i| {
            let route = if i % 3 == 0 { &one_hop } else { &route };
            create_packet(&params, route, "d", &[i as u8; 10], &mut r)
                .unwrap()
                .into_bytes()
        })
        .collect();
    packets.push(vec![1, 2, 3]);
    let refs: Vec<&[u8]> = packets.iter().map(|p| p.as_slice()).collect();
    let batched = peel_batch(&m[0], &params, &refs);
    for (p, b) in packets.iter().zip(batched) {
        assert_eq!(peel_layer(&m[0], &params, p), b);
    }
}

#[test]
fn gateway_admits_well_formed_packets() {
    let params = SphinxParams::default();
    let m = mixes(2, 90);
    let mut r = rng(91);
    let route = select_route(&params, &publics(&m)).unwrap();
    let a = wrap_message(&params, &route, "d", b"m", &mut r).unwrap();
    assert_eq!(a.recipient, m[0].node_id().to_hex());
    let b = wrap_message(&params, &route, "d", b"n", &mut r).unwrap();
    let inputs = vec![a.text.clone(), "garbage".into(), b.text, a.text];
    let out = gateway_accept(&params, &inputs);
    assert_eq!(out.accepted, vec![0, 2]);
    assert_eq!(out.rejected.len(), 2);
    assert_eq!(out.rejected[0].error.code(), "malformed");
    assert_eq!(out.rejected[1].error, Error::Replay);
}

#[test]
fn endpoint_types_parse() {
    for t in EndpointType::ALL {
        assert_eq!(t.as_str().parse::<EndpointType>().unwrap(), t);
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            format!("\"{}\"", t.as_str())
        );
    }
    assert_eq!(EndpointType::StaticGateway.role(), EndpointRole::Gateway);
    assert_eq!(EndpointType::StaticMix.role(), EndpointRole::Mix);
    assert!("ZEUS_SK_MIX".parse::<EndpointType>().is_err());
}

#[test]
fn text_forms_round_trip() {
    let params = SphinxParams::default();
    let m = mixes(2, 100);
    let route = Route::new(&params, &publics(&m)).unwrap();
    let p = create_packet(&params, &route, "d", b"m", &mut rng(1)).unwrap();
    let t = p.to_text();
    assert_eq!(t.len(), packet_text_len(&params));
    assert_eq!(SphinxPacket::from_text(&params, &t).unwrap(), p);
    assert!(SphinxPacket::from_text(&params, &t[1..]).is_err());
    assert!(SphinxPacket::from_text(&params, &"A".repeat(t.len())).is_err());
    assert_eq!(p.header().len(), params.header_len());
    assert_eq!(p.payload().len(), params.payload_len());
    assert_eq!(p.alpha().len(), 32);
    assert_eq!(p.gamma().len(), 16);
    assert_eq!(p.beta().len(), params.beta_len());
}

fn small_params() -> SphinxParams {
    SphinxParams::default()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Any route of 1 to max hops and any content up to BODY_LEN round-trips.
    #[test]
    fn prop_round_trip(
        hops in 1usize..=5,
        dest in "[a-z0-9:/@.]{0,40}",
        msg_len in 0usize..=1024,
        fill in any::<u8>(),
        seed in any::<u64>(),
    ) {
        let params = small_params();
        let msg_len = msg_len.min(params.body_len() - dest.len());
        let msg: Vec<u8> = (0..msg_len).map(|i| fill.wrapping_add(i as u8)).collect();
        let m = mixes(hops, seed);
        let route = Route::new(&params, &publics(&m)).unwrap();
        let p = create_packet(&params, &route, &dest, &msg, &mut rng(seed ^ 1)).unwrap();
        let mut c = caches(&m);
        let out = run(&params, &m, &mut c, p.into_bytes()).unwrap();
        prop_assert_eq!(out, ProcessedPacket::Final { destination: dest, message: msg });
    }

    /// Any SURB route of 1 to max hops and any reply up to BODY_LEN round-trips; a changed
    /// reply payload byte is caught by the opener.
    #[test]
    fn prop_surb_round_trip(
        hops in 1usize..=5,
        msg_len in 0usize..=1024,
        fill in any::<u8>(),
        flip in any::<prop::sample::Index>(),
        seed in any::<u64>(),
    ) {
        let params = small_params();
        let msg: Vec<u8> = (0..msg_len).map(|i| fill.wrapping_mul(i as u8)).collect();
        let m = mixes(hops, seed);
        let route = Route::new(&params, &publics(&m)).unwrap();
        let (surb, opener) = create_surb(&params, &route, &mut rng(seed ^ 3)).unwrap();
        let reply = surb.reply(&msg).unwrap();
        let mut c = caches(&m);
        let ProcessedPacket::Reply { surb_id, payload } =
            run(&params, &m, &mut c, reply.into_bytes()).unwrap()
        else {
            panic!("expected a reply")
        };
        prop_assert_eq!(surb_id, opener.id());
        prop_assert_eq!(opener.open(&payload).unwrap(), msg);
        let mut bad = payload;
        let i = flip.index(bad.len());
        bad[i] ^= 0x20;
        prop_assert_eq!(opener.open(&bad), Err(Error::BadPayloadTag));
    }

    /// Any single-byte change anywhere, before any hop, is caught before delivery.
    #[test]
    fn prop_tamper_detected(
        hops in 1usize..=5,
        at_hop in 0usize..5,
        pos in 0usize..1257,
        xor in 1u8..=255,
        seed in any::<u64>(),
    ) {
        let params = small_params();
        let m = mixes(hops, seed);
        let at_hop = at_hop % hops;
        let route = Route::new(&params, &publics(&m)).unwrap();
        let mut bytes = create_packet(&params, &route, "d", b"payload", &mut rng(seed ^ 2)).unwrap().into_bytes();
        let mut c = caches(&m);
        for i in 0..at_hop {
            match process_packet(&m[i], &params, &mut c[i], &bytes).unwrap() {
                ProcessedPacket::Forward { packet, .. } => bytes = packet.into_bytes(),
                _ => unreachable!(),
            }
        }
        bytes[pos % params.packet_len()] ^= xor;
        prop_assert!(run(&params, &m[at_hop..], &mut c[at_hop..], bytes).is_err());
    }

    /// Arbitrary bytes and text never panic any parser or the mix.
    #[test]
    fn prop_garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..1400), text in ".{0,200}") {
        let params = small_params();
        let m = mixes(1, 5);
        let mut c = ReplayCache::for_node(m[0].node_id());
        let _ = process_packet(&m[0], &params, &mut c, &data);
        let mut padded = data.clone();
        padded.resize(params.packet_len(), 0);
        padded[0] = 1;
        let _ = process_packet(&m[0], &params, &mut c, &padded);
        let _ = SphinxPacket::from_text(&params, &text);
        let _ = Surb::from_bytes(&params, &data);
        let _ = ReplayCache::from_bytes(&data);
        let _ = MixPublicKey::from_bytes(&data);
        let _ = process_batch(&m[0], &params, &mut c, std::slice::from_ref(&text), &mut rng(1));
    }
}
