//! Known-answer vectors from deterministic seeds for N ∈ {1, 2, 3, 10, 1000}.
//!
//! `cargo test -p panoramix-zeus --test vectors` re-creates every vector in
//! memory, compares it byte for byte with the committed
//! `tests/vectors/zeus_n{N}.json`, and verifies the committed transcripts. The
//! test never writes the files: after an intentional format change rewrite them
//! with `cargo run -p panoramix-zeus --example write_vectors` (the generator is
//! `examples/write_vectors/kat.rs`, shared with this test).

#[path = "../examples/write_vectors/kat.rs"]
mod kat;

use kat::{build, path, seed, spec};
use panoramix_zeus::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn check(n: usize) {
    let (v, tjson) = build(n);
    let text = std::fs::read_to_string(path(n)).unwrap();
    let stored: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(stored, v, "vector for n={n} differs from a fresh run");
    assert!(
        text == kat::text(&v),
        "vector file for n={n} is not byte for byte what `cargo run -p panoramix-zeus --example write_vectors` writes"
    );
    // the committed transcript verifies
    let tj = match stored.get("transcript") {
        // canonical form: the struct's field order, compact
        Some(t) => {
            let parsed: ElectionTranscript = serde_json::from_value(t.clone()).unwrap();
            serde_json::to_string(&parsed).unwrap()
        }
        None => tjson,
    };
    assert_eq!(
        hex::encode(Sha256::digest(tj.as_bytes())),
        stored["transcript_sha256"].as_str().unwrap()
    );
    let r = verify_election(&tj).unwrap();
    assert_eq!(r.ballots, n);
}

#[test]
fn kat_n1() {
    check(1);
}

#[test]
fn kat_n2() {
    check(2);
}

#[test]
fn kat_n3() {
    check(3);
}

#[test]
fn kat_n10() {
    check(10);
}

#[test]
fn kat_n1000() {
    check(1000);
}

/// Every committed vector file is one of the sizes checked above, and each size has one.
#[test]
fn committed_files_are_the_generated_sizes() {
    let dir = path(1).parent().unwrap().to_path_buf();
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with("zeus_n"))
        .collect();
    found.sort();
    let mut want: Vec<String> = kat::SIZES
        .iter()
        .map(|n| format!("zeus_n{n}.json"))
        .collect();
    want.sort();
    assert_eq!(found, want);
}

#[test]
fn kat_n0_is_a_defined_error() {
    let mut rng = ChaCha20Rng::from_seed(seed(0));
    assert_eq!(
        simulate_election(&spec(0), &mut rng).unwrap_err(),
        ZeusError::EmptyInput
    );
}
