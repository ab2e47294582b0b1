//! Production builds carry no test hooks: the Worker that `wrangler deploy` uploads
//! has no dump route, and the `panoramix` command has no mix-net fault injection.
//!
//! Both hooks exist only behind a `test-hooks` cargo feature: the Worker's
//! (`worker/Cargo.toml`; `scripts/worker-test.sh` builds it into `worker/build-test/`
//! for the suites, and the production Worker into `worker/build/`), and
//! panoramix-mixnet's (`Cheat`), which only the root package's dev-dependency turns
//! on. Cargo unifies features across the targets of one build, so the `panoramix`
//! binary that `cargo test` builds (this suite's `CARGO_BIN_EXE_panoramix`) does
//! have the cheat code: that binary is the positive control. The production binary
//! is the one a plain `cargo build` of the package makes (what `cargo install` and a
//! release build resolve too: features do not depend on the profile), built here.
mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The dump route's path, as the test build of the Worker serves it.
const DUMP: &str = "/panoramix/__test/dump";

/// Whether `needle` (not empty) occurs in `hay`.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.iter()
        .enumerate()
        .any(|(i, &b)| b == needle[0] && hay[i..].starts_with(needle))
}

/// The files of a Worker build directory with what they contain.
fn bundle(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                out.push((p, bytes));
            }
        }
    }
    assert!(
        out.iter()
            .any(|(p, _)| p.extension().is_some_and(|x| x == "wasm")),
        "no .wasm in {}",
        dir.display()
    );
    out
}

fn get(url: &str) -> (u16, serde_json::Value) {
    let r = match panoramix_client::agent().get(url).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("GET {url}: {e}"),
    };
    (r.status(), r.into_json().unwrap_or_default())
}

/// The production Worker (`worker/build/`) has no dump route: not in its bundle,
/// and a 404 there even with `PANORAMIX_TEST_DUMP=1`; the test build has both.
#[test]
fn production_worker_has_no_dump_route() {
    if not_applicable(
        Host::Native,
        "checks the Worker's production and test builds (made by scripts/worker-test.sh)",
    ) {
        return;
    }
    let dir = worker_dir();
    let production = bundle(&dir.join(WorkerBuild::Production.dir()));
    let test = bundle(&dir.join(WorkerBuild::Test.dir()));
    for (p, bytes) in &production {
        assert!(
            !contains(bytes, DUMP.as_bytes()),
            "the production Worker's {} contains {DUMP}",
            p.display()
        );
    }
    assert!(
        test.iter().any(|(_, b)| contains(b, DUMP.as_bytes())),
        "the test build has no {DUMP}: the check above would not notice one"
    );

    let tmp = tempfile::tempdir().unwrap();
    let dump_on = ["PANORAMIX_TEST_DUMP:1".to_owned()];
    let srv = TestServer::start_worker_build(
        &tmp.path().join("production.sqlite3"),
        &dump_on,
        WorkerBuild::Production,
    );
    peer(&srv, "p"); // something to dump
    let (status, body) = get(&format!("{}{DUMP}", srv.url));
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    drop(srv);
    let srv = TestServer::start_worker_build(
        &tmp.path().join("test.sqlite3"),
        &dump_on,
        WorkerBuild::Test,
    );
    peer(&srv, "p");
    let (status, body) = get(&format!("{}{DUMP}", srv.url));
    assert_eq!(status, 200, "{body}");
    assert!(
        body["dump"].as_str().unwrap().contains("## peers"),
        "{body}"
    );
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// The features `cargo tree` resolves for `krate` under the `panoramix` package
/// with these dependency `edges`.
fn crate_features(krate: &str, edges: &str) -> String {
    let o = cargo()
        .args(["tree", "--locked", "-p", "panoramix", "-i", krate])
        .args(["--prefix", "none", "-e", edges])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.contains(&format!("{krate} v")), "{text}");
    text
}

/// `cargo build` of the `panoramix` command: the path of its executable.
fn build_production_binary() -> PathBuf {
    let o = cargo()
        .args(["build", "--locked", "--bin", "panoramix"])
        .args(["--message-format", "json-render-diagnostics"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "panoramix")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo build named no panoramix executable")
}

/// The production `panoramix` has no mix-net fault injection and no mail test hook
/// (dropping a mail's part): the features are off for it (`cargo tree` without
/// dev-dependencies) and the cheating agent's log line and the mail hook's switch are
/// not in its executable, while the test build of the same binary has all of them.
#[test]
fn production_binary_has_no_cheat() {
    if not_applicable(
        Host::Worker,
        "checks the native `panoramix` binary's build, not a host",
    ) {
        return;
    }
    use panoramix_mixnet::cheat::CHEAT_MARKER;
    for krate in ["panoramix-mixnet", "panoramix-mail"] {
        let hook = format!("{krate} feature \"test-hooks\"");
        assert!(
            !crate_features(krate, "normal,build,features").contains(&hook),
            "the production build of panoramix turns {krate}'s test-hooks feature on"
        );
        assert!(
            crate_features(krate, "normal,build,dev,features").contains(&hook),
            "the tests' build does not turn {krate}'s test-hooks on: the check above would not notice it"
        );
    }
    // the cheating agent's log line, and the environment switch of the mail hook
    let markers = [CHEAT_MARKER, "PANORAMIX_MAIL_TEST_HOOKS"];
    // read before the build below, which puts the production binary at the same path
    let test_build = std::fs::read(BIN).unwrap();
    for m in markers {
        assert!(
            contains(&test_build, m.as_bytes()),
            "the test build of {BIN} lacks {m:?}: the check below would not notice it"
        );
    }
    let exe = build_production_binary();
    let production = std::fs::read(&exe).unwrap();
    for m in markers {
        assert!(
            !contains(&production, m.as_bytes()),
            "the production {} has a test hook ({m:?})",
            exe.display()
        );
    }
}
