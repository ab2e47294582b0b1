//! Fuzz the key generation's endpoint types (`panoramix_zeus::dkg_endpoints`):
//! what the two entry endpoints admit (`ZEUS_DKG_DEALINGS`, `ZEUS_DKG_VERDICTS`)
//! and what the key endpoint (`ZEUS_DKG_KEY`) makes of message texts that
//! any owner (a cheating trustee included) may post, plus the `DkgParams`,
//! `Verdict` and `KeyResult` JSON decoders.
//!
//! The fixture (built once, deterministically): four trustees with keys
//! published for the key session "fuzz-keys", threshold 3, session
//! "fuzz/dkg"; every trustee's honest dealing and honest verdict (no
//! complaint), as texts, and the honest `KeyResult`.
//!
//! Input layout: the first byte selects the mode, the rest is split at `0xff`
//! bytes into up to 16 texts:
//! * 0: `admissible(ZEUS_DKG_DEALINGS)` on the honest dealings followed by the
//!   texts; 1: the same for verdicts;
//! * 2: the key endpoint on the honest dealings and verdicts with the texts
//!   mixed in (inserted after position `byte 1 % 9`);
//! * 3: the texts as `DkgParams`, `Verdict` and `KeyResult` JSON, and any
//!   `DkgParams` that parses as the parameters of `admissible` and the key
//!   endpoint over the honest texts.
//!
//! Invariants (nothing panics in any mode):
//! * `admissible` answers one flag per text; the honest texts, first, are
//!   all admitted; an admitted extra text parses, is signed by the trustee it
//!   names (the honest texts' signers are already taken, so no extra text is
//!   admitted at all) — a stranger cannot take a trustee's place;
//! * whatever is mixed into the key endpoint's input, its result is the
//!   honest one: every trustee qualified, the honest election key and
//!   verification keys (no one can forge a dealing, a verdict or a complaint
//!   without a trustee's key), and processing is deterministic;
//! * whatever parses re-serialises to JSON that parses to the same value.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use panoramix_fuzz::rng::FuzzRng;
use panoramix_zeus::TrusteeSecret;
use panoramix_zeus::dkg_endpoints::{
    self, DKG_DEALINGS, DKG_KEY, DKG_VERDICTS, DkgParams, KeyResult, Verdict,
};

const N: usize = 4;
const MAX_TEXTS: usize = 16;

struct Fixture {
    params: serde_json::Value,
    dealings: Vec<String>,
    verdicts: Vec<String>,
    honest: KeyResult,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = FuzzRng(0xd4c9_e0d5);
        let secrets: Vec<TrusteeSecret> =
            (0..N).map(|_| TrusteeSecret::generate(&mut rng)).collect();
        let p = DkgParams {
            session_id: "fuzz/dkg".into(),
            threshold: 3,
            trustees: secrets
                .iter()
                .map(|s| s.publish("fuzz-keys", &mut rng))
                .collect(),
            trustee_key_session: "fuzz-keys".into(),
        };
        let dealings: Vec<String> = secrets
            .iter()
            .map(|s| dkg_endpoints::deal_text(&p, s, &mut rng).expect("deals"))
            .collect();
        let verdicts: Vec<String> = secrets
            .iter()
            .map(|s| dkg_endpoints::verdict_text(&p, s, &dealings, &mut rng).expect("verdict"))
            .collect();
        let mut all = dealings.clone();
        all.extend(verdicts.iter().cloned());
        let honest = dkg_endpoints::key_result(&p, &all).expect("honest key");
        assert_eq!(honest.qualified, vec![1, 2, 3, 4]);
        Fixture {
            params: serde_json::to_value(&p).expect("serialises"),
            dealings,
            verdicts,
            honest,
        }
    })
}

/// Whatever parses as `$t` re-serialises to JSON that parses to the same value.
macro_rules! roundtrip {
    ($t:ty, $text:expr) => {
        if let Ok(x) = serde_json::from_str::<$t>($text) {
            let json = serde_json::to_string(&x).expect("serialises");
            assert_eq!(serde_json::from_str::<$t>(&json).ok(), Some(x));
        }
    };
}

fn check_admissible(ty: &str, honest: &[String], params: &serde_json::Value, extra: &[String]) {
    let mut texts = honest.to_vec();
    texts.extend(extra.iter().cloned());
    let ok = dkg_endpoints::admissible(ty, params, &texts);
    assert_eq!(ok.len(), texts.len());
    if params == &fixture().params {
        assert!(ok[..honest.len()].iter().all(|a| *a), "honest text refused");
        assert!(
            ok[honest.len()..].iter().all(|a| !*a),
            "a text in a trustee's taken place was admitted"
        );
    }
}

fn key_of(params: &serde_json::Value, inputs: &[String]) -> Option<KeyResult> {
    let mut rng = FuzzRng(1);
    let out = dkg_endpoints::process(DKG_KEY, params, None, inputs, &mut rng).ok()?;
    let again = dkg_endpoints::process(DKG_KEY, params, None, inputs, &mut rng).ok();
    assert_eq!(
        again.as_ref(),
        Some(&out),
        "the key endpoint is deterministic"
    );
    assert_eq!(out.len(), 1);
    Some(serde_json::from_str(&out[0]).expect("a KeyResult"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let f = fixture();
    let texts: Vec<String> = rest
        .split(|b| *b == 0xff)
        .take(MAX_TEXTS)
        .map(|t| String::from_utf8_lossy(t).into_owned())
        .collect();
    match mode % 4 {
        0 => check_admissible(DKG_DEALINGS, &f.dealings, &f.params, &texts),
        1 => check_admissible(DKG_VERDICTS, &f.verdicts, &f.params, &texts),
        2 => {
            let at = rest.first().map_or(0, |b| *b as usize % 9);
            let mut inputs: Vec<String> = f.dealings.iter().chain(&f.verdicts).cloned().collect();
            for (k, t) in texts.into_iter().enumerate() {
                inputs.insert((at + k).min(inputs.len()), t);
            }
            let r = key_of(&f.params, &inputs).expect("honest dealings give a key");
            assert_eq!(r.qualified, f.honest.qualified);
            assert_eq!(r.election_public_key, f.honest.election_public_key);
            assert_eq!(r.verification_keys, f.honest.verification_keys);
        }
        _ => {
            for t in &texts {
                roundtrip!(DkgParams, t);
                roundtrip!(Verdict, t);
                roundtrip!(KeyResult, t);
                if let Ok(p) = serde_json::from_str::<serde_json::Value>(t)
                    && DkgParams::from_json(&p).is_ok()
                {
                    check_admissible(DKG_DEALINGS, &f.dealings, &p, &[]);
                    check_admissible(DKG_VERDICTS, &f.verdicts, &p, &[]);
                    let mut all = f.dealings.clone();
                    all.extend(f.verdicts.iter().cloned());
                    let _ = key_of(&p, &all);
                }
            }
        }
    }
});
