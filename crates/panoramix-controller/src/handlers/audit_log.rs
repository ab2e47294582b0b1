//! The audit log's pages and the check of its signed head.

use super::*;
use panoramix_core::audit::{Head, Record};
use serde::Deserialize;

/// `GET /panoramix/audit/`: a page of entries and the signed head of the log.
#[derive(Serialize)]
struct AuditPage {
    data: Vec<Record>,
    /// The last entry's `seq` on a full page, else `null`.
    next: Option<i64>,
    head: Head,
}

pub(super) fn get_audit<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, q: &Query) -> Res {
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
    let (hseq, hhash) = match select_one(
        tx,
        "seq, entry_hash",
        "FROM audit ORDER BY seq DESC LIMIT 1",
        &[],
    )? {
        Some(mut r) => (r.int("seq")?, r.text("entry_hash")?),
        None => (0, audit::GENESIS.to_owned()),
    };
    let head_value = Value::dict([
        ("controller", Value::str(c.id())),
        ("seq", Value::Int(i128::from(hseq))),
        ("hash", Value::str(hhash.as_str())),
    ]);
    let signature = c.key.sign(Domain::AuditHead, &head_value.encode());
    let next = if cut.full {
        recs.last().map(|r| r.seq)
    } else {
        None
    };
    answer(
        200,
        &AuditPage {
            data: recs,
            next,
            head: Head {
                controller: c.id(),
                key_data: c.key.key_data(),
                seq: hseq,
                hash: hhash,
                signature,
            },
        },
    )
}

/// Verify the controller's signature over an audit head (for clients): false
/// when it is not a head (a field missing or of the wrong type) or does not verify.
pub fn verify_head(head: &Json) -> bool {
    Head::deserialize(head).is_ok_and(|h| h.verify())
}

/// `GET /panoramix/changes/?after=&wait=`: the audit log's last entry number
/// (the waiting, if any, is the host's: see [`crate::Controller::audit_seq`]).
pub(super) fn get_changes(tx: &mut dyn Tx, query: &str) -> Res {
    let (after, _wait) = panoramix_core::changes::parse_query(query).map_err(ApiError::Invalid)?;
    let seq = audit_seq(tx)?;
    data(
        200,
        panoramix_core::changes::Changes {
            seq,
            changed: seq > after,
        },
    )
}

/// The number of the audit log's last entry; 0 for an empty log.
pub(crate) fn audit_seq(tx: &mut dyn Tx) -> Result<i64, ApiError> {
    Ok(
        match select_one(tx, "seq", "FROM audit ORDER BY seq DESC LIMIT 1", &[])? {
            Some(mut r) => r.int("seq")?,
            None => 0,
        },
    )
}
