//! The fields each signed operation defines. A field the handlers would not read is
//! refused (400 `unknown_field`, naming it) rather than silently ignored, so that a
//! signed request has one meaning: what the signer signed is what the controller
//! acts on, and nothing in it is stored or shown without having been checked.
//!
//! The lists are derived from what the handlers read (`handlers.rs`,
//! `contribute.rs`); `docs/api.md` and `docs/protocol.md` §2.5 list them too.
//! `meta` and `by_consensus` are checked by the envelope itself
//! (`panoramix_core::envelope::{META_FIELDS, BY_CONSENSUS_FIELDS}`).

use crate::error::ApiError;
use panoramix_core::envelope::Verified;
use serde_json::{Map, Value as Json};

/// `info` fields of every signed request.
pub const INFO_COMMON: &[&str] = &["resource", "operation", "controller", "nonce", "ts"];

/// The `data` fields and the extra `info` fields of `resource`/`operation`.
pub fn allowed(
    resource: &str,
    operation: &str,
) -> (&'static [&'static str], &'static [&'static str]) {
    match (resource, operation) {
        ("negotiation", "create") => (&["title", "participants"], &[]),
        ("contribution", "create") => (
            &[
                "negotiation_id",
                "negotiation",
                "text",
                "signature",
                "signer_key_id",
            ],
            &[],
        ),
        ("peer", "create") => (
            &[
                "peer_id",
                "name",
                "key_data",
                "key_type",
                "crypto_backend",
                "crypto_params",
                "owners",
                "status",
                "role",
            ],
            &[],
        ),
        ("role", "update") => (&["peer_id", "role", "action"], &[]),
        ("endpoint", "create") => (
            &[
                "endpoint_id",
                "peer_id",
                "endpoint_type",
                "description",
                "public",
                "size_min",
                "size_max",
                "endpoint_params",
                "links",
                "status",
            ],
            &[],
        ),
        ("endpoint", "partial_update") => (
            &["endpoint_id", "status", "message_hashes", "process_proof"],
            &["id", "on_last_consensus_id"],
        ),
        ("message", "create") => (
            &[
                "endpoint_id",
                "box",
                "sender",
                "recipient",
                "text",
                "serial",
                "messages",
            ],
            &[],
        ),
        ("box", "create") => (&["endpoint_id", "box", "count", "box_hash"], &[]),
        ("takeover", "create") => (&["endpoint_id", "sources", "count", "box_hash"], &[]),
        _ => (&[], &[]),
    }
}

/// Fields of one link of `endpoint/create`.
pub const LINK_FIELDS: &[&str] = &["from_endpoint_id", "from_box", "to_box"];
/// Fields of one message of a `message/create` batch.
pub const BATCH_MESSAGE_FIELDS: &[&str] = &["sender", "recipient", "text", "serial"];
/// `data` fields of a `message/create` batch (with `messages`).
pub const BATCH_FIELDS: &[&str] = &["endpoint_id", "box", "messages"];
/// Fields of an owner given as an object in `peer/create`.
pub const OWNER_FIELDS: &[&str] = &["owner_key_id"];

fn unknown(path: &str, key: &str, op: &str, allowed: &[&str]) -> ApiError {
    ApiError::UnknownField(format!(
        "unknown field `{path}.{key}` for {op}: the fields defined there are {}",
        allowed.join(", ")
    ))
}

fn only(obj: &Map<String, Json>, allowed: &[&str], path: &str, op: &str) -> Result<(), ApiError> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(unknown(path, k, op, allowed)),
        None => Ok(()),
    }
}

/// Objects in the list `data[key]` hold only `allowed` (items of other types are
/// left to the handler, which refuses them with its own message).
fn items_only(
    data: &Map<String, Json>,
    key: &str,
    allowed: &[&str],
    op: &str,
) -> Result<(), ApiError> {
    if let Some(Json::Array(items)) = data.get(key) {
        for (i, item) in items.iter().enumerate() {
            if let Json::Object(o) = item {
                only(o, allowed, &format!("data.{key}[{i}]"), op)?;
            }
        }
    }
    Ok(())
}

/// Refuse any `data` or `info` field `resource`/`operation` does not define.
pub fn check(resource: &str, operation: &str, v: &Verified) -> Result<(), ApiError> {
    let op = format!("{resource}/{operation}");
    let (data_fields, info_extra) = allowed(resource, operation);
    let data_fields: &[&str] =
        if (resource, operation) == ("message", "create") && v.data().contains_key("messages") {
            BATCH_FIELDS
        } else {
            data_fields
        };
    only(v.data(), data_fields, "data", &op)?;
    let info_fields: Vec<&str> = INFO_COMMON.iter().chain(info_extra).copied().collect();
    only(v.info(), &info_fields, "info", &op)?;
    match (resource, operation) {
        ("endpoint", "create") => items_only(v.data(), "links", LINK_FIELDS, &op)?,
        ("message", "create") => items_only(v.data(), "messages", BATCH_MESSAGE_FIELDS, &op)?,
        ("peer", "create") => items_only(v.data(), "owners", OWNER_FIELDS, &op)?,
        _ => {}
    }
    Ok(())
}
