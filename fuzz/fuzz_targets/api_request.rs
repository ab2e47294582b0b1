#![no_main]
//! Every API route with arbitrary bodies and queries: the controller answers with a
//! status below 500: never a panic, never an internal error.
use libfuzzer_sys::fuzz_target;
use panoramix_controller::{ApiRequest, Config, Controller, Host};
use panoramix_core::{Keypair, time::Micros};
use panoramix_server::sqlite::SqliteDb;
use std::sync::OnceLock;

struct FixedHost;
impl Host for FixedHost {
    fn now(&self) -> Micros {
        Micros(1_700_000_000_000_000)
    }
    fn fill_random(&self, buf: &mut [u8]) {
        buf.fill(7);
    }
}

const ROUTES: &[(&str, &str)] = &[
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

fn env() -> &'static (Controller<FixedHost>, SqliteDb) {
    static ENV: OnceLock<(Controller<FixedHost>, SqliteDb)> = OnceLock::new();
    ENV.get_or_init(|| {
        let c = Controller::new(Keypair::from_secret(&[1; 32]), Config::default(), FixedHost);
        let path = std::env::temp_dir().join(format!("panoramix-fuzz-{}.sqlite3", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let db = SqliteDb::open(&path, false).expect("db");
        c.migrate(&mut db.handle()).expect("migrate");
        (c, db)
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let (method, path) = ROUTES[sel as usize % ROUTES.len()];
    let (query, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) if method == "GET" => (String::from_utf8_lossy(&rest[..i]).into_owned(), rest[i + 1..].to_vec()),
        _ => (String::new(), rest.to_vec()),
    };
    let (c, db) = env();
    let req = ApiRequest { method: method.into(), path: path.into(), query, body };
    let resp = c.handle(&mut db.handle(), &req);
    assert!(resp.status < 500, "{method} {path} -> {} {}", resp.status, resp.body);
});
