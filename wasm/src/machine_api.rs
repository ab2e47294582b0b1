//! The contributor protocol's state machine (`panoramix-contributor`), for
//! JavaScript hosts: the browser agent of the web demo and the npm package's
//! `Contributor`. The host only sends the machine's requests, stores its state
//! and paces its steps; the machine decides and signs everything.
//!
//! ```js
//! const m = new ContributorMachine(identitySecret, controllerId, 'SPHINXMIX', { mix }, state);
//! m.beginStep(Math.floor(Date.now() / 1000));
//! for (;;) {
//!   const p = m.poll();
//!   if (p.kind === 'http') { const r = await fetch(base + p.path, ...); m.handle(r.status, await r.text()); }
//!   else if (p.kind === 'save') { store(p.state); m.saved(); }
//!   else break; // 'done' (p.acted, p.finished, p.events) or 'failed' (p.code, p.message)
//! }
//! ```

use crate::endpoint::Secrets;
use crate::error::{Error, Result};
use crate::host::{self, EffectJs};
use crate::{from_js, to_js};
use panoramix_contributor::spec::MixnetSpec;
use panoramix_contributor::{AgentState, Contributor, Poll, StepError};
use panoramix_core::Keypair;
use panoramix_core::backend::Backend;
use serde::Serialize;
use serde_json::Value as Json;
use wasm_bindgen::prelude::*;

/// What `poll` returns at the end of a step, as a plain object tagged by
/// `kind` (its effects are [`EffectJs`]).
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum PollJs {
    Done {
        acted: bool,
        finished: bool,
        events: Vec<String>,
    },
    Failed {
        code: String,
        message: String,
    },
}

/// The backend `name` with these secrets (the endpoint functions' own
/// construction, so a secret is read one way everywhere).
fn backend(name: &str, s: &Secrets) -> Result<Box<dyn Backend>> {
    match name {
        "SPHINXMIX" | "ZEUS" => crate::endpoint::backend(name, s),
        other => Err(Error::new(
            "invalid_argument",
            format!("backend: SPHINXMIX or ZEUS, got {other:?}"),
        )),
    }
}

/// One contributor of one mix-net, as a state machine (see the module docs).
#[wasm_bindgen]
pub struct ContributorMachine {
    inner: Contributor,
}

#[wasm_bindgen]
impl ContributorMachine {
    /// `identity`: the contributor's secret key (64 hex); `controllerId`: the
    /// controller's id (from `GET /panoramix/`); `backend`: `SPHINXMIX` or
    /// `ZEUS`; `secrets`: `{mix?, trustee?}` (hex); `state`: the stored state
    /// (an object, or its JSON text), at least `{mixnet}`; `seed` (64 hex,
    /// optional): a fixed seed for the machine's randomness, for replaying a
    /// recorded run (default: `crypto.getRandomValues`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        identity: String,
        controller_id: String,
        backend_name: String,
        secrets: JsValue,
        state: JsValue,
        seed: Option<String>,
    ) -> std::result::Result<ContributorMachine, JsValue> {
        let key = Keypair::from_secret_hex(&identity)
            .map_err(|e| Error::new("bad_key", format!("identity: {e}")))?;
        let s: Secrets = if secrets.is_undefined() || secrets.is_null() {
            Secrets::default()
        } else {
            from_js("secrets", secrets)?
        };
        let state: AgentState = match state.as_string() {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| Error::new("invalid_argument", format!("state: {e}")))?,
            None => from_js("state", state)?,
        };
        let rng = host::rng(seed)?;
        let inner = Contributor::new(key, &controller_id, backend(&backend_name, &s)?, state, rng)
            .map_err(|e| Error::new("invalid_argument", e.to_string()))?;
        Ok(ContributorMachine { inner })
    }

    /// Start a step at `now` (seconds since the epoch).
    #[wasm_bindgen(js_name = beginStep)]
    pub fn begin_step(&mut self, now: f64) {
        self.inner.begin_step(now as i64);
    }

    /// What to do next: `{kind: 'http', method, path, body}`, `{kind: 'save',
    /// state}`, `{kind: 'done', acted, finished, events}` or `{kind: 'failed',
    /// code, message}`.
    pub fn poll(&mut self) -> std::result::Result<JsValue, JsValue> {
        let p = match self.inner.poll() {
            Poll::Effect(e) => return Ok(to_js(&EffectJs::from(e))?),
            Poll::Done(st) => PollJs::Done {
                acted: st.acted,
                finished: st.finished,
                events: st.events,
            },
            // a backend's failure keeps the backend's own code (zeus_*, ...)
            Poll::Failed(StepError::Backend(e)) => {
                let e = Error::from(e);
                PollJs::Failed {
                    code: e.code,
                    message: e.message,
                }
            }
            Poll::Failed(e) => PollJs::Failed {
                code: "step_failed".into(),
                message: e.to_string(),
            },
        };
        Ok(to_js(&p)?)
    }

    /// The answer to the pending request: its HTTP status and body text (empty
    /// or not JSON: `null`).
    pub fn handle(&mut self, status: u16, body: String) -> std::result::Result<(), JsValue> {
        self.inner
            .handle(host::response(status, &body))
            .map_err(host::out_of_turn)?;
        Ok(())
    }

    /// The pending state was stored.
    pub fn saved(&mut self) -> std::result::Result<(), JsValue> {
        self.inner.saved().map_err(host::out_of_turn)?;
        Ok(())
    }

    /// The committed state (as of the last completed step).
    pub fn state(&self) -> std::result::Result<JsValue, JsValue> {
        Ok(to_js(self.inner.state())?)
    }

    /// Milliseconds spent in the backend's cryptography so far (0 in browsers,
    /// which give WebAssembly no monotonic clock here).
    #[wasm_bindgen(js_name = cryptoMillis)]
    pub fn crypto_millis(&self) -> f64 {
        self.inner.crypto_time().as_secs_f64() * 1000.0
    }
}

/// The endpoints of `cycle` of the mix-net `spec` (its joint peer's
/// `crypto_params`) whose joint peer is `joint`, owned by `owners` in order;
/// `trustees` (ZEUS): the owners' published trustee key records in the same order
/// (an empty list gives parameters without them, for display); `key` (threshold
/// trustees): the key generation's result (the output of `<name>-dkg-key`, an
/// object or its JSON text), which every ZEUS endpoint then carries and which
/// makes the combination the first owner's. The same graph every contributor
/// agrees on; with `key`, the partial decryption each trustee makes on its
/// own peer at tally time comes in too, in trustee order before the
/// combination (docs/zeus.md §3.5).
#[wasm_bindgen(js_name = mixnetGraph)]
pub fn mixnet_graph(
    spec: JsValue,
    joint: String,
    owners: Vec<String>,
    trustees: JsValue,
    cycle: f64,
    key: JsValue,
) -> std::result::Result<JsValue, JsValue> {
    let spec: MixnetSpec = from_js("spec", spec)?;
    let trustees = trustee_records(trustees)?;
    if !(cycle >= 1.0 && cycle.fract() == 0.0 && cycle <= 9.007_199_254_740_991e15) {
        return Err(Error::new("invalid_argument", "cycle: a positive integer").into());
    }
    let mut graph = spec.graph(&joint, &owners, &trustees, cycle as u64);
    if !key.is_undefined() && !key.is_null() {
        if spec.threshold().is_none() {
            return Err(Error::new(
                "invalid_argument",
                "key: only a ZEUS mix-net with params.THRESHOLD has a key generation",
            )
            .into());
        }
        let key: Json = match key.as_string() {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| Error::new("invalid_argument", format!("key: {e}")))?,
            None => from_js("key", key)?,
        };
        if !key["election_public_key"].is_string() || !key["dkg"].is_object() {
            return Err(Error::new(
                "invalid_argument",
                "key: a key generation's result ({election_public_key, dkg, ...})",
            )
            .into());
        }
        spec.apply_key(&mut graph, &key, &owners);
        // the partial decryptions each present trustee makes on its own peer at
        // tally time (each its trustee's own, not agreed by the owners), before
        // the combination, which stays last as without a threshold
        let decr = spec.partial_decryptions(&graph, &owners, cycle as u64);
        let at = graph.len().saturating_sub(1);
        graph.splice(at..at, decr);
    }
    Ok(to_js(&graph)?)
}

/// The key generation's endpoints of a ZEUS mix-net with threshold trustees
/// (`spec.params.THRESHOLD`) whose joint peer `joint` is owned by `owners`:
/// each trustee's dealing and verdict endpoints on its own peer, in trustee
/// order (the trustees are `spec.params.TRUSTEES`, or the owners), then the
/// owners' key endpoint; `trustees`: the trustees' published key records in
/// trustee order.
#[wasm_bindgen(js_name = dkgGraph)]
pub fn dkg_graph(
    spec: JsValue,
    joint: String,
    owners: Vec<String>,
    trustees: JsValue,
) -> std::result::Result<JsValue, JsValue> {
    let spec: MixnetSpec = from_js("spec", spec)?;
    if spec.threshold().is_none() {
        return Err(Error::new(
            "invalid_argument",
            "spec: only a ZEUS mix-net with params.THRESHOLD has a key generation",
        )
        .into());
    }
    let trustees = trustee_records(trustees)?;
    let ids = spec.trustee_ids(&owners);
    Ok(to_js(&spec.dkg_graph(&joint, &ids, &trustees))?)
}

/// Trustee key records (absent: none).
fn trustee_records(v: JsValue) -> Result<Vec<Json>> {
    if v.is_undefined() || v.is_null() {
        Ok(Vec::new())
    } else {
        from_js("trustees", v)
    }
}
