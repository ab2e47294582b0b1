//! The mix-net model: peers, roles, endpoints, boxes, messages, and the endpoint
//! state machine.

use sha2::{Digest, Sha256};

/// Endpoint status. `FULL` of the original was never set and is not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EndpointStatus {
    /// Accepting messages into its INBOX.
    Open,
    /// Input agreed (INBOX → ACCEPTED); owners upload to PROCESSBOX.
    Closed,
    /// Output agreed (PROCESSBOX → OUTBOX).
    Processed,
}

impl EndpointStatus {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointStatus::Open => "OPEN",
            EndpointStatus::Closed => "CLOSED",
            EndpointStatus::Processed => "PROCESSED",
        }
    }

    /// Parse a wire name.
    pub fn parse(s: &str) -> Option<EndpointStatus> {
        Some(match s {
            "OPEN" => EndpointStatus::Open,
            "CLOSED" => EndpointStatus::Closed,
            "PROCESSED" => EndpointStatus::Processed,
            _ => return None,
        })
    }

    /// The only transitions: OPEN → CLOSED → PROCESSED.
    pub fn can_become(self, next: EndpointStatus) -> bool {
        matches!(
            (self, next),
            (EndpointStatus::Open, EndpointStatus::Closed)
                | (EndpointStatus::Closed, EndpointStatus::Processed)
        )
    }
}

/// A message box of an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MsgBox {
    /// Public input while OPEN.
    Inbox,
    /// The agreed input.
    Accepted,
    /// The owners' output, uploaded while CLOSED.
    Processbox,
    /// The agreed output.
    Outbox,
}

impl MsgBox {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            MsgBox::Inbox => "INBOX",
            MsgBox::Accepted => "ACCEPTED",
            MsgBox::Processbox => "PROCESSBOX",
            MsgBox::Outbox => "OUTBOX",
        }
    }

    /// Parse a wire name.
    pub fn parse(s: &str) -> Option<MsgBox> {
        Some(match s {
            "INBOX" => MsgBox::Inbox,
            "ACCEPTED" => MsgBox::Accepted,
            "PROCESSBOX" => MsgBox::Processbox,
            "OUTBOX" => MsgBox::Outbox,
            _ => return None,
        })
    }
}

/// The endpoint types the controller knows. Contents stay opaque to the controller;
/// the type tells contributors which backend operation runs on the endpoint.
pub const ENDPOINT_TYPES: &[&str] = &[
    "SPHINXMIX_GATEWAY",
    "SPHINXMIX",
    "SPHINXMIX_STATIC_GW",
    "SPHINXMIX_STATIC",
    "ZEUS_BOOTH",
    "ZEUS_SK_MIX",
    "ZEUS_TW_MIX",
    "ZEUS_SK_PARTIAL_DECRYPT",
    "ZEUS_SK_DECRYPT",
    "ZEUS_SK_COMBINE",
    "ZEUS_DKG_DEALINGS",
    "ZEUS_DKG_VERDICTS",
    "ZEUS_DKG_KEY",
    "RELAY",
];

/// The role designations of the registration service (seed §3.2.1). Backends may add
/// their own: any lowercase `[a-z0-9_-]{1,32}` is a valid role name.
pub const STANDARD_ROLES: &[&str] = &[
    "coordinator",
    "contributor",
    "client",
    "auditor",
    "authority",
];

/// Whether `role` is a well-formed role name.
pub fn valid_role(role: &str) -> bool {
    (1..=32).contains(&role.len())
        && role
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-')
}

/// Whether `id` is a well-formed client-chosen identifier (endpoint ids, names):
/// 1 to 128 characters of `[A-Za-z0-9._-]`.
pub fn valid_ident(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.')
}

/// The hash identifying a message in a box (v2; the original's hash concatenated
/// its fields without delimiters, so `("ab","c")` and `("a","bc")` collided):
/// `sha256hex("panoramix/v1/message" || 0x00 || canonical([serial|null, sender, recipient, text]))`.
pub fn message_hash(serial: Option<i64>, sender: &str, recipient: &str, text: &str) -> String {
    use crate::canonical::{Sink, encode_int, encode_str};
    // the canonical encoding of [serial or null, sender, recipient, text], written
    // straight into the hash (the same bytes as `Value::List(..).encode()`, without
    // copying the text: every reader of a box hashes every message)
    let mut h = Sha256::new();
    h.update(b"panoramix/v1/message\0");
    h.put(b"[\n");
    match serial {
        Some(s) => encode_int(&mut h, i128::from(s)),
        None => h.put(b"null"),
    }
    for s in [sender, recipient, text] {
        h.put(b",\n");
        encode_str(&mut h, s);
    }
    h.put(b"]\n");
    hex::encode(h.finalize())
}

/// The hash of a set of message hashes, as the original: sha256hex of the sorted,
/// de-duplicated hex hashes, concatenated.
pub fn set_hash<S: AsRef<str>>(hashes: &[S]) -> String {
    let mut v: Vec<&str> = hashes.iter().map(AsRef::as_ref).collect();
    v.sort_unstable();
    v.dedup();
    let mut h = Sha256::new();
    for x in v {
        h.update(x.as_bytes());
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_hash_is_delimited() {
        assert_ne!(
            message_hash(None, "ab", "c", "x"),
            message_hash(None, "a", "bc", "x")
        );
        assert_ne!(
            message_hash(Some(1), "a", "b", "c"),
            message_hash(None, "a", "b", "c")
        );
        assert_eq!(message_hash(Some(1), "a", "b", "c").len(), 64);
    }

    #[test]
    fn set_hash_is_order_free() {
        assert_eq!(set_hash(&["b", "a", "a"]), set_hash(&["a", "b"]));
        assert_eq!(set_hash::<&str>(&[]), crate::identity::sha256_hex(b""));
    }

    #[test]
    fn transitions() {
        use EndpointStatus::*;
        assert!(Open.can_become(Closed));
        assert!(Closed.can_become(Processed));
        assert!(!Open.can_become(Processed));
        assert!(!Processed.can_become(Closed));
    }
}
