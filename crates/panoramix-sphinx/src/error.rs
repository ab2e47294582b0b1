//! Errors. Every failure on untrusted input is one of these; nothing panics.

/// Why a packet, key or encoding could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Malformed {
    /// The input does not have the length the parameters require.
    WrongLength {
        /// Length the parameters require.
        expected: usize,
        /// Length received.
        got: usize,
    },
    /// The version byte is not one this library knows.
    UnknownVersion(u8),
    /// α (or a public key) is not the canonical encoding of a Ristretto255 point, or is the
    /// identity.
    InvalidGroupElement,
    /// Text input is not valid base64 (or hex, for keys and ids).
    InvalidEncoding,
    /// A routing block carries a flag this library does not know (only reachable with a
    /// valid MAC, so only a broken sender produces it).
    UnknownRoutingFlag(u8),
    /// The payload's length fields do not fit in the payload.
    InvalidPayloadLengths,
    /// The destination is not UTF-8.
    DestinationNotUtf8,
    /// The message is not UTF-8 (the batch API delivers text).
    MessageNotUtf8,
    /// A secret key is not a canonical, non-zero scalar.
    InvalidSecretKey,
}

impl core::fmt::Display for Malformed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Malformed::WrongLength { expected, got } => {
                write!(f, "wrong length: expected {expected} bytes, got {got}")
            }
            Malformed::UnknownVersion(v) => write!(f, "unknown version {v}"),
            Malformed::InvalidGroupElement => f.write_str("invalid group element"),
            Malformed::InvalidEncoding => f.write_str("invalid text encoding"),
            Malformed::UnknownRoutingFlag(x) => write!(f, "unknown routing flag {x}"),
            Malformed::InvalidPayloadLengths => f.write_str("invalid payload length fields"),
            Malformed::DestinationNotUtf8 => f.write_str("destination is not UTF-8"),
            Malformed::MessageNotUtf8 => f.write_str("message is not UTF-8"),
            Malformed::InvalidSecretKey => f.write_str("invalid secret key"),
        }
    }
}

/// Errors of this crate. Match on the variant; [`Error::code`] gives a stable short name
/// for logs and reports.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input could not be parsed.
    #[error("malformed: {0}")]
    Malformed(Malformed),
    /// The header MAC γ did not verify: the packet was not made for this key, or was altered.
    #[error("header MAC does not verify")]
    BadMac,
    /// The packet's replay tag was already seen under this key.
    #[error("replayed packet")]
    Replay,
    /// At the exit, the payload's zero tag did not verify: the payload was altered.
    #[error("payload integrity tag does not verify")]
    BadPayloadTag,
    /// A route longer than the parameters' maximum number of hops.
    #[error("route has {hops} hops, at most {max} allowed")]
    TooManyHops {
        /// Hops requested.
        hops: usize,
        /// Maximum allowed by the parameters.
        max: usize,
    },
    /// A route with no hops.
    #[error("route is empty")]
    EmptyRoute,
    /// The same mix appears twice in a route.
    #[error("route names the same mix twice")]
    DuplicateHop,
    /// Destination plus message do not fit in `BODY_LEN`, or the destination is longer
    /// than 255 bytes.
    #[error("payload too long: {len} bytes, at most {max}")]
    PayloadTooLong {
        /// Bytes requested.
        len: usize,
        /// Bytes available.
        max: usize,
    },
    /// Parameters out of range.
    #[error("invalid parameters: {0}")]
    InvalidParams(&'static str),
    /// The replay cache is full; rotate the mix key (and start a new cache).
    #[error("replay cache full ({capacity} tags); rotate the mix key")]
    ReplayCacheFull {
        /// The cache's capacity.
        capacity: usize,
    },
    /// The replay cache belongs to another mix key.
    #[error("replay cache belongs to another mix key")]
    CacheKeyMismatch,
}

impl Error {
    /// A stable short name: `malformed`, `bad_mac`, `replay`, `bad_payload_tag`,
    /// `too_many_hops`, `empty_route`, `duplicate_hop`, `payload_too_long`,
    /// `invalid_params`, `replay_cache_full`, `cache_key_mismatch`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Malformed(_) => "malformed",
            Error::BadMac => "bad_mac",
            Error::Replay => "replay",
            Error::BadPayloadTag => "bad_payload_tag",
            Error::TooManyHops { .. } => "too_many_hops",
            Error::EmptyRoute => "empty_route",
            Error::DuplicateHop => "duplicate_hop",
            Error::PayloadTooLong { .. } => "payload_too_long",
            Error::InvalidParams(_) => "invalid_params",
            Error::ReplayCacheFull { .. } => "replay_cache_full",
            Error::CacheKeyMismatch => "cache_key_mismatch",
        }
    }
}

impl From<Malformed> for Error {
    fn from(m: Malformed) -> Self {
        Error::Malformed(m)
    }
}
