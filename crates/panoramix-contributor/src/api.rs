//! The controller API as one step of the machine uses it: typed reads, signed
//! writes, and the actions agreed in negotiations. Every call goes through the
//! step's [`Replay`]; nonces come from the step's own generator and the time
//! from the step's clock, so a re-run builds the same bytes.

use std::collections::BTreeMap;
use std::sync::Arc;

use panoramix_core::envelope;
use panoramix_core::negotiation;
use panoramix_core::wire::{
    ContributeResult, Endpoint, Message, Negotiation, NewMessage, Page, Peer, message_batches,
};
use panoramix_core::{Keypair, model::MsgBox};
use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json, json};

use crate::io::{Halt, HttpRequest, HttpResponse, Replay, StepError};

const MESSAGES: &str = "/panoramix/messages/";

pub use panoramix_core::negotiation::{Action, text_for};

/// Percent-encoding of a query value.
pub(crate) fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One run of a step: its log replay, its identity, its clock and nonces.
pub(crate) struct Api<'a> {
    pub(crate) io: Replay<'a>,
    key: &'a Keypair,
    controller_id: &'a str,
    nonces: ChaCha20Rng,
    now: i64,
}

/// A refused request, when the step can go on (`404`, `409`, `422` ...).
pub(crate) type Answer<T> = Result<Result<T, Arc<HttpResponse>>, Halt>;

impl<'a> Api<'a> {
    pub(crate) fn new(
        io: Replay<'a>,
        key: &'a Keypair,
        controller_id: &'a str,
        nonces: ChaCha20Rng,
        now: i64,
    ) -> Self {
        Api {
            io,
            key,
            controller_id,
            nonces,
            now,
        }
    }

    /// This contributor's peer id.
    pub(crate) fn me(&self) -> String {
        self.key.key_id()
    }

    /// This contributor's public key (`key_data`).
    pub(crate) fn key_data(&self) -> String {
        self.key.key_data()
    }

    /// Bytes from the step's generator (the same on every re-run of the step).
    pub(crate) fn random(&mut self, buf: &mut [u8]) {
        self.nonces.fill_bytes(buf);
    }

    fn refused(req: &HttpRequest, r: &HttpResponse) -> StepError {
        StepError::api(&req.method, &req.path, r)
    }

    pub(crate) fn decode<T: DeserializeOwned>(what: &str, v: &Json) -> Result<T, Halt> {
        T::deserialize(v).map_err(|source| {
            Halt::Error(StepError::Decode {
                what: what.to_owned(),
                source,
            })
        })
    }

    /// A request whose refusal the caller handles.
    pub(crate) fn try_send(&mut self, req: HttpRequest) -> Answer<Arc<HttpResponse>> {
        let r = self.io.http(req)?;
        Ok(if r.status < 300 { Ok(r) } else { Err(r) })
    }

    /// A request that must succeed.
    fn send(&mut self, req: HttpRequest) -> Result<Arc<HttpResponse>, Halt> {
        let r = self.io.http(req.clone())?;
        if r.status >= 300 {
            return Err(Self::refused(&req, &r).into());
        }
        Ok(r)
    }

    fn get_req(path: String) -> HttpRequest {
        HttpRequest {
            method: "GET".into(),
            path,
            body: None,
        }
    }

    /// `GET path` → its `data`, typed.
    pub(crate) fn get<T: DeserializeOwned>(&mut self, path: String) -> Result<T, Halt> {
        let r = self.send(Self::get_req(path.clone()))?;
        Self::decode(&path, &r.body["data"])
    }

    /// `GET path` → its `data`, or `None` on a 404.
    pub(crate) fn get_opt<T: DeserializeOwned>(&mut self, path: String) -> Result<Option<T>, Halt> {
        match self.try_send(Self::get_req(path.clone()))? {
            Ok(r) => Ok(Some(Self::decode(&path, &r.body["data"])?)),
            Err(r) if r.status == 404 => Ok(None),
            Err(r) => Err(Self::refused(&Self::get_req(path), &r).into()),
        }
    }

    /// Every item of a paged listing (`path` with its query, without `after`;
    /// the first page has none, the next ones continue after the page's `next`).
    pub(crate) fn get_all<T: DeserializeOwned>(&mut self, path: &str) -> Result<Vec<T>, Halt> {
        let mut out = Vec::new();
        let mut p = path.to_owned();
        loop {
            let r = self.send(Self::get_req(p.clone()))?;
            let page: Page<T> = Self::decode(&p, &r.body)?;
            out.extend(page.data);
            match page.next {
                Some(n) => p = format!("{path}&after={}", pct(&n.to_string())),
                None => return Ok(out),
            }
        }
    }

    pub(crate) fn peer(&mut self, id: &str) -> Result<Peer, Halt> {
        self.get(format!("/panoramix/peers/{id}/"))
    }

    pub(crate) fn peer_opt(&mut self, id: &str) -> Result<Option<Peer>, Halt> {
        self.get_opt(format!("/panoramix/peers/{id}/"))
    }

    pub(crate) fn endpoint(&mut self, id: &str) -> Result<Option<Endpoint>, Halt> {
        self.get_opt(format!("/panoramix/endpoints/{id}/"))
    }

    pub(crate) fn messages(&mut self, endpoint_id: &str, b: MsgBox) -> Result<Vec<Message>, Halt> {
        self.get_all(&format!(
            "/panoramix/messages/?endpoint_id={endpoint_id}&box={}&limit=1000",
            b.as_str()
        ))
    }

    pub(crate) fn negotiations(&mut self, title: &str) -> Result<Vec<Negotiation>, Halt> {
        self.get_all(&format!("/panoramix/negotiations/?title={}", pct(title)))
    }

    pub(crate) fn contributions(
        &mut self,
        negotiation_id: &str,
    ) -> Result<Vec<panoramix_core::wire::Contribution>, Halt> {
        self.get_all(&format!(
            "/panoramix/contributions/?negotiation={}",
            pct(negotiation_id)
        ))
    }

    /// `info` for a request: resource, operation, extra fields, and freshness.
    pub(crate) fn info(
        &mut self,
        resource: &str,
        operation: &str,
        extra: Map<String, Json>,
    ) -> Json {
        let mut nonce = [0u8; 16];
        self.nonces.fill_bytes(&mut nonce);
        let mut info = extra;
        info.insert("resource".into(), json!(resource));
        info.insert("operation".into(), json!(operation));
        info.insert("nonce".into(), json!(hex::encode(nonce)));
        info.insert("ts".into(), json!(self.now));
        info.insert("controller".into(), json!(self.controller_id));
        Json::Object(info)
    }

    pub(crate) fn action(
        &mut self,
        method: &str,
        path: &str,
        resource: &str,
        operation: &str,
        data: Json,
        extra: Map<String, Json>,
    ) -> Action {
        let info = self.info(resource, operation, extra);
        Action {
            method: method.into(),
            path: path.into(),
            data,
            info,
        }
    }

    fn signed(
        &self,
        method: &str,
        path: &str,
        data: Json,
        info: Json,
        by_consensus: Option<Json>,
    ) -> Result<HttpRequest, Halt> {
        let body = envelope::sign(self.key, data, info, by_consensus)
            .map_err(|e| StepError::State(format!("cannot sign a request: {e}")))?;
        Ok(HttpRequest {
            method: method.into(),
            path: path.into(),
            body: Some(body.to_string()),
        })
    }

    /// A signed request of `resource`/`operation`, whose refusal the caller handles.
    pub(crate) fn try_call(
        &mut self,
        method: &str,
        path: &str,
        resource: &str,
        operation: &str,
        data: Json,
    ) -> Answer<Arc<HttpResponse>> {
        let info = self.info(resource, operation, Map::new());
        let req = self.signed(method, path, data, info, None)?;
        self.try_send(req)
    }

    fn call(
        &mut self,
        method: &str,
        path: &str,
        resource: &str,
        operation: &str,
        data: Json,
    ) -> Result<Arc<HttpResponse>, Halt> {
        let info = self.info(resource, operation, Map::new());
        let req = self.signed(method, path, data, info, None)?;
        self.send(req)
    }

    /// Create a negotiation; returns its id.
    pub(crate) fn create_negotiation(
        &mut self,
        title: &str,
        participants: &[String],
    ) -> Result<String, Halt> {
        let data = json!({"title": title, "participants": participants});
        let r = self.call(
            "POST",
            "/panoramix/negotiations/",
            "negotiation",
            "create",
            data,
        )?;
        Self::decode::<Negotiation>("the new negotiation", &r.body["data"]).map(|n| n.id)
    }

    /// Create a negotiation anyone may contribute to (no participant list);
    /// returns its id.
    pub(crate) fn create_open_negotiation(&mut self, title: &str) -> Result<String, Halt> {
        let r = self.call(
            "POST",
            "/panoramix/negotiations/",
            "negotiation",
            "create",
            json!({"title": title}),
        )?;
        Self::decode::<Negotiation>("the new negotiation", &r.body["data"]).map(|n| n.id)
    }

    /// Contribute `text`; returns the consensus id if this closed the negotiation.
    pub(crate) fn contribute(
        &mut self,
        negotiation_id: &str,
        text: &str,
    ) -> Result<Option<String>, Halt> {
        let signature = negotiation::sign_contribution(self.key, negotiation_id, text);
        let data = json!({"negotiation_id": negotiation_id, "text": text, "signature": signature});
        let r = self.call(
            "POST",
            "/panoramix/contributions/",
            "contribution",
            "create",
            data,
        )?;
        Ok(Self::decode::<ContributeResult>("the contribution", &r.body["data"])?.consensus)
    }

    /// Agree with oneself: a negotiation this peer alone closes. Returns the
    /// consensus id.
    pub(crate) fn self_consensus(
        &mut self,
        title: &str,
        actions: &[Action],
    ) -> Result<String, Halt> {
        let me = self.me();
        let neg = self.create_negotiation(title, &[me])?;
        let text = text_for(actions, true, BTreeMap::new());
        self.contribute(&neg, &text)?
            .ok_or_else(|| StepError::State(format!("self-consensus {title} did not close")).into())
    }

    /// Apply an agreed action (part `part` of a list); a refusal is returned.
    pub(crate) fn apply(
        &mut self,
        action: &Action,
        consensus_id: &str,
        part: Option<u32>,
    ) -> Answer<Arc<HttpResponse>> {
        let mut bc = json!({"consensus_id": consensus_id, "consensus_type": "structural"});
        if let Some(p) = part {
            bc["consensus_part"] = json!(p);
        }
        let req = self.signed(
            &action.method,
            &action.path,
            action.data.clone(),
            action.info.clone(),
            Some(bc),
        )?;
        self.try_send(req)
    }

    /// Post messages `(sender, recipient, text, serial)` to a box, in as few
    /// requests as the limits allow ([`message_batches`]); a refusal (a 409 or
    /// 422: someone else was first, or the endpoint moved on) ends the posting.
    pub(crate) fn post_messages(
        &mut self,
        endpoint_id: &str,
        b: MsgBox,
        items: &[NewMessage],
    ) -> Result<(), Halt> {
        for msgs in message_batches(items) {
            let data = json!({"endpoint_id": endpoint_id, "box": b.as_str(), "messages": msgs});
            match self.try_call("POST", MESSAGES, "message", "create", data)? {
                Ok(_) => {}
                Err(r) if matches!(r.status, 409 | 422) => return Ok(()),
                Err(r) => return Err(StepError::api("POST", MESSAGES, &r).into()),
            }
        }
        Ok(())
    }

    /// The action creating an endpoint from its spec.
    pub(crate) fn endpoint_action(&mut self, spec: &Json) -> Action {
        let mut data = spec.clone();
        data["status"] = json!("OPEN");
        self.action(
            "POST",
            "/panoramix/endpoints/",
            "endpoint",
            "create",
            data,
            Map::new(),
        )
    }

    /// The action moving an endpoint to `status` with these message hashes.
    pub(crate) fn transition_action(
        &mut self,
        endpoint_id: &str,
        on_last_consensus_id: &str,
        status: &str,
        hashes: &[String],
        proof: Option<Json>,
    ) -> Action {
        let mut data =
            json!({"endpoint_id": endpoint_id, "status": status, "message_hashes": hashes});
        if let Some(p) = proof {
            data["process_proof"] = p;
        }
        let mut extra = Map::new();
        extra.insert("id".into(), json!(endpoint_id));
        extra.insert("on_last_consensus_id".into(), json!(on_last_consensus_id));
        self.action(
            "PATCH",
            &format!("/panoramix/endpoints/{endpoint_id}/"),
            "endpoint",
            "partial_update",
            data,
            extra,
        )
    }
}
