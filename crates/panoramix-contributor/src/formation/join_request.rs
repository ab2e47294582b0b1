//! Signed join requests (seed §4.5): a registered peer asks to join a running
//! mix-net from what the mix-net publishes (its joint peer: owners and
//! description), and its owners approve (by proposing the successor that adds
//! it) or refuse.
//!
//! The newcomer opens a negotiation titled `join:<joint>` among itself and the
//! joint peer's owners and signs the text
//! `{"body": {"join_request": {"mixnet", "peer", "name", "backend",
//! "crypto_params", "description"}}, "meta": {"accept": 0}}`: the mix-net, its
//! own peer id, name, backend and published backend key, and the SHA-256 of the
//! canonical description it reviewed (terms included). An owner refuses by
//! signing `{"body": {"join_refusal": {"peer", "reason"}}, "meta": {"accept":
//! 0}}` in the same negotiation; nothing there ever closes. A request counts
//! only if its signer is the peer it names and its backend key is the one that
//! peer has registered.

use std::collections::BTreeMap;

use panoramix_core::canonical::{self, Value};
use panoramix_core::negotiation::Text;
use panoramix_core::wire::Negotiation;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::Backends;
use super::membership::{
    ChangeProposal, IgnoredSuccessor, Old, changes, contributions, description_hash,
    propose_successor, read_old,
};
use crate::api::Api;
use crate::io::{Halt, StepError};
use crate::spec::{MixnetSpec, Reconfiguration};

fn refuse<T>(why: impl Into<String>) -> Result<T, Halt> {
    Err(StepError::State(why.into()).into())
}

/// Where a join request stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum JoinState {
    /// No owner answered yet.
    Pending,
    /// An owner proposed the successor that adds the newcomer: it and the
    /// owners co-sign it.
    Proposed {
        /// The `successor:` negotiation.
        negotiation: String,
    },
    /// The successor that adds the newcomer is agreed.
    Approved {
        /// The successor's joint peer id.
        successor: String,
    },
    /// An owner refused.
    Refused {
        /// The owner.
        by: String,
        /// Its reason.
        reason: String,
    },
}

/// A join request, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoinRequest {
    /// Its `join:` negotiation.
    pub negotiation: String,
    /// The newcomer's peer id (the request's signer).
    pub peer: String,
    /// The name it registered.
    pub name: String,
    /// Its backend.
    pub backend: String,
    /// The SHA-256 of the canonical description it reviewed.
    pub description: String,
    /// The request names the backend key the newcomer has registered, and the
    /// description it reviewed is the mix-net's.
    pub valid: bool,
    /// Where it stands.
    #[serde(flatten)]
    pub state: JoinState,
}

/// A mix-net's membership: its owners and rule, the open successor proposals,
/// the closed `successor:` negotiations that are not followed, the join
/// requests, and the agreed successor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    /// The mix-net (joint peer id).
    pub mixnet: String,
    /// Its owners, in route order.
    pub owners: Vec<String>,
    /// Its reconfiguration rule (the default when the description has none).
    pub rule: Reconfiguration,
    /// Open successor proposals.
    pub proposals: Vec<ChangeProposal>,
    /// Closed `successor:` negotiations that are not followed, and why.
    pub ignored: Vec<IgnoredSuccessor>,
    /// Join requests.
    pub requests: Vec<JoinRequest>,
    /// The successor to follow, once agreed.
    pub successor: Option<String>,
}

#[derive(Deserialize)]
struct RequestBody {
    mixnet: String,
    peer: String,
    name: String,
    backend: String,
    crypto_params: Json,
    description: String,
}

/// An owner's refusal: the owner and its reason.
type Refusal = (String, String);

#[derive(Deserialize)]
struct RefusalBody {
    peer: String,
    reason: String,
}

fn text_of(body: Json) -> Result<String, StepError> {
    let body = canonical::from_json(&body).map_err(|e| StepError::State(e.to_string()))?;
    let meta = BTreeMap::from([("accept".to_owned(), Value::Int(0))]);
    Ok(Text::encode(body, meta))
}

fn body_part<T: for<'de> Deserialize<'de>>(text: &str, key: &str) -> Option<T> {
    let t = Text::parse(text).ok()?;
    serde_json::from_value(canonical::to_json(t.body.get(key)?)).ok()
}

/// The requests of one `join:` negotiation (at most one per signer: its
/// latest) with their refusals.
fn requests_in(
    api: &mut Api,
    old: &Old,
    n: &Negotiation,
) -> Result<Vec<(RequestBody, Option<Refusal>)>, Halt> {
    let contribs = contributions(api, &n.id)?;
    let mut out = Vec::new();
    for c in contribs.iter().filter(|c| c.latest) {
        let Some(r) = body_part::<RequestBody>(&c.text, "join_request") else {
            continue;
        };
        if r.peer != c.signer_key_id || r.mixnet != old.joint {
            continue;
        }
        let refusal = contribs.iter().find_map(|d| {
            let f = body_part::<RefusalBody>(&d.text, "join_refusal")?;
            (f.peer == r.peer && old.owners.contains(&d.signer_key_id))
                .then(|| (d.signer_key_id.clone(), f.reason))
        });
        out.push((r, refusal));
    }
    Ok(out)
}

/// Where each join request of `old` stands.
fn requests(
    api: &mut Api,
    old: &Old,
    proposals: &[ChangeProposal],
    successor: Option<(&str, &[String])>,
) -> Result<Vec<JoinRequest>, Halt> {
    let own_hash = description_hash(old.spec)?;
    let mut out = Vec::new();
    for n in api.negotiations(&format!("join:{}", old.joint))? {
        for (r, refusal) in requests_in(api, old, &n)? {
            let registered = api.peer_opt(&r.peer)?;
            let valid = registered.is_some_and(|p| p.crypto_params == r.crypto_params)
                && r.description == own_hash;
            let proposed = proposals
                .iter()
                .find(|p| p.refused.is_none() && p.added.contains(&r.peer));
            let state = match (refusal, successor, proposed) {
                (Some((by, reason)), _, _) => JoinState::Refused { by, reason },
                (None, Some((id, owners)), _) if owners.contains(&r.peer) => JoinState::Approved {
                    successor: id.to_owned(),
                },
                (None, _, Some(p)) => JoinState::Proposed {
                    negotiation: p.negotiation.clone(),
                },
                _ => JoinState::Pending,
            };
            out.push(JoinRequest {
                negotiation: n.id.clone(),
                peer: r.peer,
                name: r.name,
                backend: r.backend,
                description: r.description,
                valid,
                state,
            });
        }
    }
    Ok(out)
}

/// Everything about `joint`'s membership ([`Membership`]).
pub(super) fn membership(api: &mut Api, joint: &str) -> Result<Membership, Halt> {
    let (peer, spec) = read_old(api, joint)?;
    let owners = peer.owner_ids();
    let old = Old {
        joint,
        owners: &owners,
        spec: &spec,
    };
    let all = api.negotiations(&format!("successor:{joint}"))?;
    let agreed = old.agreed(&all).map(|(_, d)| (d.peer_id, d.owners));
    let (proposals, ignored) = changes(api, &old, &all)?;
    let successor = agreed.as_ref().map(|(id, o)| (id.as_str(), o.as_slice()));
    let requests = requests(api, &old, &proposals, successor)?;
    Ok(Membership {
        mixnet: joint.to_owned(),
        owners: owners.clone(),
        rule: spec.reconfiguration.unwrap_or_default(),
        proposals,
        ignored,
        requests,
        successor: agreed.map(|(id, _)| id),
    })
}

/// File this peer's join request to `joint`, whose description it reviewed
/// (`reviewed`); an earlier request that no owner refused is kept. Returns
/// the `join:` negotiation id.
pub(super) fn request_join(
    api: &mut Api,
    joint: &str,
    reviewed: &MixnetSpec,
) -> Result<String, Halt> {
    let me = api.me();
    let Some(peer) = api.peer_opt(&me)? else {
        return refuse("register this key as a peer before asking to join");
    };
    let (joint_peer, spec) = read_old(api, joint)?;
    let owners = joint_peer.owner_ids();
    if owners.contains(&me) {
        return refuse(format!("{me} is an owner of {joint} already"));
    }
    if &spec != reviewed {
        return refuse("the mix-net's description is not the one reviewed");
    }
    let old = Old {
        joint,
        owners: &owners,
        spec: &spec,
    };
    for n in api.negotiations(&format!("join:{joint}"))? {
        let mine = requests_in(api, &old, &n)?;
        if mine
            .iter()
            .any(|(r, refusal)| r.peer == me && refusal.is_none())
        {
            return Ok(n.id);
        }
    }
    let text = text_of(json!({"join_request": {
        "mixnet": joint, "peer": me, "name": peer.name, "backend": peer.crypto_backend,
        "crypto_params": peer.crypto_params, "description": description_hash(&spec)?,
    }}))?;
    let mut participants = vec![me];
    participants.extend(owners);
    let neg = api.create_negotiation(&format!("join:{joint}"), &participants)?;
    api.contribute(&neg, &text)?;
    Ok(neg)
}

/// The pending join request of `peer` to `joint`, for an owner to answer.
fn pending(api: &mut Api, joint: &str, peer: &str) -> Result<JoinRequest, Halt> {
    let m = membership(api, joint)?;
    if !m.owners.contains(&api.me()) {
        return refuse(format!(
            "only an owner of {joint} answers its join requests"
        ));
    }
    let mut found = None;
    for r in m.requests.into_iter().filter(|r| r.peer == peer) {
        if r.state == JoinState::Pending && r.valid {
            return Ok(r);
        }
        found = Some(r);
    }
    match found {
        None => refuse(format!("{peer} has no join request to {joint}")),
        Some(r) if !r.valid => refuse(format!(
            "the join request of {peer} names another backend key than the one it registered, or another description"
        )),
        Some(r) => refuse(format!(
            "the join request of {peer} is {} already",
            match r.state {
                JoinState::Pending => "pending",
                JoinState::Proposed { .. } => "proposed",
                JoinState::Approved { .. } => "approved",
                JoinState::Refused { .. } => "refused",
            }
        )),
    }
}

/// Refuse `peer`'s pending join request to `joint` for `reason` (signed).
pub(super) fn refuse_join(
    api: &mut Api,
    joint: &str,
    peer: &str,
    reason: &str,
) -> Result<(), Halt> {
    let r = pending(api, joint, peer)?;
    let text = text_of(json!({"join_refusal": {"peer": peer, "reason": reason}}))?;
    api.contribute(&r.negotiation, &text)?;
    Ok(())
}

/// Approve `peer`'s pending join request to `joint`: propose the successor
/// named `new_name` that adds it; returns the `successor:` negotiation id.
pub(super) fn approve_join(
    api: &mut Api,
    keys: &Backends,
    joint: &str,
    peer: &str,
    new_name: &str,
) -> Result<String, Halt> {
    pending(api, joint, peer)?;
    let mut owners = api.peer(joint)?.owner_ids();
    owners.push(peer.to_owned());
    propose_successor(api, keys, joint, &owners, new_name)
}
