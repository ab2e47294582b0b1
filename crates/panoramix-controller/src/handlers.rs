//! Routing and the request handlers.

use crate::audit;
use crate::authz::{check_peer_action, controllers};
use crate::error::{ApiError, InternalError, SharedError};
use crate::paging::{EP_SIZE, MSG_SIZE, NEG_SIZE, PEER_SIZE, cut as page_cut, next_cursor};
use crate::rows::{Cols, RowError, select, select_one};
use crate::store::{SqlValue, Store, Tx};
use crate::util::*;
use crate::{ApiRequest, Controller, Event, Host};
use panoramix_core::canonical::Value;
use panoramix_core::envelope::{self, Verified};
use panoramix_core::identity::{self, Domain};
use panoramix_core::model::{self, ENDPOINT_TYPES, EndpointStatus, MsgBox};
use panoramix_core::negotiation::Text;
use panoramix_core::time::Micros;
use panoramix_core::wire::{self, Cursor, Data, Page};
use serde::Serialize;
use serde_json::Value as Json;

mod audit_log;
mod boxes;
mod endpoints;
mod messages;
mod negotiations;
mod peers;
mod takeover;

pub(crate) use audit_log::audit_seq;
pub use audit_log::verify_head;
use audit_log::*;
use boxes::*;
use endpoints::*;
use messages::*;
use negotiations::*;
use peers::*;
use takeover::*;

type Res = Result<(u16, Json), ApiError>;

/// A value that could not be encoded as JSON: a server fault.
pub(crate) fn encode_err(e: serde_json::Error) -> ApiError {
    ApiError::Internal(InternalError::Encode(SharedError::new(e)))
}

/// A status and a typed body, as the response's JSON.
pub(crate) fn answer<T: Serialize>(status: u16, body: &T) -> Res {
    serde_json::to_value(body)
        .map(|j| (status, j))
        .map_err(encode_err)
}

/// `{"data": ...}`.
pub(crate) fn data<T: Serialize>(status: u16, data: T) -> Res {
    answer(status, &Data { data })
}

/// `{"data": [...], "next": ...}`.
fn page<T: Serialize>(data: Vec<T>, next: Option<Cursor>) -> Res {
    answer(200, &Page { data, next })
}

pub(crate) fn dispatch<H: Host, S: Store>(
    c: &Controller<H>,
    store: &mut S,
    req: &ApiRequest,
    events: &mut Vec<Event>,
) -> Res {
    let rest = req
        .path
        .strip_prefix("/panoramix/")
        .or_else(|| {
            if req.path == "/panoramix" {
                Some("")
            } else {
                None
            }
        })
        .ok_or_else(|| ApiError::NotFound(format!("no such path: {}", req.path)))?;
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let q = Query::new(&req.query);
    let m = req.method.as_str();
    match (m, segs.as_slice()) {
        ("GET", ["controller"]) => data(200, controller_info(c)),
        ("GET", ["negotiations"]) => store.read(|tx| list_negotiations(c, tx, &q)),
        ("GET", ["negotiations", id]) => store.read(|tx| get_negotiation(tx, id)),
        ("POST", ["negotiations"]) => {
            signed_write(c, store, req, "negotiation", "create", |tx, v| {
                create_negotiation(c, tx, v)
            })
        }
        ("GET", ["contributions"]) => store.read(|tx| list_contributions(c, tx, &q)),
        ("POST", ["contributions"]) => {
            signed_write(c, store, req, "contribution", "create", |tx, v| {
                crate::contribute::contribute(c, tx, v)
            })
        }
        ("GET", ["peers"]) => store.read(|tx| list_peers(c, tx, &q)),
        ("GET", ["peers", id]) => store.read(|tx| get_peer(tx, id)),
        ("POST", ["peers"]) => signed_write(c, store, req, "peer", "create", |tx, v| {
            create_peer(c, tx, v)
        }),
        ("GET", ["roles"]) => store.read(|tx| list_roles(tx, &q)),
        ("POST", ["roles"]) => signed_write(c, store, req, "role", "update", |tx, v| {
            update_role(c, tx, v)
        }),
        ("GET", ["endpoints"]) => store.read(|tx| list_endpoints(c, tx, &q)),
        ("GET", ["endpoints", id]) => store.read(|tx| get_endpoint(tx, id)),
        ("POST", ["endpoints"]) => signed_write(c, store, req, "endpoint", "create", |tx, v| {
            create_endpoint(c, tx, v)
        }),
        ("PATCH", ["endpoints", id]) => {
            let (res, event) =
                signed_write(c, store, req, "endpoint", "partial_update", |tx, v| {
                    update_endpoint(c, tx, v, id)
                })?;
            // reported only once the store has committed the change
            events.push(event);
            Ok(res)
        }
        ("GET", ["messages"]) => store.read(|tx| list_messages(c, tx, &q)),
        ("POST", ["messages"]) => post_message(c, store, req),
        ("GET", ["boxes"]) => store.read(|tx| get_box(c, tx, &q)),
        ("POST", ["boxes"]) => post_box(c, store, req),
        ("POST", ["takeovers"]) => signed_write(c, store, req, "takeover", "create", |tx, v| {
            post_takeover(c, tx, v)
        }),
        ("GET", ["audit"]) => store.read(|tx| get_audit(c, tx, &q)),
        ("GET", ["changes"]) => store.read(|tx| get_changes(tx, &req.query)),
        // a route of the table (`routes.rs`) with a method it does not take: 405;
        // any other path, an unknown sub-path of a known resource included: 404
        _ if crate::routes::allowed_for(&segs).is_some() => Err(ApiError::MethodNotAllowed),
        _ => Err(ApiError::NotFound(format!("no such path: {}", req.path))),
    }
}

fn controller_info<H: Host>(c: &Controller<H>) -> wire::ControllerInfo {
    let now = c.host.now();
    let cfg = &c.config;
    wire::ControllerInfo {
        controller_id: c.id(),
        key_data: c.key.key_data(),
        backends: cfg.backends.clone(),
        authorities: cfg.authorities.clone(),
        time: now.iso(),
        ts: now.secs(),
        limits: wire::Limits {
            max_body: cfg.max_body as u64,
            max_message: cfg.max_message as u64,
            max_skew_secs: cfg.max_skew_secs,
            max_inbox: cfg.max_inbox,
            page_max: cfg.page_max,
            page_max_bytes: cfg.page_max_bytes as u64,
        },
    }
}

/// The one path of every signed write: the request is verified and checked
/// ([`signed`]), then, in one store transaction, its nonce is recorded and `apply`
/// runs; any error rolls back both.
fn signed_write<H: Host, S: Store, T>(
    c: &Controller<H>,
    store: &mut S,
    req: &ApiRequest,
    resource: &str,
    operation: &str,
    apply: impl FnOnce(&mut dyn Tx, &Verified) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let v = signed(c, req, resource, operation)?;
    store.write(|tx| {
        record_nonce(c, tx, &v)?;
        apply(tx, &v)
    })
}

/// Parse, verify and check the freshness of a signed request. Nothing is stored yet.
fn signed<H: Host>(
    c: &Controller<H>,
    req: &ApiRequest,
    resource: &str,
    operation: &str,
) -> Result<Verified, ApiError> {
    if req.body.len() > c.config.max_body {
        return Err(ApiError::TooLarge(format!(
            "request body is larger than {} bytes",
            c.config.max_body
        )));
    }
    // strict JSON (a repeated key is refused), then the signature; `v.data()` and
    // `v.info()` are rebuilt from the signed canonical bytes
    let v = envelope::verify_slice(&req.body)?;
    let applies_consensus = matches!(
        (resource, operation),
        ("peer", "create") | ("endpoint", _) | ("role", "update")
    );
    if v.by_consensus().is_some() && !applies_consensus {
        return Err(ApiError::Invalid(format!(
            "`by_consensus` has no meaning for {resource}/{operation}"
        )));
    }
    if v.info_str("resource") != Some(resource) || v.info_str("operation") != Some(operation) {
        return Err(ApiError::Invalid(format!(
            "info.resource must be `{resource}` and info.operation `{operation}` on this path"
        )));
    }
    crate::fields::check(resource, operation, &v)?;
    match v.info().get("controller") {
        Some(Json::String(id)) if *id == c.id() => {}
        Some(Json::String(_)) => return Err(ApiError::ForeignRequest),
        _ => {
            return Err(ApiError::Invalid(
                "info.controller (the controller id) is required".into(),
            ));
        }
    }
    let nonce = req_str(v.info(), "nonce")?;
    if !(16..=64).contains(&nonce.len())
        || !nonce
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(ApiError::Invalid(
            "info.nonce must be 16 to 64 lowercase hex characters".into(),
        ));
    }
    let ts = opt_i64(v.info(), "ts")?
        .ok_or_else(|| ApiError::Invalid("info.ts (Unix seconds) is required".into()))?;
    // A consensus-bound request may be old: single use protects it. abs_diff: no i64 overflow.
    let (now, skew) = (c.host.now().secs(), c.config.max_skew_secs.unsigned_abs());
    if v.by_consensus().is_none() && now.abs_diff(ts) > skew {
        return Err(ApiError::StaleRequest(c.config.max_skew_secs));
    }
    Ok(v)
}

/// Stale nonces one request deletes at most. More than the one nonce each request
/// adds, so the table stays bounded under load, and small, so that no request pays
/// for a backlog: after a busy period and a pause, pruning everything at once
/// (as this did before) made one request delete a million rows inside its
/// savepoint, holding the writer for minutes and gigabytes of statement journal.
pub const NONCE_PRUNE_BATCH: i64 = 16;

/// Record the request's nonce first thing inside its transaction: a replay fails
/// here, and a request rejected later rolls the nonce back with everything else.
fn record_nonce<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, v: &Verified) -> Result<(), ApiError> {
    let now = c.host.now().secs();
    // nonces older than twice the skew window can go: a request that old is refused
    // as stale before its nonce is looked at
    tx.execute(
        "DELETE FROM nonces WHERE rowid IN (SELECT rowid FROM nonces WHERE ts < ?1 ORDER BY ts LIMIT ?2)",
        &[
            SqlValue::Int(now - 2 * c.config.max_skew_secs - 1),
            SqlValue::Int(NONCE_PRUNE_BATCH),
        ],
    )?;
    let nonce = req_str(v.info(), "nonce")?;
    match tx.execute(
        "INSERT INTO nonces (signer, nonce, ts) VALUES (?1, ?2, ?3)",
        &[v.signer_id().into(), nonce.into(), SqlValue::Int(now)],
    ) {
        Ok(_) => Ok(()),
        Err(e) if e.constraint => Err(ApiError::Replay),
        Err(e) => Err(e.into()),
    }
}

/// The consensus a request applies, checked and consumed.
struct Applied {
    id: String,
    signers: Vec<String>,
}

fn apply_consensus(tx: &mut dyn Tx, v: &Verified, action: &str) -> Result<Applied, ApiError> {
    let bc = v.by_consensus().ok_or_else(|| {
        ApiError::Forbidden("this action requires a consensus (by_consensus)".into())
    })?;
    let mut row = select_one(
        tx,
        "text, signings",
        "FROM negotiations WHERE consensus = ?1 AND status = 'DONE'",
        &[bc.consensus_id.as_str().into()],
    )?
    .ok_or_else(|| {
        ApiError::ConsensusMismatch(format!("no consensus {}", bc.consensus_id).into())
    })?;
    // a DONE negotiation has its agreed text and its signings
    let text = Text::parse(&row.text("text")?)?;
    let signers: Vec<String> = row
        .json::<Vec<wire::Signing>>("signings")?
        .into_iter()
        .map(|s| s.signer_key_id)
        .collect();
    text.check_applies(bc.consensus_part, v.data_info_canonical(), &signers)?;
    let part = bc.consensus_part.map_or(-1, i64::from);
    match tx.execute(
        "INSERT INTO consensus_uses (consensus_id, part, action) VALUES (?1, ?2, ?3)",
        &[
            bc.consensus_id.as_str().into(),
            SqlValue::Int(part),
            action.into(),
        ],
    ) {
        Ok(_) => {}
        Err(e) if e.constraint => return Err(ApiError::ConsensusUsed),
        Err(e) => return Err(e.into()),
    }
    Ok(Applied {
        id: bc.consensus_id.clone(),
        signers,
    })
}
