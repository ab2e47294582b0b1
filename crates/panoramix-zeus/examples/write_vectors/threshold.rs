//! Known-answer vector for threshold trustees (docs/zeus.md §3.4, §7.2):
//! `tests/vectors/zeus_election_threshold.json`, a 3-of-5 election.
//!
//! * Key generation: dealer 2 garbles its share for trustee 4, whose complaint
//!   is upheld (dealer 2 disqualified); trustee 5 files a false complaint about
//!   dealer 1 with a valid proof, which is void.
//! * Tally: trustee 2 is absent; trustee 3's partial decryption has a bad
//!   proof and is skipped; trustees 5, 1 and 4 (the first three valid ones)
//!   are combined with Lagrange coefficients.
//!
//! Shared by the `write_vectors` example and `tests/vectors.rs`.

use std::path::PathBuf;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use curve25519_dalek::scalar::Scalar;
use panoramix_zeus::dkg::{self, Complaint, Dkg};
use panoramix_zeus::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::ballots::Fs;

/// Where the vector is committed.
pub fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/zeus_election_threshold.json")
}

/// The ChaCha20 seed.
pub const SEED: [u8; 32] = [0x7e; 32];

fn scalar_of(s: &TrusteeSecret) -> Scalar {
    let b: [u8; 32] = hex::decode(s.to_hex().as_str())
        .unwrap()
        .try_into()
        .unwrap();
    Scalar::from_canonical_bytes(b).unwrap()
}

fn hexs(s: &Scalar) -> String {
    hex::encode(s.as_bytes())
}

/// A complaint by `me` (secret `x`) about `dealer`'s share, whatever the share.
fn complaint(
    dkg_session: &str,
    d: &Dkg,
    keys: &[TrusteeKey],
    me: u32,
    x: &Scalar,
    dealer: u32,
    rng: &mut ChaCha20Rng,
) -> Complaint {
    let es = d
        .dealings
        .iter()
        .find(|x| x.dealer == dealer)
        .unwrap()
        .shares[me as usize - 1];
    let e = es.ephemeral.decode().unwrap();
    let w = panoramix_zeus::encoding::random_scalar(rng);
    let a = Point::from_point(&(w * G));
    let b = Point::from_point(&(w * e));
    let k = Point::from_point(&(x * e));
    let mut t = Fs::new("panoramix/zeus/v1/dkg-complaint", dkg_session);
    t.append("complainant", &u64::from(me).to_le_bytes());
    t.append("dealer", &u64::from(dealer).to_le_bytes());
    t.append("recipient_key", &keys[me as usize - 1].public_key.0);
    t.append("ephemeral", &es.ephemeral.0);
    t.append("shared_key", &k.0);
    t.append("a", &a.0);
    t.append("b", &b.0);
    let c = t.challenge("challenge");
    Complaint {
        complainant: me,
        dealer,
        shared_key: k,
        proof: CpProof {
            a,
            b,
            s: HexScalar(w + c * x),
        },
    }
}

/// Build the vector: (file value, transcript JSON).
pub fn build() -> (Value, String) {
    let mut rng = ChaCha20Rng::from_seed(SEED);
    let (n, t) = (5u32, 3u32);
    let key_session = "panoramix/zeus/kat/threshold/keys";
    let dkg_session = "panoramix/zeus/kat/threshold/dkg";
    let secrets: Vec<TrusteeSecret> = (0..n).map(|_| TrusteeSecret::generate(&mut rng)).collect();
    let keys: Vec<TrusteeKey> = secrets
        .iter()
        .map(|s| s.publish(key_session, &mut rng))
        .collect();
    let mut d = Dkg {
        session_id: dkg_session.into(),
        threshold: t,
        dealings: Vec::new(),
        complaints: Vec::new(),
    };
    for i in 1..=n {
        let secret = &secrets[i as usize - 1];
        let mut dealing = dkg::deal(dkg_session, t, &keys, i, secret, &mut rng).unwrap();
        if i == 2 {
            // garbled for trustee 4, and signed so by its dealer
            dealing.shares[3].ciphertext.0[3] ^= 0x40;
            dkg::sign_dealing(dkg_session, t, &keys, &mut dealing, secret, &mut rng).unwrap();
        }
        d.dealings.push(dealing);
    }
    let received: Vec<dkg::Received> = (1..=n)
        .map(|j| dkg::receive(&d, &keys, j, &secrets[j as usize - 1], &mut rng).unwrap())
        .collect();
    for r in &received {
        d.complaints.extend(r.complaints.iter().copied());
    }
    assert_eq!(d.complaints.len(), 1, "trustee 4's complaint");
    let false_one = complaint(
        dkg_session,
        &d,
        &keys,
        5,
        &scalar_of(&secrets[4]),
        1,
        &mut rng,
    );
    d.complaints.push(false_one);
    let o = d.verify(&keys).unwrap();
    assert_eq!(o.qualified, vec![1, 3, 4, 5]);
    assert_eq!(o.void_complaints, vec![1]);

    let voters: Vec<VoterSecret> = (0..3).map(|_| VoterSecret::generate(&mut rng)).collect();
    let mut params = ZeusParams::new("panoramix/zeus/kat/threshold", o.public_key);
    params.trustees = keys.clone();
    params.trustee_key_session = key_session.into();
    params.answers = vec!["yes".into(), "no".into()];
    params.voters = voters.iter().map(VoterSecret::public).collect();
    params.dkg = Some(d.clone());
    let cast = |v: &VoterSecret, a: &str, rng: &mut ChaCha20Rng| {
        encrypt_ballot(&params, v, a.as_bytes(), rng)
            .unwrap()
            .to_text()
    };
    let inputs = vec![
        cast(&voters[0], "yes", &mut rng),
        cast(&voters[1], "no", &mut rng),
        cast(&voters[2], "yes", &mut rng),
        cast(&voters[0], "no", &mut rng),
    ];
    let booth = booth_filter(&params, &inputs);
    let ctx = MixContext::new(&params.session_id, &params.election_public_key).unwrap();
    let (output, proof) = mix(&ctx, MixKind::Tw, &booth.counted, &mut rng).unwrap();
    let shares: Vec<(u32, TrusteeSecret)> = [5u32, 3, 1, 4]
        .iter()
        .map(|&j| (j, received[j as usize - 1].secret_share(&o).unwrap()))
        .collect();
    let mut partials: Vec<PartialDecryption> = shares
        .iter()
        .map(|(j, s)| {
            partial_decrypt(&params.session_id, s, *j as usize - 1, &output, &mut rng).unwrap()
        })
        .collect();
    partials[1].proofs[0].s = HexScalar(partials[1].proofs[0].s.0 + Scalar::ONE);
    let plaintexts = combine(&params, &output, &partials, &mut rng).unwrap();
    let used = [5u64, 1, 4];
    let lambdas: Vec<String> = used
        .iter()
        .map(|&i| {
            let (mut num, mut den) = (Scalar::ONE, Scalar::ONE);
            for &m in used.iter().filter(|m| **m != i) {
                num *= Scalar::from(m);
                den *= Scalar::from(m) - Scalar::from(i);
            }
            hexs(&(num * den.invert()))
        })
        .collect();
    let tr = ElectionTranscript {
        version: "panoramix/zeus/v2/election".into(),
        group: GROUP_NAME.into(),
        election: params,
        ballots: booth.accepted.iter().map(|(_, b)| b.clone()).collect(),
        mixes: vec![MixRecord {
            mixer: "mixer-0".into(),
            output,
            proof,
        }],
        partial_decryptions: partials,
        plaintexts,
    };
    let tjson = serde_json::to_string(&tr).unwrap();
    let report = verify_election(&tjson).unwrap();
    assert_eq!((report.ballots, report.spoiled), (3, 0));
    let v = json!({
        "_comment": "panoramix-zeus threshold known-answer vector (docs/zeus.md sections 3.4 and 7.2). Written by `cargo run -p panoramix-zeus --example write_vectors` (crates/panoramix-zeus/examples/write_vectors/threshold.rs), compared by tests/vectors.rs and verified by tests/python/verify_zeus.py. dkg_outcome is what checking the key generation gives (trustees 1-based); lagrange the coefficients of the trustees combined, in that order; secret_shares the qualified trustees' shares x'_j (1-based j: hex).",
        "seed": hex::encode(SEED),
        "story": "3 of 5. Key generation: dealer 2 garbles its share for trustee 4 (complaint upheld, dealer 2 disqualified); trustee 5's complaint about dealer 1 is false (void). Ballots: voter 0 yes (superseded), voter 1 no, voter 2 yes, voter 0 re-votes no. Tally: trustee 2 absent; partial decryptions in the order 5, 3 (bad proof, skipped), 1, 4; combined: 5, 1, 4.",
        "booth_inputs": inputs,
        "booth_rejected": booth.rejected,
        "accepted_inputs": booth.accepted.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        "counted": booth.counted,
        "spoiled": 0,
        "dkg_outcome": {
            "qualified": o.qualified,
            "disqualified": o.disqualified.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            "void_complaints": o.void_complaints,
            "public_key": o.public_key,
            "verification_keys": o.verification_keys,
        },
        "lagrange": {"trustees": used, "coefficients": lambdas},
        "transcript_sha256": hex::encode(Sha256::digest(tjson.as_bytes())),
        "intermediates": {
            "trustee_secrets": secrets.iter().map(|s| s.to_hex().to_string()).collect::<Vec<_>>(),
            "secret_shares": shares.iter().map(|(j, s)| (j.to_string(), s.to_hex().to_string())).collect::<std::collections::BTreeMap<_, _>>(),
            "voter_secrets": voters.iter().map(|s| s.to_hex().to_string()).collect::<Vec<_>>(),
        },
        "transcript": tr,
    });
    (v, tjson)
}
