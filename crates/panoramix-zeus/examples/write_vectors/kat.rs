//! The known-answer vectors `tests/vectors/zeus_n{N}.json`, from deterministic seeds.
//!
//! Shared by the `write_vectors` example (which writes the files) and by
//! `tests/vectors.rs` (which only compares the committed files with this output).

use std::path::PathBuf;

use panoramix_zeus::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The sizes with a vector file.
pub const SIZES: [usize; 5] = [1, 2, 3, 10, 1000];

/// The ChaCha20 seed of the vector for `n`.
pub fn seed(n: usize) -> [u8; 32] {
    let mut s = [0x5a; 32];
    s[..8].copy_from_slice(&(n as u64).to_le_bytes());
    s
}

/// The election simulated for `n` ballots.
pub fn spec(n: usize) -> ElectionSpec {
    ElectionSpec {
        session_id: format!("panoramix/zeus/kat/n={n}"),
        trustees: 3,
        mixes: vec![MixKind::Tw, MixKind::Sk { rounds: 128 }],
        answers: vec![],
        plaintexts: (0..n)
            .map(|i| format!("ballot-{i:04}").into_bytes())
            .collect(),
    }
}

fn hexs(s: &curve25519_dalek::Scalar) -> String {
    hex::encode(s.as_bytes())
}

/// Build the vector for `n` (the full transcript is included for n ≤ 10), with the
/// transcript's compact JSON.
pub fn build(n: usize) -> (Value, String) {
    let sp = spec(n);
    let mut rng = ChaCha20Rng::from_seed(seed(n));
    let (t, secrets) = simulate_election(&sp, &mut rng).unwrap();
    let tjson = serde_json::to_string(&t).unwrap();
    let digest = hex::encode(Sha256::digest(tjson.as_bytes()));
    let e = &t.election;
    let ctx = MixContext::new(&e.session_id, &e.election_public_key).unwrap();
    let input: Vec<Ciphertext> = t.ballots.iter().map(|b| b.ciphertext).collect();
    let MixProof::Tw(twp) = &t.mixes[0].proof else {
        panic!("mix 0 is a TW mix")
    };
    let MixProof::Sk(skp) = &t.mixes[1].proof else {
        panic!("mix 1 is a Sako-Kilian mix")
    };
    let ch = tw::tw_challenges(&ctx, &input, &t.mixes[0].output, twp);
    let bits: String = sk::sk_challenge_bits(&ctx, &t.mixes[0].output, &t.mixes[1].output, skp)
        .iter()
        .map(|b| if *b == 1 { '1' } else { '0' })
        .collect();
    let gens: Vec<String> = (0..=n.min(10) as u64)
        .map(|i| Point::from_point(&context::generator(&e.session_id, i)).to_hex())
        .collect();
    let mut v = json!({
        "_comment": "panoramix-zeus known-answer vector. Written by `cargo run -p panoramix-zeus --example write_vectors` (crates/panoramix-zeus/examples/write_vectors/kat.rs) and compared by tests/vectors.rs: simulate_election(spec) with ChaCha20Rng::from_seed(seed); transcript_sha256 is SHA-256 of the compact JSON serialisation of the transcript. Intermediates: generators h_0..h_min(N,10), the TW challenges e_i and v of mix 0, the Sako-Kilian challenge bits (round 0 first) of mix 1, the trustees' secret key shares and the first 10 voters' secret credentials.",
        "n": n,
        "seed": hex::encode(seed(n)),
        "spec": {
            "session_id": sp.session_id,
            "trustees": sp.trustees,
            "mixes": sp.mixes,
            "plaintexts": "ballot-0000, ballot-0001, ... (UTF-8)",
        },
        "transcript_sha256": digest,
        "intermediates": {
            "generators": gens,
            "trustee_secrets": secrets.trustees.iter().map(|s| s.to_hex().to_string()).collect::<Vec<_>>(),
            "voter_secrets": secrets.voters.iter().take(10).map(|s| s.to_hex().to_string()).collect::<Vec<_>>(),
            "tw_e": ch.e.iter().take(10).map(hexs).collect::<Vec<_>>(),
            "tw_v": hexs(&ch.v),
            "sk_bits": bits,
        },
    });
    if n <= 10 {
        v["transcript"] = serde_json::to_value(&t).unwrap();
    } else {
        v["samples"] = json!({
            "election_public_key": e.election_public_key,
            "voters[0]": e.voters[0],
            "ballots[0]": t.ballots[0],
            "mixes[0].output[0]": t.mixes[0].output[0],
            "mixes[1].output[last]": t.mixes[1].output[n - 1],
            "mixes[0].proof.tw.k_a": twp.k_a,
            "mixes[1].proof.sk.randoms[0][0]": skp.randoms[0][0],
            "partial_decryptions[0].factors[0]": t.partial_decryptions[0].factors[0],
            "plaintexts[0..3]": t.plaintexts[..3],
        });
    }
    (v, tjson)
}

/// The file text of a vector: pretty JSON and a final newline.
pub fn text(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap() + "\n"
}

/// Where the vector for `n` is committed.
pub fn path(n: usize) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/vectors/zeus_n{n}.json"))
}
