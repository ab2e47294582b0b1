//! Peers (individual and joint) and roles: reading and registering them, assigning roles.

use super::*;

pub(super) const PEER_COLS: &str = "peer_id, name, key_data, key_type, crypto_backend, crypto_params, owners, status, consensus_id";

/// A peer row (of `SELECT {PEER_COLS}`) and its roles.
pub(super) fn read_peer(tx: &mut dyn Tx, mut r: Cols) -> Result<wire::Peer, ApiError> {
    let peer_id = r.text("peer_id")?;
    let roles = select(
        tx,
        "role",
        "FROM roles WHERE peer_id = ?1 ORDER BY role",
        &[peer_id.as_str().into()],
    )?
    .into_iter()
    .map(|mut x| x.text("role"))
    .collect::<Result<Vec<_>, _>>()?;
    let owners = r
        .json::<Vec<String>>("owners")?
        .into_iter()
        .map(|owner_key_id| wire::Owner { owner_key_id })
        .collect();
    Ok(wire::Peer {
        peer_id,
        name: r.text("name")?,
        key_data: r.text("key_data")?,
        key_type: r.text("key_type")?,
        crypto_backend: r.text("crypto_backend")?,
        crypto_params: r.json("crypto_params")?,
        owners,
        status: r.text("status")?,
        roles,
        consensus_id: r.text("consensus_id")?,
    })
}

pub(super) fn load_peer(tx: &mut dyn Tx, id: &str) -> Result<wire::Peer, ApiError> {
    let r = select_one(tx, PEER_COLS, "FROM peers WHERE peer_id = ?1", &[id.into()])?
        .ok_or_else(|| ApiError::NotFound(format!("no peer {id}")))?;
    read_peer(tx, r)
}

pub(super) fn get_peer(tx: &mut dyn Tx, id: &str) -> Res {
    data(200, load_peer(tx, id)?)
}

pub(super) fn list_peers<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, q: &Query) -> Res {
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
    let rows = select(
        tx,
        PEER_COLS,
        &format!("{cond} LIMIT ?2"),
        &[after, SqlValue::Int(cut.take)],
    )?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        items.push(read_peer(tx, r)?);
    }
    let next = next_cursor(&items, cut.full, |p| Cursor::Key(p.peer_id.clone()));
    page(items, next)
}

/// Owners of a peer (empty for an individual peer), or 404/422.
pub(super) fn peer_owners(tx: &mut dyn Tx, peer_id: &str) -> Result<Vec<String>, ApiError> {
    let mut r = select_one(
        tx,
        "owners, status",
        "FROM peers WHERE peer_id = ?1",
        &[peer_id.into()],
    )?
    .ok_or_else(|| ApiError::NotFound(format!("no peer {peer_id}")))?;
    if r.text("status")? != "READY" {
        return Err(ApiError::WrongState(format!("peer {peer_id} is not READY")));
    }
    Ok(r.json("owners")?)
}

/// `owners`: distinct key ids (or `{owner_key_id}` objects), at most 64.
fn parse_owners(d: &Obj) -> Result<Vec<String>, ApiError> {
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
    Ok(owners)
}

/// The peer id is its key's id; a joint peer's key combines its name and owners.
fn check_peer_key(
    peer_id: &str,
    name: &str,
    key_data: &str,
    owners: &[String],
) -> Result<(), ApiError> {
    if owners.is_empty() {
        let id = identity::key_id(key_data)
            .map_err(|_| ApiError::Invalid("`key_data` is not an Ed25519 public key".into()))?;
        if id != peer_id {
            return Err(ApiError::Invalid(
                "`peer_id` must be the key id of `key_data`".into(),
            ));
        }
        return Ok(());
    }
    if identity::joint_key_data(name, owners) != key_data {
        return Err(ApiError::Invalid(
            "`key_data` of a joint peer must be the combination of its name and owners".into(),
        ));
    }
    if identity::joint_peer_id(key_data).as_deref() != Some(peer_id) {
        return Err(ApiError::Invalid(
            "`peer_id` must be the key id of the joint `key_data`".into(),
        ));
    }
    Ok(())
}

pub(super) fn create_peer<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, v: &Verified) -> Res {
    let d = v.data();
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
    let owners = parse_owners(d)?;
    check_peer_key(peer_id, name, key_data, &owners)?;
    let applied = apply_consensus(tx, v, "peer.create")?;
    if owners.is_empty() {
        check_peer_action(v.signer_id(), &[peer_id.to_owned()], &applied.signers)?;
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
        check_peer_action(v.signer_id(), &owners, &applied.signers)?;
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
            Json::from(owners.as_slice()).to_string().into(),
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
    data(201, load_peer(tx, peer_id)?)
}

pub(super) fn authorities<H: Host>(
    c: &Controller<H>,
    tx: &mut dyn Tx,
) -> Result<Vec<String>, ApiError> {
    let mut a = c.config.authorities.clone();
    for mut r in select(
        tx,
        "peer_id",
        "FROM roles WHERE role = 'authority' ORDER BY peer_id",
        &[],
    )? {
        a.push(r.text("peer_id")?);
    }
    a.sort();
    a.dedup();
    Ok(a)
}

pub(super) fn list_roles(tx: &mut dyn Tx, q: &Query) -> Res {
    data_roles(tx, q).and_then(|items| page(items, None))
}

fn data_roles(tx: &mut dyn Tx, q: &Query) -> Result<Vec<wire::Role>, ApiError> {
    let cols = "peer_id, role";
    let rows = match q.get("peer_id") {
        Some(p) => select(
            tx,
            cols,
            "FROM roles WHERE peer_id = ?1 ORDER BY role",
            &[p.into()],
        )?,
        None => match q.get("role") {
            Some(r) => select(
                tx,
                cols,
                "FROM roles WHERE role = ?1 ORDER BY peer_id",
                &[r.into()],
            )?,
            None => select(
                tx,
                cols,
                "FROM roles ORDER BY peer_id, role LIMIT 1000",
                &[],
            )?,
        },
    };
    rows.into_iter()
        .map(|mut r| {
            Ok(wire::Role {
                peer_id: r.text("peer_id")?,
                role: r.text("role")?,
            })
        })
        .collect()
}

pub(super) fn update_role<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, v: &Verified) -> Res {
    let peer_id = req_str(v.data(), "peer_id")?;
    let role = req_str(v.data(), "role")?;
    let action = req_str(v.data(), "action")?;
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
    check_peer_action(v.signer_id(), &auth, &applied.signers).map_err(|_| {
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
    let roles = data_roles(tx, &Query::new(&format!("peer_id={peer_id}")))?;
    answer(
        201,
        &Page {
            data: roles,
            next: None,
        },
    )
}
