//! `panoramix serve`: the controller on embedded SQLite.

use super::keygen::load_or_create;
use super::server_wizard::ServerConfig;
use anyhow::Context;
use panoramix_controller::{Config, Controller};
use panoramix_server::{
    Bounds, MetricsMode, NativeHost, RateLimits, bind_metrics, open_state_bounded, serve,
    serve_tls, tls_server_config,
};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Configuration written by `panoramix server-wizard` (flags override it).
    #[arg(long, env = "PANORAMIX_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on (loopback by default; put TLS or a proxy in front otherwise).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// SQLite database file.
    #[arg(long, env = "PANORAMIX_DATABASE")]
    db: Option<PathBuf>,
    /// The controller's secret key file (default `<db>.controller-key`). Created if
    /// missing, mode 0600, encrypted under `PANORAMIX_PASSPHRASE`; without a
    /// passphrase (or the key itself in `PANORAMIX_KEY`) serve refuses to start,
    /// unless `--insecure-plaintext-keys`.
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// Serve static files (the web demo) from this directory under `/`.
    #[arg(long)]
    static_dir: Option<PathBuf>,
    /// Key id of a role authority (repeatable).
    #[arg(long = "authority")]
    authorities: Vec<String>,
    /// fsync every commit (survives power loss, not just a crash of the process).
    #[arg(long)]
    sync_full: bool,
    /// Largest request body in bytes.
    #[arg(long)]
    max_body: Option<usize>,
    /// Accepted clock skew of requests, seconds.
    #[arg(long)]
    max_skew: Option<i64>,
    /// Largest message text in bytes.
    #[arg(long)]
    max_message: Option<usize>,
    /// Largest `size_max` of an endpoint (and its default).
    #[arg(long)]
    max_inbox: Option<i64>,
    /// Largest page size of listings.
    #[arg(long)]
    page_max: Option<i64>,
    /// Signed requests per second from one key (0: no limit).
    #[arg(long)]
    rate_per_key: Option<f64>,
    /// Burst of signed requests from one key.
    #[arg(long)]
    rate_burst_per_key: Option<f64>,
    /// Signed requests per second to one endpoint (0: no limit).
    #[arg(long)]
    rate_per_endpoint: Option<f64>,
    /// Burst of signed requests to one endpoint.
    #[arg(long)]
    rate_burst_per_endpoint: Option<f64>,
    /// Unsigned reads per second from one client address (0: no limit; default 1000).
    #[arg(long)]
    rate_reads_per_address: Option<f64>,
    /// Burst of reads from one client address (default 4000).
    #[arg(long)]
    rate_burst_reads_per_address: Option<f64>,
    /// Signed requests per second from one client address (0: no limit; default 10000).
    #[arg(long)]
    rate_writes_per_address: Option<f64>,
    /// Burst of signed requests from one client address (default 20000).
    #[arg(long)]
    rate_burst_writes_per_address: Option<f64>,
    /// Byte budget of one listing page (default 1048576): a page ends at `limit`
    /// items or at this many bytes of items, whichever comes first.
    #[arg(long)]
    page_max_bytes: Option<usize>,
    /// Seconds a client has to send a request head (default 10).
    #[arg(long)]
    header_timeout: Option<f64>,
    /// Seconds a client has to send a request body (default 30).
    #[arg(long)]
    body_timeout: Option<f64>,
    /// Seconds a keep-alive connection may stay idle, or leave a response unread (default 60).
    #[arg(long)]
    idle_timeout: Option<f64>,
    /// Connections served at once (default 512).
    #[arg(long)]
    max_connections: Option<usize>,
    /// API handlers running at once (default 16).
    #[arg(long)]
    max_handlers: Option<usize>,
    /// Bytes of request bodies held at once (default 33554432; at least --max-body).
    #[arg(long)]
    body_budget: Option<usize>,
    /// Bytes of responses waiting to be sent at once (default 33554432).
    #[arg(long)]
    response_budget: Option<usize>,
    /// Serve `GET /metrics` (and `/healthz`) on this address (plain HTTP) instead of
    /// on the API listener.
    #[arg(long, conflicts_with = "no_metrics")]
    metrics_listen: Option<SocketAddr>,
    /// Do not serve `GET /metrics` at all (`/healthz` stays).
    #[arg(long)]
    no_metrics: bool,
    /// Terminate TLS: the certificate chain (PEM). Needs --tls-key.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// Terminate TLS: the certificate's private key (PEM). Needs --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PANORAMIX_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(crate::out::log_colours())
        .init();
    let file_cfg = match &a.config {
        Some(p) => Some(ServerConfig::load(p)?),
        None => None,
    };
    let listen = a
        .listen
        .or_else(|| file_cfg.as_ref().and_then(|c| c.listen()))
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8000)));
    let db =
        a.db.or_else(|| file_cfg.as_ref().map(|c| c.db()))
            .unwrap_or_else(|| PathBuf::from("panoramix.sqlite3"));
    let key_file = a.key_file.unwrap_or_else(|| {
        let mut p = db.clone().into_os_string();
        p.push(".controller-key");
        PathBuf::from(p)
    });
    let key = load_or_create(&key_file)?;
    let mut config = Config::default();
    if let Some(fc) = &file_cfg {
        config.backends = vec![fc.backend()];
    }
    config.authorities = a.authorities;
    if let Some(m) = a.max_body {
        config.max_body = m;
    }
    if let Some(s) = a.max_skew {
        config.max_skew_secs = s;
    }
    if let Some(m) = a.max_message {
        config.max_message = m;
    }
    if let Some(m) = a.max_inbox {
        config.max_inbox = m;
    }
    if let Some(m) = a.page_max {
        config.page_max = m.max(1);
        config.page_default = config.page_default.min(config.page_max);
    }
    if let Some(b) = a.page_max_bytes {
        config.page_max_bytes = b.max(1);
    }
    let mut limits = RateLimits::default();
    for (flag, v) in [
        (&mut limits.per_key, a.rate_per_key),
        (&mut limits.key_burst, a.rate_burst_per_key),
        (&mut limits.per_endpoint, a.rate_per_endpoint),
        (&mut limits.endpoint_burst, a.rate_burst_per_endpoint),
        (&mut limits.read_per_addr, a.rate_reads_per_address),
        (
            &mut limits.read_burst_per_addr,
            a.rate_burst_reads_per_address,
        ),
        (&mut limits.write_per_addr, a.rate_writes_per_address),
        (
            &mut limits.write_burst_per_addr,
            a.rate_burst_writes_per_address,
        ),
    ] {
        if let Some(v) = v {
            anyhow::ensure!(v.is_finite() && v >= 0.0, "rates and bursts must be >= 0");
            *flag = v;
        }
    }
    let mut bounds = Bounds::default();
    for (slot, v, flag) in [
        (
            &mut bounds.header_timeout,
            a.header_timeout,
            "--header-timeout",
        ),
        (&mut bounds.body_timeout, a.body_timeout, "--body-timeout"),
        (&mut bounds.idle_timeout, a.idle_timeout, "--idle-timeout"),
    ] {
        if let Some(v) = v {
            anyhow::ensure!(
                v.is_finite() && v > 0.0 && v <= 86_400.0,
                "{flag} must be a number of seconds in (0, 86400]"
            );
            *slot = std::time::Duration::from_secs_f64(v);
        }
    }
    for (slot, v) in [
        (&mut bounds.max_connections, a.max_connections),
        (&mut bounds.max_handlers, a.max_handlers),
        (&mut bounds.body_budget, a.body_budget),
        (&mut bounds.response_budget, a.response_budget),
    ] {
        if let Some(v) = v {
            *slot = v.max(1);
        }
    }
    let controller = Controller::new(key, config, NativeHost);
    let id = controller.id();
    let metrics_mode = match (a.no_metrics, a.metrics_listen) {
        (true, _) => MetricsMode::Off,
        (false, Some(_)) => MetricsMode::Separate,
        (false, None) => MetricsMode::Main,
    };
    let state = open_state_bounded(
        controller,
        &db,
        a.sync_full,
        a.static_dir,
        limits,
        metrics_mode,
        bounds,
    )
    .with_context(|| format!("opening database {}", db.display()))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let tls = match (&a.tls_cert, &a.tls_key) {
        (Some(c), Some(k)) => Some(tls_server_config(c, k).context("loading the TLS certificate")?),
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let ready = move |addr: SocketAddr| {
        tracing::info!(controller_id = %id, db = %db.display(), "listening on {scheme}://{addr}");
        outln!("panoramix: listening on {scheme}://{addr}");
        outln!("panoramix: controller id {id}");
        let _ = std::io::stdout().flush();
    };
    rt.block_on(async move {
        if let Some(addr) = a.metrics_listen {
            let (bound, _task) = bind_metrics(state.clone(), addr).await?;
            tracing::info!("metrics on http://{bound}/metrics");
            outln!("panoramix: metrics on http://{bound}/metrics");
        }
        match tls {
            Some(tls) => serve_tls(state, listen, tls, ready, shutdown_signal()).await,
            None => serve(state, listen, ready, shutdown_signal()).await,
        }
    })?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
