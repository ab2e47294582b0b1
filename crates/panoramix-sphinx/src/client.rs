//! The sender side: routes, forward packets and single-use reply blocks (SURBs).
//!
//! Key derivation is O(r): the sender picks x, sends α₀ = x·G, and for hop i computes
//! sᵢ = (x·b₀·…·bᵢ₋₁)·Yᵢ, multiplying the blinding factors as scalars mod ℓ. That is one
//! fixed-base and r variable-base multiplications per packet (r fixed-base ones with a
//! [prepared](Route::prepare) route), instead of the r(r+1)/2 that re-blinding each sᵢ costs.

use core::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoBasepointTable;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::crypto::{HopKeys, LIONESS_KEY_LEN, LionessKey, stream_xor};
use crate::error::{Error, Malformed};
use crate::keys::{MixNodeId, MixPublicKey, random_nonzero_scalar};
use crate::packet::{SphinxPacket, b64_len, decode_b64_exact};
use crate::params::{
    ADDRESS_LEN, FLAG_FINAL, FLAG_FORWARD, FLAG_SURB_REPLY, HOP_LEN, MAX_DESTINATION_LEN,
    PAYLOAD_OVERHEAD, PAYLOAD_TAG_LEN, SphinxParams, VERSION,
};

struct Hop {
    key: MixPublicKey,
    node_id: MixNodeId,
    /// Optional per-node fixed-base table (about 30 KiB, 1 ms to build): halves the cost of
    /// the sender's variable-base multiplication for this hop.
    table: Option<Box<RistrettoBasepointTable>>,
}

impl Clone for Hop {
    fn clone(&self) -> Self {
        Hop {
            key: self.key,
            node_id: self.node_id,
            table: self.table.clone(),
        }
    }
}

/// An ordered list of 1 to r distinct mixes a packet travels through.
#[derive(Clone)]
pub struct Route {
    hops: Vec<Hop>,
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("hops", &self.hops.iter().map(|h| h.key).collect::<Vec<_>>())
            .field("prepared", &self.is_prepared())
            .finish()
    }
}

impl Route {
    /// A route through `hops`, in order. Errors: [`Error::EmptyRoute`],
    /// [`Error::TooManyHops`], [`Error::DuplicateHop`].
    pub fn new(params: &SphinxParams, hops: &[MixPublicKey]) -> Result<Self, Error> {
        if hops.is_empty() {
            return Err(Error::EmptyRoute);
        }
        if hops.len() > params.max_hops() {
            return Err(Error::TooManyHops {
                hops: hops.len(),
                max: params.max_hops(),
            });
        }
        for (i, a) in hops.iter().enumerate() {
            if hops[..i].contains(a) {
                return Err(Error::DuplicateHop);
            }
        }
        Ok(Route {
            hops: hops
                .iter()
                .map(|k| Hop {
                    key: *k,
                    node_id: k.node_id(),
                    table: None,
                })
                .collect(),
        })
    }

    /// Like [`Route::new`], then [`Route::prepare`].
    pub fn prepared(params: &SphinxParams, hops: &[MixPublicKey]) -> Result<Self, Error> {
        let mut r = Route::new(params, hops)?;
        r.prepare();
        Ok(r)
    }

    /// Precompute a fixed-base table per hop (about 1 ms and 30 KiB each). Worth it when
    /// a client sends more than a handful of packets over the same route.
    pub fn prepare(&mut self) {
        for h in &mut self.hops {
            if h.table.is_none() {
                h.table = Some(Box::new(RistrettoBasepointTable::create(h.key.point())));
            }
        }
    }

    /// Whether every hop has its table.
    pub fn is_prepared(&self) -> bool {
        self.hops.iter().all(|h| h.table.is_some())
    }

    /// Number of hops.
    pub fn len(&self) -> usize {
        self.hops.len()
    }

    /// Always false: a route has at least one hop.
    pub fn is_empty(&self) -> bool {
        self.hops.is_empty()
    }

    /// The mixes, in order.
    pub fn hops(&self) -> Vec<MixPublicKey> {
        self.hops.iter().map(|h| h.key).collect()
    }

    /// The node id of the first mix (where the packet is sent).
    pub fn first_hop(&self) -> MixNodeId {
        self.hops
            .first()
            .map(|h| h.node_id)
            .unwrap_or(MixNodeId([0; ADDRESS_LEN]))
    }

    fn check(&self, params: &SphinxParams) -> Result<(), Error> {
        if self.hops.len() > params.max_hops() {
            return Err(Error::TooManyHops {
                hops: self.hops.len(),
                max: params.max_hops(),
            });
        }
        if self.hops.is_empty() {
            return Err(Error::EmptyRoute);
        }
        Ok(())
    }
}

/// A header with the per-hop keys the sender derived for it.
struct BuiltHeader {
    bytes: Vec<u8>,
    keys: Vec<HopKeys>,
}

fn xor_in(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d ^= s;
    }
}

/// Build a header for `route` whose exit block carries `final_flag` and `final_address`.
fn build_header(
    params: &SphinxParams,
    route: &Route,
    final_flag: u8,
    final_address: &[u8; ADDRESS_LEN],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<BuiltHeader, Error> {
    route.check(params)?;
    let nu = route.hops.len();
    let r = params.max_hops();
    let c = HOP_LEN;
    let stream_len = params.stream_len();
    let beta_len = params.beta_len();

    // Keys, O(r): acc = x · b₀ · … · bᵢ₋₁.
    let mut x = random_nonzero_scalar(rng);
    let alpha0 = (&x * RISTRETTO_BASEPOINT_TABLE).compress().to_bytes();
    let mut acc = x;
    let mut keys = Vec::with_capacity(nu);
    for hop in &route.hops {
        let s = match &hop.table {
            Some(t) => &**t * &acc,
            None => hop.key.point() * acc,
        };
        let k = HopKeys::derive(&s.compress().to_bytes());
        acc *= k.blinding;
        keys.push(k);
    }
    x.zeroize();
    acc.zeroize();

    // Header keystreams ρᵢ, (r + 1) · c bytes each.
    let streams: Vec<Vec<u8>> = keys
        .iter()
        .map(|k| {
            let mut s = vec![0u8; stream_len];
            stream_xor(&k.rho, &mut s);
            s
        })
        .collect();

    // Filler: φᵢ₊₁ = (φᵢ ‖ 0^c) ⊕ ρᵢ[L − (i+1)c .. L].
    let mut filler: Vec<u8> = Vec::with_capacity(nu.saturating_sub(1) * c);
    for stream in streams.iter().take(nu - 1) {
        filler.extend_from_slice(&[0u8; HOP_LEN]);
        let start = stream_len - filler.len();
        xor_in(&mut filler, &stream[start..]);
    }

    // Exit: β = (exit block ‖ random padding) ⊕ ρ prefix ‖ filler.
    let mut beta = vec![0u8; beta_len];
    let open = (r - nu + 1) * c;
    beta[0] = final_flag;
    beta[1..1 + ADDRESS_LEN].copy_from_slice(final_address);
    rng.fill_bytes(&mut beta[c..open]);
    xor_in(&mut beta[..open], &streams[nu - 1][..open]);
    beta[open..].copy_from_slice(&filler);
    let mut gamma = keys[nu - 1].mac(VERSION, &beta);

    // Inward: βᵢ = (FORWARD ‖ idᵢ₊₁ ‖ γᵢ₊₁ ‖ βᵢ₊₁[..(r−1)c]) ⊕ ρᵢ[..rc].
    for i in (0..nu - 1).rev() {
        let mut next = vec![0u8; beta_len];
        next[0] = FLAG_FORWARD;
        next[1..1 + ADDRESS_LEN].copy_from_slice(&route.hops[i + 1].node_id.0);
        next[1 + ADDRESS_LEN..c].copy_from_slice(&gamma);
        next[c..].copy_from_slice(&beta[..beta_len - c]);
        xor_in(&mut next, &streams[i][..beta_len]);
        beta = next;
        gamma = keys[i].mac(VERSION, &beta);
    }

    let mut bytes = Vec::with_capacity(params.packet_len());
    bytes.push(VERSION);
    bytes.extend_from_slice(&alpha0);
    bytes.extend_from_slice(&gamma);
    bytes.extend_from_slice(&beta);
    Ok(BuiltHeader { bytes, keys })
}

/// The payload plaintext: 0^κ ‖ len(dest) (1) ‖ len(msg) (2, BE) ‖ dest ‖ msg ‖ 0-padding.
pub(crate) fn encode_body(
    params: &SphinxParams,
    destination: &[u8],
    message: &[u8],
) -> Result<Vec<u8>, Error> {
    if destination.len() > MAX_DESTINATION_LEN {
        return Err(Error::PayloadTooLong {
            len: destination.len(),
            max: MAX_DESTINATION_LEN,
        });
    }
    let content = destination.len() + message.len();
    if content > params.body_len() {
        return Err(Error::PayloadTooLong {
            len: content,
            max: params.body_len(),
        });
    }
    let mut body = vec![0u8; params.payload_len()];
    body[PAYLOAD_TAG_LEN] = destination.len() as u8;
    body[PAYLOAD_TAG_LEN + 1..PAYLOAD_TAG_LEN + 3]
        .copy_from_slice(&(message.len() as u16).to_be_bytes());
    body[PAYLOAD_OVERHEAD..PAYLOAD_OVERHEAD + destination.len()].copy_from_slice(destination);
    body[PAYLOAD_OVERHEAD + destination.len()..PAYLOAD_OVERHEAD + content].copy_from_slice(message);
    Ok(body)
}

/// Check the zero tag (constant time) and split a decrypted payload into
/// (destination, message).
pub(crate) fn decode_body<'a>(
    params: &SphinxParams,
    body: &'a [u8],
) -> Result<(&'a [u8], &'a [u8]), Error> {
    if body.len() != params.payload_len() {
        return Err(Malformed::WrongLength {
            expected: params.payload_len(),
            got: body.len(),
        }
        .into());
    }
    let zero = [0u8; PAYLOAD_TAG_LEN];
    if !bool::from(body[..PAYLOAD_TAG_LEN].ct_eq(&zero)) {
        return Err(Error::BadPayloadTag);
    }
    let dlen = body[PAYLOAD_TAG_LEN] as usize;
    let mlen = u16::from_be_bytes([body[PAYLOAD_TAG_LEN + 1], body[PAYLOAD_TAG_LEN + 2]]) as usize;
    if dlen + mlen > params.body_len() {
        return Err(Malformed::InvalidPayloadLengths.into());
    }
    let d = &body[PAYLOAD_OVERHEAD..PAYLOAD_OVERHEAD + dlen];
    let m = &body[PAYLOAD_OVERHEAD + dlen..PAYLOAD_OVERHEAD + dlen + mlen];
    Ok((d, m))
}

/// Wrap `message` for `destination` in a Sphinx packet through `route`.
///
/// `destination` is free text (at most 255 bytes) that the exit mix reports as the
/// message's recipient; destination and message together take at most `BODY_LEN` bytes.
/// The packet goes to [`Route::first_hop`].
pub fn create_packet(
    params: &SphinxParams,
    route: &Route,
    destination: &str,
    message: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<SphinxPacket, Error> {
    let mut payload = encode_body(params, destination.as_bytes(), message)?;
    let header = build_header(params, route, FLAG_FINAL, &[0u8; ADDRESS_LEN], rng)?;
    for k in header.keys.iter().rev() {
        k.pi.encrypt(&mut payload);
    }
    let mut bytes = header.bytes;
    bytes.extend_from_slice(&payload);
    Ok(SphinxPacket::from_checked(*params, bytes))
}

/// The id an exit mix reports a SURB reply under (16 random bytes chosen by the SURB's
/// creator). Only the creator can link it to anything.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SurbId(pub [u8; ADDRESS_LEN]);

impl SurbId {
    /// Lower-case hex (32 characters).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parse 32 hex characters.
    pub fn from_hex(s: &str) -> Result<Self, Error> {
        let mut out = [0u8; ADDRESS_LEN];
        hex::decode_to_slice(s, &mut out).map_err(|_| Malformed::InvalidEncoding)?;
        Ok(SurbId(out))
    }
}

impl fmt::Debug for SurbId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SurbId({})", self.to_hex())
    }
}

impl fmt::Display for SurbId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for SurbId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for SurbId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        SurbId::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// A single-use reply block: what a sender gives a recipient so that the recipient can
/// answer without learning who the sender is.
///
/// Wire form: version (1) ‖ first hop node id (16) ‖ reply key seed (32) ‖ header
/// (`HEADER_LEN`); text form is its base64. Using it twice gives two packets with the same
/// header, and the first mix drops the second as a replay.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Surb {
    #[zeroize(skip)]
    params: SphinxParams,
    #[zeroize(skip)]
    first_hop: MixNodeId,
    reply_seed: [u8; 32],
    header: Vec<u8>,
}

impl fmt::Debug for Surb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Surb")
            .field("first_hop", &self.first_hop)
            .finish_non_exhaustive()
    }
}

impl Surb {
    /// Length of the wire form for `params`.
    pub fn wire_len(params: &SphinxParams) -> usize {
        1 + ADDRESS_LEN + 32 + params.header_len()
    }

    /// The mix the reply packet must be sent to.
    pub fn first_hop(&self) -> MixNodeId {
        self.first_hop
    }

    /// Build the reply packet carrying `message` (at most `BODY_LEN` bytes). Send it to
    /// [`Surb::first_hop`].
    pub fn reply(&self, message: &[u8]) -> Result<SphinxPacket, Error> {
        let mut payload = encode_body(&self.params, &[], message)?;
        LionessKey::from_seed(&self.reply_seed).encrypt(&mut payload);
        let mut bytes = Vec::with_capacity(self.params.packet_len());
        bytes.extend_from_slice(&self.header);
        bytes.extend_from_slice(&payload);
        SphinxPacket::from_vec(&self.params, bytes)
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::wire_len(&self.params));
        out.push(VERSION);
        out.extend_from_slice(&self.first_hop.0);
        out.extend_from_slice(&self.reply_seed);
        out.extend_from_slice(&self.header);
        out
    }

    /// Parse the wire form.
    pub fn from_bytes(params: &SphinxParams, bytes: &[u8]) -> Result<Self, Error> {
        let n = Self::wire_len(params);
        if bytes.len() != n {
            return Err(Malformed::WrongLength {
                expected: n,
                got: bytes.len(),
            }
            .into());
        }
        if bytes[0] != VERSION {
            return Err(Malformed::UnknownVersion(bytes[0]).into());
        }
        let header = bytes[1 + ADDRESS_LEN + 32..].to_vec();
        if header[0] != VERSION {
            return Err(Malformed::UnknownVersion(header[0]).into());
        }
        let mut first_hop = [0u8; ADDRESS_LEN];
        first_hop.copy_from_slice(&bytes[1..1 + ADDRESS_LEN]);
        let mut reply_seed = [0u8; 32];
        reply_seed.copy_from_slice(&bytes[1 + ADDRESS_LEN..1 + ADDRESS_LEN + 32]);
        Ok(Surb {
            params: *params,
            first_hop: MixNodeId(first_hop),
            reply_seed,
            header,
        })
    }

    /// The text form (base64).
    pub fn to_text(&self) -> String {
        B64.encode(self.to_bytes())
    }

    /// Parse the text form.
    pub fn from_text(params: &SphinxParams, text: &str) -> Result<Self, Error> {
        let bytes = decode_b64_exact(text, Self::wire_len(params))?;
        Self::from_bytes(params, &bytes)
    }
}

/// What the creator of a SURB keeps to read the reply: the SURB id, the reply key seed and
/// the payload keys of every hop. Secret: zeroized on drop, hidden from `Debug`.
/// Serializable (hex) so a client can keep it until the reply arrives.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SurbOpener {
    #[zeroize(skip)]
    params: SphinxParams,
    #[zeroize(skip)]
    id: SurbId,
    reply_seed: [u8; 32],
    hop_keys: Vec<LionessKey>,
}

impl fmt::Debug for SurbOpener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SurbOpener")
            .field("id", &self.id)
            .field("hops", &self.hop_keys.len())
            .finish_non_exhaustive()
    }
}

impl SurbOpener {
    /// The id the exit mix reports the reply under.
    pub fn id(&self) -> SurbId {
        self.id
    }

    /// Decrypt the payload an exit mix delivered for this SURB (see
    /// [`crate::ProcessedPacket::Reply`]) and check its tag.
    pub fn open(&self, payload: &[u8]) -> Result<Vec<u8>, Error> {
        let mut body = payload.to_vec();
        if body.len() != self.params.payload_len() {
            return Err(Malformed::WrongLength {
                expected: self.params.payload_len(),
                got: body.len(),
            }
            .into());
        }
        for k in self.hop_keys.iter().rev() {
            k.encrypt(&mut body);
        }
        LionessKey::from_seed(&self.reply_seed).decrypt(&mut body);
        let out = decode_body(&self.params, &body).map(|(_, m)| m.to_vec());
        body.zeroize();
        out
    }

    /// Like [`SurbOpener::open`] for the text the batch API delivers (base64).
    pub fn open_text(&self, text: &str) -> Result<Vec<u8>, Error> {
        let bytes = decode_b64_exact(text, self.params.payload_len())?;
        self.open(&bytes)
    }
}

#[derive(Serialize, Deserialize)]
struct WireOpener {
    params: SphinxParams,
    id: SurbId,
    reply_seed: String,
    hop_keys: Vec<String>,
}

impl Serialize for SurbOpener {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        WireOpener {
            params: self.params,
            id: self.id,
            reply_seed: hex::encode(self.reply_seed),
            hop_keys: self
                .hop_keys
                .iter()
                .map(|k| hex::encode(k.to_bytes()))
                .collect(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for SurbOpener {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = WireOpener::deserialize(d)?;
        let mut reply_seed = [0u8; 32];
        hex::decode_to_slice(&w.reply_seed, &mut reply_seed)
            .map_err(|_| serde::de::Error::custom("reply_seed: 64 hex characters"))?;
        if w.hop_keys.is_empty() || w.hop_keys.len() > w.params.max_hops() {
            return Err(serde::de::Error::custom("hop_keys: 1 to max_hops keys"));
        }
        let mut hop_keys = Vec::with_capacity(w.hop_keys.len());
        for k in &w.hop_keys {
            let mut b = [0u8; LIONESS_KEY_LEN];
            hex::decode_to_slice(k, &mut b)
                .map_err(|_| serde::de::Error::custom("hop_keys: 256 hex characters each"))?;
            hop_keys.push(LionessKey::from_bytes(&b));
            b.zeroize();
        }
        Ok(SurbOpener {
            params: w.params,
            id: w.id,
            reply_seed,
            hop_keys,
        })
    }
}

/// Make a SURB through `route` back to its creator: the creator hands out the [`Surb`]
/// (for example inside a forward message) and keeps the [`SurbOpener`].
///
/// The exit mix of the reply reports it under [`SurbOpener::id`] (recipient text
/// `surb:<hex id>` in the batch API); it cannot read it.
pub fn create_surb(
    params: &SphinxParams,
    route: &Route,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<(Surb, SurbOpener), Error> {
    let mut id = [0u8; ADDRESS_LEN];
    rng.fill_bytes(&mut id);
    let mut reply_seed = [0u8; 32];
    rng.fill_bytes(&mut reply_seed);
    let header = build_header(params, route, FLAG_SURB_REPLY, &id, rng)?;
    let hop_keys = header.keys.iter().map(|k| k.pi.clone()).collect();
    let surb = Surb {
        params: *params,
        first_hop: route.first_hop(),
        reply_seed,
        header: header.bytes.clone(),
    };
    let opener = SurbOpener {
        params: *params,
        id: SurbId(id),
        reply_seed,
        hop_keys,
    };
    reply_seed.zeroize();
    Ok((surb, opener))
}

/// Length of the base64 text of a packet for `params`.
pub fn packet_text_len(params: &SphinxParams) -> usize {
    b64_len(params.packet_len())
}
