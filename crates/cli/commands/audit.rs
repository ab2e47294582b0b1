//! `panoramix audit verify URL`: download the audit log and re-check all of it.

use anyhow::Context;
use panoramix_core::audit;
use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Re-check the chain, every signature and every consensus of a controller's log.
    Verify {
        /// The controller's base URL, e.g. http://127.0.0.1:8000
        url: String,
    },
}

pub fn run(c: Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::Verify { url } => {
            let agent = panoramix_client::agent();
            let (records, head) = match panoramix_client::audit_log(&agent, &url) {
                Ok(x) => x,
                Err(e @ panoramix_client::ClientError::Transport(_)) => {
                    errln!("panoramix: {:#}", anyhow::Error::from(e));
                    return Ok(ExitCode::from(4));
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("downloading the audit log of {url}"));
                }
            };
            errln!("downloaded {} entries", records.len());
            match audit::verify_log(&records) {
                Ok(s) => {
                    // the head is signed after the last page was read: it is either this
                    // log's last entry or a later one (the log grew while downloading)
                    let head_ok = head.seq > s.entries as i64
                        || (head.seq == s.entries as i64 && head.hash == s.head);
                    outln!(
                        "audit log OK: {} entries, {} request signatures, {} consensus ids recomputed, {} consensus applications checked",
                        s.entries,
                        s.signatures,
                        s.consensuses,
                        s.applications
                    );
                    outln!("head: {} (entry {})", s.head, s.entries);
                    if !head.verify() {
                        outln!("controller's signature on the head: INVALID");
                        return Ok(ExitCode::from(3));
                    }
                    if !head_ok {
                        outln!("the controller's signed head does not match the downloaded log");
                        return Ok(ExitCode::from(3));
                    }
                    outln!(
                        "controller's signature on the head: valid ({})",
                        head.controller
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(b) => {
                    outln!("audit log BROKEN at entry {}: {}", b.seq, b.reason);
                    Ok(ExitCode::from(3))
                }
            }
        }
    }
}
