//! The controller API as one step of the machine uses it: typed reads, signed
//! writes, and the actions agreed in negotiations. Every call goes through the
//! step's [`Replay`]; nonces come from the step's own generator and the time
//! from the step's clock, so a re-run builds the same bytes.

use std::collections::BTreeMap;
use std::sync::Arc;

use panoramix_core::boxes::{self, Frame};
use panoramix_core::envelope;
use panoramix_core::negotiation;
use panoramix_core::wire::{
    ContributeResult, Endpoint, Message, Negotiation, Page, Peer, message_batch_ranges,
    message_batches,
};
use panoramix_core::{Keypair, model::MsgBox};
use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json, json};
use sha2::{Digest, Sha256};

use crate::io::{Effect, Halt, HttpRequest, HttpResponse, Replay, StepError};

const MESSAGES: &str = "/panoramix/messages/";

/// The parts of an upload of `items` ([`boxes::parts`], by the same sizes).
fn box_parts<S: AsRef<str>>(items: &[(S, S, S, Option<i64>)]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0usize);
    for (i, (s, r, t, _)) in items.iter().enumerate() {
        let sz = s.as_ref().len() + r.as_ref().len() + t.as_ref().len() + 64;
        if i > start && bytes + sz > boxes::PART_BYTES {
            out.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += sz;
    }
    if start < items.len() {
        out.push(start..items.len());
    }
    out
}

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
    seed: [u8; 32],
    /// The position of the last draw and the draws made there.
    drawn: (usize, u64),
    now: i64,
}

/// A refused request, when the step can go on (`404`, `409`, `422` ...).
pub(crate) type Answer<T> = Result<Result<T, Arc<HttpResponse>>, Halt>;

impl<'a> Api<'a> {
    pub(crate) fn new(
        io: Replay<'a>,
        key: &'a Keypair,
        controller_id: &'a str,
        mut nonces: ChaCha20Rng,
        now: i64,
    ) -> Self {
        let mut seed = [0u8; 32];
        nonces.fill_bytes(&mut seed);
        Api {
            io,
            key,
            controller_id,
            seed,
            drawn: (usize::MAX, 0),
            now,
        }
    }

    /// `buf.len()` bytes that depend only on the step's seed, the position in
    /// the log and how many draws were made at that position before: the same on
    /// every re-run, whether or not a re-run rebuilds what an earlier draw went
    /// into (a logged request is not built again).
    fn draw(&mut self, buf: &mut [u8]) {
        let pos = self.io.pos();
        if self.drawn.0 != pos {
            self.drawn = (pos, 0);
        }
        let k = self.drawn.1;
        self.drawn.1 += 1;
        for (i, chunk) in buf.chunks_mut(32).enumerate() {
            let mut h = Sha256::new();
            h.update(b"panoramix/contributor/v1/draw");
            h.update(self.seed);
            h.update((pos as u64).to_le_bytes());
            h.update(k.to_le_bytes());
            h.update((i as u64).to_le_bytes());
            let out = h.finalize();
            chunk.copy_from_slice(&out[..chunk.len()]);
        }
    }

    /// The step's clock (seconds since the epoch, the controller's as the
    /// host knows it).
    pub(crate) fn now(&self) -> i64 {
        self.now
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
        self.draw(buf);
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
    pub(crate) fn get_all<T: DeserializeOwned + Clone + Send + Sync + 'static>(
        &mut self,
        path: &str,
    ) -> Result<Vec<T>, Halt> {
        Ok(self.get_all_shared(path)?.as_ref().clone())
    }

    /// [`Api::get_all`], decoded once per step: a re-run of the step gets the
    /// same list without decoding (or copying) its pages again.
    pub(crate) fn get_all_shared<T: DeserializeOwned + Clone + Send + Sync + 'static>(
        &mut self,
        path: &str,
    ) -> Result<Arc<Vec<T>>, Halt> {
        let at = self.io.pos();
        if self.io.logged_get(at, path)
            && let Some((v, n)) = self.io.memo::<Vec<T>>(at)
        {
            self.io.skip(n);
            return Ok(v);
        }
        let mut out: Vec<Arc<Page<T>>> = Vec::new();
        let mut p = path.to_owned();
        loop {
            // each page is decoded once per step too (a list is read page by
            // page, one re-run of the step per page)
            let page_at = self.io.pos();
            let r = self.send(Self::get_req(p.clone()))?;
            let page = match self.io.memo::<Page<T>>(page_at) {
                Some((page, _)) => page,
                None => {
                    let page: Arc<Page<T>> = Arc::new(Self::decode(&p, &r.body)?);
                    self.io.set_memo(page_at, page.clone(), 1);
                    page
                }
            };
            out.push(page.clone());
            match &page.next {
                Some(n) => p = format!("{path}&after={}", pct(&n.to_string())),
                None => break,
            }
        }
        let out: Vec<T> = out
            .iter()
            .flat_map(|page| page.data.iter().cloned())
            .collect();
        let v = Arc::new(out);
        self.io.set_memo(at, v.clone(), self.io.pos() - at);
        Ok(v)
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

    /// Every message of a box, in one box transfer (docs/api.md "Boxes"; more
    /// only when the box is larger than the controller's byte budget), decoded
    /// once per step; from a controller without the box route (404, 405), page
    /// by page ([`Api::get_all_shared`]).
    pub(crate) fn messages(
        &mut self,
        endpoint_id: &str,
        b: MsgBox,
    ) -> Result<Arc<Vec<Message>>, Halt> {
        let base = format!(
            "{}?endpoint_id={}&box={}",
            boxes::PATH,
            pct(endpoint_id),
            b.as_str()
        );
        let at = self.io.pos();
        if self.io.logged_get(at, &base)
            && let Some((v, n)) = self.io.memo::<Vec<Message>>(at)
        {
            self.io.skip(n);
            return Ok(v);
        }
        let mut out: Vec<Arc<Vec<Message>>> = Vec::new();
        let mut p = base.clone();
        loop {
            let part_at = self.io.pos();
            let r = match self.try_send(Self::get_req(p.clone()))? {
                Ok(r) => r,
                Err(r) if matches!(r.status, 404 | 405) && p == base => {
                    return self.get_all_shared(&format!(
                        "{MESSAGES}?endpoint_id={}&box={}&limit=1000",
                        pct(endpoint_id),
                        b.as_str()
                    ));
                }
                Err(r) => return Err(Self::refused(&Self::get_req(p), &r).into()),
            };
            // each answer is decoded once per step (and its list is shared, not copied)
            let part = match self.io.memo::<(Arc<Vec<Message>>, Option<i64>)>(part_at) {
                Some((part, _)) => part,
                None => {
                    let text = r.body.as_str().unwrap_or_default();
                    let d = boxes::decode(text.as_bytes(), false, boxes::MAX_COUNT)
                        .map_err(|e| StepError::State(format!("the box transfer from {p}: {e}")))?;
                    let (msgs, next) = boxes::to_messages(endpoint_id, b, d);
                    let part = Arc::new((Arc::new(msgs), next));
                    self.io.set_memo(part_at, part.clone(), 1);
                    part
                }
            };
            out.push(part.0.clone());
            match part.1 {
                Some(n) => p = format!("{base}&after={n}"),
                None => break,
            }
        }
        let v = if out.len() == 1 {
            out.remove(0)
        } else {
            Arc::new(out.iter().flat_map(|m| m.iter().cloned()).collect())
        };
        self.io.set_memo(at, v.clone(), self.io.pos() - at);
        Ok(v)
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
        self.draw(&mut nonce);
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

    /// A signed request, built (and signed) only when the log does not hold its
    /// answer yet: `build` gives its data, info and consensus. A signed write's
    /// bytes follow from what came before it in the log, so the logged request is
    /// the one this run would build.
    fn signed_lazy(
        &mut self,
        method: &str,
        path: &str,
        build: impl FnOnce(&mut Self) -> (Json, Json, Option<Json>),
    ) -> Result<Arc<HttpResponse>, Halt> {
        if let Some(r) = self.io.take_logged_http()? {
            return Ok(r);
        }
        let (data, info, bc) = build(self);
        Err(Halt::Need(Effect::Http(
            self.signed(method, path, data, info, bc)?,
        )))
    }

    /// A signed request of `resource`/`operation`, whose refusal the caller handles.
    pub(crate) fn try_call(
        &mut self,
        method: &str,
        path: &str,
        resource: &str,
        operation: &str,
        data: impl FnOnce() -> Json,
    ) -> Answer<Arc<HttpResponse>> {
        let r = self.signed_lazy(method, path, |api| {
            (data(), api.info(resource, operation, Map::new()), None)
        })?;
        Ok(if r.status < 300 { Ok(r) } else { Err(r) })
    }

    fn call(
        &mut self,
        method: &str,
        path: &str,
        resource: &str,
        operation: &str,
        data: Json,
    ) -> Result<Arc<HttpResponse>, Halt> {
        match self.try_call(method, path, resource, operation, || data)? {
            Ok(r) => Ok(r),
            Err(r) => Err(StepError::api(method, path, &r).into()),
        }
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
        let r = self.signed_lazy(&action.method, &action.path, |_| {
            let mut bc = json!({"consensus_id": consensus_id, "consensus_type": "structural"});
            if let Some(p) = part {
                bc["consensus_part"] = json!(p);
            }
            (action.data.clone(), action.info.clone(), Some(bc))
        })?;
        Ok(if r.status < 300 { Ok(r) } else { Err(r) })
    }

    /// Upload messages `(sender, recipient, text, serial)` to a box as a unit
    /// (docs/api.md "Boxes"): one signed request per part of at most
    /// [`boxes::PART_BYTES`], each stored whole or not at all; a refusal (a 409
    /// or 422: someone else was first, or the endpoint moved on) ends the
    /// upload. A controller without the box route (404, 405, 415) gets the
    /// messages in batches ([`Api::post_messages`]).
    pub(crate) fn upload_box<S: AsRef<str>>(
        &mut self,
        endpoint_id: &str,
        b: MsgBox,
        items: &[(S, S, S, Option<i64>)],
    ) -> Result<(), Halt> {
        // only the part being sent is copied into frames: a re-run of the
        // step per answered part must not copy the whole box again
        let frames = |range: std::ops::Range<usize>| -> Vec<Frame> {
            items[range]
                .iter()
                .map(|(s, r, t, serial)| Frame {
                    id: 0,
                    serial: *serial,
                    sender: s.as_ref().to_owned(),
                    recipient: r.as_ref().to_owned(),
                    text: t.as_ref().to_owned(),
                })
                .collect()
        };
        for range in box_parts(items) {
            let start = range.start;
            let r = match self.io.take_logged_http()? {
                Some(r) => r,
                None => {
                    let part = &frames(range);
                    let data = boxes::upload_data(endpoint_id, b, part);
                    let info = self.info("box", "create", Map::new());
                    let env = envelope::sign(self.key, data, info, None)
                        .map_err(|e| StepError::State(format!("cannot sign a request: {e}")))?;
                    let body = boxes::encode_upload(&env.to_string(), part);
                    return Err(Halt::Need(Effect::Http(HttpRequest {
                        method: "POST".into(),
                        path: boxes::PATH.into(),
                        body: Some(body),
                    })));
                }
            };
            match r.status {
                s if s < 300 => {}
                409 | 422 => return Ok(()),
                404 | 405 | 415 => return self.post_messages(endpoint_id, b, &items[start..]),
                _ => return Err(StepError::api("POST", boxes::PATH, &r).into()),
            }
        }
        Ok(())
    }

    /// Have the controller copy the published boxes of `sources` (linked to
    /// the INBOX of `endpoint_id`) into that INBOX (docs/api.md
    /// "Take-overs"), stating the INBOX expected afterwards: `count` messages
    /// with box hash `box_hash`. `Some(true)`: done; `Some(false)`: refused
    /// (409 or 422: the INBOX or an endpoint moved on; read again); `None`: the
    /// controller has no take-over route (404, 405): upload instead.
    pub(crate) fn take_over(
        &mut self,
        endpoint_id: &str,
        sources: &[&str],
        count: usize,
        box_hash: &str,
    ) -> Result<Option<bool>, Halt> {
        let data = || json!({"endpoint_id": endpoint_id, "sources": sources, "count": count, "box_hash": box_hash});
        match self.try_call("POST", boxes::TAKEOVER_PATH, "takeover", "create", data)? {
            Ok(_) => Ok(Some(true)),
            Err(r) if matches!(r.status, 409 | 422) => Ok(Some(false)),
            Err(r) if matches!(r.status, 404 | 405) => Ok(None),
            Err(r) => Err(StepError::api("POST", boxes::TAKEOVER_PATH, &r).into()),
        }
    }

    /// Post messages `(sender, recipient, text, serial)` to a box, in as few
    /// requests as the limits allow ([`message_batches`]); a refusal (a 409 or
    /// 422: someone else was first, or the endpoint moved on) ends the posting.
    pub(crate) fn post_messages<S: AsRef<str>>(
        &mut self,
        endpoint_id: &str,
        b: MsgBox,
        items: &[(S, S, S, Option<i64>)],
    ) -> Result<(), Halt> {
        for range in message_batch_ranges(items) {
            let data = || {
                let msgs = message_batches(&items[range]);
                json!({"endpoint_id": endpoint_id, "box": b.as_str(), "messages": msgs.into_iter().next().unwrap_or_default()})
            };
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
        self.action_from(panoramix_core::negotiation::endpoint_create(spec))
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
        self.action_from(panoramix_core::negotiation::endpoint_transition(
            endpoint_id,
            on_last_consensus_id,
            status,
            hashes,
            proof,
        ))
    }

    /// An action from its spec, with fresh `info`.
    fn action_from(&mut self, a: panoramix_core::negotiation::ActionSpec) -> Action {
        self.action(a.method, &a.path, a.resource, a.operation, a.data, a.extra)
    }
}
