//! `panoramix agent`: the local agent of the seed (§3.3.2). A small service on
//! 127.0.0.1 that takes a plaintext and a recipient, encrypts it for the mix-net
//! (a Sphinx packet or a ballot) and posts it to the open cycle, and hands back what
//! came out of a cycle.
//!
//! * `POST /send` `{"recipient": "...", "message": "..."}` → `{"cycle", "message_hash"}`
//! * `GET /received?cycle=N[&recipient=R]` → `{"cycle", "messages": [{"recipient", "message"}]}`
//!   (404 `not_ready` until the cycle's result is agreed)

use anyhow::Context;
use axum::Json as AxJson;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use panoramix_client::Client;
use panoramix_core::Keypair;
use panoramix_core::model::EndpointStatus;
use panoramix_mixnet::sender::Sender;
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
}

type Reply = (StatusCode, AxJson<Json>);

fn err(status: StatusCode, code: &str, message: String) -> Reply {
    (
        status,
        AxJson(json!({"error": {"code": code, "message": message}})),
    )
}

/// The lowest cycle whose entry endpoint is open, if any.
fn open_cycle(s: &Sender) -> Option<u64> {
    let mut c = 1;
    loop {
        match s.client().endpoint(&s.spec().entry(c)) {
            Ok(ep) if ep.status == EndpointStatus::Open => return Some(c),
            Ok(_) => c += 1,
            Err(_) => return None,
        }
    }
}

async fn send(State(s): State<Arc<Sender>>, body: Option<AxJson<Json>>) -> Reply {
    let Some(AxJson(body)) = body else {
        return err(
            StatusCode::BAD_REQUEST,
            "malformed",
            "the body must be JSON {recipient, message}".into(),
        );
    };
    let (Some(recipient), Some(message)) = (body["recipient"].as_str(), body["message"].as_str())
    else {
        return err(
            StatusCode::BAD_REQUEST,
            "invalid",
            "`recipient` and `message` must be strings".into(),
        );
    };
    let (recipient, message) = (recipient.to_owned(), message.to_owned());
    let r = tokio::task::spawn_blocking(move || {
        let Some(cycle) = open_cycle(&s) else {
            return err(
                StatusCode::SERVICE_UNAVAILABLE,
                "no_open_cycle",
                "no cycle of the mix-net is accepting messages now".into(),
            );
        };
        match s.send(cycle, &recipient, message.as_bytes()) {
            Ok(m) => (
                StatusCode::CREATED,
                AxJson(json!({"cycle": cycle, "message_hash": m.message_hash})),
            ),
            Err(e) => err(StatusCode::BAD_GATEWAY, "send_failed", e.to_string()),
        }
    })
    .await;
    r.unwrap_or_else(|e| err(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))
}

async fn received(State(s): State<Arc<Sender>>, Query(q): Query<HashMap<String, String>>) -> Reply {
    let Some(cycle) = q.get("cycle").and_then(|c| c.parse::<u64>().ok()) else {
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
        Err(e) => err(StatusCode::BAD_GATEWAY, "controller", e.to_string()),
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
