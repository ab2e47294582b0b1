//! Helpers shared by the end-to-end tests: a real `panoramix serve` process on an
//! ephemeral loopback port, stopped when dropped; clients; negotiation shortcuts.
#![allow(dead_code)]

use panoramix_client::{Action, Client};
use panoramix_core::Keypair;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_panoramix");

/// A controller process.
pub struct TestServer {
    pub url: String,
    pub db: PathBuf,
    child: Child,
}

impl TestServer {
    /// Start a server on a fresh database in `dir`.
    pub fn start(dir: &Path) -> TestServer {
        Self::start_with(&dir.join("controller.sqlite3"), &[])
    }

    /// Start a server on `db` (reusing it if it exists) with extra flags.
    pub fn start_with(db: &Path, extra: &[&str]) -> TestServer {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .args(extra)
            .env("PANORAMIX_LOG", "warn")
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
        }
    }

    /// kill -9.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait (graceful shutdown).
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
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

    /// A client with a fresh key.
    pub fn client(&self) -> Client {
        Client::connect(&self.url, Keypair::generate(&mut rand_core::OsRng)).expect("connect")
    }

    /// The whole store as text.
    pub fn dump(&self) -> String {
        panoramix_server::sqlite::dump(&self.db).expect("dump")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
        assert_eq!(seen[0]["text"].as_str(), Some(proposal.as_str()));
        s.contribute(&neg, &proposal).expect("echo");
    }
    let accept = Client::text_for(actions, true, BTreeMap::new());
    let mut consensus = None;
    for s in signers {
        let r = s.contribute(&neg, &accept).expect("accept");
        consensus = r["consensus"].as_str().map(str::to_owned);
    }
    consensus.expect("negotiation closed")
}

/// Run the `panoramix` binary.
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
