//! Load generator: signed message posts per second to a real `panoramix serve`
//! over loopback, on the embedded SQLite store (WAL, synchronous=NORMAL).
//!
//! ```text
//! cargo bench --bench post_load                      # 10 s, 8 clients
//! POST_LOAD_SECS=30 POST_LOAD_CLIENTS=16 cargo bench --bench post_load
//! cargo bench --bench post_load -- --smoke           # 1 s, for CI; fails on any error
//! ```
//!
//! Options (environment or arguments): `POST_LOAD_SECS` / `--secs N` (timed phase,
//! default 10), `POST_LOAD_CLIENTS` / `--clients N` (default 8), `POST_LOAD_COUNT` /
//! `--count N` (stop after N accepted posts instead), `POST_LOAD_TEXT` /
//! `--text-bytes N` (message text size, default 1024: a Sphinx packet),
//! `POST_LOAD_BIN` (the `panoramix` binary; default: the one cargo built),
//! `POST_LOAD_SYNC_FULL=1` (`serve --sync-full`), `--smoke` (1 s, 4 clients).
//!
//! Method: the server runs as its own process on a fresh database in a temporary
//! directory. One owner registers and creates one public gateway endpoint with
//! size_max 100000 (the controller's largest). Each client is a thread with its own
//! key and its own keep-alive connection (`panoramix_client::Client`); it builds,
//! signs (Ed25519 over the canonical encoding, fresh nonce and timestamp) and sends
//! each post inside the loop, exactly as a real client does, and waits for the
//! answer before the next one (closed loop). Nothing is pre-signed. Latency is
//! measured from the start of the HTTP request to the end of the answer (signing
//! excluded, reported separately). After a 0.5 s warm-up the timed phase runs for the
//! given time (or count). Server and load-generator CPU time come from
//! /proc/<pid>/stat, the server's peak RSS from VmHWM in /proc/<pid>/status.
#![forbid(unsafe_code)]

use panoramix_client::Client;
use panoramix_core::Keypair;
use rand_core::{OsRng, RngCore};
use serde_json::{Map, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const ENDPOINT: &str = "load_gateway";
const WARMUP: Duration = Duration::from_millis(500);

struct Opts {
    secs: f64,
    clients: usize,
    count: Option<u64>,
    text_bytes: usize,
    smoke: bool,
    sync_full: bool,
    bin: PathBuf,
}

fn env_or<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn opts() -> Opts {
    let mut o = Opts {
        secs: env_or("POST_LOAD_SECS").unwrap_or(10.0),
        clients: env_or("POST_LOAD_CLIENTS").unwrap_or(8),
        count: env_or("POST_LOAD_COUNT"),
        text_bytes: env_or("POST_LOAD_TEXT").unwrap_or(1024),
        smoke: false,
        sync_full: std::env::var("POST_LOAD_SYNC_FULL").is_ok_and(|v| v == "1"),
        bin: std::env::var_os("POST_LOAD_BIN").map_or_else(
            || PathBuf::from(env!("CARGO_BIN_EXE_panoramix")),
            PathBuf::from,
        ),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut num = || {
            it.next()
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or_else(|| panic!("{a} needs a number"))
        };
        match a.as_str() {
            "--smoke" => {
                o.smoke = true;
                o.secs = 1.0;
                o.clients = o.clients.min(4);
            }
            "--secs" => o.secs = num(),
            "--clients" => o.clients = num() as usize,
            "--count" => o.count = Some(num() as u64),
            "--text-bytes" => o.text_bytes = num() as usize,
            "--sync-full" => o.sync_full = true,
            // `cargo bench` passes --bench; ignore it and any filter
            _ => {}
        }
    }
    if std::env::var("POST_LOAD_SECS").is_ok_and(|v| v == "1") {
        o.smoke = true;
    }
    o.clients = o.clients.max(1);
    o
}

/// The server under test.
struct Server {
    child: Child,
    url: String,
    /// The server's log lines (stderr), also forwarded to ours.
    log: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    fn start(bin: &PathBuf, db: &std::path::Path, sync_full: bool) -> Server {
        let mut cmd = Command::new(bin);
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(db);
        if sync_full {
            cmd.arg("--sync-full");
        }
        let mut child = cmd
            // at info, the store logs its write requests and commits at shutdown
            .env("PANORAMIX_LOG", "warn,panoramix_server=info")
            // the controller key is sealed under a passphrase (serve refuses plaintext)
            .env("PANORAMIX_PASSPHRASE", "post_load bench passphrase")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let log: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
        let stderr = child.stderr.take().expect("stderr");
        let log2 = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !line.contains("write requests in") {
                    eprintln!("[serve] {line}");
                }
                log2.lock().expect("log").push(line);
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(u) = line.strip_prefix("panoramix: listening on ") {
                    let _ = tx.send(u.to_owned());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server did not start");
        Server { child, url, log }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// (write requests, commits) as the server logs them at shutdown.
    fn write_stats(&self) -> Option<(u64, u64)> {
        let log = self.log.lock().expect("log");
        let line = log.iter().find(|l| l.contains("write requests in"))?;
        let rest = &line[line.find("store: ")? + 7..];
        let w: Vec<&str> = rest.split_whitespace().collect();
        Some((w.first()?.parse().ok()?, w.get(4)?.parse().ok()?))
    }

    fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// utime + stime of a process (or thread) from its `stat` file, in seconds.
fn cpu_secs(stat_path: &str) -> f64 {
    let (u, s) = cpu_split(stat_path);
    u + s
}

/// (utime, stime) of a process (or thread) from its `stat` file, in seconds.
fn cpu_split(stat_path: &str) -> (f64, f64) {
    let Ok(s) = std::fs::read_to_string(stat_path) else {
        return (f64::NAN, f64::NAN);
    };
    // fields after the parenthesised command name; utime and stime are fields 14 and 15
    let rest = s.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    // `rest` starts at field 3 (state): utime is field 14, i.e. index 11
    (ticks(11) / 100.0, ticks(12) / 100.0)
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn random_text(n: usize) -> String {
    // a Sphinx packet is opaque bytes; the API carries text, so use hex of random bytes
    let mut b = vec![0u8; n.div_ceil(2)];
    OsRng.fill_bytes(&mut b);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 * b.len());
    for x in b {
        s.push(char::from(HEX[usize::from(x >> 4)]));
        s.push(char::from(HEX[usize::from(x & 15)]));
    }
    s.truncate(n);
    s
}

#[derive(Default)]
struct ThreadResult {
    /// Request latencies (µs) of accepted posts in the timed phase.
    lat_us: Vec<u32>,
    /// Errors in the timed phase, by status ("transport" for no answer).
    errors: BTreeMap<String, u64>,
    /// Time spent building and signing envelopes in the timed phase.
    sign: Duration,
    /// Posts sent in the timed phase.
    sent: u64,
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

fn main() {
    let o = opts();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("load.sqlite3");
    let mut srv = Server::start(&o.bin, &db, o.sync_full);
    let pid = srv.pid();
    println!(
        "post_load: server {} (pid {pid}) at {}",
        o.bin.display(),
        srv.url
    );

    // setup: an owner and one public gateway endpoint with the largest size_max
    let owner = Client::connect(&srv.url, Keypair::generate(&mut OsRng)).expect("connect");
    owner
        .register("load owner", Some("contributor"), "SPHINXMIX", json!({}))
        .expect("register");
    let ep = owner.endpoint_action(&json!({
        "endpoint_id": ENDPOINT, "peer_id": owner.id(), "endpoint_type": "SPHINXMIX_GATEWAY",
        "size_min": 1, "size_max": 100_000, "public": true, "description": "load test gateway", "links": [],
    }));
    let cid = owner
        .self_consensus("load endpoint", std::slice::from_ref(&ep))
        .expect("consensus");
    owner.apply(&ep, &cid, None).expect("create endpoint");

    let clients: Vec<Client> = (0..o.clients)
        .map(|_| Client::connect(&srv.url, Keypair::generate(&mut OsRng)).expect("connect"))
        .collect();
    let accepted = Arc::new(AtomicU64::new(0));
    let timing = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let text_bytes = o.text_bytes;
    let handles: Vec<_> = clients
        .into_iter()
        .map(|client| {
            let (accepted, timing, stop) = (accepted.clone(), timing.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut r = ThreadResult::default();
                let cpu0 = cpu_secs("/proc/thread-self/stat");
                let mut timed_cpu0 = None;
                while !stop.load(Ordering::Relaxed) {
                    let timed = timing.load(Ordering::Relaxed);
                    if timed && timed_cpu0.is_none() {
                        timed_cpu0 = Some(cpu_secs("/proc/thread-self/stat"));
                    }
                    let data = json!({
                        "endpoint_id": ENDPOINT, "box": "INBOX", "sender": "client",
                        "recipient": "mixnet", "text": random_text(text_bytes),
                    });
                    let t0 = Instant::now();
                    let info = client.info("message", "create", Map::new());
                    let body = client.envelope(data, info, None).expect("sign").to_string();
                    let t1 = Instant::now();
                    let res = client.send_raw("POST", "/panoramix/messages/", body.as_bytes());
                    let lat = t1.elapsed();
                    if !timed || stop.load(Ordering::Relaxed) {
                        continue;
                    }
                    r.sent += 1;
                    r.sign += t1 - t0;
                    match res {
                        Ok(_) => {
                            r.lat_us
                                .push(u32::try_from(lat.as_micros()).unwrap_or(u32::MAX));
                            accepted.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            let k = e.status().map_or_else(
                                || "transport".to_owned(),
                                |s| format!("{s} {}", e.code().unwrap_or("")),
                            );
                            *r.errors.entry(k).or_default() += 1;
                            if e.status().is_none() {
                                break;
                            }
                        }
                    }
                }
                let cpu1 = cpu_secs("/proc/thread-self/stat");
                (r, cpu1 - timed_cpu0.unwrap_or(cpu0))
            })
        })
        .collect();

    // warm-up, then the timed phase
    std::thread::sleep(WARMUP);
    let srv_cpu0 = cpu_split(&format!("/proc/{pid}/stat"));
    let self_cpu0 = cpu_secs("/proc/self/stat");
    let t0 = Instant::now();
    timing.store(true, Ordering::Relaxed);
    let limit = Duration::from_secs_f64(o.secs);
    loop {
        std::thread::sleep(Duration::from_millis(2));
        if o.count.map_or(t0.elapsed() >= limit, |c| {
            accepted.load(Ordering::Relaxed) >= c
        }) {
            break;
        }
        if o.count.is_some() && t0.elapsed() > Duration::from_secs(600) {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let elapsed = t0.elapsed();
    let srv_cpu1 = cpu_split(&format!("/proc/{pid}/stat"));
    let (srv_user, srv_sys) = (srv_cpu1.0 - srv_cpu0.0, srv_cpu1.1 - srv_cpu0.1);
    let srv_cpu = srv_user + srv_sys;
    let self_cpu = cpu_secs("/proc/self/stat") - self_cpu0;
    let mut lat = Vec::new();
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    let mut sign = Duration::ZERO;
    let mut sent = 0u64;
    let mut client_thread_cpu = 0.0;
    for h in handles {
        let (r, cpu) = h.join().expect("client thread");
        lat.extend(r.lat_us);
        for (k, n) in r.errors {
            *errors.entry(k).or_default() += n;
        }
        sign += r.sign;
        sent += r.sent;
        client_thread_cpu += cpu;
    }
    let peak_rss = vm_hwm_kib(pid);
    let stored = owner.endpoint(ENDPOINT).ok().map(|e| e.inbox_count);
    srv.stop();
    std::thread::sleep(Duration::from_millis(50));
    let batches = srv.write_stats();

    lat.sort_unstable();
    let n = lat.len() as f64;
    let secs = elapsed.as_secs_f64();
    let rate = n / secs;
    println!(
        "post_load: {} clients, {:.1} s timed (after {:.1} s warm-up), text {} bytes, synchronous={}",
        o.clients,
        secs,
        WARMUP.as_secs_f64(),
        o.text_bytes,
        if o.sync_full { "FULL" } else { "NORMAL" }
    );
    println!(
        "accepted posts:      {} ({rate:.0} posts/s); sent {sent}",
        lat.len()
    );
    println!(
        "latency (ms):        p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        percentile(&lat, 0.50),
        percentile(&lat, 0.90),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0)
    );
    if errors.is_empty() {
        println!("errors:              none");
    } else {
        println!("errors:              {errors:?}");
    }
    println!(
        "server:              peak RSS {} MiB, CPU {:.2} s ({:.0} µs/post: user {:.0}, system {:.0})",
        peak_rss.map_or_else(|| "?".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0)),
        srv_cpu,
        srv_cpu / n * 1e6,
        srv_user / n * 1e6,
        srv_sys / n * 1e6
    );
    println!(
        "load generator:      CPU {:.2} s ({:.0} µs/post; client threads {:.2} s), of which building+signing {:.0} µs/post (wall, mean)",
        self_cpu,
        self_cpu / n * 1e6,
        client_thread_cpu,
        sign.as_secs_f64() / sent.max(1) as f64 * 1e6
    );
    if let Some((w, c)) = batches {
        println!(
            "store (whole run):   {w} write requests in {c} commits ({:.1} per commit)",
            w as f64 / c.max(1) as f64
        );
    }
    if let Some(s) = stored {
        println!("inbox_count after:   {s}");
    }
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "machine:             {cores} cores; server + generator CPU {:.0}% of {:.0} core-seconds",
        (srv_cpu + self_cpu) / (secs * cores as f64) * 100.0,
        secs * cores as f64
    );
    // what the CPU time says this machine would sustain if server and generator had
    // all its cores (an estimate, for shared machines; the measured rate is above)
    println!(
        "CPU-bound estimate:  {:.0} posts/s on {cores} cores (server {:.0} + generator {:.0} µs of CPU per post)",
        cores as f64 * n / (srv_cpu + self_cpu),
        srv_cpu / n * 1e6,
        self_cpu / n * 1e6
    );
    if o.smoke {
        assert!(!lat.is_empty(), "smoke: no post was accepted");
        assert!(errors.is_empty(), "smoke: errors {errors:?}");
        println!("post_load smoke: OK");
    }
}
