//! Negotiations and their contributions: reading them and creating a negotiation.

use super::*;

/// A negotiation row (of `SELECT {NEG_COLS}`).
pub(super) fn read_negotiation(mut r: Cols) -> Result<wire::Negotiation, ApiError> {
    Ok(wire::Negotiation {
        id: r.text("id")?,
        title: r.text("title")?,
        participants: r.opt_json("participants")?,
        status: r.parsed("status", "OPEN or DONE", |s| match s {
            "OPEN" => Some(wire::NegotiationStatus::Open),
            "DONE" => Some(wire::NegotiationStatus::Done),
            _ => None,
        })?,
        text: r.opt_text("text")?,
        timestamp: r.opt_text("timestamp")?,
        consensus: r.opt_text("consensus")?,
        // none until the negotiation closes
        signings: r.opt_json("signings")?.unwrap_or_default(),
    })
}

pub(super) const NEG_COLS: &str =
    "id, title, participants, status, text, timestamp, consensus, signings";

fn load_negotiation(tx: &mut dyn Tx, id: &str) -> Result<wire::Negotiation, ApiError> {
    let r = select_one(
        tx,
        NEG_COLS,
        "FROM negotiations WHERE id = ?1 OR consensus = ?1",
        &[id.into()],
    )?
    .ok_or_else(|| ApiError::NotFound(format!("no negotiation {id}")))?;
    read_negotiation(r)
}

pub(super) fn get_negotiation(tx: &mut dyn Tx, id: &str) -> Res {
    data(200, load_negotiation(tx, id)?)
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
    let items = select(tx, NEG_COLS, &format!("{cond} LIMIT ?{}", p.len()), &p)?
        .into_iter()
        .map(read_negotiation)
        .collect::<Result<Vec<_>, _>>()?;
    let full = cut.full && q.get("consensus").is_none();
    let next = next_cursor(&items, full, |n| Cursor::Key(n.id.clone()));
    page(items, next)
}

pub(super) fn create_negotiation<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, v: &Verified) -> Res {
    let title = bounded(opt_str(v.data(), "title")?.unwrap_or(""), "title", 256)?.to_owned();
    let participants = match str_list(v.data(), "participants")? {
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
    let parts_json = participants
        .as_ref()
        .map(|p| Json::from(p.as_slice()).to_string());
    tx.execute(
        "INSERT INTO negotiations (id, title, participants, status, created_by, created_at) VALUES (?1, ?2, ?3, 'OPEN', ?4, ?5)",
        &[id.as_str().into(), title.as_str().into(), parts_json.into(), v.signer_id().into(), SqlValue::Int(now.0)],
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
    data(201, load_negotiation(tx, &id)?)
}

const CONTRIBUTION_COLS: &str = "id, negotiation_id, signer, key_data, text, signature, latest";

/// A contribution row (of `SELECT {CONTRIBUTION_COLS}`).
fn read_contribution(mut r: Cols) -> Result<wire::Contribution, ApiError> {
    Ok(wire::Contribution {
        id: r.int("id")?,
        negotiation_id: r.text("negotiation_id")?,
        signer_key_id: r.text("signer")?,
        key_data: r.text("key_data")?,
        text: r.text("text")?,
        signature: r.text("signature")?,
        latest: r.flag("latest")?,
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
    let items = select(
        tx,
        CONTRIBUTION_COLS,
        &format!("{cond} LIMIT ?3"),
        &[p1, p2, SqlValue::Int(cut.take)],
    )?
    .into_iter()
    .map(read_contribution)
    .collect::<Result<Vec<_>, _>>()?;
    let next = next_cursor(&items, cut.full, |c| Cursor::Id(c.id));
    page(items, next)
}
