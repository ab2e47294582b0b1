//! The contributor's configuration as the commands read it: read-only commands
//! (`status`, `doctor`, `contribute`) never create a file, a directory or a key (a
//! missing, damaged or keyless configuration is an error naming the file), and
//! every command follows a reconfigured mix-net to its newest successor.
mod common;

use common::mixnet::*;
use common::*;
use panoramix_mixnet::setup;
use serde_json::{Value as Json, json};
use std::path::Path;
use std::time::{Duration, Instant};

/// Write a configuration file (mode 0600, plaintext keys) from `{KEY: value}`.
fn write_config(path: &Path, values: &[(&str, Json)]) {
    let mut m = serde_json::Map::new();
    for (k, v) in values {
        m.insert(
            (*k).into(),
            json!({"value": v, "title": k, "description": k}),
        );
    }
    std::fs::write(
        path,
        serde_json::to_string_pretty(&Json::Object(m)).unwrap(),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

#[test]
fn read_only_commands_on_a_missing_config_fail_naming_it_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing_dir = dir.path().join("nonexistent");
    let cfg = missing_dir.join("c.json");
    let cfg_s = cfg.to_str().unwrap();
    for cmd in ["status", "doctor", "contribute"] {
        let (code, out, err) = run_cli(
            &[
                "--insecure-plaintext-keys",
                cmd,
                "--config",
                cfg_s,
                "--url",
                "http://127.0.0.1:9/",
            ],
            None,
        );
        assert_eq!(code, 2, "{cmd}: {out}{err}");
        assert!(err.contains(cfg_s), "{cmd} names the file: {err}");
        assert!(
            !missing_dir.exists(),
            "{cmd} created {}",
            missing_dir.display()
        );
    }
}

#[test]
fn a_damaged_or_keyless_config_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let keyless = dir.path().join("keyless.json");
    write_config(
        &keyless,
        &[
            ("CATALOG_URL", json!("http://127.0.0.1:9/")),
            ("BACKEND", json!("SPHINXMIX")),
        ],
    );
    let before = std::fs::read(&keyless).unwrap();
    let damaged = dir.path().join("damaged.json");
    std::fs::write(&damaged, "{\"KEY\": ").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&damaged, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    for cmd in ["status", "doctor", "contribute"] {
        let (code, out, err) = run_cli(
            &[
                "--insecure-plaintext-keys",
                cmd,
                "--config",
                keyless.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(code, 2, "{cmd}: {out}{err}");
        assert!(
            err.contains(keyless.to_str().unwrap()) && err.contains("no identity key"),
            "{cmd}: {err}"
        );
        assert!(!err.contains("created key"), "{cmd}: {err}");
        assert_eq!(std::fs::read(&keyless).unwrap(), before, "{cmd} wrote");
        let (code, out, err) = run_cli(
            &[
                "--insecure-plaintext-keys",
                cmd,
                "--config",
                damaged.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(code, 2, "{cmd}: {out}{err}");
        assert!(
            err.contains(damaged.to_str().unwrap()) && err.contains("damaged"),
            "{cmd}: {err}"
        );
    }
}

#[test]
fn status_doctor_and_contribute_follow_a_reconfiguration_to_the_successor() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cs: Vec<Contributor> = (0..3).map(|_| Contributor::new("SPHINXMIX")).collect();
    let a = setup_mixnet(&srv, &cs, &spec("SPHINXMIX", "gen1", 5));
    let ids: Vec<String> = cs.iter().map(|c| c.client(&srv).id()).collect();
    // the owners agree on a successor without contributor 2
    let owners = vec![ids[0].clone(), ids[1].clone()];
    setup::propose_successor(&cs[0].client(&srv), &a, &owners, "gen2").unwrap();
    let mut b = None;
    for c in &cs[1..] {
        if let Some(id) =
            setup::confirm_successor(&c.client(&srv), &a, &|o: &[String]| o.len() == 2).unwrap()
        {
            b = Some(id);
        }
    }
    let b = b.expect("successor id");
    let cfg = dir.path().join("c0.json");
    write_config(
        &cfg,
        &[
            ("KEY", json!(cs[0].secret)),
            ("MIX_KEY", json!(cs[0].mix.clone().unwrap())),
            ("BACKEND", json!("SPHINXMIX")),
            ("CATALOG_URL", json!(srv.url)),
            ("MIXNET", json!(a)),
        ],
    );
    let cfg_s = cfg.to_str().unwrap();
    let start = Instant::now();
    let st = loop {
        let (code, out, err) = run_cli(
            &[
                "--insecure-plaintext-keys",
                "status",
                "--json",
                "--config",
                cfg_s,
            ],
            None,
        );
        assert_eq!(code, 0, "{out}{err}");
        let st: Json = serde_json::from_str(out.trim()).unwrap();
        if st["mixnet"]["id"] == json!(b) || start.elapsed() > Duration::from_secs(30) {
            break st;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(st["mixnet"]["id"], json!(b), "{st}");
    assert_eq!(st["mixnet"]["name"], "gen2", "{st}");
    assert_eq!(st["mixnet"]["owners"], 2, "{st}");
    assert_eq!(st["configured"], json!(a), "{st}");
    let (code, out, _) = run_cli(
        &["--insecure-plaintext-keys", "status", "--config", cfg_s],
        None,
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("was reconfigured") && out.contains(&b),
        "{out}"
    );
    let (code, out, _) = run_cli(
        &["--insecure-plaintext-keys", "doctor", "--config", cfg_s],
        None,
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("ok: an owner of mix-net {b}")),
        "{out}"
    );
    // read-only: the configured mix-net is unchanged
    let conf: Json = serde_json::from_str(&std::fs::read_to_string(&cfg).unwrap()).unwrap();
    assert_eq!(conf["MIXNET"]["value"], json!(a));
    // contribute updates it, and says so
    let (code, out, err) = run_cli(
        &[
            "--insecure-plaintext-keys",
            "contribute",
            "--config",
            cfg_s,
            "--cycles",
            "0",
            "--url",
            "http://127.0.0.1:9/",
        ],
        None,
    );
    // an unreachable controller: nothing read, nothing changed
    assert_ne!(code, 0, "{out}{err}");
    let conf: Json = serde_json::from_str(&std::fs::read_to_string(&cfg).unwrap()).unwrap();
    assert_eq!(conf["MIXNET"]["value"], json!(a));
    let mut child = std::process::Command::new(BIN)
        .args(["--insecure-plaintext-keys", "contribute", "--config", cfg_s])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap()));
    let mut said = String::new();
    for l in lines.by_ref().take(2) {
        said.push_str(&l.unwrap());
        said.push('\n');
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        said.contains("was reconfigured") && said.contains(&format!("contributing to mix-net {b}")),
        "{said}"
    );
    let conf: Json = serde_json::from_str(&std::fs::read_to_string(&cfg).unwrap()).unwrap();
    assert_eq!(conf["MIXNET"]["value"], json!(b));
}
