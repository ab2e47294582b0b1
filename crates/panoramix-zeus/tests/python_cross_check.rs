//! Cross-implementation check: the independent Python verifier in
//! `tests/python/verify_zeus.py` (written against docs/zeus.md, not from this
//! crate's code) must
//! * accept the committed known-answer vectors: whole elections for N = 1, 2, 3
//!   and 10, the two small elections through the box rule (one with a re-vote, a
//!   replay, an off-list credential and two spoiled ballots; one with a
//!   candidate list), and the ballot vectors (validity proofs for K = 1, 2, 5,
//!   the knowledge proof, signatures), reproducing their generators,
//!   challenges, Sako–Kilian bits, transcript digests and booth decisions, and
//!   re-creating the ballots byte for byte from their seeds;
//! * reject mutated copies of every transcript (`--self-test`);
//! * accept a fresh election with five answers made here, and reject tampered
//!   transcripts made here that this crate's verifier also rejects, naming the
//!   same check.
//!
//! It runs on libsodium's Ristretto255 (through the pinned `pysodium`), after
//! checking that backend against its own pure-Python RFC 9496 arithmetic
//! (`--check-backends`).
//!
//! Never skipped: without python3 or its dependencies the test fails and says how
//! to install them (`bash scripts/ensure-python.sh`, which scripts/test.sh runs).
//! The interpreter is `$PANORAMIX_PYTHON` if set, else the virtual environment
//! `target/python-venv` that script makes, else `python3`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use panoramix_zeus::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::Value;

/// The Python interpreter the verifiers run on (see the module documentation).
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("PANORAMIX_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/python-venv/bin/python3");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run the verifier with `args`; fails the test if it cannot run at all.
fn run(args: &[&str], files: &[PathBuf]) -> (Output, String) {
    let py = python();
    let out = Command::new(&py)
        .arg(dir().join("tests/python/verify_zeus.py"))
        .args(args)
        .args(files)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} ({e}): the independent Zeus verifier needs python3 with the pinned \
                 pysodium and libsodium >= 1.0.18; install them with `bash scripts/ensure-python.sh` \
                 (or point PANORAMIX_PYTHON at an interpreter that has them)",
                py.display()
            )
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(
        out.status.code(),
        Some(3),
        "{} lacks the verifier's dependencies: run `bash scripts/ensure-python.sh`\n{text}",
        py.display()
    );
    (out, text)
}

#[test]
fn python_verifier_accepts_vectors_and_rejects_mutations() {
    let v = dir().join("tests/vectors");
    let transcripts = [
        "zeus_n1.json",
        "zeus_n2.json",
        "zeus_n3.json",
        "zeus_n10.json",
        "zeus_election_spoiled.json",
        "zeus_election_answers.json",
        "zeus_election_threshold.json",
    ];
    let mut files: Vec<PathBuf> = transcripts.iter().map(|f| v.join(f)).collect();
    files.push(v.join("zeus_ballots.json"));
    let start = Instant::now();
    let (out, stdout) = run(
        &["--backend", "sodium", "--check-backends", "--self-test"],
        &files,
    );
    assert!(out.status.success(), "python verifier failed:\n{stdout}");
    println!("{stdout}({:.1} s)", start.elapsed().as_secs_f64());
    assert_eq!(stdout.matches("backends agree").count(), 1, "{stdout}");
    assert_eq!(stdout.matches(": VALID").count(), files.len(), "{stdout}");
    assert_eq!(
        stdout.matches("sodium backend").count(),
        files.len(),
        "{stdout}"
    );
    assert!(
        stdout.contains("zeus_election_spoiled.json: VALID (4 ballots counted, 2 spoiled"),
        "{stdout}"
    );
    assert!(
        stdout.contains("zeus_ballots.json: VALID (4 ballots: validity proofs, signatures, challenges, openings, re-created from their seeds"),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("mutations rejected").count(),
        transcripts.len(),
        "{stdout}"
    );
    // targeted mutations (18 with a TW and an SK mix, 15 with two TW mixes, 15 + 3 of
    // the key generation with one TW mix), plus 20 one-digit changes of the
    // transcripts with N ≤ 4 (of the values a valid transcript binds)
    for (file, count) in [
        ("zeus_n1.json", 38),
        ("zeus_n2.json", 38),
        ("zeus_n3.json", 38),
        ("zeus_n10.json", 18),
        ("zeus_election_spoiled.json", 35),
        ("zeus_election_answers.json", 38),
        ("zeus_election_threshold.json", 38),
    ] {
        assert!(
            stdout.contains(&format!("{file}: {count} mutations rejected")),
            "{file}: {count} mutations expected\n{stdout}"
        );
    }
}

/// A scratch file for one transcript.
fn scratch(name: &str, json: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("panoramix-zeus-cross-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    std::fs::write(&p, json).unwrap();
    p
}

fn load(name: &str) -> ElectionTranscript {
    let text = std::fs::read_to_string(dir().join("tests/vectors").join(name)).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    serde_json::from_value(v["transcript"].clone()).unwrap()
}

/// Both verifiers reject `t`; the Python one names `check`.
fn both_reject(name: &str, t: &ElectionTranscript, check: &str) {
    both_reject_json(name, &serde_json::to_string(t).unwrap(), check);
}

/// Both verifiers reject the transcript `json`; the Python one names `check`.
fn both_reject_json(name: &str, json: &str, check: &str) {
    let json = json.to_string();
    let rust = verify_election(&json).expect_err(name);
    let (out, text) = run(&["--backend", "sodium"], &[scratch(name, &json)]);
    assert_eq!(out.status.code(), Some(1), "{name}: {text}");
    assert!(
        text.contains(&format!("INVALID: {check}")),
        "{name}: the Python verifier should name {check:?} (Rust: {rust})\n{text}"
    );
}

#[test]
fn python_verifier_rejects_tampered_transcripts() {
    let mut rng = ChaCha20Rng::from_seed([0x7a; 32]);

    // a spoiled ballot (the marked "yes") published as a vote for "yes"
    let mut t = load("zeus_election_spoiled.json");
    let j = t
        .plaintexts
        .iter()
        .position(Outcome::is_spoiled)
        .expect("a spoiled outcome");
    t.plaintexts[j] = Outcome::Plaintext(b"yes".to_vec());
    both_reject("spoiled-as-yes.json", &t, &format!("outcome {j}"));

    // a vote published as spoiled
    let mut t = load("zeus_election_answers.json");
    t.plaintexts[0] = Outcome::Spoiled(t.election.election_public_key);
    both_reject("vote-as-spoiled.json", &t, "outcome 0");

    // a ballot moved to another listed credential
    let mut t = load("zeus_election_answers.json");
    t.ballots[1].credential = t.ballots[2].credential;
    both_reject("moved-credential.json", &t, "ballot 1: validity proof");

    // a voter whose ballot was counted removed from the list: the definition
    // digest changes, so every ballot signature fails
    let mut t = load("zeus_election_answers.json");
    let gone = t.ballots[2].credential;
    t.election.voters.retain(|v| *v != gone);
    both_reject("removed-voter.json", &t, "ballot 0: signature");

    // a valid ballot by a credential off the list
    let mut t = load("zeus_election_answers.json");
    let outsider = VoterSecret::generate(&mut rng);
    t.ballots[2] = encrypt_ballot(&t.election, &outsider, b"no", &mut rng).unwrap();
    both_reject("outsider.json", &t, "ballot 2: not eligible");

    // a foreign trustee key (with a valid proof of knowledge) in place of trustee 0
    let mut t = load("zeus_election_answers.json");
    t.election.trustees[0] =
        TrusteeSecret::generate(&mut rng).publish(&t.election.session_id, &mut rng);
    both_reject("foreign-trustee.json", &t, "joint key");

    // honest mixes and decryption, but over the superseded ballot instead of the
    // voter's last one: the first mix's input is not the box rule's list
    let mut t = load("zeus_election_answers.json");
    let secrets: Vec<TrusteeSecret> = serde_json::from_str::<Value>(
        &std::fs::read_to_string(dir().join("tests/vectors/zeus_election_answers.json")).unwrap(),
    )
    .unwrap()["intermediates"]["trustee_secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| TrusteeSecret::from_hex(s.as_str().unwrap()).unwrap())
        .collect();
    let first_of_voter0 = t.ballots[0].ciphertext;
    let mut wrong: Vec<Ciphertext> = t.ballots[1..t.ballots.len() - 1]
        .iter()
        .map(|b| b.ciphertext)
        .collect();
    wrong.insert(0, first_of_voter0);
    let (mixes, pds, outs) = tally(&t.election, &[MixKind::Tw], wrong, &secrets, &mut rng).unwrap();
    (t.mixes, t.partial_decryptions, t.plaintexts) = (mixes, pds, outs);
    both_reject("superseded-counted.json", &t, "mix 0: TW equation");

    // threshold: a partial decryption relabelled as the disqualified trustee 2's
    let mut t = load("zeus_election_threshold.json");
    let mut pd = t.partial_decryptions[2].clone();
    pd.trustee = 1;
    t.partial_decryptions.push(pd);
    both_reject(
        "threshold-disqualified.json",
        &t,
        "partial decryption 4: trustee 1 not qualified",
    );

    // threshold: only two valid partial decryptions left (the third one's proof is bad)
    let mut t = load("zeus_election_threshold.json");
    t.partial_decryptions.pop();
    both_reject(
        "threshold-too-few.json",
        &t,
        "2 valid partial decryptions, 3 needed",
    );

    // a field no version defines, inside a ballot's signature
    let mut v = serde_json::to_value(load("zeus_election_answers.json")).unwrap();
    v["ballots"][0]["signature"]["note"] = Value::from("x");
    both_reject_json(
        "unknown-field.json",
        &v.to_string(),
        "malformed at transcript.ballots[0].signature",
    );
}

#[test]
fn python_verifier_accepts_a_fresh_five_answer_election() {
    let mut rng = ChaCha20Rng::from_seed([0x5b; 32]);
    let answers: Vec<String> = ["alice", "bob", "carol", "dave", "erin"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let spec = ElectionSpec {
        session_id: "cross-check/five answers".into(),
        trustees: 3,
        mixes: vec![MixKind::Tw, MixKind::Sk { rounds: 128 }, MixKind::Tw],
        plaintexts: [0, 3, 3, 1, 4, 2]
            .iter()
            .map(|&i| answers[i].clone().into_bytes())
            .collect(),
        answers,
    };
    let (t, _) = simulate_election(&spec, &mut rng).unwrap();
    let json = serde_json::to_string(&t).unwrap();
    verify_election(&json).unwrap();
    let (out, text) = run(&["--backend", "sodium"], &[scratch("five.json", &json)]);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("VALID (6 ballots counted, 0 spoiled;"),
        "{text}"
    );
}

/// The path every host takes (the contributor agent, `panoramix demo --out`, the
/// browser): endpoint texts through `backend::process`, then `assemble_transcript`.
/// Free text, a re-vote and a marked ballot (spoiled).
#[test]
fn python_verifier_accepts_an_assembled_election() {
    use panoramix_zeus::backend::{EndpointType as E, process};
    let mut rng = ChaCha20Rng::from_seed([0x3c; 32]);
    let sid = "cross-check/assembled";
    let secrets: Vec<TrusteeSecret> = (0..2).map(|_| TrusteeSecret::generate(&mut rng)).collect();
    let trustees: Vec<TrusteeKey> = secrets
        .iter()
        .map(|s| s.publish("cross-check/keys", &mut rng))
        .collect();
    let pk = combine_trustee_keys("cross-check/keys", &trustees).unwrap();
    let voters: Vec<VoterSecret> = (0..3).map(|_| VoterSecret::generate(&mut rng)).collect();
    let mut params = ZeusParams::new(sid, pk);
    params.trustees = trustees;
    params.trustee_key_session = "cross-check/keys".into();
    params.voters = voters.iter().map(VoterSecret::public).collect();
    let ctr = encode_plaintext(b"red").unwrap().compress().to_bytes()[0] >> 1;
    let marked = (ctr + 1..128)
        .find_map(|c| encode_with_counter(b"red", c))
        .unwrap();
    let inputs: Vec<String> = vec![
        encrypt_ballot(&params, &voters[0], b"green", &mut rng)
            .unwrap()
            .to_text(),
        encrypt_ballot(&params, &voters[1], b"blue", &mut rng)
            .unwrap()
            .to_text(),
        encrypt_element(&params, &voters[2], &marked, &mut rng)
            .unwrap()
            .to_text(),
        encrypt_ballot(&params, &voters[0], b"red", &mut rng)
            .unwrap()
            .to_text(),
    ];
    let booth = process(E::ZeusBooth, &params, None, &inputs, &mut rng).unwrap();
    let tw = process(E::ZeusTwMix, &params, None, &booth.outputs, &mut rng).unwrap();
    let sk = process(E::ZeusSkMix, &params, None, &tw.outputs, &mut rng).unwrap();
    let mut shares = Vec::new();
    for s in &secrets {
        shares.extend(
            process(
                E::ZeusSkPartialDecrypt,
                &params,
                Some(s),
                &sk.outputs,
                &mut rng,
            )
            .unwrap()
            .outputs,
        );
    }
    let outcomes = process(E::ZeusSkCombine, &params, None, &shares, &mut rng).unwrap();
    let t = assemble_transcript(
        &params,
        &inputs,
        vec![
            ("mixer-a".into(), tw.outputs, tw.proof),
            ("mixer-b".into(), sk.outputs, sk.proof),
        ],
        &shares,
        &outcomes.outputs,
    )
    .unwrap();
    let json = serde_json::to_string(&t).unwrap();
    let r = verify_election(&json).unwrap();
    assert_eq!((r.ballots, r.spoiled), (3, 1));
    let (out, text) = run(
        &["--backend", "sodium"],
        &[scratch("assembled.json", &json)],
    );
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("VALID (3 ballots counted, 1 spoiled;"),
        "{text}"
    );
}
