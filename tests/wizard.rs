//! The wizards and the contributor agent as commands, driven non-interactively:
//! `wizard create` hands out invitations, two `wizard join`s take them, three
//! `contribute` processes run a cycle, and a client's messages come out mixed.
mod common;

use common::*;
use panoramix_mixnet::sender::Sender;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn wizard_create_join_and_contribute() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cfg = |i: usize| dir.path().join(format!("contributor{i}.json"));
    let mut create = Command::new(BIN)
        .env("PANORAMIX_INSECURE_PLAINTEXT_KEYS", "1")
        .args([
            "wizard",
            "create",
            "--yes",
            "--url",
            &srv.url,
            "--name",
            "clinet",
            "--backend",
            "SPHINXMIX",
        ])
        .args([
            "--invitations",
            "2",
            "--size-min",
            "4",
            "--size-max",
            "4",
            "--close-after",
            "600",
            "--terms",
            "be nice",
        ])
        .arg("--config")
        .arg(cfg(0))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(create.stdout.take().unwrap()).lines();
    let mut invitations = Vec::new();
    while invitations.len() < 2 {
        let l = lines.next().expect("invitations").unwrap();
        if l.contains('|') {
            invitations.push(l.trim().to_owned());
        }
    }
    // a joiner who does not accept the terms is refused, with exit code 2
    let (code, _, err) = run_cli(
        &[
            "--insecure-plaintext-keys",
            "wizard",
            "join",
            "--yes",
            "--url",
            &srv.url,
            "--invitation",
            &invitations[0],
            "--config",
            cfg(9).to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--accept-terms"), "{err}");
    let joins: Vec<_> = invitations
        .iter()
        .enumerate()
        .map(|(i, inv)| {
            Command::new(BIN)
                .env("PANORAMIX_INSECURE_PLAINTEXT_KEYS", "1")
                .args([
                    "wizard",
                    "join",
                    "--yes",
                    "--accept-terms",
                    "--url",
                    &srv.url,
                    "--invitation",
                    inv,
                    "--config",
                ])
                .arg(cfg(i + 1))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for j in joins {
        let out = j.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        // the joiner is shown when cycles close
        assert!(
            err.contains("entry endpoints take 4..4 messages per cycle and close at 4, or after 600 s with at least 4"),
            "{err}"
        );
    }
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = create.wait().unwrap();
    assert!(status.success());
    assert!(
        rest.iter().any(|l| l.contains("Created mix-net clinet")),
        "{rest:?}"
    );
    let conf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cfg(0)).unwrap()).unwrap();
    let joint = conf["MIXNET"]["value"].as_str().unwrap().to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cfg(0)).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the configuration holds secret keys: mode {mode:o}"
        );
    }
    // three contributor agents, one cycle
    let agents: Vec<_> = (0..3)
        .map(|i| {
            Command::new(BIN)
                .env("PANORAMIX_INSECURE_PLAINTEXT_KEYS", "1")
                .args(["contribute", "--cycles", "1", "--poll-ms", "50", "--config"])
                .arg(cfg(i))
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let sender = Sender::new(srv.client(), &joint).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !sender.is_open(1) {
        assert!(Instant::now() < deadline, "no entry endpoint");
        std::thread::sleep(Duration::from_millis(50));
    }
    let msgs: Vec<String> = (0..4).map(|i| format!("hello {i}")).collect();
    for m in &msgs {
        sender.send(1, "carol", m.as_bytes()).unwrap();
    }
    let out = loop {
        if let Some(o) = sender.results(1).unwrap() {
            break o;
        }
        assert!(Instant::now() < deadline, "no output");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut got: Vec<String> = out
        .into_iter()
        .map(|(_, m)| String::from_utf8(m).unwrap())
        .collect();
    got.sort();
    assert_eq!(got, msgs);
    for a in agents {
        let out = a.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // the signed agreement was exported, and anyone can recompute its consensus id
    let file = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("contributor0.joint-clinet.") && n.ends_with(".agreement.json")
        })
        .expect("contributor0's agreement");
    let agreement = std::fs::read_to_string(&file).unwrap();
    let a: serde_json::Value = serde_json::from_str(&agreement).unwrap();
    let (code, out, err) = run_cli(&["consensus-id"], Some(&agreement));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), a["consensus_id"].as_str().unwrap());
    // status before the reconfiguration: the mix-net that ran
    let c0 = cfg(0);
    let (code, out, err) = run_cli(
        &["status", "--json", "--config", c0.to_str().unwrap()],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let st: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(st["mixnet"]["name"], "clinet");
    assert_eq!(st["mixnet"]["owners"], 3);
    assert_eq!(st["joined"], "3/3");
    assert!(
        st["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["status"] == "PROCESSED"),
        "{st}"
    );
    // a new administrator joins the running mix-net: the owners reconfigure it
    let spawn = |args: Vec<String>| spawn_cli(&args);
    let s = |x: &str| x.to_owned();
    let approve_new = spawn(vec![
        s("wizard"),
        s("approve"),
        s("--yes"),
        s("--accept-terms"),
        s("--url"),
        srv.url.clone(),
        s("--mixnet"),
        joint.clone(),
        s("--config"),
        cfg(3).display().to_string(),
    ]);
    // the newcomer's key: created and stored by `wizard approve`
    let deadline = Instant::now() + Duration::from_secs(30);
    let newcomer = loop {
        let key = std::fs::read_to_string(cfg(3))
            .ok()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .and_then(|c| c["KEY"]["value"].as_str().map(str::to_owned));
        if let Some(k) = key {
            break panoramix_core::Keypair::from_secret_hex(&k)
                .unwrap()
                .key_id();
        }
        assert!(Instant::now() < deadline, "no key in {}", cfg(3).display());
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(500));
    let conf2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cfg(2)).unwrap()).unwrap();
    let removed = panoramix_core::Keypair::from_secret_hex(conf2["KEY"]["value"].as_str().unwrap())
        .unwrap()
        .key_id();
    let reconf = spawn(vec![
        s("wizard"),
        s("reconfigure"),
        s("--yes"),
        s("--new-name"),
        s("clinet2"),
        s("--add"),
        newcomer.clone(),
        s("--remove"),
        removed,
        s("--config"),
        cfg(0).display().to_string(),
    ]);
    let approvals: Vec<_> = [1, 2]
        .iter()
        .map(|i| {
            spawn(vec![
                s("wizard"),
                s("approve"),
                s("--yes"),
                s("--config"),
                cfg(*i).display().to_string(),
            ])
        })
        .collect();
    for p in approvals.into_iter().chain([approve_new, reconf]) {
        let out = p.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // the removed owner's wizard, started only after the owners agreed, says
    // so at once instead of waiting for a proposal that will never include it
    let (code, out, err) = run_cli(
        &[
            "wizard",
            "approve",
            "--yes",
            "--config",
            cfg(2).to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("was removed from mix-net"), "{out}{err}");
    let conf3: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cfg(3)).unwrap()).unwrap();
    let successor = conf3["MIXNET"]["value"].as_str().unwrap();
    let peer = srv.client().peer(successor).unwrap();
    assert_eq!(peer.owners.len(), 3);
    assert!(peer.owner_ids().contains(&newcomer));
    // status and doctor
    // status and doctor follow the reconfiguration to the successor
    let (code, out, err) = run_cli(
        &["status", "--json", "--config", c0.to_str().unwrap()],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let st: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(st["mixnet"]["name"], "clinet2", "{st}");
    assert_eq!(st["mixnet"]["id"], successor, "{st}");
    assert_eq!(st["configured"], joint, "{st}");
    let (code, out, _) = run_cli(&["doctor", "--config", c0.to_str().unwrap()], None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok: an owner of mix-net"), "{out}");
    let (code, _, _) = run_cli(
        &[
            "doctor",
            "--config",
            c0.to_str().unwrap(),
            "--url",
            "http://127.0.0.1:9",
        ],
        None,
    );
    assert_eq!(code, 4, "an unreachable controller is exit code 4");
}

/// Once, interactively: `wizard join` on a pseudo-terminal asks about the parameter
/// that differs from its defaults and about the terms, and the answers are typed.
#[test]
fn wizard_join_interactively_through_a_pty() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cfg = |i: usize| dir.path().join(format!("pty{i}.json"));
    let mut create = Command::new(BIN)
        .env("PANORAMIX_INSECURE_PLAINTEXT_KEYS", "1")
        .args([
            "wizard",
            "create",
            "--yes",
            "--url",
            &srv.url,
            "--name",
            "ptynet",
            "--backend",
            "SPHINXMIX",
        ])
        .args([
            "--invitations",
            "1",
            "--param",
            "MAX_HOPS=4",
            "--terms",
            "no spam",
        ])
        .arg("--config")
        .arg(cfg(0))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(create.stdout.take().unwrap()).lines();
    let invitation = loop {
        let l = lines.next().expect("an invitation").unwrap();
        if l.contains('|') {
            break l.trim().to_owned();
        }
    };
    let cmd = format!(
        "{BIN} --insecure-plaintext-keys wizard join --url {} --invitation {invitation} --config {}",
        srv.url,
        cfg(1).display()
    );
    let mut p = rexpect::spawn(&cmd, Some(30_000)).unwrap();
    p.exp_string("MAX_HOPS = 4").unwrap();
    p.exp_string("[Y/n]").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    p.send_line("y").unwrap();
    p.exp_string("no spam").unwrap();
    p.exp_string("accept these terms?").unwrap();
    p.exp_string("[Y/n]").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    p.send_line("y").unwrap();
    p.exp_string("Joined mix-net ptynet").unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(create.wait().unwrap().success());
    assert!(
        rest.iter().any(|l| l.contains("Created mix-net ptynet")),
        "{rest:?}"
    );
}
