//! One endpoint's batch, processed and verified by the contributor protocol's
//! backends (`panoramix_core::backend::Backend`, implemented by panoramix-sphinx's
//! `SphinxBackend` and panoramix-zeus's `ZeusBackend`), the very code the native
//! contributor runs, so that a browser or a Worker can be a contributor.
//!
//! This module only builds the backend from the JavaScript secrets, converts the
//! API's messages and maps the backend's errors to codes ([`crate::error`]).
//!
//! * SPHINXMIX (`SPHINXMIX*` types): a mix peels a layer with the contributor's mix
//!   key and shuffles; its replay cache is the backend's state, passed in and out as
//!   `replay` (hex). A gateway collects its input and is not processed.
//! * ZEUS (every other type): outputs are addressed to the endpoint itself;
//!   verification checks the proofs.

use crate::error::{Error, Result};
use crate::{from_js, to_js};
use panoramix_core::backend::{Backend, EndpointView, Msg, Out, Processing};
use panoramix_sphinx::contributor::SphinxBackend;
use panoramix_zeus::contributor::ZeusBackend;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use wasm_bindgen::prelude::*;

/// A message as the API lists it: only `text` is needed (and `serial` in a
/// PROCESSBOX / OUTBOX, which gives the published order).
#[derive(Debug, Clone, Deserialize)]
struct ApiMessage {
    text: String,
    #[serde(default)]
    serial: Option<i64>,
    #[serde(default)]
    sender: Option<String>,
    #[serde(default)]
    recipient: Option<String>,
    #[serde(default)]
    message_hash: Option<String>,
}

impl From<ApiMessage> for Msg {
    fn from(m: ApiMessage) -> Msg {
        Msg {
            sender: m.sender.unwrap_or_default(),
            recipient: m.recipient.unwrap_or_default(),
            text: m.text,
            serial: m.serial,
            hash: m.message_hash.unwrap_or_default(),
        }
    }
}

/// The endpoint as the API returns it (only these fields are read).
#[derive(Debug, Clone, Deserialize)]
struct ApiEndpoint {
    endpoint_id: String,
    endpoint_type: String,
    #[serde(default)]
    endpoint_params: Json,
}

impl From<ApiEndpoint> for EndpointView {
    fn from(e: ApiEndpoint) -> EndpointView {
        EndpointView {
            id: e.endpoint_id,
            endpoint_type: e.endpoint_type,
            params: e.endpoint_params,
        }
    }
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

/// What processing produced: the backend's result and its new state.
#[derive(Debug, Clone, Serialize)]
pub struct Processed {
    /// Outputs in upload order (serial = index).
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

/// The backend of `endpoint_type`'s mix-net, with the secrets it uses (a secret
/// of the other backend is ignored; one that is not valid is `bad_key`).
fn backend(endpoint_type: &str, secrets: &Secrets) -> Result<Box<dyn Backend>> {
    if is_sphinx(endpoint_type) {
        let key = secrets
            .mix
            .as_deref()
            .map(panoramix_sphinx::MixKeyPair::from_secret_hex)
            .transpose()
            .map_err(|e| Error::new("bad_key", format!("mix secret: {e}")))?;
        let mut b = SphinxBackend::new(key);
        if let Some(h) = secrets.replay.as_deref().filter(|h| !h.is_empty()) {
            let bytes =
                hex::decode(h).map_err(|_| Error::new("invalid_argument", "replay: not hex"))?;
            b.restore_state(&bytes)?;
        }
        return Ok(Box::new(b));
    }
    let trustee = secrets
        .trustee
        .as_deref()
        .map(panoramix_zeus::TrusteeSecret::from_hex)
        .transpose()
        .map_err(|e| Error::new("bad_key", format!("trustee secret: {e}")))?;
    Ok(Box::new(ZeusBackend::new(trustee)))
}

/// Process an own endpoint's agreed input (its ACCEPTED box).
pub fn process(ep: &EndpointView, secrets: &Secrets, inputs: &[Msg]) -> Result<Processed> {
    let mut b = backend(&ep.endpoint_type, secrets)?;
    if b.processing(&ep.endpoint_type)? == Processing::Collect {
        return Err(Error::new(
            "endpoint_params",
            format!("{} is not processed with a key", ep.endpoint_type),
        ));
    }
    let out = b.process(ep, inputs, &mut crate::sphinx_api::shuffle_rng())?;
    Ok(Processed {
        outputs: out.outputs,
        proof: out.proof,
        dropped: out.dropped,
        replay: b.save_state().map(hex::encode),
    })
}

/// Check another party's processing (`outputs` in any order; their serials give
/// the upload order) before taking it as input.
///
/// The backend batches the proofs' checks with random weights drawn from `rng`,
/// here fresh from the platform's CSPRNG, as the native contributor does. A correct
/// processing verifies whatever the weights; an incorrect one fails except with
/// negligible probability, and weights the prover cannot predict leave it nothing
/// to search for offline. So no result depends on the generator.
pub fn verify(ep: &EndpointView, inputs: &[Msg], outputs: &[Msg], proof: &str) -> Result<()> {
    let b = backend(&ep.endpoint_type, &Secrets::default())?;
    b.verify(
        ep,
        inputs,
        outputs,
        proof,
        &mut crate::sphinx_api::shuffle_rng(),
    )?;
    Ok(())
}

fn messages(what: &str, v: JsValue) -> Result<Vec<Msg>> {
    let ms: Vec<ApiMessage> = from_js(what, v)?;
    Ok(ms.into_iter().map(Msg::from).collect())
}

/// Process an own endpoint: `endpoint` is the API's endpoint object, `secrets`
/// `{mix?, trustee?, replay?}` (hex), `inputs` its ACCEPTED messages. Returns
/// `{outputs: [{recipient, text}], proof, dropped: [[index, reason]], replay?}`.
#[wasm_bindgen(js_name = processEndpoint)]
pub fn process_endpoint(
    endpoint: JsValue,
    secrets: JsValue,
    inputs: JsValue,
) -> std::result::Result<JsValue, JsValue> {
    let ep: EndpointView = from_js::<ApiEndpoint>("endpoint", endpoint)?.into();
    let s: Secrets = if secrets.is_undefined() || secrets.is_null() {
        Secrets::default()
    } else {
        from_js("secrets", secrets)?
    };
    let ins = messages("inputs", inputs)?;
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
    let ep: EndpointView = from_js::<ApiEndpoint>("endpoint", endpoint)?.into();
    let ins = messages("inputs", inputs)?;
    let outs = messages("outputs", outputs)?;
    Ok(verify(&ep, &ins, &outs, proof.as_deref().unwrap_or(""))?)
}
