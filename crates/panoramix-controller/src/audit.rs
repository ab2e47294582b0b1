//! Appending to and reading the append-only, hash-chained audit log. The entry
//! format, its hash and the verification of a whole log are pure and live in
//! [`panoramix_core::audit`] (re-exported here).

use crate::error::ApiError;
use crate::rows::Cols;
use crate::store::{SqlValue, Tx};
use panoramix_core::canonical::Value;
use panoramix_core::envelope::Verified;
use panoramix_core::time::Micros;

pub use panoramix_core::audit::{
    Break, GENESIS, Record, SIGNING_LABELS, Summary, entry_hash, verify_log,
};

/// Append an entry inside the request's transaction.
pub(crate) fn append(
    tx: &mut dyn Tx,
    now: Micros,
    kind: &str,
    req: Option<&Verified>,
    consensus: Option<&str>,
    effect: Value,
) -> Result<(), ApiError> {
    let last = tx.query(
        "SELECT seq, entry_hash FROM audit ORDER BY seq DESC LIMIT 1",
        &[],
    )?;
    let (seq, prev) = match last
        .into_iter()
        .next()
        .map(|r| Cols::new("seq, entry_hash", r))
    {
        Some(mut r) => (r.int("seq")? + 1, r.text("entry_hash")?),
        None => (1, GENESIS.to_owned()),
    };
    let (signer, key_data, request, signature) = match req {
        Some(r) => (
            Value::str(r.signer_id()),
            Value::str(r.signer().key_data()),
            Value::str(String::from_utf8_lossy(r.signed_canonical()).into_owned()),
            Value::str(r.signature()),
        ),
        None => (Value::Null, Value::Null, Value::Null, Value::Null),
    };
    let entry = Value::dict([
        ("seq", Value::Int(i128::from(seq))),
        ("prev", Value::str(prev.as_str())),
        ("time", Value::str(now.iso())),
        ("kind", Value::str(kind)),
        ("signer", signer),
        ("key_data", key_data),
        ("request", request),
        ("signature", signature),
        ("consensus", consensus.map_or(Value::Null, Value::str)),
        ("effect", effect),
    ]);
    let bytes = entry.encode();
    let hash = entry_hash(&bytes);
    // the entry's bytes are UTF-8 (its strings are): kept as they are, not copied
    let text = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    tx.execute(
        "INSERT INTO audit (seq, prev_hash, entry_hash, entry) VALUES (?1, ?2, ?3, ?4)",
        &[SqlValue::Int(seq), prev.into(), hash.into(), text.into()],
    )?;
    Ok(())
}

/// Read a page of entries.
pub(crate) fn page(tx: &mut dyn Tx, after: i64, limit: i64) -> Result<Vec<Record>, ApiError> {
    let rows = tx.query(
        "SELECT seq, prev_hash, entry_hash, entry FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        &[SqlValue::Int(after), SqlValue::Int(limit)],
    )?;
    rows.into_iter()
        .map(|r| {
            let mut r = Cols::new("seq, prev_hash, entry_hash, entry", r);
            Ok(Record {
                seq: r.int("seq")?,
                prev_hash: r.text("prev_hash")?,
                entry_hash: r.text("entry_hash")?,
                entry: r.text("entry")?,
            })
        })
        .collect()
}
