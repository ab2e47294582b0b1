//! The known answers of `tests/vectors/mail_v1.json` (docs/mail.md, "Wire formats"),
//! from fixed seeds. Shared by `examples/write_vectors` (writes the file) and
//! `tests/vectors.rs` (checks the file is exactly this, then checks every vector
//! against primitives and the crate's decoders).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use hkdf::Hkdf;
use panoramix_core::identity::Keypair;
use panoramix_core::wire::Peer;
use panoramix_mail::directory::{MailRecord, new_tag};
use panoramix_mail::envelope::{Envelope, MailSecretKey, Purpose, seal_with_ephemeral};
use panoramix_mail::fragment::{MessageId, forward_part_len, reply_part_len, split};
use panoramix_mail::reply::{add_reply_header, reply_address};
use panoramix_sphinx::{
    MixKeyPair, MixPublicKey, Route, SphinxParams, Surb, create_packet, create_surb,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use serde_json::{Value, json};
use sha2::Sha256;

pub const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/mail_v1.json");

pub const ENVELOPE_LABEL: &str = "panoramix/mail/v1/envelope";
pub const PART_LABEL: &str = "panoramix/mail/v1/part";

/// A key (mail key, ephemeral scalar) from `ChaCha20Rng::seed_from_u64(seed)`.
pub fn key(seed: u64) -> MailSecretKey {
    MailSecretKey::generate(&mut ChaCha20Rng::seed_from_u64(seed))
}

pub fn mixes() -> Vec<MixKeyPair> {
    let mut rng = ChaCha20Rng::seed_from_u64(300);
    (0..3).map(|_| MixKeyPair::generate(&mut rng)).collect()
}

pub fn route(params: &SphinxParams, mixes: &[MixKeyPair]) -> Route {
    let publics: Vec<MixPublicKey> = mixes.iter().map(|m| *m.public()).collect();
    Route::new(params, &publics).expect("a route of 3 mixes")
}

fn label(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Envelope => ENVELOPE_LABEL,
        Purpose::Part => PART_LABEL,
    }
}

/// The seal of `plaintext` computed from the primitives (not through the crate):
/// (E, S, key, sealed).
pub fn seal_by_hand(
    recipient: &[u8; 32],
    purpose: Purpose,
    plaintext: &[u8],
    ephemeral_hex: &str,
) -> ([u8; 32], [u8; 32], [u8; 32], Vec<u8>) {
    let mut eb = [0u8; 32];
    hex::decode_to_slice(ephemeral_hex, &mut eb).expect("hex");
    let e = Scalar::from_canonical_bytes(eb).expect("canonical scalar");
    let e_pub = (&e * RISTRETTO_BASEPOINT_TABLE).compress().to_bytes();
    let p = CompressedRistretto(*recipient).decompress().expect("point");
    let shared = (p * e).compress().to_bytes();
    let label = label(purpose).as_bytes();
    let mut info = e_pub.to_vec();
    info.extend_from_slice(recipient);
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(label), &shared)
        .expand(&info, &mut key)
        .expect("32 bytes");
    let mut aad = label.to_vec();
    aad.extend_from_slice(&info);
    let ct = ChaCha20Poly1305::new(Key::from_slice(&key))
        .encrypt(
            Nonce::from_slice(&[0u8; 12]),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .expect("encrypt");
    let mut sealed = e_pub.to_vec();
    sealed.extend_from_slice(&ct);
    (e_pub, shared, key, sealed)
}

fn seal_vector(name: &str, to: &MailSecretKey, purpose: Purpose, pt: &[u8], eseed: u64) -> Value {
    let e = key(eseed);
    let sealed = seal_with_ephemeral(&to.public(), purpose, pt, &e);
    let (e_pub, shared, k, by_hand) =
        seal_by_hand(&to.public().to_bytes(), purpose, pt, &e.to_hex());
    assert_eq!(
        sealed, by_hand,
        "{name}: the crate and the primitives agree"
    );
    json!({
        "name": name,
        "label": label(purpose),
        "recipient_public": to.public().to_hex(),
        "plaintext": hex::encode(pt),
        "ephemeral_secret": *e.to_hex(),
        "ephemeral_public": hex::encode(e_pub),
        "shared": hex::encode(shared),
        "key": hex::encode(k),
        "sealed": hex::encode(&sealed),
    })
}

/// The mail of the forward vector: about 700 bytes, so that with one reply block the
/// sealed envelope takes two parts and the second is padded.
pub fn forward_mail() -> Vec<u8> {
    let mut m = String::from(
        "From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\n\
         Subject: known answers\r\nMessage-ID: <kat-1@example.org>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
    );
    for i in 0..12 {
        m.push_str(&format!(
            "line {i:02} of a mail carried by the panoramix mix-net.\r\n"
        ));
    }
    m.into_bytes()
}

/// The reply Bob sends to the alias.
pub fn reply_mail(alias: &str) -> Vec<u8> {
    format!(
        "From: Bob <bob@example.org>\r\nTo: <{alias}>\r\n\
         Subject: Re: known answers\r\n\r\nThanks, received.\r\n"
    )
    .into_bytes()
}

fn directory_vectors(record: &MailRecord) -> Value {
    let user = Keypair::from_secret(&[7u8; 32]);
    let peer = Peer {
        peer_id: user.key_id(),
        name: record.peer_name(),
        key_data: user.key_data(),
        key_type: "ed25519".into(),
        crypto_backend: "SPHINXMIX".into(),
        crypto_params: record.to_params(),
        owners: vec![],
        status: "READY".into(),
        roles: vec![],
        consensus_id: String::new(),
    };
    let good = serde_json::to_value(&peer).expect("peer JSON");
    let with = |f: &dyn Fn(&mut Value)| {
        let mut p = good.clone();
        f(&mut p);
        p
    };
    let upper = record.tag.to_uppercase().replacen("M:", "m:", 1);
    let cases = vec![
        ("valid", good.clone(), true),
        (
            "status DELETED",
            with(&|p| p["status"] = json!("DELETED")),
            false,
        ),
        (
            "another name",
            with(&|p| p["name"] = json!("mail:eve@example.org")),
            false,
        ),
        (
            "format 2",
            with(&|p| p["crypto_params"]["panoramix_mail"] = json!(2)),
            false,
        ),
        (
            "format as a string",
            with(&|p| p["crypto_params"]["panoramix_mail"] = json!("1")),
            false,
        ),
        (
            "format as 1.0",
            with(&|p| p["crypto_params"]["panoramix_mail"] = json!(1.0)),
            false,
        ),
        (
            "address differs",
            with(&|p| p["crypto_params"]["address"] = json!("Bob@example.org")),
            false,
        ),
        (
            "tag in upper case",
            with(&|p| p["crypto_params"]["tag"] = json!(upper)),
            false,
        ),
        (
            "tag without m:",
            with(&|p| p["crypto_params"]["tag"] = json!(record.tag[2..].to_string())),
            false,
        ),
        (
            "mail key the identity",
            with(&|p| p["crypto_params"]["mail_key"] = json!("00".repeat(32))),
            false,
        ),
        (
            "mail key not a point",
            with(&|p| p["crypto_params"]["mail_key"] = json!("ff".repeat(32))),
            false,
        ),
        (
            "mail key missing",
            with(&|p| {
                p["crypto_params"]
                    .as_object_mut()
                    .map(|o| o.remove("mail_key"));
            }),
            false,
        ),
        (
            "mail key in upper case",
            with(&|p| {
                p["crypto_params"]["mail_key"] = json!(record.mail_key.to_hex().to_uppercase())
            }),
            true,
        ),
        (
            "extra field",
            with(&|p| p["crypto_params"]["note"] = json!("ignored")),
            true,
        ),
    ];
    json!({
        "address": record.address,
        "peer_name": record.peer_name(),
        "crypto_params": record.to_params(),
        "user_signing_secret": *user.secret_hex(),
        "cases": cases.into_iter().map(|(name, peer, valid)| json!({"name": name, "peer": peer, "valid": valid})).collect::<Vec<_>>(),
    })
}

/// Every vector.
pub fn generate() -> Value {
    let params = SphinxParams::default();
    let mixes = mixes();
    let route = route(&params, &mixes);
    let bob = key(1);
    let tag = new_tag(&mut ChaCha20Rng::seed_from_u64(2));
    let record = MailRecord {
        address: "bob@example.org".into(),
        mail_key: bob.public(),
        tag: tag.clone(),
    };

    let seals = vec![
        seal_vector("envelope label", &bob, Purpose::Envelope, b"hello", 10),
        seal_vector("part label", &bob, Purpose::Part, b"hello", 11),
        seal_vector("empty plaintext", &bob, Purpose::Part, b"", 12),
    ];

    // the envelope: one reply block back to the sender (alice), the mail
    let (surb, opener) =
        create_surb(&params, &route, &mut ChaCha20Rng::seed_from_u64(20)).expect("a SURB");
    let env = Envelope {
        surbs: vec![surb.to_bytes()],
        mail: forward_mail(),
    };
    let encoded = env.encode().expect("encode");
    let e_env = key(21);
    let sealed_env = seal_with_ephemeral(&bob.public(), Purpose::Envelope, &encoded, &e_env);

    // the parts and what the exit publishes for each
    let part_len = forward_part_len(params.body_len(), tag.len()).expect("part length");
    let id = MessageId(*b"\x6d\x61\x69\x6c\x2d\x6b\x61\x74\x2d\x76\x65\x63\x74\x6f\x72\x31");
    let parts = split(id, &sealed_env, part_len).expect("split");
    let mut part_vectors = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let e = key(30 + i as u64);
        let sealed = seal_with_ephemeral(&bob.public(), Purpose::Part, p, &e);
        let text = B64.encode(&sealed);
        let packet = create_packet(
            &params,
            &route,
            &tag,
            text.as_bytes(),
            &mut ChaCha20Rng::seed_from_u64(40 + i as u64),
        )
        .expect("packet");
        part_vectors.push(json!({
            "index": i,
            "plaintext": hex::encode(p),
            "ephemeral_secret": *e.to_hex(),
            "sealed": hex::encode(&sealed),
            "exit_output": {"recipient": tag, "text": text},
            "packet_rng_seed": 40 + i as u64,
            "packet": packet.to_text(),
        }));
    }

    // the reply: the recipient's copy, then a reply through the SURB
    let mut token = [0u8; 16];
    ChaCha20Rng::seed_from_u64(50).fill_bytes(&mut token);
    let token = hex::encode(token);
    let alias = reply_address(&token);
    let delivered = add_reply_header(&env.mail, &alias, 1);
    let with_reply_to = b"Reply-To: <alice@example.net>\r\nSubject: x\r\n\r\nbody\r\n";
    let delivered_2 = add_reply_header(with_reply_to, &alias, 3);
    let reply_len = reply_part_len(params.body_len()).expect("reply part length");
    let reply_id = MessageId([0x52; 16]);
    let reply = reply_mail(&alias);
    let reply_parts = split(reply_id, &reply, reply_len).expect("split the reply");
    let surb_again = Surb::from_bytes(&params, &env.surbs[0]).expect("the SURB");
    let reply_packet = surb_again.reply(&reply_parts[0]).expect("reply packet");
    let mut mix_out = reply_packet.as_bytes().to_vec();
    let mut exit = json!(null);
    for m in &mixes {
        let (_, out) = panoramix_sphinx::peel_layer(m, &params, &mix_out).expect("peel");
        match out {
            panoramix_sphinx::ProcessedPacket::Forward { packet, .. } => {
                mix_out = packet.into_bytes()
            }
            panoramix_sphinx::ProcessedPacket::Reply { surb_id, payload } => {
                exit = json!({"recipient": format!("surb:{}", surb_id.to_hex()), "text": B64.encode(payload)});
            }
            panoramix_sphinx::ProcessedPacket::Final { .. } => panic!("a reply is not final"),
        }
    }

    json!({
        "_comment": "panoramix-mail format version 1 known answers (docs/mail.md, 'Wire formats'). Written by `cargo run -p panoramix-mail --example write_vectors` (examples/write_vectors/kat.rs) and checked by tests/vectors.rs. Hex everywhere except mail texts (UTF-8 strings), base64 texts and tags. Keys and ephemeral scalars: MailSecretKey::generate(ChaCha20Rng::seed_from_u64(seed)); the Sphinx mixes: MixKeyPair::generate, three from ChaCha20Rng::seed_from_u64(300); Sphinx parameters: the defaults (BODY_LEN 1024).",
        "format_version": 1,
        "sphinx_params": params,
        "mix_secrets": mixes.iter().map(|m| m.secret_hex().to_string()).collect::<Vec<_>>(),
        "recipient": {
            "address": record.address,
            "mail_secret": *bob.to_hex(),
            "mail_key": bob.public().to_hex(),
            "tag": tag,
        },
        "seals": seals,
        "envelope": {
            "surbs": env.surbs.iter().map(hex::encode).collect::<Vec<_>>(),
            "mail": String::from_utf8(env.mail.clone()).expect("ASCII mail"),
            "encoded": hex::encode(&*encoded),
            "ephemeral_secret": *e_env.to_hex(),
            "sealed": hex::encode(&sealed_env),
        },
        "parts": {
            "message_id": id.to_hex(),
            "part_len": part_len,
            "count": parts.len(),
            "parts": part_vectors,
        },
        "directory": directory_vectors(&record),
        "reply": {
            "token": token,
            "alias": alias,
            "delivered": String::from_utf8(delivered).expect("ASCII"),
            "mail_with_reply_to": String::from_utf8(with_reply_to.to_vec()).expect("ASCII"),
            "delivered_with_reply_to": String::from_utf8(delivered_2).expect("ASCII"),
            "opener": serde_json::to_value(&opener).expect("opener JSON"),
            "reply_mail": String::from_utf8(reply).expect("ASCII"),
            "message_id": reply_id.to_hex(),
            "part_len": reply_len,
            "part": hex::encode(&reply_parts[0]),
            "packet": hex::encode(reply_packet.as_bytes()),
            "exit_output": exit,
        },
    })
}

/// The file text: pretty JSON and a final newline.
pub fn text(v: &Value) -> String {
    serde_json::to_string_pretty(v).expect("JSON") + "\n"
}
