//! Wizards that forgive mistakes (issue 17, findings 1 and 2): an invitation
//! typo is refused at once on the joiner's side and the set-up completes with
//! the right one; a bogus answer does not stop the coordinator; a set-up that
//! cannot complete is resumed or started over with `--restart`; one membership
//! file per mix-net membership, never overwritten, two contributors on one
//! machine each with its own.
mod common;

use common::*;
use panoramix_core::canonical::Value;
use panoramix_core::negotiation::Text;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// `panoramix args` with plaintext keys and `XDG_CONFIG_HOME=home` (a machine's
/// configuration directory), output piped.
fn spawn_in(home: &Path, args: &[&str]) -> Child {
    Command::new(BIN)
        .env("PANORAMIX_INSECURE_PLAINTEXT_KEYS", "1")
        .env("XDG_CONFIG_HOME", home)
        .env_remove("PANORAMIX_CONFIG")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Exit code, stdout and stderr of `panoramix args` run in `home`.
fn run_in(home: &Path, args: &[&str]) -> (i32, String, String) {
    let out = spawn_in(home, args).wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The first `n` invitations a `wizard create` prints.
fn invitations(out: &mut std::io::Lines<BufReader<ChildStdout>>, n: usize) -> Vec<String> {
    let mut v = Vec::new();
    while v.len() < n {
        let l = out.next().expect("an invitation").unwrap();
        if l.contains('|') {
            v.push(l.trim().to_owned());
        }
    }
    v
}

/// The rest of a child's stdout and stderr once it exited, and its status.
fn finish(mut c: Child, out: std::io::Lines<BufReader<ChildStdout>>) -> (bool, String, String) {
    let rest: Vec<String> = out.map_while(Result::ok).collect();
    let mut err = String::new();
    c.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (c.wait().unwrap().success(), rest.join("\n"), err)
}

fn join_args<'a>(url: &'a str, inv: &'a str) -> Vec<&'a str> {
    vec![
        "wizard",
        "join",
        "--yes",
        "--accept-terms",
        "--url",
        url,
        "--invitation",
        inv,
    ]
}

#[test]
fn an_invitation_typo_is_refused_at_once_and_a_bogus_answer_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let c = |i: usize| dir.path().join(format!("c{i}.json"));
    let c0 = c(0).display().to_string();
    let mut create = spawn_in(
        dir.path(),
        &[
            "wizard",
            "create",
            "--yes",
            "--url",
            &srv.url,
            "--name",
            "typo",
            "--invitations",
            "2",
            "--size-min",
            "2",
            "--size-max",
            "2",
            "--timeout",
            "120",
            "--config",
            &c0,
        ],
    );
    let mut out = BufReader::new(create.stdout.take().unwrap()).lines();
    let invs = invitations(&mut out, 2);
    let (neg, inv) = invs[0].split_once('|').unwrap();
    // typos on each side of `|`: refused at once, naming the wrong half, nothing stored
    let c1 = c(1).display().to_string();
    let typos = [
        (format!("x{neg}|{inv}"), "before `|`"),
        (format!("{neg}|{inv}0"), "after `|`"),
        (format!("{neg}{inv}"), "<negotiation_id>|<invitation_id>"),
    ];
    for (typo, says) in &typos {
        let t = Instant::now();
        let mut args = join_args(&srv.url, typo);
        args.extend(["--config", &c1]);
        let (code, _, err) = run_in(dir.path(), &args);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(says), "{typo}: {err}");
        assert!(t.elapsed() < Duration::from_secs(20), "refused at once");
        assert!(!c(1).exists(), "a refused invitation stores nothing");
    }
    // a bogus signer answers the open proposal with an invalid invitation
    let bogus = peer(&srv, "bogus");
    let mut meta = std::collections::BTreeMap::new();
    meta.insert("accept".into(), Value::Int(0));
    meta.insert("invitation_id".into(), Value::str("not-an-invitation"));
    bogus
        .contribute(neg, &Text::encode(Value::str("spec"), meta))
        .unwrap();
    // status counts only valid answers and names the ignored one
    let (code, sout, err) = run_in(dir.path(), &["status", "--config", &c0]);
    assert_eq!(code, 0, "{err}");
    assert!(sout.contains("joined: 1/3"), "{sout}");
    assert!(
        sout.contains(&format!("ignored the answer of {}", bogus.id())),
        "{sout}"
    );
    // the right invitations: the set-up completes without the bogus signer
    let joins: Vec<Child> = invs
        .iter()
        .enumerate()
        .map(|(i, inv)| {
            let cfg = c(i + 1).display().to_string();
            let mut args = join_args(&srv.url, inv);
            args.extend(["--config", &cfg, "--timeout", "120"]);
            spawn_in(dir.path(), &args)
        })
        .collect();
    for j in joins {
        let o = j.wait_with_output().unwrap();
        let (out, err) = (
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr),
        );
        assert!(o.status.success(), "{err}");
        assert!(out.contains("Joined mix-net typo"), "{out}");
    }
    let (ok, rest, err) = finish(create, out);
    assert!(ok, "{err}");
    assert!(rest.contains("Created mix-net typo"), "{rest}");
    assert!(
        err.contains(&format!("ignored the answer of {}", bogus.id())),
        "{err}"
    );
    let conf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(c(0)).unwrap()).unwrap();
    let joint = conf["MIXNET"]["value"].as_str().unwrap();
    let owners = srv.client().peer(joint).unwrap().owner_ids();
    assert_eq!(owners.len(), 3);
    assert!(!owners.contains(&bogus.id()));
}

#[test]
fn an_interrupted_create_resumes_or_restarts_with_fresh_invitations() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let c0 = dir.path().join("c0.json").display().to_string();
    let create = |extra: &[&str], timeout: &str| {
        let mut args = vec![
            "wizard",
            "create",
            "--yes",
            "--url",
            &srv.url,
            "--name",
            "again",
            "--invitations",
            "1",
            "--size-min",
            "1",
            "--size-max",
            "1",
            "--timeout",
            timeout,
            "--config",
            &c0,
        ];
        args.extend(extra);
        let mut ch = spawn_in(dir.path(), &args);
        let mut out = BufReader::new(ch.stdout.take().unwrap()).lines();
        let invs = invitations(&mut out, 1);
        (ch, out, invs)
    };
    // nobody joins: the wizard gives up and says how to go on
    let (ch, out, first) = create(&[], "2");
    let (ok, _, err) = finish(ch, out);
    assert!(!ok);
    assert!(err.contains("--restart") && err.contains(&c0), "{err}");
    // a re-run resumes the same negotiation and invitations
    let (ch, out, again) = create(&[], "2");
    assert_eq!(again, first);
    assert!(!finish(ch, out).0);
    // --restart abandons it: fresh invitations, and the set-up completes with them
    let (ch, out, fresh) = create(&["--restart"], "120");
    assert_ne!(fresh, first);
    let c1 = dir.path().join("c1.json").display().to_string();
    // a joiner who answered the abandoned negotiation takes the new invitation
    let mut args = join_args(&srv.url, &first[0]);
    args.extend(["--config", &c1, "--timeout", "2"]);
    let (code, _, err) = run_in(dir.path(), &args);
    assert_ne!(code, 0, "nobody proposes the abandoned mix-net: {err}");
    assert!(err.contains("--invitation"), "{err}");
    let mut args = join_args(&srv.url, &fresh[0]);
    args.extend(["--config", &c1]);
    let (code, _, err) = run_in(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    let (ok, rest, err) = finish(ch, out);
    assert!(
        ok && rest.contains("Created mix-net again"),
        "{rest}\n{err}"
    );
    assert!(err.contains("abandoning negotiation"), "{err}");
}

#[test]
fn one_membership_file_each_never_overwritten_two_contributors_on_one_machine() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let srv = TestServer::start(dir.path());
    // the coordinator and a joiner on the same machine, neither passing --config
    let mut create = spawn_in(
        &home,
        &[
            "wizard",
            "create",
            "--yes",
            "--url",
            &srv.url,
            "--name",
            "one",
            "--invitations",
            "1",
            "--size-min",
            "1",
            "--size-max",
            "1",
            "--timeout",
            "120",
        ],
    );
    let mut out = BufReader::new(create.stdout.take().unwrap()).lines();
    let invs = invitations(&mut out, 1);
    let (code, jout, err) = run_in(&home, &join_args(&srv.url, &invs[0]));
    assert_eq!(code, 0, "{err}");
    let mine = home.join("panoramix").join("one.json");
    let theirs = home.join("panoramix").join("one-2.json");
    assert!(
        jout.contains(&format!("Membership file: {}", theirs.display())),
        "{jout}"
    );
    let (ok, rest, err) = finish(create, out);
    assert!(ok, "{err}");
    assert!(
        rest.contains(&format!("Membership file: {}", mine.display())),
        "{rest}"
    );
    let read = |p: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    assert_ne!(read(&mine)["KEY"], read(&theirs)["KEY"], "two identities");
    assert_eq!(read(&mine)["MIXNET"], read(&theirs)["MIXNET"]);
    // without --config, a command that uses a membership says which to pass
    let (code, _, err) = run_in(&home, &["status"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("several mix-net memberships") && err.contains("one-2.json"),
        "{err}"
    );
    let (code, sout, err) = run_in(&home, &["status", "--config", mine.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        sout.contains(&format!("membership: {}", mine.display())),
        "{sout}"
    );
    // a second create never overwrites a live membership
    let before = std::fs::read(&mine).unwrap();
    for args in [
        vec![
            "--name",
            "vote",
            "--backend",
            "ZEUS",
            "--config",
            mine.to_str().unwrap(),
        ],
        vec!["--name", "one", "--restart"],
    ] {
        let mut all = vec!["wizard", "create", "--yes", "--url", &srv.url];
        all.extend(args);
        let (code, _, err) = run_in(&home, &all);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains(&mine.display().to_string()) && err.contains("--config"),
            "{err}"
        );
        assert_eq!(std::fs::read(&mine).unwrap(), before);
    }
    // nor does a newcomer's approve of another mix-net given a live file
    let mut create = spawn_in(
        &home,
        &[
            "wizard",
            "create",
            "--yes",
            "--url",
            &srv.url,
            "--name",
            "two",
            "--invitations",
            "1",
            "--size-min",
            "1",
            "--size-max",
            "1",
            "--timeout",
            "120",
        ],
    );
    let mut out = BufReader::new(create.stdout.take().unwrap()).lines();
    let invs = invitations(&mut out, 1);
    let (code, _, err) = run_in(&home, &join_args(&srv.url, &invs[0]));
    assert_eq!(code, 0, "{err}");
    let (ok, _, err) = finish(create, out);
    assert!(ok, "{err}");
    let two = read(&home.join("panoramix").join("two.json"))["MIXNET"]["value"].clone();
    let (code, _, err) = run_in(
        &home,
        &[
            "wizard",
            "approve",
            "--yes",
            "--accept-terms",
            "--url",
            &srv.url,
            "--mixnet",
            two.as_str().unwrap(),
            "--config",
            mine.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&mine.display().to_string()) && err.contains("--config"),
        "{err}"
    );
    assert_eq!(std::fs::read(&mine).unwrap(), before);
    // every command that uses a membership names the file in its help
    for cmd in [
        &["status"][..],
        &["doctor"],
        &["contribute"],
        &["wizard", "create"],
        &["wizard", "join"],
        &["wizard", "reconfigure"],
        &["wizard", "approve"],
    ] {
        let mut args = cmd.to_vec();
        args.push("--help");
        let (code, help, _) = run_in(&home, &args);
        assert_eq!(code, 0);
        assert!(
            help.contains("one per mix-net membership"),
            "{cmd:?}: {help}"
        );
    }
}

#[test]
fn a_set_up_stuck_at_the_joint_peer_restarts_and_its_joiners_rejoin() {
    use common::mixnet::Contributor;
    use panoramix_mixnet::setup;
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let c = |i: usize| dir.path().join(format!("s{i}.json")).display().to_string();
    let (c0, c1, c2) = (c(0), c(1), c(2));
    let create = |extra: &[&str], timeout: &str| {
        let mut args = vec![
            "wizard",
            "create",
            "--yes",
            "--url",
            &srv.url,
            "--name",
            "stuck",
            "--invitations",
            "2",
            "--size-min",
            "1",
            "--size-max",
            "1",
            "--timeout",
            timeout,
            "--config",
            &c0,
        ];
        args.extend(extra);
        let mut ch = spawn_in(dir.path(), &args);
        let mut out = BufReader::new(ch.stdout.take().unwrap()).lines();
        let invs = invitations(&mut out, 2);
        (ch, out, invs)
    };
    let join = |inv: &str, cfg: &str, timeout: &str| {
        let mut args = join_args(&srv.url, inv);
        args.extend(["--config", cfg, "--timeout", timeout]);
        spawn_in(dir.path(), &args)
    };
    let (ch, out, old) = create(&[], "6");
    // one joiner joins and co-signs; another answers with a valid invitation and vanishes
    let first = join(&old[0], &c1, "6");
    let ghost = Contributor::new("SPHINXMIX");
    let gc = ghost.client(&srv);
    setup::register(&gc, "ghost", "SPHINXMIX", &ghost.secrets()).unwrap();
    let (spec, _) = setup::proposal(&gc, &old[1]).unwrap();
    setup::join(&gc, &old[1], &spec).unwrap();
    let (ok, _, err) = finish(ch, out);
    assert!(!ok, "nobody creates a joint peer the ghost never signs");
    assert!(err.contains("--restart"), "{err}");
    assert!(!first.wait_with_output().unwrap().status.success());
    // the coordinator starts over; the joiner takes the new invitation, another joins
    let (ch, out, fresh) = create(&["--restart"], "120");
    assert_ne!(fresh, old);
    let joins = [join(&fresh[0], &c1, "120"), join(&fresh[1], &c2, "120")];
    for j in joins {
        let o = j.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (ok, rest, err) = finish(ch, out);
    assert!(
        ok && rest.contains("Created mix-net stuck"),
        "{rest}\n{err}"
    );
    let conf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&c1).unwrap()).unwrap();
    let joint = conf["MIXNET"]["value"].as_str().unwrap();
    let owners = srv.client().peer(joint).unwrap().owner_ids();
    assert_eq!(owners.len(), 3);
    assert!(!owners.contains(&gc.id()));
}

/// `wizard create --reconfiguration-signers all`: the rule is part of the
/// proposal, a joiner is asked to accept it (refused without `--yes` off a
/// terminal, nothing stored), and `status` shows it once the mix-net exists.
#[test]
fn a_reconfiguration_rule_other_than_the_default_is_put_to_joiners() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let c = |i: usize| dir.path().join(format!("r{i}.json"));
    let (c0, c1) = (c(0).display().to_string(), c(1).display().to_string());
    let mut create = spawn_in(
        dir.path(),
        &[
            "wizard",
            "create",
            "--yes",
            "--url",
            &srv.url,
            "--name",
            "rule",
            "--invitations",
            "1",
            "--reconfiguration-signers",
            "all",
            "--reconfiguration-grace",
            "60",
            "--timeout",
            "120",
            "--config",
            &c0,
        ],
    );
    let mut out = BufReader::new(create.stdout.take().unwrap()).lines();
    let inv = invitations(&mut out, 1).remove(0);
    let mut args = join_args(&srv.url, &inv);
    args.retain(|a| *a != "--yes");
    args.extend(["--config", &c1]);
    let (code, _, err) = run_in(dir.path(), &args);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("signatures of all owners, removed ones included")
            && err.contains("60 s after a removal")
            && err.contains("rerun with --yes"),
        "{err}"
    );
    assert!(!c(1).exists(), "a refused proposal stores nothing");
    let mut args = join_args(&srv.url, &inv);
    args.extend(["--config", &c1, "--timeout", "120"]);
    let (code, _, err) = run_in(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    let (ok, _, err) = finish(create, out);
    assert!(ok, "{err}");
    let (code, sout, err) = run_in(dir.path(), &["status", "--config", &c1]);
    assert_eq!(code, 0, "{err}");
    assert!(
        sout.contains("a successor needs the signatures of all 2 owners, removed ones included"),
        "{sout}"
    );
}
