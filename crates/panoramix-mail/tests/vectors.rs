//! Known answers: `tests/vectors/mail_v1.json`, made from fixed seeds by
//! `examples/write_vectors/kat.rs` (shared with this test).
//!
//! The file must be byte for byte what the generator writes; then every stored value is
//! checked again from the stored inputs: each seal against the primitives (Ristretto255,
//! HKDF-SHA256, ChaCha20-Poly1305) and the crate, each encoding against the crate's
//! decoders, the parts' exit outputs by running their stored Sphinx packets through the
//! stored mixes, the reply by running the stored reply packet and opening the exit's text
//! with the stored opener. The test never writes the file: regenerate it (only when a
//! format changes on purpose) with `cargo run -p panoramix-mail --example write_vectors`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use panoramix_core::wire::Peer;
use panoramix_mail::directory::MailRecord;
use panoramix_mail::envelope::{
    Envelope, MailSecretKey, Purpose, SEAL_OVERHEAD, open, seal_with_ephemeral,
};
use panoramix_mail::fragment::{Added, PART_HEADER_LEN, Part, Reassembler, forward_part_len};
use panoramix_mail::reply::{add_reply_header, parse_reply_address, reply_address};
use panoramix_sphinx::{
    MixKeyPair, ProcessedPacket, SphinxPacket, SphinxParams, Surb, SurbOpener, create_packet,
    peel_layer,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::Value;

#[path = "../examples/write_vectors/kat.rs"]
mod kat;

fn load() -> Value {
    serde_json::from_str(&std::fs::read_to_string(kat::PATH).expect("vector file"))
        .expect("vector JSON")
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

fn s(v: &Value) -> &str {
    v.as_str().expect("a string")
}

fn purpose(label: &str) -> Purpose {
    match label {
        kat::ENVELOPE_LABEL => Purpose::Envelope,
        kat::PART_LABEL => Purpose::Part,
        other => panic!("unknown label {other}"),
    }
}

fn recipient(file: &Value) -> MailSecretKey {
    let bob = MailSecretKey::from_hex(s(&file["recipient"]["mail_secret"])).unwrap();
    assert_eq!(bob.public().to_hex(), s(&file["recipient"]["mail_key"]));
    bob
}

fn run_mixes(mixes: &[MixKeyPair], params: &SphinxParams, packet: &[u8]) -> ProcessedPacket {
    let mut bytes = packet.to_vec();
    for (i, m) in mixes.iter().enumerate() {
        match peel_layer(m, params, &bytes).unwrap().1 {
            ProcessedPacket::Forward { packet, .. } if i + 1 < mixes.len() => {
                bytes = packet.into_bytes()
            }
            out => {
                assert_eq!(i + 1, mixes.len(), "only the last mix is an exit");
                return out;
            }
        }
    }
    unreachable!("three mixes")
}

#[test]
fn the_file_is_what_the_generator_writes() {
    let text = std::fs::read_to_string(kat::PATH).expect("vector file");
    assert_eq!(
        text,
        kat::text(&kat::generate()),
        "tests/vectors/mail_v1.json is stale: the mail formats changed (see examples/write_vectors)"
    );
}

#[test]
fn seals_match_the_primitives() {
    let file = load();
    let bob = recipient(&file);
    for v in file["seals"].as_array().unwrap() {
        let name = s(&v["name"]);
        let pt = unhex(&v["plaintext"]);
        let p = purpose(s(&v["label"]));
        let (e_pub, shared, key, sealed) =
            kat::seal_by_hand(&bob.public().to_bytes(), p, &pt, s(&v["ephemeral_secret"]));
        assert_eq!(hex::encode(e_pub), s(&v["ephemeral_public"]), "{name}: E");
        assert_eq!(hex::encode(shared), s(&v["shared"]), "{name}: S");
        assert_eq!(hex::encode(key), s(&v["key"]), "{name}: key");
        assert_eq!(hex::encode(&sealed), s(&v["sealed"]), "{name}: sealed");
        assert_eq!(sealed.len(), pt.len() + SEAL_OVERHEAD);
        let e = MailSecretKey::from_hex(s(&v["ephemeral_secret"])).unwrap();
        assert_eq!(seal_with_ephemeral(&bob.public(), p, &pt, &e), sealed);
        assert_eq!(
            &open(&bob, p, &sealed).unwrap()[..],
            &pt[..],
            "{name}: opens"
        );
        let other = if p == Purpose::Part {
            Purpose::Envelope
        } else {
            Purpose::Part
        };
        assert!(open(&bob, other, &sealed).is_err(), "{name}: other label");
        for i in [0, 32, sealed.len() - 1] {
            let mut t = sealed.clone();
            t[i] ^= 1;
            assert!(open(&bob, p, &t).is_err(), "{name}: byte {i} flipped");
        }
    }
}

#[test]
fn the_envelope_encodes_seals_and_opens() {
    let file = load();
    let bob = recipient(&file);
    let v = &file["envelope"];
    let surbs: Vec<Vec<u8>> = v["surbs"].as_array().unwrap().iter().map(unhex).collect();
    let mail = s(&v["mail"]).as_bytes().to_vec();
    let encoded = unhex(&v["encoded"]);
    // the layout, by hand: version, count, (u16 BE length, bytes) per SURB, the mail
    let mut by_hand = vec![1u8, surbs.len() as u8];
    for sb in &surbs {
        by_hand.extend_from_slice(&(sb.len() as u16).to_be_bytes());
        by_hand.extend_from_slice(sb);
    }
    by_hand.extend_from_slice(&mail);
    assert_eq!(encoded, by_hand);
    let env = Envelope::decode(&encoded).unwrap();
    assert_eq!((&env.surbs, &env.mail), (&surbs, &mail));
    assert_eq!(&env.encode().unwrap()[..], &encoded[..]);
    let sealed = unhex(&v["sealed"]);
    let (_, _, _, sealed_by_hand) = kat::seal_by_hand(
        &bob.public().to_bytes(),
        Purpose::Envelope,
        &encoded,
        s(&v["ephemeral_secret"]),
    );
    assert_eq!(sealed, sealed_by_hand);
    assert_eq!(Envelope::open(&bob, &sealed).unwrap(), env);
    let params: SphinxParams = serde_json::from_value(file["sphinx_params"].clone()).unwrap();
    assert_eq!(surbs[0].len(), Surb::wire_len(&params));
}

#[test]
fn parts_carry_the_sealed_envelope_through_the_mixnet() {
    let file = load();
    let bob = recipient(&file);
    let params: SphinxParams = serde_json::from_value(file["sphinx_params"].clone()).unwrap();
    let mixes: Vec<MixKeyPair> = file["mix_secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| MixKeyPair::from_secret_hex(s(x)).unwrap())
        .collect();
    let route = kat::route(&params, &mixes);
    let tag = s(&file["recipient"]["tag"]);
    let v = &file["parts"];
    let part_len = v["part_len"].as_u64().unwrap() as usize;
    assert_eq!(
        forward_part_len(params.body_len(), tag.len()).unwrap(),
        part_len
    );
    assert_eq!(part_len, 693);
    let count = v["count"].as_u64().unwrap() as u16;
    let mut data = Vec::new();
    let mut sealed_parts = Vec::new();
    for p in v["parts"].as_array().unwrap() {
        let i = p["index"].as_u64().unwrap() as u16;
        let plain = unhex(&p["plaintext"]);
        assert_eq!(plain.len(), part_len);
        let part = Part::decode(&plain).unwrap();
        assert_eq!(part.id.to_hex(), s(&v["message_id"]));
        assert_eq!((part.index, part.count), (i, count));
        // the header by hand
        assert_eq!(plain[0], 1);
        assert_eq!(&plain[17..19], &i.to_be_bytes());
        assert_eq!(&plain[19..21], &count.to_be_bytes());
        assert_eq!(&plain[21..23], &(part.data.len() as u16).to_be_bytes());
        assert!(
            plain[PART_HEADER_LEN + part.data.len()..]
                .iter()
                .all(|&b| b == 0)
        );
        assert_eq!(part.encode(part_len).unwrap(), plain);
        data.extend_from_slice(&part.data);
        // sealed, base64, the exit's output
        let sealed = unhex(&p["sealed"]);
        let (_, _, _, by_hand) = kat::seal_by_hand(
            &bob.public().to_bytes(),
            Purpose::Part,
            &plain,
            s(&p["ephemeral_secret"]),
        );
        assert_eq!(sealed, by_hand);
        let text = s(&p["exit_output"]["text"]);
        assert_eq!(B64.encode(&sealed), text);
        assert_eq!(text.len(), 988);
        assert_eq!(s(&p["exit_output"]["recipient"]), tag);
        assert_eq!(&open(&bob, Purpose::Part, &sealed).unwrap()[..], &plain[..]);
        let seed = p["packet_rng_seed"].as_u64().unwrap();
        let packet = create_packet(
            &params,
            &route,
            tag,
            text.as_bytes(),
            &mut ChaCha20Rng::seed_from_u64(seed),
        )
        .unwrap();
        assert_eq!(packet.to_text(), s(&p["packet"]));
        let stored = SphinxPacket::from_text(&params, s(&p["packet"])).unwrap();
        match run_mixes(&mixes, &params, stored.as_bytes()) {
            ProcessedPacket::Final {
                destination,
                message,
            } => {
                assert_eq!(destination, tag);
                assert_eq!(message, text.as_bytes());
            }
            other => panic!("part {i}: the exit gave {other:?}"),
        }
        sealed_parts.push(plain);
    }
    assert_eq!(data, unhex(&file["envelope"]["sealed"]));
    // reassembly in any order, a duplicate dropped
    let mut r = Reassembler::new(1000, 64, 4);
    let mut out = None;
    for p in sealed_parts.iter().rev().chain(sealed_parts.first()) {
        match r.add_bytes(p, 0).unwrap() {
            Added::Complete(m) => out = Some(m),
            Added::Stored { .. } | Added::Finished => {}
            Added::Duplicate => panic!("not held twice"),
        }
    }
    assert_eq!(out.unwrap(), data);
    // non-zero padding, another version: refused
    let mut bad = sealed_parts[sealed_parts.len() - 1].clone();
    *bad.last_mut().unwrap() = 1;
    assert!(Part::decode(&bad).is_err());
    bad = sealed_parts[0].clone();
    bad[0] = 2;
    assert!(Part::decode(&bad).is_err());
}

#[test]
fn directory_records_are_accepted_or_refused() {
    let file = load();
    let v = &file["directory"];
    let address = s(&v["address"]);
    assert_eq!(s(&v["peer_name"]), format!("mail:{address}"));
    for c in v["cases"].as_array().unwrap() {
        let name = s(&c["name"]);
        let peer: Peer = serde_json::from_value(c["peer"].clone()).unwrap();
        let got = MailRecord::from_peer(&peer, address);
        assert_eq!(got.is_some(), c["valid"].as_bool().unwrap(), "{name}");
        if let Some(r) = got {
            assert_eq!(r.mail_key.to_hex(), s(&file["recipient"]["mail_key"]));
            assert_eq!(r.tag, s(&file["recipient"]["tag"]));
            assert_eq!(r.to_params(), v["crypto_params"]);
        }
    }
}

#[test]
fn a_reply_goes_back_through_the_surb() {
    let file = load();
    let v = &file["reply"];
    let params: SphinxParams = serde_json::from_value(file["sphinx_params"].clone()).unwrap();
    let mixes: Vec<MixKeyPair> = file["mix_secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| MixKeyPair::from_secret_hex(s(x)).unwrap())
        .collect();
    let token = s(&v["token"]);
    let alias = s(&v["alias"]);
    assert_eq!(alias, format!("reply-{token}@reply.panoramix.invalid"));
    assert_eq!(reply_address(token), alias);
    assert_eq!(
        parse_reply_address(&alias.to_uppercase()).as_deref(),
        Some(token)
    );
    let mail = s(&file["envelope"]["mail"]).as_bytes();
    let delivered = s(&v["delivered"]);
    assert_eq!(
        delivered.as_bytes(),
        [
            format!(
                "Reply-To: <{alias}>\r\nX-Panoramix-Reply-Blocks: 1 (one packet each, single use)\r\n"
            )
            .as_bytes(),
            mail
        ]
        .concat()
    );
    assert_eq!(add_reply_header(mail, alias, 1), delivered.as_bytes());
    let with = s(&v["mail_with_reply_to"]).as_bytes();
    assert_eq!(
        s(&v["delivered_with_reply_to"]).as_bytes(),
        [
            format!("X-Panoramix-Reply-To: <{alias}>\r\nX-Panoramix-Reply-Blocks: 3 (one packet each, single use)\r\n").as_bytes(),
            with
        ]
        .concat()
    );
    // the reply part: the whole BODY_LEN, not sealed again
    let part_bytes = unhex(&v["part"]);
    assert_eq!(part_bytes.len(), params.body_len());
    let part = Part::decode(&part_bytes).unwrap();
    assert_eq!(part.id.to_hex(), s(&v["message_id"]));
    assert_eq!((part.index, part.count), (0, 1));
    assert_eq!(part.data, s(&v["reply_mail"]).as_bytes());
    // the SURB from the envelope makes the stored packet; the mixes turn it into the
    // exit's output; the opener reads the part back
    let surb = Surb::from_bytes(&params, &unhex(&file["envelope"]["surbs"][0])).unwrap();
    let packet = surb.reply(&part_bytes).unwrap();
    assert_eq!(hex::encode(packet.as_bytes()), s(&v["packet"]));
    let opener: SurbOpener = serde_json::from_value(v["opener"].clone()).unwrap();
    match run_mixes(&mixes, &params, &unhex(&v["packet"])) {
        ProcessedPacket::Reply { surb_id, payload } => {
            assert_eq!(surb_id, opener.id());
            assert_eq!(
                s(&v["exit_output"]["recipient"]),
                format!("surb:{}", surb_id.to_hex())
            );
            assert_eq!(s(&v["exit_output"]["text"]), B64.encode(&payload));
        }
        other => panic!("the exit gave {other:?}"),
    }
    let opened = opener.open_text(s(&v["exit_output"]["text"])).unwrap();
    assert_eq!(opened, part_bytes);
}
