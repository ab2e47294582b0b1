//! Agreements for auditors (seed §4.5): the wizards and the demo keep one file per
//! consensus, and `panoramix agreement verify FILE` checks every signature, the
//! readable text against the canonical bytes, and the consensus id (exit 3).
mod common;

use common::*;
use serde_json::Value as Json;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Child;

fn succeed(c: Child) -> String {
    let out = c.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    text
}

/// The agreement files in `dir` whose name starts with `prefix`, sorted.
fn agreements(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with(prefix) && n.ends_with(".agreement.json")
        })
        .collect();
    v.sort();
    v
}

fn verify(file: &Path) -> (i32, String) {
    let (code, out, err) = run_cli(&["agreement", "verify", file.to_str().unwrap()], None);
    (code, format!("{out}{err}"))
}

fn read(file: &Path) -> Json {
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

/// Each tampering is caught with exit 3 and a message naming what failed.
fn tampering_fails(file: &Path, scratch: &Path) {
    let a = read(file);
    let signer = a["signings"][0]["signer_key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let check = |name: &str, doc: &Json, expect: &str| {
        let f = scratch.join(name);
        std::fs::write(&f, serde_json::to_string_pretty(doc).unwrap()).unwrap();
        let (code, msg) = verify(&f);
        assert_eq!(code, 3, "{name}: {msg}");
        assert!(msg.contains(expect), "{name}: {msg}");
    };
    // one byte of a signature flipped
    let mut d = a.clone();
    let sig = d["signings"][0]["signature"].as_str().unwrap();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    d["signings"][0]["signature"] = Json::from(format!("{flipped}{}", &sig[1..]));
    check("flipped.json", &d, &format!("the signature of {signer}"));
    // a different agreed text, readable part kept in step
    let mut d = a.clone();
    let text = hex::decode(d["text_canonical_hex"].as_str().unwrap()).unwrap();
    let mut v = panoramix_core::canonical::decode(&text).unwrap();
    if let panoramix_core::canonical::Value::Dict(m) = &mut v {
        m.insert(
            "body".into(),
            panoramix_core::canonical::Value::str("other"),
        );
    }
    d["text_canonical_hex"] = Json::from(hex::encode(v.encode()));
    d["text"] = panoramix_core::canonical::to_json(&v);
    check("text.json", &d, "does not verify over the agreed text");
    // the readable text alone changed
    let mut d = a.clone();
    d["text"]["body"] = Json::from("other");
    check(
        "readable.json",
        &d,
        "`text` is not the decoded canonical text",
    );
    // another consensus id
    let mut d = a.clone();
    d["consensus_id"] = Json::from("00".repeat(32));
    check("cid.json", &d, "the consensus id is");
    // a signer's key swapped for another signer's
    if a["signings"].as_array().unwrap().len() > 1 {
        let mut d = a.clone();
        d["signings"][0]["key_data"] = d["signings"][1]["key_data"].clone();
        check("key.json", &d, &format!("not of the signer {signer}"));
    }
}

#[test]
fn wizard_agreements_are_kept_one_per_consensus_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let cfg = |i: usize| dir.path().join(format!("c{i}.json")).display().to_string();
    let s = |x: &str| x.to_owned();
    let mut create = spawn_cli(&[
        s("wizard"),
        s("create"),
        s("--yes"),
        s("--url"),
        srv.url.clone(),
        s("--name"),
        s("tnet"),
        s("--invitations"),
        s("2"),
        s("--config"),
        cfg(0),
    ]);
    let mut lines = BufReader::new(create.stdout.take().unwrap()).lines();
    let mut invitations = Vec::new();
    while invitations.len() < 2 {
        let l = lines.next().expect("invitations").unwrap();
        if l.contains('|') {
            invitations.push(l.trim().to_owned());
        }
    }
    let joins: Vec<_> = invitations
        .iter()
        .enumerate()
        .map(|(i, inv)| {
            spawn_cli(&[
                s("wizard"),
                s("join"),
                s("--yes"),
                s("--url"),
                srv.url.clone(),
                s("--invitation"),
                inv.clone(),
                s("--config"),
                cfg(i + 1),
            ])
        })
        .collect();
    for j in joins {
        succeed(j);
    }
    let _ = lines.count();
    assert!(create.wait().unwrap().success());
    // every contributor has the agreement on the joint peer, and it verifies
    for i in 0..3 {
        let files = agreements(dir.path(), &format!("c{i}.joint-tnet."));
        assert_eq!(files.len(), 1, "contributor {i}: {files:?}");
        let (code, msg) = verify(&files[0]);
        assert_eq!(code, 0, "{msg}");
        let a = read(&files[0]);
        assert_eq!(a["signings"].as_array().unwrap().len(), 3);
        assert!(a["text"].is_object(), "the text is readable JSON: {a}");
    }
    let joint_file = agreements(dir.path(), "c0.joint-tnet.").remove(0);
    let joint_bytes = std::fs::read(&joint_file).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    tampering_fails(&joint_file, scratch.path());

    // a newcomer is added: a second consensus, a second file; the first one stays
    let mut approve_new = spawn_cli(&[
        s("wizard"),
        s("approve"),
        s("--yes"),
        s("--accept-terms"),
        s("--url"),
        srv.url.clone(),
        s("--mixnet"),
        read(Path::new(&cfg(0)))["MIXNET"]["value"]
            .as_str()
            .unwrap()
            .to_owned(),
        s("--config"),
        cfg(3),
    ]);
    let mut err = BufReader::new(approve_new.stderr.take().unwrap()).lines();
    let newcomer = loop {
        let l = err.next().expect("registered as").unwrap();
        if let Some(rest) = l.strip_prefix("registered as ") {
            break rest.split(';').next().unwrap().to_owned();
        }
    };
    let drain = std::thread::spawn(move || err.map_while(Result::ok).collect::<Vec<_>>());
    let reconf = spawn_cli(&[
        s("wizard"),
        s("reconfigure"),
        s("--yes"),
        s("--new-name"),
        s("tnet2"),
        s("--add"),
        newcomer,
        s("--config"),
        cfg(0),
    ]);
    let approvals: Vec<_> = [1, 2]
        .iter()
        .map(|i| {
            spawn_cli(&[
                s("wizard"),
                s("approve"),
                s("--yes"),
                s("--config"),
                cfg(*i),
            ])
        })
        .collect();
    for p in approvals.into_iter().chain([reconf]) {
        succeed(p);
    }
    let status = approve_new.wait().unwrap();
    let rest = drain.join().unwrap();
    assert!(status.success(), "{rest:?}");
    for i in 0..4 {
        let files = agreements(dir.path(), &format!("c{i}.successor-"));
        assert_eq!(files.len(), 1, "contributor {i}: {files:?}");
        let (code, msg) = verify(&files[0]);
        assert_eq!(code, 0, "{msg}");
    }
    // contributor 0 keeps both, and the first one is unchanged
    assert_eq!(agreements(dir.path(), "c0.").len(), 2);
    assert_eq!(std::fs::read(&joint_file).unwrap(), joint_bytes);
}

#[test]
fn demo_writes_every_contributors_agreements() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo-out");
    let (code, stdout, stderr) = small_demo(&out);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    // it says where its files are and how to remove them
    assert!(
        stdout.contains(&format!("rm -r {}", out.display())),
        "{stdout}"
    );
    let files = agreements(&out.join("agreements"), "");
    assert!(stdout.contains(&format!("agreements: {} files", files.len())));
    let mut ids = std::collections::BTreeSet::new();
    let mut joint = None;
    for f in &files {
        let (code, msg) = verify(f);
        assert_eq!(code, 0, "{msg}");
        let a = read(f);
        ids.insert(a["consensus_id"].as_str().unwrap().to_owned());
        if a["title"] == "joint:election" {
            joint = Some(a);
        }
    }
    assert_eq!(ids.len(), files.len(), "one file per consensus");
    // both contributors signed the joint peer's agreement
    let joint = joint.expect("the joint:election agreement");
    assert_eq!(joint["signings"].as_array().unwrap().len(), 2);
    assert_eq!(joint["participants"].as_array().unwrap().len(), 2);
    let scratch = tempfile::tempdir().unwrap();
    tampering_fails(&files[0], scratch.path());
}
