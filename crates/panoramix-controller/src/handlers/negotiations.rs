//! Negotiations and their contributions: reading them and creating a negotiation.

use super::*;

pub(super) fn negotiation_json(r: &[SqlValue]) -> Json {
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

pub(super) const NEG_COLS: &str =
    "id, title, participants, status, text, timestamp, consensus, signings";

pub(super) fn get_negotiation(tx: &mut dyn Tx, id: &str) -> Res {
    let rows = tx.query(
        &format!("SELECT {NEG_COLS} FROM negotiations WHERE id = ?1 OR consensus = ?1"),
        &[id.into()],
    )?;
    let r = rows
        .first()
        .ok_or_else(|| ApiError::NotFound(format!("no negotiation {id}")))?;
    Ok((200, json!({"data": negotiation_json(r)})))
}

pub(super) fn list_negotiations<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, q: &Query) -> Res {
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

pub(super) fn create_negotiation<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, v: &Verified) -> Res {
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

pub(super) fn contribution_json(r: &[SqlValue]) -> Json {
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

pub(super) fn list_contributions<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, q: &Query) -> Res {
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
