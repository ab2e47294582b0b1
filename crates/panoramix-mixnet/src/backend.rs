//! The backend trait the contributor agent drives, and its two implementations.
//!
//! An endpoint's processing is one of three kinds ([`Processing`]):
//!
//! * **Own**: an endpoint of one contributor's individual peer (a Sphinx mix, a Zeus
//!   mix or partial decryption). Only that contributor holds the key, so only it can
//!   process; downstream endpoints [`Backend::verify`] its output (Zeus: the proofs;
//!   Sphinx: what can be checked without the key) before they take it as input.
//! * **Recompute**: an endpoint of the joint peer whose output is a deterministic
//!   function of its agreed input (the Zeus booth and the combination). One owner
//!   computes and proposes; every other owner recomputes and co-signs only an
//!   identical result.
//! * **Collect**: an endpoint of the joint peer whose PROCESSBOX is fed by a link
//!   (the Sphinx gateway collects the last mix's output). Every owner checks that the
//!   proposed output is exactly the linked source's published box.

use panoramix_sphinx as sphinx;
use panoramix_zeus as zeus;
use serde_json::{Value as Json, json};

/// Errors of a backend.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The endpoint's type or parameters are not usable.
    #[error("endpoint parameters: {0}")]
    Params(String),
    /// A needed secret is missing.
    #[error("missing secret: {0}")]
    MissingSecret(&'static str),
    /// Processing failed as a whole.
    #[error("processing failed: {0}")]
    Process(String),
    /// Another party's output does not verify.
    #[error("verification failed: {0}")]
    Verify(String),
}

/// A message as the agent sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    /// Sender field.
    pub sender: String,
    /// Recipient field.
    pub recipient: String,
    /// The text.
    pub text: String,
    /// Serial (PROCESSBOX / OUTBOX).
    pub serial: Option<i64>,
    /// The controller's message hash.
    pub hash: String,
}

impl Msg {
    /// From the API's JSON.
    pub fn from_json(j: &Json) -> Msg {
        let s = |k: &str| j[k].as_str().unwrap_or_default().to_owned();
        Msg {
            sender: s("sender"),
            recipient: s("recipient"),
            text: s("text"),
            serial: j["serial"].as_i64(),
            hash: s("message_hash"),
        }
    }
}

/// An output message: recipient and text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Out {
    /// Recipient.
    pub recipient: String,
    /// Text.
    pub text: String,
}

/// What processing produced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Processed {
    /// Output messages, in upload order (serial = index).
    pub outputs: Vec<Out>,
    /// The proof attached to the PROCESSED transition (may be empty).
    pub proof: String,
    /// Inputs dropped, with why (index into the input, reason).
    pub dropped: Vec<(usize, String)>,
}

/// How an endpoint type is processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Processing {
    /// By the single owner, with its own key.
    Own,
    /// By any owner; the others recompute.
    Recompute,
    /// Collected from a linked source into the PROCESSBOX.
    Collect,
}

/// The endpoint as the backend needs it.
#[derive(Debug, Clone)]
pub struct EndpointView {
    /// Endpoint id.
    pub id: String,
    /// Endpoint type.
    pub endpoint_type: String,
    /// `endpoint_params`.
    pub params: Json,
}

/// A contributor's secrets for the backends, and the Sphinx replay cache of its mix
/// key (kept for the key's whole life: its epoch).
pub struct Secrets {
    /// The Sphinx mix key.
    pub mix: Option<sphinx::MixKeyPair>,
    /// The Zeus trustee key share.
    pub trustee: Option<zeus::TrusteeSecret>,
    /// Replay tags seen by the mix key, across batches and cycles.
    pub replay: std::sync::Mutex<Option<sphinx::ReplayCache>>,
}

impl Secrets {
    /// Secrets with an empty replay cache.
    pub fn new(mix: Option<sphinx::MixKeyPair>, trustee: Option<zeus::TrusteeSecret>) -> Secrets {
        Secrets {
            mix,
            trustee,
            replay: std::sync::Mutex::new(None),
        }
    }

    /// The replay cache's bytes, for the agent's state file.
    pub fn replay_bytes(&self) -> Option<Vec<u8>> {
        self.replay
            .lock()
            .ok()
            .and_then(|c| c.as_ref().map(sphinx::ReplayCache::to_bytes))
    }

    /// Restore the replay cache from the agent's state file.
    pub fn restore_replay(&self, bytes: &[u8]) -> Result<(), BackendError> {
        let cache = sphinx::ReplayCache::from_bytes(bytes)
            .map_err(|e| BackendError::Params(e.to_string()))?;
        if let Ok(mut g) = self.replay.lock() {
            *g = Some(cache);
        }
        Ok(())
    }
}

/// The interface between the contributor agent and a crypto backend.
pub trait Backend: Send + Sync {
    /// `SPHINXMIX` or `ZEUS`.
    fn name(&self) -> &'static str;
    /// How an endpoint type is processed.
    fn processing(&self, endpoint_type: &str) -> Result<Processing, BackendError>;
    /// Which inputs of an entry endpoint may be taken when closing it (a malformed
    /// message is left out, so it never stalls a cycle).
    fn admissible(&self, ep: &EndpointView, texts: &[&str]) -> Vec<bool>;
    /// Process the agreed input.
    fn process(
        &self,
        ep: &EndpointView,
        secrets: &Secrets,
        inputs: &[Msg],
    ) -> Result<Processed, BackendError>;
    /// Check another party's processing before accepting it.
    fn verify(
        &self,
        ep: &EndpointView,
        inputs: &[Msg],
        outputs: &[Msg],
        proof: &str,
    ) -> Result<(), BackendError>;
}

/// The backend for a name.
pub fn backend(name: &str) -> Option<Box<dyn Backend>> {
    match name {
        "SPHINXMIX" => Some(Box::new(SphinxBackend)),
        "ZEUS" => Some(Box::new(ZeusBackend)),
        _ => None,
    }
}

// ------------------------------------------------------------------ SPHINXMIX

/// SPHINXMIX: a gateway (joint, public INBOX, collects the last mix's output) and one
/// mix per owner (own key, peels a layer, shuffles).
pub struct SphinxBackend;

/// Sphinx parameters from endpoint or crypto params (`BODY_LEN`, `MAX_HOPS`).
pub fn sphinx_params(p: &Json) -> Result<sphinx::SphinxParams, BackendError> {
    let d = sphinx::SphinxParams::default();
    let get = |k: &str, dflt: usize| -> Result<usize, BackendError> {
        match &p[k] {
            Json::Null => Ok(dflt),
            v => v
                .as_u64()
                .and_then(|v| usize::try_from(v).ok())
                .ok_or_else(|| BackendError::Params(format!("{k} must be a positive integer"))),
        }
    };
    sphinx::SphinxParams::new(
        get("MAX_HOPS", d.max_hops())?,
        get("BODY_LEN", d.body_len())?,
    )
    .map_err(|e| BackendError::Params(e.to_string()))
}

impl Backend for SphinxBackend {
    fn name(&self) -> &'static str {
        "SPHINXMIX"
    }

    fn processing(&self, ty: &str) -> Result<Processing, BackendError> {
        match ty {
            "SPHINXMIX_GATEWAY" | "SPHINXMIX_STATIC_GW" => Ok(Processing::Collect),
            "SPHINXMIX" | "SPHINXMIX_STATIC" => Ok(Processing::Own),
            other => Err(BackendError::Params(format!(
                "SPHINXMIX has no endpoint type {other}"
            ))),
        }
    }

    fn admissible(&self, ep: &EndpointView, texts: &[&str]) -> Vec<bool> {
        let Ok(params) = sphinx_params(&ep.params) else {
            return vec![false; texts.len()];
        };
        let out = sphinx::gateway_accept(&params, texts);
        let mut ok = vec![false; texts.len()];
        for i in out.accepted {
            ok[i] = true;
        }
        ok
    }

    fn process(
        &self,
        ep: &EndpointView,
        secrets: &Secrets,
        inputs: &[Msg],
    ) -> Result<Processed, BackendError> {
        let params = sphinx_params(&ep.params)?;
        let key = secrets
            .mix
            .as_ref()
            .ok_or(BackendError::MissingSecret("Sphinx mix key"))?;
        // the cache lives as long as the key: a packet replayed in a later cycle is dropped
        let mut guard = secrets
            .replay
            .lock()
            .map_err(|_| BackendError::Process("replay cache lock poisoned".into()))?;
        if guard.as_ref().is_none_or(|c| c.node_id() != key.node_id()) {
            *guard = Some(sphinx::ReplayCache::for_node(key.node_id()));
        }
        let cache = guard
            .as_mut()
            .ok_or(BackendError::Process("no replay cache".into()))?;
        let texts: Vec<&str> = inputs.iter().map(|m| m.text.as_str()).collect();
        let out = sphinx::process_batch(key, &params, cache, &texts, &mut rand_core::OsRng)
            .map_err(|e| BackendError::Process(e.to_string()))?;
        Ok(Processed {
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
        })
    }

    fn verify(
        &self,
        ep: &EndpointView,
        inputs: &[Msg],
        outputs: &[Msg],
        _proof: &str,
    ) -> Result<(), BackendError> {
        // A decryption mix cannot be verified without its key. What can be checked:
        // no more outputs than inputs, no output twice, no input passed through.
        if outputs.len() > inputs.len() {
            return Err(BackendError::Verify(format!(
                "{} produced {} outputs from {} inputs",
                ep.id,
                outputs.len(),
                inputs.len()
            )));
        }
        let mut seen = std::collections::HashSet::new();
        let ins: std::collections::HashSet<&str> = inputs.iter().map(|m| m.text.as_str()).collect();
        for o in outputs {
            if !seen.insert(o.text.as_str()) {
                return Err(BackendError::Verify(format!(
                    "{} output a message twice",
                    ep.id
                )));
            }
            if ins.contains(o.text.as_str()) {
                return Err(BackendError::Verify(format!(
                    "{} passed an input through unchanged",
                    ep.id
                )));
            }
        }
        Ok(())
    }
}

// ------------------------------------------------------------------ ZEUS

/// ZEUS: a booth (joint, public INBOX, admits valid ballots), one mix per owner,
/// one partial decryption per owner, and the combination (joint).
pub struct ZeusBackend;

fn zeus_params(p: &Json) -> Result<zeus::ZeusParams, BackendError> {
    serde_json::from_value(p.clone()).map_err(|e| BackendError::Params(e.to_string()))
}

fn zeus_type(ty: &str) -> Result<zeus::EndpointType, BackendError> {
    zeus::EndpointType::parse(ty).map_err(|e| BackendError::Params(e.to_string()))
}

impl Backend for ZeusBackend {
    fn name(&self) -> &'static str {
        "ZEUS"
    }

    fn processing(&self, ty: &str) -> Result<Processing, BackendError> {
        Ok(match zeus_type(ty)? {
            zeus::EndpointType::ZeusBooth | zeus::EndpointType::ZeusSkCombine => {
                Processing::Recompute
            }
            _ => Processing::Own,
        })
    }

    fn admissible(&self, ep: &EndpointView, texts: &[&str]) -> Vec<bool> {
        let Ok(params) = zeus_params(&ep.params) else {
            return vec![false; texts.len()];
        };
        if ep.endpoint_type != "ZEUS_BOOTH" {
            return vec![true; texts.len()];
        }
        // refused: unparsable, bad validity proof or signature, a credential not on
        // the voter list, a replayed c1; a superseded re-vote stays admissible (the
        // booth counts a credential's last accepted ballot)
        let decision = zeus::backend::booth_filter(&params, texts);
        let mut ok = vec![true; texts.len()];
        for r in decision.rejected {
            if let Some(o) = ok.get_mut(r.index) {
                *o = false;
            }
        }
        ok
    }

    fn process(
        &self,
        ep: &EndpointView,
        secrets: &Secrets,
        inputs: &[Msg],
    ) -> Result<Processed, BackendError> {
        let params = zeus_params(&ep.params)?;
        let ty = zeus_type(&ep.endpoint_type)?;
        let texts: Vec<&str> = inputs.iter().map(|m| m.text.as_str()).collect();
        let out = zeus::backend::process(
            ty,
            &params,
            secrets.trustee.as_ref(),
            &texts,
            &mut rand_core::OsRng,
        )
        .map_err(|e| BackendError::Process(e.to_string()))?;
        Ok(Processed {
            outputs: out
                .outputs
                .into_iter()
                .map(|text| Out {
                    recipient: ep.id.clone(),
                    text,
                })
                .collect(),
            proof: out.proof,
            dropped: Vec::new(),
        })
    }

    fn verify(
        &self,
        ep: &EndpointView,
        inputs: &[Msg],
        outputs: &[Msg],
        proof: &str,
    ) -> Result<(), BackendError> {
        let params = zeus_params(&ep.params)?;
        let ty = zeus_type(&ep.endpoint_type)?;
        let ins: Vec<&str> = inputs.iter().map(|m| m.text.as_str()).collect();
        let mut sorted: Vec<&Msg> = outputs.iter().collect();
        sorted.sort_by_key(|m| m.serial);
        let outs: Vec<&str> = sorted.iter().map(|m| m.text.as_str()).collect();
        zeus::backend::verify(ty, &params, &ins, &outs, proof, &mut rand_core::OsRng)
            .map_err(|e| BackendError::Verify(format!("{}: {e}", ep.id)))
    }
}

/// The crypto parameters a contributor publishes at registration for `backend`.
pub fn peer_crypto_params(backend: &str, secrets: &Secrets, key_session: &str) -> Json {
    match backend {
        "SPHINXMIX" => json!({"mix_key": secrets.mix.as_ref().map(|m| m.public().to_hex())}),
        _ => {
            json!({"trustee_key": secrets.trustee.as_ref().map(|t| t.publish(key_session, &mut rand_core::OsRng))})
        }
    }
}
