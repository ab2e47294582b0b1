//! What the machine asks its host to do, and how it replays the answers.
//!
//! A step of the protocol is written as straight-line code over a small API
//! (read an endpoint, contribute a text, ...). It never blocks: when it needs
//! an answer it does not have yet, it stops with [`Halt::Need`], the host
//! carries out the [`Effect`] and hands the answer back, and the step runs
//! again from its beginning, taking every earlier answer from the step's log
//! in order. Everything a step decides is a function of its starting state and
//! the log, so a re-run takes the same path; a request that differs from the
//! logged one at the same position is a bug, reported as
//! [`StepError::Diverged`].

use std::sync::Arc;

use serde_json::Value as Json;

/// An HTTP request for the host to send to the controller, as it is: the
/// machine builds and signs the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, `POST` or `PATCH`.
    pub method: String,
    /// Path and query, e.g. `/panoramix/endpoints/m-1-gw/`.
    pub path: String,
    /// The JSON body (signed requests), or none (GET).
    pub body: Option<String>,
}

/// The controller's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpResponse {
    /// HTTP status.
    pub status: u16,
    /// The JSON body (`null` when there was none).
    pub body: Json,
}

impl HttpResponse {
    /// The error code of a JSON error answer (`{"error": {"code": ...}}`).
    pub fn code(&self) -> Option<&str> {
        self.body["error"]["code"].as_str()
    }
}

/// Something only the host can do.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Send this request and hand back the answer ([`crate::Contributor::handle`]).
    Http(HttpRequest),
    /// Store this state (JSON) durably, then say so ([`crate::Contributor::saved`]).
    Save(String),
}

/// The answer to an effect.
#[derive(Clone, Debug)]
pub(crate) enum Answer {
    Http(Arc<HttpResponse>),
    Saved,
}

/// Why a step stopped.
#[derive(Debug)]
pub(crate) enum Halt {
    /// It needs the host.
    Need(Effect),
    /// It failed.
    Error(StepError),
}

impl From<StepError> for Halt {
    fn from(e: StepError) -> Self {
        Halt::Error(e)
    }
}

impl From<panoramix_core::backend::BackendError> for Halt {
    fn from(e: panoramix_core::backend::BackendError) -> Self {
        Halt::Error(StepError::Backend(e))
    }
}

/// A step that failed (the machine's state is as before the step; the next
/// poll starts it again).
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The controller refused a request the step cannot do without.
    #[error("{method} {path}: the controller answered {status} {code}: {message}")]
    Api {
        /// Method.
        method: String,
        /// Path.
        path: String,
        /// HTTP status.
        status: u16,
        /// The error code.
        code: String,
        /// The error message.
        message: String,
    },
    /// An answer is not what the API promises.
    #[error("{what}: unexpected answer")]
    Decode {
        /// What was being read.
        what: String,
        /// Why it did not parse.
        #[source]
        source: serde_json::Error,
    },
    /// A backend failed.
    #[error(transparent)]
    Backend(#[from] panoramix_core::backend::BackendError),
    /// The mix-net or this contributor's place in it is not usable.
    #[error("{0}")]
    State(String),
    /// A re-run of the step asked for something else than its log holds (a
    /// bug: the step is not a function of its inputs).
    #[error("the step diverged from its log at entry {at}: {detail}")]
    Diverged {
        /// Position in the log.
        at: usize,
        /// What differs.
        detail: String,
    },
    /// The host answered an effect that was not asked for.
    #[error("the host answered without a pending effect")]
    NoPendingEffect,
}

impl StepError {
    /// The controller refused `method path` with the answer `r`.
    pub fn api(method: &str, path: &str, r: &HttpResponse) -> StepError {
        StepError::Api {
            method: method.to_owned(),
            path: path.to_owned(),
            status: r.status,
            code: r.code().unwrap_or("unknown").to_owned(),
            message: r.body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

/// A value derived from logged answers, kept on the entry it starts at so that a
/// re-run of the step does not derive it again (a decoded listing, ...).
type Memo = std::sync::Mutex<Vec<(Arc<dyn std::any::Any + Send + Sync>, usize)>>;

/// The log of one step: the effects asked for and their answers, in order.
#[derive(Default)]
pub(crate) struct Log {
    pub(crate) entries: Vec<(Effect, Answer)>,
    memos: Vec<Memo>,
}

impl Log {
    fn push(&mut self, e: Effect, a: Answer) {
        self.entries.push((e, a));
        self.memos.push(Memo::default());
    }
}

/// A run of a step over its log.
pub(crate) struct Replay<'a> {
    log: &'a Log,
    pos: usize,
}

impl<'a> Replay<'a> {
    pub(crate) fn new(log: &'a Log) -> Self {
        Replay { log, pos: 0 }
    }

    /// The position of the next effect.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// What an earlier run derived from the entries from `at` on, and how many
    /// entries it spans.
    pub(crate) fn memo<T: std::any::Any + Send + Sync>(
        &self,
        at: usize,
    ) -> Option<(Arc<T>, usize)> {
        let memos = self.log.memos.get(at)?.lock().ok()?;
        memos
            .iter()
            .find_map(|(v, n)| Some((v.clone().downcast::<T>().ok()?, *n)))
    }

    /// Keep `v`, derived from the `n` entries from `at` on.
    pub(crate) fn set_memo<T: std::any::Any + Send + Sync>(&self, at: usize, v: Arc<T>, n: usize) {
        if let Some(Ok(mut m)) = self.log.memos.get(at).map(|m| m.lock()) {
            m.push((v, n));
        }
    }

    /// Pass over `n` logged entries (a memo stands for them).
    pub(crate) fn skip(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.log.entries.len());
    }

    /// The logged answer to the request at this position, if the log has one
    /// (a re-run takes it without building and signing the request again: for
    /// signed writes, whose bytes follow from what came before in the log).
    pub(crate) fn take_logged_http(&mut self) -> Result<Option<Arc<HttpResponse>>, Halt> {
        match self.log.entries.get(self.pos) {
            Some((Effect::Http(_), Answer::Http(r))) => {
                self.pos += 1;
                Ok(Some(r.clone()))
            }
            Some(_) => Err(Halt::Error(StepError::Diverged {
                at: self.pos,
                detail: "a request where the log has a save".into(),
            })),
            None => Ok(None),
        }
    }

    /// Whether the log holds a save at this position (taken if so).
    pub(crate) fn take_logged_save(&mut self) -> Result<bool, Halt> {
        match self.log.entries.get(self.pos) {
            Some((Effect::Save(_), Answer::Saved)) => {
                self.pos += 1;
                Ok(true)
            }
            Some(_) => Err(Halt::Error(StepError::Diverged {
                at: self.pos,
                detail: "a save where the log has a request".into(),
            })),
            None => Ok(false),
        }
    }

    /// Whether the entry at `at` is a GET of `path`.
    pub(crate) fn logged_get(&self, at: usize, path: &str) -> bool {
        matches!(self.log.entries.get(at), Some((Effect::Http(r), _)) if r.method == "GET" && r.path == path)
    }

    /// The answer to `effect`: from the log, or stop and ask the host.
    pub(crate) fn effect(&mut self, effect: Effect) -> Result<Answer, Halt> {
        match self.log.entries.get(self.pos) {
            Some((logged, answer)) => {
                if *logged != effect {
                    return Err(Halt::Error(StepError::Diverged {
                        at: self.pos,
                        detail: format!("logged {logged:?}, now {effect:?}"),
                    }));
                }
                self.pos += 1;
                Ok(answer.clone())
            }
            None => Err(Halt::Need(effect)),
        }
    }

    /// Send a request; any status comes back as an answer.
    pub(crate) fn http(&mut self, req: HttpRequest) -> Result<Arc<HttpResponse>, Halt> {
        match self.effect(Effect::Http(req))? {
            Answer::Http(r) => Ok(r),
            Answer::Saved => Err(Halt::Error(StepError::Diverged {
                at: self.pos,
                detail: "a save answered a request".into(),
            })),
        }
    }

    /// Store the state.
    pub(crate) fn save(&mut self, state: String) -> Result<(), Halt> {
        match self.effect(Effect::Save(state))? {
            Answer::Saved => Ok(()),
            Answer::Http(_) => Err(Halt::Error(StepError::Diverged {
                at: self.pos,
                detail: "a request answered a save".into(),
            })),
        }
    }
}

/// What a run of a step over its log came to.
pub(crate) enum Ran<T> {
    /// The host must carry out this effect.
    Effect(Effect),
    /// The step completed (its log is cleared).
    Done(T),
    /// The step failed (its log is cleared).
    Failed(StepError),
}

/// Drives one step over its log: runs it, keeps the effect it waits for, and
/// logs the host's answers (shared by the contributor and the formation
/// procedures).
#[derive(Default)]
pub(crate) struct Driver {
    log: Log,
    pending: Option<Effect>,
}

impl Driver {
    /// Forget the step in progress.
    pub(crate) fn reset(&mut self) {
        self.log = Log::default();
        self.pending = None;
    }

    /// Run `step` over the log, unless an effect is still pending.
    pub(crate) fn run<T>(&mut self, step: impl FnOnce(Replay<'_>) -> Result<T, Halt>) -> Ran<T> {
        if let Some(e) = &self.pending {
            return Ran::Effect(e.clone());
        }
        match step(Replay::new(&self.log)) {
            Ok(t) => {
                self.log = Log::default();
                Ran::Done(t)
            }
            Err(Halt::Need(e)) => {
                self.pending = Some(e.clone());
                Ran::Effect(e)
            }
            Err(Halt::Error(e)) => {
                self.log = Log::default();
                Ran::Failed(e)
            }
        }
    }

    /// The answer to the pending [`Effect::Http`].
    pub(crate) fn handle(&mut self, response: HttpResponse) -> Result<(), StepError> {
        match self.pending.take() {
            Some(e @ Effect::Http(_)) => {
                self.log.push(e, Answer::Http(Arc::new(response)));
                Ok(())
            }
            other => {
                self.pending = other;
                Err(StepError::NoPendingEffect)
            }
        }
    }

    /// The pending [`Effect::Save`] is done.
    pub(crate) fn saved(&mut self) -> Result<(), StepError> {
        match self.pending.take() {
            Some(e @ Effect::Save(_)) => {
                self.log.push(e, Answer::Saved);
                Ok(())
            }
            other => {
                self.pending = other;
                Err(StepError::NoPendingEffect)
            }
        }
    }
}
