//! The SPHINXMIX backend of the contributor protocol (feature `contributor`): a
//! gateway (joint, public INBOX, collects the last mix's output) and one mix per
//! owner (own key, peels a layer, shuffles). The backend owns the mix key and its
//! replay cache, kept for the key's whole life so that a packet replayed in a
//! later cycle is dropped. At formation ([`SphinxOwnerKeys`]) every owner must
//! have published a valid mix key.

use std::collections::HashSet;

use panoramix_core::backend::{
    Backend, BackendError, EndpointView, FormationError, JointKeys, Msg, Out, OwnerKeys, Processed,
    Processing,
};
use panoramix_core::wire::Peer;
use rand_core::CryptoRngCore;
use serde_json::{Value as Json, json};

use crate::{MixKeyPair, MixPublicKey, ReplayCache, SphinxParams, gateway_accept, process_batch};

/// Sphinx parameters from endpoint or crypto params (`BODY_LEN`, `MAX_HOPS`;
/// absent: the defaults).
pub fn sphinx_params(p: &Json) -> Result<SphinxParams, BackendError> {
    let d = SphinxParams::default();
    let get = |k: &str, dflt: usize| -> Result<usize, BackendError> {
        match &p[k] {
            Json::Null => Ok(dflt),
            v => v
                .as_u64()
                .and_then(|v| usize::try_from(v).ok())
                .ok_or_else(|| BackendError::params_msg(format!("{k} must be a positive integer"))),
        }
    };
    SphinxParams::new(
        get("MAX_HOPS", d.max_hops())?,
        get("BODY_LEN", d.body_len())?,
    )
    .map_err(|e| BackendError::params("Sphinx parameters", e))
}

/// The SPHINXMIX backend: this contributor's mix key (none: a contributor that
/// only checks) and its replay cache.
pub struct SphinxBackend {
    key: Option<MixKeyPair>,
    replay: Option<ReplayCache>,
}

impl SphinxBackend {
    /// A backend with this mix key and an empty replay cache.
    pub fn new(key: Option<MixKeyPair>) -> Self {
        SphinxBackend { key, replay: None }
    }
}

impl Backend for SphinxBackend {
    fn name(&self) -> &'static str {
        "SPHINXMIX"
    }

    fn processing(&self, ty: &str) -> Result<Processing, BackendError> {
        match ty {
            "SPHINXMIX_GATEWAY" | "SPHINXMIX_STATIC_GW" => Ok(Processing::Collect),
            "SPHINXMIX" | "SPHINXMIX_STATIC" => Ok(Processing::Own),
            other => Err(BackendError::params_msg(format!(
                "SPHINXMIX has no endpoint type {other}"
            ))),
        }
    }

    fn admissible(&self, ep: &EndpointView, texts: &[&str]) -> Vec<bool> {
        let Ok(params) = sphinx_params(&ep.params) else {
            return vec![false; texts.len()];
        };
        let out = gateway_accept(&params, texts);
        let mut ok = vec![false; texts.len()];
        for i in out.accepted {
            ok[i] = true;
        }
        ok
    }

    fn process(
        &mut self,
        ep: &EndpointView,
        inputs: &[Msg],
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Processed, BackendError> {
        let params = sphinx_params(&ep.params)?;
        let key = self
            .key
            .as_ref()
            .ok_or(BackendError::MissingSecret("Sphinx mix key"))?;
        if self
            .replay
            .as_ref()
            .is_some_and(|c| c.node_id() != key.node_id())
        {
            self.replay = None;
        }
        let cache = self
            .replay
            .get_or_insert_with(|| ReplayCache::for_node(key.node_id()));
        let out = process_batch(key, &params, cache, &Msg::texts(inputs), &mut &mut *rng)
            .map_err(|e| BackendError::process(ep, e))?;
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
        _rng: &mut dyn CryptoRngCore,
    ) -> Result<(), BackendError> {
        // A decryption mix cannot be verified without its key. What can be checked:
        // no more outputs than inputs, no output twice, no input passed through.
        let fail = |reason: String| BackendError::Verify {
            endpoint: ep.id.clone(),
            reason,
            source: None,
        };
        if outputs.len() > inputs.len() {
            return Err(fail(format!(
                "{} outputs from {} inputs",
                outputs.len(),
                inputs.len()
            )));
        }
        let mut seen = HashSet::new();
        let ins: HashSet<&str> = inputs.iter().map(|m| m.text.as_str()).collect();
        for o in outputs {
            if !seen.insert(o.text.as_str()) {
                return Err(fail("a message was output twice".into()));
            }
            if ins.contains(o.text.as_str()) {
                return Err(fail("an input was passed through unchanged".into()));
            }
        }
        Ok(())
    }

    fn crypto_params(&self, _key_session: &str, _rng: &mut dyn CryptoRngCore) -> Json {
        json!({"mix_key": self.key.as_ref().map(|m| m.public().to_hex())})
    }

    fn save_state(&self) -> Option<Vec<u8>> {
        self.replay.as_ref().map(ReplayCache::to_bytes)
    }

    fn restore_state(&mut self, bytes: &[u8]) -> Result<(), BackendError> {
        self.replay =
            Some(ReplayCache::from_bytes(bytes).map_err(|e| BackendError::State(Box::new(e)))?);
        Ok(())
    }
}

/// The SPHINXMIX part of forming a mix-net: each owner's published mix key
/// must parse; a Sphinx mix-net has no joint key.
pub struct SphinxOwnerKeys;

impl OwnerKeys for SphinxOwnerKeys {
    fn name(&self) -> &'static str {
        "SPHINXMIX"
    }

    fn joint_keys(&self, owners: &[Peer], _key_session: &str) -> Result<JointKeys, FormationError> {
        for p in owners {
            let o = &p.peer_id;
            let k = p.crypto_params["mix_key"]
                .as_str()
                .ok_or_else(|| FormationError::msg(format!("owner {o} published no mix key")))?;
            MixPublicKey::from_hex(k).map_err(|e| {
                FormationError::new(&format!("owner {o} published no valid mix key"), e)
            })?;
        }
        Ok(JointKeys::default())
    }
}
