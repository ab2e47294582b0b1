//! Changing a running mix-net's owners (seed §2.2.2 and §4.5): the
//! reconfiguration rule agreed with the description, successor proposals by
//! any owner, and the checks everyone following the chain makes.
//!
//! A successor is a joint peer agreed in a negotiation titled
//! `successor:<old joint>`. Its proposer is an owner of the old joint peer; its
//! participants are the successor's owners (and, under the `all` rule, every
//! old owner): a removed owner is not asked to sign, and sees the proposal as
//! a removal ([`ChangeProposal::removes`]). Anyone may open a negotiation with
//! that title, so a closed one counts only if the signatures the controller
//! recorded verify, over its text and id, and satisfy the old description's
//! [`Reconfiguration`] rule ([`check_rule`]); the first closed one that does,
//! in closing order, is the successor. Join requests are in
//! [`super::join_request`].

use panoramix_core::canonical;
use panoramix_core::identity::{PublicKey, joint_key_data, joint_peer_id};
use panoramix_core::negotiation::{ContributionLabel, Text, verify_contribution};
use panoramix_core::wire::{Contribution, Negotiation, NegotiationStatus, Peer};
use serde::{Deserialize, Serialize};

use super::steps::{JointData, complete_spec, propose_joint_peer};
use super::{Backends, SuccessorProposal};
use crate::api::{Action, Api, pct};
use crate::io::{Halt, StepError};
use crate::spec::{MixnetSpec, Reconfiguration, ReconfigurationSigners};

const PEERS: &str = "/panoramix/peers/";

fn refuse<T>(why: impl Into<String>) -> Result<T, Halt> {
    Err(StepError::State(why.into()).into())
}

pub(super) fn contributions(api: &mut Api, negotiation: &str) -> Result<Vec<Contribution>, Halt> {
    api.get_all(&format!(
        "/panoramix/contributions/?negotiation={}",
        pct(negotiation)
    ))
}

/// Whether `old` owners may become `new` under `rule`, signatures aside:
/// `Err` says why not (no owner left; under `remaining`, fewer old owners
/// remain than [`Reconfiguration::min_remaining`]).
pub fn check_change(rule: &Reconfiguration, old: &[String], new: &[String]) -> Result<(), String> {
    if new.is_empty() {
        return Err("a mix-net needs at least one owner".into());
    }
    if rule.signers == ReconfigurationSigners::Remaining {
        let remaining = old.iter().filter(|o| new.contains(o)).count();
        let need = rule.min_remaining(old.len());
        if remaining < need {
            return Err(format!(
                "only {remaining} of the {} owners would remain; the mix-net's reconfiguration rule needs {need} (a strict majority at least)",
                old.len()
            ));
        }
    }
    Ok(())
}

/// Whether a successor owned by `new` and signed by `signers` (verified key
/// ids) satisfies `rule` for a mix-net owned by `old`: every new owner signed,
/// [`check_change`] holds, and under `all` every old owner signed too.
pub fn check_rule(
    rule: &Reconfiguration,
    old: &[String],
    new: &[String],
    signers: &[String],
) -> Result<(), String> {
    check_change(rule, old, new)?;
    let missing = |of: &[String]| of.iter().find(|o| !signers.contains(o)).cloned();
    if let Some(o) = missing(new) {
        return Err(format!("owner {o} of the successor did not sign it"));
    }
    if rule.signers == ReconfigurationSigners::All
        && let Some(o) = missing(old)
    {
        return Err(format!(
            "owner {o} did not sign, and the mix-net's rule needs every owner's signature"
        ));
    }
    Ok(())
}

/// Who signs a successor proposal: its owners, and every old owner under `all`.
pub fn participants(rule: &Reconfiguration, old: &[String], new: &[String]) -> Vec<String> {
    let mut p = new.to_vec();
    if rule.signers == ReconfigurationSigners::All {
        for o in old {
            if !p.contains(o) {
                p.push(o.clone());
            }
        }
    }
    p
}

/// The signers of a closed negotiation whose signatures over its text verify
/// with the key they name.
fn verified_signers(n: &Negotiation, text: &str) -> Vec<String> {
    let verifies = |s: &panoramix_core::wire::Signing| {
        PublicKey::from_key_data(&s.key_data).is_ok_and(|pk| {
            pk.key_id() == s.signer_key_id
                && [ContributionLabel::Bound, ContributionLabel::Legacy]
                    .into_iter()
                    .any(|l| verify_contribution(&pk, l, &n.id, text, &s.signature).is_ok())
        })
    };
    let mut out: Vec<String> = n
        .signings
        .iter()
        .filter(|s| verifies(s))
        .map(|s| s.signer_key_id.clone())
        .collect();
    out.dedup();
    out
}

/// A mix-net as its successors are judged: its id, owners and description.
pub(crate) struct Old<'a> {
    pub(crate) joint: &'a str,
    pub(crate) owners: &'a [String],
    pub(crate) spec: &'a MixnetSpec,
}

impl Old<'_> {
    fn rule(&self) -> Reconfiguration {
        self.spec.reconfiguration.unwrap_or_default()
    }

    /// The joint peer a closed `successor:` negotiation agreed on, if it is
    /// one to follow; `Err` says why not.
    pub(super) fn judge(&self, n: &Negotiation) -> Result<JointData, String> {
        let (NegotiationStatus::Done, Some(text)) = (n.status, &n.text) else {
            return Err("not agreed".into());
        };
        let data = Text::parse(text)
            .map_err(|e| e.to_string())
            .and_then(|t| JointData::of(&t).map_err(|e| e.to_string()))?;
        if data.crypto_params.previous.as_deref() != Some(self.joint) {
            return Err("its description does not name this mix-net as its predecessor".into());
        }
        let key = joint_key_data(&data.crypto_params.name, &data.owners);
        if data.key_data != key || joint_peer_id(&key).as_deref() != Some(&data.peer_id) {
            return Err("its joint key does not recompute".into());
        }
        check_rule(
            &self.rule(),
            self.owners,
            &data.owners,
            &verified_signers(n, text),
        )?;
        Ok(data)
    }

    /// The successor to follow among the `successor:` negotiations `all`: the
    /// first, in closing order, that [`Old::judge`] accepts.
    pub(super) fn agreed<'n>(
        &self,
        all: &'n [Negotiation],
    ) -> Option<(&'n Negotiation, JointData)> {
        let mut done: Vec<&Negotiation> = all
            .iter()
            .filter(|n| n.status == NegotiationStatus::Done)
            .collect();
        done.sort_by(|a, b| (&a.timestamp, &a.id).cmp(&(&b.timestamp, &b.id)));
        done.into_iter()
            .find_map(|n| self.judge(n).ok().map(|d| (n, d)))
    }

    /// [`Old::agreed`] as the successor's negotiation, id and owners.
    pub(crate) fn agreed_peer<'n>(
        &self,
        all: &'n [Negotiation],
    ) -> Option<(&'n Negotiation, String, Vec<String>)> {
        self.agreed(all).map(|(n, d)| (n, d.peer_id, d.owners))
    }
}

/// Seconds since the epoch of a controller timestamp
/// `YYYY-MM-DDTHH:MM:SS[.ffffff]` (UTC).
pub fn epoch_secs(ts: &str) -> Option<i64> {
    let (date, time) = ts.split_once('T')?;
    let mut d = date.splitn(3, '-').map(str::parse::<i64>);
    let (y, m, d) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let time = time.split('.').next()?;
    let mut t = time.splitn(3, ':').map(str::parse::<i64>);
    let (hh, mm, ss) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // days from the civil date (proleptic Gregorian), 1970-01-01 = 0
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// A mix-net's owners and description, read from its joint peer.
pub(super) fn read_old(api: &mut Api, joint: &str) -> Result<(Peer, MixnetSpec), Halt> {
    let peer = api.peer(joint)?;
    let spec: MixnetSpec = serde_json::from_value(peer.crypto_params.clone()).map_err(|e| {
        StepError::State(format!(
            "{joint}'s crypto_params are not a mix-net description: {e}"
        ))
    })?;
    Ok((peer, spec))
}

/// The successor of `old_joint` to follow, with its negotiation.
pub(super) fn agreed(
    api: &mut Api,
    old_joint: &str,
) -> Result<Option<(Negotiation, JointData)>, Halt> {
    let (peer, spec) = read_old(api, old_joint)?;
    let owners = peer.owner_ids();
    let old = Old {
        joint: old_joint,
        owners: &owners,
        spec: &spec,
    };
    let all = api.negotiations(&format!("successor:{old_joint}"))?;
    Ok(old.agreed(&all).map(|(n, d)| (n.clone(), d)))
}

/// Create the successor of `old_joint` to follow, if this identity is one of
/// its owners and nobody did yet; its id once agreed.
pub(super) fn apply_agreed_successor(
    api: &mut Api,
    old_joint: &str,
) -> Result<Option<String>, Halt> {
    let Some((n, data)) = agreed(api, old_joint)? else {
        return Ok(None);
    };
    let id = data.peer_id;
    if api.peer_opt(&id)?.is_some() || !data.owners.contains(&api.me()) {
        return Ok(Some(id));
    }
    let (Some(text), Some(consensus)) = (&n.text, &n.consensus) else {
        return Ok(Some(id));
    };
    let text = Text::parse(text).map_err(|e| StepError::State(e.to_string()))?;
    let action = Action::from_part(&text.body, "POST", PEERS);
    match api.apply(&action, consensus, None)? {
        Ok(_) => Ok(Some(id)),
        Err(r) if r.status == 409 => Ok(Some(id)),
        Err(r) => Err(StepError::api(&action.method, &action.path, &r).into()),
    }
}

pub(super) fn agreed_successor(
    api: &mut Api,
    old_joint: &str,
) -> Result<Option<(String, Vec<String>)>, Halt> {
    Ok(agreed(api, old_joint)?.map(|(_, d)| (d.peer_id, d.owners)))
}

pub(super) fn current(api: &mut Api, joint: &str) -> Result<String, Halt> {
    let mut j = joint.to_owned();
    for _ in 0..64 {
        let Some(next) = apply_agreed_successor(api, &j)? else {
            break;
        };
        if api.peer_opt(&next)?.is_none() {
            break;
        }
        j = next;
    }
    Ok(j)
}

/// Propose a successor of `old_joint` named `new_name` owned by `new_owners`
/// (any owner may); returns the negotiation id.
pub(super) fn propose_successor(
    api: &mut Api,
    keys: &Backends,
    old_joint: &str,
    new_owners: &[String],
    new_name: &str,
) -> Result<String, Halt> {
    let (old, mut spec) = read_old(api, old_joint)?;
    let old_owners = old.owner_ids();
    if !old_owners.contains(&api.me()) {
        return refuse(format!(
            "only an owner of {old_joint} proposes its successor"
        ));
    }
    let rule = spec.reconfiguration.unwrap_or_default();
    check_change(&rule, &old_owners, new_owners).map_err(StepError::State)?;
    spec.name = new_name.to_owned();
    spec.previous = Some(old_joint.to_owned());
    let spec = complete_spec(api, keys, &spec, new_owners)?;
    let participants = participants(&rule, &old_owners, new_owners);
    let title = format!("successor:{old_joint}");
    propose_joint_peer(api, &title, &participants, &spec, new_owners)
}

/// What a successor proposal asks, checked: `None` when it is not one for
/// this identity to sign (not a participant, signed already, no text yet).
fn review_one(
    api: &mut Api,
    keys: &Backends,
    old: &Old,
    n: &Negotiation,
) -> Result<Option<SuccessorProposal>, Halt> {
    let me = api.me();
    if n.status != NegotiationStatus::Open
        || !n.participants.as_ref().is_some_and(|p| p.contains(&me))
    {
        return Ok(None);
    }
    let contribs = contributions(api, &n.id)?;
    if contribs.iter().any(|c| c.signer_key_id == me) {
        return Ok(None);
    }
    let Some(first) = contribs.first() else {
        return Ok(None);
    };
    if !old.owners.contains(&first.signer_key_id) {
        return refuse("the successor is proposed by a key that is not an owner");
    }
    let text = Text::parse(&first.text).map_err(|e| StepError::State(e.to_string()))?;
    let data = JointData::of(&text)?;
    check_change(&old.rule(), old.owners, &data.owners).map_err(StepError::State)?;
    let needed = participants(&old.rule(), old.owners, &data.owners);
    if n.participants
        .as_ref()
        .is_none_or(|p| needed.iter().any(|o| !p.contains(o)))
    {
        return refuse("the successor proposal leaves out a signer the rule needs");
    }
    let got = data.crypto_params;
    let mut expected = old.spec.clone();
    expected.name = got.name.clone();
    expected.previous = Some(old.joint.to_owned());
    let expected = complete_spec(api, keys, &expected, &data.owners)?;
    if got != expected {
        return refuse("the successor changes more than the owners");
    }
    let key = joint_key_data(&got.name, &data.owners);
    let Some(successor) = joint_peer_id(&key).filter(|_| data.key_data == key) else {
        return refuse("the successor's joint key does not recompute");
    };
    Ok(Some(SuccessorProposal {
        negotiation: n.id.clone(),
        text: first.text.clone(),
        owners: data.owners,
        successor,
    }))
}

/// The first open successor proposal this identity has to sign that checks
/// out; when none does but one was refused, why.
pub(super) fn review_successor(
    api: &mut Api,
    keys: &Backends,
    old_joint: &str,
) -> Result<Option<SuccessorProposal>, Halt> {
    let (peer, spec) = read_old(api, old_joint)?;
    let owners = peer.owner_ids();
    let old = Old {
        joint: old_joint,
        owners: &owners,
        spec: &spec,
    };
    let mut refused = None;
    for n in api.negotiations(&format!("successor:{old_joint}"))? {
        match review_one(api, keys, &old, &n) {
            Ok(Some(p)) => return Ok(Some(p)),
            Ok(None) => {}
            Err(Halt::Error(e @ StepError::State(_))) => {
                refused.get_or_insert(e);
            }
            Err(other) => return Err(other),
        }
    }
    match refused {
        Some(e) => Err(e.into()),
        None => Ok(None),
    }
}

/// An open successor proposal, as an owner (or the node it removes) sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeProposal {
    /// The `successor:` negotiation.
    pub negotiation: String,
    /// The owner who proposed it.
    pub proposer: String,
    /// The successor's name.
    pub name: String,
    /// The successor's joint peer id.
    pub successor: String,
    /// The successor's owners, in route order.
    pub owners: Vec<String>,
    /// Who it adds.
    pub added: Vec<String>,
    /// Who it removes (they are not asked to sign).
    pub removed: Vec<String>,
    /// The participants who signed the proposed text.
    pub signed: Vec<String>,
    /// The participants yet to sign it.
    pub waiting: Vec<String>,
    /// Why it cannot take effect even once signed (the rule), if so.
    pub refused: Option<String>,
}

impl ChangeProposal {
    /// Whether it removes `peer`.
    pub fn removes(&self, peer: &str) -> bool {
        self.removed.iter().any(|r| r == peer)
    }
}

/// A closed `successor:` negotiation that is not followed, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IgnoredSuccessor {
    /// The negotiation.
    pub negotiation: String,
    /// Why it is not followed.
    pub reason: String,
}

/// The open proposals and the ignored closed negotiations for a successor of
/// `old`.
pub(super) fn changes(
    api: &mut Api,
    old: &Old,
    all: &[Negotiation],
) -> Result<(Vec<ChangeProposal>, Vec<IgnoredSuccessor>), Halt> {
    let (mut open, mut ignored) = (Vec::new(), Vec::new());
    let followed = old.agreed(all).map(|(n, _)| n.id.clone());
    for n in all {
        if n.status == NegotiationStatus::Done {
            if followed.as_ref() != Some(&n.id) {
                let reason = old
                    .judge(n)
                    .err()
                    .unwrap_or_else(|| "another successor was agreed before it".into());
                ignored.push(IgnoredSuccessor {
                    negotiation: n.id.clone(),
                    reason,
                });
            }
            continue;
        }
        let contribs = contributions(api, &n.id)?;
        let Some(first) = contribs.first() else {
            continue;
        };
        let Ok(data) = Text::parse(&first.text)
            .map_err(|e| StepError::State(e.to_string()))
            .and_then(|t| JointData::of(&t))
        else {
            continue;
        };
        let participants = n.participants.clone().unwrap_or_default();
        let signed: Vec<String> = participants
            .iter()
            .filter(|p| {
                contribs
                    .iter()
                    .any(|c| &c.signer_key_id == *p && c.latest && c.text == first.text)
            })
            .cloned()
            .collect();
        let mut refused = check_change(&old.rule(), old.owners, &data.owners).err();
        if !old.owners.contains(&first.signer_key_id) {
            refused = Some("it is not proposed by an owner".into());
        }
        open.push(ChangeProposal {
            negotiation: n.id.clone(),
            proposer: first.signer_key_id.clone(),
            name: data.crypto_params.name.clone(),
            successor: data.peer_id.clone(),
            added: data
                .owners
                .iter()
                .filter(|o| !old.owners.contains(o))
                .cloned()
                .collect(),
            removed: old
                .owners
                .iter()
                .filter(|o| !data.owners.contains(o))
                .cloned()
                .collect(),
            waiting: participants
                .iter()
                .filter(|p| !signed.contains(p))
                .cloned()
                .collect(),
            owners: data.owners,
            signed,
            refused,
        });
    }
    Ok((open, ignored))
}

/// The JSON of a description, for hashing what a newcomer reviewed.
pub(super) fn description_hash(spec: &MixnetSpec) -> Result<String, StepError> {
    let v = canonical::from_json(&serde_json::json!(spec))
        .map_err(|e| StepError::State(e.to_string()))?;
    Ok(panoramix_core::identity::sha256_hex(&v.encode()))
}
