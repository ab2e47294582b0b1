//! The change feed's wait (docs/protocol.md §5.10). A `GET /panoramix/changes/`
//! whose `after` is at or above the audit log's last entry waits, holding no
//! handler slot, until a write is committed or its `wait` has passed; then the
//! controller answers it as any request. Every accepted write appends an audit
//! entry, so "a write was committed" is when the answer may change.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::AppState;

/// Tells waiting change-feed requests that a write was committed.
pub(crate) struct Feed {
    tx: watch::Sender<u64>,
}

impl Feed {
    pub(crate) fn new() -> Feed {
        Feed {
            tx: watch::channel(0).0,
        }
    }

    /// A write was committed: wake every waiting request.
    pub(crate) fn committed(&self) {
        self.tx.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// Wait as the change-feed query `query` asks: not at all without `wait` (or
/// with a query the controller will refuse), else until the audit log's last
/// entry is above `after` or `wait` milliseconds have passed.
pub(crate) async fn wait(st: &Arc<AppState>, query: &str) {
    let Ok((after, wait)) = panoramix_core::changes::parse_query(query) else {
        return;
    };
    if wait == 0 {
        return;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_millis(wait);
    let mut rx = st.feed.tx.subscribe();
    loop {
        // a write committed after this mark wakes the wait below
        rx.borrow_and_update();
        let st2 = st.clone();
        let seq =
            tokio::task::spawn_blocking(move || st2.controller.audit_seq(&mut st2.db.handle()))
                .await;
        match seq {
            Ok(Ok(s)) if s <= after => {}
            _ => return,
        }
        if tokio::time::timeout_at(deadline, rx.changed())
            .await
            .is_err()
        {
            return;
        }
    }
}
