//! Moving an endpoint to its next state: proposing the transition to the co-owners
//! (or co-signing theirs after checking it) and applying the consensus.

use super::*;

impl Agent {
    /// Apply an agreed transition of endpoint `ep` (any owner may).
    pub(super) fn apply_transition(
        &mut self,
        cx: &Ctx,
        title: &str,
        text: &Text,
        ep_id: &str,
        st: &mut Step,
    ) -> Result<(), AgentError> {
        let neg = self.find_negotiation(cx, title)?.unwrap_or(Json::Null);
        let cid = neg["consensus"].as_str().unwrap_or_default();
        let a = action_of(
            &text.body,
            "PATCH",
            &format!("/panoramix/endpoints/{ep_id}/"),
        );
        ignore_conflict(self.client.apply(&a, cid, None))?;
        st.acted = true;
        st.events.push(format!("{title} applied"));
        Ok(())
    }

    /// Move an endpoint: alone for an own endpoint, by negotiation for a joint one.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn transition(
        &mut self,
        cx: &Ctx,
        ep: &Json,
        status: &str,
        hashes: &[String],
        proof: Option<Json>,
        check: &dyn Fn(&Json) -> Result<(), String>,
        st: &mut Step,
    ) -> Result<(), AgentError> {
        let id = ep["endpoint_id"].as_str().unwrap_or_default().to_owned();
        let last = ep["last_consensus_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if ep["peer_id"].as_str() != Some(cx.joint.as_str()) {
            let a = self
                .client
                .transition_action(&id, &last, status, hashes, proof);
            let cid = self
                .client
                .self_consensus(&format!("{status}:{id}"), std::slice::from_ref(&a))?;
            ignore_conflict(self.client.apply(&a, &cid, None))?;
            st.acted = true;
            st.events.push(format!("{id} {status}"));
            return Ok(());
        }
        let title = format!("{status}:{id}:{last}");
        let (hashes_v, proof_v) = (hashes.to_vec(), proof.clone());
        let propose = |cl: &Client| {
            vec![cl.transition_action(&id, &last, status, &hashes_v, proof_v.clone())]
        };
        let id2 = id.clone();
        let full_check = |t: &Text| -> Result<(), String> {
            let data = data_of(&t.body);
            if data["endpoint_id"].as_str() != Some(id2.as_str())
                || data["status"].as_str() != Some(status)
            {
                return Err("proposal is for another endpoint or status".into());
            }
            check(&data)
        };
        if let Some(text) = self.negotiate(cx, &title, &propose, &full_check, st)? {
            self.apply_transition(cx, &title, &text, &id, st)?;
        }
        Ok(())
    }
}
