//! Coverage per route: how many requests each (method, route) got and with which
//! status. Off unless `PANORAMIX_FUZZ_ROUTES` names a file; then the fuzz target
//! rewrites that file with the table after every input (scripts/fuzz-smoke.sh
//! replays the final corpus once with it set and prints the table).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

type Counts = BTreeMap<(String, String), BTreeMap<u16, u64>>;

thread_local! {
    static COUNTS: RefCell<Counts> = const { RefCell::new(BTreeMap::new()) };
}

/// The file the table goes to, if counting is on.
pub fn target() -> Option<&'static str> {
    static T: OnceLock<Option<String>> = OnceLock::new();
    T.get_or_init(|| {
        std::env::var("PANORAMIX_FUZZ_ROUTES")
            .ok()
            .filter(|s| !s.is_empty())
    })
    .as_deref()
}

const RESOURCES: &[&str] = &[
    "controller",
    "negotiations",
    "contributions",
    "peers",
    "roles",
    "endpoints",
    "messages",
    "audit",
];

/// The route a path falls under: `/panoramix/<resource>/` or `/panoramix/<resource>/{id}/`.
pub fn route(path: &str) -> String {
    let segs: Vec<&str> = path
        .strip_prefix("/panoramix/")
        .unwrap_or("")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match segs.as_slice() {
        [r] if RESOURCES.contains(r) => format!("/panoramix/{r}/"),
        [r, _] if RESOURCES.contains(r) => format!("/panoramix/{r}/{{id}}/"),
        _ => "(no such route)".to_owned(),
    }
}

/// Count one answer (only when counting is on).
pub fn record(method: &str, path: &str, status: u16) {
    record_as(&route(path), method, status);
}

/// Count one answer under a label of its own (a path through a handler that the
/// route alone does not show, e.g. a post into a linked box).
pub fn record_as(label: &str, method: &str, status: u16) {
    if target().is_none() {
        return;
    }
    COUNTS.with(|c| {
        *c.borrow_mut()
            .entry((label.to_owned(), method.to_owned()))
            .or_default()
            .entry(status)
            .or_default() += 1;
    });
}

/// The table: one row per route and method, requests, 2xx, and each status seen.
pub fn table() -> String {
    COUNTS.with(|c| {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<32} {:<6} {:>8} {:>7}  statuses",
            "route", "method", "requests", "2xx"
        );
        for ((route, method), st) in c.borrow().iter() {
            let total: u64 = st.values().sum();
            let ok: u64 = st.iter().filter(|(s, _)| **s < 300).map(|(_, n)| n).sum();
            let detail: Vec<String> = st.iter().map(|(s, n)| format!("{s}:{n}")).collect();
            let _ = writeln!(
                out,
                "{route:<32} {method:<6} {total:>8} {ok:>7}  {}",
                detail.join(" ")
            );
        }
        out
    })
}

/// Rewrite the table file, if counting is on.
pub fn flush() {
    if let Some(path) = target() {
        let _ = std::fs::write(path, table());
    }
}
