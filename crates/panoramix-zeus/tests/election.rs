//! Whole-election tests: honest transcripts verify; every mutation of
//! reference-mixnets.md §8 is rejected with the precise error.

use curve25519_dalek::Scalar;
use panoramix_zeus::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn spec(n: usize, mixes: Vec<MixKind>) -> ElectionSpec {
    ElectionSpec {
        session_id: "election-2026/test".into(),
        trustees: 3,
        mixes,
        answers: vec![],
        plaintexts: (0..n).map(|i| format!("vote {i}").into_bytes()).collect(),
    }
}

fn honest_with_secrets(n: usize) -> (ElectionTranscript, SimulatedSecrets) {
    let mut rng = ChaCha20Rng::from_seed([n as u8; 32]);
    simulate_election(
        &spec(n, vec![MixKind::Tw, MixKind::Sk { rounds: 128 }]),
        &mut rng,
    )
    .unwrap()
}

fn honest(n: usize) -> ElectionTranscript {
    honest_with_secrets(n).0
}

/// The mix context of the transcript's election.
fn context(t: &ElectionTranscript) -> MixContext {
    MixContext::new(&t.election.session_id, &t.election.election_public_key).unwrap()
}

fn verify(t: &ElectionTranscript) -> Result<VerifyReport, VerifyError> {
    verify_transcript(t, &mut ChaCha20Rng::from_seed([99; 32]))
}

fn tw(t: &mut ElectionTranscript, k: usize) -> &mut TwProof {
    match &mut t.mixes[k].proof {
        MixProof::Tw(p) => p,
        MixProof::Sk(_) => panic!("not tw"),
    }
}

fn sk(t: &mut ElectionTranscript, k: usize) -> &mut SkProof {
    match &mut t.mixes[k].proof {
        MixProof::Sk(p) => p,
        MixProof::Tw(_) => panic!("not sk"),
    }
}

#[test]
fn honest_elections_verify() {
    for n in [1, 2, 3, 6] {
        let t = honest(n);
        let r = verify(&t).unwrap();
        assert_eq!(r.ballots, n);
        assert_eq!(r.mixes, 2);
        let json = serde_json::to_string(&t).unwrap();
        let r2 = verify_election(&json).unwrap();
        assert!(r2.to_string().contains("VALID"));
        // plaintexts are a permutation of the votes
        let mut got = t.plaintexts.clone();
        got.sort();
        let mut want: Vec<Outcome> = (0..n)
            .map(|i| Outcome::Plaintext(format!("vote {i}").into_bytes()))
            .collect();
        want.sort();
        assert_eq!(got, want);
        assert_eq!(r.spoiled, 0);
        // the published text form is the plaintext's hex
        let texts: Vec<String> = t.plaintexts.iter().map(Outcome::to_text).collect();
        for (o, s) in t.plaintexts.iter().zip(&texts) {
            assert_eq!(&Outcome::from_text(s).unwrap(), o);
            assert!(s.chars().all(|c| c.is_ascii_hexdigit()));
        }
    }
}

#[test]
fn honest_candidate_elections_verify() {
    let answers = ["yes", "no", "abstain"];
    for n in [1, 4] {
        let mut rng = ChaCha20Rng::from_seed([100 + n as u8; 32]);
        let votes: Vec<Vec<u8>> = (0..n)
            .map(|i| answers[i % answers.len()].as_bytes().to_vec())
            .collect();
        let spec = ElectionSpec {
            answers: answers.iter().map(|a| a.to_string()).collect(),
            plaintexts: votes.clone(),
            ..spec(n, vec![MixKind::Sk { rounds: 128 }, MixKind::Tw])
        };
        let (t, _) = simulate_election(&spec, &mut rng).unwrap();
        for b in &t.ballots {
            assert!(
                matches!(&b.validity, ValidityProof::OneOf(br) if br.len() == answers.len()),
                "{b:?}"
            );
        }
        let json = serde_json::to_string(&t).unwrap();
        let r = verify_election(&json).unwrap();
        assert_eq!((r.ballots, r.spoiled, r.mixes), (n, 0, 2));
        let mut got = t.plaintexts.clone();
        got.sort();
        let mut want: Vec<Outcome> = votes.into_iter().map(Outcome::Plaintext).collect();
        want.sort();
        assert_eq!(got, want);
        // a voter's answer outside the list cannot be simulated
        let bad = ElectionSpec {
            plaintexts: vec![b"maybe".to_vec()],
            ..spec.clone()
        };
        assert_eq!(
            simulate_election(&bad, &mut rng).err().unwrap(),
            ZeusError::NotAnAnswer
        );
    }
}

#[test]
fn zero_ballots_is_a_defined_error() {
    let mut rng = ChaCha20Rng::from_seed([0; 32]);
    assert_eq!(
        simulate_election(&spec(0, vec![MixKind::Tw]), &mut rng)
            .err()
            .unwrap(),
        ZeusError::EmptyInput
    );
    let mut t = honest(2);
    t.ballots.clear();
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::Empty {
            what: "ballots".into()
        }
    );
    let ctx = MixContext::new("s", &t.election.election_public_key).unwrap();
    assert_eq!(
        tw::shuffle_and_prove(&ctx, &[], &mut rng).unwrap_err(),
        ZeusError::EmptyInput
    );
    assert_eq!(
        sk::shuffle_and_prove(&ctx, &[], 128, &mut rng).unwrap_err(),
        ZeusError::EmptyInput
    );
}

#[test]
fn swapped_outputs_are_rejected() {
    let mut t = honest(4);
    t.mixes[0].output.swap(1, 2);
    assert!(matches!(
        verify(&t),
        Err(VerifyError::TwProof { mix: 0, .. })
    ));
    let mut t = honest(4);
    t.mixes[1].output.swap(0, 3);
    assert!(matches!(
        verify(&t),
        Err(VerifyError::SkRound { mix: 1, .. })
    ));
}

/// A mixer outputs a re-encryption of another input in place of one vote.
#[test]
fn duplicated_vote_is_rejected() {
    let t0 = honest(4);
    let ctx = context(&t0);
    for k in 0..2 {
        let mut t = t0.clone();
        let dup = t.mixes[k].output[0].decode().unwrap();
        let re = ctx.reencrypt(&dup, &Scalar::from(7u8)).compress();
        t.mixes[k].output[1] = re;
        let e = verify(&t).unwrap_err();
        assert!(
            matches!(
                e,
                VerifyError::TwProof { mix: 0, .. } | VerifyError::SkRound { mix: 1, .. }
            ),
            "{e:?}"
        );
    }
}

/// A mixer that replaces one ciphertext before shuffling produces a proof
/// that is valid for the wrong input; the chain check catches it.
#[test]
fn mixer_replacing_a_ciphertext_is_caught() {
    let t0 = honest(5);
    let ctx = context(&t0);
    let mut rng = ChaCha20Rng::from_seed([5; 32]);
    let forger = VoterSecret::generate(&mut rng);
    let forged = encrypt_ballot(&t0.election, &forger, b"forged", &mut rng).unwrap();
    for kind in [MixKind::Tw, MixKind::Sk { rounds: 128 }] {
        let mut t = t0.clone();
        let mut input: Vec<Ciphertext> = t.ballots.iter().map(|b| b.ciphertext).collect();
        input[2] = forged.ciphertext;
        let (out, proof) = mix(&ctx, kind, &input, &mut rng).unwrap();
        // the proof is valid for the replaced input...
        verify_mix(&ctx, &input, &out, &proof, 128, &mut rng).unwrap();
        // ...but not for the real one
        t.mixes[0].output = out;
        t.mixes[0].proof = proof;
        let e = verify(&t).unwrap_err();
        assert!(
            matches!(
                e,
                VerifyError::TwProof { mix: 0, .. } | VerifyError::SkRound { mix: 0, .. }
            ),
            "{e:?}"
        );
    }
}

#[test]
fn appended_and_truncated_lists_are_rejected() {
    let mut t = honest(3);
    let extra = t.mixes[0].output[0];
    t.mixes[0].output.push(extra);
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::LengthMismatch {
            at: "mixes[0].output".into(),
            expected: 3,
            found: 4
        }
    );
    let mut t = honest(3);
    t.mixes[1].output.pop();
    assert!(matches!(
        verify(&t),
        Err(VerifyError::LengthMismatch { .. })
    ));
    let mut t = honest(3);
    tw(&mut t, 0).u.pop();
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::LengthMismatch {
            at: "mixes[0].proof.tw.u".into(),
            expected: 3,
            found: 2
        }
    );
    let mut t = honest(3);
    tw(&mut t, 0).k_e.push(HexScalar(Scalar::ONE));
    assert!(matches!(
        verify(&t),
        Err(VerifyError::LengthMismatch { .. })
    ));
    // Sako-Kilian: a truncated collection, an appended collection element
    let mut t = honest(3);
    sk(&mut t, 1).collections[7].pop();
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::LengthMismatch {
            at: "mixes[1].proof.sk.collections[7]".into(),
            expected: 3,
            found: 2
        }
    );
    let mut t = honest(3);
    let c = sk(&mut t, 1).collections[9][0];
    sk(&mut t, 1).collections[9].push(c);
    assert!(matches!(
        verify(&t),
        Err(VerifyError::LengthMismatch { .. })
    ));
    let mut t = honest(3);
    sk(&mut t, 1).randoms[2].pop();
    assert!(matches!(
        verify(&t),
        Err(VerifyError::LengthMismatch { .. })
    ));
    let mut t = honest(3);
    t.partial_decryptions[1].factors.pop();
    assert!(matches!(
        verify(&t),
        Err(VerifyError::LengthMismatch { .. })
    ));
    let mut t = honest(3);
    t.plaintexts.pop();
    assert!(matches!(
        verify(&t),
        Err(VerifyError::LengthMismatch { .. })
    ));
}

#[test]
fn non_permutation_offsets_are_rejected() {
    let mut t = honest(3);
    let p = sk(&mut t, 1);
    p.offsets[4][2] = p.offsets[4][0];
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::NotAPermutation {
            mix: 1,
            round: 4,
            index: 2
        }
    );
    let mut t = honest(3);
    sk(&mut t, 1).offsets[0][1] = 3;
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::NotAPermutation {
            mix: 1,
            round: 0,
            index: 1
        }
    );
}

#[test]
fn fewer_than_128_rounds_are_rejected() {
    let mut t = honest(2);
    let p = sk(&mut t, 1);
    p.rounds = 127;
    p.collections.pop();
    p.offsets.pop();
    p.randoms.pop();
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::TooFewRounds {
            mix: 1,
            rounds: 127,
            min: 128
        }
    );
    // declaring 128 but carrying 127 is a length error
    let mut t = honest(2);
    sk(&mut t, 1).collections.pop();
    assert!(matches!(
        verify(&t),
        Err(VerifyError::LengthMismatch { .. })
    ));
    // the prover refuses too
    let ctx = context(&t);
    let input: Vec<Ciphertext> = t.ballots.iter().map(|b| b.ciphertext).collect();
    let mut rng = ChaCha20Rng::from_seed([1; 32]);
    assert_eq!(
        sk::shuffle_and_prove(&ctx, &input, 3, &mut rng).unwrap_err(),
        ZeusError::TooFewRounds {
            rounds: 3,
            min: 128
        }
    );
}

#[test]
fn wrong_session_id_is_rejected() {
    let mut t = honest(2);
    t.election.session_id.push('x');
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::TrusteeKeyProof { trustee: 0 }
    );
    // with the trustees' proofs pinned to their own session, the ballots
    // (bound to the election's session) fail
    let mut t = honest(2);
    t.election.trustee_key_session = t.election.session_id.clone();
    verify(&t).unwrap();
    t.election.session_id.push('x');
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::BallotProof { ballot: 0 }
    );
    // a mix proof made for another session does not verify in this one
    let (t, secrets) = honest_with_secrets(2);
    let mut rng = ChaCha20Rng::from_seed([2; 32]);
    let other = MixContext::new("another election", &t.election.election_public_key).unwrap();
    let this = context(&t);
    let input: Vec<Ciphertext> = t.ballots.iter().map(|b| b.ciphertext).collect();
    for kind in [MixKind::Tw, MixKind::Sk { rounds: 128 }] {
        let (out, proof) = mix(&other, kind, &input, &mut rng).unwrap();
        assert!(verify_mix(&this, &input, &out, &proof, 128, &mut rng).is_err());
    }
    // a ballot from another election, by an eligible voter, is rejected
    let mut elsewhere = t.election.clone();
    elsewhere.session_id = "another election".into();
    let b = encrypt_ballot(&elsewhere, &secrets.voters[0], b"x", &mut rng).unwrap();
    verify_ballot(&elsewhere, &b, 0).unwrap();
    let mut t2 = t.clone();
    t2.ballots[0] = b;
    assert_eq!(
        verify(&t2).unwrap_err(),
        VerifyError::BallotProof { ballot: 0 }
    );
    // ... and so is one made for another election key in this session
    let mut rekeyed = t.election.clone();
    rekeyed.election_public_key = t.election.trustees[0].public_key;
    let b = encrypt_ballot(&rekeyed, &secrets.voters[0], b"x", &mut rng).unwrap();
    let mut t2 = t.clone();
    t2.ballots[0] = b;
    assert_eq!(
        verify(&t2).unwrap_err(),
        VerifyError::BallotProof { ballot: 0 }
    );
}

const NON_CANONICAL_POINT: &str =
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
const IDENTITY: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const L_HEX: &str = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";

#[test]
fn non_canonical_points_and_scalars_and_identity_are_rejected() {
    let t = honest(2);
    let json = serde_json::to_string(&t).unwrap();
    let u0 = tw(&mut t.clone(), 0).u[0].to_hex();
    let e = verify_election(&json.replace(&u0, NON_CANONICAL_POINT)).unwrap_err();
    assert_eq!(
        e,
        VerifyError::Encoding {
            at: "mixes[0].proof.tw.u[0]".into(),
            reason: DecodeError::NonCanonicalPoint
        }
    );
    let e = verify_election(&json.replace(&u0, IDENTITY)).unwrap_err();
    assert_eq!(
        e,
        VerifyError::Encoding {
            at: "mixes[0].proof.tw.u[0]".into(),
            reason: DecodeError::IdentityPoint
        }
    );
    // identity as a ciphertext component in a mix output
    let mut t2 = t.clone();
    t2.mixes[0].output[1].c1 = Point([0; 32]);
    assert_eq!(
        verify(&t2).unwrap_err(),
        VerifyError::Encoding {
            at: "mixes[0].output[1].c1".into(),
            reason: DecodeError::IdentityPoint
        }
    );
    // a non-canonical scalar (ℓ itself) in a response
    let ka = tw(&mut t.clone(), 0).k_a.to_hex();
    match verify_election(&json.replace(&ka, L_HEX)).unwrap_err() {
        VerifyError::Malformed { at, reason } => {
            assert_eq!(at, "mixes[0].proof.tw.k_a");
            assert!(reason.contains("non-canonical scalar"), "{reason}");
        }
        e => panic!("{e:?}"),
    }
    // uppercase hex is not canonical
    let e = verify_election(&json.replace(&u0, &u0.to_uppercase())).unwrap_err();
    assert!(matches!(e, VerifyError::Malformed { .. }), "{e:?}");
    // the identity as a trustee key
    let mut t3 = t.clone();
    t3.election.trustees[1].public_key = Point([0; 32]);
    assert!(matches!(
        verify(&t3),
        Err(VerifyError::Encoding {
            reason: DecodeError::IdentityPoint,
            ..
        })
    ));
    // the identity as a ballot's credential, and on the voter list
    let mut t4 = t.clone();
    t4.ballots[1].credential = Point([0; 32]);
    assert_eq!(
        verify(&t4).unwrap_err(),
        VerifyError::Encoding {
            at: "ballots[1].credential".into(),
            reason: DecodeError::IdentityPoint
        }
    );
    let mut t5 = t.clone();
    t5.election.voters[0] = Point([0; 32]);
    assert_eq!(
        verify(&t5).unwrap_err(),
        VerifyError::Encoding {
            at: "election.voters[0]".into(),
            reason: DecodeError::IdentityPoint
        }
    );
}

#[test]
fn keys_ballots_decryption_and_result_are_checked() {
    let t0 = honest(3);
    let mut t = t0.clone();
    t.election.election_public_key = t.election.trustees[0].public_key;
    assert_eq!(verify(&t).unwrap_err(), VerifyError::JointKeyMismatch);
    let mut t = t0.clone();
    t.election.trustees[1].proof.response =
        HexScalar(t.election.trustees[1].proof.response.0 + Scalar::ONE);
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::TrusteeKeyProof { trustee: 1 }
    );
    let mut t = t0.clone();
    t.election.trustees[2] = t.election.trustees[0];
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::DuplicateTrustee {
            trustee: 2,
            first: 0
        }
    );
    let mut t = t0.clone();
    match &mut t.ballots[2].validity {
        ValidityProof::Knowledge(p) => p.response = HexScalar(Scalar::ONE),
        v => panic!("free-text ballot with {v:?}"),
    }
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::BallotProof { ballot: 2 }
    );
    // the credential's signature over the ballot
    let mut t = t0.clone();
    t.ballots[2].signature.response = HexScalar(t.ballots[2].signature.response.0 + Scalar::ONE);
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::BallotSignature { ballot: 2 }
    );
    // a ballot moved to another voter's credential: its validity proof binds
    // the credential
    let mut t = t0.clone();
    t.ballots[2].credential = t.ballots[0].credential;
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::BallotProof { ballot: 2 }
    );
    // a valid ballot by a credential that is not on the voter list
    let mut t = t0.clone();
    let mut rng = ChaCha20Rng::from_seed([6; 32]);
    let outsider = VoterSecret::generate(&mut rng);
    t.ballots[2] = encrypt_ballot(&t.election, &outsider, b"vote 2", &mut rng).unwrap();
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::NotEligible { ballot: 2 }
    );
    // a voter removed from the list: every ballot signature binds the
    // definition digest (voter list included), so the first ballot fails
    let mut t = t0.clone();
    let gone = t.ballots[1].credential;
    t.election.voters.retain(|v| *v != gone);
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::BallotSignature { ballot: 0 }
    );
    // an unused credential added to the list (or one replaced): the same
    let mut t = t0.clone();
    t.election.voters.push(outsider.public());
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::BallotSignature { ballot: 0 }
    );
    let mut t = t0.clone();
    t.ballots[2] = t.ballots[0].clone();
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::DuplicateBallot {
            ballot: 2,
            first: 0
        }
    );
    let mut t = t0.clone();
    t.mixes[1].mixer = t.mixes[0].mixer.clone();
    assert!(matches!(
        verify(&t),
        Err(VerifyError::DuplicateMixer {
            mix: 1,
            first: 0,
            ..
        })
    ));
    let mut t = t0.clone();
    t.mixes.clear();
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::Empty {
            what: "mixes".into()
        }
    );
    let mut t = t0.clone();
    t.partial_decryptions[1].factors[2] = t.partial_decryptions[0].factors[2];
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::DecryptionProof {
            trustee: 1,
            index: 2
        }
    );
    let mut t = t0.clone();
    t.partial_decryptions[1].trustee = 0;
    assert!(matches!(
        verify(&t),
        Err(VerifyError::PartialDecryptionSet { position: 1, .. })
    ));
    let mut t = t0.clone();
    t.partial_decryptions.pop();
    assert!(matches!(
        verify(&t),
        Err(VerifyError::LengthMismatch { .. })
    ));
    let mut t = t0.clone();
    t.plaintexts.swap(0, 1);
    assert_eq!(
        verify(&t).unwrap_err(),
        VerifyError::OutcomeMismatch {
            index: 0,
            expected: t0.plaintexts[0].to_text(),
            found: t0.plaintexts[1].to_text(),
        }
    );
    // a valid ballot published as spoiled
    let mut t = t0.clone();
    let m = encode_plaintext(b"vote 0").unwrap();
    t.plaintexts[1] = Outcome::Spoiled(Point::from_point(&m));
    assert!(matches!(
        verify(&t),
        Err(VerifyError::OutcomeMismatch { index: 1, .. })
    ));
    for version in ["panoramix/zeus/v0", "panoramix/zeus/v1/election"] {
        let mut t = t0.clone();
        t.version = version.into();
        assert!(matches!(
            verify(&t),
            Err(VerifyError::UnsupportedVersion { .. })
        ));
    }
}

#[test]
fn malformed_json_reports_a_path() {
    let e = verify_election("{\"version\": 3}").unwrap_err();
    assert!(
        matches!(e, VerifyError::Malformed { ref at, .. } if at == "version"),
        "{e:?}"
    );
    assert!(verify_election("").is_err());
    assert!(verify_election("[]").is_err());
}
