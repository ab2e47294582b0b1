//! `panoramix agent`: the local agent of the seed (§3.3.2). A small service on
//! 127.0.0.1 that takes a plaintext and a recipient, encrypts it for the mix-net
//! (a Sphinx packet or a ballot) and posts it to the open cycle, and hands back what
//! came out of a cycle. The API, its fields, limits and error codes are in
//! docs/agent-api.md:
//!
//! * `POST /send` `{"recipient": "...", "message": "..."}` → 201 `{"cycle", "message_hash"}`
//! * `GET /received?cycle=N[&recipient=R]` → `{"cycle", "messages": [{"recipient", "message"}]}`
//!   (404 `not_ready` until the cycle's result is agreed)
//!
//! Errors are `{"error": {"code", "message"}}`: 4xx for the caller's mistakes
//! (`malformed`, `invalid`, `invalid_recipient`, 413 `message_too_long`, 422
//! `not_an_answer`, 403 `needs_credential`), 502 `controller_unreachable` when the
//! controller cannot be reached, 502 `controller_error` when it answered with an
//! error or nonsense, 502 `mixnet_error` when the mix-net's published keys or
//! parameters are unusable, 503 `no_open_cycle` and 503 `inbox_full` when the
//! controller is fine but cannot take the message now.

use anyhow::Context;
use axum::Json as AxJson;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use panoramix_client::{Client, ClientError};
use panoramix_core::Keypair;
use panoramix_core::model::EndpointStatus;
use panoramix_mixnet::sender::{SendError, Sender};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The controller's URL.
    #[arg(long, env = "PANORAMIX_URL", default_value = "http://127.0.0.1:8000/")]
    url: String,
    /// The mix-net (its joint peer id).
    #[arg(long, env = "PANORAMIX_MIXNET")]
    mixnet: String,
    /// Where to listen (loopback only by default).
    #[arg(long, default_value = "127.0.0.1:5000")]
    listen: SocketAddr,
    #[command(flatten)]
    mail: super::agent_mail::MailArgs,
}

type Reply = (StatusCode, AxJson<Json>);

/// The longest recipient the agent takes (a Sphinx destination's limit).
const MAX_RECIPIENT_LEN: usize = 255;

fn err(status: StatusCode, code: &str, message: String) -> Reply {
    (
        status,
        AxJson(json!({"error": {"code": code, "message": message}})),
    )
}

/// The agent's answer to a controller error: unreachable, busy, or answering
/// with an error (never the caller's fault).
fn client_error(e: &ClientError) -> Reply {
    match e {
        ClientError::Transport(t) => err(
            StatusCode::BAD_GATEWAY,
            "controller_unreachable",
            format!("cannot reach the controller: {t}"),
        ),
        ClientError::Api { code, message, .. } if code == "inbox_full" => err(
            StatusCode::SERVICE_UNAVAILABLE,
            "inbox_full",
            format!("the cycle's inbox is full, try the next cycle: {message}"),
        ),
        e => err(
            StatusCode::BAD_GATEWAY,
            "controller_error",
            format!("the controller: {e}"),
        ),
    }
}

/// The agent's answer to a failed send or read.
fn send_error(e: &SendError) -> Reply {
    match e {
        SendError::Client(c) => client_error(c),
        SendError::Refused { code, message } => {
            let status = match *code {
                "message_too_long" => StatusCode::PAYLOAD_TOO_LARGE,
                "needs_credential" => StatusCode::FORBIDDEN,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            err(status, code, message.clone())
        }
        SendError::Crypto(m) => err(
            StatusCode::BAD_GATEWAY,
            "mixnet_error",
            format!("the mix-net cannot be used: {m}"),
        ),
    }
}

/// The lowest cycle whose entry endpoint is open: `None` when no cycle is open,
/// an error when the controller could not say.
fn open_cycle(s: &Sender) -> Result<Option<u64>, ClientError> {
    let mut c = 1;
    loop {
        match s.client().endpoint(&s.spec().entry(c)) {
            Ok(ep) if ep.status == EndpointStatus::Open => return Ok(Some(c)),
            Ok(_) => c += 1,
            Err(e) if e.status() == Some(404) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}

/// The caller's mistakes in a recipient: none, or the reply saying which.
fn check_recipient(recipient: &str) -> Option<Reply> {
    let bad = if recipient.is_empty() {
        "`recipient` is empty".to_owned()
    } else if recipient.len() > MAX_RECIPIENT_LEN {
        format!(
            "`recipient` has {} bytes, at most {MAX_RECIPIENT_LEN}",
            recipient.len()
        )
    } else if recipient.chars().any(char::is_control) {
        "`recipient` holds control characters".to_owned()
    } else {
        return None;
    };
    Some(err(StatusCode::BAD_REQUEST, "invalid_recipient", bad))
}

/// Encrypt and post, in the order that reports the caller's mistakes first: a
/// Sphinx packet does not depend on the cycle and a ballot's length is known, so a
/// message too long is refused before the controller is asked for an open cycle.
fn send_blocking(s: &Sender, recipient: &str, message: &[u8]) -> Reply {
    let zeus = s.spec().backend == "ZEUS";
    let packet = if zeus {
        if message.len() > panoramix_zeus::MAX_PLAINTEXT_LEN {
            return err(
                StatusCode::PAYLOAD_TOO_LARGE,
                "message_too_long",
                format!(
                    "ballot: {} bytes, at most {}",
                    message.len(),
                    panoramix_zeus::MAX_PLAINTEXT_LEN
                ),
            );
        }
        None
    } else {
        // SPHINXMIX: the cycle is not part of the packet
        match s.encrypt(0, recipient, message) {
            Ok(p) => Some(p),
            Err(e) => return send_error(&e),
        }
    };
    let cycle = match open_cycle(s) {
        Ok(Some(c)) => c,
        Ok(None) => {
            return err(
                StatusCode::SERVICE_UNAVAILABLE,
                "no_open_cycle",
                "the controller answers, but no cycle of the mix-net is accepting messages now"
                    .into(),
            );
        }
        Err(e) => return client_error(&e),
    };
    let sent = match packet {
        Some((to, text)) => s.post(cycle, &to, &text),
        None => s.send(cycle, recipient, message),
    };
    match sent {
        Ok(m) => (
            StatusCode::CREATED,
            AxJson(json!({"cycle": cycle, "message_hash": m.message_hash})),
        ),
        Err(e) => send_error(&e),
    }
}

async fn send(
    State(s): State<Arc<Sender>>,
    body: Result<AxJson<Json>, axum::extract::rejection::JsonRejection>,
) -> Reply {
    let body = match body {
        Ok(AxJson(body)) => body,
        Err(e) => {
            return err(
                StatusCode::BAD_REQUEST,
                "malformed",
                format!(
                    "the body must be JSON {{recipient, message}}: {}",
                    e.body_text()
                ),
            );
        }
    };
    let (Some(recipient), Some(message)) = (body["recipient"].as_str(), body["message"].as_str())
    else {
        return err(
            StatusCode::BAD_REQUEST,
            "invalid",
            "`recipient` and `message` must be strings".into(),
        );
    };
    if let Some(bad) = check_recipient(recipient) {
        return bad;
    }
    let (recipient, message) = (recipient.to_owned(), message.to_owned());
    let r = tokio::task::spawn_blocking(move || send_blocking(&s, &recipient, message.as_bytes()))
        .await;
    r.unwrap_or_else(|e| err(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))
}

async fn received(State(s): State<Arc<Sender>>, Query(q): Query<HashMap<String, String>>) -> Reply {
    let Some(cycle) = q
        .get("cycle")
        .and_then(|c| c.parse::<u64>().ok())
        .filter(|c| *c > 0)
    else {
        return err(
            StatusCode::BAD_REQUEST,
            "invalid",
            "`cycle` must be a positive integer".into(),
        );
    };
    let who = q.get("recipient").cloned();
    let r = tokio::task::spawn_blocking(move || match s.results(cycle) {
        Ok(Some(out)) => {
            let msgs: Vec<Json> = out
                .into_iter()
                .filter(|(r, _)| who.as_ref().is_none_or(|w| w == r))
                .map(|(r, m)| json!({"recipient": r, "message": String::from_utf8_lossy(&m)}))
                .collect();
            (
                StatusCode::OK,
                AxJson(json!({"cycle": cycle, "messages": msgs})),
            )
        }
        Ok(None) => err(
            StatusCode::NOT_FOUND,
            "not_ready",
            format!("cycle {cycle} has no agreed output yet"),
        ),
        Err(e) => send_error(&e),
    })
    .await;
    r.unwrap_or_else(|e| err(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let client = Client::connect(&a.url, Keypair::generate(&mut rand_core::OsRng))
        .with_context(|| format!("cannot reach the controller at {}", a.url))?;
    // a reconfiguration replaces the mix-net: send to the newest successor
    let mixnet = panoramix_mixnet::setup::current(&client, &a.mixnet)
        .with_context(|| format!("the successors of mix-net {}", a.mixnet))?;
    if mixnet != a.mixnet {
        errln!(
            "mix-net {} was reconfigured: sending to its successor {mixnet}",
            a.mixnet
        );
    }
    let sender =
        Arc::new(Sender::new(client, &mixnet).with_context(|| format!("mix-net {mixnet}"))?);
    let app = Router::new()
        .route("/send", post(send))
        .route("/received", get(received))
        .with_state(sender);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    super::agent_mail::start(&a.mail, &a.url, &mixnet, &rt)?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(a.listen).await?;
        outln!(
            "panoramix agent: listening on http://{}",
            listener.local_addr()?
        );
        let _ = std::io::stdout().flush();
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    })?;
    Ok(ExitCode::SUCCESS)
}
