//! Pages bounded by bytes as well as by count.
//!
//! A listing page ends at whichever comes first: `limit` items, or items whose
//! stored size adds up to `Config::page_max_bytes` (at least one item is always
//! returned, so that a single item larger than the budget still pages). The size
//! of each candidate is measured first by a query that returns only integers
//! (`octet_length`, which SQLite answers from the record header without loading
//! the text), and only the items that fit are then loaded: the memory a request
//! takes is bounded by the byte budget, not by `limit` times the largest item.

use crate::error::ApiError;
use crate::rows::Cols;
use crate::store::{SqlValue, Tx};
use panoramix_core::wire::Cursor;

/// Bytes counted per item on top of its measured columns (field names, ids,
/// hashes and JSON punctuation).
pub(crate) const ITEM_OVERHEAD: u64 = 256;

/// How many of the candidates (their sizes, in page order) fit in `max_bytes`:
/// at least one when there is one.
pub(crate) fn fit(sizes: impl IntoIterator<Item = i64>, max_bytes: usize) -> usize {
    let max = max_bytes as u64;
    let mut total = 0u64;
    let mut n = 0usize;
    for s in sizes {
        let s = u64::try_from(s).unwrap_or(0).saturating_add(ITEM_OVERHEAD);
        if n > 0 && total.saturating_add(s) > max {
            break;
        }
        total = total.saturating_add(s);
        n += 1;
    }
    n
}

/// The size of a page: how many rows to load, and whether it is full (cut by
/// count or by bytes), in which case `next` is the cursor of its last item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cut {
    /// Rows to load (use it as the page query's `LIMIT`).
    pub take: i64,
    /// The page ended before the listing did (or exactly at `limit`).
    pub full: bool,
}

/// Run `size_sql`, a query with the page query's `WHERE`, `ORDER BY` and
/// `LIMIT` that selects one integer per row (the row's size in bytes), and cut.
pub(crate) fn measure(
    tx: &mut dyn Tx,
    size_sql: &str,
    params: &[SqlValue],
    limit: i64,
    max_bytes: usize,
) -> Result<Cut, ApiError> {
    let sizes = tx
        .query(size_sql, params)?
        .into_iter()
        .map(|r| Cols::new("size", r).int("size"))
        .collect::<Result<Vec<i64>, _>>()?;
    let n = sizes.len();
    let take = fit(sizes, max_bytes);
    Ok(Cut {
        take: i64::try_from(take).unwrap_or(i64::MAX),
        full: take < n || i64::try_from(n).unwrap_or(i64::MAX) >= limit,
    })
}

/// Stored size of a negotiation, a peer, an endpoint and a message (SQL over the
/// listing's table), for the byte budget.
pub(crate) const NEG_SIZE: &str = "octet_length(title) + coalesce(octet_length(participants), 0) + coalesce(octet_length(text), 0) + coalesce(octet_length(signings), 0)";
pub(crate) const PEER_SIZE: &str = "octet_length(name) + octet_length(crypto_params) + octet_length(owners) + 64 * (SELECT count(*) FROM roles WHERE roles.peer_id = peers.peer_id)";
pub(crate) const EP_SIZE: &str = "octet_length(description) + octet_length(endpoint_params) + octet_length(links) + coalesce(octet_length(process_proof), 0) + 160 * (SELECT count(*) FROM endpoint_logs WHERE endpoint_logs.endpoint_id = endpoints.endpoint_id)";
pub(crate) const MSG_SIZE: &str =
    "octet_length(text) + octet_length(sender) + octet_length(recipient)";

/// The page's cut by count and bytes: `from_where_order` is the page query's
/// `FROM ... WHERE ... ORDER BY`, `params` its parameters (the `LIMIT` is
/// appended as the next one), `size` the SQL of one row's size.
pub(crate) fn cut(
    max_bytes: usize,
    tx: &mut dyn Tx,
    size: &str,
    from_where_order: &str,
    params: &[SqlValue],
    limit: i64,
) -> Result<Cut, ApiError> {
    let mut p = params.to_vec();
    p.push(SqlValue::Int(limit));
    let sql = format!("SELECT {size} {from_where_order} LIMIT ?{}", p.len());
    measure(tx, &sql, &p, limit, max_bytes)
}

/// `next`: the cursor of the last item of a full page, else none.
pub(crate) fn next_cursor<T>(
    items: &[T],
    full: bool,
    key: impl Fn(&T) -> Cursor,
) -> Option<Cursor> {
    if full { items.last().map(key) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_ends_at_the_byte_budget_with_at_least_one_item() {
        let o = ITEM_OVERHEAD as i64;
        assert_eq!(fit([], 1000), 0);
        // one item over the budget still pages
        assert_eq!(fit([10_000, 1], 1000), 1);
        // items of 300 bytes with their overhead
        let s = 300 - o;
        assert_eq!(fit([s, s, s], 600), 2);
        assert_eq!(fit([s, s, s], 900), 3);
        assert_eq!(fit([s, s, s], 899), 2);
        // negative or absurd sizes neither panic nor overflow
        assert_eq!(fit([-5, i64::MAX, 3], usize::MAX), 3);
    }
}
