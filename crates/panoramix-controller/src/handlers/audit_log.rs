//! The audit log's pages and the check of its signed head.

use super::*;

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
