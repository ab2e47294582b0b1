//! Property tests: honest transcripts always verify; every single-character
//! change of any hex value in a transcript is rejected; encodings round-trip
//! and reject non-canonical input.

use std::sync::OnceLock;

use curve25519_dalek::ristretto::CompressedRistretto;
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
            plaintexts: (0..n).map(|i| vec![i as u8; i % 30]).collect(),
        };
        let (t, _) = simulate_election(&spec, &mut rng).unwrap();
        let json = serde_json::to_string(&t).unwrap();
        let r = verify_election(&json).unwrap();
        prop_assert_eq!(r.ballots, n);
    }
}

struct Fixture {
    json: String,
    /// byte offsets of every character inside a hex value
    hex_positions: Vec<usize>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = ChaCha20Rng::from_seed([77; 32]);
        let spec = ElectionSpec {
            session_id: "mutation-fixture".into(),
            trustees: 2,
            mixes: vec![MixKind::Tw, MixKind::Sk { rounds: 128 }],
            plaintexts: vec![b"a".to_vec(), b"bb".to_vec(), b"ccc".to_vec()],
        };
        let (t, _) = simulate_election(&spec, &mut rng).unwrap();
        let json = serde_json::to_string(&t).unwrap();
        verify_election(&json).unwrap();
        let mut hex_positions = Vec::new();
        let mut pos = 0;
        for (k, seg) in json.split('"').enumerate() {
            if k % 2 == 1 && seg.len() >= 64 && seg.bytes().all(|c| c.is_ascii_hexdigit()) {
                hex_positions.extend(pos..pos + seg.len());
            }
            pos += seg.len() + 1;
        }
        Fixture {
            json,
            hex_positions,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Flipping any hex digit anywhere (keys, ballots, outputs, every
    /// commitment and response, collections, randoms, factors, proofs,
    /// plaintexts) makes verification fail.
    #[test]
    fn any_single_hex_digit_change_is_rejected(pick in any::<prop::sample::Index>(), d in 0u8..15) {
        let f = fixture();
        let at = f.hex_positions[pick.index(f.hex_positions.len())];
        let mut bytes = f.json.clone().into_bytes();
        let digits = b"0123456789abcdef";
        let old = bytes[at];
        let choices: Vec<u8> = digits.iter().copied().filter(|&c| c != old).collect();
        bytes[at] = choices[d as usize];
        let s = String::from_utf8(bytes).unwrap();
        prop_assert!(verify_election(&s).is_err(), "mutation at byte {} accepted", at);
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
