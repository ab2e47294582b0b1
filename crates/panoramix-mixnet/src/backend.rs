//! The crypto backends as the native agent sets them up: a contributor's
//! [`Secrets`], and the [`Backend`] of the contributor protocol
//! ([`panoramix_core::backend`]) that panoramix-sphinx and panoramix-zeus
//! implement, made from them.

pub use panoramix_core::backend::{
    Backend, BackendError, EndpointView, Msg, Out, Processed, Processing,
};
pub use panoramix_sphinx::contributor::{SphinxBackend, sphinx_params};
pub use panoramix_zeus::contributor::ZeusBackend;

use panoramix_sphinx as sphinx;
use panoramix_zeus as zeus;
use serde_json::Value as Json;

/// A contributor's secrets for the backends.
pub struct Secrets {
    /// The Sphinx mix key.
    pub mix: Option<sphinx::MixKeyPair>,
    /// The Zeus trustee key share.
    pub trustee: Option<zeus::TrusteeSecret>,
}

impl Secrets {
    /// Secrets for one backend (or both).
    pub fn new(mix: Option<sphinx::MixKeyPair>, trustee: Option<zeus::TrusteeSecret>) -> Secrets {
        Secrets { mix, trustee }
    }
}

/// The backend `name` (`SPHINXMIX` or `ZEUS`) holding these secrets.
pub fn backend_for(name: &str, secrets: Secrets) -> Option<Box<dyn Backend>> {
    match name {
        "SPHINXMIX" => Some(Box::new(SphinxBackend::new(secrets.mix))),
        "ZEUS" => Some(Box::new(ZeusBackend::new(secrets.trustee))),
        _ => None,
    }
}

/// The crypto parameters a contributor publishes at registration for `backend`.
pub fn peer_crypto_params(backend: &str, secrets: &Secrets, key_session: &str) -> Json {
    let mut rng = rand_core::OsRng;
    match backend {
        "SPHINXMIX" => SphinxBackend::new(secrets.mix.clone()).crypto_params(key_session, &mut rng),
        _ => ZeusBackend::new(secrets.trustee.clone()).crypto_params(key_session, &mut rng),
    }
}
