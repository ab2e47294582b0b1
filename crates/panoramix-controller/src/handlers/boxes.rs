//! A box as a unit (docs/protocol.md §5.8, docs/api.md "Boxes"): the framed
//! download of a whole box, and the upload of a whole box in one signed
//! request, stored in one transaction and audited as one entry.

use super::*;
use panoramix_core::boxes::{self, Frame};

/// Rows of one download answer at most (on top of the byte budget).
const DOWNLOAD_ROWS: i64 = boxes::MAX_COUNT as i64;

/// `GET /boxes/?endpoint_id=&box=[&after=]`: the box's messages in id order, as
/// far as `max_body` bytes of stored messages take them (the memory an answer
/// takes is bounded like a request's), as a box transfer (the answer's text).
pub(super) fn get_box<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, q: &Query) -> Res {
    let (cond, params) = super::messages::box_rows(q)?;
    let cut = page_cut(
        c.config.max_body,
        tx,
        MSG_SIZE,
        cond,
        &params,
        DOWNLOAD_ROWS,
    )?;
    let [p1, p2, p3] = params;
    let rows = select(
        tx,
        "id, serial, sender, recipient, text, message_hash",
        &format!("{cond} LIMIT ?4"),
        &[p1, p2, p3, SqlValue::Int(cut.take)],
    )?;
    let mut frames = Vec::with_capacity(rows.len());
    let mut hashes = Vec::with_capacity(rows.len());
    for mut r in rows {
        frames.push(Frame {
            id: r.int("id")?,
            serial: r.opt_int("serial")?,
            sender: r.text("sender")?,
            recipient: r.text("recipient")?,
            text: r.text("text")?,
        });
        hashes.push(r.text("message_hash")?);
    }
    let next = if cut.full {
        frames.last().map(|f| f.id)
    } else {
        None
    };
    Ok((
        200,
        Json::String(boxes::encode_download(&frames, &hashes, next)),
    ))
}

/// The fields of a box upload's `data`.
fn upload_target<'a>(d: &'a Obj, up: &boxes::BoxData) -> Result<(&'a str, MsgBox), ApiError> {
    let ep_id = req_str(d, "endpoint_id")?;
    let bx = MsgBox::parse(req_str(d, "box")?)
        .ok_or_else(|| ApiError::Invalid("`box` must be INBOX or PROCESSBOX".into()))?;
    let count = opt_i64(d, "count")?
        .ok_or_else(|| ApiError::Invalid("`count` (the number of messages) is required".into()))?;
    if count < 1 || usize::try_from(count).ok() != Some(up.frames.len()) {
        return Err(ApiError::Invalid(format!(
            "data.count is {count}, the box holds {} messages (at least 1)",
            up.frames.len()
        )));
    }
    if req_str(d, "box_hash")? != up.box_hash {
        return Err(ApiError::Invalid(
            "data.box_hash is not the box hash of the uploaded messages".into(),
        ));
    }
    Ok((ep_id, bx))
}

/// `POST /boxes/`: a whole box (or one part of it) in one signed request.
pub(super) fn post_box<H: Host, S: Store>(
    c: &Controller<H>,
    store: &mut S,
    req: &ApiRequest,
) -> Res {
    if req.body.len() > c.config.max_box {
        return Err(ApiError::TooLarge(format!(
            "a box upload is larger than {} bytes: send it in parts",
            c.config.max_box
        )));
    }
    let max = usize::try_from(c.config.max_inbox).unwrap_or(0);
    let up = boxes::decode(&req.body, true, max)
        .map_err(|e| ApiError::Malformed(format!("box transfer: {e}")))?;
    let envelope = ApiRequest {
        method: req.method.clone(),
        path: req.path.clone(),
        query: req.query.clone(),
        body: up.envelope.clone().unwrap_or_default().into_bytes(),
    };
    let v = signed(c, &envelope, "box", "create")?;
    let (ep_id, bx) = upload_target(v.data(), &up)?;
    let items = up
        .frames
        .iter()
        .map(|f| {
            if f.id != 0 {
                return Err(ApiError::Invalid("an uploaded frame's id must be 0".into()));
            }
            Ok(Item {
                sender: bounded(&f.sender, "sender", 512)?,
                recipient: bounded(&f.recipient, "recipient", 512)?,
                text: bounded(&f.text, "text", c.config.max_message)?,
                serial: f.serial,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let text_hashes = text_hashes(&items);
    store.write(|tx| {
        record_nonce(c, tx, &v)?;
        let sources = check_post(tx, &v, ep_id, bx, &items)?;
        let ids = store_items(
            c,
            tx,
            sources.as_deref(),
            (ep_id, bx),
            &items,
            (&up.hashes, &text_hashes),
        )?;
        let effect = Value::dict([
            ("endpoint_id", Value::str(ep_id)),
            ("box", Value::str(bx.as_str())),
            ("box_hash", Value::str(up.box_hash.as_str())),
            (
                "message_hashes",
                Value::List(up.hashes.iter().map(|h| Value::str(h.as_str())).collect()),
            ),
        ]);
        audit::append(tx, c.host.now(), "box.create", Some(&v), None, effect)?;
        data(
            201,
            boxes::Receipt {
                endpoint_id: ep_id.to_owned(),
                box_: bx,
                count: ids.len() as i64,
                box_hash: up.box_hash.clone(),
                first_id: ids.first().copied().unwrap_or_default(),
                last_id: ids.last().copied().unwrap_or_default(),
            },
        )
    })
}
