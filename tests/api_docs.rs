//! Regressions for the places where docs/api.md and the server disagreed (issue 12):
//! an unknown sub-path of a known resource is 404 (it was 405), and only a route
//! with a method it does not take is 405; and no command panics on a closed
//! stdout or stderr (`panoramix audit verify URL | head -1` did).
mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Status, error code and `Allow` header of a raw request.
fn raw(url: &str, method: &str, path: &str) -> (u16, Option<String>, Option<String>) {
    let agent = panoramix_client::agent();
    let req = agent
        .request(method, &format!("{url}{path}"))
        .set("content-type", "application/json");
    let res = if method == "GET" {
        req.call()
    } else {
        req.send_bytes(b"{}")
    };
    let resp = match res {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {path}: {e}"),
    };
    let status = resp.status();
    let allow = resp.header("allow").map(str::to_owned);
    let body: serde_json::Value = resp.into_json().unwrap_or_default();
    let code = body["error"]["code"].as_str().map(str::to_owned);
    (status, code, allow)
}

/// The route table of docs/api.md: every path shape and the methods it takes.
const ROUTES: &[(&str, &[&str])] = &[
    ("/panoramix/controller/", &["GET"]),
    ("/panoramix/negotiations/", &["GET", "POST"]),
    ("/panoramix/negotiations/x", &["GET"]),
    ("/panoramix/contributions/", &["GET", "POST"]),
    ("/panoramix/peers/", &["GET", "POST"]),
    ("/panoramix/peers/x", &["GET"]),
    ("/panoramix/roles/", &["GET", "POST"]),
    ("/panoramix/endpoints/", &["GET", "POST"]),
    ("/panoramix/endpoints/x", &["GET", "PATCH"]),
    ("/panoramix/messages/", &["GET", "POST"]),
    ("/panoramix/boxes/", &["GET", "POST"]),
    ("/panoramix/takeovers/", &["POST"]),
    ("/panoramix/changes/", &["GET"]),
    ("/panoramix/audit/", &["GET"]),
];

#[test]
fn unknown_sub_paths_are_404_and_wrong_methods_on_routes_405() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    // unknown paths under a known resource: 404 whatever the method (they were 405)
    for path in [
        "/panoramix/messages/x/y",
        "/panoramix/messages/x",
        "/panoramix/controller/zz",
        "/panoramix/audit/1",
        "/panoramix/peers/a/b",
        "/panoramix/negotiations/a/b",
        "/panoramix/endpoints/e/f",
        "/panoramix/roles/x",
        "/panoramix/contributions/x",
        "/panoramix/nothing/",
        "/panoramix/",
    ] {
        for method in ["GET", "POST", "PATCH", "DELETE"] {
            let (status, code, _) = raw(&srv.url, method, path);
            assert_eq!(
                (status, code.as_deref()),
                (404, Some("not_found")),
                "{method} {path}"
            );
        }
    }
    // a route with a method it does not take: 405, and `Allow` names the methods
    // it takes (native server); the methods it takes are neither 404 nor 405
    for (path, allowed) in ROUTES {
        for method in ["GET", "POST", "PATCH", "PUT", "DELETE"] {
            let (status, code, allow) = raw(&srv.url, method, path);
            if allowed.contains(&method) {
                assert!(
                    status != 405 && code.as_deref() != Some("method_not_allowed"),
                    "{method} {path}: {status} {code:?}"
                );
                assert!(
                    !(status == 404 && path.ends_with('/')),
                    "{method} {path}: {status} {code:?}"
                );
            } else {
                assert_eq!(
                    (status, code.as_deref()),
                    (405, Some("method_not_allowed")),
                    "{method} {path}"
                );
                if !srv.is_worker() {
                    assert_eq!(
                        allow.as_deref(),
                        Some(allowed.join(", ").as_str()),
                        "{method} {path}"
                    );
                }
            }
        }
    }
}

/// Run the binary with its stdout (or stderr) the write end of a pipe whose read
/// end is already closed: every write to it fails with EPIPE.
fn run_closed(args: &[&str], close_stdout: bool, stdin: Option<&str>) -> (Option<i32>, String) {
    run_closed_env(args, close_stdout, stdin, &[])
}

/// Write a file with mode 0600 (a contributor configuration must not be readable
/// by others).
fn write_private(path: &std::path::Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// [`run_closed`] with extra environment variables.
fn run_closed_env(
    args: &[&str],
    close_stdout: bool,
    stdin: Option<&str>,
    env: &[(&str, &str)],
) -> (Option<i32>, String) {
    use std::io::Write;
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = Command::new(BIN);
    cmd.args(args).stdin(Stdio::piped());
    cmd.envs(env.iter().copied());
    let err_file = tempfile::NamedTempFile::new().unwrap();
    if close_stdout {
        cmd.stdout(writer).stderr(err_file.reopen().unwrap());
    } else {
        cmd.stderr(writer).stdout(Stdio::null());
    }
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    let status = child.wait().unwrap();
    (
        status.code(),
        std::fs::read_to_string(err_file.path()).unwrap(),
    )
}

#[test]
fn no_command_panics_on_a_closed_stdout_or_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let a = peer(&srv, "alice");
    let b = peer(&srv, "bob");
    for c in [&a, &b] {
        c.create_negotiation("n", None).unwrap();
    }

    // stdout closed before the command prints anything: the verification still
    // runs, its verdict is the exit code, nothing panics (this was a panic, 101)
    let (code, err) = run_closed(&["audit", "verify", &srv.url], true, None);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("downloaded"), "stderr still works: {err}");

    // a verification that fails keeps its exit code (4: unreachable) with both
    // streams closed in turn
    for close_stdout in [true, false] {
        let (code, err) = run_closed(
            &["audit", "verify", "http://127.0.0.1:9"],
            close_stdout,
            None,
        );
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(code, Some(4), "stdout closed: {close_stdout}: {err}");
    }
    // a failure (exit 2) and an unreachable controller (exit 4) with stderr closed
    let (code, _) = run_closed(
        &["verify-election", "/nonexistent/transcript.json"],
        false,
        None,
    );
    assert_eq!(code, Some(2));
    // (a configuration that exists: a missing one is a failure, exit 2)
    let config = dir.path().join("contributor.json");
    write_private(&config, "{}");
    let key = a.key().secret_hex();
    let (code, _) = run_closed_env(
        &[
            "status",
            "--config",
            config.to_str().unwrap(),
            "--url",
            "http://127.0.0.1:9",
        ],
        false,
        None,
        &[("PANORAMIX_KEY", key.as_str())],
    );
    assert_eq!(code, Some(4));
    // a command that reads stdin and prints one line
    let record = r#"{"negotiation_id": "n", "text": "t", "signings": {}, "timestamp": "2018-06-20T12:00:00.000001"}"#;
    let (code, err) = run_closed(&["consensus-id"], true, Some(record));
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(code, Some(0), "{err}");

    // `panoramix audit verify URL | head -1`: the reader takes one line and goes
    let mut child = Command::new(BIN)
        .args(["audit", "verify", &srv.url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("audit log OK"), "{first}");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

/// The exit code is the command's verdict even when nobody reads its output: a
/// tampered audit log is exit 3 with stdout closed; `keygen` still writes its key.
#[test]
fn a_closed_stdout_keeps_the_verdict() {
    if skip_on_worker("tampering with the SQLite file") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.sqlite3");
    let mut srv = TestServer::start_with(&db, &[]);
    let p = peer(&srv, "p");
    let q = peer(&srv, "q");
    srv.stop();
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        let entry: String = c
            .query_row("SELECT entry FROM audit WHERE seq = 3", [], |r| r.get(0))
            .unwrap();
        let forged = entry.replace(&p.id(), &q.id());
        assert_ne!(forged, entry);
        c.execute("UPDATE audit SET entry = ?1 WHERE seq = 3", [forged])
            .unwrap();
    }
    let srv = TestServer::start_with(&db, &[]);
    let (code, err) = run_closed(&["audit", "verify", &srv.url], true, None);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(code, Some(3), "{err}");

    let key = dir.path().join("k.key");
    let (code, err) = run_closed(
        &[
            "keygen",
            "--insecure-plaintext-keys",
            "--out",
            key.to_str().unwrap(),
        ],
        true,
        None,
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(code, Some(0), "{err}");
    assert!(key.exists());
    for args in [
        &["--help"][..],
        &["--version"][..],
        &["audit", "--help"][..],
    ] {
        let (code, err) = run_closed(args, true, None);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(code, Some(0), "{args:?}: {err}");
    }
}

/// protocol.md §2.4 lists the checks in the order the code runs them: a request
/// failing two checks gets the earlier one's answer. In particular the replay
/// check comes first inside the transaction, before the route's own checks (the
/// doc used to say it came last).
#[test]
fn the_documented_order_of_checks_is_the_real_one() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let owner = peer(&srv, "owner");
    let action = owner.endpoint_action(&serde_json::json!({"endpoint_id": "gw_order",
        "peer_id": owner.id(), "public": true, "endpoint_type": "SPHINXMIX_GATEWAY"}));
    let cid = owner
        .self_consensus("endpoint", std::slice::from_ref(&action))
        .unwrap();
    owner.apply(&action, &cid, None).unwrap();
    let c = srv.client();
    let data = serde_json::json!({"endpoint_id": "gw_order", "box": "INBOX", "text": "hello"});
    let signed = |data: &serde_json::Value, edit: &dyn Fn(&mut serde_json::Value)| -> String {
        let mut info = c.info("message", "create", serde_json::Map::new());
        edit(&mut info);
        c.envelope(data.clone(), info, None).unwrap().to_string()
    };
    let bad_sig = |body: String| -> String {
        let mut j: serde_json::Value = serde_json::from_str(&body).unwrap();
        let s = j["meta"]["signature"].as_str().unwrap().to_owned();
        let flipped = if s.starts_with('0') { "1" } else { "0" };
        j["meta"]["signature"] = serde_json::json!(format!("{flipped}{}", &s[1..]));
        j.to_string()
    };
    let other_controller = "ab".repeat(32);
    let send = |body: &str| {
        let e = c
            .send_raw("POST", "/panoramix/messages/", body.as_bytes())
            .expect_err("refused");
        (e.status().unwrap_or(0), e.code().unwrap_or("").to_owned())
    };
    let no_edit = |_: &mut serde_json::Value| {};
    // 4 (duplicate key) before 5 (signature)
    let body = bad_sig(signed(&data, &no_edit)).replacen(
        "\"box\":\"INBOX\"",
        "\"box\":\"INBOX\",\"box\":\"INBOX\"",
        1,
    );
    assert!(body.contains("\"box\":\"INBOX\",\"box\""), "{body}");
    assert_eq!(send(&body), (400, "duplicate_key".into()));
    // 5 (signature) before 7 (resource/operation)
    let body = bad_sig(signed(&data, &|i| i["resource"] = "negotiation".into()));
    assert_eq!(send(&body), (401, "bad_signature".into()));
    // 7 (resource/operation) before 9 (controller)
    let body = signed(&data, &|i| {
        i["resource"] = "negotiation".into();
        i["controller"] = other_controller.clone().into();
    });
    assert_eq!(send(&body).0, 400);
    // 8 (unknown field) before 9 (controller)
    let mut odd = data.clone();
    odd["colour"] = "blue".into();
    let body = signed(&odd, &|i| i["controller"] = other_controller.clone().into());
    assert_eq!(send(&body), (400, "unknown_field".into()));
    // 9 (controller) before 11 (stale)
    let body = signed(&data, &|i| {
        i["controller"] = other_controller.clone().into();
        i["ts"] = 1_000_000.into();
    });
    assert_eq!(send(&body), (401, "foreign_request".into()));
    // 12 (replay) before 13 (the route's checks: this message is a duplicate now)
    let body = signed(&data, &no_edit);
    c.send_raw("POST", "/panoramix/messages/", body.as_bytes())
        .expect("first post");
    assert_eq!(send(&body), (409, "replay".into()));
    // a fresh nonce reaches the route's checks
    assert_eq!(send(&signed(&data, &no_edit)), (409, "duplicate".into()));
}

/// `panoramix status | head -1` and `panoramix doctor | head -1`: with stdout
/// closed they run to the end and keep their verdict (doctor: 0 all ok, 1 a
/// problem found).
#[test]
fn status_and_doctor_survive_a_closed_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let registered = peer(&srv, "registered");
    let config = dir.path().join("contributor.json");
    write_private(&config, "{}");
    let cfg = config.to_str().unwrap();
    let key = registered.key().secret_hex();
    let stranger = panoramix_core::Keypair::generate(&mut rand_core::OsRng).secret_hex();
    for (cmd, key, want) in [
        ("status", key.as_str(), 0),
        ("doctor", key.as_str(), 0),
        ("doctor", stranger.as_str(), 1),
    ] {
        let (code, err) = run_closed_env(
            &[cmd, "--config", cfg, "--url", &srv.url],
            true,
            None,
            &[("PANORAMIX_KEY", key)],
        );
        assert!(!err.contains("panicked"), "{cmd}: {err}");
        assert_eq!(code, Some(want), "{cmd}: {err}");
    }
}
