//! The seed's end-to-end random-input test (§4.2) over the real HTTP server: three
//! contributors set a mix-net up through negotiations, clients send encrypted
//! messages, the contributor agents process several cycles; the output is not in
//! input order and, sorted, equals the sorted input. A mix-net with `close_after`
//! closes its cycles by time as well as by count.
mod common;

use common::mixnet::*;
use common::*;
use panoramix_mixnet::sender::Sender;
use rand_core::RngCore;
use std::time::Duration;

fn random_messages(n: usize, len: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let mut b = vec![0u8; len / 2];
            rand_core::OsRng.fill_bytes(&mut b);
            format!("{i:04}-{}", hex::encode(b)).into_bytes()
        })
        .collect()
}

fn run(backend: &str, contributors: usize, cycles: u64, per_cycle: usize, msg_len: usize) {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cs: Vec<Contributor> = (0..contributors)
        .map(|_| Contributor::new(backend))
        .collect();
    let spec = spec(
        backend,
        &format!("{}net", backend.to_lowercase()),
        per_cycle as i64,
    );
    let joint = setup_mixnet(&srv, &cs, &spec);
    let agents = run_agents(&srv, &cs, &joint, cycles, &[], Duration::from_secs(120));
    let sender = Sender::new(srv.client(), &joint).unwrap();
    for cycle in 1..=cycles {
        wait("the entry endpoint", Duration::from_secs(60), || {
            sender.is_open(cycle).then_some(())
        });
        let msgs = random_messages(per_cycle, msg_len);
        for m in &msgs {
            sender.send(cycle, "bob", m).unwrap();
        }
        let out = wait("the cycle's output", Duration::from_secs(90), || {
            sender.results(cycle).unwrap()
        });
        let got: Vec<Vec<u8>> = out.iter().map(|(_, m)| m.clone()).collect();
        assert_ne!(got, msgs, "cycle {cycle}: the output is in input order");
        let (mut a, mut b) = (got.clone(), msgs.clone());
        a.sort();
        b.sort();
        assert_eq!(a, b, "cycle {cycle}: output and input differ as sets");
        if backend == "SPHINXMIX" {
            assert!(out.iter().all(|(r, _)| r == "bob"));
        }
    }
    let logs = agents.join().unwrap();
    for l in &logs {
        assert!(!l.iter().any(|e| e.starts_with("REFUSED")), "{l:#?}");
        // a long-running agent keeps nothing of its completed cycles in memory
        let kept = l
            .iter()
            .find_map(|e| e.strip_prefix("remembered: "))
            .unwrap_or_else(|| panic!("the agent did not finish: {l:#?}"));
        let last = format!("-{cycles}-");
        assert!(
            kept.split(' ')
                .filter(|id| !id.is_empty())
                .all(|id| id.contains(&last)),
            "the agent still holds endpoints of completed cycles: {kept}"
        );
        if cycles > 1 {
            assert!(!kept.is_empty(), "nothing remembered of the last cycle");
        }
    }
    // every mix took its input over inside the controller (docs/protocol.md §5.9)
    let (records, _) = srv.client().audit_log().unwrap();
    let takeovers = records
        .iter()
        .filter(|r| r.entry.contains("takeover.create"))
        .count();
    assert!(
        takeovers >= cycles as usize * contributors,
        "{takeovers} take-overs for {cycles} cycles of {contributors} mixes"
    );
    let (code, out, err) = run_cli(&["audit", "verify", &srv.url], None);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn sphinx_three_contributors_three_cycles() {
    run("SPHINXMIX", 3, 3, 20, 200);
}

#[test]
fn sphinx_five_hops() {
    run("SPHINXMIX", 5, 1, 10, 100);
}

#[test]
fn zeus_three_trustees_two_elections() {
    run("ZEUS", 3, 2, 15, 20);
}

#[test]
fn local_agent_encrypts_sends_and_returns_the_output() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cs: Vec<Contributor> = (0..3).map(|_| Contributor::new("SPHINXMIX")).collect();
    let spec = spec("SPHINXMIX", "agentnet", 4);
    let joint = setup_mixnet(&srv, &cs, &spec);
    let agents = run_agents(&srv, &cs, &joint, 1, &[], Duration::from_secs(60));
    let mut child = Command::new(BIN)
        .args([
            "agent",
            "--url",
            &srv.url,
            "--mixnet",
            &joint,
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let line = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .next()
        .unwrap()
        .unwrap();
    let url = line
        .strip_prefix("panoramix agent: listening on ")
        .unwrap()
        .to_owned();
    let http = panoramix_client::agent();
    wait("the first cycle", Duration::from_secs(30), || {
        Sender::new(srv.client(), &joint)
            .unwrap()
            .is_open(1)
            .then_some(())
    });
    let msgs = ["one", "two", "three", "four"];
    for m in msgs {
        let r: serde_json::Value = http
            .post(&format!("{url}/send"))
            .send_json(serde_json::json!({"recipient": "bob", "message": m}))
            .unwrap()
            .into_json()
            .unwrap();
        assert_eq!(r["cycle"], 1);
    }
    let e = http
        .post(&format!("{url}/send"))
        .send_string("not json")
        .unwrap_err();
    assert!(matches!(e, ureq::Error::Status(400, _)), "{e:?}");
    let got = wait("the output", Duration::from_secs(60), || {
        match http
            .get(&format!("{url}/received?cycle=1&recipient=bob"))
            .call()
        {
            Ok(r) => Some(r.into_json::<serde_json::Value>().unwrap()),
            Err(_) => None,
        }
    });
    let mut out: Vec<String> = got["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message"].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    let mut want: Vec<String> = msgs.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(out, want);
    let _ = child.kill();
    let _ = child.wait();
    agents.join().unwrap();
}

/// Reconfiguration at runtime (seed §2.2.2): the owners agree to add a peer and
/// remove one; the change takes effect from the next cycle.
#[test]
fn reconfiguration_adds_and_removes_a_contributor_from_the_next_cycle() {
    use panoramix_mixnet::setup;
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cs: Vec<Contributor> = (0..4).map(|_| Contributor::new("SPHINXMIX")).collect();
    let first = spec("SPHINXMIX", "gen1", 5);
    let a = setup_mixnet(&srv, &cs[..3], &first);
    let newcomer = cs[3].client(&srv);
    setup::register(&newcomer, "newcomer", "SPHINXMIX", &cs[3].secrets()).unwrap();
    let ids: Vec<String> = cs.iter().map(|c| c.client(&srv).id()).collect();
    // before cycle 1 completes, the owners agree on a successor: 0, 1 and the newcomer
    let new_owners = vec![ids[0].clone(), ids[1].clone(), ids[3].clone()];
    setup::propose_successor(&cs[0].client(&srv), &a, &new_owners, "gen2").unwrap();
    let mut b_id = None;
    for c in [&cs[1], &cs[2], &cs[3]] {
        b_id = setup::confirm_successor(&c.client(&srv), &a, &|o: &[String]| o.len() == 3).unwrap();
    }
    let b_id = b_id.expect("successor id");
    let old = run_agents(&srv, &cs[..3], &a, 2, &[], Duration::from_secs(90));
    let sender = Sender::new(srv.client(), &a).unwrap();
    wait("cycle 1", Duration::from_secs(30), || {
        sender.is_open(1).then_some(())
    });
    for i in 0..5 {
        sender
            .send(1, "bob", format!("old {i}").as_bytes())
            .unwrap();
    }
    let out = wait("cycle 1 output", Duration::from_secs(60), || {
        sender.results(1).unwrap()
    });
    assert_eq!(out.len(), 5);
    // the successor exists once the owners moved on; the newcomer's agent joins it
    let current = wait("the successor", Duration::from_secs(30), || {
        let c = setup::current(&srv.client(), &a).unwrap();
        (c != a).then_some(c)
    });
    assert_eq!(current, b_id);
    let b = srv.client().peer(&b_id).unwrap();
    assert_eq!(b.owner_ids(), new_owners);
    let newcomer_agent = run_agents(&srv, &cs[3..], &b_id, 1, &[], Duration::from_secs(60));
    let sender2 = Sender::new(srv.client(), &b_id).unwrap();
    wait(
        "the successor's first cycle",
        Duration::from_secs(30),
        || sender2.is_open(1).then_some(()),
    );
    let msgs: Vec<String> = (0..5).map(|i| format!("new {i}")).collect();
    for m in &msgs {
        sender2.send(1, "bob", m.as_bytes()).unwrap();
    }
    let out = wait("the successor's output", Duration::from_secs(60), || {
        sender2.results(1).unwrap()
    });
    let mut got: Vec<String> = out
        .into_iter()
        .map(|(_, m)| String::from_utf8(m).unwrap())
        .collect();
    got.sort();
    assert_eq!(got, msgs);
    let logs = old.join().unwrap();
    assert!(
        logs[2].iter().any(|e| e.starts_with("left the mix-net")),
        "{:#?}",
        logs[2]
    );
    assert!(
        logs[0]
            .iter()
            .any(|e| e.starts_with("continuing with the successor")),
        "{:#?}",
        logs[0]
    );
    newcomer_agent.join().unwrap();
    let (code, out, err) = run_cli(&["audit", "verify", &srv.url], None);
    assert_eq!(code, 0, "{out}{err}");
}

/// Seconds since the epoch, with microseconds, of a controller timestamp.
fn at(ts: &str) -> f64 {
    panoramix_core::time::Micros::parse_iso(ts).unwrap().0 as f64 / 1e6
}

/// When `ep` opened and when it closed (its consensus log).
fn open_close(ep: &panoramix_core::wire::Endpoint) -> (f64, f64) {
    use panoramix_core::model::EndpointStatus;
    let when = |s: EndpointStatus| {
        let l = ep.consensus_logs.iter().find(|l| l.status == s).unwrap();
        at(&l.timestamp)
    };
    (when(EndpointStatus::Open), when(EndpointStatus::Closed))
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[test]
fn a_cycle_closes_by_time_as_well_as_by_count() {
    use panoramix_core::model::EndpointStatus;
    const AFTER: u64 = 5;
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cs: Vec<Contributor> = (0..3).map(|_| Contributor::new("SPHINXMIX")).collect();
    let mut spec = spec("SPHINXMIX", "timed", 5);
    spec.size_min = 2;
    spec.close_after = Some(AFTER);
    let joint = setup_mixnet(&srv, &cs, &spec);
    let agents = run_agents(&srv, &cs, &joint, 3, &[], Duration::from_secs(120));
    let sender = Sender::new(srv.client(), &joint).unwrap();
    let client = srv.client();
    let deliver = |cycle: u64, msgs: &[Vec<u8>]| {
        let out = wait("the cycle's output", Duration::from_secs(60), || {
            sender.results(cycle).unwrap()
        });
        let mut got: Vec<Vec<u8>> = out.into_iter().map(|(_, m)| m).collect();
        let mut want = msgs.to_vec();
        got.sort();
        want.sort();
        assert_eq!(got, want, "cycle {cycle}");
        open_close(&client.endpoint(&spec.entry(cycle)).unwrap())
    };
    let open = |cycle: u64| {
        wait("the entry endpoint", Duration::from_secs(60), || {
            sender.is_open(cycle).then_some(())
        })
    };

    // cycle 1: size_max messages close it at once, before the deadline
    open(1);
    let msgs = random_messages(5, 40);
    for m in &msgs {
        sender.send(1, "bob", m).unwrap();
    }
    let sent = unix_now();
    let (opened, closed) = deliver(1, &msgs);
    if sent < opened + AFTER as f64 - 2.0 {
        assert!(
            closed < opened + AFTER as f64,
            "a full entry endpoint waited for the deadline: opened {opened}, closed {closed}"
        );
    }

    // cycle 2: one message, below size_min, stays open past the deadline; a
    // second one then closes it
    open(2);
    let msgs = random_messages(2, 40);
    sender.send(2, "bob", &msgs[0]).unwrap();
    let ep = client.endpoint(&spec.entry(2)).unwrap();
    let opened = at(&ep.consensus_logs[0].timestamp);
    while unix_now() < opened + AFTER as f64 + 2.0 {
        std::thread::sleep(Duration::from_millis(100));
    }
    let ep = client.endpoint(&spec.entry(2)).unwrap();
    assert_eq!(ep.status, EndpointStatus::Open, "closed below size_min");
    sender.send(2, "bob", &msgs[1]).unwrap();
    deliver(2, &msgs);

    // cycle 3: size_min messages at once wait for the deadline, then close
    open(3);
    let msgs = random_messages(3, 40);
    for m in &msgs {
        sender.send(3, "bob", m).unwrap();
    }
    let (opened, closed) = deliver(3, &msgs);
    // the contributors count whole seconds from the opening second
    assert!(
        closed >= opened + AFTER as f64 - 1.0,
        "closed {:.2} s after opening, before the deadline of {AFTER} s",
        closed - opened
    );

    let logs = agents.join().unwrap();
    for l in &logs {
        assert!(!l.iter().any(|e| e.starts_with("REFUSED")), "{l:#?}");
    }
}
