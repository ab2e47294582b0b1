//! `panoramix demo`, the README's main job, at a small size: it must finish, verify
//! everything, and leave only its output directory.
mod common;

use common::*;

#[test]
fn demo_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo-out");
    let (code, stdout, stderr) = run_cli(
        &[
            "demo",
            "--messages",
            "60",
            "--ballots",
            "30",
            "--clients",
            "4",
            "--json",
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let s: serde_json::Value =
        serde_json::from_str(stdout.trim()).expect("one JSON document on stdout");
    assert_eq!(s["sphinx"]["messages"], 60);
    assert_eq!(s["zeus"]["ballots"], 30);
    let tally = s["zeus"]["tally"].as_object().unwrap();
    assert_eq!(tally.values().map(|v| v.as_u64().unwrap()).sum::<u64>(), 30);
    assert!(s["audit"]["entries"].as_u64().unwrap() > 50);
    for f in ["summary.json", "audit-log.json", "controller.sqlite3"] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    // nothing else is left behind: only the output directory was created
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1);
}
