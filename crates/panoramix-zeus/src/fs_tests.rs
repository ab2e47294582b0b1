//! Fiat–Shamir binding: a prover that leaves any public input out of its
//! transcript produces a proof that the verifier rejects
//! (reference-mixnets.md §8, "a challenge computed without …").

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::transcript::OMIT;
use crate::*;

fn with_omitted<T>(label: &'static str, f: impl FnOnce() -> T) -> T {
    OMIT.with(|o| o.set(label));
    let r = f();
    OMIT.with(|o| o.set(""));
    r
}

#[test]
fn tw_rejects_proofs_whose_challenge_omits_an_input() {
    let (ctx, input, mut rng) = crate::tw::tests::setup(4, 21);
    for label in [
        "session_id",
        "group",
        "public_key",
        "generators",
        "n",
        "input",
        "output",
        "u",
        "b",
        "a_prime",
        "b_prime",
        "c_prime",
        "d_prime",
        "f_prime",
    ] {
        let (out, proof) = with_omitted(label, || {
            tw::shuffle_and_prove(&ctx, &input, &mut rng).unwrap()
        });
        let r = tw::verify(&ctx, &input, &out, &proof, &mut rng);
        assert!(
            matches!(r, Err(VerifyError::TwProof { .. })),
            "omitting {label}: {r:?}"
        );
    }
}

#[test]
fn sk_rejects_proofs_whose_challenge_omits_an_input() {
    let (ctx, input, mut rng) = crate::tw::tests::setup(3, 22);
    for label in [
        "session_id",
        "group",
        "public_key",
        "n",
        "rounds",
        "input",
        "output",
        "collection",
    ] {
        let (out, proof) = with_omitted(label, || {
            sk::shuffle_and_prove(&ctx, &input, 128, &mut rng).unwrap()
        });
        let r = sk::verify(&ctx, &input, &out, &proof, 128, &mut rng);
        assert!(
            matches!(r, Err(VerifyError::SkRound { .. })),
            "omitting {label}: {r:?}"
        );
    }
}

#[test]
fn cp_ballot_and_key_proofs_reject_omissions() {
    let mut rng = ChaCha20Rng::from_seed([23; 32]);
    let sk = TrusteeSecret::generate(&mut rng);
    let pk = sk.public_key();
    let ctx = MixContext::new("sid", &pk).unwrap();
    for label in ["session_id", "group", "public_key", "commitment"] {
        let key = with_omitted(label, || sk.publish("sid", &mut rng));
        assert!(key.verify("sid", 0).is_err(), "key proof omitting {label}");
    }
    // ballots: every item of the validity transcript is bound (the validity
    // proof is checked first, so the error names it), and the signature binds
    // the validity proof
    let voter = crate::credential::VoterSecret::generate(&mut rng);
    let free = crate::params::ZeusParams::new("sid", pk);
    let mut listed = free.clone();
    listed.answers = vec!["x".into(), "y".into()];
    for (params, commit) in [(&free, "commitment"), (&listed, "commitments")] {
        for label in [
            "session_id",
            "group",
            "public_key",
            "credential",
            "answers",
            "ciphertext",
            commit,
        ] {
            let b = with_omitted(label, || {
                encrypt_ballot(params, &voter, b"x", &mut rng).unwrap()
            });
            assert_eq!(
                verify_ballot(params, &b, 0),
                Err(crate::error::VerifyError::BallotProof { ballot: 0 }),
                "ballot omitting {label}"
            );
        }
        let b = with_omitted("validity", || {
            encrypt_ballot(params, &voter, b"x", &mut rng).unwrap()
        });
        assert_eq!(
            verify_ballot(params, &b, 0),
            Err(crate::error::VerifyError::BallotSignature { ballot: 0 }),
            "ballot signature omitting validity"
        );
    }
    let cts = vec![
        ctx.encrypt_point(
            &encode_plaintext(b"a").unwrap(),
            &curve25519_dalek::Scalar::ONE,
        )
        .compress(),
    ];
    for label in [
        "session_id",
        "group",
        "trustee_public_key",
        "ciphertext",
        "factor",
        "a",
        "b",
    ] {
        let pd = with_omitted(label, || {
            partial_decrypt("sid", &sk, 0, &cts, &mut rng).unwrap()
        });
        assert!(
            decrypt::verify_partial_decryption("sid", &pk, &cts, &pd, &mut rng).is_err(),
            "decryption proof omitting {label}"
        );
    }
}
