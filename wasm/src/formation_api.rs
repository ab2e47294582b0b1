//! Forming a mix-net (`panoramix_contributor::formation`), for JavaScript hosts:
//! registering, proposing with invitations, joining, agreeing on the joint peer,
//! reconfiguring. Each operation is a procedure the host drives like the
//! `ContributorMachine`: it only sends the requests; the procedure decides, checks
//! and signs everything (the owners' keys and the Zeus election key are checked
//! in Rust, by the backends' `OwnerKeys`).
//!
//! ```js
//! const f = new FormationMachine(identitySecret, controllerId);
//! f.create(spec, 2);                       // select an operation
//! f.begin(Math.floor(Date.now() / 1000));  // start it (again, after a failure)
//! for (;;) {
//!   const p = f.poll();
//!   if (p.kind === 'http') { const r = await fetch(base + p.path, ...); f.handle(r.status, await r.text()); }
//!   else if (p.kind === 'save') f.saved();
//!   else break; // 'done' (p.result) or 'failed' (p.code, p.message, p.status?, p.apiCode?)
//! }
//! ```

use crate::error::{Error, Result};
use crate::host::{self, EffectJs};
use crate::{from_js, to_js};
use panoramix_contributor::StepError;
use panoramix_contributor::formation::{Backends, Formation, Procedure, Progress};
use panoramix_contributor::spec::MixnetSpec;
use panoramix_core::Keypair;
use panoramix_sphinx::contributor::SphinxOwnerKeys;
use panoramix_zeus::contributor::ZeusOwnerKeys;
use serde::Serialize;
use serde_json::{Value as Json, json};
use wasm_bindgen::prelude::*;

/// What `poll` returns at the end of a procedure, as a plain object tagged by
/// `kind` (its effects are [`EffectJs`]).
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum EndJs {
    Done {
        result: Json,
    },
    Failed {
        code: &'static str,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        #[serde(rename = "apiCode", skip_serializing_if = "Option::is_none")]
        api_code: Option<String>,
    },
}

fn failed(e: StepError) -> EndJs {
    let message = e.to_string();
    let (code, status, api_code) = match e {
        StepError::Api { status, code, .. } => ("api", Some(status), Some(code)),
        StepError::State(_) => ("refused", None, None),
        StepError::Decode { .. } => ("bad_answer", None, None),
        _ => ("step_failed", None, None),
    };
    EndJs::Failed {
        code,
        message,
        status,
        api_code,
    }
}

fn json_of<T: Serialize>(t: T) -> Json {
    serde_json::to_value(t).unwrap_or(Json::Null)
}

/// The formation procedures of one identity at one controller (see the
/// module docs): select an operation, `begin(now)`, then `poll` / `handle`
/// until `done` or `failed`.
#[wasm_bindgen]
pub struct FormationMachine {
    formation: Formation,
    current: Option<Procedure<Json>>,
}

#[wasm_bindgen]
impl FormationMachine {
    /// `identity`: the secret key (64 hex); `controllerId`: the controller's id
    /// (from `GET /panoramix/`); `seed` (64 hex, optional): a fixed seed for the
    /// nonces and invitation secrets, to replay a recorded run (default:
    /// `crypto.getRandomValues`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        identity: String,
        controller_id: String,
        seed: Option<String>,
    ) -> std::result::Result<FormationMachine, JsValue> {
        let key = Keypair::from_secret_hex(&identity)
            .map_err(|e| Error::new("bad_key", format!("identity: {e}")))?;
        let rng = host::rng(seed)?;
        // the owners' keys are checked by the backends, in Rust
        let backends = Backends::new(vec![Box::new(SphinxOwnerKeys), Box::new(ZeusOwnerKeys)]);
        let formation = Formation::new(key, &controller_id, backends, rng);
        Ok(FormationMachine {
            formation,
            current: None,
        })
    }

    /// This identity's peer id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.formation.me()
    }

    fn select<T: Serialize + 'static>(&mut self, p: Procedure<T>) {
        self.current = Some(p.map(json_of));
    }

    /// Register this key as a contributor peer publishing `cryptoParams` (its
    /// backend's public keys), unless it is registered. Result: the peer.
    pub fn register(
        &mut self,
        name: String,
        backend: String,
        crypto_params: JsValue,
    ) -> std::result::Result<(), JsValue> {
        let params: Json = from_js("cryptoParams", crypto_params)?;
        let p = self.formation.register(&name, &backend, params);
        self.select(p);
        Ok(())
    }

    /// Propose the mix-net `spec` with `invitations` invitations. Result:
    /// `{negotiation, invitations}`.
    pub fn create(&mut self, spec: JsValue, invitations: u32) -> std::result::Result<(), JsValue> {
        let spec: MixnetSpec = from_js("spec", spec)?;
        let p = self.formation.create(&spec, invitations as usize).map(
            |(negotiation, invitations)| json!({"negotiation": negotiation, "invitations": invitations}),
        );
        self.current = Some(p);
        Ok(())
    }

    /// The proposal behind an invitation. Result: `{spec, proposer}`.
    pub fn proposal(&mut self, invitation: String) {
        let p = self
            .formation
            .proposal(&invitation)
            .map(|(spec, proposer)| json!({"spec": spec, "proposer": proposer}));
        self.current = Some(p);
    }

    /// Answer the proposal with the invitation, having reviewed `spec`.
    /// Result: `null`.
    pub fn join(
        &mut self,
        invitation: String,
        reviewed: JsValue,
    ) -> std::result::Result<(), JsValue> {
        let spec: MixnetSpec = from_js("reviewed", reviewed)?;
        let p = self.formation.join(&invitation, &spec);
        self.select(p);
        Ok(())
    }

    /// The coordinator, once every invitation is used: propose the joint peer.
    /// Result: the `joint:` negotiation id, or `null` while invitations are pending.
    #[wasm_bindgen(js_name = proposeJoint)]
    pub fn propose_joint(
        &mut self,
        negotiation: String,
        spec: JsValue,
        invitations: JsValue,
    ) -> std::result::Result<(), JsValue> {
        let spec: MixnetSpec = from_js("spec", spec)?;
        let invitations: Vec<String> = from_js("invitations", invitations)?;
        let p = self
            .formation
            .propose_joint(&negotiation, &spec, &invitations);
        self.select(p);
        Ok(())
    }

    /// Without invitations: propose the joint peer of `spec` owned by `owners`
    /// (in route order) to them, its description completed from their checked
    /// keys. Result: the `joint:` negotiation id.
    #[wasm_bindgen(js_name = proposeJointAmong)]
    pub fn propose_joint_among(
        &mut self,
        spec: JsValue,
        owners: JsValue,
    ) -> std::result::Result<(), JsValue> {
        let spec: MixnetSpec = from_js("spec", spec)?;
        let owners: Vec<String> = from_js("owners", owners)?;
        let p = self.formation.propose_joint_among(&spec, &owners);
        self.select(p);
        Ok(())
    }

    /// The description with what derives from the owners' published keys
    /// (Zeus: the election key). Result: the description.
    #[wasm_bindgen(js_name = completeSpec)]
    pub fn complete_spec(
        &mut self,
        spec: JsValue,
        owners: JsValue,
    ) -> std::result::Result<(), JsValue> {
        let spec: MixnetSpec = from_js("spec", spec)?;
        let owners: Vec<String> = from_js("owners", owners)?;
        let p = self.formation.complete_spec(&spec, &owners);
        self.select(p);
        Ok(())
    }

    /// A joiner: check the joint-peer proposal against the reviewed
    /// description and co-sign. Result: the joint peer id once signed, or `null`.
    #[wasm_bindgen(js_name = confirmJoint)]
    pub fn confirm_joint(&mut self, reviewed: JsValue) -> std::result::Result<(), JsValue> {
        let spec: MixnetSpec = from_js("reviewed", reviewed)?;
        let p = self.formation.confirm_joint(&spec);
        self.select(p);
        Ok(())
    }

    /// The coordinator: create the joint peer once every owner signed.
    /// Result: its id once it exists, or `null`.
    pub fn finish(&mut self, name: String) {
        let p = self.formation.finish(&name);
        self.select(p);
    }

    /// The first owner of `oldJoint`: propose a successor `newName` owned by
    /// `newOwners`. Result: the negotiation id.
    #[wasm_bindgen(js_name = proposeSuccessor)]
    pub fn propose_successor(
        &mut self,
        old_joint: String,
        new_owners: JsValue,
        new_name: String,
    ) -> std::result::Result<(), JsValue> {
        let owners: Vec<String> = from_js("newOwners", new_owners)?;
        let p = self
            .formation
            .propose_successor(&old_joint, &owners, &new_name);
        self.select(p);
        Ok(())
    }

    /// Another participant: find and check the successor proposal. Result:
    /// `{negotiation, text, owners, successor}` (then, if the owners are
    /// accepted, `coSign(negotiation, text)`), or `null`.
    #[wasm_bindgen(js_name = reviewSuccessor)]
    pub fn review_successor(&mut self, old_joint: String) {
        let p = self.formation.review_successor(&old_joint);
        self.select(p);
    }

    /// Sign `text` as it is in `negotiation`. Result: `null`.
    #[wasm_bindgen(js_name = coSign)]
    pub fn co_sign(&mut self, negotiation: String, text: String) {
        let p = self.formation.co_sign(&negotiation, &text);
        self.select(p);
    }

    /// The successor of a mix-net once it exists (an owner of it creates it
    /// from the agreement). Result: its id, or `null`.
    pub fn successor(&mut self, old_joint: String) {
        let p = self.formation.successor(&old_joint);
        self.select(p);
    }

    /// The agreed successor, created or not. Result: `{successor, owners}`, or `null`.
    #[wasm_bindgen(js_name = agreedSuccessor)]
    pub fn agreed_successor(&mut self, old_joint: String) {
        let p = self.formation.agreed_successor(&old_joint).map(|r| {
            r.map_or(
                Json::Null,
                |(successor, owners)| json!({"successor": successor, "owners": owners}),
            )
        });
        self.current = Some(p);
    }

    /// Follow a mix-net's successors to the current one. Result: its id.
    pub fn current(&mut self, joint: String) {
        let p = self.formation.current(&joint);
        self.select(p);
    }

    /// Select the operation `operation` by name (the names of this class's
    /// methods) with `args`, the array of its arguments: a host driven by
    /// data, e.g. replaying a recorded run. Its result is the operation's as
    /// serde gives it (`create`: `[negotiation, invitations]`, ...), as the
    /// native recordings have it.
    #[wasm_bindgen(js_name = selectOperation)]
    pub fn select_operation(
        &mut self,
        operation: String,
        args: JsValue,
    ) -> std::result::Result<(), JsValue> {
        let args: Json = from_js("args", args)?;
        let p = self
            .formation
            .operation(&operation, &args)
            .map_err(|e| Error::new("invalid_argument", e.to_string()))?;
        self.current = Some(p);
        Ok(())
    }

    /// Start the selected operation at `now` (seconds since the epoch), or
    /// start it again after a failure.
    pub fn begin(&mut self, now: f64) -> std::result::Result<(), JsValue> {
        self.procedure()?.begin(now as i64);
        Ok(())
    }

    fn procedure(&mut self) -> Result<&mut Procedure<Json>> {
        self.current
            .as_mut()
            .ok_or_else(|| Error::new("invalid_state", "no operation selected"))
    }

    /// What to do next: `{kind: 'http', method, path, body}`, `{kind: 'save',
    /// state}`, `{kind: 'done', result}` or `{kind: 'failed', code, message,
    /// status?, apiCode?}` (`code`: `api` — the controller refused, with its
    /// HTTP `status` and error `apiCode`; `refused` — a check failed;
    /// `bad_answer`; `step_failed`).
    pub fn poll(&mut self) -> std::result::Result<JsValue, JsValue> {
        let end = match self.procedure()?.poll() {
            Progress::Effect(e) => return Ok(to_js(&EffectJs::from(e))?),
            Progress::Done(result) => EndJs::Done { result },
            Progress::Failed(e) => failed(e),
        };
        Ok(to_js(&end)?)
    }

    /// The answer to the pending request: its HTTP status and body text (empty
    /// or not JSON: `null`).
    pub fn handle(&mut self, status: u16, body: String) -> std::result::Result<(), JsValue> {
        self.procedure()?
            .handle(host::response(status, &body))
            .map_err(host::out_of_turn)?;
        Ok(())
    }

    /// The pending state was stored.
    pub fn saved(&mut self) -> std::result::Result<(), JsValue> {
        self.procedure()?.saved().map_err(host::out_of_turn)?;
        Ok(())
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn spec() -> JsValue {
        to_js(&json!({"name": "m", "backend": "SPHINXMIX",
            "params": {"BODY_LEN": 1024, "MAX_HOPS": 5}, "size_min": 1, "size_max": 4}))
        .unwrap()
    }

    fn poll(f: &mut FormationMachine) -> Json {
        serde_wasm_bindgen::from_value(f.poll().unwrap()).unwrap()
    }

    /// Run `create` against a controller that accepts everything; the
    /// requests and the final poll.
    fn create(seed: &str, status: u16) -> (Vec<Json>, Json) {
        let secret = "11".repeat(32);
        let mut f = FormationMachine::new(secret, "ctl".into(), Some(seed.into())).unwrap();
        f.create(spec(), 2).unwrap();
        f.begin(1_700_000_000.0).unwrap();
        let mut sent = Vec::new();
        loop {
            let p = poll(&mut f);
            if p["kind"] != "http" {
                return (sent, p);
            }
            // the negotiation is created; the contribution gets `status`
            let (status, body) = if p["path"] == "/panoramix/negotiations/" {
                let n = json!({"id": "N1", "title": "mixnet:m", "participants": null,
                    "status": "OPEN", "text": null, "timestamp": null, "consensus": null});
                (200, json!({ "data": n }))
            } else if status == 200 {
                (200, json!({"data": {"consensus": null}}))
            } else {
                (
                    status,
                    json!({"error": {"code": "conflict", "message": "no"}}),
                )
            };
            sent.push(p);
            f.handle(status, body.to_string()).unwrap();
        }
    }

    #[wasm_bindgen_test]
    fn create_runs_to_its_invitations_and_a_seed_replays_it() {
        let seed = "07".repeat(32);
        let (sent, done) = create(&seed, 200);
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0]["method"], "POST");
        assert_eq!(done["kind"], "done");
        assert_eq!(done["result"]["negotiation"], "N1");
        let invitations = done["result"]["invitations"].as_array().unwrap();
        assert_eq!(invitations.len(), 2);
        assert!(invitations[0].as_str().unwrap().starts_with("N1|"));
        assert_eq!(create(&seed, 200), (sent, done.clone()));
        assert_ne!(create(&"08".repeat(32), 200).1, done);
    }

    #[wasm_bindgen_test]
    fn a_refusal_fails_with_the_status_and_the_controllers_code() {
        let (_, failed) = create(&"07".repeat(32), 409);
        assert_eq!(failed["kind"], "failed");
        assert_eq!(failed["code"], "api");
        assert_eq!(failed["status"], 409);
        assert_eq!(failed["apiCode"], "conflict");
    }

    #[wasm_bindgen_test]
    fn nothing_runs_before_an_operation_is_selected() {
        let mut f = FormationMachine::new("11".repeat(32), "ctl".into(), None).unwrap();
        assert!(f.begin(0.0).is_err());
        assert!(f.poll().is_err());
    }
}
