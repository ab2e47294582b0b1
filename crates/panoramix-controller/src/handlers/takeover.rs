//! A take-over (docs/protocol.md §5.9, docs/api.md "Take-overs"): an owner has
//! the controller itself copy the published boxes of linked sources into an
//! endpoint's INBOX, in one transaction audited as one entry, instead of
//! downloading them and uploading them again. The signer states the INBOX it
//! expects afterwards (its count and box hash, from the sources it verified);
//! anything else rolls back.

use super::*;
use panoramix_core::boxes::{self, TakeoverReceipt};
use std::collections::HashSet;

/// The named sources, each with the box its link takes: every one an INBOX
/// link of `ep`, named once, in the signer's order.
fn sources(d: &Obj, ep: &EndpointRow) -> Result<Vec<(String, MsgBox)>, ApiError> {
    let names = str_list(d, "sources")?
        .ok_or_else(|| ApiError::Invalid("`sources` (the linked endpoints) is required".into()))?;
    if names.is_empty() {
        return Err(ApiError::Invalid("`sources` names no endpoint".into()));
    }
    let mut seen = HashSet::new();
    names
        .into_iter()
        .map(|s| {
            let link = ep
                .links
                .iter()
                .find(|l| l.to_box == MsgBox::Inbox && l.from_endpoint_id == s)
                .ok_or_else(|| {
                    ApiError::Invalid(format!("{s} is not linked to the INBOX of {}", ep.id))
                })?;
            if !seen.insert(s.clone()) {
                return Err(ApiError::Invalid(format!("`sources` names {s} twice")));
            }
            Ok((s, link.from_box))
        })
        .collect()
}

/// One text column of the INBOX of `ep_id`, in id order.
fn inbox_column(tx: &mut dyn Tx, col: &'static str, ep_id: &str) -> Result<Vec<String>, ApiError> {
    select(
        tx,
        col,
        crate::store::BOX_ROWS,
        &[
            ep_id.into(),
            MsgBox::Inbox.as_str().into(),
            SqlValue::Int(0),
        ],
    )?
    .into_iter()
    .map(|mut r| r.text(col))
    .collect::<Result<_, _>>()
    .map_err(ApiError::from)
}

/// `POST /takeovers/`: copy the published boxes of `data.sources` into the
/// INBOX of `data.endpoint_id`, each message whose text the INBOX does not
/// hold yet, source by source in the order given, each box in id order.
pub(super) fn post_takeover<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, v: &Verified) -> Res {
    let d = v.data();
    let ep_id = req_str(d, "endpoint_id")?;
    let count = opt_i64(d, "count")?.ok_or_else(|| {
        ApiError::Invalid("`count` (the messages in the INBOX afterwards) is required".into())
    })?;
    let stated = req_str(d, "box_hash")?;
    let ep = load_endpoint(tx, ep_id)?;
    let named = sources(d, &ep)?;
    if ep.status != EndpointStatus::Open {
        return Err(ApiError::WrongState(format!(
            "endpoint {ep_id} is {}, not OPEN",
            ep.status.as_str()
        )));
    }
    // who may: as for a post into a linked INBOX; and which sources have published
    let ready = may_post(tx, v, &ep, MsgBox::Inbox)?.unwrap_or_default();
    for (s, b) in &named {
        if !ready.iter().any(|(r, _)| r == s) {
            return Err(ApiError::WrongState(format!(
                "{s} has not published its {} yet",
                b.as_str()
            )));
        }
    }
    let mut present: HashSet<String> = inbox_column(tx, "text_hash", ep_id)?.into_iter().collect();
    let now = c.host.now();
    // (sender, recipient, text, text hash, message hash) of each message taken
    let mut copied: Vec<[String; 5]> = Vec::new();
    for (s, b) in &named {
        let rows = select(
            tx,
            "sender, recipient, text, text_hash",
            crate::store::BOX_ROWS,
            &[s.as_str().into(), b.as_str().into(), SqlValue::Int(0)],
        )?;
        for mut r in rows {
            let text_hash = r.text("text_hash")?;
            if !present.insert(text_hash.clone()) {
                continue;
            }
            let (sender, recipient, text) =
                (r.text("sender")?, r.text("recipient")?, r.text("text")?);
            let hash = model::message_hash(None, &sender, &recipient, &text);
            copied.push([sender, recipient, text, text_hash, hash]);
        }
    }
    let rows: Vec<NewRow<'_>> = copied
        .iter()
        .map(|[sender, recipient, text, text_hash, hash]| NewRow {
            item: Item {
                sender,
                recipient,
                text,
                serial: None,
            },
            hash,
            text_hash,
        })
        .collect();
    insert_all(tx, ep_id, MsgBox::Inbox, &rows, now)?;
    drop(rows);
    let taken: Vec<String> = copied.into_iter().map(|[.., hash]| hash).collect();
    let all = inbox_column(tx, "message_hash", ep_id)?;
    let box_hash = boxes::box_hash(&all);
    if all.len() as i64 != count || box_hash != stated {
        return Err(ApiError::WrongState(format!(
            "after this take-over the INBOX of {ep_id} would hold {} messages with box hash {box_hash}, not the {count} with box hash {stated} stated (it changed since it was read)",
            all.len()
        )));
    }
    let effect = Value::dict([
        ("endpoint_id", Value::str(ep_id)),
        (
            "sources",
            Value::List(named.iter().map(|(s, _)| Value::str(s.as_str())).collect()),
        ),
        ("box_hash", Value::str(box_hash.as_str())),
        (
            "message_hashes",
            Value::List(taken.iter().map(|h| Value::str(h.as_str())).collect()),
        ),
    ]);
    audit::append(tx, now, "takeover.create", Some(v), None, effect)?;
    data(
        201,
        TakeoverReceipt {
            endpoint_id: ep_id.to_owned(),
            taken: taken.len() as i64,
            count,
            box_hash,
        },
    )
}
