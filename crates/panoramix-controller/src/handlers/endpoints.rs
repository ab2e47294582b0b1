//! Endpoints: their rows, links, reading them, creating them and moving them through their states.

use super::*;

pub(super) const EP_COLS: &str = "endpoint_id, peer_id, description, public, size_min, size_max, endpoint_type, endpoint_params, links, status, inbox_hash, outbox_hash, process_proof, last_consensus_id, inbox_count";

/// What the handlers check of an endpoint.
pub(super) struct EndpointRow {
    pub(super) id: String,
    pub(super) peer_id: String,
    pub(super) public: bool,
    pub(super) size_min: i64,
    pub(super) size_max: i64,
    pub(super) endpoint_type: String,
    pub(super) links: Vec<wire::Link>,
    pub(super) status: EndpointStatus,
    pub(super) last_consensus_id: String,
}

const STATUSES: &str = "OPEN, CLOSED or PROCESSED";

pub(super) fn parse_links(j: &Json) -> Result<Vec<wire::Link>, ApiError> {
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
            Ok(wire::Link {
                from_endpoint_id,
                from_box,
                to_box,
            })
        })
        .collect()
}

/// The links column: the typed links as stored (`null` from an endpoint created
/// with `"links": null`, before links were stored typed, reads as none).
fn read_links(r: &mut Cols) -> Result<Vec<wire::Link>, ApiError> {
    Ok(r.json::<Option<Vec<wire::Link>>>("links")?
        .unwrap_or_default())
}

pub(super) fn load_endpoint(tx: &mut dyn Tx, id: &str) -> Result<EndpointRow, ApiError> {
    let mut r = select_one(
        tx,
        "endpoint_id, peer_id, public, size_min, size_max, endpoint_type, links, status, last_consensus_id",
        "FROM endpoints WHERE endpoint_id = ?1",
        &[id.into()],
    )?
    .ok_or_else(|| ApiError::NotFound(format!("no endpoint {id}")))?;
    Ok(EndpointRow {
        id: r.text("endpoint_id")?,
        peer_id: r.text("peer_id")?,
        public: r.flag("public")?,
        size_min: r.int("size_min")?,
        size_max: r.int("size_max")?,
        endpoint_type: r.text("endpoint_type")?,
        links: read_links(&mut r)?,
        status: r.parsed("status", STATUSES, EndpointStatus::parse)?,
        last_consensus_id: r.text("last_consensus_id")?,
    })
}

/// An endpoint row (of `SELECT {EP_COLS}`) and its consensus log.
pub(super) fn read_endpoint(tx: &mut dyn Tx, mut r: Cols) -> Result<wire::Endpoint, ApiError> {
    let endpoint_id = r.text("endpoint_id")?;
    let consensus_logs = select(
        tx,
        "consensus_id, timestamp, status",
        "FROM endpoint_logs WHERE endpoint_id = ?1 ORDER BY seq",
        &[endpoint_id.as_str().into()],
    )?
    .into_iter()
    .map(|mut l| {
        Ok(wire::ConsensusLog {
            consensus_id: l.text("consensus_id")?,
            timestamp: l.text("timestamp")?,
            status: l.parsed("status", STATUSES, EndpointStatus::parse)?,
        })
    })
    .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(wire::Endpoint {
        endpoint_id,
        peer_id: r.text("peer_id")?,
        description: r.text("description")?,
        public: r.flag("public")?,
        size_min: r.int("size_min")?,
        size_max: r.int("size_max")?,
        endpoint_type: r.text("endpoint_type")?,
        endpoint_params: r.json("endpoint_params")?,
        links: read_links(&mut r)?,
        status: r.parsed("status", STATUSES, EndpointStatus::parse)?,
        inbox_hash: r.opt_text("inbox_hash")?,
        outbox_hash: r.opt_text("outbox_hash")?,
        // stored as sent: a JSON string as its text, anything else as its JSON
        process_proof: r
            .opt_text("process_proof")?
            .map(|p| serde_json::from_str::<Json>(&p).unwrap_or(Json::String(p))),
        last_consensus_id: r.text("last_consensus_id")?,
        inbox_count: r.int("inbox_count")?,
        consensus_logs,
    })
}

fn read_one_endpoint(tx: &mut dyn Tx, id: &str) -> Result<wire::Endpoint, ApiError> {
    let r = select_one(
        tx,
        EP_COLS,
        "FROM endpoints WHERE endpoint_id = ?1",
        &[id.into()],
    )?
    .ok_or_else(|| ApiError::NotFound(format!("no endpoint {id}")))?;
    read_endpoint(tx, r)
}

pub(super) fn get_endpoint(tx: &mut dyn Tx, id: &str) -> Res {
    data(200, read_one_endpoint(tx, id)?)
}

pub(super) fn list_endpoints<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, q: &Query) -> Res {
    let limit = q.limit(c.config.page_default, c.config.page_max)?;
    let mut cond = "FROM endpoints WHERE endpoint_id > ?1".to_owned();
    let mut params: Vec<SqlValue> = vec![q.get("after").unwrap_or("").into()];
    if let Some(p) = q.get("peer_id") {
        params.push(p.into());
        cond.push_str(&format!(" AND peer_id = ?{}", params.len()));
    }
    if let Some(s) = q.get("status") {
        params.push(s.into());
        cond.push_str(&format!(" AND status = ?{}", params.len()));
    }
    cond.push_str(" ORDER BY endpoint_id");
    let cut = page_cut(c.config.page_max_bytes, tx, EP_SIZE, &cond, &params, limit)?;
    params.push(SqlValue::Int(cut.take));
    let rows = select(
        tx,
        EP_COLS,
        &format!("{cond} LIMIT ?{}", params.len()),
        &params,
    )?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        items.push(read_endpoint(tx, r)?);
    }
    let next = next_cursor(&items, cut.full, |e| Cursor::Key(e.endpoint_id.clone()));
    page(items, next)
}

pub(super) fn log_endpoint(
    tx: &mut dyn Tx,
    id: &str,
    cid: &str,
    ts: &str,
    status: EndpointStatus,
) -> Result<(), ApiError> {
    let n = select_one(
        tx,
        "count(*)",
        "FROM endpoint_logs WHERE endpoint_id = ?1",
        &[id.into()],
    )?
    .ok_or(RowError::Missing { column: "count(*)" })?
    .int("count(*)")?;
    tx.execute(
        "INSERT INTO endpoint_logs (endpoint_id, seq, consensus_id, timestamp, status) VALUES (?1, ?2, ?3, ?4, ?5)",
        &[id.into(), SqlValue::Int(n + 1), cid.into(), ts.into(), status.as_str().into()],
    )?;
    Ok(())
}

pub(super) fn create_endpoint<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, v: &Verified) -> Res {
    let d = v.data();
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
    let links = parse_links(d.get("links").unwrap_or(&Json::Null))?;
    if req_str(d, "status")? != "OPEN" {
        return Err(ApiError::Invalid("`status` must be OPEN".into()));
    }
    let owners = peer_owners(tx, peer_id)?;
    let applied = apply_consensus(tx, v, "endpoint.create")?;
    check_peer_action(
        v.signer_id(),
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
            serde_json::to_string(&links).map_err(encode_err)?.into(),
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
    data(201, read_one_endpoint(tx, id)?)
}

pub(super) fn update_endpoint<H: Host>(
    c: &Controller<H>,
    tx: &mut dyn Tx,
    v: &Verified,
    path_id: &str,
) -> Result<((u16, Json), Event), ApiError> {
    let d = v.data();
    let id = opt_str(d, "endpoint_id")?.unwrap_or(path_id);
    if id != path_id || opt_str(v.info(), "id")? != Some(path_id) {
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
    let on_last = req_str(v.info(), "on_last_consensus_id")?;
    let ep = load_endpoint(tx, path_id)?;
    let owners = peer_owners(tx, &ep.peer_id)?;
    let applied = apply_consensus(tx, v, "endpoint.update")?;
    check_peer_action(
        v.signer_id(),
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
    let endpoint_type = ep.endpoint_type.clone();
    let event = if next == EndpointStatus::Closed {
        Event::EndpointClosed {
            endpoint_type,
            accepted: hashes.len() as u64,
        }
    } else {
        let closed_at = select_one(
            tx,
            "timestamp",
            "FROM endpoint_logs WHERE endpoint_id = ?1 AND status = 'CLOSED' ORDER BY seq DESC LIMIT 1",
            &[path_id.into()],
        )?
        .map(|mut r| r.parsed("timestamp", "an ISO 8601 time", Micros::parse_iso))
        .transpose()?;
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
    Ok((data(200, read_one_endpoint(tx, path_id)?)?, event))
}
