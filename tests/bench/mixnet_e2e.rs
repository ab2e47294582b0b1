//! The whole path, as a benchmark: `panoramix demo` with many messages and ballots
//! (a controller on embedded SQLite, 3 contributors, a crowd of clients), reporting
//! messages per second through a 3-mix Sphinx cascade to the outbox, the wall time of
//! an election through 3 mixers and 3 trustees, and the share of the contributors'
//! time spent in cryptography (the rest is the controller round trips). The
//! controller runs as a process of its own (`demo --controller-process`), so its peak
//! memory is reported apart from the contributors' and clients' (the demo's process).
//!
//! `cargo bench --bench mixnet_e2e` (defaults: 10,000 messages, 10,000 ballots);
//! `-- --smoke` for a quick run; `-- --large` for 100,000 of each (about 14
//! minutes and 10 GiB of memory on a 2-vCPU machine: docs/performance.md);
//! `E2E_MESSAGES`, `E2E_BALLOTS` to choose the sizes.

use std::process::Command;

fn main() {
    let smoke = std::env::args().any(|a| a == "--smoke");
    let large = std::env::args().any(|a| a == "--large");
    let n = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let (messages, ballots) = if smoke {
        (200, 100)
    } else if large {
        (100_000, 100_000)
    } else {
        (n("E2E_MESSAGES", 10_000), n("E2E_BALLOTS", 10_000))
    };
    let dir = std::env::temp_dir().join(format!("panoramix-e2e-bench-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_panoramix"))
        .args([
            "demo",
            "--json",
            "--messages",
            &messages.to_string(),
            "--ballots",
            &ballots.to_string(),
            "--controller-process",
        ])
        .arg("--out")
        .arg(&dir)
        .output()
        .expect("run panoramix demo");
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        std::process::exit(1);
    }
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).expect("summary JSON");
    let sp = &s["sphinx"];
    let ze = &s["zeus"];
    let f = |v: &serde_json::Value| v.as_f64().unwrap_or(0.0);
    println!(
        "mixnet_e2e/sphinx: {messages} messages, 3-mix cascade, {:.2} s end to end = {:.0} messages/s",
        f(&sp["total_secs"]),
        f(&sp["messages_per_sec"])
    );
    println!(
        "mixnet_e2e/sphinx: contributors busy {:.2} s, of which cryptography {:.2} s ({:.0}%), controller round trips {:.0}%",
        f(&sp["agent_busy_secs"]),
        f(&sp["agent_crypto_secs"]),
        100.0 * f(&sp["crypto_share"]),
        100.0 * (1.0 - f(&sp["crypto_share"]))
    );
    println!(
        "mixnet_e2e/zeus: {ballots} ballots, 3 mixers (TW) + 3 trustees: {:.2} s wall (casting {:.2} s)",
        f(&ze["total_secs"]),
        f(&ze["cast_secs"])
    );
    println!(
        "mixnet_e2e/zeus: contributors busy {:.2} s, of which cryptography {:.2} s ({:.0}%), controller round trips {:.0}%",
        f(&ze["agent_busy_secs"]),
        f(&ze["agent_crypto_secs"]),
        100.0 * f(&ze["crypto_share"]),
        100.0 * (1.0 - f(&ze["crypto_share"]))
    );
    let gib = |v: &serde_json::Value| f(v) / (1u64 << 30) as f64;
    for (name, part) in [("the Sphinx cycle", sp), ("the election", ze)] {
        println!(
            "mixnet_e2e/memory: peak RSS after {name}: controller process {:.2} GiB, contributors and clients (the demo's process) {:.2} GiB",
            gib(&part["controller_peak_rss_bytes"]),
            gib(&part["peak_rss_bytes"])
        );
    }
    println!(
        "mixnet_e2e/audit: {} entries verified",
        s["audit"]["entries"]
    );
}
