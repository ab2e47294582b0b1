//! Threshold trustees (issue 18's core): the key generation with complaints
//! and disqualification, and threshold decryption that any `t` qualified
//! trustees can do, skipping invalid partial decryptions.

use panoramix_zeus::dkg::{self, Dkg};
use panoramix_zeus::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

struct Trustees {
    secrets: Vec<TrusteeSecret>,
    keys: Vec<TrusteeKey>,
}

fn trustees(rng: &mut ChaCha20Rng, n: usize) -> Trustees {
    let secrets: Vec<TrusteeSecret> = (0..n).map(|_| TrusteeSecret::generate(rng)).collect();
    let keys = secrets.iter().map(|s| s.publish("keys", rng)).collect();
    Trustees { secrets, keys }
}

/// Run the key generation; `corrupt(dealer, recipient)` says which shares a
/// cheating dealer garbles; `absent` dealers never deal.
fn run_dkg(
    rng: &mut ChaCha20Rng,
    tr: &Trustees,
    t: u32,
    corrupt: &[(u32, u32)],
    absent: &[u32],
) -> (Dkg, Vec<dkg::Received>) {
    let n = tr.keys.len() as u32;
    let mut d = Dkg {
        session_id: "dkg-1".into(),
        threshold: t,
        dealings: Vec::new(),
        complaints: Vec::new(),
    };
    for i in 1..=n {
        if absent.contains(&i) {
            continue;
        }
        let secret = &tr.secrets[i as usize - 1];
        let mut dealing = dkg::deal("dkg-1", t, &tr.keys, i, secret, rng).unwrap();
        for &(dealer, recipient) in corrupt {
            if dealer == i {
                // a cheating dealer signs the share it garbled
                dealing.shares[recipient as usize - 1].ciphertext.0[3] ^= 0x40;
                dkg::sign_dealing("dkg-1", t, &tr.keys, &mut dealing, secret, rng).unwrap();
            }
        }
        d.dealings.push(dealing);
    }
    let received: Vec<dkg::Received> = (1..=n)
        .map(|j| dkg::receive(&d, &tr.keys, j, &tr.secrets[j as usize - 1], rng).unwrap())
        .collect();
    for r in &received {
        d.complaints.extend(r.complaints.iter().copied());
    }
    (d, received)
}

fn params(tr: &Trustees, d: Dkg, pk: Point) -> ZeusParams {
    let mut p = ZeusParams::new("threshold/1", pk);
    p.trustees = tr.keys.clone();
    p.trustee_key_session = "keys".into();
    p.answers = vec!["yes".into(), "no".into()];
    p.dkg = Some(d);
    p
}

#[test]
fn honest_key_generation_gives_consistent_keys() {
    let mut rng = ChaCha20Rng::from_seed([1; 32]);
    for (n, t) in [(1usize, 1u32), (3, 2), (5, 3), (5, 5)] {
        let tr = trustees(&mut rng, n);
        let (d, received) = run_dkg(&mut rng, &tr, t, &[], &[]);
        assert!(d.complaints.is_empty());
        let o = d.verify(&tr.keys).unwrap();
        assert_eq!(o.qualified, (1..=n as u32).collect::<Vec<_>>());
        for (j, r) in received.iter().enumerate() {
            let share = r.secret_share(&o).unwrap();
            assert_eq!(share.public_key(), o.verification_keys[j], "VK_{}", j + 1);
        }
    }
}

/// A dealer that sends a bad share is caught by the recipient's complaint and
/// disqualified; the election proceeds without it and decrypts.
#[test]
fn a_bad_share_is_caught_by_a_complaint_and_its_dealer_disqualified() {
    let mut rng = ChaCha20Rng::from_seed([2; 32]);
    let tr = trustees(&mut rng, 5);
    let (d, received) = run_dkg(&mut rng, &tr, 3, &[(2, 4)], &[]);
    assert_eq!(d.complaints.len(), 1);
    assert_eq!(
        (d.complaints[0].complainant, d.complaints[0].dealer),
        (4, 2)
    );
    let o = d.verify(&tr.keys).unwrap();
    assert_eq!(o.qualified, vec![1, 3, 4, 5]);
    assert_eq!(o.disqualified.len(), 1);
    assert!(
        o.disqualified[0]
            .1
            .contains("upheld complaint by trustee 4")
    );

    // decrypt with trustees 1, 4, 5 (trustee 2 is not qualified to decrypt)
    let p = params(&tr, d.clone(), o.public_key);
    let v = VoterSecret::generate(&mut rng);
    let ballot = encrypt_ballot(&p, &v, b"no", &mut rng).unwrap();
    let cts = vec![ballot.ciphertext];
    let partials: Vec<PartialDecryption> = [1usize, 4, 5]
        .iter()
        .map(|&j| {
            let s = received[j - 1].secret_share(&o).unwrap();
            partial_decrypt("threshold/1", &s, j - 1, &cts, &mut rng).unwrap()
        })
        .collect();
    assert_eq!(
        combine(&p, &cts, &partials, &mut rng).unwrap(),
        vec![Outcome::Plaintext(b"no".to_vec())]
    );
    // the disqualified dealer's own partial decryption is refused
    let s2 = received[1].secret_share(&o).unwrap();
    let pd2 = partial_decrypt("threshold/1", &s2, 1, &cts, &mut rng).unwrap();
    assert!(matches!(
        combine(&p, &cts, &[pd2], &mut rng),
        Err(VerifyError::PartialDecryptionSet { .. })
    ));
}

/// A complaint about a good share is void: the dealer stays qualified.
#[test]
fn a_false_complaint_is_void() {
    let mut rng = ChaCha20Rng::from_seed([3; 32]);
    let tr = trustees(&mut rng, 3);
    let (mut d, _) = run_dkg(&mut rng, &tr, 2, &[(1, 3)], &[]);
    // trustee 3's complaint about dealer 1 is true; now make a false one by
    // trustee 2 about dealer 3 from a real complaint's shape: take a dealing
    // trustee 2 could decrypt fine and claim it is bad with the right key
    let honest = run_dkg(&mut rng, &tr, 2, &[], &[]).0;
    let mut lying = honest.clone();
    let mut bad = lying.clone();
    bad.dealings[2].shares[1].ciphertext.0[0] ^= 1; // only to make trustee 2 complain
    dkg::sign_dealing(
        "dkg-1",
        2,
        &tr.keys,
        &mut bad.dealings[2],
        &tr.secrets[2],
        &mut rng,
    )
    .unwrap();
    let c = dkg::receive(&bad, &tr.keys, 2, &tr.secrets[1], &mut rng)
        .unwrap()
        .complaints[0];
    lying.complaints.push(c); // the same DH key opens the honest share: it is fine
    let o = lying.verify(&tr.keys).unwrap();
    assert_eq!(o.qualified, vec![1, 2, 3]);
    assert_eq!(o.void_complaints, vec![0]);
    // a complaint with a forged Diffie-Hellman value is void: it can neither
    // disqualify the dealer nor stop the key generation
    assert_eq!(d.verify(&tr.keys).unwrap().qualified, vec![2, 3]);
    d.complaints[0].shared_key = d.complaints[0].proof.a;
    let o = d.verify(&tr.keys).unwrap();
    assert_eq!(o.qualified, vec![1, 2, 3]);
    assert_eq!(o.void_complaints, vec![0]);
    // nor can a complaint in another trustee's name (its proof needs that
    // trustee's key)
    let mut d2 = honest.clone();
    let mut forged = c;
    forged.complainant = 1;
    d2.complaints.push(forged);
    assert_eq!(d2.verify(&tr.keys).unwrap().qualified, vec![1, 2, 3]);
}

/// An absent dealer is disqualified; fewer than t qualified stops the key
/// generation with a reason.
#[test]
fn absent_dealers_and_too_few_qualified() {
    let mut rng = ChaCha20Rng::from_seed([4; 32]);
    let tr = trustees(&mut rng, 5);
    let (d, _) = run_dkg(&mut rng, &tr, 3, &[], &[2]);
    let o = d.verify(&tr.keys).unwrap();
    assert_eq!(o.qualified, vec![1, 3, 4, 5]);
    assert_eq!(o.disqualified, vec![(2, "no dealing".to_string())]);
    let (d, _) = run_dkg(&mut rng, &tr, 3, &[], &[1, 2, 3]);
    let e = d.verify(&tr.keys).unwrap_err();
    assert!(e.to_string().contains("fewer than the threshold 3"), "{e}");
}

/// A whole election with 5 trustees and threshold 3 where two trustees never
/// decrypt; an invalid partial decryption is skipped and another trustee's
/// used; fewer than t valid ones cannot tally.
#[test]
fn any_t_trustees_tally_and_invalid_partials_are_skipped() {
    let mut rng = ChaCha20Rng::from_seed([5; 32]);
    let tr = trustees(&mut rng, 5);
    let (d, received) = run_dkg(&mut rng, &tr, 3, &[], &[]);
    let o = d.verify(&tr.keys).unwrap();
    let mut p = params(&tr, d, o.public_key);
    let voters: Vec<VoterSecret> = (0..6).map(|_| VoterSecret::generate(&mut rng)).collect();
    p.voters = voters.iter().map(VoterSecret::public).collect();
    let votes = ["yes", "no", "yes", "yes", "no", "yes"];
    let ballots: Vec<Ballot> = votes
        .iter()
        .zip(&voters)
        .map(|(a, v)| encrypt_ballot(&p, v, a.as_bytes(), &mut rng).unwrap())
        .collect();
    let list: Vec<Ciphertext> = ballots.iter().map(|b| b.ciphertext).collect();
    let shares: Vec<TrusteeSecret> = received
        .iter()
        .map(|r| r.secret_share(&o).unwrap())
        .collect();
    let ctx = MixContext::new("threshold/1", &p.election_public_key).unwrap();
    let (out, proof) = mix(&ctx, MixKind::Tw, &list, &mut rng).unwrap();
    let pd = |j: usize, rng: &mut ChaCha20Rng| {
        partial_decrypt("threshold/1", &shares[j - 1], j - 1, &out, rng).unwrap()
    };
    // trustees 2 and 4 are absent; trustee 1's partial decryption is corrupted
    let mut bad1 = pd(1, &mut rng);
    bad1.proofs[2].s = HexScalar(bad1.proofs[2].s.0 + curve25519_dalek::Scalar::ONE);
    let partials = vec![bad1.clone(), pd(3, &mut rng), pd(5, &mut rng)];
    // only two valid: not enough
    assert_eq!(
        combine(&p, &out, &partials, &mut rng).unwrap_err(),
        VerifyError::TooFewDecryptions {
            valid: 2,
            needed: 3
        }
    );
    // trustee 4 shows up after all: 3, 4, 5 are used, 1 is skipped
    let partials = vec![bad1, pd(3, &mut rng), pd(4, &mut rng), pd(5, &mut rng)];
    let got = combine(&p, &out, &partials, &mut rng).unwrap();
    let mut tally: Vec<Vec<u8>> = got
        .into_iter()
        .map(|o| match o {
            Outcome::Plaintext(x) => x,
            Outcome::Spoiled(_) => b"spoiled".to_vec(),
        })
        .collect();
    tally.sort();
    let mut want: Vec<Vec<u8>> = votes.iter().map(|v| v.as_bytes().to_vec()).collect();
    want.sort();
    assert_eq!(tally, want);

    // the whole election transcript verifies, and says what it skipped
    let plaintexts = combine(&p, &out, &partials, &mut rng).unwrap();
    let t = ElectionTranscript {
        version: election::TRANSCRIPT_VERSION.into(),
        group: "ristretto255".into(),
        election: p.clone(),
        ballots,
        mixes: vec![MixRecord {
            mixer: "m0".into(),
            output: out.clone(),
            proof,
        }],
        partial_decryptions: partials,
        plaintexts,
    };
    let report = verify_election(&serde_json::to_string(&t).unwrap()).unwrap();
    assert_eq!(report.ballots, 6);
    let text = report.to_string();
    assert!(text.contains("1 skipped as invalid"), "{text}");
    assert!(text.contains("[3, 4, 5]"), "{text}");
    // a tampered dealing in the transcript fails verification
    let mut t2 = t.clone();
    if let Some(d) = t2.election.dkg.as_mut() {
        d.dealings[0].commitments[1] = d.dealings[1].commitments[1];
    }
    assert!(verify_election(&serde_json::to_string(&t2).unwrap()).is_err());
}

/// Dealings are signed by their dealer's trustee key: one posted in another
/// trustee's name is ignored (it can neither replace nor disqualify the real
/// one), an unsigned copy of a real dealing is ignored, and a trustee that
/// signs two different dealings is disqualified.
#[test]
fn dealings_belong_to_their_signers() {
    let mut rng = ChaCha20Rng::from_seed([6; 32]);
    let tr = trustees(&mut rng, 4);
    let (d, _) = run_dkg(&mut rng, &tr, 2, &[], &[]);
    let honest = d.verify(&tr.keys).unwrap();

    // trustee 1 deals a second time in trustee 3's name, before the real one
    let mut impostor = dkg::deal("dkg-1", 2, &tr.keys, 1, &tr.secrets[0], &mut rng).unwrap();
    impostor.dealer = 3;
    let mut d2 = d.clone();
    d2.dealings.insert(0, impostor);
    let o = d2.verify(&tr.keys).unwrap();
    assert_eq!(o.public_key, honest.public_key);
    assert_eq!(o.qualified, vec![1, 2, 3, 4]);
    assert_eq!(o.ignored_dealings, vec![0]);
    assert_eq!(o.attributed[2], Some(3));

    // a copy of trustee 2's dealing with one share changed, unsigned
    let mut d3 = d.clone();
    let mut altered = d3.dealings[1].clone();
    altered.shares[0].ciphertext.0[0] ^= 1;
    d3.dealings.push(altered.clone());
    d3.dealings.push(d.dealings[1].clone()); // and a verbatim copy
    let o = d3.verify(&tr.keys).unwrap();
    assert_eq!(o.public_key, honest.public_key);
    assert_eq!(o.ignored_dealings, vec![4, 5]);

    // trustee 2 signs the altered one too: two different signed dealings
    dkg::sign_dealing("dkg-1", 2, &tr.keys, &mut altered, &tr.secrets[1], &mut rng).unwrap();
    let mut d4 = d.clone();
    d4.dealings.push(altered);
    let o = d4.verify(&tr.keys).unwrap();
    assert_eq!(o.qualified, vec![1, 3, 4]);
    assert_eq!(
        o.disqualified,
        vec![(2, "signed two different dealings".to_string())]
    );
    // a dealing whose signature was made by another key is not the dealer's
    let mut d5 = d.clone();
    d5.dealings[3].signature = d5.dealings[2].signature;
    let o = d5.verify(&tr.keys).unwrap();
    assert_eq!(o.disqualified, vec![(4, "no dealing".to_string())]);
}
