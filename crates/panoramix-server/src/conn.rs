//! The accept loop: a cap on concurrent connections, optional TLS, HTTP/1.1 by
//! hyper, and per-connection timeouts that `axum::serve` does not have.
//!
//! Each connection has a watchdog. Between requests, a connection that has sent
//! nothing is idle and is closed after `idle_timeout` (also when a response stays
//! unread that long); from its first byte (or from its start, or the end of its
//! TLS handshake) a request head must be complete within `header_timeout`. The
//! body has `body_timeout` (enforced where it is read, see `read_body`). The TLS
//! handshake must end within `header_timeout`.

use crate::bounds::Bounds;
use axum::body::Body;
use axum::http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};

/// hyper's read and write buffer limit per connection: a request head must fit.
pub(crate) const MAX_BUF: usize = 64 * 1024;

/// How long a stopping server waits for its connections to finish.
const DRAIN: Duration = Duration::from_secs(10);

/// The client's socket address, set on every request as an extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

struct ClockState {
    in_flight: usize,
    since: Instant,
    /// A request head is being received (deadline `since + header_timeout`);
    /// otherwise, with nothing in flight, the connection is idle.
    head: bool,
}

/// What a connection is doing, for its watchdog.
struct Clock {
    state: Mutex<ClockState>,
    changed: Notify,
}

impl Clock {
    fn new() -> Self {
        Clock {
            state: Mutex::new(ClockState {
                in_flight: 0,
                since: Instant::now(),
                head: true,
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClockState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn on_read(&self) {
        let mut s = self.lock();
        if s.in_flight == 0 && !s.head {
            s.head = true;
            s.since = Instant::now();
            drop(s);
            self.changed.notify_one();
        }
    }

    fn start(self: &Arc<Self>) -> InFlight {
        {
            let mut s = self.lock();
            s.in_flight += 1;
            s.head = false;
        }
        self.changed.notify_one();
        InFlight(self.clone())
    }

    fn deadline(&self, b: &Bounds) -> Option<Instant> {
        let s = self.lock();
        if s.in_flight > 0 {
            None
        } else if s.head {
            Some(s.since + b.header_timeout)
        } else {
            Some(s.since + b.idle_timeout)
        }
    }
}

/// A request being handled; its end starts the idle time.
struct InFlight(Arc<Clock>);

impl Drop for InFlight {
    fn drop(&mut self) {
        {
            let mut s = self.0.lock();
            s.in_flight = s.in_flight.saturating_sub(1);
            if s.in_flight == 0 {
                s.head = false;
                s.since = Instant::now();
            }
        }
        self.0.changed.notify_one();
    }
}

/// Resolves when the connection has overstayed its header or idle timeout.
async fn watchdog(clock: &Clock, b: Bounds) {
    loop {
        let changed = clock.changed.notified();
        match clock.deadline(&b) {
            None => changed.await,
            Some(d) => {
                if Instant::now() >= d {
                    return;
                }
                tokio::select! {
                    () = tokio::time::sleep_until(d.into()) => {}
                    () = changed => {}
                }
            }
        }
    }
}

/// A stream that tells its clock when bytes arrive.
struct Watched<T> {
    inner: T,
    clock: Arc<Clock>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.clock.on_read();
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Serve `listener` until `shutdown` resolves, then let open connections finish
/// their requests (at most [`DRAIN`]).
pub(crate) async fn run<H, Fut>(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    bounds: Bounds,
    handler: H,
    shutdown: impl Future<Output = ()> + Send + 'static,
) where
    H: Fn(Request<Body>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    let max = bounds.max_connections.clamp(1, Semaphore::MAX_PERMITS >> 1);
    let conns = Arc::new(Semaphore::new(max));
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = conns.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // out of file descriptors and the like: back off, keep serving
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        tokio::spawn(connection(
            tcp,
            peer,
            tls.clone(),
            bounds,
            handler.clone(),
            stop_rx.clone(),
            permit,
        ));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    if tokio::time::timeout(DRAIN, conns.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {DRAIN:?}; stopping anyway");
    }
}

async fn connection<H, Fut>(
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
    bounds: Bounds,
    handler: H,
    stop: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) where
    H: Fn(Request<Body>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    match tls {
        None => drive(tcp, peer, bounds, handler, stop).await,
        Some(acceptor) => {
            match tokio::time::timeout(bounds.header_timeout, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => drive(s, peer, bounds, handler, stop).await,
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        }
    }
}

async fn drive<T, H, Fut>(
    io: T,
    peer: SocketAddr,
    bounds: Bounds,
    handler: H,
    mut stop: watch::Receiver<bool>,
) where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    H: Fn(Request<Body>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    let clock = Arc::new(Clock::new());
    let io = TokioIo::new(Watched {
        inner: io,
        clock: clock.clone(),
    });
    let c2 = clock.clone();
    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
        let guard = c2.start();
        let h = handler.clone();
        async move {
            let mut req = req.map(Body::new);
            req.extensions_mut().insert(PeerAddr(peer));
            let resp = h(req).await;
            drop(guard);
            Ok::<_, Infallible>(resp)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .max_buf_size(MAX_BUF)
        .keep_alive(true)
        .serve_connection(io, svc);
    tokio::pin!(conn);
    let stopping = tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
            return;
        }
        () = watchdog(&clock, bounds) => {
            tracing::debug!(%peer, "connection closed: header or idle timeout");
            return;
        }
        r = stop.wait_for(|s| *s) => r.is_ok(),
    };
    if stopping {
        conn.as_mut().graceful_shutdown();
        tokio::select! {
            _ = conn.as_mut() => {}
            () = watchdog(&clock, bounds) => {}
        }
    }
}
