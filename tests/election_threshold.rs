//! Threshold trustees over the real HTTP server (issue 18): a ZEUS mix-net whose
//! description sets `THRESHOLD` runs the key generation among its owners before
//! its first cycle; any `t` trustees then tally. A dealer that sends a bad share is
//! caught by its recipient's complaint and disqualified while the election
//! proceeds; a partial decryption with a wrong proof is skipped and another
//! trustee's used; with fewer than `t` trustees the tally waits and says why; and
//! `panoramix demo --trustees 5 --threshold 3 --absent 2` completes and verifies.
mod common;

use common::mixnet::*;
use common::*;
use panoramix_mixnet::agent::{Agent, AgentState, Cheat};
use panoramix_mixnet::election::collect;
use panoramix_mixnet::mixnet::{Election, MixnetSpec};
use panoramix_mixnet::sender::Sender;
use panoramix_zeus::{ElectionTranscript, Outcome, VoterSecret};
use std::time::{Duration, Instant};

fn threshold_spec(name: &str, t: u32, voters: &[VoterSecret]) -> MixnetSpec {
    let mut s = spec("ZEUS", name, voters.len() as i64);
    s.params["THRESHOLD"] = serde_json::json!(t);
    s.election = Some(Election {
        question: "Shall we?".into(),
        options: vec!["yes".into(), "no".into()],
        voters: voters.iter().map(|v| v.public().to_hex()).collect(),
    });
    s
}

/// What one agent of [`drive_leaving`] does besides stepping.
#[derive(Default)]
struct Role {
    /// Leave once this endpoint is PROCESSED (an absent trustee leaves once its
    /// mix is done).
    leave: Option<String>,
    /// `(own, other)`: once `own` is CLOSED, do not step until `other` is
    /// PROCESSED (so a partial decryption is published after another one).
    hold: Option<(String, String)>,
}

/// Step the agents, each in its own thread, until it finishes, the deadline
/// passes, or its [`Role`] says to leave. Returns each agent's event log.
fn drive_leaving(
    srv: &TestServer,
    agents: Vec<(Agent, Role)>,
    timeout: Duration,
) -> std::thread::JoinHandle<Vec<Vec<String>>> {
    let probe = srv.client();
    std::thread::spawn(move || {
        let hs: Vec<_> = agents
            .into_iter()
            .map(|(mut a, role)| {
                let probe = panoramix_client::Client::connect(
                    probe.base(),
                    panoramix_core::Keypair::generate(&mut rand_core::OsRng),
                )
                .unwrap();
                std::thread::spawn(move || {
                    let deadline = Instant::now() + timeout;
                    let mut log = Vec::new();
                    let status = |id: &str| probe.endpoint(id).ok().map(|e| e.status);
                    use panoramix_core::model::EndpointStatus::{Closed, Processed};
                    while Instant::now() < deadline {
                        if let Some((own, other)) = &role.hold
                            && status(own) == Some(Closed)
                            && status(other) != Some(Processed)
                        {
                            std::thread::sleep(Duration::from_millis(30));
                            continue;
                        }
                        match a.step() {
                            Ok(s) => {
                                log.extend(s.events);
                                let gone = role
                                    .leave
                                    .as_ref()
                                    .is_some_and(|id| status(id) == Some(Processed));
                                if s.finished || gone {
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
        hs.into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

struct Run {
    /// The owners' order: `owner_of[i]` is contributor i's trustee index (0-based).
    owner_of: Vec<usize>,
    logs: Vec<Vec<String>>,
    transcript: Option<ElectionTranscript>,
}

/// An election among `n` contributors with threshold `t`: contributor i cheats
/// with `cheats[i]`; the contributors whose trustee index is in `absent` leave
/// once they have mixed. With `late_honest`, every honest trustee other than
/// the combiner publishes its partial decryption only after the cheater's is
/// published (so the combiner must meet the bad one before it has a quorum).
/// Every voter casts; returns the transcript if the tally completed within
/// `timeout`.
fn run(
    n: usize,
    t: u32,
    cheats: &[Option<Cheat>],
    absent: &[usize],
    late_honest: bool,
    timeout: Duration,
) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cs: Vec<Contributor> = (0..n).map(|_| Contributor::new("ZEUS")).collect();
    let voters: Vec<VoterSecret> = (0..4)
        .map(|_| VoterSecret::generate(&mut rand_core::OsRng))
        .collect();
    let spec = threshold_spec("thr", t, &voters);
    let joint = setup_mixnet(&srv, &cs, &spec);
    let owners = srv.client().peer(&joint).unwrap().owner_ids();
    let owner_of: Vec<usize> = cs
        .iter()
        .map(|c| {
            let id = c.client(&srv).id();
            owners.iter().position(|o| *o == id).unwrap()
        })
        .collect();
    let agents = cs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let st = AgentState {
                mixnet: joint.clone(),
                cycle: 1,
                max_cycles: 1,
                ..Default::default()
            };
            let mut a = Agent::new(c.client(&srv), c.secrets(), st, None).unwrap();
            a.set_cheat(cheats.get(i).copied().flatten());
            let leave = absent
                .contains(&owner_of[i])
                .then(|| spec.ep(1, &format!("mix{}", owner_of[i])));
            let cheater = cheats.iter().position(Option::is_some);
            let hold = cheater
                .filter(|c| late_honest && *c != i && owner_of[i] != 0)
                .map(|c| {
                    let decr = |o: usize| spec.ep(1, &format!("decr{o}"));
                    (decr(owner_of[i]), decr(owner_of[c]))
                });
            (a, Role { leave, hold })
        })
        .collect();
    let h = drive_leaving(&srv, agents, timeout);
    let sender = Sender::new(srv.client(), &joint).unwrap();
    wait("the booth opens", Duration::from_secs(60), || {
        sender.is_open(1).then_some(())
    });
    for (i, v) in voters.iter().enumerate() {
        let answer: &[u8] = if i % 2 == 0 { b"yes" } else { b"no" };
        sender.send_ballot(1, v, answer).unwrap();
    }
    let logs = h.join().unwrap();
    let done = sender.outcomes(1).unwrap().is_some();
    let transcript = done.then(|| collect(sender.client(), &spec, &joint, 1).unwrap());
    if let Some(t) = &transcript {
        let json = panoramix_mixnet::election::transcript_json(t);
        panoramix_zeus::verify_election(&json).unwrap();
        let mut tally: Vec<&Outcome> = t.plaintexts.iter().collect();
        tally.sort();
        assert_eq!(
            tally,
            [
                &Outcome::Plaintext(b"no".to_vec()),
                &Outcome::Plaintext(b"no".to_vec()),
                &Outcome::Plaintext(b"yes".to_vec()),
                &Outcome::Plaintext(b"yes".to_vec()),
            ]
        );
    }
    Run {
        owner_of,
        logs,
        transcript,
    }
}

#[test]
fn a_bad_share_is_caught_by_a_complaint_and_the_election_proceeds_without_its_dealer() {
    if skip_on_worker("threshold elections") {
        return;
    }
    let r = run(
        4,
        2,
        &[None, Some(Cheat::BadDealing)],
        &[],
        false,
        Duration::from_secs(120),
    );
    let t = r.transcript.expect("the tally completes");
    let dkg = t.election.dkg.as_ref().expect("a threshold election");
    let cheater = r.owner_of[1] as u32 + 1;
    assert_eq!(dkg.complaints.len(), 1, "{:?}", dkg.complaints);
    assert_eq!(dkg.complaints[0].dealer, cheater);
    let o = dkg.verify(&t.election.trustees).unwrap();
    assert_eq!(o.disqualified.len(), 1);
    assert_eq!(o.disqualified[0].0, cheater);
    assert!(o.disqualified[0].1.contains("upheld complaint"));
    // the disqualified dealer holds no share: it cannot take part in the tally
    assert!(
        t.partial_decryptions
            .iter()
            .all(|p| p.trustee + 1 != cheater as usize)
    );
    assert!(t.partial_decryptions.len() >= 2);
}

#[test]
fn a_partial_decryption_with_a_wrong_proof_is_skipped_and_another_trustees_used() {
    if skip_on_worker("threshold elections") {
        return;
    }
    // the first owner combines; contributor 1 cheats (it is never the first owner's
    // own decryption that is bad: the combiner checks the others'); the other
    // honest trustee publishes after the cheater, so the combiner meets the bad
    // partial decryption before it has a quorum whatever the scheduling
    let r = run(
        3,
        2,
        &[None, Some(Cheat::BadDecryption), None],
        &[],
        true,
        Duration::from_secs(120),
    );
    let t = r.transcript.expect("the tally completes");
    let cheater = r.owner_of[1];
    let used: Vec<usize> = t.partial_decryptions.iter().map(|p| p.trustee).collect();
    assert!(!used.contains(&cheater), "{used:?}");
    assert_eq!(used.len(), 2);
    // the combiner refused the bad partial decryption on the record
    let combiner = r.owner_of.iter().position(|o| *o == 0).unwrap();
    let refused = format!("REFUSED thr-1-decr{cheater}");
    assert!(
        r.logs[combiner].iter().any(|e| e.starts_with(&refused)),
        "{:?}",
        r.logs[combiner]
    );
}

#[test]
fn fewer_than_t_trustees_cannot_tally_and_the_combiner_says_why() {
    if skip_on_worker("threshold elections") {
        return;
    }
    // 3 trustees, threshold 3, the last one absent at tally time
    let r = run(3, 3, &[], &[2], false, Duration::from_secs(40));
    assert!(
        r.transcript.is_none(),
        "the tally completed without t trustees"
    );
    let combiner = r.owner_of.iter().position(|o| *o == 0).unwrap();
    let why = "thr-1-combine waits for a quorum: 2 of the 3 trustees' partial decryptions needed are published and verified";
    assert!(
        r.logs[combiner].iter().any(|e| e == why),
        "{:?}",
        r.logs[combiner]
    );
}

#[test]
fn the_demo_with_3_of_5_trustees_two_absent_tallies_and_verifies() {
    if skip_on_worker("the demo") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("demo");
    let dir = out.to_str().unwrap();
    let (code, stdout, stderr) = run_cli(
        &[
            "demo",
            "--messages",
            "0",
            "--ballots",
            "12",
            "--trustees",
            "5",
            "--threshold",
            "3",
            "--absent",
            "2",
            "--json",
            "--out",
            dir,
        ],
        None,
    );
    assert_eq!(code, 0, "demo failed:\n{stdout}\n{stderr}");
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(summary["zeus"]["threshold"], 3);
    assert_eq!(summary["zeus"]["absent"], 2);
    let file = out.join("election.json");
    let t = panoramix_zeus::parse_transcript(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(summary["zeus"]["mixers"], 3);
    assert_eq!(summary["zeus"]["trustees"], 5);
    // the two absent trustees (the last two) published no partial decryption
    assert_eq!(t.partial_decryptions.len(), 3);
    assert!(t.partial_decryptions.iter().all(|p| p.trustee < 3));
    absent_trustees_signed_nothing_once_the_cycle_began(&out.join("controller.sqlite3"));
    let (code, stdout, stderr) = run_cli(&["verify-election", file.to_str().unwrap()], None);
    assert_eq!(code, 0, "verify-election:\n{stdout}\n{stderr}");
    assert!(stdout.contains("threshold 3"), "{stdout}");
}

/// In the demo's controller database: the trustees are peers apart from the
/// mixers, and the last two signed nothing once the first cycle began (the
/// first audit entry naming its booth, the proposal of its graph, comes after
/// the last one naming the key endpoint, its PROCESSED transition), while the
/// three others made their partial decryptions after it.
fn absent_trustees_signed_nothing_once_the_cycle_began(db: &std::path::Path) {
    let db = rusqlite::Connection::open(db).unwrap();
    let one =
        |sql: &str, param: &str| -> String { db.query_row(sql, [param], |r| r.get(0)).unwrap() };
    let owner = |ep: &str| one("SELECT peer_id FROM endpoints WHERE endpoint_id = ?1", ep);
    let trustees: Vec<String> = (0..5)
        .map(|j| owner(&format!("election-dkg-deal{j}")))
        .collect();
    for i in 0..3 {
        assert!(
            !trustees.contains(&owner(&format!("election-1-mix{i}"))),
            "a mixer is a trustee"
        );
    }
    let key_data = |peer: &str| one("SELECT key_data FROM peers WHERE peer_id = ?1", peer);
    let seq = |f: &str, like: &str| -> Option<i64> {
        db.query_row(
            &format!("SELECT {f}(seq) FROM audit WHERE entry LIKE ?1"),
            [like],
            |r| r.get(0),
        )
        .unwrap()
    };
    let last = |like: &str| seq("max", like);
    let key_done = seq("max", "%election-dkg-key%").unwrap();
    let cycle_began = seq("min", "%election-1-booth%").unwrap();
    assert!(cycle_began > key_done);
    for (j, t) in trustees.iter().enumerate() {
        let signed = format!("%018_key_data: 0240_{}%", key_data(t));
        let last_signed = last(&signed).expect("every trustee took part in the key generation");
        let decr: i64 = db
            .query_row(
                "SELECT count(*) FROM endpoints WHERE peer_id = ?1 AND endpoint_id = ?2",
                [t.as_str(), &format!("election-1-decr{j}")],
                |r| r.get(0),
            )
            .unwrap();
        if j >= 3 {
            assert!(
                last_signed < cycle_began,
                "absent trustee {j} signed once the cycle began"
            );
            assert_eq!(decr, 0);
        } else {
            assert!(last_signed > cycle_began, "trustee {j} did not decrypt");
            assert_eq!(decr, 1);
        }
    }
}

#[test]
fn a_trustee_endpoint_of_another_shape_is_refused_on_the_record_and_not_taken() {
    if skip_on_worker("threshold elections") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cs: Vec<Contributor> = (0..3).map(|_| Contributor::new("ZEUS")).collect();
    let voters: Vec<VoterSecret> = (0..2)
        .map(|_| VoterSecret::generate(&mut rand_core::OsRng))
        .collect();
    let spec = threshold_spec("shape", 2, &voters);
    let joint = setup_mixnet(&srv, &cs, &spec);
    let owners = srv.client().peer(&joint).unwrap().owner_ids();
    // the last trustee makes its dealing endpoint itself, in another shape (room
    // for five dealings instead of its one), and runs no agent
    let mut cs = cs;
    let r = cs
        .iter()
        .position(|c| c.client(&srv).id() == owners[2])
        .unwrap();
    let rogue = cs.remove(r).client(&srv);
    let wrong = rogue.endpoint_action(&serde_json::json!({"endpoint_id": "shape-dkg-deal2",
        "peer_id": rogue.id(), "endpoint_type": "ZEUS_DKG_DEALINGS", "size_min": 1, "size_max": 5,
        "public": false, "links": [], "description": "mine", "endpoint_params": {}}));
    let c = rogue
        .self_consensus("rogue", std::slice::from_ref(&wrong))
        .unwrap();
    rogue.apply(&wrong, &c, None).unwrap();
    let logs = run_agents(&srv, &cs, &joint, 1, &[], Duration::from_secs(30))
        .join()
        .unwrap();
    // the honest trustees dealt, but none took the odd endpoint's dealing for
    // its verdict: no verdict, no key, no booth (the rogue, an owner here, did
    // not sign the key endpoint either)
    let why =
        "REFUSED shape-dkg-deal2: its size_max is not that of the endpoint its trustee must make";
    for log in &logs {
        assert!(log.iter().any(|e| e.starts_with(why)), "{log:?}");
    }
    let status = |id: &str| srv.client().endpoint(id).ok().map(|e| e.status);
    use panoramix_core::model::EndpointStatus::{Closed, Open, Processed};
    assert_eq!(status("shape-dkg-deal0"), Some(Closed));
    assert_eq!(status("shape-dkg-verdict0"), Some(Open));
    assert_ne!(status("shape-dkg-key"), Some(Processed));
    assert_eq!(status(&spec.entry(1)), None);
}
