//! Messages: listing a box and posting into an INBOX or a PROCESSBOX.

use super::*;
use std::collections::{HashMap, HashSet};

const MESSAGE_COLS: &str = "id, endpoint_id, box, serial, sender, recipient, text, message_hash";

/// A message row (of `SELECT {MESSAGE_COLS}`), its texts moved (not copied).
pub(super) fn read_message(mut r: Cols) -> Result<wire::Message, ApiError> {
    Ok(wire::Message {
        id: r.int("id")?,
        endpoint_id: r.text("endpoint_id")?,
        box_: r.parsed(
            "box",
            "INBOX, ACCEPTED, PROCESSBOX or OUTBOX",
            MsgBox::parse,
        )?,
        serial: r.opt_int("serial")?,
        sender: r.text("sender")?,
        recipient: r.text("recipient")?,
        text: r.text("text")?,
        message_hash: r.text("message_hash")?,
    })
}

/// The rows a box listing reads (`?endpoint_id=&box=[&after=]`): the SQL
/// condition and its three parameters (endpoint, box, after this message id).
pub(super) fn box_rows(q: &Query) -> Result<(&'static str, [SqlValue; 3]), ApiError> {
    let ep = q
        .get("endpoint_id")
        .ok_or_else(|| ApiError::Invalid("filter by ?endpoint_id= is required".into()))?;
    let bx = MsgBox::parse(q.get("box").unwrap_or("INBOX")).ok_or_else(|| {
        ApiError::Invalid("`box` must be INBOX, ACCEPTED, PROCESSBOX or OUTBOX".into())
    })?;
    let after = match q.get("after") {
        None => 0,
        Some(a) => a
            .parse::<i64>()
            .map_err(|_| ApiError::Invalid("`after` must be a message id".into()))?,
    };
    Ok((
        crate::store::BOX_ROWS,
        [ep.into(), bx.as_str().into(), SqlValue::Int(after)],
    ))
}

pub(super) fn list_messages<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, q: &Query) -> Res {
    let (cond, params) = box_rows(q)?;
    let limit = q.limit(c.config.page_default, c.config.page_max)?;
    let cut = page_cut(c.config.page_max_bytes, tx, MSG_SIZE, cond, &params, limit)?;
    let [p1, p2, p3] = params;
    // rows are moved into the items (the texts are not copied again)
    let items = select(
        tx,
        MESSAGE_COLS,
        &format!("{cond} LIMIT ?4"),
        &[p1, p2, p3, SqlValue::Int(cut.take)],
    )?
    .into_iter()
    .map(read_message)
    .collect::<Result<Vec<_>, _>>()?;
    let next = next_cursor(&items, cut.full, |m| Cursor::Id(m.id));
    page(items, next)
}

/// Most messages one request may carry.
pub const MAX_BATCH: usize = 5000;

/// One message of a post, as the signer sent it.
#[derive(Clone, Copy)]
pub(super) struct Item<'a> {
    pub(super) sender: &'a str,
    pub(super) recipient: &'a str,
    pub(super) text: &'a str,
    pub(super) serial: Option<i64>,
}

/// The messages of a post: `data` itself, or each of `data.messages`.
fn parse_items<'a>(d: &'a Obj, max_message: usize) -> Result<Vec<Item<'a>>, ApiError> {
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
    batch
        .unwrap_or_else(|| vec![d])
        .into_iter()
        .map(|m| {
            Ok(Item {
                sender: bounded(opt_str(m, "sender")?.unwrap_or(""), "sender", 512)?,
                recipient: bounded(opt_str(m, "recipient")?.unwrap_or(""), "recipient", 512)?,
                text: bounded(req_str(m, "text")?, "text", max_message)?,
                serial: opt_i64(m, "serial")?,
            })
        })
        .collect()
}

/// INBOX messages carry no serial; PROCESSBOX messages a non-negative one.
pub(super) fn check_serials(bx: MsgBox, items: &[Item<'_>]) -> Result<(), ApiError> {
    for it in items {
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
    Ok(())
}

/// Whether the signer may post to this box of `ep`, and, when links feed the
/// box, the published boxes of their sources (a message must come from one):
/// `None` for a box no link feeds.
pub(super) fn may_post(
    tx: &mut dyn Tx,
    v: &Verified,
    ep: &EndpointRow,
    bx: MsgBox,
) -> Result<Option<Vec<(String, MsgBox)>>, ApiError> {
    let is_signer = |ids: &[String]| ids.iter().any(|o| o == v.signer_id());
    let own = controllers(&ep.peer_id, &peer_owners(tx, &ep.peer_id)?);
    let links: Vec<&wire::Link> = ep.links.iter().filter(|l| l.to_box == bx).collect();
    if links.is_empty() {
        if (bx == MsgBox::Processbox || !ep.public) && !is_signer(&own) {
            return Err(ApiError::Forbidden(format!(
                "only the owners of {} may post to the {} of {}",
                ep.peer_id,
                bx.as_str(),
                ep.id
            )));
        }
        return Ok(None);
    }
    // sources of a linked box that have published it
    let mut sources: Vec<(String, MsgBox)> = Vec::new();
    let mut allowed = is_signer(&own);
    for l in links {
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
        if !allowed && is_signer(&controllers(&src.peer_id, &peer_owners(tx, &src.peer_id)?)) {
            allowed = true;
        }
        if ready {
            sources.push((src.id, l.from_box));
        }
    }
    if !allowed {
        return Err(ApiError::Forbidden(format!(
            "the {} of {} is fed by a link: only the owners of the linked endpoints post there",
            bx.as_str(),
            ep.id
        )));
    }
    Ok(Some(sources))
}

fn box_has_text(
    tx: &mut dyn Tx,
    endpoint_id: &str,
    bx: MsgBox,
    text_hash: &str,
) -> Result<bool, ApiError> {
    Ok(!tx
        .query(
            "SELECT 1 FROM messages WHERE endpoint_id = ?1 AND box = ?2 AND text_hash = ?3 LIMIT 1",
            &[endpoint_id.into(), bx.as_str().into(), text_hash.into()],
        )?
        .is_empty())
}

/// A message taken over by a link: in a published box of a source, not yet here.
pub(super) fn check_taken_over(
    tx: &mut dyn Tx,
    sources: &[(String, MsgBox)],
    ep_id: &str,
    bx: MsgBox,
    text_hash: &str,
) -> Result<(), ApiError> {
    let mut found = false;
    for (src, fbox) in sources {
        if box_has_text(tx, src, *fbox, text_hash)? {
            found = true;
            break;
        }
    }
    if !found {
        return Err(ApiError::Forbidden(
            "the message is not in the published box of any linked endpoint".into(),
        ));
    }
    if box_has_text(tx, ep_id, bx, text_hash)? {
        return Err(ApiError::Duplicate(
            "this message was already taken over from the linked endpoint".into(),
        ));
    }
    Ok(())
}

/// Rows one INSERT takes: the box's three constants and six values per row
/// stay within the 100 bound parameters a Durable Object's SQLite allows.
const ROWS_PER_INSERT: usize = 16;

/// One message to store: as posted, with its message hash and text hash.
pub(super) struct NewRow<'a> {
    pub(super) item: Item<'a>,
    pub(super) hash: &'a str,
    pub(super) text_hash: &'a str,
}

/// Store `rows` in box `bx` of `ep_id`, in order, a few per statement (each
/// statement of a request's savepoint costs a walk of the savepoint's
/// in-memory statement journal when it ends, so a statement per row made a
/// large upload quadratic); returns their ids. A message already in the box
/// is a [`ApiError::Duplicate`]; an INBOX past `size_max` is
/// [`ApiError::InboxFull`]. Nothing is undone here: the request's savepoint is.
pub(super) fn insert_all(
    tx: &mut dyn Tx,
    ep_id: &str,
    bx: MsgBox,
    rows: &[NewRow<'_>],
    now: Micros,
) -> Result<Vec<i64>, ApiError> {
    let sql = |k: usize| {
        let values: Vec<String> = (0..k)
            .map(|i| {
                let p = 4 + 6 * i;
                format!(
                    "(?1, ?2, ?{p}, ?{}, ?{}, ?{}, ?{}, ?{}, ?3)",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5
                )
            })
            .collect();
        format!(
            "INSERT INTO messages (endpoint_id, box, serial, sender, recipient, text, message_hash, text_hash, created_at) VALUES {} ON CONFLICT DO NOTHING RETURNING id, message_hash",
            values.join(", ")
        )
    };
    // the statement's text for a full chunk, made once
    let full = sql(ROWS_PER_INSERT);
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let last;
        let sql = if chunk.len() == ROWS_PER_INSERT {
            &full
        } else {
            last = sql(chunk.len());
            &last
        };
        let mut params: Vec<SqlValue> = Vec::with_capacity(3 + 6 * chunk.len());
        params.extend([ep_id.into(), bx.as_str().into(), SqlValue::Int(now.0)]);
        for r in chunk {
            params.extend([
                r.item.serial.into(),
                r.item.sender.into(),
                r.item.recipient.into(),
                r.item.text.into(),
                r.hash.into(),
                r.text_hash.into(),
            ]);
        }
        let mut stored: HashMap<String, i64> = HashMap::with_capacity(chunk.len());
        for row in tx.query(sql, &params)? {
            let mut c = Cols::new("id, message_hash", row);
            stored.insert(c.text("message_hash")?, c.int("id")?);
        }
        for r in chunk {
            // a hash missing from what was stored was in the box already (or
            // earlier in this post)
            let id = stored.remove(r.hash).ok_or_else(|| {
                ApiError::Duplicate(format!(
                    "message {} is already in the {} of {ep_id}",
                    r.hash,
                    bx.as_str()
                ))
            })?;
            ids.push(id);
        }
    }
    if bx == MsgBox::Inbox && !rows.is_empty() {
        // the guard in the WHERE clause keeps size_max even under concurrent writers
        let n = tx.execute(
            "UPDATE endpoints SET inbox_count = inbox_count + ?2 WHERE endpoint_id = ?1 AND inbox_count + ?2 <= size_max",
            &[ep_id.into(), SqlValue::Int(rows.len() as i64)],
        )?;
        if n != 1 {
            return Err(ApiError::InboxFull);
        }
    }
    Ok(ids)
}

/// The checks every post into a box makes before storing: the box is one a
/// signer posts to, the endpoint is in the state that takes it, the serials
/// fit the box and the signer may post there. Returns the linked sources
/// ([`may_post`]).
pub(super) fn check_post(
    tx: &mut dyn Tx,
    v: &Verified,
    ep_id: &str,
    bx: MsgBox,
    items: &[Item<'_>],
) -> Result<Option<Vec<(String, MsgBox)>>, ApiError> {
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
    check_serials(bx, items)?;
    may_post(tx, v, &ep, bx)
}

/// The SHA-256 of each item's text (what the link rule compares).
pub(super) fn text_hashes(items: &[Item<'_>]) -> Vec<String> {
    items
        .iter()
        .map(|it| identity::sha256_hex(it.text.as_bytes()))
        .collect()
}

/// Store checked items (message hashes `hashes`, text hashes `text_hashes`,
/// both computed before the writer is taken) into a box; returns their ids.
pub(super) fn store_items<H: Host>(
    c: &Controller<H>,
    tx: &mut dyn Tx,
    sources: Option<&[(String, MsgBox)]>,
    (ep_id, bx): (&str, MsgBox),
    items: &[Item<'_>],
    (hashes, text_hashes): (&[String], &[String]),
) -> Result<Vec<i64>, ApiError> {
    let now = c.host.now();
    if let Some(sources) = sources {
        let mut seen = HashSet::with_capacity(items.len());
        for text_hash in text_hashes {
            check_taken_over(tx, sources, ep_id, bx, text_hash)?;
            if !seen.insert(text_hash.as_str()) {
                return Err(ApiError::Duplicate(
                    "this message was already taken over from the linked endpoint".into(),
                ));
            }
        }
    }
    let rows: Vec<NewRow<'_>> = items
        .iter()
        .zip(hashes)
        .zip(text_hashes)
        .map(|((it, hash), text_hash)| NewRow {
            item: *it,
            hash,
            text_hash,
        })
        .collect();
    insert_all(tx, ep_id, bx, &rows, now)
}

/// `POST /messages/`: one message (`data` holds its fields) or a batch (`data.messages`
/// is a list of `{sender, recipient, text, serial?}`), all into one box of one
/// endpoint, in one transaction: every message passes every check or none is stored.
/// What needs no stored state (the signature, the items, their hashes, the answer)
/// is done before or after the writer is taken, not while other posts wait for it.
pub(super) fn post_message<H: Host, S: Store>(
    c: &Controller<H>,
    store: &mut S,
    req: &ApiRequest,
) -> Res {
    let v = signed(c, req, "message", "create")?;
    let d = v.data();
    let ep_id = req_str(d, "endpoint_id")?;
    let bx = MsgBox::parse(req_str(d, "box")?)
        .ok_or_else(|| ApiError::Invalid("`box` must be INBOX or PROCESSBOX".into()))?;
    let parsed = parse_items(d, c.config.max_message)?;
    let message_hashes: Vec<String> = parsed
        .iter()
        .map(|it| model::message_hash(it.serial, it.sender, it.recipient, it.text))
        .collect();
    let text_hashes = text_hashes(&parsed);
    let batch = d.get("messages").is_some();
    let effect = |hashes: &[String]| {
        let mut hashes: Vec<Value> = hashes.iter().map(|h| Value::str(h.as_str())).collect();
        let list = if hashes.len() == 1 && !batch {
            ("message_hash", hashes.remove(0))
        } else {
            ("message_hashes", Value::List(hashes))
        };
        Value::dict([
            ("endpoint_id", Value::str(ep_id)),
            ("box", Value::str(bx.as_str())),
            list,
        ])
    };
    let ids = store.write(|tx| {
        record_nonce(c, tx, &v)?;
        let sources = check_post(tx, &v, ep_id, bx, &parsed)?;
        let ids = store_items(
            c,
            tx,
            sources.as_deref(),
            (ep_id, bx),
            &parsed,
            (&message_hashes, &text_hashes),
        )?;
        audit::append(
            tx,
            c.host.now(),
            "message.create",
            Some(&v),
            None,
            effect(&message_hashes),
        )?;
        Ok::<_, ApiError>(ids)
    })?;
    let mut out: Vec<wire::Message> = parsed
        .iter()
        .zip(ids)
        .zip(message_hashes)
        .map(|((it, id), message_hash)| wire::Message {
            id,
            endpoint_id: ep_id.to_owned(),
            box_: bx,
            serial: it.serial,
            sender: it.sender.to_owned(),
            recipient: it.recipient.to_owned(),
            text: it.text.to_owned(),
            message_hash,
        })
        .collect();
    if batch {
        data(201, out)
    } else {
        data(201, out.remove(0))
    }
}
