//! `panoramix contribute`: run the contributor agent for the configured mix-net.

use super::contributor::{CONFIG_HELP, ContributorConfig, existing_path};
use anyhow::Context;
use panoramix_mixnet::agent::{Agent, AgentState};
use panoramix_mixnet::setup;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, env = "PANORAMIX_CONFIG", help = CONFIG_HELP)]
    config: Option<PathBuf>,
    /// The controller's URL (default: the configured one).
    #[arg(long, env = "PANORAMIX_URL")]
    url: Option<String>,
    /// Stop after this many cycles (0: run until interrupted).
    #[arg(long, default_value_t = 0)]
    cycles: u64,
    /// Poll interval in milliseconds when there is nothing to do and the
    /// controller cannot say when something changes (no change feed, or a
    /// Worker); otherwise the agent wakes on the next change (or after 2 s).
    #[arg(long, default_value_t = 300)]
    poll_ms: u64,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let path = existing_path(a.config)?;
    let mut cfg = ContributorConfig::open(&path)?;
    let client = cfg.client(a.url)?;
    let backend = cfg
        .get_str("BACKEND")
        .context("no BACKEND configured: run `panoramix wizard` first")?;
    let secrets = cfg.secrets(&backend)?;
    let configured = cfg
        .get_str("MIXNET")
        .context("no MIXNET configured: run `panoramix wizard` first")?;
    // a reconfiguration replaces the mix-net: contribute to the newest successor
    let mixnet = setup::current(&client, &configured)
        .with_context(|| format!("the successors of mix-net {configured}"))?;
    if mixnet != configured {
        cfg.set(
            "MIXNET",
            serde_json::json!(mixnet),
            "the mix-net's joint peer",
        )?;
        errln!(
            "mix-net {configured} was reconfigured: contributing to its successor {mixnet} (MIXNET updated in {})",
            path.display()
        );
    }
    let state_path = path.with_extension("state.json");
    let saved: Option<AgentState> = match std::fs::read_to_string(&state_path) {
        Ok(s) => Some(
            serde_json::from_str(&s)
                .with_context(|| format!("{} is not an agent state", state_path.display()))?,
        ),
        Err(_) => None,
    };
    let mut state = match saved {
        Some(s) if s.mixnet == mixnet => s,
        _ => AgentState {
            mixnet: mixnet.clone(),
            cycle: 1,
            ..Default::default()
        },
    };
    state.max_cycles = a.cycles;
    let mut agent = Agent::new(client, secrets, state, Some(state_path))?;
    errln!(
        "contributing to mix-net {mixnet} from cycle {}",
        agent.state().cycle
    );
    // consecutive failed steps: the wait after a failure doubles (1 s .. 60 s, with
    // jitter), so that an unreachable or rate-limiting controller is not hammered
    let mut failures = 0u32;
    loop {
        match agent.step() {
            Ok(s) => {
                failures = 0;
                for e in &s.events {
                    errln!("{e}");
                }
                if s.finished {
                    errln!("{} cycles done", a.cycles);
                    return Ok(ExitCode::SUCCESS);
                }
                if !s.acted {
                    let ms = Duration::from_millis;
                    agent.wait_for_change(ms(a.poll_ms.min(20)), ms(2000), ms(a.poll_ms));
                }
            }
            Err(e) => {
                let wait = failure_backoff(a.poll_ms.max(1000), failures);
                failures = failures.saturating_add(1);
                errln!("panoramix: {e}; retrying in {:.1} s", wait.as_secs_f64());
                std::thread::sleep(wait);
            }
        }
    }
}

/// The wait after `failures` consecutive failed steps: `first_ms` doubled each
/// time up to 60 s, between half and all of it (jitter).
fn failure_backoff(first_ms: u64, failures: u32) -> Duration {
    let exp = first_ms
        .saturating_mul(1u64 << failures.min(16))
        .min(60_000);
    let jitter = rand_core::RngCore::next_u64(&mut rand_core::OsRng) % (exp / 2 + 1);
    Duration::from_millis(exp / 2 + jitter)
}
