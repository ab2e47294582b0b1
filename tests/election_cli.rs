//! Election transcripts from the command line (issue 13): `panoramix demo --out DIR`
//! writes the whole election to `DIR/election.json`, `panoramix verify-election` accepts
//! it (exit 0) and refuses (exit 3, naming the first failing check) the same file with
//! any proof, a plaintext or a trustee key changed; it exits 2 when the file cannot be
//! read or is not JSON at all. The demo runs once for the whole suite (small: no Sphinx
//! messages, 30 ballots); the bulk of the tampered files is checked in process with
//! `panoramix_zeus::verify_election` (the function the command calls), a handful with
//! the binary.
mod common;

use common::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const BALLOTS: usize = 30;
const CONTRIBUTORS: usize = 3;

struct Demo {
    dir: PathBuf,
    file: PathBuf,
    text: String,
    transcript: Value,
    summary: Value,
}

/// `panoramix demo --messages 0 --ballots 30 --json --out DIR`, once per run of the
/// suite, in `target/tmp/election_cli-demo` (replaced at each run).
fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("election_cli-demo");
        let _ = std::fs::remove_dir_all(&dir);
        let (code, stdout, stderr) = run_cli(
            &[
                "demo",
                "--messages",
                "0",
                "--ballots",
                &BALLOTS.to_string(),
                "--contributors",
                &CONTRIBUTORS.to_string(),
                "--clients",
                "4",
                "--json",
                "--out",
                dir.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(code, 0, "demo failed:\n{stdout}\n{stderr}");
        let summary: Value =
            serde_json::from_str(stdout.trim()).expect("one JSON document on stdout");
        let file = dir.join("election.json");
        let text = std::fs::read_to_string(&file).expect("DIR/election.json written");
        let transcript = serde_json::from_str(&text).expect("election.json is JSON");
        Demo {
            dir,
            file,
            text,
            transcript,
            summary,
        }
    })
}

/// `panoramix verify-election FILE --json`: (exit code, the JSON document on stdout).
fn verify_cli(file: &Path) -> (i32, Value, String) {
    let (code, stdout, stderr) =
        run_cli(&["verify-election", file.to_str().unwrap(), "--json"], None);
    let doc = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("--json printed no JSON ({e}):\n{stdout}\n{stderr}"));
    (code, doc, stderr)
}

/// Write `v` next to the demo's transcript as `name` and return its path.
fn write_variant(name: &str, v: &Value) -> PathBuf {
    let p = demo().dir.join(name);
    std::fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
    p
}

/// A small deterministic generator (splitmix64): the sample of tampered positions is
/// the same at every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Every hex string under `v` (JSON pointer, kind = the pointer with indices as `*`).
fn hex_leaves(v: &Value, at: &str, kind: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::String(s) if is_hex(s) => out.push((at.to_owned(), kind.to_owned())),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                hex_leaves(x, &format!("{at}/{i}"), &format!("{kind}/*"), out);
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                hex_leaves(x, &format!("{at}/{k}"), &format!("{kind}/{k}"), out);
            }
        }
        _ => {}
    }
}

/// The proof-bearing fields of a transcript: every hex string under
/// ballots[*].validity, ballots[*].signature, mixes[*].proof,
/// partial_decryptions[*].proofs and election.trustees[*].proof.
fn proof_fields(t: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let list = |key: &str| t[key].as_array().cloned().unwrap_or_default();
    for (i, b) in list("ballots").iter().enumerate() {
        for f in ["validity", "signature"] {
            hex_leaves(
                &b[f],
                &format!("/ballots/{i}/{f}"),
                &format!("/ballots/*/{f}"),
                &mut out,
            );
        }
    }
    for (k, m) in list("mixes").iter().enumerate() {
        hex_leaves(
            &m["proof"],
            &format!("/mixes/{k}/proof"),
            "/mixes/*/proof",
            &mut out,
        );
    }
    for (j, d) in list("partial_decryptions").iter().enumerate() {
        hex_leaves(
            &d["proofs"],
            &format!("/partial_decryptions/{j}/proofs"),
            "/partial_decryptions/*/proofs",
            &mut out,
        );
    }
    let trustees = t["election"]["trustees"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (j, k) in trustees.iter().enumerate() {
        hex_leaves(
            &k["proof"],
            &format!("/election/trustees/{j}/proof"),
            "/election/trustees/*/proof",
            &mut out,
        );
    }
    out
}

/// `t` with one hex digit of the string at `pointer` changed (position and new digit
/// from `rng`).
fn flip_digit(t: &Value, pointer: &str, rng: &mut Rng) -> (Value, String) {
    let mut v = t.clone();
    let s = v.pointer_mut(pointer).expect("pointer exists");
    let old = s.as_str().unwrap().to_owned();
    let pos = rng.below(old.len());
    let d = u32::from_str_radix(&old[pos..=pos], 16).unwrap();
    let new_digit = (d + 1 + rng.below(15) as u32) % 16;
    let mut new = old.clone();
    new.replace_range(
        pos..=pos,
        &char::from_digit(new_digit, 16).unwrap().to_string(),
    );
    assert_ne!(new, old);
    *s = Value::String(new);
    (v, format!("{pointer}[{pos}]"))
}

/// `t` with one bit of one character of the string at `pointer` flipped (the
/// character stays printable ASCII: a hex digit becomes another digit, an uppercase
/// letter or a character that is no hex at all).
fn flip_bit(t: &Value, pointer: &str, rng: &mut Rng) -> (Value, String) {
    let mut v = t.clone();
    let s = v.pointer_mut(pointer).expect("pointer exists");
    let mut bytes = s.as_str().unwrap().as_bytes().to_vec();
    let pos = rng.below(bytes.len());
    let (old, new) = loop {
        let b = bytes[pos] ^ (1 << rng.below(7));
        if (0x20..0x7f).contains(&b) {
            break (bytes[pos], b);
        }
    };
    bytes[pos] = new;
    *s = Value::String(String::from_utf8(bytes).unwrap());
    (
        v,
        format!("{pointer}[{pos}] {:?} -> {:?}", old as char, new as char),
    )
}

/// The five parts of a transcript that carry proofs (kinds start with one of these).
const PARTS: [&str; 5] = [
    "/ballots/*/validity/",
    "/ballots/*/signature/",
    "/mixes/*/proof/",
    "/partial_decryptions/*/proofs/",
    "/election/trustees/*/proof/",
];

/// The kind of a pointer: its indices as `*`.
fn kind_of(pointer: &str) -> String {
    pointer
        .split('/')
        .map(|s| {
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                "*"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn demo_writes_the_election_and_verify_election_accepts_it() {
    let d = demo();
    let zeus = &d.summary["zeus"];
    assert_eq!(zeus["ballots"], BALLOTS);
    assert_eq!(
        zeus["transcript"].as_str(),
        d.file.to_str(),
        "the summary names the transcript: {zeus}"
    );
    assert_eq!(zeus["spoiled"], 0, "the demo casts no spoiled ballot");
    assert!(d.text.contains("\n  "), "pretty JSON");
    let t = &d.transcript;
    assert_eq!(t["version"], "panoramix/zeus/v2/election");
    assert_eq!(t["election"]["answers"], json!(["yes", "no", "abstain"]));
    let voters = t["election"]["voters"].as_array().expect("a voter list");
    assert_eq!(voters.len(), BALLOTS, "one credential per ballot");
    let ballots = t["ballots"].as_array().unwrap();
    assert_eq!(ballots.len(), BALLOTS);
    let mut credentials: Vec<&Value> = ballots.iter().map(|b| &b["credential"]).collect();
    credentials.sort_by_key(|c| c.as_str());
    credentials.dedup();
    assert_eq!(
        credentials.len(),
        BALLOTS,
        "each voter cast with its own credential"
    );
    assert!(credentials.iter().all(|c| voters.contains(c)));
    assert!(
        ballots
            .iter()
            .all(|b| b["validity"]["one_of"].as_array().map(Vec::len) == Some(3))
    );
    assert_eq!(t["mixes"].as_array().unwrap().len(), CONTRIBUTORS);
    assert_eq!(
        t["partial_decryptions"].as_array().unwrap().len(),
        CONTRIBUTORS
    );
    assert_eq!(
        t["election"]["trustees"].as_array().unwrap().len(),
        CONTRIBUTORS
    );
    // the published tally is the summary's
    let mut tally = std::collections::BTreeMap::<String, u64>::new();
    for p in t["plaintexts"].as_array().unwrap() {
        let bytes = hex::decode(p.as_str().unwrap()).expect("no spoiled ballot");
        *tally.entry(String::from_utf8(bytes).unwrap()).or_default() += 1;
    }
    assert_eq!(json!(tally), zeus["tally"]);

    // the command: exit 0, the report in text and as JSON
    let (code, stdout, stderr) = run_cli(&["verify-election", d.file.to_str().unwrap()], None);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("election transcript OK"), "{stdout}");
    let (code, doc, stderr) = verify_cli(&d.file);
    assert_eq!(code, 0, "{doc}\n{stderr}");
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["report"]["ballots"], BALLOTS);
    assert_eq!(doc["report"]["trustees"], CONTRIBUTORS);
    assert_eq!(doc["report"]["mixes"], CONTRIBUTORS);
    assert!(!doc["report"]["checks"].as_array().unwrap().is_empty());
}

#[test]
fn every_proof_field_changed_fails_verification() {
    let d = demo();
    let t = &d.transcript;
    // the file as re-serialised here verifies: every failure below is the change's
    let same = serde_json::to_string_pretty(t).unwrap();
    panoramix_zeus::verify_election(&same).expect("the untouched transcript verifies");

    let fields = proof_fields(t);
    let mut kinds: Vec<&str> = fields.iter().map(|(_, k)| k.as_str()).collect();
    kinds.sort();
    kinds.dedup();
    for prefix in PARTS {
        assert!(
            kinds.iter().any(|k| k.starts_with(prefix)),
            "no proof field under {prefix}: {kinds:?}"
        );
    }
    // the sample: the first and the last field of every kind, then 60 at random
    let mut rng = Rng(0x5eed_2026_1207);
    let mut sample: Vec<&str> = Vec::new();
    for k in &kinds {
        let of_kind: Vec<&str> = fields
            .iter()
            .filter(|(_, fk)| fk == k)
            .map(|(p, _)| p.as_str())
            .collect();
        sample.push(of_kind[0]);
        if of_kind.len() > 1 {
            sample.push(of_kind[of_kind.len() - 1]);
        }
    }
    for _ in 0..60 {
        sample.push(fields[rng.below(fields.len())].0.as_str());
    }
    let mut accepted = Vec::new();
    let mut by_binary: Vec<(String, Value)> = Vec::new();
    for pointer in &sample {
        let (v, what) = flip_digit(t, pointer, &mut rng);
        let text = serde_json::to_string_pretty(&v).unwrap();
        match panoramix_zeus::verify_election(&text) {
            Ok(_) => accepted.push(what),
            Err(e) => {
                eprintln!("{what}: {e}");
                // one per part (ballot validity, ballot signature, mix, partial
                // decryption, trustee key) goes through the binary too
                let part = PARTS
                    .iter()
                    .find(|p| kind_of(pointer).starts_with(*p))
                    .unwrap()
                    .to_string();
                if !by_binary.iter().any(|(p, _)| *p == part) {
                    by_binary.push((part, v));
                }
            }
        }
    }
    assert!(
        accepted.is_empty(),
        "{} of {} changed proofs still verify: {accepted:?}",
        accepted.len(),
        sample.len()
    );
    assert!(
        by_binary.len() >= 5,
        "{:?}",
        by_binary.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for (i, (part, v)) in by_binary.iter().enumerate() {
        let f = write_variant(&format!("tampered-proof-{i}.json"), v);
        let (code, doc, stderr) = verify_cli(&f);
        assert_eq!(code, 3, "{part}: {doc}\n{stderr}");
        assert_eq!(doc["valid"], false, "{part}: {doc}");
        let c = doc["error"]["code"].as_str().unwrap_or("");
        assert!(
            !c.is_empty() && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{part}: a snake_case code: {doc}"
        );
        assert!(
            !doc["error"]["message"].as_str().unwrap_or("").is_empty(),
            "{doc}"
        );
    }
}

#[test]
fn a_changed_plaintext_fails_verification() {
    let d = demo();
    let mut v = d.transcript.clone();
    let plaintexts = v["plaintexts"].as_array_mut().unwrap();
    let first = plaintexts[0].as_str().unwrap().to_owned();
    let other = ["yes", "no", "abstain"]
        .iter()
        .map(hex::encode)
        .find(|h| *h != first)
        .unwrap();
    plaintexts[0] = Value::String(other);
    let f = write_variant("tampered-plaintext.json", &v);
    let (code, doc, stderr) = verify_cli(&f);
    assert_eq!(code, 3, "{doc}\n{stderr}");
    assert_eq!(doc["error"]["code"], "outcome_mismatch", "{doc}");
    // and in text: the failing check is named
    let (code, stdout, _) = run_cli(&["verify-election", f.to_str().unwrap()], None);
    assert_eq!(code, 3);
    assert!(
        stdout.contains("FAILS") && stdout.contains("plaintext 0"),
        "{stdout}"
    );
}

#[test]
fn a_foreign_trustee_key_fails_verification() {
    let d = demo();
    let mut v = d.transcript.clone();
    let session = v["election"]["trustee_key_session"]
        .as_str()
        .or(v["election"]["session_id"].as_str())
        .unwrap()
        .to_owned();
    let mut rng = rand_core::OsRng;
    // a well-formed key with a valid proof of knowledge, but not one of this election's
    let foreign = panoramix_zeus::TrusteeSecret::generate(&mut rng).publish(&session, &mut rng);
    v["election"]["trustees"][0] = serde_json::to_value(foreign).unwrap();
    let f = write_variant("tampered-trustee.json", &v);
    let (code, doc, stderr) = verify_cli(&f);
    assert_eq!(code, 3, "{doc}\n{stderr}");
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["error"]["code"], "joint_key_mismatch", "{doc}");
}

#[test]
fn unreadable_or_not_json_exits_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let (code, stdout, stderr) = run_cli(&["verify-election", missing.to_str().unwrap()], None);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("cannot read") && stderr.contains("missing.json"),
        "{stderr}"
    );
    let (code, doc, _) = verify_cli(&missing);
    assert_eq!(code, 2);
    assert_eq!(doc["error"]["code"], "unreadable", "{doc}");

    for (name, bytes) in [
        ("garbage.json", &b"election? no"[..]),
        (
            "truncated.json",
            &b"{\"version\": \"panoramix/zeus/v2/elec"[..],
        ),
        ("binary.json", &[0xff, 0xfe, 0x00, 0x7b][..]),
    ] {
        let f = dir.path().join(name);
        std::fs::write(&f, bytes).unwrap();
        let (code, stdout, stderr) = run_cli(&["verify-election", f.to_str().unwrap()], None);
        assert_eq!(code, 2, "{name}: {stdout}\n{stderr}");
        assert!(
            stderr.contains("not a JSON election transcript"),
            "{name}: {stderr}"
        );
        let (code, doc, _) = verify_cli(&f);
        assert_eq!(code, 2, "{name}");
        assert_eq!(doc["error"]["code"], "not_json", "{name}: {doc}");
    }

    // JSON, but not a transcript: invalid (exit 3), not unreadable
    let f = dir.path().join("other.json");
    std::fs::write(&f, "{\"hello\": 1}").unwrap();
    let (code, doc, _) = verify_cli(&f);
    assert_eq!(code, 3, "{doc}");
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["error"]["code"], "malformed", "{doc}");
}

#[test]
fn every_proof_field_with_one_bit_flipped_fails_verification() {
    let d = demo();
    let t = &d.transcript;
    let fields = proof_fields(t);
    let mut kinds: Vec<&str> = fields.iter().map(|(_, k)| k.as_str()).collect();
    kinds.sort();
    kinds.dedup();
    // one field of every kind, then 30 at random; one bit of one character each
    let mut rng = Rng(0x0b17_f11b_2026);
    let mut sample: Vec<&str> = kinds
        .iter()
        .map(|k| fields.iter().find(|(_, fk)| fk == k).unwrap().0.as_str())
        .collect();
    for _ in 0..30 {
        sample.push(fields[rng.below(fields.len())].0.as_str());
    }
    let mut accepted = Vec::new();
    for pointer in &sample {
        let (v, what) = flip_bit(t, pointer, &mut rng);
        let text = serde_json::to_string_pretty(&v).unwrap();
        match panoramix_zeus::verify_election(&text) {
            Ok(_) => accepted.push(what),
            Err(e) => eprintln!("{what}: {e}"),
        }
    }
    assert!(
        accepted.is_empty(),
        "{} of {} proofs with a bit flipped still verify: {accepted:?}",
        accepted.len(),
        sample.len()
    );
}
