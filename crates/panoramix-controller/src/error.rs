//! API errors: one enum, one exhaustive mapping to an HTTP status and a stable code.
//! The JSON body is `{"error": {"code": "...", "message": "..."}}`.

use crate::rows::RowError;
use crate::store::StoreError;
use panoramix_core::envelope::EnvelopeError;
use panoramix_core::negotiation::NegotiationError;
use std::fmt;
use std::sync::Arc;

/// A source error shared, so that the errors holding it stay `Clone`; two are
/// equal when they say the same. It reads as the error it holds (its `Display`
/// and its own source).
#[derive(Debug)]
pub struct SharedError<E: ?Sized>(Arc<E>);

/// Any error a host's store reports as the cause of a [`StoreError`].
pub type DynSource = SharedError<dyn std::error::Error + Send + Sync>;

impl<E> SharedError<E> {
    /// Share `e`.
    pub fn new(e: E) -> Self {
        SharedError(Arc::new(e))
    }
}

impl<E: ?Sized> SharedError<E> {
    /// The error.
    pub fn get(&self) -> &E {
        &self.0
    }
}

impl DynSource {
    /// Share any error as a store failure's cause.
    pub fn dynamic(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        SharedError(Arc::new(e))
    }
}

impl<E: ?Sized> Clone for SharedError<E> {
    fn clone(&self) -> Self {
        SharedError(Arc::clone(&self.0))
    }
}

impl<E: fmt::Display + ?Sized> PartialEq for SharedError<E> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.to_string() == other.0.to_string()
    }
}

impl<E: fmt::Display + ?Sized> Eq for SharedError<E> {}

impl<E: fmt::Display + ?Sized> fmt::Display for SharedError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: std::error::Error + ?Sized> std::error::Error for SharedError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Why a consensus does not authorize a request (403 `consensus_mismatch`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsensusRefusal {
    /// As the controller describes it (no such consensus, a controller that did
    /// not sign).
    #[error("{0}")]
    Described(String),
    /// The agreed text does not cover the request (another action, another part,
    /// not accepted, other signers).
    #[error(transparent)]
    Text(NegotiationError),
}

impl From<String> for ConsensusRefusal {
    fn from(s: String) -> Self {
        ConsensusRefusal::Described(s)
    }
}

/// What went wrong on the server's side of a 500. Logged by the host (its
/// `Display` says what and where), never returned to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InternalError {
    /// A failure of the host itself (a handler that panicked, a binding that
    /// failed), as the host describes it.
    #[error("{0}")]
    Host(String),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[source] StoreError),
    /// A stored row does not read as the schema says (the column is named).
    #[error("stored row: {0}")]
    Row(#[source] RowError),
    /// A response could not be encoded as JSON.
    #[error("encoding the response: {0}")]
    Encode(#[source] SharedError<serde_json::Error>),
}

impl From<String> for InternalError {
    fn from(s: String) -> Self {
        InternalError::Host(s)
    }
}

impl From<&str> for InternalError {
    fn from(s: &str) -> Self {
        InternalError::Host(s.to_owned())
    }
}

/// Everything a request can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400: the body is not JSON, or not of the expected shape.
    #[error("{0}")]
    Malformed(String),
    /// 400: a field has a wrong type or value.
    #[error("{0}")]
    Invalid(String),
    /// 401: the signature does not verify.
    #[error("the request signature does not verify")]
    BadSignature,
    /// 400: an object in the body names a key twice (one signed request, one meaning).
    #[error("{0}")]
    DuplicateKey(String),
    /// 400: a field the operation does not define (named in the message).
    #[error("{0}")]
    UnknownField(String),
    /// 401: the request is well signed but its contribution's signature does not
    /// verify for this negotiation and text under the sender's key.
    #[error("{0}")]
    BadContributionSignature(String),
    /// 403: the contribution is signed by another key than the request.
    #[error("{0}")]
    ContributionSignerMismatch(String),
    /// 401: the request names another controller.
    #[error("the request is addressed to another controller")]
    ForeignRequest,
    /// 401: `info.ts` is outside the accepted clock skew.
    #[error("the request timestamp is outside the accepted window of {0} seconds")]
    StaleRequest(i64),
    /// 403: the signer may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: the same nonce was seen before from this signer.
    #[error("this request was already received (replay)")]
    Replay,
    /// 409: the thing exists already.
    #[error("{0}")]
    Duplicate(String),
    /// 409: the consensus (or this part of it) was already used.
    #[error("this consensus has already been applied")]
    ConsensusUsed,
    /// 409: `on_last_consensus_id` is not the endpoint's newest consensus.
    #[error("on_last_consensus_id is not the endpoint's latest consensus")]
    WrongLastConsensus,
    /// 409: the negotiation is closed.
    #[error("the negotiation is closed")]
    NegotiationClosed,
    /// 403: the consensus does not cover this exact action.
    #[error("consensus does not authorize this request: {0}")]
    ConsensusMismatch(#[source] ConsensusRefusal),
    /// 413: the body or a field is too large.
    #[error("{0}")]
    TooLarge(String),
    /// 422: the target is in the wrong state for this action.
    #[error("{0}")]
    WrongState(String),
    /// 429: the inbox holds size_max messages already.
    #[error("the inbox is full (size_max reached); send to the next cycle")]
    InboxFull,
    /// 429: the signing key or the endpoint is over its request rate (native server).
    #[error("{0}")]
    RateLimited(String),
    /// 415: a `POST` or `PATCH` body that is not declared `application/json`.
    #[error("the request body must be application/json (content-type: {0:?})")]
    UnsupportedMediaType(String),
    /// 408: the request body did not arrive within the body-read timeout.
    #[error("the request body did not arrive within {0} seconds")]
    RequestTimeout(u64),
    /// 500: a server fault: the store failed, a stored row does not read as
    /// the schema says, or the host failed. The cause is logged, never returned.
    #[error("internal error")]
    Internal(#[source] InternalError),
}

impl ApiError {
    /// HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Malformed(_)
            | ApiError::Invalid(_)
            | ApiError::DuplicateKey(_)
            | ApiError::UnknownField(_) => 400,
            ApiError::BadSignature
            | ApiError::BadContributionSignature(_)
            | ApiError::ForeignRequest
            | ApiError::StaleRequest(_) => 401,
            ApiError::Forbidden(_)
            | ApiError::ConsensusMismatch(_)
            | ApiError::ContributionSignerMismatch(_) => 403,
            ApiError::NotFound(_) => 404,
            ApiError::MethodNotAllowed => 405,
            ApiError::Replay
            | ApiError::Duplicate(_)
            | ApiError::ConsensusUsed
            | ApiError::WrongLastConsensus
            | ApiError::NegotiationClosed => 409,
            ApiError::TooLarge(_) => 413,
            ApiError::UnsupportedMediaType(_) => 415,
            ApiError::RequestTimeout(_) => 408,
            ApiError::WrongState(_) => 422,
            ApiError::InboxFull | ApiError::RateLimited(_) => 429,
            ApiError::Internal(_) => 500,
        }
    }

    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Malformed(_) => "malformed",
            ApiError::Invalid(_) => "invalid",
            ApiError::BadSignature => "bad_signature",
            ApiError::DuplicateKey(_) => "duplicate_key",
            ApiError::UnknownField(_) => "unknown_field",
            ApiError::BadContributionSignature(_) => "bad_contribution_signature",
            ApiError::ContributionSignerMismatch(_) => "contribution_signer_mismatch",
            ApiError::ForeignRequest => "foreign_request",
            ApiError::StaleRequest(_) => "stale_request",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Replay => "replay",
            ApiError::Duplicate(_) => "duplicate",
            ApiError::ConsensusUsed => "consensus_used",
            ApiError::WrongLastConsensus => "wrong_last_consensus",
            ApiError::NegotiationClosed => "negotiation_closed",
            ApiError::ConsensusMismatch(_) => "consensus_mismatch",
            ApiError::TooLarge(_) => "too_large",
            ApiError::WrongState(_) => "wrong_state",
            ApiError::InboxFull => "inbox_full",
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::RequestTimeout(_) => "request_timeout",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The JSON error body. Internal details are never returned.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({"error": {"code": self.code(), "message": self.to_string()}})
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Internal(InternalError::Store(e))
    }
}

impl From<RowError> for ApiError {
    fn from(e: RowError) -> Self {
        ApiError::Internal(InternalError::Row(e))
    }
}

impl From<EnvelopeError> for ApiError {
    fn from(e: EnvelopeError) -> Self {
        match e {
            EnvelopeError::Malformed(m) => ApiError::Malformed(m),
            EnvelopeError::BadSignature => ApiError::BadSignature,
            EnvelopeError::DuplicateKey(m) => ApiError::DuplicateKey(m),
            EnvelopeError::UnknownField(f) => {
                ApiError::UnknownField(format!("unknown field `{f}` in the envelope"))
            }
        }
    }
}

impl From<NegotiationError> for ApiError {
    fn from(e: NegotiationError) -> Self {
        match e {
            NegotiationError::BadText(m) => ApiError::Invalid(m),
            other => ApiError::ConsensusMismatch(ConsensusRefusal::Text(other)),
        }
    }
}

/// Every variant, for the test that walks the status table and for the docs.
pub fn all_examples() -> Vec<ApiError> {
    vec![
        ApiError::Malformed(String::new()),
        ApiError::Invalid(String::new()),
        ApiError::BadSignature,
        ApiError::DuplicateKey(String::new()),
        ApiError::UnknownField(String::new()),
        ApiError::BadContributionSignature(String::new()),
        ApiError::ContributionSignerMismatch(String::new()),
        ApiError::ForeignRequest,
        ApiError::StaleRequest(0),
        ApiError::Forbidden(String::new()),
        ApiError::NotFound(String::new()),
        ApiError::MethodNotAllowed,
        ApiError::Replay,
        ApiError::Duplicate(String::new()),
        ApiError::ConsensusUsed,
        ApiError::WrongLastConsensus,
        ApiError::NegotiationClosed,
        ApiError::ConsensusMismatch(String::new().into()),
        ApiError::TooLarge(String::new()),
        ApiError::WrongState(String::new()),
        ApiError::InboxFull,
        ApiError::RateLimited(String::new()),
        ApiError::UnsupportedMediaType(String::new()),
        ApiError::RequestTimeout(0),
        ApiError::Internal(InternalError::Host(String::new())),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_distinct_code_and_a_client_or_server_status() {
        let all = all_examples();
        let mut codes: Vec<&str> = all.iter().map(ApiError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len(), "codes are unique");
        for e in &all {
            let s = e.status();
            assert!(
                (400..500).contains(&s) || matches!(e, ApiError::Internal(_)),
                "{e:?} -> {s}"
            );
            assert_eq!(e.body()["error"]["code"], e.code());
        }
        assert_eq!(
            ApiError::Internal("secret detail".into()).body()["error"]["message"],
            "internal error"
        );
        // a stored row that does not read: a 500 whose cause names the column,
        // kept as the error's source for the host's log, never in the body
        let e = ApiError::from(RowError::Missing { column: "status" });
        assert_eq!((e.status(), e.code()), (500, "internal"));
        assert!(!e.body().to_string().contains("status"));
        let cause = std::error::Error::source(&e).map(ToString::to_string);
        assert_eq!(
            cause.as_deref(),
            Some("stored row: column `status` is not in the row")
        );
    }

    #[test]
    fn a_store_failure_keeps_the_database_error_as_its_source() {
        use std::error::Error as _;
        let db = std::io::Error::other("disk I/O error");
        let e = ApiError::from(StoreError::new("writing failed").with_source(db));
        assert_eq!((e.status(), e.code()), (500, "internal"));
        let internal = e.source().expect("the internal error");
        assert_eq!(internal.to_string(), "store: writing failed");
        let store = internal.source().expect("the store error");
        let db = store.source().expect("the database's error");
        assert_eq!(db.to_string(), "disk I/O error");
        // clones compare equal, and an error without a cause has no source
        assert_eq!(e.clone(), e);
        assert!(StoreError::new("x").source().is_none());
    }

    #[test]
    fn a_refused_consensus_keeps_the_negotiation_error() {
        let e = ApiError::from(NegotiationError::NoSuchPart(3));
        assert!(matches!(
            &e,
            ApiError::ConsensusMismatch(ConsensusRefusal::Text(NegotiationError::NoSuchPart(3)))
        ));
        // the answer says what it said before
        assert_eq!(
            e.body()["error"]["message"],
            "consensus does not authorize this request: consensus part 3 does not exist in the agreed body"
        );
        assert_eq!((e.status(), e.code()), (403, "consensus_mismatch"));
        // a bad text is the client's: 400
        let e = ApiError::from(NegotiationError::BadText("x".into()));
        assert_eq!(e.code(), "invalid");
    }
}
