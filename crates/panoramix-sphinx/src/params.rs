//! Constants and parameters, named after the Sphinx paper (Danezis and Goldberg, 2009).
//!
//! | paper | here | meaning |
//! |---|---|---|
//! | κ (k) | [`K`] | security parameter in bytes: MAC length, node-address length, payload tag length |
//! | r | [`SphinxParams::max_hops`] | maximum number of hops a header can carry |
//! | \|α\| | [`GROUP_ELEMENT_LEN`] | encoded group element (Ristretto255, 32 bytes) |
//! | \|β\| | [`SphinxParams::beta_len`] | encrypted routing information: `r · HOP_LEN` |
//! | \|γ\| | [`MAC_LEN`] | header MAC |
//! | \|δ\| | [`SphinxParams::payload_len`] | encrypted payload |
//!
//! Every other length is derived from these. The two parameters the operator picks (the
//! seed's wizard asks for them by name) are `BODY_LEN`, the number of content bytes a packet
//! carries to its exit, and `HEADER_LEN`, which fixes the maximum number of hops.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// κ: the security parameter in bytes (MAC, node address and payload tag lengths).
pub const K: usize = 16;

/// Wire version of this packet format (first byte of every packet). Version 1 is the suite
/// Ristretto255 / HKDF-SHA256 / ChaCha20 / HMAC-SHA256-128 / LIONESS(ChaCha20, HMAC-SHA256).
pub const VERSION: u8 = 1;

/// Length of the version field.
pub const VERSION_LEN: usize = 1;

/// Length of an encoded group element α (a compressed Ristretto255 point).
pub const GROUP_ELEMENT_LEN: usize = 32;

/// Length of the header MAC γ (HMAC-SHA256 truncated to κ bytes).
pub const MAC_LEN: usize = K;

/// Length of a node address inside the routing information (a [`crate::MixNodeId`]).
pub const ADDRESS_LEN: usize = K;

/// Length of a routing flag.
pub const FLAG_LEN: usize = 1;

/// Length of one hop's routing block inside β: flag ‖ address ‖ next γ.
pub const HOP_LEN: usize = FLAG_LEN + ADDRESS_LEN + MAC_LEN;

/// Length of the header fields that do not depend on the number of hops: version ‖ α ‖ γ.
pub const HEADER_FIXED_LEN: usize = VERSION_LEN + GROUP_ELEMENT_LEN + MAC_LEN;

/// Length of the zero tag that starts every payload plaintext and is checked at the exit.
pub const PAYLOAD_TAG_LEN: usize = K;

/// Length of the content-length fields in the payload plaintext: destination length (1 byte)
/// and message length (2 bytes, big-endian).
pub const PAYLOAD_LENGTHS_LEN: usize = 3;

/// Bytes a payload carries in addition to its `BODY_LEN` content bytes.
pub const PAYLOAD_OVERHEAD: usize = PAYLOAD_TAG_LEN + PAYLOAD_LENGTHS_LEN;

/// Longest destination a forward message can name (its length is one byte on the wire).
pub const MAX_DESTINATION_LEN: usize = 255;

/// Length of a replay tag (derived from the per-hop shared secret).
pub const REPLAY_TAG_LEN: usize = K;

/// Default maximum number of hops (r).
pub const DEFAULT_MAX_HOPS: usize = 5;

/// Default `BODY_LEN`: content bytes (destination plus message) per packet.
pub const DEFAULT_BODY_LEN: usize = 1024;

/// Default `HEADER_LEN` (for [`DEFAULT_MAX_HOPS`] hops): 214 bytes.
pub const DEFAULT_HEADER_LEN: usize = HEADER_FIXED_LEN + DEFAULT_MAX_HOPS * HOP_LEN;

/// Largest `max_hops` accepted by [`SphinxParams::new`].
pub const MAX_MAX_HOPS: usize = 32;

/// Smallest `BODY_LEN` accepted (so the LIONESS halves are well defined and a reply fits).
pub const MIN_BODY_LEN: usize = 32;

/// Largest `BODY_LEN` accepted (the message length is a 16-bit field).
pub const MAX_BODY_LEN: usize = 65_535;

/// Routing flag: relay to the node named in the address field.
pub(crate) const FLAG_FORWARD: u8 = 0x01;
/// Routing flag: this hop is the exit; the payload holds destination and message.
pub(crate) const FLAG_FINAL: u8 = 0x02;
/// Routing flag: this hop is the exit of a reply; the address field is the SURB id.
pub(crate) const FLAG_SURB_REPLY: u8 = 0x03;

/// Domain-separation labels. Every hash, KDF and key derivation uses its own label.
pub mod labels {
    /// HKDF salt for the per-hop keys derived from the shared secret.
    pub const HOP_KDF_SALT: &[u8] = b"panoramix/sphinx/v1/hop-kdf-salt";
    /// HKDF info for the per-hop keys (ρ, μ, π, b, τ).
    pub const HOP_KDF_INFO: &[u8] = b"panoramix/sphinx/v1/hop-keys";
    /// Hash label for a node id derived from a mix public key.
    pub const NODE_ID: &[u8] = b"panoramix/sphinx/v1/node-id";
    /// HKDF info for the payload key the replier uses with a SURB.
    pub const SURB_REPLY_KEY: &[u8] = b"panoramix/sphinx/v1/surb-reply-key";
    /// HKDF salt used with [`SURB_REPLY_KEY`].
    pub const SURB_REPLY_SALT: &[u8] = b"panoramix/sphinx/v1/surb-reply-salt";
}

/// The packet geometry a mix-net agrees on (the joint peer's crypto params).
///
/// Serialized with the seed's names plus the hop count they imply:
/// `{"BODY_LEN": 1024, "HEADER_LEN": 214, "MAX_HOPS": 5}`. Deserializing accepts any of
/// `HEADER_LEN` and `MAX_HOPS` (they must agree when both are present; 5 hops when neither
/// is), `BODY_LEN` defaults to 1024, and other keys (such as the original's `GROUP`) are
/// ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "WireParams", into = "WireParams")]
pub struct SphinxParams {
    max_hops: usize,
    body_len: usize,
}

#[derive(Serialize, Deserialize)]
struct WireParams {
    #[serde(rename = "BODY_LEN", default, skip_serializing_if = "Option::is_none")]
    body_len: Option<usize>,
    #[serde(
        rename = "HEADER_LEN",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    header_len: Option<usize>,
    #[serde(rename = "MAX_HOPS", default, skip_serializing_if = "Option::is_none")]
    max_hops: Option<usize>,
}

impl TryFrom<WireParams> for SphinxParams {
    type Error = Error;
    fn try_from(w: WireParams) -> Result<Self, Error> {
        let body_len = w.body_len.unwrap_or(DEFAULT_BODY_LEN);
        match (w.header_len, w.max_hops) {
            (Some(h), Some(r)) => {
                let p = SphinxParams::from_lengths(h, body_len)?;
                if p.max_hops != r {
                    return Err(Error::InvalidParams("HEADER_LEN and MAX_HOPS disagree"));
                }
                Ok(p)
            }
            (Some(h), None) => SphinxParams::from_lengths(h, body_len),
            (None, r) => SphinxParams::new(r.unwrap_or(DEFAULT_MAX_HOPS), body_len),
        }
    }
}

impl From<SphinxParams> for WireParams {
    fn from(p: SphinxParams) -> Self {
        WireParams {
            body_len: Some(p.body_len),
            header_len: Some(p.header_len()),
            max_hops: Some(p.max_hops),
        }
    }
}

impl Default for SphinxParams {
    fn default() -> Self {
        SphinxParams {
            max_hops: DEFAULT_MAX_HOPS,
            body_len: DEFAULT_BODY_LEN,
        }
    }
}

impl SphinxParams {
    /// Parameters for at most `max_hops` hops and `body_len` content bytes.
    ///
    /// Errors with [`Error::InvalidParams`] unless `1 ≤ max_hops ≤ MAX_MAX_HOPS` and
    /// `MIN_BODY_LEN ≤ body_len ≤ MAX_BODY_LEN`.
    pub fn new(max_hops: usize, body_len: usize) -> Result<Self, Error> {
        if !(1..=MAX_MAX_HOPS).contains(&max_hops) {
            return Err(Error::InvalidParams("max_hops must be between 1 and 32"));
        }
        if !(MIN_BODY_LEN..=MAX_BODY_LEN).contains(&body_len) {
            return Err(Error::InvalidParams(
                "BODY_LEN must be between 32 and 65535",
            ));
        }
        Ok(SphinxParams { max_hops, body_len })
    }

    /// Parameters from the seed's two settings, `HEADER_LEN` and `BODY_LEN`.
    ///
    /// `HEADER_LEN` must be `HEADER_FIXED_LEN + r · HOP_LEN` (49 + 33·r) for some r.
    pub fn from_lengths(header_len: usize, body_len: usize) -> Result<Self, Error> {
        if header_len <= HEADER_FIXED_LEN
            || !(header_len - HEADER_FIXED_LEN).is_multiple_of(HOP_LEN)
        {
            return Err(Error::InvalidParams(
                "HEADER_LEN must be 49 + 33 * max_hops",
            ));
        }
        SphinxParams::new((header_len - HEADER_FIXED_LEN) / HOP_LEN, body_len)
    }

    /// r: the maximum number of hops.
    pub fn max_hops(&self) -> usize {
        self.max_hops
    }

    /// `BODY_LEN`: content bytes (destination plus message) a packet carries.
    pub fn body_len(&self) -> usize {
        self.body_len
    }

    /// `HEADER_LEN`: version ‖ α ‖ γ ‖ β.
    pub fn header_len(&self) -> usize {
        HEADER_FIXED_LEN + self.beta_len()
    }

    /// |β| = r · HOP_LEN.
    pub fn beta_len(&self) -> usize {
        self.max_hops * HOP_LEN
    }

    /// |δ| = BODY_LEN + PAYLOAD_OVERHEAD: the encrypted payload on the wire.
    pub fn payload_len(&self) -> usize {
        self.body_len + PAYLOAD_OVERHEAD
    }

    /// Total packet length on the wire: HEADER_LEN + |δ|.
    pub fn packet_len(&self) -> usize {
        self.header_len() + self.payload_len()
    }

    /// Longest message a forward packet to a destination of `destination_len` bytes can carry.
    pub fn max_message_len(&self, destination_len: usize) -> usize {
        self.body_len.saturating_sub(destination_len)
    }

    /// Length of the header keystream a hop needs: (r + 1) · HOP_LEN.
    pub(crate) fn stream_len(&self) -> usize {
        self.beta_len() + HOP_LEN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_carry_five_hops() {
        let p = SphinxParams::default();
        assert_eq!(p.max_hops(), 5);
        assert_eq!(p.header_len(), DEFAULT_HEADER_LEN);
        assert_eq!(p.header_len(), 214);
        assert_eq!(p.payload_len(), 1024 + 19);
        assert_eq!(SphinxParams::from_lengths(214, 1024).unwrap(), p);
    }

    #[test]
    fn rejects_bad_lengths() {
        assert!(matches!(
            SphinxParams::from_lengths(192, 1024),
            Err(Error::InvalidParams(_))
        ));
        assert!(SphinxParams::new(0, 1024).is_err());
        assert!(SphinxParams::new(33, 1024).is_err());
        assert!(SphinxParams::new(5, 31).is_err());
        assert!(SphinxParams::new(5, 65_536).is_err());
    }

    #[test]
    fn serde_uses_seed_names() {
        let p = SphinxParams::default();
        let j = serde_json::to_string(&p).unwrap();
        assert_eq!(j, r#"{"BODY_LEN":1024,"HEADER_LEN":214,"MAX_HOPS":5}"#);
        let back: SphinxParams = serde_json::from_str(&j).unwrap();
        assert_eq!(back, p);
        let parse = |s: &str| serde_json::from_str::<SphinxParams>(s);
        assert!(parse(r#"{"BODY_LEN":1024,"HEADER_LEN":192}"#).is_err());
        assert!(parse(r#"{"BODY_LEN":1024,"HEADER_LEN":214,"MAX_HOPS":4}"#).is_err());
        assert_eq!(parse(r#"{"BODY_LEN":1024,"HEADER_LEN":214}"#).unwrap(), p);
        assert_eq!(parse(r#"{"MAX_HOPS":5,"GROUP":713}"#).unwrap(), p);
        assert_eq!(parse("{}").unwrap(), p);
        assert_eq!(
            parse(r#"{"BODY_LEN":2048,"MAX_HOPS":8}"#).unwrap(),
            SphinxParams::new(8, 2048).unwrap()
        );
    }
}
