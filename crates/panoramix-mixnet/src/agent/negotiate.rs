//! The agent's negotiations: finding the one a step needs, proposing or co-signing
//! an action after checking it, and recording a refusal in the audit log.

use super::*;

impl Agent {
    pub(super) fn find_negotiation(
        &self,
        cx: &Ctx,
        title: &str,
    ) -> Result<Option<Json>, AgentError> {
        let r = self
            .client
            .get(&format!("/panoramix/negotiations/?title={}", pct(title)))?;
        let mut want = cx.owners.clone();
        want.sort();
        for n in r["data"].as_array().cloned().unwrap_or_default() {
            let mut ps: Vec<String> = n["participants"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            ps.sort();
            if ps == want {
                return Ok(Some(n));
            }
        }
        Ok(None)
    }

    /// The coordinator (first owner) proposes; every owner checks with `check` and
    /// signs the same text. Returns the agreed text once the negotiation is done.
    pub(super) fn negotiate(
        &mut self,
        cx: &Ctx,
        title: &str,
        propose: &dyn Fn(&Client) -> Vec<Action>,
        check: &dyn Fn(&Text) -> Result<(), String>,
        st: &mut Step,
    ) -> Result<Option<Text>, AgentError> {
        let me = self.client.id();
        let coordinator = cx.owners[0] == me;
        let neg = match self.find_negotiation(cx, title)? {
            Some(n) => n,
            None if coordinator => {
                self.client.create_negotiation(title, Some(&cx.owners))?;
                st.acted = true;
                return Ok(None);
            }
            None => return Ok(None),
        };
        if neg["status"] == "DONE" {
            return Ok(Text::parse(neg["text"].as_str().unwrap_or_default()).ok());
        }
        let nid = neg["id"].as_str().unwrap_or_default().to_owned();
        let contribs = self.client.contributions(&nid)?;
        if contribs
            .iter()
            .any(|c| c["signer_key_id"].as_str() == Some(me.as_str()))
        {
            return Ok(None);
        }
        if coordinator {
            let text = Client::text_for(&propose(&self.client), true, BTreeMap::new());
            let r = self.client.contribute(&nid, &text)?;
            st.acted = true;
            st.events.push(format!("proposed {title}"));
            if r["consensus"].is_string() {
                return Ok(Text::parse(&text).ok());
            }
            return Ok(None);
        }
        let Some(proposal) = contribs
            .iter()
            .find(|c| c["signer_key_id"].as_str() == Some(cx.owners[0].as_str()))
        else {
            return Ok(None);
        };
        let text_s = proposal["text"].as_str().unwrap_or_default().to_owned();
        let text = Text::parse(&text_s).map_err(|e| AgentError::State(e.to_string()))?;
        match check(&text) {
            Ok(()) => {
                let r = self.client.contribute(&nid, &text_s)?;
                st.acted = true;
                st.events.push(format!("co-signed {title}"));
                Ok(if r["consensus"].is_string() {
                    Some(text)
                } else {
                    None
                })
            }
            Err(reason) => {
                self.complain(title, &reason, st)?;
                Ok(None)
            }
        }
    }

    /// Record a refusal in the audit log: a signed, non-accepting contribution that
    /// names the endpoint and the reason.
    pub(super) fn complain(
        &mut self,
        about: &str,
        reason: &str,
        st: &mut Step,
    ) -> Result<(), AgentError> {
        if self.state.complaints.contains(about) {
            return Ok(());
        }
        let neg = self
            .client
            .create_negotiation(&format!("complaint:{about}"), Some(&[self.client.id()]))?;
        let mut meta = BTreeMap::new();
        meta.insert("accept".into(), canonical::Value::Int(0));
        let body = canonical::Value::dict([
            ("complaint", canonical::Value::str(about)),
            ("reason", canonical::Value::str(reason)),
        ]);
        self.client.contribute(&neg, &Text::encode(body, meta))?;
        tracing::warn!(about, reason, "refused to co-sign");
        st.events.push(format!("REFUSED {about}: {reason}"));
        self.state.complaints.insert(about.to_owned());
        self.save()?;
        st.acted = true;
        Ok(())
    }
}
