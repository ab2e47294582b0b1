//! The native contributor agent: the host of the contributor state machine
//! ([`panoramix_contributor::Contributor`]). The machine decides everything; this
//! host only sends its requests through [`Client`] (which backs off and retries
//! after a 429 `rate_limited`, [`panoramix_client::RetryPolicy`]), stores its state
//! in a JSON file (written before every upload, so it survives restarts), and keeps
//! a verified transcript of every election cycle it took part in.

use crate::backend::{Secrets, backend_for};
use crate::mixnet::MixnetSpec;
use panoramix_client::{Client, ClientError};
use panoramix_contributor::{Contributor, Effect, HttpRequest, HttpResponse, Poll, StepError};
use panoramix_core::model::EndpointStatus;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use panoramix_contributor::{AgentState, Step};

mod election;

/// Agent errors.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The controller could not be reached, or refused what the agent needs.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A step of the protocol failed.
    #[error(transparent)]
    Step(#[from] StepError),
    /// The state file or configuration is unusable.
    #[error("{0}")]
    State(String),
    /// The state file cannot be written.
    #[error("{path}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

#[cfg(feature = "test-hooks")]
pub use crate::cheat::Cheat;

/// A contributor agent.
pub struct Agent {
    client: Client,
    machine: Contributor,
    state_path: Option<PathBuf>,
    /// The last audit entry number the change feed answered.
    seen: i64,
    #[cfg(feature = "test-hooks")]
    crash_after_uploads: Option<usize>,
    #[cfg(feature = "test-hooks")]
    cheat: Option<Cheat>,
    #[cfg(feature = "test-hooks")]
    recorder: Option<panoramix_contributor::record::Recorder>,
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

impl Agent {
    /// An agent for `client` with these secrets and state; the state is saved to
    /// `state_path` (if any) whenever it changes.
    pub fn new(
        client: Client,
        secrets: Secrets,
        state: AgentState,
        state_path: Option<PathBuf>,
    ) -> Result<Agent, AgentError> {
        let joint = client.peer(&state.mixnet)?;
        let name = joint.crypto_backend.as_str();
        let backend = backend_for(name, secrets)
            .ok_or_else(|| AgentError::State(format!("unknown backend {name}")))?;
        let key = panoramix_core::Keypair::from_secret_hex(&client.key().secret_hex())
            .map_err(|e| AgentError::State(format!("the client's key: {e}")))?;
        let machine = Contributor::new(
            key,
            client.controller_id(),
            backend,
            state,
            Box::new(rand_core::OsRng),
        )?;
        Ok(Agent {
            client,
            machine,
            state_path,
            seen: 0,
            #[cfg(feature = "test-hooks")]
            crash_after_uploads: None,
            #[cfg(feature = "test-hooks")]
            cheat: None,
            #[cfg(feature = "test-hooks")]
            recorder: None,
        })
    }

    /// An agent whose machine draws its randomness from `seed` and which records
    /// every step (tests only: the `test-hooks` feature), for
    /// [`panoramix_contributor::record::replay`].
    #[cfg(feature = "test-hooks")]
    pub fn recorded(
        client: Client,
        secrets: Secrets,
        state: AgentState,
        seed: [u8; 32],
    ) -> Result<Agent, AgentError> {
        use rand_core::SeedableRng;
        let joint = client.peer(&state.mixnet)?;
        let name = joint.crypto_backend.clone();
        let hex_secrets = json!({
            "mix": secrets.mix.as_ref().map(|m| m.secret_hex().to_string()),
            "trustee": secrets.trustee.as_ref().map(|t| t.to_hex().to_string()),
        });
        let backend = backend_for(&name, secrets)
            .ok_or_else(|| AgentError::State(format!("unknown backend {name}")))?;
        let key = panoramix_core::Keypair::from_secret_hex(&client.key().secret_hex())
            .map_err(|e| AgentError::State(format!("the client's key: {e}")))?;
        let recorder = panoramix_contributor::record::Recorder::new(
            &key,
            client.controller_id(),
            &name,
            hex_secrets,
            &state,
            seed,
        );
        let machine = Contributor::new(
            key,
            client.controller_id(),
            backend,
            state,
            Box::new(rand_chacha::ChaCha20Rng::from_seed(seed)),
        )?;
        Ok(Agent {
            client,
            machine,
            state_path: None,
            seen: 0,
            crash_after_uploads: None,
            cheat: None,
            recorder: Some(recorder),
        })
    }

    /// What a [`Agent::recorded`] agent recorded so far.
    #[cfg(feature = "test-hooks")]
    pub fn recording(&self) -> Option<&panoramix_contributor::record::Recording> {
        self.recorder.as_ref().map(|r| r.recording())
    }

    /// Make this agent cheat (tests only: the `test-hooks` feature): at its next
    /// step, its backend is wrapped so that what it processes is altered before
    /// the upload.
    #[cfg(feature = "test-hooks")]
    pub fn set_cheat(&mut self, cheat: Option<Cheat>) {
        self.cheat = cheat;
    }

    /// Fail (as if killed) after this many more PROCESSBOX uploads (tests only: the
    /// `test-hooks` feature).
    #[cfg(feature = "test-hooks")]
    pub fn set_crash_after_uploads(&mut self, n: Option<usize>) {
        self.crash_after_uploads = n;
    }

    /// Time spent in the backend's cryptography (processing, verifying, admitting).
    pub fn crypto_time(&self) -> std::time::Duration {
        self.machine.crypto_time()
    }

    /// The endpoints whose verified or computed results the agent keeps in
    /// memory (those of completed cycles are dropped).
    pub fn remembered_endpoints(&self) -> std::collections::BTreeSet<String> {
        self.machine.remembered_endpoints()
    }

    /// The agent's state.
    pub fn state(&self) -> &AgentState {
        self.machine.state()
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn save(&self, state: &str) -> Result<(), AgentError> {
        if let Some(p) = &self.state_path {
            let tmp = p.with_extension("tmp");
            let io = |path: &PathBuf| {
                let path = path.display().to_string();
                move |source| AgentError::Io { path, source }
            };
            std::fs::write(&tmp, state).map_err(io(&tmp))?;
            std::fs::rename(&tmp, p).map_err(io(p))?;
        }
        Ok(())
    }

    /// Send one of the machine's requests; an API refusal is an answer for the
    /// machine, an unreachable controller fails the step.
    fn send(&mut self, req: &HttpRequest) -> Result<HttpResponse, AgentError> {
        #[cfg(feature = "test-hooks")]
        if let Some(r) = self.crash_during_upload(req) {
            return Err(r);
        }
        let r = match &req.body {
            None => self.client.get(&req.path),
            Some(b) => self
                .client
                .send_signed(&req.method, &req.path, b.as_bytes()),
        };
        match r {
            Ok(body) => Ok(HttpResponse { status: 200, body }),
            Err(e) => match e.status() {
                Some(status) => Ok(HttpResponse {
                    status,
                    body: json!({"error": {"code": e.code(), "message": e.to_string()}}),
                }),
                None => Err(e.into()),
            },
        }
    }

    /// The test hook: upload only the first `n` messages of a PROCESSBOX
    /// upload, then fail as if killed.
    #[cfg(feature = "test-hooks")]
    fn crash_during_upload(&mut self, req: &HttpRequest) -> Option<AgentError> {
        let n = self.crash_after_uploads?;
        if panoramix_core::boxes::is_box_path(&req.path) {
            return self.crash_during_box_upload(req);
        }
        let body: serde_json::Value = serde_json::from_str(req.body.as_deref()?).ok()?;
        let data = &body["data"];
        if req.path != "/panoramix/messages/" || data["box"] != "PROCESSBOX" {
            return None;
        }
        let msgs = data["messages"].as_array()?;
        if n >= msgs.len() {
            self.crash_after_uploads = Some(n - msgs.len());
            return None;
        }
        let mut part = data.clone();
        part["messages"] = json!(msgs[..n]);
        if n > 0
            && let Err(e) =
                self.client
                    .call("POST", "/panoramix/messages/", "message", "create", part)
        {
            return Some(e.into());
        }
        Some(AgentError::State("simulated crash during upload".into()))
    }

    /// The test hook on a box upload (docs/api.md "Boxes") of a PROCESSBOX:
    /// the transfer is cut in the middle (the first half of its bytes is sent,
    /// which the controller refuses whole), then the agent fails as if killed.
    #[cfg(feature = "test-hooks")]
    fn crash_during_box_upload(&mut self, req: &HttpRequest) -> Option<AgentError> {
        let body = req.body.as_deref()?;
        let up = panoramix_core::boxes::decode(body.as_bytes(), true, usize::MAX).ok()?;
        let env: serde_json::Value = serde_json::from_str(up.envelope.as_deref()?).ok()?;
        if env["data"]["box"] != "PROCESSBOX" {
            return None;
        }
        let half = &body.as_bytes()[..body.len() / 2];
        match self.client.send_signed("POST", &req.path, half) {
            Ok(_) => Some(AgentError::State(
                "a truncated box upload was accepted".into(),
            )),
            Err(_) => Some(AgentError::State("simulated crash during upload".into())),
        }
    }

    /// Wait, after a step that did nothing, for the controller's next change
    /// (its change feed, docs/protocol.md §5.10): until a write is committed
    /// after the last answer, at most `max`, and at least `min` since this call
    /// (so a busy controller is not stepped on faster than that). A controller
    /// that cannot wait (the Worker answers at once) or has no feed is polled
    /// every `fallback` instead.
    pub fn wait_for_change(&mut self, min: Duration, max: Duration, fallback: Duration) {
        let t0 = Instant::now();
        let max_ms = u64::try_from(max.as_millis()).unwrap_or(u64::MAX);
        let floor = match self.client.changes(self.seen, max_ms) {
            Ok(c) => {
                self.seen = c.seq;
                if c.changed || t0.elapsed() >= max / 2 {
                    min
                } else {
                    fallback
                }
            }
            Err(_) => fallback,
        };
        if let Some(rest) = floor.checked_sub(t0.elapsed()) {
            std::thread::sleep(rest);
        }
    }

    /// Do what can be done now: one step of the machine.
    pub fn step(&mut self) -> Result<Step, AgentError> {
        let (mixnet, cycle) = (self.state().mixnet.clone(), self.state().cycle);
        #[cfg(feature = "test-hooks")]
        crate::cheat::set(&mut self.machine, self.cheat.take());
        let now = now_secs();
        self.machine.begin_step(now);
        #[cfg(feature = "test-hooks")]
        if let Some(r) = &mut self.recorder {
            r.begin(now);
        }
        loop {
            match self.machine.poll() {
                Poll::Effect(Effect::Http(req)) => {
                    let resp = self.send(&req)?;
                    #[cfg(feature = "test-hooks")]
                    if let Some(r) = &mut self.recorder {
                        r.http(&req, &resp);
                    }
                    self.machine.handle(resp)?;
                }
                Poll::Effect(Effect::Save(s)) => {
                    self.save(&s)?;
                    #[cfg(feature = "test-hooks")]
                    if let Some(r) = &mut self.recorder {
                        r.save(&s);
                    }
                    self.machine.saved()?;
                }
                Poll::Done(mut st) => {
                    #[cfg(feature = "test-hooks")]
                    if let Some(r) = &mut self.recorder {
                        r.end(panoramix_contributor::record::Outcome::done(&st));
                    }
                    self.keep_transcripts(&mixnet, cycle, &mut st)?;
                    return Ok(st);
                }
                Poll::Failed(e) => {
                    #[cfg(feature = "test-hooks")]
                    if let Some(r) = &mut self.recorder {
                        r.end(panoramix_contributor::record::Outcome::Failed {
                            message: e.to_string(),
                        });
                    }
                    return Err(e.into());
                }
            }
        }
    }

    /// Keep the verified transcript of every election cycle of `mixnet` from
    /// `from` on whose result is published.
    fn keep_transcripts(&self, mixnet: &str, from: u64, st: &mut Step) -> Result<(), AgentError> {
        if self.machine.backend_name() != "ZEUS" || self.state_path.is_none() {
            return Ok(());
        }
        let peer = self.client.peer(mixnet)?;
        let Ok(spec) = serde_json::from_value::<MixnetSpec>(peer.crypto_params) else {
            return Ok(());
        };
        let mut c = from;
        loop {
            match self.client.endpoint(&spec.result(c)) {
                Ok(ep) if ep.status == EndpointStatus::Processed => {
                    self.keep_transcript(&spec, mixnet, c, st)?;
                    c += 1;
                }
                Ok(_) => return Ok(()),
                Err(e) if e.status() == Some(404) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
    }
}
