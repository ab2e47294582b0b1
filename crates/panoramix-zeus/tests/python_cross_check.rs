//! Cross-implementation check: the independent Python verifier in
//! `tests/python/verify_zeus.py` (written against docs/zeus.md, not from this
//! crate's code) must accept the committed known-answer vectors for N = 1, 2, 3
//! and 10, reproduce their generators, challenges, Sako–Kilian bits and
//! transcript digest, and reject mutated copies. It runs on libsodium's
//! Ristretto255 (through the pinned `pysodium`), after checking that backend
//! against its own pure-Python RFC 9496 arithmetic (`--check-backends`).
//!
//! Never skipped: without python3 or its dependencies the test fails and says how
//! to install them (`bash scripts/ensure-python.sh`, which scripts/test.sh runs).
//! The interpreter is `$PANORAMIX_PYTHON` if set, else the virtual environment
//! `target/python-venv` that script makes, else `python3`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

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

#[test]
fn python_verifier_accepts_vectors_and_rejects_mutations() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let script = dir.join("tests/python/verify_zeus.py");
    let py = python();
    let mut cmd = Command::new(&py);
    cmd.arg(&script)
        .args(["--backend", "sodium", "--check-backends", "--self-test"]);
    let ns = [1, 2, 3, 10];
    for n in ns {
        cmd.arg(dir.join(format!("tests/vectors/zeus_n{n}.json")));
    }
    let start = Instant::now();
    let out = cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run {} ({e}): the independent Zeus verifier needs python3 with the pinned \
             pysodium and libsodium >= 1.0.18; install them with `bash scripts/ensure-python.sh` \
             (or point PANORAMIX_PYTHON at an interpreter that has them)",
            py.display()
        )
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(
        out.status.code(),
        Some(3),
        "{} lacks the verifier's dependencies: run `bash scripts/ensure-python.sh`\n{stdout}{stderr}",
        py.display()
    );
    assert!(
        out.status.success(),
        "python verifier failed:\n{stdout}\n{stderr}"
    );
    println!("{stdout}({:.1} s)", start.elapsed().as_secs_f64());
    assert_eq!(stdout.matches("backends agree").count(), 1, "{stdout}");
    assert_eq!(stdout.matches(": VALID").count(), ns.len(), "{stdout}");
    assert_eq!(
        stdout.matches("sodium backend").count(),
        ns.len(),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("mutations rejected").count(),
        ns.len(),
        "{stdout}"
    );
    // 8 targeted mutations each, plus 20 one-digit changes of the transcripts with N ≤ 3
    assert_eq!(
        stdout.matches(": 28 mutations rejected").count(),
        3,
        "{stdout}"
    );
}
