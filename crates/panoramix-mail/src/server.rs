//! The TCP host of the sans-I/O sessions: [`serve_smtp`] and [`serve_pop3`].
//!
//! Each connection gets its session; the bytes read go to the session on
//! tokio's blocking pool (logins run Argon2, the sink and the maildrop do
//! file or network work), and its replies are written back. A connection that
//! sends nothing for the idle timeout is told so and closed; connections
//! beyond the limit are refused. When the shutdown future completes, the
//! listener stops accepting, every open session is sent the protocol's
//! "shutting down" reply and closed (a POP3 session closed that way deletes
//! nothing), and the function returns once they are all gone.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::maildrop::Maildrop;
use crate::pop3::{Pop3Limits, Pop3Session};
use crate::smtp::{MailSink, SmtpLimits, SmtpSession};
use crate::users::Users;

const READ_CHUNK: usize = 16 * 1024;
/// How long open sessions get to finish after shutdown was asked.
const DRAIN: Duration = Duration::from_secs(5);

/// What the host needs from a session.
trait Session: Send + 'static {
    fn greeting(&self) -> Vec<u8>;
    fn feed(&mut self, input: &[u8]) -> Vec<u8>;
    fn is_closed(&self) -> bool;
    fn shutdown_reply(&self) -> &'static [u8];
    fn timeout_reply(&self) -> &'static [u8];
}

impl Session for SmtpSession {
    fn greeting(&self) -> Vec<u8> {
        SmtpSession::greeting(self)
    }
    fn feed(&mut self, input: &[u8]) -> Vec<u8> {
        SmtpSession::feed(self, input)
    }
    fn is_closed(&self) -> bool {
        SmtpSession::is_closed(self)
    }
    fn shutdown_reply(&self) -> &'static [u8] {
        SmtpSession::shutdown_reply()
    }
    fn timeout_reply(&self) -> &'static [u8] {
        SmtpSession::timeout_reply()
    }
}

impl Session for Pop3Session {
    fn greeting(&self) -> Vec<u8> {
        Pop3Session::greeting(self)
    }
    fn feed(&mut self, input: &[u8]) -> Vec<u8> {
        Pop3Session::feed(self, input)
    }
    fn is_closed(&self) -> bool {
        Pop3Session::is_closed(self)
    }
    fn shutdown_reply(&self) -> &'static [u8] {
        Pop3Session::shutdown_reply()
    }
    fn timeout_reply(&self) -> &'static [u8] {
        Pop3Session::timeout_reply()
    }
}

/// Serves SMTP submission on `listener` until `shutdown` completes: logins
/// against `users`, mail to `sink`. Returns after every session has ended.
pub async fn serve_smtp(
    listener: TcpListener,
    users: Arc<Users>,
    sink: Arc<dyn MailSink>,
    limits: SmtpLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let (idle, max) = (limits.idle_timeout, limits.max_connections);
    let busy = b"421 4.3.2 Too many connections, try again later\r\n";
    let new_session = move || SmtpSession::new(users.clone(), sink.clone(), limits.clone());
    serve(listener, new_session, idle, max, busy, shutdown).await
}

/// Serves POP3 on `listener` until `shutdown` completes: logins against
/// `users`, messages from `maildrop`. Returns after every session has ended.
pub async fn serve_pop3(
    listener: TcpListener,
    users: Arc<Users>,
    maildrop: Arc<Maildrop>,
    limits: Pop3Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let (idle, max) = (limits.idle_timeout, limits.max_connections);
    let busy = b"-ERR [SYS/TEMP] too many connections, try again later\r\n";
    let new_session = move || Pop3Session::new(users.clone(), maildrop.clone(), limits.clone());
    serve(listener, new_session, idle, max, busy, shutdown).await
}

async fn serve<S: Session>(
    listener: TcpListener,
    new_session: impl Fn() -> S,
    idle: Duration,
    max_connections: usize,
    busy: &'static [u8],
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            accepted = listener.accept() => {
                let (mut stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // e.g. out of file descriptors: back off, keep serving
                        tracing::warn!("mail: accept: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                if tasks.len() >= max_connections {
                    tasks.spawn(async move {
                        let _ = stream.write_all(busy).await;
                    });
                    continue;
                }
                let session = new_session();
                let stop = stop_rx.clone();
                tasks.spawn(async move {
                    if let Err(e) = connection(stream, session, idle, stop).await {
                        tracing::debug!("mail: connection from {peer}: {e}");
                    }
                });
            }
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained =
        tokio::time::timeout(DRAIN, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tasks.shutdown().await;
    }
    Ok(())
}

async fn connection<S: Session>(
    mut stream: TcpStream,
    mut session: S,
    idle: Duration,
    mut stop: watch::Receiver<bool>,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.write_all(&session.greeting()).await?;
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let n = tokio::select! {
            read = tokio::time::timeout(idle, stream.read(&mut buf)) => match read {
                Ok(read) => read?,
                Err(_) => {
                    stream.write_all(session.timeout_reply()).await?;
                    break;
                }
            },
            _ = async { stop.wait_for(|s| *s).await.is_ok() } => {
                stream.write_all(session.shutdown_reply()).await?;
                break;
            }
        };
        if n == 0 {
            break;
        }
        let chunk = buf[..n].to_vec();
        let (s, out) = tokio::task::spawn_blocking(move || {
            let out = session.feed(&chunk);
            (session, out)
        })
        .await
        .map_err(io::Error::other)?;
        session = s;
        stream.write_all(&out).await?;
        if session.is_closed() {
            break;
        }
    }
    stream.shutdown().await
}
