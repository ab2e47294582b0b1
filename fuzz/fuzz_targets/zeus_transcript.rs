//! Fuzz the ZEUS parsers and verifiers with untrusted text: a whole
//! election transcript (v2), the compact text forms of ciphertexts, ballots,
//! decryption shares and outcomes, mix proofs, and an endpoint verification
//! whose inputs, outputs and proof all come from the fuzzer. None may panic.
//! (`zeus_ballot` fuzzes ballots and the box rule in depth.)
//!
//! Input layout: first byte selects the mode, the rest is UTF-8 text. In
//! mode 3 the byte also picks the election: bit 2 clear, free text; set,
//! three answers and a voter list.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use panoramix_zeus::backend::{self, EndpointType, ZeusParams};
use panoramix_zeus::{
    Ballot, Ciphertext, DecryptionShare, MixProof, Outcome, parse_transcript, verify_election,
};

/// Session "fuzz", election key = the only trustee's key = the basepoint
/// (secret 1, so seeds can carry valid decryption shares), with its proof of
/// knowledge; free text, any credential.
const FREE: &str = r#"{"session_id":"fuzz","election_public_key":"e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76","trustees":[{"public_key":"e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76","proof":{"commitment":"6007ff29327844c6a681f861512cbc81b117b194d3d0d5ca9532a366cf861a63","response":"5342032099b12dfd797f5d13f95351d8bc8dc36fbb7070eec276c61e65be1108"}}],"sk_rounds":128}"#;

/// The same election with three answers and a two-credential voter list.
const CANDIDATES: &str = r#"{"session_id":"fuzz","election_public_key":"e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76","trustees":[{"public_key":"e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76","proof":{"commitment":"6007ff29327844c6a681f861512cbc81b117b194d3d0d5ca9532a366cf861a63","response":"5342032099b12dfd797f5d13f95351d8bc8dc36fbb7070eec276c61e65be1108"}}],"answers":["yes","no","blank"],"voters":["6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919","94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259"],"sk_rounds":128}"#;

fn elections() -> &'static [ZeusParams; 2] {
    static E: OnceLock<[ZeusParams; 2]> = OnceLock::new();
    E.get_or_init(|| {
        [FREE, CANDIDATES].map(|json| {
            let p: ZeusParams = serde_json::from_str(json).expect("fixed parameters");
            p.verify_trustees().expect("fixed trustee key");
            p
        })
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match mode % 4 {
        0 => {
            if verify_election(text).is_ok() {
                // what verifies parses, and its election is well-formed
                let t = parse_transcript(text).expect("a verified transcript parses");
                assert!(t.election.verify_trustees().is_ok());
                assert!(t.election.rules().is_ok());
            }
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
            if let Ok(o) = Outcome::from_text(text) {
                assert_eq!(o.to_text(), text);
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
            let params = &elections()[usize::from(mode & 4 != 0)];
            for ty in [
                EndpointType::ZeusTwMix,
                EndpointType::ZeusSkMix,
                EndpointType::ZeusSkPartialDecrypt,
                EndpointType::ZeusSkCombine,
                EndpointType::ZeusBooth,
            ] {
                let _ = backend::verify_deterministic(ty, params, &inputs, &outputs, proof);
            }
        }
    }
});
