//! What an operator sees when something is wrong (issue 17, findings 8 and 9):
//! the local agent's errors over HTTP (the caller's mistakes are 4xx, an
//! unreachable controller is 502 `controller_unreachable`, never `no_open_cycle`),
//! the exit codes of the README's table, a URL without a scheme, messages that
//! say each thing once, and logs without ANSI colours off a terminal.

mod common;

use common::mixnet::{Contributor, setup_mixnet, spec};
use common::{BIN, TestServer, free_port, run_cli};
use serde_json::{Value as Json, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A child process killed when the test ends, passed or not.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `panoramix agent` on a free loopback port; its base URL.
fn start_agent(url: &str, mixnet: &str) -> (Killed, String) {
    let port = free_port();
    let mut child = Command::new(BIN)
        .args(["agent", "--url", url, "--mixnet", mixnet, "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start panoramix agent");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(u) = line.strip_prefix("panoramix agent: listening on ") {
                let _ = tx.send(u.to_owned());
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the agent did not start");
    (Killed(child), base)
}

/// The status and JSON body of a request to the agent.
fn call(req: ureq::Request, body: Option<&str>) -> (u16, Json) {
    let r = match body {
        Some(b) => req.set("content-type", "application/json").send_string(b),
        None => req.call(),
    };
    let resp = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("the agent did not answer: {e}"),
    };
    let status = resp.status();
    (status, resp.into_json().expect("a JSON answer"))
}

fn send(base: &str, body: &Json) -> (u16, Json) {
    call(ureq::post(&format!("{base}/send")), Some(&body.to_string()))
}

fn code(body: &Json) -> &str {
    body["error"]["code"].as_str().unwrap_or_else(|| {
        panic!("not an error {{error: {{code, message}}}}: {body}");
    })
}

#[test]
fn agent_tells_mistakes_from_upstream_trouble() {
    if common::skip_on_worker("kills the controller under a running agent") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut srv = TestServer::start(dir.path());
    let cs: Vec<Contributor> = (0..3).map(|_| Contributor::new("SPHINXMIX")).collect();
    let joint = setup_mixnet(&srv, &cs, &spec("SPHINXMIX", "agent-errors", 3));
    let (_agent, base) = start_agent(&srv.url, &joint);

    // the caller's mistakes: 4xx, whatever the controller's state
    let (s, b) = call(ureq::post(&format!("{base}/send")), Some("not json"));
    assert_eq!((s, code(&b)), (400, "malformed"), "{b}");
    let (s, b) = send(&base, &json!({"recipient": "bob", "message": 7}));
    assert_eq!((s, code(&b)), (400, "invalid"), "{b}");
    let (s, b) = send(&base, &json!({"recipient": "", "message": "hi"}));
    assert_eq!((s, code(&b)), (400, "invalid_recipient"), "{b}");
    let long_name = "r".repeat(256);
    let (s, b) = send(&base, &json!({"recipient": long_name, "message": "hi"}));
    assert_eq!((s, code(&b)), (400, "invalid_recipient"), "{b}");
    let (s, b) = send(
        &base,
        &json!({"recipient": "bob", "message": "x".repeat(5000)}),
    );
    assert_eq!((s, code(&b)), (413, "message_too_long"), "{b}");
    for q in ["", "?cycle=0", "?cycle=abc", "?cycle=-1"] {
        let (s, b) = call(ureq::get(&format!("{base}/received{q}")), None);
        assert_eq!((s, code(&b)), (400, "invalid"), "{q}: {b}");
    }

    // the controller answers but no cycle is open (no contributor runs): 503
    let (s, b) = send(&base, &json!({"recipient": "bob", "message": "hello"}));
    assert_eq!((s, code(&b)), (503, "no_open_cycle"), "{b}");
    let (s, b) = call(ureq::get(&format!("{base}/received?cycle=1")), None);
    assert_eq!((s, code(&b)), (404, "not_ready"), "{b}");

    // the controller is gone: 502 controller_unreachable, not "no open cycle"
    srv.kill9();
    let (s, b) = send(&base, &json!({"recipient": "bob", "message": "hello"}));
    assert_eq!((s, code(&b)), (502, "controller_unreachable"), "{b}");
    let (s, b) = call(ureq::get(&format!("{base}/received?cycle=1")), None);
    assert_eq!((s, code(&b)), (502, "controller_unreachable"), "{b}");
    // a mistake is still a mistake while the controller is away
    let (s, b) = send(
        &base,
        &json!({"recipient": "bob", "message": "x".repeat(5000)}),
    );
    assert_eq!((s, code(&b)), (413, "message_too_long"), "{b}");
}

#[test]
fn unreachable_controller_exits_4_and_says_so_once() {
    let url = format!("http://127.0.0.1:{}/", free_port());
    let (code, _out, err) = run_cli(&["agent", "--url", &url, "--mixnet", "x"], None);
    assert_eq!(code, 4, "{err}");
    assert_eq!(
        err.matches("cannot reach the controller").count(),
        1,
        "said once: {err}"
    );
    assert!(err.contains(&url), "names the URL: {err}");
}

#[test]
fn url_without_scheme_is_a_usage_error_that_says_why() {
    for url in ["127.0.0.1:8000", "localhost:8000"] {
        let (code, _out, err) = run_cli(&["agent", "--url", url, "--mixnet", "x"], None);
        assert_eq!(code, 2, "{url}: {err}");
        assert!(
            err.contains("must start with http:// or https://"),
            "{url}: {err}"
        );
        assert!(
            !err.contains("RelativeUrlWithoutBase") && !err.contains("Unknown Scheme"),
            "{url}: {err}"
        );
    }
}

#[test]
fn wrong_passphrase_is_a_failure_not_unreachable() {
    if common::skip_on_worker("starts the native server twice on one database") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut srv = TestServer::start(dir.path());
    srv.stop();
    let db = dir.path().join("controller.sqlite3");
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .env(
            "PANORAMIX_PASSPHRASE",
            "not the passphrase it was sealed under",
        )
        .env_remove("PANORAMIX_KEY")
        .output()
        .expect("run panoramix serve");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
}

/// `panoramix serve`'s stderr until it says it listens, then stopped.
fn serve_log(dir: &std::path::Path, no_color: Option<&str>) -> String {
    let log = dir.join(format!("serve-{}.log", no_color.unwrap_or("unset")));
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.join(format!("db-{}.sqlite3", no_color.unwrap_or("unset"))))
        .env("PANORAMIX_LOG", "info")
        .env("PANORAMIX_PASSPHRASE", "log test passphrase")
        .env_remove("NO_COLOR")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap());
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    let mut child = cmd.spawn().expect("start panoramix serve");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    for line in stdout.lines().map_while(Result::ok) {
        if line.starts_with("panoramix: listening on ") {
            break;
        }
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut text = String::new();
    while std::time::Instant::now() < deadline {
        text = std::fs::read_to_string(&log).unwrap();
        if text.contains("listening on") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    text
}

#[test]
fn logs_to_a_file_carry_no_colours() {
    if common::skip_on_worker("reads the native server's log") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for no_color in [None, Some("1")] {
        let text = serve_log(dir.path(), no_color);
        assert!(text.contains("listening on"), "{no_color:?}: {text:?}");
        assert!(!text.contains('\x1b'), "{no_color:?}: ANSI in {text:?}");
    }
}

#[test]
fn server_wizard_says_the_controller_serves_one_backend() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("server.json");
    let (code, out, err) = run_cli(
        &[
            "server-wizard",
            "--yes",
            "--config",
            cfg.to_str().unwrap(),
            "--backend",
            "ZEUS",
        ],
        None,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("will serve ZEUS mix-nets only"), "{out}");
    assert!(out.contains("wizard create --param"), "{out}");
}
