//! Fuzz the ZEUS ballot parsers and checks with untrusted input: the text,
//! binary and JSON forms of a ballot, the Benaloh opening of a ballot and the
//! box rule over a list of ballot texts, each against two fixed elections (a
//! free-text one open to any credential, and one with three answers and a
//! two-credential voter list). None may panic, and:
//! * whatever parses re-encodes to the same text / bytes;
//! * a ballot that passes `check_ballot` round-trips through every form, has
//!   the election's length and an eligible credential, and `verify_ballot`
//!   agrees with `check_ballot`;
//! * a ballot that opens gives an allowed answer and is itself valid;
//! * the box accounts for every input once, accepts no replayed `c1`, and
//!   counts exactly one ballot per credential among the accepted.
//!
//! Input layout: first byte selects the mode, the rest is the input (UTF-8
//! text except in mode 1).
#![no_main]

use std::collections::HashSet;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use panoramix_zeus::ballot::ballot_len;
use panoramix_zeus::{
    Ballot, HexScalar, MAX_PLAINTEXT_LEN, Rules, ZeusParams, booth_filter, check_ballot,
    open_ballot, verify_ballot,
};

/// Session "fuzz", election key = the trustee key = the basepoint (secret 1),
/// free text, any credential.
const FREE: &str = r#"{"session_id":"fuzz","election_public_key":"e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76","trustees":[{"public_key":"e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76","proof":{"commitment":"6007ff29327844c6a681f861512cbc81b117b194d3d0d5ca9532a366cf861a63","response":"5342032099b12dfd797f5d13f95351d8bc8dc36fbb7070eec276c61e65be1108"}}],"sk_rounds":128}"#;

/// The same election with three answers and the credentials of the secrets
/// 2 and 3 as its voter list (the seeds are ballots by them).
const CANDIDATES: &str = r#"{"session_id":"fuzz","election_public_key":"e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76","trustees":[{"public_key":"e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76","proof":{"commitment":"6007ff29327844c6a681f861512cbc81b117b194d3d0d5ca9532a366cf861a63","response":"5342032099b12dfd797f5d13f95351d8bc8dc36fbb7070eec276c61e65be1108"}}],"answers":["yes","no","blank"],"voters":["6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919","94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259"],"sk_rounds":128}"#;

struct Election {
    params: ZeusParams,
    rules: Rules,
}

fn elections() -> &'static [Election; 2] {
    static E: OnceLock<[Election; 2]> = OnceLock::new();
    E.get_or_init(|| {
        [FREE, CANDIDATES].map(|json| {
            let params: ZeusParams = serde_json::from_str(json).expect("fixed parameters");
            params.verify_trustees().expect("fixed trustee key");
            let rules = params.rules().expect("fixed parameters");
            Election { params, rules }
        })
    })
}

/// Check `b` against both elections; returns whether it is valid in either.
fn check_all(b: &Ballot) -> bool {
    let mut any = false;
    for e in elections() {
        let r = check_ballot(&e.params, &e.rules, b, 0);
        assert_eq!(
            verify_ballot(&e.params, b, 0).err(),
            r.as_ref().err().cloned()
        );
        if r.is_ok() {
            any = true;
            assert!(e.rules.eligible(&b.credential));
            let text = b.to_text();
            assert_eq!(text.len(), 2 * ballot_len(e.params.answers.len()));
            assert_eq!(Ballot::from_text(&text).ok().as_ref(), Some(b));
            assert_eq!(Ballot::from_bytes(&b.to_bytes()).ok().as_ref(), Some(b));
            let json = serde_json::to_string(b).expect("serialises");
            assert_eq!(serde_json::from_str::<Ballot>(&json).ok().as_ref(), Some(b));
        }
    }
    any
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 5 == 1 {
        if let Ok(b) = Ballot::from_bytes(rest) {
            assert_eq!(b.to_bytes(), rest);
            check_all(&b);
        }
        return;
    }
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match mode % 5 {
        0 => {
            if let Ok(b) = Ballot::from_text(text) {
                assert_eq!(b.to_text(), text);
                assert_eq!(Ballot::from_bytes(&b.to_bytes()).ok(), Some(b.clone()));
                check_all(&b);
            }
        }
        2 => {
            if let Ok(b) = serde_json::from_str::<Ballot>(text) {
                check_all(&b);
            }
        }
        3 => {
            // "randomness hex | ballot text"
            let Some((r, b)) = text.split_once('|') else {
                return;
            };
            let (Ok(r), Ok(b)) = (HexScalar::from_hex(r), Ballot::from_text(b)) else {
                return;
            };
            let valid = check_all(&b);
            for e in elections() {
                if let Ok(answer) = open_ballot(&e.params, &b, &r) {
                    assert!(valid);
                    assert!(check_ballot(&e.params, &e.rules, &b, 0).is_ok());
                    if e.params.answers.is_empty() {
                        assert!(answer.len() <= MAX_PLAINTEXT_LEN);
                    } else {
                        assert!(e.params.answers.iter().any(|a| a.as_bytes() == answer));
                    }
                }
            }
        }
        _ => {
            // the box rule over up to 32 ballot texts, one per line
            let lines: Vec<&str> = text.lines().collect();
            if lines.len() > 32 {
                return;
            }
            for e in elections() {
                let d = booth_filter(&e.params, &lines);
                let mut seen: Vec<usize> = d.accepted.iter().map(|(i, _)| *i).collect();
                seen.extend(d.rejected.iter().map(|r| r.index));
                seen.sort_unstable();
                assert_eq!(seen, (0..lines.len()).collect::<Vec<_>>());
                let c1s: HashSet<_> = d.accepted.iter().map(|(_, b)| b.ciphertext.c1).collect();
                assert_eq!(c1s.len(), d.accepted.len());
                let creds: HashSet<_> = d.accepted.iter().map(|(_, b)| b.credential).collect();
                assert_eq!(d.counted.len(), creds.len());
                for (i, b) in &d.accepted {
                    assert!(check_ballot(&e.params, &e.rules, b, *i).is_ok());
                }
            }
        }
    }
});
