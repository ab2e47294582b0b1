//! Cross-implementation check: the independent Python implementation of Sphinx
//! processing in `tests/python/verify_sphinx.py` (written from docs/sphinx.md, not
//! from this crate's code) processes every packet of the committed
//! `tests/vectors/sphinx_v1.json` hop by hop (shared secret, HKDF key schedule, MAC,
//! routing block, blinding, LIONESS) and must reproduce each hop's replay tag and
//! output, the SURB reply and every negative vector's error; with `--self-test` it
//! also flips every byte of every hop's input packet and must refuse each at the
//! hop the specification names.
//!
//! Never skipped: without python3 or its dependencies (the pinned `pysodium`, and
//! libsodium >= 1.0.18) the test fails and says how to install them
//! (`bash scripts/ensure-python.sh`, which scripts/test.sh runs). The interpreter is
//! `$PANORAMIX_PYTHON` if set, else the virtual environment `target/python-venv`
//! that script makes, else `python3`.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The Python interpreter the verifier runs on (see the module documentation).
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
fn python_implementation_reproduces_vectors_and_refuses_flipped_bytes() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let vectors = dir.join("tests/vectors/sphinx_v1.json");
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&vectors).unwrap()).unwrap();
    let names: Vec<&str> = file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    let py = python();
    let start = Instant::now();
    let out = Command::new(&py)
        .arg(dir.join("tests/python/verify_sphinx.py"))
        .arg("--self-test")
        .arg(&vectors)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} ({e}): the independent Sphinx check needs python3 with the \
                 pinned pysodium and libsodium >= 1.0.18; install them with \
                 `bash scripts/ensure-python.sh` (or point PANORAMIX_PYTHON at an interpreter \
                 that has them)",
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
        "python Sphinx check failed:\n{stdout}\n{stderr}"
    );
    println!("{stdout}({:.1} s)", start.elapsed().as_secs_f64());
    for name in &names {
        assert!(
            stdout.contains(&format!("{name}: VALID")),
            "{name}:\n{stdout}"
        );
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&format!("{name}: "))
                    && l.ends_with(" flipped packets refused")),
            "{name}:\n{stdout}"
        );
    }
    let negatives = file["negative"].as_array().unwrap().len();
    assert!(
        stdout.contains(&format!(
            "{negatives} negative vectors refused at their hop with their error"
        )),
        "{stdout}"
    );
}
