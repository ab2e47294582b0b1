//! Setting a mix-net up (the wizards' create and join, seed appendix A):
//!
//! 1. Every contributor registers its key as a peer, publishing its backend key
//!    (Sphinx mix key, or Zeus trustee key share with its proof of knowledge).
//! 2. The coordinator opens a negotiation titled `mixnet:<name>` and proposes the
//!    mix-net description ([`MixnetSpec`]) with the hashes of N invitation secrets;
//!    it hands out invitations `<negotiation_id>|<invitation_id>`.
//! 3. A joiner reviews the proposal (backend, parameters, terms) and answers with the
//!    same body and its invitation id. A signer without a valid, unused invitation
//!    aborts the setup.
//! 4. When every invitation is used, the coordinator proposes the joint peer in a
//!    second negotiation titled `joint:<name>`, restricted to the owners; every owner
//!    checks it (its own membership, the description it reviewed, the joint key and,
//!    for Zeus, the election key recomputed from the owners' verified key shares)
//!    and co-signs; the coordinator creates the joint peer.

use crate::backend::{Secrets, peer_crypto_params};
use crate::mixnet::{MixnetSpec, TRUSTEE_KEY_SESSION};
use panoramix_client::{Client, ClientError};
use panoramix_core::canonical::{self, Value};
use panoramix_core::identity::sha256_hex;
use panoramix_core::negotiation::Text;
use panoramix_core::wire::{NegotiationStatus, Peer};
use rand_core::RngCore;
use serde_json::json;
use std::collections::BTreeMap;

/// Setup errors.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The controller said no.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// Something is wrong with the proposal or the invitations.
    #[error("{0}")]
    Refused(String),
}

/// Register `client` as a contributor peer publishing its backend key.
pub fn register(
    client: &Client,
    name: &str,
    backend: &str,
    secrets: &Secrets,
) -> Result<Peer, SetupError> {
    if let Ok(p) = client.peer(&client.id()) {
        return Ok(p);
    }
    let params = peer_crypto_params(backend, secrets, TRUSTEE_KEY_SESSION);
    Ok(client.register(name, Some("contributor"), backend, params)?)
}

/// Parse an invitation `<negotiation_id>|<invitation_id>`.
pub fn parse_invitation(s: &str) -> Result<(String, String), SetupError> {
    let (n, i) = s.trim().split_once('|').ok_or_else(|| {
        SetupError::Refused("an invitation looks like <negotiation_id>|<invitation_id>".into())
    })?;
    if n.is_empty() || i.is_empty() {
        return Err(SetupError::Refused("empty invitation part".into()));
    }
    Ok((n.to_owned(), i.to_owned()))
}

fn proposal_text(spec: &MixnetSpec, meta: BTreeMap<String, Value>) -> Result<String, SetupError> {
    let body =
        canonical::from_json(&json!(spec)).map_err(|e| SetupError::Refused(e.to_string()))?;
    Ok(Text::encode(body, meta))
}

/// Step 2: propose the mix-net and create `n` invitations.
pub fn create(
    client: &Client,
    spec: &MixnetSpec,
    n: usize,
) -> Result<(String, Vec<String>), SetupError> {
    check_description_size(spec)?;
    let neg = client.create_negotiation(&format!("mixnet:{}", spec.name), None)?;
    let mut invitations = Vec::new();
    let mut hashes = Vec::new();
    for _ in 0..n {
        let mut b = [0u8; 16];
        rand_core::OsRng.fill_bytes(&mut b);
        let inv = hex::encode(b);
        hashes.push(Value::str(sha256_hex(inv.as_bytes())));
        invitations.push(format!("{neg}|{inv}"));
    }
    let mut meta = BTreeMap::new();
    meta.insert("accept".into(), Value::Int(0));
    meta.insert("invitations".into(), Value::List(hashes));
    client.contribute(&neg, &proposal_text(spec, meta)?)?;
    Ok((neg, invitations))
}

/// The proposal behind an invitation, for the joiner to review.
pub fn proposal(client: &Client, invitation: &str) -> Result<(MixnetSpec, String), SetupError> {
    let (neg, _) = parse_invitation(invitation)?;
    let contribs = client.contributions(&neg)?;
    let first = contribs
        .first()
        .ok_or_else(|| SetupError::Refused("the negotiation has no proposal".into()))?;
    let text = Text::parse(&first.text).map_err(|e| SetupError::Refused(e.to_string()))?;
    let spec: MixnetSpec = serde_json::from_value(canonical::to_json(&text.body))
        .map_err(|e| SetupError::Refused(format!("not a mix-net proposal: {e}")))?;
    Ok((spec, first.signer_key_id.clone()))
}

/// Step 3: answer the proposal with the invitation.
pub fn join(client: &Client, invitation: &str, spec: &MixnetSpec) -> Result<(), SetupError> {
    let (neg, inv) = parse_invitation(invitation)?;
    let mut meta = BTreeMap::new();
    meta.insert("accept".into(), Value::Int(0));
    meta.insert("invitation_id".into(), Value::str(inv));
    client.contribute(&neg, &proposal_text(spec, meta)?)?;
    Ok(())
}

/// Step 4 for the coordinator: once every invitation is used, propose the joint
/// peer. Returns `None` while invitations are pending.
pub fn propose_joint(
    client: &Client,
    negotiation: &str,
    spec: &MixnetSpec,
    invitations: &[String],
) -> Result<Option<String>, SetupError> {
    let me = client.id();
    let hashes: Vec<String> = invitations
        .iter()
        .map(|i| parse_invitation(i).map(|(_, inv)| sha256_hex(inv.as_bytes())))
        .collect::<Result<_, _>>()?;
    let mut joiners: Vec<(i64, String)> = Vec::new();
    let mut used = std::collections::HashSet::new();
    for c in client.contributions(negotiation)? {
        let signer = c.signer_key_id;
        if signer == me {
            continue;
        }
        let text = Text::parse(&c.text).map_err(|e| SetupError::Refused(e.to_string()))?;
        let inv = text
            .meta
            .get("invitation_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let h = sha256_hex(inv.as_bytes());
        if !hashes.contains(&h) || !used.insert(h) {
            return Err(SetupError::Refused(format!(
                "{signer} joined without a valid, unused invitation: aborting"
            )));
        }
        joiners.push((c.id, signer));
    }
    if joiners.len() < invitations.len() {
        return Ok(None);
    }
    joiners.sort();
    let mut owners = vec![me];
    owners.extend(joiners.into_iter().map(|(_, s)| s));
    let spec = complete_spec(client, spec, &owners)?;
    let action = client.joint_peer_action(&spec.name, &owners, &spec.backend, json!(spec));
    let neg = client.create_negotiation(&format!("joint:{}", spec.name), Some(&owners))?;
    client.contribute(
        &neg,
        &Client::text_for(std::slice::from_ref(&action), true, BTreeMap::new()),
    )?;
    Ok(Some(neg))
}

/// The most bytes of a peer's `crypto_params` (compact JSON) the controller takes;
/// the joint peer's are the description, voter list included.
pub const MAX_DESCRIPTION_BYTES: usize = 64 * 1024;

/// Refuse a description the controller would refuse as the joint peer's
/// `crypto_params` (a Zeus voter list of more than about 900 credentials).
pub fn check_description_size(spec: &MixnetSpec) -> Result<(), SetupError> {
    let size = json!(spec).to_string().len();
    if size > MAX_DESCRIPTION_BYTES {
        let voters = spec.election.as_ref().map_or(0, |e| e.voters.len());
        return Err(SetupError::Refused(format!(
            "the description is {size} bytes ({voters} voter credentials); the controller takes at most {MAX_DESCRIPTION_BYTES} bytes of a peer's crypto_params"
        )));
    }
    Ok(())
}

/// The description with what derives from the owners (the Zeus election key).
pub fn complete_spec(
    client: &Client,
    spec: &MixnetSpec,
    owners: &[String],
) -> Result<MixnetSpec, SetupError> {
    let mut spec = spec.clone();
    check_description_size(&spec)?;
    if spec.backend == "ZEUS" {
        let mut keys = Vec::new();
        for o in owners {
            let p = client.peer(o)?;
            let k: panoramix_zeus::TrusteeKey =
                serde_json::from_value(p.crypto_params["trustee_key"].clone()).map_err(|e| {
                    SetupError::Refused(format!("owner {o} published no trustee key: {e}"))
                })?;
            keys.push(k);
        }
        let pk = panoramix_zeus::combine_trustee_keys(TRUSTEE_KEY_SESSION, &keys)
            .map_err(|e| SetupError::Refused(format!("trustee keys do not verify: {e}")))?;
        spec.election_public_key = Some(pk.to_hex());
        // the election (answers, voter list) must make valid booth parameters
        let params: panoramix_zeus::ZeusParams =
            serde_json::from_value(spec.zeus_params(&spec.name, 1, &keys, true))
                .map_err(|e| SetupError::Refused(format!("the election: {e}")))?;
        params
            .check_definition()
            .map_err(|e| SetupError::Refused(format!("the election: {e}")))?;
    } else {
        for o in owners {
            let p = client.peer(o)?;
            let k = p.crypto_params["mix_key"]
                .as_str()
                .ok_or_else(|| SetupError::Refused(format!("owner {o} published no mix key")))?;
            panoramix_sphinx::MixPublicKey::from_hex(k).map_err(|e| {
                SetupError::Refused(format!("owner {o} published no valid mix key: {e}"))
            })?;
        }
    }
    Ok(spec)
}

/// Step 4 for a joiner: find the joint-peer proposal, check it against what it
/// reviewed, and co-sign. Returns the joint peer id once the proposal is signed.
pub fn confirm_joint(client: &Client, reviewed: &MixnetSpec) -> Result<Option<String>, SetupError> {
    let me = client.id();
    for n in client.negotiations_titled(&format!("joint:{}", reviewed.name))? {
        if !n.participants.as_ref().is_some_and(|p| p.contains(&me)) {
            continue;
        }
        let nid = n.id.as_str();
        let contribs = client.contributions(nid)?;
        if contribs.iter().any(|c| c.signer_key_id == me) {
            return Ok(None);
        }
        let Some(first) = contribs.first() else {
            return Ok(None);
        };
        let text_s = first.text.as_str();
        let text = Text::parse(text_s).map_err(|e| SetupError::Refused(e.to_string()))?;
        let data = JointData::of(&text)?;
        let owners = data.owners;
        if !owners.contains(&me) {
            return Err(SetupError::Refused(
                "the joint peer proposal leaves me out".into(),
            ));
        }
        let expected = complete_spec(client, reviewed, &owners)?;
        if data.crypto_params != expected {
            return Err(SetupError::Refused(
                "the joint peer's description differs from the reviewed proposal".into(),
            ));
        }
        let key = panoramix_core::identity::joint_key_data(&expected.name, &owners);
        if data.key_data != key {
            return Err(SetupError::Refused(
                "the joint key does not recompute".into(),
            ));
        }
        client.contribute(nid, text_s)?;
        return Ok(panoramix_core::identity::joint_peer_id(&key));
    }
    Ok(None)
}

/// The joint peer a `joint:` or `successor:` text proposes to create (the
/// `data` of its `POST /panoramix/peers/`).
#[derive(serde::Deserialize)]
struct JointData {
    peer_id: String,
    key_data: String,
    owners: Vec<String>,
    crypto_params: MixnetSpec,
}

impl JointData {
    fn of(text: &Text) -> Result<JointData, SetupError> {
        let data = text
            .body
            .get("data")
            .ok_or_else(|| SetupError::Refused("the joint peer proposal has no data".into()))?;
        serde_json::from_value(canonical::to_json(data))
            .map_err(|e| SetupError::Refused(format!("not a joint peer proposal: {e}")))
    }
}

/// For the coordinator: create the joint peer once every owner signed. Returns its id.
pub fn finish(client: &Client, name: &str) -> Result<Option<String>, SetupError> {
    apply_agreed_joint(client, &format!("joint:{name}"), false)
}

/// Create the joint peer agreed in the DONE negotiation titled `title` (unless it
/// exists already); with `owners_only`, only if this client is one of its owners.
/// Returns its id once it exists.
fn apply_agreed_joint(
    client: &Client,
    title: &str,
    owners_only: bool,
) -> Result<Option<String>, SetupError> {
    for n in client.negotiations_titled(title)? {
        let (NegotiationStatus::Done, Some(text), Some(consensus)) =
            (n.status, &n.text, &n.consensus)
        else {
            continue;
        };
        let text = Text::parse(text).map_err(|e| SetupError::Refused(e.to_string()))?;
        let joint = JointData::of(&text)?;
        let action = panoramix_client::Action {
            method: "POST".into(),
            path: "/panoramix/peers/".into(),
            data: canonical::to_json(text.body.get("data").unwrap_or(&Value::Null)),
            info: canonical::to_json(text.body.get("info").unwrap_or(&Value::Null)),
        };
        let id = joint.peer_id;
        if client.peer(&id).is_ok() {
            return Ok(Some(id));
        }
        if owners_only && !joint.owners.contains(&client.id()) {
            return Ok(None);
        }
        return match client.apply(&action, consensus, None) {
            Ok(_) => Ok(Some(id)),
            Err(e) if e.status() == Some(409) => Ok(Some(id)),
            Err(e) => Err(e.into()),
        };
    }
    Ok(None)
}

/// Reconfiguration at runtime (seed §2.2.2): the owners of a running mix-net, together
/// with any peer being added, agree on a successor joint peer with the new owner list.
/// Its description names the predecessor; the agents finish the current cycle on the
/// old mix-net and continue with the successor's first cycle. The negotiation is titled
/// `successor:<old joint>` and restricted to the old and new owners.
pub fn propose_successor(
    client: &Client,
    old_joint: &str,
    new_owners: &[String],
    new_name: &str,
) -> Result<String, SetupError> {
    let old = client.peer(old_joint)?;
    let old_owners: Vec<String> = old.owner_ids();
    if old_owners.first() != Some(&client.id()) {
        return Err(SetupError::Refused(
            "the first owner proposes reconfigurations".into(),
        ));
    }
    let mut spec: MixnetSpec = serde_json::from_value(old.crypto_params.clone())
        .map_err(|e| SetupError::Refused(e.to_string()))?;
    spec.name = new_name.to_owned();
    spec.previous = Some(old_joint.to_owned());
    let spec = complete_spec(client, &spec, new_owners)?;
    let mut participants: Vec<String> = old_owners.clone();
    for o in new_owners {
        if !participants.contains(o) {
            participants.push(o.clone());
        }
    }
    let action = client.joint_peer_action(&spec.name, new_owners, &spec.backend, json!(spec));
    let neg = client.create_negotiation(&format!("successor:{old_joint}"), Some(&participants))?;
    client.contribute(
        &neg,
        &Client::text_for(std::slice::from_ref(&action), true, BTreeMap::new()),
    )?;
    Ok(neg)
}

/// For every other participant: check the successor proposal (same backend and
/// parameters, names the predecessor, keys recompute) and co-sign it. `accept_owners`
/// decides about the new owner list. Returns the successor's id once signed.
pub fn confirm_successor(
    client: &Client,
    old_joint: &str,
    accept_owners: &dyn Fn(&[String]) -> bool,
) -> Result<Option<String>, SetupError> {
    let me = client.id();
    let old = client.peer(old_joint)?;
    let old_spec: MixnetSpec = serde_json::from_value(old.crypto_params)
        .map_err(|e| SetupError::Refused(e.to_string()))?;
    for n in client.negotiations_titled(&format!("successor:{old_joint}"))? {
        let nid = n.id.as_str();
        let contribs = client.contributions(nid)?;
        if contribs.iter().any(|c| c.signer_key_id == me) {
            return Ok(None);
        }
        let Some(first) = contribs.first() else {
            continue;
        };
        let text_s = first.text.as_str();
        let text = Text::parse(text_s).map_err(|e| SetupError::Refused(e.to_string()))?;
        let data = JointData::of(&text)?;
        let owners = data.owners;
        let got = data.crypto_params;
        let mut expected = old_spec.clone();
        expected.name = got.name.clone();
        expected.previous = Some(old_joint.to_owned());
        let expected = complete_spec(client, &expected, &owners)?;
        if got != expected {
            return Err(SetupError::Refused(
                "the successor changes more than the owners".into(),
            ));
        }
        if !accept_owners(&owners) {
            return Err(SetupError::Refused(
                "the new owner list was not accepted".into(),
            ));
        }
        let key = panoramix_core::identity::joint_key_data(&got.name, &owners);
        if data.key_data != key {
            return Err(SetupError::Refused(
                "the successor's joint key does not recompute".into(),
            ));
        }
        client.contribute(nid, text_s)?;
        return Ok(panoramix_core::identity::joint_peer_id(&key));
    }
    Ok(None)
}

/// The successor of a mix-net, once it exists; an owner of the successor creates it
/// from the agreed consensus if nobody has yet.
pub fn successor(client: &Client, old_joint: &str) -> Result<Option<String>, SetupError> {
    apply_agreed_joint(client, &format!("successor:{old_joint}"), true)
}

/// The successor the owners agreed on (its id and owners), whether or not it has
/// been created yet.
pub fn agreed_successor(
    client: &Client,
    old_joint: &str,
) -> Result<Option<(String, Vec<String>)>, SetupError> {
    for n in client.negotiations_titled(&format!("successor:{old_joint}"))? {
        let (NegotiationStatus::Done, Some(text)) = (n.status, &n.text) else {
            continue;
        };
        let text = Text::parse(text).map_err(|e| SetupError::Refused(e.to_string()))?;
        let data = JointData::of(&text)?;
        return Ok(Some((data.peer_id, data.owners)));
    }
    Ok(None)
}

/// Follow a mix-net's successors to the current one.
pub fn current(client: &Client, joint: &str) -> Result<String, SetupError> {
    let mut j = joint.to_owned();
    for _ in 0..64 {
        match successor(client, &j)? {
            Some(next) if client.peer(&next).is_ok() => j = next,
            _ => break,
        }
    }
    Ok(j)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixnet::Election;

    #[test]
    fn a_voter_list_too_long_for_the_controller_is_refused_at_setup() {
        let spec = |n: usize| MixnetSpec {
            name: "e".into(),
            backend: "ZEUS".into(),
            params: json!({"MIX_PROOF": "TW"}),
            size_min: 1,
            size_max: 1,
            election_public_key: Some("ab".repeat(32)),
            terms: String::new(),
            graph: None,
            previous: None,
            election: Some(Election {
                question: "q".into(),
                options: vec!["yes".into(), "no".into()],
                voters: (0..n).map(|i| format!("{i:064x}")).collect(),
            }),
        };
        assert!(check_description_size(&spec(900)).is_ok());
        let err = check_description_size(&spec(1000)).unwrap_err().to_string();
        assert!(err.contains("1000 voter credentials"), "{err}");
    }
}
