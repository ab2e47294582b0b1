//! Keeping the transcript of every election the contributor took part in: once a
//! ZEUS cycle's combination is PROCESSED, the agent collects what the cycle
//! published, verifies it and writes `<state dir>/elections/<joint>-<cycle>.json`
//! (a temporary file, then a rename). An agent without a state file keeps none.

use super::*;
use crate::election::{CollectError, collect, transcript_json, transcript_path, write_atomic};
use crate::mixnet::MixnetSpec;

impl Agent {
    /// Keep the verified transcript of cycle `c` of the election (once; a cycle
    /// whose transcript does not verify, or cannot be read for good, leaves
    /// `<joint>-<cycle>.json.invalid` with the reason instead: the mix-net goes on
    /// and the transcript is not collected again at every step).
    pub(super) fn keep_transcript(
        &self,
        spec: &MixnetSpec,
        joint: &str,
        c: u64,
        st: &mut Step,
    ) -> Result<(), AgentError> {
        if spec.backend != "ZEUS" {
            return Ok(());
        }
        let Some(state_path) = &self.state_path else {
            return Ok(());
        };
        let path = transcript_path(state_path, joint, c);
        let mut invalid = path.clone().into_os_string();
        invalid.push(".invalid");
        let invalid = PathBuf::from(invalid);
        if path.exists() || invalid.exists() {
            return Ok(());
        }
        let io = |p: &std::path::Path, e: std::io::Error| {
            AgentError::State(format!("{}: {e}", p.display()))
        };
        match collect(&self.client, spec, joint, c) {
            Ok(t) => {
                write_atomic(&path, &transcript_json(&t)).map_err(|e| io(&path, e))?;
                st.events.push(format!(
                    "election transcript of cycle {c} verified and kept in {}",
                    path.display()
                ));
            }
            // unreachable or busy: try again at the next step
            Err(CollectError::Client(e)) if e.status().is_none_or(|s| s >= 500 || s == 429) => {
                return Err(e.into());
            }
            Err(e) => {
                write_atomic(&invalid, &format!("{e}\n")).map_err(|e| io(&invalid, e))?;
                st.events.push(format!(
                    "election transcript of cycle {c} NOT kept ({e}); reason in {}",
                    invalid.display()
                ));
            }
        }
        Ok(())
    }
}
