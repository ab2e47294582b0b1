//! The mix side: peel one layer off a packet.
//!
//! 1. Check length and version; decode α (canonical, non-identity Ristretto255 point).
//! 2. s = x·α; one HKDF-SHA256 gives ρ, μ, π, b, τ.
//! 3. Check γ = HMAC-SHA256(μ, version ‖ β)[..16] in constant time.
//! 4. Check τ against the replay cache.
//! 5. Decrypt (β ‖ 0^c) with the ChaCha20 stream ρ: the first c bytes are this hop's
//!    routing block (flag ‖ address ‖ next γ), the rest is the next β.
//! 6. Decrypt δ with LIONESS(π).
//! 7. Forward: α' = b·α. Exit: check the payload's zero tag and read destination and
//!    message. Reply exit: hand the payload to the SURB's owner, named by its id.

use curve25519_dalek::ristretto::RistrettoPoint;

use crate::client::{SurbId, decode_body};
use crate::crypto::{HopKeys, stream_xor};
use crate::error::{Error, Malformed};
use crate::keys::{MixKeyPair, MixNodeId, decode_point};
use crate::packet::{ALPHA_AT, BETA_AT, GAMMA_AT, SphinxPacket, check_layout};
use crate::params::{
    ADDRESS_LEN, FLAG_FINAL, FLAG_FORWARD, FLAG_SURB_REPLY, GROUP_ELEMENT_LEN, HOP_LEN, MAC_LEN,
    SphinxParams, VERSION,
};
use crate::replay::{ReplayCache, ReplayTag};

/// The result of processing a packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcessedPacket {
    /// Relay `packet` to the mix whose node id is `next_hop`.
    Forward {
        /// Node id of the next mix.
        next_hop: MixNodeId,
        /// The packet for the next mix.
        packet: SphinxPacket,
    },
    /// This mix is the exit: deliver `message` to `destination`.
    Final {
        /// The destination the sender named (free text, UTF-8).
        destination: String,
        /// The message.
        message: Vec<u8>,
    },
    /// This mix is the exit of a reply: deliver `payload` (encrypted for the SURB's owner)
    /// under `surb_id`.
    Reply {
        /// Id the SURB's owner recognises.
        surb_id: SurbId,
        /// The payload, only readable with the owner's [`crate::SurbOpener`].
        payload: Vec<u8>,
    },
}

/// Process one packet with replay protection: peel a layer and record its replay tag in
/// `cache`. A packet is recorded only once its MAC verifies.
///
/// Errors: [`Error::CacheKeyMismatch`] if `cache` belongs to another key, [`Error::Malformed`],
/// [`Error::BadMac`], [`Error::Replay`], [`Error::ReplayCacheFull`], [`Error::BadPayloadTag`].
pub fn process_packet(
    key: &MixKeyPair,
    params: &SphinxParams,
    cache: &mut ReplayCache,
    packet: &[u8],
) -> Result<ProcessedPacket, Error> {
    if cache.node_id() != key.node_id() {
        return Err(Error::CacheKeyMismatch);
    }
    let (tag, processed) = peel_inner(key, params, packet, &|t| cache.contains(t))?;
    cache.check_and_insert(&tag)?;
    Ok(processed)
}

/// Peel one layer **without** replay protection, returning the replay tag with the result.
/// The caller must check the tag against its [`ReplayCache`] before acting on the result
/// ([`process_packet`] and [`crate::process_batch`] do).
pub fn peel_layer(
    key: &MixKeyPair,
    params: &SphinxParams,
    packet: &[u8],
) -> Result<(ReplayTag, ProcessedPacket), Error> {
    peel_inner(key, params, packet, &|_| false)
}

pub(crate) fn peel_inner(
    key: &MixKeyPair,
    params: &SphinxParams,
    packet: &[u8],
    seen: &(dyn Fn(&ReplayTag) -> bool + Sync),
) -> Result<(ReplayTag, ProcessedPacket), Error> {
    check_layout(params, packet)?;
    let mut alpha_bytes = [0u8; GROUP_ELEMENT_LEN];
    alpha_bytes.copy_from_slice(&packet[ALPHA_AT..GAMMA_AT]);
    let alpha = decode_point(&alpha_bytes)?;
    let shared = (alpha * key.secret()).compress().to_bytes();
    let keys = HopKeys::derive(&shared);
    finish_peel(params, packet, &alpha, &keys, seen)
}

/// Steps 3 to 7, once the hop keys are known.
pub(crate) fn finish_peel(
    params: &SphinxParams,
    packet: &[u8],
    alpha: &RistrettoPoint,
    keys: &HopKeys,
    seen: &(dyn Fn(&ReplayTag) -> bool + Sync),
) -> Result<(ReplayTag, ProcessedPacket), Error> {
    let (routing, payload) = verify_and_open(params, packet, keys, seen)?;
    let tag = keys.replay_tag();
    let processed = match routing.flag {
        FLAG_FORWARD => {
            let next_alpha = (alpha * keys.blinding).compress().to_bytes();
            ProcessedPacket::Forward {
                next_hop: MixNodeId(routing.address),
                packet: assemble_forward(params, &next_alpha, routing, payload),
            }
        }
        _ => exit_result(params, routing, payload)?,
    };
    Ok((tag, processed))
}

/// The decrypted routing block and next β.
pub(crate) struct Routing {
    pub flag: u8,
    pub address: [u8; ADDRESS_LEN],
    /// γ for the next hop ‖ β for the next hop, contiguous: MAC_LEN + beta_len bytes.
    pub next: Vec<u8>,
}

/// Verify γ, check the replay tag, decrypt β and δ.
pub(crate) fn verify_and_open(
    params: &SphinxParams,
    packet: &[u8],
    keys: &HopKeys,
    seen: &(dyn Fn(&ReplayTag) -> bool + Sync),
) -> Result<(Routing, Vec<u8>), Error> {
    let header_len = params.header_len();
    let beta = &packet[BETA_AT..header_len];
    if !keys.verify_mac(VERSION, beta, &packet[GAMMA_AT..BETA_AT]) {
        return Err(Error::BadMac);
    }
    if seen(&keys.replay_tag()) {
        return Err(Error::Replay);
    }
    let mut stream = vec![0u8; params.stream_len()];
    stream[..beta.len()].copy_from_slice(beta);
    stream_xor(&keys.rho, &mut stream);
    let flag = stream[0];
    if !matches!(flag, FLAG_FORWARD | FLAG_FINAL | FLAG_SURB_REPLY) {
        return Err(Malformed::UnknownRoutingFlag(flag).into());
    }
    let mut address = [0u8; ADDRESS_LEN];
    address.copy_from_slice(&stream[1..1 + ADDRESS_LEN]);
    // γ' ‖ β' start right after flag and address.
    stream.drain(..1 + ADDRESS_LEN);
    debug_assert_eq!(stream.len(), MAC_LEN + params.beta_len());
    let mut payload = packet[header_len..].to_vec();
    keys.pi.decrypt(&mut payload);
    Ok((
        Routing {
            flag,
            address,
            next: stream,
        },
        payload,
    ))
}

pub(crate) fn assemble_forward(
    params: &SphinxParams,
    next_alpha: &[u8; GROUP_ELEMENT_LEN],
    routing: Routing,
    payload: Vec<u8>,
) -> SphinxPacket {
    let mut out = Vec::with_capacity(params.packet_len());
    out.push(VERSION);
    out.extend_from_slice(next_alpha);
    out.extend_from_slice(&routing.next);
    out.extend_from_slice(&payload);
    debug_assert_eq!(out.len(), params.packet_len());
    debug_assert_eq!(HOP_LEN, 1 + ADDRESS_LEN + MAC_LEN);
    SphinxPacket::from_checked(*params, out)
}

pub(crate) fn exit_result(
    params: &SphinxParams,
    routing: Routing,
    payload: Vec<u8>,
) -> Result<ProcessedPacket, Error> {
    match routing.flag {
        FLAG_SURB_REPLY => Ok(ProcessedPacket::Reply {
            surb_id: SurbId(routing.address),
            payload,
        }),
        _ => {
            let (d, m) = decode_body(params, &payload)?;
            let destination = core::str::from_utf8(d)
                .map_err(|_| Malformed::DestinationNotUtf8)?
                .to_owned();
            Ok(ProcessedPacket::Final {
                destination,
                message: m.to_vec(),
            })
        }
    }
}
