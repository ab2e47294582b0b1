//! Uploading a stage's outputs to its PROCESSBOX, resumable after a crash.

use super::*;

impl Agent {
    /// Upload outputs to the PROCESSBOX (skipping serials already there); returns the
    /// hashes in serial order.
    pub(super) fn upload(
        &mut self,
        id: &str,
        sender: &str,
        p: &Processed,
        st: &mut Step,
    ) -> Result<Vec<String>, AgentError> {
        let present = self.client.messages(id, "PROCESSBOX")?;
        let have: HashSet<i64> = present
            .iter()
            .filter_map(|m| m["serial"].as_i64())
            .collect();
        let mut hashes = Vec::with_capacity(p.outputs.len());
        let mut missing = Vec::new();
        for (i, o) in p.outputs.iter().enumerate() {
            let serial = i as i64;
            if !have.contains(&serial) {
                missing.push((
                    sender.to_owned(),
                    o.recipient.clone(),
                    o.text.clone(),
                    Some(serial),
                ));
            }
            hashes.push(message_hash(Some(serial), sender, &o.recipient, &o.text));
        }
        if !missing.is_empty() {
            #[cfg(feature = "test-hooks")]
            let crash = match self.crash_after_uploads {
                Some(n) if n < missing.len() => {
                    missing.truncate(n);
                    true
                }
                _ => false,
            };
            #[cfg(not(feature = "test-hooks"))]
            let crash = false;
            if !missing.is_empty() {
                ignore_conflict(
                    self.client
                        .post_messages(id, "PROCESSBOX", &missing)
                        .map(Json::from),
                )?;
                st.acted = true;
            }
            if crash {
                return Err(AgentError::State("simulated crash during upload".into()));
            }
        }
        Ok(hashes)
    }
}
