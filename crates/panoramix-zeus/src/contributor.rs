//! The ZEUS backend of the contributor protocol (feature `contributor`): a booth
//! (joint, public INBOX, admits valid ballots), one mix per owner, one partial
//! decryption per owner, and the combination (joint). The backend owns this
//! contributor's trustee key share. At formation ([`ZeusOwnerKeys`]) the
//! owners' trustee key shares must carry valid proofs; their sum is the
//! election key.

use panoramix_core::backend::{
    Backend, BackendError, EndpointView, FormationError, JointKeys, Msg, Out, OwnerKeys, Processed,
    Processing,
};
use panoramix_core::wire::Peer;
use rand_core::CryptoRngCore;
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::Mutex;

use crate::backend::{
    BoothDecision, EndpointType, booth_check, booth_filter_known, booth_output, combine_shares,
    process, verify,
};
use crate::dkg_endpoints;
use crate::{TrusteeKey, TrusteeSecret, ZeusError, ZeusParams, combine_trustee_keys};

fn params(p: &Json) -> Result<ZeusParams, BackendError> {
    serde_json::from_value(p.clone()).map_err(|e| BackendError::params("ZEUS parameters", e))
}

fn endpoint_type(ty: &str) -> Result<EndpointType, BackendError> {
    EndpointType::parse(ty).map_err(|e| BackendError::params("ZEUS endpoint type", e))
}

/// The ZEUS backend: this contributor's trustee key share (none: a contributor
/// that only mixes and checks).
pub struct ZeusBackend {
    trustee: Option<TrusteeSecret>,
    ballots: Memo,
    shares: Memo,
}

/// Texts that passed their checks under one set of endpoint parameters, by
/// digest: an owner checks each ballot once, though the booth's admission,
/// its recomputation and the next stage's verification each run the box rule
/// over it (validity proof, signature, eligibility), and each decryption
/// share once, though the partial decryption's verification and the
/// combination both check its proof. Parameters that differ start afresh.
#[derive(Default)]
struct Memo(Mutex<Option<([u8; 32], Digests)>>);

/// SHA-256 digests.
type Digests = HashSet<[u8; 32]>;

impl Memo {
    /// Run `f` on the set of what passed under `params` (emptied when the
    /// parameters change).
    fn with<T>(&self, params: &[u8; 32], f: impl FnOnce(&mut Digests) -> T) -> T {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match &mut *m {
            Some((p, set)) if p == params => f(set),
            slot => f(&mut slot.insert((*params, HashSet::new())).1),
        }
    }

    /// Which of `ids` passed under `params`.
    fn known(&self, params: &[u8; 32], ids: &[[u8; 32]]) -> Vec<bool> {
        self.with(params, |set| ids.iter().map(|d| set.contains(d)).collect())
    }

    /// Remember the `ids` that passed under `params`.
    fn remember(&self, params: &[u8; 32], ids: &[[u8; 32]], passed: &[bool]) {
        self.with(params, |set| {
            set.extend(
                ids.iter()
                    .zip(passed)
                    .filter(|(_, ok)| **ok)
                    .map(|(d, _)| *d),
            )
        })
    }
}

fn digest(label: &[u8], text: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"panoramix/zeus/v1/ballot-memo/");
    h.update(label);
    h.update((text.len() as u64).to_le_bytes());
    h.update(text.as_bytes());
    h.finalize().into()
}

impl ZeusBackend {
    /// A backend with this trustee key share.
    pub fn new(trustee: Option<TrusteeSecret>) -> Self {
        ZeusBackend {
            trustee,
            ballots: Memo::default(),
            shares: Memo::default(),
        }
    }

    /// The booth's decision over `texts`, skipping the checks of ballots that
    /// passed them before under the same parameters.
    fn booth(&self, ep: &EndpointView, p: &ZeusParams, texts: &[&str]) -> BoothDecision {
        let params = digest(b"params", &ep.params.to_string());
        let ids: Vec<[u8; 32]> = texts.iter().map(|t| digest(b"ballot", t)).collect();
        let known = self.ballots.known(&params, &ids);
        let (decision, passed) = booth_filter_known(p, texts, &known);
        self.ballots.remember(&params, &ids, &passed);
        decision
    }

    /// Digests of the parameters (the decryption's session and trustees) and
    /// of each share text.
    fn share_ids(p: &ZeusParams, texts: &[&str]) -> ([u8; 32], Vec<[u8; 32]>) {
        let params =
            serde_json::to_string(&(&p.session_id, &p.trustees, &p.dkg)).unwrap_or_default();
        let params = digest(b"decryption", &params);
        (params, texts.iter().map(|t| digest(b"share", t)).collect())
    }
}

impl Backend for ZeusBackend {
    fn name(&self) -> &'static str {
        "ZEUS"
    }

    fn processing(&self, ty: &str) -> Result<Processing, BackendError> {
        if dkg_endpoints::is_dkg_type(ty) {
            return Ok(Processing::Recompute);
        }
        Ok(match endpoint_type(ty)? {
            EndpointType::ZeusBooth | EndpointType::ZeusSkCombine => Processing::Recompute,
            _ => Processing::Own,
        })
    }

    fn admissible(&self, ep: &EndpointView, texts: &[&str]) -> Vec<bool> {
        if dkg_endpoints::is_dkg_type(&ep.endpoint_type) {
            return dkg_endpoints::admissible(&ep.endpoint_type, &ep.params, texts);
        }
        let Ok(params) = params(&ep.params) else {
            return vec![false; texts.len()];
        };
        if ep.endpoint_type != "ZEUS_BOOTH" {
            return vec![true; texts.len()];
        }
        // refused: unparsable, bad validity proof or signature, a credential not on
        // the voter list, a replayed c1; a superseded re-vote stays admissible (the
        // booth counts a credential's last accepted ballot)
        let decision = self.booth(ep, &params, texts);
        let mut ok = vec![true; texts.len()];
        for r in decision.rejected {
            if let Some(o) = ok.get_mut(r.index) {
                *o = false;
            }
        }
        ok
    }

    fn process(
        &mut self,
        ep: &EndpointView,
        inputs: &[Msg],
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Processed, BackendError> {
        let texts = Msg::texts(inputs);
        if dkg_endpoints::is_dkg_type(&ep.endpoint_type) {
            let outputs = dkg_endpoints::process(
                &ep.endpoint_type,
                &ep.params,
                self.trustee.as_ref(),
                &texts,
                &mut &mut *rng,
            )
            .map_err(|e| BackendError::process(ep, e))?;
            return Ok(processed(ep, outputs, String::new()));
        }
        let p = params(&ep.params)?;
        let ty = endpoint_type(&ep.endpoint_type)?;
        if ty.needs_secret() && self.trustee.is_none() {
            return Err(BackendError::MissingSecret("Zeus trustee key share"));
        }
        // threshold: decrypt with the share the key generation gave this trustee
        if ty == EndpointType::ZeusBooth {
            let d = self.booth(ep, &p, &texts);
            let out = booth_output(&d).map_err(|e| BackendError::process(ep, e))?;
            return Ok(processed(ep, out.outputs, out.proof));
        }
        if ty == EndpointType::ZeusSkCombine {
            let (params, ids) = Self::share_ids(&p, &texts);
            let known = self.shares.known(&params, &ids);
            let outputs = combine_shares(&p, &texts, &known, &mut &mut *rng)
                .map_err(|e| BackendError::process(ep, ZeusError::from(e)))?;
            return Ok(processed(ep, outputs, String::new()));
        }
        let share = match (&p.dkg, &self.trustee) {
            (Some(_), Some(t)) if ty.needs_secret() => Some(
                dkg_endpoints::threshold_share(&p, t, &mut &mut *rng)
                    .map_err(|e| BackendError::process(ep, e))?,
            ),
            _ => None,
        };
        let secret = share.as_ref().or(self.trustee.as_ref());
        let out = process(ty, &p, secret, &texts, &mut &mut *rng)
            .map_err(|e| BackendError::process(ep, e))?;
        Ok(processed(ep, out.outputs, out.proof))
    }

    fn verify(
        &self,
        ep: &EndpointView,
        inputs: &[Msg],
        outputs: &[Msg],
        proof: &str,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), BackendError> {
        let ins = Msg::texts(inputs);
        let mut sorted: Vec<&Msg> = outputs.iter().collect();
        sorted.sort_by_key(|m| m.serial);
        let outs: Vec<&str> = sorted.iter().map(|m| m.text.as_str()).collect();
        if dkg_endpoints::is_dkg_type(&ep.endpoint_type) {
            // a function of the input: recompute and compare
            return dkg_endpoints::process(
                &ep.endpoint_type,
                &ep.params,
                None,
                &ins,
                &mut &mut *rng,
            )
            .map_err(|e| BackendError::process(ep, e))
            .and_then(|exp| {
                if exp == outs {
                    Ok(())
                } else {
                    Err(BackendError::Verify {
                        endpoint: ep.id.clone(),
                        reason: "the output is not what the input gives".into(),
                        source: None,
                    })
                }
            });
        }
        let p = params(&ep.params)?;
        let ty = endpoint_type(&ep.endpoint_type)?;
        let checked = if ty == EndpointType::ZeusBooth {
            booth_check(&self.booth(ep, &p, &ins), &outs)
        } else {
            let v = verify(ty, &p, &ins, &outs, proof, &mut &mut *rng);
            if v.is_ok() && ty == EndpointType::ZeusSkPartialDecrypt {
                // every share's proof verified: the combination need not again
                let (params, ids) = Self::share_ids(&p, &outs);
                self.shares.remember(&params, &ids, &vec![true; ids.len()]);
            }
            v
        };
        checked.map_err(|e| BackendError::Verify {
            endpoint: ep.id.clone(),
            // which check failed is the source's message (not repeated here)
            reason: "the output and proof do not verify".into(),
            source: Some(Box::new(e)),
        })
    }

    fn crypto_params(&self, key_session: &str, rng: &mut dyn CryptoRngCore) -> Json {
        json!({"trustee_key": self.trustee.as_ref().map(|t| t.publish(key_session, &mut &mut *rng))})
    }
}

fn processed(ep: &EndpointView, outputs: Vec<String>, proof: String) -> Processed {
    Processed {
        outputs: outputs
            .into_iter()
            .map(|text| Out {
                recipient: ep.id.clone(),
                text,
            })
            .collect(),
        proof,
        dropped: Vec::new(),
    }
}

/// The ZEUS part of forming a mix-net: each owner's published trustee key
/// share must carry a valid proof of knowledge; their sum is the election key;
/// the election (answers, voter list, rounds) must make valid booth
/// parameters.
pub struct ZeusOwnerKeys;

impl OwnerKeys for ZeusOwnerKeys {
    fn name(&self) -> &'static str {
        "ZEUS"
    }

    fn joint_keys(&self, owners: &[Peer], key_session: &str) -> Result<JointKeys, FormationError> {
        let mut keys = Vec::with_capacity(owners.len());
        for p in owners {
            let k: TrusteeKey = serde_json::from_value(p.crypto_params["trustee_key"].clone())
                .map_err(|e| {
                    let what = format!("owner {} published no trustee key", p.peer_id);
                    FormationError::new(&what, e)
                })?;
            keys.push(k);
        }
        let pk = combine_trustee_keys(key_session, &keys)
            .map_err(|e| FormationError::new("trustee keys do not verify", e))?;
        let trustees = keys
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<_, _>>()
            .map_err(|e| FormationError::new("trustee keys", e))?;
        Ok(JointKeys {
            public_key: Some(pk.to_hex()),
            trustees,
        })
    }

    fn check_entry_params(&self, params: &Json) -> Result<(), FormationError> {
        let params: ZeusParams = serde_json::from_value(params.clone())
            .map_err(|e| FormationError::new("the election", e))?;
        params
            .check_definition()
            .map_err(|e| FormationError::new("the election", e))?;
        Ok(())
    }
}

#[cfg(test)]
#[path = "contributor_tests.rs"]
mod tests;
