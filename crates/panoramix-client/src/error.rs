//! What can go wrong talking to a controller.

use std::path::PathBuf;

/// Client errors. Each keeps the error it comes from as its source.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The controller answered with an error.
    #[error("{status} {code}: {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// Stable error code.
        code: String,
        /// Human message.
        message: String,
    },
    /// The controller could not be reached (connection, TLS, timeout).
    #[error("cannot reach the controller")]
    Transport(#[source] Box<ureq::Error>),
    /// An answer's body could not be read as JSON.
    #[error("the answer to {path} is not JSON")]
    Body {
        /// The request's path.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An answer is JSON but not what the API promises (a missing field, a value
    /// of the wrong type, an unknown status).
    #[error("the answer to {path} does not parse")]
    Decode {
        /// The request's path.
        path: String,
        /// The field that does not parse, and why.
        #[source]
        source: serde_json::Error,
    },
    /// A box transfer's answer is not a well-formed box, or not the box asked for.
    #[error("the box transfer from {path}")]
    BoxTransfer {
        /// The request's path.
        path: String,
        /// Why.
        #[source]
        source: panoramix_core::boxes::BoxError,
    },
    /// A request could not be signed (its `data` or `info` has no canonical form).
    #[error("cannot sign the request")]
    Envelope(#[from] panoramix_core::envelope::EnvelopeError),
    /// A negotiation this client closed alone did not reach a consensus.
    #[error("negotiation {negotiation} did not close")]
    NotClosed {
        /// The negotiation.
        negotiation: String,
    },
    /// The CA certificates to trust could not be read.
    #[error("CA file {}", file.display())]
    CaFile {
        /// The file.
        file: PathBuf,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The CA file holds no certificate.
    #[error("CA file {} holds no certificate", file.display())]
    NoCertificate {
        /// The file.
        file: PathBuf,
    },
    /// The TLS configuration could not be built.
    #[error("TLS configuration")]
    Tls(#[source] rustls::Error),
}

impl ClientError {
    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The stable code of an API error.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}
