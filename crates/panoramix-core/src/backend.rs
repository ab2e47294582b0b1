//! The interface between the contributor protocol and a crypto backend.
//!
//! The contributor state machine (crate `panoramix-contributor`) knows nothing of
//! Sphinx or Zeus: it drives a [`Backend`], which panoramix-sphinx and
//! panoramix-zeus implement (their `contributor` feature). A backend owns its
//! secrets and its own state (the Sphinx replay cache), which the machine
//! persists as opaque bytes ([`Backend::save_state`]).
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
//!
//! Forming a mix-net needs a second, secret-free part of each backend
//! ([`OwnerKeys`]): every owner checks the keys the others published and
//! derives the joint ones (Zeus: the election key) the same way.

use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::wire::{Message, Peer};

/// Errors of a backend. Each names what failed; the underlying error, when there
/// is one, is kept as the source.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The endpoint's type or parameters are not usable.
    #[error("endpoint parameters: {what}")]
    Params {
        /// What is wrong.
        what: String,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A needed secret is missing.
    #[error("missing secret: {0}")]
    MissingSecret(&'static str),
    /// Processing failed as a whole.
    #[error("processing {endpoint} failed")]
    Process {
        /// The endpoint.
        endpoint: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Another party's output does not verify.
    #[error("verification of {endpoint} failed: {reason}")]
    Verify {
        /// The endpoint whose output was checked.
        endpoint: String,
        /// Why it failed.
        reason: String,
        /// The verifier's error, when the backend has one (Zeus: which proof or
        /// check failed).
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The backend's saved state is unusable.
    #[error("saved backend state")]
    State(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl BackendError {
    /// Unusable parameters, with the error that says why.
    pub fn params<E: std::error::Error + Send + Sync + 'static>(what: &str, e: E) -> Self {
        BackendError::Params {
            what: format!("{what}: {e}"),
            source: Some(Box::new(e)),
        }
    }

    /// Unusable parameters, without an underlying error.
    pub fn params_msg(what: impl Into<String>) -> Self {
        BackendError::Params {
            what: what.into(),
            source: None,
        }
    }

    /// Processing `ep` failed with `e`.
    pub fn process<E: std::error::Error + Send + Sync + 'static>(ep: &EndpointView, e: E) -> Self {
        BackendError::Process {
            endpoint: ep.id.clone(),
            source: Box::new(e),
        }
    }
}

/// A message as a backend sees it.
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
    /// The texts of `msgs`, in order.
    pub fn texts(msgs: &[Msg]) -> Vec<&str> {
        msgs.iter().map(|m| m.text.as_str()).collect()
    }
}

impl From<&Message> for Msg {
    fn from(m: &Message) -> Msg {
        Msg {
            sender: m.sender.clone(),
            recipient: m.recipient.clone(),
            text: m.text.clone(),
            serial: m.serial,
            hash: m.message_hash.clone(),
        }
    }
}

/// An output message: recipient and text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Out {
    /// Recipient.
    pub recipient: String,
    /// Text.
    pub text: String,
}

/// What processing produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// The endpoint as a backend needs it.
#[derive(Debug, Clone)]
pub struct EndpointView {
    /// Endpoint id.
    pub id: String,
    /// Endpoint type.
    pub endpoint_type: String,
    /// `endpoint_params`.
    pub params: Json,
}

impl From<&crate::wire::Endpoint> for EndpointView {
    fn from(e: &crate::wire::Endpoint) -> Self {
        EndpointView {
            id: e.endpoint_id.clone(),
            endpoint_type: e.endpoint_type.clone(),
            params: e.endpoint_params.clone(),
        }
    }
}

/// A crypto backend as the contributor protocol drives it. Randomness is an
/// input (`rng`), so that a run can be replayed exactly.
pub trait Backend: Send {
    /// `SPHINXMIX` or `ZEUS`.
    fn name(&self) -> &'static str;
    /// How an endpoint type is processed.
    fn processing(&self, endpoint_type: &str) -> Result<Processing, BackendError>;
    /// Which inputs of an entry endpoint may be taken when closing it (a malformed
    /// message is left out, so it never stalls a cycle).
    fn admissible(&self, ep: &EndpointView, texts: &[&str]) -> Vec<bool>;
    /// Process the agreed input with this contributor's secrets.
    fn process(
        &mut self,
        ep: &EndpointView,
        inputs: &[Msg],
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Processed, BackendError>;
    /// Check another party's processing before accepting it (`outputs` in any
    /// order; their serials give the published order).
    fn verify(
        &self,
        ep: &EndpointView,
        inputs: &[Msg],
        outputs: &[Msg],
        proof: &str,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), BackendError>;
    /// The crypto parameters the contributor publishes at registration (its
    /// public keys, with proofs bound to `key_session` where the backend has them).
    fn crypto_params(&self, key_session: &str, rng: &mut dyn CryptoRngCore) -> Json;
    /// State the backend keeps across cycles and restarts (opaque bytes), if any.
    fn save_state(&self) -> Option<Vec<u8>> {
        None
    }
    /// Restore what [`Backend::save_state`] returned.
    fn restore_state(&mut self, bytes: &[u8]) -> Result<(), BackendError> {
        let _ = bytes;
        Ok(())
    }
}

/// Why an owner's published keys, or the description built on them, are not
/// usable for a mix-net (the message says which owner and what; the
/// underlying error, when there is one, is kept as the source).
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
pub struct FormationError {
    /// What is wrong, the underlying error's message included.
    pub what: String,
    /// The underlying error.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl FormationError {
    /// `what`, with the error that says why (its message follows `what`).
    pub fn new<E: std::error::Error + Send + Sync + 'static>(what: &str, e: E) -> Self {
        FormationError {
            what: format!("{what}: {e}"),
            source: Some(Box::new(e)),
        }
    }

    /// `what`, without an underlying error.
    pub fn msg(what: impl Into<String>) -> Self {
        FormationError {
            what: what.into(),
            source: None,
        }
    }
}

/// What a backend derives from the keys a mix-net's owners published.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JointKeys {
    /// The mix-net's joint public key, hex (Zeus: the election key, the sum
    /// of the owners' trustee key shares); `None` for a backend without one.
    pub public_key: Option<String>,
    /// The owners' checked key records in owner order, as the endpoint
    /// parameters carry them (Zeus: their trustee keys); empty when the
    /// endpoints carry none.
    pub trustees: Vec<Json>,
}

/// A backend's part of forming a mix-net. It needs no secret: every owner
/// runs it on the keys all owners published ([`Backend::crypto_params`]).
pub trait OwnerKeys: Send + Sync {
    /// `SPHINXMIX` or `ZEUS` (the description's `backend`).
    fn name(&self) -> &'static str;
    /// Check every owner's published `crypto_params` (`owners`: their peers,
    /// in owner order; proofs bound to `key_session`) and derive the joint
    /// keys (Sphinx: a valid mix key each, no joint key; Zeus: a trustee key
    /// share whose proof verifies each, their sum the election key).
    fn joint_keys(&self, owners: &[Peer], key_session: &str) -> Result<JointKeys, FormationError>;
    /// Check the parameters the description, completed with the joint keys,
    /// gives the entry endpoint of its first cycle (Zeus: the booth's, whose
    /// answers, voter list and rounds must make a valid election). By
    /// default there is nothing more to check.
    fn check_entry_params(&self, params: &Json) -> Result<(), FormationError> {
        let _ = params;
        Ok(())
    }
}
