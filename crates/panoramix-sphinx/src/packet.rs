//! The packet on the wire: `version ‖ α ‖ γ ‖ β ‖ δ`, and its text form (standard base64
//! with padding) for messages that travel through the controller as text.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::error::{Error, Malformed};
use crate::params::{
    GROUP_ELEMENT_LEN, HEADER_FIXED_LEN, MAC_LEN, SphinxParams, VERSION, VERSION_LEN,
};

/// Offsets of the header fields.
pub(crate) const ALPHA_AT: usize = VERSION_LEN;
pub(crate) const GAMMA_AT: usize = ALPHA_AT + GROUP_ELEMENT_LEN;
pub(crate) const BETA_AT: usize = GAMMA_AT + MAC_LEN;
const _: () = assert!(BETA_AT == HEADER_FIXED_LEN);

/// Length of the base64 text of `n` bytes (with padding).
pub(crate) fn b64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// Decode base64 text that must hold exactly `expected` bytes, refusing oversized text
/// before allocating.
pub(crate) fn decode_b64_exact(text: &str, expected: usize) -> Result<Vec<u8>, Error> {
    let text = text.trim();
    if text.len() != b64_len(expected) {
        return Err(Malformed::WrongLength {
            expected: b64_len(expected),
            got: text.len(),
        }
        .into());
    }
    let bytes = B64
        .decode(text.as_bytes())
        .map_err(|_| Malformed::InvalidEncoding)?;
    if bytes.len() != expected {
        return Err(Malformed::WrongLength {
            expected,
            got: bytes.len(),
        }
        .into());
    }
    Ok(bytes)
}

/// A Sphinx packet whose length and version were checked against its parameters.
/// (α, γ and β are only checked by the mix that processes it.)
#[derive(Clone, PartialEq, Eq)]
pub struct SphinxPacket {
    params: SphinxParams,
    bytes: Vec<u8>,
}

impl core::fmt::Debug for SphinxPacket {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SphinxPacket")
            .field("len", &self.bytes.len())
            .field("alpha", &hex::encode(self.alpha()))
            .finish_non_exhaustive()
    }
}

impl SphinxPacket {
    /// Check length and version and wrap the bytes.
    pub fn from_bytes(params: &SphinxParams, bytes: &[u8]) -> Result<Self, Error> {
        Self::from_vec(params, bytes.to_vec())
    }

    /// Like [`SphinxPacket::from_bytes`], taking ownership.
    pub fn from_vec(params: &SphinxParams, bytes: Vec<u8>) -> Result<Self, Error> {
        check_layout(params, &bytes)?;
        Ok(SphinxPacket {
            params: *params,
            bytes,
        })
    }

    /// Parse the text form (base64).
    pub fn from_text(params: &SphinxParams, text: &str) -> Result<Self, Error> {
        let bytes = decode_b64_exact(text, params.packet_len())?;
        Self::from_vec(params, bytes)
    }

    /// The text form: standard base64 with padding.
    pub fn to_text(&self) -> String {
        B64.encode(&self.bytes)
    }

    /// The wire bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The wire bytes, by value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The parameters the packet was checked against.
    pub fn params(&self) -> &SphinxParams {
        &self.params
    }

    /// The version byte.
    pub fn version(&self) -> u8 {
        self.bytes[0]
    }

    /// α: the group element (32 bytes).
    pub fn alpha(&self) -> &[u8] {
        &self.bytes[ALPHA_AT..GAMMA_AT]
    }

    /// γ: the header MAC (16 bytes).
    pub fn gamma(&self) -> &[u8] {
        &self.bytes[GAMMA_AT..BETA_AT]
    }

    /// β: the encrypted routing information.
    pub fn beta(&self) -> &[u8] {
        &self.bytes[BETA_AT..self.params.header_len()]
    }

    /// The header: version ‖ α ‖ γ ‖ β.
    pub fn header(&self) -> &[u8] {
        &self.bytes[..self.params.header_len()]
    }

    /// δ: the encrypted payload.
    pub fn payload(&self) -> &[u8] {
        &self.bytes[self.params.header_len()..]
    }

    pub(crate) fn from_checked(params: SphinxParams, bytes: Vec<u8>) -> Self {
        SphinxPacket { params, bytes }
    }
}

/// Length and version check shared by every parser.
pub(crate) fn check_layout(params: &SphinxParams, bytes: &[u8]) -> Result<(), Error> {
    if bytes.len() != params.packet_len() {
        return Err(Malformed::WrongLength {
            expected: params.packet_len(),
            got: bytes.len(),
        }
        .into());
    }
    match bytes.first() {
        Some(&VERSION) => Ok(()),
        Some(&v) => Err(Malformed::UnknownVersion(v).into()),
        None => Err(Malformed::WrongLength {
            expected: params.packet_len(),
            got: 0,
        }
        .into()),
    }
}
