//! Faults in a running mix-net: a cheating contributor is caught, a contributor
//! killed mid-cycle finishes the cycle after a restart, and a malformed message is
//! left out without stalling the cycle.
mod common;

use common::mixnet::*;
use common::*;
use panoramix_mixnet::agent::{Agent, AgentState, Cheat};
use panoramix_mixnet::sender::Sender;
use std::time::{Duration, Instant};

fn send_all(sender: &Sender, cycle: u64, n: usize) -> Vec<Vec<u8>> {
    wait("the entry endpoint", Duration::from_secs(60), || {
        sender.is_open(cycle).then_some(())
    });
    let msgs: Vec<Vec<u8>> = (0..n)
        .map(|i| format!("message {i}").into_bytes())
        .collect();
    for m in &msgs {
        sender.send(cycle, "bob", m).unwrap();
    }
    msgs
}

/// The complaints (signer, reason) filed about an endpoint.
fn complaints(c: &panoramix_client::Client, endpoint: &str) -> Vec<(String, String)> {
    let negotiations = c
        .negotiations_titled(&format!("complaint:{endpoint}"))
        .unwrap();
    let mut out = Vec::new();
    for n in negotiations {
        for k in c.contributions(&n.id).unwrap() {
            let text = panoramix_core::negotiation::Text::parse(&k.text).unwrap();
            let reason = text
                .body
                .get("reason")
                .and_then(|r| r.as_str())
                .unwrap_or_default()
                .to_owned();
            out.push((k.signer_key_id, reason));
        }
    }
    out
}

fn cheating(backend: &str, cheat: Cheat) {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cs: Vec<Contributor> = (0..3).map(|_| Contributor::new(backend)).collect();
    let spec = spec(backend, "cheat", 6);
    let joint = setup_mixnet(&srv, &cs, &spec);
    // the first mix cheats
    let agents = run_agents(&srv, &cs, &joint, 1, &[Some(cheat)], Duration::from_secs(8));
    let sender = Sender::new(srv.client(), &joint).unwrap();
    send_all(&sender, 1, 6);
    let logs = agents.join().unwrap();
    assert!(
        sender.results(1).unwrap().is_none(),
        "{cheat:?}: the cycle completed despite the cheat"
    );
    let mix0 = spec.ep(1, "mix0");
    let filed = complaints(sender.client(), &mix0);
    let cheater = cs[0].client(&srv).id();
    assert!(!filed.is_empty(), "{cheat:?}: nobody complained: {logs:#?}");
    assert!(
        filed
            .iter()
            .all(|(who, reason)| *who != cheater && !reason.is_empty()),
        "{filed:?}"
    );
    // the complaint is in the audit log, signed, and the log verifies
    let (records, _) = sender.client().audit_log().unwrap();
    assert!(
        records
            .iter()
            .any(|r| r.entry.contains("complaint:") || r.entry.contains("complaint"))
    );
    let (code, out, err) = run_cli(&["audit", "verify", &srv.url], None);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn zeus_mixer_dropping_a_ballot_is_caught() {
    cheating("ZEUS", Cheat::Drop);
}

#[test]
fn zeus_mixer_duplicating_a_ballot_is_caught() {
    cheating("ZEUS", Cheat::Duplicate);
}

#[test]
fn zeus_mixer_replacing_a_ballot_is_caught() {
    cheating("ZEUS", Cheat::Replace);
}

#[test]
fn zeus_mixer_with_a_forged_proof_is_caught() {
    cheating("ZEUS", Cheat::ForgeProof);
}

#[test]
fn sphinx_mix_duplicating_a_message_is_caught() {
    cheating("SPHINXMIX", Cheat::Duplicate);
}

#[test]
fn sphinx_mix_passing_an_input_through_is_caught() {
    cheating("SPHINXMIX", Cheat::Replace);
}

#[test]
fn contributor_killed_mid_upload_finishes_after_restart() {
    for backend in ["SPHINXMIX", "ZEUS"] {
        let dir = tempfile::tempdir().unwrap();
        let srv = TestServer::start(dir.path());
        let cs: Vec<Contributor> = (0..3).map(|_| Contributor::new(backend)).collect();
        let spec = spec(backend, "restart", 8);
        let joint = setup_mixnet(&srv, &cs, &spec);
        // contributors 0 and 1 run normally; contributor 2 crashes after 3 uploads
        let agents = run_agents(&srv, &cs[..2], &joint, 1, &[], Duration::from_secs(60));
        let state_path = dir.path().join("agent2.json");
        let st = AgentState {
            mixnet: joint.clone(),
            cycle: 1,
            max_cycles: 1,
            ..Default::default()
        };
        let mut a = Agent::new(
            cs[2].client(&srv),
            cs[2].secrets(),
            st,
            Some(state_path.clone()),
        )
        .unwrap();
        a.set_crash_after_uploads(Some(3));
        let sender = Sender::new(srv.client(), &joint).unwrap();
        let msgs = std::thread::scope(|s| {
            let h = s.spawn(|| send_all(&sender, 1, 8));
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                assert!(Instant::now() < deadline, "{backend}: never crashed");
                match a.step() {
                    Err(e) if e.to_string().contains("simulated crash") => break,
                    _ => std::thread::sleep(Duration::from_millis(20)),
                }
            }
            h.join().unwrap()
        });
        drop(a);
        // the box upload cut in the middle left nothing in the mix's PROCESSBOX
        let reader = srv.client();
        let own: Vec<panoramix_core::wire::Endpoint> = reader
            .get_all(&format!(
                "/panoramix/endpoints/?peer_id={}",
                cs[2].client(&srv).id()
            ))
            .unwrap();
        assert!(!own.is_empty(), "{backend}: the mix has no endpoint");
        for ep in &own {
            let pb = reader.messages(&ep.endpoint_id, "PROCESSBOX").unwrap();
            assert!(
                pb.is_empty(),
                "{backend}: {} holds {} messages of a half-uploaded box",
                ep.endpoint_id,
                pb.len()
            );
        }
        // restart from the state file alone
        let saved: AgentState =
            serde_json::from_str(&std::fs::read_to_string(&state_path).unwrap()).unwrap();
        assert!(
            !saved.processed.is_empty(),
            "{backend}: the processed output was not saved before uploading"
        );
        let mut b =
            Agent::new(cs[2].client(&srv), cs[2].secrets(), saved, Some(state_path)).unwrap();
        let out = wait(
            "the cycle after the restart",
            Duration::from_secs(90),
            || {
                let _ = b.step();
                sender.results(1).unwrap()
            },
        );
        let mut got: Vec<Vec<u8>> = out.into_iter().map(|(_, m)| m).collect();
        let mut want = msgs.clone();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{backend}");
        for _ in 0..50 {
            if b.step().map(|s| s.finished).unwrap_or(false) {
                break;
            }
        }
        agents.join().unwrap();
    }
}

#[test]
fn malformed_message_is_left_out_and_the_cycle_completes() {
    for backend in ["SPHINXMIX", "ZEUS"] {
        let dir = tempfile::tempdir().unwrap();
        let srv = TestServer::start(dir.path());
        let cs: Vec<Contributor> = (0..3).map(|_| Contributor::new(backend)).collect();
        let mut spec = spec(backend, "malformed", 5);
        spec.size_max = 6;
        let joint = setup_mixnet(&srv, &cs, &spec);
        let agents = run_agents(&srv, &cs, &joint, 1, &[], Duration::from_secs(60));
        let sender = Sender::new(srv.client(), &joint).unwrap();
        wait("the entry endpoint", Duration::from_secs(60), || {
            sender.is_open(1).then_some(())
        });
        // garbage first, so that a naive close would take it
        let garbage = if backend == "ZEUS" {
            "ab".repeat(128)
        } else {
            "not a sphinx packet".to_owned()
        };
        sender
            .client()
            .post_message(&spec.entry(1), "INBOX", "mallory", "x", &garbage, None)
            .unwrap();
        let msgs = send_all(&sender, 1, 5);
        let out = wait("the cycle's output", Duration::from_secs(60), || {
            sender.results(1).unwrap()
        });
        let mut got: Vec<Vec<u8>> = out.into_iter().map(|(_, m)| m).collect();
        let mut want = msgs;
        got.sort();
        want.sort();
        assert_eq!(got, want, "{backend}");
        let inbox = sender.client().messages(&spec.entry(1), "INBOX").unwrap();
        assert_eq!(
            inbox.len(),
            1,
            "{backend}: the malformed message stays in the INBOX, outside the cycle"
        );
        agents.join().unwrap();
    }
}

#[test]
fn sphinx_packet_replayed_in_a_later_cycle_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cs: Vec<Contributor> = (0..3).map(|_| Contributor::new("SPHINXMIX")).collect();
    let spec = spec("SPHINXMIX", "replay", 4);
    let joint = setup_mixnet(&srv, &cs, &spec);
    let agents = run_agents(&srv, &cs, &joint, 2, &[], Duration::from_secs(60));
    let sender = Sender::new(srv.client(), &joint).unwrap();
    send_all(&sender, 1, 4);
    wait("cycle 1", Duration::from_secs(60), || {
        sender.results(1).unwrap()
    });
    let old = sender
        .client()
        .messages(&spec.entry(1), "ACCEPTED")
        .unwrap();
    wait("cycle 2", Duration::from_secs(60), || {
        sender.is_open(2).then_some(())
    });
    // an eavesdropper replays a packet of cycle 1 into cycle 2
    let m = &old[0];
    sender
        .client()
        .post_message(
            &spec.entry(2),
            "INBOX",
            "mallory",
            &m.recipient,
            &m.text,
            None,
        )
        .unwrap();
    for i in 0..3 {
        sender
            .send(2, "bob", format!("fresh {i}").as_bytes())
            .unwrap();
    }
    let out = wait("cycle 2", Duration::from_secs(60), || {
        sender.results(2).unwrap()
    });
    let mut got: Vec<String> = out
        .into_iter()
        .map(|(_, m)| String::from_utf8(m).unwrap())
        .collect();
    got.sort();
    assert_eq!(
        got,
        ["fresh 0", "fresh 1", "fresh 2"],
        "the replayed packet came out again"
    );
    let logs = agents.join().unwrap();
    assert!(
        logs.iter().flatten().any(|e| e.contains("1 dropped")),
        "{logs:#?}"
    );
}

/// A whole Sphinx cycle on a controller with tight request-rate limits: the
/// contributor agents and the sender are refused with 429 `rate_limited` along the
/// way, back off as `Retry-After` says, and the cycle completes with every message;
/// no agent gets more than about one 429 per second of its run.
#[test]
fn a_cycle_completes_under_tight_rate_limits() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start_with(
        &dir.path().join("controller.sqlite3"),
        &[
            "--rate-per-key",
            "3",
            "--rate-burst-per-key",
            "3",
            "--rate-per-endpoint",
            "4",
            "--rate-burst-per-endpoint",
            "4",
        ],
    );
    let cs: Vec<Contributor> = (0..3).map(|_| Contributor::new("SPHINXMIX")).collect();
    let spec = spec("SPHINXMIX", "limited", 6);
    let joint = setup_mixnet(&srv, &cs, &spec);
    let t0 = Instant::now();
    let agents: Vec<_> = cs
        .iter()
        .map(|c| {
            let st = AgentState {
                mixnet: joint.clone(),
                cycle: 1,
                max_cycles: 1,
                ..Default::default()
            };
            let mut a = Agent::new(c.client(&srv), c.secrets(), st, None).unwrap();
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(120);
                let mut errors = Vec::new();
                while Instant::now() < deadline {
                    match a.step() {
                        Ok(s) if s.finished => break,
                        Ok(s) if !s.acted => std::thread::sleep(Duration::from_millis(30)),
                        Ok(_) => {}
                        Err(e) => {
                            errors.push(e.to_string());
                            std::thread::sleep(Duration::from_millis(100));
                        }
                    }
                }
                (a.client().rate_limited_count(), errors)
            })
        })
        .collect();
    let sender = Sender::new(srv.client(), &joint).unwrap();
    // six posts in a burst: over the sender's key limit (3, then 3/s)
    let msgs = send_all(&sender, 1, 6);
    let out = wait("the cycle's output", Duration::from_secs(120), || {
        sender.results(1).unwrap()
    });
    let mut got: Vec<Vec<u8>> = out.into_iter().map(|(_, m)| m).collect();
    let mut want = msgs;
    got.sort();
    want.sort();
    assert_eq!(got, want);
    let runs: Vec<(u64, Vec<String>)> = agents.into_iter().map(|h| h.join().unwrap()).collect();
    let secs = t0.elapsed().as_secs_f64();
    let limited: u64 = runs.iter().map(|r| r.0).sum::<u64>() + sender.client().rate_limited_count();
    eprintln!(
        "cycle in {secs:.1} s; 429s: agents {:?}, sender {}",
        runs.iter().map(|r| r.0).collect::<Vec<_>>(),
        sender.client().rate_limited_count()
    );
    assert!(
        sender.client().rate_limited_count() > 0,
        "the sender was never limited"
    );
    assert!(limited > 1, "the limits were never reached");
    for (n, errors) in &runs {
        assert!(
            *n as f64 <= secs + 1.0,
            "an agent hammered: {n} 429s in {secs:.1} s"
        );
        assert!(
            errors.iter().all(|e| !e.contains("rate_limited")),
            "an agent step failed on a 429 instead of backing off: {errors:?}"
        );
    }
    let (code, out, err) = run_cli(&["audit", "verify", &srv.url], None);
    assert_eq!(code, 0, "{out}{err}");
}
