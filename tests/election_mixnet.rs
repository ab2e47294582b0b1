//! Election-grade ZEUS over the real HTTP server (issue 13): three contributors run
//! an election with a question, allowed answers and a voter list; voters cast
//! ballots signed with their credentials through the mix-net library's `Sender`.
//! The booth refuses what an election must refuse (a copied ballot moved to another
//! credential, a credential not on the list), counts a voter's last ballot, and the
//! tally completes even with a junk ballot, which is reported spoiled. The
//! transcript gathered from the controller (`election::collect`) verifies, and each
//! contributor agent kept the same file under its state directory.
mod common;

use common::mixnet::*;
use common::*;
use panoramix_mixnet::agent::{Agent, AgentState};
use panoramix_mixnet::election::{collect, transcript_json, transcript_path};
use panoramix_mixnet::mixnet::{Election, MixnetSpec};
use panoramix_mixnet::sender::Sender;
use panoramix_zeus::{Outcome, VoterSecret};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn election_spec(name: &str, size: i64, options: &[&str], voters: &[VoterSecret]) -> MixnetSpec {
    let mut s = spec("ZEUS", name, size);
    s.election = Some(Election {
        question: "Shall we?".into(),
        options: options.iter().map(|o| o.to_string()).collect(),
        voters: voters.iter().map(|v| v.public().to_hex()).collect(),
    });
    s
}

/// Run `cycles` cycles with every agent keeping its state (and so its elections)
/// in its own directory under `root`; returns the state paths and the agents' logs.
fn run_agents_with_state(
    srv: &TestServer,
    cs: &[Contributor],
    joint: &str,
    root: &Path,
    cycles: u64,
) -> (Vec<PathBuf>, std::thread::JoinHandle<Vec<Vec<String>>>) {
    let mut paths = Vec::new();
    let mut agents = Vec::new();
    for (i, c) in cs.iter().enumerate() {
        let dir = root.join(format!("contributor{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("contributor.state.json");
        let st = AgentState {
            mixnet: joint.into(),
            cycle: 1,
            max_cycles: cycles,
            ..Default::default()
        };
        agents.push(Agent::new(c.client(srv), c.secrets(), st, Some(path.clone())).unwrap());
        paths.push(path);
    }
    let h = common::mixnet::drive(agents, Duration::from_secs(150));
    (paths, h)
}

/// The booth's agreed input (ACCEPTED) and what stayed in its INBOX.
fn booth_boxes(srv: &TestServer, spec: &MixnetSpec) -> (Vec<String>, Vec<String>) {
    let c = srv.client();
    let texts = |b: &str| -> Vec<String> {
        c.messages(&spec.entry(1), b)
            .unwrap()
            .into_iter()
            .map(|m| m.text)
            .collect()
    };
    (texts("ACCEPTED"), texts("INBOX"))
}

fn tally(outcomes: &[(String, Outcome)]) -> (BTreeMap<String, usize>, usize) {
    let mut counts = BTreeMap::new();
    let mut spoiled = 0;
    for (_, o) in outcomes {
        match o {
            Outcome::Plaintext(p) => {
                *counts
                    .entry(String::from_utf8(p.clone()).unwrap())
                    .or_insert(0) += 1
            }
            Outcome::Spoiled(_) => spoiled += 1,
        }
    }
    (counts, spoiled)
}

/// The transcript of `cycle` every agent kept must be the collected one, and verify.
fn check_kept(paths: &[PathBuf], joint: &str, cycle: u64, json: &str, logs: &[Vec<String>]) {
    for (p, log) in paths.iter().zip(logs) {
        let kept = transcript_path(p, joint, cycle);
        assert!(
            kept.starts_with(p.parent().unwrap().join("elections")),
            "{}",
            kept.display()
        );
        let text = std::fs::read_to_string(&kept)
            .unwrap_or_else(|e| panic!("{}: {e}; agent log {log:#?}", kept.display()));
        assert_eq!(
            text,
            json,
            "{} differs from the collected transcript",
            kept.display()
        );
        panoramix_zeus::verify_election(&text).unwrap();
        assert!(
            log.iter().any(|e| e.contains(&format!(
                "election transcript of cycle {cycle} verified and kept"
            ))),
            "{log:#?}"
        );
        assert!(!log.iter().any(|e| e.starts_with("REFUSED")), "{log:#?}");
    }
}

#[test]
fn election_with_voter_list_revote_copied_and_ineligible_ballots() {
    if skip_on_worker("a 3-contributor election with agents in threads") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let mut rng = rand_core::OsRng;
    let voters: Vec<VoterSecret> = (0..7).map(|_| VoterSecret::generate(&mut rng)).collect();
    let outsider = VoterSecret::generate(&mut rng);
    let cs: Vec<Contributor> = (0..3).map(|_| Contributor::new("ZEUS")).collect();
    // 8 admissible ballots (7 voters, one of whom votes twice) close the booth; the
    // inbox takes 10 (the two refused ones too)
    let mut spec = election_spec("referendum", 8, &["yes", "no", "abstain"], &voters);
    spec.size_max = 10;
    let joint = setup_mixnet(&srv, &cs, &spec);
    let (paths, agents) = run_agents_with_state(&srv, &cs, &joint, dir.path(), 1);
    let sender = Sender::new(srv.client(), &joint).unwrap();
    wait("the booth", Duration::from_secs(60), || {
        sender.is_open(1).then_some(())
    });

    // what the library refuses before anything is posted
    assert!(
        sender.send(1, "x", b"yes").is_err(),
        "a one-time credential cannot vote in an election with a voter list"
    );
    assert!(sender.encrypt_ballot(1, &voters[0], b"maybe").is_err());

    let params = sender.election_params(1).unwrap();
    assert_eq!(params.answers, ["yes", "no", "abstain"]);
    assert_eq!(params.voters.len(), 7);
    // voter 5's ballot, copied and moved to voter 6's credential (with voter 6's
    // signature of its own ballot: the copy's validity proof names voter 5)
    let original = panoramix_zeus::encrypt_ballot(&params, &voters[5], b"no", &mut rng).unwrap();
    let other = panoramix_zeus::encrypt_ballot(&params, &voters[6], b"yes", &mut rng).unwrap();
    let mut forged = original.clone();
    forged.credential = voters[6].public();
    forged.signature = other.signature;
    let ineligible = panoramix_zeus::encrypt_ballot(&params, &outsider, b"yes", &mut rng).unwrap();
    // why the booth will refuse them: the copy's validity proof is bound to voter 5's
    // credential (checked before the signature, so a genuine signature by voter 6
    // would not save it); the outsider is not on the list
    assert!(matches!(
        panoramix_zeus::verify_ballot(&params, &forged, 0),
        Err(panoramix_zeus::VerifyError::BallotProof { .. })
    ));
    assert!(matches!(
        panoramix_zeus::verify_ballot(&params, &ineligible, 0),
        Err(panoramix_zeus::VerifyError::NotEligible { .. })
    ));

    sender.send_ballot(1, &voters[0], b"yes").unwrap();
    sender.send_ballot(1, &voters[1], b"no").unwrap();
    sender.post(1, &joint, &forged.to_text()).unwrap(); // before the original
    sender.send_ballot(1, &voters[2], b"yes").unwrap();
    sender.send_ballot(1, &voters[4], b"yes").unwrap(); // replaced below
    sender.post(1, &joint, &ineligible.to_text()).unwrap();
    sender.send_ballot(1, &voters[3], b"abstain").unwrap();
    sender.post(1, &joint, &original.to_text()).unwrap();
    sender.send_ballot(1, &voters[4], b"abstain").unwrap(); // the last one counts
    sender.send_ballot(1, &voters[6], b"yes").unwrap();

    let outcomes = wait("the tally", Duration::from_secs(120), || {
        sender.outcomes(1).unwrap()
    });
    let logs = agents.join().unwrap();
    let (counts, spoiled) = tally(&outcomes);
    assert_eq!(spoiled, 0, "{outcomes:?}");
    let want: BTreeMap<String, usize> = [("yes", 3), ("no", 2), ("abstain", 2)]
        .into_iter()
        .map(|(a, n)| (a.to_owned(), n))
        .collect();
    assert_eq!(counts, want, "logs {logs:#?}");
    assert_eq!(sender.results(1).unwrap().unwrap().len(), 7);

    let (accepted, left) = booth_boxes(&srv, &spec);
    assert_eq!(accepted.len(), 8);
    assert!(
        accepted.contains(&original.to_text()),
        "voter 5's own ballot"
    );
    for refused in [&forged, &ineligible] {
        assert!(!accepted.contains(&refused.to_text()));
        assert!(left.contains(&refused.to_text()));
    }

    let t = collect(&srv.client(), &spec, &joint, 1).unwrap();
    assert_eq!(
        t.ballots.len(),
        8,
        "every accepted ballot, the superseded one too"
    );
    assert_eq!(t.plaintexts.len(), 7);
    assert_eq!(t.election.voters.len(), 7);
    let json = transcript_json(&t);
    let report = panoramix_zeus::verify_election(&json).unwrap();
    assert_eq!(
        (
            report.ballots,
            report.spoiled,
            report.trustees,
            report.mixes
        ),
        (7, 0, 3, 3),
        "counted ballots"
    );
    check_kept(&paths, &joint, 1, &json, &logs);

    // the CLI verifier takes the kept file (exit 0) and refuses a flipped proof byte (3)
    let kept = transcript_path(&paths[0], &joint, 1);
    let (code, out, err) = run_cli(&["verify-election", kept.to_str().unwrap()], None);
    assert_eq!(code, 0, "{out}{err}");
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let r = v["ballots"][0]["signature"]["response"]
        .as_str()
        .unwrap()
        .to_owned();
    let flipped = format!("{}{}", if r.starts_with('0') { "1" } else { "0" }, &r[1..]);
    v["ballots"][0]["signature"]["response"] = serde_json::json!(flipped);
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, v.to_string()).unwrap();
    let (code, out, err) = run_cli(&["verify-election", bad.to_str().unwrap()], None);
    assert_eq!(code, 3, "{out}{err}");
}

#[test]
fn free_text_election_reports_a_junk_ballot_spoiled_and_completes_and_the_next_one_too() {
    if skip_on_worker("a 3-contributor election with agents in threads") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let mut rng = rand_core::OsRng;
    let voters: Vec<VoterSecret> = (0..4).map(|_| VoterSecret::generate(&mut rng)).collect();
    let cs: Vec<Contributor> = (0..3).map(|_| Contributor::new("ZEUS")).collect();
    // 5 ballots per cycle; the inbox takes a 6th (a replay refused in cycle 2)
    let mut spec = election_spec("freetext", 5, &[], &[]);
    spec.size_max = 6;
    let joint = setup_mixnet(&srv, &cs, &spec);
    let (paths, agents) = run_agents_with_state(&srv, &cs, &joint, dir.path(), 2);
    let sender = Sender::new(srv.client(), &joint).unwrap();
    wait("the booth", Duration::from_secs(60), || {
        sender.is_open(1).then_some(())
    });
    let params = sender.election_params(1).unwrap();
    assert!(params.answers.is_empty() && params.voters.is_empty());
    // a random group element: not the encoding of any plaintext
    let junk_element = VoterSecret::generate(&mut rng).public().decode().unwrap();
    let junk =
        panoramix_zeus::encrypt_element(&params, &voters[3], &junk_element, &mut rng).unwrap();
    let texts = ["first", "second", "third"];
    for (v, t) in voters.iter().zip(texts) {
        sender.send_ballot(1, v, t.as_bytes()).unwrap();
    }
    sender.post(1, &joint, &junk.to_text()).unwrap();
    // any credential may vote: a one-time one
    sender.send(1, "x", b"fourth").unwrap();

    let outcomes = wait("the tally", Duration::from_secs(120), || {
        sender.outcomes(1).unwrap()
    });
    let (counts, spoiled) = tally(&outcomes);
    assert_eq!(spoiled, 1, "{outcomes:?}");
    let want: BTreeMap<String, usize> = ["first", "second", "third", "fourth"]
        .into_iter()
        .map(|a| (a.to_owned(), 1))
        .collect();
    assert_eq!(counts, want);
    let junk_m = outcomes
        .iter()
        .find_map(|(_, o)| match o {
            Outcome::Spoiled(m) => Some(*m),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        junk_m.decode().unwrap(),
        junk_element,
        "the published element is the junk"
    );
    let results = sender.results(1).unwrap().unwrap();
    assert_eq!(results.len(), 4, "no spoiled entry passed on as bytes");

    let (accepted, _) = booth_boxes(&srv, &spec);
    assert!(
        accepted.contains(&junk.to_text()),
        "the booth accepts the junk ballot"
    );
    let t = collect(&srv.client(), &spec, &joint, 1).unwrap();
    assert_eq!(t.ballots.len(), 5);
    assert_eq!(
        t.plaintexts.iter().filter(|p| p.is_spoiled()).count(),
        1,
        "{:?}",
        t.plaintexts
    );
    let json = transcript_json(&t);
    let report = panoramix_zeus::verify_election(&json).unwrap();
    assert_eq!((report.ballots, report.spoiled), (5, 1));

    // the next election (cycle 2): a ballot of cycle 1 is bound to its session and
    // refused; the agents keep a second file
    wait("the second booth", Duration::from_secs(60), || {
        sender.is_open(2).then_some(())
    });
    sender.post(2, &joint, &junk.to_text()).unwrap();
    let again = ["a", "b", "c", "d"];
    for (v, t) in voters.iter().zip(again) {
        sender.send_ballot(2, v, t.as_bytes()).unwrap();
    }
    sender.send(2, "x", b"e").unwrap();
    let outcomes2 = wait("the second tally", Duration::from_secs(120), || {
        sender.outcomes(2).unwrap()
    });
    let logs = agents.join().unwrap();
    let (counts2, spoiled2) = tally(&outcomes2);
    assert_eq!(spoiled2, 0, "{outcomes2:?}");
    assert_eq!(
        counts2.keys().collect::<Vec<_>>(),
        ["a", "b", "c", "d", "e"]
    );
    let t2 = collect(&srv.client(), &spec, &joint, 2).unwrap();
    assert_eq!(t2.election.session_id, format!("{joint}/2"));
    let json2 = transcript_json(&t2);
    panoramix_zeus::verify_election(&json2).unwrap();
    check_kept(&paths, &joint, 1, &json, &logs);
    check_kept(&paths, &joint, 2, &json2, &logs);
}
