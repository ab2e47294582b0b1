//! Negotiations: peers amend a text until all sign the same one.
//!
//! A contribution text is the canonical encoding of `{"body": <action(s)>, "meta":
//! {"accept": 0|1, ...}}`. A signer's newest contribution replaces its earlier ones
//! ("latest only"). A negotiation closes when every participant's latest
//! contribution is the same text and that text has `meta.accept = 1`. The
//! participants are the ones named when the negotiation was created, or, if none
//! were named (the original's behaviour), everybody who has contributed so far. A
//! single contributor who accepts therefore closes an unrestricted negotiation at
//! once: that is the self-consensus used for single-owner actions.
//!
//! On closing, the consensus id is
//! `sha256hex(canonical({"negotiation_id", "text", "signings", "timestamp"}))`,
//! with `signings` a dictionary from signer key id to its signature of the text and
//! `timestamp` formatted as `YYYY-MM-DDTHH:MM:SS.ffffff` (UTC, no zone) — exactly the
//! original's rule, so anyone can recompute it.
//!
//! A contribution's signature is bound to its negotiation: it is made for
//! [`Domain::ContributionIn`] (`panoramix/v1/contribution-in`) over
//! [`contribution_message`], the canonical `{"negotiation_id": id, "text": text}`,
//! so it cannot be carried into another negotiation. Contributions recorded before
//! this binding were signed for [`Domain::Contribution`] over the text alone; the
//! audit verifier still checks those ([`ContributionLabel::Legacy`]).

use crate::canonical::{self, Value};
use crate::identity::{Domain, IdentityError, Keypair, PublicKey, sha256_hex};
use std::collections::BTreeMap;

/// How a contribution's signature was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContributionLabel {
    /// `panoramix/v1/contribution-in` over canonical `{negotiation_id, text}`: the
    /// only signature the controller accepts for a new contribution.
    Bound,
    /// `panoramix/v1/contribution` over the text alone: contributions recorded
    /// before the binding; verified, never accepted anew.
    Legacy,
}

impl ContributionLabel {
    /// The signing label, as recorded in a consensus audit entry.
    pub fn as_str(self) -> &'static str {
        match self {
            ContributionLabel::Bound => "panoramix/v1/contribution-in",
            ContributionLabel::Legacy => "panoramix/v1/contribution",
        }
    }

    /// The label named by `s` (one of [`Self::as_str`]).
    pub fn parse(s: &str) -> Option<ContributionLabel> {
        [ContributionLabel::Bound, ContributionLabel::Legacy]
            .into_iter()
            .find(|l| l.as_str() == s)
    }
}

/// The bytes a bound contribution signature covers: canonical
/// `{"negotiation_id": negotiation_id, "text": text}`.
pub fn contribution_message(negotiation_id: &str, text: &str) -> Vec<u8> {
    Value::dict([
        ("negotiation_id", Value::str(negotiation_id)),
        ("text", Value::str(text)),
    ])
    .encode()
}

/// Sign `text` as a contribution to `negotiation_id` (bound label).
pub fn sign_contribution(kp: &Keypair, negotiation_id: &str, text: &str) -> String {
    kp.sign(
        Domain::ContributionIn,
        &contribution_message(negotiation_id, text),
    )
}

/// Verify a contribution signature made with `label`.
pub fn verify_contribution(
    pk: &PublicKey,
    label: ContributionLabel,
    negotiation_id: &str,
    text: &str,
    signature: &str,
) -> Result<(), IdentityError> {
    match label {
        ContributionLabel::Bound => pk.verify(
            Domain::ContributionIn,
            &contribution_message(negotiation_id, text),
            signature,
        ),
        ContributionLabel::Legacy => pk.verify(Domain::Contribution, text.as_bytes(), signature),
    }
}

/// Errors about negotiation texts and consensus application.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NegotiationError {
    /// The text is not a canonical `{"body", "meta"}` dictionary.
    #[error("contribution text is not a canonical {{body, meta}} dictionary: {0}")]
    BadText(String),
    /// The consensus body (or the requested part) does not equal the request.
    #[error("the request is not the action the consensus agreed on")]
    Mismatch,
    /// The agreed text was not an accepting one.
    #[error("the consensus text is not accepted")]
    NotAccepted,
    /// `consensus_part` given but the body is not a list, or out of range.
    #[error("consensus part {0} does not exist in the agreed body")]
    NoSuchPart(u32),
    /// `meta.signers` in the text disagrees with who signed.
    #[error("meta.signers does not match the signers of the consensus")]
    SignersMismatch,
}

/// A parsed contribution text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// `body`: one action (canonical `{data, info}`) or a list of actions.
    pub body: Value,
    /// `meta` as a dictionary.
    pub meta: BTreeMap<String, Value>,
}

impl Text {
    /// Parse the canonical text of a contribution.
    pub fn parse(text: &str) -> Result<Text, NegotiationError> {
        let v = canonical::decode(text.as_bytes())
            .map_err(|e| NegotiationError::BadText(e.to_string()))?;
        let Value::Dict(mut d) = v else {
            return Err(NegotiationError::BadText("not a dictionary".into()));
        };
        let body = d
            .remove("body")
            .ok_or_else(|| NegotiationError::BadText("no `body`".into()))?;
        let meta = match d.remove("meta") {
            Some(Value::Dict(m)) => m,
            Some(_) => {
                return Err(NegotiationError::BadText(
                    "`meta` is not a dictionary".into(),
                ));
            }
            None => return Err(NegotiationError::BadText("no `meta`".into())),
        };
        if let Some(k) = d.keys().next() {
            return Err(NegotiationError::BadText(format!("unexpected key `{k}`")));
        }
        Ok(Text { body, meta })
    }

    /// Build the canonical text for `body` and `meta`.
    pub fn encode(body: Value, meta: BTreeMap<String, Value>) -> String {
        canonical::encode_string(&Value::dict([("body", body), ("meta", Value::Dict(meta))]))
    }

    /// `meta.accept` is exactly 1 (JSON `true`). Any other value, including strings
    /// such as `"false"` that Python would call truthy, is not an acceptance.
    pub fn accepted(&self) -> bool {
        matches!(self.meta.get("accept"), Some(Value::Int(1)))
    }

    /// The agreed action: the body, or `body[part]` when the body is a list.
    pub fn part(&self, part: Option<u32>) -> Result<&Value, NegotiationError> {
        match part {
            None => Ok(&self.body),
            Some(i) => match &self.body {
                Value::List(items) => items.get(i as usize).ok_or(NegotiationError::NoSuchPart(i)),
                _ => Err(NegotiationError::NoSuchPart(i)),
            },
        }
    }

    /// Check that a request (`canonical({data, info})`) is the agreed action.
    /// `signers` are the key ids that signed the consensus.
    pub fn check_applies(
        &self,
        part: Option<u32>,
        data_info_canonical: &[u8],
        signers: &[String],
    ) -> Result<(), NegotiationError> {
        if !self.accepted() {
            return Err(NegotiationError::NotAccepted);
        }
        if self.part(part)?.encode() != data_info_canonical {
            return Err(NegotiationError::Mismatch);
        }
        if let Some(listed) = self.meta.get("signers") {
            let Value::List(listed) = listed else {
                return Err(NegotiationError::SignersMismatch);
            };
            let mut a: Vec<&str> = listed.iter().filter_map(Value::as_str).collect();
            let mut b: Vec<&str> = signers.iter().map(String::as_str).collect();
            a.sort_unstable();
            b.sort_unstable();
            if a.len() != listed.len() || a != b {
                return Err(NegotiationError::SignersMismatch);
            }
        }
        Ok(())
    }
}

/// A signer's latest contribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latest {
    /// Key id of the contributor.
    pub signer: String,
    /// The canonical text.
    pub text: String,
    /// The contributor's signature of the text.
    pub signature: String,
}

/// Decide whether the latest contributions close the negotiation. Returns the
/// agreed text and the signings when they do.
pub fn closing(
    participants: Option<&[String]>,
    latest: &[Latest],
) -> Option<(String, BTreeMap<String, String>)> {
    let first = latest.first()?;
    if latest.iter().any(|l| l.text != first.text) {
        return None;
    }
    if let Some(ps) = participants
        && (ps.is_empty() || ps.iter().any(|p| !latest.iter().any(|l| &l.signer == p)))
    {
        return None;
    }
    let text = Text::parse(&first.text).ok()?;
    if !text.accepted() {
        return None;
    }
    let signings = latest
        .iter()
        .map(|l| (l.signer.clone(), l.signature.clone()))
        .collect();
    Some((first.text.clone(), signings))
}

/// The canonical record whose hash is the consensus id.
pub fn consensus_record(
    negotiation_id: &str,
    text: &str,
    signings: &BTreeMap<String, String>,
    timestamp: &str,
) -> Value {
    Value::dict([
        ("negotiation_id", Value::str(negotiation_id)),
        ("text", Value::str(text)),
        (
            "signings",
            Value::Dict(
                signings
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::str(v.as_str())))
                    .collect(),
            ),
        ),
        ("timestamp", Value::str(timestamp)),
    ])
}

/// The consensus id: `sha256hex(canonical({negotiation_id, text, signings, timestamp}))`.
pub fn consensus_id(
    negotiation_id: &str,
    text: &str,
    signings: &BTreeMap<String, String>,
    timestamp: &str,
) -> String {
    sha256_hex(&consensus_record(negotiation_id, text, signings, timestamp).encode())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(accept: bool, body: &str) -> String {
        let mut meta = BTreeMap::new();
        meta.insert("accept".into(), Value::Int(i128::from(accept)));
        Text::encode(Value::str(body), meta)
    }

    fn l(s: &str, t: &str) -> Latest {
        Latest {
            signer: s.into(),
            text: t.into(),
            signature: format!("sig-{s}"),
        }
    }

    #[test]
    fn closing_rule() {
        let yes = text(true, "x");
        let no = text(false, "x");
        assert!(closing(None, &[l("a", &yes)]).is_some(), "self-consensus");
        assert!(closing(None, &[l("a", &no)]).is_none());
        assert!(closing(None, &[l("a", &yes), l("b", &no)]).is_none());
        assert!(closing(None, &[l("a", &yes), l("b", &text(true, "y"))]).is_none());
        let (t, s) = closing(None, &[l("a", &yes), l("b", &yes)]).unwrap();
        assert_eq!(t, yes);
        assert_eq!(s.len(), 2);
        let ps = vec!["a".to_string(), "b".to_string()];
        assert!(
            closing(Some(&ps), &[l("a", &yes)]).is_none(),
            "b must sign too"
        );
        assert!(closing(Some(&ps), &[l("a", &yes), l("b", &yes)]).is_some());
    }

    #[test]
    fn consensus_id_is_the_hash_of_the_canonical_record() {
        let mut s = BTreeMap::new();
        s.insert("k1".to_string(), "s1".to_string());
        let id = consensus_id("neg", "txt", &s, "2018-01-31T12:00:00.000001");
        let expected = sha256_hex(
            b"{\n\
              01e_negotiation_id: 013_neg,\n\
              018_signings: {\n012_k1: 012_s1}\n,\n\
              014_text: 013_txt,\n\
              019_timestamp: 021a_2018-01-31T12:00:00.000001}\n",
        );
        assert_eq!(id, expected);
    }

    /// The known-answer vector of `docs/protocol.md` (§ contributions).
    #[test]
    fn bound_contribution_signature_known_answer() {
        // RFC 8032 test 1 secret key
        let kp = Keypair::from_secret_hex(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        )
        .unwrap();
        let nid = "neg-1";
        let text = Text::encode(Value::str("x"), {
            let mut m = BTreeMap::new();
            m.insert("accept".to_string(), Value::Int(1));
            m
        });
        assert_eq!(
            text,
            "{\n014_body: 011_x,\n014_meta: {\n016_accept: 01101}\n}\n"
        );
        let msg = contribution_message(nid, &text);
        assert_eq!(hex::encode(&msg), KAT_MESSAGE_HEX);
        let sig = sign_contribution(&kp, nid, &text);
        assert_eq!(sig, KAT_SIGNATURE);
        let pk = kp.public();
        verify_contribution(&pk, ContributionLabel::Bound, nid, &text, &sig).unwrap();
        // bound to the negotiation: another id does not verify, nor the legacy label
        assert!(verify_contribution(&pk, ContributionLabel::Bound, "neg-2", &text, &sig).is_err());
        assert!(verify_contribution(&pk, ContributionLabel::Legacy, nid, &text, &sig).is_err());
        let legacy = kp.sign(Domain::Contribution, text.as_bytes());
        verify_contribution(&pk, ContributionLabel::Legacy, nid, &text, &legacy).unwrap();
        assert!(verify_contribution(&pk, ContributionLabel::Bound, nid, &text, &legacy).is_err());
        for l in [ContributionLabel::Bound, ContributionLabel::Legacy] {
            assert_eq!(ContributionLabel::parse(l.as_str()), Some(l));
        }
    }

    const KAT_MESSAGE_HEX: &str = "7b0a3031655f6e65676f74696174696f6e5f69643a203031355f6e65672d312c0a3031345f746578743a20303233345f7b0a3031345f626f64793a203031315f782c0a3031345f6d6574613a207b0a3031365f6163636570743a2030313130317d0a7d0a7d0a";
    const KAT_SIGNATURE: &str = "4b78f5cbc22fcc5ddccaeb489b7a2ffe9b49ec719d4ac730c7a50e0a640ec14f903d6c12febfb971c74135bd6409a84789d8053ac1019093e0eb8560d4504001";

    #[test]
    fn application_checks() {
        let action = Value::dict([("data", Value::Int(1)), ("info", Value::Int(2))]);
        let mut meta = BTreeMap::new();
        meta.insert("accept".into(), Value::Int(1));
        let t = Text::parse(&Text::encode(Value::List(vec![action.clone()]), meta)).unwrap();
        assert!(t.check_applies(Some(0), &action.encode(), &[]).is_ok());
        assert_eq!(
            t.check_applies(None, &action.encode(), &[]),
            Err(NegotiationError::Mismatch)
        );
        assert_eq!(
            t.check_applies(Some(1), &action.encode(), &[]),
            Err(NegotiationError::NoSuchPart(1))
        );
    }
}

/// A request prepared for a negotiation: its `data` and `info` are fixed when it is
/// made, so that the agreed text contains exactly the request that will be applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// HTTP method to apply it with.
    pub method: String,
    /// API path, e.g. `/panoramix/endpoints/`.
    pub path: String,
    /// `data`.
    pub data: serde_json::Value,
    /// `info`.
    pub info: serde_json::Value,
}

impl Action {
    /// canonical({data, info}): the body this action has in a contribution text.
    pub fn body(&self) -> Value {
        crate::envelope::data_info_value(&self.data, &self.info).unwrap_or(Value::Null)
    }

    /// The action a part of an agreed text describes.
    pub fn from_part(part: &Value, method: &str, path: &str) -> Action {
        Action {
            method: method.into(),
            path: path.into(),
            data: canonical::to_json(part.get("data").unwrap_or(&Value::Null)),
            info: canonical::to_json(part.get("info").unwrap_or(&Value::Null)),
        }
    }
}

/// The contribution text for `actions` (one action: its body; several: a list),
/// accepting or not, with `extra_meta`.
pub fn text_for(actions: &[Action], accept: bool, extra_meta: BTreeMap<String, Value>) -> String {
    let body = if actions.len() == 1 {
        actions[0].body()
    } else {
        Value::List(actions.iter().map(Action::body).collect())
    };
    let mut meta = extra_meta;
    meta.insert("accept".into(), Value::Int(i128::from(accept)));
    Text::encode(body, meta)
}

/// An action before its freshness (`info`'s nonce, time and controller): what
/// every client adds them to.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionSpec {
    /// HTTP method.
    pub method: &'static str,
    /// API path.
    pub path: String,
    /// `info.resource`.
    pub resource: &'static str,
    /// `info.operation`.
    pub operation: &'static str,
    /// `data`.
    pub data: serde_json::Value,
    /// More `info` fields.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The action creating an endpoint from its fields (status OPEN).
pub fn endpoint_create(fields: &serde_json::Value) -> ActionSpec {
    let mut data = fields.clone();
    data["status"] = serde_json::json!("OPEN");
    ActionSpec {
        method: "POST",
        path: "/panoramix/endpoints/".into(),
        resource: "endpoint",
        operation: "create",
        data,
        extra: serde_json::Map::new(),
    }
}

/// The action moving an endpoint, last moved by `on_last_consensus_id`, to
/// `status` with these message hashes (and a processing proof).
pub fn endpoint_transition(
    endpoint_id: &str,
    on_last_consensus_id: &str,
    status: &str,
    hashes: &[String],
    proof: Option<serde_json::Value>,
) -> ActionSpec {
    let mut data =
        serde_json::json!({"endpoint_id": endpoint_id, "status": status, "message_hashes": hashes});
    if let Some(p) = proof {
        data["process_proof"] = p;
    }
    let mut extra = serde_json::Map::new();
    extra.insert("id".into(), serde_json::json!(endpoint_id));
    extra.insert(
        "on_last_consensus_id".into(),
        serde_json::json!(on_last_consensus_id),
    );
    ActionSpec {
        method: "PATCH",
        path: format!("/panoramix/endpoints/{endpoint_id}/"),
        resource: "endpoint",
        operation: "partial_update",
        data,
        extra,
    }
}
