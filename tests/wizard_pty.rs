//! The interactive wizards on a pseudo-terminal, read as a person would read
//! them: `wizard create` asks for the name and prints the invitation; `wizard
//! join` asks for the invitation, refuses a typo at once saying which half is
//! wrong and asks again, shows the terms and asks to accept them; a newcomer's
//! `wizard approve` and an owner's ask whether to co-sign a reconfiguration; a
//! newcomer's `wizard join-request` shows the terms, and once an owner approves
//! the request, the newcomer and the owners are asked to co-sign; an owner being
//! removed is told so, and the remaining owners are asked.
//! Every wait is bounded; the controller listens on 127.0.0.1 (a free port).
mod common;

use common::*;
use rexpect::session::PtySession;
use std::path::Path;
use std::time::Duration;

/// Bounded wait for each expected screen.
const TIMEOUT_MS: u64 = 60_000;

/// `panoramix args` on a pseudo-terminal.
fn pty(args: &str) -> PtySession {
    let cmd = format!("{BIN} --insecure-plaintext-keys {args}");
    rexpect::spawn(&cmd, Some(TIMEOUT_MS)).expect("spawn on a pty")
}

/// Answer a prompt once it is on the screen (its question and `[Y/n]` or `:`).
fn answer(p: &mut PtySession, question: &str, tail: &str, line: &str) {
    p.exp_string(question)
        .unwrap_or_else(|e| panic!("{question}: {e}"));
    p.exp_string(tail).unwrap();
    // the prompt reads the terminal once drawn
    std::thread::sleep(Duration::from_millis(200));
    p.send_line(line).unwrap();
}

fn cfg(dir: &Path, name: &str) -> String {
    dir.join(format!("{name}.json")).display().to_string()
}

#[test]
fn the_wizards_read_and_answered_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let url = &srv.url;
    let (c0, c1, c2) = (
        cfg(dir.path(), "coord"),
        cfg(dir.path(), "joiner"),
        cfg(dir.path(), "newcomer"),
    );
    // create: the name is asked for, the invitation printed
    let mut create = pty(&format!(
        "wizard create --url {url} --config {c0} --invitations 1 --size-min 1 --size-max 1 --terms be-kind"
    ));
    answer(&mut create, "mix-net name", ":", "ptyflow");
    let (_, invitation) = create
        .exp_regex(r"[A-Za-z0-9_-]+\|[0-9a-f]{32}")
        .expect("an invitation");
    // join: a typo in the invitation is refused at once and asked again
    let mut typo = invitation.clone();
    let last = typo.pop().unwrap();
    typo.push(if last == '0' { '1' } else { '0' });
    let mut join = pty(&format!("wizard join --url {url} --config {c1}"));
    answer(&mut join, "invitation", ":", &typo);
    join.exp_string("after `|`").unwrap();
    answer(&mut join, "invitation", ":", &invitation);
    join.exp_string("proposed by").unwrap();
    join.exp_string("be-kind").unwrap();
    answer(&mut join, "accept these terms?", "[Y/n]", "y");
    join.exp_string("Joined mix-net ptyflow").unwrap();
    join.exp_eof().unwrap();
    create.exp_string("Created mix-net ptyflow").unwrap();
    let (_, joint) = create.exp_regex(r"peers/[0-9a-f]{64}").unwrap();
    let joint = joint.trim_start_matches("peers/").to_owned();
    create.exp_eof().unwrap();
    // a newcomer reviews the running mix-net and its terms, and registers
    let mut newcomer = pty(&format!(
        "wizard approve --url {url} --config {c2} --mixnet {joint}"
    ));
    newcomer
        .exp_string("mix-net ptyflow (SPHINXMIX), owners:")
        .unwrap();
    answer(&mut newcomer, "accept these terms?", "[Y/n]", "y");
    let (_, id) = newcomer.exp_regex(r"registered as [0-9a-f]{64}").unwrap();
    let id = id.trim_start_matches("registered as ").to_owned();
    // the coordinator proposes to add it; the joiner and the newcomer are asked
    let reconfigure = spawn_cli(&[
        "wizard",
        "reconfigure",
        "--yes",
        "--url",
        url,
        "--config",
        &c0,
        "--new-name",
        "ptyflow2",
        "--add",
        &id,
        "--timeout",
        "60",
    ]);
    let mut owner = pty(&format!("wizard approve --url {url} --config {c1}"));
    owner.exp_string("proposed owners: ").unwrap();
    answer(&mut owner, "co-sign this reconfiguration?", "[Y/n]", "y");
    answer(&mut newcomer, "co-sign this reconfiguration?", "[Y/n]", "y");
    owner.exp_string("co-signed the reconfiguration").unwrap();
    newcomer
        .exp_string("co-signed the reconfiguration")
        .unwrap();
    newcomer
        .exp_string(&format!("Membership file: {c2}"))
        .unwrap();
    let out = reconfigure.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("successor mix-net"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let successor = stdout
        .split("successor mix-net ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_owned();
    // a newcomer asks to join from the mix-net's public page, reading its
    // owners and terms; an owner approves; everybody is asked to co-sign
    let c3 = cfg(dir.path(), "dave");
    let mut dave = pty(&format!(
        "wizard join-request --url {url} --config {c3} --mixnet {successor}"
    ));
    dave.exp_string("owners:").unwrap();
    answer(&mut dave, "accept these terms?", "[Y/n]", "y");
    dave.exp_regex(r"filed join request \S+ as [0-9a-f]{64}")
        .unwrap();
    let mut joiner = pty(&format!("wizard approve --url {url} --config {c1}"));
    let mut carol = pty(&format!("wizard approve --url {url} --config {c2}"));
    let approve = spawn_cli(&[
        "wizard",
        "approve-request",
        "--url",
        url,
        "--config",
        &c0,
        "--timeout",
        "60",
    ]);
    for p in [&mut dave, &mut joiner, &mut carol] {
        answer(p, "co-sign this reconfiguration?", "[Y/n]", "y");
    }
    dave.exp_string("Joined mix-net ptyflow2-g2").unwrap();
    let out = approve.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // the coordinator removes the first joiner: it is told, the others are asked
    let (_, st, _) = run_cli(
        &[
            "--insecure-plaintext-keys",
            "status",
            "--json",
            "--config",
            &c1,
        ],
        None,
    );
    let st: serde_json::Value = serde_json::from_str(&st).unwrap();
    let removed = st["peer"].as_str().unwrap().to_owned();
    let remove = spawn_cli(&[
        "wizard",
        "reconfigure",
        "--yes",
        "--url",
        url,
        "--config",
        &c0,
        "--new-name",
        "ptyflow3",
        "--remove",
        &removed,
        "--timeout",
        "60",
    ]);
    let mut told = pty(&format!("wizard approve --url {url} --config {c1}"));
    told.exp_string("being removed").unwrap();
    told.exp_eof().unwrap();
    let mut carol = pty(&format!("wizard approve --url {url} --config {c2}"));
    let mut dave = pty(&format!("wizard approve --url {url} --config {c3}"));
    for p in [&mut carol, &mut dave] {
        answer(p, "co-sign this reconfiguration?", "[Y/n]", "y");
        p.exp_string("co-signed the reconfiguration").unwrap();
    }
    let out = remove.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("successor mix-net"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// On a terminal, a `wizard create` whose set-up stops (nobody came in time)
/// says why and offers to start over; accepted, it hands out fresh invitations
/// and the set-up completes with them.
#[test]
fn an_interactive_create_that_stops_offers_to_start_over() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let url = &srv.url;
    let (c0, c1) = (cfg(dir.path(), "coord"), cfg(dir.path(), "joiner"));
    let invitation = r"[A-Za-z0-9_-]+\|[0-9a-f]{32}";
    let mut create = pty(&format!(
        "wizard create --url {url} --config {c0} --name again --invitations 1 --size-min 1 --size-max 1 --timeout 8"
    ));
    let (_, old) = create.exp_regex(invitation).unwrap();
    create.exp_string("the set-up stopped").unwrap();
    answer(
        &mut create,
        "start over with fresh invitations",
        "[y/N]",
        "y",
    );
    create.exp_string("abandoning negotiation").unwrap();
    let (_, fresh) = create.exp_regex(invitation).unwrap();
    assert_ne!(old, fresh);
    let join = spawn_cli(&[
        "wizard",
        "join",
        "--yes",
        "--url",
        url,
        "--invitation",
        &fresh,
        "--config",
        &c1,
    ]);
    create.exp_string("Created mix-net again").unwrap();
    let out = join.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
