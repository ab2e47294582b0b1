//! The change feed (docs/protocol.md §5.10): `GET /panoramix/changes/?after=N&wait=MS`
//! answers the audit log's last entry number, at once when it is above `after`,
//! else once a change is committed or `wait` milliseconds have passed (a host
//! that cannot wait answers at once). Every accepted write appends an audit
//! entry, so a client that remembers the last number it was given wakes on the
//! next state change instead of polling.

use serde::{Deserialize, Serialize};

/// The path of the change feed.
pub const PATH: &str = "/panoramix/changes/";

/// The longest `wait` a client may ask for, in milliseconds.
pub const MAX_WAIT_MS: u64 = 25_000;

/// The `data` of the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    /// The number (`seq`) of the audit log's last entry; 0 for an empty log.
    pub seq: i64,
    /// Whether `seq` is above the `after` asked about.
    pub changed: bool,
}

/// The `after` (default 0) and `wait` (milliseconds, default 0) of a change-feed
/// query string, or what is wrong with them.
pub fn parse_query(query: &str) -> Result<(i64, u64), String> {
    let (mut after, mut wait) = (0i64, 0u64);
    for kv in query.split('&').filter(|s| !s.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        match k {
            "after" => {
                after = v
                    .parse()
                    .ok()
                    .filter(|a: &i64| *a >= 0)
                    .ok_or("`after` must be an audit entry number (an integer, at least 0)")?;
            }
            "wait" => {
                wait = v
                    .parse()
                    .ok()
                    .filter(|w| *w <= MAX_WAIT_MS)
                    .ok_or("`wait` must be milliseconds, an integer from 0 to 25000")?;
            }
            _ => {}
        }
    }
    Ok((after, wait))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_has_defaults_and_bounds() {
        assert_eq!(parse_query(""), Ok((0, 0)));
        assert_eq!(parse_query("after=7&wait=1000"), Ok((7, 1000)));
        assert_eq!(parse_query("wait=25000"), Ok((0, 25000)));
        assert!(parse_query("wait=25001").is_err());
        assert!(parse_query("after=-1").is_err());
        assert!(parse_query("after=x").is_err());
        assert!(parse_query("wait=").is_err());
        assert_eq!(parse_query("other=1"), Ok((0, 0)));
    }
}
