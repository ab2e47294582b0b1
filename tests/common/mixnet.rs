//! Setting up a mix-net of contributor agents over a test server.
#![allow(dead_code)]

use super::TestServer;
use panoramix_client::Client;
use panoramix_mixnet::agent::{Agent, AgentState, Cheat};
use panoramix_mixnet::backend::Secrets;
use panoramix_mixnet::mixnet::MixnetSpec;
use panoramix_mixnet::setup;
use serde_json::json;
use std::time::{Duration, Instant};

pub struct Contributor {
    pub secret: String,
    pub mix: Option<String>,
    pub trustee: Option<String>,
}

impl Contributor {
    pub fn new(backend: &str) -> Contributor {
        let mut rng = rand_core::OsRng;
        let kp = panoramix_core::Keypair::generate(&mut rng);
        let (mix, trustee) = if backend == "SPHINXMIX" {
            (
                Some(
                    panoramix_sphinx::MixKeyPair::generate(&mut rng)
                        .secret_hex()
                        .to_string(),
                ),
                None,
            )
        } else {
            (
                None,
                Some(
                    panoramix_zeus::TrusteeSecret::generate(&mut rng)
                        .to_hex()
                        .to_string(),
                ),
            )
        };
        Contributor {
            secret: kp.secret_hex().to_string(),
            mix,
            trustee,
        }
    }

    pub fn client(&self, srv: &TestServer) -> Client {
        Client::connect(
            &srv.url,
            panoramix_core::Keypair::from_secret_hex(&self.secret).unwrap(),
        )
        .unwrap()
    }

    pub fn secrets(&self) -> Secrets {
        Secrets::new(
            self.mix
                .as_ref()
                .map(|h| panoramix_sphinx::MixKeyPair::from_secret_hex(h).unwrap()),
            self.trustee
                .as_ref()
                .map(|h| panoramix_zeus::TrusteeSecret::from_hex(h).unwrap()),
        )
    }
}

pub fn spec(backend: &str, name: &str, size: i64) -> MixnetSpec {
    let params = if backend == "SPHINXMIX" {
        json!({"BODY_LEN": 1024, "MAX_HOPS": 5})
    } else {
        json!({"MIX_PROOF": "TW", "SK_ROUNDS": 128})
    };
    MixnetSpec {
        name: name.into(),
        backend: backend.into(),
        params,
        size_min: size,
        size_max: size,
        close_after: None,
        election_public_key: None,
        terms: "test terms".into(),
        graph: None,
        previous: None,
        reconfiguration: None,
        election: None,
    }
}

/// Create the mix-net through the wizards' flow; returns the joint peer id.
pub fn setup_mixnet(srv: &TestServer, cs: &[Contributor], spec: &MixnetSpec) -> String {
    let clients: Vec<Client> = cs.iter().map(|c| c.client(srv)).collect();
    for (i, (c, k)) in clients.iter().zip(cs).enumerate() {
        setup::register(c, &format!("contributor{i}"), &spec.backend, &k.secrets()).unwrap();
    }
    let (neg, invitations) = setup::create(&clients[0], spec, cs.len() - 1).unwrap();
    let mut reviewed = Vec::new();
    for (c, inv) in clients[1..].iter().zip(&invitations) {
        let (proposed, _by) = setup::proposal(c, inv).unwrap();
        assert_eq!(&proposed, spec);
        setup::join(c, inv, &proposed).unwrap();
        reviewed.push(proposed);
    }
    setup::propose_joint(&clients[0], &neg, spec, &invitations)
        .unwrap()
        .expect("all joined");
    for (c, r) in clients[1..].iter().zip(&reviewed) {
        setup::confirm_joint(c, r).unwrap().expect("confirmed");
    }
    setup::finish(&clients[0], &spec.name)
        .unwrap()
        .expect("joint peer created")
}

/// Poll `f` every 50 ms until it gives a value; fail the test naming `what`
/// after `timeout`.
pub fn wait<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Run agents in threads until each finished `cycles` cycles or `timeout` passes.
pub fn run_agents(
    srv: &TestServer,
    cs: &[Contributor],
    joint: &str,
    cycles: u64,
    cheats: &[Option<Cheat>],
    timeout: Duration,
) -> std::thread::JoinHandle<Vec<Vec<String>>> {
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
            let mut a = Agent::new(c.client(srv), c.secrets(), st, None).unwrap();
            a.set_cheat(cheats.get(i).copied().flatten());
            a
        })
        .collect();
    drive(agents, timeout)
}

/// Step every agent in its own thread until it finished or `timeout` passes;
/// returns each agent's event log (errors included).
pub fn drive(agents: Vec<Agent>, timeout: Duration) -> std::thread::JoinHandle<Vec<Vec<String>>> {
    std::thread::spawn(move || {
        let handles: Vec<_> = agents
            .into_iter()
            .map(|mut a| {
                std::thread::spawn(move || {
                    let deadline = Instant::now() + timeout;
                    let mut log = Vec::new();
                    while Instant::now() < deadline {
                        match a.step() {
                            Ok(s) => {
                                log.extend(s.events);
                                if s.finished {
                                    let kept = a.remembered_endpoints();
                                    let kept: Vec<_> = kept.into_iter().collect();
                                    log.push(format!("remembered: {}", kept.join(" ")));
                                    break;
                                }
                                if !s.acted {
                                    std::thread::sleep(Duration::from_millis(30));
                                }
                            }
                            Err(e) => {
                                log.push(format!("error: {e}"));
                                std::thread::sleep(Duration::from_millis(100));
                            }
                        }
                    }
                    log
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    })
}
