//! The demo's controller on the embedded default (SQLite in the output
//! directory), on a loopback port: served by a thread of the demo's process, or
//! (`--controller-process`) by `panoramix serve` as a process of its own, so that
//! its memory is measured apart from the contributors' and clients'.

use anyhow::Context;
use panoramix_controller::{Config, Controller};
use panoramix_core::Keypair;
use panoramix_server::{NativeHost, open_state, serve};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The limits the demo's controller runs with, either way: 64 MiB bodies (a
/// 10,000-packet box comes down in one answer), endpoints of up to a million
/// messages, pages of 5,000.
const MAX_BODY: usize = 64 << 20;
const MAX_INBOX: i64 = 1_000_000;
const PAGE_MAX: i64 = 5000;

pub(super) struct LocalController {
    pub(super) url: String,
    how: How,
}

enum How {
    Thread {
        stop: tokio::sync::oneshot::Sender<()>,
        thread: std::thread::JoinHandle<anyhow::Result<()>>,
    },
    Process(Child),
}

impl LocalController {
    /// Serve from a thread of this process.
    pub(super) fn start(out: &std::path::Path) -> anyhow::Result<LocalController> {
        let key = Keypair::generate(&mut rand_core::OsRng);
        let config = Config {
            max_body: MAX_BODY,
            max_inbox: MAX_INBOX,
            page_max: PAGE_MAX,
            ..Config::default()
        };
        let state = open_state(
            Controller::new(key, config, NativeHost),
            &out.join("controller.sqlite3"),
            false,
            None,
        )?;
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = std::thread::spawn(move || -> anyhow::Result<()> {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            rt.block_on(serve(
                state,
                ([127, 0, 0, 1], 0).into(),
                move |addr| {
                    let _ = tx.send(addr);
                },
                async {
                    let _ = stop_rx.await;
                },
            ))?;
            Ok(())
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .context("the controller did not start")?;
        Ok(LocalController {
            url: format!("http://{addr}"),
            how: How::Thread {
                stop: stop_tx,
                thread: server,
            },
        })
    }

    /// Run `panoramix serve` (this executable) as a child process. Its key is a
    /// fresh one, handed over in `PANORAMIX_KEY` (nothing of it on disk).
    pub(super) fn spawn(out: &std::path::Path) -> anyhow::Result<LocalController> {
        let exe = std::env::current_exe().context("finding this executable")?;
        let key = Keypair::generate(&mut rand_core::OsRng);
        let mut child = Command::new(exe)
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(out.join("controller.sqlite3"))
            .args(["--max-body", &MAX_BODY.to_string()])
            .args(["--max-inbox", &MAX_INBOX.to_string()])
            .args(["--page-max", &PAGE_MAX.to_string()])
            .env("PANORAMIX_KEY", key.secret_hex().as_str())
            .env("PANORAMIX_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting panoramix serve")?;
        let stdout = child.stdout.take().context("the server's stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(u) = line.strip_prefix("panoramix: listening on ") {
                    let _ = tx.send(u.to_owned());
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(u) => u,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                anyhow::bail!("the controller process did not start");
            }
        };
        Ok(LocalController {
            url,
            how: How::Process(child),
        })
    }

    /// The controller process's peak resident memory so far (`VmHWM`), in
    /// bytes; `None` when it runs in this process (or `/proc` does not say).
    pub(super) fn peak_rss(&self) -> Option<u64> {
        let How::Process(child) = &self.how else {
            return None;
        };
        super::summary::peak_rss_of(&format!("/proc/{}/status", child.id()))
    }

    /// Stop serving and wait for the server.
    pub(super) fn stop(self) -> anyhow::Result<()> {
        match self.how {
            How::Thread { stop, thread } => {
                let _ = stop.send(());
                thread
                    .join()
                    .map_err(|_| anyhow::anyhow!("the controller thread panicked"))?
            }
            How::Process(mut child) => {
                // SIGTERM: serve drains and closes the database
                let _ = Command::new("kill")
                    .arg("-TERM")
                    .arg(child.id().to_string())
                    .status();
                for _ in 0..200 {
                    if child.try_wait()?.is_some() {
                        return Ok(());
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                child.kill()?;
                child.wait()?;
                anyhow::bail!("the controller process did not stop within 10 s")
            }
        }
    }
}
