//! # panoramix-worker
//!
//! The PANORAMIX controller on Cloudflare Workers. A thin adapter: the fetch handler
//! routes every `/panoramix` request to the controller's Durable Object, which runs
//! the same handlers as the native server (`panoramix-controller`) on its SQLite
//! storage. No logic lives here; see `docs/deploy.md`.
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod config;
mod host;
mod object;
mod store;
#[cfg(feature = "test-hooks")]
mod test_hooks;

pub use object::ControllerObject;

use panoramix_controller::ApiError;
use worker::{Context, Env, Method, Request, Response, ResponseBuilder, Result, event};

/// The Durable Object namespace binding (wrangler.toml).
pub const DO_BINDING: &str = "CONTROLLER";
/// The name of the one object that holds the controller's database.
pub const DO_NAME: &str = "controller";

fn json_builder(status: u16) -> Result<ResponseBuilder> {
    typed_builder(status, "application/json")
}

/// A response builder with this status and media type and the headers every
/// API answer has.
fn typed_builder(status: u16, media_type: &str) -> Result<ResponseBuilder> {
    ResponseBuilder::new()
        .with_status(status)
        .with_header("content-type", media_type)?
        .with_header("access-control-allow-origin", "*")
}

/// A JSON response with the headers the native server sends.
pub(crate) fn json_response(status: u16, body: &serde_json::Value) -> Result<Response> {
    Ok(json_builder(status)?.fixed(body.to_string().into_bytes()))
}

/// A 429 with the seconds to wait in `Retry-After`.
pub(crate) fn rate_limited_response(e: &ApiError, retry_after: u32) -> Result<Response> {
    Ok(json_builder(e.status())?
        .with_header("retry-after", &retry_after.to_string())?
        .fixed(e.body().to_string().into_bytes()))
}

fn error_response(e: &ApiError) -> Result<Response> {
    json_response(e.status(), &e.body())
}

async fn route(req: Request, env: &Env) -> Result<Response> {
    if req.method() == Method::Options {
        return Ok(ResponseBuilder::new()
            .with_status(204)
            .with_header("access-control-allow-origin", "*")?
            .with_header("access-control-allow-methods", "GET, POST, PATCH, OPTIONS")?
            .with_header("access-control-allow-headers", "content-type")?
            .empty());
    }
    let path = req.path();
    if !path.starts_with("/panoramix") && path != "/healthz" {
        return error_response(&ApiError::NotFound(format!("no such path: {path}")));
    }
    if let Some(e) = early_refusal(&req) {
        return error_response(&e);
    }
    let stub = env.durable_object(DO_BINDING)?.get_by_name(DO_NAME)?;
    stub.fetch_with_request(req).await
}

/// A `POST` or `PATCH` that is not JSON is refused (415) here, before its body is
/// streamed to the Durable Object (an object answering before it reads a body it
/// was handed makes workerd restart it).
fn early_refusal(req: &Request) -> Option<ApiError> {
    let method = req.method().to_string();
    if !panoramix_controller::media::needs_json(&method) {
        return None;
    }
    let ct = req.headers().get("content-type").ok().flatten();
    let is_box = req
        .url()
        .is_ok_and(|u| panoramix_core::boxes::is_box_path(u.path()));
    if ct
        .as_deref()
        .is_some_and(|c| panoramix_controller::media::is_accepted(c.as_bytes(), is_box))
    {
        return None;
    }
    let shown = ct.map_or_else(|| "none".to_owned(), |c| c.chars().take(100).collect());
    Some(ApiError::UnsupportedMediaType(shown))
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    match route(req, &env).await {
        Ok(r) => Ok(r),
        Err(e) => {
            worker::console_error!("panoramix: internal error: {e}");
            error_response(&ApiError::Internal(String::new().into()))
        }
    }
}
