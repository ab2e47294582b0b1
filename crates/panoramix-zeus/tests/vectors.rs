//! Known-answer vectors from deterministic seeds: whole elections for
//! N ∈ {1, 2, 3, 10, 1000} (`zeus_n{N}.json`), ballots with validity proofs for
//! K = 0 (knowledge proof), 1, 2 and 5 answers and their signatures
//! (`zeus_ballots.json`), and two small elections through the box rule, one
//! with spoiled ballots and one with a candidate list
//! (`zeus_election_{spoiled,answers}.json`), and a 3-of-5 threshold election
//! with complaints and a skipped partial decryption
//! (`zeus_election_threshold.json`).
//!
//! `cargo test -p panoramix-zeus --test vectors` re-creates every vector in
//! memory, compares it byte for byte with the committed file in
//! `tests/vectors/`, and verifies the committed transcripts and ballots. The
//! test never writes the files: after an intentional format change rewrite them
//! with `cargo run -p panoramix-zeus --example write_vectors` (the generators
//! are in `examples/write_vectors/`, shared with this test). The byte examples
//! of docs/zeus.md marked `<!-- zeus-vector: ... -->` are checked against the
//! same vectors (`doc_examples_match_the_vectors`), and its domain table against
//! the crate's domain constants (`doc_domain_table_is_the_crates`).

#[path = "../examples/write_vectors/ballots.rs"]
mod ballots;
#[path = "../examples/write_vectors/elections.rs"]
mod elections;
#[path = "../examples/write_vectors/kat.rs"]
mod kat;
#[path = "../examples/write_vectors/threshold.rs"]
mod threshold;

use kat::{build, path, seed, spec};
use panoramix_zeus::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn check(n: usize) {
    let (v, tjson) = build(n);
    let text = std::fs::read_to_string(path(n)).unwrap();
    let stored: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(stored, v, "vector for n={n} differs from a fresh run");
    assert!(
        text == kat::text(&v),
        "vector file for n={n} is not byte for byte what `cargo run -p panoramix-zeus --example write_vectors` writes"
    );
    // the committed transcript verifies
    let tj = match stored.get("transcript") {
        // canonical form: the struct's field order, compact
        Some(t) => {
            let parsed: ElectionTranscript = serde_json::from_value(t.clone()).unwrap();
            serde_json::to_string(&parsed).unwrap()
        }
        None => tjson,
    };
    assert_eq!(
        hex::encode(Sha256::digest(tj.as_bytes())),
        stored["transcript_sha256"].as_str().unwrap()
    );
    let r = verify_election(&tj).unwrap();
    assert_eq!(r.ballots, n);
}

#[test]
fn kat_n1() {
    check(1);
}

#[test]
fn kat_n2() {
    check(2);
}

#[test]
fn kat_n3() {
    check(3);
}

#[test]
fn kat_n10() {
    check(10);
}

#[test]
fn kat_n1000() {
    check(1000);
}

/// Every committed vector file is one the generator writes, and each has one.
#[test]
fn committed_files_are_the_generated_ones() {
    let dir = path(1).parent().unwrap().to_path_buf();
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut want: Vec<String> = kat::SIZES
        .iter()
        .map(|n| format!("zeus_n{n}.json"))
        .chain(["zeus_ballots.json".to_string()])
        .chain(
            elections::NAMES
                .iter()
                .map(|n| format!("zeus_election_{n}.json")),
        )
        .chain(["zeus_election_threshold.json".to_string()])
        .collect();
    want.sort();
    assert_eq!(found, want);
}

/// The file at `p` is byte for byte `v` as the generator writes it.
fn same_file(p: &std::path::Path, v: &Value) -> Value {
    let text = std::fs::read_to_string(p).unwrap();
    let stored: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(&stored, v, "{} differs from a fresh run", p.display());
    assert!(
        text == kat::text(v),
        "{} is not byte for byte what `cargo run -p panoramix-zeus --example write_vectors` writes",
        p.display()
    );
    stored
}

#[test]
fn kat_ballots() {
    let stored = same_file(&ballots::path(), &ballots::build());
    let cases = stored["cases"].as_array().unwrap();
    assert_eq!(cases.len(), ballots::CASES.len());
    for c in cases {
        // the committed ballot verifies under its committed election, in both forms
        let params: ZeusParams = serde_json::from_value(c["election"].clone()).unwrap();
        let b: Ballot = serde_json::from_value(c["ballot"].clone()).unwrap();
        assert_eq!(
            Ballot::from_text(c["ballot_text"].as_str().unwrap()).unwrap(),
            b
        );
        verify_ballot(&params, &b, 0).unwrap();
        let r = HexScalar::from_hex(c["randomness"].as_str().unwrap()).unwrap();
        let answer = open_ballot(&params, &b, &r).unwrap();
        assert_eq!(answer, c["answer"].as_str().unwrap().as_bytes());
        let k = params.answers.len();
        assert_eq!(b.to_text().len(), 2 * ballot::ballot_len(k));
        // one flipped bit anywhere in the text is refused
        let text = b.to_text();
        for i in (0..text.len()).step_by(7) {
            let mut t = text.clone().into_bytes();
            t[i] = if t[i] == b'0' { b'1' } else { b'0' };
            let t = String::from_utf8(t).unwrap();
            if let Ok(bad) = Ballot::from_text(&t) {
                assert!(
                    verify_ballot(&params, &bad, 0).is_err(),
                    "{} digit {i}",
                    c["name"]
                );
            }
        }
    }
}

fn check_election(name: &str) {
    let (v, tjson) = elections::build(name);
    let stored = same_file(&elections::path(name), &v);
    let t: ElectionTranscript = serde_json::from_value(stored["transcript"].clone()).unwrap();
    let tj = serde_json::to_string(&t).unwrap();
    assert_eq!(tj, tjson);
    assert_eq!(
        hex::encode(Sha256::digest(tj.as_bytes())),
        stored["transcript_sha256"].as_str().unwrap()
    );
    let r = verify_election(&tj).unwrap();
    assert_eq!(r.spoiled as u64, stored["spoiled"].as_u64().unwrap());
    // the booth's decision on the committed inputs is the committed one
    let inputs: Vec<String> = serde_json::from_value(stored["booth_inputs"].clone()).unwrap();
    let d = booth_filter(&t.election, &inputs);
    assert_eq!(
        serde_json::to_value(&d.rejected).unwrap(),
        stored["booth_rejected"]
    );
    assert_eq!(serde_json::to_value(&d.counted).unwrap(), stored["counted"]);
    let accepted: Vec<Ballot> = d.accepted.into_iter().map(|(_, b)| b).collect();
    assert_eq!(accepted, t.ballots);
}

#[test]
fn kat_election_spoiled() {
    check_election("spoiled");
}

#[test]
fn kat_election_answers() {
    check_election("answers");
}

#[test]
fn kat_election_threshold() {
    let (v, tjson) = threshold::build();
    let stored = same_file(&threshold::path(), &v);
    let t: ElectionTranscript = serde_json::from_value(stored["transcript"].clone()).unwrap();
    assert_eq!(serde_json::to_string(&t).unwrap(), tjson);
    verify_election(&tjson).unwrap();
    // the key generation's outcome, recomputed from the committed record
    let o = t
        .election
        .dkg
        .as_ref()
        .unwrap()
        .verify(&t.election.trustees)
        .unwrap();
    assert_eq!(o.qualified, vec![1, 3, 4, 5]);
    assert_eq!(
        serde_json::to_value(&o.verification_keys).unwrap(),
        stored["dkg_outcome"]["verification_keys"]
    );
    // each qualified trustee's committed share matches its verification key
    for (j, s) in stored["intermediates"]["secret_shares"]
        .as_object()
        .unwrap()
    {
        let j: usize = j.parse().unwrap();
        let s = TrusteeSecret::from_hex(s.as_str().unwrap()).unwrap();
        assert_eq!(s.public_key(), o.verification_keys[j - 1]);
    }
}

#[test]
fn kat_n0_is_a_defined_error() {
    let mut rng = ChaCha20Rng::from_seed(seed(0));
    assert_eq!(
        simulate_election(&spec(0), &mut rng).err(),
        Some(ZeusError::EmptyInput)
    );
}

/// The value at a JSON pointer, as the docs write it: a string as it is, anything
/// else as compact JSON.
fn doc_form(v: &Value, pointer: &str) -> Option<String> {
    let x = v.pointer(pointer)?;
    Some(match x {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// Every block of docs/zeus.md after a `<!-- zeus-vector: FILE BASE -->` marker
/// lists `POINTER:` lines, each followed by the value (wrapped over indented lines);
/// each value must be the committed vector file's value at BASE + POINTER.
#[test]
fn doc_examples_match_the_vectors() {
    let doc_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/zeus.md");
    let doc = std::fs::read_to_string(&doc_path).unwrap();
    let lines: Vec<&str> = doc.lines().collect();
    let (mut blocks, mut values) = (0, 0);
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line
            .strip_prefix("<!-- zeus-vector: ")
            .and_then(|r| r.strip_suffix(" -->"))
        else {
            continue;
        };
        let (file, base) = rest.split_once(' ').expect("marker: FILE BASE");
        let base = base.trim_end_matches('/');
        let stored: Value = serde_json::from_str(
            &std::fs::read_to_string(path(1).parent().unwrap().join(file)).unwrap(),
        )
        .unwrap();
        assert_eq!(
            lines.get(i + 1),
            Some(&"```text"),
            "line {}: a text block",
            i + 2
        );
        let mut entries: Vec<(String, String)> = Vec::new();
        for l in lines[i + 2..].iter().take_while(|l| **l != "```") {
            if let Some(chunk) = l.strip_prefix("  ") {
                entries.last_mut().expect("a value after a pointer").1 += chunk;
            } else {
                let p = l.strip_suffix(':').expect("`POINTER:` line");
                entries.push((p.to_string(), String::new()));
            }
        }
        for (p, shown) in &entries {
            let want = doc_form(&stored, &format!("{base}{p}"))
                .unwrap_or_else(|| panic!("{file}: no value at {base}{p}"));
            assert_eq!(
                shown,
                &want,
                "docs/zeus.md line {}: {file} {base}{p}",
                i + 1
            );
            values += 1;
        }
        blocks += 1;
    }
    assert!(
        blocks >= 2 && values >= 20,
        "{blocks} blocks, {values} values"
    );
}

/// docs/zeus.md's domain table lists every domain string the crate uses, as
/// the crate spells it, and nothing else.
#[test]
fn doc_domain_table_is_the_crates() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/zeus.md"),
    )
    .unwrap();
    let start = doc.find("| Domain | Used for |").expect("the domain table");
    let documented: std::collections::BTreeSet<&str> = doc[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.split('`').nth(1).expect("a domain in backticks"))
        .collect();
    let code: std::collections::BTreeSet<&str> = [
        "panoramix/zeus/v1/transcript",
        keys::KEY_DOMAIN,
        dkg::DKG_DEALING_DOMAIN,
        dkg::DKG_DEALING_SIGNATURE_DOMAIN,
        dkg::DKG_SHARE_DOMAIN,
        dkg::DKG_COMPLAINT_DOMAIN,
        ballot::BALLOT_VALIDITY_DOMAIN,
        ballot::BALLOT_SIGNATURE_DOMAIN,
        params::DEFINITION_DOMAIN,
        context::GENERATOR_DOMAIN,
        tw::TW_DOMAIN,
        tw::TW_E_DOMAIN,
        sk::SK_DOMAIN,
        sk::SK_BITS_DOMAIN,
        decrypt::DECRYPT_DOMAIN,
        election::VERIFIER_WEIGHTS_DOMAIN,
        election::TRANSCRIPT_VERSION,
    ]
    .into_iter()
    .collect();
    assert_eq!(documented, code);
    assert!(doc.contains(&format!("`{}`", params::SPOILED_PREFIX)));
    assert!(doc.contains(&format!("`\"{GROUP_NAME}\"`")));
}
