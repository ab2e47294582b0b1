//! Changing a running mix-net's owners through the CLI (issue 17 findings 5
//! and 6): a dead owner removed by the two others, a single owner's forged
//! successor ignored, a signed join request refused, then one approved and
//! the newcomer contributing to the successor's first cycle.
mod common;

use common::mixnet::{Contributor, run_agents, setup_mixnet, spec, wait};
use common::*;
use panoramix_mixnet::mixnet::Reconfiguration;
use panoramix_mixnet::sender::Sender;
use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(120);

/// A membership file for contributor `c` of the mix-net `joint`.
fn config(dir: &Path, name: &str, srv: &TestServer, c: &Contributor, joint: &str) -> PathBuf {
    let path = dir.join(format!("{name}.json"));
    let mut m = serde_json::Map::new();
    for (k, v) in [
        ("KEY", json!(c.secret)),
        ("MIX_KEY", json!(c.mix.clone().unwrap())),
        ("BACKEND", json!("SPHINXMIX")),
        ("CATALOG_URL", json!(srv.url)),
        ("MIXNET", json!(joint)),
    ] {
        m.insert(k.into(), json!({"value": v, "title": k, "description": k}));
    }
    std::fs::write(&path, Json::Object(m).to_string()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    path
}

fn cli(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["--insecure-plaintext-keys"];
    all.extend_from_slice(args);
    run_cli(&all, None)
}

fn status(cfg: &Path) -> Json {
    let (code, out, err) = cli(&["status", "--json", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    serde_json::from_str(out.trim()).unwrap()
}

fn status_text(cfg: &Path) -> String {
    let (code, out, err) = cli(&["status", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    out
}

fn finished(p: Child) -> (i32, String, String) {
    let out = p.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Send `n` messages to cycle 1 of `joint` and return the mixed outputs.
fn one_cycle(srv: &TestServer, joint: &str, n: usize) -> Vec<String> {
    let sender = Sender::new(srv.client(), joint).unwrap();
    wait("the entry endpoint", LONG, || {
        sender.is_open(1).then_some(())
    });
    let msgs: Vec<String> = (0..n).map(|i| format!("message {i}")).collect();
    for m in &msgs {
        sender.send(1, "bob", m.as_bytes()).unwrap();
    }
    let out = wait("the cycle's output", LONG, || sender.results(1).unwrap());
    let mut got: Vec<String> = out
        .into_iter()
        .map(|(_, m)| String::from_utf8(m).unwrap())
        .collect();
    got.sort();
    assert_eq!(got, msgs);
    got
}

#[test]
fn a_dead_owner_is_removed_by_the_two_others_and_cycles_continue_on_the_successor() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cs: Vec<Contributor> = (0..3).map(|_| Contributor::new("SPHINXMIX")).collect();
    // the rule agreed at creation: the default signers, a cycle in progress
    // abandoned 1 s after a removal is agreed
    let mut s = spec("SPHINXMIX", "dead1", 2);
    s.reconfiguration = Some(Reconfiguration {
        grace: Some(1),
        ..Reconfiguration::default()
    });
    let joint = setup_mixnet(&srv, &cs, &s);
    let ids: Vec<String> = cs.iter().map(|c| c.client(&srv).id()).collect();
    let cfgs: Vec<PathBuf> = (0..3)
        .map(|i| config(dir.path(), &format!("c{i}"), &srv, &cs[i], &joint))
        .collect();
    let arg = |i: usize| cfgs[i].to_str().unwrap().to_owned();
    // owner 2 never runs; owner 1 (not the first) proposes to remove it
    let reconf = spawn_cli(&[
        "wizard",
        "reconfigure",
        "--yes",
        "--timeout",
        "120",
        "--new-name",
        "dead2",
        "--remove",
        &ids[2],
        "--config",
        &arg(1),
    ]);
    // the removed owner is warned, not asked to sign
    let st = wait("the removal proposal", LONG, || {
        let st = status(&cfgs[2]);
        (st["membership"]["removed_by"] == json!([ids[1]])).then_some(st)
    });
    assert_eq!(st["membership"]["proposals"][0]["waiting"], json!([ids[0]]));
    let text = status_text(&cfgs[2]);
    assert!(
        text.contains(&format!("you are being removed by {}", ids[1])),
        "{text}"
    );
    // its agent, run for a moment, says so too
    let log = run_agents(&srv, &cs[2..], &joint, 1, &[], Duration::from_secs(2))
        .join()
        .unwrap()
        .concat()
        .join("\n");
    let said = format!("this contributor is being removed by {}", ids[1]);
    assert_eq!(log.matches(&said).count(), 1, "{log}");
    let (code, out, err) = cli(&["wizard", "approve", "--yes", "--config", &arg(2)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("being removed") && out.contains("nothing to co-sign"),
        "{out}"
    );
    // the other remaining owner co-signs: agreed without the removed owner's signature
    let (code, out, err) = cli(&["wizard", "approve", "--yes", "--config", &arg(0)]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = finished(reconf);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("successor mix-net"), "{out}");
    let st = status(&cfgs[0]);
    assert_eq!(st["mixnet"]["name"], "dead2", "{st}");
    assert_eq!(st["mixnet"]["owners"], 2, "{st}");
    let next = st["mixnet"]["id"].as_str().unwrap().to_owned();
    // the old mix-net's first cycle could not complete: the agents abandon it
    // and run the successor's
    let agents = run_agents(&srv, &cs[..2], &joint, 1, &[], LONG);
    one_cycle(&srv, &next, 2);
    for log in agents.join().unwrap() {
        let log = log.join("\n");
        assert!(log.contains("cycle 1 abandoned"), "{log}");
        assert!(
            log.contains(&format!("continuing with the successor mix-net {next}")),
            "{log}"
        );
    }
}

#[test]
fn a_single_owners_forged_successor_is_ignored_by_the_others_and_by_status() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cs: Vec<Contributor> = (0..3).map(|_| Contributor::new("SPHINXMIX")).collect();
    let s = spec("SPHINXMIX", "forge1", 2);
    let joint = setup_mixnet(&srv, &cs, &s);
    let c0 = cs[0].client(&srv);
    // owner 0 alone agrees on a successor it alone owns, and creates it
    let mut forged = s.clone();
    forged.name = "forged".into();
    forged.previous = Some(joint.clone());
    let a = c0.joint_peer_action("forged", &[c0.id()], "SPHINXMIX", json!(forged));
    let cid = c0
        .self_consensus(&format!("successor:{joint}"), std::slice::from_ref(&a))
        .unwrap();
    c0.apply(&a, &cid, None).unwrap();
    let fake = a.data["peer_id"].as_str().unwrap().to_owned();
    assert!(srv.client().peer(&fake).is_ok());
    // nobody follows it: not the library, not status
    for c in &cs {
        let client = c.client(&srv);
        assert_eq!(
            panoramix_mixnet::setup::current(&client, &joint).unwrap(),
            joint
        );
    }
    let cfg1 = config(dir.path(), "c1", &srv, &cs[1], &joint);
    let st = status(&cfg1);
    assert_eq!(st["mixnet"]["id"], json!(joint), "{st}");
    assert!(st.get("configured").is_none(), "{st}");
    let reason = st["membership"]["ignored"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("only 1 of the 3 owners would remain"),
        "{st}"
    );
    let text = status_text(&cfg1);
    assert!(text.contains("ignored successor agreement"), "{text}");
    // the agents run their cycle on the mix-net they agreed on
    let agents = run_agents(&srv, &cs, &joint, 1, &[], LONG);
    one_cycle(&srv, &joint, 2);
    for log in agents.join().unwrap() {
        let log = log.join("\n");
        assert!(
            !log.contains("successor") && !log.contains("abandoned") && !log.contains("left"),
            "{log}"
        );
    }
}

/// `wizard join-request` for a newcomer with membership file `cfg`.
fn join_request(srv: &TestServer, joint: &str, cfg: &Path) -> Child {
    spawn_cli(&[
        "wizard",
        "join-request",
        "--yes",
        "--accept-terms",
        "--timeout",
        "120",
        "--url",
        &srv.url,
        "--mixnet",
        joint,
        "--config",
        cfg.to_str().unwrap(),
    ])
}

/// The peer whose join request the owner with `cfg` sees next to `skip`.
fn requester(cfg: &Path, skip: &[String]) -> String {
    wait("a join request in status", LONG, || {
        let st = status(cfg);
        st["membership"]["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["peer"].as_str().unwrap().to_owned())
            .find(|p| !skip.contains(p))
    })
}

#[test]
fn a_join_request_is_refused_or_approved_and_the_newcomer_contributes() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cs: Vec<Contributor> = (0..2).map(|_| Contributor::new("SPHINXMIX")).collect();
    let joint = setup_mixnet(&srv, &cs, &spec("SPHINXMIX", "open1", 2));
    let cfgs: Vec<PathBuf> = (0..2)
        .map(|i| config(dir.path(), &format!("c{i}"), &srv, &cs[i], &joint))
        .collect();
    let arg = |i: usize| cfgs[i].to_str().unwrap().to_owned();
    // a first newcomer is refused, and told by whom and why
    let refused_cfg = dir.path().join("refused.json");
    let refused = join_request(&srv, &joint, &refused_cfg);
    let peer = requester(&cfgs[0], &[]);
    let text = status_text(&cfgs[1]);
    assert!(
        text.contains(&format!("join request from {peer}")) && text.contains("pending"),
        "{text}"
    );
    let (code, out, err) = cli(&[
        "wizard",
        "refuse-request",
        "--peer",
        &peer,
        "--reason",
        "no room",
        "--config",
        &arg(0),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let id0 = cs[0].client(&srv).id();
    let (code, out, err) = finished(refused);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains(&format!("refused by {id0}: no room")), "{err}");
    // its status says so too
    let st = status(&refused_cfg);
    assert_eq!(st["membership"]["requests"][0]["state"], "refused", "{st}");
    // a second newcomer is approved by owner 1 and co-signed by owner 0
    let new_cfg = dir.path().join("newcomer.json");
    let newcomer = join_request(&srv, &joint, &new_cfg);
    let peer = requester(&cfgs[0], &[peer]);
    let approver = spawn_cli(&[
        "wizard",
        "approve-request",
        "--yes",
        "--timeout",
        "120",
        "--config",
        &arg(1),
    ]);
    let (code, out, err) = cli(&[
        "wizard",
        "approve",
        "--yes",
        "--timeout",
        "120",
        "--config",
        &arg(0),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    for p in [approver, newcomer] {
        let (code, out, err) = finished(p);
        assert_eq!(code, 0, "{out}{err}");
    }
    // the newcomer's membership file names the successor; its agreement is kept
    let conf: Json = serde_json::from_str(&std::fs::read_to_string(&new_cfg).unwrap()).unwrap();
    let next = conf["MIXNET"]["value"].as_str().unwrap().to_owned();
    let owners = srv.client().peer(&next).unwrap().owner_ids();
    assert_eq!(owners.len(), 3);
    assert_eq!(owners[2], peer);
    let agreement = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .any(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.starts_with("newcomer.successor") && n.ends_with(".agreement.json")
        });
    assert!(agreement, "no agreement beside {}", new_cfg.display());
    // all three contribute to the successor's first cycle
    let contribs: Vec<Child> = [arg(0), arg(1), new_cfg.to_str().unwrap().to_owned()]
        .iter()
        .map(|c| {
            spawn_cli(&[
                "contribute",
                "--cycles",
                "1",
                "--poll-ms",
                "50",
                "--config",
                c,
            ])
        })
        .collect();
    one_cycle(&srv, &next, 2);
    for p in contribs {
        let (code, out, err) = finished(p);
        assert_eq!(code, 0, "{out}{err}");
    }
}

#[test]
fn a_newcomer_reads_and_answers_the_join_request_wizard_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cs: Vec<Contributor> = (0..2).map(|_| Contributor::new("SPHINXMIX")).collect();
    let joint = setup_mixnet(&srv, &cs, &spec("SPHINXMIX", "pty1", 2));
    let cfgs: Vec<PathBuf> = (0..2)
        .map(|i| config(dir.path(), &format!("c{i}"), &srv, &cs[i], &joint))
        .collect();
    let new_cfg = dir.path().join("newcomer.json");
    let cmd = format!(
        "{BIN} --insecure-plaintext-keys wizard join-request --url {} --mixnet {joint} --config {}",
        srv.url,
        new_cfg.display()
    );
    let mut p = rexpect::spawn(&cmd, Some(60_000)).unwrap();
    p.exp_string("mix-net pty1 (SPHINXMIX").unwrap();
    p.exp_string("test terms").unwrap();
    p.exp_string("accept these terms?").unwrap();
    p.exp_string("[Y/n]").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    p.send_line("y").unwrap();
    p.exp_string("filed join request").unwrap();
    let approver = spawn_cli(&[
        "wizard",
        "approve-request",
        "--yes",
        "--timeout",
        "60",
        "--config",
        cfgs[0].to_str().unwrap(),
    ]);
    let owner = spawn_cli(&[
        "wizard",
        "approve",
        "--yes",
        "--timeout",
        "60",
        "--config",
        cfgs[1].to_str().unwrap(),
    ]);
    p.exp_string("co-sign this reconfiguration?").unwrap();
    p.exp_string("[Y/n]").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    p.send_line("y").unwrap();
    p.exp_string("Joined mix-net pty1-g2").unwrap();
    for c in [approver, owner] {
        let (code, out, err) = finished(c);
        assert_eq!(code, 0, "{out}{err}");
    }
}
