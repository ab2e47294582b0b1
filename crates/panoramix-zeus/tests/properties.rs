//! Property tests: honest transcripts always verify; every single-character
//! change of any hex value in a transcript (free text with a spoiled ballot,
//! or a candidate list; both with a superseded re-vote) is rejected;
//! encodings round-trip and reject non-canonical input.

use std::sync::OnceLock;

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use panoramix_zeus::*;
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn kinds() -> impl Strategy<Value = Vec<MixKind>> {
    prop::collection::vec(
        prop_oneof![3 => Just(MixKind::Tw), 1 => Just(MixKind::Sk { rounds: 128 })],
        1..=3,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn honest_transcripts_verify(n in 1usize..=12, trustees in 1usize..=3, seed in any::<u64>(), mixes in kinds()) {
        let mut s = [0u8; 32];
        s[..8].copy_from_slice(&seed.to_le_bytes());
        let mut rng = ChaCha20Rng::from_seed(s);
        let spec = ElectionSpec {
            session_id: format!("prop-{seed}"),
            trustees,
            mixes,
            answers: vec![],
            plaintexts: (0..n).map(|i| vec![i as u8; i % 30]).collect(),
        };
        let (t, _) = simulate_election(&spec, &mut rng).unwrap();
        let json = serde_json::to_string(&t).unwrap();
        let r = verify_election(&json).unwrap();
        prop_assert_eq!(r.ballots, n);
        prop_assert_eq!(r.spoiled, 0);
    }

    #[test]
    fn honest_candidate_transcripts_verify(
        n in 1usize..=8,
        k in 1usize..=10,
        seed in any::<u64>(),
        mixes in kinds(),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 8),
    ) {
        let mut s = [0u8; 32];
        s[..8].copy_from_slice(&seed.to_le_bytes());
        s[31] = 1;
        let mut rng = ChaCha20Rng::from_seed(s);
        let answers: Vec<String> = (0..k).map(|i| format!("candidate {i}")).collect();
        let votes: Vec<Vec<u8>> =
            (0..n).map(|i| answers[picks[i].index(k)].clone().into_bytes()).collect();
        let spec = ElectionSpec {
            session_id: format!("prop-candidates-{seed}"),
            trustees: 2,
            mixes,
            answers,
            plaintexts: votes.clone(),
        };
        let (t, _) = simulate_election(&spec, &mut rng).unwrap();
        let json = serde_json::to_string(&t).unwrap();
        let r = verify_election(&json).unwrap();
        prop_assert_eq!((r.ballots, r.spoiled), (n, 0));
        let mut got = t.plaintexts.clone();
        got.sort();
        let mut want: Vec<Outcome> = votes.into_iter().map(Outcome::Plaintext).collect();
        want.sort();
        prop_assert_eq!(got, want);
    }
}

struct Fixture {
    json: String,
    /// byte offsets of every character inside a hex value
    hex_positions: Vec<usize>,
}

/// A two-trustee election through a TW and an SK mix with a voter list, in
/// which voter 0 votes twice (its first ballot is superseded but stays in
/// the transcript). Free text: three plaintexts and a junk element (spoiled).
/// Candidates: three answers, so every ballot carries a three-branch
/// disjunctive proof.
fn build_fixture(candidates: bool) -> Fixture {
    let mut rng = ChaCha20Rng::from_seed([77 + candidates as u8; 32]);
    let sid = "mutation-fixture";
    let secrets: Vec<TrusteeSecret> = (0..2).map(|_| TrusteeSecret::generate(&mut rng)).collect();
    let keys: Vec<TrusteeKey> = secrets.iter().map(|s| s.publish(sid, &mut rng)).collect();
    let mut params = ZeusParams::new(sid, combine_trustee_keys(sid, &keys).unwrap());
    params.trustees = keys;
    let votes: [&[u8]; 3] = if candidates {
        params.answers = vec!["yes".into(), "no".into(), "blank".into()];
        [b"yes", b"no", b"blank"]
    } else {
        [b"a", b"bb", b"ccc"]
    };
    let voters: Vec<VoterSecret> = (0..4).map(|_| VoterSecret::generate(&mut rng)).collect();
    params.voters = voters.iter().map(VoterSecret::public).collect();
    let mut ballots: Vec<Ballot> = votes
        .iter()
        .zip(&voters)
        .map(|(v, s)| encrypt_ballot(&params, s, v, &mut rng).unwrap())
        .collect();
    ballots.push(encrypt_ballot(&params, &voters[0], votes[1], &mut rng).unwrap());
    if !candidates {
        let junk = RistrettoPoint::from_uniform_bytes(&[9; 64]);
        ballots.push(encrypt_element(&params, &voters[3], &junk, &mut rng).unwrap());
    }
    let texts: Vec<String> = ballots.iter().map(Ballot::to_text).collect();
    let box_ = booth_filter(&params, &texts);
    assert!(box_.rejected.is_empty(), "{:?}", box_.rejected);
    let kinds = [MixKind::Tw, MixKind::Sk { rounds: 128 }];
    let (mixes, partial_decryptions, plaintexts) =
        tally(&params, &kinds, box_.counted, &secrets, &mut rng).unwrap();
    let t = ElectionTranscript {
        version: election::TRANSCRIPT_VERSION.into(),
        group: GROUP_NAME.into(),
        election: params,
        ballots,
        mixes,
        partial_decryptions,
        plaintexts,
    };
    let json = serde_json::to_string(&t).unwrap();
    let r = verify_election(&json).unwrap();
    assert_eq!(t.ballots.len(), r.ballots + 1, "one superseded ballot");
    assert_eq!(r.spoiled, usize::from(!candidates));
    let mut hex_positions = Vec::new();
    let mut pos = 0;
    for (k, seg) in json.split('"').enumerate() {
        let (skip, hex) = match seg.strip_prefix("spoiled:") {
            Some(h) => (seg.len() - h.len(), h),
            None => (0, seg),
        };
        if k % 2 == 1 && hex.len() >= 64 && hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            hex_positions.extend(pos + skip..pos + seg.len());
        }
        pos += seg.len() + 1;
    }
    Fixture {
        json,
        hex_positions,
    }
}

fn fixture(candidates: bool) -> &'static Fixture {
    static F: [OnceLock<Fixture>; 2] = [OnceLock::new(), OnceLock::new()];
    F[usize::from(candidates)].get_or_init(|| build_fixture(candidates))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// Flipping any hex digit anywhere (keys and their proofs, voter
    /// credentials, ballots: credential, ciphertext, validity proof and
    /// signature, superseded ones included; outputs, every commitment and
    /// response, collections, randoms, factors, proofs, spoiled elements)
    /// makes verification fail.
    #[test]
    fn any_single_hex_digit_change_is_rejected(
        candidates in any::<bool>(),
        pick in any::<prop::sample::Index>(),
        d in 0u8..15,
    ) {
        let f = fixture(candidates);
        let at = f.hex_positions[pick.index(f.hex_positions.len())];
        let mut bytes = f.json.clone().into_bytes();
        let digits = b"0123456789abcdef";
        let old = bytes[at];
        let choices: Vec<u8> = digits.iter().copied().filter(|&c| c != old).collect();
        bytes[at] = choices[d as usize];
        let s = String::from_utf8(bytes).unwrap();
        prop_assert!(
            verify_election(&s).is_err(),
            "mutation at byte {} accepted (candidates: {})", at, candidates
        );
    }

    #[test]
    fn plaintext_encoding_roundtrips(m in prop::collection::vec(any::<u8>(), 0..=MAX_PLAINTEXT_LEN)) {
        let p = encode_plaintext(&m).unwrap();
        prop_assert_eq!(decode_plaintext(&p).unwrap(), m);
    }

    #[test]
    fn too_long_plaintexts_are_refused(m in prop::collection::vec(any::<u8>(), MAX_PLAINTEXT_LEN + 1..64)) {
        let refused = matches!(encode_plaintext(&m), Err(ZeusError::PlaintextTooLong { .. }));
        prop_assert!(refused);
    }

    /// A point decodes only if it is the canonical encoding of a
    /// non-identity element.
    #[test]
    fn point_decoding_is_canonical(b in any::<[u8; 32]>()) {
        match Point(b).decode() {
            Ok(p) => prop_assert_eq!(p.compress().to_bytes(), b),
            Err(DecodeError::IdentityPoint) => prop_assert_eq!(b, [0u8; 32]),
            Err(_) => prop_assert!(CompressedRistretto(b).decompress().is_none()),
        }
    }

    /// Scalars ≥ ℓ are refused; reduced ones round-trip.
    #[test]
    fn scalar_decoding_is_canonical(b in any::<[u8; 32]>()) {
        let h = hex::encode(b);
        match HexScalar::from_hex(&h) {
            Ok(s) => prop_assert_eq!(s.to_hex(), h),
            Err(e) => {
                prop_assert_eq!(e, DecodeError::NonCanonicalScalar);
                prop_assert!(curve25519_dalek::Scalar::from_bytes_mod_order(b).to_bytes() != b);
            }
        }
    }

    #[test]
    fn ciphertext_text_roundtrips(b in any::<[u8; 64]>()) {
        let t = hex::encode(b);
        let c = Ciphertext::from_text(&t).unwrap();
        prop_assert_eq!(c.to_text(), t.clone());
        prop_assert!(Ciphertext::from_text(&t.to_uppercase()).is_err() || t == t.to_uppercase());
        prop_assert!(Ciphertext::from_text(&t[..126]).is_err());
    }
}
