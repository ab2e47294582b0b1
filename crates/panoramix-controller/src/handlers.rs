//! Routing and the request handlers.

use crate::audit;
use crate::authz::{check_peer_action, controllers};
use crate::error::ApiError;
use crate::paging::{EP_SIZE, MSG_SIZE, NEG_SIZE, PEER_SIZE, cut as page_cut, texts};
use crate::store::{SqlValue, Store, Tx};
use crate::util::*;
use crate::{ApiRequest, Controller, Event, Host};
use panoramix_core::canonical::Value;
use panoramix_core::envelope::{self, Verified};
use panoramix_core::identity::{self, Domain, PublicKey};
use panoramix_core::model::{self, ENDPOINT_TYPES, EndpointStatus, MsgBox};
use panoramix_core::negotiation::Text;
use panoramix_core::time::Micros;
use serde_json::{Value as Json, json};

type Res = Result<(u16, Json), ApiError>;

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
        ("GET", ["controller"]) => Ok((200, controller_info(c))),
        ("GET", ["negotiations"]) => store.read(|tx| list_negotiations(c, tx, &q)),
        ("GET", ["negotiations", id]) => store.read(|tx| get_negotiation(tx, id)),
        ("POST", ["negotiations"]) => {
            let v = signed(c, req, "negotiation", "create")?;
            store.write(|tx| {
                record_nonce(c, tx, &v)?;
                create_negotiation(c, tx, &v)
            })
        }
        ("GET", ["contributions"]) => store.read(|tx| list_contributions(c, tx, &q)),
        ("POST", ["contributions"]) => {
            let v = signed(c, req, "contribution", "create")?;
            store.write(|tx| {
                record_nonce(c, tx, &v)?;
                crate::contribute::contribute(c, tx, &v)
            })
        }
        ("GET", ["peers"]) => store.read(|tx| list_peers(c, tx, &q)),
        ("GET", ["peers", id]) => store.read(|tx| get_peer(tx, id)),
        ("POST", ["peers"]) => {
            let v = signed(c, req, "peer", "create")?;
            store.write(|tx| {
                record_nonce(c, tx, &v)?;
                create_peer(c, tx, &v)
            })
        }
        ("GET", ["roles"]) => store.read(|tx| list_roles(tx, &q)),
        ("POST", ["roles"]) => {
            let v = signed(c, req, "role", "update")?;
            store.write(|tx| {
                record_nonce(c, tx, &v)?;
                update_role(c, tx, &v)
            })
        }
        ("GET", ["endpoints"]) => store.read(|tx| list_endpoints(c, tx, &q)),
        ("GET", ["endpoints", id]) => store.read(|tx| get_endpoint(tx, id)),
        ("POST", ["endpoints"]) => {
            let v = signed(c, req, "endpoint", "create")?;
            store.write(|tx| {
                record_nonce(c, tx, &v)?;
                create_endpoint(c, tx, &v)
            })
        }
        ("PATCH", ["endpoints", id]) => {
            let v = signed(c, req, "endpoint", "partial_update")?;
            let (res, event) = store.write(|tx| {
                record_nonce(c, tx, &v)?;
                update_endpoint(c, tx, &v, id)
            })?;
            // reported only once the store has committed the change
            events.push(event);
            Ok(res)
        }
        ("GET", ["messages"]) => store.read(|tx| list_messages(c, tx, &q)),
        ("POST", ["messages"]) => {
            let v = signed(c, req, "message", "create")?;
            store.write(|tx| {
                record_nonce(c, tx, &v)?;
                post_message(c, tx, &v)
            })
        }
        ("GET", ["audit"]) => store.read(|tx| get_audit(c, tx, &q)),
        // a route of the table (`routes.rs`) with a method it does not take: 405;
        // any other path, an unknown sub-path of a known resource included: 404
        _ if crate::routes::allowed_for(&segs).is_some() => Err(ApiError::MethodNotAllowed),
        _ => Err(ApiError::NotFound(format!("no such path: {}", req.path))),
    }
}

fn controller_info<H: Host>(c: &Controller<H>) -> Json {
    let now = c.host.now();
    json!({"data": {
        "controller_id": c.id(),
        "key_data": c.key.key_data(),
        "backends": c.config.backends,
        "authorities": c.config.authorities,
        "time": now.iso(),
        "ts": now.secs(),
        "limits": {
            "max_body": c.config.max_body,
            "max_message": c.config.max_message,
            "max_skew_secs": c.config.max_skew_secs,
            "max_inbox": c.config.max_inbox,
            "page_max": c.config.page_max,
            "page_max_bytes": c.config.page_max_bytes,
        }
    }})
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
    // strict JSON (a repeated key is refused), then the signature; `v.data` and
    // `v.info` are rebuilt from the signed canonical bytes
    let v = envelope::verify_slice(&req.body)?;
    let applies_consensus = matches!(
        (resource, operation),
        ("peer", "create") | ("endpoint", _) | ("role", "update")
    );
    if v.by_consensus.is_some() && !applies_consensus {
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
    match v.info.get("controller") {
        Some(Json::String(id)) if *id == c.id() => {}
        Some(Json::String(_)) => return Err(ApiError::ForeignRequest),
        _ => {
            return Err(ApiError::Invalid(
                "info.controller (the controller id) is required".into(),
            ));
        }
    }
    let nonce = req_str(&v.info, "nonce")?;
    if !(16..=64).contains(&nonce.len())
        || !nonce
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(ApiError::Invalid(
            "info.nonce must be 16 to 64 lowercase hex characters".into(),
        ));
    }
    let ts = opt_i64(&v.info, "ts")?
        .ok_or_else(|| ApiError::Invalid("info.ts (Unix seconds) is required".into()))?;
    // A consensus-bound request may be old: single use protects it. abs_diff: no i64 overflow.
    let (now, skew) = (c.host.now().secs(), c.config.max_skew_secs.unsigned_abs());
    if v.by_consensus.is_none() && now.abs_diff(ts) > skew {
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
    let nonce = v.info_str("nonce").unwrap_or_default();
    match tx.execute(
        "INSERT INTO nonces (signer, nonce, ts) VALUES (?1, ?2, ?3)",
        &[
            v.signer_id.as_str().into(),
            nonce.into(),
            SqlValue::Int(now),
        ],
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
    let bc = v.by_consensus.as_ref().ok_or_else(|| {
        ApiError::Forbidden("this action requires a consensus (by_consensus)".into())
    })?;
    let rows = tx.query(
        "SELECT text, signings FROM negotiations WHERE consensus = ?1 AND status = 'DONE'",
        &[bc.consensus_id.as_str().into()],
    )?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::ConsensusMismatch(format!("no consensus {}", bc.consensus_id)))?;
    let text = Text::parse(&col_str(row, 0))?;
    let signers: Vec<String> = match col_json(row, 1) {
        Json::Array(items) => items
            .iter()
            .filter_map(|i| {
                i.get("signer_key_id")
                    .and_then(Json::as_str)
                    .map(str::to_owned)
            })
            .collect(),
        _ => Vec::new(),
    };
    text.check_applies(bc.consensus_part, &v.data_info_canonical, &signers)?;
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

// ---------------------------------------------------------------- negotiations

fn negotiation_json(r: &[SqlValue]) -> Json {
    json!({
        "id": col_str(&r.to_vec(), 0),
        "title": col_str(&r.to_vec(), 1),
        "participants": col_json(&r.to_vec(), 2),
        "status": col_str(&r.to_vec(), 3),
        "text": col_opt_str(&r.to_vec(), 4),
        "timestamp": col_opt_str(&r.to_vec(), 5),
        "consensus": col_opt_str(&r.to_vec(), 6),
        "signings": match col_json(&r.to_vec(), 7) { Json::Null => json!([]), s => s },
    })
}

const NEG_COLS: &str = "id, title, participants, status, text, timestamp, consensus, signings";

fn get_negotiation(tx: &mut dyn Tx, id: &str) -> Res {
    let rows = tx.query(
        &format!("SELECT {NEG_COLS} FROM negotiations WHERE id = ?1 OR consensus = ?1"),
        &[id.into()],
    )?;
    let r = rows
        .first()
        .ok_or_else(|| ApiError::NotFound(format!("no negotiation {id}")))?;
    Ok((200, json!({"data": negotiation_json(r)})))
}

fn list_negotiations<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, q: &Query) -> Res {
    let limit = q.limit(c.config.page_default, c.config.page_max)?;
    let (cond, params): (&str, Vec<SqlValue>) = match (q.get("consensus"), q.get("title")) {
        // at most one row (consensus ids are unique): no paging
        (Some(cid), _) => ("FROM negotiations WHERE consensus = ?1", vec![cid.into()]),
        (None, Some(title)) => (
            "FROM negotiations WHERE title = ?1 AND id > ?2 ORDER BY id",
            vec![title.into(), q.get("after").unwrap_or("").into()],
        ),
        (None, None) => (
            "FROM negotiations WHERE id > ?1 ORDER BY id",
            vec![q.get("after").unwrap_or("").into()],
        ),
    };
    let cut = page_cut(c.config.page_max_bytes, tx, NEG_SIZE, cond, &params, limit)?;
    let mut p = params;
    p.push(SqlValue::Int(cut.take));
    let rows = tx.query(&format!("SELECT {NEG_COLS} {cond} LIMIT ?{}", p.len()), &p)?;
    let items: Vec<Json> = rows.iter().map(|r| negotiation_json(r)).collect();
    let full = cut.full && q.get("consensus").is_none();
    let next = crate::paging::next_of(&items, full, "id");
    Ok((200, json!({"data": items, "next": next})))
}

fn create_negotiation<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, v: &Verified) -> Res {
    let title = bounded(opt_str(&v.data, "title")?.unwrap_or(""), "title", 256)?.to_owned();
    let participants = match str_list(&v.data, "participants")? {
        None => None,
        Some(mut ps) => {
            if ps.is_empty() || ps.len() > 256 {
                return Err(ApiError::Invalid(
                    "`participants` must name 1 to 256 key ids".into(),
                ));
            }
            if ps.iter().any(|p| {
                p.len() != 64
                    || !p
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            }) {
                return Err(ApiError::Invalid(
                    "`participants` must be key ids (64 lowercase hex)".into(),
                ));
            }
            ps.sort();
            ps.dedup();
            Some(ps)
        }
    };
    let id = random_id(|b| c.host.fill_random(b));
    let now = c.host.now();
    let parts_json = participants.as_ref().map(|p| json!(p).to_string());
    tx.execute(
        "INSERT INTO negotiations (id, title, participants, status, created_by, created_at) VALUES (?1, ?2, ?3, 'OPEN', ?4, ?5)",
        &[id.as_str().into(), title.as_str().into(), parts_json.into(), v.signer_id.as_str().into(), SqlValue::Int(now.0)],
    )?;
    let effect = Value::dict([
        ("negotiation_id", Value::str(id.as_str())),
        (
            "participants",
            participants.as_ref().map_or(Value::Null, |p| {
                Value::List(p.iter().map(|s| Value::str(s.as_str())).collect())
            }),
        ),
    ]);
    audit::append(tx, now, "negotiation.create", Some(v), None, effect)?;
    get_negotiation(tx, &id).map(|(_, b)| (201, b))
}

fn contribution_json(r: &[SqlValue]) -> Json {
    let r = r.to_vec();
    json!({
        "id": col_i64(&r, 0),
        "negotiation_id": col_str(&r, 1),
        "signer_key_id": col_str(&r, 2),
        "key_data": col_str(&r, 3),
        "text": col_str(&r, 4),
        "signature": col_str(&r, 5),
        "latest": col_i64(&r, 6) == 1,
    })
}

fn list_contributions<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, q: &Query) -> Res {
    let neg = q
        .get("negotiation")
        .or_else(|| q.get("negotiation_id"))
        .ok_or_else(|| ApiError::Invalid("filter by ?negotiation= is required".into()))?;
    // every latest contribution by default (up to page_max), in pages of bytes
    let limit = q.limit(c.config.page_max, c.config.page_max)?;
    let after = match q.get("after") {
        None => 0,
        Some(a) => a
            .parse::<i64>()
            .map_err(|_| ApiError::Invalid("`after` must be a contribution id".into()))?,
    };
    let cond =
        "FROM contributions WHERE negotiation_id = ?1 AND latest = 1 AND id > ?2 ORDER BY id";
    let params = [neg.into(), SqlValue::Int(after)];
    let size = "octet_length(text) + octet_length(signature)";
    let cut = page_cut(c.config.page_max_bytes, tx, size, cond, &params, limit)?;
    let [p1, p2] = params;
    let rows = tx.query(
        &format!(
            "SELECT id, negotiation_id, signer, key_data, text, signature, latest {cond} LIMIT ?3"
        ),
        &[p1, p2, SqlValue::Int(cut.take)],
    )?;
    let items: Vec<Json> = rows.iter().map(|r| contribution_json(r)).collect();
    let next = crate::paging::next_of(&items, cut.full, "id");
    Ok((200, json!({"data": items, "next": next})))
}

// ---------------------------------------------------------------- peers and roles

const PEER_COLS: &str = "peer_id, name, key_data, key_type, crypto_backend, crypto_params, owners, status, consensus_id";

fn peer_json(tx: &mut dyn Tx, r: &[SqlValue]) -> Result<Json, ApiError> {
    let r = r.to_vec();
    let id = col_str(&r, 0);
    let roles: Vec<String> = tx
        .query(
            "SELECT role FROM roles WHERE peer_id = ?1 ORDER BY role",
            &[id.as_str().into()],
        )?
        .iter()
        .map(|x| col_str(x, 0))
        .collect();
    let owners: Vec<Json> = match col_json(&r, 6) {
        Json::Array(a) => a.iter().map(|o| json!({"owner_key_id": o})).collect(),
        _ => vec![],
    };
    Ok(json!({
        "peer_id": id,
        "name": col_str(&r, 1),
        "key_data": col_str(&r, 2),
        "key_type": col_str(&r, 3),
        "crypto_backend": col_str(&r, 4),
        "crypto_params": col_json(&r, 5),
        "owners": owners,
        "status": col_str(&r, 7),
        "roles": roles,
        "consensus_id": col_str(&r, 8),
    }))
}

fn get_peer(tx: &mut dyn Tx, id: &str) -> Res {
    let rows = tx.query(
        &format!("SELECT {PEER_COLS} FROM peers WHERE peer_id = ?1"),
        &[id.into()],
    )?;
    let r = rows
        .first()
        .ok_or_else(|| ApiError::NotFound(format!("no peer {id}")))?;
    Ok((200, json!({"data": peer_json(tx, r)?})))
}

fn list_peers<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, q: &Query) -> Res {
    let limit = q.limit(c.config.page_default, c.config.page_max)?;
    let cond = "FROM peers WHERE peer_id > ?1 ORDER BY peer_id";
    let after: SqlValue = q.get("after").unwrap_or("").into();
    let cut = page_cut(
        c.config.page_max_bytes,
        tx,
        PEER_SIZE,
        cond,
        std::slice::from_ref(&after),
        limit,
    )?;
    let rows = tx.query(
        &format!("SELECT {PEER_COLS} {cond} LIMIT ?2"),
        &[after, SqlValue::Int(cut.take)],
    )?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        items.push(peer_json(tx, r)?);
    }
    let next = crate::paging::next_of(&items, cut.full, "peer_id");
    Ok((200, json!({"data": items, "next": next})))
}

/// Owners of a peer (empty for an individual peer), or 404/422.
fn peer_owners(tx: &mut dyn Tx, peer_id: &str) -> Result<Vec<String>, ApiError> {
    let rows = tx.query(
        "SELECT owners, status FROM peers WHERE peer_id = ?1",
        &[peer_id.into()],
    )?;
    let r = rows
        .first()
        .ok_or_else(|| ApiError::NotFound(format!("no peer {peer_id}")))?;
    if col_str(r, 1) != "READY" {
        return Err(ApiError::WrongState(format!("peer {peer_id} is not READY")));
    }
    Ok(match col_json(r, 0) {
        Json::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => vec![],
    })
}

fn create_peer<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, v: &Verified) -> Res {
    let d = &v.data;
    let peer_id = req_str(d, "peer_id")?;
    let name = bounded(req_str(d, "name")?, "name", 128)?;
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(ApiError::Invalid(
            "`name` must be 1 to 128 printable characters".into(),
        ));
    }
    let key_data = req_str(d, "key_data")?;
    let key_type = opt_str(d, "key_type")?.unwrap_or("ed25519");
    if key_type != "ed25519" {
        return Err(ApiError::Invalid("`key_type` must be `ed25519`".into()));
    }
    let backend = req_str(d, "crypto_backend")?;
    if !c.config.backends.iter().any(|b| b == backend) {
        return Err(ApiError::Invalid(format!(
            "crypto_backend must be one of {:?}",
            c.config.backends
        )));
    }
    let params = d
        .get("crypto_params")
        .cloned()
        .unwrap_or(Json::Null)
        .to_string();
    bounded(&params, "crypto_params", 64 * 1024)?;
    if req_str(d, "status")? != "READY" {
        return Err(ApiError::Invalid("`status` must be READY".into()));
    }
    let role = opt_str(d, "role")?;
    if let Some(r) = role {
        if !model::valid_role(r) {
            return Err(ApiError::Invalid(
                "`role` must be 1 to 32 characters of [a-z0-9_-]".into(),
            ));
        }
        if r == "authority" {
            return Err(ApiError::Forbidden(
                "the authority role is assigned by the authorities, not at registration".into(),
            ));
        }
    }
    let owners: Vec<String> = match d.get("owners") {
        None | Some(Json::Null) => vec![],
        Some(Json::Array(items)) => items
            .iter()
            .map(|o| {
                o.as_str()
                    .or_else(|| o.get("owner_key_id").and_then(Json::as_str))
                    .map(str::to_owned)
                    .ok_or_else(|| ApiError::Invalid("`owners` must list key ids".into()))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(ApiError::Invalid("`owners` must be a list".into())),
    };
    let mut dedup = owners.clone();
    dedup.sort();
    dedup.dedup();
    if dedup.len() != owners.len() || owners.len() > 64 {
        return Err(ApiError::Invalid(
            "`owners` must be at most 64 distinct key ids".into(),
        ));
    }
    if owners.is_empty() {
        let id = identity::key_id(key_data)
            .map_err(|_| ApiError::Invalid("`key_data` is not an Ed25519 public key".into()))?;
        if id != peer_id {
            return Err(ApiError::Invalid(
                "`peer_id` must be the key id of `key_data`".into(),
            ));
        }
    } else {
        if identity::joint_key_data(name, &owners) != key_data {
            return Err(ApiError::Invalid(
                "`key_data` of a joint peer must be the combination of its name and owners".into(),
            ));
        }
        if identity::joint_peer_id(key_data).as_deref() != Some(peer_id) {
            return Err(ApiError::Invalid(
                "`peer_id` must be the key id of the joint `key_data`".into(),
            ));
        }
    }
    let applied = apply_consensus(tx, v, "peer.create")?;
    if owners.is_empty() {
        check_peer_action(&v.signer_id, &[peer_id.to_owned()], &applied.signers)?;
    } else {
        for o in &owners {
            let own = peer_owners(tx, o).map_err(|e| match e {
                ApiError::NotFound(_) => {
                    ApiError::Invalid(format!("owner {o} is not a registered peer"))
                }
                other => other,
            })?;
            if !own.is_empty() {
                return Err(ApiError::Invalid(format!(
                    "owner {o} is itself a joint peer"
                )));
            }
        }
        check_peer_action(&v.signer_id, &owners, &applied.signers)?;
    }
    if !tx
        .query(
            "SELECT 1 FROM peers WHERE peer_id = ?1 OR key_data = ?2",
            &[peer_id.into(), key_data.into()],
        )?
        .is_empty()
    {
        return Err(ApiError::Duplicate(format!(
            "peer {peer_id} already exists"
        )));
    }
    let now = c.host.now();
    tx.execute(
        "INSERT INTO peers (peer_id, name, key_data, key_type, crypto_backend, crypto_params, owners, status, consensus_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'READY', ?8, ?9)",
        &[
            peer_id.into(),
            name.into(),
            key_data.into(),
            key_type.into(),
            backend.into(),
            params.into(),
            json!(owners).to_string().into(),
            applied.id.as_str().into(),
            SqlValue::Int(now.0),
        ],
    )?;
    for (i, o) in owners.iter().enumerate() {
        tx.execute(
            "INSERT INTO peer_owners (peer_id, owner_id, position) VALUES (?1, ?2, ?3)",
            &[peer_id.into(), o.into(), SqlValue::Int(i as i64)],
        )?;
    }
    if let Some(r) = role {
        tx.execute(
            "INSERT INTO roles (peer_id, role) VALUES (?1, ?2)",
            &[peer_id.into(), r.into()],
        )?;
    }
    audit::append(
        tx,
        now,
        "peer.create",
        Some(v),
        Some(&applied.id),
        Value::dict([("peer_id", Value::str(peer_id))]),
    )?;
    get_peer(tx, peer_id).map(|(_, b)| (201, b))
}

fn authorities<H: Host>(c: &Controller<H>, tx: &mut dyn Tx) -> Result<Vec<String>, ApiError> {
    let mut a = c.config.authorities.clone();
    for r in tx.query(
        "SELECT peer_id FROM roles WHERE role = 'authority' ORDER BY peer_id",
        &[],
    )? {
        a.push(col_str(&r, 0));
    }
    a.sort();
    a.dedup();
    Ok(a)
}

fn list_roles(tx: &mut dyn Tx, q: &Query) -> Res {
    let rows = match q.get("peer_id") {
        Some(p) => tx.query(
            "SELECT peer_id, role FROM roles WHERE peer_id = ?1 ORDER BY role",
            &[p.into()],
        )?,
        None => match q.get("role") {
            Some(r) => tx.query(
                "SELECT peer_id, role FROM roles WHERE role = ?1 ORDER BY peer_id",
                &[r.into()],
            )?,
            None => tx.query(
                "SELECT peer_id, role FROM roles ORDER BY peer_id, role LIMIT 1000",
                &[],
            )?,
        },
    };
    let items: Vec<Json> = rows
        .iter()
        .map(|r| json!({"peer_id": col_str(r, 0), "role": col_str(r, 1)}))
        .collect();
    Ok((200, json!({"data": items, "next": null})))
}

fn update_role<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, v: &Verified) -> Res {
    let peer_id = req_str(&v.data, "peer_id")?;
    let role = req_str(&v.data, "role")?;
    let action = req_str(&v.data, "action")?;
    if !model::valid_role(role) {
        return Err(ApiError::Invalid(
            "`role` must be 1 to 32 characters of [a-z0-9_-]".into(),
        ));
    }
    if action != "assign" && action != "revoke" {
        return Err(ApiError::Invalid(
            "`action` must be `assign` or `revoke`".into(),
        ));
    }
    peer_owners(tx, peer_id)?;
    let auth = authorities(c, tx)?;
    if auth.is_empty() {
        return Err(ApiError::Forbidden(
            "this controller has no role authorities".into(),
        ));
    }
    let applied = apply_consensus(tx, v, "role.update")?;
    check_peer_action(&v.signer_id, &auth, &applied.signers).map_err(|_| {
        ApiError::Forbidden("roles are assigned by a consensus of all authorities".into())
    })?;
    let changed = if action == "assign" {
        tx.execute(
            "INSERT OR IGNORE INTO roles (peer_id, role) VALUES (?1, ?2)",
            &[peer_id.into(), role.into()],
        )?
    } else {
        tx.execute(
            "DELETE FROM roles WHERE peer_id = ?1 AND role = ?2",
            &[peer_id.into(), role.into()],
        )?
    };
    if changed == 0 {
        return Err(ApiError::Duplicate(format!(
            "peer already {} role {role}",
            if action == "assign" { "has" } else { "lacks" }
        )));
    }
    audit::append(
        tx,
        c.host.now(),
        "role.update",
        Some(v),
        Some(&applied.id),
        Value::dict([
            ("peer_id", Value::str(peer_id)),
            ("role", Value::str(role)),
            ("action", Value::str(action)),
        ]),
    )?;
    list_roles(tx, &Query::new(&format!("peer_id={peer_id}"))).map(|(_, b)| (201, b))
}

// ---------------------------------------------------------------- endpoints

const EP_COLS: &str = "endpoint_id, peer_id, description, public, size_min, size_max, endpoint_type, endpoint_params, links, status, inbox_hash, outbox_hash, process_proof, last_consensus_id, inbox_count";

struct Endpoint {
    id: String,
    peer_id: String,
    public: bool,
    size_min: i64,
    size_max: i64,
    links: Vec<Link>,
    status: EndpointStatus,
    last_consensus_id: String,
}

#[derive(Clone)]
struct Link {
    from_endpoint_id: String,
    from_box: MsgBox,
    to_box: MsgBox,
}

fn parse_links(j: &Json) -> Result<Vec<Link>, ApiError> {
    let items = match j {
        Json::Null => return Ok(vec![]),
        Json::Array(a) => a,
        _ => return Err(ApiError::Invalid("`links` must be a list".into())),
    };
    if items.len() > 64 {
        return Err(ApiError::Invalid("at most 64 links".into()));
    }
    items
        .iter()
        .map(|l| {
            let o = l
                .as_object()
                .ok_or_else(|| ApiError::Invalid("a link must be an object".into()))?;
            let from_endpoint_id = req_str(o, "from_endpoint_id")?.to_owned();
            let from_box = MsgBox::parse(req_str(o, "from_box")?)
                .filter(|b| matches!(b, MsgBox::Accepted | MsgBox::Outbox))
                .ok_or_else(|| {
                    ApiError::Invalid("a link's from_box must be ACCEPTED or OUTBOX".into())
                })?;
            let to_box = MsgBox::parse(req_str(o, "to_box")?)
                .filter(|b| matches!(b, MsgBox::Inbox | MsgBox::Processbox))
                .ok_or_else(|| {
                    ApiError::Invalid("a link's to_box must be INBOX or PROCESSBOX".into())
                })?;
            if !model::valid_ident(&from_endpoint_id) {
                return Err(ApiError::Invalid(
                    "a link's from_endpoint_id is not a valid endpoint id".into(),
                ));
            }
            Ok(Link {
                from_endpoint_id,
                from_box,
                to_box,
            })
        })
        .collect()
}

fn load_endpoint(tx: &mut dyn Tx, id: &str) -> Result<Endpoint, ApiError> {
    let rows = tx.query(
        "SELECT endpoint_id, peer_id, public, size_min, size_max, links, status, last_consensus_id, inbox_count FROM endpoints WHERE endpoint_id = ?1",
        &[id.into()],
    )?;
    let r = rows
        .first()
        .ok_or_else(|| ApiError::NotFound(format!("no endpoint {id}")))?;
    Ok(Endpoint {
        id: col_str(r, 0),
        peer_id: col_str(r, 1),
        public: col_i64(r, 2) == 1,
        size_min: col_i64(r, 3),
        size_max: col_i64(r, 4),
        links: parse_links(&col_json(r, 5))?,
        status: EndpointStatus::parse(&col_str(r, 6))
            .ok_or_else(|| ApiError::Internal("bad status in store".into()))?,
        last_consensus_id: col_str(r, 7),
    })
}

fn endpoint_json(tx: &mut dyn Tx, r: &[SqlValue]) -> Result<Json, ApiError> {
    let r = r.to_vec();
    let id = col_str(&r, 0);
    let logs: Vec<Json> = tx
        .query(
            "SELECT consensus_id, timestamp, status FROM endpoint_logs WHERE endpoint_id = ?1 ORDER BY seq",
            &[id.as_str().into()],
        )?
        .iter()
        .map(|l| json!({"consensus_id": col_str(l, 0), "timestamp": col_str(l, 1), "status": col_str(l, 2)}))
        .collect();
    Ok(json!({
        "endpoint_id": id,
        "peer_id": col_str(&r, 1),
        "description": col_str(&r, 2),
        "public": col_i64(&r, 3) == 1,
        "size_min": col_i64(&r, 4),
        "size_max": col_i64(&r, 5),
        "endpoint_type": col_str(&r, 6),
        "endpoint_params": col_json(&r, 7),
        "links": col_json(&r, 8),
        "status": col_str(&r, 9),
        "inbox_hash": col_opt_str(&r, 10),
        "outbox_hash": col_opt_str(&r, 11),
        "process_proof": col_opt_str(&r, 12).map(|p| serde_json::from_str::<Json>(&p).unwrap_or(Json::String(p))),
        "last_consensus_id": col_str(&r, 13),
        "inbox_count": col_i64(&r, 14),
        "consensus_logs": logs,
    }))
}

fn get_endpoint(tx: &mut dyn Tx, id: &str) -> Res {
    let rows = tx.query(
        &format!("SELECT {EP_COLS} FROM endpoints WHERE endpoint_id = ?1"),
        &[id.into()],
    )?;
    let r = rows
        .first()
        .ok_or_else(|| ApiError::NotFound(format!("no endpoint {id}")))?;
    Ok((200, json!({"data": endpoint_json(tx, r)?})))
}

fn list_endpoints<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, q: &Query) -> Res {
    let limit = q.limit(c.config.page_default, c.config.page_max)?;
    let mut sql = format!("SELECT {EP_COLS} FROM endpoints WHERE endpoint_id > ?1");
    let mut params: Vec<SqlValue> = vec![q.get("after").unwrap_or("").into()];
    if let Some(p) = q.get("peer_id") {
        params.push(p.into());
        sql.push_str(&format!(" AND peer_id = ?{}", params.len()));
    }
    if let Some(s) = q.get("status") {
        params.push(s.into());
        sql.push_str(&format!(" AND status = ?{}", params.len()));
    }
    sql.push_str(" ORDER BY endpoint_id");
    let cond = sql
        .split_once(" FROM ")
        .map(|(_, rest)| format!("FROM {rest}"))
        .unwrap_or_default();
    let cut = page_cut(c.config.page_max_bytes, tx, EP_SIZE, &cond, &params, limit)?;
    params.push(SqlValue::Int(cut.take));
    sql.push_str(&format!(" LIMIT ?{}", params.len()));
    let rows = tx.query(&sql, &params)?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        items.push(endpoint_json(tx, r)?);
    }
    let next = crate::paging::next_of(&items, cut.full, "endpoint_id");
    Ok((200, json!({"data": items, "next": next})))
}

fn log_endpoint(
    tx: &mut dyn Tx,
    id: &str,
    cid: &str,
    ts: &str,
    status: EndpointStatus,
) -> Result<(), ApiError> {
    let n = tx
        .query(
            "SELECT COUNT(*) FROM endpoint_logs WHERE endpoint_id = ?1",
            &[id.into()],
        )?
        .first()
        .map(|r| col_i64(r, 0))
        .unwrap_or_default();
    tx.execute(
        "INSERT INTO endpoint_logs (endpoint_id, seq, consensus_id, timestamp, status) VALUES (?1, ?2, ?3, ?4, ?5)",
        &[id.into(), SqlValue::Int(n + 1), cid.into(), ts.into(), status.as_str().into()],
    )?;
    Ok(())
}

fn create_endpoint<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, v: &Verified) -> Res {
    let d = &v.data;
    let id = req_str(d, "endpoint_id")?;
    if !model::valid_ident(id) {
        return Err(ApiError::Invalid(
            "`endpoint_id` must be 1 to 128 characters of [A-Za-z0-9._-]".into(),
        ));
    }
    let peer_id = req_str(d, "peer_id")?;
    let description = bounded(
        opt_str(d, "description")?.unwrap_or(""),
        "description",
        1024,
    )?;
    let public = opt_bool(d, "public")?.unwrap_or(false);
    let size_min = opt_i64(d, "size_min")?.unwrap_or(1);
    let size_max = opt_i64(d, "size_max")?.unwrap_or(c.config.max_inbox);
    if size_min < 1 || size_max < size_min || size_max > c.config.max_inbox {
        return Err(ApiError::Invalid(format!(
            "need 1 <= size_min <= size_max <= {}",
            c.config.max_inbox
        )));
    }
    let etype = req_str(d, "endpoint_type")?;
    if !ENDPOINT_TYPES.contains(&etype) {
        return Err(ApiError::Invalid(format!(
            "endpoint_type must be one of {ENDPOINT_TYPES:?}"
        )));
    }
    let params = d
        .get("endpoint_params")
        .cloned()
        .unwrap_or(Json::Null)
        .to_string();
    bounded(&params, "endpoint_params", 256 * 1024)?;
    let links_json = d.get("links").cloned().unwrap_or(Json::Array(vec![]));
    parse_links(&links_json)?;
    if req_str(d, "status")? != "OPEN" {
        return Err(ApiError::Invalid("`status` must be OPEN".into()));
    }
    let owners = peer_owners(tx, peer_id)?;
    let applied = apply_consensus(tx, v, "endpoint.create")?;
    check_peer_action(
        &v.signer_id,
        &controllers(peer_id, &owners),
        &applied.signers,
    )?;
    if !tx
        .query(
            "SELECT 1 FROM endpoints WHERE endpoint_id = ?1",
            &[id.into()],
        )?
        .is_empty()
    {
        return Err(ApiError::Duplicate(format!("endpoint {id} already exists")));
    }
    let now = c.host.now();
    tx.execute(
        "INSERT INTO endpoints (endpoint_id, peer_id, description, public, size_min, size_max, endpoint_type, endpoint_params, links, status, last_consensus_id, inbox_count, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'OPEN', ?10, 0, ?11)",
        &[
            id.into(),
            peer_id.into(),
            description.into(),
            public.into(),
            SqlValue::Int(size_min),
            SqlValue::Int(size_max),
            etype.into(),
            params.into(),
            links_json.to_string().into(),
            applied.id.as_str().into(),
            SqlValue::Int(now.0),
        ],
    )?;
    log_endpoint(tx, id, &applied.id, &now.iso(), EndpointStatus::Open)?;
    audit::append(
        tx,
        now,
        "endpoint.create",
        Some(v),
        Some(&applied.id),
        Value::dict([
            ("endpoint_id", Value::str(id)),
            ("peer_id", Value::str(peer_id)),
        ]),
    )?;
    get_endpoint(tx, id).map(|(_, b)| (201, b))
}

fn update_endpoint<H: Host>(
    c: &Controller<H>,
    tx: &mut dyn Tx,
    v: &Verified,
    path_id: &str,
) -> Result<((u16, Json), Event), ApiError> {
    let d = &v.data;
    let id = opt_str(d, "endpoint_id")?.unwrap_or(path_id);
    if id != path_id || opt_str(&v.info, "id")? != Some(path_id) {
        return Err(ApiError::Invalid(
            "data.endpoint_id and info.id must equal the endpoint in the path".into(),
        ));
    }
    let next = EndpointStatus::parse(req_str(d, "status")?)
        .filter(|s| *s != EndpointStatus::Open)
        .ok_or_else(|| ApiError::Invalid("`status` must be CLOSED or PROCESSED".into()))?;
    let hashes = str_list(d, "message_hashes")?
        .ok_or_else(|| ApiError::Invalid("`message_hashes` is required".into()))?;
    let mut sorted = hashes.clone();
    sorted.sort();
    sorted.dedup();
    if sorted.len() != hashes.len() {
        return Err(ApiError::Invalid(
            "`message_hashes` lists a hash twice".into(),
        ));
    }
    let on_last = req_str(&v.info, "on_last_consensus_id")?;
    let ep = load_endpoint(tx, path_id)?;
    let owners = peer_owners(tx, &ep.peer_id)?;
    let applied = apply_consensus(tx, v, "endpoint.update")?;
    check_peer_action(
        &v.signer_id,
        &controllers(&ep.peer_id, &owners),
        &applied.signers,
    )?;
    if on_last != ep.last_consensus_id {
        return Err(ApiError::WrongLastConsensus);
    }
    if !ep.status.can_become(next) {
        return Err(ApiError::WrongState(format!(
            "endpoint {} is {} and cannot become {}",
            ep.id,
            ep.status.as_str(),
            next.as_str()
        )));
    }
    let (from, to) = match next {
        EndpointStatus::Closed => {
            let n = hashes.len() as i64;
            if n < ep.size_min || n > ep.size_max {
                return Err(ApiError::WrongState(format!(
                    "closing takes between size_min={} and size_max={} messages, not {n}",
                    ep.size_min, ep.size_max
                )));
            }
            (MsgBox::Inbox, MsgBox::Accepted)
        }
        _ => (MsgBox::Processbox, MsgBox::Outbox),
    };
    for h in &hashes {
        let moved = tx.execute(
            "UPDATE messages SET box = ?1 WHERE endpoint_id = ?2 AND box = ?3 AND message_hash = ?4",
            &[to.as_str().into(), path_id.into(), from.as_str().into(), h.into()],
        )?;
        if moved != 1 {
            return Err(ApiError::WrongState(format!(
                "message {h} is not in the {} of {path_id}",
                from.as_str()
            )));
        }
    }
    let set = model::set_hash(&hashes);
    let now = c.host.now();
    if next == EndpointStatus::Closed {
        tx.execute(
            "UPDATE endpoints SET status = 'CLOSED', inbox_hash = ?1, last_consensus_id = ?2 WHERE endpoint_id = ?3",
            &[set.as_str().into(), applied.id.as_str().into(), path_id.into()],
        )?;
    } else {
        let proof = match d.get("process_proof") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
        };
        tx.execute(
            "UPDATE endpoints SET status = 'PROCESSED', outbox_hash = ?1, process_proof = ?2, last_consensus_id = ?3 WHERE endpoint_id = ?4",
            &[set.as_str().into(), proof.into(), applied.id.as_str().into(), path_id.into()],
        )?;
    }
    // what the host may count: the cycle's length, from the close in the log
    let endpoint_type = tx
        .query(
            "SELECT endpoint_type FROM endpoints WHERE endpoint_id = ?1",
            &[path_id.into()],
        )?
        .first()
        .map(|r| col_str(r, 0))
        .unwrap_or_default();
    let event = if next == EndpointStatus::Closed {
        Event::EndpointClosed {
            endpoint_type,
            accepted: hashes.len() as u64,
        }
    } else {
        let closed_at = tx
            .query(
                "SELECT timestamp FROM endpoint_logs WHERE endpoint_id = ?1 AND status = 'CLOSED' ORDER BY seq DESC LIMIT 1",
                &[path_id.into()],
            )?
            .first()
            .and_then(|r| Micros::parse_iso(&col_str(r, 0)));
        Event::EndpointProcessed {
            endpoint_type,
            cycle_micros: closed_at.map(|t| (now.0 - t.0).max(0)),
        }
    };
    log_endpoint(tx, path_id, &applied.id, &now.iso(), next)?;
    audit::append(
        tx,
        now,
        "endpoint.update",
        Some(v),
        Some(&applied.id),
        Value::dict([
            ("endpoint_id", Value::str(path_id)),
            ("status", Value::str(next.as_str())),
            ("set_hash", Value::str(set.as_str())),
        ]),
    )?;
    Ok((get_endpoint(tx, path_id)?, event))
}

// ---------------------------------------------------------------- messages

/// A message row, its texts moved (not copied) into the JSON.
fn message_json(r: crate::store::Row) -> Json {
    let (id, serial) = (col_i64(&r, 0), col_opt_i64(&r, 3));
    let [_, endpoint_id, bx, _, sender, recipient, body, hash] = texts(r);
    json!({
        "id": id,
        "endpoint_id": endpoint_id,
        "box": bx,
        "serial": serial,
        "sender": sender,
        "recipient": recipient,
        "text": body,
        "message_hash": hash,
    })
}

fn list_messages<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, q: &Query) -> Res {
    let ep = q
        .get("endpoint_id")
        .ok_or_else(|| ApiError::Invalid("filter by ?endpoint_id= is required".into()))?;
    let bx = MsgBox::parse(q.get("box").unwrap_or("INBOX")).ok_or_else(|| {
        ApiError::Invalid("`box` must be INBOX, ACCEPTED, PROCESSBOX or OUTBOX".into())
    })?;
    let limit = q.limit(c.config.page_default, c.config.page_max)?;
    let after = match q.get("after") {
        None => 0,
        Some(a) => a
            .parse::<i64>()
            .map_err(|_| ApiError::Invalid("`after` must be a message id".into()))?,
    };
    let cond = "FROM messages WHERE endpoint_id = ?1 AND box = ?2 AND id > ?3 ORDER BY id";
    let params = [ep.into(), bx.as_str().into(), SqlValue::Int(after)];
    let cut = page_cut(c.config.page_max_bytes, tx, MSG_SIZE, cond, &params, limit)?;
    let [p1, p2, p3] = params;
    let rows = tx.query(
        &format!("SELECT id, endpoint_id, box, serial, sender, recipient, text, message_hash {cond} LIMIT ?4"),
        &[p1, p2, p3, SqlValue::Int(cut.take)],
    )?;
    // rows are moved into the JSON items (the texts are not copied again)
    let items: Vec<Json> = rows.into_iter().map(message_json).collect();
    let next = crate::paging::next_of(&items, cut.full, "id");
    Ok((200, json!({"data": items, "next": next})))
}

/// Most messages one request may carry.
pub const MAX_BATCH: usize = 5000;

/// `POST /messages/`: one message (`data` holds its fields) or a batch (`data.messages`
/// is a list of `{sender, recipient, text, serial?}`), all into one box of one
/// endpoint, in one transaction: every message passes every check or none is stored.
fn post_message<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, v: &Verified) -> Res {
    let d = &v.data;
    let ep_id = req_str(d, "endpoint_id")?;
    let bx = MsgBox::parse(req_str(d, "box")?)
        .ok_or_else(|| ApiError::Invalid("`box` must be INBOX or PROCESSBOX".into()))?;
    let batch = match d.get("messages") {
        None | Some(Json::Null) => None,
        Some(Json::Array(items)) => {
            if items.is_empty() || items.len() > MAX_BATCH {
                return Err(ApiError::Invalid(format!(
                    "`messages` must hold 1 to {MAX_BATCH} messages"
                )));
            }
            Some(
                items
                    .iter()
                    .map(|i| {
                        i.as_object().ok_or_else(|| {
                            ApiError::Invalid("each of `messages` must be an object".into())
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            )
        }
        Some(_) => return Err(ApiError::Invalid("`messages` must be a list".into())),
    };
    let items: Vec<&Obj> = batch.unwrap_or_else(|| vec![d]);
    struct Item<'a> {
        sender: &'a str,
        recipient: &'a str,
        text: &'a str,
        serial: Option<i64>,
    }
    let mut parsed = Vec::with_capacity(items.len());
    for m in &items {
        parsed.push(Item {
            sender: bounded(opt_str(m, "sender")?.unwrap_or(""), "sender", 512)?,
            recipient: bounded(opt_str(m, "recipient")?.unwrap_or(""), "recipient", 512)?,
            text: bounded(req_str(m, "text")?, "text", c.config.max_message)?,
            serial: opt_i64(m, "serial")?,
        });
    }
    if !matches!(bx, MsgBox::Inbox | MsgBox::Processbox) {
        return Err(ApiError::Forbidden(format!(
            "nobody posts to {}: only a consensus moves messages there",
            bx.as_str()
        )));
    }
    let ep = load_endpoint(tx, ep_id)?;
    let wanted = if bx == MsgBox::Inbox {
        EndpointStatus::Open
    } else {
        EndpointStatus::Closed
    };
    if ep.status != wanted {
        return Err(ApiError::WrongState(format!(
            "endpoint {ep_id} is {}, not {}",
            ep.status.as_str(),
            wanted.as_str()
        )));
    }
    for it in &parsed {
        match (bx, it.serial) {
            (MsgBox::Inbox, Some(_)) => {
                return Err(ApiError::Invalid("INBOX messages carry no serial".into()));
            }
            (MsgBox::Processbox, Some(s)) if s >= 0 => {}
            (MsgBox::Processbox, _) => {
                return Err(ApiError::Invalid(
                    "PROCESSBOX messages need a non-negative integer serial".into(),
                ));
            }
            _ => {}
        }
    }
    let own = controllers(&ep.peer_id, &peer_owners(tx, &ep.peer_id)?);
    let links: Vec<Link> = ep
        .links
        .iter()
        .filter(|l| l.to_box == bx)
        .cloned()
        .collect();
    // sources of a linked box that have published it
    let mut sources: Vec<(String, MsgBox)> = Vec::new();
    if !links.is_empty() {
        let mut allowed = own.contains(&v.signer_id);
        for l in &links {
            let src = match load_endpoint(tx, &l.from_endpoint_id) {
                Ok(s) => s,
                Err(ApiError::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            let ready = match l.from_box {
                MsgBox::Accepted => matches!(
                    src.status,
                    EndpointStatus::Closed | EndpointStatus::Processed
                ),
                _ => src.status == EndpointStatus::Processed,
            };
            if !allowed
                && controllers(&src.peer_id, &peer_owners(tx, &src.peer_id)?).contains(&v.signer_id)
            {
                allowed = true;
            }
            if ready {
                sources.push((src.id.clone(), l.from_box));
            }
        }
        if !allowed {
            return Err(ApiError::Forbidden(format!(
                "the {} of {ep_id} is fed by a link: only the owners of the linked endpoints post there",
                bx.as_str()
            )));
        }
    } else if (bx == MsgBox::Processbox || !ep.public) && !own.contains(&v.signer_id) {
        return Err(ApiError::Forbidden(format!(
            "only the owners of {} may post to the {} of {ep_id}",
            ep.peer_id,
            bx.as_str()
        )));
    }
    let now = c.host.now();
    let mut out = Vec::with_capacity(parsed.len());
    let mut hashes = Vec::with_capacity(parsed.len());
    for it in &parsed {
        let text_hash = identity::sha256_hex(it.text.as_bytes());
        if !links.is_empty() {
            let mut found = false;
            for (src, fbox) in &sources {
                if !tx
                    .query(
                        "SELECT 1 FROM messages WHERE endpoint_id = ?1 AND box = ?2 AND text_hash = ?3 LIMIT 1",
                        &[src.as_str().into(), fbox.as_str().into(), text_hash.as_str().into()],
                    )?
                    .is_empty()
                {
                    found = true;
                    break;
                }
            }
            if !found {
                return Err(ApiError::Forbidden(
                    "the message is not in the published box of any linked endpoint".into(),
                ));
            }
            if !tx
                .query(
                    "SELECT 1 FROM messages WHERE endpoint_id = ?1 AND box = ?2 AND text_hash = ?3 LIMIT 1",
                    &[ep_id.into(), bx.as_str().into(), text_hash.as_str().into()],
                )?
                .is_empty()
            {
                return Err(ApiError::Duplicate(
                    "this message was already taken over from the linked endpoint".into(),
                ));
            }
        }
        let hash = model::message_hash(it.serial, it.sender, it.recipient, it.text);
        let ins = tx.query(
            "INSERT INTO messages (endpoint_id, box, serial, sender, recipient, text, message_hash, text_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING RETURNING id",
            &[
                ep_id.into(),
                bx.as_str().into(),
                it.serial.into(),
                it.sender.into(),
                it.recipient.into(),
                it.text.into(),
                hash.as_str().into(),
                text_hash.into(),
                SqlValue::Int(now.0),
            ],
        )?;
        let id = ins.first().map(|r| col_i64(r, 0)).ok_or_else(|| {
            ApiError::Duplicate(format!(
                "message {hash} is already in the {} of {ep_id}",
                bx.as_str()
            ))
        })?;
        if bx == MsgBox::Inbox {
            // the guard in the WHERE clause keeps size_max even under concurrent writers
            let n = tx.execute(
                "UPDATE endpoints SET inbox_count = inbox_count + 1 WHERE endpoint_id = ?1 AND inbox_count < size_max",
                &[ep_id.into()],
            )?;
            if n != 1 {
                return Err(ApiError::InboxFull);
            }
        }
        out.push(json!({
            "id": id, "endpoint_id": ep_id, "box": bx.as_str(), "serial": it.serial, "sender": it.sender,
            "recipient": it.recipient, "text": it.text, "message_hash": hash,
        }));
        hashes.push(Value::str(hash));
    }
    let effect = if hashes.len() == 1 && d.get("messages").is_none() {
        Value::dict([
            ("endpoint_id", Value::str(ep_id)),
            ("box", Value::str(bx.as_str())),
            ("message_hash", hashes.remove(0)),
        ])
    } else {
        Value::dict([
            ("endpoint_id", Value::str(ep_id)),
            ("box", Value::str(bx.as_str())),
            ("message_hashes", Value::List(hashes)),
        ])
    };
    audit::append(tx, now, "message.create", Some(v), None, effect)?;
    if d.get("messages").is_some() {
        Ok((201, json!({"data": out})))
    } else {
        Ok((201, json!({"data": out.remove(0)})))
    }
}

// ---------------------------------------------------------------- audit

fn get_audit<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, q: &Query) -> Res {
    let limit = q.limit(c.config.page_default, c.config.page_max)?;
    let after = match q.get("after") {
        None => 0,
        Some(a) => a
            .parse::<i64>()
            .map_err(|_| ApiError::Invalid("`after` must be an entry number".into()))?,
    };
    let cut = page_cut(
        c.config.page_max_bytes,
        tx,
        "octet_length(entry)",
        "FROM audit WHERE seq > ?1 ORDER BY seq",
        &[SqlValue::Int(after)],
        limit,
    )?;
    let recs = audit::page(tx, after, cut.take)?;
    let head = tx.query(
        "SELECT seq, entry_hash FROM audit ORDER BY seq DESC LIMIT 1",
        &[],
    )?;
    let (hseq, hhash) = head.first().map_or((0, audit::GENESIS.to_owned()), |r| {
        (col_i64(r, 0), col_str(r, 1))
    });
    let head_value = Value::dict([
        ("controller", Value::str(c.id())),
        ("seq", Value::Int(i128::from(hseq))),
        ("hash", Value::str(hhash.as_str())),
    ]);
    let head_sig = c.key.sign(Domain::AuditHead, &head_value.encode());
    let next = if cut.full {
        recs.last().map(|r| json!(r.seq)).unwrap_or(Json::Null)
    } else {
        Json::Null
    };
    Ok((
        200,
        json!({
            "data": recs,
            "next": next,
            "head": {"controller": c.id(), "key_data": c.key.key_data(), "seq": hseq, "hash": hhash, "signature": head_sig},
        }),
    ))
}

/// Verify the controller's signature over an audit head (for clients).
pub fn verify_head(head: &Json) -> bool {
    let get = |k: &str| head.get(k).and_then(Json::as_str).unwrap_or_default();
    let seq = head.get("seq").and_then(Json::as_i64).unwrap_or(-1);
    let Ok(pk) = PublicKey::from_key_data(get("key_data")) else {
        return false;
    };
    if pk.key_id() != get("controller") {
        return false;
    }
    let v = Value::dict([
        ("controller", Value::str(get("controller"))),
        ("seq", Value::Int(i128::from(seq))),
        ("hash", Value::str(get("hash"))),
    ]);
    pk.verify(Domain::AuditHead, &v.encode(), get("signature"))
        .is_ok()
}
