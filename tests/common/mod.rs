//! Helpers shared by the end-to-end tests: a real `panoramix serve` process on an
//! ephemeral loopback port, stopped when dropped; clients; negotiation shortcuts.
//!
//! With `PANORAMIX_TEST_TARGET=worker`, [`TestServer::start`] runs the Cloudflare
//! Worker instead (`wrangler dev --local` in `worker/`, workerd on a loopback port,
//! built beforehand by `scripts/worker-test.sh`), so that the same suites check both
//! hosts. A test runs against the host the target names, or it says that it does not
//! apply to that host ([`not_applicable`]) and returns: never a silent fallback to
//! the other host. [`TestServer::start_with`] panics on the Worker target when a
//! flag has no Worker setting, and [`TestServer::start_native`] panics there.
#![allow(dead_code)]

use panoramix_client::{Action, Client};
use panoramix_core::Keypair;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_panoramix");

/// The passphrase the test servers seal their controller key under (`serve`
/// refuses to write it in plaintext); the same at every start, so that a restart
/// on the same database opens the same key.
pub const TEST_PASSPHRASE: &str = "panoramix test passphrase";

/// A controller process.
pub struct TestServer {
    pub url: String,
    pub db: PathBuf,
    child: Child,
    /// Set when this is the Worker under `wrangler dev` (its own process group).
    worker: bool,
}

/// The hosts the end-to-end suites run against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    /// `panoramix serve` on SQLite.
    Native,
    /// The Cloudflare Worker under workerd (`wrangler dev --local`).
    Worker,
}

impl Host {
    /// The host `PANORAMIX_TEST_TARGET` selects: `worker`, or the native server.
    pub fn target() -> Host {
        if std::env::var("PANORAMIX_TEST_TARGET").is_ok_and(|t| t == "worker") {
            Host::Worker
        } else {
            Host::Native
        }
    }

    /// Its name in the run's report.
    pub fn name(self) -> &'static str {
        match self {
            Host::Native => "native",
            Host::Worker => "worker",
        }
    }
}

/// Which host the end-to-end suites run against: `PANORAMIX_TEST_TARGET=worker`
/// selects the Worker under workerd; anything else (or nothing) the native server.
pub fn target_is_worker() -> bool {
    Host::target() == Host::Worker
}

/// The name of the running test (libtest names each test's thread after it).
fn test_name() -> String {
    std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .unwrap_or("(unnamed test)")
        .to_owned()
}

/// Append one tab-separated line to `file` in `PANORAMIX_TEST_REPORT_DIR`, if set
/// (one `write` of a short line to a file opened for appending: lines of parallel
/// tests and suites do not interleave).
fn report_line(file: &str, fields: &[&str]) {
    let Some(dir) = std::env::var_os("PANORAMIX_TEST_REPORT_DIR") else {
        return;
    };
    let line = fields
        .iter()
        .map(|f| f.replace(['\t', '\n'], " "))
        .collect::<Vec<_>>()
        .join("\t")
        + "\n";
    let path = Path::new(&dir).join(file);
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
    if let Err(e) = written {
        panic!("cannot write the test report {}: {e}", path.display());
    }
}

/// When the target is `host`: records that the calling test does not apply to it,
/// with `reason` (one line of the run's report: suite, test, host, reason, in
/// `PANORAMIX_TEST_REPORT_DIR/not-applicable.tsv`; `scripts/test-report.sh` lists
/// them), prints it, and returns true, so that the caller returns at once. Returns
/// false, and records nothing, on the other host.
pub fn not_applicable(host: Host, reason: &str) -> bool {
    if Host::target() != host {
        return false;
    }
    let (suite, test) = (env!("CARGO_CRATE_NAME"), test_name());
    eprintln!(
        "NOT APPLICABLE to the {} host: {suite}::{test}: {reason}",
        host.name()
    );
    report_line("not-applicable.tsv", &[suite, &test, host.name(), reason]);
    true
}

/// [`not_applicable`] to the Worker, for something only the native host has.
pub fn skip_on_worker(what: &str) -> bool {
    not_applicable(Host::Worker, &format!("{what} is native-only"))
}

/// Records, in the run's report, that the running test started a server on `host`.
fn started(host: Host) {
    report_line(
        "servers.tsv",
        &[env!("CARGO_CRATE_NAME"), &test_name(), host.name()],
    );
}

/// The Worker bindings equivalent to native `serve` flags, or the first flag that
/// has none (a test needing it must be [`not_applicable`] to the Worker).
fn worker_vars(flags: &[&str]) -> Result<Vec<String>, String> {
    let mut vars = Vec::new();
    let mut authorities: Vec<&str> = Vec::new();
    let mut it = flags.iter();
    while let Some(flag) = it.next() {
        let name = match *flag {
            "--rate-per-key" => "PANORAMIX_RATE_PER_KEY",
            "--rate-burst-per-key" => "PANORAMIX_RATE_BURST_PER_KEY",
            "--rate-per-endpoint" => "PANORAMIX_RATE_PER_ENDPOINT",
            "--rate-burst-per-endpoint" => "PANORAMIX_RATE_BURST_PER_ENDPOINT",
            "--max-body" => "PANORAMIX_MAX_BODY",
            "--max-skew" => "PANORAMIX_MAX_SKEW_SECS",
            "--max-message" => "PANORAMIX_MAX_MESSAGE",
            "--max-inbox" => "PANORAMIX_MAX_INBOX",
            "--page-max" => "PANORAMIX_PAGE_MAX",
            "--authority" => {
                authorities.push(it.next().ok_or("--authority without a value")?);
                continue;
            }
            other => return Err((*other).to_owned()),
        };
        let value = it.next().ok_or_else(|| format!("{flag} without a value"))?;
        vars.push(format!("{name}:{value}"));
    }
    if !authorities.is_empty() {
        vars.push(format!("PANORAMIX_AUTHORITIES:{}", authorities.join(",")));
    }
    Ok(vars)
}

impl TestServer {
    /// Start a server on a fresh database in `dir`.
    pub fn start(dir: &Path) -> TestServer {
        Self::start_with(&dir.join("controller.sqlite3"), &[])
    }

    /// Start a server on `db` (reusing it if it exists) with extra flags.
    ///
    /// On the Worker target this starts the Worker with its Durable Object state
    /// kept beside `db` and the flags as its bindings ([`worker_vars`]); a flag the
    /// Worker has no setting for fails the test (never a native server instead: a
    /// test that needs such a flag is [`not_applicable`] to the Worker).
    pub fn start_with(db: &Path, extra: &[&str]) -> TestServer {
        if target_is_worker() {
            match worker_vars(extra) {
                Ok(vars) => return Self::start_worker_with(db, &vars),
                Err(flag) => panic!(
                    "PANORAMIX_TEST_TARGET=worker: the Worker has no setting for {flag:?} \
                     (of {extra:?}): give the Worker one (worker/src/config.rs) or declare \
                     the test not_applicable(Host::Worker, why)"
                ),
            }
        }
        Self::start_native(db, extra)
    }

    /// Start the native server on `db` with extra flags. Panics on the Worker target:
    /// a native-only test is [`not_applicable`] to the Worker before it starts one.
    pub fn start_native(db: &Path, extra: &[&str]) -> TestServer {
        assert!(
            !target_is_worker(),
            "PANORAMIX_TEST_TARGET=worker, but this test starts the native server: \
             declare it not_applicable(Host::Worker, why) first"
        );
        Self::spawn_native(db, extra)
    }

    fn spawn_native(db: &Path, extra: &[&str]) -> TestServer {
        started(Host::Native);
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .args(extra)
            .env("PANORAMIX_LOG", "warn")
            .env("PANORAMIX_PASSPHRASE", TEST_PASSPHRASE)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start panoramix serve");
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
        TestServer {
            url,
            db: db.to_owned(),
            child,
            worker: false,
        }
    }

    /// kill -9 (on the Worker target: the whole `wrangler dev` process group).
    pub fn kill9(&mut self) {
        if self.worker {
            signal_group(self.child.id(), "-KILL");
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait (graceful shutdown).
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let target = if self.worker {
            format!("-{}", self.child.id())
        } else {
            self.child.id().to_string()
        };
        let _ = Command::new("kill")
            .args(["-TERM", "--"])
            .arg(target)
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s;
            }
            if Instant::now() > deadline {
                self.kill9();
                panic!("server did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The process id (on the Worker target: of `wrangler dev`, which leads the
    /// process group holding node and workerd).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether this is the Worker under `wrangler dev`.
    pub fn is_worker(&self) -> bool {
        self.worker
    }

    /// A client with a fresh key.
    pub fn client(&self) -> Client {
        Client::connect(&self.url, Keypair::generate(&mut rand_core::OsRng)).expect("connect")
    }

    /// The whole store as text.
    pub fn dump(&self) -> String {
        if self.worker {
            return worker_dump(&self.url);
        }
        panoramix_server::sqlite::dump(&self.db).expect("dump")
    }

    /// The Worker under `wrangler dev --local` (workerd) on a free loopback port, with
    /// its Durable Object state in `<db>.wrangler/` and the controller key in
    /// `<db>.controller-key` (created if missing, like the native server's), so that
    /// a restart on the same `db` is the same controller with the same data.
    ///
    /// This is the production build (`worker/build/`, what the benchmark measures);
    /// the suites run the test build ([`Self::start_worker_with`]).
    pub fn start_worker(db: &Path) -> TestServer {
        Self::start_worker_build(db, &[], WorkerBuild::Production)
    }

    /// The test build of the Worker (`worker/build-test/`: [`Self::dump`] works) with
    /// extra `NAME:value` bindings.
    pub fn start_worker_with(db: &Path, vars: &[String]) -> TestServer {
        Self::start_worker_build(db, vars, WorkerBuild::Test)
    }

    /// The Worker of `build` under `wrangler dev --local`, with `vars` bindings.
    pub fn start_worker_build(db: &Path, vars: &[String], build: WorkerBuild) -> TestServer {
        let dir = worker_dir();
        let wrangler = dir.join("node_modules/.bin/wrangler");
        let script = build.dir().join("index.js");
        assert!(
            dir.join(&script).is_file() && wrangler.is_file(),
            "the Worker's {build:?} build is not there ({}): run scripts/worker-test.sh \
             (or {}worker/build.sh) first",
            script.display(),
            build.env()
        );
        started(Host::Worker);
        let key_file = PathBuf::from(format!("{}.controller-key", db.display()));
        let key = match std::fs::read_to_string(&key_file) {
            Ok(k) => k.trim().to_owned(),
            Err(_) => {
                let k = Keypair::generate(&mut rand_core::OsRng)
                    .secret_hex()
                    .to_string();
                std::fs::write(&key_file, &k).expect("write the Worker's controller key");
                k
            }
        };
        let state = PathBuf::from(format!("{}.wrangler", db.display()));
        // wrangler's own chatter (placeholder Request.cf warnings, request lines) goes here
        let log = PathBuf::from(format!("{}.wrangler.log", db.display()));
        // workerd binds more loopback ports of its own when it starts: when a port
        // picked here is taken in between (suites start Workers in parallel), it
        // exits at once; a fresh pair of ports then gets it up
        const ATTEMPTS: u32 = 3;
        let mut attempt = 0;
        let (url, child) = loop {
            attempt += 1;
            let port = free_port();
            let inspector = free_port();
            let mut cmd = Command::new(&wrangler);
            cmd.current_dir(&dir)
                .arg("dev")
                .arg(&script)
                .args(["--local", "--ip", "127.0.0.1", "--port"])
                .arg(port.to_string())
                .arg("--inspector-port")
                .arg(inspector.to_string())
                .arg("--persist-to")
                .arg(&state)
                .args([
                    "--show-interactive-dev-session=false",
                    "--log-level",
                    "warn",
                ])
                .arg("--var")
                .arg(format!("PANORAMIX_CONTROLLER_KEY:{key}"))
                .args(["--var", "PANORAMIX_TEST_DUMP:1"])
                .args(vars.iter().flat_map(|v| ["--var", v.as_str()]))
                .env("WRANGLER_SEND_METRICS", "false")
                .env("CI", "1")
                .stdin(Stdio::null())
                .stdout(log_file(&log))
                .stderr(log_file(&log));
            // its own process group, so that node and workerd stop together
            std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
            let mut child = cmd.spawn().expect("start wrangler dev");
            let url = format!("http://127.0.0.1:{port}");
            let deadline = Instant::now() + Duration::from_secs(90);
            let exited = loop {
                if http_status(port, "/panoramix/controller/") == Some(200) {
                    break None;
                }
                if let Ok(Some(s)) = child.try_wait() {
                    break Some(s);
                }
                if Instant::now() > deadline {
                    signal_group(child.id(), "-KILL");
                    panic!(
                        "the Worker did not answer on {url} within 90 s\n{}",
                        tail(&log)
                    );
                }
                std::thread::sleep(Duration::from_millis(200));
            };
            match exited {
                None => break (url, child),
                Some(s) if attempt < ATTEMPTS => {
                    signal_group(child.id(), "-KILL");
                    eprintln!("wrangler dev exited before answering ({s}); starting it again");
                }
                Some(s) => panic!(
                    "wrangler dev exited before answering, {ATTEMPTS} times: {s}\n{}",
                    tail(&log)
                ),
            }
        };
        TestServer {
            url,
            db: db.to_owned(),
            child,
            worker: true,
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if self.worker {
            signal_group(self.child.id(), "-KILL");
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn log_file(path: &Path) -> Stdio {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_or_else(|_| Stdio::null(), Stdio::from)
}

/// The last lines of a log file.
fn tail(path: &Path) -> String {
    let s = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// `worker/` of this repository.
pub fn worker_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("worker")
}

/// The two builds of the Worker that `scripts/worker-test.sh` makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerBuild {
    /// `worker/build/`: what `wrangler deploy` uploads; no test hooks.
    Production,
    /// `worker/build-test/`: built with the `test-hooks` feature (the dump route
    /// that [`TestServer::dump`] reads); what the suites run.
    Test,
}

impl WorkerBuild {
    /// Its directory, relative to `worker/`.
    pub fn dir(self) -> &'static Path {
        Path::new(match self {
            WorkerBuild::Production => "build",
            WorkerBuild::Test => "build-test",
        })
    }

    /// The environment `worker/build.sh` makes it with.
    fn env(self) -> &'static str {
        match self {
            WorkerBuild::Production => "",
            WorkerBuild::Test => {
                "PANORAMIX_WORKER_FEATURES=test-hooks PANORAMIX_WORKER_OUT=build-test "
            }
        }
    }
}

/// Send `signal` (e.g. `-KILL`) to the process group `pgid`.
fn signal_group(pgid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The status of a plain `GET path` on 127.0.0.1:`port`, if anything answered.
fn http_status(port: u16, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// The Worker's dump of every table (a test build, `PANORAMIX_TEST_DUMP=1`).
fn worker_dump(url: &str) -> String {
    let r = panoramix_client::agent()
        .get(&format!("{url}/panoramix/__test/dump"))
        .call()
        .expect("GET /panoramix/__test/dump");
    let v: serde_json::Value = r.into_json().expect("dump JSON");
    v["dump"].as_str().expect("dump text").to_owned()
}

/// A registered individual peer.
pub fn peer(srv: &TestServer, name: &str) -> Client {
    let c = srv.client();
    c.register(
        name,
        Some("contributor"),
        "SPHINXMIX",
        serde_json::json!({}),
    )
    .expect("register");
    c
}

/// `c` alone agrees on `a` (a self-consensus titled `title`) and applies it.
pub fn act_alone(c: &Client, title: &str, a: &Action) {
    let cid = c
        .self_consensus(title, std::slice::from_ref(a))
        .expect("self-consensus");
    c.apply(a, &cid, None).expect("apply");
}

/// All of `signers` agree on `actions` in a negotiation restricted to them; the
/// first proposes without accepting, the others echo, then all accept.
/// Returns the consensus id.
pub fn agree(signers: &[&Client], actions: &[Action]) -> String {
    let ids: Vec<String> = signers.iter().map(|c| c.id()).collect();
    let neg = signers[0]
        .create_negotiation("test", Some(&ids))
        .expect("negotiation");
    let proposal = Client::text_for(actions, false, BTreeMap::new());
    signers[0].contribute(&neg, &proposal).expect("propose");
    for s in &signers[1..] {
        // a joiner reads what was proposed and signs the same
        let seen = s.contributions(&neg).expect("read");
        assert_eq!(seen[0].text, proposal);
        s.contribute(&neg, &proposal).expect("echo");
    }
    let accept = Client::text_for(actions, true, BTreeMap::new());
    let mut consensus = None;
    for s in signers {
        let r = s.contribute(&neg, &accept).expect("accept");
        consensus = r.consensus;
    }
    consensus.expect("negotiation closed")
}

/// Run the `panoramix` binary.
/// Start `panoramix args` with plaintext keys (throw-away test keys), its
/// output piped.
pub fn spawn_cli<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Child {
    Command::new(BIN)
        .env("PANORAMIX_INSECURE_PLAINTEXT_KEYS", "1")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// A small `panoramix demo --out OUT` (no Sphinx messages, 4 ballots, 2
/// contributors): exit code, stdout, stderr.
pub fn small_demo(out: &Path) -> (i32, String, String) {
    run_cli(
        &[
            "demo",
            "--messages",
            "0",
            "--ballots",
            "4",
            "--contributors",
            "2",
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    )
}

pub fn run_cli(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run panoramix");
    if let Some(s) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(s.as_bytes())
            .expect("write stdin");
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
pub mod mixnet;

/// The signed body that applies `action` under `consensus`, signed by `c`.
pub fn applied(c: &Client, a: &Action, consensus: &str) -> Vec<u8> {
    c.envelope(
        a.data.clone(),
        a.info.clone(),
        Some(serde_json::json!({"consensus_id": consensus, "consensus_type": "structural"})),
    )
    .expect("envelope")
    .to_string()
    .into_bytes()
}

/// A signed message post with fresh info.
pub fn message_body(c: &Client, data: serde_json::Value) -> Vec<u8> {
    let info = c.info("message", "create", serde_json::Map::new());
    c.envelope(data, info, None)
        .expect("envelope")
        .to_string()
        .into_bytes()
}
