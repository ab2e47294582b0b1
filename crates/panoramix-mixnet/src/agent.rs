//! The contributor agent: follows the mix-net's endpoints, pulls input over links,
//! closes inboxes, processes, uploads, co-signs what co-owners propose only after
//! recomputing it, marks endpoints PROCESSED and starts the next cycle. Its state is
//! a JSON file, written before every upload, so it survives restarts.
//! Its requests go through [`Client`], which backs off and retries after a 429
//! `rate_limited` ([`panoramix_client::RetryPolicy`]) instead of failing the step.

use crate::backend::{
    Backend, BackendError, EndpointView, Msg, Processed, Processing, Secrets, backend,
};
use crate::mixnet::MixnetSpec;
use panoramix_client::{Action, Client, ClientError};
use panoramix_core::canonical;
use panoramix_core::model::message_hash;
use panoramix_core::negotiation::Text;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;

mod election;
mod negotiate;
mod transition;
mod upload;

/// Agent errors.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The controller refused or could not be reached.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The state file or configuration is unusable.
    #[error("{0}")]
    State(String),
}

/// What the agent keeps on disk.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AgentState {
    /// The joint peer of the mix-net.
    pub mixnet: String,
    /// The cycle being worked on.
    #[serde(default = "one")]
    pub cycle: u64,
    /// Stop after this many cycles (0: never).
    #[serde(default)]
    pub max_cycles: u64,
    /// Cycles completed so far, across reconfigurations.
    #[serde(default)]
    pub completed: u64,
    /// Outputs computed for own endpoints, kept until uploaded and agreed.
    #[serde(default)]
    pub processed: BTreeMap<String, Processed>,
    /// Complaints already filed (endpoint id).
    #[serde(default)]
    pub complaints: BTreeSet<String>,
    /// The Sphinx replay cache of this contributor's mix key (hex), kept for the
    /// key's life so that a packet replayed in a later cycle is dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sphinx_replay: Option<String>,
}

fn one() -> u64 {
    1
}

/// What one step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Step {
    /// Something changed on the controller.
    pub acted: bool,
    /// `max_cycles` cycles are complete.
    pub finished: bool,
    /// Human-readable events.
    pub events: Vec<String>,
}

#[cfg(feature = "test-hooks")]
pub use crate::cheat::Cheat;

/// A contributor agent.
pub struct Agent {
    client: Client,
    secrets: Secrets,
    state: AgentState,
    state_path: Option<PathBuf>,
    backend: Box<dyn Backend>,
    verified: HashSet<String>,
    #[cfg(feature = "test-hooks")]
    cheat: Option<Cheat>,
    #[cfg(feature = "test-hooks")]
    crash_after_uploads: Option<usize>,
    crypto_time: std::time::Duration,
    recomputed: std::collections::HashMap<String, Processed>,
}

struct Ctx {
    joint: String,
    owners: Vec<String>,
    spec: MixnetSpec,
    trustees: Vec<panoramix_zeus::TrusteeKey>,
}

fn data_of(part: &canonical::Value) -> Json {
    canonical::to_json(part.get("data").unwrap_or(&canonical::Value::Null))
}

fn action_of(part: &canonical::Value, method: &str, path: &str) -> Action {
    Action {
        method: method.into(),
        path: path.into(),
        data: canonical::to_json(part.get("data").unwrap_or(&canonical::Value::Null)),
        info: canonical::to_json(part.get("info").unwrap_or(&canonical::Value::Null)),
    }
}

fn view(ep: &Json) -> EndpointView {
    EndpointView {
        id: ep["endpoint_id"].as_str().unwrap_or_default().to_owned(),
        endpoint_type: ep["endpoint_type"].as_str().unwrap_or_default().to_owned(),
        params: ep["endpoint_params"].clone(),
    }
}

fn msgs(items: &[Json]) -> Vec<Msg> {
    items.iter().map(Msg::from_json).collect()
}

/// A 409 (already done by someone else) or a 422 (the endpoint moved on since this
/// step read it) means there is nothing left to do here; the next step reads anew.
fn ignore_conflict(r: Result<Json, ClientError>) -> Result<(), ClientError> {
    match r {
        Ok(_) => Ok(()),
        Err(e) if matches!(e.status(), Some(409 | 422)) => Ok(()),
        Err(e) => Err(e),
    }
}

impl Agent {
    /// An agent for `client` with these secrets and state; the state is saved to
    /// `state_path` (if any) whenever it changes.
    pub fn new(
        client: Client,
        secrets: Secrets,
        state: AgentState,
        state_path: Option<PathBuf>,
    ) -> Result<Agent, AgentError> {
        let joint = client.peer(&state.mixnet)?;
        let name = joint["crypto_backend"].as_str().unwrap_or_default();
        let backend =
            backend(name).ok_or_else(|| AgentError::State(format!("unknown backend {name}")))?;
        if let Some(h) = &state.sphinx_replay {
            let bytes =
                hex::decode(h).map_err(|e| AgentError::State(format!("sphinx_replay: {e}")))?;
            secrets.restore_replay(&bytes)?;
        }
        Ok(Agent {
            client,
            secrets,
            state,
            state_path,
            backend,
            verified: HashSet::new(),
            #[cfg(feature = "test-hooks")]
            cheat: None,
            #[cfg(feature = "test-hooks")]
            crash_after_uploads: None,
            crypto_time: std::time::Duration::ZERO,
            recomputed: std::collections::HashMap::new(),
        })
    }

    /// Make this agent cheat (tests only: the `test-hooks` feature).
    #[cfg(feature = "test-hooks")]
    pub fn set_cheat(&mut self, cheat: Option<Cheat>) {
        self.cheat = cheat;
    }

    /// Fail (as if killed) after this many more PROCESSBOX uploads (tests only: the
    /// `test-hooks` feature).
    #[cfg(feature = "test-hooks")]
    pub fn set_crash_after_uploads(&mut self, n: Option<usize>) {
        self.crash_after_uploads = n;
    }

    /// Time spent in the backend's cryptography (processing, verifying, admitting).
    pub fn crypto_time(&self) -> std::time::Duration {
        self.crypto_time
    }

    /// The agent's state.
    pub fn state(&self) -> &AgentState {
        &self.state
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn save(&self) -> Result<(), AgentError> {
        if let Some(p) = &self.state_path {
            let tmp = p.with_extension("tmp");
            let s = serde_json::to_string_pretty(&self.state)
                .map_err(|e| AgentError::State(e.to_string()))?;
            std::fs::write(&tmp, s)
                .map_err(|e| AgentError::State(format!("{}: {e}", tmp.display())))?;
            std::fs::rename(&tmp, p)
                .map_err(|e| AgentError::State(format!("{}: {e}", p.display())))?;
        }
        Ok(())
    }

    fn ctx(&self) -> Result<Ctx, AgentError> {
        let joint = self.client.peer(&self.state.mixnet)?;
        let owners: Vec<String> = panoramix_client::owners_of(&joint);
        let spec: MixnetSpec =
            serde_json::from_value(joint["crypto_params"].clone()).map_err(|e| {
                AgentError::State(format!(
                    "the joint peer's crypto_params are not a mix-net description: {e}"
                ))
            })?;
        let mut trustees = Vec::new();
        if spec.backend == "ZEUS" {
            for o in &owners {
                let p = self.client.peer(o)?;
                trustees.push(
                    serde_json::from_value(p["crypto_params"]["trustee_key"].clone()).map_err(
                        |e| AgentError::State(format!("owner {o} published no trustee key: {e}")),
                    )?,
                );
            }
        }
        Ok(Ctx {
            joint: self.state.mixnet.clone(),
            owners,
            spec,
            trustees,
        })
    }

    /// Do what can be done now.
    pub fn step(&mut self) -> Result<Step, AgentError> {
        let mut st = Step::default();
        let cx = self.ctx()?;
        let me = self.client.id();
        if !cx.owners.contains(&me) {
            return Err(AgentError::State(
                "this key is not an owner of the mix-net".into(),
            ));
        }
        loop {
            let c = self.state.cycle;
            match self.client.endpoint(&cx.spec.result(c)) {
                Ok(ep) if ep["status"] == "PROCESSED" => {
                    self.keep_transcript(&cx, c, &mut st)?;
                    if self.state.max_cycles != 0
                        && self.state.completed + 1 >= self.state.max_cycles
                    {
                        st.finished = true;
                        return Ok(st);
                    }
                    // a reconfiguration takes effect from the next cycle
                    let title = format!("successor:{}", cx.joint);
                    let pending = self
                        .client
                        .get(&format!("/panoramix/negotiations/?title={}", pct(&title)))?;
                    let pending = pending["data"].as_array().cloned().unwrap_or_default();
                    if pending.iter().any(|n| n["status"] == "OPEN") {
                        return Ok(st);
                    }
                    let agreed = if pending.is_empty() {
                        None
                    } else {
                        crate::setup::agreed_successor(&self.client, &cx.joint)
                            .map_err(|e| AgentError::State(e.to_string()))?
                    };
                    match agreed {
                        Some((n, owners)) if !owners.contains(&me) => {
                            self.state.completed += 1;
                            self.save()?;
                            st.events.push(format!("cycle {c} complete"));
                            st.events.push(format!("left the mix-net: its successor {n} does not include this contributor"));
                            st.finished = true;
                            return Ok(st);
                        }
                        Some((n, _)) => {
                            if self.client.peer(&n).is_err() {
                                crate::setup::successor(&self.client, &cx.joint)
                                    .map_err(|e| AgentError::State(e.to_string()))?;
                                if self.client.peer(&n).is_err() {
                                    return Ok(st);
                                }
                            }
                            self.state.completed += 1;
                            self.state.processed.clear();
                            st.events.push(format!("cycle {c} complete"));
                            st.events
                                .push(format!("continuing with the successor mix-net {n}"));
                            self.state.mixnet = n;
                            self.state.cycle = 1;
                            self.save()?;
                            st.acted = true;
                            return Ok(st);
                        }
                        None => {
                            self.state.completed += 1;
                            self.state
                                .processed
                                .retain(|k, _| !k.starts_with(&format!("{}-{c}-", cx.spec.name)));
                            st.events.push(format!("cycle {c} complete"));
                            self.state.cycle += 1;
                            self.save()?;
                        }
                    }
                }
                _ => break,
            }
        }
        let c = self.state.cycle;
        let graph = cx.spec.graph(&cx.joint, &cx.owners, &cx.trustees, c);
        let mut endpoints = Vec::new();
        let mut missing = false;
        for g in &graph {
            let id = g["endpoint_id"].as_str().unwrap_or_default();
            match self.client.endpoint(id) {
                Ok(ep) => endpoints.push(ep),
                Err(e) if e.status() == Some(404) => missing = true,
                Err(e) => return Err(e.into()),
            }
        }
        if missing {
            self.ensure_graph(&cx, c, &graph, &mut st)?;
            return Ok(st);
        }
        for ep in &endpoints {
            self.handle(&cx, ep, &mut st)?;
        }
        Ok(st)
    }

    fn ensure_graph(
        &mut self,
        cx: &Ctx,
        c: u64,
        graph: &[Json],
        st: &mut Step,
    ) -> Result<(), AgentError> {
        let title = format!("graph:{}:{c}", cx.joint);
        let expected: Vec<Json> = graph.to_vec();
        let propose = |cl: &Client| {
            expected
                .iter()
                .map(|g| cl.endpoint_action(g))
                .collect::<Vec<_>>()
        };
        let check = |t: &Text| -> Result<(), String> {
            let canonical::Value::List(parts) = &t.body else {
                return Err("graph proposal is not a list".into());
            };
            if parts.len() != expected.len() {
                return Err("graph proposal has the wrong number of endpoints".into());
            }
            for (p, g) in parts.iter().zip(&expected) {
                let mut want = g.clone();
                want["status"] = json!("OPEN");
                let want = canonical::from_json(&want).map_err(|e| e.to_string())?;
                if p.get("data") != Some(&want) {
                    return Err(format!(
                        "endpoint {} differs from the agreed graph",
                        g["endpoint_id"]
                    ));
                }
                if p.get("info")
                    .and_then(|i| i.get("resource"))
                    .and_then(canonical::Value::as_str)
                    != Some("endpoint")
                {
                    return Err("graph proposal contains something other than endpoints".into());
                }
            }
            Ok(())
        };
        let Some(text) = self.negotiate(cx, &title, &propose, &check, st)? else {
            return Ok(());
        };
        let me = self.client.id();
        let neg = self.find_negotiation(cx, &title)?.unwrap_or(Json::Null);
        let cid = neg["consensus"].as_str().unwrap_or_default().to_owned();
        if let canonical::Value::List(parts) = &text.body {
            for (i, p) in parts.iter().enumerate() {
                let data = data_of(p);
                let peer = data["peer_id"].as_str().unwrap_or_default();
                let id = data["endpoint_id"].as_str().unwrap_or_default();
                let mine = peer == me || (peer == cx.joint && cx.owners[0] == me);
                if !mine {
                    continue;
                }
                if self.client.endpoint(id).is_ok() {
                    continue;
                }
                let a = action_of(p, "POST", "/panoramix/endpoints/");
                ignore_conflict(self.client.apply(&a, &cid, Some(i as u32)))?;
                st.acted = true;
                st.events.push(format!("created {id}"));
            }
        }
        Ok(())
    }

    fn verify_source(&mut self, cx: &Ctx, src: &Json, st: &mut Step) -> Result<bool, AgentError> {
        let id = src["endpoint_id"].as_str().unwrap_or_default().to_owned();
        if self.verified.contains(&id) {
            return Ok(true);
        }
        let v = view(src);
        let inputs = msgs(&self.client.messages(&id, "ACCEPTED")?);
        let outputs = msgs(&self.client.messages(&id, "OUTBOX")?);
        let proof = match &src["process_proof"] {
            Json::String(s) => s.clone(),
            Json::Null => String::new(),
            other => other.to_string(),
        };
        let t0 = std::time::Instant::now();
        let verdict = self.backend.verify(&v, &inputs, &outputs, &proof);
        self.crypto_time += t0.elapsed();
        match verdict {
            Ok(()) => {
                self.verified.insert(id);
                Ok(true)
            }
            Err(e) => {
                self.complain(&id, &e.to_string(), st)?;
                let _ = cx;
                Ok(false)
            }
        }
    }

    fn handle(&mut self, cx: &Ctx, ep: &Json, st: &mut Step) -> Result<(), AgentError> {
        let me = self.client.id();
        let id = ep["endpoint_id"].as_str().unwrap_or_default().to_owned();
        let peer = ep["peer_id"].as_str().unwrap_or_default();
        let joint = peer == cx.joint;
        if !(joint || peer == me) {
            return Ok(());
        }
        let ty = ep["endpoint_type"].as_str().unwrap_or_default();
        let processing = self.backend.processing(ty)?;
        let links: Vec<Json> = ep["links"].as_array().cloned().unwrap_or_default();
        let coordinator = cx.owners[0] == me;
        match ep["status"].as_str().unwrap_or_default() {
            "OPEN" => {
                let inbox_links: Vec<&Json> =
                    links.iter().filter(|l| l["to_box"] == "INBOX").collect();
                if inbox_links.is_empty() {
                    // an entry endpoint: close when size_min admissible messages wait
                    if ep["inbox_count"].as_i64().unwrap_or(0)
                        < ep["size_min"].as_i64().unwrap_or(1)
                    {
                        return Ok(());
                    }
                    let inbox = msgs(&self.client.messages(&id, "INBOX")?);
                    let texts: Vec<&str> = inbox.iter().map(|m| m.text.as_str()).collect();
                    let t0 = std::time::Instant::now();
                    let ok = self.backend.admissible(&view(ep), &texts);
                    self.crypto_time += t0.elapsed();
                    let size_max = ep["size_max"].as_i64().unwrap_or(0) as usize;
                    let size_min = ep["size_min"].as_i64().unwrap_or(1);
                    let selection: Vec<String> = inbox
                        .iter()
                        .zip(&ok)
                        .filter(|(_, a)| **a)
                        .map(|(m, _)| m.hash.clone())
                        .take(size_max)
                        .collect();
                    if (selection.len() as i64) < size_min {
                        return Ok(());
                    }
                    let mine = selection.clone();
                    let check = move |d: &Json| -> Result<(), String> {
                        let p: Vec<String> = serde_json::from_value(d["message_hashes"].clone())
                            .map_err(|e| e.to_string())?;
                        if p.len() as i64 >= size_min
                            && mine.len() >= p.len()
                            && mine[..p.len()] == p[..]
                        {
                            Ok(())
                        } else {
                            Err(
                                "the selection is not the first admissible messages of the inbox"
                                    .into(),
                            )
                        }
                    };
                    return self.transition(cx, ep, "CLOSED", &selection, None, &check, st);
                }
                if joint && !coordinator && processing != Processing::Recompute {
                    return Ok(());
                }
                // pull every linked source's published box, after verifying it
                let mut expected = Vec::new();
                for l in &inbox_links {
                    let from = l["from_endpoint_id"].as_str().unwrap_or_default();
                    let fbox = l["from_box"].as_str().unwrap_or_default();
                    let src = match self.client.endpoint(from) {
                        Ok(s) => s,
                        Err(e) if e.status() == Some(404) => return Ok(()),
                        Err(e) => return Err(e.into()),
                    };
                    let ready = match fbox {
                        "ACCEPTED" => src["status"] == "CLOSED" || src["status"] == "PROCESSED",
                        _ => src["status"] == "PROCESSED",
                    };
                    if !ready {
                        return Ok(());
                    }
                    if fbox == "OUTBOX" && !self.verify_source(cx, &src, st)? {
                        return Ok(());
                    }
                    expected.extend(self.client.messages(from, fbox)?);
                }
                let have: HashSet<String> = self
                    .client
                    .messages(&id, "INBOX")?
                    .iter()
                    .filter_map(|m| m["text"].as_str().map(str::to_owned))
                    .collect();
                let missing: Vec<(String, String, String, Option<i64>)> = expected
                    .iter()
                    .filter(|m| !have.contains(m["text"].as_str().unwrap_or_default()))
                    .map(|m| {
                        let f = |k: &str| m[k].as_str().unwrap_or_default().to_owned();
                        (f("sender"), f("recipient"), f("text"), None)
                    })
                    .collect();
                if !missing.is_empty() {
                    ignore_conflict(
                        self.client
                            .post_messages(&id, "INBOX", &missing)
                            .map(Json::from),
                    )?;
                    st.acted = true;
                }
                let inbox = self.client.messages(&id, "INBOX")?;
                if inbox.len() == expected.len() && !inbox.is_empty() {
                    let hashes: Vec<String> = inbox
                        .iter()
                        .filter_map(|m| m["message_hash"].as_str().map(str::to_owned))
                        .collect();
                    let mine = hashes.clone();
                    let check = move |d: &Json| -> Result<(), String> {
                        if d["message_hashes"] == json!(mine) {
                            Ok(())
                        } else {
                            Err("not the linked input".into())
                        }
                    };
                    self.transition(cx, ep, "CLOSED", &hashes, None, &check, st)?;
                }
                Ok(())
            }
            "CLOSED" => match processing {
                Processing::Own => {
                    if peer != me {
                        return Ok(());
                    }
                    let processed = match self.state.processed.get(&id) {
                        Some(p) => p.clone(),
                        None => {
                            let inputs = msgs(&self.client.messages(&id, "ACCEPTED")?);
                            let t0 = std::time::Instant::now();
                            let p = self.backend.process(&view(ep), &self.secrets, &inputs)?;
                            self.crypto_time += t0.elapsed();
                            #[cfg(feature = "test-hooks")]
                            let p = match self.cheat {
                                Some(c) => crate::cheat::apply(c, p, &inputs),
                                None => p,
                            };
                            self.state.processed.insert(id.clone(), p.clone());
                            self.state.sphinx_replay = self.secrets.replay_bytes().map(hex::encode);
                            self.save()?;
                            st.events.push(format!(
                                "processed {id}: {} in, {} out, {} dropped",
                                inputs.len(),
                                p.outputs.len(),
                                p.dropped.len()
                            ));
                            p
                        }
                    };
                    let hashes = self.upload(&id, &me, &processed, st)?;
                    let proof = if processed.proof.is_empty() {
                        None
                    } else {
                        Some(json!(processed.proof))
                    };
                    self.transition(cx, ep, "PROCESSED", &hashes, proof, &|_| Ok(()), st)
                }
                Processing::Recompute => {
                    // the agreed input of a CLOSED endpoint never changes: compute once
                    let p = match self.recomputed.get(&id) {
                        Some(p) => p.clone(),
                        None => {
                            let inputs = msgs(&self.client.messages(&id, "ACCEPTED")?);
                            let t0 = std::time::Instant::now();
                            let p = self.backend.process(&view(ep), &self.secrets, &inputs)?;
                            self.crypto_time += t0.elapsed();
                            self.recomputed.insert(id.clone(), p.clone());
                            p
                        }
                    };
                    let hashes: Vec<String> = p
                        .outputs
                        .iter()
                        .enumerate()
                        .map(|(i, o)| {
                            message_hash(Some(i as i64), &cx.joint, &o.recipient, &o.text)
                        })
                        .collect();
                    if coordinator {
                        self.upload(&id, &cx.joint, &p, st)?;
                    } else if self.client.messages(&id, "PROCESSBOX")?.len() < hashes.len() {
                        return Ok(());
                    }
                    let (mine, proof) = (hashes.clone(), p.proof.clone());
                    let check = move |d: &Json| -> Result<(), String> {
                        let got_proof = match &d["process_proof"] {
                            Json::String(s) => s.clone(),
                            Json::Null => String::new(),
                            o => o.to_string(),
                        };
                        if d["message_hashes"] != json!(mine) {
                            return Err(
                                "the proposed output is not what the agreed input gives".into()
                            );
                        }
                        if got_proof != proof {
                            return Err(
                                "the proposed proof is not what the agreed input gives".into()
                            );
                        }
                        Ok(())
                    };
                    let proof = if p.proof.is_empty() {
                        None
                    } else {
                        Some(json!(p.proof))
                    };
                    self.transition(cx, ep, "PROCESSED", &hashes, proof, &check, st)
                }
                Processing::Collect => {
                    let Some(l) = links.iter().find(|l| l["to_box"] == "PROCESSBOX") else {
                        return Ok(());
                    };
                    let from = l["from_endpoint_id"].as_str().unwrap_or_default();
                    let src = match self.client.endpoint(from) {
                        Ok(s) => s,
                        Err(e) if e.status() == Some(404) => return Ok(()),
                        Err(e) => return Err(e.into()),
                    };
                    if src["status"] != "PROCESSED" || !self.verify_source(cx, &src, st)? {
                        return Ok(());
                    }
                    let out = msgs(&self.client.messages(from, "OUTBOX")?);
                    let p = Processed {
                        outputs: out
                            .iter()
                            .map(|m| crate::backend::Out {
                                recipient: m.recipient.clone(),
                                text: m.text.clone(),
                            })
                            .collect(),
                        proof: String::new(),
                        dropped: Vec::new(),
                    };
                    let senders: Vec<String> = out.iter().map(|m| m.sender.clone()).collect();
                    let hashes: Vec<String> = p
                        .outputs
                        .iter()
                        .enumerate()
                        .map(|(i, o)| {
                            message_hash(Some(i as i64), &senders[i], &o.recipient, &o.text)
                        })
                        .collect();
                    if coordinator {
                        let present = self.client.messages(&id, "PROCESSBOX")?;
                        let have: HashSet<i64> = present
                            .iter()
                            .filter_map(|m| m["serial"].as_i64())
                            .collect();
                        let missing: Vec<(String, String, String, Option<i64>)> = out
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| !have.contains(&(*i as i64)))
                            .map(|(i, m)| {
                                (
                                    m.sender.clone(),
                                    m.recipient.clone(),
                                    m.text.clone(),
                                    Some(i as i64),
                                )
                            })
                            .collect();
                        if !missing.is_empty() {
                            ignore_conflict(
                                self.client
                                    .post_messages(&id, "PROCESSBOX", &missing)
                                    .map(Json::from),
                            )?;
                            st.acted = true;
                        }
                    } else if self.client.messages(&id, "PROCESSBOX")?.len() < hashes.len() {
                        return Ok(());
                    }
                    let mine = hashes.clone();
                    let check = move |d: &Json| -> Result<(), String> {
                        if d["message_hashes"] == json!(mine) {
                            Ok(())
                        } else {
                            Err("not the linked source's output".into())
                        }
                    };
                    self.transition(cx, ep, "PROCESSED", &hashes, None, &check, st)
                }
            },
            _ => Ok(()),
        }
    }
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
