//! The demo's summary as a person reads it, and the process figures it reports.

use serde_json::Value as Json;

/// The process's peak resident memory so far (`VmHWM`), in bytes; `None` where
/// `/proc` does not say (not Linux).
pub(super) fn peak_rss() -> Option<u64> {
    peak_rss_of("/proc/self/status")
}

/// The peak resident memory (`VmHWM`) a `/proc/<pid>/status` file gives, in bytes.
pub(super) fn peak_rss_of(status: &str) -> Option<u64> {
    let status = std::fs::read_to_string(status).ok()?;
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(kb * 1024)
}

/// `bytes` as GiB with two decimals, or "unknown".
fn gib(v: &Json) -> String {
    v.as_f64().map_or_else(
        || "unknown".into(),
        |b| format!("{:.2} GiB", b / (1u64 << 30) as f64),
    )
}

/// The peak memory lines of a backend's part of the summary.
fn memory(x: &Json) {
    if x["controller_peak_rss_bytes"].is_null() {
        outln!(
            "    peak memory of the demo's process (controller, contributors and clients) so far: {}",
            gib(&x["peak_rss_bytes"])
        );
    } else {
        outln!(
            "    peak memory so far: controller process {}; contributors and clients (the demo's process) {}",
            gib(&x["controller_peak_rss_bytes"]),
            gib(&x["peak_rss_bytes"])
        );
    }
}

pub(super) fn print_summary(s: &Json) {
    outln!("panoramix demo summary");
    if let Some(x) = s.get("sphinx") {
        outln!(
            "  SPHINXMIX: {} messages through {} mixes in {:.2} s ({:.0} messages/s end to end); contributors spent {:.0}% of their time in cryptography",
            x["messages"],
            x["hops"],
            x["total_secs"].as_f64().unwrap_or(0.0),
            x["messages_per_sec"].as_f64().unwrap_or(0.0),
            100.0 * x["crypto_share"].as_f64().unwrap_or(0.0)
        );
        memory(x);
    }
    if let Some(x) = s.get("zeus") {
        outln!(
            "  ZEUS: {} ballots, {} mixers, {} trustees in {:.2} s; tally {}; {:.0}% of contributor time in cryptography",
            x["ballots"],
            x["mixers"],
            x["trustees"],
            x["total_secs"].as_f64().unwrap_or(0.0),
            x["tally"],
            100.0 * x["crypto_share"].as_f64().unwrap_or(0.0)
        );
        memory(x);
        if x["spoiled"].as_u64().unwrap_or(0) > 0 {
            outln!(
                "  ZEUS: {} spoiled ballots (counted as invalid)",
                x["spoiled"]
            );
        }
        let file = x["transcript"].as_str().unwrap_or("");
        outln!("  election transcript: {file}");
        outln!("    check it: panoramix verify-election {file}");
    }
    outln!(
        "  audit log: {} entries verified (head {})",
        s["audit"]["entries"],
        s["audit"]["head"].as_str().unwrap_or("")
    );
    let dir = s["agreements"]["dir"].as_str().unwrap_or("");
    outln!("  agreements: {} files in {dir}", s["agreements"]["files"]);
    outln!("    check one: panoramix agreement verify {dir}/<file>");
    let output = s["output"].as_str().unwrap_or("");
    outln!(
        "  output: {output} ({:.1} MB, mostly the controller's database controller.sqlite3)",
        s["bytes_on_disk"].as_f64().unwrap_or(0.0) / 1e6
    );
    outln!(
        "    remove it when done: {}",
        s["remove_with"].as_str().unwrap_or("")
    );
}
