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
//!
//! Strictness (one byte string, one meaning): [`verify_slice`] refuses a key repeated
//! anywhere in the body; `meta.signature` and `meta.key_data` must be lower-case hex;
//! `meta` and `by_consensus` may hold only their defined fields; and the handlers
//! receive `data` and `info` rebuilt from the canonical bytes that were signed.

use crate::canonical::{self, Value};
use crate::identity::{self, Domain, Keypair, PublicKey};
use crate::strict_json::{self, StrictJsonError};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// Why an envelope was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Not a JSON object of the envelope's shape.
    #[error("malformed envelope: {0}")]
    Malformed(String),
    /// An object in the body names a key twice.
    #[error("{0}")]
    DuplicateKey(String),
    /// `meta` or `by_consensus` holds a field the envelope does not define.
    #[error("unknown field `{0}`")]
    UnknownField(String),
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

/// A request whose signature has been verified. Only [`verify`] creates it (its
/// fields are private and read through accessors), so code that takes a
/// `Verified` cannot forget to check the signature.
///
/// ```compile_fail
/// // outside this module a `Verified` can be neither built nor taken apart
/// fn forged(v: panoramix_core::envelope::Verified) -> String {
///     v.signer_id
/// }
/// ```
///
/// `data`, `info` and `by_consensus` are rebuilt from the canonical decoding of the
/// signed bytes, never taken from the JSON as sent: JSON spellings that encode alike
/// (`true` and `1`, `false` and `0`) reach the handlers as the one canonical value
/// (the integers 1 and 0), so a relay that rewrites one into the other changes
/// nothing a handler sees.
#[derive(Debug, Clone)]
pub struct Verified {
    data: Map<String, Json>,
    info: Map<String, Json>,
    by_consensus: Option<ByConsensus>,
    signer: PublicKey,
    signer_id: String,
    signature: String,
    data_info_canonical: Vec<u8>,
    /// The signed bytes when they are not `data_info_canonical` (with `by_consensus`).
    signed_canonical: Option<Vec<u8>>,
}

impl Verified {
    /// `data`, rebuilt from the signed canonical bytes.
    pub fn data(&self) -> &Map<String, Json> {
        &self.data
    }

    /// `info`, rebuilt from the signed canonical bytes.
    pub fn info(&self) -> &Map<String, Json> {
        &self.info
    }

    /// `by_consensus`, if any (rebuilt from the signed canonical bytes).
    pub fn by_consensus(&self) -> Option<&ByConsensus> {
        self.by_consensus.as_ref()
    }

    /// The signer's public key.
    pub fn signer(&self) -> &PublicKey {
        &self.signer
    }

    /// The signer's key id.
    pub fn signer_id(&self) -> &str {
        &self.signer_id
    }

    /// The envelope signature (128 lower-case hex).
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// canonical({data, info}): what a consensus body is compared with.
    pub fn data_info_canonical(&self) -> &[u8] {
        &self.data_info_canonical
    }

    /// canonical({data, info, by_consensus?}): what was signed.
    pub fn signed_canonical(&self) -> &[u8] {
        self.signed_canonical
            .as_deref()
            .unwrap_or(&self.data_info_canonical)
    }

    /// `info[key]` as a string.
    pub fn info_str(&self, key: &str) -> Option<&str> {
        self.info.get(key).and_then(Json::as_str)
    }
}

fn malformed(s: impl Into<String>) -> EnvelopeError {
    EnvelopeError::Malformed(s.into())
}

/// The fields `meta` may hold.
pub const META_FIELDS: &[&str] = &["signature", "key_data"];
/// The fields `by_consensus` may hold.
pub const BY_CONSENSUS_FIELDS: &[&str] = &["consensus_id", "consensus_type", "consensus_part"];

fn only_fields(
    obj: &Map<String, Json>,
    allowed: &[&str],
    prefix: &str,
) -> Result<(), EnvelopeError> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(EnvelopeError::UnknownField(format!("{prefix}.{k}"))),
        None => Ok(()),
    }
}

/// Parse and verify an envelope from the bytes of a request body: the body is read
/// with [`strict_json::parse`] (a key repeated anywhere is refused), then
/// [`verify`]ied.
pub fn verify_slice(body: &[u8]) -> Result<Verified, EnvelopeError> {
    let json = strict_json::parse(body).map_err(|e| match e {
        StrictJsonError::DuplicateKey { .. } => EnvelopeError::DuplicateKey(e.to_string()),
        other => malformed(other.to_string()),
    })?;
    verify(&json)
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
    if !identity::is_lower_hex(signature, 128) {
        return Err(malformed(
            "`meta.signature` must be 128 lower-case hex characters ([0-9a-f]): the one canonical spelling",
        ));
    }
    if !identity::is_lower_hex(key_data, 64) {
        return Err(malformed(
            "`meta.key_data` must be 64 lower-case hex characters ([0-9a-f]): the one canonical spelling",
        ));
    }
    only_fields(meta, META_FIELDS, "meta")?;
    let bc_json = match obj.get("by_consensus") {
        None | Some(Json::Null) => None,
        Some(v) => {
            let o = v
                .as_object()
                .ok_or_else(|| malformed("`by_consensus` must be an object"))?;
            only_fields(o, BY_CONSENSUS_FIELDS, "by_consensus")?;
            Some(v)
        }
    };

    let data_v = canonical::from_json_map(data).map_err(|e| malformed(format!("data: {e}")))?;
    let info_v = canonical::from_json_map(info).map_err(|e| malformed(format!("info: {e}")))?;
    let mut signed = BTreeMap::new();
    signed.insert("data".to_owned(), data_v);
    signed.insert("info".to_owned(), info_v);
    let data_info_canonical = canonical::encode_dict(&signed);
    let signed_canonical = match bc_json {
        None => None,
        Some(bc) => {
            let bc =
                canonical::from_json(bc).map_err(|e| malformed(format!("by_consensus: {e}")))?;
            signed.insert("by_consensus".to_owned(), bc);
            Some(canonical::encode_dict(&signed))
        }
    };
    let signer = PublicKey::from_key_data(key_data).map_err(|_| EnvelopeError::BadSignature)?;
    signer
        .verify(
            Domain::Envelope,
            signed_canonical.as_deref().unwrap_or(&data_info_canonical),
            signature,
        )
        .map_err(|_| EnvelopeError::BadSignature)?;
    // what the handlers see: the signed values (what decoding the signed bytes gives:
    // the canonical encoding round-trips, tests/canonical_props.rs), as JSON
    let part = |k: &str| match signed.get(k).map(canonical::to_json) {
        Some(Json::Object(m)) => Ok(Some(m)),
        None => Ok(None),
        Some(_) => Err(malformed(format!("`{k}` must be an object"))),
    };
    let data = part("data")?.unwrap_or_default();
    let info = part("info")?.unwrap_or_default();
    let by_consensus = match part("by_consensus")? {
        None => None,
        Some(bc) => Some(parse_by_consensus(&Json::Object(bc))?),
    };
    Ok(Verified {
        data,
        info,
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
        assert_eq!(v.signer_id(), kp.key_id());
        let mut t = env.clone();
        t["data"]["a"] = json!(2);
        assert_eq!(verify(&t).unwrap_err(), EnvelopeError::BadSignature);
        // true and 1 are the same canonical value, as in the original, and the handler
        // sees that one value whichever spelling was sent
        assert_eq!(v.data()["b"], json!(1));
        let mut t = env.clone();
        t["data"]["b"] = json!(1);
        assert_eq!(verify(&t).unwrap().data(), v.data());
        // upper-case hex is refused, never stored as sent
        let mut t = env.clone();
        t["meta"]["signature"] = json!(env["meta"]["signature"].as_str().unwrap().to_uppercase());
        assert!(
            matches!(verify(&t).unwrap_err(), EnvelopeError::Malformed(m) if m.contains("lower-case"))
        );
        let mut t = env.clone();
        t["meta"]["key_data"] = json!(env["meta"]["key_data"].as_str().unwrap().to_uppercase());
        assert!(
            matches!(verify(&t).unwrap_err(), EnvelopeError::Malformed(m) if m.contains("lower-case"))
        );
        let mut t = env.clone();
        t["meta"]["note"] = json!("x");
        assert_eq!(
            verify(&t).unwrap_err(),
            EnvelopeError::UnknownField("meta.note".into())
        );
        // a duplicated key is refused before anything else
        let text = env.to_string();
        let dup = text.replacen("\"data\":{", "\"data\":{\"a\":2,", 1);
        assert_ne!(dup, text);
        assert!(matches!(
            verify_slice(dup.as_bytes()).unwrap_err(),
            EnvelopeError::DuplicateKey(_)
        ));
        assert!(verify_slice(text.as_bytes()).is_ok());
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
