//! The tally end to end through the endpoint types, as a mix-net runs it:
//! booth → mixes → partial decryptions → combination, then the transcript
//! assembled from what was published and verified. Regression tests of issue
//! 13's findings 1 (b), 2 and 3.

use curve25519_dalek::ristretto::RistrettoPoint;
use panoramix_zeus::backend::{self, EndpointType};
use panoramix_zeus::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

struct Run {
    transcript: ElectionTranscript,
    outcomes: Vec<String>,
}

/// Run every stage of one election with `trustees` trustees over `ballots`.
fn run(
    params: &ZeusParams,
    secrets: &[TrusteeSecret],
    ballots: &[String],
    rng: &mut ChaCha20Rng,
) -> Result<Run, ZeusError> {
    let booth = backend::process(EndpointType::ZeusBooth, params, None, ballots, rng)?;
    let mut list = booth.outputs;
    let mut mixes = Vec::new();
    for (k, ty) in [EndpointType::ZeusTwMix, EndpointType::ZeusSkMix]
        .into_iter()
        .enumerate()
    {
        let m = backend::process(ty, params, None, &list, rng)?;
        backend::verify(ty, params, &list, &m.outputs, &m.proof, rng)?;
        mixes.push((format!("mixer-{k}"), m.outputs.clone(), m.proof));
        list = m.outputs;
    }
    let mut shares = Vec::new();
    for s in secrets {
        let pd = backend::process(
            EndpointType::ZeusSkPartialDecrypt,
            params,
            Some(s),
            &list,
            rng,
        )?;
        shares.extend(pd.outputs);
    }
    let outcomes =
        backend::process(EndpointType::ZeusSkCombine, params, None, &shares, rng)?.outputs;
    let transcript = assemble_transcript(params, ballots, mixes, &shares, &outcomes)?;
    Ok(Run {
        transcript,
        outcomes,
    })
}

/// Each voter (in order) casts the answer at its position.
fn cast(
    params: &ZeusParams,
    voters: &[VoterSecret],
    answers: &[&str],
    rng: &mut ChaCha20Rng,
) -> Vec<String> {
    answers
        .iter()
        .zip(voters)
        .map(|(a, v)| {
            encrypt_ballot(params, v, a.as_bytes(), rng)
                .unwrap()
                .to_text()
        })
        .collect()
}

fn setup(rng: &mut ChaCha20Rng, answers: &[&str]) -> (ZeusParams, Vec<TrusteeSecret>) {
    let secrets: Vec<TrusteeSecret> = (0..3).map(|_| TrusteeSecret::generate(rng)).collect();
    let keys: Vec<TrusteeKey> = secrets.iter().map(|s| s.publish("keys", rng)).collect();
    let pk = combine_trustee_keys("keys", &keys).unwrap();
    let mut params = ZeusParams::new("tally/1", pk);
    params.trustees = keys;
    params.trustee_key_session = "keys".into();
    params.answers = answers.iter().map(|a| a.to_string()).collect();
    (params, secrets)
}

/// Findings 1 (b) and 2: in a free-text election a junk element and a marked
/// ("yes" with a non-minimal counter) encoding are accepted by the box, are
/// published as spoiled with their decrypted element, and the rest of the
/// tally completes and verifies.
#[test]
fn junk_and_marked_ballots_are_spoiled_and_the_tally_completes() {
    let mut rng = ChaCha20Rng::from_seed([11; 32]);
    let (params, secrets) = setup(&mut rng, &[]);
    let voters: Vec<VoterSecret> = (0..6).map(|_| VoterSecret::generate(&mut rng)).collect();
    let mut ballots = cast(&params, &voters, &["yes", "no", "yes", "maybe"], &mut rng);
    let mut b = [0u8; 64];
    rng.fill_bytes(&mut b);
    let junk = RistrettoPoint::from_uniform_bytes(&b);
    let ctr = encode_plaintext(b"yes").unwrap().compress().to_bytes()[0] >> 1;
    let marked = (ctr + 1..128)
        .find_map(|c| encode_with_counter(b"yes", c))
        .unwrap();
    for (v, m) in voters[4..].iter().zip([junk, marked]) {
        ballots.push(encrypt_element(&params, v, &m, &mut rng).unwrap().to_text());
    }
    let r = run(&params, &secrets, &ballots, &mut rng).unwrap();
    let mut spoiled: Vec<Outcome> = r
        .transcript
        .plaintexts
        .iter()
        .filter(|o| o.is_spoiled())
        .cloned()
        .collect();
    spoiled.sort();
    let mut expected = vec![
        Outcome::Spoiled(Point::from_point(&junk)),
        Outcome::Spoiled(Point::from_point(&marked)),
    ];
    expected.sort();
    assert_eq!(spoiled, expected);
    let mut counted: Vec<Vec<u8>> = r
        .transcript
        .plaintexts
        .iter()
        .filter_map(|o| match o {
            Outcome::Plaintext(p) => Some(p.clone()),
            Outcome::Spoiled(_) => None,
        })
        .collect();
    counted.sort();
    assert_eq!(
        counted,
        vec![
            b"maybe".to_vec(),
            b"no".to_vec(),
            b"yes".to_vec(),
            b"yes".to_vec()
        ]
    );
    assert!(
        r.outcomes
            .iter()
            .filter(|o| o.starts_with("spoiled:"))
            .count()
            == 2
    );
    let json = serde_json::to_string(&r.transcript).unwrap();
    let report = verify_election(&json).unwrap();
    assert_eq!((report.ballots, report.spoiled), (6, 2));

    // publishing a spoiled ballot as a vote, or a vote as spoiled, fails
    let mut t = r.transcript.clone();
    let j = t.plaintexts.iter().position(Outcome::is_spoiled).unwrap();
    t.plaintexts[j] = Outcome::Plaintext(b"yes".to_vec());
    assert!(matches!(
        verify_election(&serde_json::to_string(&t).unwrap()),
        Err(VerifyError::OutcomeMismatch { .. })
    ));
    let mut t = r.transcript.clone();
    let j = t.plaintexts.iter().position(|o| !o.is_spoiled()).unwrap();
    t.plaintexts[j] = Outcome::Spoiled(Point::from_point(&junk));
    assert!(verify_election(&serde_json::to_string(&t).unwrap()).is_err());
}

/// With a candidate list every counted ballot is an allowed answer, and the
/// assembled transcript verifies; re-votes count once.
#[test]
fn candidate_election_through_the_endpoints_verifies() {
    let mut rng = ChaCha20Rng::from_seed([12; 32]);
    let (mut params, secrets) = setup(&mut rng, &["yes", "no", "abstain"]);
    let voters: Vec<VoterSecret> = (0..5).map(|_| VoterSecret::generate(&mut rng)).collect();
    params.voters = voters.iter().map(VoterSecret::public).collect();
    let mut ballots = cast(
        &params,
        &voters,
        &["yes", "no", "abstain", "no", "yes"],
        &mut rng,
    );
    // voter 0 changes its mind: its last ballot counts
    ballots.push(
        encrypt_ballot(&params, &voters[0], b"abstain", &mut rng)
            .unwrap()
            .to_text(),
    );
    let r = run(&params, &secrets, &ballots, &mut rng).unwrap();
    assert_eq!(r.transcript.ballots.len(), 6);
    let mut got: Vec<String> = r
        .transcript
        .plaintexts
        .iter()
        .map(|o| match o {
            Outcome::Plaintext(p) => String::from_utf8(p.clone()).unwrap(),
            Outcome::Spoiled(_) => "spoiled".into(),
        })
        .collect();
    got.sort();
    assert_eq!(got, ["abstain", "abstain", "no", "no", "yes"]);
    let report = verify_election(&serde_json::to_string(&r.transcript).unwrap()).unwrap();
    assert_eq!((report.ballots, report.spoiled, report.trustees), (5, 0, 3));
}

/// Finding 3: the combination checks the trustees' key records against the
/// election key; a foreign key (with a valid proof of its own) in place of a
/// trustee's, or a key record without a valid proof, stops it.
#[test]
fn combination_refuses_foreign_or_unproven_trustee_keys() {
    let mut rng = ChaCha20Rng::from_seed([13; 32]);
    let (params, secrets) = setup(&mut rng, &["yes", "no"]);
    let v = VoterSecret::generate(&mut rng);
    let ballots = vec![
        encrypt_ballot(&params, &v, b"yes", &mut rng)
            .unwrap()
            .to_text(),
    ];
    let r = run(&params, &secrets, &ballots, &mut rng).unwrap();
    let last = r.transcript.mixes.last().unwrap().output.clone();
    let last_text: Vec<String> = last.iter().map(Ciphertext::to_text).collect();
    let mut shares = Vec::new();
    for s in &secrets {
        shares.extend(
            backend::process(
                EndpointType::ZeusSkPartialDecrypt,
                &params,
                Some(s),
                &last_text,
                &mut rng,
            )
            .unwrap()
            .outputs,
        );
    }
    // honest: fine
    backend::process(
        EndpointType::ZeusSkCombine,
        &params,
        None,
        &shares,
        &mut rng,
    )
    .unwrap();

    // a foreign trustee replaces trustee 2 (its own key, valid proof, its own shares)
    let foreign = TrusteeSecret::generate(&mut rng);
    let mut p2 = params.clone();
    p2.trustees[2] = foreign.publish("keys", &mut rng);
    // the foreign trustee's endpoint itself refuses parameters whose keys
    // are not the election's
    assert_eq!(
        backend::process(
            EndpointType::ZeusSkPartialDecrypt,
            &p2,
            Some(&foreign),
            &last_text,
            &mut rng,
        )
        .unwrap_err(),
        ZeusError::Verify(VerifyError::JointKeyMismatch)
    );
    // so it makes its shares by hand
    let pd = partial_decrypt("tally/1", &foreign, 2, &last, &mut rng).unwrap();
    let mut shares2 = shares[..2].to_vec();
    shares2.extend(last.iter().enumerate().map(|(j, c)| {
        DecryptionShare {
            trustee_public_key: foreign.public_key(),
            ciphertext: *c,
            factor: pd.factors[j],
            proof: pd.proofs[j],
        }
        .to_text()
    }));
    let err =
        backend::process(EndpointType::ZeusSkCombine, &p2, None, &shares2, &mut rng).unwrap_err();
    assert_eq!(err, ZeusError::Verify(VerifyError::JointKeyMismatch));
    assert_eq!(
        combine(&p2, &last, &[], &mut rng).unwrap_err(),
        VerifyError::JointKeyMismatch
    );

    // a key record whose proof is bound to another session
    let mut p3 = params.clone();
    p3.trustee_key_session = "other".into();
    let err =
        backend::process(EndpointType::ZeusSkCombine, &p3, None, &shares, &mut rng).unwrap_err();
    assert_eq!(
        err,
        ZeusError::Verify(VerifyError::TrusteeKeyProof { trustee: 0 })
    );
    // and the stand-alone verifier says the same of a transcript
    let mut t = r.transcript.clone();
    t.election.trustees[1] = TrusteeSecret::generate(&mut rng).publish("keys", &mut rng);
    assert_eq!(
        verify_election(&serde_json::to_string(&t).unwrap()).unwrap_err(),
        VerifyError::JointKeyMismatch
    );
}

/// A Sako–Kilian mix must have at least the election's `sk_rounds` (and at
/// least 128), in the stand-alone verifier as in the endpoint's check.
#[test]
fn sako_kilian_rounds_follow_the_election() {
    let mut rng = ChaCha20Rng::from_seed([14; 32]);
    let spec = ElectionSpec {
        session_id: "sk-rounds".into(),
        trustees: 1,
        mixes: vec![MixKind::Sk { rounds: 128 }],
        answers: vec!["a".into(), "b".into()],
        plaintexts: vec![b"a".to_vec(), b"b".to_vec()],
    };
    let (t, secrets) = simulate_election(&spec, &mut rng).unwrap();
    assert!(verify_election(&serde_json::to_string(&t).unwrap()).is_ok());
    // raising the rounds after the vote changes the definition every ballot
    // signed: the ballots fail first
    let mut raised = t.clone();
    raised.election.sk_rounds = 256;
    assert_eq!(
        verify_election(&serde_json::to_string(&raised).unwrap()).unwrap_err(),
        VerifyError::BallotSignature { ballot: 0 }
    );
    // an election of 256 rounds whose ballots are valid, mixed with 128 rounds
    let mut params = t.election.clone();
    params.sk_rounds = 256;
    let ballots: Vec<Ballot> = secrets
        .voters
        .iter()
        .zip(&spec.plaintexts)
        .map(|(v, p)| encrypt_ballot(&params, v, p, &mut rng).unwrap())
        .collect();
    let texts: Vec<String> = ballots.iter().map(Ballot::to_text).collect();
    let counted = booth_filter(&params, &texts).counted;
    let (mixes, partial_decryptions, plaintexts) = tally(
        &params,
        &[MixKind::Sk { rounds: 128 }],
        counted,
        &secrets.trustees,
        &mut rng,
    )
    .unwrap();
    let short = ElectionTranscript {
        election: params,
        ballots,
        mixes,
        partial_decryptions,
        plaintexts,
        ..t
    };
    assert!(matches!(
        verify_election(&serde_json::to_string(&short).unwrap()),
        Err(VerifyError::TooFewRounds { min: 256, .. })
    ));
}
