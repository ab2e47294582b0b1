//! ZEUS: trustee keys, ballots, mixing with proofs, partial decryption, combination
//! and whole-transcript verification.
//!
//! Endpoint parameters are the endpoint's `endpoint_params`:
//! `{session_id, election_public_key, trustees?, sk_rounds?}`.

use crate::error::{Error, Result};
use crate::{bytes_of, from_js, to_js};
use panoramix_zeus as zeus;
use rand_core::OsRng;
#[cfg(feature = "client")]
use serde::Serialize;
use serde_json::Value as Json;
use wasm_bindgen::prelude::*;

#[cfg(feature = "client")]
fn point(what: &str, hex: &str) -> Result<zeus::Point> {
    zeus::Point::from_hex(hex).map_err(|e| Error::new("bad_key", format!("{what}: {e}")))
}

fn secret_of(hex: &str) -> Result<zeus::TrusteeSecret> {
    zeus::TrusteeSecret::from_hex(hex)
        .map_err(|e| Error::new("bad_key", format!("trustee secret: {e}")))
}

/// Endpoint type from its wire name.
pub fn endpoint_type(ty: &str) -> Result<zeus::EndpointType> {
    zeus::EndpointType::parse(ty).map_err(|e| Error::new("endpoint_params", e.to_string()))
}

/// Parameters from JSON.
pub fn zeus_params(p: &Json) -> Result<zeus::ZeusParams> {
    serde_json::from_value(p.clone()).map_err(|e| Error::new("endpoint_params", e.to_string()))
}

#[cfg(feature = "client")]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TrusteeInfo {
    secret: String,
    public_key: String,
}

#[cfg(feature = "client")]
/// A fresh trustee key share: `{secret, publicKey}` (hex).
#[wasm_bindgen(js_name = zeusTrusteeKeygen)]
pub fn zeus_trustee_keygen() -> std::result::Result<JsValue, JsValue> {
    let s = zeus::TrusteeSecret::generate(&mut OsRng);
    Ok(to_js(&TrusteeInfo {
        secret: s.to_hex().to_string(),
        public_key: s.public_key().to_hex(),
    })?)
}

#[cfg(feature = "client")]
/// The public key share of a trustee secret.
#[wasm_bindgen(js_name = zeusTrusteePublicKey)]
pub fn zeus_trustee_public_key(secret: &str) -> std::result::Result<String, JsValue> {
    Ok(secret_of(secret)?.public_key().to_hex())
}

#[cfg(feature = "client")]
/// Publish a key share with its proof of knowledge bound to `session_id`:
/// `{public_key, proof: {commitment, response}}`.
#[wasm_bindgen(js_name = zeusPublishTrusteeKey)]
pub fn zeus_publish_trustee_key(
    secret: &str,
    session_id: &str,
) -> std::result::Result<JsValue, JsValue> {
    let k = secret_of(secret)?.publish(session_id, &mut OsRng);
    Ok(to_js(&k)?)
}

#[cfg(feature = "client")]
/// Verify every published key share and return the election key (hex).
#[wasm_bindgen(js_name = zeusCombineTrusteeKeys)]
pub fn zeus_combine_trustee_keys(
    session_id: &str,
    keys: JsValue,
) -> std::result::Result<String, JsValue> {
    let keys: Vec<zeus::TrusteeKey> = from_js("keys", keys)?;
    Ok(zeus::combine_trustee_keys(session_id, &keys)
        .map_err(Error::from)?
        .to_hex())
}

#[cfg(feature = "client")]
/// Encrypt a ballot (at most 29 bytes) for `session_id` and the election key;
/// returns its text (256 hex).
#[wasm_bindgen(js_name = zeusEncryptBallot)]
pub fn zeus_encrypt_ballot(
    session_id: &str,
    election_key: &str,
    plaintext: JsValue,
) -> std::result::Result<String, JsValue> {
    let key = point("election key", election_key)?;
    let m = bytes_of("plaintext", &plaintext)?;
    let b = zeus::encrypt_ballot(session_id, &key, &m, &mut OsRng).map_err(Error::from)?;
    Ok(b.to_text())
}

#[cfg(feature = "client")]
/// Verify a ballot's proof; returns its ciphertext text (128 hex) or throws.
#[wasm_bindgen(js_name = zeusVerifyBallot)]
pub fn zeus_verify_ballot(
    session_id: &str,
    election_key: &str,
    ballot: &str,
) -> std::result::Result<String, JsValue> {
    let key = point("election key", election_key)?;
    let b = zeus::Ballot::from_text(ballot)
        .map_err(|e| Error::new("zeus_encoding", format!("ballot: {e}")))?;
    zeus::verify_ballot(session_id, &key, &b, 0).map_err(Error::from)?;
    Ok(b.ciphertext.to_text())
}

#[cfg(feature = "contributor")]
/// Run endpoint type `endpoint_type` on `inputs` (texts): `{outputs, proof}`.
/// `ZEUS_TW_MIX` / `ZEUS_SK_MIX` shuffle and prove; `ZEUS_SK_PARTIAL_DECRYPT`
/// needs the trustee `secret`; `ZEUS_SK_COMBINE` verifies every share and decrypts;
/// `ZEUS_BOOTH` admits the valid ballots.
#[wasm_bindgen(js_name = zeusProcess)]
pub fn zeus_process(
    endpoint_type_name: &str,
    params: JsValue,
    inputs: Vec<String>,
    secret: Option<String>,
) -> std::result::Result<JsValue, JsValue> {
    let ty = endpoint_type(endpoint_type_name)?;
    let p = zeus_params(&from_js::<Json>("params", params)?)?;
    let s = secret.as_deref().map(secret_of).transpose()?;
    let out =
        zeus::backend::process(ty, &p, s.as_ref(), &inputs, &mut OsRng).map_err(Error::from)?;
    Ok(to_js(&out)?)
}

#[cfg(feature = "contributor")]
/// Check that `outputs` and `proof` are a correct processing of `inputs` by an
/// endpoint of this type; throws a `zeus_*` error naming the first failed check.
/// The verifier's batching weights are derived from everything verified
/// (`verify_deterministic`), so the check needs no randomness.
#[wasm_bindgen(js_name = zeusVerify)]
pub fn zeus_verify(
    endpoint_type_name: &str,
    params: JsValue,
    inputs: Vec<String>,
    outputs: Vec<String>,
    proof: &str,
) -> std::result::Result<(), JsValue> {
    let ty = endpoint_type(endpoint_type_name)?;
    let p = zeus_params(&from_js::<Json>("params", params)?)?;
    zeus::backend::verify_deterministic(ty, &p, &inputs, &outputs, proof).map_err(Error::from)?;
    Ok(())
}

#[cfg(feature = "contributor")]
/// Verify a whole election transcript (JSON text or object); returns the report
/// `{session_id, ballots, trustees, mixes, checks}` or throws.
#[wasm_bindgen(js_name = zeusVerifyElection)]
pub fn zeus_verify_election(transcript: JsValue) -> std::result::Result<JsValue, JsValue> {
    let json = match transcript.as_string() {
        Some(s) => s,
        None => {
            let v: Json = from_js("transcript", transcript)?;
            v.to_string()
        }
    };
    let r = zeus::verify_election(&json).map_err(Error::from)?;
    Ok(to_js(&r)?)
}

#[cfg(feature = "contributor")]
/// Run a whole honest election (for tests and demos): `{session_id, trustees,
/// mixes: ["tw" | "sk", ...], plaintexts: [string | Uint8Array]}` → the transcript
/// as JSON text.
#[wasm_bindgen(js_name = zeusSimulateElection)]
pub fn zeus_simulate_election(
    session_id: &str,
    trustees: usize,
    mixes: Vec<String>,
    plaintexts: Vec<JsValue>,
) -> std::result::Result<String, JsValue> {
    let mixes = mixes
        .iter()
        .map(|m| match m.as_str() {
            "tw" => Ok(zeus::MixKind::Tw),
            "sk" => Ok(zeus::MixKind::Sk {
                rounds: zeus::MIN_SK_ROUNDS,
            }),
            o => Err(Error::new(
                "invalid_argument",
                format!("mix kind {o:?} (tw, sk)"),
            )),
        })
        .collect::<Result<Vec<_>>>()?;
    let plaintexts = plaintexts
        .iter()
        .map(|p| bytes_of("plaintext", p))
        .collect::<Result<Vec<_>>>()?;
    let spec = zeus::ElectionSpec {
        session_id: session_id.to_owned(),
        trustees,
        mixes,
        plaintexts,
    };
    let (t, _) = zeus::simulate_election(&spec, &mut OsRng).map_err(Error::from)?;
    Ok(serde_json::to_string(&t).map_err(|e| Error::new("internal", e.to_string()))?)
}
