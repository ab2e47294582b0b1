//! Soak: a bounded run of many concurrent signing clients, negotiating
//! contributors and a small real mix-net against a real `panoramix serve` over
//! loopback, with a kill -9 and restart of the server and, later, of one mix-net
//! contributor in the middle. Afterwards every acknowledged message is in the store
//! exactly once, every mix-net cycle delivered exactly what was acknowledged into
//! it, no OUTBOX of the mix-net holds a message twice, the audit log verifies, and
//! the server's memory (RSS, sampled every second) stays flat.
//!
//! ```text
//! cargo bench --bench soak                 # 180 s, 16 clients, 4 contributors, 3 mixes
//! cargo bench --bench soak -- --smoke      # 30 s, for CI; fails on any loss
//! SOAK_SECS=600 SOAK_CLIENTS=32 cargo bench --bench soak
//! SOAK_MIXES=0 cargo bench --bench soak    # without the mix-net (the earlier soak)
//! ```
//!
//! Clients post 256-byte messages to 8 public endpoints (closed loop, one
//! keep-alive connection each, unique texts). A transport error (the server is
//! down) is retried with a fresh signature until the server answers; an answer of
//! 409 `duplicate` on a retry means the first attempt had been committed, which
//! counts as acknowledged. Contributors run negotiations (create, contribute,
//! accept: a self-consensus) in a loop.
//!
//! The mix-net: `SOAK_MIXES` (3) contributors set up a Sphinx mix-net through the
//! wizards' flow (in process), then each runs as a child process
//! `panoramix contribute` (its configuration file written beforehand, keys in
//! plaintext under `--insecure-plaintext-keys`: a loopback bench). One mix-net
//! client sends `SOAK_MIX_MESSAGES` (8) Sphinx packets into each cycle, waits for the
//! cycle's output and checks it against what was acknowledged, then starts on the
//! next cycle, for the whole run. At 40 % of the run the server is killed with
//! SIGKILL and restarted on the same database and port; at 60 % the second mix's
//! `panoramix contribute` is killed with SIGKILL and restarted 2 s later (it
//! resumes from its state file).
#![forbid(unsafe_code)]

use panoramix_client::Client;
use panoramix_core::Keypair;
use panoramix_mixnet::backend::Secrets;
use panoramix_mixnet::mixnet::MixnetSpec;
use panoramix_mixnet::sender::Sender;
use panoramix_mixnet::setup;
use rand_core::{OsRng, RngCore};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
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
        // the controller key is sealed under it (the same at the restart)
        .env("PANORAMIX_PASSPHRASE", "soak passphrase")
        .env_remove("PANORAMIX_KEY")
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

/// A mix-net contributor: its configuration file (for `panoramix contribute`).
struct Mix {
    config: PathBuf,
    log: PathBuf,
}

/// Set a Sphinx mix-net up among `n` fresh contributors (the wizards' flow, in
/// process) and write each one's configuration; returns the joint peer id.
fn setup_mixnet(url: &str, dir: &Path, n: usize, size: i64) -> (String, MixnetSpec, Vec<Mix>) {
    let spec = MixnetSpec {
        name: "soakmix".into(),
        backend: "SPHINXMIX".into(),
        params: json!({"BODY_LEN": 1024, "MAX_HOPS": 5}),
        size_min: size,
        size_max: size,
        close_after: None,
        election_public_key: None,
        terms: "soak".into(),
        graph: None,
        previous: None,
        reconfiguration: None,
        election: None,
    };
    let people: Vec<(Keypair, panoramix_sphinx::MixKeyPair)> = (0..n)
        .map(|_| {
            (
                Keypair::generate(&mut OsRng),
                panoramix_sphinx::MixKeyPair::generate(&mut OsRng),
            )
        })
        .collect();
    let clients: Vec<Client> = people.iter().map(|(k, _)| connect(url, k)).collect();
    for (i, (c, (_, m))) in clients.iter().zip(&people).enumerate() {
        let mk = panoramix_sphinx::MixKeyPair::from_secret_hex(&m.secret_hex()).expect("mix key");
        setup::register(
            c,
            &format!("mix{i}"),
            "SPHINXMIX",
            &Secrets::new(Some(mk), None),
        )
        .expect("register");
    }
    let (neg, invitations) = setup::create(&clients[0], &spec, n - 1).expect("create");
    for (c, inv) in clients[1..].iter().zip(&invitations) {
        let (proposed, _) = setup::proposal(c, inv).expect("proposal");
        setup::join(c, inv, &proposed).expect("join");
    }
    setup::propose_joint(&clients[0], &neg, &spec, &invitations)
        .expect("propose joint")
        .expect("everyone joined");
    for c in &clients[1..] {
        setup::confirm_joint(c, &spec)
            .expect("confirm joint")
            .expect("confirmed");
    }
    let joint = setup::finish(&clients[0], &spec.name)
        .expect("finish")
        .expect("joint peer");
    let mixes = people
        .iter()
        .enumerate()
        .map(|(i, (k, m))| {
            let config = dir.join(format!("mix{i}.json"));
            let cfg = json!({
                "KEY": {"value": k.secret_hex().as_str()},
                "MIX_KEY": {"value": m.secret_hex().as_str()},
                "BACKEND": {"value": "SPHINXMIX"},
                "MIXNET": {"value": joint},
                "CATALOG_URL": {"value": url},
            });
            use std::io::Write;
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create_new(true);
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
            o.open(&config)
                .and_then(|mut f| f.write_all(cfg.to_string().as_bytes()))
                .expect("write a contributor configuration");
            Mix {
                config,
                log: dir.join(format!("mix{i}.log")),
            }
        })
        .collect();
    (joint, spec, mixes)
}

/// `panoramix contribute` for one mix (its log appended to `mix<i>.log`).
fn start_mix(m: &Mix) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&m.log)
        .expect("mix log");
    Command::new(BIN)
        .args(["contribute", "--poll-ms", "100", "--config"])
        .arg(&m.config)
        .env("PANORAMIX_INSECURE_PLAINTEXT_KEYS", "1")
        .env_remove("PANORAMIX_KEY")
        .env_remove("PANORAMIX_PASSPHRASE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start panoramix contribute")
}

/// What the mix-net client saw.
#[derive(Default)]
struct MixRun {
    /// Cycles whose output was checked.
    cycles: u64,
    /// Seconds from the first post of a cycle to its output.
    cycle_secs: Vec<f64>,
    /// When each cycle's output was checked.
    done_at: Vec<Instant>,
    /// Acknowledged messages not in their cycle's output.
    missing: usize,
    /// Messages in a cycle's output twice, or not sent at all.
    extra: usize,
    /// Posts retried (server down).
    retries: u64,
    /// A cycle that did not complete within its time limit.
    stalled: Option<u64>,
    /// The last cycle posted into.
    last_cycle: u64,
}

/// The mix-net client: fill each cycle's gateway, check its output, go on.
fn mix_client(
    url: &str,
    joint: &str,
    size: usize,
    stop: &AtomicBool,
    failures: &AtomicU64,
) -> MixRun {
    let client = connect(url, &Keypair::generate(&mut OsRng));
    let sender = Sender::new(client, joint).expect("mix-net sender");
    let me = sender.client().id();
    let mut run = MixRun::default();
    let mut cycle = 1u64;
    while !stop.load(Ordering::Relaxed) {
        let entry = sender.spec().entry(cycle);
        let open_by = Instant::now() + Duration::from_secs(120);
        while !sender.is_open(cycle) {
            if Instant::now() > open_by {
                run.stalled = Some(cycle);
                return run;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        run.last_cycle = cycle;
        let t = Instant::now();
        let mut sent = Vec::new();
        for i in 0..size {
            let mut b = [0u8; 8];
            OsRng.fill_bytes(&mut b);
            let msg = format!("cycle {cycle} message {i} {}", hex::encode(b));
            let (to, text) = sender
                .encrypt(cycle, "bob", msg.as_bytes())
                .expect("encrypt");
            let mut first = true;
            loop {
                match sender
                    .client()
                    .post_message(&entry, "INBOX", &me, &to, &text, None)
                {
                    Ok(_) => break sent.push(msg),
                    Err(e) if e.code() == Some("duplicate") && !first => break sent.push(msg),
                    Err(e) if e.status().is_none() => {
                        run.retries += 1;
                        first = false;
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    Err(e) => {
                        eprintln!("mix-net client, cycle {cycle}: {e}");
                        failures.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
            }
        }
        let done_by = Instant::now() + Duration::from_secs(120);
        let out = loop {
            match sender.results(cycle) {
                Ok(Some(o)) => break Some(o),
                Ok(None) | Err(_) if Instant::now() < done_by => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => break None,
            }
        };
        let Some(out) = out else {
            run.stalled = Some(cycle);
            return run;
        };
        run.cycle_secs.push(t.elapsed().as_secs_f64());
        run.done_at.push(Instant::now());
        let mut got: HashMap<String, usize> = HashMap::new();
        for (_, m) in out {
            *got.entry(String::from_utf8_lossy(&m).into_owned())
                .or_default() += 1;
        }
        for m in &sent {
            match got.get_mut(m) {
                Some(k) if *k > 0 => *k -= 1,
                _ => run.missing += 1,
            }
        }
        run.extra += got.values().sum::<usize>();
        run.cycles += 1;
        cycle += 1;
    }
    run
}

/// Messages that appear twice (same text and recipient) in an OUTBOX of the mix-net.
fn outbox_duplicates(c: &Client, spec: &MixnetSpec, mixes: usize, cycles: u64) -> usize {
    let mut dup = 0;
    for cycle in 1..=cycles {
        let stages = std::iter::once("gw".to_owned()).chain((0..mixes).map(|i| format!("mix{i}")));
        for stage in stages {
            let ep = spec.ep(cycle, &stage);
            let Ok(msgs) = c.messages(&ep, "OUTBOX") else {
                continue;
            };
            let mut seen = HashSet::new();
            for m in &msgs {
                let key = (m.recipient.as_str(), m.text.as_str());
                if !seen.insert(key) {
                    dup += 1;
                }
            }
        }
    }
    dup
}

fn rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn connect(url: &str, key: &Keypair) -> Client {
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
        30
    } else {
        env("SOAK_SECS").unwrap_or(180)
    };
    let nclients = env("SOAK_CLIENTS").unwrap_or(if smoke { 6 } else { 16 }) as usize;
    let ncontrib = env("SOAK_CONTRIBUTORS").unwrap_or(4) as usize;
    let nmixes = env("SOAK_MIXES").unwrap_or(3) as usize;
    let mix_size = env("SOAK_MIX_MESSAGES").unwrap_or(8).max(1) as usize;
    assert!(
        nmixes != 1,
        "a mix-net needs 2 or more contributors (SOAK_MIXES=0: none)"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("soak.sqlite3");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let server = Arc::new(Mutex::new(start(&db, port)));

    // an owner with ENDPOINTS public gateways of the largest size
    let owner = connect(&url, &Keypair::generate(&mut OsRng));
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

    // the mix-net: its contributors as `panoramix contribute` processes
    let mixnet = (nmixes >= 2).then(|| setup_mixnet(&url, dir.path(), nmixes, mix_size as i64));
    let mut mix_procs: Vec<Child> = mixnet
        .iter()
        .flat_map(|(_, _, mixes)| mixes.iter().map(start_mix))
        .collect();

    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicU64::new(0));
    let mix_thread = mixnet.as_ref().map(|(joint, _, _)| {
        let (url, joint, stop, failures) =
            (url.clone(), joint.clone(), stop.clone(), failures.clone());
        std::thread::spawn(move || mix_client(&url, &joint, mix_size, &stop, &failures))
    });
    let acked: Arc<Mutex<Vec<(usize, String)>>> = Arc::default();
    let latencies: Arc<Mutex<Vec<u64>>> = Arc::default();
    let retries = Arc::new(AtomicU64::new(0));
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
            let c = connect(&url, &Keypair::generate(&mut OsRng));
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
            let c = connect(&url, &Keypair::generate(&mut OsRng));
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

    // sample RSS every second; kill -9 and restart the server at 40 %, a mix's
    // contributor process at 60 % (restarted 2 s later)
    let mut samples: Vec<(f64, u64)> = Vec::new();
    let mut mix_rss_peak = 0u64;
    let mut killed = false;
    let mut restart_at = 0.0;
    let mut mix_killed_at: Option<f64> = None;
    let mut mix_restarted_at: Option<f64> = None;
    while t0.elapsed() < Duration::from_secs(secs) {
        std::thread::sleep(Duration::from_secs(1));
        let pid = server.lock().expect("server").id();
        if let Some(r) = rss_kib(pid) {
            samples.push((t0.elapsed().as_secs_f64(), r));
        }
        for p in &mix_procs {
            mix_rss_peak = mix_rss_peak.max(rss_kib(p.id()).unwrap_or(0));
        }
        let now = t0.elapsed().as_secs_f64();
        if let Some((_, _, mixes)) = &mixnet {
            if mix_killed_at.is_none() && now >= secs as f64 * 0.6 {
                let _ = mix_procs[1].kill(); // SIGKILL
                let _ = mix_procs[1].wait();
                mix_killed_at = Some(now);
                eprintln!("soak: mix 1's contributor killed -9 at {now:.1} s");
            } else if let Some(k) = mix_killed_at
                && mix_restarted_at.is_none()
                && now >= k + 2.0
            {
                mix_procs[1] = start_mix(&mixes[1]);
                mix_restarted_at = Some(now);
                eprintln!("soak: mix 1's contributor restarted at {now:.1} s");
            }
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
    // the mix-net client finishes the cycle it is in
    let mix = mix_thread.map(|h| h.join().expect("mix-net client"));
    for p in &mut mix_procs {
        let _ = p.kill();
        let _ = p.wait();
    }

    // every acknowledged message is there exactly once
    let reader = connect(&url, &Keypair::generate(&mut OsRng));
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
            let t = m.text.as_str();
            if !seen.insert(t.to_owned()) {
                duplicated += 1;
            }
        }
        missing += want.iter().filter(|t| !seen.contains(**t)).count();
    }
    let outbox_dup = match (&mixnet, &mix) {
        (Some((_, spec, _)), Some(m)) => outbox_duplicates(&reader, spec, nmixes, m.last_cycle),
        _ => 0,
    };
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
        "soak: {secs} s, {nclients} clients, {ncontrib} contributors, {nmixes} mixes; server kill -9 + restart at {restart_at:.1} s"
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
    if let Some(m) = &mix {
        let mut cs = m.cycle_secs.clone();
        cs.sort_by(f64::total_cmp);
        let p = |q: f64| {
            cs.get(((cs.len().max(1) - 1) as f64 * q).round() as usize)
                .copied()
                .unwrap_or(0.0)
        };
        println!(
            "soak: mix-net of {nmixes} contributors (processes), {mix_size} messages a cycle: {} cycles completed ({:.2}/s), \
             cycle time p50 {:.2} s, max {:.2} s; {} posts retried; mix 1 killed -9 at {:.1} s, restarted at {:.1} s",
            m.cycles,
            m.cycles as f64 / elapsed,
            p(0.5),
            p(1.0),
            m.retries,
            mix_killed_at.unwrap_or(f64::NAN),
            mix_restarted_at.unwrap_or(f64::NAN),
        );
        let after = |at: f64| {
            m.done_at
                .iter()
                .filter(|d| d.duration_since(t0).as_secs_f64() > at)
                .count()
        };
        println!(
            "soak: mix-net: cycles completed after the server's restart {}, after the contributor's restart {}",
            after(restart_at),
            mix_restarted_at.map_or(0, after)
        );
        println!(
            "soak: mix-net: acknowledged but missing from an output {}, extra or repeated in an output {}, \
             duplicated in an OUTBOX {outbox_dup}, stalled cycle {:?}; contributor RSS peak {:.1} MiB",
            m.missing,
            m.extra,
            m.stalled,
            mix_rss_peak as f64 / 1024.0
        );
    }
    println!(
        "soak: missing {missing}, duplicated {duplicated}, audit verify: {}",
        audit.status
    );
    let _ = server.lock().expect("server").kill();
    // flat: no more than twice the early RSS after the restart (SQLite's page cache
    // fills as the database grows; a leak grows with the run)
    let flat = early == 0.0 || late <= 2.0 * early;
    if !flat {
        eprintln!("soak: the server's memory grew");
    }
    let mix_ok = mix.as_ref().is_none_or(|m| {
        m.missing == 0
            && m.extra == 0
            && m.stalled.is_none()
            && m.cycles > 0
            // cycles went on after both restarts
            && [Some(restart_at), mix_restarted_at]
                .iter()
                .flatten()
                .all(|at| m.done_at.iter().any(|d| d.duration_since(t0).as_secs_f64() > *at))
    }) && outbox_dup == 0;
    let ok = missing == 0
        && duplicated == 0
        && mix_ok
        && flat
        && audit.status.success()
        && failures.load(Ordering::Relaxed) == 0;
    if !ok {
        if let Some((_, _, mixes)) = &mixnet {
            for m in mixes {
                let log = std::fs::read_to_string(&m.log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(20).collect();
                eprintln!("--- {} (last lines)", m.log.display());
                for l in tail.iter().rev() {
                    eprintln!("{l}");
                }
            }
        }
        eprintln!("{}", String::from_utf8_lossy(&audit.stdout));
        eprintln!("{}", String::from_utf8_lossy(&audit.stderr));
        std::process::exit(1);
    }
}
