//! Regression tests for the faults of the original PANORAMIX ZEUS backend
//! (issue 4; shared/docs/reference-panoramix.md §7, reference-mixnets.md §6).

use panoramix_zeus::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn setup() -> (MixContext, Vec<Ciphertext>, ChaCha20Rng) {
    let mut rng = ChaCha20Rng::from_seed([4; 32]);
    let sk = TrusteeSecret::generate(&mut rng);
    let key = sk.publish("issue-4", &mut rng);
    let pk = combine_trustee_keys("issue-4", &[key]).unwrap();
    let ctx = MixContext::new("issue-4", &pk).unwrap();
    let mut params = ZeusParams::new("issue-4", pk);
    params.trustees = vec![key];
    let input = (0..8)
        .map(|i| {
            let voter = VoterSecret::generate(&mut rng);
            encrypt_ballot(&params, &voter, &[i], &mut rng)
                .unwrap()
                .ciphertext
        })
        .collect();
    (ctx, input, rng)
}

/// The vendored `reencrypt` returned its input, so outputs linked to inputs.
#[test]
fn issue_4_mix_outputs_share_no_component_with_inputs() {
    let (ctx, input, mut rng) = setup();
    for kind in [MixKind::Tw, MixKind::Sk { rounds: 128 }] {
        let (out, _) = mix(&ctx, kind, &input, &mut rng).unwrap();
        for o in &out {
            for i in &input {
                assert_ne!(o.c1, i.c1);
                assert_ne!(o.c2, i.c2);
            }
        }
    }
}

/// The original mixed with 3 Sako–Kilian rounds (soundness 1/8).
#[test]
fn issue_4_fewer_than_128_rounds_are_refused_by_prover_and_verifier() {
    let (ctx, input, mut rng) = setup();
    assert_eq!(
        sk::shuffle_and_prove(&ctx, &input, 3, &mut rng).unwrap_err(),
        ZeusError::TooFewRounds {
            rounds: 3,
            min: 128
        }
    );
    let (out, mut proof) = sk::shuffle_and_prove(&ctx, &input, 128, &mut rng).unwrap();
    proof.rounds = 3;
    proof.collections.truncate(3);
    proof.offsets.truncate(3);
    proof.randoms.truncate(3);
    assert!(matches!(
        sk::verify(&ctx, &input, &out, &proof, 128, &mut rng),
        Err(VerifyError::TooFewRounds {
            rounds: 3,
            min: 128,
            ..
        })
    ));
}

/// COMBINE multiplied the factors without checking the proofs.
#[test]
fn issue_4_combine_refuses_an_unproven_factor() {
    let mut rng = ChaCha20Rng::from_seed([5; 32]);
    let secrets: Vec<TrusteeSecret> = (0..2).map(|_| TrusteeSecret::generate(&mut rng)).collect();
    let keys: Vec<TrusteeKey> = secrets.iter().map(|s| s.publish("c", &mut rng)).collect();
    let pk = combine_trustee_keys("c", &keys).unwrap();
    let mut params = ZeusParams::new("c", pk);
    params.trustees = keys;
    let voter = VoterSecret::generate(&mut rng);
    let cts: Vec<Ciphertext> = (0..3u8)
        .map(|i| {
            encrypt_ballot(&params, &voter, &[i], &mut rng)
                .unwrap()
                .ciphertext
        })
        .collect();
    let mut pds: Vec<PartialDecryption> = secrets
        .iter()
        .enumerate()
        .map(|(i, s)| partial_decrypt("c", s, i, &cts, &mut rng).unwrap())
        .collect();
    // the honest shares combine to the votes
    let plain: Vec<Outcome> = (0..3u8).map(|i| Outcome::Plaintext(vec![i])).collect();
    assert_eq!(combine(&params, &cts, &pds, &mut rng).unwrap(), plain);
    // a trustee substitutes a factor that would change the plaintext
    pds[0].factors[1] = pds[0].factors[2];
    assert_eq!(
        combine(&params, &cts, &pds, &mut rng).unwrap_err(),
        VerifyError::DecryptionProof {
            trustee: 0,
            index: 1
        }
    );
}
