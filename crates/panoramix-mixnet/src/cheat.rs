//! Fault injection: an agent that misbehaves on purpose, so that tests can check
//! that the honest agents catch it (`tests/mixnet_faults.rs`).
//!
//! Compiled only with the `test-hooks` feature, which only the root package's
//! dev-dependency enables: `cargo build` of the `panoramix` command leaves it out
//! (`tests/test_hooks.rs` checks that the binary has no [`CHEAT_MARKER`] and that
//! `cargo tree` resolves the feature off for it).

use crate::backend::{Backend, BackendError, EndpointView, Msg, Processed, Processing};
use panoramix_contributor::Contributor;
use rand_core::CryptoRngCore;
use serde_json::Value as Json;

/// How an agent misbehaves (for tests of the honest agents' checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cheat {
    /// Drop one output.
    Drop,
    /// Output one message twice.
    Duplicate,
    /// Replace one output with a copy of another input's processing... or garbage.
    Replace,
    /// Attach a proof for different data.
    ForgeProof,
    /// Threshold key generation: deal as if one other trustee's key were a
    /// stranger's, so that trustee's share does not decrypt; the dealing is
    /// still signed (its recipient's complaint must disqualify the dealer).
    BadDealing,
    /// Threshold tally: publish a partial decryption whose first factor does
    /// not match its proof (it must be skipped and another trustee's used).
    BadDecryption,
}

/// Logged by a cheating agent; present in a binary only if this module is.
pub const CHEAT_MARKER: &str = "panoramix-mixnet test hook: this agent cheats on purpose";

/// `p` as a cheating agent would upload it.
pub(crate) fn apply(cheat: Cheat, mut p: Processed, inputs: &[Msg]) -> Processed {
    if p.outputs.len() < 2 {
        return p;
    }
    tracing::warn!("{CHEAT_MARKER}: {cheat:?}");
    match cheat {
        Cheat::Drop => {
            p.outputs.pop();
        }
        Cheat::Duplicate => {
            let first = p.outputs[0].clone();
            let last = p.outputs.len() - 1;
            p.outputs[last] = first;
        }
        Cheat::Replace => {
            // replace one output by an input, or by another valid-looking output
            let last = p.outputs.len() - 1;
            p.outputs[last].text = inputs.first().map(|m| m.text.clone()).unwrap_or_default();
        }
        Cheat::ForgeProof => {
            p.outputs.swap(0, 1);
        }
        // the key generation's and the tally's cheats act in `process`
        Cheat::BadDealing | Cheat::BadDecryption => {}
    }
    p
}

/// A backend that cheats: it processes honestly, then alters the output.
struct Cheating {
    inner: Box<dyn Backend>,
    cheat: Cheat,
}

impl Backend for Cheating {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn processing(&self, ty: &str) -> Result<Processing, BackendError> {
        self.inner.processing(ty)
    }
    fn admissible(&self, ep: &EndpointView, texts: &[&str]) -> Vec<bool> {
        self.inner.admissible(ep, texts)
    }
    fn process(
        &mut self,
        ep: &EndpointView,
        inputs: &[Msg],
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Processed, BackendError> {
        match self.cheat {
            Cheat::BadDealing if ep.endpoint_type == "ZEUS_DKG_DEAL" => {
                return bad_dealing(&mut *self.inner, ep, rng);
            }
            Cheat::BadDealing | Cheat::BadDecryption => {
                let p = self.inner.process(ep, inputs, rng)?;
                return Ok(if ep.endpoint_type == "ZEUS_SK_PARTIAL_DECRYPT" {
                    bad_decryption(p)
                } else {
                    p
                });
            }
            _ => {}
        }
        let p = self.inner.process(ep, inputs, rng)?;
        // only what this contributor alone processes: the recomputed joint
        // endpoints are checked by every owner anyway
        Ok(match self.inner.processing(&ep.endpoint_type)? {
            Processing::Own => apply(self.cheat, p, inputs),
            _ => p,
        })
    }
    fn verify(
        &self,
        ep: &EndpointView,
        inputs: &[Msg],
        outputs: &[Msg],
        proof: &str,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), BackendError> {
        self.inner.verify(ep, inputs, outputs, proof, rng)
    }
    fn crypto_params(&self, key_session: &str, rng: &mut dyn CryptoRngCore) -> Json {
        self.inner.crypto_params(key_session, rng)
    }
    fn save_state(&self) -> Option<Vec<u8>> {
        self.inner.save_state()
    }
    fn restore_state(&mut self, bytes: &[u8]) -> Result<(), BackendError> {
        self.inner.restore_state(bytes)
    }
}

/// A dealing made with one other trustee's key record replaced by a
/// stranger's (the first trustee for which the dealer can still deal).
fn bad_dealing(
    inner: &mut dyn Backend,
    ep: &EndpointView,
    rng: &mut dyn CryptoRngCore,
) -> Result<Processed, BackendError> {
    tracing::warn!("{CHEAT_MARKER}: BadDealing");
    let n = ep.params["trustees"].as_array().map_or(0, Vec::len);
    let session = ep.params["trustee_key_session"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut last = None;
    for r in 0..n {
        let stranger = panoramix_zeus::TrusteeSecret::generate(&mut &mut *rng)
            .publish(&session, &mut &mut *rng);
        let mut view = ep.clone();
        view.params["trustees"][r] = serde_json::to_value(stranger).unwrap_or_default();
        match inner.process(&view, &[], rng) {
            Ok(p) => return Ok(p),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| BackendError::params_msg("no trustees")))
}

/// The partial decryption with its first share's factor replaced by its
/// proof's commitment (a valid point the proof does not fit).
fn bad_decryption(mut p: Processed) -> Processed {
    tracing::warn!("{CHEAT_MARKER}: BadDecryption");
    if let Some(o) = p.outputs.first_mut()
        && let Ok(mut sh) = panoramix_zeus::DecryptionShare::from_text(&o.text)
    {
        sh.factor = sh.proof.a;
        o.text = sh.to_text();
    }
    p
}

/// Make `machine`'s backend cheat (`None`: leave it as it is).
pub(crate) fn set(machine: &mut Contributor, cheat: Option<Cheat>) {
    if let Some(cheat) = cheat {
        machine.wrap_backend(|inner| Box::new(Cheating { inner, cheat }));
    }
}
