//! The contributor protocol replays (issue 14): three native agents run a
//! Sphinx mix-net for two cycles and an election for one, each recording what
//! its state machine was given (identity, state, seed, the clock of every step,
//! every answer) and what it asked for. Each recording, written out as JSON and
//! read back, is then replayed through a fresh machine: it must ask for the same
//! requests, byte for byte (signed bodies included), store the same states and
//! end every step as recorded. The formation of each mix-net is recorded too,
//! procedure by procedure (registering, proposing, joining, agreeing on the
//! joint peer), and replayed alike. The npm package's test replays the same
//! recordings through the WebAssembly build (npm/test/replay.test.mjs).
mod common;

use common::mixnet::*;
use common::*;
use panoramix_contributor::formation::Backends;
use panoramix_contributor::record::{
    Entry, ProcedureOutcome, ProcedureRecording, Recording, replay, replay_procedure,
};
use panoramix_mixnet::agent::{Agent, AgentState};
use panoramix_mixnet::backend::{Secrets, backend_for};
use panoramix_mixnet::mixnet::{Election, MixnetSpec};
use panoramix_mixnet::sender::Sender;
use panoramix_mixnet::setup;
use panoramix_zeus::VoterSecret;
use std::time::{Duration, Instant};

/// Set the mix-net up, recording every formation procedure; the joint peer
/// and the recordings.
fn setup_recorded(
    srv: &TestServer,
    cs: &[Contributor],
    spec: &MixnetSpec,
) -> (String, Vec<ProcedureRecording>) {
    setup::recording::start();
    let joint = setup_mixnet(srv, cs, spec);
    (joint, setup::recording::take())
}

fn formation_backends() -> Backends {
    Backends::new(vec![
        Box::new(panoramix_sphinx::contributor::SphinxOwnerKeys),
        Box::new(panoramix_zeus::contributor::ZeusOwnerKeys),
    ])
}

/// Replay every formation recording (through its JSON form) natively, and
/// write them out as `formation-<what>-<i>.json`.
fn replay_formation(recs: &[ProcedureRecording], cs: usize, what: &str) {
    let ops: Vec<&str> = recs.iter().map(|r| r.operation.as_str()).collect();
    // every contributor registers; the coordinator creates, each joiner reviews
    // and joins, the coordinator proposes the joint peer, the joiners confirm,
    // the coordinator finishes
    assert_eq!(recs.len(), cs + 3 * (cs - 1) + 3, "{what}: {ops:?}");
    for op in [
        "register",
        "create",
        "proposal",
        "join",
        "proposeJoint",
        "confirmJoint",
        "finish",
    ] {
        assert!(ops.contains(&op), "{what}: no {op} in {ops:?}");
    }
    for (i, rec) in recs.iter().enumerate() {
        let back: ProcedureRecording =
            serde_json::from_str(&serde_json::to_string(rec).unwrap()).unwrap();
        assert_eq!(&back, rec, "{what}: the recording survives its JSON form");
        assert!(
            matches!(back.outcome, ProcedureOutcome::Done { .. }) && !back.entries.is_empty(),
            "{what}: procedure {i} ({}) {:?}",
            back.operation,
            back.outcome
        );
        replay_procedure(&back, formation_backends())
            .unwrap_or_else(|e| panic!("{what}: procedure {i} ({}): {e}", back.operation));
        let mut bad = back.clone();
        let Some(Entry::Http { status, .. }) = bad.entries.last_mut() else {
            unreachable!("checked above")
        };
        *status = 500;
        assert!(replay_procedure(&bad, formation_backends()).is_err());
    }
    if let Ok(dir) = std::env::var("PANORAMIX_RECORDINGS_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        for (i, rec) in recs.iter().enumerate() {
            let p = std::path::Path::new(&dir).join(format!("formation-{what}-{i}.json"));
            std::fs::write(p, serde_json::to_string(rec).unwrap()).unwrap();
        }
    }
}

/// Run recorded agents until each finished `cycles` cycles; `send(cycle)` posts
/// a cycle's input once its entry is open. Returns the recordings.
fn record(
    srv: &TestServer,
    cs: &[Contributor],
    joint: &str,
    cycles: u64,
    send: &dyn Fn(&Sender, u64),
) -> Vec<Recording> {
    let agents: Vec<Agent> = cs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let st = AgentState {
                mixnet: joint.into(),
                cycle: 1,
                max_cycles: cycles,
                ..Default::default()
            };
            Agent::recorded(c.client(srv), c.secrets(), st, [i as u8 + 1; 32]).unwrap()
        })
        .collect();
    let handles: Vec<_> = agents
        .into_iter()
        .map(|mut a| {
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(120);
                while Instant::now() < deadline {
                    match a.step() {
                        Ok(s) if s.finished => break,
                        Ok(s) if !s.acted => std::thread::sleep(Duration::from_millis(30)),
                        Ok(_) => {}
                        Err(_) => std::thread::sleep(Duration::from_millis(100)),
                    }
                }
                a.recording().unwrap().clone()
            })
        })
        .collect();
    let sender = Sender::new(srv.client(), joint).unwrap();
    for cycle in 1..=cycles {
        wait("the entry endpoint", Duration::from_secs(60), || {
            sender.is_open(cycle).then_some(())
        });
        send(&sender, cycle);
        wait("the cycle's output", Duration::from_secs(90), || {
            sender.results(cycle).unwrap()
        });
    }
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

/// Replay every recording (through its JSON form) natively.
fn replay_all(recs: &[Recording], what: &str) {
    for (i, rec) in recs.iter().enumerate() {
        let json = serde_json::to_string(rec).unwrap();
        let back: Recording = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, rec, "{what}: the recording survives its JSON form");
        let s = &back.secrets;
        let secrets = Secrets::new(
            s["mix"]
                .as_str()
                .map(|h| panoramix_sphinx::MixKeyPair::from_secret_hex(h).unwrap()),
            s["trustee"]
                .as_str()
                .map(|h| panoramix_zeus::TrusteeSecret::from_hex(h).unwrap()),
        );
        let backend = backend_for(&back.backend, secrets).unwrap();
        replay(&back, backend).unwrap_or_else(|e| panic!("{what}: contributor {i}: {e}"));
        let requests: usize = back.steps.iter().map(|s| s.entries.len()).sum();
        let posts = back
            .steps
            .iter()
            .flat_map(|s| &s.entries)
            .filter(|e| matches!(e, Entry::Http { body: Some(_), .. }))
            .count();
        assert!(
            posts > 10 && requests > posts,
            "{what}: contributor {i} recorded {requests} effects, {posts} signed"
        );
        // and a recording that was tampered with is caught
        let mut bad = back.clone();
        let Some(Entry::Http { body: Some(b), .. }) = bad
            .steps
            .iter_mut()
            .flat_map(|s| s.entries.iter_mut())
            .find(|e| matches!(e, Entry::Http { body: Some(_), .. }))
        else {
            unreachable!("checked above")
        };
        b.push(' ');
        let s = &bad.secrets;
        let secrets = Secrets::new(
            s["mix"]
                .as_str()
                .map(|h| panoramix_sphinx::MixKeyPair::from_secret_hex(h).unwrap()),
            s["trustee"]
                .as_str()
                .map(|h| panoramix_zeus::TrusteeSecret::from_hex(h).unwrap()),
        );
        assert!(replay(&bad, backend_for(&bad.backend, secrets).unwrap()).is_err());
    }
    if let Ok(dir) = std::env::var("PANORAMIX_RECORDINGS_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        for (i, rec) in recs.iter().enumerate() {
            let p = std::path::Path::new(&dir).join(format!("{what}-{i}.json"));
            std::fs::write(p, serde_json::to_string(rec).unwrap()).unwrap();
        }
    }
}

#[test]
fn two_sphinx_cycles_replay_request_for_request() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cs: Vec<Contributor> = (0..3).map(|_| Contributor::new("SPHINXMIX")).collect();
    let (joint, formation) = setup_recorded(&srv, &cs, &spec("SPHINXMIX", "replaynet", 4));
    replay_formation(&formation, cs.len(), "sphinx");
    let recs = record(&srv, &cs, &joint, 2, &|s, cycle| {
        for i in 0..4 {
            s.send(
                cycle,
                "bob",
                format!("cycle {cycle} message {i}").as_bytes(),
            )
            .unwrap();
        }
    });
    replay_all(&recs, "sphinx");
}

#[test]
fn an_election_replays_request_for_request() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cs: Vec<Contributor> = (0..3).map(|_| Contributor::new("ZEUS")).collect();
    let voters: Vec<VoterSecret> = (0..4)
        .map(|_| VoterSecret::generate(&mut rand_core::OsRng))
        .collect();
    let mut s: MixnetSpec = spec("ZEUS", "replayvote", 4);
    s.election = Some(Election {
        question: "Agreed?".into(),
        options: vec!["yes".into(), "no".into()],
        voters: voters.iter().map(|v| v.public().to_hex()).collect(),
    });
    let (joint, formation) = setup_recorded(&srv, &cs, &s);
    replay_formation(&formation, cs.len(), "zeus");
    let recs = record(&srv, &cs, &joint, 1, &|sender, cycle| {
        for (i, v) in voters.iter().enumerate() {
            let answer: &[u8] = if i % 2 == 0 { b"yes" } else { b"no" };
            sender.send_ballot(cycle, v, answer).unwrap();
        }
    });
    replay_all(&recs, "zeus");
}

/// Threshold trustees (issue 18): the key generation's dealings and verdicts,
/// made from the machine's randomness, replay byte for byte too.
#[test]
fn a_threshold_election_replays_request_for_request() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cs: Vec<Contributor> = (0..3).map(|_| Contributor::new("ZEUS")).collect();
    let voters: Vec<VoterSecret> = (0..4)
        .map(|_| VoterSecret::generate(&mut rand_core::OsRng))
        .collect();
    let mut s: MixnetSpec = spec("ZEUS", "replaythr", 4);
    s.params["THRESHOLD"] = serde_json::json!(2);
    s.election = Some(Election {
        question: "Agreed?".into(),
        options: vec!["yes".into(), "no".into()],
        voters: voters.iter().map(|v| v.public().to_hex()).collect(),
    });
    let (joint, formation) = setup_recorded(&srv, &cs, &s);
    replay_formation(&formation, cs.len(), "zeus-threshold");
    let recs = record(&srv, &cs, &joint, 1, &|sender, cycle| {
        for (i, v) in voters.iter().enumerate() {
            let answer: &[u8] = if i % 2 == 0 { b"yes" } else { b"no" };
            sender.send_ballot(cycle, v, answer).unwrap();
        }
    });
    let dkg_posts = recs
        .iter()
        .flat_map(|r| r.steps.iter().flat_map(|s| &s.entries))
        .filter(|e| matches!(e, Entry::Http { body: Some(b), .. } if b.contains("replaythr-dkg-")))
        .count();
    assert!(dkg_posts > 0, "the key generation was recorded");
    replay_all(&recs, "zeus-threshold");
}
