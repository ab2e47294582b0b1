//! Typed wire data: the resources of the controller API as the controller writes
//! them and every client reads them (the native client, the contributor state
//! machine, the WebAssembly bindings, the Worker). Reading is strict: a missing
//! field or a value of the wrong type is an error that names the field, never a
//! silent default. Optional fields are `Option`s; lists that may be absent on the
//! wire are documented as such.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::model::{EndpointStatus, MsgBox};

impl Serialize for EndpointStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EndpointStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        EndpointStatus::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown endpoint status {s:?} (OPEN, CLOSED or PROCESSED)"
            ))
        })
    }
}

impl Serialize for MsgBox {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MsgBox {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        MsgBox::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown box {s:?} (INBOX, ACCEPTED, PROCESSBOX or OUTBOX)"
            ))
        })
    }
}

/// One owner of a joint peer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// The owner's peer id (its key id).
    pub owner_key_id: String,
}

/// A peer: an individual (one key) or a joint peer (owned by several).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Peer {
    /// Peer id.
    pub peer_id: String,
    /// Display name.
    pub name: String,
    /// Public key (individual peers; empty for a joint peer).
    pub key_data: String,
    /// Key type (`"ed25519"`; empty for a joint peer).
    pub key_type: String,
    /// `SPHINXMIX`, `ZEUS` or empty.
    pub crypto_backend: String,
    /// Backend parameters (a mix-net description for a joint peer, the published
    /// keys for a contributor); `null` when none.
    pub crypto_params: Json,
    /// Owners of a joint peer, in order (the first one coordinates); empty for an
    /// individual peer.
    pub owners: Vec<Owner>,
    /// `READY` or `DELETED`.
    pub status: String,
    /// Roles assigned to the peer.
    pub roles: Vec<String>,
    /// The consensus that created a joint peer (empty for an individual).
    pub consensus_id: String,
}

impl Peer {
    /// The owners' peer ids, in order.
    pub fn owner_ids(&self) -> Vec<String> {
        self.owners.iter().map(|o| o.owner_key_id.clone()).collect()
    }
}

/// A link: messages of `from_endpoint_id`'s `from_box` feed this endpoint's
/// `to_box`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The source endpoint.
    pub from_endpoint_id: String,
    /// The source box (`ACCEPTED` or `OUTBOX`).
    pub from_box: MsgBox,
    /// This endpoint's box it feeds (`INBOX` or `PROCESSBOX`).
    pub to_box: MsgBox,
}

/// One entry of an endpoint's consensus log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsensusLog {
    /// The consensus that moved the endpoint.
    pub consensus_id: String,
    /// When it was applied.
    pub timestamp: String,
    /// The status it moved to.
    pub status: EndpointStatus,
}

/// An endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    /// Endpoint id.
    pub endpoint_id: String,
    /// Owner (an individual or a joint peer).
    pub peer_id: String,
    /// Free text.
    pub description: String,
    /// Whether anyone may post to its INBOX.
    pub public: bool,
    /// Messages needed to close.
    pub size_min: i64,
    /// Most messages it takes.
    pub size_max: i64,
    /// Endpoint type (a backend's processing).
    pub endpoint_type: String,
    /// Backend parameters.
    pub endpoint_params: Json,
    /// Where its input comes from.
    pub links: Vec<Link>,
    /// Status.
    pub status: EndpointStatus,
    /// Hash of the agreed input, once CLOSED.
    pub inbox_hash: Option<String>,
    /// Hash of the agreed output, once PROCESSED.
    pub outbox_hash: Option<String>,
    /// The processing proof published with the output (JSON, or a string).
    pub process_proof: Option<Json>,
    /// The consensus that last moved it (a transition names it).
    pub last_consensus_id: String,
    /// Messages in its INBOX.
    pub inbox_count: i64,
    /// Every consensus that moved it, in order.
    #[serde(default)]
    pub consensus_logs: Vec<ConsensusLog>,
}

impl Endpoint {
    /// The published proof as the text the backends check: a JSON string as
    /// it is, anything else as compact JSON, none as the empty string.
    pub fn proof_text(&self) -> String {
        match &self.process_proof {
            None | Some(Json::Null) => String::new(),
            Some(Json::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        }
    }
}

/// A message in one box of an endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Row id (order of arrival).
    pub id: i64,
    /// The endpoint.
    pub endpoint_id: String,
    /// The box.
    #[serde(rename = "box")]
    pub box_: MsgBox,
    /// Position in an owner's output (PROCESSBOX, OUTBOX), if any.
    pub serial: Option<i64>,
    /// Sender peer id.
    pub sender: String,
    /// Recipient (free text; a peer id or a backend address).
    pub recipient: String,
    /// The message.
    pub text: String,
    /// `message_hash(serial, sender, recipient, text)`.
    pub message_hash: String,
}

/// One signature of an agreed negotiation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signing {
    /// Signer.
    pub signer_key_id: String,
    /// Signature over the agreed text.
    pub signature: String,
    /// The signer's public key.
    pub key_data: String,
}

/// Negotiation status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NegotiationStatus {
    /// Contributions are being collected.
    #[serde(rename = "OPEN")]
    Open,
    /// Every participant signed the same text: a consensus id exists.
    #[serde(rename = "DONE")]
    Done,
}

/// A negotiation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Negotiation {
    /// Negotiation id.
    pub id: String,
    /// Title (what it is about; the agents' naming convention finds it).
    pub title: String,
    /// Who must sign (none: open to anyone).
    pub participants: Option<Vec<String>>,
    /// Status.
    pub status: NegotiationStatus,
    /// The agreed text, once DONE.
    pub text: Option<String>,
    /// When it closed.
    pub timestamp: Option<String>,
    /// The consensus id, once DONE.
    pub consensus: Option<String>,
    /// The signatures over the agreed text.
    #[serde(default)]
    pub signings: Vec<Signing>,
}

/// A contribution to a negotiation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    /// Row id.
    pub id: i64,
    /// The negotiation.
    pub negotiation_id: String,
    /// Signer.
    pub signer_key_id: String,
    /// The signer's public key.
    pub key_data: String,
    /// The contributed text.
    pub text: String,
    /// Signature over the text.
    pub signature: String,
    /// Whether this is the signer's latest contribution.
    pub latest: bool,
}

/// What a contribution answered: the negotiation's consensus id once the
/// contribution closed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributeResult {
    /// The consensus id, if the negotiation is now DONE.
    #[serde(default)]
    pub consensus: Option<String>,
}

/// The answer to a contribution (`POST /panoramix/contributions/`): the stored
/// contribution (without its key, the sender's) and the negotiation's consensus
/// id once this contribution closed it. [`ContributeResult`] reads its last field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contributed {
    /// Row id.
    pub id: i64,
    /// The negotiation.
    pub negotiation_id: String,
    /// Signer (the request's signer).
    pub signer_key_id: String,
    /// The contributed text.
    pub text: String,
    /// Signature over the text.
    pub signature: String,
    /// Always true: it is the signer's latest contribution.
    pub latest: bool,
    /// The consensus id, if the negotiation is now DONE.
    pub consensus: Option<String>,
}

/// A role assigned to a peer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// The peer.
    pub peer_id: String,
    /// The role.
    pub role: String,
}

/// A controller's limits (`GET /panoramix/controller/`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest request body, bytes.
    pub max_body: u64,
    /// Largest message text, bytes.
    pub max_message: u64,
    /// Accepted clock skew of `info.ts`, seconds.
    pub max_skew_secs: i64,
    /// Largest `size_max` of an endpoint.
    pub max_inbox: i64,
    /// Largest page size of listings.
    pub page_max: i64,
    /// Byte budget of one listing page.
    pub page_max_bytes: u64,
}

/// What a controller says about itself (`GET /panoramix/controller/`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControllerInfo {
    /// The controller id (its key id), which every request's `info.controller` names.
    pub controller_id: String,
    /// The controller's public key.
    pub key_data: String,
    /// Crypto backends peers may register with.
    pub backends: Vec<String>,
    /// Key ids of the configured role authorities.
    pub authorities: Vec<String>,
    /// The controller's time (ISO 8601, UTC).
    pub time: String,
    /// The controller's time, Unix seconds.
    pub ts: i64,
    /// Its limits.
    pub limits: Limits,
}

/// Where a listing's next page starts, to pass back as `after=`: the last
/// item's row id (messages, contributions, audit entries) or its key
/// (negotiations, peers, endpoints).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cursor {
    /// A row id or position.
    Id(i64),
    /// A key: a negotiation, peer or endpoint id.
    Key(String),
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cursor::Id(n) => write!(f, "{n}"),
            Cursor::Key(k) => f.write_str(k),
        }
    }
}

/// A page of a listing: `data`, and where the next page starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items.
    pub data: Vec<T>,
    /// Where the next page starts (`after=`); `null` on the last page.
    #[serde(default)]
    pub next: Option<Cursor>,
}

/// One resource as the API answers it: `{"data": ...}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Data<T> {
    /// The resource.
    pub data: T,
}

/// Most messages one posting request carries.
pub const MAX_MESSAGES_PER_POST: usize = 1000;
/// Most bytes (of sender, recipient and text, plus 64 per message) one posting
/// request carries.
pub const MAX_BYTES_PER_POST: usize = 3 << 20;

/// A message to post: `(sender, recipient, text, serial)`.
pub type NewMessage = (String, String, String, Option<i64>);

/// How the requests that post `items` to a box split them: as few requests as
/// the limits allow, in order (each request is one transaction).
pub fn message_batch_ranges<S: AsRef<str>>(
    items: &[(S, S, S, Option<i64>)],
) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < items.len() {
        let mut end = start;
        let mut bytes = 0;
        while end < items.len() && end - start < MAX_MESSAGES_PER_POST {
            let (a, b, t, _) = &items[end];
            let sz = a.as_ref().len() + b.as_ref().len() + t.as_ref().len() + 64;
            if end > start && bytes + sz > MAX_BYTES_PER_POST {
                break;
            }
            bytes += sz;
            end += 1;
        }
        out.push(start..end);
        start = end;
    }
    out
}

/// The bodies' `messages` lists of the requests that post `items` to a box
/// ([`message_batch_ranges`]).
pub fn message_batches<S: AsRef<str>>(items: &[(S, S, S, Option<i64>)]) -> Vec<Vec<Json>> {
    message_batch_ranges(items)
        .into_iter()
        .map(|r| {
            items[r]
                .iter()
                .map(|(sender, recipient, text, serial)| {
                    let (sender, recipient, text) =
                        (sender.as_ref(), recipient.as_ref(), text.as_ref());
                    let mut m =
                        serde_json::json!({"sender": sender, "recipient": recipient, "text": text});
                    if let Some(s) = serial {
                        m["serial"] = serde_json::json!(s);
                    }
                    m
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn endpoint_json() -> Json {
        json!({
            "endpoint_id": "m-1-mix0", "peer_id": "p", "description": "", "public": false,
            "size_min": 1, "size_max": 10, "endpoint_type": "SPHINXMIX",
            "endpoint_params": {"BODY_LEN": 1024},
            "links": [{"from_endpoint_id": "m-1-gw", "from_box": "ACCEPTED", "to_box": "INBOX"}],
            "status": "CLOSED", "inbox_hash": "ab", "outbox_hash": null, "process_proof": null,
            "last_consensus_id": "c", "inbox_count": 3,
            "consensus_logs": [{"consensus_id": "c", "timestamp": "t", "status": "CLOSED"}]
        })
    }

    #[test]
    fn an_endpoint_round_trips_with_typed_status_and_links() {
        let e: Endpoint = serde_json::from_value(endpoint_json()).unwrap();
        assert_eq!(e.status, EndpointStatus::Closed);
        assert_eq!(e.links[0].from_box, MsgBox::Accepted);
        assert_eq!(e.proof_text(), "");
        assert_eq!(serde_json::to_value(&e).unwrap(), endpoint_json());
    }

    #[test]
    fn a_missing_field_or_a_wrong_status_fails_loudly() {
        let mut j = endpoint_json();
        j.as_object_mut().unwrap().remove("size_max");
        let e = serde_json::from_value::<Endpoint>(j).unwrap_err();
        assert!(e.to_string().contains("size_max"), "{e}");
        let mut j = endpoint_json();
        j["status"] = json!("FULL");
        let e = serde_json::from_value::<Endpoint>(j).unwrap_err();
        assert!(e.to_string().contains("FULL"), "{e}");
    }

    #[test]
    fn a_page_continues_after_an_id_or_a_key_and_ends_on_null() {
        let p: Page<Json> = serde_json::from_value(json!({"data": [1], "next": 7})).unwrap();
        assert_eq!(p.next, Some(Cursor::Id(7)));
        assert_eq!(p.next.unwrap().to_string(), "7");
        let p: Page<Json> = serde_json::from_value(json!({"data": [], "next": "m-1"})).unwrap();
        assert_eq!(p.next.unwrap().to_string(), "m-1");
        let p: Page<Json> = serde_json::from_value(json!({"data": [], "next": null})).unwrap();
        assert_eq!(p.next, None);
        let e = serde_json::from_value::<Page<Json>>(json!({"next": 1})).unwrap_err();
        assert!(e.to_string().contains("data"), "{e}");
    }

    #[test]
    fn postings_are_split_at_the_count_and_byte_limits() {
        let small: Vec<NewMessage> = (0..2500)
            .map(|i| ("s".into(), "r".into(), format!("t{i}"), Some(i)))
            .collect();
        let b = message_batches(&small);
        assert_eq!(
            b.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![1000, 1000, 500]
        );
        assert_eq!(b[2][499]["serial"], 2499);
        let big: Vec<NewMessage> = (0..3)
            .map(|_| (String::new(), String::new(), "x".repeat(2 << 20), None))
            .collect();
        let b = message_batches(&big);
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), vec![1, 1, 1]);
        assert!(b[0][0].get("serial").is_none());
        assert!(message_batches::<String>(&[]).is_empty());
    }

    #[test]
    fn a_message_names_its_box() {
        let m: Message = serde_json::from_value(json!({
            "id": 1, "endpoint_id": "e", "box": "OUTBOX", "serial": 0, "sender": "s",
            "recipient": "r", "text": "t", "message_hash": "h"
        }))
        .unwrap();
        assert_eq!(m.box_, MsgBox::Outbox);
        assert_eq!(serde_json::to_value(&m).unwrap()["box"], "OUTBOX");
    }
}
