//! The seed's end-to-end random-input test (§4.2) over the real HTTP server: three
//! contributors set a mix-net up through negotiations, clients send encrypted
//! messages, the contributor agents process several cycles; the output is not in
//! input order and, sorted, equals the sorted input.
mod common;

use common::mixnet::*;
use common::*;
use panoramix_mixnet::sender::Sender;
use rand_core::RngCore;
use std::time::{Duration, Instant};

fn wait<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

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
    }
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
