//! `panoramix verify-election FILE [--json]`: check a whole ZEUS election transcript
//! (what `panoramix demo --out DIR` writes to `DIR/election.json`).
//!
//! Exit 0 when every check passes; 3 when the transcript is invalid (the first
//! failing check is named); 2 when the file cannot be read or is not JSON at all.
//! With `--json`, stdout is one JSON document:
//! `{"valid": true, "file": ..., "report": {...}}`,
//! `{"valid": false, "file": ..., "error": {"code": ..., "message": ...}}` (exit 3) or
//! `{"error": {"code": "unreadable" | "not_json", "message": ...}}` (exit 2).
//! The code of an invalid transcript is the verifier's failing check
//! (`panoramix_zeus::VerifyError`'s variant) in snake_case, e.g. `ballot_proof`.

use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The transcript (JSON), e.g. DIR/election.json from `panoramix demo --out DIR`.
    file: PathBuf,
    /// Print the report, or the failure, as one JSON document on stdout.
    #[arg(long)]
    json: bool,
}

/// The stable code of a verification failure: the name of the failing check
/// (the `VerifyError` variant) in snake_case.
pub fn error_code(e: &panoramix_zeus::VerifyError) -> String {
    let debug = format!("{e:?}");
    let name: String = debug
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let mut code = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                code.push('_');
            }
            code.push(c.to_ascii_lowercase());
        } else {
            code.push(c);
        }
    }
    if code.is_empty() {
        code.push_str("invalid");
    }
    code
}

/// Exit 2 with a message (and, with `--json`, an error document on stdout).
fn unusable(a: &Args, code: &str, message: String) -> ExitCode {
    if a.json {
        outln!(
            "{}",
            json!({"file": a.file.display().to_string(), "error": {"code": code, "message": message}})
        );
    }
    errln!("panoramix: error: {message}");
    ExitCode::from(2)
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let file = a.file.display().to_string();
    let json = match std::fs::read(&a.file) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(_) => {
                return Ok(unusable(
                    &a,
                    "not_json",
                    format!("{file} is not a JSON election transcript: not UTF-8 text"),
                ));
            }
        },
        Err(e) => {
            return Ok(unusable(
                &a,
                "unreadable",
                format!("cannot read {file}: {e}"),
            ));
        }
    };
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&json) {
        return Ok(unusable(
            &a,
            "not_json",
            format!("{file} is not a JSON election transcript: {e}"),
        ));
    }
    match panoramix_zeus::verify_election(&json) {
        Ok(report) => {
            if a.json {
                outln!("{}", json!({"valid": true, "file": file, "report": report}));
            } else {
                outln!("{report}");
                outln!("election transcript OK");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if a.json {
                outln!(
                    "{}",
                    json!({"valid": false, "file": file, "error": {"code": error_code(&e), "message": e.to_string()}})
                );
            } else {
                outln!("election transcript FAILS: {e}");
            }
            Ok(ExitCode::from(3))
        }
    }
}
