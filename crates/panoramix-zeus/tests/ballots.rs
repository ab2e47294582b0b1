//! Ballots v2 and the box rule: the regression tests of issue 13's findings
//! that concern ballots (junk elements, marked encodings, copied ballots,
//! eligibility) and the Benaloh challenge.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use panoramix_zeus::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

struct Election {
    params: ZeusParams,
    voters: Vec<VoterSecret>,
}

fn election(rng: &mut ChaCha20Rng, answers: &[&str], voters: usize) -> Election {
    let sk = TrusteeSecret::generate(rng);
    let key = sk.publish("e", rng);
    let mut params = ZeusParams::new("e", key.public_key);
    params.trustees = vec![key];
    params.answers = answers.iter().map(|a| a.to_string()).collect();
    let voters: Vec<VoterSecret> = (0..voters).map(|_| VoterSecret::generate(rng)).collect();
    params.voters = voters.iter().map(VoterSecret::public).collect();
    Election { params, voters }
}

fn random_element(rng: &mut ChaCha20Rng) -> RistrettoPoint {
    let mut b = [0u8; 64];
    rand_core::RngCore::fill_bytes(rng, &mut b);
    RistrettoPoint::from_uniform_bytes(&b)
}

#[test]
fn every_answer_makes_a_valid_ballot_that_opens_to_it() {
    let mut rng = ChaCha20Rng::from_seed([1; 32]);
    for k in [1usize, 2, 5, 10] {
        let answers: Vec<String> = (0..k).map(|i| format!("candidate {i}")).collect();
        let refs: Vec<&str> = answers.iter().map(String::as_str).collect();
        let e = election(&mut rng, &refs, 1);
        for a in &answers {
            let p = prepare_ballot(&e.params, &e.voters[0], a.as_bytes(), &mut rng).unwrap();
            verify_ballot(&e.params, p.ballot(), 0).unwrap();
            let back = Ballot::from_text(&p.ballot().to_text()).unwrap();
            assert_eq!(&back, p.ballot());
            assert_eq!(p.ballot().to_text().len(), 2 * ballot::ballot_len(k));
            let json = serde_json::to_string(p.ballot()).unwrap();
            assert_eq!(&serde_json::from_str::<Ballot>(&json).unwrap(), p.ballot());
            // Benaloh: the opened ballot shows the answer
            assert_eq!(
                open_ballot(&e.params, p.ballot(), &p.randomness()).unwrap(),
                a.as_bytes()
            );
            let wrong = HexScalar(p.randomness().0 + curve25519_dalek::Scalar::ONE);
            assert!(matches!(
                open_ballot(&e.params, p.ballot(), &wrong),
                Err(VerifyError::BallotOpening { .. })
            ));
        }
        assert_eq!(
            encrypt_ballot(&e.params, &e.voters[0], b"write-in", &mut rng).unwrap_err(),
            ZeusError::NotAnAnswer
        );
    }
}

/// Finding 1 (a): with a candidate list, a ballot whose ciphertext holds a
/// junk element cannot carry a valid proof, so the box refuses it.
#[test]
fn junk_element_ballot_is_refused_when_there_is_a_candidate_list() {
    let mut rng = ChaCha20Rng::from_seed([2; 32]);
    let e = election(&mut rng, &["yes", "no"], 2);
    assert_eq!(
        encrypt_element(&e.params, &e.voters[0], &random_element(&mut rng), &mut rng).unwrap_err(),
        ZeusError::NotAnAnswer
    );
    // an honest ballot whose c2 is moved to a junk element with the same
    // randomness (the strongest forgery a voter can make from its own ballot)
    let p = prepare_ballot(&e.params, &e.voters[0], b"yes", &mut rng).unwrap();
    let pk = e.params.election_public_key.decode().unwrap();
    let c1 = &p.randomness().0 * RISTRETTO_BASEPOINT_TABLE;
    let junk = random_element(&mut rng) + pk * p.randomness().0;
    let mut forged = p.ballot().clone();
    forged.ciphertext = Ciphertext::from_points(&c1, &junk);
    assert_eq!(
        verify_ballot(&e.params, &forged, 0),
        Err(VerifyError::BallotProof { ballot: 0 })
    );
    let honest = encrypt_ballot(&e.params, &e.voters[1], b"no", &mut rng).unwrap();
    let d = booth_filter(&e.params, &[forged.to_text(), honest.to_text()]);
    assert_eq!(d.counted, vec![honest.ciphertext]);
    assert_eq!(d.rejected.len(), 1);
    assert_eq!(d.rejected[0].index, 0);
}

/// Finding 2: a marked encoding ("yes" with a later counter) cannot be cast
/// in a candidate election; in a free-text election it decrypts as spoiled
/// (see tests/tally.rs), because only the canonical encoding decodes.
#[test]
fn marked_encoding_is_refused_or_spoiled() {
    let mut rng = ChaCha20Rng::from_seed([3; 32]);
    let canonical = encode_plaintext(b"yes").unwrap();
    let ctr = canonical.compress().to_bytes()[0] >> 1;
    let marked = (ctr + 1..128)
        .find_map(|c| encode_with_counter(b"yes", c))
        .unwrap();
    assert!(decode_plaintext(&marked).is_err());
    let e = election(&mut rng, &["yes", "no"], 1);
    assert_eq!(
        encrypt_element(&e.params, &e.voters[0], &marked, &mut rng).unwrap_err(),
        ZeusError::NotAnAnswer
    );
    let free = election(&mut rng, &[], 1);
    assert_eq!(
        free.params.outcome(&marked),
        Outcome::Spoiled(Point::from_point(&marked))
    );
    assert_eq!(
        free.params.outcome(&canonical),
        Outcome::Plaintext(b"yes".to_vec())
    );
}

/// Finding 4: a ballot belongs to its credential. A copy re-signed under
/// another eligible credential fails its validity proof (the credential is
/// bound into it) and cannot block the voter's own ballot; a verbatim replay
/// is dropped; a credential off the list cannot vote; the last ballot counts.
#[test]
fn copied_ballots_cannot_be_moved_or_block_the_voter() {
    let mut rng = ChaCha20Rng::from_seed([4; 32]);
    let e = election(&mut rng, &["yes", "no"], 3);
    let (alice, mallory) = (&e.voters[0], &e.voters[1]);
    let ballot = encrypt_ballot(&e.params, alice, b"yes", &mut rng).unwrap();

    // Mallory takes Alice's ciphertext and proof and signs it as her own.
    let mut copy = ballot.clone();
    copy.credential = mallory.public();
    let mut resigned = encrypt_ballot(&e.params, mallory, b"no", &mut rng).unwrap();
    resigned.ciphertext = ballot.ciphertext;
    resigned.validity = ballot.validity.clone();
    for forged in [&copy, &resigned] {
        assert!(matches!(
            verify_ballot(&e.params, forged, 0),
            Err(VerifyError::BallotProof { .. } | VerifyError::BallotSignature { .. })
        ));
    }
    // posted first, the copies do not stop Alice's ballot from counting
    let d = booth_filter(
        &e.params,
        &[copy.to_text(), resigned.to_text(), ballot.to_text()],
    );
    assert_eq!(d.counted, vec![ballot.ciphertext]);
    assert_eq!(d.accepted.len(), 1);

    // someone else casting under Alice's credential needs her secret
    let mut under_alice = encrypt_ballot(&e.params, mallory, b"no", &mut rng).unwrap();
    under_alice.credential = alice.public();
    assert!(verify_ballot(&e.params, &under_alice, 0).is_err());

    // re-vote: the last accepted ballot counts; replaying the first one after
    // it is dropped, so it cannot revert the re-vote
    let revote = encrypt_ballot(&e.params, alice, b"no", &mut rng).unwrap();
    let bob = encrypt_ballot(&e.params, &e.voters[2], b"yes", &mut rng).unwrap();
    let d = booth_filter(
        &e.params,
        &[
            ballot.to_text(),
            bob.to_text(),
            revote.to_text(),
            ballot.to_text(),
        ],
    );
    assert_eq!(d.counted, vec![bob.ciphertext, revote.ciphertext]);
    assert_eq!(d.accepted.len(), 3);
    assert_eq!(d.rejected.len(), 1);
    assert_eq!(d.rejected[0].index, 3);

    // not on the voter list
    let outsider = VoterSecret::generate(&mut rng);
    let b = encrypt_ballot(&e.params, &outsider, b"yes", &mut rng).unwrap();
    assert_eq!(
        verify_ballot(&e.params, &b, 0),
        Err(VerifyError::NotEligible { ballot: 0 })
    );
    assert!(booth_filter(&e.params, &[b.to_text()]).counted.is_empty());
}

#[test]
fn ballot_text_parser_is_strict() {
    let mut rng = ChaCha20Rng::from_seed([5; 32]);
    let e = election(&mut rng, &["a", "b"], 1);
    let t = encrypt_ballot(&e.params, &e.voters[0], b"a", &mut rng)
        .unwrap()
        .to_text();
    assert!(Ballot::from_text(&t).is_ok());
    assert!(Ballot::from_text(&t.to_uppercase()).is_err());
    assert!(Ballot::from_text(&t[..t.len() - 2]).is_err());
    assert!(Ballot::from_text(&format!("{t}00")).is_err());
    assert!(Ballot::from_text(&format!("01{}", &t[2..])).is_err());
    assert!(Ballot::from_text("").is_err());
    // K = 3 claimed, 2 present
    assert!(Ballot::from_text(&format!("0203{}", &t[4..])).is_err());
    // a ballot for 2 answers against a 3-answer election
    let mut three = e.params.clone();
    three.answers.push("c".into());
    assert!(matches!(
        verify_ballot(&three, &Ballot::from_text(&t).unwrap(), 0),
        Err(VerifyError::Malformed { .. })
    ));
}

#[test]
fn bad_election_parameters_are_named() {
    let mut rng = ChaCha20Rng::from_seed([6; 32]);
    let e = election(&mut rng, &["a", "a"], 1);
    assert!(
        matches!(e.params.rules(), Err(VerifyError::Malformed { at, .. }) if at == "election.answers[1]")
    );
    let long = "x".repeat(MAX_PLAINTEXT_LEN + 1);
    let e = election(&mut rng, &[long.as_str()], 1);
    assert!(e.params.rules().is_err());
    let many: Vec<String> = (0..=MAX_ANSWERS).map(|i| i.to_string()).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let e = election(&mut rng, &refs, 1);
    assert!(e.params.rules().is_err());
    let mut e = election(&mut rng, &["a"], 1);
    e.params.voters.push(e.params.voters[0]);
    assert!(e.params.rules().is_err());
    // a booth with bad parameters refuses everything, naming why
    let d = booth_filter(&e.params, &["00"]);
    assert!(d.rejected[0].reason.contains("election parameters"));
}
