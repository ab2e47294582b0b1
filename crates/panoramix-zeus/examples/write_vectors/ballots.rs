//! Known-answer vectors for ballots (docs/zeus.md §4): the validity proof for
//! K = 1, 2 and 5 answers (disjunctive Chaum–Pedersen), the knowledge proof of a
//! free-text ballot, and the credential's signature, in
//! `tests/vectors/zeus_ballots.json`.
//!
//! Shared by the `write_vectors` example (which writes the file) and by
//! `tests/vectors.rs` (which compares the committed file with this output). The
//! Fiat–Shamir challenges are recomputed here with a second, minimal
//! implementation of the transcript of docs/zeus.md §2 (not the crate's), and
//! the commitments from the published branches, so the file shows every value a
//! verifier derives.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use panoramix_zeus::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

/// The Fiat–Shamir transcript of docs/zeus.md §2, written again from the text.
pub struct Fs(Sha512);

fn frame(h: &mut Sha512, label: &[u8], data: &[u8]) {
    h.update((label.len() as u64).to_le_bytes());
    h.update(label);
    h.update((data.len() as u64).to_le_bytes());
    h.update(data);
}

impl Fs {
    /// A transcript for `protocol` with the session id and the group.
    pub fn new(protocol: &str, session_id: &str) -> Self {
        let mut h = Sha512::new();
        frame(&mut h, b"panoramix/zeus/v1/transcript", protocol.as_bytes());
        let mut t = Fs(h);
        t.append("session_id", session_id.as_bytes());
        t.append("group", b"ristretto255");
        t
    }

    /// Absorb one frame.
    pub fn append(&mut self, label: &str, data: &[u8]) {
        frame(&mut self.0, label.as_bytes(), data);
    }

    /// The challenge scalar for `label` (absorbing the 64 challenge bytes).
    pub fn challenge(&mut self, label: &str) -> Scalar {
        Scalar::from_bytes_mod_order_wide(&self.challenge_bytes(label))
    }

    /// The 64 challenge bytes for `label` (absorbed).
    pub fn challenge_bytes(&mut self, label: &str) -> [u8; 64] {
        let mut h = self.0.clone();
        frame(&mut h, b"challenge", label.as_bytes());
        let out: [u8; 64] = h.finalize().into();
        self.append(label, &out);
        out
    }
}

fn hexs(s: &Scalar) -> String {
    hex::encode(s.as_bytes())
}

fn hexp(p: &RistrettoPoint) -> String {
    hex::encode(p.compress().as_bytes())
}

/// The validity proof's bytes as the signature transcript absorbs them.
fn validity_bytes(v: &ValidityProof) -> Vec<u8> {
    let mut b = Vec::new();
    match v {
        ValidityProof::Knowledge(p) => {
            b.extend_from_slice(&p.commitment.0);
            b.extend_from_slice(p.response.0.as_bytes());
        }
        ValidityProof::OneOf(br) => {
            for x in br {
                b.extend_from_slice(x.challenge.0.as_bytes());
                b.extend_from_slice(x.response.0.as_bytes());
            }
        }
    }
    b
}

/// One case: `(name, answers, the answer cast)`.
pub const CASES: [(&str, &[&str], &str); 4] = [
    ("knowledge (free text)", &[], "free text, 29 bytes at most"),
    ("one_of K=1", &["yes"], "yes"),
    ("one_of K=2", &["yes", "no"], "no"),
    (
        "one_of K=5",
        &["alice", "bob", "carol", "dave", "erin"],
        "dave",
    ),
];

/// The ChaCha20 seed of case `k`.
pub fn seed(k: usize) -> [u8; 32] {
    let mut s = [0xb0; 32];
    s[0] = k as u8;
    s
}

/// The election of case `k` and the voter's credential, drawn from `rng` in
/// this order: two trustee secrets, their two key proofs, the voter secret.
pub fn election(k: usize, rng: &mut ChaCha20Rng) -> (ZeusParams, VoterSecret) {
    let sid = format!("panoramix/zeus/kat/ballot/{k}");
    let secrets = [TrusteeSecret::generate(rng), TrusteeSecret::generate(rng)];
    let trustees: Vec<TrusteeKey> = secrets.iter().map(|s| s.publish(&sid, rng)).collect();
    let pk = combine_trustee_keys(&sid, &trustees).unwrap();
    let voter = VoterSecret::generate(rng);
    let mut params = ZeusParams::new(&sid, pk);
    params.trustees = trustees;
    params.answers = CASES[k].1.iter().map(|a| a.to_string()).collect();
    params.voters = vec![voter.public()];
    (params, voter)
}

/// The vector of case `k`.
pub fn case(k: usize) -> Value {
    let (name, answers, answer) = CASES[k];
    let mut rng = ChaCha20Rng::from_seed(seed(k));
    let (params, voter) = election(k, &mut rng);
    let prepared = prepare_ballot(&params, &voter, answer.as_bytes(), &mut rng).unwrap();
    let b = prepared.ballot().clone();
    let r = prepared.randomness().0;
    let pk = params.election_public_key.decode().unwrap();
    let c1 = b.ciphertext.c1.decode().unwrap();
    let c2 = b.ciphertext.c2.decode().unwrap();
    let encodings: Vec<RistrettoPoint> = answers
        .iter()
        .map(|a| encode_plaintext(a.as_bytes()).unwrap())
        .collect();

    // the validity transcript (docs/zeus.md §4.3)
    let mut t = Fs::new("panoramix/zeus/v1/ballot-validity", &params.session_id);
    t.append("public_key", &params.election_public_key.0);
    t.append("credential", &b.credential.0);
    let enc_bytes: Vec<u8> = encodings
        .iter()
        .flat_map(|m| m.compress().to_bytes())
        .collect();
    t.append("answers", &enc_bytes);
    t.append("ciphertext", &b.ciphertext.to_bytes());
    let mut inter = json!({});
    match &b.validity {
        ValidityProof::Knowledge(p) => {
            t.append("commitment", &p.commitment.0);
            let c = t.challenge("challenge");
            assert_eq!(
                p.response.0 * G - c * c1,
                p.commitment.decode().unwrap(),
                "{name}: knowledge proof"
            );
            inter["validity_challenge"] = json!(hexs(&c));
        }
        ValidityProof::OneOf(branches) => {
            let mut commitments = Vec::new();
            let mut bytes = Vec::new();
            for (br, m) in branches.iter().zip(&encodings) {
                let (e, s) = (br.challenge.0, br.response.0);
                let a = s * G - e * c1;
                let bb = s * pk - e * (c2 - m);
                bytes.extend_from_slice(a.compress().as_bytes());
                bytes.extend_from_slice(bb.compress().as_bytes());
                commitments.push(json!([hexp(&a), hexp(&bb)]));
            }
            t.append("commitments", &bytes);
            let c = t.challenge("challenge");
            let sum: Scalar = branches.iter().map(|x| x.challenge.0).sum();
            assert_eq!(c, sum, "{name}: branch challenges sum to the challenge");
            inter["validity_commitments"] = json!(commitments);
            inter["validity_challenge"] = json!(hexs(&c));
        }
    }

    // the definition digest and the signature transcript (docs/zeus.md §4.4)
    let mut d = Fs::new("panoramix/zeus/v1/election-definition", &params.session_id);
    d.append("key_session", params.key_session().as_bytes());
    d.append("public_key", &params.election_public_key.0);
    d.append("answers", &(params.answers.len() as u64).to_le_bytes());
    for a in &params.answers {
        d.append("answer", a.as_bytes());
    }
    let voters: Vec<u8> = params.voters.iter().flat_map(|v| v.0).collect();
    d.append("voters", &voters);
    d.append("revote", b"last");
    d.append("sk_rounds", &u64::from(params.sk_rounds).to_le_bytes());
    let definition = d.challenge_bytes("definition");
    assert_eq!(
        definition,
        params.definition_digest(),
        "{name}: definition digest"
    );
    inter["definition_digest"] = json!(hex::encode(definition));
    let mut t = Fs::new("panoramix/zeus/v1/ballot-signature", &params.session_id);
    t.append("public_key", &params.election_public_key.0);
    t.append("definition", &definition);
    t.append("credential", &b.credential.0);
    t.append("ciphertext", &b.ciphertext.to_bytes());
    t.append("validity", &validity_bytes(&b.validity));
    t.append("commitment", &b.signature.commitment.0);
    let c = t.challenge("challenge");
    let cred = b.credential.decode().unwrap();
    assert_eq!(
        b.signature.response.0 * G - c * cred,
        b.signature.commitment.decode().unwrap(),
        "{name}: signature"
    );
    inter["signature_challenge"] = json!(hexs(&c));

    // the crate agrees: the ballot verifies, and the Benaloh opening gives the answer
    verify_ballot(&params, &b, 0).unwrap();
    assert_eq!(
        open_ballot(&params, &b, &prepared.randomness()).unwrap(),
        answer.as_bytes()
    );
    assert_eq!(Ballot::from_text(&b.to_text()).unwrap(), b);
    assert_eq!(r * G, c1);

    json!({
        "name": name,
        "seed": hex::encode(seed(k)),
        "election": params,
        "voter_secret": voter.to_hex().to_string(),
        "answer": answer,
        "randomness": hexs(&r),
        "answer_encodings": encodings.iter().map(hexp).collect::<Vec<_>>(),
        "ballot": b,
        "ballot_text": b.to_text(),
        "intermediates": inter,
    })
}

/// The whole file.
pub fn build() -> Value {
    json!({
        "_comment": "panoramix-zeus ballot known-answer vectors (docs/zeus.md section 4). Written by `cargo run -p panoramix-zeus --example write_vectors` (crates/panoramix-zeus/examples/write_vectors/ballots.rs), compared by tests/vectors.rs and checked by tests/python/verify_zeus.py --ballots. Each case: ChaCha20Rng::from_seed(seed) draws, 64 bytes each reduced mod l, two trustee secrets, their two key proofs' nonces, the voter secret, then prepare_ballot's values: r, then per answer in order the simulated challenge and the response nonce (knowledge proof: its nonce), then the signature nonce. randomness = r (what a Benaloh audit reveals). Intermediates: the validity commitments (A_k, B_k) recomputed from the branches, the validity challenge and the signature challenge.",
        "cases": (0..CASES.len()).map(case).collect::<Vec<_>>(),
    })
}

/// Where the file is committed.
pub fn path() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/zeus_ballots.json")
}
