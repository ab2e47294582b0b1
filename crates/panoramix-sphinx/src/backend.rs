//! The SPHINXMIX backend side: what the controller's endpoint types mean for this crate,
//! how a route through a joint peer's owners is chosen, and the batch API a contributor
//! agent calls. No I/O: the agent reads the endpoint's accepted messages, calls
//! [`process_batch`], and uploads the outputs.
//!
//! **Roles.**
//! * `SPHINXMIX_GATEWAY` (and the seed's `SPHINXMIX_STATIC_GW`): the joint peer's public
//!   inbox. Nobody holds a key for it and it does no cryptography. Its INBOX accepts packet
//!   texts that [`gateway_accept`] admits (right length, version, canonical α, no duplicate
//!   α in the batch); its ACCEPTED box feeds the first mix, and its PROCESSBOX/OUTBOX
//!   receive the last mix's outputs.
//! * `SPHINXMIX` (and `SPHINXMIX_STATIC`): one owner's mix. It processes its whole inbox
//!   with [`process_batch`] under its [`MixKeyPair`] and replay cache, and outputs the
//!   survivors shuffled.
//!
//! The STATIC variants need nothing different: routes are always static here (the
//! cascade of the joint peer's owners, see [`select_route`]), as they were in the original.
//!
//! **Recipients of processed messages** ([`BatchOutput::recipient`]):
//! * forward hop: the next mix's node id, 32 hex characters ([`MixPublicKey::node_id`] of
//!   the key that owner publishes);
//! * exit of a forward message: the destination the sender named (free text);
//! * exit of a reply: `surb:` followed by the SURB id in hex; the text is the still
//!   encrypted payload (base64) that only the SURB's creator can open.

use core::fmt;
use core::str::FromStr;
use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::client::{Route, create_packet};
use crate::error::{Error, Malformed};
use crate::keys::{MixKeyPair, MixPublicKey, decode_point};
use crate::packet::{ALPHA_AT, GAMMA_AT, check_layout, decode_b64_exact};
use crate::params::{GROUP_ELEMENT_LEN, SphinxParams};
use crate::process::ProcessedPacket;
use crate::replay::{ReplayCache, ReplayTag};

/// The backend's name in the controller (`crypto_backend`).
pub const BACKEND_NAME: &str = "SPHINXMIX";

/// Prefix of the recipient of a SURB reply delivered by an exit mix.
pub const SURB_RECIPIENT_PREFIX: &str = "surb:";

/// The controller's endpoint types for this backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EndpointType {
    /// `SPHINXMIX_GATEWAY`: the joint peer's public entry and exit.
    #[serde(rename = "SPHINXMIX_GATEWAY")]
    Gateway,
    /// `SPHINXMIX`: one owner's mix.
    #[serde(rename = "SPHINXMIX")]
    Mix,
    /// `SPHINXMIX_STATIC_GW`: the seed's name for a gateway with static routing.
    #[serde(rename = "SPHINXMIX_STATIC_GW")]
    StaticGateway,
    /// `SPHINXMIX_STATIC`: the seed's name for a mix with static routing.
    #[serde(rename = "SPHINXMIX_STATIC")]
    StaticMix,
}

/// What an endpoint does, whatever its type's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EndpointRole {
    /// Admits packets ([`gateway_accept`]); no keys, no processing.
    Gateway,
    /// Processes a batch with its key ([`process_batch`]).
    Mix,
}

impl EndpointType {
    /// Every type, in a fixed order.
    pub const ALL: [EndpointType; 4] = [
        EndpointType::Gateway,
        EndpointType::Mix,
        EndpointType::StaticGateway,
        EndpointType::StaticMix,
    ];

    /// The controller's name.
    pub fn as_str(&self) -> &'static str {
        match self {
            EndpointType::Gateway => "SPHINXMIX_GATEWAY",
            EndpointType::Mix => "SPHINXMIX",
            EndpointType::StaticGateway => "SPHINXMIX_STATIC_GW",
            EndpointType::StaticMix => "SPHINXMIX_STATIC",
        }
    }

    /// The role.
    pub fn role(&self) -> EndpointRole {
        match self {
            EndpointType::Gateway | EndpointType::StaticGateway => EndpointRole::Gateway,
            EndpointType::Mix | EndpointType::StaticMix => EndpointRole::Mix,
        }
    }
}

impl fmt::Display for EndpointType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EndpointType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        EndpointType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or(Error::InvalidParams("unknown SPHINXMIX endpoint type"))
    }
}

/// The route through a joint peer: every owner's mix, in the order given (the joint peer's
/// owner order, which is also the order of the mix endpoints in the cycle's endpoint graph).
///
/// A cascade through all owners means one honest owner is enough to hide the link between
/// a sender and its message. Errors when there are more owners than `max_hops`, none, or
/// a key twice.
pub fn select_route(params: &SphinxParams, owners: &[MixPublicKey]) -> Result<Route, Error> {
    Route::new(params, owners)
}

/// A message a client posts to the gateway's INBOX.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientMessage {
    /// Node id (hex) of the first mix, the one the gateway's accepted messages go to.
    pub recipient: String,
    /// The packet's text form.
    pub text: String,
}

/// Wrap `message` for `destination` through `route`, ready to post to the gateway.
pub fn wrap_message(
    params: &SphinxParams,
    route: &Route,
    destination: &str,
    message: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<ClientMessage, Error> {
    let packet = create_packet(params, route, destination, message, rng)?;
    Ok(ClientMessage {
        recipient: route.first_hop().to_hex(),
        text: packet.to_text(),
    })
}

/// A message dropped from a batch, with why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// Index in the batch's input.
    pub index: usize,
    /// Why it was dropped.
    pub error: Error,
}

/// What a gateway admits from its INBOX.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GatewayOutcome {
    /// Indexes of admitted messages, in input order.
    pub accepted: Vec<usize>,
    /// Dropped messages.
    pub rejected: Vec<Rejected>,
}

/// Admit the packet texts a gateway received: right length and version, α a canonical
/// non-identity point, and no α seen earlier in the same batch (a duplicate packet; the
/// first mix would drop it as a replay anyway). The gateway has no key, so it cannot
/// check more.
pub fn gateway_accept<S: AsRef<str>>(params: &SphinxParams, inputs: &[S]) -> GatewayOutcome {
    let mut out = GatewayOutcome::default();
    let mut seen: HashSet<[u8; GROUP_ELEMENT_LEN]> = HashSet::new();
    for (index, text) in inputs.iter().enumerate() {
        let check = || -> Result<[u8; GROUP_ELEMENT_LEN], Error> {
            let bytes = decode_b64_exact(text.as_ref(), params.packet_len())?;
            check_layout(params, &bytes)?;
            let mut alpha = [0u8; GROUP_ELEMENT_LEN];
            alpha.copy_from_slice(&bytes[ALPHA_AT..GAMMA_AT]);
            decode_point(&alpha)?;
            Ok(alpha)
        };
        match check() {
            Ok(alpha) if seen.insert(alpha) => out.accepted.push(index),
            Ok(_) => out.rejected.push(Rejected {
                index,
                error: Error::Replay,
            }),
            Err(error) => out.rejected.push(Rejected { index, error }),
        }
    }
    out
}

/// Kind of a processed message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OutputKind {
    /// A packet for the next mix.
    Forward,
    /// A plaintext message for its destination.
    Final,
    /// A reply payload for a SURB's creator.
    Reply,
}

/// One processed message: what the contributor uploads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchOutput {
    /// Who the message is for (see the module docs).
    pub recipient: String,
    /// The message text: packet base64 (forward), the plaintext (final), payload base64
    /// (reply).
    pub text: String,
    /// What the message is.
    pub kind: OutputKind,
}

/// The result of processing a batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Processed messages, shuffled.
    pub outputs: Vec<BatchOutput>,
    /// Dropped messages, in input order.
    pub rejected: Vec<Rejected>,
}

impl BatchOutcome {
    /// Number of inputs the batch had.
    pub fn input_count(&self) -> usize {
        self.outputs.len() + self.rejected.len()
    }
}

/// Convert a processed packet into the (recipient, text) the controller carries.
pub fn to_output(p: ProcessedPacket) -> Result<BatchOutput, Error> {
    Ok(match p {
        ProcessedPacket::Forward { next_hop, packet } => BatchOutput {
            recipient: next_hop.to_hex(),
            text: packet.to_text(),
            kind: OutputKind::Forward,
        },
        ProcessedPacket::Final {
            destination,
            message,
        } => BatchOutput {
            recipient: destination,
            text: String::from_utf8(message).map_err(|_| Malformed::MessageNotUtf8)?,
            kind: OutputKind::Final,
        },
        ProcessedPacket::Reply { surb_id, payload } => BatchOutput {
            recipient: format!("{SURB_RECIPIENT_PREFIX}{}", surb_id.to_hex()),
            text: B64.encode(payload),
            kind: OutputKind::Reply,
        },
    })
}

/// Uniform index in `0..n` (n ≥ 1) by rejection sampling.
fn uniform_below(rng: &mut (impl RngCore + CryptoRng), n: usize) -> usize {
    let n = n as u64;
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let v = rng.next_u64();
        if v < zone {
            return (v % n) as usize;
        }
    }
}

/// Fisher–Yates shuffle with a CSPRNG.
pub fn shuffle<T>(items: &mut [T], rng: &mut (impl RngCore + CryptoRng)) {
    for i in (1..items.len()).rev() {
        let j = uniform_below(rng, i + 1);
        items.swap(i, j);
    }
}

/// Decode, peel and render every input, without touching the cache except to read it
/// (early drop of packets replayed from earlier batches). Uses every core with the
/// `parallel` feature; rendering (base64 of the next packet) happens in the same pass.
fn peel_all<S: AsRef<str> + Sync>(
    key: &MixKeyPair,
    params: &SphinxParams,
    cache: &ReplayCache,
    inputs: &[S],
) -> Vec<Result<(ReplayTag, BatchOutput), Error>> {
    let seen = |t: &ReplayTag| cache.contains(t);
    let decode = |s: &S| decode_b64_exact(s.as_ref(), params.packet_len());
    let finish = |r: Result<(ReplayTag, ProcessedPacket), Error>| {
        r.and_then(|(tag, p)| to_output(p).map(|o| (tag, o)))
    };
    crate::batch::peel_texts(key, params, inputs, &decode, &seen, &finish)
}

/// Process a mix's whole batch: decode every text, peel a layer, drop and report the
/// malformed, unauthenticated, replayed and corrupt ones one by one, record the replay tags
/// of the rest in `cache`, convert them to (recipient, text) and shuffle them with `rng`.
///
/// One bad message never stops the batch. The only whole-batch error is
/// [`Error::CacheKeyMismatch`] (the cache belongs to another key). When the cache is full,
/// the messages that do not fit are rejected with [`Error::ReplayCacheFull`].
pub fn process_batch<S: AsRef<str> + Sync>(
    key: &MixKeyPair,
    params: &SphinxParams,
    cache: &mut ReplayCache,
    inputs: &[S],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<BatchOutcome, Error> {
    if cache.node_id() != key.node_id() {
        return Err(Error::CacheKeyMismatch);
    }
    let peeled = peel_all(key, params, cache, inputs);
    let mut out = BatchOutcome::default();
    for (index, r) in peeled.into_iter().enumerate() {
        let result = r.and_then(|(tag, o)| cache.check_and_insert(&tag).map(|()| o));
        match result {
            Ok(o) => out.outputs.push(o),
            Err(error) => out.rejected.push(Rejected { index, error }),
        }
    }
    shuffle(&mut out.outputs, rng);
    Ok(out)
}
