//! Fault injection: an agent that misbehaves on purpose, so that tests can check
//! that the honest agents catch it (`tests/mixnet_faults.rs`).
//!
//! Compiled only with the `test-hooks` feature, which only the root package's
//! dev-dependency enables: `cargo build` of the `panoramix` command leaves it out
//! (`tests/test_hooks.rs` checks that the binary has no [`CHEAT_MARKER`] and that
//! `cargo tree` resolves the feature off for it).

use crate::backend::{Msg, Processed};

/// How an agent misbehaves (for tests of the honest agents' checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cheat {
    /// Drop one output.
    Drop,
    /// Output one message twice.
    Duplicate,
    /// Replace one output with a copy of another input's processing... or garbage.
    Replace,
    /// Attach a proof for different data.
    ForgeProof,
}

/// Logged by a cheating agent; present in a binary only if this module is.
pub const CHEAT_MARKER: &str = "panoramix-mixnet test hook: this agent cheats on purpose";

/// `p` as a cheating agent would upload it.
pub(crate) fn apply(cheat: Cheat, mut p: Processed, inputs: &[Msg]) -> Processed {
    if p.outputs.len() < 2 {
        return p;
    }
    tracing::warn!("{CHEAT_MARKER}: {cheat:?}");
    match cheat {
        Cheat::Drop => {
            p.outputs.pop();
        }
        Cheat::Duplicate => {
            let first = p.outputs[0].clone();
            let last = p.outputs.len() - 1;
            p.outputs[last] = first;
        }
        Cheat::Replace => {
            // replace one output by an input, or by another valid-looking output
            let last = p.outputs.len() - 1;
            p.outputs[last].text = inputs.first().map(|m| m.text.clone()).unwrap_or_default();
        }
        Cheat::ForgeProof => {
            p.outputs.swap(0, 1);
        }
    }
    p
}
