//! The signed request envelope.
//!
//! ```json
//! {"data": {...}, "info": {...}, "by_consensus": {...}?,
//!  "meta": {"signature": "<128 hex>", "key_data": "<64 hex>"}}
//! ```
//!
//! The signature is Ed25519 ([`Domain::Envelope`]) over the canonical encoding of the
//! body without `meta`: `{data, info}` plus `by_consensus` when present. The signer is
//! the key in `meta.key_data`; its key id is the request's signer.
//!
//! panoramix adds freshness to the original's `info`: `nonce` (16 to 64 lowercase
//! hex characters), `ts` (Unix seconds) and `controller` (the id of the controller
//! the request is meant for). The controller rejects foreign, stale and replayed
//! requests (see `docs/protocol.md` §2).

use crate::canonical::{self, Value};
use crate::identity::{Domain, Keypair, PublicKey};
use serde_json::{Map, Value as Json};

/// Why an envelope was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Not a JSON object of the envelope's shape.
    #[error("malformed envelope: {0}")]
    Malformed(String),
    /// The signature or key is not valid.
    #[error("bad signature")]
    BadSignature,
}

/// `by_consensus`: the consensus (or one part of it) a request applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByConsensus {
    /// The consensus id (64 hex).
    pub consensus_id: String,
    /// `"structural"` in the original; kept for compatibility.
    pub consensus_type: String,
    /// Index into the agreed body when the body is a list of actions.
    pub consensus_part: Option<u32>,
}

/// A request whose signature has been verified. Only [`verify`] creates it, so code
/// that takes a `Verified` cannot forget to check the signature.
#[derive(Debug, Clone)]
pub struct Verified {
    /// `data` as sent.
    pub data: Map<String, Json>,
    /// `info` as sent.
    pub info: Map<String, Json>,
    /// `by_consensus`, if any.
    pub by_consensus: Option<ByConsensus>,
    /// The signer's public key.
    pub signer: PublicKey,
    /// The signer's key id.
    pub signer_id: String,
    /// The envelope signature (hex).
    pub signature: String,
    /// canonical({data, info}): what a consensus body is compared with.
    pub data_info_canonical: Vec<u8>,
    /// canonical({data, info, by_consensus?}): what was signed.
    pub signed_canonical: Vec<u8>,
}

impl Verified {
    /// `info[key]` as a string.
    pub fn info_str(&self, key: &str) -> Option<&str> {
        self.info.get(key).and_then(Json::as_str)
    }
}

fn malformed(s: impl Into<String>) -> EnvelopeError {
    EnvelopeError::Malformed(s.into())
}

/// Parse and verify an envelope from its JSON.
pub fn verify(body: &Json) -> Result<Verified, EnvelopeError> {
    let obj = body
        .as_object()
        .ok_or_else(|| malformed("body must be a JSON object"))?;
    for k in obj.keys() {
        if !matches!(k.as_str(), "data" | "info" | "meta" | "by_consensus") {
            return Err(malformed(format!("unknown top-level field `{k}`")));
        }
    }
    let data = obj
        .get("data")
        .and_then(Json::as_object)
        .ok_or_else(|| malformed("`data` must be an object"))?;
    let info = obj
        .get("info")
        .and_then(Json::as_object)
        .ok_or_else(|| malformed("`info` must be an object"))?;
    let meta = obj
        .get("meta")
        .and_then(Json::as_object)
        .ok_or_else(|| malformed("`meta` must be an object"))?;
    let signature = meta
        .get("signature")
        .and_then(Json::as_str)
        .ok_or_else(|| malformed("`meta.signature` must be a string"))?;
    let key_data = meta
        .get("key_data")
        .and_then(Json::as_str)
        .ok_or_else(|| malformed("`meta.key_data` must be a string"))?;
    let by_consensus = match obj.get("by_consensus") {
        None | Some(Json::Null) => None,
        Some(v) => Some(parse_by_consensus(v)?),
    };

    let data_v = canonical::from_json(&Json::Object(data.clone()))
        .map_err(|e| malformed(format!("data: {e}")))?;
    let info_v = canonical::from_json(&Json::Object(info.clone()))
        .map_err(|e| malformed(format!("info: {e}")))?;
    let data_info = Value::dict([("data", data_v.clone()), ("info", info_v.clone())]);
    let data_info_canonical = data_info.encode();
    let signed_canonical = match obj.get("by_consensus") {
        None | Some(Json::Null) => data_info_canonical.clone(),
        Some(bc) => {
            let bc =
                canonical::from_json(bc).map_err(|e| malformed(format!("by_consensus: {e}")))?;
            Value::dict([("data", data_v), ("info", info_v), ("by_consensus", bc)]).encode()
        }
    };
    let signer = PublicKey::from_key_data(key_data).map_err(|_| EnvelopeError::BadSignature)?;
    signer
        .verify(Domain::Envelope, &signed_canonical, signature)
        .map_err(|_| EnvelopeError::BadSignature)?;
    Ok(Verified {
        data: data.clone(),
        info: info.clone(),
        by_consensus,
        signer_id: signer.key_id(),
        signer,
        signature: signature.to_owned(),
        data_info_canonical,
        signed_canonical,
    })
}

fn parse_by_consensus(v: &Json) -> Result<ByConsensus, EnvelopeError> {
    let o = v
        .as_object()
        .ok_or_else(|| malformed("`by_consensus` must be an object"))?;
    let consensus_id = o
        .get("consensus_id")
        .and_then(Json::as_str)
        .ok_or_else(|| malformed("`by_consensus.consensus_id` must be a string"))?
        .to_owned();
    let consensus_type = match o.get("consensus_type") {
        None => "structural".to_owned(),
        Some(t) => t
            .as_str()
            .ok_or_else(|| malformed("`by_consensus.consensus_type` must be a string"))?
            .to_owned(),
    };
    let consensus_part = match o.get("consensus_part") {
        None | Some(Json::Null) => None,
        Some(p) => Some(
            p.as_u64()
                .and_then(|p| u32::try_from(p).ok())
                .ok_or_else(|| {
                    malformed("`by_consensus.consensus_part` must be a small non-negative integer")
                })?,
        ),
    };
    Ok(ByConsensus {
        consensus_id,
        consensus_type,
        consensus_part,
    })
}

/// Sign a request: returns the envelope JSON. `by_consensus` is added when given.
pub fn sign(
    kp: &Keypair,
    data: Json,
    info: Json,
    by_consensus: Option<Json>,
) -> Result<Json, EnvelopeError> {
    let mut body = Map::new();
    body.insert("data".into(), data);
    body.insert("info".into(), info);
    if let Some(bc) = by_consensus {
        body.insert("by_consensus".into(), bc);
    }
    let bytes = canonical::encode_json(&Json::Object(body.clone()))
        .map_err(|e| malformed(e.to_string()))?;
    let sig = kp.sign(Domain::Envelope, &bytes);
    let mut meta = Map::new();
    meta.insert("signature".into(), Json::String(sig));
    meta.insert("key_data".into(), Json::String(kp.key_data()));
    body.insert("meta".into(), Json::Object(meta));
    Ok(Json::Object(body))
}

/// canonical({data, info}) for a request about to be proposed in a negotiation: the
/// agreed body of a consensus is exactly this value.
pub fn data_info_value(data: &Json, info: &Json) -> Result<Value, EnvelopeError> {
    Ok(Value::dict([
        (
            "data",
            canonical::from_json(data).map_err(|e| malformed(e.to_string()))?,
        ),
        (
            "info",
            canonical::from_json(info).map_err(|e| malformed(e.to_string()))?,
        ),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trip_and_tamper() {
        let kp = Keypair::from_secret(&[1u8; 32]);
        let env = sign(
            &kp,
            json!({"a": 1, "b": true}),
            json!({"resource": "x"}),
            None,
        )
        .unwrap();
        let v = verify(&env).unwrap();
        assert_eq!(v.signer_id, kp.key_id());
        let mut t = env.clone();
        t["data"]["a"] = json!(2);
        assert_eq!(verify(&t).unwrap_err(), EnvelopeError::BadSignature);
        // true and 1 are the same canonical value, as in the original
        let mut t = env.clone();
        t["data"]["b"] = json!(1);
        assert!(verify(&t).is_ok());
        let mut t = env.clone();
        t["by_consensus"] = json!({"consensus_id": "00"});
        assert_eq!(verify(&t).unwrap_err(), EnvelopeError::BadSignature);
        let mut t = env;
        t["extra"] = json!(1);
        assert!(matches!(
            verify(&t).unwrap_err(),
            EnvelopeError::Malformed(_)
        ));
    }
}
