//! One endpoint's batch, processed and verified exactly as the native contributor
//! agent does (`panoramix-mixnet`'s backends), so that a browser or a Worker can be
//! a contributor.
//!
//! * SPHINXMIX: `SPHINXMIX` / `SPHINXMIX_STATIC` mixes peel a layer with the
//!   contributor's mix key and shuffle; outputs keep the recipient each packet names.
//!   Verification (without the key) checks no more outputs than inputs, no output
//!   twice and no input passed through.
//! * ZEUS: every type runs `panoramix_zeus::backend`; outputs are addressed to the
//!   endpoint itself; verification checks the proofs.

use crate::error::{Error, Result};
use crate::sphinx_api::params_of;
use crate::zeus_api::{endpoint_type, zeus_params};
use crate::{from_js, to_js};
use panoramix_sphinx as sphinx;
use panoramix_zeus as zeus;
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::HashSet;
use wasm_bindgen::prelude::*;

/// A message as the API lists it (only these fields are read).
#[derive(Debug, Clone, Deserialize)]
pub struct Msg {
    /// The text.
    pub text: String,
    /// Serial, in PROCESSBOX / OUTBOX.
    #[serde(default)]
    pub serial: Option<i64>,
}

/// The endpoint as processing needs it.
#[derive(Debug, Clone, Deserialize)]
pub struct EndpointView {
    /// `endpoint_id`.
    pub endpoint_id: String,
    /// `endpoint_type`.
    pub endpoint_type: String,
    /// `endpoint_params`.
    #[serde(default)]
    pub endpoint_params: Json,
}

/// A contributor's backend secrets (hex).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Secrets {
    /// The Sphinx mix key.
    #[serde(default)]
    pub mix: Option<String>,
    /// The Zeus trustee key share.
    #[serde(default)]
    pub trustee: Option<String>,
    /// The mix key's replay cache (hex of its compact encoding), kept for the key's
    /// life so that a packet replayed in a later cycle is dropped; empty: a new one.
    #[serde(default)]
    pub replay: Option<String>,
}

/// An output: recipient and text, uploaded with serial = index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Out {
    /// Recipient.
    pub recipient: String,
    /// Text.
    pub text: String,
}

/// What processing produced.
#[derive(Debug, Clone, Serialize)]
pub struct Processed {
    /// Outputs in upload order.
    pub outputs: Vec<Out>,
    /// Proof for the PROCESSED transition (may be empty).
    pub proof: String,
    /// Dropped inputs: `[index, reason]`.
    pub dropped: Vec<(usize, String)>,
    /// SPHINXMIX: the replay cache after this batch (hex), to keep for the next one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<String>,
}

fn is_sphinx(ty: &str) -> bool {
    ty.starts_with("SPHINXMIX")
}

/// Process an own endpoint's agreed input (its ACCEPTED box).
pub fn process(ep: &EndpointView, secrets: &Secrets, inputs: &[Msg]) -> Result<Processed> {
    let texts: Vec<&str> = inputs.iter().map(|m| m.text.as_str()).collect();
    if is_sphinx(&ep.endpoint_type) {
        if !matches!(ep.endpoint_type.as_str(), "SPHINXMIX" | "SPHINXMIX_STATIC") {
            return Err(Error::new(
                "endpoint_params",
                format!("{} is not processed with a key", ep.endpoint_type),
            ));
        }
        let params = params_of(&ep.endpoint_params)?;
        let key = secrets
            .mix
            .as_deref()
            .ok_or_else(|| Error::new("missing_secret", "Sphinx mix key"))?;
        let key = sphinx::MixKeyPair::from_secret_hex(key)
            .map_err(|e| Error::new("bad_key", format!("mix secret: {e}")))?;
        let mut cache = match secrets.replay.as_deref().filter(|h| !h.is_empty()) {
            Some(h) => {
                let b = hex::decode(h)
                    .map_err(|_| Error::new("invalid_argument", "replay: not hex"))?;
                sphinx::ReplayCache::from_bytes(&b)?
            }
            None => sphinx::ReplayCache::for_node(key.node_id()),
        };
        let mut rng = crate::sphinx_api::shuffle_rng();
        let out = sphinx::process_batch(&key, &params, &mut cache, &texts, &mut rng)?;
        return Ok(Processed {
            outputs: out
                .outputs
                .into_iter()
                .map(|o| Out {
                    recipient: o.recipient,
                    text: o.text,
                })
                .collect(),
            proof: String::new(),
            dropped: out
                .rejected
                .into_iter()
                .map(|r| (r.index, r.error.to_string()))
                .collect(),
            replay: Some(hex::encode(cache.to_bytes())),
        });
    }
    let ty = endpoint_type(&ep.endpoint_type)?;
    let params = zeus_params(&ep.endpoint_params)?;
    let secret = match secrets.trustee.as_deref() {
        Some(h) => Some(
            zeus::TrusteeSecret::from_hex(h)
                .map_err(|e| Error::new("bad_key", format!("trustee secret: {e}")))?,
        ),
        None if ty.needs_secret() => {
            return Err(Error::new("missing_secret", "Zeus trustee key share"));
        }
        None => None,
    };
    let out = zeus::backend::process(ty, &params, secret.as_ref(), &texts, &mut OsRng)?;
    Ok(Processed {
        outputs: out
            .outputs
            .into_iter()
            .map(|text| Out {
                recipient: ep.endpoint_id.clone(),
                text,
            })
            .collect(),
        proof: out.proof,
        dropped: Vec::new(),
        replay: None,
    })
}

/// Check another party's processing (`outputs` in any order; their serials give
/// the upload order) before taking it as input.
pub fn verify(ep: &EndpointView, inputs: &[Msg], outputs: &[Msg], proof: &str) -> Result<()> {
    if is_sphinx(&ep.endpoint_type) {
        let fail = |m: String| Err(Error::new("verify_failed", m));
        if outputs.len() > inputs.len() {
            return fail(format!(
                "{} produced {} outputs from {} inputs",
                ep.endpoint_id,
                outputs.len(),
                inputs.len()
            ));
        }
        let ins: HashSet<&str> = inputs.iter().map(|m| m.text.as_str()).collect();
        let mut seen = HashSet::new();
        for o in outputs {
            if !seen.insert(o.text.as_str()) {
                return fail(format!("{} output a message twice", ep.endpoint_id));
            }
            if ins.contains(o.text.as_str()) {
                return fail(format!(
                    "{} passed an input through unchanged",
                    ep.endpoint_id
                ));
            }
        }
        return Ok(());
    }
    let ty = endpoint_type(&ep.endpoint_type)?;
    let params = zeus_params(&ep.endpoint_params)?;
    let ins: Vec<&str> = inputs.iter().map(|m| m.text.as_str()).collect();
    let mut sorted: Vec<&Msg> = outputs.iter().collect();
    sorted.sort_by_key(|m| m.serial);
    let outs: Vec<&str> = sorted.iter().map(|m| m.text.as_str()).collect();
    zeus::backend::verify_deterministic(ty, &params, &ins, &outs, proof)?;
    Ok(())
}

/// Process an own endpoint: `endpoint` is the API's endpoint object, `secrets`
/// `{mix?, trustee?}` (hex), `inputs` its ACCEPTED messages. Returns `{outputs:
/// [{recipient, text}], proof, dropped: [[index, reason]]}`.
#[wasm_bindgen(js_name = processEndpoint)]
pub fn process_endpoint(
    endpoint: JsValue,
    secrets: JsValue,
    inputs: JsValue,
) -> std::result::Result<JsValue, JsValue> {
    let ep: EndpointView = from_js("endpoint", endpoint)?;
    let s: Secrets = if secrets.is_undefined() || secrets.is_null() {
        Secrets::default()
    } else {
        from_js("secrets", secrets)?
    };
    let ins: Vec<Msg> = from_js("inputs", inputs)?;
    Ok(to_js(&process(&ep, &s, &ins)?)?)
}

/// Verify a processed endpoint from its ACCEPTED `inputs`, OUTBOX `outputs` and
/// `process_proof`; throws `verify_failed` or a `zeus_*` error.
#[wasm_bindgen(js_name = verifyEndpoint)]
pub fn verify_endpoint(
    endpoint: JsValue,
    inputs: JsValue,
    outputs: JsValue,
    proof: Option<String>,
) -> std::result::Result<(), JsValue> {
    let ep: EndpointView = from_js("endpoint", endpoint)?;
    let ins: Vec<Msg> = from_js("inputs", inputs)?;
    let outs: Vec<Msg> = from_js("outputs", outputs)?;
    Ok(verify(&ep, &ins, &outs, proof.as_deref().unwrap_or(""))?)
}
