//! Setting a mix-net up (the wizards' create and join, seed appendix A):
//!
//! 1. Every contributor registers its key as a peer, publishing its backend key
//!    (Sphinx mix key, or Zeus trustee key share with its proof of knowledge).
//! 2. The coordinator opens a negotiation titled `mixnet:<name>` and proposes the
//!    mix-net description ([`MixnetSpec`]) with the hashes of N invitation secrets;
//!    it hands out invitations `<negotiation_id>|<invitation_id>`.
//! 3. A joiner checks its invitation against the proposal at once ([`proposal`]:
//!    a wrong negotiation id, an invitation id that is not the proposal's or one used
//!    by someone else is refused, naming what is wrong), reviews the proposal (backend,
//!    parameters, terms) and answers with the same body and its invitation id. An
//!    answer without a valid, unused invitation is ignored by the coordinator
//!    ([`join_progress`] reports it): it neither counts nor stops the set-up.
//! 4. When every invitation is used, the coordinator proposes the joint peer in a
//!    second negotiation titled `joint:<name>`, restricted to the owners; every owner
//!    checks it (its own membership, the description it reviewed, the joint key and,
//!    for Zeus, the election key recomputed from the owners' verified key shares)
//!    and co-signs; the coordinator creates the joint peer.
//!
//! The protocol lives in [`panoramix_contributor::formation`], with no I/O; this
//! module is its native host: each function runs one [`Procedure`] through a
//! [`Client`], and passes it the backends' owner-key checks
//! ([`SphinxOwnerKeys`], [`ZeusOwnerKeys`]).

use crate::backend::{Secrets, peer_crypto_params};
use crate::mixnet::{MixnetSpec, TRUSTEE_KEY_SESSION};
use panoramix_client::{Client, ClientError};
use panoramix_contributor::formation::{Backends, Formation, Procedure, Progress};
use panoramix_contributor::{Effect, HttpRequest, HttpResponse, StepError};
use panoramix_core::wire::Peer;
use panoramix_sphinx::contributor::SphinxOwnerKeys;
use panoramix_zeus::contributor::ZeusOwnerKeys;
use serde::Serialize;
use serde_json::{Value as Json, json};

pub use panoramix_contributor::formation::{
    IgnoredAnswer, JoinProgress, MAX_DESCRIPTION_BYTES, SuccessorProposal,
};

/// Setup errors.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The controller said no.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// Something is wrong with the proposal or the invitations.
    #[error("{0}")]
    Refused(String),
    /// The formation procedure failed otherwise.
    #[error(transparent)]
    Step(StepError),
}

impl From<StepError> for SetupError {
    fn from(e: StepError) -> Self {
        match e {
            StepError::Api {
                status,
                code,
                message,
                ..
            } => SetupError::Client(ClientError::Api {
                status,
                code,
                message,
            }),
            StepError::Decode { what, source } => {
                SetupError::Client(ClientError::Decode { path: what, source })
            }
            StepError::State(why) => SetupError::Refused(why),
            other => SetupError::Step(other),
        }
    }
}

/// The backends' part of formation: their owner-key checks.
fn backends() -> Backends {
    Backends::new(vec![Box::new(SphinxOwnerKeys), Box::new(ZeusOwnerKeys)])
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// The formation procedures of `client`'s identity.
fn formation(client: &Client) -> Result<Formation, SetupError> {
    let key = panoramix_core::Keypair::from_secret_hex(&client.key().secret_hex())
        .map_err(|e| SetupError::Refused(format!("the client's key: {e}")))?;
    Ok(Formation::new(
        key,
        client.controller_id(),
        backends(),
        Box::new(rand_core::OsRng),
    ))
}

/// Send one of a procedure's requests; an API refusal is an answer for the
/// procedure, an unreachable controller fails it.
fn send(client: &Client, req: &HttpRequest) -> Result<HttpResponse, SetupError> {
    let r = match &req.body {
        None => client.get(&req.path),
        Some(b) => client.send_signed(&req.method, &req.path, b.as_bytes()),
    };
    match r {
        Ok(body) => Ok(HttpResponse { status: 200, body }),
        Err(ClientError::Api {
            status,
            code,
            message,
        }) => Ok(HttpResponse {
            status,
            body: json!({"error": {"code": code, "message": message}}),
        }),
        Err(e) => Err(e.into()),
    }
}

/// Run the formation operation `op` (by its name in
/// [`Formation::operation`], with `args`) that `make` makes, to its end
/// through `client`.
fn run<T: Serialize>(
    client: &Client,
    op: &str,
    args: Json,
    make: impl FnOnce(&mut Formation) -> Procedure<T>,
) -> Result<T, SetupError> {
    #[cfg(feature = "test-hooks")]
    if recording::active() {
        return recording::run(client, op, args, make);
    }
    let _ = (op, args); // the name and arguments only make recordings
    let mut p = make(&mut formation(client)?);
    Ok(drive(client, &mut p, now_secs(), &mut |_, _| {})??)
}

/// Drive a procedure begun at `now` to its end through `client`, telling
/// `seen` every request and its answer. The outer error: the controller was
/// not reached; the inner result: the procedure's end.
fn drive<T>(
    client: &Client,
    p: &mut Procedure<T>,
    now: i64,
    seen: &mut dyn FnMut(&HttpRequest, &HttpResponse),
) -> Result<Result<T, StepError>, SetupError> {
    p.begin(now);
    loop {
        match p.poll() {
            Progress::Effect(Effect::Http(req)) => {
                let r = send(client, &req)?;
                seen(&req, &r);
                p.handle(r)?
            }
            Progress::Effect(Effect::Save(_)) => p.saved()?,
            Progress::Done(t) => return Ok(Ok(t)),
            Progress::Failed(e) => return Ok(Err(e)),
        }
    }
}

/// Recording the formation procedures this thread runs (end-to-end tests: a
/// recorded formation replays through another build, e.g. the WebAssembly one).
#[cfg(feature = "test-hooks")]
pub mod recording {
    use super::*;
    use panoramix_contributor::record::{ProcedureOutcome, ProcedureRecorder, ProcedureRecording};
    use rand_core::RngCore;
    use std::cell::RefCell;

    thread_local! {
        static RECORDED: RefCell<Option<Vec<ProcedureRecording>>> = const { RefCell::new(None) };
    }

    /// Record every formation procedure this thread runs from now on, each
    /// made by a formation of its own with a fresh seed.
    pub fn start() {
        RECORDED.with(|r| *r.borrow_mut() = Some(Vec::new()));
    }

    /// Stop recording; what was recorded, in order.
    pub fn take() -> Vec<ProcedureRecording> {
        RECORDED.with(|r| r.borrow_mut().take().unwrap_or_default())
    }

    pub(super) fn active() -> bool {
        RECORDED.with(|r| r.borrow().is_some())
    }

    pub(super) fn run<T: Serialize>(
        client: &Client,
        op: &str,
        args: Json,
        make: impl FnOnce(&mut Formation) -> Procedure<T>,
    ) -> Result<T, SetupError> {
        let key = panoramix_core::Keypair::from_secret_hex(&client.key().secret_hex())
            .map_err(|e| SetupError::Refused(format!("the client's key: {e}")))?;
        let mut seed = [0u8; 32];
        rand_core::OsRng.fill_bytes(&mut seed);
        let mut rec = ProcedureRecorder::new(&key, client.controller_id(), seed, op, args);
        let mut p = make(&mut rec.formation(backends())?);
        let now = now_secs();
        rec.begin(now);
        let r = drive(client, &mut p, now, &mut |req, resp| rec.http(req, resp));
        rec.end(match &r {
            Ok(Ok(t)) => ProcedureOutcome::Done {
                result: serde_json::to_value(t).unwrap_or(Json::Null),
            },
            Ok(Err(e)) => ProcedureOutcome::Failed {
                message: e.to_string(),
            },
            Err(_) => ProcedureOutcome::Aborted,
        });
        RECORDED.with(|x| {
            if let Some(v) = x.borrow_mut().as_mut() {
                v.push(rec.recording().clone());
            }
        });
        Ok(r??)
    }
}

/// Register `client` as a contributor peer publishing its backend key.
pub fn register(
    client: &Client,
    name: &str,
    backend: &str,
    secrets: &Secrets,
) -> Result<Peer, SetupError> {
    let params = peer_crypto_params(backend, secrets, TRUSTEE_KEY_SESSION);
    let args = json!([name, backend, params]);
    run(client, "register", args, |f| {
        f.register(name, backend, params)
    })
}

/// Parse an invitation `<negotiation_id>|<invitation_id>`.
pub fn parse_invitation(s: &str) -> Result<(String, String), SetupError> {
    Ok(panoramix_contributor::formation::parse_invitation(s)?)
}

/// Step 2: propose the mix-net and create `n` invitations.
pub fn create(
    client: &Client,
    spec: &MixnetSpec,
    n: usize,
) -> Result<(String, Vec<String>), SetupError> {
    run(client, "create", json!([spec, n]), |f| f.create(spec, n))
}

/// The proposal behind an invitation, for the joiner to review, once the invitation
/// is checked against it (refused at once, naming what is wrong).
pub fn proposal(client: &Client, invitation: &str) -> Result<(MixnetSpec, String), SetupError> {
    run(client, "proposal", json!([invitation]), |f| {
        f.proposal(invitation)
    })
}

/// Step 3: answer the proposal with the invitation.
pub fn join(client: &Client, invitation: &str, spec: &MixnetSpec) -> Result<(), SetupError> {
    run(client, "join", json!([invitation, spec]), |f| {
        f.join(invitation, spec)
    })
}

/// For the coordinator: the answers to the proposal so far (valid joiners, pending
/// invitations, ignored answers).
pub fn join_progress(
    client: &Client,
    negotiation: &str,
    invitations: &[String],
) -> Result<JoinProgress, SetupError> {
    let args = json!([negotiation, invitations]);
    run(client, "joinProgress", args, |f| {
        f.join_progress(negotiation, invitations)
    })
}

/// Step 4 for the coordinator: once every invitation is used, propose the joint
/// peer. Returns `None` while invitations are pending.
pub fn propose_joint(
    client: &Client,
    negotiation: &str,
    spec: &MixnetSpec,
    invitations: &[String],
) -> Result<Option<String>, SetupError> {
    let args = json!([negotiation, spec, invitations]);
    run(client, "proposeJoint", args, |f| {
        f.propose_joint(negotiation, spec, invitations)
    })
}

/// Refuse a description the controller would refuse as the joint peer's
/// `crypto_params` (a Zeus voter list of more than about 900 credentials).
pub fn check_description_size(spec: &MixnetSpec) -> Result<(), SetupError> {
    Ok(panoramix_contributor::formation::check_description_size(
        spec,
    )?)
}

/// The description with what derives from the owners (the Zeus election key).
pub fn complete_spec(
    client: &Client,
    spec: &MixnetSpec,
    owners: &[String],
) -> Result<MixnetSpec, SetupError> {
    let args = json!([spec, owners]);
    run(client, "completeSpec", args, |f| {
        f.complete_spec(spec, owners)
    })
}

/// Step 4 for a joiner: find the joint-peer proposal, check it against what it
/// reviewed, and co-sign. Returns the joint peer id once the proposal is signed.
pub fn confirm_joint(client: &Client, reviewed: &MixnetSpec) -> Result<Option<String>, SetupError> {
    run(client, "confirmJoint", json!([reviewed]), |f| {
        f.confirm_joint(reviewed)
    })
}

/// [`confirm_joint`] counting only a proposal by `coordinator` (the proposer of the
/// `mixnet:` negotiation `negotiation`) as the joint peer's first owner, in answer
/// to that negotiation: a `joint:` negotiation that another peer opened naming this
/// joiner, or one of an abandoned set-up, is ignored, not fatal; one signed already
/// gives its joint peer id again (an interrupted join resumes).
pub fn confirm_joint_from(
    client: &Client,
    reviewed: &MixnetSpec,
    coordinator: &str,
    negotiation: &str,
) -> Result<Option<String>, SetupError> {
    let args = json!([reviewed, coordinator, negotiation]);
    run(client, "confirmJointFrom", args, |f| {
        f.confirm_joint_from(reviewed, coordinator, negotiation)
    })
}

/// For the coordinator: create the joint peer once every owner signed. Returns its id.
pub fn finish(client: &Client, name: &str) -> Result<Option<String>, SetupError> {
    run(client, "finish", json!([name]), |f| f.finish(name))
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
    let args = json!([old_joint, new_owners, new_name]);
    run(client, "proposeSuccessor", args, |f| {
        f.propose_successor(old_joint, new_owners, new_name)
    })
}

/// For every other participant: check the successor proposal (same backend and
/// parameters, names the predecessor, keys recompute) and co-sign it. `accept_owners`
/// decides about the new owner list. Returns the successor's id once signed.
pub fn confirm_successor(
    client: &Client,
    old_joint: &str,
    accept_owners: &dyn Fn(&[String]) -> bool,
) -> Result<Option<String>, SetupError> {
    let review = |f: &mut Formation| f.review_successor(old_joint);
    let Some(proposal) = run(client, "reviewSuccessor", json!([old_joint]), review)? else {
        return Ok(None);
    };
    if !accept_owners(&proposal.owners) {
        return Err(SetupError::Refused(
            "the new owner list was not accepted".into(),
        ));
    }
    let (neg, text) = (&proposal.negotiation, &proposal.text);
    run(client, "coSign", json!([neg, text]), |f| {
        f.co_sign(neg, text)
    })?;
    Ok(Some(proposal.successor))
}

/// The successor of a mix-net, once it exists; an owner of the successor creates it
/// from the agreed consensus if nobody has yet.
pub fn successor(client: &Client, old_joint: &str) -> Result<Option<String>, SetupError> {
    run(client, "successor", json!([old_joint]), |f| {
        f.successor(old_joint)
    })
}

/// The successor the owners agreed on (its id and owners), whether or not it has
/// been created yet.
pub fn agreed_successor(
    client: &Client,
    old_joint: &str,
) -> Result<Option<(String, Vec<String>)>, SetupError> {
    let args = json!([old_joint]);
    run(client, "agreedSuccessor", args, |f| {
        f.agreed_successor(old_joint)
    })
}

/// Follow a mix-net's successors to the current one.
pub fn current(client: &Client, joint: &str) -> Result<String, SetupError> {
    run(client, "current", json!([joint]), |f| f.current(joint))
}

pub use panoramix_contributor::formation::{
    ChangeProposal, IgnoredSuccessor, JoinRequest, JoinState, Membership,
};

/// A mix-net's membership (owners and reconfiguration rule, open successor
/// proposals and whom they remove, ignored successor agreements, join requests,
/// the agreed successor): see [`Membership`].
pub fn membership(client: &Client, joint: &str) -> Result<Membership, SetupError> {
    run(client, "membership", json!([joint]), |f| {
        f.membership(joint)
    })
}

/// For a registered newcomer: file a signed request to join `joint`, whose
/// description it reviewed. Returns the `join:` negotiation id.
pub fn request_join(
    client: &Client,
    joint: &str,
    reviewed: &MixnetSpec,
) -> Result<String, SetupError> {
    run(client, "requestJoin", json!([joint, reviewed]), |f| {
        f.request_join(joint, reviewed)
    })
}

/// For an owner: approve `peer`'s join request by proposing the successor
/// `new_name` that adds it. Returns the `successor:` negotiation id.
pub fn approve_join(
    client: &Client,
    joint: &str,
    peer: &str,
    new_name: &str,
) -> Result<String, SetupError> {
    run(client, "approveJoin", json!([joint, peer, new_name]), |f| {
        f.approve_join(joint, peer, new_name)
    })
}

/// For an owner: refuse `peer`'s join request (signed), with `reason`.
pub fn refuse_join(
    client: &Client,
    joint: &str,
    peer: &str,
    reason: &str,
) -> Result<(), SetupError> {
    run(client, "refuseJoin", json!([joint, peer, reason]), |f| {
        f.refuse_join(joint, peer, reason)
    })
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
            close_after: None,
            election_public_key: Some("ab".repeat(32)),
            terms: String::new(),
            graph: None,
            previous: None,
            reconfiguration: None,
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
