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
pub(crate) fn backend(endpoint_type: &str, secrets: &Secrets) -> Result<Box<dyn Backend>> {
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

// Under wasm-bindgen-test-runner (scripts/wasm-test.sh) and, with `unsupported =
// test`, in a native `cargo test` too.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use panoramix_sphinx as sphinx;
    use panoramix_zeus as zeus;
    use rand_core::OsRng;
    use serde_json::json;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn ep(ty: &str, params: &Json) -> EndpointView {
        EndpointView {
            id: format!("e-{ty}"),
            endpoint_type: ty.into(),
            params: params.clone(),
        }
    }

    fn msgs<S: AsRef<str>>(texts: &[S]) -> Vec<Msg> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| Msg {
                sender: String::new(),
                recipient: String::new(),
                text: t.as_ref().into(),
                serial: Some(i as i64),
                hash: String::new(),
            })
            .collect()
    }

    fn code<T>(r: Result<T>) -> String {
        r.err().map(|e| e.code).unwrap_or_default()
    }

    fn mix_secrets(key: &sphinx::MixKeyPair, replay: Option<String>) -> Secrets {
        Secrets {
            mix: Some(key.secret_hex().to_string()),
            trustee: None,
            replay,
        }
    }

    /// A mix peels its layer through the Sphinx backend; the replay cache it
    /// returns drops the same packets in a later batch, and only that cache does.
    #[wasm_bindgen_test(unsupported = test)]
    fn sphinx_mix_processes_and_keeps_its_replay_cache() {
        let pj = json!({"BODY_LEN": 256, "MAX_HOPS": 2});
        let params = sphinx::SphinxParams::new(2, 256).unwrap();
        let k1 = sphinx::MixKeyPair::generate(&mut OsRng);
        let k2 = sphinx::MixKeyPair::generate(&mut OsRng);
        let route = sphinx::select_route(&params, &[*k1.public(), *k2.public()]).unwrap();
        let texts: Vec<String> = ["a", "b"]
            .iter()
            .map(|m| {
                sphinx::wrap_message(&params, &route, "bob", m.as_bytes(), &mut OsRng)
                    .unwrap()
                    .text
            })
            .collect();
        let inputs = msgs(&texts);
        let e = ep("SPHINXMIX", &pj);
        let p = process(&e, &mix_secrets(&k1, None), &inputs).unwrap();
        assert_eq!(p.outputs.len(), 2);
        assert!(p.dropped.is_empty() && p.proof.is_empty());
        let next = k2.node_id().to_hex();
        assert!(p.outputs.iter().all(|o| o.recipient == next));
        let outs: Vec<&str> = p.outputs.iter().map(|o| o.text.as_str()).collect();
        verify(&e, &inputs, &msgs(&outs), "").unwrap();
        let replay = p.replay.clone();
        assert!(replay.as_deref().is_some_and(|h| !h.is_empty()));

        // the same packets again, with the returned cache: dropped as replays
        let again = process(&e, &mix_secrets(&k1, replay.clone()), &inputs).unwrap();
        assert!(again.outputs.is_empty());
        assert_eq!(
            again.dropped.iter().map(|d| d.0).collect::<Vec<_>>(),
            vec![0, 1]
        );
        // without it (an empty one): processed again
        let fresh = process(&e, &mix_secrets(&k1, Some(String::new())), &inputs).unwrap();
        assert_eq!(fresh.outputs.len(), 2);
        assert_eq!(
            code(process(&e, &mix_secrets(&k1, Some("zz".into())), &inputs)),
            "invalid_argument"
        );
        assert_eq!(
            code(process(&e, &mix_secrets(&k1, Some("00".into())), &inputs)),
            "sphinx_malformed"
        );

        // what can be checked without the key
        let mut twice = outs.clone();
        twice[1] = twice[0];
        let passed = [outs[0], texts[1].as_str()];
        let three = [outs[0], outs[1], texts[0].as_str()];
        for bad in [&twice[..], &passed[..], &three[..]] {
            assert_eq!(code(verify(&e, &inputs, &msgs(bad), "")), "verify_failed");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn sphinx_endpoint_errors_keep_their_codes() {
        let pj = json!({});
        let k = sphinx::MixKeyPair::generate(&mut OsRng);
        let none = Secrets::default();
        let bad = Secrets {
            mix: Some("zz".into()),
            ..Secrets::default()
        };
        let s = mix_secrets(&k, None);
        let cases = [
            (ep("SPHINXMIX", &pj), &none, "missing_secret"),
            (ep("SPHINXMIX_STATIC", &pj), &bad, "bad_key"),
            (ep("SPHINXMIX_GATEWAY", &pj), &s, "endpoint_params"),
            (ep("SPHINXMIX_OTHER", &pj), &s, "endpoint_params"),
            (
                ep("SPHINXMIX", &json!({"BODY_LEN": "x"})),
                &s,
                "endpoint_params",
            ),
        ];
        for (e, secrets, want) in cases {
            assert_eq!(code(process(&e, secrets, &[])), want, "{}", e.endpoint_type);
        }
    }

    /// A partial decryption without the trustee's share is `missing_secret`; a
    /// Zeus check that fails keeps the verifier's code.
    #[wasm_bindgen_test(unsupported = test)]
    fn zeus_endpoint_errors_keep_their_codes() {
        let sid = "endpoint-test/1";
        let t = zeus::TrusteeSecret::generate(&mut OsRng);
        let tk = t.publish(sid, &mut OsRng);
        let pk = zeus::combine_trustee_keys(sid, std::slice::from_ref(&tk)).unwrap();
        let pj = json!({"session_id": sid, "election_public_key": pk.to_hex(), "trustees": [tk]});
        let decrypt = ep("ZEUS_SK_PARTIAL_DECRYPT", &pj);
        assert_eq!(
            code(process(&decrypt, &Secrets::default(), &[])),
            "missing_secret"
        );
        let bad = Secrets {
            trustee: Some("zz".into()),
            ..Secrets::default()
        };
        assert_eq!(code(process(&decrypt, &bad, &[])), "bad_key");
        assert_eq!(
            code(process(&ep("ZEUS_NOPE", &pj), &Secrets::default(), &[])),
            "endpoint_params"
        );
        assert_eq!(
            code(process(
                &ep("ZEUS_TW_MIX", &json!({})),
                &Secrets::default(),
                &[]
            )),
            "endpoint_params"
        );
        assert_eq!(
            code(process(&ep("ZEUS_TW_MIX", &pj), &Secrets::default(), &[])),
            "zeus_empty_input"
        );
        // two ballots through the booth and a shuffle: the shuffle verifies; with
        // its outputs swapped, or a proof that is not one, it does not
        let params: zeus::ZeusParams = serde_json::from_value(pj.clone()).unwrap();
        let ballots: Vec<String> = ["x", "y"]
            .iter()
            .map(|a| {
                let v = zeus::VoterSecret::generate(&mut OsRng);
                zeus::encrypt_ballot(&params, &v, a.as_bytes(), &mut OsRng)
                    .unwrap()
                    .to_text()
            })
            .collect();
        let booth = process(&ep("ZEUS_BOOTH", &pj), &Secrets::default(), &msgs(&ballots)).unwrap();
        let cts: Vec<&str> = booth.outputs.iter().map(|o| o.text.as_str()).collect();
        assert_eq!(cts.len(), 2);
        assert!(booth.outputs.iter().all(|o| o.recipient == "e-ZEUS_BOOTH"));
        let mix = ep("ZEUS_TW_MIX", &pj);
        let p = process(&mix, &Secrets::default(), &msgs(&cts)).unwrap();
        assert!(p.replay.is_none());
        let outs: Vec<&str> = p.outputs.iter().map(|o| o.text.as_str()).collect();
        verify(&mix, &msgs(&cts), &msgs(&outs), &p.proof).unwrap();
        // the outputs in any order: their serials give the published one
        let mut listed = msgs(&outs);
        listed.reverse();
        verify(&mix, &msgs(&cts), &listed, &p.proof).unwrap();
        let swapped = [outs[1], outs[0]];
        let e = verify(&mix, &msgs(&cts), &msgs(&swapped), &p.proof).unwrap_err();
        assert!(
            e.code.starts_with("zeus_") && e.code != "zeus_malformed",
            "{e}"
        );
        assert_eq!(
            code(verify(&mix, &msgs(&cts), &msgs(&outs), "{}")),
            "zeus_malformed"
        );
    }
}
