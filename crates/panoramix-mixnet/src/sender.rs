//! The client side of a mix-net: encrypt for it (a Sphinx packet through every
//! owner's mix, or a ballot for the election key), post to the cycle's entry
//! endpoint, and read the cycle's result.
//! A post refused with 429 `rate_limited` is retried by the [`Client`] after its
//! backoff ([`panoramix_client::RetryPolicy`]); 429 `inbox_full` is returned at once.

use crate::backend::sphinx_params;
use crate::mixnet::MixnetSpec;
use panoramix_client::{Client, ClientError};
use serde_json::Value as Json;

/// Sender errors.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The controller said no.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// Encryption failed (message too long, bad keys).
    #[error("{0}")]
    Crypto(String),
}

/// A cycle's output: (recipient, plaintext) pairs.
pub type Output = Vec<(String, Vec<u8>)>;

/// A client of one mix-net.
pub struct Sender {
    client: Client,
    joint: String,
    spec: MixnetSpec,
    route: Option<(panoramix_sphinx::SphinxParams, panoramix_sphinx::Route)>,
}

impl Sender {
    /// Look the mix-net up.
    pub fn new(client: Client, joint: &str) -> Result<Sender, SendError> {
        let peer = client.peer(joint)?;
        let spec: MixnetSpec = serde_json::from_value(peer["crypto_params"].clone())
            .map_err(|e| SendError::Crypto(e.to_string()))?;
        let mut route = None;
        if spec.backend == "SPHINXMIX" {
            let mut keys = Vec::new();
            for o in peer["owners"].as_array().cloned().unwrap_or_default() {
                let p = client.peer(o["owner_key_id"].as_str().unwrap_or_default())?;
                keys.push(
                    panoramix_sphinx::MixPublicKey::from_hex(
                        p["crypto_params"]["mix_key"].as_str().unwrap_or_default(),
                    )
                    .map_err(|e| SendError::Crypto(e.to_string()))?,
                );
            }
            let params =
                sphinx_params(&spec.params).map_err(|e| SendError::Crypto(e.to_string()))?;
            let mut r = panoramix_sphinx::select_route(&params, &keys)
                .map_err(|e| SendError::Crypto(e.to_string()))?;
            r.prepare();
            route = Some((params, r));
        }
        Ok(Sender {
            client,
            joint: joint.to_owned(),
            spec,
            route,
        })
    }

    /// The mix-net's description.
    pub fn spec(&self) -> &MixnetSpec {
        &self.spec
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The text and recipient to post for `message` to `recipient` in `cycle`.
    pub fn encrypt(
        &self,
        cycle: u64,
        recipient: &str,
        message: &[u8],
    ) -> Result<(String, String), SendError> {
        let mut rng = rand_core::OsRng;
        match &self.route {
            Some((params, route)) => {
                let m = panoramix_sphinx::wrap_message(params, route, recipient, message, &mut rng)
                    .map_err(|e| SendError::Crypto(e.to_string()))?;
                Ok((m.recipient, m.text))
            }
            None => {
                let key: panoramix_zeus::Point = serde_json::from_value(Json::String(
                    self.spec.election_public_key.clone().unwrap_or_default(),
                ))
                .map_err(|e| SendError::Crypto(e.to_string()))?;
                let b = panoramix_zeus::encrypt_ballot(
                    &format!("{}/{cycle}", self.joint),
                    &key,
                    message,
                    &mut rng,
                )
                .map_err(|e| SendError::Crypto(e.to_string()))?;
                Ok((self.joint.clone(), b.to_text()))
            }
        }
    }

    /// Encrypt and post to the entry endpoint of `cycle`.
    pub fn send(&self, cycle: u64, recipient: &str, message: &[u8]) -> Result<Json, SendError> {
        let (to, text) = self.encrypt(cycle, recipient, message)?;
        Ok(self.client.post_message(
            &self.spec.entry(cycle),
            "INBOX",
            &self.client.id(),
            &to,
            &text,
            None,
        )?)
    }

    /// Whether the entry endpoint of `cycle` accepts messages.
    pub fn is_open(&self, cycle: u64) -> bool {
        self.client
            .endpoint(&self.spec.entry(cycle))
            .map(|e| e["status"] == "OPEN")
            .unwrap_or(false)
    }

    /// The cycle's output, once agreed: (recipient, plaintext) pairs in OUTBOX order.
    pub fn results(&self, cycle: u64) -> Result<Option<Output>, SendError> {
        let id = self.spec.result(cycle);
        match self.client.endpoint(&id) {
            Ok(ep) if ep["status"] == "PROCESSED" => {}
            Ok(_) => return Ok(None),
            Err(e) if e.status() == Some(404) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        let out = self.client.messages(&id, "OUTBOX")?;
        Ok(Some(
            out.iter()
                .map(|m| {
                    let text = m["text"].as_str().unwrap_or_default();
                    let bytes = if self.spec.backend == "ZEUS" {
                        hex::decode(text).unwrap_or_else(|_| text.as_bytes().to_vec())
                    } else {
                        text.as_bytes().to_vec()
                    };
                    (
                        m["recipient"].as_str().unwrap_or_default().to_owned(),
                        bytes,
                    )
                })
                .collect(),
        ))
    }
}
