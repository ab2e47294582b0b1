//! Fuzz the ZEUS parsers and verifiers with untrusted text: a whole
//! election transcript, the compact text forms of ciphertexts, ballots and
//! decryption shares, mix proofs, and a mix-endpoint verification whose
//! inputs, outputs and proof all come from the fuzzer. None may panic.
//!
//! Input layout: first byte selects the mode, the rest is UTF-8 text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use panoramix_zeus::backend::{self, EndpointType, ZeusParams};
use panoramix_zeus::{Ballot, Ciphertext, DecryptionShare, MixProof, Point, verify_election};

/// A valid Ristretto255 point (the basepoint) used as election key.
const BASEPOINT: [u8; 32] = [
    0xe2, 0xf2, 0xae, 0x0a, 0x6a, 0xbc, 0x4e, 0x71, 0xa8, 0x84, 0xa9, 0x61, 0xc5, 0x00, 0x51, 0x5f,
    0x58, 0xe3, 0x0b, 0x6a, 0xa5, 0x82, 0xdd, 0x8d, 0xb6, 0xa6, 0x59, 0x45, 0xe0, 0x8d, 0x2d, 0x76,
];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match mode % 4 {
        0 => {
            let _ = verify_election(text);
        }
        1 => {
            if let Ok(c) = Ciphertext::from_text(text) {
                assert_eq!(c.to_text(), text);
                let _ = c.decode();
            }
            if let Ok(b) = Ballot::from_text(text) {
                assert_eq!(b.to_text(), text);
            }
            if let Ok(s) = DecryptionShare::from_text(text) {
                assert_eq!(s.to_text(), text);
            }
        }
        2 => {
            if let Ok(p) = MixProof::from_json(text) {
                // serialisation round-trips
                assert_eq!(MixProof::from_json(&p.to_json()).ok(), Some(p));
            }
        }
        _ => {
            // "input lines | output lines | proof json", separated by '|'
            let mut parts = text.splitn(3, '|');
            let (Some(i), Some(o), Some(proof)) = (parts.next(), parts.next(), parts.next()) else {
                return;
            };
            let inputs: Vec<&str> = i.lines().collect();
            let outputs: Vec<&str> = o.lines().collect();
            if inputs.len() > 64 {
                return;
            }
            let params = ZeusParams {
                session_id: "fuzz".into(),
                election_public_key: Point(BASEPOINT),
                trustees: vec![Point(BASEPOINT)],
                sk_rounds: 128,
            };
            for ty in [
                EndpointType::ZeusTwMix,
                EndpointType::ZeusSkMix,
                EndpointType::ZeusSkPartialDecrypt,
                EndpointType::ZeusSkCombine,
                EndpointType::ZeusBooth,
            ] {
                let _ = backend::verify_deterministic(ty, &params, &inputs, &outputs, proof);
            }
        }
    }
});
