//! Negotiations: creating them, contributing, reading them back, and applying the
//! consensus they reach (the configuration service).

use crate::{Action, Client, ClientError, pct};
use panoramix_core::canonical::Value;
use panoramix_core::wire::{ContributeResult, Contribution, Negotiation};
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;

impl Client {
    /// Create a negotiation; returns its id.
    pub fn create_negotiation(
        &self,
        title: &str,
        participants: Option<&[String]>,
    ) -> Result<String, ClientError> {
        Ok(self.new_negotiation(title, participants)?.id)
    }

    /// Create a negotiation; returns it.
    pub fn new_negotiation(
        &self,
        title: &str,
        participants: Option<&[String]>,
    ) -> Result<Negotiation, ClientError> {
        let mut data = json!({"title": title});
        if let Some(p) = participants {
            data["participants"] = json!(p);
        }
        let path = "/panoramix/negotiations/";
        Self::data_of(
            path,
            self.call("POST", path, "negotiation", "create", data)?,
        )
    }

    /// Contribute `text` (a canonical contribution text); returns the contribution
    /// answer, whose `consensus` is set when this contribution closed the negotiation.
    pub fn contribute(
        &self,
        negotiation_id: &str,
        text: &str,
    ) -> Result<ContributeResult, ClientError> {
        // bound to the negotiation: label `panoramix/v1/contribution-in` over
        // canonical {negotiation_id, text}, so it cannot be replayed into another one
        let signature =
            panoramix_core::negotiation::sign_contribution(&self.key, negotiation_id, text);
        let data = json!({"negotiation_id": negotiation_id, "text": text, "signature": signature});
        let path = "/panoramix/contributions/";
        Self::data_of(
            path,
            self.call("POST", path, "contribution", "create", data)?,
        )
    }

    /// A negotiation's details.
    pub fn negotiation(&self, id: &str) -> Result<Negotiation, ClientError> {
        self.get_data(&format!("/panoramix/negotiations/{id}/"))
    }

    /// Every negotiation with this title, oldest first.
    pub fn negotiations_titled(&self, title: &str) -> Result<Vec<Negotiation>, ClientError> {
        self.get_all(&format!("/panoramix/negotiations/?title={}", pct(title)))
    }

    /// The latest contributions of a negotiation.
    pub fn contributions(&self, negotiation_id: &str) -> Result<Vec<Contribution>, ClientError> {
        self.get_all(&format!(
            "/panoramix/contributions/?negotiation={}",
            pct(negotiation_id)
        ))
    }

    /// Prepare an action for a negotiation (fixes its nonce and timestamp now).
    pub fn action(
        &self,
        method: &str,
        path: &str,
        resource: &str,
        operation: &str,
        data: Json,
        extra_info: Map<String, Json>,
    ) -> Action {
        Action {
            method: method.into(),
            path: path.into(),
            data,
            info: self.info(resource, operation, extra_info),
        }
    }

    /// The contribution text for `actions` (one action: its body; several: a list):
    /// [`panoramix_core::negotiation::text_for`].
    pub fn text_for(
        actions: &[Action],
        accept: bool,
        extra_meta: BTreeMap<String, Value>,
    ) -> String {
        panoramix_core::negotiation::text_for(actions, accept, extra_meta)
    }

    /// Agree with oneself: a new negotiation that this peer alone closes by accepting.
    /// Returns the consensus id.
    pub fn self_consensus(&self, title: &str, actions: &[Action]) -> Result<String, ClientError> {
        let neg = self.create_negotiation(title, Some(&[self.id()]))?;
        let text = Self::text_for(actions, true, BTreeMap::new());
        self.contribute(&neg, &text)?
            .consensus
            .ok_or(ClientError::NotClosed { negotiation: neg })
    }

    /// Apply an agreed action.
    pub fn apply(
        &self,
        action: &Action,
        consensus_id: &str,
        part: Option<u32>,
    ) -> Result<Json, ClientError> {
        let mut bc = json!({"consensus_id": consensus_id, "consensus_type": "structural"});
        if let Some(p) = part {
            bc["consensus_part"] = json!(p);
        }
        self.send(
            &action.method,
            &action.path,
            action.data.clone(),
            action.info.clone(),
            Some(bc),
        )
    }
}
