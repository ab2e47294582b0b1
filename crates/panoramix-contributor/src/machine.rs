//! The machine: its state, what it keeps between steps, and how a host drives it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use panoramix_core::Keypair;
use panoramix_core::backend::{Backend, Processed};
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRngCore, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::api::Api;
use crate::io::{Driver, Effect, Halt, HttpResponse, Ran, StepError};

/// What the contributor keeps durably (the host stores it on every
/// [`Effect::Save`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentState {
    /// The joint peer of the mix-net.
    pub mixnet: String,
    /// The cycle being worked on.
    #[serde(default = "one")]
    pub cycle: u64,
    /// Stop after this many cycles (0: never).
    #[serde(default)]
    pub max_cycles: u64,
    /// Cycles completed so far, across reconfigurations.
    #[serde(default)]
    pub completed: u64,
    /// Outputs computed for own endpoints, kept until uploaded and agreed.
    #[serde(default)]
    pub processed: BTreeMap<String, std::sync::Arc<Processed>>,
    /// Complaints already filed (what was refused).
    #[serde(default)]
    pub complaints: BTreeSet<String>,
    /// The backend's own state (hex; the Sphinx replay cache of the mix key),
    /// kept for the key's life so that a packet replayed in a later cycle is
    /// dropped.
    #[serde(
        default,
        alias = "sphinx_replay",
        skip_serializing_if = "Option::is_none"
    )]
    pub backend_state: Option<String>,
}

fn one() -> u64 {
    1
}

/// What one step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Step {
    /// Something changed on the controller.
    pub acted: bool,
    /// `max_cycles` cycles are complete, or this contributor left the mix-net.
    pub finished: bool,
    /// Human-readable events.
    pub events: Vec<String>,
}

/// What the host must do next.
#[derive(Debug)]
pub enum Poll {
    /// Carry out this effect and answer it.
    Effect(Effect),
    /// The step is complete; wait (the host's pacing), then
    /// [`Contributor::begin_step`] again.
    Done(Step),
    /// The step failed; nothing of it was committed.
    Failed(StepError),
}

/// Results computed once and reused by every re-run of a step and by later
/// steps (never consulted to decide what to request).
#[derive(Default)]
pub(crate) struct Computed {
    pub(crate) own: HashMap<String, std::sync::Arc<Processed>>,
    pub(crate) recompute: HashMap<String, std::sync::Arc<Processed>>,
    pub(crate) hashes: HashMap<(String, String, usize), std::sync::Arc<Vec<String>>>,
    pub(crate) verify: HashMap<String, Result<(), String>>,
    pub(crate) admissible: HashMap<(String, usize, String), Vec<bool>>,
    pub(crate) crypto_nanos: u128,
}

impl Computed {
    /// Drop what was computed for the endpoints whose ids start with
    /// `prefix` (a completed cycle's: a long-running agent keeps nothing of
    /// its past cycles in memory).
    pub(crate) fn forget(&mut self, prefix: &str) {
        let keep = |id: &str| !id.starts_with(prefix);
        self.own.retain(|k, _| keep(k));
        self.recompute.retain(|k, _| keep(k));
        self.hashes.retain(|k, _| keep(&k.0));
        self.verify.retain(|k, _| keep(k));
        self.admissible.retain(|k, _| keep(&k.0));
    }
}

/// What earlier steps established (read-only during a step; a step's
/// additions are merged when it completes).
#[derive(Default, Clone)]
pub(crate) struct Known {
    pub(crate) verified: HashSet<String>,
    pub(crate) recomputed: HashMap<String, std::sync::Arc<Processed>>,
    /// Successor proposals that leave this owner out, told about already.
    pub(crate) warned: HashSet<String>,
    /// Endpoint id prefixes of cycles this step completed: what is known of
    /// them is dropped when the step completes.
    pub(crate) forget: Vec<String>,
    /// Boxes that can no longer change, as read ([`crate::boxcache`]).
    pub(crate) boxes: crate::boxcache::Boxes,
    /// Entry endpoints' close selections, as derived ([`crate::boxcache`]).
    pub(crate) selections: crate::boxcache::Selections,
}

impl Known {
    fn forget(&mut self, prefix: &str) {
        self.verified.retain(|k| !k.starts_with(prefix));
        self.recomputed.retain(|k, _| !k.starts_with(prefix));
        self.boxes.forget(prefix);
        self.selections.retain(|k, _| !k.starts_with(prefix));
    }
}

/// One contributor of one mix-net, as a state machine.
pub struct Contributor {
    key: Keypair,
    controller_id: String,
    backend: Box<dyn Backend>,
    rng: Box<dyn CryptoRngCore + Send>,
    state: AgentState,
    known: Known,
    computed: Computed,
    driver: Driver,
    seed: [u8; 32],
    now: i64,
}

/// One run of a step.
pub(crate) struct Exec<'a> {
    pub(crate) api: Api<'a>,
    pub(crate) state: AgentState,
    pub(crate) st: Step,
    pub(crate) known: &'a Known,
    pub(crate) learned: Known,
    pub(crate) computed: &'a mut Computed,
    pub(crate) backend: &'a mut dyn Backend,
    pub(crate) rng: &'a mut dyn CryptoRngCore,
}

impl Exec<'_> {
    /// Store the working state (before an upload, so a restart re-uploads the
    /// same outputs).
    pub(crate) fn save(&mut self) -> Result<(), Halt> {
        // a re-run takes the logged save as it is: the state is a function of
        // the log, so it is the one this run would store
        if self.api.io.take_logged_save()? {
            return Ok(());
        }
        let s = serde_json::to_string(&self.state)
            .map_err(|e| StepError::State(format!("cannot serialize the state: {e}")))?;
        self.api.io.save(s)
    }

    pub(crate) fn event(&mut self, e: String) {
        self.st.events.push(e);
    }

    /// Time a backend call (not on wasm32, which has no monotonic clock here).
    pub(crate) fn timed<T>(
        &mut self,
        f: impl FnOnce(&mut dyn Backend, &mut dyn CryptoRngCore) -> T,
    ) -> T {
        #[cfg(not(target_arch = "wasm32"))]
        let t0 = std::time::Instant::now();
        let out = f(&mut *self.backend, &mut *self.rng);
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.computed.crypto_nanos += t0.elapsed().as_nanos();
        }
        out
    }
}

impl Contributor {
    /// A contributor with this identity, of the controller `controller_id`, with
    /// this backend (holding its secrets) and state; `rng` seeds each step's
    /// nonces and the backend's randomness.
    pub fn new(
        key: Keypair,
        controller_id: &str,
        mut backend: Box<dyn Backend>,
        state: AgentState,
        rng: Box<dyn CryptoRngCore + Send>,
    ) -> Result<Contributor, StepError> {
        if let Some(h) = &state.backend_state {
            let bytes = hex::decode(h)
                .map_err(|e| StepError::State(format!("backend_state is not hex: {e}")))?;
            backend.restore_state(&bytes)?;
        }
        Ok(Contributor {
            key,
            controller_id: controller_id.to_owned(),
            backend,
            rng,
            state,
            known: Known::default(),
            computed: Computed::default(),
            driver: Driver::default(),
            seed: [0; 32],
            now: 0,
        })
    }

    /// The committed state (as of the last completed step).
    pub fn state(&self) -> &AgentState {
        &self.state
    }

    /// The endpoints whose verified or computed results are kept in memory
    /// (those of completed cycles are dropped when the cycle completes).
    pub fn remembered_endpoints(&self) -> BTreeSet<String> {
        let c = &self.computed;
        let k = &self.known;
        c.own
            .keys()
            .chain(c.recompute.keys())
            .chain(c.hashes.keys().map(|k| &k.0))
            .chain(c.verify.keys())
            .chain(c.admissible.keys().map(|k| &k.0))
            .chain(k.verified.iter())
            .chain(k.recomputed.keys())
            .chain(k.boxes.endpoints())
            .chain(k.selections.keys())
            .cloned()
            .collect()
    }

    /// Time spent in the backend's cryptography (processing, verifying,
    /// admitting).
    pub fn crypto_time(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.computed.crypto_nanos.min(u128::from(u64::MAX)) as u64)
    }

    /// Replace the backend by one made from it (a host's wrapper, e.g. for
    /// fault injection in tests).
    pub fn wrap_backend(&mut self, f: impl FnOnce(Box<dyn Backend>) -> Box<dyn Backend>) {
        let placeholder: Box<dyn Backend> = Box::new(crate::machine::NoBackend);
        let inner = std::mem::replace(&mut self.backend, placeholder);
        self.backend = f(inner);
    }

    /// The backend's name.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// Start a step at `now` (seconds since the epoch, the controller's clock
    /// as the host knows it). A step in progress is abandoned.
    pub fn begin_step(&mut self, now: i64) {
        self.driver.reset();
        self.now = now;
        self.rng.fill_bytes(&mut self.seed);
    }

    /// What to do next.
    pub fn poll(&mut self) -> Poll {
        let ran = self.driver.run(|replay| {
            let mut ex = Exec {
                api: Api::new(
                    replay,
                    &self.key,
                    &self.controller_id,
                    ChaCha20Rng::from_seed(self.seed),
                    self.now,
                ),
                state: self.state.clone(),
                st: Step::default(),
                known: &self.known,
                learned: Known::default(),
                computed: &mut self.computed,
                backend: &mut *self.backend,
                rng: &mut *self.rng,
            };
            crate::cycle::step(&mut ex)?;
            Ok((ex.state, ex.st, ex.learned))
        });
        match ran {
            Ran::Done((state, st, learned)) => {
                self.state = state;
                self.known.verified.extend(learned.verified);
                self.known.recomputed.extend(learned.recomputed);
                self.known.warned.extend(learned.warned);
                self.known.boxes.merge(learned.boxes);
                self.known.selections.extend(learned.selections);
                for prefix in &learned.forget {
                    self.known.forget(prefix);
                    self.computed.forget(prefix);
                }
                Poll::Done(st)
            }
            Ran::Effect(e) => Poll::Effect(e),
            Ran::Failed(e) => Poll::Failed(e),
        }
    }

    /// The answer to the pending [`Effect::Http`].
    pub fn handle(&mut self, response: HttpResponse) -> Result<(), StepError> {
        self.driver.handle(response)
    }

    /// The pending [`Effect::Save`] is done.
    pub fn saved(&mut self) -> Result<(), StepError> {
        self.driver.saved()
    }
}

/// Stands in for the backend while [`Contributor::wrap_backend`] swaps it.
struct NoBackend;

impl Backend for NoBackend {
    fn name(&self) -> &'static str {
        ""
    }
    fn processing(
        &self,
        t: &str,
    ) -> Result<panoramix_core::backend::Processing, panoramix_core::backend::BackendError> {
        Err(panoramix_core::backend::BackendError::params_msg(format!(
            "no backend for {t}"
        )))
    }
    fn admissible(&self, _: &panoramix_core::backend::EndpointView, texts: &[&str]) -> Vec<bool> {
        vec![false; texts.len()]
    }
    fn process(
        &mut self,
        _: &panoramix_core::backend::EndpointView,
        _: &[panoramix_core::backend::Msg],
        _: &mut dyn CryptoRngCore,
    ) -> Result<Processed, panoramix_core::backend::BackendError> {
        Err(panoramix_core::backend::BackendError::MissingSecret(
            "backend",
        ))
    }
    fn verify(
        &self,
        _: &panoramix_core::backend::EndpointView,
        _: &[panoramix_core::backend::Msg],
        _: &[panoramix_core::backend::Msg],
        _: &str,
        _: &mut dyn CryptoRngCore,
    ) -> Result<(), panoramix_core::backend::BackendError> {
        Err(panoramix_core::backend::BackendError::MissingSecret(
            "backend",
        ))
    }
    fn crypto_params(&self, _: &str, _: &mut dyn CryptoRngCore) -> serde_json::Value {
        serde_json::Value::Null
    }
}
