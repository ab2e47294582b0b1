//! Signed message posts per second and latency through the Cloudflare Worker under
//! workerd (`wrangler dev --local`), next to the native server in the same run.
//!
//! ```text
//! worker/build.sh                                   # once: builds worker/build/
//! cargo bench --bench worker_load                   # 5 s per host, 8 clients
//! WORKER_LOAD_SECS=20 WORKER_LOAD_CLIENTS=16 cargo bench --bench worker_load
//! cargo bench --bench worker_load -- --smoke        # 1 s per host, 4 clients; fails on any error
//! ```
//!
//! Options (environment or arguments): `WORKER_LOAD_SECS` / `--secs N` (timed phase
//! per host, default 5), `WORKER_LOAD_CLIENTS` / `--clients N` (default 8),
//! `WORKER_LOAD_ROUNDS` / `--rounds N` (alternating native/Worker rounds, default 3),
//! `--smoke`.
//!
//! Method: each host runs as its own process group on a fresh store in a temporary
//! directory, on a loopback port: the native server (`panoramix serve`, SQLite WAL)
//! and the Worker (`wrangler dev --local --ip 127.0.0.1`, workerd 1.20260426.1, one
//! SQLite-backed Durable Object). One owner registers and opens one public gateway
//! with size_max 100000. Each client is a thread with its own key and keep-alive
//! connection; it signs each post in the loop (fresh nonce and timestamp, 1 KiB
//! text) and waits for the answer before sending the next (closed loop). Latency is
//! the HTTP round trip only (signing excluded). After a 0.5 s warm-up the timed
//! phase runs for the given time. Hosts alternate for the given rounds so that both
//! see the same neighbours on the shared cores; the figures are the medians of the
//! rounds' rates and the p50/p99 over all rounds' samples. Host CPU per post (user +
//! system time from /proc/<pid>/stat over the timed phase: the server process, or the
//! whole `wrangler dev` process group with node and workerd, divided by the posts)
//! depends much less on the neighbours than the rates do.
#![forbid(unsafe_code)]

#[path = "../common/mod.rs"]
mod common;

use common::{TestServer, peer, worker_dir};
use panoramix_client::Client;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const ENDPOINT: &str = "load_gateway";
const WARMUP: Duration = Duration::from_millis(500);
const TEXT_BYTES: usize = 1024;

struct Opts {
    secs: f64,
    clients: usize,
    rounds: usize,
    smoke: bool,
}

fn env_or<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn opts() -> Opts {
    let mut o = Opts {
        secs: env_or("WORKER_LOAD_SECS").unwrap_or(5.0),
        clients: env_or("WORKER_LOAD_CLIENTS").unwrap_or(8),
        rounds: env_or("WORKER_LOAD_ROUNDS").unwrap_or(3),
        smoke: false,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let val = |i: usize| args.get(i + 1).and_then(|v| v.parse().ok());
        match args[i].as_str() {
            "--secs" => o.secs = val(i).unwrap_or(o.secs),
            "--clients" => o.clients = val(i).unwrap_or(o.clients as f64) as usize,
            "--rounds" => o.rounds = val(i).unwrap_or(o.rounds as f64) as usize,
            "--smoke" => {
                o.smoke = true;
                o.secs = 1.0;
                o.clients = 4;
                o.rounds = 1;
            }
            _ => {} // cargo bench passes --bench
        }
        i += 1;
    }
    o.clients = o.clients.max(1);
    o.rounds = o.rounds.max(1);
    o
}

/// One timed phase against one host.
struct Phase {
    posts: u64,
    errors: u64,
    secs: f64,
    /// CPU time the host used during the timed phase.
    cpu: Duration,
    latencies: Vec<Duration>,
}

/// CPU time (user + system, clock ticks of 10 ms) used so far by the host, by
/// command: the native server's process, or every process of the Worker's
/// `wrangler dev` process group: node (wrangler), the workerd that runs the Worker
/// and its Durable Object (the one with an inspector), and the workerd of wrangler's
/// entry proxy on the public port. Empty where /proc is missing.
fn host_cpu_by_command(srv: &TestServer) -> BTreeMap<String, Duration> {
    let pid = srv.pid();
    let mut out = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(p) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
            continue;
        };
        // fields after the parenthesised command: state ppid pgrp ... utime(14) stime(15)
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut comm = head.split_once('(').map_or("?", |(_, c)| c).to_owned();
        if comm == "workerd" {
            let cmdline = std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline);
            comm = if cmdline.contains("--inspector-addr") {
                "workerd (Worker + DO)".into()
            } else {
                "workerd (wrangler proxy)".into()
            };
        }
        let f: Vec<&str> = rest.split_whitespace().collect();
        let pgrp = f.get(2).and_then(|v| v.parse::<u32>().ok());
        let mine = if srv.is_worker() {
            pgrp == Some(pid)
        } else {
            p == pid
        };
        if mine {
            let field = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            *out.entry(comm).or_insert(Duration::ZERO) +=
                Duration::from_millis((field(11) + field(12)) * 10);
        }
    }
    out
}

fn run_phase(srv: &TestServer, o: &Opts) -> Phase {
    let owner = peer(srv, "load-owner");
    let a = owner.endpoint_action(&json!({
        "endpoint_id": ENDPOINT, "peer_id": owner.id(), "endpoint_type": "SPHINXMIX_GATEWAY",
        "size_min": 1, "size_max": 100_000, "public": true, "description": "load", "links": [],
    }));
    let c = owner
        .self_consensus("load", std::slice::from_ref(&a))
        .expect("consensus");
    owner.apply(&a, &c, None).expect("gateway");

    let clients: Vec<Client> = (0..o.clients).map(|_| srv.client()).collect();
    let timing = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let text = "x".repeat(TEXT_BYTES);
    let threads: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(t, client)| {
            let (timing, stop, text) = (timing.clone(), stop.clone(), text.clone());
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                let (mut posts, mut errors) = (0u64, 0u64);
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let data = json!({"endpoint_id": ENDPOINT, "box": "INBOX", "sender": format!("c{t}"),
                        "recipient": "mixnet", "text": format!("{i} {text}")});
                    i += 1;
                    let info = client.info("message", "create", serde_json::Map::new());
                    let Ok(body) = client.envelope(data, info, None) else {
                        errors += 1;
                        continue;
                    };
                    let body = body.to_string();
                    let timed = timing.load(Ordering::Relaxed);
                    let t0 = Instant::now();
                    let r = client.send_raw("POST", "/panoramix/messages/", body.as_bytes());
                    let dt = t0.elapsed();
                    if timed && !stop.load(Ordering::Relaxed) {
                        match r {
                            Ok(_) => {
                                posts += 1;
                                lat.push(dt);
                            }
                            Err(e) => {
                                errors += 1;
                                if errors <= 3 {
                                    eprintln!("worker_load: client {t}: {e}");
                                }
                            }
                        }
                    }
                }
                (posts, errors, lat)
            })
        })
        .collect();
    std::thread::sleep(WARMUP);
    timing.store(true, Ordering::Relaxed);
    let cpu0 = host_cpu_by_command(srv);
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(o.secs));
    stop.store(true, Ordering::Relaxed);
    let secs = t0.elapsed().as_secs_f64();
    let cpu1 = host_cpu_by_command(srv);
    let split: Vec<String> = cpu1
        .iter()
        .map(|(c, t)| {
            let used = t.saturating_sub(cpu0.get(c).copied().unwrap_or_default());
            format!("{c} {:.2} s", used.as_secs_f64())
        })
        .collect();
    eprintln!(
        "worker_load: host CPU during the timed phase: {}",
        split.join(", ")
    );
    let cpu = cpu1
        .values()
        .sum::<Duration>()
        .saturating_sub(cpu0.values().sum());
    let mut phase = Phase {
        posts: 0,
        errors: 0,
        secs,
        cpu,
        latencies: Vec::new(),
    };
    for t in threads {
        let (p, e, l) = t.join().expect("client thread");
        phase.posts += p;
        phase.errors += e;
        phase.latencies.extend(l);
    }
    phase
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { 0.0 } else { v[v.len() / 2] }
}

#[derive(Default)]
struct Summary {
    rates: Vec<f64>,
    cpu: Duration,
    latencies: Vec<Duration>,
    posts: u64,
    errors: u64,
}

impl Summary {
    fn add(&mut self, p: Phase) {
        self.rates.push(p.posts as f64 / p.secs);
        self.cpu += p.cpu;
        self.latencies.extend(p.latencies);
        self.posts += p.posts;
        self.errors += p.errors;
    }

    fn line(&mut self, name: &str) -> (f64, Duration, f64) {
        self.latencies.sort();
        let rate = median(&mut self.rates);
        let (p50, p99) = (
            percentile(&self.latencies, 0.50),
            percentile(&self.latencies, 0.99),
        );
        let cpu_us = self.cpu.as_secs_f64() * 1e6 / (self.posts.max(1) as f64);
        println!(
            "{name:<28} {rate:>9.0} posts/s   p50 {:>7.2} ms   p99 {:>7.2} ms   host CPU {cpu_us:>6.0} µs/post   ({} posts, {} errors)",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            self.posts,
            self.errors
        );
        (rate, p99, cpu_us)
    }
}

fn main() {
    let o = opts();
    if !worker_dir().join("build/index.js").is_file() {
        eprintln!("worker_load: worker/build/ is missing; run worker/build.sh first");
        std::process::exit(2);
    }
    println!(
        "worker_load: {} clients, {} s per host per round, {} round(s), 1 KiB signed posts, loopback",
        o.clients, o.secs, o.rounds
    );
    let mut native = Summary::default();
    let mut worker = Summary::default();
    for round in 0..o.rounds {
        for is_worker in [false, true] {
            let dir = tempfile::tempdir().expect("tempdir");
            let db = dir.path().join("controller.sqlite3");
            let srv = if is_worker {
                TestServer::start_worker(&db)
            } else {
                TestServer::start_native(&db, &[])
            };
            let p = run_phase(&srv, &o);
            eprintln!(
                "worker_load: round {round} {}: {:.0} posts/s",
                if is_worker { "worker" } else { "native" },
                p.posts as f64 / p.secs
            );
            if is_worker {
                worker.add(p);
            } else {
                native.add(p);
            }
        }
    }
    let (n_rate, n_p99, n_cpu) = native.line("native (axum + SQLite WAL)");
    let (w_rate, w_p99, w_cpu) = worker.line("worker (workerd, DO SQLite)");
    println!(
        "ratio native/worker: {:.2}x posts/s; worker/native: {:.2}x p99 latency, {:.2}x host CPU per post",
        n_rate / w_rate.max(f64::MIN_POSITIVE),
        w_p99.as_secs_f64() / n_p99.as_secs_f64().max(f64::MIN_POSITIVE),
        w_cpu / n_cpu.max(f64::MIN_POSITIVE)
    );
    if o.smoke && (native.errors > 0 || worker.errors > 0 || native.posts == 0 || worker.posts == 0)
    {
        eprintln!("worker_load: smoke run failed");
        std::process::exit(1);
    }
}
