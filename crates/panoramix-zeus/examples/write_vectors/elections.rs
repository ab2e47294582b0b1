//! Known-answer vectors for the box rule, spoiled outcomes and candidate lists
//! (docs/zeus.md §4.6, §7, §9): two small whole elections from the booth's
//! input texts to the outcomes, `tests/vectors/zeus_election_{spoiled,answers}.json`.
//!
//! * `spoiled`: free text; a re-vote, a replayed ballot, a credential off the
//!   voter list, an unparsable input, a marked encoding of "yes" (a later
//!   counter) and a random group element: the last two are counted and come
//!   out as `spoiled:` outcomes while the rest of the tally verifies.
//! * `answers`: three allowed answers (validity proofs with K = 3), a re-vote
//!   and a ballot by a credential that is not on the list.
//!
//! Shared by the `write_vectors` example and `tests/vectors.rs`.

use std::path::PathBuf;

use curve25519_dalek::ristretto::RistrettoPoint;
use panoramix_zeus::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The two elections.
pub const NAMES: [&str; 2] = ["spoiled", "answers"];

/// The ChaCha20 seed of election `name`.
pub fn seed(name: &str) -> [u8; 32] {
    let mut s = [0xe1; 32];
    s[..name.len()].copy_from_slice(name.as_bytes());
    s
}

/// Where the vector of `name` is committed.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/vectors/zeus_election_{name}.json"))
}

/// A ballot text for an arbitrary element (free text only).
fn element_ballot(
    p: &ZeusParams,
    v: &VoterSecret,
    m: &RistrettoPoint,
    rng: &mut ChaCha20Rng,
) -> String {
    encrypt_element(p, v, m, rng).unwrap().to_text()
}

/// A ballot text for an answer.
fn cast(p: &ZeusParams, v: &VoterSecret, a: &str, rng: &mut ChaCha20Rng) -> String {
    encrypt_ballot(p, v, a.as_bytes(), rng).unwrap().to_text()
}

/// Build the vector of `name`: (file value, transcript JSON).
pub fn build(name: &str) -> (Value, String) {
    let mut rng = ChaCha20Rng::from_seed(seed(name));
    let sid = format!("panoramix/zeus/kat/election/{name}");
    let secrets: Vec<TrusteeSecret> = (0..2).map(|_| TrusteeSecret::generate(&mut rng)).collect();
    let trustees: Vec<TrusteeKey> = secrets.iter().map(|s| s.publish(&sid, &mut rng)).collect();
    let pk = combine_trustee_keys(&sid, &trustees).unwrap();
    let voters: Vec<VoterSecret> = (0..4).map(|_| VoterSecret::generate(&mut rng)).collect();
    let outsider = VoterSecret::generate(&mut rng);
    let mut params = ZeusParams::new(&sid, pk);
    params.trustees = trustees;
    params.voters = voters.iter().map(VoterSecret::public).collect();
    let (inputs, kinds, story) = if name == "spoiled" {
        let ctr = encode_plaintext(b"yes").unwrap().compress().to_bytes()[0] >> 1;
        let marked = (ctr + 1..128)
            .find_map(|c| encode_with_counter(b"yes", c))
            .unwrap();
        let mut wide = [0u8; 64];
        rng.fill_bytes(&mut wide);
        let junk = RistrettoPoint::from_uniform_bytes(&wide);
        let mut inputs = vec![
            cast(&params, &voters[0], "alice, first thought", &mut rng),
            cast(&params, &voters[1], "bob", &mut rng),
            element_ballot(&params, &voters[2], &marked, &mut rng),
            cast(&params, &voters[0], "alice, final", &mut rng),
        ];
        inputs.push(inputs[1].clone());
        inputs.push(element_ballot(&params, &voters[3], &junk, &mut rng));
        inputs.push(cast(&params, &outsider, "not on the list", &mut rng));
        inputs.push("02zz".into());
        (
            inputs,
            vec![MixKind::Tw, MixKind::Tw],
            "0: voter 0 (superseded by 3); 1: voter 1; 2: voter 2, \"yes\" encoded with a later counter (spoiled); 3: voter 0 re-votes; 4: a copy of 1 (replay, refused); 5: voter 3, a random group element (spoiled); 6: a credential off the voter list (refused); 7: not a ballot (refused)",
        )
    } else {
        params.answers = vec!["yes".into(), "no".into(), "abstain".into()];
        let inputs = vec![
            cast(&params, &voters[0], "yes", &mut rng),
            cast(&params, &voters[1], "no", &mut rng),
            cast(&params, &outsider, "yes", &mut rng),
            cast(&params, &voters[2], "abstain", &mut rng),
            cast(&params, &voters[0], "no", &mut rng),
        ];
        (
            inputs,
            vec![MixKind::Tw, MixKind::Sk { rounds: 128 }],
            "0: voter 0 \"yes\" (superseded by 4); 1: voter 1 \"no\"; 2: a credential off the voter list (refused); 3: voter 2 \"abstain\"; 4: voter 0 re-votes \"no\"; voter 3 does not vote",
        )
    };
    let d = booth_filter(&params, &inputs);
    let (mixes, partial_decryptions, plaintexts) =
        tally(&params, &kinds, d.counted.clone(), &secrets, &mut rng).unwrap();
    let t = ElectionTranscript {
        version: "panoramix/zeus/v2/election".into(),
        group: GROUP_NAME.into(),
        election: params,
        ballots: d.accepted.iter().map(|(_, b)| b.clone()).collect(),
        mixes,
        partial_decryptions,
        plaintexts,
    };
    let tjson = serde_json::to_string(&t).unwrap();
    let report = verify_election(&tjson).unwrap();
    let v = json!({
        "_comment": "panoramix-zeus election known-answer vector (docs/zeus.md sections 4.6, 7 and 9). Written by `cargo run -p panoramix-zeus --example write_vectors` (crates/panoramix-zeus/examples/write_vectors/elections.rs), compared by tests/vectors.rs and verified by tests/python/verify_zeus.py. booth_inputs are the texts posted to the booth, in order; booth_rejected the booth's proof text (refused inputs); counted the booth's outputs; the transcript's ballots are the accepted inputs. transcript_sha256 is SHA-256 of the transcript's compact JSON.",
        "name": name,
        "seed": hex::encode(seed(name)),
        "story": story,
        "booth_inputs": inputs,
        "booth_rejected": d.rejected,
        "accepted_inputs": d.accepted.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        "counted": d.counted,
        "spoiled": report.spoiled,
        "transcript_sha256": hex::encode(Sha256::digest(tjson.as_bytes())),
        "intermediates": {
            "trustee_secrets": secrets.iter().map(|s| s.to_hex().to_string()).collect::<Vec<_>>(),
            "voter_secrets": voters.iter().map(|s| s.to_hex().to_string()).collect::<Vec<_>>(),
            "outsider_secret": outsider.to_hex().to_string(),
        },
        "transcript": t,
    });
    (v, tjson)
}
