//! The formation operations as straight-line code over the step's [`Api`]
//! (re-run over the log of answers until complete).

use std::collections::BTreeMap;

use panoramix_core::canonical::{self, Value};
use panoramix_core::identity::{joint_key_data, joint_peer_id, sha256_hex};
use panoramix_core::negotiation::Text;
use panoramix_core::wire::{Contribution, Negotiation, NegotiationStatus, Peer};
use serde_json::{Map, Value as Json, json};

use super::{Backends, IgnoredAnswer, JoinProgress, check_description_size, parse_invitation};
use crate::api::{Action, Api, pct, text_for};
use crate::io::{Halt, HttpResponse, StepError};
use crate::spec::MixnetSpec;

const PEERS: &str = "/panoramix/peers/";

fn refuse<T>(why: impl Into<String>) -> Result<T, Halt> {
    Err(StepError::State(why.into()).into())
}

/// A refused request the procedure cannot do without.
fn refusal(method: &str, path: &str, r: &HttpResponse) -> Halt {
    StepError::api(method, path, r).into()
}

fn parse_text(text: &str) -> Result<Text, Halt> {
    Text::parse(text).map_err(|e| StepError::State(e.to_string()).into())
}

fn contributions(api: &mut Api, negotiation: &str) -> Result<Vec<Contribution>, Halt> {
    api.get_all(&format!(
        "/panoramix/contributions/?negotiation={}",
        pct(negotiation)
    ))
}

/// The text proposing `spec` (a `mixnet:` proposal or a joiner's answer).
fn proposal_text(spec: &MixnetSpec, meta: BTreeMap<String, Value>) -> Result<String, Halt> {
    let body = canonical::from_json(&json!(spec)).map_err(|e| StepError::State(e.to_string()))?;
    Ok(Text::encode(body, meta))
}

/// The joint peer a `joint:` or `successor:` text proposes to create (the
/// `data` of its `POST /panoramix/peers/`).
#[derive(serde::Deserialize)]
pub(super) struct JointData {
    pub(super) peer_id: String,
    pub(super) key_data: String,
    pub(super) owners: Vec<String>,
    pub(super) crypto_params: MixnetSpec,
}

impl JointData {
    pub(super) fn of(text: &Text) -> Result<JointData, StepError> {
        let data = text
            .body
            .get("data")
            .ok_or_else(|| StepError::State("the joint peer proposal has no data".into()))?;
        serde_json::from_value(canonical::to_json(data))
            .map_err(|e| StepError::State(format!("not a joint peer proposal: {e}")))
    }
}

/// Propose, in a new negotiation titled `title` among `participants`, to
/// create the joint peer of `spec` owned by `owners` (in route order), its
/// description as `crypto_params`; returns the negotiation id.
pub(super) fn propose_joint_peer(
    api: &mut Api,
    title: &str,
    participants: &[String],
    spec: &MixnetSpec,
    owners: &[String],
) -> Result<String, Halt> {
    propose_joint_peer_with(api, title, participants, spec, owners, BTreeMap::new())
}

/// [`propose_joint_peer`] with `meta` in the proposed text (the `mixnet:`
/// negotiation it answers, for the joiners to tell it from a stale one).
fn propose_joint_peer_with(
    api: &mut Api,
    title: &str,
    participants: &[String],
    spec: &MixnetSpec,
    owners: &[String],
    meta: BTreeMap<String, Value>,
) -> Result<String, Halt> {
    let key_data = joint_key_data(&spec.name, owners);
    let peer_id = joint_peer_id(&key_data).unwrap_or_default();
    let data = json!({
        "peer_id": peer_id, "name": spec.name, "key_data": key_data, "key_type": "ed25519",
        "crypto_backend": spec.backend, "crypto_params": spec, "owners": owners, "status": "READY",
    });
    let action = api.action("POST", PEERS, "peer", "create", data, Map::new());
    let neg = api.create_negotiation(title, participants)?;
    let text = text_for(std::slice::from_ref(&action), true, meta);
    api.contribute(&neg, &text)?;
    Ok(neg)
}

pub(super) fn register(
    api: &mut Api,
    name: &str,
    backend: &str,
    crypto_params: &Json,
) -> Result<Peer, Halt> {
    let me = api.me();
    if let Some(p) = api.peer_opt(&me)? {
        return Ok(p);
    }
    let data = json!({
        "peer_id": me, "name": name, "key_data": api.key_data(), "key_type": "ed25519",
        "crypto_backend": backend, "crypto_params": crypto_params, "owners": [], "status": "READY",
        "role": "contributor",
    });
    let a = api.action("POST", PEERS, "peer", "create", data, Map::new());
    let cid = api.self_consensus(&format!("register {name}"), std::slice::from_ref(&a))?;
    match api.apply(&a, &cid, None)? {
        Ok(r) => Api::decode(PEERS, &r.body["data"]),
        Err(r) => Err(refusal(&a.method, &a.path, &r)),
    }
}

pub(super) fn create(
    api: &mut Api,
    spec: &MixnetSpec,
    n: usize,
) -> Result<(String, Vec<String>), Halt> {
    check_description_size(spec)?;
    let neg = api.create_open_negotiation(&format!("mixnet:{}", spec.name))?;
    let mut invitations = Vec::with_capacity(n);
    let mut hashes = Vec::with_capacity(n);
    for _ in 0..n {
        let mut b = [0u8; 16];
        api.random(&mut b);
        let inv = hex::encode(b);
        hashes.push(Value::str(sha256_hex(inv.as_bytes())));
        invitations.push(format!("{neg}|{inv}"));
    }
    let mut meta = BTreeMap::new();
    meta.insert("accept".into(), Value::Int(0));
    meta.insert("invitations".into(), Value::List(hashes));
    api.contribute(&neg, &proposal_text(spec, meta)?)?;
    Ok((neg, invitations))
}

/// The `invitation_id` an answer to a `mixnet:` proposal carries.
fn invitation_of(text: &Text) -> Option<&str> {
    text.meta.get("invitation_id").and_then(Value::as_str)
}

/// The proposal of the `mixnet:` negotiation `neg`: the first contribution
/// carrying the invitations' hashes, its text and those hashes.
fn find_proposal<'c>(
    contribs: &'c [Contribution],
    neg: &str,
) -> Result<(&'c Contribution, Text, Vec<String>), Halt> {
    for c in contribs {
        let Ok(text) = Text::parse(&c.text) else {
            continue;
        };
        if let Some(Value::List(hs)) = text.meta.get("invitations") {
            let hashes = hs.iter().filter_map(Value::as_str).map(str::to_owned);
            let hashes = hashes.collect();
            return Ok((c, text, hashes));
        }
    }
    refuse(format!(
        "negotiation {neg} holds no mix-net proposal: check the part of the invitation before `|`"
    ))
}

/// The proposal behind an invitation, checked before the joiner does anything:
/// the negotiation exists and is a `mixnet:` proposal, the invitation id is one
/// of the proposal's and nobody else used it. Each refusal names what is wrong.
pub(super) fn proposal(api: &mut Api, invitation: &str) -> Result<(MixnetSpec, String), Halt> {
    let (neg, inv) = parse_invitation(invitation)?;
    let path = format!("/panoramix/negotiations/{}/", pct(&neg));
    let Some(n) = api.get_opt::<Negotiation>(path)? else {
        return refuse(format!(
            "this controller has no negotiation {neg}: check the part of the invitation before `|` (and --url)"
        ));
    };
    if !n.title.starts_with("mixnet:") {
        return refuse(format!(
            "negotiation {neg} is `{}`, not a mix-net proposal: check the part of the invitation before `|`",
            n.title
        ));
    }
    let contribs = contributions(api, &neg)?;
    let (first, text, hashes) = find_proposal(&contribs, &neg)?;
    let spec: MixnetSpec = serde_json::from_value(canonical::to_json(&text.body))
        .map_err(|e| StepError::State(format!("not a mix-net proposal: {e}")))?;
    let h = sha256_hex(inv.as_bytes());
    if !hashes.contains(&h) {
        return refuse(format!(
            "the invitation id {inv} is not one of the {} invitations of mix-net {:?}: check the part of the invitation after `|`",
            hashes.len(),
            spec.name
        ));
    }
    let me = api.me();
    let used_by = contribs.iter().find(|c| {
        c.signer_key_id != me
            && c.signer_key_id != first.signer_key_id
            && Text::parse(&c.text)
                .ok()
                .and_then(|t| invitation_of(&t).map(|i| sha256_hex(i.as_bytes()) == h))
                .unwrap_or(false)
    });
    if let Some(c) = used_by {
        return refuse(format!(
            "this invitation was already used by {}: ask the coordinator of mix-net {:?} for another one",
            c.signer_key_id, spec.name
        ));
    }
    Ok((spec, first.signer_key_id.clone()))
}

pub(super) fn join(api: &mut Api, invitation: &str, spec: &MixnetSpec) -> Result<(), Halt> {
    let (neg, inv) = parse_invitation(invitation)?;
    let mut meta = BTreeMap::new();
    meta.insert("accept".into(), Value::Int(0));
    meta.insert("invitation_id".into(), Value::str(inv));
    api.contribute(&neg, &proposal_text(spec, meta)?)?;
    Ok(())
}

/// The answers to the `mixnet:` negotiation so far: the joiners with a valid,
/// unused invitation in the order they joined, how many invitations are
/// pending, and the answers ignored (an invalid or used invitation: they
/// neither count nor stop the set-up).
pub(super) fn join_progress(
    api: &mut Api,
    negotiation: &str,
    invitations: &[String],
) -> Result<JoinProgress, Halt> {
    let me = api.me();
    let hashes: Vec<String> = invitations
        .iter()
        .map(|i| parse_invitation(i).map(|(_, inv)| sha256_hex(inv.as_bytes())))
        .collect::<Result<_, _>>()?;
    let mut contribs = contributions(api, negotiation)?;
    contribs.sort_by_key(|c| c.id);
    let mut out = JoinProgress::default();
    let mut used: BTreeMap<String, String> = BTreeMap::new();
    for c in contribs {
        let signer = c.signer_key_id;
        if signer == me {
            continue;
        }
        let inv = Text::parse(&c.text)
            .ok()
            .and_then(|t| invitation_of(&t).map(str::to_owned));
        let reason = match inv.map(|i| sha256_hex(i.as_bytes())) {
            None => "its answer carries no invitation".to_owned(),
            Some(h) if !hashes.contains(&h) => {
                "its invitation is not one of this proposal's".to_owned()
            }
            Some(h) => match used.get(&h) {
                Some(first) => format!("its invitation was already used by {first}"),
                None => {
                    used.insert(h, signer.clone());
                    out.joined.push(signer);
                    continue;
                }
            },
        };
        out.ignored.push(IgnoredAnswer { signer, reason });
    }
    out.pending = invitations.len().saturating_sub(out.joined.len());
    Ok(out)
}

pub(super) fn propose_joint(
    api: &mut Api,
    keys: &Backends,
    negotiation: &str,
    spec: &MixnetSpec,
    invitations: &[String],
) -> Result<Option<String>, Halt> {
    let progress = join_progress(api, negotiation, invitations)?;
    if progress.pending > 0 {
        return Ok(None);
    }
    let mut owners = vec![api.me()];
    owners.extend(progress.joined);
    let spec = complete_spec(api, keys, spec, &owners)?;
    let title = format!("joint:{}", spec.name);
    let mut meta = BTreeMap::new();
    meta.insert(PROPOSAL_META.into(), Value::str(negotiation));
    propose_joint_peer_with(api, &title, &owners, &spec, &owners, meta).map(Some)
}

/// Propose the joint peer of `spec` owned by `owners` (in route order) to
/// them, without invitations: the description completed from their checked
/// keys, in a negotiation titled `joint:<name>`; returns its id.
pub(super) fn propose_joint_among(
    api: &mut Api,
    keys: &Backends,
    spec: &MixnetSpec,
    owners: &[String],
) -> Result<String, Halt> {
    if owners.is_empty() {
        return refuse("a mix-net needs at least one owner");
    }
    let spec = complete_spec(api, keys, spec, owners)?;
    let title = format!("joint:{}", spec.name);
    propose_joint_peer(api, &title, owners, &spec, owners)
}

pub(super) fn complete_spec(
    api: &mut Api,
    keys: &Backends,
    spec: &MixnetSpec,
    owners: &[String],
) -> Result<MixnetSpec, Halt> {
    check_description_size(spec)?;
    let mut peers = Vec::with_capacity(owners.len());
    for o in owners {
        peers.push(api.peer(o)?);
    }
    Ok(keys.complete(spec, &peers)?)
}

/// The meta of a joint-peer proposal naming the `mixnet:` negotiation it answers.
const PROPOSAL_META: &str = "proposal";

/// The joint peer `first` proposes, if `coordinator` made it as its first owner
/// in answer to the `mixnet:` negotiation `negotiation` (a proposal that names
/// none counts too).
fn the_coordinators(
    first: &Contribution,
    coordinator: &str,
    negotiation: &str,
) -> Option<JointData> {
    let text = Text::parse(&first.text).ok()?;
    let answers = text.meta.get(PROPOSAL_META).map(|v| v.as_str());
    if answers.is_some_and(|n| n != Some(negotiation)) {
        return None;
    }
    let data = JointData::of(&text).ok()?;
    let first_owner = data.owners.first().map(String::as_str);
    (first.signer_key_id == coordinator && first_owner == Some(coordinator)).then_some(data)
}

/// `coordinator` (its peer id and its `mixnet:` negotiation): only a proposal
/// that the coordinator made, as the first owner, for that negotiation counts (a stranger's `joint:` negotiation naming this joiner is
/// ignored instead of stopping it), and one signed already gives its joint
/// peer again (an interrupted join resumes). Without: `None` once signed.
pub(super) fn confirm_joint(
    api: &mut Api,
    keys: &Backends,
    reviewed: &MixnetSpec,
    coordinator: Option<(&str, &str)>,
) -> Result<Option<String>, Halt> {
    let me = api.me();
    for n in api.negotiations(&format!("joint:{}", reviewed.name))? {
        if !n.participants.as_ref().is_some_and(|p| p.contains(&me)) {
            continue;
        }
        let contribs = contributions(api, &n.id)?;
        let signed = contribs.iter().any(|c| c.signer_key_id == me);
        let first = contribs.first();
        let data = match (coordinator, first) {
            (Some((c, neg)), Some(first)) => match the_coordinators(first, c, neg) {
                Some(d) => d,
                None => continue,
            },
            (Some(_), None) => continue,
            (None, _) if signed => return Ok(None),
            (None, None) => return Ok(None),
            (None, Some(first)) => JointData::of(&parse_text(&first.text)?)?,
        };
        let Some(first) = first else {
            return Ok(None);
        };
        let owners = data.owners;
        if !owners.contains(&me) {
            return refuse("the joint peer proposal leaves me out");
        }
        let expected = complete_spec(api, keys, reviewed, &owners)?;
        if data.crypto_params != expected {
            return refuse("the joint peer's description differs from the reviewed proposal");
        }
        let key = joint_key_data(&expected.name, &owners);
        if data.key_data != key {
            return refuse("the joint key does not recompute");
        }
        // signed already (a re-run of an interrupted join): the same joint peer
        if !signed {
            api.contribute(&n.id, &first.text)?;
        }
        return Ok(joint_peer_id(&key));
    }
    Ok(None)
}

/// Create the joint peer agreed in the DONE negotiation titled `title` (unless it
/// exists already); with `owners_only`, only if this identity is one of its owners.
/// Returns its id once it exists.
pub(super) fn apply_agreed_joint(
    api: &mut Api,
    title: &str,
    owners_only: bool,
) -> Result<Option<String>, Halt> {
    for n in api.negotiations(title)? {
        let (NegotiationStatus::Done, Some(text), Some(consensus)) =
            (n.status, &n.text, &n.consensus)
        else {
            continue;
        };
        let text = parse_text(text)?;
        let joint = JointData::of(&text)?;
        let action = Action::from_part(&text.body, "POST", PEERS);
        let id = joint.peer_id;
        if api.peer_opt(&id)?.is_some() {
            return Ok(Some(id));
        }
        if owners_only && !joint.owners.contains(&api.me()) {
            return Ok(None);
        }
        return match api.apply(&action, consensus, None)? {
            Ok(_) => Ok(Some(id)),
            Err(r) if r.status == 409 => Ok(Some(id)),
            Err(r) => Err(refusal(&action.method, &action.path, &r)),
        };
    }
    Ok(None)
}
