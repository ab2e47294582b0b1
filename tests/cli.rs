//! The command line: server-wizard writes a configuration that serve uses; roles
//! assigned and revoked by a consensus of the authorities.
mod common;

use common::*;
use serde_json::json;

#[test]
fn server_wizard_writes_a_config_that_serve_uses() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("server.json");
    let db = dir.path().join("w.sqlite3");
    let (code, out, err) = run_cli(
        &[
            "server-wizard",
            "--yes",
            "--config",
            cfg.to_str().unwrap(),
            "--backend",
            "ZEUS",
            "--param",
            "SK_ROUNDS=256",
            "--db",
            db.to_str().unwrap(),
            "--catalog-url",
            "http://127.0.0.1:0/",
        ],
        None,
    );
    assert_eq!(code, 0, "{out}{err}");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cfg).unwrap()).unwrap();
    assert_eq!(written["BACKEND"]["value"], "ZEUS");
    assert_eq!(written["CRYPTO_PARAMS"]["value"]["SK_ROUNDS"], 256);
    assert!(
        written["CATALOG_URL"]["title"].is_string(),
        "each key is {{value, title, description}}"
    );

    let (code, _, err) = run_cli(
        &[
            "server-wizard",
            "--yes",
            "--config",
            "/dev/null/x",
            "--backend",
            "ZEUS",
            "--param",
            "SK_ROUNDS=3",
        ],
        None,
    );
    assert_eq!(code, 2, "fewer than 128 rounds is refused: {err}");
    let (code, _, err) = run_cli(&["server-wizard", "--yes", "--backend", "NOPE"], None);
    assert_eq!(code, 2);
    assert!(err.contains("unknown backend"), "{err}");

    let srv = TestServer::start_with(&db, &["--config", cfg.to_str().unwrap()]);
    let info = srv.client().get("/panoramix/controller/").unwrap();
    assert_eq!(info["data"]["backends"], json!(["ZEUS"]));
    // a SPHINXMIX peer is refused by a ZEUS controller
    let c = srv.client();
    let e = c.register("x", None, "SPHINXMIX", json!({})).unwrap_err();
    assert_eq!(e.status(), Some(400));
    c.register("x", None, "ZEUS", json!({})).unwrap();
}

#[test]
fn roles_are_assigned_by_all_authorities() {
    let dir = tempfile::tempdir().unwrap();
    // bootstrap: two authority keys named on the command line
    let a1 = panoramix_core::Keypair::generate(&mut rand_core::OsRng);
    let a2 = panoramix_core::Keypair::generate(&mut rand_core::OsRng);
    let (id1, id2) = (a1.key_id(), a2.key_id());
    let srv = TestServer::start_with(
        &dir.path().join("r.sqlite3"),
        &["--authority", &id1, "--authority", &id2],
    );
    let a1 = panoramix_client::Client::connect(&srv.url, a1).unwrap();
    let a2 = panoramix_client::Client::connect(&srv.url, a2).unwrap();
    let p = peer(&srv, "auditor-to-be");
    let assign = a1.action(
        "POST",
        "/panoramix/roles/",
        "role",
        "update",
        json!({"peer_id": p.id(), "role": "auditor", "action": "assign"}),
        Default::default(),
    );
    // one authority alone cannot
    let alone = a1
        .self_consensus("assign", std::slice::from_ref(&assign))
        .unwrap();
    let e = a1.apply(&assign, &alone, None).unwrap_err();
    assert_eq!(e.status(), Some(403));
    // both can
    let cid = agree(&[&a1, &a2], std::slice::from_ref(&assign));
    a2.apply(&assign, &cid, None).unwrap();
    let roles = p
        .get(&format!("/panoramix/roles/?peer_id={}", p.id()))
        .unwrap();
    let names: Vec<&str> = roles["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["role"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["auditor", "contributor"]);
    assert_eq!(p.peer(&p.id()).unwrap().roles, ["auditor", "contributor"]);
    // revoke
    let revoke = a1.action(
        "POST",
        "/panoramix/roles/",
        "role",
        "update",
        json!({"peer_id": p.id(), "role": "auditor", "action": "revoke"}),
        Default::default(),
    );
    let cid = agree(&[&a2, &a1], std::slice::from_ref(&revoke));
    a1.apply(&revoke, &cid, None).unwrap();
    assert_eq!(p.peer(&p.id()).unwrap().roles, ["contributor"]);
    let (code, out, err) = run_cli(&["audit", "verify", &srv.url], None);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn audit_verify_says_where_a_tampered_log_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.sqlite3");
    let mut srv = TestServer::start_with(&db, &[]);
    let p = peer(&srv, "p");
    let q = peer(&srv, "q");
    let (code, _, _) = run_cli(&["audit", "verify", &srv.url], None);
    assert_eq!(code, 0);
    srv.stop();
    // rewrite history: entry 3 now claims another peer registered
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        let entry: String = c
            .query_row("SELECT entry FROM audit WHERE seq = 3", [], |r| r.get(0))
            .unwrap();
        let forged = entry.replace(&p.id(), &q.id());
        assert_ne!(forged, entry, "entry 3 names the first peer");
        c.execute("UPDATE audit SET entry = ?1 WHERE seq = 3", [forged])
            .unwrap();
    }
    let srv = TestServer::start_with(&db, &[]);
    let (code, out, err) = run_cli(&["audit", "verify", &srv.url], None);
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("BROKEN at entry 3"), "{out}");
    let (code, _, _) = run_cli(&["audit", "verify", "http://127.0.0.1:9"], None);
    assert_eq!(code, 4, "an unreachable controller is exit code 4");
}

/// Negotiation ids are base64url, so an invitation may begin with `-`: the
/// wizard takes it as the invitation, not as an unknown option.
#[test]
fn an_invitation_beginning_with_a_dash_is_taken_as_the_invitation() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("joiner.json");
    let (code, out, err) = run_cli(
        &[
            "--insecure-plaintext-keys",
            "wizard",
            "join",
            "--yes",
            "--url",
            "http://127.0.0.1:9",
            "--invitation",
            "-8Xb_|00ff",
            "--config",
            cfg.to_str().unwrap(),
        ],
        None,
    );
    assert!(!err.contains("unexpected argument"), "{err}");
    // it got as far as the (unreachable) controller
    assert!(err.contains("cannot reach the controller"), "{out}{err}");
    assert_ne!(code, 0);
}
