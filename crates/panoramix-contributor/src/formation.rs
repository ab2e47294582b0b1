//! Forming a mix-net, with no I/O: registering, proposing, joining, agreeing
//! on the joint peer, and reconfiguring it into a successor (seed appendix A
//! and §2.2.2).
//!
//! 1. Every contributor registers its key as a peer, publishing its backend key
//!    (Sphinx mix key, or Zeus trustee key share with its proof of knowledge).
//! 2. The coordinator opens a negotiation titled `mixnet:<name>` and proposes the
//!    mix-net description ([`MixnetSpec`]) with the hashes of N invitation secrets;
//!    it hands out invitations `<negotiation_id>|<invitation_id>`.
//! 3. A joiner checks its invitation against the proposal (the negotiation exists,
//!    the invitation id's hash is one of the proposal's, nobody else used it), reviews
//!    the proposal (backend, parameters, terms) and answers with the same body and its
//!    invitation id. An answer without a valid, unused invitation is ignored: it
//!    neither counts nor stops the set-up ([`Formation::join_progress`]).
//! 4. When every invitation is used, the coordinator proposes the joint peer in a
//!    second negotiation titled `joint:<name>`, restricted to the owners; every owner
//!    checks it (its own membership, the description it reviewed, the joint key and,
//!    for Zeus, the election key recomputed from the owners' verified key shares)
//!    and co-signs; the coordinator creates the joint peer.
//!
//! A reconfiguration is a negotiation titled `successor:<old joint>`, proposed
//! by any owner, on a successor joint peer whose description names its
//! predecessor; it is followed only if its signatures satisfy the rule agreed
//! in the description (`membership`). A newcomer asks to join with a signed
//! request (`join_request`).
//!
//! Each operation is a [`Procedure`], made by a [`Formation`] and driven like
//! the [`crate::Contributor`]: [`Procedure::begin`], then [`Procedure::poll`]
//! until [`Progress::Done`] (or [`Progress::Failed`]), answering each
//! [`crate::Effect`] with [`Procedure::handle`]. The cryptography that checks
//! the owners' published keys and derives the joint ones belongs to the
//! backends, which this crate does not depend on: the host passes in their
//! [`OwnerKeys`] (e.g. `panoramix_sphinx::contributor::SphinxOwnerKeys` and
//! `panoramix_zeus::contributor::ZeusOwnerKeys`), and [`Backends::complete`]
//! puts their results into the description.

mod join_request;
mod membership;
mod ops;
mod steps;

pub use join_request::{JoinRequest, JoinState, Membership};
pub(crate) use membership::Old;
pub use membership::{
    ChangeProposal, IgnoredSuccessor, check_change, check_rule, epoch_secs,
    participants as successor_signers,
};

use std::sync::Arc;

use panoramix_core::Keypair;
use panoramix_core::backend::OwnerKeys;
use panoramix_core::wire::Peer;
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRngCore, RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use crate::api::Api;
use crate::io::{Driver, Effect, Halt, HttpResponse, Ran, StepError};
use crate::spec::{MixnetSpec, TRUSTEE_KEY_SESSION};

/// The most bytes of a peer's `crypto_params` (compact JSON) the controller takes;
/// the joint peer's are the description, voter list included.
pub const MAX_DESCRIPTION_BYTES: usize = 64 * 1024;

/// Refuse a description the controller would refuse as the joint peer's
/// `crypto_params` (a Zeus voter list of more than about 900 credentials).
pub fn check_description_size(spec: &MixnetSpec) -> Result<(), StepError> {
    let size = json!(spec).to_string().len();
    if size > MAX_DESCRIPTION_BYTES {
        let voters = spec.election.as_ref().map_or(0, |e| e.voters.len());
        return Err(StepError::State(format!(
            "the description is {size} bytes ({voters} voter credentials); the controller takes at most {MAX_DESCRIPTION_BYTES} bytes of a peer's crypto_params"
        )));
    }
    Ok(())
}

/// Parse an invitation `<negotiation_id>|<invitation_id>`.
pub fn parse_invitation(s: &str) -> Result<(String, String), StepError> {
    let (n, i) = s.trim().split_once('|').ok_or_else(|| {
        StepError::State("an invitation looks like <negotiation_id>|<invitation_id>".into())
    })?;
    if n.is_empty() || i.is_empty() {
        return Err(StepError::State("empty invitation part".into()));
    }
    Ok((n.to_owned(), i.to_owned()))
}

/// The backends' part of formation, one [`OwnerKeys`] per backend name:
/// checking the keys the owners published and completing the description
/// with what derives from them.
#[derive(Clone)]
pub struct Backends(Arc<[Box<dyn OwnerKeys>]>);

impl Backends {
    /// Formation with these backends.
    pub fn new(backends: Vec<Box<dyn OwnerKeys>>) -> Backends {
        Backends(backends.into())
    }

    /// Check every owner's published `crypto_params` (`owners`: their peers, in
    /// owner order) for `spec.backend` and return `spec` with what derives
    /// from them (Zeus: the election key, the sum of the shares, and the
    /// election must make valid booth parameters). `Err` says why not.
    pub fn complete(&self, spec: &MixnetSpec, owners: &[Peer]) -> Result<MixnetSpec, StepError> {
        let backend = self
            .0
            .iter()
            .find(|b| b.name() == spec.backend)
            .ok_or_else(|| StepError::State(format!("no backend {}", spec.backend)))?;
        let refused = |e: panoramix_core::backend::FormationError| StepError::State(e.to_string());
        let joint = backend
            .joint_keys(owners, TRUSTEE_KEY_SESSION)
            .map_err(refused)?;
        let owner_ids: Vec<String> = owners.iter().map(|p| p.peer_id.clone()).collect();
        crate::dkg::check_threshold(spec, &owner_ids).map_err(StepError::State)?;
        let mut spec = spec.clone();
        if let Some(pk) = joint.public_key {
            spec.election_public_key = Some(pk);
        }
        backend
            .check_entry_params(&entry_params(&spec, &joint.trustees))
            .map_err(refused)?;
        Ok(spec)
    }
}

/// The parameters of the first cycle's entry endpoint as the default graph
/// gives them ([`MixnetSpec::graph`]): the Zeus booth's, voter list included;
/// the Sphinx gateway's.
fn entry_params(spec: &MixnetSpec, trustees: &[Json]) -> Json {
    if spec.backend == "ZEUS" {
        spec.zeus_params(&spec.name, 1, trustees, true)
    } else {
        json!({"BODY_LEN": spec.params["BODY_LEN"], "MAX_HOPS": spec.params["MAX_HOPS"]})
    }
}

/// A successor proposal this participant checked (everything but whether it
/// accepts the new owner list, which is the host's question to its user).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuccessorProposal {
    /// The `successor:<old joint>` negotiation.
    pub negotiation: String,
    /// The proposed text, to co-sign as it is ([`Formation::co_sign`]).
    pub text: String,
    /// The successor's owners, in route order.
    pub owners: Vec<String>,
    /// The successor's joint peer id.
    pub successor: String,
}

/// The answers to a `mixnet:` proposal so far, as its coordinator sees them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JoinProgress {
    /// The joiners with a valid, unused invitation, in the order they joined.
    pub joined: Vec<String>,
    /// How many invitations nobody used yet.
    pub pending: usize,
    /// Answers that do not count (an invalid or used invitation): they neither
    /// join nor stop the set-up.
    pub ignored: Vec<IgnoredAnswer>,
}

/// An answer to a `mixnet:` proposal that does not count, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IgnoredAnswer {
    /// Its signer.
    pub signer: String,
    /// Why it does not count.
    pub reason: String,
}

/// What the host must do next, or the procedure's result.
#[derive(Debug)]
pub enum Progress<T> {
    /// Carry out this effect and answer it.
    Effect(Effect),
    /// The procedure is complete.
    Done(T),
    /// The procedure failed (it may be begun again).
    Failed(StepError),
}

type Run<T> = Box<dyn FnMut(&mut Api<'_>) -> Result<T, Halt> + Send>;

/// One formation operation as a state machine, driven like
/// [`crate::Contributor`]: straight-line code re-run over the log of the
/// host's answers, so a recorded run replays to the same requests.
pub struct Procedure<T> {
    key: Arc<Keypair>,
    controller_id: String,
    rng: ChaCha20Rng,
    seed: [u8; 32],
    now: i64,
    begun: bool,
    complete: bool,
    driver: Driver,
    run: Run<T>,
}

impl<T> Procedure<T> {
    /// Start (or start again, after a failure) at `now` (seconds since the
    /// epoch): a fresh seed for the nonces and the invitation secrets.
    pub fn begin(&mut self, now: i64) {
        self.driver.reset();
        self.now = now;
        self.rng.fill_bytes(&mut self.seed);
        self.begun = true;
        self.complete = false;
    }

    /// What to do next.
    pub fn poll(&mut self) -> Progress<T> {
        if !self.begun {
            return Progress::Failed(StepError::State("begin the procedure first".into()));
        }
        if self.complete {
            return Progress::Failed(StepError::State("the procedure is complete".into()));
        }
        let ran = self.driver.run(|replay| {
            let mut api = Api::new(
                replay,
                &self.key,
                &self.controller_id,
                ChaCha20Rng::from_seed(self.seed),
                self.now,
            );
            (self.run)(&mut api)
        });
        match ran {
            Ran::Effect(e) => Progress::Effect(e),
            Ran::Done(t) => {
                self.complete = true;
                Progress::Done(t)
            }
            Ran::Failed(e) => Progress::Failed(e),
        }
    }

    /// The answer to the pending [`Effect::Http`].
    pub fn handle(&mut self, response: HttpResponse) -> Result<(), StepError> {
        self.driver.handle(response)
    }

    /// The pending [`Effect::Save`] is done (formation asks for none today).
    pub fn saved(&mut self) -> Result<(), StepError> {
        self.driver.saved()
    }
}

impl<T: 'static> Procedure<T> {
    /// The same procedure, its result passed through `f` (a host that drives
    /// every procedure alike, e.g. with JSON results).
    pub fn map<U>(self, mut f: impl FnMut(T) -> U + Send + 'static) -> Procedure<U> {
        let mut run = self.run;
        Procedure {
            key: self.key,
            controller_id: self.controller_id,
            rng: self.rng,
            seed: self.seed,
            now: self.now,
            begun: self.begun,
            complete: self.complete,
            driver: self.driver,
            run: Box::new(move |api| run(api).map(&mut f)),
        }
    }
}

/// Makes the formation procedures of one identity at one controller.
pub struct Formation {
    key: Arc<Keypair>,
    controller_id: String,
    keys: Backends,
    rng: Box<dyn CryptoRngCore + Send>,
}

impl Formation {
    /// Procedures signed by `key` for the controller `controller_id`, whose
    /// key checks are the backends' `keys`; `rng` seeds each procedure's
    /// randomness.
    pub fn new(
        key: Keypair,
        controller_id: &str,
        keys: Backends,
        rng: Box<dyn CryptoRngCore + Send>,
    ) -> Formation {
        Formation {
            key: Arc::new(key),
            controller_id: controller_id.to_owned(),
            keys,
            rng,
        }
    }

    /// This identity's peer id.
    pub fn me(&self) -> String {
        self.key.key_id()
    }

    fn procedure<T>(
        &mut self,
        run: impl FnMut(&mut Api<'_>) -> Result<T, Halt> + Send + 'static,
    ) -> Procedure<T> {
        let mut seed = [0u8; 32];
        self.rng.fill_bytes(&mut seed);
        Procedure {
            key: self.key.clone(),
            controller_id: self.controller_id.clone(),
            rng: ChaCha20Rng::from_seed(seed),
            seed: [0; 32],
            now: 0,
            begun: false,
            complete: false,
            driver: Driver::default(),
            run: Box::new(run),
        }
    }

    /// Step 1: register this key as a contributor peer publishing
    /// `crypto_params` (its backend's public keys), unless it is registered.
    pub fn register(&mut self, name: &str, backend: &str, crypto_params: Json) -> Procedure<Peer> {
        let (name, backend) = (name.to_owned(), backend.to_owned());
        self.procedure(move |api| steps::register(api, &name, &backend, &crypto_params))
    }

    /// Step 2: propose the mix-net and create `invitations` invitations;
    /// returns the negotiation id and the invitations.
    pub fn create(
        &mut self,
        spec: &MixnetSpec,
        invitations: usize,
    ) -> Procedure<(String, Vec<String>)> {
        let spec = spec.clone();
        self.procedure(move |api| steps::create(api, &spec, invitations))
    }

    /// The proposal behind an invitation, for the joiner to review, and its
    /// proposer's peer id.
    pub fn proposal(&mut self, invitation: &str) -> Procedure<(MixnetSpec, String)> {
        let invitation = invitation.to_owned();
        self.procedure(move |api| steps::proposal(api, &invitation))
    }

    /// Step 3: answer the proposal with the invitation.
    pub fn join(&mut self, invitation: &str, reviewed: &MixnetSpec) -> Procedure<()> {
        let (invitation, reviewed) = (invitation.to_owned(), reviewed.clone());
        self.procedure(move |api| steps::join(api, &invitation, &reviewed))
    }

    /// Step 4 for the coordinator: once every invitation is used, propose the
    /// joint peer; returns the `joint:` negotiation id, `None` while
    /// invitations are pending.
    pub fn propose_joint(
        &mut self,
        negotiation: &str,
        spec: &MixnetSpec,
        invitations: &[String],
    ) -> Procedure<Option<String>> {
        let (negotiation, spec) = (negotiation.to_owned(), spec.clone());
        let (invitations, keys) = (invitations.to_vec(), self.keys.clone());
        self.procedure(move |api| {
            steps::propose_joint(api, &keys, &negotiation, &spec, &invitations)
        })
    }

    /// For the coordinator: who answered the proposal with a valid, unused
    /// invitation, how many invitations are pending, and which answers are
    /// ignored (see [`JoinProgress`]).
    pub fn join_progress(
        &mut self,
        negotiation: &str,
        invitations: &[String],
    ) -> Procedure<JoinProgress> {
        let (negotiation, invitations) = (negotiation.to_owned(), invitations.to_vec());
        self.procedure(move |api| steps::join_progress(api, &negotiation, &invitations))
    }

    /// Step 4 without invitations: propose the joint peer of `spec` owned by
    /// `owners` (in route order) to them, its description completed from
    /// their checked keys as [`Formation::complete_spec`] does; returns the
    /// `joint:` negotiation id.
    pub fn propose_joint_among(
        &mut self,
        spec: &MixnetSpec,
        owners: &[String],
    ) -> Procedure<String> {
        let (spec, owners, keys) = (spec.clone(), owners.to_vec(), self.keys.clone());
        self.procedure(move |api| steps::propose_joint_among(api, &keys, &spec, &owners))
    }

    /// The description with what derives from the owners (the Zeus election
    /// key), their published keys checked.
    pub fn complete_spec(&mut self, spec: &MixnetSpec, owners: &[String]) -> Procedure<MixnetSpec> {
        let (spec, owners, keys) = (spec.clone(), owners.to_vec(), self.keys.clone());
        self.procedure(move |api| steps::complete_spec(api, &keys, &spec, &owners))
    }

    /// Step 4 for a joiner: find the joint-peer proposal, check it against
    /// what it reviewed, and co-sign; returns the joint peer id once signed.
    pub fn confirm_joint(&mut self, reviewed: &MixnetSpec) -> Procedure<Option<String>> {
        let (reviewed, keys) = (reviewed.clone(), self.keys.clone());
        self.procedure(move |api| steps::confirm_joint(api, &keys, &reviewed, None))
    }

    /// [`Formation::confirm_joint`] counting only a proposal made by
    /// `coordinator` (the proposer of the `mixnet:` negotiation `negotiation`)
    /// as the joint peer's first owner, in answer to that negotiation: another
    /// peer's `joint:` negotiation, or one of an abandoned set-up, is ignored;
    /// one signed already gives its joint peer id again (a join resumed).
    pub fn confirm_joint_from(
        &mut self,
        reviewed: &MixnetSpec,
        coordinator: &str,
        negotiation: &str,
    ) -> Procedure<Option<String>> {
        let (reviewed, keys) = (reviewed.clone(), self.keys.clone());
        let (c, n) = (coordinator.to_owned(), negotiation.to_owned());
        self.procedure(move |api| steps::confirm_joint(api, &keys, &reviewed, Some((&c, &n))))
    }

    /// For the coordinator: create the joint peer once every owner signed;
    /// returns its id once it exists.
    pub fn finish(&mut self, name: &str) -> Procedure<Option<String>> {
        let title = format!("joint:{name}");
        self.procedure(move |api| steps::apply_agreed_joint(api, &title, false))
    }

    /// Reconfiguration, by any owner of `old_joint`: propose a successor named
    /// `new_name` owned by `new_owners` to them (and, under the `all` rule, to
    /// every old owner); refused when the mix-net's rule cannot accept it.
    /// Returns the negotiation id.
    pub fn propose_successor(
        &mut self,
        old_joint: &str,
        new_owners: &[String],
        new_name: &str,
    ) -> Procedure<String> {
        let (old, owners, name) = (
            old_joint.to_owned(),
            new_owners.to_vec(),
            new_name.to_owned(),
        );
        let keys = self.keys.clone();
        self.procedure(move |api| membership::propose_successor(api, &keys, &old, &owners, &name))
    }

    /// For every other participant: find and check an open successor proposal
    /// it has to sign (proposed by an owner, acceptable under the rule, same
    /// backend and parameters, names the predecessor, keys recompute). `None`
    /// when there is none (yet), or it signed them already; a removed owner
    /// is not a participant ([`Formation::membership`] warns it).
    /// Accepting the new owner list is the host's decision; then
    /// [`Formation::co_sign`].
    pub fn review_successor(&mut self, old_joint: &str) -> Procedure<Option<SuccessorProposal>> {
        let (old, keys) = (old_joint.to_owned(), self.keys.clone());
        self.procedure(move |api| membership::review_successor(api, &keys, &old))
    }

    /// Sign `text` as it is in the negotiation `negotiation`.
    pub fn co_sign(&mut self, negotiation: &str, text: &str) -> Procedure<()> {
        let (negotiation, text) = (negotiation.to_owned(), text.to_owned());
        self.procedure(move |api| api.contribute(&negotiation, &text).map(|_| ()))
    }

    /// The successor of a mix-net whose agreement satisfies its rule, once
    /// agreed; an owner of the successor creates it from the agreed consensus
    /// if nobody has yet.
    pub fn successor(&mut self, old_joint: &str) -> Procedure<Option<String>> {
        let old = old_joint.to_owned();
        self.procedure(move |api| membership::apply_agreed_successor(api, &old))
    }

    /// The successor the owners agreed on by the mix-net's rule (its id and
    /// owners), whether or not it has been created yet.
    pub fn agreed_successor(
        &mut self,
        old_joint: &str,
    ) -> Procedure<Option<(String, Vec<String>)>> {
        let old = old_joint.to_owned();
        self.procedure(move |api| membership::agreed_successor(api, &old))
    }

    /// Follow a mix-net's successors to the current one (creating an agreed
    /// successor this identity owns on the way).
    pub fn current(&mut self, joint: &str) -> Procedure<String> {
        let joint = joint.to_owned();
        self.procedure(move |api| membership::current(api, &joint))
    }

    /// A mix-net's membership: owners and rule, open successor proposals
    /// (which say whom they remove), ignored successor negotiations, join
    /// requests and the agreed successor.
    pub fn membership(&mut self, joint: &str) -> Procedure<Membership> {
        let joint = joint.to_owned();
        self.procedure(move |api| join_request::membership(api, &joint))
    }

    /// For a registered newcomer: ask to join `joint`, whose description it
    /// reviewed; returns the `join:` negotiation id.
    pub fn request_join(&mut self, joint: &str, reviewed: &MixnetSpec) -> Procedure<String> {
        let (joint, reviewed) = (joint.to_owned(), reviewed.clone());
        self.procedure(move |api| join_request::request_join(api, &joint, &reviewed))
    }

    /// For an owner: approve `peer`'s join request by proposing the successor
    /// `new_name` that adds it; returns the `successor:` negotiation id.
    pub fn approve_join(&mut self, joint: &str, peer: &str, new_name: &str) -> Procedure<String> {
        let (joint, peer, name) = (joint.to_owned(), peer.to_owned(), new_name.to_owned());
        let keys = self.keys.clone();
        self.procedure(move |api| join_request::approve_join(api, &keys, &joint, &peer, &name))
    }

    /// For an owner: refuse `peer`'s join request, signed, with `reason`.
    pub fn refuse_join(&mut self, joint: &str, peer: &str, reason: &str) -> Procedure<()> {
        let (joint, peer, reason) = (joint.to_owned(), peer.to_owned(), reason.to_owned());
        self.procedure(move |api| join_request::refuse_join(api, &joint, &peer, &reason))
    }
}

#[cfg(test)]
mod keys_tests;
#[cfg(test)]
mod membership_tests;
#[cfg(test)]
mod replay_tests;
#[cfg(test)]
mod tests;
