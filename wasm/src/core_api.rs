//! Core: Ed25519 identities, the canonical encoding, signed request envelopes,
//! contribution texts, consensus ids and message hashes.

use crate::error::{Error, Result};
use crate::identity_api::domain_of;
use crate::{bytes_of, from_js, to_js};
use panoramix_core::canonical;
use panoramix_core::envelope;
use panoramix_core::identity::{self, Keypair, PublicKey};
use panoramix_core::model;
use panoramix_core::negotiation::{self, Latest, Text};
use rand_core::{OsRng, RngCore};
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyInfo {
    secret: String,
    key_data: String,
    key_id: String,
}

fn key_info(kp: &Keypair) -> KeyInfo {
    KeyInfo {
        secret: kp.secret_hex().to_string(),
        key_data: kp.key_data(),
        key_id: kp.key_id(),
    }
}

fn keypair(secret: &str) -> Result<Keypair> {
    Ok(Keypair::from_secret_hex(secret)?)
}

/// A fresh Ed25519 identity: `{secret, keyData, keyId}` (hex).
#[wasm_bindgen(js_name = generateKeypair)]
pub fn generate_keypair() -> std::result::Result<JsValue, JsValue> {
    Ok(to_js(&key_info(&Keypair::generate(&mut OsRng)))?)
}

/// The identity of a 64-hex secret seed: `{secret, keyData, keyId}`.
#[wasm_bindgen(js_name = keypairFromSecret)]
pub fn keypair_from_secret(secret: &str) -> std::result::Result<JsValue, JsValue> {
    Ok(to_js(&key_info(&keypair(secret)?))?)
}

/// The key id (peer id) of a public key's `key_data`.
#[wasm_bindgen(js_name = keyId)]
pub fn key_id(key_data: &str) -> std::result::Result<String, JsValue> {
    Ok(identity::key_id(key_data).map_err(Error::from)?)
}

/// Sign `message` (string or bytes) for `domain` (`envelope`, `contribution`,
/// `audit-head`); returns 128 hex characters.
#[wasm_bindgen]
pub fn sign(
    secret: &str,
    domain_name: &str,
    message: JsValue,
) -> std::result::Result<String, JsValue> {
    let kp = keypair(secret)?;
    let msg = bytes_of("message", &message)?;
    Ok(kp.sign(domain_of(domain_name)?, &msg))
}

/// Whether `signature` is `key_data`'s signature of `message` for `domain`.
#[wasm_bindgen]
pub fn verify(
    key_data: &str,
    domain_name: &str,
    message: JsValue,
    signature: &str,
) -> std::result::Result<bool, JsValue> {
    let pk = PublicKey::from_key_data(key_data).map_err(Error::from)?;
    let msg = bytes_of("message", &message)?;
    Ok(pk.verify(domain_of(domain_name)?, &msg, signature).is_ok())
}

/// The canonical encoding of a JSON-like value (booleans are 1 and 0; floats are
/// refused), as a string.
#[wasm_bindgen(js_name = canonicalEncode)]
pub fn canonical_encode(value: JsValue) -> std::result::Result<String, JsValue> {
    let v: Json = from_js("value", value)?;
    let c = canonical::from_json(&v).map_err(Error::from)?;
    Ok(canonical::encode_string(&c))
}

/// Decode a canonical encoding (strict: only what `canonicalEncode` produces).
#[wasm_bindgen(js_name = canonicalDecode)]
pub fn canonical_decode(text: JsValue) -> std::result::Result<JsValue, JsValue> {
    let bytes = bytes_of("text", &text)?;
    let v = canonical::decode(&bytes).map_err(Error::from)?;
    Ok(to_js(&canonical::to_json(&v))?)
}

/// Sign a request envelope: `{data, info, by_consensus?, meta: {signature, key_data}}`.
#[wasm_bindgen(js_name = signEnvelope)]
pub fn sign_envelope(
    secret: &str,
    data: JsValue,
    info: JsValue,
    by_consensus: JsValue,
) -> std::result::Result<JsValue, JsValue> {
    let kp = keypair(secret)?;
    let data: Json = from_js("data", data)?;
    let info: Json = from_js("info", info)?;
    let bc: Option<Json> = if by_consensus.is_null() || by_consensus.is_undefined() {
        None
    } else {
        Some(from_js("by_consensus", by_consensus)?)
    };
    let env = envelope::sign(&kp, data, info, bc).map_err(Error::from)?;
    Ok(to_js(&env)?)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VerifiedEnvelope {
    signer_id: String,
    key_data: String,
    signature: String,
    data: serde_json::Map<String, Json>,
    info: serde_json::Map<String, Json>,
    by_consensus: Option<Json>,
}

/// Verify an envelope; returns `{signerId, keyData, signature, data, info,
/// byConsensus}` or throws (`bad_signature`, `malformed_envelope`).
#[wasm_bindgen(js_name = verifyEnvelope)]
pub fn verify_envelope(env: JsValue) -> std::result::Result<JsValue, JsValue> {
    let body: Json = from_js("envelope", env)?;
    let v = envelope::verify(&body).map_err(Error::from)?;
    let bc = v.by_consensus().map(|b| {
        serde_json::json!({
            "consensus_id": b.consensus_id,
            "consensus_type": b.consensus_type,
            "consensus_part": b.consensus_part,
        })
    });
    Ok(to_js(&VerifiedEnvelope {
        signer_id: v.signer_id().to_owned(),
        key_data: v.signer().key_data(),
        signature: v.signature().to_owned(),
        data: v.data().clone(),
        info: v.info().clone(),
        by_consensus: bc,
    })?)
}

/// canonical({data, info}) of an action, the body a contribution text carries.
#[wasm_bindgen(js_name = actionBody)]
pub fn action_body(data: JsValue, info: JsValue) -> std::result::Result<JsValue, JsValue> {
    let data: Json = from_js("data", data)?;
    let info: Json = from_js("info", info)?;
    let v = envelope::data_info_value(&data, &info).map_err(Error::from)?;
    Ok(to_js(&canonical::to_json(&v))?)
}

/// The canonical contribution text `{"body": body, "meta": meta}`. `meta.accept`
/// is 1 for an accepting text.
#[wasm_bindgen(js_name = contributionText)]
pub fn contribution_text(body: JsValue, meta: JsValue) -> std::result::Result<String, JsValue> {
    let body: Json = from_js("body", body)?;
    let meta: Json = from_js("meta", meta)?;
    let body = canonical::from_json(&body).map_err(Error::from)?;
    let meta = match canonical::from_json(&meta).map_err(Error::from)? {
        canonical::Value::Dict(d) => d,
        _ => return Err(Error::new("invalid_argument", "meta must be an object").into()),
    };
    Ok(Text::encode(body, meta))
}

#[derive(Serialize)]
struct ParsedText {
    body: Json,
    meta: Json,
    accepted: bool,
}

/// Parse a contribution text: `{body, meta, accepted}`.
#[wasm_bindgen(js_name = parseContribution)]
pub fn parse_contribution(text: &str) -> std::result::Result<JsValue, JsValue> {
    let t = Text::parse(text).map_err(Error::from)?;
    Ok(to_js(&ParsedText {
        body: canonical::to_json(&t.body),
        meta: canonical::to_json(&canonical::Value::Dict(t.meta.clone())),
        accepted: t.accepted(),
    })?)
}

/// Sign a contribution text for the negotiation `negotiation_id`: label
/// `panoramix/v1/contribution-in` over canonical `{negotiation_id, text}`, so the
/// signature cannot be carried into another negotiation.
#[wasm_bindgen(js_name = signContribution)]
pub fn sign_contribution(
    secret: &str,
    negotiation_id: &str,
    text: &str,
) -> std::result::Result<String, JsValue> {
    Ok(negotiation::sign_contribution(
        &keypair(secret)?,
        negotiation_id,
        text,
    ))
}

/// Whether `signature` is `key_data`'s bound signature of `text` as a contribution
/// to `negotiation_id` (label `panoramix/v1/contribution-in`).
#[wasm_bindgen(js_name = verifyContribution)]
pub fn verify_contribution(
    key_data: &str,
    negotiation_id: &str,
    text: &str,
    signature: &str,
) -> std::result::Result<bool, JsValue> {
    let pk = PublicKey::from_key_data(key_data).map_err(Error::from)?;
    Ok(negotiation::verify_contribution(
        &pk,
        negotiation::ContributionLabel::Bound,
        negotiation_id,
        text,
        signature,
    )
    .is_ok())
}

/// The bytes a contribution signature covers: canonical `{negotiation_id, text}`.
#[wasm_bindgen(js_name = contributionMessage)]
pub fn contribution_message(negotiation_id: &str, text: &str) -> Vec<u8> {
    negotiation::contribution_message(negotiation_id, text)
}

/// The consensus id of a closed negotiation:
/// `sha256hex(canonical({negotiation_id, text, signings, timestamp}))`.
#[wasm_bindgen(js_name = consensusId)]
pub fn consensus_id(
    negotiation_id: &str,
    text: &str,
    signings: JsValue,
    timestamp: &str,
) -> std::result::Result<String, JsValue> {
    let s: BTreeMap<String, String> = from_js("signings", signings)?;
    Ok(negotiation::consensus_id(
        negotiation_id,
        text,
        &s,
        timestamp,
    ))
}

#[derive(serde::Deserialize)]
struct LatestJs {
    signer: String,
    text: String,
    signature: String,
}

#[derive(Serialize)]
struct Closing {
    text: String,
    signings: BTreeMap<String, String>,
}

/// The closing rule: given the participants (or `null`) and every signer's latest
/// contribution `{signer, text, signature}`, returns `{text, signings}` when they
/// close the negotiation, else `null`.
#[wasm_bindgen]
pub fn closing(participants: JsValue, latest: JsValue) -> std::result::Result<JsValue, JsValue> {
    let ps: Option<Vec<String>> = from_js("participants", participants)?;
    let ls: Vec<LatestJs> = from_js("latest", latest)?;
    let ls: Vec<Latest> = ls
        .into_iter()
        .map(|l| Latest {
            signer: l.signer,
            text: l.text,
            signature: l.signature,
        })
        .collect();
    match negotiation::closing(ps.as_deref(), &ls) {
        Some((text, signings)) => Ok(to_js(&Closing { text, signings })?),
        None => Ok(JsValue::NULL),
    }
}

/// The `key_data` of a joint peer named `name` owned by `owners` (in order).
#[wasm_bindgen(js_name = jointKeyData)]
pub fn joint_key_data(name: &str, owners: Vec<String>) -> String {
    identity::joint_key_data(name, &owners)
}

/// The peer id of a joint peer from its `key_data`.
#[wasm_bindgen(js_name = jointPeerId)]
pub fn joint_peer_id(key_data: &str) -> std::result::Result<String, JsValue> {
    Ok(identity::joint_peer_id(key_data)
        .ok_or_else(|| Error::new("bad_key", "joint key_data must be 64 hex characters"))?)
}

/// The controller's hash of a message in a box.
#[wasm_bindgen(js_name = messageHash)]
pub fn message_hash(
    serial: Option<f64>,
    sender: &str,
    recipient: &str,
    text: &str,
) -> std::result::Result<String, JsValue> {
    let serial = match serial {
        None => None,
        Some(s) if s.fract() == 0.0 && s.abs() < 9.0e15 => Some(s as i64),
        Some(_) => return Err(Error::new("invalid_argument", "serial must be an integer").into()),
    };
    Ok(model::message_hash(serial, sender, recipient, text))
}

/// The hash of a set of message hashes (order and duplicates do not matter).
#[wasm_bindgen(js_name = setHash)]
pub fn set_hash(hashes: Vec<String>) -> String {
    model::set_hash(&hashes)
}

/// SHA-256 of a string's UTF-8 or of bytes, lowercase hex.
#[wasm_bindgen(js_name = sha256Hex)]
pub fn sha256_hex(data: JsValue) -> std::result::Result<String, JsValue> {
    Ok(identity::sha256_hex(&bytes_of("data", &data)?))
}

/// `n` random bytes (at most 1024) as lowercase hex, from the platform's CSPRNG.
#[wasm_bindgen(js_name = randomHex)]
pub fn random_hex(n: usize) -> std::result::Result<String, JsValue> {
    if n > 1024 {
        return Err(Error::new("invalid_argument", "at most 1024 bytes").into());
    }
    let mut b = vec![0u8; n];
    OsRng.fill_bytes(&mut b);
    Ok(hex::encode(b))
}
