//! `panoramix verify-election FILE`: check a whole ZEUS election transcript.

use anyhow::Context;
use std::process::ExitCode;

pub fn run(file: std::path::PathBuf) -> anyhow::Result<ExitCode> {
    let json =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    match panoramix_zeus::verify_election(&json) {
        Ok(report) => {
            outln!("{report}");
            outln!("election transcript OK");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            outln!("election transcript FAILS: {e}");
            Ok(ExitCode::from(3))
        }
    }
}
