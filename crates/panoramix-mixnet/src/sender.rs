//! The client side of a mix-net: encrypt for it (a Sphinx packet through every
//! owner's mix, or a ballot for the election key signed by a voter credential),
//! post to the cycle's entry endpoint, and read the cycle's result (for ZEUS: the
//! outcomes, a spoiled ballot kept apart from the plaintexts).
//! A post refused with 429 `rate_limited` is retried by the [`Client`] after its
//! backoff ([`panoramix_client::RetryPolicy`]); 429 `inbox_full` is returned at once.

use crate::backend::sphinx_params;
use crate::mixnet::MixnetSpec;
use panoramix_client::{Client, ClientError};
use panoramix_core::model::EndpointStatus;
use panoramix_core::wire::Message;
use panoramix_zeus::{Outcome, TrusteeKey, VoterSecret, ZeusParams};

/// Sender errors.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The controller said no.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// Encryption failed for a reason of the mix-net's (bad keys, bad parameters).
    #[error("{0}")]
    Crypto(String),
    /// The message cannot be sent as given: the sender's mistake, not the
    /// mix-net's. `code` is stable: `message_too_long` (recipient plus message do
    /// not fit the Sphinx payload, or a ballot is over 29 bytes), `not_an_answer`
    /// (not one of the election's answers), `needs_credential` (the election has a
    /// voter list: a one-time credential cannot vote).
    #[error("{message}")]
    Refused {
        /// Stable code.
        code: &'static str,
        /// Human message.
        message: String,
    },
}

fn refused(code: &'static str, message: String) -> SendError {
    SendError::Refused { code, message }
}

fn sphinx_error(e: panoramix_sphinx::Error) -> SendError {
    match e {
        panoramix_sphinx::Error::PayloadTooLong { .. } => {
            refused("message_too_long", format!("recipient plus message: {e}"))
        }
        e => SendError::Crypto(e.to_string()),
    }
}

fn zeus_error(e: panoramix_zeus::ZeusError) -> SendError {
    match e {
        panoramix_zeus::ZeusError::PlaintextTooLong { .. } => {
            refused("message_too_long", format!("ballot: {e}"))
        }
        panoramix_zeus::ZeusError::NotAnAnswer => refused("not_an_answer", e.to_string()),
        e => SendError::Crypto(e.to_string()),
    }
}

/// A cycle's output: (recipient, plaintext) pairs.
pub type Output = Vec<(String, Vec<u8>)>;

/// A cycle's output with every entry typed: (recipient, outcome) pairs. A ZEUS
/// ballot that decrypted to something other than an allowed answer in its
/// canonical encoding is [`Outcome::Spoiled`]; every Sphinx message is a plaintext.
pub type Outcomes = Vec<(String, Outcome)>;

/// A client of one mix-net.
pub struct Sender {
    client: Client,
    joint: String,
    spec: MixnetSpec,
    route: Option<(panoramix_sphinx::SphinxParams, panoramix_sphinx::Route)>,
    trustees: Vec<TrusteeKey>,
}

impl Sender {
    /// Look the mix-net up.
    pub fn new(client: Client, joint: &str) -> Result<Sender, SendError> {
        let peer = client.peer(joint)?;
        let spec: MixnetSpec = serde_json::from_value(peer.crypto_params.clone())
            .map_err(|e| SendError::Crypto(e.to_string()))?;
        let mut route = None;
        let mut trustees = Vec::new();
        if spec.backend == "ZEUS" {
            for o in peer.owner_ids() {
                let p = client.peer(&o)?;
                trustees.push(
                    serde_json::from_value(p.crypto_params["trustee_key"].clone()).map_err(
                        |e| SendError::Crypto(format!("owner {o} published no trustee key: {e}")),
                    )?,
                );
            }
        }
        if spec.backend == "SPHINXMIX" {
            let mut keys = Vec::new();
            for o in peer.owner_ids() {
                let p = client.peer(&o)?;
                let key = p.crypto_params["mix_key"]
                    .as_str()
                    .ok_or_else(|| SendError::Crypto(format!("owner {o} published no mix key")))?;
                keys.push(
                    panoramix_sphinx::MixPublicKey::from_hex(key)
                        .map_err(|e| SendError::Crypto(e.to_string()))?,
                );
            }
            let params =
                sphinx_params(&spec.params).map_err(|e| SendError::Crypto(e.to_string()))?;
            let mut r = panoramix_sphinx::select_route(&params, &keys)
                .map_err(|e| SendError::Crypto(e.to_string()))?;
            r.prepare();
            route = Some((params, r));
        }
        Ok(Sender {
            client,
            joint: joint.to_owned(),
            spec,
            route,
            trustees,
        })
    }

    /// The mix-net's description.
    pub fn spec(&self) -> &MixnetSpec {
        &self.spec
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The text and recipient to post for `message` to `recipient` in `cycle`.
    pub fn encrypt(
        &self,
        cycle: u64,
        recipient: &str,
        message: &[u8],
    ) -> Result<(String, String), SendError> {
        let mut rng = rand_core::OsRng;
        match &self.route {
            Some((params, route)) => {
                let m = panoramix_sphinx::wrap_message(params, route, recipient, message, &mut rng)
                    .map_err(sphinx_error)?;
                Ok((m.recipient, m.text))
            }
            None => {
                // one-time credential: only an election without a voter list takes it
                let params = self.election_params(cycle)?;
                if !params.voters.is_empty() {
                    return Err(refused(
                        "needs_credential",
                        "this election has a voter list: cast with encrypt_ballot and an eligible credential"
                            .into(),
                    ));
                }
                let voter = VoterSecret::generate(&mut rng);
                let b = panoramix_zeus::encrypt_ballot(&params, &voter, message, &mut rng)
                    .map_err(zeus_error)?;
                Ok((self.joint.clone(), b.to_text()))
            }
        }
    }

    /// ZEUS: the election parameters the booth of `cycle` checks ballots against
    /// (the booth's `endpoint_params` of the agreed graph: derived from the
    /// description, or read from the booth when a graph template replaces the
    /// default graph or, with threshold trustees, the key generation made the key).
    pub fn election_params(&self, cycle: u64) -> Result<ZeusParams, SendError> {
        if self.spec.backend != "ZEUS" {
            return Err(SendError::Crypto(format!(
                "{} is a {} mix-net, not an election",
                self.joint, self.spec.backend
            )));
        }
        // threshold trustees: the key is the key generation's, in the booth's parameters
        let params = if self.spec.graph.is_some() || self.spec.threshold().is_some() {
            self.client
                .endpoint(&self.spec.entry(cycle))?
                .endpoint_params
        } else {
            self.spec
                .zeus_params(&self.joint, cycle, &self.trustees, true)
        };
        serde_json::from_value(params)
            .map_err(|e| SendError::Crypto(format!("the election parameters: {e}")))
    }

    /// ZEUS: the recipient and text of a ballot for `answer` in `cycle`, signed with
    /// the voter's credential (one of the election's answers when it has a list).
    pub fn encrypt_ballot(
        &self,
        cycle: u64,
        voter: &VoterSecret,
        answer: &[u8],
    ) -> Result<(String, String), SendError> {
        let params = self.election_params(cycle)?;
        let b = panoramix_zeus::encrypt_ballot(&params, voter, answer, &mut rand_core::OsRng)
            .map_err(zeus_error)?;
        Ok((self.joint.clone(), b.to_text()))
    }

    /// ZEUS: encrypt a ballot and cast it in the booth of `cycle`. A later ballot of
    /// the same credential replaces this one (the last one counts).
    pub fn send_ballot(
        &self,
        cycle: u64,
        voter: &VoterSecret,
        answer: &[u8],
    ) -> Result<Message, SendError> {
        let (to, text) = self.encrypt_ballot(cycle, voter, answer)?;
        self.post(cycle, &to, &text)
    }

    /// Post a prepared text to the entry endpoint of `cycle`.
    pub fn post(&self, cycle: u64, recipient: &str, text: &str) -> Result<Message, SendError> {
        Ok(self.client.post_message(
            &self.spec.entry(cycle),
            "INBOX",
            &self.client.id(),
            recipient,
            text,
            None,
        )?)
    }

    /// Encrypt and post to the entry endpoint of `cycle`.
    pub fn send(&self, cycle: u64, recipient: &str, message: &[u8]) -> Result<Message, SendError> {
        let (to, text) = self.encrypt(cycle, recipient, message)?;
        self.post(cycle, &to, &text)
    }

    /// Whether the entry endpoint of `cycle` accepts messages.
    pub fn is_open(&self, cycle: u64) -> bool {
        self.client
            .endpoint(&self.spec.entry(cycle))
            .is_ok_and(|e| e.status == EndpointStatus::Open)
    }

    /// The cycle's output, once agreed: (recipient, plaintext) pairs in OUTBOX order.
    /// Spoiled ZEUS ballots are not in it (they are no plaintext): see
    /// [`Sender::outcomes`], which keeps them as [`Outcome::Spoiled`].
    pub fn results(&self, cycle: u64) -> Result<Option<Output>, SendError> {
        Ok(self.outcomes(cycle)?.map(|out| {
            out.into_iter()
                .filter_map(|(r, o)| match o {
                    Outcome::Plaintext(p) => Some((r, p)),
                    Outcome::Spoiled(_) => None,
                })
                .collect()
        }))
    }

    /// The cycle's output, once agreed: (recipient, outcome) pairs in OUTBOX order.
    /// ZEUS outcome texts are the plaintext's hex or `spoiled:` and the decrypted
    /// element's hex; anything else is refused, never passed on as bytes.
    pub fn outcomes(&self, cycle: u64) -> Result<Option<Outcomes>, SendError> {
        let id = self.spec.result(cycle);
        match self.client.endpoint(&id) {
            Ok(ep) if ep.status == EndpointStatus::Processed => {}
            Ok(_) => return Ok(None),
            Err(e) if e.status() == Some(404) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        let out = self.client.messages(&id, "OUTBOX")?;
        let zeus = self.spec.backend == "ZEUS";
        out.into_iter()
            .enumerate()
            .map(|(i, m)| {
                let text = m.text.as_str();
                let outcome = if zeus {
                    Outcome::from_text(text).map_err(|e| {
                        SendError::Crypto(format!("{id} output {i} is not an outcome: {e}"))
                    })?
                } else {
                    Outcome::Plaintext(text.as_bytes().to_vec())
                };
                Ok((m.recipient, outcome))
            })
            .collect::<Result<Outcomes, SendError>>()
            .map(Some)
    }
}
