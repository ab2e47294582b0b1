//! Recorded runs: everything a [`Contributor`] was given (identity, state,
//! seed, the clock of each step and every answer) and everything it asked for,
//! so that the run can be replayed through another build of the same machine
//! (the WebAssembly one, or a later version) and compared request by request.
//!
//! A host records with [`Recorder`]; [`replay`] drives a fresh machine through a
//! [`Recording`] and reports the first difference.
//!
//! A formation procedure is recorded alike, one procedure at a time: a
//! [`ProcedureRecorder`] makes a [`ProcedureRecording`] (the operation by name
//! and its arguments, [`Formation::operation`]), [`replay_procedure`] replays it.

use panoramix_core::Keypair;
use panoramix_core::backend::Backend;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::formation::{Backends, Formation, Progress};
use crate::io::{Effect, HttpRequest, HttpResponse, StepError};
use crate::machine::{AgentState, Contributor, Poll, Step};

/// One effect the machine asked for, with the host's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Entry {
    /// A request and the controller's answer.
    Http {
        /// Method.
        method: String,
        /// Path and query.
        path: String,
        /// The signed body, if any.
        body: Option<String>,
        /// The answer's status.
        status: u16,
        /// The answer's body.
        answer: Json,
    },
    /// A state to store.
    Save {
        /// The state (JSON text).
        state: String,
    },
}

impl Entry {
    /// A request and its answer.
    pub fn http(req: &HttpRequest, resp: &HttpResponse) -> Entry {
        Entry::Http {
            method: req.method.clone(),
            path: req.path.clone(),
            body: req.body.clone(),
            status: resp.status,
            answer: resp.body.clone(),
        }
    }

    /// A stored state.
    pub fn save(state: &str) -> Entry {
        Entry::Save {
            state: state.to_owned(),
        }
    }
}

/// How a recorded step ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Outcome {
    /// The step completed.
    Done {
        /// Something changed on the controller.
        acted: bool,
        /// The contributor is finished.
        finished: bool,
        /// Its events.
        events: Vec<String>,
    },
    /// The machine reported a failure.
    Failed {
        /// The error.
        message: String,
    },
    /// The host gave up on the step (an unreachable controller, ...).
    Aborted,
}

/// One step: its clock, its effects, its end.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedStep {
    /// `begin_step(now)`.
    pub now: i64,
    /// The effects, in order.
    pub entries: Vec<Entry>,
    /// How it ended.
    pub outcome: Outcome,
}

/// A whole recorded run of one contributor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    /// The contributor's identity secret (hex): recordings are test material.
    pub identity: String,
    /// The controller's id.
    pub controller_id: String,
    /// `SPHINXMIX` or `ZEUS`.
    pub backend: String,
    /// The backend secrets (hex): `{mix}` or `{trustee}`.
    pub secrets: Json,
    /// The state it started from.
    pub state: AgentState,
    /// The seed of its generator (64 hex).
    pub seed: String,
    /// Its steps.
    pub steps: Vec<RecordedStep>,
}

/// Records what a host's machine is given and asks for.
pub struct Recorder {
    recording: Recording,
    current: Option<RecordedStep>,
}

impl Recorder {
    /// A recorder for a machine made from these inputs.
    pub fn new(
        identity: &Keypair,
        controller_id: &str,
        backend: &str,
        secrets: Json,
        state: &AgentState,
        seed: [u8; 32],
    ) -> Self {
        Recorder {
            recording: Recording {
                identity: identity.secret_hex().to_string(),
                controller_id: controller_id.to_owned(),
                backend: backend.to_owned(),
                secrets,
                state: state.clone(),
                seed: hex::encode(seed),
                steps: Vec::new(),
            },
            current: None,
        }
    }

    /// A step begins at `now` (a step left open is recorded as aborted).
    pub fn begin(&mut self, now: i64) {
        self.abort();
        self.current = Some(RecordedStep {
            now,
            entries: Vec::new(),
            outcome: Outcome::Aborted,
        });
    }

    /// A request and its answer.
    pub fn http(&mut self, req: &HttpRequest, resp: &HttpResponse) {
        if let Some(s) = &mut self.current {
            s.entries.push(Entry::http(req, resp));
        }
    }

    /// A stored state.
    pub fn save(&mut self, state: &str) {
        if let Some(s) = &mut self.current {
            s.entries.push(Entry::save(state));
        }
    }

    /// The step ended.
    pub fn end(&mut self, outcome: Outcome) {
        if let Some(mut s) = self.current.take() {
            s.outcome = outcome;
            self.recording.steps.push(s);
        }
    }

    /// An open step ends as aborted.
    pub fn abort(&mut self) {
        self.end(Outcome::Aborted);
    }

    /// The recording so far.
    pub fn recording(&self) -> &Recording {
        &self.recording
    }
}

impl Outcome {
    /// The outcome of a completed step.
    pub fn done(st: &Step) -> Self {
        Outcome::Done {
            acted: st.acted,
            finished: st.finished,
            events: st.events.clone(),
        }
    }
}

/// Where a replay first differed from its recording.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("step {step}, entry {entry}: {detail}")]
pub struct Mismatch {
    /// The step (0-based).
    pub step: usize,
    /// The entry within it (0-based; its length: the step's end).
    pub entry: usize,
    /// What differs.
    pub detail: String,
}

/// Drive a fresh machine (this `backend`, made from the recording's secrets)
/// through `rec`: every request and every stored state must be the recorded
/// one, and every step must end as recorded.
pub fn replay(rec: &Recording, backend: Box<dyn Backend>) -> Result<(), Mismatch> {
    let at = |step, entry, detail: String| Mismatch {
        step,
        entry,
        detail,
    };
    let key =
        Keypair::from_secret_hex(&rec.identity).map_err(|e| at(0, 0, format!("identity: {e}")))?;
    let seed: [u8; 32] = hex::decode(&rec.seed)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| at(0, 0, "seed: 64 hex".into()))?;
    let mut m = Contributor::new(
        key,
        &rec.controller_id,
        backend,
        rec.state.clone(),
        Box::new(ChaCha20Rng::from_seed(seed)),
    )
    .map_err(|e| at(0, 0, e.to_string()))?;
    for (i, step) in rec.steps.iter().enumerate() {
        m.begin_step(step.now);
        for (j, entry) in step.entries.iter().enumerate() {
            let asked = match m.poll() {
                Poll::Effect(e) => e,
                Poll::Done(st) => return Err(at(i, j, format!("ended early: {st:?}"))),
                Poll::Failed(e) => return Err(at(i, j, format!("failed early: {e}"))),
            };
            answer(&mut m, &asked, entry).map_err(|d| at(i, j, d))?;
        }
        let end = match (&step.outcome, m.poll()) {
            (Outcome::Aborted, _) => continue,
            (want, Poll::Done(st)) if *want == Outcome::done(&st) => continue,
            (Outcome::Failed { message }, Poll::Failed(e)) if *message == e.to_string() => {
                continue;
            }
            (want, got) => format!("recorded end {want:?}, replayed {got:?}"),
        };
        return Err(at(i, step.entries.len(), end));
    }
    Ok(())
}

/// What the host answers when a replayed machine asks for `asked` where the
/// recording has `entry`: the recorded response, or that the state was
/// stored; an error when the two differ.
fn expect(asked: &Effect, entry: &Entry) -> Result<Option<HttpResponse>, String> {
    match (asked, entry) {
        (
            Effect::Http(req),
            Entry::Http {
                method,
                path,
                body,
                status,
                answer,
            },
        ) => {
            if req.method != *method || req.path != *path || req.body != *body {
                return Err(format!(
                    "recorded {method} {path} {body:?}, replayed {} {} {:?}",
                    req.method, req.path, req.body
                ));
            }
            Ok(Some(HttpResponse {
                status: *status,
                body: answer.clone(),
            }))
        }
        (Effect::Save(s), Entry::Save { state }) if s == state => Ok(None),
        (asked, entry) => Err(format!("recorded {entry:?}, replayed {asked:?}")),
    }
}

fn answer(m: &mut Contributor, asked: &Effect, entry: &Entry) -> Result<(), String> {
    let r: Result<(), StepError> = match expect(asked, entry)? {
        Some(resp) => m.handle(resp),
        None => m.saved(),
    };
    r.map_err(|e| e.to_string())
}

/// How a recorded formation procedure ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ProcedureOutcome {
    /// It completed with this result (as [`Formation::operation`] gives it).
    Done {
        /// The result.
        result: Json,
    },
    /// It failed.
    Failed {
        /// The error.
        message: String,
    },
    /// The host gave up on it (an unreachable controller, ...).
    Aborted,
}

/// A recorded run of one formation procedure ([`crate::formation::Procedure`]):
/// the operation and its arguments, the identity and the seed of the
/// [`Formation`] that made it (its first procedure), the clock it began at,
/// every request with its answer, and its end.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProcedureRecording {
    /// The identity secret (hex): recordings are test material.
    pub identity: String,
    /// The controller's id.
    pub controller_id: String,
    /// The seed of the formation's generator (64 hex).
    pub seed: String,
    /// The operation ([`Formation::operation`]).
    pub operation: String,
    /// Its arguments (a JSON array).
    pub args: Json,
    /// `begin(now)`.
    pub now: i64,
    /// The effects, in order.
    pub entries: Vec<Entry>,
    /// How it ended.
    pub outcome: ProcedureOutcome,
}

/// Records one formation procedure a host drives: make the procedure with
/// [`ProcedureRecorder::formation`] (a formation of its own, seeded as
/// recorded), then report its begin, requests and end.
pub struct ProcedureRecorder {
    recording: ProcedureRecording,
}

impl ProcedureRecorder {
    /// A recorder for the operation `operation` with `args` of `identity` at
    /// `controller_id`, made by a formation seeded with `seed`.
    pub fn new(
        identity: &Keypair,
        controller_id: &str,
        seed: [u8; 32],
        operation: &str,
        args: Json,
    ) -> Self {
        ProcedureRecorder {
            recording: ProcedureRecording {
                identity: identity.secret_hex().to_string(),
                controller_id: controller_id.to_owned(),
                seed: hex::encode(seed),
                operation: operation.to_owned(),
                args,
                now: 0,
                entries: Vec::new(),
                outcome: ProcedureOutcome::Aborted,
            },
        }
    }

    /// The formation to make the recorded procedure with (its first).
    pub fn formation(&self, backends: Backends) -> Result<Formation, StepError> {
        formation_of(&self.recording, backends)
    }

    /// The procedure begins at `now` (again: what was recorded starts over).
    pub fn begin(&mut self, now: i64) {
        self.recording.now = now;
        self.recording.entries.clear();
        self.recording.outcome = ProcedureOutcome::Aborted;
    }

    /// A request and its answer.
    pub fn http(&mut self, req: &HttpRequest, resp: &HttpResponse) {
        self.recording.entries.push(Entry::http(req, resp));
    }

    /// A stored state.
    pub fn save(&mut self, state: &str) {
        self.recording.entries.push(Entry::save(state));
    }

    /// It ended.
    pub fn end(&mut self, outcome: ProcedureOutcome) {
        self.recording.outcome = outcome;
    }

    /// The recording.
    pub fn recording(&self) -> &ProcedureRecording {
        &self.recording
    }
}

fn formation_of(rec: &ProcedureRecording, backends: Backends) -> Result<Formation, StepError> {
    let key = Keypair::from_secret_hex(&rec.identity)
        .map_err(|e| StepError::State(format!("identity: {e}")))?;
    let seed: [u8; 32] = hex::decode(&rec.seed)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| StepError::State("seed: 64 hex".into()))?;
    Ok(Formation::new(
        key,
        &rec.controller_id,
        backends,
        Box::new(ChaCha20Rng::from_seed(seed)),
    ))
}

/// Drive a fresh procedure (made by a formation with these `backends`, the
/// recording's identity and seed) through `rec`: every request must be the
/// recorded one and it must end as recorded. A [`Mismatch`] names step 0.
pub fn replay_procedure(rec: &ProcedureRecording, backends: Backends) -> Result<(), Mismatch> {
    let at = |entry, detail: String| Mismatch {
        step: 0,
        entry,
        detail,
    };
    let mut p = formation_of(rec, backends)
        .and_then(|mut f| f.operation(&rec.operation, &rec.args))
        .map_err(|e| at(0, e.to_string()))?;
    p.begin(rec.now);
    for (j, entry) in rec.entries.iter().enumerate() {
        let asked = match p.poll() {
            Progress::Effect(e) => e,
            got => return Err(at(j, format!("recorded {entry:?}, replayed {got:?}"))),
        };
        let r = match expect(&asked, entry).map_err(|d| at(j, d))? {
            Some(resp) => p.handle(resp),
            None => p.saved(),
        };
        r.map_err(|e| at(j, e.to_string()))?;
    }
    let end = match (&rec.outcome, p.poll()) {
        (ProcedureOutcome::Aborted, _) => return Ok(()),
        (ProcedureOutcome::Done { result }, Progress::Done(got)) if *result == got => {
            return Ok(());
        }
        (ProcedureOutcome::Failed { message }, Progress::Failed(e))
            if *message == e.to_string() =>
        {
            return Ok(());
        }
        (want, got) => format!("recorded end {want:?}, replayed {got:?}"),
    };
    Err(at(rec.entries.len(), end))
}
