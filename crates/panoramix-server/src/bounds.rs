//! What one server may hold at once, whatever its clients do: connections,
//! running handlers, request bodies being read and responses being sent, and how
//! long a connection may take to send a request or stay idle.
//!
//! With the defaults the memory these can pin is roughly
//! `max_connections` × 200 KiB (socket, HTTP and TLS buffers) + `max_handlers` ×
//! about 4 × `page_max_bytes` (a page being built and serialized) +
//! `body_budget` + `response_budget`: about 100 + 64 + 32 + 32 MiB. See
//! `docs/api.md` (Limits).

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The unit of the byte budgets' semaphores.
const UNIT: usize = 1024;

/// Chunks a response is handed to hyper in (hyper buffers at most
/// [`crate::conn::MAX_BUF`] of them per connection).
const CHUNK: usize = 16 * 1024;

/// Connection and concurrency bounds of the native server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Time a client has to send a whole request head, from the first byte (or
    /// from the connection's start, or its TLS handshake).
    pub header_timeout: Duration,
    /// Time a client has to send a request body, once its head is read.
    pub body_timeout: Duration,
    /// Time a keep-alive connection may stay idle between requests (and a
    /// response may stay unread) before it is closed.
    pub idle_timeout: Duration,
    /// Connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// API handlers running at once; further requests wait.
    pub max_handlers: usize,
    /// Bytes of request bodies held at once (raised to `max_body` if lower).
    pub body_budget: usize,
    /// Bytes of responses waiting to be sent at once.
    pub response_budget: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 512,
            max_handlers: 16,
            body_budget: 32 << 20,
            response_budget: 32 << 20,
        }
    }
}

/// The semaphores behind [`Bounds`].
pub(crate) struct Gates {
    pub handlers: Arc<Semaphore>,
    bodies: Arc<Semaphore>,
    body_units: u32,
    responses: Arc<Semaphore>,
    response_units: u32,
}

fn units(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(UNIT)).unwrap_or(u32::MAX)
}

impl Gates {
    pub fn new(b: &Bounds, max_body: usize) -> Self {
        let body_units = units(b.body_budget.max(max_body)).max(1);
        let response_units = units(b.response_budget).max(1);
        Gates {
            handlers: Arc::new(Semaphore::new(b.max_handlers.max(1))),
            bodies: Arc::new(Semaphore::new(body_units as usize)),
            body_units,
            responses: Arc::new(Semaphore::new(response_units as usize)),
            response_units,
        }
    }

    /// Reserve room for `bytes` more bytes of request body.
    pub async fn body(&self, bytes: usize) -> OwnedSemaphorePermit {
        let n = units(bytes).clamp(1, self.body_units);
        match self.bodies.clone().acquire_many_owned(n).await {
            Ok(p) => p,
            // never closed
            Err(_) => unreachable_permit(),
        }
    }

    /// Reserve room for a response of `bytes` bytes.
    pub async fn response(&self, bytes: usize) -> OwnedSemaphorePermit {
        let n = units(bytes).clamp(1, self.response_units);
        match self.responses.clone().acquire_many_owned(n).await {
            Ok(p) => p,
            Err(_) => unreachable_permit(),
        }
    }
}

/// The semaphores are never closed; should one be, an empty permit of a fresh
/// semaphore keeps the request going rather than panicking.
fn unreachable_permit() -> OwnedSemaphorePermit {
    let s = Arc::new(Semaphore::new(1));
    match s.try_acquire_owned() {
        Ok(p) => p,
        Err(_) => unreachable!("a fresh semaphore has a permit"),
    }
}

/// A response body that holds its share of the response budget until its last
/// chunk is handed to hyper. Each chunk is a copy, so that the whole response is
/// freed when the body is done (a slice would keep the buffer alive until the
/// last slice is written).
pub(crate) struct Budgeted {
    data: Bytes,
    permit: Option<OwnedSemaphorePermit>,
}

impl Budgeted {
    pub fn new(data: Vec<u8>, permit: OwnedSemaphorePermit) -> Self {
        Budgeted {
            data: Bytes::from(data),
            permit: Some(permit),
        }
    }
}

impl HttpBody for Budgeted {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.data.is_empty() {
            this.permit = None;
            return Poll::Ready(None);
        }
        let n = this.data.len().min(CHUNK);
        let chunk = Bytes::copy_from_slice(&this.data[..n]);
        if n == this.data.len() {
            // the whole response is freed now, with its share of the budget
            this.data = Bytes::new();
            this.permit = None;
        } else {
            this.data = this.data.slice(n..);
        }
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.len() as u64)
    }
}
