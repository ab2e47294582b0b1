//! Printing that survives a closed stdout or stderr.
//!
//! `println!` and `eprintln!` panic when the write fails, and Rust programs ignore
//! `SIGPIPE`, so `panoramix audit verify URL | head -1` used to end in
//! "failed printing to stdout: Broken pipe" once `head` had gone. Every line the
//! command prints goes through [`outln!`] and [`errln!`] instead:
//!
//! * a **broken pipe** (the reader went away) is not an error: the rest of that
//!   stream's output is dropped quietly, the command runs to its end and exits with
//!   its own code (0 ok, 3 a verification failed, ...), so that `set -o pipefail`
//!   still sees whether, say, the audit log verified;
//! * any **other** write error on stdout (a full disk, ...) is remembered, the
//!   output stops, and [`finish`] turns a successful exit into exit 2 with one
//!   message on stderr (output that was asked for and lost is a failure);
//! * stderr errors of any kind are dropped: there is nowhere left to report them.
//!
//! No `unsafe` (the workspace forbids it), so `SIGPIPE` keeps Rust's default
//! (ignored) and every write sees `EPIPE` as an `io::Error` instead.

use std::fmt;
use std::io::{ErrorKind, Write};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);
static STDOUT_ERROR: Mutex<Option<String>> = Mutex::new(None);

/// Write to stdout (the body of [`outln!`]).
pub fn stdout(args: fmt::Arguments<'_>) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut o = std::io::stdout().lock();
    let res = o.write_fmt(args).and_then(|()| o.flush());
    if let Err(e) = res {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != ErrorKind::BrokenPipe
            && let Ok(mut slot) = STDOUT_ERROR.lock()
        {
            slot.get_or_insert_with(|| e.to_string());
        }
    }
}

/// Write to stderr (the body of [`errln!`]); errors are dropped.
pub fn stderr(args: fmt::Arguments<'_>) {
    if STDERR_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut o = std::io::stderr().lock();
    if o.write_fmt(args).and_then(|()| o.flush()).is_err() {
        STDERR_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// The exit code, once the command has finished with `code`: a success whose
/// output could not be written (other than to a closed pipe) becomes exit 2.
pub fn finish(code: ExitCode) -> ExitCode {
    let lost = STDOUT_ERROR.lock().ok().and_then(|mut s| s.take());
    match lost {
        Some(e) if code == ExitCode::SUCCESS => {
            stderr(format_args!("panoramix: error: writing to stdout: {e}\n"));
            ExitCode::from(2)
        }
        _ => code,
    }
}

/// `println!` that survives a closed stdout (see the module documentation).
macro_rules! outln {
    () => {
        $crate::out::stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::out::stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` that survives a closed stderr (see the module documentation).
macro_rules! errln {
    () => {
        $crate::out::stderr(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::out::stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// How a failed command ends: its one-line message and its exit code.
///
/// The exit codes are the README's table: 4 when the controller could not be
/// reached (a connection, TLS or timeout failure anywhere in the error's chain),
/// 2 for every other failure (a usage error, a bad URL, a wrong passphrase, an
/// error the controller answered with). The message is the error's chain joined by
/// `: `, without a cause whose text the message already says
/// (`cannot reach the controller at URL: cannot reach the controller: ...` is said
/// once), and a URL without a scheme is named as such instead of ureq's
/// `RelativeUrlWithoutBase`.
pub struct Failure {
    /// The message, without the `panoramix: error: ` prefix.
    pub message: String,
    /// The exit code.
    pub code: u8,
}

/// Exit code: the controller could not be reached.
pub const EXIT_UNREACHABLE: u8 = 4;
/// Exit code: a usage error or a failure.
pub const EXIT_FAILURE: u8 = 2;

impl Failure {
    /// Classify `e` (see [`Failure`]).
    pub fn of(e: &anyhow::Error) -> Failure {
        let mut parts: Vec<String> = Vec::new();
        let mut code = EXIT_FAILURE;
        let mut bad_url = false;
        for cause in e.chain() {
            if let Some(panoramix_client::ClientError::Transport(t)) =
                cause.downcast_ref::<panoramix_client::ClientError>()
            {
                // ureq says "Bad URL: ..." or "Unknown Scheme: ..." for an address it
                // cannot use: the operator's mistake, not an unreachable controller
                let text = t.to_string();
                if text.starts_with("Bad URL") || text.starts_with("Unknown Scheme") {
                    bad_url = true;
                } else {
                    code = EXIT_UNREACHABLE;
                }
            }
            let text = cause.to_string();
            if bad_url {
                parts.push(
                    "the controller's URL must start with http:// or https:// \
                     (for example http://127.0.0.1:8000/)"
                        .into(),
                );
                break;
            }
            if parts.iter().any(|p| p.contains(&text)) {
                continue;
            }
            parts.push(text);
        }
        Failure {
            message: parts.join(": "),
            code,
        }
    }
}

/// Whether log lines may carry ANSI colours: only on a terminal, and never when
/// `NO_COLOR` is set to anything but the empty string (<https://no-color.org>).
pub fn log_colours() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}
