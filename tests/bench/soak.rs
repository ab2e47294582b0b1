//! Soak: a bounded run of many concurrent signing clients and negotiating
//! contributors against a real `panoramix serve` over loopback, with a kill -9 and
//! restart of the server in the middle. Afterwards every acknowledged message is in
//! the store exactly once, the audit log verifies, and the server's memory (RSS,
//! sampled every second) stays flat.
//!
//! ```text
//! cargo bench --bench soak                 # 180 s, 16 clients, 4 contributors
//! cargo bench --bench soak -- --smoke      # 12 s, for CI; fails on any loss
//! SOAK_SECS=600 SOAK_CLIENTS=32 cargo bench --bench soak
//! ```
//!
//! Clients post 256-byte messages to 8 public endpoints (closed loop, one
//! keep-alive connection each, unique texts). A transport error (the server is
//! down) is retried with a fresh signature until the server answers; an answer of
//! 409 `duplicate` on a retry means the first attempt had been committed, which
//! counts as acknowledged. Contributors run negotiations (create, contribute,
//! accept: a self-consensus) in a loop. At 40 % of the run the server is killed
//! with SIGKILL and restarted on the same database and port.
#![forbid(unsafe_code)]

use panoramix_client::Client;
use panoramix_core::Keypair;
use rand_core::{OsRng, RngCore};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_panoramix");
const ENDPOINTS: usize = 8;

fn start(db: &std::path::Path, port: u16) -> Child {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--db"])
        .arg(db)
        .env("PANORAMIX_LOG", "error")
        .env("PANORAMIX_INSECURE_PLAINTEXT_KEYS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    for line in lines.by_ref().map_while(Result::ok) {
        if line.starts_with("panoramix: listening on ") {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    child
}

fn rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn connect(url: &str, key: Keypair) -> Client {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match Client::connect(
            url,
            Keypair::from_secret_hex(&key.secret_hex()).expect("key"),
        ) {
            Ok(c) => return c,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("cannot connect: {e}"),
        }
    }
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let smoke = args.iter().any(|a| a == "--smoke");
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let secs = if smoke {
        12
    } else {
        env("SOAK_SECS").unwrap_or(180)
    };
    let nclients = env("SOAK_CLIENTS").unwrap_or(if smoke { 6 } else { 16 }) as usize;
    let ncontrib = env("SOAK_CONTRIBUTORS").unwrap_or(4) as usize;

    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("soak.sqlite3");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let server = Arc::new(Mutex::new(start(&db, port)));

    // an owner with ENDPOINTS public gateways of the largest size
    let owner = connect(&url, Keypair::generate(&mut OsRng));
    owner
        .register("owner", Some("contributor"), "SPHINXMIX", json!({}))
        .expect("register");
    for i in 0..ENDPOINTS {
        let a = owner.endpoint_action(&json!({"endpoint_id": format!("soak{i}"), "peer_id": owner.id(),
            "endpoint_type": "SPHINXMIX_GATEWAY", "size_min": 1, "size_max": 100_000, "public": true}));
        let c = owner
            .self_consensus("soak", std::slice::from_ref(&a))
            .expect("consensus");
        owner.apply(&a, &c, None).expect("endpoint");
    }

    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<Vec<(usize, String)>>> = Arc::default();
    let latencies: Arc<Mutex<Vec<u64>>> = Arc::default();
    let retries = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let negotiations = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let mut handles = Vec::new();
    for ci in 0..nclients {
        let (url, stop, acked, latencies, retries, failures) = (
            url.clone(),
            stop.clone(),
            acked.clone(),
            latencies.clone(),
            retries.clone(),
            failures.clone(),
        );
        handles.push(std::thread::spawn(move || {
            let c = connect(&url, Keypair::generate(&mut OsRng));
            let ep = ci % ENDPOINTS;
            let mut mine = Vec::new();
            let mut lat = Vec::new();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let mut b = [0u8; 120];
                OsRng.fill_bytes(&mut b);
                let text = format!("{ci}-{n}-{}", hex::encode(b));
                n += 1;
                let mut first = true;
                loop {
                    let t = Instant::now();
                    match c.post_message(&format!("soak{ep}"), "INBOX", "s", "r", &text, None) {
                        Ok(_) => {
                            lat.push(t.elapsed().as_micros() as u64);
                            mine.push((ep, text.clone()));
                            break;
                        }
                        Err(e) if e.code() == Some("duplicate") && !first => {
                            mine.push((ep, text.clone()));
                            break;
                        }
                        Err(e) if e.status().is_none() || e.status() == Some(429) => {
                            retries.fetch_add(1, Ordering::Relaxed);
                            first = false;
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        Err(e) => {
                            eprintln!("client {ci}: {e}");
                            failures.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                    }
                }
            }
            acked.lock().expect("acked").extend(mine);
            latencies.lock().expect("lat").extend(lat);
        }));
    }
    for ki in 0..ncontrib {
        let (url, stop, negotiations, failures) = (
            url.clone(),
            stop.clone(),
            negotiations.clone(),
            failures.clone(),
        );
        handles.push(std::thread::spawn(move || {
            let c = connect(&url, Keypair::generate(&mut OsRng));
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let a = c.endpoint_action(
                    &json!({"endpoint_id": format!("k{ki}-{i}"), "peer_id": c.id(),
                    "endpoint_type": "SPHINXMIX", "size_min": 1, "size_max": 2}),
                );
                i += 1;
                match c.self_consensus("soak", std::slice::from_ref(&a)) {
                    Ok(_) => {
                        negotiations.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) if e.status().is_none() => std::thread::sleep(Duration::from_millis(50)),
                    Err(e) => {
                        eprintln!("contributor {ki}: {e}");
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }));
    }

    // sample RSS every second; kill -9 and restart at 40 %
    let mut samples: Vec<(f64, u64)> = Vec::new();
    let mut killed = false;
    let mut restart_at = 0.0;
    while t0.elapsed() < Duration::from_secs(secs) {
        std::thread::sleep(Duration::from_secs(1));
        let pid = server.lock().expect("server").id();
        if let Some(r) = rss_kib(pid) {
            samples.push((t0.elapsed().as_secs_f64(), r));
        }
        if !killed && t0.elapsed().as_secs_f64() >= secs as f64 * 0.4 {
            let mut s = server.lock().expect("server");
            let _ = s.kill(); // SIGKILL
            let _ = s.wait();
            *s = start(&db, port);
            restart_at = t0.elapsed().as_secs_f64();
            killed = true;
            eprintln!("soak: server killed -9 and restarted at {restart_at:.1} s");
        }
    }
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().expect("worker");
    }
    let elapsed = t0.elapsed().as_secs_f64();

    // every acknowledged message is there exactly once
    let reader = connect(&url, Keypair::generate(&mut OsRng));
    let mut missing = 0usize;
    let mut duplicated = 0usize;
    let acked = acked.lock().expect("acked");
    let mut by_ep: HashMap<usize, HashSet<&str>> = HashMap::new();
    for (ep, t) in acked.iter() {
        by_ep.entry(*ep).or_default().insert(t.as_str());
    }
    for (ep, want) in &by_ep {
        let got = reader
            .messages(&format!("soak{ep}"), "INBOX")
            .expect("list");
        let mut seen = HashSet::new();
        for m in &got {
            let t = m["text"].as_str().unwrap_or("");
            if !seen.insert(t.to_owned()) {
                duplicated += 1;
            }
        }
        missing += want.iter().filter(|t| !seen.contains(**t)).count();
    }
    let audit = Command::new(BIN)
        .args(["audit", "verify", &url])
        .output()
        .expect("audit verify");
    let mut lat = latencies.lock().expect("lat").clone();
    lat.sort_unstable();
    let peak = samples.iter().map(|s| s.1).max().unwrap_or(0);
    // flatness: the mean RSS of the last quarter against the second quarter after restart
    let after: Vec<u64> = samples
        .iter()
        .filter(|s| s.0 > restart_at + 2.0)
        .map(|s| s.1)
        .collect();
    let (early, late) = if after.len() >= 4 {
        let q = after.len() / 4;
        let m = |v: &[u64]| v.iter().sum::<u64>() as f64 / v.len().max(1) as f64;
        (m(&after[..q.max(1)]), m(&after[after.len() - q.max(1)..]))
    } else {
        (0.0, 0.0)
    };
    println!(
        "soak: {secs} s, {nclients} clients, {ncontrib} contributors, kill -9 + restart at {restart_at:.1} s"
    );
    println!(
        "soak: {} acknowledged posts ({:.0}/s overall), {} negotiations closed, {} retries, {} failures",
        acked.len(),
        acked.len() as f64 / elapsed,
        negotiations.load(Ordering::Relaxed),
        retries.load(Ordering::Relaxed),
        failures.load(Ordering::Relaxed)
    );
    println!(
        "soak: latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 1.0)
    );
    println!(
        "soak: server RSS peak {:.1} MiB; after restart, first quarter {:.1} MiB, last quarter {:.1} MiB",
        peak as f64 / 1024.0,
        early / 1024.0,
        late / 1024.0
    );
    println!(
        "soak: missing {missing}, duplicated {duplicated}, audit verify: {}",
        audit.status
    );
    let _ = server.lock().expect("server").kill();
    let ok = missing == 0
        && duplicated == 0
        && audit.status.success()
        && failures.load(Ordering::Relaxed) == 0;
    if !ok {
        eprintln!("{}", String::from_utf8_lossy(&audit.stdout));
        eprintln!("{}", String::from_utf8_lossy(&audit.stderr));
        std::process::exit(1);
    }
}
