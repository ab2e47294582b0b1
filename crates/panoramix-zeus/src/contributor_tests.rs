//! The booth's memo of checked ballots: the same decisions as the box rule
//! without it, and never carried over to other parameters.

use super::ZeusBackend;
use crate::backend::booth_filter;
use crate::{TrusteeSecret, VoterSecret, ZeusParams, prepare_ballot};
use panoramix_core::backend::{Backend, EndpointView, Msg};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn params(session: &str, rng: &mut ChaCha20Rng) -> (ZeusParams, Vec<VoterSecret>) {
    let sk = TrusteeSecret::generate(rng);
    let key = sk.publish(session, rng);
    let mut p = ZeusParams::new(session, key.public_key);
    p.trustees = vec![key];
    p.answers = vec!["yes".into(), "no".into()];
    let voters: Vec<VoterSecret> = (0..6).map(|_| VoterSecret::generate(rng)).collect();
    p.voters = voters.iter().map(VoterSecret::public).collect();
    (p, voters)
}

fn booth(p: &ZeusParams) -> EndpointView {
    EndpointView {
        id: format!("{}-booth", p.session_id),
        endpoint_type: "ZEUS_BOOTH".into(),
        params: serde_json::to_value(p).unwrap(),
    }
}

fn msgs(texts: &[String]) -> Vec<Msg> {
    texts
        .iter()
        .map(|t| Msg {
            sender: "v".into(),
            recipient: String::new(),
            text: t.clone(),
            serial: None,
            hash: String::new(),
        })
        .collect()
}

/// Valid ballots, a re-vote, a copy of a ballot and one with a broken proof.
fn ballots(p: &ZeusParams, voters: &[VoterSecret], rng: &mut ChaCha20Rng) -> Vec<String> {
    let mut out: Vec<String> = voters
        .iter()
        .map(|v| {
            let b = prepare_ballot(p, v, b"yes", rng).unwrap();
            b.ballot().to_text()
        })
        .collect();
    out.push(
        prepare_ballot(p, &voters[0], b"no", rng)
            .unwrap()
            .ballot()
            .to_text(),
    );
    out.push(out[1].clone());
    let mut broken = out[2].clone().into_bytes();
    let last = broken.len() - 1;
    broken[last] = if broken[last] == b'0' { b'1' } else { b'0' };
    out.push(String::from_utf8(broken).unwrap());
    out
}

/// One booth's parameters and ballots (see [`ballots`]), and the generator.
fn booth_of_ballots(seed: u8) -> (ChaCha20Rng, ZeusParams, Vec<String>) {
    let mut rng = ChaCha20Rng::from_seed([seed; 32]);
    let (p, voters) = params("m/1", &mut rng);
    let texts = ballots(&p, &voters, &mut rng);
    (rng, p, texts)
}

#[test]
fn admission_recomputation_and_verification_decide_as_the_box_rule() {
    let (mut rng, p, texts) = booth_of_ballots(7);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let want = booth_filter(&p, &refs);
    assert!(!want.rejected.is_empty() && !want.counted.is_empty());
    let mut b = ZeusBackend::new(None);
    let ep = booth(&p);
    let ok = b.admissible(&ep, &refs);
    for (i, o) in ok.iter().enumerate() {
        assert_eq!(
            *o,
            !want.rejected.iter().any(|r| r.index == i),
            "ballot {i}"
        );
    }
    // the recomputation and the next stage's check use the memo: same result
    for _ in 0..2 {
        let out = b.process(&ep, &msgs(&texts), &mut rng).unwrap();
        let got: Vec<String> = out.outputs.iter().map(|o| o.text.clone()).collect();
        let exp: Vec<String> = want.counted.iter().map(|c| c.to_text()).collect();
        assert_eq!(got, exp);
        let outs = outputs(&out);
        b.verify(&ep, &msgs(&texts), &outs, &out.proof, &mut rng)
            .unwrap();
        // a booth output that drops a counted ballot still fails
        b.verify(&ep, &msgs(&texts), &outs[1..], &out.proof, &mut rng)
            .unwrap_err();
    }
}

#[test]
fn ballots_checked_under_one_booth_are_checked_again_under_another() {
    let (_, p, texts) = booth_of_ballots(8);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let b = ZeusBackend::new(None);
    assert!(b.admissible(&booth(&p), &refs)[0]);
    // the next cycle's booth: same key and voters, another session, so every
    // validity proof made for "m/1" fails there
    let mut q = p.clone();
    q.session_id = "m/2".into();
    let ok = b.admissible(&booth(&q), &refs);
    assert!(ok.iter().all(|o| !o), "{ok:?}");
    assert_eq!(
        booth_filter(&q, &refs).rejected.len(),
        texts.len(),
        "the box rule agrees"
    );
}

fn endpoint(p: &ZeusParams, ty: &str) -> EndpointView {
    EndpointView {
        id: format!("{}-{ty}", p.session_id),
        endpoint_type: ty.into(),
        params: serde_json::to_value(p).unwrap(),
    }
}

fn outputs(p: &panoramix_core::backend::Processed) -> Vec<Msg> {
    p.outputs
        .iter()
        .enumerate()
        .map(|(i, o)| Msg {
            serial: Some(i as i64),
            ..msgs(std::slice::from_ref(&o.text)).remove(0)
        })
        .collect()
}

/// Two trustees (n-of-n) decrypt a booth's output; returns the parameters,
/// the ciphertexts and each trustee's published shares.
fn decrypted(rng: &mut ChaCha20Rng) -> (ZeusParams, Vec<Msg>, Vec<Vec<Msg>>) {
    let secrets = [TrusteeSecret::generate(rng), TrusteeSecret::generate(rng)];
    let keys: Vec<_> = secrets.iter().map(|s| s.publish("m/1", rng)).collect();
    let pk = crate::combine_trustee_keys("m/1", &keys).unwrap();
    let (mut p, voters) = params("m/1", rng);
    p.election_public_key = pk;
    p.trustees = keys;
    let texts = ballots(&p, &voters, rng);
    let booth = ZeusBackend::new(None)
        .process(&booth(&p), &msgs(&texts), rng)
        .unwrap();
    let cts = outputs(&booth);
    let shares = secrets
        .into_iter()
        .map(|s| {
            let mut t = ZeusBackend::new(Some(s));
            outputs(
                &t.process(&endpoint(&p, "ZEUS_SK_PARTIAL_DECRYPT"), &cts, rng)
                    .unwrap(),
            )
        })
        .collect();
    (p, cts, shares)
}

#[test]
fn the_combination_skips_only_the_proofs_this_owner_verified() {
    let mut rng = ChaCha20Rng::from_seed([9; 32]);
    let (p, cts, shares) = decrypted(&mut rng);
    let decr = endpoint(&p, "ZEUS_SK_PARTIAL_DECRYPT");
    let combine = endpoint(&p, "ZEUS_SK_COMBINE");
    let all: Vec<Msg> = shares.concat();
    let fresh = ZeusBackend::new(None)
        .process(&combine, &all, &mut rng)
        .unwrap();
    // an owner that verified both partial decryptions combines to the same
    let mut owner = ZeusBackend::new(None);
    for s in &shares {
        owner.verify(&decr, &cts, s, "", &mut rng).unwrap();
    }
    let memo = owner.process(&combine, &all, &mut rng).unwrap();
    assert_eq!(memo.outputs, fresh.outputs);
    // a share whose proof is broken after the owner verified the original is
    // another text: checked, and refused
    let mut bad = shares.clone();
    let mut t = bad[1][0].text.clone().into_bytes();
    let k = t.len() - 1;
    t[k] = if t[k] == b'0' { b'1' } else { b'0' };
    bad[1][0].text = String::from_utf8(t).unwrap();
    owner
        .process(&combine, &bad.concat(), &mut rng)
        .unwrap_err();
    // an owner that verified only the first trustee's shares checks the second's
    let mut half = ZeusBackend::new(None);
    half.verify(&decr, &cts, &shares[0], "", &mut rng).unwrap();
    half.verify(&decr, &cts, &bad[1], "", &mut rng).unwrap_err();
    half.process(&combine, &bad.concat(), &mut rng).unwrap_err();
    assert_eq!(
        half.process(&combine, &all, &mut rng).unwrap().outputs,
        fresh.outputs
    );
}
