//! `panoramix serve --tls-cert --tls-key` over loopback with a self-signed
//! certificate generated here: a client trusting that certificate works end to end,
//! one that does not is refused, and plain HTTP gets no API.
mod common;

use common::*;
use panoramix_client::Client;
use panoramix_core::Keypair;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct TlsServer {
    child: Child,
    url: String,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &std::path::Path) -> (TlsServer, std::path::PathBuf) {
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.join("c.sqlite3"))
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .env("PANORAMIX_LOG", "warn")
        .env("PANORAMIX_PASSPHRASE", TEST_PASSPHRASE)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut url = None;
    for line in lines.by_ref().map_while(Result::ok) {
        if let Some(u) = line.strip_prefix("panoramix: listening on ") {
            url = Some(u.trim().to_owned());
            break;
        }
    }
    // keep reading, so that the server never writes into a closed pipe
    std::thread::spawn(move || lines.for_each(drop));
    let url = url.expect("the server announces its address");
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    (TlsServer { child, url }, cert)
}

#[test]
fn tls_with_a_self_signed_certificate() {
    if skip_on_worker("TLS termination") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (srv, ca) = start(dir.path());
    // trusting the certificate: the whole API works
    let c = Client::connect_trusting(&srv.url, Keypair::generate(&mut rand_core::OsRng), &ca)
        .expect("connect over TLS");
    c.register(
        "tls",
        Some("contributor"),
        "SPHINXMIX",
        serde_json::json!({}),
    )
    .unwrap();
    assert_eq!(c.peer(&c.id()).unwrap().peer_id, c.id());
    // the Web PKI alone does not know it: refused
    let e = Client::connect(&srv.url, Keypair::generate(&mut rand_core::OsRng))
        .err()
        .expect("an unknown certificate is refused");
    assert!(e.status().is_none(), "{e}");
    // plain HTTP on the TLS port gets no API answer
    let plain = srv.url.replace("https://", "http://");
    assert!(Client::connect(&plain, Keypair::generate(&mut rand_core::OsRng)).is_err());
    // the command line trusts a CA file from PANORAMIX_CA_FILE
    let out = Command::new(BIN)
        .args(["audit", "verify", &srv.url])
        .env("PANORAMIX_CA_FILE", &ca)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(BIN)
        .args(["audit", "verify", &srv.url])
        .env_remove("PANORAMIX_CA_FILE")
        .output()
        .unwrap();
    assert!(!out.status.success());
}
