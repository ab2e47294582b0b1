//! What the bindings of the sans-I/O machines share (`ContributorMachine`,
//! `FormationMachine`): the randomness a seed fixes, the host's answers, and
//! the effects `poll` hands the host.

use crate::error::{Error, Result};
use panoramix_contributor::{Effect, HttpResponse, StepError};
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRngCore, SeedableRng};
use serde::Serialize;
use serde_json::Value as Json;

/// A machine's randomness: from a fixed `seed` (64 hex), to replay a recorded
/// run, else `crypto.getRandomValues`.
pub(crate) fn rng(seed: Option<String>) -> Result<Box<dyn CryptoRngCore + Send>> {
    Ok(match seed {
        Some(h) => {
            let b: [u8; 32] = hex::decode(&h)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| Error::new("invalid_argument", "seed: 64 hex"))?;
            Box::new(ChaCha20Rng::from_seed(b))
        }
        None => Box::new(rand_core::OsRng),
    })
}

/// The host's answer to a request: its HTTP status and body text (a box
/// transfer, docs/api.md "Boxes": its text as a JSON string; empty or not
/// JSON: `null`).
pub(crate) fn response(status: u16, body: &str) -> HttpResponse {
    let body: Json = if body.as_bytes().starts_with(panoramix_core::boxes::MAGIC) {
        Json::String(body.to_owned())
    } else {
        serde_json::from_str(body).unwrap_or(Json::Null)
    };
    HttpResponse { status, body }
}

/// An answer the machine did not ask for (`handle` or `saved` out of turn).
pub(crate) fn out_of_turn(e: StepError) -> Error {
    Error::new("invalid_state", e.to_string())
}

/// An effect `poll` hands the host, as a plain object tagged by `kind`.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub(crate) enum EffectJs {
    Http {
        method: String,
        path: String,
        body: Option<String>,
    },
    Save {
        state: String,
    },
}

impl From<Effect> for EffectJs {
    fn from(e: Effect) -> EffectJs {
        match e {
            Effect::Http(r) => EffectJs::Http {
                method: r.method,
                path: r.path,
                body: r.body,
            },
            Effect::Save(state) => EffectJs::Save { state },
        }
    }
}
