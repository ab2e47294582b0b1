//! The endpoint pipeline through message texts, as a contributor agent
//! would drive it: booth → TW mix → SK mix → partial decryptions → combine.

use panoramix_zeus::backend::{self, EndpointType, ZeusParams};
use panoramix_zeus::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

#[test]
fn pipeline_through_texts() {
    let mut rng = ChaCha20Rng::from_seed([42; 32]);
    let sid = "panoramix-cycle-7";
    let secrets: Vec<TrusteeSecret> = (0..2).map(|_| TrusteeSecret::generate(&mut rng)).collect();
    let keys: Vec<TrusteeKey> = secrets.iter().map(|s| s.publish(sid, &mut rng)).collect();
    let pk = combine_trustee_keys(sid, &keys).unwrap();
    let votes = ["yes", "no", "yes", "abstain"];
    let voters: Vec<VoterSecret> = votes
        .iter()
        .map(|_| VoterSecret::generate(&mut rng))
        .collect();
    let mut params = ZeusParams::new(sid, pk);
    params.trustees = keys;
    params.answers = vec!["yes".into(), "no".into(), "abstain".into()];
    params.voters = voters.iter().map(VoterSecret::public).collect();
    let p2: ZeusParams = serde_json::from_str(&serde_json::to_string(&params).unwrap()).unwrap();
    assert_eq!(p2, params);

    let mut inbox: Vec<String> = votes
        .iter()
        .zip(&voters)
        .map(|(v, voter)| {
            encrypt_ballot(&params, voter, v.as_bytes(), &mut rng)
                .unwrap()
                .to_text()
        })
        .collect();
    inbox.push(inbox[1].clone()); // replay
    inbox.push("zz".into()); // garbage
    let mut other = params.clone();
    other.session_id = "other".into();
    let foreign = encrypt_ballot(&other, &voters[0], b"yes", &mut rng)
        .unwrap()
        .to_text();
    inbox.push(foreign); // another election's ballot, by an eligible voter
    let outsider = VoterSecret::generate(&mut rng);
    let ineligible = encrypt_ballot(&params, &outsider, b"no", &mut rng)
        .unwrap()
        .to_text();
    inbox.push(ineligible); // a valid ballot by a credential not on the list

    let booth = backend::process(EndpointType::ZeusBooth, &params, None, &inbox, &mut rng).unwrap();
    assert_eq!(booth.outputs.len(), 4);
    let rejected: Vec<backend::Rejected> = serde_json::from_str(&booth.proof).unwrap();
    let idx: Vec<usize> = rejected.iter().map(|r| r.index).collect();
    assert_eq!(idx, [4, 5, 6, 7], "{rejected:?}");
    assert!(rejected[3].reason.contains("voter list"), "{rejected:?}");
    backend::verify(
        EndpointType::ZeusBooth,
        &params,
        &inbox,
        &booth.outputs,
        &booth.proof,
        &mut rng,
    )
    .unwrap();
    let mut wrong = booth.outputs.clone();
    wrong.swap(0, 1);
    assert!(
        backend::verify(
            EndpointType::ZeusBooth,
            &params,
            &inbox,
            &wrong,
            "",
            &mut rng
        )
        .is_err()
    );

    let m1 = backend::process(
        EndpointType::ZeusTwMix,
        &params,
        None,
        &booth.outputs,
        &mut rng,
    )
    .unwrap();
    backend::verify(
        EndpointType::ZeusTwMix,
        &params,
        &booth.outputs,
        &m1.outputs,
        &m1.proof,
        &mut rng,
    )
    .unwrap();
    let m2 = backend::process(
        EndpointType::ZeusSkMix,
        &params,
        None,
        &m1.outputs,
        &mut rng,
    )
    .unwrap();
    backend::verify(
        EndpointType::ZeusSkMix,
        &params,
        &m1.outputs,
        &m2.outputs,
        &m2.proof,
        &mut rng,
    )
    .unwrap();
    // a TW proof offered for an SK endpoint is refused
    assert!(matches!(
        backend::verify(
            EndpointType::ZeusSkMix,
            &params,
            &booth.outputs,
            &m1.outputs,
            &m1.proof,
            &mut rng
        ),
        Err(VerifyError::WrongProofType { .. })
    ));
    // tampered mix output
    let mut bad = m2.outputs.clone();
    bad.swap(0, 3);
    assert!(
        backend::verify(
            EndpointType::ZeusSkMix,
            &params,
            &m1.outputs,
            &bad,
            &m2.proof,
            &mut rng
        )
        .is_err()
    );

    assert_eq!(
        backend::process(
            EndpointType::ZeusSkPartialDecrypt,
            &params,
            None,
            &m2.outputs,
            &mut rng
        )
        .unwrap_err(),
        ZeusError::MissingSecret
    );
    let mut shares = Vec::new();
    for s in &secrets {
        let pd = backend::process(
            EndpointType::ZeusSkPartialDecrypt,
            &params,
            Some(s),
            &m2.outputs,
            &mut rng,
        )
        .unwrap();
        backend::verify(
            EndpointType::ZeusSkPartialDecrypt,
            &params,
            &m2.outputs,
            &pd.outputs,
            &pd.proof,
            &mut rng,
        )
        .unwrap();
        shares.extend(pd.outputs);
    }
    shares.reverse(); // order does not matter
    let comb = backend::process(
        EndpointType::ZeusSkCombine,
        &params,
        None,
        &shares,
        &mut rng,
    )
    .unwrap();
    backend::verify(
        EndpointType::ZeusSkCombine,
        &params,
        &shares,
        &comb.outputs,
        &comb.proof,
        &mut rng,
    )
    .unwrap();
    let mut got: Vec<String> = comb
        .outputs
        .iter()
        .map(|h| String::from_utf8(hex::decode(h).unwrap()).unwrap())
        .collect();
    got.sort();
    let mut want: Vec<String> = votes.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want);

    // a missing share is refused, naming what is missing
    let e = backend::process(
        EndpointType::ZeusSkCombine,
        &params,
        None,
        &shares[1..],
        &mut rng,
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            ZeusError::Verify(VerifyError::PartialDecryptionSet { .. })
        ),
        "{e:?}"
    );
    // a share with a broken proof is refused
    let mut forged = shares.clone();
    let mut s = DecryptionShare::from_text(&forged[0]).unwrap();
    s.factor = s.ciphertext.c1;
    forged[0] = s.to_text();
    assert!(
        backend::process(
            EndpointType::ZeusSkCombine,
            &params,
            None,
            &forged,
            &mut rng
        )
        .is_err()
    );

    for t in EndpointType::ALL {
        assert_eq!(EndpointType::parse(t.as_str()).unwrap(), t);
    }
    assert!(EndpointType::parse("SPHINXMIX").is_err());
    assert_eq!(
        serde_json::to_string(&EndpointType::ZeusTwMix).unwrap(),
        "\"ZEUS_TW_MIX\""
    );
    assert_eq!(
        "ZEUS_SK_COMBINE".parse::<EndpointType>().unwrap(),
        EndpointType::ZeusSkCombine
    );
}
