//! `panoramix demo`, the README's main job, at a small size: it must finish, verify
//! everything, and leave only its output directory.
mod common;

use common::*;

/// `panoramix demo --json --out OUT ARGS`, which must succeed: its summary.
fn demo_json(out: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["demo", "--json", "--out", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = run_cli(&all, None);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    serde_json::from_str(stdout.trim()).expect("one JSON document on stdout")
}

#[test]
fn demo_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo-out");
    let s = demo_json(
        &out,
        &["--messages", "60", "--ballots", "30", "--clients", "4"],
    );
    assert_eq!(s["sphinx"]["messages"], 60);
    assert_eq!(s["zeus"]["ballots"], 30);
    let tally = s["zeus"]["tally"].as_object().unwrap();
    assert_eq!(tally.values().map(|v| v.as_u64().unwrap()).sum::<u64>(), 30);
    assert!(s["audit"]["entries"].as_u64().unwrap() > 50);
    assert_eq!(s["zeus"]["spoiled"], 0);
    assert!(s["zeus"]["transcript_secs"].as_f64().unwrap() > 0.0);
    assert_eq!(s["zeus"]["voter_list"], 30);
    assert_eq!(
        s["zeus"]["transcript"].as_str(),
        out.join("election.json").to_str()
    );
    for f in [
        "summary.json",
        "audit-log.json",
        "controller.sqlite3",
        "election.json",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    // nothing else is left behind: only the output directory was created
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1);
}

/// Without `--json`, the summary says where the election transcript is and how to
/// check it, and that command passes.
#[test]
fn demo_prints_where_the_election_transcript_is_and_how_to_check_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo-out");
    let (code, stdout, stderr) = small_demo(&out);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let file = out.join("election.json");
    let command = format!("panoramix verify-election {}", file.display());
    assert!(stdout.contains(&command), "{stdout}");
    assert!(
        stdout.contains(&format!("election transcript: {}", file.display())),
        "{stdout}"
    );
    let (code, stdout, stderr) = run_cli(&["verify-election", file.to_str().unwrap()], None);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("4 ballots counted, 0 spoiled"), "{stdout}");
}

/// `--controller-process` runs the controller as `panoramix serve` of its own: the
/// summary gives its peak memory apart from the demo's, and it is stopped at the end.
#[test]
fn demo_with_its_controller_in_a_process_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo-out");
    let s = demo_json(
        &out,
        &[
            "--messages",
            "30",
            "--ballots",
            "10",
            "--clients",
            "2",
            "--controller-process",
        ],
    );
    for part in ["sphinx", "zeus"] {
        let controller = s[part]["controller_peak_rss_bytes"].as_u64();
        let own = s[part]["peak_rss_bytes"].as_u64();
        assert!(
            controller.is_some_and(|b| b > 1 << 20) && own.is_some_and(|b| b > 1 << 20),
            "{part}: {s}"
        );
    }
    assert_eq!(s["zeus"]["ballots"], 10);
    assert!(s["audit"]["entries"].as_u64().unwrap() > 20);
    // the controller process is gone: its database is closed and complete
    let url = s["controller"].as_str().unwrap();
    assert!(
        panoramix_client::agent()
            .get(&format!("{url}/healthz"))
            .call()
            .is_err(),
        "the controller at {url} still answers"
    );
}
