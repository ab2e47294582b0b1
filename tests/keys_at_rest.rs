//! Keys at rest: the native `keygen`, `serve` and contributor CLI keep their secret
//! keys sealed under `PANORAMIX_PASSPHRASE` in private files, and refuse plaintext
//! unless asked. Native only (the Worker's key is a wrangler secret): on the Worker
//! target every test here is reported not applicable.
mod common;

use common::*;
use serde_json::Value as Json;

/// Start `serve` on `dir` with `key_file` and `env`; the controller id it announces,
/// or its stderr when it refuses to start.
fn serve_id(
    dir: &std::path::Path,
    key_file: &std::path::Path,
    env: &[(&str, &str)],
) -> Result<String, String> {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.join("c.sqlite3"))
        .arg("--key-file")
        .arg(key_file)
        .env_remove("PANORAMIX_PASSPHRASE")
        .env_remove("PANORAMIX_KEY")
        .env_remove("PANORAMIX_INSECURE_PLAINTEXT_KEYS")
        .env("PANORAMIX_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    for line in out.lines().map_while(Result::ok) {
        if let Some(id) = line.strip_prefix("panoramix: controller id ") {
            child.kill().unwrap();
            child.wait().unwrap();
            return Ok(id.trim().to_owned());
        }
    }
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    child.wait().unwrap();
    Err(err)
}

/// Someone who copies a key file learns nothing without the passphrase; a wrong
/// passphrase or a group-readable file is refused; plaintext needs an explicit flag.
#[test]
fn keys_at_rest_are_sealed_and_private() {
    if not_applicable(
        Host::Worker,
        "runs only the native `keygen` and `serve` on key files; the Worker's key is a wrangler secret",
    ) {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let keygen = |out: &std::path::Path, env: &[(&str, &str)], extra: &[&str]| {
        let mut c = Command::new(BIN);
        c.args(["keygen", "--out"])
            .arg(out)
            .args(extra)
            .env_remove("PANORAMIX_PASSPHRASE")
            .env_remove("PANORAMIX_INSECURE_PLAINTEXT_KEYS");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    // no passphrase: refused, nothing written
    let plain = dir.path().join("plain.key");
    let o = keygen(&plain, &[], &[]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("PANORAMIX_PASSPHRASE"));
    assert!(!plain.exists());
    // sealed under a passphrase, mode 0600
    let sealed = dir.path().join("sealed.key");
    let o = keygen(&sealed, &[("PANORAMIX_PASSPHRASE", "correct horse")], &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let id = out
        .lines()
        .find_map(|l| l.strip_prefix("key id: "))
        .unwrap()
        .trim()
        .to_owned();
    let text = std::fs::read_to_string(&sealed).unwrap();
    assert!(text.starts_with("pmx-sealed-v1:"), "{text}");
    assert_eq!(
        std::fs::metadata(&sealed).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // the server opens it with the passphrase, refuses a wrong one and no passphrase
    assert_eq!(
        serve_id(
            dir.path(),
            &sealed,
            &[("PANORAMIX_PASSPHRASE", "correct horse")]
        ),
        Ok(id.clone())
    );
    let e = serve_id(dir.path(), &sealed, &[("PANORAMIX_PASSPHRASE", "wrong")]).unwrap_err();
    assert!(e.contains("wrong passphrase"), "{e}");
    let e = serve_id(dir.path(), &sealed, &[]).unwrap_err();
    assert!(e.contains("PANORAMIX_PASSPHRASE"), "{e}");
    // a file others can read is refused
    std::fs::set_permissions(&sealed, std::fs::Permissions::from_mode(0o640)).unwrap();
    let e = serve_id(
        dir.path(),
        &sealed,
        &[("PANORAMIX_PASSPHRASE", "correct horse")],
    )
    .unwrap_err();
    assert!(e.contains("chmod 600"), "{e}");
    // the key itself from the environment; no file needed
    let kp = panoramix_core::Keypair::generate(&mut rand_core::OsRng);
    let missing = dir.path().join("never-created.key");
    assert_eq!(
        serve_id(
            dir.path(),
            &missing,
            &[("PANORAMIX_KEY", kp.secret_hex().as_str())]
        ),
        Ok(kp.key_id())
    );
    assert!(!missing.exists());
    // plaintext only when asked for
    let o = keygen(&plain, &[], &["--insecure-plaintext-keys"]);
    assert!(o.status.success());
    assert!(
        !std::fs::read_to_string(&plain)
            .unwrap()
            .starts_with("pmx-sealed")
    );
}

/// Whether `text` shows the secret key of `key_id` anywhere: as 64 hex digits, or
/// as 32 raw bytes, at any offset.
fn shows_secret_of(text: &[u8], key_id: &str) -> bool {
    let is = |hex: &str| {
        panoramix_core::Keypair::from_secret_hex(hex).is_ok_and(|k| k.key_id() == key_id)
    };
    let hex_windows = text
        .windows(64)
        .any(|w| std::str::from_utf8(w).is_ok_and(&is));
    hex_windows || text.windows(32).any(|w| is(&hex::encode(w)))
}

/// `serve` never writes the controller key in plaintext by default: without a
/// passphrase or a key from the environment it refuses to start (and creates
/// nothing); with `PANORAMIX_PASSPHRASE` the key file is sealed, mode 0600, and no
/// copy of the secret is visible in it; an older plaintext key file is refused, or
/// sealed in place once a passphrase is given.
#[test]
fn serve_refuses_to_keep_its_key_in_plaintext() {
    if not_applicable(
        Host::Worker,
        "runs only the native `serve` on its key file; the Worker's key is a wrangler secret",
    ) {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("c.sqlite3.controller-key");
    let e = serve_id(dir.path(), &key_file, &[]).unwrap_err();
    for hint in [
        "PANORAMIX_PASSPHRASE",
        "PANORAMIX_KEY",
        "--insecure-plaintext-keys",
    ] {
        assert!(e.contains(hint), "the refusal does not mention {hint}: {e}");
    }
    assert!(!key_file.exists(), "a key file was written");
    assert!(
        !dir.path().join("c.sqlite3").exists(),
        "a database was created"
    );
    // with a passphrase: sealed, private, no secret visible; the same key next time
    let pass = [("PANORAMIX_PASSPHRASE", "a long test passphrase")];
    let id = serve_id(dir.path(), &key_file, &pass).unwrap();
    let bytes = std::fs::read(&key_file).unwrap();
    assert!(bytes.starts_with(b"pmx-sealed-v1:"));
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(!shows_secret_of(&bytes, &id), "the secret key is readable");
    assert_eq!(serve_id(dir.path(), &key_file, &pass), Ok(id.clone()));
    let e = serve_id(dir.path(), &key_file, &[]).unwrap_err();
    assert!(e.contains("PANORAMIX_PASSPHRASE"), "{e}");
    // plaintext only with the explicit flag; such a file is then refused without
    // it, and sealed in place (same key) when a passphrase is given
    let old = tempfile::tempdir().unwrap();
    let plain = old.path().join("c.sqlite3.controller-key");
    let id2 = serve_id(
        old.path(),
        &plain,
        &[("PANORAMIX_INSECURE_PLAINTEXT_KEYS", "1")],
    )
    .unwrap();
    assert!(shows_secret_of(&std::fs::read(&plain).unwrap(), &id2));
    let e = serve_id(old.path(), &plain, &[]).unwrap_err();
    assert!(
        e.contains("plaintext") && e.contains("PANORAMIX_PASSPHRASE"),
        "{e}"
    );
    assert_eq!(serve_id(old.path(), &plain, &pass), Ok(id2.clone()));
    let bytes = std::fs::read(&plain).unwrap();
    assert!(bytes.starts_with(b"pmx-sealed-v1:"));
    assert!(!shows_secret_of(&bytes, &id2));
    assert_eq!(
        std::fs::metadata(&plain).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(serve_id(old.path(), &plain, &pass), Ok(id2));
}

/// The contributor configuration keeps its secret keys sealed under the passphrase.
#[test]
fn contributor_config_keys_are_sealed() {
    if not_applicable(
        Host::Worker,
        "runs only the native contributor CLI on its configuration file",
    ) {
        return;
    }
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cfg = dir.path().join("contributor.json");
    // only a wizard creating a membership creates (and stores) a key; it gives up
    // waiting for the invited contributors after a second
    let created = Command::new(BIN)
        .args([
            "wizard",
            "create",
            "--yes",
            "--name",
            "sealed",
            "--timeout",
            "1",
        ])
        .args(["--url", &srv.url, "--config"])
        .arg(&cfg)
        .env_remove("PANORAMIX_INSECURE_PLAINTEXT_KEYS")
        .env_remove("PANORAMIX_KEY")
        .env("PANORAMIX_PASSPHRASE", "open sesame")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&created.stderr).contains("created key"),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let status = |pass: &str| {
        Command::new(BIN)
            .args(["status", "--url", "http://127.0.0.1:9", "--config"])
            .arg(&cfg)
            .env_remove("PANORAMIX_INSECURE_PLAINTEXT_KEYS")
            .env_remove("PANORAMIX_KEY")
            .env("PANORAMIX_PASSPHRASE", pass)
            .output()
            .unwrap()
    };
    let text = std::fs::read_to_string(&cfg).unwrap();
    let v: Json = serde_json::from_str(&text).unwrap();
    let key = v["KEY"]["value"].as_str().unwrap();
    assert!(key.starts_with("pmx-sealed-v1:"), "{text}");
    let o = status("not it");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("wrong passphrase"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
