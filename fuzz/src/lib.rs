//! The structure-aware harness of the `api_request` fuzz target.
//!
//! An input is either one raw request (its first byte below 0x10: a route and the
//! rest of the bytes as the body, so the JSON and envelope parsers see arbitrary
//! bytes) or a sequence of operations against one fresh in-memory store: peers
//! register by self-consensus, joint peers and endpoints are negotiated among
//! several fixed keys, messages are posted, endpoints closed and processed, roles
//! assigned, plus fuzzed signed bodies, raw bodies, reads and replays. Every request
//! is signed with fixed test keys, so the handlers behind the signature check run.
//!
//! Invariants, checked on every answer ([`world::World::send`]): no panic; no 5xx
//! unless the store itself failed; a refused request commits nothing and leaves
//! every table as it was; a read writes nothing; an accepted write commits; a
//! replayed accepted request is refused. At the end of a sequence the audit log,
//! read through the API, verifies and holds exactly one entry per accepted change.

pub mod draw;
pub mod ops;
pub mod rng;
pub mod store;
pub mod tally;
pub mod world;

/// The routes of the raw mode.
const RAW_ROUTES: &[(&str, &str)] = &[
    ("POST", "/panoramix/negotiations/"),
    ("POST", "/panoramix/contributions/"),
    ("POST", "/panoramix/peers/"),
    ("POST", "/panoramix/endpoints/"),
    ("PATCH", "/panoramix/endpoints/gw/"),
    ("POST", "/panoramix/messages/"),
    ("POST", "/panoramix/roles/"),
    ("GET", "/panoramix/messages/"),
    ("GET", "/panoramix/endpoints/"),
    ("GET", "/panoramix/audit/"),
    ("GET", "/panoramix/negotiations/x/"),
];

/// Most operations one input runs.
pub const MAX_OPS: usize = 32;

/// Run one fuzz input.
pub fn run(data: &[u8]) {
    let mut w = world::World::new();
    match data {
        [mode, sel, rest @ ..] if *mode < 0x10 => {
            let (method, path) = RAW_ROUTES[*sel as usize % RAW_ROUTES.len()];
            let (query, body) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) if method == "GET" => (
                    String::from_utf8_lossy(&rest[..i]).into_owned(),
                    rest[i + 1..].to_vec(),
                ),
                _ => (String::new(), rest.to_vec()),
            };
            w.send(method, path, &query, body);
        }
        _ => {
            let mut g = draw::Gen::new(data.get(1..).unwrap_or_default());
            let mut n = 0;
            while n < MAX_OPS {
                ops::step(&mut w, &mut g);
                n += 1;
                if g.is_empty() {
                    break;
                }
            }
            w.check_audit();
        }
    }
    tally::flush();
}
